/* Time classes (peak / off-peak / weekend) and time zone offsets. Instants
 * are written as Unix seconds worked out by hand: 2026-11-23T00:00:00Z, a
 * Monday, is 1795392000. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suite.h"
#include "time_class.h"

#define SEC 1000000LL
#define MON 1795392000LL /* 2026-11-23T00:00:00Z, Monday */
#define DAY 86400LL
#define H 3600LL
#define M 60LL

enum { PEAK = 1, OFFPEAK = 2, WEEKEND = 3 };

/* peak mon-fri 08:00-20:00, off-peak mon-fri 20:00-08:00 (wraps),
 * weekend sat-sun all day */
static const time_class_range plan[] = {
    { PEAK, 0x1F, 480, 1200 },
    { OFFPEAK, 0x1F, 1200, 480 },
    { WEEKEND, 0x60, 0, 1440 },
};

static uint32_t active_at(int64_t unix_sec, int32_t offset)
{
    return time_class_active(plan, sizeof plan / sizeof plan[0], unix_sec * SEC, offset);
}

START_TEST(test_peak_starts_at_eight_inclusive)
{
    ck_assert_uint_eq(active_at(MON + 8 * H, 0), 1u << PEAK);
    ck_assert_uint_eq(active_at(MON + 20 * H - 1, 0), 1u << PEAK); /* 19:59:59 */
}
END_TEST

START_TEST(test_off_peak_starts_at_twenty_and_ends_at_eight_exclusive)
{
    ck_assert_uint_eq(active_at(MON + 20 * H, 0), 1u << OFFPEAK);
    /* Tuesday 03:00 belongs to Monday evening's range */
    ck_assert_uint_eq(active_at(MON + DAY + 3 * H, 0), 1u << OFFPEAK);
    ck_assert_uint_eq(active_at(MON + DAY + 8 * H - 1, 0), 1u << OFFPEAK);
}
END_TEST

START_TEST(test_after_midnight_part_belongs_to_the_starting_weekday)
{
    /* Monday 03:00: the range that would cover it started on Sunday, which
     * is not a weekday of the off-peak class; nor is Monday a weekend day. */
    ck_assert_uint_eq(active_at(MON + 3 * H, 0), 0);
    /* Saturday 02:00: weekend, and Friday evening's off-peak */
    ck_assert_uint_eq(active_at(MON + 5 * DAY + 2 * H, 0), (1u << WEEKEND) | (1u << OFFPEAK));
    /* Saturday 09:00: weekend only */
    ck_assert_uint_eq(active_at(MON + 5 * DAY + 9 * H, 0), 1u << WEEKEND);
}
END_TEST

START_TEST(test_offset_moves_local_time)
{
    /* 07:30Z at +01:00 is 08:30 local: peak */
    ck_assert_uint_eq(active_at(MON + 7 * H + 30 * M, 3600), 1u << PEAK);
    /* Tuesday 02:00Z at -05:00 is Monday 21:00 local: off-peak */
    ck_assert_uint_eq(active_at(MON + DAY + 2 * H, -5 * 3600), 1u << OFFPEAK);
    /* Monday 01:00Z at -05:00 is Sunday 20:00 local: weekend */
    ck_assert_uint_eq(active_at(MON + 1 * H, -5 * 3600), 1u << WEEKEND);
}
END_TEST

START_TEST(test_instants_before_the_epoch)
{
    /* 1969-12-31T23:00:00Z (-3600) was a Wednesday, 23:00 */
    time_class_range late_wed = { 5, 1u << 2, 1380, 1440 };
    ck_assert_uint_eq(time_class_active(&late_wed, 1, -3600 * SEC, 0), 1u << 5);
    ck_assert_uint_eq(time_class_active(&late_wed, 1, -3601 * SEC, 0), 0); /* 22:59:59 */
    ck_assert_uint_eq(time_class_active(&late_wed, 1, -1, 0), 1u << 5);    /* 23:59:59.999999 */
}
END_TEST

START_TEST(test_invalid_ranges_are_ignored)
{
    time_class_range bad[] = {
        { 0, 0x7F, 0, 1440 },   /* class id 0 */
        { 32, 0x7F, 0, 1440 },  /* above 31 */
        { 4, 0x7F, -1, 1440 },  /* start below 0 */
        { 4, 0x7F, 0, 1441 },   /* end past midnight */
        { 31, 0x7F, 0, 1440 },  /* the highest id is fine */
    };
    ck_assert_uint_eq(time_class_active(bad, 5, MON * SEC, 0), 1u << 31);
}
END_TEST

static int32_t offset_of(const char *zone, int64_t unix_sec)
{
    int32_t off = 12345;
    ck_assert_msg(time_zone_offset(zone, unix_sec * SEC, &off), "zone %s", zone);
    return off;
}

START_TEST(test_zone_offsets_in_winter_and_summer)
{
    /* 2026-01-15T12:00Z = 1768478400, 2026-07-01T12:00Z = 1782907200 */
    ck_assert_int_eq(offset_of("Europe/London", 1768478400), 0);
    ck_assert_int_eq(offset_of("Europe/London", 1782907200), 3600);
    ck_assert_int_eq(offset_of("America/New_York", 1768478400), -18000);
    ck_assert_int_eq(offset_of("America/New_York", 1782907200), -14400);
    ck_assert_int_eq(offset_of("Asia/Kolkata", 1768478400), 19800);
    ck_assert_int_eq(offset_of("UTC", 1782907200), 0);
    /* the cached answer is the same */
    ck_assert_int_eq(offset_of("Europe/London", 1782907200 + 60), 3600);
}
END_TEST

START_TEST(test_zone_offset_changes_exactly_at_the_transition)
{
    /* Europe/London: 2026-03-29T01:00:00Z = 1774746000 */
    ck_assert_int_eq(offset_of("Europe/London", 1774746000 - 1), 0);
    ck_assert_int_eq(offset_of("Europe/London", 1774746000), 3600);
    /* Australia/Lord_Howe changes at a half hour: 2026-10-03T15:30:00Z =
     * 1791041400, +10:30 before, +11:00 after. Both in one UTC hour. */
    ck_assert_int_eq(offset_of("Australia/Lord_Howe", 1791041400 - 1), 37800);
    ck_assert_int_eq(offset_of("Australia/Lord_Howe", 1791041400), 39600);
    ck_assert_int_eq(offset_of("Australia/Lord_Howe", 1791041400 - 1800), 37800); /* 15:00:00Z */
    ck_assert_int_eq(offset_of("Australia/Lord_Howe", 1791041400 + 1799), 39600); /* 15:59:59Z */
}
END_TEST

START_TEST(test_unknown_or_unsafe_zones_are_refused)
{
    static const char *const bad[] = { "Mars/Olympus_Mons", "", "../../etc/passwd", "/etc/localtime",
                                       "Europe/../Europe/London", "zone.tab", "Europe", "Europe/London/",
                                       "Europe/London\n" };
    int32_t off = 77;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!time_zone_offset(bad[i], MON * SEC, &off), "accepted \"%s\"", bad[i]);
    ck_assert(!time_zone_offset(NULL, MON * SEC, &off));
    ck_assert_int_eq(off, 77);
}
END_TEST

START_TEST(test_tz_environment_is_restored)
{
    setenv("TZ", "America/New_York", 1);
    (void)offset_of("Asia/Tokyo", MON + 5 * H);
    ck_assert_str_eq(getenv("TZ"), "America/New_York");
    unsetenv("TZ");
    (void)offset_of("Asia/Tokyo", MON + 6 * H);
    ck_assert_ptr_null(getenv("TZ"));
}
END_TEST

typedef struct {
    const char *zone;
    int32_t winter, summer;
    int failures;
} zone_job;

static void *zone_worker(void *arg)
{
    zone_job *j = arg;
    /* 50 winter hours from 2026-01-15T12:00Z and 50 summer hours from
     * 2026-07-01T12:00Z, twice (the second pass hits the cache). */
    for (int pass = 0; pass < 2; pass++) {
        for (int h = 0; h < 50; h++) {
            int32_t w = 0, s = 0;
            if (!time_zone_offset(j->zone, (1768478400LL + h * H) * SEC, &w) || w != j->winter)
                j->failures++;
            if (!time_zone_offset(j->zone, (1782907200LL + h * H) * SEC, &s) || s != j->summer)
                j->failures++;
        }
    }
    return NULL;
}

START_TEST(test_zone_offsets_from_several_threads)
{
    zone_job jobs[] = {
        { "Europe/London", 0, 3600, 0 },
        { "America/New_York", -18000, -14400, 0 },
        { "Asia/Tokyo", 32400, 32400, 0 },
        { "Australia/Sydney", 39600, 36000, 0 },
    };
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, zone_worker, &jobs[i]), 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(jobs[i].failures == 0, "%s: %d wrong answers", jobs[i].zone, jobs[i].failures);
    }
}
END_TEST

START_TEST(test_parse_hhmm)
{
    int16_t m = -1;
    ck_assert(time_class_parse_hhmm("00:00", &m) && m == 0);
    ck_assert(time_class_parse_hhmm("08:30", &m) && m == 510);
    ck_assert(time_class_parse_hhmm("23:59", &m) && m == 1439);
    ck_assert(time_class_parse_hhmm("24:00", &m) && m == 1440);
    static const char *const bad[] = { "24:01", "7:30", "12:60", "ab:cd", "12-30", "12:300", "", "25:00" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!time_class_parse_hhmm(bad[i], &m), "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(m, 1440);
}
END_TEST

START_TEST(test_parse_weekdays)
{
    uint8_t w = 0;
    ck_assert(time_class_parse_weekdays("mon-fri", &w) && w == 0x1F);
    ck_assert(time_class_parse_weekdays("sat-sun", &w) && w == 0x60);
    ck_assert(time_class_parse_weekdays("mon,tue,fri", &w) && w == 0x13);
    ck_assert(time_class_parse_weekdays("fri-mon", &w) && w == 0x71); /* fri sat sun mon */
    ck_assert(time_class_parse_weekdays("Monday, SUN", &w) && w == 0x41);
    static const char *const bad[] = { "", "mon,,tue", "funday", "mon-", "-fri", "mo", "mon-fri-sat", "," };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!time_class_parse_weekdays(bad[i], &w), "accepted \"%s\"", bad[i]);
    ck_assert_int_eq(w, 0x41);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("time_class");
    TCase *tc = tcase_create("time_class");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_peak_starts_at_eight_inclusive);
    tcase_add_test(tc, test_off_peak_starts_at_twenty_and_ends_at_eight_exclusive);
    tcase_add_test(tc, test_after_midnight_part_belongs_to_the_starting_weekday);
    tcase_add_test(tc, test_offset_moves_local_time);
    tcase_add_test(tc, test_instants_before_the_epoch);
    tcase_add_test(tc, test_invalid_ranges_are_ignored);
    tcase_add_test(tc, test_zone_offsets_in_winter_and_summer);
    tcase_add_test(tc, test_zone_offset_changes_exactly_at_the_transition);
    tcase_add_test(tc, test_unknown_or_unsafe_zones_are_refused);
    tcase_add_test(tc, test_tz_environment_is_restored);
    tcase_add_test(tc, test_zone_offsets_from_several_threads);
    tcase_add_test(tc, test_parse_hhmm);
    tcase_add_test(tc, test_parse_weekdays);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
