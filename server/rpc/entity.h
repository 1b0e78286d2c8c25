/*
 * entity: the five generic handlers (create, get, update, delete, list)
 * for records that need nothing beyond their description — contacts,
 * categories, trunk groups, credit alerts, blacklists, release cause
 * mappings. A method entry names the handler and points its `data` at an
 * entity_kind; records with rules of their own (carriers, interconnects,
 * services) have their own handlers on the same record helper.
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
     * carrier, e.g. "carrier_id"; NULL for platform-wide records. */
    const char *carrier_field;
    customer_access customers;
    /* Extra checks on create/update (params validated already); before is
     * NULL on create. Return -1 with the error set to refuse. */
    int (*check)(rpc_call *c, json_t *before);
} entity_kind;

int entity_create(rpc_call *c);
int entity_get(rpc_call *c);
int entity_update(rpc_call *c);
int entity_delete(rpc_call *c);
int entity_list(rpc_call *c);

/* Does a live row with this id exist in table? Adds a field error when not.
 * extra_sql (may be NULL) adds a condition on alias t, e.g. "t.direction = 'egress'". */
int entity_ref(rpc_call *c, const char *field, const char *table, const char *extra_sql, json_t *id);

#endif
