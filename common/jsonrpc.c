#include "jsonrpc.h"
#include "protocol.h"

#include <stdio.h>
#include <string.h>

int json_text_depth(const char *buf, size_t len, int limit)
{
    int depth = 0, max = 0;
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = buf[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
            continue;
        }
        switch (c) {
        case '"': in_str = true; break;
        case '{':
        case '[':
            if (++depth > max) {
                max = depth;
                if (max > limit)
                    return max;
            }
            break;
        case '}':
        case ']': depth--; break;
        default: break;
        }
    }
    return max;
}

/* Longest string or key anywhere in v, stopping once past limit. */
static bool strings_within(json_t *v, size_t limit, int budget)
{
    if (budget <= 0)
        return false;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return json_string_length(v) <= limit;
    case JSON_OBJECT: {
        const char *k;
        json_t *item;
        json_object_foreach(v, k, item) {
            if (strlen(k) > limit || !strings_within(item, limit, budget - 1))
                return false;
        }
        return true;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) {
            if (!strings_within(item, limit, budget - 1))
                return false;
        }
        return true;
    }
    default:
        return true;
    }
}

static int fail(rpc_parse_error *err, int code, const char *msg)
{
    err->code = code;
    snprintf(err->message, sizeof err->message, "%s", msg);
    return code;
}

int rpc_request_parse(const char *buf, size_t len, const rpc_limits *lim,
                      rpc_request *req, rpc_parse_error *err)
{
    memset(req, 0, sizeof *req);
    req->id = json_null();
    if (len > lim->max_bytes)
        return fail(err, RPC_INVALID_REQUEST, "message too large");
    if (json_text_depth(buf, len, lim->max_depth) > lim->max_depth)
        return fail(err, RPC_INVALID_REQUEST, "JSON nested too deeply");

    json_error_t jerr;
    req->root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!req->root) {
        char msg[160];
        snprintf(msg, sizeof msg, "parse error at line %d column %d: %.100s",
                 jerr.line, jerr.column, jerr.text);
        return fail(err, RPC_PARSE_ERROR, msg);
    }
    if (json_is_array(req->root))
        return fail(err, RPC_INVALID_REQUEST, "batches are not supported");
    if (!json_is_object(req->root))
        return fail(err, RPC_INVALID_REQUEST, "a request must be a JSON object");

    /* Read the id first so the errors below can answer it. */
    json_t *id = json_object_get(req->root, "id");
    if (id) {
        if (json_is_string(id) || json_is_integer(id) || json_is_null(id)) {
            req->id = id;
            if (json_is_string(id) && json_string_length(id) > 128) {
                req->id = json_null();
                return fail(err, RPC_INVALID_REQUEST, "id too long");
            }
        } else {
            return fail(err, RPC_INVALID_REQUEST, "id must be a string, an integer or null");
        }
    } else {
        req->notification = true;
    }
    if (!strings_within(req->root, lim->max_string, lim->max_depth + 1))
        return fail(err, RPC_INVALID_REQUEST, "a string is longer than allowed");

    const char *k;
    json_t *v;
    json_object_foreach(req->root, k, v) {
        if (strcmp(k, "jsonrpc") && strcmp(k, "id") && strcmp(k, "method") && strcmp(k, "params"))
            return fail(err, RPC_INVALID_REQUEST, "unknown member in request");
    }
    json_t *ver = json_object_get(req->root, "jsonrpc");
    if (!json_is_string(ver) || strcmp(json_string_value(ver), "2.0") != 0)
        return fail(err, RPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
    json_t *method = json_object_get(req->root, "method");
    if (!json_is_string(method) || json_string_length(method) == 0)
        return fail(err, RPC_INVALID_REQUEST, "method must be a non-empty string");
    req->method = json_string_value(method);
    json_t *params = json_object_get(req->root, "params");
    if (!params) {
        params = json_object();
        json_object_set_new(req->root, "params", params);
    } else if (!json_is_object(params)) {
        return fail(err, RPC_INVALID_PARAMS, "params must be an object");
    }
    req->params = params;
    return 0;
}

void rpc_request_free(rpc_request *req)
{
    json_decref(req->root);
    memset(req, 0, sizeof *req);
}

static char *dump_envelope(json_t *env)
{
    char *s = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return s;
}

char *rpc_result_dump(json_t *id, json_t *result)
{
    return dump_envelope(json_pack("{s:s, s:O, s:O}", "jsonrpc", "2.0",
                                   "id", id ? id : json_null(),
                                   "result", result ? result : json_null()));
}

char *rpc_error_dump(json_t *id, int code, const char *message, json_t *data)
{
    json_t *e = json_pack("{s:i, s:s}", "code", code, "message", message ? message : "");
    if (e && data)
        json_object_set(e, "data", data);
    return dump_envelope(json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0",
                                   "id", id ? id : json_null(), "error", e));
}

char *rpc_event_dump(const char *topic, json_t *data)
{
    return dump_envelope(json_pack("{s:s, s:s, s:{s:s, s:O}}", "jsonrpc", "2.0",
                                   "method", "event", "params", "topic", topic,
                                   "data", data ? data : json_null()));
}
