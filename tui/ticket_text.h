/*
 * ticket_text: the words of the support screens that are worth testing
 * without a terminal — the SLA cell of a ticket and short times. Pure C
 * over jansson (unit-tested in tests/unit/test_ticket_text.c).
 */
#ifndef DIDTRON_TUI_TICKET_TEXT_H
#define DIDTRON_TUI_TICKET_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The SLA cell: "BREACHED" when a target was missed or its time has
 * passed (sets *bad), the countdown to due_at ("2d03h", "2h13m", "4m05s";
 * without due_at, the earlier of first_response_due_at and
 * resolution_due_at), "paused" for a pending ticket, "-" when no target
 * runs (resolved, closed, no SLA policy). now in Unix seconds. */
const char *ticket_sla_text(json_t *ticket, long long now, char *buf, size_t n, bool *bad);

/* "2026-11-23T10:04:05Z" -> "11-23 10:04"; NULL -> "-". */
const char *ticket_short_time(const char *iso, char *buf, size_t n);

#endif
