/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Interfaces between the library's parts, and the seams the tests use. */

#include <stdbool.h>
#include <seccomp.h>

#include "nonet.h"
#include "policy.h"

/* seccomp */
int seccomp_available(void);
/* The filter for a policy; with ptrace_scoped false it also refuses ptrace and friends. */
int filter_build(const struct nonet_policy *p, bool ptrace_scoped, scmp_filter_ctx *ret);
int filter_load(scmp_filter_ctx ctx);
/* filter_build()'s program as the kernel gets it (malloc'd), for the build helper and tests. */
struct sock_filter;
int filter_program(const struct nonet_policy *p, bool ptrace_scoped, struct sock_filter **ret, size_t *ret_n);
/* The filter of filter_build() compiled at build time, for the default families and errno
 * (refusals logged or not: a flag at load time); else NULL. */
struct sock_fprog;
const struct sock_fprog *prebuilt_filter(const struct nonet_policy *p, bool ptrace_scoped);
int prebuilt_load(const struct sock_fprog *prog, bool log_refusals);

/* Landlock */
int landlock_abi(void);
/* Restrict the calling thread with the rules this ABI can express (and the abstract-socket
 * scope if asked, ABI >= 6); returns the ABI used. */
int landlock_apply(int abi, const struct nonet_policy *p);

/* An inherited socket the restriction would not cover: of a family the policy refuses, neither
 * connected nor listening, of a kind Landlock does not police at this ABI (0: none). 0 if none,
 * else 1 with its descriptor and kind in r. Allocates nothing. */
int inherited_unpoliced(const struct nonet_policy *p, int abi, struct nonet_result *r);
/* The decision for a normalized policy: which ABI to apply, 0 for none, or a negative errno
 * when the ABI the policy needs is missing (-EPROTONOSUPPORT: the kernel's is too old). */
int landlock_plan(const struct nonet_policy *p, int kernel_abi);
