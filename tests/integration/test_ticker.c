/*
 * Integration: the ticker (server/system/ticker.h) in this process, on a
 * real PostgreSQL — tasks run at their intervals, a poke runs one early,
 * tasks marked run-at-stop run once more in ticker_stop, a failing task
 * keeps its schedule, a killed connection is replaced before the next run,
 * a transaction a task leaves open is rolled back, and a database that is
 * down at the start is not fatal. Each test runs in its own process (check
 * forks), so every test starts with an empty task table.
 */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "db/db.h"
#include "suite.h"
#include "system/ticker.h"
#include "timeutil.h"

typedef struct {
    atomic_int runs;
    atomic_int ok;              /* runs whose SELECT worked */
    atomic_int not_idle;        /* runs that found a transaction open */
    atomic_int pid;             /* backend of the last run whose SELECT worked */
    atomic_int pids_seen;       /* backends seen over those runs */
    atomic_llong first_usec;    /* monotonic time of the first run */
    int result;                 /* what the task returns */
    bool leave_open;            /* BEGIN and return without COMMIT */
} probe;

static int task(void *ud, PGconn *db)
{
    probe *p = ud;
    if (atomic_fetch_add(&p->runs, 1) == 0)
        atomic_store(&p->first_usec, time_mono_usec());
    if (PQtransactionStatus(db) != PQTRANS_IDLE)
        atomic_fetch_add(&p->not_idle, 1);
    PGresult *r = PQexec(db, "SELECT 1");
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        int pid = PQbackendPID(db);
        if (atomic_exchange(&p->pid, pid) != pid)
            atomic_fetch_add(&p->pids_seen, 1);
        atomic_fetch_add(&p->ok, 1);
    }
    PQclear(r);
    if (p->leave_open)
        PQclear(PQexec(db, "BEGIN"));
    return p->result;
}

static void wait_for_runs(probe *p, int n, int timeout_ms)
{
    for (int waited = 0; atomic_load(&p->runs) < n && waited < timeout_ms; waited += 10)
        usleep(10000);
}

static void wait_for_ok(probe *p, int n, int timeout_ms)
{
    for (int waited = 0; atomic_load(&p->ok) < n && waited < timeout_ms; waited += 10)
        usleep(10000);
}

START_TEST(test_tasks_run_at_their_intervals_the_first_one_interval_after_the_start)
{
    static probe fast, slow;
    ck_assert_int_eq(ticker_add("test.fast", 100, task, &fast), 0);
    ck_assert_int_eq(ticker_add("test.slow", 400, task, &slow), 0);
    int64_t start = time_mono_usec();
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    usleep(1250 * 1000);
    ticker_stop();
    ck_assert_int_ge(atomic_load(&fast.first_usec) - start, 100 * 1000);
    ck_assert_int_ge(atomic_load(&slow.first_usec) - start, 400 * 1000);
    /* 12 and 3 on an idle machine; sanitizers and a busy CI slow it, but
     * nothing may make it run more often than its interval. */
    ck_assert_int_ge(atomic_load(&fast.runs), 6);
    ck_assert_int_le(atomic_load(&fast.runs), 12);
    ck_assert_int_ge(atomic_load(&slow.runs), 2);
    ck_assert_int_le(atomic_load(&slow.runs), 3);
    ck_assert_int_eq(atomic_load(&fast.ok), atomic_load(&fast.runs));
    ck_assert_int_eq(atomic_load(&fast.pids_seen), 1); /* one connection throughout */
}
END_TEST

START_TEST(test_a_poke_runs_the_task_now_instead_of_after_its_interval)
{
    static probe p, other;
    ck_assert_int_eq(ticker_add("test.poked", 60000, task, &p), 0);
    ck_assert_int_eq(ticker_add("test.other", 60000, task, &other), 0);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    usleep(100 * 1000);
    ck_assert_int_eq(atomic_load(&p.runs), 0);
    ticker_poke("test.poked");
    ticker_poke("test.nobody"); /* unknown names are ignored */
    wait_for_runs(&p, 1, 3000);
    ck_assert_int_eq(atomic_load(&p.runs), 1);
    ticker_poke("test.poked");
    wait_for_runs(&p, 2, 3000);
    ck_assert_int_eq(atomic_load(&p.runs), 2);
    ck_assert_int_eq(atomic_load(&p.ok), 2);
    ck_assert_int_eq(atomic_load(&other.runs), 0);
    ticker_stop();
}
END_TEST

START_TEST(test_tasks_marked_run_at_stop_run_once_more_in_ticker_stop)
{
    static probe flush, plain;
    ck_assert_int_eq(ticker_add("test.flush", 60000, task, &flush), 0);
    ck_assert_int_eq(ticker_add("test.plain", 60000, task, &plain), 0);
    ticker_run_at_stop("test.flush");
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    usleep(100 * 1000);
    ck_assert_int_eq(atomic_load(&flush.runs), 0);
    ticker_stop();
    ck_assert_int_eq(atomic_load(&flush.runs), 1);
    ck_assert_int_eq(atomic_load(&flush.ok), 1); /* with a working connection */
    ck_assert_int_eq(atomic_load(&plain.runs), 0);
}
END_TEST

START_TEST(test_a_failing_task_runs_again_at_its_next_interval)
{
    static probe p = { .result = -1 };
    ck_assert_int_eq(ticker_add("test.failing", 100, task, &p), 0);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    wait_for_runs(&p, 3, 3000);
    ticker_stop();
    ck_assert_int_ge(atomic_load(&p.runs), 3);
}
END_TEST

START_TEST(test_a_killed_connection_is_replaced_before_the_next_run)
{
    static probe p;
    ck_assert_int_eq(ticker_add("test.reconnect", 100, task, &p), 0);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    wait_for_ok(&p, 2, 3000);
    int killed = atomic_load(&p.pid);
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", killed);
    ck_assert_str_eq(harness_sql(sql), "t");
    int before = atomic_load(&p.ok);
    wait_for_ok(&p, before + 3, 5000);
    ticker_stop();
    ck_assert_int_ge(atomic_load(&p.ok), before + 3);
    ck_assert_int_ne(atomic_load(&p.pid), killed);
    ck_assert_int_eq(atomic_load(&p.pids_seen), 2);
    /* The idle connection is checked before each run; only a run that
     * races the backend's exit can fail, and the next one reconnects. */
    ck_assert_int_le(atomic_load(&p.runs) - atomic_load(&p.ok), 1);
}
END_TEST

START_TEST(test_a_transaction_left_open_by_a_task_is_rolled_back)
{
    static probe p = { .leave_open = true };
    ck_assert_int_eq(ticker_add("test.open", 100, task, &p), 0);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    wait_for_runs(&p, 3, 3000);
    ticker_stop();
    ck_assert_int_ge(atomic_load(&p.runs), 3);
    ck_assert_int_eq(atomic_load(&p.not_idle), 0);
}
END_TEST

START_TEST(test_a_database_that_is_down_skips_runs_and_is_not_fatal)
{
    static probe p;
    ck_assert_int_eq(ticker_add("test.down", 50, task, &p), 0);
    ticker_run_at_stop("test.down");
    ck_assert_int_eq(ticker_start("host=/nonexistent-didtron-test port=1 dbname=nothing connect_timeout=1"), 0);
    usleep(300 * 1000);
    int64_t t0 = time_mono_usec();
    ticker_stop();
    ck_assert_int_lt(time_mono_usec() - t0, 2000 * 1000);
    ck_assert_int_eq(atomic_load(&p.runs), 0);
}
END_TEST

static int noop(void *ud, PGconn *db)
{
    (void)ud;
    (void)db;
    return 0;
}

START_TEST(test_the_table_holds_ticker_tasks_max_and_refuses_late_or_double_adds)
{
    static char names[TICKER_TASKS_MAX + 1][16];
    for (int i = 0; i < TICKER_TASKS_MAX; i++) {
        snprintf(names[i], sizeof names[i], "test.t%d", i);
        ck_assert_int_eq(ticker_add(names[i], 1000, noop, NULL), 0);
    }
    ck_assert_int_eq(ticker_add("test.one_too_many", 1000, noop, NULL), -1);
    ck_assert_int_eq(ticker_add("test.t0", 1000, noop, NULL), -1);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    ck_assert_int_eq(ticker_add("test.late", 1000, noop, NULL), -1);
    ticker_stop();
    ticker_stop(); /* twice is harmless */
}
END_TEST

/* A task on the slow lane that takes 1.5 s per run never delays the short
 * lane's task, and each lane has its own connection. */
static int sleepy(void *ud, PGconn *db)
{
    probe *p = ud;
    atomic_fetch_add(&p->runs, 1);
    atomic_store(&p->pid, PQbackendPID(db));
    usleep(1500 * 1000);
    return 0;
}

START_TEST(test_a_slow_lane_task_never_delays_the_short_tasks)
{
    static probe fast, slow;
    ck_assert_int_eq(ticker_add("test.fast", 100, task, &fast), 0);
    ck_assert_int_eq(ticker_add_slow("test.sleepy", 50, sleepy, &slow), 0);
    ck_assert_int_eq(ticker_start(harness_conninfo()), 0);
    usleep(1250 * 1000);
    /* On one thread the sleepy task (due first) would hold the fast one
     * back for 1.5 s: no run at all by now. */
    ck_assert_int_ge(atomic_load(&fast.runs), 6);
    ck_assert_int_eq(atomic_load(&slow.runs), 1);
    ck_assert_int_ne(atomic_load(&fast.pid), atomic_load(&slow.pid));
    ticker_stop();
}
END_TEST

int main(void)
{
    harness_init("didtron_test_ticker");
    db_set_instance("ticker-test");
    Suite *s = suite_create("ticker");
    TCase *tc = tcase_create("ticker");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_tasks_run_at_their_intervals_the_first_one_interval_after_the_start);
    tcase_add_test(tc, test_a_poke_runs_the_task_now_instead_of_after_its_interval);
    tcase_add_test(tc, test_tasks_marked_run_at_stop_run_once_more_in_ticker_stop);
    tcase_add_test(tc, test_a_failing_task_runs_again_at_its_next_interval);
    tcase_add_test(tc, test_a_killed_connection_is_replaced_before_the_next_run);
    tcase_add_test(tc, test_a_transaction_left_open_by_a_task_is_rolled_back);
    tcase_add_test(tc, test_a_database_that_is_down_skips_runs_and_is_not_fatal);
    tcase_add_test(tc, test_the_table_holds_ticker_tasks_max_and_refuses_late_or_double_adds);
    tcase_add_test(tc, test_a_slow_lane_task_never_delays_the_short_tasks);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, false);
    harness_done();
    return rc;
}
