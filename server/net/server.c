/*
 * server.c: connections, framing, and the hand-off between the service
 * thread and the workers.
 *
 * Each connection (WebSocket or HTTP) has a slot in a table; its id is
 * (generation << 32 | slot), so a reply coming back from a worker for a
 * connection that has since closed finds a different generation and is
 * dropped instead of touching freed memory. Replies and events are queued
 * per connection and written only from LWS_CALLBACK_*_WRITEABLE.
 */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "log.h"
#include "protocol.h"
#include "timeutil.h"
#include "../events/events.h"
#include "../jobs/jobs.h"
#include "../monitor/monitor.h"
#include "../rating/cdrs.h"
#include "../rpc/dispatch.h"
#include "../rpc/metrics.h"
#include "../rpc/registry.h"
#include "../auth/auth.h"
#include "../routing/calls.h"
#include "../system/ticker.h"

#define MAX_OUT_BYTES (64u * 1024 * 1024) /* a client this far behind is dropped */
#define SPOOL_BUFFER (256u * 1024)          /* upload bytes gathered before one write() */

typedef struct out_msg {
    struct out_msg *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of headroom, then len bytes */
} out_msg;

typedef enum { HTTP_IDLE, HTTP_BODY, HTTP_WAITING, HTTP_HEADERS, HTTP_SEND_BODY } http_state;

/* ---- HTTP routes ----
 *
 * One line per route. A path segment written {name} matches a positive
 * integer that becomes the integer param `name` of an upload's method. An
 * upload route runs its JSON-RPC method with params built from the path
 * and the query string (only the keys listed; anything else is 400) and
 * hands the method the body, spooled to a file, as rpc_call.upload. A
 * switch route (docs/gates.md) runs its method with the query string (GET)
 * or the JSON body (POST) as params, as the bearer token's user or, with
 * no token, as the system session "switch" when the client's address is
 * in route_allow_ips; it answers like an upload. */
typedef enum { ROUTE_RPC, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_UPLOAD, ROUTE_SWITCH, ROUTE_DOWNLOAD } route_kind;
typedef enum { QUERY_TEXT, QUERY_BOOL, QUERY_INT } query_type;

typedef struct {
    const char *name;
    query_type type;
} query_key;

typedef struct http_route {
    const char *verb;          /* "GET" or "POST" */
    const char *path;
    route_kind kind;
    const char *method;        /* ROUTE_UPLOAD: the JSON-RPC method */
    const query_key *query;    /* ROUTE_UPLOAD: the query keys it takes ({NULL}-terminated), NULL: none */
} http_route;

static const http_route routes[] = {
    { "POST", "/rpc", ROUTE_RPC, NULL, NULL },
    { "GET", "/healthz", ROUTE_HEALTHZ, NULL, NULL },
    { "GET", "/metrics", ROUTE_METRICS, NULL, NULL },
    { "POST", "/api/v1/cdrs", ROUTE_UPLOAD, "cdr.ingest", NULL },
    { "POST", "/api/v1/rating-plans/{rating_plan_id}/rates", ROUTE_UPLOAD, "rating_plan.import",
      (const query_key[]){ { "mode", QUERY_TEXT }, { "effective_from", QUERY_TEXT }, { "strict", QUERY_BOOL }, { NULL, 0 } } },
    { "GET", "/api/v1/tickets/attachments/{id}", ROUTE_DOWNLOAD, "ticket.attachment.get", NULL },
    { "GET", "/api/v1/route", ROUTE_SWITCH, "route.lookup.switch",
      (const query_key[]){ { "service_id", QUERY_INT }, { "ingress_interconnect_id", QUERY_INT },
                           { "tech_prefix", QUERY_TEXT }, { "ingress_ip", QUERY_TEXT }, { "caller", QUERY_TEXT },
                           { "callee", QUERY_TEXT }, { "seed", QUERY_INT }, { "format", QUERY_TEXT }, { NULL, 0 } } },
    { "POST", "/api/v1/calls/start", ROUTE_SWITCH, "call.start", NULL },
    { "POST", "/api/v1/calls/stop", ROUTE_SWITCH, "call.stop", NULL },
    { "POST", "/api/v1/tickets/{id}/attachments", ROUTE_UPLOAD, "ticket.attach",
      (const query_key[]){ { "filename", QUERY_TEXT }, { "message_id", QUERY_INT }, { NULL, 0 } } },
};
#define NROUTES (sizeof routes / sizeof routes[0])

typedef struct conn {
    struct lws *wsi;
    uint64_t id;
    bool ws;
    char peer[64];

    /* WebSocket */
    char *rx;
    size_t rx_len, rx_cap;
    bool rx_discard;            /* rest of an oversize message */
    out_msg *out_head, *out_tail;
    size_t out_bytes;
    rpc_session session;
    event_subscriptions subs;
    int inflight;
    /* monitor.kpi (kpi_tick): the subscription's filter (the `kpi` member
     * of subscribe, owned; {} for the defaults), what was last sent per
     * scope id (NULL: the next message is full) and ticks since a full one. */
    json_t *kpi_filter;
    json_t *kpi_last;
    int kpi_ticks;

    /* HTTP */
    http_state hstate;
    const struct http_route *route; /* the request's route; NULL when refused */
    char bearer[80];
    char *body;
    size_t body_len;
    bool body_too_large;
    int status;
    const char *content_type;
    char content_type_buf[128];     /* a download's own type */
    char disposition[300];          /* a download's Content-Disposition, else "" */
    out_msg *response;
    /* A refusal decided from the headers, answered once the body has been
     * read (and dropped): answering earlier would leave the client writing
     * into a connection that will not read. */
    int refuse_status, refuse_code;
    char refuse_message[160];

    /* HTTP uploads: the body goes to a private temp file as it arrives. */
    json_t *upload_params;      /* from the path and the query string (owned) */
    int spool_fd;
    bool spool_open;            /* spool_fd and spool_path are ours to close and delete */
    char spool_path[256];
    uint64_t spool_len;         /* bytes received */
    char *spool_buf;            /* SPOOL_BUFFER bytes, not yet written */
    size_t spool_buf_len;
    bool spool_gzip;
    char spool_type[64];
} conn;

static const dt_config *cfg;
static rpc_limits limits;
static struct lws_context *context;
static atomic_bool stop_requested;
static atomic_bool got_signal;
static bool draining;

/* ---- connection slots ---- */

static conn **slots;
static uint32_t *generations;
static uint32_t nslots;

static void slot_add(conn *c)
{
    uint32_t i;
    for (i = 0; i < nslots && slots[i]; i++)
        ;
    if (i == nslots) {
        uint32_t n = nslots ? nslots * 2 : 256;
        conn **ns = realloc(slots, n * sizeof *ns);
        if (!ns)
            return;
        slots = ns;
        uint32_t *ng = realloc(generations, n * sizeof *ng);
        if (!ng)
            return;
        generations = ng;
        for (uint32_t k = nslots; k < n; k++) {
            slots[k] = NULL;
            generations[k] = 0;
        }
        nslots = n;
    }
    generations[i]++;
    slots[i] = c;
    c->id = ((uint64_t)generations[i] << 32) | i;
}

static void slot_remove(conn *c)
{
    uint32_t i = (uint32_t)(c->id & 0xffffffffu);
    if (c->id && i < nslots && slots[i] == c)
        slots[i] = NULL;
    c->id = 0;
}

static conn *slot_find(uint64_t id)
{
    uint32_t i = (uint32_t)(id & 0xffffffffu);
    if (i < nslots && slots[i] && slots[i]->id == id)
        return slots[i];
    return NULL;
}

/* ---- completion queue (workers -> service thread) ---- */

static pthread_mutex_t done_lock = PTHREAD_MUTEX_INITIALIZER;
static rpc_job *done_head, *done_tail;

static void job_free(rpc_job *j)
{
    if (j->upload.path)
        unlink(j->upload_path);
    free(j->download.body);
    rpc_request_free(&j->req);
    free(j->reply);
    free(j);
}

static void worker_run(pool_job *pj, PGconn *db)
{
    rpc_job *j = (rpc_job *)pj;
    rpc_execute(j, db);
    pthread_mutex_lock(&done_lock);
    j->next_done = NULL;
    if (done_tail)
        done_tail->next_done = j;
    else
        done_head = j;
    done_tail = j;
    pthread_mutex_unlock(&done_lock);
    lws_cancel_service(context);
}

static void wake_service(void)
{
    lws_cancel_service(context);
}

/* ---- outbound ---- */

static out_msg *msg_new(const char *text, size_t len)
{
    out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m)
        return NULL;
    m->next = NULL;
    m->len = len;
    memcpy(m->data + LWS_PRE, text, len);
    return m;
}

static void ws_enqueue(conn *c, const char *text, size_t len)
{
    if (c->out_bytes + len > MAX_OUT_BYTES) {
        log_warn("connection %s: %zu bytes unread, closing it", c->peer, c->out_bytes);
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"too slow", 8);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        return;
    }
    out_msg *m = msg_new(text, len);
    if (!m)
        return;
    if (c->out_tail)
        c->out_tail->next = m;
    else
        c->out_head = m;
    c->out_tail = m;
    c->out_bytes += len;
    lws_callback_on_writable(c->wsi);
}

static void http_respond(conn *c, int status, const char *type, const char *body, size_t len)
{
    free(c->response);
    c->response = msg_new(body, len);
    c->status = status;
    c->content_type = type;
    c->hstate = HTTP_HEADERS;
    lws_callback_on_writable(c->wsi);
}

/* An HTTP error: status and {"error":{code, message, data}}, the JSON-RPC
 * error object of the same failure. */
static void http_error(conn *c, int status, int code, const char *message, json_t *data)
{
    json_t *body = json_pack("{s:{s:i, s:s, s:O?}}", "error", "code", code, "message", message, "data", data);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text)
        http_respond(c, status, "application/json", text, strlen(text));
    else
        http_respond(c, 500, "application/json", "{}", 2);
    free(text);
}

/* The HTTP status of a JSON-RPC outcome. */
static int http_status_of(int code)
{
    switch (code) {
    case 0: return 200;
    case RPC_PARSE_ERROR:
    case RPC_INVALID_REQUEST:
    case RPC_INVALID_PARAMS: return 400;
    case RPC_NOT_AUTHENTICATED: return 401;
    case RPC_FORBIDDEN: return 403;
    case RPC_METHOD_NOT_FOUND:
    case RPC_NOT_FOUND: return 404;
    case RPC_CONFLICT:
    case RPC_CREDIT_LIMIT: return 409;
    case RPC_RATE_LIMITED: return 429;
    default: return 500;
    }
}

/* An upload's or a switch's reply: 200 with the method's result, or the
 * error's status with {"error":{...}} — the body the worker made
 * (rpc_job.bare_reply), written as it is. */
static void http_upload_reply(conn *c, const rpc_job *j)
{
    if (!j->reply)
        http_error(c, 500, RPC_INTERNAL_ERROR, "internal error", NULL);
    else
        http_respond(c, j->code ? http_status_of(j->code) : 200, "application/json", j->reply, strlen(j->reply));
}

/* A download's reply: the file's bytes with its type, and a
 * Content-Disposition whose filename keeps only characters that cannot
 * break the header (the name is the client's own). */
static void http_download_reply(conn *c, const rpc_job *j)
{
    char name[256];
    size_t k = 0;
    for (const char *p = j->download.filename; *p && k < sizeof name - 1; p++)
        name[k++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\' && *p != '/') ? *p : '_';
    name[k] = '\0';
    snprintf(c->disposition, sizeof c->disposition, "attachment; filename=\"%s\"", k ? name : "attachment");
    snprintf(c->content_type_buf, sizeof c->content_type_buf, "%s",
             j->download.content_type[0] ? j->download.content_type : "application/octet-stream");
    http_respond(c, 200, c->content_type_buf, (const char *)j->download.body, j->download.len);
}

/* ---- sessions held by connections ---- */

static void ws_session_check(conn *c)
{
    if (c->session.user_id && c->session.expires_at <= time_now_usec() / 1000000) {
        memset(&c->session, 0, sizeof c->session);
        c->subs.mask = 0;
    }
}

static void ws_session_ended(conn *c, const char *reason)
{
    memset(&c->session, 0, sizeof c->session);
    c->subs.mask = 0;
    json_t *data = json_pack("{s:s}", "reason", reason);
    char *text = rpc_event_dump("session.ended", data);
    json_decref(data);
    if (text) {
        ws_enqueue(c, text, strlen(text));
        free(text);
    }
}

/* ---- completions and events, on the service thread ---- */

static void deliver_completions(void)
{
    pthread_mutex_lock(&done_lock);
    rpc_job *j = done_head;
    done_head = done_tail = NULL;
    pthread_mutex_unlock(&done_lock);
    while (j) {
        rpc_job *next = j->next_done;
        conn *c = slot_find(j->conn_id);
        if (c && c->ws) {
            c->inflight--;
            if (j->session_change == SESSION_SET)
                c->session = j->new_session;
            else if (j->session_change == SESSION_CLEAR) {
                memset(&c->session, 0, sizeof c->session);
                c->subs.mask = 0;
            }
            if (j->reply)
                ws_enqueue(c, j->reply, strlen(j->reply));
        } else if (c) {
            if (c->route && c->route->kind == ROUTE_HEALTHZ)
                http_respond(c, j->code ? 503 : 200, "application/json",
                             j->code ? "{\"status\":\"unavailable\"}" : "{\"status\":\"ok\"}",
                             j->code ? 24 : 15);
            else if (c->route && c->route->kind == ROUTE_DOWNLOAD && !j->code && j->download.body)
                http_download_reply(c, j);
            else if (c->route && (c->route->kind == ROUTE_UPLOAD || c->route->kind == ROUTE_SWITCH ||
                                  c->route->kind == ROUTE_DOWNLOAD))
                http_upload_reply(c, j);
            else if (j->reply)
                http_respond(c, 200, "application/json", j->reply, strlen(j->reply));
            else
                http_respond(c, 204, "application/json", "", 0);
        }
        job_free(j);
        j = next;
    }
}

static void deliver_events(void)
{
    event_msg *m = events_take();
    while (m) {
        event_msg *next = m->next;
        if (m->topic >= 0)
            metrics_event();
        for (uint32_t i = 0; i < nslots; i++) {
            conn *c = slots[i];
            if (!c || !c->ws)
                continue;
            if (m->topic < 0) {
                if (c->session.user_id && c->session.user_id == m->revoke_user_id &&
                    (!m->revoke_session_id || c->session.session_id == m->revoke_session_id))
                    ws_session_ended(c, "revoked");
                continue;
            }
            ws_session_check(c);
            if ((c->subs.mask & ((uint64_t)1 << m->topic)) && event_visible(m, &c->session))
                ws_enqueue(c, m->text, m->len);
        }
        event_msg_free(m);
        m = next;
    }
}

/* ---- monitor.kpi at 1 Hz, on the service thread ----
 *
 * An lws timer (sul) fires every second inside lws_service. For each
 * connection subscribed to monitor.kpi it builds, once per distinct filter
 * (not per connection), the items of monitor.kpi from this instance's
 * KPI windows, then sends that connection the items that differ from what
 * it was last sent plus `removed` ids; the first message after (re)
 * subscribing and every KPI_FULL_EVERY-th tick is full (`full:true`, every
 * item). No change, no message. */
#define KPI_TICK_USEC 1000000
#define KPI_FULL_EVERY 30
#define KPI_MAX_FILTERS 64

static lws_sorted_usec_list_t kpi_sul;

typedef struct {
    char *key;          /* the filter as canonical JSON */
    json_t *items;      /* NULL: could not be built */
} kpi_snap;

static void kpi_reset(conn *c)
{
    json_decref(c->kpi_filter);
    json_decref(c->kpi_last);
    c->kpi_filter = c->kpi_last = NULL;
    c->kpi_ticks = 0;
}

/* The items for c's filter: shared from snaps when another connection
 * asked for the same this tick, else built and added there. Beyond
 * KPI_MAX_FILTERS distinct filters the items are c's own (*owned). */
static json_t *kpi_items_for(conn *c, kpi_snap *snaps, int *nsnaps, int64_t now, bool *owned)
{
    *owned = false;
    char *key = json_dumps(c->kpi_filter, JSON_COMPACT | JSON_SORT_KEYS);
    if (!key)
        return NULL;
    for (int i = 0; i < *nsnaps; i++)
        if (!strcmp(snaps[i].key, key)) {
            free(key);
            return snaps[i].items;
        }
    monitor_kpi_filter f;
    char field[32], msg[96];
    json_t *items = NULL;
    if (!monitor_kpi_filter_parse(c->kpi_filter, &f, field, sizeof field, msg, sizeof msg))
        items = monitor_kpi_items(&f, now);
    if (*nsnaps < KPI_MAX_FILTERS) {
        snaps[*nsnaps].key = key;
        snaps[(*nsnaps)++].items = items;
    } else {
        free(key);
        *owned = true;
    }
    return items;
}

static void kpi_send(conn *c, json_t *items, int64_t now)
{
    monitor_kpi_filter f;
    char field[32], msg[96];
    if (monitor_kpi_filter_parse(c->kpi_filter, &f, field, sizeof field, msg, sizeof msg))
        return;
    bool full = !c->kpi_last || ++c->kpi_ticks >= KPI_FULL_EVERY;
    json_t *next = json_object(), *changed = json_array(), *removed = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "scope_id"));
        if (!id)
            continue;
        json_object_set(next, id, it);
        json_t *was = c->kpi_last ? json_object_get(c->kpi_last, id) : NULL;
        if (full || !was || !json_equal(was, it))
            json_array_append(changed, it);
    }
    if (c->kpi_last) {
        const char *id;
        json_t *v;
        json_object_foreach(c->kpi_last, id, v)
            if (!json_object_get(next, id))
                json_array_append_new(removed, json_string(id));
    }
    if (full || json_array_size(changed) || json_array_size(removed)) {
        char at[40];
        time_format_rfc3339(now, at, sizeof at);
        json_t *data = json_pack("{s:s, s:s, s:s, s:O, s:O}", "scope", kpi_scope_names[f.scope],
                                 "window", kpi_window_names[f.window], "at", at, "items", changed, "removed", removed);
        if (full)
            json_object_set_new(data, "full", json_true());
        char *text = data ? rpc_event_dump("monitor.kpi", data) : NULL;
        if (text) {
            ws_enqueue(c, text, strlen(text));
            free(text);
        }
        json_decref(data);
        if (full)
            c->kpi_ticks = 0;
    }
    json_decref(c->kpi_last);
    c->kpi_last = next;
    json_decref(changed);
    json_decref(removed);
}

static void kpi_tick(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    static int topic = -2;
    if (topic == -2)
        topic = event_topic_index("monitor.kpi");
    if (topic >= 0 && !draining) {
        int64_t now = time_now_usec();
        kpi_snap snaps[KPI_MAX_FILTERS];
        int nsnaps = 0;
        for (uint32_t i = 0; i < nslots; i++) {
            conn *c = slots[i];
            if (!c || !c->ws)
                continue;
            ws_session_check(c);
            if (!(c->subs.mask & ((uint64_t)1 << topic)) || !(c->session.role & ROLES_STAFF)) {
                if (c->kpi_last) { /* unsubscribed or logged out: start over next time */
                    json_decref(c->kpi_last);
                    c->kpi_last = NULL;
                }
                continue;
            }
            if (!c->kpi_filter)
                c->kpi_filter = json_object();
            bool owned;
            json_t *items = kpi_items_for(c, snaps, &nsnaps, now, &owned);
            if (items)
                kpi_send(c, items, now);
            if (owned)
                json_decref(items);
        }
        for (int i = 0; i < nsnaps; i++) {
            free(snaps[i].key);
            json_decref(snaps[i].items);
        }
    }
    if (context)
        lws_sul_schedule(context, 0, &kpi_sul, kpi_tick, KPI_TICK_USEC);
}

/* subscribe's `kpi` member, checked before the method runs (the method's
 * field table checks its shape; this the values). 0, or -1 with j's reply
 * set. */
static int kpi_subscribe_check(rpc_job *j)
{
    json_t *k = json_object_get(j->req.params, "kpi");
    monitor_kpi_filter f;
    char field[32], msg[96];
    if (!k || json_is_null(k) || !json_is_object(k))
        return 0; /* absent, or the field table reports it */
    if (!monitor_kpi_filter_parse(k, &f, field, sizeof field, msg, sizeof msg))
        return 0;
    json_t *d = json_pack("{s:[{s:s, s:s}]}", "fields", "field", field, "message", msg);
    char text[160];
    snprintf(text, sizeof text, "invalid params: %s %s", field, msg);
    rpc_job_error(j, RPC_INVALID_PARAMS, text, d);
    json_decref(d);
    return -1;
}

/* After a successful subscribe/unsubscribe: keep the filter, and send a
 * full message on the next tick. */
static void kpi_subscribed(conn *c, rpc_job *j, bool add)
{
    json_t *topics = json_object_get(j->req.params, "topics"), *t, *k = json_object_get(j->req.params, "kpi");
    size_t i;
    bool named = false;
    json_array_foreach(topics, i, t)
        if (json_is_string(t) && !strcmp(json_string_value(t), "monitor.kpi"))
            named = true;
    if (!add) {
        if (named)
            kpi_reset(c);
        return;
    }
    if (!named && !(k && json_is_object(k)))
        return;
    json_t *filter = k && json_is_object(k) ? json_deep_copy(k) : json_object();
    if (!filter)
        return;
    kpi_reset(c);
    c->kpi_filter = filter;
}

/* ---- requests ---- */

static rpc_job *job_new(conn *c)
{
    rpc_job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->base.run = worker_run;
    j->conn_id = c->id;
    j->cfg = cfg;
    j->started_usec = time_mono_usec();
    snprintf(j->peer, sizeof j->peer, "%s", c->peer);
    return j;
}

/* Parse and route one request. For WebSocket replies the result is
 * queued on c; for HTTP, c gets its response when the job completes. */
static void handle_request(conn *c, const char *text, size_t len)
{
    rpc_job *j = job_new(c);
    if (!j)
        return;
    j->http = !c->ws;
    rpc_parse_error perr;
    const char *reply_now = NULL;
    if (rpc_request_parse(text, len, &limits, &j->req, &perr)) {
        rpc_job_error(j, perr.code, perr.message, NULL);
        goto reply;
    }
    j->method = registry_find(j->req.method);
    if (!j->method) {
        rpc_job_error(j, RPC_METHOD_NOT_FOUND, "method not found", NULL);
        goto reply;
    }
    if (draining) {
        rpc_job_error(j, RPC_INTERNAL_ERROR, "the server is shutting down", NULL);
        goto reply;
    }
    if (c->ws) {
        ws_session_check(c);
        j->session = c->session;
        int deny = registry_authorize(j->method, &c->session);
        if (deny) {
            rpc_job_error(j, deny, deny == RPC_NOT_AUTHENTICATED ? "log in first"
                                                                  : "your role may not call this method", NULL);
            goto reply;
        }
        if (j->method->flags & RPC_INLINE) {
            bool sub = !strcmp(j->method->name, "subscribe"), unsub = !strcmp(j->method->name, "unsubscribe");
            if (sub && kpi_subscribe_check(j))
                goto reply;
            j->transport = &c->subs;
            rpc_execute(j, NULL);
            if ((sub || unsub) && !j->code)
                kpi_subscribed(c, j, sub);
            goto reply;
        }
        if (c->inflight >= cfg->max_inflight) {
            json_t *d = json_pack("{s:i}", "retry_after_ms", 100);
            rpc_job_error(j, RPC_RATE_LIMITED, "too many requests in flight on this connection", d);
            json_decref(d);
            goto reply;
        }
        c->inflight++;
        pool_submit(&j->base);
        return;
    }
    /* HTTP: authentication happens on the worker, from the bearer token. */
    if (j->method->flags & RPC_WS_ONLY) {
        rpc_job_error(j, RPC_INVALID_REQUEST, "this method needs a WebSocket connection", NULL);
        goto reply;
    }
    if (!c->bearer[0] && j->method->roles) {
        rpc_job_error(j, RPC_NOT_AUTHENTICATED, "send Authorization: Bearer TOKEN (from auth.login)", NULL);
        goto reply;
    }
    snprintf(j->bearer, sizeof j->bearer, "%s", c->bearer);
    c->hstate = HTTP_WAITING;
    pool_submit(&j->base);
    return;
reply:
    reply_now = j->reply;
    if (c->ws) {
        if (reply_now)
            ws_enqueue(c, reply_now, strlen(reply_now));
    } else if (reply_now) {
        http_respond(c, 200, "application/json", reply_now, strlen(reply_now));
    } else {
        http_respond(c, 204, "application/json", "", 0);
    }
    job_free(j);
}

static void submit_health(conn *c)
{
    rpc_job *j = job_new(c);
    if (!j)
        return;
    j->req.id = json_null();
    j->req.notification = true;
    j->req.params = j->req.root = json_object();
    j->method = registry_find("system.health");
    c->hstate = HTTP_WAITING;
    pool_submit(&j->base);
}

/* ---- HTTP request state and uploads ---- */

static const char *spool_dir = "/tmp";

static void spool_discard(conn *c)
{
    if (c->spool_open) {
        close(c->spool_fd);
        unlink(c->spool_path);
        c->spool_open = false;
    }
    free(c->spool_buf);
    c->spool_buf = NULL;
    c->spool_buf_len = 0;
}

/* Forget the previous request on this connection (keep-alive) or all of it
 * (close). */
static void http_reset(conn *c)
{
    free(c->body);
    c->body = NULL;
    c->body_len = 0;
    c->body_too_large = false;
    json_decref(c->upload_params);
    c->upload_params = NULL;
    spool_discard(c);
    c->spool_len = 0;
    c->spool_gzip = false;
    c->spool_type[0] = '\0';
    c->refuse_status = 0;
    c->route = NULL;
    c->disposition[0] = '\0';
}

/* Refuse a request from its headers. A POST that announced a body is
 * answered once the body has been read and dropped; anything else now. */
static void http_refuse(struct lws *wsi, conn *c, int status, int code, const char *message)
{
    char len[24] = "";
    if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0 &&
        lws_hdr_copy(wsi, len, sizeof len, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0 && strtoull(len, NULL, 10) > 0) {
        spool_discard(c);
        c->refuse_status = status;
        c->refuse_code = code;
        snprintf(c->refuse_message, sizeof c->refuse_message, "%s", message);
        c->hstate = HTTP_BODY;
        return;
    }
    http_error(c, status, code, message, NULL);
}

static int spool_flush(conn *c)
{
    size_t off = 0;
    while (off < c->spool_buf_len) {
        ssize_t n = write(c->spool_fd, c->spool_buf + off, c->spool_buf_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            log_error("upload: cannot write %s: %s", c->spool_path, n < 0 ? strerror(errno) : "short write");
            return -1;
        }
        off += (size_t)n;
    }
    c->spool_buf_len = 0;
    return 0;
}

/* Body bytes of an upload, as they arrive. */
static void spool_append(conn *c, const void *in, size_t len)
{
    if (c->spool_len + len > (uint64_t)cfg->max_upload_bytes) {
        spool_discard(c);
        c->refuse_status = 413;
        c->refuse_code = RPC_INVALID_REQUEST;
        snprintf(c->refuse_message, sizeof c->refuse_message, "the body is over max_upload_bytes (%d)",
                 cfg->max_upload_bytes);
        return;
    }
    c->spool_len += len;
    while (len) {
        size_t room = SPOOL_BUFFER - c->spool_buf_len, n = len < room ? len : room;
        memcpy(c->spool_buf + c->spool_buf_len, in, n);
        c->spool_buf_len += n;
        in = (const char *)in + n;
        len -= n;
        if (c->spool_buf_len == SPOOL_BUFFER && spool_flush(c)) {
            spool_discard(c);
            c->refuse_status = 500;
            c->refuse_code = RPC_INTERNAL_ERROR;
            snprintf(c->refuse_message, sizeof c->refuse_message, "cannot store the upload");
            return;
        }
    }
}

/* The whole body is on disk: run the route's method on a worker, as the
 * bearer token's user, exactly like POST /rpc. */
static void upload_submit(conn *c)
{
    if (spool_flush(c)) {
        spool_discard(c);
        http_error(c, 500, RPC_INTERNAL_ERROR, "cannot store the upload", NULL);
        return;
    }
    if (draining) {
        spool_discard(c);
        http_error(c, 503, RPC_INTERNAL_ERROR, "the server is shutting down", NULL);
        return;
    }
    rpc_job *j = job_new(c);
    json_t *root = json_object();
    if (!j || !root || json_object_set_new(root, "id", json_integer(1)) ||
        json_object_set(root, "params", c->upload_params)) {
        free(j);
        json_decref(root);
        spool_discard(c);
        http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    j->http = true;
    j->bare_reply = true;
    j->req.root = root;
    j->req.id = json_object_get(root, "id");
    j->req.params = json_object_get(root, "params");
    j->req.method = c->route->method;
    j->method = registry_find(c->route->method);
    if (!j->method) { /* checked at the headers; the registry does not change */
        job_free(j);
        spool_discard(c);
        http_error(c, 500, RPC_INTERNAL_ERROR, "internal error", NULL);
        return;
    }
    close(c->spool_fd);
    c->spool_open = false; /* the job owns the file now */
    free(c->spool_buf);
    c->spool_buf = NULL;
    snprintf(j->bearer, sizeof j->bearer, "%s", c->bearer);
    snprintf(j->upload_path, sizeof j->upload_path, "%s", c->spool_path);
    j->upload.path = j->upload_path;
    j->upload.size = c->spool_len;
    j->upload.gzip = c->spool_gzip;
    snprintf(j->upload.content_type, sizeof j->upload.content_type, "%s", c->spool_type);
    c->hstate = HTTP_WAITING;
    pool_submit(&j->base);
}

/* Does path match the route's pattern? Integer segments go into params. */
static bool route_path_match(const char *pattern, const char *path, json_t *params)
{
    const char *p = pattern, *q = path;
    while (*p) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return false;
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            long long v = 0;
            int digits = 0;
            for (; *q >= '0' && *q <= '9'; q++, digits++) {
                if (digits == 18)
                    return false;
                v = v * 10 + (*q - '0');
            }
            if (digits == 0 || v <= 0 || (*q && *q != '/'))
                return false;
            json_object_set_new(params, name, json_integer(v));
            p = close + 1;
            continue;
        }
        if (*p++ != *q++)
            return false;
    }
    return *q == '\0';
}

/* The route for (verb, path) with its path params, or NULL; *wrong_verb
 * tells 405 from 404. */
static const http_route *route_find(const char *verb, const char *path, json_t **params, bool *wrong_verb)
{
    *wrong_verb = false;
    for (size_t i = 0; i < NROUTES; i++) {
        json_t *p = json_object();
        if (p && route_path_match(routes[i].path, path, p)) {
            if (!strcmp(routes[i].verb, verb)) {
                *params = p;
                return &routes[i];
            }
            *wrong_verb = true;
        }
        json_decref(p);
    }
    return NULL;
}

/* Query parameters of an upload route into params. Returns 0, or -1 with
 * a message naming the parameter. */
static int upload_query(struct lws *wsi, const http_route *rt, json_t *params, char *msg, size_t n)
{
    for (int i = 0; i < 64; i++) {
        int len = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (len <= 0)
            return 0;
        char arg[1024];
        if (len >= (int)sizeof arg || lws_hdr_copy_fragment(wsi, arg, sizeof arg, WSI_TOKEN_HTTP_URI_ARGS, i) < 0) {
            snprintf(msg, n, "query parameter %d is too long", i + 1);
            return -1;
        }
        char *eq = strchr(arg, '=');
        const char *value = eq ? eq + 1 : "";
        if (eq)
            *eq = '\0';
        const query_key *k = NULL;
        for (const query_key *x = rt->query; x && x->name; x++)
            if (!strcmp(x->name, arg))
                k = x;
        if (!k) {
            snprintf(msg, n, "unknown query parameter \"%.64s\"", arg);
            return -1;
        }
        if (json_object_get(params, k->name)) {
            snprintf(msg, n, "query parameter %s is given twice", k->name);
            return -1;
        }
        json_t *v = NULL;
        if (k->type == QUERY_BOOL) {
            v = !strcmp(value, "true") ? json_true() : !strcmp(value, "false") ? json_false() : NULL;
            if (!v) {
                snprintf(msg, n, "query parameter %s must be true or false", k->name);
                return -1;
            }
        } else if (k->type == QUERY_INT) {
            char *end = NULL;
            errno = 0;
            long long x = strtoll(value, &end, 10);
            if (!value[0] || *end || errno || !(v = json_integer(x))) {
                snprintf(msg, n, "query parameter %s must be a whole number", k->name);
                return -1;
            }
        } else if (!(v = json_string(value))) { /* not UTF-8 */
            snprintf(msg, n, "query parameter %s must be UTF-8 text", k->name);
            return -1;
        }
        json_object_set_new(params, k->name, v);
    }
    snprintf(msg, n, "too many query parameters");
    return -1;
}

/* Headers of an upload are in: check them and open the spool file. */
static void upload_begin(struct lws *wsi, conn *c, unsigned long long length)
{
    char msg[160];
    if (upload_query(wsi, c->route, c->upload_params, msg, sizeof msg)) {
        http_refuse(wsi, c, 400, RPC_INVALID_PARAMS, msg);
        return;
    }
    if (!registry_find(c->route->method)) {
        snprintf(msg, sizeof msg, "%s is not available on this server", c->route->method);
        http_refuse(wsi, c, 404, RPC_METHOD_NOT_FOUND, msg);
        return;
    }
    if (!c->bearer[0]) {
        http_refuse(wsi, c, 401, RPC_NOT_AUTHENTICATED, "send Authorization: Bearer TOKEN (from auth.login)");
        return;
    }
    if (length > (unsigned long long)cfg->max_upload_bytes) {
        snprintf(msg, sizeof msg, "the body is over max_upload_bytes (%d)", cfg->max_upload_bytes);
        http_refuse(wsi, c, 413, RPC_INVALID_REQUEST, msg);
        return;
    }
    char enc[32] = "";
    if (lws_hdr_copy(wsi, enc, sizeof enc, WSI_TOKEN_HTTP_CONTENT_ENCODING) < 0 ||
        (enc[0] && strcasecmp(enc, "gzip") && strcasecmp(enc, "identity"))) {
        http_refuse(wsi, c, 415, RPC_INVALID_REQUEST, "Content-Encoding may be gzip or identity");
        return;
    }
    c->spool_gzip = !strcasecmp(enc, "gzip");
    char type[256] = "";
    if (lws_hdr_copy(wsi, type, sizeof type, WSI_TOKEN_HTTP_CONTENT_TYPE) > 0)
        snprintf(c->spool_type, sizeof c->spool_type, "%.63s", type);

    snprintf(c->spool_path, sizeof c->spool_path, "%s/didtron-upload-XXXXXX", spool_dir);
    c->spool_fd = mkstemp(c->spool_path); /* mode 0600 */
    c->spool_buf = malloc(SPOOL_BUFFER);
    if (c->spool_fd < 0 || !c->spool_buf) {
        log_error("upload: cannot create a file in %s: %s", spool_dir, strerror(errno));
        if (c->spool_fd >= 0) {
            close(c->spool_fd);
            unlink(c->spool_path);
        }
        free(c->spool_buf);
        c->spool_buf = NULL;
        http_refuse(wsi, c, 500, RPC_INTERNAL_ERROR, "cannot store the upload");
        return;
    }
    c->spool_open = true;
    c->hstate = HTTP_BODY;
    if (length == 0) /* no body callbacks will come */
        upload_submit(c);
}

/* A switch route's request (GET: its params are in c->upload_params; POST:
 * body is the params object): run its method on a worker as the bearer
 * token's user, or as the system session "switch" for an allowed address.
 * The download route comes this way too (a GET), with a token only, and
 * the method may answer with a file (rpc_job.want_download). */
static void switch_submit(conn *c, const char *body, size_t len)
{
    if (draining) {
        http_error(c, 503, RPC_INTERNAL_ERROR, "the server is shutting down", NULL);
        return;
    }
    bool download = c->route->kind == ROUTE_DOWNLOAD; /* files: always a user's token */
    if (!c->bearer[0] && (download || !route_allow_ip(cfg->route_allow_ips, c->peer))) {
        http_error(c, 401, RPC_NOT_AUTHENTICATED,
                   download ? "send Authorization: Bearer TOKEN (from auth.login)"
                            : "send Authorization: Bearer TOKEN, or call from an address in route_allow_ips",
                   NULL);
        return;
    }
    rpc_job *j = job_new(c);
    if (!j) {
        http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
        return;
    }
    j->http = true;
    j->bare_reply = true;
    j->want_download = download;
    json_t *root = json_pack("{s:s, s:i, s:s}", "jsonrpc", "2.0", "id", 1, "method", c->route->method);
    if (body) { /* the params object, checked with the limits of any request */
        if (!root || json_object_set_new(root, "params", json_object())) {
            json_decref(root);
            free(j);
            http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        char *head = json_dumps(root, JSON_COMPACT); /* ...,"params":{}} */
        json_decref(root);
        size_t hl = head ? strlen(head) : 0;
        char *text = head && hl > 3 ? malloc(hl + len + 8) : NULL;
        if (!text) {
            free(head);
            free(j);
            http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        memcpy(text, head, hl - 3); /* drop "{}}" */
        size_t tl = hl - 3;
        if (len) {
            memcpy(text + tl, body, len);
            tl += len;
        } else {
            memcpy(text + tl, "{}", 2);
            tl += 2;
        }
        text[tl++] = '}';
        text[tl] = '\0';
        free(head);
        rpc_parse_error perr;
        int bad = rpc_request_parse(text, tl, &limits, &j->req, &perr);
        free(text);
        if (bad || !json_is_object(j->req.params)) {
            http_error(c, 400, bad ? perr.code : RPC_INVALID_PARAMS,
                       bad ? perr.message : "the body must be a JSON object of params", NULL);
            job_free(j);
            return;
        }
    } else {
        if (!root || json_object_set(root, "params", c->upload_params)) {
            json_decref(root);
            free(j);
            http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
            return;
        }
        j->req.root = root;
        j->req.id = json_object_get(root, "id");
        j->req.params = json_object_get(root, "params");
        j->req.method = c->route->method;
    }
    j->method = registry_find(c->route->method);
    if (!j->method) {
        job_free(j);
        http_error(c, 404, RPC_METHOD_NOT_FOUND, "this route's method is not available on this server", NULL);
        return;
    }
    if (c->bearer[0])
        snprintf(j->bearer, sizeof j->bearer, "%s", c->bearer);
    else
        auth_system_session(&j->session, "switch");
    c->hstate = HTTP_WAITING;
    pool_submit(&j->base);
}

/* ---- lws callback ---- */

static void conn_free_buffers(conn *c)
{
    free(c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    while (c->out_head) {
        out_msg *n = c->out_head->next;
        free(c->out_head);
        c->out_head = n;
    }
    c->out_tail = NULL;
    c->out_bytes = 0;
    free(c->response);
    c->response = NULL;
    kpi_reset(c);
    http_reset(c);
}

static void peer_of(struct lws *wsi, conn *c)
{
    char buf[64] = "";
    lws_get_peer_simple(wsi, buf, sizeof buf);
    snprintf(c->peer, sizeof c->peer, "%s", buf);
}

static bool rx_append(conn *c, const void *in, size_t len)
{
    if (c->rx_len + len > (size_t)cfg->max_message_bytes)
        return false;
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        char *n = realloc(c->rx, cap);
        if (!n)
            return false;
        c->rx = n;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return true;
}

static int ws_writeable(conn *c)
{
    out_msg *m = c->out_head;
    if (!m)
        return 0;
    c->out_head = m->next;
    if (!c->out_head)
        c->out_tail = NULL;
    c->out_bytes -= m->len;
    int n = lws_write(c->wsi, m->data + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0)
        return -1;
    if (c->out_head)
        lws_callback_on_writable(c->wsi);
    return 0;
}

static int http_writeable(conn *c)
{
    if (c->hstate == HTTP_HEADERS) {
        unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf - 1;
        size_t len = c->response ? c->response->len : 0;
        if (lws_add_http_common_headers(c->wsi, (unsigned int)c->status, c->content_type, len, &p, end) ||
            lws_add_http_header_by_name(c->wsi, (const unsigned char *)"cache-control:",
                                        (const unsigned char *)"no-store", 8, &p, end) ||
            (c->disposition[0] &&
             lws_add_http_header_by_name(c->wsi, (const unsigned char *)"content-disposition:",
                                         (const unsigned char *)c->disposition, (int)strlen(c->disposition), &p,
                                         end)) ||
            lws_finalize_write_http_header(c->wsi, start, &p, end))
            return -1;
        c->hstate = HTTP_SEND_BODY;
        if (len) {
            lws_callback_on_writable(c->wsi);
            return 0;
        }
    } else if (c->hstate == HTTP_SEND_BODY && c->response && c->response->len) {
        if (lws_write(c->wsi, c->response->data + LWS_PRE, c->response->len, LWS_WRITE_HTTP_FINAL) < 0)
            return -1;
    } else {
        return 0;
    }
    free(c->response);
    c->response = NULL;
    c->hstate = HTTP_IDLE;
    return lws_http_transaction_completed(c->wsi) ? -1 : 0;
}

static void http_begin(struct lws *wsi, conn *c, const char *path)
{
    if (!c->id) {
        c->wsi = wsi;
        slot_add(c);
        peer_of(wsi, c);
    }
    metrics_http_request();
    http_reset(c);
    c->bearer[0] = '\0';
    bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    bool wrong_verb;
    json_t *params = NULL;
    const http_route *rt = route_find(post ? "POST" : get ? "GET" : "", path, &params, &wrong_verb);
    if (!rt) {
        if (wrong_verb)
            http_refuse(wsi, c, 405, RPC_INVALID_REQUEST, "method not allowed on this path");
        else
            http_refuse(wsi, c, 404, RPC_METHOD_NOT_FOUND, "no such path");
        return;
    }
    c->route = rt;
    c->upload_params = params;
    if (rt->kind == ROUTE_HEALTHZ) {
        submit_health(c);
        return;
    }
    if (rt->kind == ROUTE_METRICS) {
        char *text = metrics_render();
        if (text) {
            http_respond(c, 200, "text/plain; version=0.0.4; charset=utf-8", text, strlen(text));
            free(text);
        } else {
            http_error(c, 500, RPC_INTERNAL_ERROR, "out of memory", NULL);
        }
        return;
    }
    char auth[128] = "";
    if (lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION) > 0 && !strncasecmp(auth, "Bearer ", 7))
        snprintf(c->bearer, sizeof c->bearer, "%.79s", auth + 7);
    if (rt->kind == ROUTE_SWITCH && get) {
        char msg[160];
        if (upload_query(wsi, rt, params, msg, sizeof msg))
            http_error(c, 400, RPC_INVALID_PARAMS, msg, NULL);
        else
            switch_submit(c, NULL, 0);
        return;
    }
    if (rt->kind == ROUTE_DOWNLOAD) {
        char msg[160];
        if (upload_query(wsi, rt, params, msg, sizeof msg))
            http_error(c, 400, RPC_INVALID_PARAMS, msg, NULL);
        else
            switch_submit(c, NULL, 0); /* as a switch's GET, with a user's token only */
        return;
    }
    /* POST: lws 4.1 never completes a chunked request body, so ask for a
     * length instead of leaving the client waiting. */
    char len[24] = "";
    char *end = NULL;
    unsigned long long length = 0;
    if (lws_hdr_copy(wsi, len, sizeof len, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        length = strtoull(len, &end, 10);
    if (!end || end == len || *end) {
        http_error(c, 411, RPC_INVALID_REQUEST, "send the body with a Content-Length", NULL);
        return;
    }
    if (rt->kind == ROUTE_UPLOAD) {
        upload_begin(wsi, c, length);
        return;
    }
    if (rt->kind == ROUTE_SWITCH) {
        char msg[160];
        if (upload_query(wsi, rt, params, msg, sizeof msg)) { /* no query keys: any is refused */
            http_refuse(wsi, c, 400, RPC_INVALID_PARAMS, msg);
            return;
        }
    }
    c->hstate = HTTP_BODY;
    if (length == 0 && rt->kind == ROUTE_SWITCH) /* no body callbacks will come */
        switch_submit(c, "", 0);
    else if (length == 0)
        handle_request(c, "", 0);
}

static int net_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    conn *c = user;
    switch (reason) {
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        deliver_completions();
        deliver_events();
        return 0;

    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
        char uri[64] = "";
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws"))
            return 1;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED:
        memset(c, 0, sizeof *c);
        c->wsi = wsi;
        c->ws = true;
        slot_add(c);
        peer_of(wsi, c);
        metrics_connection(1);
        return 0;

    case LWS_CALLBACK_RECEIVE:
        if (lws_is_first_fragment(wsi)) {
            c->rx_len = 0;
            c->rx_discard = false;
        }
        if (lws_frame_is_binary(wsi)) {
            c->rx_discard = true;
        } else if (!c->rx_discard && !rx_append(c, in, len)) {
            log_warn("connection %s: message over %d bytes, closing it", c->peer, cfg->max_message_bytes);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)"message too large", 17);
            return -1;
        }
        if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
            return 0;
        if (c->rx_discard) {
            char *text = rpc_error_dump(NULL, RPC_INVALID_REQUEST, "send JSON as text messages", NULL);
            if (text) {
                ws_enqueue(c, text, strlen(text));
                free(text);
            }
        } else {
            c->rx[c->rx_len] = '\0';
            handle_request(c, c->rx, c->rx_len);
        }
        c->rx_len = 0;
        if (c->rx_cap > 65536) { /* give back what one big message took */
            free(c->rx);
            c->rx = NULL;
            c->rx_cap = 0;
        }
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ws_writeable(c);

    case LWS_CALLBACK_CLOSED:
        if (!c->ws) /* never established (refused handshake) */
            return 0;
        metrics_connection(-1);
        slot_remove(c);
        conn_free_buffers(c);
        return 0;

    case LWS_CALLBACK_HTTP:
        http_begin(wsi, c, in ? (const char *)in : "");
        return 0;

    case LWS_CALLBACK_HTTP_BODY:
        if (c->hstate != HTTP_BODY || c->refuse_status)
            return 0;
        if (c->route->kind == ROUTE_UPLOAD) {
            spool_append(c, in, len);
            return 0;
        }
        if (c->body_len + len > (size_t)cfg->max_message_bytes) {
            c->body_too_large = true;
            return 0;
        }
        {
            char *n = realloc(c->body, c->body_len + len + 1);
            if (!n)
                return -1;
            c->body = n;
            memcpy(c->body + c->body_len, in, len);
            c->body_len += len;
        }
        return 0;

    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        if (c->hstate != HTTP_BODY)
            return 0;
        if (c->refuse_status) {
            http_error(c, c->refuse_status, c->refuse_code, c->refuse_message, NULL);
            return 0;
        }
        if (c->route->kind == ROUTE_UPLOAD) {
            upload_submit(c);
            return 0;
        }
        if (c->body_too_large) {
            http_error(c, 413, RPC_INVALID_REQUEST, "the body is over max_message_bytes", NULL);
            return 0;
        }
        if (c->route->kind == ROUTE_SWITCH) {
            switch_submit(c, c->body ? c->body : "", c->body_len);
            return 0;
        }
        handle_request(c, c->body ? c->body : "", c->body_len);
        return 0;

    case LWS_CALLBACK_HTTP_WRITEABLE:
        return http_writeable(c);

    /* lws frees the per-session data after DROP_PROTOCOL (end of an HTTP
     * transaction): the slot must not outlive it. */
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (c && c->id && !c->ws) {
            slot_remove(c);
            conn_free_buffers(c);
        }
        return 0;

    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    { "http", net_callback, sizeof(conn), 0, 0, NULL, 0 },
    { DIDTRON_SUBPROTOCOL, net_callback, sizeof(conn), 65536, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 }
};

/* ---- signals and the main loop ---- */

static sigset_t stop_signals;

static void *signal_thread(void *arg)
{
    (void)arg;
    int sig;
    if (sigwait(&stop_signals, &sig) == 0 && !atomic_load(&stop_requested)) {
        log_info("signal %d: finishing in-flight requests", sig);
        atomic_store(&got_signal, true);
        atomic_store(&stop_requested, true);
        lws_cancel_service(context);
    }
    return NULL;
}

static bool loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (!strcmp(host, "localhost"))
        return true;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return IN6_IS_ADDR_LOOPBACK(&a6);
    return false;
}

static bool all_written(void)
{
    for (uint32_t i = 0; i < nslots; i++)
        if (slots[i] && (slots[i]->out_head || slots[i]->hstate == HTTP_HEADERS ||
                         slots[i]->hstate == HTTP_SEND_BODY))
            return false;
    return true;
}

int net_serve(const dt_config *config)
{
    cfg = config;
    const char *tmp = getenv("TMPDIR");
    spool_dir = tmp && tmp[0] == '/' ? tmp : "/tmp";
    limits.max_bytes = (size_t)cfg->max_message_bytes;
    limits.max_depth = cfg->max_json_depth;
    limits.max_string = (size_t)cfg->max_string_bytes;

    char host[96];
    int port;
    if (config_listen_split(cfg->listen, host, sizeof host, &port)) {
        log_error("listen: \"%s\" is not host:port", cfg->listen);
        return 1;
    }
    bool tls = cfg->tls_cert[0] && cfg->tls_key[0];
    if (!tls && !loopback(host) && !cfg->allow_remote) {
        log_error("listen: plain ws/http on %s is refused; configure tls_cert/tls_key or set allow_remote", host);
        return 1;
    }

    lws_set_log_level(LLL_ERR | LLL_WARN, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = host;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    /* lws reads the network into this buffer: 4 kB by default, which turns
     * a 3 MB upload into 750 body callbacks. */
    info.pt_serv_buf_size = 64 * 1024;
    if (strchr(host, ':'))
        info.options = 0;
    if (tls) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = cfg->tls_cert;
        info.ssl_private_key_filepath = cfg->tls_key;
    }
    context = lws_create_context(&info);
    if (!context) {
        log_error("cannot listen on %s (in use, or not an address of this machine)", cfg->listen);
        return 1;
    }

    char err[256];
    if (events_start(cfg->database, wake_service, err, sizeof err)) {
        log_error("events: %s", err);
        lws_context_destroy(context);
        return 1;
    }

    /* Start-up work on a worker (this thread never touches PostgreSQL):
     * CDR partitions for the months around now. */
    cdr_partitions_at_start();

    /* Background work: the job workers, then the ticker (jobs_start adds
     * its lease task to it). Job kinds (jobs_register) and ticker tasks
     * (ticker_add) are registered before this point. */
    jobs_configure(cfg);
    if (gates_init(cfg)) { /* route pauses and call counts: ticker tasks */
        events_stop();
        lws_context_destroy(context);
        return 1;
    }
    if (jobs_start(cfg->database, cfg->job_workers) || ticker_start(cfg->database)) {
        jobs_stop();
        events_stop();
        lws_context_destroy(context);
        return 1;
    }

    /* monitor.kpi events: a 1 s timer in lws_service (kpi_tick) */
    lws_sul_schedule(context, 0, &kpi_sul, kpi_tick, KPI_TICK_USEC);

    pthread_t sigthr;
    pthread_create(&sigthr, NULL, signal_thread, NULL);
    log_info("didtrond %s listening on %s://%s:%d (ws at /ws, http at /rpc /healthz /metrics /api/v1/...)",
             cfg->instance, tls ? "https" : "http", host, port);

    int n = 0;
    while (n >= 0 && !atomic_load(&stop_requested))
        n = lws_service(context, 0);

    /* Drain: no new work; what is in flight finishes and is written. */
    draining = true;
    lws_sul_cancel(&kpi_sul);
    int64_t deadline = time_mono_usec() + (int64_t)cfg->shutdown_grace_ms * 1000;
    while (time_mono_usec() < deadline) {
        deliver_completions();
        if (pool_pending() == 0 && all_written())
            break;
        lws_service(context, -1);
        usleep(1000);
    }
    if (pool_pending())
        log_warn("shutdown: %d requests still running after the grace period", pool_pending());
    ticker_stop();  /* its run-at-stop tasks run once more */
    jobs_stop();    /* running handlers finish and record their outcome */
    pool_stop();
    deliver_completions();
    lws_context_destroy(context);
    events_stop();
    /* The signal thread has returned if a signal stopped us; otherwise wake
     * it with the signal it waits for, so it ends by itself. */
    if (!atomic_load(&got_signal)) {
        atomic_store(&stop_requested, true);
        pthread_kill(sigthr, SIGTERM);
    }
    pthread_join(sigthr, NULL);
    free(slots);
    free(generations);
    slots = NULL;
    generations = NULL;
    nslots = 0;
    log_info("didtrond stopped");
    return 0;
}

void net_block_signals(void)
{
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);
}
