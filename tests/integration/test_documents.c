/*
 * Integration: the ledger's documents (docs/documents.md) — statements of
 * account with hand-computed opening balances, lines and closing
 * balances; invoices with hand-computed totals and lines by destination,
 * their numbering under concurrent creation, idempotency, overlap
 * refusal and voiding; credit notes (a journal and a document); netting
 * of a bilateral carrier's two sides; customer scope; the text (80
 * columns) and PDF formats.
 *
 * Postings in past periods are written with SQL, one transaction per
 * journal (journal, entries and, for rated usage, the lines by
 * destination in ledger_cdr_lines), backdated with created_at — the way
 * the once-a-second CDR charge posting writes them, except for the time.
 * The database's own triggers check that each balances and keep the
 * cached balances. Dates are in the year before the current one, in time
 * zones without daylight saving time, so the hand-computed local days
 * never move.
 *
 * Sign conventions (docs/ledger.md): entries are debit-positive; a
 * customer's balance is the money it has with us (its carrier_customer
 * account negated), a supplier's what we owe it (carrier_supplier
 * negated).
 */
#include <check.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "money.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static int Y;        /* last year: every backdated posting is in it */
static int issue_year; /* this year: documents are numbered in it */

/* ---- helpers ---- */

static long long new_carrier(const char *name, const char *type, const char *currency, const char *tz)
{
    json_t *c = ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                      "timezone", tz, "currencies", currency));
    long long id = jint(c, "id");
    json_decref(c);
    return id;
}

static void postpaid(long long id, const char *limit)
{
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    long long version = jint(c, "version");
    json_decref(c);
    json_decref(ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:I, s:{s:s, s:s}}", "id", (json_int_t)id, "version", (json_int_t)version,
                             "customer", "credit_type", "postpaid", "credit_limit", limit)));
}

static json_t *posting(const char *key, const char *kind, long long carrier, const char *side, const char *amount)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", key, "kind", kind, "carrier_id",
                     (json_int_t)carrier, "side", side, "amount", amount, "currency", "USD");
}

static void post(const char *key, const char *kind, long long carrier, const char *side, const char *amount)
{
    json_decref(ok(admin, "ledger.post", posting(key, kind, carrier, side, amount)));
}

static const char *sqlf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *sqlf(const char *fmt, ...)
{
    char sql[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return harness_sql(sql);
}

/* Rated usage posted at `at` (UTC) as the once-a-second CDR charge
 * posting writes it, with SQL in one transaction: a cdr_charges journal
 * (no carrier, no side), the entry on the carrier side's account
 * (debit-positive `entry`), its negation on `offset`, and the lines by
 * destination `lines` ("('UK', 3, 180, 1.5), ...") whose amounts sum to
 * |entry|. Returns the journal id. */
static long long cdr_journal(long long carrier, const char *side, const char *entry, const char *offset,
                             const char *at, const char *lines)
{
    static int n;
    return atoll(sqlf(
        "INSERT INTO ledger_journals (idempotency_key, kind, currency, memo, actor, created_at)"
        " VALUES ('sql-cdr-%d', 'cdr_charges', 'USD', 'rated calls', 'system', '%s');"
        "INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind, created_at) VALUES"
        " (currval('ledger_journals_id_seq'), ledger_account_id('carrier_%s', %lld, 'USD', NULL), %s, 'USD',"
        "  'cdr_charges', '%s'),"
        " (currval('ledger_journals_id_seq'), ledger_account_id('%s', NULL, 'USD', NULL), -(%s), 'USD',"
        "  'cdr_charges', '%s');"
        "INSERT INTO ledger_cdr_lines (journal_id, account_id, carrier_id, side, currency, destination, calls, seconds,"
        " amount) SELECT currval('ledger_journals_id_seq'), ledger_account_id('carrier_%s', %lld, 'USD', NULL), %lld,"
        " '%s', 'USD', v.d, v.c, v.s, v.a FROM (VALUES %s) v(d, c, s, a);"
        "SELECT currval('ledger_journals_id_seq')",
        ++n, at, side, carrier, entry, at, offset, entry, at, side, carrier, carrier, side, lines));
}

/* A journal of the carrier side posted at `at` (UTC), written with SQL in
 * one transaction: `entry` on the carrier side's account (debit-positive),
 * its negation on the platform account `offset` (with `provider` for cash).
 * Returns the journal id. */
static long long backdated_journal(const char *kind, long long carrier, const char *side, const char *entry,
                                   const char *offset, const char *provider, const char *at, const char *memo)
{
    static int n;
    char prov[48] = "NULL";
    if (provider)
        snprintf(prov, sizeof prov, "'%s'", provider);
    return atoll(sqlf(
        "INSERT INTO ledger_journals (idempotency_key, kind, carrier_id, side, amount, currency, memo, actor,"
        " created_at) VALUES ('sqlj-%d-%s', '%s', %lld, '%s', abs(%s), 'USD', $m$%s$m$, 'test', '%s');"
        "INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind, created_at) VALUES"
        " (currval('ledger_journals_id_seq'), ledger_account_id('carrier_%s', %lld, 'USD', NULL), %s, 'USD', '%s', '%s'),"
        " (currval('ledger_journals_id_seq'), ledger_account_id('%s', NULL, 'USD', %s), -(%s), 'USD', '%s', '%s');"
        " SELECT currval('ledger_journals_id_seq')",
        ++n, kind, kind, carrier, side, entry, memo ? memo : "", at, side, carrier, entry, kind, at, offset, prov, entry,
        kind, at));
}

/* Rated usage charged to a customer at `at`: lines "('UK', 3, 180, 1.5), ...". */
static long long usage(long long carrier, const char *total, const char *at, const char *lines)
{
    return cdr_journal(carrier, "customer", total, "revenue", at, lines);
}

/* A date or time in the test year: when("-03-09T23:30:00Z"). */
static const char *when(const char *rest)
{
    static char buf[8][48];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, 48, "%d%s", Y, rest);
    return b;
}

static json_t *statement(long long carrier, const char *from, const char *to, const char *side)
{
    json_t *p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)carrier, "from", from);
    if (to)
        json_object_set_new(p, "to", json_string(to));
    if (side)
        json_object_set_new(p, "side", json_string(side));
    return ok(admin, "ledger.statement", p);
}

static json_t *balance(long long carrier)
{
    return ok(admin, "ledger.balance", json_pack("{s:I}", "carrier_id", (json_int_t)carrier));
}

static const char *path2(json_t *o, const char *a, const char *b)
{
    return jstr(json_object_get(o, a), b);
}

static money_t m(const char *s)
{
    money_t v = 0;
    ck_assert_msg(money_parse(s, &v) == MONEY_OK, "not money: %s", s);
    return v;
}

/* opening + every line's change = closing; each line's balance is the
 * previous one plus its change; debits and credits add up. */
static void assert_statement_adds_up(json_t *st)
{
    money_t bal = m(jstr(st, "opening_balance")), debit = 0, credit = 0, sum = 0;
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(st, "lines"), i, l) {
        money_t d = m(jstr(l, "debit")), c = m(jstr(l, "credit"));
        ck_assert(d == 0 || c == 0);
        ck_assert(m(jstr(l, "change")) == c - d);
        bal += c - d;
        debit += d;
        credit += c;
        ck_assert_msg(bal == m(jstr(l, "balance")), "line %zu: running balance %s", i, jstr(l, "balance"));
    }
    ck_assert(bal == m(jstr(st, "closing_balance")));
    ck_assert(m(jstr(st, "closing_balance")) - m(jstr(st, "opening_balance")) == m(jstr(st, "movements")));
    ck_assert(debit == m(path2(st, "totals", "debit")));
    ck_assert(credit == m(path2(st, "totals", "credit")));
    json_t *sm = json_object_get(st, "summary");
    const char *groups[] = { "usage", "charges", "payments", "credit_notes", "adjustments", "netting", "other" };
    for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
        sum += m(path2(sm, groups[g], "change"));
    ck_assert(sum == m(jstr(st, "movements")));
    money_t dest = 0;
    json_array_foreach(json_object_get(json_object_get(sm, "usage"), "destinations"), i, l)
        dest += m(jstr(l, "amount"));
    /* customer usage lowers the balance, a supplier's raises what we owe */
    bool customer = !strcmp(jstr(st, "side"), "customer");
    ck_assert(dest == (customer ? -1 : 1) * m(path2(sm, "usage", "change")));
}

static const char *line_field(json_t *st, size_t i, const char *key)
{
    return jstr(json_array_get(json_object_get(st, "lines"), i), key);
}

/* Every line of a text is at most 80 characters, and none is a control
 * character but the newlines. Returns the number of lines. */
static int assert_fits_80_columns(const char *text)
{
    int lines = 0, cols = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p == '\n') {
            lines++;
            cols = 0;
            continue;
        }
        ck_assert_msg(*p >= 0x20 && *p != 0x7F, "control character 0x%02x in the text", *p);
        if ((*p & 0xC0) != 0x80)
            cols++;
        ck_assert_msg(cols <= 80, "line %d is longer than 80 columns:\n%s", lines + 1, text);
    }
    return lines;
}

static unsigned char *unbase64(const char *s, size_t *len)
{
    size_t n = strlen(s);
    unsigned char *out = malloc(n / 4 * 3 + 4);
    int k = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
    ck_assert_int_ge(k, 0);
    if (n && s[n - 1] == '=')
        k--;
    if (n > 1 && s[n - 2] == '=')
        k--;
    *len = (size_t)k;
    return out;
}

static bool have_pdftotext(void)
{
    return system("command -v pdftotext >/dev/null 2>&1") == 0;
}

/* The text pdftotext reads from a PDF (malloc'd), or NULL without pdftotext. */
static char *pdf_text(const unsigned char *pdf, size_t len)
{
    if (!have_pdftotext()) {
        fprintf(stderr, "test_documents: SKIPPED a pdftotext check: pdftotext (poppler-utils) is not installed\n");
        return NULL;
    }
    char path[] = "/tmp/test_documents_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, pdf, len), (ssize_t)len);
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "pdftotext -layout %s - 2>&1", path);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t cap = 1 << 20, n = 0;
    char *text = malloc(cap);
    size_t got;
    while ((got = fread(text + n, 1, cap - n - 1, f)) > 0)
        n += got;
    text[n] = '\0';
    ck_assert_int_eq(pclose(f), 0);
    unlink(path);
    return text;
}

static json_t *error_data(json_t *reply)
{
    return json_object_get(json_object_get(reply, "error"), "data");
}

static json_t *invoice_params(long long carrier, const char *start, const char *end, const char *key)
{
    return json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)carrier, "period_start", start, "period_end",
                     end, "idempotency_key", key);
}

static json_t *line_of(json_t *doc, const char *type, const char *key, const char *value)
{
    size_t i;
    json_t *l;
    json_array_foreach(json_object_get(doc, "lines"), i, l)
        if (!strcmp(jstr(l, "type"), type) && !strcmp(jstr(l, key), value))
            return l;
    ck_abort_msg("no %s line with %s = %s", type, key, value);
    return NULL;
}

/* ---- statements ---- */

START_TEST(test_statement_has_hand_computed_opening_lines_and_closing)
{
    /* Bogota is UTC-5 all year */
    long long id = new_carrier("Statement Co", "customer", "USD", "America/Bogota");
    backdated_journal("topup", id, "customer", "-100", "cash", "manual", when("-02-15T12:00:00Z"), "wire");
    /* 23:30 UTC on the 9th and 03:00 UTC on the 10th are both the 9th in Bogota: one usage line */
    usage(id, "3.5", when("-03-09T23:30:00Z"), "('United Kingdom', 3, 180, 1.5), ('France', 2, 65, 2)");
    usage(id, "0.5", when("-03-10T03:00:00Z"), "('United Kingdom', 1, 60, 0.5)");
    usage(id, "1.25", when("-03-10T15:00:00Z"), "('Germany', 4, 240, 1.25)");
    long long fee = backdated_journal("charge", id, "customer", "10", "revenue", NULL, when("-03-20T12:00:00Z"),
                                      "Port fee");
    /* the 1st of April in Bogota starts at 05:00 UTC: this is still March there */
    backdated_journal("charge", id, "customer", "2", "revenue", NULL, when("-04-01T04:59:59Z"), "Late March");
    backdated_journal("charge", id, "customer", "7", "revenue", NULL, when("-04-01T05:00:00Z"), "April");
    post("st-now-1", "topup", id, "customer", "50");

    char from[16], to[16];
    snprintf(from, sizeof from, "%d-03-01", Y);
    snprintf(to, sizeof to, "%d-04-01", Y);
    json_t *st = statement(id, from, to, NULL);
    ck_assert_str_eq(jstr(st, "side"), "customer");
    ck_assert_str_eq(jstr(st, "currency"), "USD");
    ck_assert_str_eq(jstr(st, "from"), when("-03-01T05:00:00.000000Z"));
    ck_assert_str_eq(jstr(st, "to"), when("-04-01T05:00:00.000000Z"));
    ck_assert_str_eq(jstr(st, "opening_balance"), "100.000000");
    /* 100 - (3.5 + 0.5) - 1.25 - 10 - 2 = 82.75 */
    ck_assert_int_eq(json_array_size(json_object_get(st, "lines")), 4);
    ck_assert_str_eq(line_field(st, 0, "date"), when("-03-09"));
    ck_assert_str_eq(line_field(st, 0, "kind"), "cdr_charges");
    ck_assert_int_eq(jint(json_array_get(json_object_get(st, "lines"), 0), "journals"), 2);
    ck_assert_int_eq(jint(json_array_get(json_object_get(st, "lines"), 0), "calls"), 6);
    ck_assert_str_eq(line_field(st, 0, "debit"), "4.000000");
    ck_assert_str_eq(line_field(st, 0, "credit"), "0.000000");
    ck_assert_str_eq(line_field(st, 0, "balance"), "96.000000");
    ck_assert_str_eq(line_field(st, 1, "date"), when("-03-10"));
    ck_assert_str_eq(line_field(st, 1, "debit"), "1.250000");
    ck_assert_str_eq(line_field(st, 1, "balance"), "94.750000");
    ck_assert_str_eq(line_field(st, 2, "kind"), "charge");
    ck_assert_int_eq(jint(json_array_get(json_object_get(st, "lines"), 2), "journal_id"), fee);
    ck_assert_str_eq(line_field(st, 2, "memo"), "Port fee");
    ck_assert_str_eq(line_field(st, 2, "balance"), "84.750000");
    ck_assert_str_eq(line_field(st, 3, "date"), when("-03-31"));
    ck_assert_str_eq(line_field(st, 3, "balance"), "82.750000");
    ck_assert_str_eq(jstr(st, "closing_balance"), "82.750000");
    ck_assert_str_eq(jstr(st, "movements"), "-17.250000");
    ck_assert_str_eq(path2(st, "totals", "debit"), "17.250000");
    ck_assert_str_eq(path2(st, "totals", "credit"), "0.000000");
    json_t *sm = json_object_get(st, "summary"), *u = json_object_get(sm, "usage");
    ck_assert_int_eq(jint(u, "calls"), 10);
    ck_assert_int_eq(jint(u, "seconds"), 545);
    ck_assert_str_eq(jstr(u, "minutes"), "9.08");
    ck_assert_str_eq(jstr(u, "change"), "-5.250000");
    json_t *d = json_object_get(u, "destinations");
    ck_assert_int_eq(json_array_size(d), 3);
    ck_assert_str_eq(jstr(json_array_get(d, 0), "destination"), "France");
    ck_assert_str_eq(jstr(json_array_get(d, 0), "amount"), "2.000000");
    ck_assert_str_eq(jstr(json_array_get(d, 0), "minutes"), "1.08");
    ck_assert_str_eq(jstr(json_array_get(d, 1), "destination"), "Germany");
    ck_assert_int_eq(jint(json_array_get(d, 1), "calls"), 4);
    ck_assert_str_eq(jstr(json_array_get(d, 2), "destination"), "United Kingdom");
    ck_assert_int_eq(jint(json_array_get(d, 2), "calls"), 4);
    ck_assert_int_eq(jint(json_array_get(d, 2), "seconds"), 240);
    ck_assert_str_eq(jstr(json_array_get(d, 2), "amount"), "2.000000");
    ck_assert_int_eq(jint(json_object_get(sm, "charges"), "count"), 2);
    ck_assert_str_eq(path2(sm, "charges", "change"), "-12.000000");
    ck_assert_int_eq(jint(json_object_get(sm, "payments"), "count"), 0);
    assert_statement_adds_up(st);
    json_decref(st);

    /* To now: closing is what ledger.balance says (nothing is waiting to be posted) */
    st = statement(id, when("-01-01"), NULL, NULL);
    json_t *b = balance(id);
    ck_assert_str_eq(jstr(st, "opening_balance"), "0.000000");
    ck_assert_str_eq(jstr(st, "closing_balance"), path2(b, "customer", "balance"));
    ck_assert_str_eq(jstr(st, "closing_balance"), "125.750000"); /* 82.75 - 7 + 50 */
    ck_assert_str_eq(path2(json_object_get(st, "summary"), "payments", "change"), "150.000000");
    assert_statement_adds_up(st);
    json_decref(b);
    json_decref(st);

    /* RFC 3339 bounds: exactly [from, to) */
    st = statement(id, when("-03-20T12:00:00Z"), when("-04-01T05:00:00Z"), NULL);
    ck_assert_int_eq(json_array_size(json_object_get(st, "lines")), 2); /* the fee is in, April 1st 05:00 is not */
    ck_assert_str_eq(jstr(st, "opening_balance"), "94.750000");
    assert_statement_adds_up(st);
    json_decref(st);
}
END_TEST

START_TEST(test_statement_formats_fit_80_columns_and_pdf_reads_back)
{
    long long id = new_carrier("Wide Text \xe6\x97\xa5\xe6\x9c\xac Telecom Limited (International Wholesale)", "customer",
                               "USD", "Asia/Tokyo");
    backdated_journal("topup", id, "customer", "-1000000", "cash", "manual", when("-06-01T00:00:00Z"),
                      "an opening payment with a memo far longer than any column of an eighty column text");
    backdated_journal("charge", id, "customer", "12.345678", "revenue", NULL, when("-06-02T00:00:00Z"),
                      "escape \x1b[2J and tab\tand newline\nin a memo \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e");
    usage(id, "0.0045", when("-06-03T00:00:00Z"), "('A destination with a really very long name indeed', 1, 7, 0.0045)");
    char from[16];
    snprintf(from, sizeof from, "%d-06-01", Y);
    json_t *p = json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)id, "from", from, "to",
                          when("-07-01"), "format", "text");
    json_t *r = ok(admin, "ledger.statement", p);
    ck_assert_str_eq(jstr(r, "format"), "text");
    const char *text = jstr(r, "text");
    ck_assert_int_gt(assert_fits_80_columns(text), 15);
    ck_assert_ptr_nonnull(strstr(text, "STATEMENT OF ACCOUNT"));
    ck_assert_ptr_nonnull(strstr(text, "999987.6498")); /* 1000000 - 12.345678 - 0.0045 */
    ck_assert_ptr_nonnull(strstr(text, "12.345678"));
    ck_assert_ptr_nonnull(strstr(text, "0.0045"));
    ck_assert_ptr_null(strchr(text, '\x1b'));
    json_decref(r);

    p = json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)id, "from", from, "to", when("-07-01"), "format",
                  "pdf");
    r = ok(admin, "ledger.statement", p);
    ck_assert_str_eq(jstr(r, "format"), "pdf");
    size_t len;
    unsigned char *pdf = unbase64(jstr(r, "pdf_base64"), &len);
    ck_assert_int_eq(jint(r, "bytes"), (long long)len);
    ck_assert(len > 100 && !memcmp(pdf, "%PDF-1.4", 8));
    ck_assert(!memcmp(pdf + len - 6, "%%EOF\n", 6));
    char *t = pdf_text(pdf, len);
    if (t) {
        ck_assert_ptr_nonnull(strstr(t, "STATEMENT OF ACCOUNT"));
        ck_assert_ptr_nonnull(strstr(t, "999987.6498"));
        ck_assert_ptr_nonnull(strstr(t, "Wide Text ?? Telecom"));
        free(t);
    }
    free(pdf);
    json_decref(r);
}
END_TEST

START_TEST(test_statement_validation_names_the_field)
{
    long long id = new_carrier("Statement Strict", "customer", "USD", "UTC");
    long long sup = new_carrier("Statement Supplier", "supplier", "USD", "UTC");
    json_t *p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "from", "2026-02-30");
    fails_on_field(admin, "ledger.statement", p, "from");
    p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "from", "yesterday!");
    fails_on_field(admin, "ledger.statement", p, "from");
    p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "from", "2025-03-01", "to", "2025-02-01");
    fails_on_field(admin, "ledger.statement", p, "to");
    p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "from", "2025-03-01", "side", "supplier");
    fails_on_field(admin, "ledger.statement", p, "side");
    p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "from", "2025-03-01", "currency", "EUR");
    fails_on_field(admin, "ledger.statement", p, "currency");
    p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "from", "2025-03-01", "format", "docx");
    fails_on_field(admin, "ledger.statement", p, "format");
    p = json_pack("{s:I}", "carrier_id", (json_int_t)id);
    fails_on_field(admin, "ledger.statement", p, "from");
    p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "from", "0000-01-01T00:00:00Z");
    fails_on_field(admin, "ledger.statement", p, "from");
    p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "from", "1899-12-31");
    fails_on_field(admin, "ledger.statement", p, "from");
    p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "from", "1950-06-01T00:00:00+01:00", "to",
                  "9998-12-31T23:59:59Z");
    json_t *wide = ok(admin, "ledger.statement", p);
    ck_assert_str_eq(jstr(wide, "from"), "1950-05-31T23:00:00.000000Z");
    json_decref(wide);
    p = json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "from", "2999-01-01");
    fails_on_field(admin, "ledger.statement", p, "from");
    ck_assert_int_eq(fails(admin, "ledger.statement", json_pack("{s:i, s:s}", "carrier_id", 999999, "from",
                                                                "2025-01-01")), -32004);
    /* a supplier carrier's statement is of its supplier side by default */
    backdated_journal("charge", sup, "supplier", "-40", "cost_of_sales", NULL, when("-05-05T00:00:00Z"), "May");
    json_t *st = statement(sup, when("-05-01"), when("-06-01"), NULL);
    ck_assert_str_eq(jstr(st, "side"), "supplier");
    ck_assert_str_eq(jstr(st, "closing_balance"), "40.000000"); /* we owe it 40 */
    ck_assert_str_eq(line_field(st, 0, "credit"), "40.000000");
    assert_statement_adds_up(st);
    json_decref(st);
}
END_TEST

/* ---- invoices ---- */

START_TEST(test_invoice_has_hand_computed_lines_and_totals)
{
    /* Tokyo is UTC+9 all year: May there is [04-30T15:00Z, 05-31T15:00Z) */
    long long id = new_carrier("Invoice Co", "customer", "USD", "Asia/Tokyo");
    json_t *acc = ok(admin, "carrier.accounting.get", json_pack("{s:I}", "carrier_id", (json_int_t)id));
    json_decref(ok(admin, "carrier.accounting.update",
                   json_pack("{s:I, s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)id, "version",
                             (json_int_t)jint(acc, "version"), "bill_to", "Invoice Co KK\n1-2-3 Marunouchi\nTokyo",
                             "tax_code", "JP-T1234", "customer_account_number", "C-0042")));
    json_decref(acc);
    usage(id, "0.05", when("-04-30T14:59:59Z"), "('United Kingdom', 1, 60, 0.05)"); /* April in Tokyo */
    usage(id, "1.2001", when("-05-03T10:00:00Z"), "('United Kingdom', 10, 600, 1.2), ('Spain', 1, 1, 0.0001)");
    usage(id, "0.6", when("-05-20T00:00:00Z"), "('United Kingdom', 5, 300, 0.6)");
    long long rental = backdated_journal("charge", id, "customer", "25", "revenue", NULL, when("-05-15T03:00:00Z"),
                                         "DID rental");
    backdated_journal("topup", id, "customer", "-500", "cash", "manual", when("-05-16T00:00:00Z"), "not a charge");
    usage(id, "9", when("-05-31T15:00:00Z"), "('United Kingdom', 90, 5400, 9)");  /* June in Tokyo */

    char start[16], end[16];
    snprintf(start, sizeof start, "%d-05-01", Y);
    snprintf(end, sizeof end, "%d-06-01", Y);
    json_t *inv = ok(admin, "invoice.create", invoice_params(id, start, end, "inv-may"));
    char number[32];
    snprintf(number, sizeof number, "INV-%d-", issue_year);
    ck_assert_msg(!strncmp(jstr(inv, "number"), number, strlen(number)), "number %s", jstr(inv, "number"));
    ck_assert_int_eq(strlen(jstr(inv, "number")), 15);
    ck_assert_str_eq(jstr(inv, "type"), "invoice");
    ck_assert_str_eq(jstr(inv, "status"), "issued");
    ck_assert_str_eq(jstr(inv, "side"), "customer");
    ck_assert_str_eq(jstr(inv, "currency"), "USD");
    ck_assert(json_is_false(json_object_get(inv, "duplicate")));
    ck_assert_str_eq(jstr(inv, "period_start"), when("-04-30T15:00:00.000000Z"));
    ck_assert_str_eq(jstr(inv, "period_end"), when("-05-31T15:00:00.000000Z"));
    char label[40];
    snprintf(label, sizeof label, "%d-05-01 to %d-05-31", Y, Y);
    ck_assert_str_eq(jstr(inv, "period_label"), label);
    /* 1.2 + 0.0001 + 0.6 + 25 = 26.8001 */
    ck_assert_str_eq(jstr(inv, "subtotal"), "26.800100");
    ck_assert_str_eq(jstr(inv, "total"), "26.800100");
    ck_assert_int_eq(json_array_size(json_object_get(inv, "lines")), 3);
    json_t *uk = line_of(inv, "usage", "destination", "United Kingdom");
    ck_assert_int_eq(jint(uk, "calls"), 15);
    ck_assert_int_eq(jint(uk, "seconds"), 900);
    ck_assert_str_eq(jstr(uk, "minutes"), "15.00");
    ck_assert_str_eq(jstr(uk, "amount"), "1.800000");
    json_t *es = line_of(inv, "usage", "destination", "Spain");
    ck_assert_int_eq(jint(es, "calls"), 1);
    ck_assert_str_eq(jstr(es, "minutes"), "0.02");
    ck_assert_str_eq(jstr(es, "amount"), "0.000100");
    json_t *ch = line_of(inv, "charge", "memo", "DID rental");
    ck_assert_int_eq(jint(ch, "journal_id"), rental);
    ck_assert_str_eq(jstr(ch, "date"), when("-05-15"));
    ck_assert_str_eq(jstr(ch, "amount"), "25.000000");
    json_t *party = json_object_get(inv, "party");
    ck_assert_str_eq(jstr(party, "name"), "Invoice Co");
    ck_assert_str_eq(jstr(party, "tax_code"), "JP-T1234");
    ck_assert_str_eq(jstr(party, "account_number"), "C-0042");
    ck_assert_str_eq(jstr(inv, "created_by"), "root");
    /* due after invoice_due_days (30 by default) */
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT due_at - issued_at = interval '30 days' FROM invoices WHERE id = %lld",
             jint(inv, "id"));
    ck_assert_str_eq(harness_sql(sql), "t");
    /* one audit row, without the lines */
    snprintf(sql, sizeof sql, "SELECT (after->>'line_count') || ':' || (after ? 'lines')::text FROM audit_log"
                              " WHERE entity = 'invoice' AND action = 'create' AND entity_id = '%lld'", jint(inv, "id"));
    ck_assert_str_eq(harness_sql(sql), "3:false");

    /* the carrier renamed later: the issued invoice keeps its snapshot */
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    json_decref(ok(admin, "carrier.update", json_pack("{s:I, s:I, s:s}", "id", (json_int_t)id, "version",
                                                      (json_int_t)jint(c, "version"), "name", "Renamed Co")));
    json_decref(c);
    json_t *got = ok(admin, "invoice.get", json_pack("{s:I}", "id", (json_int_t)jint(inv, "id")));
    ck_assert_str_eq(path2(got, "party", "name"), "Invoice Co");
    ck_assert_str_eq(jstr(got, "total"), "26.800100");
    json_decref(got);

    /* text */
    json_t *r = ok(admin, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(inv, "id"), "format", "text"));
    const char *text = jstr(r, "text");
    assert_fits_80_columns(text);
    ck_assert_ptr_nonnull(strstr(text, jstr(inv, "number")));
    ck_assert_ptr_nonnull(strstr(text, "Invoice Co"));
    ck_assert_ptr_nonnull(strstr(text, "Total USD"));
    ck_assert_ptr_nonnull(strstr(text, "26.8001"));
    ck_assert_ptr_nonnull(strstr(text, "Spain"));
    ck_assert_ptr_nonnull(strstr(text, "1-2-3 Marunouchi"));
    json_decref(r);
    /* pdf: pdftotext finds the number, the carrier's name and the totals */
    r = ok(admin, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(inv, "id"), "format", "pdf"));
    char fname[40];
    snprintf(fname, sizeof fname, "%s.pdf", jstr(inv, "number"));
    ck_assert_str_eq(jstr(r, "filename"), fname);
    size_t len;
    unsigned char *pdf = unbase64(jstr(r, "pdf_base64"), &len);
    ck_assert(!memcmp(pdf, "%PDF-", 5));
    char *t = pdf_text(pdf, len);
    if (t) {
        ck_assert_ptr_nonnull(strstr(t, jstr(inv, "number")));
        ck_assert_ptr_nonnull(strstr(t, "Invoice Co"));
        ck_assert_ptr_nonnull(strstr(t, "Total USD"));
        ck_assert_ptr_nonnull(strstr(t, "26.8001"));
        ck_assert_ptr_nonnull(strstr(t, "1.80"));
        ck_assert_ptr_nonnull(strstr(t, "DID rental"));
        free(t);
    }
    free(pdf);
    json_decref(r);
    json_decref(inv);
}
END_TEST

START_TEST(test_invoice_is_idempotent_refuses_overlaps_and_can_be_voided)
{
    long long id = new_carrier("Overlap Co", "customer", "USD", "UTC");
    usage(id, "3", when("-07-10T00:00:00Z"), "('Italy', 3, 180, 3)");
    json_t *a = ok(admin, "invoice.create", invoice_params(id, when("-07-01"), when("-08-01"), "ov-1"));
    ck_assert_str_eq(jstr(a, "total"), "3.000000");
    /* the same key and params: the same invoice, nothing new */
    json_t *again = ok(admin, "invoice.create", invoice_params(id, when("-07-01"), when("-08-01"), "ov-1"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    ck_assert_int_eq(jint(again, "id"), jint(a, "id"));
    ck_assert_str_eq(jstr(again, "number"), jstr(a, "number"));
    json_decref(again);
    /* the same instants written as RFC 3339 are the same request */
    again = ok(admin, "invoice.create", invoice_params(id, when("-07-01T00:00:00Z"), when("-08-01T00:00:00+00:00"),
                                                       "ov-1"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    json_decref(again);
    /* the same key for anything else: -32009 naming the invoice */
    json_t *r = call(admin, "invoice.create", invoice_params(id, when("-07-01"), when("-08-02"), "ov-1"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_eq(jint(error_data(r), "invoice_id"), jint(a, "id"));
    json_decref(r);
    /* an overlapping period: refused, naming the invoice that covers it */
    r = call(admin, "invoice.create", invoice_params(id, when("-07-31"), when("-08-15"), "ov-2"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_eq(jint(error_data(r), "invoice_id"), jint(a, "id"));
    ck_assert_str_eq(jstr(error_data(r), "number"), jstr(a, "number"));
    json_decref(r);
    /* adjacent periods do not overlap; nor do the other side's or another currency's invoices */
    json_t *b = ok(admin, "invoice.create", invoice_params(id, when("-08-01"), when("-09-01"), "ov-3"));
    ck_assert_str_eq(jstr(b, "total"), "0.000000");
    ck_assert_int_eq(json_array_size(json_object_get(b, "lines")), 0);
    json_decref(b);

    /* void: only admins, with a reason; then the period can be invoiced again */
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s}", "username", "doc-noc", "password",
                                                   "password123", "role", "noc")));
    wsc *noc = login(&S, "doc-noc", "password123");
    ck_assert_int_eq(fails(noc, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(a, "id"), "reason",
                                                          "x")), -32003);
    wsc_close(noc);
    fails_on_field(admin, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(a, "id"), "reason", "  "),
                   "reason");
    json_t *v = ok(admin, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(a, "id"), "reason",
                                                    "wrong period"));
    ck_assert_str_eq(jstr(v, "status"), "void");
    ck_assert_str_eq(jstr(v, "void_reason"), "wrong period");
    ck_assert_str_eq(jstr(v, "voided_by"), "root");
    ck_assert_str_eq(jstr(v, "total"), "3.000000");
    json_decref(v);
    ck_assert_int_eq(fails(admin, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(a, "id"), "reason",
                                                            "again")), -32009);
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE entity = 'invoice' AND action = 'void'"
                              " AND entity_id = '%lld' AND after->>'void_reason' = 'wrong period'", jint(a, "id"));
    ck_assert_str_eq(harness_sql(sql), "1");
    json_t *c = ok(admin, "invoice.create", invoice_params(id, when("-07-01"), when("-08-01"), "ov-4"));
    ck_assert_str_ne(jstr(c, "number"), jstr(a, "number"));
    ck_assert_str_eq(jstr(c, "total"), "3.000000");
    json_t *text = ok(admin, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(a, "id"), "format", "text"));
    ck_assert_ptr_nonnull(strstr(jstr(text, "text"), "VOID"));
    json_decref(text);
    json_decref(c);

    /* the database keeps issued documents as they are */
    PGconn *db = harness_db();
    snprintf(sql, sizeof sql, "UPDATE invoices SET total = 0 WHERE id = %lld", jint(a, "id"));
    PGresult *res = PQexec(db, sql);
    ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23000");
    PQclear(res);
    snprintf(sql, sizeof sql, "DELETE FROM invoices WHERE id = %lld", jint(a, "id"));
    res = PQexec(db, sql);
    ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23000");
    PQclear(res);
    snprintf(sql, sizeof sql, "UPDATE invoices SET status = 'issued', voided_at = NULL WHERE id = %lld", jint(a, "id"));
    res = PQexec(db, sql);
    ck_assert_str_eq(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23000");
    PQclear(res);
    PQfinish(db);
    json_decref(a);
}
END_TEST

START_TEST(test_invoice_validation_names_the_field)
{
    long long id = new_carrier("Invoice Strict", "customer", "USD", "UTC");
    long long before = atoll(harness_sql("SELECT count(*) FROM invoices"));
    fails_on_field(admin, "invoice.create", invoice_params(id, "2025-02-29", "2025-03-01", "iv-1"), "period_start");
    fails_on_field(admin, "invoice.create", invoice_params(id, "2025-03-01", "03/04/2025", "iv-2"), "period_end");
    fails_on_field(admin, "invoice.create", invoice_params(id, "2025-03-01", "2025-03-01", "iv-3"), "period_end");
    fails_on_field(admin, "invoice.create", invoice_params(id, "2024-01-01", "2025-03-01", "iv-4"), "period_end");
    fails_on_field(admin, "invoice.create", invoice_params(id, "2025-03-01", "2999-01-01", "iv-5"), "period_end");
    json_t *p = invoice_params(id, "2025-03-01", "2025-04-01", "iv-6");
    json_object_set_new(p, "side", json_string("supplier"));
    fails_on_field(admin, "invoice.create", p, "side");
    p = invoice_params(id, "2025-03-01", "2025-04-01", "iv-7");
    json_object_set_new(p, "currency", json_string("EUR"));
    fails_on_field(admin, "invoice.create", p, "currency");
    char longkey[130];
    memset(longkey, 'k', 121);
    longkey[121] = '\0';
    fails_on_field(admin, "invoice.create", invoice_params(id, "2025-03-01", "2025-04-01", longkey),
                   "idempotency_key");
    p = invoice_params(id, "2025-03-01", "2025-04-01", "iv-8");
    json_object_set_new(p, "colour", json_string("red"));
    fails_on_field(admin, "invoice.create", p, "colour");
    ck_assert_int_eq(fails(admin, "invoice.create", invoice_params(999999, "2025-03-01", "2025-04-01", "iv-9")), -32004);
    ck_assert_int_eq(fails(admin, "invoice.get", json_pack("{s:i}", "id", 999999)), -32004);
    fails_on_field(admin, "invoice.get", json_pack("{s:i, s:s}", "id", 1, "format", "doc"), "format");
    fails_on_field(admin, "invoice.list", json_pack("{s:{s:s}}", "filter", "type", "receipt"), "filter.type");
    ck_assert_int_eq(atoll(harness_sql("SELECT count(*) FROM invoices")), before);
}
END_TEST

#define RACERS 20

START_TEST(test_invoice_numbers_have_no_gaps_under_concurrent_creation)
{
    long long carriers[4];
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "Race Invoice %d", i);
        carriers[i] = new_carrier(name, "customer", "USD", "UTC");
        usage(carriers[i], "1", when("-01-15T00:00:00Z"), "('Norway', 1, 60, 1)");
    }
    char *token = login_token(&S, "root", "rootpass123");
    wsc *c[RACERS + 5];
    long long rid[RACERS + 5];
    for (int i = 0; i < RACERS + 5; i++) {
        c[i] = ws_open(&S);
        json_decref(ok(c[i], "auth.resume", json_pack("{s:s}", "token", token)));
    }
    /* 20 distinct (carrier, month) invoices, and 5 that overlap one of them */
    for (int i = 0; i < RACERS + 5; i++) {
        int k = i < RACERS ? i : i - RACERS;
        int month = k / 4 + 1;
        char start[16], end[16], key[32];
        snprintf(start, sizeof start, "%d-%02d-01", Y, month);
        snprintf(end, sizeof end, "%d-%02d-01", Y, month + 1);
        if (i >= RACERS)
            snprintf(end, sizeof end, "%d-%02d-15", Y, month);
        snprintf(key, sizeof key, "race-inv-%d", i);
        rid[i] = wsc_send_request(c[i], "invoice.create", invoice_params(carriers[k % 4], start, end, key));
        ck_assert_int_gt(rid[i], 0);
    }
    int created = 0, refused = 0;
    for (int i = 0; i < RACERS + 5; i++) {
        json_t *r = wsc_wait_response(c[i], rid[i], T);
        ck_assert_ptr_nonnull(r);
        int code = wsc_error_code(r);
        ck_assert_msg(code == 0 || code == -32009, "racer %d got %d", i, code);
        if (code == 0)
            created++;
        else
            refused++;
        json_decref(r);
        wsc_close(c[i]);
    }
    free(token);
    ck_assert_int_eq(created, RACERS); /* each pair: one wins, the other overlaps it */
    ck_assert_int_eq(refused, 5);
    /* every committed invoice number of the year: 1..n, no gap, no repeat */
    char sql[400];
    snprintf(sql, sizeof sql,
             "SELECT count(*) || '/' || count(DISTINCT number) || '/' || max(substr(number, 10)::int)"
             " FROM invoices WHERE number LIKE 'INV-%d-%%'", issue_year);
    const char *got = harness_sql(sql);
    int n = atoi(got);
    char want[64];
    snprintf(want, sizeof want, "%d/%d/%d", n, n, n);
    ck_assert_str_eq(got, want);
    ck_assert_int_ge(n, RACERS);
    /* and numbers follow issue times */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM (SELECT number, lag(number) OVER (ORDER BY issued_at, id) AS prev"
                              " FROM invoices WHERE number LIKE 'INV-%d-%%') x WHERE prev > number", issue_year);
    ck_assert_str_eq(harness_sql(sql), "0");
}
END_TEST

START_TEST(test_the_same_invoice_key_racing_creates_one_invoice)
{
    long long id = new_carrier("Twin Invoice", "customer", "USD", "UTC");
    char *token = login_token(&S, "root", "rootpass123");
    wsc *c[5];
    long long rid[5];
    for (int i = 0; i < 5; i++) {
        c[i] = ws_open(&S);
        json_decref(ok(c[i], "auth.resume", json_pack("{s:s}", "token", token)));
    }
    for (int i = 0; i < 5; i++)
        rid[i] = wsc_send_request(c[i], "invoice.create", invoice_params(id, when("-10-01"), when("-11-01"),
                                                                         "twin-1"));
    long long first = 0;
    int dups = 0;
    for (int i = 0; i < 5; i++) {
        json_t *r = wsc_wait_response(c[i], rid[i], T);
        ck_assert_int_eq(wsc_error_code(r), 0);
        json_t *res = wsc_result(r);
        if (!first)
            first = jint(res, "id");
        ck_assert_int_eq(jint(res, "id"), first);
        dups += json_is_true(json_object_get(res, "duplicate"));
        json_decref(r);
        wsc_close(c[i]);
    }
    free(token);
    ck_assert_int_eq(dups, 4);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM invoices WHERE carrier_id = %lld", id);
    ck_assert_str_eq(harness_sql(sql), "1");
}
END_TEST

/* ---- customers ---- */

START_TEST(test_customers_see_only_their_own_documents)
{
    long long mine = new_carrier("Docs Mine", "customer", "USD", "UTC");
    long long theirs = new_carrier("Docs Theirs", "customer", "USD", "UTC");
    usage(mine, "2", when("-09-10T00:00:00Z"), "('Peru', 2, 120, 2)");
    usage(theirs, "5", when("-09-10T00:00:00Z"), "('Chile', 5, 300, 5)");
    json_t *im = ok(admin, "invoice.create", invoice_params(mine, when("-09-01"), when("-10-01"), "cust-1"));
    json_t *it = ok(admin, "invoice.create", invoice_params(theirs, when("-09-01"), when("-10-01"), "cust-2"));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "docs-cust", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)mine)));
    wsc *cu = login(&S, "docs-cust", "password123");
    json_t *list = ok(cu, "invoice.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_t *item = json_array_get(json_object_get(list, "items"), 0);
    ck_assert_int_eq(jint(item, "id"), jint(im, "id"));
    ck_assert(json_is_null(json_object_get(item, "created_by")));
    ck_assert_ptr_null(json_object_get(item, "lines")); /* lists leave the lines to invoice.get */
    json_decref(list);
    list = ok(cu, "invoice.list", json_pack("{s:{s:I}}", "filter", "carrier_id", (json_int_t)theirs));
    ck_assert_int_eq(jint(list, "total"), 0);
    json_decref(list);
    json_t *got = ok(cu, "invoice.get", json_pack("{s:I}", "id", (json_int_t)jint(im, "id")));
    ck_assert_str_eq(jstr(got, "total"), "2.000000");
    ck_assert(json_is_null(json_object_get(got, "created_by")));
    json_decref(got);
    ck_assert_int_eq(fails(cu, "invoice.get", json_pack("{s:I}", "id", (json_int_t)jint(it, "id"))), -32004);
    ck_assert_int_eq(fails(cu, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(it, "id"), "format",
                                                        "pdf")), -32004);
    json_t *st = ok(cu, "ledger.statement", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)mine, "from",
                                                      when("-09-01")));
    ck_assert_str_eq(jstr(st, "closing_balance"), "-2.000000");
    json_decref(st);
    ck_assert_int_eq(fails(cu, "ledger.statement", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)theirs, "from",
                                                             when("-09-01"))), -32004);
    ck_assert_int_eq(fails(cu, "invoice.create", invoice_params(mine, when("-10-01"), when("-11-01"), "cust-3")),
                     -32003);
    ck_assert_int_eq(fails(cu, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(im, "id"), "reason",
                                                         "no")), -32003);
    ck_assert_int_eq(fails(cu, "credit_note.create", json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "carrier_id",
                                                               (json_int_t)mine, "side", "customer", "amount", "1",
                                                               "currency", "USD", "reason", "x", "idempotency_key",
                                                               "cust-4")), -32003);
    ck_assert_int_eq(fails(cu, "netting.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)mine,
                                                           "currency", "USD", "idempotency_key", "cust-5")), -32003);
    wsc_close(cu);
    json_decref(im);
    json_decref(it);
}
END_TEST

/* ---- credit notes ---- */

static json_t *credit_note(long long carrier, const char *side, const char *amount, const char *reason,
                           long long invoice, const char *key)
{
    json_t *p = json_pack("{s:I, s:s, s:s, s:s, s:s, s:s}", "carrier_id", (json_int_t)carrier, "side", side, "amount",
                          amount, "currency", "USD", "reason", reason, "idempotency_key", key);
    if (invoice)
        json_object_set_new(p, "invoice_id", json_integer(invoice));
    return p;
}

START_TEST(test_credit_note_posts_a_journal_and_issues_a_document)
{
    long long id = new_carrier("Credit Co", "customer", "USD", "UTC");
    usage(id, "40", when("-11-05T00:00:00Z"), "('Brazil', 20, 1200, 40)");
    json_t *inv = ok(admin, "invoice.create", invoice_params(id, when("-11-01"), when("-12-01"), "cn-inv"));
    json_t *before = balance(id);
    ck_assert_str_eq(path2(before, "customer", "balance"), "-40.000000");
    json_decref(before);

    json_t *cn = ok(admin, "credit_note.create", credit_note(id, "customer", "12.5", "calls to Brazil failed",
                                                            jint(inv, "id"), "cn-1"));
    char prefix[32];
    snprintf(prefix, sizeof prefix, "CN-%d-", issue_year);
    ck_assert(!strncmp(jstr(cn, "number"), prefix, strlen(prefix)));
    ck_assert_str_eq(jstr(cn, "type"), "credit_note");
    ck_assert_str_eq(jstr(cn, "total"), "12.500000");
    ck_assert_int_eq(jint(cn, "invoice_id"), jint(inv, "id"));
    ck_assert_str_eq(jstr(cn, "invoice_number"), jstr(inv, "number"));
    ck_assert_str_eq(jstr(cn, "reason"), "calls to Brazil failed");
    ck_assert(json_is_false(json_object_get(cn, "duplicate")));
    long long jid = jint(cn, "journal_id");
    ck_assert_int_gt(jid, 0);
    /* the journal: a ledger credit note, Dr revenue, Cr the customer */
    json_t *l = ok(admin, "ledger.journal.list", json_pack("{s:{s:s}}", "filter", "idempotency_key", "doc:cn-1"));
    ck_assert_int_eq(jint(l, "total"), 1);
    json_t *j = json_array_get(json_object_get(l, "items"), 0);
    ck_assert_int_eq(jint(j, "id"), jid);
    ck_assert_str_eq(jstr(j, "kind"), "credit_note");
    ck_assert_str_eq(jstr(j, "amount"), "12.500000");
    ck_assert_str_eq(jstr(j, "reason"), "calls to Brazil failed");
    json_decref(l);
    json_t *b = balance(id);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-27.500000"); /* -40 + 12.5 */
    json_decref(b);
    /* again: the same document, nothing posted */
    json_t *again = ok(admin, "credit_note.create", credit_note(id, "customer", "12.5", "calls to Brazil failed",
                                                               jint(inv, "id"), "cn-1"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    ck_assert_int_eq(jint(again, "id"), jint(cn, "id"));
    json_decref(again);
    ck_assert_int_eq(fails(admin, "credit_note.create", credit_note(id, "customer", "13", "calls to Brazil failed",
                                                                    jint(inv, "id"), "cn-1")), -32009);
    b = balance(id);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-27.500000");
    json_decref(b);
    /* no more than is left on the invoice: 40 - 12.5 = 27.5 */
    fails_on_field(admin, "credit_note.create", credit_note(id, "customer", "27.500001", "more", jint(inv, "id"),
                                                            "cn-2"), "amount");
    json_t *rest = ok(admin, "credit_note.create", credit_note(id, "customer", "27.5", "the rest", jint(inv, "id"),
                                                               "cn-3"));
    json_decref(rest);
    /* without an invoice */
    json_t *free_cn = ok(admin, "credit_note.create", credit_note(id, "customer", "1", "goodwill", 0, "cn-4"));
    ck_assert(json_is_null(json_object_get(free_cn, "invoice_id")));
    json_decref(free_cn);
    /* the statement names the documents */
    json_t *st = statement(id, when("-11-01"), NULL, NULL);
    ck_assert_str_eq(jstr(st, "closing_balance"), "1.000000"); /* -40 + 12.5 + 27.5 + 1 */
    ck_assert_int_eq(jint(json_object_get(json_object_get(st, "summary"), "credit_notes"), "count"), 3);
    ck_assert_str_eq(path2(json_object_get(st, "summary"), "credit_notes", "change"), "41.000000");
    ck_assert_str_eq(line_field(st, 1, "document"), jstr(cn, "number"));
    assert_statement_adds_up(st);
    json_decref(st);
    /* validation */
    long long other = new_carrier("Credit Other", "customer", "USD", "UTC");
    fails_on_field(admin, "credit_note.create", credit_note(other, "customer", "1", "x", jint(inv, "id"), "cn-5"),
                   "invoice_id");
    fails_on_field(admin, "credit_note.create", credit_note(id, "supplier", "1", "x", 0, "cn-6"), "side");
    fails_on_field(admin, "credit_note.create", credit_note(id, "customer", "0", "x", 0, "cn-7"), "amount");
    fails_on_field(admin, "credit_note.create", credit_note(id, "customer", "-1", "x", 0, "cn-8"), "amount");
    fails_on_field(admin, "credit_note.create", credit_note(id, "customer", "1", " ", 0, "cn-9"), "reason");
    fails_on_field(admin, "credit_note.create", credit_note(id, "customer", "1", "x", jint(cn, "id"), "cn-10"),
                   "invoice_id");
    json_t *p = credit_note(id, "customer", "1", "x", 0, "cn-11");
    json_object_set_new(p, "currency", json_string("EUR"));
    fails_on_field(admin, "credit_note.create", p, "currency");
    /* a credit note is corrected by a new journal, never voided */
    fails_on_field(admin, "invoice.void", json_pack("{s:I, s:s}", "id", (json_int_t)jint(cn, "id"), "reason", "x"),
                   "id");
    /* the text and the PDF */
    json_t *r = ok(admin, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(cn, "id"), "format", "text"));
    assert_fits_80_columns(jstr(r, "text"));
    ck_assert_ptr_nonnull(strstr(jstr(r, "text"), "CREDIT NOTE"));
    ck_assert_ptr_nonnull(strstr(jstr(r, "text"), jstr(inv, "number")));
    json_decref(r);
    json_decref(cn);
    json_decref(inv);
}
END_TEST

/* ---- netting ---- */

static json_t *netting(long long carrier, const char *amount, const char *key)
{
    json_t *p = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)carrier, "currency", "USD", "idempotency_key",
                          key);
    if (amount)
        json_object_set_new(p, "amount", json_string(amount));
    return p;
}

START_TEST(test_netting_offsets_both_sides_of_a_bilateral_carrier)
{
    long long id = new_carrier("Net Both", "bilateral", "USD", "UTC");
    postpaid(id, "1000");
    post("net-c1", "charge", id, "customer", "100");   /* it owes us 100 */
    post("net-s1", "charge", id, "supplier", "60");    /* we owe it 60 */
    json_t *b = balance(id);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-100.000000");
    ck_assert_str_eq(path2(b, "supplier", "balance"), "60.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "40.000000");
    json_decref(b);
    /* more than min(100, 60): refused, nothing written */
    fails_on_field(admin, "netting.create", netting(id, "60.000001", "net-1"), "amount");
    /* 25 first */
    json_t *n = ok(admin, "netting.create", netting(id, "25", "net-2"));
    char prefix[32];
    snprintf(prefix, sizeof prefix, "NET-%d-", issue_year);
    ck_assert(!strncmp(jstr(n, "number"), prefix, strlen(prefix)));
    ck_assert_str_eq(jstr(n, "type"), "netting");
    ck_assert(json_is_null(json_object_get(n, "side")));
    ck_assert_str_eq(jstr(n, "total"), "25.000000");
    json_t *cl = line_of(n, "netting", "side", "customer"), *sl = line_of(n, "netting", "side", "supplier");
    ck_assert_str_eq(jstr(cl, "before"), "-100.000000");
    ck_assert_str_eq(jstr(cl, "after"), "-75.000000");
    ck_assert_str_eq(jstr(sl, "before"), "60.000000");
    ck_assert_str_eq(jstr(sl, "after"), "35.000000");
    /* the journal: Dr carrier_supplier +25 (we owe less), Cr carrier_customer -25 (it owes less) */
    json_t *j = json_object_get(n, "journal");
    ck_assert_str_eq(jstr(j, "kind"), "netting");
    ck_assert_int_eq(jint(j, "id"), jint(n, "journal_id"));
    char acc[64];
    size_t i;
    json_t *e;
    int seen = 0;
    json_array_foreach(json_object_get(j, "entries"), i, e) {
        snprintf(acc, sizeof acc, "carrier_supplier:%lld:USD", id);
        if (!strcmp(jstr(e, "account"), acc)) {
            ck_assert_str_eq(jstr(e, "amount"), "25.000000");
            seen++;
        }
        snprintf(acc, sizeof acc, "carrier_customer:%lld:USD", id);
        if (!strcmp(jstr(e, "account"), acc)) {
            ck_assert_str_eq(jstr(e, "amount"), "-25.000000");
            seen++;
        }
    }
    ck_assert_int_eq(seen, 2);
    ck_assert_int_eq(json_array_size(json_object_get(j, "entries")), 2);
    b = balance(id);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-75.000000");
    ck_assert_str_eq(path2(b, "supplier", "balance"), "35.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "40.000000"); /* netting never changes the exposure */
    json_decref(b);
    /* the same key again: the same document, nothing posted */
    json_t *again = ok(admin, "netting.create", netting(id, "25", "net-2"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    ck_assert_int_eq(jint(again, "id"), jint(n, "id"));
    json_decref(again);
    ck_assert_int_eq(fails(admin, "netting.create", netting(id, "26", "net-2")), -32009);
    ck_assert_int_eq(fails(admin, "netting.create", netting(id, NULL, "net-2")), -32009);
    /* the rest: the most that can be netted is min(75, 35) = 35 */
    json_t *rest = ok(admin, "netting.create", netting(id, NULL, "net-3"));
    ck_assert_str_eq(jstr(rest, "total"), "35.000000");
    json_decref(rest);
    b = balance(id);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-40.000000");
    ck_assert_str_eq(path2(b, "supplier", "balance"), "0.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "40.000000");
    json_decref(b);
    /* nothing left to net */
    fails_on_field(admin, "netting.create", netting(id, NULL, "net-4"), "amount");
    /* both statements show it */
    json_t *st = statement(id, when("-01-01"), NULL, "customer");
    ck_assert_str_eq(jstr(st, "closing_balance"), "-40.000000");
    ck_assert_int_eq(jint(json_object_get(json_object_get(st, "summary"), "netting"), "count"), 2);
    ck_assert_str_eq(path2(json_object_get(st, "summary"), "netting", "change"), "60.000000");
    ck_assert_str_eq(line_field(st, 1, "document"), jstr(n, "number"));
    ck_assert_str_eq(line_field(st, 1, "credit"), "25.000000");
    assert_statement_adds_up(st);
    json_decref(st);
    st = statement(id, when("-01-01"), NULL, "supplier");
    ck_assert_str_eq(jstr(st, "closing_balance"), "0.000000");
    ck_assert_str_eq(path2(json_object_get(st, "summary"), "netting", "change"), "-60.000000");
    ck_assert_str_eq(line_field(st, 1, "debit"), "25.000000");
    assert_statement_adds_up(st);
    json_decref(st);
    /* the books still balance */
    json_t *tb = ok(admin, "ledger.trial_balance", NULL);
    ck_assert(json_is_true(json_object_get(tb, "balanced")));
    json_array_foreach(json_object_get(tb, "currencies"), i, e) {
        ck_assert_str_eq(jstr(e, "total"), "0.000000");
        ck_assert_int_eq(jint(e, "cache_mismatches"), 0);
    }
    json_decref(tb);
    /* audited: the journal and the document */
    char sql[300];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE (entity = 'ledger_journal' AND entity_id = '%lld')"
                              " OR (entity = 'netting' AND entity_id = '%lld')", jint(n, "journal_id"), jint(n, "id"));
    ck_assert_str_eq(harness_sql(sql), "2");
    /* the PDF has both sides */
    json_t *r = ok(admin, "invoice.get", json_pack("{s:I, s:s}", "id", (json_int_t)jint(n, "id"), "format", "pdf"));
    size_t len;
    unsigned char *pdf = unbase64(jstr(r, "pdf_base64"), &len);
    char *t = pdf_text(pdf, len);
    if (t) {
        ck_assert_ptr_nonnull(strstr(t, jstr(n, "number")));
        ck_assert_ptr_nonnull(strstr(t, "Net Both"));
        ck_assert_ptr_nonnull(strstr(t, "-100.00"));
        ck_assert_ptr_nonnull(strstr(t, "35.00"));
        free(t);
    }
    free(pdf);
    json_decref(r);
    json_decref(n);
}
END_TEST

START_TEST(test_netting_is_refused_when_it_cannot_net)
{
    long long cust = new_carrier("Net Customer Only", "customer", "USD", "UTC");
    fails_on_field(admin, "netting.create", netting(cust, NULL, "nr-1"), "carrier_id");
    long long both = new_carrier("Net Nothing", "bilateral", "USD", "UTC");
    fails_on_field(admin, "netting.create", netting(both, NULL, "nr-2"), "amount"); /* no balances at all */
    post("nr-topup", "topup", both, "customer", "10");   /* it is in credit: owes us nothing */
    post("nr-sup", "charge", both, "supplier", "10");
    fails_on_field(admin, "netting.create", netting(both, NULL, "nr-3"), "amount");
    fails_on_field(admin, "netting.create", netting(both, "0", "nr-4"), "amount");
    json_t *p = netting(both, NULL, "nr-5");
    json_object_set_new(p, "currency", json_string("EUR"));
    fails_on_field(admin, "netting.create", p, "currency");
    ck_assert_int_eq(fails(admin, "netting.create", netting(999999, NULL, "nr-6")), -32004);
    /* a refused netting does not use up its key, and wrote nothing */
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM invoices WHERE idempotency_key LIKE 'nr-%'"), "0");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM ledger_journals WHERE kind = 'netting'"
                                 " AND idempotency_key LIKE 'doc:nr-%'"), "0");
}
END_TEST

/* ---- real rated usage: CDRs in, the once-a-second posting, the documents ---- */

static long long rated_plan(const char *name, const char *direction, const char *csv)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", name, "currency",
                                                                  "USD", "direction", direction, "rounding",
                                                                  "half_up")));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2020-01-01T00:00:00Z")));
    return id;
}

static json_t *real_cdr(const char *id, long long ingress, long long egress, const char *callee, int seconds)
{
    char start[32], answer[32], end[32];
    time_t t0 = time(NULL) - 3600, a = t0 + 5, e = a + seconds;
    struct tm tm;
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
    strftime(answer, sizeof answer, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&a, &tm));
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e, &tm));
    return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:I, s:i}", "id", id, "ingress_interconnect_id",
                     (json_int_t)ingress, "caller", "+12125550100", "callee", callee, "start_time", start,
                     "answer_time", answer, "end_time", end, "egress_interconnect_id", (json_int_t)egress,
                     "release_cause", 16);
}

START_TEST(test_rated_cdrs_reach_statements_and_invoices_by_destination)
{
    long long routing = atoll(harness_sql("INSERT INTO routing_plans (name, mode) VALUES ('Docs LCR', 'lcr')"
                                          " RETURNING id"));
    long long sell = rated_plan("Docs Sell", "customer",
                                "prefix,destination,rate,initial_increment,subsequent_increment\n"
                                "44,United Kingdom,0.6,1,1\n33,France,1.2,1,1\n");
    long long buy = rated_plan("Docs Buy", "supplier",
                               "prefix,destination,rate,initial_increment,subsequent_increment\n"
                               "44,United Kingdom,0.3,1,1\n33,France,0.6,1,1\n");
    long long cust = new_carrier("Docs Real Customer", "customer", "USD", "UTC");
    long long supp = new_carrier("Docs Real Supplier", "supplier", "USD", "UTC");
    long long in = id_of(ok(admin, "interconnect.create",
                            json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust, "name", "DOCS-IN",
                                      "direction", "ingress", "currency", "USD", "signalling_ips", "192.0.2.77")));
    json_decref(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)in,
                                                      "name", "Docs voice", "rating_plan_id", (json_int_t)sell,
                                                      "routing_plan_id", (json_int_t)routing)));
    long long out = id_of(ok(admin, "interconnect.create",
                             json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supp, "name",
                                       "DOCS-OUT", "direction", "egress", "currency", "USD", "signalling_ips",
                                       "192.0.2.78", "supplier_rating_plan_id", (json_int_t)buy)));
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:[o,o,o]}", "cdrs",
                                                  real_cdr("docs-1", in, out, "442071234567", 60),
                                                  real_cdr("docs-2", in, out, "447700900123", 60),
                                                  real_cdr("docs-3", in, out, "33142345678", 30)));
    ck_assert_int_eq(jint(r, "accepted"), 3);
    json_decref(r);
    /* the posting runs about once a second: wait for the cdr_charges journal */
    int tries = 0;
    for (;; tries++) {
        ck_assert_msg(tries < 300, "CDR charges were not posted within 30 s");
        json_t *l = ok(admin, "ledger.journal.list", json_pack("{s:{s:I, s:s}}", "filter", "carrier_id",
                                                               (json_int_t)cust, "kind", "cdr_charges"));
        long long n = jint(l, "total");
        json_decref(l);
        char sql[160];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM ledger_cdr_pending WHERE carrier_id IN (%lld, %lld)", cust,
                 supp);
        if (n > 0 && !strcmp(harness_sql(sql), "0"))
            break;
        usleep(100 * 1000);
    }
    /* customer: UK 2 x 60 s at 0.6/min = 1.20, France 30 s at 1.2/min = 0.60 */
    char from[40];
    time_t yesterday = time(NULL) - 86400;
    struct tm tm;
    strftime(from, sizeof from, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&yesterday, &tm));
    json_t *st = statement(cust, from, NULL, NULL);
    json_t *u = json_object_get(json_object_get(st, "summary"), "usage");
    ck_assert_int_eq(jint(u, "calls"), 3);
    ck_assert_int_eq(jint(u, "seconds"), 150);
    ck_assert_str_eq(jstr(u, "change"), "-1.800000");
    json_t *d = json_object_get(u, "destinations");
    ck_assert_int_eq(json_array_size(d), 2);
    ck_assert_str_eq(jstr(json_array_get(d, 0), "destination"), "France");
    ck_assert_str_eq(jstr(json_array_get(d, 0), "minutes"), "0.50");
    ck_assert_str_eq(jstr(json_array_get(d, 0), "amount"), "0.600000");
    ck_assert_str_eq(jstr(json_array_get(d, 1), "destination"), "United Kingdom");
    ck_assert_int_eq(jint(json_array_get(d, 1), "calls"), 2);
    ck_assert_str_eq(jstr(json_array_get(d, 1), "amount"), "1.200000");
    json_t *b = balance(cust);
    ck_assert_str_eq(path2(b, "customer", "unposted"), "0.000000");
    ck_assert_str_eq(jstr(st, "closing_balance"), path2(b, "customer", "balance"));
    ck_assert_str_eq(jstr(st, "closing_balance"), "-1.800000");
    assert_statement_adds_up(st);
    json_decref(b);
    json_decref(st);
    /* supplier: UK 2 x 60 s at 0.3/min = 0.60, France 30 s at 0.6/min = 0.30: we owe it 0.90 */
    st = statement(supp, from, NULL, NULL);
    ck_assert_str_eq(jstr(st, "side"), "supplier");
    ck_assert_str_eq(path2(json_object_get(st, "summary"), "usage", "change"), "0.900000");
    ck_assert_str_eq(jstr(st, "closing_balance"), "0.900000");
    json_decref(st);
    /* an invoice for the day so far: the period must have ended 5 seconds ago */
    char to[40];
    time_t now = time(NULL) - 1;
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    fails_on_field(admin, "invoice.create", invoice_params(cust, from, to, "docs-early"), "period_end");
    sleep(7);
    now = time(NULL) - 6; /* after the posting, and 5 seconds ago */
    strftime(to, sizeof to, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
    json_t *inv = ok(admin, "invoice.create", invoice_params(cust, from, to, "docs-real"));
    ck_assert_str_eq(jstr(inv, "total"), "1.800000");
    ck_assert_str_eq(jstr(line_of(inv, "usage", "destination", "United Kingdom"), "amount"), "1.200000");
    ck_assert_int_eq(jint(line_of(inv, "usage", "destination", "France"), "seconds"), 30);
    json_decref(inv);
    inv = ok(admin, "invoice.create", invoice_params(supp, from, to, "docs-real-supp"));
    ck_assert_str_eq(jstr(inv, "side"), "supplier");
    ck_assert_str_eq(jstr(inv, "total"), "0.900000");
    json_decref(inv);
}
END_TEST

static void teardown(void)
{
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
}

int main(void)
{
    static const char *const flags[] = { "--ledger-flush-ms", "200", NULL };
    admin = start_with_root(&S, "didtron_test_documents", "documents", flags);
    issue_year = atoi(harness_sql("SELECT extract(year FROM now() AT TIME ZONE 'UTC')::int"));
    Y = issue_year - 1;
    Suite *s = suite_create("documents");
    TCase *tc = tcase_create("documents");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_statement_has_hand_computed_opening_lines_and_closing);
    tcase_add_test(tc, test_statement_formats_fit_80_columns_and_pdf_reads_back);
    tcase_add_test(tc, test_statement_validation_names_the_field);
    tcase_add_test(tc, test_invoice_has_hand_computed_lines_and_totals);
    tcase_add_test(tc, test_invoice_is_idempotent_refuses_overlaps_and_can_be_voided);
    tcase_add_test(tc, test_invoice_validation_names_the_field);
    tcase_add_test(tc, test_invoice_numbers_have_no_gaps_under_concurrent_creation);
    tcase_add_test(tc, test_the_same_invoice_key_racing_creates_one_invoice);
    tcase_add_test(tc, test_customers_see_only_their_own_documents);
    tcase_add_test(tc, test_credit_note_posts_a_journal_and_issues_a_document);
    tcase_add_test(tc, test_netting_offsets_both_sides_of_a_bilateral_carrier);
    tcase_add_test(tc, test_netting_is_refused_when_it_cannot_net);
    tcase_add_test(tc, test_rated_cdrs_reach_statements_and_invoices_by_destination);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    teardown();
    return rc;
}
