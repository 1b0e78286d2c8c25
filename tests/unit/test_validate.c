/* Validators for carrier data: currencies, IPs and CIDRs, numbers,
 * prefixes, e-mail addresses, time zone names. */
#include <check.h>
#include <stdbool.h>

#include "validate.h"
#include "suite.h"

#define ALL(fn, ...)                                                             \
    do {                                                                         \
        static const char *const v_[] = { __VA_ARGS__ };                        \
        for (size_t i_ = 0; i_ < sizeof v_ / sizeof v_[0]; i_++)                 \
            ck_assert_msg(fn(v_[i_]), #fn " refused \"%s\"", v_[i_]);            \
    } while (0)
#define NONE(fn, ...)                                                            \
    do {                                                                         \
        static const char *const v_[] = { __VA_ARGS__ };                        \
        for (size_t i_ = 0; i_ < sizeof v_ / sizeof v_[0]; i_++)                 \
            ck_assert_msg(!fn(v_[i_]), #fn " accepted \"%s\"", v_[i_]);          \
    } while (0)

START_TEST(test_currencies_are_active_iso_4217_codes)
{
    ALL(valid_currency, "USD", "EUR", "GBP", "JPY", "KWD", "ZAR", "AED", "CHF");
    NONE(valid_currency, "usd", "US", "USDD", "XXX", "ABC", "", "EU1");
    ck_assert(!valid_currency(NULL));
    ck_assert_int_eq(currency_decimals("USD"), 2);
    ck_assert_int_eq(currency_decimals("JPY"), 0);
    ck_assert_int_eq(currency_decimals("KWD"), 3);
    ck_assert_int_eq(currency_decimals("QQQ"), -1);
}
END_TEST

START_TEST(test_ip_addresses_and_cidrs)
{
    ALL(valid_ip_or_cidr, "192.0.2.10", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.128/25", "192.0.2.7/32",
        "2001:db8::1", "2001:db8::/32", "::1", "::/0", "fe80::/10");
    NONE(valid_ip_or_cidr, "", "256.1.1.1", "1.2.3", "1.2.3.4/33", "10.0.0.1/8", "192.0.2.0/", "/24",
         "192.0.2.0/024", "2001:db8::1/129", "2001:db8::1/32", "host.example.com", "1.2.3.4 ", "1.2.3.4/a");
    ALL(valid_ip, "203.0.113.5", "2001:db8::5");
    NONE(valid_ip, "203.0.113.0/24", "x");
}
END_TEST

START_TEST(test_phone_numbers_prefixes_and_tech_prefixes)
{
    ALL(valid_phone_number, "+442071234567", "442071234567", "1", "+123456789012345");
    NONE(valid_phone_number, "", "+", "+1234567890123456", "44 20 7123", "44-20", "abc", "++44");
    ALL(valid_prefix, "44", "1", "4420", "00000000000000000000000000000000");
    NONE(valid_prefix, "", "+44", "44a", "000000000000000000000000000000000");
    ALL(valid_tech_prefix, "123#", "*9", "0001");
    NONE(valid_tech_prefix, "", "12 3", "abc", "12345678901234567");
}
END_TEST

START_TEST(test_email_addresses)
{
    ALL(valid_email, "noc@carrier.example", "first.last+tag@mail.example.co.uk", "a@bc.de");
    NONE(valid_email, "", "plain", "@example.com", "a@", "a@b", "a@b.c", "a b@example.com", "a@@example.com",
         ".a@example.com", "a.@example.com", "a..b@example.com", "a@.example.com", "a@example.com.",
         "a@-example.com", "<a@example.com>");
}
END_TEST

START_TEST(test_time_zone_names)
{
    ALL(valid_timezone_name, "UTC", "Europe/London", "America/Argentina/Buenos_Aires", "Etc/GMT+5");
    NONE(valid_timezone_name, "", "/etc/passwd", "../x", "Europe/../../x", "Europe/", "Europe London", "a;b");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("validate");
    TCase *tc = tcase_create("validate");
    tcase_add_test(tc, test_currencies_are_active_iso_4217_codes);
    tcase_add_test(tc, test_ip_addresses_and_cidrs);
    tcase_add_test(tc, test_phone_numbers_prefixes_and_tech_prefixes);
    tcase_add_test(tc, test_email_addresses);
    tcase_add_test(tc, test_time_zone_names);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
