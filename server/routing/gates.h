/*
 * gates: the live per-instance state a route lookup consults for every
 * candidate supplier, kept in memory so a lookup never waits for
 * PostgreSQL — pauses (route.pause / route.resume, from this instance or
 * another through events) and call counts (call.start / call.stop).
 *
 * Both checks are called on request workers, concurrently, for every
 * candidate of every lookup: they must be cheap (no allocation, a read
 * lock or atomics at most).
 */
#ifndef DIDTRON_ROUTING_GATES_H
#define DIDTRON_ROUTING_GATES_H

#include <stdbool.h>
#include <stddef.h>

#define ROUTE_REASON_MAX 160

/* Is traffic to this interconnect paused for this callee (a pause of the
 * whole interconnect, or of a prefix of callee)? When paused, reason gets
 * the pause's reason (and who paused it), e.g. "ASR below 20% (rule 4)". */
bool route_paused(long long interconnect_id, const char *callee, char reason[ROUTE_REASON_MAX]);

/* Would one more call on this interconnect go over its limits now?
 * capacity: concurrent calls allowed (< 0: unrestricted); cps: call
 * attempts per second allowed (< 0: unrestricted). Counts are this
 * instance's, from call.start / call.stop. When over, reason says which
 * ("capacity 30 reached", "cps 10 reached"). */
bool route_over_capacity(long long interconnect_id, int capacity, int cps, char reason[ROUTE_REASON_MAX]);

#endif
