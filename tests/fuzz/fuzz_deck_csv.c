/*
 * fuzz_deck_csv: the rate-deck parser on arbitrary bytes.
 *
 * Input: 4 bytes seeding the chunk sizes, then the deck. The deck is parsed
 * twice, whole and in random chunks (1 byte up to 1 kB); every callback is
 * hashed and the two runs must agree. The good rows (up to 2,000) then go
 * into a prefix index, and looking up each row's own prefix at its
 * effective_from with every class active must find that prefix.
 * Built by tests/fuzz/run.sh with clang -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deck_csv.h"
#include "prefix_index.h"

#define KEEP_MAX 2000

typedef struct {
    uint64_t hash;
    long rows, errors;
    rate_row keep[KEEP_MAX];
    char prefixes[KEEP_MAX][TARIFF_NUMBER_MAX + 1];
    size_t nkeep;
} run;

static void mix(run *r, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        r->hash = (r->hash ^ b[i]) * 1099511628211ULL;
}

static int on_row(void *ud, const deck_row *row)
{
    run *r = ud;
    const rate_row *x = &row->row;
    r->rows++;
    mix(r, &row->line, sizeof row->line);
    mix(r, x->prefix, strlen(x->prefix) + 1);
    mix(r, x->destination, strlen(x->destination) + 1);
    mix(r, row->time_class_name, strlen(row->time_class_name) + 1);
    int64_t v[] = { x->t.rate, x->t.connection_fee, x->t.initial_increment, x->t.subsequent_increment,
                    x->t.min_duration, x->effective_from, x->effective_to, x->min_length, x->max_length,
                    x->blocked };
    mix(r, v, sizeof v);
    /* the contract of a good row */
    size_t len = strlen(x->prefix);
    if (len < 1 || len > TARIFF_NUMBER_MAX || strspn(x->prefix, "0123456789") != len || x->t.rate < 0 ||
        x->t.connection_fee < 0 || x->t.initial_increment < 1 || x->t.subsequent_increment < 1 ||
        x->t.min_duration < 0 || x->effective_to <= x->effective_from || x->max_length > 24 ||
        (x->max_length && x->min_length > x->max_length) || strlen(x->destination) > DECK_DESTINATION_MAX)
        __builtin_trap();
    if (r->nkeep < KEEP_MAX) {
        memcpy(r->prefixes[r->nkeep], x->prefix, len + 1);
        r->keep[r->nkeep] = *x;
        r->keep[r->nkeep].prefix = r->prefixes[r->nkeep];
        r->keep[r->nkeep].destination = "";
        r->keep[r->nkeep].time_class = (uint8_t)(strlen(row->time_class_name) % 4);
        r->nkeep++;
    }
    return 0;
}

static int on_error(void *ud, long line, const char *msg)
{
    run *r = ud;
    r->errors++;
    mix(r, &line, sizeof line);
    mix(r, msg, strlen(msg) + 1);
    return 0;
}

static void parse(run *r, const uint8_t *data, size_t size, uint32_t seed, bool whole)
{
    memset(r, 0, sizeof *r);
    r->hash = 1469598103934665603ULL;
    deck_defaults d = { 1795392000LL * 1000000, RATE_OPEN_END };
    deck_parser *p = deck_parser_new(&d, on_row, on_error, r);
    if (!p)
        abort();
    int rc = 0;
    size_t at = 0;
    while (at < size && rc == 0) {
        size_t step = size - at;
        if (!whole) {
            seed = seed * 1103515245u + 12345u;
            size_t want = 1 + (seed >> 16) % 1024;
            if (want < step)
                step = want;
        }
        rc = deck_parser_feed(p, (const char *)data + at, step);
        at += step;
    }
    if (rc == 0)
        rc = deck_parser_finish(p);
    mix(r, &rc, sizeof rc);
    if (deck_parser_rows(p) != r->rows || deck_parser_errors(p) != r->errors)
        __builtin_trap();
    deck_parser_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t seed = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
    data += 4;
    size -= 4;
    static run whole, split;
    parse(&whole, data, size, seed, true);
    parse(&split, data, size, seed, false);
    if (whole.hash != split.hash || whole.rows != split.rows || whole.errors != split.errors) {
        fprintf(stderr, "whole and chunked parses differ\n");
        __builtin_trap();
    }

    prefix_index *ix = prefix_index_build(whole.keep, whole.nkeep);
    if (!ix)
        __builtin_trap(); /* the rows were valid */
    for (size_t i = 0; i < whole.nkeep; i++) {
        rate_match m;
        const rate_row *r = &whole.keep[i];
        if (!prefix_index_lookup(ix, r->prefix, r->effective_from, UINT32_MAX, &m) ||
            m.prefix_len != strlen(r->prefix))
            __builtin_trap();
    }
    prefix_index_free(ix);
    return 0;
}
