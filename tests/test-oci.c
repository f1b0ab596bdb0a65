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
#include "tap.h"
#include "util.h"

#define X32_BIT 0x40000000U

static uint32_t action_value(const struct json *name, const struct json *error) {
        const char *n = name ? name->text : "";
        uint32_t e = error ? (uint32_t) strtoul(error->text, NULL, 10) : EPERM;
        if (strcmp(n, "SCMP_ACT_ALLOW") == 0)
                return SCMP_ACT_ALLOW;
        if (strcmp(n, "SCMP_ACT_LOG") == 0)
                return SCMP_ACT_LOG;
        if (strcmp(n, "SCMP_ACT_ERRNO") == 0)
                return SCMP_ACT_ERRNO(e);
        if (strcmp(n, "SCMP_ACT_KILL") == 0 || strcmp(n, "SCMP_ACT_KILL_THREAD") == 0)
                return SCMP_ACT_KILL;
        if (strcmp(n, "SCMP_ACT_KILL_PROCESS") == 0)
                return SCMP_ACT_KILL_PROCESS;
        if (strcmp(n, "SCMP_ACT_TRACE") == 0)
                return SCMP_ACT_TRACE(e);
        return 0xffffffffU;
}

static uint32_t arch_token(const char *name) {
        static const struct {
                const char *name;
                uint32_t token;
        } map[] = { { "SCMP_ARCH_X86_64", SCMP_ARCH_X86_64 }, { "SCMP_ARCH_X86", SCMP_ARCH_X86 },
                    { "SCMP_ARCH_X32", SCMP_ARCH_X32 },       { "SCMP_ARCH_AARCH64", SCMP_ARCH_AARCH64 },
                    { "SCMP_ARCH_ARM", SCMP_ARCH_ARM } };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(map[i].name, name) == 0)
                        return map[i].token;
        return 0;
}

static bool has_string(const struct json *list, const char *s) {
        for (size_t i = 0; list && i < list->n; i++)
                if (list->items[i]->type == JSON_STRING && strcmp(list->items[i]->text, s) == 0)
                        return true;
        return false;
}

/* Podman's and Docker's reading of includes and excludes, for a container without capabilities
 * on amd64: a rule needing a capability is left out, one excluded for a capability kept. */
static bool applies(const struct json *rule) {
        const struct json *inc = json_get(rule, "includes"), *exc = json_get(rule, "excludes");
        const struct json *caps = json_get(inc, "caps"), *arches = json_get(inc, "arches");
        if (caps && caps->n > 0)
                return false;
        if (arches && arches->n > 0 && !has_string(arches, "amd64"))
                return false;
        return !has_string(json_get(exc, "arches"), "amd64");
}

/* The ABIs: "architectures", or archMap's entry for this machine and its subArchitectures. */
static size_t profile_arches(const struct json *profile, uint32_t *ret, size_t max) {
        const struct json *list = json_get(profile, "architectures"), *map = json_get(profile, "archMap");
        size_t n = 0;
        for (size_t i = 0; map && i < map->n; i++) {
                const struct json *arch = json_get(map->items[i], "architecture");
                if (arch && strcmp(arch->text, "SCMP_ARCH_X86_64") == 0) {
                        ret[n++] = SCMP_ARCH_X86_64;
                        list = json_get(map->items[i], "subArchitectures");
                }
        }
        for (size_t i = 0; list && i < list->n && n < max; i++)
                ret[n++] = arch_token(list->items[i]->text);
        return n;
}

/* The profile compiled as a runtime does; NULL where libseccomp refuses a rule (the runtime
 * then fails to start the container). */
static struct sock_filter *compile_profile(const struct json *profile, size_t *ret_n, bool *ret_x86) {
        uint32_t deflt = action_value(json_get(profile, "defaultAction"), json_get(profile, "defaultErrnoRet"));
        uint32_t arches[8];
        size_t n_arches = profile_arches(profile, arches, ELEMENTSOF(arches));
        const struct json *syscalls = json_get(profile, "syscalls");
        scmp_filter_ctx ctx = seccomp_init(deflt);
        struct sock_filter *prog = NULL;
        *ret_x86 = false;
        if (!ctx)
                return NULL;
        seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
        for (size_t i = 0; i < n_arches; i++) {
                seccomp_arch_add(ctx, arches[i]);
                *ret_x86 = *ret_x86 || arches[i] == SCMP_ARCH_X86;
        }
        for (size_t i = 0; syscalls && i < syscalls->n; i++) {
                const struct json *rule = syscalls->items[i], *names = json_get(rule, "names");
                const struct json *args = json_get(rule, "args");
                uint32_t action = action_value(json_get(rule, "action"), json_get(rule, "errnoRet"));
                struct scmp_arg_cmp cmp[6];
                unsigned n_cmp = 0;
                if (!applies(rule) || action == deflt)
                        continue; /* runc and crun leave out a rule with the default's action */
                for (size_t k = 0; args && k < args->n && n_cmp < ELEMENTSOF(cmp); k++) {
                        static const char *const ops[] = { [SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT",
                                                           [SCMP_CMP_LE] = "SCMP_CMP_LE", [SCMP_CMP_EQ] = "SCMP_CMP_EQ",
                                                           [SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
                                                           [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ" };
                        const struct json *a = args->items[k], *op = json_get(a, "op");
                        enum scmp_compare o = 0;
                        for (int x = SCMP_CMP_NE; x <= SCMP_CMP_MASKED_EQ; x++)
                                if (strcmp(op->text, ops[x]) == 0)
                                        o = (enum scmp_compare) x;
                        const struct json *two = json_get(a, "valueTwo");
                        cmp[n_cmp++] = (struct scmp_arg_cmp) {
                                (unsigned) strtoul(json_get(a, "index")->text, NULL, 10), o,
                                strtoull(json_get(a, "value")->text, NULL, 10), two ? strtoull(two->text, NULL, 10) : 0 };
                }
                /* runc: several conditions on one argument are alternatives, each a rule of its own */
                bool same_arg = false;
                for (unsigned x = 0; x < n_cmp; x++)
                        for (unsigned y = x + 1; y < n_cmp; y++)
                                same_arg = same_arg || cmp[x].arg == cmp[y].arg;
                for (size_t k = 0; names && k < names->n; k++) {
                        int nr = seccomp_syscall_resolve_name(names->items[k]->text);
                        if (nr == __NR_SCMP_ERROR)
                                continue; /* a call this libseccomp does not know: left out, as runc does */
                        int r = 0;
                        if (same_arg)
                                for (unsigned x = 0; x < n_cmp && r >= 0; x++)
                                        r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[x]);
                        else
                                r = seccomp_rule_add_array(ctx, action, nr, n_cmp, cmp);
                        if (r < 0) {
                                printf("# libseccomp refuses %s in syscalls[%zu]: %s\n", names->items[k]->text, i,
                                       strerror(-r));
                                seccomp_release(ctx);
                                return NULL;
                        }
                }
        }
        int fd = memfd_create("profile", MFD_CLOEXEC);
        if (seccomp_export_bpf(ctx, fd) == 0) {
                off_t size = lseek(fd, 0, SEEK_CUR);
                prog = malloc((size_t) size);
                if (prog && pread(fd, prog, (size_t) size, 0) == size)
                        *ret_n = (size_t) size / sizeof(*prog);
                else {
                        free(prog);
                        prog = NULL;
                }
        }
        close(fd);
        seccomp_release(ctx);
        return prog;
}

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
                bool x86;
                struct sock_filter *want = filter_of(&ps[i], &n_want);
                struct json *profile = profile_of(&ps[i]);
                struct sock_filter *got = profile ? compile_profile(profile, &n_got, &x86) : NULL;
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
        bool x86;
        struct sock_filter *base_prog = base ? compile_profile(base, &n_base, &x86) : NULL;
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
                struct sock_filter *got = merged ? compile_profile(merged, &n_got, &x86) : NULL;
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
                  "\"SCMP_ACT_ALLOW\"}]}", "socket() is never allowed" },
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
                bool no_x86;
                struct json *j = NULL;
                int r = oci_merge(&p, cases[i].base, strlen(cases[i].base), &j, why, sizeof(why), &no_x86);
                CHECK(r == -EINVAL && strstr(why, cases[i].why), "case %zu: %d, %s", i, r, why);
                json_free(j);
        }
        /* a refusal of a family the policy refuses anyway is nonet's to make */
        const char *ok = "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"socket\"], \"action\": "
                         "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0, \"value\": 40, \"op\": \"SCMP_CMP_EQ\"}]}]}";
        char why[256];
        bool no_x86;
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
