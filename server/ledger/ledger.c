/*
 * ledger.c: the ledger's methods — ledger.post (posting.c), ledger.balance,
 * ledger.journal.list, ledger.account.list, ledger.trial_balance.
 *
 * Reading is tenant-scoped like the carrier hierarchy: a customer user
 * reads only its own carrier's figures, journals and accounts, and gets
 * -32004 for any other carrier. The figures come from the SQL function
 * ledger_figures (schema/0006_ledger.sql), which carrier.get's `balances`
 * uses too, so the two can never disagree.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "timeutil.h"
#include "../audit/audit.h"
#include "../rpc/list.h"

#define TS_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static bool is_customer(rpc_call *c)
{
    return c->session->role == ROLE_CUSTOMER;
}

/* ---- ledger.balance ---- */

static int ledger_balance(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    if (is_customer(c) && id != c->session->carrier_id)
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    const char *currency = rpc_str(c, "currency");
    PGresult *r = rpc_query(c,
        "SELECT $2::text IS NULL OR $2 = ANY (t.currencies), array_to_string(t.currencies, ', '),"
        " CASE WHEN $2::text IS NULL OR $2 = ANY (t.currencies) THEN ledger_balance_json(t.id, $2) END"
        " FROM carriers t WHERE t.id = $1 AND t.deleted_at IS NULL", 2, idt, currency);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
    }
    if (strcmp(PQgetvalue(r, 0, 0), "t")) {
        char msg[160];
        snprintf(msg, sizeof msg, "must be one of the carrier's currencies (%.100s)", PQgetvalue(r, 0, 1));
        PQclear(r);
        return rpc_field_error(c, "currency", msg);
    }
    c->result = json_loads(PQgetvalue(r, 0, 2), 0, NULL);
    PQclear(r);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* ---- ledger.journal.list ---- */

static const char *const journal_kinds[] = {
    "topup", "payment", "charge", "credit_note", "adjustment", "cdr_charges", "fx_revaluation", "netting", NULL,
};
static const char *const sides[] = { "customer", "supplier", NULL };

static const list_sort journal_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "created_at", "t.created_at", LIST_TIME },
    { NULL },
};
static const list_filter journal_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "kind", "t.kind", LIST_TEXT, LIST_EQ, journal_kinds },
    { "side", "t.side", LIST_TEXT, LIST_EQ, sides },
    { "currency", "t.currency", LIST_TEXT, LIST_EQ },
    { "idempotency_key", "t.idempotency_key", LIST_TEXT, LIST_EQ },
    { "from", "t.created_at", LIST_TIME, LIST_FROM },
    { "to", "t.created_at", LIST_TIME, LIST_TO },
    { NULL },
};
static const list_spec journal_list = {
    .item_sql = "ledger_journal_json(t.id)",
    .from_sql = "ledger_journals t",
    .id_sql = "t.id",
    .sorts = journal_sorts,
    .default_sort = "-id",
    .filters = journal_filters,
};

/* The journals of one carrier: those posted for it, and the CDR charge
 * batches that touched its accounts (their lines name it). */
#define CARRIER_JOURNALS "(t.carrier_id = $1 OR t.id IN (SELECT l.journal_id FROM ledger_cdr_lines l" \
                         " WHERE l.carrier_id = $1))"

static int ledger_journal_list(rpc_call *c)
{
    json_t *filter = json_object_get(c->params, "filter");
    json_t *carrier = json_object_get(filter, "carrier_id");
    if (!is_customer(c) && !json_is_integer(carrier))
        return rpc_list(c, &journal_list, NULL, NULL);
    /* One carrier's journals. Customers: always their own, each journal
     * shown without actor and reason and with their own entries only. */
    list_spec spec = journal_list;
    long long id = is_customer(c) ? c->session->carrier_id : (long long)json_integer_value(carrier);
    if (is_customer(c))
        spec.item_sql = "ledger_journal_for(t.id, $1)";
    char scope[24];
    snprintf(scope, sizeof scope, "%lld", id);
    /* The scope says which carrier; a filter naming it would drop the CDR
     * batches (a customer naming another carrier keeps it: no rows). */
    json_t *saved = json_is_integer(carrier) && json_integer_value(carrier) == id ? json_incref(carrier) : NULL;
    if (saved)
        json_object_del(filter, "carrier_id");
    int rc = rpc_list(c, &spec, CARRIER_JOURNALS, scope);
    if (saved)
        json_object_set_new(filter, "carrier_id", saved);
    return rc;
}

/* ---- ledger.account.list ---- */

static const char *const account_kinds[] = {
    "carrier_customer", "carrier_supplier", "revenue", "cost_of_sales", "cash", "promotions", "fx_gain_loss",
    "suspense", NULL,
};
static const list_sort account_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "t.name", LIST_TEXT },
    { "kind", "t.kind", LIST_TEXT },
    { "currency", "t.currency", LIST_TEXT },
    { "balance", "t.balance", LIST_NUMERIC },
    { NULL },
};
static const list_filter account_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "kind", "t.kind", LIST_TEXT, LIST_EQ, account_kinds },
    { "currency", "t.currency", LIST_TEXT, LIST_EQ },
    { "provider", "t.provider", LIST_TEXT, LIST_EQ },
    { NULL },
};
static const list_spec account_list = {
    .item_sql = "json_build_object('id', t.id, 'name', t.name, 'kind', t.kind, 'carrier_id', t.carrier_id,"
                " 'currency', t.currency, 'provider', t.provider, 'balance', t.balance::text,"
                " 'normal_side', CASE WHEN t.kind IN ('cash', 'cost_of_sales', 'promotions', 'suspense')"
                "   THEN 'debit' ELSE 'credit' END,"
                " 'version', t.version, 'created_at', " TS_US("t.created_at") ")",
    .from_sql = "ledger_accounts t",
    .id_sql = "t.id",
    .sorts = account_sorts,
    .default_sort = "id",
    .filters = account_filters,
};

static int ledger_account_list(rpc_call *c)
{
    if (!is_customer(c))
        return rpc_list(c, &account_list, NULL, NULL);
    char scope[24];
    snprintf(scope, sizeof scope, "%lld", c->session->carrier_id);
    return rpc_list(c, &account_list, "t.carrier_id = $1", scope);
}

/* ---- ledger.trial_balance ---- */

/* Sums straight from the entries (not the cached balances), per currency
 * and per account kind; cache_mismatches counts accounts whose cached
 * balance differs from the sum of their entries (always 0 unless the
 * database was edited by hand). */
static const char trial_balance_sql[] =
    "WITH sums AS (SELECT e.account_id, sum(e.amount) AS total,"
    "                     coalesce(sum(e.amount) FILTER (WHERE e.amount > 0), 0) AS debits,"
    "                     coalesce(sum(-e.amount) FILTER (WHERE e.amount < 0), 0) AS credits"
    "                FROM ledger_entries e GROUP BY e.account_id),"
    " acc AS (SELECT a.currency, a.kind, a.balance, coalesce(s.total, 0) AS total,"
    "                coalesce(s.debits, 0) AS debits, coalesce(s.credits, 0) AS credits"
    "           FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id),"
    " cur AS (SELECT currency, sum(total) AS total, sum(debits) AS debits, sum(credits) AS credits,"
    "                count(*) AS accounts, count(*) FILTER (WHERE balance <> total) AS mismatches"
    "           FROM acc GROUP BY currency)"
    " SELECT json_build_object("
    "   'currencies', coalesce(json_agg(json_build_object('currency', c.currency,"
    "       'total', round(c.total, 6)::text, 'debits', round(c.debits, 6)::text,"
    "       'credits', round(c.credits, 6)::text, 'accounts', c.accounts, 'cache_mismatches', c.mismatches,"
    "       'by_kind', (SELECT json_object_agg(k.kind, round(k.total, 6)::text ORDER BY k.kind)"
    "                     FROM (SELECT kind, sum(total) AS total FROM acc WHERE acc.currency = c.currency"
    "                            GROUP BY kind) k)) ORDER BY c.currency), '[]'),"
    "   'balanced', coalesce(bool_and(c.total = 0), true),"
    "   'journals', (SELECT count(*) FROM ledger_journals))"
    " FROM cur c";

static int ledger_trial_balance(rpc_call *c)
{
    PGresult *r = rpc_query(c, trial_balance_sql, 0);
    if (!r)
        return -1;
    c->result = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* ---- credit blocking ---- */

static const char *block_message(const char *reason)
{
    if (!strcmp(reason, "credit"))
        return "the customer has no available credit";
    if (!strcmp(reason, "bilateral_limit"))
        return "the carrier's net exposure is over its bilateral limit";
    return "the customer's 24-hour spend has reached its limit";
}

int ledger_credit_check(rpc_call *c, long long carrier_id)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", carrier_id);
    PGresult *r = rpc_query(c,
        "SELECT f.blocked, f.available::text, f.currency, f.net_exposure::text, f.spend_customer::text"
        " FROM carriers t CROSS JOIN LATERAL ledger_figures(t.id) f"
        " WHERE t.id = $1 AND t.deleted_at IS NULL", 1, idt);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", carrier_id);
    }
    int rc = 0;
    if (!PQgetisnull(r, 0, 0)) {
        const char *reason = PQgetvalue(r, 0, 0);
        rc = rpc_fail(c, RPC_CREDIT_LIMIT, "%s", block_message(reason));
        json_decref(c->err_data);
        c->err_data = json_pack("{s:s, s:s, s:s, s:s, s:s}", "reason", reason, "available", PQgetvalue(r, 0, 1),
                                "currency", PQgetvalue(r, 0, 2), "net_exposure", PQgetvalue(r, 0, 3),
                                "spend_24h", PQgetvalue(r, 0, 4));
    }
    PQclear(r);
    return rc;
}

/* ---- the verdict cache of route lookups ---- */

#define VERDICT_SLOTS 4096   /* a power of two; a colliding carrier just replaces the slot */

typedef struct {
    long long carrier_id;
    int64_t expires_usec;
    uint64_t epoch;          /* verdicts_epoch when judged */
    int code;                /* 0 allowed, else the error */
    char message[256];
    json_t *data;
} verdict;

static verdict verdicts[VERDICT_SLOTS];
static pthread_mutex_t verdicts_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t verdicts_epoch = 1;

void ledger_credit_verdicts_forget(void)
{
    atomic_fetch_add(&verdicts_epoch, 1);
}

int ledger_credit_verdict(rpc_call *c, long long carrier_id)
{
    verdict *v = &verdicts[(uint64_t)carrier_id * 0x9E3779B97F4A7C15ULL >> 52 & (VERDICT_SLOTS - 1)];
    int64_t now = time_now_usec();
    uint64_t epoch = atomic_load(&verdicts_epoch);
    pthread_mutex_lock(&verdicts_lock);
    if (v->carrier_id == carrier_id && v->epoch == epoch && v->expires_usec > now) {
        int code = v->code;
        if (code) {
            rpc_fail(c, code, "%s", v->message);
            json_decref(c->err_data);
            c->err_data = json_deep_copy(v->data);
        }
        pthread_mutex_unlock(&verdicts_lock);
        return code ? -1 : 0;
    }
    pthread_mutex_unlock(&verdicts_lock);
    /* Judged from PostgreSQL outside the lock; remembered only when it is
     * a verdict (allowed or -32010), not a failure to judge. */
    int rc = ledger_credit_check(c, carrier_id);
    if (rc == 0 || c->err_code == RPC_CREDIT_LIMIT) {
        pthread_mutex_lock(&verdicts_lock);
        json_decref(v->data);
        *v = (verdict){ .carrier_id = carrier_id, .expires_usec = now + LEDGER_VERDICT_TTL_MS * 1000LL,
                        .epoch = epoch, .code = rc ? c->err_code : 0,
                        .data = rc ? json_deep_copy(c->err_data) : NULL };
        snprintf(v->message, sizeof v->message, "%s", rc ? c->err_message : "");
        pthread_mutex_unlock(&verdicts_lock);
    }
    return rc;
}

/* ledger.credit_check {carrier_id} -> {carrier_id, allowed: true}, or
 * -32010 saying why: what a route lookup asks before it routes a call. */
static int ledger_credit_check_method(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    if (is_customer(c) && id != c->session->carrier_id)
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
    if (ledger_credit_check(c, id))
        return -1;
    c->result = json_pack("{s:I, s:b}", "carrier_id", (json_int_t)id, "allowed", 1);
    return 0;
}

/* ---- ledger.spend_reset ---- */

/* The seed's [Reset] beside a side's 24-hour spend: the window starts
 * again now. Audited; carrier.changed tells the screens. */
static int ledger_spend_reset(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    const char *side = rpc_str(c, "side");
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    bool customer = !strcmp(side, "customer");
    PGresult *r = rpc_query(c, customer
        ? "WITH old AS (SELECT t.id, t.type, t.spend_reset_customer_at AS at FROM carriers t"
          "              WHERE t.id = $1 AND t.deleted_at IS NULL FOR UPDATE)"
          " UPDATE carriers t SET spend_reset_customer_at = now() FROM old"
          "  WHERE t.id = old.id AND old.type <> 'supplier'"
          " RETURNING old.type, " TS_US("old.at") ", " TS_US("now()") ", t.version"
        : "WITH old AS (SELECT t.id, t.type, t.spend_reset_supplier_at AS at FROM carriers t"
          "              WHERE t.id = $1 AND t.deleted_at IS NULL FOR UPDATE)"
          " UPDATE carriers t SET spend_reset_supplier_at = now() FROM old"
          "  WHERE t.id = old.id AND old.type <> 'customer'"
          " RETURNING old.type, " TS_US("old.at") ", " TS_US("now()") ", t.version", 1, idt);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        PGresult *e = rpc_query(c, "SELECT type FROM carriers WHERE id = $1 AND deleted_at IS NULL", 1, idt);
        if (!e)
            return -1;
        bool exists = PQntuples(e) > 0;
        PQclear(e);
        if (!exists)
            return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
        char msg[96];
        snprintf(msg, sizeof msg, "carrier %lld has no %s side", id, side);
        return rpc_field_error(c, "side", msg);
    }
    const char *field = customer ? "spend_reset_customer_at" : "spend_reset_supplier_at";
    json_t *before = json_pack("{s:s?}", field, PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1));
    json_t *after = json_pack("{s:s}", field, PQgetvalue(r, 0, 2));
    json_t *ev = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)id, "action", "spend_reset", "version",
                           (json_int_t)atoll(PQgetvalue(r, 0, 3)));
    PQclear(r);
    int rc = audit_record(c, "spend_reset", "carrier", id, before, after);
    if (!rc)
        rc = rpc_emit(c, "carrier.changed", ev, id);
    json_decref(before);
    json_decref(ev);
    if (rc) {
        json_decref(after);
        return -1;
    }
    c->result = json_pack("{s:I, s:s, s:O}", "carrier_id", (json_int_t)id, "side", side, "reset_at",
                          json_object_get(after, field));
    json_decref(after);
    return 0;
}

/* ---- the method table ---- */

static const rpc_field balance_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "currency", F_CURRENCY },
    { NULL },
};
static const rpc_field credit_check_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { NULL },
};
static const rpc_field spend_reset_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "side", F_ENUM, F_REQUIRED, 0, 0, sides },
    { NULL },
};
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };
static const rpc_field no_params[] = { { NULL } };

const rpc_method ledger_methods[] = {
    { "ledger.post", ledger_post_method, ROLES_ADMIN, RPC_MUTATES, ledger_post_params },
    { "ledger.balance", ledger_balance, ROLES_ANY, 0, balance_params },
    { "ledger.journal.list", ledger_journal_list, ROLES_ANY, 0, list_params },
    { "ledger.account.list", ledger_account_list, ROLES_ANY, 0, list_params },
    { "ledger.trial_balance", ledger_trial_balance, ROLES_ADMIN, 0, no_params },
    { "ledger.credit_check", ledger_credit_check_method, ROLES_ANY, 0, credit_check_params },
    { "ledger.spend_reset", ledger_spend_reset, ROLES_ADMIN, RPC_MUTATES, spend_reset_params },
    { NULL },
};
