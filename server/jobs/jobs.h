/*
 * jobs: the one outbound job queue (e-mail, FX refresh, webhooks, sync).
 *
 * A job is a row in `jobs` (schema/0008_jobs.sql): a kind, a JSON payload,
 * when it may run, its attempts and its state. Any instance's job workers
 * claim due jobs with FOR UPDATE SKIP LOCKED, run the handler registered
 * for the kind, and record the outcome in `job_attempts` (the delivery
 * log). Failures are retried with exponential backoff and jitter until
 * max_attempts, then the job is dead (a dead letter: kept, visible,
 * retryable by an admin with job.retry).
 *
 * A kind with no handler on any instance is never claimed: its jobs stay
 * `queued` and visible in job.list (the alert e-mails wait like this until
 * the Brevo client exists).
 *
 * States: queued -> running -> done | queued (retry, run_at later) | dead.
 * A job left `running` by an instance that died is taken back after
 * lease expiry (running_since older than JOBS_LEASE_SEC).
 */
#ifndef DIDTRON_JOBS_H
#define DIDTRON_JOBS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "../rpc/rpc.h"

#define JOBS_LEASE_SEC 300

typedef struct {
    long long id;
    const char *kind;
    json_t *payload;        /* borrowed for the handler's run */
    int attempt;            /* 1 on the first run */
    int max_attempts;
} job;

typedef enum {
    JOB_DONE,               /* finished */
    JOB_RETRY,              /* failed, try again later (backoff), dead after max_attempts */
    JOB_FAIL,               /* failed for good: dead now, no more attempts */
} job_outcome;

/* Runs on a job worker with its own connection (autocommit: the handler
 * manages any transaction it needs). detail (may stay "") goes to the
 * delivery log: what happened, e.g. "HTTP 502 from https://...". */
typedef job_outcome (*job_handler)(PGconn *db, const job *j, char *detail, size_t detail_len);

/* Register the handler of a kind (static string) with its default
 * max_attempts. Call before jobs_start. Returns 0 or -1 (table full,
 * kind registered twice). */
int jobs_register(const char *kind, job_handler fn, int max_attempts);

/* Queue a job in the caller's transaction (it runs only if that commits).
 * run_at_usec: unix microseconds, 0 = now. dedupe_key (NULL = none): while
 * a job of that kind and key is queued, running or done, queueing it again
 * returns the existing job's id and adds nothing (e.g.
 * "fx.refresh:2026-11-23T10"). max_attempts 0 = the kind's default (5 when
 * the kind has no handler here). Returns the job id, or -1 (logged; the
 * caller's transaction is then aborted). */
long long jobs_enqueue(PGconn *db, const char *kind, json_t *payload, const char *dedupe_key,
                       int64_t run_at_usec, int max_attempts);

/* The same for a method handler: errors are set on c (-32603). */
long long rpc_job_enqueue(rpc_call *c, const char *kind, json_t *payload, const char *dedupe_key);

/* Start n worker threads (each with its own connection) that claim jobs of
 * the registered kinds; n = 0 starts none (jobs stay queued). Returns 0, or
 * -1 (logged) when a thread cannot start. */
int jobs_start(const char *conninfo, int n);

/* Let running handlers finish (their outcome recorded), claim no more, join. */
void jobs_stop(void);

/* ---- Added with the implementation (server/jobs/jobs.c); nothing above
 * changes meaning. ---- */

/* Settings for the workers and the lease task, from cfg: job_backoff_base_ms,
 * job_lease_sec (default JOBS_LEASE_SEC) and the instance name written to
 * running_by and job_attempts.instance. Call before jobs_start; without it
 * the defaults apply. jobs_start also adds the ticker task "jobs.lease"
 * (which takes back jobs whose lease expired), so call it before
 * ticker_start. */
void jobs_configure(const dt_config *cfg);

/* Milliseconds to wait before the next try after failed attempt `attempt`
 * (1 = the first): d = min(JOBS_BACKOFF_CAP_MS, base_ms * 2^attempt), then
 * (d - d/2) + (random mod (d/2 + 1)), "equal jitter": never less than half
 * of d, never more than d. Pure (random comes from the caller's generator), for
 * unit tests. */
#define JOBS_BACKOFF_CAP_MS (3600LL * 1000)
long long jobs_backoff_ms(int attempt, int base_ms, uint64_t random);

#endif
