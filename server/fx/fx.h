/*
 * fx: currencies, USD exchange rates and the monthly FX revaluation
 * (docs/fx.md).
 *
 * Rates come from Open Exchange Rates (oxr.c reads the answer without
 * floating point) through the job kind `fx.refresh`, and from admins'
 * overrides (`fx.set`), which win until cleared. The ledger values every
 * posting with the rate in force (SQL ledger_usd_rate -> fx_usd_rate,
 * schema/0009_fx.sql). The job kind `fx.revalue` runs ledger_fx_revalue
 * for a month. One ticker task of this instance enqueues both: a refresh
 * per fx_refresh_minutes bucket while oxr_app_id is set, and on the first
 * days of a month the previous month's revaluation (job dedupe keys make
 * that once across instances).
 *
 * Methods (fx_methods, registry.c): currency.list, fx.rates, fx.history,
 * fx.set, fx.refresh, fx.revalue. Event: fx.updated (staff).
 */
#ifndef DIDTRON_FX_H
#define DIDTRON_FX_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "../rpc/rpc.h"

/* Register the job kinds and the ticker task and initialise the HTTP
 * client, with the settings of cfg (copied). Call once in `serve`, before
 * jobs_start and ticker_start. Returns 0, or -1 (logged). */
int fx_init(const dt_config *cfg);

extern const rpc_method fx_methods[];

/* Exposed for unit tests. */

/* The dedupe key of the scheduled refresh for the bucket of `minutes`
 * (UTC, counted from the epoch) holding now_sec, e.g.
 * "fx.refresh:2026-11-23T16:00Z". Returns the bucket's start (unix
 * seconds), or -1 when minutes < 1. */
int64_t fx_refresh_bucket(int64_t now_sec, int minutes, char *key, size_t n);

/* "YYYY-MM" of the month before the one holding now_sec (UTC). */
void fx_previous_period(int64_t now_sec, char *buf, size_t n);

/* NULL when text is a period "YYYY-MM" that has started by now_sec (UTC),
 * else what is wrong with it (for a field error). */
const char *fx_period_problem(const char *text, int64_t now_sec);

#endif
