/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Landlock layer: the rows the plan gives, as one ruleset. */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <linux/landlock.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

/* Debian 12's headers (Linux 6.1) stop at ABI 2: define what they lack. */
#ifndef __NR_landlock_create_ruleset
#define __NR_landlock_create_ruleset 444
#endif
#ifndef __NR_landlock_add_rule
#define __NR_landlock_add_rule 445
#endif
#ifndef __NR_landlock_restrict_self
#define __NR_landlock_restrict_self 446
#endif
#ifndef LANDLOCK_CREATE_RULESET_VERSION
#define LANDLOCK_CREATE_RULESET_VERSION (1U << 0)
#endif
#ifndef LANDLOCK_ACCESS_FS_MAKE_BLOCK
#define LANDLOCK_ACCESS_FS_MAKE_BLOCK (1ULL << 11)
#endif
#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_TCP
#define LANDLOCK_ACCESS_NET_BIND_TCP (1ULL << 0)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_TCP
#define LANDLOCK_ACCESS_NET_CONNECT_TCP (1ULL << 1)
#endif
#ifndef LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET
#define LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0)
#endif
/* ABI 7 (Linux 6.15), 8 (7.0) and 10 (7.2), as in 7.2's uapi linux/landlock.h. */
#ifndef LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
#define LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON (1U << 1)
#endif
#ifndef LANDLOCK_RESTRICT_SELF_TSYNC
#define LANDLOCK_RESTRICT_SELF_TSYNC (1U << 3)
#endif
#ifndef LANDLOCK_ACCESS_NET_BIND_UDP
#define LANDLOCK_ACCESS_NET_BIND_UDP (1ULL << 2)
#endif
#ifndef LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP
#define LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP (1ULL << 3)
#endif
/* ABI 9 (Linux 7.1) */
#ifndef LANDLOCK_ACCESS_FS_RESOLVE_UNIX
#define LANDLOCK_ACCESS_FS_RESOLVE_UNIX (1ULL << 16)
#endif

/* struct landlock_ruleset_attr as of ABI 6; the kernel takes a prefix of it. */
struct ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net;
        uint64_t scoped;
};

struct path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

#define LANDLOCK_RULE_PATH_BENEATH_ 1
#define LANDLOCK_ABI_LOG 7 /* the restrict_self flags for Landlock's audit records */

int landlock_abi(void) {
        long abi = syscall(__NR_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 0)
                return negative_errno();
        return (int) abi;
}

/* Allow access beneath path (a directory, or one file). */
static int allow_beneath(int ruleset_fd, const char *path, uint64_t access) {
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        struct path_beneath_attr rule = { .allowed_access = access, .parent_fd = fd };
        if (syscall(__NR_landlock_add_rule, ruleset_fd, LANDLOCK_RULE_PATH_BENEATH_, &rule, 0) < 0)
                return negative_errno();
        return 0;
}

/* The filesystem rights a domain handles, for what the plan asks: none where the net rights
 * make the domain. A domain that handles any filesystem right refuses REFER (a rename or link
 * into another directory) unless a rule allows it, whether REFER is handled or not (landlock.rst,
 * "Filesystem flags"); and it refuses mount() and pivot_root() whatever its rules. */
static uint64_t handled_fs(uint64_t rows, const struct nonet_policy *p) {
        uint64_t fs = rows & NONET_ROW_TCP ? 0 : LANDLOCK_ACCESS_FS_MAKE_BLOCK;
        /* brokers closed: so that umount() cannot take the masks away, not even root's */
        if (p->brokers == NONET_BROKERS_CLOSED)
                fs |= LANDLOCK_ACCESS_FS_MAKE_BLOCK;
        /* listed: connect() and sendmsg() to a named socket outside only beneath the paths listed */
        if (rows & NONET_ROW_LISTED)
                fs |= LANDLOCK_ACCESS_FS_RESOLVE_UNIX;
        return fs ? fs | LANDLOCK_ACCESS_FS_REFER : 0;
}

int landlock_apply(int abi, const struct nonet_policy *p) {
        struct ruleset_attr attr = { 0 };
        uint64_t rows = plan_landlock_rows(abi, p);
        size_t size = offsetof(struct ruleset_attr, handled_access_net);

        /* ABI 1 cannot allow REFER: the plan gives it no rows, so ptrace is refused by seccomp. */
        if (abi < 2 || rows == 0)
                return -EINVAL;
        /* Every domain isolates ptrace, /proc/PID/mem, process_vm_* and pidfd_getfd. The net
         * rights only where the plan gives them: handled without a rule, they refuse every bind
         * and connect. A ruleset must handle some access: otherwise it handles MAKE_BLOCK, which
         * no unprivileged program can use, and allows it beneath / with REFER. */
        if (rows & NONET_ROW_TCP) {
                attr.handled_access_net = LANDLOCK_ACCESS_NET_BIND_TCP | LANDLOCK_ACCESS_NET_CONNECT_TCP;
                if (rows & NONET_ROW_UDP)
                        attr.handled_access_net |= LANDLOCK_ACCESS_NET_BIND_UDP | LANDLOCK_ACCESS_NET_CONNECT_SEND_UDP;
                size = offsetof(struct ruleset_attr, scoped);
        }
        if (rows & NONET_ROW_NO_ABSTRACT) {
                attr.scoped = LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET;
                size = sizeof(attr);
        }
        attr.handled_access_fs = handled_fs(rows, p);

        _cleanup_close_ int fd = (int) syscall(__NR_landlock_create_ruleset, &attr, size, 0);
        int r = fd < 0 ? negative_errno() : 0;
        if (r >= 0 && attr.handled_access_fs)
                r = allow_beneath(fd, "/", attr.handled_access_fs & ~LANDLOCK_ACCESS_FS_RESOLVE_UNIX);
        for (size_t i = 0; r >= 0 && (rows & NONET_ROW_LISTED) && i < p->n_unix_paths; i++)
                r = allow_beneath(fd, p->unix_paths[i], LANDLOCK_ACCESS_FS_RESOLVE_UNIX);
        if (r < 0)
                return r;
        /* With the threads row the domain reaches every thread, those already running too. Logged
         * refusals: Landlock's own too, of the programs executed after (ABI 7), not only ours. */
        unsigned flags = (rows & NONET_ROW_THREADS ? LANDLOCK_RESTRICT_SELF_TSYNC : 0) |
                         (abi >= LANDLOCK_ABI_LOG && p->refusals == NONET_REFUSE_AND_LOG
                                  ? LANDLOCK_RESTRICT_SELF_LOG_NEW_EXEC_ON
                                  : 0);
        if (syscall(__NR_landlock_restrict_self, fd, flags) < 0)
                return negative_errno();
        return abi;
}
