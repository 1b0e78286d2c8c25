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

#include "bench_util.h"

static void report(const char *kind, long long *lat, int n, long long hits)
{
    char line[160];
    printf("%-22s %s hits_avg=%.1f\n", kind, bench_latency(line, sizeof line, lat, n), (double)hits / n);
}

/* One call, timed: its latency into lat[*n] and the items it found into
 * *hits, or one more error. */
static void timed(wsc *c, const char *method, json_t *params, long long *lat, int *n, long long *hits, int *errors)
{
    long long t0 = bench_now_us();
    json_t *r = wsc_call(c, method, params, 60000);
    long long t1 = bench_now_us();
    if (wsc_error_code(r) || !r) {
        (*errors)++;
    } else {
        lat[(*n)++] = t1 - t0;
        *hits += (long long)json_array_size(json_object_get(wsc_result(r), "items"));
    }
    json_decref(r);
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
    for (int i = 1; i + 1 < argc; i += 2)
        bench_opt(argv[i], argv[i + 1], &port, &user, &pass, &requests);
    if (requests < 10) {
        fprintf(stderr, "usage: bench_kb_search --port P --user U --password W [--requests N >= 10]\n");
        return 2;
    }
    wsc *c = bench_session(port, user, pass);

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
        timed(c, "kb.search", params, lat, &n, &hits, &errors);
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
        timed(c, "kb.suggest", json_pack("{s:s}", "text", text), lat, &n, &hits, &errors);
    }
    if (n)
        report("kb.suggest", lat, n, hits);
    printf("errors=%d\n", errors);
    free(lat);
    wsc_close(c);
    return errors ? 1 : 0;
}
