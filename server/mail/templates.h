/*
 * templates: the e-mail templates and their renderer (docs/mail.md).
 *
 * A template is a subject, a plain-text body and an HTML body compiled into
 * the server (templates.c), each with {{var}} and dotted {{alert.threshold}}
 * placeholders. Rendering is one pass over the template text: a value put
 * in is never scanned again, so a variable holding "{{x}}" shows as
 * "{{x}}" (no template injection). In the HTML part every value is
 * HTML-escaped; in the subject CR, LF and TAB become spaces (no header
 * injection). A missing variable (or JSON null) renders as "" and its name
 * is reported to the caller. Something that looks like a placeholder but
 * is not one ("{{ }}", "{{a b}}", "{{") is copied as it stands.
 *
 * Pure functions, no I/O, no globals but the constant template table:
 * unit-tested by tests/unit/test_mail_template.c.
 */
#ifndef DIDTRON_MAIL_TEMPLATES_H
#define DIDTRON_MAIL_TEMPLATES_H

#include <jansson.h>
#include <stddef.h>

#define MAIL_VAR_NAME_MAX 128       /* longest placeholder name, dots included */
#define MAIL_VALUE_MAX 16384        /* bytes of one value put in; longer is cut and ends with "..." */
#define MAIL_SUBJECT_MAX 255        /* bytes of a rendered subject; longer is cut (on a UTF-8 boundary) */

typedef struct {
    const char *name;               /* "credit_alert" */
    const char *description;        /* one line, for mail.templates */
    const char *const *vars;        /* the variables it uses, NULL-terminated ("alert.threshold") */
    const char *subject;
    const char *text;
    const char *html;               /* the body inside the shared HTML layout */
} mail_template;

typedef enum { MAIL_TEXT, MAIL_HTML, MAIL_SUBJECT } mail_part;

typedef struct {
    char *subject, *text, *html;    /* malloc'd, NUL-terminated */
} mail_rendered;

/* The template named name, or NULL. */
const mail_template *mail_template_find(const char *name);
/* The i-th template (0-based), NULL past the end: for listing. */
const mail_template *mail_template_at(size_t i);

/* Render src with the variables of vars (an object; NULL = none) for part.
 * The names of missing variables are appended to missing (a JSON array,
 * each name once; may be NULL). Returns a malloc'd string, or NULL when
 * out of memory. */
char *mail_render(const char *src, json_t *vars, mail_part part, json_t *missing);

/* Render the three parts of t (the HTML body wrapped in the layout).
 * Returns 0, or -1 when out of memory (out is then empty). */
int mail_template_render(const mail_template *t, json_t *vars, mail_rendered *out, json_t *missing);
void mail_rendered_free(mail_rendered *r);

#endif
