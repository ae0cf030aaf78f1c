/* Table-driven mapping of TOML keys onto a C struct (the nginx ngx_command_t idea).
 * Each daemon describes its configuration once, as a static array of struct cfg_key; cfg
 * applies the defaults, reads a file, checks every value's type and range, reports unknown
 * keys and frees what it allocated. Messages name the full key ("babysitter.max_restarts:
 * expected an integer in 0..1000000") and carry the value's line:column. Depends on libc,
 * common/{buf,err,xalloc} and config/toml only; never logs. */
#ifndef SVC_CONFIG_CFG_H
#define SVC_CONFIG_CFG_H

#include <stddef.h>

struct err_msg;
struct toml_table;

/* Each type names the C type of the field at `offset`. "Number" means a TOML integer or
 * float. Owned fields are released by cfg_free(). */
enum cfg_type {
    CFG_STR,       /* char *, owned. A TOML string without NUL characters */
    CFG_INT,       /* int. An integer in .min..max (INT_MIN..INT_MAX when both are 0) */
    CFG_INT64,     /* long long. An integer in .min..max (any 64-bit value when both are 0) */
    CFG_PORT,      /* int. An integer in 0..65535 (0: let the OS choose) */
    CFG_BOOL,      /* bool. true or false */
    CFG_DOUBLE,    /* double. A finite number in .fmin..fmax (any when both are 0) */
    CFG_SECONDS,   /* double, in seconds. A finite number >= 0, <= .fmax unless it is 0 */
    CFG_MS,        /* uint64_t, in milliseconds. An integer in .min..max (0..max when both 0) */
    CFG_ENUM,      /* int: the index of the value in .enum_names (a NULL-terminated list) */
    CFG_STR_ARRAY, /* char **, owned, NULL-terminated. An array of strings */
    CFG_STR_MAP,   /* char **, owned, NULL-terminated "KEY=VALUE" strings in document order
                    * (an envp). A table of strings; keys may not be empty or contain '=' */
    CFG_TABLE,     /* const struct toml_table *, borrowed from the tree (which must outlive
                    * it). Any table; its keys are free-form. No default allowed */
};

struct cfg_key {
    const char *name; /* dotted path of bare keys, e.g. "backend.type"; NULL ends the array */
    enum cfg_type type;
    size_t offset;      /* offsetof(struct ..., field) */
    const char *def;    /* default, parsed as by cfg_set_string(); NULL: leave the field alone */
    long long min, max; /* CFG_INT, CFG_INT64, CFG_MS */
    double fmin, fmax;  /* CFG_DOUBLE, CFG_SECONDS */
    const char *const *enum_names; /* CFG_ENUM */
};

/* Entries are best written with these: a purely positional initialiser that omits the range
 * fields trips -Wmissing-field-initializers, designated ones do not. Extra fields follow the
 * default: CFG_KEY("babysitter.max_restarts", CFG_INT, offsetof(struct bs_config,
 * max_restarts), "10", .min = 0, .max = 1000000). */
#define CFG_KEY(name_, type_, offset_, ...)                                                        \
    {                                                                                              \
        .name = (name_), .type = (type_), .offset = (offset_), .def = __VA_ARGS__                  \
    }
#define CFG_KEY_END                                                                                \
    {                                                                                              \
        .name = NULL                                                                               \
    }

/* cfg_apply()/cfg_load_file() flags. */
#define CFG_STRICT 1u /* an unknown key is an error instead of a warning */

/* Receives each unknown key in non-strict mode: its position and "path: unknown key". */
typedef void (*cfg_warn_cb)(void *ud, int line, int col, const char *msg);

/* Largest configuration file cfg_load_file() reads. */
#define CFG_MAX_FILE_BYTES (16u << 20)

/* Sets every field that has a default from that default. A default that does not parse is a
 * programming error (SVC_ASSERT). `obj` should start zeroed or freshly cfg_free()d. */
void cfg_apply_defaults(const struct cfg_key *keys, void *obj);

/* Applies the defaults, then every value of `root` (borrowed; CFG_TABLE fields point into it)
 * that `keys` names. Tables whose path prefixes a key name are walked; anything else that no
 * key covers is unknown: with CFG_STRICT the first one fails, otherwise each is passed to
 * `warn` (may be NULL) in document order. Keys below a CFG_TABLE or CFG_STR_MAP entry are
 * never unknown. 0, or SVC_EBADCONFIG with err (line:col of the offending value, message
 * naming the full key) on a wrong type, out-of-range value or strict unknown key; fields set
 * before the error keep their values (release with cfg_free()). */
int cfg_apply(const struct cfg_key *keys, const struct toml_table *root, void *obj, unsigned flags,
              cfg_warn_cb warn, void *ud, struct err_msg *err);

/* Reads `path` (at most CFG_MAX_FILE_BYTES), parses it and runs cfg_apply(). On success the
 * tree goes to *tree_out (caller frees with toml_free() after the last use of a CFG_TABLE
 * field); `tree_out` may be NULL only when `keys` has no CFG_TABLE entry. Returns 0; a
 * negative libuv code or SVC_ELIMIT when the file cannot be read; SVC_EPARSE on invalid TOML;
 * SVC_EBADCONFIG on a bad value. On failure `obj` is cfg_free()d, *tree_out is NULL and err
 * holds the message and position (0:0 when none); the message does not repeat `path`: print it
 * with cfg_format_error(). */
int cfg_load_file(const char *path, const struct cfg_key *keys, void *obj, unsigned flags,
                  cfg_warn_cb warn, void *ud, struct toml_table **tree_out, struct err_msg *err);

/* Sets the field of `key` (the full dotted name) from a string, e.g. a command-line override
 * applied after cfg_load_file(); the previous value is released. `value` is read as:
 *   CFG_STR        the string itself, verbatim;
 *   CFG_ENUM       one of the names, verbatim;
 *   CFG_STR_ARRAY  a TOML array literal when it starts with '[' (["a b", "c"]), otherwise the
 *                  whole string as the single element;
 *   CFG_STR_MAP    a TOML inline table when it starts with '{' (replaces the map), otherwise
 *                  "KEY=VALUE", which sets or replaces that one entry;
 *   CFG_TABLE      not settable (SVC_EBADCONFIG);
 *   other types    a TOML value (42, 0x2a, 1_000, 2.5, true) checked like one from a file.
 * Leading spaces are skipped before looking for '[' or '{'. Returns 0, SVC_ENOTFOUND for a
 * key not in `keys`, or SVC_EBADCONFIG; err (position 0:0) names the key. */
int cfg_set_string(const struct cfg_key *keys, void *obj, const char *key, const char *value,
                   struct err_msg *err);

/* Frees every owned field (CFG_STR, CFG_STR_ARRAY, CFG_STR_MAP) and NULLs it; NULLs CFG_TABLE
 * fields. Other fields are left as they are. */
void cfg_free(const struct cfg_key *keys, void *obj);

/* Writes "path:line:col: message", or "path: message" when err has no position, into `out`
 * (always NUL-terminated, truncated to `size`). `path` may be NULL: then "line:col: message" or
 * just the message. */
void cfg_format_error(const char *path, const struct err_msg *err, char *out, size_t size);

#endif
