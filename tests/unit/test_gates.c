/*
 * Unit: the pure parts of the route gates (server/routing/calls.h): the
 * 1 s CPS window and the switch allow-list (addresses and CIDRs).
 */
#include <check.h>

#include "routing/calls.h"
#include "suite.h"

START_TEST(test_the_window_counts_attempts_of_the_last_second)
{
    static cps_window w;
    ck_assert_int_eq(cps_window_count(&w, 100000), 0);
    cps_window_add(&w, 100000);
    cps_window_add(&w, 100050);
    cps_window_add(&w, 100420);
    ck_assert_int_eq(cps_window_count(&w, 100500), 3);
    ck_assert_int_eq(cps_window_count(&w, 100999), 3);
    /* the slot of 100000..100099 leaves the window at 101000 */
    ck_assert_int_eq(cps_window_count(&w, 101000), 1);
    ck_assert_int_eq(cps_window_count(&w, 101399), 1);
    ck_assert_int_eq(cps_window_count(&w, 101400), 0);
}
END_TEST

START_TEST(test_a_reused_slot_starts_from_zero)
{
    static cps_window w;
    for (int i = 0; i < 5; i++)
        cps_window_add(&w, 5000);
    cps_window_add(&w, 6000); /* same slot index, a second later */
    ck_assert_int_eq(cps_window_count(&w, 6000), 1);
    /* a reader behind the writer sees neither the old slot's counts nor the new */
    ck_assert_int_eq(cps_window_count(&w, 5500), 0);
}
END_TEST

START_TEST(test_addresses_and_cidrs_of_the_allow_list)
{
    const char *list = "10.0.0.0/8, 192.0.2.7 ,2001:db8::/32,198.51.100.128/25";
    ck_assert(route_allow_ip(list, "10.1.2.3"));
    ck_assert(route_allow_ip(list, "192.0.2.7"));
    ck_assert(!route_allow_ip(list, "192.0.2.8"));
    ck_assert(route_allow_ip(list, "198.51.100.200"));
    ck_assert(!route_allow_ip(list, "198.51.100.127"));
    ck_assert(route_allow_ip(list, "2001:db8:1::5"));
    ck_assert(!route_allow_ip(list, "2001:db9::5"));
    ck_assert(route_allow_ip(list, "::ffff:10.9.9.9")); /* IPv4-mapped peers */
    ck_assert(!route_allow_ip(list, "11.0.0.1"));
    ck_assert(!route_allow_ip("", "127.0.0.1"));
    ck_assert(!route_allow_ip(NULL, "127.0.0.1"));
    ck_assert(!route_allow_ip(list, ""));
    ck_assert(!route_allow_ip(list, "not an ip"));
    ck_assert(route_allow_ip("0.0.0.0/0", "203.0.113.1"));
    ck_assert(!route_allow_ip("0.0.0.0/0", "::1"));
}
END_TEST

START_TEST(test_a_malformed_entry_matches_nothing_and_makes_the_list_invalid)
{
    ck_assert(route_allow_list_valid(""));
    ck_assert(route_allow_list_valid("127.0.0.1, 10.0.0.0/8,::1"));
    ck_assert(!route_allow_list_valid("127.0.0.1, banana"));
    ck_assert(!route_allow_list_valid("10.0.0.0/33"));
    ck_assert(!route_allow_list_valid("10.0.0.0/"));
    ck_assert(!route_allow_list_valid("10.0.0.0/8x"));
    ck_assert(!route_allow_ip("10.0.0.0/33", "10.0.0.1"));
    ck_assert(route_allow_ip("banana,10.0.0.1", "10.0.0.1"));
}
END_TEST

START_TEST(test_without_calls_nothing_is_over_capacity_but_a_zero_limit_is)
{
    char reason[ROUTE_REASON_MAX] = "";
    ck_assert(!route_over_capacity(424242, 10, 5, reason));
    ck_assert(!route_over_capacity(424242, -1, -1, reason));
    ck_assert(route_over_capacity(424242, 0, -1, reason));
    ck_assert_str_eq(reason, "capacity 0 reached");
    ck_assert(route_over_capacity(424242, -1, 0, reason));
    ck_assert_str_eq(reason, "cps 0 reached");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("gates");
    TCase *tc = tcase_create("gates");
    tcase_add_test(tc, test_the_window_counts_attempts_of_the_last_second);
    tcase_add_test(tc, test_a_reused_slot_starts_from_zero);
    tcase_add_test(tc, test_addresses_and_cidrs_of_the_allow_list);
    tcase_add_test(tc, test_a_malformed_entry_matches_nothing_and_makes_the_list_invalid);
    tcase_add_test(tc, test_without_calls_nothing_is_over_capacity_but_a_zero_limit_is);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
