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
/* Without printf (hot paths): n bytes of s; a string; an integer in
 * decimal; s as a JSON string, quoted and escaped (RFC 8259: quote,
 * backslash and control characters; UTF-8 bytes pass as they are). */
void sb_append(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_int(strbuf *b, long long v);
void sb_json_string(strbuf *b, const char *s);
/* Empty it, keeping the allocation. */
void sb_reset(strbuf *b);

#endif
