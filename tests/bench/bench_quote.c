/*
 * bench_quote: rating.quote and rate.list against one (large) rating plan,
 * one request at a time over one WebSocket (what a console user waits for).
 *
 *   bench_quote --port P --user U --password W --plan ID [--requests N]
 *
 * The first quote loads the plan's deck (unless it is loaded already) and
 * is reported on its own; then N quotes of random numbers under common
 * country codes, then N/10 first pages of rate.list filtered by a prefix
 * and N/200 + 1 unfiltered first pages (limit 100, as the console asks).
 * Prints one line per kind: `requests=N p50_us=.. p90_us=.. p99_us=.. max_us=..`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

static void report(const char *kind, long long *lat, int n)
{
    char line[160];
    printf("%-34s %s\n", kind, bench_latency(line, sizeof line, lat, n));
}

int main(int argc, char **argv)
{
    int port = 7480, requests = 10000;
    long long plan = 0;
    const char *user = "admin", *pass = "admin";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!bench_opt(argv[i], argv[i + 1], &port, &user, &pass, &requests) && !strcmp(argv[i], "--plan"))
            plan = atoll(argv[i + 1]);
    }
    if (plan <= 0 || requests < 10) {
        fprintf(stderr, "usage: bench_quote --port P --user U --password W --plan ID [--requests N >= 10]\n");
        return 2;
    }
    wsc *c = bench_session(port, user, pass);
    json_t *r;

    static const char *const codes[] = { "1", "44", "49", "33", "39", "34", "7", "86", "91", "55", "234", "971" };
    unsigned seed = 1;
    long long *lat = calloc((size_t)requests, sizeof *lat);
    int n = 0, errors = 0, unrated = 0;
    for (int i = 0; i <= requests; i++) {
        char number[32];
        int k = snprintf(number, sizeof number, "%s", codes[rand_r(&seed) % (sizeof codes / sizeof codes[0])]);
        while (k < 12)
            number[k++] = (char)('0' + rand_r(&seed) % 10);
        number[k] = '\0';
        long long t0 = bench_now_us();
        r = wsc_call(c, "rating.quote", json_pack("{s:I, s:s, s:i}", "rating_plan_id", (json_int_t)plan, "destination",
                                                  number, "duration", 1 + rand_r(&seed) % 600), 60000);
        long long t1 = bench_now_us();
        int code = wsc_error_code(r);
        if (code == -32602)
            unrated++;
        else if (code)
            errors++;
        json_decref(r);
        if (i == 0)
            printf("%-34s %lld us (loads the deck when it is not loaded)\n", "rating.quote first", t1 - t0);
        else
            lat[n++] = t1 - t0;
    }
    printf("quotes errors=%d unrated=%d\n", errors, unrated);
    report("rating.quote", lat, n);

    n = 0;
    for (int i = 0; i < requests / 10; i++) {
        char prefix[8];
        snprintf(prefix, sizeof prefix, "%s%d", codes[i % (sizeof codes / sizeof codes[0])], i % 10);
        long long t0 = bench_now_us();
        r = wsc_call(c, "rate.list", json_pack("{s:{s:I, s:s}, s:i}", "filter", "rating_plan_id", (json_int_t)plan,
                                               "prefix", prefix, "limit", 50), 60000);
        long long t1 = bench_now_us();
        if (wsc_error_code(r))
            errors++;
        else
            lat[n++] = t1 - t0;
        json_decref(r);
    }
    if (n)
        report("rate.list first page (prefix)", lat, n);
    /* what the console's deck view opens with: the whole plan, counted */
    n = 0;
    for (int i = 0; i < requests / 200 + 1; i++) {
        long long t0 = bench_now_us();
        r = wsc_call(c, "rate.list", json_pack("{s:{s:I}, s:i}", "filter", "rating_plan_id", (json_int_t)plan,
                                               "limit", 100), 60000);
        long long t1 = bench_now_us();
        if (wsc_error_code(r))
            errors++;
        else
            lat[n++] = t1 - t0;
        json_decref(r);
    }
    if (n)
        report("rate.list first page (whole plan)", lat, n);
    free(lat);
    wsc_close(c);
    return errors ? 1 : 0;
}
