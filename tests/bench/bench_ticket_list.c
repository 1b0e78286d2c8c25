/*
 * bench_ticket_list: latency of ticket.list first pages over one WebSocket,
 * one request at a time (what a support agent waits for), for the
 * filters a console uses all day.
 *
 *   bench_ticket_list --port P --user U --password W --customer C --customer-password W2
 *                     [--requests N] [--carrier ID]
 *
 * Prints `kind requests=N p50_us=.. p90_us=.. p99_us=.. max_us=..` per
 * query kind and the rows each matched.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

/* Run one kind `requests` times; params_fmt builds the params for round i. */
static int run(wsc *c, const char *kind, int requests, json_t *(*params)(int i, void *ud), void *ud)
{
    long long *lat = calloc((size_t)requests, sizeof *lat);
    int n = 0, errors = 0;
    long long total = -1;
    for (int i = 0; i < requests; i++) {
        json_t *p = params(i, ud);
        long long t0 = bench_now_us();
        json_t *r = wsc_call(c, "ticket.list", p, 10000);
        long long t1 = bench_now_us();
        if (wsc_error_code(r)) {
            if (!errors) {
                char *s = json_dumps(r, JSON_COMPACT);
                fprintf(stderr, "%s: %s\n", kind, s ? s : "?");
                free(s);
            }
            errors++;
        } else {
            lat[n++] = t1 - t0;
            total = (long long)json_integer_value(json_object_get(wsc_result(r), "total"));
        }
        json_decref(r);
    }
    if (n) {
        char line[160];
        printf("%-40s total=%-7lld %s\n", kind, total, bench_latency(line, sizeof line, lat, n));
    }
    free(lat);
    return errors;
}

/* rare words (~0.5% of tickets each, what an agent types to find a
 * ticket) and common ones (~12%) */
static const char *const words[] = { "w17", "w123", "w256", "w399", "w5", "w77", "w310", "w42" };
static const char *const common[] = { "audio", "fax", "invoice", "latency", "dtmf", "outage", "routing", "cli" };
static const char *const prios[] = { "high", "urgent", "normal" };

static json_t *p_open_high_due(int i, void *ud)
{
    (void)ud;
    return json_pack("{s:{s:s, s:s}, s:s, s:i}", "filter", "status", "open", "priority", prios[i % 3], "sort", "due",
                     "limit", 50);
}

static json_t *p_open_pending_due(int i, void *ud)
{
    (void)ud;
    (void)i;
    return json_pack("{s:{s:[ss]}, s:s, s:i}", "filter", "status", "open", "pending", "sort", "due", "limit", 50);
}

static json_t *p_mine(int i, void *ud)
{
    (void)ud;
    return json_pack("{s:{s:b}, s:s, s:i}", "filter", "mine", 1, "sort", i % 2 ? "-updated" : "due", "limit", 50);
}

static json_t *p_carrier(int i, void *ud)
{
    long long carrier = 1 + (i * 37) % *(long long *)ud;
    return json_pack("{s:{s:I}, s:s, s:i}", "filter", "carrier_id", (json_int_t)carrier, "sort", "-updated", "limit",
                     50);
}

static json_t *p_q(int i, void *ud)
{
    (void)ud;
    return json_pack("{s:{s:s}, s:s, s:i}", "filter", "q", words[i % 8], "sort", "-updated", "limit", 50);
}

static json_t *p_q_common(int i, void *ud)
{
    (void)ud;
    return json_pack("{s:{s:s}, s:s, s:i}", "filter", "q", common[i % 8], "sort", "-updated", "limit", 50);
}

static json_t *p_q_open(int i, void *ud)
{
    (void)ud;
    return json_pack("{s:{s:s, s:s}, s:s, s:i}", "filter", "q", words[i % 8], "status", "open", "sort", "-priority",
                     "limit", 50);
}

static json_t *p_breached(int i, void *ud)
{
    (void)ud;
    (void)i;
    return json_pack("{s:{s:b}, s:s, s:i}", "filter", "breached", 1, "sort", "-updated", "limit", 50);
}

static json_t *p_customer(int i, void *ud)
{
    (void)ud;
    return i % 2 ? json_pack("{s:s, s:i}", "sort", "-updated", "limit", 50)
                 : json_pack("{s:{s:s}, s:s, s:i}", "filter", "q", words[i % 8], "sort", "-updated", "limit", 50);
}

int main(int argc, char **argv)
{
    int port = 7480, requests = 500;
    long long carriers = 500;
    const char *user = "agent", *pass = "benchpass123", *cuser = "customer", *cpass = "benchpass123";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (bench_opt(argv[i], argv[i + 1], &port, &user, &pass, &requests))
            continue;
        if (!strcmp(argv[i], "--customer"))
            cuser = argv[i + 1];
        else if (!strcmp(argv[i], "--customer-password"))
            cpass = argv[i + 1];
        else if (!strcmp(argv[i], "--carriers"))
            carriers = atoll(argv[i + 1]);
    }
    wsc *c = bench_session(port, user, pass);
    wsc *cust = bench_session(port, cuser, cpass);
    int errors = 0;
    errors += run(c, "status open + priority, sort due", requests, p_open_high_due, NULL);
    errors += run(c, "status [open,pending], sort due", requests, p_open_pending_due, NULL);
    errors += run(c, "mine, sort due|-updated", requests, p_mine, NULL);
    errors += run(c, "carrier_id, sort -updated", requests, p_carrier, &carriers);
    errors += run(c, "q rare word (~0.5%), sort -updated", requests, p_q, NULL);
    errors += run(c, "q common word (~12%), sort -updated", requests, p_q_common, NULL);
    errors += run(c, "q + status open, sort -priority", requests, p_q_open, NULL);
    errors += run(c, "breached, sort -updated", requests, p_breached, NULL);
    errors += run(cust, "customer: own tickets (+q)", requests, p_customer, NULL);
    wsc_close(c);
    wsc_close(cust);
    return errors ? 1 : 0;
}
