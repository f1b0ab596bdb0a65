/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nonet-exec's side of --user and --check-config: hand them, with the arguments as
 * given, to nonet-exec-table, which reads the table. nonet-exec itself is linked with
 * libc and libseccomp alone, statically: the usual path loads no shared library.
 */

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "nonet-exec.h"

#define TABLE_HELPER "nonet-exec-table"

/* Beside this program (a build tree), else where the package puts it. */
static int hand_over(char **argv) {
        char self[PATH_MAX], helper[PATH_MAX + sizeof(TABLE_HELPER)];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n > 0) {
                self[n] = '\0';
                snprintf(helper, sizeof(helper), "%s/" TABLE_HELPER, dirname(self));
                if (access(helper, X_OK) == 0)
                        execv(helper, argv);
        }
        execv(NONET_LIBEXEC_DIR "/" TABLE_HELPER, argv);
        say("cannot run %s: %s", NONET_LIBEXEC_DIR "/" TABLE_HELPER, strerror(errno));
        return -errno;
}

int table_user_policy(char **argv, const char *user, const struct table_files *files, bool verbose,
                      struct nonet_policy *policy, bool *ret_restricted) {
        return hand_over(argv);
}

int table_check_config(char **argv, const struct table_files *files) {
        hand_over(argv);
        return EXIT_FAILED;
}

int table_write_dbus_policy(char **argv, const struct table_files *files, const char *path) {
        hand_over(argv);
        return EXIT_FAILED;
}

int table_audit(char **argv, bool json) {
        hand_over(argv);
        return EXIT_FAILED;
}
