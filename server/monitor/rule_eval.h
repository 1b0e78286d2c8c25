/*
 * rule_eval: the pure part of rule evaluation (docs/monitoring.md
 * "Evaluation"): judging a figure against a threshold with hysteresis,
 * the hold time before firing and the time back within bounds before
 * recovering. No database, no clock (times are passed in, usec).
 */
#ifndef DIDTRON_RULE_EVAL_H
#define DIDTRON_RULE_EVAL_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    JUDGE_NONE = -1,  /* no judgement: too few attempts, no figure */
    JUDGE_OK = 0,     /* past the reset threshold: recovering */
    JUDGE_BREACH = 1, /* past the threshold */
    JUDGE_BAND = 2,   /* between threshold and reset: neither breach nor recovery */
} rule_judgement;

/* op '<' fires when value < threshold and clears when value > reset
 * (reset >= threshold); op '>' fires when value > threshold and clears when
 * value < reset (reset <= threshold). reset equal to the threshold: no
 * band. attempts < min_attempts: JUDGE_NONE. */
rule_judgement rule_judge(char op, double value, double threshold, double reset, uint64_t attempts,
                          uint64_t min_attempts);

typedef struct {
    int64_t breach_since;   /* first breach of the current run, 0 = none */
    int64_t ok_since;       /* first OK of the current run while firing, 0 = none */
    bool firing;
} rule_state;

typedef enum {
    STEP_NONE,      /* nothing to do */
    STEP_FIRE,      /* the breach held hold_usec: fire (the state is now firing) */
    STEP_STILL,     /* firing and still in breach: refresh the alert */
    STEP_RECOVER,   /* firing and OK for recover_usec: recover, then call rule_recovered */
} rule_step_result;

/* Advance the state by one judgement at time now. */
rule_step_result rule_step(rule_state *s, rule_judgement j, int64_t now, int64_t hold_usec, int64_t recover_usec);

/* The recovery was carried out: back to quiet. */
void rule_recovered(rule_state *s);

#endif
