/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * syscall-loop getppid|ioctl N: time N calls inside the process; print ns per call.
 * getppid: a call nonet's filter never reads (the kernel's constant-action cache);
 * ioctl: FIONREAD on a pipe, a call whose command the filter reads (TIOCSTI, TIOCLINUX).
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
        int fds[2], avail;
        if (argc != 3 || (strcmp(argv[1], "getppid") != 0 && strcmp(argv[1], "ioctl") != 0) || pipe(fds) < 0) {
                fprintf(stderr, "usage: syscall-loop getppid|ioctl N\n");
                return 2;
        }
        bool ioctl_call = strcmp(argv[1], "ioctl") == 0;
        long n = atol(argv[2]);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        for (long i = 0; i < n; i++)
                if (ioctl_call)
                        syscall(SYS_ioctl, fds[0], FIONREAD, &avail);
                else
                        syscall(SYS_getppid);
        clock_gettime(CLOCK_MONOTONIC, &b);
        printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n);
        return 0;
}
