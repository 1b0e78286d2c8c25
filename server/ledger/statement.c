/*
 * statement.c: ledger.statement — a carrier side's statement of account
 * over [from, to): the opening balance, every posting in time order with
 * the running balance (rated usage summed per day), a summary by kind and
 * by destination, and the closing balance. Computed by the SQL function
 * document_statement (schema/0010_documents.sql) from one snapshot, so
 * opening + movements = closing exactly; never stored.
 *
 * Balances are as the carrier sees them (docs/ledger.md): customer side =
 * the money it has with us, supplier side = what we owe it. Only posted
 * entries count: rated CDR charges still queued for the once-a-second
 * posting (which ledger.balance counts as `unposted`) are not in it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "documents.h"

int ledger_statement_method(rpc_call *c)
{
    long long id = rpc_int(c, "carrier_id", 0);
    if (document_foreign(c, id))
        return -1;
    char from[40], to[40];
    int no_to;
    if (document_when(c, "from", from, sizeof from) < 0)
        return -1;
    if ((no_to = document_when(c, "to", to, sizeof to)) < 0)
        return -1;
    char idt[24], max[16];
    snprintf(idt, sizeof idt, "%lld", id);
    snprintf(max, sizeof max, "%d", STATEMENT_MAX_LINES);
    const char *side = rpc_str(c, "side"), *currency = rpc_str(c, "currency");

    /* The carrier, its side and currency (defaults), and the period. */
    PGresult *r = rpc_query(c,
        "SELECT c.type, array_to_string(c.currencies, ', '),"
        "       coalesce($2, CASE WHEN c.type = 'supplier' THEN 'supplier' ELSE 'customer' END),"
        "       coalesce($3, c.currencies[1]), coalesce($3, c.currencies[1]) = ANY (c.currencies),"
        "       document_instant($4, c.timezone) < coalesce(document_instant($5, c.timezone), now())"
        "  FROM carriers c WHERE c.id = $1 AND c.deleted_at IS NULL",
        5, idt, side, currency, from, no_to ? NULL : to);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no carrier %lld", id);
    }
    char type[16], sd[16], cur[8], msg[160];
    snprintf(type, sizeof type, "%s", PQgetvalue(r, 0, 0));
    snprintf(sd, sizeof sd, "%s", PQgetvalue(r, 0, 2));
    snprintf(cur, sizeof cur, "%s", PQgetvalue(r, 0, 3));
    if (strcmp(type, "bilateral") && strcmp(type, sd)) {
        snprintf(msg, sizeof msg, "carrier %lld has no %s side (a %s carrier)", id, sd, type);
        rpc_field_error(c, "side", msg);
    }
    if (strcmp(PQgetvalue(r, 0, 4), "t")) {
        snprintf(msg, sizeof msg, "must be one of the carrier's currencies (%.100s)", PQgetvalue(r, 0, 1));
        rpc_field_error(c, "currency", msg);
    }
    if (strcmp(PQgetvalue(r, 0, 5), "t"))
        rpc_field_error(c, no_to ? "from" : "to", no_to ? "must be before now" : "must be after from");
    PQclear(r);
    if (c->err_code)
        return -1;

    r = rpc_query(c,
        "SELECT document_statement(c.id, $2, $3, document_instant($4, c.timezone),"
        "                          coalesce(document_instant($5, c.timezone), now()), $6::integer)"
        "  FROM carriers c WHERE c.id = $1",
        6, idt, sd, cur, from, no_to ? NULL : to, max);
    if (!r)
        return -1;
    json_t *st = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!st)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    json_t *too_many = json_object_get(st, "too_many");
    if (too_many) {
        snprintf(msg, sizeof msg, "the period has %lld lines, more than %d: ask for a shorter period",
                 (long long)json_integer_value(too_many), STATEMENT_MAX_LINES);
        json_decref(st);
        return rpc_field_error(c, "from", msg);
    }
    char filename[96];
    snprintf(filename, sizeof filename, "statement-%lld-%s-%s-%.10s.pdf", id, sd, cur,
             json_string_value(json_object_get(st, "from_local")) ? json_string_value(json_object_get(st, "from_local"))
                                                                  : "");
    int rc = document_answer(c, st, true, rpc_str(c, "format"), filename);
    json_decref(st);
    return rc;
}
