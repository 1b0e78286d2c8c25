/*
 * echo_server: stand-in didtron.v1 server for the client self-test (see
 * echo_server.h). Everything lws-related runs on the server's own thread.
 */
#include "echo_server.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct out_msg {
    struct out_msg *next;
    char *text;
    size_t len, off, frame;
} out_msg;

typedef struct pss {
    struct pss *next;     /* all sessions of the server */
    struct lws *wsi;
    char *rx;
    size_t rx_len, rx_cap;
    out_msg *head, *tail;
    int close_code;
} pss;

struct echo_server {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int want_port, port;
    bool ready, failed;
    atomic_bool stop;
    size_t max_message;
    struct lws_context *ctx;
    pss *sessions;
};

static echo_server *server_of(struct lws *wsi)
{
    return lws_context_user(lws_get_context(wsi));
}

static void enqueue(pss *p, char *text, size_t frame)
{
    out_msg *m;
    if (!text)
        return;
    m = calloc(1, sizeof *m);
    if (!m) {
        free(text);
        return;
    }
    m->text = text;
    m->len = strlen(text);
    m->frame = frame ? frame : m->len;
    if (p->tail)
        p->tail->next = m;
    else
        p->head = m;
    p->tail = m;
    lws_callback_on_writable(p->wsi);
}

static char *dump_reply(json_t *id, const char *key, json_t *val)
{
    json_t *env = json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id",
                            id ? id : json_null(), key, val);
    char *s = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return s;
}

static char *dump_event(json_t *params)
{
    json_t *env = json_pack("{s:s, s:s, s:{s:s, s:O}}", "jsonrpc", "2.0",
                            "method", "event", "params", "topic",
                            "test.pushed", "data", params);
    char *s = env ? json_dumps(env, JSON_COMPACT) : NULL;
    json_decref(env);
    return s;
}

static void handle(echo_server *s, pss *p, const char *buf, size_t len)
{
    json_t *req = json_loadb(buf, len, 0, NULL);
    if (!json_is_object(req)) {
        enqueue(p, dump_reply(NULL, "error",
                              json_pack("{s:i, s:s}", "code", -32700,
                                        "message", "parse error")), 0);
        json_decref(req);
        return;
    }
    json_t *id = json_object_get(req, "id");
    const char *method = json_string_value(json_object_get(req, "method"));
    json_t *params = json_object_get(req, "params");
    if (!method)
        method = "";

    if (strcmp(method, "echo.error") == 0) {
        enqueue(p, dump_reply(id, "error",
                              json_pack("{s:i, s:s, s:{}}", "code", -32601,
                                        "message", "method not found",
                                        "data")), 0);
    } else if (strcmp(method, "echo.close") == 0) {
        json_int_t code = json_integer_value(json_object_get(params, "code"));
        p->close_code = code ? (int)code : 1000;
        lws_callback_on_writable(p->wsi);
    } else if (strcmp(method, "echo.big") == 0) {
        size_t size = (size_t)json_integer_value(json_object_get(params, "size"));
        size_t frame = (size_t)json_integer_value(json_object_get(params, "frame"));
        char *blob = malloc(size + 1);
        if (blob) {
            memset(blob, 'a', size);
            blob[size] = '\0';
            enqueue(p, dump_reply(id, "result",
                                  json_pack("{s:s%}", "blob", blob, size)),
                    frame);
            free(blob);
        }
    } else {
        if (strcmp(method, "echo.push") == 0) {
            enqueue(p, dump_event(params ? params : json_null()), 0);
        } else if (strcmp(method, "echo.broadcast") == 0) {
            for (pss *q = s->sessions; q; q = q->next)
                enqueue(q, dump_event(params ? params : json_null()), 0);
        }
        uint32_t sum = 0;
        for (size_t i = 0; i < len; i++)
            sum += (unsigned char)buf[i];
        enqueue(p, dump_reply(id, "result",
                              json_pack("{s:s, s:O, s:I, s:I}", "method",
                                        method, "params",
                                        params ? params : json_null(), "len",
                                        (json_int_t)len, "sum",
                                        (json_int_t)sum)),
                0);
    }
    json_decref(req);
}

static void pss_free(echo_server *s, pss *p)
{
    for (pss **pp = &s->sessions; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    out_msg *m = p->head;
    while (m) {
        out_msg *n = m->next;
        free(m->text);
        free(m);
        m = n;
    }
    p->head = p->tail = NULL;
    free(p->rx);
    p->rx = NULL;
}

static int write_some(struct lws *wsi, pss *p)
{
    out_msg *m = p->head;
    if (!m)
        return 0;
    size_t left = m->len - m->off;
    size_t n = left < m->frame ? left : m->frame;
    unsigned char *b = malloc(LWS_PRE + n + 1);
    if (!b)
        return -1;
    memcpy(b + LWS_PRE, m->text + m->off, n);
    int flags = lws_write_ws_flags(LWS_WRITE_TEXT, m->off == 0, n == left);
    int w = lws_write(wsi, b + LWS_PRE, n, (enum lws_write_protocol)flags);
    free(b);
    if (w < 0 || (size_t)w < n)
        return -1;
    m->off += n;
    if (m->off == m->len) {
        p->head = m->next;
        if (!p->head)
            p->tail = NULL;
        free(m->text);
        free(m);
    }
    if (p->head)
        lws_callback_on_writable(wsi);
    return 0;
}

static int echo_callback(struct lws *wsi, enum lws_callback_reasons reason,
                         void *user, void *in, size_t len)
{
    pss *p = user;
    echo_server *s;
    char uri[128];

    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0 ||
            strcmp(uri, "/ws") != 0)
            return 1;
        return 0;

    case LWS_CALLBACK_ESTABLISHED:
        s = server_of(wsi);
        memset(p, 0, sizeof *p);
        p->wsi = wsi;
        p->next = s->sessions;
        s->sessions = p;
        return 0;

    case LWS_CALLBACK_RECEIVE:
        s = server_of(wsi);
        if (p->rx_len + len > s->max_message) {
            static const char why[] = "message too big";
            lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
                             (unsigned char *)(uintptr_t)why, sizeof why - 1);
            return -1;
        }
        if (p->rx_len + len + 1 > p->rx_cap) {
            size_t cap = p->rx_cap ? p->rx_cap : 4096;
            while (cap < p->rx_len + len + 1)
                cap *= 2;
            char *nb = realloc(p->rx, cap);
            if (!nb)
                return -1;
            p->rx = nb;
            p->rx_cap = cap;
        }
        if (len)
            memcpy(p->rx + p->rx_len, in, len);
        p->rx_len += len;
        if (lws_is_final_fragment(wsi)) {
            handle(s, p, p->rx, p->rx_len);
            p->rx_len = 0;
        }
        return 0;

    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (p->close_code) {
            static const char why[] = "asked to close";
            lws_close_reason(wsi, (enum lws_close_status)p->close_code,
                             (unsigned char *)(uintptr_t)why, sizeof why - 1);
            return -1;
        }
        return write_some(wsi, p);

    case LWS_CALLBACK_CLOSED:
        pss_free(server_of(wsi), p);
        return 0;

    default:
        return 0;
    }
}

static const struct lws_protocols echo_protocols[] = {
    { .name = "http", .callback = lws_callback_http_dummy },
    {
        .name = "didtron.v1",
        .callback = echo_callback,
        .per_session_data_size = sizeof(pss),
        .rx_buffer_size = 65536,
    },
    { .name = NULL, .callback = NULL },
};

static void *server_main(void *arg)
{
    echo_server *s = arg;
    struct lws_context_creation_info info;

    memset(&info, 0, sizeof info);
    info.port = s->want_port;
    info.iface = "127.0.0.1";
    info.protocols = echo_protocols;
    info.gid = -1;
    info.uid = -1;
    info.user = s;
    info.pt_serv_buf_size = 65536;

    struct lws_context *ctx = lws_create_context(&info);
    int port = -1;
    if (ctx) {
        struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
        port = vh ? lws_get_vhost_listen_port(vh) : -1;
    }

    pthread_mutex_lock(&s->lock);
    s->ctx = ctx;
    s->port = port;
    s->failed = !ctx || port <= 0;
    s->ready = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);

    if (!ctx)
        return NULL;
    while (!atomic_load(&s->stop))
        if (lws_service(ctx, 0) < 0)
            break;
    pthread_mutex_lock(&s->lock);
    s->ctx = NULL; /* no more lws_cancel_service on it */
    pthread_mutex_unlock(&s->lock);
    lws_context_destroy(ctx);
    return NULL;
}

echo_server *echo_server_start(int port, size_t max_message)
{
    echo_server *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    lws_set_log_level(LLL_ERR, NULL);
    s->want_port = port;
    s->max_message = max_message ? max_message : 4u * 1024 * 1024;
    atomic_init(&s->stop, false);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (pthread_create(&s->thread, NULL, server_main, s)) {
        free(s);
        return NULL;
    }
    pthread_mutex_lock(&s->lock);
    while (!s->ready)
        pthread_cond_wait(&s->cond, &s->lock);
    bool failed = s->failed;
    pthread_mutex_unlock(&s->lock);
    if (failed) {
        echo_server_stop(s);
        return NULL;
    }
    return s;
}

int echo_server_port(const echo_server *s)
{
    return s->port;
}

void echo_server_stop(echo_server *s)
{
    if (!s)
        return;
    atomic_store(&s->stop, true);
    pthread_mutex_lock(&s->lock);
    if (s->ctx)
        lws_cancel_service(s->ctx);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}
