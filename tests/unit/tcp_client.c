/* Blocking HTTP test client. */
#include "tcp_client.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <llhttp.h>

#include "xalloc.h"

int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {.tv_sec = 5};
    int one = 1;

    if (fd < 0)
        return -1;
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int tcp_send(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

int tcp_send_str(int fd, const char *s)
{
    return tcp_send(fd, s, strlen(s));
}

struct rctx {
    struct tcp_response *r;
    bool done;
    bool in_value;
};

static int on_status_done(llhttp_t *p)
{
    struct rctx *x = p->data;

    x->r->status = llhttp_get_status_code(p);
    return 0;
}

static int on_hfield(llhttp_t *p, const char *at, size_t len)
{
    struct rctx *x = p->data;

    if (x->in_value) {
        buf_putc(&x->r->head, '\n');
        x->in_value = false;
    }
    for (size_t i = 0; i < len; i++)
        buf_putc(&x->r->head, (char)tolower((unsigned char)at[i]));
    return 0;
}

static int on_hvalue(llhttp_t *p, const char *at, size_t len)
{
    struct rctx *x = p->data;

    if (!x->in_value)
        buf_append_str(&x->r->head, ": ");
    x->in_value = true;
    buf_append(&x->r->head, at, len);
    return 0;
}

static int on_hdone(llhttp_t *p)
{
    struct rctx *x = p->data;

    if (x->in_value)
        buf_putc(&x->r->head, '\n');
    x->r->status = llhttp_get_status_code(p);
    /* 1xx responses have no body; tell llhttp so. */
    return x->r->status < 200 ? 1 : 0;
}

static int on_rbody(llhttp_t *p, const char *at, size_t len)
{
    struct rctx *x = p->data;

    buf_append(&x->r->body, at, len);
    return 0;
}

static int on_rdone(llhttp_t *p)
{
    struct rctx *x = p->data;

    x->done = true;
    x->r->keep_alive = llhttp_should_keep_alive(p);
    return HPE_PAUSED;
}

/* Reads byte by byte so that bytes after this response stay in the socket for the next call. */
int tcp_read_response(int fd, struct tcp_response *r)
{
    static const llhttp_settings_t settings = {
        .on_status_complete = on_status_done,
        .on_header_field = on_hfield,
        .on_header_value = on_hvalue,
        .on_headers_complete = on_hdone,
        .on_body = on_rbody,
        .on_message_complete = on_rdone,
    };
    llhttp_t p;
    struct rctx x = {r, false, false};

    memset(r, 0, sizeof(*r));
    buf_init(&r->head, 1 << 20);
    buf_init(&r->body, 64 << 20);
    llhttp_init(&p, HTTP_RESPONSE, &settings);
    p.data = &x;
    static char chunk[256 * 1024];
    while (!x.done) {
        /* Peek and feed only up to the end of this response. */
        ssize_t n = recv(fd, chunk, sizeof(chunk), MSG_PEEK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0 && llhttp_finish(&p) == HPE_OK && r->status > 0)
                return 0;
            return -1;
        }
        llhttp_errno_t e = llhttp_execute(&p, chunk, (size_t)n);
        size_t used = (size_t)n;
        if (e == HPE_PAUSED)
            used = (size_t)(llhttp_get_error_pos(&p) - chunk);
        else if (e != HPE_OK)
            return -1;
        if (recv(fd, chunk, used, 0) != (ssize_t)used)
            return -1;
    }
    return 0;
}

void tcp_response_free(struct tcp_response *r)
{
    buf_free(&r->head);
    buf_free(&r->body);
}

char *tcp_response_header(const struct tcp_response *r, const char *name)
{
    const char *p = buf_cstr(&r->head);
    size_t n = strlen(name);

    while (*p != '\0') {
        const char *eol = strchr(p, '\n');
        if (strncmp(p, name, n) == 0 && p[n] == ':')
            return xstrndup(p + n + 2, (size_t)(eol ? eol - p - (long)n - 2 : (long)strlen(p)));
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    return NULL;
}

bool tcp_wait_closed(int fd, int ms)
{
    struct pollfd pfd = {.fd = fd, .events = POLLIN};
    char c;

    for (int waited = 0; waited <= ms; waited += 10) {
        if (poll(&pfd, 1, 10) > 0) {
            ssize_t n = recv(fd, &c, 1, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
                return true;
        }
    }
    return false;
}
