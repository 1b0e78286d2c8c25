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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client.h"
#include "suite.h"

#ifndef KAMAILIO_CFG
#define KAMAILIO_CFG "tests/integration/kamailio/kamailio.cfg"
#endif

static test_server S;
static wsc *admin;
static pid_t kam = -1;
static int sip_port, supplier_fd = -1;
static char cfg_path[128];

static const char *kamailio_bin(void)
{
    static const char *const where[] = { "/usr/sbin/kamailio", "/usr/local/sbin/kamailio", NULL };
    for (int i = 0; where[i]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

static const char *mpath(void)
{
    static const char *const where[] = { "/usr/lib/x86_64-linux-gnu/kamailio/modules/",
                                         "/usr/lib/aarch64-linux-gnu/kamailio/modules/",
                                         "/usr/lib/kamailio/modules/", NULL };
    for (int i = 0; where[i]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%srtjson.so", where[i]);
        if (access(p, R_OK) == 0)
            return where[i];
    }
    return NULL;
}

static long long id_of(json_t *r)
{
    long long id = jint(r, "id");
    json_decref(r);
    return id;
}

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

/* kamailio.cfg with the ports filled in, in a temp file. */
static bool write_cfg(void)
{
    FILE *in = fopen(KAMAILIO_CFG, "r");
    snprintf(cfg_path, sizeof cfg_path, "/tmp/didtron-kamailio-%d.cfg", (int)getpid());
    FILE *out = fopen(cfg_path, "w");
    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return false;
    }
    char line[1024], url[128], port[16];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/route", S.port);
    snprintf(port, sizeof port, "%d", sip_port);
    const char *keys[] = { "@SIP_PORT@", "@ROUTE_URL@", "@MPATH@" }, *vals[] = { port, url, mpath() };
    while (fgets(line, sizeof line, in)) {
        char outl[2048] = "";
        const char *p = line;
        while (*p) {
            int k = -1;
            for (int i = 0; i < 3; i++)
                if (!strncmp(p, keys[i], strlen(keys[i])))
                    k = i;
            if (k >= 0) {
                strncat(outl, vals[k], sizeof outl - strlen(outl) - 1);
                p += strlen(keys[k]);
            } else {
                size_t n = strlen(outl);
                if (n + 1 < sizeof outl) {
                    outl[n] = *p;
                    outl[n + 1] = '\0';
                }
                p++;
            }
        }
        fputs(outl, out);
    }
    fclose(in);
    fclose(out);
    return true;
}

static void stop_kamailio(void)
{
    if (kam > 0) {
        kill(kam, SIGTERM);
        waitpid(kam, NULL, 0);
        kam = -1;
    }
}

START_TEST(test_kamailio_relays_an_invite_to_the_supplier_didtrond_chose)
{
    /* the network: customer on 127.0.0.1 (the test's INVITEs come from
     * there), supplier on 127.0.0.2, one lcr plan for 44 */
    long long cust = id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Customer K", "type",
                                                                "customer", "timezone", "UTC", "currencies", "USD")));
    long long supp = id_of(ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Supplier K", "type",
                                                                "supplier", "timezone", "UTC", "currencies", "USD")));
    json_t *cr = ok(admin, "carrier.get", json_pack("{s:I}", "id", (json_int_t)cust));
    long long version = jint(cr, "version");
    json_decref(cr);
    json_decref(ok(admin, "carrier.credit.update",
                   json_pack("{s:I, s:I, s:{s:s, s:s}}", "id", (json_int_t)cust, "version", (json_int_t)version,
                             "customer", "credit_type", "postpaid", "credit_limit", "100")));
    long long retail = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "Retail K",
                                                                      "currency", "USD", "direction", "customer")));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)retail,
                                                          "csv", "prefix,destination,rate\n44,United Kingdom,0.02\n",
                                                          "mode", "replace", "effective_from", "2020-01-01T00:00:00Z")));
    long long buy = id_of(ok(admin, "rating_plan.create", json_pack("{s:s, s:s, s:s}", "name", "Supplier K plan",
                                                                   "currency", "USD", "direction", "supplier")));
    json_decref(ok(admin, "rating_plan.import", json_pack("{s:I, s:s, s:s, s:s}", "rating_plan_id", (json_int_t)buy,
                                                          "csv", "prefix,destination,rate\n44,United Kingdom,0.01\n",
                                                          "mode", "replace", "effective_from", "2020-01-01T00:00:00Z")));
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

    ck_assert(write_cfg());
    kam = fork();
    if (kam == 0) {
        char log[160];
        snprintf(log, sizeof log, "/tmp/didtron-kamailio-%d.log", (int)getppid());
        FILE *f = freopen(log, "w", stderr);
        (void)f;
        dup2(2, 1);
        execl(kamailio_bin(), "kamailio", "-DD", "-E", "-f", cfg_path, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_gt(kam, 0);
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
    stop_kamailio();
    ck_assert_msg(got > 0, "the supplier received no INVITE (see /tmp/didtron-kamailio-%d.log)", (int)getpid());
    buf[got] = '\0';
    ck_assert_msg(!strncmp(buf, "INVITE sip:447700900123@127.0.0.2:5060 SIP/2.0", 46), "relayed: %.80s", buf);
}
END_TEST

int main(void)
{
    if (!kamailio_bin() || !mpath()) {
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
    stop_kamailio();
    unlink(cfg_path);
    if (!failed) { /* kept for reading when the test failed */
        char log[160];
        snprintf(log, sizeof log, "/tmp/didtron-kamailio-%d.log", (int)getpid());
        unlink(log);
    }
    wsc_close(admin);
    server_stop(&S, 10000);
    harness_done();
    close(supplier_fd);
    curl_global_cleanup();
    return failed;
}
