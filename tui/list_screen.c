#include "list_screen.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"
#include "jobs_view.h"
#include "routing_view.h"
#include "theme.h"

typedef struct {
    const list_desc *d;
    form create;        /* the "n" form */
    table_model t;
    json_t *items;      /* the loaded items, for open() */
    bool loading;
    bool replace;       /* a fresh load: swap the rows when the reply comes,
                         * so the screen never flashes empty (and a live
                         * update costs only the cells that changed) */
    time_t loaded_at;
    json_t *scope;      /* filters every load carries (the rates of one plan), or NULL */
} list_state;

const char *json_path_text(json_t *item, const char *path, char *buf, size_t n)
{
    json_t *v = item;
    char part[64];
    const char *p = path;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len >= sizeof part)
            return "";
        memcpy(part, p, len);
        part[len] = '\0';
        v = json_is_array(v) ? json_array_get(v, (size_t)atoi(part)) : json_object_get(v, part);
        p = dot ? dot + 1 : p + len;
    }
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "yes" : "no";
    if (json_is_array(v)) {
        size_t off = 0, i;
        json_t *x;
        buf[0] = '\0';
        json_array_foreach(v, i, x) {
            char tmp[64];
            if (off < n)
                off += (size_t)snprintf(buf + off, n - off, "%s%s", i ? ", " : "", json_path_text(x, "", tmp, sizeof tmp));
        }
        return buf;
    }
    return "";
}

static void reply(screen *s, int part, json_t *result, json_t *error)
{
    list_state *st = s->state;
    (void)part;
    st->loading = false;
    app_dirty();
    if (error) {
        char msg[160];
        snprintf(msg, sizeof msg, "%s: %s", st->d->title, json_string_value(json_object_get(error, "message")));
        app_toast(msg);
        return;
    }
    size_t keep_sel = st->t.selected, keep_top = st->t.top;
    bool replacing = st->replace;
    if (replacing) {
        table_clear(&st->t);
        json_array_clear(st->items);
        st->replace = false;
    }
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(result, "items"), i, item) {
        char bufs[12][96];
        const char *cells[12];
        for (int c = 0; c < st->d->ncols && c < 12; c++)
            cells[c] = json_path_text(item, st->d->cols[c].path ? st->d->cols[c].path : st->d->cols[c].field,
                                      bufs[c], sizeof bufs[c]);
        table_append(&st->t, (long long)json_integer_value(json_object_get(item, "id")), cells);
        json_array_append(st->items, item);
    }
    json_t *cur = json_object_get(result, "next_cursor");
    table_set_page(&st->t, (long long)json_integer_value(json_object_get(result, "total")),
                   json_is_string(cur) ? json_string_value(cur) : NULL);
    if (!json_object_get(result, "total")) /* a list that is not paged (mail.outbox): all of it */
        st->t.total = (long long)st->t.nrows;
    if (replacing && st->t.nrows) { /* the same place in the list as before */
        st->t.selected = keep_sel < st->t.nrows ? keep_sel : st->t.nrows - 1;
        st->t.top = keep_top <= st->t.selected ? keep_top : st->t.selected;
    }
    st->loaded_at = time(NULL);
}

/* "type:supplier status:active tele" -> {type:"supplier", status:"active",
 * q:"tele"}: known key:value words become filters, the rest the search. A
 * value of digits for an id key is sent as a number (category_id:3). */
static json_t *search_params(const list_desc *d, const char *text)
{
    json_t *f = json_object();
    char words[256], q[256] = "";
    snprintf(words, sizeof words, "%s", text);
    for (char *save = NULL, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        char *colon = strchr(w, ':');
        bool known = false;
        if (colon && colon[1]) {
            *colon = '\0';
            for (const char *const *k = d->filter_keys; k && *k; k++)
                known = known || !strcmp(*k, w);
            if (known) {
                const char *v = colon + 1;
                /* ids are numbers; other digits (a prefix) stay text */
                size_t klen = strlen(w);
                bool digits = strspn(v, "0123456789") == strlen(v) && klen > 3 && !strcmp(w + klen - 3, "_id");
                json_object_set_new(f, w, digits ? json_integer(atoll(v))
                                          : !strcmp(v, "true") || !strcmp(v, "yes") ? json_true()
                                          : !strcmp(v, "false") || !strcmp(v, "no") ? json_false()
                                                                                    : json_string(v));
                continue;
            }
            *colon = ':';
        }
        size_t off = strlen(q);
        snprintf(q + off, sizeof q - off, "%s%s", off ? " " : "", w);
    }
    if (q[0] && d->search_filter) {
        json_object_set_new(f, d->search_filter, json_string(q));
    } else if (q[0]) { /* a list filtered by key:value words only */
        char msg[200];
        size_t off = (size_t)snprintf(msg, sizeof msg, "\"%.40s\" ignored: this list filters by", q);
        for (const char *const *k = d->filter_keys; k && *k && off < sizeof msg; k++)
            off += (size_t)snprintf(msg + off, sizeof msg - off, " %s:", *k);
        app_toast(msg);
    }
    return f;
}

static void load(screen *s, bool more)
{
    list_state *st = s->state;
    if (more && (!st->t.next_cursor || st->loading))
        return;
    json_t *p = json_pack("{s:i}", "limit", 100);
    if (st->t.sort_col >= 0) {
        char sort[80];
        snprintf(sort, sizeof sort, "%s%s", st->t.sort_desc ? "-" : "", st->d->cols[st->t.sort_col].field);
        json_object_set_new(p, "sort", json_string(sort));
    }
    json_t *filter = st->t.filter[0] && (st->d->search_filter || st->d->filter_keys) ? search_params(st->d, st->t.filter)
                                                                                     : json_object();
    if (st->scope)
        json_object_update(filter, st->scope);
    if (json_object_size(filter))
        json_object_set_new(p, "filter", filter);
    else
        json_decref(filter);
    if (more) {
        json_object_set_new(p, "cursor", json_string(st->t.next_cursor));
    } else {
        st->replace = true;
        screen_new_load(s);
    }
    st->loading = true;
    screen_call(s, st->d->method, p, reply, 0);
    app_dirty();
}

static void draw(screen *s, rect r)
{
    list_state *st = s->state;
    table_draw(&st->t, r, true, st->loading ? "loading…" : "nothing matches");
}

static void deleted(void *ud, json_t *result, json_t *error);

typedef struct {
    long long id, version;
    char name[96];
    char method[48];
} doomed;

static void delete_row(void *ud)
{
    doomed *d = ud;
    net_call(d->method, json_pack("{s:I, s:I}", "id", (json_int_t)d->id, "version", (json_int_t)d->version), deleted,
             NULL);
}

/* The generic delete: confirm with the row's name, then delete_method. */
static void ask_delete(const list_desc *ld, json_t *item)
{
    doomed *d = malloc(sizeof *d);
    if (!d)
        return;
    d->id = (long long)json_integer_value(json_object_get(item, "id"));
    d->version = (long long)json_integer_value(json_object_get(item, "version"));
    const char *name = json_string_value(json_object_get(item, "name"));
    snprintf(d->name, sizeof d->name, "%s", name ? name : "");
    snprintf(d->method, sizeof d->method, "%s", ld->delete_method);
    char q[200];
    snprintf(q, sizeof q, "Delete from %s: %s?", ld->title, name ? name : "the selected row");
    app_confirm(q, delete_row, d);
}

/* Sorting asks the server; a column it cannot sort by is refused with a
 * toast and the list keeps its order. */
static bool action(screen *s, action_id a, int h)
{
    list_state *st = s->state;
    int n = st->d->ncols;
    char buf[80];
    switch (a) {
    case ACT_UP: table_move(&st->t, -1, h); break;
    case ACT_DOWN: table_move(&st->t, 1, h); break;
    case ACT_PAGE_UP: table_move(&st->t, -h, h); break;
    case ACT_PAGE_DOWN: table_move(&st->t, h, h); break;
    case ACT_FIRST: table_select_first(&st->t, h); break;
    case ACT_LAST: table_select_last(&st->t, h); break;
    case ACT_REFRESH: load(s, false); break;
    case ACT_SORT: table_sort_by(&st->t, st->t.sort_col < 0 ? 0 : st->t.sort_col, buf, sizeof buf); load(s, false); break;
    case ACT_NEXT_TAB: table_sort_by(&st->t, (st->t.sort_col + 1) % n, buf, sizeof buf); load(s, false); break;
    case ACT_PREV_TAB: table_sort_by(&st->t, (st->t.sort_col + n - 1) % n, buf, sizeof buf); load(s, false); break;
    case ACT_OPEN:
        if (st->d->open && st->t.nrows)
            st->d->open(json_array_get(st->items, st->t.selected));
        break;
    case ACT_NEW:
        if (!st->d->create_method)
            return false;
        form_init_create(&st->create, st->d->create_title, st->d->create_method, NULL, 0, st->d->create_fields,
                         st->d->ncreate_fields);
        app_open_form(&st->create);
        break;
    case ACT_EDIT: {
        json_t *item = st->t.nrows ? json_array_get(st->items, st->t.selected) : NULL;
        if (!st->d->edit_method || !item)
            return false;
        form_init(&st->create, st->d->edit_title, st->d->edit_method, "id",
                  (long long)json_integer_value(json_object_get(item, "id")),
                  (long long)json_integer_value(json_object_get(item, "version")), st->d->edit_fields,
                  st->d->nedit_fields, item);
        st->create.get_method = st->d->get_method;
        app_open_form(&st->create);
        break;
    }
    case ACT_DELETE:
        if ((!st->d->remove && !st->d->delete_method) || !st->t.nrows)
            return false;
        if (st->d->remove)
            st->d->remove(json_array_get(st->items, st->t.selected));
        else
            ask_delete(st->d, json_array_get(st->items, st->t.selected));
        break;
    default: return false;
    }
    if (table_wants_more(&st->t, h))
        load(s, true);
    return true;
}

static void reload(screen *s)
{
    load(s, false);
}

static void event(screen *s, const char *topic, json_t *data)
{
    list_state *st = s->state;
    (void)data;
    /* topic: one or more event names separated by spaces */
    const char *t = st->d->topic;
    size_t len = strlen(topic);
    for (const char *hit = t ? strstr(t, topic) : NULL; hit; hit = strstr(hit + 1, topic))
        if ((hit == t || hit[-1] == ' ') && (hit[len] == ' ' || !hit[len])) {
            load(s, false);
            break;
        }
}

static void footer(screen *s, char *buf, size_t n)
{
    list_state *st = s->state;
    char foot[192];
    table_footer(&st->t, theme_glyphs()->utf8, foot, sizeof foot);
    if (st->loaded_at)
        snprintf(buf, n, "%s %s %lds ago", foot, theme_glyphs()->utf8 ? "·" : "|", (long)(time(NULL) - st->loaded_at));
    else
        snprintf(buf, n, "%s", foot);
}

static void destroy(screen *s)
{
    list_state *st = s->state;
    app_close_form(&st->create);
    table_free(&st->t);
    json_decref(st->items);
    json_decref(st->scope);
    free(st);
    free(s);
}

static void filter(screen *s, const char *text)
{
    list_state *st = s->state;
    if (!st->d->search_filter && !st->d->filter_keys) {
        app_toast("this list has no search");
        return;
    }
    snprintf(st->t.filter, sizeof st->t.filter, "%s", text);
    load(s, false);
}

static const char *filter_text(screen *s)
{
    return ((list_state *)s->state)->t.filter;
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, filter, filter_text };

screen *list_screen_new(const list_desc *d)
{
    screen *s = calloc(1, sizeof *s);
    list_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    st->d = d;
    st->items = json_array();
    table_init(&st->t, d->cols, d->ncols);
    st->t.sort_col = d->sort_col;
    st->t.sort_desc = d->sort_desc;
    s->ops = &ops;
    s->state = st;
    snprintf(s->title, sizeof s->title, "%s", d->title);
    snprintf(s->crumb, sizeof s->crumb, "%s", d->crumb);
    return s;
}

screen *list_screen_new_scoped(const list_desc *d, json_t *scope, const char *title, const char *crumb)
{
    screen *s = list_screen_new(d);
    if (!s) {
        json_decref(scope);
        return NULL;
    }
    list_state *st = s->state;
    st->scope = scope;
    snprintf(s->title, sizeof s->title, "%s", title);
    snprintf(s->crumb, sizeof s->crumb, "%s", crumb);
    return s;
}

json_t *list_screen_selected(screen *s)
{
    list_state *st = s->state;
    return st->t.nrows ? json_array_get(st->items, st->t.selected) : NULL;
}

/* ---- the lists ---- */

static void open_carrier(json_t *item)
{
    app_open_carrier((long long)json_integer_value(json_object_get(item, "id")),
                     json_string_value(json_object_get(item, "name")));
}

static void open_service_carrier(json_t *item)
{
    char name[32];
    long long carrier = (long long)json_integer_value(json_object_get(item, "carrier_id"));
    snprintf(name, sizeof name, "carrier %lld", carrier);
    app_open_carrier(carrier, name);
}

static void open_audit(json_t *item)
{
    app_open_screen(audit_view_new(item));
}

static void deleted(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    (void)result;
    if (error) {
        char msg[200];
        snprintf(msg, sizeof msg, "not deleted: %s", json_string_value(json_object_get(error, "message")));
        app_toast(msg);
    } else {
        app_toast("deleted");
    }
}

static void delete_carrier(void *ud)
{
    doomed *d = ud;
    net_call("carrier.delete", json_pack("{s:I, s:I, s:b}", "id", (json_int_t)d->id, "version", (json_int_t)d->version,
                                         "cascade", 1), deleted, NULL);
}

static void remove_carrier(json_t *item)
{
    doomed *d = malloc(sizeof *d);
    if (!d)
        return;
    d->id = (long long)json_integer_value(json_object_get(item, "id"));
    d->version = (long long)json_integer_value(json_object_get(item, "version"));
    snprintf(d->name, sizeof d->name, "%s", json_string_value(json_object_get(item, "name")));
    snprintf(d->method, sizeof d->method, "carrier.delete");
    char q[256];
    snprintf(q, sizeof q, "Delete carrier %s with its interconnects and services? Their traffic stops.", d->name);
    app_confirm(q, delete_carrier, d);
}

static const table_column carrier_cols[] = {
    { "Name", "name", 16, 4, false },
    { "Type", "type", 9, 0, false },
    { "Status", "status", 9, 0, false },
    { "Cur", "currency", 4, 0, false, "currencies.0" },
    { "Credit", "credit_type", 8, 0, false, "credit.customer.credit_type" },
    { "Limit", "credit_limit", 12, 1, true, "credit.customer.credit_limit" },
    { "Account manager", "account_manager", 15, 2, false },
};

static const table_column service_cols[] = {
    { "Name", "name", 14, 3, false },
    { "Carrier", "carrier_id", 7, 0, true },
    { "Interconnect", "interconnect_id", 12, 0, true },
    { "Tech prefix", "tech_prefix", 11, 1, false },
    { "Rating plan", "rating_plan_id", 11, 0, true },
    { "Routing plan", "routing_plan_id", 12, 0, true },
    { "Priority", "priority", 8, 0, true },
    { "Status", "status", 8, 0, false },
};

static const table_column trunk_group_cols[] = {
    { "Name", "name", 16, 2, false },
    { "Description", "description", 16, 3, false },
    { "Interconnects", "interconnects", 14, 2, false },
};

static const table_column user_cols[] = {
    { "Username", "username", 12, 2, false },
    { "Name", "display_name", 12, 2, false },
    { "Role", "role", 11, 0, false },
    { "Carrier", "carrier_id", 7, 0, true },
    { "Disabled", "disabled", 8, 0, false },
    { "Last login", "last_login_at", 20, 1, false },
};

static const table_column audit_cols[] = {
    { "When", "at", 27, 0, false },
    { "Actor", "actor", 10, 1, false },
    { "Action", "action", 13, 1, false },
    { "Entity", "entity", 12, 1, false },
    { "Id", "entity_id", 5, 0, true },
    { "Address", "address", 9, 1, false },
};

#define N(a) ((int)(sizeof a / sizeof a[0]))

/* Sort names must be ones the server sorts by: the carriers list maps
 * its columns' paths; others use plain fields. */
static const char *const carrier_types[] = { "customer", "supplier", "bilateral", NULL };
static const char *const billing_modes[] = { "automatic", "manual", NULL };
static const form_field new_carrier_fields[] = {
    { "Carrier name", "name", FIELD_TEXT, NULL, false },
    { "Type", "type", FIELD_ENUM, carrier_types, false },
    { "Time zone", "timezone", FIELD_TEXT, NULL, false },
    { "Currencies (1-3)", "currencies", FIELD_LIST, NULL, false },
    { "Account manager", "account_manager", FIELD_TEXT, NULL, false, FORM_ADVANCED },
    { "Customer billing", "customer_billing", FIELD_ENUM, billing_modes, false, FORM_ADVANCED },
    { "Capacity, blank=any", "capacity", FIELD_INT, NULL, true, FORM_ADVANCED },
    { "Circular routing", "circular_routing", FIELD_BOOL, NULL, false, FORM_ADVANCED },
    { "Category id", "category_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
    { "Group id", "group_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};

static const char *const roles[] = { "noc", "support", "admin", "customer", "super_admin", NULL };
static const form_field new_user_fields[] = {
    { "Username", "username", FIELD_TEXT, NULL, false },
    { "Password (8+)", "password", FIELD_SECRET, NULL, false },
    { "Role", "role", FIELD_ENUM, roles, false },
    { "Name", "display_name", FIELD_TEXT, NULL, false },
    { "E-mail", "email", FIELD_TEXT, NULL, false },
    { "Carrier id", "carrier_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};
static const form_field user_fields[] = {
    { "Role", "role", FIELD_ENUM, roles, false },
    { "Name", "display_name", FIELD_TEXT, NULL, false },
    { "E-mail", "email", FIELD_TEXT, NULL, false },
    { "Disabled", "disabled", FIELD_BOOL, NULL, false },
    { "Carrier id", "carrier_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};
static const form_field trunk_group_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Description", "description", FIELD_TEXT, NULL, false },
};

static const char *const directions[] = { "customer", "supplier", NULL };
static const char *const roundings[] = { "half_up", "up", "down", NULL };
static const form_field plan_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Currency", "currency", FIELD_TEXT, NULL, false },
    { "Direction", "direction", FIELD_ENUM, directions, false },
    { "Rounding", "rounding", FIELD_ENUM, roundings, false },
    { "Notice days", "notice_days", FIELD_INT, NULL, false, FORM_ADVANCED },
    { "Description", "description", FIELD_TEXT, NULL, false, FORM_ADVANCED },
};
static const table_column plan_cols[] = {
    { "Name", "name", 18, 3, false },
    { "Direction", "direction", 9, 0, false },
    { "Cur", "currency", 4, 0, false },
    { "Rounding", "rounding", 8, 0, false },
    { "Rates", "rates", 9, 0, true },
    { "Notice", "notice_days", 6, 0, true },
    { "Description", "description", 16, 2, false },
};
static const table_column cdr_cols[] = {
    { "Start", "start_time", 20, 0, false },
    { "CDR id", "id", 14, 2, false },
    { "Callee", "callee", 14, 1, false },
    { "Dur", "duration", 5, 0, true },
    { "Customer", "customer.cost", 11, 0, true },
    { "Supplier", "supplier.cost", 11, 0, true },
    { "Margin", "margin", 10, 0, true },
    { "Rated", "customer.rated", 5, 0, false },
};

static void open_deck(json_t *item)
{
    app_open_deck((long long)json_integer_value(json_object_get(item, "id")),
                  json_string_value(json_object_get(item, "name")));
}

static void open_cdr(json_t *item)
{
    const char *id = json_string_value(json_object_get(item, "id"));
    if (id)
        app_open_screen(cdr_view_new(id));
}

/* Routing plans (issue 7); Enter opens the plan's entries and the
 * test-route panel (routing_view.c). */
static const char *const routing_modes[] = { "lcr", "priority", "weight", "quality", NULL };
static const form_field routing_plan_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Mode", "mode", FIELD_ENUM, routing_modes, false },
    { "Allow negative margin", "allow_negative_margin", FIELD_BOOL, NULL, false },
    { "LCR delta", "lcr_delta", FIELD_MONEY, NULL, false },
    { "Description", "description", FIELD_TEXT, NULL, false, FORM_ADVANCED },
};
static const table_column routing_plan_cols[] = {
    { "Name", "name", 18, 3, false },
    { "Mode", "mode", 8, 0, false },
    { "Entries", "entries", 7, 0, true },
    { "Negative margin", "allow_negative_margin", 15, 0, false },
    { "LCR delta", "lcr_delta", 10, 0, true },
    { "Description", "description", 14, 2, false },
};
static const char *const routing_plan_keys[] = { "mode", NULL };

static void open_routing(json_t *item)
{
    app_open_routing((long long)json_integer_value(json_object_get(item, "id")),
                     json_string_value(json_object_get(item, "name")));
}

static const char *const plan_keys[] = { "direction", "currency", NULL };
static const char *const cdr_keys[] = { "carrier_id", "interconnect_id", "answered", "rated", "from", "to", NULL };

static const table_column category_cols[] = {
    { "Name", "name", 18, 2, false }, { "Description", "description", 20, 4, false },
};
static const form_field category_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false }, { "Description", "description", FIELD_TEXT, NULL, false },
};
static const table_column group_cols[] = {
    { "Name", "name", 18, 2, false }, { "Category", "category_id", 8, 0, true },
    { "Description", "description", 20, 4, false },
};
static const form_field group_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false }, { "Description", "description", FIELD_TEXT, NULL, false },
    { "Category id", "category_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};
static const table_column blacklist_cols[] = {
    { "Name", "name", 16, 2, false }, { "Description", "description", 16, 2, false },
    { "Numbers", "numbers", 18, 3, false }, { "Prefixes", "prefixes", 14, 2, false },
};
static const form_field blacklist_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false }, { "Description", "description", FIELD_TEXT, NULL, false },
    { "Numbers (+digits)", "numbers", FIELD_LIST, NULL, false }, { "Prefixes", "prefixes", FIELD_LIST, NULL, false },
};
static const char *const rc_directions[] = { "sip_to_q850", "q850_to_sip", NULL };
static const table_column release_cause_cols[] = {
    { "Direction", "direction", 12, 0, false }, { "SIP", "sip_code", 4, 0, true }, { "Q.850", "q850_cause", 5, 0, true },
    { "Interconnect", "interconnect_id", 12, 0, true }, { "Description", "description", 20, 4, false },
};
static const form_field release_cause_fields[] = {
    { "Direction", "direction", FIELD_ENUM, rc_directions, false }, { "SIP code", "sip_code", FIELD_INT, NULL, false },
    { "Q.850 cause", "q850_cause", FIELD_INT, NULL, false }, { "Description", "description", FIELD_TEXT, NULL, false },
    { "Interconnect id", "interconnect_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};
static const char *const release_cause_keys[] = { "interconnect_id", "direction", NULL };

/* Balance & Spend: every carrier's live credit figures (carrier.list
 * items carry them), refreshed as postings arrive. */
static const table_column balance_cols[] = {
    { "Name", "name", 16, 4, false },
    { "Cur", "currency", 4, 0, false, "balances.customer.currency" },
    { "Balance", "balance", 13, 1, true, "balances.customer.balance" },
    { "Limit", "limit", 12, 0, true, "balances.customer.limit" },
    { "Remaining", "remaining", 13, 1, true, "balances.customer.remaining" },
    { "Supplier bal", "supplier", 13, 0, true, "balances.supplier.balance" },
    { "24 h spend", "spend", 12, 0, true, "balances.spend_24h.customer" },
    { "24 h limit", "spend_limit", 12, 0, true, "balances.spend_24h.customer_limit" },
};

/* The ledger's journals, newest first (the server's order), live as
 * postings arrive; Enter shows the entries. Customers get their own. */
static const table_column journal_cols[] = {
    { "ID", "id", 6, 0, true },
    { "Time", "created_at", 20, 0, false },
    { "Kind", "kind", 11, 0, false },
    { "Carrier", "carrier_id", 7, 0, true },
    { "Side", "side", 8, 0, false },
    { "Amount", "amount", 13, 1, true },
    { "Cur", "currency", 4, 0, false },
    { "Memo", "memo", 8, 4, false },
};
static const char *const journal_keys[] = { "carrier_id", "kind", "side", "currency", "from", "to", NULL };

static void open_journal(json_t *item)
{
    app_open_screen(journal_view_new(item));
}

/* Issued documents (invoices, credit notes, nettings); Enter shows one as
 * the server's text. */
static const table_column invoice_cols[] = {
    { "Number", "number", 15, 0, false },
    { "Type", "type", 8, 1, false },
    { "Carrier", "carrier_id", 8, 3, false, "party.name" },
    { "Period", "period", 24, 0, false, "period_label" },
    { "Total", "total", 12, 1, true },
    { "Cur", "currency", 3, 0, false },
    { "Status", "status", 6, 0, false },
    { "Issued", "issued_at", 10, 0, false, "issued_date" },
};
static const char *const invoice_keys[] = { "carrier_id", "type", "status", "side", "currency", "number", "from",
                                            "to", NULL };

static void open_invoice(json_t *item)
{
    app_open_screen(invoice_view_new((long long)json_integer_value(json_object_get(item, "id")),
                                     json_string_value(json_object_get(item, "number"))));
}

/* The job queue (admins), newest first; Enter shows the job with its
 * payload and delivery log (jobs_view.c), where r retries a dead one. */
static const table_column job_cols[] = {
    { "ID", "id", 6, 0, true },
    { "Kind", "kind", 12, 2, false },
    { "State", "state", 7, 0, false },
    { "Tries", "attempts", 5, 0, true },
    { "Run at", "run_at", 20, 0, false },
    { "Last error", "last_error", 12, 3, false },
    { "Updated", "updated_at", 20, 0, false },
};
static const char *const job_keys[] = { "state", "kind", "dedupe_key", "from", "to", NULL };

static void open_job(json_t *item)
{
    job_open((long long)json_integer_value(json_object_get(item, "id")), json_string_value(json_object_get(item, "kind")));
}

/* The mail outbox (admins): the messages written, newest first (not
 * paged); Enter shows the job that sent one. */
static const table_column outbox_cols[] = {
    { "Written", "modified_at", 20, 0, false },
    { "To", "to", 14, 2, false },
    { "Subject", "subject", 16, 4, false },
    { "Template", "template", 10, 1, false },
    { "Job", "job_id", 5, 0, true },
};

static void open_outbox_job(json_t *item)
{
    json_t *job = json_object_get(item, "job_id");
    if (json_is_integer(job))
        job_open((long long)json_integer_value(job), json_string_value(json_object_get(item, "template")));
}

static const char *const carrier_keys[] = { "type", "status", "category_id", "group_id", "currency", "credit_type", NULL };
static const char *const service_keys[] = { "carrier_id", "interconnect_id", "status", NULL };
static const char *const user_keys[] = { "role", NULL };

static const list_desc known[] = {
    { "Carriers", "Carriers", "carrier.list", carrier_cols, N(carrier_cols), 0, false, "q", carrier_keys,
      "carrier.changed", open_carrier, remove_carrier, "carrier.create", "New carrier", new_carrier_fields,
      N(new_carrier_fields) },
    { "Balance & spend", "Carriers / Balance & Spend", "carrier.list", balance_cols, N(balance_cols), 0, false, "q",
      carrier_keys, "carrier.changed ledger.posted", open_carrier, NULL },
    { "Services", "Carriers / Services", "service.list", service_cols, N(service_cols), 0, false, "q", service_keys,
      "service.changed", open_service_carrier, NULL },
    { "Trunk groups", "Carriers / Trunk Groups", "trunk_group.list", trunk_group_cols, N(trunk_group_cols), 0, false, "q",
      NULL, "trunk_group.changed", NULL, NULL, "trunk_group.create", "New trunk group", trunk_group_fields,
      N(trunk_group_fields), "trunk_group.update", "Edit trunk group", trunk_group_fields, N(trunk_group_fields),
      "trunk_group.get", "trunk_group.delete" },
    { "Users", "Settings / Users", "user.list", user_cols, N(user_cols), 0, false, "q", user_keys, "user.created user.updated", NULL,
      NULL, "user.create", "New user", new_user_fields, N(new_user_fields), "user.update", "Edit user", user_fields,
      N(user_fields), "user.get" },
    { "Categories", "Carriers / Categories", "category.list", category_cols, N(category_cols), 0, false, "q", NULL,
      "category.changed", NULL, NULL, "category.create", "New category", category_fields, N(category_fields),
      "category.update", "Edit category", category_fields, N(category_fields), "category.get", "category.delete" },
    { "Groups", "Carriers / Groups", "group.list", group_cols, N(group_cols), 0, false, "q", NULL, "group.changed", NULL,
      NULL, "group.create", "New group", group_fields, N(group_fields), "group.update", "Edit group", group_fields,
      N(group_fields), "group.get", "group.delete" },
    { "Blacklists", "Carriers / Blacklists", "blacklist.list", blacklist_cols, N(blacklist_cols), 0, false, "q", NULL,
      "blacklist.changed", NULL, NULL, "blacklist.create", "New blacklist", blacklist_fields, N(blacklist_fields),
      "blacklist.update", "Edit blacklist", blacklist_fields, N(blacklist_fields), "blacklist.get", "blacklist.delete" },
    { "Release causes", "Carriers / Release Cause Mapping", "release_cause.list", release_cause_cols,
      N(release_cause_cols), -1, false, NULL, release_cause_keys, "release_cause_mapping.changed", NULL, NULL,
      "release_cause.create", "New release cause mapping", release_cause_fields, N(release_cause_fields),
      "release_cause.update", "Edit release cause mapping", release_cause_fields, N(release_cause_fields),
      "release_cause.get", "release_cause.delete" },
    { "Rating plans", "Rating / Rating Plans", "rating_plan.list", plan_cols, N(plan_cols), 0, false, "q", plan_keys,
      "rating_plan.changed", open_deck, NULL, "rating_plan.create", "New rating plan", plan_fields, N(plan_fields),
      "rating_plan.update", "Edit rating plan", plan_fields, N(plan_fields), "rating_plan.get" },
    { "Routing plans", "Rating / Routing Plans", "routing_plan.list", routing_plan_cols, N(routing_plan_cols), 0, false,
      "q", routing_plan_keys, "routing_plan.changed", open_routing, NULL, "routing_plan.create", "New routing plan",
      routing_plan_fields, N(routing_plan_fields), "routing_plan.update", "Edit routing plan", routing_plan_fields,
      N(routing_plan_fields), "routing_plan.get", "routing_plan.delete" },
    { "CDRs", "Rating / CDRs", "cdr.list", cdr_cols, N(cdr_cols), -1, false, "q", cdr_keys, "cdr.ingested", open_cdr,
      NULL },
    { "Audit log", "Settings / Audit Log", "audit.list", audit_cols, N(audit_cols), 0, true, NULL, NULL,
      "audit.recorded", open_audit, NULL },
    { "Journals", "Billing / Journals", "ledger.journal.list", journal_cols, N(journal_cols), -1, false, NULL,
      journal_keys, "ledger.posted", open_journal, NULL },
    { "Invoices", "Billing / Invoices", "invoice.list", invoice_cols, N(invoice_cols), -1, false, NULL, invoice_keys,
      "invoice.created invoice.voided", open_invoice, NULL },
    { "Jobs", "Settings / Jobs", "job.list", job_cols, N(job_cols), -1, false, NULL, job_keys, "job.changed", open_job,
      NULL },
    { "Mail outbox", "Settings / Mail outbox", "mail.outbox", outbox_cols, N(outbox_cols), -1, false, NULL, NULL,
      "job.changed", open_outbox_job, NULL },
};
static const char *const known_names[] = { "carriers", "balances", "services", "trunk-groups", "users", "categories", "groups",
                                           "blacklists", "release-causes", "rating-plans", "routing-plans", "cdrs", "audit",
                                           "journals", "invoices",
                                           "jobs", "outbox" };
_Static_assert(sizeof known / sizeof known[0] == sizeof known_names / sizeof known_names[0],
               "one command name per known list");

const list_desc *list_by_name(const char *name)
{
    for (int i = 0; i < N(known); i++)
        if (!strcmp(name, known_names[i]))
            return &known[i];
    return NULL;
}
