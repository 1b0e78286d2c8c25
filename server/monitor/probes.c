/*
 * probes.c: SIP OPTIONS probes (probes.h, docs/monitoring.md).
 *
 * The table: one entry per probed interconnect (egress, not deleted, not
 * disabled, monitoring.options_ping true), sorted by nothing in particular
 * (a few hundred at most; lookups are linear). `lock` guards it and every
 * field of every entry.
 *
 * The state machine of one entry (the probe thread runs it):
 *   success  successes++, failures = 0; unknown → up at once; down → up
 *            after reenable_after_successes in a row (ACT_RECOVER)
 *   failure  failures++, successes = 0; unknown/up → down after
 *            disable_after_failures in a row (ACT_FIRE)
 * Every change between up and down (and unknown → up) also asks for the
 * probe.changed event. A freshly loaded entry is "recover pending": the
 * first run of reenable_after_successes successes also resolves an alert
 * and lifts a probe pause left open by an earlier process.
 *
 * The ticker task carries out the actions on its own connection, one
 * transaction per interconnect; when a transaction fails the actions are
 * put back and retried at the next run.
 */
#include "probes.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "timeutil.h"
#include "alerts.h"
#include "sip_options.h"
#include "../routing/pauses.h"
#include "../system/ticker.h"

#define TASK "monitor.probes"
#define TASK_MS 250
#define POLL_MAX_MS 50          /* the thread notices new targets this soon */
#define PAUSE_REASON "OPTIONS probe: "

enum { ST_UNKNOWN, ST_UP, ST_DOWN };
static const char *const state_names[] = { "unknown", "up", "down" };

enum { ACT_EVENT = 1, ACT_FIRE = 2, ACT_RECOVER = 4 };

typedef struct {
    long long id;
    char name[128];
    char target[SIP_HOST_MAX + 16];   /* "10.0.0.1:5060"; "" when none */
    struct sockaddr_in addr;
    bool addr_ok;
    int interval_ms;
    bool auto_disable, auto_reenable;
    int fail_after, ok_after;

    int state, previous;
    int last_status;                 /* 0: none yet / no answer */
    char last_reason[SIP_REASON_MAX];
    int rtt_ms;                      /* -1: none yet */
    int failures, successes;
    int64_t last_probe_at;           /* wall clock usec; 0 = never */
    int64_t next_at;                 /* monotonic usec */
    bool recover_pending;

    bool pending;                    /* a request is in flight */
    sip_options_req req;
    int64_t sent_at;                 /* monotonic usec */

    unsigned actions;
    char fail_message[200];
} probe;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static probe *tab;
static size_t ntab;
static int sock = -1;
static struct sockaddr_in local;     /* our socket's port */
static pthread_t thread;
static atomic_bool reload_wanted = true;
static int timeout_ms = 2000, interval_cap_ms, reload_ms = 30000;
static unsigned seq;

void probes_observe_interconnect(json_t *data)
{
    (void)data;
    atomic_store(&reload_wanted, true);
}

/* ---- the probe thread ---- */

static void set_state(probe *p, int st)
{
    if (p->state == st)
        return;
    p->previous = p->state;
    p->state = st;
    p->actions |= ACT_EVENT;
}

static void on_success(probe *p, int status, const char *reason, int rtt_ms)
{
    p->last_status = status;
    snprintf(p->last_reason, sizeof p->last_reason, "%s", reason);
    p->rtt_ms = rtt_ms;
    p->successes++;
    p->failures = 0;
    if (p->state == ST_UNKNOWN)
        set_state(p, ST_UP);
    if (p->successes >= p->ok_after && (p->state == ST_DOWN || p->recover_pending)) {
        set_state(p, ST_UP);
        p->recover_pending = false;
        p->actions |= ACT_RECOVER;
        p->actions &= ~(unsigned)ACT_FIRE;
    }
}

static void on_failure(probe *p, int status, const char *reason)
{
    p->last_status = status;
    snprintf(p->last_reason, sizeof p->last_reason, "%s", reason);
    p->failures++;
    p->successes = 0;
    if (p->state != ST_DOWN && p->failures >= p->fail_after) {
        set_state(p, ST_DOWN);
        p->recover_pending = true;
        p->actions |= ACT_FIRE;
        p->actions &= ~(unsigned)ACT_RECOVER;
        snprintf(p->fail_message, sizeof p->fail_message, "OPTIONS to %s: %s %d time%s in a row", p->target,
                 status ? reason : "no answer", p->failures, p->failures == 1 ? "" : "s");
    }
}

static void send_probe(probe *p, int64_t now)
{
    unsigned n = ++seq;
    sip_options_req *r = &p->req;
    memset(r, 0, sizeof *r);
    inet_ntop(AF_INET, &p->addr.sin_addr, r->host, sizeof r->host);
    r->port = ntohs(p->addr.sin_port);
    snprintf(r->local_host, sizeof r->local_host, "%s", "127.0.0.1");
    if (local.sin_addr.s_addr != htonl(INADDR_ANY))
        inet_ntop(AF_INET, &local.sin_addr, r->local_host, sizeof r->local_host);
    r->local_port = ntohs(local.sin_port);
    snprintf(r->call_id, sizeof r->call_id, "probe-%lld-%u-%lx@didtrond", p->id, n, (unsigned long)now);
    snprintf(r->branch, sizeof r->branch, "z9hG4bK-dt-%lld-%u", p->id, n);
    snprintf(r->from_tag, sizeof r->from_tag, "dt%u", n);
    r->cseq = n & 0x7fffffff ? n & 0x7fffffff : 1;
    char buf[1500];
    int len = sip_options_build(r, buf, sizeof buf);
    p->last_probe_at = time_now_usec();
    p->next_at = now + (int64_t)p->interval_ms * 1000;
    if (len < 0) {
        on_failure(p, 0, "cannot build the request");
        return;
    }
    if (sendto(sock, buf, (size_t)len, 0, (struct sockaddr *)&p->addr, sizeof p->addr) < 0) {
        char why[SIP_REASON_MAX];
        snprintf(why, sizeof why, "send: %s", strerror(errno));
        on_failure(p, 0, why);
        return;
    }
    p->pending = true;
    p->sent_at = now;
}

static void receive(void)
{
    char buf[4096];
    for (int i = 0; i < 256; i++) {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(sock, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return;                  /* EAGAIN, or an ICMP error reported on the socket */
        sip_response rs;
        if (sip_response_parse(buf, (size_t)n, &rs) || rs.status < 200)
            continue;                /* garbage, or provisional: wait for the final answer */
        int64_t now = time_mono_usec();
        pthread_mutex_lock(&lock);
        for (size_t k = 0; k < ntab; k++) {
            probe *p = &tab[k];
            if (!p->pending || !sip_response_matches(&rs, &p->req))
                continue;
            p->pending = false;
            int rtt = (int)((now - p->sent_at + 500) / 1000);
            char reason[SIP_REASON_MAX];
            snprintf(reason, sizeof reason, "%d %.56s", rs.status, rs.reason);
            if (sip_status_alive(rs.status))
                on_success(p, rs.status, rs.reason, rtt);
            else {
                p->rtt_ms = rtt;
                on_failure(p, rs.status, reason);
            }
            break;
        }
        pthread_mutex_unlock(&lock);
    }
}

static void *probe_thread(void *arg)
{
    (void)arg;
    for (;;) {
        int64_t now = time_mono_usec();
        int64_t wake = now + POLL_MAX_MS * 1000;
        pthread_mutex_lock(&lock);
        for (size_t k = 0; k < ntab; k++) {
            probe *p = &tab[k];
            if (!p->addr_ok)
                continue;
            if (p->pending && now - p->sent_at >= (int64_t)timeout_ms * 1000) {
                p->pending = false;
                on_failure(p, 0, "no answer");
            }
            if (!p->pending && now >= p->next_at)
                send_probe(p, now);
            int64_t due = p->pending ? p->sent_at + (int64_t)timeout_ms * 1000 : p->next_at;
            if (due < wake)
                wake = due;
        }
        pthread_mutex_unlock(&lock);
        int ms = (int)((wake - now + 999) / 1000);
        struct pollfd pfd = { .fd = sock, .events = POLLIN };
        if (poll(&pfd, 1, ms < 0 ? 0 : ms) > 0)
            receive();
    }
    return NULL;
}

/* ---- loading the targets (ticker) ---- */

static int json_int_or(json_t *o, const char *k, int dflt, int lo, int hi)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return dflt;
    long long x = (long long)json_integer_value(v);
    return x < lo ? lo : x > hi ? hi : (int)x;
}

static void fill(probe *p, const char *ips, const char *monitoring)
{
    json_t *a = json_loads(ips, 0, NULL), *m = json_loads(monitoring, 0, NULL);
    p->interval_ms = json_int_or(m, "options_interval", 60, 1, 3600) * 1000;
    if (interval_cap_ms > 0 && interval_cap_ms < p->interval_ms)
        p->interval_ms = interval_cap_ms;
    p->auto_disable = json_is_true(json_object_get(m, "auto_disable"));
    p->auto_reenable = json_is_true(json_object_get(m, "auto_reenable"));
    p->fail_after = json_int_or(m, "disable_after_failures", 3, 1, 100);
    p->ok_after = json_int_or(m, "reenable_after_successes", 3, 1, 100);
    p->target[0] = '\0';
    p->addr_ok = false;
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        char host[SIP_HOST_MAX];
        int port;
        if (!json_is_string(e) || sip_target_parse(json_string_value(e), host, &port))
            continue;                /* a network: not a box to ask */
        snprintf(p->target, sizeof p->target, "%s:%d", host, port);
        memset(&p->addr, 0, sizeof p->addr);
        p->addr.sin_family = AF_INET;
        p->addr.sin_port = htons((uint16_t)port);
        p->addr_ok = inet_pton(AF_INET, host, &p->addr.sin_addr) == 1;
        if (!p->addr_ok)
            snprintf(p->last_reason, sizeof p->last_reason, "only IPv4 addresses are probed");
        break;
    }
    if (!p->target[0])
        snprintf(p->last_reason, sizeof p->last_reason, "no address to probe in signalling_ips");
    json_decref(a);
    json_decref(m);
}

static int reload(PGconn *db)
{
    PGresult *r = PQexec(db,
        "SELECT id, name, array_to_json(signalling_ips)::text, monitoring::text FROM interconnects"
        " WHERE deleted_at IS NULL AND direction = 'egress' AND status <> 'disabled'"
        "   AND jsonb_typeof(monitoring->'options_ping') = 'boolean' AND (monitoring->>'options_ping')::boolean"
        " ORDER BY id");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        log_error("probes: loading the interconnects: %s", PQerrorMessage(db));
        PQclear(r);
        return -1;
    }
    size_t n = (size_t)PQntuples(r);
    probe *next = calloc(n ? n : 1, sizeof *next);
    if (!next) {
        PQclear(r);
        return -1;
    }
    int64_t now = time_mono_usec();
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n; i++) {
        probe *p = &next[i];
        p->id = atoll(PQgetvalue(r, (int)i, 0));
        const probe *old = NULL;
        for (size_t k = 0; k < ntab && !old; k++)
            if (tab[k].id == p->id)
                old = &tab[k];
        if (old) {
            *p = *old;
        } else {
            p->state = p->previous = ST_UNKNOWN;
            p->rtt_ms = -1;
            p->recover_pending = true;
            p->next_at = now + (int64_t)(i % 20) * 10000;   /* spread the first sends */
        }
        char was[sizeof p->target];
        snprintf(was, sizeof was, "%s", p->target);
        snprintf(p->name, sizeof p->name, "%s", PQgetvalue(r, (int)i, 1));
        int interval = p->interval_ms;
        fill(p, PQgetvalue(r, (int)i, 2), PQgetvalue(r, (int)i, 3));
        if (old && (strcmp(was, p->target) || interval != p->interval_ms)) {
            p->pending = false;      /* a new target or interval: probe it now */
            p->failures = p->successes = 0;
            p->next_at = now;
        }
    }
    free(tab);
    tab = next;
    ntab = n;
    pthread_mutex_unlock(&lock);
    PQclear(r);
    return 0;
}

/* ---- carrying out the actions (ticker) ---- */

typedef struct {
    long long id;
    unsigned actions;
    int state, previous, last_status, rtt_ms;
    bool auto_disable, auto_reenable;
    char target[SIP_HOST_MAX + 16], last_reason[SIP_REASON_MAX], message[200];
} action;

static const rpc_session system_session = { .role = ROLE_SUPER_ADMIN, .username = "system",
                                            .actor_kind = "system" };

/* Is the active whole-interconnect pause ours (so ours to lift)? */
static int pause_is_ours(rpc_call *c, long long id)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT 1 FROM route_pauses WHERE interconnect_id = $1 AND prefix IS NULL"
                               " AND resumed_at IS NULL AND actor_kind = 'system' AND reason LIKE '"
                               PAUSE_REASON "%'", 1, ids);
    if (!r)
        return -1;
    int ours = PQntuples(r) > 0;
    PQclear(r);
    return ours;
}

static int act(rpc_call *c, const action *a)
{
    char scope_id[24];
    snprintf(scope_id, sizeof scope_id, "%lld", a->id);
    if (a->actions & ACT_FIRE) {
        alert_spec s = { .source = "probe", .scope = "interconnect", .scope_id = scope_id,
                         .interconnect_id = a->id, .severity = "critical", .metric = "options",
                         .message = a->message };
        json_t *d = json_pack("{s:s, s:i, s:s}", "target", a->target, "last_status", a->last_status,
                              "last_reason", a->last_reason);
        s.details = d;
        long long fired = alert_fire(c, &s);
        json_decref(d);
        if (fired < 0)
            return -1;
        if (a->auto_disable) {
            char reason[200];
            snprintf(reason, sizeof reason, PAUSE_REASON "%.180s", a->message);
            if (route_pause_set(c, a->id, NULL, reason, "system") < 0)
                return -1;
        }
    }
    if (a->actions & ACT_RECOVER) {
        if (alert_resolve(c, "probe", 0, "interconnect", scope_id, "recovered") < 0)
            return -1;
        if (a->auto_reenable) {
            int ours = pause_is_ours(c, a->id);
            if (ours < 0 || (ours && route_pause_clear(c, a->id, NULL) < 0))
                return -1;
        }
    }
    if (a->actions & ACT_EVENT) {
        json_t *d = json_pack("{s:I, s:s, s:s, s:s, s:o, s:s, s:o}", "interconnect_id", (json_int_t)a->id,
                              "state", state_names[a->state], "previous", state_names[a->previous],
                              "target", a->target,
                              "last_status", a->last_status ? json_integer(a->last_status) : json_null(),
                              "last_reason", a->last_reason,
                              "rtt_ms", a->rtt_ms >= 0 ? json_integer(a->rtt_ms) : json_null());
        int rc = rpc_emit(c, "probe.changed", d, 0);
        json_decref(d);
        if (rc)
            return -1;
    }
    return 0;
}

static int tick(void *ud, PGconn *db)
{
    (void)ud;
    static int64_t last_reload;
    int64_t now = time_mono_usec();
    if (atomic_exchange(&reload_wanted, false) || now - last_reload >= (int64_t)reload_ms * 1000) {
        if (reload(db)) {
            atomic_store(&reload_wanted, true);
            return -1;
        }
        last_reload = now;
    }
    action *v = NULL;
    size_t nv = 0;
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < ntab; k++)
        nv += tab[k].actions != 0;
    if (nv && (v = calloc(nv, sizeof *v))) {
        nv = 0;
        for (size_t k = 0; k < ntab; k++) {
            probe *p = &tab[k];
            if (!p->actions)
                continue;
            action *a = &v[nv++];
            *a = (action){ .id = p->id, .actions = p->actions, .state = p->state, .previous = p->previous,
                           .last_status = p->last_status, .rtt_ms = p->rtt_ms, .auto_disable = p->auto_disable,
                           .auto_reenable = p->auto_reenable };
            snprintf(a->target, sizeof a->target, "%s", p->target);
            snprintf(a->last_reason, sizeof a->last_reason, "%s", p->last_reason);
            snprintf(a->message, sizeof a->message, "%s", p->fail_message);
            p->actions = 0;
        }
    } else {
        nv = 0;
    }
    pthread_mutex_unlock(&lock);
    int rc = 0;
    for (size_t i = 0; i < nv; i++) {
        rpc_call c = { .db = db, .session = &system_session, .method = TASK, .peer = "ticker" };
        int failed = rpc_begin(&c) || act(&c, &v[i]);
        if (failed)
            rpc_rollback(&c);
        else
            failed = rpc_commit(&c);
        if (failed) {
            log_error("probes: interconnect %lld: %s", v[i].id, c.err_message[0] ? c.err_message : "failed");
            rc = -1;
            pthread_mutex_lock(&lock);       /* put the actions back for the next run */
            for (size_t k = 0; k < ntab; k++) {
                if (tab[k].id != v[i].id)
                    continue;
                unsigned back = v[i].actions;
                if (tab[k].actions & (ACT_FIRE | ACT_RECOVER))   /* a newer decision wins */
                    back &= ~(unsigned)(ACT_FIRE | ACT_RECOVER);
                tab[k].actions |= back;
            }
            pthread_mutex_unlock(&lock);
        } else if (v[i].actions & ACT_EVENT) {
            log_info("probes: interconnect %lld (%s) is %s", v[i].id, v[i].target, state_names[v[i].state]);
        }
        json_decref(c.err_data);
    }
    free(v);
    return rc;
}

int probes_init(const dt_config *cfg)
{
    if (sock >= 0)
        return 0;
    timeout_ms = cfg->probe_timeout_ms > 0 ? cfg->probe_timeout_ms : 2000;
    interval_cap_ms = cfg->probe_interval_cap_ms;
    reload_ms = cfg->probe_reload_ms > 0 ? cfg->probe_reload_ms : 30000;
    sock = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (sock < 0) {
        log_error("probes: socket: %s", strerror(errno));
        return -1;
    }
    struct sockaddr_in any = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
    socklen_t len = sizeof local;
    if (bind(sock, (struct sockaddr *)&any, sizeof any) || getsockname(sock, (struct sockaddr *)&local, &len)) {
        log_error("probes: bind: %s", strerror(errno));
        close(sock);
        sock = -1;
        return -1;
    }
    if (ticker_add(TASK, TASK_MS, tick, NULL))
        return -1;
    /* The thread takes no signals (SIGTERM & co. belong to the service
     * thread; monitor_init runs before net_block_signals). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&thread, NULL, probe_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) {
        log_error("probes: cannot start the probe thread");
        return -1;
    }
    pthread_detach(thread);
    return 0;
}

/* ---- monitor.probes ---- */

static int monitor_probes(rpc_call *c)
{
    long long only = rpc_int(c, "interconnect_id", 0);
    json_t *items = json_array();
    c->result = json_pack("{s:o}", "items", items);
    char at[40];
    pthread_mutex_lock(&lock);
    for (size_t k = 0; k < ntab; k++) {
        const probe *p = &tab[k];
        if (only && p->id != only)
            continue;
        json_array_append_new(items, json_pack(
            "{s:I, s:s, s:o, s:s, s:o, s:s, s:o, s:i, s:i, s:o}",
            "interconnect_id", (json_int_t)p->id, "interconnect_name", p->name,
            "target", p->target[0] ? json_string(p->target) : json_null(),
            "state", state_names[p->state],
            "last_status", p->last_status ? json_integer(p->last_status) : json_null(),
            "last_reason", p->last_reason,
            "rtt_ms", p->rtt_ms >= 0 ? json_integer(p->rtt_ms) : json_null(),
            "failures", p->failures, "successes", p->successes,
            "last_probe_at", p->last_probe_at ? json_string(time_format_rfc3339(p->last_probe_at, at, sizeof at))
                                              : json_null()));
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

static const rpc_field probe_params[] = {
    { "interconnect_id", F_ID, F_NULLABLE, 0, 0, NULL, NULL, F_ANY },
    { NULL },
};

const rpc_method probe_methods[] = {
    { "monitor.probes", monitor_probes, ROLES_STAFF, RPC_INLINE, probe_params, NULL },
    { NULL },
};
