/*
 * interconnect_detail.c: one interconnect in a workspace tab, with the
 * reference product's tabs by direction — ingress: Details, Ingress
 * Validation, Ingress Translation, Media, Signalling, Services; egress:
 * Details, Egress Routing, Egress Translations, Media, Signalling,
 * Monitoring. Each tab lists its settings as label/value lines; a setting
 * never set shows "-".
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "list_screen.h"
#include "net.h"
#include "screen.h"
#include "theme.h"

typedef struct {
    const char *label, *path;
} setting;

typedef struct {
    const char *name;
    const setting *settings; /* NULL: the services table */
} ic_tab;

static const setting details[] = {
    { "Name", "name" }, { "Direction", "direction" }, { "Carrier", "carrier_id" }, { "Currency", "currency" },
    { "Status", "status" }, { "Capacity", "capacity" }, { "Max CPS", "cps_limit" }, { "Signalling IPs", "signalling_ips" },
    { "Tech prefix", "tech_prefix" }, { "Supplier rating plan", "supplier_rating_plan_id" },
    { "Trunk group", "trunk_group_id" }, { "Services", "services" }, { "Version", "version" }, { NULL, NULL },
};
static const setting ingress_validation[] = {
    { "IP validation", "ingress_validation.ip_validation" }, { "Tech prefix", "tech_prefix" },
    { "From URI", "ingress_validation.from_uri" }, { "Contact URI", "ingress_validation.contact_uri" },
    { "Trunk group", "trunk_group_id" }, { "Max CPS", "cps_limit" }, { NULL, NULL },
};
static const setting ingress_translation[] = {
    { "Origination pref.", "ingress_translation.origination_preference" },
    { "PAI generation", "ingress_translation.pai_generation" },
    { "Number translation", "ingress_translation.number_translation" }, { NULL, NULL },
};
static const setting egress_routing[] = {
    { "Tech prefix", "tech_prefix" }, { "Send to IPs", "egress_routing.send_to_ips" },
    { "Transport", "egress_routing.transport" }, { "Max CPS", "cps_limit" }, { "Trunk group", "trunk_group_id" },
    { "Blacklists", "egress_routing.blacklist_ids" }, { NULL, NULL },
};
static const setting egress_translation[] = {
    { "PAI generation", "egress_translation.pai_generation" },
    { "Block invalid origins", "egress_translation.block_invalid_origins" },
    { "Number translation", "egress_translation.number_translation" }, { NULL, NULL },
};
static const setting media[] = {
    { "Codecs", "media.codecs" }, { "VAD", "media.vad" }, { "ptime", "media.ptime" },
    { "DTMF detection", "media.dtmf_mode" }, { "Media relay", "media.media_relay" },
    { "RTP timeout", "media.rtp_timeout" }, { NULL, NULL },
};
static const setting signalling[] = {
    { "Privacy method", "signalling.privacy_method" }, { "Session timer", "signalling.session_timer" },
    { "100rel", "signalling.rel100" }, { "Max call duration", "signalling.max_call_duration" },
    { "Release cause map", "signalling.release_cause_mapping_id" }, { NULL, NULL },
};
static const setting monitoring[] = {
    { "SIP OPTIONS ping", "monitoring.options_ping" }, { "Ping interval (s)", "monitoring.options_interval" },
    { "Call response mon.", "monitoring.call_response_monitoring" }, { "Auto-disable", "monitoring.auto_disable" },
    { "Disable after fails", "monitoring.disable_after_failures" }, { "Auto re-enable", "monitoring.auto_reenable" },
    { "Re-enable after OKs", "monitoring.reenable_after_successes" }, { NULL, NULL },
};

static const ic_tab ingress_tabs[] = {
    { "Details", details }, { "Ingress Validation", ingress_validation }, { "Ingress Translation", ingress_translation },
    { "Media", media }, { "Signalling", signalling }, { "Services", NULL },
};
static const ic_tab egress_tabs[] = {
    { "Details", details }, { "Egress Routing", egress_routing }, { "Egress Translations", egress_translation },
    { "Media", media }, { "Signalling", signalling }, { "Monitoring", monitoring },
};
#define NTABS 6

static const table_column service_cols[] = {
    { "Name", "name", 14, 3, false }, { "Tech prefix", "tech_prefix", 11, 1, false },
    { "Rating plan", "rating_plan_id", 11, 0, true }, { "Routing plan", "routing_plan_id", 12, 0, true },
    { "Capacity", "capacity", 8, 0, true }, { "Status", "status", 8, 0, false },
};

typedef struct {
    long long id;
    int tab;
    json_t *ic;
    json_t *service_items; /* the services as loaded, for editing */
    form edit;
    table_model services;
    unsigned generation;
} ic_state;

typedef struct {
    screen *s;
    unsigned generation;
    bool services;
} ticket;

static const ic_tab *tabs_of(const ic_state *st)
{
    const char *dir = json_string_value(json_object_get(st->ic, "direction"));
    return dir && !strcmp(dir, "egress") ? egress_tabs : ingress_tabs;
}

static void reply(void *ud, json_t *result, json_t *error)
{
    ticket *tk = ud;
    screen *s = tk->s;
    bool services = tk->services;
    unsigned gen = tk->generation;
    free(tk);
    if (!app_screen_open(s))
        return;
    ic_state *st = s->state;
    if (gen != st->generation)
        return;
    app_dirty();
    if (error) {
        char msg[160];
        snprintf(msg, sizeof msg, "interconnect: %s", json_string_value(json_object_get(error, "message")));
        app_toast(msg);
        return;
    }
    if (services) {
        json_decref(st->service_items);
        st->service_items = json_incref(json_object_get(result, "items"));
        table_clear(&st->services);
        size_t i;
        json_t *item;
        json_array_foreach(json_object_get(result, "items"), i, item) {
            char bufs[6][96];
            const char *cells[6];
            for (int c = 0; c < 6; c++)
                cells[c] = json_path_text(item, service_cols[c].field, bufs[c], sizeof bufs[c]);
            table_append(&st->services, (long long)json_integer_value(json_object_get(item, "id")), cells);
        }
        table_set_page(&st->services, (long long)json_integer_value(json_object_get(result, "total")), NULL);
        return;
    }
    json_decref(st->ic);
    st->ic = json_incref(result);
    snprintf(s->title, sizeof s->title, "%s", json_string_value(json_object_get(result, "name")));
    snprintf(s->crumb, sizeof s->crumb, "Interconnects / %s", s->title);
}

static void ask(screen *s, const char *method, json_t *params, bool services)
{
    ic_state *st = s->state;
    ticket *tk = malloc(sizeof *tk);
    if (!tk) {
        json_decref(params);
        return;
    }
    *tk = (ticket){ s, st->generation, services };
    net_call(method, params, reply, tk);
}

static void reload(screen *s)
{
    ic_state *st = s->state;
    st->generation = app_next_generation();
    ask(s, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)st->id), false);
    ask(s, "service.list", json_pack("{s:{s:I}, s:i}", "filter", "interconnect_id", (json_int_t)st->id, "limit", 500), true);
}

static void draw(screen *s, rect r)
{
    ic_state *st = s->state;
    if (!st->ic) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, "loading…");
        return;
    }
    const ic_tab *tabs = tabs_of(st);
    const char *names[NTABS];
    for (int t = 0; t < NTABS; t++)
        names[t] = tabs[t].name;
    ui_tabs(r.y, r.x, r.w, names, NTABS, st->tab);
    rect body = { r.y + 1, r.x, r.h - 1, r.w };
    const ic_tab *tab = &tabs[st->tab];
    if (!tab->settings) {
        table_draw(&st->services, body, true, "no services on this interconnect");
        return;
    }
    kv items[16];
    int n = 0;
    for (const setting *set = tab->settings; set->label && n < 16; set++, n++) {
        char buf[96];
        items[n].label = set->label;
        snprintf(items[n].value, sizeof items[n].value, "%s", json_path_text(st->ic, set->path, buf, sizeof buf));
    }
    rect box = { body.y, body.x, n + 2 < body.h ? n + 2 : body.h, body.w < 90 ? body.w : 90 };
    ui_kv(ui_box(box, tab->name, true), items, n, 0);
}

static const char *const routing_methods[] = { "routing_plan", "interconnect", NULL };
static const char *const enforcements[] = { "enforce", "monitor", NULL };
static const char *const service_statuses[] = { "active", "disabled", NULL };

/* The Add/Edit Service dialog. Plans are named by id until the rating and
 * routing issues give them lists to pick from. */
static const form_field service_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Rating plan id", "rating_plan_id", FIELD_INT, NULL, false },
    { "Routing plan id", "routing_plan_id", FIELD_INT, NULL, true },
    { "Routing method", "routing_method", FIELD_ENUM, routing_methods, false },
    { "Tech prefix", "tech_prefix", FIELD_TEXT, NULL, true },
    { "Capacity", "capacity", FIELD_INT, NULL, true },
    { "Priority", "priority", FIELD_INT, NULL, false },
    { "Allow transcoding", "allow_transcoding", FIELD_BOOL, NULL, false },
    { "Enforcement", "enforcement", FIELD_ENUM, enforcements, false },
    { "Status", "status", FIELD_ENUM, service_statuses, false },
};
#define NSERVICE_FIELDS ((int)(sizeof service_fields / sizeof service_fields[0]))

static void service_saved(void *ud)
{
    reload(ud);
}

static bool service_form(screen *s, bool creating)
{
    ic_state *st = s->state;
    const ic_tab *tab = &tabs_of(st)[st->tab];
    if (tab->settings) /* only on the Services tab */
        return false;
    if (creating) {
        form_init_create(&st->edit, "Add Service", "service.create", "interconnect_id", st->id, service_fields,
                         NSERVICE_FIELDS);
    } else {
        json_t *item = st->services.nrows ? json_array_get(st->service_items, st->services.selected) : NULL;
        if (!item)
            return false;
        form_init(&st->edit, "Edit Service", "service.update", "id",
                  (long long)json_integer_value(json_object_get(item, "id")),
                  (long long)json_integer_value(json_object_get(item, "version")), service_fields, NSERVICE_FIELDS, item);
        st->edit.get_method = "service.get";
    }
    st->edit.done = service_saved;
    st->edit.ud = s;
    app_open_form(&st->edit);
    return true;
}

static bool action(screen *s, action_id a, int h)
{
    ic_state *st = s->state;
    h -= 2;
    switch (a) {
    case ACT_NEW: return st->ic && service_form(s, true);
    case ACT_EDIT: return st->ic && service_form(s, false);
    case ACT_NEXT_TAB: st->tab = (st->tab + 1) % NTABS; break;
    case ACT_PREV_TAB: st->tab = (st->tab + NTABS - 1) % NTABS; break;
    case ACT_UP: table_move(&st->services, -1, h); break;
    case ACT_DOWN: table_move(&st->services, 1, h); break;
    case ACT_REFRESH: reload(s); break;
    default: return false;
    }
    return true;
}

static void event(screen *s, const char *topic, json_t *data)
{
    ic_state *st = s->state;
    if ((!strcmp(topic, "interconnect.changed") && json_integer_value(json_object_get(data, "id")) == st->id) ||
        !strcmp(topic, "service.changed"))
        reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    ic_state *st = s->state;
    snprintf(buf, n, "%s · Left/Right: tabs", st->ic ? tabs_of(st)[st->tab].name : "interconnect");
}

static void destroy(screen *s)
{
    ic_state *st = s->state;
    app_close_form(&st->edit);
    json_decref(st->ic);
    json_decref(st->service_items);
    table_free(&st->services);
    free(st);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL };

screen *interconnect_detail_new(long long id, const char *name)
{
    screen *s = calloc(1, sizeof *s);
    ic_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    st->id = id;
    table_init(&st->services, service_cols, 6);
    s->ops = &ops;
    s->state = st;
    s->id = -id; /* interconnect ids must not collide with carrier ids in the tab lookup */
    snprintf(s->title, sizeof s->title, "%s", name);
    snprintf(s->crumb, sizeof s->crumb, "Interconnects / %s", name);
    return s;
}
