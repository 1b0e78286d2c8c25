/*
 * editor: the console's one multi-line text editor (a ticket reply, an
 * internal note, a new ticket's body). A byte buffer of UTF-8 text with a
 * cursor that always sits on a character boundary, a length limit in
 * bytes, and soft wrapping for display: a visual line breaks after the
 * last space that fits, or mid-word when a word is wider than the line;
 * "\n" is a hard break (Enter inserts one).
 *
 * The buffer logic is pure C (no ncurses calls; key codes are ncurses'
 * KEY_* values, as in keymap.h) and unit-tested (tests/unit/test_editor.c);
 * editor_draw() in editor_draw.c puts it on the screen.
 *
 * Keys: printable bytes insert (a multi-byte character arrives a byte at a
 * time from getch() and is inserted once complete; an invalid sequence is
 * dropped), Enter = newline, Backspace / Del, arrows, Home / End (of the
 * visual line), PgUp / PgDn. The form context's save (F2, C-s) sends and
 * its back (Esc) cancels: editor_key() says which, the caller acts (asks
 * before throwing typed text away, sends the text).
 */
#ifndef DIDTRON_TUI_EDITOR_H
#define DIDTRON_TUI_EDITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "keymap.h"
#include "layout.h"

typedef struct {
    char *text;          /* NUL-terminated, len bytes; owned */
    size_t len, cap;
    size_t max;          /* the limit in bytes (the server's body limit) */
    size_t cursor;       /* byte offset, on a character boundary */
    int goal_col;        /* the column Up/Down aim for; -1: the cursor's */
    int top;             /* first visual line shown (kept by editor_scroll) */
    unsigned char pending[4]; /* a multi-byte character being typed */
    int npending, need;
    bool changed;        /* typed since init / set_text */
    int view_w, view_h;  /* the text area of the last editor_draw (0: not drawn yet) */
} editor;

/* One visual line: bytes [start, start + len) of the text, without the
 * "\n" that may end it. */
typedef struct {
    size_t start, len;
} editor_line;

typedef enum { EDITOR_KEEP, EDITOR_SEND, EDITOR_CANCEL } editor_result;

/* An empty editor that holds at most max bytes (>= 1). false when out of
 * memory. */
bool editor_init(editor *e, size_t max);
void editor_free(editor *e);
/* Replace the text (cut to max at a character boundary); cursor at the
 * end; not changed. */
void editor_set_text(editor *e, const char *text);
/* The text (borrowed, NUL-terminated). */
const char *editor_text(const editor *e);
/* Only blanks and newlines (nothing worth sending). */
bool editor_blank(const editor *e);

/* Insert n bytes of valid UTF-8 at the cursor; false (nothing inserted)
 * when it is not valid UTF-8, holds a control byte other than "\n", or
 * would pass the limit. */
bool editor_insert(editor *e, const char *s, size_t n);
/* Feed one byte as getch() gives it (a UTF-8 lead or continuation byte, or
 * ASCII); inserts when a character is complete. */
bool editor_feed_byte(editor *e, int byte);
void editor_backspace(editor *e);
void editor_delete(editor *e);
void editor_left(editor *e);
void editor_right(editor *e);

/* Wrap the text at width columns (>= 2): fills up to max lines, returns
 * how many visual lines there are (may exceed max). Empty text is one
 * empty line. */
size_t editor_wrap(const editor *e, int width, editor_line *lines, size_t max);
/* The cursor's visual line and column at width. */
void editor_cursor_at(const editor *e, int width, int *row, int *col);
/* Move by visual lines (Up/Down, PgUp/PgDn), keeping the goal column. */
void editor_vertical(editor *e, int width, int delta);
/* Start / end of the cursor's visual line. */
void editor_home(editor *e, int width);
void editor_end(editor *e, int width);
/* Keep the cursor's line within a window of height lines (adjusts top). */
void editor_scroll(editor *e, int width, int height);

/* One key: edits, moves, or says send / cancel (looked up in the form
 * context of k: save sends, back cancels). width and height are the text
 * area's (for wrapping moves and PgUp/PgDn); 0 takes those of the last
 * editor_draw. */
editor_result editor_key(editor *e, const keymap *k, int ch, int width, int height);

/* Draw the text area into r with the cursor shown (a reversed cell) when
 * focused, and a "used / max" counter on the last line. (editor_draw.c) */
void editor_draw(editor *e, rect r, bool focused);

#endif
