/*
 * protocol: the names and numbers of the wire contract (docs/protocol.md).
 * Shared by the server and the console so neither spells a code twice.
 */
#ifndef DIDTRON_PROTOCOL_H
#define DIDTRON_PROTOCOL_H

#include <stdbool.h>

#define DIDTRON_API "v1"
#define DIDTRON_SUBPROTOCOL "didtron.v1"
#define DIDTRON_DEFAULT_PORT 7480

enum rpc_code {
    RPC_PARSE_ERROR = -32700,
    RPC_INVALID_REQUEST = -32600,
    RPC_METHOD_NOT_FOUND = -32601,
    RPC_INVALID_PARAMS = -32602,
    RPC_INTERNAL_ERROR = -32603,
    RPC_NOT_AUTHENTICATED = -32001,
    RPC_FORBIDDEN = -32003,
    RPC_NOT_FOUND = -32004,
    RPC_CONFLICT = -32009,
    RPC_CREDIT_LIMIT = -32010,
    RPC_RATE_LIMITED = -32029,
};

/* Roles, as a bit each so a method can allow any set of them. */
typedef enum {
    ROLE_NONE = 0,
    ROLE_SUPER_ADMIN = 1 << 0,
    ROLE_ADMIN = 1 << 1,
    ROLE_NOC = 1 << 2,
    ROLE_SUPPORT = 1 << 3,
    ROLE_CUSTOMER = 1 << 4,
} role;

#define ROLES_ADMIN (ROLE_SUPER_ADMIN | ROLE_ADMIN)
#define ROLES_STAFF (ROLES_ADMIN | ROLE_NOC | ROLE_SUPPORT)
#define ROLES_ANY (ROLES_STAFF | ROLE_CUSTOMER)

/* "super_admin" -> ROLE_SUPER_ADMIN; ROLE_NONE when unknown. */
role role_parse(const char *name);
/* ROLE_ADMIN -> "admin"; NULL for anything that is not exactly one role. */
const char *role_name(role r);

#endif
