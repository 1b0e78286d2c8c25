/*
 * tariff: the rating rules of docs/rating.md, as pure functions.
 *
 * A tariff is the priced part of one rate row. Nothing here allocates,
 * locks or touches the database, so the same code rates a quote, a CDR
 * on a worker and ten million CDRs in the benchmark. Money is micro-units
 * (common/money.h); durations are whole seconds; instants are
 * microseconds since the Unix epoch.
 */
#ifndef DIDTRON_TARIFF_H
#define DIDTRON_TARIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

/* Longest called number we rate, in digits, after normalisation. */
#define TARIFF_NUMBER_MAX 24

typedef struct {
    money_t rate;                 /* per minute */
    money_t connection_fee;       /* charged on answered calls only */
    int32_t initial_increment;    /* i >= 1 */
    int32_t subsequent_increment; /* n >= 1 */
    int32_t min_duration;         /* m >= 0 */
} tariff;

/* Defaults of a row that names only prefix and rate: i = n = 1, m = 0,
 * fee 0. */
void tariff_defaults(tariff *t, money_t rate);

/* Call duration d in whole seconds: end - answer rounded up; 0 when the
 * call was not answered (answered == false) or end <= answer. */
int64_t tariff_call_duration(bool answered, int64_t answer_usec, int64_t end_usec);

/* Billed duration: 0 when d == 0; otherwise d' = max(d, m) and
 * billed = i when d' <= i, else i + ceil((d' - i) / n) * n. Returns -1 on
 * an invalid tariff (i < 1, n < 1, m < 0), d < 0, or a result beyond
 * int64. */
int64_t tariff_billed_duration(const tariff *t, int64_t d);

/* Cost = (billed > 0 ? connection fee : 0) + rate * billed / 60, the
 * product computed exactly and rounded once by `r`. False (*out
 * untouched) on overflow or negative billed. */
bool tariff_cost(const tariff *t, int64_t billed, money_rounding r, money_t *out);

/* Normalise a called number: strip one leading '+' or "00", then require
 * 1..TARIFF_NUMBER_MAX digits. Writes the digits NUL-terminated into out
 * (n >= TARIFF_NUMBER_MAX + 1). Returns false (out untouched) when the
 * number is empty, too long or has a non-digit. */
bool tariff_normalise_number(const char *in, char *out, size_t n);

#endif
