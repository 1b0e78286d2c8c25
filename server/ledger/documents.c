/*
 * documents.c: invoice.get, invoice.list and invoice.void (for every
 * issued document: invoices, credit notes, netting documents), what the
 * document handlers share, and the module's method table.
 *
 * Customers read only their own carrier's documents (-32004 for any
 * other, as if it did not exist; the list is scoped in SQL) and never see
 * who created or voided one.
 */
#include <openssl/evp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"
#include "ledger.h"
#include "timeutil.h"
#include "../audit/audit.h"
#include "../rpc/list.h"

/* ---- shared ---- */

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* "YYYY-MM-DD", a real date. */
static bool is_date(const char *s)
{
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
    static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] + (m == 2 && leap(y));
}

int document_when(rpc_call *c, const char *field, char *buf, size_t n)
{
    const char *s = rpc_str(c, field);
    if (!s)
        return 1;
    int64_t t;
    if (is_date(s)) {
        int year = atoi(s);
        if (year < 1900 || year > 9998)
            return rpc_field_error(c, field, "must be in the years 1900 to 9998");
        snprintf(buf, n, "%s", s);
        return 0;
    }
    if (time_parse_rfc3339(s, &t)) {
        /* [1900-01-01, 9999-01-01) UTC: any time zone keeps it within what PostgreSQL takes */
        if (t < -2208988800LL * 1000000 || t >= 253370764800LL * 1000000)
            return rpc_field_error(c, field, "must be in the years 1900 to 9998");
        time_format_rfc3339(t, buf, n);
        return 0;
    }
    return rpc_field_error(c, field, "must be a date like \"2026-03-01\" (in the carrier's time zone) or an "
                                     "RFC 3339 time");
}

bool document_foreign(rpc_call *c, long long carrier_id)
{
    if (c->session->role != ROLE_CUSTOMER || c->session->carrier_id == carrier_id)
        return false;
    rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", carrier_id);
    return true;
}

static char *base64(const unsigned char *in, size_t n)
{
    if (n > INT_MAX / 2)
        return NULL;
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, in, (int)n);
    return out;
}

int document_answer(rpc_call *c, json_t *doc, bool statement, const char *format, const char *filename)
{
    if (!format || !strcmp(format, "json")) {
        c->result = json_incref(doc);
        return 0;
    }
    if (!strcmp(format, "text")) {
        char *text = statement ? statement_text(doc) : document_text(doc);
        if (!text)
            return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        c->result = json_pack("{s:s, s:s}", "format", "text", "text", text);
        free(text);
    } else {
        size_t len;
        unsigned char *bytes = statement ? statement_pdf(doc, &len) : document_pdf(doc, &len);
        char *b64 = bytes ? base64(bytes, len) : NULL;
        free(bytes);
        if (!b64)
            return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        c->result = json_pack("{s:s, s:s, s:I, s:s}", "format", "pdf", "filename", filename, "bytes", (json_int_t)len,
                              "pdf_base64", b64);
        free(b64);
    }
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* ---- invoice.get ---- */

static int invoice_get(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    bool customer = c->session->role == ROLE_CUSTOMER;
    PGresult *r = rpc_query(c, "SELECT d.carrier_id, document_json(d.id, $2), d.number FROM invoices d WHERE d.id = $1",
                            2, idt, customer ? "false" : "true");
    if (!r)
        return -1;
    if (PQntuples(r) == 0 || (customer && atoll(PQgetvalue(r, 0, 0)) != c->session->carrier_id)) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no document %lld", id);
    }
    json_t *doc = json_loads(PQgetvalue(r, 0, 1), 0, NULL);
    char filename[64];
    snprintf(filename, sizeof filename, "%.40s.pdf", PQgetvalue(r, 0, 2));
    PQclear(r);
    if (!doc)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    int rc = document_answer(c, doc, false, rpc_str(c, "format"), filename);
    json_decref(doc);
    return rc;
}

/* ---- invoice.list ---- */

static const char *const doc_types[] = { "invoice", "credit_note", "netting", NULL };
static const char *const doc_statuses[] = { "issued", "void", NULL };
static const char *const sides[] = { "customer", "supplier", NULL };
static const char *const formats[] = { "json", "text", "pdf", NULL };

static const list_sort invoice_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "issued_at", "t.issued_at", LIST_TIME },
    { "number", "t.number", LIST_TEXT },
    { "type", "t.type", LIST_TEXT },
    { "status", "t.status", LIST_TEXT },
    { "carrier_id", "t.carrier_id", LIST_INT },
    { "currency", "t.currency", LIST_TEXT },
    { "period", "coalesce(t.period_start, t.issued_at)", LIST_TIME }, /* credit notes, netting: their issue */
    { "total", "t.total", LIST_NUMERIC },
    { NULL },
};
static const list_filter invoice_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "type", "t.type", LIST_TEXT, LIST_EQ, doc_types },
    { "status", "t.status", LIST_TEXT, LIST_EQ, doc_statuses },
    { "side", "t.side", LIST_TEXT, LIST_EQ, sides },
    { "currency", "t.currency", LIST_TEXT, LIST_EQ },
    { "number", "t.number", LIST_TEXT, LIST_EQ },
    { "invoice_id", "t.invoice_id", LIST_INT, LIST_EQ },
    { "from", "t.issued_at", LIST_TIME, LIST_FROM },
    { "to", "t.issued_at", LIST_TIME, LIST_TO },
    { NULL },
};
/* Items without their lines (invoice.get has them): a month's invoice may
 * have thousands of destinations. */
static const list_spec invoice_list_spec = {
    .item_sql = "document_json(t.id)::jsonb - 'lines'",
    .from_sql = "invoices t",
    .id_sql = "t.id",
    .sorts = invoice_sorts,
    .default_sort = "-id",
    .filters = invoice_filters,
};

static int invoice_list(rpc_call *c)
{
    if (c->session->role != ROLE_CUSTOMER)
        return rpc_list(c, &invoice_list_spec, NULL, NULL);
    list_spec spec = invoice_list_spec;
    spec.item_sql = "document_json(t.id, false)::jsonb - 'lines'";
    char scope[24];
    snprintf(scope, sizeof scope, "%lld", c->session->carrier_id);
    return rpc_list(c, &spec, "t.carrier_id = $1", scope);
}

/* ---- invoice.void ---- */

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
            return false;
    return true;
}

static int invoice_void(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    const char *reason = rpc_str(c, "reason");
    if (blank(reason))
        return rpc_field_error(c, "reason", "must not be blank");
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT d.type, d.status, d.number, d.carrier_id FROM invoices d WHERE d.id = $1 FOR UPDATE",
                            1, idt);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no document %lld", id);
    }
    char type[16], number[48];
    snprintf(type, sizeof type, "%s", PQgetvalue(r, 0, 0));
    snprintf(number, sizeof number, "%s", PQgetvalue(r, 0, 2));
    bool is_void = !strcmp(PQgetvalue(r, 0, 1), "void");
    long long carrier = atoll(PQgetvalue(r, 0, 3));
    PQclear(r);
    if (strcmp(type, "invoice"))
        return rpc_field_error(c, "id", "is not an invoice: a credit note or a netting is undone by a new journal, "
                                        "not voided");
    if (is_void)
        return rpc_fail(c, RPC_CONFLICT, "invoice %s is already void", number);
    r = rpc_query(c, "UPDATE invoices SET status = 'void', void_reason = $2, voided_at = now(), voided_by = $3"
                     " WHERE id = $1",
                  3, idt, reason, c->session->username[0] ? c->session->username : "system");
    if (!r)
        return -1;
    PQclear(r);
    /* read back by a statement of its own: document_json reads the snapshot of the statement that calls it */
    r = rpc_query(c, "SELECT document_json($1)", 1, idt);
    if (!r)
        return -1;
    json_t *doc = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!doc)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *before = json_pack("{s:s, s:s}", "number", number, "status", "issued");
    json_t *after = json_pack("{s:s, s:s, s:s}", "number", number, "status", "void", "void_reason", reason);
    json_t *ev = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "number", number, "type", "invoice",
                           "carrier_id", (json_int_t)carrier);
    int rc = audit_record(c, "void", "invoice", id, before, after);
    if (!rc)
        rc = rpc_emit(c, "invoice.voided", ev, carrier);
    json_decref(before);
    json_decref(after);
    json_decref(ev);
    if (rc) {
        json_decref(doc);
        return -1;
    }
    c->result = doc;
    return 0;
}

/* ---- the method table ---- */

static const rpc_field statement_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "side", F_ENUM, 0, 0, 0, sides },
    { "currency", F_CURRENCY },
    { "from", F_STRING, F_REQUIRED, 10, 40 },
    { "to", F_STRING, 0, 10, 40 },
    { "format", F_ENUM, 0, 0, 0, formats },
    { NULL },
};
static const rpc_field invoice_create_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "side", F_ENUM, 0, 0, 0, sides },
    { "currency", F_CURRENCY },
    { "period_start", F_STRING, F_REQUIRED, 10, 40 },
    { "period_end", F_STRING, F_REQUIRED, 10, 40 },
    { "idempotency_key", F_STRING, F_REQUIRED, 1, DOCUMENT_KEY_MAX },
    { NULL },
};
static const rpc_field credit_note_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "side", F_ENUM, F_REQUIRED, 0, 0, sides },
    { "amount", F_MONEY, F_REQUIRED },
    { "currency", F_CURRENCY, F_REQUIRED },
    { "reason", F_STRING, F_REQUIRED, 1, 500 },
    { "memo", F_STRING, 0, 0, 500 },
    { "invoice_id", F_ID },
    { "idempotency_key", F_STRING, F_REQUIRED, 1, DOCUMENT_KEY_MAX },
    { NULL },
};
static const rpc_field netting_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "currency", F_CURRENCY, F_REQUIRED },
    { "amount", F_MONEY },
    { "memo", F_STRING, 0, 0, 500 },
    { "idempotency_key", F_STRING, F_REQUIRED, 1, DOCUMENT_KEY_MAX },
    { NULL },
};
static const rpc_field get_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "format", F_ENUM, 0, 0, 0, formats },
    { NULL },
};
static const rpc_field void_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "reason", F_STRING, F_REQUIRED, 1, 500 },
    { NULL },
};
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

const rpc_method document_methods[] = {
    { "ledger.statement", ledger_statement_method, ROLES_ANY, 0, statement_params },
    { "invoice.create", invoice_create_method, ROLES_STAFF, RPC_MUTATES, invoice_create_params },
    { "invoice.get", invoice_get, ROLES_ANY, 0, get_params },
    { "invoice.list", invoice_list, ROLES_ANY, 0, list_params },
    { "invoice.void", invoice_void, ROLES_ADMIN, RPC_MUTATES, void_params },
    { "credit_note.create", credit_note_create_method, ROLES_ADMIN, RPC_MUTATES, credit_note_params },
    { "netting.create", netting_create_method, ROLES_ADMIN, RPC_MUTATES, netting_params },
    { NULL },
};
