#include "events.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonrpc.h"
#include "log.h"
#include "../db/db.h"
#include "../monitor/monitor.h"
#include "../monitor/rules.h"
#include "../rating/rating_engine.h"
#include "../monitor/probes.h"
#include "../routing/pauses.h"
#include "../routing/route_index.h"
#include "../routing/route_world.h"
#include "../ledger/ledger.h"

#define CHANNEL "didtron_events"
#define MAX_NOTIFY_BYTES 7900

/* Later issues add their topics here (alert.fired, ticket.created, ...). */
static const event_topic topics[] = {
    { "user.created", ROLES_ADMIN },
    { "user.updated", ROLES_ADMIN },
    { "audit.recorded", ROLES_ADMIN },
    { "carrier.changed", ROLES_ANY },      /* customers: their own carrier only */
    { "contact.changed", ROLES_ANY },
    { "interconnect.changed", ROLES_ANY },
    { "service.changed", ROLES_ANY },
    { "credit_alert.changed", ROLES_ANY },
    { "category.changed", ROLES_STAFF },
    { "group.changed", ROLES_STAFF },
    { "trunk_group.changed", ROLES_STAFF },
    { "blacklist.changed", ROLES_STAFF },
    { "release_cause_mapping.changed", ROLES_STAFF },
    { "assignment.changed", ROLES_STAFF },
    { "ledger.posted", ROLES_ANY },        /* {id, kind, carrier_id, side, amount, currency}; customers: theirs */
    { "credit.alert", ROLES_ANY },         /* a credit alert crossed its threshold; customers: theirs */
    { "rating_plan.changed", ROLES_STAFF },
    { "rating_plan.import_progress", ROLES_STAFF }, /* posted with rpc_emit_now: this instance only */
    { "cdr.ingested", ROLES_STAFF },       /* per batch: {accepted, duplicates, rejected} */
    { "invoice.created", ROLES_ANY },      /* any document issued: {id, number, type, ...}; customers: theirs */
    { "invoice.voided", ROLES_ANY },       /* {id, number, type, carrier_id}; customers: theirs */
    { "fx.updated", ROLES_STAFF },         /* rates changed: a refresh {source, as_of, changed, currencies} or fx.set */
    { "job.changed", ROLES_ADMIN },        /* {id, kind, state}; from workers too (server/jobs) */
    { "route.paused", ROLES_STAFF },       /* {id, interconnect_id, prefix, reason, actor, actor_kind} */
    { "route.resumed", ROLES_STAFF },      /* {id, interconnect_id, prefix, reason, actor} */
    { "routing_plan.changed", ROLES_STAFF }, /* {id, action, version[, prefix]}: plan or entries changed */
    { "probe.changed", ROLES_STAFF },      /* {interconnect_id, state, previous, target, last_status, last_reason, rtt_ms} */
    { "kb_article.changed", ROLES_STAFF }, /* {id, action, version}: a knowledge-base article (server/support/kb.c) */
    { "ticket.created", ROLES_ANY },      /* {id, number, carrier_id, ...}; customers: theirs */
    { "ticket.updated", ROLES_ANY },      /* {id, number, change, ...}, never a body; notes: staff only (carrier 0) */
    { "ticket.sla_warning", ROLES_STAFF }, /* {id, number, target, state, due_at} */
    { "ticket_category.changed", ROLES_STAFF },
    { "team.changed", ROLES_STAFF },
    { "assignment_rule.changed", ROLES_STAFF },
    { "sla_policy.changed", ROLES_STAFF },
    { "monitor.kpi", ROLES_STAFF },        /* 1 Hz KPI deltas, built per connection by server/net/server.c */
    { "alert.fired", ROLES_STAFF },        /* the alert.list item (server/monitor/alerts.c) */
    { "alert.acknowledged", ROLES_STAFF }, /* {id, acknowledged_by, acknowledged_at} */
    { "alert.resolved", ROLES_STAFF },     /* {id, resolution, resolved_by, resolved_at} */
    { "monitor_rule.changed", ROLES_STAFF }, /* {id, action, version} */
};
#define NTOPICS ((int)(sizeof topics / sizeof topics[0]))
_Static_assert(sizeof topics / sizeof topics[0] <= 64, "one bit per topic");

int event_topic_index(const char *name)
{
    for (int i = 0; name && i < NTOPICS; i++)
        if (!strcmp(topics[i].name, name))
            return i;
    return -1;
}

const event_topic *event_topic_at(int i)
{
    return i >= 0 && i < NTOPICS ? &topics[i] : NULL;
}

bool event_visible(const event_msg *m, const rpc_session *s)
{
    const event_topic *t = event_topic_at(m->topic);
    if (!t || s->role == ROLE_NONE || !(t->roles & s->role))
        return false;
    if (s->role == ROLE_CUSTOMER)
        return m->carrier_id != 0 && m->carrier_id == s->carrier_id;
    return true;
}

static int notify(rpc_call *c, json_t *payload)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    json_decref(payload);
    if (!text)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (strlen(text) > MAX_NOTIFY_BYTES) {
        log_error("%s: event of %zu bytes is too large for NOTIFY", c->method, strlen(text));
        free(text);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    PGresult *r = rpc_query(c, "SELECT pg_notify('" CHANNEL "', $1)", 1, text);
    free(text);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

int rpc_emit(rpc_call *c, const char *topic, json_t *data, long long carrier_id)
{
    int idx = event_topic_index(topic);
    if (idx < 0) {
        log_error("%s: emit of unknown topic %s", c->method, topic);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    c->emitted |= 1ULL << idx;
    return notify(c, json_pack("{s:s, s:I, s:O}", "t", topic, "c", (json_int_t)carrier_id,
                               "d", data ? data : json_null()));
}

int rpc_revoke_sessions(rpc_call *c, long long user_id, long long session_id)
{
    return notify(c, json_pack("{s:s, s:I, s:I}", "t", "_revoke", "u", (json_int_t)user_id,
                               "s", (json_int_t)session_id));
}

/* ---- listener thread ---- */

static pthread_t thread;
static bool running;
static atomic_bool accepting; /* the service thread takes what is queued */
static int stop_pipe[2] = { -1, -1 };
static char *conninfo_copy;
static void (*wake_fn)(void);
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static event_msg *qhead, *qtail;

/* What this instance does itself when a topic's event arrives — from any
 * instance, this one included — besides fanning it out. Runs on the
 * listener thread. */
static void routing_plan_changed(json_t *d)
{
    long long id = (long long)json_integer_value(json_object_get(d, "id"));
    json_t *v = json_object_get(d, "version");
    const char *action = json_string_value(json_object_get(d, "action"));
    if (!json_is_integer(v) || (action && !strcmp(action, "delete")))
        route_index_invalidate(id);
    else
        route_index_stale(id, (long long)json_integer_value(v));
}

static void rating_plan_changed(json_t *d)
{
    long long id = (long long)json_integer_value(json_object_get(d, "id"));
    json_t *v = json_object_get(d, "version");
    const char *action = json_string_value(json_object_get(d, "action"));
    if (!json_is_integer(v) || (action && !strcmp(action, "delete"))) /* a delete names the version before it */
        rating_deck_invalidate(id);
    else
        rating_deck_stale(id, (long long)json_integer_value(v));
}

/* A change route lookups' snapshot of the hierarchy holds (route_world.h). */
static void world_changed(json_t *d)
{
    (void)d;
    route_world_invalidate();
}

/* A change that may turn a customer's credit verdict (ledger.h). */
static void credit_changed(json_t *d)
{
    (void)d;
    ledger_credit_verdicts_forget();
}

/* at_commit: the instance that emitted the topic also runs fn at its own
 * commit (events_committed), before the event comes back through LISTEN,
 * so it reads its own writes; the event still runs it again on arrival. */
static const struct {
    const char *topic;
    void (*fn)(json_t *data);
    bool at_commit;
} observers[] = {
    { "carrier.changed", world_changed, true },    /* route lookups' snapshot (route_world.h) */
    { "interconnect.changed", world_changed, true },
    { "service.changed", world_changed, true },
    { "trunk_group.changed", world_changed, true },
    { "blacklist.changed", world_changed, true },
    { "routing_plan.changed", world_changed, true },
    { "fx.updated", world_changed, true },
    { "carrier.changed", credit_changed, true },   /* route lookups' credit verdicts (ledger.h) */
    { "ledger.posted", credit_changed, true },
    { "cdr.ingested", credit_changed, true },
    { "rating_plan.changed", rating_plan_changed, false },
    { "route.paused", pauses_observe_paused, false }, /* every instance keeps the active pauses */
    { "route.resumed", pauses_observe_resumed, false },
    { "routing_plan.changed", routing_plan_changed, false },
    { "monitor_rule.changed", rules_observe_changed, false }, /* the evaluator reloads its rules */
    { "interconnect.changed", probes_observe_interconnect, false }, /* the probe targets */
};
#define NOBSERVERS (sizeof observers / sizeof observers[0])

/* The topic index of each observer, found once. */
static int observer_topic[NOBSERVERS];
static pthread_once_t observer_once = PTHREAD_ONCE_INIT;

static void observer_topics(void)
{
    for (size_t i = 0; i < NOBSERVERS; i++)
        observer_topic[i] = event_topic_index(observers[i].topic);
}

void events_committed(uint64_t emitted)
{
    if (!emitted)
        return;
    pthread_once(&observer_once, observer_topics);
    for (size_t i = 0; i < NOBSERVERS; i++)
        if (observers[i].at_commit && observer_topic[i] >= 0 && (emitted >> observer_topic[i] & 1))
            observers[i].fn(NULL);
}

/* And when events may have been missed (the listener reconnected). */
static void events_missed(void)
{
    route_world_invalidate();
    ledger_credit_verdicts_forget();
    rating_deck_invalidate_all();
    pauses_reload_soon();
    route_index_invalidate_all();
}

void event_msg_free(event_msg *m)
{
    if (m) {
        free(m->text);
        free(m);
    }
}

event_msg *events_take(void)
{
    pthread_mutex_lock(&qlock);
    event_msg *m = qhead;
    qhead = qtail = NULL;
    pthread_mutex_unlock(&qlock);
    return m;
}

static void queue(event_msg *m)
{
    pthread_mutex_lock(&qlock);
    if (qtail)
        qtail->next = m;
    else
        qhead = m;
    qtail = m;
    pthread_mutex_unlock(&qlock);
}

static event_msg *decode(const char *payload)
{
    json_t *j = json_loads(payload, 0, NULL);
    const char *t = json_string_value(json_object_get(j, "t"));
    event_msg *m = NULL;
    if (!t)
        goto out;
    m = calloc(1, sizeof *m);
    if (!m)
        goto out;
    if (!strcmp(t, "_revoke")) {
        m->topic = -1;
        m->revoke_user_id = (long long)json_integer_value(json_object_get(j, "u"));
        m->revoke_session_id = (long long)json_integer_value(json_object_get(j, "s"));
        goto out;
    }
    m->topic = event_topic_index(t);
    for (size_t i = 0; i < NOBSERVERS; i++)
        if (!strcmp(observers[i].topic, t))
            observers[i].fn(json_object_get(j, "d"));
    m->carrier_id = (long long)json_integer_value(json_object_get(j, "c"));
    m->text = rpc_event_dump(t, json_object_get(j, "d"));
    if (m->topic < 0 || !m->text) {
        event_msg_free(m);
        m = NULL;
    } else {
        m->len = strlen(m->text);
    }
out:
    json_decref(j);
    return m;
}

static PGconn *listen_connect(void)
{
    char err[512];
    PGconn *db = db_connect(conninfo_copy, err, sizeof err);
    if (!db) {
        log_warn("events: cannot connect: %s", err);
        return NULL;
    }
    PGresult *r = PQexec(db, "LISTEN " CHANNEL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        log_warn("events: LISTEN failed: %s", PQresultErrorMessage(r));
        PQclear(r);
        PQfinish(db);
        return NULL;
    }
    PQclear(r);
    return db;
}

static void *listener_main(void *arg)
{
    PGconn *db = arg;
    int backoff_ms = 100;
    for (;;) {
        if (!db) {
            struct pollfd p = { stop_pipe[0], POLLIN, 0 };
            if (poll(&p, 1, backoff_ms) > 0)
                break;
            backoff_ms = backoff_ms < 5000 ? backoff_ms * 2 : 5000;
            db = listen_connect();
            if (db) {
                log_info("events: listening again (events during the gap are lost)");
                events_missed();
            }
            continue;
        }
        backoff_ms = 100;
        struct pollfd p[2] = { { PQsocket(db), POLLIN, 0 }, { stop_pipe[0], POLLIN, 0 } };
        int n = poll(p, 2, 1000);
        if (n < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!PQconsumeInput(db) || PQstatus(db) != CONNECTION_OK) {
            log_warn("events: connection lost: %s", PQerrorMessage(db));
            PQfinish(db);
            db = NULL;
            continue;
        }
        int got = 0;
        PGnotify *nt;
        while ((nt = PQnotifies(db))) {
            event_msg *m = decode(nt->extra);
            if (m) {
                queue(m);
                got++;
            }
            PQfreemem(nt);
        }
        if (got && wake_fn)
            wake_fn();
    }
    if (db)
        PQfinish(db);
    return NULL;
}

int events_start(const char *conninfo, void (*wake)(void), char *err, size_t errlen)
{
    wake_fn = wake;
    conninfo_copy = strdup(conninfo);
    if (!conninfo_copy || pipe(stop_pipe)) {
        snprintf(err, errlen, "cannot start the event listener");
        return -1;
    }
    PGconn *db = listen_connect();
    if (!db) {
        snprintf(err, errlen, "cannot LISTEN for events");
        return -1;
    }
    if (pthread_create(&thread, NULL, listener_main, db)) {
        PQfinish(db);
        snprintf(err, errlen, "cannot start the event listener thread");
        return -1;
    }
    running = true;
    atomic_store(&accepting, true);
    return 0;
}

int rpc_emit_now(const char *topic, json_t *data, long long carrier_id)
{
    int idx = event_topic_index(topic);
    if (idx < 0) {
        log_error("emit of unknown topic %s", topic);
        return -1;
    }
    if (!atomic_load(&accepting))
        return 0; /* no listener, no subscribers (the command line) */
    event_msg *m = calloc(1, sizeof *m);
    if (!m || !(m->text = rpc_event_dump(topic, data ? data : json_null()))) {
        free(m);
        return -1;
    }
    m->topic = idx;
    m->carrier_id = carrier_id;
    m->len = strlen(m->text);
    queue(m);
    if (wake_fn)
        wake_fn();
    return 0;
}

void events_stop(void)
{
    atomic_store(&accepting, false);
    if (running) {
        ssize_t w = write(stop_pipe[1], "x", 1);
        (void)w;
        pthread_join(thread, NULL);
        running = false;
    }
    for (int i = 0; i < 2; i++) {
        if (stop_pipe[i] >= 0)
            close(stop_pipe[i]);
        stop_pipe[i] = -1;
    }
    event_msg *m = events_take();
    while (m) {
        event_msg *next = m->next;
        event_msg_free(m);
        m = next;
    }
    free(conninfo_copy);
    conninfo_copy = NULL;
}

/* ---- subscribe / unsubscribe (inline, WebSocket only) ---- */

static int change_subscriptions(rpc_call *c, bool add)
{
    event_subscriptions *subs = c->transport;
    json_t *list = json_object_get(c->params, "topics");
    size_t i;
    json_t *t;
    uint64_t bits = 0;
    json_array_foreach(list, i, t) {
        char field[32];
        snprintf(field, sizeof field, "topics[%zu]", i);
        int idx = event_topic_index(json_string_value(t));
        if (idx < 0) {
            rpc_field_error(c, field, "is not a known topic");
            continue;
        }
        if (add && !(topics[idx].roles & c->session->role)) {
            rpc_field_error(c, field, "is not allowed for your role");
            continue;
        }
        bits |= (uint64_t)1 << idx;
    }
    if (c->err_code)
        return -1;
    if (add)
        subs->mask |= bits;
    else
        subs->mask &= ~bits;
    json_t *now = json_array();
    for (int k = 0; k < NTOPICS; k++)
        if (subs->mask & ((uint64_t)1 << k))
            json_array_append_new(now, json_string(topics[k].name));
    c->result = json_pack("{s:o}", "topics", now);
    return 0;
}

static int subscribe(rpc_call *c) { return change_subscriptions(c, true); }
static int unsubscribe(rpc_call *c) { return change_subscriptions(c, false); }

static const rpc_field topics_params[] = {
    { "topics", F_ARRAY, F_REQUIRED, 0, 64, NULL },
    { "kpi", F_OBJECT, F_NULLABLE, 0, 0, NULL, monitor_kpi_sub_fields }, /* monitor.kpi filter (server.c) */
    { NULL },
};

const rpc_method event_methods[] = {
    { "subscribe", subscribe, ROLES_ANY, RPC_INLINE | RPC_WS_ONLY, topics_params },
    { "unsubscribe", unsubscribe, ROLES_ANY, RPC_INLINE | RPC_WS_ONLY, topics_params },
    { NULL },
};
