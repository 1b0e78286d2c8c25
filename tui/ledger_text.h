/*
 * ledger_text: what the money screens (journal view, statement view,
 * the carrier's Credit Control) compute as text — month periods for
 * statements, words for why a customer's calls are blocked, and a signed
 * entry amount split into Debit / Credit. Pure C on strings (amounts are
 * the server's decimal strings and never pass through a float), no
 * ncurses, no JSON: unit-tested in tests/unit/test_ledger_text.c.
 */
#ifndef DIDTRON_TUI_LEDGER_TEXT_H
#define DIDTRON_TUI_LEDGER_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Move (year, month) by delta months (negative: back); month is 1..12. */
void period_month_step(int *year, int *month, int delta);

/* The params of a month's statement: from = "YYYY-MM-01"; to = the first
 * of the next month, or "" for the current month (cur_year, cur_month):
 * the server then ends the statement now ("this month so far"). Dates are
 * read by the server in the carrier's time zone. */
void period_month_bounds(int year, int month, int cur_year, int cur_month, char *from, size_t fn, char *to,
                         size_t tn);

/* "November 2026"; "?" for a month outside 1..12. */
void period_month_name(int year, int month, char *buf, size_t n);

/* Words for ledger.balance's `blocked` ("credit", "bilateral_limit",
 * "spend_limit_24h"); an unknown reason is returned as it is. */
const char *credit_block_words(const char *reason);

/* The Credit Control "Calls" value: "allowed" when reason is NULL or
 * empty, else "BLOCKED: " and the words (the word BLOCKED reads without
 * colour). Returns true when blocked. */
bool credit_calls_text(const char *reason, char *buf, size_t n);

/* A debit-positive entry amount ("-25.000000") as the two columns of a
 * ledger: debit "25.000000" and credit "" for a positive amount, debit ""
 * and credit "25.000000" (the sign dropped) for a negative one. NULL or
 * "" gives two empty columns. */
void ledger_split_amount(const char *amount, char *debit, size_t dn, char *credit, size_t cn);

#endif
