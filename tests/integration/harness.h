/*
 * harness: what integration tests need around a real didtrond — a fresh
 * database on the throw-away PostgreSQL that scripts/dev test starts
 * (DIDTRON_TEST_PG{HOST,PORT,USER}), server processes started and stopped
 * by pid, free ports, and HTTP requests.
 */
#ifndef DIDTRON_TESTS_HARNESS_H
#define DIDTRON_TESTS_HARNESS_H

#include <jansson.h>
#include <libpq-fe.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char name[32];
    char log[256];
} test_server;

/* Exit 77 (skipped) when no test database is configured, or fail when
 * DIDTRON_TEST_REQUIRE_DB=1. Creates database `name` afresh. */
void harness_init(const char *dbname);
/* Drop the database (servers must be stopped). */
void harness_done(void);
/* libpq conninfo of the test database. */
const char *harness_conninfo(void);
/* A new connection to the test database (caller PQfinish). */
PGconn *harness_db(void);
/* Run SQL, expecting success; returns the first value of the first row
 * (static buffer) or "" when there is none. */
const char *harness_sql(const char *sql);
/* The same with values as parameters $1..$n (text), for SQL that carries
 * values from the test rather than constants. */
const char *harness_sql_params(const char *sql, int nparams, const char *const *params);

/* A free TCP port on 127.0.0.1. */
int harness_free_port(void);
/* Sleep ms milliseconds. */
void msleep(int ms);

/* Start `didtrond serve` with the test database and extra flags (NULL
 * terminated list); waits for /healthz. Returns false if it did not come
 * up (its log is printed). */
bool server_start(test_server *s, const char *name, const char *const *extra_flags);
/* SIGTERM and wait; returns the exit status (or -1 when it had to be
 * killed after timeout_ms). */
int server_stop(test_server *s, int timeout_ms);
/* Run didtrond with args (NULL terminated) and env additions ("K=V",
 * NULL terminated); returns its exit status; output goes to the log. */
int didtrond_run(const char *const *args, const char *const *env);

/* HTTP on 127.0.0.1:port. Returns the status (or -1), body in *body
 * (malloc'd, may be NULL). bearer may be NULL. */
int http_get(int port, const char *path, char **body);
/* The same with Authorization: Bearer (NULL: none). */
int http_get_auth(int port, const char *path, const char *bearer, char **body);
int http_post(int port, const char *path, const char *bearer, const char *data, size_t len, char **body);
/* http_post with another Content-Type than application/json. */
int http_post_typed(int port, const char *path, const char *bearer, const char *content_type, const char *data,
                    size_t len, char **body);
/* The same with Transfer-Encoding: chunked and no Content-Length. */
int http_post_chunked(int port, const char *path, const char *data, size_t len, char **body);

#endif
