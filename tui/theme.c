#include "theme.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>

static int attrs[STYLE_COUNT];
static glyphs g;

bool theme_parse(const char *name, theme_kind *out)
{
    static const char *const names[] = { "dark", "light", "system" };
    for (int i = 0; i < 3; i++)
        if (name && !strcmp(name, names[i])) {
            *out = (theme_kind)i;
            return true;
        }
    return false;
}

const char *theme_name(theme_kind k)
{
    return k == THEME_LIGHT ? "light" : k == THEME_SYSTEM ? "system" : "dark";
}

/* COLORFGBG="15;0" means light text on a dark background. */
static bool terminal_is_light(void)
{
    const char *v = getenv("COLORFGBG");
    const char *semi = v ? strrchr(v, ';') : NULL;
    int bg = semi ? atoi(semi + 1) : 0;
    return semi && (bg == 7 || bg == 15);
}

/* DIDTron blue, #2563EB. */
#define ACCENT_RGB 0x2563EB

bool theme_open_terminal(void)
{
    /* ncurses speaks 24-bit colour through a direct-colour terminfo entry
     * ("xterm-direct"). When COLORTERM says the terminal has it but TERM
     * names a 256-colour entry, use the direct sibling if one is installed. */
    const char *ct = getenv("COLORTERM"), *term = getenv("TERM");
    bool want = ct && (!strcmp(ct, "truecolor") || !strcmp(ct, "24bit"));
    if (want && term && !strstr(term, "direct")) {
        char direct[64];
        snprintf(direct, sizeof direct, "%.*s-direct", (int)strcspn(term, "-"), term);
        int err = 0;
        if (setupterm(direct, 1, &err) == OK) {
            del_curterm(cur_term);
            if (newterm(direct, stdout, stdin))
                return COLORS >= 0x1000000;
        }
    }
    initscr();
    return has_colors() && COLORS >= 0x1000000;
}

void theme_apply(theme_kind k)
{
    const char *no_color = getenv("NO_COLOR");
    bool color = has_colors() && !(no_color && *no_color);
    bool light = k == THEME_LIGHT || (k == THEME_SYSTEM && terminal_is_light());
    for (int i = 0; i < STYLE_COUNT; i++)
        attrs[i] = A_NORMAL;
    attrs[STYLE_HEADER] = A_REVERSE;
    attrs[STYLE_ACCENT] = A_BOLD;
    attrs[STYLE_SELECTED] = A_REVERSE;
    attrs[STYLE_TITLE] = A_BOLD | A_UNDERLINE;
    attrs[STYLE_GOOD] = A_BOLD;
    attrs[STYLE_BAD] = A_BOLD;
    attrs[STYLE_MUTED] = A_DIM;
    if (!color)
        return;
    start_color();
    use_default_colors();
    /* Truecolor: the exact accent (colour numbers are RGB values above 7);
     * 256 colours: 27, the nearest (#005fff); else plain blue. */
    bool direct = COLORS >= 0x1000000;
    int blue = direct ? ACCENT_RGB : COLORS >= 256 ? 27 : COLOR_BLUE;
    int fg = light ? COLOR_BLACK : -1, bg = light ? COLOR_WHITE : -1;
    int muted = direct ? (light ? 0x808080 : 0x8A8A8A)
              : COLORS >= 256 ? (light ? 244 : 245) : (light ? COLOR_BLACK : COLOR_WHITE);
    init_extended_pair(1, fg, bg);
    init_extended_pair(2, COLOR_WHITE, blue);
    init_extended_pair(3, blue, bg);
    init_extended_pair(4, muted, bg);
    init_extended_pair(5, COLOR_WHITE, blue);
    init_extended_pair(6, light ? COLOR_BLACK : COLOR_WHITE, bg);
    init_extended_pair(7, COLOR_GREEN, bg);
    init_extended_pair(8, COLOR_RED, bg);
    attrs[STYLE_NORMAL] = COLOR_PAIR(1);
    attrs[STYLE_HEADER] = COLOR_PAIR(2) | A_BOLD;
    attrs[STYLE_ACCENT] = COLOR_PAIR(3) | A_BOLD;
    attrs[STYLE_MUTED] = COLOR_PAIR(4);
    attrs[STYLE_SELECTED] = COLOR_PAIR(5) | A_BOLD;
    attrs[STYLE_TITLE] = COLOR_PAIR(6) | A_BOLD | A_UNDERLINE;
    attrs[STYLE_GOOD] = COLOR_PAIR(7) | A_BOLD;
    attrs[STYLE_BAD] = COLOR_PAIR(8) | A_BOLD;
    bkgdset((chtype)COLOR_PAIR(1));
}

int theme_attr(style s)
{
    return s < STYLE_COUNT ? attrs[s] : (int)A_NORMAL;
}

void theme_set_utf8(bool utf8)
{
    g.utf8 = utf8;
    g.vline = utf8 ? "│" : "|";
    g.hline = utf8 ? "─" : "-";
    g.tl = utf8 ? "┌" : "+";
    g.tr = utf8 ? "┐" : "+";
    g.bl = utf8 ? "└" : "+";
    g.br = utf8 ? "┘" : "+";
    g.arrow = utf8 ? "▸" : ">";
    g.dot_on = utf8 ? "●" : "*";
    g.dot_off = utf8 ? "○" : "o";
    g.ellipsis = utf8 ? "…" : ".";
}

const glyphs *theme_glyphs(void)
{
    return &g;
}
