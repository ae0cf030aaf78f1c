/* Fixed-endpoint HTTP server for client tests. */
#include "fixture_server.h"

#include <stdio.h>
#include <stdlib.h>

#include "http_reply.h"
#include "http_server.h"
#include "xalloc.h"

/* A response finished later by a timer; `req` is cleared if the client leaves first. */
struct later {
    uv_timer_t timer;
    struct http_request *req;
    int left; /* /stream: events still to send */
};

static void on_later_closed(uv_handle_t *h)
{
    free(h->data);
}

static void on_later_abort(void *ud)
{
    ((struct later *)ud)->req = NULL;
}

static void on_slow(uv_timer_t *t)
{
    struct later *l = t->data;

    if (l->req != NULL)
        http_reply_send(l->req, 200, "text/plain", "slow", 4);
    uv_close((uv_handle_t *)&l->timer, on_later_closed);
}

static void on_stream_tick(uv_timer_t *t)
{
    struct later *l = t->data;
    char line[32];

    if (l->req == NULL || l->left == 0) {
        if (l->req != NULL)
            http_reply_end(l->req);
        uv_close((uv_handle_t *)&l->timer, on_later_closed);
        return;
    }
    int n = snprintf(line, sizeof(line), "data: %d\n\n", l->left--);
    http_reply_write(l->req, line, (size_t)n);
}

static struct later *later_new(uv_loop_t *loop, struct http_request *req)
{
    struct later *l = xcalloc(1, sizeof(*l));

    l->req = req;
    uv_timer_init(loop, &l->timer);
    l->timer.data = l;
    http_reply_on_abort(req, on_later_abort, l);
    return l;
}

static void handler(struct http_request *req, void *ud)
{
    uv_loop_t *loop = ud;

    if (slice_eq(req->path, "/hello")) {
        http_reply_add_header(req, "X-Answer", "42");
        http_reply_send(req, 200, "text/plain", "hello", 5);
    } else if (slice_eq(req->path, "/echo")) {
        struct slice custom = http_request_header(req, "x-custom");
        if (custom.ptr != NULL)
            http_reply_add_header_slice(req, slice_from_cstr("X-Custom"), custom);
        http_reply_send(req, 201, "application/octet-stream", req->body.ptr, req->body.len);
    } else if (slice_eq(req->path, "/big")) {
        char *big = xcalloc(1, 100000);
        http_reply_send(req, 200, "text/plain", big, 100000);
        free(big);
    } else if (slice_eq(req->path, "/slow")) {
        uv_timer_start(&later_new(loop, req)->timer, on_slow, 500, 0);
    } else if (slice_eq(req->path, "/stream")) {
        struct later *l = later_new(loop, req);
        l->left = 20;
        http_reply_start(req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH);
        uv_timer_start(&l->timer, on_stream_tick, 1, 2);
    } else {
        http_reply_error(req, 404, "nothing at %.*s", (int)req->target.len, req->target.ptr);
    }
}

struct http_server *fixture_server_start(uv_loop_t *loop, int *port)
{
    struct http_server *s = http_server_new(loop, NULL, handler, loop);

    if (http_server_listen(s, "127.0.0.1", 0, port) != 0) {
        fprintf(stderr, "fixture_server: cannot listen\n");
        abort();
    }
    return s;
}
