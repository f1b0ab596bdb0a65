/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The switch itself: no_new_privs, then Landlock, then seccomp. */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

void nonet_policy_init(struct nonet_policy *p) {
        *p = (struct nonet_policy) {
                .allow = UINT64_C(1) << AF_UNIX,
                .error = EAFNOSUPPORT,
                .landlock = NONET_LANDLOCK_AUTO,
        };
}

int policy_normalize(const struct nonet_policy *p, struct nonet_policy *ret) {
        if (!p || !nonet_errno_to_name(p->error) || !nonet_landlock_to_name(p->landlock))
                return -EINVAL;
        *ret = *p;
        ret->allow |= UINT64_C(1) << AF_UNIX;
        return 0;
}

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
        e = seccomp_available();
        if (e < 0)
                return fail(r, NONET_LAYER_SECCOMP, e);
        e = landlock_abi();
        r->landlock_abi = e > 0 ? e : 0;
        e = landlock_plan(p->landlock, e);
        if (e < 0)
                return fail(r, NONET_LAYER_LANDLOCK, e);
        return e; /* the ABI to apply, 0 for none */
}

int nonet_check(const struct nonet_policy *policy, struct nonet_result *ret_result) {
        struct nonet_result r;
        struct nonet_policy p;
        int e = plan(policy, &p, &r);
        if (ret_result)
                *ret_result = r;
        return e < 0 ? e : 0;
}

static int enforce(const struct nonet_policy *p, int abi, struct nonet_result *r) {
        scmp_filter_ctx ctx;
        int e;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(r, NONET_LAYER_NO_NEW_PRIVS, negative_errno());

        if (abi > 0) {
                e = landlock_apply(abi);
                if (e < 0 && p->landlock == NONET_LANDLOCK_REQUIRE)
                        return fail(r, NONET_LAYER_LANDLOCK, e);
                r->landlock_applied = e > 0 ? e : 0;
        }

        /* Without a Landlock domain, seccomp refuses ptrace and friends outright. */
        bool scoped = r->landlock_applied > 0;
        const struct sock_fprog *prog = prebuilt_filter(p, scoped);
        if (prog)
                e = prebuilt_load(prog);
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

int nonet_restrict(const struct nonet_policy *policy, struct nonet_result *ret_result) {
        struct nonet_result r;
        struct nonet_policy p;
        int e = plan(policy, &p, &r);
        if (e >= 0)
                e = enforce(&p, e, &r);
        if (ret_result)
                *ret_result = r;
        return e < 0 ? e : 0;
}

static const char *errno_text(int error) {
        const char *s = strerrordesc_np(error > 0 ? error : -error);
        return s ? s : "unknown error";
}

void nonet_describe_failure(int error, const struct nonet_result *r, char *buf, size_t size) {
        int e = error < 0 ? -error : error;

        switch (r ? r->failed : NONET_LAYER_NONE) {
        case NONET_LAYER_POLICY:
                snprintf(buf, size, "invalid policy: %s", errno_text(e));
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
                if (e == ENOSYS)
                        snprintf(buf, size, "Landlock is required but this kernel does not have it "
                                            "(CONFIG_SECURITY_LANDLOCK)");
                else if (e == EOPNOTSUPP)
                        snprintf(buf, size, "Landlock is required but disabled at boot "
                                            "(add landlock to the lsm= kernel parameter)");
                else if (e == EPROTONOSUPPORT)
                        snprintf(buf, size,
                                 "Landlock is required but this kernel has ABI %d; "
                                 "abstract-socket scoping needs ABI %d (Linux 6.12)",
                                 r->landlock_abi, NONET_LANDLOCK_ABI_FULL);
                else
                        snprintf(buf, size, "cannot apply the Landlock rules: %s", errno_text(e));
                return;
        case NONET_LAYER_NONE:
                break;
        }
        snprintf(buf, size, "%s", errno_text(e));
}

static void read_proc_status(struct nonet_status *s) {
        _cleanup_close_ int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
        char buf[4096];
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return;
        buf[n] = '\0';
        const char *p = strstr(buf, "\nSeccomp_filters:");
        if (p)
                s->seccomp_filters = (int) strtol(p + strlen("\nSeccomp_filters:"), NULL, 10);
}

int nonet_status(struct nonet_status *ret) {
        static const int probes[] = { AF_INET, AF_INET6, AF_NETLINK };
        struct nonet_status s = { 0 };

        int r = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
        if (r < 0)
                return negative_errno();
        s.no_new_privs = r;
        read_proc_status(&s);
        r = landlock_abi();
        s.landlock_abi = r > 0 ? r : 0;

        for (size_t i = 0; i < ELEMENTSOF(probes); i++) {
                s.probed |= UINT64_C(1) << probes[i];
                int fd = socket(probes[i], SOCK_DGRAM | SOCK_CLOEXEC, 0);
                if (fd >= 0)
                        close(fd);
                else if (errno == EAFNOSUPPORT || errno == EPERM || errno == EACCES)
                        s.refused |= UINT64_C(1) << probes[i];
        }
        *ret = s;
        return 0;
}
