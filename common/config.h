/*
 * config: the server's settings and where they come from.
 *
 * Precedence, lowest first: built-in defaults, the JSON config file,
 * DIDTRON_* environment variables, command-line flags. Every setting has
 * one name used in all three places: "max_message_bytes" in the file,
 * DIDTRON_MAX_MESSAGE_BYTES in the environment, --max-message-bytes on the
 * command line. One table in config.c lists them.
 */
#ifndef DIDTRON_CONFIG_H
#define DIDTRON_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct {
    char listen[128];          /* "127.0.0.1:7480", "[::1]:7480" */
    char database[1024];       /* libpq conninfo */
    char instance[64];         /* name in system.info and logs; default host:pid */
    char schema_dir[1024];     /* where NNNN_name.sql migrations live */
    char tls_cert[1024];       /* PEM; with tls_key turns on wss/https */
    char tls_key[1024];
    char log_level[16];
    int workers;               /* worker threads, one database connection each */
    int max_message_bytes;
    int max_upload_bytes;      /* HTTP upload bodies (CDR batches, rate decks), spooled to disk */
    int max_json_depth;
    int max_string_bytes;
    int max_inflight;          /* unanswered requests per connection */
    int session_ttl_seconds;
    int login_window_seconds;  /* rate-limit window for failed logins */
    int login_max_per_user;    /* failures per username in the window */
    int login_max_per_address; /* failures per address in the window */
    int shutdown_grace_ms;     /* SIGTERM: how long in-flight work may take */
    int password_cost;         /* scrypt log2(N) for new password hashes */
    int retention_days;        /* soft-deleted records are purged after this */
    int invoice_due_days;      /* an invoice is due this many days after it is issued */
    char oxr_base_url[256];    /* Open Exchange Rates: {base}/api/latest.json */
    char oxr_app_id[128];      /* "" = no scheduled rate refresh */
    int oxr_timeout_ms;        /* one OXR request, whole */
    int fx_refresh_minutes;    /* scheduled refresh bucket; 0 = only fx.refresh */
    int fx_stale_hours;        /* fx.rates flags older oxr rates as stale */
    bool fx_revalue_monthly;   /* enqueue the previous month's FX revaluation */
    char brevo_base_url[256];  /* Brevo transactional e-mail: POST {base}/v3/smtp/email */
    char brevo_api_key[256];   /* "" = e-mails are written to mail_outbox_dir instead */
    int brevo_timeout_ms;      /* one Brevo request, whole */
    char mail_from[256];       /* sender address (required with brevo_api_key) */
    char mail_from_name[128];  /* sender display name */
    char mail_outbox_dir[1024]; /* where e-mails go as .eml files while Brevo is not configured */
    int job_workers;           /* job queue threads (server/jobs), one connection each; 0 = none */
    int job_backoff_base_ms;   /* retry n waits about base * 2^n (docs/jobs.md) */
    int job_lease_sec;         /* a job running longer than this is taken back */
    int ledger_flush_ms;       /* rated CDR charges are posted this often */
    int call_max_seconds;      /* a call without call.stop leaves the counts after this */
    char route_allow_ips[1024]; /* switch addresses/CIDRs that need no token on the switch routes */
    char attachment_dir[1024]; /* ticket attachments are stored here (random names) */
    int attachment_max_bytes;  /* largest ticket attachment */
    char attachment_types[1024]; /* allowed attachment content types, comma-separated */
    int sla_warning_minutes;   /* ticket.sla_warning this long before an SLA target */
    int sla_check_ms;          /* the tickets.sla task runs this often */
    int probe_timeout_ms;      /* SIP OPTIONS probe: no final answer within this is a failure */
    int probe_interval_cap_ms; /* probe at least this often whatever options_interval says; 0 = off (tests) */
    int probe_reload_ms;       /* probe targets are reloaded from interconnects this often (and on interconnect.changed) */
    int monitor_eval_ms;       /* monitoring rules are evaluated this often */
    int monitor_minute_ms;     /* length of a "minute" in rule recovery and penalty times (tests shorten it) */
    int monitor_webhook_timeout_ms; /* one alert webhook POST, whole */
    bool demo;                 /* demo data; admin/admin allowed */
    bool allow_remote;         /* plain ws on a non-loopback address */
} dt_config;

void config_defaults(dt_config *c);

/* Set one setting by name from text ("workers", "4"). Returns 0, or -1 with
 * a message in err naming the setting. */
int config_set(dt_config *c, const char *name, const char *value, char *err, size_t errlen);

/* Apply a parsed config file (a JSON object). Unknown keys are errors. */
int config_apply_json(dt_config *c, json_t *obj, char *err, size_t errlen);

/* Apply DIDTRON_<NAME> variables from an environ-style array. */
int config_apply_env(dt_config *c, char *const *envp, char *err, size_t errlen);

/* Does "--name-with-dashes" name a setting? Returns the setting's name
 * ("name_with_dashes") in buf, or NULL. Boolean flags take no value. */
const char *config_flag_name(const char *flag, char *buf, size_t n, bool *is_bool);

/* Split c->listen into host and port. Returns -1 when malformed. */
int config_listen_split(const char *listen, char *host, size_t hostlen, int *port);

/* Print every setting's name, env variable and default to f (for --help). */
void config_describe(void *file);

#endif
