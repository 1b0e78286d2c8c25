/* The Open Exchange Rates answer scanner (server/fx/oxr.c) and the FX
 * schedule helpers (server/fx/fx.c): rates are read as the decimal text
 * the provider sent, never through a double; malformed rates are skipped
 * and counted; garbage bodies are refused as a whole. Every body is parsed
 * from an exact-size heap copy, so the sanitizers catch any read past its
 * end. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fx/fx.h"
#include "fx/oxr.h"
#include "suite.h"

/* Parse text (its strlen bytes, not NUL-terminated in the copy). */
static oxr_status parse(const char *text, oxr_latest *l, char *why, size_t n)
{
    size_t len = strlen(text);
    char *copy = malloc(len ? len : 1);
    memcpy(copy, text, len);
    oxr_status st = oxr_parse_latest(copy, len, l, why, n);
    free(copy);
    return st;
}

static const char *rate_of(const oxr_latest *l, const char *code)
{
    for (size_t i = 0; i < l->count; i++)
        if (!strcmp(l->rates[i].code, code))
            return l->rates[i].per_usd;
    return NULL;
}

static void assert_garbage(const char *text, const char *why_part)
{
    oxr_latest l;
    char why[96] = "";
    ck_assert_msg(parse(text, &l, why, sizeof why) == OXR_GARBAGE, "accepted: %s", text);
    ck_assert_msg(strstr(why, why_part) != NULL, "for %s: \"%s\" lacks \"%s\"", text, why, why_part);
    ck_assert_ptr_null(l.rates);
    ck_assert_uint_eq(l.count, 0);
}

static const char real_answer[] =
    "{\n"
    "  \"disclaimer\": \"Usage subject to terms: https://openexchangerates.org/terms\",\n"
    "  \"license\": \"https://openexchangerates.org/license\",\n"
    "  \"timestamp\": 1700000000,\n"
    "  \"base\": \"USD\",\n"
    "  \"rates\": {\n"
    "    \"AED\": 3.6731,\n"
    "    \"BTC\": 0.000026852453,\n"
    "    \"EUR\": 0.921187,\n"
    "    \"GBP\": 0.802744,\n"
    "    \"JPY\": 151.0835,\n"
    "    \"KWD\": 0.308012345678,\n"
    "    \"USD\": 1,\n"
    "    \"VND\": 24270\n"
    "  }\n"
    "}\n";

START_TEST(test_a_real_answer_gives_every_rate_as_sent)
{
    oxr_latest l;
    char why[96];
    ck_assert_int_eq(parse(real_answer, &l, why, sizeof why), OXR_OK);
    ck_assert_int_eq(l.timestamp, 1700000000);
    ck_assert_uint_eq(l.count, 8);
    ck_assert_uint_eq(l.rejected, 0);
    ck_assert_str_eq(l.first_rejected, "");
    ck_assert_str_eq(rate_of(&l, "AED"), "3.6731");
    ck_assert_str_eq(rate_of(&l, "EUR"), "0.921187");
    ck_assert_str_eq(rate_of(&l, "KWD"), "0.308012345678");   /* 12 decimals, exactly */
    ck_assert_str_eq(rate_of(&l, "BTC"), "0.000026852453");
    ck_assert_str_eq(rate_of(&l, "JPY"), "151.0835");
    ck_assert_str_eq(rate_of(&l, "VND"), "24270");
    ck_assert_str_eq(rate_of(&l, "USD"), "1");
    ck_assert_str_eq(l.rates[0].code, "AED");                 /* body order */
    oxr_latest_free(&l);
    ck_assert_ptr_null(l.rates);
}
END_TEST

START_TEST(test_exponents_and_trailing_zeros_become_plain_decimals)
{
    oxr_latest l;
    ck_assert_int_eq(parse("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"SEK\":1.0501e1,\"EUR\":9.21187E-1,"
                           "\"CHF\":0.88000,\"JPY\":1.5e+2,\"XAU\":5e-4,\"IDR\":15600.0}}", &l, NULL, 0), OXR_OK);
    ck_assert_uint_eq(l.count, 6);
    ck_assert_str_eq(rate_of(&l, "SEK"), "10.501");
    ck_assert_str_eq(rate_of(&l, "EUR"), "0.921187");
    ck_assert_str_eq(rate_of(&l, "CHF"), "0.88");
    ck_assert_str_eq(rate_of(&l, "JPY"), "150");
    ck_assert_str_eq(rate_of(&l, "XAU"), "0.0005");
    ck_assert_str_eq(rate_of(&l, "IDR"), "15600");
    oxr_latest_free(&l);
}
END_TEST

START_TEST(test_malformed_rates_are_skipped_and_counted)
{
    oxr_latest l;
    ck_assert_int_eq(parse("{\"timestamp\":1700000000,\"base\":\"USD\",\"rates\":{"
                           "\"EUR\":0.92,"
                           "\"ZERO\":1,"                 /* not a code */
                           "\"eur\":1,"                  /* not a code */
                           "\"GBP\":\"0.8\","            /* a string, not a number */
                           "\"CHF\":null,"
                           "\"NOK\":0,"                  /* not positive */
                           "\"SEK\":-10.5,"
                           "\"KWD\":0.3080123456789,"    /* 13 decimals */
                           "\"VES\":1000000000,"         /* absurd */
                           "\"JPY\":{\"nested\":[1,2]},"
                           "\"AUD\":1.52}}", &l, NULL, 0), OXR_OK);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_uint_eq(l.rejected, 9);
    ck_assert_str_eq(rate_of(&l, "EUR"), "0.92");
    ck_assert_str_eq(rate_of(&l, "AUD"), "1.52");
    ck_assert_str_eq(l.first_rejected, "ZERO: not a currency code");
    oxr_latest_free(&l);
}
END_TEST

START_TEST(test_a_currency_given_twice_is_dropped_altogether)
{
    oxr_latest l;
    ck_assert_int_eq(parse("{\"timestamp\":5,\"base\":\"USD\",\"rates\":{\"EUR\":0.92,\"GBP\":0.8,\"EUR\":0.93}}",
                           &l, NULL, 0), OXR_OK);
    ck_assert_uint_eq(l.count, 1);
    ck_assert_str_eq(l.rates[0].code, "GBP");
    ck_assert_uint_eq(l.rejected, 2);
    ck_assert_ptr_null(rate_of(&l, "EUR"));
    oxr_latest_free(&l);
}
END_TEST

START_TEST(test_escaped_keys_are_decoded_and_odd_ones_refused)
{
    oxr_latest l;
    ck_assert_int_eq(parse("{\"timestamp\":5,\"b\\u0061se\":\"USD\",\"rates\":{\"E\\u0055R\":0.9,"
                           "\"\\u00e9UR\":1,\"A\\nB\":2,\"GBP\":0.8},\"note\":\"a \\\"rates\\\": {} inside\"}",
                           &l, NULL, 0), OXR_OK);
    ck_assert_uint_eq(l.count, 2);
    ck_assert_str_eq(rate_of(&l, "EUR"), "0.9");
    ck_assert_uint_eq(l.rejected, 2);
    ck_assert_str_eq(l.first_rejected, "?UR: not a currency code"); /* shown printable */
    oxr_latest_free(&l);
}
END_TEST

START_TEST(test_garbage_bodies_are_refused_as_a_whole)
{
    assert_garbage("", "empty");
    assert_garbage("   \n", "empty");
    assert_garbage("null", "not a JSON object");
    assert_garbage("[]", "not a JSON object");
    assert_garbage("<html><body>502 Bad Gateway</body></html>", "not a JSON object");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":0.9}", "malformed");   /* cut short */
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":0.9}} x", "after the JSON");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":0.9,}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":.9}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":01}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":0.9 0.8}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":1e}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":NaN}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":tru}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"x\":\"tab\tinside\",\"rates\":{\"EUR\":1}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"x\":\"\\q\",\"rates\":{\"EUR\":1}}", "malformed");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"x\":\"\\u12\",\"rates\":{\"EUR\":1}}", "malformed");
    assert_garbage("{\"base\":\"USD\",\"rates\":{\"EUR\":0.9}}", "no timestamp");
    assert_garbage("{\"timestamp\":1,\"rates\":{\"EUR\":0.9}}", "no base");
    assert_garbage("{\"timestamp\":1,\"base\":\"EUR\",\"rates\":{\"USD\":1.08}}", "base is not USD");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\"}", "no rates");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":[1,2]}", "rates is not an object");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{}}", "no usable rate");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":-1,\"GBP\":\"x\"}}", "no usable rate");
    assert_garbage("{\"timestamp\":1.5,\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "whole number");
    assert_garbage("{\"timestamp\":-7,\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "whole number");
    assert_garbage("{\"timestamp\":0,\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "not positive");
    assert_garbage("{\"timestamp\":\"1700000000\",\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "not a number");
    assert_garbage("{\"timestamp\":99999999999999,\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "out of range");
    assert_garbage("{\"timestamp\":1,\"timestamp\":2,\"base\":\"USD\",\"rates\":{\"EUR\":1}}", "twice");
    assert_garbage("{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":1},\"rates\":{\"EUR\":2}}", "twice");
    assert_garbage("{\"error\":true,\"status\":401,\"message\":\"invalid_app_id\",\"description\":\"Invalid\"}",
                   "an error answer");
}
END_TEST

START_TEST(test_nul_bytes_and_deep_nesting_are_refused)
{
    static const char with_nul[] = "{\"timestamp\":1,\"base\":\"US\0D\",\"rates\":{\"EUR\":1}}";
    oxr_latest l;
    char why[96];
    ck_assert_int_eq(oxr_parse_latest(with_nul, sizeof with_nul - 1, &l, why, sizeof why), OXR_GARBAGE);
    static const char nul_after[] = "{\"timestamp\":1,\"base\":\"USD\",\"rates\":{\"EUR\":1}}\0";
    ck_assert_int_eq(oxr_parse_latest(nul_after, sizeof nul_after - 1, &l, why, sizeof why), OXR_GARBAGE);
    ck_assert_int_eq(oxr_parse_latest(NULL, 0, &l, why, sizeof why), OXR_GARBAGE);

    /* OXR_MAX_DEPTH levels inside "x" are fine; one more is not. */
    char body[512];
    for (int depth = OXR_MAX_DEPTH - 1; depth <= OXR_MAX_DEPTH; depth++) {
        int k = snprintf(body, sizeof body, "{\"timestamp\":1,\"base\":\"USD\",\"x\":");
        for (int i = 0; i < depth; i++)
            body[k++] = '[';
        for (int i = 0; i < depth; i++)
            body[k++] = ']';
        snprintf(body + k, sizeof body - (size_t)k, ",\"rates\":{\"EUR\":1}}");
        oxr_status st = parse(body, &l, why, sizeof why);
        ck_assert_int_eq(st, depth < OXR_MAX_DEPTH ? OXR_OK : OXR_GARBAGE);
        oxr_latest_free(&l);
    }
    /* Very deep input ends at the limit, not at the stack's end. */
    size_t n = 200000;
    char *deep = malloc(n);
    memcpy(deep, "{\"x\":", 5);
    memset(deep + 5, '[', n - 5);
    ck_assert_int_eq(oxr_parse_latest(deep, n, &l, why, sizeof why), OXR_GARBAGE);
    free(deep);
}
END_TEST

START_TEST(test_more_rates_than_the_limit_is_garbage)
{
    size_t cap = 16 * (OXR_MAX_RATES + 2) + 128;
    char *body = malloc(cap);
    size_t k = (size_t)snprintf(body, cap, "{\"timestamp\":1,\"base\":\"USD\",\"rates\":{");
    for (int i = 0; i <= OXR_MAX_RATES; i++)
        k += (size_t)snprintf(body + k, cap - k, "%s\"%c%c%c\":1", i ? "," : "", 'A' + i / 676 % 26,
                              'A' + i / 26 % 26, 'A' + i % 26);
    k += (size_t)snprintf(body + k, cap - k, "}}");
    oxr_latest l;
    char why[96];
    ck_assert_int_eq(oxr_parse_latest(body, k, &l, why, sizeof why), OXR_GARBAGE);
    ck_assert_str_eq(why, "more than 1024 rates");
    /* exactly the limit is fine */
    char last[16];
    snprintf(last, sizeof last, ",\"%c%c%c\":1", 'A' + OXR_MAX_RATES / 676 % 26, 'A' + OXR_MAX_RATES / 26 % 26,
             'A' + OXR_MAX_RATES % 26);
    char *cut = strstr(body, last);  /* the rate one over the limit */
    ck_assert_ptr_nonnull(cut);
    memcpy(cut, "}}", 3);
    ck_assert_int_eq(oxr_parse_latest(body, strlen(body), &l, why, sizeof why), OXR_OK);
    ck_assert_uint_eq(l.count, OXR_MAX_RATES);
    oxr_latest_free(&l);
    free(body);
}
END_TEST

static const char *norm(const char *text, bool exponent)
{
    static char out[OXR_RATE_TEXT_MAX];
    oxr_num_status st = oxr_rate_normalize(text, strlen(text), exponent, out, sizeof out);
    return st == OXR_NUM_OK ? out : oxr_num_message(st);
}

START_TEST(test_rate_text_normalisation)
{
    ck_assert_str_eq(norm("0.921187", true), "0.921187");
    ck_assert_str_eq(norm("1", true), "1");
    ck_assert_str_eq(norm("1.000000000001", true), "1.000000000001");
    ck_assert_str_eq(norm("999999999.999999999999", true), "999999999.999999999999");
    ck_assert_str_eq(norm("1e-12", true), "0.000000000001");
    ck_assert_str_eq(norm("123e-14", true), "more than 12 decimals");
    ck_assert_str_eq(norm("1e-13", true), "more than 12 decimals");
    ck_assert_str_eq(norm("0.0000000000001", true), "more than 12 decimals");
    ck_assert_str_eq(norm("1e9", true), "not below 1000000000");
    ck_assert_str_eq(norm("1000000000", true), "not below 1000000000");
    ck_assert_str_eq(norm("999999999e0", true), "999999999");
    ck_assert_str_eq(norm("1e99999999999999999999", true), "not below 1000000000");
    ck_assert_str_eq(norm("1e-99999999999999999999", true), "more than 12 decimals");
    ck_assert_str_eq(norm("0e5", true), "not a positive number");
    ck_assert_str_eq(norm("0", true), "not a positive number");
    ck_assert_str_eq(norm("-0.0", true), "not a positive number");
    ck_assert_str_eq(norm("-1", true), "not a positive number");
    ck_assert_str_eq(norm("01", true), "not a decimal number");
    ck_assert_str_eq(norm("+1", true), "not a decimal number");
    ck_assert_str_eq(norm(".5", true), "not a decimal number");
    ck_assert_str_eq(norm("5.", true), "not a decimal number");
    ck_assert_str_eq(norm("1.2.3", true), "not a decimal number");
    ck_assert_str_eq(norm("", true), "not a decimal number");
    ck_assert_str_eq(norm("0x10", true), "not a decimal number");
    /* the plain form fx.set takes: no sign, no exponent, leading zeros allowed */
    ck_assert_str_eq(norm("0.900", false), "0.9");
    ck_assert_str_eq(norm("007.5", false), "7.5");
    ck_assert_str_eq(norm("1e5", false), "not a decimal number");
    ck_assert_str_eq(norm("-1", false), "not a decimal number");
    ck_assert_str_eq(norm(" 1", false), "not a decimal number");
    ck_assert_str_eq(norm("1,5", false), "not a decimal number");
    char small[8];
    ck_assert_int_eq(oxr_rate_normalize("1", 1, false, small, sizeof small), OXR_NUM_SYNTAX); /* out too small */
}
END_TEST

START_TEST(test_refresh_buckets_and_periods)
{
    char key[64];
    /* 1700000000 = 2023-11-14T22:13:20Z */
    ck_assert_int_eq(fx_refresh_bucket(1700000000, 60, key, sizeof key), 1699999200);
    ck_assert_str_eq(key, "fx.refresh:2023-11-14T22:00Z");
    ck_assert_int_eq(fx_refresh_bucket(1700000000, 1, key, sizeof key), 1699999980);
    ck_assert_str_eq(key, "fx.refresh:2023-11-14T22:13Z");
    ck_assert_int_eq(fx_refresh_bucket(1700000000, 1440, key, sizeof key), 1699920000);
    ck_assert_str_eq(key, "fx.refresh:2023-11-14T00:00Z");
    ck_assert_int_eq(fx_refresh_bucket(1700000000, 0, key, sizeof key), -1);

    char p[8];
    fx_previous_period(1700000000, p, sizeof p);
    ck_assert_str_eq(p, "2023-10");
    fx_previous_period(1704067200, p, sizeof p);           /* 2024-01-01T00:00:00Z */
    ck_assert_str_eq(p, "2023-12");
    fx_previous_period(1704067199, p, sizeof p);           /* one second earlier */
    ck_assert_str_eq(p, "2023-11");

    ck_assert_ptr_null(fx_period_problem("2023-11", 1700000000));
    ck_assert_ptr_null(fx_period_problem("2023-10", 1700000000));
    ck_assert_str_eq(fx_period_problem("2023-12", 1700000000), "must be a month that has started");
    ck_assert_ptr_nonnull(fx_period_problem("2023-13", 1700000000));
    ck_assert_ptr_nonnull(fx_period_problem("2023-00", 1700000000));
    ck_assert_ptr_nonnull(fx_period_problem("2023-1", 1700000000));
    ck_assert_ptr_nonnull(fx_period_problem("2023/11", 1700000000));
    ck_assert_ptr_nonnull(fx_period_problem("abcd-ef", 1700000000));
    ck_assert_ptr_nonnull(fx_period_problem(NULL, 1700000000));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("oxr");
    TCase *tc = tcase_create("oxr");
    tcase_add_test(tc, test_a_real_answer_gives_every_rate_as_sent);
    tcase_add_test(tc, test_exponents_and_trailing_zeros_become_plain_decimals);
    tcase_add_test(tc, test_malformed_rates_are_skipped_and_counted);
    tcase_add_test(tc, test_a_currency_given_twice_is_dropped_altogether);
    tcase_add_test(tc, test_escaped_keys_are_decoded_and_odd_ones_refused);
    tcase_add_test(tc, test_garbage_bodies_are_refused_as_a_whole);
    tcase_add_test(tc, test_nul_bytes_and_deep_nesting_are_refused);
    tcase_add_test(tc, test_more_rates_than_the_limit_is_garbage);
    tcase_add_test(tc, test_rate_text_normalisation);
    tcase_add_test(tc, test_refresh_buckets_and_periods);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
