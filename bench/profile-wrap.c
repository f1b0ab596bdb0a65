/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * profile-wrap PROFILE -- COMMAND...: run COMMAND under an OCI seccomp profile compiled as a
 * runtime compiles it (tests/profile-runtime.c), as a container's process would be: what a
 * call costs under Debian's containers profile and under nonet's merged onto it.
 */

#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "json.h"
#include "profile-runtime.h"

int main(int argc, char **argv) {
        if (argc < 4 || strcmp(argv[2], "--") != 0) {
                fprintf(stderr, "usage: profile-wrap PROFILE -- COMMAND...\n");
                return 2;
        }
        FILE *f = fopen(argv[1], "re");
        char *text = NULL;
        size_t size = 0, n = 0;
        struct json *profile = NULL;
        bool x86 = false;
        if (!f || getdelim(&text, &size, '\0', f) < 0 || json_parse(text, strlen(text), &profile, NULL) < 0) {
                fprintf(stderr, "profile-wrap: cannot read %s\n", argv[1]);
                return 2;
        }
        struct sock_filter *prog = profile_compile(profile, &n, &x86);
        struct sock_fprog fprog = { (unsigned short) n, prog };
        if (!prog || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
            syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0) {
                fprintf(stderr, "profile-wrap: cannot load %s\n", argv[1]);
                return 2;
        }
        execvp(argv[3], argv + 3);
        perror("profile-wrap: exec");
        return 127;
}
