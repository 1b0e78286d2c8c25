/* The multi-line editor's buffer: inserting, deleting, moving, wrapping,
 * UTF-8 and the length limit, and the keys that send or cancel. */
#include <check.h>
#include <curses.h> /* only for the KEY_* constants */
#include <string.h>

#include "editor.h"
#include "keymap.h"
#include "suite.h"

static editor e;

static void setup(void)
{
    ck_assert(editor_init(&e, 64));
}

static void teardown(void)
{
    editor_free(&e);
}

static void type(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        editor_feed_byte(&e, *p);
}

START_TEST(test_typing_inserts_at_the_cursor)
{
    type("helo");
    editor_left(&e);
    type("l");
    ck_assert_str_eq(editor_text(&e), "hello");
    ck_assert_uint_eq(e.cursor, 4);
    ck_assert(e.changed);
}
END_TEST

START_TEST(test_backspace_and_delete_remove_one_character)
{
    type("abc");
    editor_left(&e);
    editor_backspace(&e); /* the b */
    ck_assert_str_eq(editor_text(&e), "ac");
    editor_delete(&e); /* the c */
    ck_assert_str_eq(editor_text(&e), "a");
    editor_delete(&e); /* nothing after the cursor */
    editor_left(&e);
    editor_left(&e);
    editor_backspace(&e); /* nothing before it */
    ck_assert_str_eq(editor_text(&e), "a");
}
END_TEST

START_TEST(test_multibyte_characters_move_and_delete_whole)
{
    type("né€😀x");
    ck_assert_str_eq(editor_text(&e), "né€😀x");
    editor_left(&e); /* before x */
    editor_left(&e); /* before the emoji (4 bytes) */
    ck_assert_uint_eq(e.cursor, strlen("né€"));
    editor_backspace(&e); /* the euro sign, all 3 bytes */
    ck_assert_str_eq(editor_text(&e), "né😀x");
    editor_delete(&e);
    ck_assert_str_eq(editor_text(&e), "néx");
}
END_TEST

START_TEST(test_invalid_bytes_and_controls_are_not_inserted)
{
    editor_feed_byte(&e, 0xC3);
    editor_feed_byte(&e, 'a'); /* broke the sequence: dropped, a kept */
    editor_feed_byte(&e, 0x80); /* a stray continuation byte */
    editor_feed_byte(&e, 0xFF);
    ck_assert_str_eq(editor_text(&e), "a");
    ck_assert(!editor_insert(&e, "\x01", 1));
    ck_assert(!editor_insert(&e, "\xC0\xAF", 2)); /* overlong '/' */
    ck_assert(!editor_insert(&e, "\xED\xA0\x80", 3)); /* a surrogate */
    ck_assert(editor_insert(&e, "\n", 1));
    ck_assert_str_eq(editor_text(&e), "a\n");
}
END_TEST

START_TEST(test_the_limit_is_never_passed)
{
    editor_free(&e);
    ck_assert(editor_init(&e, 5));
    type("abcd");
    type("€"); /* 3 bytes: would make 7 */
    ck_assert_str_eq(editor_text(&e), "abcd");
    type("ef");
    ck_assert_str_eq(editor_text(&e), "abcde");
    ck_assert_uint_eq(e.len, 5);
    editor_set_text(&e, "xy€€");  /* cut at a character boundary */
    ck_assert_str_eq(editor_text(&e), "xy€");
    ck_assert(!e.changed);
}
END_TEST

START_TEST(test_enter_is_a_newline_and_save_and_back_are_reported)
{
    keymap *k = keymap_new();
    char err[256];
    ck_assert_int_eq(keymap_load_text(k, "bind form F2 save\nbind form C-s save\nbind form Esc back\n", "t", err,
                                      sizeof err), 0);
    ck_assert_int_eq(editor_key(&e, k, 'a', 20, 5), EDITOR_KEEP);
    ck_assert_int_eq(editor_key(&e, k, '\r', 20, 5), EDITOR_KEEP);
    ck_assert_int_eq(editor_key(&e, k, 'b', 20, 5), EDITOR_KEEP);
    ck_assert_str_eq(editor_text(&e), "a\nb");
    ck_assert_int_eq(editor_key(&e, k, KEY_F(2), 20, 5), EDITOR_SEND);
    ck_assert_int_eq(editor_key(&e, k, 19, 20, 5), EDITOR_SEND); /* C-s */
    ck_assert_int_eq(editor_key(&e, k, 27, 20, 5), EDITOR_CANCEL);
    ck_assert_str_eq(editor_text(&e), "a\nb"); /* neither changed the text */
    keymap_free(k);
}
END_TEST

START_TEST(test_wrap_breaks_after_the_last_space_that_fits)
{
    editor_set_text(&e, "the quick brown fox");
    editor_line l[8];
    size_t n = editor_wrap(&e, 10, l, 8);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(l[0].start, 0);
    ck_assert_uint_eq(l[0].len, 10); /* "the quick " */
    ck_assert_uint_eq(l[1].start, 10);
    ck_assert_uint_eq(l[1].len, 9); /* "brown fox" */
}
END_TEST

START_TEST(test_wrap_cuts_a_word_longer_than_the_line)
{
    editor_set_text(&e, "abcdefghijkl");
    editor_line l[8];
    ck_assert_uint_eq(editor_wrap(&e, 5, l, 8), 3);
    ck_assert_uint_eq(l[1].start, 5);
    ck_assert_uint_eq(l[2].len, 2);
}
END_TEST

START_TEST(test_wrap_counts_wide_characters_as_two_columns)
{
    editor_set_text(&e, "日本語テキスト");
    editor_line l[8];
    ck_assert_uint_eq(editor_wrap(&e, 6, l, 8), 3); /* three per line */
    ck_assert_uint_eq(l[1].start, strlen("日本語"));
}
END_TEST

START_TEST(test_hard_newlines_make_lines_and_a_trailing_one_an_empty_line)
{
    editor_set_text(&e, "ab\n\ncd\n");
    editor_line l[8];
    ck_assert_uint_eq(editor_wrap(&e, 20, l, 8), 4);
    ck_assert_uint_eq(l[0].len, 2);
    ck_assert_uint_eq(l[1].len, 0);
    ck_assert_uint_eq(l[2].start, 4);
    ck_assert_uint_eq(l[3].start, 7);
    ck_assert_uint_eq(l[3].len, 0);
    editor_set_text(&e, "");
    ck_assert_uint_eq(editor_wrap(&e, 20, l, 8), 1);
}
END_TEST

START_TEST(test_up_and_down_keep_the_column)
{
    editor_set_text(&e, "abcdef\nxy\n123456");
    /* cursor at the end (row 2, col 6) */
    int row, col;
    editor_vertical(&e, 20, -1);
    editor_cursor_at(&e, 20, &row, &col);
    ck_assert_int_eq(row, 1);
    ck_assert_int_eq(col, 2); /* the short line's end */
    editor_vertical(&e, 20, -1);
    editor_cursor_at(&e, 20, &row, &col);
    ck_assert_int_eq(row, 0);
    ck_assert_int_eq(col, 6); /* the goal column again */
    editor_vertical(&e, 20, -5); /* clamped at the top */
    editor_cursor_at(&e, 20, &row, &col);
    ck_assert_int_eq(row, 0);
}
END_TEST

START_TEST(test_home_and_end_of_a_wrapped_line)
{
    editor_set_text(&e, "the quick brown fox");
    e.cursor = 12; /* in "brown" */
    editor_home(&e, 10);
    ck_assert_uint_eq(e.cursor, 10);
    e.cursor = 2;
    editor_end(&e, 10);
    int row, col;
    editor_cursor_at(&e, 10, &row, &col);
    ck_assert_int_eq(row, 0); /* stays on the first visual line */
    editor_end(&e, 20);
    ck_assert_uint_eq(e.cursor, e.len);
}
END_TEST

START_TEST(test_scroll_keeps_the_cursor_visible)
{
    editor_set_text(&e, "1\n2\n3\n4\n5\n6");
    editor_scroll(&e, 10, 3);
    ck_assert_int_eq(e.top, 3);
    editor_vertical(&e, 10, -5);
    editor_scroll(&e, 10, 3);
    ck_assert_int_eq(e.top, 0);
}
END_TEST

START_TEST(test_blank_text_is_nothing_to_send)
{
    type("  \n ");
    ck_assert(editor_blank(&e));
    type("x");
    ck_assert(!editor_blank(&e));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("editor");
    TCase *tc = tcase_create("editor");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_typing_inserts_at_the_cursor);
    tcase_add_test(tc, test_backspace_and_delete_remove_one_character);
    tcase_add_test(tc, test_multibyte_characters_move_and_delete_whole);
    tcase_add_test(tc, test_invalid_bytes_and_controls_are_not_inserted);
    tcase_add_test(tc, test_the_limit_is_never_passed);
    tcase_add_test(tc, test_enter_is_a_newline_and_save_and_back_are_reported);
    tcase_add_test(tc, test_wrap_breaks_after_the_last_space_that_fits);
    tcase_add_test(tc, test_wrap_cuts_a_word_longer_than_the_line);
    tcase_add_test(tc, test_wrap_counts_wide_characters_as_two_columns);
    tcase_add_test(tc, test_hard_newlines_make_lines_and_a_trailing_one_an_empty_line);
    tcase_add_test(tc, test_up_and_down_keep_the_column);
    tcase_add_test(tc, test_home_and_end_of_a_wrapped_line);
    tcase_add_test(tc, test_scroll_keeps_the_cursor_visible);
    tcase_add_test(tc, test_blank_text_is_nothing_to_send);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
