/*
 * statement_view.c: the server's plain text of a money document in a
 * workspace tab, scrollable (Up/Down, PgUp/PgDn, Home/End) — either a
 * carrier side's statement of account for one month (ledger.statement,
 * format "text"), or an issued invoice, credit note or netting document
 * (invoice.get, format "text"). The server renders the text (80 columns);
 * the console only cuts lines to the screen, so what the carrier gets and
 * what the engineer reads are the same.
 *
 * A statement opens on this month so far, "this month" being the month in
 * the carrier's time zone (the server reads the dates there too). Left /
 * Right (the prev/next-tab keys: h/l in vim, C-b/C-f in emacs) step a
 * month back / forward, never past this month; s switches a bilateral
 * carrier between its customer and supplier side. It reloads when a
 * posting for the carrier arrives while it shows this month; an invoice
 * reloads when it is voided.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ledger_text.h"
#include "list_screen.h"
#include "screen.h"
#include "theme.h"

typedef struct {
    bool statement;         /* else an issued document */
    long long id;           /* the carrier (statement) or the document */
    char name[64];          /* the carrier's name or the document's number */
    bool bilateral;
    char side[12];          /* "customer" | "supplier" */
    int year, month;        /* the statement's month */
    int cur_year, cur_month; /* this month in the carrier's time zone */
    char *text;             /* the server's text (owned), or NULL */
    size_t *lines;          /* where each line of text starts */
    size_t nlines;
    int scroll;             /* first line shown */
    bool loading;
    char message[300];      /* why there is no text */
} viewer;

/* This month where the carrier is: localtime in its zone, TZ put back. */
static void zone_month(const char *tz, int *year, int *month)
{
    time_t now = time(NULL);
    struct tm tm;
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    if (tz && tz[0]) {
        setenv("TZ", tz, 1);
        tzset();
    }
    localtime_r(&now, &tm);
    if (tz && tz[0]) {
        if (saved)
            setenv("TZ", saved, 1);
        else
            unsetenv("TZ");
        tzset();
    }
    free(saved);
    *year = tm.tm_year + 1900;
    *month = tm.tm_mon + 1;
}

static void set_text(viewer *v, const char *text)
{
    free(v->text);
    free(v->lines);
    v->text = NULL;
    v->lines = NULL;
    v->nlines = 0;
    if (!text)
        return;
    size_t n = 1;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    v->text = strdup(text);
    v->lines = malloc(n * sizeof *v->lines);
    if (!v->text || !v->lines) {
        free(v->text);
        free(v->lines);
        v->text = NULL;
        v->lines = NULL;
        snprintf(v->message, sizeof v->message, "out of memory");
        return;
    }
    /* lines end at '\n' (cut there); a final newline starts no line */
    size_t start = 0, len = strlen(v->text);
    for (size_t i = 0; i <= len; i++) {
        if (i == len || v->text[i] == '\n') {
            if (i < len || i > start)
                v->lines[v->nlines++] = start;
            if (i < len)
                v->text[i] = '\0';
            start = i + 1;
        }
    }
}

static void reply(screen *s, int part, json_t *result, json_t *error)
{
    viewer *v = s->state;
    (void)part;
    v->loading = false;
    app_dirty();
    if (error) {
        json_t *field = json_array_get(json_object_get(json_object_get(error, "data"), "fields"), 0);
        const char *msg = json_string_value(json_object_get(error, "message"));
        const char *fname = json_string_value(json_object_get(field, "field"));
        const char *fmsg = json_string_value(json_object_get(field, "message"));
        snprintf(v->message, sizeof v->message, "%s: %s%s%s%s%s%s", v->statement ? "statement" : "document",
                 msg ? msg : "refused", fname || fmsg ? " (" : "", fname ? fname : "", fname && fmsg ? ": " : "",
                 fmsg ? fmsg : "", fname || fmsg ? ")" : "");
        set_text(v, NULL);
        return;
    }
    const char *text = json_string_value(json_object_get(result, "text"));
    if (!text) {
        snprintf(v->message, sizeof v->message, "the server sent no text");
        set_text(v, NULL);
        return;
    }
    v->message[0] = '\0';
    set_text(v, text);
}

static void reload(screen *s)
{
    viewer *v = s->state;
    screen_new_load(s);
    v->loading = true;
    json_t *p;
    if (v->statement) {
        char from[16], to[16];
        period_month_bounds(v->year, v->month, v->cur_year, v->cur_month, from, sizeof from, to, sizeof to);
        p = json_pack("{s:I, s:s, s:s, s:s}", "carrier_id", (json_int_t)v->id, "side", v->side, "from", from, "format",
                      "text");
        if (to[0])
            json_object_set_new(p, "to", json_string(to));
        screen_call(s, "ledger.statement", p, reply, 0);
    } else {
        p = json_pack("{s:I, s:s}", "id", (json_int_t)v->id, "format", "text");
        screen_call(s, "invoice.get", p, reply, 0);
    }
    app_dirty();
}

/* Another month or side: start at the top, say it is loading. */
static void show_other(screen *s)
{
    viewer *v = s->state;
    set_text(v, NULL);
    v->message[0] = '\0';
    v->scroll = 0;
    reload(s);
}

static void heading(const viewer *v, char *buf, size_t n)
{
    if (!v->statement) {
        snprintf(buf, n, "Document %s", v->name);
        return;
    }
    char month[32];
    period_month_name(v->year, v->month, month, sizeof month);
    bool current = v->year == v->cur_year && v->month == v->cur_month;
    snprintf(buf, n, "Statement · %s · %s side · %s%s", v->name, v->side, month, current ? " (so far)" : "");
}

static void draw(screen *s, rect r)
{
    viewer *v = s->state;
    char head[200];
    heading(v, head, sizeof head);
    ui_put(r.y, r.x + 1, r.w - 1, STYLE_TITLE, head);
    ui_put(r.y + 1, r.x + 1, r.w - 1, STYLE_MUTED,
           v->statement ? (v->bilateral ? "Left/Right: month · s: customer/supplier · PgUp/PgDn Home/End: scroll"
                                        : "Left/Right: month · PgUp/PgDn Home/End: scroll")
                        : "PgUp/PgDn Home/End: scroll · r: reload");
    int body = r.h - 3;
    int max_scroll = (int)v->nlines > body ? (int)v->nlines - body : 0;
    if (v->scroll > max_scroll)
        v->scroll = max_scroll;
    if (v->scroll < 0)
        v->scroll = 0;
    for (int i = 0; i < body; i++) {
        size_t k = (size_t)(v->scroll + i);
        const char *line = "";
        int st = STYLE_NORMAL;
        if (v->text && k < v->nlines)
            line = v->text + v->lines[k];
        else if (!v->text && i == 1) {
            line = v->message[0] ? v->message : v->loading ? "loading…" : "";
            st = v->message[0] ? STYLE_BAD : STYLE_MUTED;
        }
        ui_put(r.y + 3 + i, r.x + 1, r.w - 1, st, line);
    }
}

static bool action(screen *s, action_id a, int h)
{
    viewer *v = s->state;
    int page = h - 3 > 1 ? h - 3 : 1;
    switch (a) {
    case ACT_UP: v->scroll = v->scroll > 0 ? v->scroll - 1 : 0; return true;
    case ACT_DOWN: v->scroll++; return true; /* draw keeps it within the text */
    case ACT_PAGE_UP: v->scroll = v->scroll > page ? v->scroll - page : 0; return true;
    case ACT_PAGE_DOWN: v->scroll += page; return true;
    case ACT_FIRST: v->scroll = 0; return true;
    case ACT_LAST: v->scroll = INT_MAX / 2; return true;
    case ACT_REFRESH: reload(s); return true;
    case ACT_PREV_TAB:
    case ACT_LEFT:
        if (!v->statement)
            return false;
        period_month_step(&v->year, &v->month, -1);
        show_other(s);
        return true;
    case ACT_NEXT_TAB:
    case ACT_RIGHT:
        if (!v->statement)
            return false;
        if (v->year == v->cur_year && v->month == v->cur_month) {
            app_toast("this is the current month: the statement runs to now");
            return true;
        }
        period_month_step(&v->year, &v->month, 1);
        show_other(s);
        return true;
    case ACT_SORT: /* s: the other side of a bilateral carrier */
        if (!v->statement)
            return false;
        if (!v->bilateral) {
            app_toast("only a bilateral carrier has both a customer and a supplier side");
            return true;
        }
        snprintf(v->side, sizeof v->side, "%s", strcmp(v->side, "customer") ? "customer" : "supplier");
        show_other(s);
        return true;
    default: return false;
    }
}

static void event(screen *s, const char *topic, json_t *data)
{
    viewer *v = s->state;
    long long id = (long long)json_integer_value(json_object_get(data, v->statement ? "carrier_id" : "id"));
    if (id != v->id)
        return;
    if (v->statement && !strcmp(topic, "ledger.posted") && v->year == v->cur_year && v->month == v->cur_month)
        reload(s); /* this month so far has one more posting */
    else if (!v->statement && !strcmp(topic, "invoice.voided"))
        reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    viewer *v = s->state;
    if (v->text)
        snprintf(buf, n, "line %d of %zu · r: reload", v->nlines ? v->scroll + 1 : 0, v->nlines);
    else
        snprintf(buf, n, "%s", v->loading ? "loading…" : "no text");
}

static void destroy(screen *s)
{
    viewer *v = s->state;
    set_text(v, NULL);
    free(v);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL };

static screen *viewer_new(viewer **out)
{
    screen *s = calloc(1, sizeof *s);
    viewer *v = s ? calloc(1, sizeof *v) : NULL;
    if (!v) {
        free(s);
        return NULL;
    }
    s->ops = &ops;
    s->state = v;
    *out = v;
    return s;
}

screen *statement_view_new(long long carrier_id, const char *name, const char *type, const char *tz)
{
    viewer *v;
    screen *s = viewer_new(&v);
    if (!s)
        return NULL;
    v->statement = true;
    v->id = carrier_id;
    snprintf(v->name, sizeof v->name, "%s", name ? name : "");
    v->bilateral = type && !strcmp(type, "bilateral");
    snprintf(v->side, sizeof v->side, "%s", type && !strcmp(type, "supplier") ? "supplier" : "customer");
    zone_month(tz, &v->cur_year, &v->cur_month);
    v->year = v->cur_year;
    v->month = v->cur_month;
    s->id = TAB_ID_STATEMENT(carrier_id);
    snprintf(s->title, sizeof s->title, "Statement %.30s", v->name);
    snprintf(s->crumb, sizeof s->crumb, "Billing / Statement / %.60s", v->name);
    return s;
}

screen *invoice_view_new(long long id, const char *number)
{
    viewer *v;
    screen *s = viewer_new(&v);
    if (!s)
        return NULL;
    v->id = id;
    snprintf(v->name, sizeof v->name, "%s", number && number[0] ? number : "?");
    s->id = TAB_ID_INVOICE(id);
    snprintf(s->title, sizeof s->title, "%.40s", v->name);
    snprintf(s->crumb, sizeof s->crumb, "Billing / Invoices / %.60s", v->name);
    return s;
}
