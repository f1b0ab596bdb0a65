/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The switch itself: no_new_privs, then Landlock, then seccomp. */

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static int fail(struct nonet_result *r, enum nonet_layer layer, int error) {
        r->failed = layer;
        return error;
}

static uid_t brokers_owner(const struct nonet_policy *p) {
        return p->brokers_uid == NONET_UID_CALLER ? getuid() : (uid_t) p->brokers_uid;
}

/* Everything that can be decided without changing the process. */
static int plan(const struct nonet_policy *policy, bool check_netns, struct plan *pl, struct nonet_result *r) {
        int seccomp = seccomp_available();
        /* made even without seccomp, so that the result still says what the policy needs */
        int e = plan_make(policy, landlock_abi(), pl, r);
        if (seccomp < 0) /* -EINVAL from prctl(PR_GET_SECCOMP): no CONFIG_SECCOMP */
                return fail(r, NONET_LAYER_SECCOMP, seccomp == -EINVAL ? -ENOSYS : seccomp);
        if (e < 0)
                return e;
        r->rows = pl->rows;
        r->rows_needed = pl->needed;
        if (check_netns && pl->policy.netns == NONET_NETNS_PRIVATE_LOOPBACK && (e = netns_check()) < 0)
                return fail(r, NONET_LAYER_NETNS, e);
        if (check_netns && pl->policy.brokers == NONET_BROKERS_CLOSED &&
            (e = mask_check(brokers_owner(&pl->policy), pl->policy.brokers_home, pl->policy.inherited,
                            &r->unpoliced_fd)) < 0)
                return fail(r, NONET_LAYER_BROKERS, e);
        e = descriptors_audit(pl, r);
        if (e != 0)
                return fail(r, NONET_LAYER_INHERITED, e > 0 ? -EBADFD : e);
        if (pl->tcp_held)
                r->rows = pl->rows |= NONET_ROW_FASTOPEN;
        return 0;
}

/* The size of the first version of struct nonet_result: anything shorter is a caller's bug. */
#define RESULT_SIZE_MIN (offsetof(struct nonet_result, landlock_applied) + sizeof(int))
#define RESULT_SIZE_V1 (offsetof(struct nonet_result, unpoliced_protocol) + sizeof(int))

#define NO_SUCH_TYPE 15 /* SOCK_TYPE_MASK: refused by the filter, else EINVAL; nothing is created */

/* The filter is in force: socket(AF_INET) is refused before the kernel's EINVAL for the type
 * (by this filter or, nested, a stricter one). */
static int seccomp_in_force(const struct plan *pl) {
        const struct nonet_policy *p = &pl->policy;
        if (p->refusals != NONET_REFUSE || (p->allow & (UINT64_C(1) << 2 /* AF_INET */)))
                return 0; /* a probe would be logged, or AF_INET is kept: nothing to ask */
        long fd = syscall(__NR_socket, 2 /* AF_INET */, NO_SUCH_TYPE, 0);
        if (fd >= 0)
                close((int) fd);
        return fd < 0 && errno != EINVAL ? 0 : -ENOTRECOVERABLE;
}

static int load_seccomp(const struct plan *pl, bool scoped, int *ret_notify_fd) {
        const struct nonet_policy *p = &pl->policy;
        const struct sock_fprog *prog = pl->tcp_held ? NULL : prebuilt_filter(p, scoped);
        scmp_filter_ctx ctx;
        int e;

        if (prog)
                return prebuilt_load(prog, p->refusals == NONET_REFUSE_AND_LOG);
        e = filter_build_full(p, scoped, pl->tcp_held, &ctx);
        if (e < 0)
                return e;
        e = filter_load(ctx);
        int listener = e >= 0 && p->refusals == NONET_REFUSE_AND_NOTIFY ? seccomp_notify_fd(ctx) : -1;
        /* ours to keep, whether or not libseccomp closes its own at release */
        int kept = listener >= 0 ? fcntl(listener, F_DUPFD_CLOEXEC, 3) : -1;
        seccomp_release(ctx);
        if (listener >= 0 && fcntl(listener, F_GETFD) >= 0)
                close(listener);
        if (e >= 0 && p->refusals == NONET_REFUSE_AND_NOTIFY && kept < 0)
                return -EIO;
        *ret_notify_fd = kept;
        return e;
}

/* Each layer the plan counted on is in force, or nothing is: the caller must not go on. */
static int enforce(const struct plan *pl, struct nonet_result *r) {
        _cleanup_(mask_servers_free) struct mask_servers servers = { 0 };
        int e;

        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return fail(r, NONET_LAYER_NO_NEW_PRIVS, negative_errno());
        bool mask = pl->policy.brokers == NONET_BROKERS_CLOSED && !pl->policy.brokers_masked;
        /* the user's own servers' sockets, found before any namespace is made */
        if (mask && (e = mask_find_servers(brokers_owner(&pl->policy), &servers)) < 0)
                return fail(r, NONET_LAYER_BROKERS, e);
        /* before Landlock and seccomp, which then hold inside the new namespaces too */
        if (pl->policy.netns == NONET_NETNS_PRIVATE_LOOPBACK && (e = netns_private_loopback()) < 0)
                return fail(r, NONET_LAYER_NETNS, e);
        /* after it: a private loopback's user namespace makes the mount namespace too */
        if (mask &&
            (e = mask_brokers(brokers_owner(&pl->policy), pl->policy.brokers_home, &servers, pl->policy.inherited,
                              &r->unpoliced_fd)) < 0)
                return fail(r, NONET_LAYER_BROKERS, e);
        if (pl->policy.brokers_system_bus[0] && (e = mask_system_bus(pl->policy.brokers_system_bus)) < 0)
                return fail(r, NONET_LAYER_BROKERS, e);
        if (pl->abi > 0) {
                /* The plan counted on every Landlock row it gives (the audit passed sockets on
                 * them): a domain refused now (16 stacked, no memory) fails closed. */
                e = landlock_apply(pl->abi, &pl->policy);
                if (e < 0)
                        return fail(r, NONET_LAYER_LANDLOCK, e);
                r->landlock_applied = e;
        }
        /* Without a Landlock domain, seccomp refuses ptrace and friends outright. */
        e = load_seccomp(pl, r->landlock_applied > 0, &r->notify_fd);
        if (e >= 0)
                e = seccomp_in_force(pl);
        if (e < 0)
                return fail(r, NONET_LAYER_SECCOMP, e);
        return 0;
}

int brokers_mask_first(struct nonet_policy *p, struct nonet_result *ret_result, size_t size) {
        _cleanup_(mask_servers_free) struct mask_servers servers = { 0 };
        struct nonet_result r = { .notify_fd = -1 };
        int e = 0;
        if (ret_result && size < RESULT_SIZE_MIN)
                return -EINVAL;
        if (p->brokers == NONET_BROKERS_CLOSED && !p->brokers_masked) {
                uid_t uid = brokers_owner(p);
                if ((e = mask_find_servers(uid, &servers)) >= 0 &&
                    (e = mask_brokers(uid, p->brokers_home, &servers, p->inherited, &r.unpoliced_fd)) >= 0)
                        p->brokers_masked = true;
                else
                        r.failed = NONET_LAYER_BROKERS;
        }
        copy_out(ret_result, size, &r, sizeof(r));
        return e < 0 ? e : 0;
}

enum step { PLAN_ONLY, PLAN_AND_ENFORCE };

static int plan_then(enum step step, const struct nonet_policy *policy, struct nonet_result *ret_result, size_t size) {
        struct nonet_result r = { .notify_fd = -1 };
        struct plan pl;
        if (ret_result && size < RESULT_SIZE_MIN)
                return -EINVAL;
        int e = plan(policy, step == PLAN_ONLY, &pl, &r);
        if (e >= 0 && step == PLAN_AND_ENFORCE && (e = enforce(&pl, &r)) < 0)
                r.rows = 0; /* what is in force is no longer what was asked: nothing to promise */
        copy_out(ret_result, size, &r, sizeof(r));
        return e < 0 ? e : 0;
}

const char *nonet_version(void) {
        return NONET_VERSION;
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
static const char *needed_for(const struct nonet_result *r) {
        if (r->landlock_needed == 2 && (r->rows_needed & NONET_ROW_BROKERS))
                return "brokers closed need Landlock's ptrace scoping (without it /proc/PID/root of a process "
                       "outside reaches the masked sockets): ABI 2, Linux 5.19";
        switch (r->landlock_needed) {
        case 9:
                return "reaching only the listed unix sockets (unix: listed) needs ABI 9, Linux 7.1";
        case 6:
                return "refusing abstract unix sockets outside (unix: no-abstract) needs ABI 6, Linux 6.12";
        case 4:
                return "Landlock is required: TCP rules on inherited sockets need ABI 4, Linux 6.7";
        default:
                return "Landlock is required (landlock: require)";
        }
}

/* What to do where user namespaces are off, after what needed one. */
static void userns_off_text(const char *need, int e, char *buf, size_t size) {
        snprintf(buf, size, "%s, and user namespaces are off here (%s): set kernel.unprivileged_userns_clone=1 and a "
                            "user.max_user_namespaces above 0, or lift the AppArmor restriction "
                            "(kernel.apparmor_restrict_unprivileged_userns=0)",
                 need, errno_text(e));
}

static void landlock_failure(int e, const struct nonet_result *r, char *buf, size_t size) {
        if (e == ENOSYS)
                snprintf(buf, size, "%s, but this kernel does not have Landlock (CONFIG_SECURITY_LANDLOCK)",
                         needed_for(r));
        else if (e == EOPNOTSUPP)
                snprintf(buf, size, "%s, but Landlock is disabled at boot (add landlock to the lsm= kernel parameter)",
                         needed_for(r));
        else if (e == EPROTONOSUPPORT)
                snprintf(buf, size, "%s, but this kernel has Landlock ABI %d", needed_for(r),
                         r->landlock_abi);
        else if (e == E2BIG)
                snprintf(buf, size, "the kernel refused the Landlock rules the plan counts on: 16 Landlock domains "
                                    "are stacked already (the kernel's limit); run it from a shallower sandbox");
        else
                snprintf(buf, size, "the kernel refused the Landlock rules the plan counts on: %s", errno_text(e));
}

static const char *conflict_text(int conflict) {
        switch (conflict) {
        case NONET_CONFLICT_UNIX_WITHOUT_LANDLOCK:
                return "a unix level but all (no-abstract, listed) needs Landlock, which the policy turns off "
                       "(landlock: off)";
        case NONET_CONFLICT_DRY_RUN_LANDLOCK:
                return "a dry run applies no Landlock: it cannot be combined with landlock: require or a unix level "
                       "but all";
        case NONET_CONFLICT_UNIX_PATHS:
                return "unix paths are listed, but the unix level is not listed";
        case NONET_CONFLICT_DRY_RUN_NETNS:
                return "a dry run changes nothing: it cannot be combined with a private loopback";
        case NONET_CONFLICT_BROKERS_WITHOUT_LANDLOCK:
                return "brokers closed need Landlock's ptrace scoping (without it /proc/PID/root of a process "
                       "outside reaches the masked sockets), which the policy turns off (landlock: off, or a dry run)";
        default:
                return "a value the library does not take";
        }
}

static void held_text(int e, const struct nonet_result *r, int kind, char *buf, size_t size) {
        static const char *const devices[] = {
                [NONET_HELD_IO_URING] = "an io_uring instance, whose requests (socket, connect, send) seccomp never "
                                        "sees",
                [NONET_HELD_TUN] = "a tun/tap device (/dev/net/tun), whose frames go onto the network",
                [NONET_HELD_MACVTAP] = "a macvtap or ipvtap device, whose frames go onto the network",
                [NONET_HELD_VHOST] = "a vhost device, which moves a virtual machine's traffic",
                [NONET_HELD_RDMA] = "an RDMA device (/dev/infiniband/), which carries data to other hosts",
                [NONET_HELD_PPP] = "a ppp channel (/dev/ppp)",
                [NONET_HELD_UNKNOWN_DEVICE] = "a character device that cannot be told apart without /sys",
                [NONET_HELD_NAMESPACE] = "a network namespace's file (/proc/PID/ns/net), a way back from the "
                                         "private loopback to another network",
                [NONET_HELD_QUEUE] = "a unix socket with descriptors queued on it (sent, not yet received) that "
                                     "cannot be read without taking them",
        };
        const char *family = nonet_family_to_name(r->unpoliced_family) ?: "?";
        const char *tail = ", so it could still reach the network: close it first, or accept the risk explicitly";
        char what[96];

        /* a descriptor queued on a held unix socket is held by whoever reads the queue */
        if (r->in_flight > 0)
                snprintf(what, sizeof(what), "a descriptor sent on unix socket %d and not yet received",
                         r->unpoliced_fd);
        else
                snprintf(what, sizeof(what), "descriptor %d", r->unpoliced_fd);
        if (e != EBADFD)
                snprintf(buf, size, "cannot list the descriptors held: %s", errno_text(e));
        else if (kind > NONET_HELD_SOCKET && kind < (int) ELEMENTSOF(devices) && devices[kind])
                snprintf(buf, size, "%s is %s%s", what, devices[kind], tail);
        else if (r->unpoliced_protocol == 6 && (r->rows & NONET_ROW_TCP))
                snprintf(buf, size, "%s (%s socket, TCP) is not connected: it could listen() on a port of its "
                                    "own, which Landlock does not police%s", what, family, tail);
        else if (r->unpoliced_protocol == 6)
                snprintf(buf, size, "%s (%s socket, TCP): this kernel's Landlock cannot stop it connecting "
                                    "elsewhere (TCP rules: ABI 4, Linux 6.7)%s", what, family, tail);
        else if (r->unpoliced_protocol == 17 && r->unpoliced_type == 2)
                snprintf(buf, size, "%s (%s socket, UDP): this kernel's Landlock cannot stop it sending "
                                    "elsewhere (UDP rules: ABI 10, Linux 7.2)%s", what, family, tail);
        else
                snprintf(buf, size, "%s (%s socket, %s): no Landlock polices it%s", what, family,
                         socket_kind(r->unpoliced_type, r->unpoliced_protocol), tail);
}

void nonet_describe_failure_sized(int error, const struct nonet_result *rr, size_t r_size, char *buf, size_t size) {
        struct nonet_result r = { 0 };
        int e = error < 0 ? -error : error;

        if (!buf || size == 0)
                return;
        if (rr)
                memcpy(&r, rr, r_size < sizeof(r) ? r_size : sizeof(r));
        switch (r.failed) {
        case NONET_LAYER_POLICY:
                snprintf(buf, size, "invalid policy: %s", conflict_text(r.conflict));
                return;
        case NONET_LAYER_NO_NEW_PRIVS:
                snprintf(buf, size, "cannot set no_new_privs: %s", errno_text(e));
                return;
        case NONET_LAYER_SECCOMP:
                if (e == ENOSYS || e == EOPNOTSUPP)
                        snprintf(buf, size, "seccomp is not available in this kernel (CONFIG_SECCOMP_FILTER)");
                else if (e == ENOTRECOVERABLE)
                        snprintf(buf, size, "the seccomp filter was loaded, but socket() is not refused");
                else
                        snprintf(buf, size, "cannot load the seccomp filter: %s", errno_text(e));
                return;
        case NONET_LAYER_LANDLOCK:
                landlock_failure(e, &r, buf, size);
                return;
        case NONET_LAYER_INHERITED:
                /* an older caller's struct has no kind: a socket, as then */
                held_text(e, &r, r_size > offsetof(struct nonet_result, held) ? r.held : NONET_HELD_SOCKET, buf,
                          size);
                return;
        case NONET_LAYER_NETNS:
                if (e == EPERM || e == ENOSPC || e == EACCES)
                        userns_off_text("a private loopback needs a user namespace", e, buf, size);
                else if (e == EINVAL)
                        snprintf(buf, size, "a private loopback needs a single-threaded process (unshare: %s)",
                                 errno_text(e));
                else
                        snprintf(buf, size, "cannot make a private loopback: %s", errno_text(e));
                return;
        case NONET_LAYER_BROKERS:
                if (e == EPERM || e == ENOSPC || e == EACCES)
                        userns_off_text("closing the brokers needs a mount namespace, made in a user namespace "
                                        "where the caller is not root",
                                        e, buf, size);
                else if (e == EBADSLT)
                        snprintf(buf, size, "an ssh, tmux or screen process of the user's hides its descriptors (not "
                                            "dumpable): whether it serves a socket that runs commands outside cannot "
                                            "be told (nonet-exec --check-config names those it can read)");
                else if (e == EINVAL)
                        snprintf(buf, size, "closing the brokers needs a single-threaded process (unshare: %s)",
                                 errno_text(e));
                else if (e == EBADFD)
                        snprintf(buf, size, "descriptor %d is a directory (or a socket's path) of the mount namespace "
                                            "outside, beneath which the brokers' masked sockets stay reachable "
                                            "(/proc/self/fd/%d/...): close it first", r.unpoliced_fd, r.unpoliced_fd);
                else
                        snprintf(buf, size, "cannot mask the brokers' sockets: %s", errno_text(e));
                return;
        case NONET_LAYER_NONE:
        case _NONET_LAYER_MAX:
                break;
        }
        snprintf(buf, size, "%s", errno_text(e));
}

void nonet_describe_failure(int error, const struct nonet_result *r, char *buf, size_t size) {
        nonet_describe_failure_sized(error, r, RESULT_SIZE_V1, buf, size);
}
