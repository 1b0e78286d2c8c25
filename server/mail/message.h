/*
 * message: one e-mail between the job payload and the wire (docs/mail.md).
 *
 * An `email.send` job's payload {template, to, vars?, reply_to?, ...} is
 * checked and turned into a message (mail_job_parse); the message becomes
 * either a Brevo transactional e-mail request body (mail_brevo_body, for
 * POST {brevo_base_url}/v3/smtp/email) or, when no Brevo API key is set,
 * an RFC 5322 file with text and HTML parts for the outbox directory
 * (mail_eml). What Brevo answers decides the job's fate
 * (mail_brevo_outcome): 2xx done; 429 and 5xx retried; any other status
 * dead at once, since a retry cannot fix a refused request.
 *
 * Pure functions, no I/O: unit-tested by tests/unit/test_mail_template.c.
 */
#ifndef DIDTRON_MAIL_MESSAGE_H
#define DIDTRON_MAIL_MESSAGE_H

#include <jansson.h>
#include <stddef.h>

#include "templates.h"

#define MAIL_MAX_RECIPIENTS 50
#define MAIL_NAME_MAX 128          /* a display name, bytes */

typedef struct {
    const mail_template *template;
    json_t *to;                    /* [{email, name?}], owned, each address once */
    json_t *vars;                  /* owned: the payload's other members, then vars on top */
    const char *reply_to;          /* borrowed from the payload; NULL when none */
} mail_job_input;

/* Check a payload. Returns 0 and fills in (free with mail_job_input_free),
 * or -1 with a message naming the problem in err ("to[1]: not an e-mail
 * address", "template: no template \"x\"" ...). */
int mail_job_parse(json_t *payload, mail_job_input *in, char *err, size_t errlen);
void mail_job_input_free(mail_job_input *in);

/* Recipients: an array of 1..MAIL_MAX_RECIPIENTS addresses, each a string
 * or {email, name?}. Returns a new array of {email, name?} (duplicates,
 * compared without case, dropped), or NULL with err set. */
json_t *mail_recipients(json_t *to, char *err, size_t errlen);

typedef struct {
    const char *from_email, *from_name;
    const char *reply_to;          /* NULL = none */
    json_t *to;                    /* from mail_recipients */
    const mail_rendered *r;
    const char *template_name;     /* becomes the Brevo tag */
    long long job_id;              /* idempotency key and X-DIDTron-Job header */
} mail_message;

/* The Brevo request body: {sender:{name,email}, to, subject, htmlContent,
 * textContent, replyTo?, tags:[template], headers:{X-DIDTron-Job,
 * idempotencyKey}}. New reference, NULL when out of memory. */
json_t *mail_brevo_body(const mail_message *m);

/* What an answer that is not a success says, for the delivery log:
 * "Brevo: HTTP 400 invalid_parameter: email is not valid". */
void mail_brevo_error(long status, const char *body, size_t len, char *out, size_t n);

typedef enum { MAIL_SENT, MAIL_RETRY, MAIL_REFUSED } mail_outcome;
mail_outcome mail_brevo_outcome(long status);

/* The message as an .eml file's text (RFC 5322, multipart/alternative,
 * 8bit UTF-8 parts; non-ASCII subjects and names as RFC 2047 words).
 * date_rfc5322: "Mon, 23 Nov 2026 18:00:00 +0000". Malloc'd, NULL when out
 * of memory. */
char *mail_eml(const mail_message *m, const char *date_rfc5322);

#endif
