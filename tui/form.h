/*
 * form: a modal edit form over the content area — typed fields, Tab
 * between them, the server's field errors shown next to the fields they
 * name, dirty tracking (only changed fields are sent), and the record's
 * version sent along so a stale save is refused and said so.
 *
 * A screen describes the fields (wire path, label, kind), fills the
 * current values, and opens the form; the form sends `method` with
 * {id_field: id, version, ...changed fields} (paths like
 * "customer.credit_limit" become nested objects) and calls done() after a
 * successful save.
 */
#ifndef DIDTRON_TUI_FORM_H
#define DIDTRON_TUI_FORM_H

#include <jansson.h>
#include <stdbool.h>

#include "keymap.h"
#include "layout.h"

typedef enum {
    FIELD_TEXT, FIELD_MONEY, FIELD_INT, FIELD_ENUM, FIELD_BOOL,
    FIELD_LIST,   /* comma-separated text <-> a JSON array of strings */
    FIELD_IPLIST, /* a FIELD_LIST whose items must be IPs or CIDRs (checked here) */
    FIELD_SECRET, /* text shown as * (a password) */
} field_kind;

/* The form's tabs: a field names the tab it lives on. A form whose fields
 * all sit on GENERAL shows no tab bar. */
enum { FORM_GENERAL, FORM_ADVANCED, FORM_ASSIGNMENT, FORM_NTABS };

typedef struct {
    const char *label;
    const char *path;              /* "customer.credit_limit" */
    field_kind kind;
    const char *const *choices;    /* FIELD_ENUM, NULL-terminated */
    bool nullable;                 /* empty text is sent as null */
    unsigned char tab;             /* FORM_GENERAL (default), FORM_ADVANCED, FORM_ASSIGNMENT */
} form_field;

#define FORM_MAX_FIELDS 24

typedef struct form form;
struct form {
    char title[64];
    const char *method;
    const char *id_field;          /* "id" or "carrier_id" */
    long long id, version;
    const form_field *fields;
    int nfields;
    char value[FORM_MAX_FIELDS][128];
    char original[FORM_MAX_FIELDS][128];
    char error[FORM_MAX_FIELDS][128];
    char theirs[FORM_MAX_FIELDS][128]; /* after a conflict: the server's values, where they differ */
    const char *get_method;        /* reads the record back after a conflict ("carrier.get") */
    const char *root;              /* where the fields live in what get_method returns ("credit"), or NULL */
    char message[400];             /* conflict or other error, under the fields */
    int focus;
    int tab;                       /* the tab shown (the focused field's) */
    bool saving;
    bool creating;                 /* a new record: send every non-empty field, no version */
    void (*done)(void *ud);        /* after a successful save */
    void *ud;
    /* Optional: send the save yourself (an import reads a file first).
     * Gets the params (owned); returns false with f->message set when
     * nothing was sent. The form then closes as after a save. */
    bool (*submit)(struct form *f, json_t *params);
};

/* Set up f (fields borrowed, must outlive the form); values from record
 * (paths looked up in it; NULL -> ""). */
void form_init(form *f, const char *title, const char *method, const char *id_field, long long id,
               long long version, const form_field *fields, int n, json_t *record);
/* Set up f for a new record owned by owner_field = owner_id (e.g. a
 * contact of carrier 3; owner_field NULL for none), all fields empty. */
void form_init_create(form *f, const char *title, const char *method, const char *owner_field, long long owner_id,
                      const form_field *fields, int n);
/* Handle a key: returns false when the form closed (saved or cancelled). */
bool form_key(form *f, const keymap *k, int ch);
void form_draw(form *f, rect content);
/* The body sent on save (tests and the screen share it); caller decrefs. */
json_t *form_params(const form *f);
/* Check the typed fields locally (money, integers, IP lists) and mark the
 * bad ones as the server would; false when one is bad (nothing is sent). */
bool form_check(form *f);

#endif
