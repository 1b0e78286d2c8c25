/*
 * job_methods.c: job.list, job.get, job.enqueue, job.retry, job.cancel
 * (admins only; docs/protocol.md "Jobs").
 *
 * job.enqueue exists to check the queue end to end from a client (a
 * system.echo job) and for tests; it only takes the kinds in `enqueueable`
 * below and kinds under "test." (which no instance may handle), never a
 * kind with a real handler, so no client can make the server send an
 * e-mail or a webhook with a payload of its choosing.
 */
#include "jobs_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "../audit/audit.h"
#include "../events/events.h"
#include "../rpc/list.h"

/* A job as the methods show it, from jobs j (without the payload, which
 * only job.get, job.enqueue, job.retry and job.cancel show). */
#define JOB_FIELDS \
    "'id', j.id, 'kind', j.kind, 'state', j.state, 'dedupe_key', j.dedupe_key, 'run_at', cdr_time(j.run_at)," \
    " 'attempts', j.attempts, 'max_attempts', j.max_attempts, 'last_error', j.last_error," \
    " 'running_since', cdr_time(j.running_since), 'running_by', j.running_by," \
    " 'created_at', cdr_time(j.created_at), 'updated_at', cdr_time(j.updated_at)," \
    " 'finished_at', cdr_time(j.finished_at)"
#define JOB_ITEM "json_build_object(" JOB_FIELDS ")"
#define JOB_FULL "json_build_object(" JOB_FIELDS ", 'payload', j.payload)"

static const char *jstr_or(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* ---- job.list ---- */

static const char *const job_states[] = { "queued", "running", "done", "dead", NULL };

static const list_sort job_sorts[] = {
    { "id", "j.id", LIST_INT },
    { "run_at", "j.run_at", LIST_TIME },
    { "created_at", "j.created_at", LIST_TIME },
    { "updated_at", "j.updated_at", LIST_TIME },
    { NULL, NULL, 0 },
};

static const list_filter job_filters[] = {
    { "state", "j.state", LIST_TEXT, LIST_EQ, job_states },
    { "kind", "j.kind", LIST_TEXT, LIST_EQ, NULL },
    { "dedupe_key", "j.dedupe_key", LIST_TEXT, LIST_EQ, NULL },
    { "from", "j.created_at", LIST_TIME, LIST_FROM, NULL },
    { "to", "j.created_at", LIST_TIME, LIST_TO, NULL },
    { NULL, NULL, 0, 0, NULL },
};

static const list_spec job_list_spec = {
    .item_sql = JOB_ITEM,
    .from_sql = "jobs j",
    .id_sql = "j.id",
    .sorts = job_sorts,
    .default_sort = "-id",
    .filters = job_filters,
};

static int job_list(rpc_call *c)
{
    return rpc_list(c, &job_list_spec, NULL, NULL);
}

/* ---- job.get ---- */

static int job_get(rpc_call *c)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", rpc_int(c, "id", 0));
    PGresult *r = rpc_query(c,
        "SELECT json_build_object(" JOB_FIELDS ", 'payload', j.payload, 'attempt_log',"
        " (SELECT coalesce(json_agg(json_build_object('attempt', a.attempt, 'started_at', cdr_time(a.started_at),"
        "   'finished_at', cdr_time(a.finished_at), 'outcome', a.outcome, 'detail', a.detail,"
        "   'instance', a.instance) ORDER BY a.id), '[]') FROM job_attempts a WHERE a.job_id = j.id))::text"
        " FROM jobs j WHERE j.id = $1", 1, id);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no job %s", id);
    }
    c->result = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* ---- job.enqueue ---- */

/* system.echo's payload: {fail_times?, fail_hard?, sleep_ms?}. */
static int echo_payload_check(rpc_call *c, json_t *payload)
{
    const char *key;
    json_t *v;
    json_object_foreach(payload, key, v) {
        char field[96];
        snprintf(field, sizeof field, "payload.%.80s", key);
        if (!strcmp(key, "fail_times")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000)
                rpc_field_error(c, field, "must be a whole number from 0 to 1000");
        } else if (!strcmp(key, "sleep_ms")) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 60000)
                rpc_field_error(c, field, "must be a whole number from 0 to 60000");
        } else if (!strcmp(key, "fail_hard")) {
            if (!json_is_boolean(v))
                rpc_field_error(c, field, "must be true or false");
        } else {
            rpc_field_error(c, field, "is not a field of system.echo (fail_times, fail_hard, sleep_ms)");
        }
    }
    return c->err_code ? -1 : 0;
}

/* The kinds job.enqueue takes, each with its payload check. */
static const struct {
    const char *kind;
    int (*check)(rpc_call *c, json_t *payload);
} enqueueable[] = {
    { "system.echo", echo_payload_check },
};

static int check_kind_and_payload(rpc_call *c, const char *kind, json_t *payload)
{
    if (!jobs_kind_valid(kind))
        return rpc_field_error(c, "kind", "must be lower-case words of a-z, 0-9 and _ joined by dots");
    for (size_t i = 0; i < sizeof enqueueable / sizeof enqueueable[0]; i++)
        if (!strcmp(enqueueable[i].kind, kind))
            return payload ? enqueueable[i].check(c, payload) : 0;
    if (!strncmp(kind, JOBS_TEST_PREFIX, strlen(JOBS_TEST_PREFIX)))
        return 0;
    return rpc_field_error(c, "kind", "cannot be queued by a client (system.echo and test.* only)");
}

static json_t *job_json(rpc_call *c, const char *id)
{
    PGresult *r = rpc_query(c, "SELECT " JOB_FULL "::text FROM jobs j WHERE j.id = $1", 1, id);
    if (!r)
        return NULL;
    json_t *j = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!j)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    return j;
}

static int job_enqueue(rpc_call *c)
{
    const char *kind = rpc_str(c, "kind");
    json_t *payload = json_object_get(c->params, "payload");
    if (json_is_null(payload))
        payload = NULL;
    if (check_kind_and_payload(c, kind, payload))
        return -1;
    int64_t run_at = 0;
    const char *at = rpc_str(c, "run_at");
    if (at && !time_parse_rfc3339(at, &run_at))
        return rpc_field_error(c, "run_at", "must be an RFC 3339 time");
    bool existing;
    long long n = jobs_enqueue_ex(c->db, kind, payload, rpc_str(c, "dedupe_key"), run_at,
                                  (int)rpc_int(c, "max_attempts", 0), &existing);
    if (n < 0)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    char id[24];
    snprintf(id, sizeof id, "%lld", n);
    json_t *made = job_json(c, id);
    if (!made)
        return -1;
    if (!existing && audit_record(c, "create", "job", n, NULL, made)) {
        json_decref(made);
        return -1;
    }
    json_object_set_new(made, "duplicate", json_boolean(existing));
    c->result = made;
    return 0;
}

/* ---- job.retry, job.cancel ---- */

/* The job locked for a change: its JSON, or NULL with the error set. */
static json_t *lock_job(rpc_call *c, const char *id)
{
    PGresult *r = rpc_query(c, "SELECT " JOB_FULL "::text FROM jobs j WHERE j.id = $1 FOR UPDATE", 1, id);
    if (!r)
        return NULL;
    json_t *j = NULL;
    if (PQntuples(r) == 0)
        rpc_fail(c, RPC_NOT_FOUND, "no job %s", id);
    else if (!(j = json_loads(PQgetvalue(r, 0, 0), 0, NULL)))
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    PQclear(r);
    return j;
}

/* Audit, job.changed, and (back in the queue) a wake-up for the workers. */
static int job_changed(rpc_call *c, const char *action, long long id, json_t *before, json_t *after)
{
    if (audit_record(c, action, "job", id, before, after))
        return -1;
    json_t *ev = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "kind", jstr_or(after, "kind"), "state",
                           jstr_or(after, "state"));
    int rc = rpc_emit(c, "job.changed", ev, 0);
    json_decref(ev);
    if (rc || strcmp(jstr_or(after, "state"), "queued"))
        return rc;
    PGresult *r = rpc_query(c, "SELECT pg_notify('" JOBS_CHANNEL "', $1)", 1, jstr_or(after, "kind"));
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* A live job (queued, running or done) holding the dead job's dedupe key:
 * its id, 0 when none, -1 on error. */
static long long key_holder(rpc_call *c, json_t *dead)
{
    const char *key = json_string_value(json_object_get(dead, "dedupe_key"));
    if (!key)
        return 0;
    PGresult *r = rpc_query(c, "SELECT id FROM jobs WHERE kind = $1 AND dedupe_key = $2 AND state <> 'dead'", 2,
                            jstr_or(dead, "kind"), key);
    if (!r)
        return -1;
    long long holder = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return holder;
}

/* The end of a change to a locked job: run update (params: the id, then
 * extra when not NULL), read the job back, audit and announce it as
 * action, answer with it. Takes before. 0 or -1 with the error set. */
static int job_apply(rpc_call *c, const char *id, long long n, const char *action, json_t *before,
                     const char *update, const char *extra)
{
    int rc = -1;
    json_t *after = NULL;
    PGresult *r = extra ? rpc_query(c, update, 2, id, extra) : rpc_query(c, update, 1, id);
    if (r) {
        PQclear(r);
        if ((after = job_json(c, id)) && !job_changed(c, action, n, before, after)) {
            c->result = after;
            after = NULL;
            rc = 0;
        }
    }
    json_decref(before);
    json_decref(after);
    return rc;
}

static int job_retry(rpc_call *c)
{
    char id[24], extra[16];
    long long n = rpc_int(c, "id", 0);
    snprintf(id, sizeof id, "%lld", n);
    snprintf(extra, sizeof extra, "%lld", rpc_int(c, "extra_attempts", 1));
    json_t *before = lock_job(c, id);
    if (!before)
        return -1;
    const char *state = jstr_or(before, "state");
    if (strcmp(state, "queued") && strcmp(state, "dead")) {
        rpc_fail(c, RPC_CONFLICT, "job %s is %s: only a queued or dead job can be retried", id, state);
        json_decref(before);
        return -1;
    }
    if (!strcmp(state, "dead")) {
        long long holder = key_holder(c, before);
        if (holder > 0) {
            rpc_fail(c, RPC_CONFLICT, "job %lld holds the same dedupe key now", holder);
            json_decref(c->err_data);
            c->err_data = json_pack("{s:I}", "job_id", (json_int_t)holder);
        }
        if (holder != 0) {
            json_decref(before);
            return -1;
        }
    }
    return job_apply(c, id, n, "retry", before,
                     "UPDATE jobs SET state = 'queued', run_at = now(),"
                     " max_attempts = greatest(max_attempts, attempts + $2::integer),"
                     " finished_at = NULL, updated_at = now() WHERE id = $1",
                     extra);
}

static int job_cancel(rpc_call *c)
{
    char id[24];
    long long n = rpc_int(c, "id", 0);
    snprintf(id, sizeof id, "%lld", n);
    json_t *before = lock_job(c, id);
    if (!before)
        return -1;
    const char *state = jstr_or(before, "state");
    if (strcmp(state, "queued")) {
        rpc_fail(c, RPC_CONFLICT, "job %s is %s: only a queued job can be cancelled", id, state);
        json_decref(before);
        return -1;
    }
    return job_apply(c, id, n, "cancel", before,
                     "UPDATE jobs SET state = 'dead', last_error = 'cancelled', finished_at = now(), updated_at = now()"
                     " WHERE id = $1",
                     NULL);
}

/* ---- the table ---- */

static const rpc_field job_list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field job_id_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL },
    { NULL },
};

static const rpc_field job_enqueue_params[] = {
    { "kind", F_STRING, F_REQUIRED, 1, 64, NULL },
    { "payload", F_OBJECT, F_NULLABLE, 0, 0, NULL },
    { "dedupe_key", F_STRING, F_NULLABLE, 1, 200, NULL },
    { "run_at", F_TIME, F_NULLABLE, 0, 0, NULL },
    { "max_attempts", F_INT, F_NULLABLE, 1, JOBS_MAX_ATTEMPTS, NULL },
    { NULL },
};

static const rpc_field job_retry_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "extra_attempts", F_INT, 0, 1, JOBS_MAX_ATTEMPTS, NULL },
    { NULL },
};

const rpc_method job_methods[] = {
    { "job.list", job_list, ROLES_ADMIN, 0, job_list_params },
    { "job.get", job_get, ROLES_ADMIN, 0, job_id_params },
    { "job.enqueue", job_enqueue, ROLES_ADMIN, RPC_MUTATES, job_enqueue_params },
    { "job.retry", job_retry, ROLES_ADMIN, RPC_MUTATES, job_retry_params },
    { "job.cancel", job_cancel, ROLES_ADMIN, RPC_MUTATES, job_id_params },
    { NULL },
};
