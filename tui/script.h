/*
 * script: keys to replay, for golden-screen tests and demos
 * (`didtron --script FILE`). One step a line; "#" starts a comment:
 *
 *   key Down              one key, spelt as in keymap files
 *   keys / a c m e Enter  several keys
 *   type Night NOC        literal text, one key per character
 *   wait Acme Telecom     until the screen shows the text (10 s, else the
 *                         console exits with status 3 and says why)
 *   sleep 200             milliseconds
 *   timeout 3000          how long later waits wait, in ms (default 10000)
 *   save PATH             write the screen as UTF-8 text to PATH
 *
 * When the steps run out the console stays interactive; end a script with
 * "key C-q" (or ": q Enter") to quit.
 */
#ifndef DIDTRON_TUI_SCRIPT_H
#define DIDTRON_TUI_SCRIPT_H

#include <stddef.h>

typedef enum { STEP_KEY, STEP_WAIT, STEP_SLEEP, STEP_SAVE, STEP_TIMEOUT } step_kind;

typedef struct {
    step_kind kind;
    int key;          /* STEP_KEY */
    int ms;           /* STEP_SLEEP, STEP_TIMEOUT */
    char text[256];   /* STEP_WAIT, STEP_SAVE */
    int line;         /* where it came from */
} script_step;

typedef struct script {
    script_step *steps;
    size_t n, cap;
} script;

/* Parse text into s (appending). Each bad line adds "source:line: message\n"
 * to err and is skipped. Returns the number of bad lines, or -1 when out
 * of memory. */
int script_parse(script *s, const char *text, const char *source, char *err, size_t errlen);
void script_free(script *s);

#endif
