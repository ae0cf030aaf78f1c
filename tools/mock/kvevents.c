/* infini-mock's KV event publisher (see kvevents.h). Pending events are kept as small records
 * over two growable arrays (hashes, token ids) and packed with msgpack-c at flush time; each
 * published payload is also kept in a ring of the last MOCK_KVEVENTS_BUFFER batches for replay.
 * The ROUTER socket is watched through its ZMQ_FD (edge-triggered: read ZMQ_EVENTS after every
 * wakeup and keep receiving while it has ZMQ_POLLIN). Depends on libzmq, msgpack-c, libuv,
 * common/ (buf, err, hash, log, wallclock, xalloc) and tools/mock/engine. */
#include "kvevents.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>
#include <zmq.h>

#include "buf.h"
#include "engine.h"
#include "err.h"
#include "hash.h"
#include "log.h"
#include "wallclock.h"
#include "xalloc.h"

enum pev_type { PEV_STORED, PEV_REMOVED, PEV_CLEARED };

struct pev {
    enum pev_type type;
    bool has_parent;
    uint64_t parent;
    size_t h0, nh; /* range in `hashes` */
    size_t t0, nt; /* range in `tokens` */
};

struct sent {
    int64_t seq;
    char *payload;
    size_t len;
};

struct mock_kvevents {
    uv_loop_t *loop;
    struct mock_kvevents_opts o;
    void *ctx, *pub, *router;
    uv_poll_t poll;
    bool poll_inited;
    char *topic;
    int64_t next_seq;
    struct pev *ev;
    size_t nev, capev;
    uint64_t *hashes;
    size_t nhash, caphash;
    uint32_t *tokens;
    size_t ntok, captok;
    struct sent ring[MOCK_KVEVENTS_BUFFER];
    size_t ring_len, ring_head; /* oldest at ring_head */
    struct mock_kvevents_stats st;
};

/* ---------------------------------------------------------------- collecting */

static void grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, c * elem);
    *cap = c;
}

static struct pev *push_event(struct mock_kvevents *p, enum pev_type type)
{
    grow((void **)&p->ev, &p->capev, p->nev + 1, sizeof(*p->ev));
    struct pev *e = &p->ev[p->nev++];
    *e = (struct pev){.type = type, .h0 = p->nhash, .t0 = p->ntok};
    return e;
}

static void push_hash(struct mock_kvevents *p, struct pev *e, uint64_t h)
{
    grow((void **)&p->hashes, &p->caphash, p->nhash + 1, sizeof(*p->hashes));
    p->hashes[p->nhash++] = h;
    e->nh++;
}

static void on_removed(void *ud, uint64_t hash)
{
    struct mock_kvevents *p = ud;
    struct pev *e = p->nev > 0 && p->ev[p->nev - 1].type == PEV_REMOVED
                        ? &p->ev[p->nev - 1]
                        : push_event(p, PEV_REMOVED);
    push_hash(p, e, hash);
}

static void on_stored(void *ud, const uint64_t *parent, uint64_t hash, const uint32_t *tokens,
                      size_t ntokens)
{
    struct mock_kvevents *p = ud;
    struct pev *last = p->nev > 0 ? &p->ev[p->nev - 1] : NULL;
    struct pev *e;

    /* The next block of the chain the last event stored extends that event. */
    if (last != NULL && last->type == PEV_STORED && parent != NULL &&
        p->hashes[last->h0 + last->nh - 1] == *parent) {
        e = last;
    } else {
        e = push_event(p, PEV_STORED);
        e->has_parent = parent != NULL;
        e->parent = parent != NULL ? *parent : 0;
    }
    push_hash(p, e, hash);
    grow((void **)&p->tokens, &p->captok, p->ntok + ntokens, sizeof(*p->tokens));
    memcpy(p->tokens + p->ntok, tokens, ntokens * sizeof(*tokens));
    p->ntok += ntokens;
    e->nt += ntokens;
}

static void on_cleared(void *ud)
{
    push_event(ud, PEV_CLEARED);
}

/* ---------------------------------------------------------------- packing */

static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

/* A block hash: an integer (array encoding) or 32 bytes derived from it (map encoding, the
 * shape of vLLM's sha256 block hashes). */
static void pack_hash(const struct mock_kvevents *p, msgpack_packer *pk, uint64_t h)
{
    unsigned char b[32];

    if (!p->o.map_encoding) {
        msgpack_pack_uint64(pk, h);
        return;
    }
    for (int w = 0; w < 4; w++) {
        uint64_t v = w == 0 ? h : hash64_u64(h, (uint64_t)w);
        for (int i = 0; i < 8; i++)
            b[w * 8 + i] = (unsigned char)(v >> (56 - 8 * i));
    }
    msgpack_pack_bin(pk, sizeof(b));
    msgpack_pack_bin_body(pk, b, sizeof(b));
}

static void pack_key(const struct mock_kvevents *p, msgpack_packer *pk, const char *key)
{
    if (p->o.map_encoding)
        pack_str(pk, key);
}

static void pack_event(const struct mock_kvevents *p, msgpack_packer *pk, const struct pev *e)
{
    static const char *const tags[] = {"BlockStored", "BlockRemoved", "AllBlocksCleared"};
    static const size_t nfields[] = {8, 3, 1};

    if (p->o.map_encoding)
        msgpack_pack_map(pk, nfields[e->type]);
    else
        msgpack_pack_array(pk, nfields[e->type]);
    pack_key(p, pk, "type");
    pack_str(pk, tags[e->type]);
    if (e->type == PEV_CLEARED)
        return;
    pack_key(p, pk, "block_hashes");
    msgpack_pack_array(pk, e->nh);
    for (size_t i = 0; i < e->nh; i++)
        pack_hash(p, pk, p->hashes[e->h0 + i]);
    if (e->type == PEV_STORED) {
        pack_key(p, pk, "parent_block_hash");
        if (e->has_parent)
            pack_hash(p, pk, e->parent);
        else
            msgpack_pack_nil(pk);
        pack_key(p, pk, "token_ids");
        msgpack_pack_array(pk, e->nt);
        for (size_t i = 0; i < e->nt; i++)
            msgpack_pack_uint32(pk, p->tokens[e->t0 + i]);
        pack_key(p, pk, "block_size");
        msgpack_pack_int(pk, p->o.block_size);
        pack_key(p, pk, "lora_id");
        msgpack_pack_nil(pk);
    }
    pack_key(p, pk, "medium");
    pack_str(pk, "GPU");
    if (e->type == PEV_STORED) {
        pack_key(p, pk, "lora_name");
        msgpack_pack_nil(pk);
    }
}

static void pack_batch(const struct mock_kvevents *p, msgpack_sbuffer *sb)
{
    msgpack_packer pk;

    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    if (p->o.map_encoding) {
        msgpack_pack_map(&pk, 3);
        pack_str(&pk, "ts");
    } else {
        msgpack_pack_array(&pk, 3);
    }
    msgpack_pack_double(&pk, wallclock_now());
    pack_key(p, &pk, "events");
    msgpack_pack_array(&pk, p->nev);
    for (size_t i = 0; i < p->nev; i++)
        pack_event(p, &pk, &p->ev[i]);
    pack_key(p, &pk, "data_parallel_rank");
    msgpack_pack_int(&pk, 0);
}

/* ---------------------------------------------------------------- sending */

static void seq_bytes(int64_t seq, unsigned char out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (unsigned char)((uint64_t)seq >> (56 - 8 * i));
}

/* Sends `n` frames without blocking; false when the socket refused one. */
static bool send_frames(void *sock, const void *const *data, const size_t *len, int n)
{
    for (int i = 0; i < n; i++) {
        if (zmq_send(sock, data[i], len[i], ZMQ_DONTWAIT | (i + 1 < n ? ZMQ_SNDMORE : 0)) < 0)
            return false;
    }
    return true;
}

static void remember(struct mock_kvevents *p, int64_t seq, const char *data, size_t len)
{
    struct sent *slot;

    if (p->ring_len == MOCK_KVEVENTS_BUFFER) {
        slot = &p->ring[p->ring_head];
        free(slot->payload);
        p->ring_head = (p->ring_head + 1) % MOCK_KVEVENTS_BUFFER;
    } else {
        slot = &p->ring[(p->ring_head + p->ring_len++) % MOCK_KVEVENTS_BUFFER];
    }
    slot->seq = seq;
    slot->payload = xmemdup(data, len);
    slot->len = len;
}

static void on_flush(void *ud)
{
    struct mock_kvevents *p = ud;
    msgpack_sbuffer sb;
    unsigned char seq[8];

    if (p->nev == 0)
        return;
    msgpack_sbuffer_init(&sb);
    pack_batch(p, &sb);
    int64_t s = p->next_seq++;
    seq_bytes(s, seq);
    const void *frames[] = {p->topic, seq, sb.data};
    const size_t lens[] = {strlen(p->topic), sizeof(seq), sb.size};
    if (s != p->o.drop_seq && !send_frames(p->pub, frames, lens, 3))
        p->st.send_fails++;
    remember(p, s, sb.data, sb.size);
    p->st.batches++;
    p->st.events += p->nev;
    msgpack_sbuffer_destroy(&sb);
    p->nev = p->nhash = p->ntok = 0;
}

/* One replay request [identity, b"", start]: every buffered batch from start, then -1. */
static void serve_replay(struct mock_kvevents *p, zmq_msg_t *id, const void *start, size_t len)
{
    static const unsigned char end[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    int64_t from = 0;
    unsigned char seq[8];

    for (size_t i = 0; i < len && i < 8; i++)
        from = (int64_t)((uint64_t)from << 8 | ((const unsigned char *)start)[i]);
    for (size_t k = 0; k < p->ring_len; k++) {
        const struct sent *b = &p->ring[(p->ring_head + k) % MOCK_KVEVENTS_BUFFER];
        if (b->seq < from)
            continue;
        seq_bytes(b->seq, seq);
        const void *frames[] = {zmq_msg_data(id), "", seq, b->payload};
        const size_t lens[] = {zmq_msg_size(id), 0, sizeof(seq), b->len};
        if (!send_frames(p->router, frames, lens, 4))
            p->st.send_fails++;
    }
    const void *frames[] = {zmq_msg_data(id), "", end, ""};
    const size_t lens[] = {zmq_msg_size(id), 0, sizeof(end), 0};
    if (!send_frames(p->router, frames, lens, 4))
        p->st.send_fails++;
    p->st.replays++;
}

static void on_router(uv_poll_t *h, int status, int events)
{
    struct mock_kvevents *p = h->data;
    int zev = 0;
    size_t sz = sizeof(zev);

    (void)status;
    (void)events;
    while (zmq_getsockopt(p->router, ZMQ_EVENTS, &zev, &sz) == 0 && (zev & ZMQ_POLLIN)) {
        zmq_msg_t parts[3];
        int n = 0;
        bool more = true;
        while (more) {
            zmq_msg_t spill, *m = n < 3 ? &parts[n] : &spill;
            zmq_msg_init(m);
            if (zmq_msg_recv(m, p->router, ZMQ_DONTWAIT) < 0) {
                zmq_msg_close(m);
                break;
            }
            more = zmq_msg_more(m);
            if (m == &spill)
                zmq_msg_close(m);
            n++;
        }
        if (n == 3 && !more)
            serve_replay(p, &parts[0], zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]));
        for (int i = 0; i < n && i < 3; i++)
            zmq_msg_close(&parts[i]);
    }
}

/* ---------------------------------------------------------------- lifecycle */

static int bind_socket(void *sock, const char *bind, int port, struct err_msg *err)
{
    struct buf ep;
    int on = 1, zero = 0, rc;

    buf_init(&ep, 1024);
    buf_appendf(&ep, strchr(bind, ':') != NULL ? "tcp://[%s]:%d" : "tcp://%s:%d", bind, port);
    (void)zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof(zero));
    if (strchr(bind, ':') != NULL)
        (void)zmq_setsockopt(sock, ZMQ_IPV6, &on, sizeof(on));
    rc = zmq_bind(sock, buf_cstr(&ep));
    if (rc < 0)
        err_set(err, 0, 0, "--kv-events: cannot bind %s: %s", buf_cstr(&ep),
                zmq_strerror(zmq_errno()));
    buf_free(&ep);
    return rc < 0 ? SVC_EBADCONFIG : 0;
}

struct mock_kvevents *mock_kvevents_new(uv_loop_t *loop, const struct mock_kvevents_opts *o,
                                        struct err_msg *err)
{
    struct mock_kvevents *p = xcalloc(1, sizeof(*p));
    int hwm = 100000, unlimited = 0, fd;
    size_t sz = sizeof(fd);

    p->loop = loop;
    p->o = *o;
    p->topic = xstrdup("");
    p->ctx = zmq_ctx_new();
    p->pub = p->ctx != NULL ? zmq_socket(p->ctx, ZMQ_PUB) : NULL;
    p->router = p->ctx != NULL ? zmq_socket(p->ctx, ZMQ_ROUTER) : NULL;
    if (p->pub == NULL || p->router == NULL) {
        err_set(err, 0, 0, "--kv-events: cannot create ZMQ sockets: %s", zmq_strerror(zmq_errno()));
        goto fail;
    }
    (void)zmq_setsockopt(p->pub, ZMQ_SNDHWM, &hwm, sizeof(hwm));
    (void)zmq_setsockopt(p->router, ZMQ_SNDHWM, &unlimited, sizeof(unlimited));
    if (bind_socket(p->pub, o->bind, o->port, err) < 0 ||
        bind_socket(p->router, o->bind, o->replay_port, err) < 0)
        goto fail;
    if (zmq_getsockopt(p->router, ZMQ_FD, &fd, &sz) < 0 || uv_poll_init(loop, &p->poll, fd) < 0) {
        err_set(err, 0, 0, "--kv-events: cannot watch the replay socket");
        goto fail;
    }
    p->poll_inited = true;
    p->poll.data = p;
    uv_poll_start(&p->poll, UV_READABLE, on_router);
    return p;
fail:
    mock_kvevents_free(p);
    return NULL;
}

static void release(struct mock_kvevents *p)
{
    for (size_t k = 0; k < p->ring_len; k++)
        free(p->ring[(p->ring_head + k) % MOCK_KVEVENTS_BUFFER].payload);
    free(p->ev);
    free(p->hashes);
    free(p->tokens);
    free(p->topic);
    free(p);
}

static void on_closed(uv_handle_t *h)
{
    release(h->data);
}

void mock_kvevents_free(struct mock_kvevents *p)
{
    if (p == NULL)
        return;
    if (p->poll_inited)
        uv_poll_stop(&p->poll);
    if (p->pub != NULL)
        zmq_close(p->pub);
    if (p->router != NULL)
        zmq_close(p->router);
    if (p->ctx != NULL)
        zmq_ctx_term(p->ctx); /* linger 0: returns at once */
    if (p->poll_inited)
        uv_close((uv_handle_t *)&p->poll, on_closed);
    else
        release(p);
}

void mock_kvevents_set_topic(struct mock_kvevents *p, const char *topic)
{
    free(p->topic);
    p->topic = xstrdup(topic);
}

void mock_kvevents_attach(struct mock_kvevents *p, struct mock_engine *e)
{
    const struct mock_engine_kv_observer o = {on_removed, on_stored, on_cleared, on_flush, p};

    mock_engine_set_kv_observer(e, &o);
}

void mock_kvevents_get_stats(const struct mock_kvevents *p, struct mock_kvevents_stats *out)
{
    *out = p->st;
}
