/* Unit tests for babysitter/kvevents: the flags added to the vllm and mock backends' argv, the
 * user's own flags left alone and advertised instead, and the metadata.kv_events record entry
 * (wildcard hosts replaced, block size from --block-size). */
#include "kvevents.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "harness.h"
#include "json.h"
#include "launch.h"

static struct bs_config config(int type, char **args)
{
    struct bs_config c;

    memset(&c, 0, sizeof(c));
    c.name = "w1";
    c.host = "10.0.0.5";
    c.port = 8100;
    c.backend_type = type;
    c.args = args;
    return c;
}

static void expect_meta(const cJSON *m, const char *ep, const char *rep, const char *topic,
                        int block_size)
{
    long long bs = 0;

    ASSERT_NOT_NULL(m);
    ASSERT_STR_EQ(json_get_string(m, "endpoint"), ep);
    if (rep != NULL)
        ASSERT_STR_EQ(json_get_string(m, "replay_endpoint"), rep);
    else
        ASSERT_NULL(json_get_string(m, "replay_endpoint"));
    ASSERT_STR_EQ(json_get_string(m, "topic"), topic);
    ASSERT_TRUE(json_get_int(m, "block_size", 1, 1 << 20, &bs));
    ASSERT_EQ(bs, block_size);
}

TEST(vllm_gets_a_config_and_advertises_it)
{
    char *args[] = {"--block-size", "32", NULL};
    struct bs_config c = config(BS_BACKEND_VLLM, args);
    cJSON *meta;

    ASSERT_TRUE(bs_kvevents_wanted(&c));
    char **v = bs_kvevents_args(&c, 5557, 5558, &meta);
    ASSERT_NOT_NULL(v);
    ASSERT_STR_EQ(v[0], "--kv-events-config");
    ASSERT_STR_EQ(v[1], "{\"enable_kv_cache_events\":true,\"endpoint\":\"tcp://*:5557\","
                        "\"publisher\":\"zmq\",\"replay_endpoint\":\"tcp://*:5558\","
                        "\"topic\":\"kv@w1\"}");
    ASSERT_NULL(v[2]);
    expect_meta(meta, "tcp://10.0.0.5:5557", "tcp://10.0.0.5:5558", "kv@w1", 32);
    bs_launch_strv_free(v);
    cJSON_Delete(meta);
}

TEST(vllm_user_config_is_kept)
{
    char *args[] = {"--kv-events-config={\"enable_kv_cache_events\":true,\"publisher\":\"zmq\","
                    "\"endpoint\":\"tcp://*:6000\",\"topic\":\"mine\"}",
                    NULL};
    struct bs_config c = config(BS_BACKEND_VLLM, args);
    cJSON *meta;

    ASSERT_FALSE(bs_kvevents_wanted(&c));
    ASSERT_NULL(bs_kvevents_args(&c, 1, 2, &meta));
    expect_meta(meta, "tcp://10.0.0.5:6000", NULL, "mine", 16);
    cJSON_Delete(meta);

    char *off[] = {"--kv-events-config", "{\"enable_kv_cache_events\":false}", NULL};
    c = config(BS_BACKEND_VLLM, off);
    ASSERT_NULL(bs_kvevents_args(&c, 1, 2, &meta));
    ASSERT_NULL(meta);
}

TEST(mock_gets_ports_unless_it_has_its_own)
{
    struct bs_config c = config(BS_BACKEND_MOCK, NULL);
    cJSON *meta;

    c.host = "::1";
    char **v = bs_kvevents_args(&c, 7000, 7005, &meta);
    ASSERT_NOT_NULL(v);
    ASSERT_STR_EQ(v[0], "--kv-events");
    ASSERT_STR_EQ(v[1], "7000");
    ASSERT_STR_EQ(v[2], "--kv-replay-port");
    ASSERT_STR_EQ(v[3], "7005");
    ASSERT_NULL(v[4]);
    expect_meta(meta, "tcp://[::1]:7000", "tcp://[::1]:7005", "kv@w1", 16);
    bs_launch_strv_free(v);
    cJSON_Delete(meta);

    char *own[] = {"--kv-events=9000", "--kv-events-topic", "t", "--block-size", "8", NULL};
    c = config(BS_BACKEND_MOCK, own);
    ASSERT_FALSE(bs_kvevents_wanted(&c));
    ASSERT_NULL(bs_kvevents_args(&c, 1, 2, &meta));
    expect_meta(meta, "tcp://10.0.0.5:9000", "tcp://10.0.0.5:9001", "t", 8);
    cJSON_Delete(meta);
}

TEST(other_backends_publish_nothing)
{
    struct bs_config c = config(BS_BACKEND_COMMAND, NULL);
    cJSON *meta = (cJSON *)1;

    ASSERT_FALSE(bs_kvevents_wanted(&c));
    ASSERT_NULL(bs_kvevents_args(&c, 1, 2, &meta));
    ASSERT_NULL(meta);
}

TEST(free_ports_and_append)
{
    int a = 0, b = 0;

    ASSERT_OK(bs_kvevents_free_ports(&a, &b));
    ASSERT_TRUE(a > 0 && b > 0 && a != b);
    char **argv = calloc(3, sizeof(char *));
    argv[0] = strdup("prog");
    argv[1] = strdup("--x");
    char **extra = calloc(2, sizeof(char *));
    extra[0] = strdup("--y");
    argv = bs_kvevents_append(argv, extra);
    ASSERT_STR_EQ(argv[2], "--y");
    ASSERT_NULL(argv[3]);
    argv = bs_kvevents_append(argv, NULL);
    ASSERT_STR_EQ(argv[0], "prog");
    bs_launch_strv_free(argv);
}

HARNESS_MAIN(CASE(vllm_gets_a_config_and_advertises_it), CASE(vllm_user_config_is_kept),
             CASE(mock_gets_ports_unless_it_has_its_own), CASE(other_backends_publish_nothing),
             CASE(free_ports_and_append))
