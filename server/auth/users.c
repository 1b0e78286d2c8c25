/*
 * users.c: user.create, user.get, user.list, user.update, user.password.
 *
 * Rules: only a super_admin creates, changes or resets a super_admin; a
 * customer user is bound to exactly one carrier and staff to none; the last
 * enabled super_admin cannot be disabled or demoted; disabling a user or
 * changing its role or carrier ends its sessions on every instance.
 */
#include "auth.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "../audit/audit.h"
#include "../events/events.h"
#include "../rpc/list.h"

#define USER_JSON \
    "json_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name," \
    " 'email', u.email, 'role', u.role, 'carrier_id', u.carrier_id, 'disabled', u.disabled," \
    " 'version', u.version," \
    " 'created_at', to_char(u.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
    " 'updated_at', to_char(u.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')," \
    " 'last_login_at', to_char(u.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"

static const char *const role_names[] = { "super_admin", "admin", "noc", "support", "customer", NULL };

/* The user as JSON (new reference), or NULL with the error set. */
static json_t *load_user(rpc_call *c, const char *id)
{
    PGresult *r = rpc_query(c, "SELECT " USER_JSON "::text FROM users u WHERE u.id = $1", 1, id);
    if (!r)
        return NULL;
    json_t *u = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!u)
        rpc_fail(c, RPC_NOT_FOUND, "no user %s", id);
    return u;
}

static bool username_ok(const char *s)
{
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && !strchr("._@-", *s))
            return false;
    return true;
}

static int check_carrier_binding(rpc_call *c, const char *role_text, json_t *carrier)
{
    bool customer = !strcmp(role_text, "customer");
    bool has = carrier && !json_is_null(carrier);
    if (customer && !has)
        return rpc_field_error(c, "carrier_id", "is required for a customer user");
    if (!customer && has)
        return rpc_field_error(c, "carrier_id", "only customer users belong to a carrier");
    return 0;
}

static int event_and_audit(rpc_call *c, const char *action, const char *topic, long long id,
                           json_t *before, json_t *after)
{
    if (audit_record(c, action, "user", id, before, after))
        return -1;
    json_t *ev = json_pack("{s:I, s:O, s:O, s:O}", "id", (json_int_t)id,
                           "username", json_object_get(after, "username"),
                           "role", json_object_get(after, "role"),
                           "version", json_object_get(after, "version"));
    int rc = rpc_emit(c, topic, ev, 0);
    json_decref(ev);
    return rc;
}

static int user_create(rpc_call *c)
{
    const char *username = rpc_str(c, "username");
    const char *role_text = rpc_str(c, "role");
    json_t *carrier = json_object_get(c->params, "carrier_id");
    if (!username_ok(username))
        rpc_field_error(c, "username", "may hold only letters, digits and . _ @ -");
    check_carrier_binding(c, role_text, carrier);
    if (c->err_code)
        return -1;
    if (role_parse(role_text) == ROLE_SUPER_ADMIN && c->session->role != ROLE_SUPER_ADMIN)
        return rpc_fail(c, RPC_FORBIDDEN, "only a super_admin can create a super_admin");

    char hash[PASSWORD_HASH_MAX], carrier_text[24];
    if (password_hash(rpc_str(c, "password"), hash, sizeof hash))
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (json_is_integer(carrier))
        snprintf(carrier_text, sizeof carrier_text, "%lld", (long long)json_integer_value(carrier));
    const char *display = rpc_str(c, "display_name");
    const char *email = rpc_str(c, "email");
    PGresult *r = rpc_query(c,
        "INSERT INTO users (username, display_name, email, role, carrier_id, password_hash)"
        " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        6, username, display ? display : "", email ? email : "", role_text,
        json_is_integer(carrier) ? carrier_text : NULL, hash);
    if (!r) {
        if (c->err_code == RPC_CONFLICT)
            rpc_fail(c, RPC_CONFLICT, "a user named %s already exists", username);
        return -1;
    }
    char id[24];
    snprintf(id, sizeof id, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
    json_t *u = load_user(c, id);
    if (!u)
        return -1;
    if (event_and_audit(c, "create", "user.created", atoll(id), NULL, u)) {
        json_decref(u);
        return -1;
    }
    c->result = u;
    return 0;
}

static int user_get(rpc_call *c)
{
    char id[24];
    snprintf(id, sizeof id, "%lld", rpc_int(c, "id", 0));
    if (c->session->role == ROLE_CUSTOMER && rpc_int(c, "id", 0) != c->session->user_id)
        return rpc_fail(c, RPC_NOT_FOUND, "no user %s", id);
    c->result = load_user(c, id);
    return c->result ? 0 : -1;
}

static const list_sort user_sorts[] = {
    { "id", "u.id", LIST_INT },
    { "username", "lower(u.username)", LIST_TEXT },
    { "role", "u.role", LIST_TEXT },
    { "created_at", "u.created_at", LIST_TIME },
    { NULL, NULL, 0 },
};

static const list_filter user_filters[] = {
    { "role", "u.role", LIST_TEXT, LIST_EQ, role_names },
    { "disabled", "u.disabled", LIST_BOOL, LIST_EQ, NULL },
    { "carrier_id", "u.carrier_id", LIST_INT, LIST_EQ, NULL },
    { "q", "u.username || ' ' || u.display_name || ' ' || u.email", LIST_TEXT, LIST_SEARCH, NULL },
    { NULL, NULL, 0, 0, NULL },
};

static const list_spec user_list_spec = {
    .item_sql = USER_JSON,
    .from_sql = "users u",
    .id_sql = "u.id",
    .sorts = user_sorts,
    .default_sort = "username",
    .filters = user_filters,
};

static int user_list(rpc_call *c)
{
    return rpc_list(c, &user_list_spec, NULL, NULL);
}

static int count_enabled_super_admins(rpc_call *c, long long *n)
{
    PGresult *r = rpc_query(c, "SELECT count(*) FROM users WHERE role = 'super_admin' AND NOT disabled", 0);
    if (!r)
        return -1;
    *n = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

static int user_update(rpc_call *c)
{
    char id[24], version[24];
    snprintf(id, sizeof id, "%lld", rpc_int(c, "id", 0));
    snprintf(version, sizeof version, "%lld", rpc_int(c, "version", 0));
    /* Lock the row: the version check and the write are one step. */
    PGresult *r = rpc_query(c, "SELECT version, role FROM users WHERE id = $1 FOR UPDATE", 1, id);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no user %s", id);
    }
    long long current = atoll(PQgetvalue(r, 0, 0));
    role old_role = role_parse(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (current != rpc_int(c, "version", 0))
        return rpc_conflict_version(c, current);
    json_t *before = load_user(c, id);
    if (!before)
        return -1;

    const char *new_role = rpc_str(c, "role");
    json_t *carrier = json_object_get(c->params, "carrier_id");
    bool has_disabled = json_is_boolean(json_object_get(c->params, "disabled"));
    bool disable = rpc_bool(c, "disabled", false);
    const char *role_after = new_role ? new_role : role_name(old_role);
    json_t *carrier_after = carrier ? carrier : json_object_get(before, "carrier_id");
    int rc = -1;

    if (c->session->role != ROLE_SUPER_ADMIN &&
        (old_role == ROLE_SUPER_ADMIN || role_parse(role_after) == ROLE_SUPER_ADMIN)) {
        rpc_fail(c, RPC_FORBIDDEN, "only a super_admin can change a super_admin");
        goto out;
    }
    if (check_carrier_binding(c, role_after, carrier_after))
        goto out;
    if (old_role == ROLE_SUPER_ADMIN && ((new_role && role_parse(new_role) != ROLE_SUPER_ADMIN) ||
                                         (has_disabled && disable))) {
        long long n;
        if (count_enabled_super_admins(c, &n))
            goto out;
        if (n <= 1 && !json_is_true(json_object_get(before, "disabled"))) {
            rpc_fail(c, RPC_CONFLICT, "the last enabled super_admin cannot be disabled or demoted");
            goto out;
        }
    }
    char carrier_text[24];
    if (json_is_integer(carrier_after))
        snprintf(carrier_text, sizeof carrier_text, "%lld", (long long)json_integer_value(carrier_after));
    r = rpc_query(c,
        "UPDATE users SET role = $2, carrier_id = $3, disabled = coalesce($4::boolean, disabled),"
        " display_name = coalesce($5, display_name), email = coalesce($6, email),"
        " version = version + 1, updated_at = now() WHERE id = $1",
        6, id, role_after, json_is_integer(carrier_after) ? carrier_text : NULL,
        has_disabled ? (disable ? "true" : "false") : NULL,
        rpc_str(c, "display_name"), rpc_str(c, "email"));
    if (!r)
        goto out;
    PQclear(r);
    json_t *after = load_user(c, id);
    if (!after)
        goto out;
    bool access_changed = !json_equal(json_object_get(before, "role"), json_object_get(after, "role")) ||
                          !json_equal(json_object_get(before, "carrier_id"), json_object_get(after, "carrier_id")) ||
                          (json_is_true(json_object_get(after, "disabled")) &&
                           !json_is_true(json_object_get(before, "disabled")));
    if (access_changed) {
        r = rpc_query(c, "UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL", 1, id);
        if (!r || rpc_revoke_sessions(c, atoll(id), 0)) {
            PQclear(r);
            json_decref(after);
            goto out;
        }
        PQclear(r);
    }
    if (event_and_audit(c, "update", "user.updated", atoll(id), before, after)) {
        json_decref(after);
        goto out;
    }
    c->result = after;
    rc = 0;
out:
    json_decref(before);
    return rc;
}

static int user_password(rpc_call *c)
{
    long long target = rpc_int(c, "id", c->session->user_id);
    bool self = target == c->session->user_id;
    char id[24];
    snprintf(id, sizeof id, "%lld", target);
    if (!self && !(c->session->role & ROLES_ADMIN))
        return rpc_fail(c, RPC_FORBIDDEN, "you may change only your own password");
    PGresult *r = rpc_query(c, "SELECT password_hash, role FROM users WHERE id = $1 FOR UPDATE", 1, id);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no user %s", id);
    }
    bool target_super = role_parse(PQgetvalue(r, 0, 1)) == ROLE_SUPER_ADMIN;
    bool current_ok = self && password_verify(rpc_str(c, "current_password") ? rpc_str(c, "current_password") : "",
                                              PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!self && target_super && c->session->role != ROLE_SUPER_ADMIN)
        return rpc_fail(c, RPC_FORBIDDEN, "only a super_admin can reset a super_admin's password");
    if (self && c->session->session_id && !current_ok)
        return rpc_field_error(c, "current_password", "does not match");
    char hash[PASSWORD_HASH_MAX], sid[24];
    if (password_hash(rpc_str(c, "new_password"), hash, sizeof hash))
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    snprintf(sid, sizeof sid, "%lld", self ? c->session->session_id : 0LL);
    r = rpc_query(c, "UPDATE users SET password_hash = $2, version = version + 1, updated_at = now()"
                     " WHERE id = $1", 2, id, hash);
    if (!r)
        return -1;
    PQclear(r);
    /* Every other session of the user ends; the caller's own stays. */
    r = rpc_query(c, "UPDATE sessions SET revoked_at = now()"
                     " WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id", 2, id, sid);
    if (!r)
        return -1;
    for (int i = 0; i < PQntuples(r); i++) {
        if (rpc_revoke_sessions(c, target, atoll(PQgetvalue(r, i, 0)))) {
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);
    json_t *note = json_pack("{s:b}", "password_changed", 1);
    int rc = audit_record(c, "password", "user", target, NULL, note);
    json_decref(note);
    if (rc)
        return -1;
    c->result = json_object();
    return 0;
}

/* user.agents {q?}: the staff users a ticket can be given to — who
 * support staff pick from without user.list (admins only). Enabled staff
 * (support, noc, admin, super_admin), by username; q matches the
 * username or display name (case-insensitive, contains). At most 500. */
static int user_agents(rpc_call *c)
{
    const char *q = rpc_str(c, "q");
    PGresult *r = rpc_query(c,
        "SELECT coalesce(json_agg(json_build_object('id', u.id, 'username', u.username, 'display_name', u.display_name,"
        " 'role', u.role) ORDER BY lower(u.username)), '[]')::text FROM (SELECT * FROM users u"
        " WHERE u.role <> 'customer' AND NOT u.disabled"
        "   AND ($1 = '' OR strpos(lower(u.username || ' ' || u.display_name), lower($1)) > 0)"
        " ORDER BY lower(u.username) LIMIT 500) u",
        1, q ? q : "");
    if (!r)
        return -1;
    json_t *items = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!items)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    c->result = json_pack("{s:o}", "items", items);
    return 0;
}

static const rpc_field agents_params[] = {
    { "q", F_STRING, 0, 0, 64, NULL },
    { NULL },
};

static const rpc_field create_params[] = {
    { "username", F_STRING, F_REQUIRED, 1, 64, NULL },
    { "password", F_STRING, F_REQUIRED, 8, 1024, NULL },
    { "role", F_ENUM, F_REQUIRED, 0, 0, role_names },
    { "carrier_id", F_ID, F_NULLABLE, 0, 0, NULL },
    { "display_name", F_STRING, 0, 0, 128, NULL },
    { "email", F_STRING, 0, 0, 254, NULL },
    { NULL },
};

static const rpc_field id_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL },
    { NULL },
};

static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field update_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "version", F_INT, F_REQUIRED, 1, 0, NULL },
    { "role", F_ENUM, 0, 0, 0, role_names },
    { "carrier_id", F_ID, F_NULLABLE, 0, 0, NULL },
    { "disabled", F_BOOL, 0, 0, 0, NULL },
    { "display_name", F_STRING, 0, 0, 128, NULL },
    { "email", F_STRING, 0, 0, 254, NULL },
    { NULL },
};

static const rpc_field password_params[] = {
    { "id", F_ID, 0, 0, 0, NULL },
    { "current_password", F_STRING, 0, 0, 1024, NULL },
    { "new_password", F_STRING, F_REQUIRED, 8, 1024, NULL },
    { NULL },
};

const rpc_method user_methods[] = {
    { "user.create", user_create, ROLES_ADMIN, RPC_MUTATES, create_params },
    { "user.get", user_get, ROLES_ANY, 0, id_params },
    { "user.list", user_list, ROLES_ADMIN, 0, list_params },
    { "user.agents", user_agents, ROLES_STAFF, 0, agents_params },
    { "user.update", user_update, ROLES_ADMIN, RPC_MUTATES, update_params },
    { "user.password", user_password, ROLES_ANY, RPC_MUTATES, password_params },
    { NULL },
};
