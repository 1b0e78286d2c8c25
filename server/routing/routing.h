/*
 * routing: the routing module's methods (routing_plans.c: routing_plan.*,
 * routing_plan.entry.*; route_lookup.c: route.lookup). docs/routing.md.
 */
#ifndef DIDTRON_ROUTING_H
#define DIDTRON_ROUTING_H

#include "../rpc/rpc.h"

/* route.lookup: the ordered supplier routes for one call. */
int route_lookup(rpc_call *c);
extern const rpc_field route_lookup_params[];

#endif
