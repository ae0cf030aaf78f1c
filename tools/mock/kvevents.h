/* infini-mock's KV cache event publisher, in vLLM's format (vllm/distributed/kv_events.py): a
 * ZMQ PUB socket sending [topic, seq as 8 bytes big-endian, msgpack batch] and a ROUTER replay
 * socket answering [b"", start seq] with [b"", seq, batch] for every buffered batch from start
 * on, then [b"", -1, b""]. A batch is (ts, events, data_parallel_rank = 0) holding BlockStored
 * (block hashes, parent, token ids, block size, lora_id nil, medium "GPU", lora_name nil),
 * BlockRemoved and AllBlocksCleared, encoded either as arrays with the tag first (block hashes
 * as integers) or as maps with a "type" tag (block hashes as 32 bytes). The engine's cache
 * changes (mock_engine_kv_observer) are collected and published as one batch per flush; adjacent
 * stores of one chain merge into one BlockStored, adjacent removals into one BlockRemoved.
 * Publishing never blocks the loop (ZMQ_DONTWAIT; a refused send is counted). A drop switch
 * skips publishing one seq, which stays in the replay buffer, to exercise gap repair.
 * Depends on libzmq, msgpack-c, libuv, common/ and tools/mock/engine. Loop thread only. */
#ifndef SVC_TOOLS_MOCK_KVEVENTS_H
#define SVC_TOOLS_MOCK_KVEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct err_msg;
struct mock_engine;

#define MOCK_KVEVENTS_BUFFER 10000 /* batches kept for replay, as vLLM's buffer_steps */

struct mock_kvevents_opts {
    const char *bind;  /* address to bind both sockets on (IPv4/IPv6 literal or 0.0.0.0) */
    int port;          /* PUB */
    int replay_port;   /* ROUTER */
    bool map_encoding; /* maps with a "type" tag (else arrays with the tag first) */
    int block_size;
    long long drop_seq; /* seq to publish nothing for (kept for replay); -1 = none */
};

struct mock_kvevents_stats {
    uint64_t batches;    /* published (including a dropped seq) */
    uint64_t events;     /* events in them */
    uint64_t send_fails; /* sends the socket refused */
    uint64_t replays;    /* replay requests answered */
};

struct mock_kvevents;

/* Binds both sockets. Returns the publisher, or NULL with `err` set (address in use...).
 * `o` is copied. */
struct mock_kvevents *mock_kvevents_new(uv_loop_t *loop, const struct mock_kvevents_opts *o,
                                        struct err_msg *err);
/* Closes the sockets and handles; the memory goes with the last close callback. NULL-safe. */
void mock_kvevents_free(struct mock_kvevents *p);

/* Sets the topic (copied) every later batch is published under. */
void mock_kvevents_set_topic(struct mock_kvevents *p, const char *topic);
/* Makes `e` report its cache changes to `p` (both borrowed; detach with
 * mock_engine_set_kv_observer(e, NULL) before freeing `p`). */
void mock_kvevents_attach(struct mock_kvevents *p, struct mock_engine *e);

void mock_kvevents_get_stats(const struct mock_kvevents *p, struct mock_kvevents_stats *out);

#endif
