/*
 * bench_ledger_post: independent ledger postings over RPC from N
 * concurrent WebSocket connections, closed loop (run by ledger_post.sh).
 *
 *   bench_ledger_post --port P --token T --first-carrier ID --carriers M
 *                     [--connections N] [--depth D] [--duration S] [--run TAG]
 *
 * Connection i posts to carrier ID + (i % M) only, so postings of
 * different connections never wait for one another's carrier account;
 * each alternates a top-up and a charge (new idempotency key each). D
 * requests are kept in flight per connection. Prints one line:
 * `journals=.. errors=.. seconds=.. journals_per_s=.. p50_us=.. p99_us=.. max_us=..`.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"

#define MAX_DEPTH 16

static struct {
    int port, connections, depth, carriers;
    long long first_carrier;
    double duration;
    const char *token, *run;
    long long t_end;
} opt = { 7480, 16, 1, 16, 1, 10.0, NULL, "bench", 0 };

typedef struct {
    int index;
    pthread_t thread;
    long long ok, errors;
    long long *lat;
    size_t nlat, cap;
    char first_error[200];
} worker;

static long long send_one(wsc *c, worker *w, long long seq)
{
    char key[96];
    snprintf(key, sizeof key, "%s-%d-%lld", opt.run, w->index, seq);
    json_t *p = json_pack("{s:s, s:s, s:I, s:s, s:s, s:s}", "idempotency_key", key, "kind",
                          seq % 2 ? "charge" : "topup", "carrier_id",
                          (json_int_t)(opt.first_carrier + w->index % opt.carriers), "side", "customer", "amount",
                          "1.250000", "currency", "USD");
    return wsc_send_request(c, "ledger.post", p);
}

static void *run_worker(void *arg)
{
    worker *w = arg;
    wsc *c = wsc_connect("127.0.0.1", opt.port, "/ws", "didtron.v1", 10000);
    if (!c) {
        snprintf(w->first_error, sizeof w->first_error, "connect: %s", wsc_last_error());
        w->errors++;
        return NULL;
    }
    json_t *r = wsc_call(c, "auth.resume", json_pack("{s:s}", "token", opt.token), 10000);
    if (wsc_error_code(r)) {
        snprintf(w->first_error, sizeof w->first_error, "auth.resume failed");
        w->errors++;
        json_decref(r);
        wsc_close(c);
        return NULL;
    }
    json_decref(r);
    long long ids[MAX_DEPTH], sent_at[MAX_DEPTH], seq = 0;
    int head = 0, inflight = 0;
    for (; inflight < opt.depth; inflight++) {
        sent_at[inflight] = bench_now_us();
        ids[inflight] = send_one(c, w, seq++);
    }
    while (inflight) {
        r = wsc_wait_response(c, ids[head], 30000);
        long long t = bench_now_us();
        if (!r) {
            snprintf(w->first_error, sizeof w->first_error, "no reply");
            w->errors++;
            break;
        }
        if (wsc_error_code(r)) {
            if (!w->first_error[0]) {
                char *text = json_dumps(r, JSON_COMPACT);
                snprintf(w->first_error, sizeof w->first_error, "%s", text ? text : "error");
                free(text);
            }
            w->errors++;
        } else {
            w->ok++;
            if (w->nlat == w->cap) {
                w->cap = w->cap ? w->cap * 2 : 4096;
                w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
            }
            w->lat[w->nlat++] = t - sent_at[head];
        }
        json_decref(r);
        if (t < opt.t_end) {
            sent_at[head] = bench_now_us();
            ids[head] = send_one(c, w, seq++);
        } else {
            inflight--;
        }
        head = (head + 1) % opt.depth;
    }
    wsc_close(c);
    return NULL;
}

int main(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--port"))
            opt.port = atoi(v);
        else if (!strcmp(k, "--token"))
            opt.token = v;
        else if (!strcmp(k, "--first-carrier"))
            opt.first_carrier = atoll(v);
        else if (!strcmp(k, "--carriers"))
            opt.carriers = atoi(v);
        else if (!strcmp(k, "--connections"))
            opt.connections = atoi(v);
        else if (!strcmp(k, "--depth"))
            opt.depth = atoi(v);
        else if (!strcmp(k, "--duration"))
            opt.duration = atof(v);
        else if (!strcmp(k, "--run"))
            opt.run = v;
        else {
            fprintf(stderr, "bench_ledger_post: unknown option %s\n", k);
            return 2;
        }
    }
    if (!opt.token || opt.connections < 1 || opt.carriers < 1 || opt.depth < 1 || opt.depth > MAX_DEPTH) {
        fprintf(stderr, "usage: bench_ledger_post --port P --token T --first-carrier ID --carriers M"
                        " [--connections N] [--depth 1..16] [--duration S] [--run TAG]\n");
        return 2;
    }
    worker *w = calloc((size_t)opt.connections, sizeof *w);
    long long t0 = bench_now_us();
    opt.t_end = t0 + (long long)(opt.duration * 1e6);
    for (int i = 0; i < opt.connections; i++) {
        w[i].index = i;
        pthread_create(&w[i].thread, NULL, run_worker, &w[i]);
    }
    long long ok = 0, errors = 0;
    size_t n = 0;
    for (int i = 0; i < opt.connections; i++) {
        pthread_join(w[i].thread, NULL);
        if (w[i].first_error[0] && !errors)
            fprintf(stderr, "bench_ledger_post: %s\n", w[i].first_error);
        ok += w[i].ok;
        errors += w[i].errors;
        n += w[i].nlat;
    }
    double secs = (double)(bench_now_us() - t0) / 1e6;
    long long *lat = malloc((n ? n : 1) * sizeof *lat);
    size_t k = 0;
    for (int i = 0; i < opt.connections; i++) {
        memcpy(lat + k, w[i].lat, w[i].nlat * sizeof *lat);
        k += w[i].nlat;
        free(w[i].lat);
    }
    qsort(lat, n, sizeof *lat, bench_cmp_ll);
    printf("connections=%d depth=%d journals=%lld errors=%lld seconds=%.2f journals_per_s=%.0f"
           " p50_us=%lld p99_us=%lld max_us=%lld\n",
           opt.connections, opt.depth, ok, errors, secs, (double)ok / secs, n ? lat[n / 2] : 0,
           n ? lat[(size_t)((double)n * 0.99)] : 0, n ? lat[n - 1] : 0);
    free(lat);
    free(w);
    return errors ? 1 : 0;
}
