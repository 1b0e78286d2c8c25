/*
 * monitor: live call quality (docs/monitoring.md).
 *
 * monitor_init registers a CDR sink (rating/cdrs.h) that feeds every
 * stored CDR into the KPI windows (kpi.h) of its egress interconnect, its
 * route (egress interconnect + destination), its destination and its
 * customer service, and a ticker task that, once after start, rebuilds the
 * windows from the last 24 hours of stored CDRs received before this
 * process started. monitor.kpi (monitor_methods) reads them.
 */
#ifndef DIDTRON_MONITOR_H
#define DIDTRON_MONITOR_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"
#include "../rpc/rpc.h"
#include "kpi.h"
#include "../rating/cdrs.h"

/* Call once in serve, before the server takes requests and before
 * ticker_start. Returns 0, or -1 (no memory, sink or ticker table full). */
int monitor_init(const dt_config *cfg);

/* The process's KPI tables (NULL before monitor_init). */
kpi_table *monitor_kpi_table(void);

/* Feed one stored CDR into its four scopes as of now (usec). The sink
 * and the rebuild both use it. */
void monitor_feed(kpi_table *k, const cdr_rated *r, int64_t now);

/* What a monitor.kpi call or a monitor.kpi subscription asks for. ids
 * (borrowed; NULL: every scope) holds scope id strings and integer ids;
 * in scope route an integer is an interconnect: all its routes. */
#define MONITOR_KPI_SUB_LIMIT 500
typedef struct {
    int scope;          /* kpi_scope */
    int window;         /* kpi_window */
    long long limit;
    bool spark;
    json_t *ids;
} monitor_kpi_filter;

/* The items of monitor.kpi for a filter as of now (usec): worst first (ASR
 * ascending, then attempts descending, then id), at most f->limit, each
 * with spark when f->spark. A new array, or NULL when out of memory. */
json_t *monitor_kpi_items(const monitor_kpi_filter *f, int64_t now);

/* Read the `kpi` member of subscribe (NULL or null: the defaults,
 * interconnect / 5m / limit 50). f->ids borrows from o. 0, or -1 with the
 * offending field ("kpi.ids[2]") and a message. */
int monitor_kpi_filter_parse(json_t *o, monitor_kpi_filter *f, char *field, size_t fieldlen, char *msg,
                             size_t msglen);
extern const rpc_field monitor_kpi_sub_fields[];

#endif
