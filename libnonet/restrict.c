/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The switch itself: no_new_privs, then Landlock, then seccomp. */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static int fail(struct nonet_result *r, enum nonet_layer layer, int error) {
        r->failed = layer;
        return error;
}

/* Everything that can be decided without changing the process. */
static int plan(const struct nonet_policy *policy, struct nonet_policy *p, struct nonet_result *r) {
        int e;

        *r = (struct nonet_result) { 0 };
        e = policy_normalize(policy, p);
        if (e < 0)
                return fail(r, NONET_LAYER_POLICY, e);
        r->landlock_needed = policy_landlock_needed(p);
        e = seccomp_available();
        if (e < 0)
                return fail(r, NONET_LAYER_SECCOMP, e);
        e = landlock_abi();
        r->landlock_abi = e > 0 ? e : 0;
        int abi = landlock_plan(p, e);
        if (abi < 0)
                return fail(r, NONET_LAYER_LANDLOCK, abi);
        e = inherited_unpoliced(p, abi, r);
        if (e != 0)
                return fail(r, NONET_LAYER_INHERITED, e > 0 ? -EBADFD : e);
        return abi; /* the ABI to apply, 0 for none */
}

/* The size of the first version of struct nonet_result: anything shorter is a caller's bug. */
#define RESULT_SIZE_MIN (offsetof(struct nonet_result, landlock_applied) + sizeof(int))


static int enforce(const struct nonet_policy *p, int abi, struct nonet_result *r) {
        scmp_filter_ctx ctx;
        int e;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(r, NONET_LAYER_NO_NEW_PRIVS, negative_errno());

        if (abi > 0) {
                e = landlock_apply(abi, p);
                if (e < 0 && r->landlock_needed > 0)
                        return fail(r, NONET_LAYER_LANDLOCK, e);
                r->landlock_applied = e > 0 ? e : 0;
        }

        /* Without a Landlock domain, seccomp refuses ptrace and friends outright. */
        bool scoped = r->landlock_applied > 0;
        const struct sock_fprog *prog = prebuilt_filter(p, scoped);
        if (prog)
                e = prebuilt_load(prog, p->refusals == NONET_REFUSE_AND_LOG);
        else {
                e = filter_build(p, scoped, &ctx);
                if (e < 0)
                        return fail(r, NONET_LAYER_SECCOMP, e);
                e = filter_load(ctx);
                seccomp_release(ctx);
        }
        if (e < 0)
                return fail(r, NONET_LAYER_SECCOMP, e);
        return 0;
}

enum step { PLAN_ONLY, PLAN_AND_ENFORCE };

static int plan_then(enum step step, const struct nonet_policy *policy, struct nonet_result *ret_result, size_t size) {
        struct nonet_result r;
        struct nonet_policy p;
        if (ret_result && size < RESULT_SIZE_MIN)
                return -EINVAL;
        int e = plan(policy, &p, &r);
        if (e >= 0 && step == PLAN_AND_ENFORCE)
                e = enforce(&p, e, &r);
        copy_out(ret_result, size, &r, sizeof(r));
        return e < 0 ? e : 0;
}

int nonet_check(const struct nonet_policy *policy, struct nonet_result *ret_result, size_t size) {
        return plan_then(PLAN_ONLY, policy, ret_result, size);
}

int nonet_restrict(const struct nonet_policy *policy, struct nonet_result *ret_result, size_t size) {
        return plan_then(PLAN_AND_ENFORCE, policy, ret_result, size);
}

static const char *errno_text(int error) {
        const char *s = strerrordesc_np(error > 0 ? error : -error);
        return s ? s : "unknown error";
}

static const char *socket_kind(int type, int protocol) {
        switch (protocol) {
        case 6:
                return "TCP";
        case 17:
                return "UDP";
        case 132:
                return "SCTP";
        case 136:
                return "UDP-Lite";
        case 262:
                return "MPTCP";
        }
        return type == 3 /* SOCK_RAW */ ? "raw" : type == 10 /* SOCK_PACKET */ ? "packet" : "datagram or other";
}

/* What needs the ABI the policy asked for, as the user asked it. */
static const char *needed_for(int abi) {
        if (abi >= LANDLOCK_ABI_RESOLVE_UNIX)
                return "reaching only the listed unix sockets (unix: listed) needs ABI 9, Linux 7.1";
        return abi >= LANDLOCK_ABI_SCOPE_ABSTRACT ? "refusing abstract unix sockets outside (unix: no-abstract) needs ABI 6, Linux 6.12"
                                                  : "Landlock is required: TCP rules on inherited sockets need ABI 4, Linux 6.7";
}

static void landlock_failure(int e, const struct nonet_result *r, char *buf, size_t size) {
        if (e == ENOSYS)
                snprintf(buf, size, "%s, but this kernel does not have Landlock (CONFIG_SECURITY_LANDLOCK)",
                         needed_for(r->landlock_needed));
        else if (e == EOPNOTSUPP)
                snprintf(buf, size, "%s, but Landlock is disabled at boot (add landlock to the lsm= kernel parameter)",
                         needed_for(r->landlock_needed));
        else if (e == EPROTONOSUPPORT)
                snprintf(buf, size, "%s, but this kernel has Landlock ABI %d", needed_for(r->landlock_needed),
                         r->landlock_abi);
        else
                snprintf(buf, size, "cannot apply the Landlock rules: %s", errno_text(e));
}

void nonet_describe_failure(int error, const struct nonet_result *r, char *buf, size_t size) {
        int e = error < 0 ? -error : error;

        switch (r ? r->failed : NONET_LAYER_NONE) {
        case NONET_LAYER_POLICY:
                /* The setters refuse bad values: what is left is a combination. */
                snprintf(buf, size, "invalid policy: a unix level but all (no-abstract, listed) needs "
                                    "Landlock, which the policy turns off (landlock: off)");
                return;
        case NONET_LAYER_NO_NEW_PRIVS:
                snprintf(buf, size, "cannot set no_new_privs: %s", errno_text(e));
                return;
        case NONET_LAYER_SECCOMP:
                if (e == ENOSYS || e == EINVAL || e == EOPNOTSUPP)
                        snprintf(buf, size, "seccomp is not available in this kernel (CONFIG_SECCOMP_FILTER)");
                else
                        snprintf(buf, size, "cannot load the seccomp filter: %s", errno_text(e));
                return;
        case NONET_LAYER_LANDLOCK:
                landlock_failure(e, r, buf, size);
                return;
        case NONET_LAYER_INHERITED:
                if (e == EBADFD)
                        snprintf(buf, size,
                                 "descriptor %d is an unconnected %s socket (%s) that this kernel's Landlock "
                                 "cannot police, so it could still reach the network: close it first, or accept "
                                 "the risk explicitly",
                                 r->unpoliced_fd, nonet_family_to_name(r->unpoliced_family) ?: "?",
                                 socket_kind(r->unpoliced_type, r->unpoliced_protocol));
                else
                        snprintf(buf, size, "cannot list the inherited descriptors: %s", errno_text(e));
                return;
        case NONET_LAYER_NONE:
                break;
        }
        snprintf(buf, size, "%s", errno_text(e));
}
