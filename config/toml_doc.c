/* TOML document grammar and table semantics.
 * A table remembers how it came to exist (enum toml_table_kind): a [header] may define a table
 * once, and may define one that so far only existed as the parent of another header; dotted
 * keys may extend only tables they created themselves in the same section (the lines under one
 * header, or one inline table); inline tables and static arrays are frozen. This follows the
 * TOML 1.0 text and tomli's reading of it. Depends on libc and common/{buf,err,xalloc}. */
#include "toml_doc.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "err.h"
#include "toml_internal.h"
#include "toml_lex.h"
#include "toml_scalar.h"
#include "toml_tree.h"
#include "xalloc.h"

struct key_part {
    char *s; /* owned */
    size_t len;
    const char *at; /* where it starts in the input */
};

struct key {
    struct key_part *parts;
    size_t n;
    size_t cap;
};

struct doc {
    struct toml_lex *lx;
    struct toml_table *root;
    struct toml_table *cur; /* the table the current section's key/values go into */
    unsigned section;       /* id of the current section */
    unsigned sections;      /* ids handed out so far */
};

static int value(struct doc *d, int depth, struct toml_value *out);

static void key_free(struct key *k)
{
    for (size_t i = 0; i < k->n; i++)
        free(k->parts[i].s);
    free(k->parts);
    k->parts = NULL;
    k->n = 0;
}

/* Key parts separated by dots (whitespace allowed around them). Leaves the cursor after the
 * whitespace that follows the key. */
static int parse_key(struct doc *d, struct key *k)
{
    struct toml_lex *lx = d->lx;

    for (;;) {
        toml_lex_skip_ws(lx);
        const char *at = lx->p;
        int rc = toml_lex_key_part(lx);
        if (rc < 0)
            return rc;
        if (k->n == TOML_MAX_DEPTH)
            return toml_lex_fail(lx, at, "key nests deeper than %d levels", TOML_MAX_DEPTH);
        if (k->n == k->cap) {
            k->cap = k->cap ? k->cap * 2 : 4;
            k->parts = xrealloc(k->parts, k->cap * sizeof(*k->parts));
        }
        k->parts[k->n++] =
            (struct key_part){xmemdup(buf_cstr(&lx->str), lx->str.len), lx->str.len, at};
        toml_lex_skip_ws(lx);
        if (toml_lex_peek(lx) != '.')
            return 0;
        lx->p++;
    }
}

/* The first `n` parts of `k` joined with dots, for messages. */
static const char *key_name(const struct key *k, size_t n, char *out, size_t size)
{
    size_t used = 0;

    out[0] = '\0';
    for (size_t i = 0; i < n && used < size; i++) {
        const struct key_part *p = &k->parts[i];
        bool bare = p->len > 0;
        for (size_t j = 0; j < p->len; j++)
            bare = bare && toml_lex_is_bare((unsigned char)p->s[j]);
        int w = snprintf(out + used, size - used, bare ? "%s%s" : "%s\"%s\"", i ? "." : "", p->s);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    return out;
}

/* Fails at part i of `k` with "<what> '<key up to that part>'". */
static int fail_key(struct doc *d, const struct key *k, size_t i, const char *what)
{
    char name[160];

    return toml_lex_fail(d->lx, k->parts[i].at, "%s '%s'", what,
                         key_name(k, i + 1, name, sizeof(name)));
}

static struct toml_table *add_table(struct doc *d, struct toml_table *t,
                                    const struct key_part *part, enum toml_table_kind kind)
{
    struct toml_value v = {.type = TOML_TABLE};

    v.u.tab = toml_tree_table_new(t->depth + 1, kind);
    v.u.tab->section = d->section;
    toml_lex_locate(d->lx, part->at, &v.line, &v.col);
    toml_tree_add(t, part->s, part->len, &v);
    return v.u.tab;
}

static int too_deep(struct doc *d, const char *at)
{
    return toml_lex_fail(d->lx, at, "nesting deeper than %d levels", TOML_MAX_DEPTH);
}

/* Intermediate part i of a dotted key on the left of '=': steps into (or creates) a table the
 * current section may extend. */
static int descend_dotted(struct doc *d, struct toml_table **t, const struct key *k, size_t i)
{
    size_t idx = toml_tree_find(*t, k->parts[i].s, k->parts[i].len);

    if (idx == TOML_TREE_NONE) {
        if ((*t)->depth >= TOML_MAX_DEPTH)
            return too_deep(d, k->parts[i].at);
        *t = add_table(d, *t, &k->parts[i], TOML_TABLE_DOTTED);
        return 0;
    }
    const struct toml_value *v = &(*t)->ents[idx].val;
    if (v->type != TOML_TABLE)
        return fail_key(d, k, i, "cannot add keys to non-table");
    struct toml_table *tab = v->u.tab;
    switch (tab->kind) {
    case TOML_TABLE_INLINE:
        return fail_key(d, k, i, "cannot extend inline table");
    case TOML_TABLE_HEADER:
        return fail_key(d, k, i, "cannot add dotted keys to header-defined table");
    case TOML_TABLE_DOTTED:
        if (tab->section != d->section)
            return fail_key(d, k, i, "cannot extend dotted-key table from another section");
        break;
    case TOML_TABLE_IMPLICIT:
        tab->kind = TOML_TABLE_DOTTED;
        tab->section = d->section;
        break;
    }
    *t = tab;
    return 0;
}

/* key = value, into table `t` (the cursor is at the key). */
static int keyval(struct doc *d, struct toml_table *t)
{
    struct toml_lex *lx = d->lx;
    struct key k = {0};
    struct toml_value v;
    int rc = parse_key(d, &k);

    if (rc < 0)
        goto out;
    if (toml_lex_peek(lx) != '=') {
        rc = toml_lex_fail_expected(lx, "'=' after the key");
        goto out;
    }
    lx->p++;
    toml_lex_skip_ws(lx);
    for (size_t i = 0; i + 1 < k.n && rc == 0; i++)
        rc = descend_dotted(d, &t, &k, i);
    if (rc < 0)
        goto out;
    const struct key_part *last = &k.parts[k.n - 1];
    if (toml_tree_find(t, last->s, last->len) != TOML_TREE_NONE) {
        rc = fail_key(d, &k, k.n - 1, "duplicate key");
        goto out;
    }
    rc = value(d, t->depth + 1, &v);
    if (rc == 0)
        toml_tree_add(t, last->s, last->len, &v);
out:
    key_free(&k);
    return rc;
}

static int array(struct doc *d, int depth, struct toml_value *out)
{
    struct toml_lex *lx = d->lx;
    const char *open = lx->p;
    struct toml_value v;
    int rc;

    if (depth > TOML_MAX_DEPTH)
        return too_deep(d, open);
    struct toml_array *a = toml_tree_array_new(depth, false);
    lx->p++;
    for (;;) {
        rc = toml_lex_skip_blank(lx);
        if (rc < 0)
            goto out;
        if (toml_lex_peek(lx) == ']')
            break;
        if (toml_lex_peek(lx) < 0) {
            rc = toml_lex_fail(lx, open, "unterminated array");
            goto out;
        }
        rc = value(d, depth + 1, &v);
        if (rc < 0)
            goto out;
        toml_tree_push(a, &v);
        rc = toml_lex_skip_blank(lx);
        if (rc < 0)
            goto out;
        int c = toml_lex_peek(lx);
        if (c == ']')
            break;
        if (c < 0)
            rc = toml_lex_fail(lx, open, "unterminated array");
        else if (c != ',')
            rc = toml_lex_fail_expected(lx, "',' or ']'");
        if (rc < 0)
            goto out;
        lx->p++;
    }
    lx->p++;
    out->type = TOML_ARRAY;
    out->u.arr = a;
    a = NULL;
out:
    toml_tree_array_free(a);
    return rc;
}

/* { key = value, ... } on one line; its own section for dotted keys, frozen once closed. */
static int inline_table(struct doc *d, int depth, struct toml_value *out)
{
    struct toml_lex *lx = d->lx;
    const char *open = lx->p;
    unsigned outer = d->section;
    int rc = 0;

    if (depth > TOML_MAX_DEPTH)
        return too_deep(d, open);
    struct toml_table *t = toml_tree_table_new(depth, TOML_TABLE_INLINE);
    d->section = ++d->sections;
    lx->p++;
    toml_lex_skip_ws(lx);
    while (toml_lex_peek(lx) != '}') {
        if (toml_lex_peek(lx) < 0) {
            rc = toml_lex_fail(lx, open, "unterminated inline table");
            goto out;
        }
        rc = keyval(d, t);
        if (rc < 0)
            goto out;
        toml_lex_skip_ws(lx);
        int c = toml_lex_peek(lx);
        if (c == '}')
            break;
        if (c < 0)
            rc = toml_lex_fail(lx, open, "unterminated inline table");
        else if (c != ',')
            rc = toml_lex_fail_expected(lx, "',' or '}'");
        if (rc < 0)
            goto out;
        lx->p++;
        toml_lex_skip_ws(lx);
        if (toml_lex_peek(lx) == '}') {
            rc = toml_lex_fail(lx, lx->p, "trailing comma in inline table");
            goto out;
        }
    }
    lx->p++;
    out->type = TOML_TABLE;
    out->u.tab = t;
    t = NULL;
out:
    d->section = outer;
    toml_tree_table_free(t);
    return rc;
}

static int value(struct doc *d, int depth, struct toml_value *out)
{
    struct toml_lex *lx = d->lx;
    int c = toml_lex_peek(lx);

    *out = (struct toml_value){.type = TOML_INTEGER};
    toml_lex_locate(lx, lx->p, &out->line, &out->col);
    if (c == '"' || c == '\'') {
        int rc = toml_lex_string(lx);
        if (rc < 0)
            return rc;
        out->type = TOML_STRING;
        out->len = lx->str.len;
        out->u.str = xmemdup(buf_cstr(&lx->str), lx->str.len);
        return 0;
    }
    if (c == '[')
        return array(d, depth, out);
    if (c == '{')
        return inline_table(d, depth, out);
    return toml_scalar_parse(lx, out);
}

/* Intermediate part i of a header key: steps into (or creates) a table; through an array of
 * tables, into its last element. */
static int descend_header(struct doc *d, struct toml_table **t, const struct key *k, size_t i)
{
    size_t idx = toml_tree_find(*t, k->parts[i].s, k->parts[i].len);

    if (idx == TOML_TREE_NONE) {
        if ((*t)->depth >= TOML_MAX_DEPTH)
            return too_deep(d, k->parts[i].at);
        *t = add_table(d, *t, &k->parts[i], TOML_TABLE_IMPLICIT);
        return 0;
    }
    const struct toml_value *v = &(*t)->ents[idx].val;
    if (v->type == TOML_TABLE && v->u.tab->kind == TOML_TABLE_INLINE)
        return fail_key(d, k, i, "cannot extend inline table");
    if (v->type == TOML_TABLE) {
        *t = v->u.tab;
        return 0;
    }
    if (v->type == TOML_ARRAY && v->u.arr->is_table_array) {
        *t = v->u.arr->items[v->u.arr->len - 1].u.tab;
        return 0;
    }
    if (v->type == TOML_ARRAY)
        return fail_key(d, k, i, "cannot add tables to static array");
    return fail_key(d, k, i, "cannot add tables to non-table");
}

/* The last part of [a.b.c]: defines the table. */
static int define_table(struct doc *d, struct toml_table **t, const struct key *k)
{
    size_t i = k->n - 1;
    size_t idx = toml_tree_find(*t, k->parts[i].s, k->parts[i].len);

    if (idx == TOML_TREE_NONE) {
        if ((*t)->depth >= TOML_MAX_DEPTH)
            return too_deep(d, k->parts[i].at);
        *t = add_table(d, *t, &k->parts[i], TOML_TABLE_HEADER);
        return 0;
    }
    struct toml_value *v = &(*t)->ents[idx].val;
    if (v->type == TOML_ARRAY && v->u.arr->is_table_array)
        return fail_key(d, k, i, "cannot define table over array of tables");
    if (v->type != TOML_TABLE)
        return fail_key(d, k, i, "cannot define table over existing key");
    switch (v->u.tab->kind) {
    case TOML_TABLE_IMPLICIT:
        v->u.tab->kind = TOML_TABLE_HEADER;
        toml_lex_locate(d->lx, k->parts[i].at, &v->line, &v->col);
        *t = v->u.tab;
        return 0;
    case TOML_TABLE_INLINE:
        return fail_key(d, k, i, "cannot extend inline table");
    case TOML_TABLE_DOTTED:
        return fail_key(d, k, i, "table already defined by dotted keys");
    default:
        return fail_key(d, k, i, "table defined twice");
    }
}

/* The last part of [[a.b.c]]: appends a table to the array (creating it). */
static int append_table(struct doc *d, struct toml_table **t, const struct key *k)
{
    size_t i = k->n - 1;
    size_t idx = toml_tree_find(*t, k->parts[i].s, k->parts[i].len);
    struct toml_array *a;

    if ((*t)->depth + 2 > TOML_MAX_DEPTH)
        return too_deep(d, k->parts[i].at);
    if (idx == TOML_TREE_NONE) {
        struct toml_value v = {.type = TOML_ARRAY};
        v.u.arr = a = toml_tree_array_new((*t)->depth + 1, true);
        toml_lex_locate(d->lx, k->parts[i].at, &v.line, &v.col);
        toml_tree_add(*t, k->parts[i].s, k->parts[i].len, &v);
    } else {
        const struct toml_value *v = &(*t)->ents[idx].val;
        if (v->type == TOML_ARRAY && !v->u.arr->is_table_array)
            return fail_key(d, k, i, "cannot append to static array");
        if (v->type != TOML_ARRAY)
            return fail_key(d, k, i, "cannot append table to non-array");
        a = v->u.arr;
    }
    struct toml_value elem = {.type = TOML_TABLE};
    elem.u.tab = toml_tree_table_new(a->depth + 1, TOML_TABLE_HEADER);
    toml_lex_locate(d->lx, k->parts[i].at, &elem.line, &elem.col);
    toml_tree_push(a, &elem);
    *t = elem.u.tab;
    return 0;
}

/* [a.b] or [[a.b]] (the cursor is at the first '['). */
static int header(struct doc *d)
{
    struct toml_lex *lx = d->lx;
    bool is_array = toml_lex_at(lx, "[[");
    struct key k = {0};
    struct toml_table *t = d->root;

    lx->p += is_array ? 2 : 1;
    int rc = parse_key(d, &k);
    if (rc < 0)
        goto out;
    if (!toml_lex_at(lx, is_array ? "]]" : "]")) {
        rc = toml_lex_fail_expected(lx, is_array ? "']]'" : "']'");
        goto out;
    }
    lx->p += is_array ? 2 : 1;
    d->section = ++d->sections;
    for (size_t i = 0; i + 1 < k.n && rc == 0; i++)
        rc = descend_header(d, &t, &k, i);
    if (rc == 0)
        rc = is_array ? append_table(d, &t, &k) : define_table(d, &t, &k);
    if (rc == 0)
        d->cur = t;
out:
    key_free(&k);
    return rc;
}

int toml_doc_parse(struct toml_lex *lx, struct toml_table *root)
{
    struct doc d = {.lx = lx, .root = root, .cur = root};
    int rc = 0;

    if (toml_lex_at(lx, "\xEF\xBB\xBF"))
        lx->p += 3;
    while (rc == 0) {
        toml_lex_skip_ws(lx);
        int c = toml_lex_peek(lx);
        if (c < 0)
            break;
        if (c == '#' || c == '\n' || c == '\r') {
            rc = toml_lex_end_of_line(lx, "the comment");
        } else if (c == '[') {
            rc = header(&d);
            if (rc == 0)
                rc = toml_lex_end_of_line(lx, "the table header");
        } else {
            rc = keyval(&d, d.cur);
            if (rc == 0)
                rc = toml_lex_end_of_line(lx, "the value");
        }
    }
    return rc;
}
