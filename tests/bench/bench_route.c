/*
 * bench_route: route lookup in process (issue 7) — the pure core of
 * route.lookup, without PostgreSQL or the network.
 *
 * Builds route tables holding --prefixes prefixes (default 1,000,000)
 * spread over --plans plans (default 4), --routes suppliers per entry
 * (default 20), then times --lookups lookups (default 1,000,000) of random
 * numbers under those prefixes, each one:
 *   index:  longest-prefix match in the plan's table;
 *   +order: the 20 candidates with their rates (from a flat array) ordered
 *           by lcr, by weight (seeded), then by lcr with a delta;
 *   +rates: as +order, but each supplier's rate is looked up in its own
 *           prefix_index deck (20 decks of --deck-rows rows, default
 *           100,000), as route.lookup does with the live decks.
 * Prints p50 / p99 / p99.9 per variant, one thread, clock_gettime per call.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "prefix_index.h"
#include "routing/route_table.h"

static uint64_t state = 0x853c49e6748fea9bULL;
static uint64_t rnd(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static const char *const ccs[] = {
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46", "47", "48",
    "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63", "64", "65", "66", "81", "82", "84",
    "86", "90", "91", "92", "93", "94", "95", "98", "211", "212", "213", "216", "218", "220", "221", "233", "234",
    "254", "255", "256", "260", "263", "351", "352", "353", "354", "355", "356", "357", "358", "359", "370", "371",
    "372", "380", "381", "385", "386", "420", "421", "852", "853", "855", "880", "886", "960", "961", "962", "963",
    "964", "965", "966", "967", "968", "971", "972", "973", "974", "975", "976", "977",
};
#define NCC (sizeof ccs / sizeof ccs[0])

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void make_prefix(char *out, uint64_t salt)
{
    const char *cc = ccs[salt % NCC];
    size_t n = strlen(cc);
    memcpy(out, cc, n);
    int extra = 2 + (int)((salt >> 8) % 7); /* 2..8 more digits */
    uint64_t h = salt * 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < extra; i++) {
        out[n++] = (char)('0' + (h % 10));
        h /= 10;
        if (!h)
            h = salt ^ 0xABCDEF;
    }
    out[n] = '\0';
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *name, int64_t *ns, size_t n)
{
    qsort(ns, n, sizeof *ns, cmp_i64);
    printf("%-8s p50 %6.2f us  p99 %6.2f us  p99.9 %6.2f us  max %7.2f us\n", name, ns[n / 2] / 1000.0,
           ns[n * 99 / 100] / 1000.0, ns[n * 999 / 1000] / 1000.0, ns[n - 1] / 1000.0);
}

int main(int argc, char **argv)
{
    long prefixes = 1000000, plans = 4, routes = 20, lookups = 1000000, deck_rows = 100000;
    for (int i = 1; i + 1 < argc; i += 2) {
        long v = atol(argv[i + 1]);
        if (!strcmp(argv[i], "--prefixes")) prefixes = v;
        else if (!strcmp(argv[i], "--plans")) plans = v;
        else if (!strcmp(argv[i], "--routes")) routes = v;
        else if (!strcmp(argv[i], "--lookups")) lookups = v;
        else if (!strcmp(argv[i], "--deck-rows")) deck_rows = v;
        else {
            fprintf(stderr, "usage: bench_route [--prefixes N] [--plans N] [--routes N] [--lookups N] [--deck-rows N]\n");
            return 2;
        }
    }
    if (prefixes < plans || plans < 1 || routes < 1 || routes > 500 || lookups < 1 || deck_rows < 1)
        return 2;

    /* 20 supplier decks over the same country codes. */
    int64_t t0 = now_ns();
    prefix_index **decks = calloc((size_t)routes, sizeof *decks);
    rate_row *rows = calloc((size_t)deck_rows, sizeof *rows);
    char (*pbuf)[32] = calloc((size_t)deck_rows, 32);
    for (long d = 0; d < routes; d++) {
        for (long i = 0; i < deck_rows; i++) {
            make_prefix(pbuf[i], rnd());
            rows[i].prefix = pbuf[i];
            rows[i].destination = "";
            tariff_defaults(&rows[i].t, (money_t)(1000 + rnd() % 200000));
            rows[i].effective_from = 0;
            rows[i].effective_to = RATE_OPEN_END;
            rows[i].row_id = i;
        }
        /* every country code, so every number has a rate */
        for (size_t k = 0; k < NCC && (long)k < deck_rows; k++)
            rows[k].prefix = ccs[k];
        decks[d] = prefix_index_build(rows, (size_t)deck_rows);
        if (!decks[d])
            return 1;
    }
    free(rows);
    free(pbuf);
    int64_t t1 = now_ns();

    /* The routing plans. */
    route_table **tables = calloc((size_t)plans, sizeof *tables);
    char (*sample)[32] = calloc((size_t)prefixes, 32); /* every entry's prefix, plan by plan */
    route_target *tg = calloc((size_t)routes, sizeof *tg);
    long per_plan = prefixes / plans;
    for (long p = 0; p < plans; p++) {
        route_builder *b = route_builder_new((size_t)per_plan);
        for (long i = 0; i < per_plan; i++) {
            char prefix[32];
            make_prefix(prefix, rnd());
            for (long r = 0; r < routes; r++)
                tg[r] = (route_target){ 1000 + r, (int32_t)(rnd() % 5), (int32_t)(1 + rnd() % 100) };
            route_builder_add(b, prefix, tg, (size_t)routes);
            strcpy(sample[p * per_plan + i], prefix);
        }
        tables[p] = route_builder_finish(b);
        if (!tables[p])
            return 1;
    }
    int64_t t2 = now_ns();
    size_t entries = 0, mem = 0;
    for (long p = 0; p < plans; p++) {
        entries += route_table_entries(tables[p]);
        mem += route_table_memory(tables[p]);
    }
    printf("%zu entries (%ld requested) in %ld plans, %ld routes each: built in %.2f s, %.1f MB;"
           " %ld supplier decks of %ld rows in %.2f s\n",
           entries, prefixes, plans, routes, (t2 - t1) / 1e9, mem / 1048576.0, routes, deck_rows, (t1 - t0) / 1e9);

    /* Numbers: random entries' prefixes of the plan the lookup uses (i % plans),
     * extended to 11..13 digits: the tables are far larger than the caches,
     * so each lookup pays its cache misses. */
    char (*numbers)[32] = calloc((size_t)lookups, 32);
    for (long i = 0; i < lookups; i++) {
        const char *s = sample[(i % plans) * per_plan + (long)(rnd() % (uint64_t)per_plan)];
        size_t n = strlen(s), want = 11 + rnd() % 3;
        memcpy(numbers[i], s, n);
        while (n < want)
            numbers[i][n++] = (char)('0' + rnd() % 10);
        numbers[i][n] = '\0';
    }
    money_t flat[1024];
    for (int i = 0; i < 1024; i++)
        flat[i] = (money_t)(1000 + rnd() % 200000);

    int64_t *ns = malloc((size_t)lookups * sizeof *ns);
    route_candidate cand[500];
    long found = 0, sink = 0;
    for (int variant = 0; variant < 3; variant++) {
        for (long i = 0; i < lookups; i++) {
            const route_table *t = tables[i % plans];
            int64_t a = now_ns();
            size_t n;
            int len;
            const route_target *r = route_table_lookup(t, numbers[i], &n, &len);
            if (r && variant > 0) {
                for (size_t k = 0; k < n; k++) {
                    money_t rate = flat[r[k].interconnect_id & 1023];
                    if (variant == 2) {
                        rate_match m;
                        rate = prefix_index_lookup(decks[k % (size_t)routes], numbers[i], 0, 0, &m) ? m.t.rate : 0;
                    }
                    cand[k] = (route_candidate){ .interconnect_id = r[k].interconnect_id, .rate = rate, .priority = r[k].priority, .weight = r[k].weight, .ref = k };
                }
                route_mode mode = i % 3 == 0 ? ROUTE_MODE_LCR : i % 3 == 1 ? ROUTE_MODE_WEIGHT : ROUTE_MODE_LCR;
                route_order(cand, n, mode, i % 3 == 2 ? 5000 : 0, (uint64_t)i);
                sink += cand[0].interconnect_id;
            }
            ns[i] = now_ns() - a;
            found += r != NULL;
        }
        report(variant == 0 ? "index" : variant == 1 ? "+order" : "+rates", ns, (size_t)lookups);
    }
    printf("%ld of %ld lookups matched an entry (checksum %ld)\n", found / 3, lookups, sink % 1000);

    for (long p = 0; p < plans; p++)
        route_table_free(tables[p]);
    for (long d = 0; d < routes; d++)
        prefix_index_free(decks[d]);
    free(decks);
    free(tables);
    free(sample);
    free(tg);
    free(numbers);
    free(ns);
    return 0;
}
