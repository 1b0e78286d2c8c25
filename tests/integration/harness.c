#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char conninfo[512];
static char admin_conninfo[512];
static char dbname_[64];

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    exit(1);
}

static const char *bin(void)
{
    const char *b = getenv("DIDTRON_BIN");
    return b ? b : "didtrond";
}

void harness_init(const char *dbname)
{
    const char *host = getenv("DIDTRON_TEST_PGHOST");
    const char *port = getenv("DIDTRON_TEST_PGPORT");
    const char *user = getenv("DIDTRON_TEST_PGUSER");
    if (!host || !port) {
        const char *req = getenv("DIDTRON_TEST_REQUIRE_DB");
        fprintf(stderr, "no test database (DIDTRON_TEST_PGHOST/PORT unset): run scripts/dev test\n");
        exit(req && !strcmp(req, "1") ? 1 : 77);
    }
    snprintf(dbname_, sizeof dbname_, "%s_%d", dbname, (int)getpid());
    snprintf(admin_conninfo, sizeof admin_conninfo, "host=%s port=%s user=%s dbname=postgres", host, port,
             user ? user : "didtron");
    snprintf(conninfo, sizeof conninfo, "host=%s port=%s user=%s dbname=%s", host, port,
             user ? user : "didtron", dbname_);
    PGconn *db = PQconnectdb(admin_conninfo);
    if (PQstatus(db) != CONNECTION_OK)
        die("cannot reach the test PostgreSQL", PQerrorMessage(db));
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", dbname_);
    PQclear(PQexec(db, sql));
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", dbname_);
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        die("cannot create the test database", PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(db);
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

void harness_done(void)
{
    PGconn *db = PQconnectdb(admin_conninfo);
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname_);
    PQclear(PQexec(db, sql));
    PQfinish(db);
    curl_global_cleanup();
}

const char *harness_conninfo(void)
{
    return conninfo;
}

PGconn *harness_db(void)
{
    PGconn *db = PQconnectdb(conninfo);
    if (PQstatus(db) != CONNECTION_OK)
        die("cannot connect to the test database", PQerrorMessage(db));
    return db;
}

const char *harness_sql(const char *sql)
{
    return harness_sql_params(sql, 0, NULL);
}

const char *harness_sql_params(const char *sql, int nparams, const char *const *params)
{
    static char value[1024];
    PGconn *db = harness_db();
    /* Without parameters, PQexec: fixtures send several statements at once. */
    PGresult *r = nparams ? PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0) : PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        die("SQL failed", PQresultErrorMessage(r));
    snprintf(value, sizeof value, "%s", st == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(db);
    return value;
}

int harness_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

void msleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void print_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[512];
    fprintf(stderr, "---- %s ----\n", path);
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

static pid_t spawn(const char *const *argv, const char *const *env, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

/* Servers this process started and has not stopped: a test program that
 * exits early (a failed harness_sql, a failed fixture) stops them at exit
 * instead of leaving them holding database connections. Only the process
 * that started a server stops it (check may fork test cases). */
#define LIVE_MAX 16
static struct {
    pid_t server, owner;
} live[LIVE_MAX];

static void live_add(pid_t server)
{
    for (int i = 0; i < LIVE_MAX; i++)
        if (!live[i].server) {
            live[i].server = server;
            live[i].owner = getpid();
            return;
        }
}

static void live_remove(pid_t server)
{
    for (int i = 0; i < LIVE_MAX; i++)
        if (live[i].server == server)
            live[i].server = 0;
}

static void stop_leftovers(void)
{
    for (int i = 0; i < LIVE_MAX; i++) {
        if (!live[i].server || live[i].owner != getpid())
            continue;
        pid_t p = live[i].server;
        live[i].server = 0;
        kill(p, SIGTERM);
        int waited = 0;
        while (waitpid(p, NULL, WNOHANG) == 0 && waited < 10000) {
            msleep(20);
            waited += 20;
        }
        if (waited >= 10000) {
            kill(p, SIGKILL);
            waitpid(p, NULL, 0);
        }
    }
}

bool server_start(test_server *s, const char *name, const char *const *extra)
{
    static bool registered;
    if (!registered) {
        atexit(stop_leftovers);
        registered = true;
    }
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->log, sizeof s->log, "didtrond-%s-%d.log", name, (int)getpid());
    s->port = harness_free_port();
    char listen[64];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", s->port);
    const char *argv[48] = { bin(), "serve", "--database", conninfo, "--listen", listen,
                             "--instance", name, "--password-cost", "12" };
    int n = 10;
    for (const char *const *e = extra; e && *e && n < 46; e++)
        argv[n++] = *e;
    argv[n] = NULL;
    s->pid = spawn(argv, NULL, s->log);
    live_add(s->pid);
    for (int i = 0; i < 300; i++) { /* up to 30 s: sanitizers are slow */
        char *body = NULL;
        int st = http_get(s->port, "/healthz", &body);
        free(body);
        if (st == 200)
            return true;
        int status;
        if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
            live_remove(s->pid);
            s->pid = 0;
            break;
        }
        msleep(100);
    }
    print_log(s->log);
    return false;
}

int server_stop(test_server *s, int timeout_ms)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        int status;
        pid_t p = waitpid(s->pid, &status, WNOHANG);
        if (p == s->pid) {
            live_remove(s->pid);
            s->pid = 0;
            if (!WIFEXITED(status) || WEXITSTATUS(status))
                print_log(s->log);
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        msleep(20);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    live_remove(s->pid);
    s->pid = 0;
    print_log(s->log);
    return -1;
}

int didtrond_run(const char *const *args, const char *const *env)
{
    const char *argv[32] = { bin() };
    int n = 1;
    for (const char *const *a = args; a && *a && n < 31; a++)
        argv[n++] = *a;
    argv[n] = NULL;
    char log[128];
    snprintf(log, sizeof log, "didtrond-cli-%d.log", (int)getpid());
    pid_t pid = spawn(argv, env, log);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

typedef struct {
    char *data;
    size_t len;
} grow;

static size_t collect(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    grow *g = userdata;
    size_t n = size * nmemb;
    char *d = realloc(g->data, g->len + n + 1);
    if (!d)
        return 0;
    memcpy(d + g->len, ptr, n);
    g->data = d;
    g->len += n;
    d[g->len] = '\0';
    return n;
}

typedef struct {
    const char *data;
    size_t len, off;
} feed;

static size_t supply(char *buf, size_t size, size_t nmemb, void *userdata)
{
    feed *f = userdata;
    size_t n = size * nmemb;
    if (n > f->len - f->off)
        n = f->len - f->off;
    memcpy(buf, f->data + f->off, n);
    f->off += n;
    return n;
}

static int http_ex(int port, const char *path, const char *bearer, const char *content_type, const char *data,
                   size_t len, bool chunked, char **body)
{
    CURL *h = curl_easy_init();
    char url[256], auth[160];
    grow g = { NULL, 0 };
    struct curl_slist *hdrs = NULL;
    char ctype[160];
    snprintf(ctype, sizeof ctype, "Content-Type: %s", content_type ? content_type : "application/json");
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &g);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    feed f = { data, len, 0 };
    if (data && chunked) {
        hdrs = curl_slist_append(hdrs, "Transfer-Encoding: chunked");
        curl_easy_setopt(h, CURLOPT_POST, 1L);
        curl_easy_setopt(h, CURLOPT_READFUNCTION, supply);
        curl_easy_setopt(h, CURLOPT_READDATA, &f);
    } else if (data) {
        hdrs = curl_slist_append(hdrs, ctype);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    if (bearer) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", bearer);
        hdrs = curl_slist_append(hdrs, auth);
    }
    if (hdrs)
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (body)
        *body = g.data;
    else
        free(g.data);
    return (int)status;
}

int http_get(int port, const char *path, char **body)
{
    return http_ex(port, path, NULL, NULL, NULL, 0, false, body);
}

int http_get_auth(int port, const char *path, const char *bearer, char **body)
{
    return http_ex(port, path, bearer, NULL, NULL, 0, false, body);
}

int http_post(int port, const char *path, const char *bearer, const char *data, size_t len, char **body)
{
    return http_ex(port, path, bearer, NULL, data, len, false, body);
}

int http_post_typed(int port, const char *path, const char *bearer, const char *content_type, const char *data,
                    size_t len, char **body)
{
    return http_ex(port, path, bearer, content_type, data, len, false, body);
}

int http_post_chunked(int port, const char *path, const char *data, size_t len, char **body)
{
    return http_ex(port, path, NULL, NULL, data, len, true, body);
}
