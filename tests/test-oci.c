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

/* oci_merge() for no runtime in particular, said as before runtimes were named. */
static int merge_any(const struct nonet_policy *p, const char *base, size_t size, struct json **ret, char *why,
                     size_t why_size, bool *ret_no_x86) {
        struct oci_notes notes;
        int r = oci_merge(p, base, size, OCI_RUNTIME_ANY, ret, why, why_size, &notes);
        *ret_no_x86 = notes.no_x86;
        return r;
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
        CHECK(json_parse(text, size, &base, NULL) == 0, "%s parses", path);
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
                int r = merge_any(&ps[i], text, size, &merged, why, sizeof(why), &no_x86);
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
                int r = merge_any(&p, cases[i].base, strlen(cases[i].base), &j, why, sizeof(why), &no_x86);
                CHECK(r == -EINVAL && strstr(why, cases[i].why), "case %zu: %d, %s", i, r, why);
                json_free(j);
        }
        /* a refusal of a family the policy refuses anyway is nonet's to make */
        const char *ok = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"socket\"], \"action\": "
                         "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_EQ\"}]}]}";
        char why[256];
        bool no_x86 = false;
        struct json *j = NULL;
        CHECK(merge_any(&p, ok, strlen(ok), &j, why, sizeof(why), &no_x86) == 0, "vsock's rule: %s", why);
        json_free(j);
}

static int merge_text(const char *base, char *why, size_t why_size, bool *no_x86, struct json **ret) {
        struct nonet_policy p;
        struct json *j = NULL;
        policy_init(&p);
        *why = '\0';
        int r = merge_any(&p, base, strlen(base), &j, why, why_size, no_x86);
        if (ret)
                *ret = j;
        else
                json_free(j);
        return r;
}

/* Where Go's encoding/json (runc, podman, Docker, containerd) and a C reader would read two
 * profiles in one text: a key twice (Go keeps the last), a key that is a member's name but for
 * case (Go takes it for the member), at every depth; refused, with the place and the reason. */
static void test_bases_read_as_runc_reads_them_or_refused(void) {
#define RULE(inner) "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [" inner "]}"
#define ARG(inner) RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [" inner "]}")
#define MAP(inner) "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"archMap\": [" inner "]}"
        static const struct {
                const char *base, *why;
        } cases[] = {
                /* the B and C */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [],\n \"syscalls\": [{\"names\": [\"socket\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\"}]}",
                  "line 2, column 2: \"syscalls\" twice: runc reads the last of these" },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"DefaultAction\": \"SCMP_ACT_ALLOW\"}",
                  "line 2, column 2: \"DefaultAction\": runc reads it as \"defaultAction\", keeping the last of the two" },
                /* the A, small */
                { RULE("{\"names\": [\"getpid\"], \"Names\": [\"socket\", \"ioctl\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
                  "line 1, column 72: \"Names\": runc reads it as \"names\", keeping the last of the two" },
                /* twice, at each depth; an escape is the same key */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultAction\": \"SCMP_ACT_ERRNO\"}",
                  "\"defaultAction\" twice" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscall\\u0073\": [], \"syscalls\": []}", "\"syscalls\" twice" },
                { RULE("{\"names\": [\"read\"], \"names\": [\"socket\"], \"action\": \"SCMP_ACT_ERRNO\"}"), "\"names\" twice" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"action\": \"SCMP_ACT_ALLOW\"}"),
                  "\"action\" twice" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1, \"errnoRet\": 2}"),
                  "\"errnoRet\" twice" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [], \"args\": []}"),
                  "\"args\" twice" },
                { ARG("{\"index\": 0, \"index\": 1, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}"), "\"index\" twice" },
                { ARG("{\"index\": 0, \"value\": 2, \"value\": 10, \"op\": \"SCMP_CMP_EQ\"}"), "\"value\" twice" },
                { ARG("{\"index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\", \"op\": \"SCMP_CMP_NE\"}"), "\"op\" twice" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": {}, \"includes\": "
                       "{\"caps\": [\"CAP_SYS_ADMIN\"]}}"),
                  "\"includes\" twice" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"caps\": [], \"caps\": []}}"),
                  "\"caps\" twice" },
                { MAP("{\"architecture\": \"SCMP_ARCH_X86_64\", \"architecture\": \"SCMP_ARCH_X86\"}"),
                  "\"architecture\" twice" },
                { MAP("{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [], \"subArchitectures\": []}"),
                  "\"subArchitectures\" twice" },
                /* but for case, at each depth; the Kelvin sign and the long s are k and s to Go */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"SYSCALLS\": []}", "\"SYSCALLS\": runc reads it as \"syscalls\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"\\u017fyscalls\": []}", "runc reads it as \"syscalls\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"ArchMap\": []}", "runc reads it as \"archMap\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"Flags\": []}", "runc reads it as \"flags\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerpath\": \"/x\"}", "runc reads it as \"listenerPath\"" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"DefaultErrnoRet\": 1}", "runc reads it as \"defaultErrnoRet\"" },
                { RULE("{\"names\": [\"read\"], \"Action\": \"SCMP_ACT_ERRNO\"}"), "runc reads it as \"action\"" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"ErrnoRet\": 1}"),
                  "runc reads it as \"errnoRet\"" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"ARGS\": []}"), "runc reads it as \"args\"" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"Includes\": {}}"),
                  "runc reads it as \"includes\"" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"Caps\": []}}"),
                  "runc reads it as \"caps\"" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"excludes\": {\"min\\u212aernel\": \"5.4\"}}"),
                  "runc reads it as \"minKernel\"" },
                { ARG("{\"Index\": 0, \"value\": 2, \"op\": \"SCMP_CMP_EQ\"}"), "runc reads it as \"index\"" },
                { ARG("{\"index\": 0, \"value\": 2, \"valuetwo\": 0, \"op\": \"SCMP_CMP_EQ\"}"),
                  "runc reads it as \"valueTwo\"" },
                { ARG("{\"index\": 0, \"value\": 2, \"OP\": \"SCMP_CMP_EQ\"}"), "runc reads it as \"op\"" },
                { MAP("{\"Architecture\": \"SCMP_ARCH_X86_64\"}"), "runc reads it as \"architecture\"" },
                { MAP("{\"architecture\": \"SCMP_ARCH_X86_64\", \"SubArchitectures\": []}"),
                  "runc reads it as \"subArchitectures\"" },
                /* members nonet does not know, and Docker's old "name" */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscals\": []}",
                  "\"syscals\" in a profile: not a member nonet knows" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"when\": 1}"),
                  "\"when\" in a syscalls entry: not a member nonet knows" },
                { RULE("{\"name\": \"socket\", \"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}"),
                  "syscalls[0]: a \"name\"" },
                /* architectures and actions spelled as runc spells them */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_x86\"]}",
                  "line 1, column 75: \"SCMP_ARCH_x86\": not an architecture as runc names them" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86\"]}", "\"x86\": not an architecture" },
                { MAP("{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X32\", \"scmp_arch_x86\"]}"),
                  "\"scmp_arch_x86\": not an architecture" },
                { MAP("{\"architecture\": \"SCMP_ARCH_x86_64\"}"), "\"SCMP_ARCH_x86_64\": not an architecture" },
                { "{\"defaultAction\": \"SCMP_ACT_Allow\"}", "no defaultAction nonet knows" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_errno\"}"), "no action nonet knows" },
                /* a known member of another type than the runtimes decode: their decoder fails (fuzz-profile's find) */
                { RULE("{\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": {\"caps\": [], "
                       "\"minKernel\": \"3.8\"}}"),
                  "\"errnoRet\" is not an unsigned number" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": -1}"),
                  "\"errnoRet\" is not an unsigned number" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": \"1\"}",
                  "\"defaultErrnoRet\" is not an unsigned number" },
                { "{\"defaultAction\": [\"SCMP_ACT_ALLOW\"]}", "\"defaultAction\" is not a string" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": \"SCMP_ARCH_X86_64\"}",
                  "\"architectures\" is not a list of strings" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}", "\"syscalls\" is not a list of objects" },
                { RULE("{\"names\": \"read\", \"action\": \"SCMP_ACT_ERRNO\"}"), "\"names\" is not a list of strings" },
                { RULE("{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"includes\": []}"),
                  "\"includes\" is not an object" },
                { ARG("{\"index\": 0, \"value\": 2.5, \"op\": \"SCMP_CMP_EQ\"}"), "\"value\" is not an unsigned number" },
                { ARG("{\"index\": 0, \"value\": 18446744073709551616, \"op\": \"SCMP_CMP_EQ\"}"),
                  "\"value\" is not an unsigned number" },
                /* UTF-8 only: Go reads other bytes as U+FFFD */
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"\xff\": 1}", "line 1, column 38: not JSON" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"\xc1\xb3yscalls\": []}", "not JSON" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"\xed\xa0\x80\": 1}", "not JSON" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char why[256];
                bool no_x86 = false;
                int r = merge_text(cases[i].base, why, sizeof(why), &no_x86, NULL);
                CHECK(r == -EINVAL && strstr(why, cases[i].why), "case %zu: %d, %s", i, r, why);
        }
        /* what Go and nonet read alike stays readable: the Kelvin sign in a value, a member exact */
        const char *ok = RULE("{\"names\": [\"\xe2\x84\xaa\"], \"action\": \"SCMP_ACT_ERRNO\", \"comment\": \"\xc3\xa9\"}");
        char why[256];
        bool no_x86 = false;
        CHECK(merge_text(ok, why, sizeof(why), &no_x86, NULL) == 0, "UTF-8 in values: %s", why);
#undef RULE
#undef ARG
#undef MAP
}

/* The base A: Debian's profile with a rule whose "Names" runc and podman read. */
static void test_debian_base_with_a_case_twin_is_refused(void) {
        size_t size;
        _cleanup_free_ char *text = read_all("/usr/share/containers/seccomp.json", &size);
        if (!text) {
                CHECK(getenv("CI") == NULL, "no /usr/share/containers/seccomp.json in CI");
                return;
        }
        char *end = strrchr(text, ']'), why[256];
        CHECK(end != NULL, "a syscalls list");
        if (!end)
                return;
        *end = '\0';
        _cleanup_free_ char *base = NULL;
        CHECK(asprintf(&base, "%s, {\"names\": [\"getpid\"], \"Names\": [\"socket\", \"ioctl\"], "
                              "\"action\": \"SCMP_ACT_ALLOW\"}]}", text) > 0, "asprintf");
        bool no_x86 = false;
        int r = merge_text(base, why, sizeof(why), &no_x86, NULL);
        CHECK(r == -EINVAL && strstr(why, "\"Names\": runc reads it as \"names\", keeping the last of the two"), "%d, %s", r, why);
}

/* i386 is said to be left out only where the base had it, by the name it had. */
static void test_i386_said_left_out_only_where_it_was(void) {
        static const struct {
                const char *base;
                bool said;
        } cases[] = {
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\"}]}", false },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\"], "
                  "\"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", true },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
                  "\"subArchitectures\": [\"SCMP_ARCH_X32\"]}], \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\"}]}", false },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", "
                  "\"subArchitectures\": [\"SCMP_ARCH_X86\"]}], \"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], "
                  "\"action\": \"SCMP_ACT_ALLOW\"}]}", true },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char why[256];
                bool no_x86 = true;
                struct json *j = NULL;
                CHECK(merge_text(cases[i].base, why, sizeof(why), &no_x86, &j) == 0, "case %zu: %s", i, why);
                CHECK(no_x86 == cases[i].said, "case %zu: said %d", i, no_x86);
                char *out = NULL;
                size_t size = 0;
                FILE *f = open_memstream(&out, &size);
                if (j)
                        json_write(j, f);
                fclose(f);
                CHECK(j && !strstr(out, "\"SCMP_ARCH_X86\""), "case %zu: no i386 in the profile", i);
                free(out);
                json_free(j);
        }
}

static bool names_only(const struct json *rule, const char *name, const char *action) {
        const struct json *names = json_get(rule, "names"), *a = json_get(rule, "action");
        return names && names->n == 1 && strcmp(names->items[0]->text, name) == 0 && strcmp(a->text, action) == 0;
}

/* What oci_merge() asks of what it writes: a merged profile changed so that a runtime would let
 * a refused call through is judged so. */
static void test_the_judge_refuses_what_a_runtime_would_let_through(void) {
        static const char *const bases[] = {
                "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"architectures\": "
                "[\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": [{\"names\": "
                "[\"socket\", \"socketpair\", \"ioctl\", \"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X32\"]}",
        };
        struct nonet_policy p;
        policy_init(&p);
        for (size_t b = 0; b < ELEMENTSOF(bases); b++)
                for (int change = 0; change < 5; change++) {
                        char why[256];
                        bool no_x86;
                        struct json *j = NULL;
                        CHECK(merge_text(bases[b], why, sizeof(why), &no_x86, &j) == 0, "base %zu: %s", b, why);
                        if (!j)
                                continue;
                        struct json *syscalls = json_get(j, "syscalls"), *rule = NULL;
                        const char *want = "";
                        size_t i = syscalls->n;
                        switch (change) {
                        case 1: /* a rule allowing socket() whole swallows nonet's */
                                want = "{\"names\": [\"socket\"], \"action\": \"SCMP_ACT_ALLOW\"}";
                                CHECK(json_parse(want, strlen(want), &rule, NULL) == 0, "a rule");
                                json_add(syscalls, NULL, rule);
                                want = b == 0 ? "socket(" : ""; /* with the default's action, runc leaves it out */
                                break;
                        case 2: /* a refused ioctl command's rule gone */
                                while (i-- > 0 && !names_only(syscalls->items[i], "ioctl", "SCMP_ACT_ERRNO"))
                                        ;
                                json_remove(syscalls, i);
                                want = "ioctl(";
                                break;
                        case 3: /* i386 back, where its socketcall() takes the allowing rules whole */
                                json_add(json_get(j, "architectures"), NULL, json_new(JSON_STRING, "SCMP_ARCH_X86"));
                                want = b == 0 ? "SCMP_ARCH_X86: " : ""; /* libseccomp refuses it, or socketcall() */
                                break;
                        case 4: /* the refusal of ptrace gone (io_uring's errno is the default's, ENOSYS) */
                                for (i = 0; i < syscalls->n; i++) {
                                        struct json *names = json_get(syscalls->items[i], "names");
                                        for (size_t k = names->n; k-- > 0;)
                                                if (strcmp(names->items[k]->text, "ptrace") == 0)
                                                        json_remove(names, k);
                                }
                                want = "ptrace(";
                                break;
                        }
                        int r = oci_judge(&p, j, why, sizeof(why));
                        if (*want)
                                CHECK(r == -EINVAL && strstr(why, want), "base %zu, change %d: %d, %s", b, change, r, why);
                        else
                                CHECK(r == 0, "base %zu, change %d: %s", b, change, why);
                        json_free(j);
                }
}

/* Which runtimes read a base's form, and what is written for each: refused (-ENOEXEC) where the
 * runtime named would drop a member that says something, or drop or refuse the flags. */
static void test_each_runtime_reads_what_is_written_for_it(void) {
#define P(inner) "{\"defaultAction\": \"SCMP_ACT_ALLOW\"" inner "}"
#define MOUNT(cond) P(", \"syscalls\": [{\"names\": [\"mount\"], \"action\": \"SCMP_ACT_ERRNO\", " cond "}]")
        enum { ANY = OCI_RUNTIME_ANY, DOCKER = OCI_RUNTIME_DOCKER, PODMAN = OCI_RUNTIME_PODMAN,
               CRIO = OCI_RUNTIME_CRIO, CONTAINERD = OCI_RUNTIME_CONTAINERD, RUNC = OCI_RUNTIME_RUNC,
               CRUN = OCI_RUNTIME_CRUN };
        static const struct {
                const char *base;
                int runtime;
                const char *why; /* NULL: written */
        } cases[] = {
                /* Docker's form: archMap and includes/excludes, which the runtime spec's lacks */
                { P(", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\", \"subArchitectures\": [\"SCMP_ARCH_X32\"]}]"),
                  RUNC, "not for --runtime=runc: the runtime spec's form has no \"archMap\" (line 1, column 37)" },
                { P(", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]"), CONTAINERD, "has no \"archMap\"" },
                { P(", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]"), CRUN, "has no \"archMap\"" },
                { P(", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]"), DOCKER, NULL },
                { P(", \"archMap\": [{\"architecture\": \"SCMP_ARCH_X86_64\"}]"), PODMAN, NULL },
                { MOUNT("\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}"), RUNC, "has no \"excludes\"" },
                { MOUNT("\"includes\": {\"arches\": [\"amd64\"]}"), CONTAINERD, "has no \"includes\"" },
                { MOUNT("\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}"), DOCKER, NULL },
                { MOUNT("\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}"), CRIO, NULL },
                /* containers/common 0.50 reads no minKernel */
                { MOUNT("\"includes\": {\"minKernel\": \"4.8\"}"), PODMAN, "podman's form (containers/common 0.50) has "
                  "no \"minKernel\"" },
                { MOUNT("\"includes\": {\"minKernel\": \"4.8\"}"), CRIO, "has no \"minKernel\"" },
                { MOUNT("\"includes\": {\"minKernel\": \"4.8\"}"), DOCKER, NULL },
                /* Docker reads "" as 0.0, older than every kernel: not nothing */
                { MOUNT("\"excludes\": {\"minKernel\": \"\"}"), RUNC, "has no \"excludes\"" },
                /* nothing said, in any form: read by all */
                { MOUNT("\"args\": null, \"comment\": \"x\", \"includes\": {}, \"excludes\": {\"caps\": []}"), RUNC, NULL },
                { MOUNT("\"args\": null, \"comment\": \"x\", \"includes\": {}, \"excludes\": {\"caps\": []}"), DOCKER, NULL },
                { MOUNT("\"args\": null, \"comment\": \"x\", \"includes\": {}, \"excludes\": {\"caps\": []}"), ANY, NULL },
                /* the runtime spec's form: Docker 20.10 lacks defaultErrnoRet and flags */
                { P(", \"defaultErrnoRet\": 38"), DOCKER, "Docker 20.10's form has no \"defaultErrnoRet\"" },
                { P(", \"defaultErrnoRet\": 38"), RUNC, NULL },
                { P(", \"defaultErrnoRet\": 38"), PODMAN, NULL },
                { P(", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]"), DOCKER, "has no flags" },
                { P(", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]"), RUNC, "refuses any flags: no container starts; "
                  "give a base without flags" },
                { P(", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]"), CONTAINERD, "containerd runs runc" },
                { P(", \"flags\": [\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]"), CRUN, NULL },
                { P(", \"flags\": []"), RUNC, NULL },
                /* Docker's and the runtime spec's at once: no runtime reads it whole */
                { MOUNT("\"includes\": {\"minKernel\": \"4.8\"}") "", DOCKER, NULL },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrnoRet\": 1, \"syscalls\": [{\"names\": [\"mount\"], "
                  "\"action\": \"SCMP_ACT_ERRNO\", \"includes\": {\"minKernel\": \"4.8\"}}]}", ANY, "no runtime reads it" },
        };
        struct nonet_policy p;
        policy_init(&p);
        /* Docker and podman refuse "architectures" beside "archMap", runc reads the first alone */
        const char *both = P(", \"architectures\": [\"SCMP_ARCH_X86_64\"], \"archMap\": [{\"architecture\": "
                             "\"SCMP_ARCH_X86_64\"}]");
        char both_why[256];
        bool both_x86;
        CHECK(merge_text(both, both_why, sizeof(both_why), &both_x86, NULL) == -EINVAL &&
              strstr(both_why, "\"archMap\" beside \"architectures\": Docker and podman refuse"), "%s", both_why);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char why[1024] = "";
                struct oci_notes notes;
                struct json *j = NULL;
                int r = oci_merge(&p, cases[i].base, strlen(cases[i].base), (enum oci_runtime) cases[i].runtime, &j, why,
                                  sizeof(why), &notes);
                if (cases[i].why)
                        CHECK(r == -ENOEXEC && strstr(why, cases[i].why) && !j, "case %zu: %d, %s", i, r, why);
                else
                        CHECK(r == 0 && j, "case %zu: %d, %s", i, r, why);
                json_free(j);
        }
        /* without a runtime named: written in the base's form, and who would read it otherwise said */
        const char *docker = MOUNT("\"excludes\": {\"caps\": [\"CAP_SYS_ADMIN\"]}");
        char why[256];
        struct oci_notes notes;
        struct json *j = NULL;
        CHECK(oci_merge(&p, docker, strlen(docker), OCI_RUNTIME_ANY, &j, why, sizeof(why), &notes) == 0, "%s", why);
        CHECK(j && json_get(json_get(j, "syscalls")->items[0], "excludes"), "the base's form kept");
        CHECK(strstr(notes.readers, "not read as written by containerd, runc, crun: the runtime spec's form has no "
                                    "\"excludes\"") && !strstr(notes.readers, "docker"), "%s", notes.readers);
        json_free(j);
#undef P
#undef MOUNT
}

/* The profile alone is in every form; with --log, its flag is written only for a runtime that
 * takes it. */
static void test_the_profile_alone_for_each_runtime(void) {
        struct nonet_policy p;
        policy_init(&p);
        for (int log = 0; log < 2; log++) {
                p.refusals = log ? NONET_REFUSE_AND_LOG : NONET_REFUSE;
                struct json *profile = profile_of(&p);
                if (!profile)
                        return;
                for (int rt = OCI_RUNTIME_DOCKER; rt < _OCI_RUNTIME_MAX; rt++) {
                        char why[512] = "";
                        struct oci_notes notes;
                        bool drops = log && (rt == OCI_RUNTIME_DOCKER || rt == OCI_RUNTIME_RUNC ||
                                             rt == OCI_RUNTIME_CONTAINERD);
                        int r = oci_check_runtime(&p, profile, (enum oci_runtime) rt, why, sizeof(why), &notes);
                        CHECK(drops ? r == -ENOEXEC && strstr(why, "flags") && strstr(why, "leave out --log") : r == 0,
                              "log %d, runtime %d: %d, %s", log, rt, r, why);
                }
                /* the runtime spec's members alone: Docker 20.10 reads "architectures" too */
                for (size_t i = 0; i < profile->n; i++)
                        CHECK(strstr(" defaultAction architectures syscalls flags ", profile->keys[i]), "%s",
                              profile->keys[i]);
                char why[512];
                struct oci_notes notes;
                CHECK(oci_check_runtime(&p, profile, OCI_RUNTIME_ANY, why, sizeof(why), &notes) == 0, "any");
                CHECK(log ? strstr(notes.readers, "written by docker") && strstr(notes.readers, "written by runc") &&
                                    !strstr(notes.readers, "written by crun") &&
                                    !strstr(notes.readers, "written by podman")
                          : !*notes.readers, "log %d: %s", log, notes.readers);
                json_free(profile);
        }
        enum oci_runtime rt;
        CHECK(oci_runtime_from_name("cri-o", &rt) == 0 && rt == OCI_RUNTIME_CRIO, "cri-o");
        CHECK(oci_runtime_from_name("Docker", &rt) == -EINVAL && oci_runtime_from_name("", &rt) == -EINVAL, "names");
}

/* containers' "errno" and "defaultErrno", which podman reads before the numbers, agree with them. */
static void test_errno_names_agree_with_their_numbers(void) {
        static const struct {
                const char *base, *why; /* NULL: merged */
        } cases[] = {
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"defaultErrno\": \"ENOSYS\", "
                  "\"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], \"action\": \"SCMP_ACT_ALLOW\"}]}", NULL },
                { "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38, \"defaultErrno\": \"EPERM\", "
                  "\"syscalls\": [{\"names\": [\"socket\", \"socketpair\"], \"action\": \"SCMP_ACT_ALLOW\"}]}",
                  "\"defaultErrno\": \"EPERM\", which podman reads before \"defaultErrnoRet\", and runc and Docker not at "
                  "all: give \"defaultErrnoRet\": 1 beside it" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": "
                  "\"SCMP_ACT_ERRNO\", \"errno\": \"EPERM\"}]}", "give \"errnoRet\": 1 beside it" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": "
                  "\"SCMP_ACT_ERRNO\", \"errno\": \"13\", \"errnoRet\": 13}]}", NULL },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"mount\"], \"action\": "
                  "\"SCMP_ACT_ERRNO\", \"errno\": \"EFOO\", \"errnoRet\": 1}]}", "\"EFOO\" is not an errno" },
                { "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"defaultErrno\": 1, \"defaultErrnoRet\": 1}", "not a string" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char why[512] = "";
                bool no_x86;
                int r = merge_text(cases[i].base, why, sizeof(why), &no_x86, NULL);
                if (cases[i].why)
                        CHECK(r == -EINVAL && strstr(why, cases[i].why), "case %zu: %d, %s", i, r, why);
                else
                        CHECK(r == 0, "case %zu: %s", i, why);
        }
}

static void test_json_round_trip(void) {
        const char *in = "{\"a\": [1, -2.5e3, \"\\u00e9\\ud83d\\ude00\\n\"], \"b\": {\"c\": null, \"d\": true}}";
        struct json *j = NULL, *k = NULL;
        char *out = NULL;
        size_t size;
        CHECK(json_parse(in, strlen(in), &j, NULL) == 0, "parses");
        FILE *f = open_memstream(&out, &size);
        json_write(j, f);
        fclose(f);
        CHECK(json_parse(out, size, &k, NULL) == 0 && json_equal(j, k), "round trip: %s", out);
        static const char *const bad[] = { "", "{", "[1,]", "{\"a\" 1}", "\"\\u0000\"", "01", "1.", "\"\\ud800\"",
                                           "[1] x", "\"\t\"", "{\"a\": 1, \"a\": 2}", "[{\"b\": {\"c\": 1, \"c\": 1}}]",
                                           "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x84\"" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct json *b = NULL;
                CHECK(json_parse(bad[i], strlen(bad[i]), &b, NULL) == -EINVAL, "refuses %s", bad[i]);
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
        RUN(test_bases_read_as_runc_reads_them_or_refused);
        RUN(test_debian_base_with_a_case_twin_is_refused);
        RUN(test_i386_said_left_out_only_where_it_was);
        RUN(test_the_judge_refuses_what_a_runtime_would_let_through);
        RUN(test_each_runtime_reads_what_is_written_for_it);
        RUN(test_the_profile_alone_for_each_runtime);
        RUN(test_errno_names_agree_with_their_numbers);
        return tap_done();
}
