/*
 * jobs_private: what jobs.c (queue, workers, lease) shares with
 * job_methods.c (the job.* methods). Not for other modules: they use
 * jobs.h.
 */
#ifndef DIDTRON_JOBS_PRIVATE_H
#define DIDTRON_JOBS_PRIVATE_H

#include <stdbool.h>

#include "jobs.h"

/* Upper bound of max_attempts given by a caller (jobs_register,
 * jobs_enqueue, job.enqueue, job.retry's extra_attempts). */
#define JOBS_MAX_ATTEMPTS 100
/* max_attempts of a kind with no handler on this instance. */
#define JOBS_DEFAULT_ATTEMPTS 5
/* Kinds under this prefix are reserved for tests: jobs_register refuses
 * them, so they are never claimed anywhere. */
#define JOBS_TEST_PREFIX "test."

/* The NOTIFY channel workers LISTEN on; the payload is the job's kind. */
#define JOBS_CHANNEL "didtron_jobs"

/* The job.changed event as SQL, for statements that change many rows or
 * run outside an rpc_call (workers, the lease task, jobs_enqueue). The
 * envelope is events.c's ({t, c, d}, see rpc_emit); id, kind, state are
 * SQL expressions. */
#define JOB_EVENT_SQL(id, kind, state)                                                 \
    "pg_notify('didtron_events', json_build_object('t', 'job.changed', 'c', 0, 'd',"  \
    " json_build_object('id', " id ", 'kind', " kind ", 'state', " state "))::text)"

/* A kind name: lower-case words of [a-z0-9_] (the first a letter) joined
 * by dots, at most 64 characters. The jobs table checks the same. */
bool jobs_kind_valid(const char *kind);
/* Does this instance have a handler for kind? */
bool jobs_kind_handled(const char *kind);
/* The kind's registered max_attempts, or JOBS_DEFAULT_ATTEMPTS. */
int jobs_kind_attempts(const char *kind);

/* jobs_enqueue, also saying whether the id is of a job that was already
 * there (dedupe). */
long long jobs_enqueue_ex(PGconn *db, const char *kind, json_t *payload, const char *dedupe_key,
                          int64_t run_at_usec, int max_attempts, bool *existing);

#endif
