/* The traffic simulator's pure parts (server/sim/simulate.c): the seeded
 * generator replays, the scenario parser names the bad field, and the
 * calls it makes follow the scenario (ASR, events, causes, callees). */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "sim/simulate.h"
#include "suite.h"

#define SEC 1000000LL
#define NOW (1795001400LL * SEC)

static const char good[] =
    "{\"calls_per_second\": 5,"
    " \"ingress\": [{\"interconnect\": 7, \"tech_prefix\": \"101#\"}],"
    " \"destinations\": [{\"name\": \"United Kingdom\", \"prefixes\": [\"4420\"], \"digits\": 12}],"
    " \"suppliers\": [{\"interconnect\": 11, \"asr\": 0.6, \"acd\": 120,"
    "                  \"failures\": [{\"cause\": 486, \"weight\": 1}, {\"cause\": 17, \"weight\": 1}]},"
    "                 {\"interconnect\": \"BAD\", \"asr\": 0.6, \"acd\": {\"distribution\": \"lognormal\", \"mean\": 60}}],"
    " \"events\": [{\"at_minute\": 1, \"until_minute\": 2, \"interconnect\": \"BAD\", \"asr\": 0}]}";

static void load(const char *text, sim_scenario *sc)
{
    json_t *doc = json_loads(text, 0, NULL);
    char err[256];
    ck_assert_ptr_nonnull(doc);
    ck_assert_msg(sim_scenario_parse(doc, sc, err, sizeof err) == 0, "%s", err);
    json_decref(doc);
    sc->ingress[0].id = 7;
    sc->sup[0].id = 11;
    sc->sup[1].id = 12;
}

static const char *parse_error(const char *text)
{
    static char err[256];
    json_t *doc = json_loads(text, 0, NULL);
    sim_scenario sc;
    ck_assert_ptr_nonnull(doc);
    err[0] = '\0';
    ck_assert_int_eq(sim_scenario_parse(doc, &sc, err, sizeof err), -1);
    json_decref(doc);
    return err;
}

START_TEST(test_the_same_seed_makes_the_same_calls)
{
    sim_scenario sc;
    load(good, &sc);
    sim_rng a, b, c;
    sim_rng_seed(&a, 42);
    sim_rng_seed(&b, 42);
    sim_rng_seed(&c, 43);
    int same_as_other_seed = 0;
    for (int i = 0; i < 50; i++) {
        json_t *x = sim_make_cdr(&sc, &a, 0, NOW, "x"), *y = sim_make_cdr(&sc, &b, 0, NOW, "x"),
               *z = sim_make_cdr(&sc, &c, 0, NOW, "x");
        ck_assert(json_equal(x, y));
        same_as_other_seed += json_equal(x, z);
        json_decref(x);
        json_decref(y);
        json_decref(z);
    }
    ck_assert_int_lt(same_as_other_seed, 5);
    sim_scenario_free(&sc);
}
END_TEST

START_TEST(test_calls_follow_the_asr_the_causes_and_the_event)
{
    sim_scenario sc;
    load(good, &sc);
    sim_rng r;
    sim_rng_seed(&r, 7);
    int attempts[2] = { 0 }, answered[2] = { 0 };
    for (int i = 0; i < 4000; i++) {
        json_t *cdr = sim_make_cdr(&sc, &r, 1.5, NOW, "x"); /* minute 1.5: BAD's event holds */
        int s = json_integer_value(json_object_get(cdr, "egress_interconnect_id")) == 11 ? 0 : 1;
        bool ans = json_is_string(json_object_get(cdr, "answer_time"));
        int cause = (int)json_integer_value(json_object_get(cdr, "release_cause"));
        attempts[s]++;
        answered[s] += ans;
        ck_assert_int_eq(cause == 16, ans);
        if (!ans && s == 0)
            ck_assert(cause == 486 || cause == 17);
        const char *callee = json_string_value(json_object_get(cdr, "callee"));
        ck_assert_int_eq((int)strlen(callee), 12);
        ck_assert(strncmp(callee, "4420", 4) == 0);
        ck_assert_str_eq(json_string_value(json_object_get(cdr, "tech_prefix")), "101#");
        ck_assert_int_eq(json_integer_value(json_object_get(cdr, "ingress_interconnect_id")), 7);
        ck_assert_str_eq(json_string_value(json_object_get(cdr, "end_time")), "2026-11-18T11:30:00.000Z");
        ck_assert(strcmp(json_string_value(json_object_get(cdr, "start_time")), "2026-11-18T11:30:00.000Z") < 0);
        json_decref(cdr);
    }
    double asr0 = (double)answered[0] / attempts[0];
    ck_assert_msg(asr0 > 0.55 && asr0 < 0.65, "asr %.3f", asr0);
    ck_assert_int_eq(answered[1], 0);                          /* the event: ASR 0 */
    ck_assert_int_gt(attempts[1], 1500);
    /* after until_minute the supplier is itself again */
    int after = 0, n = 0;
    for (int i = 0; i < 2000; i++) {
        json_t *cdr = sim_make_cdr(&sc, &r, 2.0, NOW, "x");
        if (json_integer_value(json_object_get(cdr, "egress_interconnect_id")) == 12) {
            n++;
            after += json_is_string(json_object_get(cdr, "answer_time"));
        }
        json_decref(cdr);
    }
    ck_assert_msg((double)after / n > 0.5, "asr after the event %.3f", (double)after / n);
    sim_scenario_free(&sc);
}
END_TEST

START_TEST(test_a_bad_scenario_names_its_field)
{
    ck_assert_str_eq(parse_error("[]"), "the scenario must be a JSON object");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"bogus\": 1}"), "bogus is not a scenario field");
    ck_assert_str_eq(parse_error("{\"ingress\": []}"), "calls_per_second is required");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": -1}]}"),
                     "ingress[0].interconnect must be an id (a positive integer) or a name");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"service\": \"Wholesale\"}]}"),
                     "ingress[0].service must be a service id (service names are not unique)");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": 1}],"
                                 " \"destinations\": [{\"prefixes\": [\"44\"], \"digits\": 40}]}"),
                     "destinations[0].digits must be a number from 4 to 15");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": 1}],"
                                 " \"destinations\": [{\"prefixes\": [\"44\"]}],"
                                 " \"suppliers\": [{\"interconnect\": 2, \"asr\": 0.5,"
                                 " \"acd\": {\"distribution\": \"normal\", \"mean\": 60}}]}"),
                     "suppliers[0].acd.distribution must be \"exponential\" or \"lognormal\"");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": 1}],"
                                 " \"destinations\": [{\"prefixes\": [\"44\"]}],"
                                 " \"suppliers\": [{\"interconnect\": 2, \"asr\": 0.5, \"acd\": 60,"
                                 " \"failures\": [{\"cause\": 200}]}]}"),
                     "suppliers[0].failures[0].cause must be a Q.850 cause (1..127, not 16) or a SIP failure code"
                     " (300..699)");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": 1}],"
                                 " \"destinations\": [{\"prefixes\": [\"44\"]}],"
                                 " \"suppliers\": [{\"interconnect\": 2, \"asr\": 0.5, \"acd\": 60}],"
                                 " \"events\": [{\"at_minute\": 1, \"interconnect\": 3}]}"),
                     "events[0].interconnect must name one of the suppliers, as written there");
    ck_assert_str_eq(parse_error("{\"calls_per_second\": 5, \"ingress\": [{\"interconnect\": 1}],"
                                 " \"destinations\": [{\"prefixes\": [\"44\"]}],"
                                 " \"suppliers\": [{\"interconnect\": 2, \"asr\": 0.5, \"acd\": 60}],"
                                 " \"events\": [{\"at_minute\": 3, \"until_minute\": 2, \"interconnect\": 2}]}"),
                     "events[0].until_minute must be after at_minute");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("simulate");
    TCase *tc = tcase_create("simulate");
    tcase_add_test(tc, test_the_same_seed_makes_the_same_calls);
    tcase_add_test(tc, test_calls_follow_the_asr_the_causes_and_the_event);
    tcase_add_test(tc, test_a_bad_scenario_names_its_field);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
