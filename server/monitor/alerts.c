/*
 * alerts.c: the alert lifecycle (alerts.h, docs/monitoring.md "Alerts").
 *
 * One row per alert in `alerts` (schema/0013_monitor_rules.sql). A unique
 * partial index on (source, coalesce(rule_id, 0), scope, scope_id) over
 * the open rows makes "one open alert per key" hold across instances:
 * alert_fire inserts with ON CONFLICT on it and, when one is open already,
 * refreshes it instead (count + 1, last value, last_seen_at) without an
 * event. Everything happens in the caller's transaction: the row, the
 * audit row, the event and the notification jobs commit together.
 */
#include "alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../audit/audit.h"
#include "../jobs/jobs.h"
#include "../rpc/list.h"

/* An alert as every reader sees it (alert.list items, alert.get, the
 * alert.fired event, the notification payloads). */
#define ALERT_ITEM                                                                                                  \
    "json_build_object('id', a.id, 'source', a.source, 'rule_id', a.rule_id, 'rule_name', mr.name, 'scope',"        \
    " a.scope, 'scope_id', a.scope_id, 'interconnect_id', a.interconnect_id, 'interconnect_name', ai.name,"         \
    " 'severity', a.severity, 'metric', a.metric, 'value', a.value, 'threshold', a.threshold, 'message',"          \
    " a.message, 'details', a.details, 'state', a.state, 'count', a.count, 'fired_at', cdr_time(a.fired_at),"     \
    " 'last_seen_at', cdr_time(a.last_seen_at), 'acknowledged_at', cdr_time(a.acknowledged_at),"                   \
    " 'acknowledged_by', a.acknowledged_by, 'resolved_at', cdr_time(a.resolved_at), 'resolved_by',"               \
    " a.resolved_by, 'resolution', a.resolution)"
#define ALERT_FROM                                                                                                  \
    "alerts a LEFT JOIN monitor_rules mr ON mr.id = a.rule_id LEFT JOIN interconnects ai ON ai.id = a.interconnect_id"

static const char *actor_of(rpc_call *c)
{
    return c->session && c->session->username[0] ? c->session->username : "system";
}

/* The alert as JSON (new reference), or NULL with -32004 / -32603 set. */
static json_t *alert_item(rpc_call *c, long long id)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT " ALERT_ITEM "::text FROM " ALERT_FROM " WHERE a.id = $1", 1, idt);
    if (!r)
        return NULL;
    json_t *item = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    int found = PQntuples(r);
    PQclear(r);
    if (!item)
        rpc_fail(c, found ? RPC_INTERNAL_ERROR : RPC_NOT_FOUND, found ? "internal error" : "no alert %lld", id);
    return item;
}

/* The notification jobs of a fired alert: {"email": "a@x" | [..]} ->
 * email.send, {"webhook": "https://..."} -> webhook.post, "console" ->
 * nothing more than the event. Unknown entries are skipped (the rule's
 * validation refuses them). */
static int queue_notifications(rpc_call *c, json_t *notify, json_t *item, long long id)
{
    size_t i;
    json_t *n;
    json_array_foreach(notify, i, n) {
        if (!json_is_object(n))
            continue;
        json_t *email = json_object_get(n, "email"), *hook = json_object_get(n, "webhook");
        json_t *payload = NULL;
        const char *kind = NULL;
        if (json_is_string(email) || json_is_array(email)) {
            json_t *to = json_is_array(email) ? json_incref(email) : json_pack("[O]", email);
            payload = json_pack("{s:s, s:o, s:O}", "template", "monitor_alert", "to", to, "alert", item);
            kind = "email.send";
        } else if (json_is_string(hook)) {
            payload = json_pack("{s:O, s:O}", "url", hook, "alert", item);
            kind = "webhook.post";
        }
        if (!kind)
            continue;
        if (!payload)
            return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        char key[64];
        snprintf(key, sizeof key, "alert:%lld:%zu", id, i);
        long long queued = rpc_job_enqueue(c, kind, payload, key);
        json_decref(payload);
        if (queued < 0)
            return -1;
    }
    return 0;
}

long long alert_fire(rpc_call *c, const alert_spec *a)
{
    char rule[24], ic[24];
    snprintf(rule, sizeof rule, "%lld", a->rule_id > 0 ? a->rule_id : 0);
    snprintf(ic, sizeof ic, "%lld", a->interconnect_id > 0 ? a->interconnect_id : 0);
    char *details = a->details ? json_dumps(a->details, JSON_COMPACT) : NULL;
    char *notify = a->notify ? json_dumps(a->notify, JSON_COMPACT) : NULL;
    char message[501];
    snprintf(message, sizeof message, "%s", a->message && a->message[0] ? a->message : a->metric);
    const char *params[12] = { a->source, rule, a->scope, a->scope_id, ic, a->severity ? a->severity : "warning",
                               a->metric, a->value, a->threshold, message, details, notify };
    PGresult *r = rpc_queryv(c,
        "INSERT INTO alerts (source, rule_id, scope, scope_id, interconnect_id, severity, metric, value, threshold,"
        " message, details, notify)"
        " VALUES ($1, NULLIF($2::bigint, 0), $3, $4, NULLIF($5::bigint, 0), $6, $7, $8, $9, $10,"
        "  coalesce($11::jsonb, '{}'), coalesce($12::jsonb, '[]'))"
        " ON CONFLICT (source, (coalesce(rule_id, 0)), scope, scope_id) WHERE state <> 'resolved'"
        " DO UPDATE SET count = alerts.count + 1, last_seen_at = now(), value = EXCLUDED.value,"
        "  message = EXCLUDED.message, details = EXCLUDED.details"
        " RETURNING id, xmax = 0",
        12, params);
    free(details);
    free(notify);
    if (!r)
        return -1;
    long long id = atoll(PQgetvalue(r, 0, 0));
    bool inserted = PQgetvalue(r, 0, 1)[0] == 't';
    PQclear(r);
    if (!inserted)
        return 0;
    json_t *item = alert_item(c, id);
    if (!item)
        return -1;
    int rc = audit_record(c, "fire", "alert", id, NULL, item);
    if (!rc)
        rc = rpc_emit(c, "alert.fired", item, 0);
    if (!rc && a->notify)
        rc = queue_notifications(c, a->notify, item, id);
    json_decref(item);
    return rc ? -1 : id;
}

/* Resolve alert row(s) chosen by where_sql ($1.. in params; the
 * resolution and the actor come last) and announce each. Returns how many. */
static int resolve_where(rpc_call *c, const char *where_sql, int nparams, const char **params)
{
    char sql[768];
    snprintf(sql, sizeof sql,
             "UPDATE alerts SET state = 'resolved', resolved_at = now(), resolved_by = $%d, resolution = $%d"
             " WHERE %s AND state <> 'resolved'"
             " RETURNING id, resolution, resolved_by, cdr_time(resolved_at), state",
             nparams + 2, nparams + 1, where_sql);
    params[nparams + 1] = actor_of(c);
    PGresult *r = rpc_queryv(c, sql, nparams + 2, params);
    if (!r)
        return -1;
    int n = PQntuples(r), rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        long long id = atoll(PQgetvalue(r, i, 0));
        json_t *ev = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)id, "resolution", PQgetvalue(r, i, 1),
                               "resolved_by", PQgetvalue(r, i, 2), "resolved_at", PQgetvalue(r, i, 3));
        rc = ev ? audit_record(c, "resolve", "alert", id, NULL, ev) : rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        if (!rc)
            rc = rpc_emit(c, "alert.resolved", ev, 0);
        json_decref(ev);
    }
    PQclear(r);
    return rc ? -1 : n;
}

int alert_resolve(rpc_call *c, const char *source, long long rule_id, const char *scope, const char *scope_id,
                  const char *how)
{
    char rule[24];
    snprintf(rule, sizeof rule, "%lld", rule_id > 0 ? rule_id : 0);
    const char *params[6] = { source, rule, scope, scope_id, how ? how : "recovered" };
    int n = resolve_where(c, "source = $1 AND coalesce(rule_id, 0) = $2::bigint AND scope = $3 AND scope_id = $4", 4,
                          params);
    return n < 0 ? -1 : n > 0 ? 1 : 0;
}

/* ---- methods ---- */

static const char *const alert_states[] = { "open", "fired", "acknowledged", "resolved", NULL };
static const char *const alert_sources[] = { "rule", "anomaly", "probe", NULL };

static const list_sort alert_sorts[] = {
    { "id", "a.id", LIST_INT },
    { NULL, NULL, 0 },
};

static const list_filter alert_filters[] = {
    { "state", "a.state", LIST_TEXT, LIST_EQ, NULL },
    { "open", "(a.state <> 'resolved')", LIST_BOOL, LIST_EQ, NULL },
    { "source", "a.source", LIST_TEXT, LIST_EQ, NULL },
    { "interconnect_id", "a.interconnect_id", LIST_INT, LIST_EQ, NULL },
    { "rule_id", "a.rule_id", LIST_INT, LIST_EQ, NULL },
    { NULL, NULL, 0, 0, NULL },
};

static const list_spec alert_list_spec = {
    .item_sql = ALERT_ITEM,
    .from_sql = ALERT_FROM,
    .id_sql = "a.id",
    .sorts = alert_sorts,
    .default_sort = "-id",
    .filters = alert_filters,
};

/* alert.list takes its filters at the top level ({state, source,
 * interconnect_id, rule_id}); the list helper reads them from "filter". */
static int alert_list(rpc_call *c)
{
    json_t *p = json_object(), *filter = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(c->params, key, v) {
        if (json_is_null(v))
            continue;
        if (!strcmp(key, "state") && !strcmp(json_string_value(v), "open"))
            json_object_set_new(filter, "open", json_true());
        else if (!strcmp(key, "state") || !strcmp(key, "source") || !strcmp(key, "interconnect_id") ||
                 !strcmp(key, "rule_id"))
            json_object_set(filter, key, v);
        else
            json_object_set(p, key, v);
    }
    json_object_set_new(p, "filter", filter);
    json_t *saved = c->params;
    c->params = p;
    int rc = rpc_list(c, &alert_list_spec, NULL, NULL);
    c->params = saved;
    json_decref(p);
    return rc;
}

static int alert_get(rpc_call *c)
{
    c->result = alert_item(c, rpc_int(c, "id", 0));
    return c->result ? 0 : -1;
}

/* The state of alert id, locked; "" with -32004 set when there is none. */
static int lock_state(rpc_call *c, long long id, char *state, size_t n)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT state FROM alerts WHERE id = $1 FOR UPDATE", 1, idt);
    if (!r)
        return -1;
    int found = PQntuples(r);
    snprintf(state, n, "%s", found ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    return found ? 0 : rpc_fail(c, RPC_NOT_FOUND, "no alert %lld", id);
}

static int alert_ack(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    char state[16], idt[24];
    if (lock_state(c, id, state, sizeof state))
        return -1;
    if (!strcmp(state, "resolved"))
        return rpc_fail(c, RPC_CONFLICT, "alert %lld is resolved", id);
    snprintf(idt, sizeof idt, "%lld", id);
    if (!strcmp(state, "fired")) {
        PGresult *r = rpc_query(c,
                                "UPDATE alerts SET state = 'acknowledged', acknowledged_at = now(), acknowledged_by = $2"
                                " WHERE id = $1 RETURNING cdr_time(acknowledged_at)",
                                2, idt, actor_of(c));
        if (!r)
            return -1;
        json_t *ev = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "acknowledged_by", actor_of(c),
                               "acknowledged_at", PQgetvalue(r, 0, 0));
        PQclear(r);
        json_t *after = json_deep_copy(ev);
        if (rpc_str(c, "note"))
            json_object_set_new(after, "note", json_string(rpc_str(c, "note")));
        int rc = audit_record(c, "acknowledge", "alert", id, NULL, after);
        if (!rc)
            rc = rpc_emit(c, "alert.acknowledged", ev, 0);
        json_decref(after);
        json_decref(ev);
        if (rc)
            return -1;
    }
    c->result = alert_item(c, id);
    return c->result ? 0 : -1;
}

static int alert_resolve_method(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    char state[16], idt[24], how[260];
    if (lock_state(c, id, state, sizeof state))
        return -1;
    if (!strcmp(state, "resolved"))
        return rpc_fail(c, RPC_CONFLICT, "alert %lld is resolved already", id);
    snprintf(idt, sizeof idt, "%lld", id);
    const char *note = rpc_str(c, "note");
    snprintf(how, sizeof how, "manual%s%.200s", note && note[0] ? ": " : "", note ? note : "");
    const char *params[3] = { idt, how };
    if (resolve_where(c, "id = $1::bigint", 1, params) < 0)
        return -1;
    c->result = alert_item(c, id);
    return c->result ? 0 : -1;
}

static const rpc_field list_params[] = {
    { "state", F_ENUM, F_NULLABLE, 0, 0, alert_states, NULL, F_ANY },
    { "source", F_ENUM, F_NULLABLE, 0, 0, alert_sources, NULL, F_ANY },
    { "interconnect_id", F_ID, F_NULLABLE, 0, 0, NULL, NULL, F_ANY },
    { "rule_id", F_ID, F_NULLABLE, 0, 0, NULL, NULL, F_ANY },
    { "sort", F_STRING, 0, 1, 64, NULL, NULL, F_ANY },
    { "limit", F_INT, 0, 1, 500, NULL, NULL, F_ANY },
    { "cursor", F_STRING, 0, 1, 512, NULL, NULL, F_ANY },
    { NULL },
};

static const rpc_field id_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL, NULL, F_ANY },
    { NULL },
};

static const rpc_field note_params[] = {
    { "id", F_ID, F_REQUIRED, 0, 0, NULL, NULL, F_ANY },
    { "note", F_STRING, F_NULLABLE, 0, 200, NULL, NULL, F_ANY },
    { NULL },
};

const rpc_method alert_methods[] = {
    { "alert.list", alert_list, ROLES_STAFF, 0, list_params, NULL },
    { "alert.get", alert_get, ROLES_STAFF, 0, id_params, NULL },
    { "alert.ack", alert_ack, ROLES_STAFF, RPC_MUTATES, note_params, NULL },
    { "alert.resolve", alert_resolve_method, ROLES_STAFF, RPC_MUTATES, note_params, NULL },
    { NULL },
};
