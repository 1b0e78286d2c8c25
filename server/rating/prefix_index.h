/*
 * prefix_index: the in-memory rate deck of one rating plan.
 *
 * Built once from the plan's rows (off the service thread), then read by
 * any number of threads without locks; a changed deck builds a new index
 * and the owner swaps the pointer (see rating/plans.c). Lookup is the
 * longest prefix of the called number among the rows effective at the
 * call's start and matching its active time classes.
 */
#ifndef DIDTRON_PREFIX_INDEX_H
#define DIDTRON_PREFIX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tariff.h"

#define RATE_OPEN_END INT64_MAX

/* One rate row as handed to the builder. Strings are copied. */
typedef struct {
    const char *prefix;        /* 1..TARIFF_NUMBER_MAX digits */
    const char *destination;   /* name, may be "" */
    tariff t;
    int64_t effective_from;    /* usec, inclusive */
    int64_t effective_to;      /* usec, exclusive; RATE_OPEN_END when open */
    uint8_t time_class;        /* 0 = any time, else class id 1..31 */
    uint8_t min_length;        /* 0 = no limit; number length limits */
    uint8_t max_length;
    bool blocked;              /* "forbidden": rates nothing */
    int64_t row_id;            /* the database id, reported back */
} rate_row;

/* What a lookup found; pointers stay valid while the index lives. */
typedef struct {
    const char *destination;
    tariff t;
    int64_t effective_from, effective_to;
    int64_t row_id;
    uint8_t prefix_len;        /* digits of the matched prefix */
    uint8_t time_class;
    uint8_t min_length, max_length;
    bool blocked;
} rate_match;

typedef struct prefix_index prefix_index;

/* Build from n rows (any order). NULL on allocation failure, an invalid
 * prefix or a time_class above 31 (the caller validated rows already).
 * Length limits are reported in rate_match, not applied by the lookup. */
prefix_index *prefix_index_build(const rate_row *rows, size_t n);

/* Longest-prefix match of `digits` (normalised) among rows with
 * effective_from <= at < effective_to and (time_class == 0 or bit
 * time_class set in active_classes). At one prefix, a row with a matching
 * time class wins over a class-0 row, then the latest effective_from.
 * Fills *m and returns true, or returns false when nothing matches. */
bool prefix_index_lookup(const prefix_index *ix, const char *digits,
                         int64_t at_usec, uint32_t active_classes, rate_match *m);

size_t prefix_index_rows(const prefix_index *ix);
/* Bytes held by the index (for /metrics and the benchmark). */
size_t prefix_index_memory(const prefix_index *ix);

void prefix_index_free(prefix_index *ix);

#endif
