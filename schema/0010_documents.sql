-- 0010: the documents of the ledger (issue 6) — invoices, credit notes and
-- netting documents with their numbers, netting journals, and the
-- statement of account. docs/documents.md has the rules; this file has the
-- mechanics. The C side is server/ledger/documents.c, statement.c and
-- invoices.c.
--
-- A document is issued once and never changed: its lines are a snapshot
-- of the ledger (and of the carrier's name and billing details) as they
-- were when it was issued. The only change ever made to one is an
-- invoice's status going from 'issued' to 'void', with a reason.

-- ---- a new kind of journal: netting ----
-- A bilateral carrier owes us on its customer side and we owe it on its
-- supplier side; a netting journal offsets the two (Dr carrier_supplier,
-- Cr carrier_customer). The kind CHECK is rebuilt from whatever kinds the
-- constraint allows when this runs (0006's, and any a later slice added
-- before this file), plus 'netting'.
DO $$
DECLARE
    def text;
    kinds text[];
BEGIN
    SELECT pg_get_constraintdef(c.oid) INTO def FROM pg_constraint c
     WHERE c.conrelid = 'ledger_journals'::regclass AND c.conname = 'ledger_journals_kind_check';
    IF def IS NULL THEN
        RAISE EXCEPTION 'ledger_journals_kind_check not found';
    END IF;
    SELECT array_agg(DISTINCT m[1] ORDER BY m[1]) INTO kinds FROM regexp_matches(def, '''([a-z0-9_]+)''', 'g') m;
    IF NOT 'topup' = ANY (kinds) OR NOT 'cdr_charges' = ANY (kinds) THEN
        RAISE EXCEPTION 'unexpected ledger_journals_kind_check: %', def;
    END IF;
    IF NOT 'netting' = ANY (kinds) THEN
        kinds := kinds || 'netting'::text;
    END IF;
    ALTER TABLE ledger_journals DROP CONSTRAINT ledger_journals_kind_check;
    EXECUTE 'ALTER TABLE ledger_journals ADD CONSTRAINT ledger_journals_kind_check CHECK (kind IN ('
            || (SELECT string_agg(quote_literal(k), ', ') FROM unnest(kinds) k) || '))';
END $$;

-- Statements and invoices read a carrier account's entries by time.
CREATE INDEX ledger_entries_account_time_idx ON ledger_entries (account_id, created_at) INCLUDE (amount, journal_id);

-- ---- numbers ----
-- One counter per prefix (INV, CN, NET) and year. A document takes its
-- number with an UPDATE of its counter row in the transaction that issues
-- it, as late as possible (after every check), and keeps the row locked
-- until it commits: a transaction that rolls back rolls its number back,
-- and the next one takes the same number. So committed numbers of a
-- prefix and year run 1, 2, 3 ... with no gap and no repeat, in the order
-- the documents were issued.
CREATE TABLE document_numbers (
    prefix text NOT NULL CHECK (prefix IN ('INV', 'CN', 'NET')),
    year   integer NOT NULL,
    last   bigint NOT NULL CHECK (last >= 1),
    PRIMARY KEY (prefix, year)
);

-- The next number of a prefix, and the issue time that goes with it:
-- taken after the counter row is locked, so numbers and issue times run
-- in the same order. The year is UTC's; a transaction that straddles New
-- Year's midnight keeps the year it locked and is issued at that year's
-- last microsecond.
CREATE FUNCTION document_number(p_prefix text, OUT number text, OUT issued_at timestamptz)
LANGUAGE plpgsql AS $$
DECLARE
    y integer := extract(year FROM clock_timestamp() AT TIME ZONE 'UTC');
    n bigint;
BEGIN
    INSERT INTO document_numbers AS d (prefix, year, last) VALUES (p_prefix, y, 1)
    ON CONFLICT (prefix, year) DO UPDATE SET last = d.last + 1
    RETURNING d.last INTO n;
    issued_at := clock_timestamp();
    IF extract(year FROM issued_at AT TIME ZONE 'UTC') <> y THEN
        issued_at := make_timestamptz(y, 12, 31, 23, 59, 59.999999, 'UTC');
    END IF;
    number := p_prefix || '-' || y || '-' || lpad(n::text, 6, '0');
END $$;

-- ---- documents ----
CREATE TABLE invoices (
    id              bigserial PRIMARY KEY,
    number          text NOT NULL CHECK (number ~ '^(INV|CN|NET)-[0-9]{4}-[0-9]{6,}$'),
    type            text NOT NULL CHECK (type IN ('invoice', 'credit_note', 'netting')),
    carrier_id      bigint NOT NULL REFERENCES carriers (id),
    side            text CHECK (side IN ('customer', 'supplier')),    -- NULL for netting (both sides)
    currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    period_start    timestamptz,                                       -- invoices: the period [start, end)
    period_end      timestamptz,
    issued_at       timestamptz NOT NULL,
    due_at          timestamptz,                                       -- invoices
    status          text NOT NULL DEFAULT 'issued' CHECK (status IN ('issued', 'void')),
    subtotal        numeric(20,6) NOT NULL,
    total           numeric(20,6) NOT NULL,
    lines           jsonb NOT NULL,                                    -- the snapshot (docs/documents.md)
    party           jsonb NOT NULL,                                    -- the carrier as it was at issue
    journal_id      bigint REFERENCES ledger_journals (id),            -- credit notes and netting: what was posted
    invoice_id      bigint REFERENCES invoices (id),                   -- credit notes: the invoice credited
    memo            text NOT NULL DEFAULT '',
    reason          text,                                              -- credit notes: why
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 128),
    request         jsonb NOT NULL,                                    -- the params it was issued for
    created_by      text NOT NULL,                                     -- username, or "system"
    created_by_id   bigint,
    void_reason     text,
    voided_at       timestamptz,
    voided_by       text,
    CONSTRAINT invoices_number_key UNIQUE (number),
    CONSTRAINT invoices_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT invoices_side CHECK ((type = 'netting') = (side IS NULL)),
    CONSTRAINT invoices_period CHECK ((type = 'invoice') = (period_start IS NOT NULL AND period_end IS NOT NULL
                                                           AND due_at IS NOT NULL)
                                      AND (period_start IS NULL OR period_end > period_start)),
    CONSTRAINT invoices_journal CHECK ((type = 'invoice') = (journal_id IS NULL)),
    CONSTRAINT invoices_credits CHECK (invoice_id IS NULL OR type = 'credit_note'),
    CONSTRAINT invoices_void CHECK ((status = 'void') = (voided_at IS NOT NULL)
                                    AND (status = 'issued' OR (type = 'invoice'
                                         AND length(btrim(coalesce(void_reason, ''))) > 0)))
);
CREATE INDEX invoices_carrier_idx ON invoices (carrier_id, id);
CREATE INDEX invoices_period_idx ON invoices (carrier_id, side, currency, period_start)
    WHERE type = 'invoice' AND status = 'issued';
CREATE INDEX invoices_journal_idx ON invoices (journal_id) WHERE journal_id IS NOT NULL;
CREATE INDEX invoices_credited_idx ON invoices (invoice_id) WHERE invoice_id IS NOT NULL;

-- Issued is final: nothing changes but an invoice's status, once, from
-- issued to void (with the reason, time and who). Never deleted.
CREATE FUNCTION invoices_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR OLD.status <> 'issued' OR NEW.status <> 'void'
       OR (to_jsonb(NEW) - ARRAY['status', 'void_reason', 'voided_at', 'voided_by'])
          <> (to_jsonb(OLD) - ARRAY['status', 'void_reason', 'voided_at', 'voided_by']) THEN
        RAISE EXCEPTION 'an issued document is never changed or deleted; only an invoice may be voided'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_immutable BEFORE UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_guard();
CREATE TRIGGER invoices_no_truncate BEFORE TRUNCATE ON invoices
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_immutable();

-- Advisory lock classes (two-int form; migrations use the one-bigint form).
--   74801: an idempotency key — requests with one key run one at a time,
--          so the second finds the first's document;
--   74802: the invoices of one carrier side and currency — the overlap
--          check and the insert are one step.
CREATE FUNCTION document_lock_key(p_key text) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(74801, hashtext(p_key))
$$;
CREATE FUNCTION document_lock_invoices(p_carrier bigint, p_side text, p_currency text) RETURNS void
LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(74802, hashtext(p_carrier || ':' || p_side || ':' || p_currency))
$$;

-- Two issued invoices of one carrier side and currency never cover the
-- same time, whoever inserts (invoice.create checks first, to answer with
-- the other invoice; this is the backstop).
CREATE FUNCTION invoices_no_overlap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    other text;
BEGIN
    IF NEW.type = 'invoice' AND NEW.status = 'issued' THEN
        PERFORM document_lock_invoices(NEW.carrier_id, NEW.side, NEW.currency);
        SELECT i.number INTO other FROM invoices i
         WHERE i.carrier_id = NEW.carrier_id AND i.side = NEW.side AND i.currency = NEW.currency
           AND i.type = 'invoice' AND i.status = 'issued' AND i.id <> NEW.id
           AND i.period_start < NEW.period_end AND NEW.period_start < i.period_end
         LIMIT 1;
        IF other IS NOT NULL THEN
            RAISE EXCEPTION 'invoice period overlaps %', other USING ERRCODE = 'exclusion_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER invoices_overlap BEFORE INSERT ON invoices
    FOR EACH ROW EXECUTE FUNCTION invoices_no_overlap();

-- "2026-03-01" in a time zone, or an RFC 3339 time (C has checked the
-- text is one or the other).
CREATE FUNCTION document_instant(p_text text, p_tz text) RETURNS timestamptz LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_text ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' THEN p_text::date::timestamp AT TIME ZONE p_tz
                ELSE p_text::timestamptz END
$$;

CREATE FUNCTION document_ts(p_t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT to_char(p_t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;

-- A time as the carrier reads it: "2026-03-01" at midnight, else
-- "2026-03-01 14:30".
CREATE FUNCTION document_local(p_t timestamptz, p_tz text) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN (p_t AT TIME ZONE p_tz)::time = '00:00' THEN to_char(p_t AT TIME ZONE p_tz, 'YYYY-MM-DD')
                ELSE to_char(p_t AT TIME ZONE p_tz, 'YYYY-MM-DD HH24:MI') END
$$;

-- A period [p_from, p_to) as the carrier reads it: "2026-03-01 to
-- 2026-03-31" when both ends are local midnights (the last day shown is
-- the day before the end), else "2026-03-01 10:00 to 2026-03-02 10:00
-- (end excluded)".
CREATE FUNCTION document_period_label(p_from timestamptz, p_to timestamptz, p_tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN (p_from AT TIME ZONE p_tz)::time = '00:00' AND (p_to AT TIME ZONE p_tz)::time = '00:00'
                THEN to_char(p_from AT TIME ZONE p_tz, 'YYYY-MM-DD') || ' to '
                     || to_char((p_to AT TIME ZONE p_tz) - interval '1 day', 'YYYY-MM-DD')
                ELSE document_local(p_from, p_tz) || ' to ' || document_local(p_to, p_tz) || ' (end excluded)' END
$$;

-- What the carrier is, for a document: its name and billing details now.
CREATE FUNCTION document_party(p_carrier bigint, p_side text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('carrier_id', c.id, 'name', c.name, 'type', c.type, 'timezone', c.timezone,
        'bill_to', c.bill_to, 'ship_to', c.ship_to, 'tax_code', c.tax_code,
        'account_number', CASE WHEN p_side = 'supplier' THEN c.supplier_account_number
                               ELSE c.customer_account_number END)
      FROM carriers c WHERE c.id = p_carrier
$$;

-- A document as the wire shows it. Customers (p_internal false) get
-- created_by and voided_by as null.
CREATE FUNCTION document_json(p_id bigint, p_internal boolean DEFAULT true)
RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', d.id, 'number', d.number, 'type', d.type, 'status', d.status,
        'carrier_id', d.carrier_id, 'side', d.side, 'currency', d.currency,
        'period_start', document_ts(d.period_start), 'period_end', document_ts(d.period_end),
        'period_start_local', document_local(d.period_start, d.party->>'timezone'),
        'period_end_local', document_local(d.period_end, d.party->>'timezone'),
        'period_label', document_period_label(d.period_start, d.period_end, d.party->>'timezone'),
        'issued_at', document_ts(d.issued_at), 'due_at', document_ts(d.due_at),
        'issued_date', to_char(d.issued_at AT TIME ZONE (d.party->>'timezone'), 'YYYY-MM-DD'),
        'due_date', to_char(d.due_at AT TIME ZONE (d.party->>'timezone'), 'YYYY-MM-DD'),
        'subtotal', d.subtotal::text, 'total', d.total::text, 'lines', d.lines, 'party', d.party,
        'journal_id', d.journal_id, 'invoice_id', d.invoice_id,
        'invoice_number', (SELECT i.number FROM invoices i WHERE i.id = d.invoice_id),
        'memo', d.memo, 'reason', d.reason, 'idempotency_key', d.idempotency_key,
        'created_by', CASE WHEN p_internal THEN d.created_by END,
        'void_reason', d.void_reason, 'voided_at', document_ts(d.voided_at),
        'voided_by', CASE WHEN p_internal THEN d.voided_by END)
      FROM invoices d WHERE d.id = p_id
$$;

-- A document issued before under this key: its id and whether it was
-- issued for exactly this request. Takes the key's lock first, so a twin
-- request waits here until the first commits and then finds its document.
CREATE FUNCTION document_by_key(p_key text, p_request jsonb, OUT id bigint, OUT same boolean)
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM document_lock_key(p_key);
    SELECT d.id, d.request = p_request INTO id, same FROM invoices d WHERE d.idempotency_key = p_key;
END $$;

-- ---- invoices ----

-- What a carrier side was charged in [p_from, p_to): rated usage by
-- destination (ledger_cdr_lines of the cdr_charges journals posted in
-- the period) and the other charges (`charge` journals), as invoice lines
-- with amounts > 0, and their sum. Goes by posting time, like statements.
CREATE FUNCTION document_charges(p_account bigint, p_side text, p_from timestamptz, p_to timestamptz, p_tz text,
                                 OUT lines jsonb, OUT subtotal numeric)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    WITH e AS (SELECT x.journal_id, x.amount, x.created_at, x.kind FROM ledger_entries x
                WHERE x.account_id = p_account AND x.created_at >= p_from AND x.created_at < p_to
                  AND x.kind IN ('cdr_charges', 'charge')),
    usage AS (SELECT l.destination, sum(l.calls) AS calls, sum(l.seconds) AS seconds, sum(l.amount) AS amount
                FROM e JOIN ledger_cdr_lines l ON l.journal_id = e.journal_id AND l.account_id = p_account
               WHERE e.kind = 'cdr_charges'
               GROUP BY l.destination),
    items AS (SELECT 0 AS grp, u.destination AS k1, 0::bigint AS k2, jsonb_build_object('type', 'usage',
                     'destination', u.destination, 'calls', u.calls, 'seconds', u.seconds,
                     'minutes', round(u.seconds / 60.0, 2)::text,
                     'amount', u.amount::numeric(20,6)::text) AS line, u.amount
                FROM usage u
              UNION ALL
              SELECT 1, to_char(e.created_at, 'YYYYMMDDHH24MISSUS'), e.journal_id, jsonb_build_object('type', 'charge',
                     'journal_id', e.journal_id, 'date', to_char(e.created_at AT TIME ZONE p_tz, 'YYYY-MM-DD'),
                     'at', document_ts(e.created_at), 'memo', j.memo,
                     'amount', (CASE WHEN p_side = 'supplier' THEN -e.amount ELSE e.amount END)::numeric(20,6)::text),
                     CASE WHEN p_side = 'supplier' THEN -e.amount ELSE e.amount END
                FROM e JOIN ledger_journals j ON j.id = e.journal_id
               WHERE e.kind = 'charge')
    SELECT coalesce(jsonb_agg(i.line ORDER BY i.grp, i.k1, i.k2), '[]'), coalesce(sum(i.amount), 0)
      INTO lines, subtotal FROM items i;
END $$;

-- invoice.create: the mechanics in one round trip. C has checked the
-- fields; p_start / p_end are dates (in the carrier's time zone) or RFC
-- 3339 times. status:
--   'no_carrier', 'no_side', 'bad_currency' (currencies lists the
--   carrier's), 'bad_period' (end not after start), 'too_long' (over 367
--   days), 'future' (the period has not ended 5 s ago), 'overlap' (id,
--   other_number: an issued invoice covers part of the period),
--   'duplicate' / 'mismatch' (the key was used before, for this request
--   or another; id), 'created' (id; the document in doc).
CREATE FUNCTION document_invoice_create(p_key text, p_carrier bigint, p_side text, p_currency text,
    p_start text, p_end text, p_due_days integer, p_actor text, p_actor_id bigint,
    OUT status text, OUT id bigint, OUT other_number text, OUT currencies text, OUT doc json)
LANGUAGE plpgsql AS $$
DECLARE
    car record;
    v_side text;
    v_cur text;
    t0 timestamptz;
    t1 timestamptz;
    req jsonb;
    same boolean;
    acc bigint;
    snap_lines jsonb := '[]';
    snap_total numeric := 0;
    num record;
BEGIN
    SELECT c.type, c.currencies, c.timezone INTO car FROM carriers c WHERE c.id = p_carrier AND c.deleted_at IS NULL;
    IF NOT FOUND THEN
        status := 'no_carrier';
        RETURN;
    END IF;
    currencies := array_to_string(car.currencies, ', ');
    v_side := coalesce(p_side, CASE WHEN car.type = 'supplier' THEN 'supplier' ELSE 'customer' END);
    IF car.type <> 'bilateral' AND car.type <> v_side THEN
        status := 'no_side';
        RETURN;
    END IF;
    v_cur := coalesce(p_currency, car.currencies[1]);
    IF NOT v_cur = ANY (car.currencies) THEN
        status := 'bad_currency';
        RETURN;
    END IF;
    t0 := document_instant(p_start, car.timezone);
    t1 := document_instant(p_end, car.timezone);
    req := jsonb_build_object('type', 'invoice', 'carrier_id', p_carrier, 'side', v_side, 'currency', v_cur,
                              'period_start', document_ts(t0), 'period_end', document_ts(t1));
    SELECT k.id, k.same INTO id, same FROM document_by_key(p_key, req) k;
    IF id IS NOT NULL THEN
        status := CASE WHEN same THEN 'duplicate' ELSE 'mismatch' END;
        doc := document_json(id);
        RETURN;
    END IF;
    IF t1 <= t0 THEN
        status := 'bad_period';
        RETURN;
    END IF;
    IF t1 - t0 > interval '367 days' THEN
        status := 'too_long';
        RETURN;
    END IF;
    -- A posting's entries carry its transaction's start time: one that
    -- started before the period ended may still be committing. The period
    -- must have ended a few seconds ago, and the account's row lock (which
    -- every posting takes first) is waited for below, so such a posting is
    -- in the snapshot the lines are read from rather than lost between two
    -- invoices.
    IF t1 > now() - interval '5 seconds' THEN
        status := 'future';
        RETURN;
    END IF;
    PERFORM document_lock_invoices(p_carrier, v_side, v_cur);
    SELECT i.id, i.number INTO id, other_number FROM invoices i
     WHERE i.carrier_id = p_carrier AND i.side = v_side AND i.currency = v_cur AND i.type = 'invoice'
       AND i.status = 'issued' AND i.period_start < t1 AND t0 < i.period_end
     ORDER BY i.period_start LIMIT 1;
    IF id IS NOT NULL THEN
        status := 'overlap';
        RETURN;
    END IF;
    SELECT a.id INTO acc FROM ledger_accounts a
     WHERE a.carrier_id = p_carrier AND a.kind = 'carrier_' || v_side AND a.currency = v_cur;
    IF acc IS NOT NULL THEN
        PERFORM 1 FROM ledger_accounts a WHERE a.id = acc FOR SHARE;
        SELECT c.lines, c.subtotal INTO snap_lines, snap_total FROM document_charges(acc, v_side, t0, t1, car.timezone) c;
    END IF;
    SELECT n.number, n.issued_at INTO num FROM document_number('INV') n;
    INSERT INTO invoices (number, type, carrier_id, side, currency, period_start, period_end, issued_at, due_at,
                          subtotal, total, lines, party, idempotency_key, request, created_by, created_by_id)
    VALUES (num.number, 'invoice', p_carrier, v_side, v_cur, t0, t1, num.issued_at,
            num.issued_at + make_interval(days => p_due_days), snap_total, snap_total, snap_lines,
            document_party(p_carrier, v_side), p_key, req, p_actor, p_actor_id)
    RETURNING invoices.id INTO id;
    status := 'created';
    doc := document_json(id);
END $$;

-- A credit note's document, after C has posted its journal (ledger_post).
CREATE FUNCTION document_credit_note_issue(p_key text, p_request jsonb, p_carrier bigint, p_side text,
    p_currency text, p_amount numeric, p_reason text, p_memo text, p_invoice bigint, p_journal bigint,
    p_actor text, p_actor_id bigint, OUT id bigint, OUT doc json)
LANGUAGE plpgsql AS $$
DECLARE
    num record;
BEGIN
    SELECT n.number, n.issued_at INTO num FROM document_number('CN') n;
    INSERT INTO invoices (number, type, carrier_id, side, currency, issued_at, subtotal, total, lines, party,
                          journal_id, invoice_id, memo, reason, idempotency_key, request, created_by, created_by_id)
    VALUES (num.number, 'credit_note', p_carrier, p_side, p_currency, num.issued_at, p_amount, p_amount,
            jsonb_build_array(jsonb_build_object('type', 'credit', 'description', p_reason,
                                                 'amount', p_amount::numeric(20,6)::text)),
            document_party(p_carrier, p_side), p_journal, p_invoice, coalesce(p_memo, ''), p_reason, p_key,
            p_request, p_actor, p_actor_id)
    RETURNING invoices.id INTO id;
    doc := document_json(id);
END $$;

-- ---- netting ----
-- netting.create: the mechanics in one round trip. Locks the key, then
-- the carrier's two accounts in account id order (docs/ledger.md: carrier
-- accounts before anything else, in id order), nets p_amount (NULL: the
-- most it can) and issues the document. Posted balances only: CDR charges
-- still queued (ledger_cdr_pending) are netted once posted. status:
--   'duplicate' / 'mismatch' (id), 'no_carrier', 'not_bilateral',
--   'bad_currency' (currencies), 'nothing' (customer_owes, we_owe: one of
--   them is 0), 'too_large' (nettable), 'key_used' (journal_id: a ledger
--   posting already has the journal key), 'created' (id, journal_id, json,
--   journal).
CREATE FUNCTION document_netting_create(p_key text, p_request jsonb, p_carrier bigint, p_currency text,
    p_amount numeric, p_memo text, p_actor text, p_actor_id bigint,
    OUT status text, OUT id bigint, OUT journal_id bigint, OUT currencies text, OUT customer_owes numeric,
    OUT we_owe numeric, OUT nettable numeric, OUT doc json, OUT journal json)
LANGUAGE plpgsql AS $$
DECLARE
    car record;
    same boolean;
    cu record;
    su record;
    a numeric;
    rate numeric;
    jkey text := 'doc:' || p_key;
    num record;
BEGIN
    SELECT k.id, k.same INTO id, same FROM document_by_key(p_key, p_request) k;
    IF id IS NOT NULL THEN
        status := CASE WHEN same THEN 'duplicate' ELSE 'mismatch' END;
        doc := document_json(id);
        RETURN;
    END IF;
    SELECT c.type, c.currencies INTO car FROM carriers c WHERE c.id = p_carrier AND c.deleted_at IS NULL;
    IF NOT FOUND THEN
        status := 'no_carrier';
        RETURN;
    END IF;
    currencies := array_to_string(car.currencies, ', ');
    IF car.type <> 'bilateral' THEN
        status := 'not_bilateral';
        RETURN;
    END IF;
    IF NOT p_currency = ANY (car.currencies) THEN
        status := 'bad_currency';
        RETURN;
    END IF;
    -- both accounts, locked in id order (created on first use: netting
    -- against a missing side finds nothing to net, below)
    PERFORM ledger_account_id('carrier_customer', p_carrier, p_currency, NULL);
    PERFORM ledger_account_id('carrier_supplier', p_carrier, p_currency, NULL);
    PERFORM 1 FROM ledger_accounts x
      WHERE x.carrier_id = p_carrier AND x.currency = p_currency AND x.kind IN ('carrier_customer', 'carrier_supplier')
      ORDER BY x.id FOR UPDATE;
    SELECT x.id, x.name, x.balance INTO cu FROM ledger_accounts x
     WHERE x.carrier_id = p_carrier AND x.currency = p_currency AND x.kind = 'carrier_customer';
    SELECT x.id, x.name, x.balance INTO su FROM ledger_accounts x
     WHERE x.carrier_id = p_carrier AND x.currency = p_currency AND x.kind = 'carrier_supplier';
    customer_owes := greatest(cu.balance, 0)::numeric(20,6);      -- debit balance: it owes us
    we_owe := greatest(-su.balance, 0)::numeric(20,6);            -- credit balance: we owe it
    nettable := least(customer_owes, we_owe);
    IF nettable <= 0 THEN
        status := 'nothing';
        RETURN;
    END IF;
    IF p_amount > nettable THEN
        status := 'too_large';
        RETURN;
    END IF;
    a := coalesce(p_amount, nettable);
    SELECT j.id INTO journal_id FROM ledger_journals j WHERE j.idempotency_key = jkey;
    IF journal_id IS NOT NULL THEN
        status := 'key_used';
        RETURN;
    END IF;
    rate := ledger_usd_rate(p_currency);
    INSERT INTO ledger_journals (idempotency_key, kind, carrier_id, side, amount, currency, memo, actor, actor_id,
                                 fx_rate_usd)
    VALUES (jkey, 'netting', p_carrier, NULL, a, p_currency, coalesce(p_memo, ''), p_actor, p_actor_id, rate)
    RETURNING ledger_journals.id INTO journal_id;
    -- Dr carrier_supplier (we owe less), Cr carrier_customer (it owes less); in account id order
    INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
    SELECT journal_id, x.acc, x.amt, p_currency, round(x.amt * rate, 6), 'netting'
      FROM (VALUES (su.id, a), (cu.id, -a)) AS x(acc, amt) ORDER BY x.acc;
    SELECT n.number, n.issued_at INTO num FROM document_number('NET') n;
    INSERT INTO invoices (number, type, carrier_id, side, currency, issued_at, subtotal, total, lines, party,
                          journal_id, memo, idempotency_key, request, created_by, created_by_id)
    VALUES (num.number, 'netting', p_carrier, NULL, p_currency, num.issued_at, a, a,
            jsonb_build_array(
                jsonb_build_object('type', 'netting', 'side', 'customer', 'account', cu.name,
                    'description', 'Customer balance (money it has with us)',
                    'before', (-cu.balance)::numeric(20,6)::text, 'after', (-cu.balance + a)::numeric(20,6)::text,
                    'amount', a::numeric(20,6)::text),
                jsonb_build_object('type', 'netting', 'side', 'supplier', 'account', su.name,
                    'description', 'Supplier balance (what we owe it)',
                    'before', (-su.balance)::numeric(20,6)::text, 'after', (-su.balance - a)::numeric(20,6)::text,
                    'amount', (-a)::numeric(20,6)::text)),
            document_party(p_carrier, NULL), journal_id, coalesce(p_memo, ''), p_key, p_request, p_actor,
            p_actor_id)
    RETURNING invoices.id INTO id;
    status := 'created';
    doc := document_json(id);
    journal := ledger_journal_json(journal_id);
END $$;

-- ---- statements ----
-- One line of a statement before its running balance: a journal on the
-- account, or a day's rated usage (every cdr_charges journal of that day).
CREATE TYPE document_statement_item AS (at timestamptz, ord bigint, journal_id bigint, journals integer,
    kind text, memo text, amount numeric, calls bigint, seconds bigint, day text);

-- The statement of account of one carrier side and currency over
-- [p_from, p_to), as the carrier sees its balance (docs/ledger.md: the
-- carrier account's entries negated). A STABLE function reads everything
-- as of the one snapshot of the statement that calls it, so opening +
-- movements = closing exactly and, for p_to = now, closing = the posted
-- balance. Lines: one per journal on the account, except rated usage
-- (cdr_charges, about one journal a second), which is one line per day in
-- the carrier's time zone, placed at that day's last usage posting.
-- Entries of amount 0 (an FX revaluation moves only USD values) are no
-- lines. Returns {too_many: n} when there would be more than p_max_lines
-- lines.
CREATE FUNCTION document_statement(p_carrier bigint, p_side text, p_currency text, p_from timestamptz,
                                   p_to timestamptz, p_max_lines integer)
RETURNS json LANGUAGE plpgsql STABLE AS $$
DECLARE
    car record;
    acc record;
    since_from numeric;
    since_to numeric;
    opening numeric := 0;
    closing numeric := 0;
    n bigint;
    items document_statement_item[] := '{}';
    lines json;
    summary json;
    destinations json := '[]';
BEGIN
    SELECT c.id, c.name, c.type, c.timezone INTO car FROM carriers c WHERE c.id = p_carrier;
    SELECT a.id, a.name, a.balance INTO acc FROM ledger_accounts a
     WHERE a.carrier_id = p_carrier AND a.kind = 'carrier_' || p_side AND a.currency = p_currency;
    IF acc.id IS NOT NULL THEN
        -- the cached balance is the sum of every entry (same snapshot)
        SELECT coalesce(sum(e.amount), 0) INTO since_from FROM ledger_entries e
         WHERE e.account_id = acc.id AND e.created_at >= p_from;
        SELECT coalesce(sum(e.amount), 0) INTO since_to FROM ledger_entries e
         WHERE e.account_id = acc.id AND e.created_at >= p_to;
        opening := -(acc.balance - since_from);
        closing := -(acc.balance - since_to);

        SELECT count(*) FILTER (WHERE e.kind <> 'cdr_charges')
               + count(DISTINCT (e.created_at AT TIME ZONE car.timezone)::date) FILTER (WHERE e.kind = 'cdr_charges')
          INTO n FROM ledger_entries e
         WHERE e.account_id = acc.id AND e.created_at >= p_from AND e.created_at < p_to AND e.amount <> 0;
        IF n > p_max_lines THEN
            RETURN json_build_object('too_many', n);
        END IF;

        SELECT coalesce(array_agg(q ORDER BY q.at, q.ord), '{}') INTO items FROM (
            SELECT e.created_at AS at, e.id AS ord, e.journal_id, 1 AS journals, e.kind, j.memo, e.amount,
                   NULL::bigint AS calls, NULL::bigint AS seconds,
                   to_char(e.created_at AT TIME ZONE car.timezone, 'YYYY-MM-DD') AS day
              FROM ledger_entries e JOIN ledger_journals j ON j.id = e.journal_id
             WHERE e.account_id = acc.id AND e.created_at >= p_from AND e.created_at < p_to AND e.amount <> 0
               AND e.kind <> 'cdr_charges'
            UNION ALL
            SELECT max(e.created_at), max(e.id), NULL, count(*)::integer, 'cdr_charges', NULL, sum(e.amount),
                   sum(l.calls)::bigint, sum(l.seconds)::bigint,
                   to_char(e.created_at AT TIME ZONE car.timezone, 'YYYY-MM-DD')
              FROM ledger_entries e
              LEFT JOIN LATERAL (SELECT sum(x.calls) AS calls, sum(x.seconds) AS seconds FROM ledger_cdr_lines x
                                  WHERE x.journal_id = e.journal_id AND x.account_id = acc.id) l ON true
             WHERE e.account_id = acc.id AND e.created_at >= p_from AND e.created_at < p_to AND e.amount <> 0
               AND e.kind = 'cdr_charges'
             GROUP BY to_char(e.created_at AT TIME ZONE car.timezone, 'YYYY-MM-DD')) q;

        SELECT coalesce(json_agg(json_build_object('destination', d.destination, 'calls', d.calls,
                   'seconds', d.seconds, 'minutes', round(d.seconds / 60.0, 2)::text,
                   'amount', d.amount::numeric(20,6)::text) ORDER BY d.destination), '[]')
          INTO destinations
          FROM (SELECT l.destination, sum(l.calls) AS calls, sum(l.seconds) AS seconds, sum(l.amount) AS amount
                  FROM ledger_entries e
                  JOIN ledger_cdr_lines l ON l.journal_id = e.journal_id AND l.account_id = e.account_id
                 WHERE e.account_id = acc.id AND e.kind = 'cdr_charges'
                   AND e.created_at >= p_from AND e.created_at < p_to
                 GROUP BY l.destination) d;
    END IF;

    SELECT coalesce(json_agg(json_build_object('date', s.day, 'at', document_ts(s.at), 'journal_id', s.journal_id,
               'journals', s.journals, 'kind', s.kind,
               'memo', coalesce(s.memo, coalesce(s.calls, 0) || ' rated calls'),
               'document', s.document, 'calls', s.calls, 'seconds', s.seconds,
               'minutes', round(s.seconds / 60.0, 2)::text,
               'debit', (CASE WHEN s.amount > 0 THEN s.amount ELSE 0 END)::numeric(20,6)::text,
               'credit', (CASE WHEN s.amount < 0 THEN -s.amount ELSE 0 END)::numeric(20,6)::text,
               'change', (-s.amount)::numeric(20,6)::text,
               'balance', s.balance::numeric(20,6)::text) ORDER BY s.n), '[]')
      INTO lines
      FROM (SELECT i.*, opening - sum(i.amount) OVER (ORDER BY i.n) AS balance,
                   (SELECT d.number FROM invoices d WHERE d.journal_id = i.journal_id ORDER BY d.id LIMIT 1)
                       AS document
              FROM unnest(items) WITH ORDINALITY AS i(at, ord, journal_id, journals, kind, memo, amount, calls,
                                                      seconds, day, n)) s;

    SELECT json_build_object(
        'usage', json_build_object('journals', coalesce(sum(i.journals) FILTER (WHERE i.kind = 'cdr_charges'), 0),
            'calls', coalesce(sum(i.calls), 0), 'seconds', coalesce(sum(i.seconds), 0),
            'minutes', round(coalesce(sum(i.seconds), 0) / 60.0, 2)::text,
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind = 'cdr_charges'), 0))::numeric(20,6)::text,
            'destinations', destinations),
        'charges', json_build_object('count', count(*) FILTER (WHERE i.kind = 'charge'),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind = 'charge'), 0))::numeric(20,6)::text),
        'payments', json_build_object('count', count(*) FILTER (WHERE i.kind IN ('topup', 'payment')),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind IN ('topup', 'payment')), 0))::numeric(20,6)::text),
        'credit_notes', json_build_object('count', count(*) FILTER (WHERE i.kind = 'credit_note'),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind = 'credit_note'), 0))::numeric(20,6)::text),
        'adjustments', json_build_object('count', count(*) FILTER (WHERE i.kind = 'adjustment'),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind = 'adjustment'), 0))::numeric(20,6)::text),
        'netting', json_build_object('count', count(*) FILTER (WHERE i.kind = 'netting'),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind = 'netting'), 0))::numeric(20,6)::text),
        'other', json_build_object('count', count(*) FILTER (WHERE i.kind NOT IN ('cdr_charges', 'charge', 'topup',
                                                                                 'payment', 'credit_note',
                                                                                 'adjustment', 'netting')),
            'change', (-coalesce(sum(i.amount) FILTER (WHERE i.kind NOT IN ('cdr_charges', 'charge', 'topup',
                                                                           'payment', 'credit_note', 'adjustment',
                                                                           'netting')), 0))::numeric(20,6)::text))
      INTO summary FROM unnest(items) i;

    RETURN json_build_object(
        'carrier', json_build_object('id', car.id, 'name', car.name, 'type', car.type, 'timezone', car.timezone),
        'carrier_id', car.id, 'side', p_side, 'currency', p_currency, 'account', acc.name,
        'from', document_ts(p_from), 'to', document_ts(p_to),
        'from_local', document_local(p_from, car.timezone), 'to_local', document_local(p_to, car.timezone),
        'period_label', document_period_label(p_from, p_to, car.timezone),
        'opening_balance', opening::numeric(20,6)::text,
        'movements', (closing - opening)::numeric(20,6)::text,
        'closing_balance', closing::numeric(20,6)::text,
        'totals', (SELECT json_build_object(
                       'debit', coalesce(sum(i.amount) FILTER (WHERE i.amount > 0), 0)::numeric(20,6)::text,
                       'credit', (-coalesce(sum(i.amount) FILTER (WHERE i.amount < 0), 0))::numeric(20,6)::text)
                     FROM unnest(items) i),
        'lines', lines, 'summary', summary,
        'generated_at', document_ts(now()));
END $$;
