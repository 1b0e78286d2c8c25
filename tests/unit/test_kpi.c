/* KPI windows of docs/monitoring.md: bucket boundaries, expiry, every
 * figure, the NER mapping, p95 from the histogram, late and far-old
 * events. Times are explicit; every expectation is worked out by hand in
 * the comment beside it. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kpi.h"
#include "suite.h"

#define SEC 1000000LL
/* 2026-11-18T21:30:00Z: a multiple of 1800 s, so the start of a bucket of
 * every window (10 s, 30 s, 1 min, 30 min). */
#define BASE (1795001400LL * SEC)

static kpi_event call(int64_t t, bool answered, int64_t seconds, int32_t cause, int32_t pdd)
{
    return (kpi_event){ .time_usec = t, .answered = answered, .seconds = seconds, .release_cause = cause,
                        .pdd_ms = pdd };
}

static kpi_event attempt(int64_t t)
{
    return call(t, false, 0, 503, -1);
}

static uint64_t attempts(kpi_table *k, const char *id, kpi_window w, int64_t now)
{
    kpi_counts c;
    kpi_get(k, KPI_INTERCONNECT, id, w, now, &c);
    return c.attempts;
}

static void add(kpi_table *k, const char *id, kpi_event e, int64_t now)
{
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, id, &e, now), KPI_ADDED);
}

START_TEST(test_the_5m_window_is_the_current_10s_bucket_and_29_before_it)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE + 299 * SEC;     /* bucket BASE+290..300; window from BASE */
    add(k, "1", attempt(BASE), now);            /* first instant of the window's first bucket */
    add(k, "1", attempt(BASE - 1), now);        /* last microsecond before it */
    add(k, "1", attempt(now), now);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, now), 2);
    ck_assert_uint_eq(attempts(k, "1", KPI_15M, now), 3);
    /* 10 s later the bucket of BASE leaves; the one of `now` stays */
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 300 * SEC), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 589 * SEC), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 590 * SEC), 0);
    kpi_free(k);
}
END_TEST

START_TEST(test_each_window_expires_an_event_after_its_length)
{
    kpi_table *k = kpi_new(NULL);
    add(k, "1", attempt(BASE + 5 * SEC), BASE + 5 * SEC);
    /* the event's bucket starts at BASE in every window (BASE is aligned) */
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 300 * SEC - 1), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 300 * SEC), 0);
    ck_assert_uint_eq(attempts(k, "1", KPI_15M, BASE + 900 * SEC - 1), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_15M, BASE + 900 * SEC), 0);
    ck_assert_uint_eq(attempts(k, "1", KPI_1H, BASE + 3600 * SEC - 1), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_1H, BASE + 3600 * SEC), 0);
    ck_assert_uint_eq(attempts(k, "1", KPI_24H, BASE + 86400 * SEC - 1), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_24H, BASE + 86400 * SEC), 0);
    kpi_free(k);
}
END_TEST

START_TEST(test_a_ring_idle_longer_than_its_window_starts_empty_and_counts_again)
{
    kpi_table *k = kpi_new(NULL);
    for (int i = 0; i < 30; i++)
        add(k, "1", attempt(BASE + i * 10 * SEC), BASE + i * 10 * SEC);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 299 * SEC), 30);
    int64_t later = BASE + 7 * 86400 * SEC;
    add(k, "1", attempt(later), later);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, later), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_24H, later), 1);
    kpi_free(k);
}
END_TEST

START_TEST(test_every_figure_of_four_calls)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE + 60 * SEC;
    add(k, "1", call(BASE, true, 30, 16, 1000), now);   /* answered 30 s, PDD 1 s */
    add(k, "1", call(BASE, true, 4, 16, 3000), now);    /* answered 4 s: short; PDD 3 s */
    add(k, "1", call(BASE, false, 0, 486, 2000), now);  /* busy: counts for NER */
    add(k, "1", call(BASE, false, 0, 503, -1), now);    /* network failure, no PDD */
    kpi_counts c;
    kpi_get(k, KPI_INTERCONNECT, "1", KPI_5M, now, &c);
    ck_assert_uint_eq(c.attempts, 4);
    ck_assert_uint_eq(c.answered, 2);
    ck_assert_uint_eq(c.seconds, 34);
    ck_assert_uint_eq(c.ner, 3);
    ck_assert_uint_eq(c.short_calls, 1);
    ck_assert_uint_eq(c.pdd_n, 3);
    ck_assert_double_eq(kpi_asr(&c), 0.5);          /* 2/4 */
    ck_assert_double_eq(kpi_acd(&c), 17.0);         /* 34/2 */
    ck_assert_double_eq(kpi_ner(&c), 0.75);         /* 3/4 */
    ck_assert_double_eq(kpi_pdd_avg(&c), 2000.0);   /* 6000/3 */
    ck_assert_double_eq(kpi_short_ratio(&c), 0.5);  /* 1 of 2 answered */
    ck_assert_int_eq(kpi_pdd_p95(&c), 3000);        /* ceil(2.85) = 3rd of 3: 3000, bin (2000, 3000] */
    kpi_free(k);
}
END_TEST

START_TEST(test_figures_of_an_empty_window_are_zero_and_p95_is_none)
{
    kpi_counts c;
    memset(&c, 0, sizeof c);
    ck_assert_double_eq(kpi_asr(&c), 0);
    ck_assert_double_eq(kpi_acd(&c), 0);
    ck_assert_double_eq(kpi_ner(&c), 0);
    ck_assert_double_eq(kpi_short_ratio(&c), 0);
    ck_assert_int_eq(kpi_pdd_p95(&c), -1);
}
END_TEST

START_TEST(test_ner_counts_answered_busy_no_answer_and_rejected_only)
{
    static const int32_t counted[] = { 16, 17, 18, 19, 21, 486, 600, 480, 408, 603 };
    static const int32_t not_counted[] = { 0, 1, 3, 27, 31, 34, 38, 41, 127, 403, 404, 487, 500, 502, 503, 484 };
    for (size_t i = 0; i < sizeof counted / sizeof counted[0]; i++)
        ck_assert_msg(kpi_ner_counts(false, counted[i]), "cause %d", counted[i]);
    for (size_t i = 0; i < sizeof not_counted / sizeof not_counted[0]; i++) {
        ck_assert_msg(!kpi_ner_counts(false, not_counted[i]), "cause %d", not_counted[i]);
        ck_assert(kpi_ner_counts(true, not_counted[i]));   /* answered always counts */
    }
}
END_TEST

START_TEST(test_p95_is_the_bound_of_the_bin_holding_the_95th_percentile)
{
    kpi_table *k = kpi_new(NULL);
    /* 95 at 400 ms (bin <= 500) and 5 at 9 s (bin <= 12000): the 95th of
     * 100 is in the first */
    for (int i = 0; i < 100; i++)
        add(k, "a", call(BASE, true, 60, 16, i < 95 ? 400 : 9000), BASE);
    /* 94 and 6: the 95th is a 9 s one */
    for (int i = 0; i < 100; i++)
        add(k, "b", call(BASE, true, 60, 16, i < 94 ? 400 : 9000), BASE);
    /* all above the last bound: reported as 20,000 */
    add(k, "c", call(BASE, true, 60, 16, 45000), BASE);
    /* exactly on a bound belongs to that bin */
    add(k, "d", call(BASE, true, 60, 16, 250), BASE);
    kpi_counts c;
    kpi_get(k, KPI_INTERCONNECT, "a", KPI_5M, BASE, &c);
    ck_assert_int_eq(kpi_pdd_p95(&c), 500);
    kpi_get(k, KPI_INTERCONNECT, "b", KPI_5M, BASE, &c);
    ck_assert_int_eq(kpi_pdd_p95(&c), 12000);
    kpi_get(k, KPI_INTERCONNECT, "c", KPI_5M, BASE, &c);
    ck_assert_int_eq(kpi_pdd_p95(&c), 20000);
    kpi_get(k, KPI_INTERCONNECT, "d", KPI_5M, BASE, &c);
    ck_assert_int_eq(kpi_pdd_p95(&c), 250);
    kpi_free(k);
}
END_TEST

START_TEST(test_late_events_go_to_their_own_bucket_in_the_windows_that_still_hold_it)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE + 200 * SEC;
    add(k, "1", attempt(BASE + 100 * SEC), now);
    add(k, "1", attempt(BASE + 50 * SEC), now);    /* older than the one before: same windows */
    /* 10 minutes old: out of 5m, in 15m (window from BASE+180-870 = BASE-690) */
    add(k, "1", attempt(BASE - 600 * SEC), now);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, now), 2);
    ck_assert_uint_eq(attempts(k, "1", KPI_15M, now), 3);
    /* and it leaves 15m with its own bucket, 30 s before the other two do */
    ck_assert_uint_eq(attempts(k, "1", KPI_15M, BASE + 300 * SEC), 2);   /* BASE-600 + 900 */
    /* 2 hours old: only in 24h */
    add(k, "1", attempt(BASE - 7200 * SEC), now);
    ck_assert_uint_eq(attempts(k, "1", KPI_1H, now), 3);
    ck_assert_uint_eq(attempts(k, "1", KPI_24H, now), 4);
    kpi_free(k);
}
END_TEST

START_TEST(test_an_event_older_than_every_window_is_refused_and_counts_nowhere)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE;   /* the 24h window holds BASE-23.5h .. BASE+30min */
    kpi_event old = attempt(BASE - 86400 * SEC + 1800 * SEC - 1);
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, "1", &old, now), KPI_TOO_OLD);
    ck_assert_uint_eq(kpi_scope_count(k, KPI_INTERCONNECT), 0);
    kpi_event oldest = attempt(BASE - 86400 * SEC + 1800 * SEC);
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, "1", &oldest, now), KPI_ADDED);
    ck_assert_uint_eq(attempts(k, "1", KPI_24H, now), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_1H, now), 0);
    kpi_free(k);
}
END_TEST

START_TEST(test_an_event_a_little_ahead_counts_now_and_one_far_ahead_is_refused)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE;
    add(k, "1", attempt(BASE + 60 * SEC), now);    /* skew: the current bucket */
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, now), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 299 * SEC), 1);
    ck_assert_uint_eq(attempts(k, "1", KPI_5M, BASE + 300 * SEC), 0);   /* it was BASE's bucket */
    kpi_event far = attempt(BASE + KPI_FUTURE_SLACK_USEC + 1);
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, "1", &far, now), KPI_TOO_NEW);
    kpi_free(k);
}
END_TEST

START_TEST(test_snapshot_lists_scopes_with_attempts_in_the_window_only)
{
    kpi_table *k = kpi_new(NULL);
    add(k, "old", attempt(BASE - 600 * SEC), BASE);
    add(k, "x", call(BASE, true, 10, 16, -1), BASE);
    add(k, "y", attempt(BASE), BASE);
    add(k, "y", attempt(BASE), BASE);
    kpi_event e = attempt(BASE);
    ck_assert_int_eq(kpi_add(k, KPI_ROUTE, "1/UK", &e, BASE), KPI_ADDED);
    kpi_item *v;
    size_t n = kpi_snapshot(k, KPI_INTERCONNECT, KPI_5M, BASE, &v);
    ck_assert_uint_eq(n, 2);
    uint64_t x = 0, y = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].scope_id, "x") == 0)
            x = v[i].c.answered;
        if (strcmp(v[i].scope_id, "y") == 0)
            y = v[i].c.attempts;
    }
    ck_assert_uint_eq(x, 1);
    ck_assert_uint_eq(y, 2);
    free(v);
    n = kpi_snapshot(k, KPI_INTERCONNECT, KPI_15M, BASE, &v);
    ck_assert_uint_eq(n, 3);
    free(v);
    ck_assert_uint_eq(kpi_snapshot(k, KPI_SERVICE, KPI_24H, BASE, &v), 0);
    ck_assert_ptr_null(v);
    kpi_free(k);
}
END_TEST

START_TEST(test_short_call_threshold_and_scope_cap_are_options)
{
    kpi_table *k = kpi_new(&(kpi_options){ .short_call_s = 10, .max_scopes = 2 });
    add(k, "1", call(BASE, true, 9, 16, -1), BASE);   /* short under 10 s */
    add(k, "1", call(BASE, true, 10, 16, -1), BASE);  /* not */
    add(k, "2", attempt(BASE), BASE);
    kpi_event e = attempt(BASE);
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, "3", &e, BASE), KPI_FULL);
    ck_assert_int_eq(kpi_add(k, KPI_INTERCONNECT, "", &e, BASE), KPI_BAD_ID);
    kpi_counts c;
    kpi_get(k, KPI_INTERCONNECT, "1", KPI_1H, BASE, &c);
    ck_assert_uint_eq(c.short_calls, 1);
    ck_assert_uint_eq(kpi_scope_count(k, KPI_INTERCONNECT), 2);
    kpi_free(k);
}
END_TEST

START_TEST(test_names_parse)
{
    ck_assert_int_eq(kpi_window_parse("5m"), KPI_5M);
    ck_assert_int_eq(kpi_window_parse("24h"), KPI_24H);
    ck_assert_int_eq(kpi_window_parse("2h"), -1);
    ck_assert_int_eq(kpi_scope_parse("route"), KPI_ROUTE);
    ck_assert_int_eq(kpi_scope_parse("service"), KPI_SERVICE);
    ck_assert_int_eq(kpi_scope_parse(NULL), -1);
}
END_TEST

/* Four writers and a reader at once: nothing lost, nothing torn. */
typedef struct {
    kpi_table *k;
    int n;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *a = p;
    static const char *const ids[] = { "1", "2", "3", "4", "5", "6", "7", "8" };
    for (int i = 0; i < a->n; i++) {
        kpi_event e = call(BASE, i % 2 == 0, 30, 16, 100);
        kpi_add(a->k, KPI_INTERCONNECT, ids[i % 8], &e, BASE);
    }
    return NULL;
}

START_TEST(test_writers_and_a_snapshot_reader_together_lose_nothing)
{
    kpi_table *k = kpi_new(NULL);
    pthread_t th[4];
    writer_arg a = { k, 100000 };
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, writer, &a);
    for (int r = 0; r < 200; r++) {
        kpi_item *v;
        size_t n = kpi_snapshot(k, KPI_INTERCONNECT, KPI_5M, BASE, &v);
        for (size_t i = 0; i < n; i++) {
            ck_assert(v[i].c.answered <= v[i].c.attempts);
            ck_assert_uint_eq(v[i].c.seconds, v[i].c.answered * 30);
        }
        free(v);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    uint64_t total = 0;
    for (int i = 1; i <= 8; i++) {
        char id[4];
        snprintf(id, sizeof id, "%d", i);
        total += attempts(k, id, KPI_24H, BASE);
    }
    ck_assert_uint_eq(total, 400000);
    kpi_free(k);
}
END_TEST

START_TEST(test_series_gives_each_bucket_of_a_window_oldest_first)
{
    kpi_table *k = kpi_new(NULL);
    int64_t now = BASE + 295 * SEC;   /* 5m: newest bucket BASE+290..300 is index 29, BASE+0..10 index 0 */
    add(k, "7", call(BASE + 1 * SEC, true, 60, 16, 800), now);     /* bucket 0 */
    add(k, "7", call(BASE + 9 * SEC, false, 0, 503, -1), now);     /* bucket 0 */
    add(k, "7", call(BASE + 10 * SEC, false, 0, 486, -1), now);    /* bucket 1 */
    add(k, "7", call(BASE + 150 * SEC, true, 3, 16, 1200), now);   /* bucket 15 */
    add(k, "7", call(BASE + 294 * SEC, true, 100, 16, -1), now);   /* bucket 29 */
    add(k, "7", call(BASE + 295 * SEC, false, 0, 503, -1), now);   /* bucket 29 */
    kpi_counts s[60];
    ck_assert_uint_eq(kpi_series(k, KPI_INTERCONNECT, "7", KPI_5M, now, s, 40), 30);
    /* bucket 0: 2 attempts, 1 answered of 60 s, NER 1 (answered; 503 is not), PDD 800 */
    ck_assert_uint_eq(s[0].attempts, 2);
    ck_assert_uint_eq(s[0].answered, 1);
    ck_assert_uint_eq(s[0].seconds, 60);
    ck_assert_uint_eq(s[0].ner, 1);
    ck_assert_uint_eq(s[0].pdd_n, 1);
    ck_assert_uint_eq(s[0].pdd_sum_ms, 800);
    /* bucket 1: 1 attempt, busy 486 counts for NER */
    ck_assert_uint_eq(s[1].attempts, 1);
    ck_assert_uint_eq(s[1].answered, 0);
    ck_assert_uint_eq(s[1].ner, 1);
    for (int i = 2; i < 15; i++)
        ck_assert_uint_eq(s[i].attempts, 0);
    /* bucket 15: 1 answered short call (3 s < 6 s) */
    ck_assert_uint_eq(s[15].attempts, 1);
    ck_assert_uint_eq(s[15].short_calls, 1);
    ck_assert_uint_eq(s[29].attempts, 2);
    ck_assert_uint_eq(s[29].answered, 1);
    ck_assert_uint_eq(s[29].seconds, 100);
    /* the buckets add up to the window's totals */
    kpi_counts tot;
    kpi_get(k, KPI_INTERCONNECT, "7", KPI_5M, now, &tot);
    ck_assert_uint_eq(tot.attempts, 6);

    /* 20 s later buckets 0 and 1 have left: the old bucket 2 is first,
     * the old 29 is third from the end, and the last two are empty */
    ck_assert_uint_eq(kpi_series(k, KPI_INTERCONNECT, "7", KPI_5M, now + 20 * SEC, s, 40), 30);
    ck_assert_uint_eq(s[13].attempts, 1);   /* old 15 */
    ck_assert_uint_eq(s[27].attempts, 2);   /* old 29 */
    ck_assert_uint_eq(s[28].attempts, 0);
    ck_assert_uint_eq(s[29].attempts, 0);
    uint64_t sum = 0;
    for (int i = 0; i < 30; i++)
        sum += s[i].attempts;
    ck_assert_uint_eq(sum, 3);

    /* max below the bucket count: the newest max buckets */
    ck_assert_uint_eq(kpi_series(k, KPI_INTERCONNECT, "7", KPI_5M, now + 20 * SEC, s, 3), 3);
    ck_assert_uint_eq(s[0].attempts, 2);
    ck_assert_uint_eq(s[1].attempts, 0);
    /* 1h window: one-minute buckets; BASE+0..60 is 56 minutes back at now */
    ck_assert_uint_eq(kpi_series(k, KPI_INTERCONNECT, "7", KPI_1H, now, s, 60), 60);
    ck_assert_uint_eq(s[55].attempts, 3);   /* BASE+1, +9, +10 */
    ck_assert_uint_eq(s[57].attempts, 1);   /* BASE+150 */
    ck_assert_uint_eq(s[59].attempts, 2);   /* BASE+294, +295 */
    /* an unknown scope is all zeros */
    ck_assert_uint_eq(kpi_series(k, KPI_INTERCONNECT, "nope", KPI_5M, now, s, 40), 30);
    ck_assert_uint_eq(s[29].attempts, 0);
    kpi_free(k);
}
END_TEST

START_TEST(test_ser_leaves_redirected_attempts_out_and_they_expire_with_the_window)
{
    kpi_table *k = kpi_new(NULL);
    /* 10 attempts: 4 answered, 2 redirected (SIP 302, Q.850 23), 4 failed
     * (486, 503, 404, 16). ASR 4/10; SER 4/(10-2) = 0.5. */
    static const int32_t failed[] = { 302, 23, 486, 503, 404, 16 };
    for (int i = 0; i < 4; i++)
        add(k, "s", call(BASE, true, 30, 16, -1), BASE);
    for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++)
        add(k, "s", call(BASE, false, 0, failed[i], -1), BASE);
    kpi_counts c;
    kpi_get(k, KPI_INTERCONNECT, "s", KPI_5M, BASE, &c);
    ck_assert_uint_eq(c.attempts, 10);
    ck_assert_uint_eq(c.redirects, 2);
    ck_assert(fabs(kpi_asr(&c) - 0.4) < 1e-12);
    ck_assert(fabs(kpi_ser(&c) - 0.5) < 1e-12);
    /* An answered call is never a redirect, whatever the cause says. */
    ck_assert(!kpi_redirected(true, 302));
    ck_assert(kpi_redirected(false, 300) && kpi_redirected(false, 399) && !kpi_redirected(false, 400));
    /* Six minutes on, the 5m window holds none of it; the 15m still does. */
    int64_t later = BASE + 360LL * 1000000;
    kpi_get(k, KPI_INTERCONNECT, "s", KPI_5M, later, &c);
    ck_assert_uint_eq(c.redirects, 0);
    ck_assert(kpi_ser(&c) == 0);
    kpi_get(k, KPI_INTERCONNECT, "s", KPI_15M, later, &c);
    ck_assert_uint_eq(c.redirects, 2);
    kpi_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kpi");
    TCase *tc = tcase_create("kpi");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_the_5m_window_is_the_current_10s_bucket_and_29_before_it);
    tcase_add_test(tc, test_each_window_expires_an_event_after_its_length);
    tcase_add_test(tc, test_a_ring_idle_longer_than_its_window_starts_empty_and_counts_again);
    tcase_add_test(tc, test_every_figure_of_four_calls);
    tcase_add_test(tc, test_figures_of_an_empty_window_are_zero_and_p95_is_none);
    tcase_add_test(tc, test_ner_counts_answered_busy_no_answer_and_rejected_only);
    tcase_add_test(tc, test_ser_leaves_redirected_attempts_out_and_they_expire_with_the_window);
    tcase_add_test(tc, test_p95_is_the_bound_of_the_bin_holding_the_95th_percentile);
    tcase_add_test(tc, test_late_events_go_to_their_own_bucket_in_the_windows_that_still_hold_it);
    tcase_add_test(tc, test_an_event_older_than_every_window_is_refused_and_counts_nowhere);
    tcase_add_test(tc, test_an_event_a_little_ahead_counts_now_and_one_far_ahead_is_refused);
    tcase_add_test(tc, test_snapshot_lists_scopes_with_attempts_in_the_window_only);
    tcase_add_test(tc, test_short_call_threshold_and_scope_cap_are_options);
    tcase_add_test(tc, test_names_parse);
    tcase_add_test(tc, test_series_gives_each_bucket_of_a_window_oldest_first);
    tcase_add_test(tc, test_writers_and_a_snapshot_reader_together_lose_nothing);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
