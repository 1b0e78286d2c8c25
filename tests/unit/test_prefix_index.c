/* The prefix index: longest prefix among rows effective at the call's start
 * and matching its time classes. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prefix_index.h"
#include "suite.h"

#define SEC 1000000LL
#define T0 (1795392000LL * SEC) /* 2026-11-23T00:00:00Z */
#define DAY (86400LL * SEC)

static rate_row row(const char *prefix, const char *dest, money_t rate, int64_t from, int64_t to)
{
    rate_row r;
    memset(&r, 0, sizeof r);
    r.prefix = prefix;
    r.destination = dest;
    tariff_defaults(&r.t, rate);
    r.effective_from = from;
    r.effective_to = to;
    return r;
}

static prefix_index *build(const rate_row *rows, size_t n)
{
    prefix_index *ix = prefix_index_build(rows, n);
    ck_assert_ptr_nonnull(ix);
    return ix;
}

/* The matched prefix length, or -1 when nothing matched. */
static int match_len(const prefix_index *ix, const char *digits, int64_t at, uint32_t classes, rate_match *m)
{
    return prefix_index_lookup(ix, digits, at, classes, m) ? m->prefix_len : -1;
}

START_TEST(test_longest_of_overlapping_prefixes_wins)
{
    rate_row rows[] = {
        row("4477", "UK Mobile Vodafone", 300000, 0, RATE_OPEN_END),
        row("44", "UK", 100000, 0, RATE_OPEN_END),
        row("447", "UK Mobile", 200000, 0, RATE_OPEN_END),
    };
    rows[0].row_id = 3;
    rows[1].row_id = 1;
    rows[2].row_id = 2;
    prefix_index *ix = build(rows, 3);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "447712345678", T0, 0, &m), 4);
    ck_assert_int_eq(m.t.rate, 300000);
    ck_assert_str_eq(m.destination, "UK Mobile Vodafone");
    ck_assert_int_eq(m.row_id, 3);
    ck_assert_int_eq(match_len(ix, "447812345678", T0, 0, &m), 3);
    ck_assert_int_eq(m.t.rate, 200000);
    ck_assert_int_eq(match_len(ix, "442071234567", T0, 0, &m), 2);
    ck_assert_int_eq(m.t.rate, 100000);
    ck_assert_int_eq(m.row_id, 1);
    ck_assert_int_eq(match_len(ix, "4477", T0, 0, &m), 4);  /* the prefix itself */
    ck_assert_int_eq(match_len(ix, "44", T0, 0, &m), 2);    /* shorter than the bucket */
    ck_assert_int_eq(match_len(ix, "4", T0, 0, &m), -1);
    ck_assert_int_eq(match_len(ix, "33123456789", T0, 0, &m), -1);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_expired_longer_prefix_falls_back_to_shorter)
{
    rate_row rows[] = {
        row("44", "UK", 100000, 0, RATE_OPEN_END),
        row("447", "UK Mobile", 200000, 0, RATE_OPEN_END),
        row("4477", "UK Mobile Vodafone", 300000, 0, T0),
    };
    prefix_index *ix = build(rows, 3);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "447712345678", T0 - 1, 0, &m), 4);
    ck_assert_int_eq(match_len(ix, "447712345678", T0, 0, &m), 3);
    ck_assert_int_eq(m.t.rate, 200000);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_effective_to_at_start_time_is_not_matched)
{
    rate_row rows[] = { row("49", "Germany", 50000, T0 - DAY, T0) };
    prefix_index *ix = build(rows, 1);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "4930123456", T0 - 1, 0, &m), 2);
    ck_assert_int_eq(match_len(ix, "4930123456", T0, 0, &m), -1);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_effective_from_at_start_time_is_matched)
{
    rate_row rows[] = { row("49", "Germany", 50000, T0, RATE_OPEN_END) };
    prefix_index *ix = build(rows, 1);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "4930123456", T0, 0, &m), 2);
    ck_assert_int_eq(m.effective_from, T0);
    ck_assert_int_eq(m.effective_to, RATE_OPEN_END);
    ck_assert_int_eq(match_len(ix, "4930123456", T0 - 1, 0, &m), -1);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_latest_effective_from_wins_at_one_prefix)
{
    rate_row rows[] = {
        row("33", "France old", 10000, T0 - 10 * DAY, RATE_OPEN_END),
        row("33", "France new", 20000, T0, RATE_OPEN_END),
    };
    prefix_index *ix = build(rows, 2);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "33612345678", T0 - 1, 0, &m), 2);
    ck_assert_int_eq(m.t.rate, 10000);
    ck_assert_int_eq(match_len(ix, "33612345678", T0, 0, &m), 2);
    ck_assert_int_eq(m.t.rate, 20000);
    ck_assert_str_eq(m.destination, "France new");
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_time_class_row_beats_class_zero_row)
{
    rate_row rows[] = {
        row("1", "USA", 10000, 0, RATE_OPEN_END),
        row("1", "USA peak", 15000, 0, RATE_OPEN_END),
        row("1", "USA weekend", 5000, 0, RATE_OPEN_END),
    };
    rows[1].time_class = 1;
    rows[2].time_class = 3;
    prefix_index *ix = build(rows, 3);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 1u << 1, &m), 1);
    ck_assert_int_eq(m.t.rate, 15000);
    ck_assert_int_eq(m.time_class, 1);
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 1u << 3, &m), 1);
    ck_assert_int_eq(m.t.rate, 5000);
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 1u << 2, &m), 1); /* no row of class 2 */
    ck_assert_int_eq(m.t.rate, 10000);
    ck_assert_int_eq(m.time_class, 0);
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 0, &m), 1);
    ck_assert_int_eq(m.t.rate, 10000);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_class_row_only_matches_when_its_class_is_active)
{
    rate_row rows[] = {
        row("1", "USA", 10000, 0, RATE_OPEN_END),
        row("1212", "New York peak", 15000, 0, RATE_OPEN_END),
    };
    rows[1].time_class = 1;
    prefix_index *ix = build(rows, 2);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 1u << 1, &m), 4);
    ck_assert_int_eq(match_len(ix, "12125551234", T0, 1u << 2, &m), 1); /* falls back */
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_blocked_flag_and_limits_are_reported)
{
    rate_row rows[] = {
        row("88216", "Satellite", 5000000, 0, RATE_OPEN_END),
        row("8821", "Satellite other", 4000000, 0, RATE_OPEN_END),
    };
    rows[0].blocked = true;
    rows[0].min_length = 10;
    rows[0].max_length = 15;
    prefix_index *ix = build(rows, 2);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "882161234567", T0, 0, &m), 5);
    ck_assert(m.blocked);
    ck_assert_int_eq(m.min_length, 10);
    ck_assert_int_eq(m.max_length, 15);
    ck_assert_int_eq(match_len(ix, "882171234567", T0, 0, &m), 4);
    ck_assert(!m.blocked);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_fifteen_and_twenty_four_digit_numbers)
{
    rate_row rows[] = {
        row("123456789012345", "fifteen", 15, 0, RATE_OPEN_END),
        row("12345678901234", "fourteen", 14, 0, RATE_OPEN_END),
        row("1234567890123456", "sixteen", 16, 0, RATE_OPEN_END),
        row("12345678901234567", "seventeen", 17, 0, RATE_OPEN_END),
        row("123456789012345678901234", "twenty-four", 24, 0, RATE_OPEN_END),
        row("12345678901234567890123", "twenty-three", 23, 0, RATE_OPEN_END),
    };
    prefix_index *ix = build(rows, 6);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "123456789012345", T0, 0, &m), 15);
    ck_assert_int_eq(match_len(ix, "123456789012349", T0, 0, &m), 14);
    ck_assert_int_eq(match_len(ix, "1234567890123456", T0, 0, &m), 16);
    ck_assert_int_eq(match_len(ix, "12345678901234569", T0, 0, &m), 16);
    ck_assert_int_eq(match_len(ix, "123456789012345678", T0, 0, &m), 17);
    ck_assert_int_eq(match_len(ix, "123456789012345678901234", T0, 0, &m), 24);
    ck_assert_int_eq(match_len(ix, "123456789012345678901239", T0, 0, &m), 23);
    ck_assert_int_eq(match_len(ix, "1234567890123456789012345", T0, 0, &m), -1); /* 25 digits */
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_normalised_plus_and_double_zero_numbers_match)
{
    rate_row rows[] = { row("4477", "UK Mobile Vodafone", 300000, 0, RATE_OPEN_END) };
    prefix_index *ix = build(rows, 1);
    char digits[TARIFF_NUMBER_MAX + 1];
    rate_match m;
    ck_assert(tariff_normalise_number("+447712345678", digits, sizeof digits));
    ck_assert_int_eq(match_len(ix, digits, T0, 0, &m), 4);
    ck_assert(tariff_normalise_number("00447712345678", digits, sizeof digits));
    ck_assert_int_eq(match_len(ix, digits, T0, 0, &m), 4);
    ck_assert_int_eq(match_len(ix, "+447712345678", T0, 0, &m), -1); /* lookup wants digits */
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_tariff_of_the_row_is_returned_whole)
{
    rate_row rows[] = { row("234", "Nigeria", 123456, 0, RATE_OPEN_END) };
    rows[0].t.connection_fee = 10000;
    rows[0].t.initial_increment = 30;
    rows[0].t.subsequent_increment = 6;
    rows[0].t.min_duration = 10;
    prefix_index *ix = build(rows, 1);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "2348031234567", T0, 0, &m), 3);
    ck_assert_int_eq(m.t.rate, 123456);
    ck_assert_int_eq(m.t.connection_fee, 10000);
    ck_assert_int_eq(m.t.initial_increment, 30);
    ck_assert_int_eq(m.t.subsequent_increment, 6);
    ck_assert_int_eq(m.t.min_duration, 10);
    prefix_index_free(ix);
}
END_TEST

START_TEST(test_build_refuses_invalid_prefix_or_class)
{
    rate_row bad[] = { row("44a", "x", 1, 0, RATE_OPEN_END) };
    ck_assert_ptr_null(prefix_index_build(bad, 1));
    rate_row empty[] = { row("", "x", 1, 0, RATE_OPEN_END) };
    ck_assert_ptr_null(prefix_index_build(empty, 1));
    rate_row too_long[] = { row("1234567890123456789012345", "x", 1, 0, RATE_OPEN_END) };
    ck_assert_ptr_null(prefix_index_build(too_long, 1));
    rate_row cls[] = { row("44", "x", 1, 0, RATE_OPEN_END) };
    cls[0].time_class = 32;
    ck_assert_ptr_null(prefix_index_build(cls, 1));
}
END_TEST

START_TEST(test_empty_index_matches_nothing)
{
    prefix_index *ix = build(NULL, 0);
    rate_match m;
    ck_assert_int_eq(match_len(ix, "44", T0, 0, &m), -1);
    ck_assert_uint_eq(prefix_index_rows(ix), 0);
    ck_assert_uint_gt(prefix_index_memory(ix), 0);
    prefix_index_free(ix);
}
END_TEST

/* A brute-force reference: scan every row. */
static int reference(const rate_row *rows, size_t n, const char *num, int64_t at, uint32_t classes)
{
    int best = -1, best_len = -1;
    for (size_t i = 0; i < n; i++) {
        const rate_row *r = &rows[i];
        size_t len = strlen(r->prefix);
        if (strncmp(r->prefix, num, len) != 0 || at < r->effective_from || at >= r->effective_to)
            continue;
        if (r->time_class && !(classes >> r->time_class & 1))
            continue;
        if ((int)len > best_len) {
            best = (int)i;
            best_len = (int)len;
            continue;
        }
        if ((int)len < best_len)
            continue;
        const rate_row *b = &rows[best];
        bool rc = r->time_class != 0, bc = b->time_class != 0;
        if (rc != bc ? rc
                     : r->effective_from != b->effective_from ? r->effective_from > b->effective_from
                                                              : r->time_class < b->time_class)
            best = (int)i;
    }
    return best;
}

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

START_TEST(test_agrees_with_a_linear_scan_on_a_dense_random_deck)
{
    /* Digits 0..2 only and lengths 1..8, so prefixes nest deeply and
     * buckets (the first five digits) hold many neighbours. */
    enum { ROWS = 3000, LOOKUPS = 8000 };
    static char prefixes[ROWS][12];
    rate_row *rows = calloc(ROWS, sizeof *rows);
    for (int i = 0; i < ROWS; i++) {
        int len = 1 + (int)rnd(8);
        for (int k = 0; k < len; k++)
            prefixes[i][k] = (char)('0' + rnd(3));
        prefixes[i][len] = '\0';
        rows[i] = row(prefixes[i], "", (money_t)i, (int64_t)rnd(4) * DAY, RATE_OPEN_END);
        if (rnd(4) == 0)
            rows[i].effective_to = rows[i].effective_from + (int64_t)(1 + rnd(3)) * DAY;
        if (rnd(5) == 0)
            rows[i].time_class = (uint8_t)(1 + rnd(3));
        rows[i].row_id = i;
    }
    prefix_index *ix = build(rows, ROWS);
    ck_assert_uint_eq(prefix_index_rows(ix), ROWS);
    for (int q = 0; q < LOOKUPS; q++) {
        char num[16];
        int len = 1 + (int)rnd(12);
        for (int k = 0; k < len; k++)
            num[k] = (char)('0' + rnd(4));
        num[len] = '\0';
        int64_t at = (int64_t)rnd(6) * DAY - (int64_t)rnd(2);
        uint32_t classes = rnd(16) << 1;
        int want = reference(rows, ROWS, num, at, classes);
        rate_match m;
        bool got = prefix_index_lookup(ix, num, at, classes, &m);
        ck_assert_msg(got == (want >= 0), "%s at %lld: found %d, expected %d", num, (long long)at, got, want);
        if (got)
            ck_assert_msg(m.row_id == want, "%s: row %lld, expected %d", num, (long long)m.row_id, want);
    }
    prefix_index_free(ix);
    free(rows);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("prefix_index");
    TCase *tc = tcase_create("prefix_index");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_longest_of_overlapping_prefixes_wins);
    tcase_add_test(tc, test_expired_longer_prefix_falls_back_to_shorter);
    tcase_add_test(tc, test_effective_to_at_start_time_is_not_matched);
    tcase_add_test(tc, test_effective_from_at_start_time_is_matched);
    tcase_add_test(tc, test_latest_effective_from_wins_at_one_prefix);
    tcase_add_test(tc, test_time_class_row_beats_class_zero_row);
    tcase_add_test(tc, test_class_row_only_matches_when_its_class_is_active);
    tcase_add_test(tc, test_blocked_flag_and_limits_are_reported);
    tcase_add_test(tc, test_fifteen_and_twenty_four_digit_numbers);
    tcase_add_test(tc, test_normalised_plus_and_double_zero_numbers_match);
    tcase_add_test(tc, test_tariff_of_the_row_is_returned_whole);
    tcase_add_test(tc, test_build_refuses_invalid_prefix_or_class);
    tcase_add_test(tc, test_empty_index_matches_nothing);
    tcase_add_test(tc, test_agrees_with_a_linear_scan_on_a_dense_random_deck);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
