/*
 * teams.c: the support set-up — ticket_category.*, team.*,
 * assignment_rule.*, sla_policy.* — as entity records (server/rpc/entity.h:
 * create, update with version, soft delete, list, audit and a
 * "<entity>.changed" event each). The rules of each record are in its
 * prepare hook; how they are used is in tickets.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sla.h"
#include "support.h"
#include "../rpc/entity.h"


static const char *const priorities[] = { "low", "normal", "high", "urgent", NULL };

/* ---- ticket_category ---- */

static const record_column category_columns[] = {
    { "name", "name", COL_TEXT },
    { "customer_visible", "customer_visible", COL_BOOL },
    { NULL },
};

static const record_spec category_record = {
    "ticket_category", "ticket_categories",
    "json_build_object('id', t.id, 'name', t.name, 'customer_visible', t.customer_visible, 'version', t.version)",
    category_columns,
};

static const list_sort name_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { NULL },
};

static const list_spec category_list = {
    .from_sql = "ticket_categories t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name",
};

static const entity_kind category_kind = { &category_record, &category_list, NULL, CUSTOMER_NONE, NULL };

/* ---- team ---- */

static const record_column team_columns[] = {
    { "name", "name", COL_TEXT },
    { "time_zone", "time_zone", COL_TEXT },
    { "business_hours", "business_hours", COL_JSONB },
    { "members", "members", COL_JSONB },
    { NULL },
};

static const record_spec team_record = {
    "team", "support_teams",
    "json_build_object('id', t.id, 'name', t.name, 'time_zone', t.time_zone, 'business_hours', t.business_hours,"
    " 'members', t.members, 'version', t.version, 'created_at', " TS("t.created_at") ","
    " 'updated_at', " TS("t.updated_at") ")",
    team_columns,
};

static const list_spec team_list = {
    .from_sql = "support_teams t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = name_sorts, .default_sort = "name",
};

/* business_hours parses; members are distinct enabled staff users. */
static int team_prepare(rpc_call *c, json_t *before)
{
    (void)before;
    json_t *bh = json_object_get(c->params, "business_hours");
    if (bh) {
        char *text = json_dumps(bh, JSON_COMPACT);
        sla_calendar cal;
        char err[64];
        sla_calendar_init(&cal);
        if (!text || sla_calendar_parse(&cal, text, err, sizeof err))
            rpc_field_error(c, text ? err : "business_hours", "must be {\"mon\":{\"start\":\"09:00\",\"end\":\"17:00\"},...}");
        free(text);
    }
    json_t *members = json_object_get(c->params, "members"), *m;
    size_t i;
    json_array_foreach(members, i, m) {
        char field[32];
        snprintf(field, sizeof field, "members[%zu]", i);
        for (size_t k = 0; k < i; k++)
            if (json_equal(json_array_get(members, k), m))
                rpc_field_error(c, field, "is listed twice");
        int staff = support_is_staff(c, (long long)json_integer_value(m));
        if (staff < 0)
            return -1;
        if (!staff)
            rpc_field_error(c, field, "is not an enabled staff user");
    }
    return c->err_code ? -1 : 0;
}

static const entity_kind team_kind = { &team_record, &team_list, NULL, CUSTOMER_NONE, team_prepare };

/* ---- assignment_rule ---- */

static const record_column rule_columns[] = {
    { "position", "position", COL_INT },
    { "category_id", "category_id", COL_BIGINT },
    { "priority", "priority", COL_TEXT },
    { "carrier_group_id", "carrier_group_id", COL_BIGINT },
    { "team_id", "team_id", COL_BIGINT },
    { NULL },
};

static const record_spec rule_record = {
    "assignment_rule", "ticket_assignment_rules",
    "json_build_object('id', t.id, 'position', t.position, 'category_id', t.category_id, 'priority', t.priority,"
    " 'carrier_group_id', t.carrier_group_id, 'team_id', t.team_id, 'version', t.version)",
    rule_columns,
};

static const list_sort rule_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "position", "t.position", LIST_INT },
    { NULL },
};

static const list_filter rule_filters[] = {
    { "team_id", "t.team_id", LIST_INT, LIST_EQ },
    { NULL },
};

static const list_spec rule_list = {
    .from_sql = "ticket_assignment_rules t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = rule_sorts, .default_sort = "position", .filters = rule_filters,
};

static int rule_prepare(rpc_call *c, json_t *before)
{
    (void)before;
    entity_ref(c, "category_id", "ticket_categories", NULL, json_object_get(c->params, "category_id"));
    entity_ref(c, "carrier_group_id", "customer_groups", NULL, json_object_get(c->params, "carrier_group_id"));
    entity_ref(c, "team_id", "support_teams", NULL, json_object_get(c->params, "team_id"));
    return c->err_code ? -1 : 0;
}

static const entity_kind rule_kind = { &rule_record, &rule_list, NULL, CUSTOMER_NONE, rule_prepare };

/* ---- sla_policy ---- */

static const record_column policy_columns[] = {
    { "priority", "priority", COL_TEXT },
    { "customer_category_id", "customer_category_id", COL_BIGINT },
    { "first_response_minutes", "first_response_minutes", COL_INT },
    { "resolution_minutes", "resolution_minutes", COL_INT },
    { "business_hours", "business_hours", COL_BOOL },
    { NULL },
};

static const record_spec policy_record = {
    "sla_policy", "sla_policies",
    "json_build_object('id', t.id, 'priority', t.priority, 'customer_category_id', t.customer_category_id,"
    " 'first_response_minutes', t.first_response_minutes, 'resolution_minutes', t.resolution_minutes,"
    " 'business_hours', t.business_hours, 'version', t.version)",
    policy_columns,
};

static const list_sort policy_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "priority", "t.priority", LIST_TEXT },
    { NULL },
};

static const list_spec policy_list = {
    .from_sql = "sla_policies t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = policy_sorts, .default_sort = "id",
};

static int policy_prepare(rpc_call *c, json_t *before)
{
    (void)before;
    entity_ref(c, "customer_category_id", "customer_categories", NULL,
               json_object_get(c->params, "customer_category_id"));
    return c->err_code ? -1 : 0;
}

static const entity_kind policy_kind = { &policy_record, &policy_list, NULL, CUSTOMER_NONE, policy_prepare };

/* ---- params ---- */

static const rpc_field category_create[] = {
    { "name", F_STRING, F_REQUIRED, 1, 64 },
    { "customer_visible", F_BOOL },
    { NULL },
};
static const rpc_field category_update[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "name", F_STRING, 0, 1, 64 },
    { "customer_visible", F_BOOL },
    { NULL },
};

#define TEAM_FIELDS(req) \
    { "name", F_STRING, req, 1, 64 }, \
    { "time_zone", F_TIMEZONE, req }, \
    { "business_hours", F_OBJECT }, \
    { "members", F_ARRAY, 0, 0, 100, NULL, NULL, F_ID }

static const rpc_field team_create[] = { TEAM_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field team_update[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    TEAM_FIELDS(0),
    { NULL },
};

#define RULE_FIELDS(req) \
    { "position", F_INT, 0, 1, 1000000 }, \
    { "category_id", F_ID, F_NULLABLE }, \
    { "priority", F_ENUM, F_NULLABLE, 0, 0, priorities }, \
    { "carrier_group_id", F_ID, F_NULLABLE }, \
    { "team_id", F_ID, req }

static const rpc_field rule_create[] = { RULE_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field rule_update[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    RULE_FIELDS(0),
    { NULL },
};

#define POLICY_FIELDS(req) \
    { "priority", F_ENUM, req, 0, 0, priorities }, \
    { "customer_category_id", F_ID, F_NULLABLE }, \
    { "first_response_minutes", F_INT, req, 1, 525600 }, \
    { "resolution_minutes", F_INT, req, 1, 525600 }, \
    { "business_hours", F_BOOL }

static const rpc_field policy_create[] = { POLICY_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field policy_update[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    POLICY_FIELDS(0),
    { NULL },
};

static const rpc_field delete_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { NULL },
};
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

const rpc_method support_methods[] = {
    { "ticket_category.create", entity_create, ROLES_ADMIN, RPC_MUTATES, category_create, &category_kind },
    { "ticket_category.update", entity_update, ROLES_ADMIN, RPC_MUTATES, category_update, &category_kind },
    { "ticket_category.delete", entity_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &category_kind },
    { "team.create", entity_create, ROLES_ADMIN, RPC_MUTATES, team_create, &team_kind },
    { "team.update", entity_update, ROLES_ADMIN, RPC_MUTATES, team_update, &team_kind },
    { "team.delete", entity_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &team_kind },
    { "team.list", entity_list, ROLES_STAFF, 0, list_params, &team_kind },
    { "assignment_rule.create", entity_create, ROLES_ADMIN, RPC_MUTATES, rule_create, &rule_kind },
    { "assignment_rule.update", entity_update, ROLES_ADMIN, RPC_MUTATES, rule_update, &rule_kind },
    { "assignment_rule.delete", entity_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &rule_kind },
    { "assignment_rule.list", entity_list, ROLES_STAFF, 0, list_params, &rule_kind },
    { "sla_policy.create", entity_create, ROLES_ADMIN, RPC_MUTATES, policy_create, &policy_kind },
    { "sla_policy.update", entity_update, ROLES_ADMIN, RPC_MUTATES, policy_update, &policy_kind },
    { "sla_policy.delete", entity_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &policy_kind },
    { "sla_policy.list", entity_list, ROLES_STAFF, 0, list_params, &policy_kind },
    { NULL },
};
