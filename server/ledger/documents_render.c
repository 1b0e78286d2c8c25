/*
 * documents_render.c: a document's or a statement's JSON as plain text
 * (80 columns, for the console) and as PDF (common/pdf.h).
 *
 * One description of each layout drives both outputs: the renderers below
 * call a `sink` (title, header pairs, headings, tables, totals, notes) and
 * the two sinks draw those in their medium. A table's column widths come
 * from its content; when the columns do not fit (80 columns of text, or
 * the width of the page in 8-point Courier), the description columns are
 * narrowed and cut with "...", and if even that is not enough each row is
 * shown as "Title: value" lines instead. Amounts are never cut: they are
 * shown exactly, with trailing zeros beyond two decimals dropped
 * ("12.500000" -> "12.50", "0.004500" -> "0.0045").
 *
 * Everything from the database is untrusted text here: control characters
 * become spaces and invalid UTF-8 becomes '?', so a memo cannot move the
 * console's cursor.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "pdf.h"
#include "strbuf.h"

#define TEXT_WIDTH 80
#define PAIR_LEFT 48       /* header pairs: the left part's columns */
#define PAIR_RIGHT_AT 50   /* text: the column where the right part starts */
#define PDF_PAIR_X 330     /* PDF: the x of the right part */
#define PDF_TABLE_SIZE 8
#define PDF_TEXT_SIZE 9
#define MIN_FLEX 8         /* a description column is never narrowed below this */

/* ---- strings that live until the render ends ---- */

typedef struct {
    char **v;
    int n, cap;
    bool oom;
} arena;

static const char *keep(arena *a, char *s)
{
    if (!s) {
        a->oom = true;
        return "";
    }
    if (a->n == a->cap) {
        int cap = a->cap ? a->cap * 2 : 64;
        char **nv = realloc(a->v, (size_t)cap * sizeof *nv);
        if (!nv) {
            free(s);
            a->oom = true;
            return "";
        }
        a->v = nv;
        a->cap = cap;
    }
    a->v[a->n++] = s;
    return s;
}

static const char *fmt(arena *a, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(arena *a, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    char *s = NULL;
    if (vasprintf(&s, f, ap) < 0)
        s = NULL;
    va_end(ap);
    return keep(a, s);
}

static void arena_free(arena *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
}

/* ---- reading the JSON ---- */

static const char *str(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
    return (long long)json_integer_value(json_object_get(o, k));
}

/* "12.500000" -> "12.50"; "-0.004500" -> "-0.0045"; anything else as is. */
static const char *amount(arena *a, const char *s)
{
    const char *dot = strchr(s, '.');
    if (!dot)
        return s;
    size_t n = strlen(s);
    size_t min = (size_t)(dot - s) + 3;
    while (n > min && s[n - 1] == '0')
        n--;
    return fmt(a, "%.*s", (int)n, s);
}

/* ---- columns of text ---- */


/* Terminal columns of one character: 2 for the wide East Asian blocks and
 * emoji, 1 for the rest (control characters are shown as a space). */
static int cp_columns(uint32_t cp)
{
    static const uint32_t wide[][2] = {
        { 0x1100, 0x115F }, { 0x2E80, 0x303E }, { 0x3041, 0x33FF }, { 0x3400, 0x4DBF }, { 0x4E00, 0x9FFF },
        { 0xA000, 0xA4CF }, { 0xAC00, 0xD7A3 }, { 0xF900, 0xFAFF }, { 0xFE30, 0xFE4F }, { 0xFF00, 0xFF60 },
        { 0xFFE0, 0xFFE6 }, { 0x1F300, 0x1F64F }, { 0x1F900, 0x1F9FF }, { 0x20000, 0x3FFFD },
    };
    for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

/* Append one character, cleaned: control characters as a space, invalid
 * UTF-8 (0xFFFD from the decoder) as '?'. */
static void put_cp(strbuf *b, uint32_t cp)
{
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
        sb_printf(b, " ");
    } else if (cp == 0xFFFD) {
        sb_printf(b, "?");
    } else if (cp < 0x80) {
        sb_printf(b, "%c", (char)cp);
    } else {
        char u[5];
        int n;
        if (cp < 0x800) {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | (cp >> 12));
            u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            u[0] = (char)(0xF0 | (cp >> 18));
            u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
            u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
            u[3] = (char)(0x80 | (cp & 0x3F));
            n = 4;
        }
        u[n] = '\0';
        sb_printf(b, "%s", u);
    }
}

int document_text_columns(const char *utf8)
{
    int n = 0;
    for (const unsigned char *s = (const unsigned char *)(utf8 ? utf8 : ""); *s;)
        n += cp_columns(utf8_next(&s));
    return n;
}

/* Append s in exactly `width` columns: cleaned, cut with "..." when
 * longer, padded with spaces on the right (or the left when right). */
static void put_cell(strbuf *b, const char *s, int width, bool right)
{
    if (!s)
        s = "";
    int cols = document_text_columns(s);
    if (cols <= width) {
        if (right)
            sb_printf(b, "%*s", width - cols, "");
        for (const unsigned char *p = (const unsigned char *)s; *p;)
            put_cp(b, utf8_next(&p));
        if (!right)
            sb_printf(b, "%*s", width - cols, "");
        return;
    }
    int room = width > 3 ? width - 3 : width, used = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        uint32_t cp = utf8_next(&p);
        int w = cp_columns(cp);
        if (used + w > room)
            break;
        put_cp(b, cp);
        used += w;
    }
    if (width > 3) {
        sb_printf(b, "...");
        used += 3;
    }
    sb_printf(b, "%*s", width - used, "");
}

/* s cleaned and cut to `width` columns, kept in the arena (for the PDF). */
static const char *cut(arena *a, const char *s, int width)
{
    strbuf b = { 0 };
    put_cell(&b, s, width, false);
    if (b.oom) {
        free(b.buf);
        a->oom = true;
        return "";
    }
    char *t = b.buf ? b.buf : strdup("");
    if (t) { /* drop the padding */
        size_t n = strlen(t);
        while (n && t[n - 1] == ' ')
            t[--n] = '\0';
    }
    return keep(a, t);
}

/* ---- tables ---- */

typedef struct {
    const char *title;
    bool right;   /* numbers */
    bool flex;    /* a description: may be narrowed and cut */
} rcol;

#define MAX_COLS 8

/* Column widths for the content within `limit` columns (gaps of 2 between
 * columns). false: they cannot fit even with the descriptions narrowed. */
static bool layout(const rcol *cols, int ncols, const char *const *cells, int nrows, int limit, int *width)
{
    int total = 2 * (ncols - 1);
    for (int i = 0; i < ncols; i++) {
        width[i] = document_text_columns(cols[i].title);
        for (int r = 0; r < nrows; r++) {
            int w = document_text_columns(cells[r * ncols + i]);
            if (w > width[i])
                width[i] = w;
        }
        if (width[i] < 1)
            width[i] = 1;
        total += width[i];
    }
    while (total > limit) {
        int widest = -1;
        for (int i = 0; i < ncols; i++) {
            int floor = document_text_columns(cols[i].title);
            if (floor < MIN_FLEX)
                floor = MIN_FLEX;
            if (cols[i].flex && width[i] > floor && (widest < 0 || width[i] > width[widest]))
                widest = i;
        }
        if (widest < 0)
            return false;
        width[widest]--;
        total--;
    }
    return true;
}

/* ---- the sinks ---- */

typedef struct sink sink;
struct sink {
    void (*title)(sink *s, const char *left, const char *right);
    void (*pair)(sink *s, const char *left, const char *right);
    void (*heading)(sink *s, const char *text);
    void (*table)(sink *s, const rcol *cols, int ncols, const char *const *cells, int nrows);
    void (*total)(sink *s, const char *label, const char *value);
    void (*note)(sink *s, const char *text);
    void (*gap)(sink *s);
    strbuf text;   /* the text sink's output */
    pdf *pdf;      /* the PDF sink's document */
    arena *a;
};

/* Text: one line at a time, trailing spaces dropped. */
static void text_line(sink *s, strbuf *line)
{
    size_t n = line->buf ? strlen(line->buf) : 0;
    while (n && line->buf[n - 1] == ' ')
        n--;
    sb_printf(&s->text, "%.*s\n", (int)n, line->buf ? line->buf : "");
    if (line->oom)
        s->text.oom = true;
    sb_reset(line);
}

static void text_pair(sink *s, const char *left, const char *right)
{
    strbuf l = { 0 };
    if (right && *right) {
        put_cell(&l, left, PAIR_LEFT, false);
        sb_printf(&l, "%*s", PAIR_RIGHT_AT - PAIR_LEFT, "");
        put_cell(&l, right, TEXT_WIDTH - PAIR_RIGHT_AT, false);
    } else {
        put_cell(&l, left, TEXT_WIDTH, false);
    }
    text_line(s, &l);
    free(l.buf);
}

static void text_title(sink *s, const char *left, const char *right)
{
    strbuf l = { 0 };
    int rw = document_text_columns(right);
    if (rw > TEXT_WIDTH / 2)
        rw = TEXT_WIDTH / 2;
    put_cell(&l, left, TEXT_WIDTH - rw - 1, false);
    sb_printf(&l, " ");
    put_cell(&l, right, rw, true);
    text_line(s, &l);
    for (int i = 0; i < TEXT_WIDTH; i++)
        sb_printf(&l, "=");
    text_line(s, &l);
    free(l.buf);
}

static void text_heading(sink *s, const char *t)
{
    strbuf l = { 0 };
    text_line(s, &l);
    put_cell(&l, t, TEXT_WIDTH, false);
    text_line(s, &l);
    free(l.buf);
}

static void text_rule(sink *s, int width)
{
    for (int i = 0; i < width && i < TEXT_WIDTH; i++)
        sb_printf(&s->text, "-");
    sb_printf(&s->text, "\n");
}

static void text_table(sink *s, const rcol *cols, int ncols, const char *const *cells, int nrows)
{
    int width[MAX_COLS];
    strbuf l = { 0 };
    if (!layout(cols, ncols, cells, nrows, TEXT_WIDTH, width)) {
        /* each row as "Title: value" lines */
        for (int r = 0; r < nrows; r++) {
            for (int i = 0; i < ncols; i++) {
                sb_printf(&l, "%s: ", cols[i].title);
                put_cell(&l, cells[r * ncols + i], TEXT_WIDTH - document_text_columns(cols[i].title) - 2, false);
                text_line(s, &l);
            }
            text_line(s, &l);
        }
        free(l.buf);
        return;
    }
    int total = 2 * (ncols - 1);
    for (int i = 0; i < ncols; i++) {
        put_cell(&l, cols[i].title, width[i], cols[i].right);
        if (i + 1 < ncols)
            sb_printf(&l, "  ");
        total += width[i];
    }
    text_line(s, &l);
    text_rule(s, total);
    for (int r = 0; r < nrows; r++) {
        for (int i = 0; i < ncols; i++) {
            put_cell(&l, cells[r * ncols + i], width[i], cols[i].right);
            if (i + 1 < ncols)
                sb_printf(&l, "  ");
        }
        text_line(s, &l);
    }
    text_rule(s, total);
    free(l.buf);
}

static void text_total(sink *s, const char *label, const char *value)
{
    strbuf l = { 0 };
    int vw = document_text_columns(value);
    if (vw < 16)
        vw = 16;
    if (vw > TEXT_WIDTH - 10)
        vw = TEXT_WIDTH - 10;
    put_cell(&l, label, TEXT_WIDTH - vw - 2, true);
    sb_printf(&l, "  ");
    put_cell(&l, value, vw, true);
    text_line(s, &l);
    free(l.buf);
}

/* Words of t in lines of at most `width` columns; a longer word is cut. */
static void wrap(const char *t, int width, void (*line)(void *ud, const char *text), void *ud)
{
    strbuf out = { 0 }, word = { 0 };
    int used = 0;
    const unsigned char *p = (const unsigned char *)(t ? t : "");
    for (;;) {
        while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
            p++;
        if (!*p)
            break;
        const unsigned char *w0 = p;
        while (*p && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
            p++;
        sb_reset(&word);
        sb_printf(&word, "%.*s", (int)(p - w0), (const char *)w0);
        int ww = document_text_columns(word.buf);
        if (used && used + 1 + ww > width) {
            line(ud, out.buf ? out.buf : "");
            sb_reset(&out);
            used = 0;
        }
        if (used) {
            sb_printf(&out, " ");
            used++;
        }
        if (ww > width - used) {
            put_cell(&out, word.buf, width - used, false);
            used = width;
        } else {
            put_cell(&out, word.buf, ww, false);
            used += ww;
        }
    }
    if (used)
        line(ud, out.buf ? out.buf : "");
    free(out.buf);
    free(word.buf);
}

static void text_note_line(void *ud, const char *t)
{
    sink *s = ud;
    strbuf l = { 0 };
    put_cell(&l, t, TEXT_WIDTH, false);
    text_line(s, &l);
    free(l.buf);
}

static void text_note(sink *s, const char *t)
{
    wrap(t, TEXT_WIDTH, text_note_line, s);
}

static void text_gap(sink *s)
{
    sb_printf(&s->text, "\n");
}

static const sink text_sink = { text_title, text_pair, text_heading, text_table, text_total, text_note, text_gap };

/* PDF: headings in Helvetica, everything else in Courier, so widths are exact. */
#define PDF_CHARS 95   /* 9-point Courier between the margins */

static void pdf_title_(sink *s, const char *left, const char *right)
{
    pdf_flow_pair(s->pdf, PDF_HELVETICA_BOLD, 16, cut(s->a, left, 26), PDF_PAIR_X, cut(s->a, right, 18));
    pdf_flow_gap(s->pdf, 4);
    pdf_flow_rule(s->pdf);
    pdf_flow_gap(s->pdf, 4);
}

static void pdf_pair_(sink *s, const char *left, const char *right)
{
    if (right && *right)
        pdf_flow_pair(s->pdf, PDF_COURIER, PDF_TEXT_SIZE, cut(s->a, left, PAIR_LEFT), PDF_PAIR_X,
                      cut(s->a, right, (PDF_PAGE_WIDTH - PDF_MARGIN - PDF_PAIR_X) * 10 / (6 * PDF_TEXT_SIZE)));
    else
        pdf_flow_text(s->pdf, PDF_COURIER, PDF_TEXT_SIZE, cut(s->a, left, PDF_CHARS));
}

static void pdf_heading_(sink *s, const char *t)
{
    pdf_flow_gap(s->pdf, 8);
    pdf_flow_need(s->pdf, 40); /* a heading is not left alone at the bottom of a page */
    pdf_flow_text(s->pdf, PDF_HELVETICA_BOLD, 11, cut(s->a, t, 80));
    pdf_flow_gap(s->pdf, 2);
}

static void pdf_table_(sink *s, const rcol *cols, int ncols, const char *const *cells, int nrows)
{
    int width[MAX_COLS];
    int limit = pdf_table_max_chars(PDF_TABLE_SIZE);
    if (!layout(cols, ncols, cells, nrows, limit, width)) {
        for (int r = 0; r < nrows; r++) {
            for (int i = 0; i < ncols; i++)
                pdf_flow_text(s->pdf, PDF_COURIER, PDF_TABLE_SIZE,
                              cut(s->a, fmt(s->a, "%s: %s", cols[i].title, cells[r * ncols + i]), limit));
            pdf_flow_gap(s->pdf, 4);
        }
        return;
    }
    pdf_column pc[MAX_COLS];
    for (int i = 0; i < ncols; i++)
        pc[i] = (pdf_column){ cols[i].title, width[i], cols[i].right };
    if (pdf_table_begin(s->pdf, pc, ncols, PDF_TABLE_SIZE))
        return;
    const char *row[MAX_COLS];
    for (int r = 0; r < nrows; r++) {
        for (int i = 0; i < ncols; i++)
            row[i] = cells[r * ncols + i];
        pdf_table_row(s->pdf, row);
    }
    pdf_table_end(s->pdf);
}

static void pdf_total_(sink *s, const char *label, const char *value)
{
    strbuf l = { 0 };
    int vw = document_text_columns(value);
    if (vw < 16)
        vw = 16;
    if (vw > PDF_CHARS - 10)
        vw = PDF_CHARS - 10;
    put_cell(&l, label, PDF_CHARS - vw - 2, true);
    sb_printf(&l, "  ");
    put_cell(&l, value, vw, true);
    pdf_flow_text(s->pdf, PDF_COURIER_BOLD, PDF_TEXT_SIZE, l.buf ? l.buf : "");
    if (l.oom)
        s->a->oom = true;
    free(l.buf);
}

static void pdf_note_line(void *ud, const char *t)
{
    sink *s = ud;
    pdf_flow_text(s->pdf, PDF_COURIER, PDF_TEXT_SIZE, t);
}

static void pdf_note_(sink *s, const char *t)
{
    wrap(t, PDF_CHARS, pdf_note_line, s);
}

static void pdf_gap_(sink *s)
{
    pdf_flow_gap(s->pdf, 8);
}

static const sink pdf_sink = { pdf_title_, pdf_pair_, pdf_heading_, pdf_table_, pdf_total_, pdf_note_, pdf_gap_ };

/* ---- a growing table of cells ---- */

typedef struct {
    const char **cells;
    int ncols, nrows, cap;
    bool oom;
} rows;

static void row_add(rows *t, const char *const *cells)
{
    if (t->oom)
        return;
    if (t->nrows == t->cap) {
        int cap = t->cap ? t->cap * 2 : 32;
        const char **nc = realloc(t->cells, (size_t)cap * (size_t)t->ncols * sizeof *nc);
        if (!nc) {
            t->oom = true;
            return;
        }
        t->cells = nc;
        t->cap = cap;
    }
    for (int i = 0; i < t->ncols; i++)
        t->cells[t->nrows * t->ncols + i] = cells[i] ? cells[i] : "";
    t->nrows++;
}

static void table_out(sink *s, const rcol *cols, rows *t)
{
    if (t->oom)
        s->a->oom = true;
    else if (t->nrows)
        s->table(s, cols, t->ncols, t->cells, t->nrows);
    free(t->cells);
    *t = (rows){ .ncols = t->ncols };
}

/* ---- the layouts ---- */

static const char *kind_label(const char *kind)
{
    static const char *const labels[][2] = {
        { "topup", "Top-up" }, { "payment", "Payment" }, { "charge", "Charge" }, { "credit_note", "Credit note" },
        { "adjustment", "Adjustment" }, { "cdr_charges", "Usage" }, { "netting", "Netting" },
        { "fx_revaluation", "FX revaluation" },
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (!strcmp(labels[i][0], kind))
            return labels[i][1];
    return kind;
}

/* Each line of a multi-line text (bill_to) as its own header pair. */
static void pairs_of_lines(sink *s, const char *prefix, const char *text)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *line = fmt(s->a, "%s%.*s", first ? prefix : "         ", (int)n, p);
        s->pair(s, line, NULL);
        first = false;
        p += n + (nl ? 1 : 0);
    }
}

static void render_statement(sink *s, json_t *st)
{
    arena *a = s->a;
    json_t *car = json_object_get(st, "carrier");
    const char *side = str(st, "side");
    bool customer = !strcmp(side, "customer");
    s->title(s, "STATEMENT OF ACCOUNT", str(car, "name"));
    s->pair(s, fmt(a, "Carrier: %s (#%lld)", str(car, "name"), num(car, "id")), fmt(a, "Currency: %s", str(st, "currency")));
    s->pair(s, fmt(a, "Side: %s", side), fmt(a, "Time zone: %s", str(car, "timezone")));
    s->pair(s, fmt(a, "Period: %s", str(st, "period_label")), NULL);
    s->pair(s, fmt(a, "Account: %s", *str(st, "account") ? str(st, "account") : "(none yet)"),
            fmt(a, "Generated: %.10s", str(st, "generated_at")));
    s->note(s, customer ? "Balance: the money the customer has with us (negative: what it owes us). Debits are "
                          "charges, credits are payments, top-ups and credit notes."
                        : "Balance: what we owe the supplier. Credits are its charges, debits our payments and "
                          "its credit notes.");
    s->gap(s);
    s->total(s, "Opening balance", amount(a, str(st, "opening_balance")));

    static const rcol line_cols[] = {
        { "Date", false, false }, { "Description", false, true }, { "Debit", true, false },
        { "Credit", true, false }, { "Balance", true, false },
    };
    rows t = { .ncols = 5 };
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(st, "lines"), i, l) {
        const char *kind = str(l, "kind");
        const char *desc;
        if (!strcmp(kind, "cdr_charges")) {
            desc = fmt(a, "Usage: %lld calls, %s min", num(l, "calls"), str(l, "minutes"));
        } else {
            const char *memo = str(l, "memo"), *doc = str(l, "document");
            desc = fmt(a, "%s%s%s%s%s", kind_label(kind), *doc ? " " : "", doc, *memo ? ": " : "", memo);
        }
        const char *debit = strcmp(str(l, "debit"), "0.000000") ? amount(a, str(l, "debit")) : "";
        const char *credit = strcmp(str(l, "credit"), "0.000000") ? amount(a, str(l, "credit")) : "";
        row_add(&t, (const char *const[]){ str(l, "date"), desc, debit, credit, amount(a, str(l, "balance")) });
    }
    if (t.nrows)
        table_out(s, line_cols, &t);
    else {
        s->note(s, "No postings in this period.");
        free(t.cells);
    }
    json_t *totals = json_object_get(st, "totals");
    s->total(s, "Total debits", amount(a, str(totals, "debit")));
    s->total(s, "Total credits", amount(a, str(totals, "credit")));
    s->total(s, fmt(a, "Closing balance %s", str(st, "currency")), amount(a, str(st, "closing_balance")));

    s->heading(s, "Summary (change to the balance)");
    json_t *sum = json_object_get(st, "summary");
    json_t *usage = json_object_get(sum, "usage");
    static const rcol sum_cols[] = { { "Item", false, true }, { "Count", true, false }, { "Change", true, false } };
    rows u = { .ncols = 3 };
    row_add(&u, (const char *const[]){ fmt(a, "Usage (%lld calls, %s min)", num(usage, "calls"), str(usage, "minutes")),
                                       fmt(a, "%lld", num(usage, "journals")), amount(a, str(usage, "change")) });
    static const char *const groups[][2] = {
        { "charges", "Other charges" }, { "payments", "Payments and top-ups" }, { "credit_notes", "Credit notes" },
        { "adjustments", "Adjustments" }, { "netting", "Netting" }, { "other", "Other" },
    };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
        json_t *x = json_object_get(sum, groups[g][0]);
        row_add(&u, (const char *const[]){ groups[g][1], fmt(a, "%lld", num(x, "count")), amount(a, str(x, "change")) });
    }
    table_out(s, sum_cols, &u);
    s->total(s, "Movements", amount(a, str(st, "movements")));

    json_t *dests = json_object_get(usage, "destinations");
    if (json_array_size(dests)) {
        s->heading(s, "Usage by destination");
        static const rcol dcols[] = { { "Destination", false, true }, { "Calls", true, false },
                                      { "Minutes", true, false }, { "Amount", true, false } };
        rows d = { .ncols = 4 };
        json_array_foreach(dests, i, l) {
            const char *dest = *str(l, "destination") ? str(l, "destination") : "(no destination)";
            row_add(&d, (const char *const[]){ dest, fmt(a, "%lld", num(l, "calls")), str(l, "minutes"),
                                               amount(a, str(l, "amount")) });
        }
        table_out(s, dcols, &d);
    }
}

static void render_party(sink *s, json_t *doc, const char *right1, const char *right2, const char *right3)
{
    arena *a = s->a;
    json_t *party = json_object_get(doc, "party");
    s->pair(s, fmt(a, "%s (#%lld)", str(party, "name"), num(party, "carrier_id")), right1);
    const char *bill = str(party, "bill_to");
    const char *acct = *str(party, "account_number") ? fmt(a, "Account: %s", str(party, "account_number")) : "";
    const char *tax = *str(party, "tax_code") ? fmt(a, "Tax code: %s", str(party, "tax_code")) : "";
    if (*acct || right2)
        s->pair(s, acct, right2);
    if (*tax || right3)
        s->pair(s, tax, right3);
    if (*bill)
        pairs_of_lines(s, "Bill to: ", bill);
}

static void render_document(sink *s, json_t *doc)
{
    arena *a = s->a;
    const char *type = str(doc, "type"), *cur = str(doc, "currency");
    bool void_ = !strcmp(str(doc, "status"), "void");
    size_t i;
    json_t *l;
    if (!strcmp(type, "invoice")) {
        s->title(s, void_ ? "INVOICE (VOID)" : "INVOICE", str(doc, "number"));
        render_party(s, doc, fmt(a, "Issued: %s", str(doc, "issued_date")), fmt(a, "Due: %s", str(doc, "due_date")),
                     fmt(a, "Currency: %s", cur));
        s->pair(s, fmt(a, "Period: %s (%s)", str(doc, "period_label"), str(json_object_get(doc, "party"), "timezone")),
                NULL);
        s->pair(s, fmt(a, "Side: %s", str(doc, "side")), NULL);
        if (void_)
            s->note(s, fmt(a, "VOID: %s", str(doc, "void_reason")));
        static const rcol ucols[] = { { "Destination", false, true }, { "Calls", true, false },
                                      { "Minutes", true, false }, { "Amount", true, false } };
        static const rcol ccols[] = { { "Date", false, false }, { "Description", false, true },
                                      { "Amount", true, false } };
        rows u = { .ncols = 4 }, c = { .ncols = 3 };
        json_array_foreach(json_object_get(doc, "lines"), i, l) {
            if (!strcmp(str(l, "type"), "usage")) {
                const char *dest = *str(l, "destination") ? str(l, "destination") : "(no destination)";
                row_add(&u, (const char *const[]){ dest, fmt(a, "%lld", num(l, "calls")), str(l, "minutes"),
                                                   amount(a, str(l, "amount")) });
            } else {
                const char *memo = str(l, "memo");
                row_add(&c, (const char *const[]){ str(l, "date"), *memo ? memo : "Charge",
                                                   amount(a, str(l, "amount")) });
            }
        }
        if (!u.nrows && !c.nrows)
            s->note(s, "No charges in this period.");
        if (u.nrows) {
            s->heading(s, "Usage by destination");
            table_out(s, ucols, &u);
        }
        if (c.nrows) {
            s->heading(s, "Other charges");
            table_out(s, ccols, &c);
        }
        free(u.cells);
        free(c.cells);
        s->gap(s);
        s->total(s, "Subtotal", amount(a, str(doc, "subtotal")));
        s->total(s, fmt(a, "Total %s", cur), amount(a, str(doc, "total")));
    } else if (!strcmp(type, "credit_note")) {
        s->title(s, "CREDIT NOTE", str(doc, "number"));
        render_party(s, doc, fmt(a, "Issued: %s", str(doc, "issued_date")), fmt(a, "Currency: %s", cur),
                     fmt(a, "Side: %s", str(doc, "side")));
        if (*str(doc, "invoice_number"))
            s->pair(s, fmt(a, "Credits invoice %s", str(doc, "invoice_number")), NULL);
        s->pair(s, fmt(a, "Ledger journal %lld", num(doc, "journal_id")), NULL);
        static const rcol cols[] = { { "Description", false, true }, { "Amount", true, false } };
        rows c = { .ncols = 2 };
        json_array_foreach(json_object_get(doc, "lines"), i, l)
            row_add(&c, (const char *const[]){ str(l, "description"), amount(a, str(l, "amount")) });
        s->heading(s, "Credit");
        table_out(s, cols, &c);
        if (*str(doc, "memo"))
            s->note(s, str(doc, "memo"));
        s->total(s, fmt(a, "Total credited %s", cur), amount(a, str(doc, "total")));
    } else {
        s->title(s, "NETTING", str(doc, "number"));
        render_party(s, doc, fmt(a, "Issued: %s", str(doc, "issued_date")), fmt(a, "Currency: %s", cur), NULL);
        s->pair(s, fmt(a, "Ledger journal %lld", num(doc, "journal_id")), NULL);
        s->note(s, "What the carrier owed us on its customer side and what we owed it on its supplier side are "
                   "offset by the amount below. Balances as the carrier sees them.");
        static const rcol cols[] = { { "Side", false, true }, { "Before", true, false }, { "Change", true, false },
                                     { "After", true, false } };
        rows c = { .ncols = 4 };
        json_array_foreach(json_object_get(doc, "lines"), i, l)
            row_add(&c, (const char *const[]){ str(l, "description"), amount(a, str(l, "before")),
                                               amount(a, fmt(a, "%s%s", str(l, "side")[0] == 'c' ? "+" : "",
                                                             str(l, "amount"))),
                                               amount(a, str(l, "after")) });
        table_out(s, cols, &c);
        if (*str(doc, "memo"))
            s->note(s, str(doc, "memo"));
        s->total(s, fmt(a, "Netted %s", cur), amount(a, str(doc, "total")));
    }
}

/* ---- entry points ---- */

static char *to_text(json_t *j, void (*render)(sink *, json_t *))
{
    arena a = { 0 };
    sink s = text_sink;
    s.a = &a;
    render(&s, j);
    arena_free(&a);
    if (a.oom || s.text.oom || !s.text.buf) {
        free(s.text.buf);
        return NULL;
    }
    return s.text.buf;
}

static unsigned char *to_pdf(json_t *j, const char *title, const char *footer, void (*render)(sink *, json_t *),
                             size_t *len)
{
    arena a = { 0 };
    sink s = pdf_sink;
    s.a = &a;
    s.pdf = pdf_new(title);
    unsigned char *out = NULL;
    *len = 0;
    if (s.pdf) {
        pdf_set_footer(s.pdf, footer);
        render(&s, j);
        if (!a.oom)
            out = pdf_finish(s.pdf, len);
        pdf_free(s.pdf);
    }
    arena_free(&a);
    return out;
}

char *document_text(json_t *doc)
{
    return to_text(doc, render_document);
}

char *statement_text(json_t *st)
{
    return to_text(st, render_statement);
}

unsigned char *document_pdf(json_t *doc, size_t *len)
{
    char footer[160];
    snprintf(footer, sizeof footer, "%s  %s  %s", str(doc, "number"), str(json_object_get(doc, "party"), "name"),
             str(doc, "issued_date"));
    return to_pdf(doc, str(doc, "number"), footer, render_document, len);
}

unsigned char *statement_pdf(json_t *st, size_t *len)
{
    char footer[200];
    snprintf(footer, sizeof footer, "Statement of account  %s  %s %s  %s",
             str(json_object_get(st, "carrier"), "name"), str(st, "side"), str(st, "currency"),
             str(st, "period_label"));
    return to_pdf(st, "Statement of account", footer, render_statement, len);
}
