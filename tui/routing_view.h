/*
 * routing_view: one routing plan in a workspace tab (its entries, prefix
 * -> routes, edited with a list of "interconnect_id[:priority[:weight]]"
 * items, and the test-route panel: route.lookup for a service and a
 * number), and the pause / resume prompts every interconnect row shares.
 */
#ifndef DIDTRON_TUI_ROUTING_VIEW_H
#define DIDTRON_TUI_ROUTING_VIEW_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "form.h"
#include "screen.h"

#define TAB_ID_ROUTING(id) (-(5000000000000LL + (id)))

screen *routing_view_new(long long id, const char *name);
/* Open (or focus) a routing plan's tab (app.c). */
void app_open_routing(long long id, const char *name);

/* The pause text of one interconnect: "PAUSED: reason" (whole
 * interconnect), "PAUSED 4420: reason" (a prefix of it), "PAUSED
 * (status)" for status paused, or "" — from route.pause.list items
 * (borrowed) and the interconnect's status. *pause gets the active pause
 * (borrowed) that resume would lift, or NULL. */
void pause_text(json_t *pauses, long long interconnect_id, const char *status, char *buf, size_t n,
                json_t **pause);
/* p on an interconnect row: when pause (an active pause) is given, ask
 * and resume it; otherwise open f (owned by the screen) asking the reason
 * and call route.pause; done(ud) after a pause is saved. */
void pause_or_resume(form *f, long long interconnect_id, const char *name, json_t *pause, void (*done)(void *),
                     void *ud);
/* P: ask, then route.resume the active pause (NULL: says it is not paused). */
void resume_ask(long long interconnect_id, const char *name, json_t *pause);

#endif
