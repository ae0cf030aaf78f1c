/* Unit tests for babysitter/supervisor and babysitter/logfile on a private loop, with real
 * children (/bin/sh scripts): restarts with backoff up to max_restarts, output piped into the
 * log file, stopping that reaches the whole process group, SIGKILL after the grace period,
 * leftovers of a crashed leader, restarts on request, spawn failures, and log rotation. */
#include "supervisor.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "harness.h"
#include "launch.h"
#include "logfile.h"

struct fixture {
    uv_loop_t loop;
    char dir[64];
    char pidfile[96];
    char logpath[96];
    struct bs_launch launch;
    struct bs_supervisor *sup;
    struct bs_logfile *logfile;
    int spawned, exited, stopped;
};

static void on_event(void *ud, enum bs_supervisor_event ev)
{
    struct fixture *f = ud;

    if (ev == BS_SUP_SPAWNED)
        f->spawned++;
    else
        f->exited++;
}

static void on_stopped(void *ud)
{
    struct fixture *f = ud;

    f->stopped++;
}

/* Sets up a loop and a supervisor running `/bin/sh -c script <pidfile>`. */
static void setup(struct fixture *f, const char *script, int max_restarts, double grace,
                  bool with_log)
{
    extern char **environ;
    char *copy = strdup(script);
    char *argv[] = {"/bin/sh", "-c", copy, NULL, NULL};

    memset(f, 0, sizeof(*f));
    ASSERT_EQ(uv_loop_init(&f->loop), 0);
    snprintf(f->dir, sizeof(f->dir), "/tmp/bs-sup-XXXXXX");
    ASSERT_NOT_NULL(mkdtemp(f->dir));
    snprintf(f->pidfile, sizeof(f->pidfile), "%s/pid", f->dir);
    snprintf(f->logpath, sizeof(f->logpath), "%s/child.log", f->dir);
    argv[3] = f->pidfile;
    f->launch.file = strdup("/bin/sh");
    f->launch.argv = bs_launch_envp(argv, NULL); /* a copy of argv */
    free(copy);
    f->launch.envp = bs_launch_envp(environ, NULL);
    if (with_log) {
        struct err_msg err = {0};
        f->logfile = bs_logfile_open(&f->loop, f->logpath, 1 << 20, &err);
        ASSERT_NOT_NULL(f->logfile);
    }
    const struct bs_supervisor_opts o = {
        .name = "t",
        .launch = &f->launch,
        .logfile = f->logfile,
        .restart_delay = 0.01,
        .restart_delay_max = 0.05,
        .stable_after = 60,
        .max_restarts = max_restarts,
        .stop_grace = grace,
        .cb = on_event,
        .ud = f,
    };
    f->sup = bs_supervisor_new(&f->loop, &o);
}

static void run_for(struct fixture *f, double seconds)
{
    uint64_t end = uv_hrtime() + (uint64_t)(seconds * 1e9);

    while (uv_hrtime() < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
}

/* Runs the loop until `*counter` reaches `want` or `seconds` pass; returns whether it did. */
static bool run_until(struct fixture *f, const int *counter, int want, double seconds)
{
    uint64_t end = uv_hrtime() + (uint64_t)(seconds * 1e9);

    while (*counter < want && uv_hrtime() < end) {
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    return *counter >= want;
}

static void teardown(struct fixture *f)
{
    char path[128];

    bs_supervisor_free(f->sup);
    bs_logfile_close(f->logfile);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&f->loop), 0);
    free(f->launch.file);
    bs_launch_strv_free(f->launch.argv);
    bs_launch_strv_free(f->launch.envp);
    unlink(f->pidfile);
    unlink(f->logpath);
    snprintf(path, sizeof(path), "%s.1", f->logpath);
    unlink(path);
    rmdir(f->dir);
}

/* The PID the script wrote into the pid file, or 0 while it has not. */
static int read_pid(const struct fixture *f)
{
    FILE *fp = fopen(f->pidfile, "r");
    int pid = 0;

    if (fp == NULL)
        return 0;
    if (fscanf(fp, "%d", &pid) != 1)
        pid = 0;
    fclose(fp);
    return pid;
}

static int wait_pid_file(struct fixture *f)
{
    for (int i = 0; i < 3000; i++) {
        int pid = read_pid(f);
        if (pid > 0)
            return pid;
        uv_run(&f->loop, UV_RUN_NOWAIT);
        usleep(1000);
    }
    return 0;
}

/* Gone: no such process, or a zombie waiting for a parent that is not us. */
static bool process_gone(int pid)
{
    char path[64], buf[256];

    for (int i = 0; i < 2000; i++) {
        if (kill(pid, 0) < 0 && errno == ESRCH)
            return true;
        snprintf(path, sizeof(path), "/proc/%d/stat", pid);
        FILE *fp = fopen(path, "r");
        if (fp != NULL) {
            char *rp = fgets(buf, sizeof(buf), fp) != NULL ? strrchr(buf, ')') : NULL;
            fclose(fp);
            if (rp != NULL && rp[1] == ' ' && rp[2] == 'Z')
                return true;
        }
        usleep(1000);
    }
    return false;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;

    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

TEST(restarts_with_backoff_then_gives_up)
{
    struct fixture f;

    setup(&f, "echo out-line; echo err-line >&2; exit 3", 2, 1, true);
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(run_until(&f, &f.exited, 3, 10));
    ASSERT_EQ(f.spawned, 3);
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_FAILED);
    ASSERT_EQ(bs_supervisor_restarts(f.sup), 2);
    ASSERT_EQ(bs_supervisor_pid(f.sup), 0);
    const struct bs_child_exit *e = bs_supervisor_last_exit(f.sup);
    ASSERT_TRUE(e->known && e->exited);
    ASSERT_EQ(e->status, 3);
    char what[128];
    bs_supervisor_describe_exit(f.sup, what, sizeof(what));
    ASSERT_STR_EQ(what, "exited with status 3");
    run_for(&f, 0.2); /* the last child's output */
    run_for(&f, 0.1);
    ASSERT_EQ(f.exited, 3); /* nothing more happens after giving up */
    bs_supervisor_free(f.sup);
    f.sup = NULL;
    bs_logfile_close(f.logfile);
    f.logfile = NULL;
    uv_run(&f.loop, UV_RUN_DEFAULT);
    char text[4096] = "";
    FILE *fp = fopen(f.logpath, "r");
    ASSERT_NOT_NULL(fp);
    size_t n = fread(text, 1, sizeof(text) - 1, fp);
    text[n] = '\0';
    fclose(fp);
    ASSERT_EQ(count(text, "out-line\n"), 3);
    ASSERT_EQ(count(text, "err-line\n"), 3);
    teardown(&f);
}

TEST(stop_terminates_the_whole_group)
{
    struct fixture f;

    setup(&f, "sleep 30 & echo $! > \"$0\"; wait", 5, 5, false);
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(run_until(&f, &f.spawned, 1, 5));
    int leader = bs_supervisor_pid(f.sup);
    int grandchild = wait_pid_file(&f);
    ASSERT_TRUE(leader > 0 && grandchild > 0);
    ASSERT_EQ(getpgid(leader), leader); /* its own group */
    ASSERT_EQ(getpgid(grandchild), leader);
    bs_supervisor_stop(f.sup, on_stopped, &f);
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_STOPPING);
    ASSERT_TRUE(run_until(&f, &f.stopped, 1, 5));
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_STOPPED);
    ASSERT_EQ(f.exited, 0); /* a stop is not an exit to restart from */
    ASSERT_EQ(bs_supervisor_last_exit(f.sup)->signal, SIGTERM);
    ASSERT_TRUE(process_gone(grandchild));
    ASSERT_TRUE(process_gone(leader));
    teardown(&f);
}

TEST(sigkill_after_the_grace_period)
{
    struct fixture f;

    setup(&f, "trap '' TERM; echo $$ > \"$0\"; while :; do sleep 0.05; done", 5, 0.3, false);
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(wait_pid_file(&f) > 0);
    uint64_t t0 = uv_hrtime();
    bs_supervisor_stop(f.sup, on_stopped, &f);
    ASSERT_TRUE(run_until(&f, &f.stopped, 1, 5));
    double took = (double)(uv_hrtime() - t0) / 1e9;
    ASSERT_TRUE(took >= 0.25);
    ASSERT_EQ(bs_supervisor_last_exit(f.sup)->signal, SIGKILL);
    teardown(&f);
}

TEST(leftovers_of_a_dead_leader_are_killed)
{
    struct fixture f;

    setup(&f, "sleep 30 & echo $! > \"$0\"; exit 1", 0, 5, false);
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(run_until(&f, &f.exited, 1, 5));
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_FAILED); /* max_restarts 0 */
    int grandchild = read_pid(&f);
    ASSERT_TRUE(grandchild > 0);
    ASSERT_TRUE(process_gone(grandchild));
    teardown(&f);
}

TEST(restart_on_request)
{
    struct fixture f;

    setup(&f, "exec sleep 30", 5, 5, false);
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(run_until(&f, &f.spawned, 1, 5));
    int first = bs_supervisor_pid(f.sup);
    bs_supervisor_mark_ready(f.sup);
    bs_supervisor_restart(f.sup, "unit test");
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_STOPPING);
    ASSERT_TRUE(run_until(&f, &f.spawned, 2, 5));
    ASSERT_EQ(f.exited, 1);
    ASSERT_EQ(bs_supervisor_restarts(f.sup), 1);
    ASSERT_EQ(bs_supervisor_last_exit(f.sup)->signal, SIGTERM);
    ASSERT_NE(bs_supervisor_pid(f.sup), first);
    ASSERT_TRUE(process_gone(first));
    bs_supervisor_stop(f.sup, on_stopped, &f);
    ASSERT_TRUE(run_until(&f, &f.stopped, 1, 5));
    teardown(&f);
}

TEST(spawn_failure_counts_as_an_exit)
{
    struct fixture f;

    setup(&f, "exit 0", 1, 5, false);
    free(f.launch.file);
    f.launch.file = strdup("/nonexistent/program");
    bs_supervisor_start(f.sup);
    ASSERT_TRUE(run_until(&f, &f.exited, 2, 5));
    ASSERT_EQ(f.spawned, 0);
    ASSERT_EQ(bs_supervisor_state(f.sup), BS_SUP_FAILED);
    ASSERT_EQ(bs_supervisor_spawn_failures(f.sup), 2);
    ASSERT_EQ(bs_supervisor_last_exit(f.sup)->spawn_error, UV_ENOENT);
    bs_supervisor_stop(f.sup, on_stopped, &f); /* nothing runs: done at once */
    ASSERT_EQ(f.stopped, 1);
    teardown(&f);
}

TEST(free_kills_a_running_child)
{
    struct fixture f;

    setup(&f, "sleep 30 & echo $! > \"$0\"; wait", 5, 5, false);
    bs_supervisor_start(f.sup);
    int grandchild = wait_pid_file(&f);
    int leader = bs_supervisor_pid(f.sup);
    ASSERT_TRUE(grandchild > 0 && leader > 0);
    bs_supervisor_free(f.sup);
    f.sup = NULL;
    ASSERT_TRUE(process_gone(grandchild));
    ASSERT_TRUE(process_gone(leader));
    teardown(&f);
}

static long file_size(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

TEST(log_file_rotates_by_size)
{
    uv_loop_t loop;
    struct err_msg err = {0};
    char dir[] = "/tmp/bs-log-XXXXXX", path[64], rotated[80], line[101];

    ASSERT_EQ(uv_loop_init(&loop), 0);
    ASSERT_NOT_NULL(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/out.log", dir);
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    struct bs_logfile *lf = bs_logfile_open(&loop, path, 4096, &err);
    ASSERT_NOT_NULL(lf);
    memset(line, 'x', 99);
    line[99] = '\n';
    line[100] = '\0';
    for (int i = 0; i < 100; i++) {
        bs_logfile_write(lf, line, 100);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    bs_logfile_close(lf);
    uv_run(&loop, UV_RUN_DEFAULT);
    ASSERT_EQ(uv_loop_close(&loop), 0);
    ASSERT_TRUE(file_size(rotated) >= 4096);
    ASSERT_TRUE(file_size(path) >= 0);
    ASSERT_TRUE(file_size(path) < 10000);
    ASSERT_EQ((file_size(path) + file_size(rotated)) % 100, 0); /* whole lines only */
    unlink(path);
    unlink(rotated);
    rmdir(dir);
    ASSERT_NULL(bs_logfile_open(&loop, "/nonexistent/dir/x.log", 4096, &err));
    ASSERT_CONTAINS(err.msg, "babysitter.log_file: '/nonexistent/dir/x.log'");
}

HARNESS_MAIN(CASE(restarts_with_backoff_then_gives_up), CASE(stop_terminates_the_whole_group),
             CASE(sigkill_after_the_grace_period), CASE(leftovers_of_a_dead_leader_are_killed),
             CASE(restart_on_request), CASE(spawn_failure_counts_as_an_exit),
             CASE(free_kills_a_running_child), CASE(log_file_rotates_by_size))
