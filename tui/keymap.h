/*
 * keymap: keys -> action names, per context.
 *
 * Every action is listed once in actions.def. Keymap files are plain text,
 * one directive a line:
 *     bind <context> <key> <action>
 *     unbind <context> <key>
 *     # comment
 * Contexts: global, table, form, rail, dialog, and ticket and job (the
 * verbs of one screen, tried before table). A lookup tries the given
 * context, then global. Files load in order (default, then the user's
 * override file), a later binding replacing an earlier one for the same
 * context and key, so user bindings always win. Pure C: no ncurses calls
 * (key codes are ncurses' KEY_* values plus our own encodings below).
 */
#ifndef DIDTRON_KEYMAP_H
#define DIDTRON_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
#define ACTION(id, name, flags, help) ACT_##id,
#include "actions.def"
#undef ACTION
    ACT_COUNT, /* also "no action" */
} action_id;

#define ACTION_DANGEROUS 1u
#define ACTION_EDITS 2u

const char *action_name(action_id a);
const char *action_help(action_id a);
unsigned action_flags(action_id a);
/* ACT_COUNT when the name is unknown. */
action_id action_by_name(const char *name);

/* CTX_TICKET and CTX_JOB: the verbs of one record screen (a ticket, a
 * job), looked up before table while that screen is shown. */
typedef enum { CTX_GLOBAL, CTX_TABLE, CTX_FORM, CTX_RAIL, CTX_DIALOG, CTX_TICKET, CTX_JOB, CTX_COUNT } key_context;
const char *context_name(key_context c);
/* CTX_COUNT when unknown. */
key_context context_by_name(const char *name);

/* Key codes: printable characters are themselves; ncurses KEY_* for
 * special keys (KEY_UP, KEY_F(2), KEY_BTAB ...); Ctrl-x is 1..26; Esc is
 * 27; Alt-x is KEY_ALT(x). */
#define KEY_ALT_BASE 0x100000
#define KEY_ALT(ch) (KEY_ALT_BASE | (ch))

/* "a", "A", ":", "Enter", "Esc", "Tab", "S-Tab", "Space", "Backspace",
 * "Del", "Ins", "Up", "Down", "Left", "Right", "PgUp", "PgDn", "Home",
 * "End", "F1".."F12", "C-a".."C-z", "M-a"/"M-1" (Alt). -1 when unknown. */
int key_parse(const char *name);
/* The same spelling back ("C-w", "F2", "Enter"); buf >= 16. (Not "key_name":
 * ncurses has a function of that name.) */
const char *keymap_key_name(int key, char *buf, size_t n);

typedef struct keymap keymap;
keymap *keymap_new(void);
void keymap_free(keymap *k);

/* Apply keymap text. Each bad line (unknown directive, context, key or
 * action; missing words) adds "source:line: message\n" to err and is
 * skipped; the good lines still apply. Returns the number of bad lines. */
int keymap_load_text(keymap *k, const char *text, const char *source, char *err, size_t errlen);
/* The same for a file; a missing file is one error. */
int keymap_load_file(keymap *k, const char *path, char *err, size_t errlen);

/* The action bound to key in ctx, else in global; ACT_COUNT if none. */
action_id keymap_lookup(const keymap *k, key_context ctx, int key);
/* Keys bound to action in ctx (not global), up to max; returns how many. */
size_t keymap_keys_for(const keymap *k, key_context ctx, action_id a, int *keys, size_t max);

#endif
