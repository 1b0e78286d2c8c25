#include "theme.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>

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
    short blue = COLORS >= 256 ? 27 : COLOR_BLUE;
    short fg = light ? COLOR_BLACK : -1, bg = light ? COLOR_WHITE : -1;
    short muted = (short)(COLORS >= 256 ? (light ? 244 : 245) : (light ? COLOR_BLACK : COLOR_WHITE));
    init_pair(1, fg, bg);
    init_pair(2, COLOR_WHITE, blue);
    init_pair(3, blue, bg);
    init_pair(4, muted, bg);
    init_pair(5, COLOR_WHITE, blue);
    init_pair(6, light ? COLOR_BLACK : COLOR_WHITE, bg);
    init_pair(7, COLOR_GREEN, bg);
    init_pair(8, COLOR_RED, bg);
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
