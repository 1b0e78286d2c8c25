/* The pure routing core: the route table's longest-prefix match and the
 * ordering of candidates by mode (server/routing/route_table.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "routing/route_table.h"
#include "suite.h"

static route_table *table_of(const char *const *prefixes, size_t n)
{
    route_builder *b = route_builder_new(0);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++) {
        route_target t[2] = { { (long long)(i + 1) * 10, 0, 1 }, { (long long)(i + 1) * 10 + 1, 5, 2 } };
        ck_assert(route_builder_add(b, prefixes[i], t, i % 2 ? 2 : 1));
    }
    route_table *t = route_builder_finish(b);
    ck_assert_ptr_nonnull(t);
    return t;
}

START_TEST(test_the_longest_entry_prefix_gives_its_routes)
{
    const char *const p[] = { "44", "4420", "447", "1" };
    route_table *t = table_of(p, 4);
    size_t n;
    int len;
    const route_target *r = route_table_lookup(t, "442071234567", &n, &len);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(len, 4);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(r[0].interconnect_id, 20);
    ck_assert_int_eq(r[1].interconnect_id, 21);
    ck_assert_int_eq(r[1].priority, 5);
    r = route_table_lookup(t, "441234", &n, &len);
    ck_assert_int_eq(len, 2);
    ck_assert_uint_eq(n, 1);
    ck_assert_int_eq(r[0].interconnect_id, 10);
    r = route_table_lookup(t, "4479", &n, &len);
    ck_assert_int_eq(len, 3);
    ck_assert_int_eq(r[0].interconnect_id, 30);
    ck_assert_ptr_null(route_table_lookup(t, "33123", &n, &len));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(route_table_entries(t), 4);
    ck_assert_uint_eq(route_table_routes(t), 6);
    route_table_free(t);
}
END_TEST

START_TEST(test_an_entry_with_no_routes_matches_and_hides_shorter_ones)
{
    route_builder *b = route_builder_new(1);
    route_target one = { 7, 0, 1 };
    ck_assert(route_builder_add(b, "44", &one, 1));
    ck_assert(route_builder_add(b, "447", NULL, 0));
    route_table *t = route_builder_finish(b);
    size_t n = 99;
    int len = 0;
    route_table_lookup(t, "4471", &n, &len);
    ck_assert_int_eq(len, 3);
    ck_assert_uint_eq(n, 0);
    route_table_free(t);
}
END_TEST

START_TEST(test_a_trunk_group_route_is_kept_apart_from_interconnect_routes)
{
    route_builder *b = route_builder_new(1);
    route_target v[2] = { route_target_for_group(12, 3, 7), { 12, 1, 2 } };
    ck_assert(route_builder_add(b, "44", v, 2));
    route_table *t = route_builder_finish(b);
    ck_assert_ptr_nonnull(t);
    size_t n;
    int len;
    const route_target *r = route_table_lookup(t, "4412", &n, &len);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(route_target_group(&r[0]), 12);
    ck_assert_int_eq(r[0].priority, 3);
    ck_assert_int_eq(r[0].weight, 7);
    ck_assert_int_eq(route_target_group(&r[1]), 0);
    ck_assert_int_eq(r[1].interconnect_id, 12);
    ck_assert_uint_eq(sizeof(route_target), 16);
    route_table_free(t);
}
END_TEST

START_TEST(test_invalid_prefixes_are_refused_by_the_builder)
{
    route_builder *b = route_builder_new(1);
    route_target one = { 7, 0, 1 };
    ck_assert(!route_builder_add(b, "", &one, 1));
    ck_assert(!route_builder_add(b, "44a", &one, 1));
    ck_assert(!route_builder_add(b, "1234567890123456789012345", &one, 1));
    ck_assert(route_builder_add(b, "123456789012345678901234", &one, 1));
    route_table *t = route_builder_finish(b);
    size_t n;
    int len;
    ck_assert_ptr_nonnull(route_table_lookup(t, "123456789012345678901234", &n, &len));
    ck_assert_int_eq(len, 24);
    route_table_free(t);
}
END_TEST

START_TEST(test_growing_past_the_expected_size_keeps_every_entry)
{
    route_builder *b = route_builder_new(2);
    char p[16];
    for (int i = 0; i < 5000; i++) {
        route_target r[3] = { { i, 0, 1 }, { i + 1, 1, 1 }, { i + 2, 2, 1 } };
        snprintf(p, sizeof p, "9%d", i);
        ck_assert(route_builder_add(b, p, r, 3));
    }
    route_table *t = route_builder_finish(b);
    ck_assert_uint_eq(route_table_entries(t), 5000);
    for (int i = 0; i < 5000; i += 97) {
        size_t n;
        int len;
        snprintf(p, sizeof p, "9%d", i);
        const route_target *r = route_table_lookup(t, p, &n, &len);
        ck_assert_ptr_nonnull(r);
        ck_assert_uint_eq(n, 3);
        ck_assert_int_eq(r[2].interconnect_id, i + 2);
    }
    route_table_free(t);
}
END_TEST

/* ---- ordering ---- */

static route_candidate cand(long long id, money_t rate, int priority, int weight)
{
    return (route_candidate){ .interconnect_id = id, .rate = rate, .priority = priority, .weight = weight, .ref = (size_t)id };
}

static const char *ids(const route_candidate *v, size_t n)
{
    static char buf[256];
    buf[0] = '\0';
    for (size_t i = 0; i < n; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld", i ? "," : "", v[i].interconnect_id);
    return buf;
}

/* rates in micro-units: 40000 = 0.04 */
static void mobile(route_candidate *v)
{
    v[0] = cand(1, 50000, 1, 10);
    v[1] = cand(2, 60000, 3, 20);
    v[2] = cand(3, 40000, 2, 30);
    v[3] = cand(4, 45000, 0, 40);
}

START_TEST(test_lcr_orders_by_rate_then_priority_then_id)
{
    route_candidate v[4];
    mobile(v);
    route_order(v, 4, ROUTE_MODE_LCR, 0, 0);
    ck_assert_str_eq(ids(v, 4), "3,4,1,2");
    /* Equal rates: the higher priority first, then the lower id. */
    route_candidate w[3] = { cand(9, 1000, 0, 1), cand(8, 1000, 0, 1), cand(7, 1000, 5, 1) };
    route_order(w, 3, ROUTE_MODE_LCR, 0, 0);
    ck_assert_str_eq(ids(w, 3), "7,8,9");
}
END_TEST

START_TEST(test_lcr_delta_bands_rates_from_the_cheapest_left)
{
    route_candidate v[4];
    mobile(v);
    route_order(v, 4, ROUTE_MODE_LCR, 10000, 0); /* 0.04..0.05 one band */
    ck_assert_str_eq(ids(v, 4), "3,1,4,2");
    mobile(v);
    route_order(v, 4, ROUTE_MODE_LCR, 5000, 0);  /* {0.04, 0.045}, {0.05}, {0.06} */
    ck_assert_str_eq(ids(v, 4), "3,4,1,2");
    mobile(v);
    route_order(v, 4, ROUTE_MODE_LCR, 20000, 0); /* all one band: by priority */
    ck_assert_str_eq(ids(v, 4), "2,3,1,4");
    mobile(v);
    route_order(v, 4, ROUTE_MODE_QUALITY, 10000, 0); /* equal scores: by rate, no delta bands */
    ck_assert_str_eq(ids(v, 4), "3,4,1,2");
    /* A band never chains: 1.00, 1.01, 1.02 with delta 0.015 is {1.00, 1.01}, {1.02}. */
    route_candidate w[3] = { cand(1, 1000000, 0, 1), cand(2, 1010000, 1, 1), cand(3, 1020000, 9, 1) };
    route_order(w, 3, ROUTE_MODE_LCR, 15000, 0);
    ck_assert_str_eq(ids(w, 3), "2,1,3");
}
END_TEST

START_TEST(test_priority_mode_is_higher_priority_first)
{
    route_candidate v[4];
    mobile(v);
    route_order(v, 4, ROUTE_MODE_PRIORITY, 0, 0);
    ck_assert_str_eq(ids(v, 4), "2,3,1,4");
}
END_TEST

START_TEST(test_weight_order_depends_on_the_seed_alone)
{
    route_candidate v[4], w[4];
    mobile(v);
    route_order(v, 4, ROUTE_MODE_WEIGHT, 0, 42);
    char first[64];
    snprintf(first, sizeof first, "%s", ids(v, 4));
    /* The same seed, another input order: the same result. */
    w[0] = cand(4, 45000, 0, 40);
    w[1] = cand(2, 60000, 3, 20);
    w[2] = cand(1, 50000, 1, 10);
    w[3] = cand(3, 40000, 2, 30);
    route_order(w, 4, ROUTE_MODE_WEIGHT, 0, 42);
    ck_assert_str_eq(ids(w, 4), first);
    /* Over many seeds, the first place follows the weights (10:20:30:40). */
    int leads[5] = { 0 };
    for (uint64_t seed = 0; seed < 20000; seed++) {
        mobile(v);
        route_order(v, 4, ROUTE_MODE_WEIGHT, 0, seed);
        leads[v[0].interconnect_id]++;
    }
    ck_assert_int_gt(leads[1], 1600); /* expected 2000 */
    ck_assert_int_lt(leads[1], 2400);
    ck_assert_int_gt(leads[4], 7500); /* expected 8000 */
    ck_assert_int_lt(leads[4], 8500);
}
END_TEST

START_TEST(test_weight_zero_candidates_come_last_by_priority)
{
    route_candidate v[4] = { cand(1, 0, 1, 0), cand(2, 0, 9, 0), cand(3, 0, 0, 5), cand(4, 0, 0, 5) };
    route_order(v, 4, ROUTE_MODE_WEIGHT, 0, 7);
    ck_assert(!strcmp(ids(v + 2, 2), "2,1"));
    ck_assert(v[0].interconnect_id == 3 || v[0].interconnect_id == 4);
}
END_TEST

START_TEST(test_ordering_nothing_or_one_is_harmless)
{
    route_order(NULL, 0, ROUTE_MODE_LCR, 0, 0);
    route_candidate one = cand(1, 5, 0, 0);
    route_order(&one, 1, ROUTE_MODE_WEIGHT, 0, 1);
    ck_assert_int_eq(one.interconnect_id, 1);
    route_mode m;
    ck_assert(route_mode_parse("weight", &m) && m == ROUTE_MODE_WEIGHT);
    ck_assert(!route_mode_parse("fastest", &m));
    ck_assert_str_eq(route_mode_name(ROUTE_MODE_QUALITY), "quality");
}
END_TEST

START_TEST(test_quality_scores_weigh_asr_acd_and_pdd_in_steps_of_five)
{
    /* 0.5 x 0.6 + 0.3 x (90 / 180) + 0.2 x (1 - 2000 / 8000) = 0.3 + 0.15 + 0.15 = 0.60 */
    ck_assert_int_eq(route_quality_score(0.6, 90, 2000, true), 60);
    /* Perfect, and nothing answered at all with a slow PDD. */
    ck_assert_int_eq(route_quality_score(1, 600, 0, true), 100);
    ck_assert_int_eq(route_quality_score(0, 0, 9000, true), 0);
    /* PDD unknown counts 0.5: 0.5 x 0.4 + 0.3 x 1 + 0.1 = 0.6. */
    ck_assert_int_eq(route_quality_score(0.4, 200, 0, false), 60);
    /* Near-equal suppliers land on the same step: 0.612 and 0.588 -> 60. */
    ck_assert_int_eq(route_quality_score(0.624, 90, 2000, true), 60);
    ck_assert_int_eq(route_quality_score(0.576, 90, 2000, true), 60);
    /* Out-of-range inputs are clamped, never below 0 or above 100. */
    ck_assert_int_eq(route_quality_score(-1, -5, -3, true), 20);
    ck_assert_int_eq(route_quality_score(7, 1e9, 1e9, true), 80);
}
END_TEST

START_TEST(test_quality_mode_orders_by_score_then_by_rate)
{
    route_candidate v[4] = { cand(1, 5000, 0, 1), cand(2, 4000, 0, 1), cand(3, 3000, 0, 1), cand(4, 6000, 9, 1) };
    v[0].score = 80;
    v[1].score = 60;
    v[2].score = 60;
    v[3].score = 40;
    route_order(v, 4, ROUTE_MODE_QUALITY, 0, 0);
    /* 1 (best score) first although dearer; 3 before 2 (same score, cheaper); 4 last despite its priority. */
    ck_assert_str_eq(ids(v, 4), "1,3,2,4");
}
END_TEST

START_TEST(test_an_entrys_quality_floor_is_kept_with_it)
{
    route_builder *b = route_builder_new(2);
    route_target r = { 7, 0, 1 };
    ck_assert(route_builder_add_limited(b, "44", &r, 1, (route_limits){ 3000, 20 }));
    ck_assert(route_builder_add(b, "4420", &r, 1));
    route_table *t = route_builder_finish(b);
    size_t n;
    int len;
    route_limits lim;
    ck_assert_ptr_nonnull(route_table_match(t, "447700900000", &n, &len, &lim));
    ck_assert_int_eq(len, 2);
    ck_assert_uint_eq(lim.min_asr_bp, 3000);
    ck_assert_uint_eq(lim.min_acd_s, 20);
    ck_assert_ptr_nonnull(route_table_match(t, "442071234567", &n, &len, &lim));
    ck_assert_int_eq(len, 4);
    ck_assert_uint_eq(lim.min_asr_bp, 0);
    ck_assert_uint_eq(lim.min_acd_s, 0);
    ck_assert_ptr_null(route_table_match(t, "33", &n, &len, &lim));
    ck_assert_uint_eq(lim.min_asr_bp, 0);
    route_table_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("route_table");
    TCase *tc = tcase_create("route_table");
    tcase_add_test(tc, test_the_longest_entry_prefix_gives_its_routes);
    tcase_add_test(tc, test_an_entry_with_no_routes_matches_and_hides_shorter_ones);
    tcase_add_test(tc, test_a_trunk_group_route_is_kept_apart_from_interconnect_routes);
    tcase_add_test(tc, test_invalid_prefixes_are_refused_by_the_builder);
    tcase_add_test(tc, test_growing_past_the_expected_size_keeps_every_entry);
    tcase_add_test(tc, test_lcr_orders_by_rate_then_priority_then_id);
    tcase_add_test(tc, test_lcr_delta_bands_rates_from_the_cheapest_left);
    tcase_add_test(tc, test_priority_mode_is_higher_priority_first);
    tcase_add_test(tc, test_weight_order_depends_on_the_seed_alone);
    tcase_add_test(tc, test_weight_zero_candidates_come_last_by_priority);
    tcase_add_test(tc, test_ordering_nothing_or_one_is_harmless);
    tcase_add_test(tc, test_quality_scores_weigh_asr_acd_and_pdd_in_steps_of_five);
    tcase_add_test(tc, test_quality_mode_orders_by_score_then_by_rate);
    tcase_add_test(tc, test_an_entrys_quality_floor_is_kept_with_it);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
