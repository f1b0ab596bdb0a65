/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/* A few lines of TAP, so meson counts each test case. */

#include <stdarg.h>
#include <stdio.h>

static int tap_failed_now, tap_count, tap_failures;

static void tap_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tap_fail(const char *file, int line, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        printf("# %s:%d: ", file, line);
        vprintf(fmt, ap);
        putchar('\n');
        va_end(ap);
        tap_failed_now = 1;
}

#define CHECK(cond, ...)                                                \
        do {                                                            \
                if (!(cond))                                            \
                        tap_fail(__FILE__, __LINE__, __VA_ARGS__);      \
        } while (0)

#define CHECK_EQ(a, b)                                                                          \
        do {                                                                                    \
                long long a_ = (long long) (a), b_ = (long long) (b);                           \
                if (a_ != b_)                                                                   \
                        tap_fail(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #a, a_, #b, b_); \
        } while (0)

#define RUN(test)                                                               \
        do {                                                                    \
                tap_failed_now = 0;                                             \
                fflush(stdout);                                                 \
                test();                                                         \
                printf("%sok %d - %s\n", tap_failed_now ? "not " : "", ++tap_count, #test); \
                tap_failures += tap_failed_now;                                 \
        } while (0)

static inline int tap_done(void) {
        printf("1..%d\n", tap_count);
        return tap_failures ? 1 : 0;
}
