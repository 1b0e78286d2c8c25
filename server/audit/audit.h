/*
 * audit: the one helper every mutating handler calls, inside its
 * transaction, so the audit row commits or rolls back with the change.
 * Rows are append-only (a trigger refuses UPDATE, DELETE and TRUNCATE).
 */
#ifndef DIDTRON_AUDIT_H
#define DIDTRON_AUDIT_H

#include "../rpc/rpc.h"

/* Record that c's caller did action ("create", "update", "delete",
 * "login", ...) on entity ("user") entity_id. before/after are borrowed
 * (NULL = SQL NULL). Returns 0, or -1 with c's error set. */
int audit_record(rpc_call *c, const char *action, const char *entity, long long entity_id,
                 json_t *before, json_t *after);

#endif
