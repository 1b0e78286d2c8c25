/*
 * sip_options: the SIP OPTIONS request a probe sends and the parser of
 * the answer it gets (RFC 3261). Pure: no sockets, no clock, no
 * allocation, so the unit tests and the fuzz target run the code the
 * probes run (docs/monitoring.md "SIP OPTIONS probes").
 *
 * The parser reads one UDP datagram: the status line, then the headers it
 * needs (Call-ID/i, CSeq, the top Via/v and its branch), names compared
 * without case, compact forms accepted; anything else is skipped. It
 * never reads past len and never writes past the fields of the result.
 */
#ifndef DIDTRON_MONITOR_SIP_OPTIONS_H
#define DIDTRON_MONITOR_SIP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#define SIP_HOST_MAX 64      /* a host as text, NUL included */
#define SIP_TOKEN_MAX 64     /* Call-ID, branch, tag, NUL included */
#define SIP_REASON_MAX 64
#define SIP_DEFAULT_PORT 5060

/* What a probe's request says; the caller fills it in. */
typedef struct {
    char host[SIP_HOST_MAX];        /* the target: Request-URI sip:host:port, To */
    int port;
    char local_host[SIP_HOST_MAX];  /* our address: Via, From, Contact */
    int local_port;
    char call_id[SIP_TOKEN_MAX];    /* unique per probe */
    char branch[SIP_TOKEN_MAX];     /* must start with z9hG4bK */
    char from_tag[SIP_TOKEN_MAX];
    unsigned cseq;
    const char *user_agent;         /* NULL: "didtrond" */
} sip_options_req;

/* Write the request into buf (NUL-terminated). Returns its length, or -1
 * when it does not fit or a field is empty or holds a character that
 * would break the message (CR, LF, space...). */
int sip_options_build(const sip_options_req *r, char *buf, size_t len);

/* An answer, as parsed. */
typedef struct {
    int status;                     /* 100..699 */
    char reason[SIP_REASON_MAX];    /* truncated when longer */
    char call_id[SIP_TOKEN_MAX];    /* "" when absent (or longer than fits) */
    char branch[SIP_TOKEN_MAX];     /* of the top Via; "" when none */
    unsigned cseq;                  /* 0 when absent */
    char cseq_method[16];
} sip_response;

/* Parse one datagram. Returns 0, or -1 when it is not a SIP/2.0 response
 * (a request, garbage, a bad status line, a bad CSeq). */
int sip_response_parse(const char *buf, size_t len, sip_response *out);

/* Is rs the answer to rq: same Call-ID, CSeq number and method OPTIONS,
 * same top Via branch (compared exactly, as RFC 3261 17.1.3 does)? */
bool sip_response_matches(const sip_response *rs, const sip_options_req *rq);

/* Is a final answer with this status a sign of life? Every final answer
 * is, but 408 (a proxy in front says the box behind it did not answer)
 * and 503 (the box says it is out of service: calls sent to it fail). */
bool sip_status_alive(int status);

/* The probe target of one signalling_ips entry: "ip", "ip:port",
 * "[v6]" or "[v6]:port" (a bare IPv6 address has no port). Returns 0 with
 * host and port (SIP_DEFAULT_PORT when none), -1 for a network ("/"), an
 * empty entry, a bad port or one too long. */
int sip_target_parse(const char *entry, char host[SIP_HOST_MAX], int *port);

#endif
