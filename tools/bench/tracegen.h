/* Synthetic traces in the Mooncake format (`infini-bench gen --kind trace`): one record per
 * request, {"timestamp" (ms),"input_length","output_length","hash_ids"}, where hash id i names
 * the whole prefix up to the end of 512-token block i (equal ids = equal prefix blocks).
 * Shape, with every length converted from characters to tokens by chars_per_token:
 *  - num_prefixes shared system prompts of prefix_len; conversation c starts with system
 *    prompt c % num_prefixes. Only the system prompt's full blocks are shared, so a system prompt
 *    shorter than one block makes every conversation start with its own block.
 *  - conversation c has messages_per_conv turns; turn 0's input is the system prompt plus a
 *    first user message of context_len; every turn outputs context_len tokens (the reply), and
 *    turn t + 1's input is turn t's input, its reply and a new user message of new_msg_len. So
 *    turn t + 1 keeps the hash ids of turn t's full blocks and gets new ids after them.
 *  - the turns of all conversations are interleaved in a seeded order (each keeps its turn order)
 *    and stamped with Poisson arrivals at `rate` requests/s (tools/bench/arrival), in integer ms.
 * Ids are numbered system prompts first, then conversation by conversation, so they depend only
 * on the parameters. Pure; depends on cJSON, common/json, common/err and
 * tools/bench/{dataset,arrival,rng}. */
#ifndef SVC_TOOLS_BENCH_TRACEGEN_H
#define SVC_TOOLS_BENCH_TRACEGEN_H

struct err_msg;
struct bench_dataset;
struct bench_gen_params;

/* Whether `p` describes a trace this module can make. 0, or SVC_EBADCONFIG with `err` set. */
int bench_tracegen_check(const struct bench_gen_params *p, struct err_msg *err);

/* Appends num_conversations x messages_per_conv trace records to `out` (empty on entry). `p`
 * must have passed bench_tracegen_check(). Returns 0. */
int bench_tracegen_generate(const struct bench_gen_params *p, struct bench_dataset *out);

#endif
