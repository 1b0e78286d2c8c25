/*
 * prefix_index: longest-prefix match over a rating plan's deck.
 *
 * Chosen: a sorted prefix array, not a digit trie. Measured with
 * tests/bench/bench_rating --compare-trie on a 1,000,000-row deck and
 * 10,000,000 numbers (docs/benchmarks.md): 3.8-4.2 million lookups/s on
 * one core and 56 MB in all, against 1.2-1.4 million/s and 71 MB for a
 * compact trie (10-bit child mask + first-child index, children
 * contiguous, 2.26 million nodes). A lookup costs its dependent cache
 * misses; the trie has one per digit below its cached top levels, this
 * layout about three.
 *
 * Layout:
 *  - key_hi/key_lo: each distinct prefix as 4-bit digits (digit + 1, so a
 *    prefix sorts before its extensions and 0 means "no digit"),
 *    left-aligned in 96 bits, sorted. The binary search reads only these.
 *  - bucket: the first bucket_digits digits of a number give the range of
 *    keys starting with them (bucket_digits grows with the deck, up to 6).
 *  - entry: per prefix, 40 bytes: its parent (the longest shorter prefix
 *    in the set), its length and its preferred row inline; further rows of
 *    the same prefix (dated, time classes) in `more`.
 *  - rows refer to interned tariffs, periods and destination names.
 *
 * Lookup: the greatest key <= the number. Every prefix of the number in
 * the set is that key or one of its ancestors (whatever sorts between a
 * prefix of the number and the number starts with that prefix), and the
 * digits the key shares with the number say which ancestors qualify, so
 * the parent chain is walked comparing lengths only. Immutable after the
 * build: readers need no lock.
 */
#include "prefix_index.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define NONE UINT32_MAX
/* The first digits of a number pick a bucket, a range of the sorted keys:
 * as many digits as the deck has orders of magnitude of prefixes, at most
 * BUCKET_DIGITS_MAX (10^6 + 1 entries of 4 bytes for a 1,000,000-prefix
 * deck), so a table never outweighs its keys and small plans stay small. */
#define BUCKET_DIGITS_MAX 6

typedef struct {
    int64_t from, to;
} period;

/* One row, 24 bytes: everything repeated across rows is interned. */
typedef struct {
    int64_t row_id;
    uint32_t tariff;           /* index into ix->tariffs */
    uint32_t dest;             /* offset into ix->names */
    uint32_t period;           /* index into ix->periods */
    uint8_t time_class, min_length, max_length, blocked;
} ix_row;

/* What the lookup reads about a prefix once the search has found it,
 * 40 bytes: its preferred row inline (most prefixes have one row, so one
 * cache miss reads it all), the further rows of the same prefix elsewhere. */
typedef struct {
    ix_row first;
    uint32_t parent;           /* longest proper prefix in the set, or NONE */
    uint32_t more;             /* further rows: ix->more[more .. more + nmore) */
    uint32_t nmore;
    uint8_t len;               /* digits */
} prefix_entry;

struct prefix_index {
    /* sorted distinct prefixes: the keys searched, apart from the rest */
    size_t nprefix;
    uint64_t *key_hi;          /* digits 1..16, one nibble each (digit + 1), left-aligned */
    uint32_t *key_lo;          /* digits 17..24 */
    prefix_entry *entry;
    int bucket_digits;         /* 0: no buckets, search all keys */
    size_t nbuckets;           /* 10^bucket_digits */
    uint32_t *bucket;          /* nbuckets + 1 */
    /* rows, each prefix's in preference order: the first in its entry */
    size_t nrows, nmore;
    ix_row *more;
    tariff *tariffs;
    size_t ntariffs;
    period *periods;
    size_t nperiods;
    char *names;               /* NUL-terminated destination names */
    size_t names_len;
};

/* ---- keys ---- */

/* Encode 1..TARIFF_NUMBER_MAX digits; false on anything else. */
static bool key_encode(const char *s, uint64_t *hi, uint32_t *lo, int *len)
{
    uint64_t h = 0;
    uint32_t l = 0;
    int i = 0;
    if (!s)
        return false;
    for (; s[i]; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9 || i >= TARIFF_NUMBER_MAX)
            return false;
        if (i < 16)
            h |= (uint64_t)(d + 1) << (60 - 4 * i);
        else
            l |= (uint32_t)(d + 1) << (28 - 4 * (i - 16));
    }
    if (i == 0)
        return false;
    *hi = h;
    *lo = l;
    *len = i;
    return true;
}

static inline bool key_le(uint64_t ah, uint32_t al, uint64_t bh, uint32_t bl)
{
    return ah < bh || (ah == bh && al <= bl);
}

/* Is key k (length len) a prefix of (hi, lo)? */
static inline bool key_is_prefix(uint64_t kh, uint32_t kl, int len, uint64_t hi, uint32_t lo)
{
    if (len <= 16) {
        uint64_t mask = len == 16 ? UINT64_MAX : ~(UINT64_MAX >> (4 * len));
        return (hi & mask) == kh;
    }
    uint32_t mask = len >= 24 ? UINT32_MAX : ~(UINT32_MAX >> (4 * (len - 16)));
    return hi == kh && (lo & mask) == kl;
}

/* ---- interning (build time only) ---- */

/* An open-addressing set of uint32 values (indexes or offsets into the
 * index's tables); the items themselves live in those tables and are
 * compared through `eq`. */
typedef bool (*intern_eq)(const void *ctx, uint32_t value, const void *key);

typedef struct {
    uint32_t *slots;           /* entry + 1; 0 is empty */
    size_t cap;                /* power of two */
    uint64_t *hashes;          /* per entry, to rehash on growth */
    uint32_t *values;
    size_t count, entries_cap;
} interner;

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h ^ (h >> 31);
}

static bool interner_grow(interner *in)
{
    size_t cap = in->cap ? in->cap * 2 : 1024, mask = cap - 1;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return false;
    for (size_t e = 0; e < in->count; e++) {
        size_t i = (size_t)in->hashes[e] & mask;
        while (slots[i])
            i = (i + 1) & mask;
        slots[i] = (uint32_t)e + 1;
    }
    free(in->slots);
    in->slots = slots;
    in->cap = cap;
    return true;
}

/* The value of `key` (hash h) if present; else `next` after adding it,
 * with *added set (the caller then stores the item under `next`). NONE on
 * allocation failure. */
static uint32_t interner_add(interner *in, uint64_t h, const void *key, intern_eq eq, const void *ctx,
                             uint32_t next, bool *added)
{
    *added = false;
    if ((in->count + 1) * 4 > in->cap * 3 && !interner_grow(in))
        return NONE;
    size_t mask = in->cap - 1, i = (size_t)h & mask;
    for (; in->slots[i]; i = (i + 1) & mask) {
        uint32_t e = in->slots[i] - 1;
        if (in->hashes[e] == h && eq(ctx, in->values[e], key))
            return in->values[e];
    }
    if (in->count == in->entries_cap) {
        size_t cap = in->entries_cap ? in->entries_cap * 2 : 1024;
        uint64_t *hs = realloc(in->hashes, cap * sizeof *hs);
        if (!hs)
            return NONE;
        in->hashes = hs;
        uint32_t *vs = realloc(in->values, cap * sizeof *vs);
        if (!vs)
            return NONE;
        in->values = vs;
        in->entries_cap = cap;
    }
    in->hashes[in->count] = h;
    in->values[in->count] = next;
    in->slots[i] = (uint32_t)++in->count;
    *added = true;
    return next;
}

static void interner_free(interner *in)
{
    free(in->slots);
    free(in->hashes);
    free(in->values);
}

/* Grow a vector to hold at least `need` items of `size` bytes. */
static bool vec_reserve(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, c * size);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

typedef struct {
    prefix_index *ix;
    size_t tariffs_cap, periods_cap, names_cap;
    interner tariff_in, period_in, name_in;
} builder;

static bool eq_tariff(const void *ctx, uint32_t v, const void *key)
{
    const tariff *a = &((const builder *)ctx)->ix->tariffs[v], *b = key;
    return a->rate == b->rate && a->connection_fee == b->connection_fee &&
           a->initial_increment == b->initial_increment &&
           a->subsequent_increment == b->subsequent_increment && a->min_duration == b->min_duration;
}

static bool eq_period(const void *ctx, uint32_t v, const void *key)
{
    const period *a = &((const builder *)ctx)->ix->periods[v], *b = key;
    return a->from == b->from && a->to == b->to;
}

static bool eq_name(const void *ctx, uint32_t v, const void *key)
{
    return strcmp(((const builder *)ctx)->ix->names + v, key) == 0;
}

static uint32_t add_tariff(builder *b, const tariff *t)
{
    /* hash the fields, not the struct: padding is not ours to read */
    int64_t k[5] = { t->rate, t->connection_fee, t->initial_increment, t->subsequent_increment,
                     t->min_duration };
    bool added;
    uint32_t v = interner_add(&b->tariff_in, hash_bytes(k, sizeof k), t, eq_tariff, b,
                              (uint32_t)b->ix->ntariffs, &added);
    if (v == NONE || !added)
        return v;
    if (!vec_reserve((void **)&b->ix->tariffs, &b->tariffs_cap, b->ix->ntariffs + 1, sizeof(tariff)))
        return NONE;
    b->ix->tariffs[b->ix->ntariffs++] = *t;
    return v;
}

static uint32_t add_period(builder *b, int64_t from, int64_t to)
{
    period p = { from, to };
    int64_t k[2] = { from, to };
    bool added;
    uint32_t v = interner_add(&b->period_in, hash_bytes(k, sizeof k), &p, eq_period, b,
                              (uint32_t)b->ix->nperiods, &added);
    if (v == NONE || !added)
        return v;
    if (!vec_reserve((void **)&b->ix->periods, &b->periods_cap, b->ix->nperiods + 1, sizeof(period)))
        return NONE;
    b->ix->periods[b->ix->nperiods++] = p;
    return v;
}

static uint32_t add_name(builder *b, const char *name)
{
    size_t len = strlen(name);
    if (b->ix->names_len + len + 1 >= NONE)
        return NONE;
    bool added;
    uint32_t v = interner_add(&b->name_in, hash_bytes(name, len), name, eq_name, b,
                              (uint32_t)b->ix->names_len, &added);
    if (v == NONE || !added)
        return v;
    if (!vec_reserve((void **)&b->ix->names, &b->names_cap, b->ix->names_len + len + 1, 1))
        return NONE;
    memcpy(b->ix->names + b->ix->names_len, name, len + 1);
    b->ix->names_len += len + 1;
    return v;
}

/* ---- build ---- */

typedef struct {
    uint64_t hi;
    uint32_t lo;
    uint32_t idx;              /* into the caller's rows */
} sort_key;

/* Prefix order; within a prefix the preference order of lookups: a row
 * with a time class before class-0 rows, then the latest effective_from,
 * then the lower class id, then input order. */
static int cmp_sort_key(const void *pa, const void *pb, void *ctx)
{
    const sort_key *a = pa, *b = pb;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    const rate_row *rows = ctx, *ra = &rows[a->idx], *rb = &rows[b->idx];
    bool ca = ra->time_class != 0, cb = rb->time_class != 0;
    if (ca != cb)
        return ca ? -1 : 1;
    if (ra->effective_from != rb->effective_from)
        return ra->effective_from > rb->effective_from ? -1 : 1;
    if (ra->time_class != rb->time_class)
        return ra->time_class < rb->time_class ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Lookups touch a few random cache lines of tens of megabytes; with 4 kB
 * pages nearly each of them is also a TLB miss. Large arrays are aligned
 * to 2 MB and offered to transparent huge pages (a hint: without THP this
 * is plain memory). */
#define HUGE_PAGE (2u << 20)

static void *alloc_array(size_t n, size_t size)
{
    size_t bytes = (n ? n : 1) * size;
    if (bytes < HUGE_PAGE)
        return malloc(bytes);
    void *p = NULL;
    size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    if (posix_memalign(&p, HUGE_PAGE, rounded) != 0)
        return NULL;
    madvise(p, rounded, MADV_HUGEPAGE);
    return p;
}

prefix_index *prefix_index_build(const rate_row *rows, size_t n)
{
    if (n >= NONE)
        return NULL;
    prefix_index *ix = calloc(1, sizeof *ix);
    sort_key *keys = alloc_array(n, sizeof *keys);
    builder b = { .ix = ix };
    if (!ix || !keys)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        int len;
        if (!key_encode(rows[i].prefix, &keys[i].hi, &keys[i].lo, &len) ||
            rows[i].time_class > 31)
            goto fail;
        keys[i].idx = (uint32_t)i;
    }
    qsort_r(keys, n, sizeof *keys, cmp_sort_key, (void *)rows);

    size_t np = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || keys[i].hi != keys[i - 1].hi || keys[i].lo != keys[i - 1].lo)
            np++;
    ix->nprefix = np;
    ix->nrows = n;
    ix->key_hi = alloc_array(np, sizeof *ix->key_hi);
    ix->key_lo = alloc_array(np, sizeof *ix->key_lo);
    ix->entry = alloc_array(np, sizeof *ix->entry);
    ix->nmore = n - np;
    ix->more = alloc_array(ix->nmore, sizeof *ix->more);
    ix->nbuckets = 1;
    while (ix->bucket_digits < BUCKET_DIGITS_MAX && ix->nbuckets * 10 <= np) {
        ix->bucket_digits++;
        ix->nbuckets *= 10;
    }
    ix->bucket = alloc_array(ix->nbuckets + 1, sizeof *ix->bucket);
    if (!ix->key_hi || !ix->key_lo || !ix->entry || !ix->bucket || !ix->more)
        goto fail;

    /* Prefixes, their parents (a stack of the current chain of prefixes:
     * in sorted order every prefix of a key comes before it) and rows. */
    uint32_t stack[TARIFF_NUMBER_MAX];
    int depth = 0;
    size_t k = 0, more = 0;
    prefix_entry *e = NULL;
    for (size_t i = 0; i < n; i++) {
        const rate_row *r = &rows[keys[i].idx];
        ix_row *o;
        if (i == 0 || keys[i].hi != keys[i - 1].hi || keys[i].lo != keys[i - 1].lo) {
            ix->key_hi[k] = keys[i].hi;
            ix->key_lo[k] = keys[i].lo;
            e = &ix->entry[k];
            memset(e, 0, sizeof *e);
            e->len = (uint8_t)strlen(r->prefix);
            e->more = (uint32_t)more;
            while (depth > 0) {
                uint32_t top = stack[depth - 1];
                if (key_is_prefix(ix->key_hi[top], ix->key_lo[top], ix->entry[top].len, keys[i].hi,
                                  keys[i].lo))
                    break;
                depth--;
            }
            e->parent = depth ? stack[depth - 1] : NONE;
            stack[depth++] = (uint32_t)k;
            k++;
            o = &e->first;
        } else {
            o = &ix->more[more++];
            e->nmore++;
        }
        o->row_id = r->row_id;
        o->tariff = add_tariff(&b, &r->t);
        o->period = add_period(&b, r->effective_from, r->effective_to);
        o->dest = add_name(&b, r->destination ? r->destination : "");
        if (o->tariff == NONE || o->period == NONE || o->dest == NONE)
            goto fail;
        o->time_class = r->time_class;
        o->min_length = r->min_length;
        o->max_length = r->max_length;
        o->blocked = r->blocked;
    }

    /* Bucket b holds the keys in [b, b + 1) as bucket_digits-digit strings. */
    size_t at = 0;
    for (uint32_t bk = 0; ix->bucket_digits && bk < ix->nbuckets; bk++) {
        char digits[BUCKET_DIGITS_MAX + 1];
        uint32_t v = bk;
        for (int d = ix->bucket_digits - 1; d >= 0; d--, v /= 10)
            digits[d] = (char)('0' + v % 10);
        digits[ix->bucket_digits] = '\0';
        uint64_t bh = 0;
        uint32_t bl = 0;
        int bn;
        key_encode(digits, &bh, &bl, &bn);
        while (at < np && !key_le(bh, bl, ix->key_hi[at], ix->key_lo[at]))
            at++;
        ix->bucket[bk] = (uint32_t)at;
    }
    ix->bucket[ix->bucket_digits ? ix->nbuckets : 0] = (uint32_t)np;

    /* Give back what the vectors over-reserved. */
    if (ix->ntariffs) {
        tariff *t = realloc(ix->tariffs, ix->ntariffs * sizeof *t);
        if (t)
            ix->tariffs = t;
    }
    if (ix->nperiods) {
        period *p = realloc(ix->periods, ix->nperiods * sizeof *p);
        if (p)
            ix->periods = p;
    }
    if (ix->names_len) {
        char *s = realloc(ix->names, ix->names_len);
        if (s)
            ix->names = s;
    }
    interner_free(&b.tariff_in);
    interner_free(&b.period_in);
    interner_free(&b.name_in);
    free(keys);
    return ix;

fail:
    interner_free(&b.tariff_in);
    interner_free(&b.period_in);
    interner_free(&b.name_in);
    free(keys);
    prefix_index_free(ix);
    return NULL;
}

/* ---- lookup ---- */

static inline bool row_applies(const prefix_index *ix, const ix_row *row, int64_t at, uint32_t classes)
{
    const period *p = &ix->periods[row->period];
    return at >= p->from && at < p->to && (!row->time_class || (classes >> row->time_class & 1));
}

bool prefix_index_lookup(const prefix_index *ix, const char *digits,
                         int64_t at_usec, uint32_t active_classes, rate_match *m)
{
    if (!ix || ix->nprefix == 0 || !digits)
        return false;
    /* Encode the number and read its bucket in the same pass, so the
     * bucket's cache miss starts as early as possible. */
    uint64_t hi = 0;
    uint32_t lo = 0, bk = 0;
    int len = 0, bd = ix->bucket_digits;
    for (; digits[len]; len++) {
        unsigned d = (unsigned char)digits[len] - '0';
        if (d > 9 || len >= TARIFF_NUMBER_MAX)
            return false;
        if (len < bd)
            bk = bk * 10 + d;
        if (len < 16)
            hi |= (uint64_t)(d + 1) << (60 - 4 * len);
        else
            lo |= (uint32_t)(d + 1) << (28 - 4 * (len - 16));
    }
    if (len == 0)
        return false;
    /* The greatest key <= the number: in the number's bucket, or the last
     * key before it. */
    size_t a = 0, z = ix->nprefix;
    if (bd && len >= bd) {
        a = ix->bucket[bk];
        z = ix->bucket[bk + 1];
    }
    while (a < z) {
        size_t mid = a + (z - a) / 2;
        if (key_le(ix->key_hi[mid], ix->key_lo[mid], hi, lo))
            a = mid + 1;
        else
            z = mid;
    }
    if (a == 0)
        return false;
    /* Every prefix of the number in the set is that key or one of its
     * ancestors (the parent chain, longest first). The ancestors that are
     * also prefixes of the number are those no longer than what the number
     * and the key have in common. */
    uint32_t c = (uint32_t)(a - 1);
    int common;
    uint64_t x = ix->key_hi[c] ^ hi;
    if (x)
        common = __builtin_clzll(x) / 4;
    else {
        uint32_t y = ix->key_lo[c] ^ lo;
        common = 16 + (y ? __builtin_clz(y) / 4 : 8);
    }
    for (; c != NONE; c = ix->entry[c].parent) {
        const prefix_entry *e = &ix->entry[c];
        if (e->len > common)
            continue;
        const ix_row *row = &e->first;
        for (uint32_t j = 0;; row = &ix->more[e->more + j++]) {
            if (row_applies(ix, row, at_usec, active_classes)) {
                const period *p = &ix->periods[row->period];
                m->destination = ix->names + row->dest;
                m->t = ix->tariffs[row->tariff];
                m->effective_from = p->from;
                m->effective_to = p->to;
                m->row_id = row->row_id;
                m->prefix_len = e->len;
                m->time_class = row->time_class;
                m->min_length = row->min_length;
                m->max_length = row->max_length;
                m->blocked = row->blocked;
                return true;
            }
            if (j == e->nmore)
                break;
        }
    }
    return false;
}

size_t prefix_index_rows(const prefix_index *ix)
{
    return ix ? ix->nrows : 0;
}

size_t prefix_index_memory(const prefix_index *ix)
{
    if (!ix)
        return 0;
    size_t np = ix->nprefix;
    return sizeof *ix +
           np * (sizeof *ix->key_hi + sizeof *ix->key_lo + sizeof *ix->entry) +
           (ix->nbuckets + 1) * sizeof *ix->bucket + ix->nmore * sizeof *ix->more +
           ix->ntariffs * sizeof *ix->tariffs +
           ix->nperiods * sizeof *ix->periods + ix->names_len;
}

void prefix_index_free(prefix_index *ix)
{
    if (!ix)
        return;
    free(ix->key_hi);
    free(ix->key_lo);
    free(ix->entry);
    free(ix->bucket);
    free(ix->more);
    free(ix->tariffs);
    free(ix->periods);
    free(ix->names);
    free(ix);
}
