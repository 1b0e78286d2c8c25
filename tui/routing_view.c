/*
 * routing_view.c: one routing plan in a workspace tab — the plan's figures
 * in a line, its entries (prefix -> routes) as a table from
 * routing_plan.entry.list ("/" searches prefixes), n / e / Enter / d to
 * add, edit and delete entries (routes typed as a list of
 * "interconnect_id[:priority[:weight]]" items), and the test-route panel
 * (T or Q): route.lookup for a service id and a number, with the ordered
 * routes, every rejection with its reason, and the mode note. Below the
 * table, the selected entry's suppliers with their current rate for the
 * prefix and the margin against the customer plan
 * (routing_plan.entry.rates), fetched as the selection moves.
 *
 * Also the pause / resume prompts of interconnect rows (carrier detail,
 * interconnect detail): route.pause with a reason, route.resume after
 * asking.
 */
#include "routing_view.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_text.h"
#include "list_screen.h"
#include "net.h"
#include "theme.h"

#define ENTRY_PAGE 500
#define TEST_LINES 48
#define RATE_LINES 24

typedef struct {
    long long id;
    char name[64];
    json_t *plan;           /* routing_plan.get */
    json_t *entries;        /* the loaded entries */
    table_model t;
    bool loading;
    form dialog;            /* entry or test */
    char line[300];         /* the last save's outcome */
    char test[TEST_LINES][200];
    int ntest;
    char rates_prefix[40];  /* the entry the rates are (being) fetched for */
    char rates[RATE_LINES][200];
    int nrates;
} rview;

/* Remembered across tabs: the service the last test used. */
static char last_service[128];

enum { PART_PLAN, PART_ENTRIES, PART_TEST, PART_SAVE, PART_RATES };

static const table_column entry_cols[] = {
    { "Prefix", "prefix", 10, 1, false },
    { "Routes (interconnect:priority:weight)", "routes", 30, 6, false },
    { "Updated", "updated_at", 20, 0, false },
};

static const form_field entry_fields[] = {
    { "Prefix (digits)", "prefix", FIELD_TEXT, NULL, false },
    { "Routes ic[:prio[:weight]]", "routes", FIELD_LIST, NULL, false },
};
static const form_field test_fields[] = {
    { "Service id", "service_id", FIELD_INT, NULL, false },
    { "Number (callee)", "callee", FIELD_TEXT, NULL, false },
    { "Caller (optional)", "caller", FIELD_TEXT, NULL, true },
};

/* "7:2:30, 9:0:1" — the routes as the edit form's list. */
static void routes_text(json_t *routes, char *buf, size_t n)
{
    size_t off = 0, i;
    json_t *r;
    buf[0] = '\0';
    json_array_foreach(routes, i, r) {
        if (off >= n)
            break;
        off += (size_t)snprintf(buf + off, n - off, "%s%lld:%lld:%lld", i ? ", " : "",
                                (long long)json_integer_value(json_object_get(r, "interconnect_id")),
                                (long long)json_integer_value(json_object_get(r, "priority")),
                                (long long)json_integer_value(json_object_get(r, "weight")));
    }
}

static void add_test(rview *v, int style_unused, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add_test(rview *v, int style_unused, const char *fmt, ...)
{
    (void)style_unused;
    if (v->ntest >= TEST_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->test[v->ntest++], sizeof v->test[0], fmt, ap);
    va_end(ap);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "-";
}

static void show_lookup(rview *v, json_t *r)
{
    json_t *cust = json_object_get(r, "customer");
    const char *prefix = json_string_value(json_object_get(r, "prefix"));
    add_test(v, 0, "customer rate %s %s (%s %s) · carrier %lld · entry %s · mode %s", str(cust, "rate"),
             str(cust, "currency"), str(cust, "prefix"), str(cust, "destination"),
             (long long)json_integer_value(json_object_get(cust, "carrier_id")), prefix ? prefix : "none",
             str(r, "mode"));
    if (json_is_string(json_object_get(r, "mode_note")))
        add_test(v, 0, "note: %s", str(r, "mode_note"));
    if (json_is_integer(json_object_get(r, "seed")))
        add_test(v, 0, "seed: %lld", (long long)json_integer_value(json_object_get(r, "seed")));
    json_t *routes = json_object_get(r, "routes"), *x;
    size_t i;
    if (!json_array_size(routes))
        add_test(v, 0, "no route");
    json_array_foreach(routes, i, x) {
        /* Extras when the answer has them: the rate in the customer's
         * currency, and the quality score with the figures behind it. */
        char extra[120] = "";
        json_t *conv = json_object_get(x, "converted"), *q = json_object_get(x, "quality");
        size_t off = 0;
        if (json_is_object(conv))
            off += (size_t)snprintf(extra + off, sizeof extra - off, " · = %s %s", str(conv, "rate"), str(conv, "currency"));
        if (json_is_object(q) && off < sizeof extra) {
            if (json_is_number(json_object_get(q, "asr")))
                snprintf(extra + off, sizeof extra - off, " · quality %lld (ASR %.2f, ACD %.0fs, %lld calls)",
                         (long long)json_integer_value(json_object_get(q, "score")),
                         json_number_value(json_object_get(q, "asr")), json_number_value(json_object_get(q, "acd")),
                         (long long)json_integer_value(json_object_get(q, "attempts")));
            else
                snprintf(extra + off, sizeof extra - off, " · quality %lld (too few calls)",
                         (long long)json_integer_value(json_object_get(q, "score")));
        }
        add_test(v, 0, "%2zu. interconnect %lld · carrier %lld · rate %s %s%s · margin %s · prefix %s · priority %lld · weight %lld",
                 i + 1, (long long)json_integer_value(json_object_get(x, "interconnect_id")),
                 (long long)json_integer_value(json_object_get(x, "carrier_id")), str(x, "rate"), str(x, "currency"),
                 extra, str(x, "margin"), str(x, "prefix"), (long long)json_integer_value(json_object_get(x, "priority")),
                 (long long)json_integer_value(json_object_get(x, "weight")));
    }
    json_array_foreach(json_object_get(r, "rejected"), i, x) {
        add_test(v, 0, "REJECTED interconnect %lld · carrier %lld · %s — %s",
                 (long long)json_integer_value(json_object_get(x, "interconnect_id")),
                 (long long)json_integer_value(json_object_get(x, "carrier_id")), str(x, "reason"), str(x, "detail"));
    }
}

static void reply(screen *s, int part, json_t *result, json_t *error);

static void add_rate(rview *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_rate(rview *v, const char *fmt, ...)
{
    if (v->nrates >= RATE_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->rates[v->nrates++], sizeof v->rates[0], fmt, ap);
    va_end(ap);
}

/* routing_plan.entry.rates: a line for the customer plan, one per supplier. */
static void show_rates(rview *v, json_t *r)
{
    v->nrates = 0;
    json_t *cust = json_object_get(r, "customer");
    if (json_is_object(cust))
        add_rate(v, "customer plan %lld: %s %s %s%s%s", (long long)json_integer_value(json_object_get(cust, "rating_plan_id")),
                 str(cust, "rate"), str(cust, "currency"), str(cust, "destination"),
                 json_is_true(json_object_get(cust, "blocked")) ? " · BLOCKED" : "",
                 json_string_length(json_object_get(cust, "note")) ? " · no rate" : "");
    else
        add_rate(v, "no service routes through this plan: no customer rate, no margin");
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(r, "routes"), i, x) {
        const char *margin = json_string_value(json_object_get(x, "margin"));
        add_rate(v, "%-14.14s %-18.18s %10s %s  margin %s%s%s%s", str(x, "name"), str(x, "carrier"), str(x, "rate"),
                 str(x, "currency"), margin ? margin : "-", margin && margin[0] == '-' ? " LOSS" : "",
                 json_is_string(json_object_get(x, "note")) ? " · " : "",
                 json_is_string(json_object_get(x, "note")) ? str(x, "note") : "");
    }
}

/* Ask for the selected entry's rates when the selection is on another prefix. */
static void want_rates(screen *s)
{
    rview *v = s->state;
    json_t *e = v->t.nrows ? json_array_get(v->entries, v->t.selected) : NULL;
    const char *prefix = e ? json_string_value(json_object_get(e, "prefix")) : NULL;
    if (!prefix) {
        v->rates_prefix[0] = '\0';
        v->nrates = 0;
        return;
    }
    if (!strcmp(prefix, v->rates_prefix))
        return;
    snprintf(v->rates_prefix, sizeof v->rates_prefix, "%s", prefix);
    screen_call(s, "routing_plan.entry.rates",
                json_pack("{s:I, s:s}", "routing_plan_id", (json_int_t)v->id, "prefix", prefix), reply, PART_RATES);
}

static void reply(screen *s, int part, json_t *result, json_t *error)
{
    rview *v = s->state;
    app_dirty();
    if (part == PART_RATES) {
        const char *prefix = json_string_value(json_object_get(result, "prefix"));
        if (error) {
            v->nrates = 0;
            add_rate(v, "rates: %s", str(error, "message"));
        } else if (prefix && !strcmp(prefix, v->rates_prefix)) {
            show_rates(v, result); /* a late reply for an entry left behind is dropped */
        }
        return;
    }
    if (part == PART_TEST) {
        if (!error) {
            show_lookup(v, result);
            return;
        }
        long long code = (long long)json_integer_value(json_object_get(error, "code"));
        json_t *data = json_object_get(error, "data");
        const char *msg = json_string_value(json_object_get(error, "message"));
        if (code == -32010) {
            const char *reason = json_string_value(json_object_get(data, "reason"));
            bool avail = json_is_string(json_object_get(data, "available"));
            add_test(v, 0, "refused: customer blocked — %s%s%s%s%s", reason ? credit_block_words(reason) : (msg ? msg : "no credit"),
                     avail ? " · available " : "", avail ? str(data, "available") : "",
                     avail && json_is_string(json_object_get(data, "currency")) ? " " : "",
                     avail && json_is_string(json_object_get(data, "currency")) ? str(data, "currency") : "");
            return;
        }
        json_t *fe = json_array_get(json_object_get(data, "fields"), 0);
        if (fe)
            add_test(v, 0, "refused: %s: %s", str(fe, "field"), str(fe, "message"));
        else
            add_test(v, 0, "refused: %s", msg ? msg : "error");
        return;
    }
    if (part == PART_SAVE) {
        if (error) {
            json_t *fe = json_array_get(json_object_get(json_object_get(error, "data"), "fields"), 0);
            snprintf(v->line, sizeof v->line, "not saved: %s%s%s", fe ? str(fe, "field") : "",
                     fe ? ": " : "", fe ? str(fe, "message") : str(error, "message"));
        } else {
            snprintf(v->line, sizeof v->line, "saved entry %s", str(result, "prefix"));
        }
        return;
    }
    if (error) {
        char msg[160];
        snprintf(msg, sizeof msg, "routing plan: %s", str(error, "message"));
        app_toast(msg);
        if (part == PART_ENTRIES)
            v->loading = false;
        return;
    }
    if (part == PART_PLAN) {
        json_decref(v->plan);
        v->plan = json_incref(result);
        snprintf(v->name, sizeof v->name, "%s", str(result, "name"));
        snprintf(s->title, sizeof s->title, "%.47s", v->name);
        snprintf(s->crumb, sizeof s->crumb, "Rating / Routing plans / %s", v->name);
        return;
    }
    v->loading = false;
    size_t keep = v->t.selected, keep_top = v->t.top;
    table_clear(&v->t);
    json_decref(v->entries);
    v->entries = json_incref(json_object_get(result, "items"));
    size_t i;
    json_t *e;
    json_array_foreach(v->entries, i, e) {
        char routes[400];
        routes_text(json_object_get(e, "routes"), routes, sizeof routes);
        const char *cells[3] = { str(e, "prefix"), routes, str(e, "updated_at") };
        table_append(&v->t, (long long)json_integer_value(json_object_get(e, "id")), cells);
    }
    table_set_page(&v->t, (long long)json_integer_value(json_object_get(result, "total")), NULL);
    if (v->t.nrows) {
        v->t.selected = keep < v->t.nrows ? keep : v->t.nrows - 1;
        v->t.top = keep_top <= v->t.selected ? keep_top : v->t.selected;
    }
    v->rates_prefix[0] = '\0'; /* routes or rates may have changed: ask again */
    want_rates(s);
}

static void load_entries(screen *s)
{
    rview *v = s->state;
    json_t *filter = json_pack("{s:I}", "routing_plan_id", (json_int_t)v->id);
    if (v->t.filter[0])
        json_object_set_new(filter, "prefix", json_string(v->t.filter));
    v->loading = true;
    screen_call(s, "routing_plan.entry.list", json_pack("{s:o, s:i}", "filter", filter, "limit", ENTRY_PAGE), reply,
                PART_ENTRIES);
}

static void reload(screen *s)
{
    rview *v = s->state;
    screen_new_load(s);
    screen_call(s, "routing_plan.get", json_pack("{s:I}", "id", (json_int_t)v->id), reply, PART_PLAN);
    load_entries(s);
}

static void draw(screen *s, rect r)
{
    rview *v = s->state;
    char head[300];
    if (v->plan)
        snprintf(head, sizeof head, "Routing plan %s (id %lld) · mode %s · negative margin %s · LCR delta %s · %lld entries",
                 v->name, v->id, str(v->plan, "mode"),
                 json_is_true(json_object_get(v->plan, "allow_negative_margin")) ? "allowed" : "refused",
                 str(v->plan, "lcr_delta"), (long long)json_integer_value(json_object_get(v->plan, "entries")));
    else
        snprintf(head, sizeof head, "Routing plan %s (id %lld)", v->name, v->id);
    ui_put(r.y, r.x, r.w, STYLE_TITLE, head);
    ui_put(r.y + 1, r.x, r.w, STYLE_ACCENT,
           v->line[0] ? v->line : "n: add entry · Enter/e: edit routes · d: delete · T: test a number · /: prefix");
    rect body = { r.y + 2, r.x, r.h - 2, r.w };
    if (v->ntest && body.h > 8) {
        int ph = v->ntest + 2;
        if (ph > body.h / 2 + 2)
            ph = body.h / 2 + 2;
        rect panel = { body.y + body.h - ph, body.x, ph, body.w };
        body.h -= ph;
        rect in = ui_box(panel, "Test route", false);
        int first = v->ntest > in.h ? v->ntest - in.h : 0; /* the latest lines */
        for (int i = 0; i < in.h && first + i < v->ntest; i++) {
            const char *t = v->test[first + i];
            ui_put(in.y + i, in.x, in.w, strncmp(t, "REJECTED", 8) && strncmp(t, "refused", 7) ? STYLE_NORMAL : STYLE_BAD,
                   t);
        }
    } else if (v->nrates && body.h > 8) {
        int ph = v->nrates + 2;
        if (ph > body.h / 2 + 2)
            ph = body.h / 2 + 2;
        rect panel = { body.y + body.h - ph, body.x, ph, body.w };
        body.h -= ph;
        char title[80];
        snprintf(title, sizeof title, "Suppliers of %s: rate and margin now", v->rates_prefix);
        rect in = ui_box(panel, title, false);
        for (int i = 0; i < in.h && i < v->nrates; i++)
            ui_put(in.y + i, in.x, in.w, strstr(v->rates[i], " LOSS") ? STYLE_BAD : STYLE_NORMAL, v->rates[i]);
    }
    table_draw(&v->t, body, true, v->loading ? "loading…" : "no entries: n adds one");
}

/* The entry form's submit: the routes list becomes route objects. */
static bool send_entry(form *f, json_t *params)
{
    screen *s = f->ud;
    json_t *items = json_object_get(params, "routes");
    json_t *routes = json_array();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        long long ic = 0, prio = 0, weight = 1;
        char extra;
        const char *t = json_string_value(it);
        int got = t ? sscanf(t, "%lld:%lld:%lld%c", &ic, &prio, &weight, &extra) : 0;
        if (got < 1 || got > 3 || ic <= 0) {
            snprintf(f->message, sizeof f->message,
                     "route \"%.40s\": write interconnect_id[:priority[:weight]], e.g. 7:2:30", t ? t : "");
            json_decref(routes);
            json_decref(params);
            return false;
        }
        json_t *r = json_pack("{s:I}", "interconnect_id", (json_int_t)ic);
        if (got >= 2)
            json_object_set_new(r, "priority", json_integer(prio));
        if (got >= 3)
            json_object_set_new(r, "weight", json_integer(weight));
        json_array_append_new(routes, r);
    }
    json_object_set_new(params, "routes", routes);
    json_object_del(params, "version");
    rview *v = s->state;
    snprintf(v->line, sizeof v->line, "saving entry %s…", str(params, "prefix"));
    screen_call(s, "routing_plan.entry.set", params, reply, PART_SAVE);
    return true;
}

static bool send_test(form *f, json_t *params)
{
    screen *s = f->ud;
    rview *v = s->state;
    json_object_del(params, "version");
    json_object_del(params, "routing_plan_id");
    if (json_is_null(json_object_get(params, "caller")))
        json_object_del(params, "caller");
    snprintf(last_service, sizeof last_service, "%s", f->value[0]);
    v->ntest = 0;
    add_test(v, 0, "test %s on service %s%s%s:", f->value[1], f->value[0], f->value[2][0] ? " from " : "", f->value[2]);
    screen_call(s, "route.lookup", params, reply, PART_TEST);
    return true;
}

static void open_entry(screen *s, bool creating)
{
    rview *v = s->state;
    json_t *e = creating ? NULL : json_array_get(v->entries, v->t.selected);
    if (!creating && (!e || !v->t.nrows))
        return;
    form_init_create(&v->dialog, creating ? "New routing entry" : "Edit routes", "routing_plan.entry.set",
                     "routing_plan_id", v->id, entry_fields, (int)(sizeof entry_fields / sizeof entry_fields[0]));
    if (e) {
        snprintf(v->dialog.value[0], sizeof v->dialog.value[0], "%s", str(e, "prefix"));
        routes_text(json_object_get(e, "routes"), v->dialog.value[1], sizeof v->dialog.value[1]);
        v->dialog.focus = 1;
    }
    v->dialog.submit = send_entry;
    v->dialog.ud = s;
    app_open_form(&v->dialog);
}

static void open_test(screen *s)
{
    rview *v = s->state;
    form_init_create(&v->dialog, "Test route", "route.lookup", "routing_plan_id", v->id, test_fields,
                     (int)(sizeof test_fields / sizeof test_fields[0]));
    snprintf(v->dialog.value[0], sizeof v->dialog.value[0], "%s", last_service);
    if (last_service[0])
        v->dialog.focus = 1;
    v->dialog.submit = send_test;
    v->dialog.ud = s;
    app_open_form(&v->dialog);
}

typedef struct {
    long long plan;
    char prefix[40];
} doomed_entry;

static void entry_deleted(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    (void)result;
    char msg[200];
    snprintf(msg, sizeof msg, error ? "not deleted: %s" : "deleted%s", error ? str(error, "message") : "");
    app_toast(msg);
}

static void delete_entry(void *ud)
{
    doomed_entry *d = ud;
    net_call("routing_plan.entry.delete",
             json_pack("{s:I, s:s}", "routing_plan_id", (json_int_t)d->plan, "prefix", d->prefix), entry_deleted, NULL);
}

static bool action(screen *s, action_id a, int h)
{
    rview *v = s->state;
    h -= 3;
    switch (a) {
    case ACT_UP: table_move(&v->t, -1, h); break;
    case ACT_DOWN: table_move(&v->t, 1, h); break;
    case ACT_PAGE_UP: table_move(&v->t, -h, h); break;
    case ACT_PAGE_DOWN: table_move(&v->t, h, h); break;
    case ACT_FIRST: table_select_first(&v->t, h); break;
    case ACT_LAST: table_select_last(&v->t, h); break;
    case ACT_REFRESH: reload(s); break;
    case ACT_NEW: open_entry(s, true); break;
    case ACT_OPEN:
    case ACT_EDIT: open_entry(s, false); break;
    case ACT_TEST_ROUTE:
    case ACT_QUOTE: open_test(s); break;
    case ACT_DELETE: {
        json_t *e = v->t.nrows ? json_array_get(v->entries, v->t.selected) : NULL;
        if (!e)
            return false;
        doomed_entry *d = malloc(sizeof *d);
        if (!d)
            return false;
        d->plan = v->id;
        snprintf(d->prefix, sizeof d->prefix, "%s", str(e, "prefix"));
        char q[300];
        snprintf(q, sizeof q, "Delete the routing entry %s of %s? Calls to it stop routing by it.", d->prefix, v->name);
        app_confirm(q, delete_entry, d);
        break;
    }
    default: return false;
    }
    want_rates(s);
    return true;
}

static void event(screen *s, const char *topic, json_t *data)
{
    rview *v = s->state;
    if (!strcmp(topic, "routing_plan.changed") && json_integer_value(json_object_get(data, "id")) == v->id)
        reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    rview *v = s->state;
    table_footer(&v->t, theme_glyphs()->utf8, buf, n);
}

static void destroy(screen *s)
{
    rview *v = s->state;
    app_close_form(&v->dialog);
    json_decref(v->plan);
    json_decref(v->entries);
    table_free(&v->t);
    free(v);
    free(s);
}

/* "/" searches prefixes (the digits typed; a leading + dropped). */
static void filter(screen *s, const char *text)
{
    rview *v = s->state;
    snprintf(v->t.filter, sizeof v->t.filter, "%s", text[0] == '+' ? text + 1 : text);
    screen_new_load(s);
    reload(s);
}

static const char *filter_text(screen *s)
{
    return ((rview *)s->state)->t.filter;
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, filter, filter_text, NULL };

screen *routing_view_new(long long id, const char *name)
{
    screen *s = calloc(1, sizeof *s);
    rview *v = s ? calloc(1, sizeof *v) : NULL;
    if (!v) {
        free(s);
        return NULL;
    }
    v->id = id;
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    table_init(&v->t, entry_cols, (int)(sizeof entry_cols / sizeof entry_cols[0]));
    s->ops = &ops;
    s->state = v;
    s->id = TAB_ID_ROUTING(id);
    snprintf(s->title, sizeof s->title, "%.47s", v->name);
    snprintf(s->crumb, sizeof s->crumb, "Rating / Routing plans / %s", v->name);
    return s;
}

/* ---- pause / resume of an interconnect ---- */

void pause_text(json_t *pauses, long long interconnect_id, const char *status, char *buf, size_t n, json_t **pause)
{
    size_t i;
    json_t *p, *found = NULL;
    json_array_foreach(pauses, i, p) {
        /* route.pause.list gives active pauses; a resumed one never counts */
        if ((long long)json_integer_value(json_object_get(p, "interconnect_id")) != interconnect_id ||
            json_is_string(json_object_get(p, "resumed_at")))
            continue;
        /* the whole interconnect's pause first, else the first prefix's */
        if (!found || (json_is_string(json_object_get(found, "prefix")) && !json_is_string(json_object_get(p, "prefix"))))
            found = p;
    }
    if (pause)
        *pause = found;
    if (found && json_is_string(json_object_get(found, "prefix")))
        snprintf(buf, n, "PAUSED %s: %s", str(found, "prefix"), str(found, "reason"));
    else if (found)
        snprintf(buf, n, "PAUSED: %s", str(found, "reason"));
    else if (status && !strcmp(status, "paused"))
        snprintf(buf, n, "PAUSED (status)");
    else
        buf[0] = '\0';
}

static const form_field pause_fields[] = {
    { "Reason (required)", "reason", FIELD_TEXT, NULL, false },
};

typedef struct {
    long long ic;
    char prefix[40];
    bool has_prefix;
} resuming;

static void resumed(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    (void)result;
    char msg[200];
    snprintf(msg, sizeof msg, error ? "not resumed: %s" : "resumed%s", error ? str(error, "message") : "");
    app_toast(msg);
}

static void do_resume(void *ud)
{
    resuming *r = ud;
    json_t *p = json_pack("{s:I}", "interconnect_id", (json_int_t)r->ic);
    if (r->has_prefix)
        json_object_set_new(p, "prefix", json_string(r->prefix));
    net_call("route.resume", p, resumed, NULL);
}

void resume_ask(long long interconnect_id, const char *name, json_t *pause)
{
    if (!pause) {
        app_toast("not paused (a status of paused is changed with e)");
        return;
    }
    resuming *r = calloc(1, sizeof *r);
    if (!r)
        return;
    r->ic = interconnect_id;
    r->has_prefix = json_is_string(json_object_get(pause, "prefix"));
    snprintf(r->prefix, sizeof r->prefix, "%s", r->has_prefix ? str(pause, "prefix") : "");
    char q[300];
    snprintf(q, sizeof q, "Resume traffic on %s%s%s (paused: %s)?", name ? name : "the interconnect",
             r->has_prefix ? " to " : "", r->prefix, str(pause, "reason"));
    app_confirm(q, do_resume, r);
}

void pause_or_resume(form *f, long long interconnect_id, const char *name, json_t *pause, void (*done)(void *),
                     void *ud)
{
    if (pause) {
        resume_ask(interconnect_id, name, pause);
        return;
    }
    char title[64];
    snprintf(title, sizeof title, "Pause %.50s", name ? name : "interconnect");
    form_init_create(f, title, "route.pause", "interconnect_id", interconnect_id, pause_fields,
                     (int)(sizeof pause_fields / sizeof pause_fields[0]));
    f->done = done;
    f->ud = ud;
    app_open_form(f);
}
