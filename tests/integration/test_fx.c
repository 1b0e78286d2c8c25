/*
 * Integration: FX (docs/fx.md) — the currencies, the Open Exchange Rates
 * client against a stand-in server in this process (real-shaped answers,
 * a 401, a timeout, garbage, a 500, 9 MiB, a redirect), rates stored exactly as sent,
 * staleness, manual overrides (winning, audited, cleared), USD values on
 * EUR and CHF postings, the revaluation's hand-computed gain and its
 * idempotency per period, the trial balance, validation and roles, and
 * finally the ticker's scheduled refresh and monthly revaluation.
 *
 * The stand-in answers GET /api/latest.json?app_id=... with whatever
 * `oxr.mode` says when the request arrives; didtrond runs with a 1.5 s
 * OXR timeout and a 10-minute job backoff, so a retried job never runs
 * again while the tests look.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "http_standin.h"
#include "money.h"
#include "suite.h"
#include "validate.h"

#define APP_ID "test app&1"   /* needs URL encoding: "test%20app%261" */

static test_server S, S2;   /* S2: the ticker test's second instance */
static wsc *admin;

/* ---- the stand-in Open Exchange Rates server ---- */

typedef enum { MODE_OK, MODE_UNAUTHORIZED, MODE_TIMEOUT, MODE_GARBAGE, MODE_ERROR500, MODE_HUGE, MODE_REDIRECT } oxr_mode;

static struct {
    pthread_mutex_t lock;
    http_standin *srv;
    int port;
    oxr_mode mode;
    long long timestamp;
    char rates[2048];           /* inside the "rates" object, as sent */
    int requests;
    char last_path[256], last_app_id[128];
} oxr = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void oxr_set(oxr_mode mode, long long timestamp, const char *rates)
{
    pthread_mutex_lock(&oxr.lock);
    oxr.mode = mode;
    if (timestamp)
        oxr.timestamp = timestamp;
    if (rates)
        snprintf(oxr.rates, sizeof oxr.rates, "%s", rates);
    pthread_mutex_unlock(&oxr.lock);
}

static void percent_decode(const char *in, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < cap; i++) {
        unsigned v;
        if (in[i] == '%' && i + 2 < n && sscanf(in + i + 1, "%2x", &v) == 1) {
            out[k++] = (char)v;
            i += 2;
        } else {
            out[k++] = in[i] == '+' ? ' ' : in[i];
        }
    }
    out[k] = '\0';
}

#define JSON_UTF8 "application/json; charset=utf-8"

static bool oxr_answer(int fd, const http_request *req, void *user)
{
    (void)user;
    char target[1024] = "";
    if (!strcmp(req->method, "GET"))
        snprintf(target, sizeof target, "%s", req->target);
    char *q = strchr(target, '?');
    char path[256], app_id[128] = "";
    snprintf(path, sizeof path, "%.*s", q ? (int)(q - target) : (int)strlen(target), target);
    const char *a = q ? strstr(q, "app_id=") : NULL;
    if (a) {
        a += 7;
        percent_decode(a, strcspn(a, "&"), app_id, sizeof app_id);
    }
    pthread_mutex_lock(&oxr.lock);
    oxr.requests++;
    snprintf(oxr.last_path, sizeof oxr.last_path, "%s", path);
    snprintf(oxr.last_app_id, sizeof oxr.last_app_id, "%s", app_id);
    oxr_mode mode = oxr.mode;
    long long ts = oxr.timestamp;
    char rates[sizeof oxr.rates];
    memcpy(rates, oxr.rates, sizeof rates);
    pthread_mutex_unlock(&oxr.lock);

    static const char unauthorized[] = "{\"error\": true, \"status\": 401, \"message\": \"invalid_app_id\","
        " \"description\": \"Invalid App ID provided. Please sign up at https://openexchangerates.org/signup.\"}";
    if (strcmp(path, "/api/latest.json")) {
        http_answer(fd, 404, "Not Found", JSON_UTF8, "{\"error\": true, \"status\": 404, \"message\": \"not_found\"}",
                    false);
    } else if (strcmp(app_id, APP_ID) || mode == MODE_UNAUTHORIZED) {
        http_answer(fd, 401, "Unauthorized", JSON_UTF8, unauthorized, false);
    } else if (mode == MODE_TIMEOUT) {
        http_hold(fd, oxr.srv); /* never answer */
    } else if (mode == MODE_GARBAGE) {
        http_answer(fd, 200, "OK", JSON_UTF8, "<html><body>Service temporarily unavailable</body></html>", false);
    } else if (mode == MODE_ERROR500) {
        http_answer(fd, 500, "Internal Server Error", JSON_UTF8, "Internal Server Error", false);
    } else if (mode == MODE_REDIRECT) {
        static const char moved[] = "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:9/api/latest.json\r\n"
                                    "Content-Length: 0\r\nConnection: close\r\n\r\n";
        http_send_all(fd, moved, sizeof moved - 1);
    } else if (mode == MODE_HUGE) {
        /* 9 MiB of JSON whitespace and no Content-Length: only the
         * client's body cap stops it */
        static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";
        http_send_all(fd, head, sizeof head - 1);
        char *blank = malloc(65536);
        memset(blank, ' ', 65536);
        for (int i = 0; i < 144; i++)
            http_send_all(fd, blank, 65536);
        free(blank);
    } else {
        char body[4096];
        snprintf(body, sizeof body,
                 "{\n  \"disclaimer\": \"Usage subject to terms: https://openexchangerates.org/terms\",\n"
                 "  \"license\": \"https://openexchangerates.org/license\",\n"
                 "  \"timestamp\": %lld,\n  \"base\": \"USD\",\n  \"rates\": {%s}\n}\n", ts, rates);
        http_answer(fd, 200, "OK", JSON_UTF8, body, false);
    }
    return false;
}

static void oxr_start(void)
{
    oxr.srv = http_standin_start(0, oxr_answer, NULL);
    if (!oxr.srv) {
        fprintf(stderr, "setup: the stand-in OXR server cannot start\n");
        exit(1);
    }
    oxr.port = http_standin_port(oxr.srv);
}

static void oxr_stop(void)
{
    http_standin_stop(oxr.srv);
}

/* ---- helpers ---- */

static long long t0; /* now - 10 minutes at start: the stand-in's first timestamp */

static void this_month(char *buf, size_t n, int months_ahead)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int m = tm.tm_year * 12 + tm.tm_mon + months_ahead;
    snprintf(buf, n, "%04d-%02d", m / 12 + 1900, m % 12 + 1);
}

static long long sql_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_count(const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return atoll(harness_sql(sql));
}

/* The job after its first attempt ended (done, dead, or queued again for
 * a retry). */
static json_t *job_after_first_attempt(long long id)
{
    for (int i = 0; i < 600; i++) {
        json_t *j = ok(admin, "job.get", json_pack("{s:I}", "id", (json_int_t)id));
        const char *state = jstr(j, "state");
        if (!strcmp(state, "done") || !strcmp(state, "dead") ||
            (!strcmp(state, "queued") && jint(j, "attempts") >= 1))
            return j;
        json_decref(j);
        msleep(100);
    }
    ck_abort_msg("job %lld did not run", id);
    return NULL;
}

static json_t *refresh_now(void)
{
    json_t *r = ok(admin, "fx.refresh", json_object());
    long long id = jint(r, "job_id");
    ck_assert_int_gt(id, 0);
    json_decref(r);
    return job_after_first_attempt(id);
}

static const char *last_detail(json_t *job)
{
    json_t *log = json_object_get(job, "attempt_log");
    return jstr(json_array_get(log, json_array_size(log) - 1), "detail");
}

static void assert_state(json_t *job, const char *state)
{
    ck_assert_msg(!strcmp(jstr(job, "state"), state), "job %lld is %s, not %s: %s", jint(job, "id"),
                  jstr(job, "state"), state, last_detail(job));
}

static json_t *rate(wsc *c, const char *currency)
{
    json_t *r = ok(c, "fx.rates", json_pack("{s:s}", "currency", currency));
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    json_t *item = json_incref(json_array_get(json_object_get(r, "items"), 0));
    json_decref(r);
    return item;
}

static long long new_carrier(const char *name, const char *cur2)
{
    json_t *c = ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[ss]}", "name", name, "type", "customer",
                                                      "timezone", "Europe/London", "currencies", "USD", cur2));
    long long id = jint(c, "id");
    json_decref(c);
    return id;
}

static json_t *post(const char *key, const char *kind, long long carrier, const char *amount, const char *currency)
{
    return ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", key, "kind", kind,
                                              "carrier_id", (json_int_t)carrier, "side", "customer", "amount",
                                              amount, "currency", currency));
}

static json_t *entry_on(json_t *journal, const char *account)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(journal, "entries"), i, e)
        if (!strcmp(jstr(e, "account"), account))
            return e;
    return NULL;
}

static void set_rate(const char *currency, const char *per_usd, const char *reason)
{
    json_decref(ok(admin, "fx.set", json_pack("{s:s, s:s, s:s}", "currency", currency, "per_usd", per_usd,
                                              "reason", reason)));
}

static json_t *fx_set_params(const char *currency, const char *per_usd, const char *reason)
{
    return json_pack("{s:s, s:s?, s:s?}", "currency", currency, "per_usd", per_usd, "reason", reason);
}

/* Sum of an amount column of the entries (as money). */
static money_t sum_of(json_t *journal, const char *currency, const char *field)
{
    money_t total = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(journal, "entries"), i, e) {
        money_t v = 0;
        if (strcmp(jstr(e, "currency"), currency))
            continue;
        ck_assert_int_eq(money_parse(jstr(e, field), &v), MONEY_OK);
        total += v;
    }
    return total;
}

static const char base_rates[] =
    "\"AED\": 3.6731, \"BTC\": 0.000026852453, \"CHF\": 0.8812, \"EUR\": 0.921187, \"GBP\": 0.802744,"
    " \"JPY\": 151.0835, \"KWD\": 0.308012345678, \"SEK\": 1.0501e1, \"USD\": 1, \"XYZ\": -3, \"eur\": 2";

/* ---- currencies ---- */

START_TEST(test_currency_list_has_every_iso_code_with_its_minor_units)
{
    json_t *l = ok(admin, "currency.list", json_pack("{s:i}", "limit", 500));
    json_t *items = json_object_get(l, "items");
    ck_assert_int_eq(jint(l, "total"), (long long)json_array_size(items));
    ck_assert(json_is_null(json_object_get(l, "next_cursor")));
    size_t i, known = 0;
    json_t *c;
    const char *prev = "";
    json_array_foreach(items, i, c) {
        const char *code = jstr(c, "code");
        ck_assert_msg(strcmp(prev, code) < 0, "sorted by code");
        prev = code;
        int d = currency_decimals(code);
        if (d >= 0) {   /* every code the validators accept is listed, active, with the same minor units */
            known++;
            ck_assert_msg(d == jint(c, "decimals"), "%s decimals", code);
            ck_assert_msg(json_is_true(json_object_get(c, "active")), "%s active", code);
        }
    }
    const char *all[] = { "AED", "EUR", "GBP", "JPY", "KWD", "USD", "VND", "XOF", "ZAR", NULL };
    for (const char **a = all; *a; a++)
        ck_assert_msg(currency_decimals(*a) >= 0, "%s", *a);
    ck_assert_uint_ge(known, 150);
    json_decref(l);

    struct { const char *code; int decimals; bool active; } some[] = {
        { "JPY", 0, true }, { "KWD", 3, true }, { "USD", 2, true }, { "BHD", 3, true }, { "CLF", 4, false },
    };
    for (size_t k = 0; k < sizeof some / sizeof some[0]; k++) {
        l = ok(admin, "currency.list", json_pack("{s:{s:s}}", "filter", "code", some[k].code));
        ck_assert_int_eq(jint(l, "total"), 1);
        c = json_array_get(json_object_get(l, "items"), 0);
        ck_assert_int_eq(jint(c, "decimals"), some[k].decimals);
        ck_assert(json_is_true(json_object_get(c, "active")) == some[k].active);
        json_decref(l);
    }
    l = ok(admin, "currency.list", json_pack("{s:{s:s}}", "filter", "q", "yen"));
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "code"), "JPY");
    json_decref(l);

    /* Paging by the one list helper. */
    l = ok(admin, "currency.list", json_pack("{s:i, s:{s:b}}", "limit", 2, "filter", "active", 1));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 2);
    json_t *l2 = ok(admin, "currency.list", json_pack("{s:i, s:{s:b}, s:s}", "limit", 2, "filter", "active", 1,
                                                      "cursor", jstr(l, "next_cursor")));
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "code"), "AED");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l2, "items"), 0), "code"), "ALL");
    json_decref(l);
    json_decref(l2);
}
END_TEST

/* ---- the Open Exchange Rates client ---- */

START_TEST(test_refresh_stores_rates_exactly_as_sent)
{
    wsc *watcher = login(&S, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "fx.updated")));
    oxr_set(MODE_OK, t0, base_rates);
    json_t *job = refresh_now();
    assert_state(job, "done");
    ck_assert_str_eq(jstr(job, "kind"), "fx.refresh");
    const char *detail = last_detail(job);
    ck_assert_msg(strstr(detail, "7 changed") && strstr(detail, "1 not in currencies") &&
                  strstr(detail, "2 rejected"), "%s", detail);
    ck_assert_msg(!strstr(detail, "app"), "the app id stays out of the log: %s", detail);
    json_decref(job);
    pthread_mutex_lock(&oxr.lock);
    ck_assert_str_eq(oxr.last_path, "/api/latest.json");
    ck_assert_str_eq(oxr.last_app_id, APP_ID);
    pthread_mutex_unlock(&oxr.lock);

    /* Exactly the decimal text that was sent, never through a double. */
    ck_assert_str_eq(harness_sql("SELECT per_usd::text FROM fx_rates WHERE currency = 'EUR'"), "0.921187000000");
    ck_assert_str_eq(harness_sql("SELECT per_usd::text FROM fx_rates WHERE currency = 'KWD'"), "0.308012345678");
    ck_assert_str_eq(harness_sql("SELECT per_usd::text FROM fx_rates WHERE currency = 'SEK'"), "10.501000000000");
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates"), 7);  /* AED CHF EUR GBP JPY KWD SEK */
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates WHERE currency IN ('USD', 'BTC', 'XYZ')"), 0);

    char as_of[32];
    rfc3339(t0, as_of, sizeof as_of);
    json_t *eur = rate(admin, "EUR");
    ck_assert_str_eq(jstr(eur, "currency"), "EUR");
    ck_assert_str_eq(jstr(eur, "per_usd"), "0.921187");
    ck_assert_str_eq(jstr(eur, "usd_rate"), "1.08555591861370167");   /* 1 / 0.921187 to 18 decimals */
    ck_assert_str_eq(jstr(eur, "source"), "oxr");
    ck_assert_str_eq(jstr(eur, "as_of"), as_of);
    ck_assert_str_eq(jstr(eur, "since"), as_of);
    ck_assert(json_is_false(json_object_get(eur, "stale")));
    ck_assert(json_is_false(json_object_get(eur, "manual")));
    json_decref(eur);
    json_t *kwd = rate(admin, "KWD");
    ck_assert_str_eq(jstr(kwd, "per_usd"), "0.308012345678");
    json_decref(kwd);
    json_t *usd = rate(admin, "USD");
    ck_assert_str_eq(jstr(usd, "per_usd"), "1");
    ck_assert_str_eq(jstr(usd, "usd_rate"), "1");
    json_decref(usd);

    /* fx.rates without a currency: every currency with a rate, and USD. */
    json_t *all = ok(admin, "fx.rates", json_object());
    ck_assert_int_eq(json_array_size(json_object_get(all, "items")), 8);
    ck_assert_int_eq(jint(all, "stale_hours"), 26);
    json_decref(all);

    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *p = json_object_get(ev, "params");
    ck_assert_str_eq(jstr(p, "topic"), "fx.updated");
    ck_assert_str_eq(jstr(json_object_get(p, "data"), "source"), "oxr");
    ck_assert_int_eq(jint(json_object_get(p, "data"), "changed"), 7);
    json_decref(ev);
    wsc_close(watcher);
}
END_TEST

START_TEST(test_unchanged_rates_stay_fresh_and_older_answers_change_nothing)
{
    /* The same rates an hour later: no new rows, the rates' as_of moves. */
    oxr_set(MODE_OK, t0 + 60, base_rates);
    json_t *job = refresh_now();
    assert_state(job, "done");
    ck_assert_msg(strstr(last_detail(job), "0 changed, 7 unchanged"), "%s", last_detail(job));
    json_decref(job);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates"), 7);
    char as_of[32], since[32];
    rfc3339(t0 + 60, as_of, sizeof as_of);
    rfc3339(t0, since, sizeof since);
    json_t *eur = rate(admin, "EUR");
    ck_assert_str_eq(jstr(eur, "as_of"), as_of);
    ck_assert_str_eq(jstr(eur, "since"), since);
    json_decref(eur);

    /* An answer 30 hours old: EUR (fresher here) is left alone; NOK, new,
     * is stored and flagged stale (fx_stale_hours 26). */
    oxr_set(MODE_OK, t0 - 30 * 3600, "\"EUR\": 0.5, \"NOK\": 10.5");
    job = refresh_now();
    assert_state(job, "done");
    ck_assert_msg(strstr(last_detail(job), "1 changed") && strstr(last_detail(job), "1 not newer"), "%s",
                  last_detail(job));
    json_decref(job);
    eur = rate(admin, "EUR");
    ck_assert_str_eq(jstr(eur, "per_usd"), "0.921187");
    ck_assert(json_is_false(json_object_get(eur, "stale")));
    json_decref(eur);
    json_t *nok = rate(admin, "NOK");
    ck_assert_str_eq(jstr(nok, "per_usd"), "10.5");
    ck_assert(json_is_true(json_object_get(nok, "stale")));
    json_decref(nok);
    /* A currency with no rate at all. */
    json_t *thb = rate(admin, "THB");
    ck_assert(json_is_null(json_object_get(thb, "per_usd")));
    ck_assert(json_is_null(json_object_get(thb, "usd_rate")));
    json_decref(thb);
}
END_TEST

START_TEST(test_an_invalid_app_id_fails_the_job_for_good)
{
    oxr_set(MODE_UNAUTHORIZED, 0, NULL);
    json_t *job = refresh_now();
    assert_state(job, "dead");
    ck_assert_int_eq(jint(job, "attempts"), 1);
    ck_assert_msg(strstr(last_detail(job), "HTTP 401 invalid_app_id"), "%s", last_detail(job));
    json_decref(job);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates"), 8);
}
END_TEST

/* ---- USD values on postings ---- */

START_TEST(test_eur_postings_record_the_rate_and_usd_values)
{
    long long id = new_carrier("FX Euro Customer", "EUR");
    char cust[64];
    snprintf(cust, sizeof cust, "carrier_customer:%lld:EUR", id);
    json_t *j = post("fx-eur-1", "topup", id, "100", "EUR");
    ck_assert_str_eq(jstr(j, "fx_rate_usd"), "1.08555591861370167");
    /* usd_value = round(amount * rate, 6): 100 * 1.08555591861370167 = 108.555591861... */
    ck_assert_str_eq(jstr(entry_on(j, cust), "usd_value"), "-108.555592");
    ck_assert_str_eq(jstr(entry_on(j, "cash:manual:EUR"), "usd_value"), "108.555592");
    long long jid = jint(j, "id");
    json_decref(j);
    /* The stored journal says the same. */
    json_t *l = ok(admin, "ledger.journal.list", json_pack("{s:{s:s}}", "filter", "idempotency_key", "fx-eur-1"));
    json_t *listed = json_array_get(json_object_get(l, "items"), 0);
    ck_assert_str_eq(jstr(listed, "fx_rate_usd"), "1.08555591861370167");
    ck_assert_str_eq(jstr(entry_on(listed, cust), "usd_value"), "-108.555592");
    json_decref(l);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT sum(usd_value)::text FROM ledger_entries WHERE journal_id = %lld", jid);
    ck_assert_str_eq(harness_sql(sql), "0.000000");

    j = post("fx-usd-1", "topup", id, "5", "USD");
    ck_assert_str_eq(jstr(j, "fx_rate_usd"), "1");
    json_decref(j);
}
END_TEST

/* ---- manual overrides ---- */

START_TEST(test_a_manual_override_wins_until_cleared_and_is_audited)
{
    json_t *r = ok(admin, "fx.set", fx_set_params("EUR", "0.900", "treasury rate for November"));
    ck_assert_str_eq(jstr(r, "per_usd"), "0.9");
    ck_assert_str_eq(jstr(r, "usd_rate"), "1.111111111111111111");
    ck_assert_str_eq(jstr(r, "source"), "manual");
    ck_assert(json_is_true(json_object_get(r, "manual")));
    ck_assert(json_is_false(json_object_get(r, "stale")));
    json_decref(r);

    /* A fetch with another EUR rate is stored, but the override still wins. */
    oxr_set(MODE_OK, t0 + 120, "\"EUR\": 0.95, \"GBP\": 0.802744");
    json_t *job = refresh_now();
    assert_state(job, "done");
    json_decref(job);
    json_t *eur = rate(admin, "EUR");
    ck_assert_str_eq(jstr(eur, "per_usd"), "0.9");
    ck_assert(json_is_true(json_object_get(eur, "manual")));
    json_decref(eur);
    ck_assert_str_eq(harness_sql("SELECT ledger_usd_rate('EUR')::text"), "1.111111111111111111");

    json_t *a = ok(admin, "audit.list", json_pack("{s:{s:s, s:s}}", "filter", "entity", "fx_rate", "action", "set"));
    ck_assert_int_eq(jint(a, "total"), 1);
    json_t *row = json_array_get(json_object_get(a, "items"), 0);
    ck_assert_str_eq(jstr(row, "actor"), "root");
    ck_assert_str_eq(jstr(json_object_get(row, "before"), "per_usd"), "0.921187");
    ck_assert_str_eq(jstr(json_object_get(row, "after"), "per_usd"), "0.9");
    ck_assert_str_eq(jstr(json_object_get(row, "after"), "reason"), "treasury rate for November");
    json_decref(a);

    /* Cleared: the latest fetched rate is back. */
    r = ok(admin, "fx.set", json_pack("{s:s, s:n, s:s}", "currency", "EUR", "per_usd", "reason", "back to market"));
    ck_assert_str_eq(jstr(r, "per_usd"), "0.95");
    ck_assert_str_eq(jstr(r, "source"), "oxr");
    ck_assert(json_is_false(json_object_get(r, "manual")));
    json_decref(r);
    a = ok(admin, "audit.list", json_pack("{s:{s:s, s:s}}", "filter", "entity", "fx_rate", "action", "clear"));
    ck_assert_int_eq(jint(a, "total"), 1);
    row = json_array_get(json_object_get(a, "items"), 0);
    ck_assert_str_eq(jstr(json_object_get(row, "before"), "per_usd"), "0.9");
    ck_assert_str_eq(jstr(json_object_get(row, "after"), "per_usd"), "0.95");
    json_decref(a);

    /* The history, newest first, paged by the list helper. */
    json_t *h = ok(admin, "fx.history", json_pack("{s:s, s:i}", "currency", "EUR", "limit", 2));
    ck_assert_int_eq(jint(h, "total"), 4);
    json_t *h0 = json_array_get(json_object_get(h, "items"), 0), *h1 = json_array_get(json_object_get(h, "items"), 1);
    ck_assert_str_eq(jstr(h0, "source"), "manual");
    ck_assert(json_is_true(json_object_get(h0, "cleared")));
    ck_assert_str_eq(jstr(h0, "reason"), "back to market");
    ck_assert_str_eq(jstr(h1, "source"), "oxr");
    ck_assert_str_eq(jstr(h1, "per_usd"), "0.95");
    json_t *h2 = ok(admin, "fx.history", json_pack("{s:s, s:i, s:s}", "currency", "EUR", "limit", 2, "cursor",
                                                   jstr(h, "next_cursor")));
    ck_assert_str_eq(jstr(json_array_get(json_object_get(h2, "items"), 0), "per_usd"), "0.9");
    ck_assert_str_eq(jstr(json_array_get(json_object_get(h2, "items"), 1), "per_usd"), "0.921187");
    ck_assert(json_is_null(json_object_get(h2, "next_cursor")));
    json_decref(h);
    json_decref(h2);
    h = ok(admin, "fx.history", json_pack("{s:s, s:{s:s}}", "currency", "EUR", "filter", "source", "manual"));
    ck_assert_int_eq(jint(h, "total"), 2);
    json_decref(h);
}
END_TEST

START_TEST(test_bad_overrides_name_the_field_and_change_nothing)
{
    long long before = sql_count("SELECT count(*) FROM fx_rates");
    fails_on_field(admin, "fx.set", fx_set_params("EURO", "0.9", "x"), "currency");
    fails_on_field(admin, "fx.set", fx_set_params("ABC", "0.9", "x"), "currency");
    fails_on_field(admin, "fx.set", fx_set_params("USD", "1", "x"), "currency");
    fails_on_field(admin, "fx.set", fx_set_params("CLF", "0.03", "x"), "currency");   /* inactive fund code */
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "0", "x"), "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "-0.8", "x"), "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "0.8000000000001", "x"), "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "8e-1", "x"), "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "1000000000", "x"), "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "0,8", "x"), "per_usd");
    fails_on_field(admin, "fx.set", json_pack("{s:s, s:f, s:s}", "currency", "GBP", "per_usd", 0.8, "reason", "x"),
                   "per_usd");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "0.8", "   "), "reason");
    fails_on_field(admin, "fx.set", fx_set_params("GBP", "0.8", NULL), "reason");
    fails_on_field(admin, "fx.set", json_pack("{s:s, s:s}", "currency", "GBP", "reason", "x"), "per_usd");
    fails_on_field(admin, "fx.rates", json_pack("{s:s}", "currency", "XXX"), "currency");
    fails_on_field(admin, "fx.history", json_object(), "currency");
    char next[16];
    this_month(next, sizeof next, 1);
    fails_on_field(admin, "fx.revalue", json_pack("{s:s}", "period", next), "period");
    fails_on_field(admin, "fx.revalue", json_pack("{s:s}", "period", "2026-13"), "period");
    fails_on_field(admin, "fx.revalue", json_pack("{s:s}", "period", "last month"), "period");
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates"), before);
    /* the largest and the most precise rates that fit */
    set_rate("GBP", "999999999.999999999999", "limit");
    set_rate("GBP", "0.000000000001", "limit");
    ck_assert_str_eq(harness_sql("SELECT per_usd::text FROM fx_rates WHERE currency = 'GBP' ORDER BY id DESC LIMIT 1"),
                     "0.000000000001");
    json_decref(ok(admin, "fx.set", fx_set_params("GBP", NULL, "limits checked")));
}
END_TEST

START_TEST(test_roles)
{
    create_user(admin, "fx-noc", "noc");
    long long carrier = new_carrier("FX Role Customer", "EUR");
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "fx-cust", "password",
                                                   "password123", "role", "customer", "carrier_id",
                                                   (json_int_t)carrier)));
    wsc *noc = login(&S, "fx-noc", "password123");
    wsc *cust = login(&S, "fx-cust", "password123");
    json_t *r = rate(noc, "EUR");
    json_decref(r);
    json_decref(ok(noc, "fx.history", json_pack("{s:s}", "currency", "EUR")));
    ck_assert_int_eq(fails(noc, "fx.set", fx_set_params("EUR", "0.9", "x")), -32003);
    ck_assert_int_eq(fails(noc, "fx.refresh", json_object()), -32003);
    ck_assert_int_eq(fails(noc, "fx.revalue", json_pack("{s:s}", "period", "2026-01")), -32003);
    ck_assert_int_eq(fails(cust, "fx.rates", json_object()), -32003);
    ck_assert_int_eq(fails(cust, "fx.history", json_pack("{s:s}", "currency", "EUR")), -32003);
    json_t *l = ok(cust, "currency.list", json_pack("{s:{s:s}}", "filter", "code", "EUR"));
    ck_assert_int_eq(jint(l, "total"), 1);
    json_decref(l);
    wsc *anon = ws_open(&S);
    ck_assert_int_eq(fails(anon, "currency.list", json_object()), -32001);
    wsc_close(anon);
    wsc_close(noc);
    wsc_close(cust);
}
END_TEST

/* ---- revaluation ---- */

START_TEST(test_revaluation_books_the_hand_computed_gain_once_per_period)
{
    /* CHF at 0.8 per USD = 1.25 USD per CHF (an override, so the numbers
     * are ours). A prepaid customer tops up 1000 CHF and is charged 400. */
    set_rate("CHF", "0.8", "revaluation test");
    long long id = new_carrier("FX Swiss Customer", "CHF");
    char cust[64], eur_cust[64];
    snprintf(cust, sizeof cust, "carrier_customer:%lld:CHF", id);
    json_t *j = post("fx-chf-1", "topup", id, "1000", "CHF");
    ck_assert_str_eq(jstr(entry_on(j, cust), "usd_value"), "-1250.000000");
    ck_assert_str_eq(jstr(entry_on(j, "cash:manual:CHF"), "usd_value"), "1250.000000");
    json_decref(j);
    j = post("fx-chf-2", "charge", id, "400", "CHF");
    ck_assert_str_eq(jstr(entry_on(j, cust), "usd_value"), "500.000000");
    ck_assert_str_eq(jstr(entry_on(j, "revenue:CHF"), "usd_value"), "-500.000000");
    json_decref(j);

    /* CHF rises: 0.75 per USD = 1.333333333333333333 USD per CHF.
     *   customer account: balance -600 CHF, booked -1250 + 500 = -750 USD,
     *     target round(-600 * 1.333333333333333333, 6) = -800.000000, delta -50.000000
     *   cash:manual:CHF: balance 1000, booked 1250,
     *     target round(1000 * 1.333333333333333333, 6) = 1333.333333, delta +83.333333
     *   revenue keeps its -500 (not monetary)
     *   fx_gain_loss:CHF: -(-50 + 83.333333) = -33.333333, a gain: we hold 400
     *   CHF more than we owe, and 400 * (1.3333 - 1.25) = 33.33 USD.
     * EUR moved too (0.921187 -> 0.95 once the override was cleared): the
     * EUR customer's -100 and cash's +100 are revalued by equal and
     * opposite amounts, so EUR books no gain or loss. */
    set_rate("CHF", "0.75", "revaluation test");
    char period[16];
    this_month(period, sizeof period, 0);
    json_t *rv = ok(admin, "fx.revalue", json_pack("{s:s}", "period", period));
    ck_assert(json_is_false(json_object_get(rv, "duplicate")));
    ck_assert_str_eq(jstr(rv, "kind"), "fx_revaluation");
    char key[40];
    snprintf(key, sizeof key, "fx_revaluation:%s", period);
    ck_assert_str_eq(jstr(rv, "idempotency_key"), key);
    ck_assert(json_is_null(json_object_get(rv, "carrier_id")));
    ck_assert_str_eq(jstr(entry_on(rv, cust), "amount"), "0.000000");
    ck_assert_str_eq(jstr(entry_on(rv, cust), "usd_value"), "-50.000000");
    ck_assert_str_eq(jstr(entry_on(rv, "cash:manual:CHF"), "amount"), "0.000000");
    ck_assert_str_eq(jstr(entry_on(rv, "cash:manual:CHF"), "usd_value"), "83.333333");
    ck_assert_str_eq(jstr(entry_on(rv, "fx_gain_loss:CHF"), "amount"), "0.000000");
    ck_assert_str_eq(jstr(entry_on(rv, "fx_gain_loss:CHF"), "usd_value"), "-33.333333");
    ck_assert_ptr_null(entry_on(rv, "revenue:CHF"));
    long long eur_carrier = sql_count("SELECT id FROM carriers WHERE name = 'FX Euro Customer'");
    snprintf(eur_cust, sizeof eur_cust, "carrier_customer:%lld:EUR", eur_carrier);
    /* target round(-100 * 1.052631578947368421, 6) = -105.263158; booked -108.555592 */
    ck_assert_str_eq(jstr(entry_on(rv, eur_cust), "usd_value"), "3.292434");
    ck_assert_str_eq(jstr(entry_on(rv, "cash:manual:EUR"), "usd_value"), "-3.292434");
    ck_assert_ptr_null(entry_on(rv, "fx_gain_loss:EUR"));
    ck_assert_int_eq(sum_of(rv, "CHF", "amount"), 0);
    ck_assert_int_eq(sum_of(rv, "CHF", "usd_value"), 0);
    ck_assert_int_eq(sum_of(rv, "EUR", "usd_value"), 0);
    long long rid = jint(rv, "id");
    json_decref(rv);

    /* Balances did not move; the books still balance per currency. */
    json_t *b = ok(admin, "ledger.balance", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "currency", "CHF"));
    ck_assert_str_eq(jstr(json_object_get(b, "customer"), "balance"), "600.000000");
    json_decref(b);
    json_t *tb = ok(admin, "ledger.trial_balance", json_object());
    ck_assert(json_is_true(json_object_get(tb, "balanced")));
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(tb, "currencies"), i, c) {
        ck_assert_str_eq(jstr(c, "total"), "0.000000");
        ck_assert_int_eq(jint(c, "cache_mismatches"), 0);
    }
    json_decref(tb);
    /* After the revaluation every monetary CHF account's USD value is its
     * balance at today's rate. */
    char expected[256];
    snprintf(expected, sizeof expected, "%s=-800.000000,cash:manual:CHF=1333.333333,fx_gain_loss:CHF=-33.333333,"
             "revenue:CHF=-500.000000", cust);
    ck_assert_str_eq(harness_sql("SELECT string_agg(a.name || '=' || s.usd, ',' ORDER BY a.name) FROM ledger_accounts a"
                                 " JOIN (SELECT account_id, sum(usd_value)::text AS usd FROM ledger_entries"
                                 "        GROUP BY account_id) s ON s.account_id = a.id WHERE a.currency = 'CHF'"),
                     expected);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM audit_log WHERE entity = 'ledger_journal' AND action = 'revalue'"
                               " AND entity_id = '%lld'", rid), 1);

    /* Once per period: the same journal again, even after another move. */
    rv = ok(admin, "fx.revalue", json_pack("{s:s}", "period", period));
    ck_assert(json_is_true(json_object_get(rv, "duplicate")));
    ck_assert_int_eq(jint(rv, "id"), rid);
    json_decref(rv);
    set_rate("CHF", "0.7", "revaluation test");
    rv = ok(admin, "fx.revalue", json_pack("{s:s}", "period", period));
    ck_assert(json_is_true(json_object_get(rv, "duplicate")));
    ck_assert_int_eq(jint(rv, "id"), rid);
    json_decref(rv);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_journals WHERE kind = 'fx_revaluation'"), 1);

    /* A month with nothing left to revalue answers null. */
    set_rate("CHF", "0.75", "back");
    char last[16];
    this_month(last, sizeof last, -1);
    json_t *r = call(admin, "fx.revalue", json_pack("{s:s}", "period", last));
    ck_assert(json_is_null(json_object_get(r, "result")));
    json_decref(r);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_journals WHERE kind = 'fx_revaluation'"), 1);

    /* The database refuses revaluation entries that move money. */
    PGconn *db = harness_db();
    PGresult *res = PQexec(db, "BEGIN; INSERT INTO ledger_journals (idempotency_key, kind, actor)"
                               " VALUES ('bad-reval', 'fx_revaluation', 'x');"
                               " INSERT INTO ledger_entries (journal_id, account_id, amount, currency, usd_value, kind)"
                               " SELECT currval('ledger_journals_id_seq'), a.id, 1, 'CHF', 1, 'fx_revaluation'"
                               "   FROM ledger_accounts a WHERE a.name = 'cash:manual:CHF'; COMMIT");
    ck_assert_int_eq(PQresultStatus(res), PGRES_FATAL_ERROR);
    ck_assert_ptr_nonnull(strstr(PQresultErrorMessage(res), "ledger_entries_amount_check"));
    PQclear(res);
    PQfinish(db);
}
END_TEST

/* ---- answers that are retried ---- */

START_TEST(test_server_errors_garbage_timeouts_and_huge_answers_are_retried)
{
    long long rows = sql_count("SELECT count(*) FROM fx_rates");
    struct { oxr_mode mode; const char *detail; } cases[] = {
        { MODE_ERROR500, "Open Exchange Rates: HTTP 500" },
        { MODE_GARBAGE, "unusable answer (not a JSON object)" },
        { MODE_TIMEOUT, "timed out after 1500 ms" },
        { MODE_HUGE, "answer larger than 8388608 bytes" },
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        oxr_set(cases[k].mode, 0, NULL);
        json_t *job = refresh_now();
        assert_state(job, "queued");     /* retried later (backoff) */
        ck_assert_int_eq(jint(job, "attempts"), 1);
        ck_assert_msg(strstr(last_detail(job), cases[k].detail), "%s", last_detail(job));
        ck_assert_str_eq(jstr(json_array_get(json_object_get(job, "attempt_log"), 0), "outcome"), "retry");
        json_decref(ok(admin, "job.cancel", json_pack("{s:I}", "id", (json_int_t)jint(job, "id"))));
        json_decref(job);
    }
    /* A redirect is not followed (the app id would go along): an answer
     * like any other 3xx, and not one to retry. */
    oxr_set(MODE_REDIRECT, 0, NULL);
    json_t *job = refresh_now();
    assert_state(job, "dead");
    ck_assert_msg(strstr(last_detail(job), "HTTP 302"), "%s", last_detail(job));
    json_decref(job);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM fx_rates"), rows);
    oxr_set(MODE_OK, 0, NULL);
}
END_TEST

/* ---- the ticker ---- */

START_TEST(test_the_ticker_schedules_refreshes_and_the_monthly_revaluation)
{
    /* Another instance on the same database, refreshing every minute and
     * revaluing last month (the ticker task runs every 10 s). */
    char base[64], prev[16];
    snprintf(base, sizeof base, "http://127.0.0.1:%d", oxr.port);
    this_month(prev, sizeof prev, -1);
    oxr_set(MODE_OK, (long long)time(NULL) - 60, "\"EUR\": 0.95, \"JPY\": 150");
    const char *flags[] = { "--oxr-base-url", base, "--oxr-app-id", APP_ID, "--fx-refresh-minutes", "1",
                            "--job-backoff-base-ms", "600000", NULL };
    ck_assert(server_start(&S2, "fx2", flags));
    wsc *a2 = login(&S2, "root", "rootpass123");
    bool refreshed = false, revalued = false;
    for (int i = 0; i < 600 && !(refreshed && revalued); i++) {
        /* One kind at a time: other jobs (fx.refresh every minute, done)
         * must not push the one looked for off the first page. */
        static const char *const kinds[] = { "fx.refresh", "fx.revalue" };
        for (int q = 0; q < 2; q++) {
            json_t *l = ok(a2, "job.list", json_pack("{s:{s:s, s:s}, s:i}", "filter", "state", "done", "kind",
                                                     kinds[q], "limit", 500));
            size_t k;
            json_t *job;
            json_array_foreach(json_object_get(l, "items"), k, job) {
                const char *dk = jstr(job, "dedupe_key");
                if (!strcmp(jstr(job, "kind"), "fx.refresh") && !strncmp(dk, "fx.refresh:", 11))
                    refreshed = true;
                char want[32];
                snprintf(want, sizeof want, "fx.revalue:%s", prev);
                if (!strcmp(jstr(job, "kind"), "fx.revalue") && !strcmp(dk, want))
                    revalued = true;
            }
            json_decref(l);
        }
        if (!(refreshed && revalued))
            msleep(100);
    }
    ck_assert_msg(refreshed, "no scheduled fx.refresh ran");
    ck_assert_msg(revalued, "no fx.revalue of %s ran", prev);
    ck_assert_str_eq(harness_sql("SELECT per_usd::text FROM fx_rates WHERE currency = 'JPY' ORDER BY id DESC LIMIT 1"),
                     "150.000000000000");
    /* Every position is at today's rates already (this month's
     * revaluation ran at the same CHF and EUR rates): nothing posted. */
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_journals WHERE idempotency_key = 'fx_revaluation:%s'",
                               prev), 0);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id"
                               " WHERE j.dedupe_key = 'fx.revalue:%s' AND a.detail LIKE '%%nothing to revalue'",
                               prev), 1);
    wsc_close(a2);
    ck_assert_int_eq(server_stop(&S2, 20000), 0);
}
END_TEST

static void teardown(void)
{
    wsc_close(admin);
    if (S2.pid > 0)           /* a failed check left it running */
        server_stop(&S2, 20000);
    server_stop(&S, 20000);
    oxr_stop();
    harness_done();
}

int main(void)
{
    t0 = (long long)time(NULL) - 600;
    oxr_start();
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", oxr.port);
    const char *flags[] = { "--oxr-base-url", base, "--oxr-app-id", APP_ID, "--oxr-timeout-ms", "1500",
                            "--fx-refresh-minutes", "0", "--fx-revalue-monthly=false",
                            "--job-backoff-base-ms", "600000", NULL };
    admin = start_with_root(&S, "didtron_test_fx", "fx", flags);
    Suite *s = suite_create("fx");
    TCase *tc = tcase_create("fx");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_currency_list_has_every_iso_code_with_its_minor_units);
    tcase_add_test(tc, test_refresh_stores_rates_exactly_as_sent);
    tcase_add_test(tc, test_unchanged_rates_stay_fresh_and_older_answers_change_nothing);
    tcase_add_test(tc, test_an_invalid_app_id_fails_the_job_for_good);
    tcase_add_test(tc, test_eur_postings_record_the_rate_and_usd_values);
    tcase_add_test(tc, test_a_manual_override_wins_until_cleared_and_is_audited);
    tcase_add_test(tc, test_bad_overrides_name_the_field_and_change_nothing);
    tcase_add_test(tc, test_roles);
    tcase_add_test(tc, test_revaluation_books_the_hand_computed_gain_once_per_period);
    tcase_add_test(tc, test_server_errors_garbage_timeouts_and_huge_answers_are_retried);
    tcase_add_test(tc, test_the_ticker_schedules_refreshes_and_the_monthly_revaluation);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    teardown();
    return rc;
}
