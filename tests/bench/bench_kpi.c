/*
 * bench_kpi: the KPI windows of issue 8 in process, on one core.
 *
 *   events    CDR events into windows: each event is one CDR fed into its
 *             four scopes (egress interconnect of 200, route of 200 x 50,
 *             destination of 50, service of 2,000), as the server's sink
 *             does; reported per CDR and per scope update
 *   snapshot  a snapshot of 10,000 scopes (routes) for one window, sorted
 *             worst ASR first as monitor.kpi does
 *
 * Usage: bench_kpi [cdrs]   (default 2,000,000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kpi.h"

#define SEC 1000000LL

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int worst_first(const void *pa, const void *pb)
{
    double a = kpi_asr(&((const kpi_item *)pa)->c), b = kpi_asr(&((const kpi_item *)pb)->c);
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    kpi_table *k = kpi_new(NULL);
    if (!k)
        return 1;
    /* Ids made up front, as the sink formats them per CDR (formatting
     * included below). */
    uint64_t x = 88172645463325252ull;
    int64_t t0 = 1795001400LL * SEC;
    double start = now_s();
    for (long i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;  /* xorshift */
        int ic = (int)(x % 200), dest = (int)((x >> 8) % 50), svc = (int)((x >> 16) % 2000);
        int64_t t = t0 + i * (3600 * SEC / n);  /* an hour of traffic, in order */
        kpi_event e = { .time_usec = t - (int64_t)((x >> 24) % 20) * SEC, .answered = (x >> 32) % 10 < 6,
                        .release_cause = (x >> 36) % 2 ? 16 : 503, .seconds = (int64_t)((x >> 40) % 300),
                        .pdd_ms = (int32_t)((x >> 48) % 6000) };
        char id[KPI_ID_MAX + 1];
        snprintf(id, sizeof id, "%d", ic + 1);
        kpi_add(k, KPI_INTERCONNECT, id, &e, t);
        snprintf(id, sizeof id, "%d/Destination %d", ic + 1, dest);
        kpi_add(k, KPI_ROUTE, id, &e, t);
        snprintf(id, sizeof id, "Destination %d", dest);
        kpi_add(k, KPI_DESTINATION, id, &e, t);
        snprintf(id, sizeof id, "%d", svc + 1);
        kpi_add(k, KPI_SERVICE, id, &e, t);
    }
    double el = now_s() - start;
    printf("events: %ld CDRs in %.3f s: %.0f CDRs/s, %.0f scope updates/s (%zu routes, %zu services)\n", n, el,
           n / el, 4 * n / el, kpi_scope_count(k, KPI_ROUTE), kpi_scope_count(k, KPI_SERVICE));

    /* 10,000 routes: make sure each has traffic in the last 5 minutes. */
    int64_t now = t0 + 3600 * SEC;
    for (int r = 0; r < 10000; r++) {
        char id[KPI_ID_MAX + 1];
        snprintf(id, sizeof id, "%d/Destination %d", r / 50 + 1, r % 50);
        kpi_event e = { .time_usec = now - SEC, .answered = r % 3 != 0, .release_cause = 16, .seconds = 60,
                        .pdd_ms = 1500 };
        kpi_add(k, KPI_ROUTE, id, &e, now);
    }
    int runs = 50;
    double best = 1e9, sum = 0;
    size_t got = 0;
    for (int i = 0; i < runs; i++) {
        kpi_item *v;
        double s = now_s();
        got = kpi_snapshot(k, KPI_ROUTE, i % 2 ? KPI_5M : KPI_1H, now + i * SEC, &v);
        qsort(v, got, sizeof *v, worst_first);
        double d = now_s() - s;
        free(v);
        sum += d;
        if (d < best)
            best = d;
    }
    printf("snapshot: %zu scopes: best %.2f ms, mean %.2f ms over %d runs (5m and 1h alternately, sorted)\n", got,
           best * 1e3, sum / runs * 1e3, runs);
    kpi_free(k);
    return 0;
}
