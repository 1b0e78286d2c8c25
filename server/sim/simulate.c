/*
 * simulate.c: `didtrond simulate` (simulate.h, docs/monitoring.md).
 *
 * Once a second (real time) the simulator makes cps * speed * elapsed
 * calls (the fraction carried to the next round), each ending now minus
 * up to a second, and posts them as one JSON array to POST /api/v1/cdrs.
 * Scenario time runs `speed` times faster than real time: events at
 * minute m happen after m * 60 / speed real seconds. Call durations stay
 * real durations (the server rates them).
 *
 * Names in the scenario (interconnects, services) are resolved once at
 * start through JSON-RPC over HTTP (POST /rpc) with the same token.
 */
#include "simulate.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "timeutil.h"
#include "../net/http_client.h"

/* ---- the generator: xorshift64* (Vigna), seeded through splitmix64 ---- */

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    r->s = (z ^ (z >> 31)) | 1;
}

uint64_t sim_rng_next(sim_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

double sim_rng_uniform(sim_rng *r)
{
    return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double rng_normal(sim_rng *r)
{
    double u = sim_rng_uniform(r), v = sim_rng_uniform(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(2.0 * M_PI * v);
}

static int pick(sim_rng *r, const double *weights, size_t stride, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += *(const double *)((const char *)weights + stride * (size_t)i);
    double x = sim_rng_uniform(r) * total;
    for (int i = 0; i < n; i++) {
        x -= *(const double *)((const char *)weights + stride * (size_t)i);
        if (x < 0)
            return i;
    }
    return n - 1;
}

/* ---- the scenario ---- */

#define FAIL(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static int num(json_t *o, const char *key, double lo, double hi, double dflt, double *out, const char *path,
               char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (isnan(dflt))
            return FAIL("%s%s is required", path, key);
        *out = dflt;
        return 0;
    }
    if (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)
        return FAIL("%s%s must be a number from %g to %g", path, key, lo, hi);
    *out = json_number_value(v);
    return 0;
}

static int ref(json_t *o, const char *key, json_t **out, const char *path, char *err, size_t errlen)
{
    json_t *v = json_object_get(o, key);
    if (!(json_is_integer(v) && json_integer_value(v) > 0) &&
        !(json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < SIM_NAME_MAX))
        return FAIL("%s%s must be an id (a positive integer) or a name", path, key);
    *out = v;
    return 0;
}

static bool digits_only(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

typedef int (*entry_parser)(json_t *e, sim_scenario *sc, const char *path, char *err, size_t errlen);

/* A top-level list of the scenario: an array of 1 to SIM_MAX_ITEMS
 * objects, each handed to parse with the path ("name[i].") its fields'
 * errors start with. */
static int parse_list(json_t *a, const char *name, entry_parser parse, sim_scenario *sc, char *err, size_t errlen)
{
    if (!json_is_array(a) || json_array_size(a) < 1 || json_array_size(a) > SIM_MAX_ITEMS)
        return FAIL("%s must be an array of 1 to %d entries", name, SIM_MAX_ITEMS);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        char path[48];
        snprintf(path, sizeof path, "%s[%zu].", name, i);
        if (!json_is_object(e))
            return FAIL("%s[%zu] must be an object", name, i);
        if (parse(e, sc, path, err, errlen))
            return -1;
    }
    return 0;
}

static int parse_ingress(json_t *e, sim_scenario *sc, const char *path, char *err, size_t errlen)
{
    sim_ingress *g = &sc->ingress[sc->ningress++];
    bool svc = json_object_get(e, "service") != NULL;
    if (ref(e, svc ? "service" : "interconnect", &g->ref, path, err, errlen))
        return -1;
    if (svc && !json_is_integer(g->ref))
        return FAIL("%sservice must be a service id (service names are not unique)", path);
    if (num(e, "weight", 0.000001, 1e6, 1, &g->weight, path, err, errlen))
        return -1;
    json_t *tp = json_object_get(e, "tech_prefix");
    if (tp && (!json_is_string(tp) || json_string_length(tp) < 1 || json_string_length(tp) > 16))
        return FAIL("%stech_prefix must be 1 to 16 characters", path);
    if (tp)
        snprintf(g->tech_prefix, sizeof g->tech_prefix, "%s", json_string_value(tp));
    /* service: interconnect and prefix resolved at start (sim_run) */
    g->id = svc ? -(long long)json_integer_value(g->ref) : 0;
    return 0;
}

static int parse_destination(json_t *e, sim_scenario *sc, const char *path, char *err, size_t errlen)
{
    sim_destination *d = &sc->dest[sc->ndest++];
    json_t *name = json_object_get(e, "name");
    snprintf(d->name, sizeof d->name, "%s", json_is_string(name) ? json_string_value(name) : "");
    json_t *ps = json_object_get(e, "prefixes");
    if (!json_is_array(ps) || json_array_size(ps) < 1 || json_array_size(ps) > 8)
        return FAIL("%sprefixes must be an array of 1 to 8 prefixes", path);
    size_t k;
    json_t *p;
    json_array_foreach(ps, k, p) {
        if (!json_is_string(p) || json_string_length(p) > 15 || !digits_only(json_string_value(p)))
            return FAIL("%sprefixes[%zu] must be 1 to 15 digits", path, k);
        snprintf(d->prefixes[d->nprefixes++], sizeof d->prefixes[0], "%s", json_string_value(p));
    }
    double digits, w;
    if (num(e, "digits", 4, 15, 12, &digits, path, err, errlen) ||
        num(e, "weight", 0.000001, 1e6, 1, &w, path, err, errlen))
        return -1;
    d->digits = (int)digits;
    d->weight = w;
    return 0;
}

static int parse_acd(json_t *e, sim_supplier *s, const char *path, char *err, size_t errlen)
{
    json_t *acd = json_object_get(e, "acd");
    s->acd_dist = SIM_EXPONENTIAL;
    s->acd_sigma = 1.0;
    if (json_is_number(acd))
        return num(e, "acd", 1, 86400, NAN, &s->acd_mean, path, err, errlen);
    if (!json_is_object(acd))
        return FAIL("%sacd must be a number of seconds or {distribution, mean, sigma}", path);
    char sub[128];
    snprintf(sub, sizeof sub, "%sacd.", path);
    json_t *d = json_object_get(acd, "distribution");
    if (d && !(json_is_string(d) && (!strcmp(json_string_value(d), "exponential") ||
                                     !strcmp(json_string_value(d), "lognormal"))))
        return FAIL("%sdistribution must be \"exponential\" or \"lognormal\"", sub);
    if (d && !strcmp(json_string_value(d), "lognormal"))
        s->acd_dist = SIM_LOGNORMAL;
    return num(acd, "mean", 1, 86400, NAN, &s->acd_mean, sub, err, errlen) ||
           num(acd, "sigma", 0.05, 3, 1.0, &s->acd_sigma, sub, err, errlen);
}

static int parse_supplier(json_t *e, sim_scenario *sc, const char *path, char *err, size_t errlen)
{
    sim_supplier *s = &sc->sup[sc->nsup++];
    if (ref(e, "interconnect", &s->ref, path, err, errlen) ||
        num(e, "weight", 0.000001, 1e6, 1, &s->weight, path, err, errlen) ||
        num(e, "asr", 0, 1, NAN, &s->asr, path, err, errlen) || parse_acd(e, s, path, err, errlen))
        return -1;
    json_t *pdd = json_object_get(e, "pdd_ms");
    s->pdd_mean = 2500;
    s->pdd_spread = 800;
    if (pdd) {
        char sub[128];
        snprintf(sub, sizeof sub, "%spdd_ms.", path);
        if (!json_is_object(pdd))
            return FAIL("%spdd_ms must be {mean, spread}", path);
        if (num(pdd, "mean", 0, 60000, NAN, &s->pdd_mean, sub, err, errlen) ||
            num(pdd, "spread", 0, 60000, 0, &s->pdd_spread, sub, err, errlen))
            return -1;
    }
    json_t *fc = json_object_get(e, "failures");
    if (!fc) {
        static const sim_cause dflt[] = { { 486, 30 }, { 17, 10 }, { 480, 20 }, { 487, 15 },
                                          { 503, 15 }, { 34, 5 }, { 404, 5 } };
        memcpy(s->causes, dflt, sizeof dflt);
        s->ncauses = (int)(sizeof dflt / sizeof dflt[0]);
        return 0;
    }
    if (!json_is_array(fc) || json_array_size(fc) < 1 || json_array_size(fc) > 16)
        return FAIL("%sfailures must be an array of 1 to 16 {cause, weight}", path);
    size_t k;
    json_t *f;
    json_array_foreach(fc, k, f) {
        char sub[128];
        snprintf(sub, sizeof sub, "%sfailures[%zu].", path, k);
        double cause, w;
        json_t *cv = json_object_get(f, "cause");
        if (!json_is_integer(cv))
            return FAIL("%scause must be a Q.850 cause (1..127) or a SIP code (300..699)", sub);
        if (num(f, "cause", 1, 699, NAN, &cause, sub, err, errlen) ||
            num(f, "weight", 0.000001, 1e6, 1, &w, sub, err, errlen))
            return -1;
        if ((cause > 127 && cause < 300) || cause == 16)
            return FAIL("%scause must be a Q.850 cause (1..127, not 16) or a SIP failure code (300..699)", sub);
        s->causes[s->ncauses++] = (sim_cause){ (int)cause, w };
    }
    return 0;
}

static int supplier_index(const sim_scenario *sc, json_t *v)
{
    for (int i = 0; i < sc->nsup; i++)
        if (json_equal(sc->sup[i].ref, v))
            return i;
    return -1;
}

static int parse_events(json_t *a, sim_scenario *sc, char *err, size_t errlen)
{
    if (!a)
        return 0;
    if (!json_is_array(a) || json_array_size(a) > SIM_MAX_ITEMS)
        return FAIL("events must be an array of at most %d entries", SIM_MAX_ITEMS);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        char path[48];
        snprintf(path, sizeof path, "events[%zu].", i);
        sim_event *ev = &sc->events[sc->nevents++];
        json_t *who = NULL;
        if (!json_is_object(e))
            return FAIL("events[%zu] must be an object", i);
        if (num(e, "at_minute", 0, 1e6, NAN, &ev->at_minute, path, err, errlen) ||
            num(e, "until_minute", 0, 1e6, -1, &ev->until_minute, path, err, errlen) ||
            ref(e, "interconnect", &who, path, err, errlen) ||
            num(e, "asr", 0, 1, -1, &ev->asr, path, err, errlen) ||
            num(e, "acd", 1, 86400, -1, &ev->acd_mean, path, err, errlen) ||
            num(e, "pdd_ms", 0, 60000, -1, &ev->pdd_mean, path, err, errlen))
            return -1;
        if (ev->until_minute >= 0 && ev->until_minute <= ev->at_minute)
            return FAIL("%suntil_minute must be after at_minute", path);
        if ((ev->supplier = supplier_index(sc, who)) < 0)
            return FAIL("%sinterconnect must name one of the suppliers, as written there", path);
    }
    return 0;
}

int sim_scenario_parse(json_t *doc, sim_scenario *sc, char *err, size_t errlen)
{
    memset(sc, 0, sizeof *sc);
    if (!json_is_object(doc))
        return FAIL("the scenario must be a JSON object");
    static const char *const known[] = { "calls_per_second", "ingress", "destinations", "suppliers", "events",
                                         "caller_prefix", "description", NULL };
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v) {
        bool ok = false;
        for (int i = 0; known[i]; i++)
            ok |= !strcmp(key, known[i]);
        if (!ok)
            return FAIL("%s is not a scenario field", key);
    }
    json_t *cp = json_object_get(doc, "caller_prefix");
    if (cp && (!json_is_string(cp) || json_string_length(cp) > 8 || !digits_only(json_string_value(cp))))
        return FAIL("caller_prefix must be 1 to 8 digits");
    snprintf(sc->caller_prefix, sizeof sc->caller_prefix, "%s", cp ? json_string_value(cp) : "1212555");
    if (num(doc, "calls_per_second", 0.01, 10000, NAN, &sc->cps, "", err, errlen) ||
        parse_list(json_object_get(doc, "ingress"), "ingress", parse_ingress, sc, err, errlen) ||
        parse_list(json_object_get(doc, "destinations"), "destinations", parse_destination, sc, err, errlen) ||
        parse_list(json_object_get(doc, "suppliers"), "suppliers", parse_supplier, sc, err, errlen) ||
        parse_events(json_object_get(doc, "events"), sc, err, errlen))
        return -1;
    sc->doc = json_incref(doc);
    return 0;
}

void sim_scenario_free(sim_scenario *sc)
{
    json_decref(sc->doc);
    sc->doc = NULL;
}

/* ---- making calls ---- */

static void now_text(int64_t usec, char *buf, size_t n)
{
    time_t t = (time_t)(usec / 1000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    int ms = (int)(usec % 1000000 / 1000);
    char date[32]; /* strftime: no truncation guesswork for the compiler */
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%.24s.%03dZ", date, ms % 1000);
}

json_t *sim_make_cdr(const sim_scenario *sc, sim_rng *r, double minute, int64_t end_usec, const char *id)
{
    const sim_ingress *g = &sc->ingress[pick(r, &sc->ingress[0].weight, sizeof sc->ingress[0], sc->ningress)];
    const sim_destination *d = &sc->dest[pick(r, &sc->dest[0].weight, sizeof sc->dest[0], sc->ndest)];
    int si = pick(r, &sc->sup[0].weight, sizeof sc->sup[0], sc->nsup);
    const sim_supplier *s = &sc->sup[si];
    double asr = s->asr, acd = s->acd_mean, pdd = s->pdd_mean;
    for (int i = 0; i < sc->nevents; i++) {
        const sim_event *e = &sc->events[i];
        if (e->supplier != si || minute < e->at_minute || (e->until_minute >= 0 && minute >= e->until_minute))
            continue;
        if (e->asr >= 0)
            asr = e->asr;
        if (e->acd_mean >= 0)
            acd = e->acd_mean;
        if (e->pdd_mean >= 0)
            pdd = e->pdd_mean;
    }
    char callee[32], caller[32];
    const char *prefix = d->prefixes[sim_rng_next(r) % (uint64_t)d->nprefixes];
    int n = snprintf(callee, sizeof callee, "%s", prefix);
    while (n < d->digits && n < (int)sizeof callee - 1)
        callee[n++] = (char)('0' + sim_rng_next(r) % 10);
    callee[n] = '\0';
    n = snprintf(caller, sizeof caller, "+%s", sc->caller_prefix);
    while (n < 12)
        caller[n++] = (char)('0' + sim_rng_next(r) % 10);
    caller[n] = '\0';

    double pdd_ms = pdd + s->pdd_spread * rng_normal(r);
    if (pdd_ms < 50)
        pdd_ms = 50;
    bool answered = sim_rng_uniform(r) < asr;
    int64_t seconds = 0;
    if (answered) {
        double len = s->acd_dist == SIM_LOGNORMAL
                         ? exp(log(acd) - s->acd_sigma * s->acd_sigma / 2 + s->acd_sigma * rng_normal(r))
                         : -acd * log(1.0 - sim_rng_uniform(r));
        seconds = (int64_t)(len + 0.5);
        if (seconds < 1)
            seconds = 1;
        if (seconds > 4 * 3600)
            seconds = 4 * 3600;
    }
    int64_t answer = end_usec - seconds * 1000000;
    int64_t start = (answered ? answer : end_usec) - (int64_t)pdd_ms * 1000;
    char ts[40], ta[40], te[40];
    now_text(start, ts, sizeof ts);
    now_text(answer, ta, sizeof ta);
    now_text(end_usec, te, sizeof te);
    int cause = 16;
    if (!answered)
        cause = s->causes[pick(r, &s->causes[0].weight, sizeof s->causes[0], s->ncauses)].cause;
    json_t *cdr = json_pack("{s:s, s:I, s:s, s:s, s:s, s:o, s:s, s:I, s:i, s:i}", "id", id,
                            "ingress_interconnect_id", (json_int_t)g->id, "caller", caller, "callee", callee,
                            "start_time", ts, "answer_time", answered ? json_string(ta) : json_null(),
                            "end_time", te, "egress_interconnect_id", (json_int_t)s->id, "release_cause", cause,
                            "pdd_ms", (int)pdd_ms);
    if (cdr && g->tech_prefix[0])
        json_object_set_new(cdr, "tech_prefix", json_string(g->tech_prefix));
    return cdr;
}

/* ---- talking to didtrond ---- */

typedef struct {
    char url[512];
    char auth[600];              /* "Authorization: Bearer ..." */
} sim_client;

/* One JSON-RPC call over POST /rpc. Returns the result (new ref) or NULL
 * with err set. */
static json_t *rpc(sim_client *cl, const char *method, json_t *params, char *err, size_t errlen)
{
    char url[600];
    snprintf(url, sizeof url, "%s/rpc", cl->url);
    json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method", method, "params", params);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    const char *headers[] = { "Content-Type: application/json", cl->auth[0] ? cl->auth : NULL, NULL };
    http_request rq = { .method = "POST", .url = url, .headers = headers, .body = body,
                        .body_len = body ? strlen(body) : 0, .timeout_ms = 10000 };
    http_response rs;
    json_t *result = NULL;
    if (http_request_do(&rq, &rs)) {
        snprintf(err, errlen, "%.200s: %.255s", url, rs.error);
    } else {
        json_t *reply = rs.body ? json_loads(rs.body, 0, NULL) : NULL;
        json_t *e = json_object_get(reply, "error");
        if (e)
            snprintf(err, errlen, "%s: %s", method, json_string_value(json_object_get(e, "message")));
        else if (!(result = json_incref(json_object_get(reply, "result"))))
            snprintf(err, errlen, "%s: HTTP %ld, no JSON-RPC answer", method, rs.status);
        json_decref(reply);
    }
    http_response_free(&rs);
    free(body);
    return result;
}

/* An interconnect by id or (exact, case-insensitive) name; 0 when none. */
static long long interconnect_id(sim_client *cl, json_t *ref, const char *direction, const char *path, char *err,
                                 size_t errlen)
{
    if (json_is_integer(ref))
        return (long long)json_integer_value(ref);
    const char *name = json_string_value(ref);
    json_t *r = rpc(cl, "interconnect.list",
                    json_pack("{s:{s:s, s:s}, s:i}", "filter", "q", name, "direction", direction, "limit", 100),
                    err, errlen);
    if (!r)
        return 0;
    long long id = 0;
    int found = 0;
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(r, "items"), i, it) {
        const char *n = json_string_value(json_object_get(it, "name"));
        if (n && !strcasecmp(n, name)) {
            id = (long long)json_integer_value(json_object_get(it, "id"));
            found++;
        }
    }
    json_decref(r);
    if (found != 1) {
        snprintf(err, errlen, "%s: %s %s interconnect is named \"%s\"", path, found ? "more than one" : "no",
                 direction, name);
        return 0;
    }
    return id;
}

static int resolve(sim_client *cl, sim_scenario *sc, char *err, size_t errlen)
{
    for (int i = 0; i < sc->ningress; i++) {
        sim_ingress *g = &sc->ingress[i];
        char path[48];
        if (g->id < 0) {                         /* a service id */
            snprintf(path, sizeof path, "ingress[%d].service", i);
            json_t *s = rpc(cl, "service.get", json_pack("{s:I}", "id", (json_int_t)-g->id), err, errlen);
            if (!s) {
                size_t n = strlen(err);
                snprintf(err + n, errlen - n, " (%s)", path);
                return -1;
            }
            g->id = (long long)json_integer_value(json_object_get(s, "interconnect_id"));
            const char *tp = json_string_value(json_object_get(s, "tech_prefix"));
            if (tp && !g->tech_prefix[0])
                snprintf(g->tech_prefix, sizeof g->tech_prefix, "%s", tp);
            json_decref(s);
        } else {
            snprintf(path, sizeof path, "ingress[%d].interconnect", i);
            if (!(g->id = interconnect_id(cl, g->ref, "ingress", path, err, errlen)))
                return -1;
        }
    }
    for (int i = 0; i < sc->nsup; i++) {
        char path[48];
        snprintf(path, sizeof path, "suppliers[%d].interconnect", i);
        if (!(sc->sup[i].id = interconnect_id(cl, sc->sup[i].ref, "egress", path, err, errlen)))
            return -1;
    }
    return 0;
}

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: didtrond simulate --scenario FILE [--url http://127.0.0.1:7480]\n"
               "         [--token TOKEN | --user U --password P] [--speed N] [--duration SECONDS] [--seed N]\n"
               "  DIDTRON_TOKEN and DIDTRON_PASSWORD are read when the flags are absent.\n");
}

static int post_batch(sim_client *cl, json_t *batch, long long *accepted, long long *rejected)
{
    char url[600];
    snprintf(url, sizeof url, "%s/api/v1/cdrs", cl->url);
    char *body = json_dumps(batch, JSON_COMPACT);
    if (!body)
        return -1;
    const char *headers[] = { "Content-Type: application/json", cl->auth, NULL };
    http_request rq = { .method = "POST", .url = url, .headers = headers, .body = body, .body_len = strlen(body),
                        .timeout_ms = 30000 };
    http_response rs;
    int rc = -1;
    if (http_request_do(&rq, &rs)) {
        fprintf(stderr, "didtrond simulate: %s: %s\n", url, rs.error);
    } else if (rs.status != 200) {
        fprintf(stderr, "didtrond simulate: %s: HTTP %ld %s\n", url, rs.status, rs.body ? rs.body : "");
    } else {
        json_t *r = json_loads(rs.body ? rs.body : "", 0, NULL);
        *accepted += (long long)json_integer_value(json_object_get(r, "accepted"));
        json_t *rej = json_object_get(r, "rejected");
        if (json_array_size(rej) && !*rejected) {
            char *t = json_dumps(json_array_get(rej, 0), JSON_COMPACT);
            fprintf(stderr, "didtrond simulate: the server rejected CDRs, first: %s\n", t ? t : "?");
            free(t);
        }
        *rejected += (long long)json_array_size(rej);
        json_decref(r);
        rc = 0;
    }
    http_response_free(&rs);
    free(body);
    return rc;
}

int sim_main(int argc, char **argv)
{
    const char *file = NULL, *url = "http://127.0.0.1:7480", *token = getenv("DIDTRON_TOKEN"), *user = NULL,
               *password = getenv("DIDTRON_PASSWORD");
    double speed = 1, duration = 0;
    unsigned long long seed = (unsigned long long)time(NULL);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        char *end = NULL;
        if (!strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!v) {
            fprintf(stderr, "didtrond simulate: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--scenario"))
            file = v;
        else if (!strcmp(a, "--url"))
            url = v;
        else if (!strcmp(a, "--token"))
            token = v;
        else if (!strcmp(a, "--user"))
            user = v;
        else if (!strcmp(a, "--password"))
            password = v;
        else if (!strcmp(a, "--speed") && (speed = strtod(v, &end), *end == '\0') && speed >= 0.01 && speed <= 1000)
            ;
        else if (!strcmp(a, "--duration") && (duration = strtod(v, &end), *end == '\0') && duration >= 0)
            ;
        else if (!strcmp(a, "--seed") && (errno = 0, seed = strtoull(v, &end, 10), *end == '\0' && !errno))
            ;
        else {
            fprintf(stderr, "didtrond simulate: bad argument %s %s\n", a, v);
            usage(stderr);
            return 2;
        }
    }
    if (!file) {
        usage(stderr);
        return 2;
    }
    json_error_t jerr;
    json_t *doc = json_load_file(file, 0, &jerr);
    if (!doc) {
        fprintf(stderr, "didtrond simulate: %s:%d: %s\n", file, jerr.line, jerr.text);
        return 2;
    }
    static sim_scenario sc;
    char err[512];
    int prc = sim_scenario_parse(doc, &sc, err, sizeof err);
    json_decref(doc);
    if (prc) {
        fprintf(stderr, "didtrond simulate: %s: %s\n", file, err);
        return 2;
    }
    if (http_client_init()) {
        sim_scenario_free(&sc);
        return 1;
    }
    sim_client cl = { .auth = "" };
    snprintf(cl.url, sizeof cl.url, "%s", url);
    size_t ul = strlen(cl.url);
    while (ul && cl.url[ul - 1] == '/')
        cl.url[--ul] = '\0';
    int rc = 1;
    if (!token && user) {
        json_t *r = rpc(&cl, "auth.login", json_pack("{s:s, s:s}", "username", user, "password",
                                                     password ? password : ""), err, sizeof err);
        if (!r) {
            fprintf(stderr, "didtrond simulate: login: %s\n", err);
            goto out;
        }
        snprintf(cl.auth, sizeof cl.auth, "Authorization: Bearer %s", json_string_value(json_object_get(r, "token")));
        json_decref(r);
    } else if (token) {
        snprintf(cl.auth, sizeof cl.auth, "Authorization: Bearer %s", token);
    } else {
        fprintf(stderr, "didtrond simulate: give --token or --user and --password\n");
        rc = 2;
        goto out;
    }
    if (resolve(&cl, &sc, err, sizeof err)) {
        fprintf(stderr, "didtrond simulate: %s: %s\n", file, err);
        goto out;
    }
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    sim_rng rng;
    sim_rng_seed(&rng, seed);
    char run[40];
    snprintf(run, sizeof run, "sim-%llx-%lx", seed, (unsigned long)time(NULL));
    fprintf(stderr, "didtrond simulate: %s, %.2f calls/s x%.2f, run %s\n", file, sc.cps, speed, run);
    int64_t t0 = time_mono_usec(), last = t0;
    double carry = 0;
    long long made = 0, accepted = 0, rejected = 0;
    rc = 0;
    while (!stopping) {
        int64_t now = time_mono_usec();
        double elapsed = (double)(now - t0) / 1e6;
        if (duration > 0 && elapsed >= duration)
            break;
        double calls = sc.cps * speed * (double)(now - last) / 1e6 + carry;
        last = now;
        long long n = (long long)calls;
        carry = calls - (double)n;
        if (n > 0) {
            json_t *batch = json_array();
            double minute = elapsed * speed / 60.0;
            int64_t wall = time_now_usec();
            for (long long i = 0; i < n; i++) {
                char id[64];
                snprintf(id, sizeof id, "%s-%lld", run, ++made);
                int64_t end = wall - (int64_t)(sim_rng_uniform(&rng) * 900000.0);
                json_array_append_new(batch, sim_make_cdr(&sc, &rng, minute, end, id));
            }
            if (post_batch(&cl, batch, &accepted, &rejected))
                rc = 1;
            json_decref(batch);
        }
        int64_t next = last + 1000000, wait = next - time_mono_usec();
        if (duration > 0 && t0 + (int64_t)(duration * 1e6) < next)
            wait = t0 + (int64_t)(duration * 1e6) - time_mono_usec();
        if (wait > 0) {
            struct timespec ts = { (time_t)(wait / 1000000), (long)(wait % 1000000) * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    fprintf(stderr, "didtrond simulate: %lld calls made, %lld accepted, %lld rejected\n", made, accepted, rejected);
out:
    sim_scenario_free(&sc);
    return rc;
}
