/*
 * loadgen: WebSocket load generator for didtrond (one lws event loop, many
 * connections). See usage() for the modes; each prints one key=value result
 * line on stdout, diagnostics go to stderr.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_INFLIGHT_CONNECTS 128
#define CONNECT_PHASE_US (60LL * 1000000)  /* give up on stragglers after */
#define REPLY_TIMEOUT_US (10LL * 1000000)  /* login/resume reply wait */
#define CLOSE_WAIT_US (2LL * 1000000)
#define TICK_US 20000

enum mode { MODE_LOAD, MODE_IDLE, MODE_LOGIN };
enum phase { PH_CONNECT, PH_RUN, PH_HOLD, PH_CLOSE, PH_DONE };
enum cstate { CS_NEW, CS_CONNECTING, CS_OPEN, CS_FAILED, CS_CLOSED };
enum want { W_NONE, W_RESUME, W_LOGIN, W_REQUEST, W_CLOSE };

typedef struct conn {
    struct lws *wsi;
    int idx;
    enum cstate state;
    enum want want;          /* what the next WRITEABLE sends */
    bool ready;              /* connected (and resumed, if asked to) */
    bool authed;
    bool outstanding;        /* a request is waiting for its reply */
    long long id;            /* id of the outstanding request */
    enum want kind;          /* what it was */
    int64_t sent_at;         /* us: actual (closed loop) or scheduled send */
    uint64_t slot;           /* paced: index of the next scheduled slot */
    lws_sorted_usec_list_t sul;
    char *rx;
    size_t rx_len, rx_cap;
} conn;

static struct {
    /* options */
    enum mode mode;
    const char *host, *path, *method, *params, *token, *login;
    int port, nconn, pid;
    double duration, hold, rate;

    /* state */
    struct lws_context *ctx;
    conn *conns;
    enum phase phase;
    int launched, inflight, connected, conn_failed, ready, authed,
        auth_failed, closed_early, closing;
    int64_t phase_start, t_start, t_end;
    lws_sorted_usec_list_t tick;
    long long next_id;
    char first_error[256];
    int exit_code;
    char *login_token;

    /* results */
    uint32_t *lat;
    size_t nlat, cap_lat;
    uint32_t *lag;           /* paced: how late each send went out */
    size_t nlag, cap_lag;
    uint64_t requests, errors, bad_replies;
} g;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void note_error(const char *what, const char *detail)
{
    if (!g.first_error[0])
        snprintf(g.first_error, sizeof g.first_error, "%s%s%s", what,
                 detail ? ": " : "", detail ? detail : "");
}

static void record(uint32_t **arr, size_t *n, size_t *cap, int64_t us)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 1u << 16;
        uint32_t *p = realloc(*arr, nc * sizeof *p);
        if (!p)
            return;
        *arr = p;
        *cap = nc;
    }
    if (us < 0)
        us = 0;
    (*arr)[(*n)++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static void record_latency(int64_t us)
{
    record(&g.lat, &g.nlat, &g.cap_lat, us);
}

/* ---- connections ---- */

static void request_write(conn *c, enum want w)
{
    c->want = w;
    if (c->wsi)
        lws_callback_on_writable(c->wsi);
}

static void launch_more(void)
{
    while (g.phase == PH_CONNECT && g.launched < g.nconn &&
           g.inflight < MAX_INFLIGHT_CONNECTS) {
        conn *c = &g.conns[g.launched++];
        struct lws_client_connect_info i;
        memset(&i, 0, sizeof i);
        i.context = g.ctx;
        i.address = g.host;
        i.port = g.port;
        i.path = g.path;
        i.host = g.host;
        i.origin = g.host;
        i.protocol = "didtron.v1";
        i.local_protocol_name = "loadgen";
        i.opaque_user_data = c;
        i.pwsi = &c->wsi;
        c->state = CS_CONNECTING;
        g.inflight++;
        if (!lws_client_connect_via_info(&i) && c->state == CS_CONNECTING) {
            /* failed before any callback said so */
            c->state = CS_FAILED;
            c->wsi = NULL;
            g.inflight--;
            g.conn_failed++;
            note_error("connect", "could not start");
        }
    }
}

static int send_text(struct lws *wsi, const char *fmt_out, size_t n)
{
    unsigned char buf[LWS_PRE + 1024];
    unsigned char *p = buf;
    unsigned char *heap = NULL;
    if (n > sizeof buf - LWS_PRE) {
        heap = malloc(LWS_PRE + n);
        if (!heap)
            return -1;
        p = heap;
    }
    memcpy(p + LWS_PRE, fmt_out, n);
    int w = lws_write(wsi, p + LWS_PRE, n, LWS_WRITE_TEXT);
    free(heap);
    return (w < 0 || (size_t)w < n) ? -1 : 0;
}

/* Serialise a request; returns a malloc'd string. */
static char *build_request(long long id, const char *method, json_t *params)
{
    json_t *req = json_pack("{s:s, s:I, s:s, s:O}", "jsonrpc", "2.0", "id",
                            (json_int_t)id, "method", method, "params",
                            params);
    char *s = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    return s;
}

static json_t *load_params;   /* parsed --params */
static char *req_prefix;      /* {"jsonrpc":"2.0","method":M,"params":P,"id": */

static int do_write(conn *c)
{
    enum want w = c->want;
    c->want = W_NONE;
    switch (w) {
    case W_NONE:
        return 0;
    case W_CLOSE: {
        static const char bye[] = "loadgen done";
        lws_close_reason(c->wsi, LWS_CLOSE_STATUS_NORMAL,
                         (unsigned char *)(uintptr_t)bye, sizeof bye - 1);
        return -1;
    }
    case W_RESUME:
    case W_LOGIN: {
        json_t *p;
        const char *m;
        if (w == W_RESUME) {
            m = "auth.resume";
            p = json_pack("{s:s}", "token", g.token);
        } else {
            const char *colon = strchr(g.login, ':');
            m = "auth.login";
            p = json_pack("{s:s%, s:s}", "username", g.login,
                          (size_t)(colon - g.login), "password", colon + 1);
        }
        c->id = ++g.next_id;
        char *s = build_request(c->id, m, p);
        json_decref(p);
        if (!s)
            return -1;
        int r = send_text(c->wsi, s, strlen(s));
        free(s);
        c->outstanding = true;
        c->kind = w;
        c->sent_at = now_us();
        return r;
    }
    case W_REQUEST: {
        if (c->outstanding || g.phase != PH_RUN)
            return 0;
        char buf[1024];
        c->id = ++g.next_id;
        int n = snprintf(buf, sizeof buf, "%s%lld}", req_prefix, c->id);
        int64_t t = now_us();
        int r;
        if (n < 0)
            return -1;
        if ((size_t)n < sizeof buf) {
            r = send_text(c->wsi, buf, (size_t)n);
        } else {
            char *big = malloc((size_t)n + 1);
            if (!big)
                return -1;
            snprintf(big, (size_t)n + 1, "%s%lld}", req_prefix, c->id);
            r = send_text(c->wsi, big, (size_t)n);
            free(big);
        }
        c->outstanding = true;
        c->kind = W_REQUEST;
        /* paced: latency counts from when the send was due */
        if (g.rate > 0)
            record(&g.lag, &g.nlag, &g.cap_lag, t - c->sent_at);
        else
            c->sent_at = t;
        return r;
    }
    }
    return 0;
}

static int64_t slot_time(const conn *c)
{
    double off = ((double)c->slot * g.nconn + c->idx) * 1e6 / g.rate;
    return g.t_start + (int64_t)off;
}

static void pace_cb(lws_sorted_usec_list_t *sul)
{
    conn *c = lws_container_of(sul, conn, sul);
    if (g.phase != PH_RUN || !c->wsi || c->outstanding)
        return;
    c->sent_at = slot_time(c);
    request_write(c, W_REQUEST);
}

/* Arrange the next request on c (run phase). */
static void schedule_next(conn *c)
{
    if (g.phase != PH_RUN || !c->wsi)
        return;
    if (g.rate <= 0) {
        request_write(c, W_REQUEST);
        return;
    }
    int64_t t = slot_time(c);
    int64_t now = now_us();
    if (t <= now) {  /* due already (the last reply came late): send now */
        c->sent_at = t;
        request_write(c, W_REQUEST);
    } else {
        lws_sul_schedule(g.ctx, 0, &c->sul, pace_cb, (lws_usec_t)(t - now));
    }
}

static void on_reply(conn *c, json_t *j)
{
    enum want kind = c->kind;
    c->outstanding = false;
    json_t *err = json_object_get(j, "error");
    json_t *res = json_object_get(j, "result");

    switch (kind) {
    case W_REQUEST:
        if (g.phase != PH_RUN)
            return;
        g.requests++;
        record_latency(now_us() - c->sent_at);
        if (err || !res) {
            g.errors++;
            note_error("request error",
                       json_string_value(json_object_get(err, "message")));
        }
        if (g.rate > 0)
            c->slot++;
        schedule_next(c);
        return;
    case W_RESUME:
        if (res && !err) {
            c->authed = true;
            g.authed++;
        } else {
            g.auth_failed++;
            note_error("auth.resume",
                       json_string_value(json_object_get(err, "message")));
        }
        c->ready = true;
        g.ready++;
        return;
    case W_LOGIN: {
        const char *tok =
            json_string_value(json_object_get(res, "token"));
        if (tok && !err) {
            g.login_token = strdup(tok);
        } else {
            note_error("auth.login",
                       err ? json_string_value(json_object_get(err, "message"))
                           : "no token in the reply");
        }
        c->ready = true;
        g.ready++;
        return;
    }
    default:
        return;
    }
}

static void on_message(conn *c, const char *buf, size_t len)
{
    json_t *j = json_loadb(buf, len, 0, NULL);
    if (!json_is_object(j)) {
        g.bad_replies++;
        json_decref(j);
        return;
    }
    json_t *id = json_object_get(j, "id");
    if (json_object_get(j, "method") && !id) {
        json_decref(j);  /* an event: not ours to count */
        return;
    }
    if (c->outstanding && json_is_integer(id) &&
        json_integer_value(id) == c->id)
        on_reply(c, j);
    else
        g.bad_replies++;
    json_decref(j);
}

static void conn_gone(conn *c)
{
    if (c->state == CS_OPEN && g.phase < PH_CLOSE) {
        g.closed_early++;
        note_error("connection", "closed by the server");
        if (!c->ready) {  /* never got to count as ready */
            c->ready = true;
            g.ready++;
        }
    }
    if (c->state == CS_OPEN && g.closing > 0)
        g.closing--;
    if (c->state == CS_OPEN)
        c->state = CS_CLOSED;
    c->outstanding = false;
    lws_sul_cancel(&c->sul);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason,
                    void *user, void *in, size_t len)
{
    (void)user;
    conn *c;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
    case LWS_CALLBACK_CLIENT_RECEIVE:
    case LWS_CALLBACK_CLIENT_WRITEABLE:
    case LWS_CALLBACK_CLIENT_CLOSED:
    case LWS_CALLBACK_WSI_DESTROY:
        break;
    default:
        return 0;
    }
    c = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (!c)
        return reason == LWS_CALLBACK_WSI_DESTROY ? 0 : -1;

    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        if (c->state == CS_CONNECTING) {
            g.inflight--;
            g.conn_failed++;
        }
        c->state = CS_FAILED;
        note_error("connect", in ? (const char *)in : "failed");
        launch_more();
        return 0;

    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        g.inflight--;
        g.connected++;
        c->state = CS_OPEN;
        if (g.mode == MODE_LOGIN) {
            request_write(c, W_LOGIN);
        } else if (g.token) {
            request_write(c, W_RESUME);
        } else {
            c->ready = true;
            g.ready++;
        }
        launch_more();
        return 0;

    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return do_write(c);

    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->rx_len + len + 1 > c->rx_cap) {
            size_t cap = c->rx_cap ? c->rx_cap : 1024;
            while (cap < c->rx_len + len + 1)
                cap *= 2;
            char *p = realloc(c->rx, cap);
            if (!p)
                return -1;
            c->rx = p;
            c->rx_cap = cap;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi)) {
            on_message(c, c->rx, c->rx_len);
            c->rx_len = 0;
        }
        return 0;

    case LWS_CALLBACK_CLIENT_CLOSED:
        conn_gone(c);
        return 0;

    case LWS_CALLBACK_WSI_DESTROY:
        if (c->state == CS_CONNECTING) { /* died without a callback */
            g.inflight--;
            g.conn_failed++;
            c->state = CS_FAILED;
        }
        conn_gone(c);
        c->wsi = NULL;
        return 0;

    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {
        .name = "loadgen",
        .callback = callback,
        .per_session_data_size = 0,
        .rx_buffer_size = 65536,
    },
    { .name = NULL, .callback = NULL },
};

/* ---- phases ---- */

static long rss_kb(int pid)
{
    char path[64], line[256];
    long kb = -1;
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static long rss_before = -1;

static void start_close(void)
{
    g.phase = PH_CLOSE;
    g.phase_start = now_us();
    g.closing = 0;
    for (int i = 0; i < g.nconn; i++) {
        conn *c = &g.conns[i];
        lws_sul_cancel(&c->sul);
        if (c->wsi && c->state == CS_OPEN) {
            g.closing++;
            request_write(c, W_CLOSE);
        }
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of a sorted array. */
static uint32_t pct_of(const uint32_t *a, size_t n, double p)
{
    if (!n)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return a[k - 1];
}

static uint32_t pct(double p)
{
    return pct_of(g.lat, g.nlat, p);
}

static void report_load(void)
{
    double secs = (double)(g.t_end - g.t_start) / 1e6;
    if (g.nlat)
        qsort(g.lat, g.nlat, sizeof *g.lat, cmp_u32);
    double sum = 0;
    for (size_t i = 0; i < g.nlat; i++)
        sum += g.lat[i];
    printf("mode=%s connections=%d", g.rate > 0 ? "paced" : "closed",
           g.nconn);
    if (g.rate > 0)
        printf(" target_rps=%.0f", g.rate);
    printf(" method=%s requests=%llu seconds=%.2f rps=%.0f p50_us=%u "
           "p90_us=%u p99_us=%u p999_us=%u max_us=%u mean_us=%.0f "
           "errors=%llu conn_failed=%d closed_early=%d",
           g.method, (unsigned long long)g.requests, secs,
           secs > 0 ? (double)g.requests / secs : 0.0, pct(50), pct(90),
           pct(99), pct(99.9), g.nlat ? g.lat[g.nlat - 1] : 0,
           g.nlat ? sum / (double)g.nlat : 0.0,
           (unsigned long long)(g.errors + g.bad_replies), g.conn_failed,
           g.closed_early);
    if (g.rate > 0) {
        /* how late sends left against their schedule: the client's own
         * share of the latency tail */
        if (g.nlag)
            qsort(g.lag, g.nlag, sizeof *g.lag, cmp_u32);
        printf(" send_lag_p50_us=%u send_lag_p99_us=%u send_lag_max_us=%u",
               pct_of(g.lag, g.nlag, 50), pct_of(g.lag, g.nlag, 99),
               g.nlag ? g.lag[g.nlag - 1] : 0);
    }
    printf("\n");
    fflush(stdout);
    if (g.conn_failed || g.closed_early || g.errors || g.bad_replies ||
        !g.requests)
        g.exit_code = 1;
}

static void report_idle(void)
{
    int open = 0;
    for (int i = 0; i < g.nconn; i++)
        open += g.conns[i].state == CS_OPEN;
    printf("idle_connections=%d connected=%d authenticated=%d "
           "auth_failed=%d conn_failed=%d still_open=%d hold_s=%.0f",
           g.nconn, g.connected, g.authed, g.auth_failed, g.conn_failed, open,
           g.hold);
    if (g.pid > 0) {
        long kb = rss_kb(g.pid);
        printf(" server_pid=%d server_rss_kb=%ld server_rss_mb=%.1f", g.pid,
               kb, (double)kb / 1024.0);
        if (rss_before >= 0 && kb >= 0 && g.connected > 0)
            printf(" server_rss_before_kb=%ld per_conn_kb=%.1f", rss_before,
                   (double)(kb - rss_before) / g.connected);
        if (kb < 0)
            g.exit_code = 1;
    }
    printf("\n");
    fflush(stdout);
    if (g.authed != g.nconn || open != g.nconn)
        g.exit_code = 1;
}

static void tick(lws_sorted_usec_list_t *sul)
{
    int64_t now = now_us();

    switch (g.phase) {
    case PH_CONNECT: {
        bool all = g.launched == g.nconn && g.inflight == 0 &&
                   g.ready + g.conn_failed >= g.nconn;
        bool late = now - g.phase_start > CONNECT_PHASE_US;
        /* replies to resume/login we are still waiting for */
        for (int i = 0; !all && late && i < g.nconn; i++)
            if (g.conns[i].outstanding &&
                now - g.conns[i].sent_at > REPLY_TIMEOUT_US)
                note_error("reply", "timed out");
        if (!all && !late)
            break;
        if (!all)
            fprintf(stderr, "loadgen: %d of %d connections not ready in "
                    "time\n", g.nconn - g.ready - g.conn_failed, g.nconn);
        if (g.mode == MODE_LOGIN) {
            start_close();
        } else if (g.mode == MODE_IDLE) {
            g.phase = PH_HOLD;
            g.phase_start = now;
            fprintf(stderr, "loadgen: %d connected, %d authenticated; "
                    "holding %.0f s\n", g.connected, g.authed, g.hold);
        } else {
            g.phase = PH_RUN;
            g.t_start = now_us();
            g.t_end = g.t_start + (int64_t)(g.duration * 1e6);
            for (int i = 0; i < g.nconn; i++) {
                conn *c = &g.conns[i];
                if (c->ready && c->state == CS_OPEN &&
                    (!g.token || c->authed))
                    schedule_next(c);
            }
        }
        break;
    }
    case PH_RUN:
        if (now >= g.t_end) {
            g.t_end = now;
            report_load();
            start_close();
        }
        break;
    case PH_HOLD:
        if (now - g.phase_start >= (int64_t)(g.hold * 1e6)) {
            report_idle();
            start_close();
        }
        break;
    case PH_CLOSE:
        if (g.closing <= 0 || now - g.phase_start > CLOSE_WAIT_US)
            g.phase = PH_DONE;
        break;
    case PH_DONE:
        break;
    }
    if (g.phase != PH_DONE)
        lws_sul_schedule(g.ctx, 0, sul, tick, TICK_US);
}

/* ---- setup ---- */

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl))
        return;
    rlim_t want = (rlim_t)need;
    if (rl.rlim_cur >= want)
        return;
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max) {
        fprintf(stderr, "loadgen: need %d fds, hard limit is %llu\n", need,
                (unsigned long long)rl.rlim_max);
        want = rl.rlim_max;
    }
    rl.rlim_cur = want;
    if (setrlimit(RLIMIT_NOFILE, &rl))
        fprintf(stderr, "loadgen: setrlimit(RLIMIT_NOFILE, %llu): %s\n",
                (unsigned long long)want, strerror(errno));
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: loadgen [--host H] [--port P] [--path /ws] MODE\n"
        "modes:\n"
        "  --connections N --duration S [--rate R] [--method M]\n"
        "      [--params JSON] [--token T]\n"
        "      N connections, each sending one request at a time (closed\n"
        "      loop); with --rate, R requests/s in total, each send due on\n"
        "      a schedule and timed from when it was due. --token resumes\n"
        "      that session on each connection first.\n"
        "  --idle N --token T --hold S [--pid PID]\n"
        "      N connections, each auth.resume'd, held S seconds; then\n"
        "      the server's VmRSS from /proc/PID/status.\n"
        "  --login USER:PASS\n"
        "      log in once and print the session token.\n");
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < 0)
        return false;
    *out = v;
    return true;
}

static bool parse_int(const char *s, int *out, int min, int max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        { "host", required_argument, NULL, 'h' },
        { "port", required_argument, NULL, 'p' },
        { "path", required_argument, NULL, 'P' },
        { "connections", required_argument, NULL, 'c' },
        { "duration", required_argument, NULL, 'd' },
        { "rate", required_argument, NULL, 'r' },
        { "method", required_argument, NULL, 'm' },
        { "params", required_argument, NULL, 'j' },
        { "idle", required_argument, NULL, 'i' },
        { "token", required_argument, NULL, 't' },
        { "hold", required_argument, NULL, 'H' },
        { "pid", required_argument, NULL, 'k' },
        { "login", required_argument, NULL, 'l' },
        { "help", no_argument, NULL, '?' },
        { NULL, 0, NULL, 0 },
    };
    int idle = 0, nconn = 0;
    bool ok = true;

    g.host = "127.0.0.1";
    g.port = 7480;
    g.path = "/ws";
    g.method = "system.info";
    g.params = "{}";
    g.duration = 10;

    for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
        switch (o) {
        case 'h': g.host = optarg; break;
        case 'p': ok = ok && parse_int(optarg, &g.port, 1, 65535); break;
        case 'P': g.path = optarg; break;
        case 'c': ok = ok && parse_int(optarg, &nconn, 1, 1000000); break;
        case 'd': ok = ok && parse_double(optarg, &g.duration); break;
        case 'r': ok = ok && parse_double(optarg, &g.rate); break;
        case 'm': g.method = optarg; break;
        case 'j': g.params = optarg; break;
        case 'i': ok = ok && parse_int(optarg, &idle, 1, 1000000); break;
        case 't': g.token = optarg; break;
        case 'H': ok = ok && parse_double(optarg, &g.hold); break;
        case 'k': ok = ok && parse_int(optarg, &g.pid, 1, INT_MAX); break;
        case 'l': g.login = optarg; break;
        default:
            usage(o == '?' && optopt == 0 ? stdout : stderr);
            return 2;
        }
    }
    if (!ok || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (g.login) {
        if (!strchr(g.login, ':')) {
            fprintf(stderr, "loadgen: --login wants USER:PASS\n");
            return 2;
        }
        g.mode = MODE_LOGIN;
        g.nconn = 1;
    } else if (idle) {
        if (!g.token) {
            fprintf(stderr, "loadgen: --idle needs --token\n");
            return 2;
        }
        g.mode = MODE_IDLE;
        g.nconn = idle;
    } else if (nconn) {
        if (g.duration <= 0) {
            fprintf(stderr, "loadgen: --duration must be > 0\n");
            return 2;
        }
        g.mode = MODE_LOAD;
        g.nconn = nconn;
    } else {
        usage(stderr);
        return 2;
    }

    if (g.mode == MODE_LOAD) {
        json_error_t je;
        load_params = json_loads(g.params, 0, &je);
        if (!json_is_object(load_params)) {
            fprintf(stderr, "loadgen: --params must be a JSON object\n");
            return 2;
        }
        /* everything but the id, which goes last so a send is one
         * snprintf: {"jsonrpc":"2.0","method":M,"params":P,"id":N} */
        json_t *m = json_string(g.method);
        char *ms = json_dumps(m, JSON_ENCODE_ANY);
        char *ps = json_dumps(load_params, JSON_COMPACT);
        json_decref(m);
        size_t n = strlen(ms) + strlen(ps) + 64;
        req_prefix = malloc(n);
        snprintf(req_prefix, n,
                 "{\"jsonrpc\":\"2.0\",\"method\":%s,\"params\":%s,\"id\":",
                 ms, ps);
        free(ms);
        free(ps);
    }

    raise_nofile(g.nconn + 64);
    lws_set_log_level(LLL_ERR, NULL);
    if (g.mode == MODE_IDLE && g.pid > 0)
        rss_before = rss_kb(g.pid);

    g.conns = calloc((size_t)g.nconn, sizeof *g.conns);
    if (!g.conns)
        return 1;
    for (int i = 0; i < g.nconn; i++)
        g.conns[i].idx = i;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.gid = -1;
    info.uid = -1;
    g.ctx = lws_create_context(&info);
    if (!g.ctx) {
        fprintf(stderr, "loadgen: lws_create_context failed\n");
        return 1;
    }

    g.phase = PH_CONNECT;
    g.phase_start = now_us();
    launch_more();
    lws_sul_schedule(g.ctx, 0, &g.tick, tick, TICK_US);
    while (g.phase != PH_DONE)
        if (lws_service(g.ctx, 0) < 0)
            break;

    for (int i = 0; i < g.nconn; i++) {
        lws_sul_cancel(&g.conns[i].sul);
        if (g.conns[i].wsi)
            lws_set_opaque_user_data(g.conns[i].wsi, NULL);
    }
    lws_sul_cancel(&g.tick);
    lws_context_destroy(g.ctx);

    if (g.mode == MODE_LOGIN) {
        if (g.login_token) {
            printf("%s\n", g.login_token);
        } else {
            fprintf(stderr, "loadgen: login failed: %s\n",
                    g.first_error[0] ? g.first_error : "no reply");
            g.exit_code = 1;
        }
    }
    if (g.first_error[0] && g.mode != MODE_LOGIN)
        fprintf(stderr, "loadgen: first problem: %s\n", g.first_error);

    for (int i = 0; i < g.nconn; i++)
        free(g.conns[i].rx);
    free(g.conns);
    free(g.lat);
    free(g.lag);
    free(g.login_token);
    free(req_prefix);
    json_decref(load_params);
    return g.exit_code;
}
