/* Fuzz target: router/kv_decode on arbitrary payloads, and every event it accepts applied to a
 * router/kv_index under a small memory cap. Invariants: a rejected payload delivers no event;
 * an accepted BlockStored carries nblocks * block_size token ids and non-NULL arrays; matching
 * a chain never claims more blocks than asked. The first 8 bytes also go through the seq
 * decoder. The seed corpus comes from gen_kv_decode_corpus.py. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz.h"
#include "kv_decode.h"
#include "kv_index.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c))                                                                                  \
            abort();                                                                               \
    } while (0)

struct ctx {
    struct rt_kv_index *idx;
    struct rt_kv_inst *k;
    size_t delivered;
};

static void on_event(void *ud, const struct rt_kv_event *ev)
{
    struct ctx *c = ud;

    c->delivered++;
    if (ev->type == RT_KV_BLOCK_STORED) {
        CHECK(ev->block_size >= 1);
        CHECK(ev->ntokens == ev->nblocks * (size_t)ev->block_size);
        CHECK(ev->nblocks == 0 || (ev->block_hashes != NULL && ev->token_ids != NULL));
    }
    if (ev->type == RT_KV_BLOCK_REMOVED)
        CHECK(ev->nblocks == 0 || ev->block_hashes != NULL);
    rt_kv_index_apply(c->idx, c->k, ev);
    if (ev->type == RT_KV_BLOCK_STORED && ev->nblocks > 0) {
        uint64_t chain[8];
        size_t n = rt_kv_chain(ev->token_ids, ev->ntokens, ev->block_size, 0, chain, 8);
        size_t m = rt_kv_index_match(c->k, chain, n < 8 ? n : 8);
        CHECK(m <= 8 && m <= n);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct rt_kv_decoder *dec;
    struct ctx c = {0};
    struct rt_kv_batch b;
    int64_t seq;

    if (dec == NULL)
        dec = rt_kv_decoder_new();
    if (size >= 8)
        CHECK(rt_kv_decode_seq(data, 8, &seq) == 0);
    c.idx = rt_kv_index_new(16 * 1024);
    c.k = rt_kv_index_inst_new(c.idx, 0);
    int rc = rt_kv_decode_batch(dec, data, size, &b, on_event, &c);
    if (rc < 0)
        CHECK(c.delivered == 0);
    else
        CHECK(c.delivered == b.nevents);
    rt_kv_index_free(c.idx);
    return 0;
}
