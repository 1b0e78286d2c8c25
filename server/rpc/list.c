#include "list.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "strbuf.h"
#include "timeutil.h"

#define MAX_PARAMS 24

static const char *const type_cast[] = {
    [LIST_TEXT] = "text", [LIST_INT] = "bigint", [LIST_BOOL] = "boolean", [LIST_TIME] = "timestamptz",
    [LIST_NUMERIC] = "numeric",
};

static char *b64url(const unsigned char *in, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (!out)
        return NULL;
    int k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    while (k > 0 && out[k - 1] == '=')
        k--;
    out[k] = '\0';
    for (char *p = out; *p; p++)
        *p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
    return out;
}

static int b64url_decode(const char *in, unsigned char *out, size_t cap)
{
    size_t n = strlen(in);
    if (n > 680)
        return -1;
    char tmp[700];
    size_t k = 0;
    for (; k < n; k++) {
        char ch = in[k];
        tmp[k] = ch == '-' ? '+' : ch == '_' ? '/' : ch;
    }
    while (k % 4)
        tmp[k++] = '=';
    tmp[k] = '\0';
    if (k / 4 * 3 > cap)
        return -1;
    int len = EVP_DecodeBlock(out, (unsigned char *)tmp, (int)k);
    if (len < 0)
        return -1;
    if (k && tmp[k - 1] == '=')
        len--;
    if (k > 1 && tmp[k - 2] == '=')
        len--;
    return len;
}

char *list_cursor_encode(const char *sort, const char *value, const char *id)
{
    json_t *j = json_pack("[sss]", sort, value, id);
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!text)
        return NULL;
    char *out = b64url((unsigned char *)text, strlen(text));
    free(text);
    return out;
}

int list_cursor_decode(const char *cursor, char *sort, size_t sortn,
                       char *value, size_t valuen, char *id, size_t idn)
{
    unsigned char raw[520];
    int n = b64url_decode(cursor, raw, sizeof raw - 1);
    if (n <= 0)
        return -1;
    json_t *j = json_loadb((char *)raw, (size_t)n, 0, NULL);
    const char *s, *v, *i;
    int rc = -1;
    if (j && json_unpack(j, "[sss]", &s, &v, &i) == 0 && strlen(s) < sortn && strlen(v) < valuen &&
        strlen(i) < idn) {
        strcpy(sort, s);
        strcpy(value, v);
        strcpy(id, i);
        rc = 0;
    }
    json_decref(j);
    return rc;
}

/* Text form of a filter value for the parameter, or an error message. */
static const char *filter_value(const list_filter *f, json_t *v, char *buf, size_t n)
{
    switch (f->type) {
    case LIST_TEXT:
        if (!json_is_string(v) || json_string_length(v) > 200)
            return "must be a string of at most 200 characters";
        if (f->choices) {
            for (const char *const *ch = f->choices; *ch; ch++)
                if (!strcmp(*ch, json_string_value(v)))
                    goto text_ok;
            return "is not one of the allowed values";
        }
    text_ok:
        snprintf(buf, n, "%s", json_string_value(v));
        return NULL;
    case LIST_INT:
        if (!json_is_integer(v))
            return "must be a whole number";
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return NULL;
    case LIST_BOOL:
        if (!json_is_boolean(v))
            return "must be true or false";
        snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
        return NULL;
    case LIST_NUMERIC: {
        money_t m;
        if (!json_is_string(v) || money_parse(json_string_value(v), &m) != MONEY_OK)
            return "must be a decimal string";
        snprintf(buf, n, "%s", json_string_value(v));
        return NULL;
    }
    case LIST_TIME: {
        int64_t t;
        if (!json_is_string(v) || !time_parse_rfc3339(json_string_value(v), &t))
            return "must be an RFC 3339 time";
        snprintf(buf, n, "%s", json_string_value(v));
        return NULL;
    }
    }
    return "is not supported";
}

int rpc_list(rpc_call *c, const list_spec *spec, const char *scope_sql, const char *scope_value)
{
    const char *params[MAX_PARAMS];
    char values[MAX_PARAMS][256];
    int np = 0, rc = -1;
    strbuf where = { 0 }, sql = { 0 };
    char *cursor_out = NULL;
    PGresult *r = NULL;

    /* Sort. */
    const char *sort_text = rpc_str(c, "sort");
    if (!sort_text)
        sort_text = spec->default_sort;
    bool desc = sort_text[0] == '-';
    const char *sort_name = desc ? sort_text + 1 : sort_text;
    const list_sort *sort = NULL;
    for (const list_sort *s = spec->sorts; s && s->name; s++)
        if (!strcmp(s->name, sort_name))
            sort = s;
    if (!sort)
        return rpc_field_error(c, "sort", "is not a sortable field");
    long long limit = rpc_int(c, "limit", 50);

    /* Filters. */
    sb_printf(&where, "WHERE true");
    if (spec->where_sql)
        sb_printf(&where, " AND (%s)", spec->where_sql);
    if (scope_sql) {
        params[np++] = scope_value; /* always $1 */
        sb_printf(&where, " AND (%s)", scope_sql);
    }
    json_t *filter = json_object_get(c->params, "filter");
    const char *key;
    json_t *v;
    json_object_foreach(filter, key, v) {
        const list_filter *f = NULL;
        for (const list_filter *x = spec->filters; x && x->name; x++)
            if (!strcmp(x->name, key))
                f = x;
        char field[96];
        snprintf(field, sizeof field, "filter.%s", key);
        if (!f) {
            rpc_field_error(c, field, "is not a known filter");
            continue;
        }
        if (json_is_null(v))
            continue;
        if (np >= MAX_PARAMS - 3) {
            rpc_field_error(c, field, "too many filters");
            continue;
        }
        const char *err = filter_value(f, v, values[np], sizeof values[np]);
        if (err) {
            rpc_field_error(c, field, err);
            continue;
        }
        params[np] = values[np];
        np++;
        const char *cast = type_cast[f->type];
        switch (f->op) {
        case LIST_EQ: sb_printf(&where, " AND %s = $%d::%s", f->sql, np, cast); break;
        case LIST_FROM: sb_printf(&where, " AND %s >= $%d::%s", f->sql, np, cast); break;
        case LIST_TO: sb_printf(&where, " AND %s < $%d::%s", f->sql, np, cast); break;
        case LIST_SEARCH: sb_printf(&where, " AND strpos(lower(%s), lower($%d)) > 0", f->sql, np); break;
        case LIST_PREFIX: sb_printf(&where, " AND starts_with(%s, $%d::text)", f->sql, np); break;
        }
    }
    if (c->err_code)
        goto out;
    int nfilter = np;

    /* Total, before the cursor narrows it. */
    sb_printf(&sql, "SELECT count(*) FROM %s %s", spec->from_sql, where.buf);
    if (where.oom || sql.oom) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    r = rpc_queryv(c, sql.buf, nfilter, params);
    if (!r)
        goto out;
    long long total = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    r = NULL;

    /* Page. */
    const char *cursor = rpc_str(c, "cursor");
    if (cursor) {
        char csort[80];
        if (list_cursor_decode(cursor, csort, sizeof csort, values[np], sizeof values[np],
                               values[np + 1], sizeof values[np + 1])) {
            rpc_field_error(c, "cursor", "is not a cursor this server made");
            goto out;
        }
        if (strcmp(csort, sort_text)) {
            rpc_field_error(c, "cursor", "was made for another sort");
            goto out;
        }
        params[np] = values[np];
        params[np + 1] = values[np + 1];
        np += 2;
        sb_printf(&where, " AND (%s, %s) %s ($%d::%s, $%d::bigint)", sort->sql, spec->id_sql,
            desc ? "<" : ">", np - 1, type_cast[sort->type], np);
    }
    snprintf(values[np], sizeof values[np], "%lld", limit + 1);
    params[np] = values[np];
    np++;
    sb_reset(&sql);
    sb_printf(&sql, "SELECT (%s)::text, (%s)::text, (%s)::text FROM %s %s ORDER BY %s %s, %s %s LIMIT $%d",
        spec->item_sql, sort->sql, spec->id_sql, spec->from_sql, where.buf, sort->sql,
        desc ? "DESC" : "ASC", spec->id_sql, desc ? "DESC" : "ASC", np);
    if (where.oom || sql.oom) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    r = rpc_queryv(c, sql.buf, np, params);
    if (!r)
        goto out;
    int rows = PQntuples(r);
    int shown = rows > limit ? (int)limit : rows;
    json_t *items = json_array();
    for (int i = 0; i < shown; i++) {
        json_t *item = json_loads(PQgetvalue(r, i, 0), 0, NULL);
        json_array_append_new(items, item ? item : json_null());
    }
    json_t *next = json_null();
    if (rows > limit) {
        cursor_out = list_cursor_encode(sort_text, PQgetvalue(r, shown - 1, 1), PQgetvalue(r, shown - 1, 2));
        if (cursor_out)
            next = json_string(cursor_out);
    }
    c->result = json_pack("{s:o, s:I, s:o}", "items", items, "total", (json_int_t)total, "next_cursor", next);
    rc = 0;
out:
    PQclear(r);
    free(where.buf);
    free(sql.buf);
    free(cursor_out);
    return c->err_code ? -1 : rc;
}
