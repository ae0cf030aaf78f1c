/* TOML files onto a C struct through the program's settings table (common/cli's struct
 * cli_opt, the nginx ngx_command_t idea): each entry with a `key` names a dotted TOML key, and
 * the same entry gives the setting its flag, environment variable, default, range and help, so
 * a program describes each setting once. cfg applies the defaults, reads a file, checks every
 * value's type and range (the command line's rule, cli_in_range), reports unknown keys and
 * frees what it allocated; cfg_set_value() is the command line's setter for such a table, which
 * reads a flag's value as the file would. Messages name the full key
 * ("babysitter.max_restarts: expected an integer in 0..1000000") and carry the value's
 * line:column. Depends on libc, common/{buf,cli,err,xalloc} and config/toml only; never logs. */
#ifndef SVC_CONFIG_CFG_H
#define SVC_CONFIG_CFG_H

#include <stddef.h>

#include "cli.h"

struct err_msg;
struct toml_table;

/* What each type accepts from a file ("number": a TOML integer or float):
 *   CLI_STR        a string without NUL characters
 *   CLI_INT        an integer, in .min..max when min < max (else INT_MIN..INT_MAX)
 *   CLI_INT64      an integer, in .min..max when min < max
 *   CLI_DOUBLE     a finite number, in .min..max when min < max
 *   CLI_BOOL       true or false
 *   CLI_ENUM       a string, one of .enum_names
 *   CLI_STR_ARRAY  an array of strings
 *   CLI_STR_MAP    a table of strings (keys not empty, without '=')
 *   CLI_TABLE      any table; its keys are free-form; no default allowed */

/* cfg_apply()/cfg_load_file() flags. */
#define CFG_STRICT 1u /* an unknown key is an error instead of a warning */

/* Receives each unknown key in non-strict mode: its position and "path: unknown key". */
typedef void (*cfg_warn_cb)(void *ud, int line, int col, const char *msg);

/* Largest configuration file cfg_load_file() reads. */
#define CFG_MAX_FILE_BYTES (16u << 20)

/* Sets every field of an entry with a key that has a default from that default. A default
 * that does not parse is a programming error (SVC_ASSERT). `obj` should start zeroed or freshly
 * cfg_free()d. */
void cfg_apply_defaults(const struct cli_opt *opts, void *obj);

/* Applies the defaults, then every value of `root` (borrowed; CLI_TABLE fields point into it)
 * that an entry of `opts` names. Tables whose path prefixes a key name are walked; anything else
 * that no key covers is unknown: with CFG_STRICT the first one fails, otherwise each is passed to
 * `warn` (may be NULL) in document order. Keys below a CLI_TABLE or CLI_STR_MAP entry are
 * never unknown. 0, or SVC_EBADCONFIG with err (line:col of the offending value, message
 * naming the full key) on a wrong type, out-of-range value or strict unknown key; fields set
 * before the error keep their values (release with cfg_free()). */
int cfg_apply(const struct cli_opt *opts, const struct toml_table *root, void *obj, unsigned flags,
              cfg_warn_cb warn, void *ud, struct err_msg *err);

/* Reads `path` (at most CFG_MAX_FILE_BYTES), parses it and runs cfg_apply(). On success the
 * tree goes to *tree_out (caller frees with toml_free() after the last use of a CLI_TABLE
 * field); `tree_out` may be NULL only when `opts` has no CLI_TABLE entry. Returns 0; a
 * negative libuv code or SVC_ELIMIT when the file cannot be read; SVC_EPARSE on invalid TOML;
 * SVC_EBADCONFIG on a bad value. On failure `obj` is cfg_free()d, *tree_out is NULL and err
 * holds the message and position (0:0 when none); the message does not repeat `path`: print it
 * with cfg_format_error(). */
int cfg_load_file(const char *path, const struct cli_opt *opts, void *obj, unsigned flags,
                  cfg_warn_cb warn, void *ud, struct toml_table **tree_out, struct err_msg *err);

/* Sets the field of `key` (the full dotted name) from a string, e.g. a command-line override
 * applied after cfg_load_file(); the previous value is released. `value` is read as:
 *   CLI_STR        the string itself, verbatim;
 *   CLI_ENUM       one of the names, verbatim;
 *   CLI_STR_ARRAY  a TOML array literal when it starts with '[' (["a b", "c"]), otherwise the
 *                  whole string as the single element;
 *   CLI_STR_MAP    a TOML inline table when it starts with '{' (replaces the map), otherwise
 *                  "KEY=VALUE", which sets or replaces that one entry;
 *   CLI_TABLE      not settable (SVC_EBADCONFIG);
 *   other types    a TOML value (42, 0x2a, 1_000, 2.5, true) checked like one from a file.
 * Leading spaces are skipped before looking for '[' or '{'. Returns 0, SVC_ENOTFOUND for a
 * key not in `opts`, or SVC_EBADCONFIG; err (position 0:0) names the key. */
int cfg_set_string(const struct cli_opt *opts, void *obj, const char *key, const char *value,
                   struct err_msg *err);

/* A cli_set_cb: sets `o` from `value` as cfg_set_string() does when `o` has a key (a flag's
 * value follows the file's rules), through cli_set() otherwise. A message names the flag
 * ("--max-restarts: babysitter.max_restarts: expected an integer in 0..1000") for a value from
 * the command line, the variable for one from the environment. */
int cfg_set_value(const struct cli_opt *o, void *obj, const char *value, const char *source,
                  struct err_msg *err);

/* Frees the owned fields of the entries with a key (CLI_STR, CLI_STR_ARRAY, CLI_STR_MAP) and
 * NULLs them; NULLs CLI_TABLE fields. Other fields are left as they are. */
void cfg_free(const struct cli_opt *opts, void *obj);

/* Writes "path:line:col: message", or "path: message" when err has no position, into `out`
 * (always NUL-terminated, truncated to `size`). `path` may be NULL: then "line:col: message" or
 * just the message. */
void cfg_format_error(const char *path, const struct err_msg *err, char *out, size_t size);

#endif
