/*
 * route_lookup.c: route.lookup — the ordered supplier routes for one call
 * (docs/routing.md). Everything is read from memory: the service, its
 * plan's settings, the candidate interconnects, trunk group members and
 * blacklist hits from the snapshot of the hierarchy (route_world.h), the
 * credit verdict from ledger_credit_verdict (PostgreSQL at most every
 * 500 ms per customer, and after each change of its money), the rates
 * from the live rate decks, the candidates from the plan's live route
 * table, pauses and call counts from the route gates, quality from the
 * KPI windows.
 */
#include <arpa/inet.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../ledger/ledger.h"
#include "../rating/ingress_match.h"
#include "../rating/rating_engine.h"
#include "../monitor/monitor.h"
#include "gates.h"
#include "route_index.h"
#include "route_world.h"
#include "routing.h"
#include "strbuf.h"
#include "tariff.h"
#include "timeutil.h"

#define ROUTES_MAX 500
#define NUMBER_MAX 32

const rpc_field route_lookup_params[] = {
    { "service_id", F_ID },
    { "ingress_interconnect_id", F_ID },
    { "tech_prefix", F_TECH_PREFIX },
    { "ingress_ip", F_IP },
    { "caller", F_STRING, 0, 0, 64 },
    { "callee", F_STRING, F_REQUIRED, 1, 64 },
    { "seed", F_INT, 0, 0, 9007199254740991LL },
    { "force_interconnect_id", F_ID },
    { NULL },
};

typedef struct {
    long long id, carrier_id, rating_plan, routing_plan, route_ic, plan_version;
    bool by_interconnect, circular_ok, allow_negative;
    const char *tz, *mode, *lcr_delta;
    const char *dest_bl, *orig_bl;  /* the names of the blacklists hit, or NULL */
} service_info;

typedef struct {
    long long id, carrier_id, supplier_plan, trunk_group;
    bool live, egress, group_live;
    int capacity, cps;
    const char *status, *tz;
    const char *blacklist;    /* the egress blacklist hit, or NULL */
} ic_info;

/* One candidate after trunk groups are expanded: an interconnect the
 * entry names, or a member of a group it names (group > 0), with the
 * route's priority and weight. */
typedef struct {
    long long id, group;
    int32_t priority, weight;
    const ic_info *ic;        /* NULL: no such interconnect */
} candidate_src;

/* ---- finding the service (route_world.h: in memory) ---- */

static int find_service(rpc_call *c, const route_world *w, const char *callee, const char *caller, service_info *s)
{
    json_t *p = c->params;
    bool by_id = json_object_get(p, "service_id") != NULL, by_ic = json_object_get(p, "ingress_interconnect_id") != NULL,
         by_ip = json_object_get(p, "ingress_ip") != NULL;
    const char *tp = rpc_str(c, "tech_prefix");
    if (!tp)
        tp = "";
    if ((int)by_id + (int)by_ic + (int)by_ip != 1)
        return rpc_field_error(c, "service_id", "exactly one of service_id, ingress_interconnect_id or ingress_ip is required");
    if (by_id && tp[0])
        return rpc_field_error(c, "tech_prefix", "goes with ingress_interconnect_id or ingress_ip, not service_id");
    long long id = rpc_int(c, "service_id", 0);
    char why[256] = "";
    if (!by_id) {
        long long ic = by_ic ? rpc_int(c, "ingress_interconnect_id", 0)
                             : route_world_ingress_by_ip(w, rpc_str(c, "ingress_ip"), tp, why, sizeof why);
        id = ic ? route_world_service_of(w, ic, tp, why, sizeof why) : 0;
        if (!id)
            return rpc_fail(c, RPC_NOT_FOUND, "%s", why);
    }
    const world_service *v = route_world_service(w, id);
    if (!v)
        return rpc_fail(c, RPC_NOT_FOUND, "no service %lld", id);
    if (!v->active)
        return rpc_fail(c, RPC_NOT_FOUND, "service %lld is disabled", id);
    *s = (service_info){
        .id = v->id, .carrier_id = v->carrier_id, .rating_plan = v->rating_plan, .routing_plan = v->routing_plan,
        .route_ic = v->route_ic, .plan_version = v->plan_version, .by_interconnect = v->by_interconnect,
        .circular_ok = v->circular_ok, .allow_negative = v->allow_negative, .tz = v->tz, .mode = v->mode,
        .lcr_delta = v->lcr_delta, .dest_bl = route_world_blacklisted(w, &v->destination, callee),
        .orig_bl = route_world_blacklisted(w, &v->origination, caller),
    };
    return 0;
}

/* ---- candidates ---- */

static int by_id(const void *pa, const void *pb)
{
    const ic_info *a = pa, *b = pb;
    return (a->id > b->id) - (a->id < b->id);
}

/* The interconnects the routes name and the members of the trunk groups
 * they name, each once, by id: *out (malloc'd, *nout rows). */
static int load_interconnects(rpc_call *c, const route_world *w, const route_target *routes, size_t n,
                              const char *callee, ic_info **out, size_t *nout)
{
    size_t cap = n + 1, k = 0;
    ic_info *v = malloc(cap * sizeof *v);
    if (!v)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    for (size_t i = 0; i < n; i++) {
        long long g = route_target_group(&routes[i]);
        size_t nm = 1;
        const world_interconnect *one = g ? NULL : route_world_interconnect(w, routes[i].interconnect_id);
        const world_interconnect *const *m = g ? route_world_members(w, g, &nm) : &one;
        if (k + nm > cap) {
            cap = (k + nm) * 2;
            ic_info *bigger = realloc(v, cap * sizeof *v);
            if (!bigger) {
                free(v);
                return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
            }
            v = bigger;
        }
        for (size_t j = 0; j < nm; j++) {
            const world_interconnect *x = m[j];
            if (!x)
                continue;
            v[k++] = (ic_info){
                .id = x->id, .carrier_id = x->carrier_id, .supplier_plan = x->supplier_plan,
                .trunk_group = x->trunk_group, .live = x->live, .egress = x->egress, .group_live = x->group_live,
                .capacity = x->capacity, .cps = x->cps, .status = x->status, .tz = x->tz,
                .blacklist = route_world_blacklisted(w, &x->blacklists, callee),
            };
        }
    }
    qsort(v, k, sizeof *v, by_id);
    size_t u = 0;
    for (size_t i = 0; i < k; i++)
        if (!u || v[u - 1].id != v[i].id)
            v[u++] = v[i];
    *out = v;
    *nout = u;
    return 0;
}

static const ic_info *find_ic(const ic_info *rows, size_t n, long long id)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].id == id)
            return &rows[i];
    return NULL;
}

/* The rejections of one lookup, collected as they come; written out as
 * JSON text or as a jansson array at the end. */
typedef struct {
    long long ic, carrier, group;  /* 0 = null (ic, carrier), none (group) */
    const char *reason;            /* a static word */
    char detail[ROUTE_REASON_MAX + 160];
} rejection;
typedef struct {
    rejection *v;
    size_t n, cap;
    bool oom;
} rejections;

static void reject(rejections *rejected, long long ic, long long carrier, long long group, const char *reason,
                   const char *detail);

/* The candidates of the routes in their order: an interconnect as itself,
 * a trunk group as its live egress members (a group without any is
 * rejected as empty_trunk_group). An interconnect already placed is not
 * placed again. Up to max; returns the count. */
static bool placed(const candidate_src *v, size_t n, long long id)
{
    for (size_t i = 0; i < n; i++)
        if (v[i].id == id)
            return true;
    return false;
}

static bool member(const ic_info *x, long long group)
{
    return x->trunk_group == group && x->group_live && x->live && x->egress;
}

static size_t expand(const route_target *routes, size_t n, const ic_info *rows, size_t nrows, candidate_src *out,
                     size_t max, rejections *rejected)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++) {
        const route_target *t = &routes[i];
        long long g = route_target_group(t);
        if (!g) {
            if (!placed(out, k, t->interconnect_id))
                out[k++] = (candidate_src){ t->interconnect_id, 0, t->priority, t->weight,
                                            find_ic(rows, nrows, t->interconnect_id) };
            continue;
        }
        size_t members = 0;
        for (size_t j = 0; j < nrows; j++) {
            if (!member(&rows[j], g))
                continue;
            members++;
            if (k < max && !placed(out, k, rows[j].id))
                out[k++] = (candidate_src){ rows[j].id, g, t->priority, t->weight, &rows[j] };
        }
        if (!members)
            reject(rejected, 0, 0, g, "empty_trunk_group",
                   "the trunk group has no live egress interconnects (or was deleted)");
    }
    return k;
}

typedef struct {
    long long plan;
    rating_deck *deck;
    char err[128];
} deck_slot;

static const rating_deck *supplier_deck(rpc_call *c, deck_slot *decks, size_t *nd, long long plan, const char **err)
{
    for (size_t i = 0; i < *nd; i++)
        if (decks[i].plan == plan) {
            *err = decks[i].err;
            return decks[i].deck;
        }
    deck_slot *d = &decks[(*nd)++];
    d->plan = plan;
    d->err[0] = '\0';
    d->deck = rating_deck_get(c->db, plan, d->err, sizeof d->err);
    *err = d->err;
    return d->deck;
}

static void reject(rejections *rejected, long long ic, long long carrier, long long group, const char *reason,
                   const char *detail)
{
    rejections *r = rejected;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 32;
        rejection *v = realloc(r->v, cap * sizeof *v);
        if (!v) {
            r->oom = true;
            return;
        }
        r->v = v;
        r->cap = cap;
    }
    rejection *x = &r->v[r->n++];
    *x = (rejection){ .ic = ic, .carrier = carrier, .group = group, .reason = reason };
    size_t len = strnlen(detail, sizeof x->detail - 1);
    memcpy(x->detail, detail, len);
    x->detail[len] = '\0';
}

/* An id or null, as JSON text. */
static void id_or_null(strbuf *b, long long id)
{
    if (id)
        sb_int(b, id);
    else
        sb_puts(b, "null");
}

static json_t *rejections_json(const rejections *r)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < r->n; i++) {
        const rejection *x = &r->v[i];
        json_t *o = json_pack("{s:o, s:o, s:s, s:s}", "interconnect_id", x->ic ? json_integer(x->ic) : json_null(),
                              "carrier_id", x->carrier ? json_integer(x->carrier) : json_null(), "reason", x->reason,
                              "detail", x->detail);
        if (o && x->group)
            json_object_set_new(o, "trunk_group_id", json_integer(x->group));
        json_array_append_new(a, o);
    }
    return a;
}

static void rejections_text(strbuf *b, const rejections *r)
{
    sb_puts(b, "[");
    for (size_t i = 0; i < r->n; i++) {
        const rejection *x = &r->v[i];
        sb_puts(b, i ? ",{\"interconnect_id\":" : "{\"interconnect_id\":");
        id_or_null(b, x->ic);
        sb_puts(b, ",\"carrier_id\":");
        id_or_null(b, x->carrier);
        sb_puts(b, ",\"reason\":");
        sb_json_string(b, x->reason);
        sb_puts(b, ",\"detail\":");
        sb_json_string(b, x->detail);
        if (x->group) {
            sb_puts(b, ",\"trunk_group_id\":");
            sb_int(b, x->group);
        }
        sb_puts(b, "}");
    }
    sb_puts(b, "]");
}

/* ---- quality: the KPI windows of issue 8 ---- */

#define QUALITY_MIN_ATTEMPTS 10
#define QUALITY_WINDOW KPI_15M

/* A supplier's live figures over the last 15 minutes: its route to the
 * customer's destination (scope "route", as monitor.c keys it) when that
 * has QUALITY_MIN_ATTEMPTS attempts, else the whole interconnect; false
 * when neither has enough to judge. */
static bool live_quality(long long ic, const rating_result *cust, int64_t now, kpi_counts *out, const char **scope)
{
    kpi_table *k = monitor_kpi_table();
    if (!k)
        return false;
    char id[KPI_ID_MAX + 160];
    const char *dest = cust->destination[0] ? cust->destination : cust->prefix;
    if (dest[0]) {
        snprintf(id, sizeof id, "%lld/%s", ic, dest);
        id[KPI_ID_MAX] = '\0'; /* cut where monitor.c's id is cut */
        kpi_get(k, KPI_ROUTE, id, QUALITY_WINDOW, now, out);
        if (out->attempts >= QUALITY_MIN_ATTEMPTS) {
            *scope = "route";
            return true;
        }
    }
    snprintf(id, sizeof id, "%lld", ic);
    kpi_get(k, KPI_INTERCONNECT, id, QUALITY_WINDOW, now, out);
    *scope = "interconnect";
    return out->attempts >= QUALITY_MIN_ATTEMPTS;
}

static uint64_t fresh_seed(void)
{
    static atomic_ullong counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
           (atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15ULL);
}

int route_lookup(rpc_call *c)
{
    char callee[NUMBER_MAX], caller[NUMBER_MAX] = "";
    if (!tariff_normalise_number(rpc_str(c, "callee"), callee, sizeof callee))
        return rpc_field_error(c, "callee", "must be 1 to 24 digits after an optional + or 00");
    const char *caller_in = rpc_str(c, "caller");
    if (caller_in && !tariff_normalise_number(caller_in, caller, sizeof caller))
        caller[0] = '\0'; /* anonymous or not a number: no origination list can match */

    service_info svc = { 0 };
    route_world *world = NULL;
    rating_deck *cdeck = NULL;
    route_index *rix = NULL;
    deck_slot decks[ROUTES_MAX];
    size_t ndecks = 0;
    ic_info *ics = NULL;      /* the interconnects loaded */
    size_t nics = 0;
    candidate_src *srcs = NULL;
    route_candidate *cands = NULL;
    json_t *routes_out = NULL;
    rejections rej = { 0 }, *rejected = &rej;
    int rc = -1;

    char err[160] = "";
    world = route_world_get(c->db, err, sizeof err);
    if (!world) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "routing: %s", err);
        goto out;
    }
    if (find_service(c, world, callee, caller, &svc))
        goto out;

    /* The customer's rate for the callee, now. */
    cdeck = rating_deck_get(c->db, svc.rating_plan, err, sizeof err);
    if (!cdeck) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "customer rating plan %lld: %s", svc.rating_plan, err);
        goto out;
    }
    int64_t now = time_now_usec();
    rating_result cust;
    rating_rate(cdeck, callee, now, false, 0, 0, svc.tz, &cust);
    if (!cust.rated) {
        char msg[160];
        snprintf(msg, sizeof msg, "has no customer rate in the service's rating plan: %s", cust.reason);
        rpc_field_error(c, "callee", msg);
        goto out;
    }
    if (ledger_credit_verdict(c, svc.carrier_id))
        goto out;

    /* Candidates: the longest-prefix entry of the plan, or the service's one interconnect. */
    route_mode mode = ROUTE_MODE_PRIORITY;
    money_t delta = 0;
    const route_target *targets = NULL;
    size_t nt = 0;
    route_target single;
    route_limits limits = { 0, 0 };
    json_t *entry_prefix = json_null();
    const char *note = NULL;
    bool forced = json_object_get(c->params, "force_interconnect_id") != NULL;
    if (forced) {
        /* A test call: only this interconnect, through the same checks. */
        single = (route_target){ rpc_int(c, "force_interconnect_id", 0), 0, 1 };
        targets = &single;
        nt = 1;
        note = "forced test route: the routing plan's candidates were skipped";
    } else if (svc.by_interconnect) {
        if (svc.route_ic) {
            single = (route_target){ svc.route_ic, 0, 1 };
            targets = &single;
            nt = 1;
        }
        note = "the service routes to one interconnect";
    } else if (svc.routing_plan) {
        if (!route_mode_parse(svc.mode, &mode))
            mode = ROUTE_MODE_LCR;
        if (money_parse(svc.lcr_delta, &delta) != MONEY_OK)
            delta = 0;
        rix = route_index_get(c->db, svc.routing_plan, svc.plan_version, err, sizeof err);
        if (!rix) {
            rpc_fail(c, RPC_INTERNAL_ERROR, "routing plan %lld: %s", svc.routing_plan, err);
            goto out;
        }
        int plen = 0;
        targets = route_table_match(route_index_table(rix), callee, &nt, &plen, &limits);
        if (targets)
            entry_prefix = json_stringn(callee, (size_t)plen);
        if (mode == ROUTE_MODE_QUALITY)
            note = "quality: scores from the last 15 minutes (ASR, ACD, PDD); suppliers with fewer than 10 calls score "
                   "50; equal scores by rate";
    } else {
        note = "the service has no routing plan";
    }
    if (nt > ROUTES_MAX)
        nt = ROUTES_MAX;

    if (nt && load_interconnects(c, world, targets, nt, callee, &ics, &nics)) {
        json_decref(entry_prefix);
        goto out;
    }
    /* Each candidate is a route naming an interconnect or a loaded group member. */
    size_t max_src = nt + nics < ROUTES_MAX ? nt + nics : ROUTES_MAX;
    srcs = calloc(max_src + 1, sizeof *srcs);
    cands = calloc(max_src + 1, sizeof *cands);
    if (!srcs || !cands) {
        json_decref(entry_prefix);
        rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    if (forced && !find_ic(ics, nics, single.interconnect_id)) {
        json_decref(entry_prefix);
        rpc_field_error(c, "force_interconnect_id", "does not name an interconnect");
        goto out;
    }
    /* Trunk groups become their members (ROUTES_MAX candidates at most). */
    size_t nsrc = expand(targets, nt, ics, nics, srcs, max_src, rejected);

    size_t ncand = 0;
    rating_result *rates = calloc(nsrc + 1, sizeof *rates);
    json_t **quality = calloc(nsrc + 1, sizeof *quality); /* per candidate, when judged */
    if (!rates || !quality) {
        free(rates);
        free(quality);
        json_decref(entry_prefix);
        rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nsrc; i++) {
        const candidate_src *t = &srcs[i];
        const ic_info *x = t->ic;
        char why[ROUTE_REASON_MAX + 64] = "";
        char gate[ROUTE_REASON_MAX] = "";
        if (!x || !x->live) {
            reject(rejected, t->id, x ? x->carrier_id : 0, t->group, "disabled", "the interconnect was deleted");
            continue;
        }
        if (!x->egress) {
            reject(rejected, t->id, x->carrier_id, t->group, "disabled", "not an egress interconnect");
            continue;
        }
        if (!strcmp(x->status, "disabled")) {
            reject(rejected, t->id, x->carrier_id, t->group, "disabled", "interconnect status is disabled");
            continue;
        }
        if (!strcmp(x->status, "paused")) {
            reject(rejected, t->id, x->carrier_id, t->group, "paused", "interconnect status is paused");
            continue;
        }
        if (route_paused(x->id, callee, gate)) {
            reject(rejected, t->id, x->carrier_id, t->group, "paused", gate);
            continue;
        }
        if (x->carrier_id == svc.carrier_id && !svc.circular_ok) {
            reject(rejected, t->id, x->carrier_id, t->group, "circular",
                   "the supplier is the customer's own carrier");
            continue;
        }
        if (svc.dest_bl || svc.orig_bl || x->blacklist) {
            if (svc.dest_bl)
                snprintf(why, sizeof why, "callee is on the service's destination blacklist \"%s\"", svc.dest_bl);
            else if (svc.orig_bl)
                snprintf(why, sizeof why, "caller is on the service's origination blacklist \"%s\"", svc.orig_bl);
            else
                snprintf(why, sizeof why, "callee is on the interconnect's blacklist \"%s\"", x->blacklist);
            reject(rejected, t->id, x->carrier_id, t->group, "blacklisted", why);
            continue;
        }
        if (route_over_capacity(x->id, x->capacity, x->cps, gate)) {
            reject(rejected, t->id, x->carrier_id, t->group, "capacity", gate);
            continue;
        }
        if (!x->supplier_plan) {
            reject(rejected, t->id, x->carrier_id, t->group, "no_rate", "the interconnect has no supplier rating plan");
            continue;
        }
        const char *derr = "";
        const rating_deck *sd = supplier_deck(c, decks, &ndecks, x->supplier_plan, &derr);
        if (!sd) {
            snprintf(why, sizeof why, "supplier rating plan %lld: %s", x->supplier_plan, derr);
            reject(rejected, t->id, x->carrier_id, t->group, "no_rate", why);
            continue;
        }
        rating_result *sr = &rates[i];
        rating_rate(sd, callee, now, false, 0, 0, x->tz, sr);
        if (!sr->rated) {
            reject(rejected, t->id, x->carrier_id, t->group, "no_rate", sr->reason);
            continue;
        }
        /* In the customer's currency (FX rates in force, route_world.h). */
        money_t rate = sr->rate;
        if (strcmp(sr->currency, cust.currency) && !route_world_convert(world, sr->rate, sr->currency, cust.currency, &rate)) {
            snprintf(why, sizeof why, "supplier rate is in %s, the customer's in %s, and no FX rate is in force for both",
                     sr->currency, cust.currency);
            reject(rejected, t->id, x->carrier_id, t->group, "currency_mismatch", why);
            continue;
        }
        if (rate > cust.rate && !svc.allow_negative) {
            char a[32], b[32];
            snprintf(why, sizeof why, "supplier rate %s%s%s is above the customer rate %s",
                     money_format(rate, a, sizeof a), rate != sr->rate || strcmp(sr->currency, cust.currency) ? " " : "",
                     strcmp(sr->currency, cust.currency) ? cust.currency : "", money_format(cust.rate, b, sizeof b));
            reject(rejected, t->id, x->carrier_id, t->group, "negative_margin", why);
            continue;
        }
        int32_t score = ROUTE_QUALITY_UNKNOWN;
        if (mode == ROUTE_MODE_QUALITY || limits.min_asr_bp || limits.min_acd_s) {
            kpi_counts k;
            const char *scope = "";
            if (live_quality(x->id, &cust, now, &k, &scope)) {
                double asr = kpi_asr(&k), acd = kpi_acd(&k);
                score = route_quality_score(asr, acd, kpi_pdd_avg(&k), k.pdd_n > 0);
                if (limits.min_asr_bp && asr * 10000 < limits.min_asr_bp) {
                    snprintf(why, sizeof why, "ASR %.4f is below the entry's floor %.4f over 15m (%s, %llu attempts)",
                             asr, limits.min_asr_bp / 10000.0, scope, (unsigned long long)k.attempts);
                    reject(rejected, t->id, x->carrier_id, t->group, "quality", why);
                    continue;
                }
                if (limits.min_acd_s && acd < limits.min_acd_s) {
                    snprintf(why, sizeof why, "ACD %.1f s is below the entry's floor %d s over 15m (%s, %llu attempts)",
                             acd, limits.min_acd_s, scope, (unsigned long long)k.attempts);
                    reject(rejected, t->id, x->carrier_id, t->group, "quality", why);
                    continue;
                }
                quality[i] = json_pack("{s:i, s:s, s:s, s:I, s:f, s:f}", "score", (int)score, "window", "15m", "scope",
                                       scope, "attempts", (json_int_t)k.attempts, "asr",
                                       (double)(long long)(asr * 10000 + 0.5) / 10000, "acd",
                                       (double)(long long)(acd * 10 + 0.5) / 10);
            } else {
                quality[i] = json_pack("{s:i, s:s, s:I}", "score", (int)score, "window", "15m", "attempts",
                                       (json_int_t)k.attempts);
            }
        }
        cands[ncand++] = (route_candidate){ x->id, rate, t->priority, t->weight, score, i };
    }

    json_int_t seed_in = json_integer_value(json_object_get(c->params, "seed"));
    /* A fresh seed is reported (in weight mode) as sent, so the order can be replayed. */
    uint64_t seed = json_object_get(c->params, "seed") ? (uint64_t)seed_in : fresh_seed() & 0x1FFFFFFFFFFFFFULL;
    route_order(cands, ncand, mode, delta, seed);
    const char *mode_name = svc.by_interconnect || forced ? "priority" : route_mode_name(mode);
    long long plan_out = svc.routing_plan && !svc.by_interconnect && !forced ? svc.routing_plan : 0;
    bool seeded = mode == ROUTE_MODE_WEIGHT && !svc.by_interconnect && !forced;
    char crate[32];
    money_format(cust.rate, crate, sizeof crate);
    if (rej.oom) {
        json_decref(entry_prefix);
        rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    } else if (c->text_ok) {
        /* GET /api/v1/route: the answer written as JSON text (the same
         * members in the same order as the jansson tree below), without
         * building a tree of 20 routes and rejections first. */
        strbuf b = { 0 };
        sb_puts(&b, "{\"service_id\":");
        sb_int(&b, svc.id);
        sb_puts(&b, ",\"customer\":{\"carrier_id\":");
        sb_int(&b, svc.carrier_id);
        sb_puts(&b, ",\"rate\":");
        sb_json_string(&b, crate);
        sb_puts(&b, ",\"currency\":");
        sb_json_string(&b, cust.currency);
        sb_puts(&b, ",\"prefix\":");
        sb_json_string(&b, cust.prefix);
        sb_puts(&b, ",\"destination\":");
        sb_json_string(&b, cust.destination);
        sb_puts(&b, "},\"routing_plan_id\":");
        id_or_null(&b, plan_out);
        sb_puts(&b, ",\"prefix\":");
        if (json_is_string(entry_prefix))
            sb_json_string(&b, json_string_value(entry_prefix));
        else
            sb_puts(&b, "null");
        sb_puts(&b, ",\"mode\":");
        sb_json_string(&b, mode_name);
        sb_puts(&b, ",\"routes\":[");
        for (size_t k = 0; k < ncand; k++) {
            const route_candidate *cd = &cands[k];
            const rating_result *sr = &rates[cd->ref];
            const candidate_src *src = &srcs[cd->ref];
            char num[32];
            sb_puts(&b, k ? ",{\"interconnect_id\":" : "{\"interconnect_id\":");
            sb_int(&b, cd->interconnect_id);
            sb_puts(&b, ",\"carrier_id\":");
            sb_int(&b, src->ic->carrier_id);
            sb_puts(&b, ",\"rate\":");
            sb_json_string(&b, money_format(sr->rate, num, sizeof num));
            sb_puts(&b, ",\"currency\":");
            sb_json_string(&b, sr->currency);
            sb_puts(&b, ",\"margin\":");
            sb_json_string(&b, money_format(cust.rate - cd->rate, num, sizeof num));
            sb_puts(&b, ",\"prefix\":");
            sb_json_string(&b, sr->prefix);
            sb_puts(&b, ",\"priority\":");
            sb_int(&b, cd->priority);
            sb_puts(&b, ",\"weight\":");
            sb_int(&b, cd->weight);
            if (src->group) {
                sb_puts(&b, ",\"trunk_group_id\":");
                sb_int(&b, src->group);
            }
            if (strcmp(sr->currency, cust.currency)) {
                sb_puts(&b, ",\"converted\":{\"rate\":");
                sb_json_string(&b, money_format(cd->rate, num, sizeof num));
                sb_puts(&b, ",\"currency\":");
                sb_json_string(&b, cust.currency);
                sb_puts(&b, "}");
            }
            if (quality[cd->ref]) {
                char *q = json_dumps(quality[cd->ref], JSON_COMPACT);
                sb_puts(&b, ",\"quality\":");
                sb_puts(&b, q ? q : "null");
                free(q);
            }
            sb_puts(&b, "}");
        }
        sb_puts(&b, "],\"rejected\":");
        rejections_text(&b, &rej);
        if (note) {
            sb_puts(&b, ",\"mode_note\":");
            sb_json_string(&b, note);
        }
        if (forced)
            sb_puts(&b, ",\"forced\":true");
        if (seeded) {
            sb_puts(&b, ",\"seed\":");
            sb_int(&b, (long long)seed);
        }
        sb_puts(&b, "}");
        if (b.oom) {
            free(b.buf);
            rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        } else {
            c->result_text = b.buf;
        }
        json_decref(entry_prefix);
    } else {
        routes_out = json_array();
        for (size_t k = 0; routes_out && k < ncand; k++) {
            const route_candidate *cd = &cands[k];
            const rating_result *sr = &rates[cd->ref];
            const candidate_src *src = &srcs[cd->ref];
            char rate[32], margin[32];
            json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:i, s:i}", "interconnect_id",
                                  (json_int_t)cd->interconnect_id, "carrier_id", (json_int_t)src->ic->carrier_id, "rate",
                                  money_format(sr->rate, rate, sizeof rate), "currency", sr->currency, "margin",
                                  money_format(cust.rate - cd->rate, margin, sizeof margin), "prefix", sr->prefix,
                                  "priority", (int)cd->priority, "weight", (int)cd->weight);
            if (o && src->group)
                json_object_set_new(o, "trunk_group_id", json_integer(src->group));
            if (o && strcmp(sr->currency, cust.currency)) {
                char conv[32];
                json_object_set_new(o, "converted", json_pack("{s:s, s:s}", "rate",
                                                              money_format(cd->rate, conv, sizeof conv), "currency",
                                                              cust.currency));
            }
            if (o && quality[cd->ref]) {
                json_object_set_new(o, "quality", quality[cd->ref]);
                quality[cd->ref] = NULL;
            }
            json_array_append_new(routes_out, o);
        }
        c->result = json_pack("{s:I, s:{s:I, s:s, s:s, s:s, s:s}, s:o, s:o, s:s, s:o, s:o}",
                              "service_id", (json_int_t)svc.id,
                              "customer", "carrier_id", (json_int_t)svc.carrier_id, "rate", crate, "currency",
                              cust.currency, "prefix", cust.prefix, "destination", cust.destination,
                              "routing_plan_id", plan_out ? json_integer(plan_out) : json_null(),
                              "prefix", entry_prefix, "mode", mode_name,
                              "routes", routes_out ? routes_out : json_array(), "rejected", rejections_json(&rej));
        routes_out = NULL;
        if (!c->result) {
            rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        } else {
            if (note)
                json_object_set_new(c->result, "mode_note", json_string(note));
            if (forced)
                json_object_set_new(c->result, "forced", json_true());
            if (seeded)
                json_object_set_new(c->result, "seed", json_integer((json_int_t)seed));
        }
    }
    for (size_t i = 0; i < nsrc; i++)
        json_decref(quality[i]);
    free(quality);
    free(rates);
    if (c->err_code)
        goto out;
    rc = 0;
out:
    for (size_t i = 0; i < ndecks; i++)
        rating_deck_release(decks[i].deck);
    free(ics);
    free(srcs);
    free(cands);
    json_decref(routes_out);
    free(rej.v);
    route_index_release(rix);
    rating_deck_release(cdeck);
    route_world_release(world);
    return rc;
}
