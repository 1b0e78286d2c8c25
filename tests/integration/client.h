/*
 * client: the assertions integration tests make about JSON-RPC calls,
 * on top of the wsclient library (check's ck_assert on failure).
 */
#ifndef DIDTRON_TESTS_CLIENT_H
#define DIDTRON_TESTS_CLIENT_H

#include <jansson.h>

#include "harness.h"
#include "wsclient.h"

#define T 15000 /* ms; generous, sanitizers are slow */

/* A connected WebSocket client (asserts). */
wsc *ws_open(const test_server *s);
/* The whole reply envelope (asserts one came). params is stolen. */
json_t *call(wsc *c, const char *method, json_t *params);
/* Expect a result; returns it (new reference). */
json_t *ok(wsc *c, const char *method, json_t *params);
/* Expect an error; returns its code. */
int fails(wsc *c, const char *method, json_t *params);
/* Expect -32602 naming `field` among data.fields. */
void fails_on_field(wsc *c, const char *method, json_t *params, const char *field);
/* Connect and log in. */
wsc *login(const test_server *s, const char *user, const char *pass);
/* Start-up of a test program, outside any test: a fresh database with a
 * super_admin "root" (password rootpass123), server s started as `name`,
 * and a connection logged in as root. Exits the program on failure. */
wsc *start_with_root(test_server *s, const char *dbname, const char *name, const char *const *flags);
/* Log in on a throw-away connection; returns the token (malloc'd). */
char *login_token(const test_server *s, const char *user, const char *pass);
/* user.create with password "password123"; returns the id. */
long long create_user(wsc *admin, const char *name, const char *rname);
/* Integer member of a JSON object. */
long long jint(json_t *o, const char *key);
/* String member of a JSON object ("" when absent). */
const char *jstr(json_t *o, const char *key);

#endif
