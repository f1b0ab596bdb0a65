/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The policy behind nonet.h's opaque handle, shared by the library's parts and the front ends. */

#include <stdbool.h>
#include <stdint.h>

#include "nonet.h"

struct nonet_policy {
        uint64_t allow; /* families socket() may create; AF_UNIX always is */
        int error;      /* errno of a refused socket(): EAFNOSUPPORT or EPERM */
        enum nonet_landlock landlock;
        enum nonet_unix unix_reach;
        enum nonet_refusals refusals;
        enum nonet_inherited inherited;
        enum nonet_netns netns;
        enum nonet_brokers brokers;
        uint64_t brokers_uid; /* whose per-user brokers: a uid, or NONET_UID_CALLER */
        char brokers_home[512]; /* that user's home, from NSS (pam_nonet); "": $HOME for the caller */
        char **unix_paths; /* NONET_UNIX_LISTED: owned by a policy from nonet_policy_new() */
        size_t n_unix_paths;
        char brokers_system_bus[108]; /* the filtering proxy's socket (busproxy.c), bound over the bus's; "" none */
        bool brokers_masked; /* brokers closed: the masks made before, by brokers_mask_first() */
};

/* Brokers closed in two steps, for a front end that is root before it becomes the user and
 * restricts after (spank_nonet: slurmstepd's task child): the masks now, in a mount namespace
 * root makes alone (no user namespace), and p marked so that nonet_restrict() makes none. As
 * nonet_restrict() fails, with NONET_LAYER_BROKERS; 0 at once where p keeps the brokers open. */
int brokers_mask_first(struct nonet_policy *p, struct nonet_result *ret_result, size_t size);

/* The default: AF_UNIX only and whole, EAFNOSUPPORT, Landlock where available. */
void policy_init(struct nonet_policy *p);

/* p (NULL: the default) checked, with AF_UNIX added. -EINVAL with an enum nonet_conflict in
 * *ret_conflict if it cannot be enforced as asked. */
int policy_normalize(const struct nonet_policy *p, struct nonet_policy *ret, int *ret_conflict);

/* inet and inet6: what Landlock's net rules and a private loopback are about. */
#define POLICY_INET_FAMILIES ((UINT64_C(1) << 2 /* AF_INET */) | (UINT64_C(1) << 10 /* AF_INET6 */))

/* Whether the policy refuses abstract unix sockets created outside. */
static inline bool policy_scopes_abstract(const struct nonet_policy *p) {
        return p->unix_reach != NONET_UNIX_ALL;
}
