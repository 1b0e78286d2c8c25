/*
 * hierarchy: what the carrier, interconnect and service modules share.
 * Carrier -> interconnect (ingress needs a customer or bilateral carrier,
 * egress a supplier or bilateral one) -> service (ingress interconnects
 * only). Deletes are soft; a parent with live children is kept unless the
 * caller asks for cascade.
 */
#ifndef DIDTRON_HIERARCHY_H
#define DIDTRON_HIERARCHY_H

#include <stdbool.h>
#include <stddef.h>

#include "../rpc/record.h"

extern const record_spec carrier_record;

/* Is the caller a customer user (scoped to session->carrier_id)? */
bool scope_is_customer(rpc_call *c);
/* -32004 ("no WHAT ID") when a customer asks about another carrier. */
int scope_check_carrier(rpc_call *c, long long carrier_id, const char *what);
/* The live carrier's type into buf, or NULL with -32004. */
const char *carrier_type_of(rpc_call *c, long long id, bool for_update, char *buf, size_t n);

/* Soft-delete every live interconnect (and its services) of a carrier,
 * auditing each. 0 or -1. */
int interconnects_delete_of_carrier(rpc_call *c, long long carrier_id);

#endif
