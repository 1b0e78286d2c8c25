/*
 * widgets.c: drawing helpers every screen uses — text cut to a width, a
 * titled box, and the data table.
 */
#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "screen.h"
#include "theme.h"

void ui_put(int y, int x, int width, int style_id, const char *text)
{
    if (width <= 0)
        return;
    char buf[1024];
    int w = utf8_fit(text ? text : "", width, theme_glyphs()->utf8, buf, sizeof buf);
    attrset(theme_attr((style)style_id));
    mvaddstr(y, x, buf);
    for (int i = w; i < width; i++)
        addch(' ');
    attrset(theme_attr(STYLE_NORMAL));
}

rect ui_box(rect r, const char *title, bool focused)
{
    const glyphs *g = theme_glyphs();
    rect in = { r.y + 1, r.x + 1, r.h - 2, r.w - 2 };
    if (r.h < 3 || r.w < 4)
        return (rect){ r.y, r.x, 0, 0 };
    int st = focused ? STYLE_ACCENT : STYLE_MUTED;
    attrset(theme_attr((style)st));
    mvaddstr(r.y, r.x, g->tl);
    for (int x = 1; x < r.w - 1; x++)
        mvaddstr(r.y, r.x + x, g->hline);
    mvaddstr(r.y, r.x + r.w - 1, g->tr);
    for (int y = 1; y < r.h - 1; y++) {
        mvaddstr(r.y + y, r.x, g->vline);
        mvaddstr(r.y + y, r.x + r.w - 1, g->vline);
    }
    mvaddstr(r.y + r.h - 1, r.x, g->bl);
    for (int x = 1; x < r.w - 1; x++)
        mvaddstr(r.y + r.h - 1, r.x + x, g->hline);
    mvaddstr(r.y + r.h - 1, r.x + r.w - 1, g->br);
    if (title && r.w > 6) {
        char t[128];
        snprintf(t, sizeof t, " %s ", title);
        int tw = utf8_width(t);
        ui_put(r.y, r.x + 2, tw < r.w - 4 ? tw : r.w - 4, focused ? STYLE_ACCENT : STYLE_TITLE, t);
    }
    attrset(theme_attr(STYLE_NORMAL));
    return in;
}

void table_draw(const table_model *t, rect r, bool focused, const char *empty_text)
{
    if (r.h <= 0 || r.w <= 2)
        return;
    int widths[32] = { 0 }, mins[32] = { 0 }, weights[32] = { 0 };
    int ncols = t->ncols < 32 ? t->ncols : 32;
    for (int c = 0; c < ncols; c++) {
        mins[c] = t->cols[c].min_width;
        weights[c] = t->cols[c].weight;
    }
    layout_table_columns(r.w - 1, ncols, mins, weights, widths);
    const glyphs *g = theme_glyphs();
    ui_put(r.y, r.x, r.w, STYLE_NORMAL, "");
    int x = r.x + 1;
    for (int c = 0; c < ncols; c++) {
        if (!widths[c])
            continue;
        char title[64];
        snprintf(title, sizeof title, "%s%s", t->cols[c].title,
                 c == t->sort_col ? (t->sort_desc ? (g->utf8 ? " ▼" : " v") : (g->utf8 ? " ▲" : " ^")) : "");
        ui_put(r.y, x, widths[c], STYLE_TITLE, title);
        x += widths[c] + 1;
    }
    if (t->nrows == 0 && empty_text)
        ui_put(r.y + 2, r.x + 2, r.w - 4, STYLE_MUTED, empty_text);
    for (int i = 0; i < r.h - 1; i++) {
        size_t row = t->top + (size_t)i;
        int y = r.y + 1 + i;
        if (row >= t->nrows) {
            if (t->nrows || i != 1)
                ui_put(y, r.x, r.w, STYLE_NORMAL, "");
            continue;
        }
        bool sel = focused && row == t->selected;
        style st = sel ? STYLE_SELECTED : STYLE_NORMAL;
        ui_put(y, r.x, r.w, st, sel ? (g->utf8 ? "▌" : ">") : " ");
        x = r.x + 1;
        for (int c = 0; c < ncols; c++) {
            if (!widths[c])
                continue;
            const char *text = t->rows[row].cells[c];
            int w = utf8_width(text);
            if (t->cols[c].right_align && w < widths[c])
                ui_put(y, x, widths[c], st, ""), ui_put(y, x + widths[c] - w, w, st, text);
            else
                ui_put(y, x, widths[c], st, text);
            x += widths[c] + 1;
        }
    }
}

void ui_kv(rect in, const kv *items, int n, int skip)
{
    ui_kv_styled(in, items, n, skip, NULL);
}

void ui_kv_styled(rect in, const kv *items, int n, int skip, const int *styles)
{
    /* The longest label and a blank, within a share of the width that
     * leaves the values room. */
    int longest = 0;
    for (int k = 0; k < n; k++) {
        int lw = utf8_width(items[k].label);
        longest = lw > longest ? lw : longest;
    }
    int cap = in.w >= 50 ? 23 : in.w * 11 / 20;
    int label_w = longest + 2 < cap ? longest + 2 : cap;
    for (int i = 0; i < in.h; i++) {
        int k = i + skip;
        if (k >= n) {
            ui_put(in.y + i, in.x, in.w, STYLE_NORMAL, "");
            continue;
        }
        ui_put(in.y + i, in.x + 1, label_w - 1, STYLE_MUTED, items[k].label);
        ui_put(in.y + i, in.x + label_w, in.w - label_w, styles ? styles[k] : STYLE_NORMAL,
               items[k].value[0] ? items[k].value : "-");
    }
}

void ui_tabs(int y, int x, int w, const char *const *names, int n, int active)
{
    ui_put(y, x, w, STYLE_NORMAL, "");
    int at = x + 1;
    for (int t = 0; t < n; t++) {
        char label[48];
        snprintf(label, sizeof label, t == active ? "[%s]" : " %s ", names[t]);
        int lw = utf8_width(label);
        if (at + lw > x + w)
            break;
        ui_put(y, at, lw, t == active ? STYLE_ACCENT : STYLE_MUTED, label);
        at += lw + 1;
    }
}

int ui_screen_text(FILE *out)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    if (rows <= 0 || cols <= 0 || cols > 4096)
        return 0;
    char *line = malloc((size_t)cols * MB_LEN_MAX * 2 + 2);
    if (!line)
        return -1;
    for (int y = 0; y < rows; y++) {
        size_t off = 0, keep = 0;
        for (int x = 0; x < cols; x++) {
            cchar_t cc;
            wchar_t wch[CCHARW_MAX + 1] = { 0 };
            attr_t at;
            short pair;
            if (mvin_wch(y, x, &cc) == ERR || getcchar(&cc, wch, &at, &pair, NULL) == ERR)
                continue;
            if (wcwidth(wch[0]) == 0 && x > 0)
                continue; /* the second cell of a wide character */
            for (int k = 0; wch[k] && k < CCHARW_MAX; k++) {
                mbstate_t ms = { 0 };
                size_t n = wcrtomb(line + off, wch[k], &ms);
                if (n != (size_t)-1)
                    off += n;
            }
            if (wch[0] != L' ')
                keep = off;
        }
        line[keep] = '\0'; /* no trailing blanks */
        fprintf(out, "%s\n", line);
    }
    free(line);
    return ferror(out) ? -1 : 0;
}

void ui_scroll_clamp(int *scroll, int height, int nlines)
{
    if (*scroll > nlines - height)
        *scroll = nlines - height;
    if (*scroll < 0)
        *scroll = 0;
}

bool ui_scroll_key(action_id a, int *scroll, int height, int nlines)
{
    int page = height > 1 ? height - 1 : 1;
    switch (a) {
    case ACT_UP: (*scroll)--; return true;
    case ACT_DOWN: (*scroll)++; return true;
    case ACT_PAGE_UP: *scroll -= page; return true;
    case ACT_PAGE_DOWN: *scroll += page; return true;
    case ACT_FIRST: *scroll = 0; return true;
    case ACT_LAST: *scroll = nlines; return true;
    default: return false;
    }
}

void ui_error_note(json_t *error, const char *what, char *buf, size_t n)
{
    const char *message = json_string_value(json_object_get(error, "message"));
    if (json_integer_value(json_object_get(error, "code")) == -32601)
        snprintf(buf, n, "%s: not available on this server yet", what);
    else
        snprintf(buf, n, "%s: %s", what, message ? message : "");
}
