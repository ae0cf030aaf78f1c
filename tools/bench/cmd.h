/* The `gen` and `serve` subcommands: option parsing, dataset preparation, the run on a private
 * loop, and reporting. Each returns the process exit code: 0 success (serve: the run completed,
 * even with some failed requests), 1 failure (serve: no request succeeded; gen: cannot write),
 * 2 bad arguments. Depends on every other tools/bench module except compare. */
#ifndef SVC_TOOLS_BENCH_CMD_H
#define SVC_TOOLS_BENCH_CMD_H

/* `argv[0]` is the subcommand name; messages go to stderr, reports to stdout. */
int bench_cmd_gen(int argc, char **argv);
int bench_cmd_serve(int argc, char **argv);

#endif
