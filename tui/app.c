/*
 * app.c: the frame, the workspace tabs and the key loop; screens draw the
 * content (carriers_screen.c, carrier_detail.c).
 *
 * Drawing: every change marks the frame dirty; the loop redraws into
 * stdscr and calls refresh() once, and ncurses sends only the cells that
 * changed (no clear(), so one changed cell costs a few bytes, not a
 * screen). Keys are read when stdin is readable (net.c), mapped to actions
 * by the active keymap and context, and handled here.
 */
#include "app.h"

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "net.h"
#include "form.h"
#include "list_screen.h"
#include "noc_view.h"
#include "routing_view.h"
#include "screen.h"
#include "script.h"
#include "ticket_view.h"
#include "kb_view.h"

typedef enum { INPUT_NONE, INPUT_FILTER, INPUT_COMMAND } input_mode;

#define MAX_WORKSPACES 9

static struct {
    const app_options *opt;
    layout lay;
    bool dirty, quit, help, submenu;
    bool rail;                  /* the menu has the focus */
    int rail_sel;               /* its highlighted entry (index into menu[]) */
    int exit_code;
    net_state conn;
    input_mode input;
    char inbuf[128];
    size_t inlen;
    char toast[256];
    time_t toast_until;
    screen *ws[MAX_WORKSPACES]; /* workspace tabs; 0 is the carriers list */
    int nws, active;
    form *modal;                /* an open edit form, drawn over the content */
    struct {
        bool active;
        int field;              /* 0 user, 1 password */
        char user[64], password[128], message[200];
    } login;                    /* the login screen */
    char question[256];         /* an open yes/no dialog */
    void (*on_yes)(void *ud);
    void *yes_ud;
} a;

static void draw(void);

bool app_screen_open(const screen *s)
{
    for (int i = 0; i < a.nws; i++)
        if (a.ws[i] == s)
            return true;
    return false;
}

void screen_new_load(screen *s)
{
    static unsigned next; /* never handed out twice, so generations never repeat */
    s->generation = ++next;
}

typedef struct {
    screen *s, *tab;
    unsigned generation;
    int part;
    screen_reply_fn fn;
} screen_ticket;

static void screen_reply(void *ud, json_t *result, json_t *error)
{
    screen_ticket tk = *(screen_ticket *)ud;
    free(ud);
    if (app_screen_open(tk.tab) && tk.s->generation == tk.generation)
        tk.fn(tk.s, tk.part, result, error);
}

void screen_call(screen *s, const char *method, json_t *params, screen_reply_fn fn, int part)
{
    screen_ticket *tk = malloc(sizeof *tk);
    if (!tk) {
        json_decref(params);
        return;
    }
    *tk = (screen_ticket){ s, s->owner ? s->owner : s, s->generation, part, fn };
    net_call(method, params, screen_reply, tk);
}

void app_dirty(void)
{
    a.dirty = true;
}

void app_toast(const char *msg)
{
    snprintf(a.toast, sizeof a.toast, "%s", msg);
    a.toast_until = time(NULL) + 4;
    a.dirty = true;
}

void app_open_form(form *f)
{
    a.modal = f;
    a.dirty = true;
}

void app_close_form(form *f)
{
    if (a.modal == f)
        a.modal = NULL;
    a.dirty = true;
}

static screen *active(void)
{
    return a.nws ? a.ws[a.active] : NULL;
}

/* Go to the tab (from tab `from` on) whose screen has id tab_id: true
 * when there is one. */
static bool show_tab(long long tab_id, int from)
{
    for (int i = from; i < a.nws; i++)
        if (a.ws[i]->id == tab_id) {
            a.active = i;
            a.dirty = true;
            return true;
        }
    return false;
}

/* Is there room for one more tab? When not, says so. */
static bool tab_room(void)
{
    if (a.nws < MAX_WORKSPACES)
        return true;
    app_toast("nine workspace tabs are open: close one with C-w");
    return false;
}

/* s as a new last tab, shown and loaded (when connected). */
static void add_tab(screen *s)
{
    a.ws[a.nws] = s;
    a.active = a.nws++;
    if (a.conn == NET_READY)
        s->ops->reload(s);
    a.dirty = true;
}

/* Put a record's screen in a workspace tab, or go to the one showing it
 * (tab_id: carriers positive, interconnects negative). */
static void open_record(long long tab_id, screen *(*make)(long long, const char *), long long id, const char *name)
{
    if (show_tab(tab_id, 1) || !tab_room())
        return;
    screen *s = make(id, name);
    if (s)
        add_tab(s);
}

void app_confirm(const char *question, void (*yes)(void *ud), void *ud)
{
    free(a.yes_ud);
    snprintf(a.question, sizeof a.question, "%s", question);
    a.on_yes = yes;
    a.yes_ud = ud;
    a.dirty = true;
}

static void answer(bool yes)
{
    void (*fn)(void *) = a.on_yes;
    void *ud = a.yes_ud;
    a.question[0] = '\0';
    a.on_yes = NULL;
    a.yes_ud = NULL;
    if (yes && fn)
        fn(ud);
    free(ud);
    a.dirty = true;
}

static void draw_question(rect r)
{
    int w = r.w < 70 ? r.w : 70;
    rect box = { r.y + r.h / 3, r.x + (r.w - w) / 2, 6, w };
    rect in = ui_box(box, "Confirm", true);
    for (int y = 0; y < in.h; y++)
        ui_put(in.y + y, in.x, in.w, STYLE_NORMAL, "");
    /* Two lines, broken at a space (bytes >= columns, so a break found
     * within in.w - 2 bytes fits). */
    char first[256];
    size_t len = strlen(a.question), cut = len;
    if (utf8_width(a.question) > in.w - 2) {
        cut = (size_t)(in.w - 2) < len ? (size_t)(in.w - 2) : len;
        while (cut > 0 && a.question[cut] != ' ')
            cut--;
        if (cut == 0)
            cut = len;
    }
    snprintf(first, sizeof first, "%.*s", (int)cut, a.question);
    ui_put(in.y, in.x + 1, in.w - 2, STYLE_BAD, first);
    if (cut < len)
        ui_put(in.y + 1, in.x + 1, in.w - 2, STYLE_BAD, a.question + cut + 1);
    ui_put(in.y + 3, in.x + 1, in.w - 2, STYLE_ACCENT, "[y] Yes     [n / Esc] No");
}

void app_open_screen(screen *s)
{
    if (!s)
        return;
    /* open once: show the tab that has it */
    if ((s->id && show_tab(s->id, 1)) || !tab_room()) {
        s->ops->destroy(s);
        return;
    }
    add_tab(s);
}

void app_open_carrier(long long id, const char *name)
{
    open_record(id, carrier_detail_new, id, name);
}

static screen *make_deck(long long id, const char *name)
{
    return deck_view_new(id, name);
}

void app_open_deck(long long id, const char *name)
{
    open_record(TAB_ID_DECK(id), make_deck, id, name);
}

static screen *make_routing(long long id, const char *name)
{
    return routing_view_new(id, name);
}

void app_open_routing(long long id, const char *name)
{
    open_record(TAB_ID_ROUTING(id), make_routing, id, name);
}

void app_open_interconnect(long long id, const char *name)
{
    open_record(-id, interconnect_detail_new, id, name);
}

static void close_workspace(int i)
{
    if (i <= 0 || i >= a.nws)
        return;
    a.ws[i]->ops->destroy(a.ws[i]);
    memmove(&a.ws[i], &a.ws[i + 1], (size_t)(a.nws - i - 1) * sizeof a.ws[0]);
    a.nws--;
    if (a.active >= a.nws)
        a.active = a.nws - 1;
    a.dirty = true;
}

static bool is_admin(void)
{
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    return role && (!strcmp(role, "super_admin") || !strcmp(role, "admin"));
}

static bool is_customer(void)
{
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    return role && !strcmp(role, "customer");
}

/* Lists only administrators may open. */
static bool admin_only(const char *name)
{
    return !strcmp(name, "users") || !strcmp(name, "audit");
}

/* Lists a customer user may not open. */
static bool staff_only(const char *name)
{
    static const char *const staff[] = { "balances", "rating-plans", "routing-plans", "trunk-groups", "categories", "groups", "blacklists",
                                         "release-causes", NULL };
    for (const char *const *n = staff; *n; n++)
        if (!strcmp(name, *n))
            return true;
    return false;
}

/* Open a list in its own workspace tab, or go to the one already open. */
static void open_list(const char *name)
{
    const list_desc *d = list_by_name(name);
    for (int i = 0; i < a.nws; i++)
        if (!a.ws[i]->id && !strcmp(a.ws[i]->title, d->title)) {
            a.active = i;
            a.ws[i]->ops->reload(a.ws[i]);
            a.dirty = true;
            return;
        }
    if (!tab_room())
        return;
    screen *s = list_screen_new(d);
    if (s)
        add_tab(s);
}

/* ---- drawing ---- */

static void draw_header(void)
{
    rect r = a.lay.header;
    const glyphs *g = theme_glyphs();
    const char *user = json_string_value(json_object_get(net_user(), "username"));
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    char right[160], left[160];
    const char *state = a.conn == NET_READY ? "connected" : a.conn == NET_RECONNECTING ? "reconnecting"
                      : a.conn == NET_AUTH_FAILED ? "logged out" : "connecting";
    snprintf(left, sizeof left, " DIDTron  %s %s", g->arrow, active() ? active()->crumb : "");
    snprintf(right, sizeof right, "%s %s   %s   %s%s%s%s ", a.conn == NET_READY ? g->dot_on : g->dot_off, state,
             theme_name(a.opt->theme), user ? user : "-", role ? " (" : "", role ? role : "", role ? ")" : "");
    ui_put(r.y, r.x, r.w, STYLE_HEADER, left);
    int rw = utf8_width(right);
    if (rw < r.w - 30)
        ui_put(r.y, r.x + r.w - rw, rw, STYLE_HEADER, right);
    if (a.opt->read_only && r.w > 70)
        ui_put(r.y, r.x + r.w / 2 - 6, 11, STYLE_HEADER, "[read-only]");
}

static void draw_tabs(void)
{
    rect r = a.lay.tabs;
    ui_put(r.y, r.x, r.w, STYLE_NORMAL, "");
    int x = r.x + 1;
    for (int i = 0; i < a.nws; i++) {
        char label[80];
        snprintf(label, sizeof label, i ? "[ %d %.40s %s ]" : "[ %d %.40s ]", i + 1, a.ws[i]->title,
                 theme_glyphs()->utf8 ? "×" : "x");
        int w = utf8_width(label);
        if (x + w >= r.x + r.w)
            break;
        ui_put(r.y, x, w, i == a.active ? STYLE_ACCENT : STYLE_MUTED, label);
        x += w + 1;
    }
}

/* The sub-menu: headings (no list) and the lists the : commands open, with
 * who sees them (0 everyone, 1 staff, 2 administrators). */
typedef struct {
    const char *text, *title, *list;
    int who;
} menu_entry;
static const menu_entry menu[] = {
    { " MONITORING", NULL, NULL, 1 }, { "NOC dashboard", "NOC Dashboard", "noc", 1 }, { "", NULL, NULL, 1 },
    { " CARRIERS", NULL, NULL, 0 }, { "Carriers", "Carriers", "carriers", 0 },
    { "Services", "Services", "services", 1 }, { "Trunk groups", "Trunk groups", "trunk-groups", 1 },
    { "Categories", "Categories", "categories", 1 }, { "Groups", "Groups", "groups", 1 },
    { "Blacklists", "Blacklists", "blacklists", 1 }, { "Release causes", "Release causes", "release-causes", 1 },
    { "Balance & spend", "Balance & spend", "balances", 1 },
    { "", NULL, NULL, 0 }, { " RATING", NULL, NULL, 0 }, { "Rating plans", "Rating plans", "rating-plans", 1 },
    { "Routing plans", "Routing plans", "routing-plans", 1 },
    { "CDRs", "CDRs", "cdrs", 0 }, { "", NULL, NULL, 0 }, { " BILLING", NULL, NULL, 0 },
    { "Journals", "Journals", "journals", 0 }, { "Invoices", "Invoices", "invoices", 0 },
    { "", NULL, NULL, 0 }, { " SUPPORT", NULL, NULL, 0 }, { "Tickets", "Tickets", "tickets", 0 },
    { "My tickets", "My tickets", "tickets mine", 1 }, { "Knowledge base", "Knowledge base", "kb", 0 },
    { "Jobs / outbox", "Jobs", "jobs", 2 }, { "Mail outbox", "Mail outbox", "outbox", 2 },
    { "", NULL, NULL, 2 }, { " SETTINGS", NULL, NULL, 2 },
    { "Users", "Users", "users", 2 }, { "Audit log", "Audit log", "audit", 2 },
};

static bool menu_visible(const menu_entry *m)
{
    return m->who == 0 || (m->who == 1 && !is_customer()) || (m->who == 2 && is_admin());
}

/* How many menu lines this role sees, and the i-th of them. */
static int menu_shown(void)
{
    int n = 0;
    for (size_t i = 0; i < sizeof menu / sizeof menu[0]; i++)
        n += menu_visible(&menu[i]);
    return n;
}

static const menu_entry *menu_at(int k)
{
    for (size_t i = 0; i < sizeof menu / sizeof menu[0]; i++)
        if (menu_visible(&menu[i]) && k-- == 0)
            return &menu[i];
    return &menu[0];
}

/* Move the rail's highlight by dir to the next entry that opens a list. */
static void rail_move(int dir)
{
    int n = menu_shown(), i = a.rail_sel;
    for (int step = 0; step < n; step++) {
        i += dir;
        if (i < 0 || i >= n)
            return;
        if (menu_at(i)->list) {
            a.rail_sel = i;
            return;
        }
    }
}

static void draw_rail(void)
{
    static const char *const icons_utf8[] = { "☎", "⚠", "$", "✉", "⚙" };
    static const char *const icons_ascii[] = { "C", "!", "$", "@", "*" };
    rect r = a.lay.rail;
    const glyphs *g = theme_glyphs();
    for (int y = 0; y < r.h; y++) {
        char cell[16];
        snprintf(cell, sizeof cell, " %s", y < 5 ? (g->utf8 ? icons_utf8[y] : icons_ascii[y]) : "");
        ui_put(r.y + y, r.x, r.w - 1, y == 0 ? STYLE_ACCENT : STYLE_MUTED, cell);
        ui_put(r.y + y, r.x + r.w - 1, 1, a.rail ? STYLE_ACCENT : STYLE_MUTED, g->vline);
    }
    /* The sub-menu lists what the : commands open; the active one is
     * marked ›, the rail's highlight (when it has the focus) is reversed
     * and marked ▸, so neither depends on colour. */
    int shown = menu_shown();
    rect s = a.lay.submenu;
    const char *current = active() ? active()->title : "";
    for (int y = 0; y < s.h && s.w > 0; y++) {
        char text[48] = "";
        int st = STYLE_NORMAL;
        if (y < shown) {
            const menu_entry *m = menu_at(y);
            if (!m->list) {
                snprintf(text, sizeof text, "%s", m->text);
                st = STYLE_TITLE;
            } else {
                bool on = !strcmp(current, m->title);
                bool hi = a.rail && y == a.rail_sel;
                snprintf(text, sizeof text, "%s%s %s", hi ? (g->utf8 ? "▸" : "*") : " ",
                         on ? (g->utf8 ? "›" : ">") : " ", m->text);
                st = hi ? STYLE_SELECTED : on ? STYLE_ACCENT : STYLE_NORMAL;
            }
        }
        ui_put(s.y + y, s.x, s.w - 1, st, text);
        ui_put(s.y + y, s.x + s.w - 1, 1, STYLE_MUTED, g->vline);
    }
}

static void draw_dock(void)
{
    rect r = a.lay.dock;
    char left[600];
    if (a.input != INPUT_NONE) {
        bool hint = a.toast[0] && time(NULL) < a.toast_until;
        snprintf(left, sizeof left, "%s%s_%s%s", a.input == INPUT_FILTER ? "/" : ":", a.inbuf, hint ? "     " : "",
                 hint ? a.toast : "");
        ui_put(r.y, r.x, r.w, STYLE_ACCENT, left);
        return;
    }
    if (a.toast[0] && time(NULL) < a.toast_until) {
        ui_put(r.y, r.x, r.w, STYLE_BAD, a.toast);
        return;
    }
    char foot[200] = "";
    if (active())
        active()->ops->footer(active(), foot, sizeof foot);
    snprintf(left, sizeof left, " %s", foot);
    const char *hints = a.rail ? "[Up/Down Move] [Enter Open] [Esc Back] [? Help] [C-q Quit] "
                      : a.active == 0 ? "[Enter Open] [/ Filter] [s Sort] [: Cmd] [? Help] [C-q Quit] "
                                      : "[Left/Right Tabs] [M-1 List] [C-w Close] [? Help] [C-q Quit] ";
    int hw = utf8_width(hints);
    ui_put(r.y, r.x, r.w, STYLE_NORMAL, left);
    if (utf8_width(left) + hw < r.w)
        ui_put(r.y, r.x + r.w - hw, hw, STYLE_MUTED, hints);
}

static void draw_help(rect r)
{
    int y = r.y + 1;
    ui_put(y++, r.x + 2, r.w - 4, STYLE_TITLE, "Keys (Esc closes)");
    /* The screen's own keys (a ticket's verbs) first, when it has some. */
    key_context ctxs[3] = { CTX_TABLE, CTX_GLOBAL, CTX_COUNT };
    if (active() && active()->ops->context) {
        ctxs[2] = CTX_GLOBAL;
        ctxs[1] = CTX_TABLE;
        ctxs[0] = active()->ops->context(active());
    }
    for (size_t k = 0; k < 3 && ctxs[k] != CTX_COUNT; k++) {
        for (int i = 0; i < ACT_COUNT && y < r.y + r.h - 1; i++) {
            int keys[4];
            size_t nk = keymap_keys_for(a.opt->keys, ctxs[k], (action_id)i, keys, 4);
            if (!nk)
                continue;
            char line[200], kb[16];
            size_t off = 0;
            for (size_t j = 0; j < nk && off < 40; j++)
                off += (size_t)snprintf(line + off, sizeof line - off, "%s%s", j ? " " : "",
                                        keymap_key_name(keys[j], kb, sizeof kb));
            snprintf(line + off, sizeof line - off, "%*s%s", (int)(18 - (off < 18 ? off : 17)), "",
                     action_help((action_id)i));
            ui_put(y++, r.x + 2, r.w - 4, STYLE_NORMAL, line);
        }
    }
}

static void draw_login(int rows, int cols)
{
    int w = cols < 64 ? cols : 64, h = 11;
    rect box = { rows / 2 - h / 2, (cols - w) / 2, h, w };
    rect in = ui_box(box, "DIDTron · log in", true);
    for (int y = 0; y < in.h; y++)
        ui_put(in.y + y, in.x, in.w, STYLE_NORMAL, "");
    char line[200], stars[80];
    snprintf(line, sizeof line, " Server    %s", a.opt->url);
    ui_put(in.y, in.x, in.w, STYLE_MUTED, line);
    snprintf(line, sizeof line, " Username  %s%s", a.login.user, a.login.field == 0 ? "_" : "");
    ui_put(in.y + 2, in.x, in.w, a.login.field == 0 ? STYLE_SELECTED : STYLE_NORMAL, line);
    size_t n = strlen(a.login.password);
    memset(stars, '*', n < sizeof stars - 1 ? n : sizeof stars - 1);
    stars[n < sizeof stars - 1 ? n : sizeof stars - 1] = '\0';
    snprintf(line, sizeof line, " Password  %s%s", stars, a.login.field == 1 ? "_" : "");
    ui_put(in.y + 3, in.x, in.w, a.login.field == 1 ? STYLE_SELECTED : STYLE_NORMAL, line);
    ui_put(in.y + 5, in.x + 1, in.w - 2, STYLE_BAD, a.login.message);
    const char *state = a.conn == NET_NEEDS_LOGIN || a.conn == NET_AUTH_FAILED ? "connected, not logged in"
                      : a.conn == NET_RECONNECTING ? "reconnecting…" : "connecting…";
    ui_put(in.y + 6, in.x + 1, in.w - 2, STYLE_MUTED, state);
    ui_put(in.y + 8, in.x + 1, in.w - 2, STYLE_ACCENT, "[Enter] Log in   [Tab] Next field   [C-q] Quit");
}

static void draw(void)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    layout_compute(rows, cols, a.submenu, &a.lay);
    if (a.opt->wall) { /* the wall screen: no rail, no sub-menu, full width */
        a.lay.content.w += a.lay.content.x - a.lay.rail.x;
        a.lay.content.x = a.lay.rail.x;
        a.lay.rail.w = a.lay.submenu.w = 0;
    }
    erase();
    if (a.login.active && !a.lay.too_small) {
        draw_login(rows, cols);
    } else if (a.lay.too_small) {
        char msg[64];
        snprintf(msg, sizeof msg, "terminal too small: need 80x24 (now %dx%d)", cols, rows);
        mvaddnstr(rows / 2, 0, msg, cols);
    } else {
        draw_header();
        draw_tabs();
        if (!a.opt->wall)
            draw_rail();
        if (a.help)
            draw_help(a.lay.content);
        else if (active())
            active()->ops->draw(active(), a.lay.content);
        if (a.modal && !a.help)
            form_draw(a.modal, a.lay.content);
        if (a.question[0])
            draw_question(a.lay.content);
        draw_dock();
    }
    refresh();
    a.dirty = false;
}

/* ---- save-screen ---- */

static bool write_screen(const char *path)
{
    if (a.dirty)
        draw();
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    int rc = ui_screen_text(f);
    return fclose(f) == 0 && rc == 0;
}

/* The save-screen action: the screen as text in the screens directory. */
static void save_screen(void)
{
    char dir[128], path[sizeof dir + 40], msg[256 - 24];
    if (a.opt->screen_dir)
        snprintf(dir, sizeof dir, "%s", a.opt->screen_dir);
    else if (a.opt->token_file) {
        snprintf(dir, sizeof dir, "%s", a.opt->token_file);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
    } else
        snprintf(dir, sizeof dir, ".");
    mkdir(dir, 0700);
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    char stamp[20];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(path, sizeof path, "%s/screen-%s.txt", dir, stamp);
    if (write_screen(path))
        snprintf(msg, sizeof msg, "screen saved to %.200s", path);
    else
        snprintf(msg, sizeof msg, "could not save the screen to %.120s: %.60s", path, strerror(errno));
    app_toast(msg);
}

/* ---- actions ---- */

static void run_command(const char *cmd);

static void focus_rail(void)
{
    a.rail = true;
    a.submenu = true; /* a hidden sub-menu comes back to be chosen from */
    /* Start on the entry of the open list, else the first. */
    const char *current = active() ? active()->title : "";
    a.rail_sel = 1;
    for (int i = 0; i < menu_shown(); i++)
        if (menu_at(i)->title && !strcmp(current, menu_at(i)->title))
            a.rail_sel = i;
}

/* A key while the rail has the focus: true when the rail used it. */
static bool rail_key(int ch)
{
    action_id r = keymap_lookup(a.opt->keys, CTX_RAIL, ch);
    a.dirty = true;
    switch (r) {
    case ACT_UP: rail_move(-1); return true;
    case ACT_DOWN: rail_move(1); return true;
    case ACT_FIRST: a.rail_sel = 0; rail_move(1); return true;
    case ACT_LAST: a.rail_sel = menu_shown(); rail_move(-1); return true;
    case ACT_OPEN:
        a.rail = false;
        if (menu_at(a.rail_sel)->list)
            run_command(menu_at(a.rail_sel)->list);
        return true;
    case ACT_NEXT_PANE:
    case ACT_BACK:
    case ACT_RIGHT: a.rail = false; return true;
    case ACT_LEFT: a.rail = false; a.submenu = false; return true; /* collapse */
    default: return false;
    }
}

/* The NOC dashboard (staff): shown when open, else a new first tab. */
static void open_noc(bool first)
{
    if (show_tab(TAB_ID_NOC, 0) || !tab_room())
        return;
    screen *s = noc_view_new(a.opt->wall);
    if (!s)
        return;
    if (first) { /* at login: before the others, and shown */
        memmove(&a.ws[1], &a.ws[0], (size_t)a.nws * sizeof a.ws[0]);
        a.ws[0] = s;
        a.nws++;
        a.active = 0;
        if (a.conn == NET_READY)
            s->ops->reload(s);
        a.dirty = true;
    } else {
        app_open_screen(s);
    }
}

static void run_command(const char *cmd)
{
    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
        a.quit = true;
    } else if (!strcmp(cmd, "noc")) {
        if (is_customer())
            app_toast("your role cannot open the NOC dashboard");
        else
            open_noc(false);
    } else if (!strcmp(cmd, "tickets") || !strcmp(cmd, "tickets mine")) {
        app_open_screen(ticket_queue_new(cmd[7] != '\0'));
    } else if (!strcmp(cmd, "kb")) {
        app_open_screen(kb_search_new());
    } else if (!strcmp(cmd, "jobs") || !strcmp(cmd, "outbox")) {
        static bool job_topic; /* a busy queue sends many: only once jobs are shown */
        if (!is_admin()) {
            app_toast("your role cannot open that list");
        } else {
            if (!job_topic) {
                job_topic = true;
                net_subscribe("job.changed");
            }
            open_list(cmd);
        }
    } else if (list_by_name(cmd)) {
        if ((admin_only(cmd) && !is_admin()) || (staff_only(cmd) && is_customer()))
            app_toast("your role cannot open that list");
        else
            open_list(cmd);
    } else if (!strncmp(cmd, "theme ", 6)) {
        theme_kind k;
        if (theme_parse(cmd + 6, &k)) {
            ((app_options *)a.opt)->theme = k;
            theme_apply(k);
        } else {
            app_toast("themes: dark, light, system");
        }
    } else if (cmd[0]) {
        char msg[256];
        snprintf(msg, sizeof msg, "unknown command \"%.80s\" (try :carriers :services :trunk-groups :users :audit"
                                  " :rating-plans :routing-plans :cdrs :journals :invoices :theme light :q)", cmd);
        app_toast(msg);
    }
}

static void act(action_id act)
{
    screen *s = active();
    if ((action_flags(act) & (ACTION_EDITS | ACTION_DANGEROUS)) && a.opt->read_only) {
        app_toast("read-only mode: changes are disabled");
        return;
    }
    a.dirty = true;
    if (a.help && act != ACT_QUIT) {
        a.help = false;
        return;
    }
    switch (act) {
    case ACT_QUIT: a.quit = true; return;
    case ACT_HELP: a.help = true; return;
    case ACT_COMMAND: a.input = INPUT_COMMAND; a.inlen = 0; a.inbuf[0] = '\0'; return;
    case ACT_FILTER:
        if (!s || !s->ops->filter)
            return;
        a.input = INPUT_FILTER;
        snprintf(a.inbuf, sizeof a.inbuf, "%s", s->ops->filter_text(s));
        a.inlen = strlen(a.inbuf);
        return;
    case ACT_TOGGLE_MENU: a.submenu = !a.submenu; return;
    case ACT_FOCUS_RAIL:
        if (!a.opt->wall) /* the wall screen has no menu */
            focus_rail();
        return;
    case ACT_SAVE_SCREEN: save_screen(); return;
    case ACT_THEME: {
        theme_kind k = (theme_kind)((a.opt->theme + 1) % 3);
        ((app_options *)a.opt)->theme = k;
        theme_apply(k);
        return;
    }
    case ACT_NEXT_WORKSPACE: a.active = (a.active + 1) % a.nws; return;
    case ACT_PREV_WORKSPACE: a.active = (a.active + a.nws - 1) % a.nws; return;
    case ACT_CLOSE_WORKSPACE:
        a.modal = NULL;
        close_workspace(a.active);
        return;
    case ACT_BACK:
        if (s && s->id == TAB_ID_NOC && s->ops->action(s, act, a.lay.content.h - 1))
            return; /* the NOC dashboard's drill-down returns first */
        if (a.active > 0)
            a.active = 0;
        return;
    default: break;
    }
    if (act >= ACT_WORKSPACE_1 && act <= ACT_WORKSPACE_9) {
        int i = act - ACT_WORKSPACE_1;
        if (i < a.nws)
            a.active = i;
        return;
    }
    bool handled = s && s->ops->action(s, act, a.lay.content.h - 1);
    if (!handled && act == ACT_PREV_PANE) /* S-Tab past the content's first pane: the menu */
        focus_rail();
    else if (!handled && (action_flags(act) & (ACTION_EDITS | ACTION_DANGEROUS)))
        app_toast("nothing to edit here yet");
}

/* Tab in the command line: complete to the longest unambiguous text. */
static void complete_command(void)
{
    static const char *const commands[] = { "carriers", "balances", "services", "trunk-groups", "categories", "groups",
                                            "blacklists", "release-causes", "rating-plans", "routing-plans", "cdrs", "journals",
                                            "invoices", "users", "audit", "theme dark",
                                            "noc",
                                            "tickets", "tickets mine", "kb", "jobs", "outbox",
                                            "theme light", "theme system", "quit" };
    const char *first = NULL;
    size_t common = 0;
    int matches = 0;
    char options[200] = "";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strncmp(commands[i], a.inbuf, a.inlen))
            continue;
        if ((admin_only(commands[i]) && !is_admin()) || (staff_only(commands[i]) && is_customer()))
            continue;
        if (!first) {
            first = commands[i];
            common = strlen(first);
        } else {
            size_t k = 0;
            while (k < common && first[k] == commands[i][k])
                k++;
            common = k;
        }
        matches++;
        size_t off = strlen(options);
        snprintf(options + off, sizeof options - off, "%s:%s", off ? "  " : "", commands[i]);
    }
    if (!first)
        return;
    if (common > a.inlen && common < sizeof a.inbuf) {
        memcpy(a.inbuf, first, common);
        a.inbuf[common] = '\0';
        a.inlen = common;
    }
    if (matches > 1)
        app_toast(options);
}

static void input_key(int ch)
{
    if (ch == '\t' && a.input == INPUT_COMMAND) {
        complete_command();
    } else if (ch == 27) {
        a.input = INPUT_NONE;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        input_mode m = a.input;
        a.input = INPUT_NONE;
        if (m == INPUT_FILTER && active() && active()->ops->filter)
            active()->ops->filter(active(), a.inbuf);
        else if (m == INPUT_COMMAND)
            run_command(a.inbuf);
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        while (a.inlen > 0 && ((unsigned char)a.inbuf[a.inlen - 1] & 0xC0) == 0x80)
            a.inlen--;
        if (a.inlen > 0)
            a.inlen--;
        a.inbuf[a.inlen] = '\0';
    } else if (ch >= 32 && ch < 256 && a.inlen + 1 < sizeof a.inbuf) {
        a.inbuf[a.inlen++] = (char)ch;
        a.inbuf[a.inlen] = '\0';
    }
    a.dirty = true;
}

/* One key, from the terminal or a script. Esc+x arrives already as M-x
 * from a script; from the terminal on_input folds it. */
static void login_key(int ch)
{
    action_id act_id = keymap_lookup(a.opt->keys, CTX_FORM, ch);
    char *v = a.login.field ? a.login.password : a.login.user;
    size_t cap = a.login.field ? sizeof a.login.password : sizeof a.login.user, len = strlen(v);
    a.dirty = true;
    if (act_id == ACT_QUIT) {
        a.quit = true;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        if (!a.login.user[0]) {
            snprintf(a.login.message, sizeof a.login.message, "the username is required");
            a.login.field = 0;
        } else if (a.login.field == 0 && !a.login.password[0]) {
            a.login.field = 1;
        } else {
            a.login.active = false;
            a.login.message[0] = '\0';
            net_login(a.login.user, a.login.password);
            memset(a.login.password, 0, sizeof a.login.password);
            a.login.field = 1;
        }
    } else if (act_id == ACT_NEXT_PANE || act_id == ACT_PREV_PANE) {
        a.login.field = !a.login.field;
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        while (len > 0 && ((unsigned char)v[len - 1] & 0xC0) == 0x80)
            len--;
        v[len > 0 ? len - 1 : 0] = '\0';
    } else if (ch >= 32 && ch < 256 && len + 1 < cap) {
        v[len] = (char)ch;
        v[len + 1] = '\0';
    }
}

static void handle_key(int ch)
{
    if (ch == KEY_RESIZE) {
        a.dirty = true;
        return;
    }
    if (a.login.active) {
        login_key(ch);
        return;
    }
    if (a.input != INPUT_NONE) {
        input_key(ch);
        return;
    }
    if (a.question[0]) {
        if (ch == 'y' || ch == 'Y')
            answer(true);
        else if (ch == 'n' || ch == 'N' || ch == 27)
            answer(false);
        return;
    }
    if (a.modal) {
        action_id fa = keymap_lookup(a.opt->keys, CTX_FORM, ch);
        if (fa == ACT_SAVE_SCREEN || fa == ACT_QUIT) { /* work in a form too */
            act(fa);
            return;
        }
        if (!form_key(a.modal, a.opt->keys, ch))
            a.modal = NULL;
        return;
    }
    if (a.rail && !a.help && rail_key(ch))
        return;
    screen *sk = active();
    if (sk && !a.rail && !a.help && sk->ops->key && sk->ops->key(sk, a.opt->keys, ch)) {
        a.dirty = true;
        return;
    }
    /* A screen's own context (a ticket's verbs) first, where it binds the
     * key to something other than global does. */
    action_id own = ACT_COUNT;
    if (sk && !a.rail && !a.help && sk->ops->context) {
        own = keymap_lookup(a.opt->keys, sk->ops->context(sk), ch);
        if (own == keymap_lookup(a.opt->keys, CTX_GLOBAL, ch))
            own = ACT_COUNT;
    }
    action_id act_id = own != ACT_COUNT ? own
                     : keymap_lookup(a.opt->keys, a.help ? CTX_DIALOG : a.rail ? CTX_RAIL : CTX_TABLE, ch);
    if (act_id != ACT_COUNT)
        act(act_id);
}

static void on_input(void *ud)
{
    (void)ud;
    int ch;
    while ((ch = getch()) != ERR) {
        if (ch == 27) { /* Esc, or Alt-x as Esc followed by x */
            int next = getch();
            if (next >= 32 && next < 127 && a.input == INPUT_NONE)
                ch = KEY_ALT(next);
            else if (next != ERR)
                ungetch(next);
        }
        handle_key(ch);
    }
    if (a.quit)
        net_quit();
    if (a.dirty)
        draw();
}

/* ---- --script: replay keys on a 20 ms timer in the same loop ---- */

static struct {
    int fd;
    size_t next;
    int64_t until_ms;    /* sleep or wait deadline */
    bool waiting;
    int wait_ms;
    char failure[400];
} sc = { .fd = -1, .wait_ms = 10000 };

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool screen_shows(const char *text)
{
    if (a.dirty)
        draw();
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return false;
    ui_screen_text(f);
    fclose(f);
    bool hit = buf && strstr(buf, text);
    free(buf);
    return hit;
}

static void on_script_tick(void *ud)
{
    (void)ud;
    uint64_t ticks;
    while (read(sc.fd, &ticks, sizeof ticks) == (ssize_t)sizeof ticks)
        ;
    const script *s = a.opt->script;
    int64_t now = now_ms();
    while (sc.next < s->n && !a.quit) {
        const script_step *st = &s->steps[sc.next];
        if (st->kind == STEP_KEY) {
            handle_key(st->key);
            sc.next++;
            /* one key per tick while a reply may be due, like a person typing */
            break;
        }
        if (st->kind == STEP_SLEEP || st->kind == STEP_WAIT) {
            if (!sc.waiting) {
                sc.waiting = true;
                sc.until_ms = now + (st->kind == STEP_SLEEP ? st->ms : sc.wait_ms);
            }
            if (st->kind == STEP_WAIT && screen_shows(st->text)) {
                sc.waiting = false;
                sc.next++;
                continue;
            }
            if (now < sc.until_ms)
                break;
            sc.waiting = false;
            if (st->kind == STEP_WAIT) {
                snprintf(sc.failure, sizeof sc.failure, "script line %d: the screen never showed \"%s\"", st->line,
                         st->text);
                a.exit_code = 3;
                a.quit = true;
                break;
            }
            sc.next++;
            continue;
        }
        if (st->kind == STEP_TIMEOUT)
            sc.wait_ms = st->ms;
        if (st->kind == STEP_SAVE && !write_screen(st->text)) {
            snprintf(sc.failure, sizeof sc.failure, "script line %d: could not write %s: %s", st->line, st->text,
                     strerror(errno));
            a.exit_code = 3;
            a.quit = true;
            break;
        }
        sc.next++;
    }
    if (a.quit)
        net_quit();
    if (a.dirty)
        draw();
}
/* SIGWINCH arrives as a readable signalfd, in the same loop as the keys:
 * resize curses to the terminal's new size and redraw at once. */
static int winch_fd = -1;

static void on_winch(void *ud)
{
    (void)ud;
    struct signalfd_siginfo si;
    while (read(winch_fd, &si, sizeof si) == (ssize_t)sizeof si)
        ;
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
        resizeterm(ws.ws_row, ws.ws_col);
    draw();
}

static void save_token(void)
{
    const char *tok = net_token();
    if (!a.opt->token_file || !tok)
        return;
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", a.opt->token_file);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    /* mkdir -p, private */
    for (char *p = dir + 1; slash && *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0700);
            *p = '/';
        }
    }
    if (slash)
        mkdir(dir, 0700);
    int fd = open(a.opt->token_file, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return;
    fchmod(fd, 0600);
    dprintf(fd, "%s\n%s\n", a.opt->user, tok);
    close(fd);
}

static void on_state(void *ud, net_state st, const char *detail)
{
    (void)ud;
    a.conn = st;
    if (st == NET_READY) {
        save_token();
        for (int i = 0; i < a.nws; i++)
            a.ws[i]->ops->reload(a.ws[i]);
        /* A customer user works on its own carrier: land there, once. */
        static bool landed, staff_topics, admin_topics;
        json_t *carrier = json_object_get(net_user(), "carrier_id");
        /* Topics only some roles may follow, once the role is known (a
         * refused topic would fail the whole subscription). */
        if (!staff_topics && !is_customer()) {
            staff_topics = true;
            net_subscribe("trunk_group.changed");
            net_subscribe("category.changed");
            net_subscribe("group.changed");
            net_subscribe("blacklist.changed");
            net_subscribe("release_cause_mapping.changed");
            net_subscribe("rating_plan.changed");
            net_subscribe("rating_plan.import_progress");
            net_subscribe("cdr.ingested");
            net_subscribe("routing_plan.changed");
            net_subscribe("route.paused");
            net_subscribe("route.resumed");
        }
        if (!admin_topics && is_admin()) {
            admin_topics = true;
            net_subscribe("user.created");
            net_subscribe("user.updated");
            net_subscribe("audit.recorded");
        }
        static bool support_topics;
        if (!support_topics) { /* tickets: every role (customers get their carrier's) */
            support_topics = true;
            net_subscribe("ticket.created");
            net_subscribe("ticket.updated");
            if (!is_customer())
                net_subscribe("ticket.sla_warning");
        }
        /* Staff land on the NOC dashboard, the first tab (--start carriers
         * or DIDTRON_START=carriers: not at login; :noc opens it). */
        static bool noc_opened;
        if (!noc_opened && !is_customer() && (a.opt->wall || !a.opt->start_carriers)) {
            noc_opened = true;
            open_noc(true);
        }
        if (!landed && is_customer() && json_is_integer(carrier)) {
            landed = true;
            app_open_carrier((long long)json_integer_value(carrier), "my carrier");
        }
    } else if ((st == NET_AUTH_FAILED || st == NET_NEEDS_LOGIN) && a.opt->login_screen) {
        /* Ask (again) in the console; the tabs stay as they are. */
        a.login.active = true;
        a.login.field = a.login.user[0] ? 1 : 0;
        if (st == NET_AUTH_FAILED)
            snprintf(a.login.message, sizeof a.login.message, "login refused: %.160s", detail ? detail : "");
    } else if (st == NET_AUTH_FAILED) {
        snprintf(a.toast, sizeof a.toast, "login refused: %s", detail ? detail : "");
        a.exit_code = 2;
        a.quit = true;
        net_quit();
    }
    a.dirty = true;
    draw();
}

static void on_event(void *ud, const char *topic, json_t *data)
{
    (void)ud;
    for (int i = 0; i < a.nws; i++)
        a.ws[i]->ops->event(a.ws[i], topic, data);
}

/* A reply or event changed something: show it now, not at the next tick. */
static void on_flush(void *ud)
{
    (void)ud;
    if (a.dirty)
        draw();
}

static void on_tick(void *ud)
{
    (void)ud;
    /* Screens do what they put off (a throttled reload); then the data
     * age in the dock moves once a second, and ncurses sends only the
     * digits that changed. */
    for (int i = 0; i < a.nws; i++)
        if (a.ws[i]->ops->tick)
            a.ws[i]->ops->tick(a.ws[i]);
    draw();
}

int app_run(const app_options *opt)
{
    memset(&a, 0, sizeof a);
    a.opt = opt;
    a.submenu = true;
    if (opt->login_screen) {
        a.login.active = true;
        snprintf(a.login.user, sizeof a.login.user, "%s", opt->user ? opt->user : "");
        a.login.field = a.login.user[0] ? 1 : 0;
    }
    a.ws[0] = list_screen_new(list_by_name("carriers"));
    if (!a.ws[0])
        return 1;
    a.nws = 1;
    set_escdelay(25);
    theme_open_terminal();
    cbreak();
    /* C-s saves (forms, the editor): without this the terminal takes it as
     * XOFF and freezes the screen until C-q (endwin restores the mode). */
    struct termios tio;
    if (tcgetattr(STDIN_FILENO, &tio) == 0) {
        tio.c_iflag &= ~(tcflag_t)(IXON | IXOFF);
        tcsetattr(STDIN_FILENO, TCSANOW, &tio);
    }
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    theme_apply(opt->theme);
    net_callbacks cb = { on_input, on_state, on_event, on_tick, on_flush };
    char err[256];
    draw();
    if (net_start(opt->url, opt->user, opt->password, opt->token, &cb, NULL, err, sizeof err)) {
        endwin();
        fprintf(stderr, "didtron: %s\n", err);
        a.ws[0]->ops->destroy(a.ws[0]);
        return 1;
    }
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigprocmask(SIG_BLOCK, &winch, NULL);
    winch_fd = signalfd(-1, &winch, SFD_NONBLOCK | SFD_CLOEXEC);
    if (winch_fd >= 0)
        net_watch_fd(winch_fd, on_winch, NULL);
    if (opt->script) {
        sc.fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        struct itimerspec its = { { 0, 20 * 1000000 }, { 0, 20 * 1000000 } };
        if (sc.fd >= 0 && timerfd_settime(sc.fd, 0, &its, NULL) == 0)
            net_watch_fd(sc.fd, on_script_tick, NULL);
    }
    static const char *const topics[] = { "carrier.changed", "interconnect.changed", "contact.changed",
                                          "credit_alert.changed", "service.changed", "ledger.posted",
                                          "credit.alert", "invoice.created", "invoice.voided" };
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        net_subscribe(topics[i]);
    net_run();
    if (winch_fd >= 0)
        close(winch_fd);
    if (sc.fd >= 0)
        close(sc.fd);
    endwin();
    if (sc.failure[0])
        fprintf(stderr, "didtron: %s\n", sc.failure);
    if (a.exit_code && a.toast[0])
        fprintf(stderr, "didtron: %s\n", a.toast);
    free(a.yes_ud);
    while (a.nws > 0) {
        a.nws--;
        a.ws[a.nws]->ops->destroy(a.ws[a.nws]);
    }
    return a.exit_code;
}
