/*
 * table_model: rows, selection, scrolling, sort and paging of a data table
 * (see table_model.h). No ncurses here; the table widget draws it.
 *
 * Design:
 *  - The model owns its rows: every cell is a malloc'd copy (a NULL cell is
 *    stored as ""), the cursor too. The columns belong to the caller and are
 *    only pointed at.
 *  - Every allocation failure leaves the model as it was (an append that
 *    fails adds nothing) or in a consistent, weaker state (a cursor that
 *    cannot be copied becomes NULL: paging stops rather than lying).
 *  - The selection is always a valid index when there are rows, and the
 *    window [top, top + height - 1] always contains it. top is also pulled
 *    back so that the window does not show blank rows below the last one
 *    while there are rows above it (after a resize, say).
 *  - Sizes are size_t; moves are signed longs, converted with care so that
 *    LONG_MIN or a huge delta simply clamps.
 *  - Text written into caller buffers is always NUL-terminated and, when it
 *    has to be cut, never ends with half a UTF-8 character.
 */
#include "table_model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- storage -------------------------------------------------------------- */

static char *copy_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static void free_cells(char **cells, int n)
{
    if (cells == NULL)
        return;
    for (int i = 0; i < n; i++)
        free(cells[i]);
    free(cells);
}

static void free_rows(table_model *t)
{
    for (size_t i = 0; i < t->nrows; i++)
        free_cells(t->rows[i].cells, t->ncols);
    free(t->rows);
    t->rows = NULL;
    t->nrows = t->cap = 0;
}

void table_init(table_model *t, const table_column *cols, int ncols)
{
    if (t == NULL)
        return;
    memset(t, 0, sizeof *t);
    t->cols = cols;
    t->ncols = cols && ncols > 0 ? ncols : 0;
    t->total = -1;
    t->sort_col = -1;
}

void table_clear(table_model *t)
{
    if (t == NULL)
        return;
    free_rows(t);
    free(t->next_cursor);
    t->next_cursor = NULL;
    t->total = -1; /* the server's total belonged to the old filter */
    t->selected = t->top = 0;
}

void table_free(table_model *t)
{
    if (t == NULL)
        return;
    table_clear(t);
    table_init(t, NULL, 0);
}

static bool ensure_capacity(table_model *t)
{
    if (t->nrows < t->cap)
        return true;
    size_t cap = t->cap ? t->cap * 2 : 64;
    if (cap < t->cap || cap > SIZE_MAX / sizeof *t->rows)
        return false;
    table_row *rows = realloc(t->rows, cap * sizeof *rows);
    if (rows == NULL)
        return false;
    t->rows = rows;
    t->cap = cap;
    return true;
}

/* Copies of n cells (NULL array or NULL cell = ""); NULL on failure. */
static char **copy_cells(const char *const *cells, int n)
{
    char **out = calloc((size_t)n, sizeof *out);
    if (out == NULL)
        return NULL;
    for (int i = 0; i < n; i++) {
        const char *c = cells && cells[i] ? cells[i] : "";
        out[i] = copy_string(c);
        if (out[i] == NULL) {
            free_cells(out, i);
            return NULL;
        }
    }
    return out;
}

bool table_append(table_model *t, long long id, const char *const *cells)
{
    if (t == NULL || !ensure_capacity(t))
        return false;
    char **copy = NULL;
    if (t->ncols > 0) {
        copy = copy_cells(cells, t->ncols);
        if (copy == NULL)
            return false;
    }
    t->rows[t->nrows].id = id;
    t->rows[t->nrows].cells = copy;
    t->nrows++;
    return true;
}

void table_set_page(table_model *t, long long total, const char *next_cursor)
{
    if (t == NULL)
        return;
    char *cursor = next_cursor ? copy_string(next_cursor) : NULL;
    free(t->next_cursor);
    t->next_cursor = cursor; /* NULL also when the copy failed: paging stops */
    t->total = total < 0 ? -1 : total;
}

/* ---- selection and scrolling ---------------------------------------------- */

static size_t window_height(int height)
{
    return height < 1 ? 1 : (size_t)height;
}

/* Clamp the selection and move top the least needed to show it. */
static void fix_view(table_model *t, int height)
{
    if (t->nrows == 0) {
        t->selected = t->top = 0;
        return;
    }
    size_t h = window_height(height);
    if (t->selected >= t->nrows)
        t->selected = t->nrows - 1;
    if (t->selected < t->top)
        t->top = t->selected;
    if (t->selected - t->top >= h)
        t->top = t->selected - (h - 1);
    /* No blank rows at the bottom while rows above are hidden. */
    size_t max_top = t->nrows > h ? t->nrows - h : 0;
    if (t->top > max_top)
        t->top = max_top;
}

void table_move(table_model *t, long delta, int height)
{
    if (t == NULL)
        return;
    if (t->nrows == 0) {
        fix_view(t, height);
        return;
    }
    size_t last = t->nrows - 1, sel = t->selected > last ? last : t->selected;
    if (delta < 0) {
        size_t up = (size_t)(-(delta + 1)) + 1; /* safe for LONG_MIN */
        sel = up > sel ? 0 : sel - up;
    } else {
        size_t down = (size_t)delta;
        sel = down > last - sel ? last : sel + down;
    }
    t->selected = sel;
    fix_view(t, height);
}

void table_select_first(table_model *t, int height)
{
    if (t == NULL)
        return;
    t->selected = 0;
    fix_view(t, height);
}

void table_select_last(table_model *t, int height)
{
    if (t == NULL)
        return;
    t->selected = t->nrows ? t->nrows - 1 : 0;
    fix_view(t, height);
}

bool table_wants_more(const table_model *t, int height)
{
    if (t == NULL || t->next_cursor == NULL)
        return false;
    size_t h = height < 0 ? 0 : (size_t)height;
    return t->selected >= t->nrows || h >= t->nrows - t->selected;
}

const table_row *table_selected(const table_model *t)
{
    if (t == NULL || t->nrows == 0)
        return NULL;
    return &t->rows[t->selected < t->nrows ? t->selected : t->nrows - 1];
}

/* ---- sort and footer ------------------------------------------------------- */

/* Cut a NUL-terminated buffer back so it does not end inside a UTF-8
 * character (after snprintf truncated it). */
static void trim_partial_utf8(char *buf)
{
    size_t len = strlen(buf), i = len;
    while (i > 0 && ((unsigned char)buf[i - 1] & 0xC0u) == 0x80u && len - i < 3)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)buf[i - 1];
    size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (lead >= 0xC0 && len - (i - 1) < need)
        buf[i - 1] = '\0';
}

const char *table_sort_by(table_model *t, int c, char *buf, size_t n)
{
    if (t == NULL)
        return NULL;
    if (c < 0 || c >= t->ncols) {
        t->sort_col = -1; /* back to the server's default order */
        t->sort_desc = false;
    } else if (c == t->sort_col) {
        t->sort_desc = !t->sort_desc;
    } else {
        t->sort_col = c;
        t->sort_desc = false;
    }
    if (buf == NULL || n == 0)
        return NULL;
    const char *field = t->sort_col >= 0 && t->cols[t->sort_col].field ? t->cols[t->sort_col].field : "";
    int len = snprintf(buf, n, "%s%s", t->sort_desc ? "-" : "", field);
    if (len < 0 || (size_t)len >= n) {
        buf[0] = '\0'; /* a cut field name would sort by something else */
        return NULL;
    }
    return buf;
}

/* Append formatted text at *used, keeping buf NUL-terminated. */
static void append(char *buf, size_t n, size_t *used, const char *a, const char *b)
{
    if (*used >= n - 1)
        return;
    int len = snprintf(buf + *used, n - *used, "%s%s", a, b);
    if (len < 0)
        return;
    *used = (size_t)len >= n - *used ? n - 1 : *used + (size_t)len;
}

void table_footer(const table_model *t, bool utf8, char *buf, size_t n)
{
    if (buf == NULL || n == 0)
        return;
    buf[0] = '\0';
    if (t == NULL)
        return;
    const char *sep = utf8 ? " \xC2\xB7 " : " | ";
    char num[64];
    size_t used = 0;

    snprintf(num, sizeof num, "%zu of ", t->nrows);
    append(buf, n, &used, num, "");
    if (t->total >= 0)
        snprintf(num, sizeof num, "%lld", t->total);
    else
        snprintf(num, sizeof num, "?");
    append(buf, n, &used, num, "");

    if (t->sort_col >= 0 && t->sort_col < t->ncols) {
        const char *title = t->cols[t->sort_col].title ? t->cols[t->sort_col].title : "";
        const char *arrow = utf8 ? (t->sort_desc ? " \xE2\x96\xBC" : " \xE2\x96\xB2")
                                 : (t->sort_desc ? " v" : " ^");
        append(buf, n, &used, sep, "sort ");
        append(buf, n, &used, title, arrow);
    }

    const char *end = memchr(t->filter, '\0', sizeof t->filter);
    size_t flen = end ? (size_t)(end - t->filter) : sizeof t->filter;
    if (flen > 0) {
        char filter[sizeof t->filter + 1];
        memcpy(filter, t->filter, flen);
        filter[flen] = '\0';
        append(buf, n, &used, sep, "filter: ");
        append(buf, n, &used, filter, "");
    }
    trim_partial_utf8(buf);
}
