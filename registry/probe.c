/* Health probes over common/http_fetch. Probes refer to their record by (name, id), never by
 * pointer, so a record removed or replaced while its probe is in flight is simply not updated;
 * the record points at its probe (rec->probe) only while that probe is in flight. A sweep queues
 * every record and keeps at most PROBE_MAX_CONCURRENT probes in flight, so that 1,000 records do
 * not need 1,000 sockets at once. Depends on common/http_fetch, common/json, common/log,
 * registry/store, registry/metrics. */
#include "probe.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "http_fetch.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "xalloc.h"

#define PROBE_MAX_CONCURRENT 128

struct probe;

struct reg_probe_wait {
    struct probe *probe;
    struct reg_probe_wait *prev, *next;
    reg_probe_done_cb cb;
    void *ud;
};

struct probe {
    struct reg_prober *prober;
    struct probe *prev, *next;
    char *name;
    uint64_t id;
    struct http_fetch_req *req;
    struct reg_probe_wait *waiters;
};

struct pending {
    char *name;
    uint64_t id;
};

struct reg_prober {
    uv_timer_t timer;
    struct http_fetch *client;
    struct reg_store *store;
    struct reg_metrics *metrics;
    uint64_t interval_ms, timeout_ms;
    struct probe *probes;
    size_t active;
    struct pending *queue; /* the current sweep's records not yet probed */
    size_t qhead, qlen, qcap;
};

static uint64_t to_ms(double s)
{
    double ms = s * 1000.0;

    return ms < 1 ? 1 : (uint64_t)ms;
}

struct reg_prober *reg_prober_new(uv_loop_t *loop, struct reg_store *store,
                                  struct reg_metrics *metrics, double interval_s, double timeout_s)
{
    struct reg_prober *p = xcalloc(1, sizeof(*p));

    SVC_ASSERT(uv_timer_init(loop, &p->timer) == 0);
    p->timer.data = p;
    p->client = http_fetch_new(loop, 0);
    p->store = store;
    p->metrics = metrics;
    p->interval_ms = to_ms(interval_s);
    p->timeout_ms = to_ms(timeout_s);
    return p;
}

int reg_probe_url(const struct reg_record *rec, struct buf *out)
{
    if (rec->openai_api) {
        bool v6 = strchr(rec->host, ':') != NULL;
        return buf_appendf(out, "http://%s%s%s:%d/health", v6 ? "[" : "", rec->host, v6 ? "]" : "",
                           rec->port + 1);
    }
    size_t len = strlen(rec->url);
    if (len > 0 && rec->url[len - 1] == '/')
        len--;
    int rc = buf_append(out, rec->url, len);
    return rc < 0 ? rc : buf_append_str(out, "/health");
}

size_t reg_prober_active(const struct reg_prober *p)
{
    return p->active;
}

static void unlink_probe(struct reg_prober *p, struct probe *pr)
{
    if (pr->prev != NULL)
        pr->prev->next = pr->next;
    else
        p->probes = pr->next;
    if (pr->next != NULL)
        pr->next->prev = pr->prev;
    p->active--;
}

static void unlink_waiter(struct reg_probe_wait *w)
{
    if (w->prev != NULL)
        w->prev->next = w->next;
    else
        w->probe->waiters = w->next;
    if (w->next != NULL)
        w->next->prev = w->prev;
}

/* Detaches the probe from its record, tells every waiter and frees the probe. */
static void finish_probe(struct reg_prober *p, struct probe *pr, int result)
{
    struct reg_record *rec = reg_store_get(p->store, pr->name);
    struct reg_probe_wait *w;

    if (rec != NULL && rec->id == pr->id)
        rec->probe = NULL;
    unlink_probe(p, pr);
    while ((w = pr->waiters) != NULL) {
        unlink_waiter(w);
        reg_probe_done_cb cb = w->cb;
        void *ud = w->ud;
        free(w);
        cb(ud, result);
    }
    free(pr->name);
    free(pr);
}

static void record_result(struct reg_prober *p, const struct probe *pr, bool healthy)
{
    struct reg_record *rec = reg_store_get(p->store, pr->name);
    enum reg_health h = healthy ? REG_HEALTH_HEALTHY : REG_HEALTH_UNHEALTHY;
    char logname[REG_LOG_NAME_MAX];

    if (healthy)
        p->metrics->probes_healthy++;
    else
        p->metrics->probes_unhealthy++;
    if (rec == NULL || rec->id != pr->id || rec->health == h)
        return;
    if (healthy)
        log_info("probe", "name=%s from=%s health_status=healthy",
                 reg_record_log_name(rec->name, logname, sizeof(logname)),
                 reg_health_name(rec->health));
    else
        log_warn("probe", "name=%s from=%s health_status=unhealthy",
                 reg_record_log_name(rec->name, logname, sizeof(logname)),
                 reg_health_name(rec->health));
    rec->health = h;
    reg_store_touch(p->store);
}

static void pump(struct reg_prober *p);

static void on_probe_done(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct probe *pr = ud;
    struct reg_prober *p = pr->prober;
    bool healthy = rc == 0 && resp->status >= 200 && resp->status < 300;

    record_result(p, pr, healthy);
    finish_probe(p, pr, healthy ? 1 : 0);
    pump(p);
}

static struct probe *start_probe(struct reg_prober *p, struct reg_record *rec)
{
    struct probe *pr = xcalloc(1, sizeof(*pr));
    struct buf url;

    buf_init(&url, BUF_UNLIMITED);
    reg_probe_url(rec, &url);
    pr->prober = p;
    pr->name = xstrdup(rec->name);
    pr->id = rec->id;
    struct http_fetch_opts opts = {
        .url = buf_cstr(&url),
        .connect_timeout_ms = p->timeout_ms,
        .timeout_ms = p->timeout_ms,
        .max_response = 64 * 1024,
        .on_done = on_probe_done,
        .ud = pr,
    };
    pr->req = http_fetch_start(p->client, &opts);
    SVC_ASSERT(pr->req != NULL);
    buf_free(&url);
    pr->next = p->probes;
    if (p->probes != NULL)
        p->probes->prev = pr;
    p->probes = pr;
    p->active++;
    rec->probe = pr;
    return pr;
}

struct reg_probe_wait *reg_prober_probe(struct reg_prober *p, struct reg_record *rec,
                                        reg_probe_done_cb cb, void *ud)
{
    struct probe *pr = rec->probe != NULL ? rec->probe : start_probe(p, rec);
    struct reg_probe_wait *w = xcalloc(1, sizeof(*w));

    w->probe = pr;
    w->cb = cb;
    w->ud = ud;
    w->next = pr->waiters;
    if (pr->waiters != NULL)
        pr->waiters->prev = w;
    pr->waiters = w;
    return w;
}

void reg_probe_wait_cancel(struct reg_probe_wait *w)
{
    if (w == NULL)
        return;
    unlink_waiter(w);
    free(w);
}

static void clear_queue(struct reg_prober *p)
{
    for (size_t i = p->qhead; i < p->qlen; i++)
        free(p->queue[i].name);
    p->qhead = p->qlen = 0;
}

/* Starts queued probes up to the concurrency limit. */
static void pump(struct reg_prober *p)
{
    while (p->active < PROBE_MAX_CONCURRENT && p->qhead < p->qlen) {
        struct pending *q = &p->queue[p->qhead++];
        struct reg_record *rec = reg_store_get(p->store, q->name);
        if (rec != NULL && rec->id == q->id && rec->probe == NULL)
            start_probe(p, rec);
        free(q->name);
        q->name = NULL;
    }
    if (p->qhead == p->qlen)
        p->qhead = p->qlen = 0;
}

static void on_sweep(uv_timer_t *t)
{
    struct reg_prober *p = t->data;

    clear_queue(p); /* a sweep still queued from last time is superseded */
    for (struct reg_record *rec = reg_store_first(p->store); rec != NULL;
         rec = reg_store_next(rec)) {
        if (rec->probe != NULL)
            continue;
        if (p->qlen == p->qcap) {
            p->qcap = p->qcap ? p->qcap * 2 : 64;
            p->queue = xrealloc(p->queue, p->qcap * sizeof(*p->queue));
        }
        p->queue[p->qlen++] = (struct pending){xstrdup(rec->name), rec->id};
    }
    log_debug("probe", "records=%zu in_flight=%zu sweep", p->qlen, p->active);
    pump(p);
}

int reg_prober_start(struct reg_prober *p)
{
    return uv_timer_start(&p->timer, on_sweep, p->interval_ms, p->interval_ms);
}

void reg_prober_stop(struct reg_prober *p)
{
    uv_timer_stop(&p->timer);
    clear_queue(p);
    while (p->probes != NULL) {
        struct probe *pr = p->probes;
        http_fetch_cancel(pr->req);
        finish_probe(p, pr, SVC_ECANCELED);
    }
}

static void on_timer_closed(uv_handle_t *h)
{
    struct reg_prober *p = h->data;

    free(p->queue);
    free(p);
}

void reg_prober_free(struct reg_prober *p)
{
    if (p == NULL)
        return;
    reg_prober_stop(p);
    http_fetch_free(p->client);
    p->client = NULL;
    uv_close((uv_handle_t *)&p->timer, on_timer_closed);
}
