/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The seccomp layer as an OCI runtime's seccomp profile (runtime-spec config-linux.md, the
 * linux.seccomp object; Docker, podman and Kubernetes' Localhost profiles read the same): the
 * filter's own rules (filter_rules()), written as JSON, alone or merged onto a base profile.
 *
 * Merging keeps the rules of different actions on one call apart: libseccomp lets a rule
 * without arguments swallow every conditional rule on the same call, whichever came first, so
 * the base's unconditional socket and ioctl rules are replaced by rules that never overlap.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bpf.h"
#include "calls.h"
#include "internal.h"
#include "json.h"
#include "oci.h"
#include "util.h"

static const char *const op_names[] = {
        [SCMP_CMP_NE] = "SCMP_CMP_NE", [SCMP_CMP_LT] = "SCMP_CMP_LT", [SCMP_CMP_LE] = "SCMP_CMP_LE",
        [SCMP_CMP_EQ] = "SCMP_CMP_EQ", [SCMP_CMP_GE] = "SCMP_CMP_GE", [SCMP_CMP_GT] = "SCMP_CMP_GT",
        [SCMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

struct action {
        const char *name; /* SCMP_ACT_* */
        int error;        /* errnoRet, for SCMP_ACT_ERRNO; else -1 */
};

static int action_of(uint32_t a, struct action *ret) {
        if (a == SCMP_ACT_ALLOW)
                *ret = (struct action) { "SCMP_ACT_ALLOW", -1 };
        else if (a == SCMP_ACT_LOG)
                *ret = (struct action) { "SCMP_ACT_LOG", -1 };
        else if ((a & 0xffff0000U) == SCMP_ACT_ERRNO(0))
                *ret = (struct action) { "SCMP_ACT_ERRNO", (int) (a & 0xffff) };
        else
                return -EINVAL; /* a supervisor's notifications have no place in a profile */
        return 0;
}

static bool action_eq(const struct action *a, const struct action *b) {
        return strcmp(a->name, b->name) == 0 && a->error == b->error;
}

static struct json *number(uint64_t v) {
        char text[24];
        snprintf(text, sizeof(text), "%" PRIu64, v);
        return json_new(JSON_NUMBER, text);
}

static struct json *rule_json(const char *name, const struct action *a, unsigned n, const struct scmp_arg_cmp *cmp) {
        struct json *r = json_new(JSON_OBJECT, NULL), *names = json_new(JSON_ARRAY, NULL), *args = NULL;
        if (!r || !names || json_add(names, NULL, json_new(JSON_STRING, name)) < 0 || json_add(r, "names", names) < 0)
                goto fail;
        names = NULL;
        if (json_add(r, "action", json_new(JSON_STRING, a->name)) < 0 ||
            (a->error >= 0 && json_add(r, "errnoRet", number((uint64_t) a->error)) < 0))
                goto fail;
        if (n > 0) {
                if (!(args = json_new(JSON_ARRAY, NULL)))
                        goto fail;
                for (unsigned i = 0; i < n; i++) {
                        struct json *c = json_new(JSON_OBJECT, NULL);
                        if (json_add(args, NULL, c) < 0 || json_add(c, "index", number(cmp[i].arg)) < 0 ||
                            json_add(c, "value", number(cmp[i].datum_a)) < 0 ||
                            json_add(c, "valueTwo", number(cmp[i].datum_b)) < 0 ||
                            json_add(c, "op", json_new(JSON_STRING, op_names[cmp[i].op])) < 0)
                                goto fail;
                }
                if (json_add(r, "args", args) < 0) {
                        args = NULL;
                        goto fail;
                }
        }
        return r;
fail:
        json_free(names);
        json_free(args);
        json_free(r);
        return NULL;
}

/* Two rules the same but for their names: one entry, as profiles list them. */
static bool same_but_names(const struct json *a, const struct json *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 1; i < a->n; i++) /* [0] is "names" */
                if (strcmp(a->keys[i], b->keys[i]) != 0 || !json_equal(a->items[i], b->items[i]))
                        return false;
        return true;
}

struct writer {
        struct json *syscalls;
        struct action deflt; /* rules with the default's action are left out: runtimes refuse them */
        size_t socket_actions; /* socket() and socketpair() rules seen */
        uint32_t first_socket_action;
        bool socket_mixed;
        size_t first_new; /* entries before this are the base's: never joined */
};

static int add_rule(struct writer *w, const char *name, uint32_t action, unsigned n, const struct scmp_arg_cmp *cmp) {
        struct action a;
        int r = action_of(action, &a);
        if (r < 0)
                return r;
        if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0) {
                if (w->socket_actions++ == 0)
                        w->first_socket_action = action;
                w->socket_mixed = w->socket_mixed || action != w->first_socket_action;
        }
        if (action_eq(&a, &w->deflt))
                return 0;
        struct json *rule = rule_json(name, &a, n, cmp);
        if (!rule)
                return -ENOMEM;
        for (size_t i = w->first_new; i < w->syscalls->n; i++)
                if (same_but_names(w->syscalls->items[i], rule)) {
                        json_free(rule);
                        return json_add(json_get(w->syscalls->items[i], "names"), NULL, json_new(JSON_STRING, name));
                }
        return json_add(w->syscalls, NULL, rule);
}

static int filter_rule(void *userdata, uint32_t action, int sys, unsigned n, const struct scmp_arg_cmp *cmp) {
        _cleanup_free_ char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, sys);
        return name ? add_rule(userdata, name, action, n, cmp) : -EINVAL;
}

static const char *arch_name(uint32_t arch) {
        switch (arch) {
        case SCMP_ARCH_X86_64:
                return "SCMP_ARCH_X86_64";
        case SCMP_ARCH_X86:
                return "SCMP_ARCH_X86";
        case SCMP_ARCH_X32:
                return "SCMP_ARCH_X32";
        case SCMP_ARCH_AARCH64:
                return "SCMP_ARCH_AARCH64";
        case SCMP_ARCH_ARM:
                return "SCMP_ARCH_ARM";
        default:
                return NULL;
        }
}

/* The ABIs the filter covers (filter_build_full()). i386 reaches socket() through socketcall()
 * too, where libseccomp drops a rule's arguments: one action for every socket() rule there, or
 * one rule overwrites another. Without that, i386 is left out and gets the runtime's
 * bad-architecture action. */
static int architectures(bool x86_ok, struct json **ret) {
        static const uint32_t x86_64[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_X32 };
        static const uint32_t aarch64[] = { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
        uint32_t native = seccomp_arch_native();
        const uint32_t *list = native == SCMP_ARCH_X86_64 ? x86_64 : native == SCMP_ARCH_AARCH64 ? aarch64 : &native;
        size_t n = native == SCMP_ARCH_X86_64 ? ELEMENTSOF(x86_64) : native == SCMP_ARCH_AARCH64 ? ELEMENTSOF(aarch64) : 1;
        struct json *a = json_new(JSON_ARRAY, NULL);
        if (!a)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (list[i] == SCMP_ARCH_X86 && !x86_ok)
                        continue;
                if (!arch_name(list[i])) {
                        json_free(a);
                        return -EOPNOTSUPP;
                }
                int r = json_add(a, NULL, json_new(JSON_STRING, arch_name(list[i])));
                if (r < 0) {
                        json_free(a);
                        return r;
                }
        }
        *ret = a;
        return 0;
}

/* The policy a profile carries: no Landlock in a container's spec, so ptrace is refused too. */
static int profile_policy(const struct nonet_policy *p, struct nonet_policy *ret) {
        int r = policy_normalize(p, ret, NULL);
        if (r < 0)
                return r;
        return ret->refusals == NONET_REFUSE_AND_NOTIFY || ret->netns != NONET_NETNS_HOST ||
                               ret->brokers != NONET_BROKERS_OPEN
                       ? -EOPNOTSUPP
                       : 0;
}

/* Only what --log asks: runc before 1.2 (Debian 12's) refuses a profile with any flag, and the
 * speculation choice (SPEC_ALLOW) is the runtime's. */
static int add_flags(struct json *profile, const struct nonet_policy *p) {
        struct json *flags = json_get(profile, "flags");
        const char *want[1] = { p->refusals == NONET_REFUSE_AND_LOG ? "SECCOMP_FILTER_FLAG_LOG" : NULL };
        int r;
        if (!flags && (r = json_add(profile, "flags", flags = json_new(JSON_ARRAY, NULL))) < 0)
                return r;
        if (flags->type != JSON_ARRAY)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                bool have = false;
                for (size_t k = 0; k < flags->n; k++)
                        have = have || (flags->items[k]->type == JSON_STRING && want[i] &&
                                        strcmp(flags->items[k]->text, want[i]) == 0);
                if (want[i] && !have && (r = json_add(flags, NULL, json_new(JSON_STRING, want[i]))) < 0)
                        return r;
        }
        if (flags->n == 0)
                json_free(json_take(profile, "flags")); /* as runc 1.1 takes it */
        return 0;
}

int oci_profile(const struct nonet_policy *policy, struct json **ret) {
        struct nonet_policy p;
        struct json *profile = json_new(JSON_OBJECT, NULL), *archs = NULL;
        struct writer w = { .deflt = { "SCMP_ACT_ALLOW", -1 } };
        int r = profile_policy(policy, &p);

        if (r < 0 || !profile || json_add(profile, "defaultAction", json_new(JSON_STRING, "SCMP_ACT_ALLOW")) < 0 ||
            json_add(profile, "syscalls", w.syscalls = json_new(JSON_ARRAY, NULL)) < 0 ||
            (r = filter_rules(&p, false, filter_rule, &w)) < 0 || (r = architectures(!w.socket_mixed, &archs)) < 0 ||
            (r = json_add(profile, "architectures", archs)) < 0 ||
            (r = add_flags(profile, &p)) < 0 ||
            (r = json_add(profile, "syscalls", json_take(profile, "syscalls"))) < 0) { /* last, as profiles have it */
                json_free(profile);
                return r < 0 ? r : -ENOMEM;
        }
        *ret = profile;
        return 0;
}

enum touched { TOUCHED_NONE, TOUCHED_FAMILY, TOUCHED_SOCKETCALL, TOUCHED_IOCTL, TOUCHED_CALL };

static enum touched touched(const char *name) {
        if (strcmp(name, "socket") == 0 || strcmp(name, "socketpair") == 0)
                return TOUCHED_FAMILY;
        if (strcmp(name, "socketcall") == 0)
                return TOUCHED_SOCKETCALL;
        if (strcmp(name, "ioctl") == 0)
                return TOUCHED_IOCTL;
        for (size_t i = 0; i < n_refused_calls; i++)
                if (strcmp(name, refused_calls[i].name) == 0)
                        return TOUCHED_CALL;
        return TOUCHED_NONE;
}

/* An action as a profile writes it, spelled as runc spells it (crun reads other spellings too);
 * ERRNO and TRACE default to EPERM (runtime-spec). */
static int parse_action(const struct json *name, const struct json *error, struct action *ret) {
        static const char *const known[] = { "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD",
                                             "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE",
                                             "SCMP_ACT_ALLOW", "SCMP_ACT_LOG" };
        size_t i = 0;
        while (name && name->type == JSON_STRING && i < ELEMENTSOF(known) && strcmp(name->text, known[i]) != 0)
                i++;
        if (!name || name->type != JSON_STRING || i == ELEMENTSOF(known))
                return -EINVAL;
        ret->name = name->text;
        ret->error = -1;
        if (strcmp(name->text, "SCMP_ACT_ERRNO") == 0 || strcmp(name->text, "SCMP_ACT_TRACE") == 0) {
                char *end;
                unsigned long e = error ? strtoul(error->text ?: "", &end, 10) : EPERM;
                if (error && (error->type != JSON_NUMBER || *end || e > 4095))
                        return -EINVAL;
                ret->error = (int) e;
        }
        return 0;
}

#define CAP_NAME_MAX 32

struct merge {
        const struct nonet_policy *p;
        struct action deflt;
        /* socket(), socketpair(): the families the base allows whole, in every container */
        uint64_t allowed[2];
        /* Docker's and podman's form: the same, by rules for a container with one capability
         * (includes) and without it (excludes); a family both allow is allowed either way */
        struct {
                char cap[CAP_NAME_MAX];
                uint64_t with[2], without[2];
        } caps[8];
        size_t n_caps;
        bool ioctl_allowed;
        size_t first_new; /* the syscalls entries before this are the base's */
        char *why;
        size_t why_size;
};

static int refuse_merge(struct merge *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse_merge(struct merge *m, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(m->why, m->why_size, fmt, ap);
        va_end(ap);
        return -EINVAL;
}

/* A refusal that names where in the file: a member's key, or a list's item. */
static int refuse_at(struct merge *m, const struct json *j, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int refuse_at(struct merge *m, const struct json *j, const char *fmt, ...) {
        char what[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        return refuse_merge(m, "line %u, column %u: %s", j->line, j->column, what);
}

/* The forms a profile is read in: the type each runtime decodes it into, whose members it reads
 * and whose others it drops without a word (Go's encoding/json; crun's reader alike). */
enum form {
        FORM_SPEC = 1 << 0,       /* runtime-spec's LinuxSeccomp: runc, crun, containerd (ctr, its CRI) */
        FORM_DOCKER = 1 << 1,     /* moby 20.10's profiles/seccomp.Seccomp: Docker */
        FORM_CONTAINERS = 1 << 2, /* containers/common 0.50's seccomp.Seccomp: podman, buildah, CRI-O */
        FORMS_ALL = FORM_SPEC | FORM_DOCKER | FORM_CONTAINERS,
};
#define FORMS_DC (FORM_DOCKER | FORM_CONTAINERS)
#define FORMS_SC (FORM_SPEC | FORM_CONTAINERS)

/* The members the runtimes decode, for each object of a profile (runtime-spec's LinuxSeccomp,
 * LinuxSyscall, LinuxSeccompArg; Docker's and containers' Seccomp, Syscall, Architecture,
 * Filter), with the object each member's value holds (itself, or its list's items), and the
 * forms that have it ("comment" changes nothing, so all do; "errno" and "defaultErrno" only
 * where they agree with the number beside them, check_errno_names()). */
struct member {
        const char *name;
        const struct schema *of;
        unsigned forms;
};

struct schema {
        const char *what;
        const struct member *members;
};

static const struct schema arg_schema = {
        "an argument condition",
        (const struct member[]) { { "index", NULL, FORMS_ALL }, { "value", NULL, FORMS_ALL },
                                  { "valueTwo", NULL, FORMS_ALL }, { "op", NULL, FORMS_ALL }, { NULL } },
};
static const struct schema filter_schema = {
        "an includes or excludes",
        (const struct member[]) { { "caps", NULL, FORMS_DC }, { "arches", NULL, FORMS_DC },
                                  { "minKernel", NULL, FORM_DOCKER }, { NULL } },
};
static const struct schema arch_schema = {
        "an archMap entry",
        (const struct member[]) { { "architecture", NULL, FORMS_DC }, { "subArchitectures", NULL, FORMS_DC }, { NULL } },
};
static const struct schema rule_schema = {
        "a syscalls entry",
        (const struct member[]) { { "names", NULL, FORMS_ALL }, { "action", NULL, FORMS_ALL },
                                  { "errnoRet", NULL, FORMS_ALL }, { "errno", NULL, FORMS_ALL },
                                  { "args", &arg_schema, FORMS_ALL }, { "comment", NULL, FORMS_ALL },
                                  { "includes", &filter_schema, FORMS_DC }, { "excludes", &filter_schema, FORMS_DC },
                                  { "name", NULL, FORMS_DC }, { NULL } },
};
static const struct schema profile_schema = {
        "a profile",
        (const struct member[]) { { "defaultAction", NULL, FORMS_ALL }, { "defaultErrnoRet", NULL, FORMS_SC },
                                  { "defaultErrno", NULL, FORMS_ALL }, { "architectures", NULL, FORMS_ALL },
                                  { "archMap", &arch_schema, FORMS_DC }, { "syscalls", &rule_schema, FORMS_ALL },
                                  { "flags", NULL, FORMS_SC }, { "listenerPath", NULL, FORMS_SC },
                                  { "listenerMetadata", NULL, FORMS_SC }, { NULL } },
};

/* A list whose items are all of one type (null items decode to the zero value). */
static bool list_of(const struct json *v, enum json_type type) {
        for (size_t i = 0; v->type == JSON_ARRAY && i < v->n; i++)
                if (v->items[i]->type != type && v->items[i]->type != JSON_NULL)
                        return false;
        return v->type == JSON_ARRAY;
}

/* A number Go decodes into an unsigned field: digits only ("-1", "1.5" and "1e3" fail), within 64 bits. */
static bool unsigned_number(const struct json *v) {
        char *end;
        if (v->type != JSON_NUMBER || !isdigit((unsigned char) v->text[0]))
                return false;
        errno = 0;
        (void) strtoull(v->text, &end, 10);
        return errno == 0 && *end == '\0';
}

/* A known member's value of the type the runtimes decode it into; else Go's decoder fails and the
 * runtime refuses the profile, which nonet would have judged as if read (null is every type's zero). */
static int check_kind(struct merge *m, const struct member *f, const struct json *v) {
        static const char *const numbers[] = { "index", "value", "valueTwo", "errnoRet", "defaultErrnoRet" };
        static const char *const lists[] = { "architectures", "flags", "names", "caps", "arches", "subArchitectures" };
        const char *want = "a string";
        bool ok = v->type == JSON_STRING;
        if (v->type == JSON_NULL)
                return 0;
        if (f->of && strcmp(f->name, "includes") != 0 && strcmp(f->name, "excludes") != 0)
                want = "a list of objects", ok = list_of(v, JSON_OBJECT);
        else if (f->of)
                want = "an object", ok = v->type == JSON_OBJECT;
        for (size_t i = 0; i < ELEMENTSOF(numbers); i++)
                if (strcmp(f->name, numbers[i]) == 0)
                        want = "an unsigned number", ok = unsigned_number(v);
        for (size_t i = 0; i < ELEMENTSOF(lists); i++)
                if (strcmp(f->name, lists[i]) == 0)
                        want = "a list of strings", ok = list_of(v, JSON_STRING);
        if (ok)
                return 0;
        return refuse_at(m, v, "\"%s\" is not %s: the runtimes' decoder fails on it and the container does not start",
                         f->name, want);
}

/* Each member known by its exact name: Go takes a key that differs but for case as the member too
 * (and the last of the two), and a member nonet does not know may be one a newer runtime acts on. */
static int check_members(struct merge *m, const struct json *j, const struct schema *s) {
        int r;
        for (size_t i = 0; j->type == JSON_ARRAY && i < j->n; i++)
                if ((r = check_members(m, j->items[i], s)) < 0)
                        return r;
        for (size_t i = 0; j->type == JSON_OBJECT && i < j->n; i++) {
                const struct member *f = s->members;
                char key[48];
                while (f->name && strcmp(f->name, j->keys[i]) != 0)
                        f++;
                if (f->name) {
                        if ((r = check_kind(m, f, j->items[i])) < 0)
                                return r;
                        if (f->of && (r = check_members(m, j->items[i], f->of)) < 0)
                                return r;
                        continue;
                }
                json_quote(j->keys[i], key, sizeof(key));
                for (f = s->members; f->name && !json_name_matches(j->keys[i], f->name); f++)
                        ;
                if (f->name)
                        return refuse_at(m, j->items[i], "%s: runc reads it as \"%s\"%s", key, f->name,
                                         json_get(j, f->name) ? ", keeping the last of the two" : "");
                return refuse_at(m, j->items[i], "%s in %s: not a member nonet knows, which a runtime may act on", key,
                                 s->what);
        }
        return 0;
}

/* The architectures as runc names them: runc refuses any other spelling, and crun reads
 * "SCMP_ARCH_x86" or "x86" as SCMP_ARCH_X86. */
static int check_arch_name(struct merge *m, const struct json *name) {
        static const char *const known[] = {
                "X86",    "X86_64",  "X32",      "ARM",        "AARCH64", "LOONGARCH64", "M68K",
                "MIPS",   "MIPS64",  "MIPS64N32", "MIPSEL",    "MIPSEL64", "MIPSEL64N32", "PPC",
                "PPC64",  "PPC64LE", "RISCV64",  "S390",       "S390X",   "PARISC",      "PARISC64",
                "SH",     "SHEB",
        };
        char quoted[48];
        if (name->type != JSON_STRING)
                return 0; /* the runtimes refuse it, and start nothing */
        for (size_t i = 0; i < ELEMENTSOF(known); i++)
                if (strncmp(name->text, "SCMP_ARCH_", 10) == 0 && strcmp(name->text + 10, known[i]) == 0)
                        return 0;
        json_quote(name->text, quoted, sizeof(quoted));
        return refuse_at(m, name, "%s: not an architecture as runc names them (\"SCMP_ARCH_X86\"): runc refuses it, "
                         "crun may read it as one", quoted);
}

static int check_arch_list(struct merge *m, const struct json *list) {
        int r;
        for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->n; i++)
                if ((r = check_arch_name(m, list->items[i])) < 0)
                        return r;
        return 0;
}

/* containers' "errno" and "defaultErrno" (a number or a name), which podman reads before the
 * number beside them, and runc and Docker not at all: taken where they say that number. */
static int check_errno_name(struct merge *m, const struct json *o, const char *key, const char *number_key) {
        const struct json *name = json_get(o, key), *number = json_get(o, number_key);
        char quoted[48], *end;
        unsigned long e = 0, n;
        if (!name || name->type == JSON_NULL || (name->type == JSON_STRING && !*name->text))
                return 0;
        if (name->type != JSON_STRING)
                return refuse_at(m, name, "\"%s\" is not a string: podman refuses it", key);
        json_quote(name->text, quoted, sizeof(quoted));
        if (name->text[0] >= '0' && name->text[0] <= '9')
                e = strtoul(name->text, &end, 10);
        else
                for (e = 1, end = (char *) ""; e < 4096; e++)
                        if (strerrorname_np((int) e) && strcmp(strerrorname_np((int) e), name->text) == 0)
                                break;
        if (*end || e == 0 || e >= 4096)
                return refuse_at(m, name, "\"%s\": %s is not an errno nonet knows", key, quoted);
        n = number && number->type == JSON_NUMBER ? strtoul(number->text, &end, 10) : 0;
        if (!number || number->type != JSON_NUMBER || *end || n != e)
                return refuse_at(m, name, "\"%s\": %s, which podman reads before \"%s\", and runc and Docker not at "
                                 "all: give \"%s\": %lu beside it", key, quoted, number_key, number_key, e);
        return 0;
}

static bool says_nothing(const char *key, const struct json *j);

/* A profile read as the runtimes read it, or refused. */
static int check_profile(struct merge *m, const struct json *profile) {
        const struct json *map = json_get(profile, "archMap"), *syscalls = json_get(profile, "syscalls"),
                          *archs = json_get(profile, "architectures");
        int r = check_members(m, profile, &profile_schema);
        if (r >= 0 && map && archs && !says_nothing("archMap", map) && !says_nothing("architectures", archs))
                r = refuse_at(m, map, "\"archMap\" beside \"architectures\": Docker and podman refuse such a "
                              "profile, runc reads \"architectures\" alone: give one of them");
        if (r >= 0)
                r = check_errno_name(m, profile, "defaultErrno", "defaultErrnoRet");
        for (size_t i = 0; r >= 0 && syscalls && syscalls->type == JSON_ARRAY && i < syscalls->n; i++)
                r = check_errno_name(m, syscalls->items[i], "errno", "errnoRet");
        if (r >= 0)
                r = check_arch_list(m, json_get(profile, "architectures"));
        for (size_t i = 0; r >= 0 && map && map->type == JSON_ARRAY && i < map->n; i++) {
                const struct json *arch = json_get(map->items[i], "architecture");
                if (arch)
                        r = check_arch_name(m, arch);
                if (r >= 0)
                        r = check_arch_list(m, json_get(map->items[i], "subArchitectures"));
        }
        return r;
}

/* A base rule refusing some socket() calls: harmless where it names a family the policy
 * refuses anyway (index 0, SCMP_CMP_EQ); else it refuses calls the policy keeps. */
static bool about_refused_family(const struct merge *m, const struct json *args) {
        for (size_t i = 0; args && i < args->n; i++) {
                const struct json *a = args->items[i], *index = json_get(a, "index"), *op = json_get(a, "op"),
                                  *value = json_get(a, "value");
                if (!index || index->type != JSON_NUMBER || strcmp(index->text, "0") != 0 || !op ||
                    op->type != JSON_STRING || strcmp(op->text, "SCMP_CMP_EQ") != 0 || !value ||
                    value->type != JSON_NUMBER)
                        continue;
                char *end;
                unsigned long long f = strtoull(value->text, &end, 10);
                if (!*end && (f >= NONET_FAMILY_MAX || !(m->p->allow & (UINT64_C(1) << f))))
                        return true;
        }
        return false;
}

/* The families an allowing rule allows for every call of theirs: its conditions on the family
 * (index 0) are SCMP_CMP_EQ or SCMP_CMP_NE, and any on another argument only a SCMP_CMP_NE (as
 * "not NETLINK_AUDIT"); a rule allowing less is no ground for allowing a family whole. */
static uint64_t families_allowed(const struct json *args) {
        uint64_t set = UINT64_MAX;
        for (size_t i = 0; args && i < args->n; i++) {
                const struct json *a = args->items[i], *index = json_get(a, "index"), *op = json_get(a, "op"),
                                  *value = json_get(a, "value");
                if (!index || index->type != JSON_NUMBER || !op || op->type != JSON_STRING || !value ||
                    value->type != JSON_NUMBER)
                        return 0;
                char *end;
                unsigned long long v = strtoull(value->text, &end, 10);
                bool ne = strcmp(op->text, "SCMP_CMP_NE") == 0;
                if (*end || (strcmp(index->text, "0") != 0 ? !ne : !ne && strcmp(op->text, "SCMP_CMP_EQ") != 0))
                        return 0;
                if (strcmp(index->text, "0") != 0)
                        continue;
                uint64_t bit = v < NONET_FAMILY_MAX ? UINT64_C(1) << v : 0;
                set &= ne ? ~bit : bit;
        }
        return set;
}

/* The one capability a rule's "includes" (or "excludes") names, with nothing else in it; "" for
 * none at all; NULL for any other condition (architectures, kernels, several capabilities). */
static const char *only_cap(const struct json *cond) {
        if (!cond || cond->n == 0)
                return "";
        const struct json *caps = json_get(cond, "caps");
        if (cond->type != JSON_OBJECT || cond->n != 1 || !caps || caps->type != JSON_ARRAY)
                return NULL;
        if (caps->n == 0)
                return "";
        if (caps->n != 1 || caps->items[0]->type != JSON_STRING || strlen(caps->items[0]->text) >= CAP_NAME_MAX)
                return NULL;
        return caps->items[0]->text;
}

static void note_allowed(struct merge *m, const struct json *rule, int call, uint64_t families) {
        const char *inc = only_cap(json_get(rule, "includes")), *exc = only_cap(json_get(rule, "excludes"));
        if (!inc || !exc || (*inc && *exc))
                return; /* applies in some containers only, which nonet cannot tell */
        if (!*inc && !*exc) {
                m->allowed[call] |= families;
                return;
        }
        const char *cap = *inc ? inc : exc;
        size_t i = 0;
        while (i < m->n_caps && strcmp(m->caps[i].cap, cap) != 0)
                i++;
        if (i == m->n_caps) {
                if (i == ELEMENTSOF(m->caps))
                        return;
                snprintf(m->caps[i].cap, sizeof(m->caps[i].cap), "%s", cap);
                m->n_caps++;
        }
        *(*inc ? &m->caps[i].with[call] : &m->caps[i].without[call]) |= families;
}

static uint64_t allowed_whole(const struct merge *m, int call) {
        uint64_t set = m->allowed[call];
        for (size_t i = 0; i < m->n_caps; i++)
                set |= m->caps[i].with[call] & m->caps[i].without[call];
        return set;
}

/* One base rule's name the policy decides: what the base said of it, and whether it can go. */
static int judge_name(struct merge *m, size_t entry, const char *name, const struct action *a,
                      const struct json *rule) {
        const struct json *args = json_get(rule, "args");
        bool conditional = args && args->type == JSON_ARRAY && args->n > 0;
        bool allow = strcmp(a->name, "SCMP_ACT_ALLOW") == 0;
        switch (touched(name)) {
        case TOUCHED_FAMILY:
                if (allow)
                        note_allowed(m, rule, strcmp(name, "socketpair") == 0,
                                     conditional ? families_allowed(args) : UINT64_MAX);
                else if (!conditional || !about_refused_family(m, args))
                        return refuse_merge(m, "syscalls[%zu]: %s %s() calls of a family the policy keeps: "
                                               "merged, they would be allowed", entry, a->name, name);
                return 0;
        case TOUCHED_IOCTL:
                if (conditional)
                        return refuse_merge(m, "syscalls[%zu]: ioctl() rules with arguments: the policy's "
                                               "ioctl() rules would overlap them", entry);
                if (!allow && !action_eq(a, &m->deflt))
                        return refuse_merge(m, "syscalls[%zu]: ioctl() gets %s, not the default action", entry,
                                            a->name);
                m->ioctl_allowed = m->ioctl_allowed || allow;
                return 0;
        default:
                return 0; /* socketcall() (i386 is left out) and the calls the policy refuses whole */
        }
}

static int strip_base(struct merge *m, struct json *syscalls) {
        for (size_t i = syscalls->n; i-- > 0;) {
                struct json *e = syscalls->items[i], *names = json_get(e, "names");
                struct action a;
                if (e->type == JSON_OBJECT && json_get(e, "name"))
                        return refuse_at(m, e, "syscalls[%zu]: a \"name\", which Docker and podman read as one "
                                         "more name and runc not at all: list it in \"names\"", i);
                if (e->type != JSON_OBJECT || !names || names->type != JSON_ARRAY)
                        return refuse_merge(m, "syscalls[%zu]: no \"names\" list", i);
                if (parse_action(json_get(e, "action"), json_get(e, "errnoRet"), &a) < 0)
                        return refuse_merge(m, "syscalls[%zu]: no action nonet knows", i);
                for (size_t k = names->n; k-- > 0;) {
                        if (names->items[k]->type != JSON_STRING)
                                return refuse_merge(m, "syscalls[%zu]: a name that is not a string", i);
                        if (touched(names->items[k]->text) == TOUCHED_NONE)
                                continue;
                        int r = judge_name(m, i, names->items[k]->text, &a, e);
                        if (r < 0)
                                return r;
                        json_remove(names, k);
                }
                if (names->n == 0)
                        json_remove(syscalls, i);
        }
        return 0;
}

/* ioctl() for every command but the refused ones: the complement of a few 32-bit values as
 * aligned blocks (value & mask == prefix), one rule each, none overlapping a refused one. */
static int ioctl_allow_rest(struct writer *w, uint32_t prefix, unsigned bits) {
        bool inside = false;
        for (size_t i = 0; i < n_refused_ioctls && !inside; i++)
                inside = bits == 0 || (refused_ioctls[i].cmd >> (32 - bits)) == prefix;
        if (!inside) {
                uint32_t mask = (uint32_t) (UINT32_MAX << (32 - bits));
                struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, mask, (scmp_datum_t) prefix << (32 - bits));
                return add_rule(w, "ioctl", SCMP_ACT_ALLOW, 1, &c);
        }
        if (bits == 32)
                return 0;
        int r = ioctl_allow_rest(w, prefix << 1, bits + 1);
        return r < 0 ? r : ioctl_allow_rest(w, (prefix << 1) | 1, bits + 1);
}

static bool is_x86(const struct json *arch) {
        return arch && arch->type == JSON_STRING && strcmp(arch->text, "SCMP_ARCH_X86") == 0; /* check_arch_name() */
}

/* Whether any was there; with remove, taken out. */
static bool find_x86(struct json *list, bool remove) {
        bool found = false;
        for (size_t i = list && list->type == JSON_ARRAY ? list->n : 0; i-- > 0;)
                if (is_x86(list->items[i])) {
                        found = true;
                        if (remove)
                                json_remove(list, i);
                }
        return found;
}

static bool x86_in(struct json *profile, bool remove) {
        struct json *map = json_get(profile, "archMap"); /* Docker's and containers' form */
        bool found = find_x86(json_get(profile, "architectures"), remove);
        for (size_t i = map && map->type == JSON_ARRAY ? map->n : 0; i-- > 0;) {
                if (is_x86(json_get(map->items[i], "architecture"))) {
                        found = true;
                        if (remove)
                                json_remove(map, i);
                } else
                        found = find_x86(json_get(map->items[i], "subArchitectures"), remove) || found;
        }
        return found;
}

static int merge_rules(struct merge *m, const struct nonet_policy *p, struct json *syscalls, bool *ret_no_x86) {
        struct writer w = { .syscalls = syscalls, .deflt = m->deflt, .first_new = syscalls->n };
        m->first_new = syscalls->n;
        bool default_allows = strcmp(m->deflt.name, "SCMP_ACT_ALLOW") == 0;
        int r;
        for (int k = 0; k < 2; k++) {
                uint64_t missing = p->allow & ~allowed_whole(m, k);
                if (missing && !default_allows)
                        return refuse_merge(m, "%s() is never allowed whole for %s: keeping it would allow it",
                                            k ? "socketpair" : "socket",
                                            nonet_family_to_name(__builtin_ctzll(missing)) ?: "a family");
        }
        for (int f = 0; f < NONET_FAMILY_MAX && !default_allows; f++)
                if (p->allow & (UINT64_C(1) << f)) {
                        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t) f);
                        if ((r = add_rule(&w, "socket", SCMP_ACT_ALLOW, 1, &c)) < 0 ||
                            (r = add_rule(&w, "socketpair", SCMP_ACT_ALLOW, 1, &c)) < 0)
                                return r;
                }
        if ((r = filter_rules(p, false, filter_rule, &w)) < 0)
                return r;
        if (m->ioctl_allowed && !default_allows && (r = ioctl_allow_rest(&w, 0, 0)) < 0)
                return r;
        /* socketcall() would take the allowing socket() rules without their arguments */
        *ret_no_x86 = !default_allows || w.socket_mixed;
        return 0;
}

/* A profile's text read as the runtimes read it: JSON with each key once, each member known by its
 * exact name, the architectures spelled as runc spells them. */
static int read_profile_text(struct merge *m, const char *text, size_t size, struct json **ret) {
        struct json_error e;
        struct json *profile = NULL;
        int r = json_parse(text, size, &profile, &e);
        if (r == -EINVAL)
                return refuse_merge(m, "line %u, column %u: %s", e.line, e.column, e.reason);
        if (r < 0)
                return r;
        if (profile->type != JSON_OBJECT)
                r = refuse_merge(m, "not a JSON object");
        else
                r = check_profile(m, profile);
        if (r < 0) {
                json_free(profile);
                return r;
        }
        *ret = profile;
        return 0;
}

/* An action as libseccomp takes it. */
static uint32_t scmp_action(const struct action *a) {
        static const struct {
                const char *name;
                uint32_t value;
        } map[] = { { "SCMP_ACT_KILL", SCMP_ACT_KILL },       { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
                    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS }, { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
                    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW },     { "SCMP_ACT_LOG", SCMP_ACT_LOG } };
        if (strcmp(a->name, "SCMP_ACT_ERRNO") == 0)
                return SCMP_ACT_ERRNO((uint32_t) a->error);
        if (strcmp(a->name, "SCMP_ACT_TRACE") == 0)
                return SCMP_ACT_TRACE((uint32_t) a->error);
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (strcmp(a->name, map[i].name) == 0)
                        return map[i].value;
        return SCMP_ACT_KILL_PROCESS; /* parse_action() knows no other */
}

/* One rule's conditions as runc hands them to libseccomp; 0 if it has none, -EINVAL if one
 * is not as nonet writes them. */
static int rule_conditions(const struct json *rule, struct scmp_arg_cmp *cmp, size_t max) {
        const struct json *args = json_get(rule, "args");
        size_t n = 0;
        for (size_t i = 0; args && args->type == JSON_ARRAY && i < args->n; i++) {
                const struct json *a = args->items[i], *index = json_get(a, "index"), *value = json_get(a, "value"),
                                  *two = json_get(a, "valueTwo"), *op = json_get(a, "op");
                int o = -1;
                for (int k = SCMP_CMP_NE; k <= SCMP_CMP_MASKED_EQ && op && op->type == JSON_STRING; k++)
                        if (strcmp(op->text, op_names[k]) == 0)
                                o = k;
                if (n == max || o < 0 || !index || index->type != JSON_NUMBER || !value || value->type != JSON_NUMBER ||
                    (two && two->type != JSON_NUMBER))
                        return -EINVAL;
                cmp[n++] = (struct scmp_arg_cmp) { (unsigned) strtoul(index->text, NULL, 10), (enum scmp_compare) o,
                                                   strtoull(value->text, NULL, 10),
                                                   two ? strtoull(two->text, NULL, 10) : 0 };
        }
        return (int) n;
}

/* A rule's call added as runc adds it: several conditions on one argument are alternatives. */
static int add_as_runc(scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *cmp, unsigned n) {
        bool same_arg = false;
        int r = 0;
        for (unsigned x = 0; x < n; x++)
                for (unsigned y = x + 1; y < n; y++)
                        same_arg = same_arg || cmp[x].arg == cmp[y].arg;
        if (!same_arg)
                return seccomp_rule_add_array(ctx, action, nr, n, cmp);
        for (unsigned x = 0; x < n && r >= 0; x++)
                r = seccomp_rule_add_array(ctx, action, nr, 1, &cmp[x]);
        return r;
}

/* The profile's rules on the calls nonet decides, compiled as runc compiles them: one libseccomp
 * filter for its ABIs (the native one first), a rule with the default's action left out, a call
 * libseccomp does not know ignored. Rules on other calls cannot change these calls' verdicts. */
static int compile_decided(const struct json *profile, uint32_t deflt, const uint32_t *arches, size_t n_arches,
                           struct sock_filter **ret, size_t *ret_n) {
        const struct json *syscalls = json_get(profile, "syscalls");
        scmp_filter_ctx ctx = seccomp_init(deflt);
        int r = 0;
        if (!ctx)
                return -ENOMEM;
        for (size_t i = 1; i < n_arches && r >= 0; i++)
                r = seccomp_arch_add(ctx, arches[i]);
        for (size_t i = 0; syscalls && i < syscalls->n && r >= 0; i++) {
                const struct json *rule = syscalls->items[i], *names = json_get(rule, "names");
                struct scmp_arg_cmp cmp[6];
                struct action a;
                int n = rule_conditions(rule, cmp, ELEMENTSOF(cmp));
                if (n < 0 || parse_action(json_get(rule, "action"), json_get(rule, "errnoRet"), &a) < 0) {
                        r = -EINVAL;
                        break;
                }
                for (size_t k = 0; names && k < names->n && r >= 0; k++) {
                        int nr = seccomp_syscall_resolve_name(names->items[k]->text); /* as runc: native */
                        if (touched(names->items[k]->text) != TOUCHED_NONE && nr != __NR_SCMP_ERROR &&
                            scmp_action(&a) != deflt)
                                r = add_as_runc(ctx, scmp_action(&a), nr, cmp, (unsigned) n);
                }
        }
        if (r >= 0)
                r = filter_context_program(ctx, ret, ret_n);
        seccomp_release(ctx);
        return r;
}

/* Whether the profile lists arch, in "architectures" or anywhere in "archMap". */
static bool lists_arch(const struct json *profile, const char *name) {
        const struct json *list = json_get(profile, "architectures"), *map = json_get(profile, "archMap");
        for (size_t i = 0; list && list->type == JSON_ARRAY && i < list->n; i++)
                if (list->items[i]->type == JSON_STRING && strcmp(list->items[i]->text, name) == 0)
                        return true;
        for (size_t i = 0; map && map->type == JSON_ARRAY && i < map->n; i++) {
                const struct json *arch = json_get(map->items[i], "architecture");
                if (arch && arch->type == JSON_STRING && strcmp(arch->text, name) == 0)
                        return true;
                list = json_get(map->items[i], "subArchitectures");
                for (size_t k = 0; list && list->type == JSON_ARRAY && k < list->n; k++)
                        if (list->items[k]->type == JSON_STRING && strcmp(list->items[k]->text, name) == 0)
                                return true;
        }
        return false;
}

struct probe {
        const char *name;
        uint64_t a0, a1;
};

/* The calls nonet decides, asked: every family for socket() and socketpair() (and values no
 * family has), each refused ioctl command (and with bits above 32 set), each call refused
 * whole, and socketcall()'s calls. */
static size_t decided_probes(struct probe *p, size_t max) {
        static const uint64_t odd[] = { 0x100000001ULL, 0xffffffffULL, UINT64_MAX };
        size_t n = 0;
        for (uint64_t f = 0; f < NONET_FAMILY_MAX + 8 && n + 2 <= max; f++) {
                p[n++] = (struct probe) { "socket", f, SOCK_STREAM };
                p[n++] = (struct probe) { "socketpair", f, SOCK_STREAM };
        }
        for (size_t i = 0; i < ELEMENTSOF(odd) && n < max; i++)
                p[n++] = (struct probe) { "socket", odd[i], SOCK_STREAM };
        for (size_t i = 0; i < n_refused_ioctls && n + 2 <= max; i++) {
                p[n++] = (struct probe) { "ioctl", 0, refused_ioctls[i].cmd };
                p[n++] = (struct probe) { "ioctl", 0, refused_ioctls[i].cmd | (UINT64_C(1) << 32) };
        }
        for (size_t i = 0; i < n_refused_calls && n < max; i++)
                p[n++] = (struct probe) { refused_calls[i].name, 0, 0 };
        for (uint64_t sc = 1; sc <= 20 && n < max; sc++)
                p[n++] = (struct probe) { "socketcall", sc, 0 };
        return n;
}

struct abi {
        uint32_t token, audit, nr_or;
        const char *name;
};

/* The ABIs nonet's own filter covers on this machine (filter_build_full()). */
static size_t machine_abis(const struct abi **ret) {
        static const struct abi x86_64[] = { { SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, 0, "SCMP_ARCH_X86_64" },
                                             { SCMP_ARCH_X32, AUDIT_ARCH_X86_64, 0x40000000U, "SCMP_ARCH_X32" },
                                             { SCMP_ARCH_X86, AUDIT_ARCH_I386, 0, "SCMP_ARCH_X86" } };
        static const struct abi aarch64[] = { { SCMP_ARCH_AARCH64, AUDIT_ARCH_AARCH64, 0, "SCMP_ARCH_AARCH64" },
                                              { SCMP_ARCH_ARM, AUDIT_ARCH_ARM, 0, "SCMP_ARCH_ARM" } };
        switch (seccomp_arch_native()) {
        case SCMP_ARCH_X86_64:
                *ret = x86_64;
                return ELEMENTSOF(x86_64);
        case SCMP_ARCH_AARCH64:
                *ret = aarch64;
                return ELEMENTSOF(aarch64);
        default:
                *ret = NULL;
                return 0; /* judged by the structure alone */
        }
}

/* On each ABI of this machine the profile keeps (its native one always), each call nonet
 * decides gets nonet's own verdict wherever nonet's filter does not allow it. */
static int judge_verdicts(struct merge *m, const struct json *profile) {
        static struct probe probes[256];
        const struct abi *abis;
        size_t n_abis = machine_abis(&abis), n_probes = decided_probes(probes, ELEMENTSOF(probes)), n_ours = 0;
        size_t n_kept = 0, n_prog = 0;
        uint32_t kept[4];
        char names[128] = "";
        _cleanup_free_ struct sock_filter *ours = NULL, *prog = NULL;
        for (size_t a = 0; a < n_abis && a < ELEMENTSOF(kept); a++)
                if (a == 0 || lists_arch(profile, abis[a].name)) { /* abis[0] is the native one */
                        kept[n_kept++] = abis[a].token;
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s", abis[a].name);
                }
        int r = n_abis > 0 ? filter_program(m->p, false, &ours, &n_ours) : 0;
        if (r >= 0 && n_abis > 0)
                r = compile_decided(profile, scmp_action(&m->deflt), kept, n_kept, &prog, &n_prog);
        if (r == -EINVAL || r == -EEXIST || r == -EFAULT)
                return refuse_merge(m, "the merged profile, with%s: libseccomp refuses its rules (%s)", names,
                                    strerror(-r));
        for (size_t a = 0; a < n_abis && r >= 0; a++) {
                if (a > 0 && !lists_arch(profile, abis[a].name))
                        continue;
                for (size_t i = 0; i < n_probes && r >= 0; i++) {
                        int nr = seccomp_syscall_resolve_name_arch(abis[a].token, probes[i].name);
                        if (nr == __NR_SCMP_ERROR)
                                continue;
                        struct seccomp_data d = { .nr = nr | (int) abis[a].nr_or, .arch = abis[a].audit,
                                                  .args = { probes[i].a0, probes[i].a1 } };
                        uint32_t want = bpf_run(ours, n_ours, &d).action, got = bpf_run(prog, n_prog, &d).action;
                        if (want != SECCOMP_RET_ALLOW && got != want)
                                return refuse_merge(m, "the merged profile, for %s: %s(%#" PRIx64 ", %#" PRIx64
                                                    ") gets %#x, where nonet's filter gives %#x", abis[a].name,
                                                    probes[i].name, probes[i].a0, probes[i].a1, got, want);
                }
        }
        return r;
}

int oci_judge(const struct nonet_policy *policy, const struct json *profile, char *why, size_t why_size) {
        struct nonet_policy p;
        struct merge m = { .p = &p, .why = why, .why_size = why_size };
        int r = profile_policy(policy, &p);
        if (r < 0)
                return r;
        *why = '\0';
        if (parse_action(json_get(profile, "defaultAction"), json_get(profile, "defaultErrnoRet"), &m.deflt) < 0)
                return refuse_merge(&m, "no defaultAction nonet knows");
        return judge_verdicts(&m, profile);
}

/* The merged profile as written, read back with the same rules and judged again: read as nonet
 * built it; no rule of the base's left on a call nonet decides, so that nonet's rules, which
 * hold in every container, are the only ones there; i386 gone where it must be; and compiled,
 * nonet's verdicts on the calls it decides, on each ABI of this machine the profile keeps. */
static int judge_merged(struct merge *m, const struct json *profile, bool no_x86) {
        _cleanup_free_ char *text = NULL;
        size_t size = 0;
        struct json *again = NULL;
        FILE *f = open_memstream(&text, &size);
        int r = !f ? -ENOMEM : json_write(profile, f);
        if (f && fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r >= 0)
                r = read_profile_text(m, text, size, &again);
        if (r == -EINVAL) {
                char detail[256];
                snprintf(detail, sizeof(detail), "%s", m->why);
                return refuse_merge(m, "the merged profile, read back: %s", detail);
        }
        if (r < 0)
                return r;
        const struct json *syscalls = json_get(again, "syscalls");
        if (!json_equal(profile, again))
                r = refuse_merge(m, "the merged profile reads back as another");
        else if (no_x86 && x86_in(again, false))
                r = refuse_merge(m, "the merged profile keeps SCMP_ARCH_X86");
        for (size_t i = 0; r >= 0 && i < m->first_new && syscalls && i < syscalls->n; i++) {
                const struct json *names = json_get(syscalls->items[i], "names");
                for (size_t k = 0; r >= 0 && names && k < names->n; k++)
                        if (touched(names->items[k]->text) != TOUCHED_NONE)
                                r = refuse_merge(m, "the merged profile keeps the base's rule on %s() (syscalls[%zu])",
                                                 names->items[k]->text, i);
        }
        if (r >= 0)
                r = judge_verdicts(m, again);
        json_free(again);
        return r;
}

static const struct runtime {
        const char *name;
        unsigned form;
        const char *flags; /* why not, where it drops or refuses flags */
} runtimes[] = {
        [OCI_RUNTIME_DOCKER] = { "docker", FORM_DOCKER,
                                 "Docker 20.10's form has no flags, which it drops without a word" },
        [OCI_RUNTIME_PODMAN] = { "podman", FORM_CONTAINERS, NULL }, /* to its OCI runtime: crun, by default */
        [OCI_RUNTIME_CRIO] = { "cri-o", FORM_CONTAINERS, NULL },
        [OCI_RUNTIME_CONTAINERD] = { "containerd", FORM_SPEC,
                                     "containerd runs runc, which before 1.2 refuses any flags: no container starts" },
        [OCI_RUNTIME_RUNC] = { "runc", FORM_SPEC, "runc before 1.2 (Debian 12's 1.1) refuses any flags: no container "
                                                  "starts" },
        [OCI_RUNTIME_CRUN] = { "crun", FORM_SPEC, NULL },
};

int oci_runtime_from_name(const char *name, enum oci_runtime *ret) {
        for (size_t i = 1; i < ELEMENTSOF(runtimes); i++)
                if (strcmp(name, runtimes[i].name) == 0) {
                        *ret = (enum oci_runtime) i;
                        return 0;
                }
        return -EINVAL;
}

/* A value that changes nothing in any form: null, "", [], {} or an object of such. A
 * "minKernel" of "" is not one: Docker reads it as 0.0, and every kernel as newer. */
static bool says_nothing(const char *key, const struct json *j) {
        switch (j->type) {
        case JSON_NULL:
                return true;
        case JSON_STRING:
                return !*j->text && strcmp(key, "minKernel") != 0;
        case JSON_ARRAY:
                return j->n == 0;
        case JSON_OBJECT:
                for (size_t i = 0; i < j->n; i++)
                        if (!says_nothing(j->keys[i], j->items[i]))
                                return false;
                return true;
        default:
                return false;
        }
}

/* The forms that have every member the profile gives (check_members() knows them all), and for
 * each other form the first member it lacks. */
struct forms {
        unsigned set;
        const struct json *lacked[3];
        const char *lacked_key[3];
};

static void find_forms(const struct json *j, const struct schema *s, struct forms *f) {
        for (size_t i = 0; j->type == JSON_ARRAY && i < j->n; i++)
                find_forms(j->items[i], s, f);
        for (size_t i = 0; j->type == JSON_OBJECT && i < j->n; i++) {
                const struct member *mb = s->members;
                while (mb->name && strcmp(mb->name, j->keys[i]) != 0)
                        mb++;
                if (!mb->name || says_nothing(j->keys[i], j->items[i]))
                        continue;
                for (int k = 0; k < 3; k++)
                        if ((f->set & (1U << k)) && !(mb->forms & (1U << k))) {
                                f->lacked[k] = j->items[i];
                                f->lacked_key[k] = j->keys[i];
                        }
                f->set &= mb->forms;
                if (mb->of)
                        find_forms(j->items[i], mb->of, f);
        }
}

static int form_index(unsigned form) {
        return __builtin_ctz(form);
}

/* Why runtime would read the profile otherwise, and what to do; "" where it reads it as written. */
static void runtime_reading(const struct nonet_policy *p, const struct json *profile, const struct forms *f,
                            enum oci_runtime rt, char *why, size_t size) {
        static const char *const form_names[] = { "the runtime spec's form", "Docker 20.10's form",
                                                  "podman's form (containers/common 0.50)" };
        static const char *const instead[] = {
                "give a base in the runtime spec's form, such as the linux.seccomp of a container's config.json as "
                "its runtime ran it (ctr containers info), where archMap, includes and excludes are resolved for "
                "that container's capabilities, this node and its kernel",
                "give Docker's own profile (default.json), or a base in the runtime spec's form without "
                "defaultErrnoRet, flags or listenerPath",
                "give podman's own profile (/usr/share/containers/seccomp.json), or a base without minKernel",
        };
        const struct runtime *r = &runtimes[rt];
        const struct json *flags = json_get(profile, "flags");
        int k = form_index(r->form);
        *why = '\0';
        if (!(f->set & r->form) && strcmp(f->lacked_key[k], "flags") != 0)
                snprintf(why, size, "%s has no \"%s\" (line %u, column %u), which it drops without a word: the "
                         "container would run a profile other than the base's; %s", form_names[k], f->lacked_key[k],
                         f->lacked[k]->line, f->lacked[k]->column, instead[k]);
        else if (flags && !says_nothing("flags", flags) && r->flags)
                snprintf(why, size, "%s; %s", r->flags,
                         p->refusals == NONET_REFUSE_AND_LOG ? "leave out --log (the refusals hold, unlogged), or "
                                                               "write it for crun or podman (crun by default), "
                                                               "which take its flag"
                                                             : "give a base without flags");
}

int oci_check_runtime(const struct nonet_policy *p, const struct json *profile, enum oci_runtime runtime, char *why,
                      size_t why_size, struct oci_notes *ret_notes) {
        struct forms f = { .set = FORMS_ALL };
        char reading[ELEMENTSOF(runtimes)][512];
        find_forms(profile, &profile_schema, &f);
        *why = '\0';
        ret_notes->readers[0] = '\0';
        if ((unsigned) runtime >= ELEMENTSOF(runtimes))
                return -EINVAL;
        if (runtime != OCI_RUNTIME_ANY) {
                char reason[512];
                runtime_reading(p, profile, &f, runtime, reason, sizeof(reason));
                if (*reason)
                        snprintf(why, why_size, "not for --runtime=%s: %s", runtimes[runtime].name, reason);
                return *reason ? -ENOEXEC : 0;
        }
        /* said once for the runtimes that read it alike: "docker, runc: ..." */
        for (size_t i = 1; i < ELEMENTSOF(runtimes); i++)
                runtime_reading(p, profile, &f, (enum oci_runtime) i, reading[i], sizeof(reading[i]));
        bool any = false;
        for (size_t i = 1; i < ELEMENTSOF(runtimes); i++)
                any = any || !*reading[i];
        for (size_t i = 1; i < ELEMENTSOF(runtimes); i++) {
                size_t n = strlen(ret_notes->readers);
                bool first = true;
                if (!*reading[i])
                        continue;
                for (size_t k = 1; k < i && first; k++)
                        first = strcmp(reading[k], reading[i]) != 0;
                if (!first)
                        continue;
                char *out = ret_notes->readers + n;
                size_t left = sizeof(ret_notes->readers) - n;
                int w = snprintf(out, left, "%snot read as written by %s", n ? "\n" : "", runtimes[i].name);
                for (size_t k = i + 1; k < ELEMENTSOF(runtimes) && w >= 0 && (size_t) w < left; k++)
                        if (strcmp(reading[k], reading[i]) == 0)
                                w += snprintf(out + w, left - (size_t) w, ", %s", runtimes[k].name);
                if (w >= 0 && (size_t) w < left)
                        snprintf(out + w, left - (size_t) w, ": %s", reading[i]);
        }
        if (!any)
                snprintf(why, why_size, "no runtime reads it as written (each of the forms lacks a member it gives)");
        return any ? 0 : -ENOEXEC;
}

int oci_merge(const struct nonet_policy *policy, const char *base, size_t size, enum oci_runtime runtime,
              struct json **ret, char *why, size_t why_size, struct oci_notes *ret_notes) {
        struct nonet_policy p;
        struct json *profile = NULL, *syscalls = NULL;
        struct merge m = { .p = &p, .why = why, .why_size = why_size };
        bool no_x86 = false;
        int r = profile_policy(policy, &p);

        *ret_notes = (struct oci_notes) { 0 };
        if (r < 0)
                return r;
        *why = '\0';
        r = read_profile_text(&m, base, size, &profile);
        if (r < 0)
                return r;
        syscalls = json_get(profile, "syscalls");
        if (parse_action(json_get(profile, "defaultAction"), json_get(profile, "defaultErrnoRet"), &m.deflt) < 0)
                r = refuse_merge(&m, "no defaultAction nonet knows");
        else if (json_get(profile, "listenerPath"))
                r = refuse_merge(&m, "a listenerPath: a supervisor decides some calls, which nonet cannot see");
        else if (!syscalls && (r = json_add(profile, "syscalls", syscalls = json_new(JSON_ARRAY, NULL))) < 0)
                ;
        else if (syscalls->type != JSON_ARRAY)
                r = refuse_merge(&m, "\"syscalls\" is not a list");
        if (r >= 0)
                r = strip_base(&m, syscalls);
        if (r >= 0)
                r = merge_rules(&m, &p, syscalls, &no_x86);
        /* said only where the base had it */
        ret_notes->no_x86 = r >= 0 && no_x86 && x86_in(profile, true);
        if (r >= 0)
                r = add_flags(profile, &p);
        if (r >= 0)
                r = oci_check_runtime(&p, profile, runtime, why, why_size, ret_notes);
        if (r >= 0)
                r = judge_merged(&m, profile, no_x86);
        if (r < 0) {
                json_free(profile);
                return r;
        }
        *ret = profile;
        return 0;
}

static int write_fd(const struct json *j, int fd) {
        int copy = dup(fd);
        FILE *f = copy < 0 ? NULL : fdopen(copy, "w");
        if (!f) {
                if (copy >= 0)
                        close(copy);
                return -errno;
        }
        int r = json_write(j, f);
        return fclose(f) != 0 && r >= 0 ? -EIO : r;
}

int oci_export(const struct nonet_policy *p, int fd) {
        struct json *profile;
        int r = oci_profile(p, &profile);
        if (r < 0)
                return r;
        r = write_fd(profile, fd);
        json_free(profile);
        return r;
}

/* A profile: a regular file, at most max bytes. */
static int read_profile(const char *path, size_t max, char **ret, size_t *ret_size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        if (!S_ISREG(st.st_mode))
                return -EISDIR;
        if ((uint64_t) st.st_size > max)
                return -EFBIG;
        char *buf = malloc((size_t) st.st_size + 1);
        size_t n = 0;
        ssize_t k;
        if (!buf)
                return -ENOMEM;
        while (n <= (size_t) st.st_size && (k = read(fd, buf + n, (size_t) st.st_size + 1 - n)) > 0)
                n += (size_t) k;
        if (k < 0 || n > (size_t) st.st_size) { /* an error, or it grew: read again later */
                free(buf);
                return k < 0 ? negative_errno() : -EAGAIN;
        }
        *ret = buf;
        *ret_size = n;
        return 0;
}

int oci_write(const struct nonet_policy *p, const char *base, enum oci_runtime runtime, int fd, char *why,
              size_t why_size, struct oci_notes *ret_notes) {
        _cleanup_free_ char *text = NULL;
        size_t size;
        struct json *profile = NULL;
        int r = 0;
        *why = '\0';
        *ret_notes = (struct oci_notes) { 0 };
        if (!base) {
                struct nonet_policy normal;
                r = oci_profile(p, &profile);
                if (r >= 0)
                        r = policy_normalize(p, &normal, NULL);
                if (r >= 0)
                        r = oci_check_runtime(&normal, profile, runtime, why, why_size, ret_notes);
        } else if ((r = read_profile(base, 16 << 20, &text, &size)) < 0) {
                snprintf(why, why_size, "cannot read it: %s", strerror(-r));
                return r;
        } else
                r = oci_merge(p, text, size, runtime, &profile, why, why_size, ret_notes);
        if (r == -EINVAL && *why && base) {
                char detail[512];
                snprintf(detail, sizeof(detail), "%s", why);
                snprintf(why, why_size, "cannot merge onto it: %s", detail);
        }
        if (r >= 0)
                r = write_fd(profile, fd);
        json_free(profile);
        return r;
}
