-- 0008: the job queue (server/jobs, docs/jobs.md).
--
-- A job is one row; its state moves queued -> running -> done, back to
-- queued (a retry, run_at later) or dead (attempts used up, failed for
-- good, cancelled, or a lease that expired on the last attempt). Workers
-- of every instance claim due rows with FOR UPDATE SKIP LOCKED. Every
-- attempt leaves a row in job_attempts, the delivery log.
--
-- Dedupe: while a job of a kind and key is queued, running or done,
-- enqueueing the same kind and key returns that job. A dead job does not
-- hold its key: enqueueing it again makes a new job (the dead one stays,
-- for the record), and job.retry of the dead one is then refused.

CREATE TABLE jobs (
    id             bigserial PRIMARY KEY,
    kind           text NOT NULL CHECK (length(kind) <= 64 AND kind ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$'),
    payload        jsonb NOT NULL DEFAULT '{}',
    state          text NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'dead')),
    dedupe_key     text CHECK (length(dedupe_key) BETWEEN 1 AND 200),
    run_at         timestamptz NOT NULL DEFAULT now(),  -- not before; the next try's time after a retry
    attempts       integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- claims so far
    max_attempts   integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
    last_error     text,                                -- the last failure's detail; 'cancelled'
    running_since  timestamptz,                         -- the lease: set while running
    running_by     text,                                -- instance running it
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,                         -- done or dead
    CHECK ((state = 'running') = (running_since IS NOT NULL))
);

CREATE UNIQUE INDEX jobs_dedupe ON jobs (kind, dedupe_key)
    WHERE dedupe_key IS NOT NULL AND state <> 'dead';

-- Claiming: per kind a worker handles, the oldest due queued row. The kind
-- leads so that jobs of kinds nobody handles here (left queued, possibly
-- many) are never scanned past.
CREATE INDEX jobs_claim ON jobs (kind, run_at, id) WHERE state = 'queued';

-- The lease task looks at running rows only.
CREATE INDEX jobs_running ON jobs (running_since) WHERE state = 'running';

CREATE TABLE job_attempts (
    id           bigserial PRIMARY KEY,
    job_id       bigint NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt      integer NOT NULL CHECK (attempt >= 1),
    started_at   timestamptz NOT NULL,
    finished_at  timestamptz NOT NULL,
    outcome      text NOT NULL CHECK (outcome IN ('done', 'retry', 'fail')),
    detail       text,
    instance     text NOT NULL
);

CREATE INDEX job_attempts_job ON job_attempts (job_id, id);
