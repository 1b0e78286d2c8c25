/*
 * route_index: the live route table of each routing plan in use.
 *
 * Same design as rating's live decks (rating_engine.h): a table is built on
 * the first worker that needs it (never on the service thread) from one
 * cursor over the plan's entries read in one snapshot, shared read-only by
 * every thread through a reference count, and never edited: a change drops
 * it and the next user builds a new one. Two things drop a table:
 *   - the routing_plan.changed event (from any instance, through the
 *     listener thread: route_index_stale with the plan's new version);
 *   - a lookup that finds the plan's version in PostgreSQL newer than the
 *     table's (route_index_get's min_version), so a lookup right after a
 *     committed change sees it even before the event has arrived.
 */
#ifndef DIDTRON_ROUTE_INDEX_H
#define DIDTRON_ROUTE_INDEX_H

#include <libpq-fe.h>
#include <stddef.h>

#include "route_table.h"

typedef struct route_index route_index;

/* The table of plan_id built from version min_version or later, loading
 * it with db when absent, stale or older. Returns a reference (release
 * it) or NULL with a message in err (no such live plan, database error,
 * out of memory). db must not be inside a transaction. Thread-safe. */
route_index *route_index_get(PGconn *db, long long plan_id, long long min_version, char *err, size_t errlen);
void route_index_release(route_index *ix);
const route_table *route_index_table(const route_index *ix);
long long route_index_version(const route_index *ix);

/* Forget the plan's table (deleted plan). Any thread. */
void route_index_invalidate(long long plan_id);
/* Forget it when it was built from a version older than `version`. Any thread. */
void route_index_stale(long long plan_id, long long version);
/* Forget every table (the event listener reconnected). Any thread. */
void route_index_invalidate_all(void);

#endif
