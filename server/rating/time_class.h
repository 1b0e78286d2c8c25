/*
 * time_class: peak / off-peak / weekend, by weekday and local time range.
 *
 * A rating plan may price a prefix differently by time class. A class is a
 * small id (1..31) and one or more ranges; a rate row names one class id or
 * 0 (any time). At a call's start the active classes are a bit mask
 * (bit id set when any of the class's ranges covers the local time in the
 * carrier's time zone).
 */
#ifndef DIDTRON_TIME_CLASS_H
#define DIDTRON_TIME_CLASS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIME_CLASS_MAX_ID 31

typedef struct {
    int class_id;        /* 1..TIME_CLASS_MAX_ID */
    uint8_t weekdays;    /* bit 0 Monday ... bit 6 Sunday */
    int16_t start_minute;/* 0..1439, local time, inclusive */
    int16_t end_minute;  /* 1..1440, exclusive; end <= start wraps past
                            midnight (the part after midnight belongs to the
                            weekday the range started on) */
} time_class_range;

/* Bit mask of the classes active at at_usec for a clock offset_seconds
 * east of UTC. Bit k set means class id k is active. */
uint32_t time_class_active(const time_class_range *ranges, size_t n,
                           int64_t at_usec, int32_t offset_seconds);

/* UTC offset of IANA zone `tz` at at_usec, in seconds east of UTC.
 * Thread-safe; answers are cached per zone and hour, so rating many CDRs
 * costs one lookup per zone-hour. False when the zone is unknown. */
bool time_zone_offset(const char *tz, int64_t at_usec, int32_t *offset_seconds);

/* Parse "HH:MM" (00:00..24:00) into minutes. */
bool time_class_parse_hhmm(const char *s, int16_t *minutes);

/* Parse a weekday list such as "mon,tue,fri" or "mon-fri" or "sat-sun"
 * into a weekday mask. False on an unknown name or an empty list. */
bool time_class_parse_weekdays(const char *s, uint8_t *mask);

#endif
