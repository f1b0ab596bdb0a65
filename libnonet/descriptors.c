/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The descriptor audit. Sockets opened before keep working: that is the contract, where
 * the kernel can stop them being re-aimed. seccomp sees no descriptor's kind, so every
 * descriptor held at restriction time is judged here, once:
 *  - a socket of a refused family passes only where Landlock polices it: TCP (ABI 4) that is
 *    connected or listening (an unconnected one could listen() on a port of its own), UDP
 *    (ABI 10). MPTCP, SCTP, raw, packet and the rest are policed by nothing;
 *  - network devices (tun/tap, macvtap, vhost, RDMA, ppp) put frames on the wire with write();
 *  - an io_uring instance runs requests seccomp never sees (with SQPOLL, without a system call);
 *  - a unix socket holds what is queued on it: descriptors in flight are judged as if held;
 *  - under a private loopback, a network namespace's file would lead back to the host's.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* The kernel refuses to pass unix sockets nested deeper than 4 (ETOOMANYREFS). */
#define CARRIED_DEPTH_MAX 6

/* The unix sockets whose queues are being read, outermost first: descriptors found there are
 * judged at depth > 0, and a socket queued on itself is not read twice. */
struct carriers {
        ino_t ino[CARRIED_DEPTH_MAX];
        int depth;
};

static int judge(struct plan *pl, int fd, struct nonet_result *r, struct carriers *c);

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

/*
 * The number of descriptors queued on a unix socket, in flight (scm_fds in fdinfo, since Linux
 * 5.7); -1 where the kernel does not say.
 */
static long queued_descriptors(int fd) {
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/thread-self/fdinfo/%d", fd);
        _cleanup_close_ int info = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = info < 0 ? -1 : read(info, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -1;
        buf[n] = '\0';
        const char *line = strstr(buf, "\nscm_fds:");
        return line ? strtol(line + strlen("\nscm_fds:"), NULL, 10) : -1;
}

/* What one peek carried: its descriptors judged, how many, and which (to tell a repeat). */
struct peeked {
        int verdict;
        long count;
        uint64_t fingerprint;
};

/*
 * Judge and close the descriptors one peek installed (close-on-exec, ours alone); close a pidfd
 * (SO_PASSPIDFD) too. Every one is closed, whatever the verdict.
 */
static struct peeked judge_peeked(struct plan *pl, struct msghdr *msg, struct nonet_result *r,
                                  struct carriers *c) {
        struct peeked p = { 0 };
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
                if (cm->cmsg_level != SOL_SOCKET || (cm->cmsg_type != SCM_RIGHTS && cm->cmsg_type != SCM_PIDFD))
                        continue;
                size_t n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < n; i++) {
                        int fd;
                        struct stat st;
                        memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
                        if (cm->cmsg_type == SCM_RIGHTS) {
                                p.count++;
                                if (fstat(fd, &st) == 0)
                                        p.fingerprint = p.fingerprint * 1000003 + (st.st_ino ^ st.st_dev);
                                if (p.verdict == 0 && (p.verdict = judge(pl, fd, r, c)) > 0 && r->in_flight == 0)
                                        r->in_flight = c->depth;
                        }
                        close(fd);
                }
        }
        return p;
}

/* One peek at the queue from the socket's peek offset, past what it returns. */
static ssize_t peek(int fd, struct msghdr *msg) {
        ssize_t n;
        while ((n = recvmsg(fd, msg, MSG_PEEK | MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        return n < 0 ? negative_errno() : n;
}

#define PEEKS_MAX 4096
#define PEEK_CHUNK 2048
#define PEEK_CHUNKS 32

/*
 * Read what a unix socket carries without taking it: MSG_PEEK installs a copy of each queued
 * descriptor, and the socket's peek offset (SO_PEEK_OFF, put back after) walks past each message
 * (stream: past the bytes up to and with the next that carry descriptors). Until as many as the
 * kernel counts were seen; fewer (an out-of-band byte's, a queue too long, descriptors beyond our
 * limit) cannot be ruled out, and are judged the worst way. A message longer than a peek is seen
 * again by the next: its descriptors are counted once (a set equal to the last is not counted,
 * which can only count too few).
 */
static int read_queue(struct plan *pl, int fd, long expected, struct nonet_result *r, struct carriers *c) {
        char data[PEEK_CHUNK], control[CMSG_SPACE(253 * sizeof(int)) + CMSG_SPACE(sizeof(int)) + 64]
                __attribute__((aligned(8)));
        struct iovec iov[PEEK_CHUNKS];
        struct peeked last = { 0 };
        bool cut = false; /* the last peek stopped inside a message */
        int old, zero = 0, type = -1;
        long seen = 0;

        for (size_t i = 0; i < ELEMENTSOF(iov); i++) /* 64 KiB a peek, into one buffer */
                iov[i] = (struct iovec) { data, sizeof(data) };
        if (sockopt(fd, SOL_SOCKET, SO_TYPE, &type) < 0 || sockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old) < 0 ||
            setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof(zero)) < 0)
                return held(r, fd, NONET_HELD_QUEUE);
        for (int i = 0; last.verdict == 0 && i < PEEKS_MAX && (expected < 0 || seen < expected); i++) {
                struct msghdr msg = { .msg_iov = iov, .msg_iovlen = ELEMENTSOF(iov),
                                      .msg_control = control, .msg_controllen = sizeof(control) };
                ssize_t n = peek(fd, &msg);
                /* the end; a stream socket not connected; a stream's end of file */
                if (n == -EAGAIN || n == -EINVAL || (n == 0 && type == SOCK_STREAM))
                        break;
                if (n < 0 || (msg.msg_flags & MSG_CTRUNC)) {
                        expected = LONG_MAX; /* some not seen */
                        if (n < 0)
                                break;
                }
                struct peeked p = judge_peeked(pl, &msg, r, c);
                if (!(cut && p.count == last.count && p.fingerprint == last.fingerprint))
                        seen += p.count;
                cut = (msg.msg_flags & MSG_TRUNC) || n == PEEK_CHUNK * PEEK_CHUNKS;
                last = p;
        }
        setsockopt(fd, SOL_SOCKET, SO_PEEK_OFF, &old, sizeof(old)); /* only peeks read it */
        if (last.verdict == 0 && expected >= 0 && seen < expected)
                return held(r, fd, NONET_HELD_QUEUE);
        return last.verdict;
}

/* A unix socket: what is queued on it, in flight, is held too, by whoever reads it. */
static int judge_unix(struct plan *pl, int fd, struct nonet_result *r, struct carriers *c) {
        struct stat st;
        long expected = queued_descriptors(fd);
        if (expected == 0 || fstat(fd, &st) < 0)
                return 0;
        for (int i = 0; i < c->depth; i++)
                if (c->ino[i] == st.st_ino)
                        return 0; /* queued on itself: being read already */
        if (c->depth >= CARRIED_DEPTH_MAX)
                return held(r, fd, NONET_HELD_QUEUE);
        c->ino[c->depth++] = st.st_ino;
        int verdict = read_queue(pl, fd, expected, r, c);
        c->depth--;
        return verdict;
}

static int judge_socket(struct plan *pl, int fd, struct nonet_result *r, struct carriers *c) {
        int family = -1, type = -1, protocol = -1;
        /* A socket whose kind cannot be read (an LSM may deny it) is judged the worst way. */
        if (sockopt(fd, SOL_SOCKET, SO_DOMAIN, &family) < 0 || family < 0)
                goto door;
        if (family == AF_UNIX)
                return judge_unix(pl, fd, r, c);
        if (family == AF_NETLINK ||
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

/* An anonymous inode or a namespace by what /proc calls it: "anon_inode:[io_uring]", "net:[4026531840]". */
static enum nonet_held judge_file(const struct plan *pl, int fd) {
        char path[64], target[32];
        snprintf(path, sizeof(path), "/proc/thread-self/fd/%d", fd);
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return NONET_HELD_NONE;
        target[n] = '\0';
        if (strcmp(target, "anon_inode:[io_uring]") == 0)
                return NONET_HELD_IO_URING;
        /* setns() is refused there too; a held one is judged all the same, as root's way back */
        if (pl->policy.netns == NONET_NETNS_PRIVATE_LOOPBACK && strncmp(target, "net:[", 5) == 0)
                return NONET_HELD_NAMESPACE;
        return NONET_HELD_NONE;
}

static int judge(struct plan *pl, int fd, struct nonet_result *r, struct carriers *c) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return 0; /* closed meanwhile, by another thread */
        switch (st.st_mode & S_IFMT) {
        case S_IFSOCK:
                return judge_socket(pl, fd, r, c);
        case S_IFCHR: {
                enum nonet_held kind = judge_device(st.st_rdev);
                return kind == NONET_HELD_NONE ? 0 : held(r, fd, kind);
        }
        case S_IFDIR:
        case S_IFBLK:
        case S_IFIFO:
                return 0;
        }
        /* regular files, namespaces, and anonymous inodes (of no type on older kernels) */
        enum nonet_held kind = judge_file(pl, fd);
        return kind == NONET_HELD_NONE ? 0 : held(r, fd, kind);
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

/*
 * The calling thread's table (/proc/thread-self: a thread that unshared CLONE_FILES has one of
 * its own, which its children inherit; /proc/self/fd is the first thread's). Other threads may
 * open, close and dup2 in a shared table meanwhile: each number is judged through a copy made
 * first, so that every question (fstat, getsockopt, fdinfo, the queue) is asked of one file,
 * the one the number held when copied; closed by then, it is held no more. Asked by number, a
 * socket closed and its number reused by a file between fstat and getsockopt was judged the
 * worst way (16 threads in PAM's account check: a few refusals in 1,600, tests/pam-loop.c).
 * What a race can change: a descriptor another thread opens, or moves with dup2, into a number
 * the walk has passed is not judged, and the caller's children inherit it where it is not
 * close-on-exec. After the filter (loaded on every thread) no thread makes a socket of a
 * refused family or an io_uring ring; what they open(), accept() or receive later is as a
 * descriptor received later (README).
 */
int descriptors_audit(struct plan *pl, struct nonet_result *r) {
        char buf[4096] __attribute__((aligned(8)));
        long n;

        if (pl->policy.inherited == NONET_INHERITED_ACCEPT || pl->policy.refusals == NONET_LOG_ONLY)
                return 0;
        _cleanup_close_ int dir = open("/proc/thread-self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
                        _cleanup_close_ int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
                        if (copy < 0 && errno == EBADF)
                                continue; /* closed meanwhile, by another thread */
                        if (copy < 0)
                                return negative_errno(); /* EMFILE: cannot tell, so closed */
                        struct carriers c = { .depth = 0 };
                        r->in_flight = 0;
                        if (judge(pl, copy, r, &c)) {
                                r->unpoliced_fd = fd; /* held, or what is queued on it */
                                return 1;
                        }
                }
        return n < 0 ? negative_errno() : 0;
}
