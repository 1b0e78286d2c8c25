/*
 * fuzz_cdr: the CDR batch parser on arbitrary bytes.
 *
 * Input: one mode byte, then the body. Bit 0: hand the body over as gzip
 * (malformed gzip, bombs, trailing garbage). Bit 1: also gzip the body here
 * and check that parsing it compressed gives the same callbacks as
 * parsing it plain. Every CDR accepted must keep the record's promises
 * (normalised callee, times in order) and is rated with a fixed tariff.
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cdr_parse.h"
#include "tariff.h"

typedef struct {
    uint64_t hash;
    size_t calls;
} run;

static void mix(run *r, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        r->hash = (r->hash ^ b[i]) * 1099511628211ULL;
}

static int each(void *ud, size_t index, bool ok, const cdr_record *c, const char *field, const char *msg)
{
    run *r = ud;
    r->calls++;
    mix(r, &index, sizeof index);
    mix(r, &ok, sizeof ok);
    if (!ok) {
        if (c || !field || !msg)
            __builtin_trap();
        mix(r, field, strlen(field) + 1);
        mix(r, msg, strlen(msg) + 1);
        return 0;
    }
    size_t n = strlen(c->callee);
    if (n < 1 || n > TARIFF_NUMBER_MAX || strspn(c->callee, "0123456789") != n || strlen(c->id) < 1 ||
        c->start_time > c->end_time || (c->answered && (c->answer_time < c->start_time || c->answer_time > c->end_time)) ||
        c->release_cause < 1 || c->release_cause > 699 ||
        (c->ingress_interconnect_id > 0) == (c->ingress_ip[0] != '\0'))
        __builtin_trap();
    mix(r, c, sizeof *c);
    tariff t;
    tariff_defaults(&t, 12345);
    t.initial_increment = 30;
    t.subsequent_increment = 6;
    int64_t billed = tariff_billed_duration(&t, tariff_call_duration(c->answered, c->answer_time, c->end_time));
    money_t cost;
    if (billed >= 0)
        (void)tariff_cost(&t, billed, MONEY_ROUND_HALF_UP, &cost);
    return 0;
}

static uint64_t parse(const uint8_t *body, size_t n, bool gz, int *rc)
{
    run r = { 1469598103934665603ULL, 0 };
    char msg[200];
    *rc = cdr_parse_batch((const char *)body, n, gz, each, &r, msg, sizeof msg);
    if (*rc != 0 && r.calls != 0)
        __builtin_trap(); /* a refused body gives no callbacks */
    mix(&r, rc, sizeof *rc);
    return r.hash;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    int rc;
    uint64_t plain = parse(data, size, mode & 1, &rc);
    if (!(mode & 2) || (mode & 1))
        return 0;

    uLong cap = compressBound((uLong)size) + 64;
    uint8_t *z = malloc(cap);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!z || deflateInit2(&zs, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    zs.next_in = (Bytef *)data;
    zs.avail_in = (uInt)size;
    zs.next_out = z;
    zs.avail_out = (uInt)cap;
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
        abort();
    size_t zn = cap - zs.avail_out;
    deflateEnd(&zs);
    int zrc;
    uint64_t packed = parse(z, zn, true, &zrc);
    free(z);
    if (packed != plain || zrc != rc) {
        fprintf(stderr, "plain and gzip bodies differ\n");
        __builtin_trap();
    }
    return 0;
}
