/*
 * bench_noc_draw: the NOC dashboard (tui/noc_view.c) with 500 suppliers,
 * each with a 30-bucket sparkline, into a real ncurses screen written to
 * /dev/null: the rebuild of its tables from the KPI items (what a 1 Hz
 * monitor.kpi message costs) and a full draw of the screen (three panes).
 * The app's hooks are stubbed here (no server, no app loop).
 *
 *   bench_noc_draw [--suppliers N] [--frames N]
 */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "noc_view.h"
#include "routing_view.h"
#include "theme.h"

/* ---- the app's hooks, stubbed ---- */
void screen_call(screen *s, const char *method, json_t *params, screen_reply_fn fn, int part)
{
    (void)s, (void)method, (void)fn, (void)part;
    json_decref(params);
}
void screen_new_load(screen *s) { s->generation++; }
void app_dirty(void) {}
void app_toast(const char *msg) { (void)msg; }
void pause_text(json_t *pauses, long long interconnect_id, const char *status, char *buf, size_t n, json_t **pause)
{
    (void)pauses, (void)interconnect_id, (void)status;
    buf[0] = '\0';
    if (n && pause)
        *pause = NULL;
}
void pause_or_resume(form *f, long long interconnect_id, const char *name, json_t *pause, void (*done)(void *),
                     void *ud)
{
    (void)f, (void)interconnect_id, (void)name, (void)pause, (void)done, (void)ud;
}
void resume_ask(long long interconnect_id, const char *name, json_t *pause)
{
    (void)interconnect_id, (void)name, (void)pause;
}

static void report(const char *what, int n, int frames, long long *ns)
{
    char line[128];
    printf("%s suppliers=%d %s\n", what, n, bench_frame_times(line, sizeof line, ns, frames));
}

int main(int argc, char **argv)
{
    int n = 500, frames = 1000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--suppliers"))
            n = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--frames"))
            frames = atoi(argv[i + 1]);
    }
    srand(7);
    json_t *items = json_array();
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "%d", i + 1);
        json_t *spark = json_array();
        for (int b = 0; b < 30; b++)
            json_array_append_new(spark, rand() % 10 ? json_real((rand() % 1000) / 1000.0) : json_null());
        long long att = 50 + rand() % 5000, ans = att * (rand() % 100) / 100;
        json_array_append_new(items, json_pack("{s:s, s:I, s:I, s:f, s:f, s:f, s:I, s:n, s:f, s:o}", "scope_id", id,
                                               "attempts", att, "answered", ans, "asr", (double)ans / (double)att,
                                               "acd", 30.0 + rand() % 300, "ner", 0.9, "pdd_ms",
                                               (json_int_t)(500 + rand() % 4000), "pdd_p95_ms", "short_ratio", 0.05,
                                               "spark", spark));
    }
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    SCREEN *scr = newterm("xterm-256color", out, in);
    if (!scr) {
        fprintf(stderr, "bench_noc_draw: no xterm-256color terminfo\n");
        return 1;
    }
    resizeterm(30, 120);
    theme_set_utf8(true);
    theme_apply(THEME_DARK);
    screen *s = noc_view_new(false);
    rect r = { 3, 24, 26, 96 };
    s->ops->draw(s, r); /* fixes the spark column's width */
    long long *ns = calloc((size_t)frames, sizeof *ns);
    for (int f = 0; f < frames; f++) {
        /* one message's worth: every item's ASR moves a little */
        json_t *it = json_array_get(items, (size_t)(f % n));
        json_object_set_new(it, "asr", json_real((f % 100) / 100.0));
        long long t0 = bench_now_ns();
        noc_view_set_items(s, items);
        ns[f] = bench_now_ns() - t0;
    }
    report("noc_rebuild", n, frames, ns);
    for (int f = 0; f < frames; f++) {
        long long t0 = bench_now_ns();
        s->ops->action(s, (f % 50) < 25 ? ACT_DOWN : ACT_UP, r.h);
        erase();
        s->ops->draw(s, r);
        refresh();
        ns[f] = bench_now_ns() - t0;
    }
    report("noc_draw", n, frames, ns);
    s->ops->destroy(s);
    endwin();
    delscreen(scr);
    fclose(out);
    fclose(in);
    free(ns);
    json_decref(items);
    return 0;
}
