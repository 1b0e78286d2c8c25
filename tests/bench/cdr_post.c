/*
 * cdr_post: load generator for POST /api/v1/cdrs.
 *
 *   cdr_post --port P --token T --deck deck.csv --ingress-ids 1,2 --ingress-ips 192.0.2.1,...
 *            --egress 5,6 [--clients 2] [--batch 10000] [--duration 30] [--gzip]
 *
 * Each client (a thread with one keep-alive libcurl handle) posts NDJSON
 * batches one after the other (closed loop) for the duration. The batch is
 * built once per client from a template: callees are deck prefixes padded
 * with digits, half the CDRs name the ingress interconnect and half its
 * signalling IP, 70 % are answered (1..600 s), start times lie in the hour
 * before the run; only the ids change from batch to batch (a run prefix,
 * the client and a counter), so the generator costs a memcpy per batch and
 * the server's two cores are left to the server and PostgreSQL. Prints
 * key=value results on stdout.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#define ID_LEN 24
#define MAX_LIST 256
#define MAX_BATCHES 100000

static struct {
    int port, clients, batch;
    double duration;
    const char *token, *deck;
    bool gzip;
    long long ingress_ids[MAX_LIST], egress[MAX_LIST];
    char ingress_ips[MAX_LIST][48];
    int n_ingress_ids, n_egress, n_ingress_ips;
    char run[9];
    char **prefixes;
    size_t nprefixes;
} opt = { .port = 7480, .clients = 2, .batch = 10000, .duration = 30 };

typedef struct {
    int index;
    pthread_t thread;
    char *body;            /* the template, ids patched per batch */
    size_t len;
    size_t *id_at;         /* offset of each line's id */
    long long accepted, duplicates, rejected, failed, batches;
    double *latency_ms;    /* per batch */
} client;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static int parse_list(const char *s, long long *out)
{
    int n = 0;
    for (char *end; *s && n < MAX_LIST; s = *end ? end + 1 : end) {
        out[n++] = strtoll(s, &end, 10);
        if (end == s)
            return -1;
    }
    return n;
}

static int parse_ips(const char *s)
{
    int n = 0;
    while (*s && n < MAX_LIST) {
        size_t k = strcspn(s, ",");
        snprintf(opt.ingress_ips[n++], sizeof opt.ingress_ips[0], "%.*s", (int)k, s);
        s += k + (s[k] == ',');
    }
    return n;
}

static int load_prefixes(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[4096];
    size_t cap = 0;
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        if (header) {
            header = false;
            continue;
        }
        size_t k = strspn(line, "0123456789");
        if (k == 0 || k > 14)
            continue;
        if (opt.nprefixes == cap) {
            cap = cap ? cap * 2 : 4096;
            opt.prefixes = realloc(opt.prefixes, cap * sizeof *opt.prefixes);
        }
        opt.prefixes[opt.nprefixes++] = strndup(line, k);
    }
    fclose(f);
    return opt.nprefixes ? 0 : -1;
}

static void fmt_time(time_t t, char *buf, size_t n)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The client's template batch. */
static void build_template(client *c)
{
    size_t cap = (size_t)opt.batch * 360 + 1024;
    c->body = malloc(cap);
    c->id_at = malloc((size_t)opt.batch * sizeof *c->id_at);
    c->len = 0;
    time_t base = time(NULL) - 3600;
    for (int i = 0; i < opt.batch; i++) {
        const char *p = opt.prefixes[rnd() % opt.nprefixes];
        char callee[32];
        size_t k = (size_t)snprintf(callee, sizeof callee, "%s", p);
        while (k < 12)
            callee[k++] = (char)('0' + rnd() % 10);
        callee[k] = '\0';
        char ingress[80];
        if ((i % 2 == 0 && opt.n_ingress_ids) || !opt.n_ingress_ips)
            snprintf(ingress, sizeof ingress, "\"ingress_interconnect_id\":%lld",
                     opt.ingress_ids[rnd() % (uint64_t)opt.n_ingress_ids]);
        else
            snprintf(ingress, sizeof ingress, "\"ingress_ip\":\"%s\"",
                     opt.ingress_ips[rnd() % (uint64_t)opt.n_ingress_ips]);
        time_t start = base + (time_t)(rnd() % 3600);
        bool answered = rnd() % 10 < 7;
        time_t answer = start + 2 + (time_t)(rnd() % 8);
        time_t end = answered ? answer + 1 + (time_t)(rnd() % 600) : start + 5;
        char st[32], at[40], et[32];
        fmt_time(start, st, sizeof st);
        fmt_time(end, et, sizeof et);
        if (answered) {
            char a[32];
            fmt_time(answer, a, sizeof a);
            snprintf(at, sizeof at, "\"%s\"", a);
        } else {
            snprintf(at, sizeof at, "null");
        }
        int n = snprintf(c->body + c->len, cap - c->len,
                         "{\"id\":\"%0*d\",%s,\"caller\":\"+12125550%03d\",\"callee\":\"%s\","
                         "\"start_time\":\"%s\",\"answer_time\":%s,\"end_time\":\"%s\","
                         "\"egress_interconnect_id\":%lld,\"release_cause\":%d,\"pdd_ms\":%d}\n",
                         ID_LEN, 0, ingress, (int)(rnd() % 1000), callee, st, at, et,
                         opt.egress[rnd() % (uint64_t)opt.n_egress], answered ? 16 : 486, (int)(rnd() % 4000));
        c->id_at[i] = c->len + 7; /* after {"id":" */
        c->len += (size_t)n;
    }
}

/* Give every CDR of the next batch a new id: run prefix, client, counter. */
static void patch_ids(client *c, long long seq)
{
    for (int i = 0; i < opt.batch; i++) {
        char id[64]; /* 8 + 2 + 14 = ID_LEN while the counter stays under 10^14 */
        snprintf(id, sizeof id, "%.8s%02d%014lld", opt.run, c->index % 100, (seq * opt.batch + i) % 100000000000000LL);
        memcpy(c->body + c->id_at[i], id, ID_LEN);
    }
}

static void *gzip_body(const char *in, size_t n, size_t *out_n)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    size_t cap = deflateBound(&z, (uLong)n);
    unsigned char *out = malloc(cap);
    z.next_in = (Bytef *)in;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    deflate(&z, Z_FINISH);
    *out_n = cap - z.avail_out;
    deflateEnd(&z);
    return out;
}

typedef struct {
    char buf[65536];
    size_t len;
} reply;

static size_t on_reply(char *p, size_t size, size_t nmemb, void *ud)
{
    reply *r = ud;
    size_t n = size * nmemb, room = sizeof r->buf - 1 - r->len;
    memcpy(r->buf + r->len, p, n < room ? n : room);
    r->len += n < room ? n : room;
    r->buf[r->len] = '\0';
    return n;
}

static long long field(const char *json, const char *key)
{
    const char *p = strstr(json, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : 0;
}

static double deadline;

static void *client_main(void *arg)
{
    client *c = arg;
    CURL *h = curl_easy_init();
    char url[128], auth[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/cdrs", opt.port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", opt.token);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/x-ndjson");
    hdrs = curl_slist_append(hdrs, "Expect:");
    if (opt.gzip)
        hdrs = curl_slist_append(hdrs, "Content-Encoding: gzip");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
    for (long long seq = 0; now_s() < deadline && c->batches < MAX_BATCHES; seq++) {
        patch_ids(c, seq);
        void *z = NULL;
        size_t zn = 0;
        if (opt.gzip)
            z = gzip_body(c->body, c->len, &zn);
        reply r = { .len = 0 };
        r.buf[0] = '\0';
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, z ? z : c->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(z ? zn : c->len));
        double t0 = now_s();
        CURLcode rc = curl_easy_perform(h);
        double ms = (now_s() - t0) * 1000;
        free(z);
        long status = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200) {
            fprintf(stderr, "client %d: batch %lld: %s, HTTP %ld: %.300s\n", c->index, seq,
                    rc == CURLE_OK ? "ok" : curl_easy_strerror(rc), status, r.buf);
            c->failed++;
            continue;
        }
        c->latency_ms[c->batches++] = ms;
        c->accepted += field(r.buf, "\"accepted\":");
        c->duplicates += field(r.buf, "\"duplicates\":");
        c->rejected += strstr(r.buf, "\"rejected\":[]") ? 0 : 1;
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

static void usage(void)
{
    fprintf(stderr, "usage: cdr_post --port P --token T --deck FILE --egress IDS [--ingress-ids IDS]"
                    " [--ingress-ips IPS] [--clients 2] [--batch 10000] [--duration 30] [--gzip]\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "port", 1, NULL, 'p' }, { "token", 1, NULL, 't' }, { "deck", 1, NULL, 'd' },
        { "ingress-ids", 1, NULL, 'i' }, { "ingress-ips", 1, NULL, 'I' }, { "egress", 1, NULL, 'e' },
        { "clients", 1, NULL, 'c' }, { "batch", 1, NULL, 'b' }, { "duration", 1, NULL, 'D' },
        { "gzip", 0, NULL, 'z' }, { NULL, 0, NULL, 0 },
    };
    int ch;
    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (ch) {
        case 'p': opt.port = atoi(optarg); break;
        case 't': opt.token = optarg; break;
        case 'd': opt.deck = optarg; break;
        case 'i': opt.n_ingress_ids = parse_list(optarg, opt.ingress_ids); break;
        case 'I': opt.n_ingress_ips = parse_ips(optarg); break;
        case 'e': opt.n_egress = parse_list(optarg, opt.egress); break;
        case 'c': opt.clients = atoi(optarg); break;
        case 'b': opt.batch = atoi(optarg); break;
        case 'D': opt.duration = atof(optarg); break;
        case 'z': opt.gzip = true; break;
        default: usage(); return 2;
        }
    }
    if (!opt.token || !opt.deck || opt.n_egress <= 0 || (opt.n_ingress_ids <= 0 && opt.n_ingress_ips <= 0) ||
        opt.clients < 1 || opt.clients > 64 || opt.batch < 1 || opt.batch > 100000) {
        usage();
        return 2;
    }
    if (load_prefixes(opt.deck)) {
        fprintf(stderr, "cdr_post: no prefixes in %s\n", opt.deck);
        return 1;
    }
    rng ^= (uint64_t)time(NULL);
    snprintf(opt.run, sizeof opt.run, "%08llx", (unsigned long long)(rnd() & 0xffffffffu));
    curl_global_init(CURL_GLOBAL_DEFAULT);
    client *cs = calloc((size_t)opt.clients, sizeof *cs);
    for (int i = 0; i < opt.clients; i++) {
        cs[i].index = i;
        cs[i].latency_ms = calloc(MAX_BATCHES, sizeof(double));
        build_template(&cs[i]);
    }
    double t0 = now_s();
    deadline = t0 + opt.duration;
    for (int i = 0; i < opt.clients; i++)
        pthread_create(&cs[i].thread, NULL, client_main, &cs[i]);
    for (int i = 0; i < opt.clients; i++)
        pthread_join(cs[i].thread, NULL);
    double elapsed = now_s() - t0;

    long long accepted = 0, duplicates = 0, failed = 0, batches = 0, rejected = 0;
    size_t n = 0;
    double *all = calloc((size_t)opt.clients * MAX_BATCHES, sizeof *all);
    for (int i = 0; i < opt.clients; i++) {
        accepted += cs[i].accepted;
        duplicates += cs[i].duplicates;
        failed += cs[i].failed;
        rejected += cs[i].rejected;
        batches += cs[i].batches;
        for (long long k = 0; k < cs[i].batches; k++)
            all[n++] = cs[i].latency_ms[k];
    }
    qsort(all, n, sizeof *all, cmp_double);
#define PCT(p) (n ? all[(size_t)((double)(n - 1) * (p))] : 0.0)
    printf("clients=%d batch=%d gzip=%d duration_s=%.1f batches=%lld failed=%lld batches_with_rejects=%lld\n",
           opt.clients, opt.batch, opt.gzip, elapsed, batches, failed, rejected);
    printf("accepted=%lld duplicates=%lld cdrs_per_s=%.0f bytes_per_batch=%zu\n", accepted, duplicates,
           accepted / elapsed, cs[0].len);
    printf("batch_ms_p50=%.1f batch_ms_p90=%.1f batch_ms_p99=%.1f batch_ms_max=%.1f\n", PCT(0.5), PCT(0.9),
           PCT(0.99), n ? all[n - 1] : 0.0);
    return failed ? 1 : 0;
}
