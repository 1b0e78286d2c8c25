/*
 * Integration: monitoring rules, the alert lifecycle, pause and recovery,
 * hysteresis, webhooks and anomaly rules (docs/monitoring.md), against a
 * real PostgreSQL and a real didtrond fed CDRs with cdr.ingest.
 *
 * Time is shortened with --monitor-eval-ms 200 and --monitor-minute-ms 300
 * (a "minute" of recovery is 0.3 s). Each test has egresses of its own, so
 * rules of one test never see another's CDRs.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "http_standin.h"
#include "suite.h"

static test_server S, B; /* B: a second instance on the same database */
static wsc *admin;
static long long supplier, customer, ingress, svc, routing_plan, buy_plan;
static long long eg_fire, eg_pause, eg_band, eg_manual, eg_hook, eg_anom, eg_route, eg_penalty, eg_restart, eg_multi, eg_probation;
static int cdr_seq;

static long long new_egress(const char *name)
{
    return id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supplier, "name", name,
                              "direction", "egress", "currency", "USD", "signalling_ips", "127.0.0.2",
                              "supplier_rating_plan_id", (json_int_t)buy_plan)));
}

/* Ingest `answered` answered (30 s) and `failed` failed (503) calls to UK
 * through egress, ended `ago` seconds ago. */
static void ingest_ago(long long egress, int answered, int failed, int ago)
{
    json_t *batch = json_array();
    time_t e = time(NULL) - ago;
    char start[32], ans[32], end[32];
    rfc3339(e - 40, start, sizeof start);
    rfc3339(e - 30, ans, sizeof ans);
    rfc3339(e, end, sizeof end);
    for (int i = 0; i < answered + failed; i++) {
        char id[32];
        snprintf(id, sizeof id, "r%d", ++cdr_seq);
        bool a = i < answered;
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i}", "id", id, "ingress_interconnect_id",
                              (json_int_t)ingress, "caller", "+12125550100", "callee", "442071234567", "start_time",
                              start, "end_time", end, "egress_interconnect_id", (json_int_t)egress, "release_cause",
                              a ? 16 : 503);
        json_object_set_new(o, "answer_time", a ? json_string(ans) : json_null());
        json_array_append_new(batch, o);
    }
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:o}", "cdrs", batch));
    ck_assert_int_eq(jint(r, "accepted"), answered + failed);
    json_decref(r);
}

static void ingest(long long egress, int answered, int failed)
{
    ingest_ago(egress, answered, failed, 2);
}

/* A rule on one interconnect; extra fields merged in. */
static long long new_rule(const char *name, long long egress, const char *metric, const char *op, double threshold,
                          json_t *extra)
{
    json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:i}", "name", name, "scope", "interconnect", "scope_id",
                          idstr(egress), "metric", metric, "op", op, "threshold", threshold, "min_attempts", 5);
    if (extra) {
        json_object_update(p, extra);
        json_decref(extra);
    }
    return id_of(ok(admin, "monitor.rule.create", p));
}

/* alert.fired of this rule (others skipped). */
static json_t *fired_of(wsc *w, long long rule, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    json_t *d;
    while ((d = next_event(w, "alert.fired", (int)(end - mono_ms() > 0 ? end - mono_ms() : 0)))) {
        if (jint(d, "rule_id") == rule)
            return d;
        json_decref(d);
    }
    return NULL;
}

/* The id of the alert.fired of this rule (asserts one comes). */
static long long fired_id(wsc *w, long long rule, int timeout_ms)
{
    json_t *a = fired_of(w, rule, timeout_ms);
    ck_assert_msg(a != NULL, "rule %lld did not fire within %d ms", rule, timeout_ms);
    long long id = jint(a, "id");
    json_decref(a);
    return id;
}

/* A noc user's connection subscribed to the alert topics. */
static wsc *watch(void)
{
    wsc *w = login(&S, "noc1", "password123");
    json_decref(ok(w, "subscribe", json_pack("{s:[s,s,s]}", "topics", "alert.fired", "alert.acknowledged",
                                             "alert.resolved")));
    return w;
}

/* Another one subscribed to the pause topics (so waiting for one kind of
 * event never swallows the other). */
static wsc *watch_pauses(void)
{
    wsc *w = login(&S, "noc1", "password123");
    json_decref(ok(w, "subscribe", json_pack("{s:[s,s]}", "topics", "route.paused", "route.resumed")));
    return w;
}

static json_t *alert_get(long long id)
{
    return ok(admin, "alert.get", json_pack("{s:I}", "id", (json_int_t)id));
}

static int open_alerts_of(long long rule)
{
    json_t *r = ok(admin, "alert.list", json_pack("{s:s, s:I}", "state", "open", "rule_id", (json_int_t)rule));
    int n = (int)json_array_size(json_object_get(r, "items"));
    json_decref(r);
    return n;
}

static int active_rule_pauses(long long egress)
{
    const char *p[1] = { idstr(egress) };
    return atoi(harness_sql_params("SELECT count(*) FROM route_pauses WHERE interconnect_id = $1 AND resumed_at IS NULL",
                                   1, p));
}

/* route.lookup's verdict on egress for a UK callee: "" routed, else the
 * rejection reason. */
static char verdict[64];
static const char *lookup_of(long long egress)
{
    json_t *r = ok(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller",
                                                    "15551234567", "callee", "442071234567"));
    snprintf(verdict, sizeof verdict, "absent");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "rejected"), i, x)
        if (jint(x, "interconnect_id") == egress)
            snprintf(verdict, sizeof verdict, "%s", jstr(x, "reason"));
    json_array_foreach(json_object_get(r, "routes"), i, x)
        if (jint(x, "interconnect_id") == egress)
            verdict[0] = 0;
    json_decref(r);
    return verdict;
}

static void wait_lookup(long long egress, const char *want, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    while (strcmp(lookup_of(egress), want) && mono_ms() < end)
        usleep(50000);
    ck_assert_msg(!strcmp(verdict, want), "lookup of %lld: want \"%s\", got \"%s\"", egress, want, verdict);
}

/* ---- the stand-in webhook receiver ---- */

static struct {
    pthread_mutex_t lock;
    int port, hits_ok, hits_gone;
    char last_body[8192];
} hook = { .lock = PTHREAD_MUTEX_INITIALIZER };

static bool hook_answer(int fd, const http_request *req, void *user)
{
    (void)user;
    bool gone = !strcmp(req->method, "POST") && !strncmp(req->target, "/gone", 5);
    pthread_mutex_lock(&hook.lock);
    if (gone)
        hook.hits_gone++;
    else {
        hook.hits_ok++;
        snprintf(hook.last_body, sizeof hook.last_body, "%s", req->body);
    }
    pthread_mutex_unlock(&hook.lock);
    if (gone)
        http_answer(fd, 404, "Not Found", NULL, "", false);
    else
        http_answer(fd, 204, "No Content", NULL, "", false);
    return false;
}

/* Runs until the process ends. */
static void hook_start(void)
{
    http_standin *srv = http_standin_start(0, hook_answer, NULL);
    if (!srv) {
        fprintf(stderr, "setup: the stand-in webhook receiver cannot start\n");
        exit(1);
    }
    hook.port = http_standin_port(srv);
}

/* ---- tests ---- */

START_TEST(test_rule_validation_names_the_field)
{
    const char *ic = idstr(eg_fire);
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "name", "v1", "scope", "interconnect", "scope_id", ic,
                             "metric", "asr", "op", "<", "threshold", 1.5), "threshold");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "name", "v2", "scope", "destination", "metric", "asr",
                             "op", "<", "threshold", 0.3, "action", "pause"), "action");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:f}", "name", "v3", "scope", "route", "scope_id", "abc",
                             "metric", "asr", "op", "<", "threshold", 0.3), "scope_id");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f, s:[{s:s}]}", "name", "v4", "scope", "interconnect", "metric",
                             "asr", "op", "<", "threshold", 0.3, "notify", "sms", "123"), "notify[0]");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", "v5", "scope", "interconnect", "metric", "pdd", "op",
                             "anomaly", "threshold", 3.0), "metric");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "name", "v6", "scope", "interconnect", "metric", "asr",
                             "op", "<", "threshold", 0.3, "reset_threshold", 0.2), "reset_threshold");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s}", "name", "v7", "scope", "interconnect", "metric", "asr", "op", "<"),
                   "threshold");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "v8", "scope", "interconnect", "metric", "asr", "op",
                             "<", "threshold", "0.3"), "threshold");
    fails_on_field(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "name", "v9", "scope", "galaxy", "metric", "asr", "op",
                             "<", "threshold", 0.3, "window", "5m"), "scope");

    /* defaults, versions, names */
    json_t *r = ok(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "name", "Valid", "scope", "interconnect", "metric", "acd",
                             "op", "<", "threshold", 20.0, "action", "pause"));
    long long id = jint(r, "id");
    ck_assert_str_eq(jstr(r, "severity"), "critical");
    ck_assert_str_eq(jstr(r, "window"), "5m");
    ck_assert_int_eq(jint(r, "min_attempts"), 10);
    ck_assert_int_eq(jint(r, "penalty_minutes"), 60);
    ck_assert_str_eq(jstr(json_object_get(r, "recovery"), "mode"), "auto");
    ck_assert_int_eq(jint(json_object_get(r, "recovery"), "after_minutes"), 5);
    ck_assert(json_is_null(json_object_get(r, "scope_id")));
    ck_assert_double_eq_tol(json_number_value(json_object_get(r, "threshold")), 20.0, 1e-9);
    json_decref(r);
    ck_assert_int_eq(fails(admin, "monitor.rule.create",
                           json_pack("{s:s, s:s, s:s, s:s, s:f}", "name", "valid", "scope", "interconnect", "metric",
                                     "asr", "op", "<", "threshold", 0.3)),
                     -32009);
    ck_assert_int_eq(fails(admin, "monitor.rule.update", json_pack("{s:I, s:i, s:f}", "id", (json_int_t)id, "version",
                                                                    7, "threshold", 25.0)),
                     -32009);
    r = ok(admin, "monitor.rule.update", json_pack("{s:I, s:i, s:f}", "id", (json_int_t)id, "version", 1, "threshold", 25.0));
    ck_assert_int_eq(jint(r, "version"), 2);
    json_decref(r);
    /* an update is checked against the merged rule: scope destination with action pause */
    fails_on_field(admin, "monitor.rule.update",
                   json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 2, "scope", "destination"), "action");
    wsc *noc = login(&S, "noc1", "password123");
    r = ok(noc, "monitor.rule.list", json_pack("{s:{s:s}}", "filter", "q", "Valid"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    ck_assert_int_eq(fails(noc, "monitor.rule.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 2)),
                     -32003);
    wsc_close(noc);
    json_decref(ok(admin, "monitor.rule.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 2)));
    ck_assert_int_eq(fails(admin, "monitor.rule.get", json_pack("{s:I}", "id", (json_int_t)id)), -32004);
}
END_TEST

START_TEST(test_a_sustained_breach_fires_once_then_ack_and_resolve)
{
    wsc *w = watch();
    long long rule = new_rule("ASR floor", eg_fire, "asr", "<", 0.5, NULL);
    ingest(eg_fire, 1, 9);
    json_t *a = fired_of(w, rule, 5000);
    ck_assert_msg(a, "no alert.fired within 5 s");
    long long id = jint(a, "id");
    ck_assert_str_eq(jstr(a, "source"), "rule");
    ck_assert_str_eq(jstr(a, "rule_name"), "ASR floor");
    ck_assert_str_eq(jstr(a, "scope"), "interconnect");
    ck_assert_str_eq(jstr(a, "scope_id"), idstr(eg_fire));
    ck_assert_int_eq(jint(a, "interconnect_id"), eg_fire);
    ck_assert_str_eq(jstr(a, "interconnect_name"), "R-FIRE");
    ck_assert_str_eq(jstr(a, "metric"), "asr");
    ck_assert_str_eq(jstr(a, "value"), "0.1000");
    ck_assert_str_eq(jstr(a, "threshold"), "0.5000");
    ck_assert_str_eq(jstr(a, "severity"), "warning");
    ck_assert_str_eq(jstr(a, "state"), "fired");
    ck_assert_ptr_nonnull(strstr(jstr(a, "message"), "rule 'ASR floor': asr 0.1000 < 0.5000 over 5m (10 attempts)"));
    ck_assert_int_eq(jint(json_object_get(a, "details"), "attempts"), 10);
    json_decref(a);

    /* it holds: the alert is refreshed, never fired again */
    ck_assert_ptr_null(fired_of(w, rule, 1500));
    json_t *g = alert_get(id);
    ck_assert_int_ge(jint(g, "count"), 2);
    json_decref(g);
    ck_assert_int_eq(open_alerts_of(rule), 1);

    json_t *r = ok(admin, "alert.ack", json_pack("{s:I, s:s}", "id", (json_int_t)id, "note", "looking"));
    ck_assert_str_eq(jstr(r, "state"), "acknowledged");
    ck_assert_str_eq(jstr(r, "acknowledged_by"), "root");
    json_decref(r);
    json_t *d = expect_event(w, "alert.acknowledged", 3000);
    ck_assert_int_eq(jint(d, "id"), id);
    ck_assert_str_eq(jstr(d, "acknowledged_by"), "root");
    json_decref(d);
    r = ok(admin, "alert.ack", json_pack("{s:I}", "id", (json_int_t)id)); /* again: same, no event */
    ck_assert_str_eq(jstr(r, "state"), "acknowledged");
    json_decref(r);
    ck_assert_ptr_null(next_event(w, "alert.acknowledged", 700));

    r = ok(admin, "alert.resolve", json_pack("{s:I, s:s}", "id", (json_int_t)id, "note", "carrier fixed it"));
    ck_assert_str_eq(jstr(r, "state"), "resolved");
    ck_assert_str_eq(jstr(r, "resolution"), "manual: carrier fixed it");
    json_decref(r);
    d = expect_event(w, "alert.resolved", 3000);
    ck_assert_int_eq(jint(d, "id"), id);
    ck_assert_str_eq(jstr(d, "resolved_by"), "root");
    json_decref(d);
    ck_assert_int_eq(fails(admin, "alert.ack", json_pack("{s:I}", "id", (json_int_t)id)), -32009);
    ck_assert_int_eq(fails(admin, "alert.resolve", json_pack("{s:I}", "id", (json_int_t)id)), -32009);
    ck_assert_int_eq(fails(admin, "alert.get", json_pack("{s:I}", "id", (json_int_t)999999)), -32004);
    /* resolved by a person while the breach lasts: it stays resolved */
    ck_assert_ptr_null(fired_of(w, rule, 1000));
    ck_assert_int_eq(open_alerts_of(rule), 0);
    fails_on_field(admin, "alert.list", json_pack("{s:s}", "state", "sleeping"), "state");
    r = ok(admin, "alert.list", json_pack("{s:s, s:I}", "state", "resolved", "interconnect_id", (json_int_t)eg_fire));
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
    json_decref(ok(admin, "monitor.rule.delete", json_pack("{s:I, s:i}", "id", (json_int_t)rule, "version", 1)));
    wsc_close(w);
}
END_TEST

START_TEST(test_a_pause_rule_pauses_then_recovers_after_the_shortened_minutes)
{
    wsc *w = watch(), *wp = watch_pauses();
    wait_lookup(eg_pause, "", 3000);
    long long rule = new_rule("Pause floor", eg_pause, "asr", "<", 0.3,
                              json_pack("{s:s, s:f, s:{s:s, s:i}}", "action", "pause", "reset_threshold", 0.5,
                                        "recovery", "mode", "auto", "after_minutes", 2));
    ingest(eg_pause, 0, 10);
    json_t *a = fired_of(w, rule, 5000);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(jstr(a, "severity"), "critical");
    long long id = jint(a, "id");
    json_decref(a);
    json_t *p = expect_event(wp, "route.paused", 3000);
    ck_assert_int_eq(jint(p, "interconnect_id"), eg_pause);
    ck_assert_str_eq(jstr(p, "actor_kind"), "rule");
    ck_assert_str_eq(jstr(p, "actor"), "Pause floor");
    ck_assert_ptr_nonnull(strstr(jstr(p, "reason"), "rule 'Pause floor': asr 0.0000 < 0.3000 over 5m (10 attempts)"));
    json_decref(p);
    wait_lookup(eg_pause, "paused", 3000);

    /* recovered: 40 answered of 50 = 0.8 > 0.5 for 2 "minutes" (0.6 s) */
    int64_t t0 = mono_ms();
    ingest(eg_pause, 40, 0);
    json_t *d = expect_event(w, "alert.resolved", 8000);
    ck_assert_int_eq(jint(d, "id"), id);
    ck_assert_str_eq(jstr(d, "resolution"), "recovered");
    json_decref(d);
    ck_assert_int_ge(mono_ms() - t0, 600);
    d = expect_event(wp, "route.resumed", 3000);
    ck_assert_int_eq(jint(d, "interconnect_id"), eg_pause);
    json_decref(d);
    wait_lookup(eg_pause, "", 3000);
    ck_assert_int_eq(active_rule_pauses(eg_pause), 0);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

START_TEST(test_hysteresis_a_value_between_threshold_and_reset_does_not_clear)
{
    wsc *w = watch();
    long long rule = new_rule("Band", eg_band, "asr", "<", 0.3,
                              json_pack("{s:f, s:{s:s, s:i}}", "reset_threshold", 0.6, "recovery", "mode", "auto",
                                        "after_minutes", 1));
    ingest(eg_band, 0, 10);
    long long id = fired_id(w, rule, 5000);
    ingest(eg_band, 6, 0); /* 6 of 16 = 0.375: above 0.3, below 0.6 */
    ck_assert_ptr_null(next_event(w, "alert.resolved", 2000));
    json_t *g = alert_get(id);
    ck_assert_str_eq(jstr(g, "state"), "fired");
    json_decref(g);
    ingest(eg_band, 20, 0); /* 26 of 36 = 0.72 */
    json_t *d = expect_event(w, "alert.resolved", 5000);
    ck_assert_int_eq(jint(d, "id"), id);
    json_decref(d);
    wsc_close(w);
}
END_TEST

START_TEST(test_manual_recovery_waits_for_a_person_and_a_resumed_pause_is_not_reapplied)
{
    wsc *w = watch(), *wp = watch_pauses();
    long long rule = new_rule("Manual", eg_manual, "asr", "<", 0.3,
                              json_pack("{s:s, s:{s:s}}", "action", "disable", "recovery", "mode", "manual"));
    ingest(eg_manual, 0, 10);
    long long id = fired_id(w, rule, 5000);
    json_t *p = expect_event(wp, "route.paused", 3000);
    ck_assert_str_eq(jstr(p, "actor_kind"), "rule");
    json_decref(p);
    wait_lookup(eg_manual, "paused", 3000);
    /* a person resumes while the breach lasts: the rule does not pause again */
    json_decref(ok(admin, "route.resume", json_pack("{s:I}", "interconnect_id", (json_int_t)eg_manual)));
    ingest(eg_manual, 0, 5);
    json_decref(expect_event(wp, "route.resumed", 3000));
    ck_assert_ptr_null(next_event(wp, "route.paused", 1500));
    wait_lookup(eg_manual, "", 3000);
    ck_assert_int_eq(active_rule_pauses(eg_manual), 0);
    /* the figure recovers: nothing happens by itself */
    ingest(eg_manual, 60, 0);
    ck_assert_ptr_null(next_event(w, "alert.resolved", 2000));
    json_t *g = alert_get(id);
    ck_assert_str_eq(jstr(g, "state"), "fired");
    json_decref(g);
    json_decref(ok(admin, "alert.resolve", json_pack("{s:I}", "id", (json_int_t)id)));
    json_t *d = expect_event(w, "alert.resolved", 3000);
    ck_assert_str_eq(jstr(d, "resolution"), "manual");
    json_decref(d);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

START_TEST(test_webhook_and_email_notifications_are_queued_and_the_webhook_reaches_the_receiver)
{
    char url[128], gone[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", hook.port);
    snprintf(gone, sizeof gone, "http://127.0.0.1:%d/gone", hook.port);
    wsc *w = watch();
    long long rule = new_rule("Hooked", eg_hook, "asr", "<", 0.5,
                              json_pack("{s:[{s:s}, {s:s}, {s:[s]}, s]}", "notify", "webhook", url, "webhook", gone,
                                        "email", "noc@example.com", "console"));
    ingest(eg_hook, 0, 10);
    long long id = fired_id(w, rule, 5000);
    int64_t end = mono_ms() + 10000;
    int ok_hits = 0, gone_hits = 0;
    char body[8192];
    while (mono_ms() < end) {
        pthread_mutex_lock(&hook.lock);
        ok_hits = hook.hits_ok;
        gone_hits = hook.hits_gone;
        snprintf(body, sizeof body, "%s", hook.last_body);
        pthread_mutex_unlock(&hook.lock);
        if (ok_hits && gone_hits)
            break;
        usleep(50000);
    }
    ck_assert_int_eq(ok_hits, 1);
    json_t *j = json_loads(body, 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(jstr(j, "event"), "alert.fired");
    ck_assert_int_eq(jint(json_object_get(j, "alert"), "id"), id);
    ck_assert_int_eq(jint(json_object_get(j, "alert"), "rule_id"), rule);
    json_decref(j);
    /* 404: a dead letter after one attempt */
    ck_assert_int_ge(gone_hits, 1);
    char sql[512];
    end = mono_ms() + 5000;
    const char *gone_url[] = { gone };
    static const char dead[] = "SELECT state || '/' || attempts FROM jobs WHERE kind = 'webhook.post' AND payload->>'url' = $1";
    while (strcmp(harness_sql_params(dead, 1, gone_url), "dead/1") && mono_ms() < end)
        usleep(50000);
    ck_assert_str_eq(harness_sql_params(dead, 1, gone_url), "dead/1");
    snprintf(sql, sizeof sql,
             "SELECT payload->>'template' || ' ' || (payload->'to'->>0) || ' ' || (payload->'alert'->>'id')"
             " FROM jobs WHERE kind = 'email.send' AND payload->'alert'->>'rule_id' = '%lld'", rule);
    char want[128];
    snprintf(want, sizeof want, "monitor_alert noc@example.com %lld", id);
    ck_assert_str_eq(harness_sql(sql), want);
    wsc_close(w);
}
END_TEST

START_TEST(test_an_anomaly_rule_fires_against_the_baseline_of_the_hour)
{
    /* a learnt baseline for every hour: ASR 0.6 +- 0.05 */
    char sql[512];
    snprintf(sql, sizeof sql,
             "INSERT INTO monitor_baselines (scope, scope_id, metric, hour_of_week, mean, variance, samples, last_hour)"
             " SELECT 'interconnect', '%lld', 'asr', h, 0.6, 0.0025, 6, now() FROM generate_series(0, 167) h", eg_anom);
    harness_sql(sql);
    wsc *w = watch();
    long long rule = new_rule("ASR anomaly", eg_anom, "asr", "anomaly", 3.0, NULL);
    ingest(eg_anom, 2, 8); /* 0.2: z = (0.2 - 0.6) / 0.06 (floor 0.10 * 0.6) = -6.7 */
    json_t *a = fired_of(w, rule, 5000);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(jstr(a, "source"), "anomaly");
    json_t *d = json_object_get(a, "details");
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "baseline_mean")), 0.6, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "baseline_stddev")), 0.06, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "observed")), 0.2, 1e-9);
    ck_assert_double_eq_tol(json_number_value(json_object_get(d, "z")), -6.67, 1e-9);
    ck_assert(json_is_integer(json_object_get(d, "hour_of_week")));
    ck_assert_ptr_nonnull(strstr(jstr(a, "message"), "ASR 0.2000 vs 0.6000 \xc2\xb1 0.0600 usual for "));
    ck_assert_ptr_nonnull(strstr(jstr(a, "message"), "z = -6.7"));
    json_decref(a);
    wsc_close(w);
}
END_TEST

START_TEST(test_a_route_rule_pauses_the_prefixes_of_its_destination)
{
    wsc *w = watch(), *wp = watch_pauses();
    char sid[64];
    snprintf(sid, sizeof sid, "%lld/United Kingdom", eg_route);
    json_t *r = ok(admin, "monitor.rule.create",
                   json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:i, s:s, s:{s:s, s:i}}", "name", "UK route", "scope",
                             "route", "scope_id", sid, "metric", "asr", "op", "<", "threshold", 0.3, "min_attempts", 5,
                             "action", "pause", "recovery", "mode", "auto", "after_minutes", 1));
    long long rule = jint(r, "id");
    json_decref(r);
    ingest(eg_route, 0, 10);
    json_t *a = fired_of(w, rule, 5000);
    ck_assert_ptr_nonnull(a);
    ck_assert_str_eq(jstr(a, "scope"), "route");
    ck_assert_str_eq(jstr(a, "scope_id"), sid);
    ck_assert_int_eq(jint(a, "interconnect_id"), eg_route);
    json_decref(a);
    json_t *p = expect_event(wp, "route.paused", 3000);
    ck_assert_int_eq(jint(p, "interconnect_id"), eg_route);
    ck_assert_str_eq(jstr(p, "prefix"), "44"); /* the supplier deck's United Kingdom */
    ck_assert_str_eq(jstr(p, "actor_kind"), "rule");
    json_decref(p);
    ingest(eg_route, 40, 0);
    p = expect_event(wp, "route.resumed", 5000);
    ck_assert_str_eq(jstr(p, "prefix"), "44");
    json_decref(p);
    ck_assert_int_eq(active_rule_pauses(eg_route), 0);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

START_TEST(test_a_disable_holds_for_the_penalty_before_recovery)
{
    wsc *w = watch(), *wp = watch_pauses();
    long long rule = new_rule("Penalty", eg_penalty, "asr", "<", 0.3,
                              json_pack("{s:s, s:i, s:{s:s, s:i}}", "action", "disable", "penalty_minutes", 5,
                                        "recovery", "mode", "auto", "after_minutes", 0));
    ingest(eg_penalty, 0, 10);
    json_t *p = expect_event(wp, "route.paused", 5000);
    int64_t paused = mono_ms();
    json_decref(p);
    ingest(eg_penalty, 60, 0); /* fine at once; recovery waits 0 minutes, the penalty 5 (1.5 s) */
    json_decref(expect_event(wp, "route.resumed", 8000));
    ck_assert_int_ge(mono_ms() - paused, 1400);
    json_t *d = expect_event(w, "alert.resolved", 3000);
    ck_assert_str_eq(jstr(d, "resolution"), "recovered");
    json_decref(d);
    ck_assert_int_eq(open_alerts_of(rule), 0);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

/* The rule's own pause stops the traffic: once the window has drained
 * below min_attempts the rule lifts the pause after after_minutes
 * (probation). The failed calls ended 285 s ago, so they leave the 5m
 * window (10 s buckets) within about 15 s. */
START_TEST(test_a_paused_scope_whose_window_drains_is_put_on_probation)
{
    wsc *w = watch(), *wp = watch_pauses();
    long long rule = new_rule("Probation", eg_probation, "asr", "<", 0.3,
                              json_pack("{s:s, s:{s:s, s:i}}", "action", "pause", "recovery", "mode", "auto",
                                        "after_minutes", 1));
    ingest_ago(eg_probation, 0, 10, 285);
    long long id = fired_id(w, rule, 5000);
    json_decref(expect_event(wp, "route.paused", 3000));
    json_t *p = next_event(wp, "route.resumed", 25000);
    ck_assert_msg(p != NULL, "the drained window did not lift the pause");
    ck_assert_int_eq(jint(p, "interconnect_id"), eg_probation);
    json_decref(p);
    json_t *d = expect_event(w, "alert.resolved", 3000);
    ck_assert_int_eq(jint(d, "id"), id);
    json_decref(d);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

/* Both instances count a breach in their own windows and both evaluators
 * fire: the unique index keeps one alert, refreshed by both, and one
 * alert.fired. */
START_TEST(test_two_instances_breaching_together_make_one_alert)
{
    const char *flags[] = { "--monitor-eval-ms", "200", "--monitor-minute-ms", "300", NULL };
    ck_assert(server_start(&B, "rules-b", flags));
    wsc *admin_b = login(&B, "root", "rootpass123");
    wsc *w = watch();
    long long rule = new_rule("Two instances", eg_multi, "asr", "<", 0.5, NULL);
    usleep(500000); /* both evaluators load the rule */
    wsc *saved = admin;
    ingest(eg_multi, 0, 10);
    admin = admin_b;
    ingest(eg_multi, 0, 10);
    admin = saved;
    long long id = fired_id(w, rule, 5000);
    ck_assert_ptr_null(fired_of(w, rule, 1500));
    ck_assert_int_eq(open_alerts_of(rule), 1);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM alerts WHERE rule_id = %lld", rule);
    ck_assert_str_eq(harness_sql(sql), "1");
    json_t *g = alert_get(id);
    ck_assert_int_ge(jint(g, "count"), 3);
    json_decref(g);
    wsc_close(w);
    wsc_close(admin_b);
    server_stop(&B, 20000);
}
END_TEST

/* After a restart the firing state and the rule's pause are taken back
 * from the open alert and the active pause: no second alert, and the
 * recovery lifts the pause made before the restart. */
START_TEST(test_after_a_restart_the_rule_still_owns_its_pause_and_lifts_it)
{
    wsc *w = watch(), *wp = watch_pauses();
    long long rule = new_rule("Restart", eg_restart, "asr", "<", 0.3,
                              json_pack("{s:s, s:{s:s, s:i}}", "action", "pause", "recovery", "mode", "auto",
                                        "after_minutes", 1));
    ingest(eg_restart, 0, 10);
    long long id = fired_id(w, rule, 5000);
    json_decref(expect_event(wp, "route.paused", 3000));
    wsc_close(wp);
    wsc_close(w);
    wsc_close(admin);
    ck_assert_int_eq(server_stop(&S, 20000), 0);
    const char *flags[] = { "--monitor-eval-ms", "200", "--monitor-minute-ms", "300", "--job-backoff-base-ms", "200",
                            NULL };
    ck_assert(server_start(&S, "rules", flags));
    admin = login(&S, "root", "rootpass123");
    w = watch();
    wp = watch_pauses();
    /* the windows are rebuilt from the stored CDRs: still in breach, same alert */
    ck_assert_ptr_null(fired_of(w, rule, 1500));
    ck_assert_int_eq(open_alerts_of(rule), 1);
    ingest(eg_restart, 40, 0);
    json_t *d = expect_event(w, "alert.resolved", 8000);
    ck_assert_int_eq(jint(d, "id"), id);
    json_decref(d);
    json_t *p = expect_event(wp, "route.resumed", 3000);
    ck_assert_int_eq(jint(p, "interconnect_id"), eg_restart);
    json_decref(p);
    ck_assert_int_eq(active_rule_pauses(eg_restart), 0);
    wsc_close(wp);
    wsc_close(w);
}
END_TEST

static void network_setup(void)
{
    hook_start();
    create_user(admin, "noc1", "noc");
    supplier = carrier_usd(admin, "Supplier R", "supplier");
    customer = carrier_usd(admin, "Customer R", "customer");
    carrier_postpaid(admin, customer, "100000");
    long long retail = rating_plan_with(admin, "Retail R", "customer", UK_DECK("0.02"));
    buy_plan = rating_plan_with(admin, "Supplier R plan", "supplier", UK_DECK("0.01"));
    eg_fire = new_egress("R-FIRE");
    eg_pause = new_egress("R-PAUSE");
    eg_band = new_egress("R-BAND");
    eg_manual = new_egress("R-MANUAL");
    eg_hook = new_egress("R-HOOK");
    eg_anom = new_egress("R-ANOM");
    eg_route = new_egress("R-ROUTE");
    eg_penalty = new_egress("R-PENALTY");
    eg_restart = new_egress("R-RESTART");
    eg_multi = new_egress("R-MULTI");
    eg_probation = new_egress("R-PROBATION");
    ingress = id_of(ok(admin, "interconnect.create",
                       json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)customer, "name", "R-IN",
                                 "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.60")));
    routing_plan = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "R LCR", "mode", "lcr")));
    json_decref(ok(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[{s:I}, {s:I}]}", "routing_plan_id", (json_int_t)routing_plan, "prefix", "44",
                             "routes", "interconnect_id", (json_int_t)eg_pause, "interconnect_id",
                             (json_int_t)eg_manual)));
    svc = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ingress,
                                                      "name", "R service", "rating_plan_id", (json_int_t)retail,
                                                      "routing_plan_id", (json_int_t)routing_plan)));
}

int main(void)
{
    const char *flags[] = { "--monitor-eval-ms", "200", "--monitor-minute-ms", "300", "--job-backoff-base-ms", "200",
                            NULL };
    admin = start_with_root(&S, "didtron_test_rules", "rules", flags);
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, network_setup, NULL);
    tcase_add_test(tc, test_rule_validation_names_the_field);
    tcase_add_test(tc, test_a_sustained_breach_fires_once_then_ack_and_resolve);
    tcase_add_test(tc, test_a_pause_rule_pauses_then_recovers_after_the_shortened_minutes);
    tcase_add_test(tc, test_hysteresis_a_value_between_threshold_and_reset_does_not_clear);
    tcase_add_test(tc, test_manual_recovery_waits_for_a_person_and_a_resumed_pause_is_not_reapplied);
    tcase_add_test(tc, test_webhook_and_email_notifications_are_queued_and_the_webhook_reaches_the_receiver);
    tcase_add_test(tc, test_an_anomaly_rule_fires_against_the_baseline_of_the_hour);
    tcase_add_test(tc, test_a_route_rule_pauses_the_prefixes_of_its_destination);
    tcase_add_test(tc, test_a_disable_holds_for_the_penalty_before_recovery);
    tcase_add_test(tc, test_a_paused_scope_whose_window_drains_is_put_on_probation);
    tcase_add_test(tc, test_two_instances_breaching_together_make_one_alert);
    tcase_add_test(tc, test_after_a_restart_the_rule_still_owns_its_pause_and_lifts_it);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
    return failed;
}
