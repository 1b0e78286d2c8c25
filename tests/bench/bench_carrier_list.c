/*
 * bench_carrier_list: latency of carrier.list pages, one request at a time
 * over one WebSocket (what a console user waits for).
 *
 *   bench_carrier_list --port P --user U --password W [--requests N]
 *
 * Cycles through filtered, sorted first pages and follow-on cursor pages,
 * and prints `requests=N p50_us=.. p90_us=.. p99_us=.. max_us=..` per kind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wsclient.h"

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *kind, long long *lat, int n)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_ll);
    printf("%-34s requests=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld\n", kind, n, lat[n / 2],
           lat[(int)(n * 0.90)], lat[(int)(n * 0.99)], lat[n - 1]);
}

int main(int argc, char **argv)
{
    int port = 7480, requests = 1000;
    const char *user = "admin", *pass = "admin";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--user"))
            user = argv[i + 1];
        else if (!strcmp(argv[i], "--password"))
            pass = argv[i + 1];
        else if (!strcmp(argv[i], "--requests"))
            requests = atoi(argv[i + 1]);
    }
    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", 5000);
    if (!c) {
        fprintf(stderr, "connect: %s\n", wsc_last_error());
        return 1;
    }
    json_t *r = wsc_call(c, "auth.login", json_pack("{s:s, s:s}", "username", user, "password", pass), 10000);
    if (wsc_error_code(r)) {
        fprintf(stderr, "login failed\n");
        return 1;
    }
    json_decref(r);
    static const char *const types[] = { "customer", "supplier", "bilateral" };
    static const char *const sorts[] = { "name", "-name", "-created_at", "credit_limit" };
    static const char *const words[] = { "tel", "net", "voice", "7" };
    long long *first = calloc((size_t)requests, sizeof *first);
    long long *next = calloc((size_t)requests, sizeof *next);
    int nfirst = 0, nnext = 0, errors = 0;
    long long total = -1;
    for (int i = 0; i < requests; i++) {
        json_t *p = json_pack("{s:{s:s, s:s}, s:s, s:i}", "filter", "type", types[i % 3], "q", words[i % 4], "sort",
                              sorts[i % 4], "limit", 50);
        long long t0 = now_us();
        r = wsc_call(c, "carrier.list", p, 10000);
        long long t1 = now_us();
        if (wsc_error_code(r)) {
            errors++;
            json_decref(r);
            continue;
        }
        first[nfirst++] = t1 - t0;
        json_t *cursor = json_object_get(wsc_result(r), "next_cursor");
        if (i == 0)
            total = (long long)json_integer_value(json_object_get(wsc_result(r), "total"));
        if (json_is_string(cursor)) {
            json_t *q = json_pack("{s:{s:s, s:s}, s:s, s:i, s:O}", "filter", "type", types[i % 3], "q", words[i % 4],
                                  "sort", sorts[i % 4], "limit", 50, "cursor", cursor);
            json_decref(r);
            t0 = now_us();
            r = wsc_call(c, "carrier.list", q, 10000);
            t1 = now_us();
            if (wsc_error_code(r))
                errors++;
            else
                next[nnext++] = t1 - t0;
        }
        json_decref(r);
    }
    printf("first filtered page matched total=%lld errors=%d\n", total, errors);
    if (nfirst)
        report("carrier.list first page (filter+sort)", first, nfirst);
    if (nnext)
        report("carrier.list next page (cursor)", next, nnext);
    free(first);
    free(next);
    wsc_close(c);
    return errors ? 1 : 0;
}
