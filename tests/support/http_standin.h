/*
 * http_standin: a small HTTP/1.1 server for stand-ins of the outside
 * services didtrond talks to (Brevo, Open Exchange Rates, webhook
 * receivers), on 127.0.0.1, one thread per connection.
 *
 * Each connection's requests are read whole (the head, then as much body as
 * Content-Length says, up to 1 MiB; a request whose head never completes is
 * dropped) and handed to the handler on the connection's thread. The
 * handler answers on the socket (http_answer, or raw bytes with
 * http_send_all) and says whether the connection stays open for the next
 * request (keep-alive) or is closed.
 */
#ifndef DIDTRON_TESTS_HTTP_STANDIN_H
#define DIDTRON_TESTS_HTTP_STANDIN_H

#include <stdbool.h>
#include <stddef.h>

typedef struct http_standin http_standin;

typedef struct {
    char method[16];
    char target[1024];   /* the path and query as sent */
    const char *head;    /* request line and headers, NUL-terminated, without the blank line */
    const char *body;    /* NUL-terminated; body_len bytes (fewer than Content-Length if the client stopped) */
    size_t body_len;
} http_request;

/* Answers one request on fd. Returns true to keep the connection for the
 * next request, false to close it. */
typedef bool (*http_standin_handler)(int fd, const http_request *req, void *user);

/* port 0 = any free port. NULL on failure. */
http_standin *http_standin_start(int port, http_standin_handler handler, void *user);
int http_standin_port(const http_standin *s);
/* Stops accepting, then waits (up to 5 s) for the connection threads. */
void http_standin_stop(http_standin *s);

/* Never answers: holds fd until the client gives up and closes it, the
 * stand-in stops, or 30 s pass. */
void http_hold(int fd, const http_standin *s);

void http_send_all(int fd, const void *p, size_t n);
/* A whole response: status line, Content-Type (none when NULL),
 * Content-Length (none on 204), "Connection: close" unless keep_alive,
 * then body. */
void http_answer(int fd, int status, const char *reason, const char *content_type, const char *body, bool keep_alive);
/* The value of header `name` (case-insensitive) in head, "" if absent. */
void http_header_value(const char *head, const char *name, char *out, size_t n);

#endif
