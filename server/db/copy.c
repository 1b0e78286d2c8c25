/*
 * copy.c: COPY text-format rows and COPY ... FROM STDIN (copy.h).
 */
#include "copy.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"



static bool buf_room(copy_buf *t, size_t n)
{
    if (t->oom)
        return false;
    if (t->len + n + 1 <= t->cap)
        return true;
    size_t cap = t->cap ? t->cap : 65536;
    while (cap < t->len + n + 1)
        cap *= 2;
    char *p = realloc(t->p, cap);
    if (!p) {
        t->oom = true;
        return false;
    }
    t->p = p;
    t->cap = cap;
    return true;
}

void copy_put(copy_buf *t, const char *s, size_t n)
{
    if (!buf_room(t, n))
        return;
    memcpy(t->p + t->len, s, n);
    t->len += n;
    t->p[t->len] = '\0';
}

void copy_puts(copy_buf *t, const char *s)
{
    copy_put(t, s, strlen(s));
}

void copy_char(copy_buf *t, char ch)
{
    copy_put(t, &ch, 1);
}

/* Decimal digits of v, written backwards ending at end; returns the start. */
static char *digits_back(char *end, uint64_t v)
{
    do {
        *--end = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    return end;
}

/* Integers, amounts and times are formatted here rather than with printf:
 * a batch of 10,000 CDRs writes some 300,000 of them. */
void copy_int(copy_buf *t, long long v)
{
    char buf[24], *end = buf + sizeof buf;
    char *p = digits_back(end, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    if (v < 0)
        *--p = '-';
    copy_put(t, p, (size_t)(end - p));
}

/* "-12.500000", like money_format. */
void copy_money(copy_buf *t, money_t v)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    char buf[32], *end = buf + sizeof buf, *p = end;
    uint64_t frac = mag % MONEY_SCALE;
    for (int i = 0; i < 6; i++) {
        *--p = (char)('0' + frac % 10);
        frac /= 10;
    }
    *--p = '.';
    p = digits_back(p, mag / MONEY_SCALE);
    if (v < 0)
        *--p = '-';
    copy_put(t, p, (size_t)(end - p));
}

/* Days since 1970-01-01 to a civil date (H. Hinnant's days_from_civil,
 * inverted). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static void two(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* RFC 3339 in UTC, microseconds only when there are some (what
 * time_format_rfc3339 writes). */
void copy_time(copy_buf *t, int64_t usec)
{
    int64_t secs = usec / 1000000, frac = usec % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned mo, d;
    civil_from_days(days, &y, &mo, &d);
    if (y < 0 || y > 9999) {
        char buf[48];
        copy_puts(t, time_format_rfc3339(usec, buf, sizeof buf));
        return;
    }
    char b[32] = "0000-00-00T00:00:00";
    two(b, (unsigned)(y / 100));
    two(b + 2, (unsigned)(y % 100));
    two(b + 5, mo);
    two(b + 8, d);
    two(b + 11, (unsigned)(rem / 3600));
    two(b + 14, (unsigned)(rem / 60 % 60));
    two(b + 17, (unsigned)(rem % 60));
    size_t n = 19;
    if (frac) {
        b[n++] = '.';
        for (int i = 5; i >= 0; i--) {
            b[n + (size_t)i] = (char)('0' + frac % 10);
            frac /= 10;
        }
        n += 6;
    }
    b[n++] = 'Z';
    copy_put(t, b, n);
}

/* COPY text format: backslash escapes for the few bytes that need them. */
void copy_text(copy_buf *t, const char *s)
{
    if (!buf_room(t, 2 * strlen(s)))
        return;
    char *o = t->p + t->len;
    for (; *s; s++) {
        switch (*s) {
        case '\\': *o++ = '\\'; *o++ = '\\'; break;
        case '\t': *o++ = '\\'; *o++ = 't'; break;
        case '\n': *o++ = '\\'; *o++ = 'n'; break;
        case '\r': *o++ = '\\'; *o++ = 'r'; break;
        default: *o++ = *s;
        }
    }
    t->len = (size_t)(o - t->p);
    t->p[t->len] = '\0';
}

void copy_col(copy_buf *t)
{
    copy_char(t, '\t');
}

void copy_null(copy_buf *t)
{
    copy_put(t, "\\N", 2);
}

void copy_id(copy_buf *t, long long id)
{
    if (id)
        copy_int(t, id);
    else
        copy_null(t);
}

void copy_opt(copy_buf *t, const char *s)
{
    if (s && s[0])
        copy_text(t, s);
    else
        copy_null(t);
}

static int copy_failed(rpc_call *c, const char *what)
{
    log_error("%s: %s: %s", c->method, what, PQerrorMessage(c->db));
    return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* One COPY ... FROM STDIN of n rows, fill() writing row i, sent in pieces
 * of about 256 kB. Returns 0 or -1 with the error set; a failure on a
 * unique index is not an error when *unique_violation is given: it is set
 * and -1 returned with nothing logged. */
int rpc_copy_in(rpc_call *c, const char *sql, size_t n, void (*fill)(const void *ud, size_t i, copy_buf *t),
                   const void *ud, bool *unique_violation)
{
    PGresult *r = PQexec(c->db, sql);
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        PQclear(r);
        return copy_failed(c, "COPY");
    }
    PQclear(r);
    copy_buf t = { 0 };
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        fill(ud, i, &t);
        if (t.oom) {
            PQputCopyEnd(c->db, "out of memory");
            rc = rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        } else if (t.len >= 256 * 1024 || i + 1 == n) {
            if (PQputCopyData(c->db, t.p, (int)t.len) != 1)
                rc = copy_failed(c, "COPY data");
            t.len = 0;
        }
    }
    free(t.p);
    if (rc == 0 && PQputCopyEnd(c->db, NULL) != 1)
        rc = copy_failed(c, "COPY end");
    /* Read every result, so the connection is ready for the next command. */
    while ((r = PQgetResult(c->db))) {
        if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK) {
            const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
            if (unique_violation && state && !strcmp(state, "23505")) {
                *unique_violation = true;
                rc = -1;
            } else {
                log_error("%s: COPY: %s", c->method, PQresultErrorMessage(r));
                rc = rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
            }
        }
        PQclear(r);
    }
    return rc;
}
