/* The babysitter's two registry records and everything that keeps them there: "<name>" (the
 * babysitter, port P+1) registered at once, and "<name>-server" (the model server, port P,
 * routable: metadata.type "openai-api") registered when the server becomes ready and again
 * whenever it becomes ready after a restart (fresh model list). Registration is retried with
 * backoff (0.5 s doubling to 30 s). Every heartbeat interval both records get a heartbeat; the
 * "-server" one says "running" with the load scraped from the server's /metrics, or
 * "starting"/"unhealthy" while it is not ready, and goes out at once when that changes. A
 * heartbeat answered 404 (a registry restarted without state) registers the record again at
 * once. At shutdown both records are deleted. Every call has a timeout; one request per record
 * is in flight at a time. Depends on libuv, common/{http_fetch,json,log,wallclock} and
 * babysitter/{launch,metadata,metrics,readiness,scrape}. */
#ifndef SVC_BABYSITTER_REGISTRATION_H
#define SVC_BABYSITTER_REGISTRATION_H

#include <cJSON.h>
#include <uv.h>

struct bs_metrics;
struct bs_registration;

struct bs_registration_opts {
    const char *registry_url; /* without a trailing '/' */
    const char *token;        /* bearer token, or NULL */
    const char *name;
    const char *host; /* written into the records */
    int port;         /* the model server's port P */
    const char *service_type;
    const cJSON *metadata;  /* [metadata] merged into the "-server" record; may be NULL */
    const char *probe_host; /* where the server's /metrics is scraped */
    double heartbeat_interval;
    struct bs_metrics *metrics; /* borrowed; counters bumped here */
};

typedef void (*bs_registration_stopped_cb)(void *ud);

/* Copies the strings of `opts` (metadata and metrics stay borrowed). Never NULL. */
struct bs_registration *bs_registration_new(uv_loop_t *loop,
                                            const struct bs_registration_opts *opts);
/* Registers "<name>" and starts the heartbeats. */
void bs_registration_start(struct bs_registration *g);
/* The model server is ready with `models` (the backend's model-list document, borrowed):
 * (re-)register "<name>-server" with status "running" now. */
void bs_registration_server_ready(struct bs_registration *g, const cJSON *models);
/* The model server is not ready: `status` is "starting" or "unhealthy" (static string). A
 * registered "-server" record gets a heartbeat with it at once. */
void bs_registration_server_status(struct bs_registration *g, const char *status);
/* Status sent in "<name>"'s heartbeats ("running" or "unhealthy"; static string). */
void bs_registration_own_status(struct bs_registration *g, const char *status);
/* Shutdown: stops heartbeats and retries, abandons requests in flight, deletes both records
 * (each call bounded by a timeout) and calls `cb` when that is done, always from a timer of its
 * own (never from inside this call or an HTTP callback), so `cb` may free the module. Not from
 * inside this module's callbacks. */
void bs_registration_stop(struct bs_registration *g, bs_registration_stopped_cb cb, void *ud);
/* Cancels everything (no callbacks) and frees once the handles are closed. NULL-safe. */
void bs_registration_free(struct bs_registration *g);

/* The record bodies (the reference's shapes), as new objects the caller frees with
 * cJSON_Delete(). Pure.
 *   own:    {"host","hostname","metadata":{"babysitter":"enhanced","type":<service type>},
 *            "name","port":P+1,"status":"running","url":"http://<host>:<P+1>"}
 *   server: {"host","hostname","metadata":{"babysitter":"enhanced","models":[ids],
 *            "models_list":[model objects],"parent_service":<name>,"type":"openai-api",
 *            ...[metadata]},"name":"<name>-server","port":P,"status":"running",
 *            "url":"http://<host>:<P>"}
 * `models` is a model-list document (object with `data`, or a bare array; borrowed); an item
 * without a string `id` contributes "" to `models`, as in the reference. */
cJSON *bs_registration_own_record(const char *name, const char *host, int port,
                                  const char *service_type);
cJSON *bs_registration_server_record(const char *name, const char *host, int port,
                                     const cJSON *models, const cJSON *metadata);

#endif
