/*
 * jobs.c: the queue (jobs.h) — kinds, enqueue, the worker threads, the
 * lease task and the built-in kind system.echo. The job.* methods are in
 * job_methods.c; the rules are in docs/jobs.md.
 *
 * A worker owns one connection (autocommit) and loops: claim one due job
 * of a kind registered here (one statement: the oldest due row per kind,
 * FOR UPDATE SKIP LOCKED, the oldest of those set running), run its
 * handler, record the outcome and the attempt (one statement). With
 * nothing due it sleeps until a NOTIFY of one of its kinds (one listener
 * thread per instance LISTENs on didtron_jobs and wakes the idle workers),
 * the time the next queued job of its kinds is due, or one second,
 * whichever comes first. Every statement that changes a job's state also
 * emits job.changed, so that a change and its event commit together.
 *
 * The finishing statement only changes the job while this instance still
 * holds its lease (state running, running_by us, the same attempt); a job
 * the lease task took back meanwhile keeps its new state, and the late
 * outcome is only logged.
 */
#include "jobs_private.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "../db/db.h"
#include "../system/ticker.h"

#define JOBS_KINDS_MAX 32
#define JOBS_POLL_MS 1000        /* longest wait without a NOTIFY */
#define JOBS_MIN_WAIT_MS 5       /* due jobs locked by another claimer: look again soon */
#define JOBS_DETAIL_MAX 1024
#define JOBS_LEASE_BATCH "1000"  /* jobs taken back per run of the lease task */

/* ---- kinds ---- */

typedef struct {
    const char *kind;
    job_handler fn;
    int max_attempts;
} job_kind;

static job_outcome echo_handler(PGconn *db, const job *j, char *detail, size_t detail_len);

static job_kind kinds[JOBS_KINDS_MAX] = {
    { "system.echo", echo_handler, JOBS_DEFAULT_ATTEMPTS },
};
static int nkinds = 1;
static bool started; /* kinds are fixed from jobs_start on */

bool jobs_kind_valid(const char *kind)
{
    size_t n = kind ? strlen(kind) : 0;
    if (n == 0 || n > 64)
        return false;
    bool word_start = true;
    for (const char *p = kind; *p; p++) {
        if (*p == '.') {
            if (word_start)
                return false;
            word_start = true;
            continue;
        }
        bool letter = *p >= 'a' && *p <= 'z';
        if (word_start ? !letter : !(letter || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
        word_start = false;
    }
    return !word_start;
}

static const job_kind *kind_find(const char *kind)
{
    for (int i = 0; kind && i < nkinds; i++)
        if (!strcmp(kinds[i].kind, kind))
            return &kinds[i];
    return NULL;
}

bool jobs_kind_handled(const char *kind)
{
    return kind_find(kind) != NULL;
}

int jobs_kind_attempts(const char *kind)
{
    const job_kind *k = kind_find(kind);
    return k ? k->max_attempts : JOBS_DEFAULT_ATTEMPTS;
}

int jobs_register(const char *kind, job_handler fn, int max_attempts)
{
    if (started)
        log_error("jobs: kind %s registered after jobs_start", kind ? kind : "?");
    else if (!jobs_kind_valid(kind) || !strncmp(kind, JOBS_TEST_PREFIX, strlen(JOBS_TEST_PREFIX)))
        log_error("jobs: \"%s\" is not a kind name one may register", kind ? kind : "");
    else if (!fn || max_attempts < 1 || max_attempts > JOBS_MAX_ATTEMPTS)
        log_error("jobs: kind %s needs a handler and max_attempts 1..%d", kind, JOBS_MAX_ATTEMPTS);
    else if (kind_find(kind))
        log_error("jobs: kind %s registered twice", kind);
    else if (nkinds == JOBS_KINDS_MAX)
        log_error("jobs: no room for kind %s (%d kinds)", kind, JOBS_KINDS_MAX);
    else {
        kinds[nkinds++] = (job_kind){ kind, fn, max_attempts };
        return 0;
    }
    return -1;
}

/* ---- settings and backoff ---- */

static struct {
    int backoff_base_ms;
    int lease_sec;
    char instance[64];
} settings = { 1000, JOBS_LEASE_SEC, "didtrond" };

void jobs_configure(const dt_config *cfg)
{
    settings.backoff_base_ms = cfg->job_backoff_base_ms > 0 ? cfg->job_backoff_base_ms : 1000;
    settings.lease_sec = cfg->job_lease_sec > 0 ? cfg->job_lease_sec : JOBS_LEASE_SEC;
    snprintf(settings.instance, sizeof settings.instance, "%s", cfg->instance[0] ? cfg->instance : "didtrond");
}

long long jobs_backoff_ms(int attempt, int base_ms, uint64_t random)
{
    long long d = base_ms > 0 ? base_ms : 1;
    for (int i = 0; i < attempt && d < JOBS_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > JOBS_BACKOFF_CAP_MS)
        d = JOBS_BACKOFF_CAP_MS;
    long long half = d / 2;
    return d - half + (long long)(random % (uint64_t)(half + 1));
}

/* splitmix64: small, fast, good enough for jitter; one state per thread. */
static uint64_t rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rng_seed(const void *salt)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)time_now_usec() ^ ((uint64_t)(uintptr_t)salt << 16);
    return seed;
}

/* ---- enqueue ---- */

static const char enqueue_sql[] =
    "WITH ins AS ("
    " INSERT INTO jobs (kind, payload, dedupe_key, run_at, max_attempts)"
    " VALUES ($1, $2::jsonb, $3, coalesce($4::timestamptz, now()), $5::integer)"
    " ON CONFLICT (kind, dedupe_key) WHERE dedupe_key IS NOT NULL AND state <> 'dead' DO NOTHING"
    " RETURNING id, kind, state)"
    " SELECT id, pg_notify('" JOBS_CHANNEL "', kind), " JOB_EVENT_SQL("id", "kind", "state") " FROM ins";

static const char existing_sql[] =
    "SELECT id FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND state <> 'dead'";

/* One statement; 1 and *id when it returned a row, 0 when not, -1 on error. */
static int query_id(PGconn *db, const char *sql, int n, const char *const *params, long long *id)
{
    PGresult *r = PQexecParams(db, sql, n, NULL, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        rc = PQntuples(r) > 0;
        if (rc)
            *id = atoll(PQgetvalue(r, 0, 0));
    } else {
        log_error("jobs: enqueue: %s", PQresultErrorMessage(r));
    }
    PQclear(r);
    return rc;
}

long long jobs_enqueue_ex(PGconn *db, const char *kind, json_t *payload, const char *dedupe_key,
                          int64_t run_at_usec, int max_attempts, bool *existing)
{
    *existing = false;
    if (!db || !jobs_kind_valid(kind) || max_attempts < 0 || max_attempts > JOBS_MAX_ATTEMPTS ||
        (dedupe_key && (!dedupe_key[0] || strlen(dedupe_key) > 200))) {
        log_error("jobs: enqueue of %s refused (kind, max_attempts or dedupe_key out of bounds)", kind ? kind : "?");
        return -1;
    }
    char *text = payload ? json_dumps(payload, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (payload && !text) {
        log_error("jobs: enqueue of %s: payload cannot be encoded", kind);
        return -1;
    }
    char at[40], attempts[16];
    if (run_at_usec)
        time_format_rfc3339(run_at_usec, at, sizeof at);
    snprintf(attempts, sizeof attempts, "%d", max_attempts ? max_attempts : jobs_kind_attempts(kind));
    const char *ins[] = { kind, text ? text : "{}", dedupe_key, run_at_usec ? at : NULL, attempts };
    const char *find[] = { kind, dedupe_key };
    long long id = -1;
    /* A live job with the key may die between the two statements: then
     * the key is free again and the insert is tried once more. */
    for (int round = 0; round < 3; round++) {
        int got = query_id(db, enqueue_sql, 5, ins, &id);
        if (got != 0)
            break;
        got = query_id(db, existing_sql, 2, find, &id);
        if (got != 0) {
            *existing = got > 0;
            break;
        }
        id = -1;
    }
    free(text);
    return id;
}

long long jobs_enqueue(PGconn *db, const char *kind, json_t *payload, const char *dedupe_key,
                       int64_t run_at_usec, int max_attempts)
{
    bool existing;
    return jobs_enqueue_ex(db, kind, payload, dedupe_key, run_at_usec, max_attempts, &existing);
}

long long rpc_job_enqueue(rpc_call *c, const char *kind, json_t *payload, const char *dedupe_key)
{
    long long id = jobs_enqueue(c->db, kind, payload, dedupe_key, 0, 0);
    if (id < 0)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    return id;
}

/* ---- the built-in kind ---- */

/* system.echo: for tests and for checking that the queue runs. Payload
 * {fail_times, fail_hard, sleep_ms}: sleeps, then fails for good when
 * fail_hard, asks for a retry while attempt <= fail_times, else is done. */
static job_outcome echo_handler(PGconn *db, const job *j, char *detail, size_t detail_len)
{
    (void)db;
    json_int_t fail_times = json_integer_value(json_object_get(j->payload, "fail_times"));
    json_int_t sleep_ms = json_integer_value(json_object_get(j->payload, "sleep_ms"));
    if (sleep_ms > 0) {
        if (sleep_ms > 60000)
            sleep_ms = 60000;
        struct timespec ts = { (time_t)(sleep_ms / 1000), (long)(sleep_ms % 1000) * 1000000L };
        while (nanosleep(&ts, &ts) && errno == EINTR)
            ;
    }
    if (json_is_true(json_object_get(j->payload, "fail_hard"))) {
        snprintf(detail, detail_len, "echo: fail_hard");
        return JOB_FAIL;
    }
    if (j->attempt <= fail_times) {
        snprintf(detail, detail_len, "echo: failing attempt %d of %lld", j->attempt, (long long)fail_times);
        return JOB_RETRY;
    }
    snprintf(detail, detail_len, "echo: done on attempt %d", j->attempt);
    return JOB_DONE;
}

/* ---- the lease task (on the ticker) ---- */

static const char lease_sql[] =
    "WITH stale AS ("
    " SELECT id, running_since, running_by FROM jobs"
    "  WHERE state = 'running' AND running_since < now() - $1::integer * interval '1 second'"
    "  ORDER BY running_since LIMIT " JOBS_LEASE_BATCH " FOR UPDATE SKIP LOCKED),"
    " j AS ("
    " UPDATE jobs SET state = CASE WHEN jobs.attempts < jobs.max_attempts THEN 'queued' ELSE 'dead' END,"
    "  run_at = now(),"
    "  last_error = 'lease expired: running on ' || coalesce(stale.running_by, '?') || ' since '"
    "   || cdr_time(stale.running_since),"
    "  finished_at = CASE WHEN jobs.attempts < jobs.max_attempts THEN NULL ELSE now() END,"
    "  running_since = NULL, running_by = NULL, updated_at = now()"
    "  FROM stale WHERE jobs.id = stale.id"
    "  RETURNING jobs.id, jobs.kind, jobs.state, jobs.attempts, jobs.last_error,"
    "   stale.running_since AS started_at, stale.running_by AS ran_on),"
    " a AS ("
    " INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, detail, instance)"
    " SELECT id, greatest(attempts, 1), started_at, now(), 'retry', last_error || '; taken back by ' || $2,"
    "  coalesce(ran_on, '?') FROM j)"
    " SELECT id, pg_notify('" JOBS_CHANNEL "', kind), " JOB_EVENT_SQL("id", "kind", "state") " FROM j";

static int lease_task(void *ud, PGconn *db)
{
    (void)ud;
    char lease[16];
    snprintf(lease, sizeof lease, "%d", settings.lease_sec);
    const char *params[] = { lease, settings.instance };
    PGresult *r = PQexecParams(db, lease_sql, 2, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("jobs: lease: %s", PQresultErrorMessage(r));
        rc = -1;
    } else if (PQntuples(r) > 0) {
        log_warn("jobs: took back %d job(s) running longer than the %d s lease (first: %s)", PQntuples(r),
                 settings.lease_sec, PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return rc;
}

static int lease_interval_ms(void)
{
    int ms = settings.lease_sec * 250; /* four looks per lease */
    return ms < 250 ? 250 : ms > 5000 ? 5000 : ms;
}

/* ---- workers and their wake-up listener ---- */

typedef struct {
    pthread_t thread;
    int index;
    uint64_t rng;
    PGconn *db;
    int retry_ms;       /* reconnect backoff */
    bool down_logged;
} job_worker;

/* A claimed job, owned by the worker until its outcome is recorded. */
typedef struct {
    long long id;
    const job_kind *kind;
    char *payload;      /* JSON text (owned) */
    int attempt;
    int max_attempts;
    char started_at[48];
} claimed_job;

static job_worker *workers;
static int nworkers;
static pthread_t listener;
static bool listener_running;
static int stop_fd = -1;   /* eventfd for the listener: readable once jobs_stop is called */
static char *conninfo_copy;
static char *kinds_literal; /* "{system.echo,fx.refresh}": names are [a-z0-9_.] only */

/* Idle workers sleep on wake_cv. The listener bumps wake_gen and
 * broadcasts when a job of our kinds is queued; a worker notes wake_gen
 * before it claims and sleeps only if it has not moved since, so a NOTIFY
 * that arrives while it is claiming is never lost. */
static pthread_mutex_t wake_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake_cv;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;
static unsigned long wake_gen;
static bool stopping;       /* under wake_lock */

static void wake_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&wake_cv, &a);
    pthread_condattr_destroy(&a);
}

static bool is_stopping(void)
{
    pthread_mutex_lock(&wake_lock);
    bool s = stopping;
    pthread_mutex_unlock(&wake_lock);
    return s;
}

static unsigned long wake_generation(void)
{
    pthread_mutex_lock(&wake_lock);
    unsigned long g = wake_gen;
    pthread_mutex_unlock(&wake_lock);
    return g;
}

static void wake_workers(void)
{
    pthread_mutex_lock(&wake_lock);
    wake_gen++;
    pthread_cond_broadcast(&wake_cv);
    pthread_mutex_unlock(&wake_lock);
}

/* Sleep up to ms, less when woken (wake_gen moves past seen) or stopped.
 * seen = ~0UL: only a stop ends it early. */
static void sleep_unless_woken(unsigned long seen, int ms)
{
    int64_t due = time_mono_usec() + (int64_t)ms * 1000;
    struct timespec ts = { .tv_sec = (time_t)(due / 1000000), .tv_nsec = (long)(due % 1000000) * 1000 };
    pthread_mutex_lock(&wake_lock);
    while (!stopping && (seen == ~0UL || wake_gen == seen))
        if (pthread_cond_timedwait(&wake_cv, &wake_lock, &ts) == ETIMEDOUT)
            break;
    pthread_mutex_unlock(&wake_lock);
}

/* The queue's own bookkeeping (claim, finish) commits asynchronously: a
 * PostgreSQL crash may lose the last fraction of a second of it, which puts
 * those jobs back to queued or running (the lease takes them back), so they
 * run again, as after a crash of didtrond: delivery is at least once either
 * way. Enqueueing (in the caller's transaction) and whatever a handler
 * commits stay synchronous. It more than doubles throughput: with NOTIFY
 * in the same transaction, commits are serialised (PostgreSQL holds a lock
 * across the commit's WAL flush). */
#define ASYNC_COMMIT_CTE "async AS (SELECT set_config('synchronous_commit', 'off', true) AS v)"

static const char claim_sql[] =
    "WITH " ASYNC_COMMIT_CTE ","
    " next AS ("
    " SELECT c.id FROM unnest($1::text[]) AS k(kind)"
    " CROSS JOIN LATERAL ("
    "  SELECT j.id, j.run_at FROM jobs j"
    "   WHERE j.state = 'queued' AND j.kind = k.kind AND j.run_at <= now()"
    "   ORDER BY j.run_at, j.id LIMIT 1 FOR UPDATE SKIP LOCKED) c"
    " ORDER BY c.run_at, c.id LIMIT 1)"
    " UPDATE jobs SET state = 'running', attempts = jobs.attempts + 1, running_since = now(),"
    "  running_by = $2, updated_at = now()"
    " FROM next, async WHERE jobs.id = next.id"
    " RETURNING jobs.id, jobs.kind, jobs.payload::text, jobs.attempts, jobs.max_attempts,"
    "  jobs.running_since::text, " JOB_EVENT_SQL("jobs.id", "jobs.kind", "jobs.state");

/* The time until the next queued job of our kinds is due, in ms; NULL when
 * there is none. */
static const char next_due_sql[] =
    "SELECT ceil(extract(epoch FROM min(x.run_at) - clock_timestamp()) * 1000)::bigint"
    " FROM unnest($1::text[]) AS k(kind)"
    " CROSS JOIN LATERAL (SELECT j.run_at FROM jobs j WHERE j.state = 'queued' AND j.kind = k.kind"
    "  ORDER BY j.run_at LIMIT 1) x";

static const char finish_sql[] =
    "WITH " ASYNC_COMMIT_CTE ","
    " j AS ("
    " UPDATE jobs SET"
    "  state = CASE WHEN $2 = 'done' THEN 'done'"
    "   WHEN $2 = 'retry' AND attempts < max_attempts THEN 'queued' ELSE 'dead' END,"
    "  run_at = CASE WHEN $2 = 'retry' AND attempts < max_attempts"
    "   THEN now() + $5::bigint * interval '1 millisecond' ELSE run_at END,"
    "  last_error = CASE WHEN $2 = 'done' THEN NULL ELSE coalesce($6, 'failed') END,"
    "  finished_at = CASE WHEN $2 = 'retry' AND attempts < max_attempts THEN NULL ELSE now() END,"
    "  running_since = NULL, running_by = NULL, updated_at = now()"
    " WHERE id = $1 AND state = 'running' AND attempts = $3::integer AND running_by = $4"
    " RETURNING id, kind, state),"
    " a AS ("
    " INSERT INTO job_attempts (job_id, attempt, started_at, finished_at, outcome, detail, instance)"
    " SELECT $1, $3::integer, $7::timestamptz, now(), $2,"
    "  CASE WHEN EXISTS (SELECT 1 FROM j) THEN $6"
    "  ELSE concat_ws('; ', $6, 'finished after its lease expired; the job had been taken back') END, $4"
    "  FROM async)"
    " SELECT state, " JOB_EVENT_SQL("id", "kind", "state") " FROM j";

/* Free queued notifications; true when one names a kind handled here. */
static bool drain_notifies(PGconn *db)
{
    bool ours = false;
    PGnotify *n;
    while ((n = PQnotifies(db))) {
        if (!n->extra[0] || kind_find(n->extra))
            ours = true;
        PQfreemem(n);
    }
    return ours;
}

static PGconn *listen_connect(bool *down_logged)
{
    char err[512];
    PGconn *db = db_connect(conninfo_copy, err, sizeof err);
    PGresult *r = db ? PQexec(db, "LISTEN " JOBS_CHANNEL) : NULL;
    if (db && PQresultStatus(r) != PGRES_COMMAND_OK) {
        snprintf(err, sizeof err, "LISTEN: %s", PQresultErrorMessage(r));
        PQfinish(db);
        db = NULL;
    }
    PQclear(r);
    if (!db && !*down_logged)
        log_warn("jobs: listener cannot connect (workers poll every %d ms meanwhile): %s", JOBS_POLL_MS, err);
    else if (db && *down_logged)
        log_info("jobs: listener connected again");
    *down_logged = !db;
    return db;
}

/* One connection per instance LISTENs for didtron_jobs and wakes the idle
 * workers (theirs do not LISTEN: every listening backend of a database
 * reads every NOTIFY, job.changed events included). */
static void *listener_main(void *arg)
{
    (void)arg;
    PGconn *db = NULL;
    int backoff_ms = 100;
    bool down_logged = false;
    while (!is_stopping()) {
        if (!db) {
            if (!(db = listen_connect(&down_logged))) {
                struct pollfd p = { stop_fd, POLLIN, 0 };
                poll(&p, 1, backoff_ms);
                backoff_ms = backoff_ms < 2500 ? backoff_ms * 2 : 5000;
                continue;
            }
            backoff_ms = 100;
            wake_workers(); /* what was queued while nobody listened */
        }
        struct pollfd p[2] = { { PQsocket(db), POLLIN, 0 }, { stop_fd, POLLIN, 0 } };
        int n = poll(p, 2, -1);
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0 || p[1].revents)
            continue;
        if (!PQconsumeInput(db) || PQstatus(db) != CONNECTION_OK) {
            log_warn("jobs: listener lost its connection: %s", PQerrorMessage(db));
            PQfinish(db);
            db = NULL;
            continue;
        }
        if (drain_notifies(db))
            wake_workers();
    }
    if (db)
        PQfinish(db);
    return NULL;
}

/* The worker's statements, prepared once per connection: planning the
 * claim costs about as much as running it. */
static const struct {
    const char *name;
    const char *sql;
    int nparams;
} prepared[] = {
    { "jobs_claim", claim_sql, 2 },
    { "jobs_finish", finish_sql, 7 },
    { "jobs_next_due", next_due_sql, 1 },
};

static PGconn *worker_connect(char *err, size_t errlen)
{
    PGconn *db = db_connect(conninfo_copy, err, errlen);
    for (size_t i = 0; db && i < sizeof prepared / sizeof prepared[0]; i++) {
        PGresult *r = PQprepare(db, prepared[i].name, prepared[i].sql, prepared[i].nparams, NULL);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            snprintf(err, errlen, "preparing %s: %s", prepared[i].name, PQresultErrorMessage(r));
            PQfinish(db);
            db = NULL;
        }
        PQclear(r);
    }
    return db;
}

/* A live connection, or false after waiting the reconnect backoff. */
static bool worker_connected(job_worker *w)
{
    if (w->db && PQstatus(w->db) == CONNECTION_OK)
        return true;
    if (w->db) {
        log_warn("jobs: worker %d lost its connection: %s", w->index, PQerrorMessage(w->db));
        PQfinish(w->db);
    }
    char err[512];
    w->db = worker_connect(err, sizeof err);
    if (w->db) {
        if (w->down_logged)
            log_info("jobs: worker %d connected again", w->index);
        w->down_logged = false;
        w->retry_ms = 100;
        return true;
    }
    if (!w->down_logged)
        log_warn("jobs: worker %d cannot connect (retrying): %s", w->index, err);
    w->down_logged = true;
    sleep_unless_woken(~0UL, w->retry_ms);
    w->retry_ms = w->retry_ms < 2500 ? w->retry_ms * 2 : 5000;
    return false;
}

/* 1 with *cj filled, 0 when nothing is due, -1 on error (logged). */
static int claim(job_worker *w, claimed_job *cj)
{
    const char *params[] = { kinds_literal, settings.instance };
    PGresult *r = PQexecPrepared(w->db, "jobs_claim", 2, params, NULL, NULL, 0);
    int rc = -1;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("jobs: worker %d: claim: %s", w->index, PQresultErrorMessage(r));
        goto out;
    }
    rc = 0;
    if (PQntuples(r) == 0)
        goto out;
    cj->id = atoll(PQgetvalue(r, 0, 0));
    cj->kind = kind_find(PQgetvalue(r, 0, 1));
    cj->payload = strdup(PQgetvalue(r, 0, 2));
    cj->attempt = atoi(PQgetvalue(r, 0, 3));
    cj->max_attempts = atoi(PQgetvalue(r, 0, 4));
    snprintf(cj->started_at, sizeof cj->started_at, "%s", PQgetvalue(r, 0, 5));
    rc = 1;
out:
    PQclear(r);
    return rc;
}

static job_outcome run_handler(job_worker *w, const claimed_job *cj, char *detail, size_t detail_len)
{
    json_t *payload = cj->payload ? json_loads(cj->payload, JSON_DECODE_ANY, NULL) : NULL;
    if (!cj->kind || !payload) {
        json_decref(payload);
        snprintf(detail, detail_len, "%s", cj->kind ? "payload could not be read" : "no handler for this kind");
        return JOB_FAIL;
    }
    job j = { cj->id, cj->kind->kind, payload, cj->attempt, cj->max_attempts };
    job_outcome o = cj->kind->fn(w->db, &j, detail, detail_len);
    json_decref(payload);
    if (o != JOB_DONE && o != JOB_RETRY && o != JOB_FAIL) {
        log_error("jobs: %s handler returned %d; taken as a failure", j.kind, (int)o);
        o = JOB_FAIL;
    }
    PGTransactionStatusType ts = PQtransactionStatus(w->db);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        log_error("jobs: %s handler left a transaction open (job %lld); rolled back", j.kind, j.id);
        PQclear(PQexec(w->db, "ROLLBACK"));
    }
    return o;
}

static const char *outcome_name(job_outcome o)
{
    return o == JOB_DONE ? "done" : o == JOB_RETRY ? "retry" : "fail";
}

/* Record the outcome; once more on a new connection when the first try
 * finds it broken. A job whose outcome cannot be recorded stays running
 * until its lease expires, then runs again. */
static void finish(job_worker *w, const claimed_job *cj, job_outcome o, const char *detail)
{
    char id[24], attempt[16], backoff[24], err[512];
    snprintf(id, sizeof id, "%lld", cj->id);
    snprintf(attempt, sizeof attempt, "%d", cj->attempt);
    snprintf(backoff, sizeof backoff, "%lld",
             jobs_backoff_ms(cj->attempt, settings.backoff_base_ms, rng_next(&w->rng)));
    const char *params[] = { id, outcome_name(o), attempt, settings.instance, backoff,
                             detail[0] ? detail : NULL, cj->started_at };
    for (int tries = 0; tries < 2; tries++) {
        if (PQstatus(w->db) != CONNECTION_OK) {
            PQfinish(w->db);
            if (!(w->db = worker_connect(err, sizeof err)))
                break;
        }
        PGresult *r = PQexecPrepared(w->db, "jobs_finish", 7, params, NULL, NULL, 0);
        bool ok = PQresultStatus(r) == PGRES_TUPLES_OK;
        if (ok && PQntuples(r) == 0)
            log_warn("jobs: job %lld finished after its lease expired; it had been taken back", cj->id);
        if (!ok)
            log_error("jobs: worker %d: recording job %lld: %s", w->index, cj->id, PQresultErrorMessage(r));
        PQclear(r);
        if (ok || PQstatus(w->db) == CONNECTION_OK)
            return;
    }
    log_error("jobs: the outcome of job %lld (%s) is lost; it runs again after its lease", cj->id,
              outcome_name(o));
}

/* How long to sleep with nothing claimed: until the next queued job of
 * our kinds is due, at most JOBS_POLL_MS. */
static int next_wait_ms(job_worker *w)
{
    const char *params[] = { kinds_literal };
    PGresult *r = PQexecPrepared(w->db, "jobs_next_due", 1, params, NULL, NULL, 0);
    long long ms = JOBS_POLL_MS;
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
        ms = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return ms < JOBS_MIN_WAIT_MS ? JOBS_MIN_WAIT_MS : ms > JOBS_POLL_MS ? JOBS_POLL_MS : (int)ms;
}

static void *worker_main(void *arg)
{
    job_worker *w = arg;
    while (!is_stopping()) {
        if (!worker_connected(w))
            continue;
        unsigned long seen = wake_generation();
        claimed_job cj = { 0 };
        int got = claim(w, &cj);
        if (got > 0) {
            char detail[JOBS_DETAIL_MAX] = "";
            job_outcome o = run_handler(w, &cj, detail, sizeof detail);
            finish(w, &cj, o, detail);
            free(cj.payload);
        } else if (got < 0) {
            sleep_unless_woken(~0UL, 100);
        } else {
            sleep_unless_woken(seen, next_wait_ms(w));
        }
    }
    if (w->db)
        PQfinish(w->db);
    w->db = NULL;
    return NULL;
}

static char *make_kinds_literal(void)
{
    strbuf b = { 0 };
    sb_printf(&b, "{");
    for (int i = 0; i < nkinds; i++)
        sb_printf(&b, "%s%s", i ? "," : "", kinds[i].kind);
    sb_printf(&b, "}");
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}

int jobs_start(const char *conninfo, int n)
{
    static bool lease_task_added;
    if (!lease_task_added && ticker_add("jobs.lease", lease_interval_ms(), lease_task, NULL) == 0)
        lease_task_added = true;
    started = true;
    if (n <= 0)
        return 0;
    pthread_once(&wake_once, wake_init);
    stopping = false;
    conninfo_copy = strdup(conninfo);
    kinds_literal = make_kinds_literal();
    workers = calloc((size_t)n, sizeof *workers);
    stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!conninfo_copy || !kinds_literal || !workers || stop_fd < 0) {
        log_error("jobs: cannot start the workers (out of memory or file descriptors)");
        jobs_stop();
        return -1;
    }
    if (pthread_create(&listener, NULL, listener_main, NULL)) {
        log_error("jobs: cannot start the listener thread");
        jobs_stop();
        return -1;
    }
    listener_running = true;
    for (int i = 0; i < n; i++) {
        job_worker *w = &workers[i];
        w->index = i;
        w->retry_ms = 100;
        w->rng = rng_seed(w);
        if (pthread_create(&w->thread, NULL, worker_main, w)) {
            log_error("jobs: cannot start worker thread %d", i);
            jobs_stop();
            return -1;
        }
        nworkers++;
    }
    log_info("jobs: %d worker(s) for %d kind(s)", n, nkinds);
    return 0;
}

void jobs_stop(void)
{
    pthread_mutex_lock(&wake_lock);
    stopping = true;
    if (nworkers)
        pthread_cond_broadcast(&wake_cv);
    pthread_mutex_unlock(&wake_lock);
    if (stop_fd >= 0) {
        uint64_t one = 1;
        ssize_t wr = write(stop_fd, &one, sizeof one);
        (void)wr;
    }
    for (int i = 0; i < nworkers; i++)
        pthread_join(workers[i].thread, NULL);
    if (listener_running)
        pthread_join(listener, NULL);
    listener_running = false;
    free(workers);
    workers = NULL;
    nworkers = 0;
    if (stop_fd >= 0)
        close(stop_fd);
    stop_fd = -1;
    free(conninfo_copy);
    conninfo_copy = NULL;
    free(kinds_literal);
    kinds_literal = NULL;
}
