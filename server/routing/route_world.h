/*
 * route_world: the carrier hierarchy as route lookups see it, in memory —
 * live services with their plans' settings and blacklists, every
 * interconnect (deleted ones too, so a route naming one is rejected as
 * deleted), trunk group membership, the live blacklists. route.lookup
 * reads it instead of asking PostgreSQL three to five times per call.
 *
 * One snapshot, built by the first lookup that needs it (db/plan_cache.h
 * does the loading, the waiting and the reference counting) from one
 * REPEATABLE READ transaction, shared read-only by every worker, and
 * dropped whole when anything it holds changes:
 *   - at the commit of a call on this instance that announced such a
 *     change (carrier, interconnect, service, trunk group, blacklist or
 *     routing plan events), so this instance reads its own writes;
 *   - when the event of a change on any instance arrives (events.c), so
 *     every instance drops it within the event's delay;
 *   - when events may have been missed (the listener reconnected).
 * It also holds the FX rate in force of each currency (fx.updated drops
 * it too), so a supplier in another currency is compared in the
 * customer's.
 * The next lookup builds the new one; a lookup in flight finishes with the
 * snapshot it holds.
 */
#ifndef DIDTRON_ROUTE_WORLD_H
#define DIDTRON_ROUTE_WORLD_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netaddr.h"

/* A list of blacklist ids and exception prefixes (a service's destination
 * or origination side, an interconnect's egress side). */
typedef struct {
    long long *ids;
    size_t nids;
    char **exceptions;
    size_t nexceptions;
} world_lists;

typedef struct {
    long long id, carrier_id, rating_plan, routing_plan, route_ic, plan_version, ingress_ic;
    int priority;
    bool by_interconnect, active, circular_ok, allow_negative;
    const char *tz, *mode, *lcr_delta, *tech_prefix;
    world_lists destination, origination;
} world_service;

typedef struct {
    long long id, carrier_id, supplier_plan, trunk_group;
    bool live, egress, group_live;
    int capacity, cps;            /* -1: unrestricted */
    const char *status, *tz, *tech_prefix;
    world_lists blacklists;       /* egress_routing.blacklist_ids */
    net_addr *nets;               /* signalling_ips that parse (live ingress ones only) */
    size_t nnets;
    const char *first_host;       /* host of the first signalling IP, "" when none */
    bool first_v6;
} world_interconnect;

typedef struct route_world route_world;

/* The current snapshot, built with db when there is none. NULL with a
 * message in err. Release it when the lookup is done. */
route_world *route_world_get(PGconn *db, char *err, size_t errlen);
void route_world_release(route_world *w);
/* Drop the snapshot (any thread). */
void route_world_invalidate(void);

/* A live service by id; NULL when none. */
const world_service *route_world_service(const route_world *w, long long id);
/* Any interconnect by id (live or deleted); NULL when none. */
const world_interconnect *route_world_interconnect(const route_world *w, long long id);
/* The live egress members of a trunk group, by id; *n their count. */
const world_interconnect *const *route_world_members(const route_world *w, long long group, size_t *n);

/* The service of live ingress interconnect ic for tech prefix tp
 * (ingress_service_pick's rules): > 0 its id, 0 none with why set. */
long long route_world_service_of(const route_world *w, long long ic, const char *tp, char *why, size_t n);
/* The live ingress interconnect whose signalling IPs hold ip (ingress_pick's
 * rules): > 0 its id, 0 none with why set. */
long long route_world_ingress_by_ip(const route_world *w, const char *ip, const char *tp, char *why, size_t n);

/* The name of the first (lowest id) live blacklist of `lists` holding the
 * normalised number num (an exact number, or a prefix of it), unless num
 * starts with one of the exceptions; NULL when none or num is "". */
const char *route_world_blacklisted(const route_world *w, const world_lists *lists, const char *num);

/* An amount (a rate per minute, in micro-units) of currency `from` in
 * currency `to` with the FX rates in force when the snapshot was taken
 * (docs/fx.md: per_usd, exact to 12 decimals): amount x per_usd(to) /
 * per_usd(from), rounded half away from zero to the micro-unit, in 128-bit
 * integers (no float). The same currency: the amount. false when either
 * has no rate in force, or the result overflows. */
bool route_world_convert(const route_world *w, int64_t amount, const char *from, const char *to, int64_t *out);

/* Register the slow ticker task that keeps the snapshot and the decks and
 * route tables it names loaded (before ticker_start). 0 or -1. */
int route_world_init(void);

/* Services, interconnects and blacklists held (tests, metrics). */
size_t route_world_size(const route_world *w);

#endif
