/*
 * Integration: routing plans, their entries and route.lookup (issue 7)
 * against a real PostgreSQL and a real didtrond.
 *
 * The network: customer A (USD, postpaid, ingress "A-IN" on 192.0.2.10 with
 * one service on the "Retail" plan and the "Main" routing plan); suppliers
 * S1..S4 (USD egress interconnects, one deck each), SE (EUR), SN (an egress
 * without a rating plan) and S5 (a deck without the UK). Hand-worked rates
 * per minute, the customer's first:
 *
 *              customer   S1      S2      S3      S4
 *   44         0.010      0.008   0.006   0.007   0.0065
 *   4420       0.012      0.009   0.011   0.013   0.0095
 *   447        0.10       0.05    0.06    0.04    0.045
 *
 * Priorities in the 447 entry: S1 1, S2 3, S3 2, S4 0; weights 10/20/30/40.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

static test_server S, B;   /* B: a second instance on the same database */
static wsc *admin;
static long long retail_plan, main_plan, cust_a, ic_a, svc_a;
static long long eg[8];        /* 1..4 = S1..S4, 5 = S5, 6 = SE, 7 = SN */
static const char *const eg_names[] = { "?", "S1", "S2", "S3", "S4", "S5", "SE", "SN" };

static const char retail_csv[] =
    "prefix,destination,rate\n44,United Kingdom,0.010\n4420,London,0.012\n447,United Kingdom Mobile,0.10\n";
static const char *const supplier_csv[] = {
    NULL,
    "prefix,destination,rate\n44,UK,0.008\n4420,London,0.009\n447,UK Mobile,0.05\n",
    "prefix,destination,rate\n44,UK,0.006\n4420,London,0.011\n447,UK Mobile,0.06\n",
    "prefix,destination,rate\n44,UK,0.007\n4420,London,0.013\n447,UK Mobile,0.04\n",
    "prefix,destination,rate\n44,UK,0.0065\n4420,London,0.0095\n447,UK Mobile,0.045\n",
    "prefix,destination,rate\n33,France,0.01\n",
    "prefix,destination,rate\n44,UK,0.001\n",
};

/* ---- helpers ---- */

static long long new_carrier(const char *name, const char *type, const char *currency)
{
    return id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", name, "type", type,
                                                       "timezone", "UTC", "currencies", currency)));
}

static long long new_rating_plan(const char *name, const char *currency, const char *direction, const char *csv)
{
    long long id = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s, s:s}", "name", name, "currency",
                                                                  currency, "direction", direction, "rounding",
                                                                  "half_up")));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id,
                                                          "csv", csv, "mode", "replace", "effective_from",
                                                          "2026-01-01T00:00:00Z")));
    return id;
}

static long long new_egress(long long carrier, const char *name, const char *currency, long long plan)
{
    json_t *p = json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)carrier, "name", name, "direction",
                          "egress", "currency", currency, "signalling_ips", "192.0.2.200");
    if (plan)
        json_object_set_new(p, "supplier_rating_plan_id", json_integer(plan));
    return id_of(ok(admin, "interconnect.create", p));
}

/* entity.update with the current version; fields is stolen. */
static void update(const char *entity, long long id, json_t *fields)
{
    char m[64];
    snprintf(m, sizeof m, "%s.get", entity);
    json_t *cur = ok(admin, m, json_pack("{s:I}", "id", (json_int_t)id));
    json_object_set_new(fields, "id", json_integer(id));
    json_object_set_new(fields, "version", json_integer(jint(cur, "version")));
    json_decref(cur);
    snprintf(m, sizeof m, "%s.update", entity);
    json_decref(ok(admin, m, fields));
}

static void postpaid(long long carrier, const char *limit)
{
    json_t *c = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)carrier));
    long long version = jint(c, "version");
    json_decref(c);
    json_decref(ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:I, s:{s:s, s:s}}", "id", (json_int_t)carrier, "version", (json_int_t)version,
                             "customer", "credit_type", "postpaid", "credit_limit", limit)));
}

/* One route: [interconnect, priority, weight]. */
static json_t *route(long long ic, int priority, int weight)
{
    return json_pack("{s:I, s:i, s:i}", "interconnect_id", (json_int_t)ic, "priority", priority, "weight", weight);
}

static void entry_set(long long plan, const char *prefix, json_t *routes)
{
    json_decref(ok(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:o}", "routing_plan_id", (json_int_t)plan,
                                                              "prefix", prefix, "routes", routes)));
}

static void set_mode(const char *mode, const char *delta)
{
    update("routing_plan", main_plan, json_pack("{s:s, s:s}", "mode", mode, "lcr_delta", delta));
}

static json_t *lookup_seed(long long svc, const char *callee, long long seed)
{
    json_t *p = json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller", "+12125550100", "callee", callee);
    if (seed >= 0)
        json_object_set_new(p, "seed", json_integer(seed));
    return ok(admin, "route.lookup", p);
}

static json_t *lookup(const char *callee)
{
    return lookup_seed(svc_a, callee, -1);
}

static const char *name_of(long long ic)
{
    for (int i = 1; i < 8; i++)
        if (eg[i] == ic)
            return eg_names[i];
    return "other";
}

/* "S3,S1,S4" — the routes in order. */
static const char *order(json_t *r)
{
    static char buf[256];
    buf[0] = '\0';
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "routes"), i, x) {
        if (i)
            strcat(buf, ",");
        strcat(buf, name_of(jint(x, "interconnect_id")));
    }
    return buf;
}

/* The reason ic was rejected, "" when it was not. */
static const char *rejected(json_t *r, long long ic)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "rejected"), i, x)
        if (jint(x, "interconnect_id") == ic)
            return jstr(x, "reason");
    return "";
}

static json_t *route_of(json_t *r, long long ic)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "routes"), i, x)
        if (jint(x, "interconnect_id") == ic)
            return x;
    return NULL;
}

/* The standard 447 entry: S1 p1 w10, S2 p3 w20, S3 p2 w30, S4 p0 w40. */
static void mobile_entry(void)
{
    entry_set(main_plan, "447", json_pack("[o,o,o,o]", route(eg[1], 1, 10), route(eg[2], 3, 20), route(eg[3], 2, 30),
                                          route(eg[4], 0, 40)));
}

/* ---- setup ---- */

static void network_setup(void)
{
    retail_plan = new_rating_plan("Retail", "USD", "customer", retail_csv);
    main_plan = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "Main", "mode", "lcr")));
    cust_a = new_carrier("Customer A", "customer", "USD");
    postpaid(cust_a, "1000");
    ic_a = id_of(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id",
                                                            (json_int_t)cust_a, "name", "A-IN", "direction", "ingress",
                                                            "currency", "USD", "signalling_ips", "192.0.2.10")));
    svc_a = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ic_a,
                                                        "name", "Voice", "rating_plan_id", (json_int_t)retail_plan,
                                                        "routing_plan_id", (json_int_t)main_plan)));
    for (int i = 1; i <= 7; i++) {
        const char *cur = i == 6 ? "EUR" : "USD";
        char name[32];
        snprintf(name, sizeof name, "Supplier %s", eg_names[i]);
        long long carrier = new_carrier(name, "supplier", cur);
        long long plan = i <= 6 ? new_rating_plan(name, cur, "supplier", supplier_csv[i]) : 0;
        snprintf(name, sizeof name, "%s-OUT", eg_names[i]);
        eg[i] = new_egress(carrier, name, cur, plan);
    }
    entry_set(main_plan, "4420", json_pack("[o,o,o,o]", route(eg[1], 0, 1), route(eg[2], 0, 1), route(eg[3], 0, 1),
                                           route(eg[4], 0, 1)));
    entry_set(main_plan, "44", json_pack("[o,o]", route(eg[2], 0, 1), route(eg[3], 0, 1)));
    mobile_entry();
}

/* ---- modes ---- */

START_TEST(test_lcr_puts_the_cheapest_supplier_first_and_drops_a_losing_one)
{
    json_t *r = lookup("+442071234567");
    ck_assert_str_eq(jstr(r, "mode"), "lcr");
    ck_assert_str_eq(jstr(r, "prefix"), "4420");
    ck_assert_str_eq(order(r), "S1,S4,S2");
    json_t *cust = json_object_get(r, "customer");
    ck_assert_str_eq(jstr(cust, "rate"), "0.012000");
    ck_assert_str_eq(jstr(cust, "currency"), "USD");
    ck_assert_str_eq(jstr(cust, "prefix"), "4420");
    ck_assert_str_eq(jstr(cust, "destination"), "London");
    ck_assert_int_eq(jint(cust, "carrier_id"), cust_a);
    json_t *s1 = route_of(r, eg[1]);
    ck_assert_str_eq(jstr(s1, "rate"), "0.009000");
    ck_assert_str_eq(jstr(s1, "margin"), "0.003000");
    ck_assert_str_eq(jstr(route_of(r, eg[4]), "margin"), "0.002500");
    ck_assert_str_eq(jstr(route_of(r, eg[2]), "margin"), "0.001000");
    ck_assert_str_eq(rejected(r, eg[3]), "negative_margin");
    ck_assert_int_eq(jint(r, "service_id"), svc_a);
    json_decref(r);
}
END_TEST

START_TEST(test_the_longest_prefix_entry_gives_the_candidates)
{
    json_t *r = lookup("441234567890");
    ck_assert_str_eq(jstr(r, "prefix"), "44");
    ck_assert_str_eq(order(r), "S2,S3");
    json_decref(r);
    r = lookup("447700900001");
    ck_assert_str_eq(jstr(r, "prefix"), "447");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
}
END_TEST

START_TEST(test_priority_mode_keeps_the_fixed_order_higher_first)
{
    set_mode("priority", "0");
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(jstr(r, "mode"), "priority");
    ck_assert_str_eq(order(r), "S2,S3,S1,S4");
    json_decref(r);
    set_mode("lcr", "0");
}
END_TEST

START_TEST(test_lcr_delta_makes_close_rates_equal_and_priority_decides)
{
    /* 0.04 (S3) .. 0.05 (S1) are within 0.01: one band by priority S3 2, S1 1, S4 0; S2 0.06 after. */
    set_mode("lcr", "0.01");
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S1,S4,S2");
    json_decref(r);
    /* 0.005: S3, S4 tie (priority 2 before 0); S1 and S2 alone. */
    set_mode("lcr", "0.005");
    r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
    set_mode("lcr", "0");
}
END_TEST

START_TEST(test_quality_without_figures_scores_everyone_alike_and_orders_by_rate)
{
    set_mode("quality", "0");
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(jstr(r, "mode"), "quality");
    ck_assert_ptr_nonnull(strstr(jstr(r, "mode_note"), "scores from the last 15 minutes"));
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_t *q = json_object_get(route_of(r, eg[3]), "quality");
    ck_assert_int_eq(jint(q, "score"), 50);
    ck_assert_int_eq(jint(q, "attempts"), 0);
    json_decref(r);
    set_mode("lcr", "0");
}
END_TEST

START_TEST(test_weight_order_is_random_but_reproducible_with_a_seed)
{
    set_mode("weight", "0");
    json_t *a = lookup_seed(svc_a, "447700900001", 42);
    char first[256];
    snprintf(first, sizeof first, "%s", order(a));
    ck_assert_int_eq(jint(a, "seed"), 42);
    ck_assert_int_eq(json_array_size(json_object_get(a, "routes")), 4);
    json_decref(a);
    for (int i = 0; i < 3; i++) {
        json_t *b = lookup_seed(svc_a, "447700900001", 42);
        ck_assert_str_eq(order(b), first);
        json_decref(b);
    }
    /* Other seeds give other orders; S4 (weight 40 of 100) leads most often. */
    int differ = 0, s4_first = 0, s1_first = 0;
    for (int seed = 1; seed <= 100; seed++) {
        json_t *b = lookup_seed(svc_a, "447700900001", seed);
        differ += strcmp(order(b), first) != 0;
        s4_first += !strncmp(order(b), "S4", 2);
        s1_first += !strncmp(order(b), "S1", 2);
        json_decref(b);
    }
    ck_assert_int_gt(differ, 0);
    ck_assert_int_gt(s4_first, s1_first);
    set_mode("lcr", "0");
}
END_TEST

/* ---- rejections ---- */

START_TEST(test_a_paused_or_disabled_interconnect_is_rejected_with_its_reason)
{
    update("interconnect", eg[4], json_pack("{s:s}", "status", "paused"));
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[4]), "paused");
    ck_assert_str_eq(order(r), "S3,S1,S2");
    json_decref(r);
    update("interconnect", eg[4], json_pack("{s:s}", "status", "disabled"));
    r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[4]), "disabled");
    json_decref(r);
    update("interconnect", eg[4], json_pack("{s:s}", "status", "active"));
    r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
}
END_TEST

START_TEST(test_a_route_pause_of_an_interconnect_prefix_rejects_it_as_paused)
{
    json_decref(ok(admin, "route.pause", json_pack("{s:I, s:s, s:s}", "interconnect_id", (json_int_t)eg[3], "prefix",
                                                   "4477", "reason", "ASR below 20%")));
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[3]), "paused");
    ck_assert_str_eq(order(r), "S4,S1,S2");
    json_decref(r);
    r = lookup("447800900001"); /* outside the paused prefix */
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
    json_decref(ok(admin, "route.resume", json_pack("{s:I, s:s}", "interconnect_id", (json_int_t)eg[3], "prefix",
                                                    "4477")));
    r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
}
END_TEST

START_TEST(test_a_deleted_interconnect_in_an_entry_is_rejected_as_disabled)
{
    long long carrier = new_carrier("Supplier Gone", "supplier", "USD");
    long long gone = new_egress(carrier, "GONE-OUT", "USD", 0);
    entry_set(main_plan, "4478", json_pack("[o,o]", route(gone, 0, 1), route(eg[1], 0, 1)));
    json_decref(ok(admin, "interconnect.delete", json_pack("{s:I, s:i}", "id", (json_int_t)gone, "version", 1)));
    json_t *r = lookup("447800900001");
    ck_assert_str_eq(rejected(r, gone), "disabled");
    ck_assert_str_eq(order(r), "S1");
    json_decref(r);
    json_decref(ok(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                 (json_int_t)main_plan, "prefix", "4478")));
}
END_TEST

START_TEST(test_blacklisted_destinations_and_origins_reject_every_route)
{
    long long bl = id_of(ok(admin, "blacklist.create", json_pack("{s:s, s:[s], s:[s]}", "name", "Fraud", "numbers",
                                                                 "+12125550100", "prefixes", "4477")));
    update("service", svc_a, json_pack("{s:{s:[I]}}", "blacklists", "destination_ids", (json_int_t)bl));
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(order(r), "");
    ck_assert_str_eq(rejected(r, eg[1]), "blacklisted");
    ck_assert_int_eq(json_array_size(json_object_get(r, "rejected")), 4);
    json_decref(r);
    /* An exception lets the number through. */
    update("service", svc_a, json_pack("{s:{s:[s]}}", "blacklists", "destination_exceptions", "44770"));
    r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
    /* The caller's number on an origination list. */
    update("service", svc_a, json_pack("{s:{s:[], s:[], s:[I]}}", "blacklists", "destination_ids",
                                       "destination_exceptions", "origination_ids", (json_int_t)bl));
    r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[2]), "blacklisted");
    json_decref(r);
    update("service", svc_a, json_pack("{s:{s:[]}}", "blacklists", "origination_ids"));
    /* An egress interconnect's own blacklist drops that one only. */
    update("interconnect", eg[2], json_pack("{s:{s:[I]}}", "egress_routing", "blacklist_ids", (json_int_t)bl));
    r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[2]), "blacklisted");
    ck_assert_str_eq(order(r), "S3,S4,S1");
    json_decref(r);
    update("interconnect", eg[2], json_pack("{s:{s:[]}}", "egress_routing", "blacklist_ids"));
}
END_TEST

START_TEST(test_an_interconnect_at_its_capacity_is_rejected)
{
    update("interconnect", eg[3], json_pack("{s:i}", "capacity", 1));
    json_decref(ok(admin, "call.start", json_pack("{s:s, s:I}", "call_id", "cap-1", "interconnect_id",
                                                  (json_int_t)eg[3])));
    json_t *r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[3]), "capacity");
    json_decref(r);
    json_decref(ok(admin, "call.stop", json_pack("{s:s}", "call_id", "cap-1")));
    r = lookup("447700900001");
    ck_assert_str_eq(rejected(r, eg[3]), "");
    json_decref(r);
    update("interconnect", eg[3], json_pack("{s:n}", "capacity"));
}
END_TEST

START_TEST(test_suppliers_without_a_rate_or_without_an_fx_rate_are_rejected_and_others_are_converted)
{
    entry_set(main_plan, "4412", json_pack("[o,o,o,o]", route(eg[5], 0, 1), route(eg[6], 0, 1), route(eg[7], 0, 1),
                                           route(eg[1], 0, 1)));
    json_t *r = lookup("441234567890");
    ck_assert_str_eq(rejected(r, eg[5]), "no_rate");
    ck_assert_str_eq(rejected(r, eg[7]), "no_rate");
    ck_assert_str_eq(rejected(r, eg[6]), "currency_mismatch");
    ck_assert_str_eq(order(r), "S1");
    json_decref(r);
    /* With an EUR rate in force (1 USD = 0.8 EUR), SE's 0.001 EUR is
     * 0.00125 USD: compared, ordered and its margin worked out in the
     * customer's USD (0.010 - 0.00125). */
    json_decref(ok(admin, "fx.set", json_pack("{s:s, s:s, s:s}", "currency", "EUR", "per_usd", "0.8", "reason",
                                              "routing test")));
    r = lookup("441234567890");
    ck_assert_str_eq(order(r), "SE,S1");
    json_t *se = route_of(r, eg[6]);
    ck_assert_str_eq(jstr(se, "rate"), "0.001000");
    ck_assert_str_eq(jstr(se, "currency"), "EUR");
    ck_assert_str_eq(jstr(json_object_get(se, "converted"), "rate"), "0.001250");
    ck_assert_str_eq(jstr(json_object_get(se, "converted"), "currency"), "USD");
    ck_assert_str_eq(jstr(se, "margin"), "0.008750");
    ck_assert_ptr_null(json_object_get(route_of(r, eg[1]), "converted"));
    json_decref(r);
    /* A rate that makes SE dearer than the customer (1 USD = 0.05 EUR:
     * 0.001 EUR = 0.02 USD > 0.010) turns it into a loss. */
    json_decref(ok(admin, "fx.set", json_pack("{s:s, s:s, s:s}", "currency", "EUR", "per_usd", "0.05", "reason",
                                              "routing test")));
    r = lookup("441234567890");
    ck_assert_str_eq(rejected(r, eg[6]), "negative_margin");
    json_decref(r);
    json_decref(ok(admin, "fx.set", json_pack("{s:s, s:n, s:s}", "currency", "EUR", "per_usd", "reason",
                                              "routing test over")));
    r = lookup("441234567890");
    ck_assert_str_eq(rejected(r, eg[6]), "currency_mismatch");
    json_decref(r);
    json_decref(ok(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                 (json_int_t)main_plan, "prefix", "4412")));
}
END_TEST

START_TEST(test_a_plan_allowing_negative_margin_keeps_the_losing_supplier)
{
    update("routing_plan", main_plan, json_pack("{s:b}", "allow_negative_margin", 1));
    json_t *r = lookup("442071234567");
    ck_assert_str_eq(order(r), "S1,S4,S2,S3");
    ck_assert_str_eq(jstr(route_of(r, eg[3]), "margin"), "-0.001000");
    json_decref(r);
    update("routing_plan", main_plan, json_pack("{s:b}", "allow_negative_margin", 0));
}
END_TEST

START_TEST(test_routing_back_to_the_customers_own_carrier_is_circular_unless_allowed)
{
    long long bi = new_carrier("Bilateral B", "bilateral", "USD");
    postpaid(bi, "100");
    long long in = id_of(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id",
                                                                    (json_int_t)bi, "name", "B-IN", "direction",
                                                                    "ingress", "currency", "USD", "signalling_ips",
                                                                    "192.0.2.20")));
    long long bplan = new_rating_plan("Supplier B", "USD", "supplier", supplier_csv[1]);
    long long out = new_egress(bi, "B-OUT", "USD", bplan);
    long long rp = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "Bilateral", "mode", "lcr")));
    entry_set(rp, "44", json_pack("[o,o]", route(out, 0, 1), route(eg[2], 0, 1)));
    long long svc = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id",
                                                                (json_int_t)in, "name", "B voice", "rating_plan_id",
                                                                (json_int_t)retail_plan, "routing_plan_id",
                                                                (json_int_t)rp)));
    json_t *r = lookup_seed(svc, "441234567890", -1);
    ck_assert_str_eq(rejected(r, out), "circular");
    ck_assert_int_eq(json_array_size(json_object_get(r, "routes")), 1);
    json_decref(r);
    update("carrier", bi, json_pack("{s:b}", "circular_routing", 1));
    r = lookup_seed(svc, "441234567890", -1);
    ck_assert_str_eq(rejected(r, out), "");
    ck_assert_int_eq(json_array_size(json_object_get(r, "routes")), 2);
    json_decref(r);
}
END_TEST

/* A new customer carrier (prepaid, no money; its id in *carrier) with an
 * ingress on ip and a service on Retail / Main: the service id. */
static long long prepaid_service(const char *letter, const char *ip, long long *carrier)
{
    char name[64], ic[32], svc[32];
    snprintf(name, sizeof name, "Prepaid %s", letter);
    snprintf(ic, sizeof ic, "%s-IN", letter);
    snprintf(svc, sizeof svc, "%s voice", letter);
    long long c = *carrier = new_carrier(name, "customer", "USD");
    long long in = id_of(ok(admin, "interconnect.create", json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id",
                                                                    (json_int_t)c, "name", ic, "direction", "ingress",
                                                                    "currency", "USD", "signalling_ips", ip)));
    return id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)in,
                                                       "name", svc, "rating_plan_id", (json_int_t)retail_plan,
                                                       "routing_plan_id", (json_int_t)main_plan)));
}

/* ---- credit, service, validation ---- */

START_TEST(test_a_prepaid_customer_without_money_is_refused_until_a_top_up)
{
    long long c;
    long long svc = prepaid_service("C", "192.0.2.30", &c);
    json_t *r = call(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller", "1",
                                                      "callee", "447700900001"));
    ck_assert_int_eq(wsc_error_code(r), -32010);
    json_t *data = json_object_get(json_object_get(r, "error"), "data");
    ck_assert_str_eq(jstr(data, "reason"), "credit");
    ck_assert_str_eq(jstr(data, "currency"), "USD");
    json_decref(r);
    json_decref(ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", "route-topup",
                                                   "kind", "topup", "carrier_id", (json_int_t)c, "side", "customer",
                                                   "amount", "10", "currency", "USD")));
    r = lookup_seed(svc, "447700900001", -1);
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
}
END_TEST

START_TEST(test_the_service_is_found_by_ingress_interconnect_or_ingress_ip)
{
    json_t *r = ok(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "ingress_interconnect_id", (json_int_t)ic_a,
                                                    "caller", "1", "callee", "447700900001"));
    ck_assert_int_eq(jint(r, "service_id"), svc_a);
    json_decref(r);
    r = ok(admin, "route.lookup", json_pack("{s:s, s:s, s:s}", "ingress_ip", "192.0.2.10", "caller", "1", "callee",
                                            "447700900001"));
    ck_assert_int_eq(jint(r, "service_id"), svc_a);
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
    ck_assert_int_eq(fails(admin, "route.lookup", json_pack("{s:s, s:s, s:s}", "ingress_ip", "203.0.113.99", "caller",
                                                            "1", "callee", "447700900001")), -32004);
    ck_assert_int_eq(fails(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)999999,
                                                            "caller", "1", "callee", "447700900001")), -32004);
}
END_TEST

START_TEST(test_invalid_lookups_and_entries_name_the_field)
{
    fails_on_field(admin, "route.lookup", json_pack("{s:I, s:s}", "service_id", (json_int_t)svc_a, "caller", "1"),
                   "callee");
    fails_on_field(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc_a, "caller", "1",
                                                    "callee", "not a number"), "callee");
    fails_on_field(admin, "route.lookup", json_pack("{s:s, s:s}", "caller", "1", "callee", "447700900001"),
                   "service_id");
    /* No customer rate for France: refused, naming the callee. */
    fails_on_field(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc_a, "caller", "1",
                                                    "callee", "33123456789"), "callee");
    fails_on_field(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "Bad", "mode", "fastest"), "mode");
    fails_on_field(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:[]}", "routing_plan_id",
                                                              (json_int_t)main_plan, "prefix", "44x", "routes"),
                   "prefix");
    fails_on_field(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:[o]}", "routing_plan_id",
                                                              (json_int_t)main_plan, "prefix", "49", "routes",
                                                              route(ic_a, 0, 1)),
                   "routes[0].interconnect_id");
    fails_on_field(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:[o,o]}", "routing_plan_id",
                                                              (json_int_t)main_plan, "prefix", "49", "routes",
                                                              route(eg[1], 0, 1), route(eg[1], 0, 1)),
                   "routes[1].interconnect_id");
    fails_on_field(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:[{s:I, s:i}]}", "routing_plan_id",
                                                              (json_int_t)main_plan, "prefix", "49", "routes",
                                                              "interconnect_id", (json_int_t)eg[1], "weight", -1),
                   "routes[0].weight");
    fails_on_field(admin, "routing_plan.entry.set", json_pack("{s:I, s:s, s:[]}", "routing_plan_id",
                                                              (json_int_t)999999, "prefix", "49", "routes"),
                   "routing_plan_id");
}
END_TEST

/* ---- entries ---- */

START_TEST(test_entries_are_set_listed_and_deleted_and_the_next_lookup_sees_them)
{
    json_t *r;
    /* A new entry under an existing one: visible at once. */
    entry_set(main_plan, "44771", json_pack("[o]", route(eg[2], 0, 1)));
    r = lookup("447710000000");
    ck_assert_str_eq(jstr(r, "prefix"), "44771");
    ck_assert_str_eq(order(r), "S2");
    json_decref(r);
    /* Replacing its routes. */
    entry_set(main_plan, "44771", json_pack("[o,o]", route(eg[1], 0, 1), route(eg[4], 0, 1)));
    r = lookup("447710000000");
    ck_assert_str_eq(order(r), "S4,S1");
    json_decref(r);
    json_t *l = ok(admin, "routing_plan.entry.list", json_pack("{s:{s:I, s:s}}", "filter", "routing_plan_id",
                                                               (json_int_t)main_plan, "prefix", "447"));
    json_t *items = json_object_get(l, "items");
    ck_assert_int_eq(json_array_size(items), 2); /* 447, 44771 */
    ck_assert_str_eq(jstr(json_array_get(items, 0), "prefix"), "447");
    ck_assert_str_eq(jstr(json_array_get(items, 1), "prefix"), "44771");
    ck_assert_int_eq(json_array_size(json_object_get(json_array_get(items, 1), "routes")), 2);
    json_decref(l);
    json_decref(ok(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                 (json_int_t)main_plan, "prefix", "44771")));
    r = lookup("447710000000");
    ck_assert_str_eq(jstr(r, "prefix"), "447");
    json_decref(r);
    ck_assert_int_eq(fails(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                         (json_int_t)main_plan, "prefix", "44771")),
                     -32004);
    /* Audited. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE entity = 'routing_plan_entry'"
                              " AND action IN ('create', 'update', 'delete')");
    ck_assert_int_ge(atoi(harness_sql(sql)), 3);
}
END_TEST

START_TEST(test_plans_are_records_and_one_in_use_cannot_be_deleted)
{
    json_t *p = ok(admin, "routing_plan.get", json_pack("{s:I}", "id", (json_int_t)main_plan));
    ck_assert_str_eq(jstr(p, "name"), "Main");
    ck_assert_int_ge(jint(p, "entries"), 3);
    long long version = jint(p, "version");
    json_decref(p);
    ck_assert_int_eq(fails(admin, "routing_plan.delete", json_pack("{s:I, s:I}", "id", (json_int_t)main_plan, "version",
                                                                   (json_int_t)version)), -32009);
    long long spare = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s, s:s}", "name", "Spare", "mode",
                                                                       "priority", "lcr_delta", "0.0005")));
    p = ok(admin, "routing_plan.get", json_pack("{s:I}", "id", (json_int_t)spare));
    ck_assert_str_eq(jstr(p, "lcr_delta"), "0.000500");
    json_decref(p);
    json_t *l = ok(admin, "routing_plan.list", json_pack("{s:{s:s}}", "filter", "q", "spa"));
    ck_assert_int_eq(json_array_size(json_object_get(l, "items")), 1);
    json_decref(l);
    json_decref(ok(admin, "routing_plan.delete", json_pack("{s:I, s:i}", "id", (json_int_t)spare, "version", 1)));
    ck_assert_int_eq(fails(admin, "routing_plan.get", json_pack("{s:I}", "id", (json_int_t)spare)), -32004);
}
END_TEST

/* ---- instances and events ---- */

START_TEST(test_an_entry_change_reaches_the_other_instance_and_its_subscribers)
{
    wsc *b = login(&B, "root", "rootpass123");
    wsc *watcher = login(&B, "root", "rootpass123");
    json_decref(ok(watcher, "subscribe", json_pack("{s:[s]}", "topics", "routing_plan.changed")));
    json_t *look = json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc_a, "caller", "1", "callee", "447720000000");
    json_t *r = ok(b, "route.lookup", json_incref(look)); /* B builds its table */
    ck_assert_str_eq(jstr(r, "prefix"), "447");
    json_decref(r);
    entry_set(main_plan, "44772", json_pack("[o]", route(eg[2], 0, 1))); /* through A */
    json_t *ev = wsc_next_event(watcher, T);
    ck_assert_ptr_nonnull(ev);
    json_t *params = json_object_get(ev, "params");
    ck_assert_str_eq(jstr(params, "topic"), "routing_plan.changed");
    json_t *data = json_object_get(params, "data");
    ck_assert_int_eq(jint(data, "id"), main_plan);
    ck_assert_str_eq(jstr(data, "action"), "entries");
    ck_assert_str_eq(jstr(data, "prefix"), "44772");
    json_decref(ev);
    r = ok(b, "route.lookup", json_incref(look));
    ck_assert_str_eq(jstr(r, "prefix"), "44772");
    ck_assert_str_eq(order(r), "S2");
    json_decref(r);
    json_decref(ok(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                 (json_int_t)main_plan, "prefix", "44772")));
    /* B learns of it from the event (NOTIFY): within a second. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long waited;
    for (;;) {
        r = ok(b, "route.lookup", json_incref(look));
        bool seen = !strcmp(jstr(r, "prefix"), "447");
        json_decref(r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        waited = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
        if (seen || waited > 3000)
            break;
        usleep(10000);
    }
    ck_assert_msg(waited < 1000, "the other instance still routed by the deleted entry after %lld ms", waited);
    json_decref(look);
    wsc_close(watcher);
    wsc_close(b);
}
END_TEST

START_TEST(test_the_service_is_found_by_its_tech_prefix_on_a_shared_interconnect)
{
    long long tp_svc = id_of(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I, s:s}", "interconnect_id",
                                                                   (json_int_t)ic_a, "name", "Premium", "rating_plan_id",
                                                                   (json_int_t)retail_plan, "routing_plan_id",
                                                                   (json_int_t)main_plan, "tech_prefix", "77#")));
    json_t *r = ok(admin, "route.lookup", json_pack("{s:I, s:s, s:s, s:s}", "ingress_interconnect_id", (json_int_t)ic_a,
                                                    "tech_prefix", "77#", "caller", "1", "callee", "447700900001"));
    ck_assert_int_eq(jint(r, "service_id"), tp_svc);
    json_decref(r);
    r = ok(admin, "route.lookup", json_pack("{s:s, s:s, s:s, s:s}", "ingress_ip", "192.0.2.10", "tech_prefix", "77#",
                                            "caller", "1", "callee", "447700900001"));
    ck_assert_int_eq(jint(r, "service_id"), tp_svc);
    json_decref(r);
    r = ok(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "ingress_interconnect_id", (json_int_t)ic_a, "caller",
                                            "1", "callee", "447700900001"));
    ck_assert_int_eq(jint(r, "service_id"), svc_a);
    json_decref(r);
    ck_assert_int_eq(fails(admin, "route.lookup", json_pack("{s:I, s:s, s:s, s:s}", "ingress_interconnect_id",
                                                            (json_int_t)ic_a, "tech_prefix", "55#", "caller", "1",
                                                            "callee", "447700900001")), -32004);
    json_decref(ok(admin, "service.delete", json_pack("{s:I, s:i}", "id", (json_int_t)tp_svc, "version", 1)));
}
END_TEST

/* ---- trunk groups and forced test routes ---- */

/* One route naming a trunk group. */
static json_t *group_route(long long group, int priority, int weight)
{
    return json_pack("{s:I, s:i, s:i}", "trunk_group_id", (json_int_t)group, "priority", priority, "weight", weight);
}

static void entry_delete(long long plan, const char *prefix)
{
    json_decref(ok(admin, "routing_plan.entry.delete", json_pack("{s:I, s:s}", "routing_plan_id", (json_int_t)plan,
                                                                 "prefix", prefix)));
}

static void join_group(long long ic, long long group)
{
    update("interconnect", ic, group ? json_pack("{s:I}", "trunk_group_id", (json_int_t)group)
                                     : json_pack("{s:n}", "trunk_group_id"));
}

/* The rejection naming trunk group g, NULL when none. */
static json_t *group_rejection(json_t *r, long long g)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "rejected"), i, x)
        if (jint(x, "trunk_group_id") == g)
            return x;
    return NULL;
}

START_TEST(test_a_trunk_group_entry_expands_to_its_members_ordered_by_rate)
{
    long long tg = id_of(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "UK wholesale")));
    join_group(eg[3], tg);
    join_group(eg[4], tg);
    /* 447 rates: S3 0.04, S4 0.045 (the group, priority 2, weight 5), S1 0.05 (itself). */
    entry_set(main_plan, "4479", json_pack("[o,o]", group_route(tg, 2, 5), route(eg[1], 0, 1)));
    json_t *l = ok(admin, "routing_plan.entry.list", json_pack("{s:{s:I, s:s}}", "filter", "routing_plan_id",
                                                               (json_int_t)main_plan, "prefix", "4479"));
    json_t *stored = json_array_get(json_object_get(json_array_get(json_object_get(l, "items"), 0), "routes"), 0);
    ck_assert_int_eq(jint(stored, "trunk_group_id"), tg);
    ck_assert_ptr_null(json_object_get(stored, "interconnect_id"));
    json_decref(l);
    json_t *r = lookup("447900000001");
    ck_assert_str_eq(jstr(r, "prefix"), "4479");
    ck_assert_str_eq(order(r), "S3,S4,S1");
    for (int i = 3; i <= 4; i++) {
        json_t *m = route_of(r, eg[i]);
        ck_assert_int_eq(jint(m, "trunk_group_id"), tg);
        ck_assert_int_eq(jint(m, "priority"), 2);
        ck_assert_int_eq(jint(m, "weight"), 5);
    }
    ck_assert_ptr_null(json_object_get(route_of(r, eg[1]), "trunk_group_id"));
    json_decref(r);
    /* Membership is read at lookup: a new member counts at once, without an entry change. */
    join_group(eg[2], tg);
    r = lookup("447900000001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    json_decref(r);
    /* A member is checked like any candidate (here: paused), and reported with its group. */
    update("interconnect", eg[4], json_pack("{s:s}", "status", "paused"));
    r = lookup("447900000001");
    ck_assert_str_eq(order(r), "S3,S1,S2");
    ck_assert_str_eq(rejected(r, eg[4]), "paused");
    ck_assert_int_eq(jint(group_rejection(r, tg), "interconnect_id"), eg[4]);
    json_decref(r);
    update("interconnect", eg[4], json_pack("{s:s}", "status", "active"));
    /* Priority mode: the group's members share its priority 2, before S1's 0; ties by id. */
    set_mode("priority", "0");
    r = lookup("447900000001");
    ck_assert_str_eq(order(r), "S2,S3,S4,S1");
    json_decref(r);
    set_mode("lcr", "0");
    entry_delete(main_plan, "4479");
    for (int i = 2; i <= 4; i++)
        join_group(eg[i], 0);
}
END_TEST

START_TEST(test_an_empty_trunk_group_is_reported_and_the_others_still_route)
{
    long long empty = id_of(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "Nobody yet")));
    entry_set(main_plan, "4476", json_pack("[o,o]", group_route(empty, 5, 1), route(eg[1], 0, 1)));
    json_t *r = lookup("447600000001");
    ck_assert_str_eq(order(r), "S1");
    json_t *x = group_rejection(r, empty);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(jstr(x, "reason"), "empty_trunk_group");
    ck_assert(json_is_null(json_object_get(x, "interconnect_id")));
    json_decref(r);
    /* A deleted member does not count: still empty. */
    long long carrier = new_carrier("Supplier Brief", "supplier", "USD");
    long long brief = new_egress(carrier, "BRIEF-OUT", "USD", 0);
    join_group(brief, empty);
    json_decref(ok(admin, "interconnect.delete", json_pack("{s:I, s:i}", "id", (json_int_t)brief, "version", 2)));
    r = lookup("447600000001");
    ck_assert_str_eq(jstr(group_rejection(r, empty), "reason"), "empty_trunk_group");
    json_decref(r);
    entry_delete(main_plan, "4476");
}
END_TEST

START_TEST(test_entry_routes_name_exactly_one_live_interconnect_or_trunk_group)
{
    long long tg = id_of(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "Checked")));
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[{s:I, s:I}]}", "routing_plan_id", (json_int_t)main_plan, "prefix", "49",
                             "routes", "interconnect_id", (json_int_t)eg[1], "trunk_group_id", (json_int_t)tg),
                   "routes[0].trunk_group_id");
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[{s:i}]}", "routing_plan_id", (json_int_t)main_plan, "prefix", "49",
                             "routes", "priority", 1),
                   "routes[0].interconnect_id");
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o]}", "routing_plan_id", (json_int_t)main_plan, "prefix", "49", "routes",
                             group_route(999999, 0, 1)),
                   "routes[0].trunk_group_id");
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o,o,o]}", "routing_plan_id", (json_int_t)main_plan, "prefix", "49",
                             "routes", group_route(tg, 0, 1), route(eg[1], 0, 1), group_route(tg, 1, 1)),
                   "routes[2].trunk_group_id");
    json_decref(ok(admin, "trunk_group.delete", json_pack("{s:I, s:i}", "id", (json_int_t)tg, "version", 1)));
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o]}", "routing_plan_id", (json_int_t)main_plan, "prefix", "49", "routes",
                             group_route(tg, 0, 1)),
                   "routes[0].trunk_group_id");
}
END_TEST

static json_t *forced_lookup(long long svc, const char *callee, long long ic)
{
    return json_pack("{s:I, s:s, s:s, s:I}", "service_id", (json_int_t)svc, "caller", "1", "callee", callee,
                     "force_interconnect_id", (json_int_t)ic);
}

START_TEST(test_a_forced_test_route_evaluates_only_that_interconnect)
{
    /* S2 is last by lcr for 447; forced, it is the only route. */
    json_t *r = ok(admin, "route.lookup", forced_lookup(svc_a, "447700900001", eg[2]));
    ck_assert(json_is_true(json_object_get(r, "forced")));
    ck_assert_str_eq(order(r), "S2");
    ck_assert_int_eq(json_array_size(json_object_get(r, "rejected")), 0);
    ck_assert(json_is_null(json_object_get(r, "routing_plan_id")));
    ck_assert_str_eq(jstr(route_of(r, eg[2]), "rate"), "0.060000");
    json_decref(r);
    /* The same checks, reported: S3 loses money on London; S5 (in no entry) has no UK rate. */
    r = ok(admin, "route.lookup", forced_lookup(svc_a, "442071234567", eg[3]));
    ck_assert_str_eq(order(r), "");
    ck_assert_str_eq(rejected(r, eg[3]), "negative_margin");
    json_decref(r);
    r = ok(admin, "route.lookup", forced_lookup(svc_a, "442071234567", eg[5]));
    ck_assert_str_eq(rejected(r, eg[5]), "no_rate");
    json_decref(r);
    r = ok(admin, "route.lookup", forced_lookup(svc_a, "442071234567", ic_a));
    ck_assert_str_eq(rejected(r, ic_a), "disabled");
    json_decref(r);
    fails_on_field(admin, "route.lookup", forced_lookup(svc_a, "442071234567", 999999), "force_interconnect_id");
    /* Without it, the plan's order is back. */
    r = lookup("447700900001");
    ck_assert_str_eq(order(r), "S3,S4,S1,S2");
    ck_assert_ptr_null(json_object_get(r, "forced"));
    json_decref(r);
}
END_TEST

START_TEST(test_a_forced_test_route_still_refuses_a_blocked_customer)
{
    long long d;
    long long svc = prepaid_service("D", "192.0.2.40", &d);
    json_t *r = call(admin, "route.lookup", forced_lookup(svc, "447700900001", eg[1]));
    ck_assert_int_eq(wsc_error_code(r), -32010);
    ck_assert_str_eq(jstr(json_object_get(json_object_get(r, "error"), "data"), "reason"), "credit");
    json_decref(r);
}
END_TEST

/* ---- the entry editor's rates ---- */

static json_t *rates_route(json_t *r, long long ic)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "routes"), i, x)
        if (jint(x, "interconnect_id") == ic)
            return x;
    return NULL;
}

START_TEST(test_entry_rates_show_each_suppliers_rate_and_margin_against_the_customer_plan)
{
    /* 4420: customer 0.012 (the Main plan's service rates on Retail);
     * S1 0.009, S2 0.011, S3 0.013, S4 0.0095. */
    json_t *r = ok(admin, "routing_plan.entry.rates",
                   json_pack("{s:I, s:s}", "routing_plan_id", (json_int_t)main_plan, "prefix", "4420"));
    json_t *cust = json_object_get(r, "customer");
    ck_assert_int_eq(jint(cust, "rating_plan_id"), retail_plan);
    ck_assert_str_eq(jstr(cust, "rate"), "0.012000");
    ck_assert_str_eq(jstr(cust, "destination"), "London");
    ck_assert_int_eq(json_array_size(json_object_get(r, "routes")), 4);
    ck_assert_int_eq(jint(json_array_get(json_object_get(r, "routes"), 0), "interconnect_id"), eg[1]);
    ck_assert_str_eq(jstr(rates_route(r, eg[1]), "rate"), "0.009000");
    ck_assert_str_eq(jstr(rates_route(r, eg[1]), "margin"), "0.003000");
    ck_assert_str_eq(jstr(rates_route(r, eg[1]), "name"), "S1-OUT");
    ck_assert_str_eq(jstr(rates_route(r, eg[3]), "margin"), "-0.001000");
    ck_assert_str_eq(jstr(rates_route(r, eg[4]), "margin"), "0.002500");
    json_decref(r);
    /* Against another customer plan, and a supplier without a rate or in
     * another currency: no margin, and a note why. */
    long long other = new_rating_plan("Retail 2", "USD", "customer", "prefix,destination,rate\n44,UK,0.02\n");
    entry_set(main_plan, "4421", json_pack("[o,o,o]", route(eg[5], 0, 1), route(eg[6], 0, 1), route(eg[7], 0, 1)));
    r = ok(admin, "routing_plan.entry.rates", json_pack("{s:I, s:s, s:I}", "routing_plan_id", (json_int_t)main_plan,
                                                        "prefix", "4421", "rating_plan_id", (json_int_t)other));
    ck_assert_str_eq(jstr(json_object_get(r, "customer"), "rate"), "0.020000");
    ck_assert(json_is_null(json_object_get(rates_route(r, eg[5]), "rate")));
    ck_assert(json_is_null(json_object_get(rates_route(r, eg[5]), "margin")));
    ck_assert_ptr_nonnull(strstr(jstr(rates_route(r, eg[5]), "note"), "no rate"));
    ck_assert_str_eq(jstr(rates_route(r, eg[6]), "rate"), "0.001000");
    ck_assert_str_eq(jstr(rates_route(r, eg[6]), "currency"), "EUR");
    ck_assert(json_is_null(json_object_get(rates_route(r, eg[6]), "margin")));
    ck_assert_str_eq(jstr(rates_route(r, eg[7]), "note"), "no supplier rating plan");
    json_decref(r);
    entry_delete(main_plan, "4421");
    fails_on_field(admin, "routing_plan.entry.rates", json_pack("{s:I, s:s, s:I}", "routing_plan_id",
                                                                (json_int_t)main_plan, "prefix", "4420",
                                                                "rating_plan_id", (json_int_t)999999),
                   "rating_plan_id");
    fails_on_field(admin, "routing_plan.entry.rates", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                (json_int_t)main_plan, "prefix", "44a"),
                   "prefix");
    ck_assert_int_eq(fails(admin, "routing_plan.entry.rates", json_pack("{s:I, s:s}", "routing_plan_id",
                                                                        (json_int_t)main_plan, "prefix", "4999")),
                     -32004);
}
END_TEST

/* ---- quality (the KPI windows of monitoring) ---- */

/* n London calls from A-IN through egress ic that ended a minute ago;
 * the first `answered` of them answered for `seconds`. */
static void london_calls(const char *tag, long long ic, int n, int answered, int seconds)
{
    json_t *cdrs = json_array();
    time_t e = time(NULL) - 60;
    for (int i = 0; i < n; i++) {
        char id[64], start[32], answer[32], end[32];
        bool ans = i < answered;
        snprintf(id, sizeof id, "q-%s-%lld-%d", tag, ic, i);
        rfc3339(e - (ans ? seconds : 0) - 4, start, sizeof start);
        rfc3339(e - (ans ? seconds : 0), answer, sizeof answer);
        rfc3339(e, end, sizeof end);
        json_t *o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I, s:i}", "id", id, "ingress_interconnect_id",
                              (json_int_t)ic_a, "caller", "+12125550100", "callee", "+442071234567", "start_time",
                              start, "end_time", end, "egress_interconnect_id", (json_int_t)ic, "release_cause",
                              ans ? 16 : 503);
        json_object_set_new(o, "answer_time", ans ? json_string(answer) : json_null());
        json_array_append_new(cdrs, o);
    }
    json_t *r = ok(admin, "cdr.ingest", json_pack("{s:o}", "cdrs", cdrs));
    ck_assert_int_eq(jint(r, "accepted"), n);
    json_decref(r);
}

START_TEST(test_quality_mode_orders_by_live_scores_and_entry_floors_drop_poor_suppliers)
{
    /* 4420 (customer 0.012): S1 0.009, S2 0.011, S3 0.013 (a loss), S4 0.0095.
     * Live over 15 minutes on the London route: S1 ASR 0.2, ACD 60 s
     * (score 0.5x0.2 + 0.3x60/180 + 0.2x0.5 = 0.30 -> 30); S2 ASR 0.8,
     * ACD 180 s (0.4 + 0.3 + 0.1 = 0.80 -> 80); S4 no calls (50). */
    london_calls("a", eg[1], 20, 4, 60);
    london_calls("a", eg[2], 20, 16, 180);
    set_mode("quality", "0");
    json_t *r = lookup("+442071234567");
    ck_assert_str_eq(order(r), "S2,S4,S1");
    json_t *q = json_object_get(route_of(r, eg[2]), "quality");
    ck_assert_int_eq(jint(q, "score"), 80);
    ck_assert_str_eq(jstr(q, "scope"), "route");
    ck_assert_int_eq(jint(q, "attempts"), 20);
    ck_assert(fabs(json_number_value(json_object_get(q, "asr")) - 0.8) < 1e-9);
    ck_assert_int_eq(jint(json_object_get(route_of(r, eg[1]), "quality"), "score"), 30);
    ck_assert_int_eq(jint(json_object_get(route_of(r, eg[4]), "quality"), "score"), 50);
    ck_assert_str_eq(rejected(r, eg[3]), "negative_margin");
    json_decref(r);
    set_mode("lcr", "0");

    /* An ASR floor of 0.5 on the entry drops S1 (0.2) while it is below;
     * S4, without calls to judge, stays. LCR orders the rest. */
    json_decref(ok(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o,o,o,o], s:f}", "routing_plan_id", (json_int_t)main_plan, "prefix",
                             "4420", "routes", route(eg[1], 0, 1), route(eg[2], 0, 1), route(eg[3], 0, 1),
                             route(eg[4], 0, 1), "min_asr", 0.5)));
    r = lookup("+442071234567");
    ck_assert_str_eq(order(r), "S4,S2");
    ck_assert_str_eq(rejected(r, eg[1]), "quality");
    json_decref(r);
    json_t *l = ok(admin, "routing_plan.entry.list", json_pack("{s:{s:I, s:s}}", "filter", "routing_plan_id",
                                                               (json_int_t)main_plan, "prefix", "4420"));
    json_t *e = json_array_get(json_object_get(l, "items"), 0);
    ck_assert(fabs(json_number_value(json_object_get(e, "min_asr")) - 0.5) < 1e-9);
    ck_assert(json_is_null(json_object_get(e, "min_acd")));
    json_decref(l);
    /* An ACD floor of 120 s drops S1 (60 s) too, and S2 (180 s) stays. */
    json_decref(ok(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o,o,o,o], s:i}", "routing_plan_id", (json_int_t)main_plan, "prefix",
                             "4420", "routes", route(eg[1], 0, 1), route(eg[2], 0, 1), route(eg[3], 0, 1),
                             route(eg[4], 0, 1), "min_acd", 120)));
    r = lookup("+442071234567");
    ck_assert_str_eq(order(r), "S4,S2");
    ck_assert_str_eq(rejected(r, eg[1]), "quality");
    json_decref(r);
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o], s:f}", "routing_plan_id", (json_int_t)main_plan, "prefix", "4420",
                             "routes", route(eg[1], 0, 1), "min_asr", 1.5),
                   "min_asr");
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o], s:s}", "routing_plan_id", (json_int_t)main_plan, "prefix", "4420",
                             "routes", route(eg[1], 0, 1), "min_asr", "high"),
                   "min_asr");
    fails_on_field(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[o], s:i}", "routing_plan_id", (json_int_t)main_plan, "prefix", "4420",
                             "routes", route(eg[1], 0, 1), "min_acd", -1),
                   "min_acd");
    /* Setting the entry without floors lifts them: back to plain LCR. */
    entry_set(main_plan, "4420", json_pack("[o,o,o,o]", route(eg[1], 0, 1), route(eg[2], 0, 1), route(eg[3], 0, 1),
                                           route(eg[4], 0, 1)));
    r = lookup("+442071234567");
    ck_assert_str_eq(order(r), "S1,S4,S2");
    ck_assert_ptr_null(json_object_get(route_of(r, eg[1]), "quality"));
    json_decref(r);
}
END_TEST

/* ---- state held in memory across instances ---- */

START_TEST(test_a_charge_on_another_instance_refuses_lookups_here_within_a_second)
{
    long long c;
    long long svc = prepaid_service("E", "192.0.2.32", &c);
    json_decref(ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", "e-topup",
                                                   "kind", "topup", "carrier_id", (json_int_t)c, "side", "customer",
                                                   "amount", "5", "currency", "USD")));
    /* Allowed here, and remembered. */
    json_decref(lookup_seed(svc, "447700900001", -1));
    json_decref(lookup_seed(svc, "447700900001", -1));
    /* The whole balance is charged through the other instance. */
    wsc *b = login(&B, "root", "rootpass123");
    json_decref(ok(b, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", "e-charge",
                                               "kind", "charge", "carrier_id", (json_int_t)c, "side", "customer",
                                               "amount", "5", "currency", "USD")));
    long long t0 = mono_ms(), refused_after = -1;
    while (mono_ms() - t0 < 3000) {
        json_t *r = call(admin, "route.lookup", json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller",
                                                          "1", "callee", "447700900001"));
        int code = wsc_error_code(r);
        json_decref(r);
        if (code == -32010) {
            refused_after = mono_ms() - t0;
            break;
        }
        usleep(20000);
    }
    ck_assert_msg(refused_after >= 0 && refused_after < 1000, "refused after %lld ms", refused_after);
    /* An interconnect disabled through the other instance stops routing here too. */
    json_t *g = ok(b, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)eg[2]));
    json_decref(ok(b, "interconnect.update", json_pack("{s:I, s:I, s:s}", "id", (json_int_t)eg[2], "version",
                                                       (json_int_t)jint(g, "version"), "status", "disabled")));
    json_decref(g);
    t0 = mono_ms();
    long long seen_after = -1;
    while (mono_ms() - t0 < 3000) {
        json_t *r = lookup("441234567890");
        bool gone = rejected(r, eg[2]) && !strcmp(rejected(r, eg[2]), "disabled");
        json_decref(r);
        if (gone) {
            seen_after = mono_ms() - t0;
            break;
        }
        usleep(20000);
    }
    ck_assert_msg(seen_after >= 0 && seen_after < 1000, "disabled seen after %lld ms", seen_after);
    update("interconnect", eg[2], json_pack("{s:s}", "status", "active"));
    json_t *r = lookup("441234567890");
    ck_assert_str_eq(order(r), "S2,S3");
    json_decref(r);
    wsc_close(b);
}
END_TEST

/* ---- GET /api/v1/route writes its answer itself ---- */

/* GET /api/v1/route for svc and callee (and seed >= 0) as JSON, and
 * route.lookup's answer for the same: the two must be equal, member for
 * member, errors included. */
static void same_over_http(const char *token, long long svc, const char *callee, long long seed)
{
    char path[256];
    int n = snprintf(path, sizeof path, "/api/v1/route?service_id=%lld&caller=%%2B12125550100&callee=%s", svc, callee);
    if (seed >= 0)
        snprintf(path + n, sizeof path - (size_t)n, "&seed=%lld", seed);
    char *text = NULL;
    int status = http_get_auth(S.port, path, token, &text);
    json_error_t jerr;
    json_t *body = text ? json_loads(text, 0, &jerr) : NULL;
    ck_assert_msg(body != NULL, "not JSON (%s): %s", text ? jerr.text : "no body", text ? text : "");
    json_t *p = json_pack("{s:I, s:s, s:s}", "service_id", (json_int_t)svc, "caller", "+12125550100", "callee", callee);
    if (seed >= 0)
        json_object_set_new(p, "seed", json_integer(seed));
    json_t *r = call(admin, "route.lookup", p);
    json_t *want = json_object_get(r, "result");
    if (want) {
        ck_assert_int_eq(status, 200);
        ck_assert_msg(json_equal(body, want), "%s differs:\n%s", callee, text);
    } else {
        ck_assert_int_ne(status, 200);
        ck_assert(json_equal(json_object_get(body, "error"), json_object_get(r, "error")));
    }
    json_decref(r);
    json_decref(body);
    free(text);
}

START_TEST(test_get_route_writes_the_same_answer_as_route_lookup)
{
    char *token = login_token(&S, "root", "rootpass123");
    /* LCR with a loss, a trunk group with an empty one beside it, and a
     * blacklist whose name needs escaping in JSON. */
    long long tg = id_of(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "HTTP group")));
    long long empty = id_of(ok(admin, "trunk_group.create", json_pack("{s:s}", "name", "HTTP empty")));
    join_group(eg[3], tg);
    entry_set(main_plan, "4478", json_pack("[o,o,o]", group_route(tg, 2, 5), group_route(empty, 1, 1),
                                           route(eg[1], 0, 1)));
    long long bl = id_of(ok(admin, "blacklist.create", json_pack("{s:s, s:[s]}", "name", "Quote \" back\\slash é \t tab",
                                                                 "prefixes", "4479")));
    update("interconnect", eg[2], json_pack("{s:{s:[I]}}", "egress_routing", "blacklist_ids", (json_int_t)bl));
    static const char *const callees[] = { "442071234567", "447700900001", "447800000001", "447900000001",
                                           "441234567890", "33123456789", "not-a-number" };
    for (size_t i = 0; i < sizeof callees / sizeof callees[0]; i++)
        same_over_http(token, svc_a, callees[i], -1);
    /* weight (the same seed), quality (with its scores and note), priority */
    set_mode("weight", "0");
    same_over_http(token, svc_a, "447700900001", 42);
    set_mode("quality", "0");
    same_over_http(token, svc_a, "442071234567", -1);
    same_over_http(token, svc_a, "447700900001", -1);
    set_mode("priority", "0");
    same_over_http(token, svc_a, "447800000001", -1);
    set_mode("lcr", "0");
    update("interconnect", eg[2], json_pack("{s:{s:[]}}", "egress_routing", "blacklist_ids"));
    entry_delete(main_plan, "4478");
    join_group(eg[3], 0);
    free(token);
}
END_TEST

int main(void)
{
    admin = start_with_root(&S, "didtron_routing_r1", "routing", NULL);
    if (!server_start(&B, "routing-b", NULL)) {
        fprintf(stderr, "cannot start the second didtrond\n");
        server_stop(&S, 20000);
        return 1;
    }
    Suite *s = suite_create("routing");
    TCase *tc = tcase_create("routing");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, network_setup, NULL);
    tcase_add_test(tc, test_lcr_puts_the_cheapest_supplier_first_and_drops_a_losing_one);
    tcase_add_test(tc, test_the_longest_prefix_entry_gives_the_candidates);
    tcase_add_test(tc, test_priority_mode_keeps_the_fixed_order_higher_first);
    tcase_add_test(tc, test_lcr_delta_makes_close_rates_equal_and_priority_decides);
    tcase_add_test(tc, test_quality_without_figures_scores_everyone_alike_and_orders_by_rate);
    tcase_add_test(tc, test_weight_order_is_random_but_reproducible_with_a_seed);
    tcase_add_test(tc, test_a_paused_or_disabled_interconnect_is_rejected_with_its_reason);
    tcase_add_test(tc, test_a_route_pause_of_an_interconnect_prefix_rejects_it_as_paused);
    tcase_add_test(tc, test_a_deleted_interconnect_in_an_entry_is_rejected_as_disabled);
    tcase_add_test(tc, test_blacklisted_destinations_and_origins_reject_every_route);
    tcase_add_test(tc, test_an_interconnect_at_its_capacity_is_rejected);
    tcase_add_test(tc, test_suppliers_without_a_rate_or_without_an_fx_rate_are_rejected_and_others_are_converted);
    tcase_add_test(tc, test_a_plan_allowing_negative_margin_keeps_the_losing_supplier);
    tcase_add_test(tc, test_routing_back_to_the_customers_own_carrier_is_circular_unless_allowed);
    tcase_add_test(tc, test_a_prepaid_customer_without_money_is_refused_until_a_top_up);
    tcase_add_test(tc, test_the_service_is_found_by_ingress_interconnect_or_ingress_ip);
    tcase_add_test(tc, test_invalid_lookups_and_entries_name_the_field);
    tcase_add_test(tc, test_entries_are_set_listed_and_deleted_and_the_next_lookup_sees_them);
    tcase_add_test(tc, test_plans_are_records_and_one_in_use_cannot_be_deleted);
    tcase_add_test(tc, test_an_entry_change_reaches_the_other_instance_and_its_subscribers);
    tcase_add_test(tc, test_the_service_is_found_by_its_tech_prefix_on_a_shared_interconnect);
    tcase_add_test(tc, test_a_trunk_group_entry_expands_to_its_members_ordered_by_rate);
    tcase_add_test(tc, test_an_empty_trunk_group_is_reported_and_the_others_still_route);
    tcase_add_test(tc, test_entry_routes_name_exactly_one_live_interconnect_or_trunk_group);
    tcase_add_test(tc, test_a_forced_test_route_evaluates_only_that_interconnect);
    tcase_add_test(tc, test_a_forced_test_route_still_refuses_a_blocked_customer);
    tcase_add_test(tc, test_entry_rates_show_each_suppliers_rate_and_margin_against_the_customer_plan);
    tcase_add_test(tc, test_quality_mode_orders_by_live_scores_and_entry_floors_drop_poor_suppliers);
    tcase_add_test(tc, test_a_charge_on_another_instance_refuses_lookups_here_within_a_second);
    tcase_add_test(tc, test_get_route_writes_the_same_answer_as_route_lookup);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    wsc_close(admin);
    server_stop(&B, 20000);
    server_stop(&S, 20000);
    harness_done();
    return failed;
}
