/*
 * ledger: double-entry journals, balances and credit control (issue 6,
 * first slice). docs/ledger.md has the accounts, the sign conventions and
 * the posting flow; schema/0006_ledger.sql holds the tables, the
 * immutability and balance triggers and the posting primitive.
 *
 * Every money movement is one journal of entries that sum to zero per
 * currency (debit > 0, credit < 0). A posting names a carrier side
 * (customer or supplier) and a kind; the posting rules (one table in
 * posting.c) say which platform account takes the other leg and in which
 * direction the side's balance moves. Posting is idempotent by key and
 * runs inside the caller's transaction with the carrier account locked,
 * so a charge is checked against the customer's available credit and
 * posted atomically.
 */
#ifndef DIDTRON_LEDGER_H
#define DIDTRON_LEDGER_H

#include <stdbool.h>

#include "money.h"
#include "../rpc/rpc.h"

/* The largest amount one posting may move (units of its currency). */
#define LEDGER_MAX_AMOUNT (1000000000000LL * MONEY_SCALE)

typedef struct {
    const char *idempotency_key; /* 1..128 characters; the same key never posts twice */
    const char *kind;            /* "topup", "payment", "charge", "credit_note", "adjustment" */
    long long carrier_id;
    const char *side;            /* "customer" or "supplier" */
    money_t amount;              /* > 0; an adjustment: either sign, not 0 */
    const char *currency;        /* one of the carrier's currencies */
    const char *memo;            /* may be NULL ("") */
    const char *reason;          /* required for adjustments; may be NULL otherwise */
    const char *provider;        /* topup/payment: the cash account's provider; NULL = "manual" */
    const char *offset_account;  /* adjustment: "suspense" (NULL) or "promotions" */
} ledger_posting;

/* Post one journal inside c's transaction (the caller commits it; the
 * audit row and the ledger.posted / credit.alert events go with it).
 * On success returns 0 with *journal (new reference: the journal as the
 * wire shows it) and *duplicate (true: the key was posted before with the
 * same params; that journal is returned and nothing is written). Errors
 * (-1, set on c): -32602 naming the field (amount, side, currency, reason,
 * provider, offset_account, kind), -32004 (no such carrier, or not the
 * caller's), -32009 (the key was posted before with other params; data
 * {journal_id}), -32010 (a charge beyond the customer's available credit;
 * data {available, currency}), -32603. */
int ledger_post(rpc_call *c, const ledger_posting *p, json_t **journal, bool *duplicate);

/* Whether a customer may make calls now, for route lookups: 0 when it
 * may; -1 with -32010 set on c when it is blocked (data {reason, available,
 * currency}; reason "credit": available credit <= 0, "bilateral_limit" or
 * "spend_limit_24h": over that limit with breach action block), or with
 * another error (-32004 no such carrier, -32603). One SQL call
 * (ledger_credit_block, schema/0007_cdr_charges.sql). */
int ledger_credit_check(rpc_call *c, long long carrier_id);

/* The same verdict for the hot path (route.lookup), from memory when this
 * instance judged the carrier less than LEDGER_VERDICT_TTL_MS ago and
 * nothing that can change it happened since: a posting, a CDR batch or a
 * carrier change on any instance (their events call
 * ledger_credit_verdicts_forget, at our own commit and when another
 * instance's event arrives). So a posting that exhausts the credit refuses
 * the next lookup on this instance and, on others, as soon as its event
 * arrives and at the latest after the TTL. Thread-safe. */
#define LEDGER_VERDICT_TTL_MS 500
int ledger_credit_verdict(rpc_call *c, long long carrier_id);
void ledger_credit_verdicts_forget(void);

/* A credit alert crossing {alert_id, type, threshold, value, carrier_id,
 * currency, journal_id}: the credit.alert event, and an e-mail job
 * ("email.send", template, to, carrier_name, alert) for the alert's
 * recipients or, when it has none, the carrier's contacts. Inside c's
 * transaction. Returns 0 or -1 (error set). */
int ledger_alert_announce(rpc_call *c, json_t *alert);

/* At start-up, before serving: the CDR sink that queues rated charges and
 * the ticker task that posts them every cfg->ledger_flush_ms
 * (cdr_charges.c). Returns 0 or -1. */
int ledger_init(const dt_config *cfg);

/* The ledger.post handler and its params (the method table is in ledger.c). */
int ledger_post_method(rpc_call *c);
extern const rpc_field ledger_post_params[];

#endif
