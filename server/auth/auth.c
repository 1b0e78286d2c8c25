/*
 * auth.c: auth.login, auth.resume, auth.logout, session lookup, login
 * throttling and the demo admin.
 */
#include "auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "secret.h"
#include "../audit/audit.h"
#include "../events/events.h"

#define DEMO_PASSWORD "admin"

static const char session_sql[] =
    "SELECT s.id, u.id, u.username, u.role, coalesce(u.carrier_id, 0),"
    " extract(epoch FROM s.expires_at)::bigint, s.token_hash"
    " FROM sessions s JOIN users u ON u.id = s.user_id"
    " WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled";

static void fill_session(PGresult *r, rpc_session *out)
{
    memset(out, 0, sizeof *out);
    out->session_id = atoll(PQgetvalue(r, 0, 0));
    out->user_id = atoll(PQgetvalue(r, 0, 1));
    snprintf(out->username, sizeof out->username, "%s", PQgetvalue(r, 0, 2));
    out->role = role_parse(PQgetvalue(r, 0, 3));
    out->carrier_id = atoll(PQgetvalue(r, 0, 4));
    out->expires_at = atoll(PQgetvalue(r, 0, 5));
    snprintf(out->actor_kind, sizeof out->actor_kind, "user");
}

int auth_session_lookup(PGconn *db, const char *token, rpc_session *out)
{
    if (!token_well_formed(token))
        return -1;
    char hash[65];
    token_hash(token, hash);
    const char *p[1] = { hash };
    PGresult *r = PQexecParams(db, session_sql, 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("session lookup: %s", PQresultErrorMessage(r));
        PQclear(r);
        return -2;
    }
    int rc = -1;
    if (PQntuples(r) == 1 && token_matches(token, PQgetvalue(r, 0, 6))) {
        fill_session(r, out);
        rc = 0;
    }
    PQclear(r);
    return rc;
}

void auth_system_session(rpc_session *s, const char *name)
{
    memset(s, 0, sizeof *s);
    s->role = ROLE_SUPER_ADMIN;
    snprintf(s->username, sizeof s->username, "%s", name);
    snprintf(s->actor_kind, sizeof s->actor_kind, "system");
}

static json_t *session_result(const char *token, const rpc_session *s, const char *expires)
{
    return json_pack("{s:s, s:{s:I, s:s, s:s, s:o}, s:s}", "token", token,
                     "user", "id", (json_int_t)s->user_id, "username", s->username,
                     "role", role_name(s->role),
                     "carrier_id", s->carrier_id ? json_integer(s->carrier_id) : json_null(),
                     "expires_at", expires);
}

/* Failures in the window for one key; fills retry_after_ms when over max. */
static int throttled(rpc_call *c, const char *sql, const char *key, int max, long long *retry_ms)
{
    char window[16];
    snprintf(window, sizeof window, "%d", c->cfg->login_window_seconds);
    PGresult *r = rpc_query(c, sql, 2, key, window);
    if (!r)
        return -1;
    long long n = atoll(PQgetvalue(r, 0, 0));
    long long left_ms = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (n >= max) {
        *retry_ms = left_ms > 0 ? left_ms : 1000;
        return 1;
    }
    return 0;
}

static int refuse_throttled(rpc_call *c, long long retry_ms)
{
    rpc_fail(c, RPC_RATE_LIMITED, "too many failed logins, try again later");
    json_decref(c->err_data);
    c->err_data = json_pack("{s:I}", "retry_after_ms", (json_int_t)retry_ms);
    return -1;
}

static int auth_login(rpc_call *c)
{
    const char *username = rpc_str(c, "username");
    const char *password = rpc_str(c, "password");
    const char *peer = c->peer ? c->peer : "";
    long long retry_ms = 0;
    int t;

    static const char by_user[] =
        "SELECT count(*), coalesce(ceil(extract(epoch FROM (min(at) + make_interval(secs => $2::int)"
        " - now())) * 1000), 0)::bigint FROM login_failures"
        " WHERE lower(username) = lower($1) AND at > now() - make_interval(secs => $2::int)";
    static const char by_addr[] =
        "SELECT count(*), coalesce(ceil(extract(epoch FROM (min(at) + make_interval(secs => $2::int)"
        " - now())) * 1000), 0)::bigint FROM login_failures"
        " WHERE address = $1 AND at > now() - make_interval(secs => $2::int)";
    if ((t = throttled(c, by_user, username, c->cfg->login_max_per_user, &retry_ms)) != 0)
        return t < 0 ? -1 : refuse_throttled(c, retry_ms);
    if ((t = throttled(c, by_addr, peer, c->cfg->login_max_per_address, &retry_ms)) != 0)
        return t < 0 ? -1 : refuse_throttled(c, retry_ms);

    PGresult *r = rpc_query(c,
        "SELECT id, username, role, coalesce(carrier_id, 0), password_hash, disabled"
        " FROM users WHERE lower(username) = lower($1)", 1, username);
    if (!r)
        return -1;
    bool found = PQntuples(r) == 1;
    /* Unknown users cost the same scrypt as known ones. */
    static const char dummy[] = "scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    bool ok = password_verify(password, found ? PQgetvalue(r, 0, 4) : dummy) && found &&
              strcmp(PQgetvalue(r, 0, 5), "f") == 0;
    if (!ok) {
        PQclear(r);
        PGresult *f = rpc_query(c, "INSERT INTO login_failures (username, address) VALUES ($1, $2)",
                                2, username, peer);
        if (!f)
            return -1;
        PQclear(f);
        return rpc_fail(c, RPC_NOT_AUTHENTICATED, "wrong username or password");
    }
    rpc_session s = { 0 };
    s.user_id = atoll(PQgetvalue(r, 0, 0));
    snprintf(s.username, sizeof s.username, "%s", PQgetvalue(r, 0, 1));
    s.role = role_parse(PQgetvalue(r, 0, 2));
    s.carrier_id = atoll(PQgetvalue(r, 0, 3));
    snprintf(s.actor_kind, sizeof s.actor_kind, "user");
    PQclear(r);

    char token[65], hash[65], uid[24], ttl[16];
    if (token_new(token, hash))
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    snprintf(uid, sizeof uid, "%lld", s.user_id);
    snprintf(ttl, sizeof ttl, "%d", c->cfg->session_ttl_seconds);
    if (rpc_begin(c))
        return -1;
    r = rpc_query(c,
        "INSERT INTO sessions (user_id, token_hash, address, expires_at)"
        " VALUES ($1, $2, $3, now() + make_interval(secs => $4::int))"
        " RETURNING id, extract(epoch FROM expires_at)::bigint,"
        " to_char(expires_at, 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", 4, uid, hash, peer, ttl);
    if (!r)
        goto fail;
    s.session_id = atoll(PQgetvalue(r, 0, 0));
    s.expires_at = atoll(PQgetvalue(r, 0, 1));
    char expires[40];
    snprintf(expires, sizeof expires, "%s", PQgetvalue(r, 0, 2));
    PQclear(r);
    r = rpc_query(c, "UPDATE users SET last_login_at = now() WHERE id = $1", 1, uid);
    if (!r)
        goto fail;
    PQclear(r);
    /* The audit row names the user who logged in. */
    const rpc_session *caller = c->session;
    c->session = &s;
    json_t *after = json_pack("{s:I}", "session_id", (json_int_t)s.session_id);
    int a = audit_record(c, "login", "user", s.user_id, NULL, after);
    json_decref(after);
    c->session = caller;
    if (a || rpc_commit(c))
        goto fail;
    r = rpc_query(c, "DELETE FROM login_failures WHERE lower(username) = lower($1)", 1, username);
    PQclear(r);
    c->result = session_result(token, &s, expires);
    c->session_change = SESSION_SET;
    c->new_session = s;
    return 0;
fail:
    rpc_rollback(c);
    return -1;
}

static int auth_resume(rpc_call *c)
{
    const char *token = rpc_str(c, "token");
    rpc_session s;
    int rc = c->db ? auth_session_lookup(c->db, token, &s) : -2;
    if (rc == -2)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (rc)
        return rpc_fail(c, RPC_NOT_AUTHENTICATED, "the session has expired or was ended");
    char expires[40];
    time_t t = (time_t)s.expires_at;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(expires, sizeof expires, "%Y-%m-%dT%H:%M:%SZ", &tm);
    c->result = session_result(token, &s, expires);
    c->session_change = SESSION_SET;
    c->new_session = s;
    return 0;
}

static int auth_logout(rpc_call *c)
{
    char sid[24];
    snprintf(sid, sizeof sid, "%lld", c->session->session_id);
    PGresult *r = rpc_query(c, "UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL",
                            1, sid);
    if (!r)
        return -1;
    PQclear(r);
    if (audit_record(c, "logout", "user", c->session->user_id, NULL, NULL) ||
        rpc_revoke_sessions(c, c->session->user_id, c->session->session_id))
        return -1;
    c->result = json_object();
    c->session_change = SESSION_CLEAR;
    return 0;
}

int auth_demo_password_in_use(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT password_hash FROM users"
                             " WHERE NOT disabled AND role IN ('super_admin', 'admin')");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        PQclear(r);
        return -1;
    }
    int found = 0;
    for (int i = 0; i < PQntuples(r) && !found; i++)
        found = password_verify(DEMO_PASSWORD, PQgetvalue(r, i, 0));
    PQclear(r);
    return found;
}

int auth_demo_seed(PGconn *db, char *err, size_t errlen)
{
    char hash[PASSWORD_HASH_MAX];
    if (password_hash(DEMO_PASSWORD, hash, sizeof hash)) {
        snprintf(err, errlen, "cannot hash the demo password");
        return -1;
    }
    const char *p[1] = { hash };
    PGresult *r = PQexecParams(db,
        "INSERT INTO users (username, display_name, role, password_hash)"
        " SELECT 'admin', 'Demo administrator', 'super_admin', $1"
        " WHERE NOT EXISTS (SELECT 1 FROM users WHERE lower(username) = 'admin')",
        1, NULL, p, NULL, NULL, 0);
    int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    else if (atoi(PQcmdTuples(r)) > 0)
        log_info("demo: created user admin / password admin");
    PQclear(r);
    return rc;
}

static const rpc_field login_params[] = {
    { "username", F_STRING, F_REQUIRED, 1, 64, NULL },
    { "password", F_STRING, F_REQUIRED, 1, 1024, NULL },
    { NULL },
};

static const rpc_field resume_params[] = {
    { "token", F_STRING, F_REQUIRED, 1, 128, NULL },
    { NULL },
};

static const rpc_field no_params[] = { { NULL } };

const rpc_method auth_methods[] = {
    { "auth.login", auth_login, 0, 0, login_params },
    { "auth.resume", auth_resume, 0, 0, resume_params },
    { "auth.logout", auth_logout, ROLES_ANY, RPC_MUTATES, no_params },
    { NULL },
};
