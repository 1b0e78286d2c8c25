/*
 * fx.c: the FX methods, the two job kinds and the ticker task that
 * schedules them (fx.h; docs/fx.md).
 *
 * Money rule: no rate is ever a double. Fetched rates travel as the
 * decimal text oxr.c took from the body, admins' rates as the decimal
 * strings they sent (normalised by the same function), and both reach
 * PostgreSQL as text parameters cast to numeric.
 *
 * Job handlers run on a job worker's connection in autocommit; they open
 * their own transaction and use a system rpc_call (actor "system") so the
 * audit helper and rpc_emit work there as in a method.
 */
#include "fx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "oxr.h"
#include "../audit/audit.h"
#include "../auth/auth.h"
#include "../jobs/jobs.h"
#include "../net/http_client.h"
#include "../rpc/list.h"
#include "../system/ticker.h"

#define REFRESH_ATTEMPTS 5
#define REVALUE_ATTEMPTS 5
#define TICK_MS 10000                 /* cheap: the database is touched once per bucket / month */
#define FUTURE_SLACK_SEC 3600         /* a provider timestamp further ahead than this is garbage */

/* Settings copied by fx_init (the job and ticker threads read them; they
 * are written before those threads start). The last bucket and period
 * enqueued belong to the ticker thread alone. */
static struct {
    char base_url[256];
    char app_id[128];
    int timeout_ms;
    int refresh_minutes;
    bool revalue_monthly;
    int64_t last_bucket;
    char last_period[8];
} fx = { .timeout_ms = 10000, .last_bucket = -1 };

/* ---- time helpers (unit-tested) ---- */

int64_t fx_refresh_bucket(int64_t now_sec, int minutes, char *key, size_t n)
{
    if (minutes < 1)
        return -1;
    int64_t span = (int64_t)minutes * 60;
    int64_t start = now_sec - ((now_sec % span) + span) % span;
    time_t t = (time_t)start;
    struct tm tm;
    gmtime_r(&t, &tm);
    snprintf(key, n, "fx.refresh:%04d-%02d-%02dT%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min);
    return start;
}

void fx_previous_period(int64_t now_sec, char *buf, size_t n)
{
    time_t t = (time_t)now_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    int year = tm.tm_year + 1900, month = tm.tm_mon; /* tm_mon is 0-based: this is already "previous" */
    if (month == 0) {
        month = 12;
        year--;
    }
    snprintf(buf, n, "%04d-%02d", year, month);
}

const char *fx_period_problem(const char *text, int64_t now_sec)
{
    if (!text || strlen(text) != 7 || text[4] != '-')
        return "must be a month like \"2026-10\"";
    for (int i = 0; i < 7; i++)
        if (i != 4 && (text[i] < '0' || text[i] > '9'))
            return "must be a month like \"2026-10\"";
    int year = atoi(text), month = atoi(text + 5);
    if (month < 1 || month > 12 || year < 2000)
        return "must be a month like \"2026-10\"";
    time_t t = (time_t)now_sec;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (year * 12 + month > (tm.tm_year + 1900) * 12 + tm.tm_mon + 1)
        return "must be a month that has started";
    return NULL;
}

/* ---- a system caller for job handlers ---- */

typedef struct {
    rpc_call c;
    rpc_session s;
} system_call;

static void system_call_init(system_call *sc, PGconn *db, const char *method)
{
    memset(sc, 0, sizeof *sc);
    auth_system_session(&sc->s, "system");
    sc->c.db = db;
    sc->c.session = &sc->s;
    sc->c.method = method;
    sc->c.peer = "job";
}

static void system_call_done(system_call *sc)
{
    if (sc->c.in_transaction)
        rpc_rollback(&sc->c);
    json_decref(sc->c.result);
    json_decref(sc->c.err_data);
    sc->c.result = sc->c.err_data = NULL;
}

/* ---- fx.refresh: the Open Exchange Rates client ---- */

static void url_encode(strbuf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
            *p == '_' || *p == '.' || *p == '~')
            sb_printf(b, "%c", *p);
        else
            sb_printf(b, "%%%02X", *p);
    }
}

/* What an error answer says: "401 invalid_app_id: Invalid App ID ...".
 * OXR errors are {"error":true,"status":401,"message":"invalid_app_id",
 * "description":"..."}; anything else is described by its status. */
static void describe_error_answer(const http_response *rs, char *out, size_t n)
{
    json_t *j = rs->body ? json_loadb(rs->body, rs->body_len, 0, NULL) : NULL;
    const char *message = json_string_value(json_object_get(j, "message"));
    const char *description = json_string_value(json_object_get(j, "description"));
    if (message)
        snprintf(out, n, "Open Exchange Rates: HTTP %ld %.80s%s%.160s", rs->status, message,
                 description ? ": " : "", description ? description : "");
    else
        snprintf(out, n, "Open Exchange Rates: HTTP %ld", rs->status);
    json_decref(j);
}

/* Insert the rates that changed, in one transaction; fx.updated when any
 * did. Returns 0, or -1 with detail set. */
static int store_rates(PGconn *db, const oxr_latest *l, char *detail, size_t n)
{
    strbuf codes = { 0 }, rates = { 0 };
    sb_printf(&codes, "{");
    sb_printf(&rates, "{");
    for (size_t i = 0; i < l->count; i++) {
        /* codes are [A-Z]{3}, rates digits and one dot: nothing to quote */
        sb_printf(&codes, "%s%s", i ? "," : "", l->rates[i].code);
        sb_printf(&rates, "%s%s", i ? "," : "", l->rates[i].per_usd);
    }
    sb_printf(&codes, "}");
    sb_printf(&rates, "}");
    char ts[24], as_of[40];
    snprintf(ts, sizeof ts, "%lld", (long long)l->timestamp);
    time_format_rfc3339((int64_t)l->timestamp * 1000000, as_of, sizeof as_of);
    system_call sc;
    system_call_init(&sc, db, "fx.refresh");
    int rc = -1;
    PGresult *r = NULL;
    if (codes.oom || rates.oom) {
        snprintf(detail, n, "out of memory");
        goto out;
    }
    if (rpc_begin(&sc.c))
        goto db_error;
    r = rpc_query(&sc.c,
        "SELECT changed, unchanged, unknown, older, array_to_json(changed_codes)::text"
        " FROM fx_store_fetched(timestamptz 'epoch' + $1::bigint * interval '1 second', $2::text[], $3::text[])",
        3, ts, codes.buf, rates.buf);
    if (!r)
        goto db_error;
    int changed = atoi(PQgetvalue(r, 0, 0));
    if (changed > 0) {
        json_t *ev = json_pack("{s:s, s:s, s:i, s:o}", "source", "oxr", "as_of", as_of, "changed", changed,
                               "currencies", json_loads(PQgetvalue(r, 0, 4), 0, NULL));
        int erc = ev ? rpc_emit(&sc.c, "fx.updated", ev, 0) : -1;
        json_decref(ev);
        if (erc)
            goto db_error;
    }
    if (rpc_commit(&sc.c))
        goto db_error;
    snprintf(detail, n, "rates as of %s: %d changed, %s unchanged, %s not newer than stored, %s not in currencies,"
             " %zu rejected%s%s%s", as_of, changed, PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 2),
             l->rejected, l->first_rejected[0] ? " (first: " : "", l->first_rejected,
             l->first_rejected[0] ? ")" : "");
    rc = 0;
    goto out;
db_error:
    snprintf(detail, n, "database: %s", sc.c.err_message[0] ? sc.c.err_message : "error");
out:
    PQclear(r);
    system_call_done(&sc);
    free(codes.buf);
    free(rates.buf);
    return rc;
}

static job_outcome refresh_job(PGconn *db, const job *j, char *detail, size_t n)
{
    (void)j;
    if (!fx.app_id[0]) {
        snprintf(detail, n, "oxr_app_id is not set");
        return JOB_FAIL;
    }
    strbuf url = { 0 };
    size_t blen = strlen(fx.base_url);
    while (blen > 0 && fx.base_url[blen - 1] == '/')
        blen--;
    sb_printf(&url, "%.*s/api/latest.json?app_id=", (int)blen, fx.base_url);
    url_encode(&url, fx.app_id);
    if (url.oom) {
        free(url.buf);
        snprintf(detail, n, "out of memory");
        return JOB_RETRY;
    }
    static const char *const headers[] = { "Accept: application/json", NULL };
    http_request rq = { .method = "GET", .url = url.buf, .headers = headers, .timeout_ms = fx.timeout_ms };
    http_response rs;
    job_outcome outcome = JOB_RETRY;
    int got = http_request_do(&rq, &rs);
    free(url.buf);
    if (got) {
        /* the URL holds the app id: never in the detail */
        snprintf(detail, n, "Open Exchange Rates: %s", rs.error);
        goto out;
    }
    if (rs.status != 200) {
        describe_error_answer(&rs, detail, n);
        /* 401/403: the app id is wrong or not allowed this endpoint, and
         * another try changes nothing; 429 and 5xx pass. */
        outcome = rs.status == 429 || rs.status >= 500 ? JOB_RETRY : JOB_FAIL;
        goto out;
    }
    oxr_latest l;
    char why[96];
    oxr_status st = oxr_parse_latest(rs.body, rs.body_len, &l, why, sizeof why);
    if (st != OXR_OK) {
        snprintf(detail, n, "Open Exchange Rates: unusable answer (%s)", why);
        goto out;
    }
    if (l.timestamp > (int64_t)time(NULL) + FUTURE_SLACK_SEC) {
        snprintf(detail, n, "Open Exchange Rates: unusable answer (timestamp %lld is in the future)",
                 (long long)l.timestamp);
        oxr_latest_free(&l);
        goto out;
    }
    if (l.rejected)
        log_warn("fx.refresh: %zu rate(s) skipped as malformed (first: %s)", l.rejected, l.first_rejected);
    outcome = store_rates(db, &l, detail, n) ? JOB_RETRY : JOB_DONE;
    oxr_latest_free(&l);
out:
    http_response_free(&rs);
    return outcome;
}

/* ---- fx.revalue ---- */

/* Run ledger_fx_revalue for period in c's transaction; audit and announce
 * a new journal. *journal: the journal, or NULL when there was nothing to
 * revalue. Returns 0, or -1 with c's error set. */
static int revalue(rpc_call *c, const char *period, json_t **journal, bool *duplicate)
{
    *journal = NULL;
    *duplicate = false;
    const char *actor = c->session->username[0] ? c->session->username : "system";
    PGresult *r = rpc_query(c, "SELECT v.journal_id, v.duplicate, v.rates::text FROM ledger_fx_revalue($1, $2) v",
                            2, period, actor);
    if (!r)
        return -1;
    int rc = -1;
    if (PQgetisnull(r, 0, 0)) {
        rc = 0;
        goto out;
    }
    long long id = atoll(PQgetvalue(r, 0, 0));
    *duplicate = !strcmp(PQgetvalue(r, 0, 1), "t");
    /* A statement of its own: the one that posted the journal read with a
     * snapshot from before it. */
    PGresult *jr = rpc_query(c, "SELECT ledger_journal_json($1)::text", 1, PQgetvalue(r, 0, 0));
    if (!jr)
        goto out;
    *journal = PQgetisnull(jr, 0, 0) ? NULL : json_loads(PQgetvalue(jr, 0, 0), 0, NULL);
    PQclear(jr);
    if (!*journal) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    if (*duplicate) {
        rc = 0;
        goto out;
    }
    json_t *rates = PQgetisnull(r, 0, 2) ? json_object() : json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    json_t *after = json_pack("{s:s, s:o, s:O}", "period", period, "rates", rates ? rates : json_object(),
                              "journal", *journal);
    json_t *ev = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "kind", "fx_revaluation", "period", period);
    if (after && ev && !audit_record(c, "revalue", "ledger_journal", id, NULL, after) &&
        !rpc_emit(c, "ledger.posted", ev, 0))
        rc = 0;
    else if (!c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_decref(after);
    json_decref(ev);
out:
    PQclear(r);
    if (rc) {
        json_decref(*journal);
        *journal = NULL;
    }
    return rc;
}

static job_outcome revalue_job(PGconn *db, const job *j, char *detail, size_t n)
{
    const char *period = json_string_value(json_object_get(j->payload, "period"));
    const char *problem = fx_period_problem(period, (int64_t)time(NULL));
    if (problem) {
        snprintf(detail, n, "payload period %s", problem);
        return JOB_FAIL;
    }
    system_call sc;
    system_call_init(&sc, db, "fx.revalue");
    json_t *journal = NULL;
    bool duplicate = false;
    job_outcome outcome = JOB_RETRY;
    if (rpc_begin(&sc.c) || revalue(&sc.c, period, &journal, &duplicate) || rpc_commit(&sc.c)) {
        snprintf(detail, n, "revaluation of %s: %s", period, sc.c.err_message[0] ? sc.c.err_message : "error");
        goto out;
    }
    if (!journal)
        snprintf(detail, n, "revaluation of %s: nothing to revalue", period);
    else
        snprintf(detail, n, "revaluation of %s: journal %lld%s", period,
                 (long long)json_integer_value(json_object_get(journal, "id")),
                 duplicate ? " (posted before)" : "");
    outcome = JOB_DONE;
out:
    json_decref(journal);
    system_call_done(&sc);
    return outcome;
}

/* ---- the ticker task ---- */

static int fx_tick(void *ud, PGconn *db)
{
    (void)ud;
    int64_t now = (int64_t)time(NULL);
    int rc = 0;
    if (fx.app_id[0] && fx.refresh_minutes > 0) {
        char key[64];
        int64_t bucket = fx_refresh_bucket(now, fx.refresh_minutes, key, sizeof key);
        if (bucket != fx.last_bucket) {
            json_t *payload = json_pack("{s:s}", "trigger", "schedule");
            if (jobs_enqueue(db, "fx.refresh", payload, key, 0, 0) >= 0)
                fx.last_bucket = bucket;
            else
                rc = -1;
            json_decref(payload);
        }
    }
    if (fx.revalue_monthly) {
        char period[8], key[32];
        fx_previous_period(now, period, sizeof period);
        if (strcmp(period, fx.last_period)) {
            snprintf(key, sizeof key, "fx.revalue:%s", period);
            json_t *payload = json_pack("{s:s}", "period", period);
            if (jobs_enqueue(db, "fx.revalue", payload, key, 0, 0) >= 0)
                snprintf(fx.last_period, sizeof fx.last_period, "%s", period);
            else
                rc = -1;
            json_decref(payload);
        }
    }
    return rc;
}

int fx_init(const dt_config *cfg)
{
    snprintf(fx.base_url, sizeof fx.base_url, "%s", cfg->oxr_base_url);
    snprintf(fx.app_id, sizeof fx.app_id, "%s", cfg->oxr_app_id);
    fx.timeout_ms = cfg->oxr_timeout_ms;
    fx.refresh_minutes = cfg->fx_refresh_minutes;
    fx.revalue_monthly = cfg->fx_revalue_monthly;
    if (http_client_init()) {
        log_error("fx: the HTTP client (libcurl) cannot be initialised");
        return -1;
    }
    if (jobs_register("fx.refresh", refresh_job, REFRESH_ATTEMPTS) ||
        jobs_register("fx.revalue", revalue_job, REVALUE_ATTEMPTS)) {
        log_error("fx: cannot register the job kinds");
        return -1;
    }
    if (ticker_add("fx.schedule", TICK_MS, fx_tick, NULL)) {
        log_error("fx: cannot add the ticker task");
        return -1;
    }
    if (!fx.app_id[0])
        log_info("fx: oxr_app_id is not set: rates come only from fx.set");
    return 0;
}

/* ---- methods ---- */

/* currency.list */

static const list_sort currency_sorts[] = {
    { "code", "t.code", LIST_TEXT },
    { "name", "t.name", LIST_TEXT },
    { "decimals", "t.decimals", LIST_INT },
    { NULL },
};
static const list_filter currency_filters[] = {
    { "active", "t.active", LIST_BOOL, LIST_EQ },
    { "code", "t.code", LIST_TEXT, LIST_EQ },
    { "q", "t.code || ' ' || t.name", LIST_TEXT, LIST_SEARCH },
    { NULL },
};
static const list_spec currency_list_spec = {
    .item_sql = "json_build_object('code', t.code, 'name', t.name, 'decimals', t.decimals, 'active', t.active)",
    .from_sql = "currencies t",
    .id_sql = "t.id",
    .sorts = currency_sorts,
    .default_sort = "code",
    .filters = currency_filters,
};

static int currency_list(rpc_call *c)
{
    return rpc_list(c, &currency_list_spec, NULL, NULL);
}

/* The currency param: three capital letters of a currency we list.
 * Returns 1 when known (*active set), 0 after a field error, -1 on a
 * database error. */
static int known_currency(rpc_call *c, const char *field, const char *code, bool *active)
{
    if (!code || strlen(code) != 3 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' ||
        code[2] < 'A' || code[2] > 'Z') {
        rpc_field_error(c, field, "must be a currency code like \"EUR\"");
        return 0;
    }
    PGresult *r = rpc_query(c, "SELECT active FROM currencies WHERE code = $1", 1, code);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found && active)
        *active = !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    if (!found)
        rpc_field_error(c, field, "is not a known currency (currency.list)");
    return found;
}

/* fx.rates */

static int fx_rates(rpc_call *c)
{
    const char *currency = rpc_str(c, "currency");
    if (currency) {
        int k = known_currency(c, "currency", currency, NULL);
        if (k <= 0)
            return -1;
    }
    char stale[16];
    snprintf(stale, sizeof stale, "%d", c->cfg ? c->cfg->fx_stale_hours : 26);
    PGresult *r = rpc_query(c,
        "SELECT coalesce(json_agg(x.j ORDER BY x.code), '[]')::text FROM"
        " (SELECT t.code, fx_rate_json(t.code, $2::integer) AS j FROM currencies t"
        "   WHERE ($1::text IS NULL OR t.code = $1)) x"
        " WHERE $1::text IS NOT NULL OR x.j->>'per_usd' IS NOT NULL", 2, currency, stale);
    if (!r)
        return -1;
    json_t *items = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!items)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    c->result = json_pack("{s:o, s:i}", "items", items, "stale_hours", atoi(stale));
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* fx.history */

static const char *const sources[] = { "oxr", "manual", NULL };
static const list_sort history_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "created_at", "t.created_at", LIST_TIME },
    { "as_of", "t.as_of", LIST_TIME },
    { NULL },
};
static const list_filter history_filters[] = {
    { "source", "t.source", LIST_TEXT, LIST_EQ, sources },
    { "from", "t.created_at", LIST_TIME, LIST_FROM },
    { "to", "t.created_at", LIST_TIME, LIST_TO },
    { NULL },
};
static const list_spec history_list_spec = {
    .item_sql = "fx_history_json(t)",
    .from_sql = "fx_rates t",
    .id_sql = "t.id",
    .sorts = history_sorts,
    .default_sort = "-id",
    .filters = history_filters,
};

static int fx_history(rpc_call *c)
{
    const char *currency = rpc_str(c, "currency");
    int k = known_currency(c, "currency", currency, NULL);
    if (k <= 0)
        return -1;
    return rpc_list(c, &history_list_spec, "t.currency = $1", currency);
}

/* fx.set */

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static int fx_set(rpc_call *c)
{
    const char *currency = rpc_str(c, "currency");
    const char *per_usd = rpc_str(c, "per_usd"); /* NULL: clear the override */
    const char *reason = rpc_str(c, "reason");
    char norm[OXR_RATE_TEXT_MAX] = "";
    bool active = false;
    int k = known_currency(c, "currency", currency, &active);
    if (k < 0)
        return -1;
    if (k > 0 && !strcmp(currency, "USD"))
        rpc_field_error(c, "currency", "is the base currency: its rate is always 1");
    else if (k > 0 && !active)
        rpc_field_error(c, "currency", "is not an active currency");
    if (per_usd) {
        oxr_num_status st = oxr_rate_normalize(per_usd, strlen(per_usd), false, norm, sizeof norm);
        if (st == OXR_NUM_SYNTAX)
            rpc_field_error(c, "per_usd", "must be a decimal string like \"0.921187\" (units per 1 USD), or null");
        else if (st == OXR_NUM_NOT_POSITIVE)
            rpc_field_error(c, "per_usd", "must be > 0");
        else if (st == OXR_NUM_TOO_PRECISE)
            rpc_field_error(c, "per_usd", "must have at most 12 decimals");
        else if (st == OXR_NUM_TOO_LARGE)
            rpc_field_error(c, "per_usd", "must be below 1000000000");
    }
    if (blank(reason))
        rpc_field_error(c, "reason", "must not be blank");
    if (c->err_code)
        return -1;

    char stale[16];
    snprintf(stale, sizeof stale, "%d", c->cfg ? c->cfg->fx_stale_hours : 26);
    const char *actor = c->session->username[0] ? c->session->username : "system";
    PGresult *r = rpc_query(c,
        "WITH before AS (SELECT fx_rate_json($1, $5::integer) AS j)"
        " INSERT INTO fx_rates (currency, per_usd, source, effective_at, as_of, reason, actor)"
        " VALUES ($1, $2::numeric, 'manual', now(), now(), $3, $4)"
        " RETURNING id, (SELECT j FROM before)::text", 5, currency, per_usd ? norm : NULL, reason, actor, stale);
    if (!r)
        return -1;
    long long id = atoll(PQgetvalue(r, 0, 0));
    json_t *before = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    PQclear(r);
    r = rpc_query(c, "SELECT fx_rate_json($1, $2::integer)::text", 2, currency, stale);
    if (!r) {
        json_decref(before);
        return -1;
    }
    json_t *after = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    int rc = -1;
    json_t *audit_after = after ? json_deep_copy(after) : NULL;
    json_t *ev = json_pack("{s:s, s:s, s:s?, s:b}", "source", "manual", "currency", currency,
                           "per_usd", per_usd ? norm : NULL, "cleared", per_usd == NULL);
    if (!before || !after || !audit_after || !ev) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    json_object_set_new(audit_after, "reason", json_string(reason));
    if (audit_record(c, per_usd ? "set" : "clear", "fx_rate", id, before, audit_after) ||
        rpc_emit(c, "fx.updated", ev, 0))
        goto out;
    c->result = after;
    after = NULL;
    rc = 0;
out:
    json_decref(before);
    json_decref(after);
    json_decref(audit_after);
    json_decref(ev);
    return rc;
}

/* fx.refresh */

static int fx_refresh(rpc_call *c)
{
    if (!c->cfg || !c->cfg->oxr_app_id[0])
        return rpc_fail(c, RPC_CONFLICT, "oxr_app_id is not set: there is no rate provider to refresh from");
    json_t *payload = json_pack("{s:s, s:s}", "trigger", "fx.refresh",
                                "requested_by", c->session->username[0] ? c->session->username : "system");
    long long id = payload ? rpc_job_enqueue(c, "fx.refresh", payload, NULL) : -1;
    json_decref(payload);
    if (id < 0)
        return c->err_code ? -1 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *after = json_pack("{s:I}", "job_id", (json_int_t)id);
    int rc = audit_record(c, "refresh", "fx_rates", 0, NULL, after);
    json_decref(after);
    if (rc)
        return -1;
    c->result = json_pack("{s:I}", "job_id", (json_int_t)id);
    return 0;
}

/* fx.revalue */

static int fx_revalue(rpc_call *c)
{
    const char *period = rpc_str(c, "period");
    const char *problem = fx_period_problem(period, (int64_t)time(NULL));
    if (problem)
        return rpc_field_error(c, "period", problem);
    json_t *journal;
    bool duplicate;
    if (revalue(c, period, &journal, &duplicate))
        return -1;
    if (!journal) {
        c->result = json_null();
        return 0;
    }
    json_object_set_new(journal, "duplicate", json_boolean(duplicate));
    c->result = journal;
    return 0;
}

static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };
static const rpc_field rates_params[] = {
    { "currency", F_STRING, 0, 1, 8 },
    { NULL },
};
static const rpc_field history_params[] = {
    LIST_PARAMS,
    { "currency", F_STRING, F_REQUIRED, 1, 8 },
    { NULL },
};
static const rpc_field set_params[] = {
    { "currency", F_STRING, F_REQUIRED, 1, 8 },
    { "per_usd", F_STRING, F_REQUIRED | F_NULLABLE, 1, 64 },
    { "reason", F_STRING, F_REQUIRED, 1, 500 },
    { NULL },
};
static const rpc_field no_params[] = { { NULL } };
static const rpc_field revalue_params[] = {
    { "period", F_STRING, F_REQUIRED, 1, 16 },
    { NULL },
};

const rpc_method fx_methods[] = {
    { "currency.list", currency_list, ROLES_ANY, 0, list_params },
    { "fx.rates", fx_rates, ROLES_STAFF, 0, rates_params },
    { "fx.history", fx_history, ROLES_STAFF, 0, history_params },
    { "fx.set", fx_set, ROLES_ADMIN, RPC_MUTATES, set_params },
    { "fx.refresh", fx_refresh, ROLES_ADMIN, RPC_MUTATES, no_params },
    { "fx.revalue", fx_revalue, ROLES_ADMIN, RPC_MUTATES, revalue_params },
    { NULL },
};
