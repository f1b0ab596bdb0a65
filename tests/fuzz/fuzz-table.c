/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table parser and decision on any bytes. */

#include <stdint.h>
#include <string.h>

#include "admin.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static gid_t groups[] = { 1000, 10 };
        static char *names[] = { "alice", "wheel" };
        static const struct account users[] = {
                { .name = "alice", .uid = 1000, .gid = 1000, .groups = groups, .group_names = names, .n_groups = 2 },
                { .name = "root", .uid = 0, .gid = 0, .groups = groups, .group_names = names, .n_groups = 1 },
        };
        struct settings s = SETTINGS_DEFAULT;
        struct table *t;
        struct verdict v;

        if (table_parse_buffer("fuzz.conf", (const char *) data, size, &t, NULL) < 0)
                return 0;
        for (size_t i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
                table_decide(t, &users[i], &s, &v);
                /* a restricted verdict always keeps AF_UNIX and nothing past family 63 */
                if (v.restricted && !(v.policy.allow & 2))
                        __builtin_trap();
        }
        table_free(t);
        return 0;
}
