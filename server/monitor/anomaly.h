/*
 * anomaly: EWMA baselines per hour of the week (docs/monitoring.md).
 *
 * Pure: no database, no clock. A baseline cell holds an exponentially
 * weighted mean and variance of one figure (a scope's ASR, ACD, NER or
 * attempts over one closed hour) for one hour of the week (0 = Monday
 * 00:00-01:00 UTC .. 167 = Sunday 23:00). Each cell learns once a week, so
 * the weight of a new sample is high (ANOMALY_ALPHA = 0.3: the last four
 * weeks carry 76% of the weight) and a cell judges only after
 * ANOMALY_MIN_SAMPLES weeks.
 *
 * The update is the incremental EWMA of West (1979) / Finch (2009):
 *     d = x - mean;  mean += alpha d;  var = (1 - alpha) (var + alpha d^2)
 * and z = (x - mean) / sd with sd = max(sqrt(var), floor), the floor being
 * max(sd_floor_abs, sd_floor_rel |mean|) of the metric (anomaly_params_of):
 * a perfectly flat history would otherwise flag the smallest wobble.
 */
#ifndef DIDTRON_ANOMALY_H
#define DIDTRON_ANOMALY_H

#include <stdbool.h>
#include <stdint.h>

#define ANOMALY_HOURS 168
#define ANOMALY_ALPHA 0.3
#define ANOMALY_MIN_SAMPLES 3

typedef enum { ANOMALY_ASR, ANOMALY_ACD, ANOMALY_NER, ANOMALY_ATTEMPTS, ANOMALY_METRICS } anomaly_metric;

typedef struct {
    double mean, var;
    uint32_t n;             /* samples seen */
} anomaly_cell;

typedef struct {
    double alpha;
    uint32_t min_samples;
    double sd_floor_abs;    /* asr/ner 0.02, acd 5 s, attempts 1 */
    double sd_floor_rel;    /* of |mean|: 0.10; attempts also sqrt(mean) (Poisson) */
    bool poisson;           /* counts: the floor is at least sqrt(mean) */
    int direction;          /* -1: only drops count, +1: only rises, 0: both */
} anomaly_params;

/* The defaults of a metric: asr, ner, acd and attempts count drops only. */
anomaly_params anomaly_params_of(anomaly_metric m);

/* "asr" -> ANOMALY_ASR; -1 when the metric has no baseline. */
int anomaly_metric_parse(const char *name);
extern const char *const anomaly_metric_names[ANOMALY_METRICS + 1];

/* Learn one sample. */
void anomaly_update(anomaly_cell *c, double x, const anomaly_params *p);

/* The standard deviation used to judge (with its floor). */
double anomaly_stddev(const anomaly_cell *c, const anomaly_params *p);

/* z of x against the cell; false (z untouched) while the cell has fewer
 * than min_samples samples. */
bool anomaly_z(const anomaly_cell *c, double x, const anomaly_params *p, double *z);

/* Is z an anomaly at threshold (> 0) in the metric's direction? */
bool anomaly_flags(double z, double threshold, const anomaly_params *p);

/* Hour of the week of a unix time (seconds, UTC): 0 = Monday 00:00. */
int anomaly_hour_of_week(int64_t unix_sec);

/* "Mon 14:00" for hour of week h (buf >= 10 bytes). */
void anomaly_hour_name(int h, char *buf, int n);

#endif
