/*
 * rules.c: monitor.rule.* and the rule evaluator (rules.h,
 * docs/monitoring.md "Rules").
 *
 * The evaluator runs on the ticker thread only, so its caches (the rules,
 * the per (rule, scope) states, the anomaly baselines) need no lock; the
 * listener thread only raises `reload` when a monitor_rule.changed event
 * arrives. Each action (fire, pause, recover) is one transaction on the
 * ticker's connection through a system rpc_call, the way
 * ledger/cdr_charges.c does it, so the alert, the pause, their audit rows,
 * events and notification jobs commit together.
 */
#include "rules.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "anomaly.h"
#include "kpi.h"
#include "log.h"
#include "monitor.h"
#include "rule_eval.h"
#include "timeutil.h"
#include "../routing/pauses.h"
#include "../rpc/entity.h"
#include "../system/ticker.h"

#define EVAL_TASK "monitor.rules"
#define MAX_ROUTE_PREFIXES 64         /* a route pause pauses at most this many prefixes */
#define BASELINE_TTL_USEC (600LL * 1000000)
#define FEED_GRACE_USEC (300LL * 1000000) /* the hourly feed runs in the first 5 minutes of an hour */

/* ---- the record ---- */

#define RULE_JSON                                                                                                 \
    "json_build_object('id', t.id, 'name', t.name, 'scope', t.scope, 'scope_id', t.scope_id, 'metric', t.metric," \
    " 'op', t.op, 'threshold', t.threshold, 'reset_threshold', t.reset_threshold, 'window', t.kpi_window,"        \
    " 'min_attempts', t.min_attempts, 'hold_seconds', t.hold_seconds, 'action', t.action, 'severity',"          \
    " t.severity, 'notify', t.notify, 'recovery', t.recovery, 'penalty_minutes', t.penalty_minutes,"             \
    " 'enabled', t.enabled, 'version', t.version, 'created_at', cdr_time(t.created_at), 'updated_at',"           \
    " cdr_time(t.updated_at))"

static const record_column rule_columns[] = {
    { "name", "name", COL_TEXT },
    { "scope", "scope", COL_TEXT },
    { "scope_id", "scope_id", COL_TEXT },
    { "metric", "metric", COL_TEXT },
    { "op", "op", COL_TEXT },
    /* ratios, seconds, ms or z-scores (not money): prepare rounds them to
     * 6 decimals */
    { "threshold", "threshold", COL_NUMBER },
    { "reset_threshold", "reset_threshold", COL_NUMBER },
    { "window", "kpi_window", COL_TEXT },
    { "min_attempts", "min_attempts", COL_INT },
    { "hold_seconds", "hold_seconds", COL_INT },
    { "action", "action", COL_TEXT },
    { "severity", "severity", COL_TEXT },
    { "notify", "notify", COL_JSONB },
    { "recovery", "recovery", COL_JSONB },
    { "penalty_minutes", "penalty_minutes", COL_INT },
    { "enabled", "enabled", COL_BOOL },
    { NULL },
};

static const record_spec rule_record = { "monitor_rule", "monitor_rules", RULE_JSON, rule_columns };

static const char *const scopes[] = { "interconnect", "route", "destination", "service", NULL };
static const char *const metrics[] = { "asr", "acd", "ner", "pdd", "attempts", NULL };
static const char *const ops[] = { "<", ">", "anomaly", NULL };
static const char *const windows[] = { "5m", "15m", "1h", "24h", NULL };
static const char *const actions[] = { "alert", "pause", "disable", NULL };
static const char *const severities[] = { "critical", "warning", "info", NULL };
static const char *const recovery_modes[] = { "auto", "manual", NULL };

static const char *get_str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static bool digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void check_notify(rpc_call *c, json_t *notify)
{
    size_t i;
    json_t *n;
    char field[32];
    json_array_foreach(notify, i, n) {
        snprintf(field, sizeof field, "notify[%zu]", i);
        if (json_is_string(n) && !strcmp(json_string_value(n), "console"))
            continue;
        json_t *email = json_object_get(n, "email"), *hook = json_object_get(n, "webhook");
        if (json_is_object(n) && json_object_size(n) == 1 && email) {
            json_t *list = json_is_array(email) ? email : NULL;
            bool good = json_is_string(email) || (list && json_array_size(list) >= 1 && json_array_size(list) <= 20);
            size_t k;
            json_t *e;
            if (list)
                json_array_foreach(list, k, e) good = good && json_is_string(e);
            if (json_is_string(email))
                good = strchr(json_string_value(email), '@') && json_string_length(email) <= 254;
            else if (good)
                json_array_foreach(list, k, e) good = good && strchr(json_string_value(e), '@') &&
                                                      json_string_length(e) <= 254;
            if (!good)
                rpc_field_error(c, field, "email must be an address or a list of 1 to 20 addresses");
            continue;
        }
        if (json_is_object(n) && json_object_size(n) == 1 && hook) {
            const char *u = json_string_value(hook);
            if (!u || json_string_length(hook) > 1000 || (strncmp(u, "https://", 8) && strncmp(u, "http://", 7)) ||
                strlen(u) < 10)
                rpc_field_error(c, field, "webhook must be an http(s) URL");
            continue;
        }
        rpc_field_error(c, field, "must be \"console\", {\"email\": ...} or {\"webhook\": \"https://...\"}");
    }
}

/* Field value after the change: the param when given, else before's. */
static json_t *merged(rpc_call *c, json_t *before, const char *k)
{
    json_t *v = json_object_get(c->params, k);
    return v ? v : json_object_get(before, k);
}

/* Rules across fields (create and update); completes the defaults that
 * depend on others and turns thresholds into text for the columns. */
static int rule_prepare(rpc_call *c, json_t *before)
{
    const char *scope = json_string_value(merged(c, before, "scope"));
    const char *metric = json_string_value(merged(c, before, "metric"));
    const char *op = json_string_value(merged(c, before, "op"));
    const char *action = json_string_value(merged(c, before, "action"));
    if (!action)
        action = "alert";
    json_t *sid = merged(c, before, "scope_id");
    json_t *thr = merged(c, before, "threshold"), *reset = merged(c, before, "reset_threshold");
    if (!json_is_number(thr))
        rpc_field_error(c, "threshold", "must be a number");
    if (reset && !json_is_null(reset) && !json_is_number(reset))
        rpc_field_error(c, "reset_threshold", "must be a number or null");
    if (c->err_code)
        return -1;
    double t = json_number_value(thr);
    bool has_reset = reset && json_is_number(reset);
    double r = has_reset ? json_number_value(reset) : t;
    bool ratio = !strcmp(metric, "asr") || !strcmp(metric, "ner");
    if (!strcmp(op, "anomaly")) {
        if (!(t > 0 && t <= 100))
            rpc_field_error(c, "threshold", "for op anomaly is a z-score above 0 (e.g. 3)");
        if (has_reset && !(r > 0 && r <= t))
            rpc_field_error(c, "reset_threshold", "for op anomaly must be above 0 and at most threshold");
        if (anomaly_metric_parse(metric) < 0)
            rpc_field_error(c, "metric", "has no anomaly baseline (asr, acd, ner or attempts)");
    } else {
        if (ratio && !(t >= 0 && t <= 1))
            rpc_field_error(c, "threshold", "for asr and ner is a fraction from 0 to 1");
        else if (!ratio && !(t >= 0 && t <= 1e9))
            rpc_field_error(c, "threshold", "must be from 0 to 1e9");
        if (has_reset && ratio && !(r >= 0 && r <= 1))
            rpc_field_error(c, "reset_threshold", "for asr and ner is a fraction from 0 to 1");
        else if (has_reset && !strcmp(op, "<") && r < t)
            rpc_field_error(c, "reset_threshold", "for op < must be at least threshold");
        else if (has_reset && !strcmp(op, ">") && r > t)
            rpc_field_error(c, "reset_threshold", "for op > must be at most threshold");
    }
    if (strcmp(action, "alert") && strcmp(scope, "interconnect") && strcmp(scope, "route"))
        rpc_field_error(c, "action", "pause and disable need scope interconnect or route");
    if (json_is_string(sid)) {
        const char *s = json_string_value(sid);
        const char *slash = strchr(s, '/');
        if ((!strcmp(scope, "interconnect") || !strcmp(scope, "service")) && !digits(s, strlen(s)))
            rpc_field_error(c, "scope_id", "must be the interconnect or service id, e.g. \"12\"");
        else if (!strcmp(scope, "route") && (!slash || !digits(s, (size_t)(slash - s)) || !slash[1]))
            rpc_field_error(c, "scope_id", "must be interconnect id/destination, e.g. \"12/United Kingdom\"");
    }
    json_t *notify = json_object_get(c->params, "notify");
    if (notify)
        check_notify(c, notify);
    json_t *rec = json_object_get(c->params, "recovery");
    if (rec && json_is_object(rec) && !strcmp(get_str(rec, "mode"), "auto") && !json_object_get(rec, "after_minutes"))
        json_object_set_new(rec, "after_minutes", json_integer(5));
    if (rec && !strcmp(get_str(rec, "mode"), "manual") && json_object_get(rec, "after_minutes"))
        rpc_field_error(c, "recovery.after_minutes", "only an auto recovery waits");
    if (c->err_code)
        return -1;
    if (!before && !json_object_get(c->params, "severity"))
        json_object_set_new(c->params, "severity", json_string(strcmp(action, "alert") ? "critical" : "warning"));
    char buf[40];
    if (json_object_get(c->params, "threshold")) {
        snprintf(buf, sizeof buf, "%.6f", t);
        json_object_set_new(c->params, "threshold", json_string(buf));
    }
    if (json_is_number(json_object_get(c->params, "reset_threshold"))) {
        snprintf(buf, sizeof buf, "%.6f", r);
        json_object_set_new(c->params, "reset_threshold", json_string(buf));
    }
    return 0;
}

static const list_sort rule_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { NULL, NULL, 0 },
};

static const list_filter rule_filters[] = {
    { "scope", "t.scope", LIST_TEXT, LIST_EQ, scopes },
    { "metric", "t.metric", LIST_TEXT, LIST_EQ, metrics },
    { "action", "t.action", LIST_TEXT, LIST_EQ, actions },
    { "enabled", "t.enabled", LIST_BOOL, LIST_EQ, NULL },
    { "q", "t.name", LIST_TEXT, LIST_SEARCH, NULL },
    { NULL, NULL, 0, 0, NULL },
};

static const list_spec rule_list_spec = {
    .from_sql = "monitor_rules t",
    .where_sql = "t.deleted_at IS NULL",
    .id_sql = "t.id",
    .sorts = rule_sorts,
    .default_sort = "name",
    .filters = rule_filters,
};

static const entity_kind rule_kind = { &rule_record, &rule_list_spec, NULL, CUSTOMER_NONE, rule_prepare };

/* Deleting a rule resolves its open alerts ("rule deleted"); pauses it
 * made stay until route.resume (resolving is not resuming). */
static int rule_delete(rpc_call *c)
{
    if (entity_delete(c))
        return -1;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", rpc_int(c, "id", 0));
    PGresult *r = rpc_query(c, "SELECT source, scope, scope_id FROM alerts WHERE rule_id = $1 AND state <> 'resolved'",
                            1, idt);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && !rc; i++)
        rc = alert_resolve(c, PQgetvalue(r, i, 0), rpc_int(c, "id", 0), PQgetvalue(r, i, 1), PQgetvalue(r, i, 2),
                           "rule deleted") < 0 ? -1 : 0;
    PQclear(r);
    return rc;
}

static const rpc_field recovery_fields[] = {
    { "mode", F_ENUM, F_REQUIRED, 0, 0, recovery_modes, NULL, F_ANY },
    { "after_minutes", F_INT, 0, 0, 10080, NULL, NULL, F_ANY },
    { NULL },
};

#define RULE_FIELDS(REQ)                                                                  \
    { "name", F_STRING, REQ, 1, 100, NULL, NULL, F_ANY },                                 \
    { "scope", F_ENUM, REQ, 0, 0, scopes, NULL, F_ANY },                                  \
    { "scope_id", F_STRING, F_NULLABLE, 1, 95, NULL, NULL, F_ANY },                       \
    { "metric", F_ENUM, REQ, 0, 0, metrics, NULL, F_ANY },                                \
    { "op", F_ENUM, REQ, 0, 0, ops, NULL, F_ANY },                                        \
    { "threshold", F_ANY, REQ, 0, 0, NULL, NULL, F_ANY },                                 \
    { "reset_threshold", F_ANY, F_NULLABLE, 0, 0, NULL, NULL, F_ANY },                    \
    { "window", F_ENUM, 0, 0, 0, windows, NULL, F_ANY },                                  \
    { "min_attempts", F_INT, 0, 1, 1000000, NULL, NULL, F_ANY },                          \
    { "hold_seconds", F_INT, 0, 0, 86400, NULL, NULL, F_ANY },                            \
    { "action", F_ENUM, 0, 0, 0, actions, NULL, F_ANY },                                  \
    { "severity", F_ENUM, 0, 0, 0, severities, NULL, F_ANY },                             \
    { "notify", F_ARRAY, 0, 0, 20, NULL, NULL, F_ANY },                                   \
    { "recovery", F_OBJECT, 0, 0, 0, NULL, recovery_fields, F_ANY },                      \
    { "penalty_minutes", F_INT, 0, 0, 10080, NULL, NULL, F_ANY },                         \
    { "enabled", F_BOOL, 0, 0, 0, NULL, NULL, F_ANY }

static const rpc_field create_params[] = {
    RULE_FIELDS(F_REQUIRED),
    { NULL },
};

static const rpc_field update_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL, NULL, F_ANY },
    { "version", F_INT, F_REQUIRED, 1, 0, NULL, NULL, F_ANY },
    RULE_FIELDS(0),
    { NULL },
};

static const rpc_field id_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL, NULL, F_ANY },
    { NULL },
};

static const rpc_field delete_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL, NULL, F_ANY },
    { "version", F_INT, F_REQUIRED, 1, 0, NULL, NULL, F_ANY },
    { NULL },
};

static const rpc_field list_params[] = {
    LIST_PARAMS,
    { NULL },
};

const rpc_method monitor_rule_methods[] = {
    { "monitor.rule.create", entity_create, ROLES_ADMIN, RPC_MUTATES, create_params, &rule_kind },
    { "monitor.rule.get", entity_get, ROLES_STAFF, 0, id_params, &rule_kind },
    { "monitor.rule.update", entity_update, ROLES_ADMIN, RPC_MUTATES, update_params, &rule_kind },
    { "monitor.rule.delete", rule_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &rule_kind },
    { "monitor.rule.list", entity_list, ROLES_STAFF, 0, list_params, &rule_kind },
    { NULL },
};

/* ---- the evaluator's caches (ticker thread only) ---- */

typedef struct {
    long long id;
    int version;
    char name[101];
    int scope;                    /* kpi_scope */
    char scope_id[KPI_ID_MAX + 1];/* "" = every scope of the kind */
    char metric[12];
    char op;                      /* '<', '>' or 'a' (anomaly) */
    double threshold, reset;
    int window;                   /* kpi_window */
    long long min_attempts;
    int64_t hold_usec;
    char action[10];
    char severity[10];
    json_t *notify;
    bool auto_recovery;
    long long after_minutes, penalty_minutes;
    bool enabled;
} rule_def;

typedef struct {
    long long rule_id;
    char scope_id[KPI_ID_MAX + 1];
    rule_state st;
    bool paused;                  /* we hold the pause(s) of this state */
    bool suppressed;              /* a person resumed our pause: not again until the figure clears */
    int64_t paused_at;
    char prefixes[MAX_ROUTE_PREFIXES][33]; /* route scope: the prefixes paused; [0][0] == 0: the interconnect */
    int nprefixes;
    unsigned long seen_run;       /* the evaluator run that last judged it */
} eval_state;

static const dt_config *config;
static atomic_bool reload = true;
static _Atomic int64_t last_run;   /* start of the last evaluation (poke_sink reads it) */
static rule_def *rules;
static size_t nrules;
static eval_state *states;
static size_t nstates, capstates;
static bool restored;
static unsigned long run_no;       /* evaluator runs */

static const rpc_session system_session = { .role = ROLE_SUPER_ADMIN, .username = "system",
                                            .actor_kind = "system" };

void rules_observe_changed(json_t *data)
{
    (void)data;
    atomic_store(&reload, true);
}

static int64_t minute_usec(void)
{
    return (int64_t)(config ? config->monitor_minute_ms : 60000) * 1000;
}

static void free_rules(void)
{
    for (size_t i = 0; i < nrules; i++)
        json_decref(rules[i].notify);
    free(rules);
    rules = NULL;
    nrules = 0;
}

static int load_rules(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT id, version, name, scope, coalesce(scope_id, ''), metric, op, threshold,"
                             " coalesce(reset_threshold, threshold), kpi_window, min_attempts, hold_seconds, action,"
                             " severity, notify::text, recovery->>'mode', coalesce((recovery->>'after_minutes')::int, 0),"
                             " penalty_minutes, enabled FROM monitor_rules WHERE deleted_at IS NULL ORDER BY id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("monitor rules: cannot load: %s", PQerrorMessage(db));
        PQclear(r);
        return -1;
    }
    size_t n = (size_t)PQntuples(r);
    rule_def *v = calloc(n ? n : 1, sizeof *v);
    if (!v) {
        PQclear(r);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        rule_def *d = &v[i];
        int row = (int)i;
        d->id = atoll(PQgetvalue(r, row, 0));
        d->version = atoi(PQgetvalue(r, row, 1));
        snprintf(d->name, sizeof d->name, "%s", PQgetvalue(r, row, 2));
        d->scope = kpi_scope_parse(PQgetvalue(r, row, 3));
        snprintf(d->scope_id, sizeof d->scope_id, "%s", PQgetvalue(r, row, 4));
        snprintf(d->metric, sizeof d->metric, "%s", PQgetvalue(r, row, 5));
        d->op = !strcmp(PQgetvalue(r, row, 6), "anomaly") ? 'a' : PQgetvalue(r, row, 6)[0];
        d->threshold = atof(PQgetvalue(r, row, 7));
        d->reset = atof(PQgetvalue(r, row, 8));
        d->window = kpi_window_parse(PQgetvalue(r, row, 9));
        d->min_attempts = atoll(PQgetvalue(r, row, 10));
        d->hold_usec = atoll(PQgetvalue(r, row, 11)) * 1000000;
        snprintf(d->action, sizeof d->action, "%s", PQgetvalue(r, row, 12));
        snprintf(d->severity, sizeof d->severity, "%s", PQgetvalue(r, row, 13));
        d->notify = json_loads(PQgetvalue(r, row, 14), 0, NULL);
        d->auto_recovery = !strcmp(PQgetvalue(r, row, 15), "auto");
        d->after_minutes = atoll(PQgetvalue(r, row, 16));
        d->penalty_minutes = atoll(PQgetvalue(r, row, 17));
        d->enabled = PQgetvalue(r, row, 18)[0] == 't';
        if (d->scope < 0 || d->window < 0)
            d->enabled = false;
    }
    PQclear(r);
    free_rules();
    rules = v;
    nrules = n;
    return 0;
}

static rule_def *rule_by_id(long long id)
{
    for (size_t i = 0; i < nrules; i++)
        if (rules[i].id == id)
            return &rules[i];
    return NULL;
}

/* Room for item n of an array of cap items of size bytes (the capacity
 * doubles, from first): the array, perhaps moved, or NULL when out of
 * memory (the old one and *cap unchanged). */
static void *reserve(void *items, size_t n, size_t *cap, size_t size, size_t first)
{
    if (n < *cap)
        return items;
    size_t c = *cap ? *cap * 2 : first;
    void *p = realloc(items, c * size);
    if (p)
        *cap = c;
    return p;
}

static eval_state *state_of(long long rule_id, const char *scope_id, bool create)
{
    for (size_t i = 0; i < nstates; i++)
        if (states[i].rule_id == rule_id && !strcmp(states[i].scope_id, scope_id))
            return &states[i];
    if (!create)
        return NULL;
    eval_state *n = reserve(states, nstates, &capstates, sizeof *states, 64);
    if (!n)
        return NULL;
    states = n;
    eval_state *s = &states[nstates++];
    memset(s, 0, sizeof *s);
    s->rule_id = rule_id;
    snprintf(s->scope_id, sizeof s->scope_id, "%s", scope_id);
    return s;
}

/* States of rules that are gone or changed are dropped (their alerts stay
 * as they are: a deleted rule's are resolved by monitor.rule.delete). */
static void sweep_states(void)
{
    size_t k = 0;
    for (size_t i = 0; i < nstates; i++)
        if (rule_by_id(states[i].rule_id))
            states[k++] = states[i];
    nstates = k;
}

static long long interconnect_of(int scope, const char *scope_id)
{
    return scope == KPI_INTERCONNECT || scope == KPI_ROUTE ? atoll(scope_id) : 0;
}

static const char *source_of(const rule_def *d)
{
    return d->op == 'a' ? "anomaly" : "rule";
}

/* After a restart: open alerts of rules are firing states again, and the
 * active pauses a rule made (actor_kind "rule", actor the rule's name) are
 * theirs. */
static int restore(PGconn *db)
{
    PGresult *r = PQexec(db, "SELECT a.rule_id, a.scope_id, (extract(epoch FROM a.fired_at) * 1000000)::bigint"
                             " FROM alerts a WHERE a.state <> 'resolved' AND a.rule_id IS NOT NULL"
                             " AND a.source IN ('rule', 'anomaly')");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("monitor rules: cannot read open alerts: %s", PQerrorMessage(db));
        PQclear(r);
        return -1;
    }
    for (int i = 0; i < PQntuples(r); i++) {
        rule_def *d = rule_by_id(atoll(PQgetvalue(r, i, 0)));
        if (!d)
            continue;
        eval_state *s = state_of(d->id, PQgetvalue(r, i, 1), true);
        if (!s)
            break;
        s->st.firing = true;
        if (!strcmp(d->action, "alert"))
            continue;
        char ic[24];
        snprintf(ic, sizeof ic, "%lld", interconnect_of(d->scope, s->scope_id));
        const char *p[2] = { ic, d->name };
        PGresult *q = PQexecParams(db,
                                   "SELECT coalesce(prefix, ''), (extract(epoch FROM created_at) * 1000000)::bigint"
                                   " FROM route_pauses WHERE interconnect_id = $1 AND actor_kind = 'rule'"
                                   " AND actor = $2 AND resumed_at IS NULL",
                                   2, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q) > 0) {
            s->paused = true;
            s->paused_at = atoll(PQgetvalue(q, 0, 1));
            for (int k = 0; k < PQntuples(q) && k < MAX_ROUTE_PREFIXES; k++)
                snprintf(s->prefixes[s->nprefixes++], 33, "%s", PQgetvalue(q, k, 0));
        }
        PQclear(q);
    }
    PQclear(r);
    return 0;
}

/* ---- anomaly baselines: one row of 168 cells per (scope, id, metric),
 * loaded from monitor_baselines when a rule first needs it ---- */

typedef struct {
    int scope;
    char scope_id[KPI_ID_MAX + 1];
    int metric;                   /* anomaly_metric */
    int64_t loaded_at;
    anomaly_cell cells[ANOMALY_HOURS];
} baseline;

static baseline *baselines;
static size_t nbaselines, capbaselines;

static baseline *baseline_of(PGconn *db, int scope, const char *scope_id, int metric, int64_t now)
{
    baseline *b = NULL;
    for (size_t i = 0; i < nbaselines; i++)
        if (baselines[i].scope == scope && baselines[i].metric == metric && !strcmp(baselines[i].scope_id, scope_id)) {
            b = &baselines[i];
            break;
        }
    if (b && now - b->loaded_at < BASELINE_TTL_USEC)
        return b;
    if (!b) {
        baseline *n = reserve(baselines, nbaselines, &capbaselines, sizeof *baselines, 16);
        if (!n)
            return NULL;
        baselines = n;
        b = &baselines[nbaselines++];
        b->scope = scope;
        b->metric = metric;
        snprintf(b->scope_id, sizeof b->scope_id, "%s", scope_id);
    }
    memset(b->cells, 0, sizeof b->cells);
    b->loaded_at = now;
    const char *p[3] = { kpi_scope_names[scope], scope_id, anomaly_metric_names[metric] };
    PGresult *r = PQexecParams(db,
                               "SELECT hour_of_week, mean, variance, samples FROM monitor_baselines"
                               " WHERE scope = $1 AND scope_id = $2 AND metric = $3",
                               3, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
        for (int i = 0; i < PQntuples(r); i++) {
            int h = atoi(PQgetvalue(r, i, 0));
            if (h >= 0 && h < ANOMALY_HOURS)
                b->cells[h] = (anomaly_cell){ atof(PQgetvalue(r, i, 1)), atof(PQgetvalue(r, i, 2)),
                                              (uint32_t)atol(PQgetvalue(r, i, 3)) };
        }
    } else {
        log_error("monitor rules: cannot read baselines: %s", PQerrorMessage(db));
    }
    PQclear(r);
    return b;
}

static double figure(int metric, const kpi_counts *c)
{
    switch (metric) {
    case ANOMALY_ASR: return kpi_asr(c);
    case ANOMALY_ACD: return kpi_acd(c);
    case ANOMALY_NER: return kpi_ner(c);
    default: return (double)c->attempts;
    }
}

/* Feed the closed hour's figures (the 1h window read in the first minutes
 * of the next hour) into the baselines, once per hour across instances
 * (last_hour). */
static int feed_baselines(PGconn *db, int64_t now)
{
    static int64_t fed_hour = -1;
    int64_t hour = now / (3600LL * 1000000);
    if (fed_hour < 0)
        fed_hour = hour; /* the hour we started in is not complete here */
    if (hour <= fed_hour)
        return 0;
    fed_hour = hour;
    if (now - hour * 3600LL * 1000000 > FEED_GRACE_USEC)
        return 0;
    kpi_table *k = monitor_kpi_table();
    if (!k)
        return 0;
    int64_t closed = (hour - 1) * 3600;
    int how = anomaly_hour_of_week(closed);
    char howt[8], hourt[40];
    snprintf(howt, sizeof howt, "%d", how);
    time_format_rfc3339(closed * 1000000, hourt, sizeof hourt);
    PGresult *r = PQexec(db, "BEGIN");
    PQclear(r);
    int fed = 0;
    for (int kind = 0; kind < KPI_SCOPE_KINDS; kind++) {
        kpi_item *v = NULL;
        size_t n = kpi_snapshot(k, (kpi_scope)kind, KPI_1H, now, &v);
        if (n == (size_t)-1)
            continue;
        for (size_t i = 0; i < n; i++) {
            for (int m = 0; m < ANOMALY_METRICS; m++) {
                if (m == ANOMALY_ACD && !v[i].c.answered)
                    continue;
                anomaly_params ap = anomaly_params_of((anomaly_metric)m);
                const char *p[4] = { kpi_scope_names[kind], v[i].scope_id, anomaly_metric_names[m], howt };
                PGresult *q = PQexecParams(db,
                    "SELECT mean, variance, samples, last_hour >= $5::timestamptz FROM monitor_baselines"
                    " WHERE scope = $1 AND scope_id = $2 AND metric = $3 AND hour_of_week = $4 FOR UPDATE",
                    5, NULL, (const char *[]){ p[0], p[1], p[2], p[3], hourt }, NULL, NULL, 0);
                anomaly_cell cell = { 0, 0, 0 };
                bool done = false;
                if (PQresultStatus(q) == PGRES_TUPLES_OK && PQntuples(q)) {
                    cell = (anomaly_cell){ atof(PQgetvalue(q, 0, 0)), atof(PQgetvalue(q, 0, 1)),
                                           (uint32_t)atol(PQgetvalue(q, 0, 2)) };
                    done = PQgetvalue(q, 0, 3)[0] == 't';
                }
                PQclear(q);
                if (done)
                    continue;
                anomaly_update(&cell, figure(m, &v[i].c), &ap);
                char mean[40], var[40], samples[16];
                snprintf(mean, sizeof mean, "%.17g", cell.mean);
                snprintf(var, sizeof var, "%.17g", cell.var);
                snprintf(samples, sizeof samples, "%u", cell.n);
                const char *u[8] = { p[0], p[1], p[2], p[3], mean, var, samples, hourt };
                q = PQexecParams(db,
                    "INSERT INTO monitor_baselines (scope, scope_id, metric, hour_of_week, mean, variance, samples,"
                    " last_hour) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                    " ON CONFLICT (scope, scope_id, metric, hour_of_week) DO UPDATE SET mean = EXCLUDED.mean,"
                    " variance = EXCLUDED.variance, samples = EXCLUDED.samples, last_hour = EXCLUDED.last_hour",
                    8, NULL, u, NULL, NULL, 0);
                PQclear(q);
                fed++;
            }
        }
        free(v);
    }
    r = PQexec(db, "COMMIT");
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        log_error("monitor rules: feeding baselines: %s", PQerrorMessage(db));
        return -1;
    }
    for (size_t i = 0; i < nbaselines; i++)
        baselines[i].loaded_at = 0; /* read again when next needed */
    log_info("monitor rules: %d baseline cell(s) fed for hour of week %d", fed, how);
    return 0;
}

/* ---- acting ---- */

static const char *metric_label(const char *m)
{
    return !strcmp(m, "asr") ? "ASR" : !strcmp(m, "acd") ? "ACD" : !strcmp(m, "ner") ? "NER" : !strcmp(m, "pdd") ? "PDD"
                                                                                                           : "attempts";
}

static void format_value(const char *metric, double x, char *buf, size_t n)
{
    if (!strcmp(metric, "asr") || !strcmp(metric, "ner"))
        snprintf(buf, n, "%.4f", x);
    else if (!strcmp(metric, "acd"))
        snprintf(buf, n, "%.1f", x);
    else
        snprintf(buf, n, "%.0f", x);
}

typedef struct {
    double value;
    uint64_t attempts;
    bool anomaly;
    double mean, sd, z;
    int how;
} observation;

/* The prefixes a route scope pauses: the interconnect's supplier deck's
 * rates of that destination (currently effective). */
static int route_prefixes(rpc_call *c, long long ic, const char *dest, eval_state *s)
{
    char icbuf[24];
    snprintf(icbuf, sizeof icbuf, "%lld", ic);
    PGresult *r = rpc_query(c,
                            "SELECT DISTINCT r.prefix FROM interconnects i JOIN rates r"
                            " ON r.rating_plan_id = i.supplier_rating_plan_id"
                            " WHERE i.id = $1 AND r.destination = $2 AND r.effective_from <= now()"
                            " AND (r.effective_to IS NULL OR r.effective_to > now()) AND length(r.prefix) <= 32"
                            " ORDER BY 1 LIMIT " "64",
                            2, icbuf, dest);
    if (!r)
        return -1;
    s->nprefixes = 0;
    for (int i = 0; i < PQntuples(r) && i < MAX_ROUTE_PREFIXES; i++)
        snprintf(s->prefixes[s->nprefixes++], 33, "%s", PQgetvalue(r, i, 0));
    PQclear(r);
    return 0;
}

static int pause_scope(rpc_call *c, const rule_def *d, eval_state *s, const char *reason)
{
    long long ic = interconnect_of(d->scope, s->scope_id);
    if (d->scope == KPI_INTERCONNECT) {
        s->nprefixes = 1;
        s->prefixes[0][0] = 0;
    } else if (route_prefixes(c, ic, strchr(s->scope_id, '/') + 1, s)) {
        return -1;
    }
    int mine = 0; /* keep only the pauses we set: one that existed is not ours to lift */
    for (int i = 0; i < s->nprefixes; i++) {
        int rc = route_pause_set(c, ic, s->prefixes[i][0] ? s->prefixes[i] : NULL, reason, "rule");
        if (rc < 0)
            return -1;
        if (rc == 0 && mine != i)
            memcpy(s->prefixes[mine], s->prefixes[i], sizeof s->prefixes[mine]);
        if (rc == 0)
            mine++;
    }
    s->nprefixes = mine;
    s->paused = mine > 0;
    return 0;
}

static int unpause_scope(rpc_call *c, const rule_def *d, eval_state *s)
{
    long long ic = interconnect_of(d->scope, s->scope_id);
    for (int i = 0; i < s->nprefixes; i++)
        if (route_pause_clear(c, ic, s->prefixes[i][0] ? s->prefixes[i] : NULL) < 0)
            return -1;
    return 0;
}

/* Is any of our pauses still active, and made by a rule? */
static bool pause_still_active(PGconn *db, const rule_def *d, eval_state *s)
{
    char ic[24];
    snprintf(ic, sizeof ic, "%lld", interconnect_of(d->scope, s->scope_id));
    for (int i = 0; i < s->nprefixes; i++) {
        const char *p[2] = { ic, s->prefixes[i][0] ? s->prefixes[i] : NULL };
        PGresult *r = PQexecParams(db,
                                   "SELECT 1 FROM route_pauses WHERE interconnect_id = $1 AND prefix IS NOT DISTINCT"
                                   " FROM $2 AND resumed_at IS NULL AND actor_kind = 'rule'",
                                   2, NULL, p, NULL, NULL, 0);
        bool active = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) > 0; /* on error: assume yes */
        PQclear(r);
        if (active)
            return true;
    }
    return false;
}

/* One transaction on the ticker's connection as the rule (the pause's
 * actor is the rule's name). step: STEP_FIRE, STEP_STILL or STEP_RECOVER. */
static int act(PGconn *db, const rule_def *d, eval_state *s, rule_step_result step, const observation *o)
{
    rpc_session sess = system_session;
    snprintf(sess.username, sizeof sess.username, "%.63s", d->name);
    snprintf(sess.actor_kind, sizeof sess.actor_kind, "system");
    rpc_call c = { .db = db, .session = &sess, .method = EVAL_TASK, .peer = "ticker", .cfg = config };
    if (rpc_begin(&c))
        goto failed;
    const char *scope = kpi_scope_names[d->scope];
    char value[32], threshold[32], message[400], reason[200];
    format_value(d->metric, o->value, value, sizeof value);
    if (d->op == 'a')
        snprintf(threshold, sizeof threshold, "%g", d->threshold);
    else
        format_value(d->metric, d->threshold, threshold, sizeof threshold);
    int rc = 0;
    if (step == STEP_RECOVER) {
        if (s->paused)
            rc = unpause_scope(&c, d, s);
        if (!rc)
            rc = alert_resolve(&c, source_of(d), d->id, scope, s->scope_id, "recovered") < 0 ? -1 : 0;
    } else {
        json_t *details = json_pack("{s:s, s:I, s:s}", "window", kpi_window_names[d->window], "attempts",
                                    (json_int_t)o->attempts, "action", d->action);
        char hourname[16];
        if (o->anomaly) {
            char mean[32], sd[32];
            anomaly_hour_name(o->how, hourname, sizeof hourname);
            format_value(d->metric, o->mean, mean, sizeof mean);
            format_value(d->metric, o->sd, sd, sizeof sd);
            json_object_set_new(details, "baseline_mean", json_real(o->mean));
            json_object_set_new(details, "baseline_stddev", json_real(o->sd));
            json_object_set_new(details, "observed", json_real(o->value));
            json_object_set_new(details, "z", json_real(round(o->z * 100) / 100));
            json_object_set_new(details, "hour_of_week", json_integer(o->how));
            snprintf(message, sizeof message, "%s %s vs %s \xc2\xb1 %s usual for %s, z = %.1f (%s %s, rule '%s')",
                     metric_label(d->metric), value, mean, sd, hourname, o->z, kpi_scope_names[d->scope],
                     s->scope_id, d->name);
        } else {
            snprintf(message, sizeof message, "rule '%s': %s %s %s %s over %s (%llu attempts) on %s %s", d->name,
                     d->metric, value, d->op == '<' ? "<" : ">", threshold, kpi_window_names[d->window],
                     (unsigned long long)o->attempts, scope, s->scope_id);
        }
        if (step == STEP_FIRE && strcmp(d->action, "alert") && !s->suppressed) {
            snprintf(reason, sizeof reason, "%.199s", message);
            rc = pause_scope(&c, d, s, reason);
            if (!rc && s->paused) {
                s->paused_at = time_now_usec();
                json_object_set_new(details, "paused", json_true());
            }
        }
        if (!rc && step == STEP_FIRE) {
            alert_spec a = { source_of(d), d->id, scope, s->scope_id, interconnect_of(d->scope, s->scope_id),
                             d->severity, d->metric, value, threshold, message, details, d->notify };
            rc = alert_fire(&c, &a) < 0 ? -1 : 0;
        } else if (!rc) {
            /* refresh only an open alert: one a person resolved stays resolved while the breach lasts */
            char rule[24];
            snprintf(rule, sizeof rule, "%lld", d->id);
            PGresult *r = rpc_query(&c,
                                    "UPDATE alerts SET count = count + 1, last_seen_at = now(), value = $5"
                                    " WHERE source = $1 AND rule_id = $2 AND scope = $3 AND scope_id = $4"
                                    " AND state <> 'resolved'",
                                    5, source_of(d), rule, scope, s->scope_id, value);
            rc = r ? 0 : -1;
            PQclear(r);
        }
        json_decref(details);
    }
    if (rc) {
        rpc_rollback(&c);
        goto failed;
    }
    if (rpc_commit(&c))
        goto failed;
    json_decref(c.err_data);
    return 0;
failed:
    log_error("monitor rules: rule %lld on %s: %s", d->id, s->scope_id, c.err_message[0] ? c.err_message : "failed");
    json_decref(c.err_data);
    return -1;
}

/* Does the key still have an open alert? (manual recovery: once a person
 * resolved it and the figure is fine again, the state goes quiet) */
static bool alert_open(PGconn *db, const rule_def *d, const eval_state *s)
{
    char rule[24];
    snprintf(rule, sizeof rule, "%lld", d->id);
    const char *p[4] = { source_of(d), rule, kpi_scope_names[d->scope], s->scope_id };
    PGresult *r = PQexecParams(db,
                               "SELECT 1 FROM alerts WHERE source = $1 AND rule_id = $2 AND scope = $3 AND"
                               " scope_id = $4 AND state <> 'resolved'",
                               4, NULL, p, NULL, NULL, 0);
    bool open = PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) > 0;
    PQclear(r);
    return open;
}

/* Judge one scope of a rule. */
static void evaluate(PGconn *db, const rule_def *d, const char *scope_id, const kpi_counts *c, int64_t now)
{
    observation o = { .attempts = c->attempts };
    rule_judgement j = JUDGE_NONE;
    int am = anomaly_metric_parse(d->metric);
    if (d->op == 'a') {
        if (am < 0 || c->attempts < (uint64_t)d->min_attempts)
            j = JUDGE_NONE;
        else {
            baseline *b = baseline_of(db, d->scope, scope_id, am, now);
            anomaly_params ap = anomaly_params_of((anomaly_metric)am);
            o.how = anomaly_hour_of_week(now / 1000000);
            o.value = figure(am, c);
            if (am == ANOMALY_ATTEMPTS) /* attempts per hour, whatever the window */
                o.value = o.value * 3600e6 / (double)(kpi_bucket_usec((kpi_window)d->window) *
                                                       kpi_bucket_count((kpi_window)d->window));
            if (b && anomaly_z(&b->cells[o.how], o.value, &ap, &o.z)) {
                o.anomaly = true;
                o.mean = b->cells[o.how].mean;
                o.sd = anomaly_stddev(&b->cells[o.how], &ap);
                j = anomaly_flags(o.z, d->threshold, &ap)  ? JUDGE_BREACH
                    : anomaly_flags(o.z, d->reset, &ap)    ? JUDGE_BAND
                                                           : JUDGE_OK;
            }
        }
    } else {
        bool attempts_metric = !strcmp(d->metric, "attempts");
        if (!strcmp(d->metric, "pdd"))
            o.value = c->pdd_n ? kpi_pdd_avg(c) : NAN;
        else if (attempts_metric)
            o.value = (double)c->attempts;
        else
            o.value = am >= 0 ? figure(am, c) : NAN;
        if (!strcmp(d->metric, "acd") && !c->answered)
            o.value = NAN;
        j = rule_judge(d->op, o.value, d->threshold, d->reset, attempts_metric ? UINT64_MAX : c->attempts,
                       (uint64_t)d->min_attempts);
    }
    eval_state *s = state_of(d->id, scope_id, j == JUDGE_BREACH);
    if (!s)
        return;
    s->seen_run = run_no;
    /* Probation: our own pause stops the traffic, so the window drains and
     * the figure can never come back. Once fewer than min_attempts are left
     * it counts as recovered: after after_minutes (and the penalty) the
     * pause is lifted, and if the route is still bad the new traffic
     * breaches again. */
    if (s->paused && s->st.firing && c->attempts < (uint64_t)d->min_attempts)
        j = JUDGE_OK;
    int64_t recover = d->auto_recovery ? d->after_minutes * minute_usec() : INT64_MAX;
    rule_step_result step = rule_step(&s->st, j, now, d->hold_usec, recover);
    if (j == JUDGE_OK)
        s->suppressed = false;
    if (s->paused && s->st.firing && !pause_still_active(db, d, s)) {
        /* a person resumed it: not again until the figure clears and breaches anew */
        s->paused = false;
        s->suppressed = true;
    }
    if (step == STEP_RECOVER && !strcmp(d->action, "disable") && s->paused &&
        now - s->paused_at < d->penalty_minutes * minute_usec())
        return; /* the penalty holds; asked again next run */
    if (step == STEP_NONE) {
        if (j == JUDGE_OK && !d->auto_recovery && s->st.firing && !alert_open(db, d, s) && !s->paused)
            rule_recovered(&s->st);
        return;
    }
    if (act(db, d, s, step, &o)) {
        if (step == STEP_FIRE)
            s->st.firing = false; /* try again next run */
        return;
    }
    if (step == STEP_RECOVER) {
        rule_recovered(&s->st);
        s->paused = false;
        s->nprefixes = 0;
    }
}

static int tick(void *ud, PGconn *db)
{
    (void)ud;
    static int64_t loaded_at;
    int64_t now = time_now_usec();
    atomic_store(&last_run, now);
    if (now - loaded_at > 10LL * 1000000) /* belt and braces, as events may be missed */
        atomic_store(&reload, true);
    if (atomic_exchange(&reload, false)) {
        loaded_at = now;
        if (load_rules(db)) {
            atomic_store(&reload, true);
            return -1;
        }
        sweep_states();
    }
    if (!restored) {
        if (restore(db))
            return -1;
        restored = true;
    }
    feed_baselines(db, now);
    kpi_table *k = monitor_kpi_table();
    if (!k)
        return 0;
    run_no++;
    for (size_t i = 0; i < nrules; i++) {
        const rule_def *d = &rules[i];
        if (!d->enabled)
            continue;
        if (d->scope_id[0]) {
            kpi_counts c;
            kpi_get(k, (kpi_scope)d->scope, d->scope_id, (kpi_window)d->window, now, &c);
            evaluate(db, d, d->scope_id, &c, now);
            continue;
        }
        kpi_item *v = NULL;
        size_t n = kpi_snapshot(k, (kpi_scope)d->scope, (kpi_window)d->window, now, &v);
        if (n == (size_t)-1)
            continue;
        for (size_t m = 0; m < n; m++)
            evaluate(db, d, v[m].scope_id, &v[m].c, now);
        free(v);
        /* scopes that left the snapshot (no attempts in the window) while
         * the rule holds a pause on them: judged with empty figures, for
         * the probation above (evaluate may grow states: index, not pointer) */
        for (size_t m = 0; m < nstates; m++) {
            if (states[m].rule_id != d->id || states[m].seen_run == run_no || !states[m].paused)
                continue;
            char id[KPI_ID_MAX + 1];
            snprintf(id, sizeof id, "%s", states[m].scope_id);
            kpi_counts c;
            kpi_get(k, (kpi_scope)d->scope, id, (kpi_window)d->window, now, &c);
            evaluate(db, d, id, &c, now);
        }
    }
    return 0;
}

/* A CDR sink registered after monitor.c's (the KPI windows have the batch
 * already): ask the ticker to evaluate as soon as it is free rather than at
 * its next interval, so a breach is judged within milliseconds of the
 * batch that made it. Not when a run started less than POKE_SPACING_USEC
 * ago: a poked task runs before overdue ones, and a stream of batches must
 * not keep the ticker from its other tasks. Such a batch is judged at the
 * next poke or interval (at most monitor_eval_ms later). */
#define POKE_SPACING_USEC (50LL * 1000)
static int poke_sink(void *ud, rpc_call *c, const cdr_rated *cdrs, size_t n)
{
    (void)ud, (void)c, (void)cdrs;
    if (n && time_now_usec() - atomic_load(&last_run) >= POKE_SPACING_USEC)
        ticker_poke(EVAL_TASK);
    return 0;
}

int rules_init(const dt_config *cfg)
{
    config = cfg;
    if (webhook_init(cfg) || cdr_sink_register(poke_sink, NULL))
        return -1;
    return ticker_add(EVAL_TASK, cfg ? cfg->monitor_eval_ms : 1000, tick, NULL);
}
