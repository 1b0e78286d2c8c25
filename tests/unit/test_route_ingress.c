/* Finding the ingress interconnect and service of a call: the rules shared
 * by cdr.ingest and route.lookup (server/rating/ingress_match.c). */
#include <check.h>
#include <string.h>

#include "rating/ingress_match.h"
#include "suite.h"

static void get_ic(const void *ud, size_t i, ingress_candidate *out)
{
    *out = ((const ingress_candidate *)ud)[i];
}

static void get_svc(const void *ud, size_t i, service_candidate *out)
{
    *out = ((const service_candidate *)ud)[i];
}

START_TEST(test_the_longest_mask_wins_and_a_tie_is_ambiguous)
{
    char why[200] = "";
    ingress_candidate v[] = { { 1, 24, "", false }, { 2, 32, "", false }, { 3, 16, "", false } };
    ck_assert_int_eq(ingress_pick(get_ic, v, 3, "192.0.2.10", "", why, sizeof why), 2);
    v[0].masklen = 32;
    ck_assert_int_eq(ingress_pick(get_ic, v, 3, "192.0.2.10", "", why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "matches 2 ingress interconnects"));
    ck_assert_int_eq(ingress_pick(get_ic, v, 0, "192.0.2.10", "", why, sizeof why), 0);
    ck_assert_str_eq(why, "no ingress interconnect has signalling IP 192.0.2.10");
}
END_TEST

START_TEST(test_the_tech_prefix_chooses_among_interconnects_on_one_address)
{
    char why[200] = "";
    ingress_candidate v[] = { { 1, 32, "77#", false }, { 2, 32, "", false }, { 3, 32, "", false } };
    ck_assert_int_eq(ingress_pick(get_ic, v, 3, "192.0.2.10", "77#", why, sizeof why), 1);
    ck_assert_int_eq(ingress_pick(get_ic, v, 3, "192.0.2.10", "88#", why, sizeof why), 0);
    ck_assert_ptr_nonnull(strstr(why, "takes tech prefix 88#"));
    /* Without a prefix: those without an interconnect prefix (2 and 3 tie). */
    ck_assert_int_eq(ingress_pick(get_ic, v, 3, "192.0.2.10", "", why, sizeof why), 0);
    ingress_candidate w[] = { { 1, 32, "77#", false }, { 3, 24, "", false } };
    ck_assert_int_eq(ingress_pick(get_ic, w, 2, "192.0.2.10", "", why, sizeof why), 3);
    /* A service's prefix counts as the interconnect taking it. */
    ingress_candidate x[] = { { 4, 32, "", true }, { 5, 32, "", false } };
    ck_assert_int_eq(ingress_pick(get_ic, x, 2, "192.0.2.10", "55#", why, sizeof why), 4);
    /* Absent candidates (id 0) are skipped. */
    ingress_candidate y[] = { { 0, 32, "", false } };
    ck_assert_int_eq(ingress_pick(get_ic, y, 1, "192.0.2.10", "", why, sizeof why), 0);
    ck_assert_str_eq(why, "no ingress interconnect has signalling IP 192.0.2.10");
}
END_TEST

START_TEST(test_the_service_is_the_one_with_the_prefix_else_without_else_the_best)
{
    char why[200] = "";
    service_candidate s[] = { { 10, "77#" }, { 11, "" }, { 12, "88#" } };
    ck_assert_int_eq(ingress_service_pick(get_svc, s, 3, 5, "", "88#", why, sizeof why), 2);
    ck_assert_int_eq(ingress_service_pick(get_svc, s, 3, 5, "", "", why, sizeof why), 1);
    ck_assert_int_eq(ingress_service_pick(get_svc, s, 3, 5, "", "99#", why, sizeof why), -1);
    ck_assert_str_eq(why, "interconnect 5 has no service with tech prefix 99#");
    /* The interconnect's own prefix: as if none was sent. */
    ck_assert_int_eq(ingress_service_pick(get_svc, s, 3, 5, "99#", "99#", why, sizeof why), 1);
    service_candidate t[] = { { 20, "77#" }, { 21, "88#" } };
    ck_assert_int_eq(ingress_service_pick(get_svc, t, 2, 5, "", "", why, sizeof why), 0);
    ck_assert_int_eq(ingress_service_pick(get_svc, t, 0, 5, "", "", why, sizeof why), -1);
    ck_assert_str_eq(why, "interconnect 5 has no service");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("route_ingress");
    TCase *tc = tcase_create("route_ingress");
    tcase_add_test(tc, test_the_longest_mask_wins_and_a_tie_is_ambiguous);
    tcase_add_test(tc, test_the_tech_prefix_chooses_among_interconnects_on_one_address);
    tcase_add_test(tc, test_the_service_is_the_one_with_the_prefix_else_without_else_the_best);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
