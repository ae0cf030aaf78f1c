/* libFuzzer target for the registry's pure HTTP entry point. The first three bytes choose the
 * request; the rest is its body (or its query / path):
 *   byte 0, bits 0-2: POST /services, PUT /services/N, POST /services/N/heartbeat,
 *                     GET /services?<rest>, DELETE /services/N, GET /services/N,
 *                     GET /health|/stats|/metrics|/services/N/health, <method> <rest as path>
 *           bit 3:    Content-Type: application/json (else none or text/plain)
 *           bits 4-5: Authorization: none, right token, wrong token, lower-case scheme
 *           bit 6:    afterwards, round-trip the store through the state-file format
 *           bit 7:    afterwards, run an expiry sweep
 *   byte 1: N (one of a few names) and the method for raw paths
 *   byte 2: the clock, in 10 s steps from a fixed start
 * The store persists across inputs (so registrations meet heartbeats and updates) but is reset
 * when it grows past a bound. Invariants checked: every JSON response parses, and the state file
 * of any store decodes into an identical store. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "handlers.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "persist.h"
#include "store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define T0        1770715585.0
#define MAX_STORE 32 /* keeps listings and state round trips cheap */

static const char *const names[] = {"a", "b", "x%20y", "svc-1", "%2F", "a%", "", "b%20"};
static const char *const methods[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};
static const char *const auths[] = {NULL, "Bearer tok", "Bearer nope", "bearer tok"};

static struct reg_store *store;
static struct reg_metrics metrics;
static struct reg_handlers *handlers;
static struct reg_response resp;

static void reset(void)
{
    struct reg_handlers_opts opts = {.metrics = &metrics, .auth_token = "tok", .max_body = 16384};

    reg_handlers_free(handlers);
    reg_store_free(store);
    store = reg_store_new(120, 300);
    opts.store = store;
    handlers = reg_handlers_new(&opts);
    if (resp.body.max == 0) {
        log_set_level(LOG_LEVEL_ERROR); /* one info line per registration is just noise here */
        reg_metrics_init(&metrics, T0);
        reg_response_init(&resp);
    }
}

static void check_response(void)
{
    if (resp.status < 200 || resp.status > 599 || resp.content_type == NULL)
        __builtin_trap();
    if (strcmp(resp.content_type, "application/json") != 0)
        return;
    cJSON *doc = json_parse(resp.body.data, resp.body.len, NULL);
    if (!cJSON_IsObject(doc))
        __builtin_trap();
    cJSON_Delete(doc);
}

/* Encodes the store, decodes it into a fresh one and compares the two encodings. */
static void check_round_trip(double now)
{
    struct reg_store *copy = reg_store_new(120, 300);
    struct buf a, b;
    size_t count = 0;

    buf_init(&a, BUF_UNLIMITED);
    buf_init(&b, BUF_UNLIMITED);
    if (reg_persist_encode(store, now, &a) < 0 ||
        reg_persist_decode(a.data, a.len, copy, now, &count, NULL) < 0 ||
        count != reg_store_count(store) || reg_persist_encode(copy, now, &b) < 0 ||
        a.len != b.len || memcmp(a.data, b.data, a.len) != 0)
        __builtin_trap();
    buf_free(&a);
    buf_free(&b);
    reg_store_free(copy);
}

static void build_target(struct buf *target, uint8_t sel, const char *name, struct slice rest,
                         struct slice *body)
{
    static const char *const fixed[] = {"/health", "/stats", "/metrics", NULL};

    switch (sel & 7) {
    case 0:
        buf_append_str(target, "/services");
        return;
    case 1:
    case 4:
    case 5:
        buf_appendf(target, "/services/%s", name);
        return;
    case 2:
        buf_appendf(target, "/services/%s/heartbeat", name);
        return;
    case 3:
        buf_append_str(target, "/services?");
        buf_append_slice(target, rest);
        *body = (struct slice){"", 0};
        return;
    case 6:
        if (fixed[(sel >> 4) & 3] != NULL)
            buf_append_str(target, fixed[(sel >> 4) & 3]);
        else
            buf_appendf(target, "/services/%s/health", name);
        return;
    default:
        buf_append_slice(target, rest);
        *body = (struct slice){"", 0};
        return;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const sel_methods[] = {"POST", "PUT", "POST", "GET", "DELETE", "GET", "GET"};
    struct buf target;

    if (size < 3)
        return 0;
    if (store == NULL || reg_store_count(store) > MAX_STORE)
        reset();
    uint8_t sel = data[0], pick = data[1];
    double now = T0 + 10.0 * data[2];
    struct slice rest = {(const char *)data + 3, size - 3};
    struct slice body = rest;
    buf_init(&target, 1 << 20);
    build_target(&target, sel, names[pick & 7], rest, &body);
    const char *q = memchr(target.data, '?', target.len);
    struct reg_request req = {
        .method = (sel & 7) == 7 ? methods[(pick >> 3) % 6] : sel_methods[sel & 7],
        .path = {target.data, q != NULL ? (size_t)(q - target.data) : target.len},
        .query = {q != NULL ? q + 1 : "",
                  q != NULL ? target.len - (size_t)(q - target.data) - 1 : 0},
        .content_type = slice_from_cstr((sel & 8) ? "application/json; charset=utf-8"
                                                  : ((pick & 0x40) ? "text/plain" : NULL)),
        .authorization = slice_from_cstr(auths[(sel >> 4) & 3]),
        .body = body,
    };
    reg_handlers_handle(handlers, &req, now, &resp);
    if (resp.status == 0) {
        char *name = resp.probe_name;
        resp.probe_name = NULL;
        reg_handlers_probe_done(handlers, name,
                                (pick & 0x80)   ? 1
                                : (pick & 0x40) ? 0
                                                : -1,
                                now + 1, &resp);
        free(name);
    }
    check_response();
    if (sel & 0x40)
        check_round_trip(now);
    if (sel & 0x80)
        reg_store_expire(store, now, NULL, NULL);
    buf_free(&target);
    return 0;
}
