/*
 * net: the libwebsockets vhost — WebSocket JSON-RPC at /ws (subprotocol
 * didtron.v1) and HTTP on the same port (POST /rpc, GET /healthz,
 * GET /metrics). Everything here runs on the one lws service thread;
 * database work goes to the worker pool and comes back through a
 * completion queue and lws_cancel_service().
 */
#ifndef DIDTRON_NET_H
#define DIDTRON_NET_H

#include "config.h"

/* Serve until SIGTERM or SIGINT, then drain: in-flight requests finish and
 * their replies are written (up to cfg->shutdown_grace_ms). Needs the pool
 * and registry started. Returns 0, or 1 when the listener cannot start. */
int net_serve(const dt_config *cfg);

/* Block SIGTERM/SIGINT (and ignore SIGPIPE) in the calling thread; call
 * before starting any thread so only net's signal thread receives them. */
void net_block_signals(void);

#endif
