/*
 * Integration: the knowledge base (docs/kb.md) — who may write, what
 * customers may read (published public articles only, in get, list,
 * search, suggest and the category list), ranking (a title match above a
 * body match), «highlighted» snippets, queries that are empty, only stop
 * words or punctuation, validation errors that name the field, versions,
 * published_at, and soft delete.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "suite.h"

static test_server S;
static wsc *admin, *support, *customer, *noc;

static json_t *article(const char *title, const char *body, const char *category, const char *state,
                       const char *audience)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "title", title, "body", body, "category", category, "state", state,
                     "audience", audience);
}

static long long create(wsc *c, json_t *params)
{
    json_t *a = ok(c, "kb.article.create", params);
    long long id = jint(a, "id");
    ck_assert_int_gt(id, 0);
    json_decref(a);
    return id;
}

/* Does items (a list or search result's) hold the article with this id? */
static bool holds(json_t *result, long long id)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(result, "items"), i, it)
        if (jint(it, "id") == id)
            return true;
    return false;
}

static json_t *search(wsc *c, const char *q)
{
    return ok(c, "kb.search", json_pack("{s:s}", "q", q));
}

static long long pub, draft, internal;

START_TEST(test_support_writes_and_customers_and_noc_cannot)
{
    pub = create(support, article("Configuring SIP trunks", "Point your PBX at the trunk address and register"
                                  " with the credentials from the portal.", "sip", "published", "public"));
    draft = create(support, article("Trunk failover (draft)", "Unfinished notes on trunk failover for customers.",
                                    "sip", "draft", "public"));
    internal = create(admin, article("Trunk escalation runbook", "Internal: how NOC escalates a trunk outage to"
                                     " the upstream supplier.", "noc", "published", "internal"));
    json_t *a = ok(support, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)pub));
    ck_assert_str_eq(jstr(a, "author"), "kb_support");
    ck_assert_int_eq(jint(a, "version"), 1);
    ck_assert(json_is_string(json_object_get(a, "published_at")));
    json_decref(a);
    a = ok(support, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)draft));
    ck_assert(json_is_null(json_object_get(a, "published_at")));
    json_decref(a);
    ck_assert_int_eq(fails(customer, "kb.article.create", article("Mine", "x", "sip", "published", "public")),
                     -32003);
    ck_assert_int_eq(fails(noc, "kb.article.create", article("Mine", "x", "sip", "published", "public")), -32003);
    ck_assert_int_eq(fails(customer, "kb.article.update",
                           json_pack("{s:I, s:i, s:s}", "id", (json_int_t)pub, "version", 1, "title", "Hacked")),
                     -32003);
    ck_assert_int_eq(fails(customer, "kb.article.delete", json_pack("{s:I, s:i}", "id", (json_int_t)pub, "version", 1)),
                     -32003);
}
END_TEST

START_TEST(test_customers_see_only_published_public_articles)
{
    /* get */
    json_decref(ok(customer, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)pub)));
    ck_assert_int_eq(fails(customer, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)draft)), -32004);
    ck_assert_int_eq(fails(customer, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)internal)), -32004);
    /* list */
    json_t *l = ok(customer, "kb.article.list", json_pack("{s:i}", "limit", 100));
    ck_assert(holds(l, pub) && !holds(l, draft) && !holds(l, internal));
    json_decref(l);
    l = ok(customer, "kb.article.list", json_pack("{s:{s:s}}", "filter", "audience", "internal"));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 0);
    json_decref(l);
    l = ok(support, "kb.article.list", json_pack("{s:i}", "limit", 100));
    ck_assert(holds(l, pub) && holds(l, draft) && holds(l, internal));
    json_decref(l);
    /* search: all three mention trunks */
    json_t *r = search(customer, "trunk");
    ck_assert(holds(r, pub) && !holds(r, draft) && !holds(r, internal));
    json_decref(r);
    r = search(support, "trunk");
    ck_assert(holds(r, pub) && holds(r, draft) && holds(r, internal));
    json_decref(r);
    /* suggest */
    r = ok(customer, "kb.suggest", json_pack("{s:s}", "text", "Our trunk stopped working, failover did not happen"));
    ck_assert(holds(r, pub) && !holds(r, draft) && !holds(r, internal));
    json_decref(r);
    r = ok(support, "kb.suggest", json_pack("{s:s}", "text", "Our trunk stopped working, failover did not happen"));
    ck_assert(holds(r, draft) && holds(r, internal));
    json_decref(r);
    /* categories */
    r = ok(customer, "kb.category.list", NULL);
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(r, "items"), 0), "category"), "sip");
    ck_assert_int_eq(jint(json_array_get(json_object_get(r, "items"), 0), "articles"), 1);
    json_decref(r);
    r = ok(support, "kb.category.list", NULL);
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 2);
    json_decref(r);
}
END_TEST

START_TEST(test_a_title_match_ranks_above_a_body_match)
{
    long long body_hit = create(support, article("Billing questions", "Invoices are issued monthly. If a fax"
                                                 " machine is connected, see the other article.", "billing",
                                                 "published", "public"));
    long long title_hit = create(support, article("Fax over IP (T.38)", "Enable T.38 on the interconnect and"
                                                  " disable ECM on the machine.", "sip", "published", "public"));
    json_t *r = search(customer, "fax");
    json_t *items = json_object_get(r, "items");
    ck_assert_int_ge(json_array_size(items), 2);
    ck_assert_int_eq(jint(json_array_get(items, 0), "id"), title_hit);
    ck_assert_int_eq(jint(json_array_get(items, 1), "id"), body_hit);
    double r0 = json_number_value(json_object_get(json_array_get(items, 0), "rank"));
    double r1 = json_number_value(json_object_get(json_array_get(items, 1), "rank"));
    ck_assert_msg(r0 > r1 && r1 > 0, "ranks %f %f", r0, r1);
    json_decref(r);
    /* a category narrows it */
    r = ok(customer, "kb.search", json_pack("{s:s, s:s}", "q", "fax", "category", "billing"));
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    ck_assert(holds(r, body_hit));
    json_decref(r);
}
END_TEST

START_TEST(test_snippets_highlight_the_matched_words)
{
    create(support, article("Audio quality", "If callers hear robotic voices, check the codec negotiation:"
                            " G.711 first, then G.729. Jitter above 30 ms also hurts.", "quality", "published",
                            "public"));
    json_t *r = search(customer, "codecs jitter");
    json_t *first = json_array_get(json_object_get(r, "items"), 0);
    ck_assert_ptr_nonnull(first);
    const char *snippet = jstr(first, "snippet");
    ck_assert_msg(strstr(snippet, "\xc2\xab" "codec" "\xc2\xbb") != NULL, "snippet: %s", snippet);
    ck_assert_msg(strstr(snippet, "\xc2\xab" "Jitter" "\xc2\xbb") != NULL, "snippet: %s", snippet);
    json_decref(r);
    /* websearch syntax: a quoted phrase and an exclusion */
    r = search(customer, "\"robotic voices\" -fax");
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 1);
    json_decref(r);
}
END_TEST

START_TEST(test_bad_queries_answer_calmly)
{
    fails_on_field(customer, "kb.search", json_pack("{s:s}", "q", ""), "q");
    fails_on_field(customer, "kb.search", json_pack("{s:s}", "q", "   \t "), "q");
    fails_on_field(customer, "kb.search", json_pack("{s:i}", "q", 3), "q");
    fails_on_field(customer, "kb.search", json_pack("{s:s, s:i}", "q", "trunk", "limit", 0), "limit");
    const char *calm[] = { "the and of", "!!! ((( ))) & | :* <-> !", "\"unclosed", "-", "a'b\\c''", "or or or",
                           "\xe2\x80\x94\xe2\x80\x94", NULL };
    for (const char **q = calm; *q; q++) {
        json_t *r = search(customer, *q);
        ck_assert_msg(json_is_array(json_object_get(r, "items")), "q %s", *q);
        json_decref(r);
    }
    json_t *r = search(customer, "the and of");
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 0);
    ck_assert_ptr_nonnull(strstr(jstr(r, "note"), "no searchable words"));
    json_decref(r);
    r = ok(customer, "kb.suggest", json_pack("{s:s}", "text", "?!? ..."));
    ck_assert_int_eq(json_array_size(json_object_get(r, "items")), 0);
    json_decref(r);
}
END_TEST

START_TEST(test_validation_errors_name_the_field)
{
    fails_on_field(support, "kb.article.create", json_pack("{s:s}", "body", "no title"), "title");
    fails_on_field(support, "kb.article.create", json_pack("{s:s}", "title", "   "), "title");
    fails_on_field(support, "kb.article.create", json_pack("{s:s, s:s}", "title", "T", "category", "Bad Cat"),
                   "category");
    fails_on_field(support, "kb.article.create", json_pack("{s:s, s:[s, s]}", "title", "T", "tags", "ok", "a,b"),
                   "tags[1]");
    fails_on_field(support, "kb.article.create", json_pack("{s:s, s:s}", "title", "T", "state", "live"), "state");
    fails_on_field(support, "kb.article.create", json_pack("{s:s, s:s}", "title", "T", "audience", "everyone"),
                   "audience");
    fails_on_field(support, "kb.article.create", json_pack("{s:s, s:i}", "title", "T", "colour", 1), "colour");
    char longtitle[260];
    memset(longtitle, 'x', sizeof longtitle - 1);
    longtitle[sizeof longtitle - 1] = '\0';
    fails_on_field(support, "kb.article.create", json_pack("{s:s}", "title", longtitle), "title");
    fails_on_field(support, "kb.article.update", json_pack("{s:I}", "id", (json_int_t)pub), "version");
}
END_TEST

START_TEST(test_updates_are_versioned_and_publishing_stamps_published_at)
{
    ck_assert_int_eq(fails(support, "kb.article.update",
                           json_pack("{s:I, s:i, s:s}", "id", (json_int_t)draft, "version", 7, "state", "published")),
                     -32009);
    json_t *a = ok(support, "kb.article.update", json_pack("{s:I, s:i, s:s, s:[s]}", "id", (json_int_t)draft,
                                                           "version", 1, "state", "published", "tags", "failover"));
    ck_assert_int_eq(jint(a, "version"), 2);
    ck_assert_str_eq(jstr(a, "state"), "published");
    ck_assert(json_is_string(json_object_get(a, "published_at")));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(a, "tags"), 0)), "failover");
    json_decref(a);
    /* now customers see it, and find it by its tag */
    json_decref(ok(customer, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)draft)));
    json_t *r = search(customer, "failover");
    ck_assert_int_eq(jint(json_array_get(json_object_get(r, "items"), 0), "id"), draft);
    json_decref(r);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM audit_log WHERE entity = 'kb_article' AND action = 'update'"),
                     "1");
}
END_TEST

START_TEST(test_a_deleted_article_is_gone_everywhere)
{
    long long id = create(support, article("Obsolete zebra notice", "Zebra routing was retired.", "general",
                                            "published", "public"));
    json_t *r = search(customer, "zebra");
    ck_assert(holds(r, id));
    json_decref(r);
    json_t *d = ok(support, "kb.article.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 1));
    json_decref(d);
    ck_assert_int_eq(fails(support, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)id)), -32004);
    r = search(support, "zebra");
    ck_assert(!holds(r, id));
    json_decref(r);
    r = ok(support, "kb.suggest", json_pack("{s:s}", "text", "zebra"));
    ck_assert(!holds(r, id));
    json_decref(r);
}
END_TEST

START_TEST(test_staff_hear_of_changes_and_customers_may_not_subscribe)
{
    wsc *watcher = login(&S, "kb_noc", "password123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "kb_article.changed")));
    long long id = create(support, article("Event check", "x", "general", "draft", "internal"));
    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *p = json_object_get(ev, "params");
    ck_assert_str_eq(jstr(p, "topic"), "kb_article.changed");
    ck_assert_int_eq(jint(json_object_get(p, "data"), "id"), id);
    ck_assert_str_eq(jstr(json_object_get(p, "data"), "action"), "create");
    json_decref(ev);
    wsc_close(watcher);
    json_t *r = call(customer, "subscribe", json_pack("{s:[s]}", "topics", "kb_article.changed"));
    ck_assert_int_ne(wsc_error_code(r), 0);
    json_decref(r);
}
END_TEST

START_TEST(test_suggest_finds_articles_from_a_ticket_draft)
{
    long long oneway = create(support, article("One-way audio", "One-way audio usually means NAT: the RTP"
                                               " stream goes to a private address. Check the SDP.", "quality",
                                               "published", "public"));
    json_t *r = ok(customer, "kb.suggest",
                   json_pack("{s:s}", "text", "Subject: calls to Germany have audio in one direction only\n"
                                              "Since yesterday our customers hear nothing; NAT was changed?"));
    json_t *items = json_object_get(r, "items");
    ck_assert_int_le(json_array_size(items), 5);
    ck_assert_int_eq(jint(json_array_get(items, 0), "id"), oneway);
    json_decref(r);
}
END_TEST

START_TEST(test_setup_users)
{
    json_t *c = ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "KB Customer", "type",
                                                      "customer", "timezone", "Europe/London", "currencies", "USD"));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "kb_customer", "password",
                                                   "password123", "role", "customer", "carrier_id",
                                                   (json_int_t)jint(c, "id"))));
    json_decref(c);
    create_user(admin, "kb_support", "support");
    create_user(admin, "kb_noc", "noc");
    support = login(&S, "kb_support", "password123");
    customer = login(&S, "kb_customer", "password123");
    noc = login(&S, "kb_noc", "password123");
}
END_TEST

int main(void)
{
    const char *flags[] = { "--fx-refresh-minutes", "0", "--fx-revalue-monthly=false", NULL };
    admin = start_with_root(&S, "didtron_test_kb", "kb", flags);
    Suite *s = suite_create("kb");
    TCase *tc = tcase_create("kb");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_setup_users);
    tcase_add_test(tc, test_support_writes_and_customers_and_noc_cannot);
    tcase_add_test(tc, test_customers_see_only_published_public_articles);
    tcase_add_test(tc, test_a_title_match_ranks_above_a_body_match);
    tcase_add_test(tc, test_snippets_highlight_the_matched_words);
    tcase_add_test(tc, test_bad_queries_answer_calmly);
    tcase_add_test(tc, test_validation_errors_name_the_field);
    tcase_add_test(tc, test_updates_are_versioned_and_publishing_stamps_published_at);
    tcase_add_test(tc, test_a_deleted_article_is_gone_everywhere);
    tcase_add_test(tc, test_suggest_finds_articles_from_a_ticket_draft);
    tcase_add_test(tc, test_staff_hear_of_changes_and_customers_may_not_subscribe);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    wsc_close(support);
    wsc_close(customer);
    wsc_close(noc);
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
    return rc;
}
