/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The unit-file reader, the X-NetworkOff= value and the drop-in it makes. */

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "units.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct unit_info u = { 0 };
        struct verdict v;
        char text[2048];

        if (size == 0)
                return 0;
        FILE *f = fmemopen((void *) data, size, "r");
        if (!f)
                return 0;
        unit_read_stream(f, "fuzz.service", &u, NULL);
        fclose(f);
        unit_decide(&u, NULL, &v, NULL);
        if (v.restricted) {
                if (unit_dropin_format(&v.policy, false, v.source, text, sizeof(text)) < 0)
                        __builtin_trap();
                /* whatever the unit says, the drop-in keeps AF_UNIX and resets the list first */
                if (!strstr(text, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX"))
                        __builtin_trap();
        }
        return 0;
}
