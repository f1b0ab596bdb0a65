/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "profile-runtime.h"
#include "util.h"

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
struct sock_filter *profile_compile(const struct json *profile, size_t *ret_n, bool *ret_x86) {
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

