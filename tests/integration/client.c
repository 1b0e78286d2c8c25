#include "client.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

wsc *ws_open(const test_server *s)
{
    wsc *c = wsc_connect("127.0.0.1", s->port, "/ws", "didtron.v1", T);
    ck_assert_msg(c != NULL, "connect: %s", wsc_last_error());
    return c;
}

json_t *call(wsc *c, const char *method, json_t *params)
{
    json_t *r = wsc_call(c, method, params, T);
    ck_assert_msg(r != NULL, "%s: no reply", method);
    return r;
}

json_t *ok(wsc *c, const char *method, json_t *params)
{
    json_t *r = call(c, method, params);
    char *text = json_dumps(r, JSON_COMPACT);
    ck_assert_msg(wsc_error_code(r) == 0, "%s failed: %s", method, text);
    free(text);
    json_t *res = json_incref(wsc_result(r));
    json_decref(r);
    return res;
}

int fails(wsc *c, const char *method, json_t *params)
{
    json_t *r = call(c, method, params);
    int code = wsc_error_code(r);
    json_decref(r);
    return code;
}

void fails_on_field(wsc *c, const char *method, json_t *params, const char *field)
{
    json_t *r = call(c, method, params);
    char *text = json_dumps(r, JSON_COMPACT);
    ck_assert_msg(wsc_error_code(r) == -32602, "%s: want -32602 on %s, got %s", method, field, text);
    bool found = false;
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(json_object_get(json_object_get(r, "error"), "data"), "fields"), i, f) {
        if (!strcmp(json_string_value(json_object_get(f, "field")), field))
            found = true;
    }
    ck_assert_msg(found, "%s: no error for field %s in %s", method, field, text);
    free(text);
    json_decref(r);
}

wsc *login(const test_server *s, const char *user, const char *pass)
{
    wsc *c = ws_open(s);
    json_decref(ok(c, "auth.login", json_pack("{s:s, s:s}", "username", user, "password", pass)));
    return c;
}

char *login_token(const test_server *s, const char *user, const char *pass)
{
    wsc *c = ws_open(s);
    json_t *res = ok(c, "auth.login", json_pack("{s:s, s:s}", "username", user, "password", pass));
    char *t = strdup(json_string_value(json_object_get(res, "token")));
    json_decref(res);
    wsc_close(c);
    return t;
}

long long create_user(wsc *admin, const char *name, const char *rname)
{
    json_t *u = ok(admin, "user.create", json_pack("{s:s, s:s, s:s}", "username", name,
                                                   "password", "password123", "role", rname));
    long long id = json_integer_value(json_object_get(u, "id"));
    json_decref(u);
    return id;
}

long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

wsc *start_with_root(test_server *s, const char *dbname, const char *name, const char *const *flags)
{
    harness_init(dbname);
    const char *args[] = { "user", "add", "root", "--role", "super_admin", "--database", harness_conninfo(),
                           "--password-cost", "12", NULL };
    const char *env[] = { "DIDTRON_PASSWORD=rootpass123", NULL };
    if (didtrond_run(args, env) != 0 || !server_start(s, name, flags)) {
        fprintf(stderr, "setup: cannot create root or start didtrond\n");
        exit(1);
    }
    wsc *c = wsc_connect("127.0.0.1", s->port, "/ws", "didtron.v1", T);
    json_t *r = c ? wsc_call(c, "auth.login", json_pack("{s:s, s:s}", "username", "root", "password", "rootpass123"), T)
                  : NULL;
    if (!r || wsc_error_code(r) != 0) {
        fprintf(stderr, "setup: root cannot log in: %s\n", wsc_last_error());
        exit(1);
    }
    json_decref(r);
    return c;
}

long long id_of(json_t *r)
{
    long long id = jint(r, "id");
    json_decref(r);
    return id;
}

char *idstr(long long id)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%lld", id);
    return buf[i];
}

int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void rfc3339(time_t t, char *buf, size_t n)
{
    struct tm tm;
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
}

long long carrier_usd(wsc *admin, const char *name, const char *type)
{
    return id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                       "timezone", "UTC", "currencies", "USD")));
}

void carrier_postpaid(wsc *admin, long long id, const char *limit)
{
    json_t *cr = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    json_decref(ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:I, s:{s:s, s:s}}", "id", (json_int_t)id, "version",
                             (json_int_t)jint(cr, "version"), "customer", "credit_type", "postpaid", "credit_limit",
                             limit)));
    json_decref(cr);
}

long long rating_plan_with(wsc *admin, const char *name, const char *direction, const char *csv)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", name, "currency", "USD",
                                                                  "direction", direction)));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2020-01-01T00:00:00Z")));
    return id;
}

json_t *next_event(wsc *c, const char *topic, int timeout_ms)
{
    int64_t end = mono_ms() + timeout_ms;
    while (mono_ms() < end) {
        json_t *ev = wsc_next_event(c, (int)(end - mono_ms()));
        if (!ev)
            return NULL;
        json_t *params = json_object_get(ev, "params");
        if (!strcmp(jstr(params, "topic"), topic)) {
            json_t *d = json_incref(json_object_get(params, "data"));
            json_decref(ev);
            return d;
        }
        json_decref(ev);
    }
    return NULL;
}

json_t *expect_event(wsc *c, const char *topic, int timeout_ms)
{
    json_t *d = next_event(c, topic, timeout_ms);
    ck_assert_msg(d != NULL, "no %s event within %d ms", topic, timeout_ms);
    return d;
}

json_t *kpi_item(json_t *items, const char *id)
{
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it)
        if (!strcmp(jstr(it, "scope_id"), id))
            return it;
    return NULL;
}
