/*
 * assignment.c: assignment.get / assignment.set — which customer categories,
 * groups and carriers may see an item (the ASSIGNMENT content tab). An item
 * with no assignment at all is visible to everyone.
 *
 * Assignable kinds are listed with the table that holds them, so an id is
 * always checked against a real record; later issues add voice tiers,
 * promo codes and bonuses to the table below.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../events/events.h"
#include "../rpc/entity.h"

static const struct {
    const char *entity;
    const char *table;
} assignable[] = {
    { "rating_plan", "rating_plans" },
};

static const char *const assignable_names[] = { "rating_plan", NULL };

static const char *table_of(const char *entity)
{
    for (size_t i = 0; i < sizeof assignable / sizeof assignable[0]; i++)
        if (!strcmp(assignable[i].entity, entity))
            return assignable[i].table;
    return NULL;
}

static json_t *load(rpc_call *c, const char *entity, const char *id)
{
    PGresult *r = rpc_query(c,
        "SELECT json_build_object('entity', entity, 'entity_id', entity_id, 'categories', to_jsonb(categories),"
        " 'groups', to_jsonb(groups), 'carriers', to_jsonb(carriers), 'version', version)::text"
        " FROM assignments WHERE entity = $1 AND entity_id = $2", 2, entity, id);
    if (!r)
        return NULL;
    json_t *j = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL)
                             : json_pack("{s:s, s:I, s:[], s:[], s:[], s:i}", "entity", entity, "entity_id",
                                         (json_int_t)atoll(id), "categories", "groups", "carriers", "version", 0);
    PQclear(r);
    return j;
}

static int item_exists(rpc_call *c, const char *entity, json_t *id)
{
    if (entity_ref(c, "entity_id", table_of(entity), NULL, id))
        return -1;
    return c->err_code ? -1 : 0;
}

static int assignment_get(rpc_call *c)
{
    const char *entity = rpc_str(c, "entity");
    if (item_exists(c, entity, json_object_get(c->params, "entity_id")))
        return -1;
    char id[24];
    snprintf(id, sizeof id, "%lld", rpc_int(c, "entity_id", 0));
    c->result = load(c, entity, id);
    return c->result ? 0 : -1;
}

static int check_ids(rpc_call *c, const char *field, const char *table)
{
    json_t *list = json_object_get(c->params, field);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) {
        char path[48];
        snprintf(path, sizeof path, "%s[%zu]", field, i);
        if (entity_ref(c, path, table, NULL, v) < 0 && c->err_code != RPC_INVALID_PARAMS)
            return -1;
    }
    return 0;
}

static int assignment_set(rpc_call *c)
{
    const char *entity = rpc_str(c, "entity");
    char id[24];
    snprintf(id, sizeof id, "%lld", rpc_int(c, "entity_id", 0));
    if (item_exists(c, entity, json_object_get(c->params, "entity_id")) ||
        check_ids(c, "categories", "customer_categories") || check_ids(c, "groups", "customer_groups") ||
        check_ids(c, "carriers", "carriers") || c->err_code)
        return -1;
    /* Lock (or create) the row, then check the version the caller saw. */
    PGresult *r = rpc_query(c, "INSERT INTO assignments (entity, entity_id, version) VALUES ($1, $2, 0)"
                               " ON CONFLICT DO NOTHING", 2, entity, id);
    if (!r)
        return -1;
    PQclear(r);
    r = rpc_query(c, "SELECT version FROM assignments WHERE entity = $1 AND entity_id = $2 FOR UPDATE", 2, entity, id);
    if (!r)
        return -1;
    long long current = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    json_t *v = json_object_get(c->params, "version");
    if (json_is_integer(v) && json_integer_value(v) != current)
        return rpc_conflict_version(c, current);
    json_t *before = load(c, entity, id);
    if (!before)
        return -1;
    char *cats = json_dumps(json_object_get(c->params, "categories") ? json_object_get(c->params, "categories")
                                                                       : json_object_get(before, "categories"),
                            JSON_COMPACT);
    char *grps = json_dumps(json_object_get(c->params, "groups") ? json_object_get(c->params, "groups")
                                                                   : json_object_get(before, "groups"),
                            JSON_COMPACT);
    char *cars = json_dumps(json_object_get(c->params, "carriers") ? json_object_get(c->params, "carriers")
                                                                     : json_object_get(before, "carriers"),
                            JSON_COMPACT);
    r = rpc_query(c,
        "UPDATE assignments SET"
        " categories = ARRAY(SELECT DISTINCT x::bigint FROM jsonb_array_elements_text($3::jsonb) x ORDER BY 1),"
        " groups = ARRAY(SELECT DISTINCT x::bigint FROM jsonb_array_elements_text($4::jsonb) x ORDER BY 1),"
        " carriers = ARRAY(SELECT DISTINCT x::bigint FROM jsonb_array_elements_text($5::jsonb) x ORDER BY 1),"
        " version = version + 1, updated_at = now() WHERE entity = $1 AND entity_id = $2",
        5, entity, id, cats, grps, cars);
    free(cats);
    free(grps);
    free(cars);
    json_t *after = r ? load(c, entity, id) : NULL;
    PQclear(r);
    int rc = -1;
    if (after && !audit_record(c, "assignment.set", entity, atoll(id), before, after)) {
        json_t *ev = json_pack("{s:s, s:I, s:O}", "entity", entity, "entity_id", (json_int_t)atoll(id), "version",
                               json_object_get(after, "version"));
        rc = rpc_emit(c, "assignment.changed", ev, 0);
        json_decref(ev);
    }
    json_decref(before);
    if (rc == 0)
        c->result = after;
    else
        json_decref(after);
    return rc;
}

static const rpc_field get_params[] = {
    { "entity", F_ENUM, F_REQUIRED, 0, 0, assignable_names },
    { "entity_id", F_ID, F_REQUIRED },
    { NULL },
};

static const rpc_field set_params[] = {
    { "entity", F_ENUM, F_REQUIRED, 0, 0, assignable_names },
    { "entity_id", F_ID, F_REQUIRED },
    { "version", F_INT, 0, 0 },
    { "categories", F_ARRAY, 0, 0, 100, NULL, NULL, F_ID },
    { "groups", F_ARRAY, 0, 0, 100, NULL, NULL, F_ID },
    { "carriers", F_ARRAY, 0, 0, 1000, NULL, NULL, F_ID },
    { NULL },
};

const rpc_method assignment_methods[] = {
    { "assignment.get", assignment_get, ROLES_STAFF, 0, get_params },
    { "assignment.set", assignment_set, ROLES_ADMIN, RPC_MUTATES, set_params },
    { NULL },
};
