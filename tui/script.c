#include "script.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keymap.h"

static int push(script *s, script_step st)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        script_step *p = realloc(s->steps, cap * sizeof *p);
        if (!p)
            return -1;
        s->steps = p;
        s->cap = cap;
    }
    s->steps[s->n++] = st;
    return 0;
}

static void complain(char *err, size_t errlen, const char *source, int line, const char *fmt, ...)
{
    size_t off = strlen(err);
    if (off >= errlen)
        return;
    off += (size_t)snprintf(err + off, errlen - off, "%s:%d: ", source, line);
    if (off >= errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err + off, errlen - off, fmt, ap);
    va_end(ap);
    off = strlen(err);
    if (off + 1 < errlen) {
        err[off] = '\n';
        err[off + 1] = '\0';
    }
}

/* One line (NUL-terminated, no newline). 0 good, 1 bad, -1 no memory. */
static int parse_line(script *s, char *l, const char *source, int line, char *err, size_t errlen)
{
    while (*l == ' ' || *l == '\t')
        l++;
    size_t len = strlen(l);
    while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r'))
        l[--len] = '\0';
    if (!*l || *l == '#')
        return 0;
    char *rest = l + strcspn(l, " \t");
    if (*rest)
        *rest++ = '\0';
    while (*rest == ' ' || *rest == '\t')
        rest++;
    script_step st = { .line = line };
    if (!strcmp(l, "key") || !strcmp(l, "keys")) {
        if (!*rest) {
            complain(err, errlen, source, line, "%s needs a key", l);
            return 1;
        }
        size_t first = s->n;
        for (char *save = NULL, *w = strtok_r(rest, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
            int k = key_parse(w);
            if (k < 0) {
                s->n = first; /* the whole line or none of it */
                complain(err, errlen, source, line, "unknown key \"%s\"", w);
                return 1;
            }
            st.kind = STEP_KEY;
            st.key = k;
            if (push(s, st))
                return -1;
        }
        return 0;
    }
    if (!strcmp(l, "type")) {
        for (const char *c = rest; *c; c++) {
            st.kind = STEP_KEY;
            st.key = (unsigned char)*c;
            if (push(s, st))
                return -1;
        }
        return 0;
    }
    if (!strcmp(l, "wait") || !strcmp(l, "save")) {
        if (!*rest || strlen(rest) >= sizeof st.text) {
            complain(err, errlen, source, line, "%s needs %s (at most %zu bytes)", l,
                     *l == 'w' ? "the text to wait for" : "a file name", sizeof st.text - 1);
            return 1;
        }
        st.kind = *l == 'w' ? STEP_WAIT : STEP_SAVE;
        snprintf(st.text, sizeof st.text, "%s", rest);
        return push(s, st);
    }
    if (!strcmp(l, "sleep") || !strcmp(l, "timeout")) {
        char *end;
        long ms = strtol(rest, &end, 10);
        if (!*rest || *end || ms < 0 || ms > 600000) {
            complain(err, errlen, source, line, "%s needs milliseconds (0..600000)", l);
            return 1;
        }
        st.kind = *l == 's' ? STEP_SLEEP : STEP_TIMEOUT;
        st.ms = (int)ms;
        return push(s, st);
    }
    complain(err, errlen, source, line, "unknown step \"%s\" (key, keys, type, wait, sleep, timeout, save)", l);
    return 1;
}

int script_parse(script *s, const char *text, const char *source, char *err, size_t errlen)
{
    int bad = 0, line = 0;
    if (errlen)
        err[0] = '\0';
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        line++;
        char *copy = malloc(len + 1);
        if (!copy)
            return -1;
        memcpy(copy, p, len);
        copy[len] = '\0';
        int r = parse_line(s, copy, source, line, err, errlen);
        free(copy);
        if (r < 0)
            return -1;
        bad += r;
        p += len + (nl ? 1 : 0);
    }
    return bad;
}

void script_free(script *s)
{
    free(s->steps);
    memset(s, 0, sizeof *s);
}
