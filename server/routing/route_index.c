/*
 * route_index: the live route tables in a plan_cache (db/plan_cache.h),
 * whose value is the plan's route_table. A route_index handed out is the
 * cache's reference to it. A load reads the plan's version and its entries
 * (one cursor: plan_cache_rows) in one REPEATABLE READ snapshot, so the
 * version it reports is exactly what it read.
 */
#include "route_index.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../db/plan_cache.h"

#define ROUTES_MAX 500

static void *load(PGconn *db, long long plan_id, long long *version, char *err, size_t errlen);
static void table_free(void *value) { route_table_free(value); }

static plan_cache tables = PLAN_CACHE_INIT(load, table_free);

/* route_index is never defined: it is a plan_cache_ref under another name. */
route_index *route_index_get(PGconn *db, long long plan_id, long long min_version, char *err, size_t errlen)
{
    return (route_index *)plan_cache_get(&tables, db, plan_id, min_version, err, errlen);
}

void route_index_release(route_index *ix) { plan_cache_release((plan_cache_ref *)ix); }
const route_table *route_index_table(const route_index *ix) { return plan_cache_value((const plan_cache_ref *)ix); }
long long route_index_version(const route_index *ix) { return plan_cache_version((const plan_cache_ref *)ix); }

void route_index_invalidate(long long plan_id) { plan_cache_invalidate(&tables, plan_id); }
void route_index_stale(long long plan_id, long long version) { plan_cache_stale(&tables, plan_id, version); }
void route_index_invalidate_all(void) { plan_cache_invalidate_all(&tables); }

/* ---- loading ---- */

/* "id:priority:weight,..." (the cursor's aggregate) -> routes; -1 when
 * malformed. A trunk group comes as its negated id (route_target_group). */
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

/* The table being built. */
typedef struct {
    long long plan_id;
    route_builder *b;
    route_target routes[ROUTES_MAX];
} entries_load;

/* One batch of the cursor (plan_cache_rows' take): prefix, routes, ASR floor (basis points), ACD floor. */
static bool take_entries(PGresult *r, void *ctx, char *err, size_t errlen)
{
    entries_load *x = ctx;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        int nr = parse_routes(PQgetvalue(r, i, 1), x->routes, ROUTES_MAX);
        if (nr < 0) {
            log_error("routing: plan %lld prefix %s: unreadable routes", x->plan_id, PQgetvalue(r, i, 0));
            continue;
        }
        route_limits lim = { (uint16_t)atoi(PQgetvalue(r, i, 2)), (uint16_t)atoi(PQgetvalue(r, i, 3)) };
        if (!route_builder_add_limited(x->b, PQgetvalue(r, i, 0), x->routes, (size_t)nr, lim)) {
            snprintf(err, errlen, "out of memory");
            return false;
        }
    }
    return true;
}

/* Build the table of plan_id from db (the cache's loader): the new table or NULL. */
static void *load(PGconn *db, long long plan_id, long long *version, char *err, size_t errlen)
{
    entries_load x = { .plan_id = plan_id };
    route_table *t = NULL;
    if (!plan_cache_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen))
        return NULL;
    PGresult *r = plan_cache_query(db,
        "SELECT version, (SELECT count(*) FROM routing_plan_entries e WHERE e.routing_plan_id = p.id)"
        " FROM routing_plans p WHERE p.id = $1 AND p.deleted_at IS NULL",
        plan_id, PGRES_TUPLES_OK, err, errlen);
    if (!r)
        goto out;
    if (PQntuples(r) == 0) {
        snprintf(err, errlen, "no routing plan %lld", plan_id);
        goto out;
    }
    long long plan_version = atoll(PQgetvalue(r, 0, 0));
    x.b = route_builder_new((size_t)atoll(PQgetvalue(r, 0, 1)));
    PQclear(r);
    r = NULL;
    if (!x.b) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    if (!plan_cache_rows(db,
            "SELECT e.prefix, coalesce((SELECT string_agg(concat_ws(':', coalesce(x->>'interconnect_id', '-' || (x->>'trunk_group_id')),"
            "   coalesce(x->>'priority', '0'), coalesce(x->>'weight', '1')), ',' ORDER BY k)"
            "   FROM jsonb_array_elements(e.routes) WITH ORDINALITY AS a(x, k)), ''),"
            " coalesce(round(e.min_asr * 10000), 0)::integer, coalesce(e.min_acd, 0)"
            " FROM routing_plan_entries e WHERE e.routing_plan_id = $1 ORDER BY e.prefix",
            plan_id, false, take_entries, &x, err, errlen))
        goto out;
    t = route_builder_finish(x.b);
    x.b = NULL;
    if (t)
        *version = plan_version;
    else
        snprintf(err, errlen, "out of memory");
out:
    PQclear(r);
    route_builder_free(x.b);
    r = PQexec(db, t ? "COMMIT" : "ROLLBACK");
    PQclear(r);
    return t;
}
