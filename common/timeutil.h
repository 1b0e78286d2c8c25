/*
 * timeutil: RFC 3339 UTC timestamps on the wire, microseconds in C.
 */
#ifndef DIDTRON_TIMEUTIL_H
#define DIDTRON_TIMEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parse "2026-11-23T11:48:14Z", "...14.123456+01:00", lower-case t/z too.
 * Fractions beyond microseconds are refused. Returns false when the text is
 * not a valid RFC 3339 date-time (including impossible dates). */
bool time_parse_rfc3339(const char *s, int64_t *unix_usec);

/* RFC 3339, or "YYYY-MM-DD" / "YYYY-MM-DD HH:MM[:SS]" taken as UTC (the
 * forms rate decks use). */
bool time_parse_date_or_rfc3339(const char *s, int64_t *unix_usec);

/* "2026-11-23T11:48:14.123456Z" (fraction only when non-zero). buf >= 32. */
char *time_format_rfc3339(int64_t unix_usec, char *buf, size_t n);

/* Monotonic clock in microseconds, and wall clock in microseconds. */
int64_t time_mono_usec(void);
int64_t time_now_usec(void);

#endif
