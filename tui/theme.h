/*
 * theme: colours and glyphs. dark (default), light, or system (COLORFGBG
 * says whether the terminal background is light). DIDTron blue #2563EB is
 * the accent: colour 27 on 256-colour terminals, blue on 8. NO_COLOR turns
 * colour off and leaves bold/reverse, so meaning never rests on colour.
 */
#ifndef DIDTRON_TUI_THEME_H
#define DIDTRON_TUI_THEME_H

#include <stdbool.h>

typedef enum { THEME_DARK, THEME_LIGHT, THEME_SYSTEM } theme_kind;

typedef enum {
    STYLE_NORMAL,
    STYLE_HEADER,     /* the top bar */
    STYLE_ACCENT,     /* logo, active tab, focused border */
    STYLE_MUTED,      /* hints, borders */
    STYLE_SELECTED,   /* the selected row */
    STYLE_TITLE,      /* table headings */
    STYLE_GOOD,       /* connected, healthy (always with a marker) */
    STYLE_BAD,        /* errors, disconnected (always with a marker) */
    STYLE_COUNT,
} style;

/* "dark" | "light" | "system"; false when unknown. */
bool theme_parse(const char *name, theme_kind *out);
const char *theme_name(theme_kind k);
/* After initscr(): set up colour pairs (or none under NO_COLOR). */
void theme_apply(theme_kind k);
/* Start curses (instead of initscr): with COLORTERM=truecolor|24bit and a
 * direct-colour sibling of $TERM installed ("xterm-direct"), in 24-bit
 * colour. True when colours are 24-bit. */
bool theme_open_terminal(void);
/* The curses attributes of a style. */
int theme_attr(style s);

/* Glyphs: Unicode when the locale is UTF-8, ASCII otherwise. */
typedef struct {
    bool utf8;
    const char *vline, *hline, *tl, *tr, *bl, *br, *arrow, *dot_on, *dot_off, *ellipsis;
} glyphs;
const glyphs *theme_glyphs(void);
void theme_set_utf8(bool utf8);

#endif
