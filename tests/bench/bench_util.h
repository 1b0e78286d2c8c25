/*
 * bench_util: what the benchmark programs share — a monotonic clock,
 * latency percentiles, and a logged-in WebSocket session.
 */
#ifndef DIDTRON_TESTS_BENCH_UTIL_H
#define DIDTRON_TESTS_BENCH_UTIL_H

#include <stdbool.h>
#include <stddef.h>

#include "wsclient.h"

/* CLOCK_MONOTONIC in microseconds / nanoseconds. */
long long bench_now_us(void);
long long bench_now_ns(void);

/* qsort comparator for long long. */
int bench_cmp_ll(const void *a, const void *b);

/* Sorts lat[0..n) (n > 0, microseconds) and writes
 * "requests=N p50_us=.. p90_us=.. p99_us=.. max_us=.." into buf. */
const char *bench_latency(char *buf, size_t size, long long *lat, int n);

/* Sorts ns[0..n) (n > 0, frame times in nanoseconds) and writes
 * "frames=N p50_us=.. p99_us=.. max_us=.." (one decimal) into buf. */
const char *bench_frame_times(char *buf, size_t size, long long *ns, int n);

/* The options the latency benchmarks share: --port, --user, --password and
 * --requests, read into the given variables. False when name is none of
 * them (the caller's own option). */
bool bench_opt(const char *name, const char *value, int *port, const char **user, const char **pass, int *requests);

/* ws://127.0.0.1:port/ws (didtron.v1) logged in as user; exits 1 with a
 * message when the connection or the login fails. */
wsc *bench_session(int port, const char *user, const char *pass);

#endif
