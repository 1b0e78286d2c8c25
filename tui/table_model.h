/*
 * table_model: the data behind a data table widget — columns, rows of
 * text cells, selection, scrolling, sort and paging state. Pure C (no
 * ncurses), unit-tested; the table widget draws it.
 *
 * Rows arrive a page at a time from a server list method ({items, total,
 * next_cursor}); the model keeps what has been loaded, knows the server's
 * total, and says when the selection nears the end of what is loaded so
 * the screen can ask for the next page with the cursor.
 */
#ifndef DIDTRON_TABLE_MODEL_H
#define DIDTRON_TABLE_MODEL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
    const char *title;   /* header text */
    const char *field;   /* the server's field (and sort name) */
    int min_width;
    int weight;          /* share of spare width */
    bool right_align;    /* numbers and money */
    const char *path;    /* where a list item holds the cell ("currencies.0"); NULL: field */
} table_column;

typedef struct {
    long long id;        /* the record's id */
    char **cells;        /* ncols malloc'd strings */
} table_row;

typedef struct {
    const table_column *cols;
    int ncols;
    table_row *rows;
    size_t nrows, cap;
    long long total;     /* the server's total for the current filter; -1 unknown */
    char *next_cursor;   /* NULL at the end */
    size_t selected;     /* index into rows */
    size_t top;          /* first visible row */
    int sort_col;        /* -1: server default */
    bool sort_desc;
    char filter[128];    /* the "/" text */
} table_model;

void table_init(table_model *t, const table_column *cols, int ncols);
/* Drop rows and cursor (a new filter or sort); keeps columns and sort. */
void table_clear(table_model *t);
void table_free(table_model *t);

/* Append one row; cells are copied. Returns false on allocation failure. */
bool table_append(table_model *t, long long id, const char *const *cells);
/* Set the paging state after a page arrives (cursor copied; NULL = end). */
void table_set_page(table_model *t, long long total, const char *next_cursor);

/* Move the selection by delta rows (clamped), keeping it visible in a
 * window of `height` rows by adjusting top. */
void table_move(table_model *t, long delta, int height);
void table_select_first(table_model *t, int height);
void table_select_last(table_model *t, int height);
/* Should the next page be fetched now (cursor present and the selection
 * within `height` rows of the end of what is loaded)? */
bool table_wants_more(const table_model *t, int height);

/* Sort by column c: a new column sorts ascending, the same one flips.
 * Writes the server's sort parameter ("name" / "-name") into buf. */
const char *table_sort_by(table_model *t, int c, char *buf, size_t n);

/* The footer: "12 of 148 · sort name ▲ · filter: acme" (ASCII arrows when
 * !utf8). */
void table_footer(const table_model *t, bool utf8, char *buf, size_t n);

/* The selected row, or NULL when empty. */
const table_row *table_selected(const table_model *t);

#endif
