/*
 * net: the console's one event loop — libwebsockets services the server
 * connection, the keyboard (stdin adopted as a raw file) and a 1 Hz tick,
 * so the console sleeps in poll() when nothing happens (idle CPU ~0).
 *
 * The connection logs itself in (auth.resume with the cached token, else
 * auth.login), reconnects with backoff when it drops, and restores the
 * topics it was subscribed to. Calls made while it is down wait in a queue
 * and go out once it is up again.
 */
#ifndef DIDTRON_TUI_NET_H
#define DIDTRON_TUI_NET_H

#include <jansson.h>
#include <stdbool.h>

typedef enum {
    NET_CONNECTING,
    NET_READY,        /* connected and logged in */
    NET_RECONNECTING, /* lost; trying again with backoff */
    NET_AUTH_FAILED,  /* the server refused the login: nothing more to try */
    NET_NEEDS_LOGIN,  /* connected, no credentials yet: call net_login() */
} net_state;

typedef struct {
    void (*on_input)(void *ud);                          /* keys are waiting */
    void (*on_state)(void *ud, net_state st, const char *detail);
    void (*on_event)(void *ud, const char *topic, json_t *data);
    void (*on_tick)(void *ud);                           /* once a second */
    void (*on_flush)(void *ud);                          /* after each message from the server */
} net_callbacks;

/* Reply to a call: result or error (the JSON-RPC error object), not both.
 * Both borrowed for the duration of the callback. */
typedef void (*net_reply_fn)(void *ud, json_t *result, json_t *error);

/* url: ws://host:port/path. With neither password nor token the
 * connection opens and waits (NET_NEEDS_LOGIN) for net_login().
 * Returns 0, or -1 with a message in err. */
int net_start(const char *url, const char *user, const char *password, const char *token,
              const net_callbacks *cb, void *ud, char *err, size_t errlen);
/* Log in as user with password (the login screen): on the open connection
 * now, or as soon as it opens. Drops any cached token. */
void net_login(const char *user, const char *password);
/* Send a request (params stolen; NULL = {}). The reply arrives through fn;
 * a request lost with the connection is answered with an error object
 * {"code":-1,"message":"connection lost"}. */
void net_call(const char *method, json_t *params, net_reply_fn fn, void *fn_ud);
/* Topics to (re)subscribe whenever the connection is ready. */
void net_subscribe(const char *topic);
/* Watch another descriptor in the same loop (a signalfd for SIGWINCH);
 * on_ready runs when it is readable. Call after net_start. 0 or -1. */
int net_watch_fd(int fd, void (*on_ready)(void *ud), void *ud);
/* Run until net_quit(); then tear down. */
void net_run(void);
void net_quit(void);
net_state net_get_state(void);
/* The session token (for the cache), or NULL before the first login. */
const char *net_token(void);
/* The logged-in user object from auth.login/resume (borrowed), or NULL. */
json_t *net_user(void);

#endif
