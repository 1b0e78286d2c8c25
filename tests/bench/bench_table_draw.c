/*
 * bench_table_draw: time to redraw the console's table widget holding
 * 10,000 rows, into a real ncurses screen written to /dev/null — the work
 * the console does per event, without a terminal in the way.
 *
 *   bench_table_draw [--rows N] [--frames N]
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "screen.h"
#include "theme.h"

int main(int argc, char **argv)
{
    int rows = 10000, frames = 2000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rows"))
            rows = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frames"))
            frames = atoi(argv[i + 1]);
    }
    static const table_column cols[] = {
        { "Name", "name", 16, 4, false }, { "Type", "type", 9, 0, false }, { "Status", "status", 9, 0, false },
        { "Cur", "currency", 4, 0, false }, { "Credit", "credit_type", 8, 0, false },
        { "Limit", "credit_limit", 12, 1, true }, { "Account manager", "account_manager", 15, 2, false },
    };
    table_model t;
    table_init(&t, cols, 7);
    for (int i = 0; i < rows; i++) {
        char name[32], limit[32];
        snprintf(name, sizeof name, "Carrier %d Télécom", i);
        snprintf(limit, sizeof limit, "%d.000000", i * 10);
        const char *cells[7] = { name, "customer", "active", "USD", "postpaid", limit, "Alice Reed" };
        table_append(&t, i + 1, cells);
    }
    table_set_page(&t, rows, NULL);
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm-256color", out, in);
    if (!scr) {
        fprintf(stderr, "bench_table_draw: no xterm-256color terminfo\n");
        return 1;
    }
    resizeterm(30, 120);
    theme_set_utf8(true);
    theme_apply(THEME_DARK);
    rect r = { 3, 24, 26, 96 };
    long long *ns = calloc((size_t)frames, sizeof *ns);
    for (int f = 0; f < frames; f++) {
        long long t0 = bench_now_ns();
        table_move(&t, (f % 50) < 25 ? 1 : -1, r.h - 1); /* the selection moves, as on a key */
        table_draw(&t, r, true, NULL);
        refresh();
        ns[f] = bench_now_ns() - t0;
    }
    char line[128];
    printf("table_redraw rows=%d %s\n", rows, bench_frame_times(line, sizeof line, ns, frames));
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
    free(ns);
    table_free(&t);
    return 0;
}
