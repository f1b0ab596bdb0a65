/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slurmstepd becomes the job's user in each child it forks for them (setreuid(uid, uid),
 * or setresuid(uid, uid, -1) in run_command); its own threads only ever change the
 * effective uid (seteuid). So a filter on the calling thread that traps a real uid of the
 * job's user stops every later child before it runs a program, and never slurmstepd.
 * The filter is the calling thread's alone (no TSYNC): slurmstepd's other threads, and the
 * tasks forked before it, are untouched. A foreign architecture is let through: a child
 * reaches one only by exec, after it would have become the user.
 */

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <slurm/spank.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "stepd_guard.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap; glibc's headers lack it */
#endif

static char why[512];
static struct sigaction previous;
static bool installed;

static void refused(int signo, siginfo_t *info, void *context) {
        if (info->si_code != SYS_SECCOMP) {
                sigaction(SIGSYS, &previous, NULL);
                raise(SIGSYS);
                return;
        }
        /* a child of slurmstepd, about to become the user: say why, then end it */
        slurm_error("%s", why);
        _exit(126);
}

int stepd_guard_install(uid_t uid, const char *refused_why) {
        struct sigaction sa = { .sa_sigaction = refused, .sa_flags = SA_SIGINFO };
        scmp_filter_ctx ctx;
        int r;

        snprintf(why, sizeof(why), "%s", refused_why);
        if (!installed) {
                sigemptyset(&sa.sa_mask);
                if (sigaction(SIGSYS, &sa, &previous) < 0)
                        return -errno;
                installed = true;
        }
        if (!(ctx = seccomp_init(SCMP_ACT_ALLOW)))
                return -ENOMEM;
        /* slurmstepd is root here: no no_new_privs, which its children would inherit */
        r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
        if (r == 0)
                r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_ALLOW);
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(setuid), 1, SCMP_A0_32(SCMP_CMP_EQ, uid));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(setreuid), 1, SCMP_A0_32(SCMP_CMP_EQ, uid));
        if (r == 0)
                r = seccomp_rule_add(ctx, SCMP_ACT_TRAP, SCMP_SYS(setresuid), 1, SCMP_A0_32(SCMP_CMP_EQ, uid));
        if (r == 0)
                r = seccomp_load(ctx);
        seccomp_release(ctx);
        return r;
}

void stepd_guard_release(void) {
        if (installed)
                sigaction(SIGSYS, &previous, NULL);
        installed = false;
}
