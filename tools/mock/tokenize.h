/* infini-mock's tokenizer: the token ids its simulation uses, and vLLM's POST /tokenize.
 * The mock counts ceil(bytes / chars_per_token) tokens in a prompt's canonical text
 * (tools/mock/prompt.h); token i is bytes [i*cpt, (i+1)*cpt) of that text (the last may be
 * shorter) and its id is the top 31 bits of hash64(those bytes, model seed). So an id depends
 * only on the token's bytes and the model, a mock block (block_size tokens = block_size * cpt
 * bytes) corresponds one to one to the block_size ids of that block, and the ids /tokenize
 * returns are exactly those the KV events carry. Pure; depends on cJSON (through common/json),
 * common/buf, common/hash and tools/mock/prompt. */
#ifndef SVC_TOOLS_MOCK_TOKENIZE_H
#define SVC_TOOLS_MOCK_TOKENIZE_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

struct buf;
struct err_msg;

/* Writes the ids of the tokens of `text` (`len` bytes, borrowed) into `out`, at most `max` of
 * them. Returns the number of tokens, ceil(len / cpt) (it may exceed `max`). cpt >= 1. */
size_t mock_tokenize_ids(const char *text, size_t len, int cpt, uint64_t seed, uint32_t *out,
                         size_t max);

/* Answers a /tokenize request body (borrowed; {"model", "messages", ...} or {"model",
 * "prompt"}) for a model whose hash seed is `seed`: appends {"count", "max_model_len",
 * "tokens"} to `out`, using `text` as scratch for the canonical prompt. 0; SVC_EPARSE with
 * `err` saying what is wrong with the body; SVC_ELIMIT when the prompt does not fit `text`. */
int mock_tokenize_reply(const cJSON *body, int cpt, uint64_t seed, int max_model_len,
                        struct buf *text, struct buf *out, struct err_msg *err);

#endif
