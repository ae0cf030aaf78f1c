/* infini-mock's HTTP endpoints: /health, /v1/models (/models), /metrics, /v1/chat/completions
 * (/chat/completions), /v1/completions (/completions) as JSON or SSE, and /v1/embeddings
 * (/embeddings); request validation with OpenAI-shaped errors; fault injection (--fail-rate,
 * --stall-ms, --drop-after-chunks); the daemon stop/cleanup hooks. Every response carries
 * X-Mock-Instance, generation responses X-Mock-Cached-Tokens.
 * Depends on common/ (http_server, http_reply, json, daemon, log) and tools/mock/{config,
 * engine, prompt, render, metrics}. Single-threaded (the loop thread). */
#ifndef SVC_TOOLS_MOCK_HANDLERS_H
#define SVC_TOOLS_MOCK_HANDLERS_H

#include <uv.h>

struct daemon;
struct err_msg;
struct http_request;
struct http_server;
struct mock_config;
struct mock_server;

/* Completion tokens a request may ask for. */
#define MOCK_HANDLERS_MAX_TOKENS 65536

/* Creates the instance (engine and counters) for `cfg`, which is borrowed and must outlive it.
 * Never NULL. */
struct mock_server *mock_handlers_new(uv_loop_t *loop, const struct mock_config *cfg);
/* The HTTP server whose requests this instance answers (borrowed): its bound port names the
 * instance when --name is not given; its own rejections (408, 413...) go to the access log. */
void mock_handlers_set_http(struct mock_server *s, struct http_server *http);
/* Binds the KV cache event sockets when --kv-events is set (tools/mock/kvevents). 0, or a
 * negative code with `err` set (cannot bind, or a cache type without events). */
int mock_handlers_start_kv_events(struct mock_server *s, struct err_msg *err);
/* The http_server_handler_cb; `ud` is the mock_server. */
void mock_handlers_handle(struct http_request *req, void *ud);
/* daemon_hooks.stop: generation requests are refused with 503 from now on, and daemon_stopped()
 * is called once the engine has no active job (ud = the mock_server). */
void mock_handlers_stop(struct daemon *d, void *ud);
/* daemon_hooks.cleanup: closes the engine's timer (its memory goes with the close callback, so
 * requests aborted during the server's teardown can still cancel their jobs). */
void mock_handlers_cleanup(void *ud);
/* Releases the rest once the loop is closed (after daemon_run returned). NULL-safe. */
void mock_handlers_free(struct mock_server *s);

#endif
