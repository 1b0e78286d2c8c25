/*
 * route_table: a routing plan's entries as one sorted prefix array (rating's
 * prefix_index, one row per entry, row_id = the entry's ordinal) beside one
 * flat array of routes: entry k's routes are routes[first[k] .. first[k+1]).
 * 16 bytes per route and 4 per entry on top of the prefix index.
 */
#include "route_table.h"

#include <stdlib.h>
#include <string.h>

#include "prefix_index.h"

struct route_table {
    prefix_index *ix;
    size_t nentries, nroutes;
    uint32_t *first;          /* nentries + 1 */
    route_target *routes;     /* nroutes */
    route_limits *limits;     /* nentries */
};

struct route_builder {
    rate_row *rows;
    size_t nrows, cap_rows;
    char *prefixes;           /* 25 bytes per entry, NUL-terminated */
    uint32_t *first;
    route_limits *limits;
    route_target *routes;
    size_t nroutes, cap_routes;
    bool failed;
};

static const char *const mode_names[] = { "lcr", "priority", "weight", "quality" };

bool route_mode_parse(const char *name, route_mode *out)
{
    for (size_t i = 0; name && i < sizeof mode_names / sizeof mode_names[0]; i++)
        if (!strcmp(name, mode_names[i])) {
            *out = (route_mode)i;
            return true;
        }
    return false;
}

const char *route_mode_name(route_mode m)
{
    return (size_t)m < sizeof mode_names / sizeof mode_names[0] ? mode_names[m] : "lcr";
}

#define PREFIX_SLOT 25

route_builder *route_builder_new(size_t expected)
{
    route_builder *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->cap_rows = expected ? expected : 16;
    b->rows = malloc(b->cap_rows * sizeof *b->rows);
    b->prefixes = malloc(b->cap_rows * PREFIX_SLOT);
    b->first = malloc((b->cap_rows + 1) * sizeof *b->first);
    b->limits = malloc(b->cap_rows * sizeof *b->limits);
    b->cap_routes = b->cap_rows * 4;
    b->routes = malloc(b->cap_routes * sizeof *b->routes);
    if (!b->rows || !b->prefixes || !b->first || !b->limits || !b->routes) {
        route_builder_free(b);
        return NULL;
    }
    b->first[0] = 0;
    return b;
}

void route_builder_free(route_builder *b)
{
    if (b) {
        free(b->rows);
        free(b->prefixes);
        free(b->first);
        free(b->limits);
        free(b->routes);
        free(b);
    }
}

static bool valid_prefix(const char *p)
{
    size_t n = 0;
    for (; p && p[n]; n++)
        if (p[n] < '0' || p[n] > '9')
            return false;
    return n >= 1 && n <= 24;
}

bool route_builder_add(route_builder *b, const char *prefix, const route_target *routes, size_t n)
{
    return route_builder_add_limited(b, prefix, routes, n, (route_limits){ 0, 0 });
}

bool route_builder_add_limited(route_builder *b, const char *prefix, const route_target *routes, size_t n,
                               route_limits limits)
{
    if (b->failed || !valid_prefix(prefix) || (n && !routes))
        return false;
    if (b->nroutes + n > UINT32_MAX) {
        b->failed = true;
        return false;
    }
    if (b->nrows == b->cap_rows) {
        size_t cap = b->cap_rows * 2;
        rate_row *r = realloc(b->rows, cap * sizeof *r);
        if (r)
            b->rows = r;
        char *p = realloc(b->prefixes, cap * PREFIX_SLOT);
        if (p)
            b->prefixes = p;
        uint32_t *f = realloc(b->first, (cap + 1) * sizeof *f);
        if (f)
            b->first = f;
        route_limits *l = realloc(b->limits, cap * sizeof *l);
        if (l)
            b->limits = l;
        if (!r || !p || !f || !l) {
            b->failed = true;
            return false;
        }
        b->cap_rows = cap;
    }
    if (b->nroutes + n > b->cap_routes) {
        size_t cap = b->cap_routes * 2;
        while (cap < b->nroutes + n)
            cap *= 2;
        route_target *t = realloc(b->routes, cap * sizeof *t);
        if (!t) {
            b->failed = true;
            return false;
        }
        b->routes = t;
        b->cap_routes = cap;
    }
    size_t k = b->nrows++;
    strcpy(b->prefixes + k * PREFIX_SLOT, prefix);
    memset(&b->rows[k], 0, sizeof b->rows[k]);
    b->rows[k].destination = "";
    tariff_defaults(&b->rows[k].t, 0);
    b->rows[k].effective_from = 0;
    b->rows[k].effective_to = RATE_OPEN_END;
    b->rows[k].row_id = (int64_t)k;
    b->limits[k] = limits;
    if (n)
        memcpy(b->routes + b->nroutes, routes, n * sizeof *routes);
    b->nroutes += n;
    b->first[k + 1] = (uint32_t)b->nroutes;
    return true;
}

route_table *route_builder_finish(route_builder *b)
{
    route_table *t = NULL;
    if (!b || b->failed)
        goto out;
    /* Prefix strings are pointed at only now: the array may have moved. */
    for (size_t k = 0; k < b->nrows; k++)
        b->rows[k].prefix = b->prefixes + k * PREFIX_SLOT;
    t = calloc(1, sizeof *t);
    if (!t)
        goto out;
    t->ix = prefix_index_build(b->rows, b->nrows);
    if (!t->ix) {
        free(t);
        t = NULL;
        goto out;
    }
    t->nentries = b->nrows;
    t->nroutes = b->nroutes;
    t->first = b->first;
    t->routes = b->routes;
    t->limits = b->limits;
    b->first = NULL;
    b->routes = NULL;
    b->limits = NULL;
    /* Give back what the builder over-allocated. */
    if (t->nroutes) {
        route_target *shrunk = realloc(t->routes, t->nroutes * sizeof *t->routes);
        if (shrunk)
            t->routes = shrunk;
    }
out:
    route_builder_free(b);
    return t;
}

const route_target *route_table_lookup(const route_table *t, const char *digits, size_t *n, int *prefix_len)
{
    return route_table_match(t, digits, n, prefix_len, NULL);
}

const route_target *route_table_match(const route_table *t, const char *digits, size_t *n, int *prefix_len,
                                      route_limits *limits)
{
    rate_match m;
    *n = 0;
    if (limits)
        *limits = (route_limits){ 0, 0 };
    if (!t || !digits || !prefix_index_lookup(t->ix, digits, 0, 0, &m))
        return NULL;
    size_t k = (size_t)m.row_id;
    if (k >= t->nentries)
        return NULL;
    if (limits)
        *limits = t->limits[k];
    *n = t->first[k + 1] - t->first[k];
    if (prefix_len)
        *prefix_len = m.prefix_len;
    return t->routes + t->first[k];
}

size_t route_table_entries(const route_table *t) { return t ? t->nentries : 0; }
size_t route_table_routes(const route_table *t) { return t ? t->nroutes : 0; }

size_t route_table_memory(const route_table *t)
{
    if (!t)
        return 0;
    return sizeof *t + prefix_index_memory(t->ix) + (t->nentries + 1) * sizeof *t->first +
           t->nentries * sizeof *t->limits + t->nroutes * sizeof *t->routes;
}

void route_table_free(route_table *t)
{
    if (t) {
        prefix_index_free(t->ix);
        free(t->first);
        free(t->limits);
        free(t->routes);
        free(t);
    }
}

/* ---- quality ---- */

int32_t route_quality_score(double asr, double acd_s, double pdd_ms, bool pdd_known)
{
    double a = asr < 0 ? 0 : asr > 1 ? 1 : asr;
    double d = acd_s <= 0 ? 0 : acd_s >= 180 ? 1 : acd_s / 180;
    double p = !pdd_known ? 0.5 : pdd_ms <= 0 ? 1 : pdd_ms >= 8000 ? 0 : 1 - pdd_ms / 8000;
    double q = 0.5 * a + 0.3 * d + 0.2 * p;
    return (int32_t)(q * 20 + 0.5) * 5;
}

/* ---- ordering ---- */

typedef int (*cmp_fn)(const route_candidate *, const route_candidate *);

static int cmp_id(const route_candidate *a, const route_candidate *b)
{
    return (a->interconnect_id > b->interconnect_id) - (a->interconnect_id < b->interconnect_id);
}

static int cmp_rate(const route_candidate *a, const route_candidate *b)
{
    if (a->rate != b->rate)
        return a->rate < b->rate ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return cmp_id(a, b);
}

static int cmp_priority(const route_candidate *a, const route_candidate *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return cmp_id(a, b);
}

static int cmp_score(const route_candidate *a, const route_candidate *b)
{
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return cmp_rate(a, b);
}

static int cmp_priority_rate(const route_candidate *a, const route_candidate *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return cmp_rate(a, b);
}

/* Insertion sort: stable, allocation-free, and fastest at the sizes an
 * entry has (tens of routes). */
static void sort(route_candidate *v, size_t n, cmp_fn cmp)
{
    for (size_t i = 1; i < n; i++) {
        route_candidate x = v[i];
        size_t j = i;
        while (j > 0 && cmp(&x, &v[j - 1]) < 0) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

/* splitmix64: small, fast, and the same sequence everywhere. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void order_weighted(route_candidate *v, size_t n, uint64_t seed)
{
    /* Weighted ones first (drawn), then weight 0 ones by priority. */
    size_t nw = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].weight > 0) {
            route_candidate x = v[i];
            v[i] = v[nw];
            v[nw++] = x;
        }
    sort(v, nw, cmp_id); /* the draw must not depend on the input order */
    sort(v + nw, n - nw, cmp_priority);
    uint64_t s = seed;
    for (size_t i = 0; i + 1 < nw; i++) {
        uint64_t total = 0;
        for (size_t k = i; k < nw; k++)
            total += (uint64_t)v[k].weight;
        uint64_t r = next_random(&s) % total;
        size_t pick = i;
        for (size_t k = i; k < nw; k++) {
            if (r < (uint64_t)v[k].weight) {
                pick = k;
                break;
            }
            r -= (uint64_t)v[k].weight;
        }
        route_candidate x = v[pick];
        memmove(v + i + 1, v + i, (pick - i) * sizeof *v);
        v[i] = x;
    }
}

void route_order(route_candidate *v, size_t n, route_mode mode, money_t lcr_delta, uint64_t seed)
{
    if (!v || n == 0)
        return;
    switch (mode) {
    case ROUTE_MODE_PRIORITY:
        sort(v, n, cmp_priority);
        return;
    case ROUTE_MODE_WEIGHT:
        order_weighted(v, n, seed);
        return;
    case ROUTE_MODE_QUALITY:
        sort(v, n, cmp_score);
        return;
    case ROUTE_MODE_LCR:
    default:
        sort(v, n, cmp_rate);
        if (lcr_delta <= 0)
            return;
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            money_t gap;
            while (j < n && !__builtin_sub_overflow(v[j].rate, v[i].rate, &gap) && gap <= lcr_delta)
                j++;
            sort(v + i, j - i, cmp_priority_rate);
            i = j;
        }
        return;
    }
}
