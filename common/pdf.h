/*
 * pdf: a small writer of PDF 1.4 documents — A4 pages of text and rules
 * in the standard 14 fonts, enough for invoices and statements.
 *
 * Nothing is embedded: the fonts are Helvetica, Helvetica-Bold, Courier
 * and Courier-Bold, which every PDF reader has, with WinAnsiEncoding.
 * Text is given in UTF-8 and written in that encoding: Latin-1 and the
 * few Windows-1252 extras (€, dashes, quotes, ...) come out as themselves,
 * any other character as '?', control characters as spaces; ( ) and \ are
 * escaped and bytes above 0x7E written as octal escapes, so the file is
 * plain ASCII apart from its binary marker comment.
 *
 * Coordinates are whole points (1/72 inch) from the bottom-left corner of
 * an A4 page (595 x 842 points); font sizes are whole points. No floating
 * point: Courier is monospaced (every glyph 0.6 em wide), so widths and
 * right alignment are exact in hundredths of a point. Helvetica is for
 * left-aligned text only (its widths are not known here).
 *
 * Most callers use the flow: a cursor that moves down from the top margin,
 * starting a new page whenever the next line would not fit above the
 * bottom margin, and tables whose header row is repeated on every page
 * they run onto. pdf_finish numbers the pages ("Page 2 of 5") and
 * serialises the document into one buffer with a correct cross-reference
 * table.
 *
 * Out of memory is remembered, not reported per call: every drawing call
 * becomes a no-op and pdf_finish returns NULL.
 */
#ifndef DIDTRON_PDF_H
#define DIDTRON_PDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PDF_PAGE_WIDTH 595  /* A4: 210 mm */
#define PDF_PAGE_HEIGHT 842 /* A4: 297 mm */
#define PDF_MARGIN 40       /* left, right and top; the bottom keeps room for the footer */
#define PDF_BOTTOM 56       /* the flow never goes below this */

typedef enum { PDF_HELVETICA, PDF_HELVETICA_BOLD, PDF_COURIER, PDF_COURIER_BOLD } pdf_font;

typedef struct pdf pdf;

/* A new empty document; title goes in its Info dictionary (may be NULL).
 * NULL when out of memory. Free with pdf_free. */
pdf *pdf_new(const char *title);
void pdf_free(pdf *p);

/* Text in the footer of every page, before "Page i of n" (may be NULL). */
void pdf_set_footer(pdf *p, const char *utf8);

/* ---- drawing at positions (on the current page; the first call starts one) ---- */

/* Start a new page; the flow cursor goes back to the top margin. */
void pdf_new_page(pdf *p);
/* Text with its baseline starting at (x, y). */
void pdf_text(pdf *p, pdf_font f, int size, int x, int y, const char *utf8);
/* Courier or Courier-Bold text ending at x_right. Returns -1 (and draws
 * nothing) for a proportional font. */
int pdf_text_right(pdf *p, pdf_font f, int size, int x_right, int y, const char *utf8);
/* A straight line, 0.5 point wide. */
void pdf_line(pdf *p, int x1, int y1, int x2, int y2);

/* ---- the flow ---- */

/* Where the next flow line's top is (points from the bottom). */
int pdf_flow_y(const pdf *p);
/* Start a new page unless `points` more fit above the bottom margin. */
void pdf_flow_need(pdf *p, int points);
/* One line at the left margin. */
void pdf_flow_text(pdf *p, pdf_font f, int size, const char *utf8);
/* One line: `left` at the left margin and `right` starting at x (both
 * left-aligned; either may be NULL). */
void pdf_flow_pair(pdf *p, pdf_font f, int size, const char *left, int x, const char *right);
/* Empty space. */
void pdf_flow_gap(pdf *p, int points);
/* A rule across the page between the margins. */
void pdf_flow_rule(pdf *p);

/* ---- tables (Courier) ---- */

typedef struct {
    const char *title;  /* heading, in Courier-Bold */
    int width;          /* characters; longer cells are cut with "..." */
    bool right;         /* right-aligned (numbers) */
} pdf_column;

/* The widest table (in characters, columns and the 2-character gaps
 * between them) that fits between the margins at a font size. */
int pdf_table_max_chars(int size);
/* Begin a table: the heading row and a rule. The columns are copied.
 * Returns -1 when they do not fit between the margins (nothing drawn). */
int pdf_table_begin(pdf *p, const pdf_column *cols, int ncols, int size);
/* One row of ncols cells (NULL = empty); on a new page the heading row is
 * drawn again first. */
void pdf_table_row(pdf *p, const char *const *cells);
/* End the table with a rule. */
void pdf_table_end(pdf *p);

/* ---- output ---- */

int pdf_page_count(const pdf *p);
/* The whole file: malloc'd bytes (the caller frees them) and their length,
 * or NULL when memory ran out. Adds the footers; the document can still be
 * freed but not drawn on afterwards. */
unsigned char *pdf_finish(pdf *p, size_t *len);

/* Decode one UTF-8 character at *s (advancing *s); invalid or truncated
 * sequences yield U+FFFD and consume one byte. Also for the text the
 * documents lay out in columns next to their PDF. */
uint32_t utf8_next(const unsigned char **s);

#endif
