/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam-loop MODULE N: N sessions opened and closed in one process, as sshd's
 * monitor and display managers do, for a user the table exempts (through a
 * 1,000-line table), then one for a user it restricts. No file descriptor
 * may be left open; in the sanitizer build LeakSanitizer checks for leaks
 * at exit.
 * pam-loop MODULE N THREADS: THREADS threads at once, each N times the account
 * check of the restricted user (the descriptor audit, while the others open
 * and close theirs) and an exempt session; run under ThreadSanitizer by tools/test.
 */

#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <pwd.h>
#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"

static char dir[64], pamdir[128];

static int count_fds(void) {
        int n = 0;
        DIR *d = opendir("/proc/self/fd");
        while (d && readdir(d))
                n++;
        if (d)
                closedir(d);
        return n;
}

static int converse(int n, const struct pam_message **m, struct pam_response **r, void *data) {
        *r = NULL;
        return PAM_CONV_ERR;
}

static int session(const char *service, const char *user) {
        struct pam_conv conv = { converse, NULL };
        pam_handle_t *h = NULL;
        int r = pam_start_confdir(service, user, &conv, pamdir, &h);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(h, 0);
        if (r == PAM_SUCCESS)
                r = pam_open_session(h, 0);
        if (r == PAM_SUCCESS)
                r = pam_close_session(h, 0);
        pam_end(h, r);
        return r;
}

/* The account check alone: for a restricted user, the descriptor audit (nonet_check). */
static int account(const char *service, const char *user) {
        struct pam_conv conv = { converse, NULL };
        pam_handle_t *h = NULL;
        int r = pam_start_confdir(service, user, &conv, pamdir, &h);
        if (r == PAM_SUCCESS)
                r = pam_acct_mgmt(h, 0);
        pam_end(h, r);
        return r;
}

static void write_stack(const char *service, const char *module, const char *table) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s", pamdir, service);
        FILE *f = fopen(path, "we");
        fprintf(f, "account required pam_permit.so\naccount required %s conf=%s\n"
                   "session required pam_permit.so\nsession required %s conf=%s\n", module, table, module, table);
        fclose(f);
}

static int rounds;

static void *decide_many(void *arg) {
        const char *user = arg;
        intptr_t wrong = 0;
        for (int i = 0; i < rounds; i++)
                wrong += (account("restrict", user) != PAM_SUCCESS) + (session("exempt", user) != PAM_SUCCESS);
        return (void *) wrong;
}

/* THREADS threads deciding at once: every verdict right, no descriptor left. */
static int threads(int n, const char *user) {
        pthread_t t[64];
        void *wrong;
        intptr_t bad = 0;
        n = n > 64 ? 64 : n;
        for (int i = 0; i < n; i++)
                pthread_create(&t[i], NULL, decide_many, (void *) user);
        for (int i = 0; i < n; i++) {
                pthread_join(t[i], &wrong);
                bad += (intptr_t) wrong;
        }
        return (int) bad;
}

int main(int argc, char **argv) {
        char table[128], other[128];
        struct passwd *pw = getpwuid(getuid());
        int n = argc > 2 ? atoi(argv[2]) : 500;

        if (argc < 2 || !pw || !mkdtemp(strcpy(dir, "/tmp/nonet-loop-XXXXXX")))
                return 1;
        chmod(dir, 0755);
        snprintf(pamdir, sizeof(pamdir), "%s/pam.d", dir);
        mkdir(pamdir, 0755);
        snprintf(table, sizeof(table), "%s/exempt.conf", dir);
        FILE *f = fopen(table, "we");
        for (int i = 0; i < 1000; i++)
                fprintf(f, "user%d hard network off\n", i);
        fprintf(f, "%s - network on\n", pw->pw_name);
        fclose(f);
        snprintf(other, sizeof(other), "%s/restrict.conf", dir);
        f = fopen(other, "we");
        fprintf(f, "%s hard network off\n", pw->pw_name);
        fclose(f);
        write_stack("exempt", argv[1], table);
        write_stack("restrict", argv[1], other);

        int before = count_fds(), bad = 0, nthreads = argc > 3 ? atoi(argv[3]) : 0;
        rounds = n;
        if (nthreads > 0)
                bad = threads(nthreads, pw->pw_name);
        else
                for (int i = 0; i < n; i++)
                        bad += session("exempt", pw->pw_name) != PAM_SUCCESS;
        int after = count_fds();
        CHECK_EQ(bad, 0);
        CHECK_EQ(after, before);
        if (nthreads > 0)
                printf("%sok 1 - %d threads, each %d account checks of a restricted user and %d sessions, "
                       "%d wrong, %d descriptors before and after\n", tap_failed_now ? "not " : "", nthreads, n, n, bad, after);
        else
                printf("%sok 1 - %d sessions, %d descriptors before and after\n", tap_failed_now ? "not " : "", n, after);
        int r = session("restrict", pw->pw_name);
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        CHECK(r == PAM_SUCCESS && fd < 0, "the restricted session: %d, socket %d", r, fd);
        CHECK_EQ(count_fds(), before);
        printf("%sok 2 - then a restricted session, no descriptor left\n1..2\n", tap_failures || tap_failed_now ? "not " : "");

        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 && !tap_failed_now ? 0 : 1;
}
