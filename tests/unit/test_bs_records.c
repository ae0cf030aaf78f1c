/* Unit tests for the babysitter's wire formats: both registry records (exact compact JSON, the
 * reference's shapes), model-list parsing for readiness, and the line splitting of child
 * output. */
#include "registration.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "json.h"
#include "output.h"
#include "readiness.h"

static char *print(const cJSON *j)
{
    static char out[4096];
    char *s = json_print_str(j);

    snprintf(out, sizeof(out), "%s", s);
    free(s);
    return out;
}

TEST(own_record_shape)
{
    cJSON *r = bs_registration_own_record("master-9g", "0.0.0.0", 8100, "command");

    ASSERT_STR_EQ(print(r), "{\"host\":\"0.0.0.0\",\"hostname\":\"0.0.0.0\",\"metadata\":{"
                            "\"babysitter\":\"enhanced\",\"type\":\"command\"},\"name\":"
                            "\"master-9g\",\"port\":8101,\"status\":\"running\",\"url\":"
                            "\"http://0.0.0.0:8101\"}");
    cJSON_Delete(r);
}

TEST(server_record_shape)
{
    const char body[] = "{\"object\":\"list\",\"data\":[{\"id\":\"m-1\",\"object\":\"model\","
                        "\"owned_by\":\"vllm\",\"max_model_len\":32768},{\"object\":\"model\"}]}";
    cJSON *models = bs_readiness_parse_models(body, strlen(body));
    cJSON *meta = json_new_object();

    ASSERT_NOT_NULL(models);
    json_set_string(meta, "cache_type", "paged");
    json_set_string(meta, "type", "must-not-win");
    json_set_bool(meta, "static", true);
    cJSON *r = bs_registration_server_record("slave", "10.0.0.2", 8200, models, meta);
    ASSERT_STR_EQ(print(r), "{\"host\":\"10.0.0.2\",\"hostname\":\"10.0.0.2\",\"metadata\":{"
                            "\"babysitter\":\"enhanced\",\"cache_type\":\"paged\",\"models\":["
                            "\"m-1\",\"\"],\"models_list\":[{\"id\":\"m-1\",\"max_model_len\":"
                            "32768,\"object\":\"model\",\"owned_by\":\"vllm\"},{\"object\":"
                            "\"model\"}],\"parent_service\":\"slave\",\"static\":true,\"type\":"
                            "\"openai-api\"},\"name\":\"slave-server\",\"port\":8200,\"status\":"
                            "\"running\",\"url\":\"http://10.0.0.2:8200\"}");
    ASSERT_CONTAINS(print(r), "\"name\":\"slave-server\"");
    cJSON_Delete(r);
    cJSON_Delete(meta);
    cJSON_Delete(models);
}

TEST(server_record_from_a_bare_array)
{
    const char body[] = "[{\"id\":\"a\"},{\"id\":\"b\"}]";
    cJSON *models = bs_readiness_parse_models(body, strlen(body));
    cJSON *r = bs_registration_server_record("x", "::1", 9000, models, NULL);

    ASSERT_STR_EQ(print(r), "{\"host\":\"::1\",\"hostname\":\"::1\",\"metadata\":{\"babysitter\":"
                            "\"enhanced\",\"models\":[\"a\",\"b\"],\"models_list\":[{\"id\":\"a\"},"
                            "{\"id\":\"b\"}],\"parent_service\":\"x\",\"type\":\"openai-api\"},"
                            "\"name\":\"x-server\",\"port\":9000,\"status\":\"running\",\"url\":"
                            "\"http://[::1]:9000\"}");
    cJSON_Delete(r);
    cJSON_Delete(models);
}

TEST(model_lists)
{
    static const char *const good[] = {
        "{\"data\":[{\"id\":\"m\"}],\"object\":\"list\"}",
        "[{\"id\":\"m\"}]",
        "  {\"data\":[1]}  \n",
    };
    static const char *const bad[] = {
        "{\"data\":[],\"object\":\"list\"}",
        "[]",
        "{\"object\":\"list\"}",
        "{\"data\":{}}",
        "not json",
        "",
        "{\"data\":[{\"id\":\"m\"}]",
        "\"text\"",
    };

    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        cJSON *doc = bs_readiness_parse_models(good[i], strlen(good[i]));
        ASSERT_NOT_NULL(doc);
        ASSERT_EQ(cJSON_GetArraySize(bs_readiness_models_array(doc)), 1);
        cJSON_Delete(doc);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ASSERT_NULL(bs_readiness_parse_models(bad[i], strlen(bad[i])));
    ASSERT_NULL(bs_readiness_models_array(NULL));
}

struct lines {
    int count;
    char text[8][64];
    size_t len[8];
};

static void collect_line(void *ud, const char *line, size_t len)
{
    struct lines *l = ud;

    if (l->count < 8) {
        snprintf(l->text[l->count], sizeof(l->text[0]), "%.*s", (int)len, line);
        l->len[l->count] = len;
    }
    l->count++;
}

TEST(output_lines_across_chunks)
{
    static struct bs_output o;
    struct lines l = {0};

    bs_output_init(&o, collect_line, &l);
    bs_output_feed(&o, "INFO: star", 10);
    ASSERT_EQ(l.count, 0);
    bs_output_feed(&o, "ted\r\nsecond\n\nthi", 16);
    ASSERT_EQ(l.count, 3);
    ASSERT_STR_EQ(l.text[0], "INFO: started");
    ASSERT_STR_EQ(l.text[1], "second");
    ASSERT_EQ(l.len[2], 0);
    bs_output_flush(&o);
    ASSERT_EQ(l.count, 4);
    ASSERT_STR_EQ(l.text[3], "thi");
    bs_output_flush(&o); /* nothing pending: nothing emitted */
    ASSERT_EQ(l.count, 4);
}

TEST(output_long_lines_are_cut)
{
    static struct bs_output o;
    struct lines l = {0};
    char *big = malloc(BS_OUTPUT_LINE_MAX * 2 + 10);

    memset(big, 'x', BS_OUTPUT_LINE_MAX * 2 + 10);
    big[BS_OUTPUT_LINE_MAX * 2 + 9] = '\n';
    bs_output_init(&o, collect_line, &l);
    bs_output_feed(&o, big, BS_OUTPUT_LINE_MAX * 2 + 10);
    ASSERT_EQ(l.count, 3);
    ASSERT_EQ(l.len[0], BS_OUTPUT_LINE_MAX);
    ASSERT_EQ(l.len[1], BS_OUTPUT_LINE_MAX);
    ASSERT_EQ(l.len[2], 9);
    free(big);
}

HARNESS_MAIN(CASE(own_record_shape), CASE(server_record_shape),
             CASE(server_record_from_a_bare_array), CASE(model_lists),
             CASE(output_lines_across_chunks), CASE(output_long_lines_are_cut))
