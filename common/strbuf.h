/*
 * strbuf: a growable NUL-terminated string built with printf. An allocation
 * failure is remembered (oom) instead of reported per call, so a builder
 * can append freely and check once at the end.
 */
#ifndef DIDTRON_STRBUF_H
#define DIDTRON_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char *buf;   /* NULL until the first append; owned, free() it */
    size_t len, cap;
    bool oom;
} strbuf;

void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empty it, keeping the allocation. */
void sb_reset(strbuf *b);

#endif
