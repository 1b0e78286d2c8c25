/*
 * alerts: the one alert lifecycle, shared by monitoring rules, anomaly
 * detection and SIP OPTIONS probes (docs/monitoring.md).
 *
 *     fired ──ack──▶ acknowledged ──▶ resolved
 *       └───────────────────────────────▲
 *
 * An alert is keyed by (source, rule_id, scope, scope_id). At most one
 * alert per key is open (fired or acknowledged): firing again while one is
 * open only refreshes it (last value, count, last_seen_at) and sends no
 * event, so a condition that holds for an hour pages once. Resolving
 * closes the open one; the next breach fires a new alert.
 *
 * Both calls run inside the caller's transaction (rpc_call c, its db in a
 * transaction begun with rpc_begin): the alert row, its audit row, the
 * alert.fired / alert.resolved event and the notification jobs (email and
 * webhook, through the job queue) commit together or not at all. The
 * ticker's evaluators build a system rpc_call on their own connection the
 * way ledger/cdr_charges.c does.
 */
#ifndef DIDTRON_MONITOR_ALERTS_H
#define DIDTRON_MONITOR_ALERTS_H

#include <jansson.h>

#include "../rpc/rpc.h"

typedef struct {
    const char *source;          /* "rule", "anomaly" or "probe" */
    long long rule_id;           /* monitor_rules.id; 0 for probes */
    const char *scope;           /* "interconnect" | "route" | "destination" | "service" */
    const char *scope_id;        /* the KPI scope id ("12", "12/United Kingdom", ...) */
    long long interconnect_id;   /* the interconnect the scope belongs to, 0 when none */
    const char *severity;        /* "critical" | "warning" | "info" */
    const char *metric;          /* "asr" | "acd" | "ner" | "pdd" | "attempts" | "options" */
    const char *value;           /* observed, as decimal text ("0.2812"); NULL when none */
    const char *threshold;       /* the limit crossed, as text; NULL when none */
    const char *message;         /* one line a person reads in the feed */
    json_t *details;             /* borrowed, may be NULL: window, attempts, baseline, z, ... */
    json_t *notify;              /* borrowed, may be NULL: the rule's notify list */
} alert_spec;

/* Fire an alert for a's key. Returns the new alert's id (> 0) when it
 * fired (alert.fired event, audit row, notification jobs queued), 0 when
 * an alert for the key is already open (refreshed, no event), -1 with c's
 * error set. */
long long alert_fire(rpc_call *c, const alert_spec *a);

/* Resolve the open alert of the key, if any, saying how ("recovered",
 * "rule deleted", ...). Returns 1 when one was resolved (alert.resolved
 * event, audit row), 0 when none was open, -1 with c's error set. */
int alert_resolve(rpc_call *c, const char *source, long long rule_id, const char *scope, const char *scope_id,
                  const char *how);

/* alert.list / alert.get / alert.ack / alert.resolve (registry.c). */
extern const rpc_method alert_methods[];

#endif
