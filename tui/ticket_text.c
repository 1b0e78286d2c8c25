/*
 * ticket_text.c: the SLA cell and short times (see ticket_text.h).
 */
#include "ticket_text.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "timeutil.h"

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

const char *ticket_sla_text(json_t *t, long long now, char *buf, size_t n, bool *bad)
{
    const char *status = str(t, "status");
    *bad = false;
    if (!strcmp(status, "resolved") || !strcmp(status, "closed")) {
        snprintf(buf, n, "-");
        return buf;
    }
    if (json_is_true(json_object_get(t, "sla_breached"))) {
        *bad = true;
        snprintf(buf, n, "BREACHED");
        return buf;
    }
    /* due_at: the next open target (null: none runs); without it, the
     * earlier of the two targets */
    int64_t due = 0, u;
    json_t *due_at = json_object_get(t, "due_at");
    if (due_at) {
        if (json_is_string(due_at) && time_parse_rfc3339(json_string_value(due_at), &u))
            due = u / 1000000;
    } else {
        static const char *const keys[] = { "first_response_due_at", "resolution_due_at" };
        for (size_t i = 0; i < 2; i++) {
            const char *v = json_string_value(json_object_get(t, keys[i]));
            if (v && time_parse_rfc3339(v, &u) && (!due || u / 1000000 < due))
                due = u / 1000000;
        }
    }
    if (!due) { /* the clock stops while pending; no policy, no target */
        snprintf(buf, n, "%s", !strcmp(status, "pending") ? "paused" : "-");
        return buf;
    }
    long long left = (long long)due - now;
    if (left <= 0) {
        *bad = true;
        snprintf(buf, n, "BREACHED");
    } else if (left >= 86400) {
        snprintf(buf, n, "%lldd%02lldh", left / 86400, left % 86400 / 3600);
    } else if (left >= 3600) {
        snprintf(buf, n, "%lldh%02lldm", left / 3600, left % 3600 / 60);
    } else {
        snprintf(buf, n, "%lldm%02llds", left / 60, left % 60);
    }
    return buf;
}

/* "2026-11-23T10:04:05Z" -> "11-23 10:04" (short enough for a column). */
const char *ticket_short_time(const char *iso, char *buf, size_t n)
{
    if (!iso || strlen(iso) < 16) {
        snprintf(buf, n, "%s", iso ? iso : "-");
        return buf;
    }
    snprintf(buf, n, "%.5s %.5s", iso + 5, iso + 11);
    return buf;
}
