/*
 * app.c: the frame, the carriers list screen and the key loop.
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
#include <time.h>
#include <unistd.h>

#include "layout.h"
#include "net.h"
#include "table_model.h"

typedef enum { INPUT_NONE, INPUT_FILTER, INPUT_COMMAND } input_mode;

static const table_column carrier_columns[] = {
    { "Name", "name", 16, 4, false },
    { "Type", "type", 9, 0, false },
    { "Status", "status", 9, 0, false },
    { "Cur", "currency", 4, 0, false },
    { "Credit", "credit_type", 8, 0, false },
    { "Limit", "credit_limit", 12, 1, true },
    { "Account manager", "account_manager", 15, 2, false },
};
#define NCOLS ((int)(sizeof carrier_columns / sizeof carrier_columns[0]))

static struct {
    const app_options *opt;
    layout lay;
    bool dirty, quit, help, submenu;
    int exit_code;
    net_state conn;
    char conn_detail[128];
    input_mode input;
    char inbuf[128];
    size_t inlen;
    char toast[160];
    time_t toast_until;
    table_model carriers;
    bool loading;
    time_t loaded_at;
    unsigned generation;  /* replies for an older load are ignored */
} a;

static void toast(const char *msg)
{
    snprintf(a.toast, sizeof a.toast, "%s", msg);
    a.toast_until = time(NULL) + 4;
    a.dirty = true;
}

/* ---- the carriers list ---- */

static const char *cell_text(json_t *item, const char *field, char *buf, size_t n)
{
    json_t *v = NULL;
    if (!strcmp(field, "currency"))
        v = json_array_get(json_object_get(item, "currencies"), 0);
    else if (!strcmp(field, "credit_type") || !strcmp(field, "credit_limit"))
        v = json_object_get(json_object_get(json_object_get(item, "credit"), "customer"), field);
    else
        v = json_object_get(item, field);
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    return "";
}

static void carriers_load(bool more);

static void carriers_reply(void *ud, json_t *result, json_t *error)
{
    unsigned gen = (unsigned)(uintptr_t)ud;
    if (gen != a.generation)
        return;
    a.loading = false;
    a.dirty = true;
    if (error) {
        char msg[160];
        snprintf(msg, sizeof msg, "carriers: %s", json_string_value(json_object_get(error, "message")));
        toast(msg);
        return;
    }
    size_t i;
    json_t *item;
    json_array_foreach(json_object_get(result, "items"), i, item) {
        char bufs[NCOLS][32];
        const char *cells[NCOLS];
        for (int c = 0; c < NCOLS; c++)
            cells[c] = cell_text(item, carrier_columns[c].field, bufs[c], sizeof bufs[c]);
        table_append(&a.carriers, (long long)json_integer_value(json_object_get(item, "id")), cells);
    }
    json_t *cur = json_object_get(result, "next_cursor");
    table_set_page(&a.carriers, (long long)json_integer_value(json_object_get(result, "total")),
                   json_is_string(cur) ? json_string_value(cur) : NULL);
    a.loaded_at = time(NULL);
}

static void carriers_load(bool more)
{
    if (more && (!a.carriers.next_cursor || a.loading))
        return;
    json_t *p = json_pack("{s:i}", "limit", 100);
    if (a.carriers.sort_col >= 0) {
        char sort[64];
        snprintf(sort, sizeof sort, "%s%s", a.carriers.sort_desc ? "-" : "",
                 carrier_columns[a.carriers.sort_col].field);
        json_object_set_new(p, "sort", json_string(sort));
    }
    if (a.carriers.filter[0])
        json_object_set_new(p, "filter", json_pack("{s:s}", "q", a.carriers.filter));
    if (more) {
        json_object_set_new(p, "cursor", json_string(a.carriers.next_cursor));
    } else {
        table_clear(&a.carriers);
        a.generation++;
    }
    a.loading = true;
    net_call("carrier.list", p, carriers_reply, (void *)(uintptr_t)a.generation);
    a.dirty = true;
}

/* ---- drawing ---- */

static void put(int y, int x, int width, style st, const char *text)
{
    if (width <= 0)
        return;
    char buf[1024];
    int w = utf8_fit(text, width, theme_glyphs()->utf8, buf, sizeof buf);
    attrset(theme_attr(st));
    mvaddstr(y, x, buf);
    for (int i = w; i < width; i++)
        addch(' ');
    attrset(theme_attr(STYLE_NORMAL));
}

static void draw_header(void)
{
    rect r = a.lay.header;
    const glyphs *g = theme_glyphs();
    const char *user = json_string_value(json_object_get(net_user(), "username"));
    const char *role = json_string_value(json_object_get(net_user(), "role"));
    char right[160], left[160];
    const char *state = a.conn == NET_READY ? "connected" : a.conn == NET_RECONNECTING ? "reconnecting"
                      : a.conn == NET_AUTH_FAILED ? "logged out" : "connecting";
    snprintf(left, sizeof left, " DIDTron  Carriers %s List", g->arrow);
    snprintf(right, sizeof right, "%s %s   %s   %s%s%s%s ", a.conn == NET_READY ? g->dot_on : g->dot_off, state,
             theme_name(a.opt->theme), user ? user : "-", role ? " (" : "", role ? role : "", role ? ")" : "");
    put(r.y, r.x, r.w, STYLE_HEADER, left);
    int rw = utf8_width(right);
    if (rw < r.w - 30)
        put(r.y, r.x + r.w - rw, rw, STYLE_HEADER, right);
    if (a.opt->read_only && r.w > 70)
        put(r.y, r.x + r.w / 2 - 6, 11, STYLE_HEADER, "[read-only]");
}

static void draw_tabs(void)
{
    rect r = a.lay.tabs;
    put(r.y, r.x, r.w, STYLE_NORMAL, "");
    put(r.y, r.x + 1, 14, STYLE_ACCENT, "[ Carriers ]");
}

static void draw_rail(void)
{
    static const char *const icons_utf8[] = { "☎", "⚠", "$", "✉", "⚙" };
    static const char *const icons_ascii[] = { "C", "!", "$", "@", "*" };
    rect r = a.lay.rail;
    const glyphs *g = theme_glyphs();
    for (int y = 0; y < r.h; y++) {
        char cell[16];
        const char *icon = y < 5 ? (g->utf8 ? icons_utf8[y] : icons_ascii[y]) : "";
        snprintf(cell, sizeof cell, " %s", icon);
        put(r.y + y, r.x, r.w - 1, y == 0 ? STYLE_ACCENT : STYLE_MUTED, cell);
        put(r.y + y, r.x + r.w - 1, 1, STYLE_MUTED, g->vline);
    }
    rect s = a.lay.submenu;
    if (s.w <= 0)
        return;
    for (int y = 0; y < s.h; y++) {
        const char *text = y == 0 ? " CARRIERS" : y == 1 ? (g->utf8 ? " › Carriers" : " > Carriers") : "";
        put(s.y + y, s.x, s.w - 1, y == 0 ? STYLE_TITLE : y == 1 ? STYLE_ACCENT : STYLE_NORMAL, text);
        put(s.y + y, s.x + s.w - 1, 1, STYLE_MUTED, g->vline);
    }
}

static void draw_table(rect r)
{
    table_model *t = &a.carriers;
    int widths[NCOLS], mins[NCOLS], weights[NCOLS];
    for (int c = 0; c < NCOLS; c++) {
        mins[c] = carrier_columns[c].min_width;
        weights[c] = carrier_columns[c].weight;
    }
    layout_table_columns(r.w - 2, NCOLS, mins, weights, widths);
    /* title row */
    put(r.y, r.x, r.w, STYLE_NORMAL, "");
    int x = r.x + 1;
    for (int c = 0; c < NCOLS; c++) {
        if (!widths[c])
            continue;
        char title[64];
        snprintf(title, sizeof title, "%s%s", carrier_columns[c].title,
                 c == t->sort_col ? (t->sort_desc ? (theme_glyphs()->utf8 ? " ▼" : " v")
                                                  : (theme_glyphs()->utf8 ? " ▲" : " ^")) : "");
        put(r.y, x, widths[c], STYLE_TITLE, title);
        x += widths[c] + 1;
    }
    int height = r.h - 1;
    if (t->nrows == 0) {
        put(r.y + 2, r.x + 2, r.w - 4, STYLE_MUTED,
            a.loading ? "loading…" : a.conn == NET_READY ? "no carriers match" : "waiting for the server");
    }
    for (int i = 0; i < height; i++) {
        size_t row = t->top + (size_t)i;
        int y = r.y + 1 + i;
        if (row >= t->nrows) {
            if (t->nrows)
                put(y, r.x, r.w, STYLE_NORMAL, "");
            continue;
        }
        bool sel = row == t->selected;
        style st = sel ? STYLE_SELECTED : STYLE_NORMAL;
        put(y, r.x, r.w, st, sel ? (theme_glyphs()->utf8 ? "▌" : ">") : " ");
        x = r.x + 1;
        for (int c = 0; c < NCOLS; c++) {
            if (!widths[c])
                continue;
            const char *text = t->rows[row].cells[c];
            if (carrier_columns[c].right_align) {
                int w = utf8_width(text);
                if (w < widths[c])
                    put(y, x, widths[c] - w, st, "");
                put(y, x + (w < widths[c] ? widths[c] - w : 0), w < widths[c] ? w : widths[c], st, text);
            } else {
                put(y, x, widths[c], st, text);
            }
            if (c < NCOLS - 1)
                put(y, x + widths[c], 1, st, " ");
            x += widths[c] + 1;
        }
    }
}

static void draw_dock(void)
{
    rect r = a.lay.dock;
    char left[256];
    if (a.input != INPUT_NONE) {
        snprintf(left, sizeof left, "%s%s_", a.input == INPUT_FILTER ? "/" : ":", a.inbuf);
        put(r.y, r.x, r.w, STYLE_ACCENT, left);
        return;
    }
    if (a.toast[0] && time(NULL) < a.toast_until) {
        put(r.y, r.x, r.w, STYLE_BAD, a.toast);
        return;
    }
    char foot[192];
    table_footer(&a.carriers, theme_glyphs()->utf8, foot, sizeof foot);
    long age = a.loaded_at ? (long)(time(NULL) - a.loaded_at) : -1;
    if (age >= 0)
        snprintf(left, sizeof left, " %s %s %lds ago", foot, theme_glyphs()->utf8 ? "·" : "|", age);
    else
        snprintf(left, sizeof left, " %s", foot);
    const char *hints = a.opt->read_only ? "[Enter Open] [/ Filter] [s Sort] [: Cmd] [? Help] "
                                         : "[Enter Open] [/ Filter] [s Sort] [: Cmd] [? Help] [C-q Quit] ";
    int hw = utf8_width(hints);
    put(r.y, r.x, r.w, STYLE_NORMAL, left);
    if (utf8_width(left) + hw < r.w)
        put(r.y, r.x + r.w - hw, hw, STYLE_MUTED, hints);
}

static void draw_help(rect r)
{
    int y = r.y + 1;
    put(y++, r.x + 2, r.w - 4, STYLE_TITLE, "Keys (Esc closes)");
    static const key_context ctxs[] = { CTX_TABLE, CTX_GLOBAL };
    for (size_t k = 0; k < 2; k++) {
        for (int i = 0; i < ACT_COUNT && y < r.y + r.h - 1; i++) {
            int keys[4];
            size_t nk = keymap_keys_for(a.opt->keys, ctxs[k], (action_id)i, keys, 4);
            if (!nk)
                continue;
            char line[200], kb[16];
            size_t off = 0;
            for (size_t j = 0; j < nk && off < 40; j++)
                off += (size_t)snprintf(line + off, sizeof line - off, "%s%s", j ? " " : "", keymap_key_name(keys[j], kb, sizeof kb));
            snprintf(line + off, sizeof line - off, "%*s%s", (int)(18 - (off < 18 ? off : 17)), "", action_help((action_id)i));
            put(y++, r.x + 2, r.w - 4, STYLE_NORMAL, line);
        }
    }
}

static void draw(void)
{
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    layout_compute(rows, cols, a.submenu, &a.lay);
    erase();
    if (a.lay.too_small) {
        char msg[64];
        snprintf(msg, sizeof msg, "terminal too small: need 80x24 (now %dx%d)", cols, rows);
        mvaddnstr(rows / 2, 0, msg, cols);
    } else {
        draw_header();
        draw_tabs();
        draw_rail();
        if (a.help)
            draw_help(a.lay.content);
        else
            draw_table(a.lay.content);
        draw_dock();
    }
    refresh();
    a.dirty = false;
}

/* ---- actions ---- */

static int table_height(void)
{
    return a.lay.content.h - 1;
}

static void run_command(const char *cmd)
{
    if (!strcmp(cmd, "q") || !strcmp(cmd, "quit")) {
        a.quit = true;
    } else if (!strcmp(cmd, "carriers")) {
        carriers_load(false);
    } else if (!strncmp(cmd, "theme ", 6)) {
        theme_kind k;
        if (theme_parse(cmd + 6, &k)) {
            ((app_options *)a.opt)->theme = k;
            theme_apply(k);
        } else {
            toast("themes: dark, light, system");
        }
    } else if (cmd[0]) {
        char msg[160];
        snprintf(msg, sizeof msg, "unknown command \"%.100s\" (try :carriers, :theme light, :q)", cmd);
        toast(msg);
    }
}

static void act(action_id act)
{
    int h = table_height();
    if ((action_flags(act) & (ACTION_EDITS | ACTION_DANGEROUS)) && a.opt->read_only) {
        toast("read-only mode: changes are disabled");
        return;
    }
    switch (act) {
    case ACT_QUIT: a.quit = true; break;
    case ACT_HELP: a.help = !a.help; break;
    case ACT_BACK: a.help = false; break;
    case ACT_COMMAND: a.input = INPUT_COMMAND; a.inlen = 0; a.inbuf[0] = '\0'; break;
    case ACT_FILTER:
        a.input = INPUT_FILTER;
        snprintf(a.inbuf, sizeof a.inbuf, "%s", a.carriers.filter);
        a.inlen = strlen(a.inbuf);
        break;
    case ACT_UP: table_move(&a.carriers, -1, h); break;
    case ACT_DOWN: table_move(&a.carriers, 1, h); break;
    case ACT_PAGE_UP: table_move(&a.carriers, -h, h); break;
    case ACT_PAGE_DOWN: table_move(&a.carriers, h, h); break;
    case ACT_FIRST: table_select_first(&a.carriers, h); break;
    case ACT_LAST: table_select_last(&a.carriers, h); break;
    case ACT_REFRESH: carriers_load(false); break;
    case ACT_TOGGLE_MENU: a.submenu = !a.submenu; break;
    case ACT_SORT: {
        char buf[64];
        int col = a.carriers.sort_col < 0 ? 0 : a.carriers.sort_col;
        table_sort_by(&a.carriers, col, buf, sizeof buf);
        carriers_load(false);
        break;
    }
    case ACT_NEXT_TAB:
    case ACT_RIGHT: {
        char buf[64];
        int col = (a.carriers.sort_col + 1) % NCOLS;
        table_sort_by(&a.carriers, col, buf, sizeof buf);
        carriers_load(false);
        break;
    }
    case ACT_THEME: {
        theme_kind k = (theme_kind)((a.opt->theme + 1) % 3);
        ((app_options *)a.opt)->theme = k;
        theme_apply(k);
        break;
    }
    case ACT_OPEN: {
        const table_row *row = table_selected(&a.carriers);
        if (row) {
            char msg[160];
            snprintf(msg, sizeof msg, "carrier detail for %.100s comes with the next console slice", row->cells[0]);
            toast(msg);
        }
        break;
    }
    default: break;
    }
    if (table_wants_more(&a.carriers, h))
        carriers_load(true);
    a.dirty = true;
}

static void input_key(int ch)
{
    if (ch == 27) {
        a.input = INPUT_NONE;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        input_mode m = a.input;
        a.input = INPUT_NONE;
        if (m == INPUT_FILTER) {
            snprintf(a.carriers.filter, sizeof a.carriers.filter, "%s", a.inbuf);
            carriers_load(false);
        } else {
            run_command(a.inbuf);
        }
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

static void on_input(void *ud)
{
    (void)ud;
    int ch;
    while ((ch = getch()) != ERR) {
        if (ch == KEY_RESIZE) {
            a.dirty = true;
            continue;
        }
        if (ch == 27) { /* Esc, or Alt-x as Esc followed by x */
            nodelay(stdscr, TRUE);
            int next = getch();
            if (next >= 32 && next < 127 && a.input == INPUT_NONE)
                ch = KEY_ALT(next);
            else if (next != ERR)
                ungetch(next);
        }
        if (a.input != INPUT_NONE) {
            input_key(ch);
            continue;
        }
        action_id act_id = keymap_lookup(a.opt->keys, a.help ? CTX_DIALOG : CTX_TABLE, ch);
        if (act_id != ACT_COUNT)
            act(act_id);
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
    snprintf(a.conn_detail, sizeof a.conn_detail, "%s", detail ? detail : "");
    if (st == NET_READY) {
        save_token();
        carriers_load(false);
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
    (void)data;
    if (!strcmp(topic, "carrier.changed"))
        carriers_load(false);
}

static void on_tick(void *ud)
{
    (void)ud;
    /* The data age in the dock moves once a second; ncurses sends only the
     * digits that changed. */
    draw();
}

int app_run(const app_options *opt)
{
    memset(&a, 0, sizeof a);
    a.opt = opt;
    a.submenu = true;
    table_init(&a.carriers, carrier_columns, NCOLS);
    a.carriers.sort_col = 0;
    set_escdelay(25);
    initscr();
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    curs_set(0);
    theme_apply(opt->theme);
    net_callbacks cb = { on_input, on_state, on_event, on_tick };
    char err[256];
    draw();
    if (net_start(opt->url, opt->user, opt->password, opt->token, &cb, NULL, err, sizeof err)) {
        endwin();
        fprintf(stderr, "didtron: %s\n", err);
        table_free(&a.carriers);
        return 1;
    }
    sigset_t winch;
    sigemptyset(&winch);
    sigaddset(&winch, SIGWINCH);
    sigprocmask(SIG_BLOCK, &winch, NULL);
    winch_fd = signalfd(-1, &winch, SFD_NONBLOCK | SFD_CLOEXEC);
    if (winch_fd >= 0)
        net_watch_fd(winch_fd, on_winch, NULL);
    net_subscribe("carrier.changed");
    net_run();
    if (winch_fd >= 0)
        close(winch_fd);
    endwin();
    if (a.exit_code && a.toast[0])
        fprintf(stderr, "didtron: %s\n", a.toast);
    table_free(&a.carriers);
    return a.exit_code;
}
