/*
 * registry: the one table of JSON-RPC methods, shared by every transport.
 * Each module exports a NULL-terminated rpc_method array; registry.c lists
 * the arrays. Lookups are a binary search over names sorted at start-up.
 */
#ifndef DIDTRON_REGISTRY_H
#define DIDTRON_REGISTRY_H

#include "rpc.h"

/* Build the sorted table. Returns -1 (and logs) on a duplicate name. */
int registry_init(void);
const rpc_method *registry_find(const char *name);
/* Index of m in [0, registry_count()), for per-method metrics. */
int registry_index(const rpc_method *m);
int registry_count(void);
const rpc_method *registry_at(int i);

/* May a caller with this session call m? 0, or an RPC_* error code. */
int registry_authorize(const rpc_method *m, const rpc_session *s);

#endif
