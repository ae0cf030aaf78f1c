/* Unit tests for router/prefix_hash: the canonical text of chat and completions bodies (roles,
 * contents, parts, escapes decoded), chained block hashes that depend only on the text (not on
 * how the JSON spells it), shared prefixes giving shared leading hashes, and the partial last
 * block. */
#include "prefix_hash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "hash.h"
#include "model_extract.h"

#define MAXB 64

struct hashed {
    uint64_t h[MAXB];
    size_t n;
    struct rt_prefix_text info;
};

static struct hashed hash_body(const char *body, size_t bc)
{
    static struct rt_extract ex;
    struct hashed r;

    ASSERT_OK(rt_extract_body(body, strlen(body), &ex));
    r.n = rt_prefix_hash(body, &ex, bc, rt_prefix_seed("m", 1), r.h, MAXB, &r.info);
    return r;
}

/* Reference: the same chain computed over a plain string. */
static size_t chain_of(const char *text, size_t bc, uint64_t *out)
{
    uint64_t h = rt_prefix_seed("m", 1);
    size_t n = strlen(text) / bc;

    for (size_t i = 0; i < n; i++)
        out[i] = h = hash64_u64(hash64(text + i * bc, bc, RT_PREFIX_BLOCK_SEED), h);
    return n;
}

TEST(chat_text_is_role_newline_content_newline)
{
    const char *body = "{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":\"be brief"
                       "\"},{\"role\":\"user\",\"content\":\"hello there\"}]}";
    const char *text = "system\nbe brief\nuser\nhello there\n";
    struct hashed r = hash_body(body, 16);
    uint64_t want[MAXB];

    ASSERT_EQ(r.info.text_bytes, strlen(text));
    ASSERT_EQ(r.n, chain_of(text, 16, want));
    ASSERT_EQ(r.n, 2);
    for (size_t i = 0; i < r.n; i++)
        ASSERT_EQ(r.h[i], want[i]);
}

TEST(escapes_are_decoded_so_spellings_agree)
{
    struct hashed a =
        hash_body("{\"prompt\":\"caf\\u00e9 \\\"q\\\" \\n tab\\t slash\\/ end!!\"}", 16);
    struct hashed b = hash_body("{\"prompt\":\"café \\\"q\\\" \\n tab\\t slash/ end!!\"}", 16);

    ASSERT_EQ(a.info.text_bytes, b.info.text_bytes);
    ASSERT_EQ(a.n, b.n);
    ASSERT_TRUE(a.n >= 1);
    for (size_t i = 0; i < a.n; i++)
        ASSERT_EQ(a.h[i], b.h[i]);
    ASSERT_EQ(a.info.head, b.info.head);
}

TEST(surrogate_pairs_decode_to_four_bytes)
{
    struct hashed a = hash_body("{\"prompt\":\"\\ud83d\\ude00\"}", 16);
    ASSERT_EQ(a.info.text_bytes, 4);
}

TEST(shared_prefix_shares_leading_hashes)
{
    char big[2048], b1[2200], b2[2200];

    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    big[sizeof(big) - 1] = '\0';
    snprintf(b1, sizeof(b1), "{\"messages\":[{\"role\":\"user\",\"content\":\"%s one\"}]}", big);
    snprintf(b2, sizeof(b2),
             "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"%s"
             "\"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}},{\"type\":\"text\","
             "\"text\":\" two\"}]}]}",
             big);
    struct hashed a = hash_body(b1, 64), b = hash_body(b2, 64);
    size_t common = (5 + 2047) / 64; /* "user\n" + the shared text, whole blocks */
    ASSERT_TRUE(a.n >= common && b.n >= common);
    for (size_t i = 0; i < common; i++)
        ASSERT_EQ(a.h[i], b.h[i]);
}

TEST(messages_run_across_block_boundaries)
{
    /* The same text split into different messages at different places hashes differently
     * (roles are part of the text) but block 0 covers bytes of two messages. */
    struct hashed r =
        hash_body("{\"messages\":[{\"role\":\"a\",\"content\":\"xy\"},{\"role\":\"b\","
                  "\"content\":\"0123456789abcdefghij\"}]}",
                  16);
    uint64_t want[MAXB];
    ASSERT_EQ(r.n, chain_of("a\nxy\nb\n0123456789abcdefghij\n", 16, want));
    ASSERT_EQ(r.h[0], want[0]);
}

TEST(completion_prompt_array_joined_by_newlines)
{
    struct hashed r = hash_body("{\"prompt\":[\"0123456789\",\"abcdefghij\"]}", 16);
    uint64_t want[MAXB];
    ASSERT_EQ(r.info.text_bytes, 21);
    ASSERT_EQ(r.n, chain_of("0123456789\nabcdefghij", 16, want));
    ASSERT_EQ(r.h[0], want[0]);
}

TEST(short_prompt_has_head_but_no_blocks)
{
    struct hashed a = hash_body("{\"prompt\":\"short\"}", 256);
    struct hashed b = hash_body("{\"prompt\":\"other\"}", 256);
    ASSERT_EQ(a.n, 0);
    ASSERT_EQ(a.info.nblocks, 0);
    ASSERT_NE(a.info.head, b.info.head);
}

TEST(model_seeds_separate_chains)
{
    ASSERT_NE(rt_prefix_seed("a", 1), rt_prefix_seed("b", 1));
    ASSERT_NE(rt_prefix_seed(NULL, 0), rt_prefix_seed("a", 1));
}

TEST(invalid_body_hashes_nothing)
{
    struct hashed r = hash_body("{\"prompt\":\"unterminated", 16);
    ASSERT_EQ(r.n, 0);
    ASSERT_EQ(r.info.text_bytes, 0);
}

TEST(more_blocks_than_room_counts_them_all)
{
    char body[4096];
    char text[3000];
    memset(text, 'z', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    snprintf(body, sizeof(body), "{\"prompt\":\"%s\"}", text);
    struct hashed r = hash_body(body, 16);
    ASSERT_EQ(r.n, MAXB);
    ASSERT_EQ(r.info.nblocks, 2999 / 16);
}

HARNESS_MAIN(CASE(chat_text_is_role_newline_content_newline),
             CASE(escapes_are_decoded_so_spellings_agree),
             CASE(surrogate_pairs_decode_to_four_bytes), CASE(shared_prefix_shares_leading_hashes),
             CASE(messages_run_across_block_boundaries),
             CASE(completion_prompt_array_joined_by_newlines),
             CASE(short_prompt_has_head_but_no_blocks), CASE(model_seeds_separate_chains),
             CASE(invalid_body_hashes_nothing), CASE(more_blocks_than_room_counts_them_all))
