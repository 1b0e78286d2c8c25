-- 0009: FX (issue 6) — the currencies, USD exchange rates with history
-- (Open Exchange Rates and manual overrides), the USD rate the ledger
-- values its entries with, and the monthly revaluation of foreign-currency
-- positions into fx_gain_loss. docs/fx.md explains it with numbers.

-- ---- currencies ----

-- ISO 4217 currencies in circulation, with their minor units. `active`:
-- may be used (carriers, rating plans, postings, fx.set): every code that
-- common/validate.c accepts plus the newer VED, XCG and ZWG. The ISO fund
-- codes (BOV, CHE, CHW, CLF, COU, MXV, USN, UYI, UYW) are listed inactive;
-- precious metals, SDR and testing codes (no minor unit) and withdrawn
-- codes are not listed. `id` only gives list paging a tie-break.
CREATE TABLE currencies (
    id        integer GENERATED ALWAYS AS IDENTITY UNIQUE,
    code      text PRIMARY KEY CHECK (code ~ '^[A-Z]{3}$'),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    decimals  smallint NOT NULL CHECK (decimals BETWEEN 0 AND 4),
    active    boolean NOT NULL DEFAULT true
);
INSERT INTO currencies (code, name, decimals, active) VALUES
    ('AED', 'UAE Dirham', 2, true),
    ('AFN', 'Afghani', 2, true),
    ('ALL', 'Lek', 2, true),
    ('AMD', 'Armenian Dram', 2, true),
    ('ANG', 'Netherlands Antillean Guilder', 2, true),
    ('AOA', 'Kwanza', 2, true),
    ('ARS', 'Argentine Peso', 2, true),
    ('AUD', 'Australian Dollar', 2, true),
    ('AWG', 'Aruban Florin', 2, true),
    ('AZN', 'Azerbaijan Manat', 2, true),
    ('BAM', 'Convertible Mark', 2, true),
    ('BBD', 'Barbados Dollar', 2, true),
    ('BDT', 'Taka', 2, true),
    ('BGN', 'Bulgarian Lev', 2, true),
    ('BHD', 'Bahraini Dinar', 3, true),
    ('BIF', 'Burundi Franc', 0, true),
    ('BMD', 'Bermudian Dollar', 2, true),
    ('BND', 'Brunei Dollar', 2, true),
    ('BOB', 'Boliviano', 2, true),
    ('BOV', 'Mvdol', 2, false),
    ('BRL', 'Brazilian Real', 2, true),
    ('BSD', 'Bahamian Dollar', 2, true),
    ('BTN', 'Ngultrum', 2, true),
    ('BWP', 'Pula', 2, true),
    ('BYN', 'Belarusian Ruble', 2, true),
    ('BZD', 'Belize Dollar', 2, true),
    ('CAD', 'Canadian Dollar', 2, true),
    ('CDF', 'Congolese Franc', 2, true),
    ('CHE', 'WIR Euro', 2, false),
    ('CHF', 'Swiss Franc', 2, true),
    ('CHW', 'WIR Franc', 2, false),
    ('CLF', 'Unidad de Fomento', 4, false),
    ('CLP', 'Chilean Peso', 0, true),
    ('CNY', 'Yuan Renminbi', 2, true),
    ('COP', 'Colombian Peso', 2, true),
    ('COU', 'Unidad de Valor Real', 2, false),
    ('CRC', 'Costa Rican Colon', 2, true),
    ('CUP', 'Cuban Peso', 2, true),
    ('CVE', 'Cabo Verde Escudo', 2, true),
    ('CZK', 'Czech Koruna', 2, true),
    ('DJF', 'Djibouti Franc', 0, true),
    ('DKK', 'Danish Krone', 2, true),
    ('DOP', 'Dominican Peso', 2, true),
    ('DZD', 'Algerian Dinar', 2, true),
    ('EGP', 'Egyptian Pound', 2, true),
    ('ERN', 'Nakfa', 2, true),
    ('ETB', 'Ethiopian Birr', 2, true),
    ('EUR', 'Euro', 2, true),
    ('FJD', 'Fiji Dollar', 2, true),
    ('FKP', 'Falkland Islands Pound', 2, true),
    ('GBP', 'Pound Sterling', 2, true),
    ('GEL', 'Lari', 2, true),
    ('GHS', 'Ghana Cedi', 2, true),
    ('GIP', 'Gibraltar Pound', 2, true),
    ('GMD', 'Dalasi', 2, true),
    ('GNF', 'Guinean Franc', 0, true),
    ('GTQ', 'Quetzal', 2, true),
    ('GYD', 'Guyana Dollar', 2, true),
    ('HKD', 'Hong Kong Dollar', 2, true),
    ('HNL', 'Lempira', 2, true),
    ('HTG', 'Gourde', 2, true),
    ('HUF', 'Forint', 2, true),
    ('IDR', 'Rupiah', 2, true),
    ('ILS', 'New Israeli Sheqel', 2, true),
    ('INR', 'Indian Rupee', 2, true),
    ('IQD', 'Iraqi Dinar', 3, true),
    ('IRR', 'Iranian Rial', 2, true),
    ('ISK', 'Iceland Krona', 0, true),
    ('JMD', 'Jamaican Dollar', 2, true),
    ('JOD', 'Jordanian Dinar', 3, true),
    ('JPY', 'Yen', 0, true),
    ('KES', 'Kenyan Shilling', 2, true),
    ('KGS', 'Som', 2, true),
    ('KHR', 'Riel', 2, true),
    ('KMF', 'Comorian Franc', 0, true),
    ('KPW', 'North Korean Won', 2, true),
    ('KRW', 'Won', 0, true),
    ('KWD', 'Kuwaiti Dinar', 3, true),
    ('KYD', 'Cayman Islands Dollar', 2, true),
    ('KZT', 'Tenge', 2, true),
    ('LAK', 'Lao Kip', 2, true),
    ('LBP', 'Lebanese Pound', 2, true),
    ('LKR', 'Sri Lanka Rupee', 2, true),
    ('LRD', 'Liberian Dollar', 2, true),
    ('LSL', 'Loti', 2, true),
    ('LYD', 'Libyan Dinar', 3, true),
    ('MAD', 'Moroccan Dirham', 2, true),
    ('MDL', 'Moldovan Leu', 2, true),
    ('MGA', 'Malagasy Ariary', 2, true),
    ('MKD', 'Denar', 2, true),
    ('MMK', 'Kyat', 2, true),
    ('MNT', 'Tugrik', 2, true),
    ('MOP', 'Pataca', 2, true),
    ('MRU', 'Ouguiya', 2, true),
    ('MUR', 'Mauritius Rupee', 2, true),
    ('MVR', 'Rufiyaa', 2, true),
    ('MWK', 'Malawi Kwacha', 2, true),
    ('MXN', 'Mexican Peso', 2, true),
    ('MXV', 'Mexican Unidad de Inversion (UDI)', 2, false),
    ('MYR', 'Malaysian Ringgit', 2, true),
    ('MZN', 'Mozambique Metical', 2, true),
    ('NAD', 'Namibia Dollar', 2, true),
    ('NGN', 'Naira', 2, true),
    ('NIO', 'Cordoba Oro', 2, true),
    ('NOK', 'Norwegian Krone', 2, true),
    ('NPR', 'Nepalese Rupee', 2, true),
    ('NZD', 'New Zealand Dollar', 2, true),
    ('OMR', 'Rial Omani', 3, true),
    ('PAB', 'Balboa', 2, true),
    ('PEN', 'Sol', 2, true),
    ('PGK', 'Kina', 2, true),
    ('PHP', 'Philippine Peso', 2, true),
    ('PKR', 'Pakistan Rupee', 2, true),
    ('PLN', 'Zloty', 2, true),
    ('PYG', 'Guarani', 0, true),
    ('QAR', 'Qatari Rial', 2, true),
    ('RON', 'Romanian Leu', 2, true),
    ('RSD', 'Serbian Dinar', 2, true),
    ('RUB', 'Russian Ruble', 2, true),
    ('RWF', 'Rwanda Franc', 0, true),
    ('SAR', 'Saudi Riyal', 2, true),
    ('SBD', 'Solomon Islands Dollar', 2, true),
    ('SCR', 'Seychelles Rupee', 2, true),
    ('SDG', 'Sudanese Pound', 2, true),
    ('SEK', 'Swedish Krona', 2, true),
    ('SGD', 'Singapore Dollar', 2, true),
    ('SHP', 'Saint Helena Pound', 2, true),
    ('SLE', 'Leone', 2, true),
    ('SOS', 'Somali Shilling', 2, true),
    ('SRD', 'Surinam Dollar', 2, true),
    ('SSP', 'South Sudanese Pound', 2, true),
    ('STN', 'Dobra', 2, true),
    ('SVC', 'El Salvador Colon', 2, true),
    ('SYP', 'Syrian Pound', 2, true),
    ('SZL', 'Lilangeni', 2, true),
    ('THB', 'Baht', 2, true),
    ('TJS', 'Somoni', 2, true),
    ('TMT', 'Turkmenistan New Manat', 2, true),
    ('TND', 'Tunisian Dinar', 3, true),
    ('TOP', 'Pa’anga', 2, true),
    ('TRY', 'Turkish Lira', 2, true),
    ('TTD', 'Trinidad and Tobago Dollar', 2, true),
    ('TWD', 'New Taiwan Dollar', 2, true),
    ('TZS', 'Tanzanian Shilling', 2, true),
    ('UAH', 'Hryvnia', 2, true),
    ('UGX', 'Uganda Shilling', 0, true),
    ('USD', 'US Dollar', 2, true),
    ('USN', 'US Dollar (Next day)', 2, false),
    ('UYI', 'Uruguay Peso en Unidades Indexadas (UI)', 0, false),
    ('UYU', 'Peso Uruguayo', 2, true),
    ('UYW', 'Unidad Previsional', 4, false),
    ('UZS', 'Uzbekistan Sum', 2, true),
    ('VED', 'Bolívar Soberano (digital)', 2, true),
    ('VES', 'Bolívar Soberano', 2, true),
    ('VND', 'Dong', 0, true),
    ('VUV', 'Vatu', 0, true),
    ('WST', 'Tala', 2, true),
    ('XAF', 'CFA Franc BEAC', 0, true),
    ('XCD', 'East Caribbean Dollar', 2, true),
    ('XCG', 'Caribbean Guilder', 2, true),
    ('XOF', 'CFA Franc BCEAO', 0, true),
    ('XPF', 'CFP Franc', 0, true),
    ('YER', 'Yemeni Rial', 2, true),
    ('ZAR', 'Rand', 2, true),
    ('ZMW', 'Zambian Kwacha', 2, true),
    ('ZWG', 'Zimbabwe Gold', 2, true),
    ('ZWL', 'Zimbabwe Dollar', 2, true);

-- ---- rates ----

-- Rates against the US dollar, kept as history: one row per value a
-- source gave. per_usd = units of the currency per 1 USD (Open Exchange
-- Rates' convention), exactly as the provider sent it: numeric(30,12), and
-- the OXR client skips a rate with more than 12 decimals rather than round
-- it (fx_store_fetched checks again).
--   source 'oxr':    effective_at = the provider's timestamp of the first
--                    answer with this value; as_of = the provider's
--                    timestamp of the latest answer that still gave it (a
--                    refresh that finds the value unchanged moves as_of
--                    forward instead of adding a row, so an unchanged rate
--                    is not a stale one).
--   source 'manual': an admin's override (fx.set); effective_at = as_of =
--                    when it was set; per_usd NULL records that the
--                    override was cleared.
-- The rate in force (fx_rate_row): the currency's latest manual row when it
-- has a per_usd — an override wins until cleared — else its latest oxr row.
-- USD is the base: never stored, always 1.
CREATE TABLE fx_rates (
    id            bigserial PRIMARY KEY,
    currency      text NOT NULL REFERENCES currencies (code),
    per_usd       numeric(30,12) CHECK (per_usd > 0),
    source        text NOT NULL CHECK (source IN ('oxr', 'manual')),
    effective_at  timestamptz NOT NULL,
    as_of         timestamptz NOT NULL,
    reason        text,                              -- manual: why (required)
    actor         text NOT NULL,                     -- username, or "oxr" for fetched rates
    created_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT fx_rates_oxr_has_rate CHECK (source = 'manual' OR per_usd IS NOT NULL),
    CONSTRAINT fx_rates_manual_reason CHECK (source = 'oxr' OR length(btrim(coalesce(reason, ''))) > 0),
    CONSTRAINT fx_rates_not_usd CHECK (currency <> 'USD'),
    CONSTRAINT fx_rates_as_of CHECK (as_of >= effective_at)
);
CREATE INDEX fx_rates_current_idx ON fx_rates (currency, source, id DESC);

-- History is not rewritten: the only change a row ever takes is an oxr
-- row's as_of moving forward; nothing is deleted.
CREATE FUNCTION fx_rates_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'UPDATE' OR NEW.id <> OLD.id OR NEW.currency <> OLD.currency
       OR NEW.per_usd IS DISTINCT FROM OLD.per_usd OR NEW.source <> OLD.source OR OLD.source <> 'oxr'
       OR NEW.effective_at <> OLD.effective_at OR NEW.reason IS DISTINCT FROM OLD.reason
       OR NEW.actor <> OLD.actor OR NEW.created_at <> OLD.created_at OR NEW.as_of < OLD.as_of THEN
        RAISE EXCEPTION 'fx_rates rows are history: only an oxr rate''s as_of moves forward'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER fx_rates_history BEFORE UPDATE OR DELETE ON fx_rates
    FOR EACH ROW EXECUTE FUNCTION fx_rates_history();
CREATE TRIGGER fx_rates_no_truncate BEFORE TRUNCATE ON fx_rates
    FOR EACH STATEMENT EXECUTE FUNCTION fx_rates_history();

-- The row in force for a currency (NULL when it has none).
CREATE FUNCTION fx_rate_row(p_currency text) RETURNS fx_rates LANGUAGE sql STABLE AS $$
    SELECT r.* FROM (
        (SELECT m.* FROM fx_rates m WHERE m.currency = p_currency AND m.source = 'manual' ORDER BY m.id DESC LIMIT 1)
        UNION ALL
        (SELECT o.* FROM fx_rates o WHERE o.currency = p_currency AND o.source = 'oxr' ORDER BY o.id DESC LIMIT 1)
    ) r
    WHERE r.per_usd IS NOT NULL
    ORDER BY r.source = 'manual' DESC
    LIMIT 1
$$;

-- USD per 1 unit of a currency from its per_usd: 1 / per_usd to 18
-- decimals, trailing zeros dropped (0.8 -> 1.25; 150 ->
-- 0.006666666666666667). 18 decimals keep usd_value = round(amount * rate,
-- 6) within a micro-dollar of amount / per_usd for any amount a posting
-- may carry (at most 1e12) even for currencies at 100,000 per USD.
CREATE FUNCTION fx_usd_per_unit(p_per_usd numeric) RETURNS numeric LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT trim_scale(round(1::numeric(40,30) / p_per_usd, 18))
$$;

-- USD per 1 unit of p_currency with the rate in force: 1 for USD, NULL
-- when the currency has no rate. A stale rate is still used (fx.rates
-- flags it; docs/fx.md).
CREATE FUNCTION fx_usd_rate(p_currency text) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN p_currency = 'USD' THEN 1::numeric
                ELSE (SELECT fx_usd_per_unit(r.per_usd) FROM fx_rate_row(p_currency) r) END
$$;

-- The ledger's hook (schema/0007 defines it as 1 for USD, NULL otherwise):
-- journals' fx_rate_usd and entries' usd_value = round(amount * rate, 6)
-- now come from the rates in force. Same signature, so nothing else changes.
CREATE OR REPLACE FUNCTION ledger_usd_rate(p_currency text) RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT fx_usd_rate(p_currency)
$$;

-- A currency's rate in force as fx.rates and fx.set show it; per_usd and
-- the rest null when it has none (USD: 1, no source). Oxr rates are stale when the provider's
-- latest timestamp confirming them is older than p_stale_hours; an
-- override is an admin's decision and is never flagged stale.
CREATE FUNCTION fx_rate_json(p_currency text, p_stale_hours integer) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('currency', p_currency,
        'per_usd', CASE WHEN p_currency = 'USD' THEN '1' ELSE trim_scale(r.per_usd)::text END,
        'usd_rate', CASE WHEN p_currency = 'USD' THEN '1' ELSE fx_usd_per_unit(r.per_usd)::text END,
        'source', r.source,
        'as_of', to_char(r.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'since', to_char(r.effective_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'stale', coalesce(r.source = 'oxr' AND r.as_of < now() - make_interval(hours => p_stale_hours), false),
        'manual', coalesce(r.source = 'manual', false))
      FROM fx_rate_row(p_currency) r
$$;

-- One history row as fx.history shows it.
CREATE FUNCTION fx_history_json(r fx_rates) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('id', r.id, 'currency', r.currency, 'per_usd', trim_scale(r.per_usd)::text,
        'usd_rate', fx_usd_per_unit(r.per_usd)::text, 'source', r.source,
        'cleared', r.per_usd IS NULL,
        'since', to_char(r.effective_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'as_of', to_char(r.as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'reason', r.reason, 'actor', r.actor,
        'created_at', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
$$;

-- Store one Open Exchange Rates answer (server/fx/fx.c has checked and
-- normalised every rate): for each known currency but USD, a new row when
-- the value changed, else the current row's as_of moves forward; an
-- answer no newer than what a currency already has changes nothing for it
-- (`older`); codes not in `currencies` are counted (`unknown`) and
-- skipped. One refresh at a time (an advisory lock), so two instances'
-- refreshes never interleave their rows.
CREATE FUNCTION fx_store_fetched(p_as_of timestamptz, p_codes text[], p_rates text[],
    OUT changed integer, OUT unchanged integer, OUT unknown integer, OUT older integer,
    OUT changed_codes text[])
LANGUAGE plpgsql AS $$
DECLARE
    g record;
    cur record;
BEGIN
    IF p_as_of IS NULL OR cardinality(p_codes) IS DISTINCT FROM cardinality(p_rates) THEN
        RAISE EXCEPTION 'fx_store_fetched: a time and one rate per code are needed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    changed := 0;
    unchanged := 0;
    unknown := 0;
    older := 0;
    changed_codes := '{}';
    PERFORM pg_advisory_xact_lock(7480009);
    FOR g IN SELECT u.code, u.rate::numeric AS exact, u.rate::numeric(30,12) AS per_usd, c.code IS NOT NULL AS known
               FROM unnest(p_codes, p_rates) AS u(code, rate) LEFT JOIN currencies c ON c.code = u.code
              WHERE u.code <> 'USD' ORDER BY u.code LOOP
        IF NOT g.known THEN
            unknown := unknown + 1;
            CONTINUE;
        END IF;
        IF g.exact <> g.per_usd OR g.per_usd <= 0 THEN
            RAISE EXCEPTION 'fx rate % for % cannot be stored exactly', g.exact, g.code
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
        SELECT r.id, r.per_usd, r.as_of INTO cur FROM fx_rates r
         WHERE r.currency = g.code AND r.source = 'oxr' ORDER BY r.id DESC LIMIT 1;
        IF FOUND AND cur.as_of >= p_as_of THEN
            older := older + 1;
        ELSIF FOUND AND cur.per_usd = g.per_usd THEN
            UPDATE fx_rates SET as_of = p_as_of WHERE id = cur.id;
            unchanged := unchanged + 1;
        ELSE
            INSERT INTO fx_rates (currency, per_usd, source, effective_at, as_of, actor)
            VALUES (g.code, g.per_usd, 'oxr', p_as_of, p_as_of, 'oxr');
            changed := changed + 1;
            changed_codes := changed_codes || g.code;
        END IF;
    END LOOP;
END $$;

-- ---- revaluation ----

-- Revaluation entries move no money: amount 0 and a usd_value. Every
-- other entry still moves money (amount <> 0).
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_amount_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_amount_check
    CHECK ((amount = 0) = (kind = 'fx_revaluation'));
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_revaluation_usd
    CHECK (kind <> 'fx_revaluation' OR usd_value IS NOT NULL);

-- The FX revaluation of a period ("YYYY-MM"): brings the USD value of
-- every foreign-currency monetary account to its balance at the rate in
-- force now, and books the difference in fx_gain_loss. Monetary accounts
-- are the carrier accounts (what customers have with us, what we owe
-- suppliers) and cash; revenue, cost of sales, promotions, suspense and
-- fx_gain_loss keep the USD values they were posted with.
--
-- For each such account in a currency with a rate:
--     target = round(balance * ledger_usd_rate(currency), 6)
--     booked = sum of its entries' usd_value (NULL, posted before the
--              currency had a rate, counts as 0)
--     delta  = target - booked
-- One journal (kind fx_revaluation, key 'fx_revaluation:' || period): an
-- entry of amount 0 and usd_value delta on each account whose delta is not
-- zero, and per currency an entry of amount 0 and usd_value -sum(delta) on
-- that currency's fx_gain_loss account. So every currency's amounts sum to
-- 0 (they are all 0) and so do its USD values; fx_gain_loss is credit-
-- normal: a negative usd_value there is a gain.
--
-- Idempotent per period: a period revalued before answers its journal with
-- duplicate true and writes nothing; nothing to revalue answers a NULL
-- journal (and a later call for the period may still post). Lock order as
-- for every posting (docs/ledger.md): the carrier accounts first, FOR
-- UPDATE in id order; the platform accounts (cash, fx_gain_loss) at
-- commit, in id order, by the trigger that keeps their balances. The
-- positions are read after the locks, in one statement (one snapshot).
CREATE FUNCTION ledger_fx_revalue(p_period text, p_actor text,
    OUT journal_id bigint, OUT duplicate boolean, OUT rates json)
LANGUAGE plpgsql AS $$
DECLARE
    k text;
    jid bigint;
    ids bigint[];
    curs text[];
    deltas numeric[];
    g record;
BEGIN
    IF p_period IS NULL OR p_period !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
        RAISE EXCEPTION 'a revaluation period is YYYY-MM, not %', p_period USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF to_date(p_period || '-01', 'YYYY-MM-DD') > (now() AT TIME ZONE 'UTC')::date THEN
        RAISE EXCEPTION 'the period % has not started', p_period USING ERRCODE = 'invalid_parameter_value';
    END IF;
    k := 'fx_revaluation:' || p_period;
    duplicate := false;
    SELECT j.id INTO jid FROM ledger_journals j WHERE j.idempotency_key = k;
    IF FOUND THEN
        journal_id := jid;
        duplicate := true;
        RETURN;
    END IF;

    PERFORM 1 FROM ledger_accounts a WHERE a.carrier_id IS NOT NULL AND a.currency <> 'USD'
      ORDER BY a.id FOR UPDATE;
    SELECT j.id INTO jid FROM ledger_journals j WHERE j.idempotency_key = k;   -- a twin committed meanwhile
    IF FOUND THEN
        journal_id := jid;
        duplicate := true;
        RETURN;
    END IF;

    WITH rt AS (
        SELECT x.currency, ledger_usd_rate(x.currency) AS rate
          FROM (SELECT DISTINCT a.currency FROM ledger_accounts a
                 WHERE a.currency <> 'USD' AND a.kind IN ('carrier_customer', 'carrier_supplier', 'cash')) x
    ), pos AS (
        SELECT a.id, a.currency,
               round(coalesce(sum(e.amount), 0) * rt.rate, 6) - coalesce(sum(e.usd_value), 0) AS delta
          FROM ledger_accounts a
          JOIN rt ON rt.currency = a.currency AND rt.rate IS NOT NULL
          LEFT JOIN ledger_entries e ON e.account_id = a.id
         WHERE a.kind IN ('carrier_customer', 'carrier_supplier', 'cash')
         GROUP BY a.id, a.currency, rt.rate
    )
    SELECT array_agg(p.id ORDER BY p.id), array_agg(p.currency ORDER BY p.id), array_agg(p.delta ORDER BY p.id),
           (SELECT json_object_agg(rt.currency, rt.rate::text ORDER BY rt.currency) FROM rt WHERE rt.rate IS NOT NULL)
      INTO ids, curs, deltas, rates
      FROM pos p WHERE p.delta <> 0;
    IF ids IS NULL THEN
        RETURN;                                                    -- nothing to revalue
    END IF;

    INSERT INTO ledger_journals (idempotency_key, kind, memo, actor)
    VALUES (k, 'fx_revaluation', 'FX revaluation ' || p_period, p_actor)
    ON CONFLICT (idempotency_key) DO NOTHING
    RETURNING ledger_journals.id INTO jid;
    IF jid IS NULL THEN
        SELECT j.id INTO jid FROM ledger_journals j WHERE j.idempotency_key = k;
        journal_id := jid;
        duplicate := true;
        RETURN;
    END IF;
    INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
    SELECT jid, u.id, 0, u.cur, u.delta, 'fx_revaluation'
      FROM unnest(ids, curs, deltas) AS u(id, cur, delta) ORDER BY u.id;
    FOR g IN SELECT u.cur, sum(u.delta) AS total FROM unnest(curs, deltas) AS u(cur, delta)
              GROUP BY u.cur HAVING sum(u.delta) <> 0 ORDER BY u.cur LOOP
        INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)
        VALUES (jid, ledger_account_id('fx_gain_loss', NULL, g.cur, NULL), 0, g.cur, -g.total, 'fx_revaluation');
    END LOOP;
    IF EXISTS (SELECT 1 FROM ledger_entries e WHERE e.journal_id = jid
                GROUP BY e.currency HAVING sum(e.usd_value) <> 0) THEN
        RAISE EXCEPTION 'fx revaluation % does not balance in USD', p_period;
    END IF;
    journal_id := jid;
END $$;
