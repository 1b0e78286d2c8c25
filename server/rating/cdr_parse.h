/*
 * cdr_parse: CDRs from the wire into validated C records.
 *
 * One CDR is a JSON object (docs/protocol.md, cdr.ingest). A batch is a
 * JSON array of them or NDJSON (one object per line), optionally gzip
 * compressed (HTTP Content-Encoding: gzip). Parsing checks every field and
 * names the first bad one; it never touches the database, so the fuzz
 * target and the benchmark call the same code the server does.
 */
#ifndef DIDTRON_CDR_PARSE_H
#define DIDTRON_CDR_PARSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tariff.h"

#define CDR_ID_MAX 64
#define CDR_PARTY_MAX 64
#define CDR_TECH_PREFIX_MAX 16
#define CDR_BATCH_MAX 100000   /* CDRs per request */
/* A gzip body may inflate to at most this many bytes (a small body must
 * not become gigabytes in memory). */
#define CDR_INFLATED_MAX (128u << 20)

typedef struct {
    char id[CDR_ID_MAX + 1];           /* printable ASCII, 1..64 */
    int64_t ingress_interconnect_id;   /* 0 when ingress_ip is used */
    char ingress_ip[48];               /* "" when the id is used */
    char tech_prefix[CDR_TECH_PREFIX_MAX + 1]; /* digits, '#', '*' (as on services); may be "" */
    char caller[CDR_PARTY_MAX + 1];    /* as sent (printable) */
    char callee[TARIFF_NUMBER_MAX + 1];/* normalised digits */
    int64_t start_time;                /* usec */
    bool answered;                     /* answer_time not null */
    int64_t answer_time;               /* usec, when answered */
    int64_t end_time;                  /* usec */
    int64_t egress_interconnect_id;    /* 0 when null/absent */
    int32_t release_cause;             /* SIP 100..699 or Q.850 1..127 */
    int32_t pdd_ms;                    /* -1 when absent */
} cdr_record;

/* Validate one object. On failure returns false with the field's name
 * ("callee", "answer_time", ...) and a message. Time rules:
 * start <= answer <= end, start <= end. Exactly one of
 * ingress_interconnect_id and ingress_ip. */
bool cdr_from_json(const json_t *o, cdr_record *c,
                   char *field, size_t field_n, char *msg, size_t msg_n);

/* Batch: called once per element (index is 0-based in array order or line
 * order for NDJSON; blank NDJSON lines are not counted). ok=false carries
 * field and message for that element; the batch goes on. Return non-zero
 * from the callback to stop. */
typedef int (*cdr_each_fn)(void *ud, size_t index, bool ok, const cdr_record *c,
                           const char *field, const char *msg);

/* Parse a whole body: a JSON array, or NDJSON. `gzip` says the bytes are
 * gzip-compressed. Returns 0 when the body was walked (per-element errors
 * went to the callback), or -1 with msg set when the body as a whole is
 * unusable (bad gzip, not JSON, more than CDR_BATCH_MAX elements). A body
 * whose first non-space byte is '[' is an array; '{' starts NDJSON, where a
 * line that is not JSON is that element's error. A callback that stops the
 * walk still gets 0. */
int cdr_parse_batch(const char *body, size_t n, bool gzip,
                    cdr_each_fn each, void *ud, char *msg, size_t msg_n);

#endif
