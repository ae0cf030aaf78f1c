/* The babysitter's shared state and the wiring between its modules: the supervisor's spawns
 * and exits start and reset the readiness probes; readiness results mark the model server
 * ready (and register it) or restart it; every change is reflected in the registry heartbeats
 * and in what the HTTP endpoints report; the state directory records the child's PID. main.c
 * creates it; handlers and metrics read it.
 * Depends on libuv, cJSON and babysitter/metrics (embedded counters); the other modules are
 * forward-declared. */
#ifndef SVC_BABYSITTER_BABYSITTER_H
#define SVC_BABYSITTER_BABYSITTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>
#include <uv.h>

#include "metrics.h"

struct bs_config;
struct bs_launch;
struct bs_leftover;
struct bs_logfile;
struct bs_readiness;
struct bs_registration;
struct bs_statedir;
struct bs_supervisor;

/* What /info reports as `state`. */
enum bs_state {
    BS_STATE_STARTING,   /* the child runs, not ready yet */
    BS_STATE_READY,      /* the child answers with a model list */
    BS_STATE_RESTARTING, /* the child is being stopped, or a restart delay runs */
    BS_STATE_FAILED,     /* gave up after max_restarts restarts in a row */
    BS_STATE_STOPPING,   /* shutting down */
    BS_STATE_STOPPED,
};

typedef void (*bs_babysitter_stopped_cb)(void *ud);

struct bs_babysitter {
    uv_loop_t *loop;
    const struct bs_config *cfg;    /* borrowed */
    const struct bs_launch *launch; /* borrowed */
    struct bs_supervisor *sup;
    struct bs_readiness *readiness;
    struct bs_registration *reg;  /* NULL without a registry URL */
    struct bs_logfile *logfile;   /* NULL without babysitter.log_file */
    struct bs_statedir *statedir; /* pid file of the running child; NULL = none */
    struct bs_leftover *leftover; /* stopping a previous babysitter's server; else NULL */
    struct bs_metrics metrics;
    cJSON *models;      /* the backend's last model-list document while ready, else NULL */
    bool ready;         /* the model server answered since its last spawn and is healthy */
    bool failing;       /* ready, but its last health probe failed (/health answers 503) */
    double ready_since; /* Unix s; 0 when not ready */
    double start_time;  /* Unix s, the babysitter's own start */
    char reason[512];   /* why the server is not ready */
    char cause[256];    /* why the babysitter restarts the child, until the next spawn */
    bool stopping;
    int stop_pending;
    bs_babysitter_stopped_cb stopped_cb;
    void *stopped_ud;
};

/* Creates the modules for `cfg` and `launch` (both borrowed; they must outlive it) and takes
 * `logfile` and `statedir` (either may be NULL). The child is spawned through the exec shim
 * (babysitter/shim), which only the infini-babysitter executable runs. Nothing runs before
 * bs_babysitter_start(). Never NULL. */
struct bs_babysitter *bs_babysitter_new(uv_loop_t *loop, const struct bs_config *cfg,
                                        const struct bs_launch *launch, struct bs_logfile *logfile,
                                        struct bs_statedir *statedir);
/* Registers the babysitter's record and spawns the child on the next loop iteration, after
 * stopping the server a previous babysitter recorded in the state directory, if it still runs
 * (babysitter/leftover). */
void bs_babysitter_start(struct bs_babysitter *b);
/* Shutdown: deregisters both records and stops the child (SIGTERM to its group, SIGKILL after
 * stop_grace); `cb` runs once both are done, possibly before this returns. */
void bs_babysitter_stop(struct bs_babysitter *b, bs_babysitter_stopped_cb cb, void *ud);
/* Kills a child still running, closes every handle and frees (asynchronously for the modules'
 * handles; the loop must run). NULL-safe. */
void bs_babysitter_free(struct bs_babysitter *b);

enum bs_state bs_babysitter_state(const struct bs_babysitter *b);
/* "starting", "ready", "restarting", "failed", "stopping" or "stopped". */
const char *bs_babysitter_state_name(enum bs_state state);
/* The status the "-server" record carries: "running" when ready, "starting" while a fresh child
 * loads, "unhealthy" otherwise. */
const char *bs_babysitter_server_status(const struct bs_babysitter *b);

#endif
