/*
 * wsclient_selftest: exercises the test WebSocket client against the
 * in-process echo server. Exit status 0 only if every check passed.
 */
#include "echo_server.h"
#include "wsclient.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define T 5000 /* ms, generous for sanitizer builds */
#define BIG (2u * 1024 * 1024)
#define LIMIT (4u * 1024 * 1024)

static int failures;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        if (!(cond)) {                                                        \
            failures++;                                                       \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                     \
            fputc('\n', stderr);                                              \
        }                                                                     \
    } while (0)

static long long ms_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A port nothing listens on: bind one, note it, close it. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    socklen_t al = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &al)) {
        if (fd >= 0)
            close(fd);
        return 1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

static const char *topic_of(json_t *ev)
{
    return json_string_value(
        json_object_get(json_object_get(ev, "params"), "topic"));
}

static json_int_t result_int(json_t *resp, const char *key)
{
    return json_integer_value(json_object_get(wsc_result(resp), key));
}

static void test_connect_failures(int port)
{
    long long t0 = ms_now();
    wsc *c = wsc_connect("127.0.0.1", closed_port(), "/ws", "didtron.v1", T);
    CHECK(!c, "connected to a closed port");
    CHECK(ms_now() - t0 < T, "refusal took %lld ms", ms_now() - t0);
    fprintf(stderr, "refused: %s\n", wsc_last_error());
    wsc_close(c);

    c = wsc_connect("127.0.0.1", port, "/nope", "didtron.v1", T);
    CHECK(!c, "handshake on a wrong path accepted");
    fprintf(stderr, "wrong path: %s\n", wsc_last_error());
    wsc_close(c);

    c = wsc_connect("127.0.0.1", port, "/ws", "other.v9", T);
    CHECK(!c, "handshake with a wrong subprotocol accepted");
    fprintf(stderr, "wrong subprotocol: %s\n", wsc_last_error());
    wsc_close(c);
}

static void test_calls(wsc *c)
{
    json_t *r = wsc_call(c, "system.info", NULL, T);
    CHECK(r != NULL, "no response");
    CHECK(wsc_error_code(r) == 0, "error %d", wsc_error_code(r));
    CHECK(json_integer_value(json_object_get(r, "id")) == 1, "id not 1");
    CHECK(strcmp(json_string_value(json_object_get(wsc_result(r), "method")),
                 "system.info") == 0, "wrong method echoed");
    json_decref(r);

    r = wsc_call(c, "echo.error", json_pack("{s:i}", "x", 1), T);
    CHECK(wsc_error_code(r) == -32601, "error code %d", wsc_error_code(r));
    CHECK(json_integer_value(json_object_get(r, "id")) == 2, "id not 2");
    json_decref(r);
    CHECK(wsc_error_code(NULL) == -1, "NULL response");

    /* an event arriving before the response stays queued for next_event */
    r = wsc_call(c, "echo.push", json_pack("{s:s}", "k", "v"), T);
    CHECK(r && wsc_error_code(r) == 0, "push call failed");
    json_decref(r);
    CHECK(wsc_pending(c) == 1, "pending %zu", wsc_pending(c));
    json_t *ev = wsc_next_event(c, T);
    CHECK(ev != NULL, "no event");
    CHECK(ev && strcmp(topic_of(ev), "test.pushed") == 0, "wrong topic");
    CHECK(ev && strcmp(json_string_value(json_object_get(json_object_get(
                           json_object_get(ev, "params"), "data"), "k")),
                       "v") == 0, "wrong event data");
    json_decref(ev);
    CHECK(wsc_pending(c) == 0, "pending %zu", wsc_pending(c));

    /* pipelining */
    long long a = wsc_send_request(c, "one", NULL);
    long long b = wsc_send_request(c, "two", NULL);
    CHECK(a > 0 && b == a + 1, "ids %lld %lld", a, b);
    json_t *rb = wsc_wait_response(c, b, T);
    json_t *ra = wsc_wait_response(c, a, T);
    CHECK(rb && strcmp(json_string_value(json_object_get(wsc_result(rb),
                                                         "method")), "two") == 0,
          "response b");
    CHECK(ra && strcmp(json_string_value(json_object_get(wsc_result(ra),
                                                         "method")), "one") == 0,
          "response a");
    json_decref(ra);
    json_decref(rb);

    /* raw send/recv, and a reply to something that is not JSON */
    CHECK(wsc_send(c, "not json", 8) == 0, "send");
    size_t len = 0;
    char *txt = wsc_recv_len(c, &len, T);
    CHECK(txt && strlen(txt) == len, "recv");
    json_t *pe = txt ? json_loads(txt, 0, NULL) : NULL;
    CHECK(wsc_error_code(pe) == -32700, "parse error code %d",
          wsc_error_code(pe));
    CHECK(pe && json_is_null(json_object_get(pe, "id")), "id not null");
    json_decref(pe);
    free(txt);

    /* a recv with nothing coming times out, roughly on time */
    long long t0 = ms_now();
    txt = wsc_recv(c, 200);
    long long dt = ms_now() - t0;
    CHECK(!txt, "unexpected message %s", txt);
    CHECK(dt >= 190 && dt < 1500, "timeout took %lld ms", dt);
    free(txt);
    json_t *none = wsc_next_event(c, 100);
    CHECK(!none, "unexpected event");
    json_decref(none);
}

static void test_two_clients(int port)
{
    wsc *a = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    wsc *b = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    CHECK(a && b, "connect: %s", wsc_last_error());
    if (!a || !b) {
        wsc_close(a);
        wsc_close(b);
        return;
    }
    json_t *r = wsc_call(a, "echo.broadcast", json_pack("{s:i}", "n", 7), T);
    CHECK(r && wsc_error_code(r) == 0, "broadcast call");
    json_decref(r);
    /* b was serviced while a waited: its event is already queued */
    json_t *ev = wsc_next_event(b, T);
    CHECK(ev && strcmp(topic_of(ev), "test.pushed") == 0, "b event");
    json_decref(ev);
    ev = wsc_next_event(a, T);
    CHECK(ev != NULL, "a event");
    json_decref(ev);
    r = wsc_call(b, "system.info", NULL, T);
    CHECK(r && result_int(r, "len") > 0, "b call");
    json_decref(r);
    wsc_close(a);
    wsc_close(b);
}

static char *big_request(size_t total, uint32_t *sum)
{
    static const char head[] = "{\"jsonrpc\":\"2.0\",\"id\":4242,"
                               "\"method\":\"big\",\"params\":{\"s\":\"";
    static const char tail[] = "\"}}";
    char *buf = malloc(total + 1);
    if (!buf)
        return NULL;
    size_t h = sizeof head - 1, t = sizeof tail - 1;
    memcpy(buf, head, h);
    for (size_t i = h; i < total - t; i++)
        buf[i] = (char)('a' + (i % 26));
    memcpy(buf + total - t, tail, t);
    buf[total] = '\0';
    *sum = 0;
    for (size_t i = 0; i < total; i++)
        *sum += (unsigned char)buf[i];
    return buf;
}

static void test_big(wsc *c)
{
    uint32_t sum;
    char *req = big_request(BIG, &sum);
    CHECK(req != NULL, "alloc");
    if (!req)
        return;
    static const size_t frames[] = { 0, 1000, BIG };
    for (size_t k = 0; k < sizeof frames / sizeof frames[0]; k++) {
        CHECK(wsc_send_frames(c, req, BIG, frames[k]) == 0, "send big/%zu",
              frames[k]);
        json_t *r = wsc_wait_response(c, 4242, 3 * T);
        CHECK(r && result_int(r, "len") == (json_int_t)BIG,
              "len %lld with frames of %zu", (long long)result_int(r, "len"),
              frames[k]);
        CHECK(r && result_int(r, "sum") == (json_int_t)sum, "checksum");
        json_decref(r);
    }
    free(req);

    /* receiving: one 2 MiB frame, then the same in 100000-byte frames */
    for (int frame = 0; frame <= 100000; frame += 100000) {
        json_t *r = wsc_call(c, "echo.big",
                             json_pack("{s:I, s:i}", "size", (json_int_t)BIG,
                                       "frame", frame), 3 * T);
        const char *blob =
            json_string_value(json_object_get(wsc_result(r), "blob"));
        size_t bl = json_string_length(json_object_get(wsc_result(r), "blob"));
        CHECK(blob && bl == BIG, "blob of %zu bytes, frames of %d", bl, frame);
        CHECK(blob && blob[0] == 'a' && blob[bl - 1] == 'a', "blob content");
        json_decref(r);
    }
}

static void test_oversize(int port)
{
    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    CHECK(c, "connect: %s", wsc_last_error());
    if (!c)
        return;
    size_t n = LIMIT + 1024 * 1024;
    char *buf = malloc(n);
    if (buf) {
        memset(buf, ' ', n);
        buf[0] = '[';
        buf[n - 1] = ']';
        int rc = wsc_send(c, buf, n); /* may fail once the server hangs up */
        fprintf(stderr, "oversize send returned %d\n", rc);
        free(buf);
    }
    int code = 0;
    CHECK(wsc_wait_closed(c, &code, T), "not closed");
    CHECK(code == 1009, "close code %d", code);
    CHECK(wsc_call(c, "system.info", NULL, 100) == NULL, "call after close");
    CHECK(wsc_send(c, "x", 1) == -1, "send after close");
    wsc_close(c);
}

static void test_server_close(int port)
{
    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    CHECK(c, "connect: %s", wsc_last_error());
    if (!c)
        return;
    int code = -1;
    CHECK(!wsc_is_closed(c, &code) && code == 0, "closed too early");
    CHECK(wsc_send_request(c, "echo.close",
                           json_pack("{s:i}", "code", 4001)) > 0, "send");
    CHECK(wsc_wait_closed(c, &code, T), "not closed");
    CHECK(code == 4001, "close code %d", code);
    CHECK(wsc_recv(c, 100) == NULL, "recv after close");
    wsc_close(c);
}

int main(void)
{
    echo_server *s = echo_server_start(0, LIMIT);
    if (!s) {
        fprintf(stderr, "echo server did not start\n");
        return 1;
    }
    int port = echo_server_port(s);
    fprintf(stderr, "echo server on port %d\n", port);

    test_connect_failures(port);

    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    CHECK(c, "connect: %s", wsc_last_error());
    if (c) {
        test_calls(c);
        test_big(c);
        wsc_close(c);
    }
    test_two_clients(port);
    test_oversize(port);
    test_server_close(port);

    /* the shared context is gone with the last client; a new one works */
    c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", T);
    json_t *r = wsc_call(c, "system.info", NULL, T);
    CHECK(r && wsc_error_code(r) == 0, "call on a fresh context");
    json_decref(r);
    wsc_close(c);

    echo_server_stop(s);
    if (failures) {
        fprintf(stderr, "%d check(s) failed\n", failures);
        return 1;
    }
    fprintf(stderr, "all checks passed\n");
    return 0;
}
