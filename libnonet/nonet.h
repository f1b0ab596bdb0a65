/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libnonet: turn the network off for the calling process and everything it
 * starts, irreversibly, without privilege. The userspace form of the
 * RLIMIT_NETWORK idea (2009): seccomp refuses socket() of every family not
 * allowed (AF_UNIX always is), io_uring, typing into the terminal (TIOCSTI),
 * attaching network devices and the keyring's upcalls; Landlock (where the
 * kernel has it) refuses TCP and UDP bind/connect on held sockets and ptrace
 * of processes outside; no_new_privs keeps setuid programs from gaining
 * privilege; and every descriptor held is judged first, so that none that
 * could still reach the network passes. One plan decides which rows this
 * kernel gives. Unix sockets, filesystem and abstract alike, keep working
 * unless the policy narrows them.
 *
 * Every function returns 0 (or a non-negative value) on success and a
 * negative errno on failure. The library never logs, never writes to
 * stdout/stderr and never exits: it runs inside sshd and login.
 *
 * The ABI grows without breaking callers: a policy is an opaque handle whose
 * attributes are set by number (an unknown one is refused, never ignored),
 * and the structures the library fills are passed with their size.
 */

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The library's version, "0.2.0": for a program that must know which one it runs against. */
const char *nonet_version(void);

/* Families are numbered as AF_* (0..63); bit f of a family set is family f. */
#define NONET_FAMILY_MAX 64

enum nonet_landlock {
        NONET_LANDLOCK_AUTO = 0,    /* use what the kernel has; seccomp alone without it */
        NONET_LANDLOCK_REQUIRE = 1, /* fail unless the kernel enforces every Landlock row the policy asks for */
        NONET_LANDLOCK_OFF = 2,     /* seccomp and no_new_privs only */
        _NONET_LANDLOCK_MAX,
};

/* How far AF_UNIX reaches. */
enum nonet_unix {
        NONET_UNIX_ALL = 0,         /* every unix socket, filesystem and abstract (X11, D-Bus, ...) */
        NONET_UNIX_NO_ABSTRACT = 1, /* abstract sockets created outside are refused: Landlock ABI 6 */
        NONET_UNIX_LISTED = 2,      /* and named sockets outside too, but for those listed with
                                     * nonet_policy_add_unix_path(): Landlock ABI 9 */
        _NONET_UNIX_MAX,
};

/* What becomes of what the policy refuses. */
enum nonet_refusals {
        NONET_REFUSE = 0,         /* refused (default) */
        NONET_REFUSE_AND_LOG = 1, /* refused, and logged by the kernel (audit record 1326, rate-limited) */
        NONET_LOG_ONLY = 2,       /* a dry run: nothing refused, each logged; no Landlock and no descriptor
                                   * audit, so it cannot be combined with NONET_LANDLOCK_REQUIRE or a unix
                                   * level but NONET_UNIX_ALL */
        NONET_REFUSE_AND_NOTIFY = 3, /* refused, each first told to a supervisor through a seccomp
                                      * notification descriptor (nonet_result.notify_fd), which answers
                                      * with the refusal (nonet_refusal_next()); without a supervisor
                                      * the calls fail with ENOSYS (since 0.2) */
        _NONET_REFUSALS_MAX,
};

/* A descriptor held at restriction time through which the process could still reach the
 * network: a socket the kernel cannot stop from being re-aimed, a network device (tun/tap,
 * macvtap, vhost, RDMA, ppp) or an io_uring instance. */
enum nonet_inherited {
        NONET_INHERITED_REFUSE = 0, /* fail with NONET_LAYER_INHERITED (default) */
        NONET_INHERITED_ACCEPT = 1, /* the caller accepts the risk: no descriptor is judged */
        NONET_INHERITED_EXEC = 2,   /* as REFUSE, for a caller that execs next: a descriptor closed
                                     * on exec never reaches the program and is not judged (since 0.2) */
        _NONET_INHERITED_MAX,
};

/* Which network the process keeps. */
enum nonet_netns {
        NONET_NETNS_HOST = 0,             /* the host's: inet and inet6 refused unless allowed (default) */
        NONET_NETNS_PRIVATE_LOOPBACK = 1, /* a network namespace of its own with only lo, up: inet and
                                           * inet6 allowed there (127.0.0.1 and ::1 are its own); a user
                                           * namespace with uid and gid mapped to themselves where the
                                           * caller is not root. The process must be single-threaded. */
        _NONET_NETNS_MAX,
};

/* The machine's own brokers: daemons that use the network for whoever connects to their named
 * sockets (nscd, systemd-resolved's varlink, avahi, cupsd; the user's dirmngr, PulseAudio and
 * session bus). */
enum nonet_brokers {
        NONET_BROKERS_OPEN = 0,   /* reachable, as any unix socket (default) */
        NONET_BROKERS_CLOSED = 1, /* masked in a mount namespace of the process's own: connect() is
                                   * refused; a user namespace where the caller is not root; needs
                                   * Landlock's ptrace scoping (ABI 2), without which /proc/PID/root
                                   * of a process outside reaches them (since 0.2) */
        _NONET_BROKERS_MAX,
};

/* NONET_ATTR_BROKERS_UID: the caller's real uid when the restriction is made. */
#define NONET_UID_CALLER UINT64_C(0xffffffff)

/* The policy: what nonet_restrict() turns off. Opaque; NULL stands for the default. */
struct nonet_policy;

enum nonet_attr {
        NONET_ATTR_ALLOW = 1,     /* families socket() may create (AF_UNIX always may); default AF_UNIX only */
        NONET_ATTR_ERRNO = 2,     /* errno of a refused socket(): EAFNOSUPPORT (default) or EPERM */
        NONET_ATTR_LANDLOCK = 3,  /* enum nonet_landlock; default NONET_LANDLOCK_AUTO */
        NONET_ATTR_UNIX = 4,      /* enum nonet_unix; default NONET_UNIX_ALL */
        NONET_ATTR_REFUSALS = 5,  /* enum nonet_refusals; default NONET_REFUSE */
        NONET_ATTR_INHERITED = 6, /* enum nonet_inherited; default NONET_INHERITED_REFUSE */
        NONET_ATTR_NETNS = 7,     /* enum nonet_netns; default NONET_NETNS_HOST (since 0.2) */
        NONET_ATTR_BROKERS = 8,   /* enum nonet_brokers; default NONET_BROKERS_OPEN (since 0.2) */
        NONET_ATTR_BROKERS_UID = 9, /* whose per-user brokers (/run/user/UID, ~/.gnupg) are closed;
                                     * default NONET_UID_CALLER: the real uid at restriction */
        _NONET_ATTR_MAX,
};

/* A new policy with the defaults; NULL (errno ENOMEM) when out of memory. */
struct nonet_policy *nonet_policy_new(void);
void nonet_policy_free(struct nonet_policy *p);
/* A named unix socket, or a directory of them, that NONET_UNIX_LISTED keeps reachable; it
 * must exist when the restriction is made. */
int nonet_policy_add_unix_path(struct nonet_policy *p, const char *path);
/* -EINVAL for an attribute this library does not know or a value it does not take. */
int nonet_policy_set(struct nonet_policy *p, enum nonet_attr attr, uint64_t value);
int nonet_policy_get(const struct nonet_policy *p, enum nonet_attr attr, uint64_t *ret_value);

/* Which step of nonet_restrict() or nonet_check() failed. */
enum nonet_layer {
        NONET_LAYER_NONE = 0,
        NONET_LAYER_POLICY = 1,       /* a combination that cannot hold; see nonet_result.conflict */
        NONET_LAYER_NO_NEW_PRIVS = 2,
        NONET_LAYER_SECCOMP = 3,
        NONET_LAYER_LANDLOCK = 4,
        NONET_LAYER_INHERITED = 5,    /* a descriptor held that the restriction would not close */
        NONET_LAYER_NETNS = 6,        /* the private loopback's namespaces could not be made */
        NONET_LAYER_BROKERS = 7,      /* the brokers' sockets could not be masked (since 0.2) */
        _NONET_LAYER_MAX,
};

/* The rows of the contract, as bits: what a policy needs and what nonet_restrict() put in force. */
#define NONET_ROW_NO_NEW_PRIVS (UINT64_C(1) << 0)  /* setuid programs gain nothing */
#define NONET_ROW_FAMILIES     (UINT64_C(1) << 1)  /* socket() of a refused family (seccomp) */
#define NONET_ROW_IO_URING     (UINT64_C(1) << 2)  /* io_uring_setup/enter/register */
#define NONET_ROW_TERMINAL     (UINT64_C(1) << 3)  /* TIOCSTI, TIOCLINUX */
#define NONET_ROW_DEVICES      (UINT64_C(1) << 4)  /* attaching tun/tap (TUNSETIFF...), vhost, RDMA verbs */
#define NONET_ROW_KEYRING      (UINT64_C(1) << 5)  /* request_key(): the kernel's upcalls (DNS resolver) */
#define NONET_ROW_DESCRIPTORS  (UINT64_C(1) << 6)  /* no held descriptor reaches the network */
#define NONET_ROW_FASTOPEN     (UINT64_C(1) << 7)  /* sendto(MSG_FASTOPEN), where a TCP socket is held */
#define NONET_ROW_PTRACE       (UINT64_C(1) << 8)  /* ptrace & co. of processes outside: refused by seccomp */
#define NONET_ROW_LOOPBACK     (UINT64_C(1) << 9)  /* a network namespace of its own, only lo */
#define NONET_ROW_BROKERS      (UINT64_C(1) << 10) /* the known brokers' sockets masked (since 0.2) */
/* Landlock's rows (NONET_ROWS_LANDLOCK), each from a Landlock ABI: */
#define NONET_ROW_SCOPED       (UINT64_C(1) << 16) /* ABI 2: ptrace, /proc/PID/mem & co. scoped to the sandbox */
#define NONET_ROW_TCP          (UINT64_C(1) << 17) /* ABI 4: bind/connect of held TCP sockets */
#define NONET_ROW_NO_ABSTRACT  (UINT64_C(1) << 18) /* ABI 6: abstract unix sockets outside */
#define NONET_ROW_THREADS      (UINT64_C(1) << 19) /* ABI 8: threads already running */
#define NONET_ROW_LISTED       (UINT64_C(1) << 20) /* ABI 9: named unix sockets outside but those listed */
#define NONET_ROW_UDP          (UINT64_C(1) << 21) /* ABI 10: bind/connect/sendto of held UDP sockets */
#define NONET_ROWS_LANDLOCK    (UINT64_C(0xffff) << 16)

/* Comma-separated names of rows ("families,io_uring,...,tcp"), "none" for 0. -ENOBUFS if short. */
int nonet_rows_format(uint64_t rows, char *buf, size_t size);
/* The Landlock ABI a row needs, 0 for a row that needs none; -EINVAL for no single known row. */
int nonet_row_landlock_abi(uint64_t row);

/* NONET_LAYER_POLICY: which combination. */
enum nonet_conflict {
        NONET_CONFLICT_NONE = 0,
        NONET_CONFLICT_UNIX_WITHOUT_LANDLOCK = 1, /* a unix level but all with NONET_LANDLOCK_OFF */
        NONET_CONFLICT_DRY_RUN_LANDLOCK = 2,      /* NONET_LOG_ONLY with REQUIRE or a unix level */
        NONET_CONFLICT_UNIX_PATHS = 3,            /* unix paths without NONET_UNIX_LISTED */
        NONET_CONFLICT_DRY_RUN_NETNS = 4,         /* NONET_LOG_ONLY with a private loopback */
        NONET_CONFLICT_BROKERS_WITHOUT_LANDLOCK = 5, /* brokers closed with NONET_LANDLOCK_OFF, or a dry run */
        _NONET_CONFLICT_MAX,
};

/* NONET_LAYER_INHERITED: what the descriptor is. */
enum nonet_held {
        NONET_HELD_NONE = 0,
        NONET_HELD_SOCKET = 1,   /* unpoliced_family, _type, _protocol say which */
        NONET_HELD_IO_URING = 2, /* its requests bypass seccomp; with SQPOLL even the system call */
        NONET_HELD_TUN = 3,      /* /dev/net/tun */
        NONET_HELD_MACVTAP = 4,  /* /dev/tapN of a macvtap or ipvtap link */
        NONET_HELD_VHOST = 5,    /* /dev/vhost-net, /dev/vhost-vsock */
        NONET_HELD_RDMA = 6,     /* /dev/infiniband/ (uverbs, rdma_cm, umad) */
        NONET_HELD_PPP = 7,      /* /dev/ppp */
        NONET_HELD_UNKNOWN_DEVICE = 8, /* a character device that cannot be told apart (no /sys) */
        NONET_HELD_NAMESPACE = 9, /* a network namespace's file, under a private loopback */
        NONET_HELD_QUEUE = 10,    /* a unix socket carrying descriptors that cannot be read without taking them */
        _NONET_HELD_MAX,
};

/* Filled up to the size the caller passes; fields a newer library adds go at the end. */
struct nonet_result {
        enum nonet_layer failed; /* NONET_LAYER_NONE on success */
        int landlock_abi;        /* the kernel's Landlock ABI, 0 if none */
        int landlock_needed;     /* the least ABI the policy needs, 0 if it can do without */
        int landlock_applied;    /* the ABI whose rules are now in force, 0 if none */
        int unpoliced_fd;        /* NONET_LAYER_INHERITED: the descriptor, */
        int unpoliced_family;    /* a socket's family (AF_*), */
        int unpoliced_type;      /* type (SOCK_*) */
        int unpoliced_protocol;  /* and protocol (IPPROTO_*) */
        /* since 0.2 */
        uint64_t rows;           /* the rows in force (nonet_check(): that would be) */
        uint64_t rows_needed;    /* the rows the policy demands: without one, nothing is restricted */
        int held;                /* NONET_LAYER_INHERITED: enum nonet_held */
        int conflict;            /* NONET_LAYER_POLICY: enum nonet_conflict */
        int notify_fd;           /* NONET_REFUSE_AND_NOTIFY: the supervisor's descriptor, else -1 */
        int in_flight;           /* NONET_LAYER_INHERITED: 0 if unpoliced_fd is it; else unpoliced_fd is a
                                    unix socket, and what held says is queued on it, this many sockets deep */
};

/* A refusal told to the supervisor. Filled up to the size the caller passes. */
struct nonet_refusal {
        int pid;          /* the process that made the call */
        int error;        /* the errno it was answered */
        uint32_t arch;    /* AUDIT_ARCH_* of the call */
        int nr;           /* its number on that ABI */
        char call[96];    /* "socket(AF_INET, SOCK_STREAM)", "ioctl(TIOCSTI)", "io_uring_setup()" */
        /* since 0.2 */
        char comm[16];    /* its name (TASK_COMM_LEN), read while the call was held; "" if unknown */
};
/* Wait for the next refused call on fd (from nonet_restrict() with NONET_REFUSE_AND_NOTIFY), answer
 * it with the refusal the policy gives it (never anything else: the caller's memory is never
 * read), and describe it. -ENOENT if the process was gone before the answer. */
int nonet_refusal_next(int fd, const struct nonet_policy *p, struct nonet_refusal *ret, size_t size);

/* "inet", "AF_INET", "Inet", "2" -> 2. -EINVAL for an unknown name. */
int nonet_family_from_name(const char *name);
/* 2 -> "inet"; NULL for a number without a name. */
const char *nonet_family_to_name(int family);
/* "unix,netlink" -> set bits. On -EINVAL the offending word is copied to bad. */
int nonet_families_parse(const char *list, uint64_t *ret_set, char *bad, size_t bad_size);
/* Comma-separated names of a set, "unix,netlink", into buf. -ENOBUFS if short. */
int nonet_families_format(uint64_t set, char *buf, size_t size);

/* "eafnosupport"/"EPERM" -> errno value; -EINVAL otherwise. */
int nonet_errno_from_name(const char *name);
const char *nonet_errno_to_name(int error);

/* "auto"/"require"/"off" -> enum; -EINVAL otherwise. */
int nonet_landlock_from_name(const char *name);
const char *nonet_landlock_to_name(enum nonet_landlock mode);

/* "all"/"no-abstract"/"listed" -> enum; -EINVAL otherwise. */
int nonet_unix_from_name(const char *name);
const char *nonet_unix_to_name(enum nonet_unix reach);

/* "open"/"closed" -> enum; -EINVAL otherwise (since 0.2). */
int nonet_brokers_from_name(const char *name);
const char *nonet_brokers_to_name(enum nonet_brokers brokers);

/* Turn the network off for this process (all its threads) and its descendants.
 * ret_result may be NULL; else size is sizeof(*ret_result). */
int nonet_restrict(const struct nonet_policy *p, struct nonet_result *ret_result, size_t size);

/* Would nonet_restrict() succeed on this kernel? Changes nothing. */
int nonet_check(const struct nonet_policy *p, struct nonet_result *ret_result, size_t size);

/* One line saying why a failed nonet_restrict()/nonet_check() failed, with a hint; r_size is
 * sizeof(*r) (a shorter, older struct is read only as far as it goes). */
void nonet_describe_failure(int error, const struct nonet_result *r, char *buf, size_t size);
void nonet_describe_failure_sized(int error, const struct nonet_result *r, size_t r_size, char *buf, size_t size);

/* The seccomp filter of a policy, as libseccomp's readable pseudo code or raw BPF, or as an OCI
 * runtime's seccomp profile (JSON, since 0.2); -EINVAL for another format. */
enum nonet_filter_format { NONET_FILTER_PFC = 0, NONET_FILTER_BPF = 1, NONET_FILTER_OCI = 2, _NONET_FILTER_MAX };
int nonet_filter_export(const struct nonet_policy *p, enum nonet_filter_format format, int fd);

enum nonet_network {
        NONET_NETWORK_UNKNOWN = 0, /* another process's filters could not be read (needs CAP_SYS_ADMIN) */
        NONET_NETWORK_ON = 1,
        NONET_NETWORK_OFF = 2,     /* socket() of inet and inet6 is refused */
        NONET_NETWORK_DRY_RUN = 3, /* on, and nonet's filter logs what it would refuse */
        NONET_NETWORK_LOOPBACK = 4, /* inet kept, in a network namespace with only lo (since 0.2) */
        _NONET_NETWORK_MAX,
};

/* What is in force in a process; filled up to size (sizeof(*ret)). */
struct nonet_status {
        int no_new_privs;      /* 1 if set */
        int seccomp_filters;   /* number of seccomp filters stacked on the process */
        int landlock_abi;      /* the kernel's Landlock ABI, 0 if none */
        uint64_t refused;      /* families socket() refuses, of those probed */
        uint64_t probed;       /* the families probed: all 64 */
        int seccomp_mode;      /* 0 none, 1 strict, 2 filter */
        int network;           /* enum nonet_network */
        int by_nonet;          /* 1 if a filter of the stack is nonet's (families, io_uring, TIOCSTI) */
        int filters_read;      /* 1 if the verdict comes from the filters or their absence */
        /* since 0.2 */
        uint64_t landlock_rows; /* the Landlock rows this kernel can give (NONET_ROWS_LANDLOCK) */
        int brokers_masked;     /* how many brokers' sockets and directories are masked in its mount
                                 * namespace (NONET_BROKERS_CLOSED), 0 if none (since 0.2) */
};
/* The calling process, by trying: socket() of each family with a type no socket has,
 * so that nothing is created and no module loaded. */
int nonet_status(struct nonet_status *ret, size_t size);
/* Another process, from /proc/PID/status and, as root, its filters (stopped a moment to
 * read them, as a debugger would). -ESRCH if there is no such process. */
int nonet_status_pid(pid_t pid, struct nonet_status *ret, size_t size);

#ifdef __cplusplus
}
#endif
