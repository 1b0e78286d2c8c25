/*
 * Integration: the carrier hierarchy — carriers, credit settings,
 * accounting, contacts, interconnects, services — against a real
 * PostgreSQL and a real didtrond.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "rpc/registry.h"
#include "suite.h"

static test_server S;
static wsc *admin;
static long long customer_plan, supplier_plan, routing_plan;

static json_t *carrier_params(const char *name, const char *type)
{
    return json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type, "timezone", "Europe/London",
                     "currencies", "USD");
}

static long long new_carrier(const char *name, const char *type)
{
    json_t *c = ok(admin, "carrier.create", carrier_params(name, type));
    long long id = jint(c, "id");
    json_decref(c);
    return id;
}

static long long new_interconnect(long long carrier, const char *name, const char *direction)
{
    json_t *ic = ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)carrier, "name", name,
                              "direction", direction, "currency", "USD", "signalling_ips", "192.0.2.10"));
    long long id = jint(ic, "id");
    json_decref(ic);
    return id;
}

static long long new_service(long long ic, const char *name, const char *tech_prefix)
{
    json_t *p = json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ic, "name", name,
                          "rating_plan_id", (json_int_t)customer_plan, "routing_plan_id", (json_int_t)routing_plan);
    if (tech_prefix)
        json_object_set_new(p, "tech_prefix", json_string(tech_prefix));
    json_t *s = ok(admin, "service.create", p);
    long long id = jint(s, "id");
    json_decref(s);
    return id;
}

static long long audit_count(const char *entity, long long id)
{
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE entity = '%s' AND entity_id = '%lld'", entity, id);
    return atoll(harness_sql(sql));
}

static void setup(void)
{
    admin = start_with_root(&S, "didtron_carriers", "carriers", NULL);
    customer_plan = atoll(harness_sql("INSERT INTO rating_plans (name, currency, direction)"
                                      " VALUES ('Retail USD', 'USD', 'customer') RETURNING id"));
    supplier_plan = atoll(harness_sql("INSERT INTO rating_plans (name, currency, direction)"
                                      " VALUES ('Supplier A', 'USD', 'supplier') RETURNING id"));
    routing_plan = atoll(harness_sql("INSERT INTO routing_plans (name, mode) VALUES ('LCR', 'lcr') RETURNING id"));
}

static void teardown(void)
{
    server_stop(&S, 20000);
    harness_done();
}

START_TEST(test_carrier_create_names_every_bad_field)
{
    json_t *r = call(admin, "carrier.create",
                     json_pack("{s:s, s:s, s:s, s:[s,s], s:i, s:s}", "name", "", "type", "reseller", "timezone",
                               "Mars/Olympus", "currencies", "USD", "usd", "capacity", -1, "colour", "red"));
    ck_assert_int_eq(wsc_error_code(r), -32602);
    json_decref(r);
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD"), "name");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "X", "type", "reseller",
                                                      "timezone", "UTC", "currencies", "USD"), "type");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "X", "type", "customer",
                                                      "timezone", "Mars/Olympus", "currencies", "USD"), "timezone");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s,s]}", "name", "X", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD", "usd"), "currencies[1]");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s,s,s,s]}", "name", "X", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD", "EUR", "GBP", "JPY"),
                   "currencies");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s,s]}", "name", "X", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD", "USD"), "currencies");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s], s:i}", "name", "X", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD", "capacity", -1),
                   "capacity");
    fails_on_field(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s], s:i}", "name", "X", "type", "customer",
                                                      "timezone", "UTC", "currencies", "USD", "category_id", 999),
                   "category_id");
    ck_assert_str_eq(harness_sql("SELECT count(*) FROM carriers WHERE name = 'X'"), "0");
}
END_TEST

START_TEST(test_carrier_names_are_unique_among_live_carriers)
{
    long long id = new_carrier("Unique Telecom", "customer");
    ck_assert_int_eq(fails(admin, "carrier.create", carrier_params("UNIQUE telecom", "supplier")), -32009);
    json_decref(ok(admin, "carrier.delete", json_pack("{s:I, s:i}", "id", (json_int_t)id, "version", 1)));
    long long again = new_carrier("Unique Telecom", "supplier"); /* the name is free once deleted */
    ck_assert_int_ne(again, id);
    ck_assert_int_eq(fails(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id)), -32004);
}
END_TEST

START_TEST(test_two_sessions_editing_one_carrier_conflict_on_version)
{
    long long id = new_carrier("Shared Edit", "customer");
    wsc *other = login(&S, "root", "rootpass123");
    json_t *a = ok(admin, "carrier.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                      "account_manager", "Alice"));
    ck_assert_int_eq(jint(a, "version"), 2);
    json_decref(a);
    json_t *r = call(other, "carrier.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                        "account_manager", "Bob"));
    ck_assert_int_eq(wsc_error_code(r), -32009);
    ck_assert_int_eq(jint(json_object_get(json_object_get(r, "error"), "data"), "current_version"), 2);
    json_decref(r);
    json_t *now = ok(other, "carrier.get", json_pack("{s:I}", "id", (json_int_t)id));
    ck_assert_str_eq(jstr(now, "account_manager"), "Alice");
    json_decref(now);
    wsc_close(other);
}
END_TEST

START_TEST(test_credit_settings_are_validated_and_returned_with_figures)
{
    long long cust = new_carrier("Credit Cust", "customer");
    long long bil = new_carrier("Credit Bilateral", "bilateral");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "customer", "credit_limit", "-5"),
                   "customer.credit_limit");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "customer", "credit_limit", "1.1234567"),
                   "customer.credit_limit");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:f}}", "id", (json_int_t)cust, "version", 1, "customer", "credit_limit", 5.0),
                   "customer.credit_limit");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "customer", "bilateral_limit", "100"),
                   "customer.bilateral_limit");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "customer", "spend_mode_24h", "fixed"),
                   "customer.spend_reset_time");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "customer",
                             "bilateral_limit_breach", "shrug"), "customer.bilateral_limit_breach");
    fails_on_field(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)cust, "version", 1, "supplier", "credit_type", "free"),
                   "supplier.credit_type");
    json_t *c = ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:i, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}, s:{s:s}}", "id", (json_int_t)bil,
                             "version", 1, "customer", "credit_type", "postpaid", "credit_limit", "2500.5",
                             "bilateral_limit", "3000", "bilateral_limit_breach", "block", "spend_limit_24h", "100.25",
                             "spend_limit_24h_breach", "alert", "spend_mode_24h", "fixed", "spend_reset_time", "06:30",
                             "supplier", "credit_type", "prepaid"));
    json_t *cc = json_object_get(json_object_get(c, "credit"), "customer");
    ck_assert_str_eq(jstr(cc, "credit_limit"), "2500.500000");
    ck_assert_str_eq(jstr(cc, "bilateral_limit"), "3000.000000");
    ck_assert_str_eq(jstr(cc, "spend_reset_time"), "06:30");
    ck_assert_str_eq(jstr(json_object_get(json_object_get(c, "credit"), "supplier"), "credit_type"), "prepaid");
    ck_assert_int_eq(jint(c, "version"), 2); /* one change, one version step */
    json_t *fig = json_object_get(c, "balances");
    ck_assert_str_eq(jstr(json_object_get(fig, "customer"), "balance"), "0.000000");
    ck_assert_str_eq(jstr(json_object_get(fig, "customer"), "remaining"), "2500.500000");
    ck_assert_str_eq(jstr(json_object_get(fig, "bilateral"), "limit"), "3000.000000");
    ck_assert_str_eq(jstr(json_object_get(fig, "spend_24h"), "customer"), "0.000000");
    json_decref(c);
    ck_assert_str_eq(harness_sql("SELECT credit_limit::text FROM carriers WHERE name = 'Credit Bilateral'"), "2500.500000");
}
END_TEST

START_TEST(test_interconnect_direction_must_fit_the_carrier_type)
{
    long long cust = new_carrier("Dir Customer", "customer");
    long long supp = new_carrier("Dir Supplier", "supplier");
    long long bil = new_carrier("Dir Bilateral", "bilateral");
    json_t *p = json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)supp, "name", "S-IN", "direction",
                          "ingress", "currency", "USD");
    ck_assert_int_eq(fails(admin, "interconnect.create", p), -32009);
    p = json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)cust, "name", "C-OUT", "direction", "egress",
                  "currency", "USD");
    ck_assert_int_eq(fails(admin, "interconnect.create", p), -32009);
    new_interconnect(cust, "C-IN", "ingress");
    new_interconnect(supp, "S-OUT", "egress");
    new_interconnect(bil, "B-IN", "ingress");
    new_interconnect(bil, "B-OUT", "egress");
    /* A carrier with ingress interconnects cannot become a supplier. */
    ck_assert_int_eq(fails(admin, "carrier.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)cust, "version", 1,
                                                              "type", "supplier")), -32009);
    ck_assert_int_eq(fails(admin, "interconnect.create", json_pack("{s:i, s:s, s:s, s:s}", "carrier_id", 987654,
                                                                   "name", "X", "direction", "ingress", "currency",
                                                                   "USD")), -32004);
}
END_TEST

START_TEST(test_interconnect_tabs_are_validated_field_by_field)
{
    long long bil = new_carrier("Tabs Bilateral", "bilateral");
    json_t *base = json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)bil, "name", "T-IN", "currency", "USD");
    json_t *p, *x;
#define TRY(direction, extra, field)                                   \
    p = json_deep_copy(base);                                          \
    x = (extra);                                                       \
    json_object_set_new(p, "direction", json_string(direction));       \
    json_object_update(p, x);                                          \
    json_decref(x);                                                    \
    fails_on_field(admin, "interconnect.create", p, field)
    TRY("ingress", json_pack("{s:[s,s]}", "signalling_ips", "192.0.2.1", "300.1.1.1"), "signalling_ips[1]");
    TRY("ingress", json_pack("{s:[s]}", "signalling_ips", "10.0.0.1/8"), "signalling_ips[0]");
    TRY("ingress", json_pack("{s:{s:i}}", "media", "ptime", 5), "media.ptime");
    TRY("ingress", json_pack("{s:{s:[s]}}", "media", "codecs", "MP3"), "media.codecs[0]");
    TRY("ingress", json_pack("{s:[s]}", "codecs", "MP3"), "codecs[0]");
    TRY("ingress", json_pack("{s:{s:s}}", "signalling", "rel100", "sometimes"), "signalling.rel100");
    TRY("ingress", json_pack("{s:{s:b}}", "monitoring", "options_ping", 1), "monitoring");
    TRY("ingress", json_pack("{s:I}", "supplier_rating_plan_id", (json_int_t)supplier_plan), "supplier_rating_plan_id");
    TRY("egress", json_pack("{s:{s:b}}", "ingress_validation", "ip_validation", 1), "ingress_validation");
    TRY("egress", json_pack("{s:{s:s}}", "egress_routing", "transport", "sctp"), "egress_routing.transport");
    TRY("egress", json_pack("{s:{s:[s]}}", "egress_routing", "send_to_ips", "nope"), "egress_routing.send_to_ips[0]");
    TRY("egress", json_pack("{s:{s:i}}", "monitoring", "options_interval", 1), "monitoring.options_interval");
    TRY("egress", json_pack("{s:I}", "supplier_rating_plan_id", (json_int_t)customer_plan), "supplier_rating_plan_id");
    TRY("ingress", json_pack("{s:s}", "tech_prefix", "12a"), "tech_prefix");
    TRY("ingress", json_pack("{s:{s:[{s:i}]}}", "ingress_translation", "number_translation", "strip", 99),
        "ingress_translation.number_translation[0].strip");
    TRY("ingress", json_pack("{s:s}", "currency", "EUR"), "currency"); /* not one of the carrier's */
#undef TRY
    json_decref(base);
    json_t *ic = ok(admin, "interconnect.create",
                    json_pack("{s:I, s:s, s:s, s:s, s:[s], s:{s:b}, s:{s:s}, s:{s:i, s:s}, s:I}", "carrier_id",
                              (json_int_t)bil, "name", "T-OUT", "direction", "egress", "currency", "USD",
                              "codecs", "G729", "monitoring", "options_ping", 1, "egress_routing", "transport", "tls",
                              "media", "ptime", 20, "dtmf_mode", "rfc2833", "supplier_rating_plan_id",
                              (json_int_t)supplier_plan));
    ck_assert_str_eq(jstr(json_object_get(ic, "egress_routing"), "transport"), "tls");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(ic, "codecs"), 0)), "G729");
    long long id = jint(ic, "id");
    json_decref(ic);
    /* An update merges the keys it sends into each tab. */
    ic = ok(admin, "interconnect.update", json_pack("{s:I, s:i, s:{s:b}}", "id", (json_int_t)id, "version", 1,
                                                    "media", "vad", 1));
    json_t *media = json_object_get(ic, "media");
    ck_assert_int_eq(jint(media, "ptime"), 20);
    ck_assert(json_is_true(json_object_get(media, "vad")));
    ck_assert_str_eq(jstr(media, "dtmf_mode"), "rfc2833");
    json_decref(ic);
}
END_TEST

START_TEST(test_services_live_only_on_ingress_with_unique_tech_prefixes)
{
    long long bil = new_carrier("Svc Bilateral", "bilateral");
    long long in = new_interconnect(bil, "SV-IN", "ingress");
    long long out = new_interconnect(bil, "SV-OUT", "egress");
    ck_assert_int_eq(fails(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)out,
                                                              "name", "Wrong side", "rating_plan_id",
                                                              (json_int_t)customer_plan, "routing_plan_id",
                                                              (json_int_t)routing_plan)), -32009);
    long long s1 = new_service(in, "Premium", "100#");
    json_t *svc = ok(admin, "service.get", json_pack("{s:I}", "id", (json_int_t)s1));
    ck_assert_str_eq(jstr(svc, "currency"), "USD"); /* inherited from the interconnect */
    ck_assert_int_eq(jint(svc, "carrier_id"), bil);
    json_decref(svc);
    ck_assert_int_eq(fails(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I, s:s}", "interconnect_id",
                                                              (json_int_t)in, "name", "Dup", "rating_plan_id",
                                                              (json_int_t)customer_plan, "routing_plan_id",
                                                              (json_int_t)routing_plan, "tech_prefix", "100#")),
                     -32009);
    new_service(in, "Standard", "200#");
    fails_on_field(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)in,
                                                      "name", "Bad plan", "rating_plan_id", (json_int_t)supplier_plan,
                                                      "routing_plan_id", (json_int_t)routing_plan), "rating_plan_id");
    fails_on_field(admin, "service.create", json_pack("{s:I, s:s, s:I}", "interconnect_id", (json_int_t)in,
                                                      "name", "No routing", "rating_plan_id", (json_int_t)customer_plan),
                   "routing_plan_id");
    fails_on_field(admin, "service.create", json_pack("{s:I, s:s, s:I, s:s, s:I}", "interconnect_id", (json_int_t)in,
                                                      "name", "To trunk", "rating_plan_id", (json_int_t)customer_plan,
                                                      "routing_method", "interconnect", "route_interconnect_id",
                                                      (json_int_t)in), "route_interconnect_id");
    fails_on_field(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I, s:{s:[s]}}", "interconnect_id",
                                                      (json_int_t)in, "name", "Bad match", "rating_plan_id",
                                                      (json_int_t)customer_plan, "routing_plan_id",
                                                      (json_int_t)routing_plan, "matching", "destination", "44x"),
                   "matching.destination[0]");
    json_t *list = ok(admin, "service.list", json_pack("{s:{s:I}, s:s}", "filter", "interconnect_id", (json_int_t)in,
                                                       "sort", "name"));
    ck_assert_int_eq(jint(list, "total"), 2);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(list, "items"), 0), "name"), "Premium");
    json_decref(list);
}
END_TEST

START_TEST(test_deleting_a_parent_with_live_children_needs_cascade)
{
    long long bil = new_carrier("Cascade Co", "bilateral");
    long long in = new_interconnect(bil, "CC-IN", "ingress");
    long long svc = new_service(in, "Cascade svc", NULL);
    ck_assert_int_eq(fails(admin, "interconnect.delete", json_pack("{s:I, s:i}", "id", (json_int_t)in, "version", 1)),
                     -32009);
    ck_assert_int_eq(fails(admin, "carrier.delete", json_pack("{s:I, s:i}", "id", (json_int_t)bil, "version", 1)),
                     -32009);
    ck_assert_int_eq(fails(admin, "carrier.delete", json_pack("{s:I, s:i, s:b}", "id", (json_int_t)bil, "version", 7,
                                                              "cascade", 1)), -32009); /* stale version */
    json_decref(ok(admin, "carrier.delete", json_pack("{s:I, s:i, s:b}", "id", (json_int_t)bil, "version", 1,
                                                      "cascade", 1)));
    ck_assert_int_eq(fails(admin, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)in)), -32004);
    ck_assert_int_eq(fails(admin, "service.get", json_pack("{s:I}", "id", (json_int_t)svc)), -32004);
    /* Soft: the rows stay, marked deleted, and each delete was audited. */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM services WHERE id = %lld AND deleted_at IS NOT NULL", svc);
    ck_assert_str_eq(harness_sql(sql), "1");
    ck_assert_int_eq(audit_count("service", svc), 2);
    ck_assert_int_eq(audit_count("interconnect", in), 2);
    ck_assert_int_eq(audit_count("carrier", bil), 2);
}
END_TEST

START_TEST(test_customer_user_sees_and_edits_only_its_own_carrier)
{
    long long mine = new_carrier("Mine Ltd", "customer");
    long long theirs = new_carrier("Theirs Ltd", "customer");
    long long my_ic = new_interconnect(mine, "MINE-IN", "ingress");
    long long their_ic = new_interconnect(theirs, "THEIRS-IN", "ingress");
    long long my_svc = new_service(my_ic, "Mine svc", NULL);
    long long their_svc = new_service(their_ic, "Theirs svc", NULL);
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "mine-user", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)mine)));
    wsc *cu = login(&S, "mine-user", "password123");
    json_decref(ok(cu, "carrier.get", json_pack("{s:I}", "id", (json_int_t)mine)));
    ck_assert_int_eq(fails(cu, "carrier.get", json_pack("{s:I}", "id", (json_int_t)theirs)), -32004);
    json_t *list = ok(cu, "carrier.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    json_decref(ok(cu, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)my_ic)));
    ck_assert_int_eq(fails(cu, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)their_ic)), -32004);
    list = ok(cu, "interconnect.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    json_decref(ok(cu, "service.get", json_pack("{s:I}", "id", (json_int_t)my_svc)));
    ck_assert_int_eq(fails(cu, "service.get", json_pack("{s:I}", "id", (json_int_t)their_svc)), -32004);
    list = ok(cu, "service.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    /* Read-only on the hierarchy. */
    ck_assert_int_eq(fails(cu, "carrier.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)mine, "version", 1,
                                                           "name", "Hacked")), -32003);
    ck_assert_int_eq(fails(cu, "carrier.credit.update", json_pack("{s:I, s:i}", "id", (json_int_t)mine, "version", 1)),
                     -32003);
    ck_assert_int_eq(fails(cu, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)mine,
                                                                "name", "X", "direction", "ingress", "currency", "USD")),
                     -32003);
    ck_assert_int_eq(fails(cu, "service.delete", json_pack("{s:I, s:i}", "id", (json_int_t)my_svc, "version", 1)),
                     -32003);
    /* Contacts and accounting of its own carrier: yes; of another: not found. */
    json_t *contact = ok(cu, "contact.create", json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)mine,
                                                         "name", "NOC desk", "email", "noc@mine.example", "phone",
                                                         "+442071234567"));
    long long contact_id = jint(contact, "id");
    json_decref(contact);
    ck_assert_int_eq(fails(cu, "contact.create", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)theirs, "name",
                                                           "Spy")), -32004);
    json_t *their_contact = ok(admin, "contact.create", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)theirs,
                                                                  "name", "Their desk"));
    ck_assert_int_eq(fails(cu, "contact.update", json_pack("{s:I, s:i, s:s}", "id",
                                                           (json_int_t)jint(their_contact, "id"), "version", 1,
                                                           "name", "Mine now")), -32004);
    json_decref(their_contact);
    list = ok(cu, "contact.list", NULL);
    ck_assert_int_eq(jint(list, "total"), 1);
    json_decref(list);
    json_decref(ok(cu, "contact.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)contact_id, "version", 1,
                                                   "role", "Billing")));
    json_t *acc = ok(cu, "carrier.accounting.update", json_pack("{s:I, s:i, s:s, s:s}", "carrier_id", (json_int_t)mine,
                                                                "version", 1, "tax_code", "GB123456789", "bill_to",
                                                                "1 Main St, London"));
    ck_assert_str_eq(jstr(acc, "tax_code"), "GB123456789");
    json_decref(acc);
    ck_assert_int_eq(fails(cu, "carrier.accounting.get", json_pack("{s:I}", "carrier_id", (json_int_t)theirs)), -32004);
    ck_assert_int_eq(fails(cu, "carrier.accounting.update", json_pack("{s:I, s:i, s:s}", "carrier_id",
                                                                      (json_int_t)theirs, "version", 1, "tax_code",
                                                                      "X")), -32004);
    wsc_close(cu);
}
END_TEST

START_TEST(test_customer_is_refused_every_method_not_meant_for_customers)
{
    long long own = new_carrier("Scope Probe Ltd", "customer");
    json_decref(ok(admin, "user.create", json_pack("{s:s, s:s, s:s, s:I}", "username", "probe-user", "password",
                                                   "password123", "role", "customer", "carrier_id", (json_int_t)own)));
    wsc *cu = login(&S, "probe-user", "password123");
    ck_assert_int_eq(registry_init(), 0);
    int refused = 0;
    for (int i = 0; i < registry_count(); i++) {
        const rpc_method *m = registry_at(i);
        if (!m->roles || (m->roles & ROLE_CUSTOMER))
            continue;
        int code = fails(cu, m->name, json_pack("{s:i}", "id", 1));
        ck_assert_msg(code == -32003, "%s answered %d to a customer", m->name, code);
        refused++;
    }
    ck_assert_int_gt(refused, 20);
    wsc_close(cu);
}
END_TEST

START_TEST(test_contacts_validate_email_and_phone)
{
    long long id = new_carrier("Contact Co", "supplier");
    fails_on_field(admin, "contact.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "name", "A",
                                                      "email", "not-an-email"), "email");
    fails_on_field(admin, "contact.create", json_pack("{s:I, s:s, s:s}", "carrier_id", (json_int_t)id, "name", "A",
                                                      "phone", "call me"), "phone");
    fails_on_field(admin, "contact.create", json_pack("{s:I}", "carrier_id", (json_int_t)id), "name");
}
END_TEST

START_TEST(test_lists_filter_and_sort_carriers)
{
    new_carrier("Zeta Wholesale", "supplier");
    new_carrier("Alpha Wholesale", "supplier");
    json_t *list = ok(admin, "carrier.list", json_pack("{s:{s:s, s:s}, s:s}", "filter", "type", "supplier", "q",
                                                       "wholesale", "sort", "-name"));
    ck_assert_int_eq(jint(list, "total"), 2);
    ck_assert_str_eq(jstr(json_array_get(json_object_get(list, "items"), 0), "name"), "Zeta Wholesale");
    json_decref(list);
    fails_on_field(admin, "carrier.list", json_pack("{s:{s:s}}", "filter", "type", "reseller"), "filter.type");
    fails_on_field(admin, "carrier.list", json_pack("{s:s}", "sort", "secret"), "sort");
}
END_TEST

START_TEST(test_every_mutation_is_audited_with_before_and_after)
{
    long long id = new_carrier("Audit Co", "bilateral");
    json_decref(ok(admin, "carrier.update", json_pack("{s:I, s:i, s:s}", "id", (json_int_t)id, "version", 1,
                                                      "status", "suspended")));
    json_decref(ok(admin, "carrier.credit.update", json_pack("{s:I, s:i, s:{s:s}}", "id", (json_int_t)id, "version", 2,
                                                             "customer", "credit_limit", "10")));
    json_decref(ok(admin, "carrier.accounting.update", json_pack("{s:I, s:i, s:s}", "carrier_id", (json_int_t)id,
                                                                 "version", 3, "tax_code", "T1")));
    ck_assert_int_eq(audit_count("carrier", id), 4);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT (before->>'status') || '>' || (after->>'status') FROM audit_log"
                              " WHERE entity = 'carrier' AND entity_id = '%lld' AND action = 'update'", id);
    ck_assert_str_eq(harness_sql(sql), "active>suspended");
}
END_TEST

int main(void)
{
    setup();
    Suite *s = suite_create("carriers");
    TCase *tc = tcase_create("carriers");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_carrier_create_names_every_bad_field);
    tcase_add_test(tc, test_carrier_names_are_unique_among_live_carriers);
    tcase_add_test(tc, test_two_sessions_editing_one_carrier_conflict_on_version);
    tcase_add_test(tc, test_credit_settings_are_validated_and_returned_with_figures);
    tcase_add_test(tc, test_interconnect_direction_must_fit_the_carrier_type);
    tcase_add_test(tc, test_interconnect_tabs_are_validated_field_by_field);
    tcase_add_test(tc, test_services_live_only_on_ingress_with_unique_tech_prefixes);
    tcase_add_test(tc, test_deleting_a_parent_with_live_children_needs_cascade);
    tcase_add_test(tc, test_customer_user_sees_and_edits_only_its_own_carrier);
    tcase_add_test(tc, test_customer_is_refused_every_method_not_meant_for_customers);
    tcase_add_test(tc, test_contacts_validate_email_and_phone);
    tcase_add_test(tc, test_lists_filter_and_sort_carriers);
    tcase_add_test(tc, test_every_mutation_is_audited_with_before_and_after);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    teardown();
    return failed;
}
