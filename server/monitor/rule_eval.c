/* rule_eval.c: thresholds, hysteresis, hold and recovery (rule_eval.h). */
#include "rule_eval.h"

#include <math.h>

rule_judgement rule_judge(char op, double value, double threshold, double reset, uint64_t attempts,
                          uint64_t min_attempts)
{
    if (attempts < min_attempts || !isfinite(value))
        return JUDGE_NONE;
    if (op == '<') {
        if (value < threshold)
            return JUDGE_BREACH;
        return value > reset || (reset <= threshold && value >= threshold) ? JUDGE_OK : JUDGE_BAND;
    }
    if (value > threshold)
        return JUDGE_BREACH;
    return value < reset || (reset >= threshold && value <= threshold) ? JUDGE_OK : JUDGE_BAND;
}

rule_step_result rule_step(rule_state *s, rule_judgement j, int64_t now, int64_t hold_usec, int64_t recover_usec)
{
    switch (j) {
    case JUDGE_NONE:
        return STEP_NONE;
    case JUDGE_BREACH:
        s->ok_since = 0;
        if (s->firing)
            return STEP_STILL;
        if (!s->breach_since)
            s->breach_since = now;
        if (now - s->breach_since >= hold_usec) {
            s->firing = true;
            return STEP_FIRE;
        }
        return STEP_NONE;
    case JUDGE_BAND:
        s->breach_since = 0;
        s->ok_since = 0;
        return STEP_NONE;
    case JUDGE_OK:
        s->breach_since = 0;
        if (!s->firing)
            return STEP_NONE;
        if (!s->ok_since)
            s->ok_since = now;
        return now - s->ok_since >= recover_usec ? STEP_RECOVER : STEP_NONE;
    }
    return STEP_NONE;
}

void rule_recovered(rule_state *s)
{
    s->firing = false;
    s->breach_since = 0;
    s->ok_since = 0;
}
