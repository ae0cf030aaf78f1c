/* Tree layout shared by the toml*.c files of config/. Never included from another directory.
 * Tables keep their entries in definition order and add a hash index once they grow past
 * TOML_INDEX_MIN keys, so big documents parse in linear time. */
#ifndef SVC_CONFIG_TOML_INTERNAL_H
#define SVC_CONFIG_TOML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "toml.h"

/* Below this many keys a linear scan beats hashing. */
#define TOML_INDEX_MIN 16

struct toml_value {
    enum toml_type type;
    enum toml_datetime_kind dt_kind; /* TOML_DATETIME only */
    int line;
    int col;
    size_t len; /* bytes in u.str (TOML_STRING, TOML_DATETIME) */
    union {
        char *str; /* owned, NUL-terminated */
        long long i;
        double f;
        bool b;
        struct toml_array *arr; /* owned */
        struct toml_table *tab; /* owned */
    } u;
};

/* How a table came to exist; decides whether a later header or dotted key may extend it. */
enum toml_table_kind {
    TOML_TABLE_IMPLICIT, /* parent of a [a.b] header; may still get its own header once */
    TOML_TABLE_HEADER,   /* defined by [header] or as an [[array]] element */
    TOML_TABLE_DOTTED,   /* made by dotted keys in one section (see `section`) */
    TOML_TABLE_INLINE,   /* { ... }: frozen */
};

struct toml_entry {
    char *key; /* owned, NUL-terminated */
    size_t key_len;
    struct toml_value val;
};

struct toml_table {
    struct toml_entry *ents;
    size_t len;
    size_t cap;
    size_t *index; /* open addressing, entry number + 1 (0 = empty); NULL while small */
    size_t index_cap;
    int depth; /* root = 0 */
    enum toml_table_kind kind;
    unsigned section; /* TOML_TABLE_DOTTED: the section (header or inline table) it belongs to */
};

struct toml_array {
    struct toml_value *items;
    size_t len;
    size_t cap;
    int depth;
    bool is_table_array; /* made by [[header]]; may be appended to by later headers */
};

#endif
