/*
 * cdr_ingest.c: cdr.ingest — a batch of CDRs parsed, resolved, rated and
 * stored, in one transaction.
 *
 * Work per batch, not per CDR:
 *   1. parse (cdr_parse): bad CDRs are rejected by index, the rest go on;
 *      an id repeated inside the batch is a duplicate of its first use;
 *   2. resolve: one query finds the interconnects whose signalling IPs
 *      hold the batch's ingress IPs, one reads every interconnect the batch
 *      names (with its carrier's time zone), one the services of the
 *      ingress ones; then each CDR is matched in memory;
 *   3. rate: one deck reference per rating plan, rating_rate per side;
 *   4. store: missing month partitions are created first (outside the
 *      transaction: that takes a lock writers wait for); then, in one
 *      transaction, the ids go into cdr_keys (ON CONFLICT DO NOTHING, in id
 *      order so that two batches sharing ids cannot deadlock), the ids that
 *      went in are COPYed into cdrs, the sinks see them, cdr.ingested is
 *      emitted, and it commits.
 * A CDR whose ingress, service, plan or rate cannot be found is stored
 * unrated with the reason; nothing valid is dropped.
 */
#include "cdrs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "../db/copy.h"
#include "ingress_match.h"
#include "rating_engine.h"
#include "strbuf.h"
#include "tariff.h"
#include "timeutil.h"

/* ---- a hash of strings owned elsewhere -> index ---- */

typedef struct {
    const char **keys;
    size_t *vals;
    size_t cap, n;
} strmap;

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static bool strmap_grow(strmap *m)
{
    size_t cap = m->cap ? m->cap * 2 : 1024;
    const char **keys = calloc(cap, sizeof *keys);
    size_t *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->keys[i])
            continue;
        size_t k = hash_str(m->keys[i]) & (cap - 1);
        while (keys[k])
            k = (k + 1) & (cap - 1);
        keys[k] = m->keys[i];
        vals[k] = m->vals[i];
    }
    free(m->keys);
    free(m->vals);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    return true;
}

/* The value of key, or SIZE_MAX. */
static size_t strmap_get(const strmap *m, const char *key)
{
    if (!m->cap)
        return SIZE_MAX;
    for (size_t k = hash_str(key) & (m->cap - 1); m->keys[k]; k = (k + 1) & (m->cap - 1))
        if (!strcmp(m->keys[k], key))
            return m->vals[k];
    return SIZE_MAX;
}

/* Add key (not present) -> val. False when out of memory. */
static bool strmap_put(strmap *m, const char *key, size_t val)
{
    if ((m->n + 1) * 2 > m->cap && !strmap_grow(m))
        return false;
    size_t k = hash_str(key) & (m->cap - 1);
    while (m->keys[k])
        k = (k + 1) & (m->cap - 1);
    m->keys[k] = key;
    m->vals[k] = val;
    m->n++;
    return true;
}

static void strmap_free(strmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ---- the batch ---- */

typedef struct {
    cdr_rated *v;              /* valid CDRs, first use of each id */
    size_t n, cap;
    strmap ids;                /* id -> index in v */
    json_t *rejected;          /* [{index, field, message}] */
    size_t duplicates;
    bool oom;
} batch;

static int on_cdr(void *ud, size_t index, bool ok, const cdr_record *rec, const char *field, const char *msg)
{
    batch *b = ud;
    if (!ok) {
        char message[256];
        if (field && field[0])
            snprintf(message, sizeof message, "%s %s", field, msg);
        else
            snprintf(message, sizeof message, "%s", msg);
        json_t *r = json_pack("{s:I, s:s, s:s}", "index", (json_int_t)index, "field", field ? field : "",
                              "message", message);
        if (!r || json_array_append_new(b->rejected, r)) {
            b->oom = true;
            return 1;
        }
        return 0;
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        cdr_rated *v = realloc(b->v, cap * sizeof *v);
        if (!v) {
            b->oom = true;
            return 1;
        }
        /* the map points into v: rebuild it */
        strmap_free(&b->ids);
        b->v = v;
        b->cap = cap;
        for (size_t i = 0; i < b->n; i++)
            if (!strmap_put(&b->ids, b->v[i].cdr.id, i)) {
                b->oom = true;
                return 1;
            }
    }
    if (strmap_get(&b->ids, rec->id) != SIZE_MAX) {
        b->duplicates++;
        return 0;
    }
    cdr_rated *r = &b->v[b->n];
    memset(r, 0, sizeof *r);
    r->cdr = *rec;
    if (!strmap_put(&b->ids, r->cdr.id, b->n)) {
        b->oom = true;
        return 1;
    }
    b->n++;
    return 0;
}

static void batch_free(batch *b)
{
    free(b->v);
    strmap_free(&b->ids);
    json_decref(b->rejected);
}

/* Parse params.cdrs (WebSocket, POST /rpc) or the uploaded body. */
static int batch_parse(rpc_call *c, batch *b)
{
    json_t *cdrs = json_object_get(c->params, "cdrs");
    if (c->upload) {
        if (cdrs)
            return rpc_field_error(c, "cdrs", "send the CDRs in the body, not as a param");
        int fd = open(c->upload->path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st)) {
            log_error("cdr.ingest: cannot read the upload %s", c->upload->path);
            if (fd >= 0)
                close(fd);
            return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        }
        char *body = NULL;
        if (st.st_size > 0) {
            body = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (body == MAP_FAILED) {
                close(fd);
                log_error("cdr.ingest: cannot map the upload %s", c->upload->path);
                return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
            }
            madvise(body, (size_t)st.st_size, MADV_SEQUENTIAL);
        }
        close(fd);
        char msg[256];
        int rc = cdr_parse_batch(body, (size_t)st.st_size, c->upload->gzip, on_cdr, b, msg, sizeof msg);
        if (body)
            munmap(body, (size_t)st.st_size);
        if (rc)
            return rpc_field_error(c, "body", msg);
    } else {
        if (!cdrs)
            return rpc_field_error(c, "cdrs", "is required");
        size_t i;
        json_t *el;
        json_array_foreach(cdrs, i, el) {
            cdr_record rec;
            char field[64], msg[160];
            bool ok = cdr_from_json(el, &rec, field, sizeof field, msg, sizeof msg);
            if (on_cdr(b, i, ok, ok ? &rec : NULL, ok ? NULL : field, ok ? NULL : msg))
                break;
        }
    }
    if (b->oom)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    return 0;
}

/* ---- resolution ---- */

typedef struct {
    long long id;
    bool live, ingress;
    long long carrier_id;
    long long supplier_plan;   /* 0: none */
    char tech_prefix[CDR_TECH_PREFIX_MAX + 1];
    char tz[64];
    size_t svc_first, svc_n;   /* its services (ingress) */
} ic_info;

typedef struct {
    long long id, interconnect_id, plan;
    char tech_prefix[CDR_TECH_PREFIX_MAX + 1];
} svc_info;

typedef struct {
    size_t ip;                 /* ordinal in the batch's distinct IPs */
    long long ic;
    int masklen;
} ip_match;

typedef struct {
    long long plan;
    rating_deck *deck;         /* NULL: err says why */
    char err[CDR_REASON_MAX];
} plan_deck;

typedef struct {
    ic_info *ics;
    size_t nics;
    svc_info *svcs;
    size_t nsvcs;
    strmap ips;                /* ingress_ip text -> ordinal */
    ip_match *matches;         /* sorted by ip ordinal */
    size_t nmatches;
    plan_deck *decks;          /* sorted by plan */
    size_t ndecks;
} network;

static void network_free(network *w)
{
    free(w->ics);
    free(w->svcs);
    strmap_free(&w->ips);
    free(w->matches);
    for (size_t i = 0; i < w->ndecks; i++)
        if (w->decks[i].deck)
            rating_deck_release(w->decks[i].deck);
    free(w->decks);
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

/* Drop repeats (a batch names the same few interconnects and plans
 * thousands of times), then sort what is left; returns the new count. */
static size_t unique_ll(long long *v, size_t n)
{
    size_t cap = 64;
    while (cap < 2 * n)
        cap *= 2;
    long long *set = calloc(cap, sizeof *set); /* 0 = empty: ids are >= 1 */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] <= 0)
            continue;
        if (!set) { /* out of memory: keep everything, sorting copes */
            v[k++] = v[i];
            continue;
        }
        size_t h = ((uint64_t)v[i] * 0x9E3779B97F4A7C15ULL) >> 20 & (cap - 1);
        while (set[h] && set[h] != v[i])
            h = (h + 1) & (cap - 1);
        if (!set[h]) {
            set[h] = v[i];
            v[k++] = v[i];
        }
    }
    free(set);
    qsort(v, k, sizeof *v, cmp_ll);
    size_t u = k ? 1 : 0;
    for (size_t i = 1; i < k; i++)
        if (v[i] != v[u - 1])
            v[u++] = v[i];
    return u;
}

/* "{1,2,3}" */
static void array_ll(copy_buf *t, const long long *v, size_t n)
{
    copy_char(t, '{');
    for (size_t i = 0; i < n; i++) {
        if (i)
            copy_char(t, ',');
        copy_int(t, v[i]);
    }
    copy_char(t, '}');
}

/* An element of a text[] literal, quoted. */
static void array_text_item(copy_buf *t, const char *s)
{
    copy_char(t, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            copy_char(t, '\\');
        copy_char(t, *s);
    }
    copy_char(t, '"');
}

static const ic_info *ic_find(const network *w, long long id)
{
    size_t lo = 0, hi = w->nics;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->ics[mid].id == id)
            return &w->ics[mid];
        if (w->ics[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static plan_deck *deck_find(const network *w, long long plan)
{
    size_t lo = 0, hi = w->ndecks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->decks[mid].plan == plan)
            return &w->decks[mid];
        if (w->decks[mid].plan < plan)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int cmp_match(const void *a, const void *b)
{
    const ip_match *x = a, *y = b;
    return x->ip < y->ip ? -1 : x->ip > y->ip ? 1 : (x->ic > y->ic) - (x->ic < y->ic);
}

/* Read what the batch refers to: interconnects (by id, and by the
 * signalling IPs that hold its ingress IPs), their carriers' time zones,
 * and the services of the ingress ones. */
static int network_load(rpc_call *c, const batch *b, network *w)
{
    int rc = -1;
    long long *ids = malloc((2 * b->n + 1) * sizeof *ids);
    const char **iplist = NULL;
    copy_buf t = { 0 };
    PGresult *r = NULL;
    size_t nids = 0, nips = 0;
    if (!ids)
        goto oom;
    for (size_t i = 0; i < b->n; i++) {
        const cdr_record *rec = &b->v[i].cdr;
        if (rec->ingress_interconnect_id)
            ids[nids++] = rec->ingress_interconnect_id;
        if (rec->egress_interconnect_id)
            ids[nids++] = rec->egress_interconnect_id;
        if (rec->ingress_ip[0] && strmap_get(&w->ips, rec->ingress_ip) == SIZE_MAX &&
            !strmap_put(&w->ips, rec->ingress_ip, w->ips.n))
            goto oom;
    }
    nips = w->ips.n;
    if (nips) {
        iplist = calloc(nips, sizeof *iplist);
        if (!iplist)
            goto oom;
        for (size_t k = 0; k < w->ips.cap; k++)
            if (w->ips.keys[k])
                iplist[w->ips.vals[k]] = w->ips.keys[k];
        copy_char(&t, '{');
        for (size_t k = 0; k < nips; k++) {
            if (k)
                copy_char(&t, ',');
            array_text_item(&t, iplist[k]);
        }
        copy_char(&t, '}');
        if (t.oom)
            goto oom;
        /* Every live ingress interconnect whose signalling IPs (addresses or
         * networks) contain an ingress IP, with the longest such mask. */
        r = rpc_query(c,
                      "SELECT q.n - 1, i.id, max(masklen(s.net::inet))"
                      " FROM unnest($1::inet[]) WITH ORDINALITY AS q(ip, n)"
                      " JOIN interconnects i ON i.direction = 'ingress' AND i.deleted_at IS NULL"
                      " CROSS JOIN LATERAL unnest(i.signalling_ips) AS s(net)"
                      " WHERE q.ip <<= s.net::inet GROUP BY 1, 2 ORDER BY 1, 2",
                      1, t.p);
        if (!r)
            goto out;
        w->nmatches = (size_t)PQntuples(r);
        w->matches = calloc(w->nmatches + 1, sizeof *w->matches);
        long long *more = realloc(ids, (2 * b->n + w->nmatches + 1) * sizeof *ids);
        if (!w->matches || !more)
            goto oom;
        ids = more;
        for (size_t k = 0; k < w->nmatches; k++) {
            w->matches[k].ip = (size_t)atoll(PQgetvalue(r, (int)k, 0));
            w->matches[k].ic = atoll(PQgetvalue(r, (int)k, 1));
            w->matches[k].masklen = atoi(PQgetvalue(r, (int)k, 2));
            ids[nids++] = w->matches[k].ic;
        }
        qsort(w->matches, w->nmatches, sizeof *w->matches, cmp_match);
        PQclear(r);
        r = NULL;
    }
    nids = unique_ll(ids, nids);
    if (nids == 0) {
        rc = 0;
        goto out;
    }
    t.len = 0;
    array_ll(&t, ids, nids);
    if (t.oom)
        goto oom;
    r = rpc_query(c,
                  "SELECT i.id, i.deleted_at IS NULL, i.direction = 'ingress', i.carrier_id,"
                  " coalesce(i.supplier_rating_plan_id, 0), coalesce(i.tech_prefix, ''), ca.timezone"
                  " FROM interconnects i JOIN carriers ca ON ca.id = i.carrier_id"
                  " WHERE i.id = ANY($1::bigint[]) ORDER BY i.id",
                  1, t.p);
    if (!r)
        goto out;
    w->nics = (size_t)PQntuples(r);
    w->ics = calloc(w->nics + 1, sizeof *w->ics);
    if (!w->ics)
        goto oom;
    for (size_t k = 0; k < w->nics; k++) {
        ic_info *ic = &w->ics[k];
        int row = (int)k;
        ic->id = atoll(PQgetvalue(r, row, 0));
        ic->live = PQgetvalue(r, row, 1)[0] == 't';
        ic->ingress = PQgetvalue(r, row, 2)[0] == 't';
        ic->carrier_id = atoll(PQgetvalue(r, row, 3));
        ic->supplier_plan = atoll(PQgetvalue(r, row, 4));
        snprintf(ic->tech_prefix, sizeof ic->tech_prefix, "%s", PQgetvalue(r, row, 5));
        snprintf(ic->tz, sizeof ic->tz, "%s", PQgetvalue(r, row, 6));
    }
    PQclear(r);
    /* Services of those interconnects, best first within each. */
    r = rpc_query(c,
                  "SELECT s.id, s.interconnect_id, s.rating_plan_id, coalesce(s.tech_prefix, '')"
                  " FROM services s WHERE s.interconnect_id = ANY($1::bigint[]) AND s.deleted_at IS NULL"
                  " ORDER BY s.interconnect_id, s.priority DESC, s.id",
                  1, t.p);
    if (!r)
        goto out;
    w->nsvcs = (size_t)PQntuples(r);
    w->svcs = calloc(w->nsvcs + 1, sizeof *w->svcs);
    if (!w->svcs)
        goto oom;
    for (size_t k = 0; k < w->nsvcs; k++) {
        svc_info *s = &w->svcs[k];
        int row = (int)k;
        s->id = atoll(PQgetvalue(r, row, 0));
        s->interconnect_id = atoll(PQgetvalue(r, row, 1));
        s->plan = atoll(PQgetvalue(r, row, 2));
        snprintf(s->tech_prefix, sizeof s->tech_prefix, "%s", PQgetvalue(r, row, 3));
        ic_info *ic = (ic_info *)ic_find(w, s->interconnect_id);
        if (ic) {
            if (ic->svc_n == 0)
                ic->svc_first = k;
            ic->svc_n++;
        }
    }
    rc = 0;
    goto out;
oom:
    rc = rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
out:
    PQclear(r);
    free(ids);
    free(iplist);
    free(t.p);
    return rc;
}

/* Does some service of ic have this tech prefix? */
static const svc_info *service_with_prefix(const network *w, const ic_info *ic, const char *tp)
{
    for (size_t k = 0; k < ic->svc_n; k++)
        if (!strcmp(w->svcs[ic->svc_first + k].tech_prefix, tp))
            return &w->svcs[ic->svc_first + k];
    return NULL;
}

/* The rules are ingress_match.h's, shared with route.lookup; these hand it
 * the batch's candidates. */
typedef struct {
    const network *w;
    size_t first;              /* the ordinal's first match */
    const char *tp;
} ip_scan;

static void ip_candidate(const void *ud, size_t i, ingress_candidate *out)
{
    const ip_scan *s = ud;
    const ip_match *m = &s->w->matches[s->first + i];
    const ic_info *ic = ic_find(s->w, m->ic);
    *out = (ingress_candidate){ ic ? ic->id : 0, m->masklen, ic ? ic->tech_prefix : "",
                                ic && s->tp[0] && service_with_prefix(s->w, ic, s->tp) };
}

/* The ingress interconnect of a CDR sent with ingress_ip (ingress_pick). */
static const ic_info *ingress_by_ip(const network *w, const cdr_record *rec, char *why, size_t n)
{
    size_t ord = strmap_get(&w->ips, rec->ingress_ip);
    size_t lo = 0, hi = w->nmatches;
    while (lo < hi) { /* first match of this ordinal */
        size_t mid = (lo + hi) / 2;
        if (w->matches[mid].ip < ord)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t count = 0;
    while (lo + count < w->nmatches && w->matches[lo + count].ip == ord)
        count++;
    ip_scan scan = { w, lo, rec->tech_prefix };
    long long id = ingress_pick(ip_candidate, &scan, count, rec->ingress_ip, rec->tech_prefix, why, n);
    return id ? ic_find(w, id) : NULL;
}

static void svc_candidate(const void *ud, size_t i, service_candidate *out)
{
    const svc_info *s = (const svc_info *)ud + i;
    *out = (service_candidate){ s->id, s->tech_prefix };
}

/* The service a CDR on ingress interconnect ic uses (ingress_service_pick). */
static const svc_info *service_of(const network *w, const ic_info *ic, const char *tp, char *why, size_t n)
{
    const svc_info *first = ic->svc_n ? &w->svcs[ic->svc_first] : NULL;
    long k = ingress_service_pick(svc_candidate, first, ic->svc_n, ic->id, ic->tech_prefix, tp, why, n);
    return k < 0 ? NULL : first + k;
}

/* Customer side: ingress interconnect and service; supplier side: the
 * egress interconnect. Sets plan ids and carriers, or the reasons. */
static void resolve(const network *w, cdr_rated *r, const char **cust_tz, const char **supp_tz)
{
    cdr_record *rec = &r->cdr;
    const ic_info *ic = NULL;
    *cust_tz = *supp_tz = NULL;
    if (rec->ingress_interconnect_id) {
        ic = ic_find(w, rec->ingress_interconnect_id);
        if (!ic || !ic->live) {
            snprintf(r->customer.reason, sizeof r->customer.reason, "ingress interconnect %lld does not exist",
                     (long long)rec->ingress_interconnect_id);
            ic = NULL;
        } else if (!ic->ingress) {
            snprintf(r->customer.reason, sizeof r->customer.reason, "interconnect %lld is not an ingress interconnect",
                     (long long)rec->ingress_interconnect_id);
            ic = NULL;
        }
    } else {
        ic = ingress_by_ip(w, rec, r->customer.reason, sizeof r->customer.reason);
        if (ic)
            rec->ingress_interconnect_id = ic->id;
    }
    if (ic) {
        r->customer.carrier_id = ic->carrier_id;
        r->customer.interconnect_id = ic->id;
        *cust_tz = ic->tz;
        const svc_info *s = service_of(w, ic, rec->tech_prefix, r->customer.reason, sizeof r->customer.reason);
        if (s) {
            r->service_id = s->id;
            r->customer.rating_plan_id = s->plan;
        }
    }
    if (!rec->egress_interconnect_id) {
        snprintf(r->supplier.reason, sizeof r->supplier.reason, "no egress interconnect");
        return;
    }
    const ic_info *eg = ic_find(w, rec->egress_interconnect_id);
    r->supplier.interconnect_id = rec->egress_interconnect_id;
    if (!eg || !eg->live) {
        snprintf(r->supplier.reason, sizeof r->supplier.reason, "egress interconnect %lld does not exist",
                 (long long)rec->egress_interconnect_id);
        return;
    }
    if (eg->ingress) {
        snprintf(r->supplier.reason, sizeof r->supplier.reason, "interconnect %lld is not an egress interconnect",
                 eg->id);
        return;
    }
    r->supplier.carrier_id = eg->carrier_id;
    *supp_tz = eg->tz;
    if (!eg->supplier_plan) {
        snprintf(r->supplier.reason, sizeof r->supplier.reason, "egress interconnect %lld has no supplier rating plan",
                 eg->id);
        return;
    }
    r->supplier.rating_plan_id = eg->supplier_plan;
}

/* One deck reference per plan the batch uses. */
static int decks_load(rpc_call *c, const batch *b, network *w)
{
    long long *plans = malloc((2 * b->n + 1) * sizeof *plans);
    if (!plans)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    size_t n = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (b->v[i].customer.rating_plan_id)
            plans[n++] = b->v[i].customer.rating_plan_id;
        if (b->v[i].supplier.rating_plan_id)
            plans[n++] = b->v[i].supplier.rating_plan_id;
    }
    n = unique_ll(plans, n);
    w->decks = calloc(n + 1, sizeof *w->decks);
    if (!w->decks) {
        free(plans);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    }
    for (size_t k = 0; k < n; k++) {
        plan_deck *d = &w->decks[k];
        d->plan = plans[k];
        char err[CDR_REASON_MAX - 40] = "";
        d->deck = rating_deck_get(c->db, plans[k], err, sizeof err);
        if (!d->deck)
            snprintf(d->err, sizeof d->err, "rating plan %lld: %s", plans[k], err[0] ? err : "cannot be loaded");
        w->ndecks++;
    }
    free(plans);
    return 0;
}

/* strlcpy: snprintf("%s") costs more than the rating it reports. */
static void copy_str(char *dst, size_t n, const char *src)
{
    size_t len = strnlen(src, n - 1);
    memcpy(dst, src, len);
    dst[len] = '\0';
}

static void rate_side(const network *w, const cdr_record *rec, cdr_side *side, const char *tz)
{
    if (!side->rating_plan_id)
        return; /* the reason is set */
    const plan_deck *d = deck_find(w, side->rating_plan_id);
    if (!d || !d->deck) {
        copy_str(side->reason, sizeof side->reason, d ? d->err : "no rating plan");
        return;
    }
    rating_result res;
    rating_rate(d->deck, rec->callee, rec->start_time, rec->answered, rec->answer_time, rec->end_time, tz, &res);
    if (!res.rated) {
        copy_str(side->reason, sizeof side->reason, res.reason);
        return;
    }
    side->rated = true;
    copy_str(side->prefix, sizeof side->prefix, res.prefix);
    copy_str(side->destination, sizeof side->destination, res.destination);
    side->rate = res.rate;
    side->billed = res.billed;
    side->cost = res.cost;
    copy_str(side->currency, sizeof side->currency, res.currency[0] ? res.currency : rating_deck_currency(d->deck));
}

/* Rate both sides of every CDR (tz: two time zones per CDR, from
 * resolve) and work out the margin. */
static void rate_all(const network *w, batch *b, const char *const *tz)
{
    for (size_t i = 0; i < b->n; i++) {
        cdr_rated *r = &b->v[i];
        rate_side(w, &r->cdr, &r->customer, tz[2 * i]);
        rate_side(w, &r->cdr, &r->supplier, tz[2 * i + 1]);
        if (!r->customer.rated)
            r->margin_reason = "the customer side is not rated";
        else if (!r->supplier.rated)
            r->margin_reason = "the supplier side is not rated";
        else if (strcmp(r->customer.currency, r->supplier.currency))
            r->margin_reason = "mixed currencies (FX arrives with the ledger)";
        else if (!money_add(r->customer.cost, -r->supplier.cost, &r->margin))
            r->margin_reason = "the margin overflows";
        else
            r->has_margin = true;
    }
}

/* ---- storing ---- */

static void copy_side(copy_buf *t, const cdr_side *s)
{
    copy_id(t, s->rating_plan_id);
    copy_col(t);
    if (s->rated) {
        copy_text(t, s->prefix);
        copy_col(t);
        copy_opt(t, s->destination);
        copy_col(t);
        copy_money(t, s->rate);
        copy_col(t);
        copy_int(t, (long long)s->billed);
        copy_col(t);
        copy_money(t, s->cost);
        copy_col(t);
        copy_text(t, s->currency);
        copy_col(t);
        copy_puts(t, "t\t\\N");
    } else {
        copy_puts(t, "\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tf\t");
        copy_opt(t, s->reason);
    }
}

#define COPY_SQL \
    "COPY cdrs (id, start_time, answer_time, end_time, answered, duration, caller, callee, release_cause, pdd_ms," \
    " ingress_interconnect_id, ingress_ip, tech_prefix, service_id, customer_carrier_id, egress_interconnect_id," \
    " supplier_carrier_id, customer_rating_plan_id, customer_prefix, customer_destination, customer_rate," \
    " customer_billed, customer_cost, customer_currency, customer_rated, customer_reason, supplier_rating_plan_id," \
    " supplier_prefix, supplier_destination, supplier_rate, supplier_billed, supplier_cost, supplier_currency," \
    " supplier_rated, supplier_reason, margin, margin_reason) FROM STDIN"

static void copy_row(copy_buf *t, const cdr_rated *r)
{
    const cdr_record *c = &r->cdr;
    copy_text(t, c->id);
    copy_col(t);
    copy_time(t, c->start_time);
    copy_col(t);
    if (c->answered)
        copy_time(t, c->answer_time);
    else
        copy_null(t);
    copy_col(t);
    copy_time(t, c->end_time);
    copy_col(t);
    copy_char(t, c->answered ? 't' : 'f');
    copy_col(t);
    copy_int(t, (long long)r->duration);
    copy_col(t);
    copy_text(t, c->caller);
    copy_col(t);
    copy_text(t, c->callee);
    copy_col(t);
    copy_int(t, c->release_cause);
    copy_col(t);
    if (c->pdd_ms >= 0)
        copy_int(t, c->pdd_ms);
    else
        copy_null(t);
    copy_col(t);
    copy_id(t, c->ingress_interconnect_id);
    copy_col(t);
    copy_opt(t, c->ingress_ip);
    copy_col(t);
    copy_opt(t, c->tech_prefix);
    copy_col(t);
    copy_id(t, r->service_id);
    copy_col(t);
    copy_id(t, r->customer.carrier_id);
    copy_col(t);
    copy_id(t, c->egress_interconnect_id);
    copy_col(t);
    copy_id(t, r->supplier.carrier_id);
    copy_col(t);
    copy_side(t, &r->customer);
    copy_col(t);
    copy_side(t, &r->supplier);
    copy_col(t);
    if (r->has_margin)
        copy_money(t, r->margin);
    else
        copy_null(t);
    copy_col(t);
    copy_opt(t, r->margin_reason);
    copy_char(t, '\n');
}


static void fill_cdr(const void *ud, size_t i, copy_buf *t)
{
    copy_row(t, &((const cdr_rated *)ud)[i]);
}

typedef struct {
    const batch *b;
    const size_t *order;       /* indexes into b->v by id */
} key_rows;

static void fill_key(const void *ud, size_t i, copy_buf *t)
{
    const key_rows *k = ud;
    const cdr_record *rec = &k->b->v[k->order[i]].cdr;
    copy_text(t, rec->id);
    copy_col(t);
    copy_time(t, rec->start_time);
    copy_char(t, '\n');
}

static int by_id(const void *a, const void *b, void *base)
{
    const cdr_rated *v = base;
    return strcmp(v[*(const size_t *)a].cdr.id, v[*(const size_t *)b].cdr.id);
}

/* The slow path of claim_ids, when some ids are stored already: insert
 * with ON CONFLICT DO NOTHING and read back which went in. */
static long long claim_ids_one_by_one(rpc_call *c, batch *b, const size_t *order, bool *stored)
{
    copy_buf ids = { 0 }, times = { 0 };
    copy_char(&ids, '{');
    copy_char(&times, '{');
    for (size_t k = 0; k < b->n; k++) {
        if (k) {
            copy_char(&ids, ',');
            copy_char(&times, ',');
        }
        array_text_item(&ids, b->v[order[k]].cdr.id);
        copy_time(&times, b->v[order[k]].cdr.start_time);
    }
    copy_char(&ids, '}');
    copy_char(&times, '}');
    long long n = -1;
    if (ids.oom || times.oom) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    /* WITH ORDINALITY keeps the id order of the arrays for the inserts. */
    PGresult *r = rpc_query(c,
                            "INSERT INTO cdr_keys (id, start_time)"
                            " SELECT k.id, k.t FROM unnest($1::text[], $2::timestamptz[]) WITH ORDINALITY AS k(id, t, n)"
                            " ORDER BY k.n ON CONFLICT (id) DO NOTHING RETURNING id",
                            2, ids.p, times.p);
    if (!r)
        goto out;
    n = PQntuples(r);
    for (int k = 0; k < (int)n; k++) {
        size_t i = strmap_get(&b->ids, PQgetvalue(r, k, 0));
        if (i < b->n)
            stored[i] = true;
    }
    PQclear(r);
out:
    free(ids.p);
    free(times.p);
    return n;
}

/* Claim the batch's ids in cdr_keys; mark which went in (the others were
 * stored before). In id order, so that two batches sharing ids take their
 * locks in the same order and cannot deadlock. The usual batch has no id
 * seen before: one COPY claims them all; when it meets a stored id it is
 * undone (savepoint) and the ids go in one by one. Returns how many went
 * in, or -1. */
static long long claim_ids(rpc_call *c, batch *b, bool *stored)
{
    size_t *order = malloc(b->n * sizeof *order);
    if (!order)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    bool sorted = true;
    for (size_t i = 0; i < b->n; i++) {
        order[i] = i;
        if (i && sorted && strcmp(b->v[i - 1].cdr.id, b->v[i].cdr.id) > 0)
            sorted = false;
    }
    if (!sorted) /* switches usually number their CDRs in order already */
        qsort_r(order, b->n, sizeof *order, by_id, b->v); /* byte order: the C collation's */
    long long n = -1;
    PGresult *r = rpc_query(c, "SAVEPOINT claim_ids", 0);
    if (!r)
        goto out;
    PQclear(r);
    bool taken = false;
    key_rows rows = { b, order };
    if (rpc_copy_in(c, "COPY cdr_keys (id, start_time) FROM STDIN", b->n, fill_key, &rows, &taken) == 0) {
        r = rpc_query(c, "RELEASE SAVEPOINT claim_ids", 0);
        if (r) {
            for (size_t i = 0; i < b->n; i++)
                stored[i] = true;
            n = (long long)b->n;
        }
        PQclear(r);
    } else if (taken) {
        r = rpc_query(c, "ROLLBACK TO SAVEPOINT claim_ids", 0);
        if (r) {
            PQclear(r);
            n = claim_ids_one_by_one(c, b, order, stored);
        }
    }
out:
    free(order);
    return n;
}

int cdr_ingest(rpc_call *c)
{
    batch b = { .rejected = json_array() };
    network w = { 0 };
    bool *stored = NULL;
    int64_t *starts = NULL;
    const char **tz = NULL;
    size_t accepted = 0;
    int rc = -1;
    if (!b.rejected) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        goto out;
    }
    int64_t t_start = time_mono_usec(), t_parsed = 0, t_rated = 0, t_claimed = 0, t_copied = 0;
    if (batch_parse(c, &b))
        goto out;
    t_parsed = time_mono_usec();

    /* Resolve, load decks and rate before the transaction: loading a deck
     * reads its plan's rates, which is no part of storing this batch. */
    if (b.n) {
        stored = calloc(b.n, sizeof *stored);
        starts = malloc(b.n * sizeof *starts);
        tz = calloc(2 * b.n, sizeof *tz);
        if (!stored || !starts || !tz) {
            rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
            goto out;
        }
        if (network_load(c, &b, &w))
            goto out;
        for (size_t i = 0; i < b.n; i++) {
            b.v[i].duration = tariff_call_duration(b.v[i].cdr.answered, b.v[i].cdr.answer_time, b.v[i].cdr.end_time);
            resolve(&w, &b.v[i], &tz[2 * i], &tz[2 * i + 1]);
            starts[i] = b.v[i].cdr.start_time;
        }
        if (decks_load(c, &b, &w))
            goto out;
        rate_all(&w, &b, tz);
        if (cdr_partitions_prepare(c, starts, b.n))
            goto out;
    }
    t_rated = time_mono_usec();

    if (rpc_begin(c))
        goto out;
    if (b.n) {
        if (claim_ids(c, &b, stored) < 0)
            goto rollback;
        t_claimed = time_mono_usec();
        /* Keep the stored ones, in batch order, at the front. */
        for (size_t i = 0; i < b.n; i++)
            if (stored[i]) {
                if (accepted != i)
                    b.v[accepted] = b.v[i];
                accepted++;
            }
        b.duplicates += b.n - accepted;
        if (accepted && rpc_copy_in(c, COPY_SQL, accepted, fill_cdr, b.v, NULL))
            goto rollback;
        t_copied = time_mono_usec();
        if (cdr_sinks_dispatch(c, b.v, accepted))
            goto rollback;
    }
    json_t *event = json_pack("{s:I, s:I, s:I}", "accepted", (json_int_t)accepted, "duplicates",
                              (json_int_t)b.duplicates, "rejected", (json_int_t)json_array_size(b.rejected));
    int emitted = rpc_emit(c, "cdr.ingested", event, 0);
    json_decref(event);
    if (emitted || rpc_commit(c))
        goto rollback;
    log_debug("cdr.ingest: %zu CDRs: parse %lld ms, resolve and rate %lld ms, keys %lld ms, copy %lld ms,"
              " sinks and commit %lld ms", b.n, (long long)(t_parsed - t_start) / 1000,
              (long long)(t_rated - t_parsed) / 1000, (long long)(t_claimed - t_rated) / 1000,
              (long long)(t_copied - t_claimed) / 1000, (long long)(time_mono_usec() - t_copied) / 1000);
    c->result = json_pack("{s:I, s:I, s:O}", "accepted", (json_int_t)accepted, "duplicates",
                          (json_int_t)b.duplicates, "rejected", b.rejected);
    rc = c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    goto out;
rollback:
    rpc_rollback(c);
out:
    free(stored);
    free(starts);
    free(tz);
    network_free(&w);
    batch_free(&b);
    return rc;
}
