/*
 * route_http: load generator for GET /api/v1/route (issue 7).
 *
 *   route_http --port P --prefixes FILE --services 1,2,3 [--clients 4] [--duration 30]
 *              [--token T] [--seed S]
 *
 * Each client (a thread with one keep-alive libcurl handle) asks for routes
 * one lookup after the other (closed loop) for the duration: a random
 * service of the list, a fixed caller and a random callee made of a random
 * prefix of FILE (one a line: the routing plan's entries) padded with
 * random digits to 11-13 digits. Without --token the server must allow
 * 127.0.0.1 in route_allow_ips. A lookup counts as good when the answer is
 * HTTP 200 with a "routes" member; anything else is an error (the first
 * few are printed on stderr). Prints key=value results on stdout: lookups/s,
 * latency percentiles, errors and the mean number of routes and rejections
 * per answer.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_LIST 256

static struct {
    int port, clients;
    double duration;
    const char *token, *prefixes_file;
    long long services[MAX_LIST];
    int nservices;
    uint64_t seed;
    char **prefixes;
    size_t nprefixes;
} opt = { .port = 7590, .clients = 4, .duration = 30, .seed = 1 };

typedef struct {
    int index;
    pthread_t thread;
    uint64_t rng;
    long long good, errors, routes, rejected;
    double *lat_ms;
    size_t nlat, caplat;
    char *body;
    size_t len, cap;
} client;

static atomic_int errors_printed;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    client *c = ud;
    size_t k = size * n;
    if (c->len + k + 1 > c->cap) {
        size_t cap = (c->len + k + 1) * 2;
        char *b = realloc(c->body, cap);
        if (!b)
            return 0;
        c->body = b;
        c->cap = cap;
    }
    memcpy(c->body + c->len, p, k);
    c->len += k;
    c->body[c->len] = '\0';
    return k;
}

/* Count occurrences of needle in the answer. */
static long count_of(const char *s, const char *needle)
{
    long n = 0;
    for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

static void *run_client(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    if (!h) {
        fprintf(stderr, "route_http: curl_easy_init failed\n");
        return NULL;
    }
    struct curl_slist *hdrs = NULL;
    if (opt.token) {
        char auth[256];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt.token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
    curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);

    double end = now_s() + opt.duration;
    char url[512];
    while (now_s() < end) {
        const char *prefix = opt.prefixes[rnd(&c->rng) % opt.nprefixes];
        char callee[32];
        size_t len = strlen(prefix), want = 11 + rnd(&c->rng) % 3;
        if (len > 24)
            len = 24;
        memcpy(callee, prefix, len);
        for (; len < want; len++)
            callee[len] = (char)('0' + rnd(&c->rng) % 10);
        callee[len] = '\0';
        long long service = opt.services[rnd(&c->rng) % (uint64_t)opt.nservices];
        snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/route?service_id=%lld&caller=%s&callee=%s", opt.port,
                 service, "441632960000", callee);
        curl_easy_setopt(h, CURLOPT_URL, url);
        c->len = 0;
        if (c->body)
            c->body[0] = '\0';
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(h);
        double ms = (now_s() - t0) * 1e3;
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        bool ok = rc == CURLE_OK && status == 200 && c->body && strstr(c->body, "\"routes\"");
        if (c->nlat == c->caplat) {
            size_t cap = c->caplat ? c->caplat * 2 : 65536;
            double *l = realloc(c->lat_ms, cap * sizeof *l);
            if (!l)
                break;
            c->lat_ms = l;
            c->caplat = cap;
        }
        c->lat_ms[c->nlat++] = ms;
        if (ok) {
            c->good++;
            /* Each route and each rejection carries one interconnect_id. */
            const char *rej = strstr(c->body, "\"rejected\"");
            long all = count_of(c->body, "\"interconnect_id\""), nrej = rej ? count_of(rej, "\"interconnect_id\"") : 0;
            c->routes += all - nrej;
            c->rejected += nrej;
        } else {
            c->errors++;
            if (atomic_fetch_add(&errors_printed, 1) < 5)
                fprintf(stderr, "route_http: %s -> curl %d, HTTP %ld: %.300s\n", url, (int)rc, status,
                        c->body ? c->body : "");
        }
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return NULL;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int load_prefixes(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t cap = 0;
    char line[64];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0] || strspn(line, "0123456789") != strlen(line))
            continue;
        if (opt.nprefixes == cap) {
            cap = cap ? cap * 2 : 4096;
            char **p = realloc(opt.prefixes, cap * sizeof *p);
            if (!p) {
                fclose(f);
                return -1;
            }
            opt.prefixes = p;
        }
        opt.prefixes[opt.nprefixes++] = strdup(line);
    }
    fclose(f);
    return opt.nprefixes ? 0 : -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: route_http --port P --prefixes FILE --services 1,2,3 [--clients N] [--duration S]"
                    " [--token T] [--seed S]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },     { "prefixes", required_argument, NULL, 'f' },
        { "services", required_argument, NULL, 's' }, { "clients", required_argument, NULL, 'c' },
        { "duration", required_argument, NULL, 'd' }, { "token", required_argument, NULL, 't' },
        { "seed", required_argument, NULL, 'r' },     { NULL, 0, NULL, 0 },
    };
    for (int ch; (ch = getopt_long(argc, argv, "", longopts, NULL)) != -1;) {
        switch (ch) {
        case 'p': opt.port = atoi(optarg); break;
        case 'f': opt.prefixes_file = optarg; break;
        case 'c': opt.clients = atoi(optarg); break;
        case 'd': opt.duration = atof(optarg); break;
        case 't': opt.token = optarg; break;
        case 'r': opt.seed = strtoull(optarg, NULL, 10); break;
        case 's':
            for (char *s = optarg, *end; *s && opt.nservices < MAX_LIST; s = *end ? end + 1 : end) {
                opt.services[opt.nservices++] = strtoll(s, &end, 10);
                if (end == s)
                    usage();
            }
            break;
        default: usage();
        }
    }
    if (!opt.prefixes_file || !opt.nservices || opt.clients < 1 || opt.duration <= 0)
        usage();
    if (load_prefixes(opt.prefixes_file)) {
        fprintf(stderr, "route_http: no prefixes in %s\n", opt.prefixes_file);
        return 1;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    client *cl = calloc((size_t)opt.clients, sizeof *cl);
    if (!cl)
        return 1;
    double t0 = now_s();
    for (int i = 0; i < opt.clients; i++) {
        cl[i].index = i;
        cl[i].rng = (opt.seed + 1) * 0x9E3779B97F4A7C15ULL + (uint64_t)i * 0xBF58476D1CE4E5B9ULL;
        if (!cl[i].rng)
            cl[i].rng = 1;
        pthread_create(&cl[i].thread, NULL, run_client, &cl[i]);
    }
    size_t total = 0;
    long long good = 0, errors = 0, routes = 0, rejected = 0;
    for (int i = 0; i < opt.clients; i++) {
        pthread_join(cl[i].thread, NULL);
        total += cl[i].nlat;
        good += cl[i].good;
        errors += cl[i].errors;
        routes += cl[i].routes;
        rejected += cl[i].rejected;
    }
    double elapsed = now_s() - t0;
    double *all = malloc((total ? total : 1) * sizeof *all);
    size_t k = 0;
    for (int i = 0; i < opt.clients; i++) {
        if (cl[i].nlat)
            memcpy(all + k, cl[i].lat_ms, cl[i].nlat * sizeof *all);
        k += cl[i].nlat;
        free(cl[i].lat_ms);
        free(cl[i].body);
    }
    qsort(all, total, sizeof *all, cmp_double);
#define PCT(p) (total ? all[(size_t)((double)(total - 1) * (p))] : 0.0)
    printf("clients=%d duration_s=%.1f lookups=%zu lookups_per_s=%.0f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f"
           " errors=%lld routes_per_answer=%.1f rejected_per_answer=%.1f\n",
           opt.clients, elapsed, total, (double)good / elapsed, PCT(0.50), PCT(0.99), PCT(0.999),
           total ? all[total - 1] : 0.0, errors, good ? (double)routes / (double)good : 0.0,
           good ? (double)rejected / (double)good : 0.0);
    free(all);
    free(cl);
    curl_global_cleanup();
    return errors ? 1 : 0;
}
