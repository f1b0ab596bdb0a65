/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The OCI profile's verdicts against the filter's, for every family and call: each profile is
 * compiled as a runtime compiles it (runc and crun hand each rule to libseccomp; Docker and
 * podman first resolve archMap, includes and excludes), and both programs are run over the
 * same system calls on every ABI the profile names. Merged onto a base, a call nonet refuses
 * gets nonet's verdict, and any other the base's.
 * TEST_OCI_BASE (a file) is the base merged; else Debian's containers profile.
 */

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bpf.h"
#include "calls.h"
#include "internal.h"
#include "json.h"
#include "oci.h"
#include "profile-runtime.h"
#include "tap.h"
#include "util.h"

#define X32_BIT 0x40000000U

/* The system calls asked: every family for socket() and socketpair(), ioctl() commands around
 * each refused one, each refused call, and every other call number with no arguments. */
struct probe {
        const char *name;
        uint64_t a0, a1, a3;
};

static size_t make_probes(struct probe *p, size_t max) {
        size_t n = 0;
        for (uint64_t f = 0; f < 72 && n < max; f++) {
                p[n++] = (struct probe) { "socket", f, 1 };
                p[n++] = (struct probe) { "socketpair", f, 1 };
        }
        static const uint64_t odd[] = { 0x100000001ULL, 0x100000002ULL, 0xffffffffULL, 0xffffffffffffffffULL };
        for (size_t i = 0; i < ELEMENTSOF(odd); i++)
                p[n++] = (struct probe) { "socket", odd[i], 1 };
        for (size_t i = 0; i < n_refused_ioctls; i++) {
                uint64_t c = refused_ioctls[i].cmd;
                const uint64_t near[] = { c, c | (1ULL << 32), c ^ 1, c + 1, c - 1, c ^ 0x80000000ULL, c >> 1 };
                for (size_t k = 0; k < ELEMENTSOF(near); k++)
                        p[n++] = (struct probe) { "ioctl", 3, near[k] };
        }
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 2000; i++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                p[n++] = (struct probe) { "ioctl", 3, i < 1000 ? (x & 0xffffffff) : x };
        }
        for (size_t i = 0; i < n_refused_calls; i++)
                p[n++] = (struct probe) { refused_calls[i].name, 0, 0 };
        p[n++] = (struct probe) { "sendto", 3, 0, 0x20000000 /* MSG_FASTOPEN */ };
        for (int sc = 1; sc <= 20; sc++)
                p[n++] = (struct probe) { "socketcall", (uint64_t) sc, 0 };
        return n;
}

struct abi {
        uint32_t token, audit;
        int nr_or;
};
static const struct abi abis[] = { { SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 0 },
                                   { SCMP_ARCH_X32, AUDIT_ARCH_X86_64, X32_BIT },
                                   { SCMP_ARCH_X86, AUDIT_ARCH_I386, 0 } };

static uint32_t run(const struct sock_filter *prog, size_t n, const struct abi *abi, int nr, const struct probe *p) {
        struct seccomp_data d = { .nr = nr, .arch = abi->audit, .args = { p->a0, p->a1, 0, p->a3 } };
        return bpf_run(prog, n, &d).action;
}

static struct sock_filter *filter_of(const struct nonet_policy *p, size_t *n) {
        struct sock_filter *prog = NULL;
        return filter_program(p, false, &prog, n) < 0 ? NULL : prog;
}

/* Every probe, and every call number 0..459 with no arguments, on each ABI: want(i) is the
 * expected program's verdict, got the profile's. */
static void compare(const struct sock_filter *want, size_t n_want, const struct sock_filter *base, size_t n_base,
                    const struct sock_filter *got, size_t n_got, bool x86, const char *what) {
        static struct probe probes[4096];
        size_t n = make_probes(probes, ELEMENTSOF(probes)), bad = 0, asked = 0;
        for (size_t a = 0; a < ELEMENTSOF(abis); a++) {
                if (abis[a].token == SCMP_ARCH_X86 && !x86)
                        continue;
                for (size_t i = 0; i < n + 460; i++) {
                        struct probe other = { "", 0, 0 };
                        const struct probe *p = i < n ? &probes[i] : &other;
                        int nr = i < n ? seccomp_syscall_resolve_name_arch(abis[a].token, p->name) : (int) (i - n);
                        if (nr < 0)
                                continue; /* not a call of this ABI (socketcall on x86_64) */
                        nr |= abis[a].nr_or;
                        uint32_t ours = run(want, n_want, &abis[a], nr, p), theirs = run(got, n_got, &abis[a], nr, p);
                        uint32_t expected = ours;
                        if (base && ours == SECCOMP_RET_ALLOW)
                                expected = run(base, n_base, &abis[a], nr, p);
                        asked++;
                        if (theirs != expected && bad++ < 8)
                                printf("# %s: arch %#x nr %d (%s) a0 %#llx a1 %#llx: profile %#x, expected %#x\n",
                                       what, abis[a].audit, nr, i < n ? p->name : "-", (unsigned long long) p->a0,
                                       (unsigned long long) p->a1, theirs, expected);
                }
        }
        CHECK(bad == 0, "%s: %zu of %zu verdicts differ", what, bad, asked);
        CHECK(asked > 5000, "%s: %zu asked", what, asked);
}

static struct json *profile_of(const struct nonet_policy *p) {
        struct json *j = NULL;
        CHECK(oci_profile(p, &j) == 0, "oci_profile");
        return j;
}

static void policies(struct nonet_policy ps[5], const char *names[5]) {
        for (int i = 0; i < 5; i++)
                policy_init(&ps[i]);
        names[0] = "default";
        ps[1].allow |= UINT64_C(1) << 10, names[1] = "inet6 allowed";
        ps[2].error = EPERM, names[2] = "EPERM";
        ps[3].refusals = NONET_LOG_ONLY, names[3] = "dry run";
        ps[4].refusals = NONET_REFUSE_AND_LOG, names[4] = "logged";
}

static void test_profile_alone_matches_the_filter(void) {
        struct nonet_policy ps[5];
        const char *names[5];
        policies(ps, names);
        for (int i = 0; i < 5; i++) {
                size_t n_want = 0, n_got = 0;
                bool x86 = false;
                struct sock_filter *want = filter_of(&ps[i], &n_want);
                struct json *profile = profile_of(&ps[i]);
                struct sock_filter *got = profile ? profile_compile(profile, &n_got, &x86) : NULL;
                CHECK(want && got, "%s: both compile", names[i]);
                if (want && got)
                        compare(want, n_want, NULL, 0, got, n_got, x86, names[i]);
                /* i386 is left out only where its socketcall() would merge rules of two errnos */
                CHECK(x86 == (ps[i].error == EAFNOSUPPORT), "%s: i386 %s", names[i], x86 ? "kept" : "left out");
                free(want);
                free(got);
                json_free(profile);
        }
}

static char *read_all(const char *path, size_t *size) {
        FILE *f = fopen(path, "re");
        char *buf = NULL;
        if (!f)
                return NULL;
        FILE *m = open_memstream(&buf, size);
        int c;
        while ((c = getc(f)) != EOF)
                putc(c, m);
        fclose(m);
        fclose(f);
        return buf;
}

static void test_merged_profile_matches_filter_then_base(void) {
        const char *path = getenv("TEST_OCI_BASE") ?: "/usr/share/containers/seccomp.json";
        size_t size;
        _cleanup_free_ char *text = read_all(path, &size);
        if (!text) {
                CHECK(getenv("CI") == NULL, "no base profile %s in CI (golang-github-containers-common)", path);
                return;
        }
        struct json *base = NULL;
        CHECK(json_parse(text, size, &base, NULL, NULL) == 0, "%s parses", path);
        size_t n_base = 0;
        bool x86 = false;
        struct sock_filter *base_prog = base ? profile_compile(base, &n_base, &x86) : NULL;
        CHECK(base_prog, "the base compiles");
        struct nonet_policy ps[5];
        const char *names[5];
        policies(ps, names);
        for (int i = 0; i < 5; i++) {
                char why[256];
                bool no_x86 = false;
                struct json *merged = NULL;
                size_t n_want = 0, n_got = 0;
                int r = oci_merge(&ps[i], text, size, &merged, why, sizeof(why), &no_x86);
                CHECK(r == 0, "%s: merge: %s", names[i], why);
                struct sock_filter *want = filter_of(&ps[i], &n_want);
                struct sock_filter *got = merged ? profile_compile(merged, &n_got, &x86) : NULL;
                CHECK(want && got, "%s: both compile", names[i]);
                CHECK(no_x86 && !x86, "%s: i386 left out of a default-deny base", names[i]);
                if (want && got && base_prog)
                        compare(want, n_want, base_prog, n_base, got, n_got, x86, names[i]);
                free(want);
                free(got);
                json_free(merged);
        }
        free(base_prog);
        json_free(base);
}

/* Bases that cannot be merged safely are refused, with the reason. */
static void test_unsafe_bases_are_refused(void) {
        static const struct {
                const char *base, *why;
        } cases[] = {
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                  "\"SCMP_ACT_ALLOW\"}]}", "socket() is never allowed whole for unix" },
                /* allowing inet alone is no ground for allowing unix */
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "socket() is never allowed whole for unix" },
                /* nor allowing it only to containers with a capability */
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\", \"includes\": {\"caps\": [\"CAP_NET_ADMIN\"]}}]}",
                  "socket() is never allowed whole for unix" },
                /* nor allowing one protocol alone */
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\", \"args\": [{\"index\": 2, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "socket() is never allowed whole for unix" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"ioctl\"], \"action\": "
                  "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 1, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "ioctl() rules with arguments" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"socket\"], \"action\": "
                  "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 2, \"value\": 9, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                  "a family the policy keeps" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"/run/x\"}", "listenerPath" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [}", "line 2, column 15: not JSON" },
                { "[]", "not a JSON object" },
                { "{\"defaultAction\": \"allow\"}", "no defaultAction" },
        };
        struct nonet_policy p;
        policy_init(&p);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char why[256] = "";
                bool no_x86 = false;
                struct json *j = NULL;
                int r = oci_merge(&p, cases[i].base, strlen(cases[i].base), &j, why, sizeof(why), &no_x86);
                CHECK(r == -EINVAL && strstr(why, cases[i].why), "case %zu: %d, %s", i, r, why);
                json_free(j);
        }
        /* a refusal of a family the policy refuses anyway is nonet's to make */
        const char *ok = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"socket\"], \"action\": "
                         "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_EQ\"}]}]}";
        char why[256];
        bool no_x86 = false;
        struct json *j = NULL;
        CHECK(oci_merge(&p, ok, strlen(ok), &j, why, sizeof(why), &no_x86) == 0, "vsock's rule: %s", why);
        json_free(j);
}

static void test_json_round_trip(void) {
        const char *in = "{\"a\": [1, -2.5e3, \"\\u00e9\\ud83d\\ude00\\n\"], \"b\": {\"c\": null, \"d\": true}}";
        struct json *j = NULL, *k = NULL;
        char *out = NULL;
        size_t size;
        CHECK(json_parse(in, strlen(in), &j, NULL, NULL) == 0, "parses");
        FILE *f = open_memstream(&out, &size);
        json_write(j, f);
        fclose(f);
        CHECK(json_parse(out, size, &k, NULL, NULL) == 0 && json_equal(j, k), "round trip: %s", out);
        static const char *const bad[] = { "", "{", "[1,]", "{\"a\" 1}", "\"\\u0000\"", "01", "1.", "\"\\ud800\"",
                                           "[1] x", "\"\t\"" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct json *b = NULL;
                CHECK(json_parse(bad[i], strlen(bad[i]), &b, NULL, NULL) == -EINVAL, "refuses %s", bad[i]);
        }
        free(out);
        json_free(j);
        json_free(k);
}

int main(void) {
        if (seccomp_arch_native() != SCMP_ARCH_X86_64) {
                printf("1..0 # SKIP the ABIs compared are x86_64's\n");
                return 0;
        }
        RUN(test_json_round_trip);
        RUN(test_profile_alone_matches_the_filter);
        RUN(test_merged_profile_matches_filter_then_base);
        RUN(test_unsafe_bases_are_refused);
        return tap_done();
}
