/* The job queue's retry delay (jobs_backoff_ms, server/jobs/jobs.h): base
 * * 2^attempt, capped at an hour, with "equal jitter" — never under half
 * of that, never over it — and no overflow whatever the attempt. */
#include <check.h>
#include <stdint.h>

#include "jobs/jobs.h"
#include "suite.h"

START_TEST(test_first_retry_waits_between_base_and_twice_base)
{
    ck_assert_int_eq(jobs_backoff_ms(1, 1000, 0), 1000);
    ck_assert_int_eq(jobs_backoff_ms(1, 1000, 1000), 2000);
    ck_assert_int_eq(jobs_backoff_ms(1, 1000, 1001), 1000); /* random is taken modulo the spread */
    ck_assert_int_eq(jobs_backoff_ms(1, 1000, 500), 1500);
}
END_TEST

START_TEST(test_each_attempt_doubles_the_window)
{
    for (int attempt = 1; attempt <= 10; attempt++) {
        long long d = 1000LL << attempt;
        ck_assert_int_eq(jobs_backoff_ms(attempt, 1000, 0), d / 2);
        ck_assert_int_eq(jobs_backoff_ms(attempt, 1000, (uint64_t)(d / 2 - 1)), d - 1);
        ck_assert_int_eq(jobs_backoff_ms(attempt, 1000, (uint64_t)(d / 2)), d);
    }
}
END_TEST

START_TEST(test_the_wait_is_capped_at_an_hour)
{
    ck_assert_int_eq(jobs_backoff_ms(12, 1000, 0), JOBS_BACKOFF_CAP_MS / 2);          /* 4096 s > 1 h */
    ck_assert_int_eq(jobs_backoff_ms(12, 1000, JOBS_BACKOFF_CAP_MS / 2), JOBS_BACKOFF_CAP_MS);
    ck_assert_int_eq(jobs_backoff_ms(1, 3600000, 0), JOBS_BACKOFF_CAP_MS / 2);       /* base at its maximum */
}
END_TEST

START_TEST(test_huge_attempts_do_not_overflow)
{
    for (int attempt = 60; attempt <= 100000; attempt *= 3) {
        long long ms = jobs_backoff_ms(attempt, 3600000, UINT64_MAX);
        ck_assert(ms >= JOBS_BACKOFF_CAP_MS / 2 && ms <= JOBS_BACKOFF_CAP_MS);
    }
}
END_TEST

START_TEST(test_tiny_bases_still_wait)
{
    ck_assert_int_eq(jobs_backoff_ms(1, 1, 0), 1);  /* d = 2: 1..2 ms */
    ck_assert_int_eq(jobs_backoff_ms(1, 1, 1), 2);
    ck_assert_int_eq(jobs_backoff_ms(1, 0, 0), 1);  /* a base under 1 counts as 1 */
}
END_TEST

START_TEST(test_random_values_stay_in_the_window_and_reach_both_ends)
{
    uint64_t x = 88172645463325252ULL;
    bool low = false, high = false;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        long long ms = jobs_backoff_ms(3, 50, x); /* d = 400: 200..400 */
        ck_assert(ms >= 200 && ms <= 400);
        low |= ms == 200;
        high |= ms == 400;
    }
    ck_assert(low && high);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jobs_backoff");
    TCase *tc = tcase_create("backoff");
    tcase_add_test(tc, test_first_retry_waits_between_base_and_twice_base);
    tcase_add_test(tc, test_each_attempt_doubles_the_window);
    tcase_add_test(tc, test_the_wait_is_capped_at_an_hour);
    tcase_add_test(tc, test_huge_attempts_do_not_overflow);
    tcase_add_test(tc, test_tiny_bases_still_wait);
    tcase_add_test(tc, test_random_values_stay_in_the_window_and_reach_both_ends);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
