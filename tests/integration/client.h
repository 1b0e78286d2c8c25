/*
 * client: the assertions integration tests make about JSON-RPC calls,
 * on top of the wsclient library (check's ck_assert on failure).
 */
#ifndef DIDTRON_TESTS_CLIENT_H
#define DIDTRON_TESTS_CLIENT_H

#include <jansson.h>
#include <stdint.h>
#include <time.h>

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
/* carrier.create: a carrier of `type` in UTC trading USD; returns the id. */
long long carrier_usd(wsc *admin, const char *name, const char *type);
/* Makes customer carrier `id` postpaid with credit_limit `limit`. */
void carrier_postpaid(wsc *admin, long long id, const char *limit);
/* rating_plan.create in USD for `direction`, then csv imported (replace)
 * in effect from 2020-01-01; returns the plan's id. */
long long rating_plan_with(wsc *admin, const char *name, const char *direction, const char *csv);
/* A deck of one row: 44 United Kingdom at rate (a string literal). */
#define UK_DECK(rate) "prefix,destination,rate\n44,United Kingdom," rate "\n"
/* The data of the next event of topic on c (others skipped; a new
 * reference), or NULL when none comes within timeout_ms. */
json_t *next_event(wsc *c, const char *topic, int timeout_ms);
/* The same, asserting that one comes. */
json_t *expect_event(wsc *c, const char *topic, int timeout_ms);
/* The item of monitor.kpi items whose scope_id is id (borrowed), or NULL. */
json_t *kpi_item(json_t *items, const char *id);
/* The "id" member of a result, which it releases. */
long long id_of(json_t *r);
/* id as text, in one of four rotating buffers (so up to four at once). */
char *idstr(long long id);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t mono_ms(void);
/* t as RFC 3339 UTC ("2026-11-23T19:00:00Z"). */
void rfc3339(time_t t, char *buf, size_t n);

#endif
