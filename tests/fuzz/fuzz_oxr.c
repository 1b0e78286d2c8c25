/*
 * fuzz_oxr: the Open Exchange Rates answer scanner (server/fx/oxr.c) on
 * arbitrary bytes.
 *
 * The whole input is parsed as a latest.json body, and also normalised
 * as one rate's number text (JSON and plain forms). Promises checked: an
 * accepted body has at least one rate, every code is three capital
 * letters, every rate is a plain positive decimal that normalises to
 * itself; a refused body leaves nothing allocated. Built by
 * tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oxr.h"

static void check_plain(const char *text)
{
    char again[OXR_RATE_TEXT_MAX];
    size_t n = strlen(text);
    if (n == 0 || n >= OXR_RATE_TEXT_MAX)
        __builtin_trap();
    if (oxr_rate_normalize(text, n, false, again, sizeof again) != OXR_NUM_OK || strcmp(again, text))
        __builtin_trap();
    if (oxr_rate_normalize(text, n, true, again, sizeof again) != OXR_NUM_OK || strcmp(again, text))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    oxr_latest l;
    char why[96];
    oxr_status st = oxr_parse_latest((const char *)data, size, &l, why, sizeof why);
    if (st == OXR_OK) {
        if (l.count == 0 || !l.rates || l.timestamp <= 0)
            __builtin_trap();
        for (size_t i = 0; i < l.count; i++) {
            const char *c = l.rates[i].code;
            if (strlen(c) != 3 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' || c[2] < 'A' || c[2] > 'Z')
                __builtin_trap();
            for (size_t k = 0; k < i; k++)
                if (!strcmp(l.rates[k].code, c))
                    __builtin_trap();
            check_plain(l.rates[i].per_usd);
        }
        oxr_latest_free(&l);
    } else if (l.rates || l.count || !why[0]) {
        __builtin_trap();
    }

    char out[OXR_RATE_TEXT_MAX];
    for (int exp = 0; exp < 2; exp++)
        if (oxr_rate_normalize((const char *)data, size, exp, out, sizeof out) == OXR_NUM_OK)
            check_plain(out);
    return 0;
}
