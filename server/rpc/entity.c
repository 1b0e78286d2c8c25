#include "entity.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const entity_kind *kind_of(rpc_call *c)
{
    return c->method_data;
}

static bool is_customer(rpc_call *c)
{
    return c->session->role == ROLE_CUSTOMER;
}

/* Customers: may they do this at all? */
static int customer_may(rpc_call *c, const entity_kind *k, bool write)
{
    if (!is_customer(c))
        return 0;
    if (k->customers == CUSTOMER_NONE || !k->carrier_field || (write && k->customers != CUSTOMER_WRITE))
        return rpc_fail(c, RPC_FORBIDDEN, "your role may not call this method");
    return 0;
}

/* The carrier owning record id (0 if platform-wide); -1 with -32004 when
 * it does not exist or a customer may not see it. */
static long long owner_of(rpc_call *c, const entity_kind *k, long long id)
{
    char idt[24], sql[256];
    snprintf(idt, sizeof idt, "%lld", id);
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE id = $1 AND deleted_at IS NULL",
             k->carrier_field ? k->carrier_field : "0", k->record->table);
    PGresult *r = rpc_query(c, sql, 1, idt);
    if (!r)
        return -1;
    long long owner = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (owner < 0 || (is_customer(c) && owner != c->session->carrier_id)) {
        rpc_fail(c, RPC_NOT_FOUND, "no %s %lld", k->record->entity, id);
        return -1;
    }
    return owner;
}

int entity_ref(rpc_call *c, const char *field, const char *table, const char *extra_sql, json_t *id)
{
    if (!json_is_integer(id))
        return 0;
    char idt[24], sql[256];
    snprintf(idt, sizeof idt, "%lld", (long long)json_integer_value(id));
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s t WHERE t.id = $1 AND t.deleted_at IS NULL%s%s", table,
             extra_sql ? " AND " : "", extra_sql ? extra_sql : "");
    PGresult *r = rpc_query(c, sql, 1, idt);
    if (!r)
        return -1;
    int found = PQntuples(r);
    PQclear(r);
    return found ? 0 : rpc_field_error(c, field, "does not name a live record of the right kind");
}

static bool self_owned(const entity_kind *k)
{
    return k->carrier_field && !strcmp(k->carrier_field, "id");
}

int entity_create(rpc_call *c)
{
    const entity_kind *k = kind_of(c);
    long long owner = 0;
    if (customer_may(c, k, true) || (k->prepare && k->prepare(c, NULL)))
        return -1;
    if (k->carrier_field && !self_owned(k)) {
        owner = rpc_int(c, k->carrier_field, 0);
        if (is_customer(c) && owner != c->session->carrier_id)
            return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", owner);
        char idt[24];
        snprintf(idt, sizeof idt, "%lld", owner);
        PGresult *r = rpc_query(c, "SELECT 1 FROM carriers WHERE id = $1 AND deleted_at IS NULL FOR SHARE", 1, idt);
        if (!r)
            return -1;
        int found = PQntuples(r);
        PQclear(r);
        if (!found)
            return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", owner);
    }
    long long id = record_insert(c, k->record, c->params, NULL, NULL, 0);
    if (self_owned(k))
        owner = id;
    json_t *after = id > 0 ? record_get(c, k->record, id, NULL, NULL) : NULL;
    if (!after || record_changed(c, k->record, "create", id, NULL, after, owner)) {
        json_decref(after);
        return -1;
    }
    c->result = after;
    return 0;
}

int entity_get(rpc_call *c)
{
    const entity_kind *k = kind_of(c);
    long long id = rpc_int(c, "id", 0);
    if (customer_may(c, k, false) || owner_of(c, k, id) < 0)
        return -1;
    c->result = record_get(c, k->record, id, NULL, NULL);
    return c->result ? 0 : -1;
}

int entity_update(rpc_call *c)
{
    const entity_kind *k = kind_of(c);
    long long id = rpc_int(c, "id", 0);
    long long owner;
    if (customer_may(c, k, true) || (owner = owner_of(c, k, id)) < 0 ||
        record_lock(c, k->record, id, rpc_int(c, "version", 0)))
        return -1;
    json_t *before = record_get(c, k->record, id, NULL, NULL);
    if (!before)
        return -1;
    json_t *after = NULL;
    int rc = -1;
    if ((k->prepare && k->prepare(c, before)) || record_update(c, k->record, id, c->params))
        goto out;
    after = record_get(c, k->record, id, NULL, NULL);
    if (!after || record_changed(c, k->record, "update", id, before, after, owner))
        goto out;
    c->result = json_incref(after);
    rc = 0;
out:
    json_decref(before);
    json_decref(after);
    return rc;
}

long long entity_owner(rpc_call *c, long long id)
{
    return owner_of(c, kind_of(c), id);
}

int entity_delete(rpc_call *c)
{
    const entity_kind *k = kind_of(c);
    long long id = rpc_int(c, "id", 0);
    long long owner;
    if (customer_may(c, k, true) || (owner = owner_of(c, k, id)) < 0 ||
        record_lock(c, k->record, id, rpc_int(c, "version", 0)))
        return -1;
    json_t *before = record_get(c, k->record, id, NULL, NULL);
    int rc = before && !record_soft_delete(c, k->record, id) &&
             !record_changed(c, k->record, "delete", id, before, NULL, owner) ? 0 : -1;
    json_decref(before);
    if (rc == 0)
        c->result = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
    return rc;
}

int entity_list(rpc_call *c)
{
    const entity_kind *k = kind_of(c);
    if (customer_may(c, k, false))
        return -1;
    /* A list item is the record as entity_get returns it, unless the list
     * says otherwise. */
    list_spec spec = *k->list;
    if (!spec.item_sql)
        spec.item_sql = k->record->json_sql;
    if (is_customer(c)) {
        char scope[24], cond[64];
        snprintf(scope, sizeof scope, "%lld", c->session->carrier_id);
        snprintf(cond, sizeof cond, "t.%s = $1", k->carrier_field);
        return rpc_list(c, &spec, cond, scope);
    }
    return rpc_list(c, &spec, NULL, NULL);
}
