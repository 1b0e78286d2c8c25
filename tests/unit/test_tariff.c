/* Tariff rules of docs/rating.md: duration, billed duration, cost, number
 * normalisation. Every expectation is worked out by hand in the comment
 * beside it. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "suite.h"
#include "tariff.h"

#define SEC 1000000LL

static tariff scheme(int32_t i, int32_t n, int32_t m)
{
    tariff t;
    tariff_defaults(&t, 0);
    t.initial_increment = i;
    t.subsequent_increment = n;
    t.min_duration = m;
    return t;
}

static money_t cost(money_t rate, money_t fee, int64_t billed, money_rounding r)
{
    tariff t;
    tariff_defaults(&t, rate);
    t.connection_fee = fee;
    money_t out = -777;
    ck_assert(tariff_cost(&t, billed, r, &out));
    return out;
}

START_TEST(test_defaults_are_one_one_no_minimum_no_fee)
{
    tariff t;
    tariff_defaults(&t, 12000);
    ck_assert_int_eq(t.rate, 12000);
    ck_assert_int_eq(t.connection_fee, 0);
    ck_assert_int_eq(t.initial_increment, 1);
    ck_assert_int_eq(t.subsequent_increment, 1);
    ck_assert_int_eq(t.min_duration, 0);
}
END_TEST

START_TEST(test_duration_rounds_partial_seconds_up)
{
    int64_t answer = 1795000000LL * SEC;
    ck_assert_int_eq(tariff_call_duration(true, answer, answer + 30 * SEC), 30);
    ck_assert_int_eq(tariff_call_duration(true, answer, answer + 30 * SEC + 1), 31); /* 30.000001 s */
    ck_assert_int_eq(tariff_call_duration(true, answer, answer + SEC / 2), 1);       /* 0.5 s */
    ck_assert_int_eq(tariff_call_duration(true, answer, answer + 1), 1);             /* 1 us */
}
END_TEST

START_TEST(test_duration_is_zero_when_unanswered_or_not_after_answer)
{
    int64_t t = 1795000000LL * SEC;
    ck_assert_int_eq(tariff_call_duration(false, t, t + 90 * SEC), 0);
    ck_assert_int_eq(tariff_call_duration(true, t, t), 0);
    ck_assert_int_eq(tariff_call_duration(true, t, t - SEC), 0);
}
END_TEST

START_TEST(test_billed_is_zero_for_zero_duration_even_with_minimum)
{
    tariff t = scheme(60, 60, 30);
    ck_assert_int_eq(tariff_billed_duration(&t, 0), 0);
}
END_TEST

START_TEST(test_billed_at_d_equal_to_initial_increment)
{
    tariff a = scheme(60, 60, 0), b = scheme(30, 6, 0), c = scheme(1, 1, 0);
    ck_assert_int_eq(tariff_billed_duration(&a, 60), 60); /* d' = i: i */
    ck_assert_int_eq(tariff_billed_duration(&b, 30), 30);
    ck_assert_int_eq(tariff_billed_duration(&c, 1), 1);
}
END_TEST

START_TEST(test_billed_at_d_one_past_initial_increment)
{
    tariff a = scheme(60, 60, 0), b = scheme(30, 6, 0), c = scheme(1, 1, 0);
    ck_assert_int_eq(tariff_billed_duration(&a, 61), 120); /* 60 + ceil(1/60)*60 */
    ck_assert_int_eq(tariff_billed_duration(&b, 31), 36);  /* 30 + ceil(1/6)*6 */
    ck_assert_int_eq(tariff_billed_duration(&c, 2), 2);    /* 1 + ceil(1/1)*1 */
}
END_TEST

START_TEST(test_billed_sixty_sixty)
{
    tariff t = scheme(60, 60, 0);
    ck_assert_int_eq(tariff_billed_duration(&t, 1), 60);
    ck_assert_int_eq(tariff_billed_duration(&t, 59), 60);
    ck_assert_int_eq(tariff_billed_duration(&t, 120), 120); /* 60 + 1*60 */
    ck_assert_int_eq(tariff_billed_duration(&t, 125), 180); /* 60 + ceil(65/60)=2 *60 */
}
END_TEST

START_TEST(test_billed_thirty_six)
{
    tariff t = scheme(30, 6, 0);
    ck_assert_int_eq(tariff_billed_duration(&t, 5), 30);
    ck_assert_int_eq(tariff_billed_duration(&t, 36), 36);  /* 30 + 1*6 */
    ck_assert_int_eq(tariff_billed_duration(&t, 37), 42);  /* 30 + ceil(7/6)=2 *6 */
    ck_assert_int_eq(tariff_billed_duration(&t, 100), 102); /* 30 + ceil(70/6)=12 *6 */
}
END_TEST

START_TEST(test_billed_one_one)
{
    tariff t = scheme(1, 1, 0);
    ck_assert_int_eq(tariff_billed_duration(&t, 59), 59);
    ck_assert_int_eq(tariff_billed_duration(&t, 3601), 3601);
}
END_TEST

START_TEST(test_billed_minimum_above_duration)
{
    tariff a = scheme(1, 1, 30), b = scheme(60, 60, 30), c = scheme(6, 6, 20);
    ck_assert_int_eq(tariff_billed_duration(&a, 5), 30);  /* d' = 30 */
    ck_assert_int_eq(tariff_billed_duration(&b, 5), 60);  /* d' = 30 <= i */
    ck_assert_int_eq(tariff_billed_duration(&c, 3), 24);  /* d' = 20: 6 + ceil(14/6)=3 *6 */
    ck_assert_int_eq(tariff_billed_duration(&a, 45), 45); /* m below d changes nothing */
}
END_TEST

START_TEST(test_billed_refuses_invalid_tariff_or_negative_duration)
{
    tariff bad_i = scheme(0, 1, 0), bad_n = scheme(1, 0, 0), bad_m = scheme(1, 1, -1), ok = scheme(1, 1, 0);
    ck_assert_int_eq(tariff_billed_duration(&bad_i, 10), -1);
    ck_assert_int_eq(tariff_billed_duration(&bad_n, 10), -1);
    ck_assert_int_eq(tariff_billed_duration(&bad_m, 10), -1);
    ck_assert_int_eq(tariff_billed_duration(&ok, -1), -1);
    tariff big = scheme(1, 60, 0);
    ck_assert_int_eq(tariff_billed_duration(&big, INT64_MAX - 10), -1); /* would pass int64 */
}
END_TEST

START_TEST(test_cost_half_micro_unit_in_each_rounding)
{
    /* 0.000003/min x 30 s = 3 * 30 / 60 = 1.5 micro-units */
    ck_assert_int_eq(cost(3, 0, 30, MONEY_ROUND_UP), 2);
    ck_assert_int_eq(cost(3, 0, 30, MONEY_ROUND_HALF_UP), 2);
    ck_assert_int_eq(cost(3, 0, 30, MONEY_ROUND_DOWN), 1);
}
END_TEST

START_TEST(test_cost_below_half_micro_unit_in_each_rounding)
{
    /* 0.000007 x 10 s = 70 / 60 = 1.1666... micro-units */
    ck_assert_int_eq(cost(7, 0, 10, MONEY_ROUND_UP), 2);
    ck_assert_int_eq(cost(7, 0, 10, MONEY_ROUND_HALF_UP), 1);
    ck_assert_int_eq(cost(7, 0, 10, MONEY_ROUND_DOWN), 1);
    /* 0.000007 x 50 s = 350 / 60 = 5.8333... */
    ck_assert_int_eq(cost(7, 0, 50, MONEY_ROUND_UP), 6);
    ck_assert_int_eq(cost(7, 0, 50, MONEY_ROUND_HALF_UP), 6);
    ck_assert_int_eq(cost(7, 0, 50, MONEY_ROUND_DOWN), 5);
}
END_TEST

START_TEST(test_cost_exact_amounts_need_no_rounding)
{
    /* 0.012/min x 90 s = 0.018 */
    ck_assert_int_eq(cost(12000, 0, 90, MONEY_ROUND_UP), 18000);
    ck_assert_int_eq(cost(12000, 0, 90, MONEY_ROUND_DOWN), 18000);
    /* 1,000,000.000000/min x 86400 s = 1,440,000,000 units */
    ck_assert_int_eq(cost(1000000LL * 1000000, 0, 86400, MONEY_ROUND_DOWN), 1440000000LL * 1000000);
}
END_TEST

START_TEST(test_cost_adds_connection_fee_on_answered_calls_only)
{
    /* 0.05 fee + 0.012 x 90 s (0.018) = 0.068 */
    ck_assert_int_eq(cost(12000, 50000, 90, MONEY_ROUND_HALF_UP), 68000);
    /* billed 0 (unanswered): no fee */
    ck_assert_int_eq(cost(12000, 50000, 0, MONEY_ROUND_HALF_UP), 0);
    /* fee + 1.5 micro-units rounded once: 50000 + 2 up, 50000 + 1 down */
    ck_assert_int_eq(cost(3, 50000, 30, MONEY_ROUND_UP), 50002);
    ck_assert_int_eq(cost(3, 50000, 30, MONEY_ROUND_DOWN), 50001);
}
END_TEST

START_TEST(test_cost_refuses_overflow_and_negative_billed)
{
    tariff t;
    tariff_defaults(&t, INT64_MAX);
    money_t out = 5;
    ck_assert(!tariff_cost(&t, 120, MONEY_ROUND_DOWN, &out)); /* 2 x INT64_MAX */
    ck_assert(!tariff_cost(&t, -1, MONEY_ROUND_DOWN, &out));
    tariff_defaults(&t, 60);
    t.connection_fee = INT64_MAX;
    ck_assert(!tariff_cost(&t, 60, MONEY_ROUND_DOWN, &out)); /* fee + 60 */
    ck_assert_int_eq(out, 5);
}
END_TEST

START_TEST(test_rating_a_call_end_to_end)
{
    /* 30/6 at 0.0123/min, fee 0.01, answered 37.2 s: d = 38, billed =
     * 30 + ceil(8/6)=2 *6 = 42, usage = 12300 * 42 / 60 = 8610 exactly,
     * cost = 10000 + 8610 = 18610. */
    tariff t = scheme(30, 6, 0);
    t.rate = 12300;
    t.connection_fee = 10000;
    int64_t answer = 1795000000LL * SEC;
    int64_t d = tariff_call_duration(true, answer, answer + 37 * SEC + 200000);
    ck_assert_int_eq(d, 38);
    int64_t billed = tariff_billed_duration(&t, d);
    ck_assert_int_eq(billed, 42);
    money_t c;
    ck_assert(tariff_cost(&t, billed, MONEY_ROUND_UP, &c));
    ck_assert_int_eq(c, 18610);
}
END_TEST

START_TEST(test_normalise_strips_one_plus_or_double_zero)
{
    char out[TARIFF_NUMBER_MAX + 1];
    ck_assert(tariff_normalise_number("+447700900123", out, sizeof out));
    ck_assert_str_eq(out, "447700900123");
    ck_assert(tariff_normalise_number("00447700900123", out, sizeof out));
    ck_assert_str_eq(out, "447700900123");
    ck_assert(tariff_normalise_number("447700900123", out, sizeof out));
    ck_assert_str_eq(out, "447700900123");
    ck_assert(tariff_normalise_number("+0044", out, sizeof out)); /* only one of them */
    ck_assert_str_eq(out, "0044");
    ck_assert(tariff_normalise_number("0", out, sizeof out));
    ck_assert_str_eq(out, "0");
}
END_TEST

START_TEST(test_normalise_takes_fifteen_and_twenty_four_digits)
{
    char out[TARIFF_NUMBER_MAX + 1];
    ck_assert(tariff_normalise_number("+123456789012345", out, sizeof out));
    ck_assert_str_eq(out, "123456789012345");
    ck_assert(tariff_normalise_number("123456789012345678901234", out, sizeof out));
    ck_assert_str_eq(out, "123456789012345678901234");
}
END_TEST

START_TEST(test_normalise_refuses_bad_numbers_and_leaves_output)
{
    static const char *const bad[] = { "", "+", "00", "+00+", "44 77", "44-77", "abc", "+-44",
                                       "1234567890123456789012345" /* 25 digits */ };
    char out[TARIFF_NUMBER_MAX + 1] = "keep";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!tariff_normalise_number(bad[i], out, sizeof out), "accepted \"%s\"", bad[i]);
    ck_assert(!tariff_normalise_number(NULL, out, sizeof out));
    ck_assert_str_eq(out, "keep");
    char small[8];
    ck_assert(!tariff_normalise_number("44", small, sizeof small)); /* buffer below the contract */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("tariff");
    TCase *tc = tcase_create("tariff");
    tcase_add_test(tc, test_defaults_are_one_one_no_minimum_no_fee);
    tcase_add_test(tc, test_duration_rounds_partial_seconds_up);
    tcase_add_test(tc, test_duration_is_zero_when_unanswered_or_not_after_answer);
    tcase_add_test(tc, test_billed_is_zero_for_zero_duration_even_with_minimum);
    tcase_add_test(tc, test_billed_at_d_equal_to_initial_increment);
    tcase_add_test(tc, test_billed_at_d_one_past_initial_increment);
    tcase_add_test(tc, test_billed_sixty_sixty);
    tcase_add_test(tc, test_billed_thirty_six);
    tcase_add_test(tc, test_billed_one_one);
    tcase_add_test(tc, test_billed_minimum_above_duration);
    tcase_add_test(tc, test_billed_refuses_invalid_tariff_or_negative_duration);
    tcase_add_test(tc, test_cost_half_micro_unit_in_each_rounding);
    tcase_add_test(tc, test_cost_below_half_micro_unit_in_each_rounding);
    tcase_add_test(tc, test_cost_exact_amounts_need_no_rounding);
    tcase_add_test(tc, test_cost_adds_connection_fee_on_answered_calls_only);
    tcase_add_test(tc, test_cost_refuses_overflow_and_negative_billed);
    tcase_add_test(tc, test_rating_a_call_end_to_end);
    tcase_add_test(tc, test_normalise_strips_one_plus_or_double_zero);
    tcase_add_test(tc, test_normalise_takes_fifteen_and_twenty_four_digits);
    tcase_add_test(tc, test_normalise_refuses_bad_numbers_and_leaves_output);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
