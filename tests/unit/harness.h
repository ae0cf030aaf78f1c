/* Minimal unit-test harness. Each TEST() is one case; the test binary runs the case named on
 * its command line (each case is its own CTest test) or every case when run without one.
 * A failed assertion prints both values with file:line and exits the process with 1. */
#ifndef SVC_TESTS_HARNESS_H
#define SVC_TESTS_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

struct harness_case {
    const char *name;
    void (*fn)(void);
};

#define TEST(name) static void name(void)
#define CASE(name)                                                                                 \
    {                                                                                              \
#name, name                                                                                \
    }

#define HARNESS_FAIL_(...)                                                                         \
    do {                                                                                           \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);                                            \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        exit(1);                                                                                   \
    } while (0)

#define ASSERT_TRUE(c)                                                                             \
    do {                                                                                           \
        if (!(c))                                                                                  \
            HARNESS_FAIL_("expected true: %s", #c);                                                \
    } while (0)
#define ASSERT_FALSE(c) ASSERT_TRUE(!(c))

#define ASSERT_EQ(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            HARNESS_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_);                               \
    } while (0)
#define ASSERT_NE(a, b)                                                                            \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ == b_)                                                                              \
            HARNESS_FAIL_("%s != %s: both %lld", #a, #b, a_);                                      \
    } while (0)
#define ASSERT_LE(a, b)                                                                            \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(a_ <= b_))                                                                           \
            HARNESS_FAIL_("%s <= %s: %g > %g", #a, #b, a_, b_);                                    \
    } while (0)
#define ASSERT_LT(a, b)                                                                            \
    do {                                                                                           \
        double a_ = (double)(a), b_ = (double)(b);                                                 \
        if (!(a_ < b_))                                                                            \
            HARNESS_FAIL_("%s < %s: %g >= %g", #a, #b, a_, b_);                                    \
    } while (0)

#define ASSERT_STR_EQ(a, b)                                                                        \
    do {                                                                                           \
        const char *a_ = (a), *b_ = (b);                                                           \
        if (a_ == NULL || b_ == NULL || strcmp(a_, b_) != 0)                                       \
            HARNESS_FAIL_("%s == %s:\n  \"%s\"\n  \"%s\"", #a, #b, a_ ? a_ : "(null)",             \
                          b_ ? b_ : "(null)");                                                     \
    } while (0)

#define ASSERT_CONTAINS(hay, needle)                                                               \
    do {                                                                                           \
        const char *h_ = (hay), *n_ = (needle);                                                    \
        if (h_ == NULL || strstr(h_, n_) == NULL)                                                  \
            HARNESS_FAIL_("%s contains %s:\n  \"%s\"\n  \"%s\"", #hay, #needle,                    \
                          h_ ? h_ : "(null)", n_);                                                 \
    } while (0)

#define ASSERT_OK(rc)                                                                              \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        if (rc_ < 0)                                                                               \
            HARNESS_FAIL_("%s failed: %d (%s)", #rc, rc_, err_str(rc_));                           \
    } while (0)

#define ASSERT_NULL(p)     ASSERT_TRUE((p) == NULL)
#define ASSERT_NOT_NULL(p) ASSERT_TRUE((p) != NULL)

static inline int harness_run(const struct harness_case *cases, size_t n, int argc, char **argv)
{
    for (size_t i = 0; i < n; i++) {
        if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
            continue;
        cases[i].fn();
        if (argc > 1)
            return 0;
        printf("ok %s\n", cases[i].name);
    }
    if (argc > 1) {
        fprintf(stderr, "no test case named %s\n", argv[1]);
        return 2;
    }
    return 0;
}

#define HARNESS_MAIN(...)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        static const struct harness_case cases_[] = {__VA_ARGS__};                                 \
        return harness_run(cases_, sizeof(cases_) / sizeof(cases_[0]), argc, argv);                \
    }

#endif
