/*
 * record: the one create/get/update/delete helper behind editable records
 * (carriers, interconnects, services, contacts, ...).
 *
 * A record type is described with data: its table, the JSON a reader gets,
 * and which wire fields map to which columns of which SQL type. Writes take
 * the fields present in the (already validated) params and pass every value
 * as a parameter. Every editable record has `version` (optimistic locking)
 * and, when soft-deleted, `deleted_at`.
 */
#ifndef DIDTRON_RECORD_H
#define DIDTRON_RECORD_H

#include "rpc.h"

/* A timestamptz column as the wire's RFC 3339 UTC text, for item SQL:
 *   "json_build_object('created_at', " TS("t.created_at") ")" */
#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

typedef enum {
    COL_TEXT,
    COL_INT,        /* integer */
    COL_BIGINT,
    COL_MONEY,      /* numeric(20,6) from a decimal string */
    COL_NUMBER,     /* double precision from a JSON number or its text: a ratio, a score, never money */
    COL_BOOL,
    COL_JSONB,      /* an object or array, stored whole */
    COL_JSONB_MERGE,/* an object merged key by key into the stored one on update */
    COL_TEXT_ARRAY, /* a JSON array of strings -> text[] */
    COL_TIME,       /* time of day "HH:MM" */
} col_kind;

typedef struct {
    const char *field;  /* wire name */
    const char *column; /* SQL column */
    col_kind kind;
} record_column;

typedef struct {
    const char *entity;       /* "carrier": audit entity and error messages */
    const char *table;        /* "carriers" */
    const char *json_sql;     /* the record as JSON, over alias t */
    const record_column *columns; /* writable fields, {NULL}-terminated */
} record_spec;

/* INSERT the fields of values that have columns, plus fixed (column, SQL
 * text value) pairs in extra_cols/extra_vals (n_extra of them). Returns the
 * new id, or -1 with the error set. */
long long record_insert(rpc_call *c, const record_spec *s, json_t *values,
                        const char *const *extra_cols, const char *const *extra_vals, int n_extra);

/* The live record as JSON (new reference), or NULL with -32004 set.
 * scope_sql (e.g. "t.carrier_id = $2") with scope_value limits it to a
 * tenant; the id is $1. */
json_t *record_get(rpc_call *c, const record_spec *s, long long id, const char *scope_sql,
                   const char *scope_value);

/* Lock the live row and check its version: 0, or -1 with -32004 (gone) or
 * -32009 with the current version (stale). */
int record_lock(rpc_call *c, const record_spec *s, long long id, long long version);

/* UPDATE the fields of values that have columns; version + 1, updated_at
 * now. 0 or -1. */
int record_update(rpc_call *c, const record_spec *s, long long id, json_t *values);

/* deleted_at = now(), version + 1. 0 or -1. */
int record_soft_delete(rpc_call *c, const record_spec *s, long long id);

/* Audit row + "<entity>.changed" event ({id, action, version}) for a
 * change; carrier_id scopes the event to that carrier's users. 0 or -1. */
int record_changed(rpc_call *c, const record_spec *s, const char *action, long long id,
                   json_t *before, json_t *after, long long carrier_id);

/* Value of a wire field as SQL parameter text (NULL for JSON null) into
 * buf; arrays and objects are returned as malloc'd JSON in *owned. */
const char *record_param(json_t *v, col_kind kind, char *buf, size_t n, char **owned);

#endif
