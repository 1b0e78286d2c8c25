/* SIP OPTIONS probes (docs/monitoring.md): the request we send, the
 * answers we accept, the garbage we refuse, and the probe targets. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "monitor/sip_options.h"
#include "suite.h"

static sip_options_req request(void)
{
    sip_options_req r = { .port = 5070, .local_port = 40000, .cseq = 7 };
    snprintf(r.host, sizeof r.host, "10.0.0.1");
    snprintf(r.local_host, sizeof r.local_host, "127.0.0.1");
    snprintf(r.call_id, sizeof r.call_id, "probe-12-7@didtrond");
    snprintf(r.branch, sizeof r.branch, "z9hG4bK-12-7-abc");
    snprintf(r.from_tag, sizeof r.from_tag, "t12");
    return r;
}

START_TEST(test_the_request_has_every_header_rfc3261_asks_for)
{
    sip_options_req r = request();
    char buf[2048];
    int n = sip_options_build(&r, buf, sizeof buf);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq((int)strlen(buf), n);
    ck_assert_str_eq(strstr(buf, "\r\n") ? "ok" : "no", "ok");
    ck_assert(strncmp(buf, "OPTIONS sip:10.0.0.1:5070 SIP/2.0\r\n", 35) == 0);
    ck_assert_ptr_nonnull(strstr(buf, "\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;rport;branch=z9hG4bK-12-7-abc\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nMax-Forwards: 70\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nFrom: <sip:probe@127.0.0.1:40000>;tag=t12\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nTo: <sip:10.0.0.1:5070>\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nCall-ID: probe-12-7@didtrond\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nCSeq: 7 OPTIONS\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nContact: <sip:probe@127.0.0.1:40000>\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nUser-Agent: didtrond\r\n"));
    ck_assert_ptr_nonnull(strstr(buf, "\r\nAccept: application/sdp\r\n"));
    ck_assert(n > 24 && strcmp(buf + n - 23, "\r\nContent-Length: 0\r\n\r\n") == 0);
}
END_TEST

START_TEST(test_build_refuses_a_bad_branch_an_injected_line_or_a_short_buffer)
{
    sip_options_req r = request();
    char buf[2048];
    snprintf(r.branch, sizeof r.branch, "abc");
    ck_assert_int_eq(sip_options_build(&r, buf, sizeof buf), -1);
    r = request();
    snprintf(r.call_id, sizeof r.call_id, "x\r\nVia: evil");
    ck_assert_int_eq(sip_options_build(&r, buf, sizeof buf), -1);
    r = request();
    r.port = 0;
    ck_assert_int_eq(sip_options_build(&r, buf, sizeof buf), -1);
    r = request();
    ck_assert_int_eq(sip_options_build(&r, buf, 100), -1);
    snprintf(r.host, sizeof r.host, "2001:db8::1");
    ck_assert_int_gt(sip_options_build(&r, buf, sizeof buf), 0);
    ck_assert(strncmp(buf, "OPTIONS sip:[2001:db8::1]:5070 SIP/2.0\r\n", 40) == 0);
}
END_TEST

static const char answer[] =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:40000;rport=40000;branch=z9hG4bK-12-7-abc;received=127.0.0.1\r\n"
    "From: <sip:probe@127.0.0.1:40000>;tag=t12\r\n"
    "To: <sip:10.0.0.1:5070>;tag=abc\r\n"
    "Call-ID: probe-12-7@didtrond\r\n"
    "CSeq: 7 OPTIONS\r\n"
    "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

START_TEST(test_a_200_to_our_request_matches_it)
{
    sip_options_req r = request();
    sip_response rs;
    ck_assert_int_eq(sip_response_parse(answer, strlen(answer), &rs), 0);
    ck_assert_int_eq(rs.status, 200);
    ck_assert_str_eq(rs.reason, "OK");
    ck_assert_str_eq(rs.call_id, "probe-12-7@didtrond");
    ck_assert_str_eq(rs.branch, "z9hG4bK-12-7-abc");
    ck_assert_uint_eq(rs.cseq, 7);
    ck_assert_str_eq(rs.cseq_method, "OPTIONS");
    ck_assert(sip_response_matches(&rs, &r));
    r.cseq = 8;
    ck_assert(!sip_response_matches(&rs, &r));
    r = request();
    snprintf(r.branch, sizeof r.branch, "z9hG4bK-other");
    ck_assert(!sip_response_matches(&rs, &r));
    r = request();
    snprintf(r.call_id, sizeof r.call_id, "other");
    ck_assert(!sip_response_matches(&rs, &r));
}
END_TEST

START_TEST(test_compact_forms_any_case_and_bare_lf_are_read)
{
    static const char compact[] =
        "SIP/2.0 404 Not Here\n"
        "v: SIP/2.0/UDP 127.0.0.1:40000;BRANCH=z9hG4bK-12-7-abc, SIP/2.0/UDP 10.9.9.9;branch=z9hG4bK-later\n"
        "VIA: SIP/2.0/UDP 10.1.1.1;branch=z9hG4bK-second-header\n"
        "i:probe-12-7@didtrond\n"
        "cseq:   7   OPTIONS\n"
        "\n";
    sip_response rs;
    ck_assert_int_eq(sip_response_parse(compact, strlen(compact), &rs), 0);
    ck_assert_int_eq(rs.status, 404);
    ck_assert_str_eq(rs.reason, "Not Here");
    ck_assert_str_eq(rs.branch, "z9hG4bK-12-7-abc");
    ck_assert_str_eq(rs.call_id, "probe-12-7@didtrond");
    sip_options_req r = request();
    ck_assert(sip_response_matches(&rs, &r));
}
END_TEST

START_TEST(test_garbage_requests_and_bad_status_lines_are_refused)
{
    static const char *const bad[] = {
        "",
        "SIP/2.0",
        "OPTIONS sip:a SIP/2.0\r\n\r\n",
        "HTTP/1.1 200 OK\r\n\r\n",
        "SIP/2.0 2000 OK\r\n\r\n",
        "SIP/2.0 099 Low\r\n\r\n",
        "SIP/2.0 700 High\r\n\r\n",
        "SIP/2.0 20x OK\r\n\r\n",
        "SIP/2.0 200 OK",                                 /* no end of line */
        "SIP/2.0 200 OK\r\nno colon here\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: OPTIONS\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: 0 OPTIONS\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: 99999999999 OPTIONS\r\n\r\n",
        "SIP/2.0 200 OK\r\nCSeq: 7\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sip_response rs;
        ck_assert_msg(sip_response_parse(bad[i], strlen(bad[i]), &rs) == -1, "accepted %s", bad[i]);
    }
    /* A NUL inside a value leaves that value empty, and never matches. */
    static const char nul[] = "SIP/2.0 200 OK\r\nCall-ID: a\0b\r\nCSeq: 7 OPTIONS\r\n\r\n";
    sip_response rs;
    ck_assert_int_eq(sip_response_parse(nul, sizeof nul - 1, &rs), 0);
    ck_assert_str_eq(rs.call_id, "");
    /* A long reason is cut, a long Call-ID dropped. */
    char big[600];
    snprintf(big, sizeof big, "SIP/2.0 486 %0200d\r\nCall-ID: %0100d\r\n\r\n", 1, 2);
    ck_assert_int_eq(sip_response_parse(big, strlen(big), &rs), 0);
    ck_assert_int_eq((int)strlen(rs.reason), SIP_REASON_MAX - 1);
    ck_assert_str_eq(rs.call_id, "");
}
END_TEST

START_TEST(test_every_final_answer_but_408_and_503_is_alive)
{
    ck_assert(!sip_status_alive(100));
    ck_assert(!sip_status_alive(183));
    ck_assert(sip_status_alive(200));
    ck_assert(sip_status_alive(404));
    ck_assert(sip_status_alive(405));
    ck_assert(sip_status_alive(486));
    ck_assert(sip_status_alive(500));
    ck_assert(sip_status_alive(603));
    ck_assert(!sip_status_alive(408));
    ck_assert(!sip_status_alive(503));
}
END_TEST

START_TEST(test_targets_take_a_port_default_5060_and_refuse_networks)
{
    char host[SIP_HOST_MAX];
    int port = 0;
    ck_assert_int_eq(sip_target_parse("10.0.0.1", host, &port), 0);
    ck_assert_str_eq(host, "10.0.0.1");
    ck_assert_int_eq(port, 5060);
    ck_assert_int_eq(sip_target_parse("10.0.0.1:5080", host, &port), 0);
    ck_assert_int_eq(port, 5080);
    ck_assert_int_eq(sip_target_parse("2001:db8::1", host, &port), 0);
    ck_assert_str_eq(host, "2001:db8::1");
    ck_assert_int_eq(port, 5060);
    ck_assert_int_eq(sip_target_parse("[2001:db8::1]:5062", host, &port), 0);
    ck_assert_str_eq(host, "2001:db8::1");
    ck_assert_int_eq(port, 5062);
    ck_assert_int_eq(sip_target_parse("10.0.0.0/24", host, &port), -1);
    ck_assert_int_eq(sip_target_parse("", host, &port), -1);
    ck_assert_int_eq(sip_target_parse("10.0.0.1:", host, &port), -1);
    ck_assert_int_eq(sip_target_parse("10.0.0.1:70000", host, &port), -1);
    ck_assert_int_eq(sip_target_parse("10.0.0.1:5x", host, &port), -1);
    ck_assert_int_eq(sip_target_parse("[::1", host, &port), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sip_options");
    TCase *tc = tcase_create("sip_options");
    tcase_add_test(tc, test_the_request_has_every_header_rfc3261_asks_for);
    tcase_add_test(tc, test_build_refuses_a_bad_branch_an_injected_line_or_a_short_buffer);
    tcase_add_test(tc, test_a_200_to_our_request_matches_it);
    tcase_add_test(tc, test_compact_forms_any_case_and_bare_lf_are_read);
    tcase_add_test(tc, test_garbage_requests_and_bad_status_lines_are_refused);
    tcase_add_test(tc, test_every_final_answer_but_408_and_503_is_alive);
    tcase_add_test(tc, test_targets_take_a_port_default_5060_and_refuse_networks);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
