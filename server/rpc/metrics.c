#include "metrics.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "strbuf.h"
#include "registry.h"
#include "timeutil.h"
#include "../monitor/monitor.h"

/* Outcomes we count per method: "ok" and each error code of the contract. */
static const int outcome_codes[] = {
    0, RPC_PARSE_ERROR, RPC_INVALID_REQUEST, RPC_METHOD_NOT_FOUND, RPC_INVALID_PARAMS,
    RPC_INTERNAL_ERROR, RPC_NOT_AUTHENTICATED, RPC_FORBIDDEN, RPC_NOT_FOUND,
    RPC_CONFLICT, RPC_CREDIT_LIMIT, RPC_RATE_LIMITED,
};
#define NOUT ((int)(sizeof outcome_codes / sizeof outcome_codes[0]))

/* Latency buckets in microseconds (le, in seconds on the wire). */
static const int64_t bucket_usec[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000,
};
#define NBUCKET ((int)(sizeof bucket_usec / sizeof bucket_usec[0]))

static atomic_ulong *requests; /* [(nmethods + 1) * NOUT]; last row = unknown */
static int nmethods;
static atomic_ulong buckets[NBUCKET + 1];
static atomic_ulong latency_sum_usec, latency_count;
static atomic_long connections, pool_size, pool_busy, pool_queued;
static atomic_ulong connections_total, http_requests, events_total;

int metrics_init(void)
{
    nmethods = registry_count();
    requests = calloc((size_t)(nmethods + 1) * NOUT, sizeof *requests);
    return requests ? 0 : -1;
}

static int outcome_index(int code)
{
    for (int i = 0; i < NOUT; i++)
        if (outcome_codes[i] == code)
            return i;
    return 5; /* anything else counts as internal */
}

void metrics_request(int method_index, int code, int64_t usec)
{
    if (!requests)
        return;
    int row = method_index >= 0 && method_index < nmethods ? method_index : nmethods;
    atomic_fetch_add(&requests[row * NOUT + outcome_index(code)], 1);
    int b = 0;
    while (b < NBUCKET && usec > bucket_usec[b])
        b++;
    atomic_fetch_add(&buckets[b], 1);
    atomic_fetch_add(&latency_sum_usec, (unsigned long)(usec < 0 ? 0 : usec));
    atomic_fetch_add(&latency_count, 1);
}

void metrics_connection(int delta)
{
    atomic_fetch_add(&connections, delta);
    if (delta > 0)
        atomic_fetch_add(&connections_total, 1);
}

void metrics_http_request(void) { atomic_fetch_add(&http_requests, 1); }
void metrics_pool_size(int n) { atomic_store(&pool_size, n); }
void metrics_pool_busy(int delta) { atomic_fetch_add(&pool_busy, delta); }
void metrics_pool_queued(int delta) { atomic_fetch_add(&pool_queued, delta); }
void metrics_event(void) { atomic_fetch_add(&events_total, 1); }

/* ---- KPI gauges: per egress interconnect, this instance's windows ---- */

#define KPI_GAUGE_MAX 200   /* interconnects with the most attempts */

static const kpi_window gauge_windows[] = { KPI_5M, KPI_1H };

static int most_attempts(const void *pa, const void *pb)
{
    const kpi_item *a = pa, *b = pb;
    if (a->c.attempts != b->c.attempts)
        return a->c.attempts > b->c.attempts ? -1 : 1;
    return strcmp(a->scope_id, b->scope_id);
}

/* A label value as Prometheus reads it: \, " and newline escaped. */
static void sb_label(strbuf *s, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            sb_printf(s, "\\\\");
        else if (*v == '"')
            sb_printf(s, "\\\"");
        else if (*v == '\n')
            sb_printf(s, "\\n");
        else
            sb_printf(s, "%c", *v);
    }
}

static void render_kpis(strbuf *s)
{
    static const struct {
        const char *name, *help;
    } gauges[] = {
        { "didtron_kpi_asr", "Answer-seizure ratio (0..1) per egress interconnect over the window." },
        { "didtron_kpi_acd_seconds", "Average call duration of answered calls per egress interconnect." },
        { "didtron_kpi_ner", "Network effectiveness ratio (0..1) per egress interconnect." },
        { "didtron_kpi_pdd_ms", "Average post-dial delay per egress interconnect (only when known)." },
        { "didtron_kpi_attempts", "Call attempts per egress interconnect over the window." },
    };
    kpi_table *k = monitor_kpi_table();
    if (!k)
        return;
    int64_t now = time_now_usec();
    kpi_item *v[2] = { NULL, NULL };
    size_t n[2] = { 0, 0 };
    for (int w = 0; w < 2; w++) {
        n[w] = kpi_snapshot(k, KPI_INTERCONNECT, gauge_windows[w], now, &v[w]);
        if (n[w] == (size_t)-1)
            n[w] = 0, v[w] = NULL;
        if (n[w] > 1)
            qsort(v[w], n[w], sizeof *v[w], most_attempts);
        if (n[w] > KPI_GAUGE_MAX)
            n[w] = KPI_GAUGE_MAX;
    }
    for (int g = 0; g < 5; g++) {
        sb_printf(s, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name, gauges[g].help, gauges[g].name);
        for (int w = 0; w < 2; w++)
            for (size_t i = 0; i < n[w]; i++) {
                const kpi_counts *c = &v[w][i].c;
                if (g == 3 && !c->pdd_n)
                    continue;
                sb_printf(s, "%s{interconnect=\"", gauges[g].name);
                sb_label(s, v[w][i].scope_id);
                sb_printf(s, "\",window=\"%s\"} ", kpi_window_names[gauge_windows[w]]);
                switch (g) {
                case 0: sb_printf(s, "%.4f\n", kpi_asr(c)); break;
                case 1: sb_printf(s, "%.1f\n", kpi_acd(c)); break;
                case 2: sb_printf(s, "%.4f\n", kpi_ner(c)); break;
                case 3: sb_printf(s, "%.0f\n", kpi_pdd_avg(c)); break;
                default: sb_printf(s, "%llu\n", (unsigned long long)c->attempts); break;
                }
            }
    }
    free(v[0]);
    free(v[1]);
}

char *metrics_render(void)
{
    strbuf s = { 0 };
    sb_printf(&s, "# HELP didtron_connections Open WebSocket connections.\n# TYPE didtron_connections gauge\n");
    sb_printf(&s, "didtron_connections %ld\n", atomic_load(&connections));
    sb_printf(&s, "# HELP didtron_connections_total WebSocket connections accepted.\n# TYPE didtron_connections_total counter\n");
    sb_printf(&s, "didtron_connections_total %lu\n", atomic_load(&connections_total));
    sb_printf(&s, "# HELP didtron_http_requests_total HTTP requests served.\n# TYPE didtron_http_requests_total counter\n");
    sb_printf(&s, "didtron_http_requests_total %lu\n", atomic_load(&http_requests));
    sb_printf(&s, "# HELP didtron_events_total Events received for fan-out.\n# TYPE didtron_events_total counter\n");
    sb_printf(&s, "didtron_events_total %lu\n", atomic_load(&events_total));
    sb_printf(&s, "# HELP didtron_rpc_requests_total JSON-RPC requests by method and outcome.\n# TYPE didtron_rpc_requests_total counter\n");
    for (int m = 0; m <= nmethods; m++) {
        const char *name = m < nmethods ? registry_at(m)->name : "unknown";
        for (int o = 0; o < NOUT; o++) {
            unsigned long v = atomic_load(&requests[m * NOUT + o]);
            if (!v)
                continue;
            char outcome[16];
            if (outcome_codes[o] == 0)
                snprintf(outcome, sizeof outcome, "ok");
            else
                snprintf(outcome, sizeof outcome, "%d", outcome_codes[o]);
            sb_printf(&s, "didtron_rpc_requests_total{method=\"%s\",outcome=\"%s\"} %lu\n", name, outcome, v);
        }
    }
    sb_printf(&s, "# HELP didtron_rpc_duration_seconds JSON-RPC request latency.\n# TYPE didtron_rpc_duration_seconds histogram\n");
    unsigned long cum = 0;
    for (int b = 0; b < NBUCKET; b++) {
        cum += atomic_load(&buckets[b]);
        sb_printf(&s, "didtron_rpc_duration_seconds_bucket{le=\"%lld.%06lld\"} %lu\n",
            (long long)(bucket_usec[b] / 1000000), (long long)(bucket_usec[b] % 1000000), cum);
    }
    cum += atomic_load(&buckets[NBUCKET]);
    sb_printf(&s, "didtron_rpc_duration_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    unsigned long sum = atomic_load(&latency_sum_usec);
    sb_printf(&s, "didtron_rpc_duration_seconds_sum %lu.%06lu\n", sum / 1000000, sum % 1000000);
    sb_printf(&s, "didtron_rpc_duration_seconds_count %lu\n", atomic_load(&latency_count));
    sb_printf(&s, "# HELP didtron_db_pool_size Worker database connections.\n# TYPE didtron_db_pool_size gauge\n");
    sb_printf(&s, "didtron_db_pool_size %ld\n", atomic_load(&pool_size));
    sb_printf(&s, "# HELP didtron_db_pool_busy Worker connections running a request.\n# TYPE didtron_db_pool_busy gauge\n");
    sb_printf(&s, "didtron_db_pool_busy %ld\n", atomic_load(&pool_busy));
    sb_printf(&s, "# HELP didtron_db_pool_queued Requests waiting for a worker.\n# TYPE didtron_db_pool_queued gauge\n");
    sb_printf(&s, "didtron_db_pool_queued %ld\n", atomic_load(&pool_queued));
    render_kpis(&s);
    if (s.oom) {
        free(s.buf);
        return NULL;
    }
    return s.buf;
}
