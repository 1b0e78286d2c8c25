/*
 * auth: sessions and users.
 *
 * A session is a row in sessions keyed by the SHA-256 of its token. On a
 * WebSocket the session is bound to the connection by auth.login or
 * auth.resume; over HTTP every request carries it as a bearer token.
 */
#ifndef DIDTRON_AUTH_H
#define DIDTRON_AUTH_H

#include <libpq-fe.h>
#include <stdbool.h>

#include "../rpc/rpc.h"

/* Find the live session of token. 0 and *out filled; -1 when unknown,
 * expired, revoked or its user is disabled; -2 on a database error. */
int auth_session_lookup(PGconn *db, const char *token, rpc_session *out);

/* The session the command line acts as ("system", super_admin). */
void auth_system_session(rpc_session *s, const char *name);

/* Is any enabled admin's password the demo password "admin"? -1 on error. */
int auth_demo_password_in_use(PGconn *db);

/* Demo data: the admin/admin super_admin, once. 0 or -1 (err). */
int auth_demo_seed(PGconn *db, char *err, size_t errlen);

#endif
