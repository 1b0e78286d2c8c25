/*
 * templates.c: the compiled-in e-mail templates and the {{var}} renderer
 * (templates.h; docs/mail.md lists each template's variables).
 */
#include "templates.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

/* ---- the templates ---- */

#define TICKET_VARS { "ticket_number", "subject", "carrier_name", "reply_excerpt", "status", "url", NULL }
static const char *const ticket_vars[] = TICKET_VARS;
static const char *const reset_vars[] = { "username", "reset_token", "link", "expires_at", NULL };
static const char *const low_balance_vars[] = {
    "carrier_name", "alert.threshold", "alert.value", "alert.currency", NULL,
};
static const char *const credit_alert_vars[] = {
    "carrier_name", "alert.type", "alert.threshold", "alert.value", "alert.currency", "alert.journal_id", NULL,
};
static const char *const monitor_alert_vars[] = {
    "alert.message", "alert.severity", "alert.interconnect_name", "alert.metric", "alert.value",
    "alert.threshold", "alert.fired_at", NULL,
};

static const mail_template templates[] = {
    {
        "ticket_created", "a support ticket was opened", ticket_vars,
        "[{{ticket_number}}] {{subject}}",
        "Hello {{carrier_name}},\n\n"
        "we have received your support request {{ticket_number}}: {{subject}}\n\n"
        "{{reply_excerpt}}\n\n"
        "Status: {{status}}\n"
        "{{url}}\n\n"
        "Reply to this ticket in the DIDTron console; please quote {{ticket_number}}.\n",
        "<p>Hello {{carrier_name}},</p>\n"
        "<p>we have received your support request <b>{{ticket_number}}</b>: {{subject}}</p>\n"
        "<blockquote style=\"white-space:pre-wrap\">{{reply_excerpt}}</blockquote>\n"
        "<p>Status: <b>{{status}}</b></p>\n"
        "<p><a href=\"{{url}}\">{{url}}</a></p>\n"
        "<p>Reply to this ticket in the DIDTron console; please quote {{ticket_number}}.</p>\n",
    },
    {
        "ticket_replied", "a support ticket has a new reply", ticket_vars,
        "Re: [{{ticket_number}}] {{subject}}",
        "Hello {{carrier_name}},\n\n"
        "there is a new reply on ticket {{ticket_number}} ({{subject}}):\n\n"
        "{{reply_excerpt}}\n\n"
        "Status: {{status}}\n"
        "{{url}}\n",
        "<p>Hello {{carrier_name}},</p>\n"
        "<p>there is a new reply on ticket <b>{{ticket_number}}</b> ({{subject}}):</p>\n"
        "<blockquote style=\"white-space:pre-wrap\">{{reply_excerpt}}</blockquote>\n"
        "<p>Status: <b>{{status}}</b></p>\n"
        "<p><a href=\"{{url}}\">{{url}}</a></p>\n",
    },
    {
        "ticket_resolved", "a support ticket was resolved", ticket_vars,
        "Resolved: [{{ticket_number}}] {{subject}}",
        "Hello {{carrier_name}},\n\n"
        "ticket {{ticket_number}} ({{subject}}) is now {{status}}.\n\n"
        "{{reply_excerpt}}\n\n"
        "If the problem is back, reply to the ticket to reopen it.\n"
        "{{url}}\n",
        "<p>Hello {{carrier_name}},</p>\n"
        "<p>ticket <b>{{ticket_number}}</b> ({{subject}}) is now <b>{{status}}</b>.</p>\n"
        "<blockquote style=\"white-space:pre-wrap\">{{reply_excerpt}}</blockquote>\n"
        "<p>If the problem is back, reply to the ticket to reopen it.</p>\n"
        "<p><a href=\"{{url}}\">{{url}}</a></p>\n",
    },
    {
        "password_reset", "a password reset was requested", reset_vars,
        "Reset your DIDTron password",
        "Hello {{username}},\n\n"
        "someone (we hope you) asked to reset your DIDTron password.\n\n"
        "Reset code: {{reset_token}}\n"
        "{{link}}\n\n"
        "It expires at {{expires_at}}. If you did not ask for this, ignore this e-mail:\n"
        "your password stays as it is.\n",
        "<p>Hello {{username}},</p>\n"
        "<p>someone (we hope you) asked to reset your DIDTron password.</p>\n"
        "<p>Reset code: <code>{{reset_token}}</code></p>\n"
        "<p><a href=\"{{link}}\">{{link}}</a></p>\n"
        "<p>It expires at {{expires_at}}. If you did not ask for this, ignore this e-mail:"
        " your password stays as it is.</p>\n",
    },
    {
        "low_balance", "a low-balance credit alert crossed its threshold", low_balance_vars,
        "Low balance: {{carrier_name}} has {{alert.value}} {{alert.currency}} left",
        "Hello {{carrier_name}},\n\n"
        "your available balance is {{alert.value}} {{alert.currency}}, below your alert threshold of\n"
        "{{alert.threshold}} {{alert.currency}}. Top up to keep your traffic flowing.\n",
        "<p>Hello {{carrier_name}},</p>\n"
        "<p>your available balance is <b>{{alert.value}} {{alert.currency}}</b>, below your alert threshold"
        " of {{alert.threshold}} {{alert.currency}}. Top up to keep your traffic flowing.</p>\n",
    },
    {
        "credit_alert", "a credit alert crossed its threshold (the ledger's default)", credit_alert_vars,
        "Credit alert ({{alert.type}}): {{carrier_name}}",
        "Hello {{carrier_name}},\n\n"
        "a credit alert crossed its threshold.\n\n"
        "Alert:     {{alert.type}}\n"
        "Value:     {{alert.value}} {{alert.currency}}\n"
        "Threshold: {{alert.threshold}} {{alert.currency}}\n"
        "Journal:   {{alert.journal_id}}\n",
        "<p>Hello {{carrier_name}},</p>\n"
        "<p>a credit alert crossed its threshold.</p>\n"
        "<table>\n"
        "<tr><td>Alert</td><td>{{alert.type}}</td></tr>\n"
        "<tr><td>Value</td><td><b>{{alert.value}} {{alert.currency}}</b></td></tr>\n"
        "<tr><td>Threshold</td><td>{{alert.threshold}} {{alert.currency}}</td></tr>\n"
        "<tr><td>Journal</td><td>{{alert.journal_id}}</td></tr>\n"
        "</table>\n",
    },
    {
        "monitor_alert", "a monitoring alert fired", monitor_alert_vars,
        "[{{alert.severity}}] {{alert.interconnect_name}}: {{alert.message}}",
        "{{alert.message}}\n\n"
        "Severity:     {{alert.severity}}\n"
        "Interconnect: {{alert.interconnect_name}}\n"
        "Metric:       {{alert.metric}} = {{alert.value}} (threshold {{alert.threshold}})\n"
        "Fired at:     {{alert.fired_at}}\n",
        "<p><b>{{alert.message}}</b></p>\n"
        "<table>\n"
        "<tr><td>Severity</td><td>{{alert.severity}}</td></tr>\n"
        "<tr><td>Interconnect</td><td>{{alert.interconnect_name}}</td></tr>\n"
        "<tr><td>Metric</td><td>{{alert.metric}} = {{alert.value}} (threshold {{alert.threshold}})</td></tr>\n"
        "<tr><td>Fired at</td><td>{{alert.fired_at}}</td></tr>\n"
        "</table>\n",
    },
};
#define NTEMPLATES (sizeof templates / sizeof templates[0])

static const char layout_head[] =
    "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
    "<body style=\"font-family:sans-serif;font-size:14px;color:#222\">\n";
static const char layout_tail[] =
    "<hr><p style=\"font-size:12px;color:#777\">DIDTron &middot; this message was sent automatically</p>\n"
    "</body></html>\n";

const mail_template *mail_template_find(const char *name)
{
    for (size_t i = 0; name && i < NTEMPLATES; i++)
        if (!strcmp(templates[i].name, name))
            return &templates[i];
    return NULL;
}

const mail_template *mail_template_at(size_t i)
{
    return i < NTEMPLATES ? &templates[i] : NULL;
}

/* ---- rendering ---- */

static bool name_start(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool name_char(char ch)
{
    return name_start(ch) || (ch >= '0' && ch <= '9');
}

/* At p (just after "{{"): a placeholder "  name.part  }}"? Returns its
 * length after "{{" (up to and with "}}") and the name in name, or 0. */
static size_t placeholder(const char *p, char *name, size_t cap)
{
    const char *s = p;
    while (*s == ' ')
        s++;
    const char *start = s;
    for (;;) {
        if (!name_start(*s))
            return 0;
        while (name_char(*s))
            s++;
        if (*s != '.')
            break;
        s++;
    }
    size_t n = (size_t)(s - start);
    while (*s == ' ')
        s++;
    if (s[0] != '}' || s[1] != '}' || n >= cap)
        return 0;
    memcpy(name, start, n);
    name[n] = '\0';
    return (size_t)(s + 2 - p);
}

static json_t *lookup(json_t *vars, const char *name)
{
    json_t *v = vars;
    char part[MAIL_VAR_NAME_MAX];
    const char *p = name;
    while (v && *p) {
        size_t n = strcspn(p, ".");
        memcpy(part, p, n);
        part[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, part) : NULL;
        p += n;
        if (*p == '.')
            p++;
    }
    return v;
}

static void note_missing(json_t *missing, const char *name)
{
    size_t i;
    json_t *m;
    if (!missing)
        return;
    json_array_foreach(missing, i, m)
        if (!strcmp(json_string_value(m), name))
            return;
    json_array_append_new(missing, json_string(name));
}

/* The text a value shows as, malloc'd (NULL: none). */
static char *value_text(json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        return strdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    case JSON_REAL:
        snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
        return strdup(buf);
    case JSON_TRUE:
        return strdup("yes");
    case JSON_FALSE:
        return strdup("no");
    case JSON_ARRAY: {
        /* a list of scalars: "a, b, c" */
        strbuf b = { 0 };
        size_t i;
        json_t *item;
        sb_printf(&b, "%s", "");
        json_array_foreach(v, i, item) {
            char *t = json_is_object(item) || json_is_array(item) ? NULL : value_text(item);
            if (t)
                sb_printf(&b, "%s%s", b.len ? ", " : "", t);
            free(t);
        }
        if (b.oom) {
            free(b.buf);
            return NULL;
        }
        return b.buf;
    }
    case JSON_OBJECT:
        return json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    default:
        return NULL;
    }
}

/* Length of the longest prefix of s within max bytes that ends on a
 * UTF-8 character boundary. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

static void put_value(strbuf *b, const char *s, mail_part part)
{
    size_t len = strlen(s);
    size_t n = utf8_cut(s, len, MAIL_VALUE_MAX);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (part == MAIL_HTML) {
            switch (ch) {
            case '&': sb_printf(b, "&amp;"); continue;
            case '<': sb_printf(b, "&lt;"); continue;
            case '>': sb_printf(b, "&gt;"); continue;
            case '"': sb_printf(b, "&quot;"); continue;
            case '\'': sb_printf(b, "&#39;"); continue;
            default: break;
            }
        } else if (part == MAIL_SUBJECT && (ch == '\r' || ch == '\n' || ch == '\t')) {
            ch = ' ';
        }
        /* runs of plain bytes go in one call */
        size_t run = 1;
        while (i + run < n && s[i + run] != '&' && s[i + run] != '<' && s[i + run] != '>' && s[i + run] != '"' &&
               s[i + run] != '\'' && s[i + run] != '\r' && s[i + run] != '\n' && s[i + run] != '\t')
            run++;
        if (run == 1)
            sb_printf(b, "%c", ch);
        else
            sb_printf(b, "%.*s", (int)run, s + i);
        i += run - 1;
    }
    if (n < len)
        sb_printf(b, "...");
}

char *mail_render(const char *src, json_t *vars, mail_part part, json_t *missing)
{
    strbuf b = { 0 };
    sb_printf(&b, "%s", "");
    const char *p = src ? src : "";
    while (*p) {
        const char *open = strstr(p, "{{");
        if (!open) {
            sb_printf(&b, "%s", p);
            break;
        }
        sb_printf(&b, "%.*s", (int)(open - p), p);
        char name[MAIL_VAR_NAME_MAX];
        size_t used = placeholder(open + 2, name, sizeof name);
        if (!used) {
            sb_printf(&b, "{");
            p = open + 1;
            continue;
        }
        json_t *v = lookup(vars, name);
        char *text = v ? value_text(v) : NULL;
        if (text)
            put_value(&b, text, part);
        else
            note_missing(missing, name);
        free(text);
        p = open + 2 + used;
    }
    if (b.oom) {
        free(b.buf);
        return NULL;
    }
    if (part == MAIL_SUBJECT) {
        /* template text itself has no line breaks in subjects, but be sure */
        for (char *q = b.buf; *q; q++)
            if (*q == '\r' || *q == '\n' || *q == '\t')
                *q = ' ';
        b.buf[utf8_cut(b.buf, strlen(b.buf), MAIL_SUBJECT_MAX)] = '\0';
    }
    return b.buf;
}

void mail_rendered_free(mail_rendered *r)
{
    free(r->subject);
    free(r->text);
    free(r->html);
    r->subject = r->text = r->html = NULL;
}

int mail_template_render(const mail_template *t, json_t *vars, mail_rendered *out, json_t *missing)
{
    memset(out, 0, sizeof *out);
    char *body = mail_render(t->html, vars, MAIL_HTML, missing);
    out->subject = mail_render(t->subject, vars, MAIL_SUBJECT, missing);
    out->text = mail_render(t->text, vars, MAIL_TEXT, missing);
    if (body) {
        size_t n = sizeof layout_head + strlen(body) + sizeof layout_tail;
        out->html = malloc(n);
        if (out->html)
            snprintf(out->html, n, "%s%s%s", layout_head, body, layout_tail);
    }
    free(body);
    if (!out->subject || !out->text || !out->html) {
        mail_rendered_free(out);
        return -1;
    }
    return 0;
}
