-- 0003: credit alerts, blacklists, release cause mappings and assignment
-- (which categories / groups / carriers may see an item).

CREATE TABLE credit_alerts (
    id          bigserial PRIMARY KEY,
    carrier_id  bigint NOT NULL REFERENCES carriers(id),
    type        text NOT NULL CHECK (type IN ('low_balance', 'high_balance', 'spend_24h_breach')),
    threshold   numeric(20,6) NOT NULL CHECK (threshold >= 0),
    template    text NOT NULL DEFAULT '',
    recipients  text[] NOT NULL DEFAULT '{}',
    enabled     boolean NOT NULL DEFAULT true,
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX credit_alerts_carrier_idx ON credit_alerts (carrier_id) WHERE deleted_at IS NULL;

CREATE TABLE blacklists (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    numbers     text[] NOT NULL DEFAULT '{}',   -- exact numbers
    prefixes    text[] NOT NULL DEFAULT '{}',   -- leading digits
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX blacklists_name_live ON blacklists (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE release_cause_mappings (
    id              bigserial PRIMARY KEY,
    interconnect_id bigint REFERENCES interconnects(id),   -- NULL: global
    direction       text NOT NULL CHECK (direction IN ('sip_to_q850', 'q850_to_sip')),
    sip_code        integer NOT NULL CHECK (sip_code BETWEEN 300 AND 699),
    q850_cause      integer NOT NULL CHECK (q850_cause BETWEEN 1 AND 127),
    description     text NOT NULL DEFAULT '',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    deleted_at      timestamptz
);
-- One mapping per source code, per scope and direction.
CREATE UNIQUE INDEX release_cause_mappings_unique ON release_cause_mappings
    (coalesce(interconnect_id, 0), direction,
     (CASE WHEN direction = 'sip_to_q850' THEN sip_code ELSE q850_cause END))
    WHERE deleted_at IS NULL;

CREATE TABLE assignments (
    entity      text NOT NULL,
    entity_id   bigint NOT NULL,
    categories  bigint[] NOT NULL DEFAULT '{}',
    groups      bigint[] NOT NULL DEFAULT '{}',
    carriers    bigint[] NOT NULL DEFAULT '{}',
    version     integer NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (entity, entity_id)
);
