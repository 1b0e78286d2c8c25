/*
 * keymap: keys -> actions, per context, loaded from plain-text files.
 *
 * Design:
 *  - Actions come only from actions.def (X-macro): the enum in keymap.h and
 *    the name/flags/help table below are generated from the same list, so a
 *    new action needs one line there and nothing here.
 *  - Key codes are ints: printable ASCII is itself, Ctrl-x is 1..26, Esc 27,
 *    ncurses' KEY_* for special keys, KEY_ALT(c) for Alt-c. <curses.h> is
 *    included only for the KEY_* constants; nothing here calls ncurses.
 *  - Terminals spell some keys more than one way (Enter arrives as '\n',
 *    '\r' or KEY_ENTER; Backspace as KEY_BACKSPACE, 127 or 8). key_norm()
 *    folds them to one code, and is applied both when binding and when
 *    looking up, so a binding for either spelling matches every arrival.
 *  - Storage: one growable array of {key, action} per context, in binding
 *    order (keymap_keys_for lists keys in that order). Keymaps hold a few
 *    dozen bindings, so a linear scan beats a hash in both code and time.
 *    Re-binding a key replaces its action in place; unbind removes it.
 *  - The parser copies the text once and cuts it into lines and words in
 *    place: no fixed line or word length. A bad line appends one
 *    "source:line: message\n" to err (truncated at errlen, always
 *    NUL-terminated) and is skipped; the other lines still apply.
 *    Each load starts err afresh; to collect several loads in one buffer
 *    pass err + strlen(err).
 */
#include "keymap.h"

#include <curses.h> /* only for the KEY_* constants */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- actions */

typedef struct {
    const char *name;
    unsigned flags;
    const char *help;
} action_info;

static const action_info actions[ACT_COUNT] = {
#define ACTION(id, name, flags, help) [ACT_##id] = { name, flags, help },
#include "actions.def"
#undef ACTION
};

static bool action_valid(action_id a)
{
    return (unsigned)a < (unsigned)ACT_COUNT;
}

const char *action_name(action_id a)
{
    return action_valid(a) ? actions[a].name : "none";
}

const char *action_help(action_id a)
{
    return action_valid(a) ? actions[a].help : "";
}

unsigned action_flags(action_id a)
{
    return action_valid(a) ? actions[a].flags : 0u;
}

action_id action_by_name(const char *name)
{
    if (name == NULL)
        return ACT_COUNT;
    for (int a = 0; a < ACT_COUNT; a++)
        if (strcmp(actions[a].name, name) == 0)
            return (action_id)a;
    return ACT_COUNT;
}

/* --------------------------------------------------------------- contexts */

static const char *const context_names[CTX_COUNT] = {
    [CTX_GLOBAL] = "global", [CTX_TABLE] = "table", [CTX_FORM] = "form",
    [CTX_RAIL] = "rail",     [CTX_DIALOG] = "dialog",
    [CTX_TICKET] = "ticket", [CTX_JOB] = "job",
};

static bool context_valid(key_context c)
{
    return (unsigned)c < (unsigned)CTX_COUNT;
}

const char *context_name(key_context c)
{
    return context_valid(c) ? context_names[c] : "none";
}

key_context context_by_name(const char *name)
{
    if (name == NULL)
        return CTX_COUNT;
    for (int c = 0; c < CTX_COUNT; c++)
        if (strcmp(context_names[c], name) == 0)
            return (key_context)c;
    return CTX_COUNT;
}

/* ------------------------------------------------------------------- keys */

#define KEY_ESC 27
#define FKEY_MAX 12

/* Named keys; the first entry for a code is its canonical spelling. */
static const struct {
    const char *name;
    int key;
} named_keys[] = {
    { "Enter", '\n' },
    { "Return", '\n' },
    { "Esc", KEY_ESC },
    { "Escape", KEY_ESC },
    { "Tab", '\t' },
    { "S-Tab", KEY_BTAB },
    { "Space", ' ' },
    { "Backspace", KEY_BACKSPACE },
    { "Del", KEY_DC },
    { "Delete", KEY_DC },
    { "Ins", KEY_IC },
    { "Insert", KEY_IC },
    { "Up", KEY_UP },
    { "Down", KEY_DOWN },
    { "Left", KEY_LEFT },
    { "Right", KEY_RIGHT },
    { "PgUp", KEY_PPAGE },
    { "PageUp", KEY_PPAGE },
    { "PgDn", KEY_NPAGE },
    { "PageDown", KEY_NPAGE },
    { "Home", KEY_HOME },
    { "End", KEY_END },
};
#define N_NAMED_KEYS (sizeof named_keys / sizeof named_keys[0])

/* One code per physical key: see the design note at the top. */
static int key_norm(int key)
{
    switch (key) {
    case '\r':
    case KEY_ENTER:
        return '\n';
    case 127:
    case 8:
        return KEY_BACKSPACE;
    default:
        return key;
    }
}

/* A graphic ASCII character (not space: that one is spelled "Space"). */
static bool is_graph(int c)
{
    return c > ' ' && c < 127;
}

/* "a", ":", "Space": the keys an Alt- prefix may take. */
static int parse_plain(const char *name)
{
    if (name[0] != '\0' && name[1] == '\0' && is_graph((unsigned char)name[0]))
        return (unsigned char)name[0];
    if (strcasecmp(name, "Space") == 0)
        return ' ';
    return -1;
}

/* "F1".."F12", no sign, no leading zero. */
static int parse_fkey(const char *name)
{
    if ((name[0] != 'F' && name[0] != 'f') || name[1] < '1' || name[1] > '9')
        return -1;
    int n = name[1] - '0';
    if (name[2] != '\0') {
        if (name[2] < '0' || name[2] > '9' || name[3] != '\0')
            return -1;
        n = n * 10 + (name[2] - '0');
    }
    return n <= FKEY_MAX ? KEY_F(n) : -1;
}

/* "C-a".."C-z" (either case); C-m is Enter like C-j. */
static int parse_ctrl(const char *letter)
{
    int c = (unsigned char)letter[0];
    if (c == '\0' || letter[1] != '\0')
        return -1;
    if (c >= 'A' && c <= 'Z')
        c += 'a' - 'A';
    if (c < 'a' || c > 'z')
        return -1;
    return c == 'm' ? '\n' : c - 'a' + 1;
}

int key_parse(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return -1;
    int key = parse_plain(name);
    if (key >= 0)
        return key;
    for (size_t i = 0; i < N_NAMED_KEYS; i++)
        if (strcasecmp(named_keys[i].name, name) == 0)
            return named_keys[i].key;
    if (strncmp(name, "C-", 2) == 0)
        return parse_ctrl(name + 2);
    if (strncmp(name, "M-", 2) == 0) {
        key = parse_plain(name + 2);
        return key >= 0 ? KEY_ALT(key) : -1;
    }
    return parse_fkey(name);
}

static const char *named_key_name(int key)
{
    for (size_t i = 0; i < N_NAMED_KEYS; i++)
        if (named_keys[i].key == key)
            return named_keys[i].name;
    return NULL;
}

/* The spelling of a key without an Alt prefix, or NULL if it has none. */
static const char *plain_key_name(int key, char *buf, size_t n)
{
    key = key_norm(key);
    const char *named = named_key_name(key);
    if (named != NULL)
        return named;
    if (is_graph(key))
        snprintf(buf, n, "%c", key);
    else if (key >= 1 && key <= 26)
        snprintf(buf, n, "C-%c", 'a' + key - 1);
    else if (key >= KEY_F(1) && key <= KEY_F(FKEY_MAX))
        snprintf(buf, n, "F%d", key - KEY_F0);
    else
        return NULL;
    return buf;
}

const char *keymap_key_name(int key, char *buf, size_t n)
{
    if (buf == NULL || n == 0)
        return "";
    /* 8 is normalised to Backspace for lookups, but it is also C-h. */
    if (key == 8) {
        snprintf(buf, n, "C-h");
        return buf;
    }
    if (key >= 0 && (key & ~0xff) == KEY_ALT_BASE
        && (is_graph(key & 0xff) || (key & 0xff) == ' ')) {
        char plain[8];
        snprintf(buf, n, "M-%s", plain_key_name(key & 0xff, plain, sizeof plain));
        return buf;
    }
    const char *s = plain_key_name(key, buf, n);
    if (s == NULL) {
        snprintf(buf, n, "<%d>", key);
        return buf;
    }
    if (s != buf)
        snprintf(buf, n, "%s", s);
    return buf;
}

/* ----------------------------------------------------------------- keymap */

typedef struct {
    int key;
    action_id action;
} binding;

typedef struct {
    binding *v;
    size_t len, cap;
} binding_list;

struct keymap {
    binding_list ctx[CTX_COUNT];
};

keymap *keymap_new(void)
{
    return calloc(1, sizeof(keymap));
}

void keymap_free(keymap *k)
{
    if (k == NULL)
        return;
    for (int c = 0; c < CTX_COUNT; c++)
        free(k->ctx[c].v);
    free(k);
}

/* Index of key in list, or list->len. key must be normalised. */
static size_t list_find(const binding_list *l, int key)
{
    size_t i = 0;
    while (i < l->len && l->v[i].key != key)
        i++;
    return i;
}

static int list_grow(binding_list *l)
{
    if (l->len < l->cap)
        return 0;
    size_t cap = l->cap ? l->cap * 2 : 16;
    binding *v = realloc(l->v, cap * sizeof *v);
    if (v == NULL)
        return -1;
    l->v = v;
    l->cap = cap;
    return 0;
}

/* 0, or -1 when out of memory (the keymap is unchanged). */
static int keymap_bind(keymap *k, key_context ctx, int key, action_id a)
{
    binding_list *l = &k->ctx[ctx];
    key = key_norm(key);
    size_t i = list_find(l, key);
    if (i == l->len) {
        if (list_grow(l) != 0)
            return -1;
        l->v[l->len++].key = key;
    }
    l->v[i].action = a;
    return 0;
}

static void keymap_unbind(keymap *k, key_context ctx, int key)
{
    binding_list *l = &k->ctx[ctx];
    size_t i = list_find(l, key_norm(key));
    if (i == l->len)
        return;
    memmove(&l->v[i], &l->v[i + 1], (l->len - i - 1) * sizeof l->v[0]);
    l->len--;
}

static action_id list_lookup(const binding_list *l, int key)
{
    size_t i = list_find(l, key);
    return i < l->len ? l->v[i].action : ACT_COUNT;
}

action_id keymap_lookup(const keymap *k, key_context ctx, int key)
{
    if (k == NULL)
        return ACT_COUNT;
    key = key_norm(key);
    action_id a = ACT_COUNT;
    if (context_valid(ctx))
        a = list_lookup(&k->ctx[ctx], key);
    if (a == ACT_COUNT)
        a = list_lookup(&k->ctx[CTX_GLOBAL], key);
    return a;
}

size_t keymap_keys_for(const keymap *k, key_context ctx, action_id a, int *keys, size_t max)
{
    if (k == NULL || !context_valid(ctx) || keys == NULL)
        return 0;
    const binding_list *l = &k->ctx[ctx];
    size_t n = 0;
    for (size_t i = 0; i < l->len && n < max; i++)
        if (l->v[i].action == a)
            keys[n++] = l->v[i].key;
    return n;
}

/* ----------------------------------------------------------------- parser */

typedef struct {
    keymap *k;
    const char *source;
    int line;
    char *err;
    size_t errlen;
    int bad;
} load_state;

/* Append "source:line: message\n" to st->err, truncating at errlen. */
static void load_error(load_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void load_error(load_state *st, const char *fmt, ...)
{
    st->bad++;
    if (st->err == NULL || st->errlen == 0)
        return;
    size_t used = strnlen(st->err, st->errlen - 1);
    char *p = st->err + used;
    size_t room = st->errlen - used;
    int w = snprintf(p, room, "%s:%d: ", st->source, st->line);
    if (w < 0 || (size_t)w >= room)
        return;
    p += w;
    room -= (size_t)w;
    va_list ap;
    va_start(ap, fmt);
    w = vsnprintf(p, room, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= room)
        return;
    snprintf(p + w, room - (size_t)w, "\n");
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Cut line into words in place, stopping at a word that starts with '#'.
 * Stores up to max words; returns how many there were in all. */
static size_t split_words(char *line, char **words, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        while (is_blank(*p))
            p++;
        if (*p == '\0' || *p == '#')
            return n;
        if (n < max)
            words[n] = p;
        n++;
        while (*p != '\0' && !is_blank(*p))
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
}

/* Context and key words shared by bind and unbind; false after an error. */
static bool parse_target(load_state *st, char *ctx_word, char *key_word, key_context *ctx, int *key)
{
    *ctx = context_by_name(ctx_word);
    if (*ctx == CTX_COUNT) {
        load_error(st, "unknown context \"%s\" (global, table, form, rail, dialog, ticket, job)", ctx_word);
        return false;
    }
    *key = key_parse(key_word);
    if (*key < 0) {
        load_error(st, "unknown key \"%s\"", key_word);
        return false;
    }
    return true;
}

static void do_bind(load_state *st, char **w, size_t n)
{
    key_context ctx;
    int key;
    if (n != 4) {
        load_error(st, "bind needs: bind <context> <key> <action>");
        return;
    }
    if (!parse_target(st, w[1], w[2], &ctx, &key))
        return;
    action_id a = action_by_name(w[3]);
    if (a == ACT_COUNT) {
        load_error(st, "unknown action \"%s\"", w[3]);
        return;
    }
    if (keymap_bind(st->k, ctx, key, a) != 0)
        load_error(st, "out of memory");
}

static void do_unbind(load_state *st, char **w, size_t n)
{
    key_context ctx;
    int key;
    if (n != 3) {
        load_error(st, "unbind needs: unbind <context> <key>");
        return;
    }
    if (parse_target(st, w[1], w[2], &ctx, &key))
        keymap_unbind(st->k, ctx, key);
}

static void load_line(load_state *st, char *line)
{
    char *w[4];
    size_t n = split_words(line, w, sizeof w / sizeof w[0]);
    if (n == 0)
        return;
    if (strcmp(w[0], "bind") == 0)
        do_bind(st, w, n);
    else if (strcmp(w[0], "unbind") == 0)
        do_unbind(st, w, n);
    else
        load_error(st, "unknown directive \"%s\" (bind, unbind)", w[0]);
}

static void err_reset(char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
}

int keymap_load_text(keymap *k, const char *text, const char *source, char *err, size_t errlen)
{
    load_state st = { k, source ? source : "keymap", 0, err, errlen, 0 };
    err_reset(err, errlen);
    if (k == NULL || text == NULL)
        return 0;
    char *copy = strdup(text);
    if (copy == NULL) {
        load_error(&st, "out of memory");
        return st.bad;
    }
    char *line = copy;
    while (line != NULL) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        st.line++;
        load_line(&st, line);
        line = nl ? nl + 1 : NULL;
    }
    free(copy);
    return st.bad;
}

/* The whole file as a string (malloc'd), or NULL with errno set. */
static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    size_t len = 0, cap = 4096;
    char *buf = malloc(cap);
    int e = buf ? 0 : ENOMEM;
    while (e == 0) {
        errno = 0;
        len += fread(buf + len, 1, cap - 1 - len, f);
        if (ferror(f)) {
            e = errno ? errno : EIO;
        } else if (len < cap - 1) {
            break; /* end of file */
        } else {
            char *bigger = realloc(buf, cap * 2);
            if (bigger == NULL) {
                e = ENOMEM;
            } else {
                buf = bigger;
                cap *= 2;
            }
        }
    }
    fclose(f);
    if (e != 0) {
        free(buf);
        errno = e;
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int keymap_load_file(keymap *k, const char *path, char *err, size_t errlen)
{
    char *text = path ? read_all(path) : NULL;
    if (text == NULL) {
        int e = path ? errno : EINVAL;
        err_reset(err, errlen);
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot read: %s\n", path ? path : "(null)", strerror(e));
        return 1;
    }
    int bad = keymap_load_text(k, text, path, err, errlen);
    free(text);
    return bad;
}
