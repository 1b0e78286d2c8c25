/*
 * http_client: the one libcurl wrapper for outside services (Open Exchange
 * Rates, Brevo, Stripe, PayPal, the LLM, ConnexCS). Every client module
 * builds its URL from a base URL in the settings, so tests point it at a
 * local stand-in server.
 *
 * Blocking: call it from a job handler (jobs.h), never from the lws
 * service thread, the ticker or a request worker.
 */
#ifndef DIDTRON_HTTP_CLIENT_H
#define DIDTRON_HTTP_CLIENT_H

#include <stddef.h>

#define HTTP_CLIENT_MAX_BODY (8u * 1024 * 1024) /* a longer answer is an error */

typedef struct {
    const char *method;           /* "GET", "POST", ... */
    const char *url;
    const char *const *headers;   /* "Name: value", NULL-terminated; may be NULL */
    const char *body;             /* may be NULL */
    size_t body_len;
    long timeout_ms;              /* whole request; 0 = 10,000 */
} http_request;

typedef struct {
    long status;                  /* HTTP status; 0 when no answer came */
    char *body;                   /* NUL-terminated, malloc'd (may be NULL) */
    size_t body_len;
    char error[256];              /* transport error ("timed out after 2000 ms", "connection refused"), else "" */
} http_response;

/* Call once at start-up before any thread uses it (curl_global_init). */
int http_client_init(void);

/* Do one request. Returns 0 when an HTTP answer arrived (any status: the
 * caller judges it), -1 on a transport failure (error says which: timeout,
 * refused, bad URL, TLS, body too large). Free rs with http_response_free
 * either way. */
int http_request_do(const http_request *rq, http_response *rs);
void http_response_free(http_response *rs);

#endif
