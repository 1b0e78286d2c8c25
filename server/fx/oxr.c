/*
 * oxr.c: a strict JSON scanner for the Open Exchange Rates answer (see
 * oxr.h). Every read is bounds-checked against the end of the buffer;
 * nesting is limited to OXR_MAX_DEPTH; no number ever becomes a double.
 */
#include "oxr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const unsigned char *p, *end;
} cursor;

static bool is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static bool at(cursor *c, unsigned char ch)
{
    return c->p < c->end && *c->p == ch;
}

static int hex_value(unsigned char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* A string starting at the opening quote. Decodes into buf (cap bytes,
 * NUL-terminated) when buf is given; *len is the decoded length, or
 * SIZE_MAX when it did not fit. Non-ASCII escapes decode to 0x80, which
 * matches no key we look for. Returns 0, or -1 on a syntax error. */
static int scan_string(cursor *c, char *buf, size_t cap, size_t *len)
{
    size_t k = 0;
    bool over = false;
    c->p++; /* the opening quote */
    while (c->p < c->end) {
        unsigned char ch = *c->p++, out;
        if (ch == '"') {
            if (buf && cap)
                buf[k < cap ? k : cap - 1] = '\0';
            if (len)
                *len = over ? SIZE_MAX : k;
            return 0;
        }
        if (ch < 0x20)
            return -1;
        if (ch == '\\') {
            if (c->p >= c->end)
                return -1;
            unsigned char e = *c->p++;
            switch (e) {
            case '"': case '\\': case '/': out = e; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'u': {
                if (c->end - c->p < 4)
                    return -1;
                int v = 0;
                for (int i = 0; i < 4; i++) {
                    int h = hex_value(c->p[i]);
                    if (h < 0)
                        return -1;
                    v = v * 16 + h;
                }
                c->p += 4;
                out = v > 0 && v < 0x80 ? (unsigned char)v : 0x80;
                break;
            }
            default:
                return -1;
            }
        } else {
            out = ch;
        }
        if (buf) {
            if (k + 1 < cap)
                buf[k++] = (char)out;
            else
                over = true;
        }
    }
    return -1; /* unterminated */
}

/* A JSON number: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?.
 * Returns 0 with its text span, or -1. */
static int scan_number(cursor *c, const char **start, size_t *len)
{
    const unsigned char *s = c->p;
    if (at(c, '-'))
        c->p++;
    if (at(c, '0')) {
        c->p++;
    } else if (c->p < c->end && *c->p >= '1' && *c->p <= '9') {
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    } else {
        return -1;
    }
    if (at(c, '.')) {
        c->p++;
        if (!(c->p < c->end && is_digit(*c->p)))
            return -1;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    if (at(c, 'e') || at(c, 'E')) {
        c->p++;
        if (at(c, '+') || at(c, '-'))
            c->p++;
        if (!(c->p < c->end && is_digit(*c->p)))
            return -1;
        while (c->p < c->end && is_digit(*c->p))
            c->p++;
    }
    *start = (const char *)s;
    *len = (size_t)(c->p - s);
    return 0;
}

static int scan_literal(cursor *c, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
        return -1;
    c->p += n;
    return 0;
}

/* Any value, checked and skipped. depth = nesting of the value itself. */
static int skip_value(cursor *c, int depth)
{
    skip_ws(c);
    if (c->p >= c->end)
        return -1;
    const char *ns;
    size_t nl;
    switch (*c->p) {
    case '{':
    case '[': {
        unsigned char close = *c->p == '{' ? '}' : ']';
        bool object = close == '}';
        if (depth >= OXR_MAX_DEPTH)
            return -1;
        c->p++;
        skip_ws(c);
        if (at(c, close)) {
            c->p++;
            return 0;
        }
        for (;;) {
            skip_ws(c);
            if (object) {
                if (!at(c, '"') || scan_string(c, NULL, 0, NULL))
                    return -1;
                skip_ws(c);
                if (!at(c, ':'))
                    return -1;
                c->p++;
            }
            if (skip_value(c, depth + 1))
                return -1;
            skip_ws(c);
            if (at(c, ',')) {
                c->p++;
                continue;
            }
            if (at(c, close)) {
                c->p++;
                return 0;
            }
            return -1;
        }
    }
    case '"':
        return scan_string(c, NULL, 0, NULL);
    case 't':
        return scan_literal(c, "true");
    case 'f':
        return scan_literal(c, "false");
    case 'n':
        return scan_literal(c, "null");
    default:
        return scan_number(c, &ns, &nl);
    }
}

const char *oxr_num_message(oxr_num_status st)
{
    switch (st) {
    case OXR_NUM_OK: return "ok";
    case OXR_NUM_SYNTAX: return "not a decimal number";
    case OXR_NUM_NOT_POSITIVE: return "not a positive number";
    case OXR_NUM_TOO_PRECISE: return "more than 12 decimals";
    case OXR_NUM_TOO_LARGE: return "not below 1000000000";
    }
    return "invalid";
}

oxr_num_status oxr_rate_normalize(const char *text, size_t len, bool allow_exponent, char *out, size_t outlen)
{
    if (!text || !out || outlen < OXR_RATE_TEXT_MAX || len == 0)
        return OXR_NUM_SYNTAX;
    out[0] = '\0';
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0;
    bool negative = false;
    if (allow_exponent && t[0] == '-') {
        negative = true;
        i++;
    }
    size_t int_start = i;
    while (i < len && is_digit(t[i]))
        i++;
    size_t int_len = i - int_start;
    if (int_len == 0 || (allow_exponent && int_len > 1 && t[int_start] == '0'))
        return OXR_NUM_SYNTAX;
    size_t frac_start = i, frac_len = 0;
    if (i < len && t[i] == '.') {
        frac_start = ++i;
        while (i < len && is_digit(t[i]))
            i++;
        frac_len = i - frac_start;
        if (frac_len == 0)
            return OXR_NUM_SYNTAX;
    }
    long long exp = 0;
    if (allow_exponent && i < len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (t[i] == '+' || t[i] == '-'))
            eneg = t[i++] == '-';
        size_t es = i;
        while (i < len && is_digit(t[i])) {
            if (exp < 1000000)              /* saturate: far beyond any limit below */
                exp = exp * 10 + (t[i] - '0');
            i++;
        }
        if (i == es)
            return OXR_NUM_SYNTAX;
        if (eneg)
            exp = -exp;
    }
    if (i != len)
        return OXR_NUM_SYNTAX;

    /* The digits D = integer digits then fraction digits; the decimal
     * point sits before D[point]. */
    long long total = (long long)(int_len + frac_len);
#define DIGIT(k) ((k) < (long long)int_len ? t[int_start + (size_t)(k)] : t[frac_start + (size_t)((k) - (long long)int_len)])
    long long first = -1, last = -1;
    for (long long k = 0; k < total; k++) {
        if (DIGIT(k) != '0') {
            if (first < 0)
                first = k;
            last = k;
        }
    }
    if (first < 0 || negative)
        return OXR_NUM_NOT_POSITIVE;
    long long point = (long long)int_len + exp;
    long long int_digits = point - first;                 /* significant digits before the point */
    if (int_digits > OXR_MAX_INT_DIGITS)
        return OXR_NUM_TOO_LARGE;
    long long decimals = last >= point ? last - point + 1 : 0;
    if (decimals > OXR_MAX_DECIMALS)
        return OXR_NUM_TOO_PRECISE;

    size_t k = 0;
    if (int_digits <= 0) {
        out[k++] = '0';
    } else {
        for (long long d = first; d < point; d++)
            out[k++] = (char)(d < total ? DIGIT(d) : '0');
    }
    if (decimals > 0) {
        out[k++] = '.';
        for (long long d = point; d <= last; d++)
            out[k++] = (char)(d >= 0 ? DIGIT(d) : '0');
    }
#undef DIGIT
    out[k] = '\0';
    return OXR_NUM_OK;
}

/* ---- the answer ---- */

typedef struct {
    char code[4];
    bool twice;
} seen_code;

/* Count a skipped rate; remember the first for the log, with the key
 * reduced to printable ASCII (it may hold anything the body escaped). */
static void reject(oxr_latest *l, const char *code, const char *why)
{
    l->rejected++;
    if (l->first_rejected[0])
        return;
    char shown[9];
    size_t k = 0;
    for (; code[k] && k < 8; k++)
        shown[k] = code[k] >= 0x20 && code[k] < 0x7f && code[k] != '"' && code[k] != '\\' ? code[k] : '?';
    shown[k] = '\0';
    snprintf(l->first_rejected, sizeof l->first_rejected, "%s: %s", shown, why);
}

static bool is_code(const char *k, size_t len)
{
    return len == 3 && k[0] >= 'A' && k[0] <= 'Z' && k[1] >= 'A' && k[1] <= 'Z' && k[2] >= 'A' && k[2] <= 'Z';
}

/* The "rates" object, at its '{'. Returns NULL or what makes it garbage. */
static const char *scan_rates(cursor *c, oxr_latest *l, seen_code *seen, size_t *nseen, size_t *cap)
{
    size_t members = 0;
    c->p++;
    skip_ws(c);
    if (at(c, '}')) {
        c->p++;
        return NULL;
    }
    for (;;) {
        char key[8];
        size_t klen = 0;
        skip_ws(c);
        if (!at(c, '"') || scan_string(c, key, sizeof key, &klen))
            return "malformed JSON in rates";
        skip_ws(c);
        if (!at(c, ':'))
            return "malformed JSON in rates";
        c->p++;
        if (++members > OXR_MAX_RATES)
            return "more than 1024 rates";
        skip_ws(c);
        const char *num = NULL;
        size_t numlen = 0;
        const char *why = NULL;
        if (c->p < c->end && (*c->p == '-' || is_digit(*c->p))) {
            if (scan_number(c, &num, &numlen))
                return "malformed JSON in rates";
        } else {
            if (skip_value(c, 2))
                return "malformed JSON in rates";
            why = "not a number";
        }
        const char *shown = klen == SIZE_MAX ? "(key)" : key;
        if (klen == SIZE_MAX || !is_code(key, klen)) {
            reject(l, shown, "not a currency code");
        } else {
            seen_code *dup = NULL;
            for (size_t i = 0; i < *nseen; i++)
                if (!memcmp(seen[i].code, key, 4))
                    dup = &seen[i];
            if (dup) {
                dup->twice = true;
                reject(l, key, "given twice");
            } else {
                memcpy(seen[*nseen].code, key, 4);
                seen[*nseen].twice = false;
                (*nseen)++;
                oxr_rate r;
                memcpy(r.code, key, 4);
                oxr_num_status st = why ? OXR_NUM_SYNTAX : oxr_rate_normalize(num, numlen, true, r.per_usd,
                                                                               sizeof r.per_usd);
                if (why || st != OXR_NUM_OK) {
                    reject(l, key, why ? why : oxr_num_message(st));
                } else {
                    if (l->count == *cap) {
                        size_t ncap = *cap ? *cap * 2 : 64;
                        oxr_rate *nr = realloc(l->rates, ncap * sizeof *nr);
                        if (!nr)
                            return "out of memory";
                        l->rates = nr;
                        *cap = ncap;
                    }
                    l->rates[l->count++] = r;
                }
            }
        }
        skip_ws(c);
        if (at(c, ',')) {
            c->p++;
            continue;
        }
        if (at(c, '}')) {
            c->p++;
            return NULL;
        }
        return "malformed JSON in rates";
    }
}

/* A currency given twice is ambiguous: drop the value kept from its first
 * appearance too. */
static void drop_twice(oxr_latest *l, const seen_code *seen, size_t nseen)
{
    size_t w = 0;
    for (size_t i = 0; i < l->count; i++) {
        bool twice = false;
        for (size_t s = 0; s < nseen; s++)
            if (seen[s].twice && !memcmp(seen[s].code, l->rates[i].code, 4))
                twice = true;
        if (twice)
            reject(l, l->rates[i].code, "given twice");
        else
            l->rates[w++] = l->rates[i];
    }
    l->count = w;
}

/* "timestamp": a positive whole number of seconds (at most 12 digits). */
static const char *scan_timestamp(cursor *c, int64_t *out)
{
    const char *s;
    size_t n;
    if (!(c->p < c->end && (*c->p == '-' || is_digit(*c->p))) || scan_number(c, &s, &n))
        return "timestamp is not a number";
    if (n > 12)
        return "timestamp out of range";
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit((unsigned char)s[i]))
            return "timestamp is not a whole number of seconds";
        v = v * 10 + (s[i] - '0');
    }
    if (v <= 0)
        return "timestamp is not positive";
    *out = v;
    return NULL;
}

oxr_status oxr_parse_latest(const char *body, size_t len, oxr_latest *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *why = NULL;
    seen_code *seen = NULL;
    size_t nseen = 0, cap = 0;
    bool have_ts = false, have_base = false, have_rates = false, is_error = false;
    char base[8] = "";
    if (!body) {
        why = "empty answer";
        goto garbage;
    }
    cursor c = { (const unsigned char *)body, (const unsigned char *)body + len };
    skip_ws(&c);
    if (!at(&c, '{')) {
        why = c.p >= c.end ? "empty answer" : "not a JSON object";
        goto garbage;
    }
    c.p++;
    skip_ws(&c);
    if (at(&c, '}')) {
        c.p++;
    } else {
        for (;;) {
            char key[16];
            size_t klen = 0;
            skip_ws(&c);
            if (!at(&c, '"') || scan_string(&c, key, sizeof key, &klen)) {
                why = "malformed JSON";
                goto garbage;
            }
            skip_ws(&c);
            if (!at(&c, ':')) {
                why = "malformed JSON";
                goto garbage;
            }
            c.p++;
            skip_ws(&c);
            if (klen != SIZE_MAX && !strcmp(key, "timestamp")) {
                if (have_ts) {
                    why = "timestamp given twice";
                    goto garbage;
                }
                have_ts = true;
                if ((why = scan_timestamp(&c, &out->timestamp)))
                    goto garbage;
            } else if (klen != SIZE_MAX && !strcmp(key, "base")) {
                size_t blen = 0;
                if (have_base) {
                    why = "base given twice";
                    goto garbage;
                }
                have_base = true;
                if (!at(&c, '"') || scan_string(&c, base, sizeof base, &blen)) {
                    why = "base is not a string";
                    goto garbage;
                }
                if (blen == SIZE_MAX)
                    base[0] = '\0';
            } else if (klen != SIZE_MAX && !strcmp(key, "rates")) {
                if (have_rates) {
                    why = "rates given twice";
                    goto garbage;
                }
                have_rates = true;
                if (!at(&c, '{')) {
                    why = "rates is not an object";
                    goto garbage;
                }
                if (!seen && !(seen = malloc(OXR_MAX_RATES * sizeof *seen))) {
                    why = "out of memory";
                    goto garbage;
                }
                if ((why = scan_rates(&c, out, seen, &nseen, &cap)))
                    goto garbage;
            } else {
                if (klen != SIZE_MAX && !strcmp(key, "error") && at(&c, 't'))
                    is_error = true;
                if (skip_value(&c, 1)) {
                    why = "malformed JSON";
                    goto garbage;
                }
            }
            skip_ws(&c);
            if (at(&c, ',')) {
                c.p++;
                continue;
            }
            if (at(&c, '}')) {
                c.p++;
                break;
            }
            why = "malformed JSON";
            goto garbage;
        }
    }
    skip_ws(&c);
    if (c.p != c.end) {
        why = "characters after the JSON object";
        goto garbage;
    }
    if (is_error) {
        why = "an error answer";
        goto garbage;
    }
    if (!have_ts) {
        why = "no timestamp";
        goto garbage;
    }
    if (!have_base || strcmp(base, "USD")) {
        why = have_base ? "base is not USD" : "no base";
        goto garbage;
    }
    if (!have_rates) {
        why = "no rates";
        goto garbage;
    }
    drop_twice(out, seen, nseen);
    if (out->count == 0) {
        why = "no usable rate";
        goto garbage;
    }
    free(seen);
    if (err && errlen)
        err[0] = '\0';
    return OXR_OK;
garbage:
    free(seen);
    {
        bool nomem = why && !strcmp(why, "out of memory");
        if (err && errlen)
            snprintf(err, errlen, "%s", why ? why : "unusable answer");
        oxr_latest_free(out);
        return nomem ? OXR_NOMEM : OXR_GARBAGE;
    }
}

void oxr_latest_free(oxr_latest *l)
{
    if (!l)
        return;
    free(l->rates);
    memset(l, 0, sizeof *l);
}
