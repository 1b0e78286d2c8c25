/*
 * time_class: which classes (peak, off-peak, weekend...) are active at an
 * instant, and the UTC offset of a carrier's time zone.
 *
 * The active-class mask is plain arithmetic on the local time (UTC plus an
 * offset). The offset comes from the tz database through glibc, which
 * knows only one zone per process (TZ): time_zone_offset() sets TZ under a
 * mutex, reads the offset with localtime_r, and puts TZ back. That is slow
 * (tzset reads the zone file), so answers are cached per (zone, UTC hour):
 * rating a day of CDRs for one carrier costs 24 look-ups, not millions.
 *
 * An hour's answer is cached only when the offset is the same at its first
 * and last second; an hour with a transition inside (zones that change at
 * a half hour, such as Australia/Lord_Howe) is computed per call, so the
 * answer is exact.
 *
 * Caveat: while a look-up runs, TZ names another zone. Nothing else in
 * didtrond reads local time (logs and the wire are UTC), and the mutex
 * serialises this module's own use.
 */
#include "time_class.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "validate.h"

#define USEC_PER_SEC 1000000LL
#define SEC_PER_DAY 86400LL
#define ZONEINFO_DIR "/usr/share/zoneinfo/"

/* Floor division for possibly negative instants. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool range_valid(const time_class_range *r)
{
    return r->class_id >= 1 && r->class_id <= TIME_CLASS_MAX_ID && r->start_minute >= 0 &&
           r->start_minute <= 1439 && r->end_minute >= 1 && r->end_minute <= 1440;
}

uint32_t time_class_active(const time_class_range *ranges, size_t n,
                           int64_t at_usec, int32_t offset_seconds)
{
    int64_t local = floor_div(at_usec, USEC_PER_SEC) + offset_seconds;
    int64_t day = floor_div(local, SEC_PER_DAY);
    int minute = (int)((local - day * SEC_PER_DAY) / 60);
    /* 1970-01-01 was a Thursday: Monday-based weekday 3. */
    int wd = (int)(((day % 7) + 7 + 3) % 7);
    int yesterday = (wd + 6) % 7;
    uint32_t mask = 0;
    for (size_t i = 0; i < n; i++) {
        const time_class_range *r = &ranges[i];
        if (!range_valid(r))
            continue;
        bool on;
        if (r->start_minute < r->end_minute)
            on = (r->weekdays >> wd & 1) && minute >= r->start_minute && minute < r->end_minute;
        else /* wraps past midnight: the tail belongs to the day it started */
            on = ((r->weekdays >> wd & 1) && minute >= r->start_minute) ||
                 ((r->weekdays >> yesterday & 1) && minute < r->end_minute);
        if (on)
            mask |= UINT32_C(1) << r->class_id;
    }
    return mask;
}

/* ---- time zones ---- */

#define TZ_CACHE_SLOTS 1024
#define TZ_NAME_MAX 64

typedef struct {
    char zone[TZ_NAME_MAX + 1];
    int64_t hour;              /* UTC hours since the epoch */
    int32_t offset;
    bool used;
} tz_slot;

/* One lock for the cache and for TZ: a miss is rare and short. */
static pthread_mutex_t tz_lock = PTHREAD_MUTEX_INITIALIZER;
static tz_slot tz_cache[TZ_CACHE_SLOTS];

static uint32_t tz_hash(const char *zone, int64_t hour)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = zone; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h ^= (uint64_t)hour * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
    return (uint32_t)(h % TZ_CACHE_SLOTS);
}

/* The zone exists when its file is in the tz database and starts with the
 * TZif magic (glibc silently falls back to UTC for anything else). */
static bool zone_file_ok(const char *zone)
{
    if (!valid_timezone_name(zone) || strlen(zone) > TZ_NAME_MAX)
        return false;
    char path[sizeof ZONEINFO_DIR + TZ_NAME_MAX + 1], magic[4];
    snprintf(path, sizeof path, "%s%s", ZONEINFO_DIR, zone);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool ok = fread(magic, 1, sizeof magic, f) == sizeof magic && memcmp(magic, "TZif", 4) == 0;
    fclose(f);
    return ok;
}

static bool local_offset(int64_t t, int32_t *off)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!localtime_r(&tt, &tm))
        return false;
    *off = (int32_t)tm.tm_gmtoff;
    return true;
}

/* With tz_lock held: compute the offset at `sec`, and whether the whole
 * UTC hour `hour` has that offset. */
static bool zone_compute(const char *zone, int64_t sec, int64_t hour, int32_t *off, bool *whole_hour)
{
    char tzvalue[sizeof ZONEINFO_DIR + TZ_NAME_MAX + 2];
    snprintf(tzvalue, sizeof tzvalue, ":%s%s", ZONEINFO_DIR, zone);
    const char *old = getenv("TZ");
    char *saved = NULL;
    if (old && !(saved = strdup(old)))
        return false;
    bool ok = false;
    if (setenv("TZ", tzvalue, 1) == 0) {
        tzset();
        int32_t first, last;
        ok = local_offset(sec, off) && local_offset(hour * 3600, &first) &&
             local_offset(hour * 3600 + 3599, &last);
        *whole_hour = ok && first == last && first == *off;
    }
    if (saved)
        setenv("TZ", saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(saved);
    return ok;
}

bool time_zone_offset(const char *tz, int64_t at_usec, int32_t *offset_seconds)
{
    if (!tz || strlen(tz) > TZ_NAME_MAX)
        return false;
    int64_t sec = floor_div(at_usec, USEC_PER_SEC);
    int64_t hour = floor_div(sec, 3600);
    /* time_t and struct tm cover this range on 64-bit Linux; refuse what
     * localtime_r could not represent. */
    if (hour < -(INT64_C(1) << 40) || hour > (INT64_C(1) << 40))
        return false;
    tz_slot *slot = &tz_cache[tz_hash(tz, hour)];
    bool ok = true, whole_hour = false;
    int32_t off = 0;
    pthread_mutex_lock(&tz_lock);
    if (slot->used && slot->hour == hour && strcmp(slot->zone, tz) == 0) {
        off = slot->offset;
    } else if (!zone_file_ok(tz) || !zone_compute(tz, sec, hour, &off, &whole_hour)) {
        ok = false;
    } else if (whole_hour) {
        snprintf(slot->zone, sizeof slot->zone, "%s", tz);
        slot->hour = hour;
        slot->offset = off;
        slot->used = true;
    }
    pthread_mutex_unlock(&tz_lock);
    if (ok)
        *offset_seconds = off;
    return ok;
}

/* ---- parsing ---- */

bool time_class_parse_hhmm(const char *s, int16_t *minutes)
{
    if (!s || strlen(s) != 5 || s[2] != ':')
        return false;
    for (int i = 0; i < 5; i++)
        if (i != 2 && (s[i] < '0' || s[i] > '9'))
            return false;
    int h = (s[0] - '0') * 10 + (s[1] - '0');
    int m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return false;
    *minutes = (int16_t)(h * 60 + m);
    return true;
}

static int weekday_index(const char *s, size_t n)
{
    static const char *const names[] = { "monday", "tuesday", "wednesday", "thursday",
                                         "friday", "saturday", "sunday" };
    for (int i = 0; i < 7; i++) {
        /* the three-letter abbreviation or the full name */
        if ((n == 3 || n == strlen(names[i])) && strncasecmp(s, names[i], n) == 0)
            return i;
    }
    return -1;
}

bool time_class_parse_weekdays(const char *s, uint8_t *mask)
{
    if (!s)
        return false;
    uint8_t m = 0;
    const char *p = s;
    for (;;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t'))
            p++, len--;
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len == 0)
            return false;
        const char *dash = memchr(p, '-', len);
        int a, b;
        if (dash) {
            a = weekday_index(p, (size_t)(dash - p));
            b = weekday_index(dash + 1, len - (size_t)(dash - p) - 1);
        } else {
            a = b = weekday_index(p, len);
        }
        if (a < 0 || b < 0)
            return false;
        /* "fri-mon" wraps through the weekend */
        for (int d = a;; d = (d + 1) % 7) {
            m |= (uint8_t)(1u << d);
            if (d == b)
                break;
        }
        if (!end)
            break;
        p = end + 1;
    }
    *mask = m;
    return true;
}
