/*
 * Integration: a real PostgreSQL, real didtrond processes, a real
 * WebSocket client. Each test names the behaviour it pins down.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "rpc/registry.h"
#include "suite.h"

static test_server A, B;
static const char *const root_env[] = { "DIDTRON_PASSWORD=rootpass123", NULL };

static void setup(void)
{
    harness_init("didtron_it");
    const char *args[] = { "user", "add", "root", "--role", "super_admin", "--database", harness_conninfo(),
                           "--password-cost", "12", NULL };
    if (didtrond_run(args, root_env) != 0) {
        fprintf(stderr, "didtrond user add failed\n");
        exit(1);
    }
    const char *fast_limits[] = { "--login-max-per-user", "3", "--workers", "2", NULL };
    if (!server_start(&A, "alpha", fast_limits) || !server_start(&B, "beta", fast_limits)) {
        fprintf(stderr, "servers did not start\n");
        exit(1);
    }
}

static void teardown(void)
{
    server_stop(&A, 20000);
    server_stop(&B, 20000);
    harness_done();
}

/* ---- sessions ---- */

START_TEST(test_system_info_answers_without_login)
{
    wsc *c = ws_open(&A);
    json_t *info = ok(c, "system.info", NULL);
    ck_assert_str_eq(json_string_value(json_object_get(info, "name")), "didtron");
    ck_assert_str_eq(json_string_value(json_object_get(info, "api")), "v1");
    ck_assert_str_eq(json_string_value(json_object_get(info, "instance")), "alpha");
    json_decref(info);
    wsc_close(c);
}
END_TEST

START_TEST(test_login_with_right_password_returns_token_and_user)
{
    wsc *c = ws_open(&A);
    json_t *res = ok(c, "auth.login", json_pack("{s:s, s:s}", "username", "root", "password", "rootpass123"));
    ck_assert_int_eq(strlen(json_string_value(json_object_get(res, "token"))), 64);
    json_t *user = json_object_get(res, "user");
    ck_assert_str_eq(json_string_value(json_object_get(user, "username")), "root");
    ck_assert_str_eq(json_string_value(json_object_get(user, "role")), "super_admin");
    ck_assert(json_is_null(json_object_get(user, "carrier_id")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(res, "expires_at")));
    json_decref(res);
    /* The connection is now authenticated. */
    json_t *list = ok(c, "user.list", NULL);
    ck_assert_int_ge(json_integer_value(json_object_get(list, "total")), 1);
    json_decref(list);
    wsc_close(c);
}
END_TEST

START_TEST(test_login_with_wrong_password_is_refused)
{
    wsc *c = ws_open(&A);
    ck_assert_int_eq(fails(c, "auth.login", json_pack("{s:s, s:s}", "username", "root", "password", "nope")), -32001);
    ck_assert_int_eq(fails(c, "auth.login", json_pack("{s:s, s:s}", "username", "ghost", "password", "nope")), -32001);
    ck_assert_int_eq(fails(c, "user.list", NULL), -32001); /* still not logged in */
    wsc_close(c);
    /* A later right password still works (failures were below the limit). */
    wsc_close(login(&A, "root", "rootpass123"));
}
END_TEST

START_TEST(test_failed_logins_are_rate_limited_per_username)
{
    wsc *admin = login(&A, "root", "rootpass123");
    create_user(admin, "victim", "noc");
    wsc *c = ws_open(&B);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(fails(c, "auth.login", json_pack("{s:s, s:s}", "username", "victim", "password", "x")), -32001);
    /* Over the limit: even the right password is refused for now, on any instance. */
    json_t *r = call(c, "auth.login", json_pack("{s:s, s:s}", "username", "victim", "password", "password123"));
    ck_assert_int_eq(wsc_error_code(r), -32029);
    json_t *retry = json_object_get(json_object_get(json_object_get(r, "error"), "data"), "retry_after_ms");
    ck_assert(json_is_integer(retry) && json_integer_value(retry) > 0);
    json_decref(r);
    wsc *other = ws_open(&A);
    ck_assert_int_eq(fails(other, "auth.login", json_pack("{s:s, s:s}", "username", "victim", "password", "password123")),
                     -32029);
    wsc_close(other);
    wsc_close(c);
    wsc_close(admin);
}
END_TEST

START_TEST(test_resume_binds_an_existing_session_and_logout_ends_it_everywhere)
{
    char *token = login_token(&A, "root", "rootpass123");
    wsc *a = ws_open(&A), *b = ws_open(&B);
    json_decref(ok(a, "auth.resume", json_pack("{s:s}", "token", token)));
    json_decref(ok(b, "auth.resume", json_pack("{s:s}", "token", token)));
    json_decref(ok(b, "user.list", NULL));
    json_decref(ok(a, "auth.logout", NULL));
    /* The other instance hears of it and ends the session on its connection. */
    json_t *ev = wsc_next_event(b, T);
    ck_assert_ptr_nonnull(ev);
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev, "params"), "topic")), "session.ended");
    json_decref(ev);
    ck_assert_int_eq(fails(b, "user.list", NULL), -32001);
    ck_assert_int_eq(fails(a, "auth.resume", json_pack("{s:s}", "token", token)), -32001);
    ck_assert_int_eq(fails(a, "auth.resume", json_pack("{s:s}", "token", "not-a-token")), -32001);
    free(token);
    wsc_close(a);
    wsc_close(b);
}
END_TEST

/* ---- protocol errors ---- */

START_TEST(test_unknown_method_is_method_not_found)
{
    wsc *c = ws_open(&A);
    ck_assert_int_eq(fails(c, "no.such.method", NULL), -32601);
    wsc_close(c);
}
END_TEST

START_TEST(test_parse_error_keeps_the_connection_open)
{
    wsc *c = ws_open(&A);
    const char junk[] = "{\"jsonrpc\":\"2.0\", this is not json";
    ck_assert_int_eq(wsc_send(c, junk, strlen(junk)), 0);
    char *reply = wsc_recv(c, T);
    ck_assert_ptr_nonnull(reply);
    json_t *r = json_loads(reply, 0, NULL);
    ck_assert_int_eq(wsc_error_code(r), -32700);
    ck_assert(json_is_null(json_object_get(r, "id")));
    json_decref(r);
    free(reply);
    ck_assert(!wsc_is_closed(c, NULL));
    json_decref(ok(c, "system.info", NULL));
    wsc_close(c);
}
END_TEST

static int send_raw(wsc *c, const char *text)
{
    ck_assert_int_eq(wsc_send(c, text, strlen(text)), 0);
    char *reply = wsc_recv(c, T);
    ck_assert_ptr_nonnull(reply);
    json_t *r = json_loads(reply, 0, NULL);
    free(reply);
    int code = wsc_error_code(r);
    json_decref(r);
    return code;
}

START_TEST(test_malformed_envelopes_are_invalid_requests)
{
    wsc *c = ws_open(&A);
    ck_assert_int_eq(send_raw(c, "{\"id\":1,\"method\":\"system.info\"}"), -32600);
    ck_assert_int_eq(send_raw(c, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\"}]"), -32600);
    ck_assert_int_eq(send_raw(c, "17"), -32600);
    ck_assert_int_eq(send_raw(c, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\",\"params\":[1]}"), -32602);
    /* Nesting deeper than max_json_depth (32). */
    char deep[200] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\",\"params\":{\"a\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    for (int i = 0; i < 40; i++)
        strcat(deep, "]");
    strcat(deep, "}}");
    ck_assert_int_eq(send_raw(c, deep), -32600);
    ck_assert(!wsc_is_closed(c, NULL));
    wsc_close(c);
}
END_TEST

START_TEST(test_notification_gets_no_reply)
{
    wsc *c = ws_open(&A);
    const char note[] = "{\"jsonrpc\":\"2.0\",\"method\":\"system.info\"}";
    ck_assert_int_eq(wsc_send(c, note, strlen(note)), 0);
    json_decref(ok(c, "system.info", NULL)); /* the next reply is this one's */
    ck_assert_int_eq(wsc_pending(c), 0);
    wsc_close(c);
}
END_TEST

START_TEST(test_invalid_params_name_every_bad_field)
{
    wsc *admin = login(&A, "root", "rootpass123");
    json_t *r = call(admin, "user.create", json_pack("{s:s, s:s, s:s, s:i}", "username", "", "password", "short",
                                                     "role", "king", "bogus", 1));
    ck_assert_int_eq(wsc_error_code(r), -32602);
    json_t *fields = json_object_get(json_object_get(json_object_get(r, "error"), "data"), "fields");
    ck_assert_int_eq(json_array_size(fields), 4);
    const char *want[] = { "username", "password", "role", "bogus" };
    for (int i = 0; i < 4; i++) {
        bool found = false;
        size_t k;
        json_t *f;
        json_array_foreach(fields, k, f) {
            if (!strcmp(json_string_value(json_object_get(f, "field")), want[i]))
                found = json_string_length(json_object_get(f, "message")) > 0;
        }
        ck_assert_msg(found, "no error for %s", want[i]);
    }
    json_decref(r);
    /* A customer user needs a carrier; staff must not have one. */
    ck_assert_int_eq(fails(admin, "user.create", json_pack("{s:s, s:s, s:s}", "username", "cust", "password",
                                                           "password123", "role", "customer")), -32602);
    ck_assert_int_eq(fails(admin, "user.create", json_pack("{s:s, s:s, s:s, s:i}", "username", "nocx", "password",
                                                           "password123", "role", "noc", "carrier_id", 3)), -32602);
    wsc_close(admin);
}
END_TEST

START_TEST(test_every_method_needing_a_role_refuses_anonymous_callers)
{
    ck_assert_int_eq(registry_init(), 0);
    wsc *c = ws_open(&A);
    int checked = 0;
    for (int i = 0; i < registry_count(); i++) {
        const rpc_method *m = registry_at(i);
        if (!m->roles)
            continue;
        int code = fails(c, m->name, NULL);
        ck_assert_msg(code == -32001, "%s answered %d to an anonymous caller", m->name, code);
        checked++;
    }
    ck_assert_int_gt(checked, 5);
    wsc_close(c);
}
END_TEST

START_TEST(test_role_without_permission_is_forbidden)
{
    wsc *admin = login(&A, "root", "rootpass123");
    create_user(admin, "noc1", "noc");
    wsc *noc = login(&A, "noc1", "password123");
    ck_assert_int_eq(fails(noc, "user.create", json_pack("{s:s, s:s, s:s}", "username", "x1", "password",
                                                         "password123", "role", "noc")), -32003);
    ck_assert_int_eq(fails(noc, "audit.list", NULL), -32003);
    ck_assert_int_eq(fails(noc, "subscribe", json_pack("{s:[s]}", "topics", "user.created")), -32602);
    /* An admin may not create a super_admin. */
    create_user(admin, "adm1", "admin");
    wsc *adm = login(&A, "adm1", "password123");
    ck_assert_int_eq(fails(adm, "user.create", json_pack("{s:s, s:s, s:s}", "username", "boss", "password",
                                                         "password123", "role", "super_admin")), -32003);
    wsc_close(adm);
    wsc_close(noc);
    wsc_close(admin);
}
END_TEST

START_TEST(test_support_staff_list_the_agents_a_ticket_can_go_to)
{
    wsc *admin = login(&A, "root", "rootpass123");
    long long sup = create_user(admin, "agent-sue", "support");
    create_user(admin, "agent-bob", "support");
    long long gone = create_user(admin, "agent-old", "support");
    json_t *g = ok(admin, "user.get", json_pack("{s:I}", "id", (json_int_t)gone));
    json_decref(ok(admin, "user.update", json_pack("{s:I, s:I, s:b}", "id", (json_int_t)gone, "version",
                                                   (json_int_t)jint(g, "version"), "disabled", 1)));
    json_decref(g);
    wsc *s = login(&A, "agent-sue", "password123");
    ck_assert_int_eq(fails(s, "user.list", NULL), -32003); /* the admin list stays admin-only */
    json_t *r = ok(s, "user.agents", json_pack("{s:s}", "q", "AGENT"));
    json_t *items = json_object_get(r, "items");
    /* enabled staff matching "agent", by username: bob, sue; not the
     * disabled one */
    ck_assert_int_eq(json_array_size(items), 2);
    ck_assert_str_eq(jstr(json_array_get(items, 0), "username"), "agent-bob");
    ck_assert_str_eq(jstr(json_array_get(items, 1), "username"), "agent-sue");
    ck_assert_int_eq(jint(json_array_get(items, 1), "id"), sup);
    ck_assert_str_eq(jstr(json_array_get(items, 1), "role"), "support");
    ck_assert_ptr_null(json_object_get(json_array_get(items, 1), "password_hash"));
    json_decref(r);
    r = ok(s, "user.agents", NULL);
    bool root_seen = false, old_seen = false;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "items"), i, x) {
        root_seen = root_seen || !strcmp(jstr(x, "username"), "root");
        old_seen = old_seen || !strcmp(jstr(x, "username"), "agent-old");
    }
    ck_assert(root_seen && !old_seen);
    json_decref(r);
    wsc_close(s);
    wsc_close(admin);
}
END_TEST

START_TEST(test_missing_record_is_not_found)
{
    wsc *admin = login(&A, "root", "rootpass123");
    ck_assert_int_eq(fails(admin, "user.get", json_pack("{s:i}", "id", 987654)), -32004);
    ck_assert_int_eq(fails(admin, "user.update", json_pack("{s:i, s:i, s:b}", "id", 987654, "version", 1,
                                                           "disabled", 1)), -32004);
    wsc_close(admin);
}
END_TEST

START_TEST(test_stale_version_and_duplicate_name_are_conflicts)
{
    wsc *admin = login(&A, "root", "rootpass123");
    long long id = create_user(admin, "editme", "support");
    json_t *u = ok(admin, "user.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                   "display_name", "First"));
    ck_assert_int_eq(json_integer_value(json_object_get(u, "version")), 2);
    json_decref(u);
    json_t *r = call(admin, "user.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                     "display_name", "Second"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(json_object_get(r, "error"), "data"),
                                                        "current_version")), 2);
    json_decref(r);
    u = ok(admin, "user.get", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_str_eq(json_string_value(json_object_get(u, "display_name")), "First");
    json_decref(u);
    ck_assert_int_eq(fails(admin, "user.create", json_pack("{s:s, s:s, s:s}", "username", "EditMe", "password",
                                                           "password123", "role", "noc")), -32009);
    /* The last enabled super_admin stays. */
    ck_assert_int_eq(fails(admin, "user.update", json_pack("{s:i, s:i, s:b}", "id", 1, "version", 1,
                                                           "disabled", 1)), -32009);
    wsc_close(admin);
}
END_TEST

START_TEST(test_oversize_frame_closes_only_that_connection)
{
    wsc *big = ws_open(&A), *bystander = ws_open(&A);
    size_t n = 2 * 1024 * 1024;
    char *text = malloc(n + 1);
    memset(text, ' ', n);
    memcpy(text, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"system.info\",\"params\":{\"pad\":\"", 62);
    text[n - 3] = '"';
    text[n - 2] = '}';
    text[n - 1] = '}';
    text[n] = '\0';
    wsc_send(big, text, n); /* may fail part-way: the server closes */
    free(text);
    int code = 0;
    ck_assert(wsc_wait_closed(big, &code, T));
    ck_assert_int_eq(code, 1009);
    json_decref(ok(bystander, "system.info", NULL));
    wsc_close(big);
    wsc_close(bystander);
}
END_TEST

START_TEST(test_wrong_path_or_subprotocol_is_refused)
{
    ck_assert_ptr_null(wsc_connect("127.0.0.1", A.port, "/nope", "didtron.v1", T));
    ck_assert_ptr_null(wsc_connect("127.0.0.1", A.port, "/ws", "other.v9", T));
}
END_TEST

/* ---- HTTP ---- */

START_TEST(test_http_rpc_with_bearer_token)
{
    char *token = login_token(&A, "root", "rootpass123");
    const char req[] = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"user.list\",\"params\":{\"limit\":1}}";
    char *body = NULL;
    ck_assert_int_eq(http_post(B.port, "/rpc", token, req, strlen(req), &body), 200);
    json_t *r = json_loads(body, 0, NULL);
    ck_assert_int_eq(wsc_error_code(r), 0);
    ck_assert_int_eq(json_array_size(json_object_get(wsc_result(r), "items")), 1);
    json_decref(r);
    free(body);
    ck_assert_int_eq(http_post(B.port, "/rpc", NULL, req, strlen(req), &body), 200);
    r = json_loads(body, 0, NULL);
    ck_assert_int_eq(wsc_error_code(r), -32001);
    json_decref(r);
    free(body);
    ck_assert_int_eq(http_post(B.port, "/rpc", "0000000000000000000000000000000000000000000000000000000000000000",
                               req, strlen(req), &body), 200);
    r = json_loads(body, 0, NULL);
    ck_assert_int_eq(wsc_error_code(r), -32001);
    json_decref(r);
    free(body);
    const char sub[] = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"subscribe\",\"params\":{\"topics\":[\"user.created\"]}}";
    ck_assert_int_eq(http_post(B.port, "/rpc", token, sub, strlen(sub), &body), 200);
    r = json_loads(body, 0, NULL);
    ck_assert_int_eq(wsc_error_code(r), -32600);
    json_decref(r);
    free(body);
    const char info[] = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"system.info\"}";
    ck_assert_int_eq(http_post(B.port, "/rpc", NULL, info, strlen(info), &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "\"didtron\""));
    free(body);
    ck_assert_int_eq(http_post_chunked(B.port, "/rpc", info, strlen(info), &body), 411);
    free(body);
    ck_assert_int_eq(http_get(B.port, "/rpc", &body), 405);
    free(body);
    ck_assert_int_eq(http_get(B.port, "/nowhere", &body), 404);
    free(body);
    free(token);
}
END_TEST

START_TEST(test_healthz_and_metrics)
{
    char *body = NULL;
    ck_assert_int_eq(http_get(A.port, "/healthz", &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "\"ok\""));
    free(body);
    wsc *c = ws_open(&A);
    json_decref(ok(c, "system.info", NULL));
    ck_assert_int_eq(fails(c, "no.such.method", NULL), -32601);
    ck_assert_int_eq(http_get(A.port, "/metrics", &body), 200);
    ck_assert_ptr_nonnull(strstr(body, "didtron_rpc_requests_total{method=\"system.info\",outcome=\"ok\"}"));
    ck_assert_ptr_nonnull(strstr(body, "didtron_rpc_requests_total{method=\"unknown\",outcome=\"-32601\"}"));
    ck_assert_ptr_nonnull(strstr(body, "didtron_rpc_duration_seconds_bucket{le=\"+Inf\"}"));
    ck_assert_ptr_nonnull(strstr(body, "didtron_db_pool_size 2"));
    ck_assert_ptr_nonnull(strstr(body, "didtron_connections "));
    ck_assert_ptr_null(strstr(body, "didtron_connections 0\n")); /* ours is open */
    free(body);
    wsc_close(c);
}
END_TEST

/* ---- events, audit, lists ---- */

START_TEST(test_events_reach_subscribers_on_another_instance)
{
    wsc *watcher = login(&A, "root", "rootpass123");
    json_t *res = ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "user.created"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(res, "topics"), 0)), "user.created");
    json_decref(res);
    wsc *quiet = login(&A, "root", "rootpass123"); /* not subscribed */
    wsc *actor = login(&B, "root", "rootpass123");
    create_user(actor, "newcomer", "support");
    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *params = json_object_get(ev, "params");
    ck_assert_str_eq(json_string_value(json_object_get(params, "topic")), "user.created");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(params, "data"), "username")), "newcomer");
    json_decref(ev);
    ck_assert_ptr_null(wsc_next_event(quiet, 500));
    ck_assert_int_eq(wsc_pending(watcher), 0); /* delivered once, not twice */
    /* Unsubscribed: no more. */
    json_decref(ok(watcher, "unsubscribe", json_pack("{s:[s]}", "topics", "user.created")));
    create_user(actor, "latecomer", "support");
    ck_assert_ptr_null(wsc_next_event(watcher, 1000));
    ck_assert_int_eq(fails(watcher, "subscribe", json_pack("{s:[s]}", "topics", "no.such.topic")), -32602);
    wsc_close(watcher);
    wsc_close(quiet);
    wsc_close(actor);
}
END_TEST

START_TEST(test_mutations_write_audit_rows_that_cannot_change)
{
    wsc *admin = login(&A, "root", "rootpass123");
    long long id = create_user(admin, "audited", "noc");
    json_decref(ok(admin, "user.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                   "role", "support")));
    char eid[24];
    snprintf(eid, sizeof eid, "%lld", id);
    json_t *list = ok(admin, "audit.list", json_pack("{s:{s:s, s:s}, s:s}", "filter", "entity", "user",
                                                     "entity_id", eid, "sort", "id"));
    json_t *items = json_object_get(list, "items");
    ck_assert_int_eq(json_array_size(items), 2);
    json_t *create = json_array_get(items, 0), *update = json_array_get(items, 1);
    ck_assert_str_eq(json_string_value(json_object_get(create, "action")), "create");
    ck_assert_str_eq(json_string_value(json_object_get(create, "actor")), "root");
    ck_assert(json_is_null(json_object_get(create, "before")));
    ck_assert_str_eq(json_string_value(json_object_get(update, "action")), "update");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(update, "before"), "role")), "noc");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(update, "after"), "role")), "support");
    ck_assert_str_eq(json_string_value(json_object_get(update, "address")), "127.0.0.1");
    json_decref(list);
    /* A refused mutation writes nothing. */
    const char *before = harness_sql("SELECT count(*) FROM audit_log");
    char count[32];
    snprintf(count, sizeof count, "%s", before);
    ck_assert_int_eq(fails(admin, "user.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                           "role", "noc")), -32009);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM audit_log"), count);
    /* The table refuses changes, even from a superuser. */
    PGconn *db = harness_db();
    PGresult *r = PQexec(db, "UPDATE audit_log SET actor_name = 'x'");
    ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    r = PQexec(db, "DELETE FROM audit_log");
    ck_assert_int_eq(PQresultStatus(r), PGRES_FATAL_ERROR);
    PQclear(r);
    PQfinish(db);
    /* Filters by time and actor. */
    list = ok(admin, "audit.list", json_pack("{s:{s:s, s:s}}", "filter", "actor", "root", "from", "2000-01-01T00:00:00Z"));
    ck_assert_int_ge(json_integer_value(json_object_get(list, "total")), 2);
    json_decref(list);
    list = ok(admin, "audit.list", json_pack("{s:{s:s}}", "filter", "to", "2000-01-01T00:00:00Z"));
    ck_assert_int_eq(json_integer_value(json_object_get(list, "total")), 0);
    json_decref(list);
    wsc_close(admin);
}
END_TEST

START_TEST(test_lists_page_with_cursors)
{
    wsc *admin = login(&A, "root", "rootpass123");
    for (int i = 0; i < 5; i++) {
        char name[32];
        snprintf(name, sizeof name, "pager%d", i);
        create_user(admin, name, "support");
    }
    json_t *seen = json_object();
    json_t *cursor = NULL;
    long long total = -1;
    int pages = 0;
    do {
        json_t *p = json_pack("{s:{s:s}, s:i, s:s}", "filter", "q", "pager", "limit", 2, "sort", "-username");
        if (cursor)
            json_object_set(p, "cursor", cursor);
        json_t *page = ok(admin, "user.list", p);
        total = json_integer_value(json_object_get(page, "total"));
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(page, "items"), i, item) {
            const char *u = json_string_value(json_object_get(item, "username"));
            ck_assert_ptr_null(json_object_get(seen, u));
            json_object_set_new(seen, u, json_true());
        }
        json_decref(cursor);
        cursor = json_incref(json_object_get(page, "next_cursor"));
        json_decref(page);
        pages++;
    } while (!json_is_null(cursor) && pages < 10);
    json_decref(cursor);
    ck_assert_int_eq(total, 5);
    ck_assert_int_eq(json_object_size(seen), 5);
    ck_assert_int_eq(pages, 3);
    json_decref(seen);
    ck_assert_int_eq(fails(admin, "user.list", json_pack("{s:s}", "cursor", "garbage")), -32602);
    ck_assert_int_eq(fails(admin, "user.list", json_pack("{s:i}", "limit", 501)), -32602);
    ck_assert_int_eq(fails(admin, "user.list", json_pack("{s:s}", "sort", "password_hash")), -32602);
    ck_assert_int_eq(fails(admin, "user.list", json_pack("{s:{s:s}}", "filter", "role", "emperor")), -32602);
    wsc_close(admin);
}
END_TEST

START_TEST(test_disabling_a_user_ends_its_sessions)
{
    wsc *admin = login(&A, "root", "rootpass123");
    long long id = create_user(admin, "leaver", "support");
    wsc *u = login(&B, "leaver", "password123");
    json_decref(ok(u, "user.get", json_pack("{s:I}", "id", (json_int_t)id)));
    json_decref(ok(admin, "user.update", json_pack("{s:I, s:i, s:b}", "id", (json_int_t)id, "version", 1,
                                                   "disabled", 1)));
    json_t *ev = wsc_next_event(u, T);
    ck_assert_ptr_nonnull(ev);
    json_decref(ev);
    ck_assert_int_eq(fails(u, "user.get", json_pack("{s:I}", "id", (json_int_t)id)), -32001);
    ck_assert_int_eq(fails(u, "auth.login", json_pack("{s:s, s:s}", "username", "leaver", "password", "password123")),
                     -32001);
    wsc_close(u);
    wsc_close(admin);
}
END_TEST

START_TEST(test_password_change_needs_the_current_one)
{
    wsc *admin = login(&A, "root", "rootpass123");
    create_user(admin, "changer", "noc");
    wsc *u = login(&A, "changer", "password123");
    ck_assert_int_eq(fails(u, "user.password", json_pack("{s:s, s:s}", "current_password", "wrong-one",
                                                         "new_password", "newpassword1")), -32602);
    json_decref(ok(u, "user.password", json_pack("{s:s, s:s}", "current_password", "password123",
                                                 "new_password", "newpassword1")));
    wsc_close(login(&A, "changer", "newpassword1"));
    ck_assert_int_eq(fails(u, "user.password", json_pack("{s:i, s:s}", "id", 1, "new_password", "hijacked123")),
                     -32003);
    wsc_close(u);
    wsc_close(admin);
}
END_TEST

/* ---- hostile input ---- */

/* A small deterministic generator so a failure can be replayed. */
static unsigned long long rng_state = 0x9E3779B97F4A7C15ULL;
static unsigned rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state >> 16);
}

START_TEST(test_random_garbage_never_crashes_the_server)
{
    static const char *const seeds[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"auth.login\",\"params\":{\"username\":\"nobody\",\"password\":\"x\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"user.list\",\"params\":{\"filter\":{\"q\":\"a\"},\"limit\":5}}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"subscribe\",\"params\":{\"topics\":[\"user.created\"]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"x\",\"method\":\"user.update\",\"params\":{\"id\":1,\"version\":1}}",
    };
    static const char alphabet[] = "{}[]\",:0123456789-.eE truenullfalse\\u00\xc3\xa9\xff";
    wsc *anon = ws_open(&A);
    wsc *admin = login(&A, "root", "rootpass123");
    char msg[512];
    for (int i = 0; i < 1500; i++) {
        wsc *c = i % 2 ? anon : admin;
        size_t len;
        if (i % 3 == 0) { /* pure noise */
            len = rnd() % 200;
            for (size_t k = 0; k < len; k++)
                msg[k] = (char)(rnd() % 4 ? alphabet[rnd() % (sizeof alphabet - 1)] : (char)rnd());
        } else { /* a valid request with a few bytes changed, cut or doubled */
            const char *seed = seeds[rnd() % 4];
            len = strlen(seed);
            memcpy(msg, seed, len);
            for (int m = 0; m < 1 + (int)(rnd() % 4); m++) {
                size_t at = rnd() % len;
                switch (rnd() % 3) {
                case 0: msg[at] = alphabet[rnd() % (sizeof alphabet - 1)]; break;
                case 1: len = at + 1; break;
                default:
                    if (len * 2 < sizeof msg) {
                        memcpy(msg + len, msg, len);
                        len *= 2;
                    }
                }
            }
        }
        ck_assert_int_eq(wsc_send(c, msg, len), 0);
        /* Drain what came back so far without waiting on notifications. */
        free(wsc_recv(c, 1));
    }
    /* The server still answers both connections (past the garbage's own
     * replies, some of which reuse ids), and health is fine. */
    wsc *both[2] = { anon, admin };
    for (int k = 0; k < 2; k++) {
        const char probe[] = "{\"jsonrpc\":\"2.0\",\"id\":\"after-garbage\",\"method\":\"system.info\"}";
        ck_assert_int_eq(wsc_send(both[k], probe, strlen(probe)), 0);
        bool answered = false;
        for (int n = 0; n < 5000 && !answered; n++) {
            char *m = wsc_recv(both[k], T);
            ck_assert_ptr_nonnull(m);
            answered = strstr(m, "\"after-garbage\"") && strstr(m, "\"result\"");
            free(m);
        }
        ck_assert(answered);
    }
    ck_assert(!wsc_is_closed(anon, NULL) && !wsc_is_closed(admin, NULL));
    char *body = NULL;
    ck_assert_int_eq(http_get(A.port, "/healthz", &body), 200);
    free(body);
    wsc_close(anon);
    wsc_close(admin);
}
END_TEST

/* ---- the database ---- */

START_TEST(test_database_failure_is_an_internal_error_and_the_server_recovers)
{
    test_server C;
    const char *one_worker[] = { "--workers", "1", NULL };
    ck_assert(server_start(&C, "gamma", one_worker));
    wsc *admin = login(&C, "root", "rootpass123");
    json_decref(ok(admin, "user.list", NULL));
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                              " WHERE application_name = 'didtrond/gamma' AND datname = current_database()");
    harness_sql(sql);
    /* The first call finds its connection gone: a clean -32603. */
    int code = fails(admin, "user.list", NULL);
    ck_assert_int_eq(code, -32603);
    /* The worker reconnects; the next call works. */
    json_decref(ok(admin, "user.list", NULL));
    wsc_close(admin);
    /* gamma's listener lost its connection too; it must still stop cleanly. */
    ck_assert_int_eq(server_stop(&C, 20000), 0);
    /* The others noticed nothing of it besides their own reconnects. */
    wsc *a = login(&A, "root", "rootpass123");
    json_decref(ok(a, "user.list", NULL));
    wsc_close(a);
}
END_TEST

START_TEST(test_migrations_are_idempotent_and_a_failed_one_changes_nothing)
{
    const char *args[] = { "migrate", "--database", harness_conninfo(), NULL };
    ck_assert_int_eq(didtrond_run(args, NULL), 0);
    ck_assert_int_eq(didtrond_run(args, NULL), 0);
    const char *n = harness_sql("SELECT count(*) FROM schema_migrations");
    ck_assert_int_ge(atoi(n), 1);
    char before[16];
    snprintf(before, sizeof before, "%s", n);
    /* A schema dir with one more, broken, migration. */
    char dir[] = "/tmp/didtron-schema-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/*.sql %s/ && printf '%s' > %s/9999_broken.sql", DIDTRON_SCHEMA_DIR, dir,
             "CREATE TABLE half_done (x int);\\nSELECT no_such_function();\\n", dir);
    ck_assert_int_eq(system(cmd), 0);
    const char *bad[] = { "migrate", "--database", harness_conninfo(), "--schema-dir", dir, NULL };
    ck_assert_int_ne(didtrond_run(bad, NULL), 0);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM schema_migrations"), before);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'"), "0");
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(test_demo_password_is_refused_outside_demo_mode)
{
    /* On this database: create a demo admin through a demo start, then try
     * to start the same database without --demo. */
    test_server D;
    const char *demo[] = { "--demo", NULL };
    ck_assert(server_start(&D, "demo", demo));
    wsc *da = login(&D, "admin", "admin");
    /* The demo network: 8 customers, 6 suppliers, 2 bilateral, with their parts. */
    static const struct { const char *type; long long n; } want[] = {
        { "customer", 8 }, { "supplier", 6 }, { "bilateral", 2 },
    };
    for (int i = 0; i < 3; i++) {
        json_t *list = ok(da, "carrier.list", json_pack("{s:{s:s}}", "filter", "type", want[i].type));
        ck_assert_int_eq(jint(list, "total"), want[i].n);
        json_decref(list);
    }
    json_t *svc = ok(da, "service.list", NULL);
    ck_assert_int_eq(jint(svc, "total"), 10);
    json_decref(svc);
    ck_assert_int_ge(atoll(harness_sql("SELECT count(*) FROM carrier_contacts")), 16);
    ck_assert_int_ge(atoll(harness_sql("SELECT count(*) FROM credit_alerts")), 10);
    ck_assert_str_ne(harness_sql("SELECT min(customer_account_number || supplier_account_number) FROM carriers"), "");
    wsc_close(da);
    /* A second demo start adds nothing. */
    ck_assert_int_eq(server_stop(&D, 20000), 0);
    ck_assert(server_start(&D, "demo", demo));
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM carriers"), "16");
    ck_assert_int_eq(server_stop(&D, 20000), 0);
    test_server E;
    ck_assert(!server_start(&E, "strict", NULL)); /* it exits instead */
    /* With the password changed it starts. */
    wsc *admin = login(&A, "root", "rootpass123");
    long long id = atoll(harness_sql("SELECT id FROM users WHERE username = 'admin'"));
    json_decref(ok(admin, "user.password", json_pack("{s:I, s:s}", "id", (json_int_t)id, "new_password",
                                                     "a-real-password")));
    wsc_close(admin);
    ck_assert(server_start(&E, "strict", NULL));
    ck_assert_int_eq(server_stop(&E, 20000), 0);
}
END_TEST

START_TEST(test_sigterm_finishes_in_flight_requests)
{
    test_server F;
    ck_assert(server_start(&F, "phi", NULL));
    wsc *c = ws_open(&F);
    long long ids[4];
    /* Logins cost a scrypt each: still running when SIGTERM lands. */
    for (int i = 0; i < 4; i++)
        ids[i] = wsc_send_request(c, "auth.login", json_pack("{s:s, s:s}", "username", "root", "password", "rootpass123"));
    usleep(20000);
    kill(F.pid, SIGTERM);
    for (int i = 0; i < 4; i++) {
        json_t *r = wsc_wait_response(c, ids[i], T);
        ck_assert_msg(r != NULL, "request %d lost in shutdown", i);
        json_decref(r);
    }
    ck_assert_int_eq(server_stop(&F, 20000), 0);
    wsc_close(c);
}
END_TEST

int main(void)
{
    setup();
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("server");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_system_info_answers_without_login);
    tcase_add_test(tc, test_login_with_right_password_returns_token_and_user);
    tcase_add_test(tc, test_login_with_wrong_password_is_refused);
    tcase_add_test(tc, test_failed_logins_are_rate_limited_per_username);
    tcase_add_test(tc, test_resume_binds_an_existing_session_and_logout_ends_it_everywhere);
    tcase_add_test(tc, test_unknown_method_is_method_not_found);
    tcase_add_test(tc, test_parse_error_keeps_the_connection_open);
    tcase_add_test(tc, test_malformed_envelopes_are_invalid_requests);
    tcase_add_test(tc, test_notification_gets_no_reply);
    tcase_add_test(tc, test_invalid_params_name_every_bad_field);
    tcase_add_test(tc, test_every_method_needing_a_role_refuses_anonymous_callers);
    tcase_add_test(tc, test_role_without_permission_is_forbidden);
    tcase_add_test(tc, test_support_staff_list_the_agents_a_ticket_can_go_to);
    tcase_add_test(tc, test_missing_record_is_not_found);
    tcase_add_test(tc, test_stale_version_and_duplicate_name_are_conflicts);
    tcase_add_test(tc, test_oversize_frame_closes_only_that_connection);
    tcase_add_test(tc, test_wrong_path_or_subprotocol_is_refused);
    tcase_add_test(tc, test_http_rpc_with_bearer_token);
    tcase_add_test(tc, test_healthz_and_metrics);
    tcase_add_test(tc, test_events_reach_subscribers_on_another_instance);
    tcase_add_test(tc, test_mutations_write_audit_rows_that_cannot_change);
    tcase_add_test(tc, test_lists_page_with_cursors);
    tcase_add_test(tc, test_disabling_a_user_ends_its_sessions);
    tcase_add_test(tc, test_password_change_needs_the_current_one);
    tcase_add_test(tc, test_random_garbage_never_crashes_the_server);
    tcase_add_test(tc, test_migrations_are_idempotent_and_a_failed_one_changes_nothing);
    tcase_add_test(tc, test_demo_password_is_refused_outside_demo_mode);
    tcase_add_test(tc, test_sigterm_finishes_in_flight_requests);
    tcase_add_test(tc, test_database_failure_is_an_internal_error_and_the_server_recovers);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    teardown();
    return failed;
}
