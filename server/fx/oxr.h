/*
 * oxr: the Open Exchange Rates answer, read without floating point.
 *
 * GET {oxr_base_url}/api/latest.json?app_id=... answers
 *
 *   {"disclaimer": "...", "license": "...", "timestamp": 1700000000,
 *    "base": "USD", "rates": {"AED": 3.6731, "EUR": 0.921187, ...}}
 *
 * Each rate is units of the currency per 1 USD. jansson would turn those
 * numbers into doubles; a rate is money-grade data and must be stored
 * exactly as sent, so this module is its own strict JSON scanner: it
 * checks the whole body's syntax (depth-limited, no recursion beyond
 * OXR_MAX_DEPTH), takes `timestamp`, `base` and each rate's number *text*,
 * and normalises that text to a plain decimal ("9.21187e-1" -> "0.921187",
 * "1.50" -> "1.5"). Pure functions, no I/O, no allocation but the result
 * array: fuzzed by tests/fuzz/fuzz_oxr.c.
 *
 * A body is refused as a whole (OXR_GARBAGE) when it is not one JSON
 * object, lacks `timestamp` (a positive integer), `base` ("USD") or a
 * `rates` object, repeats one of those keys, or yields no usable rate.
 * Single rates that are malformed are skipped and counted (`rejected`):
 * a key that is not three capital letters, a value that is not a number,
 * a number <= 0, with more than OXR_MAX_DECIMALS decimals, or not below
 * OXR_MAX_PER_USD, and a currency given twice (both values dropped).
 */
#ifndef DIDTRON_OXR_H
#define DIDTRON_OXR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OXR_MAX_DEPTH 32
#define OXR_MAX_RATES 1024          /* members of "rates"; more is garbage */
#define OXR_MAX_DECIMALS 12         /* fx_rates.per_usd is numeric(30,12) */
#define OXR_MAX_INT_DIGITS 9        /* per_usd < 1,000,000,000 */
#define OXR_RATE_TEXT_MAX 32        /* "123456789.123456789012" + NUL fits */

typedef enum {
    OXR_NUM_OK = 0,
    OXR_NUM_SYNTAX,        /* not a decimal number */
    OXR_NUM_NOT_POSITIVE,  /* 0 or negative */
    OXR_NUM_TOO_PRECISE,   /* more than OXR_MAX_DECIMALS decimals */
    OXR_NUM_TOO_LARGE,     /* 1,000,000,000 or more */
} oxr_num_status;

typedef struct {
    char code[4];                    /* "EUR" */
    char per_usd[OXR_RATE_TEXT_MAX]; /* normalised decimal text, "0.921187" */
} oxr_rate;

typedef struct {
    int64_t timestamp;               /* the provider's, unix seconds */
    oxr_rate *rates;                 /* malloc'd, `count` entries, in body order */
    size_t count;
    size_t rejected;                 /* rates skipped as malformed */
    char first_rejected[96];         /* "XYZ: more than 12 decimals", for the log; "" when none */
} oxr_latest;

typedef enum {
    OXR_OK = 0,
    OXR_GARBAGE,                     /* the body as a whole is unusable; err says why */
    OXR_NOMEM,
} oxr_status;

/* Parse a latest.json body (len bytes, need not be NUL-terminated). On
 * OXR_OK, *out holds the rates (free with oxr_latest_free); otherwise
 * *out is empty and err (may be NULL) says why in a few words. */
oxr_status oxr_parse_latest(const char *body, size_t len, oxr_latest *out, char *err, size_t errlen);
void oxr_latest_free(oxr_latest *l);

/* Normalise one rate's number text (len bytes). allow_exponent: JSON
 * number syntax ("-"? int frac? exp?) when true; a plain decimal string
 * ("digits[.digits]", what fx.set takes) when false. On OXR_NUM_OK, out
 * (>= OXR_RATE_TEXT_MAX) holds the value with no leading or trailing
 * zeros ("0.5", "25000", "1.000000000001"). */
oxr_num_status oxr_rate_normalize(const char *text, size_t len, bool allow_exponent, char *out, size_t outlen);
const char *oxr_num_message(oxr_num_status st);

#endif
