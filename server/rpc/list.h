/*
 * list: the one paging helper behind every *.list method.
 *
 * Params {filter:{...}, sort:"field"|"-field", limit (1..500, default 50),
 * cursor} -> result {items:[...], total, next_cursor}. Paging is keyset
 * (WHERE (sort, id) > (last sort, last id)), so page N costs what page 1
 * does and rows inserted meanwhile never shift a page. The cursor is an
 * opaque base64url string bound to the sort it was made with.
 *
 * A method describes its list with data: which SQL yields an item, which
 * wire names sort and filter, and how. Column SQL comes only from these
 * constant tables; every value from the client travels as a parameter.
 */
#ifndef DIDTRON_LIST_H
#define DIDTRON_LIST_H

#include "rpc.h"

typedef enum { LIST_TEXT, LIST_INT, LIST_BOOL, LIST_TIME, LIST_NUMERIC } list_type;

typedef struct {
    const char *name;   /* wire name, e.g. "created_at" */
    const char *sql;    /* NOT NULL expression, e.g. "u.created_at" */
    list_type type;
} list_sort;

typedef enum {
    LIST_EQ,            /* sql = value */
    LIST_FROM,          /* sql >= value (times: inclusive start) */
    LIST_TO,            /* sql <  value (times: exclusive end) */
    LIST_SEARCH,        /* case-insensitive substring of sql */
    LIST_PREFIX,        /* sql starts with value (rate prefixes) */
} list_op;

typedef struct {
    const char *name;   /* wire name inside "filter" */
    const char *sql;
    list_type type;
    list_op op;
    const char *const *choices; /* LIST_TEXT with LIST_EQ: allowed values */
} list_filter;

typedef struct {
    const char *item_sql;     /* one json/jsonb value per row */
    const char *from_sql;     /* "users u" (joins allowed) */
    const char *where_sql;    /* constant condition or NULL */
    const char *id_sql;       /* unique bigint tie-break, e.g. "u.id" */
    const list_sort *sorts;   /* terminated by {NULL} */
    const char *default_sort; /* e.g. "-id" */
    const list_filter *filters; /* terminated by {NULL} */
} list_spec;

/* rpc_field entries for the common list params; put LIST_PARAMS first in a
 * list method's field table. */
#define LIST_PARAMS \
    { "filter", F_OBJECT, 0, 0, 0, NULL }, \
    { "sort", F_STRING, 0, 1, 64, NULL }, \
    { "limit", F_INT, 0, 1, 500, NULL }, \
    { "cursor", F_STRING, 0, 1, 512, NULL }

/* Run the list for c->params. scope_sql (e.g. "u.carrier_id = $1") with
 * scope_value limits rows to a tenant; both NULL for none. The scope value
 * is always parameter $1. Sets c->result; -1 on error. */
int rpc_list(rpc_call *c, const list_spec *spec, const char *scope_sql, const char *scope_value);

/* Exposed for unit tests: encode/decode the cursor payload. */
char *list_cursor_encode(const char *sort, const char *value, const char *id);
int list_cursor_decode(const char *cursor, char *sort, size_t sortn,
                       char *value, size_t valuen, char *id, size_t idn);

#endif
