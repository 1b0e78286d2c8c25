/* The streaming rate-deck parser: header, quoting, line ends, row checks,
 * duplicates, resynchronisation after bad lines, chunking. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deck_csv.h"
#include "suite.h"

#define SEC 1000000LL
#define T_DEFAULT (1795392000LL * SEC) /* 2026-11-23T00:00:00Z */

typedef struct {
    char prefix[32], dest[DECK_DESTINATION_MAX + 1], cls[80];
    money_t rate, fee;
    int32_t i, n, m;
    int64_t from, to;
    uint8_t minl, maxl;
    bool blocked;
    long line;
} got_row;

typedef struct {
    long line;
    char msg[200];
} got_err;

typedef struct {
    got_row *rows;
    size_t nrows, caprows;
    got_err *errs;
    size_t nerrs, caperrs;
    long stop_at_line;   /* row callback returns 7 on this line */
    char *log;           /* every callback as text, for comparing two runs */
    size_t loglen, logcap;
} collect;

static void log_add(collect *c, const char *text)
{
    size_t n = strlen(text);
    if (c->loglen + n + 1 > c->logcap) {
        c->logcap = (c->loglen + n + 1) * 2;
        c->log = realloc(c->log, c->logcap);
        ck_assert_ptr_nonnull(c->log);
    }
    memcpy(c->log + c->loglen, text, n + 1);
    c->loglen += n;
}

static int on_row(void *ud, const deck_row *r)
{
    collect *c = ud;
    if (c->nrows == c->caprows) {
        c->caprows = c->caprows ? c->caprows * 2 : 16;
        c->rows = realloc(c->rows, c->caprows * sizeof *c->rows);
        ck_assert_ptr_nonnull(c->rows);
    }
    got_row *g = &c->rows[c->nrows++];
    snprintf(g->prefix, sizeof g->prefix, "%s", r->row.prefix);
    snprintf(g->dest, sizeof g->dest, "%s", r->row.destination);
    snprintf(g->cls, sizeof g->cls, "%s", r->time_class_name);
    g->rate = r->row.t.rate;
    g->fee = r->row.t.connection_fee;
    g->i = r->row.t.initial_increment;
    g->n = r->row.t.subsequent_increment;
    g->m = r->row.t.min_duration;
    g->from = r->row.effective_from;
    g->to = r->row.effective_to;
    g->minl = r->row.min_length;
    g->maxl = r->row.max_length;
    g->blocked = r->row.blocked;
    g->line = r->line;
    char text[512];
    snprintf(text, sizeof text, "R %ld %s|%s|%s|%lld|%lld|%d|%d|%d|%lld|%lld|%d|%d|%d\n", g->line, g->prefix,
             g->dest, g->cls, (long long)g->rate, (long long)g->fee, g->i, g->n, g->m, (long long)g->from,
             (long long)g->to, g->minl, g->maxl, g->blocked);
    log_add(c, text);
    return r->line == c->stop_at_line ? 7 : 0;
}

static int on_error(void *ud, long line, const char *msg)
{
    collect *c = ud;
    if (c->nerrs == c->caperrs) {
        c->caperrs = c->caperrs ? c->caperrs * 2 : 16;
        c->errs = realloc(c->errs, c->caperrs * sizeof *c->errs);
        ck_assert_ptr_nonnull(c->errs);
    }
    got_err *e = &c->errs[c->nerrs++];
    e->line = line;
    snprintf(e->msg, sizeof e->msg, "%s", msg);
    char text[300];
    snprintf(text, sizeof text, "E %ld %s\n", line, msg);
    log_add(c, text);
    return 0;
}

static void collect_free(collect *c)
{
    free(c->rows);
    free(c->errs);
    free(c->log);
    memset(c, 0, sizeof *c);
}

/* Parse `n` bytes in chunks of `chunk` (0: all at once); the first non-zero
 * return of feed or finish. */
static int parse_n(const char *csv, size_t n, size_t chunk, collect *c)
{
    deck_defaults d = { T_DEFAULT, RATE_OPEN_END };
    deck_parser *p = deck_parser_new(&d, on_row, on_error, c);
    ck_assert_ptr_nonnull(p);
    int rc = 0;
    size_t step = chunk ? chunk : (n ? n : 1);
    for (size_t at = 0; at < n && rc == 0; at += step)
        rc = deck_parser_feed(p, csv + at, n - at < step ? n - at : step);
    if (rc == 0)
        rc = deck_parser_finish(p);
    ck_assert_int_eq(deck_parser_rows(p), (long)c->nrows);
    ck_assert_int_eq(deck_parser_errors(p), (long)c->nerrs);
    deck_parser_free(p);
    return rc;
}

static int parse(const char *csv, collect *c)
{
    return parse_n(csv, strlen(csv), 0, c);
}

/* One line error expected, on `line`, whose message contains `part`. */
static void expect_one_error(const char *csv, long line, const char *part)
{
    collect c = { 0 };
    ck_assert_int_eq(parse(csv, &c), 0);
    ck_assert_msg(c.nerrs == 1, "%zu errors for:\n%s", c.nerrs, csv);
    ck_assert_int_eq(c.errs[0].line, line);
    ck_assert_msg(strstr(c.errs[0].msg, part), "message \"%s\" lacks \"%s\"", c.errs[0].msg, part);
    collect_free(&c);
}

START_TEST(test_header_in_any_column_order)
{
    collect c = { 0 };
    ck_assert_int_eq(parse(" Rate ,DESTINATION, prefix\n0.0123,United Kingdom,44\n", &c), 0);
    ck_assert_uint_eq(c.nrows, 1);
    ck_assert_str_eq(c.rows[0].prefix, "44");
    ck_assert_str_eq(c.rows[0].dest, "United Kingdom");
    ck_assert_int_eq(c.rows[0].rate, 12300);
    ck_assert_int_eq(c.rows[0].line, 2);
    collect_free(&c);
}
END_TEST

START_TEST(test_only_prefix_and_rate_take_the_defaults)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,rate\n49,0.05\n", &c), 0);
    ck_assert_uint_eq(c.nrows, 1);
    got_row *r = &c.rows[0];
    ck_assert_int_eq(r->rate, 50000);
    ck_assert_int_eq(r->fee, 0);
    ck_assert_int_eq(r->i, 1);
    ck_assert_int_eq(r->n, 1);
    ck_assert_int_eq(r->m, 0);
    ck_assert_int_eq(r->from, T_DEFAULT);
    ck_assert_int_eq(r->to, RATE_OPEN_END);
    ck_assert_str_eq(r->dest, "");
    ck_assert_str_eq(r->cls, "");
    ck_assert(!r->blocked);
    collect_free(&c);
}
END_TEST

START_TEST(test_every_column)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,destination,rate,connection_fee,initial_increment,subsequent_increment,"
                           "min_duration,effective_from,effective_to,time_class,min_length,max_length,blocked,notes\n"
                           "+4477,UK Mobile,0.1,0.05,30,6,10,2026-12-01,2027-01-01,peak,10,13,yes,ignored\n",
                           &c),
                     0);
    ck_assert_uint_eq(c.nrows, 1);
    got_row *r = &c.rows[0];
    ck_assert_str_eq(r->prefix, "4477");
    ck_assert_int_eq(r->rate, 100000);
    ck_assert_int_eq(r->fee, 50000);
    ck_assert_int_eq(r->i, 30);
    ck_assert_int_eq(r->n, 6);
    ck_assert_int_eq(r->m, 10);
    ck_assert_int_eq(r->from, 1796083200LL * SEC); /* 2026-12-01T00:00:00Z */
    ck_assert_int_eq(r->to, 1798761600LL * SEC);   /* 2027-01-01T00:00:00Z */
    ck_assert_str_eq(r->cls, "peak");
    ck_assert_int_eq(r->minl, 10);
    ck_assert_int_eq(r->maxl, 13);
    ck_assert(r->blocked);
    collect_free(&c);
}
END_TEST

START_TEST(test_quoted_fields_with_commas_and_doubled_quotes)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,destination,rate\n"
                           "44,\"United Kingdom, \"\"Mobile\"\"\",\"0.01\"\n"
                           "\"33\" , \"France\" ,0.02\n",
                           &c),
                     0);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_str_eq(c.rows[0].dest, "United Kingdom, \"Mobile\"");
    ck_assert_int_eq(c.rows[0].rate, 10000);
    ck_assert_str_eq(c.rows[1].prefix, "33");
    ck_assert_str_eq(c.rows[1].dest, "France");
    collect_free(&c);
}
END_TEST

START_TEST(test_quoted_newlines_count_as_lines)
{
    /* line 1 header, lines 2-3 one quoted record, line 4 a bad rate,
     * line 5 a good row. A newline in a destination is refused (a control
     * character), but the record still spans two lines. */
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,destination,rate\n"
                           "44,\"two\nlines\",0.01\n"
                           "45,x,abc\n"
                           "46,\"a \"\"b\"\"\",0.02\n",
                           &c),
                     0);
    ck_assert_uint_eq(c.nerrs, 2);
    ck_assert_int_eq(c.errs[0].line, 2);
    ck_assert(strstr(c.errs[0].msg, "destination"));
    ck_assert_int_eq(c.errs[1].line, 4);
    ck_assert(strstr(c.errs[1].msg, "rate"));
    ck_assert_uint_eq(c.nrows, 1);
    ck_assert_int_eq(c.rows[0].line, 5);
    ck_assert_str_eq(c.rows[0].dest, "a \"b\"");
    collect_free(&c);
}
END_TEST

START_TEST(test_crlf_line_ends)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,rate,destination\r\n44,0.01,UK\r\n\"33\",0.02,\"France\"\r\n", &c), 0);
    ck_assert_uint_eq(c.nerrs, 0);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_str_eq(c.rows[0].dest, "UK");
    ck_assert_int_eq(c.rows[1].rate, 20000);
    ck_assert_str_eq(c.rows[1].dest, "France");
    ck_assert_int_eq(c.rows[1].line, 3);
    collect_free(&c);
}
END_TEST

START_TEST(test_utf8_bom_before_the_header)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("\xEF\xBB\xBFprefix,rate,destination\n44,0.01,Côte d'Ivoire\n", &c), 0);
    ck_assert_uint_eq(c.nrows, 1);
    ck_assert_str_eq(c.rows[0].dest, "Côte d'Ivoire");
    collect_free(&c);
}
END_TEST

START_TEST(test_missing_required_column_is_a_header_error)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,destination\n44,UK\n", &c), -1);
    ck_assert_uint_eq(c.nrows, 0);
    ck_assert_uint_eq(c.nerrs, 1);
    ck_assert_int_eq(c.errs[0].line, 1);
    ck_assert_str_eq(c.errs[0].msg, "header: missing column rate");
    collect_free(&c);

    ck_assert_int_eq(parse("destination,cost\n", &c), -1);
    ck_assert_str_eq(c.errs[0].msg, "header: missing columns prefix and rate");
    collect_free(&c);

    ck_assert_int_eq(parse("prefix,rate,Rate\n44,1,2\n", &c), -1);
    ck_assert_str_eq(c.errs[0].msg, "header: column rate appears twice");
    collect_free(&c);
}
END_TEST

START_TEST(test_feed_after_a_header_error_keeps_refusing)
{
    collect c = { 0 };
    deck_parser *p = deck_parser_new(NULL, on_row, on_error, &c);
    ck_assert_int_eq(deck_parser_feed(p, "nothing,useful\n", 15), -1);
    ck_assert_int_eq(deck_parser_feed(p, "44,0.01\n", 8), -1);
    ck_assert_int_eq(deck_parser_finish(p), -1);
    ck_assert_uint_eq(c.nerrs, 1);
    deck_parser_free(p);
    collect_free(&c);
}
END_TEST

START_TEST(test_non_numeric_rate)
{
    expect_one_error("prefix,rate\n44,abc\n", 2, "rate:");
    expect_one_error("prefix,rate\n44,\n", 2, "rate:");
    expect_one_error("prefix,rate\n44,1e-3\n", 2, "rate:");
    expect_one_error("prefix,rate\n44,\"0,01\"\n", 2, "rate:");
}
END_TEST

START_TEST(test_negative_rate_or_fee)
{
    expect_one_error("prefix,rate\n44,-0.01\n", 2, "rate: must not be negative");
    expect_one_error("prefix,rate,connection_fee\n44,0.01,-1\n", 2, "connection_fee: must not be negative");
}
END_TEST

START_TEST(test_more_than_six_decimals)
{
    expect_one_error("prefix,rate\n44,0.0000001\n", 2, "rate: at most 6 decimals");
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,rate\n44,0.000001\n", &c), 0);
    ck_assert_int_eq(c.rows[0].rate, 1);
    collect_free(&c);
}
END_TEST

START_TEST(test_duplicate_prefix_and_effective_from)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,rate,effective_from,time_class\n"
                           "44,0.01,2026-12-01,\n"        /* 2 */
                           "44,0.02,2027-01-01,\n"        /* 3: another date, fine */
                           "+44,0.03,2026-12-01,\n"       /* 4: duplicate of 2 */
                           "0044,0.04,2026-12-01,\n"      /* 5: duplicate of 2 */
                           "44,0.05,2026-12-01,peak\n"    /* 6: another class, fine */
                           "44,0.06,2026-12-01,peak\n"    /* 7: duplicate of 6 */
                           "441,0.07,2026-12-01,\n",      /* 8: another prefix, fine */
                           &c),
                     0);
    ck_assert_uint_eq(c.nrows, 4);
    ck_assert_uint_eq(c.nerrs, 3);
    ck_assert_int_eq(c.errs[0].line, 4);
    ck_assert_int_eq(c.errs[1].line, 5);
    ck_assert_int_eq(c.errs[2].line, 7);
    ck_assert(strstr(c.errs[0].msg, "duplicate"));
    collect_free(&c);
}
END_TEST

START_TEST(test_bad_dates)
{
    static const char *const bad[] = { "2026-13-01", "2026-02-30", "yesterday", "2026-11-23 25:00",
                                       "2026/11/23", "23.11.2026", "2026-11-23T10:00:00", "2026-11-3",
                                       "2026-11-23T10:00:00.1234567Z" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char csv[200];
        snprintf(csv, sizeof csv, "prefix,rate,effective_from\n44,0.01,%s\n", bad[i]);
        expect_one_error(csv, 2, "effective_from:");
    }
    expect_one_error("prefix,rate,effective_to\n44,0.01,2026-11-31\n", 2, "effective_to:");
}
END_TEST

START_TEST(test_dates_in_every_accepted_form)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("prefix,rate,effective_from\n"
                           "1,0.01,2026-11-23\n"
                           "2,0.01,2026-11-23 10:30\n"
                           "3,0.01,2026-11-23 10:30:15\n"
                           "4,0.01,2026-11-23T10:30:00Z\n"
                           "5,0.01,2026-11-23T11:30:00+01:00\n"
                           "6,0.01,\n",
                           &c),
                     0);
    ck_assert_uint_eq(c.nrows, 6);
    ck_assert_int_eq(c.rows[0].from, 1795392000LL * SEC);
    ck_assert_int_eq(c.rows[1].from, 1795429800LL * SEC);
    ck_assert_int_eq(c.rows[2].from, 1795429815LL * SEC);
    ck_assert_int_eq(c.rows[3].from, 1795429800LL * SEC);
    ck_assert_int_eq(c.rows[4].from, 1795429800LL * SEC);
    ck_assert_int_eq(c.rows[5].from, T_DEFAULT);
    collect_free(&c);
}
END_TEST

START_TEST(test_effective_to_must_be_after_effective_from)
{
    expect_one_error("prefix,rate,effective_from,effective_to\n44,0.01,2026-12-01,2026-12-01\n", 2,
                     "effective_to: must be after effective_from");
    expect_one_error("prefix,rate,effective_from,effective_to\n44,0.01,2026-12-02,2026-12-01\n", 2,
                     "effective_to: must be after effective_from");
    /* against the default effective_from (2026-11-23) too */
    expect_one_error("prefix,rate,effective_to\n44,0.01,2026-11-22\n", 2, "effective_to");
}
END_TEST

START_TEST(test_other_row_checks)
{
    expect_one_error("prefix,rate\n44x,0.01\n", 2, "prefix:");
    expect_one_error("prefix,rate\n,0.01\n", 2, "prefix:");
    expect_one_error("prefix,rate\n1234567890123456789012345,0.01\n", 2, "prefix:");
    expect_one_error("prefix,rate,initial_increment\n44,0.01,0\n", 2, "initial_increment:");
    expect_one_error("prefix,rate,subsequent_increment\n44,0.01,-6\n", 2, "subsequent_increment:");
    expect_one_error("prefix,rate,subsequent_increment\n44,0.01,99999999999\n", 2, "subsequent_increment:");
    expect_one_error("prefix,rate,min_duration\n44,0.01,1.5\n", 2, "min_duration:");
    expect_one_error("prefix,rate,min_length\n44,0.01,25\n", 2, "min_length:");
    expect_one_error("prefix,rate,min_length,max_length\n44,0.01,12,10\n", 2, "min_length: must not be above");
    expect_one_error("prefix,rate,blocked\n44,0.01,maybe\n", 2, "blocked:");
    expect_one_error("prefix,rate,destination\n44,0.01,\xC3\x28\n", 2, "destination:");   /* bad UTF-8 */
    expect_one_error("prefix,rate,destination\n44,0.01,a\tb\n", 2, "destination:");      /* control */
    expect_one_error("prefix,rate,destination\n44,0.01,ab\"c\n", 2, "quote inside an unquoted field");
    expect_one_error("prefix,rate,destination\n44,0.01,\"ab\"c\n", 2, "text after a closing quote");
    char csv[400] = "prefix,rate,destination\n44,0.01,";
    memset(csv + strlen(csv), 'x', DECK_DESTINATION_MAX + 1);
    strcat(csv, "\n");
    expect_one_error(csv, 2, "destination: at most");
}
END_TEST

START_TEST(test_field_count_must_match_the_header)
{
    expect_one_error("prefix,rate,destination\n44,0.01\n", 2, "2 fields, the header has 3");
    expect_one_error("prefix,rate\n44,0.01,extra\n", 2, "3 fields, the header has 2");
}
END_TEST

START_TEST(test_ten_thousand_column_line_is_one_error)
{
    size_t n = 0, cap = 40000;
    char *csv = malloc(cap);
    n += (size_t)sprintf(csv, "prefix,rate\n");
    for (int i = 0; i < 10000; i++)
        n += (size_t)sprintf(csv + n, "%s1", i ? "," : "");
    n += (size_t)sprintf(csv + n, "\n44,0.01\n");
    collect c = { 0 };
    ck_assert_int_eq(parse_n(csv, n, 0, &c), 0);
    ck_assert_uint_eq(c.nerrs, 1);
    ck_assert_int_eq(c.errs[0].line, 2);
    ck_assert_uint_eq(c.nrows, 1);
    ck_assert_int_eq(c.rows[0].line, 3);
    collect_free(&c);
    free(csv);
}
END_TEST

START_TEST(test_line_over_the_limit_is_one_error_then_resync)
{
    /* An unterminated quote opens a field that would run on: the line
     * limit stops it and the parser resynchronises at the next newline. */
    size_t cap = 3 * DECK_LINE_MAX;
    char *csv = malloc(cap);
    size_t n = (size_t)sprintf(csv, "prefix,rate,destination\n44,0.01,\"");
    memset(csv + n, 'x', DECK_LINE_MAX + 10);
    n += DECK_LINE_MAX + 10;
    n += (size_t)sprintf(csv + n, "\n45,0.02,ok\n");
    collect c = { 0 };
    ck_assert_int_eq(parse_n(csv, n, 0, &c), 0);
    ck_assert_uint_eq(c.nerrs, 1);
    ck_assert_int_eq(c.errs[0].line, 2);
    ck_assert(strstr(c.errs[0].msg, "longer than"));
    ck_assert_uint_eq(c.nrows, 1);
    ck_assert_str_eq(c.rows[0].prefix, "45");
    ck_assert_int_eq(c.rows[0].line, 3);
    collect_free(&c);

    /* exactly DECK_LINE_MAX bytes is still fine */
    n = (size_t)sprintf(csv, "prefix,rate,destination\n44,0.01,");
    size_t fill = DECK_LINE_MAX - strlen("44,0.01,");
    memset(csv + n, 'y', fill);
    n += fill;
    csv[n++] = '\n';
    ck_assert_int_eq(parse_n(csv, n, 0, &c), 0);
    ck_assert_uint_eq(c.nerrs, 1); /* the destination is too long, the line is not */
    ck_assert(strstr(c.errs[0].msg, "destination"));
    collect_free(&c);
    free(csv);
}
END_TEST

START_TEST(test_unterminated_quote_at_the_end)
{
    expect_one_error("prefix,rate,destination\n44,0.01,\"abc", 2, "not closed");
}
END_TEST

START_TEST(test_blank_lines_and_a_last_line_without_newline)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("\n  \nprefix,rate\n\n44,0.01\n \t \r\n33,0.02", &c), 0);
    ck_assert_uint_eq(c.nerrs, 0);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_int_eq(c.rows[0].line, 5);
    ck_assert_int_eq(c.rows[1].line, 7);
    collect_free(&c);
}
END_TEST

START_TEST(test_callback_can_stop_the_parse)
{
    collect c = { .stop_at_line = 3 };
    deck_parser *p = deck_parser_new(NULL, on_row, on_error, &c);
    const char *csv = "prefix,rate\n1,1\n2,1\n3,1\n";
    ck_assert_int_eq(deck_parser_feed(p, csv, strlen(csv)), 7);
    ck_assert_int_eq(deck_parser_feed(p, "4,1\n", 4), 7);
    ck_assert_int_eq(deck_parser_finish(p), 7);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_uint_eq(deck_parser_bytes(p), strlen("prefix,rate\n1,1\n2,1\n"));
    deck_parser_free(p);
    collect_free(&c);
}
END_TEST

START_TEST(test_empty_input_has_no_header)
{
    collect c = { 0 };
    ck_assert_int_eq(parse("", &c), -1);
    ck_assert_uint_eq(c.nerrs, 1);
    ck_assert_str_eq(c.errs[0].msg, "header: no header line");
    collect_free(&c);
}
END_TEST

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static unsigned char rnd_byte(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned char)(rng >> 24);
}

START_TEST(test_binary_garbage_never_crashes_and_the_parser_recovers)
{
    /* A good header, 64 KiB of random bytes (NULs, quotes and newlines
     * among them), enough newlines to leave any quoted field, a good row. */
    size_t garbage = 65536, n = 0;
    char *csv = malloc(garbage + 2 * DECK_LINE_MAX + 100);
    n += (size_t)sprintf(csv, "prefix,rate\n");
    for (size_t i = 0; i < garbage; i++)
        csv[n++] = (char)rnd_byte();
    for (int i = 0; i < DECK_LINE_MAX + 2; i++)
        csv[n++] = '\n';
    n += (size_t)sprintf(csv + n, "44,0.01\n");
    collect whole = { 0 }, bytes = { 0 };
    ck_assert_int_eq(parse_n(csv, n, 0, &whole), 0);
    ck_assert_uint_ge(whole.nerrs, 1);
    ck_assert_uint_ge(whole.nrows, 1);
    ck_assert_str_eq(whole.rows[whole.nrows - 1].prefix, "44");
    ck_assert_int_eq(parse_n(csv, n, 7, &bytes), 0);
    ck_assert_str_eq(whole.log, bytes.log);
    collect_free(&whole);
    collect_free(&bytes);

    /* garbage in place of the header: one header error, no crash */
    for (size_t i = 0; i < garbage; i++)
        csv[i] = (char)rnd_byte();
    ck_assert_int_eq(parse_n(csv, garbage, 0, &whole), -1);
    ck_assert_uint_eq(whole.nerrs, 1);
    collect_free(&whole);
    free(csv);
}
END_TEST

static const char mixed_deck[] =
    "\xEF\xBB\xBF"
    "destination,prefix,\"rate\",connection_fee,effective_from,time_class,blocked\r\n"
    "\"United Kingdom, \"\"Fixed\"\"\",44,0.0123,0,2026-11-23,,no\r\n"
    "\"Two\nlines\",45,0.01,,,,\r\n"
    "\n"
    "Germany,49,abc,,,,\n"
    "France,33,0.02,0.01,2026-12-01 10:30,peak,1\n"
    "France,33,0.02,0.01,2026-12-01 10:30,peak,1\n"
    "Too,few\n"
    "\"Côte d'Ivoire\",225,0.2,,,,y\n"
    "Last,1,0.5,,,,";

START_TEST(test_one_byte_chunks_equal_the_whole_buffer)
{
    collect whole = { 0 }, one = { 0 }, three = { 0 };
    size_t n = sizeof mixed_deck - 1;
    ck_assert_int_eq(parse_n(mixed_deck, n, 0, &whole), 0);
    ck_assert_int_eq(parse_n(mixed_deck, n, 1, &one), 0);
    ck_assert_int_eq(parse_n(mixed_deck, n, 3, &three), 0);
    ck_assert_uint_eq(whole.nrows, 4);
    ck_assert_uint_eq(whole.nerrs, 4);
    ck_assert_str_eq(whole.log, one.log);
    ck_assert_str_eq(whole.log, three.log);
    /* and the lines are right: 2, 3-4 (error), 6 (error), 7, 8 (duplicate),
     * 9 (error), 10, 11 */
    ck_assert_int_eq(whole.rows[0].line, 2);
    ck_assert_int_eq(whole.errs[0].line, 3);
    ck_assert_int_eq(whole.errs[1].line, 6);
    ck_assert_int_eq(whole.rows[1].line, 7);
    ck_assert_int_eq(whole.errs[2].line, 8);
    ck_assert_int_eq(whole.errs[3].line, 9);
    ck_assert_int_eq(whole.rows[2].line, 10);
    ck_assert_int_eq(whole.rows[3].line, 11);
    ck_assert_str_eq(whole.rows[0].dest, "United Kingdom, \"Fixed\"");
    ck_assert_int_eq(whole.rows[1].from, 1796121000LL * SEC); /* 2026-12-01T10:30:00Z */
    collect_free(&whole);
    collect_free(&one);
    collect_free(&three);
}
END_TEST

START_TEST(test_thousands_of_bad_lines_keep_their_line_numbers)
{
    /* line 1 header; then for k = 0..5999 line k + 2 is good when k % 3 == 0,
     * else it has a bad rate. */
    enum { LINES = 6000 };
    char *csv = malloc(LINES * 24 + 32);
    size_t n = (size_t)sprintf(csv, "prefix,rate\n");
    for (int k = 0; k < LINES; k++)
        n += (size_t)sprintf(csv + n, k % 3 == 0 ? "%d,0.01\n" : "%d,x%d\n", 100000 + k, k);
    collect c = { 0 };
    ck_assert_int_eq(parse_n(csv, n, 4093, &c), 0);
    ck_assert_uint_eq(c.nrows, LINES / 3);
    ck_assert_uint_eq(c.nerrs, LINES - LINES / 3);
    for (size_t i = 0; i < c.nrows; i++) {
        ck_assert_int_eq(c.rows[i].line, (long)(3 * i + 2));
        char want[16];
        snprintf(want, sizeof want, "%zu", 100000 + 3 * i);
        ck_assert_str_eq(c.rows[i].prefix, want);
    }
    for (size_t e = 0; e < c.nerrs; e++) {
        /* errors are k = 1, 2, 4, 5, 7, 8, ...: k = e + e / 2 + 1 */
        long k = (long)(e + e / 2 + 1);
        ck_assert_int_eq(c.errs[e].line, k + 2);
        ck_assert(strstr(c.errs[e].msg, "rate:"));
    }
    collect_free(&c);
    free(csv);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("deck_csv");
    TCase *tc = tcase_create("deck_csv");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_header_in_any_column_order);
    tcase_add_test(tc, test_only_prefix_and_rate_take_the_defaults);
    tcase_add_test(tc, test_every_column);
    tcase_add_test(tc, test_quoted_fields_with_commas_and_doubled_quotes);
    tcase_add_test(tc, test_quoted_newlines_count_as_lines);
    tcase_add_test(tc, test_crlf_line_ends);
    tcase_add_test(tc, test_utf8_bom_before_the_header);
    tcase_add_test(tc, test_missing_required_column_is_a_header_error);
    tcase_add_test(tc, test_feed_after_a_header_error_keeps_refusing);
    tcase_add_test(tc, test_non_numeric_rate);
    tcase_add_test(tc, test_negative_rate_or_fee);
    tcase_add_test(tc, test_more_than_six_decimals);
    tcase_add_test(tc, test_duplicate_prefix_and_effective_from);
    tcase_add_test(tc, test_bad_dates);
    tcase_add_test(tc, test_dates_in_every_accepted_form);
    tcase_add_test(tc, test_effective_to_must_be_after_effective_from);
    tcase_add_test(tc, test_other_row_checks);
    tcase_add_test(tc, test_field_count_must_match_the_header);
    tcase_add_test(tc, test_ten_thousand_column_line_is_one_error);
    tcase_add_test(tc, test_line_over_the_limit_is_one_error_then_resync);
    tcase_add_test(tc, test_unterminated_quote_at_the_end);
    tcase_add_test(tc, test_blank_lines_and_a_last_line_without_newline);
    tcase_add_test(tc, test_callback_can_stop_the_parse);
    tcase_add_test(tc, test_empty_input_has_no_header);
    tcase_add_test(tc, test_binary_garbage_never_crashes_and_the_parser_recovers);
    tcase_add_test(tc, test_one_byte_chunks_equal_the_whole_buffer);
    tcase_add_test(tc, test_thousands_of_bad_lines_keep_their_line_numbers);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
