/* Connection and server state shared by http_server.c (connections), http_parse.c (the llhttp
 * callbacks), http_limits.c (timeouts, the connection cap, the request-body budget) and
 * http_reply.c (output side). Never included from outside common/. */
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

/* Which timeout the connection's deadline stands for (decides what its expiry does). */
enum conn_timeout {
    TIMEOUT_NONE,
    TIMEOUT_HEADER, /* from accept, or from a request's first byte, to the end of its headers */
    TIMEOUT_BODY,   /* body progress: gap between reads and the minimum rate */
    TIMEOUT_IDLE,   /* keep-alive wait for the next request after a complete response */
    TIMEOUT_LINGER, /* lingering close */
};

struct hdr_off {
    size_t name_off, name_len, value_off, value_len;
};

struct http_conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uint64_t deadline;  /* loop time the current timeout expires; 0 = none */
    uint64_t timer_due; /* loop time the libuv timer is set for; 0 = not running */
    enum conn_timeout timeout;
    uv_shutdown_t shutdown_req;
    llhttp_t parser;
    struct http_server *server;
    struct http_conn *prev, *next;
    /* On the server's evictable list (idle keep-alive, or headers not complete yet), oldest
     * first; see http_limits_make_room(). */
    struct http_conn *evict_prev, *evict_next;
    bool evictable;
    bool method_known;    /* the request line's method was parsed (for rejection reports) */
    size_t body_reserved; /* bytes of the server's body budget this request holds */
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
    struct http_conn *evict_head, *evict_tail; /* evictable connections, oldest first */
    uint64_t conns_closing;                    /* uv_close() called, close callback pending */
    size_t body_bytes;                         /* request-body bytes reserved by all connections */
    http_server_reject_cb reject_cb;
    void *reject_ud;
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

/* Closes the connection (running the abort callback when a request is with its handler). */
void http_conn_close(struct http_conn *c);

/* ---- http_parse.c */

/* Initialises the connection's parser with the shared callbacks. */
void http_parse_init(struct http_conn *c);
/* Feeds bytes to the parser. Sets *used to the bytes consumed. Returns 1 when a complete
 * request is ready, 0 when all input was consumed, -1 when the connection was rejected (the
 * answer is on its way). */
int http_parse_feed(struct http_conn *c, const char *data, size_t len, size_t *used);

/* ---- http_limits.c */

/* Sets the connection's deadline `ms` from now for `kind` (0 = no deadline). */
void http_limits_arm(struct http_conn *c, enum conn_timeout kind, uint64_t ms);
/* No deadline (a request is with its handler). */
void http_limits_disarm(struct http_conn *c);
/* `len` more bytes of a request body arrived: moves the body deadline (see min_body_rate). */
void http_limits_body_progress(struct http_conn *c, size_t len);
/* Reserves `len` more bytes of the server's body budget for the current request. 0, or -1 when
 * the budget would be exceeded (nothing reserved). */
int http_limits_body_reserve(struct http_conn *c, size_t len);
/* Returns the request's reservation to the budget. */
void http_limits_body_release(struct http_conn *c);
/* Puts the connection at the young end of the evictable list / takes it off (idempotent). */
void http_limits_evictable_add(struct http_conn *c);
void http_limits_evictable_remove(struct http_conn *c);
/* A connection was accepted while live connections exceed max_connections: closes the oldest
 * evictable one. false when there is none (the caller then refuses the new connection). */
bool http_limits_make_room(struct http_server *s);
/* Reports a rejection to the server's reject callback (or the default access-log line). */
void http_limits_report_reject(struct http_conn *c, int status, const char *reason);

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
