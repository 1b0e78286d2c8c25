/*
 * wsclient: a small blocking WebSocket client for tests, on libwebsockets.
 *
 * Every call blocks until its condition is met or its timeout passes; while
 * waiting it services the connection (and every other client created on the
 * same thread, so messages for those are queued, never lost). Clients share
 * one lws context per thread, created with the first client and destroyed
 * with the last; a client must only be used on the thread that created it.
 *
 * All received text messages go into one queue per client, in arrival
 * order. wsc_recv takes the oldest; wsc_call / wsc_wait_response take the
 * response with their id out of it; wsc_next_event takes the oldest event
 * out of it. Whatever a call does not take stays queued for the others.
 */
#ifndef DIDTRON_TESTS_WSCLIENT_H
#define DIDTRON_TESTS_WSCLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct wsc wsc;

/* Connect to ws://host:port/path offering subprotocol (NULL = none). NULL on
 * failure: refused, handshake rejected (bad path, subprotocol not agreed),
 * or no open connection within timeout_ms. wsc_last_error() says why. */
wsc *wsc_connect(const char *host, int port, const char *path,
                 const char *subprotocol, int timeout_ms);

/* Why the last wsc_connect on this thread failed ("" if it did not). */
const char *wsc_last_error(void);

/* Send one text message of any size, fragmenting it into frames as needed.
 * Blocks until lws has taken all of it. 0 ok, -1 if the connection is
 * closed or closes meanwhile. */
int wsc_send(wsc *c, const char *text, size_t len);
/* Send one text message of len bytes from text with the given frame size
 * (each frame but the last has len frame_size; 0 = the default, 64 KiB). */
int wsc_send_frames(wsc *c, const char *text, size_t len, size_t frame_size);
/* Serialise j compactly (borrowed) and send it. */
int wsc_send_json(wsc *c, json_t *j);

/* Next whole text message, malloc'd and NUL-terminated (the caller frees);
 * *len (if given) gets its length. NULL on timeout, or once the connection
 * is closed and nothing is queued. */
char *wsc_recv(wsc *c, int timeout_ms);
char *wsc_recv_len(wsc *c, size_t *len, int timeout_ms);

/* True once the peer closed or the connection dropped. *close_code (if
 * given) gets the close status the peer sent (e.g. 1009), 1005 if its close
 * frame had none, 1006 if the connection dropped without a close frame, or
 * 1000 after our own wsc_close-style close; 0 while still open. Services
 * pending input first without blocking. */
bool wsc_is_closed(wsc *c, int *close_code);
/* Wait up to timeout_ms for the connection to close; true if it did. */
bool wsc_wait_closed(wsc *c, int *close_code, int timeout_ms);

/* Send {"jsonrpc":"2.0","id":<next id>,"method":method,"params":params}
 * (params stolen; NULL = {}) and wait for the response with that id,
 * leaving any events and other messages queued. Returns the whole response
 * envelope (caller decrefs), NULL on timeout/close/send failure. */
json_t *wsc_call(wsc *c, const char *method, json_t *params, int timeout_ms);

/* The two halves of wsc_call, for pipelining: send a request and return its
 * id (> 0), or -1 on failure; then wait for the response with that id. */
long long wsc_send_request(wsc *c, const char *method, json_t *params);
json_t *wsc_wait_response(wsc *c, long long id, int timeout_ms);

/* Next event envelope ({"jsonrpc":"2.0","method":"event","params":{...}})
 * already queued or arriving within timeout_ms; caller decrefs; NULL on
 * timeout/close. Non-event messages stay queued. */
json_t *wsc_next_event(wsc *c, int timeout_ms);

/* Number of messages queued and not yet taken. */
size_t wsc_pending(wsc *c);

/* Close (politely, waiting briefly for the peer's close) and free. NULL ok. */
void wsc_close(wsc *c);

/* Error code of a response envelope; 0 if it has a result (or resp is not
 * an error response), -1 if resp is NULL. */
int wsc_error_code(json_t *resp);
/* Borrowed "result" member of a response, NULL if none. */
json_t *wsc_result(json_t *resp);

#endif
