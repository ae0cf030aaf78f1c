/* infini-bench: dispatches to the gen, serve and compare subcommands. No logic lives here. */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "compare.h"

static void usage(FILE *out)
{
    fprintf(out, "Usage: infini-bench <command> [options]\n"
                 "Load client for OpenAI-compatible servers, like `vllm bench serve`.\n\n"
                 "Commands:\n"
                 "  gen       write a synthetic JSONL dataset (shared-prefix, multi-prefix, "
                 "conversations)\n"
                 "            or a Mooncake-format trace (trace)\n"
                 "  serve     send a dataset (or replay a trace) to a server; report TTFT, TPOT, "
                 "ITL, E2E,\n"
                 "            throughput and cache hits\n"
                 "  compare   compare result files side by side (and chart them with gnuplot)\n\n"
                 "Run `infini-bench <command> --help` for the options of a command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "gen") == 0)
        return bench_cmd_gen(argc - 1, argv + 1);
    if (strcmp(cmd, "serve") == 0)
        return bench_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return bench_compare_main(argc - 1, argv + 1);
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("infini-bench %s\n", SVC_VERSION);
        return 0;
    }
    fprintf(stderr, "infini-bench: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
