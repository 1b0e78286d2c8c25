/*
 * money: exact fixed-point amounts.
 *
 * Every amount in DIDTron is an int64 count of micro-units (1e-6 of the
 * currency unit), NUMERIC(20,6) in SQL and a decimal string on the wire.
 * Nothing here touches float or double. Rounding is explicit and named by
 * the caller; it works on the magnitude, so -1.5 rounds like 1.5 and
 * credits and charges round symmetrically.
 */
#ifndef DIDTRON_MONEY_H
#define DIDTRON_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MONEY_SCALE 1000000LL
/* "-9223372036854.775808" is 21 characters; with the NUL, 22. */
#define MONEY_STR_MAX 24

typedef int64_t money_t;

typedef enum {
    MONEY_OK = 0,
    MONEY_EMPTY,       /* empty string or NULL */
    MONEY_SYNTAX,      /* not [+-]digits[.digits] */
    MONEY_TOO_PRECISE, /* more than 6 decimals */
    MONEY_OVERFLOW,    /* outside int64 micro-units */
} money_status;

typedef enum {
    MONEY_ROUND_UP,      /* away from zero */
    MONEY_ROUND_HALF_UP, /* nearest, halves away from zero */
    MONEY_ROUND_DOWN,    /* toward zero (truncate) */
} money_rounding;

/* Parse "12", "-0.5", "+3.000001" into micro-units. No exponent, no spaces,
 * no thousands separators, at most 6 decimals. *out is written only on OK. */
money_status money_parse(const char *s, money_t *out);

/* Human-readable reason for a status, e.g. "at most 6 decimals". */
const char *money_status_message(money_status st);

/* Format with exactly 6 decimals ("-12.500000") into buf (>= MONEY_STR_MAX).
 * Returns buf. */
char *money_format(money_t v, char *buf, size_t n);

/* *out = round(a * b / d) by the given rounding, computed exactly in 128
 * bits. Returns false on d == 0 or when the result leaves int64. */
bool money_muldiv(int64_t a, int64_t b, int64_t d, money_rounding r, int64_t *out);

/* Rounding names on the wire: "up", "half_up", "down". Returns false when
 * the name is unknown. */
bool money_rounding_parse(const char *name, money_rounding *out);

/* Add with overflow detection. Returns false on overflow. */
bool money_add(money_t a, money_t b, money_t *out);

#endif
