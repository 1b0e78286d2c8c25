/*
 * pauses.c: route.pause, route.resume, route.pause.list and the in-memory
 * set of active pauses behind route_paused() (docs/gates.md).
 *
 * The set is an array sorted by (interconnect_id, id) under a rwlock:
 * route_paused() takes the read lock, binary-searches the interconnect and
 * checks its few pauses, allocating nothing. Writers are the event
 * listener thread (route.paused / route.resumed of every instance), the
 * worker that paused or resumed (after its commit, so it reads its own
 * write), and the ticker task that (re)loads the whole set.
 *
 * A reload races with events: an event applied while the reload's query
 * ran may or may not be in its answer. So every change bumps a generation,
 * and a reload whose generation moved meanwhile keeps the current set and
 * asks to be run again (the ticker runs it every 250 ms while asked).
 */
#include "pauses.h"
#include "gates.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../audit/audit.h"
#include "../db/db.h"
#include "../rpc/list.h"
#include "../system/ticker.h"

#define RELOAD_TASK "route.pauses"
#define RELOAD_MS 250
#define FULL_RELOAD_MS 60000 /* belt and braces: the whole set once a minute */

#define TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define PAUSE_JSON                                                                                          \
    "json_build_object('id', p.id, 'interconnect_id', p.interconnect_id, 'prefix', p.prefix, 'reason', "    \
    "p.reason, 'actor', p.actor, 'actor_kind', p.actor_kind, 'created_at', " TS("p.created_at")             \
    ", 'resumed_at', " TS("p.resumed_at") ", 'resumed_by', p.resumed_by)"

typedef struct {
    long long id, interconnect_id;
    char prefix[33];                 /* "" = the whole interconnect */
    char reason[ROUTE_REASON_MAX];   /* "reason (actor)" */
} pause_entry;

static pthread_rwlock_t lock = PTHREAD_RWLOCK_INITIALIZER;
static pause_entry *set;
static size_t nset, capset;
static atomic_ullong generation;
static atomic_bool reload_wanted = true;
static atomic_bool loaded;

/* ---- the set ---- */

static int entry_cmp(const pause_entry *a, long long ic, long long id)
{
    if (a->interconnect_id != ic)
        return a->interconnect_id < ic ? -1 : 1;
    return a->id < id ? -1 : a->id > id ? 1 : 0;
}

/* First index whose (ic, id) >= (ic, id). Caller holds the lock. */
static size_t lower_bound(long long ic, long long id)
{
    size_t lo = 0, hi = nset;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entry_cmp(&set[mid], ic, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool entry_from_json(json_t *d, pause_entry *e)
{
    memset(e, 0, sizeof *e);
    json_t *id = json_object_get(d, "id"), *ic = json_object_get(d, "interconnect_id");
    if (!json_is_integer(id) || !json_is_integer(ic))
        return false;
    e->id = (long long)json_integer_value(id);
    e->interconnect_id = (long long)json_integer_value(ic);
    const char *prefix = json_string_value(json_object_get(d, "prefix"));
    snprintf(e->prefix, sizeof e->prefix, "%s", prefix ? prefix : "");
    const char *reason = json_string_value(json_object_get(d, "reason"));
    const char *actor = json_string_value(json_object_get(d, "actor"));
    snprintf(e->reason, sizeof e->reason, "%.100s (%.40s)", reason ? reason : "paused", actor ? actor : "system");
    return true;
}

/* Add (idempotent: the same pause from the event after a local apply). */
static void set_add(const pause_entry *e)
{
    pthread_rwlock_wrlock(&lock);
    size_t at = lower_bound(e->interconnect_id, e->id);
    if (!(at < nset && set[at].id == e->id)) {
        if (nset == capset) {
            size_t cap = capset ? capset * 2 : 64;
            pause_entry *n = realloc(set, cap * sizeof *n);
            if (!n) {
                pthread_rwlock_unlock(&lock);
                log_error("route pauses: out of memory; reloading");
                atomic_store(&reload_wanted, true);
                return;
            }
            set = n;
            capset = cap;
        }
        memmove(&set[at + 1], &set[at], (nset - at) * sizeof *set);
        set[at] = *e;
        nset++;
    }
    atomic_fetch_add(&generation, 1);
    pthread_rwlock_unlock(&lock);
}

static void set_remove(long long ic, long long id)
{
    pthread_rwlock_wrlock(&lock);
    size_t at = lower_bound(ic, id);
    if (at < nset && set[at].id == id) {
        memmove(&set[at], &set[at + 1], (nset - at - 1) * sizeof *set);
        nset--;
    }
    atomic_fetch_add(&generation, 1);
    pthread_rwlock_unlock(&lock);
}

bool pauses_match(long long interconnect_id, const char *callee, char reason[ROUTE_REASON_MAX])
{
    bool paused = false;
    pthread_rwlock_rdlock(&lock);
    for (size_t i = lower_bound(interconnect_id, 0); i < nset && set[i].interconnect_id == interconnect_id; i++) {
        const pause_entry *e = &set[i];
        size_t n = strlen(e->prefix);
        if (n == 0 || (callee && strncmp(callee, e->prefix, n) == 0)) {
            if (reason)
                memcpy(reason, e->reason, ROUTE_REASON_MAX);
            paused = true;
            break;
        }
    }
    pthread_rwlock_unlock(&lock);
    return paused;
}

void pauses_observe_paused(json_t *data)
{
    pause_entry e;
    if (entry_from_json(data, &e))
        set_add(&e);
}

void pauses_observe_resumed(json_t *data)
{
    json_t *id = json_object_get(data, "id"), *ic = json_object_get(data, "interconnect_id");
    if (json_is_integer(id) && json_is_integer(ic))
        set_remove((long long)json_integer_value(ic), (long long)json_integer_value(id));
}

void pauses_reload_soon(void)
{
    atomic_store(&reload_wanted, true);
}

/* ---- loading (the ticker's connection) ---- */

static int cmp_entries(const void *a, const void *b)
{
    const pause_entry *x = a, *y = b;
    return entry_cmp(x, y->interconnect_id, y->id);
}

static int reload(void *ud, PGconn *db)
{
    static int since_full;
    (void)ud;
    since_full += RELOAD_MS;
    if (!atomic_load(&reload_wanted) && since_full < FULL_RELOAD_MS)
        return 0;
    since_full = 0;
    atomic_store(&reload_wanted, false);
    unsigned long long gen = atomic_load(&generation);
    PGresult *r = db_exec(db, "SELECT " PAUSE_JSON "::text FROM route_pauses p WHERE p.resumed_at IS NULL", 0, NULL);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("route pauses: cannot load: %s", PQresultErrorMessage(r));
        PQclear(r);
        atomic_store(&reload_wanted, true);
        return -1;
    }
    size_t n = (size_t)PQntuples(r);
    pause_entry *fresh = calloc(n ? n : 1, sizeof *fresh);
    size_t k = 0;
    for (size_t i = 0; fresh && i < n; i++) {
        json_t *d = json_loads(PQgetvalue(r, (int)i, 0), 0, NULL);
        if (d && entry_from_json(d, &fresh[k]))
            k++;
        json_decref(d);
    }
    PQclear(r);
    if (!fresh) {
        atomic_store(&reload_wanted, true);
        return -1;
    }
    qsort(fresh, k, sizeof *fresh, cmp_entries);
    pthread_rwlock_wrlock(&lock);
    if (atomic_load(&generation) != gen) {
        /* an event came in meanwhile: keep the set it updated, look again */
        pthread_rwlock_unlock(&lock);
        free(fresh);
        atomic_store(&reload_wanted, true);
        return 0;
    }
    free(set);
    set = fresh;
    nset = k;
    capset = n ? n : 1;
    pthread_rwlock_unlock(&lock);
    if (!atomic_exchange(&loaded, true))
        log_info("route pauses: %zu active", k);
    return 0;
}

int pauses_init(void)
{
    return ticker_add(RELOAD_TASK, RELOAD_MS, reload, NULL);
}

/* ---- pausing and resuming ---- */

static const char *actor_of(rpc_call *c)
{
    return c->session && c->session->username[0] ? c->session->username : "system";
}

static bool valid_prefix(const char *p)
{
    size_t n = p ? strlen(p) : 0;
    if (n < 1 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    return true;
}

/* Both return 0/1/-1 like the public functions; *out (when asked) gets
 * the event's data (new reference) for a local apply after the commit. */
static int pause_set(rpc_call *c, long long ic, const char *prefix, const char *reason, const char *actor_kind,
                     json_t **out)
{
    if (prefix && !valid_prefix(prefix))
        return rpc_field_error(c, "prefix", "must be 1 to 32 digits");
    if (!reason || !reason[0] || strlen(reason) > 200)
        return rpc_field_error(c, "reason", "must be 1 to 200 characters");
    if (!actor_kind || (strcmp(actor_kind, "user") && strcmp(actor_kind, "rule") && strcmp(actor_kind, "system")))
        return rpc_field_error(c, "actor_kind", "must be user, rule or system");
    char icbuf[24], actor_id[24];
    snprintf(icbuf, sizeof icbuf, "%lld", ic);
    snprintf(actor_id, sizeof actor_id, "%lld", c->session ? c->session->user_id : 0);
    PGresult *r = rpc_query(c, "SELECT 1 FROM interconnects WHERE id = $1 AND deleted_at IS NULL", 1, icbuf);
    if (!r)
        return -1;
    int found = PQntuples(r);
    PQclear(r);
    if (!found)
        return rpc_fail(c, RPC_NOT_FOUND, "interconnect %lld not found", ic);
    r = rpc_query(c,
                  "WITH p AS (INSERT INTO route_pauses (interconnect_id, prefix, reason, actor, actor_kind, actor_id)"
                  " VALUES ($1, $2, $3, $4, $5, NULLIF($6::bigint, 0)) ON CONFLICT DO NOTHING RETURNING *)"
                  " SELECT " PAUSE_JSON "::text FROM p",
                  6, icbuf, prefix, reason, actor_of(c), actor_kind, actor_id);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    json_t *pause = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!pause)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *ev = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(pause, "id"), "interconnect_id",
                           json_object_get(pause, "interconnect_id"), "prefix", json_object_get(pause, "prefix"),
                           "reason", json_object_get(pause, "reason"), "actor", json_object_get(pause, "actor"),
                           "actor_kind", json_object_get(pause, "actor_kind"));
    int rc = ev ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (!rc)
        rc = audit_record(c, "pause", "route_pause", (long long)json_integer_value(json_object_get(pause, "id")), NULL,
                          pause);
    if (!rc)
        rc = rpc_emit(c, "route.paused", ev, 0);
    if (!rc && out)
        *out = json_incref(pause);
    json_decref(ev);
    json_decref(pause);
    return rc;
}

static int pause_clear(rpc_call *c, long long ic, const char *prefix, json_t **out)
{
    if (prefix && !valid_prefix(prefix))
        return rpc_field_error(c, "prefix", "must be 1 to 32 digits");
    char icbuf[24];
    snprintf(icbuf, sizeof icbuf, "%lld", ic);
    PGresult *r = rpc_query(c,
                            "WITH p AS (UPDATE route_pauses SET resumed_at = now(), resumed_by = $3"
                            " WHERE interconnect_id = $1 AND prefix IS NOT DISTINCT FROM $2 AND resumed_at IS NULL"
                            " RETURNING *) SELECT " PAUSE_JSON "::text FROM p",
                            3, icbuf, prefix, actor_of(c));
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return 1;
    }
    json_t *pause = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!pause)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *before = json_deep_copy(pause);
    json_object_set_new(before, "resumed_at", json_null());
    json_object_set_new(before, "resumed_by", json_null());
    json_t *ev = json_pack("{s:O, s:O, s:O, s:O, s:O}", "id", json_object_get(pause, "id"), "interconnect_id",
                           json_object_get(pause, "interconnect_id"), "prefix", json_object_get(pause, "prefix"),
                           "reason", json_object_get(pause, "reason"), "actor", json_object_get(pause, "resumed_by"));
    int rc = ev && before ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (!rc)
        rc = audit_record(c, "resume", "route_pause", (long long)json_integer_value(json_object_get(pause, "id")),
                          before, pause);
    if (!rc)
        rc = rpc_emit(c, "route.resumed", ev, 0);
    if (!rc && out)
        *out = json_incref(pause);
    json_decref(ev);
    json_decref(before);
    json_decref(pause);
    return rc;
}

int route_pause_set(rpc_call *c, long long interconnect_id, const char *prefix, const char *reason,
                    const char *actor_kind)
{
    return pause_set(c, interconnect_id, prefix, reason, actor_kind, NULL);
}

int route_pause_clear(rpc_call *c, long long interconnect_id, const char *prefix)
{
    return pause_clear(c, interconnect_id, prefix, NULL);
}

/* ---- methods ----
 *
 * route.pause and route.resume run their own transaction (no RPC_MUTATES)
 * so that, once it has committed, this instance applies the change to its
 * set before answering: a lookup right after the reply sees it. */

static const char *opt_prefix(rpc_call *c)
{
    const char *p = rpc_str(c, "prefix");
    return p && p[0] ? p : NULL;
}

/* route.pause and route.resume: their own transaction, so this instance's
 * set is updated after the commit and before the reply. */
static int pause_or_resume(rpc_call *c, bool pausing)
{
    long long ic = rpc_int(c, "interconnect_id", 0);
    json_t *pause = NULL;
    if (rpc_begin(c))
        return -1;
    int rc = pausing ? pause_set(c, ic, opt_prefix(c), rpc_str(c, "reason"), "user", &pause)
                     : pause_clear(c, ic, opt_prefix(c), &pause);
    if (rc != 0 || rpc_commit(c)) {
        rpc_rollback(c);
        c->in_transaction = false;
        json_decref(pause);
        if (rc == 1)
            return rpc_fail(c, pausing ? RPC_CONFLICT : RPC_NOT_FOUND, "interconnect %lld%s%s is %s", ic,
                            opt_prefix(c) ? " prefix " : "", opt_prefix(c) ? opt_prefix(c) : "",
                            pausing ? "already paused" : "not paused");
        return -1;
    }
    if (pausing)
        pauses_observe_paused(pause);
    else
        pauses_observe_resumed(pause);
    c->result = pause;
    return 0;
}

static int route_pause(rpc_call *c)
{
    return pause_or_resume(c, true);
}

static int route_resume(rpc_call *c)
{
    return pause_or_resume(c, false);
}

static const list_sort pause_sorts[] = {
    { "id", "p.id", LIST_INT },
    { "created_at", "p.created_at", LIST_TIME },
    { "interconnect_id", "p.interconnect_id", LIST_INT },
    { NULL },
};

static const char *const actor_kinds[] = { "user", "rule", "system", NULL };

static const list_filter pause_filters[] = {
    { "interconnect_id", "p.interconnect_id", LIST_INT, LIST_EQ, NULL },
    { "actor_kind", "p.actor_kind", LIST_TEXT, LIST_EQ, actor_kinds },
    { "prefix", "coalesce(p.prefix, '')", LIST_TEXT, LIST_PREFIX, NULL },
    { NULL },
};

static const list_spec pause_list_spec = {
    .item_sql = PAUSE_JSON,
    .from_sql = "route_pauses p",
    .where_sql = "p.resumed_at IS NULL",
    .id_sql = "p.id",
    .sorts = pause_sorts,
    .default_sort = "-id",
    .filters = pause_filters,
};

static int route_pause_list(rpc_call *c)
{
    return rpc_list(c, &pause_list_spec, NULL, NULL);
}

/* What this instance's set says now (no database): for the console's
 * "test route" panel and for tests of the propagation between instances. */
static int route_pause_check(rpc_call *c)
{
    char reason[ROUTE_REASON_MAX] = "";
    bool paused = pauses_match(rpc_int(c, "interconnect_id", 0), rpc_str(c, "callee"), reason);
    c->result = paused ? json_pack("{s:b, s:s}", "paused", 1, "reason", reason) : json_pack("{s:b}", "paused", 0);
    return 0;
}

static const rpc_field check_params[] = {
    { "interconnect_id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "callee", F_PHONE, F_NULLABLE, 0, 0, NULL },
    { NULL },
};

static const rpc_field pause_params[] = {
    { "interconnect_id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "prefix", F_PREFIX, F_NULLABLE, 0, 0, NULL },
    { "reason", F_STRING, F_REQUIRED, 1, 200, NULL },
    { NULL },
};

static const rpc_field resume_params[] = {
    { "interconnect_id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "prefix", F_PREFIX, F_NULLABLE, 0, 0, NULL },
    { NULL },
};

static const rpc_field list_params[] = {
    LIST_PARAMS,
    { NULL },
};

#define ROLES_NETWORK (ROLES_ADMIN | ROLE_NOC)

const rpc_method pause_methods[] = {
    { "route.pause", route_pause, ROLES_NETWORK, 0, pause_params, NULL },
    { "route.resume", route_resume, ROLES_NETWORK, 0, resume_params, NULL },
    { "route.pause.list", route_pause_list, ROLES_STAFF, 0, list_params, NULL },
    { "route.pause.check", route_pause_check, ROLES_STAFF, RPC_INLINE, check_params, NULL },
    { NULL },
};
