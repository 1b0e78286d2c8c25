/*
 * audit_view.c: one audit row — who did what to which record, and a diff
 * of its before and after JSON: every leaf (nested objects flattened to
 * dot paths) that differs, with its old and new value; "(none)" where the
 * record did not exist (create) or no longer does (delete).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "list_screen.h"
#include "screen.h"
#include "theme.h"

typedef struct {
    json_t *row;
    table_model diff;
} audit_state;

static const table_column diff_cols[] = {
    { "Field", "field", 18, 2, false },
    { "Before", "before", 14, 3, false },
    { "After", "after", 14, 3, false },
};

static void leaf_text(json_t *v, char *buf, size_t n)
{
    if (!v) {
        snprintf(buf, n, "(none)");
        return;
    }
    if (json_is_null(v)) {
        snprintf(buf, n, "null");
        return;
    }
    char tmp[256];
    const char *t = json_path_text(v, "", tmp, sizeof tmp);
    if (!*t && (json_is_object(v) || json_is_array(v))) {
        char *dump = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        snprintf(buf, n, "%s", dump ? dump : "");
        free(dump);
    } else {
        snprintf(buf, n, "%s", t);
    }
}

/* Add a row for every leaf path under prefix where before and after differ. */
static void diff(table_model *t, const char *prefix, json_t *before, json_t *after)
{
    if (json_is_object(before) || json_is_object(after)) {
        json_t *keys = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(before, k, v) json_object_set(keys, k, json_true());
        json_object_foreach(after, k, v) json_object_set(keys, k, json_true());
        json_object_foreach(keys, k, v) {
            char path[128];
            snprintf(path, sizeof path, "%s%s%s", prefix, *prefix ? "." : "", k);
            diff(t, path, json_object_get(before, k), json_object_get(after, k));
        }
        json_decref(keys);
        return;
    }
    if (before && after && json_equal(before, after))
        return;
    char b[256], a[256];
    leaf_text(before, b, sizeof b);
    leaf_text(after, a, sizeof a);
    const char *cells[3] = { prefix, b, a };
    table_append(t, 0, cells);
}

static void draw(screen *s, rect r)
{
    audit_state *st = s->state;
    char buf[96];
    kv items[6];
    static const char *const labels[][2] = {
        { "When", "at" }, { "Actor", "actor" }, { "Action", "action" }, { "Entity", "entity" },
        { "Record", "entity_id" }, { "Address", "address" },
    };
    for (int i = 0; i < 6; i++) {
        items[i].label = labels[i][0];
        snprintf(items[i].value, sizeof items[i].value, "%s", json_path_text(st->row, labels[i][1], buf, sizeof buf));
    }
    rect box = { r.y, r.x, 8, r.w < 90 ? r.w : 90 };
    ui_kv(ui_box(box, "Audit entry", true), items, 6, 0);
    rect rest = { r.y + 9, r.x, r.h - 9, r.w };
    table_draw(&st->diff, rest, true, "no field changed");
}

static bool action(screen *s, action_id a, int h)
{
    audit_state *st = s->state;
    h -= 10;
    switch (a) {
    case ACT_UP: table_move(&st->diff, -1, h); return true;
    case ACT_DOWN: table_move(&st->diff, 1, h); return true;
    default: return false;
    }
}

static void reload(screen *s)
{
    (void)s; /* audit rows never change */
}

static void event(screen *s, const char *topic, json_t *data)
{
    (void)s;
    (void)topic;
    (void)data;
}

static void footer(screen *s, char *buf, size_t n)
{
    audit_state *st = s->state;
    snprintf(buf, n, "%zu field(s) changed", st->diff.nrows);
}

static void destroy(screen *s)
{
    audit_state *st = s->state;
    json_decref(st->row);
    table_free(&st->diff);
    free(st);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL };

screen *audit_view_new(json_t *row)
{
    screen *s = calloc(1, sizeof *s);
    audit_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    st->row = json_incref(row);
    table_init(&st->diff, diff_cols, 3);
    st->diff.sort_col = -1;
    diff(&st->diff, "", json_object_get(row, "before"), json_object_get(row, "after"));
    table_set_page(&st->diff, (long long)st->diff.nrows, NULL);
    s->ops = &ops;
    s->state = st;
    s->id = 0;
    snprintf(s->title, sizeof s->title, "Audit %lld", (long long)json_integer_value(json_object_get(row, "id")));
    snprintf(s->crumb, sizeof s->crumb, "Settings / Audit Log / %s", s->title);
    return s;
}
