/* KV cache events for the backend the babysitter starts (DESIGN.md section 4b). The vllm
 * backend gets --kv-events-config '{"enable_kv_cache_events":true,"publisher":"zmq",
 * "endpoint":E,"replay_endpoint":R,"topic":"kv@<name>"}' where E and R are tcp:// endpoints on
 * the wildcard host and two free ports, and the mock backend --kv-events P --kv-replay-port R,
 * unless the configured args already carry --kv-events-config (vllm) or --kv-events (mock):
 * then nothing is added and what they carry is advertised. The advertisement goes into the
 * server record as metadata.kv_events = {"endpoint":"tcp://<host>:P","replay_endpoint":
 * "tcp://<host>:R","topic":...,"block_size":N} (a wildcard host replaced by the record's host;
 * N from the args' --block-size, else 16, vLLM's and infini-mock's default). Other backends
 * publish nothing. Depends on libc, common/ (buf, json, xalloc) and babysitter/config. */
#ifndef SVC_BABYSITTER_KVEVENTS_H
#define SVC_BABYSITTER_KVEVENTS_H

#include <cJSON.h>

struct bs_config;

/* For `cfg`'s backend (borrowed): returns the argv entries to append (NULL-terminated, freed
 * with bs_launch_strv_free; NULL when none) and sets *meta to the metadata.kv_events object
 * (the caller frees it with cJSON_Delete; NULL when the backend publishes no events). `port`
 * and `replay_port` are the ports used when the babysitter adds the flags itself. Pure. */
char **bs_kvevents_args(const struct bs_config *cfg, int port, int replay_port, cJSON **meta);

/* Whether `cfg`'s backend would get flags added (vllm or mock without their own). */
int bs_kvevents_wanted(const struct bs_config *cfg);

/* Appends the NULL-terminated `extra` (taken; may be NULL) to the NULL-terminated `argv`
 * (taken) and returns the combined vector (freed with bs_launch_strv_free). */
char **bs_kvevents_append(char **argv, char **extra);

/* Two distinct TCP ports the OS reports free right now (bound to port 0 together, then
 * released). 0, or a negative libuv-style code. */
int bs_kvevents_free_ports(int *port, int *replay_port);

#endif
