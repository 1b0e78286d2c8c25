/*
 * mail.c: the `email.send` job (the Brevo client and the outbox writer)
 * and the mail.* methods (mail.h; docs/mail.md).
 *
 * The handler runs on a job worker and touches no database row itself:
 * its outcome and detail (Brevo's messageId, or why it failed) go to the
 * delivery log (job_attempts) through the queue. Brevo is asked to
 * deduplicate with the job id (headers.idempotencyKey), since the queue
 * delivers at least once.
 */
#include "mail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "strbuf.h"
#include "timeutil.h"
#include "validate.h"
#include "message.h"
#include "templates.h"
#include "../audit/audit.h"
#include "../jobs/jobs.h"
#include "../net/http_client.h"

#define SEND_ATTEMPTS 8               /* with the default 1 s base: retries over about 4 minutes */
#define OUTBOX_LIST_MAX 200

/* Settings copied by mail_init, read by job workers and request workers
 * (written before they start). */
static struct {
    char base_url[256];
    char api_key[256];
    int timeout_ms;
    char from[256];
    char from_name[128];
    char outbox[1024];
} mail = { .timeout_ms = 10000 };

/* ---- the outbox ---- */

/* Write text to dir/job-<id>.eml (through a temporary file and a rename,
 * so a reader never sees half a message). 0, or -1 with detail set. */
static int outbox_write(long long id, const char *text, char *detail, size_t n)
{
    char tmp[1200], path[1200];
    snprintf(tmp, sizeof tmp, "%s/.job-%lld.eml.tmp", mail.outbox, id);
    snprintf(path, sizeof path, "%s/job-%lld.eml", mail.outbox, id);
    if (fs_mkdir_p(mail.outbox, 0750)) {
        snprintf(detail, n, "outbox: cannot create %s: %s", mail.outbox, strerror(errno));
        return -1;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(detail, n, "outbox: cannot write %s: %s", tmp, strerror(errno));
        return -1;
    }
    size_t len = strlen(text), off = 0;
    while (off < len) {
        ssize_t w = write(fd, text + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(detail, n, "outbox: cannot write %s: %s", tmp, strerror(errno));
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) || rename(tmp, path)) {
        snprintf(detail, n, "outbox: cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    snprintf(detail, n, "outbox: wrote %s", path);
    return 0;
}

/* ---- Brevo ---- */

static job_outcome brevo_send(const mail_message *m, char *detail, size_t n)
{
    json_t *body = mail_brevo_body(m);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        snprintf(detail, n, "out of memory");
        return JOB_RETRY;
    }
    size_t blen = strlen(mail.base_url);
    while (blen > 0 && mail.base_url[blen - 1] == '/')
        blen--;
    char url[320], key[300];
    snprintf(url, sizeof url, "%.*s/v3/smtp/email", (int)blen, mail.base_url);
    snprintf(key, sizeof key, "api-key: %s", mail.api_key);
    const char *const headers[] = { "Accept: application/json", "Content-Type: application/json", key, NULL };
    http_request rq = { .method = "POST", .url = url, .headers = headers, .body = text, .body_len = strlen(text),
                        .timeout_ms = mail.timeout_ms };
    http_response rs;
    job_outcome outcome = JOB_RETRY;
    int got = http_request_do(&rq, &rs);
    free(text);
    if (got) {
        snprintf(detail, n, "Brevo: %s", rs.error);
        goto out;
    }
    switch (mail_brevo_outcome(rs.status)) {
    case MAIL_SENT: {
        json_t *j = rs.body ? json_loadb(rs.body, rs.body_len, 0, NULL) : NULL;
        const char *id = json_string_value(json_object_get(j, "messageId"));
        snprintf(detail, n, "Brevo: HTTP %ld messageId %.200s", rs.status, id ? id : "(none)");
        json_decref(j);
        outcome = JOB_DONE;
        break;
    }
    case MAIL_RETRY:
        mail_brevo_error(rs.status, rs.body, rs.body_len, detail, n);
        break;
    case MAIL_REFUSED:
        mail_brevo_error(rs.status, rs.body, rs.body_len, detail, n);
        outcome = JOB_FAIL;
        break;
    }
out:
    http_response_free(&rs);
    return outcome;
}

/* ---- the job ---- */

static void rfc5322_now(char *buf, size_t n)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    snprintf(buf, n, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static job_outcome send_job(PGconn *db, const job *j, char *detail, size_t n)
{
    (void)db;
    mail_job_input in;
    char err[256];
    if (mail_job_parse(j->payload, &in, err, sizeof err)) {
        snprintf(detail, n, "refused: %s", err);
        return JOB_FAIL;
    }
    json_t *missing = json_array();
    mail_rendered r;
    job_outcome outcome = JOB_RETRY;
    if (mail_template_render(in.template, in.vars, &r, missing)) {
        snprintf(detail, n, "out of memory");
        goto out;
    }
    if (json_array_size(missing) > 0) {
        char *names = json_dumps(missing, JSON_COMPACT);
        log_debug("email.send job %lld: template %s rendered without %s", j->id, in.template->name,
                  names ? names : "some variables");
        free(names);
    }
    mail_message m = { .from_email = mail.from, .from_name = mail.from_name, .reply_to = in.reply_to,
                       .to = in.to, .r = &r, .template_name = in.template->name, .job_id = j->id };
    if (mail.api_key[0]) {
        outcome = brevo_send(&m, detail, n);
    } else {
        char date[64];
        rfc5322_now(date, sizeof date);
        char *eml = mail_eml(&m, date);
        if (!eml)
            snprintf(detail, n, "out of memory");
        else if (!outbox_write(j->id, eml, detail, n))
            outcome = JOB_DONE;
        free(eml);
    }
    mail_rendered_free(&r);
out:
    json_decref(missing);
    mail_job_input_free(&in);
    return outcome;
}

int mail_init(const dt_config *cfg)
{
    snprintf(mail.base_url, sizeof mail.base_url, "%s", cfg->brevo_base_url);
    snprintf(mail.api_key, sizeof mail.api_key, "%s", cfg->brevo_api_key);
    snprintf(mail.from, sizeof mail.from, "%s", cfg->mail_from);
    snprintf(mail.from_name, sizeof mail.from_name, "%s", cfg->mail_from_name);
    snprintf(mail.outbox, sizeof mail.outbox, "%s", cfg->mail_outbox_dir[0] ? cfg->mail_outbox_dir : ".");
    mail.timeout_ms = cfg->brevo_timeout_ms;
    if (!valid_email(mail.from)) {
        log_error("mail: mail_from \"%s\" is not an e-mail address", mail.from);
        return -1;
    }
    if (http_client_init()) {
        log_error("mail: the HTTP client (libcurl) cannot be initialised");
        return -1;
    }
    if (jobs_register("email.send", send_job, SEND_ATTEMPTS)) {
        log_error("mail: cannot register the job kind email.send");
        return -1;
    }
    if (!mail.api_key[0])
        log_info("mail: Brevo is not configured; writing to %s", mail.outbox);
    else if (!strcmp(mail.from, "noreply@didtron.invalid"))
        log_warn("mail: brevo_api_key is set but mail_from is the default %s; Brevo will refuse it", mail.from);
    return 0;
}

/* ---- methods ---- */

/* mail.templates */
static int mail_templates(rpc_call *c)
{
    json_t *items = json_array();
    const mail_template *t;
    for (size_t i = 0; (t = mail_template_at(i)); i++) {
        json_t *vars = json_array();
        for (const char *const *v = t->vars; *v; v++)
            json_array_append_new(vars, json_string(*v));
        json_array_append_new(items, json_pack("{s:s, s:s, s:o, s:s}", "name", t->name, "description",
                                               t->description, "variables", vars, "subject", t->subject));
    }
    c->result = json_pack("{s:o}", "items", items);
    return 0;
}

/* mail.preview {template, vars?} */
static int mail_preview(rpc_call *c)
{
    const mail_template *t = mail_template_find(rpc_str(c, "template"));
    if (!t)
        return rpc_field_error(c, "template", "is not a known template (mail.templates lists them)");
    json_t *vars = json_object_get(c->params, "vars");
    json_t *missing = json_array();
    mail_rendered r;
    if (mail_template_render(t, json_is_object(vars) ? vars : NULL, &r, missing)) {
        json_decref(missing);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
    }
    c->result = json_pack("{s:s, s:s, s:s, s:s, s:o}", "template", t->name, "subject", r.subject, "text", r.text,
                          "html", r.html, "missing", missing);
    mail_rendered_free(&r);
    return 0;
}

/* mail.send {template, to, vars?, reply_to?}: queue one email.send job
 * (checked here as the handler will check it, so a bad request is a field
 * error now rather than a dead letter later). */
static int mail_send(rpc_call *c)
{
    json_t *payload = json_pack("{s:O}", "template", json_object_get(c->params, "template"));
    json_t *v;
    if ((v = json_object_get(c->params, "to")))
        json_object_set(payload, "to", v);
    if ((v = json_object_get(c->params, "vars")) && !json_is_null(v))
        json_object_set(payload, "vars", v);
    if ((v = json_object_get(c->params, "reply_to")) && !json_is_null(v))
        json_object_set(payload, "reply_to", v);
    mail_job_input in;
    char err[256];
    if (mail_job_parse(payload, &in, err, sizeof err)) {
        /* err is "field: message" */
        char field[64];
        size_t n = strcspn(err, ":");
        snprintf(field, sizeof field, "%.*s", (int)(n < sizeof field ? n : sizeof field - 1), err);
        json_decref(payload);
        return rpc_field_error(c, field, err[n] ? err + n + 2 : err);
    }
    mail_job_input_free(&in);
    long long id = rpc_job_enqueue(c, "email.send", payload, NULL);
    if (id < 0 || audit_record(c, "create", "job", id, NULL, payload)) {
        json_decref(payload);
        return -1;
    }
    json_decref(payload);
    c->result = json_pack("{s:I}", "job_id", (json_int_t)id);
    return 0;
}

/* The value of header name in an .eml file's head (first 16 KiB), or "". */
static void eml_header(const char *head, const char *name, char *out, size_t n)
{
    out[0] = '\0';
    size_t nl = strlen(name);
    for (const char *p = head; p && *p && !(p[0] == '\r' && p[1] == '\n');) {
        if (!strncasecmp(p, name, nl) && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t k = 0;
            /* unfold continuation lines */
            while (*v && k + 1 < n) {
                if (v[0] == '\r' && v[1] == '\n') {
                    if (v[2] != ' ' && v[2] != '\t')
                        break;
                    v += 2;
                    continue;
                }
                out[k++] = *v++;
            }
            out[k] = '\0';
            return;
        }
        p = strstr(p, "\r\n");
        if (p)
            p += 2;
    }
}

typedef struct {
    char name[300];
    time_t mtime;
    off_t size;
} outbox_file;

static int newest_first(const void *pa, const void *pb)
{
    const outbox_file *a = pa, *b = pb;
    if (a->mtime != b->mtime)
        return a->mtime > b->mtime ? -1 : 1;
    return strcmp(b->name, a->name);
}

/* mail.outbox {limit?} */
static int mail_outbox(rpc_call *c)
{
    long long limit = rpc_int(c, "limit", 20);
    json_t *items = json_array();
    c->result = json_pack("{s:b, s:s, s:o}", "configured", mail.api_key[0] != '\0', "dir", mail.outbox, "items",
                          items);
    DIR *d = opendir(mail.outbox);
    if (!d)
        return 0;   /* nothing written yet */
    outbox_file *files = NULL;
    size_t count = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".eml") || len >= sizeof files->name)
            continue;
        char path[1400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", mail.outbox, e->d_name);
        if (stat(path, &st) || !S_ISREG(st.st_mode))
            continue;
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            outbox_file *nf = realloc(files, ncap * sizeof *nf);
            if (!nf)
                break;
            files = nf;
            cap = ncap;
        }
        snprintf(files[count].name, sizeof files[count].name, "%s", e->d_name);
        files[count].mtime = st.st_mtime;
        files[count].size = st.st_size;
        count++;
    }
    closedir(d);
    if (count)
        qsort(files, count, sizeof *files, newest_first);
    for (size_t i = 0; i < count && (long long)i < limit; i++) {
        char path[1400], head[16384], subject[512], to[1024], tmpl[80], jobid[32], when[40];
        snprintf(path, sizeof path, "%s/%s", mail.outbox, files[i].name);
        head[0] = '\0';
        FILE *f = fopen(path, "re");
        if (f) {
            size_t got = fread(head, 1, sizeof head - 1, f);
            head[got] = '\0';
            fclose(f);
        }
        eml_header(head, "Subject", subject, sizeof subject);
        eml_header(head, "To", to, sizeof to);
        eml_header(head, "X-DIDTron-Template", tmpl, sizeof tmpl);
        eml_header(head, "X-DIDTron-Job", jobid, sizeof jobid);
        time_format_rfc3339((int64_t)files[i].mtime * 1000000, when, sizeof when);
        json_array_append_new(items, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:I}", "file", files[i].name, "size",
                                               (json_int_t)files[i].size, "modified_at", when, "subject", subject,
                                               "to", to, "template", tmpl, "job_id", (json_int_t)atoll(jobid)));
    }
    free(files);
    return 0;
}

static const rpc_field preview_params[] = {
    { "template", F_STRING, F_REQUIRED, 1, 64 },
    { "vars", F_OBJECT, F_NULLABLE },
    { NULL },
};
static const rpc_field send_params[] = {
    { "template", F_STRING, F_REQUIRED, 1, 64 },
    { "to", F_ARRAY, F_REQUIRED, 1, MAIL_MAX_RECIPIENTS },
    { "vars", F_OBJECT, F_NULLABLE },
    { "reply_to", F_EMAIL, F_NULLABLE },
    { NULL },
};
static const rpc_field outbox_params[] = {
    { "limit", F_INT, 0, 1, OUTBOX_LIST_MAX },
    { NULL },
};

const rpc_method mail_methods[] = {
    { "mail.templates", mail_templates, ROLES_ADMIN | ROLE_SUPPORT, 0, NULL },
    { "mail.preview", mail_preview, ROLES_ADMIN | ROLE_SUPPORT, 0, preview_params },
    { "mail.outbox", mail_outbox, ROLES_ADMIN, 0, outbox_params },
    { "mail.send", mail_send, ROLES_ADMIN, RPC_MUTATES, send_params },
    { NULL },
};
