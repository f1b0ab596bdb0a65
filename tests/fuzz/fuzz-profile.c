/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A base seccomp profile for --print-filter=oci --base: parsed, merged, written and read back;
 * and beside libnonet's reading, Go's (runc, podman, Docker, containerd decode with
 * encoding/json): a member is the last key that matches its name, exactly or but for case
 * (foldName(): ASCII letters, the Kelvin sign as K, the long s as S). On every input accepted,
 * both readings agree on every member of every object.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "json.h"
#include "oci.h"
#include "policy.h"

/* Go's foldName(), for the runes that fold onto ASCII; any other rune as it is. */
static void go_fold(const char *s, char *out, size_t size) {
        size_t n = 0;
        for (const unsigned char *c = (const unsigned char *) s; *c && n + 1 < size;) {
                if (c[0] == 0xe2 && c[1] == 0x84 && c[2] == 0xaa)
                        out[n++] = 'K', c += 3;
                else if (c[0] == 0xc5 && c[1] == 0xbf)
                        out[n++] = 'S', c += 2;
                else
                        out[n++] = (char) (*c >= 'a' && *c <= 'z' ? *c - 'a' + 'A' : *c), c++;
        }
        out[n] = '\0';
}

/* The value Go's decoder leaves in the field named name: the last key folding onto it. */
static const struct json *go_member(const struct json *o, const char *name) {
        char want[256], have[256];
        const struct json *v = NULL;
        go_fold(name, want, sizeof(want));
        for (size_t i = 0; i < o->n; i++) {
                go_fold(o->keys[i], have, sizeof(have));
                if (strcmp(want, have) == 0)
                        v = o->items[i];
        }
        return v;
}

/* exact: no key twice; else neither, nor two keys Go reads as one, at any depth. */
static void check_readings(const struct json *j, bool exact) {
        for (size_t i = 0; j->type == JSON_OBJECT && i < j->n; i++) {
                if (json_get(j, j->keys[i]) != j->items[i])
                        abort(); /* a key twice: libnonet reads the first */
                if (!exact && go_member(j, j->keys[i]) != j->items[i])
                        abort(); /* Go reads another member */
        }
        for (size_t i = 0; i < j->n; i++)
                check_readings(j->items[i], exact);
}

/* Each runtime's reading, modelled apart from libnonet's schema: the members its type has (at any
 * depth), and whether it takes flags. containers' "errno" names are checked against their numbers
 * on reading, so every form takes them. */
static const char *const spec_form[] = { "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "flags",
                                         "listenerPath", "listenerMetadata", "syscalls", "names", "action", "errnoRet",
                                         "errno", "args", "comment", "index", "value", "valueTwo", "op", NULL };
static const char *const docker_form[] = { "defaultAction", "defaultErrno", "architectures", "archMap", "architecture",
                                           "subArchitectures", "syscalls", "name", "names", "action", "errnoRet",
                                           "errno", "args", "comment", "includes", "excludes", "caps", "arches",
                                           "minKernel", "index", "value", "valueTwo", "op", NULL };
static const char *const containers_form[] = { "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures",
                                               "archMap", "architecture", "subArchitectures", "syscalls", "flags",
                                               "listenerPath", "listenerMetadata", "name", "names", "action",
                                               "errnoRet", "errno", "args", "comment", "includes", "excludes",
                                               "caps", "arches", "index", "value", "valueTwo", "op", NULL };
static const struct {
        enum oci_runtime runtime;
        const char *const *form;
        bool takes_flags;
} readings[] = {
        { OCI_RUNTIME_DOCKER, docker_form, false },  { OCI_RUNTIME_PODMAN, containers_form, true },
        { OCI_RUNTIME_CRIO, containers_form, true }, { OCI_RUNTIME_CONTAINERD, spec_form, false },
        { OCI_RUNTIME_RUNC, spec_form, false },      { OCI_RUNTIME_CRUN, spec_form, true },
};

static bool empty(const char *key, const struct json *j) {
        if (j->type == JSON_NULL || (j->type == JSON_STRING && !*j->text && strcmp(key, "minKernel") != 0) ||
            (j->type == JSON_ARRAY && j->n == 0))
                return true;
        for (size_t i = 0; j->type == JSON_OBJECT && i < j->n; i++)
                if (!empty(j->keys[i], j->items[i]))
                        return false;
        return j->type == JSON_OBJECT;
}

/* Whether a runtime with this form reads every member of j that says something. */
static bool form_reads(const char *const *form, const struct json *j) {
        for (size_t i = 0; i < j->n; i++) {
                if (j->type == JSON_OBJECT && !empty(j->keys[i], j->items[i])) {
                        size_t k = 0;
                        while (form[k] && strcmp(form[k], j->keys[i]) != 0)
                                k++;
                        if (!form[k])
                                return false;
                }
                if (!form_reads(form, j->items[i]))
                        return false;
        }
        return true;
}

/* libnonet writes a profile for a runtime exactly where the model says it reads it as written. */
static void check_runtimes(const struct nonet_policy *p, const struct json *profile) {
        const struct json *flags = json_get(profile, "flags");
        bool has_flags = flags && !empty("flags", flags);
        for (size_t i = 0; i < sizeof(readings) / sizeof(readings[0]); i++) {
                char why[1024];
                struct oci_notes notes;
                bool reads = form_reads(readings[i].form, profile) && (readings[i].takes_flags || !has_flags);
                int r = oci_check_runtime(p, profile, readings[i].runtime, why, sizeof(why), &notes);
                if ((r == 0) != reads || (r < 0 && r != -ENOEXEC))
                        abort();
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct nonet_policy p;
        struct json *merged = NULL, *again = NULL, *tree = NULL;
        char why[256], *text = NULL;
        size_t n = 0;
        struct oci_notes notes;

        if (json_parse((const char *) data, size, &tree, NULL) == 0) {
                check_readings(tree, true);
                json_free(tree);
        }
        policy_init(&p);
        if (oci_merge(&p, (const char *) data, size, OCI_RUNTIME_ANY, &merged, why, sizeof(why), &notes) < 0)
                return 0;
        if (json_parse((const char *) data, size, &tree, NULL) < 0)
                abort();
        check_readings(tree, false);
        json_free(tree);
        FILE *f = open_memstream(&text, &n);
        if (!f || json_write(merged, f) < 0)
                abort();
        fclose(f);
        /* what is written reads back as the same tree, and as Go reads it */
        if (json_parse(text, n, &again, NULL) < 0 || !json_equal(merged, again))
                abort();
        check_readings(again, false);
        check_runtimes(&p, merged);
        json_free(again);
        json_free(merged);
        free(text);
        return 0;
}
