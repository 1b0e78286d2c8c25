/*
 * routing_plans.c: routing plans (the record helper's generic handlers)
 * and their entries — one row per (plan, prefix) holding the prefix's
 * routes as a jsonb array. Every write of an entry bumps the plan's
 * version in the same transaction and announces routing_plan.changed
 * {id, action, version}, which drops the plan's route table on every
 * instance (route_index.h); lookups also compare versions, so a lookup
 * after a committed change never uses the old table.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../rpc/entity.h"
#include "routing.h"

#define STAMPS ", 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at")
#define ROUTES_MAX 500

static const char *const modes[] = { "lcr", "priority", "weight", "quality", NULL };

/* ---- plans ---- */

static const record_column plan_columns[] = {
    { "name", "name", COL_TEXT },
    { "mode", "mode", COL_TEXT },
    { "description", "description", COL_TEXT },
    { "allow_negative_margin", "allow_negative_margin", COL_BOOL },
    { "lcr_delta", "lcr_delta", COL_MONEY },
    { NULL },
};
static const record_spec plan_record = {
    "routing_plan", "routing_plans",
    "json_build_object('id', t.id, 'name', t.name, 'mode', t.mode, 'description', t.description,"
    " 'allow_negative_margin', t.allow_negative_margin, 'lcr_delta', t.lcr_delta::text,"
    " 'entries', (SELECT count(*) FROM routing_plan_entries e WHERE e.routing_plan_id = t.id)" STAMPS ")",
    plan_columns,
};
static const list_sort plan_sorts[] = { { "id", "t.id", LIST_INT }, { "name", "lower(t.name)", LIST_TEXT }, { NULL } };
static const list_filter plan_filters[] = {
    { "q", "t.name", LIST_TEXT, LIST_SEARCH },
    { "mode", "t.mode", LIST_TEXT, LIST_EQ, modes },
    { NULL },
};
static const list_spec plan_list = {
    .from_sql = "routing_plans t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = plan_sorts, .default_sort = "name", .filters = plan_filters,
};
static const entity_kind plan_kind = { &plan_record, &plan_list, NULL, CUSTOMER_NONE, NULL };

#define PLAN_FIELDS(req) \
    { "name", F_STRING, req, 1, 128 }, \
    { "mode", F_ENUM, req, 0, 0, modes }, \
    { "description", F_STRING, 0, 0, 500 }, \
    { "allow_negative_margin", F_BOOL }, \
    { "lcr_delta", F_MONEY, F_NONNEGATIVE }
static const rpc_field plan_create_params[] = { PLAN_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field plan_update_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, PLAN_FIELDS(0), { NULL },
};
static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field delete_params[] = { { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { NULL } };
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

/* A plan some live service routes with stays (-32009 naming them). */
static int plan_delete(rpc_call *c)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", rpc_int(c, "id", 0));
    PGresult *r = rpc_query(c, "SELECT count(*), min(id) FROM services WHERE routing_plan_id = $1 AND deleted_at IS NULL",
                            1, idt);
    if (!r)
        return -1;
    long long n = atoll(PQgetvalue(r, 0, 0));
    long long first = n ? atoll(PQgetvalue(r, 0, 1)) : 0;
    PQclear(r);
    if (n) {
        rpc_fail(c, RPC_CONFLICT, "routing plan is used by %lld service(s)", n);
        c->err_data = json_pack("{s:I, s:I}", "services", (json_int_t)n, "service_id", (json_int_t)first);
        return -1;
    }
    return entity_delete(c);
}

/* ---- entries ---- */

static const char entry_json[] =
    "json_build_object('id', t.id, 'routing_plan_id', t.routing_plan_id, 'prefix', t.prefix, 'routes', t.routes,"
    " 'min_asr', t.min_asr, 'min_acd', t.min_acd, 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")";

static const list_sort entry_sorts[] = {
    { "id", "t.id", LIST_INT }, { "prefix", "t.prefix", LIST_TEXT }, { NULL },
};
static const list_filter entry_filters[] = {
    { "routing_plan_id", "t.routing_plan_id", LIST_INT, LIST_EQ },
    { "prefix", "t.prefix", LIST_TEXT, LIST_PREFIX },
    { NULL },
};
static const list_spec entry_list_spec = {
    .item_sql = entry_json,
    .from_sql = "routing_plan_entries t JOIN routing_plans p ON p.id = t.routing_plan_id",
    .where_sql = "p.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = entry_sorts, .default_sort = "prefix", .filters = entry_filters,
};

static const rpc_field route_fields[] = {
    { "interconnect_id", F_ID },   /* exactly one of these two */
    { "trunk_group_id", F_ID },
    { "priority", F_INT, 0, -1000, 1000 },
    { "weight", F_INT, 0, 0, 1000000 },
    { NULL },
};
static const rpc_field entry_set_params[] = {
    { "routing_plan_id", F_ID, F_REQUIRED },
    { "prefix", F_PREFIX, F_REQUIRED },
    { "routes", F_ARRAY, F_REQUIRED, 0, ROUTES_MAX, NULL, route_fields, F_OBJECT },
    { "min_asr", F_ANY, F_NULLABLE },   /* a fraction 0..1, checked in entry_set */
    { "min_acd", F_INT, F_NULLABLE, 0, 65535 },
    { NULL },
};
static const rpc_field entry_delete_params[] = {
    { "routing_plan_id", F_ID, F_REQUIRED }, { "prefix", F_PREFIX, F_REQUIRED }, { NULL },
};

/* Lock the live plan and bump its version: the new version, or -1 (-32004). */
static long long plan_bump(rpc_call *c, const char *plan)
{
    PGresult *r = rpc_query(c, "UPDATE routing_plans SET version = version + 1, updated_at = now()"
                               " WHERE id = $1 AND deleted_at IS NULL RETURNING version", 1, plan);
    if (!r)
        return -1;
    long long v = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : -1;
    PQclear(r);
    if (v < 0)
        rpc_field_error(c, "routing_plan_id", "does not name a live routing plan");
    return v;
}

static int plan_changed(rpc_call *c, long long plan, long long version, const char *prefix)
{
    json_t *ev = json_pack("{s:I, s:s, s:I, s:s}", "id", (json_int_t)plan, "action", "entries", "version",
                           (json_int_t)version, "prefix", prefix);
    int rc = rpc_emit(c, "routing_plan.changed", ev, 0);
    json_decref(ev);
    return rc;
}

/* The entry as JSON (new reference) or NULL (none; an error only when the query failed). */
static json_t *entry_get(rpc_call *c, const char *plan, const char *prefix, bool *failed)
{
    *failed = false;
    PGresult *r = rpc_query(c, "SELECT json_build_object('id', t.id, 'routing_plan_id', t.routing_plan_id,"
                               " 'prefix', t.prefix, 'routes', t.routes, 'version', t.version)::text"
                               " FROM routing_plan_entries t WHERE t.routing_plan_id = $1 AND t.prefix = $2",
                            2, plan, prefix);
    if (!r) {
        *failed = true;
        return NULL;
    }
    json_t *e = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    return e;
}

/* routing_plan.entry.set: replace the prefix's routes. Each route names
 * either a live egress interconnect or a live trunk group (exactly one),
 * each interconnect or group once. A group's members are not copied: the
 * lookup expands it (docs/routing.md). */
static int entry_set(rpc_call *c)
{
    char plan[24];
    snprintf(plan, sizeof plan, "%lld", rpc_int(c, "routing_plan_id", 0));
    const char *prefix = rpc_str(c, "prefix");
    json_t *routes = json_object_get(c->params, "routes");
    json_t *clean = json_array();
    json_t *ids = json_array();   /* interconnect ids as > 0, groups as < 0 */
    size_t i;
    json_t *route;
    int bad = 0;
    json_array_foreach(routes, i, route) {
        json_t *icv = json_object_get(route, "interconnect_id"), *tgv = json_object_get(route, "trunk_group_id");
        json_t *p = json_object_get(route, "priority"), *w = json_object_get(route, "weight");
        bool group = tgv && !json_is_null(tgv);
        char field[64];
        if (group && icv && !json_is_null(icv)) {
            snprintf(field, sizeof field, "routes[%zu].trunk_group_id", i);
            rpc_field_error(c, field, "a route names an interconnect_id or a trunk_group_id, not both");
            bad++;
            continue;
        }
        if (!group && (!icv || json_is_null(icv))) {
            snprintf(field, sizeof field, "routes[%zu].interconnect_id", i);
            rpc_field_error(c, field, "is required (or trunk_group_id)");
            bad++;
            continue;
        }
        json_int_t id = json_integer_value(group ? tgv : icv);
        json_int_t key = group ? -id : id;
        snprintf(field, sizeof field, "routes[%zu].%s", i, group ? "trunk_group_id" : "interconnect_id");
        for (size_t k = 0; k < json_array_size(ids); k++)
            if (json_integer_value(json_array_get(ids, k)) == key) {
                rpc_field_error(c, field, group ? "names a trunk group already in the list"
                                                : "names an interconnect already in the list");
                bad++;
            }
        if (group ? entity_ref(c, field, "trunk_groups", NULL, tgv)
                  : entity_ref(c, field, "interconnects", "t.direction = 'egress'", icv))
            bad++;
        json_array_append_new(ids, json_integer(key));
        json_array_append_new(clean, json_pack("{s:I, s:I, s:I}", group ? "trunk_group_id" : "interconnect_id", id,
                                               "priority", json_is_integer(p) ? json_integer_value(p) : 0, "weight",
                                               json_is_integer(w) ? json_integer_value(w) : 1));
    }
    json_decref(ids);
    /* The quality floor: ASR a fraction with up to 4 decimals, ACD seconds. */
    char asr[16] = "", acd[16] = "";
    json_t *asrv = json_object_get(c->params, "min_asr"), *acdv = json_object_get(c->params, "min_acd");
    if (asrv && !json_is_null(asrv)) {
        double x = json_number_value(asrv);
        if (!json_is_number(asrv) || !(x >= 0 && x <= 1)) {
            rpc_field_error(c, "min_asr", "must be a fraction from 0 to 1 (0.30 = 30 %)");
            bad++;
        } else {
            snprintf(asr, sizeof asr, "%.4f", x);
        }
    }
    if (acdv && !json_is_null(acdv))
        snprintf(acd, sizeof acd, "%lld", (long long)json_integer_value(acdv));
    int rc = -1;
    json_t *before = NULL, *after = NULL;
    char *text = NULL;
    long long version;
    bool failed;
    if (bad || c->err_code)
        goto out;
    if ((version = plan_bump(c, plan)) < 0)
        goto out;
    before = entry_get(c, plan, prefix, &failed);
    if (failed || !(text = json_dumps(clean, JSON_COMPACT)))
        goto out;
    PGresult *r = rpc_query(c, "INSERT INTO routing_plan_entries (routing_plan_id, prefix, routes, min_asr, min_acd)"
                               " VALUES ($1, $2, $3::jsonb, nullif($4, '')::numeric, nullif($5, '')::integer)"
                               " ON CONFLICT (routing_plan_id, prefix) DO UPDATE SET routes = excluded.routes,"
                               " min_asr = excluded.min_asr, min_acd = excluded.min_acd,"
                               " version = routing_plan_entries.version + 1, updated_at = now()",
                            5, plan, prefix, text, asr, acd);
    if (!r)
        goto out;
    PQclear(r);
    after = entry_get(c, plan, prefix, &failed);
    if (!after)
        goto out;
    if (audit_record(c, before ? "update" : "create", "routing_plan_entry", (long long)json_integer_value(json_object_get(after, "id")), before, after) ||
        plan_changed(c, atoll(plan), version, prefix))
        goto out;
    json_object_set_new(after, "plan_version", json_integer(version));
    c->result = json_incref(after);
    rc = 0;
out:
    if (rc && !c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    free(text);
    json_decref(clean);
    json_decref(before);
    json_decref(after);
    return rc;
}

/* routing_plan.entry.delete: the prefix's entry goes (audited); -32004 when none. */
static int entry_delete(rpc_call *c)
{
    char plan[24];
    snprintf(plan, sizeof plan, "%lld", rpc_int(c, "routing_plan_id", 0));
    const char *prefix = rpc_str(c, "prefix");
    bool failed;
    long long version = plan_bump(c, plan);
    if (version < 0)
        return -1;
    json_t *before = entry_get(c, plan, prefix, &failed);
    if (failed)
        return -1;
    if (!before)
        return rpc_fail(c, RPC_NOT_FOUND, "routing plan %s has no entry for prefix %s", plan, prefix);
    long long id = (long long)json_integer_value(json_object_get(before, "id"));
    int rc = -1;
    PGresult *r = rpc_query(c, "DELETE FROM routing_plan_entries WHERE routing_plan_id = $1 AND prefix = $2", 2, plan,
                            prefix);
    if (r) {
        PQclear(r);
        if (!audit_record(c, "delete", "routing_plan_entry", id, before, NULL) &&
            !plan_changed(c, atoll(plan), version, prefix)) {
            c->result = json_pack("{s:I, s:s, s:b, s:I}", "routing_plan_id", (json_int_t)atoll(plan), "prefix",
                                  prefix, "deleted", 1, "plan_version", (json_int_t)version);
            rc = 0;
        }
    }
    json_decref(before);
    return rc;
}

static int entry_list(rpc_call *c)
{
    return rpc_list(c, &entry_list_spec, NULL, NULL);
}

const rpc_method routing_methods[] = {
    { "routing_plan.create", entity_create, ROLES_ADMIN, RPC_MUTATES, plan_create_params, &plan_kind },
    { "routing_plan.get", entity_get, ROLES_STAFF, 0, id_params, &plan_kind },
    { "routing_plan.update", entity_update, ROLES_ADMIN, RPC_MUTATES, plan_update_params, &plan_kind },
    { "routing_plan.delete", plan_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &plan_kind },
    { "routing_plan.list", entity_list, ROLES_STAFF, 0, list_params, &plan_kind },
    { "routing_plan.entry.set", entry_set, ROLES_ADMIN, RPC_MUTATES, entry_set_params, NULL },
    { "routing_plan.entry.delete", entry_delete, ROLES_ADMIN, RPC_MUTATES, entry_delete_params, NULL },
    { "routing_plan.entry.list", entry_list, ROLES_STAFF, 0, list_params, NULL },
    { "route.lookup", route_lookup, ROLES_STAFF, 0, route_lookup_params, NULL },
    { NULL },
};
