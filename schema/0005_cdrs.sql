-- 0005: call detail records, rated on both sides, partitioned by month.
--
-- A CDR's id is the client's idempotency key. A unique index on a
-- partitioned table must include the partition key, so uniqueness across
-- months lives in cdr_keys (one small row per CDR, never partitioned):
-- ingestion inserts the ids there with ON CONFLICT DO NOTHING, and only the
-- ids that went in are written to cdrs. cdr_keys also says which month a
-- CDR is in, so cdr.get reads one partition.
--
-- No foreign keys: a CDR records what the switch reported and how it was
-- rated at the time; later edits or deletions of carriers, interconnects,
-- services and plans must not touch it (or slow ingestion down).

CREATE TABLE cdr_keys (
    id          text COLLATE "C" PRIMARY KEY,
    start_time  timestamptz NOT NULL
);

-- Tie-break for keyset paging (cdr.list): CDR ids are client text.
CREATE SEQUENCE cdr_seq CACHE 1000;

CREATE TABLE cdrs (
    seq                      bigint NOT NULL DEFAULT nextval('cdr_seq'),
    id                       text COLLATE "C" NOT NULL,
    start_time               timestamptz NOT NULL,
    answer_time              timestamptz,
    end_time                 timestamptz NOT NULL,
    answered                 boolean NOT NULL,
    duration                 bigint NOT NULL,          -- d: whole seconds, 0 when not answered
    caller                   text NOT NULL,
    callee                   text COLLATE "C" NOT NULL, -- normalised digits
    release_cause            integer NOT NULL,
    pdd_ms                   integer,
    ingress_interconnect_id  bigint,                   -- as sent, or found from ingress_ip
    ingress_ip               inet,                     -- as sent
    tech_prefix              text,
    service_id               bigint,
    customer_carrier_id      bigint,
    egress_interconnect_id   bigint,
    supplier_carrier_id      bigint,
    -- the customer side (the service's rating plan)
    customer_rating_plan_id  bigint,
    customer_prefix          text,
    customer_destination     text,
    customer_rate            numeric(20,6),            -- per minute
    customer_billed          bigint,                   -- billed seconds
    customer_cost            numeric(20,6),
    customer_currency        text,
    customer_rated           boolean NOT NULL,
    customer_reason          text,                     -- why not rated
    -- the supplier side (the egress interconnect's supplier rating plan)
    supplier_rating_plan_id  bigint,
    supplier_prefix          text,
    supplier_destination     text,
    supplier_rate            numeric(20,6),
    supplier_billed          bigint,
    supplier_cost            numeric(20,6),
    supplier_currency        text,
    supplier_rated           boolean NOT NULL,
    supplier_reason          text,
    -- customer cost - supplier cost; NULL (with the reason) unless both
    -- sides are rated in the same currency
    margin                   numeric(20,6),
    margin_reason            text,
    received_at              timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (start_time);

-- Newest first (cdr.list), and newest first per customer carrier (tenant
-- scope). The supplier side only needs finding (the carrier filter matches
-- either side, a BitmapOr of the two): one column, which B-tree
-- deduplication keeps small and cheap to insert into. Every index costs
-- ingestion: see docs/benchmarks.md before adding one.
CREATE INDEX cdrs_start_idx ON cdrs (start_time, seq);
CREATE INDEX cdrs_customer_idx ON cdrs (customer_carrier_id, start_time, seq);
CREATE INDEX cdrs_supplier_idx ON cdrs (supplier_carrier_id);

-- Nothing is ever lost: a CDR in a month without a partition lands here.
CREATE TABLE cdrs_default PARTITION OF cdrs DEFAULT;

-- Month partitions cdrs_YYYYMM (UTC months) for the month of p_from and the
-- p_months after it; returns how many were created. Rows of a new month
-- that were waiting in cdrs_default move into its partition. Safe to call
-- from several sessions at once: creators take turns on a lock and look
-- again.
CREATE FUNCTION cdr_partitions_ensure(p_from timestamptz, p_months integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    first_month timestamp := date_trunc('month', p_from AT TIME ZONE 'UTC');
    month_start timestamp;
    lo timestamptz;
    hi timestamptz;
    part text;
    made integer := 0;
BEGIN
    IF p_months IS NULL OR p_months < 0 OR p_months > 240 THEN
        RAISE EXCEPTION 'cdr_partitions_ensure: months must be 0..240, not %', p_months;
    END IF;
    FOR i IN 0..p_months LOOP
        month_start := first_month + make_interval(months => i);
        lo := month_start AT TIME ZONE 'UTC';
        hi := (month_start + interval '1 month') AT TIME ZONE 'UTC';
        part := 'cdrs_' || to_char(month_start, 'YYYYMM');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        -- One creator at a time (writers wait for the moment this takes).
        LOCK TABLE cdrs IN SHARE ROW EXCLUSIVE MODE;
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        EXECUTE format('CREATE TABLE %I (LIKE cdrs INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
        EXECUTE format('WITH moved AS (DELETE FROM cdrs_default WHERE start_time >= $1 AND start_time < $2'
                       ' RETURNING *) INSERT INTO %I SELECT * FROM moved', part) USING lo, hi;
        -- The constraint lets ATTACH skip scanning the new table.
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I CHECK (start_time >= %L AND start_time < %L)',
                       part, part || '_month', lo, hi);
        EXECUTE format('ALTER TABLE cdrs ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', part, lo, hi);
        made := made + 1;
    END LOOP;
    RETURN made;
END
$$;

-- RFC 3339 in UTC, microseconds only when there are some (like
-- time_format_rfc3339 in C).
CREATE FUNCTION cdr_time(t timestamptz) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT CASE WHEN t IS NULL THEN NULL
                WHEN date_part('microseconds', t)::bigint % 1000000 = 0
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') END
$$;

-- The months around now exist from the start; the server creates more
-- ahead at start-up and whenever a CDR arrives for a month without one.
SELECT cdr_partitions_ensure(now() - interval '1 month', 4);
