/*
 * Integration: the ledger core (issue 6, first slice) — postings of every
 * kind with hand-computed entries and balances, idempotency (also across a
 * restart), validation, tenant scope, the credit limit under 50 racing
 * charges, bilateral net exposure, 24-hour spend, credit alert crossings,
 * a seeded random sequence checked against a model in micro-units, and
 * what the database itself refuses.
 *
 * Sign conventions under test (docs/ledger.md): entries are debit > 0,
 * credit < 0; a customer's balance is the money it has with us (its
 * carrier_customer account's balance negated), a supplier's balance is
 * what we owe it (carrier_supplier negated).
 */
#include <check.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "money.h"
#include "suite.h"

static test_server S;
static wsc *admin;

/* ---- helpers ---- */

static long long new_carrier(const char *name, const char *type, const char *cur1, const char *cur2)
{
    json_t *cur = json_array();
    json_array_append_new(cur, json_string(cur1));
    if (cur2)
        json_array_append_new(cur, json_string(cur2));
    json_t *c = ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:o}", "name", name, "type", type,
                                                      "timezone", "Europe/London", "currencies", cur));
    long long id = jint(c, "id");
    json_decref(c);
    return id;
}

static void set_credit(long long id, json_t *customer)
{
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    long long version = jint(c, "version");
    json_decref(c);
    json_decref(ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:I, s:o}", "id", (json_int_t)id, "version", (json_int_t)version, "customer",
                             customer)));
}

static void postpaid(long long id, const char *limit)
{
    set_credit(id, json_pack("{s:s, s:s}", "credit_type", "postpaid", "credit_limit", limit));
}

static json_t *posting(const char *key, const char *kind, long long carrier, const char *side, const char *amount,
                       const char *currency)
{
    return json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", key, "kind", kind, "carrier_id",
                     (json_int_t)carrier, "side", side, "amount", amount, "currency", currency);
}

static json_t *post(json_t *params)
{
    return ok(admin, "ledger.post", params);
}

/* The amount of the journal's entry on the account named `account`. */
static const char *entry_amount(json_t *journal, const char *account)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(journal, "entries"), i, e)
        if (!strcmp(jstr(e, "account"), account))
            return jstr(e, "amount");
    return "(no entry)";
}

static void assert_entries(json_t *j, const char *acc1, const char *amt1, const char *acc2, const char *amt2)
{
    ck_assert_int_eq(json_array_size(json_object_get(j, "entries")), 2);
    ck_assert_str_eq(entry_amount(j, acc1), amt1);
    ck_assert_str_eq(entry_amount(j, acc2), amt2);
}

/* A fresh posting's reply is the journal as every later reader sees it. */
static void assert_same_as_listed(json_t *posted)
{
    json_t *l = ok(admin, "ledger.journal.list",
                   json_pack("{s:{s:s}}", "filter", "idempotency_key", jstr(posted, "idempotency_key")));
    ck_assert_int_eq(jint(l, "total"), 1);
    json_t *mine = json_deep_copy(posted);
    json_object_del(mine, "duplicate");
    char *a = json_dumps(mine, JSON_SORT_KEYS | JSON_COMPACT);
    char *b = json_dumps(json_array_get(json_object_get(l, "items"), 0), JSON_SORT_KEYS | JSON_COMPACT);
    ck_assert_str_eq(a, b);
    free(a);
    free(b);
    json_decref(mine);
    json_decref(l);
}

static json_t *balance(long long carrier, const char *currency)
{
    json_t *p = json_pack("{s:I}", "carrier_id", (json_int_t)carrier);
    if (currency)
        json_object_set_new(p, "currency", json_string(currency));
    return ok(admin, "ledger.balance", p);
}

static const char *path2(json_t *o, const char *a, const char *b)
{
    return jstr(json_object_get(o, a), b);
}

static char *account_name(char *buf, size_t n, const char *kind, long long carrier, const char *currency)
{
    snprintf(buf, n, "%s:%lld:%s", kind, carrier, currency);
    return buf;
}

static long long sql_count(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long long sql_count(const char *fmt, ...)
{
    char sql[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sql, sizeof sql, fmt, ap);
    va_end(ap);
    return atoll(harness_sql(sql));
}

static json_t *error_data(json_t *reply)
{
    return json_object_get(json_object_get(reply, "error"), "data");
}

/* ---- every kind, customer side ---- */

START_TEST(test_customer_postings_move_the_balance_as_the_customer_sees_it)
{
    long long id = new_carrier("Kinds Customer", "customer", "USD", NULL);
    char cust[64];
    account_name(cust, sizeof cust, "carrier_customer", id, "USD");

    json_t *p = posting("kinds-1", "topup", id, "customer", "100", "USD");
    json_object_set_new(p, "provider", json_string("stripe"));
    json_object_set_new(p, "memo", json_string("card top-up"));
    json_t *j = post(p);
    ck_assert(json_is_false(json_object_get(j, "duplicate")));
    ck_assert_str_eq(jstr(j, "kind"), "topup");
    ck_assert_str_eq(jstr(j, "amount"), "100.000000");
    ck_assert_str_eq(jstr(j, "memo"), "card top-up");
    assert_entries(j, cust, "-100.000000", "cash:stripe:USD", "100.000000"); /* Cr customer, Dr cash */
    assert_same_as_listed(j);
    json_decref(j);

    j = post(posting("kinds-2", "charge", id, "customer", "30.5", "USD"));
    assert_entries(j, cust, "30.500000", "revenue:USD", "-30.500000");      /* Dr customer, Cr revenue */
    json_decref(j);
    j = post(posting("kinds-3", "credit_note", id, "customer", "5", "USD"));
    assert_entries(j, cust, "-5.000000", "revenue:USD", "5.000000");        /* Dr revenue, Cr customer */
    json_decref(j);
    j = post(posting("kinds-4", "payment", id, "customer", "10", "USD"));   /* provider defaults to manual */
    assert_entries(j, cust, "-10.000000", "cash:manual:USD", "10.000000");
    json_decref(j);
    p = posting("kinds-5", "adjustment", id, "customer", "-4.5", "USD");
    json_object_set_new(p, "reason", json_string("duplicate call billed twice by the switch"));
    j = post(p);
    assert_entries(j, cust, "4.500000", "suspense:USD", "-4.500000");
    ck_assert_str_eq(jstr(j, "reason"), "duplicate call billed twice by the switch");
    assert_same_as_listed(j);
    json_decref(j);
    p = posting("kinds-6", "adjustment", id, "customer", "2", "USD");
    json_object_set_new(p, "reason", json_string("goodwill"));
    json_object_set_new(p, "offset_account", json_string("promotions"));
    j = post(p);
    assert_entries(j, cust, "-2.000000", "promotions:USD", "2.000000");
    json_decref(j);

    /* 100 - 30.5 + 5 + 10 - 4.5 + 2 = 82 */
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "82.000000");
    ck_assert_str_eq(path2(b, "customer", "currency"), "USD");
    ck_assert_str_eq(path2(b, "customer", "credit_limit"), "0.000000");
    ck_assert_str_eq(path2(b, "customer", "available"), "82.000000");
    ck_assert_str_eq(path2(b, "supplier", "balance"), "0.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "-82.000000");
    ck_assert_str_eq(path2(b, "spend_24h", "customer"), "30.500000");
    ck_assert(json_is_null(json_object_get(b, "bilateral")));
    json_decref(b);

    /* The cached balance (debit-positive) is the sum of the account's entries. */
    char sql[400];
    snprintf(sql, sizeof sql, "SELECT a.balance::text || '=' || (SELECT sum(e.amount) FROM ledger_entries e"
                              " WHERE e.account_id = a.id)::text FROM ledger_accounts a WHERE a.name = '%s'", cust);
    ck_assert_str_eq(harness_sql(sql), "-82.000000=-82.000000");
    json_t *accs = ok(admin, "ledger.account.list", json_pack("{s:{s:I}}", "filter", "carrier_id", (json_int_t)id));
    ck_assert_int_eq(jint(accs, "total"), 1);
    json_t *acc = json_array_get(json_object_get(accs, "items"), 0);
    ck_assert_str_eq(jstr(acc, "balance"), "-82.000000");
    ck_assert_str_eq(jstr(acc, "normal_side"), "credit");
    ck_assert_int_eq(jint(acc, "version"), 7); /* created at 1, six journals */
    json_decref(accs);
    /* One audit row per journal. */
    ck_assert_int_eq(sql_count("SELECT count(*) FROM audit_log WHERE entity = 'ledger_journal' AND action = 'post'"
                               " AND entity_id IN (SELECT id::text FROM ledger_journals WHERE carrier_id = %lld)", id),
                     6);
}
END_TEST

/* ---- every kind, supplier side ---- */

START_TEST(test_supplier_postings_move_what_we_owe_the_supplier)
{
    long long id = new_carrier("Kinds Supplier", "supplier", "USD", NULL);
    char supp[64];
    account_name(supp, sizeof supp, "carrier_supplier", id, "USD");
    json_t *j = post(posting("supp-1", "charge", id, "supplier", "200", "USD"));
    assert_entries(j, supp, "-200.000000", "cost_of_sales:USD", "200.000000"); /* Dr cost of sales, Cr supplier */
    assert_same_as_listed(j);
    json_decref(j);
    j = post(posting("supp-2", "payment", id, "supplier", "150", "USD"));
    assert_entries(j, supp, "150.000000", "cash:manual:USD", "-150.000000");   /* Dr supplier, Cr cash */
    json_decref(j);
    j = post(posting("supp-3", "credit_note", id, "supplier", "20", "USD"));
    assert_entries(j, supp, "20.000000", "cost_of_sales:USD", "-20.000000");
    json_decref(j);
    json_t *p = posting("supp-4", "adjustment", id, "supplier", "5", "USD");
    json_object_set_new(p, "reason", json_string("late invoice line"));
    j = post(p);
    assert_entries(j, supp, "-5.000000", "suspense:USD", "5.000000");
    json_decref(j);
    fails_on_field(admin, "ledger.post", posting("supp-5", "topup", id, "supplier", "1", "USD"), "side");
    /* 200 - 150 - 20 + 5 = 35 owed */
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "supplier", "balance"), "35.000000");
    ck_assert_str_eq(path2(b, "spend_24h", "supplier"), "200.000000");
    ck_assert_str_eq(path2(b, "customer", "balance"), "0.000000");
    json_decref(b);
    /* A supplier has no customer side, a customer no supplier side. */
    fails_on_field(admin, "ledger.post", posting("supp-6", "charge", id, "customer", "1", "USD"), "side");
}
END_TEST

/* ---- credit limit ---- */

START_TEST(test_charge_refused_when_over_available_credit)
{
    long long id = new_carrier("Credit Limited", "customer", "USD", "EUR");
    postpaid(id, "50");
    json_decref(post(posting("cl-1", "charge", id, "customer", "30", "USD")));
    json_t *r = call(admin, "ledger.post", posting("cl-2", "charge", id, "customer", "25", "USD"));
    ck_assert_int_eq(wsc_error_code(r), -32010);
    ck_assert_str_eq(jstr(error_data(r), "available"), "20.000000");
    ck_assert_str_eq(jstr(error_data(r), "currency"), "USD");
    json_decref(r);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM ledger_journals WHERE idempotency_key = 'cl-2'"), "0");
    json_decref(post(posting("cl-3", "charge", id, "customer", "20", "USD"))); /* exactly to the limit */
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-50.000000");
    ck_assert_str_eq(path2(b, "customer", "credit_limit"), "50.000000");
    ck_assert_str_eq(path2(b, "customer", "available"), "0.000000");
    json_decref(b);
    r = call(admin, "ledger.post", posting("cl-4", "charge", id, "customer", "0.000001", "USD"));
    ck_assert_int_eq(wsc_error_code(r), -32010);
    ck_assert_str_eq(jstr(error_data(r), "available"), "0.000000");
    json_decref(r);
    /* The refused key is free: once paid, the same request posts. */
    json_decref(post(posting("cl-5", "payment", id, "customer", "50", "USD")));
    json_t *j = post(posting("cl-4", "charge", id, "customer", "0.000001", "USD"));
    ck_assert(json_is_false(json_object_get(j, "duplicate")));
    json_decref(j);
    /* The credit limit is in the first currency; the second is prepaid. */
    r = call(admin, "ledger.post", posting("cl-6", "charge", id, "customer", "1", "EUR"));
    ck_assert_int_eq(wsc_error_code(r), -32010);
    ck_assert_str_eq(jstr(error_data(r), "available"), "0.000000");
    ck_assert_str_eq(jstr(error_data(r), "currency"), "EUR");
    json_decref(r);
    json_t *eur = post(posting("cl-7", "topup", id, "customer", "3", "EUR"));
    ck_assert(json_is_null(json_object_get(eur, "fx_rate_usd"))); /* no FX yet */
    assert_same_as_listed(eur);
    json_decref(eur);
    json_decref(post(posting("cl-8", "charge", id, "customer", "1", "EUR")));
    b = balance(id, "EUR");
    ck_assert_str_eq(path2(b, "customer", "balance"), "2.000000");
    ck_assert_str_eq(path2(b, "customer", "available"), "2.000000");
    ck_assert_str_eq(path2(b, "customer", "credit_limit"), "0.000000");
    json_decref(b);
}
END_TEST

/* ---- idempotency ---- */

START_TEST(test_same_key_returns_the_first_journal_and_posts_nothing)
{
    long long id = new_carrier("Idem Co", "customer", "USD", NULL);
    json_t *first = post(posting("idem-1", "topup", id, "customer", "12.5", "USD"));
    json_t *again = post(posting("idem-1", "topup", id, "customer", "12.5", "USD"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    ck_assert_int_eq(jint(again, "id"), jint(first, "id"));
    ck_assert_str_eq(jstr(again, "created_at"), jstr(first, "created_at"));
    json_decref(first);
    json_decref(again);
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "12.500000");
    json_decref(b);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_journals WHERE carrier_id = %lld", id), 1);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM audit_log WHERE entity = 'ledger_journal'"
                               " AND entity_id IN (SELECT id::text FROM ledger_journals WHERE carrier_id = %lld)", id),
                     1);
    /* The same key with other params is refused, naming the first journal. */
    json_t *r = call(admin, "ledger.post", posting("idem-1", "topup", id, "customer", "13", "USD"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_gt(jint(error_data(r), "journal_id"), 0);
    json_decref(r);
    json_t *p = posting("idem-1", "topup", id, "customer", "12.5", "USD");
    json_object_set_new(p, "provider", json_string("paypal"));
    ck_assert_int_eq(fails(admin, "ledger.post", p), -32009);
    b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "12.500000");
    json_decref(b);
}
END_TEST

START_TEST(test_idempotency_survives_a_server_restart)
{
    long long id = new_carrier("Restart Co", "customer", "USD", NULL);
    json_t *first = post(posting("restart-1", "topup", id, "customer", "7", "USD"));
    long long jid = jint(first, "id");
    json_decref(first);
    wsc_close(admin);
    ck_assert_int_eq(server_stop(&S, 20000), 0);
    ck_assert(server_start(&S, "ledger", NULL));
    admin = login(&S, "root", "rootpass123");
    json_t *again = post(posting("restart-1", "topup", id, "customer", "7", "USD"));
    ck_assert(json_is_true(json_object_get(again, "duplicate")));
    ck_assert_int_eq(jint(again, "id"), jid);
    json_decref(again);
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "7.000000");
    json_decref(b);
}
END_TEST

/* ---- validation ---- */

START_TEST(test_bad_postings_name_the_field_and_write_nothing)
{
    long long id = new_carrier("Strict Co", "customer", "USD", NULL);
    long long before = atoll(harness_sql("SELECT count(*) FROM ledger_journals"));
    fails_on_field(admin, "ledger.post", posting("v-1", "topup", id, "customer", "-5", "USD"), "amount");
    fails_on_field(admin, "ledger.post", posting("v-2", "topup", id, "customer", "0", "USD"), "amount");
    fails_on_field(admin, "ledger.post", posting("v-3", "topup", id, "customer", "1.0000001", "USD"), "amount");
    fails_on_field(admin, "ledger.post", posting("v-4", "topup", id, "customer", "12,50", "USD"), "amount");
    fails_on_field(admin, "ledger.post", posting("v-5", "topup", id, "customer", "1000000000000.000001", "USD"),
                   "amount");
    json_t *p = posting("v-6", "topup", id, "customer", "1", "USD");
    json_object_set_new(p, "amount", json_integer(5)); /* money is never a JSON number */
    fails_on_field(admin, "ledger.post", p, "amount");
    fails_on_field(admin, "ledger.post", posting("v-7", "topup", id, "customer", "1", "XXX"), "currency");
    fails_on_field(admin, "ledger.post", posting("v-8", "topup", id, "customer", "1", "EUR"), "currency");
    fails_on_field(admin, "ledger.post", posting("v-9", "adjustment", id, "customer", "1", "USD"), "reason");
    p = posting("v-10", "adjustment", id, "customer", "1", "USD");
    json_object_set_new(p, "reason", json_string("   "));
    fails_on_field(admin, "ledger.post", p, "reason");
    fails_on_field(admin, "ledger.post", posting("v-11", "adjustment", id, "customer", "0", "USD"), "amount");
    fails_on_field(admin, "ledger.post", posting("v-12", "refund", id, "customer", "1", "USD"), "kind");
    fails_on_field(admin, "ledger.post", posting("v-13", "topup", id, "both", "1", "USD"), "side");
    p = posting("v-14", "charge", id, "customer", "1", "USD");
    json_object_set_new(p, "provider", json_string("stripe"));
    fails_on_field(admin, "ledger.post", p, "provider");
    p = posting("v-15", "topup", id, "customer", "1", "USD");
    json_object_set_new(p, "provider", json_string("Stripe Inc"));
    fails_on_field(admin, "ledger.post", p, "provider");
    p = posting("v-16", "topup", id, "customer", "1", "USD");
    json_object_set_new(p, "offset_account", json_string("promotions"));
    fails_on_field(admin, "ledger.post", p, "offset_account");
    p = posting("v-17", "topup", id, "customer", "1", "USD");
    json_object_del(p, "idempotency_key");
    fails_on_field(admin, "ledger.post", p, "idempotency_key");
    p = posting("v-18", "topup", id, "customer", "1", "USD");
    json_object_set_new(p, "colour", json_string("red"));
    fails_on_field(admin, "ledger.post", p, "colour");
    ck_assert_int_eq(fails(admin, "ledger.post", posting("v-19", "topup", 999999, "customer", "1", "USD")), -32004);
    fails_on_field(admin, "ledger.balance", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)id, "currency", "GBP"),
                   "currency");
    ck_assert_int_eq(fails(admin, "ledger.balance", json_pack("{s:i}", "carrier_id", 999999)), -32004);
    ck_assert_int_eq(atoll(harness_sql("SELECT count(*) FROM ledger_journals")), before);
}
END_TEST

START_TEST(test_customers_cannot_post_and_read_only_their_own_carrier)
{
    long long mine = new_carrier("Ledger Mine", "customer", "USD", NULL);
    long long theirs = new_carrier("Ledger Theirs", "customer", "USD", NULL);
    json_decref(post(posting("scope-1", "topup", mine, "customer", "40", "USD")));
    json_decref(post(posting("scope-2", "topup", theirs, "customer", "60", "USD")));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "ledger-cust", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)mine)));
    wsc *cu = login(&S, "ledger-cust", "password123");
    ck_assert_int_eq(fails(cu, "ledger.post", posting("scope-3", "topup", mine, "customer", "1000", "USD")), -32003);
    ck_assert_int_eq(fails(cu, "ledger.trial_balance", NULL), -32003);
    json_t *b = ok(cu, "ledger.balance", json_pack("{s:I}", "carrier_id", (json_int_t)mine));
    ck_assert_str_eq(path2(b, "customer", "balance"), "40.000000");
    json_decref(b);
    ck_assert_int_eq(fails(cu, "ledger.balance", json_pack("{s:I}", "carrier_id", (json_int_t)theirs)), -32004);
    json_t *list = ok(cu, "ledger.journal.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_t *item = json_array_get(json_object_get(list, "items"), 0);
    ck_assert_int_eq(jint(item, "carrier_id"), mine);
    ck_assert(json_is_null(json_object_get(item, "actor")));
    json_decref(list);
    list = ok(cu, "ledger.journal.list", json_pack("{s:{s:I}}", "filter", "carrier_id", (json_int_t)theirs));
    ck_assert_int_eq(jint(list, "total"), 0);
    json_decref(list);
    list = ok(cu, "ledger.account.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    json_t *c = ok(cu, "carrier.get", json_pack("{s:I}", "id", (json_int_t)mine));
    ck_assert_str_eq(path2(json_object_get(c, "balances"), "customer", "balance"), "40.000000");
    json_decref(c);
    wsc_close(cu);
}
END_TEST

/* ---- the race ---- */

#define RACERS 50

START_TEST(test_fifty_concurrent_charges_against_ten_post_exactly_ten)
{
    long long id = new_carrier("Race Prepaid", "customer", "USD", NULL);
    json_decref(post(posting("race-topup", "topup", id, "customer", "10", "USD")));
    char *token = login_token(&S, "root", "rootpass123");
    wsc *c[RACERS];
    long long rid[RACERS];
    for (int i = 0; i < RACERS; i++) {
        c[i] = ws_open(&S);
        json_decref(ok(c[i], "auth.resume", json_pack("{s:s}", "token", token)));
    }
    for (int i = 0; i < RACERS; i++) { /* all in flight before any reply is read */
        char key[32];
        snprintf(key, sizeof key, "race-%d", i);
        rid[i] = wsc_send_request(c[i], "ledger.post", posting(key, "charge", id, "customer", "1.000000", "USD"));
        ck_assert_int_gt(rid[i], 0);
    }
    int posted = 0, refused = 0;
    for (int i = 0; i < RACERS; i++) {
        json_t *r = wsc_wait_response(c[i], rid[i], T);
        ck_assert_ptr_nonnull(r);
        int code = wsc_error_code(r);
        ck_assert_msg(code == 0 || code == -32010, "racer %d got %d", i, code);
        if (code == 0)
            posted++;
        else
            refused++;
        json_decref(r);
        wsc_close(c[i]);
    }
    free(token);
    ck_assert_int_eq(posted, 10);
    ck_assert_int_eq(refused, 40);
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "0.000000");
    ck_assert_str_eq(path2(b, "spend_24h", "customer"), "10.000000");
    json_decref(b);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_journals WHERE carrier_id = %lld AND kind = 'charge'", id),
                     10);
}
END_TEST

/* ---- bilateral ---- */

START_TEST(test_bilateral_net_exposure_nets_both_sides)
{
    long long id = new_carrier("Both Ways", "bilateral", "USD", NULL);
    set_credit(id, json_pack("{s:s, s:s, s:s, s:s}", "credit_type", "postpaid", "credit_limit", "1000",
                             "bilateral_limit", "500", "bilateral_limit_breach", "block"));
    json_decref(post(posting("bil-1", "charge", id, "customer", "300", "USD")));  /* it owes us 300 */
    json_decref(post(posting("bil-2", "charge", id, "supplier", "120", "USD")));  /* we owe it 120 */
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "-300.000000");
    ck_assert_str_eq(path2(b, "customer", "available"), "700.000000");
    ck_assert_str_eq(path2(b, "supplier", "balance"), "120.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "180.000000");
    ck_assert_str_eq(path2(b, "bilateral", "limit"), "500.000000");
    ck_assert_str_eq(path2(b, "bilateral", "remaining"), "320.000000");
    ck_assert_str_eq(path2(b, "bilateral", "breach"), "block");
    json_decref(b);
    /* carrier.get's balances come from the same figures, in their documented shape. */
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    json_t *f = json_object_get(c, "balances");
    ck_assert_str_eq(path2(f, "customer", "balance"), "-300.000000");
    ck_assert_str_eq(path2(f, "customer", "limit"), "1000.000000");
    ck_assert_str_eq(path2(f, "customer", "remaining"), "700.000000");
    ck_assert_str_eq(path2(f, "supplier", "balance"), "120.000000");
    ck_assert_str_eq(path2(f, "bilateral", "net_exposure"), "180.000000");
    ck_assert_str_eq(path2(f, "bilateral", "remaining"), "320.000000");
    ck_assert_str_eq(path2(f, "spend_24h", "customer"), "300.000000");
    ck_assert_str_eq(path2(f, "spend_24h", "supplier"), "120.000000");
    json_decref(c);
    /* A top-up that covers its debt turns the exposure around. */
    json_decref(post(posting("bil-3", "topup", id, "customer", "500", "USD")));
    b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "customer", "balance"), "200.000000");
    ck_assert_str_eq(jstr(b, "net_exposure"), "-320.000000");
    json_decref(b);
}
END_TEST

/* ---- 24-hour spend ---- */

/* A balanced charge journal dated `hours_ago`, written with SQL (the only
 * way to put one in the past); the database keeps the cached balances. */
static void past_charge(long long carrier, const char *key, const char *amount, int hours_ago)
{
    char sql[1400];
    snprintf(sql, sizeof sql,
             "BEGIN;"
             " INSERT INTO ledger_journals (idempotency_key, kind, carrier_id, side, amount, currency, actor, created_at)"
             "   VALUES ('%s', 'charge', %lld, 'customer', %s, 'USD', 'test', now() - interval '%d hours');"
             " INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind, created_at)"
             "   SELECT currval('ledger_journals_id_seq'), ledger_account_id('carrier_customer', %lld, 'USD', NULL),"
             "          %s, 'USD', 'charge', now() - interval '%d hours'"
             "   UNION ALL SELECT currval('ledger_journals_id_seq'), ledger_account_id('revenue', NULL, 'USD', NULL),"
             "          -%s, 'USD', 'charge', now() - interval '%d hours';"
             " COMMIT;",
             key, carrier, amount, hours_ago, carrier, amount, hours_ago, amount, hours_ago);
    harness_sql(sql);
}

START_TEST(test_spend_24h_counts_charges_in_the_window_of_its_mode)
{
    long long id = new_carrier("Spender", "customer", "USD", NULL);
    postpaid(id, "1000");
    past_charge(id, "spend-old", "40", 25);
    past_charge(id, "spend-mid", "20", 3);
    past_charge(id, "spend-new", "7", 1);
    json_decref(post(posting("spend-now", "charge", id, "customer", "3", "USD")));
    json_decref(post(posting("spend-cn", "credit_note", id, "customer", "2", "USD"))); /* not a charge */
    json_t *b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "spend_24h", "mode"), "rolling");
    ck_assert_str_eq(path2(b, "spend_24h", "customer"), "30.000000"); /* 20 + 7 + 3 */
    ck_assert_str_eq(path2(b, "customer", "balance"), "-68.000000");
    json_decref(b);
    /* Fixed mode, reset two hours ago (carrier's time zone): only what came since. */
    char reset[8];
    snprintf(reset, sizeof reset, "%s",
             harness_sql("SELECT to_char((now() - interval '2 hours') AT TIME ZONE 'Europe/London', 'HH24:MI')"));
    set_credit(id, json_pack("{s:s, s:s, s:s}", "spend_limit_24h", "25", "spend_mode_24h", "fixed", "spend_reset_time",
                             reset));
    b = balance(id, NULL);
    ck_assert_str_eq(path2(b, "spend_24h", "mode"), "fixed");
    ck_assert_str_eq(path2(b, "spend_24h", "customer"), "10.000000"); /* 7 + 3 */
    ck_assert_str_eq(path2(b, "spend_24h", "customer_limit"), "25.000000");
    ck_assert_str_eq(path2(b, "spend_24h", "customer_remaining"), "15.000000");
    json_decref(b);
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_str_eq(path2(json_object_get(c, "balances"), "spend_24h", "customer_remaining"), "15.000000");
    json_decref(c);
}
END_TEST

/* ---- credit alerts ---- */

START_TEST(test_credit_alert_fires_once_per_crossing)
{
    long long id = new_carrier("Alerted", "customer", "USD", NULL);
    json_decref(ok(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "type",
                                                           "low_balance", "threshold", "5")));
    wsc *watcher = login(&S, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "credit.alert")));
    json_decref(post(posting("al-1", "topup", id, "customer", "10", "USD")));  /* 10: up, no alert */
    json_decref(post(posting("al-2", "charge", id, "customer", "3", "USD")));  /* 7 */
    json_decref(post(posting("al-3", "charge", id, "customer", "3", "USD")));  /* 4: crossed */
    json_decref(post(posting("al-4", "charge", id, "customer", "1", "USD")));  /* 3: still below, no alert */
    json_decref(post(posting("al-5", "topup", id, "customer", "10", "USD")));  /* 13 */
    json_decref(post(posting("al-6", "charge", id, "customer", "9", "USD")));  /* 4: crossed again */
    const char *values[] = { "4.000000", "4.000000" };
    for (int i = 0; i < 2; i++) {
        json_t *ev = wsc_next_event(watcher, T);
        ck_assert_ptr_nonnull(ev);
        json_t *p = json_object_get(ev, "params");
        ck_assert_str_eq(jstr(p, "topic"), "credit.alert");
        json_t *d = json_object_get(p, "data");
        ck_assert_str_eq(jstr(d, "type"), "low_balance");
        ck_assert_int_eq(jint(d, "carrier_id"), id);
        ck_assert_str_eq(jstr(d, "threshold"), "5.000000");
        ck_assert_str_eq(jstr(d, "value"), values[i]);
        ck_assert_str_eq(jstr(d, "currency"), "USD");
        json_decref(ev);
    }
    json_t *extra = wsc_next_event(watcher, 1000);
    ck_assert_msg(extra == NULL, "an alert fired without a crossing");
    wsc_close(watcher);
}
END_TEST

/* ---- lists and the trial balance ---- */

START_TEST(test_journal_list_is_newest_first_and_filters)
{
    long long id = new_carrier("Listed Co", "customer", "USD", NULL);
    json_decref(post(posting("list-1", "topup", id, "customer", "5", "USD")));
    json_decref(post(posting("list-2", "charge", id, "customer", "1", "USD")));
    json_decref(post(posting("list-3", "charge", id, "customer", "2", "USD")));
    json_t *l = ok(admin, "ledger.journal.list", json_pack("{s:{s:I}}", "filter", "carrier_id", (json_int_t)id));
    ck_assert_int_eq(jint(l, "total"), 3);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "idempotency_key"), "list-3");
    json_decref(l);
    l = ok(admin, "ledger.journal.list",
           json_pack("{s:{s:I, s:s}, s:i}", "filter", "carrier_id", (json_int_t)id, "kind", "charge", "limit", 1));
    ck_assert_int_eq(jint(l, "total"), 2);
    ck_assert(json_is_string(json_object_get(l, "next_cursor")));
    json_decref(l);
    l = ok(admin, "ledger.journal.list",
           json_pack("{s:{s:I, s:s}}", "filter", "carrier_id", (json_int_t)id, "from", "2999-01-01T00:00:00Z"));
    ck_assert_int_eq(jint(l, "total"), 0);
    json_decref(l);
    fails_on_field(admin, "ledger.journal.list", json_pack("{s:{s:s}}", "filter", "kind", "bribe"), "filter.kind");
    l = ok(admin, "ledger.account.list", json_pack("{s:{s:s, s:s}}", "filter", "kind", "revenue", "currency", "USD"));
    ck_assert_int_eq(jint(l, "total"), 1);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(l, "items"), 0), "normal_side"), "credit");
    json_decref(l);
}
END_TEST

/* ---- the property test ---- */

#define PCARRIERS 4
#define PSTEPS 500

typedef struct {
    long long id;
    const char *type;
    const char *cur[2];
    money_t limit; /* postpaid credit limit (first currency); 0 = prepaid */
    money_t view[2][2]; /* [side: 0 customer, 1 supplier][currency index], as the carrier sees it */
} pcarrier;

typedef struct {
    json_t *params; /* as sent (owned) */
    long long journal_id;
} psent;

static uint64_t rng_state;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int pick(int n)
{
    return (int)(rng() % (uint64_t)n);
}

/* Platform accounts touched by the property test: offset kind + provider, per currency. */
static const char *const poffsets[] = { "cash:manual", "cash:stripe", "revenue", "cost_of_sales", "suspense",
                                        "promotions" };
#define POFFSETS 6

static int offset_index(const char *name)
{
    for (int i = 0; i < POFFSETS; i++)
        if (!strcmp(poffsets[i], name))
            return i;
    ck_abort_msg("unknown offset %s", name);
    return -1;
}

START_TEST(test_random_postings_keep_the_books_balanced_and_equal_to_a_model)
{
    /* Currencies CHF and SEK are used by this test only, so the platform
     * accounts in them are this test's alone. */
    pcarrier pc[PCARRIERS] = {
        { 0, "customer", { "CHF", NULL }, 0, { { 0 } } },
        { 0, "customer", { "CHF", "SEK" }, 200 * MONEY_SCALE, { { 0 } } },
        { 0, "supplier", { "CHF", NULL }, 0, { { 0 } } },
        { 0, "bilateral", { "SEK", "CHF" }, 300 * MONEY_SCALE, { { 0 } } },
    };
    money_t platform[POFFSETS][2] = { { 0 } }; /* raw (debit-positive), [offset][0 CHF, 1 SEK] */
    for (int i = 0; i < PCARRIERS; i++) {
        char name[32];
        snprintf(name, sizeof name, "Prop Carrier %d", i);
        pc[i].id = new_carrier(name, pc[i].type, pc[i].cur[0], pc[i].cur[1]);
        if (pc[i].limit) {
            char lim[MONEY_STR_MAX];
            postpaid(pc[i].id, money_format(pc[i].limit, lim, sizeof lim));
        }
    }
    rng_state = 20261123;
    fprintf(stderr, "property test seed %llu\n", (unsigned long long)rng_state);
    psent *sent = calloc(PSTEPS, sizeof *sent);
    int nsent = 0, posted = 0, duplicates = 0, mismatches = 0, refused = 0;
    static const char *const customer_kinds[] = { "topup", "payment", "charge", "charge", "charge", "credit_note",
                                                  "adjustment" };
    static const char *const supplier_kinds[] = { "payment", "charge", "charge", "credit_note", "adjustment" };
    for (int step = 0; step < PSTEPS; step++) {
        int dice = pick(100);
        if (dice < 10 && nsent) { /* the same request again: the first journal, nothing posted */
            psent *s = &sent[pick(nsent)];
            json_t *j = post(json_deep_copy(s->params));
            ck_assert(json_is_true(json_object_get(j, "duplicate")));
            ck_assert_int_eq(jint(j, "id"), s->journal_id);
            json_decref(j);
            duplicates++;
            continue;
        }
        if (dice < 13 && nsent) { /* the same key for another amount: refused */
            psent *s = &sent[pick(nsent)];
            json_t *p = json_deep_copy(s->params);
            json_object_set_new(p, "amount", json_string("999.999999"));
            ck_assert_int_eq(fails(admin, "ledger.post", p), -32009);
            mismatches++;
            continue;
        }
        pcarrier *c = &pc[pick(PCARRIERS)];
        int side;
        if (!strcmp(c->type, "customer"))
            side = 0;
        else if (!strcmp(c->type, "supplier"))
            side = 1;
        else
            side = pick(2);
        int ci = c->cur[1] && pick(3) == 0 ? 1 : 0;
        const char *cur = c->cur[ci];
        int cur_slot = !strcmp(cur, "CHF") ? 0 : 1;
        const char *kind = side == 0 ? customer_kinds[pick(7)] : supplier_kinds[pick(5)];
        money_t range = pick(10) == 0 ? 300 * MONEY_SCALE : 50 * MONEY_SCALE; /* one draw at a time: */
        money_t amount = (money_t)(1 + rng() % (uint64_t)range);            /* the sequence is the seed's */
        bool adjustment = !strcmp(kind, "adjustment");
        if (adjustment && pick(2))
            amount = -amount;
        char key[48], amt[MONEY_STR_MAX];
        snprintf(key, sizeof key, "prop-%d", step);
        money_format(amount, amt, sizeof amt);
        json_t *p = posting(key, kind, c->id, side ? "supplier" : "customer", amt, cur);
        /* The expected effect, written out independently of the server's rules table. */
        money_t delta;
        const char *offset;
        if (!strcmp(kind, "topup") || !strcmp(kind, "payment")) {
            const char *prov = pick(2) ? "stripe" : "manual";
            json_object_set_new(p, "provider", json_string(prov));
            offset = !strcmp(prov, "stripe") ? "cash:stripe" : "cash:manual";
            delta = side == 0 ? amount : -amount; /* customer pays us / we pay the supplier */
        } else if (!strcmp(kind, "charge")) {
            offset = side == 0 ? "revenue" : "cost_of_sales";
            delta = side == 0 ? -amount : amount;
        } else if (!strcmp(kind, "credit_note")) {
            offset = side == 0 ? "revenue" : "cost_of_sales";
            delta = side == 0 ? amount : -amount;
        } else {
            json_object_set_new(p, "reason", json_string("property test"));
            offset = pick(2) ? "promotions" : "suspense";
            json_object_set_new(p, "offset_account", json_string(offset));
            delta = amount;
        }
        bool credit_checked = side == 0 && !strcmp(kind, "charge");
        money_t allowance = side == 0 && ci == 0 ? c->limit : 0;
        money_t available = c->view[0][ci] + allowance;
        json_t *keep = json_deep_copy(p);
        json_t *r = call(admin, "ledger.post", p);
        if (credit_checked && available - amount < 0) {
            char av[MONEY_STR_MAX];
            ck_assert_msg(wsc_error_code(r) == -32010, "step %d: want -32010", step);
            ck_assert_str_eq(jstr(error_data(r), "available"), money_format(available, av, sizeof av));
            refused++;
            json_decref(keep);
        } else {
            char *text = json_dumps(r, JSON_COMPACT);
            ck_assert_msg(wsc_error_code(r) == 0, "step %d: %s", step, text);
            free(text);
            c->view[side][ci] += delta;
            platform[offset_index(offset)][cur_slot] += delta; /* the offset entry is +delta */
            sent[nsent].params = keep;
            sent[nsent].journal_id = jint(wsc_result(r), "id");
            nsent++;
            posted++;
        }
        json_decref(r);
    }
    fprintf(stderr, "property test: %d posted, %d duplicates, %d key reuses, %d refused\n", posted, duplicates,
            mismatches, refused);
    ck_assert_int_gt(refused, 5);
    ck_assert_int_gt(duplicates, 20);

    /* The trial balance is zero in every currency and no cache drifted. */
    json_t *tb = ok(admin, "ledger.trial_balance", NULL);
    ck_assert(json_is_true(json_object_get(tb, "balanced")));
    size_t i;
    json_t *cu;
    int seen = 0;
    json_array_foreach(json_object_get(tb, "currencies"), i, cu) {
        ck_assert_str_eq(jstr(cu, "total"), "0.000000");
        ck_assert_int_eq(jint(cu, "cache_mismatches"), 0);
        seen += !strcmp(jstr(cu, "currency"), "CHF") || !strcmp(jstr(cu, "currency"), "SEK");
    }
    ck_assert_int_eq(seen, 2);
    json_decref(tb);
    /* Straight from SQL: every journal balances per currency, every cached
     * balance is the sum of its entries, the whole ledger sums to zero. */
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM (SELECT journal_id, currency FROM ledger_entries"
                                 " GROUP BY 1, 2 HAVING sum(amount) <> 0) x"), "0");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM ledger_accounts a WHERE a.balance <>"
                                 " (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries e WHERE e.account_id = a.id)"),
                     "0");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM (SELECT currency FROM ledger_entries GROUP BY 1"
                                 " HAVING sum(amount) <> 0) x"), "0");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM ledger_journals j WHERE NOT EXISTS"
                                 " (SELECT 1 FROM ledger_entries e WHERE e.journal_id = j.id)"), "0");
    /* Every balance equals the model. */
    char want[MONEY_STR_MAX], sql[400];
    for (int k = 0; k < PCARRIERS; k++) {
        for (int ci = 0; ci < 2 && pc[k].cur[ci]; ci++) {
            json_t *b = balance(pc[k].id, pc[k].cur[ci]);
            ck_assert_str_eq(path2(b, "customer", "balance"), money_format(pc[k].view[0][ci], want, sizeof want));
            ck_assert_str_eq(path2(b, "supplier", "balance"), money_format(pc[k].view[1][ci], want, sizeof want));
            json_decref(b);
        }
    }
    static const char *const slots[] = { "CHF", "SEK" };
    for (int o = 0; o < POFFSETS; o++) {
        for (int s = 0; s < 2; s++) {
            snprintf(sql, sizeof sql,
                     "SELECT coalesce((SELECT balance::text FROM ledger_accounts WHERE name = '%s:%s'), '0.000000')",
                     poffsets[o], slots[s]);
            ck_assert_msg(!strcmp(harness_sql(sql), money_format(platform[o][s], want, sizeof want)),
                          "%s:%s is %s, model %s", poffsets[o], slots[s], harness_sql(sql), want);
        }
    }
    for (int k = 0; k < nsent; k++)
        json_decref(sent[k].params);
    free(sent);
}
END_TEST

/* ---- what the database refuses ---- */

/* Run sql on db; returns the SQLSTATE of the error, or "" on success. */
static const char *exec_state(PGconn *db, const char *sql)
{
    static char state[8];
    PGresult *r = PQexec(db, sql);
    ExecStatusType st = PQresultStatus(r);
    const char *s = (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) ? "" : PQresultErrorField(r, PG_DIAG_SQLSTATE);
    snprintf(state, sizeof state, "%s", s ? s : "?");
    PQclear(r);
    return state;
}

START_TEST(test_database_refuses_unbalanced_journals_and_any_change)
{
    long long id = new_carrier("Raw SQL Co", "customer", "USD", NULL);
    json_t *j = post(posting("raw-1", "topup", id, "customer", "10", "USD"));
    long long jid = jint(j, "id");
    long long acc = jint(json_array_get(json_object_get(j, "entries"), 0), "account_id");
    json_decref(j);
    PGconn *db = harness_db();
    char sql[600];
    /* An unbalanced journal: refused when the transaction commits. */
    snprintf(sql, sizeof sql,
             "BEGIN; INSERT INTO ledger_journals (idempotency_key, kind, actor) VALUES ('raw-unbalanced', 'charge', 'x');"
             " INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind)"
             " VALUES (currval('ledger_journals_id_seq'), %lld, 5, 'USD', 'charge');", acc);
    ck_assert_str_eq(exec_state(db, sql), "");
    ck_assert_str_eq(exec_state(db, "COMMIT"), "23514");
    /* A journal without entries: refused. */
    ck_assert_str_eq(exec_state(db, "BEGIN; INSERT INTO ledger_journals (idempotency_key, kind, actor)"
                                    " VALUES ('raw-empty', 'charge', 'x')"), "");
    ck_assert_str_eq(exec_state(db, "COMMIT"), "23514");
    /* One more entry slipped into a posted journal: refused. */
    snprintf(sql, sizeof sql, "INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind)"
                              " VALUES (%lld, %lld, 1, 'USD', 'topup')", jid, acc);
    ck_assert_str_eq(exec_state(db, sql), "23514");
    /* Even checked at once, it is refused the same way. */
    snprintf(sql, sizeof sql, "BEGIN; SET CONSTRAINTS ALL IMMEDIATE; INSERT INTO ledger_entries"
                              " (journal_id, account_id, amount, currency, kind) VALUES (%lld, %lld, 1, 'USD', 'topup')",
             jid, acc);
    ck_assert_str_eq(exec_state(db, sql), "23514");
    exec_state(db, "ROLLBACK");
    /* An entry in another currency than its account's: refused. */
    snprintf(sql, sizeof sql, "INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind)"
                              " VALUES (%lld, %lld, 1, 'EUR', 'topup')", jid, acc);
    ck_assert_str_eq(exec_state(db, sql), "23503");
    /* Entries and journals are never changed or deleted. */
    snprintf(sql, sizeof sql, "UPDATE ledger_entries SET amount = amount * 2 WHERE journal_id = %lld", jid);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    snprintf(sql, sizeof sql, "DELETE FROM ledger_entries WHERE journal_id = %lld", jid);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    snprintf(sql, sizeof sql, "UPDATE ledger_journals SET memo = 'edited' WHERE id = %lld", jid);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    snprintf(sql, sizeof sql, "DELETE FROM ledger_journals WHERE id = %lld", jid);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    ck_assert_str_eq(exec_state(db, "TRUNCATE ledger_entries, ledger_journals CASCADE"), "23000");
    snprintf(sql, sizeof sql, "UPDATE ledger_accounts SET currency = 'EUR' WHERE id = %lld", acc);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    snprintf(sql, sizeof sql, "DELETE FROM ledger_accounts WHERE id = %lld", acc);
    ck_assert_str_eq(exec_state(db, sql), "23000");
    ck_assert_str_eq(exec_state(db, "TRUNCATE ledger_accounts"), "23000");
    ck_assert_str_eq(exec_state(db, "INSERT INTO ledger_accounts (kind, currency, name) VALUES ('bribes', 'USD', '')"),
                     "23514");
    ck_assert_str_eq(exec_state(db, "INSERT INTO ledger_accounts (kind, currency, name) VALUES ('cash', 'USD', '')"),
                     "23514"); /* cash needs a provider */
    /* An entry on an account that does not exist: refused. */
    snprintf(sql, sizeof sql, "INSERT INTO ledger_entries (journal_id, account_id, amount, currency, kind)"
                              " VALUES (%lld, 999999, 1, 'USD', 'topup')", jid);
    ck_assert_str_eq(exec_state(db, sql), "23503");
    PQfinish(db);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM ledger_entries WHERE journal_id = %lld", jid), 2);
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM ledger_journals WHERE idempotency_key LIKE 'raw-%'"), "1");
    /* The books outlive the carrier: a purge keeps it (soft-deleted). */
    json_decref(ok(admin, "carrier.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 1)));
    json_t *purge = ok(admin, "retention.purge", json_pack("{s:i}", "retention_days", 0));
    json_decref(purge);
    ck_assert_int_eq(sql_count("SELECT count(*) FROM carriers WHERE id = %lld", id), 1);
}
END_TEST

static void teardown(void)
{
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
}

int main(void)
{
    admin = start_with_root(&S, "didtron_ledger", "ledger", NULL);
    Suite *s = suite_create("ledger");
    TCase *tc = tcase_create("ledger");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_customer_postings_move_the_balance_as_the_customer_sees_it);
    tcase_add_test(tc, test_supplier_postings_move_what_we_owe_the_supplier);
    tcase_add_test(tc, test_charge_refused_when_over_available_credit);
    tcase_add_test(tc, test_same_key_returns_the_first_journal_and_posts_nothing);
    tcase_add_test(tc, test_idempotency_survives_a_server_restart);
    tcase_add_test(tc, test_bad_postings_name_the_field_and_write_nothing);
    tcase_add_test(tc, test_customers_cannot_post_and_read_only_their_own_carrier);
    tcase_add_test(tc, test_fifty_concurrent_charges_against_ten_post_exactly_ten);
    tcase_add_test(tc, test_bilateral_net_exposure_nets_both_sides);
    tcase_add_test(tc, test_spend_24h_counts_charges_in_the_window_of_its_mode);
    tcase_add_test(tc, test_credit_alert_fires_once_per_crossing);
    tcase_add_test(tc, test_journal_list_is_newest_first_and_filters);
    tcase_add_test(tc, test_random_postings_keep_the_books_balanced_and_equal_to_a_model);
    tcase_add_test(tc, test_database_refuses_unbalanced_journals_and_any_change);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    teardown();
    return rc;
}
