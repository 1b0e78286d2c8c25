/*
 * bench_kb_search: kb.search and kb.suggest latency, one request at a time
 * over one WebSocket (what a console user typing a ticket waits for).
 *
 *   bench_kb_search --port P --user U --password W [--requests N]
 *
 * Queries are drawn from the vocabulary kb_search.sh generates articles
 * from: one word, two words, a quoted phrase, an OR, a category filter;
 * suggestions from a ticket-like draft of 8-20 words. Prints one line per
 * kind: `requests=N p50_us=.. p90_us=.. p99_us=.. max_us=.. hits_avg=..`.
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

static void report(const char *kind, long long *lat, int n, long long hits)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_ll);
    printf("%-22s requests=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld hits_avg=%.1f\n", kind, n, lat[n / 2],
           lat[(int)(n * 0.90)], lat[(int)(n * 0.99)], lat[n - 1], (double)hits / n);
}

/* the same words kb_search.sh builds articles from */
static const char *const words[] = {
    "trunk", "codec", "invoice", "balance", "routing", "latency", "jitter", "registration", "failover", "fax",
    "audio", "dtmf", "prefix", "rate", "deck", "carrier", "payment", "topup", "credit", "alert", "cdr",
    "billing", "sip", "rtp", "nat", "firewall", "capacity", "cps", "asr", "acd", "pdd", "termination",
    "origination", "did", "number", "porting", "kyc", "password", "login", "api", "webhook", "report",
};
#define NWORDS ((int)(sizeof words / sizeof words[0]))
static const char *const categories[] = { "sip", "billing", "routing", "quality", "account", "numbers" };

int main(int argc, char **argv)
{
    int port = 7480, requests = 2000;
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
    if (requests < 10) {
        fprintf(stderr, "usage: bench_kb_search --port P --user U --password W [--requests N >= 10]\n");
        return 2;
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

    unsigned seed = 7;
    long long *lat = calloc((size_t)requests, sizeof *lat);
    int errors = 0;
    /* warm-up: the first statement plans and reads the index */
    for (int i = 0; i < 20; i++)
        json_decref(wsc_call(c, "kb.search", json_pack("{s:s}", "q", words[i % NWORDS]), 60000));

    int n = 0;
    long long hits = 0;
    for (int i = 0; i < requests; i++) {
        char q[256];
        const char *a = words[rand_r(&seed) % NWORDS], *b = words[rand_r(&seed) % NWORDS];
        json_t *params;
        switch (i % 5) {
        case 0: snprintf(q, sizeof q, "%s", a); break;
        case 1: snprintf(q, sizeof q, "%s %s", a, b); break;
        case 2: snprintf(q, sizeof q, "\"%s %s\"", a, b); break;
        case 3: snprintf(q, sizeof q, "%s or %s", a, b); break;
        default: snprintf(q, sizeof q, "%s", a); break;
        }
        if (i % 5 == 4)
            params = json_pack("{s:s, s:s}", "q", q, "category", categories[rand_r(&seed) % 6]);
        else
            params = json_pack("{s:s}", "q", q);
        long long t0 = now_us();
        r = wsc_call(c, "kb.search", params, 60000);
        long long t1 = now_us();
        if (wsc_error_code(r) || !r) {
            errors++;
        } else {
            lat[n++] = t1 - t0;
            hits += (long long)json_array_size(json_object_get(wsc_result(r), "items"));
        }
        json_decref(r);
    }
    if (n)
        report("kb.search", lat, n, hits);

    n = 0;
    hits = 0;
    for (int i = 0; i < requests / 2; i++) {
        char text[1024] = "Hello, since this morning we have a problem:";
        int k = 8 + rand_r(&seed) % 13;
        for (int w = 0; w < k; w++) {
            strcat(text, " ");
            strcat(text, w % 3 ? words[rand_r(&seed) % NWORDS] : "the");
        }
        long long t0 = now_us();
        r = wsc_call(c, "kb.suggest", json_pack("{s:s}", "text", text), 60000);
        long long t1 = now_us();
        if (wsc_error_code(r) || !r) {
            errors++;
        } else {
            lat[n++] = t1 - t0;
            hits += (long long)json_array_size(json_object_get(wsc_result(r), "items"));
        }
        json_decref(r);
    }
    if (n)
        report("kb.suggest", lat, n, hits);
    printf("errors=%d\n", errors);
    free(lat);
    wsc_close(c);
    return errors ? 1 : 0;
}
