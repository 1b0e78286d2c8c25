/*
 * pauses: route.pause / route.resume and the in-memory set of active
 * pauses that route_paused() (gates.h) reads.
 *
 * PostgreSQL (route_pauses) is the truth. Every instance keeps a copy:
 * loaded by the ticker at start (and again whenever events may have been
 * missed), then kept current by the route.paused / route.resumed events of
 * every instance, which the event listener hands to pauses_observe_*. The
 * instance that pauses or resumes through the RPC methods also applies the
 * change at once after its commit, so it reads its own writes.
 */
#ifndef DIDTRON_ROUTING_PAUSES_H
#define DIDTRON_ROUTING_PAUSES_H

#include "gates.h"
#include "../rpc/rpc.h"

/* Pause traffic to an interconnect (prefix NULL: all of it; else callees
 * starting with prefix, 1..32 digits) inside c's transaction: the row, an
 * audit row and the route.paused event commit together. actor_kind is
 * "user", "rule" or "system"; the actor is c's session's username
 * ("system" when it has none). Returns 0 when paused, 1 when an active
 * pause of (interconnect, prefix) already exists (nothing written, no
 * error set), -1 with c's error set (-32004 unknown interconnect, -32602
 * bad prefix/reason, database errors). */
int route_pause_set(rpc_call *c, long long interconnect_id, const char *prefix, const char *reason,
                    const char *actor_kind);

/* End the active pause of (interconnect, prefix) inside c's transaction,
 * with its audit row and route.resumed event. Returns 0 when resumed, 1
 * when there was none (no error set), -1 with c's error set. */
int route_pause_clear(rpc_call *c, long long interconnect_id, const char *prefix);

/* route_paused() (gates.c): read lock, no allocation. */
bool pauses_match(long long interconnect_id, const char *callee, char reason[ROUTE_REASON_MAX]);

/* Listener-thread hooks (events.c): an event's data, from any instance. */
void pauses_observe_paused(json_t *data);
void pauses_observe_resumed(json_t *data);
/* Events may have been missed: reload from PostgreSQL soon. */
void pauses_reload_soon(void);

/* Register the ticker task that loads the set (before ticker_start). */
int pauses_init(void);

#endif
