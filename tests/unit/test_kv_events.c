/* Unit tests for router/kv_events on a private loop against a publisher driven by the test
 * (an XPUB socket, so the test knows when the router has subscribed, and a ROUTER replay
 * socket): a gap is repaired by a replay, an unanswered replay empties the instance's view, a
 * sequence going back (a restart) empties it, and a late subscriber catches up from seq 0. */
#include "kv_events.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <uv.h>
#include <zmq.h>

#include "harness.h"
#include "json.h"
#include "kv_index.h"
#include "services.h"

#define BS       2
#define MAX_SENT 16

static uv_loop_t loop;
static void *ctx, *xpub, *router;
static int port, rport;
static msgpack_sbuffer sent[MAX_SENT]; /* batch of each seq, for replays */
static int nsent;
static bool answer_replays;
static struct rt_services *services;
static struct rt_kv_events *ev;

static int bound_port(void *sock)
{
    char ep[128];
    size_t sz = sizeof(ep);

    ASSERT_OK(zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, ep, &sz));
    return (int)strtol(strrchr(ep, ':') + 1, NULL, 10);
}

/* Batch of seq `s`: BlockStored of block `block` (engine hash 100+block, parent 100+block-1,
 * tokens 2*block, 2*block+1), optionally after an AllBlocksCleared. */
static void make_batch(int s, int block)
{
    msgpack_packer pk;

    msgpack_sbuffer_init(&sent[s]);
    msgpack_packer_init(&pk, &sent[s], msgpack_sbuffer_write);
    msgpack_pack_array(&pk, 3);
    msgpack_pack_double(&pk, 1.0);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_array(&pk, 5);
    msgpack_pack_str(&pk, 11);
    msgpack_pack_str_body(&pk, "BlockStored", 11);
    msgpack_pack_array(&pk, 1);
    msgpack_pack_uint64(&pk, 100 + (uint64_t)block);
    if (block > 0)
        msgpack_pack_uint64(&pk, 100 + (uint64_t)block - 1);
    else
        msgpack_pack_nil(&pk);
    msgpack_pack_array(&pk, BS);
    msgpack_pack_uint32(&pk, 2 * (uint32_t)block);
    msgpack_pack_uint32(&pk, 2 * (uint32_t)block + 1);
    msgpack_pack_int(&pk, BS);
    msgpack_pack_int(&pk, 0);
    if (s >= nsent)
        nsent = s + 1;
}

static void seq8(int64_t s, unsigned char out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((uint64_t)s >> (56 - 8 * i));
}

static void publish(int s, bool really)
{
    unsigned char b[8];

    seq8(s, b);
    if (!really)
        return;
    ASSERT_TRUE(zmq_send(xpub, "kv@t", 4, ZMQ_SNDMORE) == 4);
    ASSERT_TRUE(zmq_send(xpub, b, 8, ZMQ_SNDMORE) == 8);
    ASSERT_TRUE(zmq_send(xpub, sent[s].data, sent[s].size, 0) >= 0);
}

static void serve_router(void)
{
    zmq_msg_t id, empty, start;
    unsigned char b[8];

    zmq_msg_init(&id);
    zmq_msg_init(&empty);
    zmq_msg_init(&start);
    if (zmq_msg_recv(&id, router, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&id);
        zmq_msg_close(&empty);
        zmq_msg_close(&start);
        return;
    }
    ASSERT_TRUE(zmq_msg_recv(&empty, router, 0) == 0);
    ASSERT_TRUE(zmq_msg_recv(&start, router, 0) == 8);
    const unsigned char *p = zmq_msg_data(&start);
    int64_t from = 0;
    for (int i = 0; i < 8; i++)
        from = from << 8 | p[i];
    if (answer_replays) {
        for (int s = (int)from; s < nsent; s++) {
            seq8(s, b);
            zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
            zmq_send(router, "", 0, ZMQ_SNDMORE);
            zmq_send(router, b, 8, ZMQ_SNDMORE);
            zmq_send(router, sent[s].data, sent[s].size, 0);
        }
        seq8(-1, b);
        zmq_send(router, zmq_msg_data(&id), zmq_msg_size(&id), ZMQ_SNDMORE);
        zmq_send(router, "", 0, ZMQ_SNDMORE);
        zmq_send(router, b, 8, ZMQ_SNDMORE);
        zmq_send(router, "", 0, 0);
    }
    zmq_msg_close(&id);
    zmq_msg_close(&empty);
    zmq_msg_close(&start);
}

/* Runs the loop and the publisher's replay socket for about `ms` milliseconds. */
static void spin(int ms)
{
    for (int i = 0; i < ms; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        zmq_pollitem_t it = {router, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 1) > 0)
            serve_router();
    }
}

static void setup(uint64_t replay_timeout_ms)
{
    char meta[512];

    ASSERT_OK(uv_loop_init(&loop));
    ctx = zmq_ctx_new();
    xpub = zmq_socket(ctx, ZMQ_XPUB);
    router = zmq_socket(ctx, ZMQ_ROUTER);
    int zero = 0;
    zmq_setsockopt(xpub, ZMQ_LINGER, &zero, sizeof(zero));
    zmq_setsockopt(router, ZMQ_LINGER, &zero, sizeof(zero));
    ASSERT_OK(zmq_bind(xpub, "tcp://127.0.0.1:*"));
    ASSERT_OK(zmq_bind(router, "tcp://127.0.0.1:*"));
    port = bound_port(xpub);
    rport = bound_port(router);
    nsent = 0;
    answer_replays = true;
    services = rt_services_new(&loop, 0);
    snprintf(meta, sizeof(meta),
             "{\"type\":\"openai-api\",\"kv_events\":{\"endpoint\":\"tcp://*:%d\","
             "\"replay_endpoint\":\"tcp://127.0.0.1:%d\",\"topic\":\"kv@t\",\"block_size\":%d}}",
             port, rport, BS);
    cJSON *m = json_parse(meta, strlen(meta), NULL);
    struct rt_instance_desc d = {.name = "e1",
                                 .host = "127.0.0.1",
                                 .port = 1,
                                 .metadata = m,
                                 .registry_healthy = true,
                                 .source = RT_SOURCE_STATIC_FILE};
    rt_services_upsert(services, &d);
    cJSON_Delete(m);
    const struct rt_kv_events_opts o = {.max_bytes = 1 << 20,
                                        .replay_timeout_ms = replay_timeout_ms};
    ev = rt_kv_events_new(&loop, &o);
    ASSERT_NOT_NULL(ev);
    rt_kv_events_sync(ev, services);
    /* The XPUB socket hears the subscription once the SUB socket is connected. */
    for (int i = 0; i < 5000; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        zmq_pollitem_t it = {xpub, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, 1) > 0) {
            char sub[64];
            ASSERT_TRUE(zmq_recv(xpub, sub, sizeof(sub), 0) >= 1 && sub[0] == 1);
            return;
        }
    }
    HARNESS_FAIL_("the router never subscribed");
}

static void teardown(void)
{
    rt_kv_events_free(ev);
    rt_services_free(services);
    while (uv_run(&loop, UV_RUN_NOWAIT) != 0)
        ;
    ASSERT_OK(uv_loop_close(&loop));
    zmq_close(xpub);
    zmq_close(router);
    zmq_ctx_term(ctx);
    for (int s = 0; s < nsent; s++)
        msgpack_sbuffer_destroy(&sent[s]);
}

/* Leading blocks of tokens 0 .. 2*nblocks-1 instance e1 holds. */
static size_t held(size_t nblocks)
{
    uint32_t toks[32];
    uint64_t chain[16];

    for (uint32_t i = 0; i < 2 * nblocks; i++)
        toks[i] = i;
    size_t n = rt_kv_chain(toks, 2 * nblocks, BS, 0, chain, 16);
    return rt_kv_index_match(rt_kv_events_find(ev, "e1"), chain, n);
}

static struct rt_kv_events_stats stats(void)
{
    struct rt_kv_events_stats st;

    ASSERT_TRUE(rt_kv_events_stats(ev, "e1", &st));
    return st;
}

/* Waits (bounded) until instance e1 has applied `batches` batches. */
static void wait_batches(uint64_t batches)
{
    for (int i = 0; i < 50 && stats().batches < batches; i++)
        spin(20);
    ASSERT_EQ(stats().batches, batches);
}

TEST(gap_then_replay)
{
    setup(2000);
    for (int s = 0; s < 4; s++)
        make_batch(s, s);
    publish(0, true);
    publish(1, true);
    publish(2, false); /* lost on the way */
    publish(3, true);
    wait_batches(4);
    struct rt_kv_events_stats st = stats();
    ASSERT_EQ(st.gaps, 1);
    ASSERT_EQ(st.replays, 1);
    ASSERT_EQ(st.replay_failures, 0);
    ASSERT_EQ(st.last_seq, 3);
    ASSERT_EQ(held(4), 4);
    /* Live messages go on after the repair. */
    make_batch(4, 4);
    publish(4, true);
    wait_batches(5);
    ASSERT_EQ(held(5), 5);
    teardown();
}

TEST(unanswered_replay_empties_the_view)
{
    setup(200);
    answer_replays = false;
    for (int s = 0; s < 4; s++)
        make_batch(s, s);
    publish(0, true);
    publish(1, true);
    wait_batches(2);
    ASSERT_EQ(held(2), 2);
    publish(3, true); /* 2 is missing and the replay socket stays silent */
    for (int i = 0; i < 50 && stats().replay_failures == 0; i++)
        spin(20);
    struct rt_kv_events_stats st = stats();
    ASSERT_EQ(st.gaps, 1);
    ASSERT_EQ(st.replay_failures, 1);
    /* Emptied, then seq 3 applied as a fresh start: its parent is unknown, so nothing held. */
    ASSERT_EQ(held(4), 0);
    ASSERT_EQ(st.last_seq, 3);
    teardown();
}

TEST(restart_empties_the_view)
{
    setup(2000);
    for (int s = 0; s < 3; s++)
        make_batch(s, s);
    for (int s = 0; s < 3; s++)
        publish(s, true);
    wait_batches(3);
    ASSERT_EQ(held(3), 3);
    /* A new publisher starts again at seq 0 with other blocks. */
    msgpack_sbuffer_destroy(&sent[0]);
    make_batch(0, 5);
    nsent = 1;
    for (int i = 1; i < 3; i++)
        msgpack_sbuffer_destroy(&sent[i]);
    publish(0, true);
    for (int i = 0; i < 50 && stats().restarts == 0; i++)
        spin(20);
    ASSERT_EQ(stats().restarts, 1);
    ASSERT_EQ(held(3), 0);
    ASSERT_EQ(stats().last_seq, 0);
    teardown();
}

TEST(late_subscriber_catches_up)
{
    setup(2000);
    for (int s = 0; s < 3; s++)
        make_batch(s, s);
    publish(2, true); /* 0 and 1 went out before the subscription */
    wait_batches(3);
    struct rt_kv_events_stats st = stats();
    ASSERT_EQ(st.replays, 1);
    ASSERT_EQ(st.gaps, 0);
    ASSERT_EQ(st.replay_failures, 0);
    ASSERT_EQ(held(3), 3);
    teardown();
}

HARNESS_MAIN(CASE(gap_then_replay), CASE(unanswered_replay_empties_the_view),
             CASE(restart_empties_the_view), CASE(late_subscriber_catches_up))
