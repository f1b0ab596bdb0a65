/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libnonet: names, policy, the filter as a table, and enforcement in forked children. */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/filter.h>

#include "bpf.h"
#include "calls.h"
#include "internal.h"
#include "tap.h"
#include "util.h"

#define X32_BIT 0x40000000U
#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS
#define ERR(e) (SECCOMP_RET_ERRNO | (uint32_t) (e))

static void test_family_names(void) {
        CHECK_EQ(nonet_family_from_name("inet"), AF_INET);
        CHECK_EQ(nonet_family_from_name("AF_INET6"), AF_INET6);
        CHECK_EQ(nonet_family_from_name("af_netlink"), AF_NETLINK);
        CHECK_EQ(nonet_family_from_name("NetLink"), AF_NETLINK);
        CHECK_EQ(nonet_family_from_name("local"), AF_UNIX);
        CHECK_EQ(nonet_family_from_name("vsock"), AF_VSOCK);
        CHECK_EQ(nonet_family_from_name("bluetooth"), AF_BLUETOOTH);
        CHECK_EQ(nonet_family_from_name("17"), AF_PACKET);
        CHECK_EQ(nonet_family_from_name("63"), 63);
        CHECK_EQ(nonet_family_from_name("64"), -EINVAL);
        CHECK_EQ(nonet_family_from_name("-1"), -EINVAL);
        CHECK_EQ(nonet_family_from_name("2x"), -EINVAL);
        CHECK_EQ(nonet_family_from_name("inet4"), -EINVAL);
        CHECK_EQ(nonet_family_from_name(""), -EINVAL);
        CHECK_EQ(nonet_family_from_name("AF_"), -EINVAL);
        CHECK(strcmp(nonet_family_to_name(AF_INET6), "inet6") == 0, "inet6 name");
        CHECK(nonet_family_to_name(50) == NULL, "no name for 50");
        CHECK(nonet_family_to_name(-1) == NULL, "no name for -1");
}

static void test_family_lists(void) {
        uint64_t set = 0;
        char bad[16] = "", buf[64];

        CHECK_EQ(nonet_families_parse("unix,netlink", &set, bad, sizeof(bad)), 0);
        CHECK_EQ(set, (UINT64_C(1) << AF_UNIX) | (UINT64_C(1) << AF_NETLINK));
        CHECK_EQ(nonet_families_parse("AF_INET, inet6", &set, bad, sizeof(bad)), 0);
        CHECK_EQ(set, (UINT64_C(1) << AF_INET) | (UINT64_C(1) << AF_INET6));
        CHECK_EQ(nonet_families_parse("inet,bogus,unix", &set, bad, sizeof(bad)), -EINVAL);
        CHECK(strcmp(bad, "bogus") == 0, "bad word is 'bogus', got '%s'", bad);
        CHECK_EQ(nonet_families_parse("a-very-long-family-name-indeed-longer-than-32", &set, bad, sizeof(bad)), -EINVAL);
        CHECK(strlen(bad) == sizeof(bad) - 1, "long bad word truncated, got '%s'", bad);
        CHECK_EQ(nonet_families_parse(",", &set, bad, sizeof(bad)), -EINVAL);
        CHECK_EQ(nonet_families_parse("", &set, bad, sizeof(bad)), -EINVAL);

        CHECK_EQ(nonet_families_format((UINT64_C(1) << AF_UNIX) | (UINT64_C(1) << 50), buf, sizeof(buf)), 0);
        CHECK(strcmp(buf, "unix,50") == 0, "format gives '%s'", buf);
        CHECK_EQ(nonet_families_format(~UINT64_C(0), buf, 8), -ENOBUFS);
}

static void test_policy_words(void) {
        struct nonet_policy p, n;

        CHECK_EQ(nonet_errno_from_name("EAFNOSUPPORT"), EAFNOSUPPORT);
        CHECK_EQ(nonet_errno_from_name("eperm"), EPERM);
        CHECK_EQ(nonet_errno_from_name("enoent"), -EINVAL);
        CHECK_EQ(nonet_landlock_from_name("require"), NONET_LANDLOCK_REQUIRE);
        CHECK_EQ(nonet_landlock_from_name("Off"), NONET_LANDLOCK_OFF);
        CHECK_EQ(nonet_landlock_from_name("maybe"), -EINVAL);

        CHECK_EQ(nonet_unix_from_name("all"), NONET_UNIX_ALL);
        CHECK_EQ(nonet_unix_from_name("No-Abstract"), NONET_UNIX_NO_ABSTRACT);
        CHECK_EQ(nonet_unix_from_name("none"), -EINVAL);
        CHECK(nonet_unix_to_name((enum nonet_unix) 7) == NULL, "no name for unix level 7");

        policy_init(&p);
        CHECK_EQ(p.allow, UINT64_C(1) << AF_UNIX);
        CHECK_EQ(p.error, EAFNOSUPPORT);
        CHECK_EQ(p.unix_reach, NONET_UNIX_ALL);
        CHECK_EQ(policy_normalize(NULL, &n, NULL), 0);
        CHECK(n.allow == p.allow && n.error == p.error && n.landlock == p.landlock && n.unix_reach == p.unix_reach,
              "NULL is the default policy");
        p.allow = UINT64_C(1) << AF_NETLINK;
        CHECK_EQ(policy_normalize(&p, &n, NULL), 0);
        CHECK_EQ(n.allow, (UINT64_C(1) << AF_NETLINK) | (UINT64_C(1) << AF_UNIX));
        p.error = ENOENT;
        CHECK_EQ(policy_normalize(&p, &n, NULL), -EINVAL);
        CHECK_EQ(nonet_restrict(&p, NULL, 0), -EINVAL);
        /* Only Landlock can refuse abstract sockets: with it off the policy cannot hold. */
        policy_init(&p);
        p.unix_reach = NONET_UNIX_NO_ABSTRACT;
        p.landlock = NONET_LANDLOCK_OFF;
        CHECK_EQ(policy_normalize(&p, &n, NULL), -EINVAL);
        struct nonet_result r;
        CHECK_EQ(nonet_check(&p, &r, sizeof(r)), -EINVAL);
        CHECK_EQ(r.failed, NONET_LAYER_POLICY);
}

/* The opaque policy: attributes by number, unknown ones and bad values refused. */
static void test_policy_handle(void) {
        struct nonet_policy *p = nonet_policy_new();
        uint64_t v = 99;

        CHECK(p, "new");
        if (!p)
                return;
        CHECK_EQ(nonet_policy_get(p, NONET_ATTR_ALLOW, &v), 0);
        CHECK_EQ(v, UINT64_C(1) << AF_UNIX);
        CHECK_EQ(nonet_policy_get(p, NONET_ATTR_UNIX, &v), 0);
        CHECK_EQ(v, NONET_UNIX_ALL);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_ALLOW, UINT64_C(1) << AF_INET), 0);
        CHECK_EQ(nonet_policy_get(p, NONET_ATTR_ALLOW, &v), 0);
        CHECK_EQ(v, (UINT64_C(1) << AF_INET) | (UINT64_C(1) << AF_UNIX)); /* AF_UNIX always */
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_ERRNO, EPERM), 0);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_ERRNO, ENOENT), -EINVAL);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_ERRNO, (UINT64_C(1) << 32) | EPERM), -EINVAL);
        CHECK_EQ(nonet_policy_get(p, NONET_ATTR_ERRNO, &v), 0);
        CHECK_EQ(v, EPERM);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_LANDLOCK, NONET_LANDLOCK_REQUIRE), 0);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_LANDLOCK, 3), -EINVAL);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_UNIX, NONET_UNIX_NO_ABSTRACT), 0);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_UNIX, 3), -EINVAL);
        CHECK_EQ(nonet_policy_set(p, NONET_ATTR_UNIX, UINT64_C(1) << 33), -EINVAL);
        CHECK_EQ(nonet_policy_get(p, NONET_ATTR_UNIX, &v), 0);
        CHECK_EQ(v, NONET_UNIX_NO_ABSTRACT);
        /* an attribute of a newer library is refused, not ignored */
        CHECK_EQ(nonet_policy_set(p, (enum nonet_attr) 0, 0), -EINVAL);
        CHECK_EQ(nonet_policy_set(p, (enum nonet_attr) 99, 0), -EINVAL);
        CHECK_EQ(nonet_policy_get(p, (enum nonet_attr) 99, &v), -EINVAL);
        CHECK_EQ(nonet_policy_set(NULL, NONET_ATTR_ERRNO, EPERM), -EINVAL);
        nonet_policy_free(p);
        nonet_policy_free(NULL);
}

/* struct nonet_result is filled up to the caller's size: older (shorter) and newer (longer) callers. */
static void test_result_sizes(void) {
        struct nonet_policy p;
        struct nonet_result full;
        struct {
                struct nonet_result r;
                unsigned char future[16];
        } newer;
        policy_init(&p);
        p.landlock = NONET_LANDLOCK_REQUIRE;
        CHECK_EQ(nonet_check(&p, &full, sizeof(full)), 0);
        CHECK_EQ(full.landlock_needed, 4);
        CHECK((full.rows_needed & NONET_ROW_TCP) && (full.rows & NONET_ROW_TCP), "require: the TCP row needed and given");
        memset(&newer, 0xaa, sizeof(newer));
        CHECK_EQ(nonet_check(&p, &newer.r, sizeof(newer)), 0);
        CHECK(memcmp(&newer.r, &full, sizeof(full)) == 0, "the known fields");
        bool zero = true;
        for (size_t i = 0; i < sizeof(newer.future); i++)
                zero = zero && newer.future[i] == 0;
        CHECK(zero, "a newer caller's fields this library does not know read as zero");
        struct nonet_result older;
        memset(&older, 0xaa, sizeof(older));
        size_t v0 = offsetof(struct nonet_result, landlock_applied) + sizeof(int);
        CHECK_EQ(nonet_check(&p, &older, v0), 0);
        CHECK_EQ(older.landlock_needed, 4);
        CHECK_EQ(nonet_check(&p, &older, v0 - 1), -EINVAL);
        CHECK_EQ(nonet_check(&p, NULL, 0), 0);
        struct nonet_status st;
        CHECK_EQ(nonet_status(&st, sizeof(st)), 0);
        CHECK_EQ(nonet_status(&st, 4), -EINVAL);
}

static int plan(enum nonet_landlock mode, enum nonet_unix reach, int kernel_abi) {
        struct nonet_policy p;
        policy_init(&p);
        p.landlock = mode;
        p.unix_reach = reach;
        struct nonet_result r = { 0 };
        struct plan pl;
        int e = plan_make(&p, kernel_abi, &pl, &r);
        return e < 0 ? e : pl.abi;
}

static void test_landlock_plan(void) {
        const enum nonet_unix all = NONET_UNIX_ALL, noabs = NONET_UNIX_NO_ABSTRACT;
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, all, 7), 7);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, all, 2), 2);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, all, -ENOSYS), 0);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, all, -EOPNOTSUPP), 0);
        CHECK_EQ(plan(NONET_LANDLOCK_OFF, all, 7), 0);
        /* require: what the default policy needs, TCP rules (ABI 4), not abstract scoping */
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, all, 4), 4);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, all, 6), 6);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, all, 3), -EPROTONOSUPPORT);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, all, -ENOSYS), -ENOSYS);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, all, -EOPNOTSUPP), -EOPNOTSUPP);
        /* no-abstract is asked for explicitly: ABI 6 or fail closed, even with auto */
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, noabs, 6), 6);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, noabs, 7), 7);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, noabs, 5), -EPROTONOSUPPORT);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, noabs, -ENOSYS), -ENOSYS);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, noabs, 5), -EPROTONOSUPPORT);
        CHECK_EQ(plan(NONET_LANDLOCK_REQUIRE, noabs, 6), 6);
        /* listed: ABI 9, named sockets outside only as listed */
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, NONET_UNIX_LISTED, 8), -EPROTONOSUPPORT);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, NONET_UNIX_LISTED, 9), 9);
        CHECK_EQ(plan(NONET_LANDLOCK_AUTO, NONET_UNIX_LISTED, 10), 10);
        struct nonet_policy *p = nonet_policy_new();
        CHECK(p && nonet_policy_add_unix_path(p, "relative") == -EINVAL, "paths are absolute");
        CHECK(p && nonet_policy_add_unix_path(p, "/tmp/.X11-unix") == 0, "a path");
        nonet_policy_free(p);
}

static void test_describe_failure(void) {
        struct nonet_result r = { .failed = NONET_LAYER_SECCOMP };
        char buf[256];

        nonet_describe_failure(-ENOSYS, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "seccomp is not available") && strstr(buf, "CONFIG_SECCOMP_FILTER"), "%s", buf);
        r = (struct nonet_result) { .failed = NONET_LAYER_LANDLOCK, .landlock_abi = 4, .landlock_needed = 6 };
        nonet_describe_failure(-EPROTONOSUPPORT, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "abstract unix sockets") && strstr(buf, "needs ABI 6") && strstr(buf, "has Landlock ABI 4"),
              "%s", buf);
        r = (struct nonet_result) { .failed = NONET_LAYER_LANDLOCK, .landlock_abi = 3, .landlock_needed = 4 };
        nonet_describe_failure(-EPROTONOSUPPORT, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "Landlock is required") && strstr(buf, "ABI 4") && strstr(buf, "has Landlock ABI 3"), "%s",
              buf);
        nonet_describe_failure(-EOPNOTSUPP, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "lsm="), "%s", buf);
        nonet_describe_failure(-ENOSYS, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "CONFIG_SECURITY_LANDLOCK"), "%s", buf);
        r = (struct nonet_result) { .failed = NONET_LAYER_POLICY, .conflict = NONET_CONFLICT_UNIX_WITHOUT_LANDLOCK };
        nonet_describe_failure_sized(-EINVAL, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "invalid policy") && strstr(buf, "landlock: off"), "%s", buf);
        r.conflict = NONET_CONFLICT_DRY_RUN_LANDLOCK;
        nonet_describe_failure_sized(-EINVAL, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "a dry run applies no Landlock"), "%s", buf);
        /* a held descriptor, each kind by name */
        r = (struct nonet_result) { .failed = NONET_LAYER_INHERITED, .unpoliced_fd = 7, .held = NONET_HELD_TUN };
        nonet_describe_failure_sized(-EBADFD, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "descriptor 7 is a tun/tap device"), "%s", buf);
        r.held = NONET_HELD_IO_URING;
        nonet_describe_failure_sized(-EBADFD, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "descriptor 7 is an io_uring instance"), "%s", buf);
        r = (struct nonet_result) { .failed = NONET_LAYER_INHERITED, .unpoliced_fd = 5, .held = NONET_HELD_SOCKET,
                                    .unpoliced_family = AF_INET, .unpoliced_type = SOCK_STREAM,
                                    .unpoliced_protocol = 6, .rows = NONET_ROW_TCP };
        nonet_describe_failure_sized(-EBADFD, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "descriptor 5 (inet socket, TCP) is not connected: it could listen()"), "%s", buf);
        /* an older caller's shorter struct is read only as far as it goes: a socket, as then */
        nonet_describe_failure(-EBADFD, &r, buf, sizeof(buf));
        CHECK(strstr(buf, "descriptor 5 (inet socket, TCP): this kernel's Landlock cannot stop it connecting"), "%s", buf);
        /* rows by name, and the ABI each needs */
        CHECK_EQ(nonet_rows_format(NONET_ROW_SCOPED | NONET_ROW_TCP | NONET_ROW_LISTED, buf, sizeof(buf)), 0);
        CHECK(strcmp(buf, "ptrace,tcp,listed") == 0, "%s", buf);
        CHECK_EQ(nonet_rows_format(0, buf, sizeof(buf)), 0);
        CHECK(strcmp(buf, "none") == 0, "%s", buf);
        CHECK_EQ(nonet_rows_format(NONET_ROW_FAMILIES, buf, 3), -ENOBUFS);
        CHECK_EQ(nonet_row_landlock_abi(NONET_ROW_UDP), 10);
        CHECK_EQ(nonet_row_landlock_abi(NONET_ROW_NO_ABSTRACT), 6);
        CHECK_EQ(nonet_row_landlock_abi(NONET_ROW_FAMILIES), 0);
        CHECK_EQ(nonet_row_landlock_abi(NONET_ROW_TCP | NONET_ROW_UDP), -EINVAL);
        /* unknown values are refused everywhere, a format too; and the version is the build's */
        CHECK_EQ(nonet_filter_export(NULL, (enum nonet_filter_format) 7, 1), -EINVAL);
        CHECK(strcmp(nonet_version(), NONET_VERSION) == 0, "version %s", nonet_version());
}

/* The filter libnonet would load, as BPF. */
static struct sock_filter *export_bpf(const struct nonet_policy *policy, bool scoped, size_t *ret_n) {
        struct sock_filter *prog;
        return filter_program(policy, scoped, &prog, ret_n) < 0 ? NULL : prog;
}

struct row {
        uint32_t arch;
        uint32_t nr;
        uint64_t a0;
        uint32_t action;
        uint64_t a1; /* ioctl's command */
};

static void check_rows(const struct nonet_policy *p, bool scoped, const struct row *rows, size_t n_rows) {
        size_t n;
        struct sock_filter *prog = export_bpf(p, scoped, &n);
        CHECK(prog, "exporting the filter");
        if (!prog)
                return;
        for (size_t i = 0; i < n_rows; i++) {
                struct seccomp_data d = { .nr = (int) rows[i].nr, .arch = rows[i].arch, .args = { rows[i].a0, rows[i].a1, 0 } };
                struct bpf_run run = bpf_run(prog, n, &d);
                CHECK(run.action == rows[i].action, "arch %#x nr %u a0 %#llx a1 %#llx: action %#x, expected %#x",
                      rows[i].arch, rows[i].nr, (unsigned long long) rows[i].a0, (unsigned long long) rows[i].a1,
                      run.action, rows[i].action);
        }
        free(prog);
}

#define X86_64 AUDIT_ARCH_X86_64
#define I386 AUDIT_ARCH_I386

static void test_filter_table_default(void) {
        struct nonet_policy p;
        const uint32_t af = ERR(EAFNOSUPPORT);
        const struct row rows[] = {
                /* x86_64 socket(): only AF_UNIX, whatever the upper bits say */
                { X86_64, 41, AF_UNIX, ALLOW },
                { X86_64, 41, AF_INET, af },
                { X86_64, 41, AF_INET6, af },
                { X86_64, 41, AF_NETLINK, af },
                { X86_64, 41, AF_PACKET, af },
                { X86_64, 41, AF_VSOCK, af },
                { X86_64, 41, AF_BLUETOOTH, af },
                { X86_64, 41, 0, af },
                { X86_64, 41, 63, af },
                { X86_64, 41, 64, af },
                { X86_64, 41, 0x100000001ULL, af },
                { X86_64, 41, 0x100000002ULL, af },
                { X86_64, 41, ~0ULL, af },
                { X86_64, 53, AF_UNIX, ALLOW },
                { X86_64, 53, AF_INET, af },
                { X86_64, 53, AF_TIPC, af },
                /* io_uring: ENOSYS, so runtimes fall back to epoll */
                { X86_64, 425, 0, ERR(ENOSYS) },
                { X86_64, 426, 0, ERR(ENOSYS) },
                { X86_64, 427, 0, ERR(ENOSYS) },
                /* terminal injection: TIOCSTI and TIOCLINUX, by the low 32 bits of the command */
                { X86_64, 16, 0, ERR(EPERM), 0x5412 },
                { X86_64, 16, 0, ERR(EPERM), 0x541C },
                { X86_64, 16, 0, ERR(EPERM), 0x100005412ULL },
                { X86_64, 16, 0, ERR(EPERM), 0xffffffff0000541CULL },
                { X86_64, 16, 0, ALLOW, 0x5401 },  /* TCGETS */
                { X86_64, 16, 0, ALLOW, 0x5402 },  /* TCSETS */
                { X86_64, 16, 0, ALLOW, 0x5413 },  /* TIOCGWINSZ */
                { X86_64, 16, 0, ALLOW, 0x540F },  /* TIOCGPGRP: job control */
                { X86_64, 16, 0, ALLOW, 0x541B },  /* FIONREAD */
                { X86_64, 16, 0, ALLOW, 0x100005401ULL },
                { X86_64, 514 | X32_BIT, 0, ERR(EPERM), 0x5412 }, /* x32 ioctl */
                { X86_64, 514 | X32_BIT, 0, ERR(EPERM), 0x541C },
                { X86_64, 514 | X32_BIT, 0, ALLOW, 0x5401 },
                { I386, 54, 0, ERR(EPERM), 0x5412 },
                { I386, 54, 0, ERR(EPERM), 0x541C },
                { I386, 54, 0, ALLOW, 0x5401 },
                /* existing sockets keep working */
                { X86_64, 42, 3, ALLOW },  /* connect */
                { X86_64, 44, 3, ALLOW },  /* sendto */
                { X86_64, 43, 3, ALLOW },  /* accept */
                { X86_64, 110, 0, ALLOW }, /* getppid */
                /* x32: the same rules */
                { X86_64, 41 | X32_BIT, AF_UNIX, ALLOW },
                { X86_64, 41 | X32_BIT, AF_INET, af },
                { X86_64, 41 | X32_BIT, 0x100000002ULL, af },
                { X86_64, 425 | X32_BIT, 0, ERR(ENOSYS) },
                /* i386: socket() by family; socketcall(SYS_SOCKET/SOCKETPAIR) hides it, so refused */
                { I386, 359, AF_UNIX, ALLOW },
                { I386, 359, AF_INET, af },
                { I386, 360, AF_INET, af },
                { I386, 102, 1, af },
                { I386, 102, 8, af },
                { I386, 102, 3, ALLOW }, /* SYS_CONNECT on an existing socket */
                { I386, 425, 0, ERR(ENOSYS) },
                { I386, 20, 0, ALLOW }, /* getpid */
                /* any other ABI is killed */
                { AUDIT_ARCH_AARCH64, 198, AF_INET, KILL },
                { 0, 41, AF_UNIX, KILL },
        };
        policy_init(&p);
        check_rows(&p, true, rows, ELEMENTSOF(rows));
}

static void test_filter_table_ptrace(void) {
        struct nonet_policy p;
        const uint32_t perm = ERR(EPERM);
        const struct row unscoped[] = {
                { X86_64, 101, 0, perm }, /* ptrace */
                { X86_64, 310, 0, perm }, /* process_vm_readv */
                { X86_64, 311, 0, perm }, /* process_vm_writev */
                { X86_64, 438, 0, perm }, /* pidfd_getfd */
                { I386, 26, 0, perm },
                { X86_64, 521 | X32_BIT, 0, perm }, /* x32 ptrace is a compat entry */
                { X86_64, 539 | X32_BIT, 0, perm }, /* and process_vm_readv */
        };
        const struct row scoped[] = {
                { X86_64, 101, 0, ALLOW },
                { X86_64, 310, 0, ALLOW },
                { X86_64, 438, 0, ALLOW },
        };
        policy_init(&p);
        check_rows(&p, false, unscoped, ELEMENTSOF(unscoped));
        check_rows(&p, true, scoped, ELEMENTSOF(scoped));
}

static void test_filter_table_allow_eperm(void) {
        struct nonet_policy p;
        policy_init(&p);
        p.allow = (UINT64_C(1) << AF_INET) | (UINT64_C(1) << 50);
        p.error = EPERM;
        const struct row rows[] = {
                { X86_64, 41, AF_UNIX, ALLOW }, /* always kept */
                { X86_64, 41, AF_INET, ALLOW },
                { X86_64, 41, 50, ALLOW },
                { X86_64, 41, AF_INET6, ERR(EPERM) },
                { X86_64, 41, AF_NETLINK, ERR(EAFNOSUPPORT) }, /* libaudit needs it */
                { X86_64, 41, 0x100000002ULL, ERR(EPERM) },
                { I386, 359, AF_INET, ALLOW },
                { I386, 102, 1, ERR(EPERM) },
        };
        check_rows(&p, true, rows, ELEMENTSOF(rows));
}

/* The one table of calls refused outright is what the filter refuses, on every ABI. */
static void test_filter_refuses_the_calls_table(void) {
        static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86 };
        struct nonet_policy p;
        policy_init(&p);
        CHECK(n_refused_calls >= 7, "the table has the io_uring and ptrace calls");
        for (int scoped = 0; scoped <= 1; scoped++) {
                size_t n;
                struct sock_filter *prog = export_bpf(&p, scoped, &n);
                CHECK(prog, "export");
                for (size_t i = 0; prog && i < n_refused_calls; i++)
                        for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
                                const struct refused_call *c = &refused_calls[i];
                                int nr = seccomp_syscall_resolve_name_arch(arches[a], c->name);
                                struct seccomp_data d = { .nr = nr, .arch = arches[a] == SCMP_ARCH_X86 ? I386 : X86_64 };
                                uint32_t want = scoped && c->when == REFUSED_WITHOUT_LANDLOCK ? ALLOW : ERR(c->error);
                                CHECK(nr >= 0 && bpf_run(prog, n, &d).action == want, "%s on arch %#x, scoped=%d",
                                      c->name, arches[a], scoped);
                        }
                free(prog);
        }
}

/* Every ioctl of the table, on every ABI, by its low 32 bits; its neighbours pass. */
static void test_filter_refuses_the_ioctls_table(void) {
        static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X32, SCMP_ARCH_X86 };
        size_t n;
        struct sock_filter *prog = export_bpf(NULL, true, &n);
        CHECK(prog && n_refused_ioctls >= 7, "export; terminal, tun, vhost and RDMA ioctls");
        for (size_t i = 0; prog && i < n_refused_ioctls; i++)
                for (size_t a = 0; a < ELEMENTSOF(arches); a++) {
                        int nr = seccomp_syscall_resolve_name_arch(arches[a], "ioctl");
                        uint32_t arch = arches[a] == SCMP_ARCH_X86 ? I386 : X86_64;
                        uint64_t cmd = refused_ioctls[i].cmd;
                        struct seccomp_data d = { .nr = nr, .arch = arch, .args = { 3, cmd } };
                        CHECK(bpf_run(prog, n, &d).action == ERR(EPERM), "%s on arch %#x", refused_ioctls[i].name,
                              arches[a]);
                        d.args[1] = cmd | (UINT64_C(0xffffffff) << 32);
                        CHECK(bpf_run(prog, n, &d).action == ERR(EPERM), "%s with upper bits", refused_ioctls[i].name);
                        d.args[1] = cmd ^ 0x10000; /* another size: another command */
                        CHECK(bpf_run(prog, n, &d).action == ALLOW, "%s's neighbour passes", refused_ioctls[i].name);
                }
        free(prog);
}

/* MSG_FASTOPEN on the send calls, only in the filter made where a TCP socket is held. */
static void test_filter_fastopen(void) {
        struct nonet_policy p;
        scmp_filter_ctx ctx;
        policy_init(&p);
        p.allow |= UINT64_C(1) << AF_UNIX;
        CHECK_EQ(filter_build_full(&p, true, true, &ctx), 0);
        int fd = memfd_create("fastopen", MFD_CLOEXEC);
        CHECK(fd >= 0 && seccomp_export_bpf(ctx, fd) == 0, "export");
        seccomp_release(ctx);
        off_t size = lseek(fd, 0, SEEK_CUR);
        struct sock_filter *prog = malloc((size_t) size);
        CHECK(prog && pread(fd, prog, (size_t) size, 0) == size, "read back");
        close(fd);
        size_t n = (size_t) size / sizeof(*prog);
        static const struct {
                int nr;
                unsigned arg;
        } sends[] = { { 44, 3 }, { 46, 2 }, { 307, 3 } }; /* sendto, sendmsg, sendmmsg */
        for (size_t i = 0; prog && i < ELEMENTSOF(sends); i++) {
                struct seccomp_data d = { .nr = sends[i].nr, .arch = X86_64 };
                d.args[sends[i].arg] = MSG_FASTOPEN | MSG_NOSIGNAL;
                CHECK_EQ(bpf_run(prog, n, &d).action, ERR(EPERM));
                d.args[sends[i].arg] = MSG_NOSIGNAL | MSG_DONTWAIT;
                CHECK_EQ(bpf_run(prog, n, &d).action, ALLOW);
        }
        free(prog);
        /* not in the default filter: send calls stay in the kernel's constant-action cache */
        prog = export_bpf(NULL, true, &n);
        struct seccomp_data d = { .nr = 44, .arch = X86_64, .args = { 3, 0, 0, MSG_FASTOPEN } };
        CHECK(prog && bpf_run(prog, n, &d).action == ALLOW && !bpf_run(prog, n, &d).read_args, "default: no rule");
        free(prog);
}

/* A dry run: every refusal becomes the kernel's log, on every ABI; nothing is refused. */
static void test_filter_table_dry_run(void) {
        const uint32_t log = SECCOMP_RET_LOG;
        const struct row rows[] = {
                { X86_64, 41, AF_UNIX, ALLOW },
                { X86_64, 41, AF_INET, log },
                { X86_64, 41, AF_NETLINK, log },
                { X86_64, 53, AF_INET6, log },
                { X86_64, 425, 0, log },
                { X86_64, 16, 0, log, 0x5412 },
                { X86_64, 16, 0, ALLOW, 0x5401 },
                { X86_64, 101, 0, log }, /* ptrace: no Landlock in a dry run, so seccomp logs it */
                { X86_64, 41 | X32_BIT, AF_INET, log },
                { I386, 359, AF_INET, log },
                { I386, 102, 1, log },
        };
        struct nonet_policy p;
        policy_init(&p);
        p.refusals = NONET_LOG_ONLY;
        check_rows(&p, false, rows, ELEMENTSOF(rows));
        CHECK(prebuilt_filter(&p, false) == NULL, "a dry run's filter is built at run time");
        struct nonet_policy n;
        CHECK_EQ(policy_normalize(&p, &n, NULL), 0);
        CHECK(n.landlock == NONET_LANDLOCK_OFF, "a dry run applies no Landlock");
        /* and asking for Landlock in one is a contradiction, refused in one place */
        int conflict = 0;
        p.landlock = NONET_LANDLOCK_REQUIRE;
        CHECK_EQ(policy_normalize(&p, &n, &conflict), -EINVAL);
        CHECK_EQ(conflict, NONET_CONFLICT_DRY_RUN_LANDLOCK);
        p.landlock = NONET_LANDLOCK_AUTO;
        p.unix_reach = NONET_UNIX_NO_ABSTRACT;
        CHECK_EQ(policy_normalize(&p, &n, &conflict), -EINVAL);
        CHECK_EQ(conflict, NONET_CONFLICT_DRY_RUN_LANDLOCK);
        /* logged refusals: the same program, loaded with SECCOMP_FILTER_FLAG_LOG */
        policy_init(&p);
        p.refusals = NONET_REFUSE_AND_LOG;
        CHECK(prebuilt_filter(&p, true) != NULL, "logged refusals use the prebuilt program");
        /* the kernel's precedence when filters disagree */
        CHECK_EQ(bpf_stronger(ALLOW, ERR(1)), ERR(1));
        CHECK_EQ(bpf_stronger(KILL, ERR(1)), KILL);
        CHECK_EQ(bpf_stronger(SECCOMP_RET_LOG, ALLOW), SECCOMP_RET_LOG);
        CHECK_EQ(bpf_stronger(ERR(97), SECCOMP_RET_LOG), ERR(97));
        struct sock_filter bad[] = { BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0) };
        struct seccomp_data d = { 0 };
        CHECK_EQ(bpf_run(bad, 1, &d).action, BPF_BAD_PROGRAM);
        /* a load past the data, at an offset where k + 4 wraps around: refused, not read */
        struct sock_filter wrap[] = { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffffffc),
                                      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        CHECK_EQ(bpf_run(wrap, 2, &d).action, BPF_BAD_PROGRAM);
}

/* The kernel's constant-action cache lets a syscall through without BPF only if the
 * verdict depends on arch and number alone: only socket(), socketpair() and ioctl() may
 * read arguments. */
static void test_filter_reads_args_only_for_sockets(void) {
        struct nonet_policy p;
        size_t n;
        policy_init(&p);
        struct sock_filter *prog = export_bpf(&p, true, &n);
        CHECK(prog, "export");
        for (uint32_t nr = 0; prog && nr < 512; nr++) {
                struct seccomp_data d = { .nr = (int) nr, .arch = X86_64, .args = { AF_INET, 0x100000000ULL } };
                struct bpf_run run = bpf_run(prog, n, &d);
                bool socket_call = nr == 41 || nr == 53, reads = socket_call || nr == 16;
                CHECK(run.read_args == reads, "x86_64 syscall %u reads arguments: %d", nr, run.read_args);
                if (!reads && !(nr >= 425 && nr <= 427) && nr != 249 /* request_key */)
                        CHECK(run.action == ALLOW, "x86_64 syscall %u: action %#x", nr, run.action);
        }
        free(prog);
}

/* The default policy's filter compiled at build time is the one libseccomp makes now. */
static void test_prebuilt_is_filter_build(void) {
        struct nonet_policy p;
        policy_init(&p);
        for (int scoped = 0; scoped <= 1; scoped++) {
                size_t n;
                struct sock_filter *now = export_bpf(&p, scoped, &n);
                const struct sock_fprog *built = prebuilt_filter(&p, scoped);
                CHECK(now && built, "both programs");
                if (!now || !built)
                        continue;
                CHECK_EQ(built->len, n);
                CHECK(built->len == n && memcmp(built->filter, now, n * sizeof(*now)) == 0, "scoped=%d differs", scoped);
                free(now);
        }
        p.allow |= UINT64_C(1) << AF_NETLINK;
        CHECK(prebuilt_filter(&p, true) == NULL, "only the default policy is prebuilt");
        policy_init(&p);
        p.error = EPERM;
        CHECK(prebuilt_filter(&p, true) == NULL, "only the default errno is prebuilt");
}

/* Run fn in a forked child; its exit code, or 128 + signal. */
static int in_child(int (*fn)(void *), void *arg) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
                return -1;
        if (pid == 0)
                _exit(fn(arg));
        int status;
        if (waitpid(pid, &status, 0) < 0)
                return -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int errno_of(int fd) {
        if (fd >= 0) {
                close(fd);
                return 0;
        }
        return errno;
}

static int restrict_default(void) {
        struct nonet_policy p;
        policy_init(&p);
        return nonet_restrict(&p, NULL, 0);
}

static int child_restrict_live(void *arg) {
        int sv[2];
        if (restrict_default() < 0)
                return 100;
        if (errno_of(socket(AF_INET, SOCK_STREAM, 0)) != EAFNOSUPPORT)
                return 1;
        if (errno_of(socket(AF_NETLINK, SOCK_RAW, 0)) != EAFNOSUPPORT)
                return 2;
        if (errno_of(socket(AF_UNIX, SOCK_STREAM, 0)) != 0)
                return 3;
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
                return 4;
        if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
                return 5;
        /* Irreversible: a second, wider policy cannot widen. */
        struct nonet_policy wide;
        policy_init(&wide);
        wide.allow = ~UINT64_C(0);
        if (nonet_restrict(&wide, NULL, 0) < 0)
                return 6;
        if (errno_of(socket(AF_INET, SOCK_STREAM, 0)) != EAFNOSUPPORT)
                return 7;
        return 0;
}

static void test_restrict_live(void) {
        CHECK_EQ(in_child(child_restrict_live, NULL), 0);
}

/* A policy of its own goes through libseccomp at run time. */
static int child_restrict_netlink(void *arg) {
        struct nonet_policy p;
        policy_init(&p);
        p.allow |= UINT64_C(1) << AF_NETLINK;
        if (nonet_restrict(&p, NULL, 0) < 0)
                return 100;
        if (errno_of(socket(AF_NETLINK, SOCK_RAW, 0)) != 0)
                return 1;
        return errno_of(socket(AF_INET, SOCK_STREAM, 0)) == EAFNOSUPPORT ? 0 : 2;
}

/* An unconnected TCP socket could listen(): refused, unless it is closed on exec and the
 * caller execs next (NONET_INHERITED_EXEC, as spank_nonet's task does). arg: the mode | 4 for
 * CLOEXEC. Returns 0 if restricted, 1 if refused for the socket. */
static int child_inherited(void *arg) {
        intptr_t how = (intptr_t) arg;
        int fd = socket(AF_INET, SOCK_STREAM | ((how & 4) ? SOCK_CLOEXEC : 0), 0);
        struct nonet_policy p;
        struct nonet_result r;
        policy_init(&p);
        p.inherited = (enum nonet_inherited) (how & 3);
        int e = nonet_restrict(&p, &r, sizeof(r));
        if (e == -EBADFD)
                return r.unpoliced_fd == fd ? 1 : 101;
        if (e < 0)
                return 100;
        return errno_of(socket(AF_INET, SOCK_STREAM, 0)) == EAFNOSUPPORT ? 0 : 102;
}

static void test_inherited_exec(void) {
        CHECK_EQ(in_child(child_inherited, (void *) (intptr_t) NONET_INHERITED_REFUSE), 1);
        CHECK_EQ(in_child(child_inherited, (void *) (intptr_t) (NONET_INHERITED_REFUSE | 4)), 1);
        CHECK_EQ(in_child(child_inherited, (void *) (intptr_t) NONET_INHERITED_EXEC), 1);
        CHECK_EQ(in_child(child_inherited, (void *) (intptr_t) (NONET_INHERITED_EXEC | 4)), 0);
        CHECK_EQ(in_child(child_inherited, (void *) (intptr_t) NONET_INHERITED_ACCEPT), 0);
}

static void test_restrict_live_other_policy(void) {
        CHECK_EQ(in_child(child_restrict_netlink, NULL), 0);
}

static void *thread_try_socket(void *arg) {
        pthread_barrier_t *b = arg;
        pthread_barrier_wait(b); /* started before the restriction */
        pthread_barrier_wait(b); /* restriction done */
        return (void *) (intptr_t) errno_of(socket(AF_INET, SOCK_DGRAM, 0));
}

static int child_threads(void *arg) {
        pthread_barrier_t b;
        pthread_t t[4];
        void *ret;
        int bad = 0;

        pthread_barrier_init(&b, NULL, ELEMENTSOF(t) + 1);
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                pthread_create(&t[i], NULL, thread_try_socket, &b);
        pthread_barrier_wait(&b);
        int r = restrict_default();
        pthread_barrier_wait(&b);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                pthread_join(t[i], &ret);
                bad += (intptr_t) ret != EAFNOSUPPORT;
        }
        return r < 0 ? 100 : bad;
}

static void test_restrict_threads(void) {
        CHECK_EQ(in_child(child_threads, NULL), 0);
}

/* A thread with a descriptor table of its own (unshare(CLONE_FILES)) holds an inet socket the
 * first thread's table has not: its own table is judged, the one its children inherit. */
static void *thread_own_table(void *arg) {
        struct nonet_result *r = arg;
        struct nonet_policy p;
        policy_init(&p);
        if (unshare(CLONE_FILES) < 0)
                return (void *) (intptr_t) -errno;
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        r->unpoliced_fd = -1;
        intptr_t e = nonet_check(&p, r, sizeof(*r));
        return (void *) (e == -EBADFD && r->unpoliced_fd == fd ? 1 : e);
}

static void test_audit_own_table(void) {
        struct nonet_result r;
        pthread_t t;
        void *ret;
        pthread_create(&t, NULL, thread_own_table, &r);
        pthread_join(t, &ret);
        CHECK((intptr_t) ret == 1, "a thread's own table: %ld, unpoliced fd %d", (long) (intptr_t) ret, r.unpoliced_fd);
}

/* What a kernel of each Landlock ABI gets: the rules of that ABI, on this kernel. */
static int listen_tcp(int *ret_port) {
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, len) < 0 || listen(fd, 4) < 0 ||
            getsockname(fd, (struct sockaddr *) &sa, &len) < 0)
                return -1;
        *ret_port = ntohs(sa.sin_port);
        return fd;
}

static int abstract_addr(struct sockaddr_un *sa, const char *name) {
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        strcpy(sa->sun_path + 1, name);
        return (int) (offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/* arg: the ABI, plus 100 to scope abstract sockets. */
static int child_abi(void *arg) {
        int abi = (int) (intptr_t) arg % 100, port;
        bool scope = (intptr_t) arg >= 100;
        struct sockaddr_un un;
        char name[64];

        int srv = listen_tcp(&port);
        int tcp = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        snprintf(name, sizeof(name), "nonet-test-abi-%d", getpid());
        socklen_t ulen = (socklen_t) abstract_addr(&un, name);
        int usrv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (srv < 0 || tcp < 0 || usrv < 0 || bind(usrv, (struct sockaddr *) &un, ulen) < 0 || listen(usrv, 1) < 0)
                return 100;

        char from[64], to[64];
        snprintf(from, sizeof(from), "/tmp/nonet-test-abi-%d-a", getpid());
        snprintf(to, sizeof(to), "/tmp/nonet-test-abi-%d-b", getpid());
        if (mkdir(from, 0700) < 0 || mkdir(to, 0700) < 0)
                return 100;
        strcat(from, "/f");
        strcat(to, "/f");
        int f = open(from, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
        if (f < 0)
                return 100;
        close(f);

        struct nonet_policy p;
        policy_init(&p);
        p.unix_reach = scope ? NONET_UNIX_NO_ABSTRACT : NONET_UNIX_ALL;
        if (landlock_apply(abi, &p) != abi)
                return 101;
        /* a file moves into another directory whatever the domain handles (REFER) */
        int refer_err = rename(from, to) < 0 ? errno : 0;
        unlink(refer_err ? from : to);
        *strrchr(from, '/') = '\0';
        *strrchr(to, '/') = '\0';
        rmdir(from);
        rmdir(to);

        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int tcp_err = connect(tcp, (struct sockaddr *) &sa, sizeof(sa)) < 0 ? errno : 0;
        int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int un_err = connect(c, (struct sockaddr *) &un, ulen) < 0 ? errno : 0;
        /* In a fresh user+mount namespace a mount works unless an fs-handling domain refuses it. */
        int mount_err = unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0                       ? 102
                        : mount("none", "/tmp", "tmpfs", 0, NULL) < 0 ? errno : 0;
        /* bit 0: TCP connect refused; bit 1: abstract connect refused; bit 2: mount refused;
         * bit 3: a rename into another directory refused */
        return (tcp_err == EACCES ? 1 : 0) | (un_err == EPERM ? 2 : 0) | (mount_err == EPERM ? 4 : 0) |
               (refer_err != 0 ? 8 : 0);
}

/* Reading another process is harmless: targets that exit or exec while they are read, each a
 * child of ours whose exit status must stay ours to reap (under ASan in the sanitizers' build). */
static void test_status_pid_is_harmless(void) {
        if (geteuid() != 0) {
                CHECK(getenv("CI") == NULL, "reading filters needs CAP_SYS_ADMIN: root in CI");
                return;
        }
        int kept = 0, reads = 0;
        for (int i = 0; i < 150; i++) {
                fflush(stdout);
                pid_t c = fork();
                if (c == 0) {
                        struct nonet_policy p;
                        policy_init(&p);
                        p.inherited = NONET_INHERITED_ACCEPT;
                        if (nonet_restrict(&p, NULL, 0) < 0)
                                _exit(100);
                        for (volatile int spin = 0; spin < (i % 7) * 20000; spin++)
                                ;
                        if (i % 3 == 0)
                                execl("/bin/true", "true", (char *) NULL);
                        _exit(i % 3 == 0 ? 101 : 7);
                }
                struct nonet_status st;
                for (int k = 0; k < 50 && nonet_status_pid(c, &st, sizeof(st)) == 0; k++)
                        reads++;
                int status = 0;
                pid_t got = waitpid(c, &status, 0);
                kept += got == c && WIFEXITED(status) && WEXITSTATUS(status) == (i % 3 == 0 ? 0 : 7);
        }
        CHECK(reads > 0, "the targets were read (%d reads)", reads);
        CHECK_EQ(kept, 150);
}

static void test_landlock_abis(void) {
        int kernel = landlock_abi();
        if (kernel < 6) {
                printf("# this kernel has Landlock ABI %d; the ABI table needs 6\n", kernel);
                CHECK(getenv("CI") == NULL, "Landlock ABI %d in CI", kernel);
                return;
        }
        /* ABI 1 is not used (it cannot allow REFER). ABI 2-3: ptrace isolation only; 4+: and TCP;
         * abstract sockets only when asked, from ABI 6. The abstract socket is the child's own,
         * created before: outside its new domain. ABI 2-3 need a filesystem rule, which makes
         * Landlock refuse mount(); files still move between directories on every ABI. */
        CHECK_EQ(in_child(child_abi, (void *) 1), 101);
        CHECK_EQ(in_child(child_abi, (void *) 2), 4);
        CHECK_EQ(in_child(child_abi, (void *) 3), 4);
        CHECK_EQ(in_child(child_abi, (void *) 4), 1);
        CHECK_EQ(in_child(child_abi, (void *) 5), 1);
        CHECK_EQ(in_child(child_abi, (void *) 6), 1);
        CHECK_EQ(in_child(child_abi, (void *) (intptr_t) kernel), 1);
        CHECK_EQ(in_child(child_abi, (void *) 106), 3);
        CHECK_EQ(in_child(child_abi, (void *) (intptr_t) (100 + kernel)), 3);
}

/* Under a private loopback, no way into another network namespace: setns() with CLONE_NEWNET or
 * 0 (any type), SIOCGSKNS, PIDFD_GET_NET_NAMESPACE; other namespaces, and the host's policy, untouched. */
static void test_filter_private_loopback_netns(void) {
        enum { SETNS = 308, IOCTL = 16 };
        struct nonet_policy p;
        policy_init(&p);
        p.netns = NONET_NETNS_PRIVATE_LOOPBACK;
        const struct row loopback[] = {
                { X86_64, SETNS, 3, ERR(EPERM), 0 },
                { X86_64, SETNS, 3, ERR(EPERM), CLONE_NEWNET },
                { X86_64, SETNS, 3, ERR(EPERM), CLONE_NEWNET | CLONE_NEWUSER },
                { X86_64, SETNS, 3, ERR(EPERM), UINT64_C(0xffffffff) << 32 }, /* the kernel reads an int */
                { X86_64, SETNS, 3, ALLOW, CLONE_NEWUSER },
                { X86_64, SETNS, 3, ALLOW, CLONE_NEWNS },
                { X86_64, IOCTL, 1, ERR(EPERM), 0x894c },   /* SIOCGSKNS */
                { X86_64, IOCTL, 3, ERR(EPERM), 0xff04 },   /* PIDFD_GET_NET_NAMESPACE */
                { X86_64, IOCTL, 1, ALLOW, 0x8933 },        /* SIOCGIFINDEX */
        };
        check_rows(&p, true, loopback, ELEMENTSOF(loopback));
        check_rows(&p, false, loopback, ELEMENTSOF(loopback));
        const struct row host[] = {
                { X86_64, SETNS, 3, ALLOW, 0 },
                { X86_64, SETNS, 3, ALLOW, CLONE_NEWNET },
                { X86_64, IOCTL, 1, ALLOW, 0x894c },
        };
        check_rows(NULL, true, host, ELEMENTSOF(host));
        /* the build-time filter has none of these: a private loopback's is built at run time */
        struct nonet_policy normalized;
        int conflict;
        CHECK(policy_normalize(&p, &normalized, &conflict) == 0 && !prebuilt_filter(&normalized, true) &&
              !prebuilt_filter(&normalized, false), "no prebuilt filter for a private loopback");
        char call[96];
        CHECK_EQ(refusal_errno(&p, X86_64, SETNS, 3, 0, call, sizeof(call)), EPERM);
        CHECK(strcmp(call, "setns(0)") == 0, "%s", call);
        CHECK_EQ(refusal_errno(&p, X86_64, IOCTL, 1, 0x894c, call, sizeof(call)), EPERM);
        CHECK(strcmp(call, "ioctl(SIOCGSKNS)") == 0, "%s", call);
}

/* A descriptor queued on a held unix socket, behind a message longer than a peek that carries
 * a harmless one (seen twice by the peeks, counted once). arg: the socket type. Returns 1 if
 * the queued TCP socket was found, the queue left as it was. */
static int child_in_flight(void *arg) {
        int type = (int) (intptr_t) arg, sv[2], pipefd[2];
        static char big[100 * 1024];
        if (socketpair(AF_UNIX, type, 0, sv) < 0 || pipe(pipefd) < 0)
                return 100;
        int tcp = socket(AF_INET, SOCK_STREAM, 0);
        char cbuf[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
        struct iovec iov = { big, type == SOCK_STREAM ? 10 * 1024 : sizeof(big) };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        *cm = (struct cmsghdr) { .cmsg_len = CMSG_LEN(sizeof(int)), .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS };
        if (type == SOCK_STREAM && send(sv[0], big, 60 * 1024, 0) != 60 * 1024)
                return 101; /* the next one's bytes then straddle the first peek's end */
        memcpy(CMSG_DATA(cm), &pipefd[0], sizeof(int));
        if (sendmsg(sv[0], &msg, 0) < 0)
                return 102;
        iov.iov_len = 1;
        memcpy(CMSG_DATA(cm), &tcp, sizeof(int));
        if (sendmsg(sv[0], &msg, 0) < 0)
                return 103;
        close(tcp);
        close(sv[0]);
        close(pipefd[0]);
        close(pipefd[1]);
        struct nonet_policy p;
        struct nonet_result r;
        policy_init(&p);
        int e = nonet_restrict(&p, &r, sizeof(r));
        int off = 0;
        socklen_t len = sizeof(off);
        if (getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &off, &len) < 0 || off != -1)
                return 104; /* the peek offset put back */
        if (e != -EBADFD)
                return e < 0 ? 105 : 0;
        return r.unpoliced_fd == sv[1] && r.in_flight == 1 && r.held == NONET_HELD_SOCKET &&
               r.unpoliced_protocol == IPPROTO_TCP ? 1 : 106;
}

static void test_in_flight(void) {
        CHECK_EQ(in_child(child_in_flight, (void *) (intptr_t) SOCK_STREAM), 1);
        CHECK_EQ(in_child(child_in_flight, (void *) (intptr_t) SOCK_DGRAM), 1);
        CHECK_EQ(in_child(child_in_flight, (void *) (intptr_t) SOCK_SEQPACKET), 1);
        struct nonet_result r = { .failed = NONET_LAYER_INHERITED, .unpoliced_fd = 4, .held = NONET_HELD_SOCKET,
                                  .unpoliced_family = AF_INET, .unpoliced_type = SOCK_DGRAM,
                                  .unpoliced_protocol = IPPROTO_UDP, .in_flight = 1 };
        char buf[512];
        nonet_describe_failure_sized(-EBADFD, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "a descriptor sent on unix socket 4 and not yet received (inet socket, UDP)"), "%s", buf);
        r.held = NONET_HELD_QUEUE;
        r.in_flight = 0;
        nonet_describe_failure_sized(-EBADFD, &r, sizeof(r), buf, sizeof(buf));
        CHECK(strstr(buf, "descriptor 4 is a unix socket with descriptors queued on it"), "%s", buf);
}

int main(void) {
        RUN(test_family_names);
        RUN(test_family_lists);
        RUN(test_policy_words);
        RUN(test_policy_handle);
        RUN(test_result_sizes);
        RUN(test_landlock_plan);
        RUN(test_describe_failure);
        RUN(test_filter_table_default);
        RUN(test_filter_table_ptrace);
        RUN(test_filter_table_allow_eperm);
        RUN(test_filter_refuses_the_calls_table);
        RUN(test_filter_refuses_the_ioctls_table);
        RUN(test_filter_fastopen);
        RUN(test_filter_table_dry_run);
        RUN(test_filter_reads_args_only_for_sockets);
        RUN(test_prebuilt_is_filter_build);
        RUN(test_restrict_live);
        RUN(test_restrict_live_other_policy);
        RUN(test_restrict_threads);
        RUN(test_inherited_exec);
        RUN(test_audit_own_table);
        RUN(test_landlock_abis);
        RUN(test_status_pid_is_harmless);
        RUN(test_filter_private_loopback_netns);
        RUN(test_in_flight);
        return tap_done();
}
