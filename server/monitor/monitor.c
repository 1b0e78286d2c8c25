/*
 * monitor.c: the CDR sink into the KPI windows, their rebuild at start,
 * and monitor.kpi.
 *
 * Scope ids (strings, docs/monitoring.md):
 *   interconnect  the egress interconnect id, "12"
 *   route         egress id and destination, "12/United Kingdom"
 *   destination   the customer's rated destination, "United Kingdom"
 *   service       the customer's service id, "7"
 * The destination is the customer side's destination name, else its
 * prefix, else the supplier side's destination; a CDR without any counts
 * for no route and no destination. A CDR without an egress counts for no
 * interconnect and no route; one without a service for no service.
 *
 * The sink runs inside the ingest transaction and is registered after the
 * ledger's, so it runs last; a batch that still fails to commit after it
 * has been counted (rare: a commit error) stays counted. Each instance
 * counts the CDRs it ingests; the rebuild reads every instance's.
 */
#include "monitor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timeutil.h"
#include "../routing/calls.h"
#include "probes.h"
#include "rules.h"
#include "../system/ticker.h"

#define REBUILD_TASK "monitor.rebuild"
#define REBUILD_ROWS "20000"     /* CDRs per ticker run */

static kpi_table *kpis;

kpi_table *monitor_kpi_table(void)
{
    return kpis;
}

/* ---- feeding ---- */

static void feed(kpi_table *k, const kpi_event *e, long long egress, long long service, const char *dest,
                 int64_t now)
{
    char id[KPI_ID_MAX + 1];
    if (egress > 0) {
        snprintf(id, sizeof id, "%lld", egress);
        kpi_add(k, KPI_INTERCONNECT, id, e, now);
        if (dest[0]) {
            snprintf(id, sizeof id, "%lld/%s", egress, dest);
            kpi_add(k, KPI_ROUTE, id, e, now);
        }
    }
    if (dest[0]) {
        snprintf(id, sizeof id, "%s", dest);
        kpi_add(k, KPI_DESTINATION, id, e, now);
    }
    if (service > 0) {
        snprintf(id, sizeof id, "%lld", service);
        kpi_add(k, KPI_SERVICE, id, e, now);
    }
}

void monitor_feed(kpi_table *k, const cdr_rated *r, int64_t now)
{
    const kpi_event e = {
        .time_usec = r->cdr.end_time,
        .answered = r->cdr.answered,
        .release_cause = r->cdr.release_cause,
        .seconds = r->duration,
        .pdd_ms = r->cdr.pdd_ms,
    };
    const char *dest = r->customer.destination[0] ? r->customer.destination
                       : r->customer.prefix[0]    ? r->customer.prefix
                                                  : r->supplier.destination;
    feed(k, &e, (long long)r->cdr.egress_interconnect_id, r->service_id, dest, now);
}

static int cdr_sink(void *ud, rpc_call *c, const cdr_rated *cdrs, size_t n)
{
    (void)ud, (void)c;
    int64_t now = time_now_usec();
    for (size_t i = 0; i < n; i++)
        monitor_feed(kpis, &cdrs[i], now);
    return 0;
}

/* ---- the rebuild: CDRs received before this process started, in pages
 * of REBUILD_ROWS by (start_time, seq), one page per ticker run ---- */

static char started_at[40];         /* our start, RFC 3339 */
static char after_time[64];         /* keyset: the last row read */
static char after_seq[24] = "0";
static bool rebuilt;
static long long rebuilt_cdrs;

static int rebuild(void *ud, PGconn *db)
{
    (void)ud;
    if (rebuilt)
        return 0;
    /* Calls up to 2 hours long that ended in the last 24 hours. */
    const char *params[3] = { after_time, after_seq, started_at };
    PGresult *r = PQexecParams(db,
        "SELECT start_time::text, seq, (extract(epoch FROM end_time) * 1000000)::bigint, answered, duration,"
        " release_cause, coalesce(pdd_ms, -1), coalesce(egress_interconnect_id, 0), coalesce(service_id, 0),"
        " coalesce(nullif(customer_destination, ''), nullif(customer_prefix, ''), supplier_destination, '')"
        " FROM cdrs"
        " WHERE (start_time, seq) > ($1::timestamptz, $2::bigint)"
        "   AND start_time < $3::timestamptz AND received_at < $3::timestamptz"
        "   AND end_time >= $3::timestamptz - interval '24 hours'"
        " ORDER BY start_time, seq LIMIT " REBUILD_ROWS,
        3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("monitor: rebuilding the KPI windows: %s", PQerrorMessage(db));
        PQclear(r);
        return -1;
    }
    int rows = PQntuples(r);
    int64_t now = time_now_usec();
    for (int i = 0; i < rows; i++) {
        kpi_event e = {
            .time_usec = atoll(PQgetvalue(r, i, 2)),
            .answered = PQgetvalue(r, i, 3)[0] == 't',
            .seconds = atoll(PQgetvalue(r, i, 4)),
            .release_cause = atoi(PQgetvalue(r, i, 5)),
            .pdd_ms = atoi(PQgetvalue(r, i, 6)),
        };
        feed(kpis, &e, atoll(PQgetvalue(r, i, 7)), atoll(PQgetvalue(r, i, 8)), PQgetvalue(r, i, 9), now);
    }
    if (rows) {
        snprintf(after_time, sizeof after_time, "%s", PQgetvalue(r, rows - 1, 0));
        snprintf(after_seq, sizeof after_seq, "%s", PQgetvalue(r, rows - 1, 1));
    }
    rebuilt_cdrs += rows;
    if (rows < atoi(REBUILD_ROWS)) {
        rebuilt = true;
        log_info("monitor: KPI windows rebuilt from %lld stored CDRs", rebuilt_cdrs);
    }
    PQclear(r);
    return 0;
}

int monitor_init(const dt_config *cfg)
{
    (void)cfg;
    if (kpis)
        return 0;
    kpis = kpi_new(NULL);
    if (!kpis)
        return -1;
    int64_t now = time_now_usec();
    time_format_rfc3339(now, started_at, sizeof started_at);
    time_format_rfc3339(now - 26LL * 3600 * 1000000, after_time, sizeof after_time);
    if (cdr_sink_register(cdr_sink, NULL) || ticker_add(REBUILD_TASK, 200, rebuild, NULL))
        return -1;
    if (probes_init(cfg)) /* SIP OPTIONS probes (probes.c): one init call */
        return -1;
    if (rules_init(cfg)) /* rules, alerts, anomaly baselines (rules.c): one init call */
        return -1;
    return 0;
}

/* ---- monitor.kpi ---- */

static int worst_first(const void *pa, const void *pb)
{
    const kpi_item *a = pa, *b = pb;
    double l = kpi_asr(&a->c), r = kpi_asr(&b->c);
    if (l != r)
        return l < r ? -1 : 1;
    if (a->c.attempts != b->c.attempts)
        return a->c.attempts > b->c.attempts ? -1 : 1;
    return strcmp(a->scope_id, b->scope_id);
}

static double round_to(double x, double unit)
{
    return (double)(long long)(x / unit + 0.5) * unit;
}

/* An item; interconnects and services also carry this instance's calls
 * in progress (call.start / call.stop, server/routing/calls.c). */
static json_t *item_json(kpi_scope scope, const kpi_item *it)
{
    const kpi_counts *c = &it->c;
    int32_t p95 = kpi_pdd_p95(c);
    json_t *o = json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:f, s:o, s:o, s:f}",
                          "scope_id", it->scope_id,
                          "attempts", (json_int_t)c->attempts,
                          "answered", (json_int_t)c->answered,
                          "asr", round_to(kpi_asr(c), 1e-4),
                          "acd", round_to(kpi_acd(c), 0.1),
                          "ner", round_to(kpi_ner(c), 1e-4),
                          "ser", round_to(kpi_ser(c), 1e-4),
                          "pdd_ms", c->pdd_n ? json_integer((json_int_t)(kpi_pdd_avg(c) + 0.5)) : json_null(),
                          "pdd_p95_ms", p95 >= 0 ? json_integer(p95) : json_null(),
                          "short_ratio", round_to(kpi_short_ratio(c), 1e-4));
    if (o && (scope == KPI_INTERCONNECT || scope == KPI_SERVICE))
        json_object_set_new(o, "concurrent",
                            json_integer(calls_concurrent(atoll(it->scope_id), scope == KPI_SERVICE)));
    return o;
}

/* spark: ASR per bucket of the window, oldest first, null where a bucket
 * has no attempts. */
static json_t *spark_json(kpi_scope scope, kpi_window w, const char *id, int64_t now)
{
    kpi_counts b[64];
    size_t m = kpi_series(kpis, scope, id, w, now, b, sizeof b / sizeof b[0]);
    json_t *a = json_array();
    for (size_t i = 0; i < m; i++)
        json_array_append_new(a, b[i].attempts ? json_real(round_to(kpi_asr(&b[i]), 1e-4)) : json_null());
    return a;
}

/* Does scope id `id` match one entry of f->ids? A string is a scope id;
 * an integer is an interconnect or service id, and in scope route every
 * route of that interconnect ("12/..."). */
static bool id_wanted(const monitor_kpi_filter *f, const char *id)
{
    if (!f->ids)
        return true;
    size_t i;
    json_t *v;
    json_array_foreach(f->ids, i, v) {
        if (json_is_string(v) && strcmp(json_string_value(v), id) == 0)
            return true;
        if (json_is_integer(v)) {
            char want[32];
            int len = snprintf(want, sizeof want, "%lld", (long long)json_integer_value(v));
            if (strcmp(id, want) == 0 ||
                (f->scope == KPI_ROUTE && strncmp(id, want, (size_t)len) == 0 && id[len] == '/'))
                return true;
        }
    }
    return false;
}

json_t *monitor_kpi_items(const monitor_kpi_filter *f, int64_t now)
{
    json_t *items = json_array();
    if (!kpis || !items)
        return items;
    kpi_item *v = NULL;
    size_t n = kpi_snapshot(kpis, (kpi_scope)f->scope, (kpi_window)f->window, now, &v);
    if (n == (size_t)-1) {
        json_decref(items);
        return NULL;
    }
    if (f->ids) {
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (id_wanted(f, v[i].scope_id))
                v[m++] = v[i];
        n = m;
    }
    if (n > 1)
        qsort(v, n, sizeof *v, worst_first);
    for (size_t i = 0; i < n && (long long)i < f->limit; i++) {
        json_t *it = item_json((kpi_scope)f->scope, &v[i]);
        if (f->spark)
            json_object_set_new(it, "spark", spark_json((kpi_scope)f->scope, (kpi_window)f->window, v[i].scope_id, now));
        json_array_append_new(items, it);
    }
    free(v);
    return items;
}

int monitor_kpi_filter_parse(json_t *o, monitor_kpi_filter *f, char *field, size_t fieldlen, char *msg,
                             size_t msglen)
{
    *f = (monitor_kpi_filter){ .scope = KPI_INTERCONNECT, .window = KPI_5M, .limit = 50 };
    if (!o || json_is_null(o))
        return 0;
    if (!json_is_object(o)) {
        snprintf(field, fieldlen, "kpi");
        snprintf(msg, msglen, "must be an object");
        return -1;
    }
    json_t *v;
    if ((v = json_object_get(o, "scope")) && (f->scope = kpi_scope_parse(json_string_value(v))) < 0) {
        snprintf(field, fieldlen, "kpi.scope");
        snprintf(msg, msglen, "must be one of interconnect, route, destination, service");
        return -1;
    }
    if ((v = json_object_get(o, "window")) && (f->window = kpi_window_parse(json_string_value(v))) < 0) {
        snprintf(field, fieldlen, "kpi.window");
        snprintf(msg, msglen, "must be one of 5m, 15m, 1h, 24h");
        return -1;
    }
    if ((v = json_object_get(o, "limit"))) {
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > MONITOR_KPI_SUB_LIMIT) {
            snprintf(field, fieldlen, "kpi.limit");
            snprintf(msg, msglen, "must be an integer from 1 to %d", MONITOR_KPI_SUB_LIMIT);
            return -1;
        }
        f->limit = json_integer_value(v);
    }
    if ((v = json_object_get(o, "spark"))) {
        if (!json_is_boolean(v)) {
            snprintf(field, fieldlen, "kpi.spark");
            snprintf(msg, msglen, "must be true or false");
            return -1;
        }
        f->spark = json_is_true(v);
    }
    if ((v = json_object_get(o, "ids")) && !json_is_null(v)) {
        if (!json_is_array(v) || json_array_size(v) > 200) {
            snprintf(field, fieldlen, "kpi.ids");
            snprintf(msg, msglen, "must be an array of at most 200 ids");
            return -1;
        }
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            bool ok = (json_is_integer(x) && json_integer_value(x) >= 1) ||
                      (json_is_string(x) && json_string_length(x) >= 1 && json_string_length(x) <= KPI_ID_MAX);
            if (!ok) {
                snprintf(field, fieldlen, "kpi.ids[%zu]", i);
                snprintf(msg, msglen, "must be a scope id (1 to 95 characters) or a positive integer id");
                return -1;
            }
        }
        f->ids = v;
    }
    return 0;
}

static int monitor_kpi(rpc_call *c)
{
    int scope = kpi_scope_parse(rpc_str(c, "scope"));
    const char *ws = rpc_str(c, "window");
    monitor_kpi_filter f = {
        .scope = scope,
        .window = ws ? kpi_window_parse(ws) : KPI_5M,
        .limit = rpc_int(c, "limit", 100),
        .spark = rpc_bool(c, "spark", false),
    };
    json_t *idv = json_object_get(c->params, "id");
    json_t *ids = NULL;
    if (json_is_integer(idv)) {
        ids = json_pack("[O]", idv);
    } else if (json_is_string(idv)) {
        if (json_string_length(idv) < 1 || json_string_length(idv) > KPI_ID_MAX)
            return rpc_field_error(c, "id", "must be 1 to 95 characters");
        ids = json_pack("[O]", idv);
    } else if (idv && !json_is_null(idv)) {
        return rpc_field_error(c, "id", "must be a scope id (string) or an interconnect or service id");
    }
    f.ids = ids;
    json_t *items = monitor_kpi_items(&f, time_now_usec());
    json_decref(ids);
    if (!items)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    c->result = json_pack("{s:o}", "items", items);
    return 0;
}

static const char *const scope_choices[] = { "interconnect", "route", "destination", "service", NULL };
static const char *const window_choices[] = { "5m", "15m", "1h", "24h", NULL };

static const rpc_field kpi_params[] = {
    { "scope", F_ENUM, F_REQUIRED, 0, 0, scope_choices, NULL, F_ANY },
    { "id", F_ANY, F_NULLABLE, 0, 0, NULL, NULL, F_ANY },
    { "window", F_ENUM, 0, 0, 0, window_choices, NULL, F_ANY },
    { "limit", F_INT, 0, 1, 10000, NULL, NULL, F_ANY },
    { "spark", F_BOOL, 0, 0, 0, NULL, NULL, F_ANY },
    { NULL },
};

/* The `kpi` member of subscribe (checked by monitor_kpi_filter_parse). */
const rpc_field monitor_kpi_sub_fields[] = {
    { "scope", F_ENUM, 0, 0, 0, scope_choices, NULL, F_ANY },
    { "window", F_ENUM, 0, 0, 0, window_choices, NULL, F_ANY },
    { "ids", F_ARRAY, F_NULLABLE, 0, 200, NULL, NULL, F_ANY },
    { "limit", F_INT, 0, 1, MONITOR_KPI_SUB_LIMIT, NULL, NULL, F_ANY },
    { "spark", F_BOOL, 0, 0, 0, NULL, NULL, F_ANY },
    { NULL },
};

const rpc_method monitor_methods[] = {
    { "monitor.kpi", monitor_kpi, ROLES_STAFF, RPC_INLINE, kpi_params, NULL },
    { NULL },
};
