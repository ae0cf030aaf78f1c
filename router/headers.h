/* Which headers cross the proxy. Hop-by-hop headers (RFC 9110 section 7.6.1: Connection,
 * Keep-Alive, Proxy-*, TE, Trailer, Transfer-Encoding, Upgrade, and any header the Connection
 * header names) describe one connection and are never forwarded; framing (Content-Length) is
 * recomputed on each side; Host is set to the upstream. Depends on common/http_request. */
#ifndef SVC_ROUTER_HEADERS_H
#define SVC_ROUTER_HEADERS_H

#include <stdbool.h>
#include <stddef.h>

#include "http_request.h"

struct buf;

/* True when the header must not be copied to the other side (either direction). `connection`
 * is the value of the message's Connection header (may be a NULL slice). */
bool rt_header_is_hop_by_hop(struct slice name, struct slice connection);

/* What the router changes in the request head it forwards. Strings are borrowed. */
struct rt_forward {
    const char *host; /* the instance */
    int port;
    struct slice request_id;   /* sent as X-Request-Id (the client's own is not copied) */
    bool drop_authorization;   /* the client's Authorization was for the router (--api-keys) */
    const char *upstream_auth; /* a whole "Authorization: ..." line sent instead, or NULL */
};

/* Appends the request head for the upstream to `out`: request line (method, target unchanged,
 * HTTP/1.1), Host, every forwardable client header (not X-Request-Id; not Authorization when
 * `f->drop_authorization` or `f->upstream_auth` is set), X-Request-Id, the upstream
 * Authorization when given, X-Forwarded-For (client chain + peer), X-Forwarded-Proto (kept when
 * present, else "http"), and Content-Length when there is a body or the method usually has
 * one. 0, or SVC_ELIMIT when `out` is full. */
int rt_headers_build_request(struct buf *out, const struct http_request *req,
                             const struct rt_forward *f);

#endif
