/* Active health probes. Depends on common/http_fetch, router/services. */
#include "health.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "http_fetch.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "services.h"
#include "xalloc.h"

struct probe {
    struct rt_health *h;
    struct rt_instance *inst; /* referenced while the probe runs */
    struct http_fetch_req *req;
    struct probe *prev, *next;
    uint64_t start_ns;
    uint64_t start_ms; /* loop time */
};

struct rt_health {
    struct rt_router *rt;
    uv_timer_t timer;
    struct probe *probes; /* in flight */
};

static void probe_unlink(struct rt_health *h, struct probe *p)
{
    if (p->prev != NULL)
        p->prev->next = p->next;
    else
        h->probes = p->next;
    if (p->next != NULL)
        p->next->prev = p->prev;
    p->inst->probing = false;
}

static void on_probed(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct probe *p = ud;
    struct rt_instance *inst = p->inst;
    struct rt_router *rt = p->h->rt;
    bool ok = rc == 0 && resp->status >= 200 && resp->status < 300;

    probe_unlink(p->h, p);
    rt_metrics_inc(rt->metrics, RT_M_PROBES);
    inst->last_probe_s = (double)(uv_hrtime() - p->start_ns) / 1e9;
    if (ok) {
        if (!inst->probe_ok)
            log_info("health", "instance=%s probe ok, in rotation", inst->name);
    } else {
        rt_metrics_inc(rt->metrics, RT_M_PROBE_FAILURES);
        if (inst->probe_ok)
            log_warn_uv(rc, "health", "instance=%s status=%ld probe failed, out of rotation",
                        inst->name, resp->status);
    }
    rt_instance_note_probe(inst, ok, p->start_ms);
    rt_instance_unref(inst);
    free(p);
}

static void probe_one(struct rt_health *h, struct rt_instance *inst)
{
    const struct rt_config *cfg = h->rt->cfg;
    bool babysat =
        json_get_string(inst->metadata, "babysitter") != NULL && inst->source == RT_SOURCE_REGISTRY;
    struct buf url;

    buf_init(&url, 8192);
    buf_appendf(&url, "%s/health", babysat ? inst->babysitter_url : inst->url);
    struct probe *p = xcalloc(1, sizeof(*p));
    p->h = h;
    p->inst = inst;
    p->start_ns = uv_hrtime();
    p->start_ms = uv_now(h->rt->loop);
    inst->probing = true;
    rt_instance_ref(inst);
    struct http_fetch_opts o = {
        .url = buf_cstr(&url),
        .connect_timeout_ms = (uint64_t)(cfg->health_timeout * 1000.0),
        .timeout_ms = (uint64_t)(cfg->health_timeout * 1000.0),
        .max_response = 64 * 1024,
        .on_done = on_probed,
        .ud = p,
    };
    p->req = http_fetch_start(h->rt->probe_fetch, &o);
    p->next = h->probes;
    if (h->probes != NULL)
        h->probes->prev = p;
    h->probes = p;
    buf_free(&url);
}

static void on_tick(uv_timer_t *t)
{
    struct rt_health *h = t->data;
    size_t n;
    struct rt_instance *const *all = rt_services_all(h->rt->services, &n);

    for (size_t i = 0; i < n; i++) {
        if (!all[i]->probing)
            probe_one(h, all[i]);
    }
}

void rt_health_probe_new(struct rt_health *h)
{
    size_t n;
    struct rt_instance *const *all;

    if (h == NULL)
        return;
    all = rt_services_all(h->rt->services, &n);
    for (size_t i = 0; i < n; i++) {
        if (!all[i]->probe_ok && all[i]->last_probe_s == 0 && !all[i]->probing)
            probe_one(h, all[i]);
    }
}

struct rt_health *rt_health_start(struct rt_router *rt)
{
    struct rt_health *h = xcalloc(1, sizeof(*h));
    uint64_t every = (uint64_t)(rt->cfg->health_interval * 1000.0);

    h->rt = rt;
    uv_timer_init(rt->loop, &h->timer);
    h->timer.data = h;
    /* First round shortly after start, once discovery had a chance to fill the table. */
    uv_timer_start(&h->timer, on_tick, every < 500 ? every : 500, every);
    return h;
}

static void on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void rt_health_stop(struct rt_health *h)
{
    if (h == NULL)
        return;
    while (h->probes != NULL) {
        struct probe *p = h->probes;
        h->probes = p->next;
        p->inst->probing = false;
        http_fetch_cancel(p->req);
        rt_instance_unref(p->inst);
        free(p);
    }
    uv_close((uv_handle_t *)&h->timer, on_closed);
}
