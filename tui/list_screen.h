/*
 * list_screen: one screen for every server list — carriers, services,
 * trunk groups, users, the audit log. A list is described with data: the
 * method, the columns (each a dot path into an item, "currencies.0" for an
 * array element), the search filter name, the event topic that means
 * "reload", and what Enter opens.
 */
#ifndef DIDTRON_TUI_LIST_SCREEN_H
#define DIDTRON_TUI_LIST_SCREEN_H

#include "form.h"
#include "screen.h"

typedef struct {
    const char *title;          /* workspace tab */
    const char *crumb;          /* header breadcrumb */
    const char *method;         /* "carrier.list" */
    const table_column *cols;   /* field = dot path into an item; also the sort name */
    int ncols;
    int sort_col;               /* initial sort column, -1 = server default */
    bool sort_desc;
    const char *search_filter;  /* "q", or NULL when the list has no search */
    const char *const *filter_keys; /* "key:value" words the search accepts ("type", "status"); NULL-terminated */
    const char *topic;          /* reload when this event arrives, or NULL */
    void (*open)(json_t *item); /* Enter on a row; NULL: nothing to open */
    void (*remove)(json_t *item); /* d / F8 on a row; NULL: not deletable here */
    const char *create_method;  /* n / F3 opens a form that calls this; NULL: no creating here */
    const char *create_title;
    const form_field *create_fields;
    int ncreate_fields;
    const char *edit_method;    /* e / F2 edits the selected row with this; NULL: not here */
    const char *edit_title;
    const form_field *edit_fields;
    int nedit_fields;
    const char *get_method;     /* reads a row back after a conflict ("user.get") */
    const char *delete_method;  /* d / F8 asks, then calls this with {id, version} (when remove is NULL) */
} list_desc;

screen *list_screen_new(const list_desc *d);
/* The same list limited to scope (stolen), e.g. {"rating_plan_id": 3}:
 * every load sends those filters besides the user's search. */
screen *list_screen_new_scoped(const list_desc *d, json_t *scope, const char *title, const char *crumb);
/* The loaded item under the selection (borrowed), or NULL. */
json_t *list_screen_selected(screen *s);
/* The text of one cell: the value at a dot path, as text. */
const char *json_path_text(json_t *item, const char *path, char *buf, size_t n);

/* The lists the console knows, by command name ("carriers", "services",
 * "trunk-groups", "users", "audit"); NULL when unknown. */
const list_desc *list_by_name(const char *name);

#endif
