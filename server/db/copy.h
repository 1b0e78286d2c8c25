/*
 * copy: rows into PostgreSQL with COPY ... FROM STDIN, the one way bulk
 * rows go in (CDRs, their keys, the ledger's queued charges). A copy_buf
 * is a growable buffer of COPY text-format rows; the copy_* writers format
 * integers, amounts and times by hand (a batch of 10,000 CDRs writes some
 * 300,000 of them) and escape text. A failed allocation sets oom and
 * makes every later write a no-op; rpc_copy_in reports it.
 */
#ifndef DIDTRON_COPY_H
#define DIDTRON_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "money.h"
#include "../rpc/rpc.h"

typedef struct {
    char *p;
    size_t len, cap;
    bool oom;
} copy_buf;

/* Raw bytes (no escaping): SQL array literals and the like use these too. */
void copy_put(copy_buf *t, const char *s, size_t n);
void copy_puts(copy_buf *t, const char *s);
void copy_char(copy_buf *t, char ch);
void copy_int(copy_buf *t, long long v);
void copy_money(copy_buf *t, money_t v);   /* "-12.500000" */
void copy_time(copy_buf *t, int64_t usec); /* RFC 3339 UTC */

/* COPY text-format fields. */
void copy_text(copy_buf *t, const char *s);  /* escaped */
void copy_opt(copy_buf *t, const char *s);   /* NULL or "" -> \N */
void copy_id(copy_buf *t, long long id);     /* 0 -> \N */
void copy_null(copy_buf *t);
void copy_col(copy_buf *t);                  /* the tab between fields */

/* One COPY ... FROM STDIN of n rows on c->db, fill() appending row i
 * (ending with '\n'), sent in pieces of about 256 kB. Returns 0 or -1 with
 * the error set on c; a unique violation is not logged when
 * *unique_violation is given: it is set and -1 returned. */
int rpc_copy_in(rpc_call *c, const char *sql, size_t n, void (*fill)(const void *ud, size_t i, copy_buf *t),
                const void *ud, bool *unique_violation);

#endif
