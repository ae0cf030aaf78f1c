/* infini-babysitter's HTTP endpoints on port P+1 (GET or HEAD): /health (200 only while the
 * model server is ready and its last health probe passed, else 503 with a reason), /models (the
 * backend's model list), /info and /metrics. The reference's field names; compact JSON with sorted
 * keys. Depends on babysitter/{babysitter,config,metrics,supervisor} and common/http_*. */
#ifndef SVC_BABYSITTER_HANDLERS_H
#define SVC_BABYSITTER_HANDLERS_H

#include <cJSON.h>

struct bs_babysitter;
struct http_request;
struct http_server_rejection;

/* The http_server handler; `ud` is the struct bs_babysitter. */
void bs_handlers_dispatch(struct http_request *req, void *ud);
/* The http_server rejection callback: the same access-log line for a request the server
 * refused itself (408, 413, 431...). */
void bs_handlers_on_reject(const struct http_server_rejection *r, void *ud);

/* The /health document of `b` (caller frees with cJSON_Delete()); *status gets 200 or 503. */
cJSON *bs_handlers_health(const struct bs_babysitter *b, int *status);
/* The /info document of `b` (caller frees with cJSON_Delete()). */
cJSON *bs_handlers_info(const struct bs_babysitter *b);

#endif
