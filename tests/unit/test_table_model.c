/* The data table model: rows, selection and scrolling, paging, sort and the
 * footer text. No terminal. */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "table_model.h"
#include "suite.h"

static const table_column carrier_cols[] = {
    { "Name", "name", 12, 3, false },
    { "Status", "status", 8, 1, false },
    { "Balance", "balance", 10, 1, true },
};
#define NCOLS 3

/* A model with n rows "carrier <i>", ids 1000 + i. */
static void fill(table_model *t, int n)
{
    table_init(t, carrier_cols, NCOLS);
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "carrier %d", i);
        const char *cells[NCOLS] = { name, "active", "10.00" };
        ck_assert(table_append(t, 1000 + i, cells));
    }
}

static void assert_visible(const table_model *t, int height)
{
    ck_assert_uint_le(t->top, t->selected);
    ck_assert_uint_lt(t->selected, t->top + (size_t)height);
    ck_assert_uint_lt(t->selected, t->nrows);
}

/* ---- rows ---------------------------------------------------------------- */

START_TEST(test_new_model_is_empty)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    ck_assert_uint_eq(t.nrows, 0);
    ck_assert_int_eq(t.total, -1);
    ck_assert_int_eq(t.sort_col, -1);
    ck_assert_ptr_null(t.next_cursor);
    ck_assert_str_eq(t.filter, "");
    ck_assert_ptr_null(table_selected(&t));
    table_free(&t);
}
END_TEST

START_TEST(test_append_copies_cells_and_selects_first_row)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    char name[16] = "Acme";
    const char *cells[NCOLS] = { name, "active", "12.50" };
    ck_assert(table_append(&t, 7, cells));
    strcpy(name, "changed");
    const char *more[NCOLS] = { "Globex", "paused", "0.00" };
    ck_assert(table_append(&t, 8, more));

    ck_assert_uint_eq(t.nrows, 2);
    const table_row *r = table_selected(&t);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(r->id, 7);
    ck_assert_str_eq(r->cells[0], "Acme");
    ck_assert_str_eq(r->cells[2], "12.50");
    ck_assert_str_eq(t.rows[1].cells[1], "paused");
    table_free(&t);
}
END_TEST

START_TEST(test_null_cells_are_stored_as_empty_strings)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    const char *cells[NCOLS] = { "Acme", NULL, "1.00" };
    ck_assert(table_append(&t, 1, cells));
    ck_assert(table_append(&t, 2, NULL));
    ck_assert_str_eq(t.rows[0].cells[0], "Acme");
    ck_assert_str_eq(t.rows[0].cells[1], "");
    for (int c = 0; c < NCOLS; c++)
        ck_assert_str_eq(t.rows[1].cells[c], "");
    table_free(&t);
}
END_TEST

START_TEST(test_ten_thousand_rows_append)
{
    table_model t;
    fill(&t, 10000);
    ck_assert_uint_eq(t.nrows, 10000);
    ck_assert_int_eq(t.rows[9999].id, 10999);
    ck_assert_str_eq(t.rows[9999].cells[0], "carrier 9999");
    table_select_last(&t, 20);
    ck_assert_int_eq(table_selected(&t)->id, 10999);
    ck_assert_uint_eq(t.top, 9980);
    table_free(&t);
}
END_TEST

START_TEST(test_free_twice_is_safe)
{
    table_model t;
    fill(&t, 3);
    table_set_page(&t, 3, "c1");
    table_free(&t);
    table_free(&t);
    ck_assert_uint_eq(t.nrows, 0);
    ck_assert_ptr_null(t.rows);
    ck_assert_ptr_null(t.next_cursor);
}
END_TEST

/* ---- selection and scrolling ----------------------------------------------- */

START_TEST(test_move_clamps_at_the_top)
{
    table_model t;
    fill(&t, 10);
    table_move(&t, -1, 5);
    ck_assert_uint_eq(t.selected, 0);
    table_move(&t, 3, 5);
    table_move(&t, -100, 5);
    ck_assert_uint_eq(t.selected, 0);
    ck_assert_uint_eq(t.top, 0);
    table_move(&t, LONG_MIN, 5);
    ck_assert_uint_eq(t.selected, 0);
    table_free(&t);
}
END_TEST

START_TEST(test_move_clamps_at_the_bottom)
{
    table_model t;
    fill(&t, 10);
    table_move(&t, 100, 5);
    ck_assert_uint_eq(t.selected, 9);
    ck_assert_uint_eq(t.top, 5);
    table_move(&t, 1, 5);
    ck_assert_uint_eq(t.selected, 9);
    table_move(&t, LONG_MAX, 5);
    ck_assert_uint_eq(t.selected, 9);
    assert_visible(&t, 5);
    table_free(&t);
}
END_TEST

START_TEST(test_move_scrolls_the_window_by_the_least_needed)
{
    table_model t;
    fill(&t, 100);
    table_move(&t, 15, 10);
    ck_assert_uint_eq(t.selected, 15);
    ck_assert_uint_eq(t.top, 6); /* selection on the bottom row */
    table_move(&t, -3, 10);
    ck_assert_uint_eq(t.selected, 12);
    ck_assert_uint_eq(t.top, 6); /* still visible: no scroll */
    table_move(&t, -10, 10);
    ck_assert_uint_eq(t.selected, 2);
    ck_assert_uint_eq(t.top, 2); /* selection on the top row */
    table_free(&t);
}
END_TEST

START_TEST(test_move_keeps_selection_visible_for_any_height)
{
    static const int heights[] = { 1, 2, 3, 7, 10, 50, 200 };
    for (size_t h = 0; h < sizeof heights / sizeof *heights; h++) {
        table_model t;
        fill(&t, 60);
        int height = heights[h];
        for (int i = 0; i < 70; i++) {
            table_move(&t, 1, height);
            assert_visible(&t, height);
        }
        ck_assert_uint_eq(t.selected, 59);
        for (int i = 0; i < 25; i++) {
            table_move(&t, -3, height);
            assert_visible(&t, height);
        }
        ck_assert_uint_eq(t.selected, 0);
        ck_assert_uint_eq(t.top, 0);
        table_move(&t, 31, height);
        assert_visible(&t, height);
        table_free(&t);
    }
}
END_TEST

START_TEST(test_move_on_empty_table_does_nothing)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    table_move(&t, 5, 10);
    table_move(&t, -5, 10);
    table_select_last(&t, 10);
    table_select_first(&t, 10);
    ck_assert_uint_eq(t.selected, 0);
    ck_assert_uint_eq(t.top, 0);
    ck_assert_ptr_null(table_selected(&t));
    table_free(&t);
}
END_TEST

START_TEST(test_select_first_and_last)
{
    table_model t;
    fill(&t, 100);
    table_select_last(&t, 10);
    ck_assert_uint_eq(t.selected, 99);
    ck_assert_uint_eq(t.top, 90);
    ck_assert_int_eq(table_selected(&t)->id, 1099);
    table_select_first(&t, 10);
    ck_assert_uint_eq(t.selected, 0);
    ck_assert_uint_eq(t.top, 0);
    ck_assert_int_eq(table_selected(&t)->id, 1000);
    table_free(&t);
}
END_TEST

START_TEST(test_taller_window_shows_rows_above_the_last)
{
    table_model t;
    fill(&t, 30);
    table_select_last(&t, 5);
    ck_assert_uint_eq(t.top, 25);
    table_move(&t, 0, 20); /* the terminal grew */
    ck_assert_uint_eq(t.selected, 29);
    ck_assert_uint_eq(t.top, 10);
    table_free(&t);
}
END_TEST

/* ---- paging ---------------------------------------------------------------- */

START_TEST(test_wants_more_needs_a_cursor)
{
    table_model t;
    fill(&t, 100);
    table_set_page(&t, 100, NULL);
    table_select_last(&t, 10);
    ck_assert(!table_wants_more(&t, 10));
    table_free(&t);
}
END_TEST

START_TEST(test_wants_more_when_selection_nears_the_end)
{
    table_model t;
    fill(&t, 100);
    char cursor[16] = "page-2";
    table_set_page(&t, 250, cursor);
    strcpy(cursor, "changed");
    ck_assert_str_eq(t.next_cursor, "page-2");
    ck_assert_int_eq(t.total, 250);

    ck_assert(!table_wants_more(&t, 10));
    table_move(&t, 89, 10); /* 89 + 10 < 100 */
    ck_assert(!table_wants_more(&t, 10));
    table_move(&t, 1, 10); /* 90 + 10 >= 100 */
    ck_assert(table_wants_more(&t, 10));

    table_set_page(&t, 250, NULL); /* the last page arrived */
    ck_assert_ptr_null(t.next_cursor);
    ck_assert(!table_wants_more(&t, 10));
    table_free(&t);
}
END_TEST

START_TEST(test_empty_table_with_cursor_wants_more)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    table_set_page(&t, 40, "c0");
    ck_assert(table_wants_more(&t, 10));
    table_free(&t);
}
END_TEST

/* ---- sort ------------------------------------------------------------------ */

START_TEST(test_sort_new_column_is_ascending_same_column_flips)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    char buf[32];
    ck_assert_str_eq(table_sort_by(&t, 0, buf, sizeof buf), "name");
    ck_assert_int_eq(t.sort_col, 0);
    ck_assert(!t.sort_desc);
    ck_assert_str_eq(table_sort_by(&t, 0, buf, sizeof buf), "-name");
    ck_assert(t.sort_desc);
    ck_assert_str_eq(table_sort_by(&t, 0, buf, sizeof buf), "name");
    ck_assert(!t.sort_desc);
    table_sort_by(&t, 0, buf, sizeof buf); /* descending ... */
    ck_assert_str_eq(table_sort_by(&t, 2, buf, sizeof buf), "balance");
    ck_assert_int_eq(t.sort_col, 2); /* ... and a new column starts ascending */
    ck_assert(!t.sort_desc);
    ck_assert_str_eq(buf, "balance");
    table_free(&t);
}
END_TEST

START_TEST(test_sort_out_of_range_returns_to_server_default)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    char buf[32];
    table_sort_by(&t, 1, buf, sizeof buf);
    ck_assert_str_eq(table_sort_by(&t, -1, buf, sizeof buf), "");
    ck_assert_int_eq(t.sort_col, -1);
    table_sort_by(&t, 1, buf, sizeof buf);
    ck_assert_str_eq(table_sort_by(&t, NCOLS, buf, sizeof buf), "");
    ck_assert_int_eq(t.sort_col, -1);
    table_free(&t);
}
END_TEST

START_TEST(test_sort_parameter_never_cut)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    char buf[5];
    ck_assert_str_eq(table_sort_by(&t, 0, buf, sizeof buf), "name");
    ck_assert_ptr_null(table_sort_by(&t, 0, buf, sizeof buf)); /* "-name" needs 6 */
    ck_assert_str_eq(buf, "");
    ck_assert(t.sort_desc); /* the state still flipped */
    table_free(&t);
}
END_TEST

/* ---- footer ---------------------------------------------------------------- */

START_TEST(test_footer_unknown_total)
{
    table_model t;
    table_init(&t, carrier_cols, NCOLS);
    char buf[128];
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "0 of ?");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_count_and_total)
{
    table_model t;
    fill(&t, 12);
    table_set_page(&t, 148, "c2");
    char buf[128];
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148");
    table_footer(&t, false, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_sort_arrows_utf8)
{
    table_model t;
    fill(&t, 12);
    table_set_page(&t, 148, "c2");
    char buf[128], p[32];
    table_sort_by(&t, 0, p, sizeof p);
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 \xC2\xB7 sort Name \xE2\x96\xB2");
    table_sort_by(&t, 0, p, sizeof p);
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 \xC2\xB7 sort Name \xE2\x96\xBC");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_sort_arrows_ascii)
{
    table_model t;
    fill(&t, 12);
    table_set_page(&t, 148, "c2");
    char buf[128], p[32];
    table_sort_by(&t, 1, p, sizeof p);
    table_footer(&t, false, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 | sort Status ^");
    table_sort_by(&t, 1, p, sizeof p);
    table_footer(&t, false, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 | sort Status v");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_sort_and_filter)
{
    table_model t;
    fill(&t, 12);
    table_set_page(&t, 148, "c2");
    char buf[128], p[32];
    table_sort_by(&t, 0, p, sizeof p);
    strcpy(t.filter, "acme");
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 \xC2\xB7 sort Name \xE2\x96\xB2 \xC2\xB7 filter: acme");
    table_footer(&t, false, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 | sort Name ^ | filter: acme");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_filter_without_sort)
{
    table_model t;
    fill(&t, 3);
    strcpy(t.filter, "status=active");
    char buf[128];
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "3 of ? \xC2\xB7 filter: status=active");
    table_footer(&t, false, buf, sizeof buf);
    ck_assert_str_eq(buf, "3 of ? | filter: status=active");
    table_free(&t);
}
END_TEST

START_TEST(test_footer_small_buffer_never_ends_in_half_a_character)
{
    table_model t;
    fill(&t, 12);
    table_set_page(&t, 148, NULL);
    char p[32];
    table_sort_by(&t, 0, p, sizeof p);
    char buf[12]; /* "12 of 148 " + the first byte of the dot */
    table_footer(&t, true, buf, sizeof buf);
    ck_assert_str_eq(buf, "12 of 148 ");
    char one[1] = { 'X' };
    table_footer(&t, true, one, sizeof one);
    ck_assert_int_eq(one[0], '\0');
    table_free(&t);
}
END_TEST

/* ---- clear ----------------------------------------------------------------- */

START_TEST(test_clear_keeps_sort_and_filter)
{
    table_model t;
    fill(&t, 50);
    char p[32];
    table_sort_by(&t, 2, p, sizeof p);
    table_sort_by(&t, 2, p, sizeof p);
    strcpy(t.filter, "acme");
    table_set_page(&t, 500, "c9");
    table_move(&t, 40, 10);

    table_clear(&t);
    ck_assert_uint_eq(t.nrows, 0);
    ck_assert_ptr_null(t.next_cursor);
    ck_assert_uint_eq(t.selected, 0);
    ck_assert_uint_eq(t.top, 0);
    ck_assert_ptr_null(table_selected(&t));
    ck_assert_int_eq(t.sort_col, 2);
    ck_assert(t.sort_desc);
    ck_assert_str_eq(t.filter, "acme");
    ck_assert_ptr_eq(t.cols, carrier_cols);
    ck_assert_int_eq(t.ncols, NCOLS);

    const char *cells[NCOLS] = { "Acme", "active", "1.00" };
    ck_assert(table_append(&t, 1, cells)); /* usable again */
    ck_assert_int_eq(table_selected(&t)->id, 1);
    table_free(&t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("table_model");
    TCase *rows = tcase_create("rows");
    tcase_add_test(rows, test_new_model_is_empty);
    tcase_add_test(rows, test_append_copies_cells_and_selects_first_row);
    tcase_add_test(rows, test_null_cells_are_stored_as_empty_strings);
    tcase_add_test(rows, test_ten_thousand_rows_append);
    tcase_add_test(rows, test_free_twice_is_safe);
    tcase_add_test(rows, test_clear_keeps_sort_and_filter);
    suite_add_tcase(s, rows);

    TCase *sel = tcase_create("selection");
    tcase_add_test(sel, test_move_clamps_at_the_top);
    tcase_add_test(sel, test_move_clamps_at_the_bottom);
    tcase_add_test(sel, test_move_scrolls_the_window_by_the_least_needed);
    tcase_add_test(sel, test_move_keeps_selection_visible_for_any_height);
    tcase_add_test(sel, test_move_on_empty_table_does_nothing);
    tcase_add_test(sel, test_select_first_and_last);
    tcase_add_test(sel, test_taller_window_shows_rows_above_the_last);
    suite_add_tcase(s, sel);

    TCase *paging = tcase_create("paging");
    tcase_add_test(paging, test_wants_more_needs_a_cursor);
    tcase_add_test(paging, test_wants_more_when_selection_nears_the_end);
    tcase_add_test(paging, test_empty_table_with_cursor_wants_more);
    suite_add_tcase(s, paging);

    TCase *sort = tcase_create("sort and footer");
    tcase_add_test(sort, test_sort_new_column_is_ascending_same_column_flips);
    tcase_add_test(sort, test_sort_out_of_range_returns_to_server_default);
    tcase_add_test(sort, test_sort_parameter_never_cut);
    tcase_add_test(sort, test_footer_unknown_total);
    tcase_add_test(sort, test_footer_count_and_total);
    tcase_add_test(sort, test_footer_sort_arrows_utf8);
    tcase_add_test(sort, test_footer_sort_arrows_ascii);
    tcase_add_test(sort, test_footer_sort_and_filter);
    tcase_add_test(sort, test_footer_filter_without_sort);
    tcase_add_test(sort, test_footer_small_buffer_never_ends_in_half_a_character);
    suite_add_tcase(s, sort);

    int failed = suite_run(s, false);
    return failed;
}
