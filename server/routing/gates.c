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
    char err[160];
    route_world *w = route_world_get(c->db, err, sizeof err);
    if (!w)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "routing: %s", err);
    json_t *routes = json_object_get(c->result, "routes"), *r;
    json_t *out = json_array();
    size_t i;
    json_array_foreach(routes, i, r) {
        long long id = (long long)json_integer_value(json_object_get(r, "interconnect_id"));
        const world_interconnect *x = route_world_interconnect(w, id);
        if (!x || !x->first_host[0])
            continue;
        char uri[256];
        snprintf(uri, sizeof uri, "sip:%s%s@%s%s%s:5060", x->tech_prefix, callee ? callee : "", x->first_v6 ? "[" : "",
                 x->first_host, x->first_v6 ? "]" : "");
        json_array_append_new(out, json_pack("{s:s, s:I}", "uri", uri, "interconnect_id", (json_int_t)id));
    }
    route_world_release(w);
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
    bool text_ok = c->text_ok;
    c->text_ok = text_ok && !strcmp(format, "json"); /* rtjson is made from the jansson answer */
    if (rc == 0)
        rc = m->handler(c);
    c->text_ok = text_ok;
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
