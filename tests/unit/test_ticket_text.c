/* The ticket queue's SLA cell: the countdown, BREACHED, paused, and "-"
 * when no target runs; short times. */
#include <check.h>
#include <jansson.h>
#include <string.h>

#include "suite.h"
#include "ticket_text.h"

#define NOW 1795428000LL /* 2026-11-23T10:00:00Z */

static const char *sla(const char *json, bool *bad)
{
    static char buf[32];
    json_error_t err;
    json_t *t = json_loads(json, 0, &err);
    ck_assert_msg(t != NULL, "%s", err.text);
    ticket_sla_text(t, NOW, buf, sizeof buf, bad);
    json_decref(t);
    return buf;
}

START_TEST(test_countdown_in_minutes_seconds_hours_and_days)
{
    bool bad = true;
    ck_assert_str_eq(sla("{\"status\":\"new\",\"due_at\":\"2026-11-23T10:04:05Z\"}", &bad), "4m05s");
    ck_assert(!bad);
    ck_assert_str_eq(sla("{\"status\":\"open\",\"due_at\":\"2026-11-23T12:13:30Z\"}", &bad), "2h13m");
    ck_assert_str_eq(sla("{\"status\":\"open\",\"due_at\":\"2026-11-25T13:00:00Z\"}", &bad), "2d03h");
    ck_assert_str_eq(sla("{\"status\":\"open\",\"due_at\":\"2026-11-23T11:00:00Z\"}", &bad), "1h00m");
}
END_TEST

START_TEST(test_breached_by_flag_or_by_time)
{
    bool bad = false;
    ck_assert_str_eq(sla("{\"status\":\"open\",\"sla_breached\":true,\"due_at\":\"2026-11-24T10:00:00Z\"}", &bad),
                     "BREACHED");
    ck_assert(bad);
    bad = false;
    ck_assert_str_eq(sla("{\"status\":\"open\",\"sla_breached\":false,\"due_at\":\"2026-11-23T10:00:00Z\"}", &bad),
                     "BREACHED");
    ck_assert(bad);
}
END_TEST

START_TEST(test_no_running_target)
{
    bool bad = true;
    ck_assert_str_eq(sla("{\"status\":\"resolved\",\"sla_breached\":true,\"due_at\":null}", &bad), "-");
    ck_assert(!bad);
    ck_assert_str_eq(sla("{\"status\":\"closed\"}", &bad), "-");
    ck_assert_str_eq(sla("{\"status\":\"pending\",\"due_at\":null}", &bad), "paused");
    ck_assert_str_eq(sla("{\"status\":\"new\",\"due_at\":null,\"first_response_due_at\":\"2026-11-23T11:00:00Z\"}", &bad),
                     "-"); /* due_at null wins: the server says nothing runs */
    ck_assert_str_eq(sla("{\"status\":\"new\",\"due_at\":\"not a time\"}", &bad), "-");
}
END_TEST

START_TEST(test_without_due_at_the_earlier_target_counts)
{
    bool bad;
    ck_assert_str_eq(sla("{\"status\":\"open\",\"first_response_due_at\":\"2026-11-23T14:00:00Z\","
                         "\"resolution_due_at\":\"2026-11-23T12:00:00Z\"}", &bad), "2h00m");
    ck_assert_str_eq(sla("{\"status\":\"open\",\"first_response_due_at\":null,"
                         "\"resolution_due_at\":\"2026-11-23T10:30:00Z\"}", &bad), "30m00s");
}
END_TEST

START_TEST(test_short_time)
{
    char buf[24];
    ck_assert_str_eq(ticket_short_time("2026-11-23T10:04:05Z", buf, sizeof buf), "11-23 10:04");
    ck_assert_str_eq(ticket_short_time(NULL, buf, sizeof buf), "-");
    ck_assert_str_eq(ticket_short_time("soon", buf, sizeof buf), "soon");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ticket_text");
    TCase *tc = tcase_create("ticket_text");
    tcase_add_test(tc, test_countdown_in_minutes_seconds_hours_and_days);
    tcase_add_test(tc, test_breached_by_flag_or_by_time);
    tcase_add_test(tc, test_no_running_target);
    tcase_add_test(tc, test_without_due_at_the_earlier_target_counts);
    tcase_add_test(tc, test_short_time);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
