/* Anomaly baselines (server/monitor/anomaly.c): the EWMA update, the
 * variance floor, the minimum number of samples, the hour of the week,
 * and a synthetic weekly pattern with one injected drop that must be
 * flagged while every normal hour is not. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anomaly.h"
#include "suite.h"

START_TEST(test_ewma_update_by_hand)
{
    anomaly_params p = anomaly_params_of(ANOMALY_ASR);
    anomaly_cell c = { 0, 0, 0 };
    anomaly_update(&c, 0.5, &p);  /* first sample: mean 0.5, var 0 */
    ck_assert_double_eq_tol(c.mean, 0.5, 1e-12);
    ck_assert_double_eq_tol(c.var, 0, 1e-12);
    anomaly_update(&c, 0.6, &p);  /* d 0.1: mean 0.53, var 0.7 (0 + 0.3 * 0.01) = 0.0021 */
    ck_assert_double_eq_tol(c.mean, 0.53, 1e-12);
    ck_assert_double_eq_tol(c.var, 0.0021, 1e-12);
    ck_assert_uint_eq(c.n, 2);
    anomaly_update(&c, NAN, &p);  /* not a number: ignored */
    ck_assert_uint_eq(c.n, 2);
}
END_TEST

START_TEST(test_no_judgement_before_min_samples_and_the_floor_holds)
{
    anomaly_params p = anomaly_params_of(ANOMALY_ASR);
    anomaly_cell c = { 0, 0, 0 };
    double z = 99;
    anomaly_update(&c, 0.5, &p);
    anomaly_update(&c, 0.5, &p);
    ck_assert(!anomaly_z(&c, 0.1, &p, &z));
    ck_assert_double_eq(z, 99);
    anomaly_update(&c, 0.5, &p);
    ck_assert(anomaly_z(&c, 0.45, &p, &z));
    /* flat history: var 0, the floor is max(0.02, 0.10 * 0.5) = 0.05: z = -0.05 / 0.05 = -1 */
    ck_assert_double_eq_tol(z, -1.0, 1e-9);
    ck_assert_double_eq_tol(anomaly_stddev(&c, &p), 0.05, 1e-12);
    /* attempts: the floor is sqrt(mean) or 0.10 mean, whichever is larger: 40 for 400 */
    anomaly_params pa = anomaly_params_of(ANOMALY_ATTEMPTS);
    anomaly_cell a = { 400, 0, 5 };
    ck_assert_double_eq_tol(anomaly_stddev(&a, &pa), 40, 1e-9);
    anomaly_cell a2 = { 25, 0, 5 }; /* sqrt(25) = 5 beats 0.10 * 25 = 2.5 and 1 */
    ck_assert_double_eq_tol(anomaly_stddev(&a2, &pa), 5, 1e-9);
}
END_TEST

START_TEST(test_directions)
{
    anomaly_params asr = anomaly_params_of(ANOMALY_ASR);
    ck_assert(anomaly_flags(-3.5, 3, &asr));
    ck_assert(!anomaly_flags(3.5, 3, &asr));    /* a rise in ASR is no trouble */
    ck_assert(!anomaly_flags(-2.9, 3, &asr));
    anomaly_params both = asr;
    both.direction = 0;
    ck_assert(anomaly_flags(3.5, 3, &both));
    ck_assert_int_eq(anomaly_metric_parse("attempts"), ANOMALY_ATTEMPTS);
    ck_assert_int_eq(anomaly_metric_parse("pdd"), -1);
}
END_TEST

START_TEST(test_hour_of_week)
{
    /* 2026-11-23 is a Monday: 14:30 UTC is hour 14; 1970-01-01 00:00 was a Thursday: 72 */
    ck_assert_int_eq(anomaly_hour_of_week(1795444200LL), 14);
    ck_assert_int_eq(anomaly_hour_of_week(0), 72);
    ck_assert_int_eq(anomaly_hour_of_week(1795444200LL + 6 * 86400 + 9 * 3600), 6 * 24 + 23);
    char b[16];
    anomaly_hour_name(14, b, sizeof b);
    ck_assert_str_eq(b, "Mon 14:00");
    anomaly_hour_name(167, b, sizeof b);
    ck_assert_str_eq(b, "Sun 23:00");
}
END_TEST

/* Deterministic noise in [-1, 1]. */
static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / (double)(1ULL << 52) * 2 - 1;
}

/* ASR: 0.45 by day, 0.30 at night, 0.38 at weekends, +-0.03 noise. */
static double usual_asr(int how)
{
    int day = how / 24, hour = how % 24;
    if (day >= 5)
        return 0.38;
    return hour >= 8 && hour < 20 ? 0.45 : 0.30;
}

START_TEST(test_a_weekly_pattern_with_one_drop)
{
    anomaly_params p = anomaly_params_of(ANOMALY_ASR);
    static anomaly_cell cells[ANOMALY_HOURS];
    memset(cells, 0, sizeof cells);
    uint64_t seed = 42;
    int flagged = 0, judged = 0;
    const int weeks = 8, drop_week = 6, drop_hour = 14; /* Mon 14:00 of week 6 */
    for (int w = 0; w < weeks; w++) {
        for (int h = 0; h < ANOMALY_HOURS; h++) {
            double x = usual_asr(h) + 0.03 * noise(&seed);
            bool drop = w == drop_week && h == drop_hour;
            if (drop)
                x = 0.12;
            double z;
            if (anomaly_z(&cells[h], x, &p, &z)) {
                judged++;
                bool f = anomaly_flags(z, 3.0, &p);
                if (drop) {
                    ck_assert_msg(f, "the drop is flagged (z = %.2f)", z);
                    ck_assert_double_lt(z, -6);
                } else {
                    ck_assert_msg(!f, "week %d hour %d: x %.3f z %.2f is normal", w, h, x, z);
                }
                flagged += f;
            }
            if (!drop) /* the drop is not learnt here (it would be in the server too; see docs) */
                anomaly_update(&cells[h], x, &p);
        }
    }
    ck_assert_int_eq(flagged, 1);
    ck_assert_int_eq(judged, (weeks - ANOMALY_MIN_SAMPLES) * ANOMALY_HOURS);
    /* the baseline learnt the day level */
    ck_assert_double_eq_tol(cells[drop_hour + 24].mean, 0.45, 0.03);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("anomaly");
    TCase *tc = tcase_create("anomaly");
    tcase_add_test(tc, test_ewma_update_by_hand);
    tcase_add_test(tc, test_no_judgement_before_min_samples_and_the_floor_holds);
    tcase_add_test(tc, test_directions);
    tcase_add_test(tc, test_hour_of_week);
    tcase_add_test(tc, test_a_weekly_pattern_with_one_drop);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
