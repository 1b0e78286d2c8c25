/*
 * gates.c: the two checks route.lookup makes for every candidate (gates.h),
 * the start-up of the gates, and route.lookup.switch, the face of
 * route.lookup that GET /api/v1/route runs (docs/gates.md,
 * docs/integrations.md).
 *
 * The state itself lives in pauses.c (active pauses) and calls.c (live
 * call counts).
 */
#include "gates.h"
#include "route_world.h"
#include "calls.h"
#include "pauses.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "../rpc/registry.h"

bool route_paused(long long interconnect_id, const char *callee, char reason[ROUTE_REASON_MAX])
{
    return pauses_match(interconnect_id, callee, reason);
}

bool route_over_capacity(long long interconnect_id, int capacity, int cps, char reason[ROUTE_REASON_MAX])
{
    return calls_over_capacity(interconnect_id, capacity, cps, reason);
}

int gates_init(const dt_config *cfg)
{
    return pauses_init() || calls_init(cfg) || route_world_init() ? -1 : 0;
}

/* rtjson (Kamailio): {"version":"1.0","routing":"serial","routes":[{"uri":...}]}
 * with one route per answered supplier, in order: sip:[egress tech
 * prefix]callee@first signalling IP of the egress interconnect. */
static int to_rtjson(rpc_call *c, const char *callee)
{
    json_t *routes = json_object_get(c->result, "routes"), *r;
    json_t *ids = json_array();
    size_t i;
    json_array_foreach(routes, i, r)
        json_array_append(ids, json_object_get(r, "interconnect_id"));
    char *idtext = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    if (!idtext)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    /* ids as a JSON array: one parameter, whatever the number of routes */
    PGresult *q = rpc_query(c,
                            "SELECT i.id, coalesce(i.tech_prefix, ''), host(i.signalling_ips[1]::inet),"
                            " family(i.signalling_ips[1]::inet)"
                            " FROM interconnects i WHERE i.id IN (SELECT jsonb_array_elements_text($1::jsonb)::bigint)",
                            1, idtext);
    free(idtext);
    if (!q)
        return -1;
    json_t *out = json_array();
    json_array_foreach(routes, i, r) {
        long long id = (long long)json_integer_value(json_object_get(r, "interconnect_id"));
        for (int k = 0; k < PQntuples(q); k++) {
            if (atoll(PQgetvalue(q, k, 0)) != id || PQgetisnull(q, k, 2))
                continue;
            bool v6 = !strcmp(PQgetvalue(q, k, 3), "6");
            char uri[256];
            snprintf(uri, sizeof uri, "sip:%s%s@%s%s%s:5060", PQgetvalue(q, k, 1), callee ? callee : "",
                     v6 ? "[" : "", PQgetvalue(q, k, 2), v6 ? "]" : "");
            json_array_append_new(out, json_pack("{s:s, s:I}", "uri", uri, "interconnect_id", (json_int_t)id));
        }
    }
    PQclear(q);
    json_decref(c->result);
    c->result = json_pack("{s:s, s:s, s:o}", "version", "1.0", "routing", "serial", "routes", out);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* route.lookup with one more param, format ("json": route.lookup's answer
 * as is; "rtjson": Kamailio's shape). route.lookup is found by name when
 * called, so this works whenever the routing module registers it. */
static int lookup_switch(rpc_call *c)
{
    json_t *params = json_deep_copy(c->params ? c->params : json_object());
    if (!params)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    const char *format = "json";
    json_t *f = json_object_get(params, "format");
    if (f && (!json_is_string(f) || (strcmp(json_string_value(f), "json") && strcmp(json_string_value(f), "rtjson")))) {
        json_decref(params);
        return rpc_field_error(c, "format", "must be json or rtjson");
    }
    if (f)
        format = strcmp(json_string_value(f), "rtjson") ? "json" : "rtjson";
    json_object_del(params, "format");
    const rpc_method *m = registry_find("route.lookup");
    if (!m || !m->handler || (m->flags & (RPC_INLINE | RPC_WS_ONLY))) {
        json_decref(params);
        return rpc_fail(c, RPC_METHOD_NOT_FOUND, "route.lookup is not available on this server");
    }
    int deny = registry_authorize(m, c->session);
    if (deny) {
        json_decref(params);
        return rpc_fail(c, deny, "your role may not call route.lookup");
    }
    json_t *saved = c->params;
    const void *saved_data = c->method_data;
    const char *saved_method = c->method;
    c->params = params;
    c->method_data = m->data;
    c->method = m->name;
    int rc = m->params ? rpc_validate(c, params, m->params) : 0;
    if (rc == 0)
        rc = m->handler(c);
    if (rc == 0 && !c->err_code && !strcmp(format, "rtjson"))
        rc = to_rtjson(c, json_string_value(json_object_get(params, "callee")));
    c->params = saved;
    c->method_data = saved_data;
    c->method = saved_method;
    json_decref(params);
    return rc || c->err_code ? -1 : 0;
}

extern const rpc_method call_methods[];

const rpc_method gate_methods[] = {
    /* params: route.lookup's, validated against its table, plus format */
    { "route.lookup.switch", lookup_switch, ROLES_STAFF, 0, NULL, NULL },
    { NULL },
};
