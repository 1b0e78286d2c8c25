/* Console geometry: the frame, column folding, text width and fitting, and
 * table column widths. Pure arithmetic, no terminal. */
#include <check.h>
#include <string.h>

#include "layout.h"
#include "suite.h"

#define ELLIPSIS "\xE2\x80\xA6" /* U+2026 */

static void assert_rect(rect r, int y, int x, int h, int w)
{
    ck_assert_int_eq(r.y, y);
    ck_assert_int_eq(r.x, x);
    ck_assert_int_eq(r.h, h);
    ck_assert_int_eq(r.w, w);
}

static void assert_rect_zero(rect r)
{
    assert_rect(r, 0, 0, 0, 0);
}

static void assert_not_negative(rect r)
{
    ck_assert_int_ge(r.h, 0);
    ck_assert_int_ge(r.w, 0);
}

/* ---- layout_compute ------------------------------------------------------- */

START_TEST(test_frame_at_80x24_minimum)
{
    layout l;
    layout_compute(24, 80, true, &l);
    ck_assert(!l.too_small);
    assert_rect(l.header, 0, 0, 1, 80);
    assert_rect(l.tabs, 1, 0, 1, 80);
    assert_rect(l.rail, 2, 0, 21, LAYOUT_RAIL_WIDTH);
    assert_rect(l.submenu, 2, 4, 21, LAYOUT_SUBMENU_WIDTH);
    assert_rect(l.content, 2, 24, 21, 56);
    assert_rect(l.dock, 23, 0, 1, 80);
}
END_TEST

START_TEST(test_frame_at_200x50)
{
    layout l;
    layout_compute(50, 200, true, &l);
    ck_assert(!l.too_small);
    assert_rect(l.header, 0, 0, 1, 200);
    assert_rect(l.tabs, 1, 0, 1, 200);
    assert_rect(l.rail, 2, 0, 47, 4);
    assert_rect(l.submenu, 2, 4, 47, 20);
    assert_rect(l.content, 2, 24, 47, 176);
    assert_rect(l.dock, 49, 0, 1, 200);
}
END_TEST

START_TEST(test_frame_widths_and_rows_add_up)
{
    static const int sizes[][2] = { { 24, 80 }, { 50, 200 }, { 37, 133 }, { 100, 81 } };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int sub = 0; sub <= 1; sub++) {
            int rows = sizes[i][0], cols = sizes[i][1];
            layout l;
            layout_compute(rows, cols, sub, &l);
            ck_assert_int_eq(l.rail.w + l.submenu.w + l.content.w, cols);
            ck_assert_int_eq(l.submenu.x, l.rail.x + l.rail.w);
            ck_assert_int_eq(l.content.x, l.submenu.x + l.submenu.w);
            ck_assert_int_eq(l.header.h + l.tabs.h + l.content.h + l.dock.h, rows);
            ck_assert_int_eq(l.rail.h, l.content.h);
            ck_assert_int_eq(l.dock.y + l.dock.h, rows);
        }
    }
}
END_TEST

START_TEST(test_hidden_submenu_gives_its_width_to_content)
{
    layout l;
    layout_compute(24, 80, false, &l);
    ck_assert_int_eq(l.submenu.w, 0);
    ck_assert_int_eq(l.submenu.x, LAYOUT_RAIL_WIDTH);
    assert_rect(l.content, 2, 4, 21, 76);
}
END_TEST

START_TEST(test_79_columns_is_too_small)
{
    layout l;
    layout_compute(24, 79, true, &l);
    ck_assert(l.too_small);
    assert_rect_zero(l.header);
    assert_rect_zero(l.tabs);
    assert_rect_zero(l.rail);
    assert_rect_zero(l.submenu);
    assert_rect_zero(l.content);
    assert_rect_zero(l.dock);
}
END_TEST

START_TEST(test_23_rows_is_too_small)
{
    layout l;
    layout_compute(23, 80, true, &l);
    ck_assert(l.too_small);
    assert_rect_zero(l.content);
    assert_rect_zero(l.dock);
}
END_TEST

START_TEST(test_absurd_sizes_never_give_negative_rects)
{
    static const int sizes[][2] = { { 0, 0 }, { -5, -5 }, { 10000, 10000 }, { 24, -80 }, { -24, 80 } };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        for (int sub = 0; sub <= 1; sub++) {
            layout l;
            layout_compute(sizes[i][0], sizes[i][1], sub, &l);
            assert_not_negative(l.header);
            assert_not_negative(l.tabs);
            assert_not_negative(l.rail);
            assert_not_negative(l.submenu);
            assert_not_negative(l.content);
            assert_not_negative(l.dock);
        }
    }
    layout l;
    layout_compute(10000, 10000, true, &l);
    ck_assert(!l.too_small);
    assert_rect(l.content, 2, 24, 9997, 9976);
}
END_TEST

/* ---- layout_columns ------------------------------------------------------- */

START_TEST(test_carrier_detail_three_columns_at_fold_width)
{
    rect area = { 5, 10, 30, 120 }, part[3];
    ck_assert(layout_columns(area, 3, 120, 1, part));
    assert_rect(part[0], 5, 10, 30, 40);
    assert_rect(part[1], 5, 51, 30, 39);
    assert_rect(part[2], 5, 91, 30, 39);
    ck_assert_int_eq(part[2].x + part[2].w, area.x + area.w);
}
END_TEST

START_TEST(test_carrier_detail_folds_to_one_column_below_120)
{
    rect area = { 5, 10, 30, 119 }, part[3];
    ck_assert(!layout_columns(area, 3, 120, 1, part));
    assert_rect(part[0], 5, 10, 10, 119);
    assert_rect(part[1], 16, 10, 9, 119);
    assert_rect(part[2], 26, 10, 9, 119);
    ck_assert_int_eq(part[2].y + part[2].h, area.y + area.h);
}
END_TEST

START_TEST(test_columns_fill_exactly_with_remainder_to_the_left)
{
    rect area = { 0, 0, 10, 100 }, part[3];
    ck_assert(layout_columns(area, 3, 0, 0, part));
    ck_assert_int_eq(part[0].w, 34);
    ck_assert_int_eq(part[1].w, 33);
    ck_assert_int_eq(part[2].w, 33);
    ck_assert_int_eq(part[1].x, 34);
    ck_assert_int_eq(part[2].x, 67);

    rect wide = { 0, 0, 10, 103 }, q[4];
    ck_assert(layout_columns(wide, 4, 100, 2, q));
    /* 103 - 3 gaps of 2 = 97 = 25 + 24 + 24 + 24 */
    ck_assert_int_eq(q[0].w, 25);
    ck_assert_int_eq(q[1].w, 24);
    ck_assert_int_eq(q[1].x, 27);
    ck_assert_int_eq(q[3].x + q[3].w, 103);
    ck_assert_int_eq(q[0].w + q[1].w + q[2].w + q[3].w + 3 * 2, 103);
}
END_TEST

START_TEST(test_stacked_rows_fill_exactly_with_gaps)
{
    rect area = { 3, 0, 23, 50 }, part[4];
    ck_assert(!layout_columns(area, 4, 120, 1, part));
    /* 23 - 3 gap rows = 20 = 5 * 4 */
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(part[i].h, 5);
        ck_assert_int_eq(part[i].y, 3 + i * 6);
        ck_assert_int_eq(part[i].w, 50);
    }
    ck_assert_int_eq(part[3].y + part[3].h, area.y + area.h);
}
END_TEST

START_TEST(test_columns_single_part_takes_the_area)
{
    rect area = { 2, 4, 21, 76 }, part[1];
    ck_assert(layout_columns(area, 1, 76, 3, part));
    assert_rect(part[0], 2, 4, 21, 76);
    ck_assert(!layout_columns(area, 1, 120, 3, part));
    assert_rect(part[0], 2, 4, 21, 76);
}
END_TEST

START_TEST(test_columns_n_zero_writes_nothing)
{
    rect area = { 0, 0, 10, 200 }, part[1] = { { 7, 7, 7, 7 } };
    ck_assert(!layout_columns(area, 0, 120, 1, part));
    ck_assert(!layout_columns(area, -2, 120, 1, part));
    assert_rect(part[0], 7, 7, 7, 7);
}
END_TEST

START_TEST(test_columns_tiny_area_gives_zero_size_parts)
{
    rect part[3];
    rect tiny = { 0, 0, 1, 1 };
    ck_assert(layout_columns(tiny, 3, 0, 2, part));
    for (int i = 0; i < 3; i++) {
        assert_not_negative(part[i]);
        ck_assert_int_le(part[i].x + part[i].w, 1);
    }
    rect negative = { 0, 0, -4, -9 };
    layout_columns(negative, 3, 120, 1, part);
    for (int i = 0; i < 3; i++)
        assert_not_negative(part[i]);
}
END_TEST

/* ---- utf8_width ----------------------------------------------------------- */

START_TEST(test_width_of_ascii)
{
    ck_assert_int_eq(utf8_width("Acme Telecom"), 12);
    ck_assert_int_eq(utf8_width(""), 0);
}
END_TEST

START_TEST(test_width_of_two_byte_letter_is_one)
{
    ck_assert_uint_eq(strlen("\xC3\xA9"), 2);
    ck_assert_int_eq(utf8_width("\xC3\xA9"), 1);
    ck_assert_int_eq(utf8_width("caf\xC3\xA9"), 4);
}
END_TEST

START_TEST(test_width_of_combining_mark_is_zero)
{
    ck_assert_int_eq(utf8_width("e\xCC\x81"), 1);      /* e + U+0301 */
    ck_assert_int_eq(utf8_width("a\xE2\x80\x8B" "b"), 2); /* U+200B zero width space */
    ck_assert_int_eq(utf8_width("\xEF\xBB\xBFx"), 1);   /* U+FEFF */
}
END_TEST

START_TEST(test_width_of_cjk_is_two_per_character)
{
    ck_assert_int_eq(utf8_width("\xE9\x9B\xBB\xE8\xA9\xB1"), 4); /* 電話 */
    ck_assert_int_eq(utf8_width("\xED\x95\x9C"), 2);               /* 한 U+D55C */
}
END_TEST

START_TEST(test_width_of_emoji_is_two)
{
    ck_assert_int_eq(utf8_width("\xF0\x9F\x93\x9E"), 2); /* 📞 U+1F4DE */
}
END_TEST

START_TEST(test_width_of_invalid_bytes_is_one_each)
{
    ck_assert_int_eq(utf8_width("\xFF\xFE" "ab"), 4);
    ck_assert_int_eq(utf8_width("a\xE2\x82"), 3);        /* truncated sequence */
    ck_assert_int_eq(utf8_width("\xC0\xAF"), 2);         /* overlong '/' */
    ck_assert_int_eq(utf8_width("\xED\xA0\x80"), 3);     /* surrogate */
    ck_assert_int_eq(utf8_width("\x80x"), 2);            /* stray continuation */
}
END_TEST

START_TEST(test_width_of_control_characters_is_zero)
{
    ck_assert_int_eq(utf8_width("a\tb\x1b\x7f"), 2);
    ck_assert_int_eq(utf8_width("\xC2\x85"), 0); /* U+0085 (C1) */
}
END_TEST

/* ---- utf8_fit ------------------------------------------------------------- */

START_TEST(test_fit_copies_text_that_fits)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("hello", 10, true, out, sizeof out), 5);
    ck_assert_str_eq(out, "hello");
    ck_assert_int_eq(utf8_fit("hello", 5, true, out, sizeof out), 5);
    ck_assert_str_eq(out, "hello");
}
END_TEST

START_TEST(test_fit_cuts_ascii_with_unicode_ellipsis)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("hello world", 5, true, out, sizeof out), 5);
    ck_assert_str_eq(out, "hell" ELLIPSIS);
    ck_assert_int_eq(utf8_width(out), 5);
}
END_TEST

START_TEST(test_fit_cuts_ascii_with_dot_when_not_utf8)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("hello world", 5, false, out, sizeof out), 5);
    ck_assert_str_eq(out, "hell.");
}
END_TEST

START_TEST(test_fit_width_one_is_just_the_ellipsis)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("hello", 1, true, out, sizeof out), 1);
    ck_assert_str_eq(out, ELLIPSIS);
}
END_TEST

START_TEST(test_fit_never_splits_a_two_byte_letter)
{
    char out[32];
    const char *s = "\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9"; /* ééééé */
    ck_assert_int_eq(utf8_fit(s, 3, false, out, sizeof out), 3);
    ck_assert_str_eq(out, "\xC3\xA9\xC3\xA9.");
    /* Cut by the buffer, not the width: 4 bytes of room hold é and "." */
    ck_assert_int_eq(utf8_fit(s, 10, false, out, 5), 2);
    ck_assert_str_eq(out, "\xC3\xA9.");
    ck_assert_int_eq(utf8_fit(s, 10, false, out, 4), 2);
    ck_assert_str_eq(out, "\xC3\xA9.");
    ck_assert_int_eq(utf8_fit(s, 10, false, out, 3), 1);
    ck_assert_str_eq(out, ".");
}
END_TEST

START_TEST(test_fit_keeps_combining_mark_with_its_letter)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("e\xCC\x81", 1, true, out, sizeof out), 1);
    ck_assert_str_eq(out, "e\xCC\x81");
}
END_TEST

START_TEST(test_fit_drops_wide_character_straddling_the_limit)
{
    char out[32];
    const char *s = "a\xE9\x9B\xBB\xE8\xA9\xB1"; /* a電話, width 5 */
    ck_assert_int_eq(utf8_fit(s, 3, true, out, sizeof out), 2);
    ck_assert_str_eq(out, "a" ELLIPSIS);
    ck_assert_int_eq(utf8_fit(s, 4, true, out, sizeof out), 4);
    ck_assert_str_eq(out, "a\xE9\x9B\xBB" ELLIPSIS);
    ck_assert_int_eq(utf8_fit(s + 1, 4, true, out, sizeof out), 4);
    ck_assert_str_eq(out, "\xE9\x9B\xBB\xE8\xA9\xB1");
}
END_TEST

START_TEST(test_fit_tiny_buffers_are_safe)
{
    for (size_t outlen = 1; outlen <= 3; outlen++) {
        char out[8];
        memset(out, 'X', sizeof out);
        int w = utf8_fit("hello", 10, true, out, outlen);
        ck_assert_uint_lt(strlen(out), outlen);
        for (size_t i = outlen; i < sizeof out; i++)
            ck_assert_int_eq(out[i], 'X');
        ck_assert_int_eq(w, utf8_width(out));
    }
    char out[8];
    ck_assert_int_eq(utf8_fit("hello", 10, true, out, 1), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(utf8_fit("hello", 10, true, out, 2), 1);
    ck_assert_str_eq(out, ".");
    ck_assert_int_eq(utf8_fit("hello", 10, true, out, 3), 2);
    ck_assert_str_eq(out, "h.");
    ck_assert_int_eq(utf8_fit("hello", 10, true, out, 0), 0);
}
END_TEST

START_TEST(test_fit_max_width_zero_gives_empty)
{
    char out[8] = "junk";
    ck_assert_int_eq(utf8_fit("hello", 0, true, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
    strcpy(out, "junk");
    ck_assert_int_eq(utf8_fit("hello", -3, false, out, sizeof out), 0);
    ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_fit_drops_control_characters_and_marks_invalid_bytes)
{
    char out[32];
    ck_assert_int_eq(utf8_fit("a\x1b[31mb\n", 20, true, out, sizeof out), 6);
    ck_assert_str_eq(out, "a[31mb");
    ck_assert_int_eq(utf8_fit("x\xFFy", 20, true, out, sizeof out), 3);
    ck_assert_str_eq(out, "x?y");
}
END_TEST

/* ---- layout_table_columns ------------------------------------------------- */

static int sum_with_separators(const int *w, int n)
{
    int sum = 0, visible = 0;
    for (int i = 0; i < n; i++) {
        sum += w[i];
        visible += w[i] > 0;
    }
    return sum + (visible > 1 ? visible - 1 : 0);
}

START_TEST(test_table_columns_fill_width_exactly_by_weight)
{
    int min_w[] = { 10, 10, 10 }, weight[] = { 1, 2, 1 }, w[3];
    layout_table_columns(50, 3, min_w, weight, w);
    /* spare 18: 4 + 9 + 4, the one left over to the heaviest */
    ck_assert_int_eq(w[0], 14);
    ck_assert_int_eq(w[1], 20);
    ck_assert_int_eq(w[2], 14);
    ck_assert_int_eq(sum_with_separators(w, 3), 50);
}
END_TEST

START_TEST(test_table_columns_remainder_to_heaviest_then_leftmost)
{
    int min_w[] = { 5, 5, 5, 5 }, w[4];
    int heavy[] = { 1, 3, 3, 1 };
    layout_table_columns(30, 4, min_w, heavy, w); /* spare 7: 0 2 2 0, +3 */
    ck_assert_int_eq(w[0], 6);
    ck_assert_int_eq(w[1], 8);
    ck_assert_int_eq(w[2], 8);
    ck_assert_int_eq(w[3], 5);
    ck_assert_int_eq(sum_with_separators(w, 4), 30);

    int equal[] = { 1, 1, 1, 1 };
    layout_table_columns(26, 4, min_w, equal, w); /* spare 3 */
    ck_assert_int_eq(w[0], 6);
    ck_assert_int_eq(w[1], 6);
    ck_assert_int_eq(w[2], 6);
    ck_assert_int_eq(w[3], 5);
}
END_TEST

START_TEST(test_table_columns_exact_minimum_has_no_spare)
{
    int min_w[] = { 8, 12, 6 }, weight[] = { 1, 1, 1 }, w[3];
    layout_table_columns(28, 3, min_w, weight, w);
    ck_assert_int_eq(w[0], 8);
    ck_assert_int_eq(w[1], 12);
    ck_assert_int_eq(w[2], 6);
}
END_TEST

START_TEST(test_table_columns_hidden_from_the_right_when_too_narrow)
{
    int min_w[] = { 10, 10, 10 }, weight[] = { 1, 1, 1 }, w[3];
    layout_table_columns(25, 3, min_w, weight, w);
    ck_assert_int_eq(w[0], 12);
    ck_assert_int_eq(w[1], 12);
    ck_assert_int_eq(w[2], 0);
    ck_assert_int_eq(sum_with_separators(w, 3), 25);

    layout_table_columns(10, 3, min_w, weight, w);
    ck_assert_int_eq(w[0], 10);
    ck_assert_int_eq(w[1], 0);
    ck_assert_int_eq(w[2], 0);

    layout_table_columns(5, 3, min_w, weight, w);
    ck_assert_int_eq(w[0] + w[1] + w[2], 0);
    layout_table_columns(-5, 3, min_w, weight, w);
    ck_assert_int_eq(w[0] + w[1] + w[2], 0);
}
END_TEST

START_TEST(test_table_columns_all_zero_weights_share_equally)
{
    int min_w[] = { 3, 3, 3 }, weight[] = { 0, 0, 0 }, w[3];
    layout_table_columns(21, 3, min_w, weight, w); /* spare 10 */
    ck_assert_int_eq(w[0], 7);
    ck_assert_int_eq(w[1], 6);
    ck_assert_int_eq(w[2], 6);
    ck_assert_int_eq(sum_with_separators(w, 3), 21);
}
END_TEST

START_TEST(test_table_columns_zero_weight_gets_no_spare)
{
    int min_w[] = { 3, 3, 3 }, weight[] = { 0, 1, 0 }, w[3];
    layout_table_columns(21, 3, min_w, weight, w);
    ck_assert_int_eq(w[0], 3);
    ck_assert_int_eq(w[1], 13);
    ck_assert_int_eq(w[2], 3);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("layout");
    TCase *frame = tcase_create("frame");
    tcase_add_test(frame, test_frame_at_80x24_minimum);
    tcase_add_test(frame, test_frame_at_200x50);
    tcase_add_test(frame, test_frame_widths_and_rows_add_up);
    tcase_add_test(frame, test_hidden_submenu_gives_its_width_to_content);
    tcase_add_test(frame, test_79_columns_is_too_small);
    tcase_add_test(frame, test_23_rows_is_too_small);
    tcase_add_test(frame, test_absurd_sizes_never_give_negative_rects);
    suite_add_tcase(s, frame);

    TCase *columns = tcase_create("columns");
    tcase_add_test(columns, test_carrier_detail_three_columns_at_fold_width);
    tcase_add_test(columns, test_carrier_detail_folds_to_one_column_below_120);
    tcase_add_test(columns, test_columns_fill_exactly_with_remainder_to_the_left);
    tcase_add_test(columns, test_stacked_rows_fill_exactly_with_gaps);
    tcase_add_test(columns, test_columns_single_part_takes_the_area);
    tcase_add_test(columns, test_columns_n_zero_writes_nothing);
    tcase_add_test(columns, test_columns_tiny_area_gives_zero_size_parts);
    suite_add_tcase(s, columns);

    TCase *text = tcase_create("text");
    tcase_add_test(text, test_width_of_ascii);
    tcase_add_test(text, test_width_of_two_byte_letter_is_one);
    tcase_add_test(text, test_width_of_combining_mark_is_zero);
    tcase_add_test(text, test_width_of_cjk_is_two_per_character);
    tcase_add_test(text, test_width_of_emoji_is_two);
    tcase_add_test(text, test_width_of_invalid_bytes_is_one_each);
    tcase_add_test(text, test_width_of_control_characters_is_zero);
    tcase_add_test(text, test_fit_copies_text_that_fits);
    tcase_add_test(text, test_fit_cuts_ascii_with_unicode_ellipsis);
    tcase_add_test(text, test_fit_cuts_ascii_with_dot_when_not_utf8);
    tcase_add_test(text, test_fit_width_one_is_just_the_ellipsis);
    tcase_add_test(text, test_fit_never_splits_a_two_byte_letter);
    tcase_add_test(text, test_fit_keeps_combining_mark_with_its_letter);
    tcase_add_test(text, test_fit_drops_wide_character_straddling_the_limit);
    tcase_add_test(text, test_fit_tiny_buffers_are_safe);
    tcase_add_test(text, test_fit_max_width_zero_gives_empty);
    tcase_add_test(text, test_fit_drops_control_characters_and_marks_invalid_bytes);
    suite_add_tcase(s, text);

    TCase *table = tcase_create("table columns");
    tcase_add_test(table, test_table_columns_fill_width_exactly_by_weight);
    tcase_add_test(table, test_table_columns_remainder_to_heaviest_then_leftmost);
    tcase_add_test(table, test_table_columns_exact_minimum_has_no_spare);
    tcase_add_test(table, test_table_columns_hidden_from_the_right_when_too_narrow);
    tcase_add_test(table, test_table_columns_all_zero_weights_share_equally);
    tcase_add_test(table, test_table_columns_zero_weight_gets_no_spare);
    suite_add_tcase(s, table);

    int failed = suite_run(s, false);
    return failed;
}
