#include "form.h"

#include <curses.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"
#include "net.h"
#include "screen.h"
#include "theme.h"
#include "validate.h"

static json_t *lookup(json_t *record, const char *path)
{
    char part[64];
    const char *p = path;
    json_t *v = record;
    while (v && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        v = json_object_get(v, part);
        p = dot ? dot + 1 : p + n;
    }
    return v;
}

void form_init(form *f, const char *title, const char *method, const char *id_field, long long id,
               long long version, const form_field *fields, int n, json_t *record)
{
    memset(f, 0, sizeof *f);
    snprintf(f->title, sizeof f->title, "%s", title);
    f->method = method;
    f->id_field = id_field;
    f->id = id;
    f->version = version;
    f->fields = fields;
    f->nfields = n < FORM_MAX_FIELDS ? n : FORM_MAX_FIELDS;
    for (int i = 0; i < f->nfields; i++) {
        json_t *v = lookup(record, fields[i].path);
        if (json_is_string(v))
            snprintf(f->value[i], sizeof f->value[i], "%s", json_string_value(v));
        else if (json_is_integer(v))
            snprintf(f->value[i], sizeof f->value[i], "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v))
            snprintf(f->value[i], sizeof f->value[i], "%s", json_is_true(v) ? "yes" : "no");
        else if (json_is_array(v)) {
            size_t k, off = 0;
            json_t *x;
            json_array_foreach(v, k, x) {
                if (off < sizeof f->value[i])
                    off += (size_t)snprintf(f->value[i] + off, sizeof f->value[i] - off, "%s%s", k ? ", " : "",
                                            json_is_string(x) ? json_string_value(x) : "");
            }
        }
        memcpy(f->original[i], f->value[i], sizeof f->original[i]);
    }
}

void form_init_create(form *f, const char *title, const char *method, const char *owner_field, long long owner_id,
                      const form_field *fields, int n)
{
    form_init(f, title, method, owner_field, owner_id, 0, fields, n, NULL);
    f->creating = true;
    /* Choices start on their first value, so the form is valid to save. */
    for (int i = 0; i < f->nfields; i++)
        if (fields[i].kind == FIELD_ENUM && fields[i].choices && fields[i].choices[0])
            snprintf(f->value[i], sizeof f->value[i], "%s", fields[i].choices[0]);
}

/* Set path=value in obj, creating the objects on the way. */
static void put_path(json_t *obj, const char *path, json_t *value)
{
    const char *dot = strchr(path, '.');
    if (!dot) {
        json_object_set_new(obj, path, value);
        return;
    }
    char part[64];
    size_t n = (size_t)(dot - path) < sizeof part - 1 ? (size_t)(dot - path) : sizeof part - 1;
    memcpy(part, path, n);
    part[n] = '\0';
    json_t *child = json_object_get(obj, part);
    if (!child) {
        child = json_object();
        json_object_set_new(obj, part, child);
    }
    put_path(child, dot + 1, value);
}

json_t *form_params(const form *f)
{
    json_t *p = json_object();
    if (f->id_field)
        json_object_set_new(p, f->id_field, json_integer(f->id));
    if (!f->creating)
        json_object_set_new(p, "version", json_integer(f->version));
    for (int i = 0; i < f->nfields; i++) {
        if (f->creating ? !f->value[i][0] : !strcmp(f->value[i], f->original[i]))
            continue; /* only what the user changed (or filled in) */
        const form_field *d = &f->fields[i];
        json_t *v;
        if (!f->value[i][0] && d->nullable)
            v = json_null();
        else if (d->kind == FIELD_INT)
            v = json_integer(atoll(f->value[i]));
        else if (d->kind == FIELD_BOOL)
            v = json_boolean(!strcmp(f->value[i], "yes"));
        else if (d->kind == FIELD_LIST || d->kind == FIELD_IPLIST) {
            v = json_array();
            char copy[128];
            snprintf(copy, sizeof copy, "%s", f->value[i]);
            for (char *save = NULL, *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
                json_array_append_new(v, json_string(w));
        }
        else
            v = json_string(f->value[i]);
        put_path(p, d->path, v);
    }
    return p;
}

static bool has_tabs(const form *f)
{
    for (int i = 0; i < f->nfields; i++)
        if (f->fields[i].tab != FORM_GENERAL)
            return true;
    return false;
}

/* Focus field i and show its tab. */
static void focus_field(form *f, int i)
{
    f->focus = i;
    f->tab = f->fields[i].tab;
}

/* The first field with an error, shown, so a refused save never hides why. */
static void focus_first_error(form *f)
{
    for (int i = 0; i < f->nfields; i++)
        if (f->error[i][0]) {
            focus_field(f, i);
            return;
        }
}

bool form_check(form *f)
{
    bool ok = true;
    for (int i = 0; i < f->nfields; i++) {
        const char *v = f->value[i];
        f->error[i][0] = '\0';
        if (!v[0])
            continue;
        switch (f->fields[i].kind) {
        case FIELD_MONEY: {
            money_t m;
            money_status st = money_parse(v, &m);
            if (st != MONEY_OK)
                snprintf(f->error[i], sizeof f->error[i], "%s", money_status_message(st));
            break;
        }
        case FIELD_INT: {
            char *end;
            errno = 0;
            (void)strtoll(v, &end, 10);
            if (*end || errno)
                snprintf(f->error[i], sizeof f->error[i], "a whole number");
            break;
        }
        case FIELD_IPLIST: {
            char copy[128];
            snprintf(copy, sizeof copy, "%s", v);
            for (char *save = NULL, *w = strtok_r(copy, ", ", &save); w; w = strtok_r(NULL, ", ", &save))
                if (!valid_ip_or_cidr(w)) {
                    snprintf(f->error[i], sizeof f->error[i], "%.60s is not an IP address or CIDR", w);
                    break;
                }
            break;
        }
        default: break;
        }
        if (f->error[i][0])
            ok = false;
    }
    if (!ok) {
        snprintf(f->message, sizeof f->message, "fix the marked fields");
        focus_first_error(f);
    }
    return ok;
}

static form *saving_form; /* the one modal form, while a save is in flight */
static form *fetching_form; /* the one modal form, while its record is read back after a conflict */

static void value_text(json_t *v, char *buf, size_t n)
{
    if (json_is_string(v))
        snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(buf, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(buf, n, "%s", json_is_true(v) ? "yes" : "no");
    else
        buf[0] = '\0';
}

/* The record as the other editor left it: show their value beside each
 * field where it differs from what this form holds. */
static void fetched(void *ud, json_t *result, json_t *error)
{
    form *f = ud;
    if (f != fetching_form)
        return;
    fetching_form = NULL;
    app_dirty();
    if (error)
        return;
    json_t *root = f->root ? json_object_get(result, f->root) : result;
    for (int i = 0; i < f->nfields; i++) {
        char now[128];
        value_text(lookup(root, f->fields[i].path), now, sizeof now);
        if (strcmp(now, f->value[i]))
            snprintf(f->theirs[i], sizeof f->theirs[i], "%s", now[0] ? now : "(empty)");
        else
            f->theirs[i][0] = '\0';
    }
}

static void saved(void *ud, json_t *result, json_t *error)
{
    form *f = ud;
    if (f != saving_form)
        return; /* closed meanwhile */
    saving_form = NULL;
    f->saving = false;
    app_dirty();
    for (int i = 0; i < f->nfields; i++)
        f->error[i][0] = '\0';
    f->message[0] = '\0';
    if (!error) {
        (void)result;
        app_toast("saved");
        app_close_form(f);
        if (f->done)
            f->done(f->ud);
        return;
    }
    long long code = (long long)json_integer_value(json_object_get(error, "code"));
    json_t *data = json_object_get(error, "data");
    if (code == -32602) {
        size_t k;
        json_t *fe;
        json_array_foreach(json_object_get(data, "fields"), k, fe) {
            const char *path = json_string_value(json_object_get(fe, "field"));
            const char *msg = json_string_value(json_object_get(fe, "message"));
            bool placed = false;
            for (int i = 0; i < f->nfields && path; i++)
                if (!strcmp(f->fields[i].path, path)) {
                    snprintf(f->error[i], sizeof f->error[i], "%s", msg ? msg : "invalid");
                    placed = true;
                }
            if (!placed)
                snprintf(f->message, sizeof f->message, "%s: %s", path ? path : "?", msg ? msg : "invalid");
        }
        if (!f->message[0])
            snprintf(f->message, sizeof f->message, "fix the marked fields");
        focus_first_error(f);
    } else if (code == -32009 && json_is_integer(json_object_get(data, "current_version"))) {
        /* Someone else saved first. Show their values beside ours; F2 now
         * saves ours over theirs (only the fields this form changed). */
        f->version = (long long)json_integer_value(json_object_get(data, "current_version"));
        snprintf(f->message, sizeof f->message,
                 "someone else saved this record (version %lld): their values are in [ ]; F2 saves yours, Esc drops",
                 f->version);
        if (f->get_method) {
            fetching_form = f;
            json_t *p = json_object();
            json_object_set_new(p, f->id_field, json_integer(f->id));
            net_call(f->get_method, p, fetched, f);
        }
    } else {
        snprintf(f->message, sizeof f->message, "%s", json_string_value(json_object_get(error, "message")));
    }
}

static const char *const yes_no[] = { "yes", "no", NULL };

static void cycle(form *f, int dir)
{
    const form_field *fd = &f->fields[f->focus];
    form_field as_enum = *fd;
    if (fd->kind == FIELD_BOOL)
        as_enum.choices = yes_no;
    const form_field *d = &as_enum;
    if ((fd->kind != FIELD_ENUM && fd->kind != FIELD_BOOL) || !d->choices)
        return;
    int n = 0, cur = -1;
    while (d->choices[n]) {
        if (!strcmp(d->choices[n], f->value[f->focus]))
            cur = n;
        n++;
    }
    if (!n)
        return;
    cur = ((cur < 0 ? 0 : cur) + dir + n) % n;
    snprintf(f->value[f->focus], sizeof f->value[f->focus], "%s", d->choices[cur]);
}

bool form_key(form *f, const keymap *k, int ch)
{
    action_id a = keymap_lookup(k, CTX_FORM, ch);
    char *v = f->value[f->focus];
    size_t len = strlen(v);
    app_dirty();
    switch (a) {
    case ACT_BACK:
        if (saving_form == f)
            saving_form = NULL;
        if (fetching_form == f)
            fetching_form = NULL;
        return false;
    case ACT_SAVE:
        if (f->submit && !f->saving && form_check(f)) {
            if (!f->submit(f, form_params(f)))
                return true; /* the message says why */
            app_close_form(f);
            return false;
        }
        if (!f->saving && form_check(f)) {
            f->saving = true;
            saving_form = f;
            net_call(f->method, form_params(f), saved, f);
        }
        return true;
    case ACT_NEXT_PANE:
    case ACT_DOWN:
    case ACT_PREV_PANE:
    case ACT_UP: {
        /* Within the shown tab, wrapping. */
        int dir = a == ACT_NEXT_PANE || a == ACT_DOWN ? 1 : -1;
        for (int step = 1; step <= f->nfields; step++) {
            int i = ((f->focus + dir * step) % f->nfields + f->nfields) % f->nfields;
            if (f->fields[i].tab == f->tab) {
                f->focus = i;
                break;
            }
        }
        return true;
    }
    case ACT_NEXT_TAB:
    case ACT_PREV_TAB: {
        int dir = a == ACT_NEXT_TAB ? 1 : -1;
        for (int step = 1; step < FORM_NTABS; step++) {
            int t = ((f->tab + dir * step) % FORM_NTABS + FORM_NTABS) % FORM_NTABS;
            for (int i = 0; i < f->nfields; i++)
                if (f->fields[i].tab == t) {
                    focus_field(f, i);
                    return true;
                }
        }
        return true;
    }
    case ACT_LEFT: cycle(f, -1); return true;
    case ACT_RIGHT: cycle(f, 1); return true;
    default: break;
    }
    if (f->fields[f->focus].kind == FIELD_ENUM || f->fields[f->focus].kind == FIELD_BOOL) {
        if (ch == ' ')
            cycle(f, 1);
        return true;
    }
    if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        while (len > 0 && ((unsigned char)v[len - 1] & 0xC0) == 0x80)
            len--;
        if (len > 0)
            v[len - 1] = '\0';
        else
            v[0] = '\0';
        return true;
    }
    if (ch >= 32 && ch < 256 && len + 1 < sizeof f->value[0]) {
        v[len] = (char)ch;
        v[len + 1] = '\0';
    }
    return true;
}

static const char *const tab_names[FORM_NTABS] = { "GENERAL", "ADVANCED", "ASSIGNMENT" };

void form_draw(form *f, rect content)
{
    bool tabs = has_tabs(f);
    int shown[FORM_MAX_FIELDS], nshown = 0, focus_row = 0;
    for (int i = 0; i < f->nfields; i++)
        if (!tabs || f->fields[i].tab == f->tab) {
            if (i == f->focus)
                focus_row = nshown;
            shown[nshown++] = i;
        }
    int h = nshown + 5 + (tabs ? 2 : 0), w = content.w < 76 ? content.w : 76;
    rect box = { content.y + 1, content.x + (content.w - w) / 2, h < content.h - 1 ? h : content.h - 1, w };
    rect in = ui_box(box, f->title, true);
    for (int y = 0; y < in.h; y++)
        ui_put(in.y + y, in.x, in.w, STYLE_NORMAL, "");
    int top = in.y;
    if (tabs) {
        /* Only tabs with fields; one holding a field error is marked, so
         * it is found without colour. */
        char names[FORM_NTABS][24];
        const char *ptr[FORM_NTABS];
        int ntabs = 0, active = 0;
        for (int t = 0; t < FORM_NTABS; t++) {
            bool used = false, bad = false;
            for (int i = 0; i < f->nfields; i++)
                if (f->fields[i].tab == t) {
                    used = true;
                    bad |= f->error[i][0] != '\0';
                }
            if (!used)
                continue;
            if (t == f->tab)
                active = ntabs;
            snprintf(names[ntabs], sizeof names[ntabs], "%s%s", tab_names[t], bad ? " !" : "");
            ptr[ntabs] = names[ntabs];
            ntabs++;
        }
        ui_tabs(top, in.x, in.w, ptr, ntabs, active);
        top += 2;
    }
    int rows = in.y + in.h - 2 - top; /* lines for fields */
    int skip = focus_row >= rows ? focus_row - rows + 1 : 0;
    int label_w = 20;
    for (int r = 0; r + skip < nshown && r < rows; r++) {
        int i = shown[r + skip];
        int y = top + r;
        const form_field *d = &f->fields[i];
        bool dirty = strcmp(f->value[i], f->original[i]) != 0;
        char label[40], text[160];
        snprintf(label, sizeof label, "%s%s", dirty ? "*" : " ", d->label);
        ui_put(y, in.x, label_w, i == f->focus ? STYLE_ACCENT : STYLE_MUTED, label);
        if (d->kind == FIELD_ENUM || d->kind == FIELD_BOOL)
            snprintf(text, sizeof text, "< %s >", f->value[i][0] ? f->value[i] : "-");
        else if (d->kind == FIELD_SECRET) {
            size_t len = strlen(f->value[i]);
            memset(text, '*', len < 60 ? len : 60);
            snprintf(text + (len < 60 ? len : 60), sizeof text - 60, "%s", i == f->focus ? "_" : "");
        } else
            snprintf(text, sizeof text, "%s%s", f->value[i], i == f->focus ? "_" : "");
        int vw = in.w - label_w;
        if (f->theirs[i][0] && !f->error[i][0]) {
            char with_theirs[300];
            snprintf(with_theirs, sizeof with_theirs, "%-18s [%s]", text, f->theirs[i]);
            ui_put(y, in.x + label_w, vw, STYLE_ACCENT, with_theirs);
            continue;
        }
        if (f->error[i][0]) {
            char with_error[300];
            snprintf(with_error, sizeof with_error, "%-18s ! %s", text, f->error[i]);
            ui_put(y, in.x + label_w, vw, STYLE_BAD, with_error);
        } else {
            ui_put(y, in.x + label_w, vw, i == f->focus ? STYLE_SELECTED : STYLE_NORMAL, text);
        }
    }
    ui_put(in.y + in.h - 2, in.x + 1, in.w - 2, STYLE_BAD, f->message);
    ui_put(in.y + in.h - 1, in.x + 1, in.w - 2, STYLE_MUTED,
           f->saving ? "saving…"
           : tabs ? "[F2 Save] [Esc Cancel] [Tab Next] [PgUp/PgDn tabs] [Left/Right choose] *=changed"
                  : "[F2 Save] [Esc Cancel] [Tab Next] [Left/Right choose]  * = changed");
}
