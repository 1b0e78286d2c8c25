-- 0006: the ledger core (issue 6, first slice) — accounts, immutable
-- journals whose entries balance per currency, the posting primitive, and
-- the credit control figures that carrier.get and ledger.balance share.
--
-- Signs (docs/ledger.md): an entry's amount is a debit when positive and a
-- credit when negative, so every journal sums to zero per currency and so
-- does the whole ledger. An account's balance is the sum of its entries
-- (debit-positive), cached in ledger_accounts.balance by the transaction
-- that posts the entries. Carrier accounts are liabilities (credit-normal):
-- the money a customer has with us is -balance of its carrier_customer
-- account; what we owe a supplier is -balance of its carrier_supplier one.

CREATE TABLE ledger_accounts (
    id          bigserial PRIMARY KEY,
    kind        text NOT NULL,       -- carrier_customer, carrier_supplier, revenue, cost_of_sales, cash,
                                     -- promotions, fx_gain_loss, suspense
    carrier_id  bigint REFERENCES carriers(id),     -- carrier accounts only; NULL for platform accounts
    currency    text NOT NULL,
    provider    text,                -- cash accounts only: "manual", "stripe", "paypal", ...
    name        text NOT NULL,       -- kind[:carrier][:provider]:currency, e.g. carrier_customer:12:USD
    balance     numeric(20,6) NOT NULL DEFAULT 0,    -- = sum(ledger_entries.amount) of this account
    version     bigint NOT NULL DEFAULT 1,           -- + 1 per entry on it
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT ledger_accounts_key UNIQUE NULLS NOT DISTINCT (kind, carrier_id, currency, provider)
);
-- What an account is (kind, carrier, currency, provider, name) is checked
-- and set once, when it is created, and never changes afterwards
-- (ledger_accounts_fixed below). These are not CHECK constraints or a
-- generated column because PostgreSQL re-evaluates those on every UPDATE,
-- and every posting updates two accounts' balances (measured: about 15 %
-- of a posting's database time).
CREATE FUNCTION ledger_account_new() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind NOT IN ('carrier_customer', 'carrier_supplier', 'revenue', 'cost_of_sales', 'cash', 'promotions',
                        'fx_gain_loss', 'suspense')
       OR (NEW.kind IN ('carrier_customer', 'carrier_supplier')) <> (NEW.carrier_id IS NOT NULL)
       OR (NEW.kind = 'cash') <> (NEW.provider IS NOT NULL)
       OR NEW.currency !~ '^[A-Z]{3}$' THEN
        RAISE EXCEPTION 'not a ledger account: % carrier % currency % provider %', NEW.kind, NEW.carrier_id,
            NEW.currency, NEW.provider USING ERRCODE = 'check_violation';
    END IF;
    NEW.name := NEW.kind || coalesce(':' || NEW.carrier_id::text, '') || coalesce(':' || NEW.provider, '')
                || ':' || NEW.currency;
    NEW.balance := 0;   -- an account starts empty: its balance is the sum of its entries
    NEW.version := 1;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_accounts_new BEFORE INSERT ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_account_new();
CREATE INDEX ledger_accounts_carrier_idx ON ledger_accounts (carrier_id, kind, currency) WHERE carrier_id IS NOT NULL;

CREATE TABLE ledger_journals (
    id              bigserial PRIMARY KEY,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    kind            text NOT NULL CHECK (kind IN ('topup', 'payment', 'charge', 'credit_note', 'adjustment',
                                                  'cdr_charges', 'fx_revaluation')),
    -- What was asked for, as posted (the entries say what it did): the
    -- carrier side and the amount in its currency. NULL for platform
    -- journals that touch many carriers (CDR batches, revaluations).
    carrier_id      bigint REFERENCES carriers(id),
    side            text CHECK (side IN ('customer', 'supplier')),
    amount          numeric(20,6),
    currency        text,
    memo            text NOT NULL DEFAULT '',
    reason          text,                            -- adjustments: why (required)
    actor           text NOT NULL,                   -- username, or "system"
    actor_id        bigint,                          -- users.id, NULL for the system
    created_at      timestamptz NOT NULL DEFAULT now(),
    fx_rate_usd     numeric,                         -- USD per unit of currency used for usd_value; NULL: none yet
    txid            bigint NOT NULL DEFAULT txid_current(),  -- the transaction that posted it
    CONSTRAINT ledger_journals_key UNIQUE (idempotency_key),
    CONSTRAINT ledger_journals_id_kind UNIQUE (id, kind),      -- entries reference (id, kind)
    CONSTRAINT ledger_journals_reason CHECK (kind <> 'adjustment' OR length(btrim(coalesce(reason, ''))) > 0)
);
CREATE INDEX ledger_journals_carrier_idx ON ledger_journals (carrier_id, id) WHERE carrier_id IS NOT NULL;
CREATE INDEX ledger_journals_created_idx ON ledger_journals (created_at, id);

CREATE TABLE ledger_entries (
    id          bigserial PRIMARY KEY,
    journal_id  bigint NOT NULL,
    account_id  bigint NOT NULL,
    amount      numeric(20,6) NOT NULL CHECK (amount <> 0),   -- debit > 0, credit < 0
    currency    text NOT NULL,                                -- the account's (checked by a trigger, below)
    usd_value   numeric(20,6),                                -- NULL until FX lands (USD: the amount)
    kind        text NOT NULL,                                -- the journal's (24-hour spend reads entries by kind)
    created_at  timestamptz NOT NULL DEFAULT now(),           -- the journal's transaction time
    FOREIGN KEY (journal_id, kind) REFERENCES ledger_journals (id, kind)
    -- account_id: no foreign key. A foreign key check locks the referenced
    -- row FOR KEY SHARE, and the few platform accounts that every posting
    -- touches would pile up MultiXacts under concurrent postings (it was
    -- the top PostgreSQL symbol in the posting benchmark). The trigger
    -- ledger_entries_added checks the account and its currency instead,
    -- which is as strong here: accounts are never deleted and never change
    -- currency (triggers below).
);
CREATE INDEX ledger_entries_journal_idx ON ledger_entries (journal_id);
CREATE INDEX ledger_entries_account_idx ON ledger_entries (account_id, id);
CREATE INDEX ledger_entries_spend_idx ON ledger_entries (account_id, created_at) INCLUDE (amount)
    WHERE kind IN ('charge', 'cdr_charges');

-- Journals and entries are never changed or deleted: a correction is a new
-- journal.
CREATE FUNCTION ledger_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% rows are never changed or deleted; post a correcting journal', TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER ledger_journals_no_update BEFORE UPDATE OR DELETE ON ledger_journals
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_journals_no_truncate BEFORE TRUNCATE ON ledger_journals
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();
-- An account keeps what it is; only its cached balance and version move.
CREATE TRIGGER ledger_accounts_fixed BEFORE UPDATE OF kind, carrier_id, currency, provider, name ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_accounts_no_delete BEFORE DELETE ON ledger_accounts
    FOR EACH ROW EXECUTE FUNCTION ledger_immutable();
CREATE TRIGGER ledger_accounts_no_truncate BEFORE TRUNCATE ON ledger_accounts
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();

-- Entries are added only with their journal, in the transaction that
-- posts it, on an account that exists in the entry's currency (checked at
-- once). Cached balances are kept by triggers, whoever inserts the
-- entries:
--   * carrier accounts at once, so the posting that locked one reads and
--     checks its true balance;
--   * platform accounts (revenue, cash, ...) when the transaction commits.
--     Every posting touches one of these few rows; updating them at commit
--     holds their row lock for the commit only, not for the whole request,
--     and keeps the lock order fixed: carrier accounts first, platform
--     accounts last (in account id order within a journal).
-- At commit every journal must also have entries and balance per
-- currency (a DEFERRABLE INITIALLY DEFERRED constraint trigger).
CREATE FUNCTION ledger_entry_added() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
BEGIN
    SELECT a.carrier_id, a.currency, j.txid INTO r
      FROM ledger_journals j LEFT JOIN ledger_accounts a ON a.id = NEW.account_id
     WHERE j.id = NEW.journal_id;
    IF r.currency IS NULL OR r.currency <> NEW.currency THEN
        RAISE EXCEPTION 'ledger entry on account % in %: no such account in that currency', NEW.account_id,
            NEW.currency USING ERRCODE = 'foreign_key_violation';
    END IF;
    IF r.txid <> txid_current() THEN
        RAISE EXCEPTION 'ledger journal % was posted by an earlier transaction; post a correcting journal',
            NEW.journal_id USING ERRCODE = 'check_violation';
    END IF;
    IF r.carrier_id IS NOT NULL THEN
        UPDATE ledger_accounts a SET balance = a.balance + NEW.amount, version = a.version + 1
         WHERE a.id = NEW.account_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_entries_added AFTER INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_entry_added();

CREATE FUNCTION ledger_journal_committing() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    chk record;
BEGIN
    FOR r IN SELECT e.account_id, sum(e.amount) AS total, count(*) AS n
               FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
              WHERE e.journal_id = NEW.id AND a.carrier_id IS NULL
              GROUP BY e.account_id ORDER BY e.account_id LOOP
        UPDATE ledger_accounts a SET balance = a.balance + r.total, version = a.version + r.n
         WHERE a.id = r.account_id;
    END LOOP;
    SELECT coalesce(sum(x.n), 0) AS entries,
           (array_agg(x.currency || ' (its entries sum to ' || x.total || ')') FILTER (WHERE x.total <> 0))[1]
               AS unbalanced
      INTO chk
      FROM (SELECT e.currency, sum(e.amount) AS total, count(*) AS n FROM ledger_entries e
             WHERE e.journal_id = NEW.id GROUP BY e.currency) x;
    IF chk.entries = 0 THEN
        RAISE EXCEPTION 'ledger journal % has no entries', NEW.id USING ERRCODE = 'check_violation';
    END IF;
    IF chk.unbalanced IS NOT NULL THEN
        RAISE EXCEPTION 'ledger journal % does not balance in %', NEW.id, chk.unbalanced
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_journals_balanced AFTER INSERT ON ledger_journals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_journal_committing();

-- The books outlive a carrier: retention never hard-deletes a carrier that
-- has ledger accounts (the row is kept, soft-deleted; the purge skips it).
CREATE FUNCTION ledger_keep_carrier() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.carrier_id = OLD.id) THEN
        RETURN NULL;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER carriers_keep_ledger BEFORE DELETE ON carriers
    FOR EACH ROW EXECUTE FUNCTION ledger_keep_carrier();

-- ---- posting ----

-- The account for (kind, carrier, currency, provider), created on first use.
CREATE FUNCTION ledger_account_id(p_kind text, p_carrier bigint, p_currency text, p_provider text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    acc bigint;
BEGIN
    FOR attempt IN 1..2 LOOP
        IF p_carrier IS NOT NULL THEN
            SELECT a.id INTO acc FROM ledger_accounts a
             WHERE a.carrier_id = p_carrier AND a.kind = p_kind AND a.currency = p_currency;
        ELSE
            SELECT a.id INTO acc FROM ledger_accounts a
             WHERE a.carrier_id IS NULL AND a.kind = p_kind AND a.currency = p_currency
               AND a.provider IS NOT DISTINCT FROM p_provider;
        END IF;
        IF acc IS NOT NULL THEN
            RETURN acc;
        END IF;
        INSERT INTO ledger_accounts (kind, carrier_id, currency, provider, name)
        VALUES (p_kind, p_carrier, p_currency, p_provider, '')     -- ledger_accounts_new sets the name
        ON CONFLICT DO NOTHING RETURNING id INTO acc;
        IF acc IS NOT NULL THEN
            RETURN acc;
        END IF;
        -- created by a concurrent transaction meanwhile: read it again
    END LOOP;
    RAISE EXCEPTION 'ledger account % % % % could not be created', p_kind, p_carrier, p_currency, p_provider;
END $$;

-- The journal as the wire shows it. Customers (p_internal false) get
-- actor and reason as null.
CREATE FUNCTION ledger_journal_json(p_id bigint, p_internal boolean DEFAULT true)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('id', j.id, 'idempotency_key', j.idempotency_key, 'kind', j.kind,
        'carrier_id', j.carrier_id, 'side', j.side, 'amount', j.amount::text, 'currency', j.currency,
        'memo', j.memo, 'reason', CASE WHEN p_internal THEN j.reason END,
        'actor', CASE WHEN p_internal THEN j.actor END,
        'created_at', to_char(j.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'fx_rate_usd', j.fx_rate_usd::text,
        'entries', (SELECT coalesce(json_agg(json_build_object('account_id', a.id, 'account', a.name,
                        'account_kind', a.kind, 'carrier_id', a.carrier_id, 'amount', e.amount::text,
                        'currency', e.currency, 'usd_value', e.usd_value::text) ORDER BY e.id), '[]')
                      FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                     WHERE e.journal_id = j.id))
      FROM ledger_journals j WHERE j.id = p_id);
END $$;

-- Start of the 24-hour spend window: 24 hours ago (rolling), or the last
-- daily reset time in the carrier's time zone (fixed).
CREATE FUNCTION ledger_spend_since(p_mode text, p_reset time, p_tz text, p_now timestamptz)
RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_mode = 'fixed' THEN
        (date_trunc('day', p_now AT TIME ZONE p_tz) + coalesce(p_reset, time '00:00')
         - CASE WHEN (p_now AT TIME ZONE p_tz)::time < coalesce(p_reset, time '00:00')
                THEN interval '1 day' ELSE interval '0' END) AT TIME ZONE p_tz
    ELSE p_now - interval '24 hours' END
$$;

-- Charges on a carrier account since a time (debit-positive sum).
CREATE FUNCTION ledger_spend(p_account bigint, p_since timestamptz)
RETURNS numeric LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e
             WHERE e.account_id = p_account AND e.kind IN ('charge', 'cdr_charges') AND e.created_at >= p_since);
END $$;

-- A journal already posted under this key: its id, and whether it was
-- posted with exactly these params (else the key is being reused).
CREATE FUNCTION ledger_journal_by_key(p_key text, p_kind text, p_carrier bigint, p_side text, p_amount numeric,
    p_currency text, p_memo text, p_reason text, p_offset_kind text, p_provider text,
    OUT id bigint, OUT same boolean)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    SELECT j.id, (j.kind = p_kind AND j.carrier_id = p_carrier AND j.side = p_side AND j.amount = p_amount
                  AND j.currency = p_currency AND j.memo = p_memo AND j.reason IS NOT DISTINCT FROM p_reason
                  AND EXISTS (SELECT 1 FROM ledger_entries e JOIN ledger_accounts a ON a.id = e.account_id
                               WHERE e.journal_id = j.id AND a.kind = p_offset_kind
                                 AND a.provider IS NOT DISTINCT FROM p_provider))
      INTO id, same
      FROM ledger_journals j WHERE j.idempotency_key = p_key;
END $$;

-- Post one two-legged journal: the carrier account gets p_entry
-- (debit-positive), the offset platform account -p_entry. The caller (C,
-- server/ledger/posting.c) picks the offset account and the sign from its
-- posting rules; this does the rest in one round trip:
--   1. a key posted before answers 'duplicate' (same request, with that
--      journal) or 'mismatch' (the key was used for another posting);
--   2. the carrier: 'no_carrier', 'no_side' (a customer carrier has no
--      supplier side and the reverse), 'bad_currency' (not one of its
--      currencies, listed in `currencies`); the credit allowance is its
--      credit limit for the customer side of a postpaid carrier in its
--      first currency, else 0;
--   3. locks: the carrier account FOR UPDATE now (created on first use),
--      the platform account at commit (the trigger that keeps its cached
--      balance) — one order for every posting, so no deadlocks;
--   4. the key again (a twin may have committed while we waited for the
--      lock), then the credit guard when p_credit_checked: refused
--      ('credit', available = allowance + money the customer has) when
--      the charge would take available below zero; nothing is written;
--   5. journal and entries ('posted', with the ids and names the reply
--      needs); the triggers keep the cached balances and check at commit
--      that the journal balances; credit alert crossings (customer side,
--      first currency) in `alerts`.
CREATE FUNCTION ledger_post_journal(
    p_key text, p_kind text, p_carrier bigint, p_side text, p_amount numeric, p_currency text,
    p_memo text, p_reason text, p_actor text, p_actor_id bigint,
    p_offset_kind text, p_provider text, p_entry numeric, p_credit_checked boolean,
    OUT status text, OUT journal_id bigint, OUT created_at text,
    OUT account_id bigint, OUT account_name text, OUT offset_id bigint, OUT offset_name text,
    OUT available numeric, OUT currencies text, OUT journal json, OUT alerts json)
LANGUAGE plpgsql AS $$
DECLARE
    car record;
    acc_kind text := 'carrier_' || p_side;
    allowance numeric := 0;
    bal numeric;
    same boolean;
    spend_after numeric;
    al record;
    hits json[] := '{}';
    crossed boolean;
    val numeric;
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_journals j WHERE j.idempotency_key = p_key) THEN
        SELECT k.id, k.same INTO journal_id, same
          FROM ledger_journal_by_key(p_key, p_kind, p_carrier, p_side, p_amount, p_currency, p_memo, p_reason,
                                     p_offset_kind, p_provider) k;
        status := CASE WHEN same THEN 'duplicate' ELSE 'mismatch' END;
        journal := ledger_journal_json(journal_id);
        RETURN;
    END IF;

    SELECT c.type, c.currencies, c.customer_credit_type, c.credit_limit, c.spend_mode_24h, c.spend_reset_time,
           c.timezone
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
        IF p_credit_checked AND bal + p_entry > allowance THEN
            status := 'credit';
            available := allowance - bal;
            RETURN;
        END IF;
        INSERT INTO ledger_journals (idempotency_key, kind, carrier_id, side, amount, currency, memo, reason,
                                     actor, actor_id, fx_rate_usd)
        VALUES (p_key, p_kind, p_carrier, p_side, p_amount, p_currency, p_memo, p_reason, p_actor, p_actor_id,
                CASE WHEN p_currency = 'USD' THEN 1 END)
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING ledger_journals.id INTO journal_id;
        EXIT WHEN journal_id IS NOT NULL;
        -- none: a twin with this key committed after our look; the next look answers it
    END LOOP;
    IF journal_id IS NULL THEN
        RAISE EXCEPTION 'ledger journal % neither posted nor found', p_key;
    END IF;
    INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
    VALUES (journal_id, account_id, p_entry, p_currency, CASE WHEN p_currency = 'USD' THEN p_entry END, p_kind),
           (journal_id, offset_id, -p_entry, p_currency, CASE WHEN p_currency = 'USD' THEN -p_entry END, p_kind);
    status := 'posted';
    created_at := to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');

    IF p_side = 'customer' AND p_currency = car.currencies[1] THEN
        FOR al IN SELECT a.id, a.type, a.threshold FROM credit_alerts a
                   WHERE a.carrier_id = p_carrier AND a.enabled AND a.deleted_at IS NULL ORDER BY a.id LOOP
            crossed := false;
            IF al.type = 'low_balance' THEN          -- available falls below the threshold
                val := allowance - (bal + p_entry);
                crossed := allowance - bal >= al.threshold AND val < al.threshold;
            ELSIF al.type = 'high_balance' THEN      -- what the customer owes reaches the threshold
                val := bal + p_entry;
                crossed := bal < al.threshold AND val >= al.threshold;
            ELSIF al.type = 'spend_24h_breach' AND p_kind IN ('charge', 'cdr_charges') AND p_entry > 0 THEN
                IF spend_after IS NULL THEN
                    spend_after := ledger_spend(account_id, ledger_spend_since(car.spend_mode_24h,
                                                car.spend_reset_time, car.timezone, now()));
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
        IF cardinality(hits) > 0 THEN
            alerts := array_to_json(hits);
        END IF;
    END IF;
END $$;

-- ---- credit control figures ----

-- The figures of one carrier in one currency (default: its first). The
-- credit limit applies to the first currency of a postpaid customer;
-- accounts in its other currencies are prepaid until FX lands. Balances
-- here are as the carrier sees them: customer = money it has with us,
-- supplier = what we owe it; net_exposure = what it owes us after netting.
CREATE FUNCTION ledger_figures(p_carrier bigint, p_currency text DEFAULT NULL)
RETURNS TABLE (carrier_type text, currency text, credit_type text, customer_balance numeric, credit_limit numeric,
               available numeric, supplier_balance numeric, net_exposure numeric, bilateral_limit numeric,
               bilateral_breach text, spend_customer numeric, spend_supplier numeric, spend_limit numeric,
               spend_breach text, spend_mode text, spend_since timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT c.type, c.cur, c.customer_credit_type,
           (-coalesce(cu.balance, 0))::numeric(20,6),
           lim.credit::numeric(20,6),
           (lim.credit - coalesce(cu.balance, 0))::numeric(20,6),
           (-coalesce(su.balance, 0))::numeric(20,6),
           (coalesce(cu.balance, 0) + coalesce(su.balance, 0))::numeric(20,6),
           c.bilateral_limit, c.bilateral_limit_breach,
           (CASE WHEN cu.id IS NULL THEN 0 ELSE ledger_spend(cu.id, c.since) END)::numeric(20,6),
           (CASE WHEN su.id IS NULL THEN 0 ELSE -ledger_spend(su.id, c.since) END)::numeric(20,6),
           c.spend_limit_24h, c.spend_limit_24h_breach, c.spend_mode_24h, c.since
      FROM (SELECT t.*, coalesce(p_currency, t.currencies[1]) AS cur,
                   ledger_spend_since(t.spend_mode_24h, t.spend_reset_time, t.timezone, now()) AS since
              FROM carriers t WHERE t.id = p_carrier) c
      CROSS JOIN LATERAL (SELECT CASE WHEN c.customer_credit_type = 'postpaid' AND c.cur = c.currencies[1]
                                      THEN c.credit_limit ELSE 0 END AS credit) lim
      LEFT JOIN ledger_accounts cu ON cu.carrier_id = c.id AND cu.kind = 'carrier_customer' AND cu.currency = c.cur
      LEFT JOIN ledger_accounts su ON su.carrier_id = c.id AND su.kind = 'carrier_supplier' AND su.currency = c.cur
$$;

-- carrier.get's "balances" (first currency); shape in docs/protocol.md.
CREATE FUNCTION ledger_carrier_balances(p_carrier bigint)
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
            'customer_remaining', (f.spend_limit - f.spend_customer)::numeric(20,6)::text))
      FROM ledger_figures(p_carrier) f);
END $$;

-- ledger.balance; shape in docs/protocol.md.
CREATE FUNCTION ledger_balance_json(p_carrier bigint, p_currency text DEFAULT NULL)
RETURNS json LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT json_build_object('carrier_id', p_carrier, 'currency', f.currency,
        'customer', json_build_object('balance', f.customer_balance::text, 'currency', f.currency,
            'credit_type', f.credit_type, 'credit_limit', f.credit_limit::text, 'available', f.available::text),
        'supplier', json_build_object('balance', f.supplier_balance::text, 'currency', f.currency),
        'net_exposure', f.net_exposure::text,
        'bilateral', CASE WHEN f.carrier_type = 'bilateral' THEN json_build_object('limit', f.bilateral_limit::text,
            'remaining', (f.bilateral_limit - f.net_exposure)::numeric(20,6)::text, 'breach', f.bilateral_breach) END,
        'spend_24h', json_build_object('customer', f.spend_customer::text, 'supplier', f.spend_supplier::text,
            'customer_limit', f.spend_limit::text,
            'customer_remaining', (f.spend_limit - f.spend_customer)::numeric(20,6)::text,
            'breach', f.spend_breach, 'mode', f.spend_mode,
            'since', to_char(f.spend_since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')))
      FROM ledger_figures(p_carrier, p_currency) f);
END $$;
