/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * libnonet: turn the network off for the calling process and everything it
 * starts, irreversibly, without privilege. The userspace form of the
 * RLIMIT_NETWORK idea (2009): seccomp refuses socket() of every family not
 * allowed (AF_UNIX always is), io_uring and typing into the terminal (TIOCSTI),
 * Landlock (where the kernel has it) refuses TCP bind/connect on inherited
 * sockets and ptrace of processes outside, and no_new_privs keeps setuid
 * programs from gaining privilege. Unix sockets,
 * filesystem and abstract alike, keep working unless the policy narrows them.
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

/* Families are numbered as AF_* (0..63); bit f of a family set is family f. */
#define NONET_FAMILY_MAX 64

enum nonet_landlock {
        NONET_LANDLOCK_AUTO,    /* use what the kernel has; seccomp alone without it */
        NONET_LANDLOCK_REQUIRE, /* fail unless the kernel enforces every Landlock row the policy asks for */
        NONET_LANDLOCK_OFF,     /* seccomp and no_new_privs only */
};

/* How far AF_UNIX reaches. */
enum nonet_unix {
        NONET_UNIX_ALL,         /* every unix socket, filesystem and abstract (X11, D-Bus, ...) */
        NONET_UNIX_NO_ABSTRACT, /* abstract sockets created outside are refused: Landlock ABI 6 */
        NONET_UNIX_LISTED,      /* and named sockets outside too, but for those listed with
                                 * nonet_policy_add_unix_path(): Landlock ABI 9 */
};

/* What becomes of what the policy refuses. */
enum nonet_refusals {
        NONET_REFUSE,         /* refused (default) */
        NONET_REFUSE_AND_LOG, /* refused, and logged by the kernel (audit record 1326, rate-limited) */
        NONET_LOG_ONLY,       /* a dry run: nothing refused, each logged; no Landlock, so the landlock
                               * and unix attributes do not apply */
};

/* An inherited socket the kernel's Landlock cannot police (unconnected MPTCP, SCTP, raw or
 * packet sockets, UDP before ABI 10, TCP without Landlock) would keep reaching the network. */
enum nonet_inherited {
        NONET_INHERITED_REFUSE, /* fail with NONET_LAYER_INHERITED (default) */
        NONET_INHERITED_ACCEPT, /* the caller accepts the risk */
};

/* The policy: what nonet_restrict() turns off. Opaque; NULL stands for the default. */
struct nonet_policy;

enum nonet_attr {
        NONET_ATTR_ALLOW = 1, /* families socket() may create (AF_UNIX always may); default AF_UNIX only */
        NONET_ATTR_ERRNO,     /* errno of a refused socket(): EAFNOSUPPORT (default) or EPERM */
        NONET_ATTR_LANDLOCK,  /* enum nonet_landlock; default NONET_LANDLOCK_AUTO */
        NONET_ATTR_UNIX,      /* enum nonet_unix; default NONET_UNIX_ALL */
        NONET_ATTR_REFUSALS,  /* enum nonet_refusals; default NONET_REFUSE */
        NONET_ATTR_INHERITED, /* enum nonet_inherited; default NONET_INHERITED_REFUSE */
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
        NONET_LAYER_NONE,
        NONET_LAYER_POLICY,
        NONET_LAYER_NO_NEW_PRIVS,
        NONET_LAYER_SECCOMP,
        NONET_LAYER_LANDLOCK,
        NONET_LAYER_INHERITED, /* an inherited socket the restriction would not cover */
};

/* Filled up to the size the caller passes; fields a newer library adds go at the end. */
struct nonet_result {
        enum nonet_layer failed; /* NONET_LAYER_NONE on success */
        int landlock_abi;        /* the kernel's Landlock ABI, 0 if none */
        int landlock_needed;     /* the least ABI the policy needs, 0 if it can do without */
        int landlock_applied;    /* the ABI whose rules are now in force, 0 if none */
        int unpoliced_fd;        /* NONET_LAYER_INHERITED: the descriptor, */
        int unpoliced_family;    /* its family (AF_*), */
        int unpoliced_type;      /* type (SOCK_*) */
        int unpoliced_protocol;  /* and protocol (IPPROTO_*) */
};

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

/* Turn the network off for this process (all its threads) and its descendants.
 * ret_result may be NULL; else size is sizeof(*ret_result). */
int nonet_restrict(const struct nonet_policy *p, struct nonet_result *ret_result, size_t size);

/* Would nonet_restrict() succeed on this kernel? Changes nothing. */
int nonet_check(const struct nonet_policy *p, struct nonet_result *ret_result, size_t size);

/* One line saying why a failed nonet_restrict()/nonet_check() failed, with a hint. */
void nonet_describe_failure(int error, const struct nonet_result *r, char *buf, size_t size);

/* The seccomp filter of a policy, as libseccomp's readable pseudo code or raw BPF. */
enum nonet_filter_format { NONET_FILTER_PFC, NONET_FILTER_BPF };
int nonet_filter_export(const struct nonet_policy *p, enum nonet_filter_format format, int fd);

enum nonet_network {
        NONET_NETWORK_UNKNOWN, /* another process's filters could not be read (needs CAP_SYS_ADMIN) */
        NONET_NETWORK_ON,
        NONET_NETWORK_OFF,     /* socket() of inet and inet6 is refused */
        NONET_NETWORK_DRY_RUN, /* on, and nonet's filter logs what it would refuse */
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
