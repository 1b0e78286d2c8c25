/*
 * Integration: CDR ingestion and storage (cdr.ingest over the WebSocket and
 * HTTP uploads, cdr.get, cdr.list) and the HTTP upload transport, against a
 * real PostgreSQL and a real didtrond.
 *
 * The network: customer A (USD, ingress "A-IN" on 192.0.2.10 and
 * 198.51.100.0/24, one service on the "Retail" plan), customer B (ingress
 * on 203.0.113.5 whose service takes tech prefix 77#), an ingress without
 * any service, supplier S (USD egress with the "Supplier S" plan), supplier
 * E (EUR egress with a EUR plan) and an egress without a plan. The decks
 * are imported through rating_plan.import; the costs below are worked out
 * by hand from them.
 */
#include <check.h>
#include <pthread.h>
#include <curl/curl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "client.h"
#include "money.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static char *token;          /* root's, for HTTP */
static char spool_dir[64];   /* the server's TMPDIR */
static long long routing_plan, retail_plan, supplier_plan, euro_plan;
static long long cust_a, cust_b, supp_s, supp_e;
static long long ic_a, ic_b, ic_bare, eg_s, eg_e, eg_none;
static long long svc_a, svc_b;

/* Customer deck (USD, rounding half_up):
 *   4420 London: 0.012/min, fee 0.005, 30/6
 *   44 UK: 0.010/min, 1/1
 *   447 UK Mobile: 0.10/min, 60/60
 *   4479 blocked */
static const char retail_csv[] =
    "prefix,destination,rate,connection_fee,initial_increment,subsequent_increment,blocked\n"
    "44,United Kingdom,0.010,0,1,1,0\n"
    "4420,London,0.012,0.005,30,6,0\n"
    "447,United Kingdom Mobile,0.10,0,60,60,0\n"
    "4479,Premium,0.5,0,1,1,1\n";
/* Supplier S (USD): 4420 0.009/min 1/1; 447 0.05/min 60/60. */
static const char supplier_csv[] =
    "prefix,destination,rate,initial_increment,subsequent_increment\n"
    "44,United Kingdom,0.008,1,1\n"
    "4420,London,0.009,1,1\n"
    "447,United Kingdom Mobile,0.05,60,60\n";
static const char euro_csv[] =
    "prefix,destination,rate\n"
    "44,United Kingdom,0.007\n";

/* ---- helpers ---- */

static long long new_carrier(const char *name, const char *type, const char *currency)
{
    return id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                       "timezone", "UTC", "currencies", currency)));
}

static long long new_plan(const char *name, const char *currency, const char *direction, const char *csv)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", name, "currency",
                                                                  currency, "direction", direction, "rounding",
                                                                  "half_up")));
    json_t *r = ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2026-01-01T00:00:00Z"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "rejected")), 0);
    json_decref(r);
    return id;
}

static long long new_ingress(long long carrier, const char *name, json_t *ips)
{
    return id_of(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:o}", "carrier_id",
                                                            (json_int_t)carrier, "name", name, "direction", "ingress",
                                                            "currency", "USD", "signalling_ips", ips)));
}

static long long new_egress(long long carrier, const char *name, const char *currency, long long plan)
{
    json_t *p = json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)carrier, "name", name, "direction",
                          "egress", "currency", currency, "signalling_ips", "192.0.2.200");
    if (plan)
        json_object_set_new(p, "supplier_rating_plan_id", json_integer(plan));
    return id_of(ok(admin, "interconnect.create", p));
}

static long long new_service(long long ic, const char *name, const char *tech_prefix)
{
    json_t *p = json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ic, "name", name, "rating_plan_id",
                          (json_int_t)retail_plan, "routing_plan_id", (json_int_t)routing_plan);
    if (tech_prefix)
        json_object_set_new(p, "tech_prefix", json_string(tech_prefix));
    return id_of(ok(admin, "service.create", p));
}

/* A CDR on ingress A to supplier S, starting `offset` seconds after
 * 2026-11-02T10:00:00Z, answered 5 s after its start and lasting
 * `duration` seconds (duration < 0: not answered, ends 5 s after start). */
static json_t *cdr_at(const char *id, const char *callee, long offset, int duration)
{
    char start[32], answer[32], end[32];
    time_t t0 = 1793613600 + offset; /* 2026-11-02T10:00:00Z */
    struct tm tm;
    time_t a = t0 + 5, e = duration >= 0 ? a + duration : t0 + 5;
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t0, &tm));
    strftime(answer, sizeof answer, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&a, &tm));
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&e, &tm));
    json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i, s:i}", "id", id, "ingress_interconnect_id",
                          (json_int_t)ic_a, "caller", "+12125550100", "callee", callee, "start_time", start,
                          "end_time", end, "egress_interconnect_id", (json_int_t)eg_s, "release_cause", 16,
                          "pdd_ms", 1200);
    json_object_set_new(o, "answer_time", duration >= 0 ? json_string(answer) : json_null());
    return o;
}

static json_t *cdr(const char *id, const char *callee, int duration)
{
    return cdr_at(id, callee, 0, duration);
}

static json_t *ingest(json_t *cdrs)
{
    return ok(admin, "cdr.ingest", json_pack("{s:o}", "cdrs", cdrs));
}

static json_t *get(const char *id)
{
    return ok(admin, "cdr.get", json_pack("{s:s}", "id", id));
}

static const char *side_str(json_t *c, const char *side, const char *key)
{
    return jstr(json_object_get(c, side), key);
}

typedef struct {
    char *data;
    size_t len;
} grow;

static size_t collect(char *p, size_t size, size_t nmemb, void *ud)
{
    grow *g = ud;
    size_t n = size * nmemb;
    char *d = realloc(g->data, g->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + g->len, p, n);
    g->data = d;
    g->len += n;
    d[g->len] = '\0';
    return n;
}

static size_t no_data(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p, (void)size, (void)nmemb, (void)ud;
    return 0;
}

/* POST a body to port/path; encoding may be NULL. chunked sends it with
 * Transfer-Encoding: chunked and no length. Returns the status; the reply
 * body parsed into *reply (when reply is not NULL). */
static int post_ex(int port, const char *path, const char *bearer, const void *body, size_t len,
                   const char *encoding, bool chunked, json_t **reply)
{
    CURL *h = curl_easy_init();
    char url[512], auth[160], enc[64];
    grow g = { NULL, 0 };
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/x-ndjson");
    hdrs = curl_slist_append(hdrs, "Expect:");
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (chunked) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, no_data);
    } else {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (encoding) {
        snprintf(enc, sizeof enc, "Content-Encoding: %s", encoding);
        hdrs = curl_slist_append(hdrs, enc);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    long status = -1;
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else
        fprintf(stderr, "POST %s: %s\n", path, curl_easy_strerror(rc));
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (reply)
        *reply = g.data ? json_loads(g.data, 0, NULL) : NULL;
    free(g.data);
    return (int)status;
}

static int post(const char *path, const char *bearer, const char *body, const char *encoding, json_t **reply)
{
    return post_ex(S.port, path, bearer, body, strlen(body), encoding, false, reply);
}

/* The CDRs as NDJSON (one compact object per line). Steals cdrs. */
static char *ndjson(json_t *cdrs)
{
    size_t cap = 1024, len = 0, i;
    char *out = malloc(cap);
    json_t *o;
    json_array_foreach(cdrs, i, o) {
        char *line = json_dumps(o, JSON_COMPACT);
        size_t n = strlen(line);
        while (len + n + 2 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + len, line, n);
        len += n;
        out[len++] = '\n';
        free(line);
    }
    out[len] = '\0';
    json_decref(cdrs);
    return out;
}

static void *gzip(const char *in, size_t n, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

static long long count_sql(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long count_sql(const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return atoll(harness_sql(sql));
}

static int files_in(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

/* ---- setup ---- */

static void setup(void)
{
    /* The server spools uploads under TMPDIR: a directory of our own, to
     * see that nothing is left behind. */
    snprintf(spool_dir, sizeof spool_dir, "/tmp/didtron-cdrs-spool-%d", (int)getpid());
    mkdir(spool_dir, 0700);
    setenv("TMPDIR", spool_dir, 1);
    static const char *const flags[] = { "--ledger-flush-ms", "200", NULL };
    admin = start_with_root(&S, "didtron_cdrs", "cdrs", flags);
}

/* The network, through the methods clients call (an unchecked fixture:
 * assertions work here, and a failure fails the run). */
static void network_setup(void)
{
    token = login_token(&S, "root", "rootpass123");
    routing_plan = atoll(harness_sql("INSERT INTO routing_plans (name, mode) VALUES ('LCR', 'lcr') RETURNING id"));
    retail_plan = new_plan("Retail", "USD", "customer", retail_csv);
    supplier_plan = new_plan("Supplier S", "USD", "supplier", supplier_csv);
    euro_plan = new_plan("Supplier E", "EUR", "supplier", euro_csv);

    cust_a = new_carrier("Customer A", "customer", "USD");
    cust_b = new_carrier("Customer B", "customer", "USD");
    supp_s = new_carrier("Supplier S", "supplier", "USD");
    supp_e = new_carrier("Supplier E", "supplier", "EUR");
    ic_a = new_ingress(cust_a, "A-IN", json_pack("[s,s]", "192.0.2.10", "198.51.100.0/24"));
    ic_bare = new_ingress(cust_a, "A-BARE", json_pack("[s]", "192.0.2.99"));
    ic_b = new_ingress(cust_b, "B-IN", json_pack("[s]", "203.0.113.5"));
    svc_a = new_service(ic_a, "Voice", NULL);
    svc_b = new_service(ic_b, "Premium voice", "77#");
    eg_s = new_egress(supp_s, "S-OUT", "USD", supplier_plan);
    eg_e = new_egress(supp_e, "E-OUT", "EUR", euro_plan);
    eg_none = new_egress(supp_s, "S-NOPLAN", "USD", 0);

    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "cust_a_user", "password",
                                                   "password123", "role", "customer", "carrier_id",
                                                   (json_int_t)cust_a)));
    create_user(admin, "support1", "support");
}

static void teardown(void)
{
    server_stop(&S, 20000);
    harness_done();
    rmdir(spool_dir);
}

/* ---- rating ---- */

START_TEST(test_both_sides_are_rated_by_hand_computed_rules_and_the_margin_is_their_difference)
{
    json_t *r = ingest(json_pack("[o,o,o,o]", cdr("calc-1", "+442071234567", 95), cdr("calc-2", "447700900001", 61),
                                 cdr("calc-3", "442071234567", -1), cdr("calc-5", "00441612345678", 1)));
    ck_assert_int_eq(jint(r, "accepted"), 4);
    ck_assert_int_eq(jint(r, "duplicates"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(r, "rejected")), 0);
    json_decref(r);

    /* London: 30/6 with a 0.005 fee: d = 95 -> 30 + ceil(65/6)*6 = 96 s,
     * 0.005 + 0.012 * 96 / 60 = 0.024200; supplier 1/1: 0.009 * 95 / 60 =
     * 0.014250; margin 0.009950. */
    json_t *c = get("calc-1");
    ck_assert_str_eq(jstr(c, "id"), "calc-1");
    ck_assert_str_eq(jstr(c, "callee"), "442071234567");
    ck_assert_str_eq(jstr(c, "start_time"), "2026-11-02T10:00:00Z");
    ck_assert_str_eq(jstr(c, "answer_time"), "2026-11-02T10:00:05Z");
    ck_assert_str_eq(jstr(c, "end_time"), "2026-11-02T10:01:40Z");
    ck_assert(json_is_true(json_object_get(c, "answered")));
    ck_assert_int_eq(jint(c, "duration"), 95);
    ck_assert_int_eq(jint(c, "release_cause"), 16);
    ck_assert_int_eq(jint(c, "pdd_ms"), 1200);
    ck_assert_int_eq(jint(c, "egress_interconnect_id"), eg_s);
    json_t *cu = json_object_get(c, "customer"), *su = json_object_get(c, "supplier");
    ck_assert_int_eq(jint(cu, "service_id"), svc_a);
    ck_assert_int_eq(jint(cu, "carrier_id"), cust_a);
    ck_assert_int_eq(jint(cu, "interconnect_id"), ic_a);
    ck_assert_int_eq(jint(cu, "rating_plan_id"), retail_plan);
    ck_assert_str_eq(jstr(cu, "prefix"), "4420");
    ck_assert_str_eq(jstr(cu, "destination"), "London");
    ck_assert_str_eq(jstr(cu, "rate"), "0.012000");
    ck_assert_int_eq(jint(cu, "billed_duration"), 96);
    ck_assert_str_eq(jstr(cu, "cost"), "0.024200");
    ck_assert_str_eq(jstr(cu, "currency"), "USD");
    ck_assert(json_is_true(json_object_get(cu, "rated")));
    ck_assert(json_is_null(json_object_get(cu, "reason")));
    ck_assert_int_eq(jint(su, "carrier_id"), supp_s);
    ck_assert_int_eq(jint(su, "interconnect_id"), eg_s);
    ck_assert_int_eq(jint(su, "rating_plan_id"), supplier_plan);
    ck_assert_str_eq(jstr(su, "prefix"), "4420");
    ck_assert_int_eq(jint(su, "billed_duration"), 95);
    ck_assert_str_eq(jstr(su, "cost"), "0.014250");
    ck_assert_str_eq(jstr(c, "margin"), "0.009950");
    ck_assert(json_is_null(json_object_get(c, "margin_reason")));
    json_decref(c);

    /* Mobile 60/60: 61 s bills 120 s on both sides: 0.200000 and 0.100000. */
    c = get("calc-2");
    ck_assert_str_eq(side_str(c, "customer", "cost"), "0.200000");
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "billed_duration"), 120);
    ck_assert_str_eq(side_str(c, "customer", "destination"), "United Kingdom Mobile");
    ck_assert_str_eq(side_str(c, "supplier", "cost"), "0.100000");
    ck_assert_str_eq(jstr(c, "margin"), "0.100000");
    json_decref(c);

    /* Not answered: nothing billed, no fee. */
    c = get("calc-3");
    ck_assert(json_is_false(json_object_get(c, "answered")));
    ck_assert(json_is_null(json_object_get(c, "answer_time")));
    ck_assert_int_eq(jint(c, "duration"), 0);
    ck_assert_str_eq(side_str(c, "customer", "cost"), "0.000000");
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "billed_duration"), 0);
    ck_assert_str_eq(jstr(c, "margin"), "0.000000");
    json_decref(c);

    /* One second on 44 (1/1), half_up: 0.010/60 = 0.0001666.. -> 0.000167;
     * 0.008/60 = 0.0001333.. -> 0.000133; margin 0.000034. */
    c = get("calc-5");
    ck_assert_str_eq(jstr(c, "callee"), "441612345678");
    ck_assert_str_eq(side_str(c, "customer", "prefix"), "44");
    ck_assert_str_eq(side_str(c, "customer", "cost"), "0.000167");
    ck_assert_str_eq(side_str(c, "supplier", "cost"), "0.000133");
    ck_assert_str_eq(jstr(c, "margin"), "0.000034");
    json_decref(c);
}
END_TEST

START_TEST(test_mixed_currencies_leave_the_margin_empty_with_the_reason)
{
    json_t *one = cdr("mixed-1", "442071234567", 95);
    json_object_set_new(one, "egress_interconnect_id", json_integer(eg_e));
    json_decref(ingest(json_pack("[o]", one)));
    json_t *c = get("mixed-1");
    ck_assert_str_eq(side_str(c, "customer", "currency"), "USD");
    ck_assert_str_eq(side_str(c, "supplier", "currency"), "EUR");
    ck_assert_str_eq(side_str(c, "supplier", "cost"), "0.011083"); /* 0.007 * 95 / 60 = 0.0110833.. */
    ck_assert(json_is_null(json_object_get(c, "margin")));
    ck_assert_str_eq(jstr(c, "margin_reason"), "mixed currencies (FX arrives with the ledger)");
    json_decref(c);
}
END_TEST

/* Ingest one CDR and return the side's reason (asserting it is unrated). */
static void assert_unrated(json_t *one, const char *side, const char *reason_part)
{
    char id[80];
    snprintf(id, sizeof id, "%s", jstr(one, "id"));
    json_t *r = ingest(json_pack("[o]", one));
    ck_assert_msg(jint(r, "accepted") == 1, "%s was not stored", id);
    json_decref(r);
    json_t *c = get(id);
    json_t *s = json_object_get(c, side);
    ck_assert_msg(json_is_false(json_object_get(s, "rated")), "%s: %s side is rated", id, side);
    ck_assert_msg(strstr(jstr(s, "reason"), reason_part), "%s: reason \"%s\" lacks \"%s\"", id, jstr(s, "reason"),
                  reason_part);
    ck_assert(json_is_null(json_object_get(s, "cost")));
    ck_assert(json_is_null(json_object_get(c, "margin")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(c, "margin_reason")));
    json_decref(c);
}

START_TEST(test_unratable_cdrs_are_stored_with_the_reason)
{
    json_t *x = cdr("unr-noservice", "442071234567", 10);
    json_object_set_new(x, "ingress_interconnect_id", json_integer(ic_bare));
    assert_unrated(x, "customer", "has no service");
    assert_unrated(cdr("unr-norate", "33123456789", 10), "customer", "no rate");
    assert_unrated(cdr("unr-blocked", "447912345678", 10), "customer", "blocked");
    x = cdr("unr-unknown-ip", "442071234567", 10);
    json_object_del(x, "ingress_interconnect_id");
    json_object_set_new(x, "ingress_ip", json_string("10.9.9.9"));
    assert_unrated(x, "customer", "no ingress interconnect has signalling IP 10.9.9.9");
    x = cdr("unr-no-such-ingress", "442071234567", 10);
    json_object_set_new(x, "ingress_interconnect_id", json_integer(987654));
    assert_unrated(x, "customer", "ingress interconnect 987654 does not exist");
    x = cdr("unr-noplan", "442071234567", 10);
    json_object_set_new(x, "egress_interconnect_id", json_integer(eg_none));
    assert_unrated(x, "supplier", "has no supplier rating plan");
    x = cdr("unr-noegress", "442071234567", 10);
    json_object_set_new(x, "egress_interconnect_id", json_null());
    assert_unrated(x, "supplier", "no egress interconnect");
    x = cdr("unr-egress-is-ingress", "442071234567", 10);
    json_object_set_new(x, "egress_interconnect_id", json_integer(ic_b));
    assert_unrated(x, "supplier", "is not an egress interconnect");

    /* The side that could be found is still rated and kept. */
    json_t *c = get("unr-noplan");
    ck_assert(json_is_true(json_object_get(json_object_get(c, "customer"), "rated")));
    ck_assert_int_eq(jint(json_object_get(c, "supplier"), "carrier_id"), supp_s);
    ck_assert_str_eq(jstr(c, "margin_reason"), "the supplier side is not rated");
    json_decref(c);
    c = get("unr-noservice");
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "carrier_id"), cust_a); /* the customer still sees it */
    json_decref(c);
}
END_TEST

START_TEST(test_the_ingress_is_found_by_ip_within_a_network_and_by_tech_prefix)
{
    json_t *by_net = cdr("ip-net", "442071234567", 20);
    json_object_del(by_net, "ingress_interconnect_id");
    json_object_set_new(by_net, "ingress_ip", json_string("198.51.100.77"));
    json_t *by_prefix = cdr("ip-prefix", "442071234567", 20);
    json_object_del(by_prefix, "ingress_interconnect_id");
    json_object_set_new(by_prefix, "ingress_ip", json_string("203.0.113.5"));
    json_object_set_new(by_prefix, "tech_prefix", json_string("77#"));
    json_t *wrong = json_deep_copy(by_prefix);
    json_object_set_new(wrong, "id", json_string("ip-wrong-prefix"));
    json_object_set_new(wrong, "tech_prefix", json_string("88#"));
    json_t *r = ingest(json_pack("[o,o,o]", by_net, by_prefix, wrong));
    ck_assert_int_eq(jint(r, "accepted"), 3);
    json_decref(r);
    json_t *c = get("ip-net");
    ck_assert_int_eq(jint(c, "ingress_interconnect_id"), ic_a);
    ck_assert_str_eq(jstr(c, "ingress_ip"), "198.51.100.77");
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "service_id"), svc_a);
    ck_assert(json_is_true(json_object_get(json_object_get(c, "customer"), "rated")));
    json_decref(c);
    c = get("ip-prefix");
    ck_assert_int_eq(jint(c, "ingress_interconnect_id"), ic_b);
    ck_assert_str_eq(jstr(c, "tech_prefix"), "77#");
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "service_id"), svc_b);
    ck_assert_int_eq(jint(json_object_get(c, "customer"), "carrier_id"), cust_b);
    json_decref(c);
    c = get("ip-wrong-prefix");
    ck_assert_str_eq(side_str(c, "customer", "reason"),
                     "no ingress interconnect with signalling IP 203.0.113.5 takes tech prefix 88#");
    json_decref(c);
}
END_TEST

/* ---- batches ---- */

START_TEST(test_the_same_batch_twice_is_stored_once)
{
    json_t *batch = json_pack("[o,o,o]", cdr("dup-1", "442071234567", 30), cdr("dup-2", "442071234567", 40),
                              cdr("dup-1", "442071234567", 50)); /* dup-1 twice in one batch */
    json_t *r = ingest(json_deep_copy(batch));
    ck_assert_int_eq(jint(r, "accepted"), 2);
    ck_assert_int_eq(jint(r, "duplicates"), 1);
    json_decref(r);
    r = ingest(batch);
    ck_assert_int_eq(jint(r, "accepted"), 0);
    ck_assert_int_eq(jint(r, "duplicates"), 3);
    json_decref(r);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM cdrs WHERE id LIKE '%s'", "dup-%"), 2);
    /* The first one wins: dup-1 lasted 30 s. */
    json_t *c = get("dup-1");
    ck_assert_int_eq(jint(c, "duration"), 30);
    json_decref(c);
}
END_TEST

START_TEST(test_a_bad_cdr_is_rejected_by_index_and_the_rest_are_stored)
{
    json_t *no_callee = cdr("bad-1", "442071234567", 10);
    json_object_del(no_callee, "callee");
    json_t *backwards = cdr("bad-3", "442071234567", 10);
    json_object_set_new(backwards, "end_time", json_string("2026-11-01T00:00:00Z"));
    json_t *r = ingest(json_pack("[o,o,o,o,i]", cdr("bad-0", "442071234567", 10), no_callee,
                                 cdr("bad-2", "442071234567", 10), backwards, 42));
    ck_assert_int_eq(jint(r, "accepted"), 2);
    json_t *rej = json_object_get(r, "rejected");
    ck_assert_int_eq(json_array_size(rej), 3);
    ck_assert_int_eq(jint(json_array_get(rej, 0), "index"), 1);
    ck_assert_str_eq(jstr(json_array_get(rej, 0), "field"), "callee");
    ck_assert_ptr_nonnull(strstr(jstr(json_array_get(rej, 0), "message"), "callee"));
    ck_assert_int_eq(jint(json_array_get(rej, 1), "index"), 3);
    ck_assert_str_eq(jstr(json_array_get(rej, 1), "field"), "end_time");
    ck_assert_int_eq(jint(json_array_get(rej, 2), "index"), 4);
    json_decref(r);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM cdrs WHERE id LIKE '%s'", "bad-%"), 2);
    ck_assert_int_eq(fails(admin, "cdr.get", json_pack("{s:s}", "id", "bad-1")), -32004);
    /* Neither a missing cdrs nor a non-list is a batch. */
    fails_on_field(admin, "cdr.ingest", json_pack("{}"), "cdrs");
    fails_on_field(admin, "cdr.ingest", json_pack("{s:s}", "cdrs", "nope"), "cdrs");
}
END_TEST

START_TEST(test_cdr_ingested_events_reach_staff)
{
    wsc *watcher = login(&S, "support1", "password123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "cdr.ingested")));
    json_t *bad = json_pack("{s:s}", "id", "ev-bad");
    json_decref(ingest(json_pack("[o,o]", cdr("ev-1", "442071234567", 10), bad)));
    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *params = json_object_get(ev, "params");
    ck_assert_str_eq(jstr(params, "topic"), "cdr.ingested");
    json_t *data = json_object_get(params, "data");
    ck_assert_int_eq(jint(data, "accepted"), 1);
    ck_assert_int_eq(jint(data, "duplicates"), 0);
    ck_assert_int_eq(jint(data, "rejected"), 1);
    json_decref(ev);
    wsc_close(watcher);
    /* Customers may not subscribe to it. */
    wsc *cust = login(&S, "cust_a_user", "password123");
    ck_assert_int_eq(fails(cust, "subscribe", json_pack("{s:[s]}", "topics", "cdr.ingested")), -32602);
    wsc_close(cust);
}
END_TEST

/* ---- partitions ---- */

START_TEST(test_a_cdr_far_ahead_gets_its_month_partition_and_one_beyond_lands_in_default)
{
    time_t ahead = time(NULL) + 240 * 86400;
    char start[32], end[32], part[32];
    struct tm tm;
    strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ahead, &tm));
    strftime(part, sizeof part, "cdrs_%Y%m", &tm);
    time_t ahead_end = ahead + 60;
    strftime(end, sizeof end, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&ahead_end, &tm));
    ck_assert_int_eq(count_sql("SELECT count(*) FROM pg_class WHERE relname = '%s'", part), 0);
    json_t *far = cdr("part-ahead", "442071234567", 10);
    json_object_set_new(far, "start_time", json_string(start));
    json_object_set_new(far, "answer_time", json_string(start));
    json_object_set_new(far, "end_time", json_string(end));
    json_t *beyond = cdr("part-2099", "442071234567", 10);
    json_object_set_new(beyond, "start_time", json_string("2099-03-01T12:00:00Z"));
    json_object_set_new(beyond, "answer_time", json_string("2099-03-01T12:00:05Z"));
    json_object_set_new(beyond, "end_time", json_string("2099-03-01T12:01:00Z"));
    json_t *r = ingest(json_pack("[o,o]", far, beyond));
    ck_assert_int_eq(jint(r, "accepted"), 2);
    json_decref(r);
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'cdrs'::regclass"
                              " AND inhrelid = '%s'::regclass", part);
    ck_assert_str_eq(harness_sql(sql), "1");
    ck_assert_str_eq(harness_sql("SELECT tableoid::regclass::text FROM cdrs WHERE id = 'part-ahead'"), part);
    ck_assert_str_eq(harness_sql("SELECT tableoid::regclass::text FROM cdrs WHERE id = 'part-2099'"), "cdrs_default");
    json_t *c = get("part-2099");
    ck_assert_str_eq(jstr(c, "start_time"), "2099-03-01T12:00:00Z");
    json_decref(c);
    /* Creating that month later moves the row out of the default partition. */
    ck_assert_str_eq(harness_sql("SELECT cdr_partitions_ensure('2099-03-15T00:00:00Z', 0)"), "1");
    ck_assert_str_eq(harness_sql("SELECT tableoid::regclass::text FROM cdrs WHERE id = 'part-2099'"), "cdrs_209903");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM cdrs_default"), "0");
    c = get("part-2099");
    ck_assert_str_eq(jstr(c, "id"), "part-2099");
    json_decref(c);
    /* Start-up made this month's and the next months' partitions. */
    ck_assert_int_ge(atoll(harness_sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'cdrs'::regclass")), 5);
}
END_TEST

/* ---- reading back ---- */

static long long list_total(wsc *c, json_t *filter)
{
    json_t *r = ok(c, "cdr.list", json_pack("{s:o}", "filter", filter));
    long long n = jint(r, "total");
    json_decref(r);
    return n;
}

START_TEST(test_list_filters_and_pages_newest_first)
{
    json_t *batch = json_array();
    for (int i = 0; i < 7; i++) {
        char id[32];
        snprintf(id, sizeof id, "page-%d", i);
        json_array_append_new(batch, cdr_at(id, "4420555000123", 3600 + i * 60, i ? 10 : -1));
    }
    json_t *other = cdr_at("page-other-carrier", "4420555000123", 3600, 10);
    json_object_del(other, "ingress_interconnect_id");
    json_object_set_new(other, "ingress_ip", json_string("203.0.113.5"));
    json_object_set_new(other, "tech_prefix", json_string("77#"));
    json_object_set_new(other, "egress_interconnect_id", json_integer(eg_e));
    json_array_append_new(batch, other);
    json_decref(ingest(batch));

    /* q: an id, or the first digits of the callee. */
    ck_assert_int_eq(list_total(admin, json_pack("{s:s}", "q", "page-3")), 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s}", "q", "4420555")), 8);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s}", "q", "+4420555")), 8);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s}", "q", "0555")), 0); /* a prefix, not a substring */
    /* carrier_id matches either side; interconnect_id either interconnect. */
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:I}", "q", "4420555", "carrier_id", (json_int_t)cust_b)), 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:I}", "q", "4420555", "carrier_id", (json_int_t)supp_e)), 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:I}", "q", "4420555", "carrier_id", (json_int_t)supp_s)), 7);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:I}", "q", "4420555", "interconnect_id", (json_int_t)eg_e)), 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:I}", "q", "4420555", "interconnect_id", (json_int_t)ic_a)), 7);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:b}", "q", "4420555", "answered", 0)), 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:b}", "q", "4420555", "rated", 1)), 8);
    ck_assert_int_eq(list_total(admin, json_pack("{s:s, s:s, s:s}", "q", "4420555", "from", "2026-11-02T11:02:00Z",
                                                 "to", "2026-11-02T11:04:00Z")), 2); /* page-2, page-3 */
    char svc[24];
    snprintf(svc, sizeof svc, "%lld", svc_b);
    long long on_b = count_sql("SELECT count(*) FROM cdrs WHERE service_id = %s", svc);
    ck_assert_int_ge(on_b, 1);
    ck_assert_int_eq(list_total(admin, json_pack("{s:I}", "service_id", (json_int_t)svc_b)), on_b);
    fails_on_field(admin, "cdr.list", json_pack("{s:{s:s}}", "filter", "carrier_id", "x"), "filter.carrier_id");
    fails_on_field(admin, "cdr.list", json_pack("{s:{s:i}}", "filter", "nope", 1), "filter.nope");

    /* Pages of 3, newest first, each CDR once. */
    json_t *cursor = NULL;
    int pages = 0, seen = 0;
    char last[40] = "9999";
    do {
        json_t *p = json_pack("{s:{s:s, s:I}, s:i}", "filter", "q", "4420555", "carrier_id", (json_int_t)cust_a,
                              "limit", 3);
        if (cursor)
            json_object_set(p, "cursor", cursor);
        json_t *page = ok(admin, "cdr.list", p);
        ck_assert_int_eq(jint(page, "total"), 7);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(page, "items"), i, item) {
            ck_assert_msg(strcmp(jstr(item, "start_time"), last) < 0, "not newest first");
            snprintf(last, sizeof last, "%s", jstr(item, "start_time"));
            ck_assert_ptr_nonnull(json_object_get(item, "supplier"));
            seen++;
        }
        json_decref(cursor);
        cursor = json_incref(json_object_get(page, "next_cursor"));
        json_decref(page);
        pages++;
    } while (!json_is_null(cursor) && pages < 10);
    json_decref(cursor);
    ck_assert_int_eq(pages, 3);
    ck_assert_int_eq(seen, 7);
    ck_assert_str_eq(last, "2026-11-02T11:00:00Z");
}
END_TEST

START_TEST(test_a_customer_sees_only_its_cdrs_and_never_the_supplier_side)
{
    json_t *mine = cdr("scope-a", "442071234567", 10);
    json_t *theirs = cdr("scope-b", "442071234567", 10);
    json_object_set_new(theirs, "ingress_interconnect_id", json_integer(ic_b));
    json_object_set_new(theirs, "tech_prefix", json_string("77#"));
    json_decref(ingest(json_pack("[o,o]", mine, theirs)));

    wsc *cust = login(&S, "cust_a_user", "password123");
    json_t *c = ok(cust, "cdr.get", json_pack("{s:s}", "id", "scope-a"));
    /* 10 s on London (30/6): 30 s billed, 0.005 + 0.012 * 30 / 60 = 0.011. */
    ck_assert_str_eq(side_str(c, "customer", "cost"), "0.011000");
    ck_assert_ptr_null(json_object_get(c, "supplier"));
    ck_assert_ptr_null(json_object_get(c, "margin"));
    ck_assert_ptr_null(json_object_get(c, "margin_reason"));
    ck_assert_ptr_null(json_object_get(c, "egress_interconnect_id"));
    json_decref(c);
    ck_assert_int_eq(fails(cust, "cdr.get", json_pack("{s:s}", "id", "scope-b")), -32004);

    char want[32];
    snprintf(want, sizeof want, "%lld", cust_a);
    json_t *list = ok(cust, "cdr.list", json_pack("{s:i}", "limit", 500));
    ck_assert_int_eq(jint(list, "total"), count_sql("SELECT count(*) FROM cdrs WHERE customer_carrier_id = %s", want));
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(list, "items"), i, item) {
        ck_assert_int_eq(jint(json_object_get(item, "customer"), "carrier_id"), cust_a);
        ck_assert_ptr_null(json_object_get(item, "supplier"));
        ck_assert_ptr_null(json_object_get(item, "margin"));
    }
    json_decref(list);
    /* Filters cannot reach past the scope or the supplier side. */
    ck_assert_int_eq(list_total(cust, json_pack("{s:I}", "carrier_id", (json_int_t)cust_b)), 0);
    ck_assert_int_eq(list_total(cust, json_pack("{s:I}", "carrier_id", (json_int_t)supp_s)), 0);
    ck_assert_int_eq(list_total(cust, json_pack("{s:I}", "interconnect_id", (json_int_t)eg_s)), 0);
    ck_assert_int_eq(list_total(cust, json_pack("{s:s}", "q", "scope-b")), 0);
    fails_on_field(cust, "cdr.list", json_pack("{s:{s:b}}", "filter", "supplier_rated", 1), "filter.supplier_rated");
    ck_assert_int_eq(fails(cust, "cdr.ingest", json_pack("{s:[]}", "cdrs")), -32003);
    wsc_close(cust);
}
END_TEST

/* ---- HTTP uploads ---- */

START_TEST(test_http_takes_a_json_array_ndjson_and_gzip)
{
    json_t *reply = NULL;
    json_t *two = json_pack("[o,o]", cdr("http-arr-1", "442071234567", 10), cdr("http-arr-2", "442071234567", 11));
    char *array = json_dumps(two, JSON_COMPACT);
    json_decref(two);
    ck_assert_int_eq(post("/api/v1/cdrs", token, array, NULL, &reply), 200);
    ck_assert_int_eq(jint(reply, "accepted"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(reply, "rejected")), 0);
    json_decref(reply);
    free(array);

    char *lines = ndjson(json_pack("[o,o,o]", cdr("http-nd-1", "442071234567", 10),
                                   cdr("http-nd-2", "442071234567", 11), cdr("http-arr-1", "442071234567", 10)));
    ck_assert_int_eq(post("/api/v1/cdrs", token, lines, NULL, &reply), 200);
    ck_assert_int_eq(jint(reply, "accepted"), 2);
    ck_assert_int_eq(jint(reply, "duplicates"), 1);
    json_decref(reply);
    free(lines);

    lines = ndjson(json_pack("[o,{s:s},o]", cdr("http-gz-1", "442071234567", 10), "id", "http-gz-bad",
                             cdr("http-gz-2", "442071234567", 95)));
    size_t zn;
    void *z = gzip(lines, strlen(lines), &zn);
    ck_assert_int_eq(post_ex(S.port, "/api/v1/cdrs", token, z, zn, "gzip", false, &reply), 200);
    ck_assert_int_eq(jint(reply, "accepted"), 2);
    ck_assert_int_eq(jint(json_array_get(json_object_get(reply, "rejected"), 0), "index"), 1);
    json_decref(reply);
    free(z);
    free(lines);
    json_t *c = get("http-gz-2");
    ck_assert_str_eq(side_str(c, "customer", "cost"), "0.024200");
    json_decref(c);
    ck_assert_int_eq(files_in(spool_dir), 0); /* every spooled body was deleted */
}
END_TEST

START_TEST(test_http_body_larger_than_a_message_is_spooled_not_refused)
{
    /* Over max_message_bytes (1 MiB), which /rpc and WebSocket messages
     * may not exceed. */
    json_t *batch = json_array();
    for (int i = 0; i < 6000; i++) {
        char id[40];
        snprintf(id, sizeof id, "big-%05d-with-a-long-enough-identifier", i);
        json_array_append_new(batch, cdr_at(id, "442071234567", i % 3600, i % 300));
    }
    char *lines = ndjson(batch);
    ck_assert_uint_gt(strlen(lines), 1024 * 1024 + 1);
    json_t *reply = NULL;
    ck_assert_int_eq(post("/api/v1/cdrs", token, lines, NULL, &reply), 200);
    ck_assert_int_eq(jint(reply, "accepted"), 6000);
    json_decref(reply);
    free(lines);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM cdrs WHERE id LIKE '%s'", "big-%"), 6000);
    ck_assert_int_eq(files_in(spool_dir), 0);
}
END_TEST

static int error_code(json_t *reply)
{
    return (int)jint(json_object_get(reply, "error"), "code");
}

START_TEST(test_http_refusals_have_their_status_and_an_error_body)
{
    char *one = ndjson(json_pack("[o]", cdr("http-refused", "442071234567", 10)));
    json_t *reply = NULL;
    ck_assert_int_eq(post("/api/v1/cdrs", NULL, one, NULL, &reply), 401);
    ck_assert_int_eq(error_code(reply), -32001);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs", "00000000000000000000000000000000000000000000000000000000000000ff", one, NULL,
                          &reply), 401);
    ck_assert_int_eq(error_code(reply), -32001);
    json_decref(reply);
    char *cust = login_token(&S, "cust_a_user", "password123");
    ck_assert_int_eq(post("/api/v1/cdrs", cust, one, NULL, &reply), 403);
    ck_assert_int_eq(error_code(reply), -32003);
    json_decref(reply);
    free(cust);
    ck_assert_int_eq(post_ex(S.port, "/api/v1/cdrs", token, NULL, 0, NULL, true, &reply), 411);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/nothing-here", token, one, NULL, &reply), 404);
    ck_assert_ptr_nonnull(json_object_get(reply, "error"));
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs/7", token, one, NULL, &reply), 404);
    json_decref(reply);
    char *body = NULL;
    ck_assert_int_eq(http_get(S.port, "/api/v1/cdrs", &body), 405);
    free(body);
    ck_assert_int_eq(post("/api/v1/cdrs", token, "hello", NULL, &reply), 400);
    ck_assert_int_eq(error_code(reply), -32602);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(json_object_get(json_object_get(reply, "error"), "data"),
                                                         "fields"), 0), "field"), "body");
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs", token, one, "gzip", &reply), 400); /* not gzip at all */
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs", token, one, "br", &reply), 415);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs", token, "", NULL, &reply), 400); /* empty */
    json_decref(reply);
    /* Query keys: only the route's own. */
    char path[128];
    snprintf(path, sizeof path, "/api/v1/rating-plans/%lld/rates?mode=merge&bogus=1", retail_plan);
    ck_assert_int_eq(post(path, token, "prefix,rate\n", NULL, &reply), 400);
    ck_assert_ptr_nonnull(strstr(jstr(json_object_get(reply, "error"), "message"), "bogus"));
    json_decref(reply);
    snprintf(path, sizeof path, "/api/v1/rating-plans/%lld/rates?strict=maybe", retail_plan);
    ck_assert_int_eq(post(path, token, "prefix,rate\n", NULL, &reply), 400);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/cdrs?mode=merge", token, one, NULL, &reply), 400);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/rating-plans/abc/rates", token, "prefix,rate\n", NULL, &reply), 404);
    json_decref(reply);
    free(one);
    ck_assert_int_eq(fails(admin, "cdr.get", json_pack("{s:s}", "id", "http-refused")), -32004);
    ck_assert_int_eq(files_in(spool_dir), 0);
}
END_TEST

START_TEST(test_http_body_over_max_upload_bytes_is_413)
{
    test_server tiny;
    const char *flags[] = { "--max-upload-bytes", "2048", NULL };
    ck_assert(server_start(&tiny, "tiny", flags));
    char *small = ndjson(json_pack("[o]", cdr("tiny-ok", "442071234567", 10)));
    json_t *batch = json_array();
    for (int i = 0; i < 20; i++) {
        char id[32];
        snprintf(id, sizeof id, "tiny-big-%d", i);
        json_array_append_new(batch, cdr(id, "442071234567", 10));
    }
    char *big = ndjson(batch);
    ck_assert_uint_gt(strlen(big), 2048);
    json_t *reply = NULL;
    ck_assert_int_eq(post_ex(tiny.port, "/api/v1/cdrs", token, big, strlen(big), NULL, false, &reply), 413);
    ck_assert_int_eq(error_code(reply), -32600);
    json_decref(reply);
    /* The connection and the server carry on. */
    ck_assert_int_eq(post_ex(tiny.port, "/api/v1/cdrs", token, small, strlen(small), NULL, false, &reply), 200);
    ck_assert_int_eq(jint(reply, "accepted"), 1);
    json_decref(reply);
    free(small);
    free(big);
    ck_assert_int_eq(count_sql("SELECT count(*) FROM cdrs WHERE id LIKE '%s'", "tiny-big-%"), 0);
    ck_assert_int_eq(server_stop(&tiny, 20000), 0);
}
END_TEST

START_TEST(test_a_rate_deck_goes_up_over_http_to_rating_plan_import)
{
    char path[160];
    snprintf(path, sizeof path, "/api/v1/rating-plans/%lld/rates?mode=merge&effective_from=2026-01-01T00:00:00Z",
             retail_plan);
    json_t *reply = NULL;
    ck_assert_int_eq(post(path, token, "prefix,destination,rate\n4421,Birmingham,0.02\n4422,Leeds,x\n", NULL, &reply),
                     200);
    ck_assert_int_eq(jint(reply, "imported"), 1);
    ck_assert_int_eq(json_array_size(json_object_get(reply, "rejected")), 1);
    json_decref(reply);
    ck_assert_int_eq(post("/api/v1/rating-plans/987654/rates?mode=merge", token, "prefix,rate\n44,1\n", NULL, &reply),
                     404);
    json_decref(reply);
    ck_assert_int_eq(files_in(spool_dir), 0);
}
END_TEST

/* ---- charges into the ledger (issue 6) ---- */

/* A CDR like cdr() on another ingress. */
static json_t *cdr_on(long long ingress, const char *id, const char *callee, int duration)
{
    json_t *o = cdr(id, callee, duration);
    json_object_set_new(o, "ingress_interconnect_id", json_integer(ingress));
    return o;
}

static json_t *balance(long long carrier)
{
    return ok(admin, "ledger.balance", json_pack("{s:I}", "carrier_id", (json_int_t)carrier));
}

static const char *sub_str(json_t *o, const char *obj, const char *key)
{
    return jstr(json_object_get(o, obj), key);
}

/* Wait until nothing of these carriers is queued any more (the flush runs
 * every 200 ms in this test server). */
static void wait_posted(long long customer, long long supplier)
{
    for (int i = 0; i < 300; i++) {
        long long queued = count_sql("SELECT count(*) FROM ledger_cdr_pending WHERE carrier_id IN (%lld, %lld)",
                                     customer, supplier);
        if (!queued)
            return;
        usleep(50 * 1000);
    }
    ck_abort_msg("CDR charges of carriers %lld/%lld were not posted within 15 s", customer, supplier);
}

/* A customer of its own on the Retail plan, for tests that count money. */
static long long new_customer(const char *name, const char *ip, long long *ingress)
{
    long long id = new_carrier(name, "customer", "USD");
    char icname[64];
    snprintf(icname, sizeof icname, "%s-IN", name);
    *ingress = new_ingress(id, icname, json_pack("[s]", ip));
    new_service(*ingress, name, NULL);
    return id;
}

START_TEST(test_rated_cdrs_are_charged_to_both_sides_once_by_destination)
{
    long long ic;
    long long cust = new_customer("Ledger L", "192.0.2.50", &ic);
    wait_posted(cust, supp_s);
    json_t *b = balance(supp_s);
    money_t supplier_before = 0;
    ck_assert_int_eq(money_parse(sub_str(b, "supplier", "balance"), &supplier_before), MONEY_OK);
    json_decref(b);

    /* The rating test's calls: London 95 s (0.024200 / 0.014250), mobile
     * 61 s (0.200000 / 0.100000), unanswered (nothing), 1 s on 44
     * (0.000167 / 0.000133). Customer 0.224367, supplier 0.114383. */
    json_t *r = ingest(json_pack("[o,o,o,o]", cdr_on(ic, "led-1", "442071234567", 95),
                                 cdr_on(ic, "led-2", "447700900001", 61), cdr_on(ic, "led-3", "442071234567", -1),
                                 cdr_on(ic, "led-4", "441612345678", 1)));
    ck_assert_int_eq(jint(r, "accepted"), 4);
    json_decref(r);

    /* Before the flush the figures already count the queued charges. */
    b = balance(cust);
    ck_assert_str_eq(sub_str(b, "customer", "balance"), "-0.224367");
    ck_assert_str_eq(sub_str(b, "spend_24h", "customer"), "0.224367");
    json_decref(b);

    wait_posted(cust, supp_s);
    b = balance(cust);
    ck_assert_str_eq(sub_str(b, "customer", "balance"), "-0.224367");
    ck_assert_str_eq(sub_str(b, "customer", "unposted"), "0.000000");
    ck_assert_str_eq(sub_str(b, "customer", "available"), "-0.224367");
    ck_assert_str_eq(jstr(b, "blocked"), "credit");
    json_decref(b);
    b = balance(supp_s);
    money_t supplier_after = 0;
    ck_assert_int_eq(money_parse(sub_str(b, "supplier", "balance"), &supplier_after), MONEY_OK);
    ck_assert_int_eq(supplier_after - supplier_before, 114383);
    json_decref(b);

    /* The account's balance is the sum of its entries, and the journal's
     * lines say what it was for, by destination. */
    ck_assert_str_eq(harness_sql("SELECT balance FROM ledger_accounts WHERE kind = 'carrier_customer' AND carrier_id = "
                                 "(SELECT id FROM carriers WHERE name = 'Ledger L')"), "0.224367");
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT string_agg(destination || ':' || calls || ':' || seconds || ':' || amount, ' '"
             " ORDER BY destination) FROM ledger_cdr_lines WHERE carrier_id = %lld", cust);
    ck_assert_str_eq(harness_sql(sql), "London:1:96:0.024200 United Kingdom:1:1:0.000167 "
                                       "United Kingdom Mobile:1:120:0.200000");
    json_t *l = ok(admin, "ledger.journal.list", json_pack("{s:{s:I, s:s}}", "filter", "carrier_id", (json_int_t)cust,
                                                           "kind", "cdr_charges"));
    ck_assert_int_ge(jint(l, "total"), 1);
    json_decref(l);

    /* The same CDRs again: duplicates, nothing charged twice. */
    r = ingest(json_pack("[o,o]", cdr_on(ic, "led-1", "442071234567", 95), cdr_on(ic, "led-2", "447700900001", 61)));
    ck_assert_int_eq(jint(r, "duplicates"), 2);
    json_decref(r);
    wait_posted(cust, supp_s);
    b = balance(cust);
    ck_assert_str_eq(sub_str(b, "customer", "balance"), "-0.224367");
    json_decref(b);

    json_t *t = ok(admin, "ledger.trial_balance", NULL);
    ck_assert(json_is_true(json_object_get(t, "balanced")));
    json_decref(t);
}
END_TEST

START_TEST(test_a_customer_sees_its_cdr_charges_but_no_other_carriers_entries)
{
    long long ic;
    long long cust = new_customer("Ledger Scoped", "192.0.2.51", &ic);
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "scoped_user", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)cust)));
    json_decref(ingest(json_pack("[o]", cdr_on(ic, "scope-1", "447700900001", 61))));
    wait_posted(cust, supp_s);
    wsc *cu = login(&S, "scoped_user", "password123");
    json_t *l = ok(cu, "ledger.journal.list", json_pack("{s:{s:s}}", "filter", "kind", "cdr_charges"));
    ck_assert_int_eq(jint(l, "total"), 1);
    json_t *j = json_array_get(json_object_get(l, "items"), 0);
    json_t *entries = json_object_get(j, "entries");
    ck_assert_int_eq(json_array_size(entries), 1);   /* not revenue, not the supplier */
    ck_assert_int_eq(jint(json_array_get(entries, 0), "carrier_id"), cust);
    ck_assert_str_eq(jstr(json_array_get(entries, 0), "amount"), "0.200000");
    ck_assert(json_is_null(json_object_get(j, "actor")));
    json_decref(l);
    wsc_close(cu);
}
END_TEST

START_TEST(test_cdr_charges_cross_a_credit_alert_once_and_block_the_customer)
{
    long long ic;
    long long cust = new_customer("Ledger Alert", "192.0.2.52", &ic);
    json_decref(ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", "la-top",
                                                   "kind", "topup", "carrier_id", (json_int_t)cust, "side",
                                                   "customer", "amount", "0.45", "currency", "USD")));
    json_decref(ok(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust,
                                                           "type", "low_balance", "threshold", "0.10", "recipients",
                                                           "noc@ledger-alert.example")));
    json_decref(ok(admin, "ledger.credit_check", json_pack("{s:I}", "carrier_id", (json_int_t)cust)));
    wsc *watcher = login(&S, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "credit.alert")));

    /* 0.45 - 0.2 = 0.25; - 0.2 = 0.05 (crossed 0.10); - 0.2 = -0.15 (still below) */
    json_decref(ingest(json_pack("[o]", cdr_on(ic, "al-1", "447700900001", 61))));
    wait_posted(cust, supp_s);
    json_decref(ingest(json_pack("[o]", cdr_on(ic, "al-2", "447700900001", 61))));
    wait_posted(cust, supp_s);
    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *d = json_object_get(json_object_get(ev, "params"), "data");
    ck_assert_str_eq(jstr(d, "type"), "low_balance");
    ck_assert_int_eq(jint(d, "carrier_id"), cust);
    ck_assert_str_eq(jstr(d, "value"), "0.050000");
    json_decref(ev);
    json_t *b = balance(cust);
    ck_assert(json_is_null(json_object_get(b, "blocked")));
    json_decref(b);
    json_decref(ingest(json_pack("[o]", cdr_on(ic, "al-3", "447700900001", 61))));
    wait_posted(cust, supp_s);
    ck_assert_ptr_null(wsc_next_event(watcher, 1000));
    wsc_close(watcher);
    /* One e-mail queued for the one crossing (sent by the e-mail job,
     * server/mail: with no Brevo key it goes to the outbox and is done). */
    ck_assert_int_eq(count_sql("SELECT count(*) FROM jobs WHERE kind = 'email.send' AND state <> 'dead'"
                               " AND payload->'alert'->>'carrier_id' = '%lld'"
                               " AND payload->'to'->>0 = 'noc@ledger-alert.example'", cust), 1);

    /* Out of credit: blocked with the reason and what is available. */
    json_t *reply = call(admin, "ledger.credit_check", json_pack("{s:I}", "carrier_id", (json_int_t)cust));
    json_t *err = json_object_get(reply, "error");
    ck_assert_int_eq(jint(err, "code"), -32010);
    ck_assert_str_eq(jstr(json_object_get(err, "data"), "reason"), "credit");
    ck_assert_str_eq(jstr(json_object_get(err, "data"), "available"), "-0.150000");
    json_decref(reply);
}
END_TEST

START_TEST(test_the_24_hour_spend_limit_blocks_until_reset)
{
    long long ic;
    long long cust = new_customer("Ledger Spend", "192.0.2.53", &ic);
    json_decref(ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", "ls-top",
                                                   "kind", "topup", "carrier_id", (json_int_t)cust, "side",
                                                   "customer", "amount", "100", "currency", "USD")));
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)cust));
    json_decref(ok(admin, "carrier.credit.update", json_pack("{s:I, s:I, s:{s:s, s:s}}", "id", (json_int_t)cust,
                                                             "version", (json_int_t)jint(c, "version"), "customer",
                                                             "spend_limit_24h", "0.35", "spend_limit_24h_breach",
                                                             "block")));
    json_decref(c);
    json_decref(ingest(json_pack("[o,o]", cdr_on(ic, "sp-1", "447700900001", 61),
                                 cdr_on(ic, "sp-2", "447700900001", 61))));
    /* 0.40 spent >= 0.35: blocked, even before the flush */
    json_t *b = balance(cust);
    ck_assert_str_eq(jstr(b, "blocked"), "spend_limit_24h");
    ck_assert_str_eq(sub_str(b, "spend_24h", "customer"), "0.400000");
    json_decref(b);
    ck_assert_int_eq(fails(admin, "ledger.credit_check", json_pack("{s:I}", "carrier_id", (json_int_t)cust)), -32010);
    wait_posted(cust, supp_s);

    json_t *r = ok(admin, "ledger.spend_reset", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)cust, "side",
                                                          "customer"));
    ck_assert_str_ne(jstr(r, "reset_at"), "");
    json_decref(r);
    b = balance(cust);
    ck_assert(json_is_null(json_object_get(b, "blocked")));
    ck_assert_str_eq(sub_str(b, "spend_24h", "customer"), "0.000000");
    ck_assert_str_eq(sub_str(b, "customer", "balance"), "99.600000");  /* the money is still spent */
    json_decref(b);
    json_decref(ok(admin, "ledger.credit_check", json_pack("{s:I}", "carrier_id", (json_int_t)cust)));
    ck_assert_int_ge(count_sql("SELECT count(*) FROM audit_log WHERE action = 'spend_reset' AND entity_id = '%lld'",
                               cust), 1);
    fails_on_field(admin, "ledger.spend_reset", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)cust, "side",
                                                          "supplier"), "side");
    fails_on_field(admin, "ledger.spend_reset", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)cust, "side",
                                                          "both"), "side");
}
END_TEST

/* Eight connections ingest at once for one customer: every CDR's charge is
 * posted exactly once (the account equals the CDRs' costs to the
 * micro-unit), and the lines add up to the entries. */
typedef struct {
    long long ingress;
    int worker;
} racer_arg;

static void *racer(void *p)
{
    racer_arg *a = p;
    wsc *w = login(&S, "root", "rootpass123");
    for (int b = 0; b < 10; b++) {
        json_t *batch = json_array();
        for (int i = 0; i < 50; i++) {
            char id[48];
            snprintf(id, sizeof id, "race-%d-%d-%d", a->worker, b, i);
            json_array_append_new(batch, cdr_on(a->ingress, id, i % 2 ? "442071234567" : "447700900001",
                                                30 + i));
        }
        json_decref(ok(w, "cdr.ingest", json_pack("{s:o}", "cdrs", batch)));
    }
    wsc_close(w);
    return NULL;
}

START_TEST(test_concurrent_batches_charge_every_cdr_exactly_once)
{
    long long ic;
    long long cust = new_customer("Ledger Race", "192.0.2.54", &ic);
    pthread_t th[8];
    racer_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (racer_arg){ ic, i };
        pthread_create(&th[i], NULL, racer, &args[i]);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    wait_posted(cust, supp_s);
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT (SELECT sum(customer_cost) FROM cdrs WHERE customer_carrier_id = %lld)"
                              " = (SELECT balance FROM ledger_accounts WHERE carrier_id = %lld"
                              "     AND kind = 'carrier_customer')", cust, cust);
    ck_assert_str_eq(harness_sql(sql), "t");
    snprintf(sql, sizeof sql, "SELECT sum(calls) FROM ledger_cdr_lines WHERE carrier_id = %lld", cust);
    ck_assert_str_eq(harness_sql(sql), "4000");
    ck_assert_str_eq(harness_sql("SELECT bool_and(x.ok) FROM (SELECT l.journal_id, sum(l.amount) = max(e.amount) AS ok"
                                 " FROM ledger_cdr_lines l JOIN ledger_entries e ON e.journal_id = l.journal_id"
                                 " AND e.account_id = l.account_id AND l.side = 'customer'"
                                 " GROUP BY l.journal_id, l.account_id) x"), "t");
    json_t *t = ok(admin, "ledger.trial_balance", NULL);
    ck_assert(json_is_true(json_object_get(t, "balanced")));
    json_decref(t);
}
END_TEST

int main(void)
{
    setup();
    Suite *s = suite_create("cdrs");
    TCase *tc = tcase_create("cdrs");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, network_setup, NULL);
    tcase_add_test(tc, test_both_sides_are_rated_by_hand_computed_rules_and_the_margin_is_their_difference);
    tcase_add_test(tc, test_mixed_currencies_leave_the_margin_empty_with_the_reason);
    tcase_add_test(tc, test_unratable_cdrs_are_stored_with_the_reason);
    tcase_add_test(tc, test_the_ingress_is_found_by_ip_within_a_network_and_by_tech_prefix);
    tcase_add_test(tc, test_the_same_batch_twice_is_stored_once);
    tcase_add_test(tc, test_a_bad_cdr_is_rejected_by_index_and_the_rest_are_stored);
    tcase_add_test(tc, test_cdr_ingested_events_reach_staff);
    tcase_add_test(tc, test_a_cdr_far_ahead_gets_its_month_partition_and_one_beyond_lands_in_default);
    tcase_add_test(tc, test_list_filters_and_pages_newest_first);
    tcase_add_test(tc, test_a_customer_sees_only_its_cdrs_and_never_the_supplier_side);
    tcase_add_test(tc, test_http_takes_a_json_array_ndjson_and_gzip);
    tcase_add_test(tc, test_http_body_larger_than_a_message_is_spooled_not_refused);
    tcase_add_test(tc, test_http_refusals_have_their_status_and_an_error_body);
    tcase_add_test(tc, test_http_body_over_max_upload_bytes_is_413);
    tcase_add_test(tc, test_a_rate_deck_goes_up_over_http_to_rating_plan_import);
    tcase_add_test(tc, test_rated_cdrs_are_charged_to_both_sides_once_by_destination);
    tcase_add_test(tc, test_a_customer_sees_its_cdr_charges_but_no_other_carriers_entries);
    tcase_add_test(tc, test_cdr_charges_cross_a_credit_alert_once_and_block_the_customer);
    tcase_add_test(tc, test_the_24_hour_spend_limit_blocks_until_reset);
    tcase_add_test(tc, test_concurrent_batches_charge_every_cdr_exactly_once);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    free(token);
    teardown();
    return failed;
}
