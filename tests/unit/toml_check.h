/* Helpers shared by the TOML unit tests (test_toml.c, test_toml_errors.c): parse or expect an
 * error at an exact line:column, walk dotted paths, read typed values, load fixtures. */
#ifndef SVC_TESTS_TOML_CHECK_H
#define SVC_TESTS_TOML_CHECK_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "harness.h"
#include "toml.h"

/* Helpers take the caller's line so that a failure points at the test, not here. */
#define PARSE(doc)                parse_ok(__LINE__, (doc), strlen(doc))
#define GET(t, path)              get_path(__LINE__, (t), (path))
#define EXPECT_ERR(doc, l, c, m)  expect_err(__LINE__, (doc), strlen(doc), (l), (c), (m))
#define EXPECT_ERRN(doc, l, c, m) expect_err(__LINE__, (doc), sizeof(doc) - 1, (l), (c), (m))

static inline struct toml_table *parse_ok(int at, const char *doc, size_t len)
{
    struct err_msg err = {0};
    struct toml_table *t = toml_parse(doc, len, &err);

    if (t == NULL) {
        fprintf(stderr, "%s:%d: parse failed at %d:%d: %s\n", __FILE__, at, err.line, err.col,
                err.msg);
        exit(1);
    }
    return t;
}

static inline void expect_err(int at, const char *doc, size_t len, int line, int col,
                              const char *msg)
{
    struct err_msg err = {0};
    struct toml_table *t = toml_parse(doc, len, &err);

    if (t != NULL) {
        fprintf(stderr, "%s:%d: parse succeeded, expected %d:%d: %s\n", __FILE__, at, line, col,
                msg);
        exit(1);
    }
    if (err.line != line || err.col != col || strstr(err.msg, msg) == NULL) {
        fprintf(stderr, "%s:%d: expected %d:%d: %s\n  got %d:%d: %s\n", __FILE__, at, line, col,
                msg, err.line, err.col, err.msg);
        exit(1);
    }
}

/* Follows a dotted path of bare keys; a numeric part indexes an array. */
static inline const struct toml_value *get_path(int at, const struct toml_table *t,
                                                const char *path)
{
    const struct toml_value *v = NULL;
    char part[128];

    while (*path != '\0') {
        size_t n = strcspn(path, ".");
        memcpy(part, path, n);
        part[n] = '\0';
        path += n + (path[n] == '.');
        if (v != NULL && toml_value_type(v) == TOML_ARRAY)
            v = toml_array_at(toml_value_array(v), (size_t)strtoul(part, NULL, 10));
        else
            v = toml_table_get(v != NULL ? toml_value_table(v) : t, part);
        if (v == NULL) {
            fprintf(stderr, "%s:%d: no value at '%s'\n", __FILE__, at, part);
            exit(1);
        }
    }
    return v;
}

static inline const char *str_of(const struct toml_value *v)
{
    const char *s = toml_value_string(v, NULL);

    ASSERT_NOT_NULL(s);
    return s;
}

static inline long long int_of(const struct toml_value *v)
{
    ASSERT_EQ(toml_value_type(v), TOML_INTEGER);
    return toml_value_integer(v);
}

static inline double float_of(const struct toml_value *v)
{
    ASSERT_EQ(toml_value_type(v), TOML_FLOAT);
    return toml_value_float(v);
}

static inline const char *dt_of(const struct toml_value *v, enum toml_datetime_kind kind)
{
    enum toml_datetime_kind k;
    const char *s = toml_value_datetime(v, &k);

    ASSERT_NOT_NULL(s);
    ASSERT_EQ(k, kind);
    return s;
}

static inline char *fixture_path(const char *name)
{
    static char path[1024];
    const char *slash = strrchr(__FILE__, '/');
    int dir = slash != NULL ? (int)(slash - __FILE__) : 1;

    snprintf(path, sizeof(path), "%.*s/../fixtures/toml/%s", dir, slash ? __FILE__ : ".", name);
    return path;
}

static inline struct toml_table *parse_fixture(const char *name, struct err_msg *err)
{
    struct buf text;

    buf_init(&text, TOML_MAX_BYTES);
    ASSERT_OK(buf_read_file(&text, fixture_path(name)));
    struct toml_table *t = toml_parse(text.data, text.len, err);
    buf_free(&text);
    return t;
}

#endif
