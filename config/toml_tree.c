/* The TOML tree's containers. Tables keep entries in definition order; past TOML_INDEX_MIN keys
 * an open-addressing index (FNV-1a, linear probing, load <= 1/2) keeps lookups O(1), so
 * documents with huge tables stay linear. Depends on libc and common/xalloc only. */
#include "toml_tree.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct toml_table *toml_tree_table_new(int depth, enum toml_table_kind kind)
{
    struct toml_table *t = xcalloc(1, sizeof(*t));

    t->depth = depth;
    t->kind = kind;
    return t;
}

struct toml_array *toml_tree_array_new(int depth, bool is_table_array)
{
    struct toml_array *a = xcalloc(1, sizeof(*a));

    a->depth = depth;
    a->is_table_array = is_table_array;
    return a;
}

static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ull;
    }
    return h;
}

static bool entry_is(const struct toml_entry *e, const char *key, size_t len)
{
    return e->key_len == len && (len == 0 || memcmp(e->key, key, len) == 0);
}

static void index_insert(size_t *index, size_t cap, const struct toml_entry *e, size_t n)
{
    size_t slot = (size_t)hash_key(e->key, e->key_len) & (cap - 1);

    while (index[slot] != 0)
        slot = (slot + 1) & (cap - 1);
    index[slot] = n + 1;
}

static void index_rebuild(struct toml_table *t, size_t cap)
{
    free(t->index);
    t->index = xcalloc(cap, sizeof(*t->index));
    t->index_cap = cap;
    for (size_t i = 0; i < t->len; i++)
        index_insert(t->index, cap, &t->ents[i], i);
}

size_t toml_tree_find(const struct toml_table *t, const char *key, size_t len)
{
    if (t->index == NULL) {
        for (size_t i = 0; i < t->len; i++)
            if (entry_is(&t->ents[i], key, len))
                return i;
        return TOML_TREE_NONE;
    }
    size_t mask = t->index_cap - 1;
    for (size_t slot = (size_t)hash_key(key, len) & mask; t->index[slot] != 0;
         slot = (slot + 1) & mask) {
        size_t i = t->index[slot] - 1;
        if (entry_is(&t->ents[i], key, len))
            return i;
    }
    return TOML_TREE_NONE;
}

struct toml_value *toml_tree_add(struct toml_table *t, const char *key, size_t len,
                                 const struct toml_value *v)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 4;
        t->ents = xrealloc(t->ents, t->cap * sizeof(*t->ents));
    }
    struct toml_entry *e = &t->ents[t->len];
    e->key = xmemdup(key, len);
    e->key_len = len;
    e->val = *v;
    t->len++;
    if (t->index != NULL && t->len * 2 <= t->index_cap)
        index_insert(t->index, t->index_cap, e, t->len - 1);
    else if (t->len > TOML_INDEX_MIN)
        index_rebuild(t, t->index_cap ? t->index_cap * 2 : 4 * TOML_INDEX_MIN);
    return &e->val;
}

struct toml_value *toml_tree_push(struct toml_array *a, const struct toml_value *v)
{
    if (a->len == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 4;
        a->items = xrealloc(a->items, a->cap * sizeof(*a->items));
    }
    a->items[a->len] = *v;
    return &a->items[a->len++];
}

void toml_tree_value_clear(struct toml_value *v)
{
    switch (v->type) {
    case TOML_STRING:
    case TOML_DATETIME:
        free(v->u.str);
        break;
    case TOML_ARRAY:
        toml_tree_array_free(v->u.arr);
        break;
    case TOML_TABLE:
        toml_tree_table_free(v->u.tab);
        break;
    default:
        break;
    }
    v->type = TOML_INTEGER;
    v->u.i = 0;
}

void toml_tree_table_free(struct toml_table *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->len; i++) {
        free(t->ents[i].key);
        toml_tree_value_clear(&t->ents[i].val);
    }
    free(t->ents);
    free(t->index);
    free(t);
}

void toml_tree_array_free(struct toml_array *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->len; i++)
        toml_tree_value_clear(&a->items[i]);
    free(a->items);
    free(a);
}
