/* infini-router's HTTP entry point: its own endpoints (/health, /status, /services, /stats,
 * /models, /v1/models, /metrics; reference field names, compact sorted JSON) and, for every
 * other path, API-key checking and the proxy. Depends on router/proxy, router/services,
 * router/metrics, common/http_*. */
#ifndef SVC_ROUTER_HANDLERS_H
#define SVC_ROUTER_HANDLERS_H

struct http_request;

/* The http_server handler; `ud` is the struct rt_router. */
void rt_handlers_dispatch(struct http_request *req, void *ud);

#endif
