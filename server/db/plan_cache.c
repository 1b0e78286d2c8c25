/*
 * plan_cache: a small table of slots (one per plan asked for) under the
 * cache's mutex, each holding the current value's reference or none.
 *
 * Why a load in flight must not install an old value over a newer change:
 *   - plan_cache_invalidate bumps the slot's generation; a load that began
 *     before it is handed to its caller but not cached;
 *   - plan_cache_stale raises the slot's wanted version; a load that read
 *     an older version is not cached (the loader's version is exact, so a
 *     load at or past the announced version is cached even if it began
 *     before the event).
 * Only one load per plan runs at a time (the slot's loading flag), so the
 * current value never changes under a load except by being dropped.
 */
#include "plan_cache.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FETCH_ROWS "20000"

struct plan_cache_ref {
    atomic_long refs;
    long long version;
    void *value;
    plan_cache_free_fn *free_value;
};

struct plan_cache_slot {
    long long plan_id;
    plan_cache_ref *cur;      /* current, or NULL */
    unsigned long gen;        /* bumped by invalidation */
    long long want_version;   /* values older than this are stale */
    bool loading;
};

typedef struct plan_cache_slot slot;

void plan_cache_release(plan_cache_ref *r)
{
    if (r && atomic_fetch_sub(&r->refs, 1) == 1) {
        r->free_value(r->value);
        free(r);
    }
}

void *plan_cache_value(const plan_cache_ref *r) { return r->value; }
long long plan_cache_version(const plan_cache_ref *r) { return r->version; }

/* ---- slots (under the lock) ---- */

static slot *find_slot(plan_cache *c, long long plan_id)
{
    for (size_t i = 0; i < c->nslots; i++)
        if (c->slots[i].plan_id == plan_id)
            return &c->slots[i];
    return NULL;
}

static slot *add_slot(plan_cache *c, long long plan_id)
{
    if (c->nslots == c->cap_slots) {
        size_t cap = c->cap_slots ? c->cap_slots * 2 : 16;
        slot *s = realloc(c->slots, cap * sizeof *s);
        if (!s)
            return NULL;
        c->slots = s;
        c->cap_slots = cap;
    }
    slot *s = &c->slots[c->nslots++];
    memset(s, 0, sizeof *s);
    s->plan_id = plan_id;
    return s;
}

/* Take the slot's value out (the caller releases it) and, when `bump`,
 * disown loads in flight. */
static plan_cache_ref *take_current(slot *s, bool bump)
{
    plan_cache_ref *old = s->cur;
    s->cur = NULL;
    if (bump)
        s->gen++;
    return old;
}

/* ---- get ---- */

plan_cache_ref *plan_cache_get(plan_cache *c, PGconn *db, long long plan_id, long long min_version, char *err,
                               size_t errlen)
{
    pthread_mutex_lock(&c->lock);
    slot *s;
    for (;;) {
        s = find_slot(c, plan_id); /* again after a wait: slots may have moved */
        if (!s && !(s = add_slot(c, plan_id))) {
            pthread_mutex_unlock(&c->lock);
            snprintf(err, errlen, "out of memory");
            return NULL;
        }
        plan_cache_ref *cur = s->cur;
        if (cur && cur->version >= min_version && cur->version >= s->want_version) {
            atomic_fetch_add(&cur->refs, 1);
            pthread_mutex_unlock(&c->lock);
            return cur;
        }
        if (!s->loading)
            break;
        pthread_cond_wait(&c->loaded, &c->lock);
    }
    s->loading = true;
    unsigned long gen = s->gen;
    pthread_mutex_unlock(&c->lock);

    long long version = 0;
    plan_cache_ref *r = NULL;
    void *value = c->load(db, plan_id, &version, err, errlen);
    if (value) {
        r = malloc(sizeof *r);
        if (r) {
            atomic_init(&r->refs, 1); /* the caller's */
            r->version = version;
            r->value = value;
            r->free_value = c->free_value;
        } else {
            c->free_value(value);
            snprintf(err, errlen, "out of memory");
        }
    }

    pthread_mutex_lock(&c->lock);
    s = find_slot(c, plan_id); /* slots may have moved; never removed */
    s->loading = false;
    plan_cache_ref *old = NULL;
    if (r && s->gen == gen && r->version >= s->want_version) {
        old = take_current(s, false);
        atomic_fetch_add(&r->refs, 1); /* the cache's */
        s->cur = r;
    }
    pthread_cond_broadcast(&c->loaded);
    pthread_mutex_unlock(&c->lock);
    plan_cache_release(old);
    return r;
}

/* ---- dropping ---- */

void plan_cache_invalidate(plan_cache *c, long long plan_id)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find_slot(c, plan_id);
    plan_cache_ref *old = s ? take_current(s, true) : NULL;
    pthread_mutex_unlock(&c->lock);
    plan_cache_release(old);
}

void plan_cache_stale(plan_cache *c, long long plan_id, long long version)
{
    pthread_mutex_lock(&c->lock);
    slot *s = find_slot(c, plan_id);
    plan_cache_ref *old = NULL;
    if (s) {
        if (version > s->want_version)
            s->want_version = version;
        if (s->cur && s->cur->version < version)
            old = take_current(s, false);
    }
    pthread_mutex_unlock(&c->lock);
    plan_cache_release(old);
}

void plan_cache_invalidate_all(plan_cache *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->nslots; i++)
        plan_cache_release(take_current(&c->slots[i], true)); /* frees it here unless a reader holds it */
    pthread_mutex_unlock(&c->lock);
}

/* ---- for loaders ---- */

bool plan_cache_exec(PGconn *db, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(db, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        log_error("plan cache: %s: %s", sql, PQresultErrorMessage(r));
        snprintf(err, errlen, "database error");
    }
    PQclear(r);
    return ok;
}

PGresult *plan_cache_query(PGconn *db, const char *sql, long long plan_id, ExecStatusType expect, char *err,
                           size_t errlen)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", plan_id);
    const char *params[] = { idt };
    PGresult *r = PQexecParams(db, sql, 1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != expect) {
        log_error("plan cache: plan %lld: %.48s...: %s", plan_id, sql, PQresultErrorMessage(r));
        snprintf(err, errlen, "database error");
        PQclear(r);
        return NULL;
    }
    return r;
}

bool plan_cache_rows(PGconn *db, const char *select, long long plan_id, bool binary,
                     bool (*take)(PGresult *batch, void *ctx, char *err, size_t errlen), void *ctx, char *err,
                     size_t errlen)
{
    static const char declare[] = "DECLARE plan_cache_rows NO SCROLL CURSOR FOR ";
    size_t n = sizeof declare + strlen(select);
    char *sql = malloc(n);
    if (!sql) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    snprintf(sql, n, "%s%s", declare, select);
    PGresult *r = plan_cache_query(db, sql, plan_id, PGRES_COMMAND_OK, err, errlen);
    free(sql);
    if (!r)
        return false;
    PQclear(r);
    bool ok = false;
    for (;;) {
        r = PQexecParams(db, "FETCH FORWARD " FETCH_ROWS " FROM plan_cache_rows", 0, NULL, NULL, NULL, NULL,
                         binary ? 1 : 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            log_error("plan cache: plan %lld: FETCH: %s", plan_id, PQresultErrorMessage(r));
            snprintf(err, errlen, "database error");
            break;
        }
        if (PQntuples(r) == 0) {
            ok = true;
            break;
        }
        if (!take(r, ctx, err, errlen))
            break;
        PQclear(r);
    }
    PQclear(r);
    r = PQexec(db, "CLOSE plan_cache_rows");
    PQclear(r);
    return ok;
}
