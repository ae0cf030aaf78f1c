/* Unit tests for registry/record, registry/store, registry/persist and registry/persister:
 * registration and replacement, liveness at the timeout boundary, expiry, filters, load objects,
 * unknown fields, the wire form, state-file round trips with heartbeat shifting, corrupt state
 * files (refused, left untouched) and the debounced writer on a private loop. */
#include "store.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include "buf.h"
#include "err.h"
#include "harness.h"
#include "json.h"
#include "metrics.h"
#include "persist.h"
#include "persister.h"
#include "record.h"

#define T0 1770715585.0 /* 2026-02-10T09:26:25+00:00 */

static cJSON *parse(const char *text)
{
    cJSON *doc = json_parse(text, strlen(text), NULL);

    ASSERT_NOT_NULL(doc);
    return doc;
}

static struct reg_record *make(const char *text, double now)
{
    struct err_msg err = {0};
    cJSON *doc = parse(text);
    struct reg_record *rec = reg_record_from_json(doc, REG_RECORD_REGISTER, now, &err);

    cJSON_Delete(doc);
    if (rec == NULL)
        HARNESS_FAIL_("record rejected: %s", err.msg);
    return rec;
}

/* A registration body for `name` with `status`. */
static struct reg_record *make_named(const char *name, const char *status, double now)
{
    char text[512];

    snprintf(text, sizeof(text),
             "{\"name\":\"%s\",\"host\":\"127.0.0.1\",\"port\":8100,\"hostname\":\"h\","
             "\"url\":\"http://127.0.0.1:8100\",\"status\":\"%s\"}",
             name, status);
    return make(text, now);
}

/* Returns the rejection message of a registration body (fails if it is accepted). */
static const char *rejected(const char *text, struct err_msg *err)
{
    cJSON *doc = parse(text);
    struct reg_record *rec = reg_record_from_json(doc, REG_RECORD_REGISTER, T0, err);

    cJSON_Delete(doc);
    if (rec != NULL)
        HARNESS_FAIL_("accepted: %s", text);
    return err->msg;
}

static char *print(const struct reg_record *rec, double now)
{
    struct buf out;

    buf_init(&out, BUF_UNLIMITED);
    ASSERT_OK(reg_record_print(rec, now, 120, true, &out));
    return buf_take(&out, NULL);
}

TEST(register_and_lookup)
{
    struct reg_store *s = reg_store_new(120, 300);

    ASSERT_FALSE(reg_store_put(s, make_named("a", "running", T0)));
    ASSERT_FALSE(reg_store_put(s, make_named("b", "running", T0)));
    ASSERT_EQ(reg_store_count(s), 2);
    struct reg_record *a = reg_store_get(s, "a");
    ASSERT_NOT_NULL(a);
    ASSERT_STR_EQ(a->host, "127.0.0.1");
    ASSERT_EQ(a->port, 8100);
    ASSERT_STR_EQ(a->timestamp, "2026-02-10T09:26:25+00:00");
    ASSERT_TRUE(a->last_heartbeat == T0);
    ASSERT_EQ(a->health, REG_HEALTH_UNKNOWN);
    ASSERT_NULL(reg_store_get(s, "c"));
    ASSERT_STR_EQ(reg_store_first(s)->name, "a");
    ASSERT_STR_EQ(reg_store_next(reg_store_first(s))->name, "b");
    ASSERT_OK(reg_store_remove(s, "a"));
    ASSERT_EQ(reg_store_remove(s, "a"), SVC_ENOTFOUND);
    ASSERT_EQ(reg_store_count(s), 1);
    reg_store_free(s);
}

TEST(replace_resets_record)
{
    struct reg_store *s = reg_store_new(120, 300);

    reg_store_put(s, make_named("a", "running", T0));
    struct reg_record *old = reg_store_get(s, "a");
    old->health = REG_HEALTH_HEALTHY;
    uint64_t old_id = old->id;
    ASSERT_TRUE(reg_store_put(s, make_named("a", "starting", T0 + 10)));
    struct reg_record *rec = reg_store_get(s, "a");
    ASSERT_EQ(reg_store_count(s), 1);
    ASSERT_EQ(rec->health, REG_HEALTH_UNKNOWN);
    ASSERT_STR_EQ(rec->status, "starting");
    ASSERT_TRUE(rec->last_heartbeat == T0 + 10);
    ASSERT_NE(rec->id, old_id);
    reg_store_free(s);
}

TEST(healthy_at_timeout_boundary)
{
    struct reg_store *s = reg_store_new(120, 300);

    reg_store_put(s, make_named("a", "running", T0 + 0.7)); /* heartbeat stored as T0 */
    struct reg_record *a = reg_store_get(s, "a");
    ASSERT_TRUE(a->last_heartbeat == T0);
    ASSERT_TRUE(reg_store_is_healthy(s, a, T0 + 119.999));
    ASSERT_FALSE(reg_store_is_healthy(s, a, T0 + 120));
    reg_record_heartbeat(a, T0 + 120);
    ASSERT_TRUE(reg_store_is_healthy(s, a, T0 + 120.5));
    reg_record_set_status(a, "stopped");
    ASSERT_FALSE(reg_store_is_healthy(s, a, T0 + 120.5));
    ASSERT_EQ(reg_store_healthy_count(s, T0 + 120.5), 0);
    reg_store_free(s);
}

static int expired_seen;

static void on_expired(void *ud, const struct reg_record *rec, double age)
{
    (void)ud;
    ASSERT_STR_EQ(rec->name, "old");
    ASSERT_TRUE(age > 300);
    expired_seen++;
}

TEST(expiry_after_expire_after)
{
    struct reg_store *s = reg_store_new(120, 300);

    reg_store_put(s, make_named("old", "running", T0));
    reg_store_put(s, make_named("new", "running", T0 + 100));
    ASSERT_EQ(reg_store_expire(s, T0 + 300, on_expired, NULL), 0);
    ASSERT_EQ(reg_store_expire(s, T0 + 300.5, on_expired, NULL), 1);
    ASSERT_EQ(expired_seen, 1);
    ASSERT_NULL(reg_store_get(s, "old"));
    ASSERT_NOT_NULL(reg_store_get(s, "new"));
    ASSERT_EQ(reg_store_expire(s, T0 + 401, NULL, NULL), 1);
    ASSERT_EQ(reg_store_count(s), 0);
    reg_store_free(s);
}

TEST(filters_status_and_healthy)
{
    struct reg_store *s = reg_store_new(120, 300);
    const double now = T0 + 130;

    reg_store_put(s, make_named("up", "running", T0 + 100));
    reg_store_put(s, make_named("stale", "running", T0));
    reg_store_put(s, make_named("idle", "stopped", T0 + 100));
    struct reg_filter running = {"running", -1}, healthy = {NULL, 1}, unhealthy = {NULL, 0};
    struct reg_filter both = {"running", 0}, any = {NULL, -1};
    const char *expect_running[] = {"up", "stale"};
    size_t n = 0;
    for (struct reg_record *r = reg_store_first(s); r != NULL; r = reg_store_next(r)) {
        if (reg_store_matches(s, r, &running, now))
            ASSERT_STR_EQ(r->name, expect_running[n++]);
        ASSERT_TRUE(reg_store_matches(s, r, &any, now));
        ASSERT_EQ(reg_store_matches(s, r, &healthy, now), strcmp(r->name, "up") == 0);
        ASSERT_EQ(reg_store_matches(s, r, &unhealthy, now), strcmp(r->name, "up") != 0);
        ASSERT_EQ(reg_store_matches(s, r, &both, now), strcmp(r->name, "stale") == 0);
    }
    ASSERT_EQ(n, 2);
    reg_store_free(s);
}

TEST(load_object_stored)
{
    struct reg_record *rec =
        make("{\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\","
             "\"status\":\"running\",\"load\":{\"in_flight\":3,\"running\":2,\"waiting\":1,"
             "\"kv_usage\":0.25}}",
             T0 + 0.5);
    char *text = print(rec, T0);

    ASSERT_CONTAINS(text, "\"load\":{\"in_flight\":3,\"kv_usage\":0.25,\"running\":2,"
                          "\"updated\":1770715585,\"waiting\":1}");
    free(text);
    cJSON *load = NULL;
    struct err_msg err = {0};
    cJSON *given = parse("{\"in_flight\":1,\"updated\":17}");
    ASSERT_OK(reg_record_parse_load(given, T0, &load, &err));
    reg_record_set_load(rec, load);
    text = print(rec, T0);
    ASSERT_CONTAINS(text, "\"load\":{\"in_flight\":1,\"updated\":17}");
    free(text);
    cJSON_Delete(given);
    const char *bad[] = {
        "[1]", "{\"in_flight\":\"3\"}", "{\"kv_usage\":1.5}", "{\"waiting\":-1}", "{\"x\":null}",
        "3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *b = parse(bad[i]);
        ASSERT_EQ(reg_record_parse_load(b, T0, &load, &err), SVC_EPARSE);
        ASSERT_NULL(load);
        ASSERT_CONTAINS(err.msg, "load");
        cJSON_Delete(b);
    }
    reg_record_free(rec);
}

TEST(unknown_fields_echoed)
{
    struct reg_record *rec =
        make("{\"zeta\":[1,{\"b\":2,\"a\":1}],\"name\":\"a\",\"host\":\"h\",\"port\":1,"
             "\"hostname\":\"h\",\"url\":\"u\",\"status\":\"running\",\"alpha\":true,"
             "\"is_healthy\":false,\"health_status\":\"healthy\",\"last_heartbeat\":1,"
             "\"timestamp\":\"ignored\",\"weight\":3}",
             T0);
    char *text = print(rec, T0);

    ASSERT_STR_EQ(text, "{\"alpha\":true,\"health_status\":\"unknown\",\"host\":\"h\","
                        "\"hostname\":\"h\",\"is_healthy\":true,\"last_heartbeat\":1770715585.0,"
                        "\"metadata\":{},\"name\":\"a\",\"port\":1,\"status\":\"running\","
                        "\"timestamp\":\"2026-02-10T09:26:25+00:00\",\"url\":\"u\","
                        "\"weight\":3,\"zeta\":[1,{\"a\":1,\"b\":2}]}");
    free(text);
    reg_record_free(rec);
    /* A repeated unknown key keeps its last value. */
    rec = make("{\"k\":1,\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\","
               "\"url\":\"u\",\"status\":\"s\",\"k\":2,\"j\":0,\"k\":3}",
               T0);
    text = print(rec, T0);
    ASSERT_CONTAINS(text, "{\"health_status\":\"unknown\",\"host\":\"h\",\"hostname\":\"h\","
                          "\"is_healthy\":false,\"j\":0,\"k\":3,\"last_heartbeat\":");
    free(text);
    reg_record_free(rec);
}

TEST(wire_form_compact_sorted)
{
    struct reg_record *rec = make(
        "{\"name\":\"master-server\",\"host\":\"0.0.0.0\",\"port\":8100,\"hostname\":\"0.0.0.0\","
        "\"url\":\"http://0.0.0.0:8100\",\"status\":\"running\",\"metadata\":{\"type\":"
        "\"openai-api\",\"models\":[\"m\"],\"babysitter\":\"enhanced\"}}",
        T0);
    char *text = print(rec, T0 + 1);

    ASSERT_STR_EQ(text, "{\"health_status\":\"unknown\",\"host\":\"0.0.0.0\",\"hostname\":"
                        "\"0.0.0.0\",\"is_healthy\":true,\"last_heartbeat\":1770715585.0,"
                        "\"metadata\":{\"babysitter\":\"enhanced\",\"models\":[\"m\"],\"type\":"
                        "\"openai-api\"},\"name\":\"master-server\",\"port\":8100,\"status\":"
                        "\"running\",\"timestamp\":\"2026-02-10T09:26:25+00:00\",\"url\":"
                        "\"http://0.0.0.0:8100\"}");
    ASSERT_CONTAINS(text, "\"name\":\"master-server\"");
    free(text);
    reg_record_free(rec);
}

TEST(validation_rejects_misfits)
{
    struct err_msg err = {0};
    const char *base = "\"host\":\"h\",\"hostname\":\"h\",\"url\":\"u\",\"status\":\"s\"";
    char text[512];

    ASSERT_CONTAINS(rejected("[]", &err), "object");
    snprintf(text, sizeof(text), "{%s,\"port\":1}", base);
    ASSERT_CONTAINS(rejected(text, &err), "missing field `name`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s}", base);
    ASSERT_CONTAINS(rejected(text, &err), "missing field `port`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":65536}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`port`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":1.5}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`port`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":\"80\"}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`port`");
    snprintf(text, sizeof(text), "{\"name\":7,%s,\"port\":1}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`name` must be a string");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":1,\"metadata\":[]}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`metadata`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":1,\"timestamp\":5}", base);
    ASSERT_CONTAINS(rejected(text, &err), "`timestamp`");
    snprintf(text, sizeof(text), "{\"name\":\"a\",%s,\"port\":1,\"load\":{\"a\":\"b\"}}", base);
    ASSERT_CONTAINS(rejected(text, &err), "load.a");
    /* null optional fields are absent */
    snprintf(text, sizeof(text),
             "{\"name\":\"a\",%s,\"port\":0,\"metadata\":null,\"load\":null,\"timestamp\":null}",
             base);
    reg_record_free(make(text, T0));
}

TEST(update_applies_or_changes_nothing)
{
    struct reg_record *rec = make("{\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\","
                                  "\"url\":\"u\",\"status\":\"s\",\"metadata\":{\"k\":1}}",
                                  T0);
    struct err_msg err = {0};
    cJSON *bad = parse("{\"host\":\"new\",\"port\":-1}");
    cJSON *good = parse("{\"host\":\"new\",\"port\":2,\"status\":\"running\",\"metadata\":"
                        "{\"j\":2},\"url\":null}");

    ASSERT_EQ(reg_record_update(rec, bad, T0 + 5, &err), SVC_EPARSE);
    ASSERT_STR_EQ(rec->host, "h");
    ASSERT_TRUE(rec->last_heartbeat == T0);
    ASSERT_OK(reg_record_update(rec, good, T0 + 5, &err));
    ASSERT_STR_EQ(rec->host, "new");
    ASSERT_EQ(rec->port, 2);
    ASSERT_STR_EQ(rec->url, "u");
    ASSERT_STR_EQ(rec->status, "running");
    ASSERT_TRUE(rec->last_heartbeat == T0 + 5);
    char *text = print(rec, T0 + 5);
    ASSERT_CONTAINS(text, "\"metadata\":{\"j\":2}");
    free(text);
    cJSON_Delete(bad);
    cJSON_Delete(good);
    reg_record_free(rec);
}

TEST(many_records_grow_and_shrink)
{
    struct reg_store *s = reg_store_new(120, 300);
    char name[32];

    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "svc-%d", i);
        reg_store_put(s, make_named(name, "running", T0));
    }
    ASSERT_EQ(reg_store_count(s), 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(name, sizeof(name), "svc-%d", i);
        ASSERT_OK(reg_store_remove(s, name));
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "svc-%d", i);
        ASSERT_EQ(reg_store_get(s, name) != NULL, i % 2 == 1);
    }
    ASSERT_EQ(reg_store_count(s), 2500);
    reg_store_free(s);
}

/* ---- persistence */

static char *encode(const struct reg_store *s, double now)
{
    struct buf out;

    buf_init(&out, BUF_UNLIMITED);
    ASSERT_OK(reg_persist_encode(s, now, &out));
    return buf_take(&out, NULL);
}

/* Every record printed (HTTP form) at `now`, concatenated. */
static char *dump(const struct reg_store *s, double now)
{
    struct buf out;

    buf_init(&out, BUF_UNLIMITED);
    for (struct reg_record *r = reg_store_first(s); r != NULL; r = reg_store_next(r))
        ASSERT_OK(reg_record_print(r, now, 120, true, &out));
    return buf_take(&out, NULL);
}

static struct reg_store *sample_store(void)
{
    struct reg_store *s = reg_store_new(120, 300);

    reg_store_put(s, make("{\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":"
                          "\"u\",\"status\":\"running\",\"metadata\":{\"type\":\"openai-api\"},"
                          "\"load\":{\"in_flight\":2},\"extra\":{\"x\":[1,2]}}",
                          T0));
    reg_store_put(s, make_named("b \\\"quoted\\\"\\n", "stopped", T0 + 50));
    reg_store_get(s, "a")->health = REG_HEALTH_HEALTHY;
    return s;
}

TEST(persist_round_trip_shifts_heartbeats)
{
    struct reg_store *s = sample_store();
    char *state = encode(s, T0 + 60);
    struct reg_store *back = reg_store_new(120, 300);
    struct err_msg err = {0};
    size_t count = 0;

    ASSERT_CONTAINS(state, "{\"format\":\"infini-registry-state\",\"saved_at\":1770715645.000,");
    ASSERT_CONTAINS(state, "\"version\":1}");
    /* Restart 1000 s later: every record keeps the heartbeat age it had when saved. */
    ASSERT_OK(reg_persist_decode(state, strlen(state), back, T0 + 1060, &count, &err));
    ASSERT_EQ(count, 2);
    char *before = dump(s, T0 + 60), *after = dump(back, T0 + 1060);
    struct reg_record *a = reg_store_get(back, "a");
    ASSERT_TRUE(a->last_heartbeat == T0 + 1000);
    ASSERT_TRUE(reg_store_get(back, "b \"quoted\"\n")->last_heartbeat == T0 + 1050);
    ASSERT_EQ(a->health, REG_HEALTH_HEALTHY);
    /* Same records apart from the shifted heartbeat values. */
    ASSERT_CONTAINS(after, "\"last_heartbeat\":1770716585.0");
    ASSERT_CONTAINS(before, "\"last_heartbeat\":1770715585.0");
    ASSERT_EQ(strlen(before), strlen(after));
    ASSERT_CONTAINS(after, "\"extra\":{\"x\":[1,2]}");
    ASSERT_CONTAINS(after, "\"load\":{\"in_flight\":2,\"updated\":1770715585}");
    ASSERT_CONTAINS(after, "\"timestamp\":\"2026-02-10T09:26:25+00:00\"");
    /* A clock that went backwards does not shift heartbeats into the past. */
    struct reg_store *early = reg_store_new(120, 300);
    ASSERT_OK(reg_persist_decode(state, strlen(state), early, T0, &count, &err));
    ASSERT_TRUE(reg_store_get(early, "a")->last_heartbeat == T0);
    free(before);
    free(after);
    free(state);
    reg_store_free(early);
    reg_store_free(back);
    reg_store_free(s);
}

static void tmp_path(char *out, size_t size, const char *stem)
{
    snprintf(out, size, "/tmp/test_registry_store.%d.%s", (int)getpid(), stem);
}

TEST(persist_file_round_trip)
{
    struct reg_store *s = sample_store(), *back = reg_store_new(120, 300);
    char path[256], tmp[300];
    struct err_msg err = {0};
    size_t count = 0;

    tmp_path(path, sizeof(path), "state.json");
    char *state = encode(s, T0);
    ASSERT_OK(reg_persist_write_file(path, state, strlen(state)));
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ASSERT_TRUE(access(tmp, F_OK) != 0);
    ASSERT_OK(reg_persist_load(path, back, T0, &count, &err));
    ASSERT_EQ(count, 2);
    ASSERT_EQ(reg_persist_write_file("/nonexistent-dir/x/state.json", "{}", 2), UV_ENOENT);
    unlink(path);
    ASSERT_OK(reg_persist_load(path, back, T0, &count, &err)); /* missing file: empty start */
    ASSERT_EQ(count, 0);
    free(state);
    reg_store_free(back);
    reg_store_free(s);
}

TEST(persist_corrupt_file_refused_and_untouched)
{
    static const char *const cases[][2] = {
        {"", "not valid JSON"},
        {"{\"format\":\"infini-registry-state\",", "not valid JSON"},
        {"[1,2]", "not a JSON object"},
        {"{\"format\":\"other\",\"version\":1,\"saved_at\":1,\"services\":[]}", "format"},
        {"{\"format\":\"infini-registry-state\",\"version\":2,\"saved_at\":1,\"services\":[]}",
         "version"},
        {"{\"format\":\"infini-registry-state\",\"version\":1,\"services\":[]}", "saved_at"},
        {"{\"format\":\"infini-registry-state\",\"version\":1,\"saved_at\":1,\"services\":{}}",
         "services"},
        {"{\"format\":\"infini-registry-state\",\"version\":1,\"saved_at\":1,\"services\":[{"
         "\"name\":\"a\"}]}",
         "service #1: missing field `host`"},
        {"{\"format\":\"infini-registry-state\",\"version\":1,\"saved_at\":1,\"services\":[{"
         "\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
         "\"s\",\"timestamp\":\"t\",\"last_heartbeat\":1,\"health_status\":\"bogus\"}]}",
         "health_status"},
        {"{\"format\":\"infini-registry-state\",\"version\":1,\"saved_at\":1,\"services\":[{"
         "\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
         "\"s\",\"timestamp\":\"t\",\"last_heartbeat\":1,\"health_status\":\"unknown\"},{"
         "\"name\":\"a\",\"host\":\"h\",\"port\":1,\"hostname\":\"h\",\"url\":\"u\",\"status\":"
         "\"s\",\"timestamp\":\"t\",\"last_heartbeat\":1,\"health_status\":\"unknown\"}]}",
         "service #2: duplicate name"},
    };
    char path[256];
    struct buf after;

    tmp_path(path, sizeof(path), "corrupt.json");
    buf_init(&after, BUF_UNLIMITED);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct reg_store *s = reg_store_new(120, 300);
        struct err_msg err = {0};
        size_t count = 99;
        ASSERT_OK(reg_persist_write_file(path, cases[i][0], strlen(cases[i][0])));
        ASSERT_EQ(reg_persist_load(path, s, T0, &count, &err), SVC_ECORRUPT);
        ASSERT_CONTAINS(err.msg, path);
        ASSERT_CONTAINS(err.msg, cases[i][1]);
        ASSERT_EQ(reg_store_count(s), 0);
        ASSERT_OK(buf_read_file(&after, path));
        ASSERT_EQ(after.len, strlen(cases[i][0]));
        ASSERT_TRUE(memcmp(buf_cstr(&after), cases[i][0], after.len) == 0);
        reg_store_free(s);
    }
    /* A directory in place of the file cannot be read. */
    struct reg_store *s = reg_store_new(120, 300);
    struct err_msg err = {0};
    ASSERT_TRUE(reg_persist_load("/tmp", s, T0, NULL, &err) < 0);
    ASSERT_CONTAINS(err.msg, "cannot read");
    reg_store_free(s);
    unlink(path);
    buf_free(&after);
}

/* ---- the debounced writer on a private loop */

TEST(persister_writes_after_changes_and_on_close)
{
    struct reg_store *s = reg_store_new(120, 300);
    struct reg_metrics m;
    uv_loop_t loop;
    char path[256];

    tmp_path(path, sizeof(path), "persister.json");
    unlink(path);
    reg_metrics_init(&m, T0);
    ASSERT_OK(uv_loop_init(&loop));
    struct reg_persister *p = reg_persister_new(&loop, path, s, &m, 10);
    reg_store_on_change(s, reg_persister_mark_dirty, p);
    reg_store_put(s, make_named("a", "running", T0));
    ASSERT_FALSE(reg_persister_is_idle(p));
    for (int i = 0; i < 200 && !reg_persister_is_idle(p); i++)
        uv_run(&loop, UV_RUN_ONCE);
    ASSERT_TRUE(reg_persister_is_idle(p));
    ASSERT_EQ(m.state_writes, 1);
    reg_store_put(s, make_named("b", "running", T0));
    reg_persister_close(p); /* dirty: written by the close */
    reg_store_on_change(s, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT_EQ(m.state_writes, 2);
    ASSERT_EQ(m.state_write_failures, 0);
    struct reg_store *back = reg_store_new(120, 300);
    struct err_msg err = {0};
    size_t count = 0;
    ASSERT_OK(reg_persist_load(path, back, T0, &count, &err));
    ASSERT_EQ(count, 2);
    unlink(path);
    reg_store_free(back);
    reg_store_free(s);
}

TEST(persister_counts_failures)
{
    struct reg_store *s = reg_store_new(120, 300);
    struct reg_metrics m;
    uv_loop_t loop;

    reg_metrics_init(&m, T0);
    ASSERT_OK(uv_loop_init(&loop));
    struct reg_persister *p = reg_persister_new(&loop, "/nonexistent-dir/state.json", s, &m, 1);
    reg_store_on_change(s, reg_persister_mark_dirty, p);
    reg_store_put(s, make_named("a", "running", T0));
    for (int i = 0; i < 200 && m.state_write_failures == 0; i++)
        uv_run(&loop, UV_RUN_ONCE);
    ASSERT_EQ(m.state_write_failures, 1);
    reg_persister_close(p); /* retried once at close, fails again */
    reg_store_on_change(s, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT_EQ(m.state_write_failures, 2);
    ASSERT_EQ(m.state_writes, 0);
    reg_store_free(s);
}

HARNESS_MAIN(CASE(register_and_lookup), CASE(replace_resets_record),
             CASE(healthy_at_timeout_boundary), CASE(expiry_after_expire_after),
             CASE(filters_status_and_healthy), CASE(load_object_stored),
             CASE(unknown_fields_echoed), CASE(wire_form_compact_sorted),
             CASE(validation_rejects_misfits), CASE(update_applies_or_changes_nothing),
             CASE(many_records_grow_and_shrink), CASE(persist_round_trip_shifts_heartbeats),
             CASE(persist_file_round_trip), CASE(persist_corrupt_file_refused_and_untouched),
             CASE(persister_writes_after_changes_and_on_close), CASE(persister_counts_failures))
