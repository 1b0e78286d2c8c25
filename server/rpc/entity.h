/*
 * entity: the five generic handlers (create, get, update, delete, list)
 * behind every editable record. A method entry names the handler and points
 * its `data` at an entity_kind. A record with rules of its own (carriers,
 * interconnects, services) states them in its `prepare` hook and, where
 * deleting has consequences, in a delete handler of its own.
 */
#ifndef DIDTRON_ENTITY_H
#define DIDTRON_ENTITY_H

#include "list.h"
#include "record.h"

typedef enum {
    CUSTOMER_NONE,  /* customers may not call these methods at all */
    CUSTOMER_READ,  /* customers read their own carrier's records */
    CUSTOMER_WRITE, /* customers read and write their own carrier's records */
} customer_access;

typedef struct {
    const record_spec *record;
    const list_spec *list;
    /* Carrier-owned records: the wire field (and column) holding the
     * carrier, e.g. "carrier_id"; "id" for the carrier itself; NULL for
     * platform-wide records. */
    const char *carrier_field;
    customer_access customers;
    /* Rules before a create or update write (params validated already;
     * before is NULL on create). It may refuse (-1, error set) or complete
     * c->params with server-set fields (a service's carrier and currency). */
    int (*prepare)(rpc_call *c, json_t *before);
} entity_kind;

int entity_create(rpc_call *c);
int entity_get(rpc_call *c);
int entity_update(rpc_call *c);
int entity_delete(rpc_call *c);
int entity_list(rpc_call *c);

/* The carrier owning live record id of c's kind (0 when platform-wide), or
 * -1 with -32004 when it is gone or a customer may not see it. */
long long entity_owner(rpc_call *c, long long id);

/* Does a live row with this id exist in table? Adds a field error when not.
 * extra_sql (may be NULL) adds a condition on alias t, e.g. "t.direction = 'egress'". */
int entity_ref(rpc_call *c, const char *field, const char *table, const char *extra_sql, json_t *id);

#endif
