/* Unit tests for router/kv_decode on messages built with msgpack-c's packer (an independent
 * encoder) in both of vLLM's encodings: every event kind, integer and bytes block hashes,
 * omitted and unknown trailing fields, and malformed input (every truncation, lying counts,
 * wrong types, token counts that do not match), which must deliver nothing. */
#include "kv_decode.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "err.h"
#include "harness.h"
#include "hash.h"

/* ---------------------------------------------------------------- building messages */

static msgpack_sbuffer sb;
static msgpack_packer pk;

static void start(void)
{
    msgpack_sbuffer_destroy(&sb);
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
}

static void str(const char *s)
{
    msgpack_pack_str(&pk, strlen(s));
    msgpack_pack_str_body(&pk, s, strlen(s));
}

static void bin32(uint8_t fill)
{
    uint8_t b[32];

    memset(b, fill, sizeof(b));
    msgpack_pack_bin(&pk, sizeof(b));
    msgpack_pack_bin_body(&pk, b, sizeof(b));
}

static void tokens(uint32_t first, size_t n)
{
    msgpack_pack_array(&pk, n);
    for (size_t i = 0; i < n; i++)
        msgpack_pack_uint32(&pk, first + (uint32_t)i);
}

/* ["BlockStored", [h1, h2], parent, tokens(8), 4, lora_id, medium, lora_name, extra_keys,
 * group_idx, ...]: `extra_fields` of those after lora_name. */
static void stored_array(bool with_parent, size_t extra_fields)
{
    msgpack_pack_array(&pk, 8 + extra_fields);
    str("BlockStored");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_uint64(&pk, UINT64_C(0xfedcba9876543210));
    msgpack_pack_int64(&pk, -5);
    if (with_parent)
        msgpack_pack_uint64(&pk, 77);
    else
        msgpack_pack_nil(&pk);
    tokens(100, 8);
    msgpack_pack_int(&pk, 4);
    msgpack_pack_nil(&pk);
    str("GPU");
    msgpack_pack_nil(&pk);
    for (size_t i = 0; i < extra_fields; i++) {
        if (i == 0)
            msgpack_pack_nil(&pk); /* extra_keys */
        else if (i == 1)
            msgpack_pack_int(&pk, 0); /* group_idx */
        else
            str("future"); /* kv_cache_spec_kind and whatever comes later */
    }
}

/* The head of an array-encoded BlockStored of `nfields` fields: the tag, hashes 1..nblocks, no
 * parent, token ids 0..ntokens-1 and `block_size`; the caller packs the fields after it. */
static void stored_head(size_t nfields, size_t nblocks, size_t ntokens, int block_size)
{
    msgpack_pack_array(&pk, nfields);
    str("BlockStored");
    msgpack_pack_array(&pk, nblocks);
    for (size_t i = 1; i <= nblocks; i++)
        msgpack_pack_uint64(&pk, i);
    msgpack_pack_nil(&pk);
    tokens(0, ntokens);
    msgpack_pack_int(&pk, block_size);
}

static void stored_map(void)
{
    msgpack_pack_map(&pk, 9);
    str("type");
    str("BlockStored");
    str("block_hashes");
    msgpack_pack_array(&pk, 2);
    bin32(0xab);
    bin32(0xcd);
    str("parent_block_hash");
    bin32(0x01);
    str("token_ids");
    tokens(7, 8);
    str("block_size");
    msgpack_pack_int(&pk, 4);
    str("lora_id");
    msgpack_pack_nil(&pk);
    str("medium");
    msgpack_pack_nil(&pk);
    str("lora_name");
    str("adapter");
    str("some_new_field"); /* unknown keys are ignored */
    msgpack_pack_array(&pk, 1);
    msgpack_pack_map(&pk, 0);
}

static void batch_array_head(size_t nevents)
{
    msgpack_pack_array(&pk, 3);
    msgpack_pack_double(&pk, 1700000000.5);
    msgpack_pack_array(&pk, nevents);
}

/* ---------------------------------------------------------------- collecting events */

#define MAX_SEEN 8

struct seen {
    size_t n;
    struct rt_kv_event ev[MAX_SEEN];
    uint64_t hashes[MAX_SEEN][4];
    uint32_t tok[MAX_SEEN][16];
    char medium[MAX_SEEN][16], lora[MAX_SEEN][16];
    bool has_extra[MAX_SEEN];
};

static void collect(void *ud, const struct rt_kv_event *ev)
{
    struct seen *s = ud;

    ASSERT_TRUE(s->n < MAX_SEEN);
    s->ev[s->n] = *ev;
    for (size_t i = 0; i < ev->nblocks && i < 4; i++)
        s->hashes[s->n][i] = ev->block_hashes[i];
    for (size_t i = 0; i < ev->ntokens && i < 16; i++)
        s->tok[s->n][i] = ev->token_ids[i];
    snprintf(s->medium[s->n], 16, "%.*s", (int)ev->medium.len,
             ev->medium.ptr != NULL ? ev->medium.ptr : "");
    snprintf(s->lora[s->n], 16, "%.*s", (int)ev->lora_name.len,
             ev->lora_name.ptr != NULL ? ev->lora_name.ptr : "");
    s->has_extra[s->n] = ev->extra != NULL;
    s->n++;
}

static int decode(struct seen *s, struct rt_kv_batch *b)
{
    struct rt_kv_decoder *d = rt_kv_decoder_new();

    memset(s, 0, sizeof(*s));
    int rc = rt_kv_decode_batch(d, sb.data, sb.size, b, collect, s);
    rt_kv_decoder_free(d);
    return rc;
}

/* ---------------------------------------------------------------- cases */

TEST(stored_array_int_hashes)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(1);
    stored_array(false, 0);
    msgpack_pack_int(&pk, 2);
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(b.nevents, 1);
    ASSERT_TRUE(b.ts == 1700000000.5);
    ASSERT_TRUE(b.has_dp_rank);
    ASSERT_EQ(b.dp_rank, 2);
    const struct rt_kv_event *e = &s.ev[0];
    ASSERT_EQ(e->type, RT_KV_BLOCK_STORED);
    ASSERT_EQ(e->nblocks, 2);
    ASSERT_TRUE(s.hashes[0][0] == UINT64_C(0xfedcba9876543210));
    ASSERT_TRUE(s.hashes[0][1] == (uint64_t)(int64_t)-5);
    ASSERT_FALSE(e->has_parent);
    ASSERT_EQ(e->ntokens, 8);
    ASSERT_EQ(e->block_size, 4);
    ASSERT_EQ(s.tok[0][0], 100);
    ASSERT_EQ(s.tok[0][7], 107);
    ASSERT_FALSE(e->has_lora_id);
    ASSERT_STR_EQ(s.medium[0], "GPU");
    ASSERT_FALSE(s.has_extra[0]);
}

TEST(stored_map_bytes_hashes)
{
    struct seen s;
    struct rt_kv_batch b;
    uint8_t raw[32];

    start();
    msgpack_pack_map(&pk, 2); /* a map batch without data_parallel_rank */
    str("events");
    msgpack_pack_array(&pk, 1);
    stored_map();
    str("ts");
    msgpack_pack_double(&pk, 12.25);
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 1);
    ASSERT_FALSE(b.has_dp_rank);
    ASSERT_TRUE(b.ts == 12.25);
    memset(raw, 0xab, sizeof(raw));
    ASSERT_TRUE(s.hashes[0][0] == hash64(raw, sizeof(raw), 0));
    memset(raw, 0x01, sizeof(raw));
    ASSERT_TRUE(s.ev[0].has_parent);
    ASSERT_TRUE(s.ev[0].parent == hash64(raw, sizeof(raw), 0));
    ASSERT_EQ(s.tok[0][0], 7);
    ASSERT_STR_EQ(s.lora[0], "adapter");
    ASSERT_STR_EQ(s.medium[0], "");
}

TEST(removed_and_cleared_both_encodings)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(4);
    msgpack_pack_array(&pk, 3); /* array: tag, hashes, medium */
    str("BlockRemoved");
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint64(&pk, 9);
    str("CPU");
    msgpack_pack_array(&pk, 1);
    str("AllBlocksCleared");
    msgpack_pack_map(&pk, 4); /* map: medium before the tag, plus group_idx */
    str("medium");
    msgpack_pack_nil(&pk);
    str("type");
    str("BlockRemoved");
    str("block_hashes");
    msgpack_pack_array(&pk, 1);
    bin32(3);
    str("group_idx");
    msgpack_pack_int(&pk, 1);
    msgpack_pack_map(&pk, 1);
    str("type");
    str("AllBlocksCleared");
    msgpack_pack_nil(&pk); /* data_parallel_rank nil */
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 4);
    ASSERT_FALSE(b.has_dp_rank);
    ASSERT_EQ(s.ev[0].type, RT_KV_BLOCK_REMOVED);
    ASSERT_TRUE(s.hashes[0][0] == 9);
    ASSERT_STR_EQ(s.medium[0], "CPU");
    ASSERT_FALSE(s.ev[0].has_group);
    ASSERT_EQ(s.ev[1].type, RT_KV_ALL_CLEARED);
    ASSERT_EQ(s.ev[2].type, RT_KV_BLOCK_REMOVED);
    ASSERT_TRUE(s.ev[2].has_group);
    ASSERT_EQ(s.ev[2].group_idx, 1);
    ASSERT_EQ(s.ev[3].type, RT_KV_ALL_CLEARED);
}

TEST(old_and_new_array_shapes)
{
    struct seen s;
    struct rt_kv_batch b;

    /* Old: [ts, events] and BlockStored without medium and lora_name; new: trailing fields
     * this decoder does not know, and a batch with an unknown fourth element. */
    start();
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 5); /* integer ts */
    msgpack_pack_array(&pk, 2);
    stored_head(6, 1, 2, 2);
    msgpack_pack_int(&pk, 3); /* lora_id */
    stored_array(true, 4);
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 2);
    ASSERT_TRUE(b.ts == 5);
    ASSERT_TRUE(s.ev[0].has_lora_id);
    ASSERT_EQ(s.ev[0].lora_id, 3);
    ASSERT_TRUE(s.ev[1].has_parent);
    ASSERT_TRUE(s.ev[1].parent == 77);

    start();
    msgpack_pack_array(&pk, 4);
    msgpack_pack_double(&pk, 1);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_int(&pk, 0);
    str("future");
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 0);
}

TEST(extra_keys_per_block)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(1);
    stored_head(9, 2, 4, 2);
    msgpack_pack_nil(&pk); /* lora_id, medium, lora_name */
    msgpack_pack_nil(&pk);
    msgpack_pack_nil(&pk);
    msgpack_pack_array(&pk, 2); /* extra_keys: none for block 0, an image for block 1 */
    msgpack_pack_nil(&pk);
    msgpack_pack_array(&pk, 1);
    str("image-hash");
    msgpack_pack_nil(&pk);
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 1);
    ASSERT_TRUE(s.has_extra[0]);

    /* An extra_keys list whose length is not the block count is malformed. */
    start();
    batch_array_head(1);
    stored_head(9, 1, 2, 2);
    msgpack_pack_nil(&pk); /* lora_id, medium, lora_name */
    msgpack_pack_nil(&pk);
    msgpack_pack_nil(&pk);
    msgpack_pack_array(&pk, 0);
    msgpack_pack_nil(&pk);
    ASSERT_EQ(decode(&s, &b), SVC_EPARSE);
    ASSERT_EQ(s.n, 0);
}

TEST(unknown_event_kind_skipped)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(3);
    msgpack_pack_array(&pk, 2);
    str("BlockUpdated");
    msgpack_pack_array(&pk, 0);
    msgpack_pack_map(&pk, 2);
    str("type");
    str("SomethingElse");
    str("x");
    msgpack_pack_int(&pk, 1);
    msgpack_pack_array(&pk, 1);
    str("AllBlocksCleared");
    msgpack_pack_nil(&pk);
    ASSERT_OK(decode(&s, &b));
    ASSERT_EQ(s.n, 1);
    ASSERT_EQ(b.unknown_events, 2);
}

/* A valid first event followed by a broken one: nothing is delivered. */
TEST(malformed_delivers_nothing)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(2);
    stored_array(false, 0);
    stored_head(6, 2, 7, 4); /* 2 blocks of 4 need 8 tokens, not 7 */
    msgpack_pack_nil(&pk);
    msgpack_pack_nil(&pk);
    ASSERT_EQ(decode(&s, &b), SVC_EPARSE);
    ASSERT_EQ(s.n, 0);

    static const struct {
        const char *bytes;
        size_t len;
    } bad[] = {
        {"", 0},
        {"\xc1", 1},                                 /* never-used byte */
        {"\xdd\x0f\xff\xff\xff", 5},                 /* array claiming 268M elements */
        {"\xdf\xff\xff\xff\xff", 5},                 /* map claiming 4G pairs */
        {"\x92\xcb\x00\x00\x00\x00\x00\x00\x00", 9}, /* truncated float */
        {"\x92\xa1x\x90", 4},                        /* ts is a string */
        {"\x92\x01\x91\x01", 4},                     /* an event that is an integer */
        {"\x92\x01\x91\x90", 4},                     /* an event without a tag */
        {"\x92\x01\x91\x91\x01", 5},                 /* a tag that is not a string */
        {"\x92\x01\x90\xc0", 4},                     /* trailing bytes */
        {"\x81\xa2ts\x01", 5},                       /* map batch without events */
        {"\x82\xa2ts\x01\x01\x90", 7},               /* map key that is not a string */
        {"\x92\x01\x91\x92\xac"
         "BlockRemoved\x91\xa1x",
         20}, /* hash that is a string */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct rt_kv_decoder *d = rt_kv_decoder_new();
        memset(&s, 0, sizeof(s));
        int rc = rt_kv_decode_batch(d, bad[i].bytes, bad[i].len, &b, collect, &s);
        rt_kv_decoder_free(d);
        if (rc != SVC_EPARSE)
            HARNESS_FAIL_("bad[%zu]: rc %d", i, rc);
        ASSERT_EQ(s.n, 0);
    }
}

/* Every strict prefix of valid messages (both encodings) is rejected, read from an exact-size
 * allocation so that ASan catches any read past the end. */
TEST(every_truncation_rejected)
{
    struct seen s;
    struct rt_kv_batch b;
    struct rt_kv_decoder *d = rt_kv_decoder_new();

    for (int form = 0; form < 2; form++) {
        start();
        if (form == 0) {
            batch_array_head(2);
            stored_array(true, 2);
            msgpack_pack_array(&pk, 1);
            str("AllBlocksCleared");
            msgpack_pack_int(&pk, 0);
        } else {
            msgpack_pack_map(&pk, 2);
            str("ts");
            msgpack_pack_float(&pk, 3.5f);
            str("events");
            msgpack_pack_array(&pk, 1);
            stored_map();
        }
        for (size_t len = 0; len < sb.size; len++) {
            char *copy = malloc(len > 0 ? len : 1);
            memcpy(copy, sb.data, len);
            memset(&s, 0, sizeof(s));
            ASSERT_TRUE(rt_kv_decode_batch(d, copy, len, &b, collect, &s) < 0);
            ASSERT_EQ(s.n, 0);
            free(copy);
        }
        memset(&s, 0, sizeof(s));
        ASSERT_OK(rt_kv_decode_batch(d, sb.data, sb.size, &b, collect, &s));
        ASSERT_TRUE(s.n >= 1);
    }
    rt_kv_decoder_free(d);
}

TEST(limits)
{
    struct seen s;
    struct rt_kv_batch b;

    start();
    batch_array_head(1);
    stored_head(5, 0, 0, (int)RT_KV_DECODE_MAX_BLOCK_SIZE + 1);
    msgpack_pack_nil(&pk);
    ASSERT_EQ(decode(&s, &b), SVC_EPARSE);

    start();
    batch_array_head(1);
    msgpack_pack_array(&pk, 2);
    str("BlockRemoved");
    msgpack_pack_array(&pk, RT_KV_DECODE_MAX_BLOCKS + 1);
    for (unsigned i = 0; i <= RT_KV_DECODE_MAX_BLOCKS; i++)
        msgpack_pack_uint64(&pk, i);
    msgpack_pack_nil(&pk);
    ASSERT_EQ(decode(&s, &b), SVC_ELIMIT);
    ASSERT_EQ(s.n, 0);
}

TEST(seq_frames)
{
    int64_t seq = 0;

    ASSERT_OK(rt_kv_decode_seq("\x00\x00\x00\x00\x00\x00\x01\x02", 8, &seq));
    ASSERT_EQ(seq, 258);
    ASSERT_OK(rt_kv_decode_seq("\xff\xff\xff\xff\xff\xff\xff\xff", 8, &seq));
    ASSERT_EQ(seq, -1);
    ASSERT_EQ(rt_kv_decode_seq("\x00\x01", 2, &seq), SVC_EPARSE);
}

HARNESS_MAIN(CASE(stored_array_int_hashes), CASE(stored_map_bytes_hashes),
             CASE(removed_and_cleared_both_encodings), CASE(old_and_new_array_shapes),
             CASE(extra_keys_per_block), CASE(unknown_event_kind_skipped),
             CASE(malformed_delivers_nothing), CASE(every_truncation_rejected), CASE(limits),
             CASE(seq_frames))
