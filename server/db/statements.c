/*
 * statements.c: db_exec (db.h) — every parameterised statement of a
 * connection is parsed and planned once, then executed as a prepared
 * statement. rpc_query sends the same few hundred SQL texts over and over;
 * PostgreSQL parsing and planning each one again was about a third of a
 * ledger posting's database time (docs/benchmarks.md, issue 6).
 *
 * The cache is per thread: each worker, the ticker and each job worker
 * owns one connection for life. It is keyed by the connection and its
 * backend's pid, so a reconnect (a new backend without our statements)
 * starts it afresh. SQL texts beyond the cache's size, and statements
 * other than SELECT / INSERT / UPDATE / DELETE / WITH, run unprepared.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db.h"

#define SLOTS 1024          /* power of two */
#define MAX_PREPARED 512    /* at most half full */

typedef struct {
    char *sql;              /* owned copy; NULL = empty slot */
    uint64_t hash;
    int number;             /* statement name "didtron_<number>" */
} slot;

typedef struct {
    PGconn *conn;
    int pid;
    int count;
    slot slots[SLOTS];
} cache;

static __thread cache *tc;
static pthread_key_t cache_key;  /* frees a thread's cache when the thread ends */
static pthread_once_t cache_key_once = PTHREAD_ONCE_INIT;

static uint64_t hash_sql(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void cache_clear(cache *c)
{
    for (int i = 0; i < SLOTS; i++) {
        free(c->slots[i].sql);
        c->slots[i].sql = NULL;
    }
    c->count = 0;
}

/* Worth preparing: a plannable statement (not BEGIN, COMMIT, COPY, ...). */
static bool plannable(const char *sql)
{
    while (*sql == ' ' || *sql == '\n' || *sql == '(')
        sql++;
    static const char *const verbs[] = { "SELECT", "INSERT", "UPDATE", "DELETE", "WITH" };
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strncasecmp(sql, verbs[i], strlen(verbs[i])))
            return true;
    return false;
}

static void cache_free(void *p)
{
    cache *c = p;
    cache_clear(c);
    free(c);
    tc = NULL;
}

static void make_key(void)
{
    pthread_key_create(&cache_key, cache_free);
}

static cache *cache_for(PGconn *db)
{
    if (!tc) {
        pthread_once(&cache_key_once, make_key);
        if (!(tc = calloc(1, sizeof *tc)))
            return NULL;
        pthread_setspecific(cache_key, tc);
    }
    int pid = PQbackendPID(db);
    if (tc->conn != db || tc->pid != pid) {
        cache_clear(tc);
        tc->conn = db;
        tc->pid = pid;
    }
    return tc;
}

PGresult *db_exec(PGconn *db, const char *sql, int nparams, const char *const *params)
{
    cache *c = plannable(sql) && PQtransactionStatus(db) != PQTRANS_INERROR ? cache_for(db) : NULL;
    if (!c)
        return PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    uint64_t h = hash_sql(sql);
    size_t i = (size_t)h & (SLOTS - 1);
    while (c->slots[i].sql && (c->slots[i].hash != h || strcmp(c->slots[i].sql, sql)))
        i = (i + 1) & (SLOTS - 1);
    char name[32];
    if (!c->slots[i].sql) {
        if (c->count >= MAX_PREPARED)
            return PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
        int number = ++c->count; /* a name is never used twice, even when preparing fails */
        snprintf(name, sizeof name, "didtron_%d", number);
        PGresult *p = PQprepare(db, name, sql, nparams, NULL);
        if (PQresultStatus(p) != PGRES_COMMAND_OK)
            return p; /* the statement's error (a failed prepare also aborts a transaction, like the query) */
        PQclear(p);
        char *copy = strdup(sql);
        if (!copy)
            return PQexecPrepared(db, name, nparams, params, NULL, NULL, 0);
        c->slots[i] = (slot){ copy, h, number };
    }
    snprintf(name, sizeof name, "didtron_%d", c->slots[i].number);
    return PQexecPrepared(db, name, nparams, params, NULL, NULL, 0);
}
