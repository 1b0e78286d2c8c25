/* The console's --script files: steps, keys, and errors with line numbers. */
#include <check.h>
#include <curses.h> /* only for the KEY_* constants */
#include <string.h>

#include "keymap.h"
#include "script.h"
#include "suite.h"

START_TEST(test_each_step_kind)
{
    script s = { 0 };
    char err[256];
    const char *text = "# a comment\n"
                       "\n"
                       "wait Acme Telecom\n"
                       "keys / a Enter\n"
                       "key C-w\n"
                       "type Hi there\n"
                       "sleep 250\n"
                       "save out/screen.txt\n"
                       "timeout 3000\n";
    ck_assert_int_eq(script_parse(&s, text, "t", err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(s.n, 1 + 3 + 1 + 8 + 1 + 1 + 1);
    ck_assert_int_eq(s.steps[0].kind, STEP_WAIT);
    ck_assert_str_eq(s.steps[0].text, "Acme Telecom");
    ck_assert_int_eq(s.steps[0].line, 3);
    ck_assert_int_eq(s.steps[1].key, '/');
    ck_assert_int_eq(s.steps[2].key, 'a');
    ck_assert_int_eq(s.steps[3].key, '\n');
    ck_assert_int_eq(s.steps[4].key, 23); /* C-w */
    ck_assert_int_eq(s.steps[5].key, 'H');
    ck_assert_int_eq(s.steps[7].key, ' '); /* type keeps spaces */
    ck_assert_int_eq(s.steps[12].key, 'e');
    ck_assert_int_eq(s.steps[13].kind, STEP_SLEEP);
    ck_assert_int_eq(s.steps[13].ms, 250);
    ck_assert_int_eq(s.steps[14].kind, STEP_SAVE);
    ck_assert_str_eq(s.steps[14].text, "out/screen.txt");
    ck_assert_int_eq(s.steps[15].kind, STEP_TIMEOUT);
    ck_assert_int_eq(s.steps[15].ms, 3000);
    script_free(&s);
}
END_TEST

START_TEST(test_special_keys_use_keymap_spelling)
{
    script s = { 0 };
    char err[128];
    ck_assert_int_eq(script_parse(&s, "keys PgDn F2 M-1 S-Tab\r\n", "t", err, sizeof err), 0);
    ck_assert_uint_eq(s.n, 4);
    ck_assert_int_eq(s.steps[0].key, KEY_NPAGE);
    ck_assert_int_eq(s.steps[1].key, KEY_F(2));
    ck_assert_int_eq(s.steps[2].key, KEY_ALT('1'));
    ck_assert_int_eq(s.steps[3].key, KEY_BTAB);
    script_free(&s);
}
END_TEST

START_TEST(test_bad_lines_are_named_and_skipped_whole)
{
    script s = { 0 };
    char err[512];
    const char *text = "keys Down Bogus Up\n" /* 1: unknown key: none of the line */
                       "frobnicate\n"         /* 2 */
                       "sleep -5\n"           /* 3 */
                       "sleep soon\n"         /* 4 */
                       "wait\n"               /* 5 */
                       "key\n"                /* 6 */
                       "key Enter\n";         /* 7: good */
    ck_assert_int_eq(script_parse(&s, text, "demo.script", err, sizeof err), 6);
    ck_assert_uint_eq(s.n, 1);
    ck_assert_int_eq(s.steps[0].key, '\n');
    ck_assert_ptr_nonnull(strstr(err, "demo.script:1: unknown key \"Bogus\""));
    ck_assert_ptr_nonnull(strstr(err, "demo.script:2: unknown step \"frobnicate\""));
    ck_assert_ptr_nonnull(strstr(err, "demo.script:3: sleep needs milliseconds"));
    ck_assert_ptr_nonnull(strstr(err, "demo.script:4: sleep needs milliseconds"));
    ck_assert_ptr_nonnull(strstr(err, "demo.script:5: wait needs"));
    ck_assert_ptr_nonnull(strstr(err, "demo.script:6: key needs a key"));
    script_free(&s);
}
END_TEST

START_TEST(test_tiny_error_buffer_is_safe)
{
    script s = { 0 };
    char err[8];
    ck_assert_int_eq(script_parse(&s, "nope\nnope\nnope\n", "a-long-source-name", err, sizeof err), 3);
    ck_assert_uint_lt(strlen(err), sizeof err);
    script_free(&s);
}
END_TEST

START_TEST(test_overlong_wait_text_is_refused)
{
    script s = { 0 };
    char err[256], text[400] = "wait ";
    memset(text + 5, 'x', 300);
    text[305] = '\0';
    ck_assert_int_eq(script_parse(&s, text, "t", err, sizeof err), 1);
    ck_assert_uint_eq(s.n, 0);
    script_free(&s);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("script");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_each_step_kind);
    tcase_add_test(tc, test_special_keys_use_keymap_spelling);
    tcase_add_test(tc, test_bad_lines_are_named_and_skipped_whole);
    tcase_add_test(tc, test_tiny_error_buffer_is_safe);
    tcase_add_test(tc, test_overlong_wait_text_is_refused);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
