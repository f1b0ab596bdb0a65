/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Interfaces between the library's parts, and the seams the tests use. */

#include <stdbool.h>
#include <seccomp.h>

#include "nonet.h"

/* The policy a front end asked for, checked, with AF_UNIX added. */
int policy_normalize(const struct nonet_policy *p, struct nonet_policy *ret);

/* seccomp */
int seccomp_available(void);
/* The filter for a policy; with ptrace_scoped false it also refuses ptrace and friends. */
int filter_build(const struct nonet_policy *p, bool ptrace_scoped, scmp_filter_ctx *ret);
int filter_load(scmp_filter_ctx ctx);
/* filter_build()'s program as the kernel gets it (malloc'd), for the build helper and tests. */
struct sock_filter;
int filter_program(const struct nonet_policy *p, bool ptrace_scoped, struct sock_filter **ret, size_t *ret_n);
/* The filter of filter_build() compiled at build time, for the default policy only; else NULL. */
struct sock_fprog;
const struct sock_fprog *prebuilt_filter(const struct nonet_policy *p, bool ptrace_scoped);
int prebuilt_load(const struct sock_fprog *prog);

/* Landlock */
int landlock_abi(void);
/* Restrict the calling thread with the rules this ABI can express; returns the ABI used. */
int landlock_apply(int abi);
/* The decision: which ABI to apply, 0 for none, or a negative errno when a requirement fails. */
int landlock_plan(enum nonet_landlock mode, int kernel_abi);
