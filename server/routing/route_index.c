/*
 * route_index: a small table of slots (one per plan asked for) under one
 * mutex, each holding the current table or none. The cache holds one
 * reference to the current table, every reader another. A load runs on the
 * asking worker outside the mutex; others asking for the same plan wait
 * for it. A load reads the plan's version and its entries in one
 * REPEATABLE READ snapshot, so the version it reports is exactly what it
 * read; it is cached only when no invalidation happened meanwhile and its
 * version is not older than what an event announced.
 */
#include "route_index.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define FETCH_ROWS "20000"
#define ROUTES_MAX 500

struct route_index {
    atomic_long refs;
    long long plan_id;
    long long version;
    route_table *table;
};

typedef struct {
    long long plan_id;
    route_index *cur;
    unsigned long gen;
    long long want_version;
    bool loading;
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t loaded = PTHREAD_COND_INITIALIZER;
static slot *slots;
static size_t nslots, cap_slots;

void route_index_release(route_index *ix)
{
    if (ix && atomic_fetch_sub(&ix->refs, 1) == 1) {
        route_table_free(ix->table);
        free(ix);
    }
}

const route_table *route_index_table(const route_index *ix) { return ix->table; }
long long route_index_version(const route_index *ix) { return ix->version; }

static slot *find_slot(long long plan_id)
{
    for (size_t i = 0; i < nslots; i++)
        if (slots[i].plan_id == plan_id)
            return &slots[i];
    return NULL;
}

static slot *add_slot(long long plan_id)
{
    if (nslots == cap_slots) {
        size_t cap = cap_slots ? cap_slots * 2 : 16;
        slot *s = realloc(slots, cap * sizeof *s);
        if (!s)
            return NULL;
        slots = s;
        cap_slots = cap;
    }
    slot *s = &slots[nslots++];
    memset(s, 0, sizeof *s);
    s->plan_id = plan_id;
    return s;
}

/* Drop the slot's table (under lock). */
static void forget(slot *s)
{
    route_index *old = s->cur;
    s->cur = NULL;
    s->gen++;
    route_index_release(old);
}

void route_index_invalidate(long long plan_id)
{
    pthread_mutex_lock(&lock);
    slot *s = find_slot(plan_id);
    if (s)
        forget(s);
    pthread_mutex_unlock(&lock);
}

void route_index_stale(long long plan_id, long long version)
{
    pthread_mutex_lock(&lock);
    slot *s = find_slot(plan_id);
    if (s) {
        if (version > s->want_version)
            s->want_version = version;
        if (s->cur && s->cur->version < version)
            forget(s);
    }
    pthread_mutex_unlock(&lock);
}

void route_index_invalidate_all(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nslots; i++)
        forget(&slots[i]);
    pthread_mutex_unlock(&lock);
}

/* ---- loading ---- */

static bool exec_ok(PGconn *db, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(db, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        log_error("routing: %s: %s", sql, PQresultErrorMessage(r));
        snprintf(err, errlen, "database error");
    }
    PQclear(r);
    return ok;
}

/* "id:priority:weight,..." (the cursor's aggregate) -> routes; -1 when malformed. */
static int parse_routes(const char *s, route_target *out, size_t max)
{
    size_t n = 0;
    while (*s && n < max) {
        char *end;
        long long id = strtoll(s, &end, 10);
        if (*end != ':')
            return -1;
        long prio = strtol(end + 1, &end, 10);
        if (*end != ':')
            return -1;
        long weight = strtol(end + 1, &end, 10);
        if (*end != ',' && *end != '\0')
            return -1;
        out[n++] = (route_target){ id, (int32_t)prio, (int32_t)weight };
        s = *end ? end + 1 : end;
    }
    return (int)n;
}

/* Build the table of plan_id from db: the new index (one reference) or NULL. */
static route_index *load(PGconn *db, long long plan_id, char *err, size_t errlen)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", plan_id);
    const char *params[] = { idt };
    route_index *ix = NULL;
    route_builder *b = NULL;
    PGresult *r = NULL;
    route_target routes[ROUTES_MAX];
    if (!exec_ok(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen))
        return NULL;
    r = PQexecParams(db, "SELECT version, (SELECT count(*) FROM routing_plan_entries e WHERE e.routing_plan_id = p.id)"
                         " FROM routing_plans p WHERE p.id = $1 AND p.deleted_at IS NULL",
                     1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("routing: plan %lld: %s", plan_id, PQresultErrorMessage(r));
        snprintf(err, errlen, "database error");
        goto out;
    }
    if (PQntuples(r) == 0) {
        snprintf(err, errlen, "no routing plan %lld", plan_id);
        goto out;
    }
    long long version = atoll(PQgetvalue(r, 0, 0));
    size_t count = (size_t)atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    r = PQexecParams(db,
        "DECLARE route_entries NO SCROLL CURSOR FOR"
        " SELECT e.prefix, coalesce((SELECT string_agg(concat_ws(':', x->>'interconnect_id',"
        "   coalesce(x->>'priority', '0'), coalesce(x->>'weight', '1')), ',' ORDER BY k)"
        "   FROM jsonb_array_elements(e.routes) WITH ORDINALITY AS a(x, k)), '')"
        " FROM routing_plan_entries e WHERE e.routing_plan_id = $1 ORDER BY e.prefix",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        log_error("routing: plan %lld: %s", plan_id, PQresultErrorMessage(r));
        snprintf(err, errlen, "database error");
        goto out;
    }
    PQclear(r);
    r = NULL;
    b = route_builder_new(count);
    if (!b)
        goto oom;
    for (;;) {
        r = PQexec(db, "FETCH " FETCH_ROWS " FROM route_entries");
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            log_error("routing: plan %lld: %s", plan_id, PQresultErrorMessage(r));
            snprintf(err, errlen, "database error");
            goto out;
        }
        int n = PQntuples(r);
        for (int i = 0; i < n; i++) {
            int nr = parse_routes(PQgetvalue(r, i, 1), routes, ROUTES_MAX);
            if (nr < 0) {
                log_error("routing: plan %lld prefix %s: unreadable routes", plan_id, PQgetvalue(r, i, 0));
                continue;
            }
            if (!route_builder_add(b, PQgetvalue(r, i, 0), routes, (size_t)nr))
                goto oom;
        }
        PQclear(r);
        r = NULL;
        if (n == 0)
            break;
    }
    ix = calloc(1, sizeof *ix);
    if (!ix)
        goto oom;
    ix->table = route_builder_finish(b);
    b = NULL;
    if (!ix->table)
        goto oom;
    atomic_init(&ix->refs, 1);
    ix->plan_id = plan_id;
    ix->version = version;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
    free(ix);
    ix = NULL;
out:
    PQclear(r);
    route_builder_free(b);
    r = PQexec(db, ix ? "COMMIT" : "ROLLBACK");
    PQclear(r);
    return ix;
}

route_index *route_index_get(PGconn *db, long long plan_id, long long min_version, char *err, size_t errlen)
{
    pthread_mutex_lock(&lock);
    slot *s = find_slot(plan_id);
    if (!s && !(s = add_slot(plan_id))) {
        pthread_mutex_unlock(&lock);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (;;) {
        if (s->cur && s->cur->version >= min_version && s->cur->version >= s->want_version) {
            route_index *ix = s->cur;
            atomic_fetch_add(&ix->refs, 1);
            pthread_mutex_unlock(&lock);
            return ix;
        }
        if (!s->loading)
            break;
        pthread_cond_wait(&loaded, &lock);
        s = find_slot(plan_id); /* slots may have moved */
    }
    s->loading = true;
    unsigned long gen = s->gen;
    pthread_mutex_unlock(&lock);

    route_index *ix = load(db, plan_id, err, errlen);

    pthread_mutex_lock(&lock);
    s = find_slot(plan_id);
    s->loading = false;
    if (ix && s->gen == gen && ix->version >= s->want_version) {
        route_index *old = s->cur;
        s->cur = ix;
        atomic_fetch_add(&ix->refs, 1); /* the cache's */
        route_index_release(old);
    }
    pthread_cond_broadcast(&loaded);
    pthread_mutex_unlock(&lock);
    return ix;
}
