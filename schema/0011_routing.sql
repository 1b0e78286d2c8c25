-- 0011: routing plans (issue 7) — the plan's settings and its entries.
-- routing_plans was a stub in 0002 (name, mode, version, stamps); this adds
-- what route.lookup needs. Pauses and call counts are 0012's (route gates).

ALTER TABLE routing_plans
    ADD COLUMN description           text NOT NULL DEFAULT '',
    ADD COLUMN allow_negative_margin boolean NOT NULL DEFAULT false,
    ADD COLUMN lcr_delta             numeric(20,6) NOT NULL DEFAULT 0 CHECK (lcr_delta >= 0);
CREATE UNIQUE INDEX routing_plans_name_live ON routing_plans (lower(name)) WHERE deleted_at IS NULL;

-- One row per (plan, prefix); its routes are a jsonb array of
-- {interconnect_id, priority, weight} in the order they were given
-- (routing_plan.entry.set replaces the array whole). Rows are deleted for
-- real (routing_plan.entry.delete): the audit log keeps what they held.
CREATE TABLE routing_plan_entries (
    id              bigserial PRIMARY KEY,
    routing_plan_id bigint NOT NULL REFERENCES routing_plans(id),
    prefix          text NOT NULL CHECK (prefix ~ '^[0-9]{1,24}$'),
    routes          jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(routes) = 'array'),
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT routing_plan_entries_plan_prefix UNIQUE (routing_plan_id, prefix)
);
