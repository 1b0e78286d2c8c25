/*
 * bench_util: see bench_util.h.
 */
#include "bench_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long long bench_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

long long bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int bench_cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

const char *bench_latency(char *buf, size_t size, long long *lat, int n)
{
    qsort(lat, (size_t)n, sizeof *lat, bench_cmp_ll);
    snprintf(buf, size, "requests=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld", n, lat[n / 2],
             lat[(int)(n * 0.90)], lat[(int)(n * 0.99)], lat[n - 1]);
    return buf;
}

const char *bench_frame_times(char *buf, size_t size, long long *ns, int n)
{
    qsort(ns, (size_t)n, sizeof *ns, bench_cmp_ll);
    snprintf(buf, size, "frames=%d p50_us=%.1f p99_us=%.1f max_us=%.1f", n, ns[n / 2] / 1000.0,
             ns[(int)(n * 0.99)] / 1000.0, ns[n - 1] / 1000.0);
    return buf;
}

bool bench_opt(const char *name, const char *value, int *port, const char **user, const char **pass, int *requests)
{
    if (!strcmp(name, "--port"))
        *port = atoi(value);
    else if (!strcmp(name, "--user"))
        *user = value;
    else if (!strcmp(name, "--password"))
        *pass = value;
    else if (!strcmp(name, "--requests"))
        *requests = atoi(value);
    else
        return false;
    return true;
}

wsc *bench_session(int port, const char *user, const char *pass)
{
    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", 5000);
    if (!c) {
        fprintf(stderr, "connect: %s\n", wsc_last_error());
        exit(1);
    }
    json_t *r = wsc_call(c, "auth.login", json_pack("{s:s, s:s}", "username", user, "password", pass), 10000);
    if (wsc_error_code(r)) {
        fprintf(stderr, "login as %s failed\n", user);
        exit(1);
    }
    json_decref(r);
    return c;
}
