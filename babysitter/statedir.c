/* State directory, lock and pid file. File operations happen at startup and once per spawn or
 * exit of the model server (a few hundred bytes), never per request. Depends on libc (flock,
 * /proc), common/err, common/log, common/xalloc. */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "xalloc.h"

#define PID_FILE  "server.pid"
#define LOCK_FILE "babysitter.lock"

struct bs_statedir {
    char *path;
    int lock_fd;
};

/* The network namespace's inode ("net:[4026531840]" -> 4026531840), 0 when unknown. A port
 * names a server only within its network namespace: babysitters in two namespaces (containers
 * sharing /tmp, the netns tests) may run the same name on the same port. */
static unsigned long long netns_id(void)
{
    char link[64];
    ssize_t n = readlink("/proc/self/ns/net", link, sizeof(link) - 1);

    if (n <= 0)
        return 0;
    link[n] = '\0';
    const char *p = strchr(link, '[');
    return p != NULL ? strtoull(p + 1, NULL, 10) : 0;
}

char *bs_statedir_default(const char *name, int port)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    char safe[128], out[4096];
    unsigned long long net = netns_id();
    size_t n = 0;

    for (; name[n] != '\0' && n + 1 < sizeof(safe); n++) {
        char c = name[n];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        safe[n] = ok ? c : '_';
    }
    safe[n] = '\0';
    if (xdg != NULL && xdg[0] == '/')
        snprintf(out, sizeof(out), "%s/infini-babysitter/%s-%d-%llu", xdg, safe, port, net);
    else
        snprintf(out, sizeof(out), "/tmp/infini-babysitter-%u/%s-%d-%llu", (unsigned)getuid(), safe,
                 port, net);
    return xstrdup(out);
}

/* mkdir 0700 unless it exists; then it must be a real directory of ours, not a symlink a
 * other user planted (the default lives under /tmp). */
static int make_private_dir(const char *path, struct err_msg *err)
{
    struct stat st;

    if (mkdir(path, 0700) != 0 && errno != EEXIST) {
        err_set(err, 0, 0, "state_dir %s: cannot create: %s", path, strerror(errno));
        return -errno;
    }
    if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid()) {
        err_set(err, 0, 0, "state_dir %s: not a directory owned by this user", path);
        return SVC_EBADCONFIG;
    }
    return 0;
}

static char *join(const char *dir, const char *file)
{
    size_t n = strlen(dir) + strlen(file) + 2;
    char *p = xmalloc(n);

    snprintf(p, n, "%s/%s", dir, file);
    return p;
}

struct bs_statedir *bs_statedir_open(const char *path, struct err_msg *err)
{
    char *parent = xstrdup(path);
    char *slash = strrchr(parent, '/');
    struct bs_statedir *sd = NULL;
    char *lock = NULL;
    int fd = -1;

    /* The parent is ours only when we create it; an existing one (/run/user/UID) is left as
     * it is. */
    if (slash != NULL && slash != parent) {
        *slash = '\0';
        if (mkdir(parent, 0700) != 0 && errno != EEXIST) {
            err_set(err, 0, 0, "state_dir %s: cannot create: %s", parent, strerror(errno));
            goto out;
        }
    }
    if (make_private_dir(path, err) < 0)
        goto out;
    lock = join(path, LOCK_FILE);
    fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        err_set(err, 0, 0, "state_dir %s: cannot open %s: %s", path, LOCK_FILE, strerror(errno));
        goto out;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        err_set(err, 0, 0, "state_dir %s: in use by another babysitter (%s)", path,
                errno == EWOULDBLOCK ? "locked" : strerror(errno));
        goto out;
    }
    sd = xcalloc(1, sizeof(*sd));
    sd->path = xstrdup(path);
    sd->lock_fd = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    free(lock);
    free(parent);
    return sd;
}

void bs_statedir_close(struct bs_statedir *sd, int remove_all)
{
    if (sd == NULL)
        return;
    if (remove_all) {
        char *pid = join(sd->path, PID_FILE), *lock = join(sd->path, LOCK_FILE);
        unlink(pid);
        unlink(lock);
        rmdir(sd->path); /* fails, harmlessly, when someone put other files there */
        free(pid);
        free(lock);
    }
    close(sd->lock_fd);
    free(sd->path);
    free(sd);
}

uint64_t bs_statedir_start_time(int pid)
{
    char path[64], text[1024];
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    f = fopen(path, "re");
    if (f == NULL)
        return 0;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses; starttime is field 22,
     * the 20th after the last ')'. */
    const char *p = strrchr(text, ')');
    if (p == NULL)
        return 0;
    for (int field = 2; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL)
        return 0;
    char *end;
    unsigned long long v = strtoull(p + 1, &end, 10);
    return end != p + 1 ? (uint64_t)v : 0;
}

int bs_statedir_record(struct bs_statedir *sd, int pid)
{
    char *path = join(sd->path, PID_FILE);
    char *tmp = join(sd->path, PID_FILE ".tmp");
    int rc = 0;
    FILE *f = fopen(tmp, "we");

    if (f == NULL) {
        rc = -errno;
        goto out;
    }
    fprintf(f, "%d %llu\n", pid, (unsigned long long)bs_statedir_start_time(pid));
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        rc = -errno;
        unlink(tmp);
    }
out:
    if (rc < 0)
        log_warn("statedir", "dir=%s pid=%d cannot record the model server's pid: %s", sd->path,
                 pid, strerror(-rc));
    free(tmp);
    free(path);
    return rc;
}

void bs_statedir_clear(struct bs_statedir *sd)
{
    char *path = join(sd->path, PID_FILE);

    unlink(path);
    free(path);
}

int bs_statedir_leftover(const struct bs_statedir *sd)
{
    char *path = join(sd->path, PID_FILE);
    FILE *f = fopen(path, "re");
    unsigned long long start = 0;
    int pid = 0;

    free(path);
    if (f == NULL)
        return 0;
    int n = fscanf(f, "%d %llu", &pid, &start);
    fclose(f);
    if (n != 2 || pid <= 1)
        return 0;
    uint64_t now_start = bs_statedir_start_time(pid);
    if (now_start != 0)
        return now_start == start ? pid : 0; /* a live process: ours only if born then */
    /* The leader is gone (killed with us by PR_SET_PDEATHSIG); its workers may live on. */
    return kill(-(pid_t)pid, 0) == 0 ? pid : 0;
}
