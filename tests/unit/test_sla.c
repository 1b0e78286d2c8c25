/* SLA business-time arithmetic (server/support/sla.c): targets across
 * weekends, outside hours, the Europe/London DST changes of 2026
 * (spring forward 2026-03-29 01:00 UTC, fall back 2026-10-25 01:00 UTC),
 * 24x7 policies and the business_hours parser. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "support/sla.h"

/* Unix seconds of a UTC civil time (days_from_civil, H. Hinnant). */
static int64_t utc(int y, int m, int d, int hh, int mm)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    int64_t days = era * 146097 + doe - 719468;
    return days * 86400 + hh * 3600 + mm * 60;
}

/* Monday to Friday 09:00-17:00 in Europe/London. */
static void office(sla_calendar *cal)
{
    sla_calendar_init(cal);
    for (int d = 0; d < 5; d++)
        sla_calendar_day(cal, d, 9 * 60, 17 * 60);
    sla_calendar_zone(cal, "Europe/London");
}

START_TEST(test_target_skips_the_weekend)
{
    sla_calendar cal;
    office(&cal);
    /* Friday 2026-11-27 16:00 GMT + 2 h: 1 h on Friday, 1 h on Monday */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 27, 16, 0), 120), utc(2026, 11, 30, 10, 0));
    ck_assert_int_eq(sla_business_seconds(&cal, utc(2026, 11, 27, 16, 0), utc(2026, 11, 30, 10, 0)), 7200);
}
END_TEST

START_TEST(test_ticket_opened_outside_hours_starts_at_the_next_opening)
{
    sla_calendar cal;
    office(&cal);
    /* Saturday noon: the clock starts Monday 09:00 */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 28, 12, 0), 30), utc(2026, 11, 30, 9, 30));
    /* Monday 07:00, before opening */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 30, 7, 0), 60), utc(2026, 11, 30, 10, 0));
    /* Monday 18:00, after closing: Tuesday */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 30, 18, 0), 60), utc(2026, 12, 1, 10, 0));
    /* exactly 8 business hours from opening ends at closing, not the next day */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 30, 9, 0), 480), utc(2026, 11, 30, 17, 0));
    /* a week of business time: 5 days x 8 h */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 11, 30, 9, 0), 5 * 480), utc(2026, 12, 4, 17, 0));
}
END_TEST

START_TEST(test_spring_forward_keeps_local_office_hours)
{
    sla_calendar cal;
    office(&cal);
    /* Friday 2026-03-27 16:00 GMT (= UTC) + 2 h: Monday 10:00 BST = 09:00 UTC */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 3, 27, 16, 0), 120), utc(2026, 3, 30, 9, 0));
}
END_TEST

START_TEST(test_fall_back_keeps_local_office_hours)
{
    sla_calendar cal;
    office(&cal);
    /* Friday 2026-10-23 16:00 BST = 15:00 UTC + 2 h: Monday 10:00 GMT = 10:00 UTC */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 10, 23, 15, 0), 120), utc(2026, 10, 26, 10, 0));
}
END_TEST

START_TEST(test_a_window_across_the_change_has_its_real_length)
{
    sla_calendar cal;
    sla_calendar_init(&cal);
    sla_calendar_day(&cal, 6, 0, 6 * 60); /* Sundays 00:00-06:00 London */
    sla_calendar_zone(&cal, "Europe/London");
    /* 2026-03-29: 00:00 GMT .. 06:00 BST is 5 real hours */
    ck_assert_int_eq(sla_business_seconds(&cal, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)), 5 * 3600);
    /* 5.5 h: the window's 5 h, then 30 min next Sunday from 00:00 BST (23:00 UTC Saturday) */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 3, 28, 12, 0), 330), utc(2026, 4, 4, 23, 30));
    /* 2026-10-25: 00:00 BST (23:00 UTC) .. 06:00 GMT is 7 real hours */
    ck_assert_int_eq(sla_business_seconds(&cal, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)), 7 * 3600);
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 10, 24, 12, 0), 420), utc(2026, 10, 25, 6, 0));
}
END_TEST

START_TEST(test_24x7_policy_counts_real_time)
{
    sla_calendar cal;
    office(&cal);
    cal.always_open = true;
    /* Saturday night across the spring change: plain elapsed time */
    ck_assert_int_eq(sla_add_minutes(&cal, utc(2026, 3, 28, 23, 0), 240), utc(2026, 3, 29, 3, 0));
    ck_assert_int_eq(sla_business_seconds(&cal, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 3, 0)), 4 * 3600);
    ck_assert_int_eq(sla_add_minutes(&cal, 1000, 0), 1000);
}
END_TEST

START_TEST(test_closed_calendar_is_never_due)
{
    sla_calendar cal;
    sla_calendar_init(&cal);
    ck_assert(sla_add_minutes(&cal, utc(2026, 11, 23, 0, 0), 1) == INT64_MAX);
    ck_assert_int_eq(sla_business_seconds(&cal, 0, 86400), 0);
}
END_TEST

START_TEST(test_business_hours_json_is_parsed_and_errors_are_named)
{
    sla_calendar cal;
    char err[64];
    sla_calendar_init(&cal);
    ck_assert_int_eq(sla_calendar_parse(&cal, "{\"mon\":{\"start\":\"08:30\",\"end\":\"24:00\"},\"sun\":null}", err,
                                        sizeof err), 0);
    ck_assert_int_eq(cal.open[0], 510);
    ck_assert_int_eq(cal.close[0], 1440);
    ck_assert_int_eq(sla_calendar_parse(&cal, "{\"tue\":{\"start\":\"10:00\",\"end\":\"09:00\"}}", err, sizeof err), -1);
    ck_assert_str_eq(err, "business_hours.tue.end");
    ck_assert_int_eq(sla_calendar_parse(&cal, "{\"funday\":null}", err, sizeof err), -1);
    ck_assert_str_eq(err, "business_hours.funday");
    ck_assert_int_eq(sla_calendar_parse(&cal, "{\"wed\":{\"start\":\"9:00\",\"end\":\"17:00\"}}", err, sizeof err), -1);
    ck_assert_str_eq(err, "business_hours.wed.start");
    ck_assert_int_eq(sla_calendar_parse(&cal, "[]", err, sizeof err), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sla");
    TCase *tc = tcase_create("sla");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_target_skips_the_weekend);
    tcase_add_test(tc, test_ticket_opened_outside_hours_starts_at_the_next_opening);
    tcase_add_test(tc, test_spring_forward_keeps_local_office_hours);
    tcase_add_test(tc, test_fall_back_keeps_local_office_hours);
    tcase_add_test(tc, test_a_window_across_the_change_has_its_real_length);
    tcase_add_test(tc, test_24x7_policy_counts_real_time);
    tcase_add_test(tc, test_closed_calendar_is_never_due);
    tcase_add_test(tc, test_business_hours_json_is_parsed_and_errors_are_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
