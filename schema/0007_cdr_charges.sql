-- 0007: rated CDR charges into the ledger, USD values, credit blocking and
-- the 24-hour spend reset (issue 6, second slice). docs/ledger.md has the
-- design; this file has the mechanics.
--
-- CDR charges are posted in two steps so that rating never waits for the
-- ledger:
--   1. ingestion (the ledger's CDR sink, server/ledger/cdr_charges.c) adds
--      the batch's charges, summed per carrier side, currency and
--      destination, to ledger_cdr_pending — in the ingest transaction, so
--      a CDR is stored if and only if its charge is queued. It locks
--      nothing: concurrent batches for one customer never wait for each
--      other;
--   2. once a second (and sooner when the queue grows) each instance's
--      ticker calls ledger_post_cdr_charges, which takes queued rows with
--      SKIP LOCKED, deletes them and posts one `cdr_charges` journal per
--      currency with one entry per carrier account and one per platform
--      account (revenue, cost_of_sales), and the per-destination lines in
--      ledger_cdr_lines. Taking and posting are one transaction, so every
--      queued charge is posted exactly once.
-- The credit figures (ledger_figures) count queued charges as if posted,
-- so balances, available credit and 24-hour spend move with the CDR, not
-- a second later.

-- ---- the queue ----
CREATE TABLE ledger_cdr_pending (
    id          bigserial PRIMARY KEY,
    carrier_id  bigint NOT NULL,
    side        text NOT NULL CHECK (side IN ('customer', 'supplier')),
    currency    text NOT NULL,
    destination text NOT NULL,            -- the rated destination ('' when the deck has none)
    calls       bigint NOT NULL CHECK (calls > 0),
    seconds     bigint NOT NULL CHECK (seconds >= 0),   -- billed seconds
    amount      numeric(20,6) NOT NULL CHECK (amount >= 0),
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_cdr_pending_side ON ledger_cdr_pending (carrier_id, side, currency);

-- ---- what a cdr_charges journal charged, by destination ----
CREATE TABLE ledger_cdr_lines (
    journal_id  bigint NOT NULL REFERENCES ledger_journals (id),
    account_id  bigint NOT NULL,          -- the carrier account charged
    carrier_id  bigint NOT NULL,
    side        text NOT NULL,
    currency    text NOT NULL,
    destination text NOT NULL,
    calls       bigint NOT NULL,
    seconds     bigint NOT NULL,
    amount      numeric(20,6) NOT NULL,   -- >= 0; per account, the lines sum to the journal's entry (sign aside)
    PRIMARY KEY (journal_id, account_id, destination)
);
CREATE INDEX ledger_cdr_lines_account ON ledger_cdr_lines (account_id, journal_id);
CREATE INDEX ledger_cdr_lines_carrier ON ledger_cdr_lines (carrier_id, journal_id);
CREATE TRIGGER ledger_cdr_lines_immutable BEFORE UPDATE OR DELETE ON ledger_cdr_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_cdr_lines_no_truncate BEFORE TRUNCATE ON ledger_cdr_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();

-- A carrier with queued charges is not hard-deleted either.
CREATE OR REPLACE FUNCTION ledger_keep_carrier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.carrier_id = OLD.id)
       OR EXISTS (SELECT 1 FROM ledger_cdr_pending p WHERE p.carrier_id = OLD.id) THEN
        RETURN NULL;
    END IF;
    RETURN OLD;
END $$;

-- A journal as one carrier's users may see it: without actor and reason,
-- and, for journals that touch many carriers (cdr_charges), only the
-- entries on that carrier's accounts.
CREATE FUNCTION ledger_journal_for(p_id bigint, p_carrier bigint)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('id', j.id, 'idempotency_key', j.idempotency_key, 'kind', j.kind,
        'carrier_id', j.carrier_id, 'side', j.side, 'amount', j.amount::text, 'currency', j.currency,
        'memo', j.memo, 'reason', NULL, 'actor', NULL,
        'created_at', to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'fx_rate_usd', j.fx_rate_usd::text,
        'entries', (SELECT coalesce(json_agg(json_build_object('account_id', a.id, 'account', a.name,
                        'account_kind', a.kind, 'carrier_id', a.carrier_id, 'amount', e.amount::text,
                        'currency', e.currency, 'usd_value', e.usd_value::text) ORDER BY e.id), '[]')
                      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                     WHERE e.journal_id = j.id AND (j.carrier_id IS NOT NULL OR a.carrier_id = p_carrier)))
      FROM ledger_journals j WHERE j.id = p_id);
END $$;

-- ---- USD values ----
-- USD per one unit of a currency, for journals' fx_rate_usd and entries'
-- usd_value (= round(amount * rate, 6)); NULL when unknown. This is 1 for
-- USD and unknown for the rest until FX (0009) replaces it with the rate
-- table's answer; same signature, so nothing that calls it changes.
CREATE FUNCTION ledger_usd_rate(p_currency text) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_currency = 'USD' THEN 1::numeric END
$$;

-- ---- the 24-hour spend reset ----
-- The seed's [Reset] beside each side's 24-hour spend: the window starts
-- again now (the later of this and the rolling/fixed window start).
ALTER TABLE carriers ADD COLUMN spend_reset_customer_at timestamptz,
                     ADD COLUMN spend_reset_supplier_at timestamptz;

-- Where a side's 24-hour spend window starts now.
CREATE FUNCTION ledger_spend_start(p_carrier bigint, p_side text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT greatest(ledger_spend_since(c.spend_mode_24h, c.spend_reset_time, c.timezone, now()),
                    CASE WHEN p_side = 'customer' THEN c.spend_reset_customer_at ELSE c.spend_reset_supplier_at END)
      FROM carriers c WHERE c.id = p_carrier
$$;

-- Charges queued for a carrier side and currency (>= 0).
CREATE FUNCTION ledger_unposted(p_carrier bigint, p_side text, p_currency text) RETURNS numeric
LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(p.amount), 0) FROM ledger_cdr_pending p
     WHERE p.carrier_id = p_carrier AND p.side = p_side AND p.currency = p_currency
$$;

-- ---- credit alerts, shared by every posting ----
-- The credit alerts of a customer that one posting crosses. p_account is
-- its carrier_customer account in its first currency, p_before that
-- account's (debit-positive) balance before the posting and p_entry the
-- posting's entry on it. Crossings are judged on posted balances only
-- (queued CDR charges count when they are posted, within a second), so
-- every crossing is seen exactly once: postings to one account are
-- serialised by its row lock. Returns a JSON array of
-- {alert_id, type, threshold, value}, or NULL when none.
CREATE FUNCTION ledger_alert_crossings(p_carrier bigint, p_account bigint, p_kind text,
                                       p_before numeric, p_entry numeric)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    car record;
    allowance numeric := 0;
    spend_after numeric;
    al record;
    hits json[] := '{}';
    crossed boolean;
    val numeric;
BEGIN
    SELECT c.customer_credit_type, c.credit_limit INTO car FROM carriers c WHERE c.id = p_carrier;
    IF car.customer_credit_type = 'postpaid' THEN
        allowance := car.credit_limit;
    END IF;
    FOR al IN SELECT a.id, a.type, a.threshold FROM credit_alerts a
               WHERE a.carrier_id = p_carrier AND a.enabled AND a.deleted_at IS NULL ORDER BY a.id LOOP
        crossed := false;
        IF al.type = 'low_balance' THEN          -- available falls below the threshold
            val := allowance - (p_before + p_entry);
            crossed := allowance - p_before >= al.threshold AND val < al.threshold;
        ELSIF al.type = 'high_balance' THEN      -- what the customer owes reaches the threshold
            val := p_before + p_entry;
            crossed := p_before < al.threshold AND val >= al.threshold;
        ELSIF al.type = 'spend_24h_breach' AND p_kind IN ('charge', 'cdr_charges') AND p_entry > 0 THEN
            IF spend_after IS NULL THEN          -- the entry is written: it is in the sum
                spend_after := ledger_spend(p_account, ledger_spend_start(p_carrier, 'customer'));
            END IF;
            val := spend_after;
            crossed := spend_after - p_entry < al.threshold AND spend_after >= al.threshold;
        END IF;
        IF crossed THEN
            hits := hits || json_build_object('alert_id', al.id, 'type', al.type,
                                              'threshold', al.threshold::numeric(20,6)::text,
                                              'value', val::numeric(20,6)::text);
        END IF;
    END LOOP;
    RETURN CASE WHEN cardinality(hits) > 0 THEN array_to_json(hits) END;
END $$;

-- ---- one posting (replaces 0006's) ----
-- As in 0006, plus: the USD rate and values (ledger_usd_rate), queued CDR
-- charges counted by the credit guard, the 24-hour window's reset, and the
-- alerts through ledger_alert_crossings. New OUT columns fx_rate (text,
-- NULL when unknown) and usd_entry (the carrier entry's USD value) let C
-- build the reply without a second read.
DROP FUNCTION ledger_post_journal(text, text, bigint, text, numeric, text, text, text, text, bigint, text, text,
                                  numeric, boolean);
CREATE FUNCTION ledger_post_journal(
    p_key text, p_kind text, p_carrier bigint, p_side text, p_amount numeric, p_currency text,
    p_memo text, p_reason text, p_actor text, p_actor_id bigint,
    p_offset_kind text, p_provider text, p_entry numeric, p_credit_checked boolean,
    OUT status text, OUT journal_id bigint, OUT created_at text,
    OUT account_id bigint, OUT account_name text, OUT offset_id bigint, OUT offset_name text,
    OUT available numeric, OUT currencies text, OUT journal json, OUT alerts json,
    OUT fx_rate text, OUT usd_entry text)
LANGUAGE plpgsql AS $$
DECLARE
    car record;
    acc_kind text := 'carrier_' || p_side;
    allowance numeric := 0;
    bal numeric;
    queued numeric := 0;
    same boolean;
    rate numeric;
    usd numeric;
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_journals j WHERE j.idempotency_key = p_key) THEN
        SELECT k.id, k.same INTO journal_id, same
          FROM ledger_journal_by_key(p_key, p_kind, p_carrier, p_side, p_amount, p_currency, p_memo, p_reason,
                                     p_offset_kind, p_provider) k;
        status := CASE WHEN same THEN 'duplicate' ELSE 'mismatch' END;
        journal := ledger_journal_json(journal_id);
        RETURN;
    END IF;

    SELECT c.type, c.currencies, c.customer_credit_type, c.credit_limit
      INTO car FROM carriers c WHERE c.id = p_carrier AND c.deleted_at IS NULL;
    IF NOT FOUND THEN
        status := 'no_carrier';
        RETURN;
    END IF;
    currencies := array_to_string(car.currencies, ', ');
    IF car.type <> 'bilateral' AND car.type <> p_side THEN
        status := 'no_side';
        RETURN;
    END IF;
    IF NOT p_currency = ANY (car.currencies) THEN
        status := 'bad_currency';
        RETURN;
    END IF;
    IF p_side = 'customer' AND p_currency = car.currencies[1] AND car.customer_credit_type = 'postpaid' THEN
        allowance := car.credit_limit;
    END IF;

    FOR attempt IN 1..2 LOOP
        SELECT a.id, a.name, a.balance INTO account_id, account_name, bal FROM ledger_accounts a
         WHERE a.carrier_id = p_carrier AND a.kind = acc_kind AND a.currency = p_currency FOR UPDATE;
        EXIT WHEN FOUND;
        PERFORM ledger_account_id(acc_kind, p_carrier, p_currency, NULL);
    END LOOP;
    FOR attempt IN 1..2 LOOP
        SELECT a.id, a.name INTO offset_id, offset_name FROM ledger_accounts a
         WHERE a.carrier_id IS NULL AND a.kind = p_offset_kind AND a.currency = p_currency
           AND a.provider IS NOT DISTINCT FROM p_provider;
        EXIT WHEN FOUND;
        PERFORM ledger_account_id(p_offset_kind, NULL, p_currency, p_provider);
    END LOOP;

    FOR attempt IN 1..2 LOOP
        IF EXISTS (SELECT 1 FROM ledger_journals j WHERE j.idempotency_key = p_key) THEN
            SELECT k.id, k.same INTO journal_id, same
              FROM ledger_journal_by_key(p_key, p_kind, p_carrier, p_side, p_amount, p_currency, p_memo, p_reason,
                                         p_offset_kind, p_provider) k;
            status := CASE WHEN same THEN 'duplicate' ELSE 'mismatch' END;
            journal := ledger_journal_json(journal_id);
            RETURN;
        END IF;
        EXIT WHEN attempt = 2;
        IF p_credit_checked THEN
            queued := ledger_unposted(p_carrier, 'customer', p_currency);
            IF bal + queued + p_entry > allowance THEN
                status := 'credit';
                available := allowance - bal - queued;
                RETURN;
            END IF;
        END IF;
        rate := ledger_usd_rate(p_currency);
        INSERT INTO ledger_journals (idempotency_key, kind, carrier_id, side, amount, currency, memo, reason,
                                     actor, actor_id, fx_rate_usd)
        VALUES (p_key, p_kind, p_carrier, p_side, p_amount, p_currency, p_memo, p_reason, p_actor, p_actor_id, rate)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING ledger_journals.id INTO journal_id;
        EXIT WHEN journal_id IS NOT NULL;
        -- none: a twin with this key committed after our look; the next look answers it
    END LOOP;
    IF journal_id IS NULL THEN
        RAISE EXCEPTION 'ledger journal % neither posted nor found', p_key;
    END IF;
    usd := round(p_entry * rate, 6);
    INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
    VALUES (journal_id, account_id, p_entry, p_currency, usd, p_kind),
           (journal_id, offset_id, -p_entry, p_currency, -usd, p_kind);
    status := 'posted';
    created_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
    fx_rate := rate::text;
    usd_entry := usd::numeric(20,6)::text;
    IF p_side = 'customer' AND p_currency = car.currencies[1] THEN
        alerts := ledger_alert_crossings(p_carrier, account_id, p_kind, bal, p_entry);
    END IF;
END $$;

-- ---- posting queued CDR charges ----
-- Take up to p_limit queued rows (SKIP LOCKED: instances flushing at once
-- take different rows), delete them and post them: per currency one
-- `cdr_charges` journal (key cdr_charges:<currency>:<first id>-<last id>,
-- unique because every queued row is taken once), entries on the carrier
-- accounts locked in account id order, then one on revenue (customer
-- charges) and one on cost_of_sales (supplier charges), and the lines by
-- destination. A currency whose rows all cost 0 posts no journal. Returns
-- one row per journal with the CDR count and the credit alert crossings
-- ({alert_id, type, threshold, value, carrier_id}) for the caller to
-- announce.
CREATE FUNCTION ledger_post_cdr_charges(p_limit integer)
RETURNS TABLE (journal_id bigint, currency text, calls bigint, amount_customer text, amount_supplier text,
               alerts json)
LANGUAGE plpgsql AS $$
DECLARE
    cur text;
    rate numeric;
    jid bigint;
    acc record;
    total_cust numeric;
    total_sup numeric;
    usd_cust numeric;
    usd_sup numeric;
    n_calls bigint;
    hits json[];
    crossings json;
    a json;
BEGIN
    -- Two scratch tables of this session, emptied at every commit (the
    -- ticker's connection lives long: created once, no catalog churn).
    IF to_regclass('pg_temp.ledger_flush_rows') IS NULL THEN
        CREATE TEMP TABLE ledger_flush_rows (carrier_id bigint, side text, currency text, destination text,
            calls bigint, seconds bigint, amount numeric, lo bigint, hi bigint) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE ledger_flush_accounts (account_id bigint, carrier_id bigint, side text, currency text,
            amount numeric, calls bigint, balance numeric, first_currency boolean) ON COMMIT DELETE ROWS;
    END IF;
    TRUNCATE ledger_flush_rows, ledger_flush_accounts;

    WITH taken AS (
        DELETE FROM ledger_cdr_pending p
         WHERE p.id IN (SELECT q.id FROM ledger_cdr_pending q ORDER BY q.id LIMIT p_limit FOR UPDATE SKIP LOCKED)
        RETURNING p.*)
    INSERT INTO ledger_flush_rows
    SELECT t.carrier_id, t.side, t.currency, t.destination, sum(t.calls), sum(t.seconds), sum(t.amount),
           min(t.id), max(t.id)
      FROM taken t GROUP BY 1, 2, 3, 4;

    -- the carrier accounts: created on first use, then locked in id order
    INSERT INTO ledger_flush_accounts (account_id, carrier_id, side, currency, amount, calls)
    SELECT ledger_account_id('carrier_' || x.side, x.carrier_id, x.currency, NULL), x.carrier_id, x.side,
           x.currency, sum(x.amount), sum(x.calls)
      FROM ledger_flush_rows x GROUP BY x.carrier_id, x.side, x.currency;
    UPDATE ledger_flush_accounts f SET balance = l.balance,
           first_currency = (f.side = 'customer' AND (SELECT c.currencies[1] FROM carriers c
                                                       WHERE c.id = f.carrier_id) = f.currency)
      FROM (SELECT a.id, a.balance FROM ledger_accounts a
             WHERE a.id IN (SELECT account_id FROM ledger_flush_accounts) ORDER BY a.id FOR UPDATE) l
     WHERE l.id = f.account_id;

    FOR cur IN SELECT DISTINCT f.currency FROM ledger_flush_accounts f ORDER BY 1 LOOP
        SELECT coalesce(sum(f.amount) FILTER (WHERE f.side = 'customer'), 0),
               coalesce(sum(f.amount) FILTER (WHERE f.side = 'supplier'), 0), sum(f.calls)
          INTO total_cust, total_sup, n_calls FROM ledger_flush_accounts f WHERE f.currency = cur;
        IF total_cust = 0 AND total_sup = 0 THEN
            CONTINUE;
        END IF;
        rate := ledger_usd_rate(cur);
        INSERT INTO ledger_journals (idempotency_key, kind, currency, memo, actor, fx_rate_usd)
        SELECT 'cdr_charges:' || cur || ':' || min(x.lo) || '-' || max(x.hi), 'cdr_charges', cur,
               sum(x.calls) || ' rated calls', 'system', rate
          FROM ledger_flush_rows x WHERE x.currency = cur
        RETURNING id INTO jid;

        -- customer accounts are debited (they owe more), supplier accounts credited (we owe more)
        INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
        SELECT jid, f.account_id, CASE WHEN f.side = 'customer' THEN f.amount ELSE -f.amount END, cur,
               round(CASE WHEN f.side = 'customer' THEN f.amount ELSE -f.amount END * rate, 6), 'cdr_charges'
          FROM ledger_flush_accounts f WHERE f.currency = cur AND f.amount <> 0 ORDER BY f.account_id;
        SELECT sum(round(f.amount * rate, 6)) FILTER (WHERE f.side = 'customer'),
               sum(round(f.amount * rate, 6)) FILTER (WHERE f.side = 'supplier')
          INTO usd_cust, usd_sup FROM ledger_flush_accounts f WHERE f.currency = cur;
        IF total_cust <> 0 THEN
            INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
            VALUES (jid, ledger_account_id('revenue', NULL, cur, NULL), -total_cust, cur, -usd_cust, 'cdr_charges');
        END IF;
        IF total_sup <> 0 THEN
            INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
            VALUES (jid, ledger_account_id('cost_of_sales', NULL, cur, NULL), total_sup, cur, usd_sup,
                    'cdr_charges');
        END IF;

        INSERT INTO ledger_cdr_lines (journal_id, account_id, carrier_id, side, currency, destination, calls,
                                      seconds, amount)
        SELECT jid, f.account_id, x.carrier_id, x.side, cur, x.destination, x.calls, x.seconds, x.amount
          FROM ledger_flush_rows x
          JOIN ledger_flush_accounts f ON f.carrier_id = x.carrier_id AND f.side = x.side AND f.currency = cur
         WHERE x.currency = cur;

        hits := '{}';
        FOR acc IN SELECT f.* FROM ledger_flush_accounts f
                    WHERE f.currency = cur AND f.first_currency AND f.amount <> 0 ORDER BY f.account_id LOOP
            crossings := ledger_alert_crossings(acc.carrier_id, acc.account_id, 'cdr_charges', acc.balance,
                                                acc.amount);
            IF crossings IS NOT NULL THEN
                FOR a IN SELECT * FROM json_array_elements(crossings) LOOP
                    hits := hits || (jsonb_build_object('carrier_id', acc.carrier_id) || a::jsonb)::json;
                END LOOP;
            END IF;
        END LOOP;

        journal_id := jid;
        currency := cur;
        calls := n_calls;
        amount_customer := total_cust::numeric(20,6)::text;
        amount_supplier := total_sup::numeric(20,6)::text;
        alerts := CASE WHEN cardinality(hits) > 0 THEN array_to_json(hits) END;
        RETURN NEXT;
    END LOOP;
END $$;

-- ---- credit control figures (replace 0006's) ----
-- As in 0006, plus queued CDR charges (counted as posted), the spend
-- reset, and what blocks the customer: `blocked` is NULL, or
--   'credit'          available credit is <= 0 (prepaid: no money left),
--   'bilateral_limit' net exposure above the bilateral limit, breach action block,
--   'spend_limit_24h' 24-hour spend at or above its limit, breach action block.
-- Route lookups (the routing issue) refuse a blocked customer with -32010.
DROP FUNCTION ledger_figures(bigint, text);
CREATE FUNCTION ledger_figures(p_carrier bigint, p_currency text DEFAULT NULL)
RETURNS TABLE (carrier_type text, currency text, credit_type text, customer_balance numeric, credit_limit numeric,
               available numeric, supplier_balance numeric, net_exposure numeric, bilateral_limit numeric,
               bilateral_breach text, spend_customer numeric, spend_supplier numeric, spend_limit numeric,
               spend_breach text, spend_mode text, spend_since timestamptz, unposted_customer numeric,
               unposted_supplier numeric, spend_since_supplier timestamptz, blocked text)
LANGUAGE sql STABLE AS $$
    SELECT x.type, x.cur, x.customer_credit_type, x.cbal, x.credit::numeric(20,6), (x.credit - x.cdebit)::numeric(20,6),
           x.sbal,
           x.exposure, x.bilateral_limit, x.bilateral_limit_breach, x.cspend, x.sspend, x.spend_limit_24h,
           x.spend_limit_24h_breach, x.spend_mode_24h, x.since_c, x.cq, x.sq, x.since_s,
           CASE WHEN x.type <> 'supplier' AND x.credit - x.cdebit <= 0 THEN 'credit'
                WHEN x.type = 'bilateral' AND x.bilateral_limit_breach = 'block' AND x.bilateral_limit IS NOT NULL
                     AND x.exposure > x.bilateral_limit THEN 'bilateral_limit'
                WHEN x.type <> 'supplier' AND x.spend_limit_24h_breach = 'block' AND x.spend_limit_24h IS NOT NULL
                     AND x.cspend >= x.spend_limit_24h THEN 'spend_limit_24h' END
      FROM (SELECT c.*, lim.credit,
                   (coalesce(cu.balance, 0) + q.c)::numeric(20,6) AS cdebit,
                   (-(coalesce(cu.balance, 0) + q.c))::numeric(20,6) AS cbal,
                   (-(coalesce(su.balance, 0) - q.s))::numeric(20,6) AS sbal,
                   (coalesce(cu.balance, 0) + q.c + coalesce(su.balance, 0) - q.s)::numeric(20,6) AS exposure,
                   ((CASE WHEN cu.id IS NULL THEN 0 ELSE ledger_spend(cu.id, c.since_c) END) + q.c)::numeric(20,6)
                       AS cspend,
                   ((CASE WHEN su.id IS NULL THEN 0 ELSE -ledger_spend(su.id, c.since_s) END) + q.s)::numeric(20,6)
                       AS sspend,
                   q.c::numeric(20,6) AS cq, q.s::numeric(20,6) AS sq
              FROM (SELECT t.*, coalesce(p_currency, t.currencies[1]) AS cur,
                           ledger_spend_start(t.id, 'customer') AS since_c,
                           ledger_spend_start(t.id, 'supplier') AS since_s
                      FROM carriers t WHERE t.id = p_carrier) c
              CROSS JOIN LATERAL (SELECT CASE WHEN c.customer_credit_type = 'postpaid' AND c.cur = c.currencies[1]
                                              THEN c.credit_limit ELSE 0 END AS credit) lim
              CROSS JOIN LATERAL (SELECT ledger_unposted(c.id, 'customer', c.cur) AS c,
                                         ledger_unposted(c.id, 'supplier', c.cur) AS s) q
              LEFT JOIN ledger_accounts cu ON cu.carrier_id = c.id AND cu.kind = 'carrier_customer'
                                          AND cu.currency = c.cur
              LEFT JOIN ledger_accounts su ON su.carrier_id = c.id AND su.kind = 'carrier_supplier'
                                          AND su.currency = c.cur) x
$$;

-- What blocks a customer's calls now (NULL = nothing); see ledger_figures.
CREATE FUNCTION ledger_credit_block(p_carrier bigint) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT f.blocked FROM ledger_figures(p_carrier) f
$$;

-- carrier.get's "balances" (first currency); shape in docs/protocol.md.
CREATE OR REPLACE FUNCTION ledger_carrier_balances(p_carrier bigint)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object(
        'customer', json_build_object('currency', f.currency, 'balance', f.customer_balance::text,
            'limit', f.credit_limit::text, 'remaining', f.available::text),
        'supplier', json_build_object('currency', f.currency, 'balance', f.supplier_balance::text),
        'bilateral', CASE WHEN f.carrier_type = 'bilateral' THEN json_build_object('currency', f.currency,
            'net_exposure', f.net_exposure::text, 'limit', f.bilateral_limit::text,
            'remaining', (f.bilateral_limit - f.net_exposure)::numeric(20,6)::text) END,
        'spend_24h', json_build_object('customer', f.spend_customer::text, 'supplier', f.spend_supplier::text,
            'customer_limit', f.spend_limit::text,
            'customer_remaining', (f.spend_limit - f.spend_customer)::numeric(20,6)::text),
        'blocked', f.blocked)
      FROM ledger_figures(p_carrier) f);
END $$;

-- ledger.balance; shape in docs/protocol.md.
CREATE OR REPLACE FUNCTION ledger_balance_json(p_carrier bigint, p_currency text DEFAULT NULL)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('carrier_id', p_carrier, 'currency', f.currency,
        'customer', json_build_object('balance', f.customer_balance::text, 'currency', f.currency,
            'credit_type', f.credit_type, 'credit_limit', f.credit_limit::text, 'available', f.available::text,
            'unposted', f.unposted_customer::text),
        'supplier', json_build_object('balance', f.supplier_balance::text, 'currency', f.currency,
            'unposted', f.unposted_supplier::text),
        'net_exposure', f.net_exposure::text,
        'bilateral', CASE WHEN f.carrier_type = 'bilateral' THEN json_build_object('limit', f.bilateral_limit::text,
            'remaining', (f.bilateral_limit - f.net_exposure)::numeric(20,6)::text, 'breach', f.bilateral_breach) END,
        'spend_24h', json_build_object('customer', f.spend_customer::text, 'supplier', f.spend_supplier::text,
            'customer_limit', f.spend_limit::text,
            'customer_remaining', (f.spend_limit - f.spend_customer)::numeric(20,6)::text,
            'breach', f.spend_breach, 'mode', f.spend_mode,
            'since', to_char(f.spend_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
            'supplier_since', to_char(f.spend_since_supplier AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
        'blocked', f.blocked)
      FROM ledger_figures(p_carrier, p_currency) f);
END $$;
