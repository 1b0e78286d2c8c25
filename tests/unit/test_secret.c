/* Password hashing (scrypt, parameters stored with the hash) and session
 * tokens (random, stored hashed, compared in constant time). */
#include <check.h>
#include <string.h>

#include "auth/secret.h"
#include "suite.h"

START_TEST(test_hash_verifies_only_the_right_password)
{
    char h[PASSWORD_HASH_MAX];
    ck_assert_int_eq(password_hash("correct horse", h, sizeof h), 0);
    ck_assert(strncmp(h, "scrypt$12$8$1$", 14) == 0);
    ck_assert(password_verify("correct horse", h));
    ck_assert(!password_verify("correct horsE", h));
    ck_assert(!password_verify("", h));
}
END_TEST

START_TEST(test_same_password_gets_different_salts)
{
    char a[PASSWORD_HASH_MAX], b[PASSWORD_HASH_MAX];
    ck_assert_int_eq(password_hash("pw", a, sizeof a), 0);
    ck_assert_int_eq(password_hash("pw", b, sizeof b), 0);
    ck_assert_str_ne(a, b);
    ck_assert(password_verify("pw", a) && password_verify("pw", b));
}
END_TEST

START_TEST(test_parameters_travel_with_the_hash)
{
    char h[PASSWORD_HASH_MAX];
    secret_set_scrypt_cost(13);
    ck_assert_int_eq(password_hash("pw", h, sizeof h), 0);
    secret_set_scrypt_cost(12);
    ck_assert(strncmp(h, "scrypt$13$", 10) == 0);
    ck_assert(password_verify("pw", h)); /* verified with its own cost */
}
END_TEST

START_TEST(test_malformed_stored_hashes_never_verify)
{
    static const char *const bad[] = {
        "", "plain", "scrypt$", "scrypt$12$8$1$", "scrypt$12$8$1$AAAA$", "scrypt$99$8$1$AAAA$AAAA",
        "scrypt$12$8$1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "pbkdf2$1$x$y",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!password_verify("", bad[i]), "verified against \"%s\"", bad[i]);
}
END_TEST

START_TEST(test_tokens_are_random_hex_and_stored_hashed)
{
    char t1[65], h1[65], t2[65], h2[65];
    ck_assert_int_eq(token_new(t1, h1), 0);
    ck_assert_int_eq(token_new(t2, h2), 0);
    ck_assert_int_eq(strlen(t1), 64);
    ck_assert(token_well_formed(t1));
    ck_assert_str_ne(t1, t2);
    ck_assert_str_ne(t1, h1);
    ck_assert(token_matches(t1, h1));
    ck_assert(!token_matches(t1, h2));
    ck_assert(!token_matches(t2, h1));
    char h[65];
    token_hash(t1, h);
    ck_assert_str_eq(h, h1);
}
END_TEST

START_TEST(test_token_compare_rejects_near_misses)
{
    char t[65], h[65];
    ck_assert_int_eq(token_new(t, h), 0);
    char other[65];
    memcpy(other, t, 65);
    other[63] = other[63] == 'a' ? 'b' : 'a';
    ck_assert(!token_matches(other, h));
    ck_assert(!token_matches(t, "short"));
    ck_assert(!token_matches(NULL, h));
    ck_assert(!token_well_formed("ABCDEF"));
    ck_assert(!token_well_formed(other + 1));
    char upper[65];
    memcpy(upper, t, 65);
    for (int i = 0; i < 64; i++)
        if (upper[i] >= 'a')
            upper[i] = (char)(upper[i] - 32);
    ck_assert(strcmp(upper, t) == 0 || !token_well_formed(upper));
}
END_TEST

START_TEST(test_sha256_of_known_text)
{
    char h[65];
    token_hash("abc", h);
    ck_assert_str_eq(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

int main(void)
{
    secret_set_scrypt_cost(12); /* keep unit tests quick; the cost is a parameter */
    Suite *s = suite_create("secret");
    TCase *tc = tcase_create("secret");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_hash_verifies_only_the_right_password);
    tcase_add_test(tc, test_same_password_gets_different_salts);
    tcase_add_test(tc, test_parameters_travel_with_the_hash);
    tcase_add_test(tc, test_malformed_stored_hashes_never_verify);
    tcase_add_test(tc, test_tokens_are_random_hex_and_stored_hashed);
    tcase_add_test(tc, test_token_compare_rejects_near_misses);
    tcase_add_test(tc, test_sha256_of_known_text);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
