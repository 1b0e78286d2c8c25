/*
 * rules: monitoring rules (monitor.rule.*) and their evaluator, a ticker
 * task ("monitor.rules", every monitor_eval_ms) that judges the KPI
 * windows of this instance against the rules and fires, refreshes and
 * resolves alerts (alerts.h), pausing and resuming routes for rules whose
 * action is pause or disable (routing/pauses.h). Also feeds the anomaly
 * baselines (anomaly.h) once an hour. docs/monitoring.md has the whole
 * story.
 */
#ifndef DIDTRON_MONITOR_RULES_H
#define DIDTRON_MONITOR_RULES_H

#include <jansson.h>

#include "config.h"
#include "../rpc/rpc.h"

/* Register the evaluator's ticker task and the webhook.post job handler.
 * Call once before ticker_start and jobs_start (monitor_init does). */
int rules_init(const dt_config *cfg);

/* Listener hook: a monitor_rule.changed event (any instance). */
void rules_observe_changed(json_t *data);

/* monitor.rule.create|get|list|update|delete (registry.c). */
extern const rpc_method monitor_rule_methods[];

/* webhook.c: the webhook.post job handler's registration. */
int webhook_init(const dt_config *cfg);

#endif
