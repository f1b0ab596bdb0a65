/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sockets opened before keep working: that is the contract. But a socket that is
 * neither connected nor listening can still be pointed anywhere, and seccomp cannot see
 * a descriptor's protocol at connect(): only Landlock polices that, and only for TCP
 * (ABI 4) and UDP (ABI 10). An unconnected MPTCP, SCTP, raw or packet socket, or a UDP
 * one before ABI 10, would reach the network: found here, at restriction time.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

static int sockopt(int fd, int name) {
        int v = -1;
        socklen_t len = sizeof(v);
        return getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0 ? -1 : v;
}

/* Whether this kernel's Landlock, at abi, refuses connect/bind of the socket. */
static bool policed(const struct nonet_policy *p, int abi, int family, int type, int protocol) {
        if (abi <= 0 || !landlock_polices_net(p) || (family != AF_INET && family != AF_INET6))
                return false;
        if (type == SOCK_STREAM && protocol == IPPROTO_TCP)
                return abi >= LANDLOCK_ABI_NET_TCP;
        if (type == SOCK_DGRAM && protocol == IPPROTO_UDP)
                return abi >= LANDLOCK_ABI_NET_UDP;
        return false; /* MPTCP (landlock-lsm/linux#54), SCTP, UDP-Lite, raw */
}

/* One descriptor: 1 if it is such a socket, with its kind in r. */
static int check_fd(const struct nonet_policy *p, int abi, int fd, struct nonet_result *r) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int family = sockopt(fd, SO_DOMAIN);
        if (family < 0 || family == AF_UNIX || (family < NONET_FAMILY_MAX && (p->allow & (UINT64_C(1) << family))))
                return 0; /* not a socket, a unix one, or of a family the policy keeps */
        if (sockopt(fd, SO_ACCEPTCONN) == 1 || getpeername(fd, (struct sockaddr *) &peer, &len) == 0)
                return 0; /* listening, or connected: where it goes is settled */
        int type = sockopt(fd, SO_TYPE), protocol = sockopt(fd, SO_PROTOCOL);
        if (policed(p, abi, family, type, protocol))
                return 0;
        r->unpoliced_fd = fd, r->unpoliced_family = family, r->unpoliced_type = type, r->unpoliced_protocol = protocol;
        return 1;
}

struct linux_dirent64 {
        uint64_t d_ino;
        int64_t d_off;
        unsigned short d_reclen;
        unsigned char d_type;
        char d_name[];
};

int inherited_unpoliced(const struct nonet_policy *p, int abi, struct nonet_result *r) {
        _cleanup_close_ int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char buf[4096] __attribute__((aligned(8)));
        long n;

        if (p->inherited == NONET_INHERITED_ACCEPT || p->refusals == NONET_LOG_ONLY)
                return 0;
        if (dir < 0)
                return negative_errno(); /* no /proc: cannot tell, so closed */
        while ((n = syscall(__NR_getdents64, dir, buf, sizeof(buf))) > 0)
                for (long off = 0; off < n;) {
                        struct linux_dirent64 *de = (struct linux_dirent64 *) (buf + off);
                        off += de->d_reclen;
                        int fd = (int) strtol(de->d_name, NULL, 10);
                        if (de->d_name[0] >= '0' && de->d_name[0] <= '9' && fd != dir && check_fd(p, abi, fd, r))
                                return 1;
                }
        return n < 0 ? negative_errno() : 0;
}
