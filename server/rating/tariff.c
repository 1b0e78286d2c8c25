/*
 * tariff: the rating rules of docs/rating.md, as pure functions.
 *
 * Every rule is integer arithmetic on whole seconds and micro-units; the
 * one division that can leave a remainder (rate x billed / 60) goes through
 * money_muldiv, which is exact in 128 bits and rounds once, as the plan
 * says.
 */
#include "tariff.h"

#include <string.h>

void tariff_defaults(tariff *t, money_t rate)
{
    t->rate = rate;
    t->connection_fee = 0;
    t->initial_increment = 1;
    t->subsequent_increment = 1;
    t->min_duration = 0;
}

int64_t tariff_call_duration(bool answered, int64_t answer_usec, int64_t end_usec)
{
    if (!answered || end_usec <= answer_usec)
        return 0;
    /* end > answer, so the difference is positive; it can only overflow
     * for instants no CDR carries, and then unsigned arithmetic still
     * gives the right magnitude. */
    uint64_t us = (uint64_t)end_usec - (uint64_t)answer_usec;
    return (int64_t)(us / 1000000u + (us % 1000000u != 0));
}

int64_t tariff_billed_duration(const tariff *t, int64_t d)
{
    int64_t i = t->initial_increment, n = t->subsequent_increment, m = t->min_duration;
    if (i < 1 || n < 1 || m < 0 || d < 0)
        return -1;
    if (d == 0)
        return 0;
    int64_t dd = d > m ? d : m;
    if (dd <= i)
        return i;
    /* The result is at most dd + n - 1. */
    if (dd > INT64_MAX - n)
        return -1;
    int64_t over = dd - i;
    return i + (over + n - 1) / n * n;
}

bool tariff_cost(const tariff *t, int64_t billed, money_rounding r, money_t *out)
{
    if (billed < 0)
        return false;
    money_t usage;
    if (!money_muldiv(t->rate, billed, 60, r, &usage))
        return false;
    money_t total = usage; /* 0 when billed is 0: no fee either */
    if (billed > 0 && !money_add(usage, t->connection_fee, &total))
        return false;
    *out = total;
    return true;
}

bool tariff_normalise_number(const char *in, char *out, size_t n)
{
    if (!in || n < TARIFF_NUMBER_MAX + 1)
        return false;
    const char *p = in;
    if (p[0] == '+')
        p++;
    else if (p[0] == '0' && p[1] == '0')
        p += 2;
    size_t len = 0;
    for (; p[len]; len++) {
        if (p[len] < '0' || p[len] > '9' || len >= TARIFF_NUMBER_MAX)
            return false;
    }
    if (len == 0)
        return false;
    memcpy(out, p, len);
    out[len] = '\0';
    return true;
}
