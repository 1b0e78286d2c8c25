/*
 * carriers.c: carrier.*, carrier.credit.update, carrier.accounting.* — the
 * commercial entity and what hangs off it directly (contacts are a catalog
 * entity, see catalog.c).
 *
 * Tenant scope: a customer user reads only its own carrier, edits only its
 * contacts and accounting details, and gets -32004 for anything else (never
 * another carrier's data, not even its existence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hierarchy.h"
#include "../rpc/entity.h"


static const char *const carrier_types[] = { "customer", "supplier", "bilateral", NULL };
static const char *const carrier_statuses[] = { "active", "suspended", "inactive", NULL };
static const char *const billing_modes[] = { "automatic", "manual", NULL };
static const char *const credit_types[] = { "prepaid", "postpaid", NULL };
static const char *const breach_actions[] = { "block", "alert", NULL };
static const char *const spend_modes[] = { "rolling", "fixed", NULL };

/* The carrier as every reader sees it. The credit control figures
 * (`balances`) are live from the ledger: the SQL function
 * ledger_carrier_balances (schema/0006_ledger.sql) shares its figures with
 * ledger.balance. */
static const char carrier_json[] =
    "json_build_object('id', t.id, 'name', t.name, 'type', t.type, 'status', t.status,"
    " 'timezone', t.timezone, 'account_manager', t.account_manager,"
    " 'customer_billing', t.customer_billing, 'currencies', to_jsonb(t.currencies),"
    " 'capacity', t.capacity, 'circular_routing', t.circular_routing,"
    " 'category_id', t.category_id, 'group_id', t.group_id,"
    " 'credit', json_build_object("
    "   'customer', json_build_object('credit_type', t.customer_credit_type,"
    "     'credit_limit', t.credit_limit::text, 'bilateral_limit', t.bilateral_limit::text,"
    "     'bilateral_limit_breach', t.bilateral_limit_breach, 'spend_limit_24h', t.spend_limit_24h::text,"
    "     'spend_limit_24h_breach', t.spend_limit_24h_breach, 'spend_mode_24h', t.spend_mode_24h,"
    "     'spend_reset_time', to_char(t.spend_reset_time, 'HH24:MI')),"
    "   'supplier', json_build_object('credit_type', t.supplier_credit_type)),"
    " 'balances', ledger_carrier_balances(t.id),"
    " 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")";

static const record_column carrier_columns[] = {
    { "name", "name", COL_TEXT },
    { "type", "type", COL_TEXT },
    { "status", "status", COL_TEXT },
    { "timezone", "timezone", COL_TEXT },
    { "account_manager", "account_manager", COL_TEXT },
    { "customer_billing", "customer_billing", COL_TEXT },
    { "currencies", "currencies", COL_TEXT_ARRAY },
    { "capacity", "capacity", COL_INT },
    { "circular_routing", "circular_routing", COL_BOOL },
    { "category_id", "category_id", COL_BIGINT },
    { "group_id", "group_id", COL_BIGINT },
    { NULL },
};

const record_spec carrier_record = { "carrier", "carriers", carrier_json, carrier_columns };

/* ---- tenant scope ---- */

bool scope_is_customer(rpc_call *c)
{
    return c->session->role == ROLE_CUSTOMER;
}

int scope_check_carrier(rpc_call *c, long long carrier_id, const char *what)
{
    if (scope_is_customer(c) && carrier_id != c->session->carrier_id)
        return rpc_fail(c, RPC_NOT_FOUND, "no %s %lld", what, carrier_id);
    return 0;
}

/* The live carrier's type, or NULL with -32004. Locks it when for_update. */
const char *carrier_type_of(rpc_call *c, long long id, bool for_update, char *buf, size_t n)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, for_update ? "SELECT type FROM carriers WHERE id = $1 AND deleted_at IS NULL FOR SHARE"
                                          : "SELECT type FROM carriers WHERE id = $1 AND deleted_at IS NULL",
                            1, idt);
    if (!r)
        return NULL;
    if (PQntuples(r) == 0) {
        PQclear(r);
        rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
        return NULL;
    }
    snprintf(buf, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    return buf;
}

/* ---- checks shared by create and update ---- */

static int check_currencies(rpc_call *c, json_t *list)
{
    if (!list)
        return 0;
    if (json_array_size(list) < 1 || json_array_size(list) > 3)
        return rpc_field_error(c, "currencies", "must list 1 to 3 currencies");
    for (size_t i = 0; i < json_array_size(list); i++)
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_array_get(list, i), json_array_get(list, k)))
                return rpc_field_error(c, "currencies", "must not repeat a currency");
    return 0;
}

static int name_taken(rpc_call *c, const char *name, long long except_id)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", except_id);
    PGresult *r = rpc_query(c, "SELECT 1 FROM carriers WHERE lower(name) = lower($1) AND deleted_at IS NULL AND id <> $2",
                            2, name, idt);
    if (!r)
        return -1;
    int taken = PQntuples(r);
    PQclear(r);
    return taken ? rpc_fail(c, RPC_CONFLICT, "a carrier named %s already exists", name) : 0;
}

/* ---- carrier.* ---- */

/* The rules of a carrier write: currencies, catalog references, a unique
 * live name, and a type change that keeps the hierarchy valid. */
static int carrier_prepare(rpc_call *c, json_t *before)
{
    long long id = before ? json_integer_value(json_object_get(before, "id")) : 0;
    check_currencies(c, json_object_get(c->params, "currencies"));
    entity_ref(c, "category_id", "customer_categories", NULL, json_object_get(c->params, "category_id"));
    entity_ref(c, "group_id", "customer_groups", NULL, json_object_get(c->params, "group_id"));
    if (c->err_code || (rpc_str(c, "name") && name_taken(c, rpc_str(c, "name"), id)))
        return -1;
    const char *new_type = rpc_str(c, "type");
    if (!before || !new_type || !strcmp(new_type, json_string_value(json_object_get(before, "type"))))
        return 0;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c,
        "SELECT count(*) FILTER (WHERE direction = 'ingress'), count(*) FILTER (WHERE direction = 'egress')"
        " FROM interconnects WHERE carrier_id = $1 AND deleted_at IS NULL", 1, idt);
    if (!r)
        return -1;
    long long ingress = atoll(PQgetvalue(r, 0, 0)), egress = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    if ((!strcmp(new_type, "supplier") && ingress) || (!strcmp(new_type, "customer") && egress))
        return rpc_fail(c, RPC_CONFLICT, "a %s carrier cannot keep its %s interconnects", new_type,
                        ingress ? "ingress" : "egress");
    if (strcmp(new_type, "bilateral")) { /* the bilateral limit goes with the type */
        r = rpc_query(c, "UPDATE carriers SET bilateral_limit = NULL WHERE id = $1", 1, idt);
        if (!r)
            return -1;
        PQclear(r);
    }
    return 0;
}

static int carrier_delete(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    if (record_lock(c, &carrier_record, id, rpc_int(c, "version", 0)))
        return -1;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT count(*) FROM interconnects WHERE carrier_id = $1 AND deleted_at IS NULL", 1, idt);
    if (!r)
        return -1;
    long long live = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (live && !rpc_bool(c, "cascade", false))
        return rpc_fail(c, RPC_CONFLICT, "the carrier still has %lld live interconnect(s); delete them first or pass"
                                         " cascade:true", live);
    json_t *before = record_get(c, &carrier_record, id, NULL, NULL);
    if (!before)
        return -1;
    int rc = -1;
    if (live && interconnects_delete_of_carrier(c, id))
        goto out;
    if (record_soft_delete(c, &carrier_record, id) ||
        record_changed(c, &carrier_record, "delete", id, before, NULL, id))
        goto out;
    c->result = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
    rc = 0;
out:
    json_decref(before);
    return rc;
}

static const list_sort carrier_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { "type", "t.type", LIST_TEXT },
    { "status", "t.status", LIST_TEXT },
    { "timezone", "t.timezone", LIST_TEXT },
    { "account_manager", "t.account_manager", LIST_TEXT },
    { "customer_billing", "t.customer_billing", LIST_TEXT },
    { "currency", "t.currencies[1]", LIST_TEXT },
    { "capacity", "coalesce(t.capacity, 2147483647)", LIST_INT },
    { "credit_limit", "t.credit_limit", LIST_NUMERIC },
    { "credit_type", "t.customer_credit_type", LIST_TEXT },
    { "created_at", "t.created_at", LIST_TIME },
    { "updated_at", "t.updated_at", LIST_TIME },
    { NULL },
};

static const list_filter carrier_filters[] = {
    { "type", "t.type", LIST_TEXT, LIST_EQ, carrier_types },
    { "status", "t.status", LIST_TEXT, LIST_EQ, carrier_statuses },
    { "category_id", "t.category_id", LIST_INT, LIST_EQ },
    { "group_id", "t.group_id", LIST_INT, LIST_EQ },
    { "currency", "t.currencies[1]", LIST_TEXT, LIST_EQ },
    { "credit_type", "t.customer_credit_type", LIST_TEXT, LIST_EQ, credit_types },
    { "q", "t.name || ' ' || t.account_manager", LIST_TEXT, LIST_SEARCH },
    { NULL },
};

static const list_spec carrier_list_spec = {
    .from_sql = "carriers t",
    .where_sql = "t.deleted_at IS NULL",
    .id_sql = "t.id",
    .sorts = carrier_sorts,
    .default_sort = "name",
    .filters = carrier_filters,
};

static const entity_kind carrier_kind = { &carrier_record, &carrier_list_spec, "id", CUSTOMER_READ,
                                          carrier_prepare };

/* ---- carrier.credit.update ---- */

static int carrier_credit_update(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    if (record_lock(c, &carrier_record, id, rpc_int(c, "version", 0)))
        return -1;
    json_t *before = record_get(c, &carrier_record, id, NULL, NULL);
    if (!before)
        return -1;
    int rc = -1;
    json_t *after = NULL;
    json_t *cust = json_object_get(c->params, "customer");
    json_t *supp = json_object_get(c->params, "supplier");
    const char *type = json_string_value(json_object_get(before, "type"));
    json_t *bl = json_object_get(cust, "bilateral_limit");
    if (bl && !json_is_null(bl) && strcmp(type, "bilateral"))
        rpc_field_error(c, "customer.bilateral_limit", "only a bilateral carrier has a bilateral limit");
    const char *mode = json_string_value(json_object_get(cust, "spend_mode_24h"));
    json_t *reset = json_object_get(cust, "spend_reset_time");
    if (mode && !strcmp(mode, "fixed") && (!reset || json_is_null(reset)))
        rpc_field_error(c, "customer.spend_reset_time", "is required for the fixed 24-hour spend mode");
    if (reset && json_is_string(reset)) {
        int h, m;
        char extra;
        if (sscanf(json_string_value(reset), "%2d:%2d%c", &h, &m, &extra) != 2 || h < 0 || h > 23 || m < 0 || m > 59 ||
            json_string_length(reset) != 5)
            rpc_field_error(c, "customer.spend_reset_time", "must be a time of day like \"00:00\"");
    }
    if (c->err_code)
        goto out;
    static const record_column credit_columns[] = {
        { "credit_type", "customer_credit_type", COL_TEXT },
        { "credit_limit", "credit_limit", COL_MONEY },
        { "bilateral_limit", "bilateral_limit", COL_MONEY },
        { "bilateral_limit_breach", "bilateral_limit_breach", COL_TEXT },
        { "spend_limit_24h", "spend_limit_24h", COL_MONEY },
        { "spend_limit_24h_breach", "spend_limit_24h_breach", COL_TEXT },
        { "spend_mode_24h", "spend_mode_24h", COL_TEXT },
        { "spend_reset_time", "spend_reset_time", COL_TIME },
        { NULL },
    };
    static const record_column supplier_columns[] = {
        { "supplier_credit_type", "supplier_credit_type", COL_TEXT },
        { NULL },
    };
    const record_spec cust_spec = { "carrier", "carriers", carrier_json, credit_columns };
    const record_spec supp_spec = { "carrier", "carriers", carrier_json, supplier_columns };
    if (cust && record_update(c, &cust_spec, id, cust))
        goto out;
    if (supp) {
        json_t *v = json_pack("{s:O}", "supplier_credit_type", json_object_get(supp, "credit_type"));
        int u = record_update(c, &supp_spec, id, v);
        json_decref(v);
        if (u)
            goto out;
    }
    if (cust && supp) { /* two updates, one change: one version step */
        char idt[24];
        snprintf(idt, sizeof idt, "%lld", id);
        PGresult *r = rpc_query(c, "UPDATE carriers SET version = version - 1 WHERE id = $1", 1, idt);
        if (!r)
            goto out;
        PQclear(r);
    }
    after = record_get(c, &carrier_record, id, NULL, NULL);
    if (!after || record_changed(c, &carrier_record, "credit.update", id, before, after, id))
        goto out;
    c->result = json_incref(after);
    rc = 0;
out:
    json_decref(before);
    json_decref(after);
    return rc;
}

/* ---- carrier.accounting.* ---- */

static const char accounting_json[] =
    "json_build_object('carrier_id', t.id, 'customer_account_number', t.customer_account_number,"
    " 'supplier_account_number', t.supplier_account_number, 'tax_code', t.tax_code,"
    " 'bill_to', t.bill_to, 'ship_to', t.ship_to, 'version', t.version)";

static const record_column accounting_columns[] = {
    { "customer_account_number", "customer_account_number", COL_TEXT },
    { "supplier_account_number", "supplier_account_number", COL_TEXT },
    { "tax_code", "tax_code", COL_TEXT },
    { "bill_to", "bill_to", COL_TEXT },
    { "ship_to", "ship_to", COL_TEXT },
    { NULL },
};

static const record_spec accounting_record = { "carrier", "carriers", accounting_json, accounting_columns };

static int accounting_get(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    if (scope_check_carrier(c, id, "carrier"))
        return -1;
    c->result = record_get(c, &accounting_record, id, NULL, NULL);
    return c->result ? 0 : -1;
}

static int accounting_update(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    if (scope_check_carrier(c, id, "carrier") || record_lock(c, &accounting_record, id, rpc_int(c, "version", 0)))
        return -1;
    json_t *before = record_get(c, &accounting_record, id, NULL, NULL);
    if (!before || record_update(c, &accounting_record, id, c->params)) {
        json_decref(before);
        return -1;
    }
    json_t *after = record_get(c, &accounting_record, id, NULL, NULL);
    int rc = after && !record_changed(c, &carrier_record, "accounting.update", id, before, after, id) ? 0 : -1;
    json_decref(before);
    if (rc == 0)
        c->result = after;
    else
        json_decref(after);
    return rc;
}

/* ---- params ---- */

#define CARRIER_FIELDS(req) \
    { "name", F_STRING, req, 1, 128 }, \
    { "type", F_ENUM, req, 0, 0, carrier_types }, \
    { "status", F_ENUM, 0, 0, 0, carrier_statuses }, \
    { "timezone", F_TIMEZONE, req }, \
    { "account_manager", F_STRING, 0, 0, 128 }, \
    { "customer_billing", F_ENUM, 0, 0, 0, billing_modes }, \
    { "currencies", F_ARRAY, req, 0, 3, NULL, NULL, F_CURRENCY }, \
    { "capacity", F_INT, F_NULLABLE, 0, 1000000 }, \
    { "circular_routing", F_BOOL }, \
    { "category_id", F_ID, F_NULLABLE }, \
    { "group_id", F_ID, F_NULLABLE }

static const rpc_field create_params[] = { CARRIER_FIELDS(F_REQUIRED), { NULL } };

static const rpc_field update_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    CARRIER_FIELDS(0),
    { NULL },
};

static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };

static const rpc_field delete_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "cascade", F_BOOL },
    { NULL },
};

static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field customer_credit_fields[] = {
    { "credit_type", F_ENUM, 0, 0, 0, credit_types },
    { "credit_limit", F_MONEY, F_NONNEGATIVE },
    { "bilateral_limit", F_MONEY, F_NONNEGATIVE | F_NULLABLE },
    { "bilateral_limit_breach", F_ENUM, 0, 0, 0, breach_actions },
    { "spend_limit_24h", F_MONEY, F_NONNEGATIVE | F_NULLABLE },
    { "spend_limit_24h_breach", F_ENUM, 0, 0, 0, breach_actions },
    { "spend_mode_24h", F_ENUM, 0, 0, 0, spend_modes },
    { "spend_reset_time", F_STRING, F_NULLABLE, 5, 5 },
    { NULL },
};

static const rpc_field supplier_credit_fields[] = {
    { "credit_type", F_ENUM, F_REQUIRED, 0, 0, credit_types },
    { NULL },
};

static const rpc_field credit_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "customer", F_OBJECT, 0, 0, 0, NULL, customer_credit_fields },
    { "supplier", F_OBJECT, 0, 0, 0, NULL, supplier_credit_fields },
    { NULL },
};

static const rpc_field accounting_get_params[] = { { "carrier_id", F_ID, F_REQUIRED }, { NULL } };

static const rpc_field accounting_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "customer_account_number", F_STRING, 0, 0, 64 },
    { "supplier_account_number", F_STRING, 0, 0, 64 },
    { "tax_code", F_STRING, 0, 0, 64 },
    { "bill_to", F_STRING, 0, 0, 1000 },
    { "ship_to", F_STRING, 0, 0, 1000 },
    { NULL },
};

const rpc_method carrier_methods[] = {
    { "carrier.create", entity_create, ROLES_ADMIN, RPC_MUTATES, create_params, &carrier_kind },
    { "carrier.get", entity_get, ROLES_ANY, 0, id_params, &carrier_kind },
    { "carrier.update", entity_update, ROLES_ADMIN, RPC_MUTATES, update_params, &carrier_kind },
    { "carrier.delete", carrier_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &carrier_kind },
    { "carrier.list", entity_list, ROLES_ANY, 0, list_params, &carrier_kind },
    { "carrier.credit.update", carrier_credit_update, ROLES_ADMIN, RPC_MUTATES, credit_params },
    { "carrier.accounting.get", accounting_get, ROLES_ANY, 0, accounting_get_params },
    { "carrier.accounting.update", accounting_update, ROLES_ADMIN | ROLE_CUSTOMER, RPC_MUTATES, accounting_params },
    { NULL },
};
