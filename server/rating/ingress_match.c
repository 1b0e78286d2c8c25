#include "ingress_match.h"

#include <stdio.h>
#include <string.h>

long long ingress_pick(ingress_candidate_fn get, const void *ud, size_t n, const char *ip, const char *tp, char *why,
                       size_t whylen)
{
    ingress_candidate x;
    bool any_without_prefix = false;
    size_t valid = 0;
    for (size_t k = 0; k < n; k++) {
        get(ud, k, &x);
        if (x.interconnect_id <= 0)
            continue;
        valid++;
        any_without_prefix |= !x.tech_prefix[0]; /* without tp, those without a prefix are preferred */
    }
    long long best = 0;
    int best_mask = -1, tied = 0;
    for (size_t k = 0; k < n; k++) {
        get(ud, k, &x);
        if (x.interconnect_id <= 0)
            continue;
        bool takes = tp[0] ? (!strcmp(x.tech_prefix, tp) || x.service_takes_prefix)
                           : (!any_without_prefix || !x.tech_prefix[0]);
        if (!takes)
            continue;
        if (x.masklen > best_mask) {
            best = x.interconnect_id;
            best_mask = x.masklen;
            tied = 1;
        } else if (x.masklen == best_mask) {
            tied++;
        }
    }
    if (!valid)
        snprintf(why, whylen, "no ingress interconnect has signalling IP %s", ip);
    else if (!best)
        snprintf(why, whylen, "no ingress interconnect with signalling IP %s takes tech prefix %s", ip, tp);
    else if (tied > 1)
        snprintf(why, whylen, "signalling IP %s matches %d ingress interconnects; send tech_prefix or"
                              " ingress_interconnect_id", ip, tied);
    return tied == 1 ? best : 0;
}

long ingress_service_pick(service_candidate_fn get, const void *ud, size_t n, long long ic_id, const char *ic_prefix,
                          const char *tp, char *why, size_t whylen)
{
    service_candidate s;
    if (n == 0) {
        snprintf(why, whylen, "interconnect %lld has no service", ic_id);
        return -1;
    }
    if (tp[0]) {
        for (size_t k = 0; k < n; k++) {
            get(ud, k, &s);
            if (!strcmp(s.tech_prefix, tp))
                return (long)k;
        }
        if (strcmp(ic_prefix, tp)) {
            snprintf(why, whylen, "interconnect %lld has no service with tech prefix %s", ic_id, tp);
            return -1;
        }
    }
    for (size_t k = 0; k < n; k++) {
        get(ud, k, &s);
        if (!s.tech_prefix[0])
            return (long)k;
    }
    return 0; /* given best first */
}
