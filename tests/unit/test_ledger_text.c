/* The money screens' text: statement months, the words for a blocked
 * customer, and entry amounts split into Debit / Credit. Pure strings. */
#include <check.h>
#include <string.h>

#include "ledger_text.h"
#include "suite.h"

/* ---- months ---------------------------------------------------------------- */

START_TEST(test_month_step_back_from_january_is_december_of_last_year)
{
    int y = 2026, m = 1;
    period_month_step(&y, &m, -1);
    ck_assert_int_eq(y, 2025);
    ck_assert_int_eq(m, 12);
}
END_TEST

START_TEST(test_month_step_forward_from_december_is_january_of_next_year)
{
    int y = 2026, m = 12;
    period_month_step(&y, &m, 1);
    ck_assert_int_eq(y, 2027);
    ck_assert_int_eq(m, 1);
}
END_TEST

START_TEST(test_month_step_by_many_months_crosses_years)
{
    int y = 2026, m = 3;
    period_month_step(&y, &m, -27);
    ck_assert_int_eq(y, 2023);
    ck_assert_int_eq(m, 12);
    period_month_step(&y, &m, 27);
    ck_assert_int_eq(y, 2026);
    ck_assert_int_eq(m, 3);
}
END_TEST

START_TEST(test_current_month_statement_has_no_end_so_the_server_ends_it_now)
{
    char from[16], to[16];
    period_month_bounds(2026, 11, 2026, 11, from, sizeof from, to, sizeof to);
    ck_assert_str_eq(from, "2026-11-01");
    ck_assert_str_eq(to, "");
}
END_TEST

START_TEST(test_past_month_statement_ends_on_the_first_of_the_next)
{
    char from[16], to[16];
    period_month_bounds(2025, 12, 2026, 11, from, sizeof from, to, sizeof to);
    ck_assert_str_eq(from, "2025-12-01");
    ck_assert_str_eq(to, "2026-01-01");
}
END_TEST

START_TEST(test_month_names)
{
    char buf[32];
    period_month_name(2026, 11, buf, sizeof buf);
    ck_assert_str_eq(buf, "November 2026");
    period_month_name(2026, 1, buf, sizeof buf);
    ck_assert_str_eq(buf, "January 2026");
    period_month_name(2026, 13, buf, sizeof buf);
    ck_assert_str_eq(buf, "?");
}
END_TEST

/* ---- calls blocked --------------------------------------------------------- */

START_TEST(test_no_block_reads_allowed)
{
    char buf[64];
    ck_assert(!credit_calls_text(NULL, buf, sizeof buf));
    ck_assert_str_eq(buf, "allowed");
    ck_assert(!credit_calls_text("", buf, sizeof buf));
    ck_assert_str_eq(buf, "allowed");
}
END_TEST

START_TEST(test_each_block_reason_reads_blocked_with_words)
{
    char buf[64];
    ck_assert(credit_calls_text("credit", buf, sizeof buf));
    ck_assert_str_eq(buf, "BLOCKED: no credit left");
    ck_assert(credit_calls_text("bilateral_limit", buf, sizeof buf));
    ck_assert_str_eq(buf, "BLOCKED: over the bilateral limit");
    ck_assert(credit_calls_text("spend_limit_24h", buf, sizeof buf));
    ck_assert_str_eq(buf, "BLOCKED: 24 h spend limit reached");
}
END_TEST

START_TEST(test_an_unknown_block_reason_is_shown_as_sent)
{
    char buf[64];
    ck_assert(credit_calls_text("fraud_hold", buf, sizeof buf));
    ck_assert_str_eq(buf, "BLOCKED: fraud_hold");
}
END_TEST

START_TEST(test_calls_text_is_cut_to_a_small_buffer_safely)
{
    char buf[8];
    credit_calls_text("spend_limit_24h", buf, sizeof buf);
    ck_assert_str_eq(buf, "BLOCKED");
}
END_TEST

/* ---- debit / credit -------------------------------------------------------- */

START_TEST(test_positive_amount_is_a_debit)
{
    char d[32], c[32];
    ledger_split_amount("40.000000", d, sizeof d, c, sizeof c);
    ck_assert_str_eq(d, "40.000000");
    ck_assert_str_eq(c, "");
}
END_TEST

START_TEST(test_negative_amount_is_a_credit_without_its_sign)
{
    char d[32], c[32];
    ledger_split_amount("-1234567.890123", d, sizeof d, c, sizeof c);
    ck_assert_str_eq(d, "");
    ck_assert_str_eq(c, "1234567.890123");
}
END_TEST

START_TEST(test_missing_amount_leaves_both_columns_empty)
{
    char d[32] = "x", c[32] = "y";
    ledger_split_amount(NULL, d, sizeof d, c, sizeof c);
    ck_assert_str_eq(d, "");
    ck_assert_str_eq(c, "");
    ledger_split_amount("", d, sizeof d, c, sizeof c);
    ck_assert_str_eq(d, "");
    ck_assert_str_eq(c, "");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ledger_text");
    TCase *months = tcase_create("months");
    tcase_add_test(months, test_month_step_back_from_january_is_december_of_last_year);
    tcase_add_test(months, test_month_step_forward_from_december_is_january_of_next_year);
    tcase_add_test(months, test_month_step_by_many_months_crosses_years);
    tcase_add_test(months, test_current_month_statement_has_no_end_so_the_server_ends_it_now);
    tcase_add_test(months, test_past_month_statement_ends_on_the_first_of_the_next);
    tcase_add_test(months, test_month_names);
    suite_add_tcase(s, months);

    TCase *calls = tcase_create("calls");
    tcase_add_test(calls, test_no_block_reads_allowed);
    tcase_add_test(calls, test_each_block_reason_reads_blocked_with_words);
    tcase_add_test(calls, test_an_unknown_block_reason_is_shown_as_sent);
    tcase_add_test(calls, test_calls_text_is_cut_to_a_small_buffer_safely);
    suite_add_tcase(s, calls);

    TCase *amounts = tcase_create("debit and credit");
    tcase_add_test(amounts, test_positive_amount_is_a_debit);
    tcase_add_test(amounts, test_negative_amount_is_a_credit_without_its_sign);
    tcase_add_test(amounts, test_missing_amount_leaves_both_columns_empty);
    suite_add_tcase(s, amounts);

    return suite_run(s, false);
}
