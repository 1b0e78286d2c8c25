/*
 * catalog.c: the records that need only the generic entity handlers —
 * contacts, customer categories and groups, trunk groups, credit alerts,
 * blacklists, release cause mappings — each described by data.
 */
#include <stdio.h>
#include <string.h>

#include "../rpc/entity.h"

#define STAMPS ", 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at")

static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };
static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field delete_params[] = { { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { NULL } };

/* The five methods of one kind. */
#define ENTITY_METHODS(prefix, kind, create_p, update_p, write_roles, read_roles) \
    { prefix ".create", entity_create, write_roles, RPC_MUTATES, create_p, &kind }, \
    { prefix ".get", entity_get, read_roles, 0, id_params, &kind }, \
    { prefix ".update", entity_update, write_roles, RPC_MUTATES, update_p, &kind }, \
    { prefix ".delete", entity_delete, write_roles, RPC_MUTATES, delete_params, &kind }, \
    { prefix ".list", entity_list, read_roles, 0, list_params, &kind }

/* ---- contacts ---- */

static const record_column contact_columns[] = {
    { "carrier_id", "carrier_id", COL_BIGINT },
    { "name", "name", COL_TEXT },
    { "role", "role", COL_TEXT },
    { "email", "email", COL_TEXT },
    { "phone", "phone", COL_TEXT },
    { NULL },
};
static const record_spec contact_record = {
    "contact", "carrier_contacts",
    "json_build_object('id', t.id, 'carrier_id', t.carrier_id, 'name', t.name, 'role', t.role,"
    " 'email', t.email, 'phone', t.phone" STAMPS ")",
    contact_columns,
};
static const list_sort contact_sorts[] = {
    { "id", "t.id", LIST_INT }, { "name", "lower(t.name)", LIST_TEXT }, { "role", "t.role", LIST_TEXT }, { NULL },
};
static const list_filter contact_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "q", "t.name || ' ' || t.email || ' ' || t.phone", LIST_TEXT, LIST_SEARCH },
    { NULL },
};
static const list_spec contact_list = {
    .from_sql = "carrier_contacts t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = contact_sorts, .default_sort = "name", .filters = contact_filters,
};
static const entity_kind contact_kind = { &contact_record, &contact_list, "carrier_id", CUSTOMER_WRITE, NULL };

#define CONTACT_FIELDS(req) \
    { "name", F_STRING, req, 1, 128 }, { "role", F_STRING, 0, 0, 64 }, { "email", F_EMAIL }, { "phone", F_PHONE }
static const rpc_field contact_create[] = { { "carrier_id", F_ID, F_REQUIRED }, CONTACT_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field contact_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, CONTACT_FIELDS(0), { NULL },
};

/* ---- customer categories and groups ---- */

static const record_column category_columns[] = {
    { "name", "name", COL_TEXT }, { "description", "description", COL_TEXT }, { NULL },
};
static const record_spec category_record = {
    "category", "customer_categories",
    "json_build_object('id', t.id, 'name', t.name, 'description', t.description" STAMPS ")",
    category_columns,
};
static const list_sort name_sorts[] = { { "id", "t.id", LIST_INT }, { "name", "lower(t.name)", LIST_TEXT }, { NULL } };
static const list_filter name_filters[] = { { "q", "t.name", LIST_TEXT, LIST_SEARCH }, { NULL } };
static const list_spec category_list = {
    .from_sql = "customer_categories t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name", .filters = name_filters,
};
static const entity_kind category_kind = { &category_record, &category_list, NULL, CUSTOMER_NONE, NULL };

static const record_column group_columns[] = {
    { "name", "name", COL_TEXT }, { "description", "description", COL_TEXT },
    { "category_id", "category_id", COL_BIGINT }, { NULL },
};
static const record_spec group_record = {
    "group", "customer_groups",
    "json_build_object('id', t.id, 'name', t.name, 'description', t.description, 'category_id', t.category_id"
    STAMPS ")",
    group_columns,
};
static const list_filter group_filters[] = {
    { "q", "t.name", LIST_TEXT, LIST_SEARCH }, { "category_id", "t.category_id", LIST_INT, LIST_EQ }, { NULL },
};
static const list_spec group_list = {
    .from_sql = "customer_groups t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name", .filters = group_filters,
};
static int group_prepare(rpc_call *c, json_t *before)
{
    (void)before;
    return entity_ref(c, "category_id", "customer_categories", NULL, json_object_get(c->params, "category_id")) ||
           c->err_code ? -1 : 0;
}
static const entity_kind group_kind = { &group_record, &group_list, NULL, CUSTOMER_NONE, group_prepare };

static const rpc_field category_create[] = {
    { "name", F_STRING, F_REQUIRED, 1, 64 }, { "description", F_STRING, 0, 0, 500 }, { NULL },
};
static const rpc_field category_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 },
    { "name", F_STRING, 0, 1, 64 }, { "description", F_STRING, 0, 0, 500 }, { NULL },
};
static const rpc_field group_create[] = {
    { "name", F_STRING, F_REQUIRED, 1, 64 }, { "description", F_STRING, 0, 0, 500 },
    { "category_id", F_ID, F_NULLABLE }, { NULL },
};
static const rpc_field group_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { "name", F_STRING, 0, 1, 64 },
    { "description", F_STRING, 0, 0, 500 }, { "category_id", F_ID, F_NULLABLE }, { NULL },
};

/* ---- trunk groups ---- */

static const record_spec trunk_group_record = {
    "trunk_group", "trunk_groups",
    "json_build_object('id', t.id, 'name', t.name, 'description', t.description,"
    " 'interconnects', (SELECT coalesce(json_agg(i.id ORDER BY i.id), '[]') FROM interconnects i"
    "   WHERE i.trunk_group_id = t.id AND i.deleted_at IS NULL)" STAMPS ")",
    category_columns,
};
static const list_spec trunk_group_list = {
    .from_sql = "trunk_groups t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name", .filters = name_filters,
};
static const entity_kind trunk_group_kind = { &trunk_group_record, &trunk_group_list, NULL, CUSTOMER_NONE, NULL };

/* ---- credit alerts ---- */

static const char *const alert_types[] = { "low_balance", "high_balance", "spend_24h_breach", NULL };
static const record_column credit_alert_columns[] = {
    { "carrier_id", "carrier_id", COL_BIGINT }, { "type", "type", COL_TEXT },
    { "threshold", "threshold", COL_MONEY }, { "template", "template", COL_TEXT },
    { "recipients", "recipients", COL_TEXT_ARRAY }, { "enabled", "enabled", COL_BOOL }, { NULL },
};
static const record_spec credit_alert_record = {
    "credit_alert", "credit_alerts",
    "json_build_object('id', t.id, 'carrier_id', t.carrier_id, 'type', t.type, 'threshold', t.threshold::text,"
    " 'template', t.template, 'recipients', to_jsonb(t.recipients), 'enabled', t.enabled" STAMPS ")",
    credit_alert_columns,
};
static const list_sort credit_alert_sorts[] = {
    { "id", "t.id", LIST_INT }, { "type", "t.type", LIST_TEXT }, { "threshold", "t.threshold", LIST_NUMERIC },
    { NULL },
};
static const list_filter credit_alert_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ }, { "type", "t.type", LIST_TEXT, LIST_EQ, alert_types },
    { NULL },
};
static const list_spec credit_alert_list = {
    .from_sql = "credit_alerts t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = credit_alert_sorts, .default_sort = "id", .filters = credit_alert_filters,
};
static const entity_kind credit_alert_kind = { &credit_alert_record, &credit_alert_list, "carrier_id", CUSTOMER_READ,
                                               NULL };
#define ALERT_FIELDS(req) \
    { "type", F_ENUM, req, 0, 0, alert_types }, { "threshold", F_MONEY, req | F_NONNEGATIVE }, \
    { "template", F_STRING, 0, 0, 64 }, { "recipients", F_ARRAY, 0, 0, 20, NULL, NULL, F_EMAIL }, { "enabled", F_BOOL }
static const rpc_field credit_alert_create[] = { { "carrier_id", F_ID, F_REQUIRED }, ALERT_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field credit_alert_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, ALERT_FIELDS(0), { NULL },
};

/* ---- blacklists ---- */

static const record_column blacklist_columns[] = {
    { "name", "name", COL_TEXT }, { "description", "description", COL_TEXT },
    { "numbers", "numbers", COL_TEXT_ARRAY }, { "prefixes", "prefixes", COL_TEXT_ARRAY }, { NULL },
};
static const record_spec blacklist_record = {
    "blacklist", "blacklists",
    "json_build_object('id', t.id, 'name', t.name, 'description', t.description, 'numbers', to_jsonb(t.numbers),"
    " 'prefixes', to_jsonb(t.prefixes)" STAMPS ")",
    blacklist_columns,
};
static const list_spec blacklist_list = {
    .from_sql = "blacklists t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name", .filters = name_filters,
};
static const entity_kind blacklist_kind = { &blacklist_record, &blacklist_list, NULL, CUSTOMER_NONE, NULL };
#define BLACKLIST_FIELDS(req) \
    { "name", F_STRING, req, 1, 64 }, { "description", F_STRING, 0, 0, 500 }, \
    { "numbers", F_ARRAY, 0, 0, 10000, NULL, NULL, F_PHONE }, { "prefixes", F_ARRAY, 0, 0, 10000, NULL, NULL, F_PREFIX }
static const rpc_field blacklist_create[] = { BLACKLIST_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field blacklist_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, BLACKLIST_FIELDS(0), { NULL },
};

/* ---- release cause mappings ---- */

static const char *const rc_directions[] = { "sip_to_q850", "q850_to_sip", NULL };
static const record_column release_cause_columns[] = {
    { "interconnect_id", "interconnect_id", COL_BIGINT }, { "direction", "direction", COL_TEXT },
    { "sip_code", "sip_code", COL_INT }, { "q850_cause", "q850_cause", COL_INT },
    { "description", "description", COL_TEXT }, { NULL },
};
static const record_spec release_cause_record = {
    "release_cause_mapping", "release_cause_mappings",
    "json_build_object('id', t.id, 'interconnect_id', t.interconnect_id, 'direction', t.direction,"
    " 'sip_code', t.sip_code, 'q850_cause', t.q850_cause, 'description', t.description" STAMPS ")",
    release_cause_columns,
};
static const list_sort release_cause_sorts[] = {
    { "id", "t.id", LIST_INT }, { "sip_code", "t.sip_code", LIST_INT }, { "q850_cause", "t.q850_cause", LIST_INT },
    { NULL },
};
static const list_filter release_cause_filters[] = {
    { "interconnect_id", "t.interconnect_id", LIST_INT, LIST_EQ },
    { "global", "(t.interconnect_id IS NULL)", LIST_BOOL, LIST_EQ },
    { "direction", "t.direction", LIST_TEXT, LIST_EQ, rc_directions },
    { NULL },
};
static const list_spec release_cause_list = {
    .from_sql = "release_cause_mappings t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = release_cause_sorts, .default_sort = "sip_code", .filters = release_cause_filters,
};
static int release_cause_prepare(rpc_call *c, json_t *before)
{
    (void)before;
    return entity_ref(c, "interconnect_id", "interconnects", NULL, json_object_get(c->params, "interconnect_id")) ||
           c->err_code ? -1 : 0;
}
static const entity_kind release_cause_kind = { &release_cause_record, &release_cause_list, NULL, CUSTOMER_NONE,
                                                release_cause_prepare };
#define RC_FIELDS(req) \
    { "interconnect_id", F_ID, F_NULLABLE }, { "direction", F_ENUM, req, 0, 0, rc_directions }, \
    { "sip_code", F_INT, req, 300, 699 }, { "q850_cause", F_INT, req, 1, 127 }, { "description", F_STRING, 0, 0, 200 }
static const rpc_field release_cause_create[] = { RC_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field release_cause_update[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, RC_FIELDS(0), { NULL },
};

const rpc_method catalog_methods[] = {
    ENTITY_METHODS("contact", contact_kind, contact_create, contact_update, ROLES_ADMIN | ROLE_CUSTOMER, ROLES_ANY),
    ENTITY_METHODS("category", category_kind, category_create, category_update, ROLES_ADMIN, ROLES_STAFF),
    ENTITY_METHODS("group", group_kind, group_create, group_update, ROLES_ADMIN, ROLES_STAFF),
    ENTITY_METHODS("trunk_group", trunk_group_kind, category_create, category_update, ROLES_ADMIN, ROLES_STAFF),
    ENTITY_METHODS("credit_alert", credit_alert_kind, credit_alert_create, credit_alert_update, ROLES_ADMIN, ROLES_ANY),
    ENTITY_METHODS("blacklist", blacklist_kind, blacklist_create, blacklist_update, ROLES_ADMIN, ROLES_STAFF),
    ENTITY_METHODS("release_cause", release_cause_kind, release_cause_create, release_cause_update, ROLES_ADMIN,
                   ROLES_STAFF),
    { NULL },
};
