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
#include <time.h>

#include "wsclient.h"

static long long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_ll(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static wsc *session(int port, const char *user, const char *pass)
{
    wsc *c = wsc_connect("127.0.0.1", port, "/ws", "didtron.v1", 5000);
    if (!c) {
        fprintf(stderr, "connect: %s\n", wsc_last_error());
        exit(1);
    }
    json_t *r = wsc_call(c, "auth.login", json_pack("{s:s, s:s}", "username", user, "password", pass), 10000);
    if (wsc_error_code(r)) {
        fprintf(stderr, "login as %s failed\n", user);
        exit(1);
    }
    json_decref(r);
    return c;
}

/* Run one kind `requests` times; params_fmt builds the params for round i. */
static int run(wsc *c, const char *kind, int requests, json_t *(*params)(int i, void *ud), void *ud)
{
    long long *lat = calloc((size_t)requests, sizeof *lat);
    int n = 0, errors = 0;
    long long total = -1;
    for (int i = 0; i < requests; i++) {
        json_t *p = params(i, ud);
        long long t0 = now_us();
        json_t *r = wsc_call(c, "ticket.list", p, 10000);
        long long t1 = now_us();
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
        qsort(lat, (size_t)n, sizeof *lat, cmp_ll);
        printf("%-40s total=%-7lld requests=%d p50_us=%lld p90_us=%lld p99_us=%lld max_us=%lld\n", kind, total, n,
               lat[n / 2], lat[(int)(n * 0.90)], lat[(int)(n * 0.99)], lat[n - 1]);
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
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--user"))
            user = argv[i + 1];
        else if (!strcmp(argv[i], "--password"))
            pass = argv[i + 1];
        else if (!strcmp(argv[i], "--customer"))
            cuser = argv[i + 1];
        else if (!strcmp(argv[i], "--customer-password"))
            cpass = argv[i + 1];
        else if (!strcmp(argv[i], "--requests"))
            requests = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--carriers"))
            carriers = atoll(argv[i + 1]);
    }
    wsc *c = session(port, user, pass);
    wsc *cust = session(port, cuser, cpass);
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
