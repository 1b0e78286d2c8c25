/*
 * ticker: short periodic background work of this instance.
 *
 * One thread with one PostgreSQL connection of its own runs every task
 * added here, each every interval_ms, one after the other (a second
 * thread and connection run the tasks added with ticker_add_slow). A task must be
 * short (well under its interval): anything that can wait on the network
 * or take seconds is enqueued as a job (jobs.h) by its task instead.
 * Tasks run on every instance; a task that must happen once across
 * instances uses SKIP LOCKED rows or a job dedupe key, not this module.
 *
 *   static int flush(void *ud, PGconn *db) { ...; return 0; }
 *   ticker_add("ledger.cdr_charges", 1000, flush, NULL);   // before ticker_start
 *
 * A task returning -1 is logged (with its name) and run again at its next
 * interval. When the connection breaks, the ticker reconnects before the
 * next run and the failed run is skipped.
 */
#ifndef DIDTRON_TICKER_H
#define DIDTRON_TICKER_H

#include <libpq-fe.h>

typedef int (*ticker_fn)(void *ud, PGconn *db);

#define TICKER_TASKS_MAX 16

/* Add a task (name: static string, for logs and ticker_poke). Call before
 * ticker_start. Returns 0, or -1 when TICKER_TASKS_MAX are added. */
int ticker_add(const char *name, int interval_ms, ticker_fn fn, void *ud);

/* Start the thread on its own connection. The first run of each task
 * comes one interval after the start. Returns 0, or -1 (logged) when the
 * thread cannot start; a database that is down is retried, not fatal. */
int ticker_start(const char *conninfo);

/* Ask for a task to run as soon as the thread is free (e.g. a queue grew
 * past a threshold). Safe from any thread; unknown names are ignored. */
void ticker_poke(const char *name);

/* Finish the task running now, run nothing more, join the thread. Tasks
 * marked with ticker_run_at_stop() run one last time first. */
void ticker_stop(void);

/* The same for a task that may take seconds (loading what lookups need
 * into memory): it runs on a second thread with a connection of its own,
 * so it never delays the short tasks. Same rules otherwise. */
int ticker_add_slow(const char *name, int interval_ms, ticker_fn fn, void *ud);

/* Run this task once more in ticker_stop (e.g. flush what is pending). */
void ticker_run_at_stop(const char *name);

#endif
