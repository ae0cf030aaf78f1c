/* KV cache event subscriptions on the libuv loop (see kv_events.h for the protocol). Each
 * subscription owns a SUB socket watched by a uv_poll_t and a kick timer (a zero-delay timer
 * that resumes draining when a wakeup's budget ran out, since the ZMQ_FD will not fire again for
 * messages already queued). A replay is its own object (DEALER socket, poll, timeout timer)
 * because its handles close asynchronously and a new replay may start before the old one's
 * memory is gone. While a replay runs, the SUB socket is not read: live messages wait in it
 * (ZMQ_RCVHWM is high), and the one live message that revealed the gap is held until the
 * replay has filled what comes before it.
 * Depends on libzmq, libuv, common/ and router/{services,kv_decode,kv_index}. */
#include "kv_events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "buf.h"
#include "err.h"
#include "json.h"
#include "kv_decode.h"
#include "kv_index.h"
#include "log.h"
#include "prom.h"
#include "services.h"
#include "sorted.h"
#include "wallclock.h"
#include "xalloc.h"
#include "zmq_uv.h"

#define DRAIN_BUDGET      256 /* messages per wakeup before yielding to the loop */
#define MAX_MSG_BYTES     (64LL << 20)
#define SUB_RCVHWM        100000 /* vLLM's PUB uses the same high-water mark */
#define DEFAULT_REPLAY_MS 2000

struct sub;

struct replay {
    struct sub *sub; /* NULL once the subscription let go of it */
    struct rt_kv_events *ev;
    void *sock; /* DEALER */
    uv_poll_t poll;
    uv_timer_t timer;
    int pending_closes;
    bool catchup; /* from seq 0 after subscribing: lost history is not a failure */
};

struct sub {
    struct rt_kv_events *ev;
    char *name, *endpoint, *replay_endpoint, *topic;
    void *sock; /* SUB; NULL when it could not be set up */
    uv_poll_t poll;
    void *mon; /* PAIR receiving the SUB's connect/disconnect events; NULL without one */
    uv_poll_t mon_poll;
    bool mon_inited, disconnected;
    uv_timer_t kick;
    bool poll_inited;
    int pending_closes;
    bool closing;
    struct rt_kv_inst *kv;
    struct replay *replay;
    int64_t last_seq; /* -1: nothing applied since subscribing or since a restart */
    bool held;
    int64_t held_seq;
    zmq_msg_t held_msg;
    uint64_t epoch;
    struct rt_kv_events_stats st;
};

struct rt_kv_events {
    uv_loop_t *loop;
    void *ctx;
    struct rt_kv_events_opts o;
    struct rt_kv_index *index;
    struct rt_kv_decoder *dec;
    struct sub **subs; /* sorted by name */
    size_t n, cap;
    uint64_t epoch;
    unsigned pending; /* subscriptions and replays whose handles are closing */
    bool freeing;
};

static void drain_sub(struct sub *s);
static void drain_replay(struct replay *r);

/* ---------------------------------------------------------------- teardown */

static void maybe_free_all(struct rt_kv_events *ev)
{
    if (!ev->freeing || ev->pending > 0)
        return;
    zmq_ctx_term(ev->ctx); /* every socket is closed with linger 0: returns at once */
    rt_kv_index_free(ev->index);
    rt_kv_decoder_free(ev->dec);
    free(ev->subs);
    free(ev);
}

static void on_replay_closed(uv_handle_t *h)
{
    struct replay *r = h->data;

    if (--r->pending_closes > 0)
        return;
    struct rt_kv_events *ev = r->ev;
    free(r);
    ev->pending--;
    maybe_free_all(ev);
}

static void replay_close(struct replay *r)
{
    if (r->sub != NULL)
        r->sub->replay = NULL;
    r->sub = NULL;
    uv_poll_stop(&r->poll);
    zmq_close(r->sock);
    r->pending_closes = 2;
    r->ev->pending++;
    uv_close((uv_handle_t *)&r->poll, on_replay_closed);
    uv_close((uv_handle_t *)&r->timer, on_replay_closed);
}

static void drop_held(struct sub *s)
{
    if (s->held)
        zmq_msg_close(&s->held_msg);
    s->held = false;
}

static void on_sub_closed(uv_handle_t *h)
{
    struct sub *s = h->data;

    if (--s->pending_closes > 0)
        return;
    struct rt_kv_events *ev = s->ev;
    free(s->name);
    free(s->endpoint);
    free(s->replay_endpoint);
    free(s->topic);
    free(s);
    ev->pending--;
    maybe_free_all(ev);
}

static void sub_close(struct sub *s)
{
    s->closing = true;
    if (s->replay != NULL)
        replay_close(s->replay);
    drop_held(s);
    rt_kv_index_inst_free(s->ev->index, s->kv);
    s->kv = NULL;
    if (s->poll_inited)
        uv_poll_stop(&s->poll);
    if (s->mon_inited)
        uv_poll_stop(&s->mon_poll);
    if (s->sock != NULL) {
        if (s->mon != NULL)
            (void)zmq_socket_monitor(s->sock, NULL, 0); /* stops the monitor */
        zmq_close(s->sock);
    }
    if (s->mon != NULL)
        zmq_close(s->mon);
    s->ev->pending++;
    s->pending_closes = 1 + s->poll_inited + s->mon_inited;
    if (s->poll_inited)
        uv_close((uv_handle_t *)&s->poll, on_sub_closed);
    if (s->mon_inited)
        uv_close((uv_handle_t *)&s->mon_poll, on_sub_closed);
    uv_close((uv_handle_t *)&s->kick, on_sub_closed);
}

/* ---------------------------------------------------------------- applying batches */

static void emptied(struct sub *s)
{
    if (s->ev->o.on_emptied != NULL)
        s->ev->o.on_emptied(s->ev->o.ud, s->name);
}

static void on_event(void *ud, const struct rt_kv_event *e)
{
    struct sub *s = ud;

    rt_kv_index_apply(s->ev->index, s->kv, e);
    if (e->type == RT_KV_ALL_CLEARED)
        emptied(s);
}

/* The view can no longer be trusted (events lost): start it again, empty. */
static void lose_state(struct sub *s, uint64_t *counter, const char *why)
{
    (*counter)++;
    rt_kv_index_clear(s->ev->index, s->kv);
    emptied(s);
    log_warn("kv_events", "instance=%s seq=%lld %s: index of the instance emptied", s->name,
             (long long)s->last_seq, why);
}

static void apply(struct sub *s, int64_t seq, const void *data, size_t len, bool live)
{
    struct rt_kv_batch b;
    int rc = rt_kv_decode_batch(s->ev->dec, data, len, &b, on_event, s);

    s->last_seq = seq;
    s->st.last_seq = seq;
    if (rc < 0) {
        lose_state(s, &s->st.dropped, rc == SVC_ELIMIT ? "batch over a limit" : "malformed batch");
        return;
    }
    s->st.batches++;
    s->st.events += b.nevents;
    if (live) {
        double lag = wallclock_now() - b.ts;
        s->st.lag_last_s = lag;
        s->st.lag_sum_s += lag;
        s->st.lag_count++;
    }
}

static void on_kick(uv_timer_t *t);

/* Resumes draining from the loop (a zero-delay timer): the ZMQ_FD does not fire again for
 * messages that were already queued when this wakeup's budget ran out. */
static void kick(struct sub *s)
{
    if (!s->closing)
        uv_timer_start(&s->kick, on_kick, 0, 0);
}

/* ---------------------------------------------------------------- replay */

static void replay_done(struct sub *s, bool ok)
{
    struct replay *r = s->replay;

    replay_close(r);
    if (!ok)
        lose_state(s, &s->st.replay_failures, "replay failed");
    if (s->held) {
        const void *data = zmq_msg_data(&s->held_msg);
        size_t len = zmq_msg_size(&s->held_msg);
        if (s->last_seq >= 0 && s->held_seq > s->last_seq + 1 && ok)
            lose_state(s, &s->st.replay_failures, "replay ended before the gap was filled");
        if (s->last_seq < 0 || s->held_seq > s->last_seq)
            apply(s, s->held_seq, data, len, true);
        drop_held(s);
    }
    kick(s); /* live messages waited in the SUB socket */
}

static void on_replayed(struct sub *s, int64_t seq, const void *data, size_t len)
{
    if (s->last_seq >= 0 && seq <= s->last_seq)
        return; /* already applied */
    if (s->held && seq >= s->held_seq)
        return; /* the held message and what follows it come from the SUB socket */
    if (s->last_seq >= 0 && seq != s->last_seq + 1)
        lose_state(s, &s->st.replay_failures, "publisher no longer buffers the gap");
    apply(s, seq, data, len, false);
}

static void drain_replay(struct replay *r)
{
    zmq_msg_t parts[3];

    for (int i = 0; i < DRAIN_BUDGET; i++) {
        struct sub *s = r->sub;
        if (s == NULL || !rt_zmq_uv_has_pollin(r->sock))
            return;
        int n = rt_zmq_uv_recv(r->sock, parts, 3);
        if (n == 0)
            return;
        int64_t seq = 0;
        bool ok = n == 3 && zmq_msg_size(&parts[0]) == 0 &&
                  rt_kv_decode_seq(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &seq) == 0;
        if (!ok || seq == -1) {
            rt_zmq_uv_close_parts(parts, n, 3);
            replay_done(s, ok);
            return;
        }
        on_replayed(s, seq, zmq_msg_data(&parts[2]), zmq_msg_size(&parts[2]));
        rt_zmq_uv_close_parts(parts, n, 3);
    }
    if (r->sub != NULL)
        kick(r->sub);
}

static void on_replay_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    drain_replay(p->data);
}

static void on_replay_timeout(uv_timer_t *t)
{
    struct replay *r = t->data;

    if (r->sub != NULL)
        replay_done(r->sub, false);
}

/* Asks the replay socket for every batch from `from` on. 0, or a negative code (no replay). */
static int start_replay(struct sub *s, int64_t from, bool catchup)
{
    struct rt_kv_events *ev = s->ev;
    unsigned char start[8];

    if (s->replay_endpoint == NULL)
        return SVC_ENOTFOUND;
    void *sock = zmq_socket(ev->ctx, ZMQ_DEALER);
    if (sock == NULL)
        return UV_ENOMEM;
    rt_zmq_uv_set_opts(sock, MAX_MSG_BYTES,
                       0); /* unbounded: a replay is bounded by the publisher's buffer */
    for (int i = 0; i < 8; i++)
        start[i] = (unsigned char)((uint64_t)from >> (56 - 8 * i));
    /* Without ZMQ_IMMEDIATE the pipe exists once connect returns: both sends queue. */
    if (zmq_connect(sock, s->replay_endpoint) < 0 ||
        zmq_send(sock, "", 0, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0 ||
        zmq_send(sock, start, sizeof(start), ZMQ_DONTWAIT) < 0) {
        zmq_close(sock);
        return UV_EINVAL;
    }
    struct replay *r = xcalloc(1, sizeof(*r));
    r->sub = s;
    r->ev = ev;
    r->sock = sock;
    r->catchup = catchup;
    int rc = uv_timer_init(ev->loop, &r->timer);
    SVC_ASSERT(rc == 0); /* cannot fail on Unix */
    r->timer.data = r;
    rc = rt_zmq_uv_watch(ev->loop, sock, &r->poll, on_replay_poll, r);
    SVC_ASSERT(rc == 0); /* a ZMQ_FD is a valid descriptor */
    uv_timer_start(&r->timer, on_replay_timeout, ev->o.replay_timeout_ms, 0);
    s->replay = r;
    s->st.replays++;
    kick(s);
    return 0;
}

/* ---------------------------------------------------------------- live messages */

static void on_live(struct sub *s, int64_t seq, zmq_msg_t *payload)
{
    const void *data = zmq_msg_data(payload);
    size_t len = zmq_msg_size(payload);

    if (s->last_seq >= 0 && seq <= s->last_seq) {
        lose_state(s, &s->st.restarts, "sequence went back (publisher restarted)");
        s->last_seq = -1;
    }
    if (seq == s->last_seq + 1) {
        apply(s, seq, data, len, true);
        return;
    }
    bool catchup = s->last_seq < 0;
    if (!catchup)
        s->st.gaps++;
    if (start_replay(s, catchup ? 0 : s->last_seq + 1, catchup) < 0) {
        if (!catchup)
            lose_state(s, &s->st.replay_failures, "gap and no replay endpoint");
        apply(s, seq, data, len, true);
        return;
    }
    s->held = true;
    s->held_seq = seq;
    zmq_msg_init(&s->held_msg);
    zmq_msg_move(&s->held_msg, payload);
}

/* The SUB reconnected after losing its publisher: the engine behind it most likely restarted
 * (its cache is empty and its sequence starts again), and messages published meanwhile are lost
 * anyway. Whatever the first message's seq, start as a fresh subscription: empty, then a
 * catch-up replay from seq 0. Without this, a restarted engine that published more batches
 * than its previous life before we reconnected would look like a mere gap. */
static void check_monitor(struct sub *s)
{
    zmq_msg_t parts[2];

    while (s->mon != NULL && !s->closing && rt_zmq_uv_has_pollin(s->mon)) {
        int n = rt_zmq_uv_recv(s->mon, parts, 2);
        if (n <= 0)
            return;
        uint16_t event = 0;
        if (zmq_msg_size(&parts[0]) >= sizeof(event))
            memcpy(&event, zmq_msg_data(&parts[0]), sizeof(event));
        rt_zmq_uv_close_parts(parts, n, 2);
        if (event == ZMQ_EVENT_DISCONNECTED) {
            s->disconnected = true;
        } else if (event == ZMQ_EVENT_CONNECTED) {
            /* Only a connection that was up can be DISCONNECTED, so this CONNECTED is a
             * reconnection, even if the first CONNECTED came before the monitor did. */
            if (s->disconnected) {
                if (s->replay != NULL)
                    replay_close(s->replay);
                drop_held(s);
                lose_state(s, &s->st.restarts, "publisher reconnected (engine restarted?)");
                s->last_seq = -1;
                /* What it published before we noticed is in its replay buffer: ask now, not at
                 * the next live message, which may be long in coming. */
                (void)start_replay(s, 0, true);
            }
            s->disconnected = false;
        }
    }
}

static void on_mon_poll(uv_poll_t *p, int status, int events)
{
    struct sub *s = p->data;

    (void)status;
    (void)events;
    check_monitor(s);
    kick(s);
}

static void drain_sub(struct sub *s)
{
    zmq_msg_t parts[3];

    check_monitor(s);
    for (int i = 0; i < DRAIN_BUDGET; i++) {
        if (s->closing || s->replay != NULL || s->sock == NULL || !rt_zmq_uv_has_pollin(s->sock))
            return;
        int n = rt_zmq_uv_recv(s->sock, parts, 3);
        if (n <= 0)
            return;
        int64_t seq;
        size_t tlen = strlen(s->topic);
        if (n == 3 && zmq_msg_size(&parts[0]) == tlen &&
            memcmp(zmq_msg_data(&parts[0]), s->topic, tlen) == 0) {
            if (rt_kv_decode_seq(zmq_msg_data(&parts[1]), zmq_msg_size(&parts[1]), &seq) == 0 &&
                seq >= 0)
                on_live(s, seq, &parts[2]);
            else
                s->st.dropped++;
        } else if (n != 3) {
            s->st.dropped++;
        } /* else: another topic that shares our prefix */
        rt_zmq_uv_close_parts(parts, n, 3);
    }
    kick(s);
}

static void on_sub_poll(uv_poll_t *p, int status, int events)
{
    (void)status;
    (void)events;
    drain_sub(p->data);
}

static void on_kick(uv_timer_t *t)
{
    struct sub *s = t->data;

    if (s->replay != NULL)
        drain_replay(s->replay);
    else
        drain_sub(s);
}

/* ---------------------------------------------------------------- subscriptions */

/* A wildcard host (tcp://STAR:P, 0.0.0.0, ::) names the publisher's own interfaces: connect to
 * the instance's `host` instead. */
static char *resolve_endpoint(const char *ep, const char *host)
{
    static const char *const wild[] = {"*", "0.0.0.0", "::", "[::]", "[*]", NULL};
    const char *h = ep + 6, *colon = strrchr(ep, ':');
    struct buf b;

    if (strncmp(ep, "tcp://", 6) != 0 || colon == NULL || colon < h)
        return xstrdup(ep);
    struct slice hs = {h, (size_t)(colon - h)};
    bool wildcard = false;
    for (size_t i = 0; wild[i] != NULL; i++)
        wildcard |= slice_eq(hs, wild[i]);
    if (!wildcard)
        return xstrdup(ep);
    buf_init(&b, 4096);
    buf_appendf(&b, strchr(host, ':') != NULL ? "tcp://[%s]%s" : "tcp://%s%s", host, colon);
    return buf_take(&b, NULL);
}

/* Watches the SUB's connections (libzmq's socket monitor over inproc), so that a reconnection
 * (the publisher went away and came back) is noticed; without it events still flow, only a
 * restart hidden behind a reconnect goes unseen. */
static void start_monitor(struct rt_kv_events *ev, struct sub *s)
{
    char addr[64];

    snprintf(addr, sizeof(addr), "inproc://kv-monitor-%p", (void *)s);
    if (zmq_socket_monitor(s->sock, addr, ZMQ_EVENT_CONNECTED | ZMQ_EVENT_DISCONNECTED) < 0)
        return;
    s->mon = zmq_socket(ev->ctx, ZMQ_PAIR);
    if (s->mon == NULL || zmq_connect(s->mon, addr) < 0) {
        if (s->mon != NULL)
            zmq_close(s->mon);
        s->mon = NULL;
        (void)zmq_socket_monitor(s->sock, NULL, 0);
        return;
    }
    int zero = 0;
    (void)zmq_setsockopt(s->mon, ZMQ_LINGER, &zero, sizeof(zero));
    if (rt_zmq_uv_watch(ev->loop, s->mon, &s->mon_poll, on_mon_poll, s) == 0)
        s->mon_inited = true;
}

static struct sub *sub_open(struct rt_kv_events *ev, const char *name, char *endpoint,
                            char *replay_endpoint, const char *topic, unsigned block_size)
{
    struct sub *s = xcalloc(1, sizeof(*s));
    int rc;

    s->ev = ev;
    s->name = xstrdup(name);
    s->endpoint = endpoint;
    s->replay_endpoint = replay_endpoint;
    s->topic = xstrdup(topic);
    s->last_seq = s->st.last_seq = -1;
    s->kv = rt_kv_index_inst_new(ev->index, block_size);
    rc = uv_timer_init(ev->loop, &s->kick);
    SVC_ASSERT(rc == 0); /* cannot fail on Unix */
    s->kick.data = s;
    s->sock = zmq_socket(ev->ctx, ZMQ_SUB);
    if (s->sock == NULL) {
        log_warn("kv_events", "instance=%s cannot create a ZMQ socket: %s", name,
                 zmq_strerror(zmq_errno()));
        return s;
    }
    rt_zmq_uv_set_opts(s->sock, MAX_MSG_BYTES, SUB_RCVHWM);
    /* Before connecting, so that the monitor sees the connection's whole life. */
    start_monitor(ev, s);
    if (zmq_setsockopt(s->sock, ZMQ_SUBSCRIBE, topic, strlen(topic)) < 0 ||
        zmq_connect(s->sock, endpoint) < 0) {
        log_warn("kv_events", "instance=%s endpoint=%s cannot subscribe: %s", name, endpoint,
                 zmq_strerror(zmq_errno()));
        zmq_close(s->sock);
        s->sock = NULL;
        return s;
    }
    rc = rt_zmq_uv_watch(ev->loop, s->sock, &s->poll, on_sub_poll, s);
    SVC_ASSERT(rc == 0); /* a ZMQ_FD is a valid descriptor */
    s->poll_inited = true;
    log_info("kv_events", "instance=%s endpoint=%s topic=%s subscribed", name, endpoint, topic);
    kick(s);
    return s;
}

static const char *sub_name_at(const void *subs, size_t i)
{
    return ((struct sub *const *)subs)[i]->name;
}

/* Index of the subscription named `name`, or of its insertion point with *found false. */
static size_t find_index(const struct rt_kv_events *ev, const char *name, bool *found)
{
    return sorted_find(ev->subs, ev->n, sub_name_at, name, found);
}

static void remove_at(struct rt_kv_events *ev, size_t i)
{
    sub_close(ev->subs[i]);
    memmove(ev->subs + i, ev->subs + i + 1, (ev->n - i - 1) * sizeof(*ev->subs));
    ev->n--;
}

static bool same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Makes the subscription of `inst` match its metadata.kv_events `desc`. */
static void sync_one(struct rt_kv_events *ev, const struct rt_instance *inst, const cJSON *desc,
                     uint64_t epoch)
{
    const char *endpoint = json_get_string(desc, "endpoint");
    const char *replay = json_get_string(desc, "replay_endpoint");
    const char *topic = json_get_string(desc, "topic");
    long long block_size = 0;
    bool found;

    if (endpoint == NULL || endpoint[0] == '\0')
        return;
    if (!json_get_int(desc, "block_size", 1, RT_KV_DECODE_MAX_BLOCK_SIZE, &block_size))
        block_size = 0;
    char *ep = resolve_endpoint(endpoint, inst->host);
    char *rep = replay != NULL && replay[0] != '\0' ? resolve_endpoint(replay, inst->host) : NULL;
    size_t i = find_index(ev, inst->name, &found);
    if (found) {
        struct sub *s = ev->subs[i];
        if (same(s->endpoint, ep) && same(s->replay_endpoint, rep) &&
            same(s->topic, topic != NULL ? topic : "")) {
            s->epoch = epoch;
            free(ep);
            free(rep);
            return;
        }
        log_info("kv_events", "instance=%s endpoint=%s publisher changed: resubscribing",
                 inst->name, ep);
        remove_at(ev, i);
    }
    if (ev->n == ev->cap) {
        ev->cap = ev->cap ? ev->cap * 2 : 16;
        ev->subs = xrealloc(ev->subs, ev->cap * sizeof(*ev->subs));
    }
    memmove(ev->subs + i + 1, ev->subs + i, (ev->n - i) * sizeof(*ev->subs));
    ev->subs[i] =
        sub_open(ev, inst->name, ep, rep, topic != NULL ? topic : "", (unsigned)block_size);
    ev->subs[i]->epoch = epoch;
    ev->n++;
}

void rt_kv_events_sync(struct rt_kv_events *ev, const struct rt_services *services)
{
    size_t n = 0;
    struct rt_instance *const *all = ev != NULL ? rt_services_all(services, &n) : NULL;
    uint64_t epoch;

    if (ev == NULL)
        return;
    epoch = ++ev->epoch;
    for (size_t i = 0; i < n; i++) {
        const cJSON *desc = json_get_object(all[i]->metadata, "kv_events");
        if (desc != NULL)
            sync_one(ev, all[i], desc, epoch);
    }
    for (size_t i = ev->n; i-- > 0;) {
        if (ev->subs[i]->epoch != epoch) {
            log_info("kv_events", "instance=%s unsubscribed", ev->subs[i]->name);
            remove_at(ev, i);
        }
    }
}

/* ---------------------------------------------------------------- API */

struct rt_kv_events *rt_kv_events_new(uv_loop_t *loop, const struct rt_kv_events_opts *o)
{
    void *ctx = zmq_ctx_new();

    if (ctx == NULL) {
        log_error("kv_events", "cannot create a ZMQ context: %s", zmq_strerror(zmq_errno()));
        return NULL;
    }
    struct rt_kv_events *ev = xcalloc(1, sizeof(*ev));
    ev->loop = loop;
    ev->ctx = ctx;
    ev->o = *o;
    if (ev->o.replay_timeout_ms == 0)
        ev->o.replay_timeout_ms = DEFAULT_REPLAY_MS;
    ev->index = rt_kv_index_new(o->max_bytes);
    ev->dec = rt_kv_decoder_new();
    return ev;
}

void rt_kv_events_free(struct rt_kv_events *ev)
{
    if (ev == NULL || ev->freeing)
        return;
    while (ev->n > 0)
        remove_at(ev, ev->n - 1);
    ev->freeing = true;
    maybe_free_all(ev);
}

const struct rt_kv_inst *rt_kv_events_find(const struct rt_kv_events *ev, const char *name)
{
    bool found;
    size_t i;

    if (ev == NULL || name == NULL)
        return NULL;
    i = find_index(ev, name, &found);
    return found ? ev->subs[i]->kv : NULL;
}

const struct rt_kv_index *rt_kv_events_index(const struct rt_kv_events *ev)
{
    return ev->index;
}

bool rt_kv_events_stats(const struct rt_kv_events *ev, const char *name,
                        struct rt_kv_events_stats *out)
{
    bool found;
    size_t i = find_index(ev, name, &found);

    if (found)
        *out = ev->subs[i]->st;
    return found;
}

/* ---------------------------------------------------------------- metrics */

enum kv_stat { S_BATCHES, S_EVENTS, S_DROPPED, S_GAPS, S_REPLAYS, S_FAILURES, S_RESTARTS, S_COUNT };

static const struct {
    const char *name, *help;
} stat_info[S_COUNT] = {
    [S_BATCHES] = {"infini_router_kv_event_batches_total", "KV event batches applied."},
    [S_EVENTS] = {"infini_router_kv_events_received_total", "KV cache events applied."},
    [S_DROPPED] = {"infini_router_kv_events_dropped_total",
                   "Malformed KV event messages dropped (each empties the instance's index)."},
    [S_GAPS] = {"infini_router_kv_event_gaps_total", "Gaps in the KV event sequence."},
    [S_REPLAYS] = {"infini_router_kv_event_replays_total",
                   "Replays asked for (gap repairs and catch-ups after subscribing)."},
    [S_FAILURES] = {"infini_router_kv_event_replay_failures_total",
                    "Gaps that could not be repaired (each empties the instance's index)."},
    [S_RESTARTS] = {"infini_router_kv_event_restarts_total",
                    "Publisher restarts seen as a sequence going back (empty the index)."},
};

static uint64_t stat_value(const struct rt_kv_events_stats *st, enum kv_stat k)
{
    const uint64_t v[S_COUNT] = {st->batches, st->events,          st->dropped, st->gaps,
                                 st->replays, st->replay_failures, st->restarts};
    return v[k];
}

static void label(struct buf *l, const struct sub *s)
{
    buf_reset(l);
    prom_label(l, "instance", s->name);
}

static void write_index(const struct rt_kv_events *ev, struct buf *out, struct buf *l)
{
    struct rt_kv_inst_stats ks;

    prom_family(out, "infini_router_kv_index_blocks", "gauge",
                "Token blocks the KV event index holds per instance.");
    for (size_t i = 0; i < ev->n; i++) {
        rt_kv_index_inst_stats(ev->subs[i]->kv, &ks);
        label(l, ev->subs[i]);
        prom_sample(out, "infini_router_kv_index_blocks", l->data, (double)ks.blocks);
    }
    prom_family(out, "infini_router_kv_index_orphans_total", "counter",
                "BlockStored events skipped because their parent block was not indexed.");
    for (size_t i = 0; i < ev->n; i++) {
        rt_kv_index_inst_stats(ev->subs[i]->kv, &ks);
        label(l, ev->subs[i]);
        prom_sample(out, "infini_router_kv_index_orphans_total", l->data,
                    (double)ks.parent_unknown);
    }
    prom_family(out, "infini_router_kv_index_bytes", "gauge", "Memory of the KV event index.");
    prom_sample(out, "infini_router_kv_index_bytes", NULL, (double)rt_kv_index_bytes(ev->index));
    prom_family(out, "infini_router_kv_index_evictions_total", "counter",
                "Index entries dropped to stay within --kv-index-max-bytes.");
    prom_sample(out, "infini_router_kv_index_evictions_total", NULL,
                (double)rt_kv_index_evictions(ev->index));
}

void rt_kv_events_write_metrics(const struct rt_kv_events *ev, struct buf *out)
{
    struct buf l;

    if (ev == NULL)
        return;
    buf_init(&l, 4096);
    for (int k = 0; k < S_COUNT; k++) {
        prom_family(out, stat_info[k].name, "counter", stat_info[k].help);
        for (size_t i = 0; i < ev->n; i++) {
            label(&l, ev->subs[i]);
            prom_sample(out, stat_info[k].name, l.data,
                        (double)stat_value(&ev->subs[i]->st, (enum kv_stat)k));
        }
    }
    prom_family(out, "infini_router_kv_event_lag_seconds", "gauge",
                "Now minus the batch timestamp, for the last live batch.");
    for (size_t i = 0; i < ev->n; i++) {
        label(&l, ev->subs[i]);
        prom_sample(out, "infini_router_kv_event_lag_seconds", l.data, ev->subs[i]->st.lag_last_s);
    }
    prom_family(out, "infini_router_kv_event_lag_mean_seconds", "gauge",
                "Mean of now minus the batch timestamp over live batches.");
    for (size_t i = 0; i < ev->n; i++) {
        const struct rt_kv_events_stats *st = &ev->subs[i]->st;
        label(&l, ev->subs[i]);
        prom_sample(out, "infini_router_kv_event_lag_mean_seconds", l.data,
                    st->lag_count > 0 ? st->lag_sum_s / (double)st->lag_count : 0);
    }
    write_index(ev, out, &l);
    buf_free(&l);
}
