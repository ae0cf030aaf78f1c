/* The [metadata] table of a babysitter configuration as JSON for the "-server" record. The keys
 * the babysitter itself writes (type, models, models_list, parent_service, babysitter) are
 * protected: a TOML value for one of them is dropped with a warning, so a stray `type` or
 * `models` can no longer unroute a backend (the reference let TOML override them). Depends on
 * config/toml, config/cfg (the warning callback type) and common/json. */
#ifndef SVC_BABYSITTER_METADATA_H
#define SVC_BABYSITTER_METADATA_H

#include <stdbool.h>

#include <cJSON.h>

#include "cfg.h"

struct toml_table;

/* Whether `key` is one of the protected metadata keys. */
bool bs_metadata_is_protected(const char *key);

/* Converts `t` (borrowed; NULL = empty) into a new JSON object the caller frees with
 * cJSON_Delete(): strings, numbers (non-finite floats become null), booleans, arrays and
 * tables map one to one; dates and times become their text. Each protected key is skipped and
 * reported to `warn` (may be NULL) with its position. */
cJSON *bs_metadata_from_toml(const struct toml_table *t, cfg_warn_cb warn, void *ud);

/* Copies every member of `extra` (borrowed; may be NULL) into `dst`, replacing members of the
 * same name, except protected keys, which `dst` keeps. */
void bs_metadata_merge(cJSON *dst, const cJSON *extra);

#endif
