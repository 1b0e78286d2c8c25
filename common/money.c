#include "money.h"

#include <stdio.h>
#include <string.h>

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

money_status money_parse(const char *s, money_t *out)
{
    if (!s || !*s)
        return MONEY_EMPTY;
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = (*p == '-');
        p++;
    }
    /* Accumulate as a negative number so INT64_MIN is representable. */
    int64_t acc = 0;
    int int_digits = 0, frac_digits = 0;
    for (; *p >= '0' && *p <= '9'; p++, int_digits++) {
        int d = *p - '0';
        if (acc < (INT64_MIN + d) / 10)
            return MONEY_OVERFLOW;
        acc = acc * 10 - d;
    }
    if (*p == '.') {
        p++;
        for (; *p >= '0' && *p <= '9'; p++) {
            if (++frac_digits > 6) {
                /* Trailing zeros past the sixth decimal change nothing,
                 * but we still refuse them: the wire says "up to 6". */
                return MONEY_TOO_PRECISE;
            }
            int d = *p - '0';
            if (acc < (INT64_MIN + d) / 10)
                return MONEY_OVERFLOW;
            acc = acc * 10 - d;
        }
        if (frac_digits == 0)
            return MONEY_SYNTAX; /* "12." */
    }
    if (*p != '\0' || int_digits == 0)
        return MONEY_SYNTAX;
    for (int i = frac_digits; i < 6; i++) {
        if (acc < INT64_MIN / 10)
            return MONEY_OVERFLOW;
        acc *= 10;
    }
    if (!neg) {
        if (acc == INT64_MIN)
            return MONEY_OVERFLOW;
        acc = -acc;
    }
    *out = acc;
    return MONEY_OK;
}

const char *money_status_message(money_status st)
{
    switch (st) {
    case MONEY_OK: return "ok";
    case MONEY_EMPTY: return "must be a decimal string";
    case MONEY_SYNTAX: return "must be a decimal string like \"12.50\"";
    case MONEY_TOO_PRECISE: return "at most 6 decimals";
    case MONEY_OVERFLOW: return "out of range";
    }
    return "invalid amount";
}

char *money_format(money_t v, char *buf, size_t n)
{
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    snprintf(buf, n, "%s%llu.%06llu", v < 0 ? "-" : "",
             (unsigned long long)(mag / MONEY_SCALE),
             (unsigned long long)(mag % MONEY_SCALE));
    return buf;
}

bool money_muldiv(int64_t a, int64_t b, int64_t d, money_rounding r, int64_t *out)
{
    if (d == 0)
        return false;
    i128 num = (i128)a * b;
    bool neg = (num < 0) != (d < 0);
    u128 un = num < 0 ? -(u128)num : (u128)num;
    u128 ud = d < 0 ? -(u128)(i128)d : (u128)d;
    u128 q = un / ud, rem = un % ud;
    switch (r) {
    case MONEY_ROUND_UP:
        if (rem)
            q++;
        break;
    case MONEY_ROUND_HALF_UP:
        if (rem * 2 >= ud)
            q++;
        break;
    case MONEY_ROUND_DOWN:
        break;
    }
    if (neg) {
        if (q > (u128)INT64_MAX + 1)
            return false;
        *out = (int64_t)(-(i128)q);
    } else {
        if (q > (u128)INT64_MAX)
            return false;
        *out = (int64_t)q;
    }
    return true;
}

bool money_rounding_parse(const char *name, money_rounding *out)
{
    static const struct { const char *name; money_rounding r; } names[] = {
        { "up", MONEY_ROUND_UP },
        { "half_up", MONEY_ROUND_HALF_UP },
        { "down", MONEY_ROUND_DOWN },
    };
    for (size_t i = 0; name && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].r;
            return true;
        }
    }
    return false;
}

bool money_add(money_t a, money_t b, money_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}
