/* Unit tests for common/json: the compact, key-sorted printer (the reference's wire form),
 * escapes, numbers, parsing of non-NUL-terminated input, typed getters and builders. */
#include "json.h"

#include <math.h>
#include <stdlib.h>

#include "buf.h"
#include "harness.h"

static char *print(const cJSON *j)
{
    return json_print_str(j);
}

TEST(keys_sorted_at_every_level)
{
    const char *in = "{\"name\":\"x\",\"metadata\":{\"z\":1,\"a\":[{\"y\":true,\"b\":null}]},"
                     "\"Zed\":2,\"port\":8100}";
    cJSON *j = json_parse(in, strlen(in), NULL);
    ASSERT_NOT_NULL(j);
    char *s = print(j);
    ASSERT_STR_EQ(s, "{\"Zed\":2,\"metadata\":{\"a\":[{\"b\":null,\"y\":true}],\"z\":1},"
                     "\"name\":\"x\",\"port\":8100}");
    free(s);
    cJSON_Delete(j);
}

TEST(escapes_like_serde)
{
    cJSON *j = json_new_object();
    json_set_string(j, "s", "q\"b\\n\n\t\r\x01/é");
    char *s = print(j);
    /* '/' and non-ASCII stay as they are; control characters are escaped. */
    ASSERT_STR_EQ(s, "{\"s\":\"q\\\"b\\\\n\\n\\t\\r\\u0001/é\"}");
    free(s);
    cJSON_Delete(j);
}

TEST(numbers)
{
    cJSON *j = json_new_object();
    json_set_number(j, "a", 42);
    json_set_number(j, "b", -7);
    json_set_number(j, "c", 0.1);
    json_set_number(j, "d", 1.0 / 3.0);
    json_set_number(j, "e", NAN);
    json_set_float(j, "f", 1770715585.0);
    json_set_float(j, "g", 0.25);
    json_set_number(j, "h", 4294967296.0);
    char *s = print(j);
    ASSERT_STR_EQ(s, "{\"a\":42,\"b\":-7,\"c\":0.1,\"d\":0.3333333333333333,\"e\":null,"
                     "\"f\":1770715585.0,\"g\":0.25,\"h\":4294967296}");
    free(s);
    cJSON_Delete(j);
}

TEST(set_replaces_existing_key)
{
    cJSON *j = json_new_object();
    json_set_string(j, "k", "one");
    json_set_number(j, "k", 2);
    char *s = print(j);
    ASSERT_STR_EQ(s, "{\"k\":2}");
    free(s);
    cJSON_Delete(j);
}

TEST(parse_bounded_input)
{
    const char text[] = "{\"a\":1}   garbage";
    struct err_msg err = {0};

    /* Only the first 10 bytes: the object plus whitespace. */
    cJSON *j = json_parse(text, 10, &err);
    ASSERT_NOT_NULL(j);
    cJSON_Delete(j);
    ASSERT_NULL(json_parse(text, sizeof(text) - 1, &err));
    ASSERT_CONTAINS(err.msg, "trailing data");
    ASSERT_NULL(json_parse("{\"a\":", 5, &err));
    ASSERT_NULL(json_parse("", 0, &err));
}

TEST(typed_getters_check_types)
{
    const char *in = "{\"s\":\"v\",\"n\":3,\"f\":2.5,\"b\":false,\"o\":{},\"a\":[],\"big\":1e300}";
    cJSON *j = json_parse(in, strlen(in), NULL);
    double d;
    long long i;
    bool b;

    ASSERT_STR_EQ(json_get_string(j, "s"), "v");
    ASSERT_NULL(json_get_string(j, "n"));
    ASSERT_NULL(json_get_string(j, "missing"));
    ASSERT_TRUE(json_get_number(j, "f", &d) && d == 2.5);
    ASSERT_FALSE(json_get_number(j, "s", &d));
    ASSERT_TRUE(json_get_int(j, "n", 0, 10, &i) && i == 3);
    ASSERT_FALSE(json_get_int(j, "f", 0, 10, &i));
    ASSERT_FALSE(json_get_int(j, "n", 5, 10, &i));
    ASSERT_FALSE(json_get_int(j, "big", 0, 1000000, &i));
    ASSERT_TRUE(json_get_bool(j, "b", &b) && !b);
    ASSERT_NOT_NULL(json_get_object(j, "o"));
    ASSERT_NULL(json_get_object(j, "a"));
    ASSERT_NOT_NULL(json_get_array(j, "a"));
    ASSERT_NULL(json_get_string(json_get_array(j, "a"), "x"));
    cJSON_Delete(j);
}

TEST(print_respects_buffer_limit)
{
    cJSON *j = json_new_array();
    struct buf b;

    for (int i = 0; i < 100; i++)
        json_array_push(j, json_new_string("0123456789"));
    buf_init(&b, 64);
    ASSERT_EQ(json_print(j, &b), SVC_ELIMIT);
    buf_free(&b);
    cJSON_Delete(j);
}

TEST(scalar_items_in_arrays)
{
    cJSON *arr = json_new_array();

    json_array_push(arr, json_new_number(1.5));
    json_array_push(arr, json_new_bool(true));
    json_array_push(arr, json_new_null());
    char *s = json_print_str(arr);
    ASSERT_STR_EQ(s, "[1.5,true,null]");
    free(s);
    cJSON_Delete(arr);
}

HARNESS_MAIN(CASE(keys_sorted_at_every_level), CASE(escapes_like_serde), CASE(numbers),
             CASE(set_replaces_existing_key), CASE(parse_bounded_input),
             CASE(typed_getters_check_types), CASE(print_respects_buffer_limit),
             CASE(scalar_items_in_arrays))
