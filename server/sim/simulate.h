/*
 * simulate: `didtrond simulate`, a traffic simulator that makes CDRs the
 * way a switch would and posts them to POST /api/v1/cdrs, so the
 * monitoring (KPI windows, rules, the NOC dashboard) has live traffic
 * (docs/monitoring.md "Traffic simulator").
 *
 * The scenario (a JSON file) says how many calls a second, where they come
 * in (services or ingress interconnects), where they go (destinations by
 * callee prefix, with weights), which suppliers carry them and how well
 * (ASR, ACD distribution, PDD, the release causes of failures), and timed
 * events that degrade a supplier. Randomness is a seeded xorshift64* of
 * our own, so a seed replays the same calls. The server rates; the
 * simulator sends only times, numbers and causes.
 */
#ifndef DIDTRON_SIM_SIMULATE_H
#define DIDTRON_SIM_SIMULATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_MAX_ITEMS 64
#define SIM_NAME_MAX 128

typedef struct {
    uint64_t s;
} sim_rng;

void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
double sim_rng_uniform(sim_rng *r);       /* [0, 1) */

typedef struct {
    json_t *ref;                 /* the id (integer) or name (string) as written; borrowed from the file */
    long long id;                /* resolved: interconnect id */
    char tech_prefix[24];        /* resolved from a service; "" when none */
    double weight;
} sim_ingress;

typedef struct {
    char name[SIM_NAME_MAX];
    char prefixes[8][24];
    int nprefixes;
    int digits;                  /* total callee length, prefix included */
    double weight;
} sim_destination;

typedef struct {
    int cause;                   /* Q.850 1..127 or SIP 100..699 */
    double weight;
} sim_cause;

enum { SIM_EXPONENTIAL, SIM_LOGNORMAL };

typedef struct {
    json_t *ref;
    long long id;
    double weight;
    double asr;                  /* 0..1 */
    int acd_dist;
    double acd_mean, acd_sigma;  /* seconds; sigma: lognormal shape */
    double pdd_mean, pdd_spread; /* ms */
    sim_cause causes[16];
    int ncauses;
} sim_supplier;

typedef struct {
    double at_minute, until_minute;   /* until < 0: to the end */
    int supplier;                      /* index into suppliers */
    double asr, acd_mean, pdd_mean;    /* < 0: unchanged */
} sim_event;

typedef struct {
    double cps;
    sim_ingress ingress[SIM_MAX_ITEMS];
    int ningress;
    sim_destination dest[SIM_MAX_ITEMS];
    int ndest;
    sim_supplier sup[SIM_MAX_ITEMS];
    int nsup;
    sim_event events[SIM_MAX_ITEMS];
    int nevents;
    char caller_prefix[16];
    json_t *doc;                 /* owned: the parsed file */
} sim_scenario;

/* Parse a scenario. Returns 0, or -1 with err naming the field
 * ("suppliers[1].asr must be a number from 0 to 1"). On success free it
 * with sim_scenario_free. Names are resolved later (sim_run). */
int sim_scenario_parse(json_t *doc, sim_scenario *sc, char *err, size_t errlen);
void sim_scenario_free(sim_scenario *sc);

/* One call made up at sim_minute (scenario time) and ending at end_usec:
 * a CDR object as POST /api/v1/cdrs takes it (new reference). ids must
 * already be resolved. */
json_t *sim_make_cdr(const sim_scenario *sc, sim_rng *r, double sim_minute, int64_t end_usec, const char *id);

/* `didtrond simulate ...` (main.c). Returns the process exit status. */
int sim_main(int argc, char **argv);

#endif
