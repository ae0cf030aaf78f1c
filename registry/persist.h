/* The state file: encoding the store into a versioned JSON document, decoding and validating one
 * into a store, loading it at startup, and writing a file atomically (temporary file in the same
 * directory, fsync, rename, fsync of the directory). Format (compact JSON, keys sorted):
 *
 *   {"format":"infini-registry-state","saved_at":<unix s>,"services":[<record>...],"version":1}
 *
 * where <record> is the wire form of GET /services/:name without is_healthy. On load every
 * last_heartbeat is shifted forward by (now - saved_at) (never backwards): registry downtime
 * does not count against services, which could not heartbeat to a dead registry, so each record
 * comes back with the heartbeat age it had when it was saved.
 * Blocking file I/O: call the loaders at startup and the writer off the loop thread only.
 * Depends on registry/store, registry/record, common/json, common/buf, common/err. */
#ifndef SVC_REGISTRY_PERSIST_H
#define SVC_REGISTRY_PERSIST_H

#include <stddef.h>

struct buf;
struct err_msg;
struct reg_store;

#define REG_PERSIST_FORMAT  "infini-registry-state"
#define REG_PERSIST_VERSION 1
/* Largest state file accepted at startup. */
#define REG_PERSIST_MAX_BYTES (256u << 20)

/* Appends the state document for `s` saved at `now` to `out`. 0, or SVC_ELIMIT. */
int reg_persist_encode(const struct reg_store *s, double now, struct buf *out);

/* Validates a state document and adds its records to `s` (which should be empty), shifting
 * heartbeats as described above. Nothing is added unless the whole document is valid.
 * Sets *count (may be NULL) to the records added. 0, or SVC_ECORRUPT with `err` saying what is
 * wrong (not JSON, wrong format or version, record N invalid and why, duplicate name). */
int reg_persist_decode(const char *data, size_t len, struct reg_store *s, double now, size_t *count,
                       struct err_msg *err);

/* Reads `path` and decodes it. A missing file is not an error (0 records). 0, or a negative
 * code with `err` naming the file and the problem; the file is never modified. */
int reg_persist_load(const char *path, struct reg_store *s, double now, size_t *count,
                     struct err_msg *err);

/* Replaces `path` with `len` bytes atomically (`path`.tmp, fsync, rename, directory fsync).
 * 0, or a negative libuv-style code (-errno); on failure `path` is unchanged. */
int reg_persist_write_file(const char *path, const char *data, size_t len);

#endif
