#include "config.h"
#include "protocol.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef enum { CFG_STRING, CFG_INT, CFG_BOOL } cfg_type;

typedef struct {
    const char *name;
    cfg_type type;
    size_t offset;
    size_t size;       /* for strings */
    long min, max;     /* for ints */
    const char *help;
} cfg_key;

#define S(f, h) { #f, CFG_STRING, offsetof(dt_config, f), sizeof(((dt_config *)0)->f), 0, 0, h }
#define I(f, lo, hi, h) { #f, CFG_INT, offsetof(dt_config, f), 0, lo, hi, h }
#define B(f, h) { #f, CFG_BOOL, offsetof(dt_config, f), 0, 0, 1, h }

static const cfg_key keys[] = {
    S(listen, "address:port to serve WebSocket and HTTP on"),
    S(database, "PostgreSQL connection string (libpq conninfo)"),
    S(instance, "instance name shown in system.info (default host:pid)"),
    S(schema_dir, "directory of NNNN_name.sql migrations"),
    S(tls_cert, "PEM certificate; with tls_key serves wss/https"),
    S(tls_key, "PEM private key"),
    S(log_level, "debug | info | warn | error"),
    I(workers, 1, 256, "worker threads, each with one database connection"),
    I(max_message_bytes, 1024, 64 * 1024 * 1024, "largest accepted message"),
    I(max_upload_bytes, 1, INT_MAX, "largest HTTP upload body (POST /api/v1/...), spooled to a temp file"),
    I(max_json_depth, 2, 512, "deepest accepted JSON nesting"),
    I(max_string_bytes, 16, 64 * 1024 * 1024, "longest accepted JSON string"),
    I(max_inflight, 1, 100000, "unanswered requests allowed per connection"),
    I(session_ttl_seconds, 60, 90 * 86400, "session lifetime"),
    I(login_window_seconds, 1, 86400, "window for counting failed logins"),
    I(login_max_per_user, 1, 100000, "failed logins per username in the window"),
    I(login_max_per_address, 1, 100000, "failed logins per address in the window"),
    I(shutdown_grace_ms, 0, 600000, "time in-flight requests get on SIGTERM"),
    I(password_cost, 12, 20, "scrypt cost log2(N) of new password hashes"),
    I(retention_days, 0, 3650, "days a soft-deleted record is kept before purge"),
    I(invoice_due_days, 0, 3650, "days after issue an invoice is due (carriers have no payment terms yet)"),
    S(oxr_base_url, "Open Exchange Rates base URL (rates from {base}/api/latest.json)"),
    S(oxr_app_id, "Open Exchange Rates app id; empty: rates only from fx.set"),
    I(oxr_timeout_ms, 100, 120000, "timeout of one Open Exchange Rates request"),
    I(fx_refresh_minutes, 0, 1440, "minutes between scheduled FX rate refreshes; 0 = only on fx.refresh"),
    I(fx_stale_hours, 1, 8760, "hours after which a fetched FX rate is flagged stale"),
    B(fx_revalue_monthly, "enqueue the previous month's FX revaluation (fx.revalue job) each month"),
    S(brevo_base_url, "Brevo API base URL (e-mail is sent with POST {base}/v3/smtp/email)"),
    S(brevo_api_key, "Brevo API key; empty: e-mails are written to mail_outbox_dir as .eml files"),
    I(brevo_timeout_ms, 100, 120000, "timeout of one Brevo request"),
    S(mail_from, "sender address of e-mails (a sender verified in Brevo)"),
    S(mail_from_name, "sender display name of e-mails"),
    S(mail_outbox_dir, "directory e-mails are written to while brevo_api_key is empty"),
    I(job_workers, 0, 64, "job queue worker threads, one database connection each (0 = run no jobs here)"),
    I(job_backoff_base_ms, 1, 3600000, "a failed job's retry n waits base * 2^n ms, jittered (capped at 1 h)"),
    I(job_lease_sec, 1, 86400, "a job running longer than this is taken back and run again"),
    I(ledger_flush_ms, 50, 60000, "how often rated CDR charges are posted to the ledger"),
    I(call_max_seconds, 1, 7 * 86400, "a call whose call.stop never came leaves the capacity counts after this"),
    I(probe_timeout_ms, 10, 60000, "a SIP OPTIONS probe with no final answer within this many ms has failed"),
    I(probe_interval_cap_ms, 0, 3600000, "probe every interconnect at least this often (ms), whatever its options_interval; 0 = off (tests)"),
    I(probe_reload_ms, 100, 3600000, "how often the probe targets are reloaded from the interconnects (ms)"),
    S(route_allow_ips, "addresses/CIDRs (comma-separated) of switches allowed on /api/v1/route and /api/v1/calls/* without a token"),
    S(attachment_dir, "directory for ticket attachments (files named by random id)"),
    I(attachment_max_bytes, 1, INT_MAX, "largest ticket attachment in bytes"),
    S(attachment_types, "allowed ticket attachment content types, comma-separated"),
    I(sla_warning_minutes, 0, 10080, "ticket.sla_warning is sent this many minutes before an SLA target"),
    I(sla_check_ms, 100, 3600000, "how often ticket SLA targets are checked for warnings and breaches (ms)"),
    I(monitor_eval_ms, 50, 60000, "how often monitoring rules are evaluated (ms)"),
    I(monitor_minute_ms, 1, 3600000, "length of a minute in rule recovery and penalty times (ms; tests shorten it)"),
    I(monitor_webhook_timeout_ms, 100, 120000, "timeout of one alert webhook POST (ms)"),
    B(demo, "demo mode: load demo data, allow admin/admin"),
    B(allow_remote, "allow plain ws/http on a non-loopback address"),
};
#define NKEYS (sizeof keys / sizeof keys[0])

void config_defaults(dt_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:%d", DIDTRON_DEFAULT_PORT);
    snprintf(c->database, sizeof c->database, "dbname=didtron");
#ifdef DIDTRON_SCHEMA_DIR
    snprintf(c->schema_dir, sizeof c->schema_dir, "%s", DIDTRON_SCHEMA_DIR);
#else
    snprintf(c->schema_dir, sizeof c->schema_dir, "schema");
#endif
    snprintf(c->log_level, sizeof c->log_level, "info");
    c->workers = 4;
    c->max_message_bytes = 1024 * 1024;
    c->max_upload_bytes = 1024 * 1024 * 1024;
    c->max_json_depth = 32;
    c->max_string_bytes = 64 * 1024;
    c->max_inflight = 256;
    c->session_ttl_seconds = 12 * 3600;
    c->login_window_seconds = 900;
    c->login_max_per_user = 5;
    c->login_max_per_address = 50;
    c->shutdown_grace_ms = 10000;
    c->password_cost = 15;
    c->ledger_flush_ms = 1000;
    c->monitor_eval_ms = 1000;
    c->monitor_minute_ms = 60000;
    c->monitor_webhook_timeout_ms = 5000;
    c->call_max_seconds = 14400;
    snprintf(c->attachment_dir, sizeof c->attachment_dir, "var/attachments");
    c->attachment_max_bytes = 10 * 1024 * 1024;
    snprintf(c->attachment_types, sizeof c->attachment_types,
             "text/plain,text/csv,application/pdf,image/png,image/jpeg,image/gif,application/zip,"
             "application/octet-stream,message/rfc822,application/vnd.tcpdump.pcap");
    c->sla_warning_minutes = 30;
    c->sla_check_ms = 30000;
    c->probe_timeout_ms = 2000;
    c->probe_reload_ms = 30000;
    c->retention_days = 90;
    c->invoice_due_days = 30;
    snprintf(c->oxr_base_url, sizeof c->oxr_base_url, "https://openexchangerates.org");
    c->oxr_timeout_ms = 10000;
    c->fx_refresh_minutes = 60;
    c->fx_stale_hours = 26;
    c->fx_revalue_monthly = true;
    snprintf(c->brevo_base_url, sizeof c->brevo_base_url, "https://api.brevo.com");
    c->brevo_timeout_ms = 10000;
    snprintf(c->mail_from, sizeof c->mail_from, "noreply@didtron.invalid");
    snprintf(c->mail_from_name, sizeof c->mail_from_name, "DIDTron");
    snprintf(c->mail_outbox_dir, sizeof c->mail_outbox_dir, "var/outbox");
    c->job_workers = 2;
    c->job_backoff_base_ms = 1000;
    c->job_lease_sec = 300; /* JOBS_LEASE_SEC (server/jobs/jobs.h) */
}

static const cfg_key *find_key(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return &keys[i];
    return NULL;
}

static int set_key(dt_config *c, const cfg_key *k, const char *value, char *err, size_t errlen)
{
    char *field = (char *)c + k->offset;
    switch (k->type) {
    case CFG_STRING:
        if (strlen(value) >= k->size) {
            snprintf(err, errlen, "%s: longer than %zu characters", k->name, k->size - 1);
            return -1;
        }
        memcpy(field, value, strlen(value) + 1);
        return 0;
    case CFG_INT: {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < k->min || v > k->max) {
            snprintf(err, errlen, "%s: must be a whole number from %ld to %ld", k->name, k->min, k->max);
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    }
    case CFG_BOOL:
        if (!strcmp(value, "1") || !strcmp(value, "true") || !strcmp(value, "yes") || !strcmp(value, "on"))
            *(bool *)field = true;
        else if (!strcmp(value, "0") || !strcmp(value, "false") || !strcmp(value, "no") || !strcmp(value, "off"))
            *(bool *)field = false;
        else {
            snprintf(err, errlen, "%s: must be true or false", k->name);
            return -1;
        }
        return 0;
    }
    return -1;
}

int config_set(dt_config *c, const char *name, const char *value, char *err, size_t errlen)
{
    const cfg_key *k = find_key(name);
    if (!k) {
        snprintf(err, errlen, "unknown setting \"%s\"", name);
        return -1;
    }
    return set_key(c, k, value, err, errlen);
}

int config_apply_json(dt_config *c, json_t *obj, char *err, size_t errlen)
{
    if (!json_is_object(obj)) {
        snprintf(err, errlen, "the config file must hold a JSON object");
        return -1;
    }
    const char *name;
    json_t *v;
    json_object_foreach(obj, name, v) {
        const cfg_key *k = find_key(name);
        char text[64];
        const char *value = NULL;
        if (!k) {
            snprintf(err, errlen, "unknown setting \"%s\"", name);
            return -1;
        }
        if (k->type == CFG_STRING && json_is_string(v))
            value = json_string_value(v);
        else if (k->type == CFG_INT && json_is_integer(v)) {
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(v));
            value = text;
        } else if (k->type == CFG_BOOL && json_is_boolean(v))
            value = json_is_true(v) ? "true" : "false";
        if (!value) {
            snprintf(err, errlen, "%s: must be a %s", name,
                     k->type == CFG_STRING ? "string" : k->type == CFG_INT ? "whole number" : "boolean");
            return -1;
        }
        if (set_key(c, k, value, err, errlen))
            return -1;
    }
    return 0;
}

int config_apply_env(dt_config *c, char *const *envp, char *err, size_t errlen)
{
    static const char prefix[] = "DIDTRON_";
    for (; envp && *envp; envp++) {
        const char *e = *envp;
        if (strncmp(e, prefix, sizeof prefix - 1))
            continue;
        const char *eq = strchr(e, '=');
        if (!eq)
            continue;
        char name[64];
        size_t n = (size_t)(eq - e) - (sizeof prefix - 1);
        if (n == 0 || n >= sizeof name)
            continue;
        for (size_t i = 0; i < n; i++)
            name[i] = (char)tolower((unsigned char)e[sizeof prefix - 1 + i]);
        name[n] = '\0';
        const cfg_key *k = find_key(name);
        if (!k)
            continue; /* DIDTRON_PASSWORD and friends are not settings */
        if (set_key(c, k, eq + 1, err, errlen))
            return -1;
    }
    return 0;
}

const char *config_flag_name(const char *flag, char *buf, size_t n, bool *is_bool)
{
    if (strncmp(flag, "--", 2) || strlen(flag + 2) >= n)
        return NULL;
    size_t i = 0;
    for (const char *p = flag + 2; *p; p++)
        buf[i++] = *p == '-' ? '_' : *p;
    buf[i] = '\0';
    const cfg_key *k = find_key(buf);
    if (!k)
        return NULL;
    if (is_bool)
        *is_bool = k->type == CFG_BOOL;
    return buf;
}

int config_listen_split(const char *listen, char *host, size_t hostlen, int *port)
{
    const char *colon;
    size_t hl;
    const char *h = listen;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':')
            return -1;
        h = listen + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon)
            return -1;
        hl = (size_t)(colon - listen);
    }
    if (hl == 0 || hl >= hostlen)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end || p < 1 || p > 65535)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    *port = (int)p;
    return 0;
}

void config_describe(void *file)
{
    FILE *f = file;
    dt_config d;
    config_defaults(&d);
    for (size_t i = 0; i < NKEYS; i++) {
        const cfg_key *k = &keys[i];
        char env[80], flag[80];
        size_t j;
        for (j = 0; k->name[j] && j < sizeof env - 9; j++) {
            env[j] = (char)toupper((unsigned char)k->name[j]);
            flag[j] = k->name[j] == '_' ? '-' : k->name[j];
        }
        env[j] = flag[j] = '\0';
        char def[1100];
        const char *field = (const char *)&d + k->offset;
        if (k->type == CFG_STRING)
            snprintf(def, sizeof def, "\"%s\"", field);
        else if (k->type == CFG_INT)
            snprintf(def, sizeof def, "%d", *(const int *)field);
        else
            snprintf(def, sizeof def, "%s", *(const bool *)field ? "true" : "false");
        fprintf(f, "  --%-22s DIDTRON_%-22s %s (default %s)\n", flag, env, k->help, def);
    }
}
