/* infini-babysitter: loads the configuration, checks what it will run, wires the modules to
 * the daemon lifecycle (listen on P+1, signals, drain) and runs the loop. No logic here.
 * Exit codes: 0 after a clean shutdown (SIGTERM/SIGINT), 1 when it cannot listen or run,
 * 2 for a bad configuration, a missing program, an unusable work_dir, log_file or state_dir
 * (or one in use by another babysitter). Started as `infini-babysitter --exec-shim ...` it is
 * the model server's exec shim (babysitter/shim) instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "babysitter.h"
#include "config.h"
#include "daemon.h"
#include "err.h"
#include "handlers.h"
#include "http_server.h"
#include "json.h"
#include "launch.h"
#include "log.h"
#include "logfile.h"
#include "shim.h"
#include "statedir.h"
#include "xalloc.h"

#define DRAIN_MS 2000

static void print_warning(void *ud, const char *text)
{
    (void)ud;
    log_warn("config", "%s", text);
}

static void on_stopped(void *ud)
{
    daemon_stopped(ud);
}

static void on_stop(struct daemon *d, void *ud)
{
    bs_babysitter_stop(ud, on_stopped, d);
}

static void on_cleanup(void *ud)
{
    bs_babysitter_free(ud);
}

/* Configuration and startup checks. 0 to run, else the exit code. */
static int prepare(struct bs_config *cfg, struct bs_launch *launch, int argc, char **argv)
{
    struct err_msg err = {0};
    enum log_level level;
    int rc = bs_config_load(cfg, argc, argv, print_warning, NULL, &err);

    if (rc != 0) {
        if (rc < 0)
            fprintf(stderr, "infini-babysitter: %s\n", err.msg);
        return rc > 0 ? 0 : 2;
    }
    if (log_level_parse(cfg->log_level, &level) == 0)
        log_set_level(level);
    rc = log_access_open(cfg->access_log);
    if (rc < 0) {
        fprintf(stderr, "infini-babysitter: --access-log %s: %s\n", cfg->access_log, err_str(rc));
        return 2;
    }
    if (bs_launch_prepare(cfg, launch, &err) < 0) {
        fprintf(stderr, "infini-babysitter: %s\n", err.msg);
        return 2;
    }
    if (launch->kv_events != NULL) /* routers subscribe to what the record advertises */
        json_set_item(cfg->metadata, "kv_events", json_dup(launch->kv_events));
    return 0;
}

/* The state directory (default: bs_statedir_default()). NULL with the message printed. */
static struct bs_statedir *open_statedir(const struct bs_config *cfg)
{
    struct err_msg err = {0};
    char *path = cfg->state_dir != NULL ? xstrdup(cfg->state_dir)
                                        : bs_statedir_default(cfg->name, cfg->port);
    struct bs_statedir *sd = bs_statedir_open(path, &err);

    if (sd == NULL)
        fprintf(stderr, "infini-babysitter: %s\n", err.msg);
    else
        log_info("babysitter", "state_dir=%s", path);
    free(path);
    return sd;
}

int main(int argc, char **argv)
{
    struct bs_config cfg = {0};
    struct bs_launch launch = {0};
    struct err_msg err = {0};
    uv_loop_t loop;

    /* The model server's exec shim: before anything else, nothing of the babysitter runs. */
    if (argc > 1 && strcmp(argv[1], BS_SHIM_FLAG) == 0)
        return bs_shim_main(argc, argv);
    int rc = prepare(&cfg, &launch, argc, argv);

    if (rc != 0 || launch.file == NULL)
        goto out;
    struct bs_statedir *statedir = open_statedir(&cfg);
    if (statedir == NULL) {
        rc = 2;
        goto out;
    }
    SVC_ASSERT(uv_loop_init(&loop) == 0);
    struct bs_logfile *logfile = NULL;
    if (cfg.log_file != NULL) {
        logfile = bs_logfile_open(&loop, cfg.log_file, (uint64_t)cfg.log_max_bytes, &err);
        if (logfile == NULL) {
            fprintf(stderr, "infini-babysitter: %s\n", err.msg);
            uv_loop_close(&loop);
            bs_statedir_close(statedir, 1);
            rc = 2;
            goto out;
        }
    }
    struct bs_babysitter *b = bs_babysitter_new(&loop, &cfg, &launch, logfile, statedir);
    struct http_server *server = http_server_new(&loop, NULL, bs_handlers_dispatch, b);
    http_server_on_reject(server, bs_handlers_on_reject, b);
    const struct daemon_opts opts = {
        .name = "babysitter",
        .bind = cfg.bind,
        .port = cfg.port + 1,
        .port_file = cfg.port_file,
        .drain_ms = DRAIN_MS,
    };
    const struct daemon_hooks hooks = {.stop = on_stop, .cleanup = on_cleanup, .ud = b};
    log_info("babysitter", "name=%s type=%s port=%d program=%s starting", cfg.name,
             bs_config_service_type(&cfg), cfg.port, launch.file);
    bs_babysitter_start(b); /* timers only: the child is spawned once the loop runs */
    rc = daemon_run(&loop, server, &opts, &hooks, &err);
    if (rc < 0 && err.msg[0] != '\0')
        fprintf(stderr, "infini-babysitter: %s\n", err.msg);
    rc = rc == 0 ? 0 : 1;
out:
    bs_launch_free(&launch);
    log_access_close();
    bs_config_free(&cfg);
    return rc;
}
