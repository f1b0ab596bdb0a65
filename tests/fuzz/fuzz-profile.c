/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A base seccomp profile for --print-filter=oci --base: parsed, merged, written and read back;
 * and beside libnonet's reading, Go's (runc, podman, Docker, containerd decode with
 * encoding/json): a member is the last key that matches its name, exactly or but for case
 * (foldName(): ASCII letters, the Kelvin sign as K, the long s as S). On every input accepted,
 * both readings agree on every member of every object.
 */

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
        json_free(again);
        json_free(merged);
        free(text);
        return 0;
}
