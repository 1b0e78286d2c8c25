/*
 * brevo_standin: a stand-in Brevo transactional e-mail API for the e-mail
 * job benchmark (jobs_email.sh). Answers every POST /v3/smtp/email that
 * carries an api-key header with 201 {"messageId": "<n@standin>"} (400
 * without the header), one thread per connection, keep-alive honoured.
 * On SIGTERM or SIGINT it prints `requests=N refused=M` and exits.
 *
 *   brevo_standin --port P
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static atomic_long requests, refused;

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0)
            return;
        p += w;
        n -= (size_t)w;
    }
}

static void *connection(void *arg)
{
    int fd = (int)(intptr_t)arg;
    char buf[65536];
    size_t len = 0;
    for (;;) {
        char *end = NULL;
        while (!(end = strstr(buf, "\r\n\r\n"))) {
            if (len >= sizeof buf - 1)
                goto out;
            ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
            if (r <= 0)
                goto out;
            len += (size_t)r;
            buf[len] = '\0';
        }
        size_t head = (size_t)(end - buf) + 4, body = 0;
        char *cl = strcasestr(buf, "\r\ncontent-length:");
        if (cl && cl < end)
            body = (size_t)atol(cl + 17);
        int has_key = strcasestr(buf, "\r\napi-key:") != NULL && strcasestr(buf, "\r\napi-key:") < end;
        int closing = strcasestr(buf, "\r\nconnection: close") != NULL;
        while (len < head + body) {
            if (len >= sizeof buf - 1)
                goto out;
            ssize_t r = recv(fd, buf + len, sizeof buf - 1 - len, 0);
            if (r <= 0)
                goto out;
            len += (size_t)r;
            buf[len] = '\0';
        }
        char out[256], json[96];
        int jn;
        if (has_key) {
            long n = atomic_fetch_add(&requests, 1) + 1;
            jn = snprintf(json, sizeof json, "{\"messageId\":\"<%ld@standin>\"}", n);
        } else {
            atomic_fetch_add(&refused, 1);
            jn = snprintf(json, sizeof json, "{\"code\":\"unauthorized\",\"message\":\"Key not found\"}");
        }
        int on = snprintf(out, sizeof out, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
                          has_key ? "201 Created" : "401 Unauthorized", jn, json);
        send_all(fd, out, (size_t)on);
        memmove(buf, buf + head + body, len - head - body);
        len -= head + body;
        buf[len] = '\0';
        if (closing)
            break;
    }
out:
    close(fd);
    return NULL;
}

static void on_stop(int sig)
{
    (void)sig;
    char line[96];
    int n = snprintf(line, sizeof line, "requests=%ld refused=%ld\n", atomic_load(&requests), atomic_load(&refused));
    if (write(1, line, (size_t)n) < 0)
        _exit(1);
    _exit(0);
}

int main(int argc, char **argv)
{
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2)
        if (!strcmp(argv[i], "--port"))
            port = atoi(argv[i + 1]);
    if (port <= 0) {
        fprintf(stderr, "usage: brevo_standin --port P\n");
        return 2;
    }
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 1024)) {
        perror("brevo_standin: bind/listen");
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t t;
        if (pthread_create(&t, &attr, connection, (void *)(intptr_t)c))
            close(c);
    }
}
