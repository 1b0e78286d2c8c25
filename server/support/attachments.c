/*
 * attachments.c: ticket.attach and ticket.attachment.get.
 *
 * A file comes either as base64 `data` in the JSON-RPC params (small
 * files, within the message size: about 45 KiB decoded) or as the body of
 * POST /api/v1/tickets/{id}/attachments (rpc_call.upload: spooled to a
 * temporary file by the transport, up to attachment_max_bytes). It is
 * written under attachment_dir with a random name (64 hex digits; the
 * client's filename is only metadata), its SHA-256 is stored, and a
 * failed transaction removes the file it wrote.
 *
 * Scope: the ticket's tenant rules (ticket_lock), and an attachment of an
 * internal note is as hidden from customers as the note itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "support.h"
#include "../audit/audit.h"
#include "../auth/secret.h"

#define INLINE_MAX (45 * 1024) /* largest file sent or returned as base64 */


/* Is type in the comma-separated list (case-insensitive, parameters such
 * as "; charset=utf-8" ignored)? */
static bool type_allowed(const char *list, const char *type)
{
    size_t tn = strcspn(type, ";");
    while (tn > 0 && type[tn - 1] == ' ')
        tn--;
    if (tn == 0)
        return false;
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t n = strcspn(p, ",");
        size_t m = n;
        while (m > 0 && p[m - 1] == ' ')
            m--;
        if (m == tn && !strncasecmp(p, type, tn))
            return true;
        p += n;
    }
    return false;
}

static void hex(const unsigned char *in, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Write the file from memory (data) or by copying the upload (src), into
 * dir/name, hashing as it goes. Returns the size, or -1. */
static long long store(const char *path, const unsigned char *data, size_t len, const char *src, char *sha)
{
    int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (out < 0)
        return -1;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    long long size = -1;
    int in = -1;
    if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
        goto out;
    if (data) {
        if (len && (write(out, data, len) != (ssize_t)len || !EVP_DigestUpdate(md, data, len)))
            goto out;
        size = (long long)len;
    } else {
        if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
            goto out;
        unsigned char buf[65536];
        long long total = 0;
        ssize_t n;
        while ((n = read(in, buf, sizeof buf)) > 0) {
            if (write(out, buf, (size_t)n) != n || !EVP_DigestUpdate(md, buf, (size_t)n))
                goto out;
            total += n;
        }
        if (n < 0)
            goto out;
        size = total;
    }
    unsigned char digest[32];
    unsigned int dn = 0;
    if (!EVP_DigestFinal_ex(md, digest, &dn) || dn != 32) {
        size = -1;
        goto out;
    }
    hex(digest, 32, sha);
out:
    if (in >= 0)
        close(in);
    if (close(out))
        size = -1;
    EVP_MD_CTX_free(md);
    if (size < 0)
        unlink(path);
    return size;
}

/* Decode standard base64 (padding required, no whitespace). NULL when it
 * is not base64; *len gets the decoded size. */
static unsigned char *b64_decode(const char *in, size_t n, size_t *len)
{
    if (n % 4)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
                  ch == '/' || (ch == '=' && i >= n - 2);
        if (!ok || (i == n - 2 && ch == '=' && in[n - 1] != '='))
            return NULL;
    }
    unsigned char *out = malloc(n / 4 * 3 + 1);
    if (!out)
        return NULL;
    int k = n ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) : 0;
    if (k < 0) {
        free(out);
        return NULL;
    }
    if (n && in[n - 1] == '=')
        k--;
    if (n > 1 && in[n - 2] == '=')
        k--;
    *len = (size_t)k;
    return out;
}

int ticket_attach(rpc_call *c)
{
    const char *ctype = rpc_str(c, "content_type");
    const char *data = rpc_str(c, "data");
    if (c->upload) {
        ctype = c->upload->content_type;
        if (data)
            rpc_field_error(c, "data", "the file is the request body");
        if (c->upload->gzip)
            rpc_field_error(c, "Content-Encoding", "attachments are stored as sent: send them uncompressed");
    } else if (!data) {
        rpc_field_error(c, "data", "is required (base64), or upload the file over HTTP");
    }
    if (!ctype || !*ctype)
        rpc_field_error(c, "content_type", "is required");
    else if (!type_allowed(c->cfg->attachment_types, ctype))
        rpc_field_error(c, "content_type", "is not an allowed attachment type");
    if (c->err_code)
        return -1;

    unsigned char *bytes = NULL;
    size_t len = 0;
    if (data) {
        if (!(bytes = b64_decode(data, strlen(data), &len)))
            return rpc_field_error(c, "data", "is not base64");
        if (len > INLINE_MAX) {
            free(bytes);
            return rpc_field_error(c, "data", "is over 45 KiB: upload the file over HTTP");
        }
    } else {
        len = (size_t)c->upload->size;
    }
    if (len > (size_t)c->cfg->attachment_max_bytes) {
        free(bytes);
        return rpc_field_error(c, data ? "data" : "body", "is larger than attachment_max_bytes");
    }

    ticket_row t;
    if (ticket_lock(c, rpc_int(c, "id", 0), 0, &t)) {
        free(bytes);
        return -1;
    }
    bool customer = c->session->role == ROLE_CUSTOMER, internal = false;
    long long mid = rpc_int(c, "message_id", 0);
    char idt[24], mt[24], uid[24];
    snprintf(idt, sizeof idt, "%lld", t.id);
    snprintf(mt, sizeof mt, "%lld", mid);
    snprintf(uid, sizeof uid, "%lld", c->session->user_id);
    if (mid) {
        PGresult *r = rpc_query(c, "SELECT internal FROM ticket_messages WHERE id = $1 AND ticket_id = $2", 2, mt, idt);
        if (!r) {
            free(bytes);
            return -1;
        }
        bool found = PQntuples(r) && !(customer && PQgetvalue(r, 0, 0)[0] == 't');
        internal = found && PQgetvalue(r, 0, 0)[0] == 't';
        PQclear(r);
        if (!found) {
            free(bytes);
            return rpc_field_error(c, "message_id", "is not a message of this ticket");
        }
    }

    char token[65], ignored[65], sha[65], path[1200];
    if (token_new(token, ignored) || fs_mkdir_p(c->cfg->attachment_dir, 0750)) {
        free(bytes);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "cannot store the attachment");
    }
    snprintf(path, sizeof path, "%s/%s", c->cfg->attachment_dir, token);
    long long size = store(path, bytes, len, data ? NULL : c->upload->path, sha);
    free(bytes);
    if (size < 0)
        return rpc_fail(c, RPC_INTERNAL_ERROR, "cannot store the attachment");
    if (size > c->cfg->attachment_max_bytes) {
        unlink(path);
        return rpc_field_error(c, "body", "is larger than attachment_max_bytes");
    }
    char sizet[24];
    snprintf(sizet, sizeof sizet, "%lld", size);
    const char *params[] = { idt, mt, internal ? "t" : "f", rpc_str(c, "filename"), ctype, sizet, sha, token, uid };
    PGresult *r = rpc_queryv(c,
        "INSERT INTO ticket_attachments AS a (ticket_id, message_id, internal, filename, content_type, size, sha256,"
        " storage_name, uploaded_by) VALUES ($1, nullif($2::bigint, 0), $3, $4, $5, $6, $7, $8, $9)"
        " RETURNING (" ATTACHMENT_JSON ")::text, a.id",
        9, params);
    if (!r) {
        unlink(path);
        return -1;
    }
    json_t *att = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    long long aid = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (ticket_touch(c, t.id) || audit_record(c, "attach", "ticket", t.id, NULL, att) ||
        ticket_announce(c, &t, internal ? "note" : "attach", internal)) {
        json_decref(att);
        unlink(path); /* the transaction rolls back: no row points at it */
        return -1;
    }
    (void)aid;
    c->result = att;
    return 0;
}

int ticket_attachment_get(rpc_call *c)
{
    char idt[24], cid[24];
    snprintf(idt, sizeof idt, "%lld", rpc_int(c, "id", 0));
    bool customer = c->session->role == ROLE_CUSTOMER;
    snprintf(cid, sizeof cid, "%lld", customer ? c->session->carrier_id : 0);
    PGresult *r = rpc_query(c,
        "SELECT (" ATTACHMENT_JSON ")::text, a.storage_name, a.size FROM ticket_attachments a"
        " JOIN tickets t ON t.id = a.ticket_id"
        " WHERE a.id = $1 AND ($2::bigint = 0 OR (t.carrier_id = $2 AND NOT a.internal))",
        2, idt, cid);
    if (!r)
        return -1;
    if (!PQntuples(r)) {
        PQclear(r);
        return rpc_fail(c, RPC_NOT_FOUND, "no attachment %s", idt);
    }
    json_t *att = json_loads(PQgetvalue(r, 0, 0), 0, NULL);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", c->cfg->attachment_dir, PQgetvalue(r, 0, 1));
    long long size = atoll(PQgetvalue(r, 0, 2));
    PQclear(r);
    if (c->download) { /* GET /api/v1/tickets/attachments/{id}: the bytes, whatever the size */
        unsigned char *bytes = malloc(size > 0 ? (size_t)size : 1);
        if (!bytes) {
            json_decref(att);
            return rpc_fail(c, RPC_INTERNAL_ERROR, "out of memory");
        }
        FILE *f = fopen(path, "rb");
        size_t n = f ? fread(bytes, 1, (size_t)size, f) : 0;
        if (f)
            fclose(f);
        if (!f || (long long)n != size) {
            free(bytes);
            json_decref(att);
            return rpc_fail(c, RPC_INTERNAL_ERROR, "the attachment file is missing");
        }
        const char *type = json_string_value(json_object_get(att, "content_type"));
        const char *name = json_string_value(json_object_get(att, "filename"));
        c->download->body = bytes;
        c->download->len = n;
        snprintf(c->download->content_type, sizeof c->download->content_type, "%s", type ? type : "");
        snprintf(c->download->filename, sizeof c->download->filename, "%s", name ? name : "");
        c->result = att;
        return 0;
    }
    if (size > INLINE_MAX) { /* too large for a message: metadata only (GET /api/v1/tickets/attachments/{id}) */
        json_object_set_new(att, "data", json_null());
        c->result = att;
        return 0;
    }
    FILE *f = fopen(path, "rb");
    unsigned char buf[INLINE_MAX + 1];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    if (!f || (long long)n != size) {
        json_decref(att);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "the attachment file is missing");
    }
    char *b64 = malloc(4 * ((n + 2) / 3) + 1);
    if (!b64) {
        json_decref(att);
        return rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    }
    EVP_EncodeBlock((unsigned char *)b64, buf, (int)n);
    json_object_set_new(att, "data", json_string(b64));
    free(b64);
    c->result = att;
    return 0;
}

const rpc_field ticket_attach_params[] = {
    { "id", F_ID, F_REQUIRED },
    { "message_id", F_ID },
    { "filename", F_STRING, F_REQUIRED, 1, 200 },
    { "content_type", F_STRING, 0, 1, 100 },
    { "data", F_STRING, 0, 0, 0 },
    { NULL },
};

const rpc_field ticket_attachment_get_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
