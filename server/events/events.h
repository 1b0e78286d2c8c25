/*
 * events: domain events to subscribed connections, across instances.
 *
 * A handler calls rpc_emit() inside its transaction; that is a
 * pg_notify('didtron_events', ...) so the event leaves only if the
 * transaction commits. Every instance (this one included) LISTENs on a
 * connection of its own in a listener thread and queues what arrives for
 * the service thread, which fans it out to the connections subscribed to
 * the topic, and allowed to see it. So an event travels one path whether it
 * was raised here or on another didtrond sharing the database.
 */
#ifndef DIDTRON_EVENTS_H
#define DIDTRON_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "../rpc/rpc.h"

/* The topics a client may subscribe to, and who may. */
typedef struct {
    const char *name;
    unsigned roles;
} event_topic;

/* Index of a topic name, or -1. At most 64 topics. */
int event_topic_index(const char *name);
const event_topic *event_topic_at(int i);

/* What a connection has subscribed to (one bit per topic index). */
typedef struct {
    uint64_t mask;
} event_subscriptions;

/* An event ready for fan-out: the encoded JSON-RPC notification. */
typedef struct event_msg {
    struct event_msg *next;
    int topic;               /* index, or -1 for an internal event */
    long long carrier_id;    /* 0 = not tied to one carrier */
    /* internal: revoke sessions */
    long long revoke_user_id, revoke_session_id;
    char *text;              /* owned */
    size_t len;
} event_msg;

/* Start the listener thread on its own connection; wake() is called (from
 * that thread) whenever events are queued. */
int events_start(const char *conninfo, void (*wake)(void), char *err, size_t errlen);
void events_stop(void);
/* Take everything queued (a list, oldest first); the caller frees each
 * with event_msg_free. */
event_msg *events_take(void);
void event_msg_free(event_msg *m);

/* May a session receive this event? Role of the topic, and tenant scope. */
bool event_visible(const event_msg *m, const rpc_session *s);

/* Queue an event for this instance's subscribers now, outside any
 * transaction and without PostgreSQL: for progress reports of work still
 * running (rating_plan.import_progress), which only the clients of the
 * instance doing the work see. Same visibility rules as rpc_emit; any
 * thread; data is borrowed. 0, or -1 (unknown topic, out of memory). */
int rpc_emit_now(const char *topic, json_t *data, long long carrier_id);

/* After the commit of a transaction that emitted these topics (a bit per
 * topic index; rpc_commit calls it): run this instance's own reactions to
 * them at once, before the events come back through LISTEN, so the
 * instance reads its own writes (route_world.h). */
void events_committed(uint64_t emitted);

/* Revoke sessions on every instance: a session by id, or all sessions of
 * a user (session_id 0). Rides the caller's transaction like rpc_emit. */
int rpc_revoke_sessions(rpc_call *c, long long user_id, long long session_id);

#endif
