/*
 * bench_rating: the rating core on one thread, no database.
 *
 *   bench_rating [--deck FILE] [--rows N] [--cdrs N] [--seed S] [--compare-trie]
 *
 * 1. Load a deck: parse FILE with deck_csv, or (default) generate N rows
 *    in process with gen_deck.c and feed them straight to the parser.
 * 2. Build the prefix index: build time, prefix_index_memory, RSS.
 * 3. Rate --cdrs synthetic CDRs (default 10,000,000; numbers are deck
 *    prefixes plus random digits up to 11..15 digits, 70 % answered, 1 s to
 *    10 min): lookup + billed duration + cost, one thread. Prints CDRs/s and
 *    ns/CDR, then the same numbers looked up only.
 * 4. --compare-trie: the alternative the index was chosen against, a
 *    compact digit trie (10-bit child mask + first-child index, children
 *    contiguous) over the same rows, measured on the same numbers and
 *    checked to find the same prefixes.
 *
 * Doubles here hold seconds, never money.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deck_csv.h"
#include "money.h"
#include "prefix_index.h"
#include "tariff.h"

typedef void (*gen_emit_fn)(void *ud, const char *buf, size_t n);
int gen_deck(long rows, uint64_t seed, gen_emit_fn emit, void *ud);

#define NUM_MAX 16
#define T_RATE (1795429800LL * 1000000LL) /* 2026-11-23T10:30:00Z */

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A "Name: N kB" line of a /proc/self file, or -1. */
static long proc_kb(const char *file, const char *name)
{
    FILE *f = fopen(file, "r");
    char line[256];
    long kb = -1;
    size_t n = strlen(name);
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, name, n) == 0 && sscanf(line + n, ": %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static long rss_kb(void)
{
    return proc_kb("/proc/self/status", "VmRSS");
}

static uint64_t rng_state = 0x853C49E6748FEA9BULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ULL;
}

/* ---- the deck, kept as rate_rows with their strings in an arena ---- */

typedef struct block {
    struct block *next;
    size_t used;
    char data[1 << 20];
} block;

typedef struct {
    rate_row *rows;
    size_t n, cap;
    block *arena;
    long errors;
    deck_parser *parser;
    uint64_t gen_bytes;
} deck;

static const char *keep(deck *d, const char *s)
{
    size_t n = strlen(s) + 1;
    if (!d->arena || d->arena->used + n > sizeof d->arena->data) {
        block *b = malloc(sizeof *b);
        if (!b) {
            perror("malloc");
            exit(1);
        }
        b->next = d->arena;
        b->used = 0;
        d->arena = b;
    }
    char *p = d->arena->data + d->arena->used;
    memcpy(p, s, n);
    d->arena->used += n;
    return p;
}

static int on_row(void *ud, const deck_row *r)
{
    deck *d = ud;
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 1 << 16;
        d->rows = realloc(d->rows, d->cap * sizeof *d->rows);
        if (!d->rows) {
            perror("realloc");
            exit(1);
        }
    }
    rate_row *o = &d->rows[d->n];
    *o = r->row;
    o->prefix = keep(d, r->row.prefix);
    o->destination = keep(d, r->row.destination);
    o->row_id = (int64_t)++d->n;
    return 0;
}

static int on_error(void *ud, long line, const char *msg)
{
    deck *d = ud;
    if (d->errors++ < 5)
        fprintf(stderr, "deck line %ld: %s\n", line, msg);
    return 0;
}

static void feed(void *ud, const char *buf, size_t n)
{
    deck *d = ud;
    d->gen_bytes += n;
    if (d->parser && deck_parser_feed(d->parser, buf, n) != 0) {
        fprintf(stderr, "bench_rating: the deck's header was refused\n");
        exit(1);
    }
}

static void count_only(void *ud, const char *buf, size_t n)
{
    (void)buf;
    *(uint64_t *)ud += n;
}

static void load_deck(deck *d, const char *path, long rows, uint64_t seed)
{
    deck_defaults defaults = { 0, RATE_OPEN_END };
    d->parser = deck_parser_new(&defaults, on_row, on_error, d);
    double t0 = now();
    if (path) {
        FILE *f = fopen(path, "rb");
        if (!f) {
            perror(path);
            exit(1);
        }
        static char buf[1 << 16];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, f)) > 0)
            feed(d, buf, n);
        fclose(f);
    } else {
        /* the generator alone first, to tell its share from the parser's */
        uint64_t bytes = 0;
        double g0 = now();
        gen_deck(rows, seed, count_only, &bytes);
        double g = now() - g0;
        printf("generate only: %ld rows, %.1f MB in %.3f s (%.0f rows/s)\n", rows, (double)bytes / 1e6, g,
               (double)rows / g);
        t0 = now();
        gen_deck(rows, seed, feed, d);
    }
    if (deck_parser_finish(d->parser) != 0) {
        fprintf(stderr, "bench_rating: the deck could not be parsed\n");
        exit(1);
    }
    double t = now() - t0;
    uint64_t bytes = deck_parser_bytes(d->parser);
    printf("%s: %zu rows, %ld errors, %.1f MB in %.3f s (%.0f rows/s, %.0f MB/s)\n",
           path ? "parse" : "generate + parse", d->n, d->errors, (double)bytes / 1e6, t, (double)d->n / t,
           (double)bytes / 1e6 / t);
    deck_parser_free(d->parser);
    d->parser = NULL;
}

/* ---- the trie the index was measured against ---- */

#define NONE UINT32_MAX

typedef struct {
    uint16_t mask;             /* bit d: a child for digit d */
    uint32_t first;            /* index of the first child; the others follow */
    uint32_t group;            /* rows of this prefix, or NONE */
} trie_node;

typedef struct {
    int64_t from, to;
    money_t rate;
    int32_t i, n;
    uint8_t time_class;
} trie_row;

typedef struct {
    trie_node *nodes;
    size_t nnodes;
    uint32_t *group_first;     /* ngroups + 1 */
    size_t ngroups;
    trie_row *rows;
    size_t nrows;
} trie;

static const rate_row *sort_rows;
static int cmp_prefix(const void *a, const void *b)
{
    return strcmp(sort_rows[*(const uint32_t *)a].prefix, sort_rows[*(const uint32_t *)b].prefix);
}

static trie *trie_build(const rate_row *rows, size_t n)
{
    trie *t = calloc(1, sizeof *t);
    uint32_t *order = malloc(n * sizeof *order);
    for (size_t i = 0; i < n; i++)
        order[i] = (uint32_t)i;
    sort_rows = rows;
    qsort(order, n, sizeof *order, cmp_prefix);

    /* A wide trie first (ten child slots per node), then flattened breadth
     * first so that siblings sit together. */
    size_t cap = 1 << 20, count = 1;
    uint32_t(*kids)[10] = calloc(cap, sizeof *kids);
    uint32_t *wide_group = malloc(cap * sizeof *wide_group);
    wide_group[0] = NONE;
    t->group_first = malloc((n + 1) * sizeof *t->group_first);
    t->rows = malloc(n * sizeof *t->rows);
    for (size_t i = 0; i < n; i++) {
        const rate_row *r = &rows[order[i]];
        if (i == 0 || strcmp(r->prefix, rows[order[i - 1]].prefix) != 0) {
            uint32_t node = 0;
            for (const char *p = r->prefix; *p; p++) {
                int d = *p - '0';
                if (!kids[node][d]) {
                    if (count == cap) {
                        cap *= 2;
                        kids = realloc(kids, cap * sizeof *kids);
                        wide_group = realloc(wide_group, cap * sizeof *wide_group);
                    }
                    memset(kids[count], 0, sizeof kids[count]);
                    wide_group[count] = NONE;
                    kids[node][d] = (uint32_t)count++;
                }
                node = kids[node][d];
            }
            wide_group[node] = (uint32_t)t->ngroups;
            t->group_first[t->ngroups++] = (uint32_t)i;
        }
        t->rows[i] = (trie_row){ r->effective_from, r->effective_to, r->t.rate, r->t.initial_increment,
                                 r->t.subsequent_increment, r->time_class };
    }
    t->group_first[t->ngroups] = (uint32_t)n;
    t->nrows = n;

    t->nodes = malloc(count * sizeof *t->nodes);
    uint32_t *queue = malloc(count * sizeof *queue);
    size_t head = 0, tail = 0, placed = 1;
    queue[tail++] = 0;
    while (head < tail) {
        size_t slot = head; /* BFS order is the flat order */
        uint32_t w = queue[head++];
        trie_node *nd = &t->nodes[slot];
        nd->mask = 0;
        nd->first = (uint32_t)placed;
        nd->group = wide_group[w];
        for (int d = 0; d < 10; d++) {
            if (kids[w][d]) {
                nd->mask |= (uint16_t)(1u << d);
                queue[tail++] = kids[w][d];
                placed++;
            }
        }
    }
    t->nnodes = count;
    free(queue);
    free(kids);
    free(wide_group);
    free(order);
    return t;
}

/* Same contract as prefix_index_lookup; returns the matched length or -1. */
static int trie_lookup(const trie *t, const char *digits, int64_t at, uint32_t classes, const trie_row **out)
{
    uint32_t cand[TARIFF_NUMBER_MAX];
    int depth[TARIFF_NUMBER_MAX], k = 0;
    uint32_t node = 0;
    for (int i = 0; digits[i]; i++) {
        unsigned d = (unsigned)(digits[i] - '0');
        uint16_t mask = t->nodes[node].mask;
        if (!(mask >> d & 1))
            break;
        node = t->nodes[node].first + (uint32_t)__builtin_popcount(mask & ((1u << d) - 1));
        if (t->nodes[node].group != NONE) {
            cand[k] = t->nodes[node].group;
            depth[k++] = i + 1;
        }
    }
    while (k-- > 0) {
        for (uint32_t r = t->group_first[cand[k]]; r < t->group_first[cand[k] + 1]; r++) {
            const trie_row *row = &t->rows[r];
            if (at < row->from || at >= row->to || (row->time_class && !(classes >> row->time_class & 1)))
                continue;
            *out = row;
            return depth[k];
        }
    }
    return -1;
}

static void trie_free(trie *t)
{
    free(t->nodes);
    free(t->group_first);
    free(t->rows);
    free(t);
}

/* ---- CDRs ---- */

typedef struct {
    char number[NUM_MAX];
    bool answered;
    int64_t answer, end;
} cdr;

int main(int argc, char **argv)
{
    const char *path = NULL;
    long rows = 1000000, ncdr = 10000000;
    uint64_t seed = 1;
    bool compare_trie = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--deck") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
            rows = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--cdrs") == 0 && i + 1 < argc)
            ncdr = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--compare-trie") == 0)
            compare_trie = true;
        else {
            fprintf(stderr, "usage: bench_rating [--deck FILE] [--rows N] [--cdrs N] [--seed S] [--compare-trie]\n");
            return 2;
        }
    }

    deck d = { 0 };
    long rss0 = rss_kb();
    load_deck(&d, path, rows, seed);
    if (d.n == 0) {
        fprintf(stderr, "bench_rating: no rows\n");
        return 1;
    }

    long rss1 = rss_kb();
    double t0 = now();
    prefix_index *ix = prefix_index_build(d.rows, d.n);
    double tb = now() - t0;
    long rss2 = rss_kb();
    if (!ix) {
        fprintf(stderr, "bench_rating: prefix_index_build failed\n");
        return 1;
    }
    printf("index: %zu rows built in %.3f s; prefix_index_memory %.1f MB (%.1f bytes/row); "
           "RSS %.1f MB before the deck, %.1f MB with the parsed rows, %.1f MB with the index (+%.1f MB)\n",
           prefix_index_rows(ix), tb, (double)prefix_index_memory(ix) / 1e6,
           (double)prefix_index_memory(ix) / (double)d.n, (double)rss0 / 1e3, (double)rss1 / 1e3,
           (double)rss2 / 1e3, (double)(rss2 - rss1) / 1e3);

    printf("transparent huge pages in use: %.1f MB\n",
           (double)proc_kb("/proc/self/smaps_rollup", "AnonHugePages") / 1e3);

    /* synthetic CDRs, made before the clock starts */
    cdr *cdrs = malloc((size_t)ncdr * sizeof *cdrs);
    if (!cdrs) {
        perror("malloc");
        return 1;
    }
    for (long i = 0; i < ncdr; i++) {
        const char *p = d.rows[rnd() % d.n].prefix;
        size_t len = strlen(p), want = 11 + rnd() % 5;
        if (want < len)
            want = len;
        memcpy(cdrs[i].number, p, len);
        for (size_t k = len; k < want; k++)
            cdrs[i].number[k] = (char)('0' + rnd() % 10);
        cdrs[i].number[want] = '\0';
        cdrs[i].answered = rnd() % 10 < 7;
        cdrs[i].answer = T_RATE + 3000000;
        cdrs[i].end = cdrs[i].answer + (int64_t)(rnd() % 600000000) + 1;
    }

    money_t total = 0;
    long unmatched = 0;
    t0 = now();
    for (long i = 0; i < ncdr; i++) {
        rate_match m;
        if (!prefix_index_lookup(ix, cdrs[i].number, T_RATE, 0, &m)) {
            unmatched++;
            continue;
        }
        int64_t dur = tariff_call_duration(cdrs[i].answered, cdrs[i].answer, cdrs[i].end);
        int64_t billed = tariff_billed_duration(&m.t, dur);
        money_t c;
        if (billed < 0 || !tariff_cost(&m.t, billed, MONEY_ROUND_HALF_UP, &c) || !money_add(total, c, &total)) {
            fprintf(stderr, "bench_rating: rating failed\n");
            return 1;
        }
    }
    double tr = now() - t0;
    char money[MONEY_STR_MAX];
    printf("rate: %ld CDRs in %.3f s on one thread: %.0f CDRs/s, %.1f ns/CDR (%ld unmatched, total %s)\n", ncdr,
           tr, (double)ncdr / tr, tr * 1e9 / (double)ncdr, unmatched, money_format(total, money, sizeof money));

    long found = 0;
    t0 = now();
    for (long i = 0; i < ncdr; i++) {
        rate_match m;
        found += prefix_index_lookup(ix, cdrs[i].number, T_RATE, 0, &m);
    }
    double tl = now() - t0;
    printf("sorted array lookups: %.0f lookups/s, %.1f ns/lookup (%ld found)\n", (double)ncdr / tl,
           tl * 1e9 / (double)ncdr, found);

    if (compare_trie) {
        long rss3 = rss_kb();
        t0 = now();
        trie *t = trie_build(d.rows, d.n);
        double ttb = now() - t0;
        long rss4 = rss_kb();
        size_t node_bytes = t->nnodes * sizeof *t->nodes;
        printf("trie: %zu nodes of %zu bytes for %zu prefixes, built in %.3f s; nodes %.1f MB, "
               "with group index and rows %.1f MB; RSS +%.1f MB\n",
               t->nnodes, sizeof *t->nodes, t->ngroups, ttb, (double)node_bytes / 1e6,
               (double)(node_bytes + (t->ngroups + 1) * 4 + t->nrows * sizeof *t->rows) / 1e6,
               (double)(rss4 - rss3) / 1e3);
        long tfound = 0;
        t0 = now();
        for (long i = 0; i < ncdr; i++) {
            const trie_row *row;
            tfound += trie_lookup(t, cdrs[i].number, T_RATE, 0, &row) >= 0;
        }
        double ttl = now() - t0;
        printf("trie lookups: %.0f lookups/s, %.1f ns/lookup (%ld found)\n", (double)ncdr / ttl,
               ttl * 1e9 / (double)ncdr, tfound);
        long differ = 0;
        for (long i = 0; i < ncdr; i++) {
            rate_match m;
            const trie_row *row;
            int a = prefix_index_lookup(ix, cdrs[i].number, T_RATE, 0, &m) ? m.prefix_len : -1;
            if (a != trie_lookup(t, cdrs[i].number, T_RATE, 0, &row))
                differ++;
        }
        printf("trie and sorted array disagree on %ld of %ld numbers\n", differ, ncdr);
        trie_free(t);
        if (differ)
            return 1;
    }

    free(cdrs);
    prefix_index_free(ix);
    free(d.rows);
    while (d.arena) {
        block *b = d.arena->next;
        free(d.arena);
        d.arena = b;
    }
    return 0;
}
