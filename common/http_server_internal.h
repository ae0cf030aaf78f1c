/* Connection and server state shared by http_server.c (input side) and http_reply.c (output
 * side). Never included from outside common/. */
#ifndef SVC_COMMON_HTTP_SERVER_INTERNAL_H
#define SVC_COMMON_HTTP_SERVER_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <llhttp.h>
#include <uv.h>

#include "buf.h"
#include "http_server.h"

enum conn_state {
    CONN_READING,  /* waiting for or parsing a request */
    CONN_HANDLING, /* a request is with its handler; parsing paused */
    CONN_LINGER,   /* response sent with close: FIN sent, draining input briefly */
    CONN_CLOSED,   /* uv_close() called */
};

struct hdr_off {
    size_t name_off, name_len, value_off, value_len;
};

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uint64_t deadline;  /* loop time the current timeout expires; 0 = none */
    uint64_t timer_due; /* loop time the libuv timer is set for; 0 = not running */
    uv_shutdown_t shutdown_req;
    llhttp_t parser;
    struct http_server *server;
    struct http_conn *prev, *next;
    int pending_closes;
    enum conn_state state;
    bool in_request; /* a request's first byte has been parsed */
    bool headers_done;
    bool reading;       /* uv_read_start active */
    bool in_handler;    /* the handler is on the stack */
    bool close_after;   /* close once the current response is written */
    bool shutting_down; /* uv_shutdown issued */
    bool last_was_value;
    int reject_status; /* set by a parser callback that refused the request */
    const char *reject_reason;

    struct buf in;   /* received bytes not yet parsed */
    struct buf head; /* target, then header names and values */
    struct buf body;
    struct hdr_off *hdrs;
    unsigned nhdrs, hdr_cap;
    size_t url_len, header_bytes;
    struct http_header *headers; /* built at message complete; hdr_cap entries */
    struct http_request req;

    /* response side (http_reply.c) */
    struct buf extra; /* "Name: value\r\n" lines added by http_reply_add_header */
    struct buf held;  /* a head formatted by http_reply_begin, not written yet */
    bool resp_started, resp_chunked, resp_until_close, resp_no_body;
    size_t queued; /* bytes handed to uv_write and not yet completed */
    bool above_high;
    /* http_reply's drain and abort callbacks (typed there; this side only calls them). */
    void (*drain_cb)(void *ud);
    void *drain_ud;
    void (*abort_cb)(void *ud);
    void *abort_ud;

    char peer_ip[INET6_ADDRSTRLEN];
};

struct http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    uv_timer_t drain_timer;
    bool listening, drain_timer_on, draining, freeing;
    int pending_closes; /* listener + drain timer closes in flight */
    int port;           /* bound by http_server_listen; 0 before */
    struct http_server_limits limits;
    http_server_handler_cb handler;
    void *ud;
    http_server_drained_cb drained_cb;
    void *drained_ud;
    struct http_conn *conns;
    struct http_server_stats stats;
    uint64_t next_id;
    struct buf scratch; /* response assembly, reused */
    char readbuf[64 * 1024];
};

/* uv_buf_t is not const-correct; writes never modify the bytes they are given. */
static inline uv_buf_t http_cbuf(const void *p, size_t len)
{
    return uv_buf_init((char *)(uintptr_t)p, (unsigned)len);
}

/* Writes `n` buffers in order (uv_try_write, queueing the rest in one copy).
 * 0; 1 when the queue is now above the high watermark; or a negative code when the connection
 * is gone (it is then closing). */
int http_conn_write(struct http_conn *c, const uv_buf_t *bufs, unsigned n);
/* The current response is complete: resets per-request state and either closes the connection
 * (after queued writes) or goes on with the next request. */
void http_conn_response_done(struct http_conn *c);
/* Closes the connection at once without running the abort callback (http_reply_abort). */
void http_conn_abort(struct http_conn *c);
/* Sends a complete error response with Connection: close outside any handler (parser errors,
 * limits, timeouts). */
void http_conn_reject(struct http_conn *c, int status, const char *message);

#endif
