/*
 * cdrs.c: the sink list, month partitions, and reading CDRs back
 * (cdr.get, cdr.list). Ingestion itself is cdr_ingest.c.
 *
 * Tenant scope is SQL: a customer's query selects only rows whose customer
 * carrier is theirs, through an item expression that has no supplier
 * columns at all, so neither a bug in C nor a crafted filter can show a
 * customer a supplier's cost or the margin.
 */
#include "cdrs.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "../db/db.h"
#include "../rpc/list.h"

/* ---- sinks ---- */

static struct {
    cdr_sink_fn fn;
    void *ud;
} sinks[CDR_SINKS_MAX];
static int nsinks;

int cdr_sink_register(cdr_sink_fn fn, void *ud)
{
    if (!fn || nsinks == CDR_SINKS_MAX)
        return -1;
    sinks[nsinks].fn = fn;
    sinks[nsinks].ud = ud;
    nsinks++;
    return 0;
}

int cdr_sinks_dispatch(rpc_call *c, const cdr_rated *cdrs, size_t n)
{
    if (n == 0)
        return 0;
    for (int i = 0; i < nsinks; i++) {
        if (sinks[i].fn(sinks[i].ud, c, cdrs, n) != 0) {
            if (!c->err_code)
                rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
            return -1;
        }
    }
    return 0;
}

/* ---- month partitions ---- */

/* Months since 1970-01 (UTC) this process knows have a partition; a bit
 * per month over 200 years. Bits are only ever set. */
#define MONTHS_KNOWN 2400
#define MONTHS_BACK 36
#define MONTHS_AHEAD 12
static atomic_uint_fast64_t months_known[MONTHS_KNOWN / 64];

static int month_of(int64_t usec)
{
    time_t t = (time_t)(usec / 1000000 - (usec % 1000000 < 0 ? 1 : 0));
    struct tm tm;
    if (!gmtime_r(&t, &tm))
        return -1;
    return (tm.tm_year - 70) * 12 + tm.tm_mon;
}

static bool month_known(int m)
{
    return m >= 0 && m < MONTHS_KNOWN &&
           (atomic_load(&months_known[m / 64]) & ((uint_fast64_t)1 << (m % 64)));
}

static void month_mark(int m)
{
    if (m >= 0 && m < MONTHS_KNOWN)
        atomic_fetch_or(&months_known[m / 64], (uint_fast64_t)1 << (m % 64));
}

int cdr_partitions_prepare(rpc_call *c, const int64_t *start_usec, size_t n)
{
    int now = month_of(time_now_usec());
    int last = -1;
    for (size_t i = 0; i < n; i++) {
        int m = month_of(start_usec[i]);
        if (m == last || m < now - MONTHS_BACK || m > now + MONTHS_AHEAD || month_known(m))
            continue;
        last = m;
        char from[40];
        snprintf(from, sizeof from, "%04d-%02d-01T00:00:00Z", 1970 + m / 12, m % 12 + 1);
        PGresult *r = rpc_query(c, "SELECT cdr_partitions_ensure($1::timestamptz, 0)", 1, from);
        if (!r)
            return -1;
        if (atoi(PQgetvalue(r, 0, 0)) > 0)
            log_info("cdrs: partition for %.7s created", from);
        PQclear(r);
        month_mark(m);
    }
    return 0;
}

static void partitions_job(pool_job *job, PGconn *db)
{
    free(job);
    if (!db) {
        log_error("cdrs: no database connection to create this month's partitions");
        return;
    }
    PGresult *r = PQexecParams(db, "SELECT cdr_partitions_ensure(now() - interval '1 month', 4)", 0, NULL, NULL, NULL,
                               NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        log_error("cdrs: cannot create partitions: %s", PQresultErrorMessage(r));
    else if (atoi(PQgetvalue(r, 0, 0)) > 0)
        log_info("cdrs: %s month partition(s) created", PQgetvalue(r, 0, 0));
    PQclear(r);
}

void cdr_partitions_at_start(void)
{
    pool_job *job = calloc(1, sizeof *job);
    if (!job) {
        log_error("cdrs: out of memory");
        return;
    }
    job->run = partitions_job;
    pool_submit(job);
}

/* ---- reading CDRs back ---- */

/* Everything a customer may see of a CDR: the call and the customer side. */
#define CDR_CALL_AND_CUSTOMER \
    "'id', c.id, 'start_time', cdr_time(c.start_time), 'answer_time', cdr_time(c.answer_time)," \
    " 'end_time', cdr_time(c.end_time), 'answered', c.answered, 'duration', c.duration, 'caller', c.caller," \
    " 'callee', c.callee, 'release_cause', c.release_cause, 'pdd_ms', c.pdd_ms," \
    " 'ingress_interconnect_id', c.ingress_interconnect_id, 'ingress_ip', host(c.ingress_ip)," \
    " 'tech_prefix', c.tech_prefix, 'received_at', cdr_time(c.received_at)," \
    " 'customer', json_build_object('service_id', c.service_id, 'carrier_id', c.customer_carrier_id," \
    "   'interconnect_id', c.ingress_interconnect_id, 'rating_plan_id', c.customer_rating_plan_id," \
    "   'prefix', c.customer_prefix, 'destination', c.customer_destination, 'rate', c.customer_rate::text," \
    "   'billed_duration', c.customer_billed, 'cost', c.customer_cost::text, 'currency', c.customer_currency," \
    "   'rated', c.customer_rated, 'reason', c.customer_reason)"

#define CDR_ITEM_CUSTOMER "json_build_object(" CDR_CALL_AND_CUSTOMER ")"

#define CDR_ITEM_STAFF \
    "json_build_object(" CDR_CALL_AND_CUSTOMER "," \
    " 'egress_interconnect_id', c.egress_interconnect_id," \
    " 'supplier', json_build_object('carrier_id', c.supplier_carrier_id," \
    "   'interconnect_id', c.egress_interconnect_id, 'rating_plan_id', c.supplier_rating_plan_id," \
    "   'prefix', c.supplier_prefix, 'destination', c.supplier_destination, 'rate', c.supplier_rate::text," \
    "   'billed_duration', c.supplier_billed, 'cost', c.supplier_cost::text, 'currency', c.supplier_currency," \
    "   'rated', c.supplier_rated, 'reason', c.supplier_reason)," \
    " 'margin', c.margin::text, 'margin_reason', c.margin_reason)"

/* cdr_keys says which month (partition) to read. */
#define CDR_BY_ID "FROM cdrs c WHERE c.id = $1 AND c.start_time = (SELECT k.start_time FROM cdr_keys k WHERE k.id = $1)"

static int cdr_get(rpc_call *c)
{
    const char *id = rpc_str(c, "id");
    PGresult *r;
    if (c->session->role == ROLE_CUSTOMER) {
        char carrier[24];
        snprintf(carrier, sizeof carrier, "%lld", c->session->carrier_id);
        r = rpc_query(c, "SELECT " CDR_ITEM_CUSTOMER "::text " CDR_BY_ID " AND c.customer_carrier_id = $2", 2, id,
                      carrier);
    } else {
        r = rpc_query(c, "SELECT " CDR_ITEM_STAFF "::text " CDR_BY_ID, 1, id);
    }
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no such CDR");
    }
    c->result = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* cdr.list. carrier_id and interconnect_id match either side and q matches
 * an id or a callee prefix: the list helper's filters compare one column,
 * so these three travel in the scope parameter ($1, a JSON object) and the
 * scope SQL reads them. The planner sees the parameter's value, so the
 * tests on absent keys fold away and the carrier index is used. */
#define SCOPE(k) "($1::jsonb ->> '" k "')"
#define SCOPE_ID(k) SCOPE(k) "::bigint"

static const char staff_scope[] =
    "(" SCOPE("carrier_id") " IS NULL OR c.customer_carrier_id = " SCOPE_ID("carrier_id")
    " OR c.supplier_carrier_id = " SCOPE_ID("carrier_id") ")"
    " AND (" SCOPE("interconnect_id") " IS NULL OR c.ingress_interconnect_id = " SCOPE_ID("interconnect_id")
    " OR c.egress_interconnect_id = " SCOPE_ID("interconnect_id") ")"
    " AND (" SCOPE("q") " IS NULL OR c.id = " SCOPE("q") " OR c.callee LIKE " SCOPE("q_prefix") ")";

/* A customer sees the customer side of its own carrier's CDRs only. */
static const char customer_scope[] =
    "c.customer_carrier_id = " SCOPE_ID("tenant")
    " AND (" SCOPE("carrier_id") " IS NULL OR c.customer_carrier_id = " SCOPE_ID("carrier_id") ")"
    " AND (" SCOPE("interconnect_id") " IS NULL OR c.ingress_interconnect_id = " SCOPE_ID("interconnect_id") ")"
    " AND (" SCOPE("q") " IS NULL OR c.id = " SCOPE("q") " OR c.callee LIKE " SCOPE("q_prefix") ")";

static const list_sort cdr_sorts[] = {
    { "start_time", "c.start_time", LIST_TIME },
    { "duration", "c.duration", LIST_INT },
    { NULL },
};

#define CDR_FILTERS \
    { "from", "c.start_time", LIST_TIME, LIST_FROM, NULL }, \
    { "to", "c.start_time", LIST_TIME, LIST_TO, NULL }, \
    { "answered", "c.answered", LIST_BOOL, LIST_EQ, NULL }, \
    { "rated", "c.customer_rated", LIST_BOOL, LIST_EQ, NULL }, \
    { "service_id", "c.service_id", LIST_INT, LIST_EQ, NULL }

static const list_filter staff_filters[] = {
    CDR_FILTERS,
    { "supplier_rated", "c.supplier_rated", LIST_BOOL, LIST_EQ, NULL },
    { NULL },
};
static const list_filter customer_filters[] = {
    CDR_FILTERS,
    { NULL },
};

static const list_spec staff_list = {
    .item_sql = CDR_ITEM_STAFF, .from_sql = "cdrs c", .id_sql = "c.seq",
    .sorts = cdr_sorts, .default_sort = "-start_time", .filters = staff_filters,
};
static const list_spec customer_list = {
    .item_sql = CDR_ITEM_CUSTOMER, .from_sql = "cdrs c", .id_sql = "c.seq",
    .sorts = cdr_sorts, .default_sort = "-start_time", .filters = customer_filters,
};

/* Move the filters the scope handles from filter into scope, checked. */
static void scope_filters(rpc_call *c, json_t *filter, json_t *scope)
{
    static const char *const ids[] = { "carrier_id", "interconnect_id" };
    for (size_t i = 0; i < 2; i++) {
        json_t *v = json_object_get(filter, ids[i]);
        if (!v)
            continue;
        char field[40];
        snprintf(field, sizeof field, "filter.%s", ids[i]);
        if (!json_is_null(v) && (!json_is_integer(v) || json_integer_value(v) < 1))
            rpc_field_error(c, field, "must be a positive whole number");
        else if (!json_is_null(v))
            json_object_set_new(scope, ids[i], json_sprintf("%lld", (long long)json_integer_value(v)));
        json_object_del(filter, ids[i]);
    }
    json_t *q = json_object_get(filter, "q");
    if (q && !json_is_null(q)) {
        const char *text = json_string_value(q);
        if (!text || json_string_length(q) < 1 || json_string_length(q) > CDR_ID_MAX ||
            strlen(text) != json_string_length(q)) {
            rpc_field_error(c, "filter.q", "must be a CDR id or the first digits of a callee (1 to 64 characters)");
        } else {
            json_object_set_new(scope, "q", json_string(text));
            char digits[TARIFF_NUMBER_MAX + 1];
            if (tariff_normalise_number(text, digits, sizeof digits))
                json_object_set_new(scope, "q_prefix", json_sprintf("%s%%", digits));
        }
    }
    if (q)
        json_object_del(filter, "q");
}

static int cdr_list(rpc_call *c)
{
    bool customer = c->session->role == ROLE_CUSTOMER;
    json_t *params = json_deep_copy(c->params);
    json_t *scope = json_object();
    if (!params || !scope) {
        json_decref(params);
        json_decref(scope);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    json_t *filter = json_object_get(params, "filter");
    if (filter)
        scope_filters(c, filter, scope);
    if (customer)
        json_object_set_new(scope, "tenant", json_sprintf("%lld", c->session->carrier_id));
    char *scope_text = json_dumps(scope, JSON_COMPACT);
    json_decref(scope);
    int rc = -1;
    if (!scope_text) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    } else if (!c->err_code) {
        json_t *saved = c->params;
        c->params = params;
        rc = rpc_list(c, customer ? &customer_list : &staff_list, customer ? customer_scope : staff_scope,
                      scope_text);
        c->params = saved;
    }
    free(scope_text);
    json_decref(params);
    return c->err_code ? -1 : rc;
}

/* ---- methods ---- */

static const rpc_field ingest_params[] = {
    { "cdrs", F_ARRAY, 0, 0, CDR_BATCH_MAX, NULL },
    { NULL },
};
static const rpc_field get_params[] = {
    { "id", F_STRING, F_REQUIRED, 1, CDR_ID_MAX, NULL },
    { NULL },
};
static const rpc_field list_params[] = {
    LIST_PARAMS,
    { NULL },
};

const rpc_method cdr_methods[] = {
    { "cdr.ingest", cdr_ingest, ROLES_ADMIN | ROLE_NOC, 0, ingest_params },
    { "cdr.get", cdr_get, ROLES_ANY, 0, get_params },
    { "cdr.list", cdr_list, ROLES_ANY, 0, list_params },
    { NULL },
};
