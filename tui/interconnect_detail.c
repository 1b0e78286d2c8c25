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
#include "routing_view.h"
#include "screen.h"
#include "theme.h"

/* One setting: how it shows and, when `edit`, how the tab's edit form
 * offers it (e on the tab). */
typedef struct {
    const char *label, *path;
    field_kind kind;
    const char *const *choices;
    bool nullable;
    bool edit;
} setting;

typedef struct {
    const char *name;
    const setting *settings; /* NULL: the services table */
} ic_tab;

static const char *const statuses[] = { "active", "paused", "disabled", NULL };
static const char *const transports[] = { "udp", "tcp", "tls", NULL };
static const char *const dtmf_modes[] = { "rfc2833", "inband", "sip_info", "auto", NULL };
static const char *const privacy_methods[] = { "none", "rfc3325", "rfc3323", NULL };
static const char *const rel100_modes[] = { "disabled", "supported", "required", NULL };
static const char *const origination_prefs[] = { "pai", "rpid", "from", NULL };

#define T FIELD_TEXT
#define I FIELD_INT
#define B FIELD_BOOL
#define E FIELD_ENUM
#define L FIELD_LIST
static const setting details[] = {
    { "Name", "name", T, NULL, false, true }, { "Direction", "direction", T }, { "Carrier", "carrier_id", T },
    { "Currency", "currency", T }, { "Status", "status", E, statuses, false, true },
    { "Capacity", "capacity", I, NULL, true, true }, { "Max CPS", "cps_limit", I, NULL, true, true },
    { "Signalling IPs", "signalling_ips", FIELD_IPLIST, NULL, false, true },
    { "Tech prefix", "tech_prefix", T, NULL, true, true },
    { "Supplier rating plan", "supplier_rating_plan_id", I, NULL, true, true },
    { "Trunk group", "trunk_group_id", I, NULL, true, true }, { "Services", "services", T },
    { "Version", "version", T }, { NULL, NULL },
};
static const setting ingress_validation[] = {
    { "IP validation", "ingress_validation.ip_validation", B, NULL, false, true },
    { "Tech prefix", "tech_prefix", T, NULL, true, true },
    { "From URI", "ingress_validation.from_uri", T, NULL, false, true },
    { "Contact URI", "ingress_validation.contact_uri", T, NULL, false, true },
    { "Trunk group", "trunk_group_id", I, NULL, true, true }, { "Max CPS", "cps_limit", I, NULL, true, true },
    { NULL, NULL },
};
static const setting ingress_translation[] = {
    { "Origination pref.", "ingress_translation.origination_preference", E, origination_prefs, false, true },
    { "PAI generation", "ingress_translation.pai_generation", B, NULL, false, true },
    { "Number translation", "ingress_translation.number_translation", T }, { NULL, NULL },
};
static const setting egress_routing[] = {
    { "Tech prefix", "tech_prefix", T, NULL, true, true },
    { "Send to IPs", "egress_routing.send_to_ips", FIELD_IPLIST, NULL, false, true },
    { "Transport", "egress_routing.transport", E, transports, false, true },
    { "Max CPS", "cps_limit", I, NULL, true, true }, { "Trunk group", "trunk_group_id", I, NULL, true, true },
    { "Blacklists", "egress_routing.blacklist_ids", T }, { NULL, NULL },
};
static const setting egress_translation[] = {
    { "PAI generation", "egress_translation.pai_generation", B, NULL, false, true },
    { "Block invalid origins", "egress_translation.block_invalid_origins", B, NULL, false, true },
    { "Number translation", "egress_translation.number_translation", T }, { NULL, NULL },
};
static const setting media[] = {
    { "Codecs", "media.codecs", L, NULL, false, true }, { "VAD", "media.vad", B, NULL, false, true },
    { "ptime", "media.ptime", I, NULL, false, true }, { "DTMF detection", "media.dtmf_mode", E, dtmf_modes, false, true },
    { "Media relay", "media.media_relay", B, NULL, false, true },
    { "RTP timeout", "media.rtp_timeout", I, NULL, false, true }, { NULL, NULL },
};
static const setting signalling[] = {
    { "Privacy method", "signalling.privacy_method", E, privacy_methods, false, true },
    { "Session timer", "signalling.session_timer", I, NULL, false, true },
    { "100rel", "signalling.rel100", E, rel100_modes, false, true },
    { "Max call duration", "signalling.max_call_duration", I, NULL, false, true },
    { "Release cause map", "signalling.release_cause_mapping_id", I, NULL, true, true }, { NULL, NULL },
};
static const setting monitoring[] = {
    { "SIP OPTIONS ping", "monitoring.options_ping", B, NULL, false, true },
    { "Ping interval (s)", "monitoring.options_interval", I, NULL, false, true },
    { "Call response mon.", "monitoring.call_response_monitoring", B, NULL, false, true },
    { "Auto-disable", "monitoring.auto_disable", B, NULL, false, true },
    { "Disable after fails", "monitoring.disable_after_failures", I, NULL, false, true },
    { "Auto re-enable", "monitoring.auto_reenable", B, NULL, false, true },
    { "Re-enable after OKs", "monitoring.reenable_after_successes", I, NULL, false, true }, { NULL, NULL },
};
#undef T
#undef I
#undef B
#undef E
#undef L

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
    json_t *pauses;        /* route.pause.list items of this interconnect (active) */
    form edit;
    form_field fields[FORM_MAX_FIELDS]; /* the edit form of the shown tab */
    table_model services;
} ic_state;

static const ic_tab *tabs_of(const ic_state *st)
{
    const char *dir = json_string_value(json_object_get(st->ic, "direction"));
    return dir && !strcmp(dir, "egress") ? egress_tabs : ingress_tabs;
}

/* part 1: the services list; 0: the interconnect; 2: its active pauses. */
static void reply(screen *s, int services, json_t *result, json_t *error)
{
    ic_state *st = s->state;
    app_dirty();
    if (services == 2) {
        if (!error) {
            json_decref(st->pauses);
            st->pauses = json_incref(json_object_get(result, "items"));
        }
        return;
    }
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

static void reload(screen *s)
{
    ic_state *st = s->state;
    screen_new_load(s);
    screen_call(s, "interconnect.get", json_pack("{s:I}", "id", (json_int_t)st->id), reply, 0);
    screen_call(s, "service.list",
                json_pack("{s:{s:I}, s:i}", "filter", "interconnect_id", (json_int_t)st->id, "limit", 500), reply, 1);
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    if (role && strcmp(role, "customer")) /* pauses are staff's */
        screen_call(s, "route.pause.list",
                    json_pack("{s:{s:I}, s:i}", "filter", "interconnect_id", (json_int_t)st->id, "limit", 100), reply, 2);
}

/* The pause line of the header ("" when not paused), and the pause to lift. */
static json_t *pause_of(ic_state *st, char *buf, size_t n)
{
    json_t *pause = NULL;
    pause_text(st->pauses, st->id, json_string_value(json_object_get(st->ic, "status")), buf, n, &pause);
    return pause;
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
    char paused[240];
    pause_of(st, paused, sizeof paused);
    if (paused[0]) { /* the word PAUSED reads without colour */
        char line[260];
        snprintf(line, sizeof line, "%s %s", theme_glyphs()->utf8 ? "⏸" : "||", paused);
        ui_put(r.y, r.x, r.w, STYLE_BAD, line);
        r.y++;
        r.h--;
    }
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
    { "Tech prefix", "tech_prefix", FIELD_TEXT, NULL, true },
    { "Capacity, blank=any", "capacity", FIELD_INT, NULL, true },
    { "Priority", "priority", FIELD_INT, NULL, false },
    { "Status", "status", FIELD_ENUM, service_statuses, false },
    { "Allow transcoding", "allow_transcoding", FIELD_BOOL, NULL, false, FORM_ADVANCED },
    { "Enforcement", "enforcement", FIELD_ENUM, enforcements, false, FORM_ADVANCED },
    { "Rating plan id", "rating_plan_id", FIELD_INT, NULL, false, FORM_ASSIGNMENT },
    { "Routing plan id", "routing_plan_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
    { "Routing method", "routing_method", FIELD_ENUM, routing_methods, false, FORM_ASSIGNMENT },
    { "Route interconnect", "route_interconnect_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};
#define NSERVICE_FIELDS ((int)(sizeof service_fields / sizeof service_fields[0]))

static void service_saved(void *ud)
{
    reload(ud);
}

/* e on a settings tab: that tab's settings in the form. Values never set
 * start empty; only what the user changes is sent (merged server-side
 * into the tab's object). */
static bool settings_form(screen *s)
{
    ic_state *st = s->state;
    const ic_tab *tab = &tabs_of(st)[st->tab];
    bool ingress = tabs_of(st) == ingress_tabs;
    int n = 0;
    for (const setting *set = tab->settings; set && set->label && n < FORM_MAX_FIELDS; set++) {
        if (!set->edit || (ingress && !strcmp(set->path, "supplier_rating_plan_id")))
            continue;
        st->fields[n++] = (form_field){ set->label, set->path, set->kind, set->choices, set->nullable, FORM_GENERAL };
    }
    if (!n)
        return false;
    char title[80];
    snprintf(title, sizeof title, "%s · %s", s->title, tab->name);
    form_init(&st->edit, title, "interconnect.update", "id", st->id,
              (long long)json_integer_value(json_object_get(st->ic, "version")), st->fields, n, st->ic);
    st->edit.get_method = "interconnect.get";
    st->edit.done = service_saved;
    st->edit.ud = s;
    app_open_form(&st->edit);
    return true;
}

static bool service_form(screen *s, bool creating)
{
    ic_state *st = s->state;
    const ic_tab *tab = &tabs_of(st)[st->tab];
    if (tab->settings) /* the Services tab adds services; others edit settings */
        return !creating && settings_form(s);
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
    case ACT_PAUSE:
    case ACT_RESUME: {
        char buf[240];
        if (!st->ic)
            return false;
        json_t *pause = pause_of(st, buf, sizeof buf);
        if (a == ACT_RESUME)
            resume_ask(st->id, s->title, pause);
        else
            pause_or_resume(&st->edit, st->id, s->title, pause, service_saved, s);
        break;
    }
    default: return false;
    }
    return true;
}

static void event(screen *s, const char *topic, json_t *data)
{
    ic_state *st = s->state;
    if ((!strcmp(topic, "interconnect.changed") && json_integer_value(json_object_get(data, "id")) == st->id) ||
        !strcmp(topic, "service.changed") ||
        ((!strcmp(topic, "route.paused") || !strcmp(topic, "route.resumed")) &&
         json_integer_value(json_object_get(data, "interconnect_id")) == st->id))
        reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    ic_state *st = s->state;
    const ic_tab *tab = st->ic ? &tabs_of(st)[st->tab] : NULL;
    snprintf(buf, n, "%s · Left/Right: tabs · %s · p: pause/resume", tab ? tab->name : "interconnect",
             tab && !tab->settings ? "n: add service · e: edit service" : "e: edit");
}

static void destroy(screen *s)
{
    ic_state *st = s->state;
    app_close_form(&st->edit);
    json_decref(st->ic);
    json_decref(st->service_items);
    json_decref(st->pauses);
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
