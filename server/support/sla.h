/*
 * sla: business-time arithmetic for ticket SLA targets. Pure: no database,
 * no global state; the time zone comes in as an offset function so unit
 * tests and the server use the same code.
 *
 * A calendar is one business interval per weekday in a team's local time
 * (or none: the day is closed), or 24x7. "Add N business minutes to t"
 * walks forward through the open intervals: minutes only count while the
 * local clock is inside an interval. Local wall-clock times are turned into
 * instants with the zone's offset at that instant, so a DST change inside
 * the walk is exact: on a spring-forward day an interval 00:00-24:00 is 23
 * real hours long, on a fall-back day 25. A wall-clock time that does not
 * exist (inside the spring-forward gap) resolves to the first instant after
 * the gap.
 *
 * The offset normally comes from the tz database through time_zone_offset()
 * (server/rating/time_class.h: TZ under a mutex + localtime_r, cached per
 * zone and hour), never from setenv/tzset of our own.
 */
#ifndef DIDTRON_SLA_H
#define DIDTRON_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds east of UTC at unix second t; false when unknown. */
typedef bool (*sla_offset_fn)(void *ud, int64_t t, int32_t *offset);

typedef struct {
    bool always_open;            /* 24x7: business time = real time */
    int16_t open[7], close[7];   /* minutes of the local day, Monday = 0;
                                    open >= close: closed all day; close 1440 = midnight */
    sla_offset_fn offset;        /* NULL = UTC */
    void *offset_ud;
} sla_calendar;

/* A calendar closed every day, in UTC. Set days with sla_calendar_day. */
void sla_calendar_init(sla_calendar *cal);
/* Open weekday wd (0 Monday .. 6 Sunday) from open_min to close_min. */
void sla_calendar_day(sla_calendar *cal, int wd, int open_min, int close_min);
/* Use the IANA zone tz (through time_zone_offset). tz must outlive cal. */
void sla_calendar_zone(sla_calendar *cal, const char *tz);

/* The instant (unix seconds) at which `minutes` business minutes have
 * passed since start. minutes <= 0 returns start. Returns INT64_MAX when
 * the calendar has no open time at all (never due). */
int64_t sla_add_minutes(const sla_calendar *cal, int64_t start, int64_t minutes);

/* Business seconds between from and to (0 when to <= from). */
int64_t sla_business_seconds(const sla_calendar *cal, int64_t from, int64_t to);

/* Parse a team's business_hours JSON text ({"mon":{"start":"09:00","end":
 * "17:00"},...}) into cal's days. Returns 0, or -1 with the offending
 * field name ("business_hours.tue.end") in err. */
int sla_calendar_parse(sla_calendar *cal, const char *json_text, char *err, size_t errlen);

#endif
