/* One service record: its fields, validation of the JSON that creates or changes it
 * (registration, PUT, heartbeat load, state file), liveness, and its wire form (compact, keys
 * sorted, as the reference prints it). Knows nothing about the map, HTTP or the loop; depends on
 * cJSON (through common/json), common/buf and common/err. */
#ifndef SVC_REGISTRY_RECORD_H
#define SVC_REGISTRY_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "wallclock.h"

struct buf;
struct err_msg;

/* Longest accepted service name, in bytes (longer registrations get 422). */
#define REG_RECORD_NAME_MAX 1024
/* Longest accepted host and hostname (a DNS name's limit), url and status, in bytes. */
#define REG_RECORD_HOST_MAX   253
#define REG_RECORD_URL_MAX    2048
#define REG_RECORD_STATUS_MAX 64
/* Buffer size for reg_record_log_name(). */
#define REG_LOG_NAME_MAX 160

enum reg_health {
    REG_HEALTH_UNKNOWN = 0,
    REG_HEALTH_HEALTHY,
    REG_HEALTH_UNHEALTHY,
};

/* Where the JSON handed to reg_record_from_json() comes from. */
enum reg_record_src {
    REG_RECORD_REGISTER, /* POST /services: the registry sets timestamp and heartbeat */
    REG_RECORD_STATE,    /* the state file: every field is taken from the JSON */
};

/* An unknown top-level registration field, kept as compact sorted JSON. */
struct reg_extra {
    char *key;
    char *json;
};

/* JSON-valued fields are kept serialised (compact, keys sorted): they are printed far more often
 * than they change, and a string is smaller than a cJSON tree. */
struct reg_record {
    char *name, *host, *hostname, *url, *status;
    char timestamp[WALLCLOCK_RFC3339_LEN]; /* registration time, RFC 3339 */
    int port;
    enum reg_health health;
    bool openai_api;         /* metadata.type == "openai-api" (decides the probe URL) */
    double last_heartbeat;   /* Unix seconds, whole */
    char *metadata;          /* JSON object text, never NULL */
    char *load;              /* JSON object text, or NULL */
    struct reg_extra *extra; /* sorted by key, no duplicates */
    size_t nextra;
    uint64_t id; /* unique per store; set by reg_store_put() */
    void *probe; /* the prober's in-flight probe, or NULL (owned by the prober) */
    /* links owned by the store */
    struct reg_record *hnext, *prev, *next;
    uint32_t hash;
};

/* Builds a record from a JSON object. Checks required string fields (name, host, hostname,
 * url, status; name and host non-empty, each within its REG_RECORD_*_MAX), port (an integer
 * 0..65535), metadata (an object; absent or null = {}), load (see reg_record_parse_load) and, for
 * REG_RECORD_STATE, timestamp, last_heartbeat and health_status. For REG_RECORD_REGISTER, timestamp
 * and last_heartbeat come from `now`. Fields that are not record fields are kept in `extra`.
 * Returns a record the caller frees with reg_record_free(), or NULL with `err` naming the offending
 * field. `obj` is borrowed. */
struct reg_record *reg_record_from_json(const cJSON *obj, enum reg_record_src src, double now,
                                        struct err_msg *err);

/* Applies a PUT body: optional host, port, hostname, url, status, metadata (replaced whole) and
 * load; null counts as absent; strings are bounded as for a registration. Validates everything
 * before changing anything, then refreshes last_heartbeat. 0, or SVC_EPARSE with `err` set (the
 * record is unchanged). */
int reg_record_update(struct reg_record *rec, const cJSON *obj, double now, struct err_msg *err);

/* Validates a load object: every member a finite non-negative number, kv_usage at most 1.
 * Returns a copy in *out (caller-owned) with "updated" set to floor(now) when absent.
 * 0, or SVC_EPARSE with `err` set. */
int reg_record_parse_load(const cJSON *load, double now, cJSON **out, struct err_msg *err);

/* A heartbeat: last_heartbeat = floor(now). */
void reg_record_heartbeat(struct reg_record *rec, double now);
/* Replaces status (copied). */
void reg_record_set_status(struct reg_record *rec, const char *status);
/* Replaces load with the serialisation of `load` (taken and freed; may be NULL). */
void reg_record_set_load(struct reg_record *rec, cJSON *load);

/* status == "running" and now - last_heartbeat < heartbeat_timeout. */
bool reg_record_is_healthy(const struct reg_record *rec, double now, double heartbeat_timeout);

/* Appends the record's wire form to `out`: compact, keys sorted, extra fields included,
 * last_heartbeat as a float. `with_liveness` adds is_healthy (the HTTP form); the state file
 * omits it. 0, or SVC_ELIMIT when `out` is full. */
int reg_record_print(const struct reg_record *rec, double now, double heartbeat_timeout,
                     bool with_liveness, struct buf *out);

/* "unknown", "healthy" or "unhealthy". */
const char *reg_health_name(enum reg_health h);

/* Copies `name` (or any client-supplied string) into `out` for a log line: at most size-1 bytes,
 * control characters and spaces replaced by '?' so that a name cannot forge log fields or lines.
 * Returns `out`. */
const char *reg_record_log_name(const char *name, char *out, size_t size);

/* NULL-safe. */
void reg_record_free(struct reg_record *rec);

#endif
