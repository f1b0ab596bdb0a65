/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Interfaces between the library's parts, and the seams the tests use. */

#include <stdbool.h>
#include <sys/types.h>
#include <seccomp.h>

#include "nonet.h"
#include "policy.h"

/* seccomp */
int seccomp_available(void);
/* The filter for a policy; with ptrace_scoped false it also refuses ptrace and friends. */
int filter_build(const struct nonet_policy *p, bool ptrace_scoped, scmp_filter_ctx *ret);
/* The same, with sendto/sendmsg/sendmmsg(MSG_FASTOPEN) refused too. */
int filter_build_full(const struct nonet_policy *p, bool ptrace_scoped, bool fastopen, scmp_filter_ctx *ret);
int filter_load(scmp_filter_ctx ctx);
/* The same rules one by one, for the native ABI (the family in a register), to write them in
 * another form: a seccomp profile (oci.c). sys is the native number. */
typedef int (*filter_rule_fn)(void *userdata, uint32_t action, int sys, unsigned n, const struct scmp_arg_cmp *cmp);
int filter_rules(const struct nonet_policy *p, bool ptrace_scoped, filter_rule_fn add, void *userdata);
/* The errno the filter's refusal of this call gives, and the call in words (for a supervisor). */
int refusal_errno(const struct nonet_policy *p, uint32_t arch, int nr, uint64_t a0, uint64_t a1, char *call,
                  size_t size);
/* filter_build()'s program as the kernel gets it (malloc'd), for the build helper and tests. */
struct sock_filter;
int filter_program(const struct nonet_policy *p, bool ptrace_scoped, struct sock_filter **ret, size_t *ret_n);
int filter_context_program(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_n);
/* The filter as nonet_restrict() would load it here, written to fd: BPF, or libseccomp's pseudo code. */
int filter_export(const struct nonet_policy *p, bool bpf, int fd);
/* The filter of filter_build() compiled at build time, for the default families and errno
 * (refusals logged or not: a flag at load time); else NULL. */
struct sock_fprog;
const struct sock_fprog *prebuilt_filter(const struct nonet_policy *p, bool ptrace_scoped);
int prebuilt_load(const struct sock_fprog *prog, bool log_refusals);

/* The plan: a normalized policy, and what this kernel gives it. */
struct plan {
        struct nonet_policy policy; /* normalized: AF_UNIX added */
        int kernel_abi;             /* the kernel's Landlock ABI, or -errno */
        int abi;                    /* the Landlock ABI to apply, 0 for none */
        uint64_t rows;              /* what restricting gives (NONET_ROW_*) */
        uint64_t needed;            /* what the policy demands: without one of them, nothing is done */
        bool tcp_held;              /* the audit passed a TCP socket: MSG_FASTOPEN is refused too */
};
/* Validate the policy against this kernel. -errno with r->failed (and r->conflict) on failure. */
int plan_make(const struct nonet_policy *p, int kernel_abi, struct plan *ret, struct nonet_result *r);
/* The Landlock rows a domain at abi gives the policy (NULL: every row there is at abi). */
uint64_t plan_landlock_rows(int abi, const struct nonet_policy *p);
/* Whether the plan's Landlock polices inet sockets at all (not where the policy keeps inet). */
bool plan_polices_net(const struct plan *pl);
/* The families whose held sockets the audit lets pass: the policy's, but for a private loopback's
 * inet and inet6 (a held one is the host's). */
uint64_t plan_held_allowed(const struct plan *pl);

/* A network namespace of its own with only lo, up (and a user namespace with the caller's ids
 * mapped to themselves, where it is not root). */
int netns_private_loopback(void);
/* Whether that can be done here, tried in a child: changes nothing. */
int netns_check(void);/* In a user namespace just made: uid and gid mapped to themselves (setgroups denied first). */
int userns_map_ids(uid_t uid, gid_t gid);

/* The named sockets uid's own ssh ControlMasters, tmux and screen servers listen on, wherever
 * they are: found before any namespace is made (from one, no other process's descriptors can be
 * read). -EBADSLT where such a server's descriptors cannot be read. */
struct mask_servers {
        char **paths;
        size_t n;
};
int mask_find_servers(uid_t uid, struct mask_servers *ret);
/* Each such socket of uid's (-1: anyone's), with its server's name and pid. */
typedef int (*mask_server_fn)(uid_t uid, const char *comm, int pid, const char *path, void *userdata);
int mask_each_server(uid_t uid, mask_server_fn fn, void *userdata);
void mask_servers_free(struct mask_servers *s);

/* Brokers closed: their sockets masked in a mount namespace of the process's own (a user
 * namespace's where it is not root), uid's per-user ones too (home: theirs; NULL or "": the
 * caller's $HOME), and the servers' found before. How many were masked. */
int mask_brokers(uid_t uid, const char *home, const struct mask_servers *servers, enum nonet_inherited held,
                 int *ret_fd);
/* Whether that can be done here, tried in a child: changes nothing. Both fail with -EBADFD and the
 * descriptor in *ret_fd where one held is a directory of the namespace outside (beneath it, the
 * masked sockets stay reachable), judged as held says (not at all for NONET_INHERITED_ACCEPT). */
int mask_check(uid_t uid, const char *home, enum nonet_inherited held, int *ret_fd);
/* Each known endpoint for uid (-1: the system's alone), as a path (a glob pattern for some) and
 * whether it is a directory masked whole; stops at the first negative return. */
typedef int (*mask_fn)(const char *path, bool dir, void *userdata);
int mask_endpoints(uid_t uid, const char *home, mask_fn fn, void *userdata);
/* How many masks of mask_brokers() a mount table (/proc/PID/mountinfo) shows. */
int mask_count(const char *mountinfo);
/* The filtering proxy's socket bound over the system bus's, then its name outside removed. */
int mask_system_bus(const char *proxy);

/* Landlock */
int landlock_abi(void);
/* Restrict the calling thread with the rows plan_landlock_rows() gives; returns the ABI used. */
int landlock_apply(int abi, const struct nonet_policy *p);

/* The descriptor audit: a descriptor held now, or queued on a held unix socket (in flight),
 * through which the process could still reach the network once the plan is in force. 0 if none
 * (setting pl->tcp_held where a TCP socket passes), 1 with its descriptor and kind in r, or
 * -errno when the descriptors cannot be listed. Allocates nothing. */
int descriptors_audit(struct plan *pl, struct nonet_result *r);
