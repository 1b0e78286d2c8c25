/* anomaly.c: EWMA baselines per hour of the week (anomaly.h). */
#include "anomaly.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *const anomaly_metric_names[ANOMALY_METRICS + 1] = { "asr", "acd", "ner", "attempts", NULL };

int anomaly_metric_parse(const char *name)
{
    for (int i = 0; name && i < ANOMALY_METRICS; i++)
        if (!strcmp(name, anomaly_metric_names[i]))
            return i;
    return -1;
}

anomaly_params anomaly_params_of(anomaly_metric m)
{
    anomaly_params p = { ANOMALY_ALPHA, ANOMALY_MIN_SAMPLES, 0.02, 0.10, false, -1 };
    if (m == ANOMALY_ACD)
        p.sd_floor_abs = 5.0;
    else if (m == ANOMALY_ATTEMPTS) {
        p.sd_floor_abs = 1.0;
        p.poisson = true;
    }
    return p;
}

void anomaly_update(anomaly_cell *c, double x, const anomaly_params *p)
{
    if (!isfinite(x))
        return;
    if (c->n == 0) {
        c->mean = x;
        c->var = 0;
    } else {
        double d = x - c->mean;
        c->mean += p->alpha * d;
        c->var = (1 - p->alpha) * (c->var + p->alpha * d * d);
    }
    if (c->n < UINT32_MAX)
        c->n++;
}

double anomaly_stddev(const anomaly_cell *c, const anomaly_params *p)
{
    double floor = fmax(p->sd_floor_abs, p->sd_floor_rel * fabs(c->mean));
    if (p->poisson)
        floor = fmax(floor, sqrt(fabs(c->mean)));
    double sd = sqrt(c->var > 0 ? c->var : 0);
    return sd > floor ? sd : floor;
}

bool anomaly_z(const anomaly_cell *c, double x, const anomaly_params *p, double *z)
{
    if (c->n < p->min_samples || !isfinite(x))
        return false;
    *z = (x - c->mean) / anomaly_stddev(c, p);
    return true;
}

bool anomaly_flags(double z, double threshold, const anomaly_params *p)
{
    if (p->direction < 0)
        return z <= -threshold;
    if (p->direction > 0)
        return z >= threshold;
    return fabs(z) >= threshold;
}

int anomaly_hour_of_week(int64_t unix_sec)
{
    /* 1970-01-01 was a Thursday: Monday-based day = (days + 3) mod 7. */
    int64_t hours = unix_sec >= 0 ? unix_sec / 3600 : (unix_sec - 3599) / 3600;
    int64_t days = hours >= 0 ? hours / 24 : (hours - 23) / 24;
    int dow = (int)(((days + 3) % 7 + 7) % 7);
    int hod = (int)(((hours % 24) + 24) % 24);
    return dow * 24 + hod;
}

void anomaly_hour_name(int h, char *buf, int n)
{
    static const char *const days[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
    if (h < 0 || h >= ANOMALY_HOURS)
        h = 0;
    snprintf(buf, (size_t)n, "%s %02d:00", days[h / 24], h % 24);
}
