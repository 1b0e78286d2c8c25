/*
 * kamailio_run: a real Kamailio on loopback for the integration tests
 * (test_probes, kamailio/test_kamailio), from a config template in this
 * folder with @KEY@ placeholders filled in.
 */
#ifndef DIDTRON_TESTS_KAMAILIO_RUN_H
#define DIDTRON_TESTS_KAMAILIO_RUN_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;      /* -1 when not running */
    char cfg[128];  /* the filled-in config: /tmp/didtron-<name>-<pid>.cfg */
    char log[160];  /* its output: /tmp/didtron-<name>-<pid>.log */
} kamailio_run;

/* The kamailio binary, NULL when it is not installed. */
const char *kamailio_bin(void);
/* The module directory (with its trailing slash) that holds `module`
 * ("sl.so"), NULL when there is none. */
const char *kamailio_mpath(const char *module);

/* Fills in template (each keys[i] becomes vals[i]; @MPATH@ becomes the
 * directory of `module`) and starts kamailio -DD -E on it. False when the
 * config cannot be written or the fork fails. */
bool kamailio_start(kamailio_run *k, const char *name, const char *template_path, const char *module,
                    const char *const *keys, const char *const *vals, int n);
/* SIGTERM and wait; nothing when it is not running. */
void kamailio_stop(kamailio_run *k);
/* Stops it, removes the config, and the log unless keep_log (kept for
 * reading when a test failed). */
void kamailio_done(kamailio_run *k, bool keep_log);

#endif
