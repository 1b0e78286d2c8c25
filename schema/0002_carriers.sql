-- 0002: the carrier hierarchy: categories and groups, carriers with credit
-- settings, accounting details and contacts, trunk groups, interconnects,
-- services; stub rating and routing plan tables owned by later issues.

CREATE TABLE customer_categories (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX customer_categories_name_live ON customer_categories (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE customer_groups (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    category_id bigint REFERENCES customer_categories(id),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX customer_groups_name_live ON customer_groups (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE carriers (
    id                      bigserial PRIMARY KEY,
    name                    text NOT NULL,
    type                    text NOT NULL CHECK (type IN ('customer', 'supplier', 'bilateral')),
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'inactive')),
    timezone                text NOT NULL DEFAULT 'UTC',
    account_manager         text NOT NULL DEFAULT '',
    customer_billing        text NOT NULL DEFAULT 'automatic' CHECK (customer_billing IN ('automatic', 'manual')),
    currencies              text[] NOT NULL CHECK (cardinality(currencies) BETWEEN 1 AND 3),
    capacity                integer CHECK (capacity >= 0),          -- NULL: unrestricted
    circular_routing        boolean NOT NULL DEFAULT false,
    category_id             bigint REFERENCES customer_categories(id),
    group_id                bigint REFERENCES customer_groups(id),
    -- credit settings
    customer_credit_type    text NOT NULL DEFAULT 'prepaid' CHECK (customer_credit_type IN ('prepaid', 'postpaid')),
    credit_limit            numeric(20,6) NOT NULL DEFAULT 0 CHECK (credit_limit >= 0),
    bilateral_limit         numeric(20,6) CHECK (bilateral_limit >= 0),
    bilateral_limit_breach  text NOT NULL DEFAULT 'alert' CHECK (bilateral_limit_breach IN ('block', 'alert')),
    spend_limit_24h         numeric(20,6) CHECK (spend_limit_24h >= 0),
    spend_limit_24h_breach  text NOT NULL DEFAULT 'alert' CHECK (spend_limit_24h_breach IN ('block', 'alert')),
    spend_mode_24h          text NOT NULL DEFAULT 'rolling' CHECK (spend_mode_24h IN ('rolling', 'fixed')),
    spend_reset_time        time,                                    -- fixed mode: daily reset, carrier's time zone
    supplier_credit_type    text NOT NULL DEFAULT 'postpaid' CHECK (supplier_credit_type IN ('prepaid', 'postpaid')),
    -- accounting details
    customer_account_number text NOT NULL DEFAULT '',
    supplier_account_number text NOT NULL DEFAULT '',
    tax_code                text NOT NULL DEFAULT '',
    bill_to                 text NOT NULL DEFAULT '',
    ship_to                 text NOT NULL DEFAULT '',
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz,
    CONSTRAINT carriers_bilateral_limit_only_bilateral CHECK (bilateral_limit IS NULL OR type = 'bilateral')
);
CREATE UNIQUE INDEX carriers_name_live ON carriers (lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX carriers_type_idx ON carriers (type, id) WHERE deleted_at IS NULL;
CREATE INDEX carriers_name_idx ON carriers (lower(name), id) WHERE deleted_at IS NULL;

ALTER TABLE users ADD CONSTRAINT users_carrier_fk FOREIGN KEY (carrier_id) REFERENCES carriers(id);

CREATE TABLE carrier_contacts (
    id          bigserial PRIMARY KEY,
    carrier_id  bigint NOT NULL REFERENCES carriers(id),
    name        text NOT NULL,
    role        text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE INDEX carrier_contacts_carrier_idx ON carrier_contacts (carrier_id) WHERE deleted_at IS NULL;

-- Owned by the rating and routing issues; here only so services can point at them.
CREATE TABLE rating_plans (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    currency    text NOT NULL,
    direction   text NOT NULL CHECK (direction IN ('customer', 'supplier')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE TABLE routing_plans (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    mode        text NOT NULL CHECK (mode IN ('lcr', 'priority', 'weight', 'quality')),
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);

CREATE TABLE trunk_groups (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL DEFAULT '',
    version     integer NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz
);
CREATE UNIQUE INDEX trunk_groups_name_live ON trunk_groups (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE interconnects (
    id                      bigserial PRIMARY KEY,
    carrier_id              bigint NOT NULL REFERENCES carriers(id),
    name                    text NOT NULL,
    direction               text NOT NULL CHECK (direction IN ('ingress', 'egress')),
    currency                text NOT NULL,
    status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'disabled')),
    capacity                integer CHECK (capacity >= 0),
    cps_limit               integer CHECK (cps_limit >= 0),
    signalling_ips          text[] NOT NULL DEFAULT '{}',
    tech_prefix             text,
    supplier_rating_plan_id bigint REFERENCES rating_plans(id),
    trunk_group_id          bigint REFERENCES trunk_groups(id),
    -- the seed's tabs, one object each
    ingress_validation      jsonb NOT NULL DEFAULT '{}',
    ingress_translation     jsonb NOT NULL DEFAULT '{}',
    egress_routing          jsonb NOT NULL DEFAULT '{}',
    egress_translation      jsonb NOT NULL DEFAULT '{}',
    media                   jsonb NOT NULL DEFAULT '{}',
    signalling              jsonb NOT NULL DEFAULT '{}',
    monitoring              jsonb NOT NULL DEFAULT '{}',
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    deleted_at              timestamptz,
    CONSTRAINT interconnects_rating_plan_egress CHECK (supplier_rating_plan_id IS NULL OR direction = 'egress')
);
CREATE UNIQUE INDEX interconnects_name_live ON interconnects (carrier_id, lower(name)) WHERE deleted_at IS NULL;
CREATE INDEX interconnects_carrier_idx ON interconnects (carrier_id, id) WHERE deleted_at IS NULL;

CREATE TABLE services (
    id                  bigserial PRIMARY KEY,
    interconnect_id     bigint NOT NULL REFERENCES interconnects(id),
    carrier_id          bigint NOT NULL REFERENCES carriers(id),   -- the interconnect's, kept for scope
    name                text NOT NULL,
    rating_plan_id      bigint NOT NULL REFERENCES rating_plans(id),
    routing_plan_id     bigint REFERENCES routing_plans(id),
    currency            text NOT NULL,
    tech_prefix         text,
    capacity            integer CHECK (capacity >= 0),
    priority            integer NOT NULL DEFAULT 0,
    time_class_id       bigint,
    allow_transcoding   boolean NOT NULL DEFAULT false,
    routing_method      text NOT NULL DEFAULT 'routing_plan' CHECK (routing_method IN ('routing_plan', 'interconnect')),
    route_interconnect_id bigint REFERENCES interconnects(id),
    enforcement         text NOT NULL DEFAULT 'enforce' CHECK (enforcement IN ('enforce', 'monitor')),
    status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    number_portability  jsonb NOT NULL DEFAULT '{}',
    blacklists          jsonb NOT NULL DEFAULT '{}',
    matching            jsonb NOT NULL DEFAULT '{}',
    version             integer NOT NULL DEFAULT 1,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    deleted_at          timestamptz
);
CREATE UNIQUE INDEX services_tech_prefix_live ON services (interconnect_id, coalesce(tech_prefix, '')) WHERE deleted_at IS NULL;
CREATE INDEX services_interconnect_idx ON services (interconnect_id) WHERE deleted_at IS NULL;
CREATE INDEX services_carrier_idx ON services (carrier_id) WHERE deleted_at IS NULL;
