/*
 * fuzz_sip_options: the SIP response parser and the probe target parser
 * (server/monitor/sip_options.c) on arbitrary bytes.
 *
 * Promises checked: parsing never reads past the input (ASan), a parsed
 * answer has a status 100..699 and NUL-terminated fields within their
 * sizes, and a parsed answer matches a request only when the request's
 * Call-ID, CSeq and branch are the answer's. The input as a
 * signalling_ips entry: an accepted target has a host that fits and a
 * port 1..65535. Built by tests/fuzz/run.sh with clang
 * -fsanitize=fuzzer,address,undefined.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sip_options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sip_response rs;
    if (sip_response_parse((const char *)data, size, &rs) == 0) {
        if (rs.status < 100 || rs.status > 699)
            __builtin_trap();
        if (strnlen(rs.reason, sizeof rs.reason) == sizeof rs.reason ||
            strnlen(rs.call_id, sizeof rs.call_id) == sizeof rs.call_id ||
            strnlen(rs.branch, sizeof rs.branch) == sizeof rs.branch ||
            strnlen(rs.cseq_method, sizeof rs.cseq_method) == sizeof rs.cseq_method)
            __builtin_trap();
        sip_options_req rq = { .cseq = rs.cseq };
        memcpy(rq.call_id, rs.call_id, sizeof rq.call_id);
        memcpy(rq.branch, rs.branch, sizeof rq.branch);
        bool m = sip_response_matches(&rs, &rq);
        if (m != (rs.call_id[0] && rs.branch[0] && !strcmp(rs.cseq_method, "OPTIONS")))
            __builtin_trap();
        rq.cseq = rs.cseq + 1;
        if (sip_response_matches(&rs, &rq))
            __builtin_trap();
    }
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char host[SIP_HOST_MAX];
    int port = 0;
    if (sip_target_parse(text, host, &port) == 0) {
        if (strnlen(host, sizeof host) == sizeof host || !host[0] || port < 1 || port > 65535)
            __builtin_trap();
        sip_options_req rq = { .port = port, .local_port = 5060, .cseq = 1 };
        memcpy(rq.host, host, sizeof host);
        strcpy(rq.local_host, "127.0.0.1");
        strcpy(rq.call_id, "c");
        strcpy(rq.branch, "z9hG4bK1");
        strcpy(rq.from_tag, "t");
        char buf[1024];
        int n = sip_options_build(&rq, buf, sizeof buf);
        if (n >= 0) {
            /* What we send parses as a request, never as an answer. */
            sip_response again;
            if (sip_response_parse(buf, (size_t)n, &again) == 0)
                __builtin_trap();
        }
    }
    free(text);
    return 0;
}
