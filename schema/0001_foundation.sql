-- 0001: users, sessions, login throttling and the audit trail.

CREATE TABLE users (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL,
    display_name    text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    role            text NOT NULL CHECK (role IN ('super_admin','admin','noc','support','customer')),
    -- A customer user sees exactly one carrier. The carriers table arrives
    -- with the carrier hierarchy, which adds the foreign key.
    carrier_id      bigint,
    password_hash   text NOT NULL,
    disabled        boolean NOT NULL DEFAULT false,
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    CONSTRAINT users_customer_has_carrier
        CHECK ((role = 'customer') = (carrier_id IS NOT NULL))
);
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

CREATE TABLE sessions (
    id              bigserial PRIMARY KEY,
    user_id         bigint NOT NULL REFERENCES users(id),
    token_hash      text NOT NULL UNIQUE,      -- hex SHA-256 of the token
    address         text NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE login_failures (
    id              bigserial PRIMARY KEY,
    username        text NOT NULL,
    address         text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_user_idx ON login_failures (lower(username), at);
CREATE INDEX login_failures_addr_idx ON login_failures (address, at);

CREATE TABLE audit_log (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_kind      text NOT NULL CHECK (actor_kind IN ('user','api_key','system')),
    actor_id        bigint,
    actor_name      text NOT NULL,
    action          text NOT NULL,
    entity          text NOT NULL,
    entity_id       text,
    before          jsonb,
    after           jsonb,
    address         text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id, id);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

-- The audit trail is append-only: refuse UPDATE and DELETE outright.
CREATE FUNCTION audit_log_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log rows are never changed or deleted';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_immutable();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_immutable();
