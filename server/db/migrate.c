/*
 * migrate.c: apply schema/NNNN_name.sql once each, in order.
 *
 * The files are ours (not client input), so each is sent whole with
 * PQexec inside BEGIN/COMMIT. pg_advisory_lock keeps two instances that
 * start together from applying the same file twice.
 */
#include "db.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define MIGRATION_LOCK_KEY "7480001"

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_migration_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 10 || strcmp(n + len - 4, ".sql"))
        return false;
    for (int i = 0; i < 4; i++)
        if (n[i] < '0' || n[i] > '9')
            return false;
    return n[4] == '_';
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                snprintf(err, errlen, "out of memory reading %s", path);
                return NULL;
            }
            buf = nb;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    buf[len] = '\0';
    return buf;
}

static bool exec_ok(PGconn *db, const char *sql, char *err, size_t errlen)
{
    PGresult *r = PQexec(db, sql);
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, errlen, "%s", PQresultErrorMessage(r));
    PQclear(r);
    return ok;
}

int migrate_run(PGconn *db, const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open schema directory %s", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_migration_name(e->d_name))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **nn = realloc(names, cap * sizeof *names);
            if (!nn)
                break;
            names = nn;
        }
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);

    int applied = 0;
    if (!exec_ok(db, "SELECT pg_advisory_lock(" MIGRATION_LOCK_KEY ")", err, errlen) ||
        !exec_ok(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                     " version text PRIMARY KEY,"
                     " applied_at timestamptz NOT NULL DEFAULT now())", err, errlen)) {
        applied = -1;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *params[1] = { names[i] };
        PGresult *r = PQexecParams(db, "SELECT 1 FROM schema_migrations WHERE version = $1",
                                   1, NULL, params, NULL, NULL, 0);
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            snprintf(err, errlen, "%s", PQresultErrorMessage(r));
            PQclear(r);
            applied = -1;
            goto out;
        }
        bool done = PQntuples(r) > 0;
        PQclear(r);
        if (done)
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *sql = read_file(path, err, errlen);
        if (!sql) {
            applied = -1;
            goto out;
        }
        char why[1024];
        bool ok = exec_ok(db, "BEGIN", why, sizeof why) && exec_ok(db, sql, why, sizeof why);
        free(sql);
        if (ok) {
            r = PQexecParams(db, "INSERT INTO schema_migrations (version) VALUES ($1)",
                             1, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            if (!ok)
                snprintf(why, sizeof why, "%s", PQresultErrorMessage(r));
            PQclear(r);
        }
        if (ok)
            ok = exec_ok(db, "COMMIT", why, sizeof why);
        if (!ok) {
            char ignore[64];
            exec_ok(db, "ROLLBACK", ignore, sizeof ignore);
            snprintf(err, errlen, "migration %s failed, nothing of it applied: %s", names[i], why);
            applied = -1;
            goto out;
        }
        log_info("migration %s applied", names[i]);
        applied++;
    }
out:
    {
        char ignore[64];
        exec_ok(db, "SELECT pg_advisory_unlock(" MIGRATION_LOCK_KEY ")", ignore, sizeof ignore);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return applied;
}
