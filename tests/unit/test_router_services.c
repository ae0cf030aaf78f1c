/* Unit tests for router/services, static_services and discovery's record handling: change
 * detection, views, reference counting after removal, ejection backoff, engine load, the static
 * file's shapes and errors, and how registry answers update the table. */
#include "services.h"

#include <string.h>

#include "config.h"
#include "discovery.h"
#include "err.h"
#include "harness.h"
#include "json.h"
#include "metrics.h"
#include "router.h"
#include "static_services.h"

static uv_loop_t loop;

static struct rt_services *table(void)
{
    ASSERT_EQ(uv_loop_init(&loop), 0);
    return rt_services_new(&loop, 4);
}

static void done(struct rt_services *s)
{
    rt_services_free(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
}

static struct rt_instance *upsert(struct rt_services *s, const char *name, const char *meta)
{
    cJSON *md = json_parse(meta, strlen(meta), NULL);
    struct rt_instance_desc d = {.name = name,
                                 .host = "10.0.0.1",
                                 .port = 8100,
                                 .metadata = md,
                                 .registry_healthy = true,
                                 .source = RT_SOURCE_REGISTRY};
    struct rt_instance *inst = rt_services_upsert(s, &d);
    cJSON_Delete(md);
    inst->probe_ok = true; /* as if its first probe had passed */
    return inst;
}

TEST(upsert_detects_routing_changes_only)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\",\"models\":[\"m\"]}");
    uint32_t g = rt_services_generation(s);

    ASSERT_STR_EQ(a->url, "http://10.0.0.1:8100");
    ASSERT_STR_EQ(a->babysitter_url, "http://10.0.0.1:8101");
    ASSERT_TRUE(a->routable);
    upsert(s, "a", "{\"type\":\"openai-api\",\"models\":[\"m\"],\"note\":1}");
    ASSERT_EQ(rt_services_generation(s), g); /* irrelevant metadata: views stay */
    upsert(s, "a", "{\"type\":\"openai-api\",\"models\":[\"m\",\"n\"]}");
    ASSERT_TRUE(rt_services_generation(s) != g);
    ASSERT_EQ(a->nmodels, 2);
    ASSERT_NOT_NULL(rt_services_view(s, "n"));
    ASSERT_NULL(rt_services_view(s, "zzz"));
    upsert(s, "a", "{\"type\":\"command\"}");
    ASSERT_FALSE(a->routable);
    ASSERT_NULL(rt_services_view(s, "m"));
    done(s);
}

TEST(removed_instance_lives_while_referenced)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\"}");

    rt_instance_ref(a);
    rt_services_remove(s, a);
    ASSERT_NULL(rt_services_find(s, "a"));
    ASSERT_FALSE(a->in_table);
    ASSERT_FALSE(rt_instance_is_eligible(a, 0));
    ASSERT_STR_EQ(a->name, "a"); /* still valid (ASan would catch a use after free) */
    rt_instance_unref(a);
    done(s);
}

TEST(ejection_backoff_doubles_and_success_clears)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\"}");

    ASSERT_FALSE(rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 0));
    ASSERT_FALSE(rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 0));
    ASSERT_TRUE(rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 0));
    ASSERT_EQ(a->ejected_until_ms, 1000);
    ASSERT_FALSE(rt_instance_is_eligible(a, 999));
    ASSERT_TRUE(rt_instance_is_eligible(a, 1000)); /* half-open after the backoff */
    ASSERT_TRUE(rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 1000));
    ASSERT_EQ(a->ejected_until_ms, 3000); /* doubled: it failed again without a success */
    for (int i = 0; i < 10; i++)
        rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 3000 + 60000 * (uint64_t)i);
    ASSERT_EQ(a->ejected_until_ms, 3000 + 9 * 60000 + 60000); /* capped */
    rt_instance_note_success(a);
    ASSERT_EQ(a->ejected_until_ms, 0);
    ASSERT_EQ(a->consecutive_failures, 0);
    ASSERT_EQ(a->ejections, 0);
    ASSERT_TRUE(rt_instance_is_eligible(a, 10000));
    done(s);
}

TEST(one_incident_is_one_ejection)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\"}");

    /* Ten streams die with their server: one ejection, the first backoff. */
    for (int i = 0; i < 10; i++)
        rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 3, 100);
    ASSERT_EQ(a->ejections_total, 1);
    ASSERT_EQ(a->ejected_until_ms, 1100);
    ASSERT_EQ(a->errors, 10);
    done(s);
}

TEST(probe_after_a_transport_ejection_readmits)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\"}");

    ASSERT_TRUE(rt_instance_note_failure(a, RT_FAULT_TRANSPORT, 1, 5000));
    /* A probe that started before the ejection says nothing about the server now. */
    rt_instance_note_probe(a, true, 4900);
    ASSERT_FALSE(rt_instance_is_eligible(a, 5100));
    /* The server is back: the first probe after the ejection lets it in at once. */
    rt_instance_note_probe(a, true, 5200);
    ASSERT_TRUE(rt_instance_is_eligible(a, 5300));
    /* A failed probe takes it out of rotation. */
    rt_instance_note_probe(a, false, 5400);
    ASSERT_FALSE(rt_instance_is_eligible(a, 5500));
    done(s);
}

TEST(probe_never_readmits_an_instance_whose_requests_time_out)
{
    struct rt_services *s = table();
    struct rt_instance *a = upsert(s, "a", "{\"type\":\"openai-api\"}");

    /* One timeout is enough: the server hangs. */
    ASSERT_TRUE(rt_instance_note_failure(a, RT_FAULT_TIMEOUT, 3, 1000));
    rt_instance_note_probe(a, true, 1500); /* its babysitter still says fine */
    ASSERT_FALSE(rt_instance_is_eligible(a, 1600));
    ASSERT_TRUE(rt_instance_is_eligible(a, 2000)); /* after the backoff, a trial */
    done(s);
}

TEST(new_registry_instances_wait_for_their_probe)
{
    struct rt_services *s = table();
    const char *meta = "{\"type\":\"openai-api\"}";
    cJSON *md = json_parse(meta, strlen(meta), NULL);
    struct rt_instance_desc d = {.name = "evil",
                                 .host = "h",
                                 .port = 1,
                                 .metadata = md,
                                 .registry_healthy = true,
                                 .source = RT_SOURCE_REGISTRY};
    struct rt_instance *e = rt_services_upsert(s, &d);

    ASSERT_FALSE(rt_instance_is_eligible(e, 0));
    rt_instance_note_probe(e, true, 0);
    ASSERT_TRUE(rt_instance_is_eligible(e, 0));
    cJSON_Delete(md);
    done(s);
}

TEST(engine_load_used_while_fresh)
{
    struct rt_services *s = table();
    const char *meta = "{\"type\":\"openai-api\"}";
    cJSON *md = json_parse(meta, strlen(meta), NULL);
    cJSON *load = json_parse("{\"running\":4,\"waiting\":3,\"updated\":1000}", 40, NULL);
    struct rt_instance_desc d = {.name = "a",
                                 .host = "h",
                                 .port = 1,
                                 .metadata = md,
                                 .registry_healthy = true,
                                 .load = load};
    struct rt_instance *a = rt_services_upsert(s, &d);

    a->in_flight = 2;
    ASSERT_EQ(rt_instance_load(a, 1005), 7); /* engine queue (other routers' work too) */
    ASSERT_EQ(rt_instance_load(a, 2000), 2); /* stale: own count only */
    a->in_flight = 9;
    ASSERT_EQ(rt_instance_load(a, 1005), 9);
    a->in_flight = 0;
    cJSON_Delete(md);
    cJSON_Delete(load);
    done(s);
}

TEST(static_file_shapes_and_errors)
{
    struct rt_services *s = table();
    struct err_msg err = {0};
    const char *bare = "[{\"name\":\"a\",\"host\":\"127.0.0.1\",\"port\":9001,\"weight\":3}]";
    const char *wrapped = "{\"services\":[{\"name\":\"b\",\"host\":\"h\",\"port\":9002,"
                          "\"metadata\":{\"models\":[\"m\"]}}]}";
    const char *nested = "{\"static_services\":{\"services\":[{\"name\":\"c\",\"host\":\"h\","
                         "\"port\":9003}]}}";

    ASSERT_EQ(rt_static_services_parse(s, bare, strlen(bare), &err), 1);
    ASSERT_EQ(rt_static_services_parse(s, wrapped, strlen(wrapped), &err), 1);
    ASSERT_EQ(rt_static_services_parse(s, nested, strlen(nested), &err), 1);
    ASSERT_EQ(rt_services_find(s, "a")->weight, 3);
    ASSERT_TRUE(rt_services_find(s, "b")->routable); /* static entries route unless typed */
    ASSERT_STR_EQ(rt_services_find(s, "b")->models[0], "m");
    const char *bad_port = "[{\"name\":\"x\",\"host\":\"h\",\"port\":\"80\"}]";
    ASSERT_TRUE(rt_static_services_parse(s, bad_port, strlen(bad_port), &err) < 0);
    ASSERT_CONTAINS(err.msg, "service #1");
    ASSERT_TRUE(rt_static_services_parse(s, "{}", 2, &err) < 0);
    ASSERT_TRUE(rt_static_services_parse(s, "[", 1, &err) < 0);
    ASSERT_TRUE(rt_static_services_load(s, "/nonexistent.json", &err) < 0);
    ASSERT_CONTAINS(err.msg, "/nonexistent.json");
    done(s);
}

TEST(discovery_applies_registry_answers)
{
    struct rt_config cfg = {.removal_grace = 60};
    struct rt_router rt = {.cfg = &cfg};
    rt.services = table();
    rt.loop = &loop;
    rt.metrics = rt_metrics_new();
    const char *answer =
        "{\"services\":["
        "{\"name\":\"x-server\",\"host\":\"10.0.0.2\",\"port\":8100,\"url\":\"http://"
        "10.0.0.2:8100\","
        "\"is_healthy\":true,\"metadata\":{\"type\":\"openai-api\",\"models\":[\"m\"]}},"
        "{\"name\":\"x\",\"host\":\"10.0.0.2\",\"port\":8101,\"is_healthy\":true,"
        "\"metadata\":{\"type\":\"command\"}},"
        "{\"name\":\"broken\",\"port\":\"nope\"},"
        "{\"name\":\"y-server\",\"host\":\"10.0.0.3\",\"port\":8100,\"is_healthy\":false,"
        "\"metadata\":{\"type\":\"openai-api\",\"models\":[\"m\"],\"static\":true}}],\"total\":4}";

    ASSERT_EQ(rt_discovery_apply(&rt, answer, strlen(answer)), 2);
    ASSERT_NOT_NULL(rt_services_find(rt.services, "x-server"));
    ASSERT_NULL(rt_services_find(rt.services, "x")); /* babysitter self-record */
    ASSERT_FALSE(rt_services_find(rt.services, "y-server")->registry_healthy);
    ASSERT_TRUE(rt_services_find(rt.services, "y-server")->is_static);
    /* Both vanish (a registry restarted without its state): kept during the grace period, and
     * x-server keeps routing while its probes pass. */
    struct rt_instance *x = rt_services_find(rt.services, "x-server");
    rt_instance_note_probe(x, true, 0);
    const char *empty = "{\"services\":[],\"total\":0}";
    ASSERT_EQ(rt_discovery_apply(&rt, empty, strlen(empty)), 0);
    ASSERT_TRUE(rt_services_find(rt.services, "x-server") == x);
    ASSERT_TRUE(x->registry_healthy);
    ASSERT_TRUE(rt_instance_is_eligible(x, uv_now(&loop)));
    /* Grace over: the static one stays. */
    cfg.removal_grace = 0;
    ASSERT_EQ(rt_discovery_apply(&rt, empty, strlen(empty)), 0);
    ASSERT_NULL(rt_services_find(rt.services, "x-server"));
    ASSERT_NOT_NULL(rt_services_find(rt.services, "y-server"));
    ASSERT_TRUE(rt_discovery_apply(&rt, "garbage", 7) < 0);
    ASSERT_NOT_NULL(rt_services_find(rt.services, "y-server")); /* bad answer: view kept */
    rt_metrics_free(rt.metrics);
    done(rt.services);
}

HARNESS_MAIN(CASE(upsert_detects_routing_changes_only),
             CASE(removed_instance_lives_while_referenced),
             CASE(ejection_backoff_doubles_and_success_clears), CASE(one_incident_is_one_ejection),
             CASE(probe_after_a_transport_ejection_readmits),
             CASE(probe_never_readmits_an_instance_whose_requests_time_out),
             CASE(new_registry_instances_wait_for_their_probe), CASE(engine_load_used_while_fresh),
             CASE(static_file_shapes_and_errors), CASE(discovery_applies_registry_answers))
