/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The descriptor audit. Sockets opened before keep working: that is the contract, where
 * the kernel can stop them being re-aimed. seccomp sees no descriptor's kind, so every
 * descriptor held at restriction time is judged here, once:
 *  - a socket of a refused family passes only where Landlock polices it: TCP (ABI 4) that is
 *    connected or listening (an unconnected one could listen() on a port of its own), UDP
 *    (ABI 10). MPTCP, SCTP, raw, packet and the rest are policed by nothing;
 *  - network devices (tun/tap, macvtap, vhost, RDMA, ppp) put frames on the wire with write();
 *  - an io_uring instance runs requests seccomp never sees (with SQPOLL, without a system call).
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int sockopt(int fd, int level, int name, int *ret) {
        socklen_t len = sizeof(*ret);
        return getsockopt(fd, level, name, ret, &len) < 0 ? negative_errno() : 0;
}

/* Whether a socket of a refused family stays where it is under the plan's Landlock rows. */
static bool socket_settled(struct plan *pl, int fd, int family, int type, int protocol) {
        if (!plan_polices_net(pl) || (family != AF_INET && family != AF_INET6))
                return false;
        if (type == SOCK_DGRAM && protocol == IPPROTO_UDP)
                return pl->rows & NONET_ROW_UDP; /* bind, connect and sendto to an address refused */
        if (type != SOCK_STREAM || protocol != IPPROTO_TCP || !(pl->rows & NONET_ROW_TCP))
                return false;
        struct tcp_info info;
        socklen_t len = sizeof(info);
        if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) < 0 || info.tcpi_state == TCP_CLOSE)
                return false; /* unconnected: listen() binds a port of its own, which Landlock does not see */
        pl->tcp_held = true;
        return true;
}

static int held(struct nonet_result *r, int fd, enum nonet_held kind) {
        r->unpoliced_fd = fd;
        r->held = kind;
        return 1;
}

static int judge_socket(struct plan *pl, int fd, struct nonet_result *r) {
        int family = -1, type = -1, protocol = -1;
        /* A socket whose kind cannot be read (an LSM may deny it) is judged the worst way. */
        if (sockopt(fd, SOL_SOCKET, SO_DOMAIN, &family) < 0 || family < 0)
                goto door;
        if (family == AF_UNIX || family == AF_NETLINK ||
            (family < NONET_FAMILY_MAX && (plan_held_allowed(pl) & (UINT64_C(1) << family))))
                return 0; /* local, or of a family the policy keeps */
        if (sockopt(fd, SOL_SOCKET, SO_TYPE, &type) < 0 || sockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) < 0)
                goto door;
        if (socket_settled(pl, fd, family, type, protocol))
                return 0;
door:
        r->unpoliced_family = family, r->unpoliced_type = type, r->unpoliced_protocol = protocol;
        return held(r, fd, NONET_HELD_SOCKET);
}

/* A character device by its sysfs name: /sys/dev/char/MAJ:MIN points into its class. */
static enum nonet_held device_by_sysfs(dev_t rdev) {
        static const struct {
                const char *part;
                enum nonet_held kind;
        } classes[] = {
                { "/macvtap/", NONET_HELD_MACVTAP }, { "/ipvtap/", NONET_HELD_MACVTAP },
                { "/infiniband", NONET_HELD_RDMA },  { "/misc/rdma_cm", NONET_HELD_RDMA },
                { "/misc/tun", NONET_HELD_TUN },     { "/misc/vhost-", NONET_HELD_VHOST },
                { "/ppp/", NONET_HELD_PPP },
        };
        char path[64], target[512];
        snprintf(path, sizeof(path), "/sys/dev/char/%u:%u", major(rdev), minor(rdev));
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                /* no sysfs to ask: a device that cannot be told apart is judged the worst way */
                return access("/sys/dev/char", F_OK) == 0 ? NONET_HELD_NONE : NONET_HELD_UNKNOWN_DEVICE;
        target[n] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(classes); i++)
                if (strstr(target, classes[i].part))
                        return classes[i].kind;
        return NONET_HELD_NONE;
}

static enum nonet_held judge_device(dev_t rdev) {
        unsigned maj = major(rdev), min = minor(rdev);
        /* The common ones, without asking sysfs: memory devices, terminals, ptys. */
        if (maj == 1 || maj == 4 || maj == 5 || (maj >= 136 && maj <= 143))
                return NONET_HELD_NONE;
        if (maj == 10 && min == 200)
                return NONET_HELD_TUN;
        if (maj == 10 && (min == 238 || min == 241))
                return NONET_HELD_VHOST;
        if (maj == 108)
                return NONET_HELD_PPP;
        if (maj == 231)
                return NONET_HELD_RDMA;
        return device_by_sysfs(rdev);
}

static bool is_io_uring(int fd) {
        char path[64], target[32];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return strcmp(target, "anon_inode:[io_uring]") == 0;
}

static int judge(struct plan *pl, int fd, struct nonet_result *r) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return 0; /* closed meanwhile, by another thread */
        switch (st.st_mode & S_IFMT) {
        case S_IFSOCK:
                return judge_socket(pl, fd, r);
        case S_IFCHR: {
                enum nonet_held kind = judge_device(st.st_rdev);
                return kind == NONET_HELD_NONE ? 0 : held(r, fd, kind);
        }
        case S_IFDIR:
        case S_IFBLK:
        case S_IFIFO:
                return 0;
        }
        /* regular files, and anonymous inodes (of no type on older kernels) */
        return is_io_uring(fd) ? held(r, fd, NONET_HELD_IO_URING) : 0;
}

static bool closed_on_exec(int fd) {
        int flags = fcntl(fd, F_GETFD);
        return flags >= 0 && (flags & FD_CLOEXEC);
}

struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

int descriptors_audit(struct plan *pl, struct nonet_result *r) {
        char buf[4096] __attribute__((aligned(8)));
        long n;

        if (pl->policy.inherited == NONET_INHERITED_ACCEPT || pl->policy.refusals == NONET_LOG_ONLY)
                return 0;
        _cleanup_close_ int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return negative_errno(); /* no /proc: cannot tell, so closed */
        while ((n = syscall(__NR_getdents64, dir, buf, sizeof(buf))) > 0)
                for (long off = 0; off < n;) {
                        struct linux_dirent64 *de = (struct linux_dirent64 *) (buf + off);
                        off += de->d_reclen;
                        if (de->d_name[0] < '0' || de->d_name[0] > '9')
                                continue;
                        int fd = (int) strtol(de->d_name, NULL, 10);
                        if (fd == dir || (pl->policy.inherited == NONET_INHERITED_EXEC && closed_on_exec(fd)))
                                continue;
                        if (judge(pl, fd, r))
                                return 1;
                }
        return n < 0 ? negative_errno() : 0;
}
