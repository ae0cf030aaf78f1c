/* The exec shim (see shim.h): a few system calls between the babysitter's fork and the model
 * server's exec. Depends on libc (prctl), common/xalloc. */
#include "shim.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "xalloc.h"

int bs_shim_main(int argc, char **argv)
{
    char *end;

    if (argc < 5) {
        fprintf(stderr, "infini-babysitter %s: usage: <parent pid> <program> <argv0> [args]\n",
                BS_SHIM_FLAG);
        return 127;
    }
    long parent = strtol(argv[2], &end, 10);
    if (*end != '\0' || parent <= 1) {
        fprintf(stderr, "infini-babysitter %s: bad parent pid '%s'\n", BS_SHIM_FLAG, argv[2]);
        return 127;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) {
        fprintf(stderr, "infini-babysitter %s: prctl: %s\n", BS_SHIM_FLAG, strerror(errno));
        return 127;
    }
    /* The babysitter died before the death signal was armed: nobody supervises us. */
    if (getppid() != (pid_t)parent)
        return 127;
    execv(argv[3], argv + 4);
    fprintf(stderr, "infini-babysitter: cannot run %s: %s\n", argv[3], strerror(errno));
    return 127;
}

char **bs_shim_argv(int parent, const char *file, char *const *argv)
{
    size_t n = 0;
    char pid[24];

    while (argv[n] != NULL)
        n++;
    char **v = xcalloc(n + 5, sizeof(*v));
    snprintf(pid, sizeof(pid), "%d", parent);
    v[0] = xstrdup("infini-babysitter");
    v[1] = xstrdup(BS_SHIM_FLAG);
    v[2] = xstrdup(pid);
    v[3] = (char *)(uintptr_t)file;
    for (size_t i = 0; i < n; i++)
        v[4 + i] = argv[i];
    return v;
}

void bs_shim_argv_free(char **v)
{
    if (v == NULL)
        return;
    free(v[0]);
    free(v[1]);
    free(v[2]);
    free(v);
}
