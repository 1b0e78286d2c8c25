/*
 * probes: SIP OPTIONS probes of the egress interconnects
 * (docs/monitoring.md "SIP OPTIONS probes").
 *
 * Two threads share one table of targets under a mutex:
 *   - the probe thread owns one non-blocking UDP socket and sleeps in
 *     poll(): it sends each target's OPTIONS when due, reads answers as
 *     they come (RTT measured on the monotonic clock there, not delayed by
 *     other work), times out probes, counts successes and failures and
 *     decides the state changes. It never touches the database.
 *   - the ticker task "monitor.probes" (every 250 ms) reloads the targets
 *     from the interconnects (every probe_reload_ms, and soon after an
 *     interconnect.changed event) and carries out what the thread decided:
 *     alert_fire / alert_resolve, route_pause_set / route_pause_clear and
 *     the probe.changed event, one transaction per interconnect.
 */
#ifndef DIDTRON_MONITOR_PROBES_H
#define DIDTRON_MONITOR_PROBES_H

#include <jansson.h>

#include "config.h"
#include "../rpc/rpc.h"

/* Open the socket, start the thread, add the ticker task (before
 * ticker_start). Returns 0, or -1 (logged). */
int probes_init(const dt_config *cfg);

/* The listener saw interconnect.changed (any instance): reload soon. */
void probes_observe_interconnect(json_t *data);

/* monitor.probes (registry.c). */
extern const rpc_method probe_methods[];

#endif
