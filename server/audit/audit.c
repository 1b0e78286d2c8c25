#include "audit.h"

#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "../rpc/list.h"

int audit_record(rpc_call *c, const char *action, const char *entity, long long entity_id,
                 json_t *before, json_t *after)
{
    if (!c->in_transaction) {
        log_error("%s: audit_record outside a transaction", c->method);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    const rpc_session *s = c->session;
    char actor_id[24], eid[24];
    snprintf(actor_id, sizeof actor_id, "%lld", s->user_id);
    snprintf(eid, sizeof eid, "%lld", entity_id);
    char *b = before ? json_dumps(before, JSON_COMPACT) : NULL;
    char *a = after ? json_dumps(after, JSON_COMPACT) : NULL;
    PGresult *r = rpc_query(c,
        "INSERT INTO audit_log (actor_kind, actor_id, actor_name, action, entity, entity_id,"
        " before, after, address) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9)"
        " RETURNING id",
        9, s->actor_kind[0] ? s->actor_kind : "user", s->user_id ? actor_id : NULL,
        s->username[0] ? s->username : "system", action, entity, entity_id ? eid : NULL, b, a,
        c->peer ? c->peer : "");
    free(b);
    free(a);
    if (!r)
        return -1;
    json_t *ev = json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)atoll(PQgetvalue(r, 0, 0)),
                           "action", action, "entity", entity, "entity_id", (json_int_t)entity_id,
                           "actor", s->username[0] ? s->username : "system");
    PQclear(r);
    int rc = rpc_emit(c, "audit.recorded", ev, 0);
    json_decref(ev);
    return rc;
}

static const list_sort audit_sorts[] = {
    { "id", "a.id", LIST_INT },
    { "at", "a.at", LIST_TIME },
    { "entity", "a.entity", LIST_TEXT },
    { "action", "a.action", LIST_TEXT },
    { "actor", "a.actor_name", LIST_TEXT },
    { NULL, NULL, 0 },
};

static const list_filter audit_filters[] = {
    { "entity", "a.entity", LIST_TEXT, LIST_EQ, NULL },
    { "entity_id", "a.entity_id", LIST_TEXT, LIST_EQ, NULL },
    { "action", "a.action", LIST_TEXT, LIST_EQ, NULL },
    { "actor", "a.actor_name", LIST_TEXT, LIST_EQ, NULL },
    { "actor_id", "a.actor_id", LIST_INT, LIST_EQ, NULL },
    { "from", "a.at", LIST_TIME, LIST_FROM, NULL },
    { "to", "a.at", LIST_TIME, LIST_TO, NULL },
    { NULL, NULL, 0, 0, NULL },
};

static const list_spec audit_list_spec = {
    .item_sql = "json_build_object('id', a.id, 'at', to_char(a.at AT TIME ZONE 'UTC',"
                " 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), 'actor_kind', a.actor_kind, 'actor_id', a.actor_id,"
                " 'actor', a.actor_name, 'action', a.action, 'entity', a.entity, 'entity_id', a.entity_id,"
                " 'before', a.before, 'after', a.after, 'address', a.address)",
    .from_sql = "audit_log a",
    .id_sql = "a.id",
    .sorts = audit_sorts,
    .default_sort = "-id",
    .filters = audit_filters,
};

static int audit_list(rpc_call *c)
{
    return rpc_list(c, &audit_list_spec, NULL, NULL);
}

static const rpc_field audit_list_params[] = { LIST_PARAMS, { NULL } };

const rpc_method audit_methods[] = {
    { "audit.list", audit_list, ROLES_ADMIN, 0, audit_list_params },
    { NULL },
};
