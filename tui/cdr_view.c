/*
 * cdr_view.c: one CDR in a workspace tab — the call (times, parties,
 * release cause), its customer side and its supplier side as rated
 * (prefix, destination, rate, billed seconds, cost, or why it is unrated),
 * and the margin. Customers are sent no supplier side and no margin, and
 * the screen says so instead of showing blanks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_screen.h"
#include "net.h"
#include "screen.h"
#include "theme.h"

typedef struct {
    char id[80];
    json_t *cdr;
    int scroll;         /* one column: the first line shown */
} cdr_state;

static void reply(screen *s, int part, json_t *result, json_t *error)
{
    cdr_state *st = s->state;
    (void)part;
    app_dirty();
    if (error) {
        char msg[200];
        snprintf(msg, sizeof msg, "CDR %s: %s", st->id, json_string_value(json_object_get(error, "message")));
        app_toast(msg);
        return;
    }
    json_decref(st->cdr);
    st->cdr = json_incref(result);
}

static void reload(screen *s)
{
    cdr_state *st = s->state;
    screen_new_load(s);
    screen_call(s, "cdr.get", json_pack("{s:s}", "id", st->id), reply, 0);
}

/* One side as label/value lines. */
static int side(json_t *x, kv *out, int max)
{
    static const char *const rows[][2] = {
        { "Rated", "rated" }, { "Reason", "reason" }, { "Carrier", "carrier_id" }, { "Interconnect", "interconnect_id" },
        { "Service", "service_id" }, { "Rating plan", "rating_plan_id" }, { "Prefix", "prefix" },
        { "Destination", "destination" }, { "Rate / min", "rate" }, { "Billed (s)", "billed_duration" },
        { "Cost", "cost" }, { "Currency", "currency" },
    };
    int n = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0] && n < max; i++) {
        char buf[96];
        out[n].label = rows[i][0];
        snprintf(out[n].value, sizeof out[n].value, "%s", json_path_text(x, rows[i][1], buf, sizeof buf));
        n++;
    }
    return n;
}

static void draw(screen *s, rect r)
{
    cdr_state *st = s->state;
    if (!st->cdr) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, "loading…");
        return;
    }
    static const char *const call_rows[][2] = {
        { "CDR id", "id" }, { "Caller", "caller" }, { "Callee", "callee" }, { "Start", "start_time" },
        { "Answer", "answer_time" }, { "End", "end_time" }, { "Duration (s)", "duration" },
        { "Release cause", "release_cause" }, { "PDD (ms)", "pdd_ms" }, { "Margin", "margin" },
    };
    kv call[10], cust[12], supp[12];
    for (int i = 0; i < 10; i++) {
        char buf[96];
        call[i].label = call_rows[i][0];
        snprintf(call[i].value, sizeof call[i].value, "%s", json_path_text(st->cdr, call_rows[i][1], buf, sizeof buf));
    }
    json_t *supplier = json_object_get(st->cdr, "supplier");
    if (!json_object_get(st->cdr, "margin") && !supplier)
        snprintf(call[9].value, sizeof call[9].value, "(not shown to customers)");
    int nc = side(json_object_get(st->cdr, "customer"), cust, 12);
    int ns = supplier ? side(supplier, supp, 12) : 0;
    rect parts[3];
    if (layout_columns(r, 3, 120, 1, parts)) {
        ui_kv(ui_box(parts[0], "Call", true), call, 10, 0);
        ui_kv(ui_box(parts[1], "Customer side", false), cust, nc, 0);
        ui_kv(ui_box(parts[2], supplier ? "Supplier side" : "Supplier side (not shown)", false), supp, ns, 0);
        return;
    }
    /* One column: the parts one under the other. */
    kv all[40];
    int n = 0;
    for (int i = 0; i < 10; i++)
        all[n++] = call[i];
    all[n].label = "— customer —";
    all[n++].value[0] = '\0';
    for (int i = 0; i < nc; i++)
        all[n++] = cust[i];
    all[n].label = "— supplier —";
    snprintf(all[n++].value, sizeof all[0].value, "%s", supplier ? "" : "(not shown)");
    for (int i = 0; i < ns && n < 40; i++)
        all[n++] = supp[i];
    int max_scroll = n > r.h - 2 ? n - (r.h - 2) : 0;
    if (st->scroll > max_scroll)
        st->scroll = max_scroll;
    ui_kv(ui_box(r, "CDR (Up/Down scroll)", true), all, n, st->scroll);
}

static bool action(screen *s, action_id a, int h)
{
    cdr_state *st = s->state;
    switch (a) {
    case ACT_REFRESH: reload(s); return true;
    case ACT_DOWN: st->scroll++; return true;
    case ACT_UP: st->scroll = st->scroll > 0 ? st->scroll - 1 : 0; return true;
    case ACT_PAGE_DOWN: st->scroll += h - 2; return true;
    case ACT_PAGE_UP: st->scroll = st->scroll > h - 2 ? st->scroll - (h - 2) : 0; return true;
    case ACT_FIRST: st->scroll = 0; return true;
    default: return false;
    }
}

static void event(screen *s, const char *topic, json_t *data)
{
    (void)s;
    (void)topic;
    (void)data;
}

static void footer(screen *s, char *buf, size_t n)
{
    cdr_state *st = s->state;
    snprintf(buf, n, "CDR %s · r: reload", st->id);
}

static void destroy(screen *s)
{
    cdr_state *st = s->state;
    json_decref(st->cdr);
    free(st);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL };

screen *cdr_view_new(const char *id)
{
    screen *s = calloc(1, sizeof *s);
    cdr_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    snprintf(st->id, sizeof st->id, "%s", id);
    s->ops = &ops;
    s->state = st;
    snprintf(s->title, sizeof s->title, "CDR %.40s", id);
    snprintf(s->crumb, sizeof s->crumb, "Rating / CDRs / %.60s", id);
    return s;
}
