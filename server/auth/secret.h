/*
 * secret: password hashing and session tokens (OpenSSL).
 *
 * Passwords are hashed with scrypt; the text stored is
 *   scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>
 * so the parameters travel with the hash and can be raised later without
 * breaking old hashes. Tokens are 32 random bytes shown as 64 hex digits;
 * only their SHA-256 is stored, and comparisons use CRYPTO_memcmp.
 */
#ifndef DIDTRON_SECRET_H
#define DIDTRON_SECRET_H

#include <stdbool.h>
#include <stddef.h>

#define PASSWORD_HASH_MAX 160
#define TOKEN_HEX_LEN 64

/* Cost of new hashes: log2(N). Defaults to 15 (32 MiB, tens of ms). */
void secret_set_scrypt_cost(int log2n);

/* Hash pw into out (>= PASSWORD_HASH_MAX). Returns 0, or -1 on failure. */
int password_hash(const char *pw, char *out, size_t n);
/* Does pw match stored? False for malformed stored text. Constant time in
 * the comparison; the cost is that of the stored parameters. */
bool password_verify(const char *pw, const char *stored);

/* New token: 64 hex digits into token (>= 65), its SHA-256 hex into hash
 * (>= 65). Returns 0, or -1 when the random generator fails. */
int token_new(char *token, char *hash);
/* SHA-256 hex of a token text into hash (>= 65). */
void token_hash(const char *token, char *hash);
/* Does token hash to stored_hash? Constant time. */
bool token_matches(const char *token, const char *stored_hash);
/* Is it 64 lower-case hex digits? */
bool token_well_formed(const char *token);

#endif
