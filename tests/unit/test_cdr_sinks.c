/* The CDR sink list: what ingestion promises the modules that register a
 * sink (the ledger, monitoring). Each test runs in its own process (check
 * forks), so registrations do not leak from one test into the next. */
#include <check.h>
#include <string.h>

#include "rating/cdrs.h"
#include "suite.h"

typedef struct {
    int calls;
    size_t n;
    const cdr_rated *cdrs;
    int order;                /* the call's position among all sink calls */
    int result;               /* what the sink returns */
    bool set_error;           /* fail with an error of its own */
} probe;

static int calls_so_far;

static int sink(void *ud, rpc_call *c, const cdr_rated *cdrs, size_t n)
{
    probe *p = ud;
    p->calls++;
    p->n = n;
    p->cdrs = cdrs;
    p->order = ++calls_so_far;
    if (p->result && p->set_error)
        rpc_fail(c, RPC_CREDIT_LIMIT, "over the credit limit");
    return p->result;
}

static void two_cdrs(cdr_rated v[2])
{
    memset(v, 0, 2 * sizeof *v);
    strcpy(v[0].cdr.id, "a-1");
    strcpy(v[1].cdr.id, "a-2");
    v[0].customer.rated = true;
    v[0].customer.cost = 120000;
    strcpy(v[0].customer.currency, "USD");
}

START_TEST(test_every_sink_sees_the_whole_batch_in_registration_order)
{
    probe first = { 0 }, second = { 0 };
    ck_assert_int_eq(cdr_sink_register(sink, &first), 0);
    ck_assert_int_eq(cdr_sink_register(sink, &second), 0);
    cdr_rated v[2];
    two_cdrs(v);
    rpc_call c = { 0 };
    ck_assert_int_eq(cdr_sinks_dispatch(&c, v, 2), 0);
    ck_assert_int_eq(c.err_code, 0);
    ck_assert_int_eq(first.calls, 1);
    ck_assert_int_eq(second.calls, 1);
    ck_assert_uint_eq(first.n, 2);
    ck_assert_ptr_eq(first.cdrs, v);
    ck_assert_ptr_eq(second.cdrs, v);
    ck_assert_str_eq(second.cdrs[1].cdr.id, "a-2");
    ck_assert_int_eq(second.cdrs[0].customer.cost, 120000);
    ck_assert_int_lt(first.order, second.order);
}
END_TEST

START_TEST(test_an_empty_batch_calls_no_sink)
{
    probe p = { 0 };
    ck_assert_int_eq(cdr_sink_register(sink, &p), 0);
    rpc_call c = { 0 };
    ck_assert_int_eq(cdr_sinks_dispatch(&c, NULL, 0), 0);
    ck_assert_int_eq(p.calls, 0);
}
END_TEST

START_TEST(test_a_failing_sink_fails_the_batch_and_later_sinks_are_not_called)
{
    probe failing = { .result = -1 }, later = { 0 };
    ck_assert_int_eq(cdr_sink_register(sink, &failing), 0);
    ck_assert_int_eq(cdr_sink_register(sink, &later), 0);
    cdr_rated v[2];
    two_cdrs(v);
    rpc_call c = { 0 };
    ck_assert_int_eq(cdr_sinks_dispatch(&c, v, 2), -1);
    ck_assert_int_eq(failing.calls, 1);
    ck_assert_int_eq(later.calls, 0);
    /* A sink that said nothing: the batch fails as an internal error. */
    ck_assert_int_eq(c.err_code, RPC_INTERNAL_ERROR);
}
END_TEST

START_TEST(test_a_sinks_own_error_reaches_the_caller)
{
    probe p = { .result = -1, .set_error = true };
    ck_assert_int_eq(cdr_sink_register(sink, &p), 0);
    cdr_rated v[2];
    two_cdrs(v);
    rpc_call c = { 0 };
    ck_assert_int_eq(cdr_sinks_dispatch(&c, v, 2), -1);
    ck_assert_int_eq(c.err_code, RPC_CREDIT_LIMIT);
    ck_assert_str_eq(c.err_message, "over the credit limit");
}
END_TEST

START_TEST(test_registration_is_refused_past_the_limit)
{
    probe p[CDR_SINKS_MAX + 1];
    memset(p, 0, sizeof p);
    for (int i = 0; i < CDR_SINKS_MAX; i++)
        ck_assert_int_eq(cdr_sink_register(sink, &p[i]), 0);
    ck_assert_int_eq(cdr_sink_register(sink, &p[CDR_SINKS_MAX]), -1);
    ck_assert_int_eq(cdr_sink_register(NULL, NULL), -1);
    cdr_rated v[2];
    two_cdrs(v);
    rpc_call c = { 0 };
    ck_assert_int_eq(cdr_sinks_dispatch(&c, v, 1), 0);
    for (int i = 0; i < CDR_SINKS_MAX; i++)
        ck_assert_int_eq(p[i].calls, 1);
    ck_assert_int_eq(p[CDR_SINKS_MAX].calls, 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cdr_sinks");
    TCase *tc = tcase_create("cdr_sinks");
    tcase_add_test(tc, test_every_sink_sees_the_whole_batch_in_registration_order);
    tcase_add_test(tc, test_an_empty_batch_calls_no_sink);
    tcase_add_test(tc, test_a_failing_sink_fails_the_batch_and_later_sinks_are_not_called);
    tcase_add_test(tc, test_a_sinks_own_error_reaches_the_caller);
    tcase_add_test(tc, test_registration_is_refused_past_the_limit);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
