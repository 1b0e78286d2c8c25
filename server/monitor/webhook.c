/*
 * webhook.c: the webhook.post job (docs/monitoring.md "Notify"): POST an
 * alert as JSON to the URL a rule's notify list names. Payload
 * {url, alert}. 2xx: done; 4xx: dead at once (the receiver refuses it,
 * retrying will not help); 5xx, no answer, timeouts: retried with the
 * queue's backoff until max_attempts.
 */
#include "rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../jobs/jobs.h"
#include "../net/http_client.h"

#define WEBHOOK_ATTEMPTS 8

static int timeout_ms = 5000;

static job_outcome post_job(PGconn *db, const job *j, char *detail, size_t detail_len)
{
    (void)db;
    const char *url = json_string_value(json_object_get(j->payload, "url"));
    json_t *alert = json_object_get(j->payload, "alert");
    if (!url || !json_is_object(alert) || (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))) {
        snprintf(detail, detail_len, "bad payload: needs url (http/https) and alert");
        return JOB_FAIL;
    }
    json_t *body = json_pack("{s:s, s:O}", "event", "alert.fired", "alert", alert);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        snprintf(detail, detail_len, "out of memory");
        return JOB_RETRY;
    }
    static const char *const headers[] = { "Content-Type: application/json", "User-Agent: didtrond", NULL };
    http_request rq = { .method = "POST", .url = url, .headers = headers, .body = text, .body_len = strlen(text),
                        .timeout_ms = timeout_ms };
    http_response rs;
    int rc = http_request_do(&rq, &rs);
    free(text);
    job_outcome out;
    if (rc) {
        snprintf(detail, detail_len, "%.100s: %.200s", url, rs.error);
        out = JOB_RETRY;
    } else {
        snprintf(detail, detail_len, "HTTP %ld from %.200s", rs.status, url);
        out = rs.status >= 200 && rs.status < 300 ? JOB_DONE : rs.status >= 400 && rs.status < 500 ? JOB_FAIL
                                                                                                  : JOB_RETRY;
    }
    http_response_free(&rs);
    return out;
}

int webhook_init(const dt_config *cfg)
{
    if (cfg && cfg->monitor_webhook_timeout_ms > 0)
        timeout_ms = cfg->monitor_webhook_timeout_ms;
    return jobs_register("webhook.post", post_job, WEBHOOK_ATTEMPTS);
}
