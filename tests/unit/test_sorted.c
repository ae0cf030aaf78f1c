/* Unit tests for common/sorted: the match, the insertion point before, between and after the
 * keys, and an empty array. */
#include "sorted.h"

#include <stddef.h>

#include "harness.h"

static const char *key_at(const void *items, size_t i)
{
    return ((const char *const *)items)[i];
}

TEST(finds_each_key_and_each_gap)
{
    static const char *const keys[] = {"b", "d", "f"};
    bool found = false;

    for (size_t i = 0; i < 3; i++) {
        ASSERT_EQ(sorted_find(keys, 3, key_at, keys[i], &found), i);
        ASSERT_TRUE(found);
    }
    ASSERT_EQ(sorted_find(keys, 3, key_at, "a", &found), 0);
    ASSERT_FALSE(found);
    ASSERT_EQ(sorted_find(keys, 3, key_at, "c", &found), 1);
    ASSERT_FALSE(found);
    ASSERT_EQ(sorted_find(keys, 3, key_at, "e", &found), 2);
    ASSERT_FALSE(found);
    ASSERT_EQ(sorted_find(keys, 3, key_at, "g", &found), 3);
    ASSERT_FALSE(found);
    ASSERT_EQ(sorted_find(keys, 3, key_at, "", &found), 0); /* "" sorts first */
    ASSERT_FALSE(found);
}

TEST(empty_array_inserts_at_zero)
{
    bool found = true;

    ASSERT_EQ(sorted_find(NULL, 0, key_at, "x", &found), 0);
    ASSERT_FALSE(found);
}

HARNESS_MAIN(CASE(finds_each_key_and_each_gap), CASE(empty_array_inserts_at_zero))
