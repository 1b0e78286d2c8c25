/*
 * dispatch: run one parsed request to its reply, the same way for every
 * transport. The transport parses (jsonrpc.h), looks the method up, and
 * either calls rpc_execute inline (RPC_INLINE methods on a WebSocket) or
 * hands the job to a worker (db/pool) which calls it with its connection.
 */
#ifndef DIDTRON_DISPATCH_H
#define DIDTRON_DISPATCH_H

#include <stdint.h>

#include "jsonrpc.h"
#include "rpc.h"
#include "../db/db.h"

typedef struct rpc_job {
    pool_job base;             /* first: the pool sees a pool_job */
    struct rpc_job *next_done; /* completion queue link */
    uint64_t conn_id;          /* which connection gets the reply */
    rpc_request req;           /* owned */
    const rpc_method *method;
    rpc_session session;       /* the caller, as the transport knew it */
    char bearer[80];           /* HTTP: authenticate with this token first */
    bool http;
    /* HTTP API routes: reply is the response body itself, made on the
     * worker — the result alone, or {"error":{code, message, data}} — so
     * the service thread writes it as it is. */
    bool bare_reply;
    char peer[64];
    const dt_config *cfg;
    void *transport;           /* inline calls: the connection's state */
    /* HTTP uploads only (set by the transport, never from a request): the
     * spooled body; upload.path points at upload_path. The transport
     * deletes the file when it frees the job. */
    rpc_upload upload;
    char upload_path[256];
    /* The HTTP download route only: the method may answer with a file. */
    bool want_download;
    rpc_download download;

    /* Filled by rpc_execute: */
    char *reply;               /* malloc'd JSON text; NULL for notifications */
    int code;                  /* 0 or the error code, for metrics and tests */
    session_change session_change;
    rpc_session new_session;
    int64_t started_usec;
} rpc_job;

/* Authenticate (bearer), authorize, validate, run the handler in a
 * transaction when it mutates, and serialise the reply into job->reply.
 * db is NULL for inline methods. Never fails: errors become replies. */
void rpc_execute(rpc_job *job, PGconn *db);

/* An error reply for a request that never reached a method (parse error,
 * unknown method, role refused at the door). Fills job->reply/code. */
void rpc_job_error(rpc_job *job, int code, const char *message, json_t *data);

/* Run a method by name outside any transport (the command line), as the
 * given session. Returns 0 and *result (caller decrefs), or the error code
 * with message in err. */
int rpc_run_local(PGconn *db, const dt_config *cfg, const rpc_session *s, const char *method,
                  json_t *params, json_t **result, char *err, size_t errlen);

#endif
