/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The settings file, read with libeconf from a directory of its own. */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "fuzz.h"

static char dir[64], file[128];

static void cleanup(void) {
        unlink(file);
        rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct admin_paths paths;
        struct settings s;

        if (!dir[0]) {
                if (!mkdtemp(strcpy(dir, "/dev/shm/nonet-fuzz-XXXXXX")))
                        abort();
                snprintf(file, sizeof(file), "%s/nonet-settings.conf", dir);
                atexit(cleanup);
        }
        FILE *f = fopen(file, "we");
        if (!f)
                abort();
        fwrite(data, 1, size, f);
        fclose(f);
        paths = (struct admin_paths) { .etc_dir = dir, .vendor_dir = dir, .owner = getuid() };
        settings_load(&paths, &s, NULL);
        if ((s.error != 97 && s.error != 1) || !nonet_landlock_to_name(s.landlock) || !nonet_unix_to_name(s.unix_reach) ||
            (s.unix_reach == NONET_UNIX_NO_ABSTRACT && s.landlock == NONET_LANDLOCK_OFF))
                __builtin_trap();
        return 0;
}
