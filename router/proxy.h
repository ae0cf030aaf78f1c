/* The proxy path: every request that is not one of the router's own endpoints is forwarded
 * unchanged (method, path, query, body bytes) to an instance chosen by the balancer, and the
 * response is relayed as it arrives (SSE and chunked bodies chunk by chunk; a slow client
 * pauses the upstream). Transport failures before any response byte reached the client are
 * retried on the next instance; every request holds one in-flight slot on its instance, released
 * exactly once on every exit path (success, client abort, upstream error, timeout, retry).
 * Depends on router/balancer, router/services, router/upstream, common/http_*. */
#ifndef SVC_ROUTER_PROXY_H
#define SVC_ROUTER_PROXY_H

struct rt_router;
struct http_request;

/* Takes over `req` until its response ends. */
void rt_proxy_handle(struct rt_router *rt, struct http_request *req);

#endif
