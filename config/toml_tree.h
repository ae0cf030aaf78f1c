/* Building and releasing the TOML tree: tables with an insertion-ordered entry list and a hash
 * index, growable arrays. Used only by the parser (toml_doc.c) and toml.c. Depends on libc and
 * common/xalloc. */
#ifndef SVC_CONFIG_TOML_TREE_H
#define SVC_CONFIG_TOML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "toml_internal.h"

#define TOML_TREE_NONE ((size_t)-1)

/* Each returns an empty container the caller owns; none returns NULL. */
struct toml_table *toml_tree_table_new(int depth, enum toml_table_kind kind);
struct toml_array *toml_tree_array_new(int depth, bool is_table_array);

/* Returns the entry number of `key` (`len` bytes) in `t`, or TOML_TREE_NONE. */
size_t toml_tree_find(const struct toml_table *t, const char *key, size_t len);

/* Adds `key` (copied) with the value `v` (taken: its containers and strings now belong to `t`)
 * and returns the stored value, valid until the next insertion into `t`. The key must not be
 * present yet. */
struct toml_value *toml_tree_add(struct toml_table *t, const char *key, size_t len,
                                 const struct toml_value *v);

/* Appends `v` (taken) and returns the stored element, valid until the next push. */
struct toml_value *toml_tree_push(struct toml_array *a, const struct toml_value *v);

/* Release a container and everything below it. NULL-safe. */
void toml_tree_table_free(struct toml_table *t);
void toml_tree_array_free(struct toml_array *a);
/* Releases what `v` owns and leaves it a zero integer. */
void toml_tree_value_clear(struct toml_value *v);

#endif
