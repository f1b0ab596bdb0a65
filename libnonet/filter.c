/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp layer: socket() by family, io_uring, terminal injection, and ptrace where Landlock cannot. */

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/audit.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "calls.h"
#include "internal.h"
#include "util.h"

int seccomp_available(void) {
        /* EINVAL: no CONFIG_SECCOMP. ENOSYS/EINVAL below: no filter mode or no errno action. */
        if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
                return negative_errno();
        uint32_t action = SECCOMP_RET_ERRNO;
        if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                return negative_errno();
        action = SECCOMP_RET_KILL_PROCESS;
        if (syscall(__NR_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0)
                return negative_errno();
        return 0;
}

/*
 * Refuse every family not allowed. A deny list, so that where libseccomp
 * cannot read the family (i386 socketcall(), whose arguments sit behind a
 * pointer) it refuses the call outright; ">= NONET_FAMILY_MAX" also catches
 * any value with the upper 32 bits set.
 */
/* Whether socket()'s family is in a register seccomp can read, or behind socketcall()'s pointer. */
enum family_arg { FAMILY_IN_REGISTER, FAMILY_BEHIND_POINTER };

/* A refusal: the errno, or in a dry run the kernel's log and nothing refused, or a notification
 * the supervisor answers with the same errno (refusal_errno()). */
static uint32_t refusal(const struct nonet_policy *p, int error) {
        return p->refusals == NONET_LOG_ONLY            ? SCMP_ACT_LOG
               : p->refusals == NONET_REFUSE_AND_NOTIFY ? SCMP_ACT_NOTIFY
                                                        : SCMP_ACT_ERRNO((uint32_t) error);
}

/* The action for a refused family. libaudit (libpam, login, su, sshd) takes any errno but "no
 * such family" from a netlink socket as an audit failure and fails the session: always
 * EAFNOSUPPORT. Not where socketcall() folds all families into one rule with one errno. */
static uint32_t family_action(const struct nonet_policy *p, int f, enum family_arg family) {
        return f == AF_NETLINK && family == FAMILY_IN_REGISTER ? refusal(p, EAFNOSUPPORT) : refusal(p, p->error);
}

/* Where rules go: libseccomp's context, or a seccomp profile being written (oci.c, through filter_rules()). */
struct rule_sink {
        scmp_filter_ctx ctx;
        filter_rule_fn add;
        void *userdata;
};

static int rule_add(struct rule_sink *s, uint32_t action, int sys, unsigned n, const struct scmp_arg_cmp *cmp) {
        return s->add ? s->add(s->userdata, action, sys, n, cmp) : seccomp_rule_add_array(s->ctx, action, sys, n, cmp);
}

/* Whether families [start, start + n) are all refused, with one action. */
static bool one_block(const struct nonet_policy *p, int start, int n, enum family_arg family) {
        for (int f = start; f < start + n; f++)
                if ((p->allow & (UINT64_C(1) << f)) || family_action(p, f, family) != family_action(p, start, family))
                        return false;
        return true;
}

/*
 * The refused families as aligned blocks of 2^k (family & ~(2^k - 1) == start), each one rule,
 * so that the default policy is seven comparisons rather than sixty-three: a shorter filter
 * costs less to attach (the kernel runs it for every system call to fill its cache) and to run.
 */
static int refuse_families(struct rule_sink *out, int sys, const struct nonet_policy *p, enum family_arg family) {
        for (int f = 0; f < NONET_FAMILY_MAX;) {
                if (p->allow & (UINT64_C(1) << f)) {
                        f++;
                        continue;
                }
                int n = 1;
                while (f % (2 * n) == 0 && f + 2 * n <= NONET_FAMILY_MAX && one_block(p, f, 2 * n, family))
                        n *= 2;
                struct scmp_arg_cmp cmp = n == 1 ? (struct scmp_arg_cmp) SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) f)
                                                 : (struct scmp_arg_cmp) SCMP_A0(SCMP_CMP_MASKED_EQ,
                                                                                 ~(scmp_datum_t) (n - 1),
                                                                                 (scmp_datum_t) f);
                int r = rule_add(out, family_action(p, f, family), sys, 1, &cmp);
                if (r < 0)
                        return r;
                f += n;
        }
        /* and any value past the last family, the upper 32 bits set too */
        struct scmp_arg_cmp past = SCMP_A0(SCMP_CMP_GE, NONET_FAMILY_MAX);
        return rule_add(out, refusal(p, p->error), sys, 1, &past);
}

/* The calls refused whatever their arguments; with a Landlock domain, not those it scopes. */
static int refuse_calls(struct rule_sink *out, const struct nonet_policy *p, bool ptrace_scoped) {
        for (size_t i = 0; i < n_refused_calls; i++) {
                const struct refused_call *c = &refused_calls[i];
                if (c->when == REFUSED_WITHOUT_LANDLOCK && ptrace_scoped)
                        continue;
                int sys = seccomp_syscall_resolve_name(c->name);
                if (sys == __NR_SCMP_ERROR)
                        return -EINVAL;
                int r = rule_add(out, refusal(p, c->error), sys, 0, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int refuse_ioctls(struct rule_sink *out, const struct nonet_policy *p) {
        for (size_t i = 0; i < n_refused_ioctls; i++) {
                struct scmp_arg_cmp cmd = SCMP_A1(SCMP_CMP_MASKED_EQ, UINT32_MAX, refused_ioctls[i].cmd);
                int r = rule_add(out, refusal(p, EPERM), SCMP_SYS(ioctl), 1, &cmd);
                if (r < 0)
                        return r;
        }
        return 0;
}

/*
 * A private loopback stays private: no way into another network namespace, where root holds
 * every capability (the one it came from, through a socket's or a process's, or a file of one).
 * setns() with CLONE_NEWNET, or with 0 (any type); the ioctls that give such a namespace.
 */
static int refuse_other_netns(struct rule_sink *out, const struct nonet_policy *p) {
        const struct scmp_arg_cmp any = SCMP_A1(SCMP_CMP_MASKED_EQ, UINT32_MAX, 0),
                                  net = SCMP_A1(SCMP_CMP_MASKED_EQ, CLONE_NEWNET, CLONE_NEWNET);
        int r;
        if ((r = rule_add(out, refusal(p, EPERM), SCMP_SYS(setns), 1, &any)) < 0 ||
            (r = rule_add(out, refusal(p, EPERM), SCMP_SYS(setns), 1, &net)) < 0)
                return r;
        for (size_t i = 0; i < n_netns_ioctls; i++) {
                struct scmp_arg_cmp cmd = SCMP_A1(SCMP_CMP_MASKED_EQ, UINT32_MAX, netns_ioctls[i].cmd);
                if ((r = rule_add(out, refusal(p, EPERM), SCMP_SYS(ioctl), 1, &cmd)) < 0)
                        return r;
        }
        return 0;
}

/*
 * TCP Fast Open connects with sendto(), which Landlock (before it has a hook there) does not
 * see: refused where the audit passed a TCP socket, the only kind it could be used on (no new
 * one can be made). Not by default: send calls would leave the kernel's constant-action cache.
 */
static int refuse_fastopen(struct rule_sink *out, const struct nonet_policy *p) {
        static const struct {
                int sys;
                unsigned arg;
        } calls[] = { { SCMP_SYS(sendto), 3 }, { SCMP_SYS(sendmsg), 2 }, { SCMP_SYS(sendmmsg), 3 } };
        for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                struct scmp_arg_cmp cmp = { calls[i].arg, SCMP_CMP_MASKED_EQ, MSG_FASTOPEN, MSG_FASTOPEN };
                int r = rule_add(out, refusal(p, EPERM), calls[i].sys, 1, &cmp);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void seccomp_releasep(scmp_filter_ctx *ctx) {
        if (*ctx)
                seccomp_release(*ctx);
}

static int arch_setup(scmp_filter_ctx ctx, const uint32_t *arches, size_t n, const struct nonet_policy *p) {
        int r;
        if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 || /* nonet_restrict() sets it itself */
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, p->refusals == NONET_REFUSE_AND_LOG)) < 0 ||
            /* a listener goes with one thread: the supervised program is started single-threaded */
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, p->refusals != NONET_REFUSE_AND_NOTIFY)) < 0 ||
            /* A network switch is no speculation sandbox: with spec_store_bypass_disable=seccomp a
             * filter would force the store-bypass mitigation on everything it wraps (README). */
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_SSB, 1)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_API_SYSRAWRC, 1)) < 0 ||
            (r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
                return r;
        bool keep_native = false;
        for (size_t i = 0; i < n; i++) {
                keep_native = keep_native || arches[i] == seccomp_arch_native();
                r = seccomp_arch_add(ctx, arches[i]);
                if (r < 0 && r != -EEXIST) /* the native one is there from the start */
                        return r;
        }
        return keep_native ? 0 : seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
}

/* One context for the given architectures, all with the same rules. */
struct filter_spec {
        const struct nonet_policy *policy;
        bool ptrace_scoped; /* a Landlock domain scopes ptrace and friends */
        bool fastopen;      /* refuse MSG_FASTOPEN */
};

static int spec_rules(struct rule_sink *out, const struct filter_spec *spec, enum family_arg family) {
        const struct nonet_policy *p = spec->policy;
        int r;
        if ((r = refuse_families(out, SCMP_SYS(socket), p, family)) < 0 ||
            (r = refuse_families(out, SCMP_SYS(socketpair), p, family)) < 0 ||
            (r = refuse_calls(out, p, spec->ptrace_scoped)) < 0 || (r = refuse_ioctls(out, p)) < 0 ||
            (spec->fastopen && (r = refuse_fastopen(out, p)) < 0) ||
            (p->netns == NONET_NETNS_PRIVATE_LOOPBACK && (r = refuse_other_netns(out, p)) < 0))
                return r;
        return 0;
}

static int arch_filter(const uint32_t *arches, size_t n, const struct filter_spec *spec, enum family_arg family,
                       scmp_filter_ctx *ret) {
        _cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
        int r;

        if (!ctx)
                return -ENOMEM;
        struct rule_sink out = { .ctx = ctx };
        if ((r = arch_setup(ctx, arches, n, spec->policy)) < 0 || (r = spec_rules(&out, spec, family)) < 0)
                return r;
        *ret = steal_pointer(&ctx);
        return 0;
}

int filter_rules(const struct nonet_policy *p, bool ptrace_scoped, filter_rule_fn add, void *userdata) {
        const struct filter_spec spec = { p, ptrace_scoped, false };
        struct rule_sink out = { .add = add, .userdata = userdata };
        return spec_rules(&out, &spec, FAMILY_IN_REGISTER);
}

/*
 * The native ABI, and the compat ABIs a process can also enter (x86_64: i386
 * through int 0x80 and x32; aarch64: arm) with the same rules; any other ABI
 * is killed. i386 multiplexes socket() through socketcall(), so it is built
 * on its own and merged.
 */
int filter_build_full(const struct nonet_policy *p, bool ptrace_scoped, bool fastopen, scmp_filter_ctx *ret) {
        const struct filter_spec spec = { p, ptrace_scoped, fastopen };
        scmp_filter_ctx ctx, compat;
        uint32_t native = seccomp_arch_native();
        int r;

        switch (native) {
        case SCMP_ARCH_X86_64: {
                static const uint32_t direct[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32 };
                static const uint32_t multiplexed[] = { SCMP_ARCH_X86 };
                r = arch_filter(direct, ELEMENTSOF(direct), &spec, FAMILY_IN_REGISTER, &ctx);
                if (r < 0)
                        return r;
                r = arch_filter(multiplexed, ELEMENTSOF(multiplexed), &spec, FAMILY_BEHIND_POINTER, &compat);
                break;
        }
        case SCMP_ARCH_AARCH64: {
                static const uint32_t direct[] = { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
                return arch_filter(direct, ELEMENTSOF(direct), &spec, FAMILY_IN_REGISTER, ret);
        }
        default:
                return arch_filter(&native, 1, &spec, FAMILY_IN_REGISTER, ret);
        }
        if (r >= 0)
                r = seccomp_merge(ctx, compat); /* takes compat, also on failure */
        if (r < 0) {
                seccomp_release(ctx);
                return r;
        }
        *ret = ctx;
        return 0;
}

int filter_build(const struct nonet_policy *p, bool ptrace_scoped, scmp_filter_ctx *ret) {
        return filter_build_full(p, ptrace_scoped, false, ret);
}

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif

int prebuilt_load(const struct sock_fprog *prog, bool log_refusals) {
        /* SPEC_ALLOW: see arch_setup() */
        unsigned flags = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_SPEC_ALLOW |
                         (log_refusals ? SECCOMP_FILTER_FLAG_LOG : 0);
        long r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, prog);
        if (r < 0)
                return negative_errno();
        return r > 0 ? -ESRCH : 0; /* TSYNC failed on thread r */
}

int filter_load(scmp_filter_ctx ctx) {
        int r = seccomp_load(ctx);
        return r > 0 ? -ESRCH : r; /* TSYNC failed on thread r */
}

int refusal_errno(const struct nonet_policy *p, uint32_t arch, int nr, uint64_t a0, uint64_t a1,
                  char *call, size_t size) {
        uint32_t scmp = arch == AUDIT_ARCH_I386 ? SCMP_ARCH_X86 : arch == AUDIT_ARCH_X86_64 && (nr & 0x40000000)
                                                                       ? SCMP_ARCH_X32 : seccomp_arch_native();
        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(scmp, nr);
        const char *n = name ? name : "?";
        if (strcmp(n, "socket") == 0 || strcmp(n, "socketpair") == 0) {
                static const char *const types[] = { [1] = "SOCK_STREAM", [2] = "SOCK_DGRAM", [3] = "SOCK_RAW",
                                                     [5] = "SOCK_SEQPACKET", [10] = "SOCK_PACKET" };
                const char *family = a0 < NONET_FAMILY_MAX ? nonet_family_to_name((int) a0) : NULL;
                const char *type = (a1 & 0xf) < ELEMENTSOF(types) ? types[a1 & 0xf] : NULL;
                char fam[32];
                snprintf(fam, sizeof(fam), "AF_%s", family ? family : "?");
                for (char *c = fam; *c; c++)
                        *c = *c >= 'a' && *c <= 'z' ? (char) (*c - 32) : *c;
                snprintf(call, size, "%s(%s, %s)", n, family ? fam : "?", type ? type : "?");
                return a0 == AF_NETLINK ? EAFNOSUPPORT : p->error;
        }
        if (strcmp(n, "ioctl") == 0) {
                for (size_t i = 0; i < n_refused_ioctls; i++)
                        if ((uint32_t) a1 == refused_ioctls[i].cmd) {
                                snprintf(call, size, "ioctl(%s)", refused_ioctls[i].name);
                                return EPERM;
                        }
                for (size_t i = 0; i < n_netns_ioctls; i++)
                        if ((uint32_t) a1 == netns_ioctls[i].cmd) {
                                snprintf(call, size, "ioctl(%s)", netns_ioctls[i].name);
                                return EPERM;
                        }
                snprintf(call, size, "ioctl(%#llx)", (unsigned long long) a1);
                return EPERM;
        }
        for (size_t i = 0; i < n_refused_calls; i++)
                if (strcmp(n, refused_calls[i].name) == 0) {
                        snprintf(call, size, "%s()", n);
                        return refused_calls[i].error;
                }
        if (strcmp(n, "setns") == 0) {
                snprintf(call, size, "setns(%s)", a1 & CLONE_NEWNET ? "CLONE_NEWNET" : "0");
                return EPERM;
        }
        snprintf(call, size, "%s(MSG_FASTOPEN)", n); /* the send calls: Fast Open */
        return EPERM;
}

/* A libseccomp context as the BPF program it loads. */
int filter_context_program(scmp_filter_ctx ctx, struct sock_filter **ret, size_t *ret_n) {
        _cleanup_close_ int fd = memfd_create("nonet-bpf", MFD_CLOEXEC);
        int r = fd < 0 ? negative_errno() : seccomp_export_bpf(ctx, fd);
        if (r < 0)
                return r;
        off_t size = lseek(fd, 0, SEEK_CUR);
        if (size <= 0 || size % (off_t) sizeof(struct sock_filter) != 0)
                return -EIO;
        struct sock_filter *prog = malloc((size_t) size);
        if (!prog)
                return -ENOMEM;
        if (pread(fd, prog, (size_t) size, 0) != size) {
                free(prog);
                return -EIO;
        }
        *ret = prog;
        *ret_n = (size_t) size / sizeof(*prog);
        return 0;
}

int filter_program(const struct nonet_policy *policy, bool ptrace_scoped, struct sock_filter **ret, size_t *ret_n) {
        struct nonet_policy p;
        scmp_filter_ctx ctx;
        int r = policy_normalize(policy, &p, NULL);
        if (r < 0)
                return r;
        r = filter_build(&p, ptrace_scoped, &ctx);
        if (r < 0)
                return r;
        r = filter_context_program(ctx, ret, ret_n);
        seccomp_release(ctx);
        return r;
}

int filter_export(const struct nonet_policy *policy, bool bpf, int fd) {
        struct nonet_result r = { 0 };
        struct plan pl;
        scmp_filter_ctx ctx;

        int e = plan_make(policy, landlock_abi(), &pl, &r);
        if (e < 0 && r.failed == NONET_LAYER_POLICY)
                return e;
        /* The filter as nonet_restrict() would load it here, for a process holding no TCP socket. */
        e = filter_build(&pl.policy, pl.rows & NONET_ROW_SCOPED, &ctx);
        if (e < 0)
                return e;
        e = bpf ? seccomp_export_bpf(ctx, fd) : seccomp_export_pfc(ctx, fd);
        seccomp_release(ctx);
        return e;
}
