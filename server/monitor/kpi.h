/*
 * kpi: call quality figures per scope over sliding windows, in memory.
 *
 * Pure: no database, no network, no clock of its own. Every call that can
 * slide a window takes `now` (unix usec), so tests and benchmarks drive
 * time explicitly and the server passes the wall clock.
 *
 * A scope is one thing we measure: an interconnect, a route (egress
 * interconnect + destination), a destination, a customer service. Each has
 * an id string (scope_id, at most KPI_ID_MAX bytes) chosen by the caller.
 * Per scope and window the figures live in a ring of fixed-width buckets
 * (docs/monitoring.md has the table):
 *
 *     window   bucket   buckets   covers
 *     5m       10 s     30        the current bucket and 29 before it
 *     15m      30 s     30
 *     1h       1 min    60
 *     24h      30 min   48
 *
 * so a window is its last N buckets, the current one partly filled: it
 * spans between (N-1) and N bucket widths of time. Each ring keeps running
 * totals, added to on every event and subtracted from when a bucket falls
 * off the end, so a read is O(1) per scope, not O(buckets). Memory is
 * fixed per scope (sizeof a scope is about 15 KB) and the number of scopes
 * per kind is capped (kpi_options.max_scopes): never lists of CDRs.
 *
 * An event is one call attempt with the time it is counted at (the caller
 * passes the CDR's end time: when its outcome was known). An event older
 * than a window is not added to that window (and when it is older than
 * every window, kpi_add says so); an event up to KPI_FUTURE_SLACK_USEC
 * ahead of `now` counts in the current bucket (clock skew between the
 * switch and us), further ahead it is refused.
 *
 * Threads: each scope kind is a table split into KPI_SHARDS shards by the
 * hash of the id, each with its own mutex. kpi_add locks one shard;
 * kpi_snapshot locks each shard in turn, so many workers add while a
 * reader snapshots, and every scope's figures in a snapshot are
 * consistent (taken under its shard's lock).
 */
#ifndef DIDTRON_KPI_H
#define DIDTRON_KPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KPI_ID_MAX 95
#define KPI_SHARDS 16
#define KPI_FUTURE_SLACK_USEC (300LL * 1000000)
#define KPI_SHORT_CALL_S_DEFAULT 6
#define KPI_MAX_SCOPES_DEFAULT 50000

typedef enum { KPI_INTERCONNECT, KPI_ROUTE, KPI_DESTINATION, KPI_SERVICE, KPI_SCOPE_KINDS } kpi_scope;
typedef enum { KPI_5M, KPI_15M, KPI_1H, KPI_24H, KPI_WINDOWS } kpi_window;

/* PDD histogram: bin i holds pdd_ms <= kpi_pdd_bounds[i] (and above the
 * bound before it); the last bin is everything above 20,000 ms. */
#define KPI_PDD_BINS 12
extern const int32_t kpi_pdd_bounds[KPI_PDD_BINS - 1];

/* One call attempt. */
typedef struct {
    int64_t time_usec;      /* when it counts (the CDR's end time) */
    bool answered;
    int32_t release_cause;  /* SIP 100..699 or Q.850 1..127; 0 when unknown */
    int64_t seconds;        /* answered duration, whole seconds */
    int32_t pdd_ms;         /* -1 when unknown */
} kpi_event;

/* Sums over a window. */
typedef struct {
    uint64_t attempts;
    uint64_t answered;
    uint64_t ner;           /* attempts kpi_ner_counts() */
    uint64_t short_calls;   /* answered with seconds < short_call_s */
    uint64_t redirects;     /* not answered, released with a redirection (kpi_redirected) */
    uint64_t seconds;       /* answered seconds */
    uint64_t pdd_n;
    uint64_t pdd_sum_ms;
    uint64_t pdd_hist[KPI_PDD_BINS];
} kpi_counts;

typedef struct {
    char scope_id[KPI_ID_MAX + 1];
    kpi_counts c;
} kpi_item;

typedef struct {
    int short_call_s;       /* answered shorter than this is a short call; 0: default 6 */
    size_t max_scopes;      /* per kind; 0: default 50,000 */
} kpi_options;

typedef struct kpi_table kpi_table;

/* A new empty set of tables (all four kinds). opt may be NULL (defaults).
 * Returns NULL when out of memory. Free with kpi_free. */
kpi_table *kpi_new(const kpi_options *opt);
void kpi_free(kpi_table *k);

/* Outcomes of kpi_add. */
#define KPI_ADDED 0
#define KPI_TOO_OLD 1       /* older than every window: nothing counted */
#define KPI_TOO_NEW 2       /* more than KPI_FUTURE_SLACK_USEC ahead of now */
#define KPI_FULL 3          /* a new scope and max_scopes exist already (or no memory) */
#define KPI_BAD_ID 4        /* empty or longer than KPI_ID_MAX */

/* Count one event for scope (kind, id), sliding its windows to now first.
 * The scope is created on first use. Returns one of the outcomes above.
 * Thread-safe. */
int kpi_add(kpi_table *k, kpi_scope kind, const char *id, const kpi_event *e, int64_t now);

/* Every scope of a kind with its sums over window w as of now (windows
 * are slid to now first). Scopes with no attempts in the window are left
 * out. *out is malloc'd (caller frees; NULL when none); returns the count,
 * or (size_t)-1 when out of memory. Thread-safe. */
size_t kpi_snapshot(kpi_table *k, kpi_scope kind, kpi_window w, int64_t now, kpi_item **out);

/* Figures of one scope (zeros when unknown). Thread-safe. */
void kpi_get(kpi_table *k, kpi_scope kind, const char *id, kpi_window w, int64_t now, kpi_counts *out);

/* One scope's figures per bucket of window w as of now (the window slid
 * to now first), oldest first, the newest (current, partly filled) bucket
 * last: out[i] covers [now_bucket - (m-1-i), +1) bucket widths where m is
 * the count returned, min(kpi_bucket_count(w), max). When max is smaller
 * than the window's bucket count, the newest max buckets. An unknown
 * scope gives m all-zero buckets. Thread-safe. */
size_t kpi_series(kpi_table *k, kpi_scope kind, const char *id, kpi_window w, int64_t now, kpi_counts *out,
                  size_t max);

/* Scopes per kind now held (for metrics and tests). */
size_t kpi_scope_count(kpi_table *k, kpi_scope kind);

/* NER (ITU-T E.425 network effectiveness): does this outcome count as the
 * network having done its job? Answered always; unanswered when the
 * release cause is a user's doing: Q.850 16 normal clearing, 17 user busy,
 * 18 no user responding, 19 no answer, 21 call rejected, and SIP 486 Busy
 * Here, 600 Busy Everywhere, 480 Temporarily Unavailable, 408 Request
 * Timeout, 603 Decline. */
bool kpi_ner_counts(bool answered, int32_t release_cause);

/* SER (RFC 6076 session establishment ratio) leaves redirected attempts
 * out of its denominator: SIP 3xx, and Q.850 23 (redirection to new
 * destination). Answered calls are never redirected. */
bool kpi_redirected(bool answered, int32_t release_cause);

/* Derived figures; 0 when the denominator is 0. */
double kpi_asr(const kpi_counts *c);          /* answered / attempts */
double kpi_ner(const kpi_counts *c);          /* ner / attempts */
double kpi_acd(const kpi_counts *c);          /* seconds / answered */
double kpi_pdd_avg(const kpi_counts *c);      /* pdd_sum_ms / pdd_n */
double kpi_short_ratio(const kpi_counts *c);  /* short_calls / answered */
double kpi_ser(const kpi_counts *c);          /* answered / (attempts - redirects) */
/* The upper bound of the histogram bin in which the 95th percentile
 * (the ceil(0.95 n)-th smallest PDD) falls; the last, open bin reports
 * its lower bound (20,000 ms). -1 when there is no PDD. */
int32_t kpi_pdd_p95(const kpi_counts *c);

/* "5m" -> KPI_5M; -1 when unknown. Same for scope names. */
int kpi_window_parse(const char *s);
int kpi_scope_parse(const char *s);
extern const char *const kpi_window_names[KPI_WINDOWS + 1];  /* NULL-terminated */
extern const char *const kpi_scope_names[KPI_SCOPE_KINDS + 1];
/* The window's bucket width and count. */
int64_t kpi_bucket_usec(kpi_window w);
int kpi_bucket_count(kpi_window w);

#endif
