/* Child process supervision. The supervisor and its children are linked objects: a child
 * points at its supervisor for its whole life (the supervisor is freed only after every child's
 * handles are closed), and the supervisor points at the running child until that child's exit
 * callback clears the pointer. A child whose process has ended may keep its pipes open a little
 * longer to read the last output; it stays on the supervisor's list until its last handle
 * closes. Depends on libuv, common/log, common/xalloc, babysitter/{backoff,launch,logfile,
 * output,shim}. */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "backoff.h"
#include "launch.h"
#include "log.h"
#include "logfile.h"
#include "output.h"
#include "shim.h"
#include "xalloc.h"

#define READ_CHUNK 65536

struct child;

struct stream {
    uv_pipe_t pipe;
    struct child *child;
    bool is_err;
    bool open; /* not yet passed to uv_close */
    struct bs_output lines;
};

struct child {
    uv_process_t proc;
    struct stream out, err;
    struct bs_supervisor *sup;
    struct child *next;
    int handles; /* not yet closed */
    int pid;
    bool proc_open;
    bool exited; /* reaped: the pid and group id must not be signalled any more */
};

struct bs_supervisor {
    uv_loop_t *loop;
    struct bs_supervisor_opts opts;
    struct bs_backoff backoff;
    enum bs_supervisor_state state;
    uv_timer_t restart_timer;
    uv_timer_t grace_timer;
    int timers_open;
    struct child *child;     /* the running child, or NULL */
    struct child *children;  /* every child with open handles */
    uint64_t ready_since_ms; /* uv_now() when the running child became ready; 0 = not ready */
    double next_delay;
    struct bs_child_exit last;
    uint64_t spawn_failures;
    bool shutting_down;
    bool freeing;
    bs_supervisor_stopped_cb stopped_cb;
    void *stopped_ud;
    char readbuf[READ_CHUNK]; /* shared: libuv hands each read to its callback at once */
};

static uint64_t to_ms(double s)
{
    return s <= 0 ? 0 : (uint64_t)(s * 1000.0 + 0.5);
}

static void notify(struct bs_supervisor *s, enum bs_supervisor_event ev)
{
    if (s->opts.cb != NULL)
        s->opts.cb(s->opts.ud, ev);
}

static void maybe_free(struct bs_supervisor *s)
{
    if (s->freeing && s->timers_open == 0 && s->children == NULL)
        free(s);
}

/* ------------------------------------------------------------------ output */

static void on_line(void *ud, const char *line, size_t len)
{
    struct stream *st = ud;
    struct bs_supervisor *s = st->child->sup;

    if (st->is_err)
        log_warn("child", "[%s stderr] %.*s", s->opts.name, (int)len, line);
    else
        log_info("child", "[%s stdout] %.*s", s->opts.name, (int)len, line);
    if (s->opts.logfile != NULL) {
        bs_logfile_write(s->opts.logfile, line, len);
        bs_logfile_write(s->opts.logfile, "\n", 1);
    }
}

static void child_handle_closed(struct child *c)
{
    struct bs_supervisor *s = c->sup;

    if (--c->handles > 0)
        return;
    for (struct child **p = &s->children; *p != NULL; p = &(*p)->next) {
        if (*p == c) {
            *p = c->next;
            break;
        }
    }
    free(c);
    maybe_free(s);
}

static void on_pipe_closed(uv_handle_t *h)
{
    struct stream *st = h->data;

    child_handle_closed(st->child);
}

static void on_proc_closed(uv_handle_t *h)
{
    child_handle_closed(h->data);
}

static void close_stream(struct stream *st)
{
    if (!st->open)
        return;
    st->open = false;
    uv_close((uv_handle_t *)&st->pipe, on_pipe_closed);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
    struct stream *st = h->data;

    (void)suggested;
    *b = uv_buf_init(st->child->sup->readbuf, sizeof(st->child->sup->readbuf));
}

static void on_read(uv_stream_t *h, ssize_t n, const uv_buf_t *b)
{
    struct stream *st = h->data;

    if (n > 0) {
        bs_output_feed(&st->lines, b->base, (size_t)n);
        return;
    }
    if (n == 0)
        return;
    /* EOF, or an error: either way this stream is done. */
    bs_output_flush(&st->lines);
    close_stream(st);
}

/* ------------------------------------------------------------------ signals */

static void signal_child(struct child *c, int sig)
{
    if (c->exited)
        return;
    /* The exit callback has not run, so the child is not reaped and its pid still names it
     * and its process group (pgid = pid: UV_PROCESS_DETACHED made it a session leader). One
     * signal only: a second SIGTERM can kill a child that already removed its handler while
     * shutting down gracefully. */
    if (kill(-(pid_t)c->pid, sig) == 0)
        return;
    if (errno != ESRCH)
        log_warn("supervisor", "pgid=%d signal=%d cannot signal the process group: %s", c->pid, sig,
                 strerror(errno));
    /* No such group: the leader moved itself to another one. Signal it alone. */
    int rc = uv_process_kill(&c->proc, sig);
    if (rc < 0 && rc != UV_ESRCH)
        log_warn_uv(rc, "supervisor", "pid=%d signal=%d cannot signal the child", c->pid, sig);
}

/* After the leader was reaped, members of its group may live on (worker processes of a server
 * that crashed, still holding GPU memory): kill them. A group id is not reused while any member
 * exists, so this reaches only them; with none left it fails with ESRCH. */
static void kill_leftovers(struct child *c)
{
    if (kill(-(pid_t)c->pid, SIGKILL) == 0)
        log_warn("supervisor", "pgid=%d killed processes left in the child's group", c->pid);
}

static void on_grace_timer(uv_timer_t *t)
{
    struct bs_supervisor *s = t->data;

    if (s->child == NULL)
        return;
    log_warn("supervisor", "name=%s pid=%d grace=%.1fs still running after SIGTERM; SIGKILL",
             s->opts.name, s->child->pid, s->opts.stop_grace);
    signal_child(s->child, SIGKILL);
}

/* SIGTERM to the group (and SIGCONT, so that stopped members act on it), SIGKILL later. */
static void stop_child(struct bs_supervisor *s)
{
    signal_child(s->child, SIGTERM);
    signal_child(s->child, SIGCONT);
    s->state = BS_SUP_STOPPING;
    int rc = uv_timer_start(&s->grace_timer, on_grace_timer, to_ms(s->opts.stop_grace), 0);
    SVC_ASSERT(rc == 0);
}

/* ------------------------------------------------------------------ spawn and exit */

static void after_exit(struct bs_supervisor *s);

static void init_stream(struct bs_supervisor *s, struct child *c, struct stream *st, bool is_err)
{
    int rc = uv_pipe_init(s->loop, &st->pipe, 0);

    SVC_ASSERT(rc == 0); /* cannot fail without ipc */
    st->pipe.data = st;
    st->child = c;
    st->is_err = is_err;
    st->open = true;
    bs_output_init(&st->lines, on_line, st);
    c->handles++;
}

static void on_child_exit(uv_process_t *p, int64_t status, int term_signal)
{
    struct child *c = p->data;
    struct bs_supervisor *s = c->sup;

    c->exited = true;
    kill_leftovers(c);
    c->proc_open = false;
    uv_close((uv_handle_t *)p, on_proc_closed);
    if (s->child != c)
        return;
    s->child = NULL;
    s->last = (struct bs_child_exit){
        .known = true, .exited = term_signal == 0, .status = (int)status, .signal = term_signal};
    after_exit(s);
}

static void start_reading(struct stream *st)
{
    int rc = uv_read_start((uv_stream_t *)&st->pipe, on_alloc, on_read);

    if (rc < 0) {
        log_warn_uv(rc, "supervisor", "cannot read the child's %s",
                    st->is_err ? "stderr" : "stdout");
        close_stream(st);
    }
}

static int spawn(struct bs_supervisor *s)
{
    const struct bs_launch *l = s->opts.launch;
    struct child *c = xcalloc(1, sizeof(*c));
    uv_stdio_container_t stdio[3];
    uv_process_options_t o;

    c->sup = s;
    c->next = s->children;
    s->children = c;
    init_stream(s, c, &c->out, false);
    init_stream(s, c, &c->err, true);
    memset(stdio, 0, sizeof(stdio));
    stdio[0].flags = UV_IGNORE;
    stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[1].data.stream = (uv_stream_t *)&c->out.pipe;
    stdio[2].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
    stdio[2].data.stream = (uv_stream_t *)&c->err.pipe;
    memset(&o, 0, sizeof(o));
    o.exit_cb = on_child_exit;
    o.file = l->file;
    o.args = l->argv;
    char **shim_args = NULL;
    if (s->opts.shim != NULL) {
        shim_args = bs_shim_argv((int)getpid(), l->file, l->argv);
        o.file = s->opts.shim;
        o.args = shim_args;
    }
    o.env = l->envp;
    o.cwd = l->cwd;
    o.flags = UV_PROCESS_DETACHED; /* setsid(): its own session and process group */
    o.stdio_count = 3;
    o.stdio = stdio;
    c->proc.data = c;
    int rc = uv_spawn(s->loop, &c->proc, &o);
    bs_shim_argv_free(shim_args); /* the child has its copy */
    /* The handle is initialised even when the spawn failed, and must be closed then too. */
    c->handles++;
    c->proc_open = true;
    if (rc < 0) {
        c->exited = true;
        c->proc_open = false;
        uv_close((uv_handle_t *)&c->proc, on_proc_closed);
        close_stream(&c->out);
        close_stream(&c->err);
        return rc;
    }
    c->pid = c->proc.pid;
    s->child = c;
    start_reading(&c->out);
    start_reading(&c->err);
    return 0;
}

static void do_spawn(struct bs_supervisor *s)
{
    int rc = spawn(s);

    if (rc == 0) {
        s->state = BS_SUP_RUNNING;
        s->ready_since_ms = 0;
        log_info("supervisor", "name=%s pid=%d program=%s restarts=%lu spawned", s->opts.name,
                 s->child->pid, s->opts.launch->file, s->backoff.total);
        notify(s, BS_SUP_SPAWNED);
        return;
    }
    s->spawn_failures++;
    s->last = (struct bs_child_exit){.known = true, .spawn_error = rc};
    after_exit(s);
}

static void on_restart_timer(uv_timer_t *t)
{
    do_spawn(t->data);
}

static void finish_stop(struct bs_supervisor *s)
{
    bs_supervisor_stopped_cb cb = s->stopped_cb;

    s->stopped_cb = NULL;
    if (cb != NULL)
        cb(s->stopped_ud);
}

/* The child is gone (or never started): stop, restart later, or give up. */
static void after_exit(struct bs_supervisor *s)
{
    char what[128];

    uv_timer_stop(&s->grace_timer);
    bs_supervisor_describe_exit(s, what, sizeof(what));
    if (s->shutting_down) {
        log_info("supervisor", "name=%s child %s; stopped", s->opts.name, what);
        s->state = BS_SUP_STOPPED;
        finish_stop(s);
        return;
    }
    double ready_s =
        s->ready_since_ms != 0 ? (double)(uv_now(s->loop) - s->ready_since_ms) / 1000.0 : 0;
    s->ready_since_ms = 0;
    if (bs_backoff_note_ready(&s->backoff, ready_s))
        log_info("supervisor", "name=%s ready_for=%.1fs restart delay and count reset",
                 s->opts.name, ready_s);
    double delay = bs_backoff_next(&s->backoff);
    if (delay < 0) {
        s->state = BS_SUP_FAILED;
        log_error("supervisor",
                  "name=%s child %s; giving up after %d restarts in a row (max_restarts); "
                  "HTTP stays up and reports the failure",
                  s->opts.name, what, s->backoff.max_restarts);
        notify(s, BS_SUP_EXITED);
        return;
    }
    s->state = BS_SUP_WAITING;
    s->next_delay = delay;
    log_warn("supervisor", "name=%s restart=%lu delay=%.3fs child %s; restarting", s->opts.name,
             s->backoff.total, delay, what);
    int rc = uv_timer_start(&s->restart_timer, on_restart_timer, to_ms(delay), 0);
    SVC_ASSERT(rc == 0);
    notify(s, BS_SUP_EXITED);
}

/* ------------------------------------------------------------------ API */

struct bs_supervisor *bs_supervisor_new(uv_loop_t *loop, const struct bs_supervisor_opts *opts)
{
    struct bs_supervisor *s = xcalloc(1, sizeof(*s));
    int rc;

    s->loop = loop;
    s->opts = *opts;
    bs_backoff_init(&s->backoff, opts->restart_delay, opts->restart_delay_max, opts->stable_after,
                    opts->max_restarts);
    rc = uv_timer_init(loop, &s->restart_timer);
    SVC_ASSERT(rc == 0);
    rc = uv_timer_init(loop, &s->grace_timer);
    SVC_ASSERT(rc == 0);
    s->restart_timer.data = s;
    s->grace_timer.data = s;
    s->timers_open = 2;
    s->state = BS_SUP_IDLE;
    return s;
}

void bs_supervisor_start(struct bs_supervisor *s)
{
    if (s->state != BS_SUP_IDLE)
        return;
    int rc = uv_timer_start(&s->restart_timer, on_restart_timer, 0, 0);
    SVC_ASSERT(rc == 0);
}

void bs_supervisor_restart(struct bs_supervisor *s, const char *reason)
{
    if (s->state != BS_SUP_RUNNING || s->child == NULL)
        return;
    log_warn("supervisor", "name=%s pid=%d restarting the child: %s", s->opts.name, s->child->pid,
             reason);
    stop_child(s);
}

void bs_supervisor_mark_ready(struct bs_supervisor *s)
{
    if (s->child != NULL && s->ready_since_ms == 0)
        s->ready_since_ms = uv_now(s->loop) > 0 ? uv_now(s->loop) : 1;
}

void bs_supervisor_stop(struct bs_supervisor *s, bs_supervisor_stopped_cb cb, void *ud)
{
    s->shutting_down = true;
    s->stopped_cb = cb;
    s->stopped_ud = ud;
    uv_timer_stop(&s->restart_timer);
    if (s->child != NULL) {
        log_info("supervisor", "name=%s pid=%d stopping the child (SIGTERM to its group)",
                 s->opts.name, s->child->pid);
        if (s->state != BS_SUP_STOPPING)
            stop_child(s);
        return;
    }
    s->state = BS_SUP_STOPPED;
    finish_stop(s);
}

static void on_timer_closed(uv_handle_t *h)
{
    struct bs_supervisor *s = h->data;

    s->timers_open--;
    maybe_free(s);
}

void bs_supervisor_free(struct bs_supervisor *s)
{
    if (s == NULL)
        return;
    s->freeing = true;
    s->stopped_cb = NULL;
    s->opts.cb = NULL;
    s->child = NULL;
    for (struct child *c = s->children; c != NULL; c = c->next) {
        if (c->proc_open) {
            /* Still unreaped: the group can be signalled safely. Closing the handle leaves a
             * zombie that init collects once we exit. */
            if (!c->exited)
                log_warn("supervisor", "pid=%d child still running at exit; SIGKILL", c->pid);
            signal_child(c, SIGKILL);
            c->exited = true;
            c->proc_open = false;
            uv_close((uv_handle_t *)&c->proc, on_proc_closed);
        }
        close_stream(&c->out);
        close_stream(&c->err);
    }
    uv_close((uv_handle_t *)&s->restart_timer, on_timer_closed);
    uv_close((uv_handle_t *)&s->grace_timer, on_timer_closed);
}

enum bs_supervisor_state bs_supervisor_state(const struct bs_supervisor *s)
{
    return s->state;
}

int bs_supervisor_pid(const struct bs_supervisor *s)
{
    return s->child != NULL ? s->child->pid : 0;
}

unsigned long bs_supervisor_restarts(const struct bs_supervisor *s)
{
    return s->backoff.total;
}

double bs_supervisor_next_delay(const struct bs_supervisor *s)
{
    return s->next_delay;
}

const struct bs_child_exit *bs_supervisor_last_exit(const struct bs_supervisor *s)
{
    return &s->last;
}

void bs_supervisor_describe_exit(const struct bs_supervisor *s, char *out, size_t size)
{
    const struct bs_child_exit *e = &s->last;

    if (!e->known)
        snprintf(out, size, "has not exited");
    else if (e->spawn_error != 0)
        snprintf(out, size, "could not be spawned: %s", uv_strerror(e->spawn_error));
    else if (e->exited)
        snprintf(out, size, "exited with status %d", e->status);
    else
        snprintf(out, size, "killed by signal %d (%s)", e->signal, strsignal(e->signal));
}

uint64_t bs_supervisor_spawn_failures(const struct bs_supervisor *s)
{
    return s->spawn_failures;
}
