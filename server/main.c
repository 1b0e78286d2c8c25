/*
 * didtrond: the DIDTron server.
 *
 *   didtrond [serve] [settings]        serve WebSocket + HTTP (default)
 *   didtrond migrate [settings]        apply pending schema migrations
 *   didtrond user add NAME --role R [--carrier-id N] [settings]
 *                                      create a user; password from
 *                                      DIDTRON_PASSWORD or the terminal
 *   didtrond purge [settings]          hard-delete records soft-deleted
 *                                      more than retention_days ago
 *   didtrond version | help
 *
 * Settings come from defaults, then --config FILE (or DIDTRON_CONFIG),
 * then DIDTRON_* variables, then --flags; `didtrond help` lists them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "auth/auth.h"
#include "auth/secret.h"
#include "db/db.h"
#include "demo/demo.h"
#include "fx/fx.h"
#include "ledger/ledger.h"
#include "mail/mail.h"
#include "monitor/monitor.h"
#include "net/net.h"
#include "rpc/dispatch.h"
#include "rpc/metrics.h"
#include "rpc/registry.h"
#include "sim/simulate.h"
#include "support/support.h"

extern char **environ;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: didtrond [serve] [settings]\n"
            "       didtrond migrate [settings]\n"
            "       didtrond user add NAME --role ROLE [--carrier-id N] [settings]\n"
            "       didtrond purge [settings]   (hard-delete records soft-deleted over retention_days ago)\n"
            "       didtrond simulate --scenario FILE [--url URL] [--token T | --user U --password P]\n"
            "                [--speed N] [--duration SECONDS] [--seed N]   (traffic simulator: CDRs to POST /api/v1/cdrs)\n"
            "       didtrond version | help\n\n"
            "Settings (file key, environment variable, flag; flags win over the\n"
            "environment, which wins over --config FILE / DIDTRON_CONFIG):\n");
    config_describe(f);
}

static int load_file(dt_config *cfg, const char *path)
{
    json_error_t jerr;
    json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!j) {
        fprintf(stderr, "didtrond: %s:%d: %s\n", path, jerr.line, jerr.text);
        return -1;
    }
    char err[256];
    int rc = config_apply_json(cfg, j, err, sizeof err);
    json_decref(j);
    if (rc)
        fprintf(stderr, "didtrond: %s: %s\n", path, err);
    return rc;
}

/* Settings from every source. Non-setting arguments are left in rest[]. */
static int configure(dt_config *cfg, int argc, char **argv, char **rest, int *nrest)
{
    config_defaults(cfg);
    const char *file = getenv("DIDTRON_CONFIG");
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            file = argv[i + 1];
    if (file && load_file(cfg, file))
        return -1;
    char err[256];
    if (config_apply_env(cfg, environ, err, sizeof err)) {
        fprintf(stderr, "didtrond: environment: %s\n", err);
        return -1;
    }
    *nrest = 0;
    for (int i = 0; i < argc; i++) {
        char name[64];
        bool is_bool = false;
        if (!strcmp(argv[i], "--config")) {
            i++;
            continue;
        }
        const char *eq = strchr(argv[i], '=');
        char flag[80];
        snprintf(flag, sizeof flag, "%.*s", eq ? (int)(eq - argv[i]) : (int)strlen(argv[i]), argv[i]);
        if (config_flag_name(flag, name, sizeof name, &is_bool)) {
            const char *value = eq ? eq + 1 : is_bool ? "true" : (i + 1 < argc ? argv[++i] : NULL);
            if (!value || config_set(cfg, name, value, err, sizeof err)) {
                fprintf(stderr, "didtrond: %s: %s\n", flag, value ? err : "needs a value");
                return -1;
            }
            continue;
        }
        rest[(*nrest)++] = argv[i];
    }
    log_level lv;
    if (log_level_parse(cfg->log_level, &lv)) {
        fprintf(stderr, "didtrond: log_level: must be debug, info, warn or error\n");
        return -1;
    }
    log_set_level(lv);
    secret_set_scrypt_cost(cfg->password_cost);
    if (!cfg->instance[0]) {
        char host[48] = "didtrond";
        gethostname(host, sizeof host - 1);
        snprintf(cfg->instance, sizeof cfg->instance, "%s:%d", host, (int)getpid());
    }
    db_set_instance(cfg->instance);
    return 0;
}

static PGconn *connect_and_migrate(const dt_config *cfg)
{
    char err[1024];
    PGconn *db = db_connect(cfg->database, err, sizeof err);
    if (!db) {
        log_error("database: %s", err);
        return NULL;
    }
    int n = migrate_run(db, cfg->schema_dir, err, sizeof err);
    if (n < 0) {
        log_error("%s", err);
        PQfinish(db);
        return NULL;
    }
    if (n > 0)
        log_info("%d migration(s) applied", n);
    return db;
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static int cmd_serve(dt_config *cfg)
{
    PGconn *db = connect_and_migrate(cfg);
    if (!db)
        return 1;
    char err[512];
    if (registry_init() || metrics_init() || ledger_init(cfg) || fx_init(cfg) || monitor_init(cfg) || mail_init(cfg) ||
        support_init(cfg)) {
        PQfinish(db);
        return 1;
    }
    if (cfg->demo) {
        if (demo_seed(db, cfg, err, sizeof err)) {
            log_error("demo data: %s", err);
            PQfinish(db);
            return 1;
        }
        log_warn("demo mode: the admin/admin account is allowed; never run demo mode in production");
    } else {
        int in_use = auth_demo_password_in_use(db);
        if (in_use != 0) {
            log_error(in_use < 0 ? "cannot check admin passwords"
                                 : "an administrator's password is the demo password \"admin\"; change it"
                                   " (didtrond user add, or user.password) or run with --demo");
            PQfinish(db);
            return 1;
        }
    }
    PQfinish(db);
    raise_fd_limit();
    net_block_signals();
    if (pool_start(cfg->database, cfg->workers, err, sizeof err)) {
        log_error("database pool: %s", err);
        return 1;
    }
    return net_serve(cfg);
}

static int read_password(char *buf, size_t n)
{
    const char *env = getenv("DIDTRON_PASSWORD");
    if (env) {
        snprintf(buf, n, "%s", env);
        return 0;
    }
    bool tty = isatty(STDIN_FILENO);
    struct termios old, quiet;
    if (tty) {
        fprintf(stderr, "password: ");
        tcgetattr(STDIN_FILENO, &old);
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    char *got = fgets(buf, (int)n, stdin);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        fprintf(stderr, "\n");
    }
    if (!got)
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int cmd_user(dt_config *cfg, int argc, char **argv)
{
    const char *name = NULL, *role_text = NULL, *carrier = NULL;
    if (argc < 2 || strcmp(argv[1], "add")) {
        fprintf(stderr, "usage: didtrond user add NAME --role ROLE [--carrier-id N]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc)
            role_text = argv[++i];
        else if (!strcmp(argv[i], "--carrier-id") && i + 1 < argc)
            carrier = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else {
            fprintf(stderr, "didtrond user add: unexpected argument %s\n", argv[i]);
            return 2;
        }
    }
    if (!name || !role_text) {
        fprintf(stderr, "usage: didtrond user add NAME --role ROLE [--carrier-id N]\n");
        return 2;
    }
    char password[1100];
    if (read_password(password, sizeof password)) {
        fprintf(stderr, "didtrond: no password given\n");
        return 2;
    }
    PGconn *db = connect_and_migrate(cfg);
    if (!db || registry_init())
        return 1;
    rpc_session s;
    auth_system_session(&s, "cli");
    json_t *params = json_pack("{s:s, s:s, s:s}", "username", name, "password", password, "role", role_text);
    if (carrier) {
        char *end;
        errno = 0;
        long long id = strtoll(carrier, &end, 10);
        json_object_set_new(params, "carrier_id", (*end || errno) ? json_string(carrier) : json_integer(id));
    }
    json_t *result = NULL;
    char err[1024];
    int rc = rpc_run_local(db, cfg, &s, "user.create", params, &result, err, sizeof err);
    json_decref(params);
    PQfinish(db);
    if (rc) {
        fprintf(stderr, "didtrond: user add: %s\n", err);
        return 1;
    }
    printf("user %s created (id %lld, role %s)\n", name,
           (long long)json_integer_value(json_object_get(result, "id")), role_text);
    json_decref(result);
    return 0;
}

static int cmd_purge(dt_config *cfg)
{
    PGconn *db = connect_and_migrate(cfg);
    if (!db || registry_init())
        return 1;
    rpc_session s;
    auth_system_session(&s, "cli");
    json_t *params = json_object(), *result = NULL;
    char err[512];
    int rc = rpc_run_local(db, cfg, &s, "retention.purge", params, &result, err, sizeof err);
    json_decref(params);
    PQfinish(db);
    if (rc) {
        fprintf(stderr, "didtrond: purge: %s\n", err);
        return 1;
    }
    char *text = json_dumps(result, JSON_COMPACT);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(result);
    return 0;
}

int main(int argc, char **argv)
{
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0;
    dt_config cfg;
    if (!rest)
        return 1;
    const char *cmd = argc > 1 && argv[1][0] != '-' ? argv[1] : "serve";
    int first = argc > 1 && argv[1][0] != '-' ? 2 : 1;
    if (!strcmp(cmd, "help") || (argc > 1 && !strcmp(argv[1], "--help"))) {
        usage(stdout);
        free(rest);
        return 0;
    }
    if (!strcmp(cmd, "version") || (argc > 1 && !strcmp(argv[1], "--version"))) {
        printf("didtrond %s\n", DIDTRON_VERSION);
        free(rest);
        return 0;
    }
    if (!strcmp(cmd, "simulate")) {   /* its own flags, not settings (server/sim/simulate.c) */
        free(rest);
        return sim_main(argc - 1, argv + 1);
    }
    if (configure(&cfg, argc - first, argv + first, rest, &nrest)) {
        free(rest);
        return 2;
    }
    int rc;
    if (!strcmp(cmd, "serve")) {
        rc = nrest ? (fprintf(stderr, "didtrond: unexpected argument %s\n", rest[0]), 2) : cmd_serve(&cfg);
    } else if (!strcmp(cmd, "migrate")) {
        PGconn *db = nrest ? NULL : connect_and_migrate(&cfg);
        rc = db ? 0 : (nrest ? 2 : 1);
        if (db)
            PQfinish(db);
    } else if (!strcmp(cmd, "purge")) {
        rc = nrest ? (fprintf(stderr, "didtrond: unexpected argument %s\n", rest[0]), 2) : cmd_purge(&cfg);
    } else if (!strcmp(cmd, "user")) {
        /* rest[] starts after "user": make argv-like with a dummy [0]. */
        char **args = calloc((size_t)nrest + 2, sizeof *args);
        args[0] = (char *)"user";
        for (int i = 0; i < nrest; i++)
            args[i + 1] = rest[i];
        rc = cmd_user(&cfg, nrest + 1, args);
        free(args);
    } else {
        fprintf(stderr, "didtrond: unknown command %s\n", cmd);
        usage(stderr);
        rc = 2;
    }
    free(rest);
    return rc;
}
