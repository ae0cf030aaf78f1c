/* Registry polling. Depends on common/http_fetch, common/json, router/services. */
#include "discovery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bearer.h"
#include "config.h"
#include "err.h"
#include "health.h"
#include "http_fetch.h"
#include "json.h"
#include "kv_events.h"
#include "log.h"
#include "metrics.h"
#include "router.h"
#include "services.h"
#include "xalloc.h"

struct rt_discovery {
    struct rt_router *rt;
    uv_timer_t timer;
    struct http_fetch_req *poll;
    char *url;
    char *auth;   /* "Authorization: Bearer ..." or NULL */
    bool failing; /* the last poll failed (log transitions only) */
};

static bool parse_record(const cJSON *rec, struct rt_instance_desc *d)
{
    long long port;
    bool healthy = false;

    memset(d, 0, sizeof(*d));
    d->name = json_get_string(rec, "name");
    d->host = json_get_string(rec, "host");
    if (d->name == NULL || d->name[0] == '\0' || d->host == NULL ||
        !json_get_int(rec, "port", 0, 65535, &port))
        return false;
    d->port = (int)port;
    d->url = json_get_string(rec, "url");
    d->metadata = json_get_object(rec, "metadata");
    json_get_bool(rec, "is_healthy", &healthy);
    d->registry_healthy = healthy;
    d->load = json_get_object(rec, "load");
    d->source = RT_SOURCE_REGISTRY;
    double w;
    d->weight = json_get_number(rec, "weight", &w) && w >= 1 && w <= 1e6 ? (unsigned)w : 1;
    return true;
}

/* Drops registry instances not listed for longer than the grace period (unless static). Until
 * then a vanished instance keeps routing while its own probes pass: a registry restarted without
 * its state answers an empty list until every babysitter's next heartbeat re-registers, and that
 * must never empty the fleet. */
static void expire_vanished(struct rt_router *rt, uint64_t epoch)
{
    size_t n;
    struct rt_instance *const *all = rt_services_all(rt->services, &n);
    double now = (double)uv_now(rt->loop);
    double grace_ms = rt->cfg->removal_grace * 1000.0;

    for (size_t i = n; i-- > 0;) {
        struct rt_instance *inst = all[i];
        if (inst->source != RT_SOURCE_REGISTRY || inst->seen_epoch == epoch)
            continue;
        if (!inst->is_static && now - inst->last_seen_ms >= grace_ms)
            rt_services_remove(rt->services, inst);
    }
}

int rt_discovery_apply(struct rt_router *rt, const char *body, size_t len)
{
    struct err_msg err;
    cJSON *root = json_parse(body, len, &err);
    const cJSON *list = json_get_array(root, "services");
    uint64_t epoch = ++rt->discovery_epoch;
    int applied = 0, skipped = 0;

    if (list == NULL) {
        cJSON_Delete(root);
        return SVC_EPARSE;
    }
    for (const cJSON *rec = list->child; rec != NULL; rec = rec->next) {
        struct rt_instance_desc d;
        if (!parse_record(rec, &d)) {
            skipped++;
            continue;
        }
        const char *type = json_get_string(d.metadata, "type");
        if (type == NULL || strcmp(type, "openai-api") != 0)
            continue; /* babysitter self-records and other non-model services */
        rt_services_upsert(rt->services, &d)->seen_epoch = epoch;
        applied++;
    }
    if (skipped > 0)
        log_warn("discovery", "skipped=%d malformed registry records ignored", skipped);
    expire_vanished(rt, epoch);
    rt_kv_events_sync(rt->kv_events, rt->services);
    rt_health_probe_new(rt->health); /* new records take traffic once probed */
    cJSON_Delete(root);
    return applied;
}

static void schedule(struct rt_discovery *d);

static void on_polled(void *ud, int rc, const struct http_fetch_response *resp)
{
    struct rt_discovery *d = ud;
    struct rt_router *rt = d->rt;
    int applied = rc;

    d->poll = NULL;
    rt_metrics_inc(rt->metrics, RT_M_REGISTRY_SYNCS);
    if (rc == 0 && resp->status == 200)
        applied = rt_discovery_apply(rt, resp->body.ptr, resp->body.len);
    else if (rc == 0)
        applied = SVC_EHTTP;
    if (applied < 0) {
        rt_metrics_inc(rt->metrics, RT_M_REGISTRY_SYNC_FAILURES);
        if (!d->failing)
            log_warn_uv(applied, "discovery",
                        "url=%s status=%ld registry unreachable, keeping "
                        "the last view",
                        d->url, resp->status);
        d->failing = true;
    } else if (d->failing) {
        log_info("discovery", "url=%s registry reachable again", d->url);
        d->failing = false;
    }
    schedule(d);
}

static void on_tick(uv_timer_t *t)
{
    struct rt_discovery *d = t->data;
    const char *headers[] = {d->auth, NULL};
    uint64_t timeout = (uint64_t)(d->rt->cfg->registry_sync_interval * 1000.0 * 5);

    if (d->poll != NULL)
        return;
    struct http_fetch_opts o = {
        .url = d->url,
        .headers = d->auth != NULL ? headers : NULL,
        .connect_timeout_ms = 2000,
        .timeout_ms = timeout < 2000    ? 2000
                      : timeout > 10000 ? 10000
                                        : timeout,
        .max_response = 64u << 20,
        .on_done = on_polled,
        .ud = d,
    };
    d->poll = http_fetch_start(d->rt->registry_fetch, &o);
}

static void schedule(struct rt_discovery *d)
{
    uv_timer_start(&d->timer, on_tick, (uint64_t)(d->rt->cfg->registry_sync_interval * 1000.0), 0);
}

struct rt_discovery *rt_discovery_start(struct rt_router *rt)
{
    struct rt_discovery *d = xcalloc(1, sizeof(*d));
    const char *base = rt->cfg->registry_url;
    size_t len = strlen(base);
    struct buf b;

    while (len > 0 && base[len - 1] == '/')
        len--; /* the reference concatenated verbatim and asked for "//services" */
    buf_init(&b, 8192);
    buf_appendf(&b, "%.*s/services", (int)len, base);
    d->url = buf_take(&b, NULL);
    d->auth = bearer_header_new(rt->cfg->registry_token);
    d->rt = rt;
    uv_timer_init(rt->loop, &d->timer);
    d->timer.data = d;
    uv_timer_start(&d->timer, on_tick, 0, 0);
    return d;
}

static void on_closed(uv_handle_t *h)
{
    struct rt_discovery *d = h->data;

    free(d->url);
    free(d->auth);
    free(d);
}

void rt_discovery_stop(struct rt_discovery *d)
{
    if (d == NULL)
        return;
    if (d->poll != NULL)
        http_fetch_cancel(d->poll);
    d->poll = NULL;
    uv_close((uv_handle_t *)&d->timer, on_closed);
}
