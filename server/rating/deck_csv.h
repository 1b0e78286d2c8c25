/*
 * deck_csv: a streaming parser for rate decks.
 *
 * Feed it bytes in chunks of any size (a WebSocket string, an HTTP body as
 * it arrives, a file); it calls back once per good row and once per bad
 * line, and never holds more than one line. The first line is the header:
 * column names in any order, case-insensitive, surrounding spaces ignored:
 *   prefix, rate                              (required)
 *   destination, connection_fee, initial_increment, subsequent_increment,
 *   min_duration, effective_from, effective_to, time_class,
 *   min_length, max_length, blocked           (optional)
 * Unknown columns are ignored. RFC 4180 quoting ("a ""b"""), CRLF or LF,
 * a UTF-8 BOM before the header, blank lines skipped. Dates are RFC 3339
 * or "YYYY-MM-DD" / "YYYY-MM-DD HH:MM[:SS]" taken as UTC. Prefixes may
 * carry a leading '+' or "00" (normalised away). `blocked` accepts
 * 1/0/true/false/yes/no/y/n.
 *
 * Row checks done here: prefix digits (1..TARIFF_NUMBER_MAX), rate and fee
 * are non-negative decimals with at most 6 places, increments >= 1,
 * min_duration >= 0, effective_to > effective_from, lengths 0..24 and
 * min <= max, field count equal to the header's, a line at most
 * DECK_LINE_MAX bytes, valid UTF-8 without control characters in
 * destination (at most DECK_DESTINATION_MAX bytes) and time_class (at most
 * 64 bytes). Duplicates of (prefix, effective_from) are reported on their
 * second occurrence; rows of different time classes are not duplicates of
 * each other (peak and off-peak rates of one prefix start together).
 * Unquoted fields lose surrounding blanks; blanks around a quoted field
 * are ignored.
 */
#ifndef DIDTRON_DECK_CSV_H
#define DIDTRON_DECK_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "prefix_index.h"

#define DECK_LINE_MAX 4096
#define DECK_DESTINATION_MAX 128

typedef struct {
    /* Used when the column is absent or the field empty. */
    int64_t effective_from;    /* usec */
    int64_t effective_to;      /* usec or RATE_OPEN_END */
} deck_defaults;

/* One parsed row. Strings point into the parser and live until the
 * callback returns. time_class_name is "" when absent (the caller maps
 * names to ids). */
typedef struct {
    rate_row row;              /* prefix, destination, tariff, dates, ... */
    const char *time_class_name;
    long line;                 /* 1-based line number in the input */
} deck_row;

/* Return 0 to go on, non-zero to stop the parse (deck_parser_feed then
 * returns that value). */
typedef int (*deck_row_fn)(void *ud, const deck_row *row);
typedef int (*deck_error_fn)(void *ud, long line, const char *message);

typedef struct deck_parser deck_parser;

deck_parser *deck_parser_new(const deck_defaults *d, deck_row_fn on_row,
                             deck_error_fn on_error, void *ud);

/* Parse the next n bytes. Returns 0, a callback's non-zero value, or -1
 * when the header itself is unusable (the error callback was told why,
 * with line 1). */
int deck_parser_feed(deck_parser *p, const char *buf, size_t n);

/* End of input: parses a last line without a newline. Same returns. */
int deck_parser_finish(deck_parser *p);

/* Counters so far. */
long deck_parser_rows(const deck_parser *p);
long deck_parser_errors(const deck_parser *p);
/* Bytes consumed so far (for progress and ETA). */
uint64_t deck_parser_bytes(const deck_parser *p);

void deck_parser_free(deck_parser *p);

#endif
