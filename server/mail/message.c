/*
 * message.c: payload checks, the Brevo request body, Brevo's error answers
 * and the outbox .eml text (message.h).
 */
#include "message.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"
#include "validate.h"

/* ---- the payload ---- */

static bool has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

json_t *mail_recipients(json_t *to, char *err, size_t errlen)
{
    if (!json_is_array(to) || json_array_size(to) == 0) {
        snprintf(err, errlen, "to: must be a non-empty array of e-mail addresses");
        return NULL;
    }
    if (json_array_size(to) > MAIL_MAX_RECIPIENTS) {
        snprintf(err, errlen, "to: at most %d recipients", MAIL_MAX_RECIPIENTS);
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(to, i, item) {
        const char *email = NULL, *name = NULL;
        if (json_is_string(item)) {
            email = json_string_value(item);
        } else if (json_is_object(item)) {
            email = json_string_value(json_object_get(item, "email"));
            json_t *nm = json_object_get(item, "name");
            if (nm && !json_is_null(nm)) {
                name = json_string_value(nm);
                if (!name || strlen(name) > MAIL_NAME_MAX || has_line_break(name)) {
                    snprintf(err, errlen, "to[%zu].name: must be a string of at most %d bytes on one line", i,
                             MAIL_NAME_MAX);
                    json_decref(out);
                    return NULL;
                }
                if (!*name)
                    name = NULL;
            }
        }
        if (!email || !valid_email(email)) {
            snprintf(err, errlen, "to[%zu]: not an e-mail address", i);
            json_decref(out);
            return NULL;
        }
        bool seen = false;
        size_t k;
        json_t *prev;
        json_array_foreach(out, k, prev)
            if (!strcasecmp(json_string_value(json_object_get(prev, "email")), email))
                seen = true;
        if (seen)
            continue;
        json_t *r = json_pack("{s:s}", "email", email);
        if (name)
            json_object_set_new(r, "name", json_string(name));
        json_array_append_new(out, r);
    }
    return out;
}

void mail_job_input_free(mail_job_input *in)
{
    json_decref(in->to);
    json_decref(in->vars);
    memset(in, 0, sizeof *in);
}

int mail_job_parse(json_t *payload, mail_job_input *in, char *err, size_t errlen)
{
    memset(in, 0, sizeof *in);
    if (!json_is_object(payload)) {
        snprintf(err, errlen, "payload: must be an object {template, to, vars?}");
        return -1;
    }
    const char *name = json_string_value(json_object_get(payload, "template"));
    if (!name) {
        snprintf(err, errlen, "template: is required (a template name)");
        return -1;
    }
    in->template = mail_template_find(name);
    if (!in->template) {
        snprintf(err, errlen, "template: no template \"%.64s\"", name);
        return -1;
    }
    json_t *vars = json_object_get(payload, "vars");
    if (vars && !json_is_null(vars) && !json_is_object(vars)) {
        snprintf(err, errlen, "vars: must be an object");
        return -1;
    }
    json_t *reply = json_object_get(payload, "reply_to");
    if (reply && !json_is_null(reply)) {
        in->reply_to = json_string_value(reply);
        if (!in->reply_to || !valid_email(in->reply_to)) {
            snprintf(err, errlen, "reply_to: not an e-mail address");
            in->reply_to = NULL;
            return -1;
        }
    }
    in->to = mail_recipients(json_object_get(payload, "to"), err, errlen);
    if (!in->to)
        return -1;
    in->vars = json_object();
    const char *key;
    json_t *v;
    json_object_foreach(payload, key, v) {
        if (strcmp(key, "template") && strcmp(key, "to") && strcmp(key, "vars"))
            json_object_set(in->vars, key, v);
    }
    if (json_is_object(vars))
        json_object_update(in->vars, vars);
    return 0;
}

/* ---- Brevo ---- */

json_t *mail_brevo_body(const mail_message *m)
{
    char key[48], job[24];
    snprintf(key, sizeof key, "didtron-job-%lld", m->job_id);
    snprintf(job, sizeof job, "%lld", m->job_id);
    json_t *sender = json_pack("{s:s}", "email", m->from_email);
    if (sender && m->from_name && *m->from_name)
        json_object_set_new(sender, "name", json_string(m->from_name));
    json_t *b = json_pack("{s:o, s:O, s:s, s:s, s:s, s:[s], s:{s:s, s:s}}", "sender", sender, "to", m->to,
                          "subject", m->r->subject, "htmlContent", m->r->html, "textContent", m->r->text, "tags",
                          m->template_name, "headers", "X-DIDTron-Job", job, "idempotencyKey", key);
    if (b && m->reply_to)
        json_object_set_new(b, "replyTo", json_pack("{s:s}", "email", m->reply_to));
    return b;
}

void mail_brevo_error(long status, const char *body, size_t len, char *out, size_t n)
{
    json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
    const char *code = json_string_value(json_object_get(j, "code"));
    const char *message = json_string_value(json_object_get(j, "message"));
    if (code || message)
        snprintf(out, n, "Brevo: HTTP %ld %.64s%s%.300s", status, code ? code : "", code && message ? ": " : "",
                 message ? message : "");
    else
        snprintf(out, n, "Brevo: HTTP %ld", status);
    json_decref(j);
}

mail_outcome mail_brevo_outcome(long status)
{
    if (status >= 200 && status < 300)
        return MAIL_SENT;
    if (status == 429 || status >= 500 || status == 0)
        return MAIL_RETRY;
    return MAIL_REFUSED;
}

/* ---- the outbox file ---- */

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80)
            return false;
    return true;
}

static void base64(strbuf *b, const unsigned char *p, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        sb_printf(b, "%c%c%c%c", abc[v >> 18 & 63], abc[v >> 12 & 63], i + 1 < n ? abc[v >> 6 & 63] : '=',
                  i + 2 < n ? abc[v & 63] : '=');
    }
}

/* A header text: as it is when ASCII, else one RFC 2047 "B" word. */
static void header_text(strbuf *b, const char *s)
{
    if (ascii(s)) {
        sb_printf(b, "%s", s);
        return;
    }
    sb_printf(b, "=?UTF-8?B?");
    base64(b, (const unsigned char *)s, strlen(s));
    sb_printf(b, "?=");
}

static void address(strbuf *b, const char *email, const char *name)
{
    if (!name || !*name) {
        sb_printf(b, "%s", email);
        return;
    }
    if (ascii(name)) {
        sb_printf(b, "\"");
        for (const char *p = name; *p; p++)
            sb_printf(b, "%s%c", *p == '"' || *p == '\\' ? "\\" : "", *p);
        sb_printf(b, "\"");
    } else {
        header_text(b, name);
    }
    sb_printf(b, " <%s>", email);
}

char *mail_eml(const mail_message *m, const char *date_rfc5322)
{
    /* a boundary found in neither part */
    char boundary[64];
    for (int k = 0;; k++) {
        snprintf(boundary, sizeof boundary, "=_didtron_%lld_%d", m->job_id, k);
        if (!strstr(m->r->text, boundary) && !strstr(m->r->html, boundary))
            break;
    }
    strbuf b = { 0 };
    sb_printf(&b, "From: ");
    address(&b, m->from_email, m->from_name);
    sb_printf(&b, "\r\nTo: ");
    size_t i;
    json_t *r;
    json_array_foreach(m->to, i, r) {
        if (i)
            sb_printf(&b, ",\r\n    ");
        address(&b, json_string_value(json_object_get(r, "email")),
                json_string_value(json_object_get(r, "name")));
    }
    if (m->reply_to)
        sb_printf(&b, "\r\nReply-To: %s", m->reply_to);
    sb_printf(&b, "\r\nSubject: ");
    header_text(&b, m->r->subject);
    sb_printf(&b, "\r\nDate: %s\r\nMessage-ID: <didtron-job-%lld@outbox.didtron.invalid>\r\n"
                  "X-DIDTron-Job: %lld\r\nX-DIDTron-Template: %s\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
                  "--%s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
                  "--%s\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n%s\r\n"
                  "--%s--\r\n",
              date_rfc5322, m->job_id, m->job_id, m->template_name, boundary, boundary, m->r->text, boundary,
              m->r->html, boundary);
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    return b.buf;
}
