/*
 * http_client.c: one blocking request per call on a fresh curl easy handle.
 *
 * What every request gets, whoever calls:
 *   - CURLOPT_NOSIGNAL: job threads must never see SIGALRM from the
 *     resolver (the signal thread owns signals; libcurl's threaded
 *     resolver keeps timeouts working without them);
 *   - one deadline for the whole request (timeout_ms, default 10 s) and a
 *     connect deadline within it;
 *   - http and https only, and no redirects at all: the services we call
 *     (OXR, Brevo, Stripe, ...) answer their API URLs directly, and a
 *     redirect to another host would carry our credentials (OXR's app_id
 *     is in the query) somewhere we never configured. A 3xx comes back as
 *     an answer with its status for the caller to judge;
 *   - at most HTTP_CLIENT_MAX_BODY bytes of (decoded) body: a longer answer
 *     is cut off and reported as a transport error, so a broken or hostile
 *     peer cannot make a job eat memory;
 *   - TLS peer and host verification as libcurl does by default (on).
 *
 * Error texts never contain the URL: callers put secrets in URLs.
 */
#include "http_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef DIDTRON_VERSION
#define DIDTRON_VERSION "dev"
#endif

#define DEFAULT_TIMEOUT_MS 10000L
#define MAX_CONNECT_TIMEOUT_MS 10000L

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static CURLcode init_rc = CURLE_FAILED_INIT;

static void global_init(void)
{
    init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int http_client_init(void)
{
    pthread_once(&init_once, global_init);
    return init_rc == CURLE_OK ? 0 : -1;
}

typedef struct {
    char *buf;
    size_t len, cap;
    int too_large;
} sink;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (n > HTTP_CLIENT_MAX_BODY - s->len) {
        s->too_large = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (s->len + n + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 16384;
        while (cap < s->len + n + 1)
            cap *= 2;
        if (cap > HTTP_CLIENT_MAX_BODY + 1)
            cap = HTTP_CLIENT_MAX_BODY + 1;
        char *nb = realloc(s->buf, cap);
        if (!nb)
            return 0;
        s->buf = nb;
        s->cap = cap;
    }
    memcpy(s->buf + s->len, ptr, n);
    s->len += n;
    s->buf[s->len] = '\0';
    return n;
}

static void describe_failure(CURLcode rc, const char *errbuf, long timeout_ms, const sink *s, http_response *rs)
{
    if (s->too_large) {
        snprintf(rs->error, sizeof rs->error, "answer larger than %u bytes", HTTP_CLIENT_MAX_BODY);
        return;
    }
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(rs->error, sizeof rs->error, "timed out after %ld ms", timeout_ms);
        return;
    case CURLE_COULDNT_CONNECT:
        snprintf(rs->error, sizeof rs->error, "connection refused or unreachable");
        return;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(rs->error, sizeof rs->error, "host name not resolved");
        return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        snprintf(rs->error, sizeof rs->error, "bad URL (http or https only)");
        return;
    case CURLE_FILESIZE_EXCEEDED:
        snprintf(rs->error, sizeof rs->error, "answer larger than %u bytes", HTTP_CLIENT_MAX_BODY);
        return;
    default:
        /* curl's own words (TLS, protocol errors); errbuf holds no URL
         * for these, but keep it short. */
        snprintf(rs->error, sizeof rs->error, "%.200s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
        return;
    }
}

int http_request_do(const http_request *rq, http_response *rs)
{
    memset(rs, 0, sizeof *rs);
    if (!rq || !rq->url || !rq->method || !rq->method[0]) {
        snprintf(rs->error, sizeof rs->error, "bad request: no method or URL");
        return -1;
    }
    if (http_client_init()) {
        snprintf(rs->error, sizeof rs->error, "libcurl could not be initialised");
        return -1;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(rs->error, sizeof rs->error, "out of memory");
        return -1;
    }
    long timeout_ms = rq->timeout_ms > 0 ? rq->timeout_ms : DEFAULT_TIMEOUT_MS;
    long connect_ms = timeout_ms < MAX_CONNECT_TIMEOUT_MS ? timeout_ms : MAX_CONNECT_TIMEOUT_MS;
    char errbuf[CURL_ERROR_SIZE] = "";
    sink s = { 0 };
    struct curl_slist *headers = NULL;
    int rc = -1;

    for (const char *const *hd = rq->headers; hd && *hd; hd++) {
        struct curl_slist *n = curl_slist_append(headers, *hd);
        if (!n) {
            snprintf(rs->error, sizeof rs->error, "out of memory");
            goto out;
        }
        headers = n;
    }

    CURLcode set = CURLE_OK;
#define SET(opt, val) \
    do { \
        if (set == CURLE_OK) \
            set = curl_easy_setopt(h, opt, val); \
    } while (0)
    SET(CURLOPT_URL, rq->url);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, timeout_ms);
    SET(CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)HTTP_CLIENT_MAX_BODY);
    SET(CURLOPT_ACCEPT_ENCODING, "");       /* what libcurl can decode; the cap applies after decoding */
    SET(CURLOPT_USERAGENT, "didtrond/" DIDTRON_VERSION);
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, &s);
    if (headers)
        SET(CURLOPT_HTTPHEADER, headers);
    if (!strcmp(rq->method, "GET")) {
        SET(CURLOPT_HTTPGET, 1L);
    } else {
        if (strcmp(rq->method, "POST"))
            SET(CURLOPT_CUSTOMREQUEST, rq->method);
        if (rq->body || !strcmp(rq->method, "POST")) {
            SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
            SET(CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
        }
    }
#undef SET
    if (set != CURLE_OK) {
        snprintf(rs->error, sizeof rs->error, "libcurl: %s", curl_easy_strerror(set));
        goto out;
    }

    CURLcode done = curl_easy_perform(h);
    if (done != CURLE_OK) {
        describe_failure(done, errbuf, timeout_ms, &s, rs);
        goto out;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rs->status);
    if (!s.buf) {
        s.buf = calloc(1, 1);
        if (!s.buf) {
            snprintf(rs->error, sizeof rs->error, "out of memory");
            goto out;
        }
    }
    rs->body = s.buf;
    rs->body_len = s.len;
    s.buf = NULL;
    rc = 0;
out:
    free(s.buf);
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return rc;
}

void http_response_free(http_response *rs)
{
    if (!rs)
        return;
    free(rs->body);
    rs->body = NULL;
    rs->body_len = 0;
}
