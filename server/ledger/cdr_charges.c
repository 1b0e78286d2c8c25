/*
 * cdr_charges.c: rated CDRs into the ledger, in two steps (the why is at
 * the top of schema/0007_cdr_charges.sql):
 *
 *   - the CDR sink, inside each ingest transaction, sums the batch's
 *     charges per carrier side, currency and destination and queues the
 *     sums in ledger_cdr_pending with one COPY, locking nothing;
 *   - a ticker task, every ledger_flush_ms (sooner when a lot is queued),
 *     posts what is queued with ledger_post_cdr_charges and announces the
 *     journals and any credit alert crossings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "log.h"
#include "timeutil.h"
#include "../db/copy.h"
#include "../rating/cdrs.h"
#include "../system/ticker.h"

#define FLUSH_TASK "ledger.cdr_charges"
#define FLUSH_ROWS "20000"          /* queued rows per flush transaction */
#define POKE_AFTER_CDRS 50000       /* queued since the last flush: flush now */

static _Atomic long long queued_since_flush;

/* ---- the sink ---- */

typedef struct {
    long long carrier_id;
    const char *side;
    const char *currency;
    const char *destination;
    money_t amount;
    int64_t seconds;
    long long calls;
} charge;

static int charge_order(const void *pa, const void *pb)
{
    const charge *a = pa, *b = pb;
    if (a->carrier_id != b->carrier_id)
        return a->carrier_id < b->carrier_id ? -1 : 1;
    int c = strcmp(a->side, b->side);
    if (!c)
        c = strcmp(a->currency, b->currency);
    return c ? c : strcmp(a->destination, b->destination);
}

/* A side is charged when it was rated for a call that was billed. */
static bool chargeable(const cdr_side *s)
{
    return s->rated && s->carrier_id > 0 && s->currency[0] && s->billed > 0 && s->cost >= 0;
}

static void fill_charge(const void *ud, size_t i, copy_buf *t)
{
    const charge *x = &((const charge *)ud)[i];
    copy_int(t, x->carrier_id);
    copy_col(t);
    copy_puts(t, x->side);
    copy_col(t);
    copy_text(t, x->currency);
    copy_col(t);
    copy_text(t, x->destination);
    copy_col(t);
    copy_int(t, x->calls);
    copy_col(t);
    copy_int(t, (long long)x->seconds);
    copy_col(t);
    copy_money(t, x->amount);
    copy_char(t, '\n');
}

static int cdr_sink(void *ud, rpc_call *c, const cdr_rated *cdrs, size_t n)
{
    (void)ud;
    charge *v = malloc(2 * n * sizeof *v);
    if (!v)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const cdr_side *sides[2] = { &cdrs[i].customer, &cdrs[i].supplier };
        for (int k = 0; k < 2; k++)
            if (chargeable(sides[k]))
                v[m++] = (charge){ sides[k]->carrier_id, k ? "supplier" : "customer", sides[k]->currency,
                                   sides[k]->destination, sides[k]->cost, sides[k]->billed, 1 };
    }
    if (!m) {
        free(v);
        return 0;
    }
    qsort(v, m, sizeof *v, charge_order);
    size_t k = 0; /* sums in place: v[0..k) */
    for (size_t i = 0; i < m;) {
        charge sum = v[i];
        size_t j = i + 1;
        for (; j < m && !charge_order(&v[j], &v[i]); j++) {
            sum.amount += v[j].amount;
            sum.seconds += v[j].seconds;
            sum.calls++;
        }
        v[k++] = sum;
        i = j;
    }
    int rc = rpc_copy_in(c, "COPY ledger_cdr_pending (carrier_id, side, currency, destination, calls, seconds,"
                            " amount) FROM STDIN", k, fill_charge, v, NULL);
    free(v);
    if (rc)
        return -1;
    if ((queued_since_flush += (long long)n) >= POKE_AFTER_CDRS)
        ticker_poke(FLUSH_TASK);
    return 0;
}

/* ---- the flush ---- */

static const rpc_session system_session = { .role = ROLE_SUPER_ADMIN, .username = "system",
                                            .actor_kind = "system" };

/* ledger.posted to staff for each journal, credit.alert to the carrier. */
static int announce(rpc_call *c, PGresult *r)
{
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *ev = json_pack("{s:I, s:s, s:s, s:I, s:s, s:s}", "id",
                               (json_int_t)atoll(PQgetvalue(r, i, 0)), "kind", "cdr_charges", "currency",
                               PQgetvalue(r, i, 1), "calls", (json_int_t)atoll(PQgetvalue(r, i, 2)),
                               "amount_customer", PQgetvalue(r, i, 3), "amount_supplier", PQgetvalue(r, i, 4));
        int rc = rpc_emit(c, "ledger.posted", ev, 0);
        json_decref(ev);
        if (rc)
            return -1;
        if (PQgetisnull(r, i, 5))
            continue;
        json_t *alerts = json_loads(PQgetvalue(r, i, 5), 0, NULL);
        size_t k;
        json_t *a;
        json_array_foreach(alerts, k, a) {
            json_object_set_new(a, "currency", json_string(PQgetvalue(r, i, 1)));
            json_object_set_new(a, "journal_id", json_integer(atoll(PQgetvalue(r, i, 0))));
            if ((rc = ledger_alert_announce(c, a)))
                break;
        }
        json_decref(alerts);
        if (rc)
            return -1;
    }
    return 0;
}

/* One transaction: take up to FLUSH_ROWS queued rows and post them.
 * Returns the number of journals posted, or -1. */
static int flush_once(PGconn *db, int *journals)
{
    rpc_call c = { .db = db, .session = &system_session, .method = FLUSH_TASK, .peer = "ticker" };
    int64_t t0 = time_mono_usec();
    if (rpc_begin(&c))
        goto failed;
    PGresult *r = rpc_query(&c, "SELECT journal_id, currency, calls, amount_customer, amount_supplier, alerts"
                                " FROM ledger_post_cdr_charges(" FLUSH_ROWS ")", 0);
    if (!r) {
        rpc_rollback(&c);
        goto failed;
    }
    *journals = PQntuples(r);
    int rc = announce(&c, r);
    PQclear(r);
    if (rc) {
        rpc_rollback(&c);
        goto failed;
    }
    if (rpc_commit(&c))
        goto failed;
    json_decref(c.err_data);
    log_debug("ledger: %d cdr_charges journal(s) posted in %lld ms", *journals,
              (long long)(time_mono_usec() - t0) / 1000);
    return 0;
failed:
    log_error("ledger: posting CDR charges: %s", c.err_message[0] ? c.err_message : "failed");
    json_decref(c.err_data);
    return -1;
}

/* The ticker task: post until the queue is empty (each round a fresh
 * transaction, so a large backlog never becomes one huge one). */
static int flush(void *ud, PGconn *db)
{
    (void)ud;
    queued_since_flush = 0;
    for (int round = 0; round < 64; round++) {
        int journals = 0;
        if (flush_once(db, &journals))
            return -1;
        if (!journals)
            break;
        PGresult *r = PQexec(db, "SELECT EXISTS (SELECT 1 FROM ledger_cdr_pending)");
        bool more = PQresultStatus(r) == PGRES_TUPLES_OK && !strcmp(PQgetvalue(r, 0, 0), "t");
        PQclear(r);
        if (!more)
            break;
    }
    return 0;
}

int ledger_init(const dt_config *cfg)
{
    if (cdr_sink_register(cdr_sink, NULL) || ticker_add(FLUSH_TASK, cfg->ledger_flush_ms, flush, NULL))
        return -1;
    ticker_run_at_stop(FLUSH_TASK);
    return 0;
}
