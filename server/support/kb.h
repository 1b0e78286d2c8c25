/*
 * kb: the knowledge base (docs/kb.md) — support articles staff write and
 * customers search before they open a ticket.
 *
 * An article (table kb_articles, schema/0016_kb_email.sql) has a title, a
 * plain-text/Markdown-ish body, one category (a slug), up to 20 tags, a
 * state (draft | published) and an audience (public: customers may read
 * it once published | internal: staff only). Search is PostgreSQL full
 * text: a stored tsvector (title A, tags B, body C; 'english'), a GIN
 * index, websearch_to_tsquery syntax, ts_rank_cd ranking and ts_headline
 * snippets with matches between « and ».
 *
 * Methods (kb_methods, registry.c): kb.article.create|get|update|delete|
 * list, kb.category.list, kb.search, kb.suggest. Writes: admins and
 * support; reads: everyone, customers only published public articles.
 * Event: kb_article.changed (staff).
 */
#ifndef DIDTRON_KB_H
#define DIDTRON_KB_H

#include "../rpc/rpc.h"

#define KB_SNIPPET_OPEN "\xc2\xab"   /* « */
#define KB_SNIPPET_CLOSE "\xc2\xbb"  /* » */
#define KB_SUGGEST_WORDS 32          /* kb.suggest uses the first 32 distinct words of the draft */
#define KB_SEARCH_HEAD 1000          /* kb.search ranks up to 1,000 title/tag matches */
#define KB_SEARCH_BODY 1000          /* ... and up to 1,000 more body matches (exact while no more match) */
#define KB_SUGGEST_HEAD 500          /* kb.suggest ranks up to 500 title/tag matches */
#define KB_SUGGEST_BODY 200          /* ... and up to 200 more body matches */

extern const rpc_method kb_methods[];

#endif
