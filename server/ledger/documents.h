/*
 * documents: what the ledger issues — statements of account, invoices,
 * credit notes and netting documents (docs/documents.md), as JSON, as
 * plain text that fits 80 columns, and as PDF.
 *
 *   statement.c   ledger.statement (computed, never stored)
 *   invoices.c    invoice.create, credit_note.create, netting.create
 *   documents.c   invoice.get, invoice.list, invoice.void, the method
 *                 table, and what the handlers share (below)
 *   documents_render.c   text and PDF from a document's or a statement's JSON
 *
 * Issued documents live in the `invoices` table (schema/0010_documents.sql)
 * and never change except an invoice's status going to void. The SQL does
 * the mechanics (idempotency keys, numbering, the overlap check, the
 * netting journal) in one call per method; C checks fields, answers, and
 * writes the audit rows and events in the same transaction.
 */
#ifndef DIDTRON_DOCUMENTS_H
#define DIDTRON_DOCUMENTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../rpc/rpc.h"

/* The module's methods, in registry.c's list. */
extern const rpc_method document_methods[];

/* The handlers (their fields are in documents.c's table). */
int ledger_statement_method(rpc_call *c);
int invoice_create_method(rpc_call *c);
int credit_note_create_method(rpc_call *c);
int netting_create_method(rpc_call *c);

/* Idempotency keys of documents are 1..DOCUMENT_KEY_MAX characters: a
 * credit note or netting journal is posted under "doc:" + the key, which
 * must fit the ledger's 128. */
#define DOCUMENT_KEY_MAX 120
/* A statement longer than this is refused: ask for a shorter period. */
#define STATEMENT_MAX_LINES 20000

/* Check the param `field`: a date "YYYY-MM-DD" (a real one) or an RFC
 * 3339 time. Puts the text SQL reads (the date, or the time normalised to
 * UTC) in buf. Returns 0; 1 when absent; -1 after a field error. */
int document_when(rpc_call *c, const char *field, char *buf, size_t n);

/* Is the caller a customer user asking about another carrier? Then fail
 * with -32004 (as if it did not exist) and return true. */
bool document_foreign(rpc_call *c, long long carrier_id);

/* Set c->result for `format` ("json" (NULL), "text" or "pdf") from a
 * document's JSON (statement: a statement's); doc is borrowed. filename
 * names the PDF. Returns 0, or -1 with the error set. */
int document_answer(rpc_call *c, json_t *doc, bool statement, const char *format, const char *filename);

/* ---- rendering (documents_render.c); every result is malloc'd, NULL when out of memory ---- */

/* Plain text, lines of at most 80 columns, ending in a newline. */
char *document_text(json_t *doc);
char *statement_text(json_t *st);
/* PDF bytes and their length. */
unsigned char *document_pdf(json_t *doc, size_t *len);
unsigned char *statement_pdf(json_t *st, size_t *len);
/* Columns a UTF-8 string takes on a terminal (wide East Asian characters
 * count 2, control characters are shown as one space each). Exposed for
 * tests. */
int document_text_columns(const char *utf8);

#endif
