/*
 * jobs_view.c: one job (see jobs_view.h). The payload is shown as the
 * server's JSON, indented; the delivery log one attempt a line, oldest
 * first, as job.get gives it.
 */
#include "jobs_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kb_view.h"
#include "list_screen.h"
#include "net.h"
#include "theme.h"

typedef struct {
    long long id;
    json_t *job;
    char note[200];
    int scroll, nlines, height;
} job_state;

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

static void loaded(screen *s, int part, json_t *result, json_t *error)
{
    job_state *st = s->state;
    (void)part;
    if (error) {
        snprintf(st->note, sizeof st->note, "job %lld: %s", st->id, str(error, "message"));
    } else {
        st->note[0] = '\0';
        json_decref(st->job);
        st->job = json_incref(result);
    }
    app_dirty();
}

static void reload(screen *s)
{
    job_state *st = s->state;
    screen_new_load(s);
    screen_call(s, "job.get", json_pack("{s:I}", "id", (json_int_t)st->id), loaded, 0);
}

/* The lines below the facts: payload, then the delivery log. */
static int body_lines(job_state *st, char lines[][200], int max)
{
    int n = 0;
    char *payload = json_dumps(json_object_get(st->job, "payload"), JSON_INDENT(2) | JSON_SORT_KEYS);
    if (n < max)
        snprintf(lines[n++], 200, "Payload");
    for (char *save = NULL, *l = payload ? strtok_r(payload, "\n", &save) : NULL; l && n < max;
         l = strtok_r(NULL, "\n", &save))
        snprintf(lines[n++], 200, "  %s", l);
    free(payload);
    if (n < max)
        lines[n++][0] = '\0';
    if (n < max)
        snprintf(lines[n++], 200, "Delivery log");
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(st->job, "attempt_log"), i, a) {
        if (n >= max)
            break;
        snprintf(lines[n++], 200, "  #%lld %s %s %s %s", (long long)json_integer_value(json_object_get(a, "attempt")),
                 str(a, "started_at"), str(a, "outcome"), str(a, "instance"), str(a, "detail"));
    }
    if (!json_array_size(json_object_get(st->job, "attempt_log")) && n < max)
        snprintf(lines[n++], 200, "  no attempts yet");
    return n;
}

static void draw(screen *s, rect r)
{
    job_state *st = s->state;
    if (!st->job) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, st->note[0] ? st->note : "loading…");
        return;
    }
    static const char *const fields[][2] = {
        { "ID", "id" }, { "Kind", "kind" }, { "State", "state" }, { "Attempts", "attempts" },
        { "Max attempts", "max_attempts" }, { "Run at", "run_at" }, { "Dedupe key", "dedupe_key" },
        { "Created", "created_at" }, { "Finished", "finished_at" }, { "Last error", "last_error" },
    };
    kv items[10];
    int styles[10] = { 0 };
    for (int i = 0; i < 10; i++) {
        char buf[96];
        items[i].label = fields[i][0];
        snprintf(items[i].value, sizeof items[i].value, "%s", json_path_text(st->job, fields[i][1], buf, sizeof buf));
    }
    bool dead = !strcmp(str(st->job, "state"), "dead");
    if (dead) { /* a marker, not colour alone */
        snprintf(items[2].value, sizeof items[2].value, "! dead (r retries)");
        styles[2] = STYLE_BAD;
    }
    if (items[9].value[0])
        styles[9] = STYLE_BAD;
    char title[64];
    snprintf(title, sizeof title, "Job %lld", st->id);
    rect box = { r.y, r.x, 7, r.w };
    rect in = ui_box(box, title, true), half[2];
    layout_columns(in, 2, 0, 1, half);
    ui_kv_styled(half[0], items, 5, 0, styles);
    ui_kv_styled(half[1], items + 5, 5, 0, styles + 5);
    static char lines[400][200];
    int n = body_lines(st, lines, 400);
    rect rest = { r.y + 7, r.x + 1, r.h - 7, r.w - 1 };
    st->nlines = n;
    st->height = rest.h;
    ui_scroll_clamp(&st->scroll, rest.h, n);
    for (int y = 0; y < rest.h; y++) {
        int k = st->scroll + y;
        bool heading = k < n && lines[k][0] && lines[k][0] != ' ';
        ui_put(rest.y + y, rest.x, rest.w, heading ? STYLE_TITLE : STYLE_NORMAL, k < n ? lines[k] : "");
    }
}

static void retry_yes(void *ud);

typedef struct {
    screen *s;
    long long id;
} retry_ticket;

static void retried(void *ud, json_t *result, json_t *error)
{
    retry_ticket *rt = ud;
    (void)result;
    if (error) {
        char msg[200];
        snprintf(msg, sizeof msg, "retry refused: %.160s", str(error, "message"));
        app_toast(msg);
    } else {
        app_toast("the job is queued again");
        if (app_screen_open(rt->s) && rt->s->id == TAB_ID_JOB(rt->id))
            reload(rt->s);
    }
    free(rt);
}

static void retry_yes(void *ud)
{
    retry_ticket *q = ud, *rt = malloc(sizeof *rt);
    if (!rt)
        return;
    *rt = *q;
    net_call("job.retry", json_pack("{s:I}", "id", (json_int_t)rt->id), retried, rt);
}

static bool action(screen *s, action_id a, int h)
{
    job_state *st = s->state;
    (void)h;
    if (ui_scroll_key(a, &st->scroll, st->height, st->nlines))
        return true;
    switch (a) {
    case ACT_REFRESH: reload(s); return true;
    case ACT_RETRY: {
        if (!st->job || strcmp(str(st->job, "state"), "dead")) {
            app_toast("only a dead job is retried");
            return true;
        }
        retry_ticket *rt = malloc(sizeof *rt);
        if (!rt)
            return true;
        *rt = (retry_ticket){ s, st->id };
        char q[160];
        snprintf(q, sizeof q, "Retry job %lld (%.60s) now?", st->id, str(st->job, "kind"));
        app_confirm(q, retry_yes, rt);
        return true;
    }
    default: return false;
    }
}

static void event(screen *s, const char *topic, json_t *data)
{
    job_state *st = s->state;
    if (!strcmp(topic, "job.changed") && (long long)json_integer_value(json_object_get(data, "id")) == st->id)
        reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    job_state *st = s->state;
    snprintf(buf, n, "%s · [r Retry a dead job] [Up/Down Scroll]", st->job ? str(st->job, "state") : "");
}

static void destroy(screen *s)
{
    job_state *st = s->state;
    json_decref(st->job);
    free(st);
    free(s);
}

static key_context context(screen *s)
{
    (void)s;
    return CTX_JOB;
}

static const screen_ops ops = {
    .draw = draw, .action = action, .reload = reload, .event = event, .footer = footer, .destroy = destroy,
    .context = context,
};

void job_open(long long id, const char *kind)
{
    screen *s = calloc(1, sizeof *s);
    job_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return;
    }
    st->id = id;
    s->ops = &ops;
    s->state = st;
    s->id = TAB_ID_JOB(id);
    snprintf(s->title, sizeof s->title, "Job %lld", id);
    snprintf(s->crumb, sizeof s->crumb, "Settings / Jobs / %lld %.40s", id, kind ? kind : "");
    app_open_screen(s);
}
