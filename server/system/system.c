/*
 * system.c: system.info — who this server is. Public and inline, so a
 * client (or a load balancer) can ask without logging in or touching the
 * database.
 */
#include <stdio.h>

#include "../rpc/rpc.h"

#ifndef DIDTRON_VERSION
#define DIDTRON_VERSION "0.0.0"
#endif

static int system_info(rpc_call *c)
{
    c->result = json_pack("{s:s, s:s, s:s, s:s, s:b}", "name", "didtron", "version", DIDTRON_VERSION,
                          "api", DIDTRON_API, "instance", c->cfg->instance, "demo", c->cfg->demo);
    return 0;
}

/* For GET /healthz and load balancers: does the database answer? */
static int system_health(rpc_call *c)
{
    PGresult *r = rpc_query(c, "SELECT 1", 0);
    if (!r)
        return -1;
    PQclear(r);
    c->result = json_pack("{s:s, s:s}", "status", "ok", "database", "ok");
    return 0;
}

static const rpc_field no_params[] = { { NULL } };

const rpc_method system_methods[] = {
    { "system.info", system_info, 0, RPC_INLINE, no_params },
    { "system.health", system_health, 0, 0, no_params },
    { NULL },
};
