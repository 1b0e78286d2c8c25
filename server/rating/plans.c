/*
 * plans.c: rating_plan.* (a record with rules), rating_plan.time_classes.set,
 * rate.list and rating.quote; rating_plan.import lives in import.c.
 *
 * A plan is an entity_kind: the generic handlers create, read and list it.
 * Writes that change how calls are rated (update, delete, time classes,
 * import) run in a transaction of their own so that the plan's live deck
 * is forgotten after the commit, never before it (rating_plan_write); the
 * plan's change event tells the other instances.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "plans.h"
#include "rating_engine.h"
#include "timeutil.h"
#include "../rpc/entity.h"


static const char *const directions[] = { "customer", "supplier", NULL };
static const char *const roundings[] = { "up", "half_up", "down", NULL };

/* ---- the plan record ---- */

static const record_column plan_columns[] = {
    { "name", "name", COL_TEXT },
    { "currency", "currency", COL_TEXT },
    { "direction", "direction", COL_TEXT },
    { "rounding", "rounding", COL_TEXT },
    { "notice_days", "notice_days", COL_INT },
    { "description", "description", COL_TEXT },
    { NULL },
};

static const record_spec plan_record = {
    "rating_plan", "rating_plans",
    "json_build_object('id', t.id, 'name', t.name, 'currency', t.currency, 'direction', t.direction,"
    " 'rounding', t.rounding, 'notice_days', t.notice_days, 'description', t.description, 'rates', t.rate_count,"
    " 'time_classes', (SELECT coalesce(json_agg(json_build_object('id', k.id, 'name', k.name, 'ranges', k.ranges)"
    "   ORDER BY k.id), '[]') FROM time_classes k WHERE k.rating_plan_id = t.id),"
    " 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")",
    plan_columns,
};

static const list_sort plan_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { "direction", "t.direction", LIST_TEXT },
    { "currency", "t.currency", LIST_TEXT },
    { "rounding", "t.rounding", LIST_TEXT },
    { "rates", "t.rate_count", LIST_INT },
    { "notice_days", "t.notice_days", LIST_INT },
    { "description", "lower(t.description)", LIST_TEXT },
    { "created_at", "t.created_at", LIST_TIME },
    { "updated_at", "t.updated_at", LIST_TIME },
    { NULL },
};
static const list_filter plan_filters[] = {
    { "direction", "t.direction", LIST_TEXT, LIST_EQ, directions },
    { "currency", "t.currency", LIST_TEXT, LIST_EQ },
    { "q", "t.name || ' ' || t.description", LIST_TEXT, LIST_SEARCH },
    { NULL },
};
static const list_spec plan_list = {
    .from_sql = "rating_plans t", .where_sql = "t.deleted_at IS NULL", .id_sql = "t.id",
    .sorts = plan_sorts, .default_sort = "name", .filters = plan_filters,
};

/* Who uses plan id: live services (customer plans) and egress
 * interconnects (supplier plans). NULL after an error; else a JSON array
 * of up to 10 {entity, id, name}, and the total in *total. */
static json_t *plan_users(rpc_call *c, long long id, long long *total)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c,
        "SELECT u.entity, u.id, u.name, count(*) OVER () FROM ("
        "  SELECT 'service' AS entity, s.id, s.name FROM services s"
        "   WHERE s.rating_plan_id = $1 AND s.deleted_at IS NULL"
        "  UNION ALL"
        "  SELECT 'interconnect', i.id, i.name FROM interconnects i"
        "   WHERE i.supplier_rating_plan_id = $1 AND i.deleted_at IS NULL) u"
        " ORDER BY u.entity DESC, u.id LIMIT 10", 1, idt);
    if (!r)
        return NULL;
    json_t *users = json_array();
    *total = PQntuples(r) ? atoll(PQgetvalue(r, 0, 3)) : 0;
    for (int i = 0; i < PQntuples(r); i++)
        json_array_append_new(users, json_pack("{s:s, s:I, s:s}", "entity", PQgetvalue(r, i, 0), "id",
                                               (json_int_t)atoll(PQgetvalue(r, i, 1)), "name", PQgetvalue(r, i, 2)));
    PQclear(r);
    return users;
}

/* -32009 naming the first user of the plan, when it has any. */
static int refuse_if_used(rpc_call *c, long long id, const char *what)
{
    long long total = 0;
    json_t *users = plan_users(c, id, &total);
    if (!users)
        return -1;
    if (total == 0) {
        json_decref(users);
        return 0;
    }
    json_t *first = json_array_get(users, 0);
    char more[48] = "";
    if (total > 1)
        snprintf(more, sizeof more, " and %lld more", total - 1);
    rpc_fail(c, RPC_CONFLICT, "%s: rating plan %lld is used by %s %lld \"%.64s\"%s", what, id,
             json_string_value(json_object_get(first, "entity")), (long long)json_integer_value(json_object_get(first, "id")),
             json_string_value(json_object_get(first, "name")), more);
    json_decref(c->err_data);
    c->err_data = json_pack("{s:o, s:I}", "used_by", users, "used_by_total", (json_int_t)total);
    return -1;
}

/* The rules of a plan write: direction and currency stay while services or
 * interconnects use the plan (they chose it for that direction and currency). */
static int plan_prepare(rpc_call *c, json_t *before)
{
    if (!before)
        return 0;
    const char *keys[] = { "direction", "currency" };
    for (size_t i = 0; i < 2; i++) {
        const char *now = rpc_str(c, keys[i]);
        const char *was = json_string_value(json_object_get(before, keys[i]));
        if (now && was && strcmp(now, was)) {
            char what[64];
            snprintf(what, sizeof what, "its %s cannot change", keys[i]);
            return refuse_if_used(c, json_integer_value(json_object_get(before, "id")), what);
        }
    }
    return 0;
}

static const entity_kind plan_kind = { &plan_record, &plan_list, NULL, CUSTOMER_NONE, plan_prepare };

int rating_plan_write(rpc_call *c, long long plan_id, int (*fn)(rpc_call *c))
{
    if (rpc_begin(c))
        return -1;
    if (fn(c) == 0 && !c->err_code && rpc_commit(c) == 0) {
        rating_deck_invalidate(plan_id);
        return 0;
    }
    if (c->in_transaction)
        rpc_rollback(c);
    json_decref(c->result);
    c->result = NULL;
    if (!c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    return -1;
}

static int plan_update(rpc_call *c)
{
    return rating_plan_write(c, rpc_int(c, "id", 0), entity_update);
}

static int delete_unused(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    /* Lock first, so the check and the delete see the same plan. */
    if (record_lock(c, &plan_record, id, rpc_int(c, "version", 0)) || refuse_if_used(c, id, "cannot delete"))
        return -1;
    return entity_delete(c);
}

static int plan_delete(rpc_call *c)
{
    return rating_plan_write(c, rpc_int(c, "id", 0), delete_unused);
}

/* ---- time classes ---- */

bool time_class_ranges_parse(json_t *ranges, int class_id, time_class_range *out, size_t cap, size_t *n,
                             char *err, size_t errlen)
{
    if (class_id < 1 || class_id > TIME_CLASS_MAX_ID) {
        snprintf(err, errlen, "id must be 1 to %d", TIME_CLASS_MAX_ID);
        return false;
    }
    if (!json_is_array(ranges) || json_array_size(ranges) < 1 || json_array_size(ranges) > TIME_CLASS_RANGES_MAX) {
        snprintf(err, errlen, "ranges must be a list of 1 to %d ranges", TIME_CLASS_RANGES_MAX);
        return false;
    }
    size_t i;
    json_t *r;
    json_array_foreach(ranges, i, r) {
        time_class_range x = { .class_id = class_id };
        if (!time_class_parse_weekdays(json_string_value(json_object_get(r, "weekdays")), &x.weekdays)) {
            snprintf(err, errlen, "ranges[%zu].weekdays must be days like \"mon-fri\" or \"sat,sun\"", i);
            return false;
        }
        if (!time_class_parse_hhmm(json_string_value(json_object_get(r, "start")), &x.start_minute) ||
            x.start_minute >= 1440) {
            snprintf(err, errlen, "ranges[%zu].start must be a time from 00:00 to 23:59", i);
            return false;
        }
        if (!time_class_parse_hhmm(json_string_value(json_object_get(r, "end")), &x.end_minute) ||
            x.end_minute == 0) {
            snprintf(err, errlen, "ranges[%zu].end must be a time from 00:01 to 24:00", i);
            return false;
        }
        if (*n >= cap) {
            snprintf(err, errlen, "ranges has too many items");
            return false;
        }
        out[(*n)++] = x;
    }
    return true;
}

/* Ids and names unique, ranges well-formed; one field error each. */
static int check_classes(rpc_call *c, json_t *classes)
{
    time_class_range scratch[TIME_CLASS_RANGES_MAX];
    size_t i, k;
    json_t *cl, *other;
    json_array_foreach(classes, i, cl) {
        char path[64], why[128];
        long long id = json_integer_value(json_object_get(cl, "id"));
        const char *name = json_string_value(json_object_get(cl, "name"));
        json_array_foreach(classes, k, other) {
            if (k >= i)
                break;
            if (json_integer_value(json_object_get(other, "id")) == id) {
                snprintf(path, sizeof path, "classes[%zu].id", i);
                snprintf(why, sizeof why, "repeats classes[%zu].id", k);
                rpc_field_error(c, path, why);
            }
            if (!strcasecmp(json_string_value(json_object_get(other, "name")), name)) {
                snprintf(path, sizeof path, "classes[%zu].name", i);
                snprintf(why, sizeof why, "repeats classes[%zu].name", k);
                rpc_field_error(c, path, why);
            }
        }
        size_t n = 0;
        if (!time_class_ranges_parse(json_object_get(cl, "ranges"), (int)id, scratch, TIME_CLASS_RANGES_MAX, &n, why,
                                     sizeof why)) {
            /* why starts with the item's own path ("ranges[1].start ...") */
            char *space = strchr(why, ' ');
            snprintf(path, sizeof path, "classes[%zu].%.*s", i, space ? (int)(space - why) : (int)strlen(why), why);
            rpc_field_error(c, path, space ? space + 1 : "is not valid");
        }
    }
    return c->err_code ? -1 : 0;
}

static int set_classes(rpc_call *c)
{
    long long id = rpc_int(c, "rating_plan_id", 0);
    json_t *classes = json_object_get(c->params, "classes");
    if (check_classes(c, classes) || record_lock(c, &plan_record, id, rpc_int(c, "version", 0)))
        return -1;
    json_t *before = record_get(c, &plan_record, id, NULL, NULL);
    if (!before)
        return -1;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    json_t *ids = json_array();
    size_t i;
    json_t *cl;
    json_array_foreach(classes, i, cl)
        json_array_append(ids, json_object_get(cl, "id"));
    char *idlist = json_dumps(ids, JSON_COMPACT);
    json_decref(ids);
    json_t *after = NULL, *empty = json_object();
    int rc = -1;
    /* A class still named by rates stays. */
    PGresult *r = idlist ? rpc_query(c,
        "SELECT t.time_class_id, k.name, count(*) FROM rates t"
        " JOIN time_classes k ON k.rating_plan_id = t.rating_plan_id AND k.id = t.time_class_id"
        " WHERE t.rating_plan_id = $1 AND t.time_class_id IS NOT NULL"
        "   AND NOT t.time_class_id IN (SELECT jsonb_array_elements_text($2::jsonb)::smallint)"
        " GROUP BY 1, 2 ORDER BY 1 LIMIT 1", 2, idt, idlist) : NULL;
    if (!r)
        goto out;
    if (PQntuples(r)) {
        rpc_fail(c, RPC_CONFLICT, "time class %s (%.64s) is used by %s rates: keep it or import them away first",
                 PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1), PQgetvalue(r, 0, 2));
        PQclear(r);
        goto out;
    }
    PQclear(r);
    if (!(r = rpc_query(c, "DELETE FROM time_classes WHERE rating_plan_id = $1", 1, idt)))
        goto out;
    PQclear(r);
    json_array_foreach(classes, i, cl) {
        char cid[24];
        snprintf(cid, sizeof cid, "%lld", (long long)json_integer_value(json_object_get(cl, "id")));
        char *ranges = json_dumps(json_object_get(cl, "ranges"), JSON_COMPACT);
        r = ranges ? rpc_query(c, "INSERT INTO time_classes (rating_plan_id, id, name, ranges) VALUES ($1, $2, $3, $4)",
                               4, idt, cid, json_string_value(json_object_get(cl, "name")), ranges)
                   : NULL;
        free(ranges);
        if (!r)
            goto out;
        PQclear(r);
    }
    /* version + 1: the deck changes with the plan's classes */
    if (record_update(c, &plan_record, id, empty) || !(after = record_get(c, &plan_record, id, NULL, NULL)) ||
        record_changed(c, &plan_record, "time_classes", id, before, after, 0))
        goto out;
    c->result = json_incref(after);
    rc = 0;
out:
    if (!c->result && !c->err_code)
        rpc_fail(c, RPC_INTERNAL_ERROR, "internal error");
    free(idlist);
    json_decref(empty);
    json_decref(before);
    json_decref(after);
    return rc;
}

static int plan_time_classes_set(rpc_call *c)
{
    return rating_plan_write(c, rpc_int(c, "rating_plan_id", 0), set_classes);
}

/* ---- rate.list ---- */

static const list_sort rate_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "prefix", "t.prefix", LIST_TEXT },
    { "destination", "t.destination", LIST_TEXT },
    { "rate", "t.rate", LIST_NUMERIC },
    { "connection_fee", "t.connection_fee", LIST_NUMERIC },
    { "initial_increment", "t.initial_increment", LIST_INT },
    { "subsequent_increment", "t.subsequent_increment", LIST_INT },
    { "min_duration", "t.min_duration", LIST_INT },
    { "effective_from", "t.effective_from", LIST_TIME },
    { "effective_to", "coalesce(t.effective_to, 'infinity')", LIST_TIME },
    { "time_class", "coalesce(t.time_class_id, 0)", LIST_INT },
    { "blocked", "t.blocked", LIST_BOOL },
    { NULL },
};
static const list_filter rate_filters[] = {
    { "rating_plan_id", "t.rating_plan_id", LIST_INT, LIST_EQ },
    { "prefix", "t.prefix", LIST_TEXT, LIST_PREFIX },
    { "q", "t.destination", LIST_TEXT, LIST_SEARCH },
    { "blocked", "t.blocked", LIST_BOOL, LIST_EQ },
    { "time_class_id", "coalesce(t.time_class_id, 0)", LIST_INT, LIST_EQ },
    { NULL }, /* and "at", which rate_list turns into the scope */
};
static const list_spec rate_list_spec = {
    .item_sql = "json_build_object('id', t.id, 'prefix', t.prefix, 'destination', t.destination,"
                " 'rate', t.rate::text, 'connection_fee', t.connection_fee::text,"
                " 'initial_increment', t.initial_increment, 'subsequent_increment', t.subsequent_increment,"
                " 'min_duration', t.min_duration, 'effective_from', " TS("t.effective_from") ","
                " 'effective_to', " TS("t.effective_to") ", 'time_class', k.name, 'time_class_id', t.time_class_id,"
                " 'min_length', t.min_length, 'max_length', t.max_length, 'blocked', t.blocked)",
    .from_sql = "rates t LEFT JOIN time_classes k ON k.rating_plan_id = t.rating_plan_id AND k.id = t.time_class_id",
    .id_sql = "t.id",
    .sorts = rate_sorts,
    .default_sort = "prefix",
    .filters = rate_filters,
};

/* filter.at: "all" (history too), a time, or absent (now); the rows in
 * force then are the scope of the list. */
static int rate_list(rpc_call *c)
{
    json_t *filter = json_object_get(c->params, "filter");
    json_t *plan = json_object_get(filter, "rating_plan_id");
    if (!json_is_integer(plan))
        return rpc_field_error(c, "filter.rating_plan_id", "is required (a rating plan id)");
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", (long long)json_integer_value(plan));
    PGresult *r = rpc_query(c, "SELECT 1 FROM rating_plans WHERE id = $1 AND deleted_at IS NULL", 1, idt);
    if (!r)
        return -1;
    int found = PQntuples(r);
    PQclear(r);
    if (!found)
        return rpc_fail(c, RPC_NOT_FOUND, "no rating plan %s", idt);

    json_t *at = json_object_get(filter, "at");
    char when[40];
    bool all = false;
    if (at && !json_is_null(at)) {
        int64_t t;
        const char *s = json_string_value(at);
        if (s && !strcmp(s, "all"))
            all = true;
        else if (!s || !time_parse_rfc3339(s, &t))
            return rpc_field_error(c, "filter.at", "must be an RFC 3339 time or \"all\"");
        else
            snprintf(when, sizeof when, "%s", s);
    } else {
        time_format_rfc3339(time_now_usec(), when, sizeof when);
    }
    json_t *params = json_deep_copy(c->params), *saved = c->params;
    json_object_del(json_object_get(params, "filter"), "at");
    c->params = params;
    int rc = rpc_list(c, &rate_list_spec,
                      all ? NULL : "t.effective_from <= $1::timestamptz"
                                   " AND (t.effective_to IS NULL OR t.effective_to > $1::timestamptz)",
                      all ? NULL : when);
    c->params = saved;
    json_decref(params);
    return rc;
}

/* ---- rating.quote ---- */

static int quote(rpc_call *c)
{
    long long id = rpc_int(c, "rating_plan_id", 0);
    int64_t at = time_now_usec();
    const char *at_text = rpc_str(c, "at");
    if (at_text)
        time_parse_rfc3339(at_text, &at); /* validated */
    long long duration = rpc_int(c, "duration", 0);
    char err[160];
    rating_deck *d = rating_deck_get(c->db, id, err, sizeof err);
    if (!d)
        return strncmp(err, "no rating plan", 14) ? rpc_fail(c, RPC_INTERNAL_ERROR, "internal error")
                                                  : rpc_fail(c, RPC_NOT_FOUND, "%s", err);
    rating_result res;
    rating_rate(d, rpc_str(c, "destination"), at, true, at, at + duration * 1000000, rpc_str(c, "timezone"), &res);
    rating_deck_release(d);
    if (!res.rated)
        return rpc_field_error(c, strncmp(res.reason, "unknown time zone", 17) ? "destination" : "timezone",
                               res.reason);
    char rate[MONEY_STR_MAX], cost[MONEY_STR_MAX];
    c->result = json_pack("{s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:I}", "prefix", res.prefix, "destination_name",
                          res.destination, "rate", money_format(res.rate, rate, sizeof rate), "duration",
                          (json_int_t)res.duration, "billed_duration", (json_int_t)res.billed, "cost",
                          money_format(res.cost, cost, sizeof cost), "currency", res.currency, "rate_id",
                          (json_int_t)res.rate_row_id);
    return c->result ? 0 : -1;
}

/* ---- the method table ---- */

#define PLAN_FIELDS(req) \
    { "name", F_STRING, req, 1, 64 }, { "currency", F_CURRENCY, req }, \
    { "direction", F_ENUM, req, 0, 0, directions }, { "rounding", F_ENUM, 0, 0, 0, roundings }, \
    { "notice_days", F_INT, 0, 0, 365 }, { "description", F_STRING, 0, 0, 500 }
static const rpc_field plan_create_params[] = { PLAN_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field plan_update_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, PLAN_FIELDS(0), { NULL },
};
static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field delete_params[] = { { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { NULL } };
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field range_fields[] = {
    { "weekdays", F_STRING, F_REQUIRED, 1, 64 },
    { "start", F_STRING, F_REQUIRED, 5, 5 },
    { "end", F_STRING, F_REQUIRED, 5, 5 },
    { NULL },
};
static const rpc_field class_fields[] = {
    { "id", F_INT, F_REQUIRED, 1, TIME_CLASS_MAX_ID },
    { "name", F_STRING, F_REQUIRED, 1, 64 },
    { "ranges", F_ARRAY, F_REQUIRED, 0, TIME_CLASS_RANGES_MAX, NULL, range_fields, F_OBJECT },
    { NULL },
};
static const rpc_field time_classes_params[] = {
    { "rating_plan_id", F_ID, F_REQUIRED },
    { "version", F_INT, F_REQUIRED, 1 },
    { "classes", F_ARRAY, F_REQUIRED, 0, TIME_CLASS_MAX_ID, NULL, class_fields, F_OBJECT },
    { NULL },
};

static const rpc_field quote_params[] = {
    { "rating_plan_id", F_ID, F_REQUIRED },
    { "destination", F_STRING, F_REQUIRED, 1, 64 },
    { "at", F_TIME },
    { "duration", F_INT, F_REQUIRED, 0, 7 * 86400 },
    { "timezone", F_TIMEZONE },
    { NULL },
};

const rpc_method rating_methods[] = {
    { "rating_plan.create", entity_create, ROLES_ADMIN, RPC_MUTATES, plan_create_params, &plan_kind },
    { "rating_plan.get", entity_get, ROLES_STAFF, 0, id_params, &plan_kind },
    { "rating_plan.update", plan_update, ROLES_ADMIN, 0, plan_update_params, &plan_kind },
    { "rating_plan.delete", plan_delete, ROLES_ADMIN, 0, delete_params, &plan_kind },
    { "rating_plan.list", entity_list, ROLES_STAFF, 0, list_params, &plan_kind },
    { "rating_plan.time_classes.set", plan_time_classes_set, ROLES_ADMIN, 0, time_classes_params, &plan_kind },
    { "rating_plan.import", rating_plan_import, ROLES_ADMIN, 0, rating_plan_import_params, NULL },
    { "rate.list", rate_list, ROLES_STAFF, 0, list_params, NULL },
    { "rating.quote", quote, ROLES_STAFF, 0, quote_params, NULL },
    { NULL },
};
