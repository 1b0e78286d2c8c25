/*
 * rating_engine: the live rate decks and rating one side of a call.
 *
 * Each rating plan in use has one deck in memory: its prefix_index plus
 * what rating needs from the plan (currency, rounding, time classes). A
 * deck is loaded on first use on the worker that asks (never on the
 * service thread), shared read-only by every thread, and replaced whole
 * (a new deck is built, then the pointer swapped) when the plan's rates
 * change here or on another instance (rating_deck_invalidate, driven by
 * the plan's change event). Readers hold a reference, so a swap never
 * frees a deck in use.
 */
#ifndef DIDTRON_RATING_ENGINE_H
#define DIDTRON_RATING_ENGINE_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

#include "money.h"
#include "prefix_index.h"
#include "tariff.h"
#include "time_class.h"

typedef struct rating_deck rating_deck;

/* The deck of plan_id, loading it with db when absent or invalidated.
 * Returns a reference (release it) or NULL with a message in err (unknown
 * or deleted plan, database error). Thread-safe. */
rating_deck *rating_deck_get(PGconn *db, long long plan_id, char *err, size_t errlen);
void rating_deck_release(rating_deck *d);
/* Forget the deck so the next get rebuilds it. Any thread. */
void rating_deck_invalidate(long long plan_id);
/* Added with rating_engine.c: forget the deck only when it was built from
 * a plan version older than `version` (the rating_plan.changed event
 * carries the new version, so an instance that already rebuilt the deck
 * after its own commit keeps it). Any thread. */
void rating_deck_stale(long long plan_id, long long version);
/* Forget every deck (the event listener reconnected: changes announced
 * while it was away are unknown). Any thread. */
void rating_deck_invalidate_all(void);

/* What the deck knows of its plan. */
const char *rating_deck_currency(const rating_deck *d);
money_rounding rating_deck_rounding(const rating_deck *d);
const prefix_index *rating_deck_index(const rating_deck *d);
/* The rating_plans.version the deck was built from (added). */
long long rating_deck_version(const rating_deck *d);

/* One side of a call, rated. */
typedef struct {
    bool rated;                 /* false: reason says why (no rate, blocked, ...) */
    char reason[96];
    char prefix[TARIFF_NUMBER_MAX + 1];
    char destination[129];
    money_t rate;               /* per minute */
    int64_t duration;           /* d, seconds */
    int64_t billed;             /* billed seconds */
    money_t cost;
    char currency[4];
    long long rate_row_id;
} rating_result;

/* Rate a call against the deck: longest prefix of callee (normalised
 * digits) effective at start_usec and matching the time classes active
 * then in time zone tz (NULL or "" = UTC), the billing rules of
 * docs/rating.md. Never fails: an unratable call has rated = false and a
 * reason ("no rate for 4420...", "prefix 4420 is blocked", "number length
 * 9 outside 10..12", "cost overflows"). */
void rating_rate(const rating_deck *d, const char *callee, int64_t start_usec, bool answered,
                 int64_t answer_usec, int64_t end_usec, const char *tz, rating_result *out);

#endif
