/*
 * noc_view.c: the NOC dashboard (noc_view.h, docs/console.md).
 *
 * Three panes, Tab / S-Tab between them: the main table (suppliers, or one
 * supplier's routes after Enter, or destinations after D), the alert feed
 * and the paused routes. Under 110 columns the two lower panes share one
 * box, the focused one shown (alerts unless the paused pane has the focus).
 *
 * Data: the monitor.kpi subscription (server/net/server.c sends a full set
 * then the changed items once a second) keeps `kpi` (scope_id -> item);
 * alert.list, route.pause.list, monitor.probes and interconnect.list are
 * read at load and again when their event says they changed (alert.*,
 * route.paused / route.resumed, probe.changed, interconnect.changed). No
 * polling: events mark the tables stale and the 1 Hz tick rebuilds them.
 * A method the server does not have (alerts and probes come from other
 * modules) leaves its pane empty with a note.
 */
#include "noc_view.h"

#include <math.h>
#include <ncurses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "list_screen.h"
#include "net.h"
#include "routing_view.h"
#include "theme.h"

typedef enum { MODE_SUPPLIERS, MODE_ROUTES, MODE_DESTS } noc_mode;
enum { PANE_MAIN, PANE_ALERTS, PANE_PAUSED, NPANES };
enum { PART_NAMES, PART_ALERTS, PART_PAUSES, PART_PROBES, PART_SUB, PART_TOPIC, PART_ACK };

#define SPARK_MAX 30
#define MAIN_LIMIT 200
#define COL_SPARK 7

typedef struct {
    bool wall;
    noc_mode mode;
    long long drill_ic;        /* MODE_ROUTES: the supplier */
    char drill_name[64];
    int pane;
    json_t *kpi;               /* scope_id -> monitor.kpi item */
    json_t *names;             /* "12" -> interconnect name */
    json_t *alerts;            /* alert.list items (open), newest first */
    char alerts_note[120];     /* why there are none to show ("" when loaded) */
    json_t *pauses;            /* route.pause.list items (active) */
    json_t *probes;            /* "12" -> "up" | "down" | "unknown" */
    char kpi_note[120];        /* the subscription failed: why */
    table_model main, al, pa;
    json_t *row_ids;           /* main's scope ids in row order */
    bool *flagged;             /* main's rows shown red (alert, pause, down) */
    bool stale;                /* rebuild at the next tick */
    int spark_w;               /* the spark column's width at the last draw */
    int main_h, al_h, pa_h;    /* visible rows at the last draw */
    time_t kpi_at;             /* the last monitor.kpi message */
    form edit;                 /* the pause reason */
} noc;

/* The KPI columns, named first: minimums that fit 80x24 with the menu
 * shown (53 columns). */
#define KPI_COLUMNS(first)                                                                                  \
    { first, "name", 8, 3, false }, { "State", "state", 7, 1, false }, { "ASR", "asr", 6, 0, true },       \
    { "Att", "attempts", 4, 1, true }, { "ACD", "acd", 4, 1, true }, { "NER", "ner", 4, 1, true },          \
    { "PDD", "pdd_ms", 4, 1, true }, { "ASR 5m", "spark", 8, 6, false }

static const table_column main_cols[] = { KPI_COLUMNS("Supplier") };
#define NMAIN ((int)(sizeof main_cols / sizeof main_cols[0]))
/* The same columns for routes and destinations. */
static const table_column dest_cols[] = { KPI_COLUMNS("Destination") };

static const table_column alert_cols[] = {
    { "Sev", "severity", 5, 0, false },
    { "Age", "age", 4, 0, true },
    { "Supplier", "interconnect", 8, 1, false },
    { "Message", "message", 14, 5, false },
    { "State", "state", 5, 0, false },
};
static const table_column pause_cols[] = {
    { "Supplier", "interconnect", 8, 1, false },
    { "Prefix", "prefix", 6, 0, false },
    { "Reason", "reason", 14, 4, false },
    { "Actor", "actor", 6, 1, false },
    { "Since", "since", 5, 0, true },
};

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static long long num(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* ---- text ---- */

const char *noc_spark(const double *v, int n, int width, bool utf8, char *buf, size_t len)
{
    static const char *const blocks[8] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
    static const char ascii[8] = { '_', '.', ':', '-', '=', '+', '*', '#' };
    size_t off = 0;
    int from = n > width ? n - width : 0;
    buf[0] = '\0';
    for (int i = from; i < n && off + 4 < len; i++) {
        if (isnan(v[i])) {
            buf[off++] = ' ';
            continue;
        }
        int k = (int)(v[i] * 7.0 + 0.5);
        k = k < 0 ? 0 : k > 7 ? 7 : k;
        if (utf8) {
            memcpy(buf + off, blocks[k], 3);
            off += 3;
        } else {
            buf[off++] = ascii[k];
        }
    }
    buf[off] = '\0';
    return buf;
}

static time_t parse_time(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 0;
    return timegm(&tm);
}

static void age_text(const char *rfc3339, char *buf, size_t n)
{
    time_t t = parse_time(rfc3339);
    long d = t ? (long)(time(NULL) - t) : -1;
    if (d < 0)
        snprintf(buf, n, "-");
    else if (d < 120)
        snprintf(buf, n, "%lds", d);
    else if (d < 7200)
        snprintf(buf, n, "%ldm", d / 60);
    else if (d < 172800)
        snprintf(buf, n, "%ldh", d / 3600);
    else
        snprintf(buf, n, "%ldd", d / 86400 > 99999 ? 99999L : d / 86400); /* bounded for the caller's cell */
}

static const char *ic_name(noc *v, long long id, char *buf, size_t n)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", id);
    const char *name = json_string_value(json_object_get(v->names, key));
    if (name)
        snprintf(buf, n, "%s", name);
    else
        snprintf(buf, n, "#%lld", id);
    return buf;
}

/* ---- marks of a supplier ---- */

static json_t *open_alert_of(noc *v, long long ic)
{
    size_t i;
    json_t *x;
    json_array_foreach(v->alerts, i, x)
        if (num(x, "interconnect_id") == ic && strcmp(str(x, "state"), "resolved"))
            return x;
    return NULL;
}

static bool probe_down(noc *v, long long ic)
{
    char key[32];
    snprintf(key, sizeof key, "%lld", ic);
    return !strcmp(str(v->probes, key), "down");
}

/* The state cell: PAUSED (▼PAUSED with an open alert too), ▼ALERT, then
 * DOWN when the OPTIONS probe says so; ASCII ! for ▼; or "ok". */
static bool state_text(noc *v, long long ic, char *buf, size_t n)
{
    bool utf8 = theme_glyphs()->utf8;
    char pause[240];
    pause_text(v->pauses, ic, NULL, pause, sizeof pause, NULL);
    bool alert = open_alert_of(v, ic) != NULL, paused = pause[0] != '\0', down = probe_down(v, ic);
    const char *mark = alert ? (utf8 ? "▼" : "!") : "";
    snprintf(buf, n, "%s%s%s%s", mark, paused ? "PAUSED" : alert ? "ALERT" : "", (alert || paused) && down ? " " : "",
             down ? "DOWN" : "");
    if (!buf[0])
        snprintf(buf, n, "ok");
    return alert || paused || down;
}

/* ---- rebuilding the tables ---- */

typedef struct {
    const char *id;
    json_t *item;       /* NULL: no attempts in the window */
    bool flagged;
    double asr;
} main_row;

static int worst_first(const void *pa, const void *pb)
{
    const main_row *a = pa, *b = pb;
    if (a->flagged != b->flagged)
        return a->flagged ? -1 : 1;
    if (!a->item != !b->item)
        return a->item ? -1 : 1;
    if (a->asr != b->asr)
        return a->asr < b->asr ? -1 : 1;
    long long x = num(a->item, "attempts"), y = num(b->item, "attempts");
    if (x != y)
        return x > y ? -1 : 1;
    return strcmp(a->id, b->id);
}

static void rebuild_main(noc *v)
{
    /* keep the selection on the same scope */
    char keep[128] = "";
    if (v->main.nrows && v->main.selected < json_array_size(v->row_ids))
        snprintf(keep, sizeof keep, "%s", json_string_value(json_array_get(v->row_ids, v->main.selected)));
    size_t sel = v->main.selected, top = v->main.top;
    table_clear(&v->main);
    json_array_clear(v->row_ids);

    /* the scopes: every KPI item, and in the suppliers view every supplier
     * with an open alert or an active pause (no attempts: "-") */
    json_t *ids = json_object();
    const char *k;
    json_t *it;
    json_object_foreach(v->kpi, k, it) json_object_set_new(ids, k, json_true());
    if (v->mode == MODE_SUPPLIERS) {
        size_t i;
        json_t *x;
        char key[32];
        json_array_foreach(v->alerts, i, x) {
            if (num(x, "interconnect_id") > 0 && strcmp(str(x, "state"), "resolved")) {
                snprintf(key, sizeof key, "%lld", num(x, "interconnect_id"));
                json_object_set_new(ids, key, json_true());
            }
        }
        json_array_foreach(v->pauses, i, x) {
            snprintf(key, sizeof key, "%lld", num(x, "interconnect_id"));
            json_object_set_new(ids, key, json_true());
        }
    }
    size_t n = json_object_size(ids), m = 0;
    main_row *rows = calloc(n ? n : 1, sizeof *rows);
    free(v->flagged);
    v->flagged = calloc(n ? n : 1, sizeof *v->flagged);
    if (!rows || !v->flagged) {
        free(rows);
        json_decref(ids);
        return;
    }
    json_object_foreach(ids, k, it) {
        main_row *r = &rows[m++];
        r->id = k;
        r->item = json_object_get(v->kpi, k);
        r->asr = json_number_value(json_object_get(r->item, "asr"));
        if (v->mode == MODE_SUPPLIERS) {
            char st[64];
            r->flagged = state_text(v, atoll(k), st, sizeof st);
        }
    }
    qsort(rows, m, sizeof *rows, worst_first);
    bool utf8 = theme_glyphs()->utf8;
    for (size_t i = 0; i < m; i++) {
        main_row *r = &rows[i];
        char name[96], state[64] = "", asr[16] = "-", att[24] = "-", acd[16] = "-", ner[16] = "-", pdd[16] = "-",
             spark[SPARK_MAX * 3 + 4] = "";
        if (v->mode == MODE_SUPPLIERS) {
            ic_name(v, atoll(r->id), name, sizeof name);
            state_text(v, atoll(r->id), state, sizeof state);
        } else if (v->mode == MODE_ROUTES) {
            const char *slash = strchr(r->id, '/');
            snprintf(name, sizeof name, "%s", slash ? slash + 1 : r->id);
            char pause[240];
            pause_text(v->pauses, v->drill_ic, NULL, pause, sizeof pause, NULL);
            snprintf(state, sizeof state, "%s", pause[0] ? "PAUSED" : "ok");
            r->flagged = pause[0] != '\0';
        } else {
            snprintf(name, sizeof name, "%s", r->id);
            snprintf(state, sizeof state, "ok");
        }
        if (r->item) {
            json_t *pv = json_object_get(r->item, "pdd_ms");
            snprintf(asr, sizeof asr, "%.1f%%", r->asr * 100.0);
            snprintf(att, sizeof att, "%lld", num(r->item, "attempts"));
            snprintf(acd, sizeof acd, "%.0fs", json_number_value(json_object_get(r->item, "acd")));
            snprintf(ner, sizeof ner, "%.0f%%", json_number_value(json_object_get(r->item, "ner")) * 100.0);
            if (json_is_integer(pv))
                snprintf(pdd, sizeof pdd, "%lld", (long long)json_integer_value(pv));
            json_t *sp = json_object_get(r->item, "spark");
            double vals[SPARK_MAX];
            int nv = 0;
            size_t j;
            json_t *x;
            json_array_foreach(sp, j, x) {
                if (nv < SPARK_MAX)
                    vals[nv++] = json_is_number(x) ? json_number_value(x) : NAN;
            }
            noc_spark(vals, nv, v->spark_w > 0 ? v->spark_w : SPARK_MAX, utf8, spark, sizeof spark);
        }
        const char *cells[NMAIN] = { name, state, asr, att, acd, ner, pdd, spark };
        table_append(&v->main, 0, cells);
        json_array_append_new(v->row_ids, json_string(r->id));
        v->flagged[i] = r->flagged;
    }
    table_set_page(&v->main, (long long)m, NULL);
    /* the selection follows its scope; else stays at its place */
    v->main.selected = sel < m ? sel : m ? m - 1 : 0;
    v->main.top = top <= v->main.selected ? top : v->main.selected;
    for (size_t i = 0; keep[0] && i < m; i++)
        if (!strcmp(rows[i].id, keep)) {
            v->main.selected = i;
            if (v->main.selected < v->main.top)
                v->main.top = v->main.selected;
            break;
        }
    free(rows);
    json_decref(ids);
}

static int newest_first(const void *pa, const void *pb)
{
    json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
    long long x = num(a, "id"), y = num(b, "id");
    return x > y ? -1 : x < y ? 1 : 0;
}

static void rebuild_alerts(noc *v)
{
    size_t sel = v->al.selected;
    table_clear(&v->al);
    size_t n = json_array_size(v->alerts), i;
    json_t **sorted = calloc(n ? n : 1, sizeof *sorted);
    if (!sorted)
        return;
    for (i = 0; i < n; i++)
        sorted[i] = json_array_get(v->alerts, i);
    qsort(sorted, n, sizeof *sorted, newest_first);
    json_t *fresh = json_array();
    for (i = 0; i < n; i++) {
        json_t *x = sorted[i];
        json_array_append(fresh, x);
        char age[16], ic[96], state[16];
        age_text(str(x, "fired_at"), age, sizeof age);
        const char *icn = str(x, "interconnect_name");
        if (icn[0])
            snprintf(ic, sizeof ic, "%s", icn);
        else if (num(x, "interconnect_id") > 0)
            ic_name(v, num(x, "interconnect_id"), ic, sizeof ic);
        else
            snprintf(ic, sizeof ic, "-");
        snprintf(state, sizeof state, "%s", !strcmp(str(x, "state"), "acknowledged") ? "ACK" : "NEW");
        const char *cells[5] = { str(x, "severity"), age, ic, str(x, "message"), state };
        table_append(&v->al, num(x, "id"), cells);
    }
    json_decref(v->alerts);
    v->alerts = fresh; /* newest first, as shown */
    free(sorted);
    table_set_page(&v->al, (long long)n, NULL);
    v->al.selected = sel < n ? sel : n ? n - 1 : 0;
}

static void rebuild_pauses(noc *v)
{
    size_t sel = v->pa.selected, i;
    table_clear(&v->pa);
    json_t *x;
    json_array_foreach(v->pauses, i, x) {
        char ic[96], since[16];
        ic_name(v, num(x, "interconnect_id"), ic, sizeof ic);
        age_text(str(x, "created_at"), since, sizeof since);
        const char *prefix = json_is_string(json_object_get(x, "prefix")) ? str(x, "prefix") : "all";
        const char *cells[5] = { ic, prefix, str(x, "reason"), str(x, "actor"), since };
        table_append(&v->pa, num(x, "id"), cells);
    }
    size_t n = json_array_size(v->pauses);
    table_set_page(&v->pa, (long long)n, NULL);
    v->pa.selected = sel < n ? sel : n ? n - 1 : 0;
}

static void rebuild(noc *v)
{
    rebuild_alerts(v);
    rebuild_pauses(v);
    rebuild_main(v);
    v->stale = false;
}

/* ---- talking to the server ---- */

static void reply(screen *s, int part, json_t *result, json_t *error);

static bool method_missing(json_t *error)
{
    return error && json_integer_value(json_object_get(error, "code")) == -32601;
}

/* The monitor.kpi filter of the current view. */
static void subscribe_kpi(screen *s)
{
    noc *v = s->state;
    json_t *kpi = json_pack("{s:s, s:s, s:i, s:b}", "scope",
                            v->mode == MODE_SUPPLIERS ? "interconnect" : v->mode == MODE_ROUTES ? "route" : "destination",
                            "window", "5m", "limit", MAIN_LIMIT, "spark", 1);
    if (v->mode == MODE_ROUTES)
        json_object_set_new(kpi, "ids", json_pack("[I]", (json_int_t)v->drill_ic));
    json_object_clear(v->kpi);
    v->stale = true;
    screen_call(s, "subscribe", json_pack("{s:[s], s:o}", "topics", "monitor.kpi", "kpi", kpi), reply, PART_SUB);
}

static void load_alerts(screen *s)
{
    screen_call(s, "alert.list", json_pack("{s:s, s:i}", "state", "open", "limit", 200), reply, PART_ALERTS);
}

static void load_pauses(screen *s)
{
    screen_call(s, "route.pause.list", json_pack("{s:i}", "limit", 500), reply, PART_PAUSES);
}

static void load_names(screen *s)
{
    screen_call(s, "interconnect.list", json_pack("{s:i}", "limit", 500), reply, PART_NAMES);
}

static void load_probes(screen *s)
{
    screen_call(s, "monitor.probes", NULL, reply, PART_PROBES);
}

/* map becomes {"<item's id_field>": item's text_field} over items. */
static void index_items(json_t *map, json_t *items, const char *id_field, const char *text_field)
{
    size_t i;
    json_t *x;
    json_object_clear(map);
    json_array_foreach(items, i, x) {
        char key[32];
        snprintf(key, sizeof key, "%lld", num(x, id_field));
        json_object_set_new(map, key, json_string(str(x, text_field)));
    }
}

static void reply(screen *s, int part, json_t *result, json_t *error)
{
    noc *v = s->state;
    json_t *items = json_object_get(result, "items");
    switch (part) {
    case PART_NAMES:
        if (error)
            break;
        index_items(v->names, items, "id", "name");
        break;
    case PART_ALERTS:
        if (error) {
            snprintf(v->alerts_note, sizeof v->alerts_note, "%s",
                     method_missing(error) ? "no alerts on this server (alert.list is not there)"
                                           : str(error, "message"));
            json_array_clear(v->alerts);
        } else {
            v->alerts_note[0] = '\0';
            json_decref(v->alerts);
            v->alerts = items ? json_copy(items) : json_array();
        }
        break;
    case PART_PAUSES:
        if (!error) {
            json_decref(v->pauses);
            v->pauses = items ? json_incref(items) : json_array();
        }
        break;
    case PART_PROBES:
        if (!error)
            index_items(v->probes, items, "interconnect_id", "state");
        break;
    case PART_SUB:
        if (error)
            snprintf(v->kpi_note, sizeof v->kpi_note, "live KPIs are not available: %.90s", str(error, "message"));
        else
            v->kpi_note[0] = '\0';
        return;
    case PART_ACK:
        if (error) {
            char msg[200];
            snprintf(msg, sizeof msg, "ack: %.180s", str(error, "message"));
            app_toast(msg);
        } else {
            app_toast("alert acknowledged");
            load_alerts(s);
        }
        return;
    default:
        return;
    }
    /* a load's reply: show it now (rare; the KPIs wait for the tick) */
    rebuild(v);
    app_dirty();
}

static void reload(screen *s)
{
    screen_new_load(s);
    load_names(s);
    load_alerts(s);
    load_pauses(s);
    load_probes(s);
    /* topics of other modules, one by one: a topic this server does not
     * have must not fail the others */
    static const char *const topics[] = { "alert.fired", "alert.acknowledged", "alert.resolved", "probe.changed" };
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        screen_call(s, "subscribe", json_pack("{s:[s]}", "topics", topics[i]), reply, PART_TOPIC);
    subscribe_kpi(s);
}

/* ---- events ---- */

static void kpi_event(noc *v, json_t *data)
{
    const char *want = v->mode == MODE_SUPPLIERS ? "interconnect" : v->mode == MODE_ROUTES ? "route" : "destination";
    if (strcmp(str(data, "scope"), want))
        return; /* a message for the filter before the last change */
    json_t *items = json_object_get(data, "items"), *x;
    size_t i;
    char prefix[32];
    int plen = snprintf(prefix, sizeof prefix, "%lld/", v->drill_ic);
    if (json_is_true(json_object_get(data, "full")))
        json_object_clear(v->kpi);
    json_array_foreach(items, i, x) {
        const char *id = str(x, "scope_id");
        if (!id[0] || (v->mode == MODE_ROUTES && strncmp(id, prefix, (size_t)plen)))
            continue;
        json_object_set(v->kpi, id, x);
    }
    json_array_foreach(json_object_get(data, "removed"), i, x)
        if (json_is_string(x))
            json_object_del(v->kpi, json_string_value(x));
    v->kpi_at = time(NULL);
    v->stale = true;
}

static void event(screen *s, const char *topic, json_t *data)
{
    noc *v = s->state;
    if (!strcmp(topic, "monitor.kpi")) {
        kpi_event(v, data);
    } else if (!strncmp(topic, "alert.", 6)) {
        load_alerts(s);
    } else if (!strcmp(topic, "route.paused") || !strcmp(topic, "route.resumed")) {
        load_pauses(s);
    } else if (!strcmp(topic, "probe.changed")) {
        char key[32];
        snprintf(key, sizeof key, "%lld", num(data, "interconnect_id"));
        json_object_set_new(v->probes, key, json_string(str(data, "state")));
        v->stale = true;
    } else if (!strcmp(topic, "interconnect.changed")) {
        load_names(s);
    }
}

static void tick(screen *s)
{
    noc *v = s->state;
    if (v->stale) {
        rebuild(v);
        app_dirty();
    }
}

/* ---- drawing ---- */

/* Paint visible flagged rows in the theme's bad style (the state cell
 * carries the marker, so the colour is never the only sign). */
static void paint_flagged(noc *v, rect r, bool focused)
{
    int attr = theme_attr(STYLE_BAD);
    for (int i = 0; i < r.h - 1; i++) {
        size_t row = v->main.top + (size_t)i;
        if (row >= v->main.nrows)
            break;
        if (!v->flagged[row])
            continue;
        attr_t extra = focused && row == v->main.selected ? A_REVERSE : 0; /* still the selection */
        mvchgat(r.y + 1 + i, r.x, r.w, (attr_t)(attr & ~A_COLOR) | extra, (short)PAIR_NUMBER(attr), NULL);
    }
}

/* The selected supplier's marks as a sentence: the pause reason and the
 * alert message, so the reason is on screen without opening anything. */
static void detail_line(noc *v, char *buf, size_t n)
{
    buf[0] = '\0';
    if (!v->main.nrows || v->main.selected >= json_array_size(v->row_ids))
        return;
    const char *id = json_string_value(json_array_get(v->row_ids, v->main.selected));
    long long ic = v->mode == MODE_SUPPLIERS ? atoll(id) : v->drill_ic;
    if (v->mode == MODE_DESTS) {
        snprintf(buf, n, "%s", id);
        return;
    }
    char name[96], pause[240] = "";
    pause_text(v->pauses, ic, NULL, pause, sizeof pause, NULL);
    json_t *al = open_alert_of(v, ic);
    snprintf(buf, n, "%s%s%s%s%s%s", ic_name(v, ic, name, sizeof name), pause[0] || al ? ": " : "", pause,
             pause[0] && al ? " · " : "", al ? "alert: " : "", al ? str(al, "message") : "");
    if (!pause[0] && !al)
        snprintf(buf + strlen(buf), n - strlen(buf), "%s", probe_down(v, ic) ? ": DOWN by OPTIONS probe" : ": ok");
}

static void draw(screen *s, rect r)
{
    noc *v = s->state;
    if (r.h < 8 || r.w < 40)
        return;
    bool wide = r.w >= 110;
    int main_h = r.h * 55 / 100;
    if (main_h < 8)
        main_h = 8;
    rect top = { r.y, r.x, main_h, r.w }, bottom = { r.y + main_h, r.x, r.h - main_h, r.w };

    char title[160];
    if (v->mode == MODE_SUPPLIERS)
        snprintf(title, sizeof title, "Suppliers · 5m · worst first");
    else if (v->mode == MODE_ROUTES)
        snprintf(title, sizeof title, "Routes of %.60s · 5m (Esc: suppliers)", v->drill_name);
    else
        snprintf(title, sizeof title, "Destinations · 5m (D / Esc: suppliers)");
    rect in = ui_box(top, title, v->pane == PANE_MAIN);
    rect tbl = { in.y, in.x, in.h - 1, in.w };

    /* the spark column's width decides how many buckets fit */
    int mins[NMAIN], weights[NMAIN], widths[NMAIN];
    for (int c = 0; c < NMAIN; c++)
        mins[c] = main_cols[c].min_width, weights[c] = main_cols[c].weight;
    layout_table_columns(tbl.w - 1, NMAIN, mins, weights, widths);
    int sw = widths[COL_SPARK] > SPARK_MAX ? SPARK_MAX : widths[COL_SPARK];
    if (sw != v->spark_w) {
        v->spark_w = sw;
        rebuild_main(v);
    }
    const char *empty = v->kpi_note[0] ? v->kpi_note
                      : v->mode == MODE_ROUTES ? "no calls on this supplier's routes in the last 5 minutes"
                                               : "no calls in the last 5 minutes";
    table_draw(&v->main, tbl, v->pane == PANE_MAIN, empty);
    paint_flagged(v, tbl, v->pane == PANE_MAIN);
    v->main_h = tbl.h - 1;
    char line[400];
    detail_line(v, line, sizeof line);
    ui_put(in.y + in.h - 1, in.x, in.w, STYLE_MUTED, line);

    rect boxes[2];
    if (wide) {
        layout_columns(bottom, 2, 0, 1, boxes);
    } else {
        boxes[0] = boxes[1] = bottom;
    }
    for (int b = 0; b < 2; b++) {
        int pane = b == 0 ? PANE_ALERTS : PANE_PAUSED;
        if (!wide && ((pane == PANE_ALERTS) != (v->pane != PANE_PAUSED)))
            continue;
        char t[120];
        if (wide)
            snprintf(t, sizeof t, pane == PANE_ALERTS ? "Alerts (%zu)" : "Paused routes (%zu)",
                     pane == PANE_ALERTS ? v->al.nrows : v->pa.nrows);
        else
            snprintf(t, sizeof t, "%sAlerts (%zu)%s · %sPaused (%zu)%s", pane == PANE_ALERTS ? "[" : "", v->al.nrows,
                     pane == PANE_ALERTS ? "]" : "", pane == PANE_PAUSED ? "[" : "", v->pa.nrows,
                     pane == PANE_PAUSED ? "]" : "");
        rect bi = ui_box(boxes[b], t, v->pane == pane);
        if (pane == PANE_ALERTS) {
            table_draw(&v->al, bi, v->pane == pane, v->alerts_note[0] ? v->alerts_note : "no open alerts");
            v->al_h = bi.h - 1;
        } else {
            table_draw(&v->pa, bi, v->pane == pane, "no paused routes");
            v->pa_h = bi.h - 1;
        }
    }
}

/* ---- actions ---- */

static table_model *focused_table(noc *v, int *height)
{
    switch (v->pane) {
    case PANE_ALERTS: *height = v->al_h > 0 ? v->al_h : 1; return &v->al;
    case PANE_PAUSED: *height = v->pa_h > 0 ? v->pa_h : 1; return &v->pa;
    default: *height = v->main_h > 0 ? v->main_h : 1; return &v->main;
    }
}

static void set_mode(screen *s, noc_mode m)
{
    noc *v = s->state;
    v->mode = m;
    v->main.selected = v->main.top = 0;
    v->main.cols = m == MODE_SUPPLIERS ? main_cols : dest_cols;
    if (m == MODE_ROUTES)
        snprintf(s->crumb, sizeof s->crumb, "NOC %s Routes of %.60s", theme_glyphs()->arrow, v->drill_name);
    else if (m == MODE_DESTS)
        snprintf(s->crumb, sizeof s->crumb, "NOC %s Destinations", theme_glyphs()->arrow);
    else
        snprintf(s->crumb, sizeof s->crumb, "NOC %s Dashboard", theme_glyphs()->arrow);
    subscribe_kpi(s);
    rebuild(v);
}

static void paused_done(void *ud)
{
    (void)ud;
    app_toast("paused");
}

static bool action(screen *s, action_id a, int page_height)
{
    (void)page_height;
    noc *v = s->state;
    int h;
    table_model *t = focused_table(v, &h);
    const char *sel_id = v->main.nrows ? json_string_value(json_array_get(v->row_ids, v->main.selected)) : NULL;
    switch (a) {
    case ACT_UP: table_move(t, -1, h); return true;
    case ACT_DOWN: table_move(t, 1, h); return true;
    case ACT_PAGE_UP: table_move(t, -h, h); return true;
    case ACT_PAGE_DOWN: table_move(t, h, h); return true;
    case ACT_FIRST: table_select_first(t, h); return true;
    case ACT_LAST: table_select_last(t, h); return true;
    case ACT_NEXT_PANE: v->pane = (v->pane + 1) % NPANES; return true;
    case ACT_PREV_PANE:
        if (v->pane == PANE_MAIN && !v->wall)
            return false; /* to the menu */
        v->pane = (v->pane + NPANES - 1) % NPANES;
        return true;
    case ACT_REFRESH: reload(s); return true;
    case ACT_OPEN:
        if (v->pane == PANE_MAIN && v->mode == MODE_SUPPLIERS && sel_id) {
            v->drill_ic = atoll(sel_id);
            ic_name(v, v->drill_ic, v->drill_name, sizeof v->drill_name);
            set_mode(s, MODE_ROUTES);
        }
        return true;
    case ACT_BACK:
        if (v->mode != MODE_SUPPLIERS) {
            set_mode(s, MODE_SUPPLIERS);
            return true;
        }
        if (v->pane != PANE_MAIN) {
            v->pane = PANE_MAIN;
            return true;
        }
        return false;
    case ACT_DESTINATIONS:
        set_mode(s, v->mode == MODE_DESTS ? MODE_SUPPLIERS : MODE_DESTS);
        return true;
    case ACT_ACK: {
        if (v->alerts_note[0] && !v->al.nrows) {
            app_toast(v->alerts_note);
            return true;
        }
        const table_row *row = table_selected(&v->al);
        if (!row) {
            app_toast("no alert to acknowledge");
            return true;
        }
        screen_call(s, "alert.ack", json_pack("{s:I}", "id", (json_int_t)row->id), reply, PART_ACK);
        return true;
    }
    case ACT_PAUSE:
    case ACT_RESUME: {
        long long ic = 0;
        json_t *pause = NULL;
        if (v->pane == PANE_PAUSED) {
            pause = json_array_get(v->pauses, v->pa.selected);
            ic = num(pause, "interconnect_id");
        } else if (v->mode == MODE_SUPPLIERS && sel_id) {
            char buf[240];
            ic = atoll(sel_id);
            pause_text(v->pauses, ic, NULL, buf, sizeof buf, &pause);
        } else if (v->mode == MODE_ROUTES) {
            char buf[240];
            ic = v->drill_ic;
            pause_text(v->pauses, ic, NULL, buf, sizeof buf, &pause);
        }
        if (!ic) {
            app_toast(a == ACT_RESUME ? "select a paused route" : "select a supplier");
            return true;
        }
        char name[96];
        ic_name(v, ic, name, sizeof name);
        if (a == ACT_RESUME)
            resume_ask(ic, name, pause);
        else
            pause_or_resume(&v->edit, ic, name, pause, paused_done, s);
        return true;
    }
    default: return false;
    }
}

static void footer(screen *s, char *buf, size_t n)
{
    noc *v = s->state;
    char age[32] = "waiting";
    if (v->kpi_at)
        snprintf(age, sizeof age, "%lds ago", (long)(time(NULL) - v->kpi_at));
    snprintf(buf, n, "%zu %s · %zu alerts · %zu paused · KPIs %s%s", v->main.nrows,
             v->mode == MODE_SUPPLIERS ? "suppliers" : v->mode == MODE_ROUTES ? "routes" : "destinations",
             v->al.nrows, v->pa.nrows, age,
             v->wall ? " · wall (read-only)" : " · Enter routes · D destinations · a ack · p/P pause/resume");
}

static void destroy(screen *s)
{
    noc *v = s->state;
    table_free(&v->main);
    table_free(&v->al);
    table_free(&v->pa);
    json_decref(v->kpi);
    json_decref(v->names);
    json_decref(v->alerts);
    json_decref(v->pauses);
    json_decref(v->probes);
    json_decref(v->row_ids);
    free(v->flagged);
    free(v);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL, tick };

screen *noc_view_new(bool wall)
{
    screen *s = calloc(1, sizeof *s);
    noc *v = s ? calloc(1, sizeof *v) : NULL;
    if (!v) {
        free(s);
        return NULL;
    }
    v->wall = wall;
    v->kpi = json_object();
    v->names = json_object();
    v->alerts = json_array();
    v->pauses = json_array();
    v->probes = json_object();
    v->row_ids = json_array();
    v->spark_w = SPARK_MAX;
    table_init(&v->main, main_cols, NMAIN);
    table_init(&v->al, alert_cols, (int)(sizeof alert_cols / sizeof alert_cols[0]));
    table_init(&v->pa, pause_cols, (int)(sizeof pause_cols / sizeof pause_cols[0]));
    s->ops = &ops;
    s->state = v;
    s->id = TAB_ID_NOC;
    snprintf(s->title, sizeof s->title, "NOC Dashboard");
    snprintf(s->crumb, sizeof s->crumb, "NOC %s Dashboard", theme_glyphs()->arrow);
    return s;
}

void noc_view_set_items(screen *s, json_t *items)
{
    noc *v = s->state;
    json_object_clear(v->kpi);
    size_t i;
    json_t *x;
    json_array_foreach(items, i, x)
        json_object_set(v->kpi, str(x, "scope_id"), x);
    rebuild(v);
}
