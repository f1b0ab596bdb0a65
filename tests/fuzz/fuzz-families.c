/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Family names and lists, and their formatting back. */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nonet.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1), bad[16], buf[1024];
        uint64_t set, again;

        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        int f = nonet_family_from_name(s);
        if (f >= NONET_FAMILY_MAX)
                __builtin_trap();
        if (nonet_families_parse(s, &set, bad, sizeof(bad)) == 0) {
                /* formatting and parsing again gives the same set */
                if (nonet_families_format(set, buf, sizeof(buf)) < 0 ||
                    nonet_families_parse(buf, &again, bad, sizeof(bad)) < 0 || again != set)
                        __builtin_trap();
        }
        free(s);
        return 0;
}
