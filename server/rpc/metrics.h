/*
 * metrics: counters for GET /metrics (Prometheus text format 0.0.4).
 * Lock-free (C11 atomics): called from the service thread and workers.
 */
#ifndef DIDTRON_METRICS_H
#define DIDTRON_METRICS_H

#include <stdint.h>

/* After registry_init(). */
int metrics_init(void);
/* method_index from registry_index(), or -1 for an unknown method;
 * code 0 for success, else the JSON-RPC error code. */
void metrics_request(int method_index, int code, int64_t usec);
void metrics_connection(int delta);     /* open WebSocket connections */
void metrics_http_request(void);
void metrics_pool_size(int n);
void metrics_pool_busy(int delta);
void metrics_pool_queued(int delta);
void metrics_event(void);               /* events fanned out (per instance) */
/* malloc'd text; caller frees. */
char *metrics_render(void);

#endif
