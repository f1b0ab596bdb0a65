/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system calls the contract refuses whatever their arguments: one table for the
 * seccomp filter, the systemd drop-in and the tests. */

#include <stddef.h>
#include <stdint.h>

enum refused_when {
        REFUSED_ALWAYS,
        REFUSED_WITHOUT_LANDLOCK, /* reaching into another process: a Landlock domain scopes these instead */
};

struct refused_call {
        const char *name;       /* as libseccomp and systemd's SystemCallFilter= know it */
        int error;              /* the errno it gets */
        const char *error_name; /* the same, as SystemCallFilter= writes it */
        enum refused_when when;
};

extern const struct refused_call refused_calls[];
extern const size_t n_refused_calls;

/* The ioctl commands refused (EPERM) whatever the descriptor; the kernel reads the command
 * as an unsigned int, so the filter compares its low 32 bits. */
struct refused_ioctl {
        const char *name;
        unsigned cmd;
        uint64_t row; /* NONET_ROW_TERMINAL or NONET_ROW_DEVICES */
};
extern const struct refused_ioctl refused_ioctls[];
extern const size_t n_refused_ioctls;

/* Under a private loopback, the ioctls that give a descriptor of another network namespace
 * (refused, EPERM); setns() into one is refused beside them (filter.c). */
extern const struct refused_ioctl netns_ioctls[];
extern const size_t n_netns_ioctls;
