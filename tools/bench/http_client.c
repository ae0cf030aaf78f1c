/* libcurl multi-socket <-> libuv bridge. Depends on libcurl, libuv, common/buf, common/err. */
#include "http_client.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "err.h"
#include "log.h"
#include "xalloc.h"

struct http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int pending_closes; /* timer + poll handles being closed */
    bool freeing;
    size_t active;
    struct http_client_req *reqs; /* doubly linked, for free() */
    struct curl_sock *socks;      /* doubly linked, for free() */
    char *noproxy;
};

struct curl_sock {
    uv_poll_t poll;
    struct http_client *client;
    struct curl_sock *prev, *next;
    curl_socket_t fd;
};

struct http_client_req {
    struct http_client *client;
    struct http_client_req *prev, *next;
    CURL *easy;
    struct curl_slist *headers;
    char *body;
    struct buf resp_body;
    struct buf resp_head; /* raw header lines of the latest response */
    struct http_header *hdrs;
    size_t nhdrs;
    long status;
    bool head_done, streaming, too_large, aborted;
    http_client_head_cb on_head;
    http_client_data_cb on_data;
    http_client_done_cb on_done;
    void *ud;
};

static void check_multi(struct http_client *c);

/* ---------------------------------------------------------------- socket and timer glue */

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct curl_sock *cs = h->data;
    struct http_client *c = cs->client;
    int flags = 0, running;

    if (status < 0)
        flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE)
        flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE)
        flags |= CURL_CSELECT_OUT;
    curl_multi_socket_action(c->multi, cs->fd, flags, &running);
    check_multi(c);
}

static void client_handle_closed(struct http_client *c)
{
    c->pending_closes--;
    if (c->freeing && c->pending_closes == 0) {
        free(c->noproxy);
        free(c);
    }
}

static void on_sock_closed(uv_handle_t *h)
{
    struct curl_sock *cs = h->data;
    struct http_client *c = cs->client;

    free(cs);
    client_handle_closed(c);
}

static void sock_close(struct http_client *c, struct curl_sock *cs)
{
    if (cs->prev != NULL)
        cs->prev->next = cs->next;
    else
        c->socks = cs->next;
    if (cs->next != NULL)
        cs->next->prev = cs->prev;
    c->pending_closes++;
    uv_close((uv_handle_t *)&cs->poll, on_sock_closed);
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    struct http_client *c = userp;
    struct curl_sock *cs = socketp;

    (void)easy;
    if (what == CURL_POLL_REMOVE) {
        if (cs != NULL) {
            curl_multi_assign(c->multi, fd, NULL);
            sock_close(c, cs);
        }
        return 0;
    }
    if (cs == NULL) {
        cs = xcalloc(1, sizeof(*cs));
        cs->client = c;
        cs->fd = fd;
        if (uv_poll_init_socket(c->loop, &cs->poll, fd) < 0) {
            free(cs);
            return -1;
        }
        cs->poll.data = cs;
        cs->next = c->socks;
        if (c->socks != NULL)
            c->socks->prev = cs;
        c->socks = cs;
        curl_multi_assign(c->multi, fd, cs);
    }
    int events = 0;
    if (what & CURL_POLL_IN)
        events |= UV_READABLE;
    if (what & CURL_POLL_OUT)
        events |= UV_WRITABLE;
    return uv_poll_start(&cs->poll, events, on_poll) < 0 ? -1 : 0;
}

static void on_timeout(uv_timer_t *t)
{
    struct http_client *c = t->data;
    int running;

    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_multi(c);
}

static int on_timer_set(CURLM *multi, long timeout_ms, void *userp)
{
    struct http_client *c = userp;

    (void)multi;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else /* 0 means "now": let the loop call back rather than re-entering curl */
        uv_timer_start(&c->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---------------------------------------------------------------- responses */

/* Splits the raw header block into (name, value) slices. */
static void parse_head(struct http_client_req *r)
{
    const char *p = r->resp_head.data, *end = p + r->resp_head.len;
    size_t cap = 0;

    r->nhdrs = 0;
    while (p != NULL && p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol != NULL ? (size_t)(eol - p) : (size_t)(end - p);
        const char *colon = memchr(p, ':', len);
        if (colon != NULL) {
            if (r->nhdrs == cap) {
                cap = cap ? cap * 2 : 16;
                r->hdrs = xrealloc(r->hdrs, cap * sizeof(*r->hdrs));
            }
            struct slice v = {colon + 1, len - (size_t)(colon + 1 - p)};
            if (v.len > 0 && v.ptr[v.len - 1] == '\r')
                v.len--;
            r->hdrs[r->nhdrs++] = (struct http_header){{p, (size_t)(colon - p)}, slice_trim(v)};
        }
        p = eol != NULL ? eol + 1 : NULL;
    }
}

static void fill_response(struct http_client_req *r, struct http_client_response *resp)
{
    resp->status = r->status;
    resp->headers = r->hdrs;
    resp->nheaders = r->nhdrs;
    resp->body = (struct slice){r->resp_body.data ? r->resp_body.data : "", r->resp_body.len};
}

static size_t on_header_line(char *data, size_t size, size_t n, void *ud)
{
    struct http_client_req *r = ud;
    size_t len = size * n;

    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        buf_reset(&r->resp_head); /* a new response: 1xx are followed by the final one */
        return len;
    }
    if (len <= 2 && (data[0] == '\r' || data[0] == '\n')) {
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        if (r->status >= 200 && !r->head_done) {
            r->head_done = true;
            parse_head(r);
            if (r->on_head != NULL) {
                struct http_client_response resp;
                fill_response(r, &resp);
                r->on_head(r->ud, &resp);
            }
        }
        return len;
    }
    if (buf_append(&r->resp_head, data, len) < 0)
        return 0; /* header block too large: fail the transfer */
    return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    struct http_client_req *r = ud;
    size_t len = size * n;

    if (r->streaming) {
        int act = r->on_data(r->ud, data, len);
        if (act == HTTP_CLIENT_PAUSE)
            return CURL_WRITEFUNC_PAUSE;
        if (act == HTTP_CLIENT_ABORT) {
            r->aborted = true;
            return 0;
        }
        return len;
    }
    if (buf_append(&r->resp_body, data, len) < 0) {
        r->too_large = true;
        return 0;
    }
    return len;
}

static int map_curl_error(const struct http_client_req *r, CURLcode code)
{
    if (r->too_large)
        return SVC_ELIMIT;
    if (r->aborted)
        return SVC_ECANCELED;
    switch (code) {
    case CURLE_OK:
        return 0;
    case CURLE_OPERATION_TIMEDOUT:
        return UV_ETIMEDOUT;
    case CURLE_COULDNT_CONNECT:
        return UV_ECONNREFUSED;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return UV_EAI_NONAME;
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
        return UV_ECONNRESET;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return UV_EINVAL;
    default:
        return UV_EIO;
    }
}

static void req_free(struct http_client_req *r)
{
    struct http_client *c = r->client;

    if (r->prev != NULL)
        r->prev->next = r->next;
    else
        c->reqs = r->next;
    if (r->next != NULL)
        r->next->prev = r->prev;
    c->active--;
    curl_multi_remove_handle(c->multi, r->easy);
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r->hdrs);
    buf_free(&r->resp_body);
    buf_free(&r->resp_head);
    free(r);
}

static void check_multi(struct http_client *c)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        struct http_client_req *r = NULL;
        CURLcode code = msg->data.result;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
        int rc = map_curl_error(r, code);
        if (rc == 0 && !r->head_done)
            parse_head(r);
        struct http_client_response resp;
        fill_response(r, &resp);
        if (rc != 0)
            log_debug("http-client", "status=%ld curl=%d %s", r->status, (int)code,
                      curl_easy_strerror(code));
        http_client_done_cb cb = r->on_done;
        void *ud = r->ud;
        /* Detach from curl before the callback so that it may start new requests. */
        curl_multi_remove_handle(c->multi, r->easy);
        cb(ud, rc, &resp);
        req_free(r);
    }
}

/* ---------------------------------------------------------------- API */

static char *build_noproxy(void)
{
    const char *env = getenv("NO_PROXY");
    struct buf b;

    if (env == NULL)
        env = getenv("no_proxy");
    buf_init(&b, 4096);
    buf_append_str(&b, "localhost,127.0.0.1,0.0.0.0,::1");
    if (env != NULL && env[0] != '\0') {
        buf_putc(&b, ',');
        buf_append_str(&b, env);
    }
    return buf_take(&b, NULL);
}

struct http_client *http_client_new(uv_loop_t *loop, unsigned max_idle_conns)
{
    static bool curl_ready;
    struct http_client *c = xcalloc(1, sizeof(*c));

    if (!curl_ready) {
        SVC_ASSERT(curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK);
        curl_ready = true;
    }
    c->loop = loop;
    c->multi = curl_multi_init();
    SVC_ASSERT(c->multi != NULL);
    c->noproxy = build_noproxy();
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_timer_set);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)(max_idle_conns ? max_idle_conns : 64));
    return c;
}

static void on_client_timer_closed(uv_handle_t *h)
{
    client_handle_closed(h->data);
}

static int on_socket_ignored(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy, (void)fd, (void)what, (void)userp, (void)socketp;
    return 0;
}

void http_client_free(struct http_client *c)
{
    if (c == NULL)
        return;
    while (c->reqs != NULL)
        req_free(c->reqs);
    c->freeing = true;
    /* Our own list closes the poll handles; curl's cleanup must not call back into them. */
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_socket_ignored);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, NULL);
    while (c->socks != NULL)
        sock_close(c, c->socks);
    curl_multi_cleanup(c->multi);
    c->multi = NULL;
    c->pending_closes++;
    uv_close((uv_handle_t *)&c->timer, on_client_timer_closed);
}

static void set_method(CURL *e, const struct http_client_opts *o)
{
    const char *m = o->method != NULL ? o->method : (o->body != NULL ? "POST" : "GET");

    if (strcmp(m, "GET") == 0 && o->body == NULL)
        return;
    if (strcmp(m, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
        return;
    }
    if (o->body != NULL || strcmp(m, "POST") == 0 || strcmp(m, "PUT") == 0 ||
        strcmp(m, "PATCH") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)o->body_len);
    }
    if (strcmp(m, "POST") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
}

struct http_client_req *http_client_start(struct http_client *c, const struct http_client_opts *o)
{
    if (o->url == NULL || o->on_done == NULL || (o->on_data != NULL) != (o->on_head != NULL))
        return NULL;
    struct http_client_req *r = xcalloc(1, sizeof(*r));
    r->client = c;
    r->on_head = o->on_head;
    r->on_data = o->on_data;
    r->on_done = o->on_done;
    r->ud = o->ud;
    r->streaming = o->on_data != NULL;
    buf_init(&r->resp_body, o->max_response ? o->max_response : 1024 * 1024);
    buf_init(&r->resp_head, 64 * 1024);
    r->easy = curl_easy_init();
    SVC_ASSERT(r->easy != NULL);

    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)r);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_NOPROXY, c->noproxy);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     (long)(o->connect_timeout_ms ? o->connect_timeout_ms : 5000));
    if (o->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header_line);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    /* No 1 s wait for "100 Continue" before large bodies. */
    r->headers = curl_slist_append(NULL, "Expect:");
    for (const char *const *h = o->headers; h != NULL && *h != NULL; h++)
        r->headers = curl_slist_append(r->headers, *h);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, r->headers);
    if (o->body != NULL) {
        r->body = xmemdup(o->body, o->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
    }
    set_method(e, o);

    r->next = c->reqs;
    if (c->reqs != NULL)
        c->reqs->prev = r;
    c->reqs = r;
    c->active++;
    SVC_ASSERT(curl_multi_add_handle(c->multi, e) == CURLM_OK);
    return r;
}

void http_client_cancel(struct http_client_req *r)
{
    if (r != NULL)
        req_free(r);
}

void http_client_resume(struct http_client_req *r)
{
    curl_easy_pause(r->easy, CURLPAUSE_CONT);
}

size_t http_client_active(const struct http_client *c)
{
    return c->active;
}
