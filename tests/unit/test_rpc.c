/* The plumbing handlers rely on: the validator, list cursors, RFC 3339
 * times, and the method registry's own consistency. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "timeutil.h"
#include "rpc/list.h"
#include "rpc/registry.h"
#include "rpc/rpc.h"
#include "suite.h"

static const char *const kinds[] = { "customer", "supplier", NULL };

static const rpc_field fields[] = {
    { "name", F_STRING, F_REQUIRED, 1, 10, NULL },
    { "type", F_ENUM, F_REQUIRED, 0, 0, kinds },
    { "credit_limit", F_MONEY, F_NONNEGATIVE, 0, 0, NULL },
    { "adjust", F_MONEY, 0, 0, 0, NULL },
    { "capacity", F_INT, F_NULLABLE, 0, 1000, NULL },
    { "carrier_id", F_ID, 0, 0, 0, NULL },
    { "at", F_TIME, 0, 0, 0, NULL },
    { "ips", F_ARRAY, 0, 0, 2, NULL },
    { "on", F_BOOL, 0, 0, 0, NULL },
    { NULL },
};

/* Validate a JSON text; return the fields that were refused as "a,b,c". */
static char *refused(const char *json)
{
    rpc_call c = { 0 };
    json_t *p = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(p);
    int rc = rpc_validate(&c, p, fields);
    static char out[256];
    out[0] = '\0';
    json_t *list = json_object_get(c.err_data, "fields");
    size_t i;
    json_t *f;
    json_array_foreach(list, i, f) {
        if (out[0])
            strcat(out, ",");
        strcat(out, json_string_value(json_object_get(f, "field")));
    }
    ck_assert_int_eq(rc == 0, out[0] == '\0');
    if (rc)
        ck_assert_int_eq(c.err_code, -32602);
    json_decref(p);
    json_decref(c.err_data);
    return out;
}

START_TEST(test_valid_params_pass)
{
    ck_assert_str_eq(refused("{\"name\":\"Acme\",\"type\":\"customer\",\"credit_limit\":\"10.50\","
                             "\"adjust\":\"-3\",\"capacity\":null,\"carrier_id\":4,"
                             "\"at\":\"2026-01-31T12:00:00Z\",\"ips\":[1,2],\"on\":false}"), "");
}
END_TEST

START_TEST(test_each_bad_field_is_named)
{
    ck_assert_str_eq(refused("{}"), "name,type");
    ck_assert_str_eq(refused("{\"name\":\"\",\"type\":\"x\"}"), "name,type");
    ck_assert_str_eq(refused("{\"name\":\"abcdefghijk\",\"type\":\"customer\"}"), "name");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"credit_limit\":\"-1\"}"), "credit_limit");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"credit_limit\":10}"), "credit_limit");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"credit_limit\":\"0.0000001\"}"), "credit_limit");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"capacity\":1001}"), "capacity");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"capacity\":\"5\"}"), "capacity");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"carrier_id\":0}"), "carrier_id");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"at\":\"2026-02-30T00:00:00Z\"}"), "at");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"ips\":[1,2,3]}"), "ips");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"on\":1}"), "on");
    ck_assert_str_eq(refused("{\"name\":\"a\",\"type\":\"customer\",\"surprise\":1}"), "surprise");
    ck_assert_str_eq(refused("{\"name\":null,\"type\":\"customer\"}"), "name");
}
END_TEST

START_TEST(test_string_length_counts_characters_not_bytes)
{
    /* ten two-byte characters */
    ck_assert_str_eq(refused("{\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\","
                             "\"type\":\"customer\"}"), "");
}
END_TEST

static const char *const codecs[] = { "PCMA", "PCMU", "G729", NULL };
static const rpc_field media_fields[] = {
    { "codecs", F_ARRAY, 0, 0, 8, codecs, NULL, F_ENUM },
    { "ptime", F_INT, 0, 10, 60 },
    { NULL },
};
static const rpc_field nested_fields[] = {
    { "ips", F_ARRAY, F_REQUIRED, 0, 4, NULL, NULL, F_IP },
    { "media", F_OBJECT, 0, 0, 0, NULL, media_fields },
    { "tz", F_TIMEZONE },
    { "currency", F_CURRENCY },
    { "email", F_EMAIL },
    { NULL },
};

static char *refused_nested(const char *json)
{
    rpc_call c = { 0 };
    json_t *p = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(p);
    rpc_validate(&c, p, nested_fields);
    static char out[256];
    out[0] = '\0';
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(c.err_data, "fields"), i, f) {
        if (out[0])
            strcat(out, ",");
        strcat(out, json_string_value(json_object_get(f, "field")));
    }
    json_decref(p);
    json_decref(c.err_data);
    return out;
}

START_TEST(test_nested_objects_and_typed_arrays_name_the_path)
{
    ck_assert_str_eq(refused_nested("{\"ips\":[\"192.0.2.1\",\"10.0.0.0/8\"],\"media\":{\"codecs\":[\"PCMA\"],"
                                    "\"ptime\":20},\"tz\":\"Europe/London\",\"currency\":\"EUR\","
                                    "\"email\":\"noc@example.com\"}"), "");
    ck_assert_str_eq(refused_nested("{\"ips\":[\"192.0.2.1\",\"999.0.0.1\",\"10.0.0.1/8\"]}"), "ips[1],ips[2]");
    ck_assert_str_eq(refused_nested("{\"ips\":[],\"media\":{\"codecs\":[\"PCMA\",\"OPUS9\"],\"ptime\":5,"
                                    "\"vad\":true}}"), "media.codecs[1],media.ptime,media.vad");
    ck_assert_str_eq(refused_nested("{\"ips\":[],\"tz\":\"Mars/Olympus\",\"currency\":\"usd\",\"email\":\"x\"}"),
                     "tz,currency,email");
    ck_assert_str_eq(refused_nested("{\"ips\":[],\"tz\":\"../../etc/passwd\"}"), "tz");
    ck_assert_str_eq(refused_nested("{\"ips\":[1,2,3,4,5]}"), "ips");
}
END_TEST

START_TEST(test_cursor_round_trip_and_tampering)
{
    char *cur = list_cursor_encode("-created_at", "2026-11-23 11:00:00+00", "42");
    ck_assert_ptr_nonnull(cur);
    ck_assert_ptr_null(strpbrk(cur, "+/="));
    char sort[64], value[128], id[32];
    ck_assert_int_eq(list_cursor_decode(cur, sort, sizeof sort, value, sizeof value, id, sizeof id), 0);
    ck_assert_str_eq(sort, "-created_at");
    ck_assert_str_eq(value, "2026-11-23 11:00:00+00");
    ck_assert_str_eq(id, "42");
    free(cur);
    ck_assert_int_eq(list_cursor_decode("not a cursor", sort, sizeof sort, value, sizeof value, id, sizeof id), -1);
    ck_assert_int_eq(list_cursor_decode("", sort, sizeof sort, value, sizeof value, id, sizeof id), -1);
    ck_assert_int_eq(list_cursor_decode("WzEsMiwzXQ", sort, sizeof sort, value, sizeof value, id, sizeof id), -1); /* [1,2,3] */
}
END_TEST

START_TEST(test_rfc3339_times)
{
    int64_t t;
    ck_assert(time_parse_rfc3339("1970-01-01T00:00:00Z", &t) && t == 0);
    ck_assert(time_parse_rfc3339("2026-11-23T11:48:14.5Z", &t) && t == 1795434494500000LL);
    ck_assert(time_parse_rfc3339("2026-11-23T12:48:14.5+01:00", &t) && t == 1795434494500000LL);
    ck_assert(time_parse_rfc3339("2024-02-29T00:00:00Z", &t));
    ck_assert(!time_parse_rfc3339("2023-02-29T00:00:00Z", &t));
    ck_assert(!time_parse_rfc3339("2026-11-23 11:48:14Z", &t));
    ck_assert(!time_parse_rfc3339("2026-11-23T11:48:14", &t));
    ck_assert(!time_parse_rfc3339("2026-11-23T24:00:00Z", &t));
    ck_assert(!time_parse_rfc3339("2026-11-23T11:48:14.1234567Z", &t));
    ck_assert(!time_parse_rfc3339("2026-11-23T11:48:14Zjunk", &t));
    char b[40];
    ck_assert_str_eq(time_format_rfc3339(1795434494500000LL, b, sizeof b), "2026-11-23T11:48:14.500000Z");
    ck_assert_str_eq(time_format_rfc3339(0, b, sizeof b), "1970-01-01T00:00:00Z");
}
END_TEST

START_TEST(test_registry_is_consistent)
{
    ck_assert_int_eq(registry_init(), 0);
    ck_assert_int_gt(registry_count(), 10);
    for (int i = 0; i < registry_count(); i++) {
        const rpc_method *m = registry_at(i);
        ck_assert(m->handler != NULL);
        ck_assert_ptr_eq(registry_find(m->name), m);
        ck_assert_int_eq(registry_index(m), i);
        /* A mutating method needs the database and a logged-in actor. */
        if (m->flags & RPC_MUTATES) {
            ck_assert_msg(!(m->flags & RPC_INLINE), "%s mutates inline", m->name);
            ck_assert_msg(m->roles != 0, "%s mutates without a role", m->name);
        }
        if (i)
            ck_assert(strcmp(registry_at(i - 1)->name, m->name) < 0);
    }
    ck_assert_ptr_null(registry_find("no.such.method"));
    ck_assert_ptr_nonnull(registry_find("system.info"));
}
END_TEST

START_TEST(test_authorize_by_role)
{
    ck_assert_int_eq(registry_init(), 0);
    rpc_session nobody = { 0 }, noc = { .user_id = 2, .role = ROLE_NOC }, admin = { .user_id = 1, .role = ROLE_ADMIN };
    const rpc_method *info = registry_find("system.info"), *create = registry_find("user.create");
    ck_assert_int_eq(registry_authorize(info, &nobody), 0);
    ck_assert_int_eq(registry_authorize(create, &nobody), -32001);
    ck_assert_int_eq(registry_authorize(create, &noc), -32003);
    ck_assert_int_eq(registry_authorize(create, &admin), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("rpc");
    TCase *tc = tcase_create("rpc");
    tcase_add_test(tc, test_valid_params_pass);
    tcase_add_test(tc, test_each_bad_field_is_named);
    tcase_add_test(tc, test_string_length_counts_characters_not_bytes);
    tcase_add_test(tc, test_nested_objects_and_typed_arrays_name_the_path);
    tcase_add_test(tc, test_cursor_round_trip_and_tampering);
    tcase_add_test(tc, test_rfc3339_times);
    tcase_add_test(tc, test_registry_is_consistent);
    tcase_add_test(tc, test_authorize_by_role);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
