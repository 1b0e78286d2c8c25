#include "db.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../rpc/metrics.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pool_job *head, *tail;
static bool stopping;
static atomic_int pending;
static pthread_t *threads;
static int nthreads;
static char *conninfo_copy;

/* Server notices ("relation already exists, skipping") are not errors. */
static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("postgres: %s", message);
}

static char application_name[64] = "didtrond";

void db_set_instance(const char *instance)
{
    snprintf(application_name, sizeof application_name, "didtrond/%s", instance);
}

PGconn *db_connect(const char *conninfo, char *err, size_t errlen)
{
    const char *keys[] = { "dbname", "application_name", "options", NULL };
    const char *vals[] = { conninfo, application_name, "-c TimeZone=UTC -c DateStyle=ISO", NULL };
    PGconn *db = PQconnectdbParams(keys, vals, 1);
    if (PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "%s", PQerrorMessage(db));
        size_t n = strlen(err);
        while (n && (err[n - 1] == '\n' || err[n - 1] == ' '))
            err[--n] = '\0';
        PQfinish(db);
        return NULL;
    }
    PQsetNoticeProcessor(db, quiet_notice, NULL);
    return db;
}

static void *worker_main(void *arg)
{
    PGconn *db = arg;
    char err[512];
    for (;;) {
        pthread_mutex_lock(&lock);
        while (!head && !stopping)
            pthread_cond_wait(&wake, &lock);
        pool_job *job = head;
        if (job) {
            head = job->next;
            if (!head)
                tail = NULL;
        }
        pthread_mutex_unlock(&lock);
        if (!job)
            break;
        metrics_pool_queued(-1);
        if (!db || PQstatus(db) != CONNECTION_OK) {
            if (db)
                PQfinish(db);
            db = db_connect(conninfo_copy, err, sizeof err);
            if (!db)
                log_error("worker: database connection lost: %s", err);
        }
        metrics_pool_busy(1);
        job->next = NULL;
        job->run(job, db);
        metrics_pool_busy(-1);
        atomic_fetch_sub(&pending, 1);
    }
    if (db)
        PQfinish(db);
    return NULL;
}

int pool_start(const char *conninfo, int n, char *err, size_t errlen)
{
    conninfo_copy = strdup(conninfo);
    threads = calloc((size_t)n, sizeof *threads);
    if (!conninfo_copy || !threads) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        PGconn *db = db_connect(conninfo, err, errlen);
        if (!db) {
            pool_stop();
            return -1;
        }
        if (pthread_create(&threads[i], NULL, worker_main, db)) {
            PQfinish(db);
            snprintf(err, errlen, "cannot start worker thread");
            pool_stop();
            return -1;
        }
        nthreads++;
    }
    metrics_pool_size(n);
    return 0;
}

void pool_submit(pool_job *job)
{
    job->next = NULL;
    atomic_fetch_add(&pending, 1);
    metrics_pool_queued(1);
    pthread_mutex_lock(&lock);
    if (tail)
        tail->next = job;
    else
        head = job;
    tail = job;
    pthread_cond_signal(&wake);
    pthread_mutex_unlock(&lock);
}

int pool_pending(void)
{
    return atomic_load(&pending);
}

void pool_stop(void)
{
    pthread_mutex_lock(&lock);
    stopping = true;
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < nthreads; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    threads = NULL;
    nthreads = 0;
    free(conninfo_copy);
    conninfo_copy = NULL;
    stopping = false;
}
