-- Route gates (docs/gates.md): pauses of an interconnect, or of a callee
-- prefix on it, that route.lookup honours. Call counts (capacity, CPS) live
-- in memory only.

CREATE TABLE route_pauses (
    id               bigserial PRIMARY KEY,
    interconnect_id  bigint NOT NULL REFERENCES interconnects(id) ON DELETE CASCADE, -- purge takes the history
    prefix           text CHECK (prefix ~ '^[0-9]{1,32}$'),       -- NULL: the whole interconnect
    reason           text NOT NULL CHECK (length(reason) BETWEEN 1 AND 200),
    actor            text NOT NULL,                              -- username, rule name or "system"
    actor_kind       text NOT NULL CHECK (actor_kind IN ('user', 'rule', 'system')),
    actor_id         bigint,                                     -- users.id when a user paused
    created_at       timestamptz NOT NULL DEFAULT now(),
    resumed_at       timestamptz,
    resumed_by       text,
    CHECK ((resumed_at IS NULL) = (resumed_by IS NULL))
);
-- At most one active pause per (interconnect, prefix); NULL prefix counts as one value.
CREATE UNIQUE INDEX route_pauses_active ON route_pauses (interconnect_id, coalesce(prefix, ''))
    WHERE resumed_at IS NULL;
CREATE INDEX route_pauses_interconnect ON route_pauses (interconnect_id, id);
