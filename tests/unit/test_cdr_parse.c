/* CDRs from JSON: one object's fields, and whole bodies (array, NDJSON,
 * gzip, limits). */
#include <check.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "cdr_parse.h"
#include "suite.h"

#define SEC 1000000LL
#define T0 1795429800LL /* 2026-11-23T10:30:00Z */

static const char good_json[] =
    "{\"id\":\"sw1-000123\",\"ingress_interconnect_id\":5,\"tech_prefix\":\"101#\","
    "\"caller\":\"+442071234567\",\"callee\":\"+4477009001234\","
    "\"start_time\":\"2026-11-23T10:30:00Z\",\"answer_time\":\"2026-11-23T10:30:04.5Z\","
    "\"end_time\":\"2026-11-23T10:31:10Z\",\"egress_interconnect_id\":9,"
    "\"release_cause\":200,\"pdd_ms\":1800}";

static json_t *good(void)
{
    json_t *o = json_loads(good_json, 0, NULL);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* Expect cdr_from_json to refuse `o` naming `field`; consumes o. */
static void expect_bad(json_t *o, const char *field)
{
    cdr_record c;
    char f[64] = "", m[160] = "";
    ck_assert_msg(!cdr_from_json(o, &c, f, sizeof f, m, sizeof m), "accepted, expected %s refused", field);
    ck_assert_msg(strcmp(f, field) == 0, "named \"%s\" (%s), expected \"%s\"", f, m, field);
    ck_assert_msg(m[0] != '\0', "no message for %s", field);
    json_decref(o);
}

static json_t *with(const char *key, json_t *value)
{
    json_t *o = good();
    if (value)
        json_object_set_new(o, key, value);
    else
        json_object_del(o, key);
    return o;
}

START_TEST(test_good_object)
{
    json_t *o = good();
    cdr_record c;
    char f[64], m[160];
    ck_assert_msg(cdr_from_json(o, &c, f, sizeof f, m, sizeof m), "%s: %s", f, m);
    ck_assert_str_eq(c.id, "sw1-000123");
    ck_assert_int_eq(c.ingress_interconnect_id, 5);
    ck_assert_str_eq(c.ingress_ip, "");
    ck_assert_str_eq(c.tech_prefix, "101#");
    ck_assert_str_eq(c.caller, "+442071234567");
    ck_assert_str_eq(c.callee, "4477009001234");
    ck_assert_int_eq(c.start_time, T0 * SEC);
    ck_assert(c.answered);
    ck_assert_int_eq(c.answer_time, (T0 + 4) * SEC + 500000);
    ck_assert_int_eq(c.end_time, (T0 + 70) * SEC);
    ck_assert_int_eq(c.egress_interconnect_id, 9);
    ck_assert_int_eq(c.release_cause, 200);
    ck_assert_int_eq(c.pdd_ms, 1800);
    json_decref(o);
}
END_TEST

START_TEST(test_optional_fields_may_be_absent_or_null)
{
    json_t *o = good();
    json_object_set_new(o, "answer_time", json_null());
    json_object_del(o, "egress_interconnect_id");
    json_object_del(o, "pdd_ms");
    json_object_del(o, "tech_prefix");
    json_object_set_new(o, "release_cause", json_integer(487));
    json_object_set_new(o, "unknown_extra", json_string("ignored"));
    cdr_record c;
    char f[64], m[160];
    ck_assert_msg(cdr_from_json(o, &c, f, sizeof f, m, sizeof m), "%s: %s", f, m);
    ck_assert(!c.answered);
    ck_assert_int_eq(c.egress_interconnect_id, 0);
    ck_assert_int_eq(c.pdd_ms, -1);
    ck_assert_str_eq(c.tech_prefix, "");
    json_decref(o);
}
END_TEST

START_TEST(test_each_missing_required_field_is_named)
{
    static const char *const required[] = { "id", "caller", "callee", "start_time", "end_time", "release_cause" };
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        expect_bad(with(required[i], NULL), required[i]);
    expect_bad(with("id", json_null()), "id");
}
END_TEST

START_TEST(test_each_bad_field_is_named)
{
    char long_id[CDR_ID_MAX + 2];
    memset(long_id, 'a', sizeof long_id - 1);
    long_id[sizeof long_id - 1] = '\0';
    expect_bad(with("id", json_string("")), "id");
    expect_bad(with("id", json_string(long_id)), "id");
    expect_bad(with("id", json_string("tab\there")), "id");
    expect_bad(with("id", json_integer(5)), "id");
    expect_bad(with("ingress_interconnect_id", json_integer(0)), "ingress_interconnect_id");
    expect_bad(with("ingress_interconnect_id", json_integer(-3)), "ingress_interconnect_id");
    expect_bad(with("ingress_interconnect_id", json_real(5.0)), "ingress_interconnect_id");
    expect_bad(with("ingress_interconnect_id", json_string("5")), "ingress_interconnect_id");
    expect_bad(with("tech_prefix", json_string("10a")), "tech_prefix");
    expect_bad(with("tech_prefix", json_string("12345678901234567")), "tech_prefix");
    expect_bad(with("caller", json_integer(44)), "caller");
    expect_bad(with("caller", json_string("bad\ncaller")), "caller");
    expect_bad(with("callee", json_string("44 77")), "callee");
    expect_bad(with("callee", json_string("")), "callee");
    expect_bad(with("callee", json_string("1234567890123456789012345")), "callee");
    expect_bad(with("callee", json_integer(4477)), "callee");
    expect_bad(with("start_time", json_string("2026-11-23 10:30:00")), "start_time");
    expect_bad(with("start_time", json_integer(1795429800)), "start_time");
    expect_bad(with("answer_time", json_string("soon")), "answer_time");
    expect_bad(with("end_time", json_string("2026-02-30T00:00:00Z")), "end_time");
    expect_bad(with("egress_interconnect_id", json_integer(0)), "egress_interconnect_id");
    expect_bad(with("release_cause", json_integer(0)), "release_cause");
    expect_bad(with("release_cause", json_integer(700)), "release_cause");
    expect_bad(with("release_cause", json_string("486")), "release_cause");
    expect_bad(with("pdd_ms", json_integer(-1)), "pdd_ms");
    expect_bad(with("pdd_ms", json_integer(3000000000LL)), "pdd_ms");
    json_t *arr = json_array();
    cdr_record c;
    char f[64] = "x", m[160];
    ck_assert(!cdr_from_json(arr, &c, f, sizeof f, m, sizeof m));
    ck_assert_str_eq(f, "");
    json_decref(arr);
}
END_TEST

START_TEST(test_id_and_cause_limits)
{
    cdr_record c;
    char f[64], m[160];
    static const int causes[] = { 1, 127, 100, 699 };
    for (size_t i = 0; i < 4; i++) {
        json_t *o = with("release_cause", json_integer(causes[i]));
        ck_assert_msg(cdr_from_json(o, &c, f, sizeof f, m, sizeof m), "cause %d: %s", causes[i], m);
        ck_assert_int_eq(c.release_cause, causes[i]);
        json_decref(o);
    }
    json_t *o = with("ingress_interconnect_id", json_integer(INT64_MAX));
    ck_assert(cdr_from_json(o, &c, f, sizeof f, m, sizeof m));
    ck_assert_int_eq(c.ingress_interconnect_id, INT64_MAX);
    json_decref(o);
    char id[CDR_ID_MAX + 1];
    memset(id, '~', CDR_ID_MAX);
    id[CDR_ID_MAX] = '\0';
    o = with("id", json_string(id));
    ck_assert(cdr_from_json(o, &c, f, sizeof f, m, sizeof m));
    ck_assert_str_eq(c.id, id);
    json_decref(o);
}
END_TEST

START_TEST(test_times_must_be_in_order)
{
    /* answer before start */
    expect_bad(with("answer_time", json_string("2026-11-23T10:29:59Z")), "answer_time");
    /* end before answer */
    expect_bad(with("end_time", json_string("2026-11-23T10:30:04Z")), "end_time");
    /* end before start on an unanswered call */
    json_t *o = with("answer_time", json_null());
    json_object_set_new(o, "end_time", json_string("2026-11-23T10:29:00Z"));
    expect_bad(o, "end_time");
    /* all three equal is fine */
    o = with("answer_time", json_string("2026-11-23T10:30:00Z"));
    json_object_set_new(o, "end_time", json_string("2026-11-23T10:30:00Z"));
    cdr_record c;
    char f[64], m[160];
    ck_assert(cdr_from_json(o, &c, f, sizeof f, m, sizeof m));
    json_decref(o);
}
END_TEST

START_TEST(test_exactly_one_ingress_form)
{
    /* both */
    expect_bad(with("ingress_ip", json_string("192.0.2.10")), "ingress_ip");
    /* neither */
    expect_bad(with("ingress_interconnect_id", NULL), "ingress_interconnect_id");
    json_t *o = with("ingress_interconnect_id", json_null());
    expect_bad(o, "ingress_interconnect_id");
    /* the address alone, v4 and v6 */
    static const char *const ok[] = { "192.0.2.10", "2001:db8::1" };
    for (int i = 0; i < 2; i++) {
        o = with("ingress_interconnect_id", NULL);
        json_object_set_new(o, "ingress_ip", json_string(ok[i]));
        cdr_record c;
        char f[64], m[160];
        ck_assert_msg(cdr_from_json(o, &c, f, sizeof f, m, sizeof m), "%s: %s", ok[i], m);
        ck_assert_str_eq(c.ingress_ip, ok[i]);
        ck_assert_int_eq(c.ingress_interconnect_id, 0);
        json_decref(o);
    }
    static const char *const bad[] = { "300.1.1.1", "10.0.0.0/8", "host.example", "" };
    for (int i = 0; i < 4; i++) {
        o = with("ingress_interconnect_id", NULL);
        json_object_set_new(o, "ingress_ip", json_string(bad[i]));
        expect_bad(o, "ingress_ip");
    }
}
END_TEST

/* ---- batches ---- */

typedef struct {
    size_t calls, oks;
    size_t index[16];
    bool ok[16];
    char field[16][32];
    char id[16][CDR_ID_MAX + 1];
    size_t stop_after;
} seen;

static int each(void *ud, size_t index, bool ok, const cdr_record *c, const char *field, const char *msg)
{
    seen *s = ud;
    ck_assert(ok ? c != NULL && field == NULL : c == NULL && field != NULL && msg != NULL);
    if (s->calls < 16) {
        s->index[s->calls] = index;
        s->ok[s->calls] = ok;
        snprintf(s->field[s->calls], sizeof s->field[0], "%s", ok ? "" : field);
        snprintf(s->id[s->calls], sizeof s->id[0], "%s", ok ? c->id : "");
    }
    s->calls++;
    s->oks += ok;
    return s->stop_after && s->calls == s->stop_after;
}

static int batch(const char *body, size_t n, bool gz, seen *s, char *msg)
{
    memset(s, 0, sizeof *s);
    return cdr_parse_batch(body, n, gz, each, s, msg, 200);
}

#define CDR(id) "{\"id\":\"" id "\",\"ingress_ip\":\"192.0.2.1\",\"caller\":\"1\",\"callee\":\"4420\"," \
                "\"start_time\":\"2026-11-23T10:30:00Z\",\"end_time\":\"2026-11-23T10:30:00Z\",\"release_cause\":487}"

START_TEST(test_ndjson_with_blank_lines)
{
    const char *body = "\n" CDR("a") "\n\n   \n" CDR("b") "\r\n{\"id\":\"c\"}\n" CDR("d");
    seen s;
    char msg[200];
    ck_assert_int_eq(batch(body, strlen(body), false, &s, msg), 0);
    ck_assert_uint_eq(s.calls, 4);
    ck_assert_uint_eq(s.oks, 3);
    ck_assert_str_eq(s.id[0], "a");
    ck_assert_uint_eq(s.index[1], 1);
    ck_assert_str_eq(s.id[1], "b");
    ck_assert_uint_eq(s.index[2], 2);
    ck_assert(!s.ok[2]);
    ck_assert_str_eq(s.field[2], "ingress_interconnect_id");
    ck_assert_uint_eq(s.index[3], 3);
    ck_assert_str_eq(s.id[3], "d");
}
END_TEST

START_TEST(test_ndjson_line_that_is_not_json_is_its_own_error)
{
    const char *body = CDR("a") "\n{\"id\": broken\n" CDR("c") "\n";
    seen s;
    char msg[200];
    ck_assert_int_eq(batch(body, strlen(body), false, &s, msg), 0);
    ck_assert_uint_eq(s.calls, 3);
    ck_assert(s.ok[0] && !s.ok[1] && s.ok[2]);
    ck_assert_uint_eq(s.index[1], 1);
}
END_TEST

START_TEST(test_array_body)
{
    const char *body = "  [" CDR("a") ", 42, " CDR("c") "]";
    seen s;
    char msg[200];
    ck_assert_int_eq(batch(body, strlen(body), false, &s, msg), 0);
    ck_assert_uint_eq(s.calls, 3);
    ck_assert(s.ok[0] && !s.ok[1] && s.ok[2]);
    ck_assert_uint_eq(s.index[2], 2);
    ck_assert_str_eq(s.id[2], "c");
    ck_assert_int_eq(batch("[]", 2, false, &s, msg), 0);
    ck_assert_uint_eq(s.calls, 0);
}
END_TEST

START_TEST(test_callback_stops_the_walk)
{
    const char *body = "[" CDR("a") "," CDR("b") "," CDR("c") "]";
    seen s;
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    char msg[200];
    ck_assert_int_eq(cdr_parse_batch(body, strlen(body), false, each, &s, msg, sizeof msg), 0);
    ck_assert_uint_eq(s.calls, 2);
}
END_TEST

/* gzip-compress (one member) with zlib. */
static unsigned char *gzip_bytes(const char *in, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n) + 32;
    unsigned char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = out;
    zs.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

START_TEST(test_gzip_body)
{
    const char *body = "[" CDR("a") "," CDR("b") "]";
    size_t zn;
    unsigned char *z = gzip_bytes(body, strlen(body), &zn);
    seen s;
    char msg[200];
    ck_assert_int_eq(batch((const char *)z, zn, true, &s, msg), 0);
    ck_assert_uint_eq(s.oks, 2);
    ck_assert_str_eq(s.id[1], "b");

    /* two members, as `cat a.gz b.gz` makes: NDJSON split across them */
    const char *part1 = CDR("x") "\n", *part2 = CDR("y") "\n";
    size_t n1, n2;
    unsigned char *z1 = gzip_bytes(part1, strlen(part1), &n1), *z2 = gzip_bytes(part2, strlen(part2), &n2);
    unsigned char *both = malloc(n1 + n2);
    memcpy(both, z1, n1);
    memcpy(both + n1, z2, n2);
    ck_assert_int_eq(batch((const char *)both, n1 + n2, true, &s, msg), 0);
    ck_assert_uint_eq(s.oks, 2);
    ck_assert_str_eq(s.id[1], "y");

    /* truncated, corrupted, or not gzip at all */
    ck_assert_int_eq(batch((const char *)z, zn - 9, true, &s, msg), -1);
    ck_assert_msg(strncmp(msg, "gzip:", 5) == 0, "%s", msg);
    z[zn / 2] ^= 0xFF;
    ck_assert_int_eq(batch((const char *)z, zn, true, &s, msg), -1);
    ck_assert_msg(strncmp(msg, "gzip:", 5) == 0, "%s", msg);
    ck_assert_int_eq(batch(body, strlen(body), true, &s, msg), -1);
    ck_assert_int_eq(batch("", 0, true, &s, msg), -1);
    ck_assert_uint_eq(s.calls, 0);
    free(z);
    free(z1);
    free(z2);
    free(both);
}
END_TEST

START_TEST(test_gzip_bomb_is_refused)
{
    /* One member of 1 MiB of spaces (about 1 kB compressed), repeated
     * CDR_INFLATED_MAX / 1 MiB + 1 times: a small body that inflates past
     * the cap. */
    size_t mib = 1u << 20, copies = CDR_INFLATED_MAX / mib + 1;
    char *spaces = malloc(mib);
    memset(spaces, ' ', mib);
    size_t zn;
    unsigned char *z = gzip_bytes(spaces, mib, &zn);
    free(spaces);
    unsigned char *body = malloc(zn * copies);
    for (size_t i = 0; i < copies; i++)
        memcpy(body + i * zn, z, zn);
    seen s;
    char msg[200];
    ck_assert_int_eq(batch((const char *)body, zn * copies, true, &s, msg), -1);
    ck_assert_msg(strstr(msg, "inflates to more than"), "%s", msg);
    /* one copy fewer is within the cap: an empty body, not a bomb */
    ck_assert_int_eq(batch((const char *)body, zn * (copies - 1), true, &s, msg), -1);
    ck_assert_str_eq(msg, "empty body");
    free(z);
    free(body);
}
END_TEST

START_TEST(test_over_limit_batch_is_refused_before_any_callback)
{
    size_t count = CDR_BATCH_MAX + 1, n = 0;
    char *body = malloc(count * 3 + 3);
    body[n++] = '[';
    for (size_t i = 0; i < count; i++) {
        memcpy(body + n, i ? ",{}" : "{}", i ? 3 : 2);
        n += i ? 3 : 2;
    }
    body[n++] = ']';
    seen s;
    char msg[200];
    ck_assert_int_eq(batch(body, n, false, &s, msg), -1);
    ck_assert_msg(strstr(msg, "more than 100000"), "%s", msg);
    ck_assert_uint_eq(s.calls, 0);

    n = 0;
    for (size_t i = 0; i < count; i++) {
        memcpy(body + n, "{}\n", 3);
        n += 3;
    }
    ck_assert_int_eq(batch(body, n, false, &s, msg), -1);
    ck_assert_uint_eq(s.calls, 0);
    /* exactly the limit is walked */
    ck_assert_int_eq(batch(body, n - 3, false, &s, msg), 0);
    ck_assert_uint_eq(s.calls, CDR_BATCH_MAX);
    free(body);
}
END_TEST

START_TEST(test_non_json_body_is_refused)
{
    static const char *const bad[] = { "hello", "[1, 2", "", "   \n\t ", "\"a string\"", "42", "[] []",
                                       "[{\"id\":1,\"id\":2}]" /* duplicate key */ };
    seen s;
    char msg[200];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg[0] = '\0';
        ck_assert_msg(batch(bad[i], strlen(bad[i]), false, &s, msg) == -1, "accepted \"%s\"", bad[i]);
        ck_assert_msg(msg[0] != '\0', "no message for \"%s\"", bad[i]);
        ck_assert_uint_eq(s.calls, 0);
    }
    const char nul[] = "[\0]";
    ck_assert_int_eq(batch(nul, 3, false, &s, msg), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cdr_parse");
    TCase *tc = tcase_create("cdr_parse");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_good_object);
    tcase_add_test(tc, test_optional_fields_may_be_absent_or_null);
    tcase_add_test(tc, test_each_missing_required_field_is_named);
    tcase_add_test(tc, test_each_bad_field_is_named);
    tcase_add_test(tc, test_id_and_cause_limits);
    tcase_add_test(tc, test_times_must_be_in_order);
    tcase_add_test(tc, test_exactly_one_ingress_form);
    tcase_add_test(tc, test_ndjson_with_blank_lines);
    tcase_add_test(tc, test_ndjson_line_that_is_not_json_is_its_own_error);
    tcase_add_test(tc, test_array_body);
    tcase_add_test(tc, test_callback_stops_the_walk);
    tcase_add_test(tc, test_gzip_body);
    tcase_add_test(tc, test_gzip_bomb_is_refused);
    tcase_add_test(tc, test_over_limit_batch_is_refused_before_any_callback);
    tcase_add_test(tc, test_non_json_body_is_refused);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
