/*
 * rating_engine: the live rate decks, one per rating plan in use.
 *
 * The decks live in a plan_cache (db/plan_cache.h): loaded on the asking
 * worker, shared through counted references, dropped by
 * rating_deck_invalidate (this instance wrote the plan and committed) and
 * rating_deck_stale (a rating_plan.changed event naming the new version).
 * A rating_deck handed out is the cache's reference to the deck; the deck
 * itself is the cache's value.
 *
 * The version a deck was built from is read before and after its rows
 * (every write of rates bumps the plan's version in the same transaction):
 * when they differ a change committed in between, and the load is retried,
 * so the version the cache is told is the one the rows belong to.
 *
 * The rows come through one cursor (plan_cache_rows: 20,000 at a time, in
 * binary), so a million rows never sit in one PGresult.
 */
#include "rating_engine.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "plans.h"
#include "timeutil.h"
#include "../db/plan_cache.h"

#define LOAD_ATTEMPTS 3
#define ARENA_BLOCK (1u << 20)
#define MAX_RANGES (TIME_CLASS_MAX_ID * TIME_CLASS_RANGES_MAX)
#define DESTINATION_MAX 128 /* characters (rates.destination comes from deck_csv: at most 128 bytes) */

/* The cache's value. */
typedef struct {
    char currency[4];
    money_rounding rounding;
    prefix_index *ix;
    size_t nranges;
    time_class_range ranges[]; /* nranges */
} deck;

static void *deck_load(PGconn *db, long long plan_id, long long *version, char *err, size_t errlen);
static void deck_free(void *value);

static plan_cache decks = PLAN_CACHE_INIT(deck_load, deck_free);

/* ---- references ---- */

/* rating_deck is never defined: it is a plan_cache_ref under another name. */
static const deck *deck_of(const rating_deck *d) { return plan_cache_value((const plan_cache_ref *)d); }

static void deck_free(void *value)
{
    deck *d = value;
    if (d) {
        prefix_index_free(d->ix);
        free(d);
    }
}

void rating_deck_release(rating_deck *d) { plan_cache_release((plan_cache_ref *)d); }

const char *rating_deck_currency(const rating_deck *d) { return deck_of(d)->currency; }
money_rounding rating_deck_rounding(const rating_deck *d) { return deck_of(d)->rounding; }
const prefix_index *rating_deck_index(const rating_deck *d) { return deck_of(d)->ix; }
long long rating_deck_version(const rating_deck *d) { return plan_cache_version((const plan_cache_ref *)d); }

rating_deck *rating_deck_get(PGconn *db, long long plan_id, char *err, size_t errlen)
{
    return (rating_deck *)plan_cache_get(&decks, db, plan_id, 0, err, errlen);
}

void rating_deck_invalidate(long long plan_id) { plan_cache_invalidate(&decks, plan_id); }
void rating_deck_stale(long long plan_id, long long version) { plan_cache_stale(&decks, plan_id, version); }
void rating_deck_invalidate_all(void) { plan_cache_invalidate_all(&decks); }

/* ---- loading ---- */

/* Strings of the rows being loaded: blocks that never move, destinations
 * interned (a deck has a few thousand names for a million rows). */
typedef struct block {
    struct block *next;
    size_t used;
    char data[ARENA_BLOCK];
} block;

typedef struct {
    block *blocks;
    const char **names;       /* open addressing, cap a power of two */
    size_t nnames, cap_names;
} arena;

static const char *arena_copy(arena *a, const char *s, size_t n)
{
    if (!a->blocks || a->blocks->used + n + 1 > ARENA_BLOCK) {
        block *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        b->next = a->blocks;
        b->used = 0;
        a->blocks = b;
    }
    char *p = a->blocks->data + a->blocks->used;
    memcpy(p, s, n);
    p[n] = '\0';
    a->blocks->used += n + 1;
    return p;
}

static const char *arena_intern(arena *a, const char *s)
{
    if ((a->nnames + 1) * 2 > a->cap_names) {
        size_t cap = a->cap_names ? a->cap_names * 2 : 1024;
        const char **t = calloc(cap, sizeof *t);
        if (!t)
            return NULL;
        for (size_t i = 0; i < a->cap_names; i++) {
            if (!a->names[i])
                continue;
            uint64_t h = 1469598103934665603ULL;
            for (const char *p = a->names[i]; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
            size_t k = (size_t)h & (cap - 1);
            while (t[k])
                k = (k + 1) & (cap - 1);
            t[k] = a->names[i];
        }
        free(a->names);
        a->names = t;
        a->cap_names = cap;
    }
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = s; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    size_t k = (size_t)h & (a->cap_names - 1);
    while (a->names[k]) {
        if (!strcmp(a->names[k], s))
            return a->names[k];
        k = (k + 1) & (a->cap_names - 1);
    }
    const char *copy = arena_copy(a, s, strlen(s));
    if (copy) {
        a->names[k] = copy;
        a->nnames++;
    }
    return copy;
}

static void arena_free(arena *a)
{
    while (a->blocks) {
        block *next = a->blocks->next;
        free(a->blocks);
        a->blocks = next;
    }
    free(a->names);
}

typedef struct {
    long long version;
    char currency[4];
    money_rounding rounding;
    size_t nranges;
    time_class_range ranges[MAX_RANGES];
} plan_meta;

/* 1 read, 0 no such live plan, -1 error (err set). */
static int read_meta(PGconn *db, long long plan_id, plan_meta *m, char *err, size_t errlen)
{
    PGresult *r = plan_cache_query(db,
        "SELECT p.version, p.currency, p.rounding,"
        " (SELECT coalesce(json_agg(json_build_object('id', k.id, 'ranges', k.ranges)), '[]')::text"
        "    FROM time_classes k WHERE k.rating_plan_id = p.id)"
        " FROM rating_plans p WHERE p.id = $1 AND p.deleted_at IS NULL",
        plan_id, PGRES_TUPLES_OK, err, errlen);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        snprintf(err, errlen, "no rating plan %lld", plan_id);
        PQclear(r);
        return 0;
    }
    m->version = atoll(PQgetvalue(r, 0, 0));
    snprintf(m->currency, sizeof m->currency, "%s", PQgetvalue(r, 0, 1));
    if (!money_rounding_parse(PQgetvalue(r, 0, 2), &m->rounding))
        m->rounding = MONEY_ROUND_HALF_UP;
    json_t *classes = json_loads(PQgetvalue(r, 0, 3), 0, NULL);
    PQclear(r);
    m->nranges = 0;
    size_t i;
    json_t *k;
    int rc = 1;
    json_array_foreach(classes, i, k) {
        char why[96];
        if (!time_class_ranges_parse(json_object_get(k, "ranges"), (int)json_integer_value(json_object_get(k, "id")),
                                     m->ranges, MAX_RANGES, &m->nranges, why, sizeof why)) {
            log_error("rating: plan %lld: stored time class unusable: %s", plan_id, why);
            snprintf(err, errlen, "plan %lld has an unusable time class", plan_id);
            rc = -1;
            break;
        }
    }
    json_decref(classes);
    return rc;
}

/* Binary columns (FETCH ... in binary: no text formatting on the server,
 * no parsing here). Lengths are checked, so a surprise type is an error. */
static bool bin_i64(PGresult *r, int i, int col, int64_t *out)
{
    if (PQgetisnull(r, i, col) || PQgetlength(r, i, col) != 8)
        return false;
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, i, col);
    uint64_t v = 0;
    for (int k = 0; k < 8; k++)
        v = v << 8 | p[k];
    *out = (int64_t)v;
    return true;
}

static bool bin_i32(PGresult *r, int i, int col, int32_t *out)
{
    if (PQgetisnull(r, i, col) || PQgetlength(r, i, col) != 4)
        return false;
    const unsigned char *p = (const unsigned char *)PQgetvalue(r, i, col);
    *out = (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
    return true;
}

/* timestamptz on the wire: microseconds since 2000-01-01 UTC. */
#define PG_EPOCH_USEC 946684800000000LL

static bool parse_row(PGresult *r, int i, arena *a, rate_row *row)
{
    int64_t id, rate, fee, from, to = 0;
    int32_t inc1, inc2, min_dur, cls, minl, maxl;
    int plen = PQgetlength(r, i, 1), dlen = PQgetlength(r, i, 2);
    if (!bin_i64(r, i, 0, &id) || !bin_i64(r, i, 3, &rate) || !bin_i64(r, i, 4, &fee) || !bin_i32(r, i, 5, &inc1) ||
        !bin_i32(r, i, 6, &inc2) || !bin_i32(r, i, 7, &min_dur) || !bin_i64(r, i, 8, &from) ||
        (!PQgetisnull(r, i, 9) && !bin_i64(r, i, 9, &to)) || !bin_i32(r, i, 10, &cls) ||
        !bin_i32(r, i, 11, &minl) || !bin_i32(r, i, 12, &maxl) || PQgetlength(r, i, 13) != 1 || plen < 1 ||
        plen > TARIFF_NUMBER_MAX || dlen > 4 * DESTINATION_MAX || cls < 0 || cls > TIME_CLASS_MAX_ID || minl < 0 ||
        minl > TARIFF_NUMBER_MAX || maxl < 0 || maxl > TARIFF_NUMBER_MAX)
        return false;
    char dest[4 * DESTINATION_MAX + 1];
    memcpy(dest, PQgetvalue(r, i, 2), (size_t)dlen);
    dest[dlen] = '\0';
    row->prefix = arena_copy(a, PQgetvalue(r, i, 1), (size_t)plen);
    row->destination = arena_intern(a, dest);
    if (!row->prefix || !row->destination)
        return false;
    row->row_id = id;
    row->t.rate = rate;
    row->t.connection_fee = fee;
    row->t.initial_increment = inc1;
    row->t.subsequent_increment = inc2;
    row->t.min_duration = min_dur;
    row->effective_from = from + PG_EPOCH_USEC;
    row->effective_to = PQgetisnull(r, i, 9) ? RATE_OPEN_END : to + PG_EPOCH_USEC;
    row->time_class = (uint8_t)cls;
    row->min_length = (uint8_t)minl;
    row->max_length = (uint8_t)maxl;
    row->blocked = PQgetvalue(r, i, 13)[0] != 0;
    return true;
}

/* The rows being loaded. */
typedef struct {
    long long plan_id;
    rate_row *rows;
    size_t n, cap;
    arena a;
} rows_load;

/* One batch of the cursor (plan_cache_rows' take). */
static bool take_rates(PGresult *r, void *ctx, char *err, size_t errlen)
{
    rows_load *x = ctx;
    int got = PQntuples(r);
    if (x->n + (size_t)got > x->cap) {
        size_t ncap = x->cap ? x->cap * 2 : 65536;
        while (ncap < x->n + (size_t)got)
            ncap *= 2;
        rate_row *g = realloc(x->rows, ncap * sizeof *g);
        if (!g) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
        x->rows = g;
        x->cap = ncap;
    }
    for (int i = 0; i < got; i++) {
        if (!parse_row(r, i, &x->a, &x->rows[x->n])) {
            log_error("rating: plan %lld: unusable rate row (the %zu-th)", x->plan_id, x->n + 1);
            snprintf(err, errlen, "plan %lld has an unusable rate row", x->plan_id);
            return false;
        }
        x->n++;
    }
    return true;
}

/* The plan's rows through a cursor (in binary) into an index. NULL with err set. */
static prefix_index *load_rows(PGconn *db, long long plan_id, size_t *nrows, char *err, size_t errlen)
{
    rows_load x = { .plan_id = plan_id };
    prefix_index *ix = NULL;
    int64_t t0 = time_mono_usec();
    if (plan_cache_rows(db,
            "SELECT id, prefix, destination, (rate * 1000000)::bigint, (connection_fee * 1000000)::bigint,"
            " initial_increment, subsequent_increment, min_duration, effective_from, effective_to,"
            " coalesce(time_class_id, 0)::integer, coalesce(min_length, 0)::integer,"
            " coalesce(max_length, 0)::integer, blocked"
            " FROM rates WHERE rating_plan_id = $1",
            plan_id, true, take_rates, &x, err, errlen)) {
        int64_t t = time_mono_usec();
        ix = prefix_index_build(x.rows, x.n);
        log_debug("rating: plan %lld: %zu rows read in %lld ms, indexed in %lld ms", plan_id, x.n,
                  (long long)(t - t0) / 1000, (long long)(time_mono_usec() - t) / 1000);
        if (!ix)
            snprintf(err, errlen, "out of memory building the deck of plan %lld", plan_id);
    }
    free(x.rows);
    arena_free(&x.a);
    *nrows = x.n;
    return ix;
}

/* Build the deck of plan_id with db (the cache's loader). NULL with err set. */
static void *deck_load(PGconn *db, long long plan_id, long long *version, char *err, size_t errlen)
{
    if (!db) {
        snprintf(err, errlen, "no database connection");
        return NULL;
    }
    PGTransactionStatusType ts = PQtransactionStatus(db);
    if (ts != PQTRANS_IDLE && ts != PQTRANS_INTRANS) {
        snprintf(err, errlen, "the database connection is not usable");
        return NULL;
    }
    /* Our own read-only transaction, or a savepoint in the caller's, so a
     * failure here leaves the caller's transaction usable. */
    bool own = ts == PQTRANS_IDLE;
    int64_t t0 = time_mono_usec();
    plan_meta *m = malloc(sizeof *m);
    plan_meta *after = malloc(sizeof *after);
    deck *d = NULL;
    prefix_index *ix = NULL;
    size_t nrows = 0;
    if (!m || !after) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    for (int attempt = 0; attempt < LOAD_ATTEMPTS; attempt++) {
        if (!plan_cache_exec(db, own ? "BEGIN READ ONLY" : "SAVEPOINT rating_deck_load", err, errlen))
            goto out;
        int rc = read_meta(db, plan_id, m, err, errlen);
        if (rc == 1)
            ix = load_rows(db, plan_id, &nrows, err, errlen);
        if (ix)
            rc = read_meta(db, plan_id, after, err, errlen);
        bool done = rc == 1 && ix != NULL;
        if (own)
            plan_cache_exec(db, done ? "COMMIT" : "ROLLBACK", err, errlen);
        else if (done)
            plan_cache_exec(db, "RELEASE SAVEPOINT rating_deck_load", err, errlen);
        else if (plan_cache_exec(db, "ROLLBACK TO SAVEPOINT rating_deck_load", err, errlen))
            plan_cache_exec(db, "RELEASE SAVEPOINT rating_deck_load", err, errlen);
        if (!done)
            goto out;
        if (after->version == m->version)
            break;
        /* A write committed between the two reads: the rows may be of
         * either version. Read again. */
        prefix_index_free(ix);
        ix = NULL;
    }
    if (!ix) {
        snprintf(err, errlen, "the plan kept changing while its deck loaded");
        goto out;
    }
    d = malloc(sizeof *d + m->nranges * sizeof d->ranges[0]);
    if (!d) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    *version = m->version;
    memcpy(d->currency, m->currency, sizeof d->currency);
    d->rounding = m->rounding;
    d->ix = ix;
    ix = NULL;
    d->nranges = m->nranges;
    memcpy(d->ranges, m->ranges, m->nranges * sizeof d->ranges[0]);
    log_info("rating: plan %lld version %lld: deck of %zu rows loaded in %lld ms (%zu kB)", plan_id, m->version,
             nrows, (long long)((time_mono_usec() - t0) / 1000), prefix_index_memory(d->ix) / 1024);
out:
    prefix_index_free(ix);
    free(m);
    free(after);
    return d;
}

/* ---- rating ---- */

static void unrated(rating_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unrated(rating_result *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
    out->rated = false;
}

void rating_rate(const rating_deck *deck_ref, const char *callee, int64_t start_usec, bool answered,
                 int64_t answer_usec, int64_t end_usec, const char *tz, rating_result *out)
{
    const deck *d = deck_of(deck_ref);
    out->rated = false;
    out->reason[0] = out->prefix[0] = out->destination[0] = '\0';
    out->rate = out->cost = 0;
    out->duration = out->billed = 0;
    out->rate_row_id = 0;
    memcpy(out->currency, d->currency, sizeof out->currency);
    char digits[TARIFF_NUMBER_MAX + 1];
    if (!callee || !tariff_normalise_number(callee, digits, sizeof digits)) {
        unrated(out, "not a number of 1 to %d digits: %.40s", TARIFF_NUMBER_MAX, callee ? callee : "");
        return;
    }
    uint32_t active = 0;
    if (d->nranges) {
        int32_t offset;
        const char *zone = tz && *tz ? tz : "UTC";
        if (!time_zone_offset(zone, start_usec, &offset)) {
            unrated(out, "unknown time zone %.64s", zone);
            return;
        }
        active = time_class_active(d->ranges, d->nranges, start_usec, offset);
    }
    rate_match m;
    if (!prefix_index_lookup(d->ix, digits, start_usec, active, &m)) {
        unrated(out, "no rate for %s", digits);
        return;
    }
    memcpy(out->prefix, digits, m.prefix_len);
    out->prefix[m.prefix_len] = '\0';
    /* a bounded copy: snprintf costs more than the lookup */
    size_t dl = m.destination ? strnlen(m.destination, sizeof out->destination - 1) : 0;
    memcpy(out->destination, m.destination ? m.destination : "", dl);
    out->destination[dl] = '\0';
    out->rate = m.t.rate;
    out->rate_row_id = m.row_id;
    if (m.blocked) {
        unrated(out, "prefix %s is blocked", out->prefix);
        return;
    }
    size_t len = strlen(digits);
    if ((m.min_length && len < m.min_length) || (m.max_length && len > m.max_length)) {
        unrated(out, "number length %zu outside %d..%d", len, m.min_length ? m.min_length : 1,
                m.max_length ? m.max_length : TARIFF_NUMBER_MAX);
        return;
    }
    out->duration = tariff_call_duration(answered, answer_usec, end_usec);
    out->billed = tariff_billed_duration(&m.t, out->duration);
    if (out->billed < 0 || !tariff_cost(&m.t, out->billed, d->rounding, &out->cost)) {
        out->billed = 0;
        unrated(out, "cost overflows");
        return;
    }
    out->rated = true;
}
