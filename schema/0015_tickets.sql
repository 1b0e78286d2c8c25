-- Support tickets (issue 9): categories, teams with business hours,
-- assignment rules, SLA policies, tickets, messages, attachments, SLA
-- warning/breach records. docs/tickets.md describes the model.

CREATE TABLE ticket_categories (
    id               bigserial PRIMARY KEY,
    name             text NOT NULL,
    customer_visible boolean NOT NULL DEFAULT true,
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);
CREATE UNIQUE INDEX ticket_categories_name_key ON ticket_categories (lower(name)) WHERE deleted_at IS NULL;

-- A team: its members (staff user ids, a JSON array, in round-robin order),
-- its time zone and business hours ({"mon":{"start":"09:00","end":"17:00"},
-- ...}; a missing or null day is closed), and the round-robin cursor
-- (the index of the member who got the last ticket), taken under the
-- row lock so concurrent creates never hand out the same turn.
CREATE TABLE support_teams (
    id             bigserial PRIMARY KEY,
    name           text NOT NULL,
    time_zone      text NOT NULL DEFAULT 'UTC',
    business_hours jsonb NOT NULL DEFAULT '{"mon":{"start":"09:00","end":"17:00"},"tue":{"start":"09:00","end":"17:00"},"wed":{"start":"09:00","end":"17:00"},"thu":{"start":"09:00","end":"17:00"},"fri":{"start":"09:00","end":"17:00"}}',
    members        jsonb NOT NULL DEFAULT '[]',
    rr_cursor      integer NOT NULL DEFAULT -1,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz
);
CREATE UNIQUE INDEX support_teams_name_key ON support_teams (lower(name)) WHERE deleted_at IS NULL;

-- Ordered rules: the first live rule whose set conditions all match the
-- new ticket names its team.
CREATE TABLE ticket_assignment_rules (
    id               bigserial PRIMARY KEY,
    position         integer NOT NULL DEFAULT 100,
    category_id      bigint REFERENCES ticket_categories (id),
    priority         text CHECK (priority IN ('low','normal','high','urgent')),
    carrier_group_id bigint REFERENCES customer_groups (id),
    team_id          bigint NOT NULL REFERENCES support_teams (id),
    version          integer NOT NULL DEFAULT 1,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz
);

-- SLA targets per priority and customer category (NULL = any category;
-- a policy for the carrier's own category wins).
CREATE TABLE sla_policies (
    id                     bigserial PRIMARY KEY,
    priority               text NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
    customer_category_id   bigint REFERENCES customer_categories (id),
    first_response_minutes integer NOT NULL CHECK (first_response_minutes > 0),
    resolution_minutes     integer NOT NULL CHECK (resolution_minutes > 0),
    business_hours         boolean NOT NULL DEFAULT true,
    version                integer NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    deleted_at             timestamptz
);
CREATE UNIQUE INDEX sla_policies_key ON sla_policies (priority, coalesce(customer_category_id, 0))
    WHERE deleted_at IS NULL;

-- Gap-free ticket numbers: one counter row, incremented under its row
-- lock in the creating transaction (a rollback gives the number back).
CREATE TABLE ticket_counter (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    last bigint NOT NULL DEFAULT 0
);
INSERT INTO ticket_counter DEFAULT VALUES;

CREATE TABLE tickets (
    id                    bigserial PRIMARY KEY,
    number                text NOT NULL UNIQUE,
    subject               text NOT NULL,
    category_id           bigint REFERENCES ticket_categories (id),
    priority              text NOT NULL CHECK (priority IN ('low','normal','high','urgent')),
    priority_rank         smallint GENERATED ALWAYS AS (CASE priority WHEN 'low' THEN 1 WHEN 'normal' THEN 2
                                                        WHEN 'high' THEN 3 ELSE 4 END) STORED,
    status                text NOT NULL DEFAULT 'new'
                          CHECK (status IN ('new','open','pending','resolved','closed')),
    carrier_id            bigint REFERENCES carriers (id),
    requester_id          bigint NOT NULL REFERENCES users (id),
    assignee_id           bigint REFERENCES users (id),
    team_id               bigint REFERENCES support_teams (id),
    tags                  text[] NOT NULL DEFAULT '{}',
    -- SLA: targets computed at create (business time of the team), the
    -- next open one in due_at ('infinity' when none: sorts last, stays NOT
    -- NULL for keyset paging), the resolution clock paused while pending.
    sla_policy_id         bigint REFERENCES sla_policies (id),
    first_response_due_at timestamptz,
    resolution_due_at     timestamptz,
    due_at                timestamptz NOT NULL DEFAULT 'infinity',
    paused_at             timestamptz,
    sla_breached          boolean NOT NULL DEFAULT false,
    first_response_at     timestamptz,
    resolved_at           timestamptz,
    closed_at             timestamptz,
    rating                smallint CHECK (rating BETWEEN 1 AND 5),
    rating_comment        text,
    rated_at              timestamptz,
    -- Previews for lists: the last message of any kind (staff) and the
    -- last public one (customers), so a list never reads messages.
    last_at               timestamptz,
    last_author           text,
    last_excerpt          text,
    last_internal         boolean,
    last_public_at        timestamptz,
    last_public_author    text,
    last_public_excerpt   text,
    -- Full text: subject + public messages; the same plus internal notes.
    search_public         tsvector NOT NULL DEFAULT ''::tsvector,
    search_all            tsvector NOT NULL DEFAULT ''::tsvector,
    version               integer NOT NULL DEFAULT 1,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
-- ticket.list: each typical filter + sort is one index range.
CREATE INDEX tickets_updated ON tickets (updated_at, id);
CREATE INDEX tickets_created ON tickets (created_at, id);
CREATE INDEX tickets_due ON tickets (due_at, id);
CREATE INDEX tickets_priority ON tickets (priority_rank, id);
CREATE INDEX tickets_status_priority_due ON tickets (status, priority, due_at, id);
CREATE INDEX tickets_status_updated ON tickets (status, updated_at, id);
CREATE INDEX tickets_status_due ON tickets (status, due_at, id);
CREATE INDEX tickets_assignee_updated ON tickets (assignee_id, updated_at, id);
CREATE INDEX tickets_assignee_due ON tickets (assignee_id, due_at, id);
CREATE INDEX tickets_carrier_updated ON tickets (carrier_id, updated_at, id);
CREATE INDEX tickets_team_updated ON tickets (team_id, updated_at, id);
CREATE INDEX tickets_unassigned ON tickets (updated_at, id) WHERE assignee_id IS NULL;
CREATE INDEX tickets_breached ON tickets (updated_at, id) WHERE sla_breached;
CREATE INDEX tickets_tags ON tickets USING gin (tags);
CREATE INDEX tickets_search_public ON tickets USING gin (search_public);
CREATE INDEX tickets_search_all ON tickets USING gin (search_all);
-- The SLA task: open targets only.
CREATE INDEX tickets_sla_open ON tickets (due_at) WHERE due_at <> 'infinity';

-- due_at follows the ticket's state: the first response target until a
-- first response, then the resolution target; none once resolved or
-- closed, and no resolution target while pending (its clock is paused).
CREATE FUNCTION tickets_due_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.due_at := CASE
        WHEN NEW.status IN ('resolved', 'closed') THEN 'infinity'
        WHEN NEW.first_response_at IS NULL AND NEW.first_response_due_at IS NOT NULL THEN NEW.first_response_due_at
        WHEN NEW.status = 'pending' THEN 'infinity'
        ELSE coalesce(NEW.resolution_due_at, 'infinity') END;
    RETURN NEW;
END $$;
CREATE TRIGGER tickets_due_at BEFORE INSERT OR UPDATE ON tickets FOR EACH ROW EXECUTE FUNCTION tickets_due_at();

CREATE TABLE ticket_messages (
    id          bigserial PRIMARY KEY,
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    author_id   bigint REFERENCES users (id),
    author      text NOT NULL,
    body        text NOT NULL,
    internal    boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);

-- Files live under attachment_dir as storage_name (random hex, never the
-- client's name). internal copies the message's flag: an attachment of an
-- internal note is as hidden as the note.
CREATE TABLE ticket_attachments (
    id           bigserial PRIMARY KEY,
    ticket_id    bigint NOT NULL REFERENCES tickets (id),
    message_id   bigint REFERENCES ticket_messages (id),
    internal     boolean NOT NULL DEFAULT false,
    filename     text NOT NULL,
    content_type text NOT NULL,
    size         bigint NOT NULL,
    sha256       text NOT NULL,
    storage_name text NOT NULL UNIQUE,
    uploaded_by  bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ticket_attachments_ticket ON ticket_attachments (ticket_id, id);

-- One row per ticket and target: warned once, breached once.
CREATE TABLE ticket_sla_events (
    ticket_id   bigint NOT NULL REFERENCES tickets (id),
    target      text NOT NULL CHECK (target IN ('first_response','resolution')),
    due_at      timestamptz NOT NULL,
    warned_at   timestamptz,
    breached_at timestamptz,
    PRIMARY KEY (ticket_id, target)
);
-- The SLA task's breach candidates: warned, not (yet) breached.
CREATE INDEX ticket_sla_events_open ON ticket_sla_events (ticket_id) WHERE breached_at IS NULL;
