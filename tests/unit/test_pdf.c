/*
 * Unit: the PDF writer (common/pdf.h) — the file's structure (header,
 * every cross-reference offset pointing at its "N 0 obj", stream lengths,
 * trailer, %%EOF, page count), text escaping and encoding, tables that
 * break across pages with their heading repeated, and, when poppler's
 * pdftotext is installed, that a reader gets the text back.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pdf.h"
#include "suite.h"

/* The file as a NUL-terminated string (it has no NUL of its own). */
static char *finish(pdf *p, size_t *len)
{
    unsigned char *bytes = pdf_finish(p, len);
    ck_assert_ptr_nonnull(bytes);
    char *s = malloc(*len + 1);
    memcpy(s, bytes, *len);
    s[*len] = '\0';
    free(bytes);
    ck_assert_uint_eq(strlen(s), *len);
    return s;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *s = hay; (s = strstr(s, needle)); s += strlen(needle))
        n++;
    return n;
}

/* Check everything a reader relies on; returns the number of objects. */
static int check_structure(const char *s, size_t len, int pages)
{
    ck_assert(!strncmp(s, "%PDF-1.4\n", 9));
    ck_assert(len > 20 && !strcmp(s + len - 6, "%%EOF\n"));
    const char *sx = strstr(s, "\nstartxref\n");
    ck_assert_ptr_nonnull(sx);
    long xref = atol(sx + 11);
    ck_assert(xref > 0 && (size_t)xref < len);
    ck_assert(!strncmp(s + xref, "xref\n0 ", 7));
    int size = atoi(s + xref + 7);
    ck_assert_int_ge(size, 9);
    const char *e = strchr(s + xref + 7, '\n') + 1;
    ck_assert(!strncmp(e, "0000000000 65535 f \n", 20));
    for (int i = 1; i < size; i++) {
        const char *entry = e + 20 * i;
        ck_assert_msg(entry[10] == ' ' && !strncmp(entry + 11, "00000 n \n", 9), "xref entry %d malformed", i);
        long off = atol(entry);
        char want[32];
        int n = snprintf(want, sizeof want, "%d 0 obj\n", i);
        ck_assert_msg(off > 0 && (size_t)off < len && !strncmp(s + off, want, (size_t)n),
                      "xref entry %d points at %.12s", i, s + off);
    }
    ck_assert(!strncmp(e + 20 * size, "trailer\n", 8));
    char trailer[64];
    snprintf(trailer, sizeof trailer, "<< /Size %d /Root 1 0 R /Info 7 0 R >>", size);
    ck_assert_ptr_nonnull(strstr(e + 20 * size, trailer));
    /* pages: the tree's count, the kids, the page objects */
    char cnt[32];
    snprintf(cnt, sizeof cnt, "/Count %d ", pages);
    ck_assert_ptr_nonnull(strstr(s, cnt));
    ck_assert_int_eq(count(s, "/Type /Page /Parent"), pages);
    /* every stream is exactly /Length bytes */
    int streams = 0;
    for (const char *l = s; (l = strstr(l, "<< /Length ")); l++) {
        long n = atol(l + 11);
        const char *body = strstr(l, ">>\nstream\n") + 10;
        ck_assert(!strncmp(body + n, "\nendstream\nendobj\n", 18));
        streams++;
    }
    ck_assert_int_eq(streams, pages);
    ck_assert_int_eq(count(s, "/BaseFont /Helvetica /Encoding /WinAnsiEncoding"), 1);
    ck_assert_int_eq(count(s, "/BaseFont /Courier /Encoding /WinAnsiEncoding"), 1);
    ck_assert_int_eq(count(s, "/Subtype /Type1"), 4);
    return size;
}

START_TEST(test_a_one_page_document_has_a_valid_structure)
{
    pdf *p = pdf_new("Invoice INV-2026-000001");
    pdf_flow_text(p, PDF_HELVETICA_BOLD, 16, "INVOICE");
    pdf_flow_pair(p, PDF_HELVETICA, 10, "Bill to: Acme", 330, "Issued: 2026-11-23");
    pdf_flow_rule(p);
    pdf_text(p, PDF_COURIER, 9, 40, 400, "12.50");
    ck_assert_int_eq(pdf_text_right(p, PDF_COURIER, 9, 555, 400, "1.00"), 0);
    ck_assert_int_eq(pdf_text_right(p, PDF_HELVETICA, 9, 555, 380, "1.00"), -1);
    pdf_line(p, 40, 300, 555, 300);
    pdf_set_footer(p, "INV-2026-000001");
    ck_assert_int_eq(pdf_page_count(p), 1);
    size_t len;
    char *s = finish(p, &len);
    ck_assert_int_eq(check_structure(s, len, 1), 10); /* 0 + 7 fixed + page + contents */
    ck_assert_ptr_nonnull(strstr(s, "/Title (Invoice INV-2026-000001)"));
    ck_assert_ptr_nonnull(strstr(s, "(INVOICE) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(Page 1 of 1) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(INV-2026-000001) Tj"));
    /* "1.00" right-aligned at 555 in Courier 9: 4 x 5.4 = 21.6 points to the left */
    ck_assert_ptr_nonnull(strstr(s, "BT /F3 9 Tf 533.40 400 Td (1.00) Tj ET"));
    ck_assert_ptr_null(strstr(s, "380 Td")); /* the Helvetica one was refused */
    /* nothing can be drawn after the finish */
    pdf_flow_text(p, PDF_HELVETICA, 10, "late");
    size_t n2;
    ck_assert_ptr_null(pdf_finish(p, &n2));
    free(s);
    pdf_free(p);
}
END_TEST

START_TEST(test_an_empty_document_has_one_blank_page)
{
    pdf *p = pdf_new(NULL);
    size_t len;
    char *s = finish(p, &len);
    check_structure(s, len, 1);
    free(s);
    pdf_free(p);
}
END_TEST

START_TEST(test_text_is_escaped_and_encoded_in_winansi)
{
    pdf *p = pdf_new("a (b) c\\d");
    pdf_flow_text(p, PDF_HELVETICA, 10, "Price (net) \\ total");
    pdf_flow_text(p, PDF_HELVETICA, 10, "caf\xc3\xa9 \xe2\x82\xac" "5 \xe2\x80\x94 ok"); /* café €5 — ok */
    pdf_flow_text(p, PDF_HELVETICA, 10, "\xe6\x97\xa5\xe6\x9c\xac|\xf0\x9f\x98\x80|");   /* 日本|😀| */
    pdf_flow_text(p, PDF_HELVETICA, 10, "bad\xff\xc3(\x01\t\n)end");
    pdf_flow_text(p, PDF_HELVETICA, 10, "\xed\xa0\x80|\xc0\xaf|"); /* a surrogate, an overlong '/' */
    size_t len;
    char *s = finish(p, &len);
    check_structure(s, len, 1);
    ck_assert_ptr_nonnull(strstr(s, "/Title (a \\(b\\) c\\\\d)"));
    ck_assert_ptr_nonnull(strstr(s, "(Price \\(net\\) \\\\ total) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(caf\\351 \\2005 \\227 ok) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(??|?|) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(bad??\\(   \\)end) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(???|??|) Tj"));
    /* apart from the marker comment, the file is printable ASCII and newlines */
    for (size_t i = 15; i < len; i++)
        ck_assert_msg(s[i] == '\n' || (s[i] >= 0x20 && s[i] < 0x7F), "byte %zu is 0x%02x", i,
                      (unsigned char)s[i]);
    free(s);
    pdf_free(p);
}
END_TEST

START_TEST(test_a_long_table_breaks_across_pages_with_its_heading_repeated)
{
    pdf *p = pdf_new("Statement");
    pdf_flow_text(p, PDF_HELVETICA_BOLD, 14, "STATEMENT OF ACCOUNT");
    static const pdf_column cols[] = {
        { "Date", 10, false }, { "Description", 30, false }, { "Debit", 14, true }, { "Credit", 14, true },
        { "Balance", 15, true },
    };
    ck_assert_int_eq(pdf_table_begin(p, cols, 5, 9), 0);
    char date[16], amount[32];
    for (int i = 0; i < 200; i++) {
        snprintf(date, sizeof date, "2026-03-%02d", i % 28 + 1);
        snprintf(amount, sizeof amount, "%d.50", i);
        const char *row[] = { date, i == 7 ? "a description far too long for its thirty characters" : "charge",
                              amount, NULL, "-1.00" };
        pdf_table_row(p, row);
    }
    pdf_table_end(p);
    pdf_flow_text(p, PDF_HELVETICA, 10, "Closing balance");
    int pages = pdf_page_count(p);
    ck_assert_int_ge(pages, 3);
    size_t len;
    char *s = finish(p, &len);
    check_structure(s, len, pages);
    ck_assert_int_eq(count(s, "(Description) Tj"), pages); /* the heading on every page */
    ck_assert_int_eq(count(s, "(-1.00) Tj"), 200);
    ck_assert_ptr_nonnull(strstr(s, "(199.50) Tj"));
    ck_assert_ptr_nonnull(strstr(s, "(a description far too long ...) Tj")); /* cut to 30 */
    char last[48];
    snprintf(last, sizeof last, "(Page %d of %d) Tj", pages, pages);
    ck_assert_ptr_nonnull(strstr(s, last));
    /* no text below the bottom margin but the footers */
    for (const char *t = s; (t = strstr(t, " Td (")); t++) {
        const char *y = t;
        while (y > s && y[-1] != ' ')
            y--;
        int yy = atoi(y);
        ck_assert_msg(yy >= PDF_BOTTOM || yy == 28, "text at y %d", yy);
    }
    free(s);
    pdf_free(p);
}
END_TEST

START_TEST(test_a_table_too_wide_for_the_page_is_refused)
{
    pdf *p = pdf_new(NULL);
    ck_assert_int_eq(pdf_table_max_chars(9), 95);
    pdf_column wide[] = { { "A", 60, false }, { "B", 34, true } }; /* 60 + 2 + 34 = 96 */
    ck_assert_int_eq(pdf_table_begin(p, wide, 2, 9), -1);
    wide[1].width = 33;
    ck_assert_int_eq(pdf_table_begin(p, wide, 2, 9), 0);
    pdf_table_row(p, (const char *const[]){ "x", "1" });
    pdf_table_end(p);
    pdf_table_row(p, (const char *const[]){ "after the end", "2" }); /* ignored */
    size_t len;
    char *s = finish(p, &len);
    ck_assert_ptr_null(strstr(s, "after the end"));
    free(s);
    pdf_free(p);
}
END_TEST

/* ---- a reader gets the text back (poppler's pdftotext) ---- */

static bool have_pdftotext(void)
{
    return system("command -v pdftotext >/dev/null 2>&1") == 0;
}

START_TEST(test_pdftotext_reads_the_text_back)
{
    if (!have_pdftotext()) {
        fprintf(stderr, "test_pdf: SKIPPED the pdftotext check: pdftotext (poppler-utils) is not installed\n");
        return;
    }
    pdf *p = pdf_new("Invoice");
    pdf_flow_text(p, PDF_HELVETICA_BOLD, 16, "INVOICE INV-2026-000042");
    pdf_flow_pair(p, PDF_HELVETICA, 10, "Bill to: Caf\xc3\xa9 Telecom (UK)", 330, "Total: 1234.567800 EUR");
    static const pdf_column cols[] = { { "Destination", 30, false }, { "Amount", 14, true } };
    pdf_table_begin(p, cols, 2, 9);
    for (int i = 0; i < 120; i++)
        pdf_table_row(p, (const char *const[]){ i == 119 ? "Zimbabwe Mobile" : "United Kingdom", "10.000100" });
    pdf_table_end(p);
    size_t len;
    unsigned char *bytes = pdf_finish(p, &len);
    ck_assert_ptr_nonnull(bytes);
    char dir[] = "/tmp/test_pdf_XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char in[64], out[64], cmd[200];
    snprintf(in, sizeof in, "%s/a.pdf", dir);
    snprintf(out, sizeof out, "%s/a.txt", dir);
    FILE *f = fopen(in, "wb");
    ck_assert_uint_eq(fwrite(bytes, 1, len, f), len);
    fclose(f);
    free(bytes);
    snprintf(cmd, sizeof cmd, "pdftotext -layout %s %s 2>&1", in, out);
    ck_assert_int_eq(system(cmd), 0);
    f = fopen(out, "rb");
    ck_assert_ptr_nonnull(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = '\0';
    fclose(f);
    ck_assert_ptr_nonnull(strstr(text, "INVOICE INV-2026-000042"));
    ck_assert_ptr_nonnull(strstr(text, "Caf\xc3\xa9 Telecom (UK)")); /* back to UTF-8 */
    ck_assert_ptr_nonnull(strstr(text, "1234.567800 EUR"));
    ck_assert_ptr_nonnull(strstr(text, "Zimbabwe Mobile"));
    ck_assert_ptr_nonnull(strstr(text, "Page 2 of"));
    unlink(in);
    unlink(out);
    rmdir(dir);
    pdf_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pdf");
    TCase *tc = tcase_create("pdf");
    tcase_add_test(tc, test_a_one_page_document_has_a_valid_structure);
    tcase_add_test(tc, test_an_empty_document_has_one_blank_page);
    tcase_add_test(tc, test_text_is_escaped_and_encoded_in_winansi);
    tcase_add_test(tc, test_a_long_table_breaks_across_pages_with_its_heading_repeated);
    tcase_add_test(tc, test_a_table_too_wide_for_the_page_is_refused);
    tcase_add_test(tc, test_pdftotext_reads_the_text_back);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
