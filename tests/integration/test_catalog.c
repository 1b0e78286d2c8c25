/*
 * Integration: the catalog around carriers — contacts, categories and
 * groups, trunk groups, credit alerts, blacklists, release cause mappings
 * and assignment.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "suite.h"

static test_server S;
static wsc *admin;

static long long made(json_t *r)
{
    long long id = jint(r, "id");
    json_decref(r);
    return id;
}

static long long new_carrier(const char *name, const char *type)
{
    return made(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                      "timezone", "UTC", "currencies", "USD")));
}

static void setup(void)
{
    admin = start_with_root(&S, "didtron_catalog", "catalog", NULL);
}

START_TEST(test_categories_and_groups)
{
    long long cat = made(ok(admin, "category.create", json_pack("{s:s, s:s}", "name", "Wholesaler", "description",
                                                                "Postpaid wholesale")));
    ck_assert_int_eq(fails(admin, "category.create", json_pack("{s:s}", "name", "wholesaler")), -32009);
    long long grp = made(ok(admin, "group.create", json_pack("{s:s, s:I}", "name", "Tier 1", "category_id",
                                                             (json_int_t)cat)));
    fails_on_field(admin, "group.create", json_pack("{s:s, s:i}", "name", "Tier X", "category_id", 424242),
                   "category_id");
    long long car = made(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s], s:I, s:I}", "name", "Grouped",
                                                               "type", "customer", "timezone", "UTC", "currencies",
                                                               "USD", "category_id", (json_int_t)cat, "group_id",
                                                               (json_int_t)grp)));
    json_t *list = ok(admin, "carrier.list", json_pack("{s:{s:I}}", "filter", "group_id", (json_int_t)grp));
    ck_assert_int_eq(jint(list, "total"), 1);
    ck_assert_int_eq(jint(json_array_get(json_object_get(list, "items"), 0), "id"), car);
    json_decref(list);
    list = ok(admin, "group.list", json_pack("{s:{s:I}}", "filter", "category_id", (json_int_t)cat));
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
}
END_TEST

START_TEST(test_trunk_groups_gather_interconnects)
{
    long long tg = made(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "London POPs")));
    long long sup = new_carrier("TG Supplier", "supplier");
    long long ic = made(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:I}", "carrier_id",
                                                                   (json_int_t)sup, "name", "TG-OUT", "direction",
                                                                   "egress", "currency", "USD", "trunk_group_id",
                                                                   (json_int_t)tg)));
    json_t *g = ok(admin, "trunk_group.get", json_pack("{s:I}", "id", (json_int_t)tg));
    ck_assert_int_eq(json_array_size(json_object_get(g, "interconnects")), 1);
    ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(g, "interconnects"), 0)), ic);
    json_decref(g);
    fails_on_field(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:i}", "carrier_id", (json_int_t)sup,
                                                           "name", "TG-OUT-2", "direction", "egress", "currency", "USD",
                                                           "trunk_group_id", 99999), "trunk_group_id");
}
END_TEST

START_TEST(test_credit_alerts_validate_and_customers_only_read_their_own)
{
    long long mine = new_carrier("Alert Mine", "customer");
    long long other = new_carrier("Alert Other", "customer");
    fails_on_field(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)mine, "type",
                                                           "low_balance", "threshold", "-1"), "threshold");
    fails_on_field(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)mine, "type",
                                                           "sometimes", "threshold", "1"), "type");
    fails_on_field(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s, s:[s,s]}", "carrier_id", (json_int_t)mine,
                                                           "type", "low_balance", "threshold", "1", "recipients",
                                                           "ok@example.com", "nope"), "recipients[1]");
    ck_assert_int_eq(fails(admin, "credit_alert.create", json_pack("{s:i, s:s, s:s}", "carrier_id", 777777, "type",
                                                                   "low_balance", "threshold", "1")), -32004);
    json_t *a = ok(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id",
                                                           (json_int_t)mine, "type", "low_balance", "threshold",
                                                           "50.5", "template", "low_balance_alert", "recipients",
                                                           "billing@mine.example"));
    ck_assert_str_eq(jstr(a, "threshold"), "50.500000");
    long long mine_alert = jint(a, "id");
    json_decref(a);
    long long other_alert = made(ok(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s}", "carrier_id",
                                                                            (json_int_t)other, "type",
                                                                            "high_balance", "threshold", "1000")));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "alert-cust", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)mine)));
    wsc *cu = login(&S, "alert-cust", "password123");
    json_decref(ok(cu, "credit_alert.get", json_pack("{s:I}", "id", (json_int_t)mine_alert)));
    ck_assert_int_eq(fails(cu, "credit_alert.get", json_pack("{s:I}", "id", (json_int_t)other_alert)), -32004);
    json_t *list = ok(cu, "credit_alert.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    ck_assert_int_eq(fails(cu, "credit_alert.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)mine_alert,
                                                                "version", 1, "threshold", "0")), -32003);
    /* Platform-wide catalogs are not for customers at all. */
    ck_assert_int_eq(fails(cu, "blacklist.list", NULL), -32003);
    ck_assert_int_eq(fails(cu, "category.list", NULL), -32003);
    wsc_close(cu);
}
END_TEST

START_TEST(test_blacklists_hold_numbers_and_prefixes_and_are_referenced)
{
    fails_on_field(admin, "blacklist.create", json_pack("{s:s, s:[s,s]}", "name", "Fraud", "numbers", "+447700900123",
                                                        "07700 900"), "numbers[1]");
    fails_on_field(admin, "blacklist.create", json_pack("{s:s, s:[s]}", "name", "Fraud", "prefixes", "+44"),
                   "prefixes[0]");
    json_t *b = ok(admin, "blacklist.create", json_pack("{s:s, s:[s], s:[s,s]}", "name", "Fraud", "numbers",
                                                        "+447700900123", "prefixes", "88213", "881"));
    long long id = jint(b, "id");
    ck_assert_int_eq(json_array_size(json_object_get(b, "prefixes")), 2);
    json_decref(b);
    long long sup = new_carrier("BL Supplier", "supplier");
    json_decref(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:{s:[I]}}", "carrier_id",
                                                           (json_int_t)sup, "name", "BL-OUT", "direction", "egress",
                                                           "currency", "USD", "egress_routing", "blacklist_ids",
                                                           (json_int_t)id)));
    fails_on_field(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:{s:[i]}}", "carrier_id",
                                                           (json_int_t)sup, "name", "BL-OUT-2", "direction", "egress",
                                                           "currency", "USD", "egress_routing", "blacklist_ids", 999),
                   "egress_routing.blacklist_ids[0]");
}
END_TEST

START_TEST(test_release_cause_mappings_are_unique_per_scope)
{
    json_decref(ok(admin, "release_cause.create", json_pack("{s:s, s:i, s:i}", "direction", "sip_to_q850", "sip_code",
                                                            486, "q850_cause", 17)));
    ck_assert_int_eq(fails(admin, "release_cause.create", json_pack("{s:s, s:i, s:i}", "direction", "sip_to_q850",
                                                                    "sip_code", 486, "q850_cause", 21)), -32009);
    fails_on_field(admin, "release_cause.create", json_pack("{s:s, s:i, s:i}", "direction", "sip_to_q850", "sip_code",
                                                            200, "q850_cause", 16), "sip_code");
    fails_on_field(admin, "release_cause.create", json_pack("{s:s, s:i, s:i}", "direction", "sip_to_q850", "sip_code",
                                                            486, "q850_cause", 128), "q850_cause");
    long long sup = new_carrier("RC Supplier", "supplier");
    long long ic = made(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s}", "carrier_id",
                                                                   (json_int_t)sup, "name", "RC-OUT", "direction",
                                                                   "egress", "currency", "USD")));
    /* The same code for one interconnect overrides the global mapping. */
    json_decref(ok(admin, "release_cause.create", json_pack("{s:I, s:s, s:i, s:i}", "interconnect_id", (json_int_t)ic,
                                                            "direction", "sip_to_q850", "sip_code", 486, "q850_cause",
                                                            21)));
    json_t *list = ok(admin, "release_cause.list", json_pack("{s:{s:b}}", "filter", "global", 1));
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
}
END_TEST

START_TEST(test_assignment_names_who_may_see_an_item)
{
    long long plan = atoll(harness_sql("INSERT INTO rating_plans (name, currency, direction)"
                                       " VALUES ('Gold offer', 'USD', 'customer') RETURNING id"));
    long long cat = made(ok(admin, "category.create", json_pack("{s:s}", "name", "Enterprise")));
    long long car = new_carrier("Assigned Co", "customer");
    json_t *a = ok(admin, "assignment.get", json_pack("{s:s, s:I}", "entity", "rating_plan", "entity_id",
                                                      (json_int_t)plan));
    ck_assert_int_eq(jint(a, "version"), 0);
    ck_assert_int_eq(json_array_size(json_object_get(a, "categories")), 0);
    json_decref(a);
    a = ok(admin, "assignment.set", json_pack("{s:s, s:I, s:i, s:[I], s:[I,I]}", "entity", "rating_plan", "entity_id",
                                              (json_int_t)plan, "version", 0, "categories", (json_int_t)cat,
                                              "carriers", (json_int_t)car, (json_int_t)car));
    ck_assert_int_eq(jint(a, "version"), 1);
    ck_assert_int_eq(json_array_size(json_object_get(a, "carriers")), 1); /* duplicates folded */
    json_decref(a);
    ck_assert_int_eq(fails(admin, "assignment.set", json_pack("{s:s, s:I, s:i, s:[]}", "entity", "rating_plan",
                                                              "entity_id", (json_int_t)plan, "version", 0, "groups")),
                     -32009);
    fails_on_field(admin, "assignment.set", json_pack("{s:s, s:I, s:[i]}", "entity", "rating_plan", "entity_id",
                                                      (json_int_t)plan, "categories", 5555), "categories[0]");
    fails_on_field(admin, "assignment.set", json_pack("{s:s, s:i}", "entity", "rating_plan", "entity_id", 98765),
                   "entity_id");
    fails_on_field(admin, "assignment.set", json_pack("{s:s, s:i}", "entity", "spaceship", "entity_id", 1), "entity");
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE action = 'assignment.set' AND entity_id = '%lld'",
             plan);
    ck_assert_str_eq(harness_sql(sql), "1");
}
END_TEST

START_TEST(test_soft_deleted_records_are_purged_after_retention)
{
    long long gone = new_carrier("Purge Me", "supplier");
    long long kept = new_carrier("Keep My User", "customer");
    long long ic = made(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s}", "carrier_id",
                                                                   (json_int_t)gone, "name", "PM-OUT", "direction",
                                                                   "egress", "currency", "USD")));
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "kept-user", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)kept)));
    json_decref(ok(admin, "carrier.delete", json_pack("{s:I, s:i, s:b}", "id", (json_int_t)gone, "version", 1,
                                                      "cascade", 1)));
    json_decref(ok(admin, "carrier.delete", json_pack("{s:I, s:i}", "id", (json_int_t)kept, "version", 1)));
    /* Within the retention period nothing goes. */
    json_t *r = ok(admin, "retention.purge", NULL);
    ck_assert_int_eq(jint(r, "retention_days"), 90);
    ck_assert_int_eq(jint(r, "total"), 0);
    json_decref(r);
    r = ok(admin, "retention.purge", json_pack("{s:i}", "retention_days", 0));
    ck_assert_int_eq(jint(json_object_get(r, "purged"), "interconnects"), 1);
    json_decref(r);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM carriers WHERE id IN (%lld, %lld)", gone, kept);
    ck_assert_str_eq(harness_sql(sql), "1"); /* the one a user still points at stays */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM interconnects WHERE id = %lld", ic);
    ck_assert_str_eq(harness_sql(sql), "0");
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE entity = 'carrier' AND entity_id = '%lld'", gone);
    ck_assert_str_eq(harness_sql(sql), "2"); /* its history stays */
    /* The command line runs the same purge. */
    const char *args[] = { "purge", "--database", harness_conninfo(), "--retention-days", "0", NULL };
    ck_assert_int_eq(didtrond_run(args, NULL), 0);
}
END_TEST

int main(void)
{
    setup();
    Suite *s = suite_create("catalog");
    TCase *tc = tcase_create("catalog");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_categories_and_groups);
    tcase_add_test(tc, test_trunk_groups_gather_interconnects);
    tcase_add_test(tc, test_credit_alerts_validate_and_customers_only_read_their_own);
    tcase_add_test(tc, test_blacklists_hold_numbers_and_prefixes_and_are_referenced);
    tcase_add_test(tc, test_release_cause_mappings_are_unique_per_scope);
    tcase_add_test(tc, test_assignment_names_who_may_see_an_item);
    tcase_add_test(tc, test_soft_deleted_records_are_purged_after_retention);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    server_stop(&S, 20000);
    harness_done();
    return failed;
}
