/* infini-mock's endpoints. A generation request is validated, turned into canonical prompt text
 * and submitted to the engine as a job embedded in a per-request `struct gen`; the engine's
 * progress callbacks drive the response (one JSON body at the end, or SSE events as tokens come).
 * A `struct gen` is freed exactly once: when its response ends, when it gives up on it
 * (--drop-after-chunks), or in the abort callback when the client leaves — deferred to the end
 * of a write when the abort happens inside one (`busy`). Depends on common/ and tools/mock. */
#include "handlers.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "config.h"
#include "daemon.h"
#include "engine.h"
#include "err.h"
#include "hash.h"
#include "http_reply.h"
#include "http_request.h"
#include "http_server.h"
#include "json.h"
#include "kvevents.h"
#include "log.h"
#include "metrics.h"
#include "prom.h"
#include "prompt.h"
#include "render.h"
#include "scan.h"
#include "tokenize.h"
#include "xalloc.h"

#define MAX_PROMPT_BYTES (64u * 1024 * 1024)

struct mock_server {
    uv_loop_t *loop;
    const struct mock_config *cfg;
    struct http_server *http;
    struct mock_engine *engine;
    struct mock_kvevents *kvev; /* KV cache event publisher, NULL without --kv-events */
    struct daemon *daemon;
    char *name;                /* decided at the first request (needs the bound port) */
    struct mock_words **words; /* per model */
    uint64_t *seeds;           /* per model: hash chain seed, so models share no blocks */
    struct mock_metrics metrics;
    uint64_t requests, next_id, rng;
    long long started; /* Unix seconds, the models' "created" */
    struct buf text;   /* canonical prompt of the request being handled */
    struct buf out;    /* response body being built */
};

struct gen {
    struct mock_server *s;
    struct http_request *req;
    struct mock_job job;
    struct mock_render_reply reply;
    int model;
    bool stream, include_usage;
    bool started, paused, dead, aborted;
    int busy;   /* inside an http_reply call that may run the abort callback */
    int sent;   /* tokens written */
    int chunks; /* SSE events written */
};

/* ---------------------------------------------------------------- helpers */

static void access_log(const struct http_request *req, int status)
{
    if (!log_access_enabled())
        return;
    double ms = (double)(uv_hrtime() - req->start_ns) / 1e6;
    log_access("%s %s %.*s %d %.3fms", req->peer_ip, req->method_name, (int)req->path.len,
               req->path.ptr, status, ms);
}

static void reply_error(struct http_request *req, int status, const char *code, const char *msg)
{
    access_log(req, status);
    http_reply_error_ex(req, status, NULL, code, msg);
}

/* xorshift64* on a splitmix64-scrambled seed: any --seed, including 0, works. */
static double rng_next(struct mock_server *s)
{
    s->rng ^= s->rng >> 12;
    s->rng ^= s->rng << 25;
    s->rng ^= s->rng >> 27;
    return (double)((s->rng * 0x2545F4914F6CDD1DULL) >> 11) / 9007199254740992.0;
}

static uint64_t splitmix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

/* The name and words need the bound port, known only once the server listens. */
static void ensure_named(struct mock_server *s)
{
    const struct mock_config *cfg = s->cfg;
    char name[32];

    if (s->name != NULL)
        return;
    if (cfg->name != NULL && cfg->name[0] != '\0') {
        s->name = xstrdup(cfg->name);
    } else {
        snprintf(name, sizeof(name), "mock-%d",
                 s->http != NULL ? http_server_port(s->http) : cfg->port);
        s->name = xstrdup(name);
    }
    s->words = xcalloc(cfg->nmodels, sizeof(*s->words));
    for (size_t i = 0; i < cfg->nmodels; i++)
        s->words[i] = mock_render_words_new(s->name, cfg->model_ids[i]);
    if (s->kvev != NULL && cfg->kv_events_topic[0] == '\0') {
        struct buf topic;

        buf_init(&topic, BUF_UNLIMITED);
        buf_appendf(&topic, "kv@%s", s->name);
        mock_kvevents_set_topic(s->kvev, buf_cstr(&topic));
        buf_free(&topic);
    }
}

/* Resolves the model id (absent: the default model); -1 when unknown. */
static int model_index(const struct mock_server *s, struct slice model)
{
    if (model.ptr == NULL)
        return 0;
    for (size_t i = 0; i < s->cfg->nmodels; i++) {
        if (slice_eq(model, s->cfg->model_ids[i]))
            return (int)i;
    }
    return -1;
}

/* Parses the body and resolves "model"; replies with the error and returns NULL on failure. */
static cJSON *parse_body(struct mock_server *s, struct http_request *req, int *model)
{
    struct err_msg err = {0};
    char msg[512];
    cJSON *body = json_parse(req->body.ptr, req->body.len, &err);

    if (body == NULL || !cJSON_IsObject(body)) {
        snprintf(msg, sizeof(msg), "Invalid JSON body: %s",
                 body == NULL ? err.msg : "expected an object");
        cJSON_Delete(body);
        reply_error(req, 400, "invalid_json", msg);
        return NULL;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, "model");
    if (m != NULL && !cJSON_IsNull(m) && !cJSON_IsString(m)) {
        cJSON_Delete(body);
        reply_error(req, 400, "invalid_model", "'model' must be a string");
        return NULL;
    }
    *model = model_index(s, cJSON_IsString(m) ? slice_from_cstr(m->valuestring)
                                              : (struct slice){NULL, 0});
    if (*model < 0) {
        snprintf(msg, sizeof(msg), "Model %s not available on this service", m->valuestring);
        cJSON_Delete(body);
        reply_error(req, 404, "model_not_found", msg);
        return NULL;
    }
    return body;
}

/* ---------------------------------------------------------------- generation */

static void gen_free(struct gen *g)
{
    free(g);
}

static void gen_count(struct gen *g)
{
    struct mock_metrics_model *mm = &g->s->metrics.models[g->model];
    const struct mock_job *j = &g->job;

    if (g->reply.finish_reason[0] == 'l')
        mm->finished_length++;
    else
        mm->finished_stop++;
    mm->prompt_tokens += (uint64_t)j->prompt_tokens;
    mm->generation_tokens += (uint64_t)j->emitted;
    prom_histogram_observe(&mm->ttft, (j->first_token_ms - j->submit_ms) / 1000.0);
}

static void gen_fill_reply(struct gen *g)
{
    g->reply.prompt_tokens = g->job.prompt_tokens;
    g->reply.cached_tokens = g->job.cached_tokens;
    g->reply.completion_tokens = g->job.emitted;
}

static void add_cached_header(struct gen *g)
{
    char digits[24];
    size_t at = sizeof(digits);
    unsigned v = (unsigned)g->job.cached_tokens;

    do { /* no printf on the hot path */
        digits[--at] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    http_reply_add_header_slice(g->req, slice_from_cstr("X-Mock-Cached-Tokens"),
                                (struct slice){digits + at, sizeof(digits) - at});
}

/* The request failed by injection (--fail-rate), after any stall. */
static void gen_fail(struct gen *g)
{
    struct http_request *req = g->req;

    g->s->metrics.models[g->model].failed++;
    http_reply_on_abort(req, NULL, NULL);
    reply_error(req, g->s->cfg->status_code, "injected_failure",
                "Injected failure (infini-mock --fail-rate)");
    gen_free(g);
}

static void gen_finish_json(struct gen *g)
{
    struct mock_server *s = g->s;
    struct http_request *req = g->req;

    gen_fill_reply(g);
    gen_count(g);
    buf_reset(&s->out);
    mock_render_completion(&s->out, &g->reply);
    add_cached_header(g);
    http_reply_on_abort(req, NULL, NULL);
    access_log(req, 200);
    http_reply_send(req, 200, "application/json", s->out.data, s->out.len);
    gen_free(g);
}

/* Runs an http_reply call that may abort the connection. Returns false when `g` must not be
 * used any more: it was freed (the abort ran inside) or the connection is gone. */
static bool gen_io_ok(struct gen *g, int rc)
{
    g->busy--;
    if (g->aborted) {
        gen_free(g);
        return false;
    }
    if (rc < 0) {
        g->dead = true; /* the abort callback frees it */
        return false;
    }
    if (rc == 1)
        g->paused = true; /* resumed by the drain callback */
    return true;
}

static void gen_on_drain(void *ud);

static bool gen_start_stream(struct gen *g)
{
    add_cached_header(g);
    http_reply_add_header(g->req, "Cache-Control", "no-cache");
    http_reply_on_drain(g->req, gen_on_drain, g);
    g->started = true;
    g->busy++;
    return gen_io_ok(g,
                     http_reply_start(g->req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH));
}

/* Counts one SSE event; true when --drop-after-chunks says to stop after it. */
static bool event_limit(struct gen *g)
{
    int limit = g->s->cfg->drop_after_chunks;

    return limit > 0 && ++g->chunks >= limit;
}

/* Renders the events that are due into s->out; sets *done or *drop. */
static void gen_render_events(struct gen *g, bool *done, bool *drop)
{
    struct buf *out = &g->s->out;

    *done = *drop = false;
    while (g->sent < g->job.emitted) {
        mock_render_chunk(out, &g->reply, g->sent++);
        if (event_limit(g)) {
            *drop = true;
            return;
        }
    }
    if (g->job.state != MOCK_JOB_DONE)
        return;
    gen_fill_reply(g);
    mock_render_final_chunk(out, &g->reply);
    if (event_limit(g)) {
        *drop = true;
        return;
    }
    if (g->include_usage) {
        mock_render_usage_chunk(out, &g->reply);
        if (event_limit(g)) {
            *drop = true;
            return;
        }
    }
    mock_render_done(out);
    *done = true;
}

static void gen_pump(struct gen *g)
{
    struct mock_server *s = g->s;
    bool done, drop;

    if (g->paused || g->dead)
        return;
    if (!g->started && !gen_start_stream(g))
        return;
    if (g->paused)
        return;
    buf_reset(&s->out);
    gen_render_events(g, &done, &drop);
    if (s->out.len > 0) {
        g->busy++;
        if (!gen_io_ok(g, http_reply_write(g->req, s->out.data, s->out.len)))
            return;
    }
    if (drop) {
        /* Fault injection: the server "dies" mid-stream. */
        mock_engine_cancel(s->engine, &g->job);
        access_log(g->req, 200);
        http_reply_abort(g->req);
        gen_free(g);
        return;
    }
    if (!done)
        return;
    gen_count(g);
    http_reply_on_abort(g->req, NULL, NULL);
    access_log(g->req, 200);
    http_reply_end(g->req);
    gen_free(g);
}

static void gen_on_drain(void *ud)
{
    struct gen *g = ud;

    g->paused = false;
    gen_pump(g);
}

static void gen_progress(struct gen *g)
{
    if (g->job.failed)
        gen_fail(g);
    else if (g->stream)
        gen_pump(g);
    else if (g->job.state == MOCK_JOB_DONE)
        gen_finish_json(g);
}

static void gen_on_progress(struct mock_job *job, void *ud)
{
    (void)job;
    gen_progress(ud);
}

static void gen_on_abort(void *ud)
{
    struct gen *g = ud;

    mock_engine_cancel(g->s->engine, &g->job);
    if (g->busy > 0) {
        g->aborted = true; /* freed when the write returns */
        return;
    }
    gen_free(g);
}

/* The cJSON path: reads the arguments and the prompt text (into s->text); replies with the
 * error and returns -1 on failure, else the model's index. */
static int gen_args_slow(struct mock_server *s, struct http_request *req, bool chat,
                         struct mock_prompt_args *a)
{
    struct err_msg err = {0};
    int model;
    cJSON *body = parse_body(s, req, &model);

    if (body == NULL)
        return -1;
    buf_reset(&s->text);
    int rc = mock_prompt_request(body, chat, MOCK_HANDLERS_MAX_TOKENS, a, &s->text, &err);
    cJSON_Delete(body); /* a->model dangles from here on; the index is what is used */
    if (rc == SVC_ELIMIT) {
        reply_error(req, 413, NULL, "prompt too large");
        return -1;
    }
    if (rc < 0) {
        reply_error(req, 400, "invalid_request", err.msg);
        return -1;
    }
    return model;
}

/* The fast path (tools/mock/scan): the model's index when it could read everything, else -1. */
static int gen_args_fast(struct mock_server *s, struct http_request *req, bool chat,
                         struct mock_prompt_args *a)
{
    buf_reset(&s->text);
    if (!mock_scan_generation(req->body.ptr, req->body.len, chat, MOCK_HANDLERS_MAX_TOKENS, a,
                              &s->text))
        return -1;
    return model_index(s, a->model); /* unknown: the cJSON path words the 404 */
}

/* A static cache holds a sequence only up to --max-cache-len tokens: a longer one gets 400, as
 * a real engine answers a request beyond its context length. */
static bool fits_cache(struct mock_server *s, struct http_request *req, int max_tokens)
{
    int prompt = mock_prompt_tokens(s->text.len, s->cfg->chars_per_token);
    char msg[256];

    if (mock_engine_fits(s->engine, prompt, max_tokens))
        return true;
    snprintf(msg, sizeof(msg),
             "This model's maximum context length is %d tokens. However, you requested %lld "
             "tokens (%d in the messages, %d in the completion).",
             s->cfg->max_cache_len, (long long)prompt + max_tokens, prompt, max_tokens);
    reply_error(req, 400, "context_length_exceeded", msg);
    return false;
}

static void handle_generation(struct mock_server *s, struct http_request *req,
                              enum mock_render_api api)
{
    const struct mock_config *cfg = s->cfg;
    bool chat = api == MOCK_RENDER_CHAT;
    struct mock_prompt_args a;

    if (mock_engine_is_stopping(s->engine)) {
        reply_error(req, 503, NULL, "shutting down");
        return;
    }
    int model = gen_args_fast(s, req, chat, &a);
    if (model < 0 && (model = gen_args_slow(s, req, chat, &a)) < 0)
        return;
    int max_tokens = a.max_given ? a.max_tokens : cfg->max_tokens_default;
    if (!fits_cache(s, req, max_tokens))
        return;
    s->requests++;
    struct gen *g = xcalloc(1, sizeof(*g));
    g->s = s;
    g->req = req;
    g->model = model;
    g->stream = a.stream;
    g->include_usage = a.include_usage;
    g->reply.n = a.n;
    g->reply.api = api;
    g->reply.words = s->words[model];
    g->reply.id = ++s->next_id;
    g->reply.created = (long long)time(NULL);
    g->reply.finish_reason = a.max_given ? "length" : "stop";
    g->job.max_tokens = max_tokens;
    g->job.want_tokens = a.stream;
    g->job.fail = cfg->fail_rate > 0 && rng_next(s) < cfg->fail_rate;
    double stall = cfg->stall_ms;
    if (cfg->stall_jitter_ms > 0)
        stall += (2 * rng_next(s) - 1) * cfg->stall_jitter_ms;
    g->job.stall_ms = stall > 0 ? (uint64_t)(stall + 0.5) : 0;
    g->job.seed = s->seeds[model];
    g->job.cb = gen_on_progress;
    g->job.ud = g;
    http_reply_on_abort(req, gen_on_abort, g);
    int rc = mock_engine_submit(s->engine, &g->job, s->text.data, s->text.len);
    if (rc == 1 || g->job.emitted > 0)
        gen_progress(g);
}

/* ---------------------------------------------------------------- other endpoints */

static void handle_embeddings(struct mock_server *s, struct http_request *req)
{
    struct err_msg err = {0};
    size_t count = 0;
    int model;
    cJSON *body = parse_body(s, req, &model);

    if (body == NULL)
        return;
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(body, "encoding_format");
    bool base64 = cJSON_IsString(format) && strcmp(format->valuestring, "base64") == 0;
    if (format != NULL && !cJSON_IsNull(format) && !base64 &&
        !(cJSON_IsString(format) && strcmp(format->valuestring, "float") == 0)) {
        cJSON_Delete(body);
        reply_error(req, 400, "invalid_encoding_format",
                    "'encoding_format' must be \"float\" or \"base64\"");
        return;
    }
    buf_reset(&s->text);
    int rc = mock_prompt_inputs(body, &s->text, &count, &err);
    cJSON_Delete(body);
    if (rc < 0) {
        reply_error(req, rc == SVC_ELIMIT ? 413 : 400, NULL,
                    rc == SVC_ELIMIT ? "input too large" : err.msg);
        return;
    }
    s->requests++;
    buf_reset(&s->out);
    mock_render_embeddings(&s->out, s->words[model], s->text.data, count, s->cfg->chars_per_token,
                           s->seeds[model], base64);
    access_log(req, 200);
    http_reply_send(req, 200, "application/json", s->out.data, s->out.len);
}

static void handle_health(struct mock_server *s, struct http_request *req)
{
    cJSON *doc = json_new_object();

    json_set_string(doc, "status", "healthy");
    json_set_string(doc, "service", s->name);
    json_set_number(doc, "port", http_server_port(s->http));
    json_set_number(doc, "requests", (double)s->requests);
    access_log(req, 200);
    http_reply_json(req, 200, doc);
    cJSON_Delete(doc);
}

static void handle_models(struct mock_server *s, struct http_request *req)
{
    cJSON *doc = json_new_object(), *data = json_new_array();

    for (size_t i = 0; i < s->cfg->nmodels; i++) {
        cJSON *m = json_new_object();
        json_set_string(m, "id", s->cfg->model_ids[i]);
        json_set_string(m, "object", "model");
        json_set_number(m, "created", (double)s->started);
        json_set_string(m, "owned_by", "infini-mock");
        json_array_push(data, m);
    }
    json_set_string(doc, "object", "list");
    json_set_item(doc, "data", data);
    access_log(req, 200);
    http_reply_json(req, 200, doc);
    cJSON_Delete(doc);
}

/* vLLM's POST /tokenize: the ids this simulation counts (tools/mock/tokenize). */
static void handle_tokenize(struct mock_server *s, struct http_request *req)
{
    struct err_msg err = {0};
    int model;
    cJSON *body = parse_body(s, req, &model);

    if (body == NULL)
        return;
    buf_reset(&s->out);
    int rc = mock_tokenize_reply(body, s->cfg->chars_per_token, s->seeds[model],
                                 s->cfg->max_cache_len, &s->text, &s->out, &err);
    cJSON_Delete(body);
    if (rc < 0) {
        reply_error(req, rc == SVC_ELIMIT ? 413 : 400, NULL,
                    rc == SVC_ELIMIT ? "prompt too large" : err.msg);
        return;
    }
    access_log(req, 200);
    http_reply_send(req, 200, "application/json", s->out.data, s->out.len);
}

/* vLLM's POST /reset_prefix_cache: empties the cache (AllBlocksCleared with --kv-events). */
static void handle_reset_cache(struct mock_server *s, struct http_request *req)
{
    mock_engine_reset_cache(s->engine);
    access_log(req, 200);
    http_reply_send(req, 200, "application/json", "{}", 2);
}

static void handle_metrics(struct mock_server *s, struct http_request *req)
{
    struct mock_engine_stats st;

    mock_engine_get_stats(s->engine, &st);
    buf_reset(&s->out);
    mock_metrics_write(&s->out, &s->metrics, &st);
    access_log(req, 200);
    http_reply_send(req, 200, PROM_CONTENT_TYPE, s->out.data, s->out.len);
}

/* ---------------------------------------------------------------- routing */

enum route {
    ROUTE_NONE,
    ROUTE_HEALTH,
    ROUTE_MODELS,
    ROUTE_METRICS,
    ROUTE_CHAT,
    ROUTE_COMPLETIONS,
    ROUTE_EMBEDDINGS,
    ROUTE_TOKENIZE,
    ROUTE_RESET_CACHE,
};

static const struct {
    const char *path;
    enum route route;
    bool post;
} routes[] = {
    {"/v1/chat/completions", ROUTE_CHAT, true}, {"/v1/completions", ROUTE_COMPLETIONS, true},
    {"/health", ROUTE_HEALTH, false},           {"/v1/models", ROUTE_MODELS, false},
    {"/metrics", ROUTE_METRICS, false},         {"/v1/embeddings", ROUTE_EMBEDDINGS, true},
    {"/chat/completions", ROUTE_CHAT, true},    {"/completions", ROUTE_COMPLETIONS, true},
    {"/models", ROUTE_MODELS, false},           {"/embeddings", ROUTE_EMBEDDINGS, true},
    {"/tokenize", ROUTE_TOKENIZE, true},        {"/reset_prefix_cache", ROUTE_RESET_CACHE, true},
};

void mock_handlers_handle(struct http_request *req, void *ud)
{
    struct mock_server *s = ud;
    size_t i = 0, n = sizeof(routes) / sizeof(routes[0]);

    ensure_named(s);
    http_reply_add_header(req, "X-Mock-Instance", s->name);
    while (i < n && !slice_eq(req->path, routes[i].path))
        i++;
    if (i == n) {
        reply_error(req, 404, NULL, "Not found");
        return;
    }
    if (!http_reply_check_method(req, routes[i].post ? "POST" : "GET"))
        return;
    switch (routes[i].route) {
    case ROUTE_CHAT:
        handle_generation(s, req, MOCK_RENDER_CHAT);
        break;
    case ROUTE_COMPLETIONS:
        handle_generation(s, req, MOCK_RENDER_COMPLETION);
        break;
    case ROUTE_EMBEDDINGS:
        handle_embeddings(s, req);
        break;
    case ROUTE_HEALTH:
        handle_health(s, req);
        break;
    case ROUTE_MODELS:
        handle_models(s, req);
        break;
    case ROUTE_METRICS:
        handle_metrics(s, req);
        break;
    case ROUTE_TOKENIZE:
        handle_tokenize(s, req);
        break;
    case ROUTE_RESET_CACHE:
        handle_reset_cache(s, req);
        break;
    case ROUTE_NONE:
        break;
    }
}

/* ---------------------------------------------------------------- lifecycle */

struct mock_server *mock_handlers_new(uv_loop_t *loop, const struct mock_config *cfg)
{
    struct mock_server *s = xcalloc(1, sizeof(*s));
    struct mock_engine_params p = {
        .block_size = cfg->block_size,
        .chars_per_token = cfg->chars_per_token,
        .kv_blocks = (size_t)cfg->kv_blocks,
        .cache_type = strcmp(cfg->cache_type, "static") == 0 ? MOCK_CACHE_STATIC : MOCK_CACHE_PAGED,
        .max_cache_len = (size_t)cfg->max_cache_len,
        .prefill_tok_per_s = cfg->prefill_tok_per_s,
        .decode_ms_per_token = cfg->decode_ms_per_token,
        .max_batch = cfg->max_batch,
        .hold_running = strcmp(cfg->hold_running, "on") == 0,
    };

    s->loop = loop;
    s->cfg = cfg;
    s->engine = mock_engine_new(loop, &p);
    s->seeds = xcalloc(cfg->nmodels, sizeof(*s->seeds));
    for (size_t i = 0; i < cfg->nmodels; i++)
        s->seeds[i] = hash64_str(cfg->model_ids[i]);
    mock_metrics_init(&s->metrics, cfg->model_ids, cfg->nmodels, cfg->block_size);
    s->rng = splitmix((uint64_t)cfg->seed);
    s->started = (long long)time(NULL);
    buf_init(&s->text, MAX_PROMPT_BYTES);
    buf_init(&s->out, BUF_UNLIMITED);
    return s;
}

/* A request the HTTP server refused itself gets the same access-log line as the others. */
static void on_reject(const struct http_server_rejection *r, void *ud)
{
    (void)ud;
    if (log_access_enabled())
        log_access("%s %s %.*s %d %.3fms", r->peer_ip, r->method, (int)r->path.len, r->path.ptr,
                   r->status, r->ms);
}

void mock_handlers_set_http(struct mock_server *s, struct http_server *http)
{
    s->http = http;
    http_server_on_reject(http, on_reject, s);
}

static void on_engine_idle(void *ud)
{
    struct mock_server *s = ud;

    daemon_stopped(s->daemon);
}

void mock_handlers_stop(struct daemon *d, void *ud)
{
    struct mock_server *s = ud;

    s->daemon = d;
    mock_engine_stop(s->engine, on_engine_idle, s);
}

void mock_handlers_cleanup(void *ud)
{
    struct mock_server *s = ud;

    if (s->kvev != NULL)
        mock_engine_set_kv_observer(s->engine, NULL);
    mock_engine_free(s->engine);
    mock_kvevents_free(s->kvev);
    s->kvev = NULL;
}

int mock_handlers_start_kv_events(struct mock_server *s, struct err_msg *err)
{
    const struct mock_config *cfg = s->cfg;

    if (cfg->kv_events_port == 0)
        return 0;
    if (strcmp(cfg->cache_type, "paged") != 0) {
        err_set(err, 0, 0, "--kv-events needs --cache-type paged");
        return SVC_EBADCONFIG;
    }
    const struct mock_kvevents_opts o = {
        .bind = cfg->bind,
        .port = cfg->kv_events_port,
        .replay_port = cfg->kv_replay_port,
        .map_encoding = strcmp(cfg->kv_events_encoding, "map") == 0,
        .block_size = cfg->block_size,
        .drop_seq = cfg->kv_events_drop_seq,
    };
    s->kvev = mock_kvevents_new(s->loop, &o, err);
    if (s->kvev == NULL)
        return SVC_EBADCONFIG;
    mock_kvevents_set_topic(s->kvev, cfg->kv_events_topic);
    mock_kvevents_attach(s->kvev, s->engine);
    return 0;
}

void mock_handlers_free(struct mock_server *s)
{
    if (s == NULL)
        return;
    if (s->words != NULL) {
        for (size_t i = 0; i < s->cfg->nmodels; i++)
            mock_render_words_free(s->words[i]);
    }
    free(s->words);
    free(s->name);
    free(s->seeds);
    mock_metrics_close(&s->metrics);
    buf_free(&s->text);
    buf_free(&s->out);
    free(s);
}
