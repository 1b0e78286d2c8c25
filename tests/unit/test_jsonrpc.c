/* The JSON-RPC envelope under limits: every malformed case gets the right
 * code, and the request id when it could be read. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "jsonrpc.h"
#include "strbuf.h"
#include "protocol.h"
#include "suite.h"

static const rpc_limits lim = { .max_bytes = 4096, .max_depth = 8, .max_string = 100 };

/* Parse s; return the code (0 ok) and keep the request in *req. */
static int parse(const char *s, rpc_request *req, rpc_parse_error *err)
{
    return rpc_request_parse(s, strlen(s), &lim, req, err);
}

static void expect_error(const char *s, int code)
{
    rpc_request req;
    rpc_parse_error err;
    int rc = parse(s, &req, &err);
    ck_assert_msg(rc == code, "%s: got %d, want %d", s, rc, code);
    ck_assert_int_eq(err.code, code);
    ck_assert(strlen(err.message) > 0);
    rpc_request_free(&req);
}

START_TEST(test_valid_request_with_params)
{
    rpc_request req;
    rpc_parse_error err;
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"carrier.get\",\"params\":{\"id\":12}}",
                           &req, &err), 0);
    ck_assert_str_eq(req.method, "carrier.get");
    ck_assert_int_eq(json_integer_value(req.id), 7);
    ck_assert(!req.notification);
    ck_assert_int_eq(json_integer_value(json_object_get(req.params, "id")), 12);
    rpc_request_free(&req);
}
END_TEST

START_TEST(test_missing_params_become_empty_object)
{
    rpc_request req;
    rpc_parse_error err;
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":\"a\",\"method\":\"system.info\"}", &req, &err), 0);
    ck_assert(json_is_object(req.params));
    ck_assert_int_eq(json_object_size(req.params), 0);
    ck_assert_str_eq(json_string_value(req.id), "a");
    rpc_request_free(&req);
}
END_TEST

START_TEST(test_request_without_id_is_a_notification)
{
    rpc_request req;
    rpc_parse_error err;
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"method\":\"x\"}", &req, &err), 0);
    ck_assert(req.notification);
    rpc_request_free(&req);
}
END_TEST

START_TEST(test_parse_errors)
{
    expect_error("", RPC_PARSE_ERROR);
    expect_error("{", RPC_PARSE_ERROR);
    expect_error("{\"jsonrpc\":\"2.0\",}", RPC_PARSE_ERROR);
    expect_error("nul", RPC_PARSE_ERROR);
    expect_error("{\"a\":\"\xff\xfe\"}", RPC_PARSE_ERROR);              /* invalid UTF-8 */
    expect_error("{\"jsonrpc\":\"2.0\",\"jsonrpc\":\"2.0\"}", RPC_PARSE_ERROR); /* duplicate key */
}
END_TEST

START_TEST(test_invalid_requests)
{
    expect_error("[]", RPC_INVALID_REQUEST);                 /* batch */
    expect_error("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\"}]", RPC_INVALID_REQUEST);
    expect_error("42", RPC_INVALID_REQUEST);
    expect_error("\"text\"", RPC_INVALID_REQUEST);
    expect_error("{\"id\":1,\"method\":\"a\"}", RPC_INVALID_REQUEST);                    /* no version */
    expect_error("{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"a\"}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":2.0,\"id\":1,\"method\":\"a\"}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1}", RPC_INVALID_REQUEST);                 /* no method */
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\"}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":5}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"a\"}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"a\"}", RPC_INVALID_REQUEST);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"extra\":1}", RPC_INVALID_REQUEST);
}
END_TEST

START_TEST(test_params_must_be_an_object)
{
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":[1,2]}", RPC_INVALID_PARAMS);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":\"x\"}", RPC_INVALID_PARAMS);
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":null}", RPC_INVALID_PARAMS);
}
END_TEST

START_TEST(test_error_keeps_the_id_when_readable)
{
    rpc_request req;
    rpc_parse_error err;
    ck_assert_int_eq(parse("{\"jsonrpc\":\"1.0\",\"id\":99,\"method\":\"a\"}", &req, &err), RPC_INVALID_REQUEST);
    ck_assert_int_eq(json_integer_value(req.id), 99);
    rpc_request_free(&req);
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"a\"}", &req, &err), RPC_INVALID_REQUEST);
    ck_assert(json_is_null(req.id));
    rpc_request_free(&req);
}
END_TEST

START_TEST(test_limits_size_depth_and_strings)
{
    char *big = malloc(5000);
    memset(big, ' ', 4999);
    big[0] = '{';
    big[4998] = '}';
    big[4999] = '\0';
    expect_error(big, RPC_INVALID_REQUEST);
    free(big);
    /* depth 9 > 8 */
    expect_error("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"a\":[[[[[[[1]]]]]]]}}",
                 RPC_INVALID_REQUEST);
    /* depth 8 is fine */
    rpc_request req;
    rpc_parse_error err;
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"a\":[[[[[[1]]]]]]}}",
                           &req, &err), 0);
    rpc_request_free(&req);
    /* brackets inside strings do not count */
    ck_assert_int_eq(parse("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"a\":\"[[[[[[[[[[[[\\\"\"}}",
                           &req, &err), 0);
    rpc_request_free(&req);
    char s[300];
    snprintf(s, sizeof s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"a\":\"%0101d\"}}", 0);
    expect_error(s, RPC_INVALID_REQUEST);
    snprintf(s, sizeof s, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"a\",\"params\":{\"%0101d\":1}}", 0);
    expect_error(s, RPC_INVALID_REQUEST);
}
END_TEST

START_TEST(test_depth_scan_stops_early)
{
    ck_assert_int_eq(json_text_depth("[[[]]]", 6, 10), 3);
    ck_assert_int_eq(json_text_depth("{\"a\":\"{{{{\"}", 12, 10), 1);
    ck_assert_int_eq(json_text_depth("[[[[[[", 6, 2), 3);
}
END_TEST

START_TEST(test_reply_envelopes)
{
    json_t *id = json_integer(5);
    json_t *data = json_pack("{s:[{s:s,s:s}]}", "fields", "field", "credit_limit", "message", "must be >= 0");
    char *e = rpc_error_dump(id, RPC_INVALID_PARAMS, "bad", data);
    ck_assert_str_eq(e, "{\"jsonrpc\":\"2.0\",\"id\":5,\"error\":{\"code\":-32602,\"message\":\"bad\","
                        "\"data\":{\"fields\":[{\"field\":\"credit_limit\",\"message\":\"must be >= 0\"}]}}}");
    free(e);
    json_t *res = json_pack("{s:s}", "a", "b");
    char *r = rpc_result_dump(id, res);
    ck_assert_str_eq(r, "{\"jsonrpc\":\"2.0\",\"id\":5,\"result\":{\"a\":\"b\"}}");
    free(r);
    char *n = rpc_error_dump(NULL, RPC_PARSE_ERROR, "x", NULL);
    ck_assert_str_eq(n, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"x\"}}");
    free(n);
    char *ev = rpc_event_dump("alert.fired", res);
    ck_assert_str_eq(ev, "{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":{\"topic\":\"alert.fired\",\"data\":{\"a\":\"b\"}}}");
    free(ev);
    json_decref(id);
    json_decref(data);
    json_decref(res);
}
END_TEST

/* strbuf's JSON writer (the hot path of GET /api/v1/route) against
 * jansson: what it writes parses back to the same string, and integers
 * come out as jansson writes them. */
START_TEST(test_strbuf_writes_json_strings_and_integers_jansson_reads_back)
{
    static const char *const cases[] = { "", "plain", "quote \" here", "back\\slash", "tab\tnew\nline\rret",
                                         "\x01\x1f ctrl", "UTF-8: é ü 中文 🙂", "</script>", "\"\\\"" };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        strbuf b = { 0 };
        sb_json_string(&b, cases[i]);
        ck_assert(!b.oom);
        json_error_t e;
        json_t *v = json_loads(b.buf, JSON_DECODE_ANY, &e);
        ck_assert_msg(json_is_string(v), "case %zu: %s (%s)", i, b.buf, e.text);
        ck_assert_str_eq(json_string_value(v), cases[i]);
        json_decref(v);
        free(b.buf);
    }
    static const long long ints[] = { 0, 7, -7, 1234567890123LL, -9223372036854775807LL - 1, 9223372036854775807LL };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        strbuf b = { 0 };
        sb_int(&b, ints[i]);
        json_t *v = json_integer(ints[i]);
        char *want = json_dumps(v, JSON_ENCODE_ANY);
        ck_assert_str_eq(b.buf, want);
        free(want);
        json_decref(v);
        free(b.buf);
    }
    /* appends grow the buffer past its first 512 bytes */
    strbuf b = { 0 };
    for (int i = 0; i < 1000; i++)
        sb_puts(&b, "abcdefghij");
    ck_assert_uint_eq(b.len, 10000);
    ck_assert_uint_eq(strlen(b.buf), 10000);
    free(b.buf);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jsonrpc");
    TCase *tc = tcase_create("envelope");
    tcase_add_test(tc, test_valid_request_with_params);
    tcase_add_test(tc, test_missing_params_become_empty_object);
    tcase_add_test(tc, test_request_without_id_is_a_notification);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_invalid_requests);
    tcase_add_test(tc, test_params_must_be_an_object);
    tcase_add_test(tc, test_error_keeps_the_id_when_readable);
    tcase_add_test(tc, test_limits_size_depth_and_strings);
    tcase_add_test(tc, test_depth_scan_stops_early);
    tcase_add_test(tc, test_reply_envelopes);
    tcase_add_test(tc, test_strbuf_writes_json_strings_and_integers_jansson_reads_back);
    suite_add_tcase(s, tc);
    int failed = suite_run(s, false);
    return failed;
}
