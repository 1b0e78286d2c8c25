/*
 * brevo_standin: a stand-in Brevo transactional e-mail API for the e-mail
 * job benchmark (jobs_email.sh). Answers every POST /v3/smtp/email that
 * carries an api-key header with 201 {"messageId": "<n@standin>"} (401
 * without the header), one thread per connection, keep-alive honoured.
 * On SIGTERM or SIGINT it prints `requests=N refused=M` and exits.
 *
 *   brevo_standin --port P
 */
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "http_standin.h"

static atomic_long requests, refused;

static bool answer(int fd, const http_request *req, void *user)
{
    (void)user;
    char key[128], connection[32], json[96];
    http_header_value(req->head, "api-key", key, sizeof key);
    http_header_value(req->head, "Connection", connection, sizeof connection);
    bool has_key = key[0] != '\0', keep = strcasecmp(connection, "close") != 0;
    if (has_key) {
        long n = atomic_fetch_add(&requests, 1) + 1;
        snprintf(json, sizeof json, "{\"messageId\":\"<%ld@standin>\"}", n);
        http_answer(fd, 201, "Created", "application/json", json, true);
    } else {
        atomic_fetch_add(&refused, 1);
        snprintf(json, sizeof json, "{\"code\":\"unauthorized\",\"message\":\"Key not found\"}");
        http_answer(fd, 401, "Unauthorized", "application/json", json, true);
    }
    return keep;
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
    if (!http_standin_start(port, answer, NULL)) {
        perror("brevo_standin: bind/listen");
        return 1;
    }
    for (;;)
        pause();
}
