/*
 * ticker.c: the one thread that runs short periodic tasks (ticker.h).
 *
 * Design: a fixed table of tasks, each with the monotonic time it is due
 * next. The thread sleeps on a condition variable (CLOCK_MONOTONIC) until
 * the earliest due time or a poke, runs one task with the lock released,
 * and schedules it again one interval after the start of that run. A poked
 * task goes first; among due tasks the earliest goes first, so a slow task
 * delays the others but never starves them.
 *
 * The connection is made lazily before a run and checked before every run
 * (a connection the server closed while idle is noticed by reading the
 * socket), so a database that is down at start-up or goes away later only
 * costs the runs that fall in the outage.
 *
 * Two lanes, each a thread with its own connection and the same loop over
 * its own tasks: the short lane (ticker_add) and the slow lane
 * (ticker_add_slow), whose thread starts only when it has a task. One lock
 * and one condition variable serve both (a poke or a stop wakes both; each
 * looks only at its own tasks).
 */
#include "ticker.h"

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "timeutil.h"
#include "../db/db.h"

typedef struct {
    const char *name;
    int interval_ms;
    ticker_fn fn;
    void *ud;
    bool at_stop;     /* run once more in ticker_stop */
    bool poked;       /* run as soon as the thread is free */
    int lane;         /* LANE_SHORT or LANE_SLOW */
    int64_t due;      /* monotonic microseconds */
} ticker_task;

enum { LANE_SHORT, LANE_SLOW, LANES };

/* Each lane's thread and connection (db only touched by its thread). */
typedef struct {
    pthread_t thread;
    bool running;
    PGconn *db;
    bool db_down_logged;
    const char *name;
} lane;

static ticker_task tasks[TICKER_TASKS_MAX];
static int ntasks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake;
static pthread_once_t wake_once = PTHREAD_ONCE_INIT;
static lane lanes[LANES] = { { .name = "ticker" }, { .name = "ticker (slow lane)" } };
static bool started;   /* between ticker_start and ticker_stop */
static bool stopping;  /* under lock */
static char *conninfo_copy;

static void wake_init(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&wake, &a);
    pthread_condattr_destroy(&a);
}

static ticker_task *find(const char *name)
{
    for (int i = 0; name && i < ntasks; i++)
        if (!strcmp(tasks[i].name, name))
            return &tasks[i];
    return NULL;
}

static int add(const char *name, int interval_ms, ticker_fn fn, void *ud, int lane_index)
{
    int rc = -1;
    pthread_mutex_lock(&lock);
    if (started)
        log_error("ticker: task %s added after ticker_start", name ? name : "?");
    else if (!name || !fn || interval_ms < 1)
        log_error("ticker: task %s needs a name, a function and an interval", name ? name : "?");
    else if (find(name))
        log_error("ticker: task %s added twice", name);
    else if (ntasks == TICKER_TASKS_MAX)
        log_error("ticker: no room for task %s (TICKER_TASKS_MAX %d)", name, TICKER_TASKS_MAX);
    else {
        tasks[ntasks++] = (ticker_task){ .name = name, .interval_ms = interval_ms, .fn = fn, .ud = ud,
                                         .lane = lane_index };
        rc = 0;
    }
    pthread_mutex_unlock(&lock);
    return rc;
}

int ticker_add(const char *name, int interval_ms, ticker_fn fn, void *ud)
{
    return add(name, interval_ms, fn, ud, LANE_SHORT);
}

int ticker_add_slow(const char *name, int interval_ms, ticker_fn fn, void *ud)
{
    return add(name, interval_ms, fn, ud, LANE_SLOW);
}

void ticker_run_at_stop(const char *name)
{
    pthread_mutex_lock(&lock);
    ticker_task *t = find(name);
    if (t)
        t->at_stop = true;
    pthread_mutex_unlock(&lock);
}

void ticker_poke(const char *name)
{
    pthread_mutex_lock(&lock);
    ticker_task *t = find(name);
    if (t) {
        t->poked = true;
        if (started)
            pthread_cond_broadcast(&wake);
    }
    pthread_mutex_unlock(&lock);
}

/* A live connection for the next run, or false (the run is skipped). */
static bool connection_ready(lane *l)
{
    PGconn *db = l->db;
    if (db && PQstatus(db) == CONNECTION_OK) {
        /* Idle connections learn that the server closed them only when
         * they read: a terminated backend sends its farewell and EOF. */
        struct pollfd p = { PQsocket(db), POLLIN, 0 };
        if (poll(&p, 1, 0) > 0 && PQconsumeInput(db)) {
            PGnotify *n;
            while ((n = PQnotifies(db)))
                PQfreemem(n);
        }
        if (PQstatus(db) == CONNECTION_OK)
            return true;
    }
    if (db) {
        log_warn("%s: database connection lost: %s", l->name, PQerrorMessage(db));
        PQfinish(db);
        l->db = NULL;
    }
    char err[512];
    l->db = db = db_connect(conninfo_copy, err, sizeof err);
    if (!db) {
        if (!l->db_down_logged)
            log_warn("%s: cannot connect (runs are skipped until it can): %s", l->name, err);
        l->db_down_logged = true;
        return false;
    }
    if (l->db_down_logged)
        log_info("%s: connected again", l->name);
    l->db_down_logged = false;
    return true;
}

static void run_task(lane *l, const ticker_task *t)
{
    if (!connection_ready(l))
        return;
    PGconn *db = l->db;
    if (t->fn(t->ud, db) < 0)
        log_warn("ticker: task %s failed", t->name);
    PGTransactionStatusType ts = PQtransactionStatus(db);
    if (ts == PQTRANS_INTRANS || ts == PQTRANS_INERROR) {
        log_error("ticker: task %s left a transaction open; rolled back", t->name);
        PQclear(PQexec(db, "ROLLBACK"));
    }
}

/* The lane's task to run now (a poked one, else the most overdue), or
 * NULL and the time the next one is due. Under lock. */
static ticker_task *next_task(int lane_index, int64_t now, int64_t *next_due)
{
    ticker_task *best = NULL;
    *next_due = INT64_MAX;
    for (int i = 0; i < ntasks; i++) {
        ticker_task *t = &tasks[i];
        if (t->lane != lane_index)
            continue;
        if (t->poked)
            return t;
        if (t->due <= now && (!best || t->due < best->due))
            best = t;
        if (t->due < *next_due)
            *next_due = t->due;
    }
    return best;
}

static void wait_until(int64_t due_usec)
{
    if (due_usec == INT64_MAX) {
        pthread_cond_wait(&wake, &lock);
        return;
    }
    struct timespec ts = { .tv_sec = (time_t)(due_usec / 1000000), .tv_nsec = (long)(due_usec % 1000000) * 1000 };
    pthread_cond_timedwait(&wake, &lock, &ts);
}

static void *ticker_main(void *arg)
{
    int li = (int)(intptr_t)arg;
    lane *l = &lanes[li];
    pthread_mutex_lock(&lock);
    int64_t start = time_mono_usec();
    for (int i = 0; i < ntasks; i++)
        if (tasks[i].lane == li)
            tasks[i].due = start + (int64_t)tasks[i].interval_ms * 1000;
    while (!stopping) {
        int64_t next_due;
        ticker_task *t = next_task(li, time_mono_usec(), &next_due);
        if (!t) {
            wait_until(next_due);
            continue;
        }
        t->poked = false;
        int64_t began = time_mono_usec();
        pthread_mutex_unlock(&lock);
        run_task(l, t); /* name, fn, ud, lane and interval never change after the start */
        pthread_mutex_lock(&lock);
        t->due = began + (int64_t)t->interval_ms * 1000;
    }
    bool last[TICKER_TASKS_MAX];
    for (int i = 0; i < ntasks; i++)
        last[i] = tasks[i].at_stop && tasks[i].lane == li;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < ntasks; i++)
        if (last[i])
            run_task(l, &tasks[i]);
    if (l->db)
        PQfinish(l->db);
    l->db = NULL;
    return NULL;
}

/* Called with the lock held: stop the running lanes, join them, forget
 * the connection string; returns with the lock held again. */
static void stop_lanes(void)
{
    stopping = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int li = 0; li < LANES; li++)
        if (lanes[li].running) {
            pthread_join(lanes[li].thread, NULL);
            lanes[li].running = false;
        }
    pthread_mutex_lock(&lock);
    stopping = false;
    free(conninfo_copy);
    conninfo_copy = NULL;
}

int ticker_start(const char *conninfo)
{
    pthread_once(&wake_once, wake_init);
    pthread_mutex_lock(&lock);
    if (started) {
        pthread_mutex_unlock(&lock);
        log_error("ticker: started twice");
        return -1;
    }
    conninfo_copy = strdup(conninfo);
    stopping = false;
    int rc = conninfo_copy ? 0 : -1;
    for (int li = 0; rc == 0 && li < LANES; li++) {
        bool any = li == LANE_SHORT;
        for (int i = 0; i < ntasks && !any; i++)
            any = tasks[i].lane == li;
        if (any && pthread_create(&lanes[li].thread, NULL, ticker_main, (void *)(intptr_t)li) == 0)
            lanes[li].running = true;
        else if (any)
            rc = -1;
    }
    if (rc) {
        stop_lanes();
        pthread_mutex_unlock(&lock);
        log_error("ticker: cannot start its threads");
        return -1;
    }
    started = true;
    pthread_mutex_unlock(&lock);
    return 0;
}

void ticker_stop(void)
{
    pthread_mutex_lock(&lock);
    if (!started) {
        pthread_mutex_unlock(&lock);
        return;
    }
    stop_lanes();
    started = false;
    pthread_mutex_unlock(&lock);
}
