/*
 * Integration: the job queue (server/jobs, docs/jobs.md) on real didtrond
 * processes and a real PostgreSQL, through the built-in kind system.echo
 * ({fail_times, fail_hard, sleep_ms}) — a job runs once and logs its
 * attempt, failures are retried with backoff, a job dies after
 * max_attempts or at once on JOB_FAIL and job.retry brings it back,
 * dedupe keys, kinds nobody handles stay queued, cancel, the list, the
 * events, lease expiry, two instances sharing 200 jobs exactly once, a
 * running handler finishing during shutdown, validation and roles.
 *
 * Server A runs with --job-backoff-base-ms 50 (retry n waits 50 * 2^n ms,
 * half of that at least) and --job-lease-sec 2.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"
#include "timeutil.h"

static test_server S;
static test_server B; /* the second instance; stopped in main if a test fails before it does */
static wsc *admin;
static const char *const flags[] = { "--job-workers", "2", "--job-backoff-base-ms", "50", "--job-lease-sec", "2",
                                     NULL };

/* ---- helpers ---- */

static long long sql_ll(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_ll(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return atoll(harness_sql(sql));
}

/* job.enqueue; params is stolen. Returns the job (caller decrefs). */
static json_t *enqueue(json_t *params)
{
    return ok(admin, "job.enqueue", params);
}

static long long enqueue_echo(json_t *payload)
{
    json_t *j = enqueue(json_pack("{s:s, s:o}", "kind", "system.echo", "payload", payload ? payload : json_object()));
    long long id = jint(j, "id");
    json_decref(j);
    return id;
}

static json_t *job_get(long long id)
{
    return ok(admin, "job.get", json_pack("{s:I}", "id", (json_int_t)id));
}

/* Poll job.get until the job is in `state`; returns it (caller decrefs). */
static json_t *wait_state(long long id, const char *state, int timeout_ms)
{
    json_t *j = NULL;
    for (int waited = 0; waited <= timeout_ms; waited += 20) {
        json_decref(j);
        j = job_get(id);
        if (!strcmp(jstr(j, "state"), state))
            return j;
        usleep(20 * 1000);
    }
    ck_abort_msg("job %lld is %s, not %s, after %d ms (last_error %s)", id, jstr(j, "state"), state, timeout_ms,
                 jstr(j, "last_error"));
    return NULL;
}

static json_t *log_entry(json_t *job, size_t i)
{
    return json_array_get(json_object_get(job, "attempt_log"), i);
}

static int64_t usec(json_t *o, const char *key)
{
    int64_t t = 0;
    ck_assert_msg(time_parse_rfc3339(jstr(o, key), &t), "%s is not a time: %s", key, jstr(o, key));
    return t;
}

static json_t *error_of(json_t *reply)
{
    return json_object_get(reply, "error");
}

/* ---- the life of a job ---- */

START_TEST(test_an_echo_job_runs_once_and_logs_its_attempt)
{
    json_t *j = enqueue(json_pack("{s:s, s:{}}", "kind", "system.echo", "payload"));
    long long id = jint(j, "id");
    ck_assert(json_is_false(json_object_get(j, "duplicate")));
    ck_assert_str_eq(jstr(j, "kind"), "system.echo");
    ck_assert_int_eq(jint(j, "max_attempts"), 5); /* the kind's default */
    json_decref(j);

    j = wait_state(id, "done", 10000);
    ck_assert_int_eq(jint(j, "attempts"), 1);
    ck_assert(json_is_null(json_object_get(j, "last_error")));
    ck_assert(json_is_null(json_object_get(j, "running_since")));
    ck_assert(json_is_null(json_object_get(j, "running_by")));
    ck_assert(json_is_string(json_object_get(j, "finished_at")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 1);
    json_t *a = log_entry(j, 0);
    ck_assert_int_eq(jint(a, "attempt"), 1);
    ck_assert_str_eq(jstr(a, "outcome"), "done");
    ck_assert_str_eq(jstr(a, "detail"), "echo: done on attempt 1");
    ck_assert_str_eq(jstr(a, "instance"), "jobs-a");
    ck_assert_int_le(usec(a, "started_at"), usec(a, "finished_at"));
    json_decref(j);

    ck_assert_int_eq(sql_ll("SELECT count(*) FROM audit_log WHERE entity = 'job' AND action = 'create'"
                            " AND entity_id = '%lld'", id), 1);
}
END_TEST

START_TEST(test_a_failing_job_is_retried_with_backoff_then_done)
{
    long long id = enqueue_echo(json_pack("{s:i}", "fail_times", 2));
    json_t *j = wait_state(id, "done", 15000);
    ck_assert_int_eq(jint(j, "attempts"), 3);
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 3);
    ck_assert_str_eq(jstr(log_entry(j, 0), "outcome"), "retry");
    ck_assert_str_eq(jstr(log_entry(j, 0), "detail"), "echo: failing attempt 1 of 2");
    ck_assert_str_eq(jstr(log_entry(j, 1), "outcome"), "retry");
    ck_assert_str_eq(jstr(log_entry(j, 2), "outcome"), "done");
    /* Base 50 ms: after attempt 1 the wait is 50..100 ms, after 2 100..200. */
    int64_t gap1 = usec(log_entry(j, 1), "started_at") - usec(log_entry(j, 0), "finished_at");
    int64_t gap2 = usec(log_entry(j, 2), "started_at") - usec(log_entry(j, 1), "finished_at");
    ck_assert_msg(gap1 >= 50000 && gap1 < 3000000, "first wait %lld us", (long long)gap1);
    ck_assert_msg(gap2 >= 100000 && gap2 < 3000000, "second wait %lld us", (long long)gap2);
    ck_assert(json_is_null(json_object_get(j, "last_error")));
    json_decref(j);
}
END_TEST

START_TEST(test_a_job_is_dead_after_max_attempts_and_job_retry_brings_it_back)
{
    json_t *j = enqueue(json_pack("{s:s, s:{s:i}, s:i}", "kind", "system.echo", "payload", "fail_times", 2,
                                  "max_attempts", 2));
    long long id = jint(j, "id");
    json_decref(j);
    j = wait_state(id, "dead", 15000);
    ck_assert_int_eq(jint(j, "attempts"), 2);
    ck_assert_int_eq(jint(j, "max_attempts"), 2);
    ck_assert_str_eq(jstr(j, "last_error"), "echo: failing attempt 2 of 2");
    ck_assert(json_is_string(json_object_get(j, "finished_at")));
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 2);
    json_decref(j);

    /* A dead job stays dead: nothing runs it again by itself. */
    usleep(300 * 1000);
    j = job_get(id);
    ck_assert_str_eq(jstr(j, "state"), "dead");
    json_decref(j);

    j = ok(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_str_eq(jstr(j, "state"), "queued");
    ck_assert_int_eq(jint(j, "attempts"), 2);      /* kept: the log keeps counting */
    ck_assert_int_eq(jint(j, "max_attempts"), 3);  /* at least one more attempt */
    ck_assert(json_is_null(json_object_get(j, "finished_at")));
    json_decref(j);
    j = wait_state(id, "done", 10000);
    ck_assert_int_eq(jint(j, "attempts"), 3);
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 3);
    ck_assert_int_eq(jint(log_entry(j, 2), "attempt"), 3);
    ck_assert_str_eq(jstr(log_entry(j, 2), "outcome"), "done");
    json_decref(j);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM audit_log WHERE entity = 'job' AND action = 'retry'"
                            " AND entity_id = '%lld' AND before->>'state' = 'dead' AND after->>'state' = 'queued'", id),
                     1);

    /* extra_attempts gives more than one. */
    j = enqueue(json_pack("{s:s, s:{s:i}, s:i}", "kind", "system.echo", "payload", "fail_times", 3,
                          "max_attempts", 1));
    id = jint(j, "id");
    json_decref(j);
    json_decref(wait_state(id, "dead", 10000));
    j = ok(admin, "job.retry", json_pack("{s:I, s:i}", "id", (json_int_t)id, "extra_attempts", 3));
    ck_assert_int_eq(jint(j, "max_attempts"), 4);
    json_decref(j);
    j = wait_state(id, "done", 15000);
    ck_assert_int_eq(jint(j, "attempts"), 4);
    json_decref(j);
}
END_TEST

START_TEST(test_job_fail_makes_the_job_dead_at_once)
{
    long long id = enqueue_echo(json_pack("{s:b}", "fail_hard", 1));
    json_t *j = wait_state(id, "dead", 10000);
    ck_assert_int_eq(jint(j, "attempts"), 1);
    ck_assert_int_eq(jint(j, "max_attempts"), 5);
    ck_assert_str_eq(jstr(j, "last_error"), "echo: fail_hard");
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 1);
    ck_assert_str_eq(jstr(log_entry(j, 0), "outcome"), "fail");
    json_decref(j);
}
END_TEST

START_TEST(test_the_same_dedupe_key_returns_the_same_job_until_it_is_dead)
{
    /* Queued (run_at an hour ahead). */
    json_t *a = enqueue(json_pack("{s:s, s:s, s:s}", "kind", "system.echo", "dedupe_key", "report:2026-11-23",
                                  "run_at", "2099-01-01T00:00:00Z"));
    json_t *b = enqueue(json_pack("{s:s, s:s}", "kind", "system.echo", "dedupe_key", "report:2026-11-23"));
    ck_assert_int_eq(jint(a, "id"), jint(b, "id"));
    ck_assert(json_is_false(json_object_get(a, "duplicate")));
    ck_assert(json_is_true(json_object_get(b, "duplicate")));
    ck_assert_str_eq(jstr(b, "run_at"), "2099-01-01T00:00:00Z"); /* the first job, unchanged */
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM jobs WHERE dedupe_key = 'report:2026-11-23'"), 1);
    /* The same key of another kind is another job. */
    json_t *c = enqueue(json_pack("{s:s, s:s}", "kind", "test.other", "dedupe_key", "report:2026-11-23"));
    ck_assert_int_ne(jint(c, "id"), jint(a, "id"));
    json_decref(a);
    json_decref(b);
    json_decref(c);

    /* Done still holds the key. */
    a = enqueue(json_pack("{s:s, s:s}", "kind", "system.echo", "dedupe_key", "done-key"));
    json_decref(wait_state(jint(a, "id"), "done", 10000));
    b = enqueue(json_pack("{s:s, s:s}", "kind", "system.echo", "dedupe_key", "done-key"));
    ck_assert_int_eq(jint(a, "id"), jint(b, "id"));
    ck_assert(json_is_true(json_object_get(b, "duplicate")));
    json_decref(a);
    json_decref(b);

    /* Dead frees it: a new job; the dead one can no longer be retried. */
    a = enqueue(json_pack("{s:s, s:s, s:{s:b}}", "kind", "system.echo", "dedupe_key", "dead-key", "payload",
                          "fail_hard", 1));
    long long dead = jint(a, "id");
    json_decref(a);
    json_decref(wait_state(dead, "dead", 10000));
    b = enqueue(json_pack("{s:s, s:s, s:s}", "kind", "system.echo", "dedupe_key", "dead-key", "run_at",
                          "2099-01-01T00:00:00Z"));
    long long fresh = jint(b, "id");
    ck_assert_int_ne(fresh, dead);
    ck_assert(json_is_false(json_object_get(b, "duplicate")));
    json_decref(b);
    json_t *r = call(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)dead));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_eq(jint(json_object_get(error_of(r), "data"), "job_id"), fresh);
    json_decref(r);
}
END_TEST

START_TEST(test_a_kind_no_instance_handles_stays_queued_and_visible)
{
    json_t *j = enqueue(json_pack("{s:s, s:{s:s}}", "kind", "test.unhandled", "payload", "to", "noc@example.com"));
    long long id = jint(j, "id");
    json_decref(j);
    usleep(1500 * 1000);
    j = job_get(id);
    ck_assert_str_eq(jstr(j, "state"), "queued");
    ck_assert_int_eq(jint(j, "attempts"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 0);
    ck_assert_str_eq(jstr(json_object_get(j, "payload"), "to"), "noc@example.com");
    json_decref(j);
    json_t *l = ok(admin, "job.list", json_pack("{s:{s:s, s:s}}", "filter", "kind", "test.unhandled", "state", "queued"));
    ck_assert_int_eq(jint(l, "total"), 1);
    ck_assert_int_eq(jint(json_array_get(json_object_get(l, "items"), 0), "id"), id);
    json_decref(l);
}
END_TEST

START_TEST(test_cancel_kills_a_queued_job_and_retry_can_revive_it)
{
    json_t *j = enqueue(json_pack("{s:s, s:s}", "kind", "system.echo", "run_at", "2099-01-01T00:00:00Z"));
    long long id = jint(j, "id");
    json_decref(j);
    j = ok(admin, "job.cancel", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_str_eq(jstr(j, "state"), "dead");
    ck_assert_str_eq(jstr(j, "last_error"), "cancelled");
    ck_assert_int_eq(jint(j, "attempts"), 0);
    json_decref(j);
    ck_assert_int_eq(fails(admin, "job.cancel", json_pack("{s:I}", "id", (json_int_t)id)), -32009);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM audit_log WHERE entity = 'job' AND action = 'cancel'"
                            " AND entity_id = '%lld'", id), 1);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM job_attempts WHERE job_id = %lld", id), 0);

    /* Back to the queue, due now. */
    json_decref(ok(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)id)));
    j = wait_state(id, "done", 10000);
    ck_assert_int_eq(jint(j, "attempts"), 1);
    json_decref(j);
    /* A done job is neither retried nor cancelled. */
    ck_assert_int_eq(fails(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)id)), -32009);
    ck_assert_int_eq(fails(admin, "job.cancel", json_pack("{s:I}", "id", (json_int_t)id)), -32009);
    ck_assert_int_eq(fails(admin, "job.cancel", json_pack("{s:I}", "id", (json_int_t)99999999)), -32004);
    ck_assert_int_eq(fails(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)99999999)), -32004);
    ck_assert_int_eq(fails(admin, "job.get", json_pack("{s:I}", "id", (json_int_t)99999999)), -32004);
}
END_TEST

START_TEST(test_a_queued_job_waiting_for_its_retry_runs_now_on_job_retry)
{
    /* As if waiting for a retry far ahead. */
    json_t *j = enqueue(json_pack("{s:s, s:s}", "kind", "system.echo", "run_at", "2099-01-01T00:00:00Z"));
    long long id = jint(j, "id");
    json_decref(j);
    j = ok(admin, "job.retry", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_int_eq(jint(j, "max_attempts"), 5); /* already had room: unchanged */
    json_decref(j);
    json_decref(wait_state(id, "done", 10000));
}
END_TEST

START_TEST(test_job_list_is_newest_first_filters_and_pages)
{
    long long ids[5];
    for (int i = 0; i < 5; i++) {
        json_t *j = enqueue(json_pack("{s:s}", "kind", "test.listed"));
        ids[i] = jint(j, "id");
        json_decref(j);
    }
    json_t *l = ok(admin, "job.list", json_pack("{s:{s:s}, s:i}", "filter", "kind", "test.listed", "limit", 2));
    ck_assert_int_eq(jint(l, "total"), 5);
    json_t *items = json_object_get(l, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_int_eq(jint(json_array_get(items, 0), "id"), ids[4]);
    ck_assert_int_eq(jint(json_array_get(items, 1), "id"), ids[3]);
    ck_assert(json_object_get(json_array_get(items, 0), "payload") == NULL); /* job.get has it */
    ck_assert_str_eq(jstr(json_array_get(items, 0), "state"), "queued");
    const char *cursor = jstr(l, "next_cursor");
    ck_assert(cursor[0]);
    json_t *l2 = ok(admin, "job.list", json_pack("{s:{s:s}, s:i, s:s}", "filter", "kind", "test.listed", "limit", 2,
                                                 "cursor", cursor));
    ck_assert_int_eq(jint(json_array_get(json_object_get(l2, "items"), 0), "id"), ids[2]);
    ck_assert_int_eq(jint(json_array_get(json_object_get(l2, "items"), 1), "id"), ids[1]);
    json_t *l3 = ok(admin, "job.list", json_pack("{s:{s:s}, s:i, s:s}", "filter", "kind", "test.listed", "limit", 2,
                                                 "cursor", jstr(l2, "next_cursor")));
    ck_assert_int_eq(json_array_size(json_object_get(l3, "items")), 1);
    ck_assert_int_eq(jint(json_array_get(json_object_get(l3, "items"), 0), "id"), ids[0]);
    ck_assert(json_is_null(json_object_get(l3, "next_cursor")));
    json_decref(l);
    json_decref(l2);
    json_decref(l3);

    l = ok(admin, "job.list", json_pack("{s:{s:s, s:s}}", "filter", "kind", "test.listed", "state", "done"));
    ck_assert_int_eq(jint(l, "total"), 0);
    json_decref(l);
    l = ok(admin, "job.list", json_pack("{s:{s:s}, s:s}", "filter", "kind", "test.listed", "sort", "created_at"));
    ck_assert_int_eq(jint(json_array_get(json_object_get(l, "items"), 0), "id"), ids[0]);
    json_decref(l);
    fails_on_field(admin, "job.list", json_pack("{s:{s:s}}", "filter", "state", "finished"), "filter.state");
    fails_on_field(admin, "job.list", json_pack("{s:{s:s}}", "filter", "colour", "red"), "filter.colour");
    fails_on_field(admin, "job.list", json_pack("{s:s}", "sort", "payload"), "sort");
}
END_TEST

START_TEST(test_job_changed_events_follow_the_job_through_its_states)
{
    wsc *w = login(&S, "root", "rootpass123");
    json_decref(ok(w, "subscribe", json_pack("{s:[s]}", "topics", "job.changed")));
    long long id = enqueue_echo(NULL);
    const char *want[] = { "queued", "running", "done" };
    int seen = 0;
    for (int tries = 0; tries < 50 && seen < 3; tries++) {
        json_t *ev = wsc_next_event(w, T);
        ck_assert_msg(ev != NULL, "no job.changed event after %d of 3", seen);
        json_t *p = json_object_get(ev, "params");
        json_t *d = json_object_get(p, "data");
        if (!strcmp(jstr(p, "topic"), "job.changed") && jint(d, "id") == id) {
            ck_assert_str_eq(jstr(d, "kind"), "system.echo");
            ck_assert_str_eq(jstr(d, "state"), want[seen]);
            seen++;
        }
        json_decref(ev);
    }
    ck_assert_int_eq(seen, 3);
    wsc_close(w);
}
END_TEST

/* ---- leases ---- */

START_TEST(test_a_job_whose_lease_expired_is_taken_back_and_run_again)
{
    long long id = sql_ll("INSERT INTO jobs (kind, payload, state, attempts, running_since, running_by)"
                          " VALUES ('system.echo', '{}', 'running', 1, now() - interval '1 minute', 'ghost')"
                          " RETURNING id");
    json_t *j = wait_state(id, "done", 10000);
    ck_assert_int_eq(jint(j, "attempts"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(j, "attempt_log")), 2);
    json_t *lost = log_entry(j, 0);
    ck_assert_int_eq(jint(lost, "attempt"), 1);
    ck_assert_str_eq(jstr(lost, "outcome"), "retry");
    ck_assert_str_eq(jstr(lost, "instance"), "ghost");
    ck_assert_msg(strstr(jstr(lost, "detail"), "lease expired: running on ghost since") != NULL, "%s",
                  jstr(lost, "detail"));
    ck_assert_msg(strstr(jstr(lost, "detail"), "taken back by jobs-a") != NULL, "%s", jstr(lost, "detail"));
    ck_assert_str_eq(jstr(log_entry(j, 1), "outcome"), "done");
    json_decref(j);

    /* On its last attempt it is dead instead. */
    id = sql_ll("INSERT INTO jobs (kind, payload, state, attempts, max_attempts, running_since, running_by)"
                " VALUES ('system.echo', '{}', 'running', 1, 1, now() - interval '1 minute', 'ghost') RETURNING id");
    j = wait_state(id, "dead", 10000);
    ck_assert_msg(!strncmp(jstr(j, "last_error"), "lease expired", 13), "%s", jstr(j, "last_error"));
    json_decref(j);

    /* A job running within its lease is left alone. */
    id = sql_ll("INSERT INTO jobs (kind, payload, state, attempts, running_since, running_by)"
                " VALUES ('system.echo', '{}', 'running', 1, now() + interval '1 hour', 'busy') RETURNING id");
    usleep(1200 * 1000);
    j = job_get(id);
    ck_assert_str_eq(jstr(j, "state"), "running");
    ck_assert_str_eq(jstr(j, "running_by"), "busy");
    json_decref(j);
    harness_sql("UPDATE jobs SET state = 'dead', running_since = NULL, running_by = NULL WHERE running_by = 'busy'");
}
END_TEST

/* ---- two instances ---- */

START_TEST(test_two_instances_with_two_workers_each_run_200_jobs_exactly_once)
{
    ck_assert(server_start(&B, "jobs-b", flags));
    harness_sql("INSERT INTO jobs (kind, payload, dedupe_key)"
                " SELECT 'system.echo', '{\"sleep_ms\": 2}', 'pair-' || i FROM generate_series(1, 200) i");
    harness_sql("SELECT pg_notify('didtron_jobs', 'system.echo')");
    long long left = 200;
    for (int waited = 0; left > 0 && waited < 60000; waited += 50) {
        usleep(50 * 1000);
        left = sql_ll("SELECT count(*) FROM jobs WHERE dedupe_key LIKE 'pair-%%' AND state <> 'done'");
    }
    ck_assert_int_eq(left, 0);
    ck_assert_int_eq(server_stop(&B, 20000), 0);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                            " WHERE j.dedupe_key LIKE 'pair-%%'"), 200);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM jobs j WHERE j.dedupe_key LIKE 'pair-%%' AND"
                            " (SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id AND a.outcome = 'done') <> 1"),
                     0);
    ck_assert_int_eq(sql_ll("SELECT count(DISTINCT a.instance) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                            " WHERE j.dedupe_key LIKE 'pair-%%' AND a.instance IN ('jobs-a', 'jobs-b')"), 2);
}
END_TEST

/* ---- validation and roles ---- */

START_TEST(test_validation_errors_name_the_field)
{
    fails_on_field(admin, "job.enqueue", json_pack("{s:s}", "kind", "email.send"), "kind");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s}", "kind", "Bad Kind"), "kind");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s}", "kind", "test..double"), "kind");
    fails_on_field(admin, "job.enqueue", json_pack("{}"), "kind");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:{s:i}}", "kind", "system.echo", "payload", "fail_times", -1),
                   "payload.fail_times");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:{s:s}}", "kind", "system.echo", "payload", "sleep_ms", "1"),
                   "payload.sleep_ms");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:{s:i}}", "kind", "system.echo", "payload", "fail_hard", 1),
                   "payload.fail_hard");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:{s:i}}", "kind", "system.echo", "payload", "colour", 1),
                   "payload.colour");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:[]}", "kind", "system.echo", "payload"), "payload");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:i}", "kind", "system.echo", "max_attempts", 0),
                   "max_attempts");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:i}", "kind", "system.echo", "max_attempts", 101),
                   "max_attempts");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:s}", "kind", "system.echo", "run_at", "tomorrow"),
                   "run_at");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:s}", "kind", "system.echo", "dedupe_key", ""),
                   "dedupe_key");
    fails_on_field(admin, "job.enqueue", json_pack("{s:s, s:i}", "kind", "system.echo", "priority", 1), "priority");
    fails_on_field(admin, "job.get", json_pack("{s:i}", "id", 0), "id");
    fails_on_field(admin, "job.get", json_pack("{s:s}", "id", "1"), "id");
    fails_on_field(admin, "job.retry", json_pack("{s:i, s:i}", "id", 1, "extra_attempts", 0), "extra_attempts");
    fails_on_field(admin, "job.cancel", json_pack("{}"), "id");
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM jobs WHERE kind IN ('email.send', 'test.double')"), 0);
}
END_TEST

START_TEST(test_non_admins_are_refused)
{
    create_user(admin, "jobs-noc", "noc");
    create_user(admin, "jobs-support", "support");
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s}", "username", "jobs-plain-admin", "password",
                                                   "password123", "role", "admin")));
    const char *users[] = { "jobs-noc", "jobs-support" };
    for (int u = 0; u < 2; u++) {
        wsc *w = login(&S, users[u], "password123");
        ck_assert_int_eq(fails(w, "job.list", json_pack("{}")), -32003);
        ck_assert_int_eq(fails(w, "job.get", json_pack("{s:i}", "id", 1)), -32003);
        ck_assert_int_eq(fails(w, "job.enqueue", json_pack("{s:s}", "kind", "system.echo")), -32003);
        ck_assert_int_eq(fails(w, "job.retry", json_pack("{s:i}", "id", 1)), -32003);
        ck_assert_int_eq(fails(w, "job.cancel", json_pack("{s:i}", "id", 1)), -32003);
        fails_on_field(w, "subscribe", json_pack("{s:[s]}", "topics", "job.changed"), "topics[0]");
        wsc_close(w);
    }
    wsc *anon = ws_open(&S);
    ck_assert_int_eq(fails(anon, "job.list", json_pack("{}")), -32001);
    wsc_close(anon);
    /* An admin (not only a super_admin) may. */
    wsc *w = login(&S, "jobs-plain-admin", "password123");
    json_decref(ok(w, "job.list", json_pack("{s:i}", "limit", 1)));
    wsc_close(w);
}
END_TEST

/* ---- shutdown ---- */

START_TEST(test_retention_purges_done_jobs_and_keeps_queued_and_dead_ones)
{
    long long done = enqueue_echo(NULL);
    json_decref(wait_state(done, "done", 10000));
    long long dead = enqueue_echo(json_pack("{s:b}", "fail_hard", 1));
    json_decref(wait_state(dead, "dead", 10000));
    json_t *q = enqueue(json_pack("{s:s, s:{}}", "kind", "test.never_handled", "payload"));
    long long queued = jint(q, "id");
    json_decref(q);

    json_t *r = ok(admin, "retention.purge", NULL); /* 30 days: nothing of today goes */
    ck_assert_int_eq(jint(json_object_get(r, "purged"), "jobs"), 0);
    json_decref(r);
    json_decref(job_get(done));

    r = ok(admin, "retention.purge", json_pack("{s:i}", "retention_days", 0));
    ck_assert_int_ge(jint(json_object_get(r, "purged"), "jobs"), 1);
    json_decref(r);
    ck_assert_int_eq(fails(admin, "job.get", json_pack("{s:I}", "id", (json_int_t)done)), -32004);
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM job_attempts WHERE job_id = %lld", done), 0);
    json_decref(wait_state(dead, "dead", 0));
    json_decref(wait_state(queued, "queued", 0));
}
END_TEST

START_TEST(test_stopping_the_server_lets_a_running_handler_finish_and_record_it)
{
    long long id = enqueue_echo(json_pack("{s:i}", "sleep_ms", 1500));
    json_decref(wait_state(id, "running", 10000));
    wsc_close(admin);
    admin = NULL;
    ck_assert_int_eq(server_stop(&S, 20000), 0);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT state || ' ' || attempts FROM jobs WHERE id = %lld", id);
    ck_assert_str_eq(harness_sql(sql), "done 1");
    ck_assert_int_eq(sql_ll("SELECT count(*) FROM job_attempts WHERE job_id = %lld AND outcome = 'done'", id), 1);
}
END_TEST

int main(void)
{
    admin = start_with_root(&S, "didtron_test_jobs", "jobs-a", flags);
    Suite *s = suite_create("jobs");
    TCase *tc = tcase_create("jobs");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_an_echo_job_runs_once_and_logs_its_attempt);
    tcase_add_test(tc, test_a_failing_job_is_retried_with_backoff_then_done);
    tcase_add_test(tc, test_a_job_is_dead_after_max_attempts_and_job_retry_brings_it_back);
    tcase_add_test(tc, test_job_fail_makes_the_job_dead_at_once);
    tcase_add_test(tc, test_the_same_dedupe_key_returns_the_same_job_until_it_is_dead);
    tcase_add_test(tc, test_a_kind_no_instance_handles_stays_queued_and_visible);
    tcase_add_test(tc, test_cancel_kills_a_queued_job_and_retry_can_revive_it);
    tcase_add_test(tc, test_a_queued_job_waiting_for_its_retry_runs_now_on_job_retry);
    tcase_add_test(tc, test_job_list_is_newest_first_filters_and_pages);
    tcase_add_test(tc, test_job_changed_events_follow_the_job_through_its_states);
    tcase_add_test(tc, test_a_job_whose_lease_expired_is_taken_back_and_run_again);
    tcase_add_test(tc, test_two_instances_with_two_workers_each_run_200_jobs_exactly_once);
    tcase_add_test(tc, test_validation_errors_name_the_field);
    tcase_add_test(tc, test_non_admins_are_refused);
    tcase_add_test(tc, test_retention_purges_done_jobs_and_keeps_queued_and_dead_ones);
    tcase_add_test(tc, test_stopping_the_server_lets_a_running_handler_finish_and_record_it);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    if (S.pid > 0)
        server_stop(&S, 20000);
    if (B.pid > 0)
        server_stop(&B, 20000);
    wsc_close(admin);
    harness_done();
    return rc;
}
