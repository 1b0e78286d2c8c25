/*
 * wsclient: blocking WebSocket client for tests (see wsclient.h).
 *
 * One lws context per thread, shared by that thread's clients and
 * reference-counted by them. Waiting is done by arming a scheduler timer
 * (lws_sul) at the deadline and calling lws_service, which sleeps in poll()
 * until a socket is ready or the timer is due; lws_service ignores its own
 * timeout argument, so the timer is what bounds every wait.
 */
#include "wsclient.h"

#include <errno.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WSC_PROTOCOL_NAME "wsclient"
#define WSC_DEFAULT_FRAME (64u * 1024u)
#define WSC_SEND_TIMEOUT_MS 30000
#define WSC_CLOSE_WAIT_MS 2000

enum wsc_state { WSC_CONNECTING, WSC_OPEN, WSC_CLOSED };

typedef struct wsc_msg {
    struct wsc_msg *next;
    char *text;     /* NUL-terminated */
    size_t len;
    json_t *json;   /* parsed lazily; NULL if not (yet) or not JSON */
    bool parsed;
} wsc_msg;

struct wsc {
    struct lws *wsi;        /* NULL once lws destroyed it */
    enum wsc_state state;
    int close_code;
    bool want_close;        /* we asked to close */

    /* receive: the message being assembled, then the queue */
    char *rx;
    size_t rx_len, rx_cap;
    wsc_msg *head, *tail;
    size_t queued;

    /* send: the message being written, frame by frame */
    const char *tx;
    size_t tx_len, tx_off, tx_frame;
    bool tx_active, tx_started;
    unsigned char *txbuf;   /* LWS_PRE + txbuf_cap */
    size_t txbuf_cap;

    long long next_id;
};

typedef struct {
    struct lws_context *ctx;
    int refs;
    lws_sorted_usec_list_t wake;
} wsc_loop;

static _Thread_local wsc_loop tl_loop;
static _Thread_local char tl_err[256];

/* lws_create_context touches process-wide state (logging, TLS init); keep
 * creation and destruction on different threads from overlapping. */
static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t deadline_after(int timeout_ms)
{
    if (timeout_ms < 0)
        return INT64_MAX;
    return now_us() + (int64_t)timeout_ms * 1000;
}

static void set_err(const char *what, const char *detail)
{
    snprintf(tl_err, sizeof tl_err, "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
}

const char *wsc_last_error(void)
{
    return tl_err;
}

/* ---- the queue ---- */

static json_t *msg_json(wsc_msg *m)
{
    if (!m->parsed) {
        m->json = json_loadb(m->text, m->len, 0, NULL);
        m->parsed = true;
    }
    return m->json;
}

static void msg_free(wsc_msg *m)
{
    json_decref(m->json);
    free(m->text);
    free(m);
}

static void queue_unlink(wsc *c, wsc_msg *prev, wsc_msg *m)
{
    if (prev)
        prev->next = m->next;
    else
        c->head = m->next;
    if (c->tail == m)
        c->tail = prev;
    m->next = NULL;
    c->queued--;
}

static int queue_push(wsc *c)
{
    wsc_msg *m = calloc(1, sizeof *m);
    if (!m)
        return -1;
    /* hand the assembly buffer over; always NUL-terminated */
    if (!c->rx) {
        c->rx = malloc(1);
        if (!c->rx) {
            free(m);
            return -1;
        }
    }
    c->rx[c->rx_len] = '\0';
    m->text = c->rx;
    m->len = c->rx_len;
    c->rx = NULL;
    c->rx_len = c->rx_cap = 0;
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued++;
    return 0;
}

static int rx_append(wsc *c, const void *in, size_t len)
{
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        char *p = realloc(c->rx, cap);
        if (!p)
            return -1;
        c->rx = p;
        c->rx_cap = cap;
    }
    if (len)
        memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    return 0;
}

/* ---- lws callback ---- */

static void mark_closed(wsc *c, int code)
{
    if (c->state != WSC_CLOSED) {
        c->state = WSC_CLOSED;
        if (!c->close_code)
            c->close_code = code;
    }
    c->tx_active = false;
}

static int write_frame(struct lws *wsi, wsc *c)
{
    size_t left = c->tx_len - c->tx_off;
    size_t n = left < c->tx_frame ? left : c->tx_frame;
    bool first = !c->tx_started;
    bool last = n == left;

    if (n > c->txbuf_cap) {
        unsigned char *p = realloc(c->txbuf, LWS_PRE + n);
        if (!p)
            return -1;
        c->txbuf = p;
        c->txbuf_cap = n;
    }
    if (!c->txbuf) {
        c->txbuf = malloc(LWS_PRE + 1);
        if (!c->txbuf)
            return -1;
        c->txbuf_cap = 1;
    }
    if (n)
        memcpy(c->txbuf + LWS_PRE, c->tx + c->tx_off, n);
    int flags = lws_write_ws_flags(LWS_WRITE_TEXT, first, last);
    int w = lws_write(wsi, c->txbuf + LWS_PRE, n, (enum lws_write_protocol)flags);
    if (w < 0 || (size_t)w < n)
        return -1;
    c->tx_started = true;
    c->tx_off += n;
    if (last)
        c->tx_active = false;
    else
        lws_callback_on_writable(wsi);
    return 0;
}

static int wsc_callback(struct lws *wsi, enum lws_callback_reasons reason,
                        void *user, void *in, size_t len)
{
    (void)user;
    wsc *c;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        break;
    default:
        return 0;
    }
    c = wsi ? lws_get_opaque_user_data(wsi) : NULL;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        set_err("connection failed", in ? (const char *)in : "unknown");
        if (c)
            mark_closed(c, 1006);
        return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        if (!c)
            return -1; /* abandoned while connecting */
        c->state = WSC_OPEN;
        return 0;

    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (!c)
            return -1;
        if (rx_append(c, in, len))
            return -1;
        if (lws_is_final_fragment(wsi) && queue_push(c))
            return -1;
        return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        if (!c)
            return -1;
        if (c->want_close) {
            static const char bye[] = "client close";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL,
                             (unsigned char *)(uintptr_t)bye, sizeof bye - 1);
            return -1;
        }
        if (c->tx_active && write_frame(wsi, c)) {
            c->tx_active = false;
            return -1;
        }
        return 0;

    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (c && !c->close_code) {
            const unsigned char *p = in;
            c->close_code = (p && len >= 2) ? (p[0] << 8 | p[1]) : 1005;
        }
        return 0; /* lws answers the close */

    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c)
            mark_closed(c, c->want_close ? 1000 : 1006);
        return 0;

    case LWS_CALLBACK_WSI_DESTROY:
        if (c) {
            mark_closed(c, c->want_close ? 1000 : 1006);
            c->wsi = NULL;
            lws_set_opaque_user_data(wsi, NULL);
        }
        return 0;

    default:
        return 0;
    }
}

static const struct lws_protocols wsc_protocols[] = {
    {
        .name = WSC_PROTOCOL_NAME,
        .callback = wsc_callback,
        .per_session_data_size = 0,
        .rx_buffer_size = 65536,
    },
    { .name = NULL, .callback = NULL },
};

/* ---- the per-thread loop ---- */

static void log_once(void)
{
    int level = LLL_ERR;
    const char *env = getenv("WSC_LWS_LOGLEVEL");
    if (env && *env)
        level = atoi(env);
    lws_set_log_level(level, NULL);
}

static pthread_once_t log_once_ctl = PTHREAD_ONCE_INIT;

static struct lws_context *loop_ref(void)
{
    if (tl_loop.refs++ > 0)
        return tl_loop.ctx;

    pthread_once(&log_once_ctl, log_once);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = wsc_protocols;
    info.gid = -1;
    info.uid = -1;
    info.pt_serv_buf_size = 65536;

    pthread_mutex_lock(&create_lock);
    tl_loop.ctx = lws_create_context(&info);
    pthread_mutex_unlock(&create_lock);
    if (!tl_loop.ctx) {
        tl_loop.refs = 0;
        set_err("lws_create_context failed", NULL);
        return NULL;
    }
    return tl_loop.ctx;
}

static void loop_unref(void)
{
    if (tl_loop.refs <= 0 || --tl_loop.refs > 0)
        return;
    lws_sul_cancel(&tl_loop.wake);
    pthread_mutex_lock(&create_lock);
    lws_context_destroy(tl_loop.ctx);
    pthread_mutex_unlock(&create_lock);
    tl_loop.ctx = NULL;
}

static void wake_cb(lws_sorted_usec_list_t *sul)
{
    (void)sul; /* only here to end the poll() */
}

/* Service once: handle whatever is ready, sleeping at most until deadline
 * (absolute, now_us clock) if nothing is. */
static void pump(int64_t deadline)
{
    int64_t now = now_us();
    if (deadline <= now) {
        lws_service(tl_loop.ctx, -1); /* poll(0): do not sleep */
        return;
    }
    int64_t wait = deadline - now;
    if (wait > 1000000)
        wait = 1000000; /* re-check at least once a second */
    lws_sul_schedule(tl_loop.ctx, 0, &tl_loop.wake, wake_cb, (lws_usec_t)wait);
    lws_service(tl_loop.ctx, 0);
    lws_sul_cancel(&tl_loop.wake);
}

/* Kill the connection now and forget it; lws callbacks for it will no
 * longer find c. */
static void detach(wsc *c)
{
    struct lws *w = c->wsi;
    if (!w)
        return;
    c->wsi = NULL;
    lws_set_opaque_user_data(w, NULL);
    lws_set_timeout(w, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_SYNC);
}

static void wsc_free(wsc *c)
{
    wsc_msg *m = c->head;
    while (m) {
        wsc_msg *n = m->next;
        msg_free(m);
        m = n;
    }
    free(c->rx);
    free(c->txbuf);
    free(c);
}

/* ---- API ---- */

wsc *wsc_connect(const char *host, int port, const char *path,
                 const char *subprotocol, int timeout_ms)
{
    tl_err[0] = '\0';
    if (!host || port <= 0 || port > 65535) {
        set_err("bad address", NULL);
        return NULL;
    }
    wsc *c = calloc(1, sizeof *c);
    if (!c) {
        set_err("out of memory", NULL);
        return NULL;
    }
    struct lws_context *ctx = loop_ref();
    if (!ctx) {
        free(c);
        return NULL;
    }
    c->state = WSC_CONNECTING;
    c->next_id = 1;

    struct lws_client_connect_info i;
    memset(&i, 0, sizeof i);
    i.context = ctx;
    i.address = host;
    i.port = port;
    i.path = (path && *path) ? path : "/";
    i.host = host;
    i.origin = host;
    i.protocol = subprotocol;
    i.local_protocol_name = WSC_PROTOCOL_NAME;
    i.opaque_user_data = c;
    i.pwsi = &c->wsi;

    if (!lws_client_connect_via_info(&i)) {
        if (!tl_err[0])
            set_err("connection failed", "could not start");
        c->wsi = NULL; /* lws has already freed it */
        wsc_free(c);
        loop_unref();
        return NULL;
    }

    int64_t deadline = deadline_after(timeout_ms);
    while (c->state == WSC_CONNECTING && now_us() < deadline)
        pump(deadline);

    if (c->state != WSC_OPEN) {
        bool timed_out = c->state == WSC_CONNECTING;
        detach(c);
        if (timed_out)
            set_err("connection failed", "timeout");
        else if (!tl_err[0])
            set_err("connection failed", "closed during handshake");
        wsc_free(c);
        loop_unref();
        return NULL;
    }
    return c;
}

int wsc_send_frames(wsc *c, const char *text, size_t len, size_t frame_size)
{
    if (!c || c->state != WSC_OPEN || !c->wsi || c->tx_active)
        return -1;
    if (!text && len)
        return -1;
    c->tx = text ? text : "";
    c->tx_len = len;
    c->tx_off = 0;
    c->tx_frame = frame_size ? frame_size : WSC_DEFAULT_FRAME;
    c->tx_started = false;
    c->tx_active = true;
    lws_callback_on_writable(c->wsi);

    int64_t deadline = deadline_after(WSC_SEND_TIMEOUT_MS);
    while (c->tx_active && c->state == WSC_OPEN && now_us() < deadline)
        pump(deadline);

    bool done = !c->tx_active && c->tx_started && c->tx_off == c->tx_len;
    c->tx_active = false;
    c->tx = NULL;
    if (!done && c->state == WSC_OPEN) {
        /* timed out mid-message: the stream is unusable now */
        detach(c);
        mark_closed(c, 1006);
    }
    return done ? 0 : -1;
}

int wsc_send(wsc *c, const char *text, size_t len)
{
    return wsc_send_frames(c, text, len, 0);
}

int wsc_send_json(wsc *c, json_t *j)
{
    if (!j)
        return -1;
    char *s = json_dumps(j, JSON_COMPACT);
    if (!s)
        return -1;
    int r = wsc_send(c, s, strlen(s));
    free(s);
    return r;
}

char *wsc_recv_len(wsc *c, size_t *len, int timeout_ms)
{
    if (!c)
        return NULL;
    int64_t deadline = deadline_after(timeout_ms);
    for (;;) {
        if (c->head) {
            wsc_msg *m = c->head;
            queue_unlink(c, NULL, m);
            char *t = m->text;
            if (len)
                *len = m->len;
            m->text = NULL;
            msg_free(m);
            return t;
        }
        if (c->state == WSC_CLOSED || now_us() >= deadline)
            return NULL;
        pump(deadline);
    }
}

char *wsc_recv(wsc *c, int timeout_ms)
{
    return wsc_recv_len(c, NULL, timeout_ms);
}

bool wsc_is_closed(wsc *c, int *close_code)
{
    if (!c)
        return true;
    if (c->state != WSC_CLOSED)
        lws_service(tl_loop.ctx, -1);
    if (close_code)
        *close_code = c->state == WSC_CLOSED ? c->close_code : 0;
    return c->state == WSC_CLOSED;
}

bool wsc_wait_closed(wsc *c, int *close_code, int timeout_ms)
{
    if (!c)
        return true;
    int64_t deadline = deadline_after(timeout_ms);
    while (c->state != WSC_CLOSED && now_us() < deadline)
        pump(deadline);
    return wsc_is_closed(c, close_code);
}

long long wsc_send_request(wsc *c, const char *method, json_t *params)
{
    if (!params)
        params = json_object();
    if (!c || !method) {
        json_decref(params);
        return -1;
    }
    long long id = c->next_id++;
    json_t *req = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0",
                            "id", (json_int_t)id, "method", method,
                            "params", params);
    if (!req)
        return -1;
    int r = wsc_send_json(c, req);
    json_decref(req);
    return r ? -1 : id;
}

static bool is_response_to(json_t *j, long long id)
{
    if (!json_is_object(j) || json_object_get(j, "method"))
        return false;
    json_t *jid = json_object_get(j, "id");
    return json_is_integer(jid) && json_integer_value(jid) == id;
}

static bool is_event(json_t *j)
{
    if (!json_is_object(j))
        return false;
    json_t *m = json_object_get(j, "method");
    return json_is_string(m) && strcmp(json_string_value(m), "event") == 0 &&
           !json_object_get(j, "id");
}

/* Take the first queued message matching pred out of the queue, return
 * its JSON (new reference). */
static json_t *take_first(wsc *c, bool (*pred)(json_t *, long long),
                          long long arg)
{
    wsc_msg *prev = NULL;
    for (wsc_msg *m = c->head; m; prev = m, m = m->next) {
        json_t *j = msg_json(m);
        if (j && pred(j, arg)) {
            json_incref(j);
            queue_unlink(c, prev, m);
            msg_free(m);
            return j;
        }
    }
    return NULL;
}

static bool pred_event(json_t *j, long long unused)
{
    (void)unused;
    return is_event(j);
}

static json_t *wait_take(wsc *c, bool (*pred)(json_t *, long long),
                         long long arg, int timeout_ms)
{
    if (!c)
        return NULL;
    int64_t deadline = deadline_after(timeout_ms);
    size_t seen = (size_t)-1;
    for (;;) {
        if (c->queued != seen) {
            json_t *j = take_first(c, pred, arg);
            if (j)
                return j;
            seen = c->queued;
        }
        if (c->state == WSC_CLOSED || now_us() >= deadline)
            return NULL;
        pump(deadline);
    }
}

json_t *wsc_wait_response(wsc *c, long long id, int timeout_ms)
{
    return wait_take(c, is_response_to, id, timeout_ms);
}

json_t *wsc_call(wsc *c, const char *method, json_t *params, int timeout_ms)
{
    long long id = wsc_send_request(c, method, params);
    if (id < 0)
        return NULL;
    return wsc_wait_response(c, id, timeout_ms);
}

json_t *wsc_next_event(wsc *c, int timeout_ms)
{
    return wait_take(c, pred_event, 0, timeout_ms);
}

size_t wsc_pending(wsc *c)
{
    return c ? c->queued : 0;
}

void wsc_close(wsc *c)
{
    if (!c)
        return;
    if (c->state == WSC_OPEN && c->wsi) {
        c->want_close = true;
        lws_callback_on_writable(c->wsi);
        int64_t deadline = deadline_after(WSC_CLOSE_WAIT_MS);
        while (c->wsi && now_us() < deadline)
            pump(deadline);
    }
    detach(c);
    wsc_free(c);
    loop_unref();
}

int wsc_error_code(json_t *resp)
{
    if (!resp)
        return -1;
    json_t *e = json_object_get(resp, "error");
    if (!json_is_object(e))
        return 0;
    json_t *code = json_object_get(e, "code");
    return json_is_integer(code) ? (int)json_integer_value(code) : -1;
}

json_t *wsc_result(json_t *resp)
{
    return json_object_get(resp, "result");
}
