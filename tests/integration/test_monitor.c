/*
 * Integration: KPI windows fed by ingested CDRs (monitor.kpi), against a
 * real PostgreSQL and a real didtrond, and their rebuild from stored CDRs
 * after a restart.
 *
 * The network: customer A (ingress A-IN, one service on "Retail") and two
 * suppliers' egresses S-OUT and T-OUT, decks with United Kingdom (44) and
 * France (33). CDR times are relative to now (the windows slide by the
 * server's clock); every expected figure is worked out by hand below.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static long long retail_plan, supplier_plan, routing_plan;
static long long cust_a, supp_s, supp_t, ic_a, eg_s, eg_t, svc_a;

static const char retail_csv[] = "prefix,destination,rate\n44,United Kingdom,0.010\n33,France,0.020\n";
static const char supplier_csv[] = "prefix,destination,rate\n44,United Kingdom,0.008\n33,France,0.015\n";

static long long new_carrier(const char *name, const char *type)
{
    return id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                       "timezone", "UTC", "currencies", "USD")));
}

static long long new_plan(const char *name, const char *direction, const char *csv)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", name, "currency",
                                                                  "USD", "direction", direction, "rounding",
                                                                  "half_up")));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2026-01-01T00:00:00Z")));
    return id;
}

static long long new_egress(long long carrier, const char *name)
{
    return id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)carrier, "name", name,
                              "direction", "egress", "currency", "USD", "signalling_ips", "192.0.2.200",
                              "supplier_rating_plan_id", (json_int_t)supplier_plan)));
}

/* A CDR from A-IN to `egress` that ended `ago` seconds before now and
 * lasted `seconds` after its answer (< 0: not answered); pdd < 0: none. */
static json_t *cdr(const char *id, long long egress, const char *callee, int ago, int seconds, int cause, int pdd)
{
    char start[32], answer[32], end[32];
    time_t e = time(NULL) - ago, a = e - (seconds > 0 ? seconds : 0), s = a - 5;
    rfc3339(s, start, sizeof start);
    rfc3339(a, answer, sizeof answer);
    rfc3339(e, end, sizeof end);
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i}", "id", id, "ingress_interconnect_id",
                          (json_int_t)ic_a, "caller", "+12125550100", "callee", callee, "start_time", start,
                          "end_time", end, "egress_interconnect_id", (json_int_t)egress, "release_cause", cause);
    json_object_set_new(o, "answer_time", seconds >= 0 ? json_string(answer) : json_null());
    if (pdd >= 0)
        json_object_set_new(o, "pdd_ms", json_integer(pdd));
    return o;
}

static json_t *kpi(const char *scope, json_t *id, const char *window)
{
    json_t *p = json_pack("{s:s, s:s}", "scope", scope, "window", window);
    if (id)
        json_object_set_new(p, "id", id);
    json_t *r = ok(admin, "monitor.kpi", p);
    json_t *items = json_incref(json_object_get(r, "items"));
    json_decref(r);
    return items;
}

static double num(json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

/* The network and the CDRs, through the methods clients call (an
 * unchecked fixture: assertions work here). */
static void network_setup(void)
{
    routing_plan = atoll(harness_sql("INSERT INTO routing_plans (name, mode) VALUES ('LCR', 'lcr') RETURNING id"));
    retail_plan = new_plan("Retail", "customer", retail_csv);
    supplier_plan = new_plan("Supplier", "supplier", supplier_csv);
    cust_a = new_carrier("Customer A", "customer");
    supp_s = new_carrier("Supplier S", "supplier");
    supp_t = new_carrier("Supplier T", "supplier");
    ic_a = id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust_a, "name", "A-IN",
                              "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.10")));
    svc_a = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ic_a,
                                                        "name", "Voice", "rating_plan_id", (json_int_t)retail_plan,
                                                        "routing_plan_id", (json_int_t)routing_plan)));
    eg_s = new_egress(supp_s, "S-OUT");
    eg_t = new_egress(supp_t, "T-OUT");

    /* Ended within the last minute (all in 5m):
     *   S, UK: answered 60 s PDD 1000; answered 4 s (short) PDD 2000;
     *          busy 486 PDD 3000; 503 without PDD
     *   S, France: answered 100 s PDD 500
     *   T, France: 503
     * and 10 minutes ago (15m, not 5m): S, UK answered 30 s PDD 700. */
    json_t *batch = json_pack("[o,o,o,o,o,o,o]",
                              cdr("m1", eg_s, "442071234567", 20, 60, 16, 1000),
                              cdr("m2", eg_s, "442071234568", 20, 4, 16, 2000),
                              cdr("m3", eg_s, "442071234569", 20, -1, 486, 3000),
                              cdr("m4", eg_s, "442071234570", 20, -1, 503, -1),
                              cdr("m5", eg_s, "33144556677", 20, 100, 16, 500),
                              cdr("m6", eg_t, "33144556678", 20, -1, 503, -1),
                              cdr("m7", eg_s, "442071234571", 600, 30, 16, 700));
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:o}", "cdrs", batch));
    ck_assert_int_eq(jint(r, "accepted"), 7);
    json_decref(r);
}

static void teardown(void)
{
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
}

/* S over 5m: 5 attempts, 3 answered (60 + 4 + 100 s), NER 4 (3 answered
 * + busy), PDD 1000, 2000, 3000, 500 (avg 1625; p95 = 4th of 4 = 3000),
 * short 1 of 3. T: 1 attempt, 0 answered: worst first. */
static void check_interconnects(void)
{
    json_t *items = kpi("interconnect", NULL, "5m");
    ck_assert_int_eq(json_array_size(items), 2);
    json_t *t = json_array_get(items, 0), *s = json_array_get(items, 1);
    ck_assert_str_eq(jstr(t, "scope_id"), idstr(eg_t));
    ck_assert_int_eq(jint(t, "attempts"), 1);
    ck_assert_int_eq(jint(t, "answered"), 0);
    ck_assert(num(t, "asr") == 0 && num(t, "ner") == 0);
    ck_assert(json_is_null(json_object_get(t, "pdd_ms")));
    ck_assert_str_eq(jstr(s, "scope_id"), idstr(eg_s));
    ck_assert_int_eq(jint(s, "attempts"), 5);
    ck_assert_int_eq(jint(s, "answered"), 3);
    ck_assert_double_eq_tol(num(s, "asr"), 0.6, 1e-9);
    ck_assert_double_eq_tol(num(s, "acd"), 54.7, 1e-9);        /* 164 / 3 = 54.67 */
    ck_assert_double_eq_tol(num(s, "ner"), 0.8, 1e-9);
    ck_assert_int_eq(jint(s, "pdd_ms"), 1625);
    ck_assert_int_eq(jint(s, "pdd_p95_ms"), 3000);
    ck_assert_double_eq_tol(num(s, "short_ratio"), 0.3333, 1e-9);
    json_decref(items);

    /* 15m adds the call of 10 minutes ago: S 6 attempts, 4 answered */
    items = kpi("interconnect", json_integer(eg_s), "15m");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_int_eq(jint(json_array_get(items, 0), "attempts"), 6);
    ck_assert_int_eq(jint(json_array_get(items, 0), "answered"), 4);
    json_decref(items);
}

START_TEST(test_interconnect_figures_are_worked_out_by_hand_worst_asr_first)
{
    check_interconnects();
}
END_TEST

START_TEST(test_items_carry_ser_and_the_calls_in_progress)
{
    /* No redirected attempt among S's: SER = ASR. */
    json_t *items = kpi("interconnect", json_integer(eg_s), "5m");
    json_t *s = json_array_get(items, 0);
    ck_assert_double_eq_tol(num(s, "ser"), num(s, "asr"), 1e-9);
    ck_assert_int_eq(jint(s, "concurrent"), 0);
    json_decref(items);
    /* Two calls up through S (one on A's service), then one down. */
    json_decref(ok(admin, "call.start", json_pack("{s:s, s:I, s:I}", "call_id", "mon-c1", "interconnect_id",
                                                  (json_int_t)eg_s, "service_id", (json_int_t)svc_a)));
    json_decref(ok(admin, "call.start", json_pack("{s:s, s:I}", "call_id", "mon-c2", "interconnect_id",
                                                  (json_int_t)eg_s)));
    items = kpi("interconnect", json_integer(eg_s), "5m");
    ck_assert_int_eq(jint(json_array_get(items, 0), "concurrent"), 2);
    json_decref(items);
    items = kpi("service", json_integer(svc_a), "5m");
    ck_assert_int_eq(jint(json_array_get(items, 0), "concurrent"), 1);
    json_decref(items);
    /* Routes and destinations have no call counts. */
    items = kpi("destination", NULL, "5m");
    ck_assert_ptr_null(json_object_get(json_array_get(items, 0), "concurrent"));
    json_decref(items);
    json_decref(ok(admin, "call.stop", json_pack("{s:s}", "call_id", "mon-c1")));
    items = kpi("interconnect", json_integer(eg_s), "5m");
    ck_assert_int_eq(jint(json_array_get(items, 0), "concurrent"), 1);
    json_decref(items);
    json_decref(ok(admin, "call.stop", json_pack("{s:s}", "call_id", "mon-c2")));
}
END_TEST

START_TEST(test_routes_destinations_and_services_have_their_own_windows)
{
    /* routes of S: UK 2 of 4 (0.5) before France 1 of 1 */
    json_t *items = kpi("route", json_integer(eg_s), "5m");
    ck_assert_int_eq(json_array_size(items), 2);
    char uk[64], fr[64];
    snprintf(uk, sizeof uk, "%lld/United Kingdom", eg_s);
    snprintf(fr, sizeof fr, "%lld/France", eg_s);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope_id"), uk);
    ck_assert_int_eq(jint(json_array_get(items, 0), "attempts"), 4);
    ck_assert_str_eq(jstr(json_array_get(items, 1), "scope_id"), fr);
    ck_assert_double_eq_tol(num(json_array_get(items, 1), "asr"), 1.0, 1e-9);
    json_decref(items);

    /* destinations across suppliers: UK 2/4 and France 1/2, both 0.5: more attempts first */
    items = kpi("destination", NULL, "5m");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope_id"), "United Kingdom");
    ck_assert_str_eq(jstr(json_array_get(items, 1), "scope_id"), "France");
    ck_assert_int_eq(jint(json_array_get(items, 1), "attempts"), 2);
    json_decref(items);

    items = kpi("destination", json_string("France"), "5m");
    ck_assert_int_eq(json_array_size(items), 1);
    json_decref(items);

    /* the service saw all seven in 24h */
    items = kpi("service", NULL, "24h");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope_id"), idstr(svc_a));
    ck_assert_int_eq(jint(json_array_get(items, 0), "attempts"), 7);
    json_decref(items);
}
END_TEST

START_TEST(test_a_cdr_ingested_twice_counts_once)
{
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:[o]}", "cdrs", cdr("m1", eg_s, "442071234567", 20, 60, 16, 1000)));
    ck_assert_int_eq(jint(r, "accepted"), 0);
    ck_assert_int_eq(jint(r, "duplicates"), 1);
    json_decref(r);
    json_t *items = kpi("interconnect", json_integer(eg_s), "5m");
    ck_assert_int_eq(jint(json_array_get(items, 0), "attempts"), 5);
    json_decref(items);
}
END_TEST

START_TEST(test_bad_params_and_customers_are_refused)
{
    fails_on_field(admin, "monitor.kpi", json_pack("{s:s, s:s}", "scope", "interconnect", "window", "2h"), "window");
    fails_on_field(admin, "monitor.kpi", json_pack("{s:s}", "scope", "supplier"), "scope");
    fails_on_field(admin, "monitor.kpi", json_pack("{s:s, s:b}", "scope", "route", "id", 1), "id");
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "cust_user", "password",
                                                   "password123", "role", "customer", "carrier_id",
                                                   (json_int_t)cust_a)));
    wsc *cu = login(&S, "cust_user", "password123");
    ck_assert_int_eq(fails(cu, "monitor.kpi", json_pack("{s:s}", "scope", "interconnect")), -32003);
    wsc_close(cu);
}
END_TEST

START_TEST(test_the_windows_are_rebuilt_from_stored_cdrs_after_a_restart)
{
    wsc_close(admin);
    ck_assert_int_eq(server_stop(&S, 20000), 0);
    ck_assert(server_start(&S, "monitor", NULL));
    admin = login(&S, "root", "rootpass123");
    /* the rebuild runs on the ticker shortly after the start */
    for (int i = 0; i < 50; i++) {
        json_t *items = kpi("service", NULL, "24h");
        long long n = json_array_size(items) ? jint(json_array_get(items, 0), "attempts") : 0;
        json_decref(items);
        if (n == 7)
            break;
        usleep(100 * 1000);
    }
    check_interconnects();
}
END_TEST

/* The next monitor.kpi event on c (its params), skipping other events. */
static json_t *next_kpi_event(wsc *c, int timeout_ms)
{
    for (int i = 0; i < 50; i++) {
        json_t *ev = wsc_next_event(c, timeout_ms);
        if (!ev)
            return NULL;
        json_t *params = json_object_get(ev, "params");
        if (!strcmp(jstr(params, "topic"), "monitor.kpi")) {
            json_t *p = json_incref(json_object_get(params, "data"));
            json_decref(ev);
            return p;
        }
        json_decref(ev);
    }
    return NULL;
}

START_TEST(test_spark_gives_asr_per_10s_bucket_null_where_no_attempts)
{
    json_t *r = ok(admin, "monitor.kpi", json_pack("{s:s, s:I, s:b}", "scope", "interconnect", "id",
                                                   (json_int_t)eg_s, "spark", 1));
    json_t *it = json_array_get(json_object_get(r, "items"), 0);
    json_t *spark = json_object_get(it, "spark");
    ck_assert_int_eq(json_array_size(spark), 30);
    /* all five CDRs of S in 5m ended 20 s before the setup: one bucket with
     * ASR 3/5 (two if the clock crossed a 10 s boundary while the batch was
     * built); every other bucket null */
    int numbers = 0;
    double v = -1;
    for (size_t i = 0; i < 30; i++) {
        json_t *x = json_array_get(spark, i);
        if (json_is_number(x))
            numbers++, v = json_number_value(x);
        else
            ck_assert(json_is_null(x));
    }
    ck_assert(numbers == 1 || numbers == 2);
    if (numbers == 1)
        ck_assert_double_eq_tol(v, 0.6, 1e-9);
    json_decref(r);
    /* without spark the item has none */
    json_t *items = kpi("interconnect", json_integer(eg_s), "5m");
    ck_assert_ptr_null(json_object_get(json_array_get(items, 0), "spark"));
    json_decref(items);
}
END_TEST

START_TEST(test_kpi_events_come_every_second_full_then_changes_only)
{
    wsc *w = login(&S, "root", "rootpass123");
    json_decref(ok(w, "subscribe", json_pack("{s:[s], s:{s:s, s:b}}", "topics", "monitor.kpi", "kpi", "scope",
                                               "interconnect", "spark", 1)));
    /* first: full, both interconnects, worst (T) first, with spark */
    json_t *e = next_kpi_event(w, 5000);
    ck_assert_ptr_nonnull(e);
    ck_assert(json_is_true(json_object_get(e, "full")));
    ck_assert_str_eq(jstr(e, "scope"), "interconnect");
    ck_assert_str_eq(jstr(e, "window"), "5m");
    ck_assert(jstr(e, "at")[0]);
    json_t *items = json_object_get(e, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope_id"), idstr(eg_t));
    ck_assert_int_eq(json_array_size(json_object_get(json_array_get(items, 0), "spark")), 30);
    json_decref(e);

    /* the same without spark (its buckets slide every 10 s): full again,
     * then nothing while nothing changes */
    json_decref(ok(w, "subscribe", json_pack("{s:[s], s:{s:s}}", "topics", "monitor.kpi", "kpi", "scope",
                                               "interconnect")));
    e = next_kpi_event(w, 5000);
    ck_assert_ptr_nonnull(e);
    ck_assert(json_is_true(json_object_get(e, "full")));
    ck_assert_int_eq(json_array_size(json_object_get(e, "items")), 2);
    ck_assert_ptr_null(json_object_get(json_array_get(json_object_get(e, "items"), 0), "spark"));
    json_decref(e);
    ck_assert_ptr_null(next_kpi_event(w, 2500));

    /* a new failed call on T: the next message carries T only, not full */
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:[o]}", "cdrs", cdr("k1", eg_t, "33144556690", 1, -1, 503, -1)));
    ck_assert_int_eq(jint(r, "accepted"), 1);
    json_decref(r);
    e = next_kpi_event(w, 5000);
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(json_object_get(e, "full"));
    items = json_object_get(e, "items");
    ck_assert_int_eq(json_array_size(items), 1);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "scope_id"), idstr(eg_t));
    ck_assert_int_eq(jint(json_array_get(items, 0), "attempts"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(e, "removed")), 0);
    json_decref(e);

    /* change the filter to S's routes: a full message with those only, and
     * the interconnects gone from the connection's state */
    json_decref(ok(w, "subscribe", json_pack("{s:[s], s:{s:s, s:[I]}}", "topics", "monitor.kpi", "kpi", "scope",
                                               "route", "ids", (json_int_t)eg_s)));
    e = next_kpi_event(w, 5000);
    ck_assert_ptr_nonnull(e);
    ck_assert(json_is_true(json_object_get(e, "full")));
    ck_assert_str_eq(jstr(e, "scope"), "route");
    items = json_object_get(e, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    char uk[64];
    snprintf(uk, sizeof uk, "%lld/United Kingdom", eg_s);
    ck_assert_ptr_nonnull(kpi_item(items, uk));
    ck_assert_ptr_null(json_object_get(json_array_get(items, 0), "spark"));
    json_decref(e);

    /* bad filters name the field; unsubscribing stops the messages */
    fails_on_field(w, "subscribe", json_pack("{s:[s], s:{s:s}}", "topics", "monitor.kpi", "kpi", "scope", "trunk"),
                   "kpi.scope");
    fails_on_field(w, "subscribe", json_pack("{s:[s], s:{s:[b]}}", "topics", "monitor.kpi", "kpi", "ids", 1),
                   "kpi.ids[0]");
    fails_on_field(w, "subscribe", json_pack("{s:[s], s:{s:i}}", "topics", "monitor.kpi", "kpi", "limit", 100000),
                   "kpi.limit");
    json_decref(ok(w, "unsubscribe", json_pack("{s:[s]}", "topics", "monitor.kpi")));
    json_t *more = next_kpi_event(w, 2500);
    ck_assert_ptr_null(more);
    wsc_close(w);

    /* customers may not subscribe */
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "cust_kpi", "password",
                                                   "password123", "role", "customer", "carrier_id",
                                                   (json_int_t)cust_a)));
    wsc *cu = login(&S, "cust_kpi", "password123");
    fails_on_field(cu, "subscribe", json_pack("{s:[s]}", "topics", "monitor.kpi"), "topics[0]");
    wsc_close(cu);
}
END_TEST

/* Asserts the metrics text holds the line
 * didtron_kpi_<name>{interconnect="<ic>",window="<window>"} <value>. */
static void has_metric(const char *body, const char *name, long long ic, const char *window, const char *value)
{
    char want[256];
    snprintf(want, sizeof want, "didtron_kpi_%s{interconnect=\"%lld\",window=\"%s\"} %s\n", name, ic, window, value);
    ck_assert_msg(strstr(body, want), "no %s in\n%s", want, body);
}

START_TEST(test_metrics_has_kpi_gauges_per_interconnect)
{
    char *body = NULL;
    ck_assert_int_eq(http_get(S.port, "/metrics", &body), 200);
    char want[160];
    /* S over 5m: ASR 0.6, ACD 164/3, NER 0.8, PDD 1625 */
    has_metric(body, "asr", eg_s, "5m", "0.6000");
    has_metric(body, "acd_seconds", eg_s, "5m", "54.7");
    has_metric(body, "ner", eg_s, "5m", "0.8000");
    has_metric(body, "pdd_ms", eg_s, "5m", "1625");
    has_metric(body, "attempts", eg_s, "5m", "5");
    /* 1h adds the call of 10 minutes ago: 6 attempts */
    has_metric(body, "attempts", eg_s, "1h", "6");
    /* T has no PDD: no pdd sample */
    snprintf(want, sizeof want, "didtron_kpi_pdd_ms{interconnect=\"%lld\"", eg_t);
    ck_assert_ptr_null(strstr(body, want));
    ck_assert_ptr_nonnull(strstr(body, "# TYPE didtron_kpi_asr gauge\n"));
    free(body);
}
END_TEST

int main(void)
{
    admin = start_with_root(&S, "didtron_monitor", "monitor", NULL);
    Suite *s = suite_create("monitor");
    TCase *tc = tcase_create("monitor");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, network_setup, NULL);
    tcase_add_test(tc, test_interconnect_figures_are_worked_out_by_hand_worst_asr_first);
    tcase_add_test(tc, test_items_carry_ser_and_the_calls_in_progress);
    tcase_add_test(tc, test_routes_destinations_and_services_have_their_own_windows);
    tcase_add_test(tc, test_a_cdr_ingested_twice_counts_once);
    tcase_add_test(tc, test_spark_gives_asr_per_10s_bucket_null_where_no_attempts);
    tcase_add_test(tc, test_metrics_has_kpi_gauges_per_interconnect);
    tcase_add_test(tc, test_bad_params_and_customers_are_refused);
    tcase_add_test(tc, test_the_windows_are_rebuilt_from_stored_cdrs_after_a_restart);
    tcase_add_test(tc, test_kpi_events_come_every_second_full_then_changes_only);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    teardown();
    return failed;
}
