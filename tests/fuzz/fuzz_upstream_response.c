/* Fuzz target: raw bytes as an upstream server's answer to the router's proxy client
 * (common/http_upstream). A plain listening socket plays the server: it accepts the router's
 * connection, reads the request, writes the input and closes; the loop runs until the exchange
 * reports done. The body callback pauses now and then to exercise resume. Then the pool is
 * freed and the loop must drain. */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <uv.h>

#include "fuzz.h"
#include "http_upstream.h"

static uv_loop_t loop;
static int listen_fd = -1;
static int port;

struct state {
    struct http_upstream *u;
    int done;
    int heads;
    size_t body;
    unsigned calls;
    bool paused;
};

static void on_head(void *ud, int status, const struct http_header *h, size_t n, long long len)
{
    struct state *s = ud;

    (void)h;
    (void)len;
    if (status < 200 || status > 999 || n > 128)
        abort();
    s->heads++;
}

static bool on_body(void *ud, const char *data, size_t len)
{
    struct state *s = ud;

    if (len > 0 && (data[0] == 0x7f || data[len - 1] == 0x7f))
        s->body += 1; /* touch the bytes so ASan sees any bad range */
    s->body += len;
    s->paused = (++s->calls % 3) == 0;
    return s->paused;
}

static void on_done(void *ud, int rc, bool started, bool stale)
{
    struct state *s = ud;

    (void)rc;
    (void)started;
    (void)stale;
    s->done = 1;
    s->u = NULL;
}

static void setup(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(sa);

    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&loop);
    listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(listen_fd, 16) != 0 || getsockname(listen_fd, (struct sockaddr *)&sa, &len) != 0)
        abort();
    port = ntohs(sa.sin_port);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char head[] = "GET /x HTTP/1.1\r\nHost: f\r\n\r\n";
    struct http_upstream_cbs cbs = {on_head, on_body, on_done, NULL};
    struct state s = {0};

    if (listen_fd < 0)
        setup();
    if (size > 65536)
        return 0;
    struct http_upstream_pool *pool = http_upstream_pool_new(&loop, "127.0.0.1", port, 4);
    struct http_upstream_opts o = {.head = {head, sizeof(head) - 1},
                                   .body = {"", 0},
                                   .head_request = size > 0 && data[0] == 'H',
                                   .fresh = true,
                                   .connect_timeout_ms = 1000,
                                   .total_timeout_ms = 2000};
    s.u = http_upstream_start(pool, &o, &cbs, &s);
    int fd = -1;
    size_t sent = 0;
    char sink[4096];
    for (int i = 0; i < 200000 && !s.done; i++) {
        uv_run(&loop, UV_RUN_NOWAIT);
        if (fd < 0)
            fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
        if (fd >= 0) {
            while (recv(fd, sink, sizeof(sink), 0) > 0)
                ;
            if (sent < size) {
                ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
                if (n > 0)
                    sent += (size_t)n;
                else if (n < 0 && errno != EAGAIN)
                    sent = size;
            }
            if (sent == size) {
                close(fd); /* end of the "server": close-delimited bodies end here */
                fd = -2;
            }
        }
        if (s.paused && s.u != NULL) {
            s.paused = false;
            http_upstream_resume(s.u);
        }
    }
    if (fd >= 0)
        close(fd);
    if (s.u != NULL)
        http_upstream_abort(s.u);
    http_upstream_pool_free(pool);
    for (int i = 0; i < 64; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    return 0;
}
