/*
 * route_table: the pure core of routing (no database, no network) — the
 * in-memory index of one routing plan's entries and the ordering of
 * candidate suppliers by the plan's mode. Unit-tested (tests/unit/
 * test_route_table.c) and benchmarked (tests/bench/bench_route.c) alone.
 *
 * A table is built once from the plan's entries (on a worker, see
 * route_index.h), then read by any number of threads without locks. The
 * prefix search reuses rating's sorted prefix array (prefix_index.h): each
 * entry is one "rate row" whose row_id is the entry's ordinal, so the
 * longest-prefix match costs what a rate lookup costs.
 */
#ifndef DIDTRON_ROUTE_TABLE_H
#define DIDTRON_ROUTE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"

typedef enum { ROUTE_MODE_LCR, ROUTE_MODE_PRIORITY, ROUTE_MODE_WEIGHT, ROUTE_MODE_QUALITY } route_mode;

/* "lcr" -> ROUTE_MODE_LCR ...; false when unknown. */
bool route_mode_parse(const char *name, route_mode *out);
const char *route_mode_name(route_mode m);

/* One route of an entry, as configured. Higher priority is tried first
 * (as services' priority); weight only matters in weight mode. A route
 * names an egress interconnect (interconnect_id > 0) or a trunk group,
 * stored as the negated group id (interconnect_id < 0) so a route stays
 * 16 bytes; use route_target_group() rather than the sign. The lookup
 * expands a group to its live egress interconnects (docs/routing.md). */
typedef struct {
    long long interconnect_id;
    int32_t priority;
    int32_t weight;
} route_target;

/* The trunk group a route names, 0 when it names an interconnect. */
static inline long long route_target_group(const route_target *t)
{
    return t->interconnect_id < 0 ? -t->interconnect_id : 0;
}
/* A route naming trunk group `group` (> 0). */
static inline route_target route_target_for_group(long long group, int32_t priority, int32_t weight)
{
    return (route_target){ -group, priority, weight };
}

typedef struct route_table route_table;

/* An entry's quality floor: a supplier whose live ASR or ACD is below it
 * is dropped while it stays below (route.lookup judges it with the KPI
 * windows). 0 = no floor. ASR in basis points (3000 = 0.30), ACD in
 * seconds. */
typedef struct {
    uint16_t min_asr_bp;
    uint16_t min_acd_s;
} route_limits;

/* Builder: add entries in any order, then finish. A prefix added twice
 * keeps the first (the database has one row per plan and prefix). Strings
 * and arrays are copied. */
typedef struct route_builder route_builder;
route_builder *route_builder_new(size_t expected_entries);
/* false on allocation failure or an invalid prefix (1..24 digits). */
bool route_builder_add(route_builder *b, const char *prefix, const route_target *routes, size_t n);
/* The same with the entry's quality floor. */
bool route_builder_add_limited(route_builder *b, const char *prefix, const route_target *routes, size_t n,
                               route_limits limits);
/* The table (the builder is consumed, also on failure: NULL). */
route_table *route_builder_finish(route_builder *b);
void route_builder_free(route_builder *b);

/* Longest prefix of `digits` (normalised, 1..24 digits) among the entries:
 * its routes (valid while the table lives) and their count, and the
 * matched prefix length in *prefix_len. NULL when no entry matches. */
const route_target *route_table_lookup(const route_table *t, const char *digits, size_t *n, int *prefix_len);
/* The same, also giving the matched entry's quality floor (zeros when no
 * entry matches). */
const route_target *route_table_match(const route_table *t, const char *digits, size_t *n, int *prefix_len,
                                      route_limits *limits);
size_t route_table_entries(const route_table *t);
size_t route_table_routes(const route_table *t);
size_t route_table_memory(const route_table *t);
void route_table_free(route_table *t);

/* A candidate that survived every check, to be ordered. */
typedef struct {
    long long interconnect_id;
    money_t rate;           /* the supplier's rate per minute */
    int32_t priority;
    int32_t weight;
    int32_t score;          /* quality mode: 0..100, higher is better */
    size_t ref;             /* the caller's own index, carried along */
} route_candidate;

/* The quality score of a supplier (0..100 in steps of 5, higher is
 * better) from its live figures: 100 x (0.5 ASR + 0.3 min(ACD / 180 s, 1)
 * + 0.2 (1 - min(PDD / 8,000 ms, 1))), PDD counting 0.5 when unknown,
 * rounded to the nearest 5 so that near-equal suppliers tie and cost
 * decides between them. */
int32_t route_quality_score(double asr, double acd_s, double pdd_ms, bool pdd_known);
/* The score of a supplier without enough calls to judge: average, so a
 * new supplier still gets traffic and so gets measured. */
#define ROUTE_QUALITY_UNKNOWN 50

/* Order candidates in place by mode:
 *   lcr: cheapest rate first; rates within lcr_delta of the
 *       cheapest not yet placed form one band, ordered by priority
 *       (higher first), then rate, then interconnect id. lcr_delta 0:
 *       only equal rates tie.
 *   quality: higher score first; equal scores by rate (cheapest first),
 *       then priority, then interconnect id.
 *   priority: higher priority first, then interconnect id.
 *   weight: weighted random order without replacement (a candidate is
 *       drawn with probability weight / sum of the remaining weights);
 *       weight 0 candidates come last by priority. The draw is a
 *       function of seed alone: the same seed gives the same order.
 * Never allocates; n up to any size. */
void route_order(route_candidate *v, size_t n, route_mode mode, money_t lcr_delta, uint64_t seed);

#endif
