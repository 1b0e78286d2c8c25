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
#include <stdio.h>
#include <string.h>

#include "ledger.h"
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
    "topup", "payment", "charge", "credit_note", "adjustment", "cdr_charges", "fx_revaluation", NULL,
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

static int ledger_journal_list(rpc_call *c)
{
    if (!is_customer(c))
        return rpc_list(c, &journal_list, NULL, NULL);
    /* Customers: their carrier's journals, without actor and reason. */
    list_spec spec = journal_list;
    spec.item_sql = "ledger_journal_json(t.id, false)";
    char scope[24];
    snprintf(scope, sizeof scope, "%lld", c->session->carrier_id);
    return rpc_list(c, &spec, "t.carrier_id = $1", scope);
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

/* ---- the method table ---- */

static const rpc_field balance_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "currency", F_CURRENCY },
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
    { NULL },
};
