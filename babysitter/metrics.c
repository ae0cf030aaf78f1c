/* Prometheus exposition of the babysitter. Depends on common/{buf,prom} and
 * babysitter/{babysitter,logfile,readiness,supervisor}. */
#include "metrics.h"

#include "babysitter.h"
#include "buf.h"
#include "logfile.h"
#include "prom.h"
#include "readiness.h"
#include "supervisor.h"
#include "wallclock.h"

static const char *const record_names[] = {"own", "server"};

static void per_record(struct buf *out, const char *name, const char *type, const char *help,
                       const uint64_t ok[2], const uint64_t failed[2])
{
    struct buf labels;

    prom_family(out, name, type, help);
    for (int r = 0; r < 2; r++) {
        for (int f = 0; f < 2 && (f == 0 || failed != NULL); f++) {
            buf_init(&labels, 256);
            prom_label(&labels, "record", record_names[r]);
            if (failed != NULL)
                prom_label(&labels, "result", f == 0 ? "ok" : "failed");
            prom_sample(out, name, buf_cstr(&labels), (double)(f == 0 ? ok[r] : failed[r]));
            buf_free(&labels);
        }
    }
}

static void single(struct buf *out, const char *name, const char *type, const char *help,
                   double value)
{
    prom_family(out, name, type, help);
    prom_sample(out, name, NULL, value);
}

void bs_metrics_write(const struct bs_babysitter *b, struct buf *out)
{
    const struct bs_metrics *m = &b->metrics;
    enum bs_state state = bs_babysitter_state(b);

    single(out, "infini_babysitter_ready", "gauge",
           "1 while the model server is ready (what /health answers 200 for).",
           state == BS_STATE_READY);
    single(out, "infini_babysitter_child_running", "gauge", "1 while a child process runs.",
           bs_supervisor_pid(b->sup) != 0);
    single(out, "infini_babysitter_gave_up", "gauge",
           "1 once max_restarts restarts in a row were used.", state == BS_STATE_FAILED);
    single(out, "infini_babysitter_restarts_total", "counter", "Child restarts.",
           (double)bs_supervisor_restarts(b->sup));
    single(out, "infini_babysitter_spawn_failures_total", "counter", "Spawn attempts that failed.",
           (double)bs_supervisor_spawn_failures(b->sup));
    single(out, "infini_babysitter_health_probe_failures_total", "counter",
           "Failed health probes of a ready model server.",
           (double)bs_readiness_failures(b->readiness));
    single(out, "infini_babysitter_unhealthy_restarts_total", "counter",
           "Restarts after unhealthy_after failed health probes.", (double)m->unhealthy_restarts);
    single(out, "infini_babysitter_startup_timeouts_total", "counter",
           "Restarts after the model server was not ready within startup_timeout.",
           (double)m->startup_timeouts);
    per_record(out, "infini_babysitter_heartbeats_total", "counter", "Heartbeats sent.",
               m->heartbeats_ok, m->heartbeats_failed);
    per_record(out, "infini_babysitter_registrations_total", "counter", "Registrations sent.",
               m->registrations_ok, m->registrations_failed);
    per_record(out, "infini_babysitter_reregistrations_total", "counter",
               "Registrations after a heartbeat was answered 404.", m->reregistrations, NULL);
    prom_family(out, "infini_babysitter_load_scrapes_total", "counter",
                "Scrapes of the model server's /metrics for heartbeat load.");
    prom_sample(out, "infini_babysitter_load_scrapes_total", "result=\"ok\"",
                (double)m->scrapes_ok);
    prom_sample(out, "infini_babysitter_load_scrapes_total", "result=\"failed\"",
                (double)m->scrapes_failed);
    single(out, "infini_babysitter_log_file_dropped_bytes_total", "counter",
           "Child output not written to log_file (queue full or write errors).",
           (double)bs_logfile_dropped(b->logfile));
    single(out, "infini_babysitter_uptime_seconds", "gauge",
           "Seconds since the babysitter started.", wallclock_now() - b->start_time);
}
