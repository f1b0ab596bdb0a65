/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * filter-attach N: what attaching a seccomp filter costs the kernel (it runs the filter for
 * every system call number to fill its action cache, and compiles it), in N fresh children:
 * nonet's default filter beside a one-instruction allow-all. Prints "nonet NS LEN" and "one NS 1":
 * medians of N, and the filters' lengths.
 */

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static long long now(void) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
        long long x = *(const long long *) a, y = *(const long long *) b;
        return x < y ? -1 : x > y;
}

static long long median_attach(const struct sock_fprog *f, int n) {
        long long *t = calloc((size_t) n, sizeof(*t));
        for (int i = 0; t && i < n; i++) {
                int p[2];
                if (pipe(p) < 0)
                        exit(1);
                pid_t c = fork();
                if (c == 0) {
                        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
                        long long t0 = now();
                        long r = syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, f);
                        long long d = r == 0 ? now() - t0 : -1;
                        _exit(write(p[1], &d, sizeof(d)) == sizeof(d) ? 0 : 1);
                }
                if (read(p[0], &t[i], sizeof(t[i])) != sizeof(t[i]) || t[i] < 0)
                        exit(1);
                waitpid(c, NULL, 0);
                close(p[0]);
                close(p[1]);
        }
        qsort(t, (size_t) n, sizeof(*t), by_value);
        long long m = t ? t[n / 2] : -1;
        free(t);
        return m;
}

int main(int argc, char **argv) {
        int n = argc > 1 ? atoi(argv[1]) : 100;
        struct sock_filter one[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog allow = { 1, one };
        struct nonet_policy p;
        policy_init(&p);
        const struct sock_fprog *nonet = prebuilt_filter(&p, true);
        if (!nonet || n <= 0)
                return 1;
        printf("nonet %lld %u\none %lld 1\n", median_attach(nonet, n), nonet->len, median_attach(&allow, n));
        return 0;
}
