/*
 * Integration: route gates (docs/gates.md) — pauses (route.pause,
 * route.resume, route.pause.list, route.pause.check, their audit rows and
 * events, their propagation to a second instance), live call counts
 * (call.start, call.stop, call.stats, the CPS window, the stale-call
 * sweep), and the switch HTTP routes (POST /api/v1/calls/start|stop,
 * GET /api/v1/route) with their bearer-or-allowed-address auth.
 *
 * Two servers share one database: A (call_max_seconds 2, no allowed
 * addresses) and B (route_allow_ips 127.0.0.1, default call_max_seconds).
 */
#include <check.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

static test_server A, B;
static wsc *admin, *admin_b;
static char *token;
static long long supplier, eg1, eg2, eg3, eg4;
static long long eg5, svc5; /* a routable network for route.lookup */

static long long new_egress(const char *name)
{
    return id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)supplier, "name", name,
                              "direction", "egress", "currency", "USD", "signalling_ips", "127.0.0.2")));
}

/* ---- HTTP with any verb and an optional bearer ---- */

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
    char **buf = ud;
    size_t old = *buf ? strlen(*buf) : 0;
    char *b = realloc(*buf, old + size * n + 1);
    if (!b)
        return 0;
    memcpy(b + old, p, size * n);
    b[old + size * n] = '\0';
    *buf = b;
    return size * n;
}

/* Status, and the body parsed as JSON in *out (may be NULL). */
static int http(const test_server *s, const char *path, const char *bearer, const char *post, json_t **out)
{
    char url[512], auth[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", s->port, path);
    CURL *h = curl_easy_init();
    struct curl_slist *hdrs = NULL;
    char *body = NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)T);
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (post) {
        hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, post);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (out)
        *out = body ? json_loads(body, 0, NULL) : NULL;
    free(body);
    return (int)status;
}

static json_t *stats_of(wsc *c, long long ic)
{
    json_t *r = ok(c, "call.stats", json_pack("{s:I}", "interconnect_id", (json_int_t)ic));
    json_t *item = json_incref(json_array_get(json_object_get(r, "interconnects"), 0));
    json_decref(r);
    return item;
}

static long long concurrent_of(wsc *c, long long ic)
{
    json_t *i = stats_of(c, ic);
    long long n = jint(i, "concurrent");
    json_decref(i);
    return n;
}

static long long cps_of(wsc *c, long long ic)
{
    json_t *i = stats_of(c, ic);
    long long n = jint(i, "cps");
    json_decref(i);
    return n;
}

static void start_call(wsc *c, const char *id, long long ic)
{
    json_t *r = ok(c, "call.start", json_pack("{s:s, s:I}", "call_id", id, "interconnect_id", (json_int_t)ic));
    ck_assert(json_is_true(json_object_get(r, "counted")));
    json_decref(r);
}

static void stop_call(wsc *c, const char *id)
{
    json_decref(ok(c, "call.stop", json_pack("{s:s}", "call_id", id)));
}

static bool paused_on(wsc *c, long long ic, const char *callee)
{
    json_t *p = json_pack("{s:I}", "interconnect_id", (json_int_t)ic);
    if (callee)
        json_object_set_new(p, "callee", json_string(callee));
    json_t *r = ok(c, "route.pause.check", p);
    bool paused = json_is_true(json_object_get(r, "paused"));
    json_decref(r);
    return paused;
}

/* ---- pauses ---- */

START_TEST(test_a_pause_is_listed_until_resumed_and_cannot_be_doubled)
{
    json_t *p = ok(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg1, "reason",
                                                   "maintenance window"));
    ck_assert_int_gt(jint(p, "id"), 0);
    ck_assert(json_is_null(json_object_get(p, "prefix")));
    ck_assert_str_eq(jstr(p, "actor"), "root");
    ck_assert_str_eq(jstr(p, "actor_kind"), "user");
    ck_assert(json_is_null(json_object_get(p, "resumed_at")));
    json_decref(p);
    ck_assert(paused_on(admin, eg1, "4420"));
    ck_assert_int_eq(fails(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg1, "reason",
                                                           "again")), -32009);
    json_t *l = ok(admin, "route.pause.list", json_pack("{s:{s:I}}", "filter", "interconnect_id", (json_int_t)eg1));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "reason"), "maintenance window");
    json_decref(l);

    json_t *r = ok(admin, "route.resume", json_pack("{s:I}", "interconnect_id", (json_int_t)eg1));
    ck_assert(json_is_string(json_object_get(r, "resumed_at")));
    ck_assert_str_eq(jstr(r, "resumed_by"), "root");
    json_decref(r);
    ck_assert(!paused_on(admin, eg1, "4420"));
    ck_assert_int_eq(fails(admin, "route.resume", json_pack("{s:I}", "interconnect_id", (json_int_t)eg1)), -32004);
    l = ok(admin, "route.pause.list", json_pack("{s:{s:I}}", "filter", "interconnect_id", (json_int_t)eg1));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
}
END_TEST

START_TEST(test_a_prefix_pause_stops_only_callees_under_it)
{
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg2, "prefix",
                                                   "447", "reason", "mobile ASR low")));
    ck_assert(paused_on(admin, eg2, "447700900123"));
    ck_assert(!paused_on(admin, eg2, "442071234567"));
    ck_assert(!paused_on(admin, eg2, NULL));
    /* a whole-interconnect pause beside it is another pause */
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg2, "reason", "all")));
    ck_assert(paused_on(admin, eg2, "442071234567"));
    json_decref(ok(admin, "route.resume", json_pack("{s:I}", "interconnect_id", (json_int_t)eg2)));
    ck_assert(!paused_on(admin, eg2, "442071234567"));
    ck_assert(paused_on(admin, eg2, "447700900123"));
    json_decref(ok(admin, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg2, "prefix", "447")));
    ck_assert(!paused_on(admin, eg2, "447700900123"));
}
END_TEST

START_TEST(test_pause_params_are_checked_and_errors_name_the_field)
{
    fails_on_field(admin, "route.pause", json_pack("{s:s}", "reason", "x"), "interconnect_id");
    fails_on_field(admin, "route.pause", json_pack("{s:I}", "interconnect_id", (json_int_t)eg1), "reason");
    fails_on_field(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg1, "reason", ""),
                   "reason");
    fails_on_field(admin, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg1, "prefix",
                                                   "44a", "reason", "x"), "prefix");
    fails_on_field(admin, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg1, "bogus", "x"),
                   "bogus");
    ck_assert_int_eq(fails(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)999999, "reason",
                                                           "x")), -32004);
    /* support may look but not pause */
    wsc *sup = login(&A, "support1", "password123");
    ck_assert_int_eq(fails(sup, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg1, "reason",
                                                         "x")), -32003);
    json_decref(ok(sup, "route.pause.list", json_object()));
    wsc_close(sup);
}
END_TEST

START_TEST(test_pause_and_resume_write_audit_rows_and_events)
{
    wsc *watcher = login(&B, "noc1", "password123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s,s]}", "topics", "route.paused", "route.resumed")));
    wsc *noc = login(&A, "noc1", "password123");
    json_t *p = ok(noc, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg3, "prefix", "33",
                                                 "reason", "fraud check"));
    long long pid = jint(p, "id");
    json_decref(p);
    json_decref(ok(noc, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg3, "prefix", "33")));

    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *params = json_object_get(ev, "params"), *d = json_object_get(params, "data");
    ck_assert_str_eq(jstr(params, "topic"), "route.paused");
    ck_assert_int_eq(jint(d, "interconnect_id"), eg3);
    ck_assert_str_eq(jstr(d, "prefix"), "33");
    ck_assert_str_eq(jstr(d, "reason"), "fraud check");
    ck_assert_str_eq(jstr(d, "actor"), "noc1");
    json_decref(ev);
    ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    params = json_object_get(ev, "params");
    d = json_object_get(params, "data");
    ck_assert_str_eq(jstr(params, "topic"), "route.resumed");
    ck_assert_int_eq(jint(d, "id"), pid);
    ck_assert_str_eq(jstr(d, "actor"), "noc1");
    json_decref(ev);

    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(action || ':' || actor_name, ',' ORDER BY id) FROM audit_log"
             " WHERE entity = 'route_pause' AND entity_id = '%lld'", pid);
    ck_assert_str_eq(harness_sql(sql), "pause:noc1,resume:noc1");
    wsc_close(noc);
    wsc_close(watcher);
}
END_TEST

START_TEST(test_a_pause_on_one_instance_is_seen_by_the_other_within_a_second)
{
    ck_assert(!paused_on(admin_b, eg4, "1555"));
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg4, "reason",
                                                   "carrier down")));
    int64_t t0 = mono_ms();
    while (!paused_on(admin_b, eg4, "1555") && mono_ms() - t0 < 1000)
        usleep(20000);
    ck_assert_msg(paused_on(admin_b, eg4, "1555"), "instance B did not see the pause within 1 s");
    json_t *l = ok(admin_b, "route.pause.list", json_pack("{s:{s:I}}", "filter", "interconnect_id", (json_int_t)eg4));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);
    /* and the resume, the other way round */
    json_decref(ok(admin_b, "route.resume", json_pack("{s:I}", "interconnect_id", (json_int_t)eg4)));
    t0 = mono_ms();
    while (paused_on(admin, eg4, "1555") && mono_ms() - t0 < 1000)
        usleep(20000);
    ck_assert_msg(!paused_on(admin, eg4, "1555"), "instance A did not see the resume within 1 s");
}
END_TEST

START_TEST(test_a_restarted_instance_loads_the_active_pauses)
{
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg4, "prefix",
                                                   "49", "reason", "before restart")));
    test_server C;
    ck_assert(server_start(&C, "gates-c", NULL));
    wsc *c = login(&C, "root", "rootpass123");
    int64_t t0 = mono_ms();
    while (!paused_on(c, eg4, "4930") && mono_ms() - t0 < 2000)
        usleep(20000);
    bool seen = paused_on(c, eg4, "4930");
    wsc_close(c);
    server_stop(&C, 10000);
    json_decref(ok(admin, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg4, "prefix", "49")));
    ck_assert_msg(seen, "a new instance did not load the active pause");
}
END_TEST

/* ---- call counts ---- */

START_TEST(test_start_and_stop_count_concurrent_calls_per_interconnect_and_service)
{
    long long ic = 7001, svc = 8001; /* counts need no record: ids as the switch sends them */
    start_call(admin_b, "c-1", ic);
    start_call(admin_b, "c-2", ic);
    json_t *r = ok(admin_b, "call.start", json_pack("{s:s, s:I, s:I}", "call_id", "c-3", "interconnect_id",
                                                    (json_int_t)ic, "service_id", (json_int_t)svc));
    ck_assert_int_eq(jint(json_object_get(r, "interconnect"), "concurrent"), 3);
    ck_assert_int_eq(jint(json_object_get(r, "service"), "concurrent"), 1);
    json_decref(r);
    /* the same call id again is not a second call */
    r = ok(admin_b, "call.start", json_pack("{s:s, s:I}", "call_id", "c-1", "interconnect_id", (json_int_t)ic));
    ck_assert(json_is_false(json_object_get(r, "counted")));
    json_decref(r);
    ck_assert_int_eq(concurrent_of(admin_b, ic), 3);
    stop_call(admin_b, "c-3");
    ck_assert_int_eq(concurrent_of(admin_b, ic), 2);
    r = ok(admin_b, "call.stats", json_pack("{s:I}", "service_id", (json_int_t)svc));
    ck_assert_int_eq(jint(json_array_get(json_object_get(r, "services"), 0), "concurrent"), 0);
    json_decref(r);
    r = ok(admin_b, "call.stop", json_pack("{s:s}", "call_id", "never-started"));
    ck_assert(json_is_false(json_object_get(r, "stopped")));
    json_decref(r);
    stop_call(admin_b, "c-1");
    stop_call(admin_b, "c-2");
    ck_assert_int_eq(concurrent_of(admin_b, ic), 0);
    /* counts are per instance */
    start_call(admin_b, "c-4", ic);
    ck_assert_int_eq(concurrent_of(admin, ic), 0);
    stop_call(admin_b, "c-4");
    fails_on_field(admin_b, "call.start", json_pack("{s:I}", "interconnect_id", (json_int_t)ic), "call_id");
    fails_on_field(admin_b, "call.start", json_pack("{s:s}", "call_id", "x"), "interconnect_id");
}
END_TEST

START_TEST(test_cps_counts_attempts_of_the_last_second_only)
{
    long long ic = 7002;
    for (int i = 0; i < 5; i++) {
        char id[16];
        snprintf(id, sizeof id, "cps-%d", i);
        start_call(admin_b, id, ic);
        stop_call(admin_b, id); /* a short call still was an attempt */
    }
    ck_assert_int_eq(cps_of(admin_b, ic), 5);
    ck_assert_int_eq(concurrent_of(admin_b, ic), 0);
    usleep(1150 * 1000);
    ck_assert_int_eq(cps_of(admin_b, ic), 0);
}
END_TEST

START_TEST(test_a_call_whose_stop_never_comes_is_dropped_after_call_max_seconds)
{
    long long ic = 7003;
    start_call(admin, "lost-1", ic); /* A: call_max_seconds 2 */
    ck_assert_int_eq(concurrent_of(admin, ic), 1);
    int64_t t0 = mono_ms();
    while (concurrent_of(admin, ic) && mono_ms() - t0 < 5000)
        usleep(100000);
    ck_assert_int_eq(concurrent_of(admin, ic), 0);
    ck_assert_int_ge(mono_ms() - t0, 800); /* not at once */
    json_t *r = ok(admin, "call.stop", json_pack("{s:s}", "call_id", "lost-1"));
    ck_assert(json_is_false(json_object_get(r, "stopped")));
    json_decref(r);
}
END_TEST

/* ---- what route.lookup makes of the gates ---- */

/* route.lookup for callee on service svc5 through c; NULL when this server
 * has no route.lookup (the routing module is not there). */
static json_t *lookup(wsc *c, const char *callee)
{
    json_t *r = call(c, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc5, "caller",
                                                  "15551234567", "callee", callee));
    if (wsc_error_code(r) == -32601) {
        json_decref(r);
        return NULL;
    }
    ck_assert_int_eq(wsc_error_code(r), 0);
    json_t *res = json_incref(wsc_result(r));
    json_decref(r);
    return res;
}

/* The reason eg5 was rejected for, "" when it was routed. */
static const char *eg5_rejection(json_t *res)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(res, "rejected"), i, x)
        if (jint(x, "interconnect_id") == eg5)
            return jstr(x, "reason");
    json_array_foreach(json_object_get(res, "routes"), i, x)
        if (jint(x, "interconnect_id") == eg5)
            return "";
    return "absent";
}

START_TEST(test_a_pause_on_one_instance_makes_the_others_lookup_reject_paused)
{
    json_t *res = lookup(admin_b, "442071234567");
    if (!res)
        return; /* no route.lookup on this server: nothing to check */
    ck_assert_str_eq(eg5_rejection(res), "");
    json_decref(res);
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg5, "prefix",
                                                   "4420", "reason", "London ASR low")));
    int64_t t0 = mono_ms();
    const char *why = "";
    while (mono_ms() - t0 < 1000) {
        res = lookup(admin_b, "442071234567");
        why = strcmp(eg5_rejection(res), "paused") ? "" : "paused";
        json_decref(res);
        if (why[0])
            break;
        usleep(20000);
    }
    ck_assert_msg(why[0], "B's lookup did not reject the paused supplier within 1 s");
    res = lookup(admin_b, "447700900123"); /* another prefix still routes */
    ck_assert_str_eq(eg5_rejection(res), "");
    json_decref(res);
    json_decref(ok(admin, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg5, "prefix", "4420")));
    t0 = mono_ms();
    do {
        res = lookup(admin_b, "442071234567");
        why = strcmp(eg5_rejection(res), "") ? "still" : "";
        json_decref(res);
    } while (why[0] && mono_ms() - t0 < 1000 && !usleep(20000));
    ck_assert_msg(!why[0], "B's lookup still rejects after the resume");
}
END_TEST

START_TEST(test_the_lookup_rejects_a_supplier_at_its_capacity_on_this_instance)
{
    json_t *res = lookup(admin_b, "442071234567");
    if (!res)
        return;
    json_decref(res);
    start_call(admin_b, "cap-1", eg5); /* eg5: capacity 1 */
    res = lookup(admin_b, "442071234567");
    ck_assert_str_eq(eg5_rejection(res), "capacity");
    json_decref(res);
    res = lookup(admin, "442071234567"); /* counts are per instance */
    ck_assert_str_eq(eg5_rejection(res), "");
    json_decref(res);
    stop_call(admin_b, "cap-1");
    res = lookup(admin_b, "442071234567");
    ck_assert_str_eq(eg5_rejection(res), "");
    json_decref(res);
}
END_TEST

START_TEST(test_get_route_answers_the_lookup_as_is_or_as_rtjson)
{
    json_t *res = lookup(admin_b, "442071234567");
    if (!res)
        return;
    char path[160];
    snprintf(path, sizeof path, "/api/v1/route?service_id=%lld&caller=15551234567&callee=442071234567", svc5);
    json_t *body = NULL;
    ck_assert_int_eq(http(&B, path, NULL, NULL, &body), 200); /* B: by address */
    ck_assert(json_equal(json_object_get(body, "routes"), json_object_get(res, "routes")));
    json_decref(body);
    json_decref(res);
    strcat(path, "&format=rtjson");
    ck_assert_int_eq(http(&A, path, token, NULL, &body), 200);
    ck_assert_str_eq(jstr(body, "version"), "1.0");
    ck_assert_str_eq(jstr(body, "routing"), "serial");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(body, "routes"), 0), "uri"), "sip:442071234567@127.0.0.2:5060");
    json_decref(body);
}
END_TEST

/* ---- the switch HTTP routes ---- */

START_TEST(test_http_call_start_and_stop_count_like_the_methods)
{
    json_t *body = NULL;
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", token, "{\"call_id\":\"h-1\",\"interconnect_id\":7004}", &body), 200);
    ck_assert(json_is_true(json_object_get(body, "counted")));
    json_decref(body);
    ck_assert_int_eq(concurrent_of(admin, 7004), 1);
    ck_assert_int_eq(http(&A, "/api/v1/calls/stop", token, "{\"call_id\":\"h-1\"}", &body), 200);
    ck_assert(json_is_true(json_object_get(body, "stopped")));
    json_decref(body);
    ck_assert_int_eq(concurrent_of(admin, 7004), 0);
    /* refusals: no token and no allowed address, bad params, bad JSON, query keys */
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", NULL, "{\"call_id\":\"h-2\",\"interconnect_id\":7004}", &body), 401);
    ck_assert_int_eq(jint(json_object_get(body, "error"), "code"), -32001);
    json_decref(body);
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", token, "{\"call_id\":\"h-2\"}", &body), 400);
    ck_assert_int_eq(jint(json_object_get(body, "error"), "code"), -32602);
    json_decref(body);
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", token, "{\"call_id\":", NULL), 400);
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", token, "[1,2]", NULL), 400);
    ck_assert_int_eq(http(&A, "/api/v1/calls/start?x=1", token, "{}", NULL), 400);
    ck_assert_int_eq(http(&A, "/api/v1/calls/start", "bogus-token", "{\"call_id\":\"h\",\"interconnect_id\":1}", NULL),
                     401);
    /* B allows 127.0.0.1: no token needed */
    ck_assert_int_eq(http(&B, "/api/v1/calls/start", NULL, "{\"call_id\":\"h-3\",\"interconnect_id\":7004}", &body), 200);
    json_decref(body);
    ck_assert_int_eq(concurrent_of(admin_b, 7004), 1);
    ck_assert_int_eq(http(&B, "/api/v1/calls/stop", NULL, "{\"call_id\":\"h-3\"}", NULL), 200);
    ck_assert_int_eq(concurrent_of(admin_b, 7004), 0);
}
END_TEST

START_TEST(test_get_route_needs_a_token_or_an_allowed_address)
{
    json_t *body = NULL;
    ck_assert_int_eq(http(&A, "/api/v1/route?callee=442071234567", NULL, NULL, &body), 401);
    ck_assert_int_eq(jint(json_object_get(body, "error"), "code"), -32001);
    json_decref(body);
    ck_assert_int_eq(http(&A, "/api/v1/route?bogus=1", token, NULL, NULL), 400);
    ck_assert_int_eq(http(&A, "/api/v1/route?seed=abc", token, NULL, NULL), 400);
    ck_assert_int_eq(http(&A, "/api/v1/route?format=xml&callee=1", token, NULL, &body), 400);
    json_decref(body);
    /* Authenticated (token on A, address on B): never 401. Until the
     * routing module registers route.lookup the answer is 404 -32601. */
    int a = http(&A, "/api/v1/route?callee=442071234567&caller=15551234567", token, NULL, &body);
    json_t *err = json_object_get(body, "error");
    if (a == 404)
        ck_assert_int_eq(jint(err, "code"), -32601);
    ck_assert_int_ne(a, 401);
    ck_assert_int_ne(a, 500);
    json_decref(body);
    int b = http(&B, "/api/v1/route?callee=442071234567&caller=15551234567", NULL, NULL, &body);
    ck_assert_int_eq(b, a);
    json_decref(body);
    ck_assert_int_eq(http(&B, "/api/v1/route?callee=1", "bogus-token", NULL, NULL), 401); /* a bad token is not ignored */
}
END_TEST

static void network_setup(void)
{
    admin_b = login(&B, "root", "rootpass123");
    token = login_token(&A, "root", "rootpass123");
    supplier = carrier_usd(admin, "Supplier G", "supplier");
    eg1 = new_egress("G-1");
    eg2 = new_egress("G-2");
    eg3 = new_egress("G-3");
    eg4 = new_egress("G-4");
    /* a routable network: customer C on service svc5 (lcr plan, 44 -> eg5, capacity 1) */
    long long cust = carrier_usd(admin, "Customer G", "customer");
    carrier_postpaid(admin, cust, "100");
    long long retail = rating_plan_with(admin, "Retail G", "customer", UK_DECK("0.02"));
    long long buy = rating_plan_with(admin, "Supplier G plan", "supplier", UK_DECK("0.01"));
    eg5 = id_of(ok(admin, "interconnect.create",
                   json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I, s:i}", "carrier_id", (json_int_t)supplier, "name", "G-5",
                             "direction", "egress", "currency", "USD", "signalling_ips", "127.0.0.2",
                             "supplier_rating_plan_id", (json_int_t)buy, "capacity", 1)));
    long long ingress = id_of(ok(admin, "interconnect.create",
                                 json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust, "name", "G-IN",
                                           "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.50")));
    json_t *rp = call(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "G LCR", "mode", "lcr"));
    long long plan = wsc_error_code(rp) ? 0 : jint(wsc_result(rp), "id");
    json_decref(rp);
    if (plan) /* the routing module is there */
        json_decref(ok(admin, "routing_plan.entry.set",
                       json_pack("{s:I, s:s, s:[{s:I}]}", "routing_plan_id", (json_int_t)plan, "prefix", "44", "routes",
                                 "interconnect_id", (json_int_t)eg5)));
    json_t *sp = json_pack("{s:I, s:s, s:I}", "interconnect_id", (json_int_t)ingress, "name", "G service",
                           "rating_plan_id", (json_int_t)retail);
    if (plan)
        json_object_set_new(sp, "routing_plan_id", json_integer(plan));
    svc5 = id_of(ok(admin, "service.create", sp));
    create_user(admin, "support1", "support");
    create_user(admin, "noc1", "noc");
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *flags_a[] = { "--call-max-seconds", "2", NULL };
    admin = start_with_root(&A, "didtron_test_gates", "gates-a", flags_a);
    const char *flags_b[] = { "--route-allow-ips", "10.0.0.0/8, 127.0.0.1", NULL };
    if (!server_start(&B, "gates-b", flags_b)) {
        server_stop(&A, 10000);
        harness_done();
        return 1;
    }

    Suite *s = suite_create("gates");
    TCase *tc = tcase_create("gates");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, network_setup, NULL);
    tcase_add_test(tc, test_a_pause_is_listed_until_resumed_and_cannot_be_doubled);
    tcase_add_test(tc, test_a_prefix_pause_stops_only_callees_under_it);
    tcase_add_test(tc, test_pause_params_are_checked_and_errors_name_the_field);
    tcase_add_test(tc, test_pause_and_resume_write_audit_rows_and_events);
    tcase_add_test(tc, test_a_pause_on_one_instance_is_seen_by_the_other_within_a_second);
    tcase_add_test(tc, test_a_restarted_instance_loads_the_active_pauses);
    tcase_add_test(tc, test_start_and_stop_count_concurrent_calls_per_interconnect_and_service);
    tcase_add_test(tc, test_cps_counts_attempts_of_the_last_second_only);
    tcase_add_test(tc, test_a_call_whose_stop_never_comes_is_dropped_after_call_max_seconds);
    tcase_add_test(tc, test_a_pause_on_one_instance_makes_the_others_lookup_reject_paused);
    tcase_add_test(tc, test_the_lookup_rejects_a_supplier_at_its_capacity_on_this_instance);
    tcase_add_test(tc, test_get_route_answers_the_lookup_as_is_or_as_rtjson);
    tcase_add_test(tc, test_http_call_start_and_stop_count_like_the_methods);
    tcase_add_test(tc, test_get_route_needs_a_token_or_an_allowed_address);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    wsc_close(admin_b);
    free(token);
    server_stop(&B, 10000);
    server_stop(&A, 10000);
    harness_done();
    curl_global_cleanup();
    return failed;
}
