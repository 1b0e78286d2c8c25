/*
 * journal_view.c: one ledger journal in a workspace tab — what was posted
 * (kind, carrier, side, amount, key, memo, reason, who, when, the FX
 * rate) above a table of its entries, each account's signed amount shown
 * in the ledger's two columns: Debit (amount > 0) and Credit (amount < 0,
 * without its sign), as the server's decimal strings. Journals never
 * change, so the view shows the list item it was opened from and never
 * asks the server again. A customer sees only its own entries of a CDR
 * batch (the server sends no others) and no reason or actor.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger_text.h"
#include "list_screen.h"
#include "screen.h"
#include "theme.h"

typedef struct {
    json_t *journal;
    table_model entries;
} journal_state;

/* Narrow screens hide columns from the right: Account, Debit and Credit
 * come first so they always show. */
static const table_column entry_cols[] = {
    { "Account", "account", 16, 3, false },
    { "Debit", "debit", 11, 1, true },
    { "Credit", "credit", 11, 1, true },
    { "Cur", "currency", 3, 0, false },
    { "USD value", "usd_value", 11, 1, true },
    { "Kind", "account_kind", 10, 1, false },
};
#define NCOLS ((int)(sizeof entry_cols / sizeof entry_cols[0]))

static void fill_entries(journal_state *st)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(st->journal, "entries"), i, e) {
        char debit[48], credit[48], b0[96], b3[32], b4[48], b5[48];
        ledger_split_amount(json_string_value(json_object_get(e, "amount")), debit, sizeof debit, credit,
                            sizeof credit);
        const char *cells[NCOLS] = {
            json_path_text(e, "account", b0, sizeof b0), debit, credit, json_path_text(e, "currency", b3, sizeof b3),
            json_path_text(e, "usd_value", b4, sizeof b4), json_path_text(e, "account_kind", b5, sizeof b5),
        };
        table_append(&st->entries, (long long)json_integer_value(json_object_get(e, "account_id")), cells);
    }
    table_set_page(&st->entries, (long long)st->entries.nrows, NULL);
}

static void draw(screen *s, rect r)
{
    journal_state *st = s->state;
    static const char *const fields[][2] = {
        { "ID", "id" }, { "Time", "created_at" }, { "Kind", "kind" }, { "Carrier", "carrier_id" },
        { "Side", "side" }, { "Key", "idempotency_key" },
        { "Amount", "amount" }, { "Currency", "currency" }, { "FX rate USD", "fx_rate_usd" }, { "Memo", "memo" },
        { "Reason", "reason" }, { "Actor", "actor" },
    };
    kv items[12];
    for (int i = 0; i < 12; i++) {
        char buf[96];
        items[i].label = fields[i][0];
        snprintf(items[i].value, sizeof items[i].value, "%s", json_path_text(st->journal, fields[i][1], buf, sizeof buf));
    }
    char title[64];
    snprintf(title, sizeof title, "Journal %lld", (long long)json_integer_value(json_object_get(st->journal, "id")));
    rect box = { r.y, r.x, 8, r.w };
    rect in = ui_box(box, title, true), half[2];
    layout_columns(in, 2, 0, 1, half); /* always side by side: six lines each */
    ui_kv(half[0], items, 6, 0);
    ui_kv(half[1], items + 6, 6, 0);
    rect rest = { r.y + 8, r.x, r.h - 8, r.w };
    table_draw(&st->entries, rest, true, "no entries (none of them are yours)");
}

static bool action(screen *s, action_id a, int h)
{
    journal_state *st = s->state;
    h -= 9; /* the header box and the table's heading */
    switch (a) {
    case ACT_UP: table_move(&st->entries, -1, h); return true;
    case ACT_DOWN: table_move(&st->entries, 1, h); return true;
    case ACT_PAGE_UP: table_move(&st->entries, -h, h); return true;
    case ACT_PAGE_DOWN: table_move(&st->entries, h, h); return true;
    case ACT_FIRST: table_select_first(&st->entries, h); return true;
    case ACT_LAST: table_select_last(&st->entries, h); return true;
    default: return false;
    }
}

static void reload(screen *s)
{
    (void)s; /* journals never change */
}

static void event(screen *s, const char *topic, json_t *data)
{
    (void)s;
    (void)topic;
    (void)data;
}

static void footer(screen *s, char *buf, size_t n)
{
    journal_state *st = s->state;
    snprintf(buf, n, "%zu entr%s · entries are debit-positive: Debit > 0, Credit < 0", st->entries.nrows,
             st->entries.nrows == 1 ? "y" : "ies");
}

static void destroy(screen *s)
{
    journal_state *st = s->state;
    json_decref(st->journal);
    table_free(&st->entries);
    free(st);
    free(s);
}

static const screen_ops ops = { draw, action, reload, event, footer, destroy, NULL, NULL };

screen *journal_view_new(json_t *journal)
{
    if (!json_is_object(journal))
        return NULL;
    screen *s = calloc(1, sizeof *s);
    journal_state *st = s ? calloc(1, sizeof *st) : NULL;
    if (!st) {
        free(s);
        return NULL;
    }
    st->journal = json_incref(journal);
    table_init(&st->entries, entry_cols, NCOLS);
    st->entries.sort_col = -1;
    fill_entries(st);
    s->ops = &ops;
    s->state = st;
    s->id = 0; /* opened fresh each time, like an audit entry */
    long long id = (long long)json_integer_value(json_object_get(journal, "id"));
    snprintf(s->title, sizeof s->title, "Journal %lld", id);
    snprintf(s->crumb, sizeof s->crumb, "Billing / Journals / %lld", id);
    return s;
}
