#include "net.h"

#include <libwebsockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define BACKOFF_MIN_MS 250
#define BACKOFF_MAX_MS 8000

typedef struct pending {
    struct pending *next;
    long long id;
    net_reply_fn fn;
    void *ud;
    char *text;        /* the request, kept until sent */
    bool sent;
    bool internal;     /* login/resume/subscribe: not the app's */
} pending;

static struct {
    struct lws_context *ctx;
    struct lws *wsi;
    net_callbacks cb;
    void *ud;
    char host[128], path[128];
    int port;
    char user[64];
    char *password;
    char *token;
    json_t *user_obj;
    net_state state;
    bool quit;
    int backoff_ms;
    long long next_id;
    pending *queue;    /* requests in order; sent ones wait for replies */
    char *rx;
    size_t rx_len, rx_cap;
    json_t *topics;    /* array of strings */
    lws_sorted_usec_list_t reconnect_timer, tick_timer;
} n;

static void set_state(net_state st, const char *detail)
{
    n.state = st;
    if (n.cb.on_state)
        n.cb.on_state(n.ud, st, detail);
}

static pending *enqueue(const char *method, json_t *params, net_reply_fn fn, void *ud, bool internal)
{
    pending *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(params);
        return NULL;
    }
    p->id = ++n.next_id;
    p->fn = fn;
    p->ud = ud;
    p->internal = internal;
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)p->id, "method", method,
                            "params", params ? params : json_object());
    p->text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    pending **tail = &n.queue;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    return p;
}

static void kick_writes(void)
{
    if (n.wsi)
        lws_callback_on_writable(n.wsi);
}

/* Fail everything sent on a connection that is gone; app requests not yet
 * sent stay queued for the next connection. */
static void fail_sent(void)
{
    json_t *err = json_pack("{s:i, s:s}", "code", -1, "message", "connection lost");
    pending **pp = &n.queue;
    while (*pp) {
        pending *p = *pp;
        if (p->sent || p->internal) {
            *pp = p->next;
            if (p->fn && !p->internal)
                p->fn(p->ud, NULL, err);
            free(p->text);
            free(p);
        } else {
            pp = &p->next;
        }
    }
    json_decref(err);
}

static void schedule_reconnect(void);

static void on_subscribed(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    (void)result;
    (void)error;
}

static void after_login(void *ud, json_t *result, json_t *error)
{
    bool was_resume = ud != NULL;
    if (error) {
        if (was_resume && n.password) { /* the cached token expired: log in afresh */
            free(n.token);
            n.token = NULL;
            pending *p = enqueue("auth.login", json_pack("{s:s, s:s}", "username", n.user, "password", n.password),
                                 after_login, NULL, true);
            if (p) {
                /* the login must go before any queued app request */
                pending **pp = &n.queue;
                while (*pp != p)
                    pp = &(*pp)->next;
                *pp = p->next;
                p->next = n.queue;
                n.queue = p;
            }
            kick_writes();
            return;
        }
        set_state(NET_AUTH_FAILED, json_string_value(json_object_get(error, "message")));
        return;
    }
    const char *token = json_string_value(json_object_get(result, "token"));
    if (token && (!n.token || strcmp(token, n.token))) {
        free(n.token);
        n.token = strdup(token);
    }
    json_decref(n.user_obj);
    n.user_obj = json_incref(json_object_get(result, "user"));
    n.backoff_ms = BACKOFF_MIN_MS;
    /* One request per topic: a topic the server refuses (an older server,
     * a role that lost it) must not take the others down with it. */
    size_t i;
    json_t *topic;
    json_array_foreach(n.topics, i, topic)
        enqueue("subscribe", json_pack("{s:[O]}", "topics", topic), on_subscribed, NULL, true);
    set_state(NET_READY, NULL);
    kick_writes();
}

/* Put the login first in the queue so it precedes waiting app requests. */
static void queue_login(void)
{
    pending *p = n.token ? enqueue("auth.resume", json_pack("{s:s}", "token", n.token), after_login, (void *)1, true)
                         : enqueue("auth.login", json_pack("{s:s, s:s}", "username", n.user, "password",
                                                           n.password ? n.password : ""), after_login, NULL, true);
    if (!p)
        return;
    pending **pp = &n.queue;
    while (*pp != p)
        pp = &(*pp)->next;
    *pp = p->next;
    p->next = n.queue;
    n.queue = p;
}

static void handle_message(const char *text, size_t len)
{
    json_t *msg = json_loadb(text, len, 0, NULL);
    if (!msg)
        return;
    const char *method = json_string_value(json_object_get(msg, "method"));
    if (method && !strcmp(method, "event")) {
        json_t *params = json_object_get(msg, "params");
        const char *topic = json_string_value(json_object_get(params, "topic"));
        if (topic && !strcmp(topic, "session.ended")) {
            free(n.token);
            n.token = NULL;
            set_state(NET_AUTH_FAILED, "the session was ended on the server");
        } else if (topic && n.cb.on_event) {
            n.cb.on_event(n.ud, topic, json_object_get(params, "data"));
        }
        json_decref(msg);
        return;
    }
    long long id = (long long)json_integer_value(json_object_get(msg, "id"));
    for (pending **pp = &n.queue; *pp; pp = &(*pp)->next) {
        pending *p = *pp;
        if (p->sent && p->id == id) {
            *pp = p->next;
            if (p->fn)
                p->fn(p->ud, json_object_get(msg, "result"), json_object_get(msg, "error"));
            free(p->text);
            free(p);
            break;
        }
    }
    json_decref(msg);
}

static int write_next(void)
{
    /* While logging in, only internal requests go out. */
    for (pending *p = n.queue; p; p = p->next) {
        if (p->sent)
            continue;
        if (n.state != NET_READY && !p->internal)
            return 0;
        size_t len = strlen(p->text);
        unsigned char *buf = malloc(LWS_PRE + len);
        if (!buf)
            return -1;
        memcpy(buf + LWS_PRE, p->text, len);
        int w = lws_write(n.wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
        free(buf);
        if (w < (int)len)
            return -1;
        p->sent = true;
        for (pending *q = p->next; q; q = q->next)
            if (!q->sent && (n.state == NET_READY || q->internal)) {
                lws_callback_on_writable(n.wsi);
                break;
            }
        return 0;
    }
    return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)user;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        n.wsi = wsi;
        if (n.token || n.password)
            queue_login();
        else
            set_state(NET_NEEDS_LOGIN, NULL);
        lws_callback_on_writable(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE: {
        if (lws_is_first_fragment(wsi))
            n.rx_len = 0;
        if (n.rx_len + len + 1 > n.rx_cap) {
            size_t cap = (n.rx_len + len + 1) * 2;
            char *b = realloc(n.rx, cap);
            if (!b)
                return -1;
            n.rx = b;
            n.rx_cap = cap;
        }
        memcpy(n.rx + n.rx_len, in, len);
        n.rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            handle_message(n.rx, n.rx_len);
            if (n.cb.on_flush)
                n.cb.on_flush(n.ud);
        }
        return 0;
    }
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return write_next();
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_CLOSED:
        n.wsi = NULL;
        fail_sent();
        if (!n.quit && n.state != NET_AUTH_FAILED && n.state != NET_NEEDS_LOGIN) {
            set_state(NET_RECONNECTING, in && reason == LWS_CALLBACK_CLIENT_CONNECTION_ERROR ? (const char *)in : NULL);
            schedule_reconnect();
        }
        return 0;
    default:
        break;
    }
    return 0;
}

static int stdin_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)wsi;
    (void)user;
    (void)in;
    (void)len;
    if (reason == LWS_CALLBACK_RAW_RX_FILE && n.cb.on_input)
        n.cb.on_input(n.ud);
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE)
        n.quit = true; /* the terminal went away */
    return 0;
}

typedef struct {
    void (*on_ready)(void *ud);
    void *ud;
} watch;

static int watch_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    (void)in;
    (void)len;
    const watch *w = lws_get_opaque_user_data(wsi);
    (void)user;
    if (reason == LWS_CALLBACK_RAW_RX_FILE && w && w->on_ready)
        w->on_ready(w->ud);
    return 0;
}

static struct lws_protocols protocols[] = {
    { DIDTRON_SUBPROTOCOL, ws_callback, 0, 65536, 0, NULL, 0 },
    { "didtron-stdin", stdin_callback, 0, 0, 0, NULL, 0 },
    { "didtron-fd", watch_callback, 0, 0, 0, NULL, 0 },
    { NULL, NULL, 0, 0, 0, NULL, 0 },
};

static void connect_now(lws_sorted_usec_list_t *sul)
{
    (void)sul;
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = n.ctx;
    ci.address = n.host;
    ci.port = n.port;
    ci.path = n.path;
    ci.host = n.host;
    ci.origin = n.host;
    ci.protocol = DIDTRON_SUBPROTOCOL;
    ci.local_protocol_name = DIDTRON_SUBPROTOCOL;
    if (!lws_client_connect_via_info(&ci)) {
        set_state(NET_RECONNECTING, "cannot start a connection");
        schedule_reconnect();
    }
}

static void schedule_reconnect(void)
{
    lws_sul_schedule(n.ctx, 0, &n.reconnect_timer, connect_now, (lws_usec_t)n.backoff_ms * 1000);
    n.backoff_ms = n.backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : n.backoff_ms * 2;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    if (n.cb.on_tick)
        n.cb.on_tick(n.ud);
    lws_sul_schedule(n.ctx, 0, sul, tick, 1000 * 1000);
}

static int parse_url(const char *url, char *err, size_t errlen)
{
    const char *p = url;
    if (strncmp(p, "ws://", 5)) {
        snprintf(err, errlen, "--url must look like ws://host:port/ws (wss is not supported yet)");
        return -1;
    }
    p += 5;
    const char *slash = strchr(p, '/');
    const char *colon = memchr(p, ':', slash ? (size_t)(slash - p) : strlen(p));
    size_t hl = colon ? (size_t)(colon - p) : slash ? (size_t)(slash - p) : strlen(p);
    if (hl == 0 || hl >= sizeof n.host) {
        snprintf(err, errlen, "--url: no host");
        return -1;
    }
    memcpy(n.host, p, hl);
    n.host[hl] = '\0';
    n.port = colon ? atoi(colon + 1) : 80;
    snprintf(n.path, sizeof n.path, "%s", slash ? slash : "/ws");
    if (n.port <= 0 || n.port > 65535) {
        snprintf(err, errlen, "--url: bad port");
        return -1;
    }
    return 0;
}

int net_start(const char *url, const char *user, const char *password, const char *token,
              const net_callbacks *cb, void *ud, char *err, size_t errlen)
{
    memset(&n, 0, sizeof n);
    if (parse_url(url, err, errlen))
        return -1;
    n.cb = *cb;
    n.ud = ud;
    snprintf(n.user, sizeof n.user, "%s", user ? user : "");
    n.password = password ? strdup(password) : NULL;
    n.token = token ? strdup(token) : NULL;
    n.topics = json_array();
    n.backoff_ms = BACKOFF_MIN_MS;
    lws_set_log_level(0, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS;
    n.ctx = lws_create_context(&info);
    if (!n.ctx) {
        snprintf(err, errlen, "cannot start libwebsockets");
        return -1;
    }
    info.vhost_name = "default";
    struct lws_vhost *vh = lws_create_vhost(n.ctx, &info);
    if (!vh) {
        snprintf(err, errlen, "cannot create the client vhost");
        return -1;
    }
    lws_sock_file_fd_type fd;
    fd.filefd = 0;
    if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd, "didtron-stdin", NULL)) {
        snprintf(err, errlen, "cannot watch the keyboard");
        return -1;
    }
    set_state(NET_CONNECTING, NULL);
    connect_now(NULL);
    lws_sul_schedule(n.ctx, 0, &n.tick_timer, tick, 1000 * 1000);
    return 0;
}

void net_login(const char *user, const char *password)
{
    snprintf(n.user, sizeof n.user, "%s", user);
    free(n.password);
    n.password = strdup(password);
    free(n.token);
    n.token = NULL;
    if (n.wsi) {
        set_state(NET_CONNECTING, NULL);
        queue_login();
        kick_writes();
    } else {
        set_state(NET_RECONNECTING, NULL);
        schedule_reconnect();
    }
}

static watch watches[4];
static int nwatches;

int net_watch_fd(int fd, void (*on_ready)(void *ud), void *ud)
{
    if (!n.ctx || nwatches == (int)(sizeof watches / sizeof watches[0]))
        return -1;
    watch *w = &watches[nwatches++];
    w->on_ready = on_ready;
    w->ud = ud;
    lws_sock_file_fd_type d;
    d.filefd = fd;
    struct lws *wsi = lws_adopt_descriptor_vhost(lws_get_vhost_by_name(n.ctx, "default"), LWS_ADOPT_RAW_FILE_DESC, d,
                                                 "didtron-fd", NULL);
    if (!wsi)
        return -1;
    lws_set_opaque_user_data(wsi, w);
    return 0;
}

void net_call(const char *method, json_t *params, net_reply_fn fn, void *fn_ud)
{
    if (enqueue(method, params, fn, fn_ud, false))
        kick_writes();
}

void net_subscribe(const char *topic)
{
    json_array_append_new(n.topics, json_string(topic));
    if (n.state == NET_READY) {
        enqueue("subscribe", json_pack("{s:[s]}", "topics", topic), on_subscribed, NULL, true);
        kick_writes();
    }
}

void net_run(void)
{
    while (!n.quit)
        if (lws_service(n.ctx, 0) < 0)
            break;
    lws_sul_cancel(&n.reconnect_timer);
    lws_sul_cancel(&n.tick_timer);
    lws_context_destroy(n.ctx);
    n.ctx = NULL;
    while (n.queue) {
        pending *p = n.queue->next;
        free(n.queue->text);
        free(n.queue);
        n.queue = p;
    }
    free(n.rx);
    free(n.password);
    free(n.token);
    n.token = NULL;
    json_decref(n.topics);
    json_decref(n.user_obj);
    n.user_obj = NULL;
}

void net_quit(void)
{
    n.quit = true;
    if (n.ctx)
        lws_cancel_service(n.ctx);
}

net_state net_get_state(void)
{
    return n.state;
}

const char *net_token(void)
{
    return n.token;
}

json_t *net_user(void)
{
    return n.user_obj;
}
