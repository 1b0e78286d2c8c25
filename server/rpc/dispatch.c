#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "registry.h"
#include "timeutil.h"
#include "../auth/auth.h"

static void finish(rpc_job *job, int code, const char *message, json_t *data, json_t *result)
{
    job->code = code;
    if (job->bare_reply && !job->reply) { /* (a reply already there: the handler wrote it, result_text) */
        json_t *body = code ? json_pack("{s:{s:i, s:s, s:O*}}", "error", "code", code, "message",
                                        message ? message : "", "data", data)
                            : json_incref(result);
        job->reply = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        json_decref(body);
    } else if (!job->bare_reply && !job->req.notification) {
        job->reply = code ? rpc_error_dump(job->req.id, code, message, data)
                          : rpc_result_dump(job->req.id, result);
    }
    int64_t elapsed = job->started_usec ? time_mono_usec() - job->started_usec : 0;
    metrics_request(job->method ? registry_index(job->method) : -1, code, elapsed);
}

void rpc_job_error(rpc_job *job, int code, const char *message, json_t *data)
{
    finish(job, code, message, data, NULL);
}

static void run_call(rpc_job *job, rpc_call *c)
{
    const rpc_method *m = job->method;
    if (m->params && rpc_validate(c, c->params, m->params))
        return;
    if (m->flags & RPC_MUTATES) {
        if (rpc_begin(c))
            return;
        int rc = m->handler(c);
        if (rc == 0 && !c->err_code) {
            if (rpc_commit(c) == 0)
                return;
        }
        rpc_rollback(c);
        if (!c->err_code)
            rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
        json_decref(c->result);
        c->result = NULL;
        return;
    }
    if (m->handler(c) != 0 && !c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    if (c->in_transaction) {
        log_error("%s: handler left a transaction open", m->name);
        rpc_rollback(c);
    }
}

void rpc_execute(rpc_job *job, PGconn *db)
{
    const rpc_method *m = job->method;
    if (!m->handler) {
        rpc_job_error(job, RPC_INTERNAL_ERROR, "internal error", NULL);
        return;
    }
    if (!db && !(m->flags & RPC_INLINE)) {
        rpc_job_error(job, RPC_INTERNAL_ERROR, "the database is not reachable", NULL);
        return;
    }
    if (job->bearer[0]) {
        int rc = auth_session_lookup(db, job->bearer, &job->session);
        if (rc == -2) {
            rpc_job_error(job, RPC_INTERNAL_ERROR, "internal error", NULL);
            return;
        }
        if (rc) {
            rpc_job_error(job, RPC_NOT_AUTHENTICATED, "the token is unknown, expired or revoked", NULL);
            return;
        }
    }
    int deny = registry_authorize(m, &job->session);
    if (deny) {
        rpc_job_error(job, deny, deny == RPC_NOT_AUTHENTICATED ? "log in first" : "your role may not call this method",
                      NULL);
        return;
    }
    rpc_call c = {
        .db = db,
        .session = &job->session,
        .params = job->req.params,
        .method = m->name,
        .peer = job->peer,
        .cfg = job->cfg,
        .transport = job->transport,
        .method_data = m->data,
        .upload = job->upload.path ? &job->upload : NULL,
        .download = job->want_download ? &job->download : NULL,
        .text_ok = job->bare_reply,
    };
    run_call(job, &c);
    if (c.err_code) {
        finish(job, c.err_code, c.err_message, c.err_data, NULL);
    } else if (c.result_text && job->bare_reply) { /* the body, written by the handler */
        job->reply = c.result_text;
        c.result_text = NULL;
        finish(job, 0, NULL, NULL, NULL);
    } else {
        finish(job, 0, NULL, NULL, c.result ? c.result : json_null());
        job->session_change = c.session_change;
        job->new_session = c.new_session;
    }
    json_decref(c.result);
    json_decref(c.err_data);
    free(c.result_text);
}

int rpc_run_local(PGconn *db, const dt_config *cfg, const rpc_session *s, const char *method,
                  json_t *params, json_t **result, char *err, size_t errlen)
{
    const rpc_method *m = registry_find(method);
    if (!m) {
        snprintf(err, errlen, "no method %s", method);
        return RPC_METHOD_NOT_FOUND;
    }
    rpc_job job = { .method = m, .session = *s, .cfg = cfg };
    snprintf(job.peer, sizeof job.peer, "cli");
    job.req.params = params;
    job.req.id = json_integer(1);
    rpc_execute(&job, db);
    json_t *reply = job.reply ? json_loads(job.reply, 0, NULL) : NULL;
    free(job.reply);
    json_decref(job.req.id);
    int code = job.code;
    if (code) {
        json_t *e = json_object_get(reply, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        size_t k = (size_t)snprintf(err, errlen, "%s", msg ? msg : "error");
        json_t *fields = json_object_get(json_object_get(e, "data"), "fields");
        size_t i;
        json_t *f;
        json_array_foreach(fields, i, f) {
            if (k < errlen)
                k += (size_t)snprintf(err + k, errlen - k, "; %s %s",
                                      json_string_value(json_object_get(f, "field")),
                                      json_string_value(json_object_get(f, "message")));
        }
    } else {
        *result = json_incref(json_object_get(reply, "result"));
    }
    json_decref(reply);
    return code;
}
