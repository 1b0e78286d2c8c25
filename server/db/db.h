/*
 * db: connections, the worker pool and migrations.
 *
 * The lws service thread never touches PostgreSQL. Work that needs the
 * database is a pool_job run by one of N worker threads, each owning one
 * connection for its whole life (reconnected when it breaks).
 */
#ifndef DIDTRON_DB_H
#define DIDTRON_DB_H

#include <libpq-fe.h>
#include <stddef.h>

/* Connect with our session settings (UTC, application_name). NULL and a
 * message in err on failure. */
PGconn *db_connect(const char *conninfo, char *err, size_t errlen);
/* Name connections "didtrond/<instance>" in pg_stat_activity. Call once at
 * start-up, before any connection. */
void db_set_instance(const char *instance);

typedef struct pool_job {
    struct pool_job *next;
    /* Runs on a worker; db is a live connection (or NULL when it could not
     * be re-established: the job must answer with an internal error). The
     * job owns itself from here: run() must hand it on or free it. */
    void (*run)(struct pool_job *job, PGconn *db);
} pool_job;

/* Run one parameterised statement (params are text or NULL) like
 * PQexecParams, but prepared once per connection and reused
 * (statements.c). For the connection's owning thread only. */
PGresult *db_exec(PGconn *db, const char *sql, int nparams, const char *const *params);

/* Start n workers on conninfo. Fails (-1, err) when the first connection
 * cannot be made, so a wrong conninfo stops start-up with a clear reason. */
int pool_start(const char *conninfo, int n, char *err, size_t errlen);
void pool_submit(pool_job *job);
/* Jobs submitted and not yet finished. */
int pool_pending(void);
/* Run what is queued, then stop and join the workers. */
void pool_stop(void);

/* Apply schema/NNNN_*.sql files not yet in schema_migrations, in name
 * order, each in its own transaction; serialised between instances with an
 * advisory lock. Returns the number applied, or -1 with err set (the failed
 * file's changes rolled back). */
int migrate_run(PGconn *db, const char *dir, char *err, size_t errlen);

#endif
