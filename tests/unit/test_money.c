/* Money: decimal strings <-> int64 micro-units, rounding, no floats. */
#include <check.h>
#include <stdint.h>
#include <string.h>

#include "money.h"
#include "suite.h"

static money_t parse_ok(const char *s)
{
    money_t v = 12345;
    ck_assert_int_eq(money_parse(s, &v), MONEY_OK);
    return v;
}

START_TEST(test_parse_whole_and_fractional_amounts)
{
    ck_assert_int_eq(parse_ok("0"), 0);
    ck_assert_int_eq(parse_ok("12"), 12000000);
    ck_assert_int_eq(parse_ok("0.012"), 12000);
    ck_assert_int_eq(parse_ok("0.000001"), 1);
    ck_assert_int_eq(parse_ok("-12.5"), -12500000);
    ck_assert_int_eq(parse_ok("+3.000001"), 3000001);
    ck_assert_int_eq(parse_ok("007.10"), 7100000);
}
END_TEST

START_TEST(test_parse_limits_of_int64)
{
    ck_assert_int_eq(parse_ok("9223372036854.775807"), INT64_MAX);
    ck_assert_int_eq(parse_ok("-9223372036854.775808"), INT64_MIN);
    money_t v;
    ck_assert_int_eq(money_parse("9223372036854.775808", &v), MONEY_OVERFLOW);
    ck_assert_int_eq(money_parse("-9223372036854.775809", &v), MONEY_OVERFLOW);
    ck_assert_int_eq(money_parse("99999999999999999999", &v), MONEY_OVERFLOW);
}
END_TEST

START_TEST(test_parse_refuses_malformed_text)
{
    static const char *const bad[] = { "", "-", "+", ".5", "12.", "1e3", "1,000", " 1", "1 ",
                                       "0x10", "--1", "1.2.3", "abc", "1.-2", "NaN", "inf" };
    money_t v = 777;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        money_status st = money_parse(bad[i], &v);
        ck_assert_msg(st == MONEY_SYNTAX || st == MONEY_EMPTY, "accepted \"%s\"", bad[i]);
    }
    ck_assert_int_eq(money_parse(NULL, &v), MONEY_EMPTY);
    ck_assert_int_eq(v, 777); /* untouched on failure */
}
END_TEST

START_TEST(test_parse_refuses_more_than_six_decimals)
{
    money_t v;
    ck_assert_int_eq(money_parse("0.0000001", &v), MONEY_TOO_PRECISE);
    ck_assert_int_eq(money_parse("1.1234560", &v), MONEY_TOO_PRECISE);
}
END_TEST

START_TEST(test_format_always_six_decimals)
{
    char b[MONEY_STR_MAX];
    ck_assert_str_eq(money_format(0, b, sizeof b), "0.000000");
    ck_assert_str_eq(money_format(12000, b, sizeof b), "0.012000");
    ck_assert_str_eq(money_format(-1, b, sizeof b), "-0.000001");
    ck_assert_str_eq(money_format(-12500000, b, sizeof b), "-12.500000");
    ck_assert_str_eq(money_format(INT64_MIN, b, sizeof b), "-9223372036854.775808");
    ck_assert_str_eq(money_format(INT64_MAX, b, sizeof b), "9223372036854.775807");
}
END_TEST

START_TEST(test_format_then_parse_round_trips)
{
    static const money_t values[] = { 0, 1, -1, 999999, 1000000, -1000001, 123456789012, INT64_MAX, INT64_MIN };
    char b[MONEY_STR_MAX];
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        money_t back;
        ck_assert_int_eq(money_parse(money_format(values[i], b, sizeof b), &back), MONEY_OK);
        ck_assert_int_eq(back, values[i]);
    }
}
END_TEST

START_TEST(test_muldiv_rounds_as_named)
{
    int64_t out;
    /* 0.012 per minute for 61 s: 0.0122 exactly, in micro-units 12200. */
    ck_assert(money_muldiv(12000, 61, 60, MONEY_ROUND_UP, &out));
    ck_assert_int_eq(out, 12200);
    /* 1 micro * 1 / 3 */
    ck_assert(money_muldiv(1, 1, 3, MONEY_ROUND_UP, &out));
    ck_assert_int_eq(out, 1);
    ck_assert(money_muldiv(1, 1, 3, MONEY_ROUND_DOWN, &out));
    ck_assert_int_eq(out, 0);
    ck_assert(money_muldiv(1, 1, 3, MONEY_ROUND_HALF_UP, &out));
    ck_assert_int_eq(out, 0);
    ck_assert(money_muldiv(1, 1, 2, MONEY_ROUND_HALF_UP, &out));
    ck_assert_int_eq(out, 1);
    /* Negative amounts round by magnitude. */
    ck_assert(money_muldiv(-1, 1, 2, MONEY_ROUND_HALF_UP, &out));
    ck_assert_int_eq(out, -1);
    ck_assert(money_muldiv(-1, 1, 3, MONEY_ROUND_UP, &out));
    ck_assert_int_eq(out, -1);
    ck_assert(money_muldiv(-5, 1, 3, MONEY_ROUND_DOWN, &out));
    ck_assert_int_eq(out, -1);
}
END_TEST

START_TEST(test_muldiv_is_exact_beyond_64_bits)
{
    int64_t out;
    /* INT64_MAX * 60 / 60 needs 70 bits in the middle. */
    ck_assert(money_muldiv(INT64_MAX, 60, 60, MONEY_ROUND_DOWN, &out));
    ck_assert_int_eq(out, INT64_MAX);
    ck_assert(!money_muldiv(INT64_MAX, 2, 1, MONEY_ROUND_DOWN, &out));
    ck_assert(!money_muldiv(1, 1, 0, MONEY_ROUND_DOWN, &out));
}
END_TEST

START_TEST(test_rounding_names_and_add_overflow)
{
    money_rounding r;
    ck_assert(money_rounding_parse("half_up", &r) && r == MONEY_ROUND_HALF_UP);
    ck_assert(money_rounding_parse("up", &r) && r == MONEY_ROUND_UP);
    ck_assert(money_rounding_parse("down", &r) && r == MONEY_ROUND_DOWN);
    ck_assert(!money_rounding_parse("ceil", &r));
    money_t s;
    ck_assert(money_add(1, 2, &s) && s == 3);
    ck_assert(!money_add(INT64_MAX, 1, &s));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("money");
    TCase *tc = tcase_create("money");
    tcase_add_test(tc, test_parse_whole_and_fractional_amounts);
    tcase_add_test(tc, test_parse_limits_of_int64);
    tcase_add_test(tc, test_parse_refuses_malformed_text);
    tcase_add_test(tc, test_parse_refuses_more_than_six_decimals);
    tcase_add_test(tc, test_format_always_six_decimals);
    tcase_add_test(tc, test_format_then_parse_round_trips);
    tcase_add_test(tc, test_muldiv_rounds_as_named);
    tcase_add_test(tc, test_muldiv_is_exact_beyond_64_bits);
    tcase_add_test(tc, test_rounding_names_and_add_overflow);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
