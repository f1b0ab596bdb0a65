/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * filter-wrap allow-all|naive -- COMMAND...: run COMMAND under a reference filter:
 * allow-all is one "return ALLOW" instruction (seccomp's flat entry cost);
 * naive loads an argument on every syscall before allowing, which defeats the
 * kernel's constant-action cache.
 */

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_filter naive[] = {
                BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
                BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xdeadbeef, 0, 0),
                BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog;

        if (argc < 4 || strcmp(argv[2], "--") != 0) {
                fprintf(stderr, "usage: filter-wrap allow-all|naive -- COMMAND...\n");
                return 2;
        }
        if (strcmp(argv[1], "naive") == 0)
                prog = (struct sock_fprog) { sizeof(naive) / sizeof(naive[0]), naive };
        else
                prog = (struct sock_fprog) { 1, allow };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
                perror("filter-wrap");
                return 2;
        }
        execvp(argv[3], argv + 3);
        perror("filter-wrap: exec");
        return 127;
}
