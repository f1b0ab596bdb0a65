/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * probe CASE [ARG]...: try one thing a restricted process might do and exit
 * with 0 if it worked or with the errno it got (as bubblewrap's try-syscall).
 * 200 + n means the probe itself could not set up.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/io_uring.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "nonet.h"

#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_getfd
#define __NR_pidfd_getfd 438
#endif
#define X32_SYSCALL_BIT 0x40000000

#define SETUP_FAILED 200

static int result(long r) {
        return r < 0 ? errno : 0;
}

static int family(const char *name) {
        int f = nonet_family_from_name(name);
        if (f < 0) {
                fprintf(stderr, "probe: unknown family %s\n", name);
                exit(SETUP_FAILED);
        }
        return f;
}

static int type_for(int f) {
        return f == AF_PACKET || f == AF_NETLINK ? SOCK_RAW : f == AF_VSOCK ? SOCK_STREAM : SOCK_DGRAM;
}

static int do_socket(int argc, char **argv) {
        int f = family(argv[0]);
        return result(socket(f, type_for(f) | SOCK_CLOEXEC, 0));
}

/* The family as a raw 64-bit register value, e.g. 0x100000002. */
static int do_socket_raw(int argc, char **argv) {
        unsigned long v = strtoul(argv[0], NULL, 0);
        return result(syscall(__NR_socket, v, SOCK_DGRAM, 0));
}

static int do_socketpair(int argc, char **argv) {
        int fds[2];
        return result(socketpair(family(argv[0]), SOCK_STREAM | SOCK_CLOEXEC, 0, fds));
}

#if defined(__x86_64__)
/* The 32-bit entry point from a 64-bit process. */
static long int80(long nr, long a, long b, long c) {
        long ret;
        /* where the kernel faults the entry, die of it as any program would: not of ASan's report */
        signal(SIGSEGV, SIG_DFL);
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
        if (ret < 0 && ret > -4096) {
                errno = (int) -ret;
                return -1;
        }
        return ret;
}

static int do_int80_socket(int argc, char **argv) {
        return result(int80(359 /* i386 socket */, family(argv[0]), SOCK_DGRAM, 0));
}

/* Whether this kernel runs the 32-bit entry at all: getpid() through it. A kernel built without
 * IA32_EMULATION, or booted with ia32_emulation=off, answers int 0x80 with SIGSEGV. */
static int do_int80_getpid(int argc, char **argv) {
        return result(int80(20 /* i386 getpid */, 0, 0, 0));
}

static int do_int80_socketcall(int argc, char **argv) {
        /* socketcall(SYS_SOCKET, args): the family sits behind a 32-bit pointer. */
        uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
        if (args == MAP_FAILED)
                return SETUP_FAILED + 6;
        args[0] = (uint32_t) family(argv[0]);
        args[1] = SOCK_DGRAM;
        args[2] = 0;
        return result(int80(102, 1 /* SYS_SOCKET */, (long) (uintptr_t) args, 0));
}
#endif

static int do_x32_socket(int argc, char **argv) {
        return result(syscall(__NR_socket | X32_SYSCALL_BIT, family(argv[0]), SOCK_DGRAM, 0));
}

static int do_io_uring(int argc, char **argv) {
        struct io_uring_params p = { 0 };
        return result(syscall(__NR_io_uring_setup, 4, &p));
}

static int do_ptrace(int argc, char **argv) {
        pid_t pid = atoi(argv[0]);
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
                return errno;
        return 0;
}

static int do_proc_mem(int argc, char **argv) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%s/mem", argv[0]);
        return result(open(path, O_RDWR | O_CLOEXEC));
}

static int do_process_vm_readv(int argc, char **argv) {
        char buf[8];
        struct iovec local = { buf, sizeof(buf) };
        struct iovec remote = { (void *) strtoul(argv[1], NULL, 0), sizeof(buf) };
        return result(process_vm_readv(atoi(argv[0]), &local, 1, &remote, 1, 0));
}

static int do_pidfd_getfd(int argc, char **argv) {
        int pidfd = (int) syscall(__NR_pidfd_open, atoi(argv[0]), 0);
        if (pidfd < 0)
                return SETUP_FAILED + 1;
        return result(syscall(__NR_pidfd_getfd, pidfd, atoi(argv[1]), 0));
}

static int do_userns_socket(int argc, char **argv) {
        if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                return SETUP_FAILED + 2;
        return do_socket(argc, argv);
}

static socklen_t unix_addr(struct sockaddr_un *sa, const char *name, int abstract) {
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        size_t len = strlen(name);
        if (len + 1 >= sizeof(sa->sun_path))
                exit(SETUP_FAILED + 3);
        memcpy(sa->sun_path + (abstract ? 1 : 0), name, len);
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + len + 1); /* NUL or leading NUL */
}

static int connect_unix(const char *name, int abstract, int type) {
        struct sockaddr_un sa;
        socklen_t len = unix_addr(&sa, name, abstract);
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return SETUP_FAILED + 4;
        if (connect(fd, (struct sockaddr *) &sa, len) < 0)
                return errno;
        if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
                return errno;
        return 0;
}

static int do_unix_connect(int argc, char **argv) {
        return connect_unix(argv[0], 0, SOCK_STREAM);
}

static int do_abstract_connect(int argc, char **argv) {
        return connect_unix(argv[0], 1, SOCK_STREAM);
}

static int do_abstract_send(int argc, char **argv) {
        struct sockaddr_un sa;
        socklen_t len = unix_addr(&sa, argv[0], 1);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return SETUP_FAILED + 4;
        return result(sendto(fd, "x", 1, 0, (struct sockaddr *) &sa, len));
}

/* A server and client on a filesystem socket, or an abstract one, both inside. */
static int do_unix_local(int argc, char **argv) {
        int abstract = strcmp(argv[0], "abstract") == 0;
        const char *name = argv[1];
        struct sockaddr_un sa;
        socklen_t len = unix_addr(&sa, name, abstract);
        int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (srv < 0)
                return errno;
        if (bind(srv, (struct sockaddr *) &sa, len) < 0 || listen(srv, 1) < 0)
                return errno;
        int r = connect_unix(name, abstract, SOCK_STREAM);
        if (r != 0)
                return r;
        int c = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
        char ch;
        if (c < 0 || recv(c, &ch, 1, 0) != 1)
                return errno;
        if (!abstract)
                unlink(name);
        return 0;
}

static int do_send(int argc, char **argv) {
        int fd = atoi(argv[0]);
        char ch;
        if (send(fd, "ping", 4, MSG_NOSIGNAL) != 4)
                return errno;
        if (recv(fd, &ch, 1, 0) != 1)
                return errno ? errno : SETUP_FAILED + 5;
        return 0;
}

static int do_accept(int argc, char **argv) {
        int c = accept4(atoi(argv[0]), NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return errno;
        return send(c, "x", 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
}

static int inet_addr_of(struct sockaddr_in *sa, const char *port) {
        memset(sa, 0, sizeof(*sa));
        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t) atoi(port));
        sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return 0;
}

static int do_connect_fd(int argc, char **argv) {
        struct sockaddr_in sa;
        inet_addr_of(&sa, argv[1]);
        return result(connect(atoi(argv[0]), (struct sockaddr *) &sa, sizeof(sa)));
}

static int do_bind_fd(int argc, char **argv) {
        struct sockaddr_in sa;
        inet_addr_of(&sa, argv[1]);
        return result(bind(atoi(argv[0]), (struct sockaddr *) &sa, sizeof(sa)));
}

/* ioctl(0, CMD, " ") with CMD a raw 64-bit register value, e.g. 0x100005412: TIOCSTI with
 * upper bits the kernel ignores. Stdin must be a terminal; a space is harmless to a shell. */
static int do_ioctl_raw(int argc, char **argv) {
        unsigned long cmd = strtoul(argv[0], NULL, 0);
        return result(syscall(__NR_ioctl, 0, cmd, " "));
}

/* sendto() an address on an inherited, unconnected UDP socket (Landlock ABI 10 refuses it). */
static int do_sendto_fd(int argc, char **argv) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        return result(sendto(atoi(argv[0]), "x", 1, 0, (struct sockaddr *) &sa, sizeof(sa)));
}

struct thread_connect {
        pthread_barrier_t barrier;
        int fd, port, error;
};

static void *thread_connect(void *arg) {
        struct thread_connect *t = arg;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) t->port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        pthread_barrier_wait(&t->barrier); /* running before the restriction */
        pthread_barrier_wait(&t->barrier); /* the restriction is done */
        t->error = connect(t->fd, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? errno : 0;
        return NULL;
}

/* A thread started before this process calls nonet_restrict() connects an inherited TCP
 * socket: Landlock reaches it from ABI 8 (TSYNC). 100: the restriction failed. */
static int do_thread_connect_fd(int argc, char **argv) {
        struct thread_connect t = { .fd = atoi(argv[0]), .port = atoi(argv[1]) };
        pthread_t th;
        pthread_barrier_init(&t.barrier, NULL, 2);
        if (pthread_create(&th, NULL, thread_connect, &t) != 0)
                return SETUP_FAILED + 7;
        pthread_barrier_wait(&t.barrier);
        /* the held socket is accepted: this row is about the thread, not the audit */
        struct nonet_policy *p = nonet_policy_new();
        int r = p ? nonet_policy_set(p, NONET_ATTR_INHERITED, NONET_INHERITED_ACCEPT) : -ENOMEM;
        if (r >= 0)
                r = nonet_restrict(p, NULL, 0);
        nonet_policy_free(p);
        pthread_barrier_wait(&t.barrier);
        pthread_join(th, NULL);
        return r < 0 ? 100 : t.error;
}

/* Write an Ethernet frame on a tap descriptor (after a virtio-net header of hdr bytes, as
 * macvtap expects): a broadcast of nothing, of an experimental EtherType. */
static int frame_write(int fd, size_t hdr) {
        unsigned char buf[12 + 60] = { 0 };
        static const unsigned char head[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x88, 0xb5 };
        memcpy(buf + hdr, head, sizeof(head));
        return write(fd, buf, hdr + 60) == (ssize_t) (hdr + 60) ? 0 : errno;
}

static int do_frame_write(int fd) {
        return frame_write(fd, 0);
}

/* Attach the tun/tap device NAME (one an administrator gave this user) and write a frame. */
static int do_tun_attach(int argc, char **argv) {
        struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
        int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return SETUP_FAILED + 8;
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[0]);
        if (ioctl(fd, TUNSETIFF, &ifr) < 0)
                return errno;
        return do_frame_write(fd);
}

static int do_frame_write_fd(int argc, char **argv) {
        size_t hdr = (size_t) atoi(argv[1]);
        return hdr <= 12 ? frame_write(atoi(argv[0]), hdr) : SETUP_FAILED;
}

/* An io_uring instance (SQPOLL: with a kernel thread of its own) held across exec of CMD. */
static int do_with_ring(int argc, char **argv) {
        struct io_uring_params p = { .flags = strcmp(argv[0], "sqpoll") == 0 ? IORING_SETUP_SQPOLL : 0 };
        long fd = syscall(__NR_io_uring_setup, 4, &p);
        if (fd < 0)
                return errno;
        fcntl((int) fd, F_SETFD, 0); /* rings are made close-on-exec: leaked on purpose */
        execvp(argv[1], argv + 1);
        return SETUP_FAILED + 9;
}

/* As a launcher's plugin does (spank_nonet in slurmstepd's task): restrict with
 * NONET_INHERITED_EXEC while holding descriptor FD, close-on-exec ("cloexec") or not ("kept"),
 * then exec the command. 125 if nothing runs. */
static int do_restrict_exec(int argc, char **argv) {
        struct nonet_policy *p = nonet_policy_new();
        int fd = atoi(argv[1]);
        if (!p || fcntl(fd, F_SETFD, strcmp(argv[0], "cloexec") == 0 ? FD_CLOEXEC : 0) < 0 ||
            nonet_policy_set(p, NONET_ATTR_INHERITED, NONET_INHERITED_EXEC) < 0)
                return SETUP_FAILED + 11;
        if (nonet_restrict(p, NULL, 0) < 0)
                return 125;
        nonet_policy_free(p);
        execvp(argv[2], argv + 2);
        return SETUP_FAILED + 12;
}

/* An inherited connected TCP socket: disconnected (connect(AF_UNSPEC)), then aimed at the port
 * again with connect(), with TCP Fast Open's sendto(), or made to listen on a port of its own. */
static int disconnect(int fd) {
        struct sockaddr sa = { .sa_family = AF_UNSPEC };
        return connect(fd, &sa, sizeof(sa));
}

static int do_reaim_fd(int argc, char **argv) {
        struct sockaddr_in sa;
        int fd = atoi(argv[1]);
        inet_addr_of(&sa, argv[2]);
        if (disconnect(fd) < 0)
                return SETUP_FAILED + 10;
        if (strcmp(argv[0], "connect") == 0)
                return result(connect(fd, (struct sockaddr *) &sa, sizeof(sa)));
        if (strcmp(argv[0], "fastopen") == 0)
                return result(sendto(fd, "x", 1, MSG_FASTOPEN | MSG_NOSIGNAL, (struct sockaddr *) &sa, sizeof(sa)));
        return result(listen(fd, 1));
}

/* request_key() of a key nobody has, with no callout: the kernel's ENOKEY, or the filter's EPERM. */
static int do_request_key(int argc, char **argv) {
        return result(syscall(__NR_request_key, "user", "nonet-probe-no-such-key", NULL, 0));
}

/* ioctl(open(PATH), CMD, a zeroed buffer): the kernel's answer, or the filter's EPERM. */
static int do_ioctl_path(int argc, char **argv) {
        unsigned char buf[256] = { 0 };
        int fd = open(argv[0], O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return SETUP_FAILED + 12;
        return result(syscall(__NR_ioctl, fd, strtoul(argv[1], NULL, 0), buf));
}

/* request_key("dns_resolver", NAME): the kernel's upcall resolves NAME, as root, outside. */
static int do_dns_key(int argc, char **argv) {
        return result(syscall(__NR_request_key, "dns_resolver", argv[0], "", -2 /* KEY_SPEC_PROCESS_KEYRING */));
}

static volatile sig_atomic_t rt_signals;

static void count_rt(int sig) {
        rt_signals++;
}

/* Count the SIGRTMIN delivered for SECONDS (each is queued, none merged), then print the count. */
static int do_count_rt_signals(int argc, char **argv) {
        struct sigaction sa = { .sa_handler = count_rt };
        sigemptyset(&sa.sa_mask);
        if (sigaction(SIGRTMIN, &sa, NULL) < 0)
                return SETUP_FAILED + 11;
        printf("ready\n");
        fflush(stdout);
        struct timespec end, now;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += atoi(argv[0]);
        do {
                struct timespec nap = { 0, 1000000 };
                nanosleep(&nap, NULL);
                clock_gettime(CLOCK_MONOTONIC, &now);
        } while (now.tv_sec < end.tv_sec || (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
        printf("%d\n", (int) rt_signals);
        return 0;
}

/* Read PID's status in a loop for SECONDS, as --status --pid does; print the number of reads.
 * 0 if every read worked. */
static int do_read_status(int argc, char **argv) {
        pid_t pid = atoi(argv[0]);
        int failed = 0, reads = 0;
        time_t end = time(NULL) + atoi(argv[1]);
        while (time(NULL) < end) {
                struct nonet_status st;
                failed += nonet_status_pid(pid, &st, sizeof(st)) < 0 || !st.filters_read;
                reads++;
        }
        printf("%d\n", reads);
        return failed ? 1 : 0;
}

static int do_no_new_privs(int argc, char **argv) {
        return prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1;
}

/* 0 if running with euid 0 (a setuid-root copy of this probe gained privilege). */
static int do_euid_root(int argc, char **argv) {
        return geteuid() == 0 ? 0 : EPERM;
}

/* Receive one descriptor queued on unix socket FD (in flight before the restriction) and reach
 * 127.0.0.1:PORT with it: connect (TCP or UDP), then send a byte. */
static int do_recv_fd_reach(int argc, char **argv) {
        char byte, control[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
        struct iovec iov = { &byte, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof(control) };
        struct cmsghdr *cm = NULL;
        while (!cm) { /* past the bytes before it */
                msg.msg_controllen = sizeof(control);
                ssize_t n = recvmsg(atoi(argv[0]), &msg, MSG_CMSG_CLOEXEC);
                if (n < 0)
                        return errno;
                if (n == 0 && !CMSG_FIRSTHDR(&msg))
                        return SETUP_FAILED + 1;
                cm = CMSG_FIRSTHDR(&msg);
        }
        if (cm->cmsg_type != SCM_RIGHTS)
                return SETUP_FAILED + 1;
        int fd;
        memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
        struct sockaddr_in sa;
        inet_addr_of(&sa, argv[1]);
        if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return errno;
        return send(fd, "x", 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
}

/* In the network namespace of nsfd (0: as setns(fd, 0) takes any), connect to 127.0.0.1:PORT. */
static int reach_from(int nsfd, int nstype, const char *port) {
        if (setns(nsfd, nstype) < 0)
                return errno;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in sa;
        inet_addr_of(&sa, port);
        if (fd < 0 || connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
                return errno;
        return send(fd, "x", 1, MSG_NOSIGNAL) == 1 ? 0 : errno;
}

#ifndef SIOCGSKNS
#define SIOCGSKNS 0x894C
#endif

/* The network namespace of socket FD (SIOCGSKNS), entered, and 127.0.0.1:PORT there. */
static int do_sockns_reach(int argc, char **argv) {
        int ns = ioctl(atoi(argv[0]), SIOCGSKNS);
        return ns < 0 ? errno : reach_from(ns, CLONE_NEWNET, argv[1]);
}

/* setns(FD, 0) on a held namespace file, and 127.0.0.1:PORT there. */
static int do_setns_reach(int argc, char **argv) {
        return reach_from(atoi(argv[0]), 0, argv[1]);
}

/* The network namespace of process PID through its pidfd (setns(pidfd, CLONE_NEWNET)). */
static int do_pidns_reach(int argc, char **argv) {
        int pidfd = (int) syscall(__NR_pidfd_open, atoi(argv[0]), 0);
        return pidfd < 0 ? SETUP_FAILED + 2 : reach_from(pidfd, CLONE_NEWNET, argv[1]);
}

struct probe {
        const char *name;
        int argc;
        int (*run)(int argc, char **argv);
};

static const struct probe probes[] = {
        { "socket", 1, do_socket },
        { "socket-raw", 1, do_socket_raw },
        { "socketpair", 1, do_socketpair },
#if defined(__x86_64__)
        { "int80-socket", 1, do_int80_socket },
        { "int80-socketcall", 1, do_int80_socketcall },
        { "int80-getpid", 0, do_int80_getpid },
#endif
        { "x32-socket", 1, do_x32_socket },
        { "io_uring", 0, do_io_uring },
        { "ptrace", 1, do_ptrace },
        { "proc-mem", 1, do_proc_mem },
        { "process_vm_readv", 2, do_process_vm_readv },
        { "pidfd_getfd", 2, do_pidfd_getfd },
        { "userns-socket", 1, do_userns_socket },
        { "unix-connect", 1, do_unix_connect },
        { "abstract-connect", 1, do_abstract_connect },
        { "abstract-send", 1, do_abstract_send },
        { "unix-local", 2, do_unix_local },
        { "send", 1, do_send },
        { "accept", 1, do_accept },
        { "connect-fd", 2, do_connect_fd },
        { "bind-fd", 2, do_bind_fd },
        { "ioctl-raw", 1, do_ioctl_raw },
        { "sendto-fd", 2, do_sendto_fd },
        { "thread-connect-fd", 2, do_thread_connect_fd },
        { "no-new-privs", 0, do_no_new_privs },
        { "euid-root", 0, do_euid_root },
        { "tun-attach", 1, do_tun_attach },
        { "frame-write-fd", 2, do_frame_write_fd },
        { "with-ring", -2, do_with_ring },
        { "reaim-fd", 3, do_reaim_fd },
        { "restrict-exec", -3, do_restrict_exec },
        { "request-key", 0, do_request_key },
        { "dns-key", 1, do_dns_key },
        { "ioctl-path", 2, do_ioctl_path },
        { "count-rt-signals", 1, do_count_rt_signals },
        { "read-status", 2, do_read_status },
        { "recv-fd-reach", 2, do_recv_fd_reach },
        { "sockns-reach", 2, do_sockns_reach },
        { "setns-reach", 2, do_setns_reach },
        { "pidns-reach", 2, do_pidns_reach },
};

/* LeakSanitizer's exit check uses ptrace, which the probe may run without. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) {
        return "detect_leaks=0";
}

int main(int argc, char **argv) {
        if (argc < 2) {
                fprintf(stderr, "usage: probe CASE [ARG]...\n");
                return SETUP_FAILED;
        }
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++)
                if (strcmp(argv[1], probes[i].name) == 0) {
                        int n = probes[i].argc;
                        if (n >= 0 ? argc - 2 != n : argc - 2 < -n) { /* negative: at least that many */
                                fprintf(stderr, "probe: %s takes %d arguments\n", argv[1], probes[i].argc);
                                return SETUP_FAILED;
                        }
                        errno = 0;
                        return probes[i].run(argc - 2, argv + 2);
                }
        fprintf(stderr, "probe: unknown case %s\n", argv[1]);
        return SETUP_FAILED;
}
