/*
 * plans: what rating/plans.c, import.c and rating_engine.c share — time
 * class ranges read from their stored JSON, and the import handler that
 * plans.c lists in the rating method table. Private to server/rating.
 */
#ifndef DIDTRON_RATING_PLANS_H
#define DIDTRON_RATING_PLANS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../rpc/rpc.h"
#include "time_class.h"

/* At most this many ranges per class (and so 31 * 16 per plan). */
#define TIME_CLASS_RANGES_MAX 16

/* The ranges of class `class_id` from their JSON
 * ([{"weekdays":"mon-fri","start":"08:00","end":"20:00"}], 1 to
 * TIME_CLASS_RANGES_MAX of them), appended to out[*n] (capacity cap).
 * False with err naming the first bad item as "ranges[i].start" etc. */
bool time_class_ranges_parse(json_t *ranges, int class_id, time_class_range *out, size_t cap, size_t *n,
                             char *err, size_t errlen);

/* rating_plan.import (rating/import.c). */
int rating_plan_import(rpc_call *c);
extern const rpc_field rating_plan_import_params[];

/* Run fn in a transaction of the handler's own and, once it committed,
 * forget the plan's deck here (other instances hear the plan's change
 * event). Methods that use it are not RPC_MUTATES: the commit has to come
 * before the invalidation, or another worker could reload the old rows. */
int rating_plan_write(rpc_call *c, long long plan_id, int (*fn)(rpc_call *c));

#endif
