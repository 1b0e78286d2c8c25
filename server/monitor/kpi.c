/*
 * kpi.c: the rings of kpi.h.
 *
 * A scope holds, per window, a ring of buckets, the index (time / width)
 * of its newest bucket (`head`) and the running totals of the buckets in
 * the window. Invariant: a bucket outside (head - n, head] is all zeros,
 * so sliding the ring subtracts each bucket that leaves from the totals
 * and zeroes it, and an event for bucket index i within the window goes
 * to slot i % n whatever was there before.
 *
 * A shard is an open-addressing hash table (linear probing, power-of-two
 * capacity, at most half full) of scope pointers under one mutex.
 */
#include "kpi.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000LL

const int32_t kpi_pdd_bounds[KPI_PDD_BINS - 1] = { 250, 500, 1000, 1500, 2000, 3000, 4000, 6000, 8000, 12000, 20000 };

const char *const kpi_window_names[KPI_WINDOWS + 1] = { "5m", "15m", "1h", "24h", NULL };
const char *const kpi_scope_names[KPI_SCOPE_KINDS + 1] = { "interconnect", "route", "destination", "service", NULL };

/* The rings: width and count per window; the slots of all four follow
 * one another in a scope's bucket array. */
static const struct {
    int64_t width;
    int n;
} rings[KPI_WINDOWS] = {
    [KPI_5M] = { 10 * SEC, 30 },
    [KPI_15M] = { 30 * SEC, 30 },
    [KPI_1H] = { 60 * SEC, 60 },
    [KPI_24H] = { 1800 * SEC, 48 },
};
#define SLOTS (30 + 30 + 60 + 48)
static const int ring_first[KPI_WINDOWS] = { 0, 30, 60, 120 };

/* One bucket: 32-bit counts (a bucket is at most 30 minutes of one scope). */
typedef struct {
    uint32_t attempts, answered, ner, short_calls, redirects, pdd_n;
    uint32_t pdd_hist[KPI_PDD_BINS];
    uint64_t seconds, pdd_sum_ms;
} bucket;

typedef struct {
    char id[KPI_ID_MAX + 1];
    uint32_t hash;
    int64_t head[KPI_WINDOWS];
    kpi_counts total[KPI_WINDOWS];
    bucket b[SLOTS];
} scope;

typedef struct {
    pthread_mutex_t mu;
    scope **slot;
    size_t cap;       /* power of two */
    size_t used;
} shard;

typedef struct {
    shard shards[KPI_SHARDS];
    _Atomic size_t count;
} table;

struct kpi_table {
    table t[KPI_SCOPE_KINDS];
    int short_call_s;
    size_t max_scopes;
};

/* FNV-1a */
static uint32_t hash_id(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

kpi_table *kpi_new(const kpi_options *opt)
{
    kpi_table *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->short_call_s = opt && opt->short_call_s > 0 ? opt->short_call_s : KPI_SHORT_CALL_S_DEFAULT;
    k->max_scopes = opt && opt->max_scopes > 0 ? opt->max_scopes : KPI_MAX_SCOPES_DEFAULT;
    for (int i = 0; i < KPI_SCOPE_KINDS; i++)
        for (int s = 0; s < KPI_SHARDS; s++)
            pthread_mutex_init(&k->t[i].shards[s].mu, NULL);
    return k;
}

void kpi_free(kpi_table *k)
{
    if (!k)
        return;
    for (int i = 0; i < KPI_SCOPE_KINDS; i++)
        for (int s = 0; s < KPI_SHARDS; s++) {
            shard *sh = &k->t[i].shards[s];
            for (size_t j = 0; j < sh->cap; j++)
                free(sh->slot[j]);
            free(sh->slot);
            pthread_mutex_destroy(&sh->mu);
        }
    free(k);
}

/* ---- buckets and rings ---- */

static int pdd_bin(int32_t ms)
{
    int i = 0;
    while (i < KPI_PDD_BINS - 1 && ms > kpi_pdd_bounds[i])
        i++;
    return i;
}

static void total_sub(kpi_counts *t, const bucket *b)
{
    t->attempts -= b->attempts;
    t->answered -= b->answered;
    t->ner -= b->ner;
    t->short_calls -= b->short_calls;
    t->redirects -= b->redirects;
    t->seconds -= b->seconds;
    t->pdd_n -= b->pdd_n;
    t->pdd_sum_ms -= b->pdd_sum_ms;
    for (int i = 0; i < KPI_PDD_BINS; i++)
        t->pdd_hist[i] -= b->pdd_hist[i];
}

/* Floor division for times before 1970 (tests use small times too). */
static int64_t index_of(int64_t t, int64_t width)
{
    return t >= 0 ? t / width : -((-t + width - 1) / width);
}

/* Move window w's head to the bucket of `now`, dropping what leaves. A
 * `now` behind the head (a caller's clock going back) leaves it alone. */
static void slide(scope *s, kpi_window w, int64_t now)
{
    int64_t to = index_of(now, rings[w].width), n = rings[w].n;
    bucket *b = &s->b[ring_first[w]];
    if (to <= s->head[w])
        return;
    if (to - s->head[w] >= n) {
        memset(b, 0, (size_t)n * sizeof *b);
        memset(&s->total[w], 0, sizeof s->total[w]);
    } else {
        for (int64_t i = s->head[w] + 1; i <= to; i++) {
            bucket *x = &b[(i % n + n) % n];
            total_sub(&s->total[w], x);
            memset(x, 0, sizeof *x);
        }
    }
    s->head[w] = to;
}

typedef struct {
    bool answered, ner, short_call, redirect;
    uint64_t seconds;
    int32_t pdd_ms;
    int bin;
} outcome;

static bool add_to(scope *s, kpi_window w, int64_t t, const outcome *o)
{
    int64_t i = index_of(t, rings[w].width), n = rings[w].n;
    if (i <= s->head[w] - n)
        return false;
    if (i > s->head[w])
        i = s->head[w]; /* within the future slack: the current bucket */
    bucket *x = &s->b[ring_first[w] + (int)((i % n + n) % n)];
    kpi_counts *tot = &s->total[w];
    x->attempts++, tot->attempts++;
    if (o->answered) {
        x->answered++, tot->answered++;
        x->seconds += o->seconds, tot->seconds += o->seconds;
    }
    if (o->ner)
        x->ner++, tot->ner++;
    if (o->short_call)
        x->short_calls++, tot->short_calls++;
    if (o->redirect)
        x->redirects++, tot->redirects++;
    if (o->pdd_ms >= 0) {
        x->pdd_n++, tot->pdd_n++;
        x->pdd_sum_ms += (uint64_t)o->pdd_ms, tot->pdd_sum_ms += (uint64_t)o->pdd_ms;
        x->pdd_hist[o->bin]++, tot->pdd_hist[o->bin]++;
    }
    return true;
}

/* ---- scope tables ---- */

static shard *shard_of(kpi_table *k, kpi_scope kind, uint32_t h)
{
    return &k->t[kind].shards[(h >> 24) % KPI_SHARDS];
}

/* Lookup under the shard's lock. */
static scope *find(shard *sh, const char *id, uint32_t h)
{
    if (!sh->cap)
        return NULL;
    for (size_t j = h & (sh->cap - 1);; j = (j + 1) & (sh->cap - 1)) {
        scope *s = sh->slot[j];
        if (!s)
            return NULL;
        if (s->hash == h && strcmp(s->id, id) == 0)
            return s;
    }
}

static bool grow(shard *sh)
{
    size_t cap = sh->cap ? sh->cap * 2 : 64;
    scope **v = calloc(cap, sizeof *v);
    if (!v)
        return false;
    for (size_t j = 0; j < sh->cap; j++) {
        scope *s = sh->slot[j];
        if (!s)
            continue;
        size_t p = s->hash & (cap - 1);
        while (v[p])
            p = (p + 1) & (cap - 1);
        v[p] = s;
    }
    free(sh->slot);
    sh->slot = v;
    sh->cap = cap;
    return true;
}

static scope *create(kpi_table *k, kpi_scope kind, shard *sh, const char *id, uint32_t h, int64_t now)
{
    if (k->t[kind].count >= k->max_scopes)
        return NULL;
    if ((sh->used + 1) * 2 > sh->cap && !grow(sh))
        return NULL;
    scope *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    strcpy(s->id, id);
    s->hash = h;
    for (int w = 0; w < KPI_WINDOWS; w++)
        s->head[w] = index_of(now, rings[w].width);
    size_t p = h & (sh->cap - 1);
    while (sh->slot[p])
        p = (p + 1) & (sh->cap - 1);
    sh->slot[p] = s;
    sh->used++;
    k->t[kind].count++;
    return s;
}

int kpi_add(kpi_table *k, kpi_scope kind, const char *id, const kpi_event *e, int64_t now)
{
    size_t len = strlen(id);
    if (!len || len > KPI_ID_MAX)
        return KPI_BAD_ID;
    if (e->time_usec > now + KPI_FUTURE_SLACK_USEC)
        return KPI_TOO_NEW;
    /* The oldest time any window still holds. */
    int64_t oldest = (index_of(now, rings[KPI_24H].width) - rings[KPI_24H].n + 1) * rings[KPI_24H].width;
    if (e->time_usec < oldest)
        return KPI_TOO_OLD;

    outcome o = {
        .answered = e->answered,
        .ner = kpi_ner_counts(e->answered, e->release_cause),
        .short_call = e->answered && e->seconds < k->short_call_s,
        .redirect = kpi_redirected(e->answered, e->release_cause),
        .seconds = e->answered && e->seconds > 0 ? (uint64_t)e->seconds : 0,
        .pdd_ms = e->pdd_ms,
        .bin = e->pdd_ms >= 0 ? pdd_bin(e->pdd_ms) : 0,
    };
    uint32_t h = hash_id(id);
    shard *sh = shard_of(k, kind, h);
    pthread_mutex_lock(&sh->mu);
    scope *s = find(sh, id, h);
    if (!s)
        s = create(k, kind, sh, id, h, now);
    if (!s) {
        pthread_mutex_unlock(&sh->mu);
        return KPI_FULL;
    }
    for (int w = 0; w < KPI_WINDOWS; w++) {
        slide(s, (kpi_window)w, now);
        add_to(s, (kpi_window)w, e->time_usec, &o);
    }
    pthread_mutex_unlock(&sh->mu);
    return KPI_ADDED;
}

size_t kpi_snapshot(kpi_table *k, kpi_scope kind, kpi_window w, int64_t now, kpi_item **out)
{
    size_t cap = 0, n = 0;
    kpi_item *v = NULL;
    *out = NULL;
    for (int i = 0; i < KPI_SHARDS; i++) {
        shard *sh = &k->t[kind].shards[i];
        pthread_mutex_lock(&sh->mu);
        if (n + sh->used > cap) {
            size_t want = cap ? cap : 64;
            while (want < n + sh->used)
                want *= 2;
            kpi_item *nv = realloc(v, want * sizeof *nv);
            if (!nv) {
                pthread_mutex_unlock(&sh->mu);
                free(v);
                return (size_t)-1;
            }
            v = nv, cap = want;
        }
        for (size_t j = 0; j < sh->cap; j++) {
            scope *s = sh->slot[j];
            if (!s)
                continue;
            slide(s, w, now);
            if (!s->total[w].attempts)
                continue;
            memcpy(v[n].scope_id, s->id, sizeof s->id);
            v[n].c = s->total[w];
            n++;
        }
        pthread_mutex_unlock(&sh->mu);
    }
    if (!n) {
        free(v);
        v = NULL;
    }
    *out = v;
    return n;
}

/* Scope id of kind, slid to now in window w, with its shard locked (*sh:
 * the caller unlocks it), or NULL (the shard still locked) when unknown. */
static scope *lock_scope(kpi_table *k, kpi_scope kind, const char *id, kpi_window w, int64_t now, shard **sh)
{
    uint32_t h = hash_id(id);
    *sh = shard_of(k, kind, h);
    pthread_mutex_lock(&(*sh)->mu);
    scope *s = find(*sh, id, h);
    if (s)
        slide(s, w, now);
    return s;
}

void kpi_get(kpi_table *k, kpi_scope kind, const char *id, kpi_window w, int64_t now, kpi_counts *out)
{
    memset(out, 0, sizeof *out);
    shard *sh;
    scope *s = lock_scope(k, kind, id, w, now, &sh);
    if (s)
        *out = s->total[w];
    pthread_mutex_unlock(&sh->mu);
}

static void bucket_counts(const bucket *b, kpi_counts *o)
{
    o->attempts = b->attempts;
    o->answered = b->answered;
    o->ner = b->ner;
    o->short_calls = b->short_calls;
    o->redirects = b->redirects;
    o->seconds = b->seconds;
    o->pdd_n = b->pdd_n;
    o->pdd_sum_ms = b->pdd_sum_ms;
    for (int i = 0; i < KPI_PDD_BINS; i++)
        o->pdd_hist[i] = b->pdd_hist[i];
}

size_t kpi_series(kpi_table *k, kpi_scope kind, const char *id, kpi_window w, int64_t now, kpi_counts *out,
                  size_t max)
{
    int64_t n = rings[w].n;
    size_t m = max < (size_t)n ? max : (size_t)n;
    memset(out, 0, m * sizeof *out);
    if (!m || !id[0] || strlen(id) > KPI_ID_MAX)
        return m;
    shard *sh;
    scope *s = lock_scope(k, kind, id, w, now, &sh);
    if (s) {
        const bucket *b = &s->b[ring_first[w]];
        int64_t head = s->head[w];
        for (size_t i = 0; i < m; i++) {
            int64_t idx = head - (int64_t)(m - 1 - i);
            bucket_counts(&b[(idx % n + n) % n], &out[i]);
        }
    }
    pthread_mutex_unlock(&sh->mu);
    return m;
}

size_t kpi_scope_count(kpi_table *k, kpi_scope kind)
{
    return k->t[kind].count;
}

/* ---- figures ---- */

bool kpi_ner_counts(bool answered, int32_t cause)
{
    if (answered)
        return true;
    switch (cause) {
    case 16: case 17: case 18: case 19: case 21:  /* Q.850 */
    case 486: case 600: case 480: case 408: case 603: /* SIP */
        return true;
    default:
        return false;
    }
}

bool kpi_redirected(bool answered, int32_t cause)
{
    return !answered && ((cause >= 300 && cause <= 399) || cause == 23);
}

static double ratio(uint64_t a, uint64_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

double kpi_asr(const kpi_counts *c) { return ratio(c->answered, c->attempts); }
double kpi_ner(const kpi_counts *c) { return ratio(c->ner, c->attempts); }
double kpi_acd(const kpi_counts *c) { return ratio(c->seconds, c->answered); }
double kpi_pdd_avg(const kpi_counts *c) { return ratio(c->pdd_sum_ms, c->pdd_n); }
double kpi_short_ratio(const kpi_counts *c) { return ratio(c->short_calls, c->answered); }
double kpi_ser(const kpi_counts *c) { return ratio(c->answered, c->attempts - c->redirects); }

int32_t kpi_pdd_p95(const kpi_counts *c)
{
    if (!c->pdd_n)
        return -1;
    uint64_t rank = (c->pdd_n * 95 + 99) / 100, seen = 0; /* ceil(0.95 n) */
    for (int i = 0; i < KPI_PDD_BINS - 1; i++) {
        seen += c->pdd_hist[i];
        if (seen >= rank)
            return kpi_pdd_bounds[i];
    }
    return kpi_pdd_bounds[KPI_PDD_BINS - 2];
}

static int lookup(const char *const *names, const char *s)
{
    for (int i = 0; s && names[i]; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

int kpi_window_parse(const char *s) { return lookup(kpi_window_names, s); }
int kpi_scope_parse(const char *s) { return lookup(kpi_scope_names, s); }
int64_t kpi_bucket_usec(kpi_window w) { return rings[w].width; }
int kpi_bucket_count(kpi_window w) { return rings[w].n; }
