/* Fuzz target: raw bytes into an HTTP server connection. A real common/http_server listens on
 * 127.0.0.1 (set up once); each input is written on a fresh TCP connection, the write side is
 * shut down, and the loop runs until the server has closed the connection. Small limits make
 * the 413/414/431 paths reachable; the handler answers in full, in chunks, or with an error. */
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "fuzz.h"
#include "http_reply.h"
#include "http_server.h"

static uv_loop_t loop;
static struct http_server *server;
static int port;

static void handler(struct http_request *req, void *ud)
{
    (void)ud;
    if (slice_starts_with(req->path, "/stream")) {
        http_reply_add_header(req, "X-Test", "1");
        http_reply_start(req, 200, "text/event-stream", HTTP_REPLY_UNKNOWN_LENGTH);
        http_reply_write(req, req->body.ptr, req->body.len);
        http_reply_write(req, "data: x\n\n", 9);
        http_reply_end(req);
    } else if (slice_starts_with(req->path, "/err")) {
        http_reply_error(req, 400, "bad %.*s", (int)req->target.len, req->target.ptr);
    } else {
        struct slice host = http_request_header(req, "host");
        char q[64];
        http_request_query(req, "q", q, sizeof(q));
        http_reply_send(req, 200, "text/plain", host.ptr != NULL ? host.ptr : "", host.len);
    }
}

static void setup(void)
{
    struct http_server_limits l;

    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    http_server_limits_default(&l);
    l.max_url = 256;
    l.max_header_bytes = 1024;
    l.max_headers = 16;
    l.max_body = 4096;
    server = http_server_new(&loop, &l, handler, NULL);
    if (http_server_listen(server, "127.0.0.1", 0, &port) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (server == NULL)
        setup();
    if (size > 65536)
        return 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
        abort();
    size_t sent = 0;
    char sink[65536];
    /* Interleave writing, running the server and draining its answers so neither side
     * blocks on full buffers. */
    for (int i = 0; i < 100000; i++) {
        if (sent < size) {
            ssize_t n = send(fd, data + sent, size - sent, MSG_DONTWAIT | MSG_NOSIGNAL);
            if (n > 0)
                sent += (size_t)n;
            else if (n < 0 && errno != EAGAIN)
                sent = size; /* server already closed */
            if (sent == size)
                shutdown(fd, SHUT_WR);
        } else if (sent == size && size == 0 && i == 0) {
            shutdown(fd, SHUT_WR);
        }
        uv_run(&loop, UV_RUN_NOWAIT);
        ssize_t r = recv(fd, sink, sizeof(sink), MSG_DONTWAIT);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
            break; /* the server closed the connection */
    }
    close(fd);
    /* Let the server notice the close and free the connection. */
    for (int i = 0; i < 16; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
