/*
 * Integration: SIP OPTIONS probes (docs/monitoring.md) against a real
 * Kamailio on loopback (tests/integration/kamailio/options.cfg on
 * 127.0.0.3:5060) and a silent UDP socket of this test (127.0.0.4:5060,
 * bound, never answering; 127.0.0.5:5060 likewise).
 *
 * The server runs with short probe intervals (probe_interval_cap_ms 200,
 * probe_timeout_ms 300, probe_reload_ms 500) so nothing waits long.
 * Skipped (77) when kamailio is not installed or the addresses are taken.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "kamailio/kamailio_run.h"
#include "suite.h"

#ifndef KAMAILIO_OPTIONS_CFG
#define KAMAILIO_OPTIONS_CFG "tests/integration/kamailio/options.cfg"
#endif

#define KAM_ADDR "127.0.0.3"
#define SILENT_ADDR "127.0.0.4"
#define SILENT2_ADDR "127.0.0.5"

static test_server S;
static wsc *admin;
static kamailio_run kam = { .pid = -1 };
static int silent_fd = -1, silent2_fd = -1;
static long long up_ic, down_ic, manual_ic, svc;

static int bind_udp(const char *addr)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5060) };
    inet_pton(AF_INET, addr, &sa.sin_addr);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static bool start_kamailio(void)
{
    const char *keys[] = { "@SIP_ADDR@", "@SIP_PORT@" }, *vals[] = { KAM_ADDR, "5060" };
    return kamailio_start(&kam, "kamailio-options", KAMAILIO_OPTIONS_CFG, "sl.so", keys, vals, 2);
}

static void stop_kamailio(void)
{
    kamailio_stop(&kam);
}

static long long egress(long long carrier, const char *name, const char *ip, long long plan, bool auto_disable)
{
    return id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I, s:{s:b, s:i, s:b, s:i, s:b, s:i}}", "carrier_id",
                              (json_int_t)carrier, "name", name, "direction", "egress", "currency", "USD",
                              "signalling_ips", ip, "supplier_rating_plan_id", (json_int_t)plan, "monitoring",
                              "options_ping", 1, "options_interval", 5, "auto_disable", auto_disable,
                              "disable_after_failures", 3, "auto_reenable", 1, "reenable_after_successes", 2)));
}

static void setup_network(void)
{
    long long cust = carrier_usd(admin, "Customer P", "customer");
    long long supp = carrier_usd(admin, "Supplier P", "supplier");
    carrier_postpaid(admin, cust, "100");
    long long retail = rating_plan_with(admin, "Retail P", "customer", UK_DECK("0.02"));
    long long buy = rating_plan_with(admin, "Supplier P plan", "supplier", UK_DECK("0.01"));
    up_ic = egress(supp, "P-UP", KAM_ADDR, buy, true);
    down_ic = egress(supp, "P-DOWN", SILENT_ADDR, buy, true);
    manual_ic = egress(supp, "P-MANUAL", SILENT2_ADDR, buy, true);
    /* a person pauses it before its probes have had time to fail */
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)manual_ic, "reason",
                                                   "carrier maintenance")));
    long long ingress = id_of(ok(admin, "interconnect.create",
                                 json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust, "name", "P-IN",
                                           "direction", "ingress", "currency", "USD", "signalling_ips", "10.9.9.9")));
    long long plan = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "P LCR", "mode", "lcr")));
    json_decref(ok(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[{s:I}, {s:I}]}", "routing_plan_id", (json_int_t)plan, "prefix", "44",
                             "routes", "interconnect_id", (json_int_t)up_ic, "interconnect_id", (json_int_t)down_ic)));
    svc = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ingress,
                                                     "name", "P service", "rating_plan_id", (json_int_t)retail,
                                                     "routing_plan_id", (json_int_t)plan)));
}

/* The monitor.probes item of one interconnect (new reference); state
 * "none" until the probes have loaded it. */
static json_t *probe_of(long long ic)
{
    json_t *r = ok(admin, "monitor.probes", json_pack("{s:I}", "interconnect_id", (json_int_t)ic));
    json_t *items = json_object_get(r, "items");
    ck_assert_int_le((int)json_array_size(items), 1);
    json_t *it = json_array_size(items) ? json_incref(json_array_get(items, 0)) : json_pack("{s:s}", "state", "none");
    json_decref(r);
    return it;
}

/* Wait up to ms for ic's probe state; returns the last item seen. */
static json_t *wait_state(long long ic, const char *state, int ms)
{
    int64_t t0 = mono_ms();
    json_t *it = probe_of(ic);
    while (strcmp(jstr(it, "state"), state) && mono_ms() - t0 < ms) {
        json_decref(it);
        usleep(50000);
        it = probe_of(ic);
    }
    ck_assert_msg(!strcmp(jstr(it, "state"), state), "interconnect %lld is %s (%s), not %s", ic, jstr(it, "state"),
                  jstr(it, "last_reason"), state);
    return it;
}

static bool paused(long long ic)
{
    json_t *r = ok(admin, "route.pause.check", json_pack("{s:I}", "interconnect_id", (json_int_t)ic));
    bool p = json_is_true(json_object_get(r, "paused"));
    json_decref(r);
    return p;
}

static int open_probe_alerts(long long ic)
{
    json_t *r = ok(admin, "alert.list", json_pack("{s:s, s:s, s:I}", "source", "probe", "state", "open",
                                                  "interconnect_id", (json_int_t)ic));
    int n = (int)json_array_size(json_object_get(r, "items"));
    json_decref(r);
    return n;
}

/* Move ic's signalling address (interconnect.update with its version). */
static void point_at(long long ic, const char *ip)
{
    json_t *g = ok(admin, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)ic));
    long long version = jint(g, "version");
    json_decref(g);
    json_decref(ok(admin, "interconnect.update", json_pack("{s:I, s:I, s:[s]}", "id", (json_int_t)ic, "version",
                                                           (json_int_t)version, "signalling_ips", ip)));
}

START_TEST(test_a_box_that_answers_options_is_up_with_its_rtt)
{
    setup_network();
    json_t *it = wait_state(up_ic, "up", 10000);
    ck_assert_str_eq(jstr(it, "target"), KAM_ADDR ":5060");
    ck_assert_str_eq(jstr(it, "interconnect_name"), "P-UP");
    ck_assert_int_eq(jint(it, "last_status"), 200);
    ck_assert_str_eq(jstr(it, "last_reason"), "Keepalive");
    ck_assert(json_is_integer(json_object_get(it, "rtt_ms")));
    ck_assert_int_ge(jint(it, "rtt_ms"), 0);
    ck_assert_int_lt(jint(it, "rtt_ms"), 300);
    ck_assert_int_eq(jint(it, "failures"), 0);
    ck_assert(json_is_string(json_object_get(it, "last_probe_at")));
    json_decref(it);
    ck_assert(!paused(up_ic));
    ck_assert_int_eq(open_probe_alerts(up_ic), 0);
}
END_TEST

START_TEST(test_a_silent_box_goes_down_fires_an_alert_and_is_paused_then_recovers)
{
    wsc *watcher = login(&S, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s,s,s]}", "topics", "probe.changed", "alert.fired",
                                                   "alert.resolved")));
    json_t *it = wait_state(down_ic, "down", 10000);
    ck_assert_int_ge(jint(it, "failures"), 3);
    ck_assert_str_eq(jstr(it, "last_reason"), "no answer");
    ck_assert(json_is_null(json_object_get(it, "last_status")));
    json_decref(it);

    /* the alert, the event, the pause: written by the ticker right after */
    json_t *fired = next_event(watcher, "alert.fired", 5000);
    ck_assert_ptr_nonnull(fired);
    ck_assert_str_eq(jstr(fired, "source"), "probe");
    ck_assert_str_eq(jstr(fired, "metric"), "options");
    ck_assert_int_eq(jint(fired, "interconnect_id"), down_ic);
    ck_assert_str_eq(jstr(fired, "severity"), "critical");
    ck_assert_msg(strstr(jstr(fired, "message"), "OPTIONS to " SILENT_ADDR ":5060: no answer 3 times in a row"),
                  "message: %s", jstr(fired, "message"));
    json_decref(fired);
    int64_t t0 = mono_ms();
    while ((!paused(down_ic) || open_probe_alerts(down_ic) != 1) && mono_ms() - t0 < 5000)
        usleep(50000);
    ck_assert(paused(down_ic));
    ck_assert_int_eq(open_probe_alerts(down_ic), 1);

    /* route.lookup skips it as paused and still routes the live one */
    json_t *r = call(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller",
                                                      "15551234567", "callee", "442071234567"));
    ck_assert_int_eq(wsc_error_code(r), 0);
    json_t *res = wsc_result(r);
    bool rejected_paused = false, routed_up = false, routed_down = false;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(res, "rejected"), i, x)
        rejected_paused |= jint(x, "interconnect_id") == down_ic && !strcmp(jstr(x, "reason"), "paused");
    json_array_foreach(json_object_get(res, "routes"), i, x) {
        routed_up |= jint(x, "interconnect_id") == up_ic;
        routed_down |= jint(x, "interconnect_id") == down_ic;
    }
    json_decref(r);
    ck_assert(rejected_paused);
    ck_assert(routed_up);
    ck_assert(!routed_down);

    /* the box answers again (its address now points at Kamailio) */
    point_at(down_ic, KAM_ADDR);
    it = wait_state(down_ic, "up", 10000);
    ck_assert_int_ge(jint(it, "successes"), 2);
    json_decref(it);
    json_t *resolved = next_event(watcher, "alert.resolved", 5000);
    ck_assert_ptr_nonnull(resolved);
    json_decref(resolved);
    t0 = mono_ms();
    while (paused(down_ic) && mono_ms() - t0 < 5000)
        usleep(50000);
    ck_assert(!paused(down_ic));
    ck_assert_int_eq(open_probe_alerts(down_ic), 0);

    wsc_close(watcher);
}
END_TEST

START_TEST(test_recovery_does_not_lift_a_pause_a_person_made)
{
    json_t *it = wait_state(manual_ic, "down", 10000);
    json_decref(it);
    int64_t t0 = mono_ms();
    while (open_probe_alerts(manual_ic) != 1 && mono_ms() - t0 < 5000)
        usleep(50000);
    ck_assert_int_eq(open_probe_alerts(manual_ic), 1);
    point_at(manual_ic, KAM_ADDR);
    json_decref(wait_state(manual_ic, "up", 10000));
    t0 = mono_ms();
    while (open_probe_alerts(manual_ic) != 0 && mono_ms() - t0 < 5000)
        usleep(50000);
    ck_assert_int_eq(open_probe_alerts(manual_ic), 0);
    usleep(500000);              /* a ticker run or two after the resolve */
    ck_assert(paused(manual_ic)); /* the person's pause stays */
}
END_TEST

START_TEST(test_probe_changed_events_and_the_params_of_monitor_probes)
{
    fails_on_field(admin, "monitor.probes", json_pack("{s:s}", "interconnect_id", "x"), "interconnect_id");
    fails_on_field(admin, "monitor.probes", json_pack("{s:i}", "bogus", 1), "bogus");
    json_t *r = ok(admin, "monitor.probes", json_object());
    ck_assert_int_ge((int)json_array_size(json_object_get(r, "items")), 3);
    json_decref(r);
    /* a new interconnect is probed after interconnect.changed, with an event */
    wsc *watcher = login(&S, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "probe.changed")));
    json_t *g = ok(admin, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)up_ic));
    long long carrier = jint(g, "carrier_id");
    json_decref(g);
    long long fresh = id_of(ok(admin, "interconnect.create",
                               json_pack("{s:I, s:s, s:s, s:s, s:[s], s:{s:b, s:i}}", "carrier_id", (json_int_t)carrier,
                                         "name", "P-FRESH", "direction", "egress", "currency", "USD",
                                         "signalling_ips", KAM_ADDR, "monitoring", "options_ping", 1,
                                         "options_interval", 60)));
    json_t *d = NULL;
    int64_t t0 = mono_ms();
    while (mono_ms() - t0 < 10000) {
        d = next_event(watcher, "probe.changed", 10000);
        if (!d || jint(d, "interconnect_id") == fresh)
            break;
        json_decref(d);
        d = NULL;
    }
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(jstr(d, "state"), "up");
    ck_assert_str_eq(jstr(d, "previous"), "unknown");
    ck_assert_str_eq(jstr(d, "target"), KAM_ADDR ":5060");
    json_decref(d);
    wsc_close(watcher);
}
END_TEST

int main(void)
{
    if (!kamailio_bin() || !kamailio_mpath("sl.so")) {
        fprintf(stderr, "kamailio is not installed: skipped\n");
        return 77;
    }
    silent_fd = bind_udp(SILENT_ADDR);
    silent2_fd = bind_udp(SILENT2_ADDR);
    int probe_fd = bind_udp(KAM_ADDR);
    if (silent_fd < 0 || silent2_fd < 0 || probe_fd < 0) {
        fprintf(stderr, "127.0.0.3-5:5060 are not free (%s): skipped\n", strerror(errno));
        return 77;
    }
    close(probe_fd);
    const char *flags[] = { "--probe-interval-cap-ms", "200", "--probe-timeout-ms", "300", "--probe-reload-ms",
                            "500", NULL };
    admin = start_with_root(&S, "didtron_test_probes", "probes", flags);
    atexit(stop_kamailio); /* also when an assertion ends the program */
    if (!start_kamailio()) {
        fprintf(stderr, "cannot start kamailio\n");
        return 1;
    }
    usleep(1000 * 1000);
    Suite *s = suite_create("probes");
    TCase *tc = tcase_create("probes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_a_box_that_answers_options_is_up_with_its_rtt);
    tcase_add_test(tc, test_a_silent_box_goes_down_fires_an_alert_and_is_paused_then_recovers);
    tcase_add_test(tc, test_recovery_does_not_lift_a_pause_a_person_made);
    tcase_add_test(tc, test_probe_changed_events_and_the_params_of_monitor_probes);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    kamailio_done(&kam, failed); /* the log kept for reading when a test failed */
    wsc_close(admin);
    server_stop(&S, 10000);
    harness_done();
    close(silent_fd);
    close(silent2_fd);
    return failed;
}
