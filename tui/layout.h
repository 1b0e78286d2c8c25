/*
 * layout: where everything goes, as arithmetic on rectangles — no ncurses,
 * so it is unit-tested without a terminal.
 *
 *  row 0          header       (logo, breadcrumb, search, theme, connection, user)
 *  row 1          workspace tabs
 *  rows 2..h-2    rail (icons, 3 columns) | sub-menu (optional) | content
 *  row h-1        dock: counts / status on the left, action keys on the right
 */
#ifndef DIDTRON_LAYOUT_H
#define DIDTRON_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    int y, x, h, w;
} rect;

#define LAYOUT_MIN_ROWS 24
#define LAYOUT_MIN_COLS 80
#define LAYOUT_RAIL_WIDTH 4
#define LAYOUT_SUBMENU_WIDTH 20

typedef struct {
    bool too_small;     /* below 80x24: draw only the "terminal too small" notice */
    rect header, tabs, rail, submenu, content, dock;
} layout;

/* Compute the frame for a terminal of rows x cols. submenu.w is 0 when hidden. */
void layout_compute(int rows, int cols, bool submenu_visible, layout *out);

/* Split area into n columns side by side when area.w >= fold_width, else
 * stack them (heights as equal as possible, the remainder to the top parts). Gaps
 * of `gap` columns (or rows) between parts. Returns true when side by side. */
bool layout_columns(rect area, int n, int fold_width, int gap, rect *out);

/* Display width of UTF-8 text (East Asian wide = 2, combining = 0,
 * invalid bytes = 1 each). */
int utf8_width(const char *s);

/* Copy s into out, cut to at most max_width columns; when cut, the last
 * column is an ellipsis ("…" when utf8, else "."). Never splits a
 * character. Returns the display width written. */
int utf8_fit(const char *s, int max_width, bool utf8, char *out, size_t outlen);

/* Table column widths: given each column's minimum width and weight (share
 * of the spare width), fill `width` (separators of 1 between columns
 * included). Columns that do not fit at their minimum get width 0 (hidden,
 * from the right). */
void layout_table_columns(int width, int ncols, const int *min_w, const int *weight, int *out_w);

#endif
