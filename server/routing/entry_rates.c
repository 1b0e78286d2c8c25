/*
 * entry_rates.c: routing_plan.entry.rates — what the entry editor shows
 * beside each supplier of an entry: its current rate for the entry's
 * prefix and the margin against a customer rating plan.
 *
 * The rate of a prefix is the rate a number made of just those digits
 * gets now from the plan's live deck (rating_engine.h): its longest rate
 * prefix, effective now, time classes judged in UTC. A rate row with
 * number-length limits still shows its rate. Trunk groups are expanded
 * into their live egress interconnects, as route.lookup does. The
 * customer plan is the one asked for, else the rating plan of the first
 * live service (lowest id) that routes through this routing plan; none,
 * no margin. Margin = customer rate - supplier rate, only when both are
 * in the same currency (route.lookup refuses mixed currencies as well).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "timeutil.h"
#include "../rating/rating_engine.h"
#include "routing.h"

typedef struct {
    bool known, blocked;
    money_t rate;
    char currency[4];
    char destination[129];
} side_rate;

static void rate_of(PGconn *db, long long plan, const char *prefix, int64_t now, side_rate *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    rating_deck *d = rating_deck_get(db, plan, err, errlen);
    if (!d)
        return;
    rating_result r;
    rating_rate(d, prefix, now, false, 0, 0, NULL, &r);
    if (r.rate_row_id) {
        out->known = true;
        out->blocked = strncmp(r.reason, "prefix ", 7) == 0 && strstr(r.reason, "blocked");
        out->rate = r.rate;
        snprintf(out->destination, sizeof out->destination, "%s", r.destination);
    } else {
        snprintf(err, errlen, "%s", r.reason);
    }
    snprintf(out->currency, sizeof out->currency, "%s", r.currency);
    rating_deck_release(d);
}

static json_t *money_json(money_t v)
{
    char buf[32];
    return json_string(money_format(v, buf, sizeof buf));
}

static int entry_rates(rpc_call *c)
{
    char plan[24], rplan[24];
    snprintf(plan, sizeof plan, "%lld", rpc_int(c, "routing_plan_id", 0));
    const char *prefix = rpc_str(c, "prefix");
    long long want_rp = rpc_int(c, "rating_plan_id", 0);
    int64_t now = time_now_usec();

    PGresult *r = rpc_query(c, "SELECT e.routes::text FROM routing_plan_entries e JOIN routing_plans p"
                               " ON p.id = e.routing_plan_id AND p.deleted_at IS NULL"
                               " WHERE e.routing_plan_id = $1 AND e.prefix = $2", 2, plan, prefix);
    if (!r)
        return -1;
    if (PQntuples(r) == 0) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "routing plan %s has no entry for prefix %s", plan, prefix);
    }
    json_t *routes = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    PQclear(r);
    if (!json_is_array(routes)) {
        json_decref(routes);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "the entry's routes are not readable");
    }

    /* The customer side. */
    if (want_rp) {
        snprintf(rplan, sizeof rplan, "%lld", want_rp);
        r = rpc_query(c, "SELECT id FROM rating_plans WHERE id = $1 AND deleted_at IS NULL", 1, rplan);
        if (!r) {
            json_decref(routes);
            return -1;
        }
        bool found = PQntuples(r) > 0;
        PQclear(r);
        if (!found) {
            json_decref(routes);
            return rpc_field_error(c, "rating_plan_id", "no such rating plan");
        }
    } else {
        r = rpc_query(c, "SELECT rating_plan_id FROM services WHERE routing_plan_id = $1 AND deleted_at IS NULL"
                         " ORDER BY id LIMIT 1", 1, plan);
        if (!r) {
            json_decref(routes);
            return -1;
        }
        snprintf(rplan, sizeof rplan, "%s", PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
        PQclear(r);
    }
    json_t *customer = json_null();
    side_rate cust = { 0 };
    if (rplan[0]) {
        char err[128] = "";
        rate_of(c->db, atoll(rplan), prefix, now, &cust, err, sizeof err);
        customer = json_pack("{s:I, s:o, s:s, s:s, s:b, s:s}", "rating_plan_id", (json_int_t)atoll(rplan), "rate",
                             cust.known ? money_json(cust.rate) : json_null(), "currency", cust.currency,
                             "destination", cust.destination, "blocked", cust.blocked, "note", cust.known ? "" : err);
    }

    /* The suppliers: interconnects and trunk groups' live egress members,
     * in the entry's order. */
    json_t *out = json_array();
    size_t i;
    json_t *route;
    json_array_foreach(routes, i, route) {
        long long ic = (long long)json_integer_value(json_object_get(route, "interconnect_id"));
        long long tg = (long long)json_integer_value(json_object_get(route, "trunk_group_id"));
        char id[24];
        snprintf(id, sizeof id, "%lld", ic ? ic : tg);
        r = rpc_query(c,
                      ic ? "SELECT i.id, i.name, k.name, coalesce(i.supplier_rating_plan_id, 0), i.status"
                           " FROM interconnects i JOIN carriers k ON k.id = i.carrier_id WHERE i.id = $1"
                         : "SELECT i.id, i.name, k.name, coalesce(i.supplier_rating_plan_id, 0), i.status"
                           " FROM interconnects i JOIN carriers k ON k.id = i.carrier_id"
                           " WHERE i.trunk_group_id = $1 AND i.direction = 'egress' AND i.deleted_at IS NULL"
                           " ORDER BY i.id",
                      1, id);
        if (!r) {
            json_decref(out);
            json_decref(customer);
            json_decref(routes);
            return -1;
        }
        for (int k = 0; k < PQntuples(r); k++) {
            side_rate sup = { 0 };
            char err[128] = "no supplier rating plan";
            long long splan = atoll(PQgetvalue(r, k, 3));
            if (splan)
                rate_of(c->db, splan, prefix, now, &sup, err, sizeof err);
            json_t *item = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:s, s:b}", "interconnect_id",
                                     (json_int_t)atoll(PQgetvalue(r, k, 0)), "name", PQgetvalue(r, k, 1), "carrier",
                                     PQgetvalue(r, k, 2), "status", PQgetvalue(r, k, 4), "rate",
                                     sup.known ? money_json(sup.rate) : json_null(), "currency", sup.currency,
                                     "destination", sup.destination, "blocked", sup.blocked);
            if (tg)
                json_object_set_new(item, "trunk_group_id", json_integer(tg));
            money_t margin;
            bool same = cust.known && sup.known && !strcmp(cust.currency, sup.currency);
            json_object_set_new(item, "margin",
                                same && !__builtin_sub_overflow(cust.rate, sup.rate, &margin) ? money_json(margin)
                                                                                                : json_null());
            if (!sup.known)
                json_object_set_new(item, "note", json_string(err));
            else if (cust.known && !same)
                json_object_set_new(item, "note", json_string("currency differs from the customer plan"));
            json_array_append_new(out, item);
        }
        PQclear(r);
    }
    json_decref(routes);
    c->result = json_pack("{s:s, s:o, s:o}", "prefix", prefix, "customer", customer, "routes", out);
    return 0;
}

static const rpc_field entry_rates_params[] = {
    { "routing_plan_id", F_ID, F_REQUIRED },
    { "prefix", F_PREFIX, F_REQUIRED },
    { "rating_plan_id", F_ID },
    { NULL },
};

const rpc_method entry_rate_methods[] = {
    { "routing_plan.entry.rates", entry_rates, ROLES_STAFF, 0, entry_rates_params, NULL },
    { NULL },
};
