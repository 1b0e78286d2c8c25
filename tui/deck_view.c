/*
 * deck_view.c: one rating plan's rate deck in a workspace tab — the rates
 * effective now as a table (the one list screen, scoped to the plan; "/"
 * searches destinations, digits search prefixes), the plan's figures in a
 * line above it, and the import dialog (i): a CSV file read by the console
 * and sent with rating_plan.import, its progress (rows/s, ETA) from
 * rating_plan.import_progress events and the change summary when done.
 * Decks too big for one WebSocket message go over HTTP; the dialog says
 * how (the progress still shows here). q quotes a number against the deck.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "form.h"
#include "list_screen.h"
#include "net.h"
#include "screen.h"
#include "theme.h"

/* What fits in the csv string of one request: the server caps every JSON
 * string at max_string_bytes (64 KiB by default). Bigger decks go over
 * HTTP, streamed. */
#define WS_DECK_MAX (60 * 1000)

typedef struct {
    long long id;
    char name[64];
    screen *rates;          /* the list, drawn below the header */
    form dialog;            /* import or quote */
    char line[400];         /* progress, the last import's summary, or how to send a big deck */
    char quote[240];        /* the last quote */
} deck;

static const table_column rate_cols[] = {
    { "Prefix", "prefix", 10, 1, false },
    { "Destination", "destination", 18, 4, false },
    { "Rate", "rate", 10, 0, true },
    { "Fee", "connection_fee", 9, 0, true },
    { "Init", "initial_increment", 4, 0, true },
    { "Next", "subsequent_increment", 4, 0, true },
    { "Min", "min_duration", 4, 0, true },
    { "From", "effective_from", 20, 1, false },
    { "To", "effective_to", 20, 1, false },
    { "Blocked", "blocked", 7, 0, false },
};
static const char *const rate_keys[] = { "prefix", "at", NULL };
static const list_desc rates_desc = {
    "Rates", "Rating / Rates", "rate.list", rate_cols, (int)(sizeof rate_cols / sizeof rate_cols[0]), 0, false, "q",
    rate_keys, "rating_plan.changed", NULL, NULL,
};

static const char *const modes[] = { "merge", "replace", NULL };
static const form_field import_fields[] = {
    { "CSV file (path)", "file", FIELD_TEXT, NULL, false },
    { "Mode", "mode", FIELD_ENUM, modes, false },
    { "Effective from", "effective_from", FIELD_TEXT, NULL, false },
    { "Strict (all or none)", "strict", FIELD_BOOL, NULL, false },
};
static const form_field quote_fields[] = {
    { "Number", "destination", FIELD_TEXT, NULL, false },
    { "Duration (s)", "duration", FIELD_INT, NULL, false },
};

static void imported(screen *s, int part, json_t *result, json_t *error)
{
    deck *d = s->state;
    (void)part;
    app_dirty();
    if (error) {
        json_t *first = json_array_get(json_object_get(json_object_get(error, "data"), "rejected"), 0);
        snprintf(d->line, sizeof d->line, "import refused: %s%s%s",
                 json_string_value(json_object_get(error, "message")), first ? " · first: " : "",
                 first ? json_string_value(json_object_get(first, "message")) : "");
        return;
    }
    json_t *rej = json_object_get(result, "rejected");
    json_t *first = json_array_get(rej, 0);
    long long total_rej = json_is_integer(json_object_get(result, "rejected_total"))
                              ? (long long)json_integer_value(json_object_get(result, "rejected_total"))
                              : (long long)json_array_size(rej);
    char firstbuf[120] = "";
    if (first)
        snprintf(firstbuf, sizeof firstbuf, " (line %lld: %s)", (long long)json_integer_value(json_object_get(first, "line")),
                 json_string_value(json_object_get(first, "message")));
    snprintf(d->line, sizeof d->line,
             "imported %lld: new %lld · increases %lld · decreases %lld · unchanged %lld · rejected %lld%s",
             (long long)json_integer_value(json_object_get(result, "imported")),
             (long long)json_integer_value(json_object_get(result, "new")),
             (long long)json_integer_value(json_object_get(result, "increases")),
             (long long)json_integer_value(json_object_get(result, "decreases")),
             (long long)json_integer_value(json_object_get(result, "unchanged")), total_rej, firstbuf);
    d->rates->ops->reload(d->rates);
}

/* The import form's submit: read the file and send it, or say how to send
 * a big one over HTTP. */
static bool send_import(form *f, json_t *params)
{
    screen *s = f->ud;
    deck *d = s->state;
    char path_buf[256];
    const char *path = json_string_value(json_object_get(params, "file"));
    if (path) { /* params lose "file" below; keep the name */
        snprintf(path_buf, sizeof path_buf, "%s", path);
        path = path_buf;
    }
    struct stat sb;
    if (!path || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        snprintf(f->message, sizeof f->message, "cannot read %s: %s", path ? path : "(no file)",
                 path ? strerror(errno) : "give a path");
        json_decref(params);
        return false;
    }
    if (sb.st_size > WS_DECK_MAX) {
        snprintf(f->message, sizeof f->message,
                 "%.1f MB: send it over HTTP (progress shows here): curl -H \"Authorization: Bearer $TOKEN\" "
                 "-H \"Expect:\" --data-binary @%.120s http://SERVER/api/v1/rating-plans/%lld/rates?mode=%s",
                 (double)sb.st_size / 1e6, path, d->id, json_string_value(json_object_get(params, "mode")));
        snprintf(d->line, sizeof d->line, "%s", f->message); /* stays after Esc */
        json_decref(params);
        return false;
    }
    FILE *in = fopen(path, "rb");
    char *csv = in ? malloc((size_t)sb.st_size + 1) : NULL;
    size_t got = csv ? fread(csv, 1, (size_t)sb.st_size, in) : 0;
    if (in)
        fclose(in);
    if (!csv) {
        snprintf(f->message, sizeof f->message, "cannot read %s", path);
        json_decref(params);
        return false;
    }
    csv[got] = '\0';
    json_object_del(params, "file");
    json_object_del(params, "version");
    json_object_set_new(params, "csv", json_stringn(csv, got));
    free(csv);
    if (!json_object_get(params, "csv")) { /* not UTF-8 */
        snprintf(f->message, sizeof f->message, "%s is not UTF-8 text", path);
        json_decref(params);
        return false;
    }
    snprintf(d->line, sizeof d->line, "importing %s…", path);
    screen_call(s, "rating_plan.import", params, imported, 0);
    return true;
}

static void quoted(screen *s, int part, json_t *result, json_t *error)
{
    deck *d = s->state;
    (void)part;
    app_dirty();
    if (error) {
        json_t *fe = json_array_get(json_object_get(json_object_get(error, "data"), "fields"), 0);
        snprintf(d->quote, sizeof d->quote, "quote: %s", fe ? json_string_value(json_object_get(fe, "message"))
                                                           : json_string_value(json_object_get(error, "message")));
        return;
    }
    snprintf(d->quote, sizeof d->quote, "quote: %s %s · rate %s/min · billed %llds · cost %s %s",
             json_string_value(json_object_get(result, "prefix")),
             json_string_value(json_object_get(result, "destination_name")),
             json_string_value(json_object_get(result, "rate")),
             (long long)json_integer_value(json_object_get(result, "billed_duration")),
             json_string_value(json_object_get(result, "cost")), json_string_value(json_object_get(result, "currency")));
}

static bool send_quote(form *f, json_t *params)
{
    screen *s = f->ud;
    json_object_del(params, "version");
    if (!json_object_get(params, "duration"))
        json_object_set_new(params, "duration", json_integer(60));
    screen_call(s, "rating.quote", params, quoted, 0);
    return true;
}

static void draw(screen *s, rect r)
{
    deck *d = s->state;
    ui_put(r.y, r.x, r.w, STYLE_TITLE, d->name);
    ui_put(r.y + 1, r.x, r.w, STYLE_ACCENT, d->line[0] ? d->line : "i: import a CSV deck · q: quote a number · /: search (digits: prefix)");
    ui_put(r.y + 2, r.x, r.w, STYLE_NORMAL, d->quote);
    rect body = { r.y + 3, r.x, r.h - 3, r.w };
    d->rates->ops->draw(d->rates, body);
}

static bool action(screen *s, action_id a, int h)
{
    deck *d = s->state;
    return d->rates->ops->action(d->rates, a, h - 3);
}

/* i and q are plain keys read in the table context (typed characters
 * never reach here from a form). */
static void open_dialog(screen *s, bool import)
{
    deck *d = s->state;
    if (import) {
        form_init_create(&d->dialog, "Import rates", "rating_plan.import", "rating_plan_id", d->id, import_fields,
                         (int)(sizeof import_fields / sizeof import_fields[0]));
        d->dialog.submit = send_import;
    } else {
        form_init_create(&d->dialog, "Quote", "rating.quote", "rating_plan_id", d->id, quote_fields,
                         (int)(sizeof quote_fields / sizeof quote_fields[0]));
        snprintf(d->dialog.value[1], sizeof d->dialog.value[1], "60");
        d->dialog.submit = send_quote;
    }
    d->dialog.ud = s;
    app_open_form(&d->dialog);
}

static void reload(screen *s)
{
    deck *d = s->state;
    screen_new_load(s);
    d->rates->ops->reload(d->rates);
}

static void event(screen *s, const char *topic, json_t *data)
{
    deck *d = s->state;
    if (!strcmp(topic, "rating_plan.import_progress") &&
        (long long)json_integer_value(json_object_get(data, "rating_plan_id")) == d->id) {
        long long rows = (long long)json_integer_value(json_object_get(data, "rows"));
        long long rps = (long long)json_integer_value(json_object_get(data, "rows_per_second"));
        long long eta = (long long)json_integer_value(json_object_get(data, "eta_seconds"));
        long long bytes = (long long)json_integer_value(json_object_get(data, "bytes"));
        long long total = (long long)json_integer_value(json_object_get(data, "total_bytes"));
        int pct = total > 0 ? (int)(bytes * 100 / total) : 0;
        const char *status = json_string_value(json_object_get(data, "status"));
        if (!json_is_true(json_object_get(data, "done")))
            snprintf(d->line, sizeof d->line, "importing: %d%% · %lld rows · %lld rows/s · ETA %llds", pct, rows, rps, eta);
        else if (!strstr(d->line, "imported ")) /* a WebSocket import's reply says more */
            snprintf(d->line, sizeof d->line, "import %s: %lld rows read", status ? status : "finished", rows);
        app_dirty();
        return;
    }
    d->rates->ops->event(d->rates, topic, data);
}

static void footer(screen *s, char *buf, size_t n)
{
    deck *d = s->state;
    d->rates->ops->footer(d->rates, buf, n);
}

static void destroy(screen *s)
{
    deck *d = s->state;
    app_close_form(&d->dialog);
    d->rates->ops->destroy(d->rates);
    free(d);
    free(s);
}

/* Digits alone search prefixes; anything else the destinations. */
static void filter(screen *s, const char *text)
{
    deck *d = s->state;
    char buf[160];
    if (text[0] && strspn(text, "0123456789+") == strlen(text))
        snprintf(buf, sizeof buf, "prefix:%s", text[0] == '+' ? text + 1 : text);
    else
        snprintf(buf, sizeof buf, "%s", text);
    d->rates->ops->filter(d->rates, buf);
}

static const char *filter_text(screen *s)
{
    deck *d = s->state;
    return d->rates->ops->filter_text(d->rates);
}

static bool deck_action(screen *s, action_id a, int h);

static const screen_ops ops = { draw, deck_action, reload, event, footer, destroy, filter, filter_text };

static bool deck_action(screen *s, action_id a, int h)
{
    if (a == ACT_IMPORT || a == ACT_QUOTE) {
        open_dialog(s, a == ACT_IMPORT);
        return true;
    }
    return action(s, a, h);
}

screen *deck_view_new(long long id, const char *name)
{
    screen *s = calloc(1, sizeof *s);
    deck *d = s ? calloc(1, sizeof *d) : NULL;
    if (!d) {
        free(s);
        return NULL;
    }
    char title[80];
    snprintf(title, sizeof title, "%s", name);
    d->rates = list_screen_new_scoped(&rates_desc, json_pack("{s:I}", "rating_plan_id", (json_int_t)id), title, "");
    if (!d->rates) {
        free(d);
        free(s);
        return NULL;
    }
    d->rates->owner = s; /* its replies count while the deck is open */
    d->id = id;
    snprintf(d->name, sizeof d->name, "Rating plan %s (id %lld)", name, id);
    s->ops = &ops;
    s->state = d;
    s->id = TAB_ID_DECK(id);
    snprintf(s->title, sizeof s->title, "%s", name);
    snprintf(s->crumb, sizeof s->crumb, "Rating / %s", name);
    return s;
}
