/*
 * kb_view: the knowledge base — a search screen (kb.search: type a query,
 * results with their snippets, the matched words «marked» by the server
 * drawn in the accent style) and an article's screen (kb.article.get,
 * scrollable text).
 */
#ifndef DIDTRON_TUI_KB_VIEW_H
#define DIDTRON_TUI_KB_VIEW_H

#include "screen.h"

screen *kb_search_new(void);
/* Open (or go to) an article's tab. */
void kb_open_article(long long id, const char *title);
/* Draw a snippet at (y, x) within w columns: the text between « and » in
 * the accent style (the marks themselves dropped), the rest in base. */
void kb_draw_snippet(int y, int x, int w, int base, const char *snippet);

/* Tab ids (screen.id) of the support screens, so each opens once (apart
 * from screen.h's, routing's 5e12 and the NOC's 6e12). */
#define TAB_ID_TICKET(id) (-(8000000000000LL + (id)))
#define TAB_ID_TICKET_QUEUE(mine) (-(8900000000000LL + (mine)))
#define TAB_ID_KB_SEARCH (-8910000000000LL)
#define TAB_ID_KB_ARTICLE(id) (-(9000000000000LL + (id)))
#define TAB_ID_JOB(id) (-(9500000000000LL + (id)))

#endif
