#include "timeutil.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * civil-from-days inverse, written out here). */
static int64_t days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

bool time_parse_rfc3339(const char *s, int64_t *unix_usec)
{
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) < 20)
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return false;
    const char *p = s + 19;
    int64_t usec = 0;
    if (*p == '.') {
        int n = 0;
        p++;
        while (*p >= '0' && *p <= '9') {
            if (++n > 6)
                return false;
            usec = usec * 10 + (*p - '0');
            p++;
        }
        if (n == 0)
            return false;
        for (; n < 6; n++)
            usec *= 10;
    }
    int offset = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset = (oh * 60 + om) * 60 * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p)
        return false;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    *unix_usec = secs * 1000000 + usec;
    return true;
}

char *time_format_rfc3339(int64_t unix_usec, char *buf, size_t n)
{
    int64_t secs = unix_usec / 1000000, frac = unix_usec % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs--;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    if (frac)
        snprintf(buf + k, n - k, ".%06lldZ", (long long)frac);
    else
        snprintf(buf + k, n - k, "Z");
    return buf;
}

int64_t time_mono_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t time_now_usec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool time_parse_date_or_rfc3339(const char *s, int64_t *unix_usec)
{
    size_t n = strlen(s);
    if (n != 10 && !((n == 16 || n == 19) && s[10] == ' '))
        return time_parse_rfc3339(s, unix_usec);
    /* complete it to "YYYY-MM-DDTHH:MM:SSZ" */
    char tmp[21] = "0000-00-00T00:00:00Z";
    memcpy(tmp, s, n);
    tmp[10] = 'T';
    return time_parse_rfc3339(tmp, unix_usec);
}
