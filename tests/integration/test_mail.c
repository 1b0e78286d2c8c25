/*
 * Integration: e-mail (docs/mail.md) — `email.send` jobs against a
 * stand-in Brevo server in this process that checks each request's shape
 * (POST /v3/smtp/email, the api-key header, the JSON body's sender, to,
 * subject and parts) and answers as `brevo.mode` says: 201 with a
 * messageId (job done), 400 with Brevo's error JSON (dead letter at once,
 * Brevo's message kept), 500 and a timeout (retried, then sent), plus bad
 * payloads that never reach Brevo, a credit alert crossing in the ledger
 * that ends as an e-mail at the stand-in, mail.templates and mail.preview
 * with their roles, and finally a second instance with no API key that
 * writes the e-mail to its outbox directory (and lists it in mail.outbox).
 *
 * didtrond runs with a 1 s Brevo timeout and a 100 ms job backoff base,
 * so a retry comes within half a second.
 */
#include <check.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "http_standin.h"
#include "suite.h"

#define API_KEY "xkeysib-test-0123456789abcdef"
#define FROM "alerts@didtron.example"

static test_server S, S2;
static wsc *admin;
static char outbox[256];

/* ---- the stand-in Brevo server ---- */

typedef enum { MODE_OK, MODE_BAD_REQUEST, MODE_ERROR500, MODE_TIMEOUT, MODE_TOO_MANY } brevo_mode;

static struct {
    pthread_mutex_t lock;
    http_standin *srv;
    int port;
    brevo_mode mode;            /* for the next `times` requests, then MODE_OK */
    int times;
    int requests;
    char method[16], path[256], api_key[128], content_type[128];
    json_t *body;               /* the last request's body, parsed */
} brevo = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void brevo_set(brevo_mode mode, int times)
{
    pthread_mutex_lock(&brevo.lock);
    brevo.mode = mode;
    brevo.times = times;
    pthread_mutex_unlock(&brevo.lock);
}

static int brevo_requests(void)
{
    pthread_mutex_lock(&brevo.lock);
    int n = brevo.requests;
    pthread_mutex_unlock(&brevo.lock);
    return n;
}

/* The last request's body (new reference). */
static json_t *brevo_last_body(void)
{
    pthread_mutex_lock(&brevo.lock);
    json_t *b = json_incref(brevo.body);
    pthread_mutex_unlock(&brevo.lock);
    return b;
}

#define JSON_UTF8 "application/json; charset=utf-8"

static bool brevo_answer(int fd, const http_request *req, void *user)
{
    (void)user;
    pthread_mutex_lock(&brevo.lock);
    brevo.requests++;
    brevo_mode mode = brevo.times > 0 ? brevo.mode : MODE_OK;
    if (brevo.times > 0)
        brevo.times--;
    snprintf(brevo.method, sizeof brevo.method, "%s", req->method);
    snprintf(brevo.path, sizeof brevo.path, "%.255s", req->target);
    http_header_value(req->head, "api-key", brevo.api_key, sizeof brevo.api_key);
    http_header_value(req->head, "Content-Type", brevo.content_type, sizeof brevo.content_type);
    json_decref(brevo.body);
    brevo.body = json_loadb(req->body, req->body_len, 0, NULL);
    int n = brevo.requests;
    pthread_mutex_unlock(&brevo.lock);

    if (mode == MODE_TIMEOUT) {
        http_hold(fd, brevo.srv); /* never answer */
    } else if (mode == MODE_BAD_REQUEST) {
        http_answer(fd, 400, "Bad Request", JSON_UTF8,
                    "{\"code\":\"invalid_parameter\",\"message\":\"sender is not valid\"}", false);
    } else if (mode == MODE_ERROR500) {
        http_answer(fd, 500, "Internal Server Error", JSON_UTF8,
                    "{\"code\":\"internal_error\",\"message\":\"try later\"}", false);
    } else if (mode == MODE_TOO_MANY) {
        http_answer(fd, 429, "Too Many Requests", JSON_UTF8,
                    "{\"code\":\"too_many_requests\",\"message\":\"slow down\"}", false);
    } else {
        char ok_body[128];
        snprintf(ok_body, sizeof ok_body, "{\"messageId\":\"<20261123.%d@smtp-relay.mailin.fr>\"}", n);
        http_answer(fd, 201, "Created", JSON_UTF8, ok_body, false);
    }
    return false;
}

static void brevo_start(void)
{
    brevo.srv = http_standin_start(0, brevo_answer, NULL);
    if (!brevo.srv) {
        fprintf(stderr, "setup: the stand-in Brevo server cannot start\n");
        exit(1);
    }
    brevo.port = http_standin_port(brevo.srv);
}

static void brevo_stop(void)
{
    http_standin_stop(brevo.srv);
    json_decref(brevo.body);
}

/* ---- helpers ---- */

/* Queue an e-mail through mail.send (payload: its params). */
static long long enqueue(wsc *c, json_t *payload)
{
    json_t *r = ok(c, "mail.send", payload);
    long long id = jint(r, "job_id");
    ck_assert_int_gt(id, 0);
    json_decref(r);
    return id;
}

/* Queue an email.send job with any payload, as another module would
 * (mail.send refuses bad ones before they are queued). */
static long long enqueue_raw(json_t *payload)
{
    char *text = json_dumps(payload, JSON_COMPACT);
    const char *params[] = { text };
    long long id = atoll(harness_sql_params("WITH j AS (INSERT INTO jobs (kind, payload) VALUES ('email.send', $1::jsonb)"
                                            " RETURNING id) SELECT id FROM j, pg_notify('didtron_jobs', 'email.send')",
                                            1, params));
    free(text);
    json_decref(payload);
    ck_assert_int_gt(id, 0);
    return id;
}

/* The job once it is done or dead. */
static json_t *job_finished(wsc *c, long long id)
{
    for (int i = 0; i < 300; i++) {
        json_t *j = ok(c, "job.get", json_pack("{s:I}", "id", (json_int_t)id));
        const char *state = jstr(j, "state");
        if (!strcmp(state, "done") || !strcmp(state, "dead"))
            return j;
        json_decref(j);
        msleep(50);
    }
    ck_abort_msg("job %lld did not finish", id);
    return NULL;
}

static const char *detail_of(json_t *job, size_t attempt)
{
    return jstr(json_array_get(json_object_get(job, "attempt_log"), attempt), "detail");
}

static const char *outcome_of(json_t *job, size_t attempt)
{
    return jstr(json_array_get(json_object_get(job, "attempt_log"), attempt), "outcome");
}

static void assert_state(json_t *job, const char *state)
{
    json_t *log = json_object_get(job, "attempt_log");
    ck_assert_msg(!strcmp(jstr(job, "state"), state), "job %lld is %s, not %s: %s", jint(job, "id"),
                  jstr(job, "state"), state, detail_of(job, json_array_size(log) - 1));
}

static json_t *ticket_payload(const char *to)
{
    return json_pack("{s:s, s:[{s:s, s:s}], s:{s:s, s:s, s:s, s:s, s:s}}", "template", "ticket_created", "to",
                     "email", to, "name", "Ann Operator", "vars", "ticket_number", "T-000123", "subject",
                     "No audio <both ways>", "carrier_name", "Acme & Sons", "reply_excerpt",
                     "Calls to 44 drop after 30 s", "status", "open");
}

/* ---- tests ---- */

START_TEST(test_a_sent_email_reaches_brevo_in_brevos_shape)
{
    brevo_set(MODE_OK, 0);
    int before = brevo_requests();
    long long id = enqueue(admin, ticket_payload("ann@acme.example"));
    json_t *job = job_finished(admin, id);
    assert_state(job, "done");
    ck_assert_int_eq(jint(job, "attempts"), 1);
    ck_assert_int_eq(brevo_requests(), before + 1);
    /* the messageId is in the delivery log */
    ck_assert_msg(strstr(detail_of(job, 0), "messageId <20261123.") != NULL, "detail: %s", detail_of(job, 0));
    json_decref(job);

    pthread_mutex_lock(&brevo.lock);
    ck_assert_str_eq(brevo.method, "POST");
    ck_assert_str_eq(brevo.path, "/v3/smtp/email");
    ck_assert_str_eq(brevo.api_key, API_KEY);
    ck_assert_ptr_nonnull(strstr(brevo.content_type, "application/json"));
    pthread_mutex_unlock(&brevo.lock);

    json_t *b = brevo_last_body();
    ck_assert_ptr_nonnull(b);
    ck_assert_str_eq(jstr(json_object_get(b, "sender"), "email"), FROM);
    ck_assert_str_eq(jstr(json_object_get(b, "sender"), "name"), "DIDTron Test");
    json_t *to = json_object_get(b, "to");
    ck_assert_int_eq(json_array_size(to), 1);
    ck_assert_str_eq(jstr(json_array_get(to, 0), "email"), "ann@acme.example");
    ck_assert_str_eq(jstr(json_array_get(to, 0), "name"), "Ann Operator");
    ck_assert_str_eq(jstr(b, "subject"), "[T-000123] No audio <both ways>");
    ck_assert_ptr_nonnull(strstr(jstr(b, "textContent"), "Hello Acme & Sons,"));
    ck_assert_ptr_nonnull(strstr(jstr(b, "textContent"), "Calls to 44 drop after 30 s"));
    ck_assert_ptr_nonnull(strstr(jstr(b, "htmlContent"), "Hello Acme &amp; Sons,"));
    ck_assert_ptr_nonnull(strstr(jstr(b, "htmlContent"), "No audio &lt;both ways&gt;"));
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(b, "tags"), 0)), "ticket_created");
    char key[64];
    snprintf(key, sizeof key, "didtron-job-%lld", id);
    ck_assert_str_eq(jstr(json_object_get(b, "headers"), "idempotencyKey"), key);
    json_decref(b);
}
END_TEST

START_TEST(test_a_400_is_a_dead_letter_with_brevos_message)
{
    brevo_set(MODE_BAD_REQUEST, 1);
    int before = brevo_requests();
    long long id = enqueue(admin, ticket_payload("bob@acme.example"));
    json_t *job = job_finished(admin, id);
    assert_state(job, "dead");
    ck_assert_int_eq(jint(job, "attempts"), 1);   /* no retry: a retry cannot fix it */
    ck_assert_int_eq(brevo_requests(), before + 1);
    ck_assert_str_eq(outcome_of(job, 0), "fail");
    ck_assert_str_eq(detail_of(job, 0), "Brevo: HTTP 400 invalid_parameter: sender is not valid");
    ck_assert_str_eq(jstr(job, "last_error"), "Brevo: HTTP 400 invalid_parameter: sender is not valid");
    json_decref(job);
}
END_TEST

START_TEST(test_a_500_and_a_429_are_retried_then_sent)
{
    brevo_set(MODE_ERROR500, 1);
    int before = brevo_requests();
    long long id = enqueue(admin, ticket_payload("carol@acme.example"));
    json_t *job = job_finished(admin, id);
    assert_state(job, "done");
    ck_assert_int_eq(jint(job, "attempts"), 2);
    ck_assert_int_eq(brevo_requests(), before + 2);
    ck_assert_str_eq(outcome_of(job, 0), "retry");
    ck_assert_str_eq(detail_of(job, 0), "Brevo: HTTP 500 internal_error: try later");
    ck_assert_str_eq(outcome_of(job, 1), "done");
    json_decref(job);

    brevo_set(MODE_TOO_MANY, 2);
    id = enqueue(admin, ticket_payload("carol@acme.example"));
    job = job_finished(admin, id);
    assert_state(job, "done");
    ck_assert_int_eq(jint(job, "attempts"), 3);
    ck_assert_str_eq(outcome_of(job, 1), "retry");
    ck_assert_ptr_nonnull(strstr(detail_of(job, 1), "HTTP 429"));
    json_decref(job);
}
END_TEST

START_TEST(test_a_timeout_is_retried_then_sent)
{
    brevo_set(MODE_TIMEOUT, 1);
    long long id = enqueue(admin, ticket_payload("dave@acme.example"));
    json_t *job = job_finished(admin, id);
    assert_state(job, "done");
    ck_assert_int_eq(jint(job, "attempts"), 2);
    ck_assert_str_eq(outcome_of(job, 0), "retry");
    ck_assert_msg(strstr(detail_of(job, 0), "Brevo: ") && strstr(detail_of(job, 0), "timed out"), "detail: %s",
                  detail_of(job, 0));
    json_decref(job);
}
END_TEST

START_TEST(test_bad_payloads_are_dead_letters_that_never_reach_brevo)
{
    brevo_set(MODE_OK, 0);
    int before = brevo_requests();
    struct { json_t *payload; const char *detail; } cases[] = {
        { json_pack("{s:s, s:[s]}", "template", "no_such_template", "to", "a@acme.example"),
          "refused: template: no template \"no_such_template\"" },
        { json_pack("{s:s, s:[s, s]}", "template", "ticket_created", "to", "a@acme.example", "not-an-address"),
          "refused: to[1]: not an e-mail address" },
        { json_pack("{s:s, s:[]}", "template", "ticket_created", "to"),
          "refused: to: must be a non-empty array of e-mail addresses" },
        { json_pack("{s:[s]}", "to", "a@acme.example"), "refused: template: is required (a template name)" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long long id = enqueue_raw(cases[i].payload);
        json_t *job = job_finished(admin, id);
        assert_state(job, "dead");
        ck_assert_int_eq(jint(job, "attempts"), 1);
        ck_assert_str_eq(detail_of(job, 0), cases[i].detail);
        json_decref(job);
    }
    ck_assert_int_eq(brevo_requests(), before);
}
END_TEST

START_TEST(test_a_credit_alert_crossing_ends_as_an_email_at_brevo)
{
    brevo_set(MODE_OK, 0);
    json_t *c = ok(admin, "carrier.create", json_pack("{s:s, s:s, s:s, s:[s]}", "name", "Mailed Carrier", "type",
                                                      "customer", "timezone", "Europe/London", "currencies", "USD"));
    long long carrier = jint(c, "id");
    json_decref(c);
    json_decref(ok(admin, "credit_alert.create", json_pack("{s:I, s:s, s:s, s:[s]}", "carrier_id",
                                                           (json_int_t)carrier, "type", "low_balance", "threshold",
                                                           "5", "recipients", "billing@mailed.example")));
    const char *steps[][3] = { { "ma-1", "topup", "10" }, { "ma-2", "charge", "7" } };  /* 10, then 3: crossed */
    for (int i = 0; i < 2; i++)
        json_decref(ok(admin, "ledger.post", json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key",
                                                       steps[i][0], "kind", steps[i][1], "carrier_id",
                                                       (json_int_t)carrier, "side", "customer", "amount",
                                                       steps[i][2], "currency", "USD")));
    json_t *list = ok(admin, "job.list", json_pack("{s:{s:s}, s:s}", "filter", "kind", "email.send", "sort", "-id"));
    json_t *item = json_array_get(json_object_get(list, "items"), 0);
    ck_assert_ptr_nonnull(item);
    ck_assert_ptr_nonnull(strstr(jstr(item, "dedupe_key"), "credit.alert:"));
    json_t *job = job_finished(admin, jint(item, "id"));
    json_decref(list);
    assert_state(job, "done");
    json_decref(job);
    json_t *b = brevo_last_body();
    ck_assert_str_eq(jstr(json_array_get(json_object_get(b, "to"), 0), "email"), "billing@mailed.example");
    ck_assert_str_eq(jstr(b, "subject"), "Credit alert (low_balance): Mailed Carrier");
    ck_assert_msg(strstr(jstr(b, "textContent"), "Value:     3.000000 USD") != NULL, "text: %s",
                  jstr(b, "textContent"));
    ck_assert_ptr_nonnull(strstr(jstr(b, "textContent"), "Threshold: 5.000000 USD"));
    json_decref(b);
}
END_TEST

START_TEST(test_templates_are_listed_and_previewed_without_sending)
{
    int before = brevo_requests();
    json_t *l = ok(admin, "mail.templates", NULL);
    json_t *items = json_object_get(l, "items");
    ck_assert_int_ge(json_array_size(items), 7);
    bool found = false;
    size_t i;
    json_t *t;
    json_array_foreach(items, i, t) {
        if (strcmp(jstr(t, "name"), "monitor_alert"))
            continue;
        found = true;
        json_t *vars = json_object_get(t, "variables");
        ck_assert_str_eq(json_string_value(json_array_get(vars, 0)), "alert.message");
    }
    ck_assert(found);
    json_decref(l);

    json_t *p = ok(admin, "mail.preview",
                   json_pack("{s:s, s:{s:{s:s, s:s, s:s}}}", "template", "monitor_alert", "vars", "alert", "message",
                             "ASR below 30% on <LON-1>", "severity", "critical", "interconnect_name", "LON-1"));
    ck_assert_str_eq(jstr(p, "subject"), "[critical] LON-1: ASR below 30% on <LON-1>");
    ck_assert_ptr_nonnull(strstr(jstr(p, "html"), "ASR below 30% on &lt;LON-1&gt;"));
    ck_assert_ptr_nonnull(strstr(jstr(p, "text"), "Severity:     critical"));
    json_t *missing = json_object_get(p, "missing");
    ck_assert_int_eq(json_array_size(missing), 4);   /* metric, value, threshold, fired_at */
    json_decref(p);
    ck_assert_int_eq(brevo_requests(), before);

    fails_on_field(admin, "mail.preview", json_pack("{s:s}", "template", "nope"), "template");
    fails_on_field(admin, "mail.preview", json_pack("{s:s, s:i}", "template", "low_balance", "vars", 3), "vars");

    /* mail.send checks what the job handler would refuse */
    fails_on_field(admin, "mail.send", json_pack("{s:s, s:[s]}", "template", "nope", "to", "a@acme.example"),
                   "template");
    fails_on_field(admin, "mail.send", json_pack("{s:s, s:[s]}", "template", "low_balance", "to", "no address"),
                   "to[0]");
    fails_on_field(admin, "mail.send", json_pack("{s:s, s:[]}", "template", "low_balance", "to"), "to");
    fails_on_field(admin, "mail.send", json_pack("{s:s, s:[s], s:s}", "template", "low_balance", "to",
                                                 "a@acme.example", "reply_to", "x"), "reply_to");
    create_user(admin, "mail_support", "support");
    create_user(admin, "mail_noc", "noc");
    wsc *support = login(&S, "mail_support", "password123");
    wsc *noc = login(&S, "mail_noc", "password123");
    json_decref(ok(support, "mail.preview", json_pack("{s:s}", "template", "password_reset")));
    ck_assert_int_eq(fails(noc, "mail.preview", json_pack("{s:s}", "template", "password_reset")), -32003);
    ck_assert_int_eq(fails(support, "mail.outbox", NULL), -32003);
    ck_assert_int_eq(fails(support, "mail.send", ticket_payload("x@acme.example")), -32003);
    wsc_close(support);
    wsc_close(noc);
}
END_TEST

static bool file_contains(const char *path, const char *needle)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strstr(buf, needle) != NULL;
}

START_TEST(test_without_an_api_key_the_email_goes_to_the_outbox)
{
    /* the Brevo-configured instance stops; one with no key takes over */
    wsc_close(admin);
    int stopped = server_stop(&S, 20000);   /* checked at the end, so the outbox is checked either way */
    admin = NULL;
    const char *flags[] = { "--mail-outbox-dir", outbox, "--mail-from", FROM, "--job-backoff-base-ms", "100", NULL };
    ck_assert(server_start(&S2, "mail2", flags));
    ck_assert_msg(file_contains(S2.log, "mail: Brevo is not configured; writing to "), "start-up log line");
    wsc *a = login(&S2, "root", "rootpass123");
    int before = brevo_requests();
    long long id = enqueue(a, ticket_payload("erin@acme.example"));
    json_t *job = job_finished(a, id);
    assert_state(job, "done");
    char path[400];
    snprintf(path, sizeof path, "%s/job-%lld.eml", outbox, id);
    ck_assert_msg(strstr(detail_of(job, 0), path) != NULL, "detail: %s", detail_of(job, 0));
    json_decref(job);
    ck_assert_int_eq(brevo_requests(), before);
    ck_assert(file_contains(path, "Subject: [T-000123] No audio <both ways>\r\n"));
    ck_assert(file_contains(path, "To: \"Ann Operator\" <erin@acme.example>\r\n"));
    ck_assert(file_contains(path, "Content-Type: multipart/alternative;"));
    ck_assert(file_contains(path, "Hello Acme &amp; Sons,"));
    ck_assert(file_contains(path, "Hello Acme & Sons,"));

    json_t *o = ok(a, "mail.outbox", json_pack("{s:i}", "limit", 5));
    ck_assert(json_is_false(json_object_get(o, "configured")));
    json_t *first = json_array_get(json_object_get(o, "items"), 0);
    char file[64];
    snprintf(file, sizeof file, "job-%lld.eml", id);
    ck_assert_str_eq(jstr(first, "file"), file);
    ck_assert_str_eq(jstr(first, "subject"), "[T-000123] No audio <both ways>");
    ck_assert_str_eq(jstr(first, "template"), "ticket_created");
    ck_assert_int_eq(jint(first, "job_id"), id);
    json_decref(o);
    wsc_close(a);
    ck_assert_msg(stopped == 0, "the Brevo instance stopped with status %d", stopped);
}
END_TEST

static void teardown(void)
{
    if (admin)
        wsc_close(admin);
    if (S.pid > 0)
        server_stop(&S, 20000);
    if (S2.pid > 0)
        server_stop(&S2, 20000);
    brevo_stop();
    harness_done();
}

int main(void)
{
    brevo_start();
    snprintf(outbox, sizeof outbox, "/tmp/didtron_test_mail_outbox_%d", (int)getpid());
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%d/", brevo.port);
    const char *flags[] = { "--brevo-base-url", base, "--brevo-api-key", API_KEY, "--brevo-timeout-ms", "1000",
                            "--mail-from", FROM, "--mail-from-name", "DIDTron Test", "--job-backoff-base-ms", "100",
                            "--fx-refresh-minutes", "0", "--fx-revalue-monthly=false", NULL };
    admin = start_with_root(&S, "didtron_test_mail", "mail", flags);
    Suite *s = suite_create("mail");
    TCase *tc = tcase_create("mail");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_a_sent_email_reaches_brevo_in_brevos_shape);
    tcase_add_test(tc, test_a_400_is_a_dead_letter_with_brevos_message);
    tcase_add_test(tc, test_a_500_and_a_429_are_retried_then_sent);
    tcase_add_test(tc, test_a_timeout_is_retried_then_sent);
    tcase_add_test(tc, test_bad_payloads_are_dead_letters_that_never_reach_brevo);
    tcase_add_test(tc, test_a_credit_alert_crossing_ends_as_an_email_at_brevo);
    tcase_add_test(tc, test_templates_are_listed_and_previewed_without_sending);
    tcase_add_test(tc, test_without_an_api_key_the_email_goes_to_the_outbox);
    suite_add_tcase(s, tc);
    int rc = suite_run(s, true);
    teardown();
    char cmd[320];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", outbox);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", outbox);
    return rc;
}
