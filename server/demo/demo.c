#include "demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "../auth/auth.h"
#include "../rpc/dispatch.h"

typedef struct {
    const char *name, *type, *timezone, *currency, *manager, *ip, *prefix, *contact, *email, *phone;
} demo_carrier;

static const demo_carrier carriers[] = {
    /* customers */
    { "Acme Telecom", "customer", "Europe/London", "GBP", "Alice Reed", "192.0.2.10", "101#", "Tom Baker",
      "noc@acme.example", "+442071234567" },
    { "Globex Voice", "customer", "America/New_York", "USD", "Bob Stone", "198.51.100.20", "102#", "Mia Chen",
      "ops@globex.example", "+12125550100" },
    { "Initech Calls", "customer", "America/Chicago", "USD", "Alice Reed", "198.51.100.30", "103#", "Peter Gibbons",
      "tech@initech.example", "+13125550123" },
    { "Umbrella Connect", "customer", "Europe/Berlin", "EUR", "Carla Diaz", "203.0.113.40", "104#", "Jill Valen",
      "noc@umbrella.example", "+4930123456" },
    { "Stark Comms", "customer", "America/Los_Angeles", "USD", "Bob Stone", "203.0.113.50", "105#", "Pepper Potts",
      "voice@stark.example", "+13105550199" },
    { "Wayne Networks", "customer", "America/New_York", "USD", "Carla Diaz", "192.0.2.60", "106#", "Lucius Fox",
      "noc@wayne.example", "+12125550111" },
    { "Soylent Call Center", "customer", "Asia/Manila", "USD", "Alice Reed", "192.0.2.70", "107#", "Rosa Cruz",
      "it@soylent.example", "+6328881234" },
    { "Hooli Business", "customer", "America/Los_Angeles", "USD", "Bob Stone", "198.51.100.80", "108#", "Gavin Belson",
      "telecom@hooli.example", "+16505550142" },
    /* suppliers */
    { "BT Wholesale", "supplier", "Europe/London", "GBP", "Carla Diaz", "192.0.2.110", NULL, "Wholesale NOC",
      "noc@btw.example", "+442079460000" },
    { "Telefonica Global", "supplier", "Europe/Madrid", "EUR", "Alice Reed", "198.51.100.120", NULL, "GSOC",
      "gsoc@tgs.example", "+34911234567" },
    { "Tata Communications", "supplier", "Asia/Kolkata", "USD", "Bob Stone", "203.0.113.130", NULL, "Voice NOC",
      "voice.noc@tata.example", "+912266591234" },
    { "iBasis", "supplier", "America/New_York", "USD", "Carla Diaz", "192.0.2.140", NULL, "Carrier Desk",
      "desk@ibasis.example", "+17815550150" },
    { "Orange Wholesale", "supplier", "Europe/Paris", "EUR", "Alice Reed", "198.51.100.150", NULL, "Interco",
      "interco@orange.example", "+33144445555" },
    { "Lumen Voice", "supplier", "America/Denver", "USD", "Bob Stone", "203.0.113.160", NULL, "Lumen NOC",
      "noc@lumen.example", "+13035550160" },
    /* bilateral */
    { "Sparkle Bilateral", "bilateral", "Europe/Rome", "EUR", "Carla Diaz", "192.0.2.170", "201#", "Marco Rossi",
      "bilateral@sparkle.example", "+390612345678" },
    { "PCCW Global", "bilateral", "Asia/Hong_Kong", "USD", "Alice Reed", "203.0.113.180", "202#", "Kelly Wong",
      "voice@pccw.example", "+85228881234" },
};

/* The destinations the demo rates and routes (scripts/demo-traffic.json
 * sends calls to them): ITU country codes, and the price per minute in the
 * plan's currency, customers' above every supplier's. */
typedef struct {
    const char *prefix, *name, *sell, *buy;
} demo_rate;

static const demo_rate rates[] = {
    { "1", "United States", "0.0090", "0.0050" },
    { "33", "France", "0.0160", "0.0105" },
    { "34", "Spain", "0.0150", "0.0098" },
    { "44", "United Kingdom", "0.0140", "0.0085" },
    { "447", "United Kingdom Mobile", "0.0290", "0.0195" },
    { "49", "Germany", "0.0130", "0.0082" },
    { "91", "India", "0.0210", "0.0140" },
};
#define NRATES (sizeof rates / sizeof rates[0])

/* Call a method as the demo actor; the result (if any) is returned. */
static json_t *run(PGconn *db, const dt_config *cfg, const char *method, json_t *params, char *err, size_t errlen)
{
    rpc_session s;
    auth_system_session(&s, "demo");
    json_t *result = NULL;
    char why[512];
    int rc = rpc_run_local(db, cfg, &s, method, params, &result, why, sizeof why);
    json_decref(params);
    if (rc) {
        snprintf(err, errlen, "%s: %s", method, why);
        return NULL;
    }
    return result;
}

static long long id_of(json_t *r)
{
    long long id = r ? (long long)json_integer_value(json_object_get(r, "id")) : 0;
    json_decref(r);
    return id;
}

/* A rating plan with the demo's rates: customers sell, suppliers buy at
 * a little more per supplier (k = 0, 1, ...) so LCR has an order. */
static long long rated_plan(PGconn *db, const dt_config *cfg, const char *name, const char *currency,
                            const char *direction, int k, char *err, size_t errlen)
{
    long long id = id_of(run(db, cfg, "rating_plan.create",
                             json_pack("{s:s, s:s, s:s}", "name", name, "currency", currency, "direction", direction),
                             err, errlen));
    if (!id)
        return 0;
    char csv[1024] = "prefix,destination,rate\n";
    bool sell = !strcmp(direction, "customer");
    for (size_t i = 0; i < NRATES; i++) {
        /* decimal text: the rate plus k x 0.00004, in micro-units, no doubles */
        const char *base = sell ? rates[i].sell : rates[i].buy;
        long micro = strtol(base + 2, NULL, 10) * 100 + (long)k * 40; /* "0.0085" -> 8500 micro-units */
        size_t n = strlen(csv);
        snprintf(csv + n, sizeof csv - n, "%s,%s,0.%06ld\n", rates[i].prefix, rates[i].name, micro);
    }
    json_t *r = run(db, cfg, "rating_plan.import",
                    json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)id, "csv", csv, "mode", "replace",
                              "effective_from", "2020-01-01T00:00:00Z"), err, errlen);
    if (!r)
        return 0;
    json_decref(r);
    return id;
}

int demo_seed(PGconn *db, const dt_config *cfg, char *err, size_t errlen)
{
    if (auth_demo_seed(db, err, errlen))
        return -1;
    PGresult *r = PQexec(db, "SELECT count(*) FROM carriers");
    bool empty = PQresultStatus(r) == PGRES_TUPLES_OK && atoll(PQgetvalue(r, 0, 0)) == 0;
    PQclear(r);
    if (!empty)
        return 0;

    /* Rated plans for the destinations above, and one LCR routing plan
     * whose entries (below) send each destination to three suppliers. */
    long long retail_usd = rated_plan(db, cfg, "Retail USD", "USD", "customer", 0, err, errlen);
    long long retail_eur = retail_usd ? rated_plan(db, cfg, "Retail EUR", "EUR", "customer", 0, err, errlen) : 0;
    long long retail_gbp = retail_eur ? rated_plan(db, cfg, "Retail GBP", "GBP", "customer", 0, err, errlen) : 0;
    long long lcr = retail_gbp ? id_of(run(db, cfg, "routing_plan.create",
                                           json_pack("{s:s, s:s}", "name", "Global LCR", "mode", "lcr"), err, errlen))
                               : 0;
    if (!retail_usd || !retail_eur || !retail_gbp || !lcr)
        return -1;
    long long egress_ids[16];
    size_t negress = 0;
    long long enterprise = id_of(run(db, cfg, "category.create",
                                     json_pack("{s:s, s:s}", "name", "Enterprise", "description", "Postpaid"), err, errlen));
    long long wholesaler = id_of(run(db, cfg, "category.create",
                                     json_pack("{s:s, s:s}", "name", "Wholesaler", "description", "Postpaid"), err, errlen));
    long long call_center = id_of(run(db, cfg, "category.create",
                                      json_pack("{s:s, s:s}", "name", "Call Center", "description", "Postpaid"), err, errlen));
    long long gold = id_of(run(db, cfg, "group.create", json_pack("{s:s, s:I}", "name", "Gold",
                                                                    "category_id", (json_int_t)wholesaler), err, errlen));
    long long fraud = id_of(run(db, cfg, "blacklist.create",
                                json_pack("{s:s, s:s, s:[s], s:[s,s]}", "name", "Premium rate & satellite",
                                          "description", "Known fraud destinations", "numbers", "+447700900123",
                                          "prefixes", "881", "882"), err, errlen));
    if (!enterprise || !wholesaler || !call_center || !gold || !fraud)
        return -1;

    for (size_t i = 0; i < sizeof carriers / sizeof carriers[0]; i++) {
        const demo_carrier *d = &carriers[i];
        bool customer = strcmp(d->type, "supplier") != 0, supplier = strcmp(d->type, "customer") != 0;
        long long category = !customer ? 0 : i % 3 == 0 ? enterprise : i % 3 == 1 ? wholesaler : call_center;
        json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:s}", "name", d->name, "type", d->type, "timezone",
                              d->timezone, "account_manager", d->manager, "currencies", d->currency,
                              "customer_billing", i % 4 ? "automatic" : "manual");
        if (category)
            json_object_set_new(p, "category_id", json_integer(category));
        if (category == wholesaler)
            json_object_set_new(p, "group_id", json_integer(gold));
        long long carrier = id_of(run(db, cfg, "carrier.create", p, err, errlen));
        if (!carrier)
            return -1;
        json_t *credit = json_pack("{s:I, s:i, s:{s:s, s:s, s:s, s:s, s:s}, s:{s:s}}", "id", (json_int_t)carrier,
                                   "version", 1, "customer", "credit_type", i % 2 ? "postpaid" : "prepaid",
                                   "credit_limit", i % 2 ? "5000" : "0", "spend_limit_24h", "2500",
                                   "spend_limit_24h_breach", i % 3 ? "alert" : "block", "spend_mode_24h", "rolling",
                                   "supplier", "credit_type", "postpaid");
        if (!strcmp(d->type, "bilateral"))
            json_object_set_new(json_object_get(credit, "customer"), "bilateral_limit", json_string("3000"));
        json_t *c2 = run(db, cfg, "carrier.credit.update", credit, err, errlen);
        if (!c2)
            return -1;
        json_decref(c2);
        char acct[32];
        snprintf(acct, sizeof acct, "%s-%04zu", customer ? "C" : "S", 1000 + i);
        json_t *acc = run(db, cfg, "carrier.accounting.update",
                          json_pack("{s:I, s:i, s:s, s:s, s:s}", "carrier_id", (json_int_t)carrier, "version", 2,
                                    customer ? "customer_account_number" : "supplier_account_number", acct,
                                    "tax_code", "TAX-STD", "bill_to", d->name),
                          err, errlen);
        if (!acc)
            return -1;
        json_decref(acc);
        if (!id_of(run(db, cfg, "contact.create",
                       json_pack("{s:I, s:s, s:s, s:s, s:s}", "carrier_id", (json_int_t)carrier, "name", d->contact,
                                 "role", "NOC", "email", d->email, "phone", d->phone), err, errlen)))
            return -1;
        if (customer &&
            !id_of(run(db, cfg, "credit_alert.create",
                       json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)carrier, "type",
                                 "low_balance", "threshold", "100", "template", "low_balance_alert", "recipients",
                                 d->email), err, errlen)))
            return -1;
        if (customer) {
            char ic_name[64];
            snprintf(ic_name, sizeof ic_name, "%.20s-IN-1", d->name);
            for (char *q = ic_name; *q; q++)
                *q = *q == ' ' ? '-' : (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
            long long ic = id_of(run(db, cfg, "interconnect.create",
                                     json_pack("{s:I, s:s, s:s, s:s, s:[s], s:s, s:i, s:i, s:[s,s],"
                                               " s:{s:b}, s:{s:i, s:s}}",
                                               "carrier_id", (json_int_t)carrier, "name", ic_name, "direction",
                                               "ingress", "currency", d->currency, "signalling_ips", d->ip,
                                               "tech_prefix", d->prefix, "capacity", 120, "cps_limit", 20,
                                               "codecs", "PCMA", "G729", "ingress_validation", "ip_validation", 1,
                                               "media", "ptime", 20, "dtmf_mode", "rfc2833"), err, errlen));
            if (!ic)
                return -1;
            long long plan = !strcmp(d->currency, "EUR") ? retail_eur : !strcmp(d->currency, "GBP") ? retail_gbp : retail_usd;
            if (!id_of(run(db, cfg, "service.create",
                           json_pack("{s:I, s:s, s:I, s:I, s:i, s:{s:[I]}}", "interconnect_id", (json_int_t)ic,
                                     "name", "Wholesale voice", "rating_plan_id", (json_int_t)plan, "routing_plan_id",
                                     (json_int_t)lcr, "capacity", 100, "blacklists", "destination_ids",
                                     (json_int_t)fraud), err, errlen)))
                return -1;
        }
        if (supplier) {
            long long splan = rated_plan(db, cfg, d->name, d->currency, "supplier", (int)negress, err, errlen);
            if (!splan)
                return -1;
            for (int k = 1; k <= 2; k++) {
                char ic_name[64];
                snprintf(ic_name, sizeof ic_name, "%.20s-OUT-%d", d->name, k);
                for (char *q = ic_name; *q; q++)
                    *q = *q == ' ' ? '-' : (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
                /* No OPTIONS probes: the demo's addresses are documentation
                 * addresses (RFC 5737) that never answer, so probes would
                 * pause every supplier after a minute and a half. */
                long long eg = id_of(run(db, cfg, "interconnect.create",
                               json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I, s:i, s:{s:[s], s:s},"
                                         " s:{s:b, s:i, s:b, s:i, s:b, s:i}}",
                                         "carrier_id", (json_int_t)carrier, "name", ic_name, "direction", "egress",
                                         "currency", d->currency, "signalling_ips", d->ip, "supplier_rating_plan_id",
                                         (json_int_t)splan, "capacity", k == 1 ? 300 : 150, "egress_routing",
                                         "send_to_ips", d->ip, "transport", "udp", "monitoring", "options_ping", 0,
                                         "options_interval", 30, "auto_disable", 1, "disable_after_failures", 3,
                                         "auto_reenable", 1, "reenable_after_successes", 3), err, errlen));
                if (!eg)
                    return -1;
                if (k == 1 && negress < sizeof egress_ids / sizeof egress_ids[0])
                    egress_ids[negress++] = eg;
            }
        }
    }
    /* Each destination to three suppliers (their first interconnects),
     * a different three per destination; LCR orders them by rate. */
    for (size_t i = 0; negress >= 3 && i < NRATES; i++) {
        json_t *routes = json_array();
        for (size_t k = 0; k < 3; k++)
            json_array_append_new(routes, json_pack("{s:I}", "interconnect_id",
                                                    (json_int_t)egress_ids[(i + k) % negress]));
        json_t *e = run(db, cfg, "routing_plan.entry.set",
                        json_pack("{s:I, s:s, s:o}", "routing_plan_id", (json_int_t)lcr, "prefix", rates[i].prefix,
                                  "routes", routes), err, errlen);
        if (!e)
            return -1;
        json_decref(e);
    }
    log_info("demo: created %zu carriers with their interconnects, services, contacts and credit alerts",
             sizeof carriers / sizeof carriers[0]);
    return 0;
}
