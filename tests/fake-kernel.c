/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * fake-kernel [--no-seccomp] [--no-landlock|--landlock-disabled] [--no-userns] [--no-mountns] -- COMMAND...
 * Run COMMAND as on a kernel without seccomp filters or without Landlock,
 * by making those system calls fail as such a kernel's would.
 */

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static int fail_calls(scmp_filter_ctx ctx, const char *const *names, int error) {
        for (; *names; names++) {
                int r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((uint32_t) error), seccomp_syscall_resolve_name(*names), 0);
                if (r < 0)
                        return r;
        }
        return 0;
}

int main(int argc, char **argv) {
        static const char *const landlock[] = { "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self", NULL };
        static const char *const seccomp[] = { "seccomp", NULL };
        scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int i, r = 0;

        for (i = 1; i < argc && r >= 0; i++) {
                if (strcmp(argv[i], "--") == 0) {
                        i++;
                        break;
                } else if (strcmp(argv[i], "--no-seccomp") == 0) {
                        /* As a kernel without CONFIG_SECCOMP: no seccomp(), prctl() says EINVAL. */
                        r = fail_calls(ctx, seccomp, ENOSYS);
                        if (r >= 0)
                                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
                                                     SCMP_A0(SCMP_CMP_EQ, PR_GET_SECCOMP));
                        if (r >= 0)
                                r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
                                                     SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP));
                } else if (strcmp(argv[i], "--no-landlock") == 0)
                        r = fail_calls(ctx, landlock, ENOSYS);
                else if (strcmp(argv[i], "--landlock-disabled") == 0)
                        r = fail_calls(ctx, landlock, EOPNOTSUPP);
                else if (strcmp(argv[i], "--no-userns") == 0)
                        /* As kernel.unprivileged_userns_clone=0: a new user namespace is EPERM. */
                        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER));
                else if (strcmp(argv[i], "--no-mountns") == 0)
                        /* As a container that refuses mount namespaces (seccomp, or no CAP_SYS_ADMIN): EPERM. */
                        r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(unshare), 1,
                                             SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWNS, CLONE_NEWNS));
                else
                        break;
        }
        if (r < 0 || i >= argc) {
                fprintf(stderr, "usage: fake-kernel [--no-seccomp] [--no-landlock|--landlock-disabled] [--no-userns] [--no-mountns] -- COMMAND...\n");
                return 2;
        }
        r = seccomp_load(ctx);
        if (r < 0) {
                fprintf(stderr, "fake-kernel: cannot load filter: %s\n", strerror(-r));
                return 2;
        }
        execvp(argv[i], argv + i);
        fprintf(stderr, "fake-kernel: cannot run %s: %m\n", argv[i]);
        return 127;
}
