/*
 * cdrs: stored call detail records and who hears of them.
 *
 * cdr.ingest (cdr_ingest.c) parses a batch, finds the customer side (the
 * ingress interconnect's service, its rating plan and carrier) and the
 * supplier side (the egress interconnect's supplier plan), rates both with
 * the live decks, stores every CDR it has not seen before (rated or not,
 * with the reason) and hands the stored ones to the sinks below, all in one
 * transaction per batch. cdr.get and cdr.list (cdrs.c) read them back.
 *
 * A sink is how later modules (the ledger, monitoring) see every stored
 * CDR without ingestion knowing them: they register a function at start-up
 * and are called on the worker, inside the ingest transaction, with the
 * batch's stored CDRs. A sink that fails fails the batch: nothing of it is
 * stored, so a CDR is never stored without its charges, nor charged twice.
 */
#ifndef DIDTRON_CDRS_H
#define DIDTRON_CDRS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cdr_parse.h"
#include "money.h"
#include "../rpc/rpc.h"

#define CDR_REASON_MAX 192

/* One side of a rated call. Ids are 0 when unknown. */
typedef struct {
    bool rated;                 /* false: reason says why; cost, rate, billed are 0 */
    char reason[CDR_REASON_MAX];
    long long carrier_id;
    long long interconnect_id;  /* ingress for the customer, egress for the supplier */
    long long rating_plan_id;
    char prefix[TARIFF_NUMBER_MAX + 1];
    char destination[129];
    money_t rate;               /* per minute */
    int64_t billed;             /* billed seconds */
    money_t cost;
    char currency[4];           /* "" when unknown */
} cdr_side;

/* A CDR as stored: what the switch sent, and both sides rated. */
typedef struct {
    cdr_record cdr;             /* id, times (usec), answered, numbers, release cause, pdd_ms (-1: none);
                                   cdr.ingress_interconnect_id is filled in when ingress_ip found it */
    int64_t duration;           /* d: whole seconds, 0 when not answered */
    long long service_id;       /* the customer's service, 0 when none was found */
    cdr_side customer;
    cdr_side supplier;
    bool has_margin;            /* both sides rated in one currency */
    money_t margin;             /* customer cost - supplier cost, in that currency */
    const char *margin_reason;  /* why there is no margin (static text), or NULL */
} cdr_rated;

/* A sink: sees n stored CDRs of one batch. c->db is the worker's
 * connection inside the ingest transaction; c->session is the caller.
 * Return 0, or -1 to fail the batch (set the error with rpc_fail, or the
 * caller reports an internal error). */
typedef int (*cdr_sink_fn)(void *ud, rpc_call *c, const cdr_rated *cdrs, size_t n);

#define CDR_SINKS_MAX 8

/* Register a sink. Call at start-up, before the server takes requests (the
 * list is read without a lock). Returns 0, or -1 when CDR_SINKS_MAX are
 * registered already. */
int cdr_sink_register(cdr_sink_fn fn, void *ud);

/* Hand n stored CDRs to every sink in registration order; stops at the
 * first that fails. Returns 0 or -1 (with an error set on c). Called by
 * ingestion; n == 0 calls nobody. */
int cdr_sinks_dispatch(rpc_call *c, const cdr_rated *cdrs, size_t n);

/* Months (UTC) for which this process knows a partition exists. Ingestion
 * asks before writing and creates missing ones (cdr_partitions_ensure in
 * SQL) outside its transaction; months outside [now - 36, now + 12] are
 * left to the default partition. Returns 0 or -1 (error set on c). */
int cdr_partitions_prepare(rpc_call *c, const int64_t *start_usec, size_t n);

/* Submit one job to the worker pool that creates the partitions for last
 * month, this month and the next three. Call once when serving starts
 * (the pool running); failures are logged. */
void cdr_partitions_at_start(void);

/* The ingest handler (cdr_ingest.c), for the method table in cdrs.c. */
int cdr_ingest(rpc_call *c);

#endif
