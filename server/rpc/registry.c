#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Every module's method table. Add a module here, once. */
extern const rpc_method system_methods[];
extern const rpc_method auth_methods[];
extern const rpc_method user_methods[];
extern const rpc_method audit_methods[];
extern const rpc_method event_methods[];
extern const rpc_method carrier_methods[];
extern const rpc_method interconnect_methods[];
extern const rpc_method catalog_methods[];
extern const rpc_method assignment_methods[];
extern const rpc_method retention_methods[];
extern const rpc_method ledger_methods[];
extern const rpc_method cdr_methods[];
extern const rpc_method rating_methods[];
extern const rpc_method job_methods[];
extern const rpc_method fx_methods[];
extern const rpc_method document_methods[];
extern const rpc_method pause_methods[];
extern const rpc_method call_methods[];
extern const rpc_method gate_methods[];
extern const rpc_method routing_methods[];
extern const rpc_method entry_rate_methods[];
extern const rpc_method monitor_methods[];
extern const rpc_method ticket_methods[];
extern const rpc_method support_methods[];
extern const rpc_method alert_methods[];
extern const rpc_method monitor_rule_methods[];
extern const rpc_method probe_methods[];
extern const rpc_method mail_methods[];
extern const rpc_method kb_methods[];

static const rpc_method *const modules[] = {
    system_methods, auth_methods, user_methods, audit_methods, event_methods,
    carrier_methods, interconnect_methods, catalog_methods, assignment_methods,
    ledger_methods, retention_methods, cdr_methods, rating_methods, job_methods, fx_methods,
    document_methods,
    pause_methods, call_methods, gate_methods,
    routing_methods, entry_rate_methods,
    monitor_methods,
    ticket_methods, support_methods,
    alert_methods, monitor_rule_methods,
    probe_methods,
    mail_methods, kb_methods,
};

static const rpc_method **table;
static int count;

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const rpc_method *const *)a)->name, (*(const rpc_method *const *)b)->name);
}

int registry_init(void)
{
    if (table)
        return 0;
    int n = 0;
    for (size_t m = 0; m < sizeof modules / sizeof modules[0]; m++)
        for (const rpc_method *e = modules[m]; e->name; e++)
            n++;
    table = calloc((size_t)n, sizeof *table);
    if (!table)
        return -1;
    for (size_t m = 0; m < sizeof modules / sizeof modules[0]; m++)
        for (const rpc_method *e = modules[m]; e->name; e++)
            table[count++] = e;
    qsort(table, (size_t)count, sizeof *table, by_name);
    for (int i = 1; i < count; i++) {
        if (strcmp(table[i - 1]->name, table[i]->name) == 0) {
            log_error("method %s registered twice", table[i]->name);
            return -1;
        }
    }
    return 0;
}

const rpc_method *registry_find(const char *name)
{
    int lo = 0, hi = count - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(name, table[mid]->name);
        if (c == 0)
            return table[mid];
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return NULL;
}

int registry_index(const rpc_method *m)
{
    for (int lo = 0, hi = count - 1; lo <= hi;) {
        int mid = (lo + hi) / 2;
        int c = strcmp(m->name, table[mid]->name);
        if (c == 0)
            return mid;
        if (c < 0)
            hi = mid - 1;
        else
            lo = mid + 1;
    }
    return -1;
}

int registry_count(void)
{
    return count;
}

const rpc_method *registry_at(int i)
{
    return i >= 0 && i < count ? table[i] : NULL;
}

int registry_authorize(const rpc_method *m, const rpc_session *s)
{
    if (m->roles == 0)
        return 0;
    if (!s || s->role == ROLE_NONE)
        return RPC_NOT_AUTHENTICATED;
    return (m->roles & s->role) ? 0 : RPC_FORBIDDEN;
}
