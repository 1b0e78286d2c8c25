#include "strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

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
