#include "secret.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static atomic_int scrypt_log2n = 15;

void secret_set_scrypt_cost(int log2n)
{
    if (log2n >= 10 && log2n <= 22)
        atomic_store(&scrypt_log2n, log2n);
}

static int scrypt(const char *pw, const unsigned char *salt, size_t saltlen,
                  int log2n, int r, int p, unsigned char *out, size_t outlen)
{
    uint64_t N = (uint64_t)1 << log2n;
    /* Memory is 128 * N * r bytes; allow a little over it. */
    uint64_t maxmem = 128 * N * (uint64_t)r * (uint64_t)p + (1u << 20) + 128 * N * (uint64_t)r;
    return EVP_PBE_scrypt(pw, strlen(pw), salt, saltlen, N, (uint64_t)r, (uint64_t)p,
                          maxmem, out, outlen) == 1 ? 0 : -1;
}

int password_hash(const char *pw, char *out, size_t n)
{
    unsigned char salt[16], dk[32];
    int log2n = atomic_load(&scrypt_log2n), r = 8, p = 1;
    if (RAND_bytes(salt, sizeof salt) != 1)
        return -1;
    if (scrypt(pw, salt, sizeof salt, log2n, r, p, dk, sizeof dk))
        return -1;
    char s64[32], d64[48];
    EVP_EncodeBlock((unsigned char *)s64, salt, sizeof salt);
    EVP_EncodeBlock((unsigned char *)d64, dk, sizeof dk);
    int k = snprintf(out, n, "scrypt$%d$%d$%d$%s$%s", log2n, r, p, s64, d64);
    return k > 0 && (size_t)k < n ? 0 : -1;
}

/* Decode standard base64 with padding; returns bytes or -1. */
static int b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outcap)
{
    if (inlen == 0 || inlen % 4 || inlen / 4 * 3 > outcap + 2)
        return -1;
    unsigned char tmp[128];
    if (inlen / 4 * 3 > sizeof tmp)
        return -1;
    int n = EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)inlen);
    if (n < 0)
        return -1;
    if (inlen >= 1 && in[inlen - 1] == '=')
        n--;
    if (inlen >= 2 && in[inlen - 2] == '=')
        n--;
    if ((size_t)n > outcap)
        return -1;
    memcpy(out, tmp, (size_t)n);
    return n;
}

bool password_verify(const char *pw, const char *stored)
{
    int log2n, r, p, off = 0;
    if (!pw || !stored || sscanf(stored, "scrypt$%d$%d$%d$%n", &log2n, &r, &p, &off) != 3 || off == 0)
        return false;
    if (log2n < 10 || log2n > 22 || r < 1 || r > 32 || p < 1 || p > 16)
        return false;
    const char *salt64 = stored + off;
    const char *dollar = strchr(salt64, '$');
    if (!dollar)
        return false;
    unsigned char salt[64], want[64], got[64];
    int saltlen = b64_decode(salt64, (size_t)(dollar - salt64), salt, sizeof salt);
    int wantlen = b64_decode(dollar + 1, strlen(dollar + 1), want, sizeof want);
    if (saltlen <= 0 || wantlen < 16)
        return false;
    if (scrypt(pw, salt, (size_t)saltlen, log2n, r, p, got, (size_t)wantlen))
        return false;
    return CRYPTO_memcmp(got, want, (size_t)wantlen) == 0;
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[2 * n] = '\0';
}

void token_hash(const char *token, char *hash)
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_Digest(token, strlen(token), md, &len, EVP_sha256(), NULL);
    to_hex(md, sizeof md, hash);
}

int token_new(char *token, char *hash)
{
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1)
        return -1;
    to_hex(raw, sizeof raw, token);
    token_hash(token, hash);
    OPENSSL_cleanse(raw, sizeof raw);
    return 0;
}

bool token_matches(const char *token, const char *stored_hash)
{
    char h[65];
    if (!token || !stored_hash || strlen(stored_hash) != 64)
        return false;
    token_hash(token, h);
    return CRYPTO_memcmp(h, stored_hash, 64) == 0;
}

bool token_well_formed(const char *token)
{
    if (!token || strlen(token) != TOKEN_HEX_LEN)
        return false;
    for (const char *p = token; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}
