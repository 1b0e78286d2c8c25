/*
 * call.c: the helpers every handler uses — errors, queries, validation,
 * param accessors and events. One validator, one query wrapper.
 */
#include "rpc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "../db/db.h"
#include "../events/events.h"
#include "money.h"
#include "timeutil.h"
#include "validate.h"

int rpc_fail(rpc_call *c, int code, const char *fmt, ...)
{
    c->err_code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err_message, sizeof c->err_message, fmt, ap);
    va_end(ap);
    return -1;
}

int rpc_field_error(rpc_call *c, const char *field, const char *message)
{
    if (c->err_code != RPC_INVALID_PARAMS) {
        json_decref(c->err_data);
        c->err_data = json_pack("{s:[]}", "fields");
        c->err_code = RPC_INVALID_PARAMS;
    }
    json_t *fields = json_object_get(c->err_data, "fields");
    json_array_append_new(fields, json_pack("{s:s, s:s}", "field", field, "message", message));
    if (json_array_size(fields) == 1)
        snprintf(c->err_message, sizeof c->err_message, "invalid params: %s %s", field, message);
    else
        snprintf(c->err_message, sizeof c->err_message, "invalid params (%zu fields)", json_array_size(fields));
    return -1;
}

int rpc_conflict_version(rpc_call *c, long long current_version)
{
    rpc_fail(c, RPC_CONFLICT, "the record was changed by someone else (now version %lld)", current_version);
    json_decref(c->err_data);
    c->err_data = json_pack("{s:I}", "current_version", (json_int_t)current_version);
    return -1;
}

PGresult *rpc_queryv(rpc_call *c, const char *sql, int nparams, const char *const *params)
{
    if (!c->db) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        log_error("%s: query without a database connection", c->method);
        return NULL;
    }
    PGresult *r = db_exec(c->db, sql, nparams, params);
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "23505") == 0) {
        const char *cons = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME);
        rpc_fail(c, RPC_CONFLICT, "already exists (%s)", cons ? cons : "unique");
    } else if (state && strcmp(state, "40001") == 0) {
        rpc_fail(c, RPC_CONFLICT, "concurrent update, try again");
    } else {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        log_error("%s: SQL error %s: %s", c->method, state ? state : "-",
                  r ? PQresultErrorMessage(r) : PQerrorMessage(c->db));
    }
    PQclear(r);
    return NULL;
}

PGresult *rpc_query(rpc_call *c, const char *sql, int nparams, ...)
{
    const char *params[32];
    if (nparams > 32) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        return NULL;
    }
    va_list ap;
    va_start(ap, nparams);
    for (int i = 0; i < nparams; i++)
        params[i] = va_arg(ap, const char *);
    va_end(ap);
    return rpc_queryv(c, sql, nparams, params);
}

static const rpc_field *find_field(const rpc_field *fields, const char *name)
{
    for (; fields && fields->name; fields++)
        if (strcmp(fields->name, name) == 0)
            return fields;
    return NULL;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Does the tz database know this zone? Reads its file's magic. */
static bool timezone_exists(const char *name)
{
    if (!valid_timezone_name(name))
        return false;
    char path[160], magic[4];
    snprintf(path, sizeof path, "/usr/share/zoneinfo/%s", name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = fread(magic, 1, 4, f) == 4 && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

static const char *check_text(field_type t, json_t *v)
{
    const char *s = json_string_value(v);
    switch (t) {
    case F_CURRENCY: return s && valid_currency(s) ? NULL : "must be an ISO 4217 currency code like \"USD\"";
    case F_TIMEZONE: return s && timezone_exists(s) ? NULL : "must be a time zone like \"Europe/London\"";
    case F_IP: return s && valid_ip_or_cidr(s) ? NULL : "must be an IPv4/IPv6 address or CIDR like \"192.0.2.0/24\"";
    case F_EMAIL: return s && valid_email(s) ? NULL : "must be an e-mail address";
    case F_PHONE: return s && valid_phone_number(s) ? NULL : "must be a number like \"+442071234567\"";
    case F_PREFIX: return s && valid_prefix(s) ? NULL : "must be 1 to 32 digits";
    case F_TECH_PREFIX: return s && valid_tech_prefix(s) ? NULL : "must be 1 to 16 of digits, # and *";
    default: return NULL;
    }
}

static const char *check_field(const rpc_field *f, json_t *v, char *msg, size_t n)
{
    switch (f->type) {
    case F_CURRENCY:
    case F_TIMEZONE:
    case F_IP:
    case F_EMAIL:
    case F_PHONE:
    case F_PREFIX:
    case F_TECH_PREFIX:
        return check_text(f->type, v);
    case F_ANY:
        return NULL;
    case F_STRING: {
        if (!json_is_string(v))
            return "must be a string";
        size_t len = utf8_chars(json_string_value(v));
        if (strlen(json_string_value(v)) != json_string_length(v))
            return "must not contain NUL characters";
        if (f->min && len < (size_t)f->min) {
            snprintf(msg, n, "must be at least %lld characters", f->min);
            return msg;
        }
        if (f->max && len > (size_t)f->max) {
            snprintf(msg, n, "must be at most %lld characters", f->max);
            return msg;
        }
        return NULL;
    }
    case F_INT:
    case F_ID: {
        if (!json_is_integer(v))
            return "must be a whole number";
        long long x = json_integer_value(v);
        long long lo = f->type == F_ID ? 1 : f->min;
        if ((f->type == F_ID || f->min || f->max) && x < lo) {
            snprintf(msg, n, "must be >= %lld", lo);
            return msg;
        }
        if (f->max && x > f->max) {
            snprintf(msg, n, "must be <= %lld", f->max);
            return msg;
        }
        return NULL;
    }
    case F_BOOL:
        return json_is_boolean(v) ? NULL : "must be true or false";
    case F_MONEY: {
        money_t m;
        if (!json_is_string(v))
            return "must be a decimal string like \"12.50\"";
        money_status st = money_parse(json_string_value(v), &m);
        if (st != MONEY_OK)
            return money_status_message(st);
        if ((f->flags & F_NONNEGATIVE) && m < 0)
            return "must be >= 0";
        return NULL;
    }
    case F_ENUM: {
        if (json_is_string(v))
            for (const char *const *ch = f->choices; ch && *ch; ch++)
                if (strcmp(*ch, json_string_value(v)) == 0)
                    return NULL;
        size_t k = (size_t)snprintf(msg, n, "must be one of");
        for (const char *const *ch = f->choices; ch && *ch && k < n; ch++)
            k += (size_t)snprintf(msg + k, n - k, "%s %s", ch == f->choices ? "" : ",", *ch);
        return msg;
    }
    case F_TIME: {
        int64_t t;
        if (!json_is_string(v) || !time_parse_rfc3339(json_string_value(v), &t))
            return "must be an RFC 3339 time like \"2026-01-31T12:00:00Z\"";
        return NULL;
    }
    case F_OBJECT:
        return json_is_object(v) ? NULL : "must be an object";
    case F_ARRAY: {
        if (!json_is_array(v))
            return "must be a list";
        long long max = f->max ? f->max : 500;
        if ((long long)json_array_size(v) > max) {
            snprintf(msg, n, "must have at most %lld items", max);
            return msg;
        }
        return NULL;
    }
    }
    return "has an unknown type";
}

static int validate_object(rpc_call *c, json_t *params, const rpc_field *fields, const char *prefix, int depth);

/* One present, non-null value. Returns the number of errors added. */
static int validate_value(rpc_call *c, const rpc_field *f, json_t *v, const char *path, int depth)
{
    char msg[256];
    const char *err = check_field(f, v, msg, sizeof msg);
    if (err) {
        rpc_field_error(c, path, err);
        return 1;
    }
    int bad = 0;
    if (f->type == F_OBJECT && f->sub && depth < 4)
        bad += validate_object(c, v, f->sub, path, depth + 1);
    if (f->type == F_ARRAY && f->items == F_OBJECT && f->sub) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char ipath[200];
            snprintf(ipath, sizeof ipath, "%.150s[%zu]", path, i);
            if (!json_is_object(x)) {
                rpc_field_error(c, ipath, "must be an object");
                bad++;
            } else if (depth < 4) {
                bad += validate_object(c, x, f->sub, ipath, depth + 1);
            }
        }
    } else if (f->type == F_ARRAY && f->items != F_ANY && f->items != F_STRING) {
        rpc_field item = { .name = f->name, .type = f->items, .choices = f->choices, .min = 0, .max = 0 };
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            char ipath[200];
            snprintf(ipath, sizeof ipath, "%.150s[%zu]", path, i);
            const char *e = json_is_null(x) ? "must not be null" : check_field(&item, x, msg, sizeof msg);
            if (e) {
                rpc_field_error(c, ipath, e);
                bad++;
            }
        }
    } else if (f->type == F_ARRAY && f->items == F_STRING) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!json_is_string(x) || json_string_length(x) > (f->min > 0 ? (size_t)f->min : 256)) {
                char ipath[200];
                snprintf(ipath, sizeof ipath, "%.150s[%zu]", path, i);
                rpc_field_error(c, ipath, "must be a short string");
                bad++;
            }
        }
    }
    return bad;
}

static int validate_object(rpc_call *c, json_t *params, const rpc_field *fields, const char *prefix, int depth)
{
    int bad = 0;
    const char *key;
    json_t *v;
    char path[160];
    json_object_foreach(params, key, v) {
        const rpc_field *f = find_field(fields, key);
        snprintf(path, sizeof path, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", key);
        if (!f) {
            rpc_field_error(c, path, "is not a known field");
            bad++;
            continue;
        }
        if (json_is_null(v)) {
            if (!(f->flags & F_NULLABLE) && (f->flags & F_REQUIRED)) {
                rpc_field_error(c, path, "is required");
                bad++;
            }
            continue;
        }
        bad += validate_value(c, f, v, path, depth);
    }
    for (const rpc_field *f = fields; f && f->name; f++) {
        if ((f->flags & F_REQUIRED) && !json_object_get(params, f->name)) {
            snprintf(path, sizeof path, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", f->name);
            rpc_field_error(c, path, "is required");
            bad++;
        }
    }
    return bad;
}

int rpc_validate(rpc_call *c, json_t *params, const rpc_field *fields)
{
    return validate_object(c, params, fields, NULL, 0) ? -1 : 0;
}

const char *rpc_str(rpc_call *c, const char *name)
{
    return json_string_value(json_object_get(c->params, name));
}

long long rpc_int(rpc_call *c, const char *name, long long dflt)
{
    json_t *v = json_object_get(c->params, name);
    return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

bool rpc_bool(rpc_call *c, const char *name, bool dflt)
{
    json_t *v = json_object_get(c->params, name);
    return json_is_boolean(v) ? json_is_true(v) : dflt;
}

int rpc_begin(rpc_call *c)
{
    PGresult *r = rpc_query(c, "BEGIN", 0);
    if (!r)
        return -1;
    PQclear(r);
    c->in_transaction = true;
    return 0;
}

int rpc_commit(rpc_call *c)
{
    PGresult *r = rpc_query(c, "COMMIT", 0);
    c->in_transaction = false;
    uint64_t emitted = c->emitted;
    c->emitted = 0;
    if (!r)
        return -1;
    PQclear(r);
    events_committed(emitted);
    return 0;
}

void rpc_rollback(rpc_call *c)
{
    if (c->db) {
        PGresult *r = PQexec(c->db, "ROLLBACK");
        PQclear(r);
    }
    c->in_transaction = false;
    c->emitted = 0;
}
