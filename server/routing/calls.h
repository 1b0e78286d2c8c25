/*
 * calls: live call counts of this instance, from call.start / call.stop
 * (docs/gates.md), behind route_over_capacity() (gates.h); and the
 * switch allow-list of the HTTP routes switches use.
 *
 * Counts are per instance: a switch sends start and stop of a call to the
 * instance that routed it. Calls whose stop never comes are dropped after
 * call_max_seconds by a ticker task.
 */
#ifndef DIDTRON_ROUTING_CALLS_H
#define DIDTRON_ROUTING_CALLS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "gates.h"

/* Call attempts in the last second, in 100 ms slots: a sliding window
 * accurate to one slot. Writers are serialised by the caller; readers
 * need no lock. */
#define CPS_SLOTS 10
#define CPS_SLOT_MS 100

typedef struct {
    atomic_llong tick[CPS_SLOTS];   /* the slot's 100 ms tick (now_ms / 100) */
    atomic_int count[CPS_SLOTS];
} cps_window;

/* One more attempt at now_ms (monotonic milliseconds). Writers only. */
void cps_window_add(cps_window *w, int64_t now_ms);
/* Attempts in the second ending at now_ms (the current slot and the nine
 * before it). Any thread. */
int cps_window_count(const cps_window *w, int64_t now_ms);

/* Is ip (IPv4 or IPv6 text, "::ffff:a.b.c.d" taken as IPv4) in the
 * comma-separated list of addresses and CIDRs? Blanks around entries are
 * ignored; a malformed entry matches nothing. NULL or "" list: false. */
bool route_allow_ip(const char *list, const char *ip);
/* Is every entry of the list an address or a CIDR? ("" is valid.) */
bool route_allow_list_valid(const char *list);

/* route_over_capacity() (gates.c): atomics only. */
bool calls_over_capacity(long long interconnect_id, int capacity, int cps, char reason[ROUTE_REASON_MAX]);

/* Like route_over_capacity() for a service (services.capacity: concurrent
 * calls; capacity < 0 unrestricted). */
bool route_service_over_capacity(long long service_id, int capacity, char reason[ROUTE_REASON_MAX]);

/* Register the sweep task and read call_max_seconds (before ticker_start). */
/* Calls in progress on this instance for an interconnect (service false)
 * or a service (true): 0 when none or unknown. Lock-free. */
int calls_concurrent(long long id, bool service);

int calls_init(const dt_config *cfg);

/* Start-up of every gate (gates.c): pauses_init and calls_init; a bad
 * route_allow_ips is an error (logged). Before ticker_start. */
int gates_init(const dt_config *cfg);

#endif
