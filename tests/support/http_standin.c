/*
 * http_standin: see http_standin.h.
 */
#include "http_standin.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define REQUEST_CAP (1u << 20)

struct http_standin {
    int fd, port;
    pthread_t thread;
    volatile int stop;
    http_standin_handler handler;
    void *user;
    pthread_mutex_t lock;
    int active; /* connection threads running */
};

typedef struct {
    http_standin *s;
    int fd;
} connection;

void http_send_all(int fd, const void *data, size_t n)
{
    const char *p = data;
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

void http_answer(int fd, int status, const char *reason, const char *content_type, const char *body, bool keep_alive)
{
    char head[512], type[160] = "", length[48] = "";
    if (content_type)
        snprintf(type, sizeof type, "Content-Type: %s\r\n", content_type);
    if (status != 204)
        snprintf(length, sizeof length, "Content-Length: %zu\r\n", strlen(body));
    int n = snprintf(head, sizeof head, "HTTP/1.1 %d %s\r\n%s%s%s\r\n", status, reason, type, length,
                     keep_alive ? "" : "Connection: close\r\n");
    http_send_all(fd, head, (size_t)n);
    http_send_all(fd, body, strlen(body));
}

void http_header_value(const char *head, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
        if (!strncasecmp(p + 2, name, nl) && p[2 + nl] == ':') {
            const char *v = p + 3 + nl;
            while (*v == ' ')
                v++;
            snprintf(out, n, "%.*s", (int)strcspn(v, "\r\n"), v);
            return;
        }
    }
}

void http_hold(int fd, const http_standin *s)
{
    for (int i = 0; i < 300 && !s->stop; i++) {
        struct pollfd p = { fd, POLLIN, 0 };
        char sink[256];
        if (poll(&p, 1, 100) > 0 && recv(fd, sink, sizeof sink, 0) <= 0)
            break;
    }
}

/* Reads into buf (len bytes already there) until it holds want bytes, or
 * the head when want is 0. False when the client closed, 5 s passed or the
 * buffer is full first. */
static bool fill(int fd, char *buf, size_t *len, size_t want)
{
    for (;;) {
        if (want ? *len >= want : strstr(buf, "\r\n\r\n") != NULL)
            return true;
        struct pollfd p = { fd, POLLIN, 0 };
        if (*len >= REQUEST_CAP || poll(&p, 1, 5000) <= 0)
            return false;
        ssize_t r = recv(fd, buf + *len, REQUEST_CAP - *len, 0);
        if (r <= 0)
            return false;
        *len += (size_t)r;
        buf[*len] = '\0';
    }
}

static void *serve(void *arg)
{
    connection *c = arg;
    http_standin *s = c->s;
    char *buf = malloc(REQUEST_CAP + 1);
    size_t len = 0;
    buf[0] = '\0';
    bool keep = buf != NULL;
    while (keep && fill(c->fd, buf, &len, 0)) {
        char *end = strstr(buf, "\r\n\r\n");
        *end = '\0';
        char cl[32];
        http_header_value(buf, "Content-Length", cl, sizeof cl);
        size_t head = (size_t)(end - buf) + 4, want = head + (size_t)atol(cl);
        if (want > REQUEST_CAP)
            want = REQUEST_CAP;
        fill(c->fd, buf, &len, want);
        size_t got = len < want ? len : want;
        char saved = buf[got];
        buf[got] = '\0';
        http_request req = { .head = buf, .body = buf + head, .body_len = got - head };
        sscanf(buf, "%15s %1023s", req.method, req.target);
        keep = s->handler(c->fd, &req, s->user);
        buf[got] = saved;
        memmove(buf, buf + got, len - got);
        len -= got;
        buf[len] = '\0';
    }
    free(buf);
    close(c->fd);
    pthread_mutex_lock(&s->lock);
    s->active--;
    pthread_mutex_unlock(&s->lock);
    free(c);
    return NULL;
}

static void *accept_loop(void *arg)
{
    http_standin *s = arg;
    while (!s->stop) {
        struct pollfd p = { s->fd, POLLIN, 0 };
        if (poll(&p, 1, 100) <= 0)
            continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0)
            continue;
        connection *c = malloc(sizeof *c);
        *c = (connection){ s, fd };
        pthread_mutex_lock(&s->lock);
        s->active++;
        pthread_mutex_unlock(&s->lock);
        pthread_t t;
        if (pthread_create(&t, NULL, serve, c) == 0) {
            pthread_detach(t);
        } else {
            close(fd);
            free(c);
            pthread_mutex_lock(&s->lock);
            s->active--;
            pthread_mutex_unlock(&s->lock);
        }
    }
    return NULL;
}

http_standin *http_standin_start(int port, http_standin_handler handler, void *user)
{
    http_standin *s = calloc(1, sizeof *s);
    s->handler = handler;
    s->user = user;
    pthread_mutex_init(&s->lock, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof a;
    if (s->fd < 0 || bind(s->fd, (struct sockaddr *)&a, sizeof a) || listen(s->fd, 1024) ||
        getsockname(s->fd, (struct sockaddr *)&a, &alen) || pthread_create(&s->thread, NULL, accept_loop, s)) {
        if (s->fd >= 0)
            close(s->fd);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->port = ntohs(a.sin_port);
    return s;
}

int http_standin_port(const http_standin *s)
{
    return s->port;
}

void http_standin_stop(http_standin *s)
{
    if (!s)
        return;
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
    for (int i = 0; i < 100; i++) {
        pthread_mutex_lock(&s->lock);
        int active = s->active;
        pthread_mutex_unlock(&s->lock);
        if (!active)
            break;
        struct timespec ts = { 0, 50000000L };
        nanosleep(&ts, NULL);
    }
    /* a connection still running after 5 s keeps its pointer: leak s */
    pthread_mutex_lock(&s->lock);
    int active = s->active;
    pthread_mutex_unlock(&s->lock);
    if (!active) {
        pthread_mutex_destroy(&s->lock);
        free(s);
    }
}
