/*
 * carriers_screen.c: the carriers list — server-side search (/), sort by
 * any column, cursor paging as the selection nears the end, live reload on
 * carrier.changed. Enter opens the carrier in a workspace tab.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "screen.h"

static const table_column columns[] = {
    { "Name", "name", 16, 4, false },
    { "Type", "type", 9, 0, false },
    { "Status", "status", 9, 0, false },
    { "Cur", "currency", 4, 0, false },
    { "Credit", "credit_type", 8, 0, false },
    { "Limit", "credit_limit", 12, 1, true },
    { "Account manager", "account_manager", 15, 2, false },
};
#define NCOLS ((int)(sizeof columns / sizeof columns[0]))

typedef struct {
    table_model t;
    bool loading;
    time_t loaded_at;
    unsigned generation;
} list_state;

static const char *cell(json_t *item, const char *field, char *buf, size_t n)
{
    json_t *v;
    if (!strcmp(field, "currency"))
        v = json_array_get(json_object_get(item, "currencies"), 0);
    else if (!strcmp(field, "credit_type") || !strcmp(field, "credit_limit"))
        v = json_object_get(json_object_get(json_object_get(item, "credit"), "customer"), field);
    else
        v = json_object_get(item, field);
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return json_is_string(v) ? json_string_value(v) : "";
}

static screen *the_list; /* one carriers list per console */

static void reply(void *ud, json_t *result, json_t *error)
{
    if (!the_list)
        return;
    list_state *st = the_list->state;
    if ((unsigned)(uintptr_t)ud != st->generation)
        return;
    st->loading = false;
    app_dirty();
    if (error) {
        char msg[160];
        snprintf(msg, sizeof msg, "carriers: %s", json_string_value(json_object_get(error, "message")));
        app_toast(msg);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(result, "items"), i, item) {
        char bufs[NCOLS][32];
        const char *cells[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            cells[c] = cell(item, columns[c].field, bufs[c], sizeof bufs[c]);
        table_append(&st->t, (long long)json_integer_value(json_object_get(item, "id")), cells);
    }
    json_t *cur = json_object_get(result, "next_cursor");
    table_set_page(&st->t, (long long)json_integer_value(json_object_get(result, "total")),
                   json_is_string(cur) ? json_string_value(cur) : NULL);
    st->loaded_at = time(NULL);
}

static void load(list_state *st, bool more)
{
    if (more && (!st->t.next_cursor || st->loading))
        return;
    json_t *p = json_pack("{s:i}", "limit", 100);
    if (st->t.sort_col >= 0) {
        char sort[64];
        snprintf(sort, sizeof sort, "%s%s", st->t.sort_desc ? "-" : "", columns[st->t.sort_col].field);
        json_object_set_new(p, "sort", json_string(sort));
    }
    if (st->t.filter[0])
        json_object_set_new(p, "filter", json_pack("{s:s}", "q", st->t.filter));
    if (more) {
        json_object_set_new(p, "cursor", json_string(st->t.next_cursor));
    } else {
        table_clear(&st->t);
        st->generation++;
    }
    st->loading = true;
    net_call("carrier.list", p, reply, (void *)(uintptr_t)st->generation);
    app_dirty();
}

static void draw(screen *s, rect r)
{
    list_state *st = s->state;
    table_draw(&st->t, r, true, st->loading ? "loading…" : "no carriers match");
}

static bool action(screen *s, action_id a, int h)
{
    list_state *st = s->state;
    char buf[64];
    switch (a) {
    case ACT_UP: table_move(&st->t, -1, h); break;
    case ACT_DOWN: table_move(&st->t, 1, h); break;
    case ACT_PAGE_UP: table_move(&st->t, -h, h); break;
    case ACT_PAGE_DOWN: table_move(&st->t, h, h); break;
    case ACT_FIRST: table_select_first(&st->t, h); break;
    case ACT_LAST: table_select_last(&st->t, h); break;
    case ACT_REFRESH: load(st, false); break;
    case ACT_SORT: table_sort_by(&st->t, st->t.sort_col < 0 ? 0 : st->t.sort_col, buf, sizeof buf); load(st, false); break;
    case ACT_NEXT_TAB: table_sort_by(&st->t, (st->t.sort_col + 1) % NCOLS, buf, sizeof buf); load(st, false); break;
    case ACT_PREV_TAB: table_sort_by(&st->t, (st->t.sort_col + NCOLS - 1) % NCOLS, buf, sizeof buf); load(st, false); break;
    case ACT_OPEN: {
        const table_row *row = table_selected(&st->t);
        if (row)
            app_open_carrier(row->id, row->cells[0]);
        break;
    }
    case ACT_FILTER: return false; /* the app opens the input line and calls back */
    default: return false;
    }
    if (table_wants_more(&st->t, h))
        load(st, true);
    return true;
}

static void reload(screen *s)
{
    load(s->state, false);
}

static void event(screen *s, const char *topic, json_t *data)
{
    (void)data;
    if (!strcmp(topic, "carrier.changed"))
        load(s->state, false);
}

static void footer(screen *s, char *buf, size_t n)
{
    list_state *st = s->state;
    char foot[192];
    table_footer(&st->t, true, foot, sizeof foot);
    if (st->loaded_at)
        snprintf(buf, n, "%s · %lds ago", foot, (long)(time(NULL) - st->loaded_at));
    else
        snprintf(buf, n, "%s", foot);
}

static void destroy(screen *s)
{
    list_state *st = s->state;
    table_free(&st->t);
    free(st);
    if (the_list == s)
        the_list = NULL;
    free(s);
}

static void filter(screen *s, const char *text)
{
    list_state *st = s->state;
    snprintf(st->t.filter, sizeof st->t.filter, "%s", text);
    load(st, false);
}

static const char *filter_text(screen *s)
{
    return ((list_state *)s->state)->t.filter;
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, filter, filter_text };

screen *carriers_screen_new(void)
{
    screen *s = calloc(1, sizeof *s);
    list_state *st = calloc(1, sizeof *st);
    if (!s || !st) {
        free(s);
        free(st);
        return NULL;
    }
    table_init(&st->t, columns, NCOLS);
    st->t.sort_col = 0;
    s->ops = &ops;
    s->state = st;
    snprintf(s->title, sizeof s->title, "Carriers");
    snprintf(s->crumb, sizeof s->crumb, "Carriers");
    the_list = s;
    return s;
}
