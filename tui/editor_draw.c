/*
 * editor_draw.c: the editor widget on the screen (the buffer is editor.c,
 * which stays free of ncurses so it can be unit-tested). The text wraps at
 * the area's width less one column, so the cursor cell after a full line
 * is still inside the area; the cursor is a reversed cell (no terminal
 * cursor: the console keeps it hidden), and the last line counts bytes.
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "editor.h"
#include "screen.h"
#include "theme.h"

void editor_draw(editor *e, rect r, bool focused)
{
    if (r.h < 2 || r.w < 4)
        return;
    int width = r.w - 1, height = r.h - 1;
    e->view_w = width;
    e->view_h = height;
    editor_scroll(e, width, height);
    size_t cap = e->len + 2, n;
    editor_line *lines = malloc(cap * sizeof *lines);
    if (!lines)
        return;
    n = editor_wrap(e, width, lines, cap);
    int crow, ccol;
    editor_cursor_at(e, width, &crow, &ccol);
    for (int y = 0; y < height; y++) {
        size_t li = (size_t)(e->top + y);
        char buf[1024] = "";
        if (li < n) {
            size_t len = lines[li].len < sizeof buf - 1 ? lines[li].len : sizeof buf - 1;
            memcpy(buf, e->text + lines[li].start, len);
            buf[len] = '\0';
        }
        ui_put(r.y + y, r.x, r.w, STYLE_NORMAL, buf);
        if (focused && (int)li == crow) {
            /* the cursor: the character under it reversed, or a blank */
            char under[5] = " ";
            if (e->cursor < e->len && e->text[e->cursor] != '\n') {
                int k = (unsigned char)e->text[e->cursor] < 0x80 ? 1 : 0;
                for (size_t j = e->cursor + 1; !k && j <= e->len; j++)
                    if (j == e->len || ((unsigned char)e->text[j] & 0xC0) != 0x80)
                        k = (int)(j - e->cursor);
                if (k > 0 && k < 5) {
                    memcpy(under, e->text + e->cursor, (size_t)k);
                    under[k] = '\0';
                }
            }
            int uw = utf8_width(under);
            ui_put(r.y + y, r.x + ccol, uw > 0 ? uw : 1, STYLE_SELECTED, under);
        }
    }
    char count[64];
    snprintf(count, sizeof count, "%zu / %zu bytes%s", e->len, e->max, e->len >= e->max ? " (full)" : "");
    int cw = utf8_width(count);
    ui_put(r.y + r.h - 1, r.x, r.w, STYLE_MUTED, "");
    if (cw < r.w)
        ui_put(r.y + r.h - 1, r.x + r.w - cw, cw, e->len >= e->max ? STYLE_BAD : STYLE_MUTED, count);
    free(lines);
}
