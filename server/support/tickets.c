/*
 * tickets.c: ticket.create|get|list|reply|assign|status|tag|update|rate|
 * satisfaction — the support ticket and its conversation.
 *
 * Tenant scope: a customer user reads and writes only tickets of its own
 * carrier (-32004 for anything else) and never sees an internal note: the
 * JSON a customer gets is built from the public columns only (the list
 * preview comes from last_public_*, search from search_public), and every
 * event about a note is sent with carrier 0, which event_visible() shows to
 * staff only. No event ever carries a message body.
 *
 * Statuses and their changes are one table (transitions below). SLA
 * targets come from sla.c in the business time of the ticket's team.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sla.h"
#include "support.h"
#include "strbuf.h"
#include "../audit/audit.h"
#include "../jobs/jobs.h"
#include "../rpc/entity.h"
#include "../system/ticker.h"


static const char *const priorities[] = { "low", "normal", "high", "urgent", NULL };
static const char *const statuses[] = { "new", "open", "pending", "resolved", "closed", NULL };
static const char *const satisfaction_by[] = { "agent", "category", NULL };

/* from -> allowed to. closed is final. */
static const struct {
    const char *from;
    const char *to[5];
} transitions[] = {
    { "new", { "open", "pending", "resolved", "closed", NULL } },
    { "open", { "pending", "resolved", "closed", NULL } },
    { "pending", { "open", "resolved", "closed", NULL } },
    { "resolved", { "open", "closed", NULL } },
    { "closed", { NULL } },
};

static bool transition_ok(const char *from, const char *to)
{
    for (size_t i = 0; i < sizeof transitions / sizeof transitions[0]; i++)
        if (!strcmp(transitions[i].from, from))
            for (int k = 0; transitions[i].to[k]; k++)
                if (!strcmp(transitions[i].to[k], to))
                    return true;
    return false;
}

static bool is_customer(rpc_call *c)
{
    return c->session->role == ROLE_CUSTOMER;
}

/* ---- the ticket as JSON ---- */

#define TICKET_JSON(LAST)                                                                                   \
    "json_build_object('id', t.id, 'number', t.number, 'subject', t.subject, 'category_id', t.category_id," \
    " 'category', (SELECT name FROM ticket_categories WHERE id = t.category_id),"                          \
    " 'priority', t.priority, 'status', t.status, 'carrier_id', t.carrier_id,"                             \
    " 'carrier_name', (SELECT name FROM carriers WHERE id = t.carrier_id),"                                \
    " 'requester_id', t.requester_id, 'requester', (SELECT username FROM users WHERE id = t.requester_id),"\
    " 'assignee_id', t.assignee_id, 'assignee', (SELECT username FROM users WHERE id = t.assignee_id),"    \
    " 'team_id', t.team_id, 'team', (SELECT name FROM support_teams WHERE id = t.team_id),"                \
    " 'tags', to_jsonb(t.tags),"                                                                           \
    " 'first_response_due_at', " TS("t.first_response_due_at") ","                                         \
    " 'resolution_due_at', " TS("t.resolution_due_at") ","                                                 \
    " 'due_at', CASE WHEN t.due_at = 'infinity' THEN NULL ELSE " TS("t.due_at") " END,"                    \
    " 'first_response_at', " TS("t.first_response_at") ", 'resolved_at', " TS("t.resolved_at") ","         \
    " 'closed_at', " TS("t.closed_at") ", 'sla_breached', t.sla_breached,"                                 \
    " 'satisfaction', CASE WHEN t.rating IS NULL THEN NULL ELSE"                                           \
    "   json_build_object('score', t.rating, 'comment', t.rating_comment) END,"                            \
    " 'last_message', " LAST ","                                                                           \
    " 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ", 'version', t.version)"

#define LAST_STAFF                                                                                       \
    "CASE WHEN t.last_at IS NULL THEN NULL ELSE json_build_object('author', t.last_author, 'at', "        \
    TS("t.last_at") ", 'excerpt', t.last_excerpt, 'internal', t.last_internal) END"
#define LAST_CUSTOMER                                                                                    \
    "CASE WHEN t.last_public_at IS NULL THEN NULL ELSE json_build_object('author', t.last_public_author, 'at', " \
    TS("t.last_public_at") ", 'excerpt', t.last_public_excerpt, 'internal', false) END"
static const char ticket_json_staff[] = TICKET_JSON(LAST_STAFF);
static const char ticket_json_customer[] = TICKET_JSON(LAST_CUSTOMER);

/* One ticket, as the caller may see it: constant statements, $2 the
 * customer's carrier (0 for staff). */
#define TICKET_READ(JSON) "SELECT (" JSON ")::text FROM tickets t WHERE t.id = $1 AND ($2::bigint = 0 OR t.carrier_id = $2)"
static const char ticket_read_staff[] = TICKET_READ(TICKET_JSON(LAST_STAFF));
static const char ticket_read_customer[] = TICKET_READ(TICKET_JSON(LAST_CUSTOMER));


static const char *ticket_json(rpc_call *c)
{
    return is_customer(c) ? ticket_json_customer : ticket_json_staff;
}

static void idtext(char *buf, size_t n, long long v)
{
    snprintf(buf, n, "%lld", v);
}

/* A write's result, cleared: 0, or -1 when the query failed (error set). */
static int done(PGresult *r)
{
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* The bigint in the first column of the first row, `none` without rows,
 * -1 when the query failed (error set). Clears r. */
static long long first_value(PGresult *r, long long none)
{
    if (!r)
        return -1;
    long long v = PQntuples(r) ? atoll(PQgetvalue(r, 0, 0)) : none;
    PQclear(r);
    return v;
}

json_t *ticket_read(rpc_call *c, long long id)
{
    char idt[24], cid[24];
    idtext(idt, sizeof idt, id);
    idtext(cid, sizeof cid, is_customer(c) ? c->session->carrier_id : 0);
    PGresult *r = rpc_query(c, is_customer(c) ? ticket_read_customer : ticket_read_staff, 2, idt, cid);
    if (!r)
        return NULL;
    json_t *j = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    PQclear(r);
    if (!j)
        rpc_fail(c, RPC_NOT_FOUND, "no ticket %lld", id);
    return j;
}

int ticket_lock(rpc_call *c, long long id, long long version, ticket_row *t)
{
    char idt[24], cid[24];
    idtext(idt, sizeof idt, id);
    idtext(cid, sizeof cid, is_customer(c) ? c->session->carrier_id : 0);
    PGresult *r = rpc_query(c,
        "SELECT id, coalesce(carrier_id, 0), requester_id, coalesce(team_id, 0), version, status, number,"
        " paused_at IS NOT NULL FROM tickets WHERE id = $1 AND ($2::bigint = 0 OR carrier_id = $2) FOR UPDATE",
        2, idt, cid);
    if (!r)
        return -1;
    if (!PQntuples(r)) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no ticket %lld", id);
    }
    memset(t, 0, sizeof *t);
    t->id = atoll(PQgetvalue(r, 0, 0));
    t->carrier_id = atoll(PQgetvalue(r, 0, 1));
    t->requester_id = atoll(PQgetvalue(r, 0, 2));
    t->team_id = atoll(PQgetvalue(r, 0, 3));
    t->version = atoll(PQgetvalue(r, 0, 4));
    snprintf(t->status, sizeof t->status, "%s", PQgetvalue(r, 0, 5));
    snprintf(t->number, sizeof t->number, "%s", PQgetvalue(r, 0, 6));
    t->paused = PQgetvalue(r, 0, 7)[0] == 't';
    PQclear(r);
    if (version > 0 && version != t->version)
        return rpc_conflict_version(c, t->version);
    return 0;
}

int ticket_touch(rpc_call *c, long long id)
{
    char idt[24];
    idtext(idt, sizeof idt, id);
    return done(rpc_query(c, "UPDATE tickets SET version = version + 1, updated_at = now() WHERE id = $1", 1, idt));
}

int ticket_announce(rpc_call *c, const ticket_row *t, const char *change, bool staff_only)
{
    char idt[24];
    idtext(idt, sizeof idt, t->id);
    PGresult *r = rpc_query(c, "SELECT status, version FROM tickets WHERE id = $1", 1, idt);
    if (!r)
        return -1;
    json_t *ev = json_pack("{s:I, s:s, s:I, s:s, s:s, s:I}", "id", (json_int_t)t->id, "number", t->number,
                           "carrier_id", (json_int_t)t->carrier_id, "change", change, "status",
                           PQntuples(r) ? PQgetvalue(r, 0, 0) : t->status, "version",
                           (json_int_t)(PQntuples(r) ? atoll(PQgetvalue(r, 0, 1)) : t->version));
    PQclear(r);
    int rc = rpc_emit(c, "ticket.updated", ev, staff_only ? 0 : t->carrier_id);
    json_decref(ev);
    return rc;
}

/* ---- e-mail ---- */

/* Queue an email.send job to the requester (its user's e-mail, else the
 * carrier's contacts with an address); none, no e-mail. Never for notes:
 * callers only call this for public events. excerpt: a reply's body (the
 * first 200 characters go out as reply_excerpt) or NULL. */
static int ticket_email(rpc_call *c, long long id, const char *tmpl, const char *excerpt, const char *dedupe)
{
    char idt[24];
    idtext(idt, sizeof idt, id);
    PGresult *r = rpc_query(c,
        "SELECT CASE WHEN u.email <> '' THEN json_build_array(u.email)::text ELSE"
        "  (SELECT coalesce(json_agg(DISTINCT k.email), '[]')::text FROM carrier_contacts k"
        "   WHERE k.carrier_id = t.carrier_id AND k.deleted_at IS NULL AND k.email <> '') END,"
        " coalesce(ca.name, ''), t.number, t.subject, t.status, coalesce(nullif(u.display_name, ''), u.username),"
        " left($2, 200) FROM tickets t JOIN users u ON u.id = t.requester_id"
        " LEFT JOIN carriers ca ON ca.id = t.carrier_id WHERE t.id = $1", 2, idt, excerpt);
    if (!r)
        return -1;
    int rc = 0;
    json_t *to = PQntuples(r) ? json_loads(PQgetvalue(r, 0, 0), 0, NULL) : NULL;
    if (json_array_size(to) > 0) {
        json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s}", "ticket_number", PQgetvalue(r, 0, 2), "subject",
                                 PQgetvalue(r, 0, 3), "carrier_name", PQgetvalue(r, 0, 1), "status",
                                 PQgetvalue(r, 0, 4), "requester_name", PQgetvalue(r, 0, 5));
        json_object_set_new(vars, "ticket_id", json_integer(id));
        if (excerpt)
            json_object_set_new(vars, "reply_excerpt", json_string(PQgetvalue(r, 0, 6)));
        json_t *payload = json_pack("{s:s, s:O, s:o}", "template", tmpl, "to", to, "vars", vars);
        rc = rpc_job_enqueue(c, "email.send", payload, dedupe) < 0 ? -1 : 0;
        json_decref(payload);
    }
    json_decref(to);
    PQclear(r);
    return rc;
}

/* ---- SLA targets ---- */

/* The calendar of team_id (time zone and business hours), or Mon-Fri
 * 09:00-17:00 UTC without a team. tz receives the zone name. */
static int team_calendar(rpc_call *c, long long team_id, sla_calendar *cal, char *tz, size_t tzn)
{
    sla_calendar_init(cal);
    snprintf(tz, tzn, "UTC");
    const char *hours = "{\"mon\":{\"start\":\"09:00\",\"end\":\"17:00\"},\"tue\":{\"start\":\"09:00\",\"end\":"
                        "\"17:00\"},\"wed\":{\"start\":\"09:00\",\"end\":\"17:00\"},\"thu\":{\"start\":\"09:00\","
                        "\"end\":\"17:00\"},\"fri\":{\"start\":\"09:00\",\"end\":\"17:00\"}}";
    PGresult *r = NULL;
    if (team_id > 0) {
        char idt[24];
        idtext(idt, sizeof idt, team_id);
        r = rpc_query(c, "SELECT time_zone, business_hours::text FROM support_teams WHERE id = $1", 1, idt);
        if (!r)
            return -1;
        if (PQntuples(r)) {
            snprintf(tz, tzn, "%s", PQgetvalue(r, 0, 0));
            hours = PQgetvalue(r, 0, 1);
        }
    }
    char err[64];
    sla_calendar_parse(cal, hours, err, sizeof err); /* validated when the team was written */
    PQclear(r);
    sla_calendar_zone(cal, tz);
    return 0;
}

static void epoch_text(int64_t t, char *buf, size_t n)
{
    if (t == INT64_MAX)
        snprintf(buf, n, "infinity");
    else
        snprintf(buf, n, "%lld", (long long)t);
}

/* Compute and store the ticket's SLA targets from `start` (unix seconds)
 * with the policy for its priority and its carrier's customer category. */
static int ticket_set_targets(rpc_call *c, long long id, int64_t start)
{
    char idt[24];
    idtext(idt, sizeof idt, id);
    PGresult *r = rpc_query(c,
        "SELECT p.id, p.first_response_minutes, p.resolution_minutes, p.business_hours, coalesce(t.team_id, 0)"
        " FROM tickets t JOIN sla_policies p ON p.deleted_at IS NULL AND p.priority = t.priority"
        "  AND (p.customer_category_id IS NULL OR p.customer_category_id ="
        "       (SELECT category_id FROM carriers WHERE id = t.carrier_id))"
        " WHERE t.id = $1 ORDER BY p.customer_category_id NULLS LAST LIMIT 1", 1, idt);
    if (!r)
        return -1;
    if (!PQntuples(r)) {
        PQclear(r);
        r = rpc_query(c, "UPDATE tickets SET sla_policy_id = NULL, first_response_due_at = NULL,"
                         " resolution_due_at = NULL WHERE id = $1", 1, idt);
        if (!r)
            return -1;
        PQclear(r);
        return 0;
    }
    char policy[24];
    snprintf(policy, sizeof policy, "%s", PQgetvalue(r, 0, 0));
    long long fr = atoll(PQgetvalue(r, 0, 1)), res = atoll(PQgetvalue(r, 0, 2));
    bool business = PQgetvalue(r, 0, 3)[0] == 't';
    long long team = atoll(PQgetvalue(r, 0, 4));
    PQclear(r);
    sla_calendar cal;
    char tz[128];
    if (team_calendar(c, team, &cal, tz, sizeof tz))
        return -1;
    cal.always_open = !business;
    char frt[32], rest[32];
    epoch_text(sla_add_minutes(&cal, start, fr), frt, sizeof frt);
    epoch_text(sla_add_minutes(&cal, start, res), rest, sizeof rest);
    r = rpc_query(c,
        "UPDATE tickets SET sla_policy_id = $2,"
        " first_response_due_at = CASE WHEN $3 = 'infinity' THEN NULL ELSE to_timestamp($3::bigint) END,"
        " resolution_due_at = CASE WHEN $4 = 'infinity' THEN NULL ELSE to_timestamp($4::bigint) END WHERE id = $1",
        4, idt, policy, frt, rest);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* Leaving pending: the resolution target moves later by the business
 * time the ticket spent pending (the clock was paused). */
static int ticket_resume_clock(rpc_call *c, const ticket_row *t)
{
    if (!t->paused)
        return 0;
    char idt[24];
    idtext(idt, sizeof idt, t->id);
    PGresult *r = rpc_query(c,
        "SELECT extract(epoch FROM paused_at)::bigint, extract(epoch FROM now())::bigint,"
        " extract(epoch FROM resolution_due_at)::bigint, coalesce(p.business_hours, true)"
        " FROM tickets t LEFT JOIN sla_policies p ON p.id = t.sla_policy_id WHERE t.id = $1", 1, idt);
    if (!r)
        return -1;
    int64_t from = atoll(PQgetvalue(r, 0, 0)), to = atoll(PQgetvalue(r, 0, 1));
    bool has_due = !PQgetisnull(r, 0, 2);
    int64_t due = atoll(PQgetvalue(r, 0, 2));
    bool business = PQgetvalue(r, 0, 3)[0] == 't';
    PQclear(r);
    char dt[32] = "";
    if (has_due) {
        sla_calendar cal;
        char tz[128];
        if (team_calendar(c, t->team_id, &cal, tz, sizeof tz))
            return -1;
        cal.always_open = !business;
        int64_t paused = sla_business_seconds(&cal, from, to);
        /* the same business seconds added after the old target */
        int64_t moved = paused ? sla_add_minutes(&cal, due, (paused + 59) / 60) : due;
        epoch_text(moved, dt, sizeof dt);
    }
    r = rpc_query(c,
        "UPDATE tickets SET paused_at = NULL, resolution_due_at = CASE WHEN $2 = '' THEN resolution_due_at"
        " WHEN $2 = 'infinity' THEN NULL ELSE to_timestamp($2::bigint) END WHERE id = $1", 2, idt, dt);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

/* ---- checks ---- */

int support_is_staff(rpc_call *c, long long id)
{
    char idt[24];
    idtext(idt, sizeof idt, id);
    return (int)first_value(
        rpc_query(c, "SELECT 1 FROM users WHERE id = $1 AND role <> 'customer' AND NOT disabled", 1, idt), 0);
}

/* A live, enabled staff user (assignees). */
static int check_staff_user(rpc_call *c, const char *field, long long id)
{
    int staff = support_is_staff(c, id);
    if (staff < 0)
        return -1;
    return staff ? 0 : rpc_field_error(c, field, "is not an enabled staff user");
}

/* The category id of a name ("" = none), or -1 with a field error. */
static long long category_id(rpc_call *c, const char *name)
{
    long long id = first_value(rpc_query(c,
        "SELECT id FROM ticket_categories WHERE lower(name) = lower($1) AND deleted_at IS NULL"
        " AND (customer_visible OR $2 = 'f')", 2, name, is_customer(c) ? "t" : "f"), -1);
    if (id < 0 && !c->err_code)
        rpc_field_error(c, "category", "is not a ticket category");
    return id;
}

/* Round robin: the team's next member, under the team row's lock, so two
 * tickets created at once never get the same turn. 0 when no members. */
static long long team_next_member(rpc_call *c, long long team_id)
{
    char idt[24];
    idtext(idt, sizeof idt, team_id);
    return first_value(rpc_query(c,
        "UPDATE support_teams SET rr_cursor = (rr_cursor + 1) % greatest(jsonb_array_length(members), 1)"
        " WHERE id = $1 AND deleted_at IS NULL RETURNING coalesce((members->>rr_cursor)::bigint, 0)", 1, idt), 0);
}

/* The first matching assignment rule's team, 0 for none. */
static long long rule_team(rpc_call *c, long long category, const char *priority, long long carrier)
{
    char cat[24], car[24];
    idtext(cat, sizeof cat, category);
    idtext(car, sizeof car, carrier);
    return first_value(rpc_query(c,
        "SELECT r.team_id FROM ticket_assignment_rules r JOIN support_teams s ON s.id = r.team_id"
        " AND s.deleted_at IS NULL WHERE r.deleted_at IS NULL"
        " AND (r.category_id IS NULL OR r.category_id = $1::bigint)"
        " AND (r.priority IS NULL OR r.priority = $2)"
        " AND (r.carrier_group_id IS NULL OR r.carrier_group_id = (SELECT group_id FROM carriers WHERE id = $3::bigint))"
        " ORDER BY r.position, r.id LIMIT 1", 3, cat, priority, car), 0);
}

/* After a write to ticket t: read it again, audit the change from before
 * (not taken), announce it to the ticket's carrier and make it the
 * result. 0, or -1 with the error set. */
static int ticket_changed(rpc_call *c, const ticket_row *t, const char *action, json_t *before)
{
    json_t *after = ticket_read(c, t->id);
    if (!after || audit_record(c, action, "ticket", t->id, before, after) || ticket_announce(c, t, action, false)) {
        json_decref(after);
        return -1;
    }
    c->result = after;
    return 0;
}

static int check_tags(rpc_call *c, const char *name);

/* ---- ticket.create ---- */

static int ticket_create(rpc_call *c)
{
    bool customer = is_customer(c);
    const char *priority = rpc_str(c, "priority") ? rpc_str(c, "priority") : "normal";
    long long carrier = rpc_int(c, "carrier_id", 0);
    long long assignee = rpc_int(c, "assignee_id", 0), team = rpc_int(c, "team_id", 0);
    json_t *tags = json_object_get(c->params, "tags");
    if (customer) {
        if (carrier && carrier != c->session->carrier_id)
            rpc_field_error(c, "carrier_id", "a customer opens tickets for its own carrier only");
        carrier = c->session->carrier_id;
        if (assignee)
            rpc_field_error(c, "assignee_id", "is set by support staff");
        if (team)
            rpc_field_error(c, "team_id", "is set by support staff");
        if (tags)
            rpc_field_error(c, "tags", "are set by support staff");
        if (c->err_code)
            return -1;
    } else {
        check_tags(c, "tags");
        entity_ref(c, "carrier_id", "carriers", NULL, json_object_get(c->params, "carrier_id"));
        if (assignee)
            check_staff_user(c, "assignee_id", assignee);
        entity_ref(c, "team_id", "support_teams", NULL, json_object_get(c->params, "team_id"));
    }
    long long category = 0;
    if (rpc_str(c, "category"))
        category = category_id(c, rpc_str(c, "category"));
    if (c->err_code)
        return -1;
    if (!team && (team = rule_team(c, category, priority, carrier)) < 0)
        return -1;
    /* round robin, skipping members disabled (or no longer staff) since
     * the team was written; at most one lap (teams have <= 100 members) */
    for (int lap = 0; !assignee && team && lap < 100; lap++) {
        long long next = team_next_member(c, team);
        if (next <= 0) {
            if (next < 0)
                return -1;
            break;
        }
        int staff = support_is_staff(c, next);
        if (staff < 0)
            return -1;
        if (staff)
            assignee = next;
    }

    PGresult *r = rpc_query(c, "UPDATE ticket_counter SET last = last + 1 RETURNING last", 0);
    if (!r)
        return -1;
    char number[24];
    snprintf(number, sizeof number, "T-%06lld", atoll(PQgetvalue(r, 0, 0)));
    PQclear(r);

    char car[24], ass[24], tm[24], cat[24], req[24];
    idtext(car, sizeof car, carrier);
    idtext(ass, sizeof ass, assignee);
    idtext(tm, sizeof tm, team);
    idtext(cat, sizeof cat, category);
    idtext(req, sizeof req, c->session->user_id);
    char *tags_text = tags ? json_dumps(tags, JSON_COMPACT) : NULL;
    const char *subject = rpc_str(c, "subject"), *body = rpc_str(c, "body");
    const char *params[] = { number, subject, cat, priority, car, req, ass, tm, tags_text ? tags_text : "[]", body,
                             c->session->username };
    r = rpc_queryv(c,
        "INSERT INTO tickets (number, subject, category_id, priority, carrier_id, requester_id, assignee_id, team_id,"
        " tags, last_at, last_author, last_excerpt, last_internal, last_public_at, last_public_author,"
        " last_public_excerpt, search_public, search_all)"
        " SELECT $1, $2, nullif($3::bigint, 0), $4, nullif($5::bigint, 0), $6, nullif($7::bigint, 0),"
        " nullif($8::bigint, 0), ARRAY(SELECT DISTINCT jsonb_array_elements_text($9::jsonb) ORDER BY 1),"
        " now(), $11, left($10, 200), false, now(), $11, left($10, 200), v, v"
        " FROM (SELECT to_tsvector('simple', $2 || ' ' || $10) AS v) s"
        " RETURNING id, extract(epoch FROM created_at)::bigint", 11, params);
    free(tags_text);
    if (!r)
        return -1;
    long long id = atoll(PQgetvalue(r, 0, 0));
    int64_t created = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    char idt[24];
    idtext(idt, sizeof idt, id);
    r = rpc_query(c, "INSERT INTO ticket_messages (ticket_id, author_id, author, body) VALUES ($1, $2, $3, $4)", 4,
                  idt, req, c->session->username, body);
    if (!r)
        return -1;
    PQclear(r);
    if (ticket_set_targets(c, id, created))
        return -1;
    json_t *after = ticket_read(c, id);
    if (!after)
        return -1;
    int rc = -1;
    char key[64];
    snprintf(key, sizeof key, "ticket_created:%lld", id);
    json_t *ev = json_pack("{s:I, s:s, s:O, s:s, s:s, s:O, s:O}", "id", (json_int_t)id, "number", number,
                           "carrier_id", json_object_get(after, "carrier_id"), "priority", priority, "status", "new",
                           "team_id", json_object_get(after, "team_id"), "assignee_id",
                           json_object_get(after, "assignee_id"));
    if (audit_record(c, "create", "ticket", id, NULL, after) || rpc_emit(c, "ticket.created", ev, carrier) ||
        ticket_email(c, id, "ticket_created", NULL, key))
        goto out;
    c->result = json_incref(after);
    rc = 0;
out:
    json_decref(ev);
    json_decref(after);
    return rc;
}

/* ---- ticket.get ---- */

static int ticket_get(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    json_t *t = ticket_read(c, id);
    if (!t)
        return -1;
    char idt[24];
    idtext(idt, sizeof idt, id);
    const char *pub = is_customer(c) ? "t" : "f";
    PGresult *r = rpc_query(c,
        "SELECT coalesce(json_agg(json_build_object('id', m.id, 'author_id', m.author_id, 'author', m.author,"
        " 'body', m.body, 'internal', m.internal, 'created_at', " TS("m.created_at") ","
        " 'attachments', (SELECT coalesce(json_agg(" ATTACHMENT_JSON " ORDER BY a.id), '[]')"
        "   FROM ticket_attachments a WHERE a.message_id = m.id)) ORDER BY m.id), '[]')::text,"
        " (SELECT coalesce(json_agg(" ATTACHMENT_JSON " ORDER BY a.id), '[]')::text FROM ticket_attachments a"
        "   WHERE a.ticket_id = $1 AND a.message_id IS NULL AND NOT (a.internal AND $2 = 't'))"
        " FROM ticket_messages m WHERE m.ticket_id = $1 AND NOT (m.internal AND $2 = 't')", 2, idt, pub);
    if (!r) {
        json_decref(t);
        return -1;
    }
    json_object_set_new(t, "messages", json_loads(PQgetvalue(r, 0, 0), 0, NULL));
    json_object_set_new(t, "attachments", json_loads(PQgetvalue(r, 0, 1), 0, NULL));
    PQclear(r);
    c->result = t;
    return 0;
}

/* ---- ticket.list ---- */

static const list_sort ticket_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "number", "t.number", LIST_TEXT },
    { "priority", "t.priority_rank", LIST_INT },
    { "due", "t.due_at", LIST_TIME },
    { "updated", "t.updated_at", LIST_TIME },
    { "created", "t.created_at", LIST_TIME },
    { NULL },
};

/* With a full-text filter the matches come from the GIN index, and are
 * bounded by it; the same sorts as expressions no btree matches keep the
 * planner from walking a sort index and filtering every row (a plan that
 * is fast for common words and very slow for rare ones). */
static const list_sort ticket_sorts_q[] = {
    { "id", "(t.id + 0)", LIST_INT },
    { "number", "(t.number || '')", LIST_TEXT },
    { "priority", "(t.priority_rank + 0)", LIST_INT },
    { "due", "(t.due_at + interval '0 s')", LIST_TIME },
    { "updated", "(t.updated_at + interval '0 s')", LIST_TIME },
    { "created", "(t.created_at + interval '0 s')", LIST_TIME },
    { NULL },
};

static const list_filter ticket_filters[] = {
    { "priority", "t.priority", LIST_TEXT, LIST_EQ, priorities },
    { "status", "t.status", LIST_TEXT, LIST_EQ, statuses },
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "assignee_id", "t.assignee_id", LIST_INT, LIST_EQ },
    { "team_id", "t.team_id", LIST_INT, LIST_EQ },
    { "category_id", "t.category_id", LIST_INT, LIST_EQ },
    { "created_from", "t.created_at", LIST_TIME, LIST_FROM },
    { "created_to", "t.created_at", LIST_TIME, LIST_TO },
    { NULL },
};

/* item_sql is the caller's ticket JSON (ticket_json()), sorts
 * ticket_sorts_q with a full-text filter. */
static const list_spec ticket_list_spec = {
    .from_sql = "tickets t",
    .id_sql = "t.id",
    .sorts = ticket_sorts,
    .default_sort = "-updated",
    .filters = ticket_filters,
};

/* The filters the list helper cannot express (a status set, "mine",
 * booleans without a column, tags, full text) become one scope condition
 * made of constant SQL fragments; their values travel in one jsonb
 * parameter ($1), so no client text ever becomes SQL. */
static int ticket_list(rpc_call *c)
{
    bool customer = is_customer(c);
    json_t *filter = json_object_get(c->params, "filter");
    json_t *rest = json_object(), *scope = json_object();
    strbuf w = { 0 };
    sb_printf(&w, "$1::jsonb IS NOT NULL");
    if (customer) {
        json_object_set_new(scope, "carrier", json_integer(c->session->carrier_id));
        sb_printf(&w, " AND t.carrier_id = ($1::jsonb->>'carrier')::bigint");
    }
    const char *key;
    json_t *v;
    json_object_foreach(filter, key, v) {
        char field[96];
        snprintf(field, sizeof field, "filter.%s", key);
        if (json_is_null(v))
            continue;
        if (!strcmp(key, "status") && json_is_array(v)) {
            size_t i;
            json_t *s;
            if (json_array_size(v) < 1 || json_array_size(v) > 5) {
                rpc_field_error(c, field, "must list 1 to 5 statuses");
                continue;
            }
            strbuf arr = { 0 };
            sb_printf(&arr, "{");
            json_array_foreach(v, i, s) {
                bool ok = false;
                for (int k = 0; json_is_string(s) && statuses[k]; k++)
                    ok = ok || !strcmp(statuses[k], json_string_value(s));
                if (!ok) {
                    rpc_field_error(c, field, "lists a status that does not exist");
                    break;
                }
                sb_printf(&arr, "%s%s", i ? "," : "", json_string_value(s));
            }
            sb_printf(&arr, "}");
            json_object_set_new(scope, "status", json_string(arr.buf ? arr.buf : "{}"));
            free(arr.buf);
            sb_printf(&w, " AND t.status = ANY(($1::jsonb->>'status')::text[])");
        } else if (!strcmp(key, "mine") || !strcmp(key, "unassigned") || !strcmp(key, "breached")) {
            if (!json_is_boolean(v)) {
                rpc_field_error(c, field, "must be true or false");
                continue;
            }
            if (customer && strcmp(key, "breached")) {
                rpc_field_error(c, field, "is a staff filter");
                continue;
            }
            bool on = json_is_true(v);
            if (!strcmp(key, "mine")) {
                if (on) {
                    json_object_set_new(scope, "me", json_integer(c->session->user_id));
                    sb_printf(&w, " AND t.assignee_id = ($1::jsonb->>'me')::bigint");
                }
            } else if (!strcmp(key, "unassigned")) {
                sb_printf(&w, on ? " AND t.assignee_id IS NULL" : " AND t.assignee_id IS NOT NULL");
            } else {
                sb_printf(&w, on ? " AND t.sla_breached" : " AND NOT t.sla_breached");
            }
        } else if (!strcmp(key, "tag") || !strcmp(key, "q")) {
            if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > 200) {
                rpc_field_error(c, field, "must be a string of 1 to 200 characters");
                continue;
            }
            json_object_set(scope, key, v);
            if (!strcmp(key, "tag"))
                sb_printf(&w, " AND t.tags @> ARRAY[$1::jsonb->>'tag']");
            else if (customer)
                sb_printf(&w, " AND t.search_public @@ websearch_to_tsquery('simple', $1::jsonb->>'q')");
            else
                sb_printf(&w, " AND t.search_all @@ websearch_to_tsquery('simple', $1::jsonb->>'q')");
        } else if (customer && !strcmp(key, "carrier_id")) {
            /* always their own: the scope above */
        } else {
            json_object_set(rest, key, v);
        }
    }
    int rc = -1;
    char *scope_text = NULL;
    json_t *saved = c->params, *params = NULL;
    if (c->err_code || w.oom)
        goto out;
    params = json_copy(c->params);
    json_object_set(params, "filter", rest);
    scope_text = json_dumps(scope, JSON_COMPACT);
    c->params = params;
    list_spec spec = ticket_list_spec;
    spec.item_sql = ticket_json(c);
    if (json_object_get(scope, "q"))
        spec.sorts = ticket_sorts_q;
    rc = rpc_list(c, &spec, w.buf, scope_text);
    c->params = saved;
out:
    if (w.oom && !c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    free(w.buf);
    free(scope_text);
    json_decref(params);
    json_decref(rest);
    json_decref(scope);
    return c->err_code ? -1 : rc;
}

/* ---- ticket.reply ---- */

static int ticket_reply(rpc_call *c)
{
    bool customer = is_customer(c), internal = rpc_bool(c, "internal", false);
    if (customer && internal)
        return rpc_field_error(c, "internal", "internal notes are for support staff");
    ticket_row t;
    if (ticket_lock(c, rpc_int(c, "id", 0), 0, &t))
        return -1;
    if (!strcmp(t.status, "closed"))
        return rpc_fail(c, RPC_CONFLICT, "ticket %s is closed", t.number);
    char idt[24], uid[24];
    idtext(idt, sizeof idt, t.id);
    idtext(uid, sizeof uid, c->session->user_id);
    const char *body = rpc_str(c, "body");
    PGresult *r = rpc_query(c,
        "INSERT INTO ticket_messages (ticket_id, author_id, author, body, internal) VALUES ($1, $2, $3, $4, $5)"
        " RETURNING id", 5, idt, uid, c->session->username, body, internal ? "t" : "f");
    if (!r)
        return -1;
    long long mid = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);

    /* Status: a customer's reply reopens a pending or resolved ticket; a
     * staff public reply opens a new one and is the first response. */
    const char *next = t.status;
    bool first_response = false;
    if (!internal) {
        if (customer || c->session->user_id == t.requester_id) {
            if (!strcmp(t.status, "pending") || !strcmp(t.status, "resolved"))
                next = "open";
        } else {
            first_response = true;
            if (!strcmp(t.status, "new"))
                next = "open";
        }
    }
    if (strcmp(next, t.status) && !strcmp(t.status, "pending") && ticket_resume_clock(c, &t))
        return -1;
    r = rpc_query(c,
        "UPDATE tickets SET last_at = now(), last_author = $2, last_excerpt = left($3, 200), last_internal = $4,"
        " last_public_at = CASE WHEN $4 THEN last_public_at ELSE now() END,"
        " last_public_author = CASE WHEN $4 THEN last_public_author ELSE $2 END,"
        " last_public_excerpt = CASE WHEN $4 THEN last_public_excerpt ELSE left($3, 200) END,"
        /* a tsvector holds at most 1 MB: past ~400 kB a ticket's later
         * messages are no longer indexed (the conversation stays whole) */
        " search_public = CASE WHEN $4 OR pg_column_size(search_public) > 400000 THEN search_public"
        "   ELSE search_public || to_tsvector('simple', $3) END,"
        " search_all = CASE WHEN pg_column_size(search_all) > 400000 THEN search_all"
        "   ELSE search_all || to_tsvector('simple', $3) END,"
        " first_response_at = CASE WHEN $5 THEN coalesce(first_response_at, now()) ELSE first_response_at END,"
        " status = $6, resolved_at = CASE WHEN $6 = 'open' THEN NULL ELSE resolved_at END,"
        " version = version + 1, updated_at = now() WHERE id = $1",
        6, idt, c->session->username, body, internal ? "t" : "f", first_response ? "t" : "f", next);
    if (!r)
        return -1;
    PQclear(r);
    json_t *after = ticket_read(c, t.id);
    if (!after)
        return -1;
    json_t *audit = json_pack("{s:I, s:b, s:s, s:s}", "message_id", (json_int_t)mid, "internal", internal,
                              "status_before", t.status, "status", next);
    int rc = -1;
    char key[64];
    snprintf(key, sizeof key, "ticket_replied:%lld", mid);
    if (audit_record(c, internal ? "note" : "reply", "ticket", t.id, NULL, audit) ||
        ticket_announce(c, &t, internal ? "note" : "reply", internal))
        goto out;
    if (!internal && !customer && c->session->user_id != t.requester_id) {
        if (ticket_email(c, t.id, "ticket_replied", body, key))
            goto out;
    }
    char mt[24];
    idtext(mt, sizeof mt, mid);
    r = rpc_query(c,
        "SELECT json_build_object('id', m.id, 'author_id', m.author_id, 'author', m.author, 'body', m.body,"
        " 'internal', m.internal, 'created_at', " TS("m.created_at") ", 'attachments', '[]'::json)::text"
        " FROM ticket_messages m WHERE m.id = $1", 1, mt);
    if (!r)
        goto out;
    c->result = json_pack("{s:o, s:O}", "message", json_loads(PQgetvalue(r, 0, 0), 0, NULL), "ticket", after);
    PQclear(r);
    rc = 0;
out:
    json_decref(audit);
    json_decref(after);
    return rc;
}

/* ---- ticket.assign ---- */

static int ticket_assign(rpc_call *c)
{
    ticket_row t;
    if (ticket_lock(c, rpc_int(c, "id", 0), rpc_int(c, "version", 0), &t))
        return -1;
    json_t *user = json_object_get(c->params, "user_id");
    long long uid = json_is_integer(user) ? (long long)json_integer_value(user) : 0;
    long long team = rpc_int(c, "team_id", 0);
    if (uid)
        check_staff_user(c, "user_id", uid);
    entity_ref(c, "team_id", "support_teams", NULL, json_object_get(c->params, "team_id"));
    if (c->err_code)
        return -1;
    json_t *before = ticket_read(c, t.id);
    if (!before)
        return -1;
    char idt[24], ut[24], tt[24];
    idtext(idt, sizeof idt, t.id);
    idtext(ut, sizeof ut, uid);
    idtext(tt, sizeof tt, team);
    int rc = done(rpc_query(c,
                 "UPDATE tickets SET assignee_id = nullif($2::bigint, 0),"
                 " team_id = CASE WHEN $3::bigint = 0 THEN team_id ELSE $3::bigint END,"
                 " version = version + 1, updated_at = now() WHERE id = $1", 3, idt, ut, tt)) ||
                     ticket_changed(c, &t, "assign", before) ? -1 : 0;
    json_decref(before);
    return rc;
}

/* ---- ticket.status ---- */

static int ticket_status(rpc_call *c)
{
    ticket_row t;
    const char *to = rpc_str(c, "status");
    if (ticket_lock(c, rpc_int(c, "id", 0), rpc_int(c, "version", 0), &t))
        return -1;
    if (!strcmp(t.status, "closed"))
        return rpc_fail(c, RPC_CONFLICT, "ticket %s is closed", t.number);
    if (is_customer(c) && strcmp(to, "resolved") && strcmp(to, "closed"))
        return rpc_field_error(c, "status", "a customer may only resolve or close a ticket");
    if (!transition_ok(t.status, to)) {
        char msg[96];
        snprintf(msg, sizeof msg, "cannot change from %s to %s", t.status, to);
        return rpc_field_error(c, "status", msg);
    }
    json_t *before = ticket_read(c, t.id);
    if (!before)
        return -1;
    int rc = -1;
    char idt[24], key[64];
    idtext(idt, sizeof idt, t.id);
    snprintf(key, sizeof key, "ticket_resolved:%lld:%lld", t.id, t.version + 1);
    if ((!strcmp(t.status, "pending") && ticket_resume_clock(c, &t)) ||
        done(rpc_query(c,
            "UPDATE tickets SET status = $2,"
            " paused_at = CASE WHEN $2 = 'pending' THEN now() ELSE NULL END,"
            " resolved_at = CASE WHEN $2 = 'resolved' THEN now() WHEN $2 = 'open' THEN NULL ELSE resolved_at END,"
            " closed_at = CASE WHEN $2 = 'closed' THEN now() ELSE closed_at END,"
            " version = version + 1, updated_at = now() WHERE id = $1", 2, idt, to)) ||
        ticket_changed(c, &t, "status", before) ||
        (!strcmp(to, "resolved") && ticket_email(c, t.id, "ticket_resolved", NULL, key)))
        goto out;
    rc = 0;
out:
    json_decref(before);
    return rc;
}

/* ---- ticket.tag ---- */

static int check_tags(rpc_call *c, const char *name)
{
    json_t *a = json_object_get(c->params, name), *v;
    size_t i;
    json_array_foreach(a, i, v) {
        if (!json_is_string(v) || json_string_length(v) < 1 || json_string_length(v) > 40) {
            char field[48];
            snprintf(field, sizeof field, "%s[%zu]", name, i);
            rpc_field_error(c, field, "must be a tag of 1 to 40 characters");
        }
    }
    return c->err_code ? -1 : 0;
}

static int ticket_tag(rpc_call *c)
{
    ticket_row t;
    check_tags(c, "add");
    check_tags(c, "remove");
    if (c->err_code || ticket_lock(c, rpc_int(c, "id", 0), 0, &t))
        return -1;
    json_t *before = ticket_read(c, t.id);
    if (!before)
        return -1;
    json_t *add = json_object_get(c->params, "add"), *remove = json_object_get(c->params, "remove");
    char *at = add ? json_dumps(add, JSON_COMPACT) : strdup("[]");
    char *rt = remove ? json_dumps(remove, JSON_COMPACT) : strdup("[]");
    if (!at || !rt) {
        free(at);
        free(rt);
        json_decref(before);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    char idt[24];
    idtext(idt, sizeof idt, t.id);
    int rc = done(rpc_query(c,
        "UPDATE tickets SET tags = ARRAY(SELECT DISTINCT x FROM unnest(tags || ARRAY(SELECT jsonb_array_elements_text($2::jsonb))) x"
        "   WHERE x <> ALL (ARRAY(SELECT jsonb_array_elements_text($3::jsonb))) ORDER BY 1),"
        " version = version + 1, updated_at = now() WHERE id = $1", 3, idt, at, rt));
    free(at);
    free(rt);
    if (rc == 0)
        rc = ticket_changed(c, &t, "tag", before);
    json_decref(before);
    return rc;
}

/* ---- ticket.update ---- */

static int ticket_update(rpc_call *c)
{
    ticket_row t;
    if (ticket_lock(c, rpc_int(c, "id", 0), rpc_int(c, "version", 0), &t))
        return -1;
    long long category = -2;
    json_t *cat = json_object_get(c->params, "category");
    if (json_is_string(cat) && (category = category_id(c, json_string_value(cat))) < 0)
        return -1;
    if (json_is_null(cat))
        category = 0;
    json_t *before = ticket_read(c, t.id);
    if (!before)
        return -1;
    char idt[24], ct[24];
    idtext(idt, sizeof idt, t.id);
    idtext(ct, sizeof ct, category);
    int rc = -1;
    const char *priority = rpc_str(c, "priority");
    PGresult *r = rpc_query(c,
        "UPDATE tickets SET subject = coalesce($2, subject), priority = coalesce($3, priority),"
        " category_id = CASE WHEN $4::bigint = -2 THEN category_id ELSE nullif($4::bigint, 0) END,"
        " search_public = CASE WHEN $2 IS NULL OR pg_column_size(search_public) > 400000 THEN search_public"
        "   ELSE search_public || to_tsvector('simple', $2) END,"
        " search_all = CASE WHEN $2 IS NULL OR pg_column_size(search_all) > 400000 THEN search_all"
        "   ELSE search_all || to_tsvector('simple', $2) END,"
        " version = version + 1, updated_at = now() WHERE id = $1 RETURNING extract(epoch FROM created_at)::bigint",
        4, idt, rpc_str(c, "subject"), priority, ct);
    if (!r)
        goto out;
    int64_t created = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    /* A new priority: new targets, from the ticket's creation. */
    if ((priority && strcmp(priority, json_string_value(json_object_get(before, "priority"))) &&
         ticket_set_targets(c, t.id, created)) ||
        ticket_changed(c, &t, "update", before))
        goto out;
    rc = 0;
out:
    json_decref(before);
    return rc;
}

/* ---- ticket.rate and ticket.satisfaction ---- */

static int ticket_rate(rpc_call *c)
{
    ticket_row t;
    if (ticket_lock(c, rpc_int(c, "id", 0), 0, &t))
        return -1;
    if (t.requester_id != c->session->user_id)
        return rpc_fail(c, RPC_FORBIDDEN, "only the requester rates a ticket");
    if (strcmp(t.status, "resolved") && strcmp(t.status, "closed"))
        return rpc_fail(c, RPC_CONFLICT, "ticket %s is not resolved yet", t.number);
    json_t *before = ticket_read(c, t.id);
    if (!before)
        return -1;
    if (!json_is_null(json_object_get(before, "satisfaction"))) {
        json_decref(before);
        return rpc_fail(c, RPC_CONFLICT, "ticket %s is rated already", t.number);
    }
    char idt[24], score[8];
    idtext(idt, sizeof idt, t.id);
    snprintf(score, sizeof score, "%lld", rpc_int(c, "score", 0));
    int rc = done(rpc_query(c,
                 "UPDATE tickets SET rating = $2::smallint, rating_comment = $3, rated_at = now(),"
                 " version = version + 1, updated_at = now() WHERE id = $1", 3, idt, score, rpc_str(c, "comment"))) ||
                     ticket_changed(c, &t, "rate", before) ? -1 : 0;
    json_decref(before);
    return rc;
}

static int ticket_satisfaction(rpc_call *c)
{
    bool agent = !strcmp(rpc_str(c, "by"), "agent");
    const char *sql = agent
        ? "SELECT coalesce(json_agg(json_build_object('id', k, 'name', n, 'count', cnt, 'average', avg) ORDER BY n"
          " NULLS FIRST), '[]')::text, coalesce(sum(cnt), 0), coalesce(round(sum(total)::numeric / nullif(sum(cnt), 0),"
          " 2)::text, NULL) FROM (SELECT t.assignee_id AS k, (SELECT username FROM users WHERE id = t.assignee_id) AS n,"
          " count(*) AS cnt, sum(t.rating) AS total, round(avg(t.rating), 2)::text AS avg FROM tickets t"
          " WHERE t.rating IS NOT NULL AND ($1::timestamptz IS NULL OR t.rated_at >= $1)"
          " AND ($2::timestamptz IS NULL OR t.rated_at < $2) GROUP BY t.assignee_id) s"
        : "SELECT coalesce(json_agg(json_build_object('id', k, 'name', n, 'count', cnt, 'average', avg) ORDER BY n"
          " NULLS FIRST), '[]')::text, coalesce(sum(cnt), 0), coalesce(round(sum(total)::numeric / nullif(sum(cnt), 0),"
          " 2)::text, NULL) FROM (SELECT t.category_id AS k, (SELECT name FROM ticket_categories WHERE id = t.category_id)"
          " AS n, count(*) AS cnt, sum(t.rating) AS total, round(avg(t.rating), 2)::text AS avg FROM tickets t"
          " WHERE t.rating IS NOT NULL AND ($1::timestamptz IS NULL OR t.rated_at >= $1)"
          " AND ($2::timestamptz IS NULL OR t.rated_at < $2) GROUP BY t.category_id) s";
    PGresult *r = rpc_query(c, sql, 2, rpc_str(c, "from"), rpc_str(c, "to"));
    if (!r)
        return -1;
    c->result = json_pack("{s:o, s:I, s:o}", "items", json_loads(PQgetvalue(r, 0, 0), 0, NULL), "count",
                          (json_int_t)atoll(PQgetvalue(r, 0, 1)), "average",
                          PQgetisnull(r, 0, 2) ? json_null() : json_string(PQgetvalue(r, 0, 2)));
    PQclear(r);
    return 0;
}

/* ---- ticket_category.list (customers: the visible ones) ---- */

static const list_sort category_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { NULL },
};

static int category_list(rpc_call *c)
{
    list_spec spec = {
        .item_sql = "json_build_object('id', t.id, 'name', t.name, 'customer_visible', t.customer_visible,"
                    " 'version', t.version)",
        .from_sql = "ticket_categories t",
        .where_sql = "t.deleted_at IS NULL",
        .id_sql = "t.id",
        .sorts = category_sorts,
        .default_sort = "name",
    };
    if (is_customer(c))
        return rpc_list(c, &spec, "t.customer_visible = $1::boolean", "true");
    return rpc_list(c, &spec, NULL, NULL);
}

/* ---- the SLA task ---- */

static const rpc_session system_session = { .role = ROLE_SUPER_ADMIN, .username = "system", .actor_kind = "system" };
static int warning_minutes = 30;
/* Rows one run handles at most (a backlog, e.g. after a policy change,
 * drains over several runs instead of one huge transaction). */
#define SLA_BATCH "500"

/* The target a ticket's due_at is about (see tickets_due_at()). */
#define TARGET_SQL \
    "CASE WHEN t.first_response_at IS NULL AND t.first_response_due_at IS NOT NULL THEN 'first_response'" \
    " ELSE 'resolution' END"

static int sla_announce(rpc_call *c, PGresult *r, const char *state)
{
    for (int i = 0; i < PQntuples(r); i++) {
        json_t *ev = json_pack("{s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)atoll(PQgetvalue(r, i, 0)), "number",
                               PQgetvalue(r, i, 1), "target", PQgetvalue(r, i, 2), "state", state, "due_at",
                               PQgetvalue(r, i, 3));
        int rc = rpc_emit(c, "ticket.sla_warning", ev, 0);
        json_decref(ev);
        if (rc)
            return -1;
    }
    return 0;
}

/* Warn once per ticket and target when due within warning_minutes, record
 * the breach once when due has passed. ON CONFLICT and the breached_at IS
 * NULL guard make both once-only across instances. */
static int sla_tick(void *ud, PGconn *db)
{
    (void)ud;
    rpc_call c = { .db = db, .session = &system_session, .method = "tickets.sla", .peer = "ticker" };
    char mins[16];
    snprintf(mins, sizeof mins, "%d", warning_minutes);
    if (rpc_begin(&c))
        goto failed;
    PGresult *r = rpc_query(&c,
        "WITH due AS (SELECT t.id, t.number, " TARGET_SQL " AS target, t.due_at FROM tickets t"
        "  WHERE t.due_at <> 'infinity' AND t.due_at <= now() + make_interval(mins => $1::int)"
        "  AND NOT EXISTS (SELECT 1 FROM ticket_sla_events e WHERE e.ticket_id = t.id AND e.target = " TARGET_SQL ")"
        "  ORDER BY t.due_at LIMIT " SLA_BATCH "),"
        " ins AS (INSERT INTO ticket_sla_events (ticket_id, target, due_at, warned_at)"
        "  SELECT id, target, due_at, now() FROM due ON CONFLICT (ticket_id, target) DO NOTHING"
        "  RETURNING ticket_id, target, due_at)"
        " SELECT ins.ticket_id, due.number, ins.target, " TS("ins.due_at") " FROM ins"
        " JOIN due ON due.id = ins.ticket_id", 1, mins);
    if (!r)
        goto rollback;
    int rc = sla_announce(&c, r, "warning");
    PQclear(r);
    if (rc)
        goto rollback;
    r = rpc_query(&c,
        "WITH cand AS (SELECT e.ticket_id, e.target FROM ticket_sla_events e JOIN tickets t ON t.id = e.ticket_id"
        "  WHERE e.breached_at IS NULL AND t.due_at <> 'infinity' AND t.due_at <= now() AND e.target = " TARGET_SQL
        "  ORDER BY t.due_at LIMIT " SLA_BATCH "),"
        " b AS (UPDATE ticket_sla_events e SET breached_at = now() FROM cand, tickets t"
        "  WHERE e.ticket_id = cand.ticket_id AND e.target = cand.target AND t.id = e.ticket_id AND e.breached_at IS NULL"
        "  RETURNING e.ticket_id, t.number, e.target, t.due_at),"
        " u AS (UPDATE tickets SET sla_breached = true WHERE id IN (SELECT ticket_id FROM b))"
        " SELECT ticket_id, number, target, " TS("due_at") " FROM b", 0);
    if (!r)
        goto rollback;
    rc = sla_announce(&c, r, "breached");
    PQclear(r);
    if (rc || rpc_commit(&c))
        goto rollback;
    json_decref(c.err_data);
    return 0;
rollback:
    if (c.in_transaction)
        rpc_rollback(&c);
failed:
    json_decref(c.err_data);
    return -1;
}

int support_init(const dt_config *cfg)
{
    warning_minutes = cfg->sla_warning_minutes;
    return ticker_add("tickets.sla", cfg->sla_check_ms, sla_tick, NULL);
}

/* ---- params ---- */

static const rpc_field create_params[] = {
    { "subject", F_STRING, F_REQUIRED, 1, 200 },
    { "body", F_STRING, F_REQUIRED, 1, 20000 },
    { "category", F_STRING, 0, 1, 64 },
    { "priority", F_ENUM, 0, 0, 0, priorities },
    { "carrier_id", F_ID, F_NULLABLE },
    { "assignee_id", F_ID, F_NULLABLE },
    { "team_id", F_ID, F_NULLABLE },
    { "tags", F_ARRAY, 0, 0, 20, NULL, NULL, F_STRING },
    { NULL },
};

static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field reply_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "body", F_STRING, F_REQUIRED, 1, 20000 },
    { "internal", F_BOOL },
    { NULL },
};

static const rpc_field assign_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "user_id", F_ID, F_REQUIRED | F_NULLABLE },
    { "team_id", F_ID },
    { "version", F_INT, 0, 1 },
    { NULL },
};

static const rpc_field status_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "status", F_ENUM, F_REQUIRED, 0, 0, statuses },
    { "version", F_INT, 0, 1 },
    { NULL },
};

static const rpc_field tag_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "add", F_ARRAY, 0, 0, 20, NULL, NULL, F_STRING },
    { "remove", F_ARRAY, 0, 0, 20, NULL, NULL, F_STRING },
    { NULL },
};

static const rpc_field update_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "subject", F_STRING, 0, 1, 200 },
    { "category", F_STRING, F_NULLABLE, 1, 64 },
    { "priority", F_ENUM, 0, 0, 0, priorities },
    { NULL },
};

static const rpc_field rate_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "score", F_INT, F_REQUIRED, 1, 5 },
    { "comment", F_STRING, 0, 0, 2000 },
    { NULL },
};

static const rpc_field satisfaction_params[] = {
    { "by", F_ENUM, F_REQUIRED, 0, 0, satisfaction_by },
    { "from", F_TIME },
    { "to", F_TIME },
    { NULL },
};

const rpc_method ticket_methods[] = {
    { "ticket.create", ticket_create, ROLES_ANY, RPC_MUTATES, create_params },
    { "ticket.get", ticket_get, ROLES_ANY, 0, id_params },
    { "ticket.list", ticket_list, ROLES_ANY, 0, list_params },
    { "ticket.reply", ticket_reply, ROLES_ANY, RPC_MUTATES, reply_params },
    { "ticket.assign", ticket_assign, ROLES_STAFF, RPC_MUTATES, assign_params },
    { "ticket.status", ticket_status, ROLES_ANY, RPC_MUTATES, status_params },
    { "ticket.tag", ticket_tag, ROLES_STAFF, RPC_MUTATES, tag_params },
    { "ticket.update", ticket_update, ROLES_STAFF, RPC_MUTATES, update_params },
    { "ticket.rate", ticket_rate, ROLE_CUSTOMER, RPC_MUTATES, rate_params },
    { "ticket.satisfaction", ticket_satisfaction, ROLES_STAFF, 0, satisfaction_params },
    { "ticket.attach", ticket_attach, ROLES_ANY, RPC_MUTATES, ticket_attach_params },
    { "ticket.attachment.get", ticket_attachment_get, ROLES_ANY, 0, ticket_attachment_get_params },
    { "ticket_category.list", category_list, ROLES_ANY, 0, list_params },
    { NULL },
};
