#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_printf(strbuf *b, const char *fmt, ...)
{
    if (b->oom)
        return;
    if (!b->buf) {
        b->buf = malloc(512);
        if (!b->buf) {
            b->oom = true;
            return;
        }
        b->cap = 512;
        b->len = 0;
        b->buf[0] = '\0';
    }
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->oom = true;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = (b->len + (size_t)n + 1) * 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
}

void sb_reset(strbuf *b)
{
    b->len = 0;
    if (b->buf)
        b->buf[0] = '\0';
}

/* Room for n more bytes and the NUL; false (oom set) when there is none. */
static bool reserve(strbuf *b, size_t n)
{
    if (b->oom)
        return false;
    if (b->buf && b->cap - b->len > n)
        return true;
    size_t cap = b->cap ? b->cap : 512;
    while (cap - b->len <= n)
        cap *= 2;
    char *nb = realloc(b->buf, cap);
    if (!nb) {
        b->oom = true;
        return false;
    }
    if (!b->buf)
        nb[0] = '\0';
    b->buf = nb;
    b->cap = cap;
    return true;
}

void sb_append(strbuf *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s)
{
    sb_append(b, s, strlen(s));
}

void sb_int(strbuf *b, long long v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do
        *--p = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--p = '-';
    sb_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void sb_json_string(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    if (!reserve(b, strlen(s) + 2))
        return;
    sb_append(b, "\"", 1);
    const char *run = s;
    for (const char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        sb_append(b, run, (size_t)(p - run));
        char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
        if (ch == '"' || ch == '\\')
            esc[1] = (char)ch, sb_append(b, esc, 2);
        else if (ch == '\n')
            sb_append(b, "\\n", 2);
        else if (ch == '\t')
            sb_append(b, "\\t", 2);
        else if (ch == '\r')
            sb_append(b, "\\r", 2);
        else
            sb_append(b, esc, 6);
        run = p + 1;
    }
    sb_append(b, run, strlen(run));
    sb_append(b, "\"", 1);
}
