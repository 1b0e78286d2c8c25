/*
 * Integration: `didtrond simulate` (docs/monitoring.md "Traffic
 * simulator") against a real didtrond: its CDRs are stored, rated and
 * counted in the KPI windows, a supplier the scenario degrades shows the
 * lower ASR in monitor.kpi, and a malformed scenario is refused naming
 * the field.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static char *token;

static long long plan(const char *name, const char *direction, const char *rate)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", name, "currency", "USD",
                                                                  "direction", direction)));
    char csv[128];
    snprintf(csv, sizeof csv, "prefix,destination,rate\n44,United Kingdom,%s\n49,Germany,%s\n", rate, rate);
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2020-01-01T00:00:00Z")));
    return id;
}

static long long good, bad;

static void setup_network(void)
{
    long long cust = id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Sim Customer",
                                                                "type", "customer", "timezone", "UTC", "currencies",
                                                                "USD")));
    long long supp = id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Sim Supplier",
                                                                "type", "supplier", "timezone", "UTC", "currencies",
                                                                "USD")));
    long long retail = plan("Sim Retail", "customer", "0.02");
    long long buy = plan("Sim Buy", "supplier", "0.01");
    long long in = id_of(ok(admin, "interconnect.create",
                            json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust, "name", "SIM-IN",
                                      "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.10")));
    long long lcr = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "Sim LCR", "mode", "lcr")));
    json_decref(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)in, "name",
                                                      "Sim service", "rating_plan_id", (json_int_t)retail,
                                                      "routing_plan_id", (json_int_t)lcr)));
    good = id_of(ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supp, "name", "SIM-GOOD",
                              "direction", "egress", "currency", "USD", "signalling_ips", "192.0.2.20",
                              "supplier_rating_plan_id", (json_int_t)buy)));
    bad = id_of(ok(admin, "interconnect.create",
                   json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supp, "name", "SIM-BAD",
                             "direction", "egress", "currency", "USD", "signalling_ips", "192.0.2.30",
                             "supplier_rating_plan_id", (json_int_t)buy)));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* Run `didtrond simulate` on scenario text; returns its exit status and
 * leaves its output in *out (malloc'd). */
static int simulate(const char *scenario, const char *seconds, char **out)
{
    char path[96], url[64], log[96];
    snprintf(path, sizeof path, "/tmp/didtron-sim-%d.json", (int)getpid());
    snprintf(url, sizeof url, "http://127.0.0.1:%d", S.port);
    snprintf(log, sizeof log, "didtrond-cli-%d.log", (int)getpid());
    write_file(path, scenario);
    unlink(log);
    if (!token)
        token = login_token(&S, "root", "rootpass123");
    const char *args[] = { "simulate", "--scenario", path, "--url", url, "--token", token, "--duration", seconds,
                           "--seed", "42", NULL };
    int rc = didtrond_run(args, NULL);
    unlink(path);
    FILE *f = fopen(log, "r");
    *out = calloc(1, 65536);
    if (f) {
        size_t n = fread(*out, 1, 65535, f);
        (*out)[n] = '\0';
        fclose(f);
    }
    return rc;
}

START_TEST(test_a_supplier_degraded_from_minute_0_shows_the_lower_asr)
{
    setup_network();
    static const char scenario[] =
        "{\"calls_per_second\": 40,"
        " \"ingress\": [{\"interconnect\": \"SIM-IN\"}],"
        " \"destinations\": [{\"name\": \"United Kingdom\", \"prefixes\": [\"447\", \"4420\"], \"weight\": 3},"
        "                    {\"name\": \"Germany\", \"prefixes\": [\"49\"], \"digits\": 13}],"
        " \"suppliers\": ["
        "   {\"interconnect\": \"SIM-GOOD\", \"asr\": 0.6, \"acd\": {\"distribution\": \"lognormal\", \"mean\": 120,"
        "    \"sigma\": 0.8}, \"pdd_ms\": {\"mean\": 2500, \"spread\": 600}},"
        "   {\"interconnect\": \"SIM-BAD\", \"asr\": 0.6, \"acd\": 90,"
        "    \"failures\": [{\"cause\": 503, \"weight\": 3}, {\"cause\": 34, \"weight\": 1}]}],"
        " \"events\": [{\"at_minute\": 0, \"interconnect\": \"SIM-BAD\", \"asr\": 0.05, \"pdd_ms\": 7000}]}";
    char *out = NULL;
    int rc = simulate(scenario, "4", &out);
    ck_assert_msg(rc == 0, "simulate exited %d: %s", rc, out);
    ck_assert_msg(strstr(out, " 0 rejected"), "output: %s", out);
    free(out);

    json_t *r = ok(admin, "monitor.kpi", json_pack("{s:s}", "scope", "interconnect"));
    json_t *items = json_object_get(r, "items");
    json_t *g = kpi_item(items, idstr(good)), *b = kpi_item(items, idstr(bad));
    ck_assert_ptr_nonnull(g);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_gt(jint(g, "attempts"), 20);
    ck_assert_int_gt(jint(b, "attempts"), 20);
    double ag = json_real_value(json_object_get(g, "asr")), ab = json_real_value(json_object_get(b, "asr"));
    ck_assert_msg(ab < ag, "degraded ASR %.4f is not below the good one %.4f", ab, ag);
    ck_assert_msg(ag > 0.4 && ab < 0.2, "ASRs %.4f / %.4f far from 0.6 / 0.05", ag, ab);
    ck_assert_int_gt(jint(g, "pdd_ms"), 1000);
    ck_assert_int_gt(jint(b, "pdd_ms"), jint(g, "pdd_ms"));
    json_decref(r);

    /* the CDRs were rated: stored with a customer cost */
    const char *rated = harness_sql("SELECT count(*) FROM cdrs WHERE id LIKE 'sim-%' AND customer_cost IS NOT NULL");
    ck_assert_msg(atoll(rated) > 40, "rated CDRs: %s", rated);
}
END_TEST

/* The simulator refuses scenario (run for 1 s), its output naming why. */
static void refused(const char *scenario, const char *why)
{
    char *out = NULL;
    ck_assert_int_ne(simulate(scenario, "1", &out), 0);
    ck_assert_msg(strstr(out, why), "output: %s", out);
    free(out);
}

START_TEST(test_a_malformed_scenario_is_refused_naming_the_field)
{
    refused("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": \"SIM-IN\"}],"
            " \"destinations\": [{\"prefixes\": [\"44\"]}],"
            " \"suppliers\": [{\"interconnect\": \"SIM-GOOD\", \"asr\": 1.5, \"acd\": 60}]}",
            "suppliers[0].asr must be a number from 0 to 1");
    refused("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": \"SIM-IN\"}],"
            " \"destinations\": [{\"prefixes\": [\"44x\"]}], \"suppliers\": []}",
            "destinations[0].prefixes[0] must be 1 to 15 digits");
    refused("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": \"NO-SUCH-IN\"}],"
            " \"destinations\": [{\"prefixes\": [\"44\"]}],"
            " \"suppliers\": [{\"interconnect\": \"SIM-GOOD\", \"asr\": 0.5, \"acd\": 60}]}",
            "ingress[0].interconnect: no ingress interconnect is named \"NO-SUCH-IN\"");
}
END_TEST

int main(void)
{
    admin = start_with_root(&S, "didtron_test_simulate", "simulate", NULL);
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("simulate");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_a_supplier_degraded_from_minute_0_shows_the_lower_asr);
    tcase_add_test(tc, test_a_malformed_scenario_is_refused_naming_the_field);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    free(token);
    wsc_close(admin);
    server_stop(&S, 10000);
    harness_done();
    return failed;
}
