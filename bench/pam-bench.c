/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam-bench CONFDIR SERVICE USER N: time pam_open_session() N times, each in a
 * fresh child (a restricted session restricts its process, as sshd's session
 * child is); print each time in ns.
 */

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int converse(int n, const struct pam_message **m, struct pam_response **r, void *d) {
        *r = NULL;
        return PAM_CONV_ERR;
}

static long long now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv) {
        int n = argc > 4 ? atoi(argv[4]) : 0;
        for (int i = 0; i < n; i++) {
                fflush(stdout);
                pid_t pid = fork();
                if (pid == 0) {
                        struct pam_conv conv = { converse, NULL };
                        pam_handle_t *h = NULL;
                        if (pam_start_confdir(argv[2], argv[3], &conv, argv[1], &h) != PAM_SUCCESS)
                                _exit(1);
                        long long t0 = now();
                        int r = pam_open_session(h, 0);
                        long long t1 = now();
                        if (r != PAM_SUCCESS)
                                _exit(2);
                        printf("%lld\n", t1 - t0);
                        fflush(stdout);
                        _exit(0);
                }
                int status;
                waitpid(pid, &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "pam-bench: session failed (%d)\n", status);
                        return 1;
                }
        }
        return 0;
}
