/*
 * ingress_match: which ingress interconnect and which service a call
 * arrived on — the one set of rules shared by cdr.ingest (a whole batch
 * resolved in memory) and route.lookup (one call). Pure: the callers fetch
 * the candidates their own way and hand them over through a getter.
 */
#ifndef DIDTRON_INGRESS_MATCH_H
#define DIDTRON_INGRESS_MATCH_H

#include <stdbool.h>
#include <stddef.h>

/* A live ingress interconnect whose signalling IPs hold the call's address. */
typedef struct {
    long long interconnect_id;
    int masklen;                 /* the longest of its networks holding the address */
    const char *tech_prefix;     /* the interconnect's, "" when none */
    bool service_takes_prefix;   /* one of its services has the call's (non-empty) tech prefix */
} ingress_candidate;

typedef void (*ingress_candidate_fn)(const void *ud, size_t i, ingress_candidate *out);

/* Among n candidates for address ip: those that take the tech prefix tp
 * (the interconnect's or a service's; with tp "", those without an
 * interconnect prefix when there are any), then the longest mask. A
 * candidate with interconnect_id <= 0 is skipped (as if absent). Returns
 * the interconnect id, or 0 with why set: no candidate, none taking tp,
 * or several tied ("ambiguous"). */
long long ingress_pick(ingress_candidate_fn get, const void *ud, size_t n, const char *ip, const char *tp, char *why,
                       size_t whylen);

/* One live service of an ingress interconnect, given best first (priority
 * descending, then id). */
typedef struct {
    long long id;
    const char *tech_prefix;     /* "" when none */
} service_candidate;

typedef void (*service_candidate_fn)(const void *ud, size_t i, service_candidate *out);

/* The service a call with tech prefix tp uses on interconnect ic_id (whose
 * own prefix is ic_prefix): the service with tp; else, when tp is "" or
 * the interconnect's own prefix, the one without a prefix, else the first
 * (best). Returns its index, or -1 with why set. */
long ingress_service_pick(service_candidate_fn get, const void *ud, size_t n, long long ic_id, const char *ic_prefix,
                          const char *tp, char *why, size_t whylen);

#endif
