/* Registry records of the babysitter and its model server. Each record has one request slot:
 * registration, heartbeat or deletion; pump() decides what the slot does next from the
 * record's flags, so a status change during a request simply leaves a flag for afterwards.
 * Depends on libuv, common/{buf,err,http_fetch,json,log,wallclock,xalloc} and
 * babysitter/{launch,metadata,metrics,readiness,scrape}. */
#include "registration.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bearer.h"
#include "buf.h"
#include "err.h"
#include "http_fetch.h"
#include "json.h"
#include "launch.h"
#include "log.h"
#include "metadata.h"
#include "metrics.h"
#include "readiness.h"
#include "scrape.h"
#include "wallclock.h"
#include "xalloc.h"

#define CONNECT_TIMEOUT_MS 2000
#define CALL_TIMEOUT_MS    5000
#define DELETE_TIMEOUT_MS  2000
#define SCRAPE_TIMEOUT_MS  2000
#define RETRY_FIRST_MS     500
#define RETRY_MAX_MS       30000
#define MAX_METRICS_BODY   (4u << 20)

enum req_kind {
    REQ_NONE,
    REQ_POST,
    REQ_BEAT,
    REQ_DELETE,
};

struct record {
    struct bs_registration *reg;
    enum bs_record_kind kind;
    char *name;
    char *path; /* "/services/<percent-encoded name>" */
    cJSON *doc; /* the body to register; NULL while there is nothing to register */
    bool registered;
    bool post_needed;
    bool beat_needed;
    const char *status; /* static string */
    struct http_fetch_req *req;
    enum req_kind req_kind;
    uv_timer_t retry;
    uint64_t retry_ms;
};

struct bs_registration {
    uv_loop_t *loop;
    struct bs_registration_opts opts;
    char *registry_url, *name, *host, *service_type, *probe_host;
    char *auth; /* "Authorization: Bearer ..." or NULL */
    struct http_fetch *client;
    uv_timer_t beat_timer;
    struct record own, server;
    struct http_fetch_req *scrape;
    cJSON *load; /* last scraped load while the server is ready, or NULL */
    bool server_ready;
    bool stopping;
    int deletes_pending;
    bs_registration_stopped_cb stopped_cb;
    void *stopped_ud;
    int handles_open;
};

static void pump(struct record *rec);

/* ------------------------------------------------------------------ record bodies */

static void set_common(cJSON *o, const char *name, const char *host, int port)
{
    struct buf url;

    buf_init(&url, 1024);
    bs_launch_url(&url, host, port, NULL);
    json_set_string(o, "host", host);
    json_set_string(o, "hostname", host);
    json_set_string(o, "name", name);
    json_set_number(o, "port", port);
    json_set_string(o, "status", "running");
    json_set_string(o, "url", buf_cstr(&url));
    buf_free(&url);
}

cJSON *bs_registration_own_record(const char *name, const char *host, int port,
                                  const char *service_type)
{
    cJSON *o = json_new_object();
    cJSON *meta = json_set_item(o, "metadata", json_new_object());

    json_set_string(meta, "babysitter", "enhanced");
    json_set_string(meta, "type", service_type);
    set_common(o, name, host, port + 1);
    return o;
}

cJSON *bs_registration_server_record(const char *name, const char *host, int port,
                                     const cJSON *models, const cJSON *metadata)
{
    cJSON *o = json_new_object();
    cJSON *meta = json_set_item(o, "metadata", json_new_object());
    cJSON *ids = json_new_array();
    const cJSON *list = bs_readiness_models_array(models);
    const cJSON *m;
    size_t n = strlen(name);
    char *server_name = xmalloc(n + sizeof("-server"));

    memcpy(server_name, name, n);
    memcpy(server_name + n, "-server", sizeof("-server"));
    bs_metadata_merge(meta, metadata);
    json_set_string(meta, "babysitter", "enhanced");
    cJSON_ArrayForEach(m, list)
    {
        const char *id = json_get_string(m, "id");
        json_array_push(ids, json_new_string(id != NULL ? id : ""));
    }
    json_set_item(meta, "models", ids);
    json_set_item(meta, "models_list", list != NULL ? json_dup(list) : json_new_array());
    json_set_string(meta, "parent_service", name);
    json_set_string(meta, "type", "openai-api");
    set_common(o, server_name, host, port);
    free(server_name);
    return o;
}

/* ------------------------------------------------------------------ requests */

static void append_escaped(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            buf_putc(b, (char)*p);
        } else {
            buf_putc(b, '%');
            buf_putc(b, hex[*p >> 4]);
            buf_putc(b, hex[*p & 15]);
        }
    }
}

static void on_record_done(void *ud, int rc, const struct http_fetch_response *resp);

/* The body of a request of `kind` for `rec` (caller frees), or NULL for none. */
static char *request_body(const struct record *rec, enum req_kind kind)
{
    struct bs_registration *g = rec->reg;

    if (kind == REQ_POST) {
        cJSON *doc = json_dup(rec->doc);
        json_set_string(doc, "status", rec->status);
        char *s = json_print_str(doc);
        cJSON_Delete(doc);
        return s;
    }
    if (kind != REQ_BEAT)
        return NULL;
    cJSON *beat = json_new_object();
    json_set_string(beat, "status", rec->status);
    if (rec->kind == BS_RECORD_SERVER && g->server_ready && g->load != NULL)
        json_set_item(beat, "load", json_dup(g->load));
    char *s = json_print_str(beat);
    cJSON_Delete(beat);
    return s;
}

static void send_request(struct record *rec, enum req_kind kind)
{
    struct bs_registration *g = rec->reg;
    struct buf url;
    const char *headers[3] = {"Content-Type: application/json", g->auth, NULL};
    char *body = request_body(rec, kind);

    buf_init(&url, BUF_UNLIMITED);
    buf_append_str(&url, g->registry_url);
    if (kind == REQ_POST)
        buf_append_str(&url, "/services");
    else
        buf_append_str(&url, rec->path);
    if (kind == REQ_BEAT)
        buf_append_str(&url, "/heartbeat");
    const struct http_fetch_opts o = {
        .method = kind == REQ_DELETE ? "DELETE" : "POST",
        .url = buf_cstr(&url),
        .headers = headers,
        .body = body,
        .body_len = body != NULL ? strlen(body) : 0,
        .connect_timeout_ms = CONNECT_TIMEOUT_MS,
        .timeout_ms = kind == REQ_DELETE ? DELETE_TIMEOUT_MS : CALL_TIMEOUT_MS,
        .max_response = 1u << 20,
        .on_done = on_record_done,
        .ud = rec,
    };
    rec->req_kind = kind;
    rec->req = http_fetch_start(g->client, &o);
    SVC_ASSERT(rec->req != NULL);
    free(body);
    buf_free(&url);
}

static void on_retry_timer(uv_timer_t *t)
{
    pump(t->data);
}

static void post_failed(struct record *rec, const char *why)
{
    rec->retry_ms = rec->retry_ms == 0
                        ? RETRY_FIRST_MS
                        : (rec->retry_ms * 2 < RETRY_MAX_MS ? rec->retry_ms * 2 : RETRY_MAX_MS);
    rec->post_needed = true;
    log_warn("registration", "name=%s retry_in=%.1fs registration failed: %s", rec->name,
             (double)rec->retry_ms / 1000.0, why);
    int rc = uv_timer_start(&rec->retry, on_retry_timer, rec->retry_ms, 0);
    SVC_ASSERT(rc == 0);
}

static void beat_done(struct record *rec, int rc, const struct http_fetch_response *resp,
                      const char *why)
{
    struct bs_metrics *m = rec->reg->opts.metrics;

    if (rc == 0 && resp->status >= 200 && resp->status < 300) {
        m->heartbeats_ok[rec->kind]++;
        return;
    }
    m->heartbeats_failed[rec->kind]++;
    if (rc == 0 && resp->status == 404) {
        /* The registry lost the record (restarted without state): register again now. */
        log_warn("registration", "name=%s heartbeat answered 404; registering again", rec->name);
        m->reregistrations[rec->kind]++;
        rec->registered = false;
        rec->post_needed = rec->doc != NULL;
        rec->retry_ms = 0;
        uv_timer_stop(&rec->retry);
        return;
    }
    log_warn("registration", "name=%s heartbeat failed: %s", rec->name, why);
}

static void on_stopped_timer(uv_timer_t *t)
{
    struct bs_registration *g = t->data;
    bs_registration_stopped_cb cb = g->stopped_cb;

    g->stopped_cb = NULL;
    if (cb != NULL)
        cb(g->stopped_ud);
}

/* The owner may free this module from its stopped callback, which must therefore not run from
 * inside an HTTP client callback: it runs from the (idle) heartbeat timer instead. */
static void report_stopped(struct bs_registration *g)
{
    int rc = uv_timer_start(&g->beat_timer, on_stopped_timer, 0, 0);

    SVC_ASSERT(rc == 0);
}

static void on_record_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct record *rec = ud;
    struct bs_registration *g = rec->reg;
    enum req_kind kind = rec->req_kind;
    bool ok = rc == 0 && resp->status >= 200 && resp->status < 300;
    char why[96];

    rec->req = NULL;
    rec->req_kind = REQ_NONE;
    if (rc != 0)
        snprintf(why, sizeof(why), "%s", err_str(rc));
    else
        snprintf(why, sizeof(why), "HTTP %ld", resp->status);
    switch (kind) {
    case REQ_POST:
        if (ok) {
            if (!rec->registered || rec->retry_ms != 0)
                log_info("registration", "name=%s status=%s registered", rec->name, rec->status);
            rec->registered = true;
            rec->retry_ms = 0;
            g->opts.metrics->registrations_ok[rec->kind]++;
        } else {
            g->opts.metrics->registrations_failed[rec->kind]++;
            post_failed(rec, why);
        }
        break;
    case REQ_BEAT:
        beat_done(rec, rc, resp, why);
        break;
    case REQ_DELETE:
        log_info("registration", "name=%s result=%s deregistered", rec->name, ok ? "ok" : why);
        if (--g->deletes_pending == 0)
            report_stopped(g);
        return;
    case REQ_NONE:
        break;
    }
    pump(rec);
}

/* Starts whatever the record needs next, unless its slot is busy. */
static void pump(struct record *rec)
{
    struct bs_registration *g = rec->reg;

    if (g->stopping || rec->req != NULL)
        return;
    if (rec->post_needed && rec->doc != NULL) {
        if (uv_is_active((uv_handle_t *)&rec->retry))
            return;
        rec->post_needed = false;
        rec->beat_needed = false; /* a registration refreshes the heartbeat too */
        send_request(rec, REQ_POST);
        return;
    }
    if (rec->beat_needed && rec->registered) {
        rec->beat_needed = false;
        send_request(rec, REQ_BEAT);
    }
}

/* ------------------------------------------------------------------ load and heartbeats */

static void on_scrape_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct bs_registration *g = ud;
    struct bs_load load;

    g->scrape = NULL;
    cJSON_Delete(g->load);
    g->load = NULL;
    if (rc == 0 && resp->status >= 200 && resp->status < 300 &&
        bs_scrape_parse(resp->body.ptr, resp->body.len, &load)) {
        g->load = bs_scrape_load_json(&load, wallclock_now());
        g->opts.metrics->scrapes_ok++;
    } else {
        g->opts.metrics->scrapes_failed++;
    }
    g->server.beat_needed = true;
    pump(&g->server);
}

static void start_scrape(struct bs_registration *g)
{
    struct buf url;

    buf_init(&url, 1024);
    bs_launch_url(&url, g->probe_host, g->opts.port, "/metrics");
    const struct http_fetch_opts o = {
        .url = buf_cstr(&url),
        .connect_timeout_ms = SCRAPE_TIMEOUT_MS,
        .timeout_ms = SCRAPE_TIMEOUT_MS,
        .max_response = MAX_METRICS_BODY,
        .on_done = on_scrape_done,
        .ud = g,
    };
    g->scrape = http_fetch_start(g->client, &o);
    SVC_ASSERT(g->scrape != NULL);
    buf_free(&url);
}

static void on_beat_timer(uv_timer_t *t)
{
    struct bs_registration *g = t->data;

    g->own.beat_needed = true;
    pump(&g->own);
    if (!g->server.registered)
        return;
    if (!g->server_ready) {
        g->server.beat_needed = true;
        pump(&g->server);
    } else if (g->scrape == NULL) {
        start_scrape(g); /* the heartbeat follows with the fresh load */
    }
}

/* ------------------------------------------------------------------ API */

static void init_record(struct bs_registration *g, struct record *rec, enum bs_record_kind kind)
{
    struct buf b;

    rec->reg = g;
    rec->kind = kind;
    buf_init(&b, BUF_UNLIMITED);
    buf_append_str(&b, g->name);
    if (kind == BS_RECORD_SERVER)
        buf_append_str(&b, "-server");
    rec->name = buf_take(&b, NULL);
    buf_append_str(&b, "/services/");
    append_escaped(&b, rec->name);
    rec->path = buf_take(&b, NULL);
    rec->status = kind == BS_RECORD_SERVER ? "starting" : "running";
    int rc = uv_timer_init(g->loop, &rec->retry);
    SVC_ASSERT(rc == 0);
    rec->retry.data = rec;
    g->handles_open++;
}

struct bs_registration *bs_registration_new(uv_loop_t *loop,
                                            const struct bs_registration_opts *opts)
{
    struct bs_registration *g = xcalloc(1, sizeof(*g));

    g->loop = loop;
    g->opts = *opts;
    g->registry_url = xstrdup(opts->registry_url);
    g->name = xstrdup(opts->name);
    g->host = xstrdup(opts->host);
    g->service_type = xstrdup(opts->service_type);
    g->probe_host = xstrdup(opts->probe_host);
    g->auth = bearer_header_new(opts->token);
    g->client = http_fetch_new(loop, 4);
    int rc = uv_timer_init(loop, &g->beat_timer);
    SVC_ASSERT(rc == 0);
    g->beat_timer.data = g;
    g->handles_open = 1;
    init_record(g, &g->own, BS_RECORD_OWN);
    init_record(g, &g->server, BS_RECORD_SERVER);
    return g;
}

void bs_registration_start(struct bs_registration *g)
{
    uint64_t ms = (uint64_t)(g->opts.heartbeat_interval * 1000.0 + 0.5);

    g->own.doc = bs_registration_own_record(g->name, g->host, g->opts.port, g->service_type);
    g->own.post_needed = true;
    int rc = uv_timer_start(&g->beat_timer, on_beat_timer, ms > 0 ? ms : 1, ms > 0 ? ms : 1);
    SVC_ASSERT(rc == 0);
    pump(&g->own);
}

void bs_registration_server_ready(struct bs_registration *g, const cJSON *models)
{
    struct record *rec = &g->server;

    cJSON_Delete(rec->doc);
    rec->doc =
        bs_registration_server_record(g->name, g->host, g->opts.port, models, g->opts.metadata);
    rec->status = "running";
    g->server_ready = true;
    rec->post_needed = true;
    rec->retry_ms = 0;
    uv_timer_stop(&rec->retry);
    pump(rec);
}

void bs_registration_server_status(struct bs_registration *g, const char *status)
{
    struct record *rec = &g->server;

    g->server_ready = false;
    cJSON_Delete(g->load);
    g->load = NULL;
    if (strcmp(rec->status, status) == 0)
        return;
    rec->status = status;
    rec->beat_needed = true;
    pump(rec);
}

void bs_registration_own_status(struct bs_registration *g, const char *status)
{
    if (strcmp(g->own.status, status) == 0)
        return;
    g->own.status = status;
    g->own.beat_needed = true;
    pump(&g->own);
}

void bs_registration_stop(struct bs_registration *g, bs_registration_stopped_cb cb, void *ud)
{
    struct record *recs[] = {&g->own, &g->server};

    g->stopping = true;
    uv_timer_stop(&g->beat_timer);
    if (g->scrape != NULL)
        http_fetch_cancel(g->scrape);
    g->scrape = NULL;
    g->stopped_cb = cb;
    g->stopped_ud = ud;
    for (size_t i = 0; i < 2; i++) {
        uv_timer_stop(&recs[i]->retry);
        if (recs[i]->req != NULL)
            http_fetch_cancel(recs[i]->req);
        recs[i]->req = NULL;
    }
    /* Completions arrive from the loop, never from inside send_request(). */
    for (size_t i = 0; i < 2; i++) {
        if (recs[i]->doc != NULL) {
            g->deletes_pending++;
            send_request(recs[i], REQ_DELETE);
        }
    }
    if (g->deletes_pending == 0)
        report_stopped(g);
}

static void free_record(struct record *rec)
{
    cJSON_Delete(rec->doc);
    free(rec->name);
    free(rec->path);
}

static void release(struct bs_registration *g)
{
    if (--g->handles_open > 0)
        return;
    free_record(&g->own);
    free_record(&g->server);
    cJSON_Delete(g->load);
    free(g->registry_url);
    free(g->name);
    free(g->host);
    free(g->service_type);
    free(g->probe_host);
    free(g->auth);
    free(g);
}

static void on_beat_timer_closed(uv_handle_t *h)
{
    release(h->data);
}

static void on_retry_timer_closed(uv_handle_t *h)
{
    const struct record *rec = h->data;

    release(rec->reg);
}

void bs_registration_free(struct bs_registration *g)
{
    if (g == NULL)
        return;
    http_fetch_free(g->client); /* abandons requests in flight: no callbacks */
    g->client = NULL;
    g->stopped_cb = NULL;
    uv_close((uv_handle_t *)&g->beat_timer, on_beat_timer_closed);
    uv_close((uv_handle_t *)&g->own.retry, on_retry_timer_closed);
    uv_close((uv_handle_t *)&g->server.retry, on_retry_timer_closed);
}
