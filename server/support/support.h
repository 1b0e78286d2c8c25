/*
 * support: tickets, their messages and attachments, teams, assignment
 * rules, SLA policies and satisfaction (issue 9; docs/tickets.md).
 * Shared between the files of server/support; the wire contract is in
 * docs/protocol.md "ticket".
 */
#ifndef DIDTRON_SUPPORT_H
#define DIDTRON_SUPPORT_H

#include "../rpc/record.h"
#include "../rpc/rpc.h"

/* An attachment (alias a) as the wire shows it, for item SQL. */
#define ATTACHMENT_JSON                                                                            \
    "json_build_object('id', a.id, 'ticket_id', a.ticket_id, 'message_id', a.message_id,"          \
    " 'filename', a.filename, 'content_type', a.content_type, 'size', a.size, 'sha256', a.sha256," \
    " 'created_at', " TS("a.created_at") ")"

/* Adds the "tickets.sla" ticker task. Call before ticker_start. */
int support_init(const dt_config *cfg);

/* The ticket row a write needs, read under FOR UPDATE with tenant scope
 * (a customer gets -32004 for another carrier's ticket). */
typedef struct {
    long long id, carrier_id, requester_id, team_id, version;
    char status[16];
    char number[24];
    bool paused;
} ticket_row;

/* Lock ticket id for a write; version > 0 is checked (-32009 when stale).
 * 0, or -1 with the error set. */
int ticket_lock(rpc_call *c, long long id, long long version, ticket_row *t);

/* The ticket as the caller sees it (new reference), or NULL with -32004. */
json_t *ticket_read(rpc_call *c, long long id);

/* ticket.updated for a change; staff_only keeps it from customers
 * (internal notes). 0 or -1. */
int ticket_announce(rpc_call *c, const ticket_row *t, const char *change, bool staff_only);

/* 1 when user id is an enabled staff user (assignees, team members), 0
 * when not, -1 with the error set. */
int support_is_staff(rpc_call *c, long long id);

/* Bump version and updated_at after a change. 0 or -1. */
int ticket_touch(rpc_call *c, long long id);

/* ticket.attach and ticket.attachment.get (attachments.c). */
int ticket_attach(rpc_call *c);
int ticket_attachment_get(rpc_call *c);
extern const rpc_field ticket_attach_params[];
extern const rpc_field ticket_attachment_get_params[];

#endif
