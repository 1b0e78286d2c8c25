/*
 * ticket_view.c: the support console (see ticket_view.h).
 *
 * The queue is its own screen rather than a list_screen description: its
 * SLA column is computed here (a countdown that moves at the 1 Hz tick)
 * and its reloads are throttled, since a busy helpdesk sends many ticket
 * events. Quick views (all, mine, unassigned, breached) sit on Left/Right
 * like the content tabs of other screens; "/" searches with key:value
 * words (status:open priority:urgent carrier_id:7 tag:audio) and the rest
 * as the full-text q.
 *
 * A ticket's screen keeps the typed reply in its own editor while events
 * reload the conversation under it. Writes (reply, status, assign, tags)
 * go with net_call and a small ticket of their own rather than
 * screen_call, so a reload started by the write's own event does not drop
 * the write's answer.
 *
 * Until the server has the ticket methods, every call answers "method not
 * found": the screens show a calm note in place of the data.
 */
#include "ticket_view.h"

#include <curses.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "editor.h"
#include "form.h"
#include "kb_view.h"
#include "list_screen.h"
#include "net.h"
#include "theme.h"
#include "ticket_text.h"
#include "timeutil.h"

#define RELOAD_EVERY_MS 1000 /* at most one reload a second from events */
#define BODY_MAX 20000       /* the server's body limit (bytes) */
#define SUGGEST_AFTER_MS 300 /* kb.suggest once typing pauses this long */

static int64_t mono_ms(void)
{
    return time_mono_usec() / 1000;
}

static bool is_customer(void)
{
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    return role && !strcmp(role, "customer");
}

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* A write's answer goes to the screen that asked, if it is still open. */
typedef struct {
    screen *s;
    long long tab_id;
    void (*fn)(screen *s, json_t *result, json_t *error);
} write_ticket;

static void write_reply(void *ud, json_t *result, json_t *error)
{
    write_ticket wt = *(write_ticket *)ud;
    free(ud);
    if (app_screen_open(wt.s) && wt.s->id == wt.tab_id)
        wt.fn(wt.s, result, error);
}

static void write_call(screen *s, const char *method, json_t *params, void (*fn)(screen *, json_t *, json_t *))
{
    write_ticket *wt = malloc(sizeof *wt);
    if (!wt) {
        json_decref(params);
        return;
    }
    *wt = (write_ticket){ s, s->id, fn };
    net_call(method, params, write_reply, wt);
}

/* ======================================================== the queue */

static const table_column queue_cols[] = {
    { "Number", "number", 8, 0, false },
    { "Pri", "priority", 6, 0, false },
    { "Status", "status", 8, 0, false },
    { "SLA", "due", 8, 0, false },
    { "Subject", "subject", 12, 5, false },
    { "Carrier", "carrier_name", 8, 2, false },
    { "Assignee", "assignee", 8, 1, false },
    { "Updated", "updated", 11, 0, false },
};
#define QCOLS ((int)(sizeof queue_cols / sizeof queue_cols[0]))
#define SLA_COL 3

enum { VIEW_ALL, VIEW_MINE, VIEW_UNASSIGNED, VIEW_BREACHED, NVIEWS };
static const char *const view_names[NVIEWS] = { "All", "Mine", "Unassigned", "Breached" };

/* The new-ticket dialog's fields. */
enum { NEW_SUBJECT, NEW_CATEGORY, NEW_PRIORITY, NEW_CARRIER, NEW_BODY, NEW_SUGGEST, NEW_NFIELDS };
static const char *const priorities[] = { "low", "normal", "high", "urgent" };

typedef struct {
    bool open;
    int focus;
    editor subject, carrier, body;
    json_t *categories;   /* names (strings), from ticket_category.list */
    int category;         /* index, -1 none */
    int priority;         /* index into priorities */
    json_t *suggestions;  /* kb.suggest items */
    int suggest_sel;
    int64_t typed_ms;     /* last change to subject or body */
    bool suggest_due;
    char message[240];
    bool sending;
} new_ticket;

typedef struct {
    table_model t;
    json_t *items;
    int view;
    bool loading;
    char note[200];       /* why the list is empty (an error) */
    time_t loaded_at;
    int64_t load_ms;
    bool reload_due;
    new_ticket nt;
} queue_state;

static void queue_load(screen *s);

static void queue_reply(screen *s, int part, json_t *result, json_t *error)
{
    queue_state *st = s->state;
    (void)part;
    st->loading = false;
    app_dirty();
    if (error) {
        ui_error_note(error, "Tickets", st->note, sizeof st->note);
        table_clear(&st->t);
        json_array_clear(st->items);
        return;
    }
    st->note[0] = '\0';
    size_t keep_sel = st->t.selected, keep_top = st->t.top;
    table_clear(&st->t);
    json_array_clear(st->items);
    size_t i;
    json_t *item;
    long long now = (long long)time(NULL);
    json_array_foreach(json_object_get(result, "items"), i, item) {
        char sla[24], upd[24];
        bool bad;
        const char *cells[QCOLS] = {
            str(item, "number"), str(item, "priority"), str(item, "status"),
            ticket_sla_text(item, now, sla, sizeof sla, &bad), str(item, "subject"), str(item, "carrier_name"),
            str(item, "assignee"), ticket_short_time(json_string_value(json_object_get(item, "updated_at")), upd, sizeof upd),
        };
        table_append(&st->t, (long long)json_integer_value(json_object_get(item, "id")), cells);
        json_array_append(st->items, item);
    }
    json_t *cur = json_object_get(result, "next_cursor");
    table_set_page(&st->t, (long long)json_integer_value(json_object_get(result, "total")),
                   json_is_string(cur) ? json_string_value(cur) : NULL);
    if (st->t.nrows) {
        st->t.selected = keep_sel < st->t.nrows ? keep_sel : st->t.nrows - 1;
        st->t.top = keep_top <= st->t.selected ? keep_top : st->t.selected;
    }
    st->loaded_at = time(NULL);
}

/* "/" text -> filters: key:value words for the known keys, the rest q. */
static json_t *queue_filter(queue_state *st)
{
    static const char *const keys[] = { "status", "priority", "carrier_id", "assignee_id", "team_id", "category_id",
                                        "tag", "breached", "unassigned", "mine", NULL };
    json_t *f = json_object();
    char words[sizeof st->t.filter], q[sizeof st->t.filter] = "";
    snprintf(words, sizeof words, "%s", st->t.filter);
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(w, ':');
        bool known = false;
        if (colon && colon[1]) {
            *colon = '\0';
            for (const char *const *k = keys; *k; k++)
                known = known || !strcmp(*k, w);
            if (known) {
                const char *v = colon + 1;
                size_t kl = strlen(w);
                if (kl > 3 && !strcmp(w + kl - 3, "_id") && strspn(v, "0123456789") == strlen(v))
                    json_object_set_new(f, w, json_integer(atoll(v)));
                else if (!strcmp(v, "true") || !strcmp(v, "yes"))
                    json_object_set_new(f, w, json_true());
                else
                    json_object_set_new(f, w, json_string(v));
                continue;
            }
            *colon = ':';
        }
        size_t off = strlen(q);
        snprintf(q + off, sizeof q - off, "%s%s", off ? " " : "", w);
    }
    if (q[0])
        json_object_set_new(f, "q", json_string(q));
    if (st->view == VIEW_MINE)
        json_object_set_new(f, "mine", json_true());
    else if (st->view == VIEW_UNASSIGNED)
        json_object_set_new(f, "unassigned", json_true());
    else if (st->view == VIEW_BREACHED)
        json_object_set_new(f, "breached", json_true());
    return f;
}

static void queue_load(screen *s)
{
    queue_state *st = s->state;
    json_t *p = json_pack("{s:i}", "limit", 200);
    json_t *f = queue_filter(st);
    if (json_object_size(f))
        json_object_set_new(p, "filter", f);
    else
        json_decref(f);
    screen_new_load(s);
    st->loading = true;
    st->reload_due = false;
    st->load_ms = mono_ms();
    screen_call(s, "ticket.list", p, queue_reply, 0);
    app_dirty();
}

/* ---- the new-ticket dialog ---- */

static void nt_close(new_ticket *nt)
{
    nt->open = false;
    app_dirty();
}

static void nt_categories(screen *s, json_t *result, json_t *error)
{
    queue_state *st = s->state;
    if (error)
        return; /* no categories: the field stays "(none)" */
    json_array_clear(st->nt.categories);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(result, "items"), i, c)
        if (json_is_string(json_object_get(c, "name")))
            json_array_append(st->nt.categories, json_object_get(c, "name"));
    app_dirty();
}

static void nt_open(screen *s)
{
    queue_state *st = s->state;
    new_ticket *nt = &st->nt;
    editor_set_text(&nt->subject, "");
    editor_set_text(&nt->carrier, "");
    editor_set_text(&nt->body, "");
    nt->focus = NEW_SUBJECT;
    nt->category = -1;
    nt->priority = 1;
    nt->message[0] = '\0';
    nt->sending = false;
    nt->suggest_due = false;
    nt->suggest_sel = 0;
    json_array_clear(nt->suggestions);
    nt->open = true;
    write_call(s, "ticket_category.list", json_pack("{s:i}", "limit", 100), nt_categories);
    app_dirty();
}

static void nt_suggested(screen *s, json_t *result, json_t *error)
{
    queue_state *st = s->state;
    json_array_clear(st->nt.suggestions);
    if (!error)
        json_array_extend(st->nt.suggestions, json_object_get(result, "items"));
    if (st->nt.suggest_sel >= (int)json_array_size(st->nt.suggestions))
        st->nt.suggest_sel = 0;
    app_dirty();
}

/* kb.suggest once typing paused (called on keys and on the tick). */
static void nt_maybe_suggest(screen *s)
{
    queue_state *st = s->state;
    new_ticket *nt = &st->nt;
    if (!nt->open || !nt->suggest_due || mono_ms() - nt->typed_ms < SUGGEST_AFTER_MS)
        return;
    nt->suggest_due = false;
    char text[1200];
    snprintf(text, sizeof text, "%s\n%.1000s", editor_text(&nt->subject), editor_text(&nt->body));
    if (strlen(text) < 4) {
        json_array_clear(nt->suggestions);
        return;
    }
    write_call(s, "kb.suggest", json_pack("{s:s}", "text", text), nt_suggested);
}

static void nt_created(screen *s, json_t *result, json_t *error)
{
    queue_state *st = s->state;
    st->nt.sending = false;
    app_dirty();
    if (error) {
        const char *field = json_string_value(json_object_get(json_object_get(error, "data"), "field"));
        snprintf(st->nt.message, sizeof st->nt.message, "%s%s%.180s", field ? field : "", field ? ": " : "",
                 str(error, "message"));
        return;
    }
    char msg[120];
    snprintf(msg, sizeof msg, "ticket %s created", str(result, "number"));
    app_toast(msg);
    nt_close(&st->nt);
    queue_load(s);
    ticket_open((long long)json_integer_value(json_object_get(result, "id")), str(result, "number"));
}

static void nt_send(screen *s)
{
    queue_state *st = s->state;
    new_ticket *nt = &st->nt;
    if (nt->sending)
        return;
    if (editor_blank(&nt->subject) || editor_blank(&nt->body)) {
        snprintf(nt->message, sizeof nt->message, "a subject and a description are needed");
        nt->focus = editor_blank(&nt->subject) ? NEW_SUBJECT : NEW_BODY;
        return;
    }
    json_t *p = json_pack("{s:s, s:s, s:s}", "subject", editor_text(&nt->subject), "body", editor_text(&nt->body),
                          "priority", priorities[nt->priority]);
    if (nt->category >= 0)
        json_object_set(p, "category", json_array_get(nt->categories, (size_t)nt->category));
    const char *carrier = editor_text(&nt->carrier);
    if (carrier[0]) {
        if (strspn(carrier, "0123456789") != strlen(carrier)) {
            snprintf(nt->message, sizeof nt->message, "carrier_id: digits only");
            nt->focus = NEW_CARRIER;
            json_decref(p);
            return;
        }
        json_object_set_new(p, "carrier_id", json_integer(atoll(carrier)));
    }
    nt->sending = true;
    nt->message[0] = '\0';
    write_call(s, "ticket.create", p, nt_created);
}

static void nt_cancel_yes(void *ud)
{
    screen *s = *(screen **)ud;
    if (app_screen_open(s))
        nt_close(&((queue_state *)s->state)->nt);
}

static bool nt_field_shown(int f)
{
    return f != NEW_CARRIER || !is_customer();
}

static bool nt_key(screen *s, const keymap *k, int ch)
{
    queue_state *st = s->state;
    new_ticket *nt = &st->nt;
    action_id fa = keymap_lookup(k, CTX_FORM, ch);
    if (fa == ACT_QUIT || fa == ACT_SAVE_SCREEN)
        return false; /* the app's */
    /* Up/Down move lines in the description and pick a suggestion there;
     * elsewhere they move between fields, as in a form. */
    bool arrows_inside = (nt->focus == NEW_BODY || nt->focus == NEW_SUGGEST) && (ch == KEY_UP || ch == KEY_DOWN);
    if ((fa == ACT_NEXT_PANE || fa == ACT_PREV_PANE) && !arrows_inside) {
        int dir = fa == ACT_NEXT_PANE ? 1 : -1;
        do
            nt->focus = (nt->focus + dir + NEW_NFIELDS) % NEW_NFIELDS;
        while (!nt_field_shown(nt->focus) ||
               (nt->focus == NEW_SUGGEST && !json_array_size(nt->suggestions)));
        return true;
    }
    if (fa == ACT_SAVE) {
        nt_send(s);
        return true;
    }
    if (fa == ACT_BACK) {
        bool typed = !editor_blank(&nt->subject) || !editor_blank(&nt->body);
        screen **ud = malloc(sizeof *ud);
        if (typed && ud) {
            *ud = s;
            app_confirm("Throw away this new ticket?", nt_cancel_yes, ud);
        } else {
            free(ud);
            nt_close(nt);
        }
        return true;
    }
    bool enter = ch == '\n' || ch == '\r' || ch == KEY_ENTER;
    switch (nt->focus) {
    case NEW_SUBJECT:
    case NEW_CARRIER: {
        editor *e = nt->focus == NEW_SUBJECT ? &nt->subject : &nt->carrier;
        if (enter) {
            nt->focus++;
            if (!nt_field_shown(nt->focus))
                nt->focus++;
            return true;
        }
        if (ch == KEY_UP || ch == KEY_DOWN)
            return true;
        editor_key(e, k, ch, 100000, 1);
        if (nt->focus == NEW_SUBJECT) {
            nt->typed_ms = mono_ms();
            nt->suggest_due = true;
        }
        return true;
    }
    case NEW_CATEGORY:
    case NEW_PRIORITY: {
        int dir = fa == ACT_LEFT ? -1 : fa == ACT_RIGHT || ch == ' ' ? 1 : 0;
        if (enter) {
            nt->focus++;
            return true;
        }
        if (nt->focus == NEW_PRIORITY)
            nt->priority = (nt->priority + dir + 4) % 4;
        else {
            int n = (int)json_array_size(nt->categories) + 1; /* with "(none)" */
            nt->category = ((nt->category + 1 + dir) % n + n) % n - 1;
        }
        return true;
    }
    case NEW_BODY:
        editor_key(&nt->body, k, ch, 0, 0);
        nt->typed_ms = mono_ms();
        nt->suggest_due = true;
        return true;
    case NEW_SUGGEST: {
        int n = (int)json_array_size(nt->suggestions);
        if (ch == KEY_UP && nt->suggest_sel > 0)
            nt->suggest_sel--;
        else if (ch == KEY_DOWN && nt->suggest_sel + 1 < n)
            nt->suggest_sel++;
        else if (enter && n) {
            json_t *a = json_array_get(nt->suggestions, (size_t)nt->suggest_sel);
            kb_open_article((long long)json_integer_value(json_object_get(a, "id")), str(a, "title"));
        }
        return true;
    }
    default: return true;
    }
}

/* One-line text field with the cursor, scrolled so the cursor shows. */
static void line_field(int y, int x, int w, editor *e, bool focused)
{
    int row, col;
    editor_cursor_at(e, 100000, &row, &col);
    const char *t = editor_text(e);
    while (col >= w - 1 && *t) { /* drop leading characters */
        char one[5] = { 0 };
        size_t k = 1;
        while (t[k] && ((unsigned char)t[k] & 0xC0) == 0x80)
            k++;
        memcpy(one, t, k < 5 ? k : 4);
        col -= utf8_width(one);
        t += k;
    }
    ui_put(y, x, w, focused ? STYLE_SELECTED : STYLE_NORMAL, t);
    if (focused && col >= 0 && col < w)
        ui_put(y, x + col, 1, STYLE_ACCENT, theme_glyphs()->utf8 ? "▏" : "|");
}

static void nt_draw(screen *s, rect r)
{
    queue_state *st = s->state;
    new_ticket *nt = &st->nt;
    rect in = ui_box(r, "New ticket · Tab next field · C-s/F2 send · Esc cancel", true);
    if (in.h < 10)
        return;
    for (int y = 0; y < in.h; y++)
        ui_put(in.y + y, in.x, in.w, STYLE_NORMAL, "");
    int lw = 11, fx = in.x + lw + 1, fw = in.w - lw - 2, y = in.y;
    ui_put(y, in.x + 1, lw, nt->focus == NEW_SUBJECT ? STYLE_ACCENT : STYLE_TITLE, "Subject");
    line_field(y++, fx, fw, &nt->subject, nt->focus == NEW_SUBJECT);
    char buf[160];
    const char *cat = nt->category >= 0 ? json_string_value(json_array_get(nt->categories, (size_t)nt->category)) : NULL;
    snprintf(buf, sizeof buf, "< %s >", cat ? cat : "(none)");
    ui_put(y, in.x + 1, lw, nt->focus == NEW_CATEGORY ? STYLE_ACCENT : STYLE_TITLE, "Category");
    ui_put(y++, fx, fw, nt->focus == NEW_CATEGORY ? STYLE_SELECTED : STYLE_NORMAL, buf);
    snprintf(buf, sizeof buf, "< %s >", priorities[nt->priority]);
    ui_put(y, in.x + 1, lw, nt->focus == NEW_PRIORITY ? STYLE_ACCENT : STYLE_TITLE, "Priority");
    ui_put(y++, fx, fw, nt->focus == NEW_PRIORITY ? STYLE_SELECTED : STYLE_NORMAL, buf);
    if (nt_field_shown(NEW_CARRIER)) {
        ui_put(y, in.x + 1, lw, nt->focus == NEW_CARRIER ? STYLE_ACCENT : STYLE_TITLE, "Carrier id");
        line_field(y++, fx, fw, &nt->carrier, nt->focus == NEW_CARRIER);
    }
    ui_put(y++, in.x + 1, in.w - 2, nt->focus == NEW_BODY ? STYLE_ACCENT : STYLE_TITLE,
           "Description (Enter: new line)");
    int nsug = (int)json_array_size(nt->suggestions);
    int sug_h = nsug ? (nsug < 5 ? nsug : 5) + 1 : 0;
    int body_h = in.y + in.h - y - 1 - sug_h;
    if (body_h < 3) {
        sug_h = 0;
        body_h = in.y + in.h - y - 1;
    }
    rect body = { y, in.x + 1, body_h, in.w - 2 };
    editor_draw(&nt->body, body, nt->focus == NEW_BODY);
    y += body_h;
    if (sug_h) {
        ui_put(y++, in.x + 1, in.w - 2, nt->focus == NEW_SUGGEST ? STYLE_ACCENT : STYLE_TITLE,
               "Suggested articles (Tab here, Enter opens)");
        for (int i = 0; i < sug_h - 1; i++, y++) {
            json_t *a = json_array_get(nt->suggestions, (size_t)i);
            bool sel = nt->focus == NEW_SUGGEST && i == nt->suggest_sel;
            snprintf(buf, sizeof buf, "%s %s", sel ? ">" : " ", str(a, "title"));
            ui_put(y, in.x + 1, in.w - 2, sel ? STYLE_SELECTED : STYLE_NORMAL, buf);
        }
    }
    const char *msg = nt->sending ? "sending…" : nt->message;
    ui_put(in.y + in.h - 1, in.x + 1, in.w - 2, nt->message[0] ? STYLE_BAD : STYLE_MUTED, msg);
}

/* ---- the queue's screen ---- */

static void queue_draw(screen *s, rect r)
{
    queue_state *st = s->state;
    /* the quick views as content tabs */
    ui_tabs(r.y, r.x, r.w, view_names, is_customer() ? 1 : NVIEWS, st->view);
    rect tr = { r.y + 1, r.x, r.h - 1, r.w };
    table_draw(&st->t, tr, !st->nt.open, st->note[0] ? st->note : st->loading ? "loading…" : "no tickets here");
    /* A breached SLA cell in the alert style too (the text says it). */
    int widths[QCOLS], mins[QCOLS], weights[QCOLS];
    for (int c = 0; c < QCOLS; c++) {
        mins[c] = queue_cols[c].min_width;
        weights[c] = queue_cols[c].weight;
    }
    layout_table_columns(tr.w - 1, QCOLS, mins, weights, widths);
    int x = tr.x + 1;
    for (int c = 0; c < SLA_COL; c++)
        x += widths[c] ? widths[c] + 1 : 0;
    for (int i = 0; widths[SLA_COL] && i < tr.h - 1; i++) {
        size_t row = st->t.top + (size_t)i;
        if (row >= st->t.nrows)
            break;
        if (!strcmp(st->t.rows[row].cells[SLA_COL], "BREACHED") && !(row == st->t.selected && !st->nt.open))
            ui_put(tr.y + 1 + i, x, widths[SLA_COL], STYLE_BAD, "BREACHED");
    }
    if (st->nt.open) {
        int w = r.w < 90 ? r.w : 90, h = r.h;
        rect box = { r.y, r.x + (r.w - w) / 2, h, w };
        nt_draw(s, box);
    }
}

static bool queue_action(screen *s, action_id a, int h)
{
    queue_state *st = s->state;
    h -= 2; /* the view tabs and the heading */
    switch (a) {
    case ACT_UP: table_move(&st->t, -1, h); break;
    case ACT_DOWN: table_move(&st->t, 1, h); break;
    case ACT_PAGE_UP: table_move(&st->t, -h, h); break;
    case ACT_PAGE_DOWN: table_move(&st->t, h, h); break;
    case ACT_FIRST: table_select_first(&st->t, h); break;
    case ACT_LAST: table_select_last(&st->t, h); break;
    case ACT_REFRESH: queue_load(s); break;
    case ACT_NEXT_TAB:
    case ACT_PREV_TAB:
        if (is_customer())
            return true;
        st->view = (st->view + (a == ACT_NEXT_TAB ? 1 : NVIEWS - 1)) % NVIEWS;
        st->t.selected = st->t.top = 0;
        queue_load(s);
        break;
    case ACT_OPEN:
        if (st->t.nrows) {
            json_t *it = json_array_get(st->items, st->t.selected);
            ticket_open((long long)json_integer_value(json_object_get(it, "id")), str(it, "number"));
        }
        break;
    case ACT_NEW: nt_open(s); break;
    default: return false;
    }
    return true;
}

static bool queue_key(screen *s, const keymap *k, int ch)
{
    queue_state *st = s->state;
    if (!st->nt.open)
        return false;
    bool used = nt_key(s, k, ch);
    nt_maybe_suggest(s);
    return used;
}

static void queue_reload(screen *s)
{
    queue_load(s);
}

static void queue_event(screen *s, const char *topic, json_t *data)
{
    queue_state *st = s->state;
    (void)data;
    if (strncmp(topic, "ticket.", 7))
        return;
    /* throttled: at most one reload a second, the rest on the tick */
    if (mono_ms() - st->load_ms >= RELOAD_EVERY_MS && !st->loading)
        queue_load(s);
    else
        st->reload_due = true;
}

static void queue_tick(screen *s)
{
    queue_state *st = s->state;
    if (st->reload_due && !st->loading && mono_ms() - st->load_ms >= RELOAD_EVERY_MS)
        queue_load(s);
    nt_maybe_suggest(s);
    /* the countdowns move */
    long long now = (long long)time(NULL);
    for (size_t i = 0; i < st->t.nrows; i++) {
        char sla[24];
        bool bad;
        ticket_sla_text(json_array_get(st->items, i), now, sla, sizeof sla, &bad);
        if (strcmp(sla, st->t.rows[i].cells[SLA_COL])) {
            char *c = strdup(sla);
            if (c) {
                free(st->t.rows[i].cells[SLA_COL]);
                st->t.rows[i].cells[SLA_COL] = c;
            }
        }
    }
}

static void queue_footer(screen *s, char *buf, size_t n)
{
    queue_state *st = s->state;
    char foot[192];
    table_footer(&st->t, theme_glyphs()->utf8, foot, sizeof foot);
    snprintf(buf, n, "%s · %lds ago · [Enter Open] [n/N New] [Left/Right View] [/ Search]", foot,
             st->loaded_at ? (long)(time(NULL) - st->loaded_at) : 0L);
}

static void queue_destroy(screen *s)
{
    queue_state *st = s->state;
    table_free(&st->t);
    json_decref(st->items);
    editor_free(&st->nt.subject);
    editor_free(&st->nt.carrier);
    editor_free(&st->nt.body);
    json_decref(st->nt.categories);
    json_decref(st->nt.suggestions);
    free(st);
    free(s);
}

static void queue_filter_set(screen *s, const char *text)
{
    queue_state *st = s->state;
    snprintf(st->t.filter, sizeof st->t.filter, "%s", text);
    queue_load(s);
}

static const char *queue_filter_text(screen *s)
{
    return ((queue_state *)s->state)->t.filter;
}

static const screen_ops queue_ops = {
    .draw = queue_draw, .action = queue_action, .reload = queue_reload, .event = queue_event,
    .footer = queue_footer, .destroy = queue_destroy, .filter = queue_filter_set, .filter_text = queue_filter_text,
    .tick = queue_tick, .key = queue_key,
};

screen *ticket_queue_new(bool mine)
{
    screen *s = calloc(1, sizeof *s);
    queue_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    table_init(&st->t, queue_cols, QCOLS);
    st->t.sort_col = -1;
    st->items = json_array();
    st->view = mine ? VIEW_MINE : VIEW_ALL;
    st->nt.categories = json_array();
    st->nt.suggestions = json_array();
    if (!editor_init(&st->nt.subject, 200) || !editor_init(&st->nt.carrier, 18) ||
        !editor_init(&st->nt.body, BODY_MAX)) {
        s->state = st;
        queue_destroy(s);
        return NULL;
    }
    s->ops = &queue_ops;
    s->state = st;
    s->id = TAB_ID_TICKET_QUEUE(mine ? 1 : 0);
    snprintf(s->title, sizeof s->title, "%s", mine ? "My tickets" : "Tickets");
    snprintf(s->crumb, sizeof s->crumb, "Support / %s", mine ? "My tickets" : "Tickets");
    return s;
}

/* ======================================================== one ticket */

enum { PART_TICKET, PART_BALANCE, PART_CDRS, PART_ALERTS };
enum { COMPOSE_NONE, COMPOSE_REPLY, COMPOSE_NOTE };
enum { PICK_NONE, PICK_ASSIGN, PICK_STATUS };

#define PICK_MAX 40

typedef struct {
    long long id;
    char number[32];
    json_t *ticket;
    char note[200];
    bool loading;
    int64_t load_ms;
    bool reload_due;
    time_t loaded_at;
    int scroll, conv_lines, conv_h; /* the conversation's first line shown, its length, its height */
    bool panel;                     /* narrow screens: the side panel instead of the conversation */
    bool side_loaded;
    json_t *balance, *cdrs, *alerts;
    char balance_note[120], cdrs_note[120], alerts_note[120];
    int compose;
    editor ed;
    char compose_msg[240];
    bool sending;
    int picking;
    int npick, pick_sel;
    char pick_label[PICK_MAX][80];
    long long pick_id[PICK_MAX];     /* assign: user id (0 nobody, -1 "other"); status: index */
    char pick_value[PICK_MAX][16];
    form f;
} detail_state;

static void detail_load(screen *s);

static void side_reply(screen *s, int part, json_t *result, json_t *error)
{
    detail_state *st = s->state;
    json_t **slot = part == PART_BALANCE ? &st->balance : part == PART_CDRS ? &st->cdrs : &st->alerts;
    char *note = part == PART_BALANCE ? st->balance_note : part == PART_CDRS ? st->cdrs_note : st->alerts_note;
    json_decref(*slot);
    *slot = NULL;
    note[0] = '\0';
    if (error)
        ui_error_note(error, part == PART_BALANCE ? "balance" : part == PART_CDRS ? "failed calls" : "alerts", note, 120);
    else
        *slot = json_incref(result);
    app_dirty();
}

static void load_side(screen *s)
{
    detail_state *st = s->state;
    json_t *carrier = json_object_get(st->ticket, "carrier_id");
    st->side_loaded = true;
    if (!json_is_integer(carrier)) {
        snprintf(st->balance_note, sizeof st->balance_note, "no carrier on this ticket");
        return;
    }
    json_int_t cid = json_integer_value(carrier);
    screen_call(s, "ledger.balance", json_pack("{s:I}", "carrier_id", cid), side_reply, PART_BALANCE);
    screen_call(s, "cdr.list",
                json_pack("{s:{s:I, s:b}, s:i}", "filter", "carrier_id", cid, "answered", 0, "limit", 10), side_reply,
                PART_CDRS);
    screen_call(s, "alert.list", json_pack("{s:s, s:i}", "state", "open", "limit", 10), side_reply, PART_ALERTS);
}

static void detail_reply(screen *s, int part, json_t *result, json_t *error)
{
    detail_state *st = s->state;
    (void)part;
    st->loading = false;
    app_dirty();
    if (error) {
        ui_error_note(error, "Ticket", st->note, sizeof st->note);
        return;
    }
    st->note[0] = '\0';
    json_decref(st->ticket);
    st->ticket = json_incref(result);
    st->loaded_at = time(NULL);
    snprintf(st->number, sizeof st->number, "%s", str(result, "number"));
    snprintf(s->title, sizeof s->title, "%s", st->number);
    snprintf(s->crumb, sizeof s->crumb, "Support / Tickets / %.20s %.50s", st->number, str(result, "subject"));
    if (!st->side_loaded && !is_customer())
        load_side(s);
}

static void detail_load(screen *s)
{
    detail_state *st = s->state;
    screen_new_load(s);
    st->loading = true;
    st->reload_due = false;
    st->load_ms = mono_ms();
    screen_call(s, "ticket.get", json_pack("{s:I}", "id", (json_int_t)st->id), detail_reply, PART_TICKET);
}

/* ---- the conversation as lines ---- */

typedef struct {
    int style;
    bool note;   /* an internal note's line: drawn with the note bar */
    char text[512];
} conv_line;

/* Line n of the conversation; only lines lo..hi-1 (the ones shown) are
 * kept, in lines[n - lo]: the rest are only counted. */
static int push_line(conv_line *lines, int n, int lo, int hi, int st_id, bool note, const char *text)
{
    if (n >= lo && n < hi) {
        lines[n - lo].style = st_id;
        lines[n - lo].note = note;
        snprintf(lines[n - lo].text, sizeof lines[0].text, "%s", text);
    }
    return n + 1;
}

/* Wrap body at width into lines (the editor's wrapping). */
static int push_body(conv_line *lines, int n, int lo, int hi, int st_id, bool note, const char *body, int width)
{
    editor tmp = { .text = (char *)body, .len = strlen(body), .max = strlen(body) + 1 };
    size_t cap = tmp.len + 2, nl;
    editor_line *l = malloc(cap * sizeof *l);
    if (!l)
        return n;
    nl = editor_wrap(&tmp, width, l, cap);
    for (size_t i = 0; i < nl && i < cap; i++) {
        char t[512];
        size_t len = l[i].len < sizeof t - 1 ? l[i].len : sizeof t - 1;
        memcpy(t, body + l[i].start, len);
        t[len] = '\0';
        n = push_line(lines, n, lo, hi, st_id, note, t);
    }
    free(l);
    return n;
}

/* The conversation at width columns, lines lo..hi-1 into lines; returns
 * how many lines it has in all. */
static int build_conversation(detail_state *st, int width, conv_line *lines, int lo, int hi)
{
    int n = 0;
    size_t i;
    json_t *m;
    const glyphs *g = theme_glyphs();
    json_array_foreach(json_object_get(st->ticket, "messages"), i, m) {
        bool internal = json_is_true(json_object_get(m, "internal"));
        char head[300], when[24];
        ticket_short_time(json_string_value(json_object_get(m, "created_at")), when, sizeof when);
        if (internal)
            snprintf(head, sizeof head, "NOTE (internal) %s %s %s %s", g->utf8 ? "·" : "-", str(m, "author"),
                     g->utf8 ? "·" : "-", when);
        else
            snprintf(head, sizeof head, "%s%s%s %s %s", str(m, "author"),
                     json_string_value(json_object_get(m, "author_kind")) ? " · " : "", str(m, "author_kind"),
                     g->utf8 ? "·" : "-", when);
        n = push_line(lines, n, lo, hi, internal ? STYLE_ACCENT : STYLE_TITLE, internal, head);
        n = push_body(lines, n, lo, hi, internal ? STYLE_MUTED : STYLE_NORMAL, internal, str(m, "body"), width - 4);
        size_t k;
        json_t *att;
        json_array_foreach(json_object_get(m, "attachments"), k, att) {
            char line[300];
            snprintf(line, sizeof line, "[attachment] %s (%lld bytes)", str(att, "filename"),
                     (long long)json_integer_value(json_object_get(att, "size")));
            n = push_line(lines, n, lo, hi, STYLE_MUTED, internal, line);
        }
        n = push_line(lines, n, lo, hi, STYLE_NORMAL, false, "");
    }
    if (!n)
        n = push_line(lines, n, lo, hi, STYLE_MUTED, false, "no messages yet");
    return n;
}

static void draw_conversation(detail_state *st, rect r)
{
    /* count, then keep only the lines shown */
    int n = build_conversation(st, r.w, NULL, 0, 0);
    st->conv_lines = n;
    st->conv_h = r.h;
    ui_scroll_clamp(&st->scroll, r.h, n);
    conv_line *lines = malloc((size_t)(r.h > 0 ? r.h : 1) * sizeof *lines);
    if (!lines)
        return;
    build_conversation(st, r.w, lines, st->scroll, st->scroll + r.h);
    const char *bar = theme_glyphs()->utf8 ? "┃ " : "! ";
    for (int y = 0; y < r.h; y++) {
        int i = st->scroll + y;
        if (i >= n) {
            ui_put(r.y + y, r.x, r.w, STYLE_NORMAL, "");
            continue;
        }
        const conv_line *l = &lines[y];
        /* a note's lines carry a bar and the muted style: not colour alone */
        if (l->note) {
            ui_put(r.y + y, r.x, 2, STYLE_ACCENT, bar);
            ui_put(r.y + y, r.x + 2, r.w - 2, l->style, l->text);
        } else if (l->style == STYLE_TITLE) {
            ui_put(r.y + y, r.x, r.w, l->style, l->text);
        } else {
            ui_put(r.y + y, r.x, 2, STYLE_NORMAL, "");
            ui_put(r.y + y, r.x + 2, r.w - 2, l->style, l->text);
        }
    }
    free(lines);
}

static void draw_side(detail_state *st, rect r)
{
    rect in = ui_box(r, "Carrier", false);
    if (in.h <= 0)
        return;
    int y = in.y;
    char line[200];
    for (int i = 0; i < in.h; i++)
        ui_put(in.y + i, in.x, in.w, STYLE_NORMAL, "");
    snprintf(line, sizeof line, "%s", json_is_integer(json_object_get(st->ticket, "carrier_id"))
                                          ? str(st->ticket, "carrier_name") : "-");
    ui_put(y++, in.x, in.w, STYLE_TITLE, line);
    if (is_customer()) {
        return;
    }
    json_t *cust = json_object_get(st->balance, "customer");
    if (st->balance) {
        snprintf(line, sizeof line, "Balance   %s %s", str(cust, "balance"), str(cust, "currency"));
        ui_put(y++, in.x, in.w, STYLE_NORMAL, line);
        snprintf(line, sizeof line, "Available %s", str(cust, "available"));
        ui_put(y++, in.x, in.w, STYLE_NORMAL, line);
        const char *blocked = json_string_value(json_object_get(st->balance, "blocked"));
        if (blocked) {
            snprintf(line, sizeof line, "! BLOCKED: %s", blocked);
            ui_put(y++, in.x, in.w, STYLE_BAD, line);
        }
    } else {
        ui_put(y++, in.x, in.w, STYLE_MUTED, st->balance_note[0] ? st->balance_note : "balance: loading…");
    }
    y++;
    if (y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_TITLE, "Failed calls (last 10)");
    size_t i;
    json_t *c;
    if (!st->cdrs && y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_MUTED, st->cdrs_note[0] ? st->cdrs_note : "loading…");
    else if (st->cdrs && !json_array_size(json_object_get(st->cdrs, "items")) && y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_MUTED, "none");
    json_array_foreach(json_object_get(st->cdrs, "items"), i, c) {
        if (y >= in.y + in.h)
            break;
        char when[24], cause[16] = "";
        json_t *rc = json_object_get(c, "release_cause");
        if (json_is_integer(rc))
            snprintf(cause, sizeof cause, " rc %lld", (long long)json_integer_value(rc));
        snprintf(line, sizeof line, "%s %s%s", ticket_short_time(json_string_value(json_object_get(c, "start_time")), when,
                                                          sizeof when), str(c, "callee"), cause);
        ui_put(y++, in.x, in.w, STYLE_NORMAL, line);
    }
    y++;
    if (y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_TITLE, "Open alerts");
    if (!st->alerts && y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_MUTED, st->alerts_note[0] ? "none shown (alerts not available)" : "loading…");
    else if (st->alerts && !json_array_size(json_object_get(st->alerts, "items")) && y < in.y + in.h)
        ui_put(y++, in.x, in.w, STYLE_MUTED, "none");
    json_t *al;
    json_array_foreach(json_object_get(st->alerts, "items"), i, al) {
        if (y >= in.y + in.h)
            break;
        const char *what = str(al, "title");
        if (!what[0])
            what = str(al, "message");
        if (!what[0])
            what = str(al, "name");
        snprintf(line, sizeof line, "! %s %s", str(al, "severity"), what);
        ui_put(y++, in.x, in.w, STYLE_BAD, line);
    }
}

static void draw_picker(detail_state *st, rect r)
{
    int w = r.w < 50 ? r.w : 50, h = st->npick + 2 < r.h ? st->npick + 2 : r.h;
    rect box = { r.y + 2, r.x + (r.w - w) / 2, h, w };
    rect in = ui_box(box, st->picking == PICK_ASSIGN ? "Assign to · Enter picks · Esc" : "Status · Enter sets · Esc",
                     true);
    int top = st->pick_sel >= in.h ? st->pick_sel - in.h + 1 : 0;
    for (int i = 0; i < in.h; i++) {
        int k = top + i;
        bool sel = k == st->pick_sel;
        char line[100];
        snprintf(line, sizeof line, "%s %s", sel ? ">" : " ", k < st->npick ? st->pick_label[k] : "");
        ui_put(in.y + i, in.x, in.w, sel ? STYLE_SELECTED : STYLE_NORMAL, line);
    }
}

static void detail_draw(screen *s, rect r)
{
    detail_state *st = s->state;
    if (!st->ticket) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, st->note[0] ? st->note : "loading…");
        return;
    }
    json_t *t = st->ticket;
    /* header: two columns of facts */
    char sla[24], fr[24], res[24];
    bool bad;
    ticket_sla_text(t, (long long)time(NULL), sla, sizeof sla, &bad);
    kv items[10] = {
        { "Number" }, { "Status" }, { "Priority" }, { "Assignee" }, { "SLA" },
        { "Category" }, { "Requester" }, { "Tags" }, { "Reply due" }, { "Resolve by" },
    };
    char tags[96] = "";
    size_t i;
    json_t *tg;
    json_array_foreach(json_object_get(t, "tags"), i, tg) {
        size_t off = strlen(tags);
        snprintf(tags + off, sizeof tags - off, "%s%s", i ? ", " : "", json_string_value(tg) ? json_string_value(tg) : "");
    }
    const char *assignee = str(t, "assignee");
    const char *vals[10] = {
        str(t, "number"), str(t, "status"), str(t, "priority"), assignee[0] ? assignee : "(nobody)", sla,
        str(t, "category"), str(t, "requester"), tags,
        ticket_short_time(json_string_value(json_object_get(t, "first_response_due_at")), fr, sizeof fr),
        ticket_short_time(json_string_value(json_object_get(t, "resolution_due_at")), res, sizeof res),
    };
    int styles[10] = { 0 };
    styles[4] = bad ? STYLE_BAD : STYLE_NORMAL;
    for (int k = 0; k < 10; k++)
        snprintf(items[k].value, sizeof items[k].value, "%s", vals[k][0] ? vals[k] : "-");
    char title[128];
    snprintf(title, sizeof title, "%s %.100s", str(t, "number"), str(t, "subject"));
    rect hb = { r.y, r.x, 7, r.w };
    rect hin = ui_box(hb, title, true), half[2];
    layout_columns(hin, 2, 0, 1, half);
    ui_kv_styled(half[0], items, 5, 0, styles);
    ui_kv_styled(half[1], items + 5, 5, 0, styles + 5);
    rect rest = { r.y + 7, r.x, r.h - 7, r.w };
    bool wide = COLS >= 100 && !is_customer();
    rect conv = rest, side = { 0, 0, 0, 0 };
    if (wide) {
        int sw = rest.w / 3 < 34 ? 34 : rest.w / 3;
        conv.w = rest.w - sw - 1;
        side = (rect){ rest.y, rest.x + conv.w + 1, rest.h, sw };
    }
    int edit_h = st->compose ? (rest.h / 2 > 6 ? rest.h / 2 : 6) : 0;
    if (edit_h > rest.h - 2)
        edit_h = rest.h - 2;
    rect convbox = { conv.y, conv.x, conv.h - edit_h, conv.w };
    if (!wide && st->panel && !is_customer())
        draw_side(st, convbox);
    else {
        rect cin = ui_box(convbox, "Conversation", !st->compose);
        if (cin.h > 0)
            draw_conversation(st, cin);
    }
    if (wide)
        draw_side(st, side);
    if (st->compose) {
        rect eb = { conv.y + conv.h - edit_h, conv.x, edit_h, conv.w };
        rect ein = ui_box(eb,
                          st->compose == COMPOSE_NOTE ? "NOTE (internal) · staff only · C-s/F2 send · Esc cancel"
                                                      : "Reply to customer · C-s/F2 send · Esc cancel",
                          true);
        if (ein.h >= 3) {
            rect text = { ein.y, ein.x, ein.h - 1, ein.w };
            editor_draw(&st->ed, text, true);
            ui_put(ein.y + ein.h - 1, ein.x, ein.w / 2, st->compose_msg[0] ? STYLE_BAD : STYLE_MUTED,
                   st->sending ? "sending…" : st->compose_msg);
        }
    }
    if (st->picking)
        draw_picker(st, r);
}

/* ---- writes ---- */

static void written(screen *s, json_t *result, json_t *error)
{
    (void)result;
    app_dirty();
    if (error) {
        const char *field = json_string_value(json_object_get(json_object_get(error, "data"), "field"));
        char msg[240];
        snprintf(msg, sizeof msg, "%s%s%.180s", field ? field : "", field ? ": " : "", str(error, "message"));
        app_toast(msg);
        return;
    }
    detail_load(s);
}

static void replied(screen *s, json_t *result, json_t *error)
{
    detail_state *st = s->state;
    st->sending = false;
    app_dirty();
    if (error) {
        const char *field = json_string_value(json_object_get(json_object_get(error, "data"), "field"));
        snprintf(st->compose_msg, sizeof st->compose_msg, "not sent: %s%s%.160s", field ? field : "", field ? ": " : "",
                 str(error, "message"));
        return; /* the text stays in the editor */
    }
    app_toast(st->compose == COMPOSE_NOTE ? "internal note added" : "reply sent");
    st->compose = COMPOSE_NONE;
    editor_set_text(&st->ed, "");
    st->scroll = 1 << 20; /* the end of the conversation */
    (void)result;
    detail_load(s);
}

static void compose_cancel_yes(void *ud)
{
    screen *s = *(screen **)ud;
    if (!app_screen_open(s))
        return;
    detail_state *st = s->state;
    st->compose = COMPOSE_NONE;
    editor_set_text(&st->ed, "");
}

static bool compose_key(screen *s, const keymap *k, int ch)
{
    detail_state *st = s->state;
    action_id fa = keymap_lookup(k, CTX_FORM, ch);
    if (fa == ACT_QUIT || fa == ACT_SAVE_SCREEN)
        return false;
    switch (editor_key(&st->ed, k, ch, 0, 0)) {
    case EDITOR_SEND:
        if (st->sending)
            break;
        if (editor_blank(&st->ed)) {
            snprintf(st->compose_msg, sizeof st->compose_msg, "nothing to send");
            break;
        }
        st->sending = true;
        st->compose_msg[0] = '\0';
        write_call(s, "ticket.reply",
                   json_pack("{s:I, s:s, s:b}", "id", (json_int_t)st->id, "body", editor_text(&st->ed), "internal",
                             st->compose == COMPOSE_NOTE),
                   replied);
        break;
    case EDITOR_CANCEL:
        if (!editor_blank(&st->ed)) {
            screen **ud = malloc(sizeof *ud);
            if (ud) {
                *ud = s;
                app_confirm("Throw away what you typed?", compose_cancel_yes, ud);
            }
        } else {
            st->compose = COMPOSE_NONE;
        }
        break;
    case EDITOR_KEEP: break;
    }
    return true;
}

static const form_field assign_fields[] = { { "User id", "user_id", FIELD_INT, NULL, false } };
static const form_field tag_fields[] = { { "Tags, comma-separated", "tags", FIELD_LIST, NULL, false } };
static const form_field rate_fields[] = {
    { "Score 1-5", "score", FIELD_INT, NULL, false },
    { "Comment", "comment", FIELD_TEXT, NULL, true },
};

static void form_done(void *ud)
{
    screen *s = ud;
    if (app_screen_open(s))
        detail_load(s);
}

static void pick_chosen(screen *s)
{
    detail_state *st = s->state;
    int k = st->pick_sel;
    int what = st->picking;
    st->picking = PICK_NONE;
    if (k < 0 || k >= st->npick)
        return;
    if (what == PICK_STATUS) {
        write_call(s, "ticket.status", json_pack("{s:I, s:s}", "id", (json_int_t)st->id, "status", st->pick_value[k]),
                   written);
        return;
    }
    if (st->pick_id[k] < 0) { /* another user, by id */
        form_init_create(&st->f, "Assign to user id", "ticket.assign", "id", st->id, assign_fields, 1);
        st->f.done = form_done;
        st->f.ud = s;
        app_open_form(&st->f);
        return;
    }
    json_t *p = json_pack("{s:I}", "id", (json_int_t)st->id);
    json_object_set_new(p, "user_id", st->pick_id[k] ? json_integer(st->pick_id[k]) : json_null());
    write_call(s, "ticket.assign", p, written);
}

static bool pick_key(screen *s, const keymap *k, int ch)
{
    detail_state *st = s->state;
    action_id da = keymap_lookup(k, CTX_DIALOG, ch);
    if (da == ACT_QUIT)
        return false;
    if (da == ACT_UP && st->pick_sel > 0)
        st->pick_sel--;
    else if (da == ACT_DOWN && st->pick_sel + 1 < st->npick)
        st->pick_sel++;
    else if (da == ACT_BACK)
        st->picking = PICK_NONE;
    else if (da == ACT_OPEN || ch == '\n' || ch == '\r')
        pick_chosen(s);
    return true;
}

static void add_pick(detail_state *st, const char *label, long long id, const char *value)
{
    if (st->npick >= PICK_MAX)
        return;
    snprintf(st->pick_label[st->npick], sizeof st->pick_label[0], "%s", label);
    st->pick_id[st->npick] = id;
    snprintf(st->pick_value[st->npick], sizeof st->pick_value[0], "%s", value ? value : "");
    st->npick++;
}

/* user.agents (any staff) gives the agents by name, between "nobody" and
 * "another user id" (kept for an agent beyond the 500 it lists). */
static void agents_loaded(screen *s, json_t *result, json_t *error)
{
    detail_state *st = s->state;
    if (error || st->picking != PICK_ASSIGN)
        return;
    long long me = (long long)json_integer_value(json_object_get(net_user(), "id"));
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(result, "items"), i, u) {
        const char *role = str(u, "role");
        long long uid = (long long)json_integer_value(json_object_get(u, "id"));
        if (uid == me || json_is_true(json_object_get(u, "disabled")) ||
            (strcmp(role, "support") && strcmp(role, "admin") && strcmp(role, "super_admin")))
            continue;
        char label[80];
        snprintf(label, sizeof label, "%.40s (%s)", str(u, "username"), role);
        /* before "another user id", the last entry */
        if (st->npick < PICK_MAX) {
            int last = st->npick - 1;
            char keep_label[80];
            snprintf(keep_label, sizeof keep_label, "%s", st->pick_label[last]);
            st->npick--;
            add_pick(st, label, uid, NULL);
            add_pick(st, keep_label, -1, NULL);
        }
    }
    app_dirty();
}

static void open_assign(screen *s)
{
    detail_state *st = s->state;
    st->npick = 0;
    st->pick_sel = 0;
    char me[80];
    snprintf(me, sizeof me, "me (%.60s)", str(net_user(), "username"));
    add_pick(st, me, (long long)json_integer_value(json_object_get(net_user(), "id")), NULL);
    add_pick(st, "nobody (unassign)", 0, NULL);
    add_pick(st, "another user, by id…", -1, NULL);
    st->picking = PICK_ASSIGN;
    write_call(s, "user.agents", json_object(), agents_loaded);
}

static void open_status(screen *s)
{
    detail_state *st = s->state;
    static const struct {
        const char *from, *to[5];
    } moves[] = {
        { "new", { "open", "pending", "resolved", "closed" } },
        { "open", { "pending", "resolved", "closed" } },
        { "pending", { "open", "resolved", "closed" } },
        { "resolved", { "open", "closed" } },
    };
    const char *cur = str(st->ticket, "status");
    st->npick = 0;
    st->pick_sel = 0;
    for (size_t m = 0; m < sizeof moves / sizeof moves[0]; m++) {
        if (strcmp(moves[m].from, cur))
            continue;
        for (int i = 0; moves[m].to[i]; i++)
            if (!is_customer() || !strcmp(moves[m].to[i], "resolved") || !strcmp(moves[m].to[i], "closed"))
                add_pick(st, moves[m].to[i], i, moves[m].to[i]);
    }
    if (!st->npick) {
        app_toast(!strcmp(cur, "closed") ? "a closed ticket stays closed" : "no status change allowed here");
        return;
    }
    st->picking = PICK_STATUS;
}

/* The tags form sends what changed: add the new ones, remove the gone. */
static bool tags_submit(form *f, json_t *params)
{
    screen *s = f->ud;
    detail_state *st = s->state;
    json_t *now = json_object_get(params, "tags"), *before = json_object_get(st->ticket, "tags");
    json_t *add = json_array(), *remove = json_array();
    size_t i, j;
    json_t *a, *b;
    json_array_foreach(now, i, a) {
        bool had = false;
        json_array_foreach(before, j, b) had = had || json_equal(a, b);
        if (!had)
            json_array_append(add, a);
    }
    json_array_foreach(before, i, b) {
        bool kept = false;
        json_array_foreach(now, j, a) kept = kept || json_equal(a, b);
        if (!kept)
            json_array_append(remove, b);
    }
    json_decref(params);
    if (!json_array_size(add) && !json_array_size(remove)) {
        json_decref(add);
        json_decref(remove);
        snprintf(f->message, sizeof f->message, "the tags did not change");
        return false;
    }
    write_call(s, "ticket.tag", json_pack("{s:I, s:o, s:o}", "id", (json_int_t)st->id, "add", add, "remove", remove),
               written);
    return true;
}

static bool detail_key(screen *s, const keymap *k, int ch)
{
    detail_state *st = s->state;
    if (st->compose)
        return compose_key(s, k, ch);
    if (st->picking)
        return pick_key(s, k, ch);
    return false;
}

static key_context detail_context(screen *s)
{
    (void)s;
    return CTX_TICKET;
}

static bool detail_action(screen *s, action_id a, int h)
{
    detail_state *st = s->state;
    (void)h;
    if (ui_scroll_key(a, &st->scroll, st->conv_h, st->conv_lines))
        return true;
    switch (a) {
    case ACT_REFRESH:
        st->side_loaded = false;
        detail_load(s);
        break;
    case ACT_NEXT_PANE: st->panel = !st->panel; break;
    case ACT_REPLY:
    case ACT_NOTE:
        if (!st->ticket)
            return true;
        if (a == ACT_NOTE && is_customer()) {
            app_toast("internal notes are for staff");
            return true;
        }
        st->compose = a == ACT_NOTE ? COMPOSE_NOTE : COMPOSE_REPLY;
        st->compose_msg[0] = '\0';
        break;
    case ACT_ASSIGN:
        if (!st->ticket || is_customer())
            return true;
        open_assign(s);
        break;
    case ACT_SET_STATUS:
        if (st->ticket)
            open_status(s);
        break;
    case ACT_TAGS:
        if (!st->ticket || is_customer())
            return true;
        form_init_create(&st->f, "Tags", "ticket.tag", "id", st->id, tag_fields, 1);
        {
            size_t i, off = 0;
            json_t *tg;
            json_array_foreach(json_object_get(st->ticket, "tags"), i, tg) {
                if (off < sizeof st->f.value[0])
                    off += (size_t)snprintf(st->f.value[0] + off, sizeof st->f.value[0] - off, "%s%s", i ? ", " : "",
                                            json_string_value(tg) ? json_string_value(tg) : "");
            }
        }
        st->f.submit = tags_submit;
        st->f.ud = s;
        app_open_form(&st->f);
        break;
    case ACT_RATE: {
        const char *status = str(st->ticket, "status");
        if (!is_customer()) {
            app_toast("the customer who opened the ticket rates it");
            return true;
        }
        if (strcmp(status, "resolved") && strcmp(status, "closed")) {
            app_toast("a ticket is rated once it is resolved");
            return true;
        }
        form_init_create(&st->f, "Rate this ticket", "ticket.rate", "id", st->id, rate_fields, 2);
        st->f.done = form_done;
        st->f.ud = s;
        app_open_form(&st->f);
        break;
    }
    default: return false;
    }
    return true;
}

static void detail_reload(screen *s)
{
    detail_load(s);
}

static void detail_event(screen *s, const char *topic, json_t *data)
{
    detail_state *st = s->state;
    if (strcmp(topic, "ticket.updated") && strcmp(topic, "ticket.sla_warning"))
        return;
    if ((long long)json_integer_value(json_object_get(data, "id")) != st->id)
        return;
    if (mono_ms() - st->load_ms >= RELOAD_EVERY_MS && !st->loading)
        detail_load(s);
    else
        st->reload_due = true;
}

static void detail_tick(screen *s)
{
    detail_state *st = s->state;
    if (st->reload_due && !st->loading && mono_ms() - st->load_ms >= RELOAD_EVERY_MS)
        detail_load(s);
}

static void detail_footer(screen *s, char *buf, size_t n)
{
    detail_state *st = s->state;
    const char *keys = is_customer() ? "[r Reply] [s Status] [R Rate]"
                                     : "[r Reply] [n Note] [a Assign] [s Status] [t Tags] [Tab Panel]";
    snprintf(buf, n, "%zu message%s · %lds ago · %s", json_array_size(json_object_get(st->ticket, "messages")),
             json_array_size(json_object_get(st->ticket, "messages")) == 1 ? "" : "s",
             st->loaded_at ? (long)(time(NULL) - st->loaded_at) : 0L, keys);
}

static void detail_destroy(screen *s)
{
    detail_state *st = s->state;
    app_close_form(&st->f);
    json_decref(st->ticket);
    json_decref(st->balance);
    json_decref(st->cdrs);
    json_decref(st->alerts);
    editor_free(&st->ed);
    free(st);
    free(s);
}

static const screen_ops detail_ops = {
    .draw = detail_draw, .action = detail_action, .reload = detail_reload, .event = detail_event,
    .footer = detail_footer, .destroy = detail_destroy, .tick = detail_tick, .key = detail_key,
    .context = detail_context,
};

screen *ticket_detail_new(long long id, const char *number)
{
    screen *s = calloc(1, sizeof *s);
    detail_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st || !editor_init(&st->ed, BODY_MAX)) {
        free(st);
        free(s);
        return NULL;
    }
    st->id = id;
    snprintf(st->number, sizeof st->number, "%s", number && number[0] ? number : "ticket");
    s->ops = &detail_ops;
    s->state = st;
    s->id = TAB_ID_TICKET(id);
    snprintf(s->title, sizeof s->title, "%s", st->number);
    snprintf(s->crumb, sizeof s->crumb, "Support / Tickets / %s", st->number);
    return s;
}

void ticket_open(long long id, const char *number)
{
    app_open_screen(ticket_detail_new(id, number));
}
