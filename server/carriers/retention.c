/*
 * retention.c: retention.purge — hard-delete soft-deleted records once
 * they are older than the retention period, children before parents, and
 * never a row something live (or not yet purgeable) still points at; and
 * finished jobs older than the period. The audit trail keeps what they
 * were.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../audit/audit.h"
#include "../rpc/rpc.h"

static const struct {
    const char *table;
    const char *still_used; /* a condition on t that keeps the row */
} purgeable[] = {
    { "services", NULL },
    { "carrier_contacts", NULL },
    { "credit_alerts", NULL },
    { "release_cause_mappings", NULL },
    { "interconnects", "EXISTS (SELECT 1 FROM services s WHERE s.interconnect_id = t.id OR s.route_interconnect_id = t.id)"
                       " OR EXISTS (SELECT 1 FROM release_cause_mappings r WHERE r.interconnect_id = t.id)" },
    { "carriers", "EXISTS (SELECT 1 FROM interconnects i WHERE i.carrier_id = t.id)"
                  " OR EXISTS (SELECT 1 FROM services s WHERE s.carrier_id = t.id)"
                  " OR EXISTS (SELECT 1 FROM carrier_contacts k WHERE k.carrier_id = t.id)"
                  " OR EXISTS (SELECT 1 FROM credit_alerts a WHERE a.carrier_id = t.id)"
                  " OR EXISTS (SELECT 1 FROM users u WHERE u.carrier_id = t.id)" },
    { "trunk_groups", "EXISTS (SELECT 1 FROM interconnects i WHERE i.trunk_group_id = t.id)" },
    { "blacklists", NULL },
    { "customer_groups", "EXISTS (SELECT 1 FROM carriers c WHERE c.group_id = t.id)" },
    { "customer_categories", "EXISTS (SELECT 1 FROM carriers c WHERE c.category_id = t.id)"
                             " OR EXISTS (SELECT 1 FROM customer_groups g WHERE g.category_id = t.id)" },
};

static int retention_purge(rpc_call *c)
{
    long long days = rpc_int(c, "retention_days", c->cfg->retention_days);
    char d[24];
    snprintf(d, sizeof d, "%lld", days);
    json_t *purged = json_object();
    long long total = 0;
    for (size_t i = 0; i < sizeof purgeable / sizeof purgeable[0]; i++) {
        char sql[768];
        snprintf(sql, sizeof sql,
                 "DELETE FROM %s t WHERE t.deleted_at IS NOT NULL"
                 " AND t.deleted_at <= now() - make_interval(days => $1::int)%s%s%s",
                 purgeable[i].table, purgeable[i].still_used ? " AND NOT (" : "",
                 purgeable[i].still_used ? purgeable[i].still_used : "", purgeable[i].still_used ? ")" : "");
        PGresult *r = rpc_query(c, sql, 1, d);
        if (!r) {
            json_decref(purged);
            return -1;
        }
        long long n = atoll(PQcmdTuples(r));
        PQclear(r);
        json_object_set_new(purged, purgeable[i].table, json_integer(n));
        total += n;
    }
    /* Finished jobs (docs/jobs.md) once older than the retention period,
     * with their delivery log; dead letters stay for an admin to see. */
    PGresult *r = rpc_query(c, "DELETE FROM jobs t WHERE t.state = 'done'"
                               " AND t.finished_at <= now() - make_interval(days => $1::int)", 1, d);
    if (!r) {
        json_decref(purged);
        return -1;
    }
    long long jobs = atoll(PQcmdTuples(r));
    PQclear(r);
    json_object_set_new(purged, "jobs", json_integer(jobs));
    total += jobs;
    json_t *after = json_pack("{s:I, s:O}", "retention_days", (json_int_t)days, "purged", purged);
    int rc = audit_record(c, "purge", "retention", 0, NULL, after);
    json_decref(after);
    if (rc) {
        json_decref(purged);
        return -1;
    }
    c->result = json_pack("{s:I, s:I, s:o}", "retention_days", (json_int_t)days, "total", (json_int_t)total,
                          "purged", purged);
    return 0;
}

static const rpc_field purge_params[] = {
    { "retention_days", F_INT, 0, 0, 3650 },
    { NULL },
};

const rpc_method retention_methods[] = {
    { "retention.purge", retention_purge, ROLE_SUPER_ADMIN, RPC_MUTATES, purge_params },
    { NULL },
};
