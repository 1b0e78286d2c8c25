/*
 * import.c: rating_plan.import — a rate deck into a plan, all or nothing.
 *
 * The CSV comes from the `csv` param (WebSocket, POST /rpc) or from the
 * HTTP upload the transport spooled to a file (POST
 * /api/v1/rating-plans/{id}/rates, gzip or not). Either way it is read in
 * 64 KiB chunks into the streaming deck parser (deck_csv), whose good rows
 * go straight into `COPY rate_stage FROM STDIN` (a temporary table), so
 * neither the file nor the deck is ever whole in memory here.
 *
 * Everything happens in one transaction of the handler's own (the plan's
 * deck is forgotten after the commit, see rating_plan_write):
 *   1. lock the plan row (imports of one plan queue behind each other);
 *   2. stream the rows into rate_stage;
 *   3. refuse the whole import (ROLLBACK; a 'refused' rate_imports row is
 *      then written on its own) when the header is unusable, when strict
 *      and any line is bad, or when a replace has no good row but bad ones;
 *   4. a plan without rows (its first deck) takes the staged rows as they
 *      are, sorted by prefix, and skips to step 7; otherwise
 *      rate_diff: each staged row beside the row of its prefix and time
 *      class in force at its effective_from (the latest start when rows
 *      overlap), classified new / increase / decrease / changed / unchanged
 *      (rate first, then connection fee; "changed": same prices, other
 *      terms), sorted by prefix so the inserts below go into the index in
 *      order;
 *   5. replace mode: the plan's rows that start at or after the import's
 *      effective_from E and are not in the new deck (same prefix, class and
 *      start) are deleted (they never took effect); rows in force at E whose
 *      prefix and class the new deck lacks are closed at E;
 *   6. every new or different row: the row it replaces is updated in place
 *      when it starts at the same instant, else closed at the new row's
 *      effective_from and the new row inserted; unchanged rows write
 *      nothing, so importing the same deck twice changes nothing;
 *   7. the plan's rate_count and version, one rate_imports row, one audit
 *      row, one rating_plan.changed event.
 * While it runs it posts rating_plan.import_progress about every 250 ms
 * to this instance's subscribers (rpc_emit_now), also while PostgreSQL
 * works on steps 4-6 (the statements are sent asynchronously and waited
 * for in 250 ms slices).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "deck_csv.h"
#include "log.h"
#include "money.h"
#include "plans.h"
#include "rating_engine.h"
#include "timeutil.h"
#include "../audit/audit.h"
#include "../events/events.h"

#define CHUNK (64 * 1024)
#define COPY_FLUSH (256 * 1024)
#define ROW_TEXT_MAX 1024          /* one staged row as COPY text, with room to spare */
#define REJECTED_LISTED 1000       /* bad lines in the reply */
#define REJECTED_STORED 100        /* bad lines kept in rate_imports */
#define EARLY_LISTED 100
#define PROGRESS_USEC 250000
#define IMPORT_MAX_ROWS 5000000L
#define INFLATED_MAX (4ULL << 30)
#define WRITE_USEC_PER_ROW 4       /* for the ETA of steps 4-6: about 3 us a row on the dev VM */
#define USEC 1000000LL

static const char *const import_modes[] = { "merge", "replace", NULL };

const rpc_field rating_plan_import_params[] = {
    { "rating_plan_id", F_ID, F_REQUIRED },
    { "csv", F_STRING, 0 },                  /* or an HTTP upload */
    { "mode", F_ENUM, 0, 0, 0, import_modes }, /* default merge */
    { "effective_from", F_STRING, F_NULLABLE, 0, 40 },
    { "strict", F_BOOL },
    { NULL },
};

/* ---- where the CSV comes from ---- */

typedef struct {
    const char *mem;           /* the csv param, or NULL */
    size_t mem_len, mem_off;
    int fd;                    /* the upload, or -1 */
    bool gzip, eof, in_member;
    z_stream z;
    unsigned char *zin;
    uint64_t consumed;         /* source bytes read so far */
    uint64_t total;            /* source bytes */
    uint64_t inflated;
} deck_source;

static void source_close(deck_source *s)
{
    if (s->fd >= 0)
        close(s->fd);
    if (s->gzip)
        inflateEnd(&s->z);
    free(s->zin);
}

static int source_open(deck_source *s, rpc_call *c, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->fd = -1;
    json_t *csv = json_object_get(c->params, "csv");
    if (json_is_string(csv)) {
        s->mem = json_string_value(csv);
        s->mem_len = s->total = json_string_length(csv);
        return 0;
    }
    s->fd = open(c->upload->path, O_RDONLY | O_CLOEXEC);
    if (s->fd < 0) {
        log_error("rating_plan.import: cannot open the upload %s: %s", c->upload->path, strerror(errno));
        snprintf(err, errlen, "cannot read the upload");
        return -1;
    }
    s->total = c->upload->size;
    if (c->upload->gzip) {
        s->zin = malloc(CHUNK);
        if (!s->zin || inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        s->gzip = s->in_member = true;
    }
    return 0;
}

static ssize_t read_some(int fd, void *buf, size_t n)
{
    ssize_t k;
    do
        k = read(fd, buf, n);
    while (k < 0 && errno == EINTR);
    return k;
}

/* Up to cap bytes of CSV into out. 0 with *n (0 at the end), or -1 with
 * err set (a corrupt gzip body, a read error). */
static int source_read(deck_source *s, char *out, size_t cap, size_t *n, char *err, size_t errlen)
{
    *n = 0;
    if (s->mem) {
        size_t k = s->mem_len - s->mem_off < cap ? s->mem_len - s->mem_off : cap;
        memcpy(out, s->mem + s->mem_off, k);
        s->mem_off += k;
        s->consumed += k;
        *n = k;
        return 0;
    }
    if (!s->gzip) {
        ssize_t k = read_some(s->fd, out, cap);
        if (k < 0) {
            snprintf(err, errlen, "cannot read the upload");
            return -1;
        }
        s->consumed += (uint64_t)k;
        *n = (size_t)k;
        return 0;
    }
    for (;;) {
        if (s->z.avail_in == 0 && !s->eof) {
            ssize_t k = read_some(s->fd, s->zin, CHUNK);
            if (k < 0) {
                snprintf(err, errlen, "cannot read the upload");
                return -1;
            }
            if (k == 0)
                s->eof = true;
            s->z.next_in = s->zin;
            s->z.avail_in = (uInt)k;
            s->consumed += (uint64_t)k;
        }
        if (s->z.avail_in == 0 && s->eof) {
            if (s->in_member) {
                snprintf(err, errlen, "the gzip body ends in the middle of a member");
                return -1;
            }
            return 0;
        }
        if (!s->in_member) { /* another gzip member follows */
            inflateReset(&s->z);
            s->in_member = true;
        }
        s->z.next_out = (unsigned char *)out;
        s->z.avail_out = (uInt)cap;
        int rc = inflate(&s->z, Z_NO_FLUSH);
        size_t got = cap - s->z.avail_out;
        if (rc == Z_STREAM_END)
            s->in_member = false;
        else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            snprintf(err, errlen, "the gzip body is corrupt (%s)", s->z.msg ? s->z.msg : "inflate failed");
            return -1;
        }
        s->inflated += got;
        if (s->inflated > INFLATED_MAX) {
            snprintf(err, errlen, "the gzip body inflates to more than %llu bytes", (unsigned long long)INFLATED_MAX);
            return -1;
        }
        if (got) {
            *n = got;
            return 0;
        }
    }
}

/* ---- the import ---- */

/* Most rows of a deck share their dates: format each distinct one once. */
typedef struct {
    int64_t usec;
    size_t len;
    char text[40];
} date_text;

typedef struct {
    long long imported, rejected, new_rows, increases, decreases, changed, unchanged, early, closed, deleted,
        inserted;
} import_counts;

typedef struct {
    rpc_call *c;
    long long plan_id, import_id, notice_days;
    bool strict, replace;
    int64_t effective_from;        /* E: the rows' default start, the replace instant */
    struct {
        int id;
        char name[65];
    } classes[TIME_CLASS_MAX_ID];
    int nclasses;

    char *buf;                     /* COPY text not yet sent */
    size_t len;
    bool copy_failed;
    char stop[200];                /* why the parse was stopped, "" when it was not */

    import_counts n;
    json_t *rejected;              /* the first REJECTED_LISTED [{line, message}] */
    bool header_bad;

    date_text from_text, to_text;

    deck_source *src;
    int64_t t0, last_progress, write_started;
    const char *phase;
} import_ctx;

static void progress(import_ctx *x, bool done, const char *status)
{
    int64_t now = time_mono_usec();
    if (!done && now - x->last_progress < PROGRESS_USEC)
        return;
    x->last_progress = now;
    int64_t elapsed = now - x->t0;
    long long rps = elapsed > 0 ? (long long)((double)x->n.imported * USEC / (double)elapsed) : 0;
    long long eta = 0;
    if (!done && !x->write_started && x->src->consumed > 0) {
        /* the rest of the file at the pace so far, then the SQL steps */
        double per_byte = (double)elapsed / (double)x->src->consumed;
        double rows = (double)x->n.imported * (double)x->src->total / (double)x->src->consumed;
        eta = (long long)((per_byte * (double)(x->src->total - x->src->consumed) + rows * WRITE_USEC_PER_ROW) / USEC);
    } else if (!done && x->write_started) {
        int64_t end = x->write_started + (int64_t)x->n.imported * WRITE_USEC_PER_ROW;
        eta = end > now ? (long long)((end - now + USEC - 1) / USEC) : 1;
    }
    json_t *ev = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s, s:s*}", "rating_plan_id",
                           (json_int_t)x->plan_id, "import_id", (json_int_t)x->import_id, "rows",
                           (json_int_t)x->n.imported, "bytes", (json_int_t)x->src->consumed, "total_bytes",
                           (json_int_t)x->src->total, "rows_per_second", (json_int_t)rps, "eta_seconds",
                           (json_int_t)eta, "done", done, "phase", x->phase, "status", status);
    if (ev)
        rpc_emit_now("rating_plan.import_progress", ev, 0);
    json_decref(ev);
}

static int on_error(void *ud, long line, const char *message)
{
    import_ctx *x = ud;
    x->n.rejected++;
    if (line == 1 && !strncmp(message, "header:", 7))
        x->header_bad = true;
    if (json_array_size(x->rejected) < REJECTED_LISTED)
        json_array_append_new(x->rejected, json_pack("{s:I, s:s}", "line", (json_int_t)line, "message", message));
    return 0;
}

static int flush_copy(import_ctx *x)
{
    if (x->len && PQputCopyData(x->c->db, x->buf, (int)x->len) != 1) {
        log_error("rating_plan.import: COPY: %s", PQerrorMessage(x->c->db));
        snprintf(x->stop, sizeof x->stop, "the database refused the rows");
        x->copy_failed = true;
        return -1;
    }
    x->len = 0;
    return 0;
}

/* Text for COPY, written by hand: a million rows through snprintf cost
 * more than the parse. */
static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

/* Amounts of a deck are never negative (the parser refuses them). */
static char *put_money(char *p, money_t v)
{
    uint64_t m = v < 0 ? 0 : (uint64_t)v, frac = m % MONEY_SCALE;
    p = put_u64(p, m / MONEY_SCALE);
    *p++ = '.';
    for (uint64_t d = MONEY_SCALE / 10; d; d /= 10)
        *p++ = (char)('0' + frac / d % 10);
    return p;
}

/* "\N" for an empty optional number. */
static char *put_opt(char *p, int v)
{
    if (v)
        return put_u64(p, (uint64_t)v);
    memcpy(p, "\\N", 2);
    return p + 2;
}

static char *put_date(char *p, date_text *cache, int64_t usec)
{
    if (!cache->len || cache->usec != usec) {
        time_format_rfc3339(usec, cache->text, sizeof cache->text);
        cache->len = strlen(cache->text);
        cache->usec = usec;
    }
    memcpy(p, cache->text, cache->len);
    return p + cache->len;
}

static int on_row(void *ud, const deck_row *r)
{
    import_ctx *x = ud;
    int cls = 0;
    if (r->time_class_name[0]) {
        for (int i = 0; i < x->nclasses && !cls; i++)
            if (!strcmp(x->classes[i].name, r->time_class_name))
                cls = x->classes[i].id;
        if (!cls) {
            char msg[160];
            snprintf(msg, sizeof msg, "time_class: the plan has no class named \"%.64s\"", r->time_class_name);
            return on_error(x, r->line, msg);
        }
    }
    if (++x->n.imported > IMPORT_MAX_ROWS) {
        snprintf(x->stop, sizeof x->stop, "more than %ld rows: split the deck", IMPORT_MAX_ROWS);
        return 1;
    }
    if (x->strict && x->n.rejected)
        return 0; /* refused anyway: the rest is only checked */

    /* line, prefix, destination, rate, fee, i, n, m, from, to, class, min, max, blocked:
     * at most 20 + 24 + 2 * 128 + 2 * 22 + 3 * 11 + 2 * 32 + 3 * 3 + 1 + 14 bytes */
    char *p = x->buf + x->len;
    p = put_u64(p, (uint64_t)r->line);
    *p++ = '\t';
    for (const char *d = r->row.prefix; *d; d++)
        *p++ = *d;
    *p++ = '\t';
    for (const char *d = r->row.destination; *d; d++) { /* no control characters: only \ needs escaping */
        if (*d == '\\')
            *p++ = '\\';
        *p++ = *d;
    }
    *p++ = '\t';
    p = put_money(p, r->row.t.rate);
    *p++ = '\t';
    p = put_money(p, r->row.t.connection_fee);
    *p++ = '\t';
    p = put_u64(p, (uint64_t)r->row.t.initial_increment);
    *p++ = '\t';
    p = put_u64(p, (uint64_t)r->row.t.subsequent_increment);
    *p++ = '\t';
    p = put_u64(p, (uint64_t)r->row.t.min_duration);
    *p++ = '\t';
    p = put_date(p, &x->from_text, r->row.effective_from);
    *p++ = '\t';
    p = r->row.effective_to == RATE_OPEN_END ? put_opt(p, 0) : put_date(p, &x->to_text, r->row.effective_to);
    *p++ = '\t';
    p = put_opt(p, cls);
    *p++ = '\t';
    p = put_opt(p, r->row.min_length);
    *p++ = '\t';
    p = put_opt(p, r->row.max_length);
    *p++ = '\t';
    *p++ = r->row.blocked ? 't' : 'f';
    *p++ = '\n';
    x->len = (size_t)(p - x->buf);
    return x->len >= COPY_FLUSH && flush_copy(x) ? 1 : 0;
}

/* One statement, sent asynchronously so progress goes on while it runs.
 * The result (PQclear it) or NULL with c's error set. */
static PGresult *query(import_ctx *x, const char *sql, int nparams, const char *const *params)
{
    PGconn *db = x->c->db;
    PGresult *last = NULL;
    bool ok = PQsendQueryParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    while (ok) {
        while (ok && PQisBusy(db)) {
            struct pollfd p = { PQsocket(db), POLLIN, 0 };
            if (poll(&p, 1, PROGRESS_USEC / 1000) < 0 && errno != EINTR)
                ok = false;
            else if (!PQconsumeInput(db))
                ok = false;
            progress(x, false, NULL);
        }
        PGresult *r = ok ? PQgetResult(db) : NULL;
        if (!r)
            break;
        PQclear(last);
        last = r;
    }
    ExecStatusType st = last ? PQresultStatus(last) : PGRES_FATAL_ERROR;
    if (ok && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK))
        return last;
    log_error("rating_plan.import: SQL error %s: %s",
              last && PQresultErrorField(last, PG_DIAG_SQLSTATE) ? PQresultErrorField(last, PG_DIAG_SQLSTATE) : "-",
              last ? PQresultErrorMessage(last) : PQerrorMessage(db));
    PQclear(last);
    while ((last = PQgetResult(db)))
        PQclear(last);
    rpc_fail(x->c, RPC_INTERNAL_ERROR, "internal error");
    return NULL;
}

static bool exec(import_ctx *x, const char *sql, int nparams, const char *const *params, long long *rows)
{
    int64_t t = time_mono_usec();
    PGresult *r = query(x, sql, nparams, params);
    log_debug("rating_plan.import %lld: %.40s...: %lld ms", x->import_id, sql, (long long)(time_mono_usec() - t) / 1000);
    if (!r)
        return false;
    if (rows)
        *rows = atoll(PQcmdTuples(r));
    PQclear(r);
    return true;
}

static const char stage_sql[] =
    "CREATE TEMP TABLE rate_stage (line bigint NOT NULL, prefix text COLLATE \"C\" NOT NULL,"
    " destination text NOT NULL, rate numeric(20,6) NOT NULL, connection_fee numeric(20,6) NOT NULL,"
    " initial_increment integer NOT NULL, subsequent_increment integer NOT NULL, min_duration integer NOT NULL,"
    " effective_from timestamptz NOT NULL, effective_to timestamptz, time_class_id smallint,"
    " min_length smallint, max_length smallint, blocked boolean NOT NULL) ON COMMIT DROP";

#define SAME_KEY(a, b) \
    a ".prefix = " b ".prefix AND coalesce(" a ".time_class_id, 0) = coalesce(" b ".time_class_id, 0)"
#define TERMS(a) \
    "(" a ".destination, " a ".initial_increment, " a ".subsequent_increment, " a ".min_duration, " a \
    ".effective_to, " a ".min_length, " a ".max_length, " a ".blocked)"

static const char diff_sql[] =
    "CREATE TEMP TABLE rate_diff ON COMMIT DROP AS"
    " SELECT DISTINCT ON (s.prefix, coalesce(s.time_class_id, 0), s.effective_from)"
    "  s.*, c.id AS cur_id, c.effective_from AS cur_from,"
    "  CASE WHEN c.id IS NULL THEN 'new'"
    "   WHEN s.rate > c.rate THEN 'increase' WHEN s.rate < c.rate THEN 'decrease'"
    "   WHEN s.connection_fee > c.connection_fee THEN 'increase'"
    "   WHEN s.connection_fee < c.connection_fee THEN 'decrease'"
    "   WHEN " TERMS("s") " IS NOT DISTINCT FROM " TERMS("c") " THEN 'unchanged'"
    "   ELSE 'changed' END AS kind"
    " FROM rate_stage s LEFT JOIN rates c ON c.rating_plan_id = $1 AND " SAME_KEY("c", "s")
    "  AND c.effective_from <= s.effective_from AND (c.effective_to IS NULL OR c.effective_to > s.effective_from)"
    " ORDER BY s.prefix, coalesce(s.time_class_id, 0), s.effective_from, c.effective_from DESC";

static const char counts_sql[] =
    "SELECT count(*) FILTER (WHERE kind = 'new'), count(*) FILTER (WHERE kind = 'increase'),"
    " count(*) FILTER (WHERE kind = 'decrease'), count(*) FILTER (WHERE kind = 'changed'),"
    " count(*) FILTER (WHERE kind = 'unchanged'),"
    " count(*) FILTER (WHERE kind = 'increase' AND effective_from < $1::timestamptz)"
    " FROM rate_diff";

static const char early_sql[] =
    "SELECT prefix FROM rate_diff WHERE kind = 'increase' AND effective_from < $1::timestamptz"
    " ORDER BY line LIMIT " "100";
_Static_assert(EARLY_LISTED == 100, "early_sql lists EARLY_LISTED prefixes");

static const char replace_delete_sql[] =
    "DELETE FROM rates r WHERE r.rating_plan_id = $1 AND r.effective_from >= $2::timestamptz"
    " AND NOT EXISTS (SELECT 1 FROM rate_stage s WHERE " SAME_KEY("s", "r")
    "  AND s.effective_from = r.effective_from)";

static const char replace_close_sql[] =
    "UPDATE rates r SET effective_to = $2::timestamptz WHERE r.rating_plan_id = $1"
    " AND r.effective_from < $2::timestamptz AND (r.effective_to IS NULL OR r.effective_to > $2::timestamptz)"
    " AND NOT EXISTS (SELECT 1 FROM rate_stage s WHERE " SAME_KEY("s", "r") ")";

static const char in_place_sql[] =
    "UPDATE rates r SET destination = d.destination, rate = d.rate, connection_fee = d.connection_fee,"
    " initial_increment = d.initial_increment, subsequent_increment = d.subsequent_increment,"
    " min_duration = d.min_duration, effective_to = d.effective_to, min_length = d.min_length,"
    " max_length = d.max_length, blocked = d.blocked"
    " FROM rate_diff d WHERE r.id = d.cur_id AND d.kind <> 'unchanged' AND d.cur_from = d.effective_from";

static const char close_covering_sql[] =
    "UPDATE rates r SET effective_to = x.f FROM"
    " (SELECT cur_id, min(effective_from) AS f FROM rate_diff"
    "   WHERE kind <> 'unchanged' AND cur_from < effective_from GROUP BY cur_id) x"
    " WHERE r.id = x.cur_id AND (r.effective_to IS NULL OR r.effective_to > x.f)";

/* rate_diff is in prefix order: the index takes the rows in order. */
static const char insert_sql[] =
    "INSERT INTO rates (rating_plan_id, prefix, destination, rate, connection_fee, initial_increment,"
    " subsequent_increment, min_duration, effective_from, effective_to, time_class_id, min_length, max_length,"
    " blocked)"
    " SELECT $1, prefix, destination, rate, connection_fee, initial_increment, subsequent_increment,"
    " min_duration, effective_from, effective_to, time_class_id, min_length, max_length, blocked"
    " FROM rate_diff WHERE kind <> 'unchanged' AND (cur_id IS NULL OR cur_from < effective_from)";

static const char insert_first_sql[] =
    "INSERT INTO rates (rating_plan_id, prefix, destination, rate, connection_fee, initial_increment,"
    " subsequent_increment, min_duration, effective_from, effective_to, time_class_id, min_length, max_length,"
    " blocked)"
    " SELECT $1, prefix, destination, rate, connection_fee, initial_increment, subsequent_increment,"
    " min_duration, effective_from, effective_to, time_class_id, min_length, max_length, blocked"
    " FROM rate_stage ORDER BY prefix";

static const char record_sql[] =
    "INSERT INTO rate_imports (id, rating_plan_id, user_id, username, mode, strict, source, file_bytes,"
    " effective_from, status, message, imported, rejected, new, increases, decreases, changed, unchanged,"
    " early_increases, closed, deleted, rejected_sample, started_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::timestamptz, $10, $11, $12, $13, $14, $15, $16, $17, $18,"
    " $19, $20, $21, $22::jsonb, $23::timestamptz)";

/* Steps 1-2: lock the plan, read its classes, stream the rows. 0, or -1
 * with c's error set (x->stop or a refusal decided by the caller). */
static int stage(import_ctx *x)
{
    rpc_call *c = x->c;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", x->plan_id);
    PGresult *r = rpc_query(c, "SELECT notice_days FROM rating_plans WHERE id = $1 AND deleted_at IS NULL FOR UPDATE",
                            1, idt);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no rating plan %lld", x->plan_id);
    }
    x->notice_days = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!(r = rpc_query(c, "SELECT id, name FROM time_classes WHERE rating_plan_id = $1 ORDER BY id", 1, idt)))
        return -1;
    for (int i = 0; i < PQntuples(r) && i < TIME_CLASS_MAX_ID; i++) {
        x->classes[i].id = atoi(PQgetvalue(r, i, 0));
        snprintf(x->classes[i].name, sizeof x->classes[i].name, "%s", PQgetvalue(r, i, 1));
        x->nclasses = i + 1;
    }
    PQclear(r);
    if (!(r = rpc_query(c, "SET LOCAL work_mem = '256MB'", 0)))
        return -1;
    PQclear(r);
    if (!(r = rpc_query(c, stage_sql, 0)))
        return -1;
    PQclear(r);

    r = PQexec(c->db, "COPY rate_stage FROM STDIN");
    if (PQresultStatus(r) != PGRES_COPY_IN) {
        log_error("rating_plan.import: COPY: %s", PQresultErrorMessage(r));
        PQclear(r);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    PQclear(r);

    deck_defaults dd = { .effective_from = x->effective_from, .effective_to = RATE_OPEN_END };
    deck_parser *p = deck_parser_new(&dd, on_row, on_error, x);
    char *chunk = malloc(CHUNK);
    x->buf = malloc(COPY_FLUSH + ROW_TEXT_MAX);
    char err[160] = "";
    int rc = p && chunk && x->buf ? 0 : -1;
    if (rc) {
        snprintf(x->stop, sizeof x->stop, "out of memory");
        x->copy_failed = true; /* an internal error, not the deck's */
    }
    while (rc == 0) {
        size_t n;
        if (source_read(x->src, chunk, CHUNK, &n, err, sizeof err)) {
            snprintf(x->stop, sizeof x->stop, "%s", err);
            rc = -1;
            break;
        }
        rc = n ? deck_parser_feed(p, chunk, n) : deck_parser_finish(p);
        progress(x, false, NULL);
        if (n == 0)
            break;
    }
    /* rc: 0 done, -1 header unusable (x->header_bad) or x->stop, 1 stopped (x->stop) */
    if (rc == 0 && !(x->strict && x->n.rejected))
        rc = flush_copy(x);
    free(chunk);
    deck_parser_free(p);
    bool abort_copy = rc != 0 || x->header_bad || (x->strict && x->n.rejected);
    if (PQputCopyEnd(c->db, abort_copy ? "import abandoned" : NULL) != 1)
        abort_copy = true;
    bool copied = true;
    while ((r = PQgetResult(c->db))) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            if (!abort_copy)
                log_error("rating_plan.import: COPY: %s", PQresultErrorMessage(r));
            copied = false;
        }
        PQclear(r);
    }
    if (x->stop[0] || (!copied && !abort_copy))
        return x->stop[0] && !x->copy_failed ? rpc_field_error(c, "csv", x->stop)
                                            : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    return 0;
}

/* Steps 4-7. 0, or -1 with c's error set. */
/* Steps 4-6 against a plan that has rows. 0, or -1 with c's error set. */
static int compare_and_write(import_ctx *x, const char *const *plan_p, const char *const *plan_e,
                             const char *const *early_p, json_t *early_prefixes, long long *in_place)
{
    long long closed = 0;
    if (!exec(x, "ANALYZE rate_stage", 0, NULL, NULL) || !exec(x, diff_sql, 1, plan_p, NULL))
        return -1;
    PGresult *r = query(x, counts_sql, 1, early_p);
    if (!r)
        return -1;
    long long *counts[] = { &x->n.new_rows, &x->n.increases, &x->n.decreases, &x->n.changed, &x->n.unchanged,
                            &x->n.early };
    for (int i = 0; i < 6; i++)
        *counts[i] = atoll(PQgetvalue(r, 0, i));
    PQclear(r);
    if (x->n.early) {
        if (!(r = query(x, early_sql, 1, early_p)))
            return -1;
        for (int i = 0; i < PQntuples(r); i++)
            json_array_append_new(early_prefixes, json_string(PQgetvalue(r, i, 0)));
        PQclear(r);
    }
    if (x->replace && (!exec(x, replace_delete_sql, 2, plan_e, &x->n.deleted) ||
                       !exec(x, replace_close_sql, 2, plan_e, &x->n.closed)))
        return -1;
    if (!exec(x, in_place_sql, 0, NULL, in_place) || !exec(x, close_covering_sql, 0, NULL, &closed) ||
        !exec(x, insert_sql, 1, plan_p, &x->n.inserted))
        return -1;
    x->n.closed += closed;
    return 0;
}

/* Steps 4-7. 0, or -1 with c's error set. */
static int apply(import_ctx *x, json_t **early_prefixes)
{
    rpc_call *c = x->c;
    char idt[24], e[40], early[40], delta[24];
    snprintf(idt, sizeof idt, "%lld", x->plan_id);
    time_format_rfc3339(x->effective_from, e, sizeof e);
    time_format_rfc3339(time_now_usec() + x->notice_days * 86400 * USEC, early, sizeof early);
    const char *plan_p[] = { idt }, *plan_e[] = { idt, e }, *early_p[] = { early };
    x->phase = "writing";
    x->write_started = time_mono_usec();
    log_debug("rating_plan.import %lld: read and staged in %lld ms", x->import_id,
              (long long)(x->write_started - x->t0) / 1000);
    progress(x, false, NULL);
    *early_prefixes = json_array();
    long long in_place = 0;
    PGresult *r = rpc_query(c, "SELECT NOT EXISTS (SELECT 1 FROM rates WHERE rating_plan_id = $1)", 1, idt);
    if (!r)
        return -1;
    bool first = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    if (first) {
        /* The plan's first deck: every row is new, nothing to compare,
         * close or delete. */
        x->n.new_rows = x->n.imported;
        if (!exec(x, insert_first_sql, 1, plan_p, &x->n.inserted))
            return -1;
    } else if (compare_and_write(x, plan_p, plan_e, early_p, *early_prefixes, &in_place)) {
        return -1;
    }
    snprintf(delta, sizeof delta, "%lld", x->n.inserted - x->n.deleted);
    r = rpc_query(c, "UPDATE rating_plans SET rate_count = rate_count + $2, version = version + 1, updated_at = now()"
                     " WHERE id = $1 RETURNING version", 2, idt, delta);
    if (!r)
        return -1;
    long long version = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    log_info("rating_plan.import %lld: plan %lld version %lld: %lld rows, %lld in place, %lld inserted, %lld closed,"
             " %lld deleted", x->import_id, x->plan_id, version, x->n.imported, in_place, x->n.inserted, x->n.closed,
             x->n.deleted);
    json_t *ev = json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)x->plan_id, "action", "import", "version",
                           (json_int_t)version, "import_id", (json_int_t)x->import_id);
    int rc = rpc_emit(c, "rating_plan.changed", ev, 0);
    json_decref(ev);
    return rc;
}

static json_t *summary(const import_ctx *x)
{
    return json_pack("{s:I, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "import_id",
                     (json_int_t)x->import_id, "mode", x->replace ? "replace" : "merge", "strict", x->strict,
                     "imported", (json_int_t)x->n.imported, "rejected", (json_int_t)x->n.rejected, "new",
                     (json_int_t)x->n.new_rows, "increases", (json_int_t)x->n.increases, "decreases",
                     (json_int_t)x->n.decreases, "changed", (json_int_t)x->n.changed, "unchanged",
                     (json_int_t)x->n.unchanged, "early_increases", (json_int_t)x->n.early, "closed",
                     (json_int_t)x->n.closed, "deleted", (json_int_t)x->n.deleted);
}

/* The rate_imports row and the audit row, inside c's transaction. */
static int record(rpc_call *c, const import_ctx *x, const char *status, const char *message, int64_t started)
{
    char v[16][24], e[40], st[40];
    long long nums[] = { x->import_id, x->plan_id, c->session->user_id, (long long)x->src->total, x->n.imported,
                         x->n.rejected, x->n.new_rows, x->n.increases, x->n.decreases, x->n.changed, x->n.unchanged,
                         x->n.early, x->n.closed, x->n.deleted };
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        snprintf(v[i], sizeof v[i], "%lld", nums[i]);
    time_format_rfc3339(x->effective_from, e, sizeof e);
    time_format_rfc3339(started, st, sizeof st);
    json_t *sample = json_array();
    for (size_t i = 0; i < json_array_size(x->rejected) && i < REJECTED_STORED; i++)
        json_array_append(sample, json_array_get(x->rejected, i));
    char *sample_text = json_dumps(sample, JSON_COMPACT);
    json_decref(sample);
    const char *params[] = { v[0], v[1], c->session->user_id ? v[2] : NULL,
                             c->session->username[0] ? c->session->username : "system",
                             x->replace ? "replace" : "merge", x->strict ? "true" : "false",
                             c->upload ? "http" : "rpc", v[3], e, status, message, v[4], v[5], v[6], v[7], v[8], v[9],
                             v[10], v[11], v[12], v[13], sample_text ? sample_text : "[]", st };
    PGresult *r = rpc_queryv(c, record_sql, 23, params);
    free(sample_text);
    if (!r)
        return -1;
    PQclear(r);
    json_t *after = summary(x);
    json_object_set_new(after, "status", json_string(status));
    int rc = audit_record(c, !strcmp(status, "done") ? "import" : "import_refused", "rating_plan", x->plan_id, NULL,
                          after);
    json_decref(after);
    return rc;
}

/* A refused import leaves its record, in a transaction of its own; what
 * goes wrong there is logged and does not hide the refusal. */
static void record_refused(rpc_call *c, const import_ctx *x, int64_t started)
{
    rpc_call b = *c;
    b.err_code = 0;
    b.err_data = NULL;
    b.result = NULL;
    b.in_transaction = false;
    if (rpc_begin(&b) == 0 && record(&b, x, "refused", c->err_message, started) == 0 && rpc_commit(&b) == 0)
        return;
    if (b.in_transaction)
        rpc_rollback(&b);
    log_error("rating_plan.import %lld: cannot record the refusal: %s", x->import_id, b.err_message);
    json_decref(b.err_data);
}

int rating_plan_import(rpc_call *c)
{
    int64_t started = time_now_usec(), t0 = time_mono_usec();
    json_t *csv = json_object_get(c->params, "csv");
    bool has_csv = json_is_string(csv);
    if (has_csv == (c->upload != NULL))
        return rpc_field_error(c, "csv", has_csv ? "cannot come with an uploaded body: send one or the other"
                                                 : "is required (or POST the file to /api/v1/rating-plans/{id}/rates)");
    import_ctx x = {
        .c = c,
        .plan_id = rpc_int(c, "rating_plan_id", 0),
        .strict = rpc_bool(c, "strict", false),
        .replace = rpc_str(c, "mode") && !strcmp(rpc_str(c, "mode"), "replace"),
        .effective_from = started / USEC * USEC, /* now, to the second */
        .t0 = t0,
        .phase = "reading",
    };
    const char *when = rpc_str(c, "effective_from");
    if (when && *when && !time_parse_date_or_rfc3339(when, &x.effective_from))
        return rpc_field_error(c, "effective_from", "must be a time like 2026-12-01T00:00:00Z or a date like 2026-12-01");

    deck_source src;
    char err[160];
    x.src = &src;
    if (source_open(&src, c, err, sizeof err)) {
        source_close(&src);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "%s", err);
    }
    PGresult *r = rpc_query(c, "SELECT nextval('rate_imports_id_seq')", 0);
    if (!r) {
        source_close(&src);
        return -1;
    }
    x.import_id = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    x.rejected = json_array();
    json_t *early = NULL;
    bool refused = false;

    int rc = rpc_begin(c);
    if (rc == 0)
        rc = stage(&x);
    /* Step 3: the whole import is refused, or it goes on. */
    if (rc == 0 && (x.header_bad || (x.strict && x.n.rejected) || (x.replace && !x.n.imported && x.n.rejected))) {
        const char *why = x.header_bad ? "the header is unusable: nothing imported"
                          : x.strict   ? "strict: a line is bad, nothing imported"
                                       : "replace: no good rows, nothing replaced";
        char msg[200];
        json_t *first = json_array_get(x.rejected, 0);
        const char *what = json_string_value(json_object_get(first, "message"));
        snprintf(msg, sizeof msg, "%s (line %lld: %s)", why, (long long)json_integer_value(json_object_get(first, "line")),
                 what ? what : "see data.rejected");
        rpc_field_error(c, "csv", msg);
        rc = -1;
        refused = true;
    }
    if (rc == 0)
        rc = apply(&x, &early);
    if (rc == 0)
        rc = record(c, &x, "done", "", started);
    if (rc == 0)
        rc = rpc_commit(c);
    if (rc == 0) {
        rating_deck_invalidate(x.plan_id);
    } else {
        if (c->in_transaction)
            rpc_rollback(c);
        if (!c->err_code)
            rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    x.phase = "done";
    double seconds = (double)(time_mono_usec() - t0) / USEC;
    if (rc == 0) {
        progress(&x, true, "done");
        c->result = summary(&x);
        json_object_set(c->result, "rejected", x.rejected);
        json_object_set_new(c->result, "rejected_total", json_integer(x.n.rejected));
        json_object_set_new(c->result, "early_increases",
                            json_pack("{s:I, s:o}", "count", (json_int_t)x.n.early, "prefixes", early));
        early = NULL;
        time_format_rfc3339(x.effective_from, err, sizeof err);
        json_object_set_new(c->result, "effective_from", json_string(err));
        json_object_set_new(c->result, "seconds", json_real((double)(long long)(seconds * 1000) / 1000));
    } else {
        if (refused || x.n.rejected) {
            /* the bad lines ride along with the error */
            if (!json_is_object(c->err_data))
                c->err_data = json_object();
            json_object_set(c->err_data, "rejected", x.rejected);
            json_object_set_new(c->err_data, "rejected_total", json_integer(x.n.rejected));
            json_object_set_new(c->err_data, "import_id", json_integer(x.import_id));
        }
        if (refused)
            record_refused(c, &x, started);
        progress(&x, true, refused ? "refused" : "failed");
        log_info("rating_plan.import %lld: plan %lld: %s", x.import_id, x.plan_id, c->err_message);
    }
    json_decref(early);
    json_decref(x.rejected);
    free(x.buf);
    source_close(&src);
    return rc == 0 ? 0 : -1;
}
