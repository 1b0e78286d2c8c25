/*
 * ticket_view: the support console — the ticket queue (ticket.list with an
 * SLA countdown, live from ticket events), a ticket's screen (header, the
 * conversation with internal notes marked, a side panel with the carrier's
 * balance, failed calls and open alerts, and the reply / note editor), and
 * the new-ticket dialog with knowledge-base suggestions.
 */
#ifndef DIDTRON_TUI_TICKET_VIEW_H
#define DIDTRON_TUI_TICKET_VIEW_H

#include <stdbool.h>

#include "screen.h"
#include "ticket_text.h"

/* The queue: every ticket the user may see, or (mine) those assigned to
 * the user. */
screen *ticket_queue_new(bool mine);
/* One ticket's screen (number is shown until the ticket loads). */
screen *ticket_detail_new(long long id, const char *number);
/* Open (or go to) a ticket's tab. */
void ticket_open(long long id, const char *number);

#endif
