/* Arrival timer, concurrency gate and per-request streaming bookkeeping. Each request in flight
 * is a `struct flight` owning its SSE parser and error-body buffer; it is freed as soon as the
 * client reports the end. Teardown (closing the timer, the signal handles and the client) runs
 * from the timer, never from inside a client callback. Depends on libuv, tools/bench/http_client,
 * common/loop, common/buf, common/err and tools/bench/{sse,outcome,progress}. */
#include "runner.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http_client.h"
#include "json.h"
#include "loop.h"
#include "outcome.h"
#include "progress.h"
#include "sse.h"
#include "xalloc.h"

#define MAX_EVENT_BYTES (8u << 20)  /* one SSE event */
#define MAX_BODY_BYTES  (64u << 20) /* a non-streamed response */
#define ERROR_SNIPPET   200

struct bench_runner;

struct flight {
    struct bench_runner *r;
    size_t idx;
    struct http_client_req *req;
    uint64_t start_ns, now_ns, last_text_ns;
    bool sse, saw_done, stream_error;
    size_t bad_events;
    struct bench_sse parser;
    struct buf body; /* non-SSE responses, including error bodies */
};

struct bench_runner {
    uv_loop_t *loop;
    const struct bench_runner_opts *o;
    struct bench_outcome *out;
    struct http_client *client;
    uv_timer_t timer;
    struct loop_signals sigs;
    struct flight **live; /* by request index; NULL when not in flight */
    size_t next, inflight, finished, failed, peak;
    uint64_t t0_ns, end_ns;
    bool stopping, interrupted, teardown_scheduled;
};

static void pump(struct bench_runner *r);

static const char *const request_headers[] = {"Content-Type: application/json", NULL};

/* ---------------------------------------------------------------- streaming callbacks */

static void text_arrived(struct flight *f, struct bench_outcome *o)
{
    if (o->text_chunks == 0)
        o->ttft_s = (double)(f->now_ns - f->start_ns) / 1e9;
    else
        bench_outcome_add_itl(o, (double)(f->now_ns - f->last_text_ns) / 1e9);
    f->last_text_ns = f->now_ns;
    o->text_chunks++;
}

static void take_usage(struct bench_outcome *o, const struct bench_sse_chunk *ch)
{
    if (ch->prompt_tokens >= 0)
        o->prompt_tokens = ch->prompt_tokens;
    if (ch->completion_tokens >= 0)
        o->completion_tokens = ch->completion_tokens;
    if (ch->cached_tokens >= 0)
        o->cached_tokens = ch->cached_tokens;
}

static int on_event(void *ud, const char *data, size_t len)
{
    struct flight *f = ud;
    struct bench_outcome *o = &f->r->out[f->idx];
    struct bench_sse_chunk ch;

    if (bench_sse_chunk_parse(data, len, &ch) < 0) {
        f->bad_events++;
        return 0;
    }
    if (ch.done) {
        f->saw_done = true;
        return 0;
    }
    if (ch.error[0] != '\0') {
        f->stream_error = true;
        bench_outcome_set_error(o, "error event in stream: %s", ch.error);
    }
    if (ch.content_len > 0)
        text_arrived(f, o);
    if (ch.has_usage)
        take_usage(o, &ch);
    return 0;
}

static struct slice find_header(const struct http_client_response *resp, const char *name)
{
    for (size_t i = 0; i < resp->nheaders; i++) {
        if (slice_eq_nocase(resp->headers[i].name, name))
            return resp->headers[i].value;
    }
    return (struct slice){NULL, 0};
}

static void on_head(void *ud, const struct http_client_response *resp)
{
    struct flight *f = ud;
    struct bench_outcome *o = &f->r->out[f->idx];
    struct slice inst = find_header(resp, "X-Infini-Instance");

    o->status = (int)resp->status;
    if (inst.ptr == NULL)
        inst = find_header(resp, "X-Mock-Instance");
    if (inst.ptr != NULL && o->instance == NULL)
        o->instance = xstrndup(inst.ptr, inst.len);
    struct slice ctype = find_header(resp, "Content-Type");
    f->sse = resp->status == 200 && ctype.ptr != NULL &&
             slice_starts_with(slice_trim(ctype), "text/event-stream");
}

static int on_data(void *ud, const char *data, size_t len)
{
    struct flight *f = ud;
    struct bench_outcome *o = &f->r->out[f->idx];

    /* One timestamp per read: events that arrived together are stamped together. */
    f->now_ns = uv_hrtime();
    if (!f->sse) {
        if (buf_append(&f->body, data, len) == 0)
            return 0;
        bench_outcome_set_error(o, "response larger than %u bytes", MAX_BODY_BYTES);
        return HTTP_CLIENT_ABORT;
    }
    if (bench_sse_feed(&f->parser, data, len, on_event, f) == 0)
        return 0;
    bench_outcome_set_error(o, "SSE event larger than %u bytes", MAX_EVENT_BYTES);
    return HTTP_CLIENT_ABORT;
}

/* ---------------------------------------------------------------- judging the end */

static void judge_http_error(struct flight *f, struct bench_outcome *o)
{
    struct bench_sse_chunk ch;

    if (bench_sse_chunk_parse(buf_cstr(&f->body), f->body.len, &ch) == 0 && ch.error[0] != '\0')
        bench_outcome_set_error(o, "HTTP %d: %s", o->status, ch.error);
    else
        bench_outcome_set_error(o, "HTTP %d: %.*s", o->status,
                                (int)(f->body.len < ERROR_SNIPPET ? f->body.len : ERROR_SNIPPET),
                                buf_cstr(&f->body));
}

static void judge_stream(struct flight *f, struct bench_outcome *o)
{
    if (f->stream_error)
        return;
    if (o->text_chunks == 0 && !f->saw_done) {
        bench_outcome_set_error(o, "stream ended without any event (%zu malformed)", f->bad_events);
        return;
    }
    if (o->text_chunks == 0)
        o->ttft_s = o->e2e_s;
    o->ok = true;
}

static void judge_body(struct flight *f, struct bench_outcome *o)
{
    struct bench_sse_chunk ch;

    if (bench_sse_chunk_parse(buf_cstr(&f->body), f->body.len, &ch) < 0 || ch.done) {
        bench_outcome_set_error(o, "unparseable response body");
        return;
    }
    if (ch.error[0] != '\0' || !ch.has_choices) {
        bench_outcome_set_error(o, "no choices in response: %s", ch.error);
        return;
    }
    o->ttft_s = o->e2e_s; /* not streamed: the first token arrives with the last */
    o->text_chunks = ch.content_len > 0 ? 1 : 0;
    take_usage(o, &ch);
    o->ok = true;
}

static void finish_flight(struct bench_runner *r, struct flight *f)
{
    struct bench_outcome *o = &r->out[f->idx];

    r->live[f->idx] = NULL;
    r->inflight--;
    r->finished++;
    if (!o->ok)
        r->failed++;
    if (r->o->progress != NULL)
        bench_progress_update(r->o->progress, r->finished, r->failed, uv_hrtime());
    bench_sse_free(&f->parser);
    buf_free(&f->body);
    free(f);
}

static void on_done(void *ud, int rc, const struct http_client_response *resp)
{
    struct flight *f = ud;
    struct bench_runner *r = f->r;
    struct bench_outcome *o = &r->out[f->idx];

    f->now_ns = uv_hrtime();
    o->e2e_s = (double)(f->now_ns - f->start_ns) / 1e9;
    if (o->status == 0)
        o->status = (int)resp->status;
    if (rc == 0 && f->sse && bench_sse_finish(&f->parser, on_event, f) < 0)
        rc = SVC_ELIMIT;
    if (rc < 0 && o->error == NULL)
        bench_outcome_set_error(o, "%s after %zu text chunks", err_str(rc), o->text_chunks);
    else if (rc == 0 && o->status != 200)
        judge_http_error(f, o);
    else if (rc == 0 && f->sse)
        judge_stream(f, o);
    else if (rc == 0)
        judge_body(f, o);
    finish_flight(r, f);
    pump(r);
}

/* ---------------------------------------------------------------- scheduling */

static void start_one(struct bench_runner *r, size_t i)
{
    struct flight *f = xcalloc(1, sizeof(*f));
    struct bench_outcome *o = &r->out[i];
    const struct buf *body = &r->o->bodies[i];

    f->r = r;
    f->idx = i;
    bench_sse_init(&f->parser, MAX_EVENT_BYTES);
    buf_init(&f->body, MAX_BODY_BYTES);
    struct http_client_opts ho = {
        .method = "POST",
        .url = r->o->url,
        .headers = request_headers,
        .body = body->data != NULL ? body->data : "",
        .body_len = body->len,
        .timeout_ms = (uint64_t)(r->o->timeout_s * 1000.0),
        .on_head = on_head,
        .on_data = on_data,
        .on_done = on_done,
        .ud = f,
    };
    o->sent = true;
    f->start_ns = uv_hrtime();
    o->start_s = (double)(f->start_ns - r->t0_ns) / 1e9;
    f->req = http_client_start(r->client, &ho);
    SVC_ASSERT(f->req != NULL); /* only NULL for a missing URL or callback */
    r->live[i] = f;
    if (++r->inflight > r->peak)
        r->peak = r->inflight;
}

static void on_teardown(uv_timer_t *t)
{
    struct bench_runner *r = t->data;

    uv_close((uv_handle_t *)&r->timer, NULL);
    loop_signals_close(&r->sigs);
    http_client_free(r->client);
    r->client = NULL;
}

static void maybe_finish(struct bench_runner *r)
{
    if (r->inflight > 0 || (r->next < r->o->n && !r->stopping) || r->teardown_scheduled)
        return;
    r->end_ns = uv_hrtime();
    r->teardown_scheduled = true;
    /* Not from here: this may run inside a client callback, where freeing the client is banned. */
    uv_timer_start(&r->timer, on_teardown, 0, 0);
}

static void on_arrival_timer(uv_timer_t *t)
{
    pump(t->data);
}

static void pump(struct bench_runner *r)
{
    const struct bench_runner_opts *o = r->o;

    while (!r->stopping && r->next < o->n) {
        if (o->max_concurrency > 0 && r->inflight >= (size_t)o->max_concurrency)
            return; /* the next completion pumps again */
        double now = (double)(uv_hrtime() - r->t0_ns) / 1e9, due = o->arrivals[r->next];
        if (due > now) {
            uv_timer_start(&r->timer, on_arrival_timer, (uint64_t)ceil((due - now) * 1e3), 0);
            return;
        }
        start_one(r, r->next++);
    }
    maybe_finish(r);
}

static void on_signal(int signum, int count, void *ud)
{
    struct bench_runner *r = ud;

    (void)count;
    if (r->stopping)
        return;
    fprintf(stderr, "\ninfini-bench: %s: cancelling %zu requests in flight, reporting the rest\n",
            signum == SIGINT ? "interrupted" : "terminated", r->inflight);
    r->stopping = true;
    r->interrupted = true;
    uv_timer_stop(&r->timer);
    for (size_t i = 0; i < r->o->n; i++) {
        struct flight *f = r->live[i];
        if (f == NULL)
            continue;
        http_client_cancel(f->req);
        r->out[i].e2e_s = (double)(uv_hrtime() - f->start_ns) / 1e9;
        bench_outcome_set_error(&r->out[i], "cancelled by signal");
        finish_flight(r, f);
    }
    maybe_finish(r);
}

int bench_runner_run(uv_loop_t *loop, const struct bench_runner_opts *o, struct bench_outcome *out,
                     struct bench_runner_stats *stats)
{
    struct bench_runner r = {.loop = loop, .o = o, .out = out};
    size_t idle = o->max_concurrency > 0 ? (size_t)o->max_concurrency : (o->n < 256 ? o->n : 256);
    int rc;

    memset(stats, 0, sizeof(*stats));
    rc = uv_timer_init(loop, &r.timer);
    if (rc < 0)
        return rc;
    r.timer.data = &r;
    rc = loop_signals_start(&r.sigs, loop, on_signal, &r);
    if (rc < 0) {
        uv_close((uv_handle_t *)&r.timer, NULL);
        loop_signals_close(&r.sigs);
        uv_run(loop, UV_RUN_DEFAULT);
        return rc;
    }
    r.client = http_client_new(loop, (unsigned)(idle < 8 ? 8 : idle));
    r.live = xcalloc(o->n + 1, sizeof(*r.live));
    r.t0_ns = uv_hrtime();
    pump(&r);
    uv_run(loop, UV_RUN_DEFAULT);
    free(r.live);
    stats->duration_s = (double)(r.end_ns - r.t0_ns) / 1e9;
    stats->max_concurrent = r.peak;
    stats->interrupted = r.interrupted;
    return 0;
}
