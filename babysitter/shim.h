/* The exec shim that ties a model server's life to its babysitter's. uv_spawn cannot run code
 * between fork and exec, so the babysitter spawns itself (/proc/self/exe, the running image
 * even if the file was replaced) with BS_SHIM_FLAG as argv[1]; that child sets
 * PR_SET_PDEATHSIG(SIGKILL), checks that its parent is still the babysitter that spawned it
 * (the parent may have died before prctl took effect), and execs the real program, which keeps
 * the death signal, the PID, the session and the environment. A babysitter killed with SIGKILL
 * thus takes its model server with it instead of orphaning it on the port.
 * Re-executing the babysitter instead of installing a separate helper binary means nothing
 * extra to install, find or keep at the same version. Linux. Depends on libc, common/xalloc. */
#ifndef SVC_BABYSITTER_SHIM_H
#define SVC_BABYSITTER_SHIM_H

/* argv[1] that turns infini-babysitter into the shim; not a documented option. */
#define BS_SHIM_FLAG "--exec-shim"
/* The program the supervisor spawns to run the shim. */
#define BS_SHIM_SELF "/proc/self/exe"

/* The shim's main: argv = {any, BS_SHIM_FLAG, <parent pid>, <program>, <argv0>, <args>...}.
 * Does not return when the exec succeeds; otherwise prints why on stderr and returns 127. */
int bs_shim_main(int argc, char **argv);

/* The shim's argv for running `file` with `argv` (both borrowed) from process `parent`.
 * NULL-terminated; the caller frees the vector and its first three strings with
 * bs_shim_argv_free() (the rest are borrowed). */
char **bs_shim_argv(int parent, const char *file, char *const *argv);
void bs_shim_argv_free(char **v);

#endif
