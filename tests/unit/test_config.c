/* Configuration precedence: defaults < file < environment < flags. */
#include <check.h>
#include <string.h>

#include "config.h"
#include "suite.h"

START_TEST(test_defaults)
{
    dt_config c;
    config_defaults(&c);
    ck_assert_str_eq(c.listen, "127.0.0.1:7480");
    ck_assert_int_eq(c.max_message_bytes, 1024 * 1024);
    ck_assert(!c.demo);
}
END_TEST

START_TEST(test_file_then_env_then_flag)
{
    dt_config c;
    char err[256];
    config_defaults(&c);
    json_t *file = json_pack("{s:s, s:i, s:i, s:b}", "listen", "127.0.0.1:9000", "workers", 3,
                             "max_json_depth", 10, "demo", 1);
    ck_assert_int_eq(config_apply_json(&c, file, err, sizeof err), 0);
    json_decref(file);
    ck_assert_str_eq(c.listen, "127.0.0.1:9000");
    ck_assert_int_eq(c.workers, 3);

    char *env[] = { "DIDTRON_WORKERS=5", "DIDTRON_LISTEN=127.0.0.1:9100", "PATH=/bin",
                    "DIDTRON_PASSWORD=not-a-setting", NULL };
    ck_assert_int_eq(config_apply_env(&c, env, err, sizeof err), 0);
    ck_assert_int_eq(c.workers, 5);
    ck_assert_str_eq(c.listen, "127.0.0.1:9100");
    ck_assert_int_eq(c.max_json_depth, 10); /* the file's value stays where env is silent */

    char name[64];
    bool is_bool;
    ck_assert_ptr_nonnull(config_flag_name("--workers", name, sizeof name, &is_bool));
    ck_assert(!is_bool);
    ck_assert_int_eq(config_set(&c, name, "7", err, sizeof err), 0);
    ck_assert_int_eq(c.workers, 7);
    ck_assert_ptr_nonnull(config_flag_name("--max-json-depth", name, sizeof name, &is_bool));
    ck_assert_str_eq(name, "max_json_depth");
    ck_assert_ptr_nonnull(config_flag_name("--demo", name, sizeof name, &is_bool));
    ck_assert(is_bool);
    ck_assert(c.demo);
}
END_TEST

START_TEST(test_bad_values_name_the_setting)
{
    dt_config c;
    char err[256];
    config_defaults(&c);
    ck_assert_int_eq(config_set(&c, "workers", "0", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "workers"));
    ck_assert_int_eq(config_set(&c, "workers", "4x", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "demo", "maybe", err, sizeof err), -1);
    ck_assert_int_eq(config_set(&c, "nope", "1", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "nope"));
    json_t *file = json_pack("{s:s}", "workers", "4");
    ck_assert_int_eq(config_apply_json(&c, file, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "workers"));
    json_decref(file);
    file = json_pack("{s:i}", "unknown_key", 1);
    ck_assert_int_eq(config_apply_json(&c, file, err, sizeof err), -1);
    json_decref(file);
    char *env[] = { "DIDTRON_MAX_MESSAGE_BYTES=12", NULL };
    ck_assert_int_eq(config_apply_env(&c, env, err, sizeof err), -1);
    ck_assert_int_eq(c.workers, 4); /* nothing changed by the failures */
    ck_assert_ptr_null(config_flag_name("--no-such-flag", err, sizeof err, NULL));
}
END_TEST

START_TEST(test_max_upload_bytes_defaults_to_one_gib_and_is_settable)
{
    dt_config c;
    char err[256];
    config_defaults(&c);
    ck_assert_int_eq(c.max_upload_bytes, 1024 * 1024 * 1024);
    char *env[] = { "DIDTRON_MAX_UPLOAD_BYTES=4096", NULL };
    ck_assert_int_eq(config_apply_env(&c, env, err, sizeof err), 0);
    ck_assert_int_eq(c.max_upload_bytes, 4096);
    ck_assert_int_eq(config_set(&c, "max_upload_bytes", "0", err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "max_upload_bytes"));
    ck_assert_int_eq(c.max_upload_bytes, 4096);
}
END_TEST

START_TEST(test_listen_split)
{
    char host[64];
    int port;
    ck_assert_int_eq(config_listen_split("127.0.0.1:7480", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "127.0.0.1");
    ck_assert_int_eq(port, 7480);
    ck_assert_int_eq(config_listen_split("[::1]:80", host, sizeof host, &port), 0);
    ck_assert_str_eq(host, "::1");
    ck_assert_int_eq(port, 80);
    ck_assert_int_eq(config_listen_split("localhost", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_listen_split("h:0", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_listen_split("h:70000", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_listen_split(":80", host, sizeof host, &port), -1);
    ck_assert_int_eq(config_listen_split("[::1]80", host, sizeof host, &port), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("config");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_file_then_env_then_flag);
    tcase_add_test(tc, test_bad_values_name_the_setting);
    tcase_add_test(tc, test_max_upload_bytes_defaults_to_one_gib_and_is_settable);
    tcase_add_test(tc, test_listen_split);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
