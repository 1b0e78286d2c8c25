/*
 * pdf.c: the PDF writer (pdf.h has the contract).
 *
 * A document is kept as one content stream per page (text operators in a
 * growable buffer) until pdf_finish, which lays the file out:
 *
 *   %PDF-1.4 and a binary marker comment
 *   1 Catalog, 2 Pages, 3..6 the four fonts, 7 Info,
 *   then per page a Page object and its Contents stream,
 *   the cross-reference table (one 20-byte line per object, each the byte
 *   offset of "N 0 obj"), the trailer, startxref and %%EOF.
 *
 * Streams are not compressed: documents stay small and readable, and
 * pdftotext reads them as well.
 */
#include "pdf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NFONTS 4
#define OBJ_FIRST_PAGE 8   /* 1 catalog, 2 pages, 3-6 fonts, 7 info */
#define CELL_GAP 2         /* characters between table columns */
#define MAX_COLS 16
#define FOOTER_Y 28

static const char *const font_names[NFONTS] = { "Helvetica", "Helvetica-Bold", "Courier", "Courier-Bold" };

/* ---- a growable byte buffer; failures are remembered ---- */

typedef struct {
    char *buf;
    size_t len, cap;
    bool oom;
} pbuf;

static void pb_put(pbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) {
            b->oom = true;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

/* A string literal, without its NUL. */
#define pb_lit(b, s) pb_put((b), (s), sizeof(s) - 1)

static void pb_printf(pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pb_printf(pbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        pb_put(b, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        b->oom = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    pb_put(b, big, (size_t)n);
    free(big);
}

/* ---- the document ---- */

struct pdf {
    pbuf *pages;          /* content stream of each page */
    int npages, cap;
    int y;                /* flow cursor: top of the next line */
    char *title, *footer;
    bool oom, finished;
    /* the table being drawn */
    pdf_column cols[MAX_COLS];
    char *titles[MAX_COLS];
    int ncols, table_size;
    bool in_table;
};

pdf *pdf_new(const char *title)
{
    pdf *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->y = PDF_PAGE_HEIGHT - PDF_MARGIN;
    if (title && !(p->title = strdup(title))) {
        free(p);
        return NULL;
    }
    return p;
}

static void table_forget(pdf *p)
{
    for (int i = 0; i < p->ncols; i++) {
        free(p->titles[i]);
        p->titles[i] = NULL;
    }
    p->ncols = 0;
    p->in_table = false;
}

void pdf_free(pdf *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->npages; i++)
        free(p->pages[i].buf);
    free(p->pages);
    free(p->title);
    free(p->footer);
    table_forget(p);
    free(p);
}

void pdf_set_footer(pdf *p, const char *utf8)
{
    if (!p || p->finished)
        return;
    free(p->footer);
    p->footer = NULL;
    if (utf8 && !(p->footer = strdup(utf8)))
        p->oom = true;
}

static bool usable(const pdf *p)
{
    return p && !p->oom && !p->finished;
}

void pdf_new_page(pdf *p)
{
    if (!usable(p))
        return;
    if (p->npages == p->cap) {
        int cap = p->cap ? p->cap * 2 : 4;
        pbuf *np = realloc(p->pages, (size_t)cap * sizeof *np);
        if (!np) {
            p->oom = true;
            return;
        }
        p->pages = np;
        p->cap = cap;
    }
    p->pages[p->npages++] = (pbuf){ 0 };
    p->y = PDF_PAGE_HEIGHT - PDF_MARGIN;
}

/* The current page's stream, starting the first page when there is none. */
static pbuf *page(pdf *p)
{
    if (!p->npages)
        pdf_new_page(p);
    return p->oom ? NULL : &p->pages[p->npages - 1];
}

static void note_oom(pdf *p, const pbuf *b)
{
    if (b && b->oom)
        p->oom = true;
}

/* ---- text encoding ---- */

/* Windows-1252 bytes 0x80..0x9F and the code points they stand for
 * (0 = unused in WinAnsiEncoding). */
static const uint16_t cp1252_high[32] = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
    0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E,
    0x0178,
};

uint32_t utf8_next(const unsigned char **s)
{
    const unsigned char *c = *s;
    uint32_t cp;
    int n;
    if (c[0] < 0x80) {
        *s += 1;
        return c[0];
    } else if ((c[0] & 0xE0) == 0xC0) {
        cp = c[0] & 0x1F;
        n = 1;
    } else if ((c[0] & 0xF0) == 0xE0) {
        cp = c[0] & 0x0F;
        n = 2;
    } else if ((c[0] & 0xF8) == 0xF0) {
        cp = c[0] & 0x07;
        n = 3;
    } else {
        *s += 1;
        return 0xFFFD;
    }
    for (int i = 1; i <= n; i++) {
        if ((c[i] & 0xC0) != 0x80) {
            *s += 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (c[i] & 0x3F);
    }
    static const uint32_t min[4] = { 0, 0x80, 0x800, 0x10000 };
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *s += 1;
        return 0xFFFD;
    }
    *s += (size_t)n + 1;
    return cp;
}

/* A code point as one WinAnsiEncoding byte. */
static unsigned char winansi(uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0))
        return ' ';
    if (cp < 0x7F || (cp >= 0xA0 && cp <= 0xFF))
        return (unsigned char)cp;
    for (int i = 0; i < 32; i++)
        if (cp1252_high[i] && cp1252_high[i] == cp)
            return (unsigned char)(0x80 + i);
    return '?';
}

/* Characters (code points) in a UTF-8 string. */
static int text_chars(const char *utf8)
{
    int n = 0;
    for (const unsigned char *s = (const unsigned char *)utf8; *s;) {
        utf8_next(&s);
        n++;
    }
    return n;
}

/* Write utf8 as a PDF string literal, at most max characters (max < 0: all;
 * a longer text is cut and ends in "..."). Returns the characters written. */
static int put_string(pbuf *b, const char *utf8, int max)
{
    int total = text_chars(utf8);
    int keep = total;
    bool cut = max >= 0 && total > max;
    if (cut)
        keep = max > 3 ? max - 3 : max;
    pb_lit(b, "(");
    const unsigned char *s = (const unsigned char *)utf8;
    for (int i = 0; i < keep && *s; i++) {
        unsigned char ch = winansi(utf8_next(&s));
        char esc[8];
        if (ch == '(' || ch == ')' || ch == '\\') {
            esc[0] = '\\';
            esc[1] = (char)ch;
            pb_put(b, esc, 2);
        } else if (ch > 0x7E) {
            snprintf(esc, sizeof esc, "\\%03o", ch);
            pb_put(b, esc, 4);
        } else {
            esc[0] = (char)ch;
            pb_put(b, esc, 1);
        }
    }
    int written = keep;
    if (cut && max > 3) {
        pb_lit(b, "...");
        written += 3;
    }
    pb_lit(b, ")");
    return written;
}

/* Hundredths of a point as PDF text: 12345 -> "123.45". */
static void put_coord(pbuf *b, long v)
{
    if (v < 0) {
        pb_lit(b, "-");
        v = -v;
    }
    if (v % 100)
        pb_printf(b, "%ld.%02ld", v / 100, v % 100);
    else
        pb_printf(b, "%ld", v / 100);
}

/* BT /Fn size Tf x y Td (text) Tj ET, x in hundredths of a point. */
static void draw_text(pdf *p, pdf_font f, int size, long x100, int y, const char *utf8, int max)
{
    if (!usable(p) || !utf8 || (unsigned)f >= NFONTS || size < 1 || size > 200)
        return;
    pbuf *b = page(p);
    if (!b)
        return;
    pb_printf(b, "BT /F%d %d Tf ", (int)f + 1, size);
    put_coord(b, x100);
    pb_printf(b, " %d Td ", y);
    put_string(b, utf8, max);
    pb_lit(b, " Tj ET\n");
    note_oom(p, b);
}

void pdf_text(pdf *p, pdf_font f, int size, int x, int y, const char *utf8)
{
    draw_text(p, f, size, (long)x * 100, y, utf8, -1);
}

static bool monospaced(pdf_font f)
{
    return f == PDF_COURIER || f == PDF_COURIER_BOLD;
}

/* Width of n Courier characters in hundredths of a point. */
static long courier_width(int n, int size)
{
    return (long)n * 60 * size;
}

int pdf_text_right(pdf *p, pdf_font f, int size, int x_right, int y, const char *utf8)
{
    if (!monospaced(f))
        return -1;
    if (!utf8)
        return 0;
    draw_text(p, f, size, (long)x_right * 100 - courier_width(text_chars(utf8), size), y, utf8, -1);
    return 0;
}

void pdf_line(pdf *p, int x1, int y1, int x2, int y2)
{
    if (!usable(p))
        return;
    pbuf *b = page(p);
    if (!b)
        return;
    pb_printf(b, "0.5 w %d %d m %d %d l S\n", x1, y1, x2, y2);
    note_oom(p, b);
}

/* ---- the flow ---- */

static int leading(int size)
{
    return (size * 13 + 9) / 10;
}

int pdf_flow_y(const pdf *p)
{
    return p ? p->y : 0;
}

static void table_heading(pdf *p);

void pdf_flow_need(pdf *p, int points)
{
    if (!usable(p))
        return;
    if (!p->npages || p->y - points < PDF_BOTTOM)
        pdf_new_page(p);
}

/* Room for one line of `size`; returns its baseline. */
static int flow_line(pdf *p, int size)
{
    int lead = leading(size);
    pdf_flow_need(p, lead);
    p->y -= lead;
    return p->y + (lead - size) ; /* baseline: the line's top minus the font size */
}

void pdf_flow_text(pdf *p, pdf_font f, int size, const char *utf8)
{
    pdf_flow_pair(p, f, size, utf8, 0, NULL);
}

void pdf_flow_pair(pdf *p, pdf_font f, int size, const char *left, int x, const char *right)
{
    if (!usable(p))
        return;
    int base = flow_line(p, size);
    if (left)
        pdf_text(p, f, size, PDF_MARGIN, base, left);
    if (right)
        pdf_text(p, f, size, x, base, right);
}

void pdf_flow_gap(pdf *p, int points)
{
    if (!usable(p) || points <= 0)
        return;
    if (!p->npages || p->y - points < PDF_BOTTOM)
        pdf_new_page(p);
    else
        p->y -= points;
}

void pdf_flow_rule(pdf *p)
{
    if (!usable(p))
        return;
    pdf_flow_need(p, 4);
    p->y -= 2;
    pdf_line(p, PDF_MARGIN, p->y, PDF_PAGE_WIDTH - PDF_MARGIN, p->y);
    p->y -= 2;
}

/* ---- tables ---- */

int pdf_table_max_chars(int size)
{
    if (size < 1)
        return 0;
    return (int)((long)(PDF_PAGE_WIDTH - 2 * PDF_MARGIN) * 100 / courier_width(1, size));
}

static void table_cells(pdf *p, pdf_font f, const char *const *cells)
{
    int base = flow_line(p, p->table_size);
    int at = 0;
    for (int i = 0; i < p->ncols; i++) {
        const pdf_column *c = &p->cols[i];
        const char *cell = cells[i];
        if (cell && *cell) {
            int n = text_chars(cell);
            if (n > c->width)
                n = c->width;
            long x = (long)PDF_MARGIN * 100 + courier_width(at + (c->right ? c->width - n : 0), p->table_size);
            draw_text(p, f, p->table_size, x, base, cell, c->width);
        }
        at += c->width + CELL_GAP;
    }
}

static void table_heading(pdf *p)
{
    const char *titles[MAX_COLS];
    for (int i = 0; i < p->ncols; i++)
        titles[i] = p->titles[i];
    table_cells(p, PDF_COURIER_BOLD, titles);
    pdf_flow_rule(p);
}

int pdf_table_begin(pdf *p, const pdf_column *cols, int ncols, int size)
{
    if (!usable(p))
        return -1;
    if (ncols < 1 || ncols > MAX_COLS || size < 4 || size > 72)
        return -1;
    int chars = 0;
    for (int i = 0; i < ncols; i++) {
        if (cols[i].width < 1)
            return -1;
        chars += cols[i].width + (i ? CELL_GAP : 0);
    }
    if (chars > pdf_table_max_chars(size))
        return -1;
    table_forget(p);
    for (int i = 0; i < ncols; i++) {
        p->cols[i] = cols[i];
        p->titles[i] = strdup(cols[i].title ? cols[i].title : "");
        p->ncols = i + 1;
        if (!p->titles[i]) {
            p->oom = true;
            return -1;
        }
        p->cols[i].title = p->titles[i];
    }
    p->table_size = size;
    p->in_table = true;
    /* the heading and at least one row together */
    pdf_flow_need(p, 2 * leading(size) + 4);
    table_heading(p);
    return 0;
}

void pdf_table_row(pdf *p, const char *const *cells)
{
    if (!usable(p) || !p->in_table || !cells)
        return;
    if (!p->npages || p->y - leading(p->table_size) < PDF_BOTTOM) {
        pdf_new_page(p);
        table_heading(p);
    }
    table_cells(p, PDF_COURIER, cells);
}

void pdf_table_end(pdf *p)
{
    if (!usable(p) || !p->in_table)
        return;
    pdf_flow_rule(p);
    table_forget(p);
}

/* ---- output ---- */

int pdf_page_count(const pdf *p)
{
    return p ? (p->npages ? p->npages : 1) : 0;
}

static void add_footers(pdf *p)
{
    int n = p->npages;
    for (int i = 0; i < n; i++) {
        char label[64];
        snprintf(label, sizeof label, "Page %d of %d", i + 1, n);
        pbuf *b = &p->pages[i];
        if (p->footer) {
            pb_printf(b, "BT /F1 8 Tf %d %d Td ", PDF_MARGIN, FOOTER_Y);
            put_string(b, p->footer, 80);
            pb_lit(b, " Tj ET\n");
        }
        pb_printf(b, "BT /F1 8 Tf %d %d Td (%s) Tj ET\n", PDF_PAGE_WIDTH - PDF_MARGIN - 60, FOOTER_Y, label);
        pb_printf(b, "0.5 w %d %d m %d %d l S\n", PDF_MARGIN, FOOTER_Y + 10, PDF_PAGE_WIDTH - PDF_MARGIN,
                  FOOTER_Y + 10);
        note_oom(p, b);
    }
}

unsigned char *pdf_finish(pdf *p, size_t *len)
{
    *len = 0;
    if (!usable(p))
        return NULL;
    if (!p->npages)
        pdf_new_page(p);
    add_footers(p);
    if (p->oom)
        return NULL;
    p->finished = true;

    int nobj = OBJ_FIRST_PAGE - 1 + 2 * p->npages;   /* objects 1..nobj */
    size_t *off = calloc((size_t)nobj + 1, sizeof *off);
    if (!off)
        return NULL;
    pbuf out = { 0 };
    /* a comment of high bytes tells transfer tools the file is binary */
    pb_lit(&out, "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n");

    off[1] = out.len;
    pb_lit(&out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
    off[2] = out.len;
    pb_printf(&out, "2 0 obj\n<< /Type /Pages /Count %d /Kids [", p->npages);
    for (int i = 0; i < p->npages; i++)
        pb_printf(&out, "%s%d 0 R", i ? " " : "", OBJ_FIRST_PAGE + 2 * i);
    pb_lit(&out, "] >>\nendobj\n");
    for (int f = 0; f < NFONTS; f++) {
        off[3 + f] = out.len;
        pb_printf(&out, "%d 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>\n"
                        "endobj\n", 3 + f, font_names[f]);
    }
    off[7] = out.len;
    pb_lit(&out, "7 0 obj\n<< /Producer (DIDTron) /Title ");
    put_string(&out, p->title ? p->title : "", 200);
    pb_lit(&out, " >>\nendobj\n");
    for (int i = 0; i < p->npages; i++) {
        int obj = OBJ_FIRST_PAGE + 2 * i;
        off[obj] = out.len;
        pb_printf(&out, "%d 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d]"
                        " /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R /F4 6 0 R >> >>"
                        " /Contents %d 0 R >>\nendobj\n", obj, PDF_PAGE_WIDTH, PDF_PAGE_HEIGHT, obj + 1);
        off[obj + 1] = out.len;
        const pbuf *content = &p->pages[i];
        pb_printf(&out, "%d 0 obj\n<< /Length %zu >>\nstream\n", obj + 1, content->len);
        if (content->len)
            pb_put(&out, content->buf, content->len);
        pb_lit(&out, "\nendstream\nendobj\n");
    }
    size_t xref = out.len;
    pb_printf(&out, "xref\n0 %d\n0000000000 65535 f \n", nobj + 1);
    for (int i = 1; i <= nobj; i++)
        pb_printf(&out, "%010zu 00000 n \n", off[i]);
    pb_printf(&out, "trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%zu\n%%%%EOF\n", nobj + 1, xref);
    free(off);
    if (out.oom) {
        free(out.buf);
        return NULL;
    }
    *len = out.len;
    return (unsigned char *)out.buf;
}
