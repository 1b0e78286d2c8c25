#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "../audit/audit.h"

#define MAX_COLS 48

/* "$n" wrapped for the column's type: pre, then $n, then post. */
static void placeholder(strbuf *sql, col_kind k, int n)
{
    static const char *const post[] = {
        [COL_TEXT] = "::text", [COL_INT] = "::integer", [COL_BIGINT] = "::bigint",
        [COL_MONEY] = "::numeric(20,6)", [COL_NUMBER] = "::double precision", [COL_BOOL] = "::boolean",
        [COL_JSONB] = "::jsonb",
        [COL_JSONB_MERGE] = "::jsonb",
        [COL_TEXT_ARRAY] = "::jsonb))", [COL_TIME] = "::time",
    };
    sb_printf(sql, "%s$%d%s", k == COL_TEXT_ARRAY ? "ARRAY(SELECT jsonb_array_elements_text(" : "", n, post[k]);
}

const char *record_param(json_t *v, col_kind kind, char *buf, size_t n, char **owned)
{
    *owned = NULL;
    if (!v || json_is_null(v))
        return NULL;
    if (kind == COL_JSONB || kind == COL_JSONB_MERGE || kind == COL_TEXT_ARRAY || json_is_object(v) ||
        json_is_array(v)) {
        *owned = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        return *owned;
    }
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(buf, n, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
    else
        snprintf(buf, n, "%s", "");
    return buf;
}

/* Fill params/columns from values; returns the count or -1. */
static int collect(const record_spec *s, json_t *values, const char **params, char vals[][32], char **owned,
                   const record_column **cols, int start)
{
    int n = start;
    for (const record_column *col = s->columns; col->field; col++) {
        json_t *v = json_object_get(values, col->field);
        if (!v)
            continue;
        if (n >= MAX_COLS)
            return -1;
        params[n] = record_param(v, col->kind, vals[n], sizeof vals[n], &owned[n]);
        cols[n] = col;
        n++;
    }
    return n;
}

static void free_owned(char **owned, int n)
{
    for (int i = 0; i < n; i++)
        free(owned[i]);
}

long long record_insert(rpc_call *c, const record_spec *s, json_t *values,
                        const char *const *extra_cols, const char *const *extra_vals, int n_extra)
{
    const char *params[MAX_COLS];
    char vals[MAX_COLS][32];
    char *owned[MAX_COLS] = { 0 };
    const record_column *cols[MAX_COLS];
    int n = collect(s, values, params, vals, owned, cols, 0);
    long long id = -1;
    strbuf sql = { 0 };
    if (n < 0 || n + n_extra > MAX_COLS) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    sb_printf(&sql, "INSERT INTO %s (", s->table);
    for (int i = 0; i < n; i++)
        sb_printf(&sql, "%s%s", i ? ", " : "", cols[i]->column);
    for (int i = 0; i < n_extra; i++)
        sb_printf(&sql, "%s%s", n + i ? ", " : "", extra_cols[i]);
    sb_printf(&sql, ") VALUES (");
    for (int i = 0; i < n; i++) {
        sb_printf(&sql, "%s", i ? ", " : "");
        placeholder(&sql, cols[i]->kind, i + 1);
    }
    for (int i = 0; i < n_extra; i++) {
        params[n + i] = extra_vals[i];
        sb_printf(&sql, "%s$%d", n + i ? ", " : "", n + i + 1);
    }
    sb_printf(&sql, ") RETURNING id");
    if (sql.oom) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    PGresult *r = rpc_queryv(c, sql.buf, n + n_extra, params);
    if (r) {
        id = atoll(PQgetvalue(r, 0, 0));
        PQclear(r);
    }
out:
    free_owned(owned, MAX_COLS);
    free(sql.buf);
    return id;
}

json_t *record_get(rpc_call *c, const record_spec *s, long long id, const char *scope_sql, const char *scope_value)
{
    char idt[24], sql[4096];
    snprintf(idt, sizeof idt, "%lld", id);
    snprintf(sql, sizeof sql, "SELECT (%s)::text FROM %s t WHERE t.id = $1 AND t.deleted_at IS NULL%s%s%s",
             s->json_sql, s->table, scope_sql ? " AND (" : "", scope_sql ? scope_sql : "", scope_sql ? ")" : "");
    PGresult *r = scope_sql ? rpc_query(c, sql, 2, idt, scope_value) : rpc_query(c, sql, 1, idt);
    if (!r)
        return NULL;
    json_t *j = PQntuples(r) == 1 ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!j)
        rpc_fail(c, RPC_NOT_FOUND, "no %s %lld", s->entity, id);
    return j;
}

int record_lock(rpc_call *c, const record_spec *s, long long id, long long version)
{
    char idt[24], sql[256];
    snprintf(idt, sizeof idt, "%lld", id);
    snprintf(sql, sizeof sql, "SELECT version FROM %s WHERE id = $1 AND deleted_at IS NULL FOR UPDATE", s->table);
    PGresult *r = rpc_query(c, sql, 1, idt);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no %s %lld", s->entity, id);
    }
    long long current = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return current == version ? 0 : rpc_conflict_version(c, current);
}

int record_update(rpc_call *c, const record_spec *s, long long id, json_t *values)
{
    const char *params[MAX_COLS];
    char vals[MAX_COLS][32];
    char *owned[MAX_COLS] = { 0 };
    const record_column *cols[MAX_COLS];
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    params[0] = idt;
    int n = collect(s, values, params, vals, owned, cols, 1);
    int rc = -1;
    strbuf sql = { 0 };
    if (n < 0) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    sb_printf(&sql, "UPDATE %s SET version = version + 1, updated_at = now()", s->table);
    for (int i = 1; i < n; i++) {
        sb_printf(&sql, ", %s = ", cols[i]->column);
        if (cols[i]->kind == COL_JSONB_MERGE)
            sb_printf(&sql, "%s || ", cols[i]->column);
        placeholder(&sql, cols[i]->kind, i + 1);
    }
    sb_printf(&sql, " WHERE id = $1");
    if (sql.oom) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    PGresult *r = rpc_queryv(c, sql.buf, n, params);
    if (r) {
        PQclear(r);
        rc = 0;
    }
out:
    free_owned(owned, MAX_COLS);
    free(sql.buf);
    return rc;
}

int record_soft_delete(rpc_call *c, const record_spec *s, long long id)
{
    char idt[24], sql[256];
    snprintf(idt, sizeof idt, "%lld", id);
    snprintf(sql, sizeof sql, "UPDATE %s SET deleted_at = now(), version = version + 1, updated_at = now()"
                              " WHERE id = $1 AND deleted_at IS NULL", s->table);
    PGresult *r = rpc_query(c, sql, 1, idt);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int record_changed(rpc_call *c, const record_spec *s, const char *action, long long id,
                   json_t *before, json_t *after, long long carrier_id)
{
    if (audit_record(c, action, s->entity, id, before, after))
        return -1;
    char topic[64];
    snprintf(topic, sizeof topic, "%s.changed", s->entity);
    json_t *src = after ? after : before;
    json_t *ev = json_pack("{s:I, s:s, s:O}", "id", (json_int_t)id, "action", action, "version",
                           json_object_get(src, "version") ? json_object_get(src, "version") : json_null());
    int rc = rpc_emit(c, topic, ev, carrier_id);
    json_decref(ev);
    return rc;
}
