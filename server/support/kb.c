/*
 * kb.c: the knowledge-base methods (kb.h; docs/kb.md).
 *
 * Articles are entity records (server/rpc/entity.h): create, update and
 * delete are the generic handlers; get and list have handlers of their
 * own for one rule the generic ones do not have: what a customer may read
 * depends on the article (published and public), not on a carrier.
 * Search runs in PostgreSQL: the GIN index finds the matching rows,
 * ts_rank_cd orders them, and ts_headline, the costly part, runs only on
 * the rows of the page.
 */
#include "kb.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../rpc/entity.h"


/* What a customer may read; $n is bound to "public". */
#define CUSTOMER_SCOPE(n) "t.state = 'published' AND t.audience = $" #n

static const char *const states[] = { "draft", "published", NULL };
static const char *const audiences[] = { "public", "internal", NULL };

static const record_column kb_columns[] = {
    { "title", "title", COL_TEXT },
    { "body", "body", COL_TEXT },
    { "category", "category", COL_TEXT },
    { "tags", "tags", COL_TEXT_ARRAY },
    { "state", "state", COL_TEXT },
    { "audience", "audience", COL_TEXT },
    { "author_id", "author_id", COL_BIGINT }, /* set by kb_prepare on create, not by clients */
    { "author", "author", COL_TEXT },
    { NULL },
};

static const record_spec kb_record = {
    "kb_article", "kb_articles",
    "json_build_object('id', t.id, 'title', t.title, 'body', t.body, 'category', t.category,"
    " 'tags', to_json(t.tags), 'state', t.state, 'audience', t.audience, 'author_id', t.author_id,"
    " 'author', t.author, 'published_at', " TS("t.published_at") ", 'version', t.version,"
    " 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")",
    kb_columns,
};

static bool is_customer(rpc_call *c)
{
    return c->session->role == ROLE_CUSTOMER;
}

/* ---- checks the field table cannot express ---- */

static int check_fields(rpc_call *c)
{
    const char *category = rpc_str(c, "category");
    if (category) {
        bool ok = (category[0] >= 'a' && category[0] <= 'z') || (category[0] >= '0' && category[0] <= '9');
        for (const char *p = category; *p && ok; p++)
            ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (!ok)
            rpc_field_error(c, "category", "must be 1 to 64 of a-z, 0-9, _ and -, starting with a letter or digit");
    }
    const char *title = rpc_str(c, "title");
    if (title) {
        bool blank = true;
        for (const char *p = title; *p; p++)
            if (!isspace((unsigned char)*p))
                blank = false;
        if (blank)
            rpc_field_error(c, "title", "must not be blank");
        else if (strpbrk(title, "\r\n"))
            rpc_field_error(c, "title", "must be one line");
    }
    json_t *tags = json_object_get(c->params, "tags");
    size_t i;
    json_t *tag;
    json_array_foreach(tags, i, tag) {
        const char *s = json_string_value(tag);
        size_t n = s ? strlen(s) : 0;
        char field[32];
        snprintf(field, sizeof field, "tags[%zu]", i);
        if (n < 1 || n > 40 || strpbrk(s, "\r\n\t,"))
            rpc_field_error(c, field, "must be 1 to 40 characters without commas or line breaks");
    }
    return c->err_code ? -1 : 0;
}

/* ---- create / get / update / delete ----
 * create, update and delete are the generic entity handlers
 * (server/rpc/entity.h) with kb_prepare for the rules above; get has a
 * customer scope of its own (published public articles, not a carrier). */

/* The checks above, and on create the author (server-set: the article's
 * author columns are not in the method's field table). */
static int kb_prepare(rpc_call *c, json_t *before)
{
    if (check_fields(c))
        return -1;
    if (!before) {
        json_object_set_new(c->params, "author_id",
                            c->session->user_id > 0 ? json_integer(c->session->user_id) : json_null());
        json_object_set_new(c->params, "author", json_string(c->session->username));
    }
    return 0;
}

static int kb_get(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    c->result = is_customer(c) ? record_get(c, &kb_record, id, CUSTOMER_SCOPE(2), "public")
                               : record_get(c, &kb_record, id, NULL, NULL);
    return c->result ? 0 : -1;
}

/* ---- kb.article.list ---- */

static const list_sort kb_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "title", "t.title", LIST_TEXT },
    { "category", "t.category", LIST_TEXT },
    { "created_at", "t.created_at", LIST_TIME },
    { "updated_at", "t.updated_at", LIST_TIME },
    { NULL },
};
static const list_filter kb_filters[] = {
    { "category", "t.category", LIST_TEXT, LIST_EQ, NULL },
    { "state", "t.state", LIST_TEXT, LIST_EQ, states },
    { "audience", "t.audience", LIST_TEXT, LIST_EQ, audiences },
    { "q", "t.title", LIST_TEXT, LIST_SEARCH, NULL },
    { NULL },
};
static const list_spec kb_list_spec = {
    /* no body in lists: an excerpt */
    .item_sql = "json_build_object('id', t.id, 'title', t.title, 'category', t.category, 'tags', to_json(t.tags),"
                " 'state', t.state, 'audience', t.audience, 'author', t.author,"
                " 'excerpt', left(regexp_replace(t.body, '\\s+', ' ', 'g'), 160),"
                " 'published_at', " TS("t.published_at") ", 'version', t.version,"
                " 'updated_at', " TS("t.updated_at") ")",
    .from_sql = "kb_articles t",
    .where_sql = "t.deleted_at IS NULL",
    .id_sql = "t.id",
    .sorts = kb_sorts,
    .default_sort = "-updated_at",
    .filters = kb_filters,
};

static const entity_kind kb_kind = { &kb_record, &kb_list_spec, NULL, CUSTOMER_NONE, kb_prepare };

static int kb_list(rpc_call *c)
{
    return is_customer(c) ? rpc_list(c, &kb_list_spec, CUSTOMER_SCOPE(1), "public")
                          : rpc_list(c, &kb_list_spec, NULL, NULL);
}

/* ---- kb.category.list ---- */

static int kb_categories(rpc_call *c)
{
    PGresult *r = rpc_query(c,
        "SELECT coalesce(json_agg(json_build_object('category', category, 'articles', n) ORDER BY category), '[]')"
        "  FROM (SELECT t.category, count(*) AS n FROM kb_articles t"
        "         WHERE t.deleted_at IS NULL AND ($1::text IS NULL OR (" CUSTOMER_SCOPE(1) "))"
        "         GROUP BY t.category) s",
        1, is_customer(c) ? "public" : NULL);
    if (!r)
        return -1;
    c->result = json_pack("{s:o}", "items", json_loads(PQgetvalue(r, 0, 0), 0, NULL));
    PQclear(r);
    return c->result ? 0 : rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
}

/* ---- kb.search and kb.suggest ---- */

/* Ranking costs a detoasted tsvector per row, and a common word matches a
 * good part of the articles somewhere in their bodies, so both methods
 * rank a bounded set of candidates (CTE cand): every article whose title
 * or tags match (up to `head` of them: the short search_head vectors, few
 * matches), plus up to `body` more whose body matches, in no particular
 * order. While no more than `body` articles match, the ranking is exact.
 * Then the page's rows get their snippet. $1 is the text, $2 the category
 * (NULL = any), $3 the limit, $4 "public" for customers (NULL = staff:
 * every article, drafts too). Result: the items as JSON text, and the
 * number of nodes in the query (0: no searchable word in it). */
#define VISIBLE(a) \
    " AND " a ".deleted_at IS NULL AND ($2::text IS NULL OR " a ".category = $2)" \
    " AND ($4::text IS NULL OR (" a ".state = 'published' AND " a ".audience = $4))"
#define RANKED(head, body) \
    "     cand AS ((SELECT a.id FROM kb_articles a, q WHERE a.search_head @@ q.q" VISIBLE("a") " LIMIT " #head ")" \
    "              UNION" \
    "              (SELECT a.id FROM kb_articles a, q WHERE a.search @@ q.q" VISIBLE("a") " LIMIT " #body "))" \
    " SELECT coalesce(json_agg(json_build_object('id', t.id, 'title', t.title, 'category', t.category," \
    "          'state', t.state, 'audience', t.audience," \
    "          'snippet', ts_headline('english', left(t.body, 20000), s.q, 'StartSel=" KB_SNIPPET_OPEN ", StopSel=" \
    KB_SNIPPET_CLOSE ", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" ... \"')," \
    "          'rank', round(s.rank::numeric, 6)) ORDER BY s.rank DESC, s.id), '[]')::text," \
    "        (SELECT numnode(q) FROM q)" \
    "   FROM (SELECT a.id, q.q, ts_rank_cd(a.search, q.q) AS rank" \
    "           FROM cand JOIN kb_articles a ON a.id = cand.id, q" \
    "          ORDER BY rank DESC, a.id LIMIT $3::int) s" \
    "   JOIN kb_articles t ON t.id = s.id"

static const char search_sql[] =
    "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS q)," RANKED(1000, 1000);
_Static_assert(KB_SEARCH_HEAD == 1000 && KB_SEARCH_BODY == 1000, "search_sql says LIMIT 1000 and LIMIT 1000");

/* kb.suggest: the draft's words (letters and digits only, so nothing in
 * it is query syntax), the first KB_SUGGEST_WORDS distinct ones, OR-ed;
 * fewer candidates than kb.search (a draft's words match nearly
 * everything). */
static const char suggest_sql[] =
    "WITH w AS (SELECT word, min(ord) AS ord"
    "             FROM regexp_split_to_table(lower($1), '[^[:alnum:]]+') WITH ORDINALITY AS x(word, ord)"
    "            WHERE length(word) BETWEEN 2 AND 64 AND word NOT IN ('or', 'and')"
    "            GROUP BY word ORDER BY min(ord) LIMIT 32),"
    "     q AS (SELECT websearch_to_tsquery('english', coalesce((SELECT string_agg(word, ' or ' ORDER BY ord)"
    "                                                            FROM w), '')) AS q)," RANKED(500, 200);

_Static_assert(KB_SUGGEST_HEAD == 500 && KB_SUGGEST_BODY == 200, "suggest_sql says LIMIT 500 and LIMIT 200");
_Static_assert(KB_SUGGEST_WORDS == 32, "suggest_sql says LIMIT 32");

static int run_search(rpc_call *c, const char *sql, const char *text, int limit)
{
    char lim[16];
    snprintf(lim, sizeof lim, "%d", limit);
    const char *params[] = { text, rpc_str(c, "category"), lim, is_customer(c) ? "public" : NULL };
    PGresult *r = rpc_queryv(c, sql, 4, params);
    if (!r)
        return -1;
    json_t *items = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    bool no_words = atoi(PQgetvalue(r, 0, 1)) == 0;
    PQclear(r);
    if (!items)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    c->result = json_pack("{s:o}", "items", items);
    if (no_words)
        json_object_set_new(c->result, "note", json_string("no searchable words (only stop words or punctuation)"));
    return 0;
}

static bool has_word_char(const char *s)
{
    for (; s && *s; s++)
        if (isalnum((unsigned char)*s) || (unsigned char)*s >= 0x80)
            return true;
    return false;
}

static int kb_search(rpc_call *c)
{
    const char *q = rpc_str(c, "q");
    if (!q || !*q || strspn(q, " \t\r\n") == strlen(q))
        return rpc_field_error(c, "q", "must not be empty");
    if (!has_word_char(q)) {
        c->result = json_pack("{s:[], s:s}", "items", "note", "no searchable words (only stop words or punctuation)");
        return 0;
    }
    return run_search(c, search_sql, q, (int)rpc_int(c, "limit", 10));
}

static int kb_suggest(rpc_call *c)
{
    const char *text = rpc_str(c, "text");
    if (!has_word_char(text)) {
        c->result = json_pack("{s:[]}", "items");
        return 0;
    }
    return run_search(c, suggest_sql, text, (int)rpc_int(c, "limit", 5));
}

/* ---- the table ---- */

#define KB_WRITERS (ROLES_ADMIN | ROLE_SUPPORT)

#define ARTICLE_FIELDS(req) \
    { "title", F_STRING, req, 1, 200 }, { "body", F_STRING, 0, 0, 100000 }, { "category", F_STRING, 0, 1, 64 }, \
    { "tags", F_ARRAY, 0, 0, 20, NULL, NULL, F_STRING }, { "state", F_ENUM, 0, 0, 0, states }, \
    { "audience", F_ENUM, 0, 0, 0, audiences }

static const rpc_field create_params[] = { ARTICLE_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field update_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1, 0x7fffffff }, ARTICLE_FIELDS(0), { NULL },
};
static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field delete_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1, 0x7fffffff }, { NULL },
};
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };
static const rpc_field search_params[] = {
    { "q", F_STRING, F_REQUIRED, 0, 500 },
    { "category", F_STRING, F_NULLABLE, 1, 64 },
    { "limit", F_INT, 0, 1, 50 },
    { NULL },
};
static const rpc_field suggest_params[] = {
    { "text", F_STRING, F_REQUIRED, 0, 10000 },
    { "category", F_STRING, F_NULLABLE, 1, 64 },
    { "limit", F_INT, 0, 1, 10 },
    { NULL },
};

const rpc_method kb_methods[] = {
    { "kb.article.create", entity_create, KB_WRITERS, RPC_MUTATES, create_params, &kb_kind },
    { "kb.article.get", kb_get, ROLES_ANY, 0, id_params },
    { "kb.article.update", entity_update, KB_WRITERS, RPC_MUTATES, update_params, &kb_kind },
    { "kb.article.delete", entity_delete, KB_WRITERS, RPC_MUTATES, delete_params, &kb_kind },
    { "kb.article.list", kb_list, ROLES_ANY, 0, list_params },
    { "kb.category.list", kb_categories, ROLES_ANY, 0, NULL },
    { "kb.search", kb_search, ROLES_ANY, 0, search_params },
    { "kb.suggest", kb_suggest, ROLES_ANY, 0, suggest_params },
    { NULL },
};
