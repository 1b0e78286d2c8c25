/*
 * mail: e-mail through Brevo, with compiled-in templates and a local
 * outbox (docs/mail.md).
 *
 * Everything that sends e-mail queues an `email.send` job (jobs.h) in its
 * own transaction: {template, to:[address | {email, name?}], vars?: {...},
 * reply_to?}; every other top-level member of the payload is a template
 * variable too (the ledger's credit alerts send carrier_name and alert
 * that way). The job handler renders the template (templates.h) and
 * POSTs it to Brevo's transactional API; 2xx is done (Brevo's messageId in
 * the delivery log), 429, 5xx and transport failures are retried with the
 * queue's backoff, any other answer, a bad address or an unknown template
 * is a dead letter at once. With no brevo_api_key the message is written
 * to mail_outbox_dir as job-<id>.eml instead.
 *
 * Methods (mail_methods, registry.c): mail.templates, mail.preview,
 * mail.outbox.
 */
#ifndef DIDTRON_MAIL_H
#define DIDTRON_MAIL_H

#include "config.h"
#include "../rpc/rpc.h"

/* Copy the settings of cfg, initialise the HTTP client and register the
 * `email.send` job kind. Call once in `serve`, before jobs_start. Returns
 * 0, or -1 (logged). */
int mail_init(const dt_config *cfg);

extern const rpc_method mail_methods[];

#endif
