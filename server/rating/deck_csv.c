/*
 * deck_csv: a streaming rate-deck parser.
 *
 * One byte-at-a-time state machine splits the input into records (RFC 4180:
 * a quoted field may hold commas, doubled quotes and newlines) and decodes
 * fields into a buffer of one line. Its whole state is a few small
 * variables, so feeding 1 byte or 1 MB at a time gives the same callbacks.
 * When a record passes DECK_LINE_MAX raw bytes the parser drops it, skips
 * to the next newline (quotes or not: a stray quote must not swallow the
 * rest of the deck), reports one error for the line, and goes on.
 *
 * Line numbers are physical: every '\n' counts, also inside quotes; a
 * record is reported at the line it starts on.
 */
#include "deck_csv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "money.h"
#include "tariff.h"
#include "timeutil.h"

#define TIME_CLASS_NAME_MAX 64
#define TIME_CLASS_NAMES_MAX 255
#define MSG_MAX 160

typedef enum {
    COL_PREFIX,
    COL_DESTINATION,
    COL_RATE,
    COL_CONNECTION_FEE,
    COL_INITIAL_INCREMENT,
    COL_SUBSEQUENT_INCREMENT,
    COL_MIN_DURATION,
    COL_EFFECTIVE_FROM,
    COL_EFFECTIVE_TO,
    COL_TIME_CLASS,
    COL_MIN_LENGTH,
    COL_MAX_LENGTH,
    COL_BLOCKED,
    COL_COUNT,
    COL_IGNORED = -1,
} column;

static const char *const column_names[COL_COUNT] = {
    [COL_PREFIX] = "prefix",
    [COL_DESTINATION] = "destination",
    [COL_RATE] = "rate",
    [COL_CONNECTION_FEE] = "connection_fee",
    [COL_INITIAL_INCREMENT] = "initial_increment",
    [COL_SUBSEQUENT_INCREMENT] = "subsequent_increment",
    [COL_MIN_DURATION] = "min_duration",
    [COL_EFFECTIVE_FROM] = "effective_from",
    [COL_EFFECTIVE_TO] = "effective_to",
    [COL_TIME_CLASS] = "time_class",
    [COL_MIN_LENGTH] = "min_length",
    [COL_MAX_LENGTH] = "max_length",
    [COL_BLOCKED] = "blocked",
};

typedef enum {
    S_FIELD_START,   /* before a field; leading blanks are skipped */
    S_UNQUOTED,
    S_QUOTED,
    S_QUOTE_SEEN,    /* a '"' inside a quoted field: "" or the end */
    S_AFTER_QUOTE,   /* after the closing quote: only blanks until , or \n */
} scan_state;

/* (prefix, effective_from, time class) seen so far. */
typedef struct {
    uint64_t hi;       /* prefix digits 1..16 as nibbles (digit + 1); 0 = empty slot */
    uint32_t lo;       /* digits 17..24 */
    uint32_t cls;      /* time class name index + 1, 0 = none */
    int64_t from;
} seen_key;

struct deck_parser {
    deck_defaults defaults;
    deck_row_fn on_row;
    deck_error_fn on_error;
    void *ud;

    /* the record being scanned */
    char buf[DECK_LINE_MAX + 2];           /* decoded fields, each NUL-terminated */
    uint16_t field_start[DECK_LINE_MAX + 2];
    size_t len, raw, nfields;
    size_t field_begin, trim_end;          /* of the field being scanned */
    scan_state state;
    bool too_long, nonblank;
    const char *bad;                       /* first scanning error of the record */
    long line, record_line;

    /* the header */
    bool have_header;
    int *column_of;                        /* per field index: a column or COL_IGNORED */
    size_t ncolumns;
    int index_of[COL_COUNT];               /* per column: field index or -1 */

    /* a UTF-8 BOM before the header */
    int bom_matched;
    bool bom_done;

    int stopped;                           /* sticky non-zero return */
    long rows, errors;
    uint64_t bytes;

    seen_key *seen;
    size_t seen_cap, seen_count;
    char (*class_names)[TIME_CLASS_NAME_MAX + 1];
    size_t nclass_names;

    char prefix[TARIFF_NUMBER_MAX + 1];
};

static const unsigned char BOM[3] = { 0xEF, 0xBB, 0xBF };

deck_parser *deck_parser_new(const deck_defaults *d, deck_row_fn on_row,
                             deck_error_fn on_error, void *ud)
{
    deck_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    if (d) {
        p->defaults = *d;
    } else {
        p->defaults.effective_from = 0;
        p->defaults.effective_to = RATE_OPEN_END;
    }
    p->on_row = on_row;
    p->on_error = on_error;
    p->ud = ud;
    p->line = p->record_line = 1;
    for (int c = 0; c < COL_COUNT; c++)
        p->index_of[c] = -1;
    return p;
}

void deck_parser_free(deck_parser *p)
{
    if (!p)
        return;
    free(p->column_of);
    free(p->seen);
    free(p->class_names);
    free(p);
}

long deck_parser_rows(const deck_parser *p) { return p->rows; }
long deck_parser_errors(const deck_parser *p) { return p->errors; }
uint64_t deck_parser_bytes(const deck_parser *p) { return p->bytes; }

/* ---- reporting ---- */

static int report(deck_parser *p, long line, const char *msg)
{
    p->errors++;
    return p->on_error ? p->on_error(p->ud, line, msg) : 0;
}

/* A line error; the parse goes on unless the callback says stop. */
static int line_error(deck_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int line_error(deck_parser *p, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return report(p, p->record_line, msg);
}

/* ---- value checks ---- */

static bool valid_utf8(const char *s, bool allow_controls)
{
    const unsigned char *u = (const unsigned char *)s;
    while (*u) {
        unsigned c = *u;
        if (c < 0x80) {
            if (!allow_controls && (c < 0x20 || c == 0x7f))
                return false;
            u++;
            continue;
        }
        int n;
        uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (int i = 1; i <= n; i++) {
            if ((u[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (u[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return false;
        u += n + 1;
    }
    return true;
}

/* Digits only, at most `max`. */
static bool parse_count(const char *s, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "1", "true", "yes", "y" }, *const no[] = { "0", "false", "no", "n" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* ---- duplicates ---- */

static void encode_prefix(const char *digits, uint64_t *hi, uint32_t *lo)
{
    uint64_t h = 0;
    uint32_t l = 0;
    for (int i = 0; digits[i]; i++) {
        unsigned d = (unsigned)(digits[i] - '0') + 1;
        if (i < 16)
            h |= (uint64_t)d << (60 - 4 * i);
        else
            l |= (uint32_t)d << (28 - 4 * (i - 16));
    }
    *hi = h;
    *lo = l;
}

static size_t seen_slot(const seen_key *tab, size_t cap, const seen_key *k)
{
    /* hi holds a short prefix in its top bits, so its low bits are zero:
     * mix every bit down (the splitmix64 finaliser) before masking, or a
     * deck of short prefixes lands in a few clustered slots. */
    uint64_t h = k->hi ^ ((uint64_t)k->lo << 32 | k->cls) * 0xC2B2AE3D27D4EB4FULL ^
                 (uint64_t)k->from * 0x165667B19E3779F9ULL;
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBULL;
    h ^= h >> 31;
    size_t mask = cap - 1, i = (size_t)h & mask;
    while (tab[i].hi && !(tab[i].hi == k->hi && tab[i].lo == k->lo && tab[i].cls == k->cls &&
                          tab[i].from == k->from))
        i = (i + 1) & mask;
    return i;
}

/* 1: new (remembered), 0: seen before, -1: out of memory. */
static int seen_add(deck_parser *p, const seen_key *k)
{
    if ((p->seen_count + 1) * 4 > p->seen_cap * 3) {
        size_t cap = p->seen_cap ? p->seen_cap * 2 : 4096;
        seen_key *tab = calloc(cap, sizeof *tab);
        if (!tab)
            return -1;
        for (size_t i = 0; i < p->seen_cap; i++)
            if (p->seen[i].hi)
                tab[seen_slot(tab, cap, &p->seen[i])] = p->seen[i];
        free(p->seen);
        p->seen = tab;
        p->seen_cap = cap;
    }
    size_t i = seen_slot(p->seen, p->seen_cap, k);
    if (p->seen[i].hi)
        return 0;
    p->seen[i] = *k;
    p->seen_count++;
    return 1;
}

/* Index + 1 of a time class name ("" is 0); -1 when there are too many. */
static int class_index(deck_parser *p, const char *name)
{
    if (!*name)
        return 0;
    for (size_t i = 0; i < p->nclass_names; i++)
        if (strcmp(p->class_names[i], name) == 0)
            return (int)i + 1;
    if (p->nclass_names == TIME_CLASS_NAMES_MAX)
        return -1;
    if (!p->class_names && !(p->class_names = calloc(TIME_CLASS_NAMES_MAX, sizeof *p->class_names)))
        return -1;
    snprintf(p->class_names[p->nclass_names], sizeof p->class_names[0], "%s", name);
    return (int)++p->nclass_names;
}

/* ---- records ---- */

static const char *field(const deck_parser *p, column c)
{
    int i = p->index_of[c];
    return i >= 0 ? p->buf + p->field_start[i] : "";
}

static int header_error(deck_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int header_error(deck_parser *p, const char *fmt, ...)
{
    char msg[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    report(p, p->record_line, msg);
    p->stopped = -1;
    return -1;
}

static int parse_header(deck_parser *p)
{
    p->column_of = malloc(p->nfields * sizeof *p->column_of);
    if (!p->column_of)
        return header_error(p, "header: out of memory");
    p->ncolumns = p->nfields;
    for (size_t f = 0; f < p->nfields; f++) {
        char *name = p->buf + p->field_start[f];
        /* quoted names keep their spaces; drop them here too */
        while (*name == ' ' || *name == '\t')
            name++;
        size_t n = strlen(name);
        while (n && (name[n - 1] == ' ' || name[n - 1] == '\t' || name[n - 1] == '\r'))
            name[--n] = '\0';
        p->column_of[f] = COL_IGNORED;
        for (int c = 0; c < COL_COUNT; c++) {
            if (strcasecmp(name, column_names[c]) != 0)
                continue;
            if (p->index_of[c] >= 0)
                return header_error(p, "header: column %s appears twice", column_names[c]);
            p->index_of[c] = (int)f;
            p->column_of[f] = c;
        }
    }
    if (p->index_of[COL_PREFIX] < 0 && p->index_of[COL_RATE] < 0)
        return header_error(p, "header: missing columns prefix and rate");
    if (p->index_of[COL_PREFIX] < 0 || p->index_of[COL_RATE] < 0)
        return header_error(p, "header: missing column %s", p->index_of[COL_PREFIX] < 0 ? "prefix" : "rate");
    p->have_header = true;
    return 0;
}

/* 0: value in *out (default when empty), 1: error reported (its callback's
 * answer in *stop). */
static int count_field(deck_parser *p, column c, int64_t min, int64_t max, int64_t dflt, int64_t *out, int *stop)
{
    const char *s = field(p, c);
    if (!*s) {
        *out = dflt;
        return 0;
    }
    if (!parse_count(s, max, out) || *out < min) {
        *stop = line_error(p, "%s: must be a whole number from %lld to %lld", column_names[c], (long long)min,
                           (long long)max);
        return 1;
    }
    return 0;
}

static int date_field(deck_parser *p, column c, int64_t dflt, int64_t *out, int *stop)
{
    const char *s = field(p, c);
    if (!*s) {
        *out = dflt;
        return 0;
    }
    if (!time_parse_date_or_rfc3339(s, out)) {
        *stop = line_error(p, "%s: must be a date like 2026-11-23 or 2026-11-23T10:00:00Z", column_names[c]);
        return 1;
    }
    return 0;
}

/* Check one data record and hand it to the row callback. */
static int parse_row(deck_parser *p)
{
    if (p->nfields != p->ncolumns)
        return line_error(p, "%zu fields, the header has %zu", p->nfields, p->ncolumns);

    deck_row r;
    memset(&r, 0, sizeof r);
    r.line = p->record_line;
    int stop = 0;

    if (!tariff_normalise_number(field(p, COL_PREFIX), p->prefix, sizeof p->prefix))
        return line_error(p, "prefix: must be 1 to %d digits (after an optional + or 00)", TARIFF_NUMBER_MAX);
    r.row.prefix = p->prefix;

    money_t rate, fee = 0;
    {
        const char *s = field(p, COL_RATE);
        money_status st = money_parse(s, &rate);
        if (st != MONEY_OK)
            return line_error(p, "rate: %s", money_status_message(st));
        if (rate < 0)
            return line_error(p, "rate: must not be negative");
    }
    if (*field(p, COL_CONNECTION_FEE)) {
        money_status st = money_parse(field(p, COL_CONNECTION_FEE), &fee);
        if (st != MONEY_OK)
            return line_error(p, "connection_fee: %s", money_status_message(st));
        if (fee < 0)
            return line_error(p, "connection_fee: must not be negative");
    }
    tariff_defaults(&r.row.t, rate);
    r.row.t.connection_fee = fee;

    int64_t i, n, m, from, to, minl, maxl;
    if (count_field(p, COL_INITIAL_INCREMENT, 1, INT32_MAX, 1, &i, &stop) ||
        count_field(p, COL_SUBSEQUENT_INCREMENT, 1, INT32_MAX, 1, &n, &stop) ||
        count_field(p, COL_MIN_DURATION, 0, INT32_MAX, 0, &m, &stop) ||
        date_field(p, COL_EFFECTIVE_FROM, p->defaults.effective_from, &from, &stop) ||
        date_field(p, COL_EFFECTIVE_TO, p->defaults.effective_to, &to, &stop))
        return stop;
    r.row.t.initial_increment = (int32_t)i;
    r.row.t.subsequent_increment = (int32_t)n;
    r.row.t.min_duration = (int32_t)m;
    if (to <= from)
        return line_error(p, "effective_to: must be after effective_from");
    r.row.effective_from = from;
    r.row.effective_to = to;

    const char *cls = field(p, COL_TIME_CLASS);
    if (strlen(cls) > TIME_CLASS_NAME_MAX || !valid_utf8(cls, false))
        return line_error(p, "time_class: at most %d characters of text", TIME_CLASS_NAME_MAX);
    r.time_class_name = cls;

    if (count_field(p, COL_MIN_LENGTH, 0, TARIFF_NUMBER_MAX, 0, &minl, &stop) ||
        count_field(p, COL_MAX_LENGTH, 0, TARIFF_NUMBER_MAX, 0, &maxl, &stop))
        return stop;
    if (maxl && minl > maxl)
        return line_error(p, "min_length: must not be above max_length");
    r.row.min_length = (uint8_t)minl;
    r.row.max_length = (uint8_t)maxl;

    const char *blocked = field(p, COL_BLOCKED);
    if (*blocked && !parse_bool(blocked, &r.row.blocked))
        return line_error(p, "blocked: must be 1/0, true/false, yes/no or y/n");

    const char *dest = field(p, COL_DESTINATION);
    if (strlen(dest) > DECK_DESTINATION_MAX)
        return line_error(p, "destination: at most %d bytes", DECK_DESTINATION_MAX);
    if (!valid_utf8(dest, false))
        return line_error(p, "destination: must be UTF-8 text without control characters");
    r.row.destination = dest;

    seen_key k = { .from = from };
    encode_prefix(p->prefix, &k.hi, &k.lo);
    int ci = class_index(p, cls);
    if (ci < 0)
        return line_error(p, "time_class: more than %d different time classes", TIME_CLASS_NAMES_MAX);
    k.cls = (uint32_t)ci;
    int fresh = seen_add(p, &k);
    if (fresh < 0)
        return line_error(p, "out of memory");
    if (fresh == 0)
        return line_error(p, "duplicate of an earlier row with prefix %s and the same effective_from%s", p->prefix,
                          *cls ? " and time_class" : "");

    p->rows++;
    return p->on_row ? p->on_row(p->ud, &r) : 0;
}

static void record_reset(deck_parser *p)
{
    p->len = p->raw = p->nfields = 0;
    p->field_begin = p->trim_end = 0;
    p->state = S_FIELD_START;
    p->too_long = p->nonblank = false;
    p->bad = NULL;
    p->record_line = p->line;
}

static void close_field(deck_parser *p, bool trim)
{
    if (trim)
        p->len = p->trim_end;
    p->buf[p->len++] = '\0';
    p->field_start[p->nfields++] = (uint16_t)p->field_begin;
    p->field_begin = p->trim_end = p->len;
}

/* The record is complete (newline or end of input). */
static int end_record(deck_parser *p)
{
    int rc = 0;
    if (p->too_long) {
        rc = p->have_header ? line_error(p, "line longer than %d bytes", DECK_LINE_MAX)
                            : header_error(p, "header: line longer than %d bytes", DECK_LINE_MAX);
    } else if (!p->nonblank) {
        rc = 0; /* blank line */
    } else if (p->bad) {
        rc = p->have_header ? line_error(p, "%s", p->bad) : header_error(p, "header: %s", p->bad);
    } else {
        rc = p->have_header ? parse_row(p) : parse_header(p);
    }
    return rc;
}

static inline bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Store one decoded byte of the current field. */
static inline void put(deck_parser *p, unsigned char c)
{
    p->buf[p->len++] = (char)c;
    if (!is_blank(c))
        p->trim_end = p->len;
}

/* One input byte (after the BOM). Returns non-zero to stop. */
static int scan_byte(deck_parser *p, unsigned char c)
{
    if (c == '\n') {
        if (p->too_long) {
            int rc = end_record(p);
            p->line++;
            record_reset(p);
            return rc;
        }
        if (p->state == S_QUOTED) {
            p->line++;
            if (++p->raw > DECK_LINE_MAX)
                p->too_long = true;
            else
                put(p, c);
            return 0;
        }
        if (p->state == S_QUOTE_SEEN || p->state == S_AFTER_QUOTE)
            close_field(p, false);
        else if (p->nonblank || p->state == S_UNQUOTED)
            close_field(p, p->state == S_UNQUOTED);
        int rc = end_record(p);
        p->line++;
        record_reset(p);
        return rc;
    }
    if (p->too_long)
        return 0;
    if (++p->raw > DECK_LINE_MAX) {
        p->too_long = true;
        return 0;
    }
    if (c == '\0') {
        p->nonblank = true;
        if (!p->bad)
            p->bad = "NUL byte in the line";
        return 0;
    }
    switch (p->state) {
    case S_FIELD_START:
        if (is_blank(c))
            break;
        p->nonblank = true;
        if (c == '"') {
            p->state = S_QUOTED;
        } else if (c == ',') {
            close_field(p, true);
        } else {
            p->state = S_UNQUOTED;
            put(p, c);
        }
        break;
    case S_UNQUOTED:
        if (c == ',') {
            close_field(p, true);
            p->state = S_FIELD_START;
        } else {
            if (c == '"' && !p->bad)
                p->bad = "a quote inside an unquoted field";
            put(p, c);
        }
        break;
    case S_QUOTED:
        if (c == '"')
            p->state = S_QUOTE_SEEN;
        else
            put(p, c);
        break;
    case S_QUOTE_SEEN:
        if (c == '"') {
            put(p, c);
            p->state = S_QUOTED;
            break;
        }
        /* fall through: the quote closed the field */
        p->state = S_AFTER_QUOTE;
        /* FALLTHROUGH */
    case S_AFTER_QUOTE:
        if (c == ',') {
            close_field(p, false);
            p->state = S_FIELD_START;
        } else if (!is_blank(c) && !p->bad) {
            p->bad = "text after a closing quote";
        }
        break;
    }
    return 0;
}

static int scan(deck_parser *p, const unsigned char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        p->bytes++;
        int rc = scan_byte(p, s[i]);
        if (rc) {
            p->stopped = rc;
            return rc;
        }
    }
    return 0;
}

int deck_parser_feed(deck_parser *p, const char *buf, size_t n)
{
    if (p->stopped)
        return p->stopped;
    const unsigned char *s = (const unsigned char *)buf;
    /* A BOM may arrive split over several feeds: hold its bytes until it
     * is complete or turns out not to be one. */
    while (!p->bom_done && n > 0) {
        if (*s == BOM[p->bom_matched]) {
            p->bytes++;
            s++, n--;
            if (++p->bom_matched == 3)
                p->bom_done = true;
            continue;
        }
        p->bom_done = true;
        int matched = p->bom_matched;
        p->bytes -= (uint64_t)matched; /* counted again by scan */
        int rc = scan(p, BOM, (size_t)matched);
        if (rc)
            return rc;
    }
    return scan(p, s, n);
}

int deck_parser_finish(deck_parser *p)
{
    if (p->stopped)
        return p->stopped;
    if (!p->bom_done) {
        p->bom_done = true;
        p->bytes -= (uint64_t)p->bom_matched;
        int rc = scan(p, BOM, (size_t)p->bom_matched);
        if (rc)
            return rc;
    }
    int rc = 0;
    if (p->too_long || p->nonblank || p->state != S_FIELD_START) {
        if (p->state == S_QUOTED && !p->too_long && !p->bad)
            p->bad = "a quoted field is not closed";
        if (!p->too_long) {
            if (p->state == S_QUOTE_SEEN || p->state == S_AFTER_QUOTE || p->state == S_QUOTED)
                close_field(p, false);
            else
                close_field(p, p->state == S_UNQUOTED);
        }
        rc = end_record(p);
        record_reset(p);
    }
    if (!rc && !p->have_header)
        rc = header_error(p, "header: no header line");
    if (rc)
        p->stopped = rc;
    return rc;
}
