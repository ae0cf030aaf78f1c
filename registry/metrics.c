/* Registry metrics exposition. Depends on common/prom, common/buf and registry/store. */
#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "prom.h"
#include "store.h"

static const int counted_codes[REG_METRICS_NCODES] = {200, 201, 400, 401, 403, 404, 405, 408,
                                                      413, 415, 422, 429, 431, 500, 503};

static const char *const endpoint_names[REG_EP_COUNT] = {
    [REG_EP_HEALTH] = "health",   [REG_EP_LIST] = "list",           [REG_EP_REGISTER] = "register",
    [REG_EP_GET] = "get",         [REG_EP_UPDATE] = "update",       [REG_EP_DELETE] = "deregister",
    [REG_EP_PROBE] = "probe",     [REG_EP_HEARTBEAT] = "heartbeat", [REG_EP_STATS] = "stats",
    [REG_EP_METRICS] = "metrics", [REG_EP_OTHER] = "other",
};

void reg_metrics_init(struct reg_metrics *m, double now)
{
    memset(m, 0, sizeof(*m));
    m->start_time = now;
}

void reg_metrics_request(struct reg_metrics *m, enum reg_endpoint ep, int status)
{
    size_t i = 0;

    while (i < REG_METRICS_NCODES && counted_codes[i] != status)
        i++;
    m->requests[ep < REG_EP_COUNT ? ep : REG_EP_OTHER][i]++;
}

const char *reg_metrics_endpoint_name(enum reg_endpoint ep)
{
    return ep < REG_EP_COUNT ? endpoint_names[ep] : "other";
}

static void counter(struct buf *out, const char *name, const char *help, uint64_t v)
{
    prom_family(out, name, "counter", help);
    prom_sample(out, name, NULL, (double)v);
}

static void write_requests(const struct reg_metrics *m, struct buf *out)
{
    struct buf labels;
    char code[16];

    buf_init(&labels, 256);
    prom_family(out, "infini_registry_requests_total", "counter",
                "HTTP requests answered, by endpoint and status code");
    for (int ep = 0; ep < REG_EP_COUNT; ep++) {
        for (int i = 0; i <= REG_METRICS_NCODES; i++) {
            if (m->requests[ep][i] == 0)
                continue;
            if (i < REG_METRICS_NCODES)
                snprintf(code, sizeof(code), "%d", counted_codes[i]);
            else
                snprintf(code, sizeof(code), "other");
            buf_reset(&labels);
            prom_label(&labels, "endpoint", endpoint_names[ep]);
            prom_label(&labels, "code", code);
            prom_sample(out, "infini_registry_requests_total", buf_cstr(&labels),
                        (double)m->requests[ep][i]);
        }
    }
    buf_free(&labels);
}

void reg_metrics_write(const struct reg_metrics *m, const struct reg_store *store, double now,
                       struct buf *out)
{
    prom_family(out, "infini_registry_services", "gauge", "Records registered");
    prom_sample(out, "infini_registry_services", NULL, (double)reg_store_count(store));
    prom_family(out, "infini_registry_services_healthy", "gauge",
                "Records whose status is running and whose heartbeat is recent");
    prom_sample(out, "infini_registry_services_healthy", NULL,
                (double)reg_store_healthy_count(store, now));
    write_requests(m, out);
    counter(out, "infini_registry_heartbeats_total", "Heartbeats accepted", m->heartbeats);
    counter(out, "infini_registry_unknown_heartbeats_total",
            "Heartbeats for names not registered (answered 404)", m->unknown_heartbeats);
    prom_family(out, "infini_registry_registrations_total", "counter",
                "Registrations, new names and replacements of existing records");
    prom_sample(out, "infini_registry_registrations_total", "kind=\"new\"",
                (double)m->registrations);
    prom_sample(out, "infini_registry_registrations_total", "kind=\"replace\"",
                (double)m->replacements);
    counter(out, "infini_registry_deregistrations_total", "Records deleted through the API",
            m->deregistrations);
    counter(out, "infini_registry_expirations_total", "Records removed for lack of heartbeats",
            m->expirations);
    prom_family(out, "infini_registry_probes_total", "counter", "Active health probes, by result");
    prom_sample(out, "infini_registry_probes_total", "result=\"healthy\"",
                (double)m->probes_healthy);
    prom_sample(out, "infini_registry_probes_total", "result=\"unhealthy\"",
                (double)m->probes_unhealthy);
    counter(out, "infini_registry_state_writes_total", "State-file writes completed",
            m->state_writes);
    counter(out, "infini_registry_state_write_failures_total", "State-file writes that failed",
            m->state_write_failures);
    counter(out, "infini_registry_auth_failures_total",
            "Write requests refused for a missing or wrong bearer token", m->auth_failures);
    prom_family(out, "infini_registry_registrations_refused_total", "counter",
                "Registrations refused, by reason: host (--allow-hosts), rate "
                "(--registration-rate), full (--max-services)");
    prom_sample(out, "infini_registry_registrations_refused_total", "reason=\"host\"",
                (double)m->registrations_refused[REG_REFUSED_HOST]);
    prom_sample(out, "infini_registry_registrations_refused_total", "reason=\"rate\"",
                (double)m->registrations_refused[REG_REFUSED_RATE]);
    prom_sample(out, "infini_registry_registrations_refused_total", "reason=\"full\"",
                (double)m->registrations_refused[REG_REFUSED_FULL]);
    prom_family(out, "infini_registry_uptime_seconds", "gauge",
                "Seconds since the registry started");
    prom_sample(out, "infini_registry_uptime_seconds", NULL, now - m->start_time);
}
