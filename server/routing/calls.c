/*
 * calls.c: call.start, call.stop, call.stats; route_over_capacity(); the
 * stale-call sweep; the switch allow-list (docs/gates.md).
 *
 * Live calls sit in a hash table by call id with, threaded through them,
 * a list in start order, so the sweep only looks at the oldest. One mutex
 * guards the calls and serialises every write to the counters. The
 * counters (concurrent calls and a 1 s CPS window per interconnect and
 * per service) are slots of two fixed open-addressing tables whose keys
 * are set once and never removed, with atomic fields: route lookups read
 * them with no lock and no allocation.
 */
#include "calls.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "netaddr.h"
#include "../rpc/rpc.h"
#include "../system/ticker.h"

#define SWEEP_TASK "calls.sweep"
#define SWEEP_MS 1000
#define COUNTER_SLOTS 8192           /* interconnects (or services) counted per instance */
#define CALL_BUCKETS 65536
#define CALLS_MAX 1000000            /* live calls tracked per instance */

/* ---- the CPS window ---- */

void cps_window_add(cps_window *w, int64_t now_ms)
{
    long long tick = now_ms / CPS_SLOT_MS;
    int i = (int)(tick % CPS_SLOTS);
    if (atomic_load(&w->tick[i]) != tick) {
        atomic_store(&w->count[i], 0);  /* before the tick: a reader never adds an old count to a new tick */
        atomic_store(&w->tick[i], tick);
    }
    atomic_fetch_add(&w->count[i], 1);
}

int cps_window_count(const cps_window *w, int64_t now_ms)
{
    long long tick = now_ms / CPS_SLOT_MS;
    int n = 0;
    for (int i = 0; i < CPS_SLOTS; i++) {
        long long t = atomic_load(&((cps_window *)w)->tick[i]);
        if (t > tick - CPS_SLOTS && t <= tick)
            n += atomic_load(&((cps_window *)w)->count[i]);
    }
    return n;
}

/* ---- counters ---- */

typedef struct {
    atomic_llong id;          /* 0 = free; set once */
    atomic_int concurrent;
    cps_window cps;
} counter;

static counter ic_counters[COUNTER_SLOTS], svc_counters[COUNTER_SLOTS];

static size_t slot_of(long long id)
{
    return (size_t)(((unsigned long long)id * 0x9E3779B97F4A7C15ull) >> 51) & (COUNTER_SLOTS - 1);
}

/* The counter of id; create: claim a slot (writers, under calls_lock). */
static counter *counter_find(counter *table, long long id, bool create)
{
    if (id <= 0)
        return NULL;
    size_t s = slot_of(id);
    for (size_t n = 0; n < COUNTER_SLOTS; n++, s = (s + 1) & (COUNTER_SLOTS - 1)) {
        long long k = atomic_load(&table[s].id);
        if (k == id)
            return &table[s];
        if (k == 0) {
            if (!create)
                return NULL;
            atomic_store(&table[s].id, id);
            return &table[s];
        }
    }
    return NULL;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool over(counter *k, int capacity, int cps, char reason[ROUTE_REASON_MAX])
{
    int conc = k ? atomic_load(&k->concurrent) : 0;
    if (capacity >= 0 && conc >= capacity) {
        if (reason)
            snprintf(reason, ROUTE_REASON_MAX, "capacity %d reached", capacity);
        return true;
    }
    if (cps >= 0 && (k ? cps_window_count(&k->cps, now_ms()) : 0) >= cps) {
        if (reason)
            snprintf(reason, ROUTE_REASON_MAX, "cps %d reached", cps);
        return true;
    }
    return false;
}

bool calls_over_capacity(long long interconnect_id, int capacity, int cps, char reason[ROUTE_REASON_MAX])
{
    return over(counter_find(ic_counters, interconnect_id, false), capacity, cps, reason);
}

bool route_service_over_capacity(long long service_id, int capacity, char reason[ROUTE_REASON_MAX])
{
    return over(counter_find(svc_counters, service_id, false), capacity, -1, reason);
}

/* ---- live calls ---- */

typedef struct call_entry {
    struct call_entry *hnext;          /* hash chain */
    struct call_entry *prev, *next;    /* start order, oldest first */
    long long interconnect_id, service_id;
    int64_t started_ms;
    char id[];
} call_entry;

static pthread_mutex_t calls_lock = PTHREAD_MUTEX_INITIALIZER;
static call_entry *buckets[CALL_BUCKETS];
static call_entry *oldest, *newest;
static long live;
static atomic_int max_seconds = 14400;

static size_t hash_of(const char *s)
{
    unsigned long long h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return (size_t)(h & (CALL_BUCKETS - 1));
}

static call_entry **call_link(const char *id)
{
    call_entry **p = &buckets[hash_of(id)];
    while (*p && strcmp((*p)->id, id))
        p = &(*p)->hnext;
    return p;
}

/* Unlink *link (found by call_link) and count the call out. Lock held. */
static void call_remove(call_entry **link)
{
    call_entry *e = *link;
    *link = e->hnext;
    if (e->prev)
        e->prev->next = e->next;
    else
        oldest = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        newest = e->prev;
    counter *k = counter_find(ic_counters, e->interconnect_id, false);
    if (k)
        atomic_fetch_sub(&k->concurrent, 1);
    if ((k = counter_find(svc_counters, e->service_id, false)))
        atomic_fetch_sub(&k->concurrent, 1);
    live--;
    free(e);
}

int calls_concurrent(long long id, bool service)
{
    counter *k = counter_find(service ? svc_counters : ic_counters, id, false);
    return k ? atomic_load(&k->concurrent) : 0;
}

static json_t *counts_json(const char *key, long long id, counter *k)
{
    int64_t now = now_ms();
    return json_pack("{s:I, s:i, s:i}", key, (json_int_t)id, "concurrent", k ? atomic_load(&k->concurrent) : 0, "cps",
                     k ? cps_window_count(&k->cps, now) : 0);
}

static int call_start(rpc_call *c)
{
    const char *id = rpc_str(c, "call_id");
    long long ic = rpc_int(c, "interconnect_id", 0), svc = rpc_int(c, "service_id", 0);
    size_t n = strlen(id);
    pthread_mutex_lock(&calls_lock);
    call_entry **link = call_link(id);
    if (*link) {
        pthread_mutex_unlock(&calls_lock);
        c->result = json_pack("{s:s, s:b, s:s}", "call_id", id, "counted", 0, "reason", "duplicate call_id");
        return 0;
    }
    counter *ki = counter_find(ic_counters, ic, true);
    counter *ks = svc ? counter_find(svc_counters, svc, true) : NULL;
    call_entry *e = live < CALLS_MAX && ki && (ks || !svc) ? malloc(sizeof *e + n + 1) : NULL;
    if (!e) {
        pthread_mutex_unlock(&calls_lock);
        return rpc_fail(c, RPC_RATE_LIMITED, "this instance is counting as many calls as it can");
    }
    memcpy(e->id, id, n + 1);
    e->interconnect_id = ic;
    e->service_id = svc;
    e->started_ms = now_ms();
    e->hnext = NULL;
    e->next = NULL;
    e->prev = newest;
    if (newest)
        newest->next = e;
    else
        oldest = e;
    newest = e;
    *link = e;
    live++;
    atomic_fetch_add(&ki->concurrent, 1);
    cps_window_add(&ki->cps, e->started_ms);
    if (ks) {
        atomic_fetch_add(&ks->concurrent, 1);
        cps_window_add(&ks->cps, e->started_ms);
    }
    pthread_mutex_unlock(&calls_lock);
    c->result = json_pack("{s:s, s:b, s:o, s:o}", "call_id", id, "counted", 1, "interconnect",
                          counts_json("interconnect_id", ic, ki), "service",
                          ks ? counts_json("service_id", svc, ks) : json_null());
    return 0;
}

static int call_stop(rpc_call *c)
{
    const char *id = rpc_str(c, "call_id");
    pthread_mutex_lock(&calls_lock);
    call_entry **link = call_link(id);
    long long ms = -1;
    if (*link) {
        ms = now_ms() - (*link)->started_ms;
        call_remove(link);
    }
    pthread_mutex_unlock(&calls_lock);
    c->result = ms >= 0 ? json_pack("{s:s, s:b, s:I}", "call_id", id, "stopped", 1, "duration_ms", (json_int_t)ms)
                        : json_pack("{s:s, s:b}", "call_id", id, "stopped", 0);
    return 0;
}

static json_t *table_json(counter *table, const char *key, long long only)
{
    json_t *a = json_array();
    if (only) {
        json_array_append_new(a, counts_json(key, only, counter_find(table, only, false)));
        return a;
    }
    for (size_t i = 0; i < COUNTER_SLOTS; i++) {
        long long id = atomic_load(&table[i].id);
        if (id)
            json_array_append_new(a, counts_json(key, id, &table[i]));
    }
    return a;
}

static int call_stats(rpc_call *c)
{
    long long ic = rpc_int(c, "interconnect_id", 0), svc = rpc_int(c, "service_id", 0);
    pthread_mutex_lock(&calls_lock);
    long n = live;
    pthread_mutex_unlock(&calls_lock);
    c->result = json_pack("{s:I, s:i, s:o, s:o}", "calls", (json_int_t)n, "call_max_seconds",
                          atomic_load(&max_seconds), "interconnects",
                          svc && !ic ? json_array() : table_json(ic_counters, "interconnect_id", ic), "services",
                          ic && !svc ? json_array() : table_json(svc_counters, "service_id", svc));
    return 0;
}

/* The ticker: drop calls older than call_max_seconds. */
static int sweep(void *ud, PGconn *db)
{
    (void)ud;
    (void)db;
    int64_t limit = now_ms() - (int64_t)atomic_load(&max_seconds) * 1000;
    int dropped = 0;
    pthread_mutex_lock(&calls_lock);
    while (oldest && oldest->started_ms <= limit) {
        call_remove(call_link(oldest->id));
        dropped++;
    }
    pthread_mutex_unlock(&calls_lock);
    if (dropped)
        log_warn("calls: %d call(s) without call.stop after %d s dropped from the counts", dropped,
                 atomic_load(&max_seconds));
    return 0;
}

int calls_init(const dt_config *cfg)
{
    atomic_store(&max_seconds, cfg->call_max_seconds);
    if (!route_allow_list_valid(cfg->route_allow_ips)) {
        log_error("route_allow_ips: \"%s\" is not a comma-separated list of addresses and CIDRs", cfg->route_allow_ips);
        return -1;
    }
    return ticker_add(SWEEP_TASK, SWEEP_MS, sweep, NULL);
}

/* ---- the switch allow-list ---- */

/* Call fn for each entry of the list (blanks trimmed); stops when it
 * returns true. */
static bool each_entry(const char *list, bool (*fn)(const char *s, size_t n, void *ud), void *ud)
{
    for (const char *p = list; p && *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        const char *s = p;
        while (n && (*s == ' ' || *s == '\t'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
            n--;
        if (fn(s, n, ud))
            return true;
        p = end ? end + 1 : p + strlen(p);
    }
    return false;
}

static bool entry_matches(const char *s, size_t n, void *ud)
{
    net_addr net;
    return net_addr_parse(s, n, &net, true) && net_addr_contains(&net, ud);
}

bool route_allow_ip(const char *list, const char *ip)
{
    net_addr a;
    if (!list || !list[0] || !ip || !net_addr_parse(ip, strlen(ip), &a, false))
        return false;
    return each_entry(list, entry_matches, &a);
}

static bool entry_invalid(const char *s, size_t n, void *ud)
{
    (void)ud;
    net_addr net;
    return n > 0 && !net_addr_parse(s, n, &net, true);
}

bool route_allow_list_valid(const char *list)
{
    return !each_entry(list, entry_invalid, NULL);
}

/* ---- methods ---- */

static const rpc_field start_params[] = {
    { "call_id", F_STRING, F_REQUIRED, 1, 128, NULL },
    { "interconnect_id", F_ID, F_REQUIRED, 0, 0, NULL },
    { "service_id", F_ID, F_NULLABLE, 0, 0, NULL },
    { NULL },
};

static const rpc_field stop_params[] = {
    { "call_id", F_STRING, F_REQUIRED, 1, 128, NULL },
    { NULL },
};

static const rpc_field stats_params[] = {
    { "interconnect_id", F_ID, F_NULLABLE, 0, 0, NULL },
    { "service_id", F_ID, F_NULLABLE, 0, 0, NULL },
    { NULL },
};

/* No database: answered on the service thread over a WebSocket; over HTTP
 * on a worker, which looks the bearer token up first. */
const rpc_method call_methods[] = {
    { "call.start", call_start, ROLES_ADMIN | ROLE_NOC, RPC_INLINE, start_params, NULL },
    { "call.stop", call_stop, ROLES_ADMIN | ROLE_NOC, RPC_INLINE, stop_params, NULL },
    { "call.stats", call_stats, ROLES_STAFF, RPC_INLINE, stats_params, NULL },
    { NULL },
};
