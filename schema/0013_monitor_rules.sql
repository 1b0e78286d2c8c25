-- Monitoring rules, alerts and anomaly baselines (docs/monitoring.md, issue 8).

CREATE TABLE monitor_rules (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    scope            text NOT NULL CHECK (scope IN ('interconnect', 'route', 'destination', 'service')),
    scope_id         text CHECK (length(scope_id) BETWEEN 1 AND 95),     -- NULL: every scope of the kind
    metric           text NOT NULL CHECK (metric IN ('asr', 'acd', 'ner', 'pdd', 'attempts')),
    op               text NOT NULL CHECK (op IN ('<', '>', 'anomaly')),
    threshold        double precision NOT NULL,                          -- anomaly: the |z| that fires
    reset_threshold  double precision,                                   -- NULL: the threshold
    kpi_window       text NOT NULL DEFAULT '5m' CHECK (kpi_window IN ('5m', '15m', '1h', '24h')),
    min_attempts     integer NOT NULL DEFAULT 10 CHECK (min_attempts >= 1),
    hold_seconds     integer NOT NULL DEFAULT 0 CHECK (hold_seconds >= 0),
    action           text NOT NULL DEFAULT 'alert' CHECK (action IN ('alert', 'pause', 'disable')),
    severity         text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    notify           jsonb NOT NULL DEFAULT '[]',
    recovery         jsonb NOT NULL DEFAULT '{"mode": "auto", "after_minutes": 5}',
    penalty_minutes  integer NOT NULL DEFAULT 60 CHECK (penalty_minutes >= 0),
    enabled          boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE UNIQUE INDEX monitor_rules_name_live ON monitor_rules (lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE alerts (
    id               bigserial PRIMARY KEY,
    source           text NOT NULL CHECK (source IN ('rule', 'anomaly', 'probe')),
    rule_id          bigint REFERENCES monitor_rules(id),
    scope            text NOT NULL,
    scope_id         text NOT NULL,
    interconnect_id  bigint REFERENCES interconnects(id) ON DELETE SET NULL,
    severity         text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    metric           text NOT NULL,
    value            text,
    threshold        text,
    message          text NOT NULL,
    details          jsonb NOT NULL DEFAULT '{}',
    notify           jsonb NOT NULL DEFAULT '[]',
    state            text NOT NULL DEFAULT 'fired' CHECK (state IN ('fired', 'acknowledged', 'resolved')),
    count            integer NOT NULL DEFAULT 1,
    fired_at         timestamptz NOT NULL DEFAULT now(),
    last_seen_at     timestamptz NOT NULL DEFAULT now(),
    acknowledged_at  timestamptz,
    acknowledged_by  text,
    resolved_at      timestamptz,
    resolved_by      text,
    resolution       text,
    CHECK ((state = 'resolved') = (resolved_at IS NOT NULL))
);
-- One open alert per key, across instances: alert_fire inserts with
-- ON CONFLICT on this index and refreshes the open one instead.
CREATE UNIQUE INDEX alerts_open_key ON alerts (source, (coalesce(rule_id, 0)), scope, scope_id)
    WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, id);
CREATE INDEX alerts_rule ON alerts (rule_id, id) WHERE rule_id IS NOT NULL;

-- Anomaly baselines: an EWMA of mean and variance per scope, metric and
-- hour of the week (0 = Monday 00:00 UTC). last_hour: the start of the
-- last hour fed, so an hour is fed once even with several instances.
CREATE TABLE monitor_baselines (
    scope         text NOT NULL,
    scope_id      text NOT NULL,
    metric        text NOT NULL,
    hour_of_week  integer NOT NULL CHECK (hour_of_week BETWEEN 0 AND 167),
    mean          double precision NOT NULL,
    variance      double precision NOT NULL,
    samples       integer NOT NULL,
    last_hour     timestamptz NOT NULL,
    PRIMARY KEY (scope, scope_id, metric, hour_of_week)
);
