/* The pure part of rule evaluation (server/monitor/rule_eval.c):
 * thresholds both ways, hysteresis, min_attempts, hold and recovery. */
#include <check.h>
#include <math.h>
#include <stdint.h>

#include "rule_eval.h"
#include "suite.h"

#define S 1000000LL

START_TEST(test_judge_with_hysteresis_and_min_attempts)
{
    /* ASR floor 0.30, reset 0.31 */
    ck_assert_int_eq(rule_judge('<', 0.21, 0.30, 0.31, 100, 10), JUDGE_BREACH);
    ck_assert_int_eq(rule_judge('<', 0.305, 0.30, 0.31, 100, 10), JUDGE_BAND);
    ck_assert_int_eq(rule_judge('<', 0.30, 0.30, 0.31, 100, 10), JUDGE_BAND);
    ck_assert_int_eq(rule_judge('<', 0.32, 0.30, 0.31, 100, 10), JUDGE_OK);
    ck_assert_int_eq(rule_judge('<', 0.10, 0.30, 0.31, 9, 10), JUDGE_NONE);
    ck_assert_int_eq(rule_judge('<', NAN, 0.30, 0.31, 100, 10), JUDGE_NONE);
    /* no band: reset = threshold */
    ck_assert_int_eq(rule_judge('<', 0.30, 0.30, 0.30, 100, 10), JUDGE_OK);
    /* PDD ceiling 3000 ms, reset 2500 */
    ck_assert_int_eq(rule_judge('>', 3500, 3000, 2500, 50, 10), JUDGE_BREACH);
    ck_assert_int_eq(rule_judge('>', 2800, 3000, 2500, 50, 10), JUDGE_BAND);
    ck_assert_int_eq(rule_judge('>', 2400, 3000, 2500, 50, 10), JUDGE_OK);
    ck_assert_int_eq(rule_judge('>', 3000, 3000, 3000, 50, 10), JUDGE_OK);
}
END_TEST

START_TEST(test_hold_then_fire_once_then_still)
{
    rule_state s = { 0 };
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 100 * S, 30 * S, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 129 * S, 30 * S, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 130 * S, 30 * S, 60 * S), STEP_FIRE);
    ck_assert(s.firing);
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 131 * S, 30 * S, 60 * S), STEP_STILL);
}
END_TEST

START_TEST(test_an_interrupted_breach_starts_the_hold_again)
{
    rule_state s = { 0 };
    rule_step(&s, JUDGE_BREACH, 0, 30 * S, 60 * S);
    ck_assert_int_eq(rule_step(&s, JUDGE_BAND, 20 * S, 30 * S, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 35 * S, 30 * S, 60 * S), STEP_NONE); /* held 0 s, not 35 */
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 65 * S, 30 * S, 60 * S), STEP_FIRE);
    /* no judgement does not interrupt anything */
    rule_state t = { 0 };
    rule_step(&t, JUDGE_BREACH, 1000 * S, 30 * S, 60 * S);
    ck_assert_int_eq(rule_step(&t, JUDGE_NONE, 1010 * S, 30 * S, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&t, JUDGE_BREACH, 1030 * S, 30 * S, 60 * S), STEP_FIRE);
}
END_TEST

START_TEST(test_recovery_needs_ok_for_the_whole_time_and_the_band_does_not_count)
{
    rule_state s = { 0 };
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 0, 0, 60 * S), STEP_FIRE);
    ck_assert_int_eq(rule_step(&s, JUDGE_OK, 10 * S, 0, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&s, JUDGE_BAND, 40 * S, 0, 60 * S), STEP_NONE); /* hysteresis: not recovered */
    ck_assert_int_eq(rule_step(&s, JUDGE_OK, 71 * S, 0, 60 * S), STEP_NONE);  /* OK again from 71 s */
    ck_assert_int_eq(rule_step(&s, JUDGE_BAND, 200 * S, 0, 60 * S), STEP_NONE);
    ck_assert(s.firing);
    ck_assert_int_eq(rule_step(&s, JUDGE_OK, 300 * S, 0, 60 * S), STEP_NONE);
    ck_assert_int_eq(rule_step(&s, JUDGE_OK, 360 * S, 0, 60 * S), STEP_RECOVER);
    rule_recovered(&s);
    ck_assert(!s.firing);
    ck_assert_int_eq(rule_step(&s, JUDGE_BREACH, 400 * S, 0, 60 * S), STEP_FIRE); /* a new breach fires anew */
    /* manual recovery: never */
    rule_state m = { 0 };
    rule_step(&m, JUDGE_BREACH, 0, 0, INT64_MAX);
    ck_assert_int_eq(rule_step(&m, JUDGE_OK, 1 * S, 0, INT64_MAX), STEP_NONE);
    ck_assert_int_eq(rule_step(&m, JUDGE_OK, 100000 * S, 0, INT64_MAX), STEP_NONE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rule_eval");
    TCase *tc = tcase_create("rule_eval");
    tcase_add_test(tc, test_judge_with_hysteresis_and_min_attempts);
    tcase_add_test(tc, test_hold_then_fire_once_then_still);
    tcase_add_test(tc, test_an_interrupted_breach_starts_the_hold_again);
    tcase_add_test(tc, test_recovery_needs_ok_for_the_whole_time_and_the_band_does_not_count);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
