-- 0004: rating — the rules of a rating plan, its time classes, its rates
-- (the rate deck, with history) and the record of every deck import.
-- docs/rating.md says how a call is rated; docs/protocol.md the methods.

-- A plan's time zone is its carrier's (time classes are evaluated in the
-- time zone of the carrier whose call is rated), so the plan has none.
-- rate_count is kept by the import (the only writer of rates), so lists
-- need not count a million rows per plan.
ALTER TABLE rating_plans
    ADD COLUMN rounding    text NOT NULL DEFAULT 'half_up' CHECK (rounding IN ('up', 'half_up', 'down')),
    ADD COLUMN notice_days integer NOT NULL DEFAULT 7 CHECK (notice_days BETWEEN 0 AND 365),
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN rate_count  bigint NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX rating_plans_name_live ON rating_plans (lower(name)) WHERE deleted_at IS NULL;

-- Peak, off-peak, weekend...: ids 1..31 within a plan (a rate row names one
-- or none). ranges: [{"weekdays":"mon-fri","start":"08:00","end":"20:00"}],
-- local time of the carrier; an end not after its start wraps past midnight.
CREATE TABLE time_classes (
    rating_plan_id bigint NOT NULL REFERENCES rating_plans(id) ON DELETE CASCADE,
    id             smallint NOT NULL CHECK (id BETWEEN 1 AND 31),
    name           text NOT NULL CHECK (name <> ''),
    ranges         jsonb NOT NULL CHECK (jsonb_typeof(ranges) = 'array'),
    PRIMARY KEY (rating_plan_id, id)
);
CREATE UNIQUE INDEX time_classes_name ON time_classes (rating_plan_id, lower(name));

-- The rate deck. Rows are never edited by hand: rating_plan.import is the
-- one writer, so the checks it makes on each row (docs/rating.md) hold for
-- every row. Two deliberate omissions, both for import speed (measured in
-- docs/benchmarks.md, "Issue 5 — deck import"): no foreign key to
-- rating_plans (a per-row check cost 3 s per million rows; plans are only
-- soft-deleted and the import locks its plan) and none to time_classes
-- (the import maps class names to ids of the plan, and
-- rating_plan.time_classes.set refuses to remove a class rates still use).
-- Rows of one prefix and class may overlap in time; the one that started
-- last applies (docs/rating.md).
CREATE TABLE rates (
    id                   bigserial PRIMARY KEY,
    rating_plan_id       bigint NOT NULL,
    prefix               text COLLATE "C" NOT NULL
                         CHECK (prefix <> '' AND length(prefix) <= 24 AND ltrim(prefix, '0123456789') = ''),
    destination          text NOT NULL DEFAULT '',
    rate                 numeric(20,6) NOT NULL CHECK (rate >= 0),          -- per minute
    connection_fee       numeric(20,6) NOT NULL DEFAULT 0 CHECK (connection_fee >= 0),
    initial_increment    integer NOT NULL DEFAULT 1 CHECK (initial_increment >= 1),
    subsequent_increment integer NOT NULL DEFAULT 1 CHECK (subsequent_increment >= 1),
    min_duration         integer NOT NULL DEFAULT 0 CHECK (min_duration >= 0),
    effective_from       timestamptz NOT NULL,                             -- inclusive
    effective_to         timestamptz CHECK (effective_to > effective_from), -- exclusive; NULL = open
    time_class_id        smallint CHECK (time_class_id BETWEEN 1 AND 31),  -- NULL = any time
    min_length           smallint CHECK (min_length BETWEEN 1 AND 24),     -- NULL = no limit
    max_length           smallint CHECK (max_length BETWEEN 1 AND 24),
    blocked              boolean NOT NULL DEFAULT false,
    CHECK (min_length IS NULL OR max_length IS NULL OR min_length <= max_length)
);
-- One row per prefix, class and start; also the index of every lookup by
-- prefix (rate.list, the import's comparison with the current deck).
CREATE UNIQUE INDEX rates_key ON rates (rating_plan_id, prefix, (coalesce(time_class_id, 0)), effective_from);

-- One row per import that committed (status 'done') or was refused as a
-- whole (status 'refused': strict mode with bad lines, an unusable header).
CREATE TABLE rate_imports (
    id              bigserial PRIMARY KEY,
    rating_plan_id  bigint NOT NULL REFERENCES rating_plans(id) ON DELETE CASCADE,
    user_id         bigint REFERENCES users(id),
    username        text NOT NULL,
    mode            text NOT NULL CHECK (mode IN ('replace', 'merge')),
    strict          boolean NOT NULL,
    source          text NOT NULL CHECK (source IN ('rpc', 'http')),
    file_name       text NOT NULL DEFAULT '',
    file_bytes      bigint NOT NULL DEFAULT 0,
    effective_from  timestamptz NOT NULL,        -- the import's default and replace instant
    status          text NOT NULL CHECK (status IN ('done', 'refused')),
    message         text NOT NULL DEFAULT '',
    imported        bigint NOT NULL DEFAULT 0,   -- good rows in the file
    rejected        bigint NOT NULL DEFAULT 0,   -- bad lines
    new             bigint NOT NULL DEFAULT 0,
    increases       bigint NOT NULL DEFAULT 0,
    decreases       bigint NOT NULL DEFAULT 0,
    changed         bigint NOT NULL DEFAULT 0,
    unchanged       bigint NOT NULL DEFAULT 0,
    early_increases bigint NOT NULL DEFAULT 0,
    closed          bigint NOT NULL DEFAULT 0,
    deleted         bigint NOT NULL DEFAULT 0,
    rejected_sample jsonb NOT NULL DEFAULT '[]', -- the first 100 [{line, message}]
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_imports_plan ON rate_imports (rating_plan_id, id);
