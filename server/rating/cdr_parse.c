/*
 * cdr_parse: CDRs from the wire into validated C records.
 *
 * Each field is checked in the order of docs/protocol.md and the first bad
 * one is named. A body is gunzipped first when the sender said so (under a
 * size cap: a small body must not inflate into gigabytes), then read as a
 * JSON array when its first non-space byte is '[' and as NDJSON when it is
 * '{'. In NDJSON a line that is not JSON is that element's error; the rest
 * of the batch goes on.
 */
#include "cdr_parse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "timeutil.h"
#include "validate.h"

static void say(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(char *buf, size_t n, const char *fmt, ...)
{
    if (!buf || n == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
}

typedef struct {
    char *field;
    size_t field_n;
    char *msg;
    size_t msg_n;
} err_out;

static bool fail(const err_out *e, const char *field, const char *msg)
{
    say(e->field, e->field_n, "%s", field);
    say(e->msg, e->msg_n, "%s", msg);
    return false;
}

/* The member, or NULL when absent or JSON null. */
static json_t *member(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_null(v) ? NULL : v;
}

static bool printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

/* A required or optional positive integer id. */
static bool id_value(const json_t *v, int64_t *out)
{
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return false;
    *out = (int64_t)json_integer_value(v);
    return true;
}

static bool time_value(const json_t *v, int64_t *out)
{
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v) &&
           time_parse_rfc3339(json_string_value(v), out);
}

bool cdr_from_json(const json_t *o, cdr_record *c,
                   char *field, size_t field_n, char *msg, size_t msg_n)
{
    err_out e = { field, field_n, msg, msg_n };
    memset(c, 0, sizeof *c);
    c->pdd_ms = -1;
    if (!json_is_object(o))
        return fail(&e, "", "must be a JSON object");

    json_t *v = member(o, "id");
    if (!v)
        return fail(&e, "id", "is required");
    if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > CDR_ID_MAX ||
        !printable_ascii(json_string_value(v), json_string_length(v)))
        return fail(&e, "id", "must be a string of 1 to 64 printable ASCII characters");
    memcpy(c->id, json_string_value(v), json_string_length(v) + 1);

    json_t *by_id = member(o, "ingress_interconnect_id"), *by_ip = member(o, "ingress_ip");
    if (by_id && by_ip)
        return fail(&e, "ingress_ip", "give ingress_interconnect_id or ingress_ip, not both");
    if (!by_id && !by_ip)
        return fail(&e, "ingress_interconnect_id", "is required (or ingress_ip)");
    if (by_id && !id_value(by_id, &c->ingress_interconnect_id))
        return fail(&e, "ingress_interconnect_id", "must be a positive integer");
    if (by_ip) {
        const char *ip = json_string_value(by_ip);
        if (!ip || json_string_length(by_ip) >= sizeof c->ingress_ip ||
            strlen(ip) != json_string_length(by_ip) || !valid_ip(ip))
            return fail(&e, "ingress_ip", "must be an IPv4 or IPv6 address");
        memcpy(c->ingress_ip, ip, json_string_length(by_ip) + 1);
    }

    if ((v = member(o, "tech_prefix"))) {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);
        if (!s || n > CDR_TECH_PREFIX_MAX || strlen(s) != n || (n > 0 && !valid_tech_prefix(s)))
            return fail(&e, "tech_prefix", "must be up to 16 digits, # and *");
        memcpy(c->tech_prefix, s, n + 1);
    }

    v = member(o, "caller");
    if (!v)
        return fail(&e, "caller", "is required");
    if (!json_is_string(v) || json_string_length(v) > CDR_PARTY_MAX ||
        !printable_ascii(json_string_value(v), json_string_length(v)))
        return fail(&e, "caller", "must be a string of up to 64 printable ASCII characters");
    memcpy(c->caller, json_string_value(v), json_string_length(v) + 1);

    v = member(o, "callee");
    if (!v)
        return fail(&e, "callee", "is required");
    if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
        !tariff_normalise_number(json_string_value(v), c->callee, sizeof c->callee))
        return fail(&e, "callee", "must be 1 to 24 digits after an optional + or 00");

    v = member(o, "start_time");
    if (!v)
        return fail(&e, "start_time", "is required");
    if (!time_value(v, &c->start_time))
        return fail(&e, "start_time", "must be an RFC 3339 time like 2026-11-23T10:00:00Z");

    if ((v = member(o, "answer_time"))) {
        if (!time_value(v, &c->answer_time))
            return fail(&e, "answer_time", "must be an RFC 3339 time or null");
        c->answered = true;
    }

    v = member(o, "end_time");
    if (!v)
        return fail(&e, "end_time", "is required");
    if (!time_value(v, &c->end_time))
        return fail(&e, "end_time", "must be an RFC 3339 time like 2026-11-23T10:00:00Z");

    if (c->answered && c->answer_time < c->start_time)
        return fail(&e, "answer_time", "must not be before start_time");
    if (c->end_time < c->start_time)
        return fail(&e, "end_time", "must not be before start_time");
    if (c->answered && c->end_time < c->answer_time)
        return fail(&e, "end_time", "must not be before answer_time");

    if ((v = member(o, "egress_interconnect_id")) && !id_value(v, &c->egress_interconnect_id))
        return fail(&e, "egress_interconnect_id", "must be a positive integer or null");

    v = member(o, "release_cause");
    if (!v)
        return fail(&e, "release_cause", "is required");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 699)
        return fail(&e, "release_cause", "must be a SIP code (100..699) or a Q.850 cause (1..127)");
    c->release_cause = (int32_t)json_integer_value(v);

    if ((v = member(o, "pdd_ms"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
            return fail(&e, "pdd_ms", "must be a non-negative integer (milliseconds)");
        c->pdd_ms = (int32_t)json_integer_value(v);
    }
    return true;
}

/* ---- batches ---- */

/* Inflate a gzip body (one or more members) into a new buffer. */
static int gunzip(const char *in, size_t n, char **out, size_t *out_n, char *msg, size_t msg_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) {
        say(msg, msg_n, "gzip: cannot start the decompressor");
        return -1;
    }
    /* One byte over the cap tells "exactly the cap" from "more". */
    const size_t limit = (size_t)CDR_INFLATED_MAX + 1;
    size_t cap = n < CDR_INFLATED_MAX / 8 ? n * 4 + 4096 : limit, len = 0;
    char *buf = malloc(cap);
    const unsigned char *next = (const unsigned char *)in;
    size_t left = n;
    int rc = -1;
    if (!buf) {
        say(msg, msg_n, "gzip: out of memory");
        goto out;
    }
    for (;;) {
        if (zs.avail_in == 0 && left > 0) {
            uInt chunk = left > UINT_MAX ? UINT_MAX : (uInt)left;
            zs.next_in = (Bytef *)next;
            zs.avail_in = chunk;
            next += chunk;
            left -= chunk;
        }
        if (len == cap) {
            size_t ncap = cap * 2 > limit ? limit : cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                say(msg, msg_n, "gzip: out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t room = cap - len > UINT_MAX ? UINT_MAX : cap - len;
        zs.next_out = (Bytef *)buf + len;
        zs.avail_out = (uInt)room;
        int z = inflate(&zs, Z_NO_FLUSH);
        len += room - zs.avail_out;
        if (len > CDR_INFLATED_MAX) {
            say(msg, msg_n, "gzip: the body inflates to more than %u bytes", (unsigned)CDR_INFLATED_MAX);
            goto out;
        }
        if (z == Z_STREAM_END) {
            if (zs.avail_in == 0 && left == 0)
                break;
            /* another gzip member follows */
            if (inflateReset(&zs) != Z_OK) {
                say(msg, msg_n, "gzip: cannot restart the decompressor");
                goto out;
            }
        } else if (z == Z_BUF_ERROR) {
            if (zs.avail_in == 0 && left == 0) {
                say(msg, msg_n, "gzip: the body ends too early");
                goto out;
            }
        } else if (z != Z_OK) {
            say(msg, msg_n, "gzip: %s", zs.msg ? zs.msg : "bad data");
            goto out;
        }
    }
    *out = buf;
    *out_n = len;
    buf = NULL;
    rc = 0;
out:
    inflateEnd(&zs);
    free(buf);
    return rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is [s, s + n) only whitespace? */
static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!is_space(s[i]))
            return false;
    return true;
}

/* Run the callback for one parsed element. */
static int visit(json_t *el, size_t index, cdr_each_fn each, void *ud)
{
    cdr_record c;
    char field[64], msg[160];
    bool ok = cdr_from_json(el, &c, field, sizeof field, msg, sizeof msg);
    return each(ud, index, ok, ok ? &c : NULL, ok ? NULL : field, ok ? NULL : msg);
}

static int walk_array(const char *data, size_t n, cdr_each_fn each, void *ud, char *msg, size_t msg_n)
{
    json_error_t err;
    json_t *root = json_loadb(data, n, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        say(msg, msg_n, "not JSON: %s (line %d, column %d)", err.text, err.line, err.column);
        return -1;
    }
    if (!json_is_array(root)) { /* cannot happen: the body starts with '[' */
        json_decref(root);
        say(msg, msg_n, "not a JSON array");
        return -1;
    }
    size_t count = json_array_size(root);
    if (count > CDR_BATCH_MAX) {
        json_decref(root);
        say(msg, msg_n, "more than %d CDRs in one batch (%zu)", CDR_BATCH_MAX, count);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        if (visit(json_array_get(root, i), i, each, ud))
            break;
    json_decref(root);
    return 0;
}

static int walk_ndjson(const char *data, size_t n, cdr_each_fn each, void *ud, char *msg, size_t msg_n)
{
    /* Count first: an over-limit batch is refused before any callback. */
    size_t count = 0;
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(data + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - data) : n;
        if (!blank(data + at, end - at))
            count++;
        at = end + 1;
    }
    if (count > CDR_BATCH_MAX) {
        say(msg, msg_n, "more than %d CDRs in one batch (%zu)", CDR_BATCH_MAX, count);
        return -1;
    }
    size_t index = 0;
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(data + at, '\n', n - at);
        size_t end = nl ? (size_t)(nl - data) : n;
        const char *line = data + at;
        size_t len = end - at;
        at = end + 1;
        if (blank(line, len))
            continue;
        json_error_t err;
        json_t *el = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
        int stop;
        if (!el) {
            char m[200];
            snprintf(m, sizeof m, "not JSON: %s (column %d)", err.text, err.column);
            stop = each(ud, index, false, NULL, "", m);
        } else {
            stop = visit(el, index, each, ud);
            json_decref(el);
        }
        index++;
        if (stop)
            break;
    }
    return 0;
}

int cdr_parse_batch(const char *body, size_t n, bool gzip,
                    cdr_each_fn each, void *ud, char *msg, size_t msg_n)
{
    char *inflated = NULL;
    const char *data = body;
    if (!body)
        n = 0;
    if (gzip) {
        if (gunzip(body ? body : "", n, &inflated, &n, msg, msg_n) != 0)
            return -1;
        data = inflated;
    }
    size_t first = 0;
    while (first < n && is_space(data[first]))
        first++;
    int rc;
    if (first == n) {
        say(msg, msg_n, "empty body");
        rc = -1;
    } else if (data[first] == '[') {
        rc = walk_array(data, n, each, ud, msg, msg_n);
    } else if (data[first] == '{') {
        rc = walk_ndjson(data, n, each, ud, msg, msg_n);
    } else {
        say(msg, msg_n, "not JSON: expected an array of CDRs or one CDR object per line");
        rc = -1;
    }
    free(inflated);
    return rc;
}
