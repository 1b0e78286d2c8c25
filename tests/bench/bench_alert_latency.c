/*
 * bench_alert_latency: the time from posting the CDR batch that crosses a
 * rule's threshold to alert.fired arriving on a subscribed WebSocket
 * (issue 8). Starts its own didtrond on a fresh database through the
 * integration harness (DIDTRON_BIN, DIDTRON_TEST_PG*), then repeats N
 * times (default 50) with a new egress and a new rule each time:
 *
 *   rule: interconnect <new egress>, asr < 0.5, min_attempts 5, 5m
 *   t0 -> cdr.ingest of 10 failed calls to that egress (one batch)
 *   t1 <- alert.fired of that rule on a noc user's connection
 *
 * and prints p50 / p90 / p99 / max of t1 - t0 (which includes the ingest
 * call itself). Arguments: [repetitions] [monitor_eval_ms].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static long long supplier, ingress, buy_plan;
static int seq;

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static json_t *failed_batch(long long egress, int n)
{
    json_t *batch = json_array();
    time_t e = time(NULL) - 1;
    char start[32], end[32];
    rfc3339(e - 10, start, sizeof start);
    rfc3339(e, end, sizeof end);
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "b%d", ++seq);
        json_array_append_new(batch, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:n}", "id", id,
                                               "ingress_interconnect_id", (json_int_t)ingress, "caller",
                                               "+12125550100", "callee", "442071234567", "start_time", start,
                                               "end_time", end, "egress_interconnect_id", (json_int_t)egress,
                                               "release_cause", 503, "answer_time"));
    }
    return batch;
}

static int cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int reps = 50, result = 1;
static const char *eval = "1000";

/* Inside a check test (nofork): the harness's helpers assert with check. */
START_TEST(bench)
{
    supplier = carrier_usd(admin, "Supplier B", "supplier");
    long long customer = carrier_usd(admin, "Customer B", "customer");
    long long retail = rating_plan_with(admin, "Retail B", "customer", UK_DECK("0.02"));
    buy_plan = rating_plan_with(admin, "Supplier B plan", "supplier", UK_DECK("0.01"));
    ingress = id_of(ok(admin, "interconnect.create",
                       json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)customer, "name", "B-IN",
                                 "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.70")));
    long long routing = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "B LCR", "mode", "lcr")));
    json_decref(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ingress,
                                                      "name", "B service", "rating_plan_id", (json_int_t)retail,
                                                      "routing_plan_id", (json_int_t)routing)));
    create_user(admin, "noc1", "noc");
    wsc *w = login(&S, "noc1", "password123");
    json_decref(ok(w, "subscribe", json_pack("{s:[s]}", "topics", "alert.fired")));

    int64_t *lat = calloc((size_t)reps, sizeof *lat);
    int got = 0;
    for (int i = 0; i < reps; i++) {
        char name[32], sid[24];
        snprintf(name, sizeof name, "B-OUT-%d", i);
        long long eg = id_of(ok(admin, "interconnect.create",
                                json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supplier, "name",
                                          name, "direction", "egress", "currency", "USD", "signalling_ips",
                                          "127.0.0.2", "supplier_rating_plan_id", (json_int_t)buy_plan)));
        snprintf(sid, sizeof sid, "%lld", eg);
        snprintf(name, sizeof name, "latency %d", i);
        long long rule = id_of(ok(admin, "monitor.rule.create",
                                  json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:i}", "name", name, "scope", "interconnect",
                                            "scope_id", sid, "metric", "asr", "op", "<", "threshold", 0.5,
                                            "min_attempts", 5)));
        usleep(300000); /* the evaluator reloads its rules on monitor_rule.changed */
        int64_t t0 = mono_us();
        json_decref(ok(admin, "cdr.ingest", json_pack("{s:o}", "cdrs", failed_batch(eg, 10))));
        for (;;) {
            json_t *ev = wsc_next_event(w, 5000);
            if (!ev) {
                fprintf(stderr, "repetition %d: no alert.fired within 5 s\n", i);
                break;
            }
            json_t *d = json_object_get(json_object_get(ev, "params"), "data");
            bool mine = jint(d, "rule_id") == rule;
            json_decref(ev);
            if (mine) {
                lat[got++] = mono_us() - t0;
                break;
            }
        }
    }
    qsort(lat, (size_t)got, sizeof *lat, cmp);
    if (got) {
#define PCT(p) (lat[(size_t)((double)(got - 1) * (p) + 0.5)] / 1000.0)
        printf("alert latency (cdr.ingest -> alert.fired), monitor_eval_ms %s, %d of %d fired:"
               " p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms\n",
               eval, got, reps, PCT(0.50), PCT(0.90), PCT(0.99), lat[got - 1] / 1000.0);
    }
    free(lat);
    wsc_close(w);
    result = got == reps ? 0 : 1;
}
END_TEST

int main(int argc, char **argv)
{
    reps = argc > 1 ? atoi(argv[1]) : 50;
    eval = argc > 2 ? argv[2] : "1000";
    if (reps < 1 || reps > 10000) {
        fprintf(stderr, "usage: bench_alert_latency [repetitions] [monitor_eval_ms]\n");
        return 2;
    }
    const char *flags[] = { "--monitor-eval-ms", eval, NULL };
    admin = start_with_root(&S, "didtron_bench_alerts", "bench-alerts", flags);
    Suite *s = suite_create("bench_alert_latency");
    TCase *tc = tcase_create("bench");
    tcase_set_timeout(tc, 1800);
    tcase_add_test(tc, bench);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
    return failed || result;
}
