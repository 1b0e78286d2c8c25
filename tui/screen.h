/*
 * screen: what a workspace tab shows. Each screen is a struct of function
 * pointers over its own state (sngrep's panels, htop's Panel): the app
 * draws the frame and hands the content rectangle to the active screen,
 * passes it the actions it does not handle itself, and tells it when the
 * connection is ready again (reload) and when an event arrives.
 */
#ifndef DIDTRON_TUI_SCREEN_H
#define DIDTRON_TUI_SCREEN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "keymap.h"
#include "layout.h"
#include "table_model.h"

typedef struct screen screen;

typedef struct {
    void (*draw)(screen *s, rect r);
    /* true when the screen handled the action */
    bool (*action)(screen *s, action_id a, int page_height);
    void (*reload)(screen *s);                 /* the connection is (again) ready */
    void (*event)(screen *s, const char *topic, json_t *data);
    void (*footer)(screen *s, char *buf, size_t n);
    void (*destroy)(screen *s);
    /* Optional: the "/" search of a list screen. */
    void (*filter)(screen *s, const char *text);
    const char *(*filter_text)(screen *s);
    /* Optional: once a second (the 1 Hz tick), for work a screen put off
     * (a throttled reload). */
    void (*tick)(screen *s);
    /* Optional: raw keys before any keymap (an open editor types into
     * itself); true when the key was used. Use designated initialisers
     * from here on. */
    bool (*key)(screen *s, const keymap *k, int ch);
    /* Optional: the screen's own key context (CTX_TICKET), looked up
     * before table; its bindings win over table's while it is shown. */
    key_context (*context)(screen *s);
} screen_ops;

struct screen {
    const screen_ops *ops;
    char title[48];       /* workspace tab text */
    char crumb[96];       /* header breadcrumb */
    long long id;         /* the record it shows (0 for lists) */
    void *state;
    unsigned generation;  /* of its latest load (screen_new_load) */
    screen *owner;        /* the workspace tab it is drawn in, when embedded */
};

/* The one way a screen asks the server: fn(s, part, result, error) runs
 * only while s (or its owner) is still a workspace tab and no newer load
 * of s began (a late reply, even for a screen whose memory a new one now
 * uses, is dropped). part tells the screen's requests apart. */
typedef void (*screen_reply_fn)(screen *s, int part, json_t *result, json_t *error);
void screen_call(screen *s, const char *method, json_t *params, screen_reply_fn fn, int part);
/* Begin a new load of s: replies to earlier calls are dropped from now. */
void screen_new_load(screen *s);
/* A failed call as a screen's note: "<what>: not available on this
 * server yet" when the server lacks the method (-32601), else
 * "<what>: <the error's message>". */
void ui_error_note(json_t *error, const char *what, char *buf, size_t n);

/* Hooks the app gives screens. */
/* Is s still a workspace tab? (A reply for a closed screen is dropped.) */
bool app_screen_open(const screen *s);
void app_dirty(void);
void app_toast(const char *msg);
/* Show a modal form (owned by the screen) until it closes; keys go to it. */
struct form;
void app_open_form(struct form *f);
void app_close_form(struct form *f);
/* Open (or focus) a carrier detail tab. */
void app_open_carrier(long long id, const char *name);

/* Screens (lists: list_screen.h). */
screen *carrier_detail_new(long long id, const char *name);

/* The table widget: draw a model with its columns into r; a selection
 * marker on the selected row when focused. */
void table_draw(const table_model *t, rect r, bool focused, const char *empty_text);
/* Put text at (y, x) cut to width columns (ellipsis), padding with blanks. */
void ui_put(int y, int x, int width, int style_id, const char *text);
/* Label/value lines, drawn from line `skip` on ("-" for empty values). */
typedef struct {
    const char *label;
    char value[96];
} kv;
void ui_kv(rect in, const kv *items, int n, int skip);
/* The same with a style per value (styles[k] for items[k]; NULL: all
 * STYLE_NORMAL), e.g. an error value that must stand out. */
void ui_kv_styled(rect in, const kv *items, int n, int skip, const int *styles);
/* Tab ids (screen.id) of record screens, so a record opens once: carriers
 * are their id, interconnects its negative, rating plans below these. */
#define TAB_ID_DECK(id) (-(1000000000000LL + (id)))
#define TAB_ID_JOURNALS(carrier) (-(2000000000000LL + (carrier)))
#define TAB_ID_STATEMENT(carrier) (-(3000000000000LL + (carrier)))
#define TAB_ID_INVOICE(id) (-(4000000000000LL + (id)))
/* A rating plan's deck (rates, import, quote). */
screen *deck_view_new(long long id, const char *name);
void app_open_deck(long long id, const char *name);
/* One CDR with both sides and the margin (opened fresh each time). */
screen *cdr_view_new(const char *id);
/* Open an interconnect detail tab. */
void app_open_interconnect(long long id, const char *name);
screen *interconnect_detail_new(long long id, const char *name);
/* An audit row with the diff of its before and after. */
screen *audit_view_new(json_t *row);
/* A ledger journal (a ledger.journal.list item, borrowed) with its
 * entries as Debit / Credit (journals never change, so no reload). */
screen *journal_view_new(json_t *journal);
/* A carrier side's statement of account (ledger.statement as text),
 * month by month; type is the carrier's ("bilateral" lets s switch the
 * side), tz its time zone (which month is "this month"). */
screen *statement_view_new(long long carrier_id, const char *name, const char *type, const char *tz);
/* An issued document (invoice.get as text) in the same viewer. */
screen *invoice_view_new(long long id, const char *number);
/* Show s in a new workspace tab (and load it). A screen with an id (one
 * of the TAB_ID_ kinds) opens once: when a tab with that id is open, it
 * is shown instead and s is destroyed. */
void app_open_screen(screen *s);
/* Ask a yes/no question in a dialog; yes(ud) runs on "y". ud is freed with
 * free() afterwards either way (pass NULL when there is nothing to free). */
void app_confirm(const char *question, void (*yes)(void *ud), void *ud);
/* A row of content tabs, the active one bracketed and accented. */
void ui_tabs(int y, int x, int w, const char *const *names, int n, int active);
/* The terminal's text as UTF-8 lines, trailing blanks cut (save-screen,
 * --script's wait and save). 0, or -1 on a write error. */
int ui_screen_text(FILE *out);
/* A box with a title; returns the inside. */
rect ui_box(rect r, const char *title, bool focused);
/* The scroll keys of a text pane `height` rows high over nlines lines: up,
 * down, page up/down (height - 1 lines, at least 1), first, last move
 * *scroll; true when a is one of them. The pane's draw clamps *scroll. */
bool ui_scroll_key(action_id a, int *scroll, int height, int nlines);
/* Keep *scroll of such a pane within 0 .. nlines - height (0 when the
 * text fits). */
void ui_scroll_clamp(int *scroll, int height, int nlines);

#endif
