/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "calls.h"
#include "nonet.h"
#include "util.h"

const struct refused_call refused_calls[] = {
        /* Ring operations (IORING_OP_SOCKET) bypass seccomp; ENOSYS makes runtimes use epoll. */
        { "io_uring_setup", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "io_uring_enter", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "io_uring_register", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "ptrace", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "process_vm_readv", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "process_vm_writev", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "pidfd_getfd", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        /* The kernel's upcalls run /sbin/request-key as root, outside: the dns_resolver key type
         * sends a DNS query for any name it is asked. seccomp cannot read the type string. */
        { "request_key", EPERM, "EPERM", REFUSED_ALWAYS },
};
const size_t n_refused_calls = ELEMENTSOF(refused_calls);

#include <sys/ioctl.h>

/* Where Debian 12's headers (Linux 6.1) have them, checked against them. */
#define TIOCSTI_ 0x5412u
#define TIOCLINUX_ 0x541cu
#define TUNSETIFF_ 0x400454cau             /* _IOW('T', 202, int) */
#define TUNSETQUEUE_ 0x400454d9u           /* _IOW('T', 217, int) */
#define VHOST_SET_OWNER_ 0xaf01u           /* _IO(VHOST_VIRTIO, 0x01) */
#define VHOST_NET_SET_BACKEND_ 0x4008af30u /* _IOW(VHOST_VIRTIO, 0x30, struct vhost_vring_file) */
#define RDMA_VERBS_IOCTL_ 0xc0181b01u      /* _IOWR(RDMA_IOCTL_MAGIC, 1, struct ib_uverbs_ioctl_hdr) */
#if __has_include(<linux/if_tun.h>)
#include <linux/if_tun.h>
_Static_assert(TUNSETIFF == TUNSETIFF_ && TUNSETQUEUE == TUNSETQUEUE_, "tun ioctls");
#endif
#if __has_include(<linux/vhost.h>)
#include <linux/vhost.h>
_Static_assert(VHOST_SET_OWNER == VHOST_SET_OWNER_ && VHOST_NET_SET_BACKEND == VHOST_NET_SET_BACKEND_, "vhost ioctls");
#endif
#if __has_include(<rdma/rdma_user_ioctl_cmds.h>)
#include <rdma/rdma_user_ioctl_cmds.h>
_Static_assert(RDMA_VERBS_IOCTL == RDMA_VERBS_IOCTL_, "RDMA verbs ioctl");
#endif
_Static_assert(TIOCSTI == TIOCSTI_ && TIOCLINUX == TIOCLINUX_, "terminal ioctls");

const struct refused_ioctl refused_ioctls[] = {
        /* typing into the terminal, or pasting on a console: input the shell that started the
         * program reads, and runs unrestricted, after it exits */
        { "TIOCSTI", TIOCSTI_, NONET_ROW_TERMINAL },
        { "TIOCLINUX", TIOCLINUX_, NONET_ROW_TERMINAL },
        /* attaching a tun/tap device (/dev/net/tun is 0666), a queue of it, a vhost worker or
         * its network backend, and the RDMA verbs: each carries traffic with write() alone after */
        { "TUNSETIFF", TUNSETIFF_, NONET_ROW_DEVICES },
        { "TUNSETQUEUE", TUNSETQUEUE_, NONET_ROW_DEVICES },
        { "VHOST_SET_OWNER", VHOST_SET_OWNER_, NONET_ROW_DEVICES },
        { "VHOST_NET_SET_BACKEND", VHOST_NET_SET_BACKEND_, NONET_ROW_DEVICES },
        { "RDMA_VERBS_IOCTL", RDMA_VERBS_IOCTL_, NONET_ROW_DEVICES },
};
const size_t n_refused_ioctls = ELEMENTSOF(refused_ioctls);

#define SIOCGSKNS_ 0x894cu              /* a socket's network namespace */
#define PIDFD_GET_NET_NAMESPACE_ 0xff04u /* _IO(PIDFS_IOCTL_MAGIC, 4), Linux 6.11: a process's */
#include <linux/sockios.h>
_Static_assert(SIOCGSKNS == SIOCGSKNS_, "SIOCGSKNS");
#if __has_include(<linux/pidfd.h>)
#include <linux/pidfd.h>
#ifdef PIDFD_GET_NET_NAMESPACE
_Static_assert(PIDFD_GET_NET_NAMESPACE == PIDFD_GET_NET_NAMESPACE_, "PIDFD_GET_NET_NAMESPACE");
#endif
#endif

const struct refused_ioctl netns_ioctls[] = {
        { "SIOCGSKNS", SIOCGSKNS_, NONET_ROW_LOOPBACK },
        { "PIDFD_GET_NET_NAMESPACE", PIDFD_GET_NET_NAMESPACE_, NONET_ROW_LOOPBACK },
};
const size_t n_netns_ioctls = ELEMENTSOF(netns_ioctls);
