/* E-mail templates and messages (server/mail/templates.c, message.c):
 * {{var}} and dotted substitution, HTML escaping, missing variables,
 * long values, no template injection, subjects without line breaks, the
 * job payload checks, the Brevo request body, Brevo's error answers and
 * retry rules, and the outbox .eml text. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/message.h"
#include "mail/templates.h"
#include "suite.h"

static char *render(const char *src, const char *vars_json, mail_part part, json_t *missing)
{
    json_t *vars = vars_json ? json_loads(vars_json, 0, NULL) : NULL;
    ck_assert_msg(!vars_json || vars, "bad test JSON %s", vars_json);
    char *out = mail_render(src, vars, part, missing);
    json_decref(vars);
    ck_assert_ptr_nonnull(out);
    return out;
}

static void assert_render(const char *src, const char *vars, mail_part part, const char *want)
{
    char *got = render(src, vars, part, NULL);
    ck_assert_msg(!strcmp(got, want), "render(%s) = \"%s\", want \"%s\"", src, got, want);
    free(got);
}

START_TEST(test_variables_and_dotted_paths_are_substituted)
{
    assert_render("Hello {{name}}!", "{\"name\": \"Acme\"}", MAIL_TEXT, "Hello Acme!");
    assert_render("{{ name }}|{{name}}", "{\"name\": \"x\"}", MAIL_TEXT, "x|x");
    assert_render("{{alert.threshold}} {{alert.currency}}", "{\"alert\": {\"threshold\": \"100.000000\","
                  " \"currency\": \"EUR\"}}", MAIL_TEXT, "100.000000 EUR");
    assert_render("{{a.b.c}}", "{\"a\": {\"b\": {\"c\": \"deep\"}}}", MAIL_TEXT, "deep");
    assert_render("#{{n}} {{yes}} {{no}} {{list}}", "{\"n\": 42, \"yes\": true, \"no\": false, \"list\": [\"a\", 1]}",
                  MAIL_TEXT, "#42 yes no a, 1");
    assert_render("no placeholders at all", "{}", MAIL_TEXT, "no placeholders at all");
    assert_render("", "{}", MAIL_TEXT, "");
}
END_TEST

START_TEST(test_html_part_escapes_values_but_not_the_template)
{
    assert_render("<b>{{v}}</b>", "{\"v\": \"<script>alert('x')</script> & \\\"q\\\"\"}", MAIL_HTML,
                  "<b>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</b>");
    /* the text part keeps the value as it is */
    assert_render("{{v}}", "{\"v\": \"a < b & c\"}", MAIL_TEXT, "a < b & c");
    /* an attribute cannot be broken out of */
    assert_render("<a href=\"{{url}}\">", "{\"url\": \"x\\\" onclick=\\\"evil()\"}", MAIL_HTML,
                  "<a href=\"x&quot; onclick=&quot;evil()\">");
}
END_TEST

START_TEST(test_missing_variables_render_empty_and_are_reported_once)
{
    json_t *missing = json_array();
    char *out = render("[{{a}}][{{b.c}}][{{a}}][{{n}}]", "{\"b\": {}, \"n\": null}", MAIL_TEXT, missing);
    ck_assert_str_eq(out, "[][][][]");
    free(out);
    ck_assert_int_eq(json_array_size(missing), 3);
    ck_assert_str_eq(json_string_value(json_array_get(missing, 0)), "a");
    ck_assert_str_eq(json_string_value(json_array_get(missing, 1)), "b.c");
    ck_assert_str_eq(json_string_value(json_array_get(missing, 2)), "n");
    json_decref(missing);
    /* no variables object at all */
    assert_render("x{{a}}y", NULL, MAIL_TEXT, "xy");
    /* a path through a non-object is missing */
    assert_render("{{a.b}}", "{\"a\": \"string\"}", MAIL_TEXT, "");
}
END_TEST

START_TEST(test_a_value_holding_a_placeholder_is_not_expanded_again)
{
    assert_render("{{a}}", "{\"a\": \"{{b}}\", \"b\": \"SECRET\"}", MAIL_TEXT, "{{b}}");
    assert_render("{{a}}", "{\"a\": \"{{b}}\", \"b\": \"SECRET\"}", MAIL_HTML, "{{b}}");
    assert_render("{{a}}{{b}}", "{\"a\": \"{{\", \"b\": \"b}}\"}", MAIL_TEXT, "{{b}}");
}
END_TEST

START_TEST(test_things_that_are_not_placeholders_are_copied)
{
    assert_render("{{ }} {{a b}} {{1x}} {{a..b}} {{a.}} {{ unclosed", "{\"a\": \"A\"}", MAIL_TEXT,
                  "{{ }} {{a b}} {{1x}} {{a..b}} {{a.}} {{ unclosed");
    assert_render("{{{a}}}", "{\"a\": \"A\"}", MAIL_TEXT, "{A}");
    assert_render("{a} }} {{", "{\"a\": \"A\"}", MAIL_TEXT, "{a} }} {{");
    /* an over-long name is not a placeholder */
    char src[400];
    memset(src, 'x', sizeof src);
    memcpy(src, "{{", 2);
    memcpy(src + 200, "}}", 3);
    char *out = render(src, "{}", MAIL_TEXT, NULL);
    ck_assert_str_eq(out, src);
    free(out);
}
END_TEST

START_TEST(test_long_values_are_cut_on_a_character_boundary)
{
    size_t n = MAIL_VALUE_MAX + 5000;
    char *v = malloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        memcpy(v + i, "\xc3\xa9", 2);  /* é: cutting at an odd byte would split one */
    v[n] = '\0';
    json_t *vars = json_pack("{s:s}", "v", v);
    char *out = mail_render("<{{v}}>", vars, MAIL_TEXT, NULL);
    ck_assert_ptr_nonnull(out);
    size_t len = strlen(out);
    ck_assert_uint_le(len, MAIL_VALUE_MAX + 5);
    ck_assert_uint_ge(len, MAIL_VALUE_MAX - 2);
    ck_assert_str_eq(out + len - 4, "...>");
    /* every é is whole: even count of bytes between '<' and "..." */
    ck_assert_uint_eq((len - 5) % 2, 0);
    ck_assert_int_eq((unsigned char)out[len - 5], 0xa9);
    free(out);
    json_decref(vars);
    free(v);
}
END_TEST

START_TEST(test_subjects_have_no_line_breaks_and_a_length_cap)
{
    assert_render("Re: {{s}}", "{\"s\": \"a\\r\\nBcc: victim@example.com\\tx\"}", MAIL_SUBJECT,
                  "Re: a  Bcc: victim@example.com x");
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    json_t *vars = json_pack("{s:s}", "s", big);
    char *out = mail_render("{{s}}", vars, MAIL_SUBJECT, NULL);
    ck_assert_uint_eq(strlen(out), MAIL_SUBJECT_MAX);
    free(out);
    json_decref(vars);
}
END_TEST

START_TEST(test_every_template_renders_with_its_documented_variables)
{
    const char *names[] = { "ticket_created", "ticket_replied", "ticket_resolved", "password_reset", "low_balance",
                            "credit_alert", "monitor_alert" };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(mail_template_find(names[i]) != NULL, "template %s", names[i]);
    ck_assert_ptr_null(mail_template_find("no_such_template"));
    ck_assert_ptr_null(mail_template_find(NULL));
    const mail_template *t;
    for (size_t i = 0; (t = mail_template_at(i)); i++) {
        /* each documented variable set to a marker: no variable is missing
         * and each marker shows in the text part */
        json_t *vars = json_object();
        for (const char *const *v = t->vars; *v; v++) {
            char marker[160];
            snprintf(marker, sizeof marker, "<%s>", *v);
            const char *dot = strchr(*v, '.');
            if (dot) {
                char head[64];
                snprintf(head, sizeof head, "%.*s", (int)(dot - *v), *v);
                json_t *o = json_object_get(vars, head);
                if (!o)
                    json_object_set_new(vars, head, o = json_object());
                json_object_set_new(o, dot + 1, json_string(marker));
            } else {
                json_object_set_new(vars, *v, json_string(marker));
            }
        }
        json_t *missing = json_array();
        mail_rendered r;
        ck_assert_int_eq(mail_template_render(t, vars, &r, missing), 0);
        ck_assert_msg(json_array_size(missing) == 0, "%s: missing variables", t->name);
        for (const char *const *v = t->vars; *v; v++) {
            char marker[160], escaped[170];
            snprintf(marker, sizeof marker, "<%s>", *v);
            snprintf(escaped, sizeof escaped, "&lt;%s&gt;", *v);
            ck_assert_msg(strstr(r.text, marker) || strstr(r.subject, marker), "%s: %s not in the text", t->name, *v);
            ck_assert_msg(strstr(r.html, escaped) || strstr(r.subject, marker), "%s: %s not in the HTML", t->name,
                          *v);
            ck_assert_msg(!strstr(r.html, marker), "%s: %s unescaped in the HTML", t->name, *v);
        }
        ck_assert(strstr(r.html, "<!DOCTYPE html>") == r.html);
        ck_assert_ptr_null(strstr(r.text, "{{"));
        mail_rendered_free(&r);
        json_decref(missing);
        json_decref(vars);
    }
}
END_TEST

START_TEST(test_the_ledger_credit_alert_payload_renders)
{
    /* the payload server/ledger/posting.c queues */
    json_t *payload = json_loads("{\"template\": \"credit_alert\", \"to\": [\"ops@acme.example\"],"
                                 " \"carrier_name\": \"Acme & Sons\", \"alert\": {\"alert_id\": 7, \"type\":"
                                 " \"low_balance\", \"threshold\": \"100.000000\", \"value\": \"99.500000\","
                                 " \"carrier_id\": 3, \"currency\": \"USD\", \"journal_id\": 12}}", 0, NULL);
    mail_job_input in;
    char err[256];
    ck_assert_int_eq(mail_job_parse(payload, &in, err, sizeof err), 0);
    ck_assert_str_eq(in.template->name, "credit_alert");
    mail_rendered r;
    json_t *missing = json_array();
    ck_assert_int_eq(mail_template_render(in.template, in.vars, &r, missing), 0);
    ck_assert_int_eq(json_array_size(missing), 0);
    ck_assert_str_eq(r.subject, "Credit alert (low_balance): Acme & Sons");
    ck_assert_ptr_nonnull(strstr(r.text, "Value:     99.500000 USD"));
    ck_assert_ptr_nonnull(strstr(r.text, "Threshold: 100.000000 USD"));
    ck_assert_ptr_nonnull(strstr(r.html, "Acme &amp; Sons"));
    mail_rendered_free(&r);
    json_decref(missing);
    mail_job_input_free(&in);
    json_decref(payload);
}
END_TEST

static void assert_refused(const char *payload_json, const char *err_part)
{
    json_t *p = json_loads(payload_json, 0, NULL);
    ck_assert_msg(p != NULL, "bad test JSON %s", payload_json);
    mail_job_input in;
    char err[256] = "";
    ck_assert_msg(mail_job_parse(p, &in, err, sizeof err) == -1, "accepted %s", payload_json);
    ck_assert_msg(strstr(err, err_part), "for %s: \"%s\" lacks \"%s\"", payload_json, err, err_part);
    ck_assert_ptr_null(in.to);
    ck_assert_ptr_null(in.vars);
    json_decref(p);
}

START_TEST(test_bad_payloads_are_refused_naming_the_problem)
{
    assert_refused("{\"to\": [\"a@b.example\"]}", "template: is required");
    assert_refused("{\"template\": \"nope\", \"to\": [\"a@b.example\"]}", "template: no template \"nope\"");
    assert_refused("{\"template\": \"credit_alert\"}", "to: must be a non-empty array");
    assert_refused("{\"template\": \"credit_alert\", \"to\": []}", "to: must be a non-empty array");
    assert_refused("{\"template\": \"credit_alert\", \"to\": \"a@b.example\"}", "to: must be a non-empty array");
    assert_refused("{\"template\": \"credit_alert\", \"to\": [\"a@b.example\", \"not an address\"]}",
                   "to[1]: not an e-mail address");
    assert_refused("{\"template\": \"credit_alert\", \"to\": [{\"name\": \"x\"}]}", "to[0]: not an e-mail address");
    assert_refused("{\"template\": \"credit_alert\", \"to\": [{\"email\": \"a@b.example\", \"name\": \"a\\nBcc: x\"}]}",
                   "to[0].name");
    assert_refused("{\"template\": \"credit_alert\", \"to\": [\"a@b.example\"], \"vars\": [1]}", "vars: must be an object");
    assert_refused("{\"template\": \"credit_alert\", \"to\": [\"a@b.example\"], \"reply_to\": \"x\"}", "reply_to");
    assert_refused("[1, 2]", "payload: must be an object");
    /* too many recipients */
    json_t *to = json_array();
    for (int i = 0; i <= MAIL_MAX_RECIPIENTS; i++) {
        char a[64];
        snprintf(a, sizeof a, "user%d@example.com", i);
        json_array_append_new(to, json_string(a));
    }
    char err[256];
    ck_assert_ptr_null(mail_recipients(to, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "at most"));
    json_decref(to);
}
END_TEST

START_TEST(test_vars_override_top_level_members_and_duplicates_are_dropped)
{
    json_t *p = json_loads("{\"template\": \"ticket_replied\", \"to\": [\"A@b.example\", {\"email\": \"a@B.example\"},"
                           " {\"email\": \"c@d.example\", \"name\": \"C D\"}], \"subject\": \"top\","
                           " \"status\": \"open\", \"vars\": {\"subject\": \"inner\"}}", 0, NULL);
    mail_job_input in;
    char err[256];
    ck_assert_int_eq(mail_job_parse(p, &in, err, sizeof err), 0);
    ck_assert_int_eq(json_array_size(in.to), 2);
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(in.to, 1), "name")), "C D");
    ck_assert_str_eq(json_string_value(json_object_get(in.vars, "subject")), "inner");
    ck_assert_str_eq(json_string_value(json_object_get(in.vars, "status")), "open");
    ck_assert_ptr_null(json_object_get(in.vars, "to"));
    ck_assert_ptr_null(json_object_get(in.vars, "template"));
    mail_job_input_free(&in);
    json_decref(p);
}
END_TEST

static mail_rendered sample = { "Subject é", "text part", "<p>html part</p>" };

START_TEST(test_the_brevo_body_has_brevos_shape)
{
    json_t *to = json_loads("[{\"email\": \"a@b.example\", \"name\": \"A\"}, {\"email\": \"c@d.example\"}]", 0, NULL);
    mail_message m = { "noreply@didtron.example", "DIDTron", "support@didtron.example", to, &sample, "ticket_created", 77 };
    json_t *b = mail_brevo_body(&m);
    ck_assert_ptr_nonnull(b);
    json_t *sender = json_object_get(b, "sender");
    ck_assert_str_eq(json_string_value(json_object_get(sender, "email")), "noreply@didtron.example");
    ck_assert_str_eq(json_string_value(json_object_get(sender, "name")), "DIDTron");
    ck_assert(json_equal(json_object_get(b, "to"), to));
    ck_assert_str_eq(json_string_value(json_object_get(b, "subject")), "Subject é");
    ck_assert_str_eq(json_string_value(json_object_get(b, "textContent")), "text part");
    ck_assert_str_eq(json_string_value(json_object_get(b, "htmlContent")), "<p>html part</p>");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "replyTo"), "email")),
                     "support@didtron.example");
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(b, "tags"), 0)), "ticket_created");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(b, "headers"), "idempotencyKey")),
                     "didtron-job-77");
    json_decref(b);
    m.reply_to = NULL;
    m.from_name = "";
    b = mail_brevo_body(&m);
    ck_assert_ptr_null(json_object_get(b, "replyTo"));
    ck_assert_ptr_null(json_object_get(json_object_get(b, "sender"), "name"));
    json_decref(b);
    json_decref(to);
}
END_TEST

START_TEST(test_brevo_answers_decide_retry_or_dead_letter)
{
    ck_assert_int_eq(mail_brevo_outcome(201), MAIL_SENT);
    ck_assert_int_eq(mail_brevo_outcome(202), MAIL_SENT);
    ck_assert_int_eq(mail_brevo_outcome(400), MAIL_REFUSED);
    ck_assert_int_eq(mail_brevo_outcome(401), MAIL_REFUSED);
    ck_assert_int_eq(mail_brevo_outcome(403), MAIL_REFUSED);
    ck_assert_int_eq(mail_brevo_outcome(404), MAIL_REFUSED);
    ck_assert_int_eq(mail_brevo_outcome(429), MAIL_RETRY);
    ck_assert_int_eq(mail_brevo_outcome(500), MAIL_RETRY);
    ck_assert_int_eq(mail_brevo_outcome(503), MAIL_RETRY);
    char d[256];
    const char body[] = "{\"code\":\"invalid_parameter\",\"message\":\"email is not valid in to\"}";
    mail_brevo_error(400, body, strlen(body), d, sizeof d);
    ck_assert_str_eq(d, "Brevo: HTTP 400 invalid_parameter: email is not valid in to");
    mail_brevo_error(502, "<html>bad gateway</html>", 24, d, sizeof d);
    ck_assert_str_eq(d, "Brevo: HTTP 502");
    mail_brevo_error(500, NULL, 0, d, sizeof d);
    ck_assert_str_eq(d, "Brevo: HTTP 500");
}
END_TEST

START_TEST(test_the_outbox_file_is_a_multipart_message)
{
    json_t *to = json_loads("[{\"email\": \"a@b.example\", \"name\": \"Ann \\\"A\\\" B\"}, {\"email\": \"c@d.example\","
                            " \"name\": \"Zoë\"}]", 0, NULL);
    mail_message m = { "noreply@didtron.example", "DIDTron", NULL, to, &sample, "ticket_created", 5 };
    char *eml = mail_eml(&m, "Mon, 23 Nov 2026 18:00:00 +0000");
    ck_assert_ptr_nonnull(eml);
    ck_assert(strstr(eml, "From: \"DIDTron\" <noreply@didtron.example>\r\n") == eml);
    ck_assert_ptr_nonnull(strstr(eml, "To: \"Ann \\\"A\\\" B\" <a@b.example>,\r\n    =?UTF-8?B?Wm/Dqw==?= <c@d.example>\r\n"));
    ck_assert_ptr_nonnull(strstr(eml, "Subject: =?UTF-8?B?U3ViamVjdCDDqQ==?=\r\n"));
    ck_assert_ptr_nonnull(strstr(eml, "Date: Mon, 23 Nov 2026 18:00:00 +0000\r\n"));
    ck_assert_ptr_nonnull(strstr(eml, "X-DIDTron-Job: 5\r\n"));
    ck_assert_ptr_nonnull(strstr(eml, "Content-Type: multipart/alternative; boundary=\"=_didtron_5_0\""));
    ck_assert_ptr_nonnull(strstr(eml, "text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\ntext part\r\n"));
    ck_assert_ptr_nonnull(strstr(eml, "\r\n\r\n<p>html part</p>\r\n--=_didtron_5_0--\r\n"));
    free(eml);
    /* a body holding the boundary gets another one */
    mail_rendered tricky = { "s", "--=_didtron_5_0", "x" };
    m.r = &tricky;
    eml = mail_eml(&m, "Mon, 23 Nov 2026 18:00:00 +0000");
    ck_assert_ptr_nonnull(strstr(eml, "boundary=\"=_didtron_5_1\""));
    free(eml);
    json_decref(to);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mail_template");
    TCase *tc = tcase_create("mail_template");
    tcase_add_test(tc, test_variables_and_dotted_paths_are_substituted);
    tcase_add_test(tc, test_html_part_escapes_values_but_not_the_template);
    tcase_add_test(tc, test_missing_variables_render_empty_and_are_reported_once);
    tcase_add_test(tc, test_a_value_holding_a_placeholder_is_not_expanded_again);
    tcase_add_test(tc, test_things_that_are_not_placeholders_are_copied);
    tcase_add_test(tc, test_long_values_are_cut_on_a_character_boundary);
    tcase_add_test(tc, test_subjects_have_no_line_breaks_and_a_length_cap);
    tcase_add_test(tc, test_every_template_renders_with_its_documented_variables);
    tcase_add_test(tc, test_the_ledger_credit_alert_payload_renders);
    tcase_add_test(tc, test_bad_payloads_are_refused_naming_the_problem);
    tcase_add_test(tc, test_vars_override_top_level_members_and_duplicates_are_dropped);
    tcase_add_test(tc, test_the_brevo_body_has_brevos_shape);
    tcase_add_test(tc, test_brevo_answers_decide_retry_or_dead_letter);
    tcase_add_test(tc, test_the_outbox_file_is_a_multipart_message);
    suite_add_tcase(s, tc);
    return suite_run(s, false);
}
