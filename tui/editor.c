/*
 * editor.c: the multi-line editor's buffer, wrapping and keys (pure C; see
 * editor.h). The text is one contiguous byte buffer: replies are a few
 * kilobytes at most, so a gap buffer would buy nothing measurable.
 * Wrapping is recomputed when needed rather than cached, for the same
 * reason; it is O(len) per call.
 */
#include "editor.h"

#include <curses.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of the character starting with lead byte c (1 for an invalid one). */
static int char_bytes(unsigned char c)
{
    return c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
}

/* Length of the valid UTF-8 character at s (n bytes available), or 0. */
static int valid_char(const unsigned char *s, size_t n)
{
    int k = char_bytes(s[0]);
    if ((size_t)k > n || (k == 1 && s[0] >= 0x80))
        return 0;
    uint32_t cp = k == 1 ? s[0] : k == 2 ? s[0] & 0x1Fu : k == 3 ? s[0] & 0x0Fu : s[0] & 0x07u;
    for (int i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t least[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < least[k] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* Display width of the character at byte i ("\n" is 0). */
static int char_width(const editor *e, size_t i)
{
    if (e->text[i] == '\n')
        return 0;
    char one[5] = { 0 };
    int k = char_bytes((unsigned char)e->text[i]);
    memcpy(one, e->text + i, (size_t)k);
    return utf8_width(one);
}

static size_t next_char(const editor *e, size_t i)
{
    return i >= e->len ? e->len : i + (size_t)char_bytes((unsigned char)e->text[i]);
}

static size_t prev_char(const editor *e, size_t i)
{
    if (i == 0)
        return 0;
    i--;
    while (i > 0 && ((unsigned char)e->text[i] & 0xC0) == 0x80)
        i--;
    return i;
}

bool editor_init(editor *e, size_t max)
{
    memset(e, 0, sizeof *e);
    e->max = max ? max : 1;
    e->cap = 256;
    e->text = malloc(e->cap);
    if (!e->text)
        return false;
    e->text[0] = '\0';
    e->goal_col = -1;
    return true;
}

void editor_free(editor *e)
{
    free(e->text);
    memset(e, 0, sizeof *e);
}

static bool reserve(editor *e, size_t need)
{
    if (need + 1 <= e->cap)
        return true;
    size_t cap = e->cap ? e->cap : 256;
    while (cap < need + 1)
        cap *= 2;
    char *t = realloc(e->text, cap);
    if (!t)
        return false;
    e->text = t;
    e->cap = cap;
    return true;
}

void editor_set_text(editor *e, const char *text)
{
    e->len = 0;
    e->cursor = 0;
    if (e->text)
        e->text[0] = '\0';
    e->npending = 0;
    /* Insert character by character: invalid bytes and controls go, and
     * the text stops at the limit on a character boundary. */
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    size_t n = strlen((const char *)s);
    for (size_t i = 0; i < n;) {
        int k = valid_char(s + i, n - i);
        if (k == 0) {
            i++;
            continue;
        }
        if (!editor_insert(e, (const char *)s + i, (size_t)k) && e->len + (size_t)k > e->max)
            break;
        i += (size_t)k;
    }
    e->changed = false;
    e->top = 0;
    e->goal_col = -1;
}

const char *editor_text(const editor *e)
{
    return e->text ? e->text : "";
}

bool editor_blank(const editor *e)
{
    for (size_t i = 0; i < e->len; i++)
        if (e->text[i] != ' ' && e->text[i] != '\n')
            return false;
    return true;
}

bool editor_insert(editor *e, const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        int k = valid_char(u + i, n - i);
        if (k == 0 || (k == 1 && ((u[i] < 0x20 && u[i] != '\n') || u[i] == 0x7F)))
            return false;
        i += (size_t)k;
    }
    if (n == 0 || e->len + n > e->max || !reserve(e, e->len + n))
        return false;
    memmove(e->text + e->cursor + n, e->text + e->cursor, e->len - e->cursor + 1);
    memcpy(e->text + e->cursor, s, n);
    e->len += n;
    e->cursor += n;
    e->changed = true;
    e->goal_col = -1;
    return true;
}

bool editor_feed_byte(editor *e, int byte)
{
    if (byte < 0 || byte > 0xFF)
        return false;
    unsigned char c = (unsigned char)byte;
    if (e->npending == 0) {
        if (c < 0x80) {
            char one = (char)c;
            return editor_insert(e, &one, 1);
        }
        int k = char_bytes(c);
        if (k == 1) /* a stray continuation or invalid lead byte */
            return false;
        e->pending[0] = c;
        e->npending = 1;
        e->need = k;
        return true;
    }
    if ((c & 0xC0) != 0x80) { /* the character broke off: drop it, start again */
        e->npending = 0;
        return editor_feed_byte(e, byte);
    }
    e->pending[e->npending++] = c;
    if (e->npending < e->need)
        return true;
    e->npending = 0;
    return editor_insert(e, (const char *)e->pending, (size_t)e->need);
}

void editor_backspace(editor *e)
{
    if (e->cursor == 0)
        return;
    size_t p = prev_char(e, e->cursor);
    memmove(e->text + p, e->text + e->cursor, e->len - e->cursor + 1);
    e->len -= e->cursor - p;
    e->cursor = p;
    e->changed = true;
    e->goal_col = -1;
}

void editor_delete(editor *e)
{
    if (e->cursor >= e->len)
        return;
    size_t n = next_char(e, e->cursor);
    memmove(e->text + e->cursor, e->text + n, e->len - n + 1);
    e->len -= n - e->cursor;
    e->changed = true;
    e->goal_col = -1;
}

void editor_left(editor *e)
{
    e->cursor = prev_char(e, e->cursor);
    e->goal_col = -1;
}

void editor_right(editor *e)
{
    e->cursor = next_char(e, e->cursor);
    e->goal_col = -1;
}

size_t editor_wrap(const editor *e, int width, editor_line *lines, size_t max)
{
    if (width < 2)
        width = 2;
    size_t n = 0, start = 0;
    for (;;) {
        /* One visual line from start. */
        size_t i = start, brk = 0; /* brk: just after the last space, 0 = none */
        int col = 0;
        bool hard = false;
        while (i < e->len) {
            if (e->text[i] == '\n') {
                hard = true;
                break;
            }
            int w = char_width(e, i);
            if (col + w > width) {
                if (e->text[i] == ' ') /* a space at the edge hangs there */
                    brk = i + 1;
                break;
            }
            col += w;
            i = next_char(e, i);
            if (e->text[i - 1] == ' ')
                brk = i;
        }
        size_t end = i;
        if (i < e->len && !hard && brk > start)
            end = brk;
        else if (i < e->len && !hard && end == start) /* one character wider than the line */
            end = next_char(e, start);
        if (n < max)
            lines[n] = (editor_line){ start, end - start };
        n++;
        if (hard) {
            start = end + 1; /* past the "\n" */
            continue;
        }
        if (end >= e->len)
            break;
        start = end;
    }
    return n;
}

/* All visual lines (malloc'd, *n of them), or NULL. */
static editor_line *wrap_all(const editor *e, int width, size_t *n)
{
    size_t cap = e->len + 2;
    editor_line *l = malloc(cap * sizeof *l);
    if (!l)
        return NULL;
    *n = editor_wrap(e, width, l, cap);
    return l;
}

/* The visual line holding byte offset off: the last one starting at or
 * before it (a soft break's offset belongs to the line it starts). */
static size_t line_of(const editor_line *l, size_t n, size_t off)
{
    size_t row = 0;
    while (row + 1 < n && l[row + 1].start <= off)
        row++;
    return row;
}

static int width_between(const editor *e, size_t from, size_t to)
{
    int w = 0;
    for (size_t i = from; i < to && i < e->len; i = next_char(e, i))
        w += char_width(e, i);
    return w;
}

void editor_cursor_at(const editor *e, int width, int *row, int *col)
{
    size_t n;
    editor_line *l = wrap_all(e, width, &n);
    if (!l) {
        *row = *col = 0;
        return;
    }
    size_t r = line_of(l, n, e->cursor);
    *row = (int)r;
    *col = width_between(e, l[r].start, e->cursor);
    free(l);
}

void editor_vertical(editor *e, int width, int delta)
{
    size_t n;
    editor_line *l = wrap_all(e, width, &n);
    if (!l)
        return;
    size_t r = line_of(l, n, e->cursor);
    int goal = e->goal_col >= 0 ? e->goal_col : width_between(e, l[r].start, e->cursor);
    long target = (long)r + delta;
    if (target < 0)
        target = 0;
    if (target >= (long)n)
        target = (long)n - 1;
    const editor_line *t = &l[target];
    size_t i = t->start, end = t->start + t->len;
    /* a soft-wrapped line's last offset is the next line's first */
    bool soft = (size_t)target + 1 < n && l[target + 1].start == end && end > t->start;
    int col = 0;
    while (i < end) {
        size_t nx = next_char(e, i);
        int w = char_width(e, i);
        if (col + w > goal || (soft && nx >= end))
            break;
        col += w;
        i = nx;
    }
    e->cursor = i;
    e->goal_col = goal;
    free(l);
}

void editor_home(editor *e, int width)
{
    size_t n;
    editor_line *l = wrap_all(e, width, &n);
    if (!l)
        return;
    e->cursor = l[line_of(l, n, e->cursor)].start;
    e->goal_col = -1;
    free(l);
}

void editor_end(editor *e, int width)
{
    size_t n;
    editor_line *l = wrap_all(e, width, &n);
    if (!l)
        return;
    size_t r = line_of(l, n, e->cursor), end = l[r].start + l[r].len;
    if (r + 1 < n && l[r + 1].start == end && end > l[r].start) /* soft break: stay on this line */
        end = prev_char(e, end);
    e->cursor = end;
    e->goal_col = -1;
    free(l);
}

void editor_scroll(editor *e, int width, int height)
{
    int row, col;
    editor_cursor_at(e, width, &row, &col);
    if (height < 1)
        height = 1;
    if (row < e->top)
        e->top = row;
    if (row >= e->top + height)
        e->top = row - height + 1;
    if (e->top < 0)
        e->top = 0;
}

editor_result editor_key(editor *e, const keymap *k, int ch, int width, int height)
{
    if (width <= 0)
        width = e->view_w > 1 ? e->view_w : 80;
    if (height <= 0)
        height = e->view_h > 0 ? e->view_h : 10;
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        e->npending = 0;
        editor_insert(e, "\n", 1);
        return EDITOR_KEEP;
    }
    action_id a = keymap_lookup(k, CTX_FORM, ch);
    if (a == ACT_SAVE)
        return EDITOR_SEND;
    if (a == ACT_BACK)
        return EDITOR_CANCEL;
    switch (ch) {
    case KEY_LEFT: editor_left(e); break;
    case KEY_RIGHT: editor_right(e); break;
    case KEY_UP: editor_vertical(e, width, -1); break;
    case KEY_DOWN: editor_vertical(e, width, 1); break;
    case KEY_PPAGE: editor_vertical(e, width, -(height > 1 ? height - 1 : 1)); break;
    case KEY_NPAGE: editor_vertical(e, width, height > 1 ? height - 1 : 1); break;
    case KEY_HOME: editor_home(e, width); break;
    case KEY_END: editor_end(e, width); break;
    case KEY_BACKSPACE:
    case 127:
    case 8: editor_backspace(e); break;
    case KEY_DC: editor_delete(e); break;
    default:
        if (ch >= 32 && ch < 256 && ch != 127)
            editor_feed_byte(e, ch);
        break;
    }
    return EDITOR_KEEP;
}
