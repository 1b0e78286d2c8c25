/*
 * route_world.c: the lookup's snapshot of the carrier hierarchy (see
 * route_world.h). Everything a snapshot holds lives in one arena freed
 * with it; arrays are sorted by id and searched with bsearch.
 */
#include "route_world.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../db/plan_cache.h"
#include "../rating/ingress_match.h"
#include "../rating/rating_engine.h"
#include "../system/ticker.h"
#include "route_index.h"

__extension__ typedef __int128 i128;

/* ---- the arena ---- */

typedef struct arena_block {
    struct arena_block *next;
    size_t used, size;
    max_align_t data[];
} arena_block;

struct world_data {
    arena_block *arena;
    world_service *services;        /* by id */
    size_t nservices;
    const world_service **by_ingress; /* by (ingress_ic, priority desc, id) */
    world_interconnect *ics;        /* by id */
    size_t nics;
    const world_interconnect **members; /* live egress with a group, by (group, id) */
    size_t nmembers;
    struct world_blacklist *blacklists; /* live, by id */
    size_t nblacklists;
    struct world_rate *rates;       /* currencies with a rate in force, by code */
    size_t nrates;
};

typedef struct world_rate {
    char code[4];
    i128 per_usd;               /* units per 1 USD, x 10^12 */
} world_rate;

#define PER_USD_SCALE ((i128)1000000000000LL)

typedef struct world_blacklist {
    long long id;
    const char *name;
    char **numbers;                 /* normalised: no leading + or 00 */
    size_t nnumbers;
    char **prefixes;
    size_t nprefixes;
} world_blacklist;

typedef struct world_data world_data;

static void *arena_alloc(world_data *w, size_t n)
{
    n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    arena_block *b = w->arena;
    if (!b || b->size - b->used < n) {
        size_t size = n > 65536 ? n : 65536;
        b = malloc(sizeof *b + size);
        if (!b)
            return NULL;
        b->next = w->arena;
        b->used = 0;
        b->size = size;
        w->arena = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += n;
    return p;
}

static const char *arena_str(world_data *w, const char *s, bool *ok)
{
    size_t n = strlen(s) + 1;
    char *p = arena_alloc(w, n);
    if (!p) {
        *ok = false;
        return "";
    }
    memcpy(p, s, n);
    return p;
}

static void world_free(void *value)
{
    world_data *w = value;
    if (!w)
        return;
    for (arena_block *b = w->arena, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    free(w);
}

/* ---- loading ---- */

static long long json_id(json_t *v)
{
    if (json_is_integer(v))
        return (long long)json_integer_value(v);
    if (json_is_string(v)) {
        char *end;
        long long x = strtoll(json_string_value(v), &end, 10);
        return *end ? 0 : x;
    }
    return 0;
}

/* Blacklist ids from a JSON array (numbers or numeric strings) and
 * exception prefixes from another; anything else counts as empty. */
static bool load_lists(world_data *w, json_t *ids, json_t *exceptions, world_lists *out)
{
    memset(out, 0, sizeof *out);
    size_t n = json_is_array(ids) ? json_array_size(ids) : 0;
    if (n && !(out->ids = arena_alloc(w, n * sizeof *out->ids)))
        return false;
    for (size_t i = 0; i < n; i++) {
        long long id = json_id(json_array_get(ids, i));
        if (id > 0)
            out->ids[out->nids++] = id;
    }
    n = json_is_array(exceptions) ? json_array_size(exceptions) : 0;
    if (n && !(out->exceptions = arena_alloc(w, n * sizeof *out->exceptions)))
        return false;
    bool ok = true;
    for (size_t i = 0; i < n; i++) {
        const char *e = json_string_value(json_array_get(exceptions, i));
        if (e)
            out->exceptions[out->nexceptions++] = (char *)arena_str(w, e, &ok);
    }
    return ok;
}

static bool load_strings(world_data *w, const char *text, char ***out, size_t *n, bool normalise)
{
    *out = NULL;
    *n = 0;
    json_t *a = json_loads(text, 0, NULL);
    size_t k = json_is_array(a) ? json_array_size(a) : 0;
    bool ok = true;
    if (k && !(*out = arena_alloc(w, k * sizeof **out)))
        ok = false;
    for (size_t i = 0; ok && i < k; i++) {
        const char *s = json_string_value(json_array_get(a, i));
        if (!s)
            continue;
        if (normalise && s[0] == '+')
            s++;
        else if (normalise && s[0] == '0' && s[1] == '0')
            s += 2;
        (*out)[(*n)++] = (char *)arena_str(w, s, &ok);
    }
    json_decref(a);
    return ok;
}

static PGresult *query(PGconn *db, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("routing: loading the lookup snapshot: %s", PQerrorMessage(db));
        snprintf(err, errlen, "database error");
        PQclear(r);
        return NULL;
    }
    return r;
}

#define V(row, col) PQgetvalue(r, row, col)

static bool load_services(world_data *w, PGconn *db, char *err, size_t errlen)
{
    PGresult *r = query(db,
        "SELECT s.id, s.carrier_id, s.rating_plan_id, coalesce(rp.id, 0), s.routing_method = 'interconnect',"
        " coalesce(s.route_interconnect_id, 0), s.status = 'active', ca.timezone, ca.circular_routing,"
        " coalesce(rp.version, 0), coalesce(rp.mode, 'lcr'), coalesce(rp.lcr_delta, 0)::text,"
        " coalesce(rp.allow_negative_margin, false), s.interconnect_id, coalesce(s.tech_prefix, ''), s.priority,"
        " s.blacklists::text"
        " FROM services s JOIN carriers ca ON ca.id = s.carrier_id"
        " LEFT JOIN routing_plans rp ON rp.id = s.routing_plan_id AND rp.deleted_at IS NULL"
        " WHERE s.deleted_at IS NULL ORDER BY s.id",
        err, errlen);
    if (!r)
        return false;
    size_t n = (size_t)PQntuples(r);
    bool ok = true;
    w->services = n ? arena_alloc(w, n * sizeof *w->services) : NULL;
    w->by_ingress = n ? arena_alloc(w, n * sizeof *w->by_ingress) : NULL;
    if (n && (!w->services || !w->by_ingress))
        ok = false;
    for (size_t i = 0; ok && i < n; i++) {
        int k = (int)i;
        world_service *s = &w->services[i];
        memset(s, 0, sizeof *s);
        s->id = atoll(V(k, 0));
        s->carrier_id = atoll(V(k, 1));
        s->rating_plan = atoll(V(k, 2));
        s->routing_plan = atoll(V(k, 3));
        s->by_interconnect = V(k, 4)[0] == 't';
        s->route_ic = atoll(V(k, 5));
        s->active = V(k, 6)[0] == 't';
        s->tz = arena_str(w, V(k, 7), &ok);
        s->circular_ok = V(k, 8)[0] == 't';
        s->plan_version = atoll(V(k, 9));
        s->mode = arena_str(w, V(k, 10), &ok);
        s->lcr_delta = arena_str(w, V(k, 11), &ok);
        s->allow_negative = V(k, 12)[0] == 't';
        s->ingress_ic = atoll(V(k, 13));
        s->tech_prefix = arena_str(w, V(k, 14), &ok);
        s->priority = atoi(V(k, 15));
        json_t *bl = json_loads(V(k, 16), 0, NULL);
        ok = ok &&
             load_lists(w, json_object_get(bl, "destination_ids"), json_object_get(bl, "destination_exceptions"),
                        &s->destination) &&
             load_lists(w, json_object_get(bl, "origination_ids"), json_object_get(bl, "origination_exceptions"),
                        &s->origination);
        json_decref(bl);
        w->by_ingress[i] = s;
    }
    w->nservices = ok ? n : 0;
    PQclear(r);
    if (!ok)
        snprintf(err, errlen, "out of memory");
    return ok;
}

static bool load_interconnects(world_data *w, PGconn *db, char *err, size_t errlen)
{
    PGresult *r = query(db,
        "SELECT i.id, i.carrier_id, i.direction = 'egress', i.status, i.deleted_at IS NULL,"
        " coalesce(i.capacity, -1), coalesce(i.cps_limit, -1), coalesce(i.supplier_rating_plan_id, 0), ca.timezone,"
        " coalesce(i.egress_routing->'blacklist_ids', '[]')::text, coalesce(i.trunk_group_id, 0),"
        " EXISTS (SELECT 1 FROM trunk_groups g WHERE g.id = i.trunk_group_id AND g.deleted_at IS NULL),"
        " coalesce(i.tech_prefix, ''), to_json(i.signalling_ips)::text,"
        " coalesce(host(i.signalling_ips[1]::inet), ''), coalesce(family(i.signalling_ips[1]::inet) = 6, false)"
        " FROM interconnects i JOIN carriers ca ON ca.id = i.carrier_id ORDER BY i.id",
        err, errlen);
    if (!r)
        return false;
    size_t n = (size_t)PQntuples(r);
    bool ok = true;
    w->ics = n ? arena_alloc(w, n * sizeof *w->ics) : NULL;
    w->members = n ? arena_alloc(w, n * sizeof *w->members) : NULL;
    if (n && (!w->ics || !w->members))
        ok = false;
    for (size_t i = 0; ok && i < n; i++) {
        int k = (int)i;
        world_interconnect *x = &w->ics[i];
        memset(x, 0, sizeof *x);
        x->id = atoll(V(k, 0));
        x->carrier_id = atoll(V(k, 1));
        x->egress = V(k, 2)[0] == 't';
        x->status = arena_str(w, V(k, 3), &ok);
        x->live = V(k, 4)[0] == 't';
        x->capacity = atoi(V(k, 5));
        x->cps = atoi(V(k, 6));
        x->supplier_plan = atoll(V(k, 7));
        x->tz = arena_str(w, V(k, 8), &ok);
        json_t *ids = json_loads(V(k, 9), 0, NULL);
        ok = ok && load_lists(w, ids, NULL, &x->blacklists);
        json_decref(ids);
        x->trunk_group = atoll(V(k, 10));
        x->group_live = V(k, 11)[0] == 't';
        x->tech_prefix = arena_str(w, V(k, 12), &ok);
        x->first_host = arena_str(w, V(k, 14), &ok);
        x->first_v6 = V(k, 15)[0] == 't';
        char **ips = NULL;
        size_t nips = 0;
        ok = ok && load_strings(w, V(k, 13), &ips, &nips, false);
        if (ok && nips && !x->egress && x->live) {
            x->nets = arena_alloc(w, nips * sizeof *x->nets);
            ok = x->nets != NULL;
            for (size_t j = 0; ok && j < nips; j++)
                if (net_addr_parse(ips[j], strlen(ips[j]), &x->nets[x->nnets], true))
                    x->nnets++;
        }
        if (ok && x->live && x->egress && x->trunk_group)
            w->members[w->nmembers++] = x;
    }
    w->nics = ok ? n : 0;
    PQclear(r);
    if (!ok)
        snprintf(err, errlen, "out of memory");
    return ok;
}

static bool load_blacklists(world_data *w, PGconn *db, char *err, size_t errlen)
{
    PGresult *r = query(db,
        "SELECT id, name, to_json(numbers)::text, to_json(prefixes)::text FROM blacklists"
        " WHERE deleted_at IS NULL ORDER BY id",
        err, errlen);
    if (!r)
        return false;
    size_t n = (size_t)PQntuples(r);
    bool ok = true;
    w->blacklists = n ? arena_alloc(w, n * sizeof *w->blacklists) : NULL;
    if (n && !w->blacklists)
        ok = false;
    for (size_t i = 0; ok && i < n; i++) {
        int k = (int)i;
        world_blacklist *b = &w->blacklists[i];
        b->id = atoll(V(k, 0));
        b->name = arena_str(w, V(k, 1), &ok);
        ok = ok && load_strings(w, V(k, 2), &b->numbers, &b->nnumbers, true) &&
             load_strings(w, V(k, 3), &b->prefixes, &b->nprefixes, false);
    }
    w->nblacklists = ok ? n : 0;
    PQclear(r);
    if (!ok)
        snprintf(err, errlen, "out of memory");
    return ok;
}

/* "0.921187" (numeric(30,12) as text) -> x 10^12; false when not that. */
static bool parse_per_usd(const char *s, i128 *out)
{
    i128 v = 0;
    int decimals = -1;
    for (; *s; s++) {
        if (*s == '.' && decimals < 0) {
            decimals = 0;
            continue;
        }
        if (*s < '0' || *s > '9' || decimals >= 12 || v >= ((i128)1 << 70))
            return false;
        v = v * 10 + (*s - '0');
        if (decimals >= 0)
            decimals++;
    }
    for (int d = decimals < 0 ? 0 : decimals; d < 12; d++)
        v *= 10;
    *out = v;
    return v > 0 && v < ((i128)1 << 70); /* fx.set allows < 10^9 per USD: < 2^70 here */
}

static bool load_rates(world_data *w, PGconn *db, char *err, size_t errlen)
{
    PGresult *r = query(db,
        "SELECT c.code, CASE WHEN c.code = 'USD' THEN '1' ELSE (SELECT x.per_usd::text FROM fx_rate_row(c.code) x) END"
        " FROM currencies c ORDER BY c.code",
        err, errlen);
    if (!r)
        return false;
    size_t n = (size_t)PQntuples(r);
    w->rates = n ? arena_alloc(w, n * sizeof *w->rates) : NULL;
    bool ok = !n || w->rates;
    for (size_t i = 0; ok && i < n; i++) {
        world_rate *x = &w->rates[w->nrates];
        if (PQgetisnull(r, (int)i, 1) || strlen(V((int)i, 0)) != 3 || !parse_per_usd(V((int)i, 1), &x->per_usd))
            continue;
        memcpy(x->code, V((int)i, 0), 4);
        w->nrates++;
    }
    PQclear(r);
    if (!ok)
        snprintf(err, errlen, "out of memory");
    return ok;
}

static int by_ingress(const void *pa, const void *pb)
{
    const world_service *a = *(const world_service *const *)pa, *b = *(const world_service *const *)pb;
    if (a->ingress_ic != b->ingress_ic)
        return a->ingress_ic < b->ingress_ic ? -1 : 1;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static int by_group(const void *pa, const void *pb)
{
    const world_interconnect *a = *(const world_interconnect *const *)pa, *b = *(const world_interconnect *const *)pb;
    if (a->trunk_group != b->trunk_group)
        return a->trunk_group < b->trunk_group ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

static void *load(PGconn *db, long long key, long long *version, char *err, size_t errlen)
{
    (void)key;
    world_data *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bool ok = plan_cache_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err, errlen);
    if (ok)
        ok = load_services(w, db, err, errlen) && load_interconnects(w, db, err, errlen) &&
             load_blacklists(w, db, err, errlen) && load_rates(w, db, err, errlen);
    PQclear(PQexec(db, ok ? "COMMIT" : "ROLLBACK"));
    if (!ok) {
        world_free(w);
        return NULL;
    }
    if (w->nservices > 1) /* qsort wants a non-null base even for nothing */
        qsort(w->by_ingress, w->nservices, sizeof *w->by_ingress, by_ingress);
    if (w->nmembers > 1)
        qsort(w->members, w->nmembers, sizeof *w->members, by_group);
    *version = 0;
    return w;
}

/* ---- the cache: one value, key 1 ---- */

static plan_cache world_cache = PLAN_CACHE_INIT(load, world_free);

route_world *route_world_get(PGconn *db, char *err, size_t errlen)
{
    plan_cache_ref *ref = plan_cache_get(&world_cache, db, 1, 0, err, errlen);
    if (!ref)
        return NULL;
    /* The handle callers hold is the cache's reference itself. */
    return (route_world *)ref;
}

void route_world_release(route_world *w)
{
    plan_cache_release((plan_cache_ref *)w);
}

void route_world_invalidate(void)
{
    plan_cache_invalidate(&world_cache, 1);
}

static const world_data *value(const route_world *ref)
{
    return plan_cache_value((const plan_cache_ref *)ref);
}

/* ---- reading ---- */

static int cmp_service(const void *key, const void *el)
{
    long long id = *(const long long *)key, x = ((const world_service *)el)->id;
    return (id > x) - (id < x);
}

static int cmp_ic(const void *key, const void *el)
{
    long long id = *(const long long *)key, x = ((const world_interconnect *)el)->id;
    return (id > x) - (id < x);
}

const world_service *route_world_service(const route_world *ref, long long id)
{
    const world_data *w = value(ref);
    return w->nservices ? bsearch(&id, w->services, w->nservices, sizeof *w->services, cmp_service) : NULL;
}

const world_interconnect *route_world_interconnect(const route_world *ref, long long id)
{
    const world_data *w = value(ref);
    return w->nics ? bsearch(&id, w->ics, w->nics, sizeof *w->ics, cmp_ic) : NULL;
}

const world_interconnect *const *route_world_members(const route_world *ref, long long group, size_t *n)
{
    const world_data *w = value(ref);
    *n = 0;
    if (!w->nmembers)
        return NULL;
    size_t lo = 0, hi = w->nmembers;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->members[mid]->trunk_group < group)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < w->nmembers && w->members[end]->trunk_group == group)
        end++;
    *n = end - lo;
    return w->members + lo;
}

/* The services of ingress interconnect ic, by priority desc and id. */
static const world_service *const *services_of(const world_data *w, long long ic, size_t *n)
{
    *n = 0;
    if (!w->nservices)
        return NULL;
    size_t lo = 0, hi = w->nservices;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->by_ingress[mid]->ingress_ic < ic)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < w->nservices && w->by_ingress[end]->ingress_ic == ic)
        end++;
    *n = end - lo;
    return w->by_ingress + lo;
}

static void service_row(const void *ud, size_t i, service_candidate *out)
{
    const world_service *const *v = ud;
    *out = (service_candidate){ v[i]->id, v[i]->tech_prefix };
}

long long route_world_service_of(const route_world *ref, long long ic, const char *tp, char *why, size_t n)
{
    const world_data *w = value(ref);
    const world_interconnect *x = route_world_interconnect(ref, ic);
    if (!x || !x->live || x->egress) {
        snprintf(why, n, "ingress interconnect %lld does not exist", ic);
        return 0;
    }
    size_t ns;
    const world_service *const *v = services_of(w, ic, &ns);
    long k = ingress_service_pick(service_row, v, ns, ic, x->tech_prefix, tp, why, n);
    return k < 0 ? 0 : v[k]->id;
}

typedef struct {
    const world_interconnect **ics;
    int *masklen;
    const char *tp;
    const world_data *w;
} ip_scan;

static void ingress_row(const void *ud, size_t i, ingress_candidate *out)
{
    const ip_scan *s = ud;
    const world_interconnect *x = s->ics[i];
    bool takes = false;
    if (s->tp[0]) {
        size_t ns;
        const world_service *const *v = services_of(s->w, x->id, &ns);
        for (size_t k = 0; k < ns && !takes; k++)
            takes = !strcmp(v[k]->tech_prefix, s->tp);
    }
    *out = (ingress_candidate){ x->id, s->masklen[i], x->tech_prefix, takes };
}

long long route_world_ingress_by_ip(const route_world *ref, const char *ip, const char *tp, char *why, size_t n)
{
    const world_data *w = value(ref);
    net_addr a;
    if (!ip || !net_addr_parse(ip, strlen(ip), &a, false)) {
        snprintf(why, n, "no ingress interconnect has the address %.64s", ip ? ip : "");
        return 0;
    }
    /* The few interconnects holding the address (an address is on one
     * interconnect, rarely a handful): found by a scan of the ingress
     * networks, in id order as ingress_pick wants. */
    const world_interconnect *found[64];
    int masklen[64];
    size_t nf = 0;
    for (size_t i = 0; i < w->nics && nf < 64; i++) {
        const world_interconnect *x = &w->ics[i];
        int best = -1;
        for (size_t k = 0; k < x->nnets; k++)
            if (net_addr_contains(&x->nets[k], &a) && x->nets[k].bits > best)
                best = x->nets[k].bits;
        if (best >= 0) {
            found[nf] = x;
            masklen[nf++] = best;
        }
    }
    ip_scan s = { found, masklen, tp, w };
    return ingress_pick(ingress_row, &s, nf, ip, tp, why, n);
}

static int cmp_blacklist(const void *key, const void *el)
{
    long long id = *(const long long *)key, x = ((const world_blacklist *)el)->id;
    return (id > x) - (id < x);
}

const char *route_world_blacklisted(const route_world *ref, const world_lists *lists, const char *num)
{
    const world_data *w = value(ref);
    if (!num || !num[0] || !lists->nids || !w->nblacklists)
        return NULL;
    for (size_t i = 0; i < lists->nexceptions; i++)
        if (!strncmp(num, lists->exceptions[i], strlen(lists->exceptions[i])))
            return NULL;
    const world_blacklist *hit = NULL;
    for (size_t i = 0; i < lists->nids; i++) {
        const world_blacklist *b = bsearch(&lists->ids[i], w->blacklists, w->nblacklists, sizeof *w->blacklists,
                                           cmp_blacklist);
        if (!b || (hit && hit->id <= b->id))
            continue;
        bool match = false;
        for (size_t k = 0; k < b->nnumbers && !match; k++)
            match = !strcmp(b->numbers[k], num);
        for (size_t k = 0; k < b->nprefixes && !match; k++)
            match = !strncmp(num, b->prefixes[k], strlen(b->prefixes[k]));
        if (match)
            hit = b;
    }
    return hit ? hit->name : NULL;
}

static const world_rate *rate_of(const world_data *w, const char *code)
{
    size_t lo = 0, hi = w->nrates;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->rates[mid].code, code);
        if (!c)
            return &w->rates[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

bool route_world_convert(const route_world *ref, int64_t amount, const char *from, const char *to, int64_t *out)
{
    if (!strcmp(from, to)) {
        *out = amount;
        return true;
    }
    const world_data *w = value(ref);
    const world_rate *f = rate_of(w, from), *t = rate_of(w, to);
    if (!f || !t)
        return false;
    if (amount > (1LL << 56) || amount < -(1LL << 56))
        return false; /* 72 billion a minute: not a rate; keeps the product below 2^126 */
    i128 num = (i128)amount * t->per_usd;
    i128 q = num / f->per_usd, rem = num % f->per_usd;
    if (2 * (rem < 0 ? -rem : rem) >= f->per_usd)
        q += num < 0 ? -1 : 1;
    if (q > INT64_MAX || q < INT64_MIN)
        return false;
    *out = (int64_t)q;
    return true;
}

size_t route_world_size(const route_world *ref)
{
    const world_data *w = value(ref);
    return w->nservices + w->nics + w->nblacklists;
}

/* ---- warming: loaded before a lookup needs it ---- */

/* The slow ticker lane, every second: the snapshot, and the rate decks and
 * route tables it names (customer plans of active services, their routing
 * plans at the snapshot's version, supplier plans of live egress
 * interconnects). What is loaded already costs a lock and a reference
 * each; what a change dropped is loaded again here within about a second,
 * on this lane's own connection, so a switch's lookups rarely wait for a
 * load (the first lookups after a start, or right after a change, may
 * still load it themselves: plan_cache makes them share one load). */
static int warm(void *ud, PGconn *db)
{
    (void)ud;
    char err[160];
    route_world *ref = route_world_get(db, err, sizeof err);
    if (!ref)
        return -1;
    const world_data *w = value(ref);
    for (size_t i = 0; i < w->nservices; i++) {
        const world_service *s = &w->services[i];
        if (!s->active)
            continue;
        rating_deck_release(rating_deck_get(db, s->rating_plan, err, sizeof err));
        if (s->routing_plan && !s->by_interconnect)
            route_index_release(route_index_get(db, s->routing_plan, s->plan_version, err, sizeof err));
    }
    for (size_t i = 0; i < w->nics; i++) {
        const world_interconnect *x = &w->ics[i];
        if (x->live && x->egress && x->supplier_plan)
            rating_deck_release(rating_deck_get(db, x->supplier_plan, err, sizeof err));
    }
    route_world_release(ref);
    return 0;
}

int route_world_init(void)
{
    return ticker_add_slow("routing.warm", 1000, warm, NULL);
}
