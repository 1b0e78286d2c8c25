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

#include "config.h"
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

#endif
