/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn N COMMAND...: run COMMAND N times (fork, execvp, wait); print each wall time in ns. */

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
        int n = argc > 2 ? atoi(argv[1]) : 0;
        for (int i = 0; i < n; i++) {
                long long t0 = now();
                pid_t pid = fork();
                if (pid == 0) {
                        execvp(argv[2], argv + 2);
                        _exit(127);
                }
                int status;
                waitpid(pid, &status, 0);
                long long t1 = now();
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "spawn: %s failed (status %d)\n", argv[2], status);
                        return 1;
                }
                printf("%lld\n", t1 - t0);
        }
        return 0;
}
