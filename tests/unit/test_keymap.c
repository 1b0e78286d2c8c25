/* Keymap: key spellings, the action list, bindings and keymap files. */
#include <check.h>
#include <curses.h> /* only for the KEY_* constants */
#include <stdio.h>
#include <string.h>

#include "keymap.h"
#include "suite.h"

#ifndef DIDTRON_KEYMAP_DIR
#error "compile with -DDIDTRON_KEYMAP_DIR=\"<source>/keymaps\""
#endif

static const struct {
    const char *name;
    int key;
} canonical_keys[] = {
    { "a", 'a' },
    { "A", 'A' },
    { "z", 'z' },
    { "0", '0' },
    { ":", ':' },
    { "/", '/' },
    { "?", '?' },
    { "[", '[' },
    { "]", ']' },
    { "~", '~' },
    { "Space", ' ' },
    { "Enter", '\n' },
    { "Esc", 27 },
    { "Tab", '\t' },
    { "S-Tab", KEY_BTAB },
    { "Backspace", KEY_BACKSPACE },
    { "Del", KEY_DC },
    { "Ins", KEY_IC },
    { "Up", KEY_UP },
    { "Down", KEY_DOWN },
    { "Left", KEY_LEFT },
    { "Right", KEY_RIGHT },
    { "PgUp", KEY_PPAGE },
    { "PgDn", KEY_NPAGE },
    { "Home", KEY_HOME },
    { "End", KEY_END },
    { "F1", KEY_F(1) },
    { "F2", KEY_F(2) },
    { "F9", KEY_F(9) },
    { "F10", KEY_F(10) },
    { "F12", KEY_F(12) },
    { "C-a", 1 },
    { "C-h", 8 },
    { "C-w", 23 },
    { "C-z", 26 },
    { "M-x", KEY_ALT('x') },
    { "M-1", KEY_ALT('1') },
    { "M-<", KEY_ALT('<') },
    { "M-X", KEY_ALT('X') },
    { "M-Space", KEY_ALT(' ') },
};
#define N_CANONICAL (sizeof canonical_keys / sizeof canonical_keys[0])

static keymap *load(const char *text, int expect_bad)
{
    keymap *k = keymap_new();
    char err[512];
    ck_assert_ptr_nonnull(k);
    ck_assert_int_eq(keymap_load_text(k, text, "test", err, sizeof err), expect_bad);
    return k;
}

static int load_keys_file(keymap *k, const char *name, char *err, size_t errlen)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", DIDTRON_KEYMAP_DIR, name);
    return keymap_load_file(k, path, err, errlen);
}

/* ------------------------------------------------------------------- keys */

START_TEST(test_key_spellings_round_trip)
{
    char buf[16];
    for (size_t i = 0; i < N_CANONICAL; i++) {
        ck_assert_msg(key_parse(canonical_keys[i].name) == canonical_keys[i].key, "key_parse(\"%s\")",
                      canonical_keys[i].name);
        ck_assert_str_eq(keymap_key_name(canonical_keys[i].key, buf, sizeof buf), canonical_keys[i].name);
    }
}
END_TEST

START_TEST(test_every_printable_character_is_itself)
{
    char name[2] = { 0 }, buf[16];
    for (int c = '!'; c <= '~'; c++) {
        name[0] = (char)c;
        ck_assert_int_eq(key_parse(name), c);
        ck_assert_str_eq(keymap_key_name(c, buf, sizeof buf), name);
    }
}
END_TEST

START_TEST(test_every_ctrl_letter_and_function_key)
{
    char name[8], buf[16];
    for (int c = 'a'; c <= 'z'; c++) {
        snprintf(name, sizeof name, "C-%c", c);
        int key = key_parse(name);
        if (c == 'm') {
            ck_assert_int_eq(key, '\n'); /* C-m is Enter, like C-j */
            continue;
        }
        ck_assert_int_eq(key, c - 'a' + 1);
        if (c != 'i' && c != 'j') /* those are spelled Tab and Enter */
            ck_assert_str_eq(keymap_key_name(key, buf, sizeof buf), name);
    }
    for (int n = 1; n <= 12; n++) {
        snprintf(name, sizeof name, "F%d", n);
        ck_assert_int_eq(key_parse(name), KEY_F(n));
        ck_assert_str_eq(keymap_key_name(KEY_F(n), buf, sizeof buf), name);
    }
}
END_TEST

START_TEST(test_key_aliases_give_the_same_code)
{
    ck_assert_int_eq(key_parse("Return"), '\n');
    ck_assert_int_eq(key_parse("C-j"), '\n');
    ck_assert_int_eq(key_parse("C-m"), '\n');
    ck_assert_int_eq(key_parse("C-i"), '\t');
    ck_assert_int_eq(key_parse("C-W"), 23);
    ck_assert_int_eq(key_parse("Escape"), 27);
    ck_assert_int_eq(key_parse("PageDown"), KEY_NPAGE);
    ck_assert_int_eq(key_parse("enter"), '\n');
}
END_TEST

START_TEST(test_terminal_variants_are_named_as_the_key)
{
    char buf[16];
    ck_assert_str_eq(keymap_key_name(KEY_ENTER, buf, sizeof buf), "Enter");
    ck_assert_str_eq(keymap_key_name('\r', buf, sizeof buf), "Enter");
    ck_assert_str_eq(keymap_key_name(127, buf, sizeof buf), "Backspace");
}
END_TEST

START_TEST(test_unknown_key_names_are_rejected)
{
    static const char *const bad[] = { "", "C-?", "C-", "C-ab", "C-1", "M-", "M-Up", "M-ab", "F0",
                                       "F13", "F01", "F1x", "Fx", "ab", "Upp", "S-a", " ", "\t" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(key_parse(bad[i]) == -1, "key_parse(\"%s\")", bad[i]);
    ck_assert_int_eq(key_parse(NULL), -1);
}
END_TEST

START_TEST(test_key_name_respects_a_small_buffer)
{
    char buf[5] = "wxyz";
    keymap_key_name(KEY_BACKSPACE, buf, 3);
    ck_assert_str_eq(buf, "Ba");
    ck_assert_int_eq(buf[3], 'z');
}
END_TEST

/* ---------------------------------------------------------------- actions */

START_TEST(test_action_names_round_trip)
{
    for (int a = 0; a < ACT_COUNT; a++) {
        const char *name = action_name((action_id)a);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(action_by_name(name), a);
        ck_assert_ptr_nonnull(action_help((action_id)a));
        ck_assert_int_gt(strlen(action_help((action_id)a)), 0);
    }
    ck_assert_str_eq(action_name(ACT_PAGE_DOWN), "page-down");
}
END_TEST

START_TEST(test_unknown_action_is_act_count)
{
    ck_assert_int_eq(action_by_name("frobnicate"), ACT_COUNT);
    ck_assert_int_eq(action_by_name(""), ACT_COUNT);
    ck_assert_int_eq(action_by_name("Quit"), ACT_COUNT);
    ck_assert_int_eq(action_by_name(NULL), ACT_COUNT);
    ck_assert_ptr_nonnull(action_name(ACT_COUNT));
    ck_assert_uint_eq(action_flags(ACT_COUNT), 0);
}
END_TEST

START_TEST(test_delete_and_pause_are_dangerous)
{
    ck_assert(action_flags(ACT_DELETE) & ACTION_DANGEROUS);
    ck_assert(action_flags(ACT_PAUSE) & ACTION_DANGEROUS);
    ck_assert(action_flags(ACT_SAVE) & ACTION_EDITS);
    ck_assert_uint_eq(action_flags(ACT_UP), 0);
}
END_TEST

START_TEST(test_context_names_round_trip)
{
    for (int c = 0; c < CTX_COUNT; c++)
        ck_assert_int_eq(context_by_name(context_name((key_context)c)), c);
    ck_assert_str_eq(context_name(CTX_DIALOG), "dialog");
    ck_assert_int_eq(context_by_name("x"), CTX_COUNT);
    ck_assert_int_eq(context_by_name(NULL), CTX_COUNT);
}
END_TEST

/* --------------------------------------------------------------- bindings */

START_TEST(test_bind_and_lookup)
{
    keymap *k = load("bind table j down\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_DOWN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'k'), ACT_COUNT);
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 'j'), ACT_COUNT);
    keymap_free(k);
}
END_TEST

START_TEST(test_later_binding_wins)
{
    keymap *k = load("bind table x delete\nbind table x edit\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_EDIT);
    int keys[4];
    ck_assert_uint_eq(keymap_keys_for(k, CTX_TABLE, ACT_DELETE, keys, 4), 0);
    ck_assert_int_eq(keymap_load_text(k, "bind table x pause", "second", NULL, 0), 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_PAUSE);
    keymap_free(k);
}
END_TEST

START_TEST(test_unbind_removes_the_key)
{
    keymap *k = load("bind table x delete\nbind table y edit\nunbind table x\nunbind table z\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_COUNT);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'y'), ACT_EDIT);
    keymap_free(k);
}
END_TEST

START_TEST(test_context_falls_back_to_global)
{
    keymap *k = load("bind global q quit\nbind table q back\nbind global Esc back\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'q'), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 'q'), ACT_QUIT);
    ck_assert_int_eq(keymap_lookup(k, CTX_GLOBAL, 'q'), ACT_QUIT);
    ck_assert_int_eq(keymap_lookup(k, CTX_DIALOG, 27), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_COUNT, 'q'), ACT_QUIT);
    keymap_free(k);
}
END_TEST

START_TEST(test_enter_variants_are_one_key)
{
    keymap *k = load("bind table Enter open\nbind form C-m save\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, '\n'), ACT_OPEN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, '\r'), ACT_OPEN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_ENTER), ACT_OPEN);
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, KEY_ENTER), ACT_SAVE);
    keymap_free(k);
}
END_TEST

START_TEST(test_backspace_variants_are_one_key)
{
    keymap *k = load("bind table Backspace back\n", 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_BACKSPACE), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 127), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 8), ACT_BACK);
    ck_assert_int_eq(keymap_load_text(k, "bind table C-h up\n", "t", NULL, 0), 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 127), ACT_UP);
    keymap_free(k);
}
END_TEST

START_TEST(test_keys_for_lists_keys_in_that_context)
{
    keymap *k = load("bind table j down\nbind table Down down\nbind global C-n down\n"
                     "bind table k up\nbind table C-d down\n",
                     0);
    int keys[8];
    ck_assert_uint_eq(keymap_keys_for(k, CTX_TABLE, ACT_DOWN, keys, 8), 3);
    ck_assert_int_eq(keys[0], 'j');
    ck_assert_int_eq(keys[1], KEY_DOWN);
    ck_assert_int_eq(keys[2], 4);
    ck_assert_uint_eq(keymap_keys_for(k, CTX_TABLE, ACT_DOWN, keys, 2), 2);
    ck_assert_uint_eq(keymap_keys_for(k, CTX_GLOBAL, ACT_DOWN, keys, 8), 1);
    ck_assert_int_eq(keys[0], 14);
    ck_assert_uint_eq(keymap_keys_for(k, CTX_FORM, ACT_DOWN, keys, 8), 0);
    keymap_free(k);
}
END_TEST

START_TEST(test_many_bindings_grow)
{
    keymap *k = keymap_new();
    char line[64];
    for (int c = '!'; c <= '~'; c++) {
        if (c == '#')
            continue;
        snprintf(line, sizeof line, "bind dialog %c %s\n", c, action_name((action_id)(c % ACT_COUNT)));
        ck_assert_int_eq(keymap_load_text(k, line, "t", NULL, 0), 0);
    }
    for (int c = '!'; c <= '~'; c++)
        if (c != '#')
            ck_assert_int_eq(keymap_lookup(k, CTX_DIALOG, c), c % ACT_COUNT);
    keymap_free(k);
}
END_TEST

/* ----------------------------------------------------------------- parser */

START_TEST(test_comments_blank_lines_and_spacing)
{
    keymap *k = load("# header\n\n   \n\tbind\ttable  j\t down   # trailing\r\n"
                     "bind table k up#not-a-comment\n# bind table x delete\n",
                     1);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_DOWN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_COUNT);
    keymap_free(k);
}
END_TEST

START_TEST(test_unknown_action_names_its_line)
{
    keymap *k = keymap_new();
    char err[256];
    const char *text = "bind table j down\n"
                       "# comment\n"
                       "bind table x frobnicate\n"
                       "bind table k up";
    ck_assert_int_eq(keymap_load_text(k, text, "test", err, sizeof err), 1);
    ck_assert_str_eq(err, "test:3: unknown action \"frobnicate\"\n");
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_DOWN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'k'), ACT_UP);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_COUNT);
    keymap_free(k);
}
END_TEST

START_TEST(test_every_error_kind_is_reported)
{
    keymap *k = keymap_new();
    char err[1024];
    const char *text = "bind x j down\n"          /* 1 */
                       "bind table C-? down\n"    /* 2 */
                       "bind table j\n"           /* 3 */
                       "bind table j down extra\n" /* 4 */
                       "bnd table j down\n"       /* 5 */
                       "unbind table\n"           /* 6 */
                       "unbind nowhere j\n"       /* 7 */
                       "unbind table Upp\n"       /* 8 */
                       "bind\n"                   /* 9 */
                       "bind table j down\n";     /* 10: fine */
    ck_assert_int_eq(keymap_load_text(k, text, "t", err, sizeof err), 9);
    ck_assert_ptr_nonnull(strstr(err, "t:1: unknown context \"x\""));
    ck_assert_ptr_nonnull(strstr(err, "t:2: unknown key \"C-?\"\n"));
    ck_assert_ptr_nonnull(strstr(err, "t:3: bind needs: bind <context> <key> <action>\n"));
    ck_assert_ptr_nonnull(strstr(err, "t:4: bind needs:"));
    ck_assert_ptr_nonnull(strstr(err, "t:5: unknown directive \"bnd\""));
    ck_assert_ptr_nonnull(strstr(err, "t:6: unbind needs: unbind <context> <key>\n"));
    ck_assert_ptr_nonnull(strstr(err, "t:7: unknown context \"nowhere\""));
    ck_assert_ptr_nonnull(strstr(err, "t:8: unknown key \"Upp\"\n"));
    ck_assert_ptr_nonnull(strstr(err, "t:9: bind needs:"));
    ck_assert_ptr_null(strstr(err, "t:10:"));
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_DOWN);
    keymap_free(k);
}
END_TEST

START_TEST(test_tiny_err_buffer_never_overflows)
{
    keymap *k = keymap_new();
    const char *text = "bind table j frobnicate\nbnd\nbind nowhere j down\n";
    for (size_t len = 0; len <= 40; len++) {
        char buf[48];
        memset(buf, 'Z', sizeof buf);
        ck_assert_int_eq(keymap_load_text(k, text, "a-long-source-name", buf, len), 3);
        if (len > 0)
            ck_assert_uint_eq(strlen(buf), len - 1);
        for (size_t i = len; i < sizeof buf; i++)
            ck_assert_int_eq(buf[i], 'Z');
    }
    ck_assert_int_eq(keymap_load_text(k, text, "t", NULL, 0), 3);
    keymap_free(k);
}
END_TEST

START_TEST(test_each_load_starts_err_afresh)
{
    keymap *k = keymap_new();
    char err[256];
    ck_assert_int_eq(keymap_load_text(k, "bnd\n", "first", err, sizeof err), 1);
    size_t used = strlen(err);
    ck_assert_int_eq(keymap_load_text(k, "bind table j up\nbnd\n", "second", err + used,
                                      sizeof err - used),
                     1);
    ck_assert_str_eq(err, "first:1: unknown directive \"bnd\" (bind, unbind)\n"
                          "second:2: unknown directive \"bnd\" (bind, unbind)\n");
    ck_assert_int_eq(keymap_load_text(k, "bind table j up\n", "third", err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    keymap_free(k);
}
END_TEST

START_TEST(test_missing_file_is_one_error)
{
    keymap *k = keymap_new();
    char err[256];
    ck_assert_int_eq(keymap_load_file(k, "/nonexistent/didtron.keys", err, sizeof err), 1);
    ck_assert_ptr_nonnull(strstr(err, "/nonexistent/didtron.keys: cannot read"));
    ck_assert_int_eq(keymap_load_file(k, DIDTRON_KEYMAP_DIR, err, sizeof err), 1); /* a directory */
    ck_assert_ptr_nonnull(strstr(err, "cannot read"));
    keymap_free(k);
}
END_TEST

/* ------------------------------------------------------- the shipped files */

START_TEST(test_default_keys_load_cleanly_and_bind_every_action)
{
    keymap *k = keymap_new();
    char err[2048];
    ck_assert_msg(load_keys_file(k, "default.keys", err, sizeof err) == 0, "%s", err);
    for (int a = 0; a < ACT_COUNT; a++) {
        size_t n = 0;
        int keys[8];
        for (int c = 0; c < CTX_COUNT; c++)
            n += keymap_keys_for(k, (key_context)c, (action_id)a, keys, 8);
        ck_assert_msg(n > 0, "action \"%s\" has no key in default.keys", action_name((action_id)a));
    }
    keymap_free(k);
}
END_TEST

START_TEST(test_default_keys_behave_as_documented)
{
    keymap *k = keymap_new();
    char err[2048];
    ck_assert_int_eq(load_keys_file(k, "default.keys", err, sizeof err), 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'q'), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 'q'), ACT_COUNT); /* typing q in a form */
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 17), ACT_QUIT);    /* C-q */
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_ENTER), ACT_OPEN);
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, KEY_F(2)), ACT_SAVE);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_F(2)), ACT_EDIT);
    ck_assert_int_eq(keymap_lookup(k, CTX_DIALOG, 27), ACT_BACK);
    ck_assert_int_eq(keymap_lookup(k, CTX_RAIL, KEY_ALT('3')), ACT_WORKSPACE_3);
    /* no plain printable key in global: they would fire while typing */
    for (int c = ' '; c < 127; c++)
        ck_assert_msg(keymap_lookup(k, CTX_GLOBAL, c) == ACT_COUNT, "global binds '%c'", c);
    keymap_free(k);
}
END_TEST

START_TEST(test_vim_keys_override_defaults)
{
    keymap *k = keymap_new();
    char err[2048];
    ck_assert_int_eq(load_keys_file(k, "default.keys", err, sizeof err), 0);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_COUNT);
    ck_assert_msg(load_keys_file(k, "vim.keys", err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'j'), ACT_DOWN);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'k'), ACT_UP);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'G'), ACT_LAST);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 4), ACT_PAGE_DOWN); /* C-d */
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 'x'), ACT_DELETE);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_DOWN), ACT_DOWN); /* defaults stay */
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 19), ACT_SAVE);       /* C-s */
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 'j'), ACT_COUNT);
    keymap_free(k);
}
END_TEST

START_TEST(test_emacs_keys_override_defaults)
{
    keymap *k = keymap_new();
    char err[2048];
    ck_assert_int_eq(load_keys_file(k, "default.keys", err, sizeof err), 0);
    ck_assert_msg(load_keys_file(k, "emacs.keys", err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 14), ACT_DOWN);    /* C-n */
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 16), ACT_UP);      /* C-p */
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_ALT('v')), ACT_PAGE_UP);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, KEY_ALT('>')), ACT_LAST);
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 19), ACT_FILTER);  /* C-s */
    ck_assert_int_eq(keymap_lookup(k, CTX_FORM, 19), ACT_SAVE);
    ck_assert_int_eq(keymap_lookup(k, CTX_DIALOG, 7), ACT_BACK);    /* C-g */
    ck_assert_int_eq(keymap_lookup(k, CTX_TABLE, 15), ACT_OPEN);    /* C-o */
    keymap_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("keymap");
    TCase *tc = tcase_create("keymap");
    tcase_add_test(tc, test_key_spellings_round_trip);
    tcase_add_test(tc, test_every_printable_character_is_itself);
    tcase_add_test(tc, test_every_ctrl_letter_and_function_key);
    tcase_add_test(tc, test_key_aliases_give_the_same_code);
    tcase_add_test(tc, test_terminal_variants_are_named_as_the_key);
    tcase_add_test(tc, test_unknown_key_names_are_rejected);
    tcase_add_test(tc, test_key_name_respects_a_small_buffer);
    tcase_add_test(tc, test_action_names_round_trip);
    tcase_add_test(tc, test_unknown_action_is_act_count);
    tcase_add_test(tc, test_delete_and_pause_are_dangerous);
    tcase_add_test(tc, test_context_names_round_trip);
    tcase_add_test(tc, test_bind_and_lookup);
    tcase_add_test(tc, test_later_binding_wins);
    tcase_add_test(tc, test_unbind_removes_the_key);
    tcase_add_test(tc, test_context_falls_back_to_global);
    tcase_add_test(tc, test_enter_variants_are_one_key);
    tcase_add_test(tc, test_backspace_variants_are_one_key);
    tcase_add_test(tc, test_keys_for_lists_keys_in_that_context);
    tcase_add_test(tc, test_many_bindings_grow);
    tcase_add_test(tc, test_comments_blank_lines_and_spacing);
    tcase_add_test(tc, test_unknown_action_names_its_line);
    tcase_add_test(tc, test_every_error_kind_is_reported);
    tcase_add_test(tc, test_tiny_err_buffer_never_overflows);
    tcase_add_test(tc, test_each_load_starts_err_afresh);
    tcase_add_test(tc, test_missing_file_is_one_error);
    tcase_add_test(tc, test_default_keys_load_cleanly_and_bind_every_action);
    tcase_add_test(tc, test_default_keys_behave_as_documented);
    tcase_add_test(tc, test_vim_keys_override_defaults);
    tcase_add_test(tc, test_emacs_keys_override_defaults);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
