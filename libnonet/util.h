/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void *steal_ptr(void *pp) {
        void **p = pp, *v = *p;
        *p = NULL;
        return v;
}
#define steal_pointer(pp) steal_ptr(pp)

static inline int steal_fd(int *fd) {
        int v = *fd;
        *fd = -1;
        return v;
}

/* errno as a negative return value, never 0. */
static inline int negative_errno(void) {
        return errno > 0 ? -errno : -EIO;
}

/* Into a caller's struct of size bytes, older (shorter) or newer (longer) than ours (our_size):
 * what both know, and zeros for what only the caller knows. */
static inline void copy_out(void *ret, size_t size, const void *ours, size_t our_size) {
        if (!ret)
                return;
        memcpy(ret, ours, size < our_size ? size : our_size);
        if (size > our_size)
                memset((char *) ret + our_size, 0, size - our_size);
}
