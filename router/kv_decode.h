/* Decoder of vLLM's KV cache event messages (vllm/distributed/kv_events.py): a ZMQ multipart
 * message [topic, seq as 8 bytes big-endian, payload], the payload being msgpack of an event
 * batch (ts, events, data_parallel_rank). Both encodings vLLM has used are accepted: structs as
 * arrays with the tag name first (msgspec array_like=True, tag=True; trailing default fields may
 * be omitted) and structs as maps with a "type" tag; unknown trailing fields and unknown keys are
 * ignored, unknown event kinds skipped and counted. A block hash is an integer (uint64 or int64,
 * taken as its 64 bits) or bytes (e.g. a 32-byte sha256), which map to hash64(bytes, len, 0), so
 * both kinds key the same tables. A message is validated whole before any event is delivered:
 * a malformed message delivers nothing. Events are delivered through a callback with arrays
 * borrowed from the decoder's scratch space (grown to the largest event seen, bounded by the
 * limits below), so there is no heap allocation per event.
 * Pure: no I/O, no logging. Depends on libc and common/hash (not on msgpack-c: its unpacker
 * allocates what a header's element count claims before checking that the input holds that
 * many elements, e.g. 8 GB for the 5 bytes dd 0f ff ff ff, so this reader checks every count
 * against the bytes left first). */
#ifndef SVC_ROUTER_KV_DECODE_H
#define SVC_ROUTER_KV_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits: a message beyond them is rejected with SVC_ELIMIT. */
#define RT_KV_DECODE_MAX_BLOCKS     (1u << 17) /* block hashes in one event */
#define RT_KV_DECODE_MAX_TOKENS     (1u << 22) /* token ids in one event */
#define RT_KV_DECODE_MAX_BLOCK_SIZE 65536u     /* tokens per block */

enum rt_kv_event_type {
    RT_KV_BLOCK_STORED,
    RT_KV_BLOCK_REMOVED,
    RT_KV_ALL_CLEARED,
};

/* A string field (borrowed from the payload; not NUL-terminated); ptr NULL when absent/nil. */
struct rt_kv_str {
    const char *ptr;
    size_t len;
};

/* One event. Arrays are borrowed and valid only during the callback. */
struct rt_kv_event {
    enum rt_kv_event_type type;
    const uint64_t *block_hashes; /* STORED, REMOVED: engine hashes as 64-bit keys */
    size_t nblocks;
    bool has_parent; /* STORED: parent_block_hash was not nil */
    uint64_t parent;
    const uint32_t *token_ids; /* STORED: nblocks * block_size ids */
    size_t ntokens;
    uint32_t block_size; /* STORED: >= 1 */
    /* STORED: one value per block, hash64 of that block's extra_keys entry as encoded (images,
     * cache salt, LoRA...), 0 for a nil entry; NULL when the field is absent, nil or all nil. */
    const uint64_t *extra;
    bool has_lora_id;
    int64_t lora_id;
    struct rt_kv_str lora_name; /* STORED */
    struct rt_kv_str medium;    /* STORED, REMOVED: "GPU", "CPU", ... */
    bool has_group;             /* group_idx (hybrid models' KV cache groups) */
    int64_t group_idx;
};

struct rt_kv_batch {
    double ts; /* the publisher's wall clock, Unix seconds */
    bool has_dp_rank;
    int64_t dp_rank;
    size_t nevents;        /* events delivered */
    size_t unknown_events; /* events of an unknown kind, skipped */
};

/* Receives each event of a valid batch in order. `ev` is valid during the call only. */
typedef void (*rt_kv_event_cb)(void *ud, const struct rt_kv_event *ev);

struct rt_kv_decoder;

/* Creates a decoder (scratch space only; reusable for any number of messages). Never NULL. */
struct rt_kv_decoder *rt_kv_decoder_new(void);
/* NULL-safe. */
void rt_kv_decoder_free(struct rt_kv_decoder *d);

/* Reads an 8-byte big-endian sequence frame as a signed integer (vLLM's replay end marker is
 * -1). 0, or SVC_EPARSE when `len` is not 8. */
int rt_kv_decode_seq(const void *frame, size_t len, int64_t *seq);

/* Decodes the msgpack `payload` (`len` bytes, borrowed) of one batch, fills `batch` and then
 * calls `cb` (may be NULL: validation only) for each event in order. Returns 0, SVC_EPARSE
 * when the payload is malformed (nothing delivered), or SVC_ELIMIT when an event exceeds a
 * limit above (nothing delivered). Never aborts on bad input. */
int rt_kv_decode_batch(struct rt_kv_decoder *d, const void *payload, size_t len,
                       struct rt_kv_batch *batch, rt_kv_event_cb cb, void *ud);

#endif
