/* KV cache event subscriptions: one ZMQ SUB socket per instance whose metadata carries
 * `kv_events` {"endpoint", "replay_endpoint", "topic", "block_size"}, driven from the libuv loop
 * (a uv_poll_t on the socket's ZMQ_FD, which is edge-triggered: after every wakeup and every
 * receive the socket's ZMQ_EVENTS is read again and messages are received with ZMQ_DONTWAIT
 * while it has ZMQ_POLLIN; nothing blocks the loop), decoded by router/kv_decode and applied to
 * the instance's view in router/kv_index.
 *
 * Sequence numbers: the first message after subscribing, when it is not seq 0, triggers a
 * catch-up replay from seq 0 (whatever the publisher still buffers: the view then holds a
 * subset of the engine's blocks, never a block it lacks); a gap asks the replay socket (a
 * DEALER: [b"", start seq as 8 bytes big-endian]; replies [b"", seq, payload], end marker
 * seq -1) from the first missing seq while live messages wait in the SUB socket. A replay that
 * fails (timeout, no replay endpoint, history no longer buffered) or a malformed batch empties
 * the instance's view and is counted: a missed BlockRemoved would otherwise leave false hits.
 * A seq going back (the engine restarted) empties the view; a changed endpoint or topic
 * resubscribes from scratch. A wildcard host in an endpoint (`*`, 0.0.0.0, ::) is replaced by
 * the instance's host.
 * Depends on libzmq, libuv, common/ (json, log, prom, wallclock), router/services,
 * router/kv_decode, router/kv_index and router/zmq_uv. Loop thread only. */
#ifndef SVC_ROUTER_KV_EVENTS_H
#define SVC_ROUTER_KV_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

struct buf;
struct rt_kv_inst;
struct rt_kv_index;
struct rt_services;

/* Called when an instance's engine lost its cached blocks as far as the events tell (an
 * AllBlocksCleared event, a restart), or when the router lost track of them (a failed replay, a
 * malformed batch): `instance` (borrowed for the call) holds nothing the router knows of. */
typedef void (*rt_kv_events_emptied_cb)(void *ud, const char *instance);

struct rt_kv_events_opts {
    size_t max_bytes;                   /* the index's memory cap (--kv-index-max-bytes) */
    uint64_t replay_timeout_ms;         /* a replay not finished by then fails; 0 = 2000 */
    rt_kv_events_emptied_cb on_emptied; /* may be NULL */
    void *ud;
};

struct rt_kv_events;

/* Creates the subscriber (one ZMQ context; no sockets yet). `loop` is borrowed. NULL when
 * libzmq cannot create a context (logged). */
struct rt_kv_events *rt_kv_events_new(uv_loop_t *loop, const struct rt_kv_events_opts *o);
/* Closes every socket and handle; the memory goes once the loop has run the close callbacks.
 * NULL-safe. */
void rt_kv_events_free(struct rt_kv_events *ev);

/* Reconciles the subscriptions with the instance table (borrowed, read only): subscribes to
 * instances that advertise metadata.kv_events, resubscribes those whose endpoint or topic
 * changed, and drops the others (their index views go with them). Call it after every change of
 * the table: each applied discovery answer and the static-services load. O(instances).
 * NULL `ev` (events off) does nothing. */
void rt_kv_events_sync(struct rt_kv_events *ev, const struct rt_services *services);

/* The index view of instance `name` (what rt_kv_index_match and rt_kv_index_block_size take),
 * or NULL when that instance publishes no events. Borrowed: valid until the next
 * rt_kv_events_sync or rt_kv_events_free. O(log subscriptions). */
const struct rt_kv_inst *rt_kv_events_find(const struct rt_kv_events *ev, const char *name);
/* The index behind every view (memory, evictions). Borrowed. */
const struct rt_kv_index *rt_kv_events_index(const struct rt_kv_events *ev);

struct rt_kv_events_stats {
    uint64_t batches;         /* batches applied (live and replayed) */
    uint64_t events;          /* events applied */
    uint64_t dropped;         /* malformed batches (each empties the view) */
    uint64_t gaps;            /* sequence gaps seen */
    uint64_t replays;         /* replays asked for (gaps and catch-ups) */
    uint64_t replay_failures; /* replays that could not fill the gap (each empties the view) */
    uint64_t restarts;        /* seq went back: the engine restarted (empties the view) */
    int64_t last_seq;         /* -1 before the first batch */
    double lag_last_s;        /* now - batch ts of the last live batch */
    double lag_sum_s;         /* over lag_count live batches */
    uint64_t lag_count;
};
/* Counters of instance `name`'s subscription; false when there is none. */
bool rt_kv_events_stats(const struct rt_kv_events *ev, const char *name,
                        struct rt_kv_events_stats *out);

/* Appends (nothing for a NULL `ev`) the Prometheus families (per instance: batches, events,
 * dropped, gaps, replays, replay failures, restarts, index blocks, last and mean event lag; the
 * index's bytes and evictions) to `out`. */
void rt_kv_events_write_metrics(const struct rt_kv_events *ev, struct buf *out);

#endif
