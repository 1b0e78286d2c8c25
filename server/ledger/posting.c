/*
 * posting.c: ledger_post and ledger.post — what each kind of posting does
 * to which accounts, said once in a table, and the checks around it.
 *
 * A posting moves one carrier side's balance (as the carrier sees it:
 * customer = money it has with us, supplier = what we owe it) by `delta`
 * and takes the other leg on a platform account. Carrier accounts are
 * liabilities, credit-normal, so the carrier account's entry is -delta
 * and the offset account's +delta (debit-positive entries; see
 * docs/ledger.md for the table with debits and credits).
 *
 * The mechanics — the carrier's side, currency and credit allowance,
 * accounts created on first use, the carrier account locked first and the
 * platform account last, the credit guard, journal and entries — are one
 * call of the SQL function ledger_post_journal (schema/0006_ledger.sql),
 * so a posting costs one round trip besides its audit row and events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "validate.h"
#include "../audit/audit.h"
#include "../jobs/jobs.h"

typedef struct {
    const char *kind;
    const char *side;
    const char *offset;   /* default platform account kind for the other leg */
    int direction;        /* +1 raises the side's balance, -1 lowers it, 0: the amount's own sign */
    bool cash;            /* the offset is the cash account of a provider */
    bool credit_checked;  /* refused beyond the customer's available credit */
} posting_rule;

static const posting_rule rules[] = {
    /* customer side: balance = money the customer has with us */
    { "topup", "customer", "cash", +1, true, false },            /* it pays in ahead of use */
    { "payment", "customer", "cash", +1, true, false },          /* it pays what it owes */
    { "charge", "customer", "revenue", -1, false, true },        /* we bill its usage */
    { "credit_note", "customer", "revenue", +1, false, false },  /* we give back part of a charge */
    { "adjustment", "customer", "suspense", 0, false, false },   /* a correction, either way, with a reason */
    /* supplier side: balance = what we owe the supplier */
    { "payment", "supplier", "cash", -1, true, false },          /* we pay it */
    { "charge", "supplier", "cost_of_sales", +1, false, false }, /* it bills us for termination */
    { "credit_note", "supplier", "cost_of_sales", -1, false, false }, /* it gives us back part of a charge */
    { "adjustment", "supplier", "suspense", 0, false, false },
};

static const char *const posting_kinds[] = { "topup", "payment", "charge", "credit_note", "adjustment", NULL };
static const char *const sides[] = { "customer", "supplier", NULL };
static const char *const offset_accounts[] = { "suspense", "promotions", NULL };

static const posting_rule *rule_for(const char *kind, const char *side)
{
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
        if (!strcmp(rules[i].kind, kind) && !strcmp(rules[i].side, side))
            return &rules[i];
    return NULL;
}

static bool known_kind(const char *kind)
{
    for (const char *const *k = posting_kinds; *k; k++)
        if (!strcmp(*k, kind))
            return true;
    return false;
}

/* A provider names a cash account: 1..32 of a-z, 0-9, _ and -. */
static bool valid_provider(const char *p)
{
    size_t n = strlen(p);
    if (n < 1 || n > 32)
        return false;
    for (const char *s = p; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* Every field-level problem of p at once; returns the rule or NULL (error set). */
static const posting_rule *check_posting(rpc_call *c, const ledger_posting *p)
{
    const posting_rule *rule = NULL;
    char msg[128];
    size_t klen = p->idempotency_key ? strlen(p->idempotency_key) : 0;
    if (klen < 1 || klen > 128)
        rpc_field_error(c, "idempotency_key", "must be 1 to 128 characters");
    if (!p->kind || !known_kind(p->kind))
        rpc_field_error(c, "kind", "must be one of topup, payment, charge, credit_note, adjustment");
    else if (!p->side || (strcmp(p->side, "customer") && strcmp(p->side, "supplier")))
        rpc_field_error(c, "side", "must be one of customer, supplier");
    else if (!(rule = rule_for(p->kind, p->side))) {
        snprintf(msg, sizeof msg, "a %s is only for the %s side", p->kind,
                 !strcmp(p->side, "customer") ? "supplier" : "customer");
        rpc_field_error(c, "side", msg);
    }
    bool adjustment = p->kind && !strcmp(p->kind, "adjustment");
    if (adjustment ? p->amount == 0 : p->amount <= 0)
        rpc_field_error(c, "amount", adjustment ? "must not be 0" : "must be > 0");
    else if (p->amount > LEDGER_MAX_AMOUNT || p->amount < -LEDGER_MAX_AMOUNT)
        rpc_field_error(c, "amount", "must be at most 1000000000000 in magnitude");
    if (!p->currency || !valid_currency(p->currency))
        rpc_field_error(c, "currency", "must be an ISO 4217 currency code like \"USD\"");
    if (adjustment && blank(p->reason))
        rpc_field_error(c, "reason", "is required for an adjustment");
    if (p->provider && rule && !rule->cash)
        rpc_field_error(c, "provider", "is only for a topup or payment");
    else if (p->provider && !valid_provider(p->provider))
        rpc_field_error(c, "provider", "must be 1 to 32 of a-z, 0-9, _ and -");
    if (p->offset_account && !adjustment)
        rpc_field_error(c, "offset_account", "is only for an adjustment");
    else if (p->offset_account && strcmp(p->offset_account, "suspense") && strcmp(p->offset_account, "promotions"))
        rpc_field_error(c, "offset_account", "must be one of suspense, promotions");
    return c->err_code ? NULL : rule;
}

static int refuse_credit(rpc_call *c, const char *available, const char *currency)
{
    money_t a = 0;
    char buf[MONEY_STR_MAX];
    if (money_parse(available, &a) != MONEY_OK)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    money_format(a, buf, sizeof buf);
    rpc_fail(c, RPC_CREDIT_LIMIT, "the charge would exceed the customer's available credit (%s %s)", buf, currency);
    json_decref(c->err_data);
    c->err_data = json_pack("{s:s, s:s}", "available", buf, "currency", currency);
    return -1;
}

/* ledger.posted for the carrier's users, and one credit.alert per crossing. */
static int announce(rpc_call *c, const ledger_posting *p, long long journal_id, const char *alerts_text)
{
    char amount[MONEY_STR_MAX];
    money_format(p->amount, amount, sizeof amount);
    json_t *ev = json_pack("{s:I, s:s, s:I, s:s, s:s, s:s}", "id", (json_int_t)journal_id, "kind", p->kind,
                           "carrier_id", (json_int_t)p->carrier_id, "side", p->side, "amount", amount,
                           "currency", p->currency);
    int rc = rpc_emit(c, "ledger.posted", ev, p->carrier_id);
    json_decref(ev);
    if (rc || !alerts_text || !*alerts_text)
        return rc;
    json_t *alerts = json_loads(alerts_text, 0, NULL);
    size_t i;
    json_t *a;
    json_array_foreach(alerts, i, a) {
        json_object_set_new(a, "carrier_id", json_integer(p->carrier_id));
        json_object_set_new(a, "currency", json_string(p->currency));
        json_object_set_new(a, "journal_id", json_integer(journal_id));
        if ((rc = ledger_alert_announce(c, a)))
            break;
    }
    json_decref(alerts);
    return rc;
}

int ledger_alert_announce(rpc_call *c, json_t *alert)
{
    long long carrier = (long long)json_integer_value(json_object_get(alert, "carrier_id"));
    if (rpc_emit(c, "credit.alert", alert, carrier))
        return -1;
    /* The e-mail: to the alert's recipients, else the carrier's contacts
     * with an address; none, no e-mail. */
    char idt[24], cid[24];
    snprintf(idt, sizeof idt, "%lld", (long long)json_integer_value(json_object_get(alert, "alert_id")));
    snprintf(cid, sizeof cid, "%lld", carrier);
    PGresult *r = rpc_query(c,
        "SELECT c.name, a.template, CASE WHEN cardinality(a.recipients) > 0 THEN to_json(a.recipients) ELSE"
        " (SELECT coalesce(json_agg(DISTINCT k.email), '[]') FROM carrier_contacts k"
        "   WHERE k.carrier_id = c.id AND k.deleted_at IS NULL AND k.email <> '') END"
        " FROM credit_alerts a JOIN carriers c ON c.id = a.carrier_id WHERE a.id = $1 AND c.id = $2", 2, idt, cid);
    if (!r)
        return -1;
    json_t *to = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 2), 0, NULL) : NULL;
    int rc = 0;
    if (json_array_size(to) > 0) {
        json_t *payload = json_pack("{s:s, s:O, s:s, s:O}", "template",
                                    PQgetvalue(r, 0, 1)[0] ? PQgetvalue(r, 0, 1) : "credit_alert", "to", to,
                                    "carrier_name", PQgetvalue(r, 0, 0), "alert", alert);
        char key[96];
        snprintf(key, sizeof key, "credit.alert:%s:%lld", idt,
                 (long long)json_integer_value(json_object_get(alert, "journal_id")));
        rc = rpc_job_enqueue(c, "email.send", payload, key) < 0 ? -1 : 0;
        json_decref(payload);
    }
    json_decref(to);
    PQclear(r);
    return rc;
}

/* The journal as ledger_journal_json (schema/0006_ledger.sql) renders it,
 * built here from what the posting knows, so a fresh posting costs no
 * second read; test_ledger.c checks the two agree. */
static json_t *journal_json(rpc_call *c, const ledger_posting *p, PGresult *r, const char *entry,
                            const char *offset_entry, const char *account_kind, const char *offset_kind)
{
    char amount[MONEY_STR_MAX], usd_offset[MONEY_STR_MAX];
    money_format(p->amount, amount, sizeof amount);
    const char *rate = PQgetisnull(r, 0, 11) ? NULL : PQgetvalue(r, 0, 11);
    const char *usd = PQgetisnull(r, 0, 12) ? NULL : PQgetvalue(r, 0, 12);
    money_t u = 0;
    if (usd && money_parse(usd, &u) == MONEY_OK)
        money_format(-u, usd_offset, sizeof usd_offset);
    json_t *entries = json_pack("[{s:I, s:s, s:s, s:I, s:s, s:s, s:s?}, {s:I, s:s, s:s, s:n, s:s, s:s, s:s?}]",
        "account_id", (json_int_t)atoll(PQgetvalue(r, 0, 3)), "account", PQgetvalue(r, 0, 4),
        "account_kind", account_kind, "carrier_id", (json_int_t)p->carrier_id, "amount", entry,
        "currency", p->currency, "usd_value", usd,
        "account_id", (json_int_t)atoll(PQgetvalue(r, 0, 5)), "account", PQgetvalue(r, 0, 6),
        "account_kind", offset_kind, "carrier_id", "amount", offset_entry,
        "currency", p->currency, "usd_value", usd ? usd_offset : NULL);
    return json_pack("{s:I, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s?, s:o}",
        "id", (json_int_t)atoll(PQgetvalue(r, 0, 1)), "idempotency_key", p->idempotency_key, "kind", p->kind,
        "carrier_id", (json_int_t)p->carrier_id, "side", p->side, "amount", amount, "currency", p->currency,
        "memo", p->memo ? p->memo : "", "reason", p->reason,
        "actor", c->session->username[0] ? c->session->username : "system", "created_at", PQgetvalue(r, 0, 2),
        "fx_rate_usd", rate, "entries", entries);
}

int ledger_post(rpc_call *c, const ledger_posting *p, json_t **journal, bool *duplicate)
{
    *journal = NULL;
    *duplicate = false;
    const posting_rule *rule = check_posting(c, p);
    if (!rule)
        return -1;
    if (c->session->role == ROLE_CUSTOMER && c->session->carrier_id != p->carrier_id)
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", p->carrier_id);
    money_t delta = rule->direction ? rule->direction * p->amount : p->amount;
    char carrier[24], actor_id[24], amount[MONEY_STR_MAX], entry[MONEY_STR_MAX], offset_entry[MONEY_STR_MAX];
    snprintf(carrier, sizeof carrier, "%lld", p->carrier_id);
    snprintf(actor_id, sizeof actor_id, "%lld", c->session->user_id);
    money_format(p->amount, amount, sizeof amount);
    money_format(-delta, entry, sizeof entry);
    money_format(delta, offset_entry, sizeof offset_entry);
    const char *offset = rule->cash ? "cash" : p->offset_account ? p->offset_account : rule->offset;
    const char *provider = rule->cash ? (p->provider ? p->provider : "manual") : NULL;
    bool customer_side = !strcmp(p->side, "customer");
    PGresult *r = rpc_query(c,
        "SELECT status, journal_id, created_at, account_id, account_name, offset_id, offset_name,"
        " available::numeric(20,6)::text, currencies, journal, alerts, fx_rate, usd_entry"
        " FROM ledger_post_journal($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        14, p->idempotency_key, p->kind, carrier, p->side, amount, p->currency, p->memo ? p->memo : "",
        p->reason, c->session->username[0] ? c->session->username : "system",
        c->session->user_id ? actor_id : NULL, offset, provider, entry, rule->credit_checked ? "true" : "false");
    if (!r)
        return -1;
    const char *status = PQgetvalue(r, 0, 0);
    long long id = atoll(PQgetvalue(r, 0, 1));
    char msg[160];
    int rc = -1;
    if (!strcmp(status, "no_carrier")) {
        rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", p->carrier_id);
    } else if (!strcmp(status, "no_side")) {
        snprintf(msg, sizeof msg, "carrier %lld has no %s side (a %s carrier)", p->carrier_id, p->side,
                 customer_side ? "supplier" : "customer");
        rpc_field_error(c, "side", msg);
    } else if (!strcmp(status, "bad_currency")) {
        snprintf(msg, sizeof msg, "must be one of the carrier's currencies (%.100s)", PQgetvalue(r, 0, 8));
        rpc_field_error(c, "currency", msg);
    } else if (!strcmp(status, "credit")) {
        refuse_credit(c, PQgetvalue(r, 0, 7), p->currency);
    } else if (!strcmp(status, "mismatch")) {
        rpc_fail(c, RPC_CONFLICT, "idempotency key %.128s was used for another posting (journal %lld)",
                 p->idempotency_key, id);
        json_decref(c->err_data);
        c->err_data = json_pack("{s:I}", "journal_id", (json_int_t)id);
    } else if (!strcmp(status, "duplicate")) {
        *journal = json_loads(PQgetvalue(r, 0, 9), 0, NULL);
        *duplicate = true;
        rc = *journal ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    } else if (!strcmp(status, "posted")) {
        *journal = journal_json(c, p, r, entry, offset_entry, customer_side ? "carrier_customer" : "carrier_supplier",
                                offset);
        if (!*journal)
            rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        else if (!audit_record(c, "post", "ledger_journal", id, NULL, *journal) &&
                 !announce(c, p, id, PQgetisnull(r, 0, 10) ? NULL : PQgetvalue(r, 0, 10)))
            rc = 0;
    } else {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    PQclear(r);
    if (rc) {
        json_decref(*journal);
        *journal = NULL;
    }
    return rc;
}

int ledger_post_method(rpc_call *c)
{
    money_t amount = 0;
    money_parse(rpc_str(c, "amount"), &amount); /* validated as F_MONEY */
    ledger_posting p = {
        .idempotency_key = rpc_str(c, "idempotency_key"),
        .kind = rpc_str(c, "kind"),
        .carrier_id = rpc_int(c, "carrier_id", 0),
        .side = rpc_str(c, "side"),
        .amount = amount,
        .currency = rpc_str(c, "currency"),
        .memo = rpc_str(c, "memo"),
        .reason = rpc_str(c, "reason"),
        .provider = rpc_str(c, "provider"),
        .offset_account = rpc_str(c, "offset_account"),
    };
    json_t *journal;
    bool duplicate;
    if (ledger_post(c, &p, &journal, &duplicate))
        return -1;
    json_object_set_new(journal, "duplicate", json_boolean(duplicate));
    c->result = journal;
    return 0;
}

const rpc_field ledger_post_params[] = {
    { "idempotency_key", F_STRING, F_REQUIRED, 1, 128 },
    { "kind", F_ENUM, F_REQUIRED, 0, 0, posting_kinds },
    { "carrier_id", F_ID, F_REQUIRED },
    { "side", F_ENUM, F_REQUIRED, 0, 0, sides },
    { "amount", F_MONEY, F_REQUIRED },
    { "currency", F_CURRENCY, F_REQUIRED },
    { "memo", F_STRING, 0, 0, 500 },
    { "reason", F_STRING, 0, 1, 500 },
    { "provider", F_STRING, 0, 1, 32 },
    { "offset_account", F_ENUM, 0, 0, 0, offset_accounts },
    { NULL },
};
