/*
 * rpc: what a method handler sees and promises.
 *
 * Every JSON-RPC method of the server is one rpc_method entry in a module's
 * table (see registry.c for the list of tables). The dispatcher, not the
 * handler, checks the caller's role, validates params against the entry's
 * field list, opens the transaction of a mutating method and commits or
 * rolls it back, and turns the handler's outcome into the reply. So a
 * handler only does its domain work:
 *
 *     static int user_get(rpc_call *c) {
 *         PGresult *r = rpc_query(c, "SELECT ... WHERE id = $1", 1, id);
 *         if (!r) return -1;                 // error already set
 *         ...
 *         c->result = json_pack(...);
 *         return 0;
 *     }
 *
 * Returning -1 means "error set with rpc_fail/rpc_field_error/rpc_query";
 * in a mutating method everything it wrote is rolled back.
 */
#ifndef DIDTRON_RPC_H
#define DIDTRON_RPC_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "protocol.h"

/* Who is calling. user_id 0 with role ROLE_NONE = not authenticated. */
typedef struct {
    long long user_id;
    long long session_id;      /* sessions.id; 0 for the CLI */
    long long carrier_id;      /* customer users: their carrier; else 0 */
    role role;
    char username[64];
    int64_t expires_at;        /* unix seconds */
    char actor_kind[12];       /* "user", "api_key", "system" */
} rpc_session;

/* An HTTP upload (POST /api/v1/cdrs, POST /api/v1/rating-plans/{id}/rates):
 * the transport spools the request body to a file as it arrives and hands
 * the method its path. Only the HTTP transport sets it; no client can. */
typedef struct {
    const char *path;          /* the body; read it, never write; the transport deletes it */
    uint64_t size;             /* bytes */
    bool gzip;                 /* Content-Encoding: gzip */
    char content_type[64];     /* as sent, "" when absent */
} rpc_upload;

/* The HTTP download route (GET /api/v1/tickets/attachments/{id}): the
 * method answers with a file's bytes instead of JSON by filling this. Only
 * the HTTP transport passes one; no client can. */
typedef struct {
    unsigned char *body;       /* malloc'd by the method; the transport frees it */
    size_t len;
    char content_type[128];
    char filename[256];        /* for Content-Disposition (the transport quotes it safely) */
} rpc_download;

/* Changes a handler asks the transport to make to the connection. */
typedef enum { SESSION_KEEP, SESSION_SET, SESSION_CLEAR } session_change;

typedef struct rpc_call {
    PGconn *db;                /* the worker's connection; NULL inline */
    const rpc_session *session;
    json_t *params;            /* borrowed, already validated */
    const char *method;
    const char *peer;          /* client address, for audit and rate limits */
    const dt_config *cfg;
    bool in_transaction;

    json_t *result;            /* set by the handler on success (owned) */

    int err_code;              /* set through rpc_fail & co. */
    char err_message[256];
    json_t *err_data;          /* owned */

    session_change session_change;  /* auth.login / resume / logout */
    rpc_session new_session;

    void *transport;           /* for subscribe/unsubscribe (inline only) */
    const void *method_data;   /* rpc_method.data: lets one handler serve several methods */
    const rpc_upload *upload;  /* HTTP uploads only, else NULL */
    rpc_download *download;    /* the HTTP download route only, else NULL */
    /* HTTP API routes only (the reply is the body itself): a handler on the
     * hot path may answer with text it wrote instead of a jansson tree —
     * c->result_text (malloc'd JSON, owned; c->result stays NULL). */
    bool text_ok;
    char *result_text;
    uint64_t emitted;          /* topics rpc_emit'ed in the open transaction, a bit per topic index */
} rpc_call;

typedef int (*rpc_handler)(rpc_call *c);

/* Field types understood by the validator. */
typedef enum {
    F_ANY,      /* no check (the handler checks); the default item type */
    F_STRING,   /* JSON string, length in characters within [min,max] */
    F_INT,      /* JSON integer within [min,max] */
    F_ID,       /* JSON integer >= 1 */
    F_BOOL,
    F_MONEY,    /* decimal string, up to 6 decimals */
    F_ENUM,     /* JSON string among choices */
    F_TIME,     /* RFC 3339 string */
    F_OBJECT,
    F_ARRAY,    /* array of at most max items (0 = 500); items of type `items` */
    F_CURRENCY, /* ISO 4217 code */
    F_TIMEZONE, /* a name in the system tz database */
    F_IP,       /* IPv4/IPv6 address or CIDR */
    F_EMAIL,
    F_PHONE,    /* E.164-ish: optional +, 1..15 digits */
    F_PREFIX,   /* 1..32 digits */
    F_TECH_PREFIX, /* 1..16 of digits, # and * */
} field_type;

#define F_REQUIRED 1u
#define F_NULLABLE 2u
#define F_NONNEGATIVE 4u /* F_MONEY: >= 0 */

typedef struct rpc_field rpc_field;
struct rpc_field {
    const char *name;
    field_type type;
    unsigned flags;
    long long min, max;        /* meaning by type; 0/0 = no bounds */
    const char *const *choices;/* F_ENUM (or F_ARRAY of F_ENUM): NULL-terminated */
    const rpc_field *sub;      /* F_OBJECT: its fields, errors named "obj.field" */
    field_type items;          /* F_ARRAY: type of each item (F_ANY = unchecked) */
};

/* Method flags. */
#define RPC_MUTATES 1u   /* runs inside one transaction with its audit rows */
#define RPC_INLINE 2u    /* needs no database: answered on the service thread */
#define RPC_WS_ONLY 4u   /* needs a WebSocket connection (subscribe) */

typedef struct {
    const char *name;
    rpc_handler handler;
    unsigned roles;            /* allowed roles; 0 = public, no login needed */
    unsigned flags;
    const rpc_field *params;   /* terminated by a {NULL} entry; NULL = no params */
    const void *data;          /* handed to the handler as c->method_data */
} rpc_method;

/* Fail the call. Returns -1 so handlers can `return rpc_fail(...)`. */
int rpc_fail(rpc_call *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Add {"field":..,"message":..} to an invalid-params error. Returns -1. */
int rpc_field_error(rpc_call *c, const char *field, const char *message);
/* -32009 with data {current_version}. Returns -1. */
int rpc_conflict_version(rpc_call *c, long long current_version);

/* Run one parameterised statement on c->db. params are text or NULL (SQL
 * NULL). Returns the result (PQclear it) or NULL after setting the error:
 * unique violations become -32009 naming the constraint, anything else
 * -32603 (logged with the SQL state). */
PGresult *rpc_query(rpc_call *c, const char *sql, int nparams, ...);
PGresult *rpc_queryv(rpc_call *c, const char *sql, int nparams, const char *const *params);

/* Validate params against fields; adds one error per bad field and
 * returns -1 when any. Unknown fields are errors too. Objects with `sub`
 * fields are checked recursively ("media.ptime"); array items of a typed
 * array are checked one by one ("signalling_ips[2]"). */
int rpc_validate(rpc_call *c, json_t *params, const rpc_field *fields);

/* Param accessors for validated params (defaults when absent/null). */
const char *rpc_str(rpc_call *c, const char *name);
long long rpc_int(rpc_call *c, const char *name, long long dflt);
bool rpc_bool(rpc_call *c, const char *name, bool dflt);

/* Transactions for handlers that manage their own (auth.login writes a
 * failure row even when it refuses). Mutating methods get theirs from the
 * dispatcher and must not call these. Each returns 0 or -1 (error set). */
int rpc_begin(rpc_call *c);
int rpc_commit(rpc_call *c);
void rpc_rollback(rpc_call *c);

/* Queue an event for subscribers of every instance. Inside a transaction
 * it is delivered only if the transaction commits. carrier_id > 0 limits
 * delivery to staff and that carrier's customer users. The encoded event
 * must stay under 7,900 bytes (PostgreSQL NOTIFY): send ids, not records. */
int rpc_emit(rpc_call *c, const char *topic, json_t *data, long long carrier_id);

#endif
