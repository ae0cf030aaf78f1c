/* Event wiring between supervisor, readiness and registration. Each handler updates the shared
 * state first and then tells the other modules, so that whatever they call back sees the new
 * state. Depends on babysitter/{config,launch,leftover,logfile,readiness,registration,shim,
 * statedir,supervisor}, common/{json,log,wallclock,xalloc}. */
#include "babysitter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "launch.h"
#include "leftover.h"
#include "log.h"
#include "logfile.h"
#include "readiness.h"
#include "registration.h"
#include "shim.h"
#include "statedir.h"
#include "supervisor.h"
#include "wallclock.h"
#include "xalloc.h"

static void set_not_ready(struct bs_babysitter *b)
{
    b->ready = false;
    b->failing = false;
    b->ready_since = 0;
    cJSON_Delete(b->models);
    b->models = NULL;
}

static void tell_registry(struct bs_babysitter *b)
{
    if (b->reg == NULL)
        return;
    bs_registration_own_status(b->reg,
                               bs_babysitter_state(b) == BS_STATE_FAILED ? "unhealthy" : "running");
    if (!b->ready)
        bs_registration_server_status(b->reg, bs_babysitter_server_status(b));
}

static void on_spawned(struct bs_babysitter *b)
{
    set_not_ready(b);
    b->cause[0] = '\0';
    snprintf(b->reason, sizeof(b->reason), "model server starting (pid %d)",
             bs_supervisor_pid(b->sup));
    if (b->statedir != NULL)
        bs_statedir_record(b->statedir, bs_supervisor_pid(b->sup));
    bs_readiness_start(b->readiness);
    tell_registry(b);
}

static void on_exited(struct bs_babysitter *b)
{
    char what[128];
    char cause[sizeof(b->cause) + 16] = "";

    set_not_ready(b);
    bs_readiness_reset(b->readiness);
    if (b->statedir != NULL)
        bs_statedir_clear(b->statedir);
    bs_supervisor_describe_exit(b->sup, what, sizeof(what));
    if (b->cause[0] != '\0')
        snprintf(cause, sizeof(cause), " (stopped: %s)", b->cause);
    if (bs_supervisor_state(b->sup) == BS_SUP_FAILED)
        snprintf(b->reason, sizeof(b->reason),
                 "gave up after %d restarts in a row (max_restarts): model server %s%s",
                 b->cfg->max_restarts, what, cause);
    else
        snprintf(b->reason, sizeof(b->reason), "model server %s%s; restarting in %.1f s", what,
                 cause, bs_supervisor_next_delay(b->sup));
    tell_registry(b);
}

static void on_supervisor(void *ud, enum bs_supervisor_event ev)
{
    struct bs_babysitter *b = ud;

    if (ev == BS_SUP_SPAWNED)
        on_spawned(b);
    else
        on_exited(b);
}

/* Whether two model-list documents list the same ids in the same order. */
static bool same_models(const cJSON *a, const cJSON *b)
{
    const cJSON *la = bs_readiness_models_array(a), *lb = bs_readiness_models_array(b);
    const cJSON *x = la != NULL ? la->child : NULL, *y = lb != NULL ? lb->child : NULL;

    for (; x != NULL && y != NULL; x = x->next, y = y->next) {
        const char *ix = json_get_string(x, "id"), *iy = json_get_string(y, "id");
        if ((ix == NULL) != (iy == NULL) || (ix != NULL && strcmp(ix, iy) != 0))
            return false;
    }
    return x == NULL && y == NULL;
}

static void on_ready(struct bs_babysitter *b, cJSON *models)
{
    b->ready = true;
    b->ready_since = wallclock_now();
    b->reason[0] = '\0';
    cJSON_Delete(b->models);
    b->models = models;
    bs_supervisor_mark_ready(b->sup);
    log_info("babysitter", "name=%s pid=%d models=%d model server ready", b->cfg->name,
             bs_supervisor_pid(b->sup), cJSON_GetArraySize(bs_readiness_models_array(models)));
    if (b->reg != NULL)
        bs_registration_server_ready(b->reg, models);
}

static void on_models(struct bs_babysitter *b, cJSON *models)
{
    bool changed = !same_models(b->models, models);

    if (b->failing) {
        b->failing = false;
        b->reason[0] = '\0';
        log_info("babysitter", "name=%s model server answers again", b->cfg->name);
    }
    cJSON_Delete(b->models);
    b->models = models;
    if (changed && b->reg != NULL) {
        log_info("babysitter", "name=%s model list changed; registering again", b->cfg->name);
        bs_registration_server_ready(b->reg, models);
    }
}

static void restart_for(struct bs_babysitter *b, const char *reason)
{
    set_not_ready(b);
    snprintf(b->cause, sizeof(b->cause), "%s", reason);
    snprintf(b->reason, sizeof(b->reason), "restarting the model server: %s", reason);
    bs_supervisor_restart(b->sup, reason); /* first: the registry must hear "unhealthy" */
    tell_registry(b);
}

static void on_readiness(void *ud, enum bs_readiness_event ev, cJSON *models, const char *reason)
{
    struct bs_babysitter *b = ud;

    switch (ev) {
    case BS_READINESS_READY:
        on_ready(b, models);
        break;
    case BS_READINESS_MODELS:
        on_models(b, models);
        break;
    case BS_READINESS_FAILING:
        /* A hung server keeps its connections open: say so at the first miss, so that routers
         * polling /health stop sending traffic now rather than at the restart. */
        b->failing = true;
        snprintf(b->reason, sizeof(b->reason), "%s", reason);
        break;
    case BS_READINESS_TIMEOUT:
        b->metrics.startup_timeouts++;
        log_error("babysitter", "name=%s startup timeout: %s", b->cfg->name, reason);
        restart_for(b, reason);
        break;
    case BS_READINESS_UNHEALTHY:
        b->metrics.unhealthy_restarts++;
        log_error("babysitter", "name=%s model server unhealthy: %s", b->cfg->name, reason);
        restart_for(b, reason);
        break;
    }
}

struct bs_babysitter *bs_babysitter_new(uv_loop_t *loop, const struct bs_config *cfg,
                                        const struct bs_launch *launch, struct bs_logfile *logfile,
                                        struct bs_statedir *statedir)
{
    struct bs_babysitter *b = xcalloc(1, sizeof(*b));

    b->loop = loop;
    b->cfg = cfg;
    b->launch = launch;
    b->logfile = logfile;
    b->statedir = statedir;
    b->start_time = wallclock_now();
    snprintf(b->reason, sizeof(b->reason), "model server not started yet");
    const struct bs_supervisor_opts sopts = {
        .name = cfg->name,
        .launch = launch,
        .logfile = logfile,
        .restart_delay = cfg->restart_delay,
        .restart_delay_max = cfg->restart_delay_max,
        .stable_after = cfg->stable_after,
        .max_restarts = cfg->max_restarts,
        .stop_grace = cfg->stop_grace,
        .shim = BS_SHIM_SELF,
        .cb = on_supervisor,
        .ud = b,
    };
    b->sup = bs_supervisor_new(loop, &sopts);
    const struct bs_readiness_opts ropts = {
        .host = launch->probe_host,
        .port = cfg->port,
        .startup_timeout = cfg->startup_timeout,
        .health_interval = cfg->health_interval,
        .probe_timeout = cfg->probe_timeout,
        .unhealthy_after = cfg->unhealthy_after,
        .cb = on_readiness,
        .ud = b,
    };
    b->readiness = bs_readiness_new(loop, &ropts);
    if (cfg->registry_url != NULL) {
        const struct bs_registration_opts gopts = {
            .registry_url = cfg->registry_url,
            .token = cfg->registry_token,
            .name = cfg->name,
            .host = cfg->host,
            .port = cfg->port,
            .service_type = bs_config_service_type(cfg),
            .metadata = cfg->metadata,
            .probe_host = launch->probe_host,
            .heartbeat_interval = cfg->heartbeat_interval,
            .metrics = &b->metrics,
        };
        b->reg = bs_registration_new(loop, &gopts);
    }
    return b;
}

static void on_leftover_done(void *ud, bool gone)
{
    struct bs_babysitter *b = ud;

    (void)gone; /* logged by the stopper; starting is the only way forward either way */
    bs_leftover_free(b->leftover);
    b->leftover = NULL;
    bs_statedir_clear(b->statedir);
    snprintf(b->reason, sizeof(b->reason), "model server not started yet");
    bs_supervisor_start(b->sup);
}

void bs_babysitter_start(struct bs_babysitter *b)
{
    int leftover = b->statedir != NULL ? bs_statedir_leftover(b->statedir) : 0;

    if (leftover > 0) {
        snprintf(b->reason, sizeof(b->reason),
                 "stopping a model server a previous babysitter left running (pid %d)", leftover);
        b->leftover = bs_leftover_start(b->loop, leftover, b->cfg->stop_grace, on_leftover_done, b);
    } else {
        bs_supervisor_start(b->sup);
    }
    if (b->reg != NULL)
        bs_registration_start(b->reg);
}

static void part_stopped(void *ud)
{
    struct bs_babysitter *b = ud;

    if (--b->stop_pending > 0)
        return;
    log_info("babysitter", "name=%s deregistered and child stopped", b->cfg->name);
    if (b->stopped_cb != NULL)
        b->stopped_cb(b->stopped_ud);
}

void bs_babysitter_stop(struct bs_babysitter *b, bs_babysitter_stopped_cb cb, void *ud)
{
    b->stopping = true;
    b->stopped_cb = cb;
    b->stopped_ud = ud;
    b->stop_pending = 2;
    set_not_ready(b);
    snprintf(b->reason, sizeof(b->reason), "the babysitter is shutting down");
    bs_readiness_reset(b->readiness);
    bs_leftover_free(b->leftover); /* it was sent SIGTERM already */
    b->leftover = NULL;
    if (b->reg != NULL)
        bs_registration_stop(b->reg, part_stopped, b);
    else
        part_stopped(b);
    bs_supervisor_stop(b->sup, part_stopped, b);
}

void bs_babysitter_free(struct bs_babysitter *b)
{
    if (b == NULL)
        return;
    bs_supervisor_free(b->sup);
    bs_leftover_free(b->leftover);
    bs_statedir_close(b->statedir, 1); /* the child is gone or SIGKILLed: nothing to find */
    bs_readiness_free(b->readiness);
    bs_registration_free(b->reg);
    bs_logfile_close(b->logfile);
    cJSON_Delete(b->models);
    free(b);
}

enum bs_state bs_babysitter_state(const struct bs_babysitter *b)
{
    switch (bs_supervisor_state(b->sup)) {
    case BS_SUP_IDLE:
        return b->stopping ? BS_STATE_STOPPING : BS_STATE_STARTING;
    case BS_SUP_RUNNING:
        return b->stopping ? BS_STATE_STOPPING : b->ready ? BS_STATE_READY : BS_STATE_STARTING;
    case BS_SUP_STOPPING:
        return b->stopping ? BS_STATE_STOPPING : BS_STATE_RESTARTING;
    case BS_SUP_WAITING:
        return BS_STATE_RESTARTING;
    case BS_SUP_FAILED:
        return BS_STATE_FAILED;
    case BS_SUP_STOPPED:
        return BS_STATE_STOPPED;
    }
    return BS_STATE_STOPPED;
}

const char *bs_babysitter_state_name(enum bs_state state)
{
    static const char *const names[] = {"starting", "ready",    "restarting",
                                        "failed",   "stopping", "stopped"};

    return (size_t)state < sizeof(names) / sizeof(names[0]) ? names[state] : "unknown";
}

const char *bs_babysitter_server_status(const struct bs_babysitter *b)
{
    switch (bs_babysitter_state(b)) {
    case BS_STATE_READY:
        return "running";
    case BS_STATE_STARTING:
        return "starting";
    default:
        return "unhealthy";
    }
}
