/*
 * carrier_detail.c: one carrier in a workspace tab, with the reference
 * product's five content tabs — Carrier Details (three columns: Carrier
 * Details · Credit Control · Credit Settings, folding to one scrolling
 * column below 120 columns), Interconnects, Contact Details, Accounting
 * Details, Credit Alerts. Each part loads with its own request and reloads
 * when an event says this carrier changed.
 *
 * Credit Control shows the live figures: carrier.get's `balances` and, as
 * a sixth request, ledger.balance (the CDR charges not posted yet). Rated
 * CDRs move them every second without naming a carrier (the staff-only
 * `cdr_charges` postings and `cdr.ingested`), so those reload just the
 * figures, at most once every FIGURES_EVERY_MS: the screen stays calm
 * while traffic flows, and a change still shows within two seconds.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "form.h"
#include "ledger_text.h"
#include "list_screen.h"
#include "net.h"
#include "routing_view.h"
#include "screen.h"
#include "theme.h"

enum { TAB_DETAILS, TAB_INTERCONNECTS, TAB_CONTACTS, TAB_ACCOUNTING, TAB_ALERTS, NTABS };
static const char *const tab_names[NTABS] = { "Details", "Interconnects", "Contacts", "Accounting", "Credit Alerts" };
/* Requests besides the tabs' (the part number of screen_call). */
enum { PART_BALANCE = NTABS, PART_PAUSES };

#define FIGURES_EVERY_MS 2000

static const table_column ic_columns[] = {
    { "Name", "name", 14, 3, false }, { "Direction", "direction", 9, 0, false },
    { "Cur", "currency", 4, 0, false }, { "Status", "status", 8, 0, false },
    { "Capacity", "capacity", 9, 0, true }, { "Services", "services", 8, 0, true },
    { "Pause", "pause", 14, 3, false }, /* set here from route.pause.list ("PAUSED: reason") */
};
static const table_column contact_columns[] = {
    { "Name", "name", 12, 2, false }, { "Role", "role", 8, 1, false },
    { "Email", "email", 16, 3, false }, { "Phone", "phone", 14, 1, false },
};
static const table_column alert_columns[] = {
    { "Type", "type", 16, 1, false }, { "Threshold", "threshold", 12, 0, true },
    { "Template", "template", 10, 1, false }, { "Recipients", "recipients", 16, 3, false },
    { "On", "enabled", 3, 0, false },
};

static const char *const credit_types[] = { "prepaid", "postpaid", NULL };
static const char *const breaches[] = { "alert", "block", NULL };
static const char *const spend_modes[] = { "rolling", "fixed", NULL };

static const form_field credit_fields[] = {
    { "Credit type", "customer.credit_type", FIELD_ENUM, credit_types, false },
    { "Credit limit", "customer.credit_limit", FIELD_MONEY, NULL, false },
    { "Bilateral limit", "customer.bilateral_limit", FIELD_MONEY, NULL, true },
    { "Bilateral breach", "customer.bilateral_limit_breach", FIELD_ENUM, breaches, false },
    { "24 h spend limit", "customer.spend_limit_24h", FIELD_MONEY, NULL, true },
    { "24 h breach", "customer.spend_limit_24h_breach", FIELD_ENUM, breaches, false },
    { "24 h spend mode", "customer.spend_mode_24h", FIELD_ENUM, spend_modes, false },
    { "24 h reset (HH:MM)", "customer.spend_reset_time", FIELD_TEXT, NULL, true },
    { "Supplier credit", "supplier.credit_type", FIELD_ENUM, credit_types, false },
};

static const char *const carrier_types[] = { "customer", "supplier", "bilateral", NULL };
static const char *const carrier_statuses[] = { "active", "suspended", "inactive", NULL };
static const char *const billing[] = { "automatic", "manual", NULL };

static const form_field carrier_fields[] = {
    { "Carrier name", "name", FIELD_TEXT, NULL, false },
    { "Type", "type", FIELD_ENUM, carrier_types, false },
    { "Status", "status", FIELD_ENUM, carrier_statuses, false },
    { "Time zone", "timezone", FIELD_TEXT, NULL, false },
    { "Currencies (1-3)", "currencies", FIELD_LIST, NULL, false },
    { "Account manager", "account_manager", FIELD_TEXT, NULL, false, FORM_ADVANCED },
    { "Customer billing", "customer_billing", FIELD_ENUM, billing, false, FORM_ADVANCED },
    { "Capacity, blank=any", "capacity", FIELD_INT, NULL, true, FORM_ADVANCED },
    { "Circular routing", "circular_routing", FIELD_BOOL, NULL, false, FORM_ADVANCED },
    { "Category id", "category_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
    { "Group id", "group_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};

static const char *const ic_directions[] = { "ingress", "egress", NULL };
static const char *const ic_statuses[] = { "active", "paused", "disabled", NULL };

/* A new interconnect; its per-direction settings are edited on its own
 * screen afterwards (the tabs of the interconnect detail). */
static const form_field new_ic_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Direction", "direction", FIELD_ENUM, ic_directions, false },
    { "Currency", "currency", FIELD_TEXT, NULL, false },
    { "Status", "status", FIELD_ENUM, ic_statuses, false },
    { "Signalling IPs", "signalling_ips", FIELD_IPLIST, NULL, false },
    { "Tech prefix", "tech_prefix", FIELD_TEXT, NULL, true },
    { "Capacity, blank=any", "capacity", FIELD_INT, NULL, true, FORM_ADVANCED },
    { "Max CPS, blank=any", "cps_limit", FIELD_INT, NULL, true, FORM_ADVANCED },
    { "Codecs", "codecs", FIELD_LIST, NULL, false, FORM_ADVANCED },
    { "Supplier rating plan", "supplier_rating_plan_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
    { "Trunk group id", "trunk_group_id", FIELD_INT, NULL, true, FORM_ASSIGNMENT },
};

static const form_field contact_fields[] = {
    { "Name", "name", FIELD_TEXT, NULL, false },
    { "Role", "role", FIELD_TEXT, NULL, false },
    { "Email", "email", FIELD_TEXT, NULL, false },
    { "Phone (+digits)", "phone", FIELD_TEXT, NULL, false },
};

static const char *const alert_types[] = { "low_balance", "high_balance", "spend_24h_breach", NULL };
static const form_field alert_fields[] = {
    { "Type", "type", FIELD_ENUM, alert_types, false },
    { "Threshold", "threshold", FIELD_MONEY, NULL, false },
    { "Template", "template", FIELD_TEXT, NULL, false },
    { "Recipients (emails)", "recipients", FIELD_LIST, NULL, false },
    { "Enabled", "enabled", FIELD_BOOL, NULL, false },
};

static const char *const post_kinds[] = { "topup", "payment", "credit_note", "adjustment", NULL };
static const char *const post_sides[] = { "customer", "supplier", NULL };
static const form_field post_fields[] = {
    { "Kind", "kind", FIELD_ENUM, post_kinds, false },
    { "Side", "side", FIELD_ENUM, post_sides, false },
    { "Amount", "amount", FIELD_MONEY, NULL, false },
    { "Currency", "currency", FIELD_TEXT, NULL, false },
    { "Memo", "memo", FIELD_TEXT, NULL, false },
    { "Reason (adjustment)", "reason", FIELD_TEXT, NULL, false, FORM_ADVANCED },
    { "Provider (cash)", "provider", FIELD_TEXT, NULL, false, FORM_ADVANCED },
};

/* R on a bilateral carrier: which side's 24-hour spend to reset. */
static const char *const spend_sides[] = { "customer", "supplier", NULL };
static const form_field reset_fields[] = {
    { "Side", "side", FIELD_ENUM, spend_sides, false },
};

static const form_field accounting_fields[] = {
    { "Customer account", "customer_account_number", FIELD_TEXT, NULL, false },
    { "Supplier account", "supplier_account_number", FIELD_TEXT, NULL, false },
    { "Tax code", "tax_code", FIELD_TEXT, NULL, false },
    { "Bill to", "bill_to", FIELD_TEXT, NULL, false },
    { "Ship to", "ship_to", FIELD_TEXT, NULL, false },
};

typedef struct {
    long long id;
    form edit;
    int section;  /* Details tab: 0 Carrier Details, 2 Credit Settings (1 is read-only) */
    int tab;
    int scroll;
    bool show_section;      /* one column: scroll the focused section into view */
    json_t *carrier, *accounting;
    json_t *balance;        /* ledger.balance: `unposted` (carrier.get has not) */
    int64_t figures_at;     /* when the figures were last asked for (monotonic ms) */
    bool figures_due;       /* a CDR event asked for them sooner than FIGURES_EVERY_MS */
    table_model ics, contacts, alerts;
    json_t *items[NTABS];   /* the rows behind the tables, as loaded (for e and d) */
    json_t *pauses;         /* route.pause.list items: the active pauses (staff only) */
    char post_key[48];      /* the idempotency key of the open posting dialog */
} detail;

static const char *text_of(json_t *v, char *buf, size_t n)
{
    return json_path_text(v, "", buf, n);
}

static void fill_table(table_model *t, json_t *items)
{
    table_clear(t);
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        char bufs[8][160];
        const char *cells[8];
        for (int c = 0; c < t->ncols && c < 8; c++)
            cells[c] = text_of(json_object_get(item, t->cols[c].field), bufs[c], sizeof bufs[c]);
        table_append(t, (long long)json_integer_value(json_object_get(item, "id")), cells);
    }
    table_set_page(t, (long long)json_array_size(items), NULL);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The interconnects' rows again, each with its pause ("PAUSED: reason"),
 * keeping the selection. */
static void fill_ics(detail *d)
{
    json_t *items = d->items[TAB_INTERCONNECTS];
    size_t i, keep = d->ics.selected, keep_top = d->ics.top;
    json_t *item;
    json_array_foreach(items, i, item) {
        char buf[240];
        pause_text(d->pauses, (long long)json_integer_value(json_object_get(item, "id")),
                   json_string_value(json_object_get(item, "status")), buf, sizeof buf, NULL);
        json_object_set_new(item, "pause", json_string(buf));
    }
    fill_table(&d->ics, items);
    if (d->ics.nrows) {
        d->ics.selected = keep < d->ics.nrows ? keep : d->ics.nrows - 1;
        d->ics.top = keep_top <= d->ics.selected ? keep_top : d->ics.selected;
    }
}

static bool staff_user(void)
{
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    return role && strcmp(role, "customer");
}

/* A reply for one part (a tab) of this carrier's latest load. */
static void reply(screen *s, int part, json_t *result, json_t *error)
{
    detail *d = s->state;
    app_dirty();
    if (error) {
        char msg[160];
        const char *text = json_string_value(json_object_get(error, "message"));
        snprintf(msg, sizeof msg, "%s: %s", part == PART_BALANCE ? "Balance" : part == PART_PAUSES ? "Pauses" : tab_names[part],
                 text ? text : "refused");
        app_toast(msg);
        return;
    }
    switch (part) {
    case PART_BALANCE:
        json_decref(d->balance);
        d->balance = json_incref(result);
        break;
    case TAB_DETAILS:
        json_decref(d->carrier);
        d->carrier = json_incref(result);
        snprintf(s->title, sizeof s->title, "%s", json_string_value(json_object_get(result, "name")));
        snprintf(s->crumb, sizeof s->crumb, "Carrier Management / %s", s->title);
        break;
    case TAB_ACCOUNTING:
        json_decref(d->accounting);
        d->accounting = json_incref(result);
        break;
    case PART_PAUSES:
        json_decref(d->pauses);
        d->pauses = json_incref(json_object_get(result, "items"));
        fill_ics(d);
        break;
    case TAB_INTERCONNECTS: break; /* below, with the pauses */
    case TAB_CONTACTS: fill_table(&d->contacts, json_object_get(result, "items")); break;
    case TAB_ALERTS: fill_table(&d->alerts, json_object_get(result, "items")); break;
    default: break;
    }
    if (part == TAB_INTERCONNECTS || part == TAB_CONTACTS || part == TAB_ALERTS) {
        json_decref(d->items[part]);
        d->items[part] = json_incref(json_object_get(result, "items"));
    }
    if (part == TAB_INTERCONNECTS)
        fill_ics(d);
}

static void reload(screen *s)
{
    detail *d = s->state;
    json_int_t id = (json_int_t)d->id;
    screen_new_load(s);
    screen_call(s, "carrier.get", json_pack("{s:I}", "id", id), reply, TAB_DETAILS);
    screen_call(s, "interconnect.list", json_pack("{s:{s:I}, s:i}", "filter", "carrier_id", id, "limit", 500), reply,
                TAB_INTERCONNECTS);
    screen_call(s, "contact.list", json_pack("{s:{s:I}, s:i}", "filter", "carrier_id", id, "limit", 500), reply,
                TAB_CONTACTS);
    screen_call(s, "carrier.accounting.get", json_pack("{s:I}", "carrier_id", id), reply, TAB_ACCOUNTING);
    screen_call(s, "credit_alert.list", json_pack("{s:{s:I}, s:i}", "filter", "carrier_id", id, "limit", 500), reply,
                TAB_ALERTS);
    screen_call(s, "ledger.balance", json_pack("{s:I}", "carrier_id", id), reply, PART_BALANCE);
    if (staff_user()) /* every active pause: one request, matched to the rows here */
        screen_call(s, "route.pause.list", json_pack("{s:i}", "limit", 500), reply, PART_PAUSES);
    d->figures_at = now_ms();
    d->figures_due = false;
}

/* Only the Credit Control figures, in the current load (no new load: the
 * other tabs' replies still count). */
static void reload_figures(screen *s)
{
    detail *d = s->state;
    json_int_t id = (json_int_t)d->id;
    screen_call(s, "carrier.get", json_pack("{s:I}", "id", id), reply, TAB_DETAILS);
    screen_call(s, "ledger.balance", json_pack("{s:I}", "carrier_id", id), reply, PART_BALANCE);
    d->figures_at = now_ms();
    d->figures_due = false;
}

/* The 1 Hz tick: a figures reload put off by the throttle. */
static void tick(screen *s)
{
    detail *d = s->state;
    if (d->figures_due && now_ms() - d->figures_at >= FIGURES_EVERY_MS)
        reload_figures(s);
}

/* ---- the Details tab: three sections of label/value lines ---- */



static int details_section(const detail *d, int which, kv *out, int *styles, int max)
{
    json_t *c = d->carrier;
    json_t *cc = json_object_get(json_object_get(c, "credit"), "customer");
    json_t *sc = json_object_get(json_object_get(c, "credit"), "supplier");
    json_t *b = json_object_get(c, "balances");
    json_t *cur = json_object_get(c, "currencies");
    int n = 0;
    char tmp[96];
    for (int i = 0; i < max; i++)
        styles[i] = STYLE_NORMAL;
#define KV(label_, json_)                                                                       \
    do {                                                                                        \
        if (n < max) {                                                                          \
            out[n].label = label_;                                                              \
            snprintf(out[n].value, sizeof out[n].value, "%s", text_of(json_, tmp, sizeof tmp)); \
            n++;                                                                                \
        }                                                                                       \
    } while (0)
#define KVS(label_, text_)                                                    \
    do {                                                                      \
        if (n < max) {                                                        \
            out[n].label = label_;                                            \
            snprintf(out[n].value, sizeof out[n].value, "%s", text_);         \
            n++;                                                              \
        }                                                                     \
    } while (0)
    if (which == 0) {
        KV("Carrier name", json_object_get(c, "name"));
        KV("Type", json_object_get(c, "type"));
        KV("Status", json_object_get(c, "status"));
        KV("Time zone", json_object_get(c, "timezone"));
        KV("Account manager", json_object_get(c, "account_manager"));
        KV("Customer billing", json_object_get(c, "customer_billing"));
        KV("Primary currency", json_array_get(cur, 0));
        KV("Currency 2", json_array_get(cur, 1));
        KV("Currency 3", json_array_get(cur, 2));
        json_t *cap = json_object_get(c, "capacity");
        KVS("Capacity", json_is_null(cap) || !cap ? "Unrestricted" : text_of(cap, tmp, sizeof tmp));
        KVS("Circular routing", json_is_true(json_object_get(c, "circular_routing")) ? "Enabled" : "Disabled");
    } else if (which == 1) {
        json_t *cu = json_object_get(b, "customer"), *su = json_object_get(b, "supplier");
        json_t *bi = json_object_get(b, "bilateral"), *sp = json_object_get(b, "spend_24h");
        const char *type = json_string_value(json_object_get(c, "type"));
        bool supplier_only = type && !strcmp(type, "supplier");
        json_t *lb = d->balance;
        KV("Currency", json_object_get(cu, "currency"));
        if (!supplier_only) {
            /* why route lookups refuse the customer now (null: they don't) */
            json_t *blocked = json_object_get(b, "blocked");
            if (!blocked)
                blocked = json_object_get(lb, "blocked");
            char calls[96] = "";
            if (blocked && credit_calls_text(json_string_value(blocked), calls, sizeof calls) && n < max)
                styles[n] = STYLE_BAD;
            KVS("Calls", calls);
        }
        KV("Customer balance", json_object_get(cu, "balance"));
        KV("Customer limit", json_object_get(cu, "limit"));
        KV("Customer remaining", json_object_get(cu, "remaining"));
        KV("Supplier balance", json_object_get(su, "balance"));
        if (json_is_object(bi)) {
            KV("Net exposure", json_object_get(bi, "net_exposure"));
            KV("Bilateral limit", json_object_get(bi, "limit"));
            KV("Bilateral remaining", json_object_get(bi, "remaining"));
        }
        KV("24 h spend (cust)", json_object_get(sp, "customer"));
        KV("24 h limit", json_object_get(sp, "customer_limit"));
        KV("24 h spend (supp)", json_object_get(sp, "supplier"));
        /* ledger.balance's: rated CDR charges queued for the next posting
         * (the figures above already count them). */
        KV("Unposted CDRs", json_object_get(json_object_get(lb, supplier_only ? "supplier" : "customer"), "unposted"));
        if (type && !strcmp(type, "bilateral"))
            KV("Unposted (supp)", json_object_get(json_object_get(lb, "supplier"), "unposted"));
    } else {
        KV("Credit type", json_object_get(cc, "credit_type"));
        KV("Credit limit", json_object_get(cc, "credit_limit"));
        KV("Bilateral limit", json_object_get(cc, "bilateral_limit"));
        KV("Bilateral breach", json_object_get(cc, "bilateral_limit_breach"));
        KV("24 h spend limit", json_object_get(cc, "spend_limit_24h"));
        KV("24 h breach", json_object_get(cc, "spend_limit_24h_breach"));
        KV("24 h spend mode", json_object_get(cc, "spend_mode_24h"));
        KV("24 h reset time", json_object_get(cc, "spend_reset_time"));
        KV("Supplier credit", json_object_get(sc, "credit_type"));
    }
#undef KV
#undef KVS
    return n;
}

static const char *const section_titles[3] = { "Carrier Details", "Credit Control", "Credit Settings" };

static void draw_details(detail *d, rect r)
{
    if (!d->carrier) {
        ui_put(r.y + 1, r.x + 2, r.w - 4, STYLE_MUTED, "loading…");
        return;
    }
    rect parts[3];
    bool side = layout_columns(r, 3, 120, 1, parts);
    kv items[3][20];
    int styles[3][20], n[3];
    for (int i = 0; i < 3; i++)
        n[i] = details_section(d, i, items[i], styles[i], 20);
    if (side) {
        d->show_section = false; /* all three show */
        for (int i = 0; i < 3; i++)
            ui_kv_styled(ui_box(parts[i], section_titles[i], i == d->section), items[i], n[i], 0, styles[i]);
        return;
    }
    /* One column: the three sections one under the other, scrolled. */
    kv all[64];
    int all_styles[64];
    int total = 0;
    for (int i = 0; i < 3; i++) {
        if (total < 64) {
            all[total].label = section_titles[i];
            snprintf(all[total].value, sizeof all[total].value, "%s", "");
            all_styles[total] = STYLE_NORMAL;
            total++;
        }
        for (int k = 0; k < n[i] && total < 64; k++) {
            all_styles[total] = styles[i][k];
            all[total++] = items[i][k];
        }
    }
    int max_scroll = total > r.h - 2 ? total - (r.h - 2) : 0;
    if (d->show_section) { /* Tab went to a section: its title on top */
        d->show_section = false;
        for (int k = 0; k < total; k++)
            if (all[k].label == section_titles[d->section])
                d->scroll = k;
    }
    if (d->scroll > max_scroll)
        d->scroll = max_scroll;
    rect in = ui_box(r, "Carrier", true);
    ui_kv_styled(in, all, total, d->scroll, all_styles);
    for (int i = 0; i < in.h; i++) {
        int k = i + d->scroll;
        for (int s = 0; s < 3; s++)
            if (k < total && all[k].label == section_titles[s]) {
                char title[64];
                snprintf(title, sizeof title, "%s%s", section_titles[s], s == d->section ? "  [e edit, Tab next]" : "");
                ui_put(in.y + i, in.x + 1, in.w - 1, s == d->section ? STYLE_ACCENT : STYLE_TITLE, title);
            }
    }
}

static void draw_accounting(detail *d, rect r)
{
    static const char *const fields[][2] = {
        { "Customer account", "customer_account_number" }, { "Supplier account", "supplier_account_number" },
        { "Tax code", "tax_code" }, { "Bill to", "bill_to" }, { "Ship to", "ship_to" },
    };
    kv items[5];
    for (int i = 0; i < 5; i++) {
        char tmp[96];
        items[i].label = fields[i][0];
        snprintf(items[i].value, sizeof items[i].value, "%s",
                 text_of(json_object_get(d->accounting, fields[i][1]), tmp, sizeof tmp));
    }
    rect box = { r.y, r.x, r.h < 9 ? r.h : 9, r.w < 80 ? r.w : 80 };
    ui_kv(ui_box(box, "Accounting Details", true), items, 5, 0);
}

static void draw(screen *s, rect r)
{
    detail *d = s->state;
    ui_tabs(r.y, r.x, r.w, tab_names, NTABS, d->tab);
    rect body = { r.y + 1, r.x, r.h - 1, r.w };
    switch (d->tab) {
    case TAB_DETAILS: draw_details(d, body); break;
    case TAB_INTERCONNECTS: table_draw(&d->ics, body, true, "no interconnects"); break;
    case TAB_CONTACTS: table_draw(&d->contacts, body, true, "no contacts"); break;
    case TAB_ACCOUNTING: draw_accounting(d, body); break;
    case TAB_ALERTS: table_draw(&d->alerts, body, true, "no credit alerts"); break;
    default: break;
    }
}

static table_model *tab_table(detail *d)
{
    return d->tab == TAB_INTERCONNECTS ? &d->ics : d->tab == TAB_CONTACTS ? &d->contacts
         : d->tab == TAB_ALERTS ? &d->alerts : NULL;
}

static void edited(void *ud)
{
    reload(ud);
}

/* t: the posting dialog. One idempotency key per opened dialog, so a
 * save resent after a lost connection posts once. */
static void posted(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    char msg[240];
    if (error) {
        json_t *data = json_object_get(error, "data");
        const char *avail = json_string_value(json_object_get(data, "available"));
        snprintf(msg, sizeof msg, "not posted: %s%s%s", json_string_value(json_object_get(error, "message")),
                 avail ? " · available " : "", avail ? avail : "");
    } else {
        snprintf(msg, sizeof msg, "%s journal %lld: %s %s %s", json_is_true(json_object_get(result, "duplicate"))
                                                                  ? "already posted:" : "posted",
                 (long long)json_integer_value(json_object_get(result, "id")),
                 json_string_value(json_object_get(result, "kind")), json_string_value(json_object_get(result, "amount")),
                 json_string_value(json_object_get(result, "currency")));
    }
    app_toast(msg);
}

static bool send_post(form *f, json_t *params)
{
    screen *s = f->ud;
    detail *d = s->state;
    json_object_set_new(params, "idempotency_key", json_string(d->post_key));
    net_call("ledger.post", params, posted, NULL);
    return true;
}

static bool open_post(screen *s)
{
    detail *d = s->state;
    if (!d->carrier)
        return false;
    form_init_create(&d->edit, "Post money", "ledger.post", "carrier_id", d->id, post_fields,
                     (int)(sizeof post_fields / sizeof post_fields[0]));
    const char *cur = json_string_value(json_array_get(json_object_get(d->carrier, "currencies"), 0));
    if (cur)
        snprintf(d->edit.value[3], sizeof d->edit.value[3], "%s", cur);
    unsigned char rnd[12];
    FILE *ur = fopen("/dev/urandom", "rb");
    size_t got = ur ? fread(rnd, 1, sizeof rnd, ur) : 0;
    if (ur)
        fclose(ur);
    if (got != sizeof rnd)
        return false;
    int off = snprintf(d->post_key, sizeof d->post_key, "console-");
    for (size_t i = 0; i < sizeof rnd; i++)
        off += snprintf(d->post_key + off, sizeof d->post_key - (size_t)off, "%02x", rnd[i]);
    d->edit.submit = send_post;
    d->edit.ud = s;
    app_open_form(&d->edit);
    return true;
}

/* ---- R: reset a side's 24-hour spend ---- */

typedef struct {
    screen *s;
    long long id;
    char side[12];
} spend_reset;

static void reset_done(void *ud, json_t *result, json_t *error)
{
    spend_reset *r = ud;
    char msg[240];
    if (error) {
        const char *text = json_string_value(json_object_get(error, "message"));
        snprintf(msg, sizeof msg, "not reset: %s", text ? text : "refused");
    } else {
        const char *at = json_string_value(json_object_get(result, "reset_at"));
        snprintf(msg, sizeof msg, "the %s's 24-hour spend starts again from %s", r->side, at ? at : "now");
    }
    app_toast(msg);
    /* carrier.changed reloads it too; this covers a missed event. The tab
     * may have closed meanwhile (and its memory gone to another screen):
     * only an open tab showing this carrier is touched, through its ops. */
    if (!error && app_screen_open(r->s) && r->s->id == r->id)
        r->s->ops->reload(r->s);
    free(r);
}

static void do_reset(void *ud)
{
    spend_reset *asked = ud, *r = malloc(sizeof *r);
    if (!r)
        return;
    *r = *asked; /* ud is freed by the dialog; the reply gets its own copy */
    net_call("ledger.spend_reset", json_pack("{s:I, s:s}", "carrier_id", (json_int_t)r->id, "side", r->side),
             reset_done, r);
}

static void ask_reset(screen *s, const char *side)
{
    detail *d = s->state;
    spend_reset *r = malloc(sizeof *r);
    if (!r)
        return;
    r->s = s;
    r->id = d->id;
    snprintf(r->side, sizeof r->side, "%s", side);
    char q[200];
    snprintf(q, sizeof q, "Reset the %s's 24-hour spend? The money stays spent.", r->side);
    app_confirm(q, do_reset, r);
}

static bool reset_side_chosen(form *f, json_t *params)
{
    const char *side = json_string_value(json_object_get(params, "side"));
    char chosen[12];
    snprintf(chosen, sizeof chosen, "%s", side ? side : "customer");
    json_decref(params);
    ask_reset(f->ud, chosen);
    return true;
}

/* A bilateral carrier has two windows: ask which, then confirm. */
static bool open_reset(screen *s)
{
    detail *d = s->state;
    if (d->tab != TAB_DETAILS || !d->carrier) {
        app_toast("R resets the 24-hour spend from the Details tab");
        return true;
    }
    const char *type = json_string_value(json_object_get(d->carrier, "type"));
    if (type && !strcmp(type, "bilateral")) {
        form_init_create(&d->edit, "Reset 24-hour spend: which side?", "ledger.spend_reset", "carrier_id", d->id,
                         reset_fields, (int)(sizeof reset_fields / sizeof reset_fields[0]));
        d->edit.submit = reset_side_chosen;
        d->edit.ud = s;
        app_open_form(&d->edit);
    } else {
        ask_reset(s, type && !strcmp(type, "supplier") ? "supplier" : "customer");
    }
    return true;
}

/* ---- J and S: the carrier's journals and statement in their own tabs ---- */

static bool open_journals(screen *s)
{
    detail *d = s->state;
    const list_desc *ld = list_by_name("journals");
    char title[48], crumb[96];
    snprintf(title, sizeof title, "Journals %.30s", s->title);
    snprintf(crumb, sizeof crumb, "Billing / Journals / %.60s", s->title);
    screen *j = ld ? list_screen_new_scoped(ld, json_pack("{s:I}", "carrier_id", (json_int_t)d->id), title, crumb)
                   : NULL;
    if (!j)
        return false;
    j->id = TAB_ID_JOURNALS(d->id); /* one per carrier */
    app_open_screen(j);
    return true;
}

static bool open_statement(screen *s)
{
    detail *d = s->state;
    if (!d->carrier) {
        app_toast("the carrier is still loading");
        return true;
    }
    app_open_screen(statement_view_new(d->id, json_string_value(json_object_get(d->carrier, "name")),
                                       json_string_value(json_object_get(d->carrier, "type")),
                                       json_string_value(json_object_get(d->carrier, "timezone"))));
    return true;
}

/* The loaded row behind the selected line of the tab's table. */
static json_t *selected_item(detail *d)
{
    table_model *t = tab_table(d);
    const table_row *row = t ? table_selected(t) : NULL;
    size_t i;
    json_t *item;
    json_array_foreach(row ? d->items[d->tab] : NULL, i, item) {
        if ((long long)json_integer_value(json_object_get(item, "id")) == row->id)
            return item;
    }
    return NULL;
}

typedef struct {
    char method[40];
    long long id, version;
} doomed;

static void removed(void *ud, json_t *result, json_t *error)
{
    (void)ud;
    (void)result;
    char msg[200];
    if (error)
        snprintf(msg, sizeof msg, "not deleted: %s", json_string_value(json_object_get(error, "message")));
    else
        snprintf(msg, sizeof msg, "deleted");
    app_toast(msg);
}

static void remove_row(void *ud)
{
    doomed *x = ud;
    json_t *p = json_pack("{s:I, s:I}", "id", (json_int_t)x->id, "version", (json_int_t)x->version);
    if (!strcmp(x->method, "interconnect.delete"))
        json_object_set_new(p, "cascade", json_true());
    net_call(x->method, p, removed, NULL);
}

/* d on Interconnects, Contacts or Credit Alerts: confirm, then delete. */
static bool ask_remove(detail *d)
{
    static const char *const methods[NTABS] = { NULL, "interconnect.delete", "contact.delete", NULL,
                                                "credit_alert.delete" };
    static const char *const what[NTABS] = { NULL, "interconnect", "contact", NULL, "credit alert" };
    json_t *item = methods[d->tab] ? selected_item(d) : NULL;
    doomed *x = item ? malloc(sizeof *x) : NULL;
    if (!x)
        return false;
    snprintf(x->method, sizeof x->method, "%s", methods[d->tab]);
    x->id = (long long)json_integer_value(json_object_get(item, "id"));
    x->version = (long long)json_integer_value(json_object_get(item, "version"));
    const char *name = json_string_value(json_object_get(item, "name"));
    if (!name)
        name = json_string_value(json_object_get(item, "type"));
    char q[240];
    snprintf(q, sizeof q, d->tab == TAB_INTERCONNECTS ? "Delete %s %s with its services? Its traffic stops."
                                                      : "Delete %s %s?", what[d->tab], name ? name : "");
    app_confirm(q, remove_row, x);
    return true;
}

/* e on Contacts or Credit Alerts: the selected row in the form. */
static bool edit_row(detail *d)
{
    json_t *item = selected_item(d);
    if (!item || (d->tab != TAB_CONTACTS && d->tab != TAB_ALERTS))
        return false;
    bool contact = d->tab == TAB_CONTACTS;
    form_init(&d->edit, contact ? "Edit contact" : "Edit credit alert", contact ? "contact.update" : "credit_alert.update",
              "id", (long long)json_integer_value(json_object_get(item, "id")),
              (long long)json_integer_value(json_object_get(item, "version")), contact ? contact_fields : alert_fields,
              contact ? (int)(sizeof contact_fields / sizeof contact_fields[0])
                      : (int)(sizeof alert_fields / sizeof alert_fields[0]),
              item);
    d->edit.get_method = contact ? "contact.get" : "credit_alert.get";
    return true;
}

static bool action(screen *s, action_id a, int h)
{
    detail *d = s->state;
    table_model *t = tab_table(d);
    h -= 2; /* content tabs and table heading */
    switch (a) {
    case ACT_NEW:
        if (d->tab == TAB_CONTACTS)
            form_init_create(&d->edit, "New contact", "contact.create", "carrier_id", d->id, contact_fields,
                             (int)(sizeof contact_fields / sizeof contact_fields[0]));
        else if (d->tab == TAB_ALERTS)
            form_init_create(&d->edit, "New credit alert", "credit_alert.create", "carrier_id", d->id, alert_fields,
                             (int)(sizeof alert_fields / sizeof alert_fields[0]));
        else if (d->tab == TAB_INTERCONNECTS) {
            form_init_create(&d->edit, "New interconnect", "interconnect.create", "carrier_id", d->id, new_ic_fields,
                             (int)(sizeof new_ic_fields / sizeof new_ic_fields[0]));
            /* The carrier's primary currency is the usual answer. */
            const char *cur = json_string_value(json_array_get(json_object_get(d->carrier, "currencies"), 0));
            if (cur)
                snprintf(d->edit.value[2], sizeof d->edit.value[2], "%s", cur);
        } else
            return false;
        d->edit.done = edited;
        d->edit.ud = s;
        app_open_form(&d->edit);
        return true;
    case ACT_EDIT: {
        json_t *c = d->carrier;
        long long version = (long long)json_integer_value(json_object_get(c, "version"));
        if (d->tab == TAB_DETAILS && c && d->section == 0) {
            form_init(&d->edit, "Carrier Details", "carrier.update", "id", d->id, version, carrier_fields,
                      (int)(sizeof carrier_fields / sizeof carrier_fields[0]), c);
        } else if (d->tab == TAB_DETAILS && c) {
            /* The form's paths are the wire's; the loaded record nests them under "credit". */
            form_init(&d->edit, "Credit Settings", "carrier.credit.update", "id", d->id, version, credit_fields,
                      (int)(sizeof credit_fields / sizeof credit_fields[0]), json_object_get(c, "credit"));
        } else if (edit_row(d)) {
            d->edit.done = edited;
            d->edit.ud = s;
            app_open_form(&d->edit);
            return true;
        } else if (d->tab == TAB_ACCOUNTING && d->accounting) {
            form_init(&d->edit, "Accounting Details", "carrier.accounting.update", "carrier_id", d->id,
                      (long long)json_integer_value(json_object_get(d->accounting, "version")), accounting_fields,
                      (int)(sizeof accounting_fields / sizeof accounting_fields[0]), d->accounting);
        } else {
            return false;
        }
        d->edit.done = edited;
        d->edit.ud = s;
        d->edit.get_method = d->tab == TAB_ACCOUNTING ? "carrier.accounting.get" : "carrier.get";
        d->edit.root = d->tab == TAB_DETAILS && d->section == 2 ? "credit" : NULL;
        app_open_form(&d->edit);
        return true;
    }
    case ACT_NEXT_PANE:
    case ACT_PREV_PANE:
        if (d->tab != TAB_DETAILS)
            return false;
        d->section = d->section == 0 ? 2 : 0; /* Credit Control has nothing to edit */
        d->show_section = true;
        break;
    case ACT_NEXT_TAB: d->tab = (d->tab + 1) % NTABS; d->scroll = 0; break;
    case ACT_PREV_TAB: d->tab = (d->tab + NTABS - 1) % NTABS; d->scroll = 0; break;
    case ACT_UP: if (t) table_move(t, -1, h); else if (d->scroll > 0) d->scroll--; break;
    case ACT_DOWN: if (t) table_move(t, 1, h); else d->scroll++; break;
    case ACT_PAGE_UP: if (t) table_move(t, -h, h); else d->scroll = d->scroll > h ? d->scroll - h : 0; break;
    case ACT_PAGE_DOWN: if (t) table_move(t, h, h); else d->scroll += h; break;
    case ACT_FIRST: if (t) table_select_first(t, h); else d->scroll = 0; break;
    case ACT_LAST: if (t) table_select_last(t, h); break;
    case ACT_REFRESH: reload(s); break;
    case ACT_DELETE: return ask_remove(d);
    case ACT_POST: return open_post(s);
    case ACT_RESET_SPEND: return open_reset(s);
    case ACT_JOURNALS: return open_journals(s);
    case ACT_STATEMENT: return open_statement(s);
    case ACT_PAUSE:
    case ACT_RESUME: {
        const table_row *row = d->tab == TAB_INTERCONNECTS ? table_selected(&d->ics) : NULL;
        if (!row)
            return false;
        json_t *item = selected_item(d), *pause = NULL;
        char buf[240];
        pause_text(d->pauses, row->id, json_string_value(json_object_get(item, "status")), buf, sizeof buf, &pause);
        if (a == ACT_RESUME)
            resume_ask(row->id, row->cells[0], pause);
        else
            pause_or_resume(&d->edit, row->id, row->cells[0], pause, edited, s);
        return true;
    }
    case ACT_OPEN: {
        const table_row *row = d->tab == TAB_INTERCONNECTS ? table_selected(&d->ics) : NULL;
        if (!row)
            return false;
        app_open_interconnect(row->id, row->cells[0]);
        break;
    }
    default: return false;
    }
    return true;
}

static void event(screen *s, const char *topic, json_t *data)
{
    detail *d = s->state;
    /* carrier.changed for this carrier, or a change to one of its parts;
     * the event names the record, so reload this carrier's view when the
     * record could be ours (cheap: six small requests). Other topics
     * (audit rows, import progress, ...) never concern it. */
    static const char *const ours[] = { "carrier.changed", "interconnect.changed", "service.changed", "contact.changed",
                                        "credit_alert.changed", "ledger.posted", "credit.alert", "cdr.ingested",
                                        "route.paused", "route.resumed" };
    bool known = false;
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        known = known || !strcmp(topic, ours[i]);
    if (!known)
        return;
    if (!strcmp(topic, "carrier.changed") && json_integer_value(json_object_get(data, "id")) != d->id)
        return;
    /* Rated CDRs: queued (cdr.ingested) or posted (a cdr_charges journal,
     * no carrier named). They may be this carrier's: its figures, at most
     * once every FIGURES_EVERY_MS (the tick sends one put off). */
    bool posted = !strcmp(topic, "ledger.posted");
    if (!strcmp(topic, "cdr.ingested") || (posted && !json_is_integer(json_object_get(data, "carrier_id")))) {
        if (now_ms() - d->figures_at >= FIGURES_EVERY_MS)
            reload_figures(s);
        else
            d->figures_due = true;
        return;
    }
    if ((posted || !strcmp(topic, "credit.alert")) &&
        json_integer_value(json_object_get(data, "carrier_id")) != d->id)
        return;
    reload(s);
}

static void footer(screen *s, char *buf, size_t n)
{
    detail *d = s->state;
    table_model *t = tab_table(d);
    if (t)
        table_footer(t, theme_glyphs()->utf8, buf, n);
    else
        snprintf(buf, n, "%s%s", tab_names[d->tab],
                 d->tab == TAB_DETAILS ? " · Tab: section · e: edit · t: post · J: journals · S: statement · R: 24 h reset"
                 : d->tab == TAB_ACCOUNTING ? " · Left/Right: tabs · e: edit" : " · Left/Right: tabs");
    if (t) {
        size_t off = strlen(buf);
        snprintf(buf + off, n - off, d->tab == TAB_INTERCONNECTS ? " · Enter: open · n: new · d: delete · p: pause/resume"
                                                                 : " · n: new · e: edit · d: delete");
    }
}

static void destroy(screen *s)
{
    detail *d = s->state;
    app_close_form(&d->edit);
    json_decref(d->carrier);
    json_decref(d->accounting);
    json_decref(d->balance);
    json_decref(d->pauses);
    table_free(&d->ics);
    table_free(&d->contacts);
    table_free(&d->alerts);
    for (int i = 0; i < NTABS; i++)
        json_decref(d->items[i]);
    free(d);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL, tick };

screen *carrier_detail_new(long long id, const char *name)
{
    screen *s = calloc(1, sizeof *s);
    detail *d = s ? calloc(1, sizeof *d) : NULL;
    if (!d) {
        free(s);
        return NULL;
    }
    d->id = id;
    table_init(&d->ics, ic_columns, (int)(sizeof ic_columns / sizeof ic_columns[0]));
    table_init(&d->contacts, contact_columns, (int)(sizeof contact_columns / sizeof contact_columns[0]));
    table_init(&d->alerts, alert_columns, (int)(sizeof alert_columns / sizeof alert_columns[0]));
    s->ops = &ops;
    s->state = d;
    s->id = id;
    snprintf(s->title, sizeof s->title, "%s", name);
    snprintf(s->crumb, sizeof s->crumb, "Carrier Management / %s", name);
    return s;
}
