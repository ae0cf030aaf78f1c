/* Test support: a common/http_server with fixed endpoints for the HTTP client tests
 * (test_http_client.c, test_http_fetch.c):
 *   /hello   200 "hello" with X-Answer: 42
 *   /echo    201 with the request body, and its X-Custom header echoed back
 *   /big     200 with 100,000 zero bytes
 *   /slow    200 "slow" after 500 ms (abort-safe)
 *   /stream  200 SSE: "data: 20" down to "data: 1", one event every 2 ms (abort-safe)
 *   else     404 JSON error
 * Timers it starts run on `loop`; pending ones are closed by the loop's final run. */
#ifndef SVC_TESTS_FIXTURE_SERVER_H
#define SVC_TESTS_FIXTURE_SERVER_H

#include <uv.h>

struct http_server;

/* Listens on 127.0.0.1 with an OS-chosen port (stored in *port). Never NULL. */
struct http_server *fixture_server_start(uv_loop_t *loop, int *port);

#endif
