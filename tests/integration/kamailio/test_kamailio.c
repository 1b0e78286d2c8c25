/*
 * Integration: a real Kamailio (Debian's kamailio, kamailio-json-modules,
 * kamailio-utils-modules) on loopback asks didtrond for routes per INVITE
 * (GET /api/v1/route?format=rtjson through http_client + rtjson, allowed
 * by address) and relays the INVITE to the supplier didtrond chose: a UDP
 * socket of this test on 127.0.0.2:5060 (the egress interconnect's
 * signalling IP; rtjson URIs use port 5060, docs/integrations.md).
 *
 * Skipped (77) when kamailio is not installed, when 127.0.0.2:5060 is
 * taken, or when this server has no route.lookup yet.
 */
#include <arpa/inet.h>
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.h"
#include "kamailio_run.h"
#include "suite.h"

#ifndef KAMAILIO_CFG
#define KAMAILIO_CFG "tests/integration/kamailio/kamailio.cfg"
#endif

static test_server S;
static wsc *admin;
static kamailio_run kam = { .pid = -1 };
static int sip_port, supplier_fd = -1;

static size_t discard(char *p, size_t s, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return s * n;
}

static long http_status(const char *path)
{
    char url[256];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", S.port, path);
    CURL *h = curl_easy_init();
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    long status = -1;
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

START_TEST(test_kamailio_relays_an_invite_to_the_supplier_didtrond_chose)
{
    /* the network: customer on 127.0.0.1 (the test's INVITEs come from
     * there), supplier on 127.0.0.2, one lcr plan for 44 */
    long long cust = carrier_usd(admin, "Customer K", "customer");
    long long supp = carrier_usd(admin, "Supplier K", "supplier");
    carrier_postpaid(admin, cust, "100");
    long long retail = rating_plan_with(admin, "Retail K", "customer", UK_DECK("0.02"));
    long long buy = rating_plan_with(admin, "Supplier K plan", "supplier", UK_DECK("0.01"));
    long long egress = id_of(ok(admin, "interconnect.create",
                                json_pack("{s:I, s:s, s:s, s:s, s:[s], s:I}", "carrier_id", (json_int_t)supp, "name",
                                          "K-OUT", "direction", "egress", "currency", "USD", "signalling_ips",
                                          "127.0.0.2", "supplier_rating_plan_id", (json_int_t)buy)));
    long long ingress = id_of(ok(admin, "interconnect.create",
                                 json_pack("{s:I, s:s, s:s, s:s, s:[s]}", "carrier_id", (json_int_t)cust, "name", "K-IN",
                                           "direction", "ingress", "currency", "USD", "signalling_ips", "127.0.0.1")));
    long long plan = id_of(ok(admin, "routing_plan.create", json_pack("{s:s, s:s}", "name", "K LCR", "mode", "lcr")));
    json_decref(ok(admin, "routing_plan.entry.set",
                   json_pack("{s:I, s:s, s:[{s:I}]}", "routing_plan_id", (json_int_t)plan, "prefix", "44", "routes",
                             "interconnect_id", (json_int_t)egress)));
    json_decref(ok(admin, "service.create", json_pack("{s:I, s:s, s:I, s:I}", "interconnect_id", (json_int_t)ingress,
                                                      "name", "K service", "rating_plan_id", (json_int_t)retail,
                                                      "routing_plan_id", (json_int_t)plan)));

    char url[128], port[16];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/route", S.port);
    snprintf(port, sizeof port, "%d", sip_port);
    const char *keys[] = { "@SIP_PORT@", "@ROUTE_URL@" }, *vals[] = { port, url };
    ck_assert(kamailio_start(&kam, "kamailio", KAMAILIO_CFG, "rtjson.so", keys, vals, 2));
    usleep(1500 * 1000);

    int c = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in me = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
    me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(c, (struct sockaddr *)&me, sizeof me), 0);
    socklen_t ml = sizeof me;
    getsockname(c, (struct sockaddr *)&me, &ml);
    int myport = ntohs(me.sin_port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons((uint16_t)sip_port);
    char inv[1024];
    int n = snprintf(inv, sizeof inv,
                     "INVITE sip:447700900123@127.0.0.1:%d SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-didtron-1\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:15551234567@127.0.0.1>;tag=k1\r\n"
                     "To: <sip:447700900123@127.0.0.1>\r\n"
                     "Call-ID: kamailio-test-1@127.0.0.1\r\n"
                     "CSeq: 1 INVITE\r\n"
                     "Contact: <sip:15551234567@127.0.0.1:%d>\r\n"
                     "Content-Length: 0\r\n\r\n",
                     sip_port, myport, myport);
    ck_assert_int_eq(sendto(c, inv, (size_t)n, 0, (struct sockaddr *)&to, sizeof to), n);

    char buf[4096];
    struct timeval tv = { 5, 0 };
    setsockopt(supplier_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t got = recv(supplier_fd, buf, sizeof buf - 1, 0);
    close(c);
    kamailio_stop(&kam);
    ck_assert_msg(got > 0, "the supplier received no INVITE (see %s)", kam.log);
    buf[got] = '\0';
    ck_assert_msg(!strncmp(buf, "INVITE sip:447700900123@127.0.0.2:5060 SIP/2.0", 46), "relayed: %.80s", buf);
}
END_TEST

int main(void)
{
    if (!kamailio_bin() || !kamailio_mpath("rtjson.so")) {
        fprintf(stderr, "kamailio (with rtjson) is not installed: skipped\n");
        return 77;
    }
    supplier_fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(5060) };
    inet_pton(AF_INET, "127.0.0.2", &sa.sin_addr);
    if (bind(supplier_fd, (struct sockaddr *)&sa, sizeof sa)) {
        fprintf(stderr, "127.0.0.2:5060 is not free (%s): skipped\n", strerror(errno));
        return 77;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const char *flags[] = { "--route-allow-ips", "127.0.0.1", NULL };
    admin = start_with_root(&S, "didtron_test_kamailio", "kamailio", flags);
    if (http_status("/api/v1/route?callee=44") == 404) {
        fprintf(stderr, "this didtrond has no route.lookup yet: skipped\n");
        wsc_close(admin);
        server_stop(&S, 10000);
        harness_done();
        return 77;
    }
    sip_port = harness_free_port(); /* a free TCP port; the UDP one is almost surely free too */
    Suite *s = suite_create("kamailio");
    TCase *tc = tcase_create("kamailio");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_kamailio_relays_an_invite_to_the_supplier_didtrond_chose);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, true);
    kamailio_done(&kam, failed); /* the log kept for reading when the test failed */
    wsc_close(admin);
    server_stop(&S, 10000);
    harness_done();
    close(supplier_fd);
    curl_global_cleanup();
    return failed;
}
