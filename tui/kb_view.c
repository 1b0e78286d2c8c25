/*
 * kb_view.c: the knowledge base (see kb_view.h). The search screen has a
 * query line that takes the printable keys (like a search box: type, Enter
 * searches; Up/Down pick a result, Enter on an unchanged query opens it);
 * the command palette stays on M-x. An article is scrollable text wrapped
 * with the editor's wrapping.
 */
#include "kb_view.h"

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "editor.h"
#include "theme.h"

static const char *str(json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

void kb_draw_snippet(int y, int x, int w, int base, const char *snippet)
{
    static const char open_mark[] = "«", close_mark[] = "»";
    ui_put(y, x, w, base, "");
    const char *p = snippet ? snippet : "";
    int col = 0;
    bool hot = false;
    while (*p && col < w) {
        const char *next_open = strstr(p, open_mark), *next_close = strstr(p, close_mark);
        const char *stop = hot ? next_close : next_open;
        size_t len = stop ? (size_t)(stop - p) : strlen(p);
        char part[512];
        if (len >= sizeof part)
            len = sizeof part - 1;
        memcpy(part, p, len);
        part[len] = '\0';
        for (char *c = part; *c; c++) /* a snippet is one line */
            if (*c == '\n' || *c == '\r' || *c == '\t')
                *c = ' ';
        int pw = utf8_width(part);
        if (pw > 0) {
            ui_put(y, x + col, w - col < pw ? w - col : pw, hot ? STYLE_ACCENT : base, part);
            col += pw;
        }
        if (!stop)
            break;
        p = stop + strlen(hot ? close_mark : open_mark);
        hot = !hot;
    }
}

/* ==================================================== search */

typedef struct {
    editor query;
    char searched[256];   /* the query of the results shown */
    json_t *items;
    int sel, top;
    bool loading;
    char note[200];
} search_state;

static void searched(screen *s, int part, json_t *result, json_t *error)
{
    search_state *st = s->state;
    (void)part;
    st->loading = false;
    json_array_clear(st->items);
    st->note[0] = '\0';
    st->sel = st->top = 0;
    if (error)
        ui_error_note(error, "Knowledge base", st->note, sizeof st->note);
    else
        json_array_extend(st->items, json_object_get(result, "items"));
    app_dirty();
}

static void search(screen *s)
{
    search_state *st = s->state;
    snprintf(st->searched, sizeof st->searched, "%s", editor_text(&st->query));
    if (!st->searched[0]) {
        json_array_clear(st->items);
        return;
    }
    screen_new_load(s);
    st->loading = true;
    screen_call(s, "kb.search", json_pack("{s:s, s:i}", "q", st->searched, "limit", 50), searched, 0);
}

static void search_draw(screen *s, rect r)
{
    search_state *st = s->state;
    ui_put(r.y, r.x, 8, STYLE_TITLE, " Search ");
    char q[300];
    snprintf(q, sizeof q, "%s_", editor_text(&st->query));
    ui_put(r.y, r.x + 8, r.w - 8, STYLE_SELECTED, q);
    const char *hint = st->loading ? "searching…" : "type words, Enter searches; Up/Down, Enter opens";
    ui_put(r.y + 1, r.x + 1, r.w - 1, STYLE_MUTED, hint);
    int n = (int)json_array_size(st->items), per = 3, rows = (r.h - 3) / per;
    if (rows < 1)
        rows = 1;
    if (st->sel < st->top)
        st->top = st->sel;
    if (st->sel >= st->top + rows)
        st->top = st->sel - rows + 1;
    for (int y = r.y + 2; y < r.y + r.h; y++)
        ui_put(y, r.x, r.w, STYLE_NORMAL, "");
    if (!n) {
        ui_put(r.y + 3, r.x + 2, r.w - 4, STYLE_MUTED,
               st->note[0] ? st->note : st->searched[0] ? "no article matches" : "");
        return;
    }
    for (int i = 0; i < rows && st->top + i < n; i++) {
        json_t *a = json_array_get(st->items, (size_t)(st->top + i));
        int y = r.y + 3 + i * per;
        bool sel = st->top + i == st->sel;
        char line[300];
        snprintf(line, sizeof line, "%s %s  [%s]", sel ? ">" : " ", str(a, "title"), str(a, "category"));
        ui_put(y, r.x, r.w, sel ? STYLE_SELECTED : STYLE_TITLE, line);
        kb_draw_snippet(y + 1, r.x + 4, r.w - 4, STYLE_NORMAL, str(a, "snippet"));
    }
}

static void open_selected(search_state *st)
{
    json_t *a = json_array_get(st->items, (size_t)st->sel);
    if (a)
        kb_open_article((long long)json_integer_value(json_object_get(a, "id")), str(a, "title"));
}

static bool search_key(screen *s, const keymap *k, int ch)
{
    search_state *st = s->state;
    int n = (int)json_array_size(st->items);
    if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        if (strcmp(editor_text(&st->query), st->searched) || !n)
            search(s);
        else
            open_selected(st);
        return true;
    }
    if (ch == KEY_UP || ch == KEY_DOWN) {
        st->sel += ch == KEY_UP ? -1 : 1;
        if (st->sel >= n)
            st->sel = n - 1;
        if (st->sel < 0)
            st->sel = 0;
        return true;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8 || ch == KEY_LEFT || ch == KEY_RIGHT || ch == KEY_HOME ||
        ch == KEY_END || ch == KEY_DC || (ch >= 32 && ch < 256)) {
        editor_key(&st->query, k, ch, 100000, 1);
        return true;
    }
    return false; /* Esc, Tab, F-keys, C-keys: the app's */
}

static bool search_action(screen *s, action_id a, int h)
{
    (void)s;
    (void)a;
    (void)h;
    return false;
}

static void search_reload(screen *s)
{
    search_state *st = s->state;
    if (st->searched[0])
        search(s);
}

static void search_event(screen *s, const char *topic, json_t *data)
{
    (void)s;
    (void)topic;
    (void)data;
}

static void search_footer(screen *s, char *buf, size_t n)
{
    search_state *st = s->state;
    snprintf(buf, n, "%zu article%s", json_array_size(st->items), json_array_size(st->items) == 1 ? "" : "s");
}

static void search_destroy(screen *s)
{
    search_state *st = s->state;
    editor_free(&st->query);
    json_decref(st->items);
    free(st);
    free(s);
}

static const screen_ops search_ops = {
    .draw = search_draw, .action = search_action, .reload = search_reload, .event = search_event,
    .footer = search_footer, .destroy = search_destroy, .key = search_key,
};

screen *kb_search_new(void)
{
    screen *s = calloc(1, sizeof *s);
    search_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st || !editor_init(&st->query, 200)) {
        free(st);
        free(s);
        return NULL;
    }
    st->items = json_array();
    s->ops = &search_ops;
    s->state = st;
    s->id = TAB_ID_KB_SEARCH;
    snprintf(s->title, sizeof s->title, "Knowledge base");
    snprintf(s->crumb, sizeof s->crumb, "Support / Knowledge base");
    return s;
}

/* ==================================================== an article */

typedef struct {
    long long id;
    json_t *article;
    char note[200];
    int scroll, nlines, height;
} article_state;

static void article_loaded(screen *s, int part, json_t *result, json_t *error)
{
    article_state *st = s->state;
    (void)part;
    if (error) {
        ui_error_note(error, "Article", st->note, sizeof st->note);
    } else {
        json_decref(st->article);
        st->article = json_incref(result);
        snprintf(s->title, sizeof s->title, "KB %.40s", str(result, "title"));
    }
    app_dirty();
}

static void article_draw(screen *s, rect r)
{
    article_state *st = s->state;
    if (!st->article) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, st->note[0] ? st->note : "loading…");
        return;
    }
    ui_put(r.y, r.x + 1, r.w - 1, STYLE_TITLE, str(st->article, "title"));
    char meta[300], tags[160] = "";
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(st->article, "tags"), i, t) {
        size_t off = strlen(tags);
        snprintf(tags + off, sizeof tags - off, "%s%s", i ? ", " : "", json_string_value(t) ? json_string_value(t) : "");
    }
    snprintf(meta, sizeof meta, "%s · %s%s%s", str(st->article, "category"), str(st->article, "state"),
             tags[0] ? " · tags: " : "", tags);
    ui_put(r.y + 1, r.x + 1, r.w - 1, STYLE_MUTED, meta);
    rect body = { r.y + 3, r.x + 1, r.h - 3, r.w - 2 };
    const char *text = str(st->article, "body");
    editor tmp = { .text = (char *)text, .len = strlen(text), .max = strlen(text) + 1 };
    size_t cap = tmp.len + 2;
    editor_line *l = malloc(cap * sizeof *l);
    if (!l)
        return;
    size_t n = editor_wrap(&tmp, body.w, l, cap);
    st->nlines = (int)n;
    st->height = body.h;
    ui_scroll_clamp(&st->scroll, body.h, st->nlines);
    for (int y = 0; y < body.h; y++) {
        size_t k = (size_t)(st->scroll + y);
        char line[1024] = "";
        if (k < n) {
            size_t len = l[k].len < sizeof line - 1 ? l[k].len : sizeof line - 1;
            memcpy(line, text + l[k].start, len);
            line[len] = '\0';
        }
        ui_put(body.y + y, body.x, body.w, STYLE_NORMAL, line);
    }
    free(l);
}

static bool article_action(screen *s, action_id a, int h)
{
    article_state *st = s->state;
    (void)h;
    if (ui_scroll_key(a, &st->scroll, st->height, st->nlines))
        return true;
    switch (a) {
    case ACT_REFRESH: s->ops->reload(s); return true;
    default: return false;
    }
}

static void article_reload(screen *s)
{
    article_state *st = s->state;
    screen_new_load(s);
    screen_call(s, "kb.article.get", json_pack("{s:I}", "id", (json_int_t)st->id), article_loaded, 0);
}

static void article_footer(screen *s, char *buf, size_t n)
{
    article_state *st = s->state;
    snprintf(buf, n, "line %d of %d", st->nlines ? st->scroll + 1 : 0, st->nlines);
}

static void article_destroy(screen *s)
{
    article_state *st = s->state;
    json_decref(st->article);
    free(st);
    free(s);
}

static const screen_ops article_ops = {
    .draw = article_draw, .action = article_action, .reload = article_reload, .event = search_event,
    .footer = article_footer, .destroy = article_destroy,
};

void kb_open_article(long long id, const char *title)
{
    screen *s = calloc(1, sizeof *s);
    article_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return;
    }
    st->id = id;
    s->ops = &article_ops;
    s->state = st;
    s->id = TAB_ID_KB_ARTICLE(id);
    snprintf(s->title, sizeof s->title, "KB %.40s", title && title[0] ? title : "article");
    snprintf(s->crumb, sizeof s->crumb, "Support / Knowledge base / %.60s", title ? title : "");
    app_open_screen(s);
}
