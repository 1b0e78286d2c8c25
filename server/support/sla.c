/*
 * sla.c: see sla.h. The walk goes interval by interval, never minute by
 * minute: each step either finishes inside the current open interval or
 * jumps to its end (or to the next interval's start), so a target weeks
 * away costs a few dozen steps.
 */
#include "sla.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "time_class.h"

#define DAY 86400LL

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int32_t offset_at(const sla_calendar *cal, int64_t t)
{
    int32_t off = 0;
    if (cal->offset && !cal->offset(cal->offset_ud, t, &off))
        off = 0;
    return off;
}

static bool zone_offset(void *ud, int64_t t, int32_t *offset)
{
    return time_zone_offset((const char *)ud, t * 1000000LL, offset);
}

void sla_calendar_init(sla_calendar *cal)
{
    memset(cal, 0, sizeof *cal);
}

void sla_calendar_day(sla_calendar *cal, int wd, int open_min, int close_min)
{
    if (wd < 0 || wd > 6)
        return;
    cal->open[wd] = (int16_t)open_min;
    cal->close[wd] = (int16_t)close_min;
}

void sla_calendar_zone(sla_calendar *cal, const char *tz)
{
    cal->offset = zone_offset;
    cal->offset_ud = (void *)tz;
}

/* The instant of local wall-clock `local` (seconds since the epoch as if
 * local were UTC). Two rounds settle the offset; in a spring-forward gap
 * the answer is the first instant after it. */
static int64_t local_to_utc(const sla_calendar *cal, int64_t local)
{
    int64_t t = local - offset_at(cal, local);
    int32_t off = offset_at(cal, t);
    t = local - off;
    int32_t off2 = offset_at(cal, t);
    if (off2 != off) { /* a gap: the wall time does not exist */
        int64_t t2 = local - off2;
        t = t2 > t ? t2 : t;
    }
    return t;
}

static bool any_open(const sla_calendar *cal)
{
    for (int d = 0; d < 7; d++)
        if (cal->open[d] < cal->close[d])
            return true;
    return false;
}

/* From instant t, the current or next open interval [*from, *to) with
 * *from >= t. */
static void next_interval(const sla_calendar *cal, int64_t t, int64_t *from, int64_t *to)
{
    int64_t local = t + offset_at(cal, t);
    int64_t day = floor_div(local, DAY);
    for (int i = 0; i < 9; i++, day++) {
        int wd = (int)(((day + 3) % 7 + 7) % 7); /* 1970-01-01 was a Thursday */
        if (cal->open[wd] >= cal->close[wd])
            continue;
        int64_t a = local_to_utc(cal, day * DAY + cal->open[wd] * 60LL);
        int64_t b = local_to_utc(cal, day * DAY + cal->close[wd] * 60LL);
        if (b <= t)
            continue;
        *from = a > t ? a : t;
        *to = b;
        return;
    }
    *from = *to = INT64_MAX; /* unreachable when any_open */
}

int64_t sla_add_minutes(const sla_calendar *cal, int64_t start, int64_t minutes)
{
    if (minutes <= 0)
        return start;
    int64_t left = minutes * 60;
    if (cal->always_open)
        return start + left;
    if (!any_open(cal))
        return INT64_MAX;
    int64_t t = start;
    for (;;) {
        int64_t a, b;
        next_interval(cal, t, &a, &b);
        if (a == INT64_MAX)
            return INT64_MAX;
        if (b - a >= left)
            return a + left;
        left -= b - a;
        t = b;
    }
}

int64_t sla_business_seconds(const sla_calendar *cal, int64_t from, int64_t to)
{
    if (to <= from)
        return 0;
    if (cal->always_open)
        return to - from;
    if (!any_open(cal))
        return 0;
    int64_t sum = 0, t = from;
    while (t < to) {
        int64_t a, b;
        next_interval(cal, t, &a, &b);
        if (a >= to)
            break;
        sum += (b < to ? b : to) - a;
        t = b;
    }
    return sum;
}

static bool parse_hhmm(const char *s, int *minutes)
{
    int h, m;
    char extra;
    if (!s || strlen(s) != 5 || sscanf(s, "%2d:%2d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 ||
        m > 59 || (h == 24 && m != 0))
        return false;
    *minutes = h * 60 + m;
    return true;
}

int sla_calendar_parse(sla_calendar *cal, const char *json_text, char *err, size_t errlen)
{
    json_t *o = json_loads(json_text ? json_text : "", 0, NULL);
    int rc = -1;
    if (!json_is_object(o)) {
        snprintf(err, errlen, "business_hours");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        int wd = -1;
        for (int d = 0; d < 7; d++)
            if (!strcmp(day_names[d], key))
                wd = d;
        if (wd < 0) {
            snprintf(err, errlen, "business_hours.%.16s", key);
            goto out;
        }
        if (json_is_null(v)) {
            sla_calendar_day(cal, wd, 0, 0);
            continue;
        }
        int a, b;
        if (!json_is_object(v) || json_object_size(v) != 2 ||
            !parse_hhmm(json_string_value(json_object_get(v, "start")), &a) || a >= 1440) {
            snprintf(err, errlen, "business_hours.%s.start", key);
            goto out;
        }
        if (!parse_hhmm(json_string_value(json_object_get(v, "end")), &b) || b <= a) {
            snprintf(err, errlen, "business_hours.%s.end", key);
            goto out;
        }
        sla_calendar_day(cal, wd, a, b);
    }
    rc = 0;
out:
    json_decref(o);
    return rc;
}
