/*
 * kamailio_run: see kamailio_run.h.
 */
#include "kamailio_run.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

const char *kamailio_bin(void)
{
    static const char *const where[] = { "/usr/sbin/kamailio", "/usr/local/sbin/kamailio", NULL };
    for (int i = 0; where[i]; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

const char *kamailio_mpath(const char *module)
{
    static const char *const where[] = { "/usr/lib/x86_64-linux-gnu/kamailio/modules/",
                                         "/usr/lib/aarch64-linux-gnu/kamailio/modules/",
                                         "/usr/lib/kamailio/modules/", NULL };
    for (int i = 0; where[i]; i++) {
        char p[256];
        snprintf(p, sizeof p, "%s%s", where[i], module);
        if (access(p, R_OK) == 0)
            return where[i];
    }
    return NULL;
}

static bool write_cfg(const char *template_path, const char *out_path, const char *mpath, const char *const *keys,
                      const char *const *vals, int n)
{
    FILE *in = fopen(template_path, "r"), *out = fopen(out_path, "w");
    if (!in || !out) {
        if (in)
            fclose(in);
        if (out)
            fclose(out);
        return false;
    }
    char line[1024];
    while (fgets(line, sizeof line, in)) {
        const char *p = line;
        while (*p) {
            const char *key = NULL, *val = NULL;
            if (!strncmp(p, "@MPATH@", 7)) {
                key = "@MPATH@";
                val = mpath;
            }
            for (int i = 0; i < n && !key; i++)
                if (!strncmp(p, keys[i], strlen(keys[i]))) {
                    key = keys[i];
                    val = vals[i];
                }
            if (key) {
                fputs(val, out);
                p += strlen(key);
            } else {
                fputc(*p++, out);
            }
        }
    }
    fclose(in);
    fclose(out);
    return true;
}

bool kamailio_start(kamailio_run *k, const char *name, const char *template_path, const char *module,
                    const char *const *keys, const char *const *vals, int n)
{
    k->pid = -1;
    snprintf(k->cfg, sizeof k->cfg, "/tmp/didtron-%s-%d.cfg", name, (int)getpid());
    snprintf(k->log, sizeof k->log, "/tmp/didtron-%s-%d.log", name, (int)getpid());
    const char *bin = kamailio_bin(), *mpath = kamailio_mpath(module);
    if (!bin || !mpath || !write_cfg(template_path, k->cfg, mpath, keys, vals, n))
        return false;
    k->pid = fork();
    if (k->pid == 0) {
        FILE *f = freopen(k->log, "w", stderr);
        (void)f;
        dup2(2, 1);
        execl(bin, "kamailio", "-DD", "-E", "-f", k->cfg, (char *)NULL);
        _exit(127);
    }
    return k->pid > 0;
}

void kamailio_stop(kamailio_run *k)
{
    if (k->pid > 0) {
        kill(k->pid, SIGTERM);
        waitpid(k->pid, NULL, 0);
        k->pid = -1;
    }
}

void kamailio_done(kamailio_run *k, bool keep_log)
{
    kamailio_stop(k);
    if (k->cfg[0])
        unlink(k->cfg);
    if (!keep_log && k->log[0])
        unlink(k->log);
}
