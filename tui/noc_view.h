/*
 * noc_view: the NOC dashboard (docs/console.md): suppliers (egress
 * interconnects) with their KPIs and a sparkline of ASR per 10 s bucket,
 * the open alerts, the active route pauses, a drill-down into one
 * supplier's routes and a destinations view. Live from events only: the
 * monitor.kpi subscription (1 Hz deltas), alert.*, route.paused/resumed
 * and probe.changed; the tables are rebuilt at most once a second.
 */
#ifndef DIDTRON_TUI_NOC_VIEW_H
#define DIDTRON_TUI_NOC_VIEW_H

#include <stdbool.h>

#include "screen.h"

#define TAB_ID_NOC (-(6000000000000LL))

/* wall: the wall screen (--wall): read-only, a blank line between rows
 * when the height allows. */
screen *noc_view_new(bool wall);

/* The sparkline of values (0..1, or NaN for "no attempts"), newest last,
 * in at most width columns (the newest that fit): Unicode blocks when
 * utf8, else ASCII. Returns buf. (Exposed for the benchmark.) */
const char *noc_spark(const double *v, int n, int width, bool utf8, char *buf, size_t len);

/* Build the supplier table rows from kpi items (scope_id -> item) as the
 * dashboard does, for the benchmark: s must be a noc_view_new screen. */
void noc_view_set_items(screen *s, json_t *items);

#endif
