/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A base seccomp profile for --print-filter=oci --base: parsed, merged, written and read back. */

#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "json.h"
#include "oci.h"
#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct nonet_policy p;
        struct json *merged = NULL, *again = NULL;
        char why[256], *text = NULL;
        size_t n = 0;
        bool no_x86 = false;

        policy_init(&p);
        if (oci_merge(&p, (const char *) data, size, &merged, why, sizeof(why), &no_x86) < 0)
                return 0;
        FILE *f = open_memstream(&text, &n);
        if (!f || json_write(merged, f) < 0)
                abort();
        fclose(f);
        /* what is written reads back as the same tree */
        if (json_parse(text, n, &again, NULL) < 0 || !json_equal(merged, again))
                abort();
        json_free(again);
        json_free(merged);
        free(text);
        return 0;
}
