/* The leftover stopper: one timer, signals by process group. A group id cannot be reused while
 * the group has members, so signalling -pgid reaches only the old server's processes; the
 * recorded PID alone is signalled only while it still runs the process whose start time
 * babysitter/statedir matched a moment before. Depends on libuv, libc (/proc), common/log,
 * common/xalloc. */
#include "leftover.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "xalloc.h"

#define CHECK_MS   100
#define GIVE_UP_MS 5000

struct bs_leftover {
    uv_timer_t timer;
    int pgid;
    uint64_t grace_ms;
    uint64_t started; /* uv_now() */
    bool killed;
    bs_leftover_done_cb cb;
    void *ud;
};

/* Reads state (field 3) and pgrp (field 5) of /proc/<pid>/stat. false when it is gone. */
static bool read_stat(int pid, char *state, long *pgrp)
{
    char path[64], text[1024];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "re");
    if (f == NULL)
        return false;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *p = strrchr(text, ')'); /* comm may contain anything */
    int ppid;
    return p != NULL && sscanf(p + 1, " %c %d %ld", state, &ppid, pgrp) == 3;
}

bool bs_leftover_process_alive(int pid)
{
    char state;
    long pgrp;

    return read_stat(pid, &state, &pgrp) && state != 'Z' && state != 'X';
}

bool bs_leftover_group_alive(int pgid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    bool alive = false;

    if (d == NULL)
        return kill(-(pid_t)pgid, 0) == 0 || errno == EPERM;
    while (!alive && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        char state;
        long pgrp;
        if (*end != '\0' || pid <= 0)
            continue;
        alive = read_stat((int)pid, &state, &pgrp) && pgrp == pgid && state != 'Z' && state != 'X';
    }
    closedir(d);
    return alive;
}

static void send_all(struct bs_leftover *l, int sig)
{
    char state;
    long pgrp;

    if (kill(-(pid_t)l->pgid, sig) != 0 && errno != ESRCH)
        log_warn("leftover", "pgid=%d signal=%d cannot signal the group: %s", l->pgid, sig,
                 strerror(errno));
    /* A leader that moved itself to another group is not reached through -pgid. */
    if (read_stat(l->pgid, &state, &pgrp) && pgrp != l->pgid)
        kill((pid_t)l->pgid, sig);
}

static void on_closed(uv_handle_t *h)
{
    free(h->data);
}

static void finish(struct bs_leftover *l, bool gone)
{
    uv_timer_stop(&l->timer);
    if (l->cb != NULL)
        l->cb(l->ud, gone);
}

static void on_check(uv_timer_t *t)
{
    struct bs_leftover *l = t->data;
    uint64_t elapsed = uv_now(t->loop) - l->started;

    if (!bs_leftover_group_alive(l->pgid) && !bs_leftover_process_alive(l->pgid)) {
        log_info("leftover", "pgid=%d ms=%llu leftover model server gone", l->pgid,
                 (unsigned long long)elapsed);
        finish(l, true);
        return;
    }
    if (!l->killed && elapsed >= l->grace_ms) {
        log_warn("leftover", "pgid=%d still running after SIGTERM; SIGKILL", l->pgid);
        send_all(l, SIGKILL);
        l->killed = true;
    }
    if (elapsed >= l->grace_ms + GIVE_UP_MS) {
        log_error("leftover", "pgid=%d leftover model server survives SIGKILL; starting anyway",
                  l->pgid);
        finish(l, false);
    }
}

struct bs_leftover *bs_leftover_start(uv_loop_t *loop, int pgid, double grace,
                                      bs_leftover_done_cb cb, void *ud)
{
    struct bs_leftover *l = xcalloc(1, sizeof(*l));
    int rc = uv_timer_init(loop, &l->timer);

    SVC_ASSERT(rc == 0);
    l->timer.data = l;
    l->pgid = pgid;
    l->grace_ms = grace > 0 ? (uint64_t)(grace * 1000.0) : 0;
    l->started = uv_now(loop);
    l->cb = cb;
    l->ud = ud;
    log_warn("leftover",
             "pgid=%d a model server started by a previous babysitter still runs; "
             "stopping it (SIGTERM, SIGKILL after %.1fs)",
             pgid, grace);
    send_all(l, SIGTERM);
    send_all(l, SIGCONT); /* a stopped process acts on SIGTERM only once continued */
    rc = uv_timer_start(&l->timer, on_check, CHECK_MS, CHECK_MS);
    SVC_ASSERT(rc == 0);
    return l;
}

void bs_leftover_free(struct bs_leftover *l)
{
    if (l == NULL)
        return;
    l->cb = NULL;
    uv_close((uv_handle_t *)&l->timer, on_closed);
}
