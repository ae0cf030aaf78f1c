/* Unit tests for registry/handlers through its pure entry point: every endpoint of the
 * reference's registry API and every error case (415/400/422/404/405/401/413), the compact
 * sorted output, query filters, heartbeats with status and load, the on-demand probe hand-off,
 * /stats, /metrics, and auth on and off. No sockets and no loop. */
#include "handlers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "metrics.h"
#include "store.h"

#define T0 1770715585.0 /* 2026-02-10T09:26:25+00:00 */
#define TS "2026-02-10T09:26:25+00:00"

struct fixture {
    struct reg_store *store;
    struct reg_metrics metrics;
    struct reg_handlers *h;
    struct reg_response resp;
};

static struct fixture fx;

static void setup(const char *token)
{
    struct reg_handlers_opts opts = {
        .store = NULL,
        .metrics = &fx.metrics,
        .auth_token = token,
        .max_body = 4096,
    };

    fx.store = reg_store_new(120, 300);
    opts.store = fx.store;
    reg_metrics_init(&fx.metrics, T0 - 42.5);
    fx.h = reg_handlers_new(&opts);
    reg_response_init(&fx.resp);
}

static void teardown(void)
{
    reg_response_free(&fx.resp);
    reg_handlers_free(fx.h);
    reg_store_free(fx.store);
}

/* Sends one request; `target` may carry a query; `ctype`/`auth`/`body` may be NULL.
 * Returns the body as a C string (valid until the next call). */
static const char *call_at(const char *method, const char *target, const char *ctype,
                           const char *auth, const char *body, double now)
{
    const char *q = strchr(target, '?');
    struct reg_request req = {
        .method = method,
        .path = {target, q != NULL ? (size_t)(q - target) : strlen(target)},
        .query = {q != NULL ? q + 1 : "", q != NULL ? strlen(q + 1) : 0},
        .content_type = slice_from_cstr(ctype),
        .authorization = slice_from_cstr(auth),
        .body = slice_from_cstr(body),
    };

    reg_handlers_handle(fx.h, &req, now, &fx.resp);
    return buf_cstr(&fx.resp.body);
}

static const char *call(const char *method, const char *target, const char *ctype, const char *body)
{
    return call_at(method, target, ctype, NULL, body, T0);
}

#define JSON "application/json"

static const char *reg_body(const char *name)
{
    static char text[512];

    snprintf(text, sizeof(text),
             "{\"name\":\"%s\",\"host\":\"10.0.0.1\",\"port\":8100,\"hostname\":\"node1\","
             "\"url\":\"http://10.0.0.1:8100\",\"status\":\"running\",\"metadata\":{\"type\":"
             "\"openai-api\",\"models\":[\"m\"]}}",
             name);
    return text;
}

static void register_ok(const char *name, double now)
{
    call_at("POST", "/services", JSON, NULL, reg_body(name), now);
    ASSERT_EQ(fx.resp.status, 201);
}

#define ASSERT_ERROR(status_, code_)                                                               \
    do {                                                                                           \
        ASSERT_EQ(fx.resp.status, (status_));                                                      \
        ASSERT_STR_EQ(fx.resp.content_type, "application/json");                                   \
        ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "{\"error\":{\"code\":\"" code_ "\"");            \
    } while (0)

TEST(health_endpoint)
{
    setup(NULL);
    register_ok("a", T0);
    ASSERT_STR_EQ(call("GET", "/health", NULL, NULL),
                  "{\"healthy_services\":1,\"registered_services\":1,\"registry\":\"running\","
                  "\"status\":\"healthy\",\"timestamp\":\"" TS "\"}");
    ASSERT_EQ(fx.resp.status, 200);
    call("HEAD", "/health", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    teardown();
}

TEST(register_compact_sorted)
{
    setup(NULL);
    ASSERT_STR_EQ(call("POST", "/services", JSON, reg_body("x")),
                  "{\"message\":\"Service 'x' registered successfully\",\"service\":{"
                  "\"health_status\":\"unknown\",\"host\":\"10.0.0.1\",\"hostname\":\"node1\","
                  "\"is_healthy\":true,\"last_heartbeat\":1770715585.0,\"metadata\":{\"models\":"
                  "[\"m\"],\"type\":\"openai-api\"},\"name\":\"x\",\"port\":8100,\"status\":"
                  "\"running\",\"timestamp\":\"" TS "\",\"url\":\"http://10.0.0.1:8100\"}}");
    ASSERT_EQ(fx.resp.status, 201);
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "\"name\":\"x\"");
    ASSERT_EQ(fx.metrics.registrations, 1);
    teardown();
}

TEST(register_replaces_existing)
{
    setup(NULL);
    register_ok("x", T0);
    reg_store_get(fx.store, "x")->health = REG_HEALTH_HEALTHY;
    call_at("POST", "/services", "application/json; charset=utf-8", NULL, reg_body("x"), T0 + 9);
    ASSERT_EQ(fx.resp.status, 201);
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "\"health_status\":\"unknown\"");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "\"last_heartbeat\":1770715594.0");
    ASSERT_EQ(reg_store_count(fx.store), 1);
    ASSERT_EQ(fx.metrics.replacements, 1);
    teardown();
}

TEST(register_keeps_unknown_fields_and_load)
{
    setup(NULL);
    call("POST", "/services", JSON,
         "{\"name\":\"x\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
         "\"running\",\"timestamp\":\"client-time\",\"zone\":\"eu\",\"load\":{\"in_flight\":4,"
         "\"kv_usage\":0.5}}");
    ASSERT_EQ(fx.resp.status, 201);
    call("GET", "/services/x", NULL, NULL);
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body),
                    "\"load\":{\"in_flight\":4,\"kv_usage\":0.5,\"updated\":1770715585}");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "\"timestamp\":\"" TS "\",\"url\":\"u\","
                                             "\"zone\":\"eu\"}");
    teardown();
}

TEST(register_content_type_415)
{
    setup(NULL);
    call("POST", "/services", NULL, reg_body("x"));
    ASSERT_ERROR(415, "unsupported_media_type");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "Content-Type: application/json");
    call("POST", "/services", "text/plain", reg_body("x"));
    ASSERT_ERROR(415, "unsupported_media_type");
    call("POST", "/services", "application/jsonx", reg_body("x"));
    ASSERT_ERROR(415, "unsupported_media_type");
    call("POST", "/services", "Application/JSON", reg_body("x"));
    ASSERT_EQ(fx.resp.status, 201);
    call("POST", "/services", "application/vnd.api+json", reg_body("y"));
    ASSERT_EQ(fx.resp.status, 201);
    teardown();
}

TEST(register_malformed_400)
{
    setup(NULL);
    call("POST", "/services", JSON, "{\"name\":");
    ASSERT_ERROR(400, "bad_request");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "Failed to parse the request body as JSON");
    call("POST", "/services", JSON, "");
    ASSERT_ERROR(400, "bad_request");
    call("POST", "/services", JSON, "{} trailing");
    ASSERT_ERROR(400, "bad_request");
    ASSERT_EQ(reg_store_count(fx.store), 0);
    teardown();
}

TEST(register_misfit_422)
{
    static const char *const bodies[] = {
        "[]",
        "\"x\"",
        "{\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\",\"status\":\"s\"}",
        "{\"name\":\"x\",\"host\":\"h\",\"port\":70000,\"hostname\":\"h\",\"url\":\"u\","
        "\"status\":\"s\"}",
        "{\"name\":\"x\",\"host\":\"h\",\"port\":80.5,\"hostname\":\"h\",\"url\":\"u\","
        "\"status\":\"s\"}",
        "{\"name\":\"x\",\"host\":1,\"port\":80,\"hostname\":\"h\",\"url\":\"u\",\"status\":\"s\"}",
        "{\"name\":\"x\",\"host\":\"h\",\"port\":80,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
        "\"s\",\"metadata\":\"m\"}",
        "{\"name\":\"x\",\"host\":\"h\",\"port\":80,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
        "\"s\",\"load\":{\"kv_usage\":7}}",
    };

    setup(NULL);
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        call("POST", "/services", JSON, bodies[i]);
        ASSERT_ERROR(422, "unprocessable_entity");
        ASSERT_CONTAINS(buf_cstr(&fx.resp.body),
                        "Failed to deserialize the JSON body into the target type");
    }
    ASSERT_EQ(reg_store_count(fx.store), 0);
    teardown();
}

TEST(get_record_and_404)
{
    setup(NULL);
    register_ok("a b/c", T0);
    const char *body = call("GET", "/services/a%20b%2Fc", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_TRUE(strncmp(body, "{\"health_status\":\"unknown\",", 27) == 0);
    ASSERT_CONTAINS(body, "\"name\":\"a b/c\"");
    call("GET", "/services/nope", NULL, NULL);
    ASSERT_ERROR(404, "not_found");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "Service 'nope' not found");
    call("GET", "/services/bad%zz", NULL, NULL);
    ASSERT_ERROR(400, "bad_request");
    teardown();
}

TEST(put_updates_record)
{
    setup(NULL);
    register_ok("x", T0);
    const char *body =
        call_at("PUT", "/services/x", JSON, NULL,
                "{\"port\":9000,\"status\":\"busy\",\"metadata\":{\"k\":\"v\"}}", T0 + 30);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_TRUE(
        strncmp(body, "{\"message\":\"Service 'x' updated successfully\",\"service\":{", 57) == 0);
    ASSERT_CONTAINS(body, "\"metadata\":{\"k\":\"v\"}");
    ASSERT_CONTAINS(body, "\"port\":9000");
    ASSERT_CONTAINS(body, "\"last_heartbeat\":1770715615.0");
    ASSERT_CONTAINS(body, "\"host\":\"10.0.0.1\"");
    ASSERT_CONTAINS(body, "\"is_healthy\":false");
    call("PUT", "/services/nope", JSON, "{}");
    ASSERT_ERROR(404, "not_found");
    call("PUT", "/services/x", NULL, "{}");
    ASSERT_ERROR(415, "unsupported_media_type");
    call("PUT", "/services/x", JSON, "{");
    ASSERT_ERROR(400, "bad_request");
    call("PUT", "/services/x", JSON, "{\"port\":\"x\"}");
    ASSERT_ERROR(422, "unprocessable_entity");
    call("PUT", "/services/x", JSON, "[1]");
    ASSERT_ERROR(422, "unprocessable_entity");
    ASSERT_EQ(reg_store_get(fx.store, "x")->port, 9000);
    teardown();
}

TEST(delete_record)
{
    setup(NULL);
    register_ok("x", T0);
    ASSERT_STR_EQ(call("DELETE", "/services/x", NULL, NULL),
                  "{\"message\":\"Service 'x' unregistered successfully\"}");
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_EQ(reg_store_count(fx.store), 0);
    call("DELETE", "/services/x", NULL, NULL);
    ASSERT_ERROR(404, "not_found");
    ASSERT_EQ(fx.metrics.deregistrations, 1);
    teardown();
}

TEST(heartbeat_refreshes_and_applies_body)
{
    setup(NULL);
    register_ok("x", T0);
    ASSERT_STR_EQ(call_at("POST", "/services/x/heartbeat", NULL, NULL, NULL, T0 + 0.9),
                  "{\"message\":\"Heartbeat received\",\"timestamp\":\"" TS "\"}");
    ASSERT_EQ(fx.resp.status, 200);
    struct reg_record *rec = reg_store_get(fx.store, "x");
    call_at("POST", "/services/x/heartbeat", NULL, NULL, NULL, T0 + 100.5);
    ASSERT_TRUE(rec->last_heartbeat == T0 + 100);
    /* Not JSON: the body is ignored. */
    call_at("POST", "/services/x/heartbeat", "text/plain", NULL, "{\"status\":\"a\"}", T0 + 101);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_STR_EQ(rec->status, "running");
    /* Malformed JSON or a non-string status: ignored too. */
    call_at("POST", "/services/x/heartbeat", JSON, NULL, "{\"status\":", T0 + 102);
    ASSERT_EQ(fx.resp.status, 200);
    call_at("POST", "/services/x/heartbeat", JSON, NULL, "{\"status\":5}", T0 + 102);
    ASSERT_STR_EQ(rec->status, "running");
    call_at("POST", "/services/x/heartbeat", JSON, NULL,
            "{\"status\":\"draining\",\"load\":{\"in_flight\":7,\"waiting\":2}}", T0 + 103);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_STR_EQ(rec->status, "draining");
    call("GET", "/services/x", NULL, NULL);
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body),
                    "\"load\":{\"in_flight\":7,\"updated\":1770715688,\"waiting\":2}");
    /* An invalid load is refused and changes nothing. */
    call_at("POST", "/services/x/heartbeat", JSON, NULL,
            "{\"status\":\"running\",\"load\":{\"in_flight\":\"many\"}}", T0 + 110);
    ASSERT_ERROR(422, "unprocessable_entity");
    ASSERT_STR_EQ(rec->status, "draining");
    ASSERT_TRUE(rec->last_heartbeat == T0 + 103);
    ASSERT_EQ(fx.metrics.heartbeats, 6);
    teardown();
}

TEST(heartbeat_unknown_404)
{
    setup(NULL);
    call("POST", "/services/ghost/heartbeat", NULL, NULL);
    ASSERT_ERROR(404, "not_found");
    ASSERT_CONTAINS(buf_cstr(&fx.resp.body), "Service 'ghost' not found");
    ASSERT_EQ(fx.metrics.unknown_heartbeats, 1);
    call("GET", "/services/ghost/heartbeat", NULL, NULL);
    ASSERT_ERROR(405, "method_not_allowed");
    ASSERT_STR_EQ(fx.resp.allow, "POST");
    teardown();
}

static size_t listed(const char *target, double now, const char *must_contain)
{
    const char *body = call_at("GET", target, NULL, NULL, NULL, now);
    size_t n = 0;

    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_TRUE(strncmp(body, "{\"services\":[", 13) == 0);
    if (must_contain != NULL)
        ASSERT_CONTAINS(body, must_contain);
    for (const char *p = body; (p = strstr(p, "\"health_status\"")) != NULL; p++)
        n++;
    const char *total = strstr(body, "\"total\":");
    ASSERT_NOT_NULL(total);
    ASSERT_EQ(strtol(total + 8, NULL, 10), (long)n);
    return n;
}

TEST(list_filters)
{
    setup(NULL);
    register_ok("fresh", T0 + 100);
    register_ok("stale", T0);
    register_ok("idle", T0 + 100);
    reg_record_set_status(reg_store_get(fx.store, "idle"), "stopped");
    const double now = T0 + 150;
    ASSERT_EQ(listed("/services", now, NULL), 3);
    ASSERT_EQ(listed("/services?healthy=true", now, "\"name\":\"fresh\""), 1);
    ASSERT_EQ(listed("/services?healthy=TRUE", now, "\"name\":\"fresh\""), 1);
    ASSERT_EQ(listed("/services?healthy=false", now, NULL), 2);
    ASSERT_EQ(listed("/services?healthy=yes", now, NULL), 2);
    ASSERT_EQ(listed("/services?healthy=", now, NULL), 2);
    ASSERT_EQ(listed("/services?status=running", now, NULL), 2);
    ASSERT_EQ(listed("/services?status=stopped&healthy=false", now, "\"name\":\"idle\""), 1);
    ASSERT_EQ(listed("/services?status=Running", now, NULL), 0);
    ASSERT_CONTAINS(call_at("GET", "/services?status=none", NULL, NULL, NULL, T0),
                    "{\"services\":[],\"timestamp\":\"" TS "\",\"total\":0}");
    teardown();
}

TEST(stats_endpoint)
{
    setup(NULL);
    register_ok("a", T0);
    register_ok("b", T0);
    reg_record_set_status(reg_store_get(fx.store, "b"), "stopped");
    ASSERT_STR_EQ(call("GET", "/stats", NULL, NULL),
                  "{\"healthy_services\":1,\"host_distribution\":{\"10.0.0.1\":2},"
                  "\"status_distribution\":{\"running\":1,\"stopped\":1},\"timestamp\":\"" TS "\","
                  "\"total_services\":2,\"unhealthy_services\":1,\"uptime\":42}");
    teardown();
}

TEST(metrics_endpoint)
{
    setup("s3cret");
    call_at("POST", "/services", JSON, "Bearer s3cret", reg_body("a"), T0);
    call("POST", "/services/a/heartbeat", NULL, NULL); /* 401 */
    call_at("POST", "/services/zz/heartbeat", NULL, "Bearer s3cret", NULL, T0);
    const char *text = call("GET", "/metrics", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_CONTAINS(fx.resp.content_type, "text/plain; version=0.0.4");
    ASSERT_CONTAINS(text, "infini_registry_services 1\n");
    ASSERT_CONTAINS(text, "infini_registry_services_healthy 1\n");
    ASSERT_CONTAINS(text, "infini_registry_requests_total{endpoint=\"register\",code=\"201\"} 1\n");
    ASSERT_CONTAINS(text,
                    "infini_registry_requests_total{endpoint=\"heartbeat\",code=\"401\"} 1\n");
    ASSERT_CONTAINS(text, "infini_registry_unknown_heartbeats_total 1\n");
    ASSERT_CONTAINS(text, "infini_registry_auth_failures_total 1\n");
    ASSERT_CONTAINS(text, "infini_registry_registrations_total{kind=\"new\"} 1\n");
    ASSERT_CONTAINS(text, "infini_registry_state_write_failures_total 0\n");
    ASSERT_CONTAINS(text, "infini_registry_probes_total{result=\"healthy\"} 0\n");
    ASSERT_CONTAINS(text, "infini_registry_uptime_seconds 42.5\n");
    teardown();
}

TEST(unknown_paths_404_and_wrong_methods_405)
{
    static const char *const paths[] = {"/",
                                        "/services/",
                                        "/services/x/",
                                        "/health/",
                                        "/services/x/other",
                                        "/services//health",
                                        "/v1/models",
                                        "/services/x/health/more"};

    setup(NULL);
    register_ok("x", T0);
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        call("GET", paths[i], NULL, NULL);
        ASSERT_ERROR(404, "not_found");
    }
    struct {
        const char *method, *path, *allow;
    } wrong[] = {
        {"POST", "/health", "GET, HEAD"},
        {"DELETE", "/services", "GET, HEAD, POST"},
        {"POST", "/services/x", "DELETE, GET, HEAD, PUT"},
        {"PUT", "/stats", "GET, HEAD"},
        {"POST", "/metrics", "GET, HEAD"},
        {"DELETE", "/services/x/health", "GET, HEAD"},
    };
    for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
        call(wrong[i].method, wrong[i].path, JSON, "{}");
        ASSERT_ERROR(405, "method_not_allowed");
        ASSERT_STR_EQ(fx.resp.allow, wrong[i].allow);
    }
    ASSERT_EQ(reg_store_count(fx.store), 1);
    teardown();
}

TEST(body_too_large_413)
{
    char *big = malloc(5000);

    setup(NULL);
    memset(big, ' ', 4999);
    big[4999] = '\0';
    big[0] = '{';
    big[4998] = '}';
    call("POST", "/services", JSON, big);
    ASSERT_ERROR(413, "payload_too_large");
    big[4096] = '\0';
    big[4095] = '}';
    call("POST", "/services", JSON, big); /* exactly the limit: parsed (and misfit) */
    ASSERT_ERROR(422, "unprocessable_entity");
    free(big);
    teardown();
}

TEST(auth_required_for_writes)
{
    setup("s3cret");
    call("POST", "/services", JSON, reg_body("x"));
    ASSERT_ERROR(401, "unauthorized");
    ASSERT_TRUE(fx.resp.auth_challenge);
    call_at("POST", "/services", JSON, "Bearer wrong", reg_body("x"), T0);
    ASSERT_ERROR(401, "unauthorized");
    call_at("POST", "/services", JSON, "Bearer s3cre", reg_body("x"), T0);
    ASSERT_ERROR(401, "unauthorized");
    call_at("POST", "/services", JSON, "Bearer s3cret2", reg_body("x"), T0);
    ASSERT_ERROR(401, "unauthorized");
    call_at("POST", "/services", JSON, "Basic s3cret", reg_body("x"), T0);
    ASSERT_ERROR(401, "unauthorized");
    ASSERT_EQ(reg_store_count(fx.store), 0);
    call_at("POST", "/services", JSON, "bearer s3cret", reg_body("x"), T0);
    ASSERT_EQ(fx.resp.status, 201);
    /* Reads stay open. */
    call("GET", "/services/x", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    call("GET", "/services", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    /* Heartbeats, updates and deletes are writes. */
    call("POST", "/services/x/heartbeat", NULL, NULL);
    ASSERT_ERROR(401, "unauthorized");
    call("PUT", "/services/x", JSON, "{}");
    ASSERT_ERROR(401, "unauthorized");
    call("DELETE", "/services/x", NULL, NULL);
    ASSERT_ERROR(401, "unauthorized");
    call_at("POST", "/services/x/heartbeat", NULL, "Bearer s3cret", NULL, T0);
    ASSERT_EQ(fx.resp.status, 200);
    call_at("DELETE", "/services/x", NULL, "Bearer s3cret", NULL, T0);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_EQ(fx.metrics.auth_failures, 8);
    teardown();
}

TEST(auth_off_accepts_any_header)
{
    setup("");
    call_at("POST", "/services", JSON, "Bearer whatever", reg_body("x"), T0);
    ASSERT_EQ(fx.resp.status, 201);
    call("DELETE", "/services/x", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_EQ(fx.metrics.auth_failures, 0);
    teardown();
}

TEST(probe_hand_off)
{
    setup(NULL);
    register_ok("x", T0);
    call("GET", "/services/x/health", NULL, NULL);
    ASSERT_EQ(fx.resp.status, 0);
    ASSERT_STR_EQ(fx.resp.probe_name, "x");
    reg_handlers_probe_done(fx.h, "x", 1, T0 + 200, &fx.resp);
    ASSERT_EQ(fx.resp.status, 200);
    ASSERT_STR_EQ(buf_cstr(&fx.resp.body),
                  "{\"health_status\":\"healthy\",\"is_healthy\":true,\"last_heartbeat\":"
                  "1770715785.0,\"service\":\"x\",\"timestamp\":\"2026-02-10T09:29:45+00:00\"}");
    reg_handlers_probe_done(fx.h, "x", 0, T0 + 400, &fx.resp);
    ASSERT_STR_EQ(buf_cstr(&fx.resp.body),
                  "{\"health_status\":\"unhealthy\",\"is_healthy\":false,\"last_heartbeat\":"
                  "1770715785.0,\"service\":\"x\",\"timestamp\":\"2026-02-10T09:33:05+00:00\"}");
    reg_handlers_probe_done(fx.h, "gone", 1, T0, &fx.resp);
    ASSERT_ERROR(404, "not_found");
    reg_handlers_probe_done(fx.h, "x", -1, T0, &fx.resp);
    ASSERT_ERROR(503, "service_unavailable");
    call("GET", "/services/nope/health", NULL, NULL);
    ASSERT_ERROR(404, "not_found");
    ASSERT_NULL(fx.resp.probe_name);
    teardown();
}

HARNESS_MAIN(CASE(health_endpoint), CASE(register_compact_sorted), CASE(register_replaces_existing),
             CASE(register_keeps_unknown_fields_and_load), CASE(register_content_type_415),
             CASE(register_malformed_400), CASE(register_misfit_422), CASE(get_record_and_404),
             CASE(put_updates_record), CASE(delete_record),
             CASE(heartbeat_refreshes_and_applies_body), CASE(heartbeat_unknown_404),
             CASE(list_filters), CASE(stats_endpoint), CASE(metrics_endpoint),
             CASE(unknown_paths_404_and_wrong_methods_405), CASE(body_too_large_413),
             CASE(auth_required_for_writes), CASE(auth_off_accepts_any_header),
             CASE(probe_hand_off))
