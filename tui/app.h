/*
 * app: the console's state and its one loop's handlers — keys in, actions
 * out, replies and events in, and a frame drawn from the state. Screens
 * draw into the content rectangle the layout gives them; the frame
 * (header, workspace tabs, rail, sub-menu, dock) is drawn around them.
 */
#ifndef DIDTRON_TUI_APP_H
#define DIDTRON_TUI_APP_H

#include <stdbool.h>

#include "keymap.h"
#include "theme.h"

typedef struct {
    const char *url, *user, *password, *token;
    const char *token_file;   /* where to cache the session token (NULL: don't) */
    bool read_only;
    bool wall;                /* --wall: the NOC dashboard read-only, full width (implies read_only) */
    bool start_carriers;      /* --start carriers / DIDTRON_START=carriers: staff do not land on the NOC dashboard */
    bool login_screen;        /* no password or token: ask in the console */
    theme_kind theme;
    keymap *keys;
    const struct script *script; /* --script: keys to replay (NULL: none) */
    const char *screen_dir;   /* where save-screen writes (NULL: the state dir) */
} app_options;

/* Run the console until quit. Returns the process exit code. */
int app_run(const app_options *opt);

#endif
