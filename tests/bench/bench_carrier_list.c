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

#include "bench_util.h"

static void report(const char *kind, long long *lat, int n)
{
    char line[160];
    printf("%-34s %s\n", kind, bench_latency(line, sizeof line, lat, n));
}

int main(int argc, char **argv)
{
    int port = 7480, requests = 1000;
    const char *user = "admin", *pass = "admin";
    for (int i = 1; i + 1 < argc; i += 2)
        bench_opt(argv[i], argv[i + 1], &port, &user, &pass, &requests);
    wsc *c = bench_session(port, user, pass);
    json_t *r;
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
        long long t0 = bench_now_us();
        r = wsc_call(c, "carrier.list", p, 10000);
        long long t1 = bench_now_us();
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
            t0 = bench_now_us();
            r = wsc_call(c, "carrier.list", q, 10000);
            t1 = bench_now_us();
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
