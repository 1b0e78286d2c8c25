/*
 * Integration: rating plans, rate deck imports (over the WebSocket and the
 * HTTP upload route), rate.list, rating.quote and the live deck cache, on
 * two didtrond instances sharing one database.
 */
#include <check.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "client.h"
#include "suite.h"
#include "timeutil.h"

#define DAY (86400LL * 1000000LL)

static test_server A, B;
static wsc *admin;
static char *token;

/* ---- helpers ---- */

static long long made(json_t *r)
{
    long long id = jint(r, "id");
    json_decref(r);
    return id;
}

static long long new_plan(const char *name, const char *direction, const char *rounding)
{
    return made(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", name, "currency", "USD",
                                                          "direction", direction, "rounding", rounding)));
}

/* rating_plan.import params; effective_from may be NULL. */
static json_t *import_params(long long plan, const char *mode, const char *csv, const char *effective_from, bool strict)
{
    json_t *p = json_pack("{s:I, s:s, s:s, s:b}", "rating_plan_id", (json_int_t)plan, "mode", mode, "csv", csv,
                          "strict", strict);
    if (effective_from)
        json_object_set_new(p, "effective_from", json_string(effective_from));
    return p;
}

static json_t *import_ok(long long plan, const char *mode, const char *csv, const char *effective_from)
{
    return ok(admin, "rating_plan.import", import_params(plan, mode, csv, effective_from, false));
}

static long long sql_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_count(const char *fmt, ...)
{
    char sql[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return atoll(harness_sql(sql));
}

static long long db_rates(long long plan)
{
    return sql_count("SELECT count(*) FROM rates WHERE rating_plan_id = %lld", plan);
}

/* A time `days` from now, to the second, RFC 3339. */
static const char *when(double days, char *buf)
{
    int64_t t = time_now_usec() / 1000000 * 1000000 + (int64_t)(days * (double)DAY);
    return time_format_rfc3339(t, buf, 40);
}

static json_t *quote_call(wsc *c, long long plan, const char *number, int duration, const char *at)
{
    json_t *p = json_pack("{s:I, s:s, s:i}", "rating_plan_id", (json_int_t)plan, "destination", number, "duration",
                          duration);
    if (at)
        json_object_set_new(p, "at", json_string(at));
    return call(c, "rating.quote", p);
}

static void expect_quote(wsc *c, long long plan, const char *number, int duration, const char *at, const char *prefix,
                         long long billed, const char *cost)
{
    json_t *r = quote_call(c, plan, number, duration, at);
    char *text = json_dumps(r, JSON_COMPACT);
    json_t *res = wsc_result(r);
    ck_assert_msg(res && !strcmp(jstr(res, "prefix"), prefix) && jint(res, "billed_duration") == billed &&
                      !strcmp(jstr(res, "cost"), cost),
                  "quote %s %ds: want prefix %s billed %lld cost %s, got %s", number, duration, prefix, billed, cost,
                  text);
    free(text);
    json_decref(r);
}

/* The -32602 message for `destination` (static), or "" when the quote worked. */
static const char *quote_refusal(wsc *c, long long plan, const char *number, const char *at)
{
    static char msg[200];
    json_t *r = quote_call(c, plan, number, 60, at);
    json_t *f = json_array_get(json_object_get(json_object_get(json_object_get(r, "error"), "data"), "fields"), 0);
    snprintf(msg, sizeof msg, "%s", f && !strcmp(jstr(f, "field"), "destination") ? jstr(f, "message") : "");
    json_decref(r);
    return msg;
}

static const char *quote_rate(wsc *c, long long plan, const char *number)
{
    static char rate[32];
    json_t *r = quote_call(c, plan, number, 60, NULL);
    snprintf(rate, sizeof rate, "%s", wsc_result(r) ? jstr(wsc_result(r), "rate") : "(refused)");
    json_decref(r);
    return rate;
}

/* n unique rows "9PPPPPPP,0.0xxxxx,Dest k" after a header. malloc'd. */
static char *generated_deck(long n, size_t *len)
{
    size_t cap = 64 + (size_t)n * 40;
    char *s = malloc(cap);
    size_t k = (size_t)snprintf(s, cap, "prefix,rate,destination,initial_increment,subsequent_increment\n");
    for (long i = 0; i < n; i++)
        k += (size_t)snprintf(s + k, cap - k, "9%07ld,0.%06ld,Dest %ld,60,60\n", i, 1000 + i % 90000, i % 97);
    *len = k;
    return s;
}

/* gzip of data as `members` concatenated gzip members. malloc'd. */
static unsigned char *gzipped(const char *data, size_t len, int members, size_t *out_len)
{
    size_t cap = len + 1024 * (size_t)members + 1024, k = 0;
    unsigned char *out = malloc(cap);
    for (int m = 0; m < members; m++) {
        size_t from = len * (size_t)m / (size_t)members, to = len * (size_t)(m + 1) / (size_t)members;
        z_stream z = { 0 };
        ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
        z.next_in = (unsigned char *)(uintptr_t)(data + from);
        z.avail_in = (uInt)(to - from);
        z.next_out = out + k;
        z.avail_out = (uInt)(cap - k);
        ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
        k = cap - z.avail_out;
        deflateEnd(&z);
    }
    *out_len = k;
    return out;
}

typedef struct {
    char *data;
    size_t len;
} grow;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *ud)
{
    grow *g = ud;
    size_t n = size * nmemb;
    char *d = realloc(g->data, g->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + g->len, ptr, n);
    g->data = d;
    g->len += n;
    d[g->len] = '\0';
    return n;
}

/* POST a deck to the upload route; returns the HTTP status, the reply
 * body parsed in *reply (caller decrefs; NULL if not JSON). */
static int upload(long long plan, const char *query, const void *data, size_t len, bool gzip, json_t **reply)
{
    CURL *h = curl_easy_init();
    char url[256], auth[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/rating-plans/%lld/rates%s%s", A.port, plan,
             query ? "?" : "", query ? query : "");
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: text/csv");
    if (gzip)
        hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
    grow g = { NULL, 0 };
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    *reply = g.data ? json_loads(g.data, 0, NULL) : NULL;
    free(g.data);
    return (int)status;
}

static bool has_line_error(json_t *rejected, long long line, const char *needle)
{
    size_t i;
    json_t *e;
    json_array_foreach(rejected, i, e)
        if (jint(e, "line") == line && strstr(jstr(e, "message"), needle))
            return true;
    return false;
}

static void setup(void)
{
    /* Large decks travel over the WebSocket too (the progress test). */
    const char *flags[] = { "--max-message-bytes", "67108864", "--max-string-bytes", "67108864", NULL };
    admin = start_with_root(&A, "didtron_rating", "rating-a", flags);
    if (!server_start(&B, "rating-b", NULL)) {
        fprintf(stderr, "setup: cannot start the second didtrond\n");
        exit(1);
    }
}

/* ---- plans ---- */

START_TEST(test_plan_crud_and_validation_name_fields)
{
    json_t *p = ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "Retail USD", "currency", "USD",
                                                          "direction", "customer"));
    long long id = jint(p, "id");
    ck_assert_str_eq(jstr(p, "rounding"), "half_up");
    ck_assert_int_eq(jint(p, "notice_days"), 7);
    ck_assert_int_eq(jint(p, "rates"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(p, "time_classes")), 0);
    ck_assert_int_eq(jint(p, "version"), 1);
    json_decref(p);
    fails_on_field(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "X", "currency", "usd",
                                                          "direction", "customer"), "currency");
    fails_on_field(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "X", "currency", "USD",
                                                          "direction", "inbound"), "direction");
    fails_on_field(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", "X", "currency", "USD",
                                                          "direction", "customer", "rounding", "nearest"), "rounding");
    fails_on_field(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:i}", "name", "X", "currency", "USD",
                                                          "direction", "customer", "notice_days", 400), "notice_days");
    fails_on_field(admin, "rating_plan.create", json_pack("{s:s, s:s}", "currency", "USD", "direction", "customer"),
                   "name");
    ck_assert_int_eq(fails(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "retail usd", "currency",
                                                                  "EUR", "direction", "supplier")), -32009);
    p = ok(admin, "rating_plan.update", json_pack("{s:I, s:i, s:s, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                  "rounding", "up", "notice_days", 14, "description", "Retail deck"));
    ck_assert_str_eq(jstr(p, "rounding"), "up");
    ck_assert_int_eq(jint(p, "version"), 2);
    json_decref(p);
    ck_assert_int_eq(fails(admin, "rating_plan.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                                  "rounding", "down")), -32009);
    json_t *list = ok(admin, "rating_plan.list", json_pack("{s:{s:s, s:s, s:s}}", "filter", "direction", "customer",
                                                           "currency", "USD", "q", "retail d"));
    ck_assert_int_eq(jint(list, "total"), 1);
    ck_assert_int_eq(jint(json_array_get(json_object_get(list, "items"), 0), "id"), id);
    json_decref(list);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM audit_log WHERE entity = 'rating_plan' AND entity_id = '%lld'", id),
                     2);

    /* A plan in use stays: a service names it. */
    long long car = made(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Plan User",
                                                               "type", "customer", "timezone", "UTC", "currencies",
                                                               "USD")));
    long long ic = made(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)car,
                                                                   "name", "PU-IN", "direction", "ingress", "currency",
                                                                   "USD")));
    long long routing = atoll(harness_sql("INSERT INTO routing_plans (name, mode) VALUES ('R', 'lcr') RETURNING id"));
    long long svc = made(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ic,
                                                               "name", "Wholesale voice", "rating_plan_id",
                                                               (json_int_t)id, "routing_plan_id", (json_int_t)routing)));
    json_t *r = call(admin, "rating_plan.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 2));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    const char *msg = jstr(json_object_get(r, "error"), "message");
    ck_assert_msg(strstr(msg, "service") && strstr(msg, "Wholesale voice"), "message names the user: %s", msg);
    json_decref(r);
    ck_assert_int_eq(fails(admin, "rating_plan.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 2,
                                                                  "direction", "supplier")), -32009);
    json_decref(ok(admin, "service.delete", json_pack("{s:I, s:i}", "id", (json_int_t)svc, "version", 1)));
    r = ok(admin, "rating_plan.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 2));
    ck_assert(json_is_true(json_object_get(r, "deleted")));
    json_decref(r);
    ck_assert_int_eq(fails(admin, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)id)), -32004);
    ck_assert_int_eq(fails(admin, "rating_plan.import", import_params(id, "merge", "prefix,rate\n1,1\n", NULL, false)),
                     -32004);
}
END_TEST

START_TEST(test_customer_may_not_see_or_import_plans)
{
    long long plan = new_plan("Customer Proof", "customer", "half_up");
    long long car = made(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Cust Co", "type",
                                                               "customer", "timezone", "UTC", "currencies", "USD")));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "rating-cust", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)car)));
    wsc *cu = login(&A, "rating-cust", "password123");
    ck_assert_int_eq(fails(cu, "rating_plan.import", import_params(plan, "merge", "prefix,rate\n44,0.1\n", NULL, false)),
                     -32003);
    ck_assert_int_eq(fails(cu, "rating_plan.list", NULL), -32003);
    ck_assert_int_eq(fails(cu, "rating.quote", json_pack("{s:I, s:s, s:i}", "rating_plan_id", (json_int_t)plan,
                                                         "destination", "44", "duration", 60)), -32003);
    ck_assert_int_eq(fails(cu, "subscribe", json_pack("{s:[s]}", "topics", "rating_plan.import_progress")), -32602);
    wsc_close(cu);
    create_user(admin, "rating-noc", "noc");
    wsc *noc = login(&A, "rating-noc", "password123");
    ck_assert_int_eq(fails(noc, "rating_plan.import", import_params(plan, "merge", "prefix,rate\n44,0.1\n", NULL, false)),
                     -32003);
    json_decref(ok(noc, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)plan)));
    wsc_close(noc);
    ck_assert_int_eq(db_rates(plan), 0);
}
END_TEST

/* ---- imports ---- */

START_TEST(test_import_takes_the_header_in_any_order_and_classifies_rows)
{
    long long plan = new_plan("Classify", "supplier", "half_up");
    json_t *r = import_ok(plan, "merge",
                          " Rate ,PREFIX,destination\r\n"
                          "0.010000,44,UK\r\n"
                          "0.05,+447,UK Mobile\r\n"
                          "0.02,0033,France\r\n"
                          "0.03,49,Germany\r\n",
                          NULL);
    ck_assert_int_eq(jint(r, "imported"), 4);
    ck_assert_int_eq(jint(r, "new"), 4);
    ck_assert_int_eq(jint(r, "rejected_total"), 0);
    ck_assert(jint(r, "import_id") > 0);
    ck_assert(json_is_number(json_object_get(r, "seconds")));
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 4);

    /* A month ahead: one of each kind, none early. */
    char later[40], now[40];
    when(30, later);
    r = import_ok(plan, "merge",
                  "prefix,rate,destination\n"
                  "44,0.012,UK\n"           /* increase */
                  "447,0.04,UK Mobile\n"    /* decrease */
                  "33,0.02,France\n"        /* unchanged */
                  "49,0.03,Deutschland\n"   /* changed: same price, other name */
                  "1,0.005,USA\n",          /* new */
                  later);
    ck_assert_int_eq(jint(r, "imported"), 5);
    ck_assert_int_eq(jint(r, "new"), 1);
    ck_assert_int_eq(jint(r, "increases"), 1);
    ck_assert_int_eq(jint(r, "decreases"), 1);
    ck_assert_int_eq(jint(r, "changed"), 1);
    ck_assert_int_eq(jint(r, "unchanged"), 1);
    ck_assert_int_eq(jint(r, "closed"), 3); /* 44, 447, 49 end where their successors start */
    ck_assert_int_eq(jint(json_object_get(r, "early_increases"), "count"), 0);
    ck_assert_str_eq(jstr(r, "effective_from"), later);
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 8);
    char plan_text[24];
    snprintf(plan_text, sizeof plan_text, "%lld", plan);
    const char *const closed_params[] = { plan_text, later };
    ck_assert_str_eq(harness_sql_params("SELECT count(*) FROM rates WHERE rating_plan_id = $1 AND effective_to = $2",
                                        2, closed_params),
                     "3");

    /* Now, inside the 7 days' notice: an early increase. */
    r = import_ok(plan, "merge", "prefix,rate\n33,0.025\n", NULL);
    ck_assert_int_eq(jint(r, "increases"), 1);
    json_t *early = json_object_get(r, "early_increases");
    ck_assert_int_eq(jint(early, "count"), 1);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(early, "prefixes"), 0)), "33");
    json_decref(r);
    /* With notice_days 0 the same kind of change is not early. */
    json_t *p = ok(admin, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)plan));
    json_decref(ok(admin, "rating_plan.update", json_pack("{s:I, s:I, s:i}", "id", (json_int_t)plan, "version",
                                                          (json_int_t)jint(p, "version"), "notice_days", 0)));
    json_decref(p);
    r = import_ok(plan, "merge", "prefix,rate\n49,0.035\n", when(0.5, now));
    ck_assert_int_eq(jint(r, "increases"), 1);
    ck_assert_int_eq(jint(json_object_get(r, "early_increases"), "count"), 0);
    json_decref(r);
    p = ok(admin, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)plan));
    ck_assert_int_eq(jint(p, "rates"), db_rates(plan));
    json_decref(p);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM audit_log WHERE action = 'import' AND entity_id = '%lld'", plan), 4);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM rate_imports WHERE status = 'done' AND rating_plan_id = %lld", plan),
                     4);
}
END_TEST

START_TEST(test_replace_closes_rows_missing_from_the_deck_and_deletes_future_ones)
{
    long long plan = new_plan("Replace", "supplier", "half_up");
    char e[40], future[40], before_e[40], after_e[40];
    when(30, e);
    when(60, future);
    when(29, before_e);
    when(31, after_e);
    char csv[300];
    snprintf(csv, sizeof csv, "prefix,rate,effective_from\n44,0.01,\n33,0.02,\n49,0.03,%s\n", future);
    json_t *r = import_ok(plan, "merge", csv, NULL);
    ck_assert_int_eq(jint(r, "new"), 3);
    json_decref(r);
    r = import_ok(plan, "replace", "prefix,rate\n44,0.01\n", e);
    ck_assert_int_eq(jint(r, "unchanged"), 1);
    ck_assert_int_eq(jint(r, "closed"), 1);  /* 33 ends at e */
    ck_assert_int_eq(jint(r, "deleted"), 1); /* 49 had not started by e */
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 2);
    json_t *all = ok(admin, "rate.list", json_pack("{s:{s:I, s:s, s:s}}", "filter", "rating_plan_id", (json_int_t)plan,
                                                   "prefix", "33", "at", "all"));
    ck_assert_int_eq(jint(all, "total"), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(all, "items"), 0), "effective_to"), e);
    json_decref(all);
    ck_assert_str_eq(quote_refusal(admin, plan, "3312345", before_e), "");
    ck_assert_str_eq(quote_refusal(admin, plan, "3312345", after_e), "no rate for 3312345");
    ck_assert_str_eq(quote_refusal(admin, plan, "4912345", future), "no rate for 4912345");
    ck_assert_str_eq(quote_refusal(admin, plan, "4412345", after_e), "");
    /* A replace whose every line is bad replaces nothing. */
    ck_assert_int_eq(fails(admin, "rating_plan.import", import_params(plan, "replace", "prefix,rate\nx,1\n", e, false)),
                     -32602);
    ck_assert_int_eq(db_rates(plan), 2);
}
END_TEST

START_TEST(test_strict_import_refuses_every_row_when_one_is_bad)
{
    long long plan = new_plan("Strict", "supplier", "half_up");
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.01\n33,0.02\n", NULL));
    json_t *r = call(admin, "rating_plan.import",
                     import_params(plan, "merge", "prefix,rate\n44,0.03\n1,0.01\n49,abc\n7,0.02\n", NULL, true));
    ck_assert_int_eq(wsc_error_code(r), -32602);
    json_t *data = json_object_get(json_object_get(r, "error"), "data");
    ck_assert(has_line_error(json_object_get(data, "rejected"), 4, "rate"));
    ck_assert_int_eq(jint(data, "rejected_total"), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(data, "fields"), 0), "field"), "csv");
    long long import_id = jint(data, "import_id");
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 2);
    ck_assert_str_eq(quote_rate(admin, plan, "4455"), "0.010000");
    ck_assert_int_eq(sql_count("SELECT count(*) FROM rate_imports WHERE status = 'refused' AND id = %lld", import_id), 1);
    ck_assert_int_eq(
        sql_count("SELECT count(*) FROM audit_log WHERE action = 'import_refused' AND entity_id = '%lld'", plan), 1);
    /* The same deck without strict keeps the good rows (a day on, so 44 gets a row of its own). */
    char tomorrow[40];
    r = ok(admin, "rating_plan.import",
           import_params(plan, "merge", "prefix,rate\n44,0.03\n1,0.01\n49,abc\n7,0.02\n", when(1, tomorrow), false));
    ck_assert_int_eq(jint(r, "imported"), 3);
    ck_assert_int_eq(jint(r, "rejected_total"), 1);
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 2 + 3);
}
END_TEST

START_TEST(test_malformed_lines_are_named_and_only_good_rows_go_in)
{
    long long plan = new_plan("Malformed", "supplier", "half_up");
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.01\n", NULL));
    size_t wide_len = 10000 * 2 + 64;
    char *wide = malloc(wide_len);
    size_t k = 0;
    for (int i = 0; i < 10000; i++)
        k += (size_t)snprintf(wide + k, wide_len - k, "%s1", i ? "," : "");
    size_t cap = wide_len + 1024, n = 0;
    char *csv = malloc(cap);
    n += (size_t)snprintf(csv + n, cap - n,
                          "prefix,rate,destination,effective_from\n" /* line 1 */
                          "33,0.02,France,2026-01-01\n"                /* 2 good */
                          "34,0.02\n"                                  /* 3 missing columns */
                          "35,abc,Spain,2026-01-01\n"                  /* 4 non-numeric rate */
                          "36,-0.01,Hungary,2026-01-01\n"              /* 5 negative rate */
                          "33,0.03,France again,2026-01-01\n"          /* 6 duplicate prefix + effective_from */
                          "39,0.02,Italy,2026-13-45\n"                 /* 7 bad date */
                          "%s\n"                                       /* 8 10,000 columns */
                          "\x01\x02\xc3\xbf\x7f,\x05\x06,\x1b[31m,\x7f\n" /* 9 binary garbage */
                          "40,0.0200001,Romania,2026-01-01\n"          /* 10 seven decimals */
                          "41,0.02,Switzerland,2026-01-01\n",          /* 11 good */
                          wide);
    json_t *r = ok(admin, "rating_plan.import", import_params(plan, "merge", csv, NULL, false));
    ck_assert_int_eq(jint(r, "imported"), 2);
    ck_assert_int_eq(jint(r, "rejected_total"), 8);
    json_t *rej = json_object_get(r, "rejected");
    ck_assert(has_line_error(rej, 3, "fields"));
    ck_assert(has_line_error(rej, 4, "rate"));
    ck_assert(has_line_error(rej, 5, "rate"));
    ck_assert(has_line_error(rej, 6, "duplicate"));
    ck_assert(has_line_error(rej, 7, "effective_from"));
    ck_assert(has_line_error(rej, 8, "longer than"));
    ck_assert(has_line_error(rej, 9, ""));
    ck_assert(has_line_error(rej, 10, "decimals"));
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 1 + 2);
    free(csv);
    free(wide);

    /* An unusable header refuses the whole deck, strict or not. */
    long long before = db_rates(plan);
    r = call(admin, "rating_plan.import", import_params(plan, "merge", "prefix,cost\n50,0.01\n", NULL, false));
    ck_assert_int_eq(wsc_error_code(r), -32602);
    ck_assert(has_line_error(json_object_get(json_object_get(json_object_get(r, "error"), "data"), "rejected"), 1,
                             "rate"));
    json_decref(r);
    ck_assert_int_eq(fails(admin, "rating_plan.import", import_params(plan, "merge", "", NULL, false)), -32602);
    ck_assert_int_eq(db_rates(plan), before);
    /* No csv and no upload; a bad effective_from. */
    fails_on_field(admin, "rating_plan.import", json_pack("{s:I, s:s}", "rating_plan_id", (json_int_t)plan, "mode",
                                                          "merge"), "csv");
    fails_on_field(admin, "rating_plan.import", import_params(plan, "merge", "prefix,rate\n", "tomorrow", false),
                   "effective_from");
    fails_on_field(admin, "rating_plan.import", import_params(plan, "upsert", "prefix,rate\n", NULL, false), "mode");
}
END_TEST

START_TEST(test_a_deck_of_no_rows_and_a_second_identical_import_change_nothing)
{
    long long plan = new_plan("Idempotent", "supplier", "half_up");
    json_t *r = import_ok(plan, "merge", "prefix,rate,destination\n", NULL);
    ck_assert_int_eq(jint(r, "imported"), 0);
    ck_assert_int_eq(jint(r, "new"), 0);
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 0);
    size_t len;
    char *deck = generated_deck(500, &len);
    r = import_ok(plan, "replace", deck, NULL);
    ck_assert_int_eq(jint(r, "new"), 500);
    json_decref(r);
    for (int i = 0; i < 2; i++) {
        r = import_ok(plan, i ? "merge" : "replace", deck, NULL);
        ck_assert_int_eq(jint(r, "imported"), 500);
        ck_assert_int_eq(jint(r, "unchanged"), 500);
        ck_assert_int_eq(jint(r, "new") + jint(r, "increases") + jint(r, "decreases") + jint(r, "changed"), 0);
        ck_assert_int_eq(jint(r, "closed") + jint(r, "deleted"), 0);
        json_decref(r);
        ck_assert_int_eq(db_rates(plan), 500);
    }
    free(deck);
    /* An empty deck merged changes nothing. */
    json_decref(import_ok(plan, "merge", "prefix,rate\n", NULL));
    ck_assert_int_eq(db_rates(plan), 500);
}
END_TEST

/* ---- rate.list ---- */

START_TEST(test_rate_list_filters_and_pages)
{
    long long plan = new_plan("Listed", "supplier", "half_up");
    char csv[8192];
    size_t k = (size_t)snprintf(csv, sizeof csv, "prefix,rate,destination\n");
    for (int i = 0; i < 120; i++)
        k += (size_t)snprintf(csv + k, sizeof csv - k, "44%03d,0.0%02d,%s %d\n", i, i % 90 + 10,
                              i % 3 ? "UK Fixed" : "UK Mobile", i);
    json_decref(import_ok(plan, "merge", csv, NULL));
    char later[40];
    json_decref(import_ok(plan, "merge", "prefix,rate,destination\n44000,0.5,UK Mobile 0\n", when(10, later)));

    json_t *l = ok(admin, "rate.list", json_pack("{s:{s:I, s:s}}", "filter", "rating_plan_id", (json_int_t)plan,
                                                 "prefix", "4401"));
    ck_assert_int_eq(jint(l, "total"), 10); /* 44010..44019 */
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "prefix"), "44010");
    json_decref(l);
    l = ok(admin, "rate.list", json_pack("{s:{s:I, s:s}}", "filter", "rating_plan_id", (json_int_t)plan, "q", "mobile"));
    ck_assert_int_eq(jint(l, "total"), 40);
    json_decref(l);
    l = ok(admin, "rate.list", json_pack("{s:{s:I, s:s}}", "filter", "rating_plan_id", (json_int_t)plan, "at", "all"));
    ck_assert_int_eq(jint(l, "total"), 121);
    json_decref(l);
    l = ok(admin, "rate.list", json_pack("{s:{s:I, s:s}}", "filter", "rating_plan_id", (json_int_t)plan, "at", later));
    ck_assert_int_eq(jint(l, "total"), 120);
    json_t *first = json_array_get(json_object_get(l, "items"), 0);
    ck_assert_str_eq(jstr(first, "prefix"), "44000");
    ck_assert_str_eq(jstr(first, "rate"), "0.500000");
    ck_assert(json_is_null(json_object_get(first, "effective_to")));
    json_decref(l);

    /* Paging by cursor, sorted by rate descending, sees every row once. */
    int seen[120] = { 0 }, pages = 0;
    json_t *cursor = NULL;
    for (;;) {
        json_t *p = json_pack("{s:{s:I}, s:s, s:i}", "filter", "rating_plan_id", (json_int_t)plan, "sort", "-rate",
                              "limit", 50);
        if (cursor)
            json_object_set(p, "cursor", cursor);
        json_decref(cursor);
        l = ok(admin, "rate.list", p);
        pages++;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(l, "items"), i, it)
            seen[atoi(jstr(it, "prefix")) - 44000]++;
        cursor = json_incref(json_object_get(l, "next_cursor"));
        json_decref(l);
        if (json_is_null(cursor))
            break;
    }
    json_decref(cursor);
    ck_assert_int_eq(pages, 3);
    for (int i = 0; i < 120; i++)
        ck_assert_int_eq(seen[i], 1);

    fails_on_field(admin, "rate.list", json_pack("{s:{s:s}}", "filter", "prefix", "44"), "filter.rating_plan_id");
    fails_on_field(admin, "rate.list", json_pack("{s:{s:I, s:s}}", "filter", "rating_plan_id", (json_int_t)plan, "at",
                                                 "yesterday"), "filter.at");
    fails_on_field(admin, "rate.list", json_pack("{s:{s:I}, s:s}", "filter", "rating_plan_id", (json_int_t)plan, "sort",
                                                 "colour"), "sort");
    ck_assert_int_eq(fails(admin, "rate.list", json_pack("{s:{s:i}}", "filter", "rating_plan_id", 987654)), -32004);
}
END_TEST

/* ---- rating.quote ---- */

START_TEST(test_quote_costs_worked_out_by_hand)
{
    long long plan = new_plan("Quote Up", "customer", "up");
    char to[40], just_before[40];
    when(5, to);
    int64_t t;
    time_parse_rfc3339(to, &t);
    time_format_rfc3339(t - 1000000, just_before, sizeof just_before);
    char csv[600];
    snprintf(csv, sizeof csv,
             "prefix,rate,destination,connection_fee,initial_increment,subsequent_increment,min_duration,"
             "effective_to,blocked,min_length,max_length\n"
             "44,0.012,United Kingdom,0,30,6,0,,,,\n"
             "4420,0.05,London,0,1,1,0,,,,\n"
             "442,0.07,UK Other,0.01,60,60,0,%s,,,\n"
             "4470,0.2,UK Mobile,0,1,1,30,,,,\n"
             "881,1.5,Satellite,0,1,1,0,,yes,,\n"
             "33,0.02,France,0,1,1,0,,,11,11\n", to);
    json_decref(import_ok(plan, "merge", csv, NULL));
    /* 0.012/min, 30/6: 61 s -> 30 + ceil(31/6)*6 = 66 s -> 0.012 * 66 / 60 = 0.013200 */
    expect_quote(admin, plan, "4412345678", 61, NULL, "44", 66, "0.013200");
    /* 29 s is within the first 30 */
    expect_quote(admin, plan, "4412345678", 29, NULL, "44", 30, "0.006000");
    /* longest prefix: 4420 over 442 and 44; 0.05 * 61 / 60 = 0.0508333... up -> 0.050834 */
    expect_quote(admin, plan, "+442071234567", 61, NULL, "4420", 61, "0.050834");
    /* 442: fee 0.01 + 0.07 * 60 / 60 for 1 s */
    expect_quote(admin, plan, "00442912345", 1, NULL, "442", 60, "0.080000");
    /* at its effective_to the 442 row no longer applies: back to 44 */
    expect_quote(admin, plan, "442912345", 1, just_before, "442", 60, "0.080000");
    expect_quote(admin, plan, "442912345", 1, to, "44", 30, "0.006000");
    /* minimum duration 30 s at 0.2/min: 0.100000 for 10 s */
    expect_quote(admin, plan, "447012345", 10, NULL, "4470", 30, "0.100000");
    /* 0 s costs nothing, not even the fee */
    expect_quote(admin, plan, "442912345", 0, NULL, "442", 0, "0.000000");
    ck_assert_str_eq(quote_refusal(admin, plan, "8816123", NULL), "prefix 881 is blocked");
    ck_assert_str_eq(quote_refusal(admin, plan, "33123", NULL), "number length 5 outside 11..11");
    expect_quote(admin, plan, "33123456789", 60, NULL, "33", 60, "0.020000");
    ck_assert_str_eq(quote_refusal(admin, plan, "1555", NULL), "no rate for 1555");
    ck_assert(strstr(quote_refusal(admin, plan, "44-20", NULL), "not a number"));
    json_t *r = quote_call(admin, plan, "4412345678", 61, NULL);
    ck_assert_str_eq(jstr(wsc_result(r), "currency"), "USD");
    ck_assert_str_eq(jstr(wsc_result(r), "destination_name"), "United Kingdom");
    ck_assert_str_eq(jstr(wsc_result(r), "rate"), "0.012000");
    json_decref(r);
    ck_assert_int_eq(fails(admin, "rating.quote", json_pack("{s:i, s:s, s:i}", "rating_plan_id", 999999, "destination",
                                                            "44", "duration", 60)), -32004);
    fails_on_field(admin, "rating.quote", json_pack("{s:I, s:s, s:i}", "rating_plan_id", (json_int_t)plan, "destination",
                                                    "44", "duration", -1), "duration");

    /* The plan's rounding rules the last digit, and an update is seen at once. */
    json_t *p = ok(admin, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)plan));
    json_decref(ok(admin, "rating_plan.update", json_pack("{s:I, s:I, s:s}", "id", (json_int_t)plan, "version",
                                                          (json_int_t)jint(p, "version"), "rounding", "down")));
    json_decref(p);
    expect_quote(admin, plan, "442071234567", 61, NULL, "4420", 61, "0.050833");
}
END_TEST

START_TEST(test_time_classes_price_peak_and_off_peak)
{
    long long plan = new_plan("Peak", "customer", "half_up");
    fails_on_field(admin, "rating_plan.time_classes.set",
                   json_pack("{s:I, s:i, s:[{s:i, s:s, s:[{s:s, s:s, s:s}]}]}", "rating_plan_id", (json_int_t)plan,
                             "version", 1, "classes", "id", 1, "name", "peak", "ranges", "weekdays", "mon-fri", "start",
                             "25:00", "end", "20:00"),
                   "classes[0].ranges[0].start");
    fails_on_field(admin, "rating_plan.time_classes.set",
                   json_pack("{s:I, s:i, s:[{s:i, s:s, s:[{s:s, s:s, s:s}]}, {s:i, s:s, s:[{s:s, s:s, s:s}]}]}",
                             "rating_plan_id", (json_int_t)plan, "version", 1, "classes", "id", 1, "name", "peak",
                             "ranges", "weekdays", "mon-fri", "start", "08:00", "end", "20:00", "id", 1, "name",
                             "offpeak", "ranges", "weekdays", "sat-sun", "start", "00:00", "end", "24:00"),
                   "classes[1].id");
    json_t *p = ok(admin, "rating_plan.time_classes.set",
                   json_pack("{s:I, s:i, s:[{s:i, s:s, s:[{s:s, s:s, s:s}]}, {s:i, s:s, s:[{s:s, s:s, s:s}]}]}",
                             "rating_plan_id", (json_int_t)plan, "version", 1, "classes", "id", 1, "name", "peak",
                             "ranges", "weekdays", "mon-fri", "start", "08:00", "end", "20:00", "id", 2, "name",
                             "weekend", "ranges", "weekdays", "sat-sun", "start", "00:00", "end", "24:00"));
    ck_assert_int_eq(jint(p, "version"), 2);
    ck_assert_int_eq(json_array_size(json_object_get(p, "time_classes")), 2);
    json_decref(p);
    json_t *r = import_ok(plan, "merge",
                          "prefix,rate,time_class,effective_from\n"
                          "44,0.10,,2026-01-01\n"
                          "44,0.20,peak,2026-01-01\n"
                          "44,0.05,weekend,2026-01-01\n"
                          "33,0.10,nights,2026-01-01\n",
                          NULL);
    ck_assert_int_eq(jint(r, "imported"), 3);
    ck_assert(has_line_error(json_object_get(r, "rejected"), 5, "nights"));
    json_decref(r);
    /* 2026-11-23 is a Monday, 2026-11-28 a Saturday. */
    expect_quote(admin, plan, "4411", 60, "2026-11-23T10:00:00Z", "44", 60, "0.200000");
    expect_quote(admin, plan, "4411", 60, "2026-11-23T21:00:00Z", "44", 60, "0.100000");
    expect_quote(admin, plan, "4411", 60, "2026-11-28T10:00:00Z", "44", 60, "0.050000");
    /* In Tokyo (UTC+9) 2026-11-23T21:00Z is Tuesday 06:00: not peak yet; 23:30Z is 08:30 there. */
    json_t *q = call(admin, "rating.quote", json_pack("{s:I, s:s, s:i, s:s, s:s}", "rating_plan_id", (json_int_t)plan,
                                                      "destination", "4411", "duration", 60, "at",
                                                      "2026-11-23T23:30:00Z", "timezone", "Asia/Tokyo"));
    ck_assert_str_eq(jstr(wsc_result(q), "cost"), "0.200000");
    json_decref(q);
    /* A class rates use cannot go. */
    r = call(admin, "rating_plan.time_classes.set", json_pack("{s:I, s:i, s:[]}", "rating_plan_id", (json_int_t)plan,
                                                              "version", 3, "classes"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert(strstr(jstr(json_object_get(r, "error"), "message"), "peak"));
    json_decref(r);
}
END_TEST

/* ---- the live deck ---- */

START_TEST(test_the_deck_cache_sees_an_import_at_once)
{
    long long plan = new_plan("Cache Here", "supplier", "half_up");
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.01\n", NULL));
    ck_assert_str_eq(quote_rate(admin, plan, "4455"), "0.010000");
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.02\n", NULL));
    ck_assert_str_eq(quote_rate(admin, plan, "4455"), "0.020000");
    json_decref(import_ok(plan, "merge", "prefix,rate\n4455,0.03\n", NULL));
    ck_assert_str_eq(quote_rate(admin, plan, "4455"), "0.030000");
}
END_TEST

START_TEST(test_the_deck_cache_follows_changes_made_on_another_instance)
{
    long long plan = new_plan("Cache There", "supplier", "half_up");
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.01\n", NULL));
    wsc *b = login(&B, "root", "rootpass123");
    ck_assert_str_eq(quote_rate(b, plan, "4455"), "0.010000"); /* B loads and keeps the deck */
    json_decref(import_ok(plan, "merge", "prefix,rate\n44,0.02\n", NULL));
    bool seen = false;
    for (int i = 0; i < 100 && !seen; i++) { /* the event crosses over within milliseconds */
        seen = !strcmp(quote_rate(b, plan, "4455"), "0.020000");
        if (!seen)
            nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
    }
    ck_assert_msg(seen, "instance B still quotes %s", quote_rate(b, plan, "4455"));
    /* and a deleted plan is gone there too */
    json_t *p = ok(admin, "rating_plan.get", json_pack("{s:I}", "id", (json_int_t)plan));
    json_decref(ok(admin, "rating_plan.delete", json_pack("{s:I, s:I}", "id", (json_int_t)plan, "version",
                                                          (json_int_t)jint(p, "version"))));
    json_decref(p);
    int code = 0;
    for (int i = 0; i < 100 && code != -32004; i++) {
        json_t *r = quote_call(b, plan, "4455", 60, NULL);
        code = wsc_error_code(r);
        json_decref(r);
        if (code != -32004)
            nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
    }
    ck_assert_int_eq(code, -32004);
    wsc_close(b);
}
END_TEST

START_TEST(test_import_progress_reaches_subscribers_until_done)
{
    long long plan = new_plan("Progress", "supplier", "half_up");
    wsc *watcher = login(&A, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "rating_plan.import_progress")));
    size_t len;
    char *deck = generated_deck(200000, &len);
    long long id = wsc_send_request(admin, "rating_plan.import", import_params(plan, "merge", deck, NULL, false));
    ck_assert_int_gt(id, 0);
    free(deck);
    int running = 0;
    long long last_rows = -1;
    json_t *done = NULL;
    while (!done) {
        json_t *ev = wsc_next_event(watcher, 120000);
        ck_assert_msg(ev != NULL, "no progress event");
        json_t *params = json_object_get(ev, "params");
        ck_assert_str_eq(jstr(params, "topic"), "rating_plan.import_progress");
        json_t *d = json_object_get(params, "data");
        ck_assert_int_eq(jint(d, "rating_plan_id"), plan);
        ck_assert_int_ge(jint(d, "rows"), last_rows);
        ck_assert_int_eq(jint(d, "total_bytes"), (long long)len);
        last_rows = jint(d, "rows");
        if (json_is_true(json_object_get(d, "done")))
            done = json_incref(d);
        else
            running++;
        json_decref(ev);
    }
    ck_assert_int_ge(running, 1);
    ck_assert_int_eq(jint(done, "rows"), 200000);
    ck_assert_int_eq(jint(done, "bytes"), (long long)len);
    ck_assert_str_eq(jstr(done, "status"), "done");
    json_t *reply = wsc_wait_response(admin, id, 120000);
    ck_assert_int_eq(wsc_error_code(reply), 0);
    ck_assert_int_eq(jint(wsc_result(reply), "new"), 200000);
    ck_assert_int_eq(jint(done, "import_id"), jint(wsc_result(reply), "import_id"));
    json_decref(reply);
    json_decref(done);
    ck_assert_int_eq(db_rates(plan), 200000);
    /* row 123456: "90123456,0.034456,...,60,60": 61 s bills 120 s */
    expect_quote(admin, plan, "901234567", 61, NULL, "90123456", 120, "0.068912");
    wsc_close(watcher);
}
END_TEST

/* ---- the HTTP upload route ---- */

START_TEST(test_http_upload_reads_plain_and_gzip_bodies)
{
    long long plan = new_plan("Uploaded", "supplier", "half_up");
    token = login_token(&A, "root", "rootpass123");
    size_t len, zlen;
    char *deck = generated_deck(50000, &len);
    json_t *r = NULL;
    int st = upload(plan, "mode=merge", deck, len, false, &r);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert_int_eq(jint(r, "new"), 50000);
    json_decref(r);
    /* gzip in three members, effective later: the same rows, a month on */
    unsigned char *z = gzipped(deck, len, 3, &zlen);
    char later[40], q[120];
    snprintf(q, sizeof q, "mode=merge&strict=true&effective_from=%s", when(30, later));
    st = upload(plan, q, z, zlen, true, &r);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert_int_eq(jint(r, "imported"), 50000);
    ck_assert_int_eq(jint(r, "unchanged"), 50000);
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 50000);
    /* a truncated gzip body imports nothing */
    st = upload(plan, "mode=replace", z, zlen / 2, true, &r);
    ck_assert_int_eq(st, 400);
    ck_assert(strstr(jstr(json_object_get(r, "error"), "message"), "gzip"));
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 50000);
    free(z);
    free(deck);
    /* binary garbage after a good header: line errors, nothing else */
    unsigned char garbage[4096];
    memcpy(garbage, "prefix,rate\n77,0.01\n", 20);
    unsigned int seed = 7;
    for (size_t i = 20; i < sizeof garbage; i++)
        garbage[i] = (unsigned char)(rand_r(&seed) & 0xff);
    st = upload(plan, "mode=merge", garbage, sizeof garbage, false, &r);
    ck_assert_msg(st == 200, "status %d", st);
    ck_assert_int_ge(jint(r, "rejected_total"), 1);
    long long good = jint(r, "imported");
    ck_assert_int_ge(good, 1); /* 77 */
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), 50000 + good);
    /* strict refuses the garbage whole */
    long long before = db_rates(plan);
    st = upload(plan, "strict=true", garbage, sizeof garbage, false, &r);
    ck_assert_int_eq(st, 400);
    json_decref(r);
    ck_assert_int_eq(db_rates(plan), before);
    /* only admins */
    create_user(admin, "upload-noc", "noc");
    char *noc_token = login_token(&A, "upload-noc", "password123");
    char *saved = token;
    token = noc_token;
    st = upload(plan, "mode=merge", "prefix,rate\n1,1\n", 16, false, &r);
    token = saved;
    ck_assert_int_eq(st, 403);
    json_decref(r);
    free(noc_token);
}
END_TEST

int main(void)
{
    setup();
    Suite *s = suite_create("rating");
    TCase *tc = tcase_create("rating");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_plan_crud_and_validation_name_fields);
    tcase_add_test(tc, test_customer_may_not_see_or_import_plans);
    tcase_add_test(tc, test_import_takes_the_header_in_any_order_and_classifies_rows);
    tcase_add_test(tc, test_replace_closes_rows_missing_from_the_deck_and_deletes_future_ones);
    tcase_add_test(tc, test_strict_import_refuses_every_row_when_one_is_bad);
    tcase_add_test(tc, test_malformed_lines_are_named_and_only_good_rows_go_in);
    tcase_add_test(tc, test_a_deck_of_no_rows_and_a_second_identical_import_change_nothing);
    tcase_add_test(tc, test_rate_list_filters_and_pages);
    tcase_add_test(tc, test_quote_costs_worked_out_by_hand);
    tcase_add_test(tc, test_time_classes_price_peak_and_off_peak);
    tcase_add_test(tc, test_the_deck_cache_sees_an_import_at_once);
    tcase_add_test(tc, test_the_deck_cache_follows_changes_made_on_another_instance);
    tcase_add_test(tc, test_import_progress_reaches_subscribers_until_done);
    tcase_add_test(tc, test_http_upload_reads_plain_and_gzip_bodies);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    free(token);
    server_stop(&B, 20000);
    server_stop(&A, 20000);
    harness_done();
    return failed;
}
