/*
 * interconnects.c: interconnect.* and service.* — SIP trunks and the
 * services that tie an ingress trunk to a rating plan and a routing plan.
 *
 * An interconnect's settings come in the seed's tabs, one JSON object per
 * tab (ingress_validation, media, signalling, ...), each validated field by
 * field; an update merges the keys it sends into the stored object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hierarchy.h"
#include "../rpc/entity.h"


static const char *const directions[] = { "ingress", "egress", NULL };
static const char *const ic_statuses[] = { "active", "paused", "disabled", NULL };
static const char *const codecs[] = { "PCMA", "PCMU", "G729", "G722", "G723", "GSM", "iLBC", "OPUS", "AMR",
                                      "AMR-WB", "T38", NULL };
static const char *const transports[] = { "udp", "tcp", "tls", NULL };
static const char *const dtmf_modes[] = { "rfc2833", "inband", "sip_info", "auto", NULL };
static const char *const privacy_methods[] = { "none", "rfc3325", "rfc3323", NULL };
static const char *const rel100_modes[] = { "disabled", "supported", "required", NULL };
static const char *const origination_prefs[] = { "pai", "rpid", "from", NULL };

static const rpc_field translation_rule[] = {
    { "match", F_STRING, 0, 0, 32 },          /* leading digits to match; "" = any */
    { "strip", F_INT, 0, 0, 32 },             /* digits to remove */
    { "prepend", F_STRING, 0, 0, 32 },        /* digits to add */
    { "field", F_ENUM, 0, 0, 0, (const char *const[]){ "callee", "caller", NULL } },
    { NULL },
};

static const rpc_field ingress_validation_fields[] = {
    { "ip_validation", F_BOOL },
    { "from_uri", F_STRING, 0, 0, 256 },
    { "contact_uri", F_STRING, 0, 0, 256 },
    { NULL },
};
static const rpc_field ingress_translation_fields[] = {
    { "origination_preference", F_ENUM, 0, 0, 0, origination_prefs },
    { "pai_generation", F_BOOL },
    { "number_translation", F_ARRAY, 0, 0, 32, NULL, translation_rule, F_OBJECT },
    { NULL },
};
static const rpc_field egress_routing_fields[] = {
    { "send_to_ips", F_ARRAY, 0, 0, 16, NULL, NULL, F_IP },
    { "transport", F_ENUM, 0, 0, 0, transports },
    { "blacklist_ids", F_ARRAY, 0, 0, 32, NULL, NULL, F_ID },
    { NULL },
};
static const rpc_field egress_translation_fields[] = {
    { "pai_generation", F_BOOL },
    { "block_invalid_origins", F_BOOL },
    { "number_translation", F_ARRAY, 0, 0, 32, NULL, translation_rule, F_OBJECT },
    { NULL },
};
static const rpc_field media_fields[] = {
    { "codecs", F_ARRAY, 0, 0, 11, codecs, NULL, F_ENUM },
    { "vad", F_BOOL },
    { "ptime", F_INT, 0, 10, 120 },
    { "dtmf_mode", F_ENUM, 0, 0, 0, dtmf_modes },
    { "media_relay", F_BOOL },
    { "rtp_timeout", F_INT, 0, 0, 3600 },
    { NULL },
};
static const rpc_field signalling_fields[] = {
    { "privacy_method", F_ENUM, 0, 0, 0, privacy_methods },
    { "session_timer", F_INT, 0, 0, 86400 },
    { "rel100", F_ENUM, 0, 0, 0, rel100_modes },
    { "max_call_duration", F_INT, 0, 0, 86400 },
    { "release_cause_mapping_id", F_ID, F_NULLABLE },
    { NULL },
};
static const rpc_field monitoring_fields[] = {
    { "options_ping", F_BOOL },
    { "options_interval", F_INT, 0, 5, 3600 },
    { "call_response_monitoring", F_BOOL },
    { "auto_disable", F_BOOL },
    { "disable_after_failures", F_INT, 0, 1, 100 },
    { "auto_reenable", F_BOOL },
    { "reenable_after_successes", F_INT, 0, 1, 100 },
    { NULL },
};

static const char interconnect_json[] =
    "json_build_object('id', t.id, 'carrier_id', t.carrier_id, 'name', t.name, 'direction', t.direction,"
    " 'currency', t.currency, 'status', t.status, 'capacity', t.capacity, 'cps_limit', t.cps_limit,"
    " 'signalling_ips', to_jsonb(t.signalling_ips), 'tech_prefix', t.tech_prefix,"
    " 'codecs', coalesce(t.media->'codecs', '[]'::jsonb),"
    " 'supplier_rating_plan_id', t.supplier_rating_plan_id, 'trunk_group_id', t.trunk_group_id,"
    " 'ingress_validation', t.ingress_validation, 'ingress_translation', t.ingress_translation,"
    " 'egress_routing', t.egress_routing, 'egress_translation', t.egress_translation,"
    " 'media', t.media, 'signalling', t.signalling, 'monitoring', t.monitoring,"
    " 'services', (SELECT count(*) FROM services s WHERE s.interconnect_id = t.id AND s.deleted_at IS NULL),"
    " 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")";

static const record_column interconnect_columns[] = {
    { "carrier_id", "carrier_id", COL_BIGINT },
    { "name", "name", COL_TEXT },
    { "direction", "direction", COL_TEXT },
    { "currency", "currency", COL_TEXT },
    { "status", "status", COL_TEXT },
    { "capacity", "capacity", COL_INT },
    { "cps_limit", "cps_limit", COL_INT },
    { "signalling_ips", "signalling_ips", COL_TEXT_ARRAY },
    { "tech_prefix", "tech_prefix", COL_TEXT },
    { "supplier_rating_plan_id", "supplier_rating_plan_id", COL_BIGINT },
    { "trunk_group_id", "trunk_group_id", COL_BIGINT },
    { "ingress_validation", "ingress_validation", COL_JSONB_MERGE },
    { "ingress_translation", "ingress_translation", COL_JSONB_MERGE },
    { "egress_routing", "egress_routing", COL_JSONB_MERGE },
    { "egress_translation", "egress_translation", COL_JSONB_MERGE },
    { "media", "media", COL_JSONB_MERGE },
    { "signalling", "signalling", COL_JSONB_MERGE },
    { "monitoring", "monitoring", COL_JSONB_MERGE },
    { NULL },
};

static const record_spec interconnect_record = { "interconnect", "interconnects", interconnect_json,
                                                 interconnect_columns };

/* ---- shared checks ---- */

static bool carrier_allows(const char *carrier_type, const char *direction)
{
    if (!strcmp(carrier_type, "bilateral"))
        return true;
    return !strcmp(direction, "ingress") ? !strcmp(carrier_type, "customer") : !strcmp(carrier_type, "supplier");
}

/* Fields that belong to one direction only. */
static void check_direction_fields(rpc_call *c, const char *direction)
{
    static const char *const ingress_only[] = { "ingress_validation", "ingress_translation", NULL };
    static const char *const egress_only[] = { "egress_routing", "egress_translation", "monitoring",
                                               "supplier_rating_plan_id", NULL };
    bool ingress = !strcmp(direction, "ingress");
    for (const char *const *f = ingress ? egress_only : ingress_only; *f; f++) {
        json_t *v = json_object_get(c->params, *f);
        if (v && !json_is_null(v))
            rpc_field_error(c, *f, ingress ? "is only for egress interconnects" : "is only for ingress interconnects");
    }
}

/* Top-level "codecs" is the media tab's codec list, as PROTOCOL.md names it. */
static void fold_codecs(rpc_call *c)
{
    json_t *codec_list = json_object_get(c->params, "codecs");
    if (!codec_list)
        return;
    json_t *media = json_object_get(c->params, "media");
    if (!media) {
        media = json_object();
        json_object_set_new(c->params, "media", media);
    }
    json_object_set(media, "codecs", codec_list);
    json_object_del(c->params, "codecs");
}

/* Every id in obj.list must name a live blacklist. */
static void check_blacklist_ids(rpc_call *c, const char *obj, const char *list)
{
    json_t *ids = json_object_get(json_object_get(c->params, obj), list);
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        char path[96];
        snprintf(path, sizeof path, "%s.%s[%zu]", obj, list, i);
        entity_ref(c, path, "blacklists", NULL, v);
    }
}

static int check_refs(rpc_call *c)
{
    json_t *v;
    check_blacklist_ids(c, "egress_routing", "blacklist_ids");
    if (json_is_integer(v = json_object_get(json_object_get(c->params, "signalling"), "release_cause_mapping_id")))
        entity_ref(c, "signalling.release_cause_mapping_id", "release_cause_mappings", NULL, v);
    if (json_is_integer(v = json_object_get(c->params, "supplier_rating_plan_id")))
        entity_ref(c, "supplier_rating_plan_id", "rating_plans", "t.direction = 'supplier'", v);
    if (json_is_integer(v = json_object_get(c->params, "trunk_group_id")))
        entity_ref(c, "trunk_group_id", "trunk_groups", NULL, v);
    return c->err_code ? -1 : 0;
}

static int check_currency_of_carrier(rpc_call *c, long long carrier_id, const char *currency)
{
    if (!currency)
        return 0;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", carrier_id);
    PGresult *r = rpc_query(c, "SELECT 1 FROM carriers WHERE id = $1 AND $2 = ANY(currencies)", 2, idt, currency);
    if (!r)
        return -1;
    int ok = PQntuples(r);
    PQclear(r);
    return ok ? 0 : rpc_field_error(c, "currency", "must be one of the carrier's currencies");
}

static int name_free(rpc_call *c, long long carrier_id, const char *name, long long except)
{
    char cid[24], eid[24];
    snprintf(cid, sizeof cid, "%lld", carrier_id);
    snprintf(eid, sizeof eid, "%lld", except);
    PGresult *r = rpc_query(c, "SELECT 1 FROM interconnects WHERE carrier_id = $1 AND lower(name) = lower($2)"
                               " AND deleted_at IS NULL AND id <> $3", 3, cid, name, eid);
    if (!r)
        return -1;
    int taken = PQntuples(r);
    PQclear(r);
    return taken ? rpc_fail(c, RPC_CONFLICT, "the carrier already has an interconnect named %s", name) : 0;
}

/* ---- interconnect.* ---- */

/* The rules of an interconnect write: its direction fits its carrier, each
 * tab only where it belongs, a currency of the carrier's, live references
 * and a name unique within the carrier. */
static int interconnect_prepare(rpc_call *c, json_t *before)
{
    long long carrier = before ? json_integer_value(json_object_get(before, "carrier_id")) : rpc_int(c, "carrier_id", 0);
    const char *direction = before ? json_string_value(json_object_get(before, "direction")) : rpc_str(c, "direction");
    if (!before) {
        char type[16];
        if (!carrier_type_of(c, carrier, true, type, sizeof type))
            return -1;
        if (!carrier_allows(type, direction))
            return rpc_fail(c, RPC_CONFLICT, "a %s interconnect needs a %s or bilateral carrier; carrier %lld is a %s",
                            direction, !strcmp(direction, "ingress") ? "customer" : "supplier", carrier, type);
    }
    check_direction_fields(c, direction);
    fold_codecs(c);
    check_currency_of_carrier(c, carrier, rpc_str(c, "currency"));
    long long id = before ? json_integer_value(json_object_get(before, "id")) : 0;
    if (c->err_code || check_refs(c) || (rpc_str(c, "name") && name_free(c, carrier, rpc_str(c, "name"), id)))
        return -1;
    return 0;
}

static int services_delete_of(rpc_call *c, long long interconnect_id, long long carrier);

static int interconnect_soft_delete(rpc_call *c, long long id, long long carrier)
{
    json_t *before = record_get(c, &interconnect_record, id, NULL, NULL);
    int rc = before && !services_delete_of(c, id, carrier) &&
             !record_soft_delete(c, &interconnect_record, id) &&
             !record_changed(c, &interconnect_record, "delete", id, before, NULL, carrier) ? 0 : -1;
    json_decref(before);
    return rc;
}

static int interconnect_delete(rpc_call *c)
{
    long long id = rpc_int(c, "id", 0);
    if (record_lock(c, &interconnect_record, id, rpc_int(c, "version", 0)))
        return -1;
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", id);
    PGresult *r = rpc_query(c, "SELECT (SELECT count(*) FROM services WHERE interconnect_id = $1 AND deleted_at IS NULL),"
                               " carrier_id FROM interconnects WHERE id = $1", 1, idt);
    if (!r)
        return -1;
    long long live = atoll(PQgetvalue(r, 0, 0)), carrier = atoll(PQgetvalue(r, 0, 1));
    PQclear(r);
    if (live && !rpc_bool(c, "cascade", false))
        return rpc_fail(c, RPC_CONFLICT, "the interconnect still has %lld live service(s); delete them first or pass"
                                         " cascade:true", live);
    if (interconnect_soft_delete(c, id, carrier))
        return -1;
    c->result = json_pack("{s:I, s:b}", "id", (json_int_t)id, "deleted", 1);
    return 0;
}

int interconnects_delete_of_carrier(rpc_call *c, long long carrier_id)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", carrier_id);
    PGresult *r = rpc_query(c, "SELECT id FROM interconnects WHERE carrier_id = $1 AND deleted_at IS NULL FOR UPDATE",
                            1, idt);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++)
        rc = interconnect_soft_delete(c, atoll(PQgetvalue(r, i, 0)), carrier_id);
    PQclear(r);
    return rc;
}

static const list_sort interconnect_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { "direction", "t.direction", LIST_TEXT },
    { "currency", "t.currency", LIST_TEXT },
    { "status", "t.status", LIST_TEXT },
    { "capacity", "coalesce(t.capacity, 2147483647)", LIST_INT },
    { "carrier_id", "t.carrier_id", LIST_INT },
    { "created_at", "t.created_at", LIST_TIME },
    { NULL },
};

static const list_filter interconnect_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "direction", "t.direction", LIST_TEXT, LIST_EQ, directions },
    { "status", "t.status", LIST_TEXT, LIST_EQ, ic_statuses },
    { "trunk_group_id", "t.trunk_group_id", LIST_INT, LIST_EQ },
    { "q", "t.name || ' ' || coalesce(t.tech_prefix, '')", LIST_TEXT, LIST_SEARCH },
    { NULL },
};

static const list_spec interconnect_list_spec = {
    .from_sql = "interconnects t",
    .where_sql = "t.deleted_at IS NULL",
    .id_sql = "t.id",
    .sorts = interconnect_sorts,
    .default_sort = "name",
    .filters = interconnect_filters,
};

static const entity_kind interconnect_kind = { &interconnect_record, &interconnect_list_spec, "carrier_id",
                                               CUSTOMER_READ, interconnect_prepare };

/* ---- service.* ---- */

static const char *const routing_methods[] = { "routing_plan", "interconnect", NULL };
static const char *const enforcements[] = { "enforce", "monitor", NULL };
static const char *const service_statuses[] = { "active", "disabled", NULL };

static const char service_json[] =
    "json_build_object('id', t.id, 'interconnect_id', t.interconnect_id, 'carrier_id', t.carrier_id,"
    " 'name', t.name, 'rating_plan_id', t.rating_plan_id, 'routing_plan_id', t.routing_plan_id,"
    " 'currency', t.currency, 'tech_prefix', t.tech_prefix, 'capacity', t.capacity, 'priority', t.priority,"
    " 'time_class_id', t.time_class_id, 'allow_transcoding', t.allow_transcoding,"
    " 'routing_method', t.routing_method, 'route_interconnect_id', t.route_interconnect_id,"
    " 'enforcement', t.enforcement, 'status', t.status, 'number_portability', t.number_portability,"
    " 'blacklists', t.blacklists, 'matching', t.matching,"
    " 'version', t.version, 'created_at', " TS("t.created_at") ", 'updated_at', " TS("t.updated_at") ")";

static const record_column service_columns[] = {
    { "interconnect_id", "interconnect_id", COL_BIGINT },
    { "carrier_id", "carrier_id", COL_BIGINT },   /* set by service_prepare, not by clients */
    { "currency", "currency", COL_TEXT },         /* likewise */
    { "name", "name", COL_TEXT },
    { "rating_plan_id", "rating_plan_id", COL_BIGINT },
    { "routing_plan_id", "routing_plan_id", COL_BIGINT },
    { "tech_prefix", "tech_prefix", COL_TEXT },
    { "capacity", "capacity", COL_INT },
    { "priority", "priority", COL_INT },
    { "time_class_id", "time_class_id", COL_BIGINT },
    { "allow_transcoding", "allow_transcoding", COL_BOOL },
    { "routing_method", "routing_method", COL_TEXT },
    { "route_interconnect_id", "route_interconnect_id", COL_BIGINT },
    { "enforcement", "enforcement", COL_TEXT },
    { "status", "status", COL_TEXT },
    { "number_portability", "number_portability", COL_JSONB_MERGE },
    { "blacklists", "blacklists", COL_JSONB_MERGE },
    { "matching", "matching", COL_JSONB_MERGE },
    { NULL },
};

static const record_spec service_record = { "service", "services", service_json, service_columns };

static int service_refs(rpc_call *c, const char *method_after, json_t *routing_plan_after, json_t *route_ic_after)
{
    json_t *v;
    check_blacklist_ids(c, "blacklists", "origination_ids");
    check_blacklist_ids(c, "blacklists", "destination_ids");
    if (json_is_integer(v = json_object_get(c->params, "rating_plan_id")))
        entity_ref(c, "rating_plan_id", "rating_plans", "t.direction = 'customer'", v);
    if (json_is_integer(v = json_object_get(c->params, "routing_plan_id")))
        entity_ref(c, "routing_plan_id", "routing_plans", NULL, v);
    if (json_is_integer(v = json_object_get(c->params, "route_interconnect_id")))
        entity_ref(c, "route_interconnect_id", "interconnects", "t.direction = 'egress'", v);
    if (!strcmp(method_after, "routing_plan") && !json_is_integer(routing_plan_after))
        rpc_field_error(c, "routing_plan_id", "is required when routing_method is routing_plan");
    if (!strcmp(method_after, "interconnect") && !json_is_integer(route_ic_after))
        rpc_field_error(c, "route_interconnect_id", "is required when routing_method is interconnect");
    return c->err_code ? -1 : 0;
}

static int tech_prefix_free(rpc_call *c, long long interconnect, json_t *prefix, long long except)
{
    char iid[24], eid[24];
    snprintf(iid, sizeof iid, "%lld", interconnect);
    snprintf(eid, sizeof eid, "%lld", except);
    const char *p = json_string_value(prefix);
    PGresult *r = rpc_query(c, "SELECT 1 FROM services WHERE interconnect_id = $1 AND coalesce(tech_prefix, '') ="
                               " coalesce($2, '') AND deleted_at IS NULL AND id <> $3", 3, iid, p, eid);
    if (!r)
        return -1;
    int taken = PQntuples(r);
    PQclear(r);
    return taken ? rpc_fail(c, RPC_CONFLICT, "the interconnect already has a service with tech prefix \"%s\"",
                            p ? p : "") : 0;
}

/* The rules of a service write: it lives on a live ingress interconnect
 * whose carrier and currency it takes, its plans and routes exist, and its
 * tech prefix is free on that interconnect. */
static int service_prepare(rpc_call *c, json_t *before)
{
    long long id = before ? json_integer_value(json_object_get(before, "id")) : 0;
    long long ic = before ? json_integer_value(json_object_get(before, "interconnect_id")) : rpc_int(c, "interconnect_id", 0);
    if (!before) {
        char idt[24];
        snprintf(idt, sizeof idt, "%lld", ic);
        PGresult *r = rpc_query(c, "SELECT direction, carrier_id, currency FROM interconnects"
                                   " WHERE id = $1 AND deleted_at IS NULL FOR SHARE", 1, idt);
        if (!r)
            return -1;
        if (PQntuples(r) == 0) {
            PQclear(r);
            return rpc_fail(c, RPC_NOT_FOUND, "no interconnect %lld", ic);
        }
        bool ingress = !strcmp(PQgetvalue(r, 0, 0), "ingress");
        json_object_set_new(c->params, "carrier_id", json_integer(atoll(PQgetvalue(r, 0, 1))));
        json_object_set_new(c->params, "currency", json_string(PQgetvalue(r, 0, 2)));
        PQclear(r);
        if (!ingress)
            return rpc_fail(c, RPC_CONFLICT, "services live on ingress interconnects; interconnect %lld is egress", ic);
    }
    const char *method = rpc_str(c, "routing_method");
    if (!method)
        method = before ? json_string_value(json_object_get(before, "routing_method")) : "routing_plan";
    json_t *plan = json_object_get(c->params, "routing_plan_id");
    json_t *route = json_object_get(c->params, "route_interconnect_id");
    if (service_refs(c, method, plan || !before ? plan : json_object_get(before, "routing_plan_id"),
                     route || !before ? route : json_object_get(before, "route_interconnect_id")))
        return -1;
    if ((!before || json_object_get(c->params, "tech_prefix")) &&
        tech_prefix_free(c, ic, json_object_get(c->params, "tech_prefix"), id))
        return -1;
    return 0;
}

static int services_delete_of(rpc_call *c, long long interconnect_id, long long carrier)
{
    char idt[24];
    snprintf(idt, sizeof idt, "%lld", interconnect_id);
    PGresult *r = rpc_query(c, "SELECT id FROM services WHERE interconnect_id = $1 AND deleted_at IS NULL FOR UPDATE",
                            1, idt);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples(r) && rc == 0; i++) {
        long long sid = atoll(PQgetvalue(r, i, 0));
        json_t *before = record_get(c, &service_record, sid, NULL, NULL);
        rc = before && !record_soft_delete(c, &service_record, sid) &&
             !record_changed(c, &service_record, "delete", sid, before, NULL, carrier) ? 0 : -1;
        json_decref(before);
    }
    PQclear(r);
    return rc;
}

static const list_sort service_sorts[] = {
    { "id", "t.id", LIST_INT },
    { "name", "lower(t.name)", LIST_TEXT },
    { "priority", "t.priority", LIST_INT },
    { "carrier_id", "t.carrier_id", LIST_INT },
    { "interconnect_id", "t.interconnect_id", LIST_INT },
    { "status", "t.status", LIST_TEXT },
    { "created_at", "t.created_at", LIST_TIME },
    { NULL },
};

static const list_filter service_filters[] = {
    { "carrier_id", "t.carrier_id", LIST_INT, LIST_EQ },
    { "interconnect_id", "t.interconnect_id", LIST_INT, LIST_EQ },
    { "rating_plan_id", "t.rating_plan_id", LIST_INT, LIST_EQ },
    { "routing_plan_id", "t.routing_plan_id", LIST_INT, LIST_EQ },
    { "status", "t.status", LIST_TEXT, LIST_EQ, service_statuses },
    { "q", "t.name || ' ' || coalesce(t.tech_prefix, '')", LIST_TEXT, LIST_SEARCH },
    { NULL },
};

static const list_spec service_list_spec = {
    .from_sql = "services t",
    .where_sql = "t.deleted_at IS NULL",
    .id_sql = "t.id",
    .sorts = service_sorts,
    .default_sort = "name",
    .filters = service_filters,
};

static const entity_kind service_kind = { &service_record, &service_list_spec, "carrier_id", CUSTOMER_READ,
                                          service_prepare };

/* ---- params ---- */

#define IC_GROUPS \
    { "ingress_validation", F_OBJECT, 0, 0, 0, NULL, ingress_validation_fields }, \
    { "ingress_translation", F_OBJECT, 0, 0, 0, NULL, ingress_translation_fields }, \
    { "egress_routing", F_OBJECT, 0, 0, 0, NULL, egress_routing_fields }, \
    { "egress_translation", F_OBJECT, 0, 0, 0, NULL, egress_translation_fields }, \
    { "media", F_OBJECT, 0, 0, 0, NULL, media_fields }, \
    { "signalling", F_OBJECT, 0, 0, 0, NULL, signalling_fields }, \
    { "monitoring", F_OBJECT, 0, 0, 0, NULL, monitoring_fields }

#define IC_FIELDS(req) \
    { "name", F_STRING, req, 1, 128 }, \
    { "currency", F_CURRENCY, req }, \
    { "status", F_ENUM, 0, 0, 0, ic_statuses }, \
    { "capacity", F_INT, F_NULLABLE, 0, 1000000 }, \
    { "cps_limit", F_INT, F_NULLABLE, 0, 100000 }, \
    { "signalling_ips", F_ARRAY, 0, 0, 64, NULL, NULL, F_IP }, \
    { "tech_prefix", F_TECH_PREFIX, F_NULLABLE }, \
    { "codecs", F_ARRAY, 0, 0, 11, codecs, NULL, F_ENUM }, \
    { "supplier_rating_plan_id", F_ID, F_NULLABLE }, \
    { "trunk_group_id", F_ID, F_NULLABLE }, \
    IC_GROUPS

static const rpc_field ic_create_params[] = {
    { "carrier_id", F_ID, F_REQUIRED },
    { "direction", F_ENUM, F_REQUIRED, 0, 0, directions },
    IC_FIELDS(F_REQUIRED),
    { NULL },
};
static const rpc_field ic_update_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, IC_FIELDS(0), { NULL },
};
static const rpc_field id_params[] = { { "id", F_ID, F_REQUIRED }, { NULL } };
static const rpc_field delete_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { "cascade", F_BOOL }, { NULL },
};
static const rpc_field list_params[] = { LIST_PARAMS, { NULL } };

static const rpc_field np_fields[] = {
    { "status", F_ENUM, 0, 0, 0, (const char *const[]){ "disabled", "enabled", NULL } },
    { "plan", F_STRING, 0, 0, 64 },
    { NULL },
};
static const rpc_field blacklist_fields[] = {
    { "origination_ids", F_ARRAY, 0, 0, 32, NULL, NULL, F_ID },
    { "origination_exceptions", F_ARRAY, 0, 0, 256, NULL, NULL, F_PREFIX },
    { "destination_ids", F_ARRAY, 0, 0, 32, NULL, NULL, F_ID },
    { "destination_exceptions", F_ARRAY, 0, 0, 256, NULL, NULL, F_PREFIX },
    { NULL },
};
static const rpc_field matching_fields[] = {
    { "origination", F_ARRAY, 0, 0, 256, NULL, NULL, F_PREFIX },
    { "destination", F_ARRAY, 0, 0, 256, NULL, NULL, F_PREFIX },
    { NULL },
};

#define SERVICE_FIELDS(req) \
    { "name", F_STRING, req, 1, 128 }, \
    { "rating_plan_id", F_ID, req }, \
    { "routing_plan_id", F_ID, F_NULLABLE }, \
    { "tech_prefix", F_TECH_PREFIX, F_NULLABLE }, \
    { "capacity", F_INT, F_NULLABLE, 0, 1000000 }, \
    { "priority", F_INT, 0, -1000, 1000 }, \
    { "time_class_id", F_ID, F_NULLABLE }, \
    { "allow_transcoding", F_BOOL }, \
    { "routing_method", F_ENUM, 0, 0, 0, routing_methods }, \
    { "route_interconnect_id", F_ID, F_NULLABLE }, \
    { "enforcement", F_ENUM, 0, 0, 0, enforcements }, \
    { "status", F_ENUM, 0, 0, 0, service_statuses }, \
    { "number_portability", F_OBJECT, 0, 0, 0, NULL, np_fields }, \
    { "blacklists", F_OBJECT, 0, 0, 0, NULL, blacklist_fields }, \
    { "matching", F_OBJECT, 0, 0, 0, NULL, matching_fields }

static const rpc_field svc_create_params[] = { { "interconnect_id", F_ID, F_REQUIRED }, SERVICE_FIELDS(F_REQUIRED), { NULL } };
static const rpc_field svc_update_params[] = {
    { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, SERVICE_FIELDS(0), { NULL },
};
static const rpc_field svc_delete_params[] = { { "id", F_ID, F_REQUIRED }, { "version", F_INT, F_REQUIRED, 1 }, { NULL } };

const rpc_method interconnect_methods[] = {
    { "interconnect.create", entity_create, ROLES_ADMIN, RPC_MUTATES, ic_create_params, &interconnect_kind },
    { "interconnect.get", entity_get, ROLES_ANY, 0, id_params, &interconnect_kind },
    { "interconnect.update", entity_update, ROLES_ADMIN, RPC_MUTATES, ic_update_params, &interconnect_kind },
    { "interconnect.delete", interconnect_delete, ROLES_ADMIN, RPC_MUTATES, delete_params, &interconnect_kind },
    { "interconnect.list", entity_list, ROLES_ANY, 0, list_params, &interconnect_kind },
    { "service.create", entity_create, ROLES_ADMIN, RPC_MUTATES, svc_create_params, &service_kind },
    { "service.get", entity_get, ROLES_ANY, 0, id_params, &service_kind },
    { "service.update", entity_update, ROLES_ADMIN, RPC_MUTATES, svc_update_params, &service_kind },
    { "service.delete", entity_delete, ROLES_ADMIN, RPC_MUTATES, svc_delete_params, &service_kind },
    { "service.list", entity_list, ROLES_ANY, 0, list_params, &service_kind },
    { NULL },
};
