-- Issue 9: the knowledge base (server/support/kb.c, docs/kb.md).
-- E-mail (server/mail) needs no table: an e-mail is an `email.send` job
-- (schema/0008_jobs.sql) and its delivery log is job_attempts.

-- The text an article is searched by: title (weight A), tags (B), body (C),
-- stemmed with the 'english' configuration. A function so the generated
-- column below can use it (array_to_string alone is only STABLE).
CREATE FUNCTION kb_search_vector(title text, tags text[], body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
        || setweight(to_tsvector('english'::regconfig, coalesce(body, '')), 'C')
$$;

-- Title and tags alone: kb.suggest looks here first (short vectors, few
-- matches, cheap to rank).
CREATE FUNCTION kb_head_vector(title text, tags text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')
        || setweight(to_tsvector('english'::regconfig, coalesce(array_to_string(tags, ' '), '')), 'B')
$$;

CREATE TABLE kb_articles (
    id           bigserial PRIMARY KEY,
    title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body         text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    category     text NOT NULL DEFAULT 'general' CHECK (category ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
    tags         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 20),
    state        text NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'published')),
    -- public: customers may read it once published; internal: staff only
    audience     text NOT NULL DEFAULT 'internal' CHECK (audience IN ('public', 'internal')),
    author_id    bigint REFERENCES users (id),
    author       text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,            -- when it last became published
    deleted_at   timestamptz,
    search       tsvector GENERATED ALWAYS AS (kb_search_vector(title, tags, body)) STORED,
    search_head  tsvector GENERATED ALWAYS AS (kb_head_vector(title, tags)) STORED
);

CREATE INDEX kb_articles_search ON kb_articles USING gin (search) WHERE deleted_at IS NULL;
CREATE INDEX kb_articles_search_head ON kb_articles USING gin (search_head) WHERE deleted_at IS NULL;
CREATE INDEX kb_articles_category ON kb_articles (category, id) WHERE deleted_at IS NULL;
CREATE INDEX kb_articles_updated ON kb_articles (updated_at, id) WHERE deleted_at IS NULL;

-- published_at follows state: set when an article becomes published.
CREATE FUNCTION kb_articles_published() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'published' AND (TG_OP = 'INSERT' OR OLD.state IS DISTINCT FROM 'published') THEN
        NEW.published_at := now();
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER kb_articles_published BEFORE INSERT OR UPDATE OF state ON kb_articles
    FOR EACH ROW EXECUTE FUNCTION kb_articles_published();
