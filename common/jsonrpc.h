/*
 * jsonrpc: the JSON-RPC 2.0 envelope, parsed under limits.
 *
 * Untrusted bytes go in; either a request with a method and an object of
 * params comes out, or the error to send back (with the request's id when
 * it could be read, else null). Limits are checked before jansson sees the
 * bytes (size, nesting depth) and after (string lengths), so a hostile
 * message costs at most one linear scan.
 */
#ifndef DIDTRON_JSONRPC_H
#define DIDTRON_JSONRPC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    size_t max_bytes;  /* whole message */
    int max_depth;     /* nesting of objects and arrays; the envelope is 1 */
    size_t max_string; /* bytes of any one string or key */
} rpc_limits;

typedef struct {
    json_t *root;       /* owned; free with rpc_request_free */
    json_t *id;         /* borrowed; JSON null when absent or unreadable */
    bool notification;  /* no "id" member: run it, send no reply */
    const char *method; /* borrowed from root */
    json_t *params;     /* borrowed; an empty object when absent */
} rpc_request;

typedef struct {
    int code;           /* RPC_* from protocol.h */
    char message[160];
} rpc_parse_error;

/* Parse one message. Returns 0 and fills *req, or the error code, fills
 * *err, and leaves req->id pointing at the id to answer with (a new
 * reference owned by req->root or a JSON null); call rpc_request_free
 * either way. Batches (top-level arrays) are answered -32600. */
int rpc_request_parse(const char *buf, size_t len, const rpc_limits *lim,
                      rpc_request *req, rpc_parse_error *err);
void rpc_request_free(rpc_request *req);

/* Nesting depth of a JSON text, counted without parsing it; stops early
 * once it passes limit. Strings are skipped correctly. */
int json_text_depth(const char *buf, size_t len, int limit);

/* Serialised replies; each returns a malloc'd NUL-terminated string the
 * caller frees, or NULL on allocation failure. id may be NULL (= null).
 * The result/data references are borrowed. */
char *rpc_result_dump(json_t *id, json_t *result);
char *rpc_error_dump(json_t *id, int code, const char *message, json_t *data);
char *rpc_event_dump(const char *topic, json_t *data);

#endif
