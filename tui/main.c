/*
 * didtron: the DIDTron console.
 *
 *   didtron [--url ws://127.0.0.1:7480/ws] [--user NAME] [--read-only] [--wall]
 *           [--start noc|carriers]
 *           [--theme dark|light|system] [--keymap default|vim|emacs]
 *
 * The password comes from DIDTRON_PASSWORD or a prompt; a session token is
 * cached (0600) in $XDG_STATE_HOME/didtron/token so the next start resumes
 * without asking. Keymaps: keymaps/default.keys, then --keymap NAME's file,
 * then $XDG_CONFIG_HOME/didtron/keymap — later bindings win.
 */
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "script.h"

#ifndef DIDTRON_KEYMAP_DIR
#define DIDTRON_KEYMAP_DIR "keymaps"
#endif

static void usage(FILE *f)
{
    fprintf(f, "usage: didtron [--url ws://HOST:PORT/ws] [--user NAME] [--read-only]\n"
               "               [--theme dark|light|system] [--keymap default|vim|emacs]\n"
               "               [--script FILE]   (keys to replay: see tui/script.h)\n"
               "               [--wall]          (the NOC dashboard read-only, full width: a wall screen)\n"
               "               [--start noc|carriers] (staff land on the NOC dashboard; or DIDTRON_START)\n"
               "password: DIDTRON_PASSWORD, else the login screen; the session token is cached in\n"
               "$XDG_STATE_HOME/didtron/token (mode 0600)\n");
}

/* A whole small file (a script), NUL-terminated; NULL on error. */
static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[4096];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got + 1 > cap || len + got > (1u << 20)) {
            cap = (len + got + 1) * 2;
            char *p = len + got > (1u << 20) ? NULL : realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                errno = EFBIG;
                return NULL;
            }
            buf = p;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    return buf;
}

static void path_in(char *buf, size_t n, const char *xdg_var, const char *fallback, const char *leaf)
{
    const char *base = getenv(xdg_var);
    const char *home = getenv("HOME");
    if (base && *base)
        snprintf(buf, n, "%s/didtron/%s", base, leaf);
    else
        snprintf(buf, n, "%s/%s/didtron/%s", home ? home : ".", fallback, leaf);
}

/* The cached token of `user`, if the cache is for that user. */
static char *cached_token(const char *file, const char *user)
{
    FILE *f = fopen(file, "r");
    if (!f)
        return NULL;
    char who[128] = "", tok[128] = "";
    char *result = NULL;
    if (fgets(who, sizeof who, f) && fgets(tok, sizeof tok, f)) {
        who[strcspn(who, "\n")] = '\0';
        tok[strcspn(tok, "\n")] = '\0';
        if (!strcmp(who, user) && tok[0])
            result = strdup(tok);
    }
    fclose(f);
    return result;
}

static int load_keymaps(keymap *k, const char *name)
{
    char path[1024], err[2048] = "";
    int bad = 0;
    snprintf(path, sizeof path, "%s/default.keys", DIDTRON_KEYMAP_DIR);
    bad += keymap_load_file(k, path, err, sizeof err);
    if (name && strcmp(name, "default")) {
        snprintf(path, sizeof path, "%s/%s.keys", DIDTRON_KEYMAP_DIR, name);
        if (access(path, R_OK)) {
            fprintf(stderr, "didtron: no keymap \"%s\" (%s)\n", name, path);
            return -1;
        }
        bad += keymap_load_file(k, path, err + strlen(err), sizeof err - strlen(err));
    }
    path_in(path, sizeof path, "XDG_CONFIG_HOME", ".config", "keymap");
    if (access(path, R_OK) == 0)
        bad += keymap_load_file(k, path, err + strlen(err), sizeof err - strlen(err));
    if (bad)
        fprintf(stderr, "didtron: keymap problems (those lines are ignored):\n%s", err);
    return 0;
}

int main(int argc, char **argv)
{
    app_options opt = { .url = "ws://127.0.0.1:7480/ws", .theme = THEME_DARK };
    const char *keymap_name = "default";
    const char *script_path = NULL;
    script replay = { 0 };
    const char *user = getenv("USER");
    const char *start = getenv("DIDTRON_START"); /* --start's default */
    opt.start_carriers = start && !strcmp(start, "carriers");
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(arg, "--read-only")) {
            opt.read_only = true;
        } else if (!strcmp(arg, "--wall")) {
            opt.read_only = opt.wall = true;
        } else if (!strcmp(arg, "--start") && val) {
            if (strcmp(val, "noc") && strcmp(val, "carriers")) {
                fprintf(stderr, "didtron: --start must be noc or carriers\n");
                return 2;
            }
            opt.start_carriers = !strcmp(val, "carriers");
            i++;
        } else if (!strcmp(arg, "--url") && val) {
            opt.url = val;
            i++;
        } else if (!strcmp(arg, "--user") && val) {
            user = val;
            i++;
        } else if (!strcmp(arg, "--keymap") && val) {
            keymap_name = val;
            i++;
        } else if (!strcmp(arg, "--script") && val) {
            script_path = val;
            i++;
        } else if (!strcmp(arg, "--theme") && val) {
            if (!theme_parse(val, &opt.theme)) {
                fprintf(stderr, "didtron: --theme must be dark, light or system\n");
                return 2;
            }
            i++;
        } else {
            fprintf(stderr, "didtron: unexpected argument %s\n", arg);
            usage(stderr);
            return 2;
        }
    }
    if ((!user || !*user) && !isatty(STDIN_FILENO)) {
        fprintf(stderr, "didtron: --user NAME is needed\n");
        return 2;
    }
    if (!user)
        user = ""; /* the login screen asks */
    opt.user = user;
    if (script_path) {
        char *text = read_file(script_path);
        char err[2048];
        if (!text) {
            fprintf(stderr, "didtron: cannot read %s: %s\n", script_path, strerror(errno));
            return 2;
        }
        int bad = script_parse(&replay, text, script_path, err, sizeof err);
        free(text);
        if (bad) {
            fprintf(stderr, "didtron: the script has errors:\n%s", bad < 0 ? "out of memory\n" : err);
            script_free(&replay);
            return 2;
        }
        opt.script = &replay;
    }
    setlocale(LC_ALL, "");
    theme_set_utf8(!strcmp(nl_langinfo(CODESET), "UTF-8"));

    opt.keys = keymap_new();
    if (!opt.keys || load_keymaps(opt.keys, keymap_name)) {
        keymap_free(opt.keys);
        return 2;
    }
    char token_file[1024];
    path_in(token_file, sizeof token_file, "XDG_STATE_HOME", ".local/state", "token");
    opt.token_file = token_file;
    char *token = cached_token(token_file, user);
    char *password = getenv("DIDTRON_PASSWORD") ? strdup(getenv("DIDTRON_PASSWORD")) : NULL;
    if (!password && !token && isatty(STDIN_FILENO))
        opt.login_screen = true; /* the console asks */
    else if (!password && !token) {
        fprintf(stderr, "didtron: no password (set DIDTRON_PASSWORD or run in a terminal)\n");
        keymap_free(opt.keys);
        return 2;
    }
    opt.password = password;
    opt.token = token;
    int rc = app_run(&opt);
    free(password);
    free(token);
    keymap_free(opt.keys);
    script_free(&replay);
    return rc;
}
