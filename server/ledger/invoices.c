/*
 * invoices.c: issuing documents — invoice.create, credit_note.create and
 * netting.create (docs/documents.md).
 *
 * Every one is idempotent by key like ledger.post: the params it was
 * issued for are stored with it (`request`, with defaults resolved), the
 * same key with the same request answers that document with
 * duplicate:true and writes nothing, with another request -32009. The
 * key is locked first (an advisory lock in document_by_key), so a twin
 * request waits for the first to commit and then finds its document.
 *
 * Lock order, the same as every posting's (docs/ledger.md): the key, then
 * carrier accounts (in account id order), then the document number's
 * counter row (held until commit, so numbers have no gaps), then the
 * platform accounts at commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "ledger.h"
#include "../audit/audit.h"

static const char *actor(rpc_call *c)
{
    return c->session->username[0] ? c->session->username : "system";
}

/* -32009 for a key issued before with another request. */
static int key_reused(rpc_call *c, const char *key, long long id)
{
    rpc_fail(c, RPC_CONFLICT, "idempotency key %.120s was used for another document (%lld)", key, id);
    json_decref(c->err_data);
    c->err_data = json_pack("{s:I}", "invoice_id", (json_int_t)id);
    return -1;
}

/* The reply for a document issued now (duplicate false) or before (true). */
static int answer(rpc_call *c, const char *doc_text, bool duplicate)
{
    json_t *doc = json_loads(doc_text, 0, NULL);
    if (!doc)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_object_set_new(doc, "duplicate", json_boolean(duplicate));
    c->result = doc;
    return 0;
}

/* The audit row and the invoice.created event of a new document. The audit
 * keeps the document without its lines (they stay in the document, which
 * never changes) and how many there were. */
static int announce(rpc_call *c, long long id, const char *doc_text)
{
    json_t *doc = json_loads(doc_text, 0, NULL);
    if (!doc)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *lines = json_object_get(doc, "lines");
    json_t *after = json_deep_copy(doc);
    json_object_del(after, "lines");
    json_object_set_new(after, "line_count", json_integer((json_int_t)json_array_size(lines)));
    const char *type = json_string_value(json_object_get(doc, "type"));
    long long carrier = (long long)json_integer_value(json_object_get(doc, "carrier_id"));
    json_t *ev = json_pack("{s:I, s:O, s:O, s:I, s:O, s:O, s:O}", "id", (json_int_t)id, "number",
                           json_object_get(doc, "number"), "type", json_object_get(doc, "type"), "carrier_id",
                           (json_int_t)carrier, "side", json_object_get(doc, "side"), "currency",
                           json_object_get(doc, "currency"), "total", json_object_get(doc, "total"));
    int rc = !ev || !after ? rpc_fail(c, RPC_INTERNAL_ERROR, "internal error")
                           : audit_record(c, "create", type ? type : "invoice", id, NULL, after);
    if (!rc)
        rc = rpc_emit(c, "invoice.created", ev, carrier);
    json_decref(ev);
    json_decref(after);
    json_decref(doc);
    return rc;
}

static int currency_error(rpc_call *c, const char *currencies)
{
    char msg[160];
    snprintf(msg, sizeof msg, "must be one of the carrier's currencies (%.100s)", currencies);
    return rpc_field_error(c, "currency", msg);
}

/* ---- invoice.create ---- */

int invoice_create_method(rpc_call *c)
{
    long long carrier = rpc_int(c, "carrier_id", 0);
    const char *key = rpc_str(c, "idempotency_key"), *side = rpc_str(c, "side");
    char start[40], end[40], idt[24], due[16], uid[24];
    int a = document_when(c, "period_start", start, sizeof start);
    int b = document_when(c, "period_end", end, sizeof end);
    if (a < 0 || b < 0)
        return -1;
    snprintf(idt, sizeof idt, "%lld", carrier);
    snprintf(due, sizeof due, "%d", c->cfg ? c->cfg->invoice_due_days : 30);
    snprintf(uid, sizeof uid, "%lld", c->session->user_id);
    PGresult *r = rpc_query(c,
        "SELECT status, id, other_number, currencies, doc"
        "  FROM document_invoice_create($1, $2, $3, $4, $5, $6, $7::integer, $8, $9)",
        9, key, idt, side, rpc_str(c, "currency"), start, end, due, actor(c), c->session->user_id ? uid : NULL);
    if (!r)
        return -1;
    const char *status = PQgetvalue(r, 0, 0);
    long long id = atoll(PQgetvalue(r, 0, 1));
    char msg[200];
    int rc = -1;
    if (!strcmp(status, "created")) {
        if (!announce(c, id, PQgetvalue(r, 0, 4)))
            rc = answer(c, PQgetvalue(r, 0, 4), false);
    } else if (!strcmp(status, "duplicate")) {
        rc = answer(c, PQgetvalue(r, 0, 4), true);
    } else if (!strcmp(status, "mismatch")) {
        key_reused(c, key, id);
    } else if (!strcmp(status, "no_carrier")) {
        rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", carrier);
    } else if (!strcmp(status, "no_side")) {
        snprintf(msg, sizeof msg, "carrier %lld has no %s side", carrier, side ? side : "customer");
        rpc_field_error(c, "side", msg);
    } else if (!strcmp(status, "bad_currency")) {
        currency_error(c, PQgetvalue(r, 0, 3));
    } else if (!strcmp(status, "bad_period")) {
        rpc_field_error(c, "period_end", "must be after period_start");
    } else if (!strcmp(status, "too_long")) {
        rpc_field_error(c, "period_end", "the period is at most 367 days");
    } else if (!strcmp(status, "future")) {
        rpc_field_error(c, "period_end", "must be at least 5 seconds ago: an invoice covers a period that has ended");
    } else if (!strcmp(status, "overlap")) {
        rpc_fail(c, RPC_CONFLICT, "invoice %.40s already covers part of this period", PQgetvalue(r, 0, 2));
        json_decref(c->err_data);
        c->err_data = json_pack("{s:I, s:s}", "invoice_id", (json_int_t)id, "number", PQgetvalue(r, 0, 2));
    } else {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    PQclear(r);
    return rc;
}

/* ---- credit_note.create ---- */

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

/* A key issued before: answer it (duplicate) or refuse it (-32009).
 * Returns 1 when there is none, else what the handler returns. */
static int issued_before(rpc_call *c, const char *key, json_t *request)
{
    char *req = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);
    if (!req)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    PGresult *r = rpc_query(c, "SELECT k.id, k.same, document_json(k.id) FROM document_by_key($1, $2::jsonb) k",
                            2, key, req);
    free(req);
    if (!r)
        return -1;
    int rc = 1;
    if (!PQgetisnull(r, 0, 0)) {
        long long id = atoll(PQgetvalue(r, 0, 0));
        rc = !strcmp(PQgetvalue(r, 0, 1), "t") ? answer(c, PQgetvalue(r, 0, 2), true) : key_reused(c, key, id);
    }
    PQclear(r);
    return rc;
}

/* A credit note against an invoice: the invoice must be the carrier's,
 * issued, of the same side and currency, and not credited beyond its
 * total. Locks the invoice row, so two credit notes against one invoice
 * are checked one after the other. */
static int check_credited_invoice(rpc_call *c, long long invoice, long long carrier, const char *side,
                                  const char *currency, money_t amount)
{
    char idt[24], msg[200];
    snprintf(idt, sizeof idt, "%lld", invoice);
    PGresult *r = rpc_query(c,
        "SELECT i.carrier_id, i.type, i.status, i.side, i.currency, i.number,"
        "       (i.total - coalesce((SELECT sum(n.total) FROM invoices n"
        "                             WHERE n.invoice_id = i.id AND n.type = 'credit_note'), 0))::numeric(20,6)::text"
        "  FROM invoices i WHERE i.id = $1 FOR UPDATE",
        1, idt);
    if (!r)
        return -1;
    int rc = -1;
    money_t left = 0;
    if (PQntuples(r) == 0 || atoll(PQgetvalue(r, 0, 0)) != carrier) {
        snprintf(msg, sizeof msg, "carrier %lld has no document %lld", carrier, invoice);
        rpc_field_error(c, "invoice_id", msg);
    } else if (strcmp(PQgetvalue(r, 0, 1), "invoice")) {
        rpc_field_error(c, "invoice_id", "is not an invoice");
    } else if (strcmp(PQgetvalue(r, 0, 2), "issued")) {
        rpc_field_error(c, "invoice_id", "is void");
    } else if (strcmp(PQgetvalue(r, 0, 3), side) || strcmp(PQgetvalue(r, 0, 4), currency)) {
        snprintf(msg, sizeof msg, "is for the %.10s side in %.3s", PQgetvalue(r, 0, 3), PQgetvalue(r, 0, 4));
        rpc_field_error(c, "invoice_id", msg);
    } else if (money_parse(PQgetvalue(r, 0, 6), &left) != MONEY_OK) {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    } else if (amount > left) {
        char shown[MONEY_STR_MAX];
        snprintf(msg, sizeof msg, "is more than is left to credit on %.40s (%s)", PQgetvalue(r, 0, 5),
                 money_format(left, shown, sizeof shown));
        rpc_field_error(c, "amount", msg);
    } else {
        rc = 0;
    }
    PQclear(r);
    return rc;
}

int credit_note_create_method(rpc_call *c)
{
    long long carrier = rpc_int(c, "carrier_id", 0), invoice = rpc_int(c, "invoice_id", 0);
    const char *key = rpc_str(c, "idempotency_key"), *side = rpc_str(c, "side"), *currency = rpc_str(c, "currency");
    const char *reason = rpc_str(c, "reason"), *memo = rpc_str(c, "memo");
    money_t amount = 0;
    money_parse(rpc_str(c, "amount"), &amount); /* validated as F_MONEY */
    if (amount <= 0)
        rpc_field_error(c, "amount", "must be > 0");
    else if (amount > LEDGER_MAX_AMOUNT)
        rpc_field_error(c, "amount", "must be at most 1000000000000");
    if (blank(reason))
        rpc_field_error(c, "reason", "must not be blank");
    if (c->err_code)
        return -1;
    char amt[MONEY_STR_MAX];
    money_format(amount, amt, sizeof amt);
    json_t *request = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "type", "credit_note", "carrier_id",
                                (json_int_t)carrier, "side", side, "amount", amt, "currency", currency, "reason",
                                reason, "memo", memo ? memo : "", "invoice_id",
                                invoice ? json_integer(invoice) : json_null());
    int rc = issued_before(c, key, request);
    if (rc <= 0)
        goto out;
    rc = -1;
    if (invoice && check_credited_invoice(c, invoice, carrier, side, currency, amount))
        goto out;

    /* the journal, through the ledger's own posting (its audit row and events) */
    char jkey[DOCUMENT_KEY_MAX + 8];
    snprintf(jkey, sizeof jkey, "doc:%s", key);
    ledger_posting p = {
        .idempotency_key = jkey, .kind = "credit_note", .carrier_id = carrier, .side = side, .amount = amount,
        .currency = currency, .memo = memo && *memo ? memo : reason, .reason = reason,
    };
    json_t *journal = NULL;
    bool dup = false;
    if (ledger_post(c, &p, &journal, &dup))
        goto out;
    long long jid = (long long)json_integer_value(json_object_get(journal, "id"));
    json_decref(journal);
    if (dup) {
        rpc_fail(c, RPC_CONFLICT, "the journal key %.128s was already used by ledger journal %lld", jkey, jid);
        json_decref(c->err_data);
        c->err_data = json_pack("{s:I}", "journal_id", (json_int_t)jid);
        goto out;
    }

    char *req = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);
    char idt[24], inv[24], jidt[24], uid[24];
    snprintf(idt, sizeof idt, "%lld", carrier);
    snprintf(inv, sizeof inv, "%lld", invoice);
    snprintf(jidt, sizeof jidt, "%lld", jid);
    snprintf(uid, sizeof uid, "%lld", c->session->user_id);
    PGresult *r = req ? rpc_query(c,
        "SELECT id, doc FROM document_credit_note_issue($1, $2::jsonb, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        12, key, req, idt, side, currency, amt, reason, memo, invoice ? inv : NULL, jidt, actor(c),
        c->session->user_id ? uid : NULL) : NULL;
    free(req);
    if (!r) {
        if (!c->err_code)
            rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        goto out;
    }
    long long id = atoll(PQgetvalue(r, 0, 0));
    if (!announce(c, id, PQgetvalue(r, 0, 1)))
        rc = answer(c, PQgetvalue(r, 0, 1), false);
    PQclear(r);
out:
    json_decref(request);
    return rc;
}

/* ---- netting.create ---- */

int netting_create_method(rpc_call *c)
{
    long long carrier = rpc_int(c, "carrier_id", 0);
    const char *key = rpc_str(c, "idempotency_key"), *currency = rpc_str(c, "currency"), *memo = rpc_str(c, "memo");
    const char *amount_text = rpc_str(c, "amount");
    money_t amount = 0;
    char amt[MONEY_STR_MAX];
    if (amount_text) {
        money_parse(amount_text, &amount); /* validated as F_MONEY */
        if (amount <= 0)
            return rpc_field_error(c, "amount", "must be > 0 (leave it out to net as much as can be)");
        if (amount > LEDGER_MAX_AMOUNT)
            return rpc_field_error(c, "amount", "must be at most 1000000000000");
        money_format(amount, amt, sizeof amt);
    }
    json_t *request = json_pack("{s:s, s:I, s:s, s:o, s:s}", "type", "netting", "carrier_id", (json_int_t)carrier,
                                "currency", currency, "amount", amount_text ? json_string(amt) : json_null(), "memo",
                                memo ? memo : "");
    char *req = json_dumps(request, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(request);
    if (!req)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    char idt[24], uid[24];
    snprintf(idt, sizeof idt, "%lld", carrier);
    snprintf(uid, sizeof uid, "%lld", c->session->user_id);
    PGresult *r = rpc_query(c,
        "SELECT status, id, journal_id, currencies, customer_owes::numeric(20,6)::text, we_owe::numeric(20,6)::text,"
        "       nettable::numeric(20,6)::text, doc, journal"
        "  FROM document_netting_create($1, $2::jsonb, $3, $4, $5, $6, $7, $8)",
        8, key, req, idt, currency, amount_text ? amt : NULL, memo, actor(c), c->session->user_id ? uid : NULL);
    free(req);
    if (!r)
        return -1;
    const char *status = PQgetvalue(r, 0, 0);
    long long id = atoll(PQgetvalue(r, 0, 1)), jid = atoll(PQgetvalue(r, 0, 2));
    char msg[240];
    int rc = -1;
    if (!strcmp(status, "created")) {
        json_t *journal = json_loads(PQgetvalue(r, 0, 8), 0, NULL);
        json_t *ev = journal ? json_pack("{s:I, s:s, s:I, s:n, s:O, s:s}", "id", (json_int_t)jid, "kind", "netting",
                                         "carrier_id", (json_int_t)carrier, "side", "amount",
                                         json_object_get(journal, "amount"), "currency", currency)
                             : NULL;
        if (!ev)
            rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        else if (!audit_record(c, "post", "ledger_journal", jid, NULL, journal) &&
                 !rpc_emit(c, "ledger.posted", ev, carrier) && !announce(c, id, PQgetvalue(r, 0, 7)) &&
                 !answer(c, PQgetvalue(r, 0, 7), false)) {
            json_object_set(c->result, "journal", journal);
            rc = 0;
        }
        json_decref(ev);
        json_decref(journal);
    } else if (!strcmp(status, "duplicate")) {
        rc = answer(c, PQgetvalue(r, 0, 7), true);
    } else if (!strcmp(status, "mismatch")) {
        key_reused(c, key, id);
    } else if (!strcmp(status, "no_carrier")) {
        rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", carrier);
    } else if (!strcmp(status, "not_bilateral")) {
        snprintf(msg, sizeof msg, "carrier %lld is not bilateral: netting offsets a carrier's customer side "
                                  "against its supplier side", carrier);
        rpc_field_error(c, "carrier_id", msg);
    } else if (!strcmp(status, "bad_currency")) {
        currency_error(c, PQgetvalue(r, 0, 3));
    } else if (!strcmp(status, "nothing")) {
        snprintf(msg, sizeof msg, "nothing to net: the carrier owes us %s %s on its customer side and we owe it "
                                  "%s %s on its supplier side", PQgetvalue(r, 0, 4), currency, PQgetvalue(r, 0, 5),
                 currency);
        rpc_field_error(c, "amount", msg);
    } else if (!strcmp(status, "too_large")) {
        snprintf(msg, sizeof msg, "is more than can be netted (%s %s: the smaller of what it owes us, %s, and what "
                                  "we owe it, %s)", PQgetvalue(r, 0, 6), currency, PQgetvalue(r, 0, 4),
                 PQgetvalue(r, 0, 5));
        rpc_field_error(c, "amount", msg);
    } else if (!strcmp(status, "key_used")) {
        rpc_fail(c, RPC_CONFLICT, "the journal key doc:%.120s was already used by ledger journal %lld", key, jid);
        json_decref(c->err_data);
        c->err_data = json_pack("{s:I}", "journal_id", (json_int_t)jid);
    } else {
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    PQclear(r);
    return rc;
}
