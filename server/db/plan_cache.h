/*
 * plan_cache: the live cache of values built per plan from PostgreSQL (a
 * rating plan's deck, a routing plan's route table); the one way such a
 * value is kept in memory and dropped when the plan changes.
 *
 *   - Loaded on first use, by the worker that asks (the load callback runs
 *     outside the cache's lock); other workers asking for the same plan
 *     meanwhile wait for that load instead of repeating it. A failed load
 *     caches nothing: the next asker tries again.
 *   - Shared read-only by every thread through a reference count:
 *     plan_cache_get hands out a reference, the caller gives it back with
 *     plan_cache_release; the cache holds one more while the value is
 *     current. A value is never edited: dropping it drops the cache's
 *     reference and readers finish with theirs.
 *   - Versioned: the loader reports the plan version (the plans table's
 *     version column) its value was built from, and must read the version
 *     and the rows consistently.
 *   - Dropped two ways, and a load in flight never installs a value older
 *     than the change that dropped it:
 *       plan_cache_invalidate: this instance changed or deleted the plan;
 *         the value goes, and a load that began before is handed to its
 *         caller but not cached;
 *       plan_cache_stale: a change event names the plan's new version; a
 *         value of that version or later stays (the event of our own
 *         commit does not throw away what was rebuilt right after it), an
 *         older one goes, and no load older than it is cached.
 *     plan_cache_invalidate_all drops every value (the event listener
 *     reconnected: changes announced meanwhile are unknown).
 *
 * Every function is thread-safe. One slot per plan ever asked for, kept
 * for the life of the process.
 */
#ifndef DIDTRON_PLAN_CACHE_H
#define DIDTRON_PLAN_CACHE_H

#include <libpq-fe.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/* Build the value of plan plan_id with db and set *version to the plan
 * version it was built from. NULL with a message in err (no such live
 * plan, database error, out of memory). */
typedef void *plan_cache_load_fn(PGconn *db, long long plan_id, long long *version, char *err, size_t errlen);
/* Free a value no one holds any more (on whichever thread let it go last,
 * possibly under the cache's lock: it must not call into the cache). */
typedef void plan_cache_free_fn(void *value);

/* A counted reference to one built value. */
typedef struct plan_cache_ref plan_cache_ref;

typedef struct plan_cache {
    plan_cache_load_fn *load;
    plan_cache_free_fn *free_value;
    /* the rest is the cache's own */
    pthread_mutex_t lock;
    pthread_cond_t loaded;
    struct plan_cache_slot *slots;
    size_t nslots, cap_slots;
} plan_cache;

/* A cache, as a static definition:
 *   static plan_cache decks = PLAN_CACHE_INIT(deck_load, deck_free); */
#define PLAN_CACHE_INIT(load_fn, free_fn)                                                                   \
    { .load = (load_fn), .free_value = (free_fn), .lock = PTHREAD_MUTEX_INITIALIZER,                     \
      .loaded = PTHREAD_COND_INITIALIZER }

/* The value of plan_id built from version min_version or later (0: any),
 * loading it with db when absent, dropped or older. A reference (release
 * it) or NULL with a message in err. */
plan_cache_ref *plan_cache_get(plan_cache *c, PGconn *db, long long plan_id, long long min_version, char *err,
                               size_t errlen);
/* Give a reference back; NULL is ignored. */
void plan_cache_release(plan_cache_ref *r);
void *plan_cache_value(const plan_cache_ref *r);
long long plan_cache_version(const plan_cache_ref *r);

/* Drop the plan's value; a load in flight is not cached. */
void plan_cache_invalidate(plan_cache *c, long long plan_id);
/* Drop the plan's value when it was built from a version older than
 * `version`; no load older than `version` is cached from now on. */
void plan_cache_stale(plan_cache *c, long long plan_id, long long version);
/* Drop every value; loads in flight are not cached. */
void plan_cache_invalidate_all(plan_cache *c);

/* For loaders. A statement without rows or parameters (BEGIN, COMMIT,
 * SAVEPOINT ...): false when it fails, logged, with "database error" in
 * err. */
bool plan_cache_exec(PGconn *db, const char *sql, char *err, size_t errlen);
/* sql with $1 = plan_id, answering with status `expect` (PGRES_TUPLES_OK;
 * PGRES_COMMAND_OK for a DECLARE): the result (PQclear it), or NULL when it
 * fails, logged, with "database error" in err. */
PGresult *plan_cache_query(PGconn *db, const char *sql, long long plan_id, ExecStatusType expect, char *err,
                           size_t errlen);
/* The rows of `select` ($1 = plan_id) through one cursor, 20,000 at a time
 * (a million rows never sit in one PGresult), in binary when `binary`;
 * take is handed each batch (it must not PQclear it) and returns false
 * with err set to stop. false when a statement fails (logged, "database
 * error" in err) or take stops; the cursor is closed either way. Inside
 * the loader's transaction. */
bool plan_cache_rows(PGconn *db, const char *select, long long plan_id, bool binary,
                     bool (*take)(PGresult *batch, void *ctx, char *err, size_t errlen), void *ctx, char *err,
                     size_t errlen);

#endif
