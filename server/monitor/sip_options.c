/*
 * sip_options.c: build an OPTIONS request, parse a response (sip_options.h).
 *
 * The parser walks the datagram line by line with explicit lengths (a
 * datagram is not NUL-terminated and may hold NULs); every copy into the
 * result is bounded. Lines end in CRLF or a bare LF; the headers end at
 * the first empty line. A header continued on the next line (folding,
 * obsolete but legal) is read only as far as its first line.
 */
#include "sip_options.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static bool token_ok(const char *s)
{
    if (!s[0])
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == ';' || *p == ',' || *p == '<' || *p == '>' || *p == '"')
            return false;
    return true;
}

static bool host_ok(const char *s)
{
    if (!token_ok(s))
        return false;
    for (const char *p = s; *p; p++)
        if (*p == '@' || *p == '/' || *p == '?')
            return false;
    return true;
}

/* "[v6]" for an IPv6 address, else as is. */
static void host_text(const char *h, char *out, size_t n)
{
    snprintf(out, n, strchr(h, ':') && h[0] != '[' ? "[%s]" : "%s", h);
}

int sip_options_build(const sip_options_req *r, char *buf, size_t len)
{
    if (!host_ok(r->host) || !host_ok(r->local_host) || !token_ok(r->call_id) || !token_ok(r->branch) ||
        !token_ok(r->from_tag) || strncmp(r->branch, "z9hG4bK", 7) || r->port < 1 || r->port > 65535 ||
        r->local_port < 1 || r->local_port > 65535 || r->cseq == 0)
        return -1;
    const char *ua = r->user_agent ? r->user_agent : "didtrond";
    for (const char *p = ua; *p; p++)
        if (*p == '\r' || *p == '\n')
            return -1;
    char to[SIP_HOST_MAX + 2], from[SIP_HOST_MAX + 2];
    host_text(r->host, to, sizeof to);
    host_text(r->local_host, from, sizeof from);
    int n = snprintf(buf, len,
                     "OPTIONS sip:%s:%d SIP/2.0\r\n"
                     "Via: SIP/2.0/UDP %s:%d;rport;branch=%s\r\n"
                     "Max-Forwards: 70\r\n"
                     "From: <sip:probe@%s:%d>;tag=%s\r\n"
                     "To: <sip:%s:%d>\r\n"
                     "Call-ID: %s\r\n"
                     "CSeq: %u OPTIONS\r\n"
                     "Contact: <sip:probe@%s:%d>\r\n"
                     "User-Agent: %s\r\n"
                     "Accept: application/sdp\r\n"
                     "Content-Length: 0\r\n"
                     "\r\n",
                     to, r->port, from, r->local_port, r->branch, from, r->local_port, r->from_tag, to, r->port,
                     r->call_id, r->cseq, from, r->local_port, ua);
    return n < 0 || (size_t)n >= len ? -1 : n;
}

/* ---- parsing ---- */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

/* Copy [s, s+n) trimmed of blanks into out; "" when it does not fit. */
static void copy_trimmed(const char *s, size_t n, char *out, size_t cap)
{
    while (n && is_ws(*s))
        s++, n--;
    while (n && is_ws(s[n - 1]))
        n--;
    if (n >= cap || memchr(s, '\0', n)) {
        out[0] = '\0';
        return;
    }
    memcpy(out, s, n);
    out[n] = '\0';
}

static bool name_is(const char *s, size_t n, const char *name)
{
    return strlen(name) == n && strncasecmp(s, name, n) == 0;
}

/* The branch parameter of the first Via value in [v, v+n). */
static void via_branch(const char *v, size_t n, char *out, size_t cap)
{
    out[0] = '\0';
    const char *end = v + n;
    const char *comma = memchr(v, ',', n);
    if (comma)
        end = comma;
    for (const char *p = v; p < end; p++) {
        if (*p != ';')
            continue;
        const char *q = p + 1;
        while (q < end && is_ws(*q))
            q++;
        if ((size_t)(end - q) > 7 && strncasecmp(q, "branch", 6) == 0) {
            const char *e = q + 6;
            while (e < end && is_ws(*e))
                e++;
            if (e < end && *e == '=') {
                e++;
                const char *stop = e;
                while (stop < end && *stop != ';')
                    stop++;
                copy_trimmed(e, (size_t)(stop - e), out, cap);
                return;
            }
        }
    }
}

static int parse_cseq(const char *v, size_t n, sip_response *out)
{
    size_t i = 0;
    while (i < n && is_ws(v[i]))
        i++;
    unsigned long num = 0;
    size_t digits = 0;
    while (i < n && v[i] >= '0' && v[i] <= '9' && digits < 10) {
        num = num * 10 + (unsigned long)(v[i] - '0');
        i++, digits++;
    }
    if (!digits || num == 0 || num > 0x7fffffffUL || i >= n || !is_ws(v[i]))
        return -1;
    while (i < n && is_ws(v[i]))
        i++;
    copy_trimmed(v + i, n - i, out->cseq_method, sizeof out->cseq_method);
    if (!out->cseq_method[0])
        return -1;
    out->cseq = (unsigned)num;
    return 0;
}

int sip_response_parse(const char *buf, size_t len, sip_response *out)
{
    memset(out, 0, sizeof *out);
    if (!buf || len < 12 || memcmp(buf, "SIP/2.0 ", 8))
        return -1;
    const char *p = buf + 8, *end = buf + len;
    /* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
    if (end - p < 3 || p[0] < '1' || p[0] > '6' || p[1] < '0' || p[1] > '9' || p[2] < '0' || p[2] > '9')
        return -1;
    out->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    p += 3;
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol || (p < eol && *p != ' ' && *p != '\r'))
        return -1;
    const char *reason_end = eol > p && eol[-1] == '\r' ? eol - 1 : eol;
    while (p < reason_end && is_ws(*p))
        p++;
    if (p < reason_end) {
        size_t n = (size_t)(reason_end - p);
        if (n >= sizeof out->reason)
            n = sizeof out->reason - 1;
        copy_trimmed(p, n, out->reason, sizeof out->reason);
    }
    bool have_via = false, have_cseq = false;
    p = eol + 1;
    while (p < end) {
        eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *next = eol ? eol + 1 : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        if (line_end == p)
            break;                          /* the empty line: the body follows */
        if (is_ws(*p)) {                    /* folded continuation */
            p = next;
            continue;
        }
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (!colon)
            return -1;
        size_t nlen = (size_t)(colon - p);
        while (nlen && is_ws(p[nlen - 1]))
            nlen--;
        const char *v = colon + 1;
        size_t vlen = (size_t)(line_end - v);
        if (name_is(p, nlen, "Call-ID") || name_is(p, nlen, "i")) {
            copy_trimmed(v, vlen, out->call_id, sizeof out->call_id);
        } else if (name_is(p, nlen, "CSeq")) {
            if (have_cseq || parse_cseq(v, vlen, out))
                return -1;
            have_cseq = true;
        } else if ((name_is(p, nlen, "Via") || name_is(p, nlen, "v")) && !have_via) {
            via_branch(v, vlen, out->branch, sizeof out->branch);
            have_via = true;
        }
        p = next;
    }
    return 0;
}

bool sip_response_matches(const sip_response *rs, const sip_options_req *rq)
{
    return rs->call_id[0] && strcmp(rs->call_id, rq->call_id) == 0 && rs->cseq == rq->cseq &&
           strcmp(rs->cseq_method, "OPTIONS") == 0 && rs->branch[0] && strcmp(rs->branch, rq->branch) == 0;
}

bool sip_status_alive(int status)
{
    return status >= 200 && status <= 699 && status != 408 && status != 503;
}

int sip_target_parse(const char *entry, char host[SIP_HOST_MAX], int *port)
{
    if (!entry || !entry[0] || strchr(entry, '/'))
        return -1;
    const char *h = entry, *portp = NULL;
    size_t hlen;
    if (entry[0] == '[') {
        const char *close = strchr(entry, ']');
        if (!close || close == entry + 1)
            return -1;
        h = entry + 1;
        hlen = (size_t)(close - h);
        if (close[1] == ':')
            portp = close + 2;
        else if (close[1])
            return -1;
    } else {
        const char *colon = strchr(entry, ':');
        if (colon && strchr(colon + 1, ':')) {
            hlen = strlen(entry);           /* a bare IPv6 address */
        } else {
            hlen = colon ? (size_t)(colon - entry) : strlen(entry);
            portp = colon ? colon + 1 : NULL;
        }
    }
    if (hlen == 0 || hlen >= SIP_HOST_MAX)
        return -1;
    int pn = SIP_DEFAULT_PORT;
    if (portp) {
        if (!*portp || strlen(portp) > 5)
            return -1;
        pn = 0;
        for (const char *q = portp; *q; q++) {
            if (*q < '0' || *q > '9')
                return -1;
            pn = pn * 10 + (*q - '0');
        }
        if (pn < 1 || pn > 65535)
            return -1;
    }
    memcpy(host, h, hlen);
    host[hlen] = '\0';
    if (!host_ok(host))
        return -1;
    *port = pn;
    return 0;
}
