/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Allocation failure at every point, one at a time: the Nth malloc, calloc or
 * realloc of the process (libnonet's, libc's, libseccomp's, libeconf's,
 * libpam's) fails. Every run must end "restricted" or "refused", never "open".
 * Built only without sanitizers, which own malloc.
 */

#include <errno.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "admin.h"
#include "tap.h"

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t m);
void *__libc_realloc(void *p, size_t n);

static long fail_at = -1, calls;

static bool inject(void) {
        if (fail_at < 0 || ++calls != fail_at)
                return false;
        errno = ENOMEM;
        return true;
}
void *malloc(size_t n) {
        return inject() ? NULL : __libc_malloc(n);
}
void *calloc(size_t n, size_t m) {
        return inject() ? NULL : __libc_calloc(n, m);
}
void *realloc(void *p, size_t n) {
        return inject() ? NULL : __libc_realloc(p, n);
}

static char dir[64], user[64], table[128], pamdir[128];

static void write_file(const char *path, const char *text) {
        FILE *f = fopen(path, "we");
        if (!f || fputs(text, f) < 0 || fclose(f) != 0)
                abort();
}

/* Outcomes of one child run. */
enum { RESTRICTED = 10, REFUSED = 11, OPEN = 12, COMPLETED_UNRESTRICTED = 13, NOT_REACHED = 14 };

static int socket_refused(void) {
        int fd = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd >= 0)
                close(fd);
        return fd < 0;
}

/* The table restricts `user`: with any allocation failing, the verdict is still restricted. */
static int run_decide(void) {
        struct admin_paths p = { .etc_dir = dir, .vendor_dir = dir, .owner = getuid() };
        struct verdict v;
        decide_user(&p, user, NULL, &v);
        return v.restricted ? RESTRICTED : OPEN;
}

static int run_restrict(void) {
        if (nonet_restrict(NULL, NULL, 0) < 0)
                return REFUSED; /* the caller stops: nothing runs */
        return socket_refused() ? RESTRICTED : OPEN;
}

static int converse(int n, const struct pam_message **m, struct pam_response **r, void *d) {
        *r = NULL;
        return PAM_CONV_ERR;
}

/* The built module through libpam: a session that opened has no network. */
static int run_pam(void) {
        struct pam_conv conv = { converse, NULL };
        pam_handle_t *h = NULL;
        if (pam_start_confdir("nonet-faults", user, &conv, pamdir, &h) != PAM_SUCCESS)
                return REFUSED;
        int r = pam_open_session(h, 0);
        if (r != PAM_SUCCESS)
                return REFUSED;
        return socket_refused() ? RESTRICTED : OPEN;
}

/* Fail allocation N in a child; its outcome, or COMPLETED_UNRESTRICTED... when N was never reached. */
static int in_child(int (*fn)(void), long n) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                fail_at = n, calls = 0;
                int outcome = fn();
                long reached = calls;
                fail_at = -1;
                _exit(reached < n ? NOT_REACHED : outcome);
        }
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* crashes_allowed: a crash of libeconf 0.5.1 (it writes through an unchecked malloc()) ends a
 * PAM session closed, so it is counted and reported rather than failed. */
static void every_failure_point(const char *what, int (*fn)(void), bool crashes_allowed) {
        long n, closed = 0, crashed = 0;
        for (n = 1; n < 100000; n++) {
                int outcome = in_child(fn, n);
                if (outcome == NOT_REACHED)
                        break;
                if (crashes_allowed && outcome == 128 + SIGSEGV) {
                        crashed++;
                        continue;
                }
                CHECK(outcome == RESTRICTED || outcome == REFUSED, "%s: allocation %ld failing gives outcome %d", what,
                      n, outcome);
                closed++;
        }
        CHECK(in_child(fn, 1000000) == NOT_REACHED, "%s completes", what);
        printf("# %s: %ld allocation failure points: %ld closed, %ld crashed in libeconf, none open\n", what,
               closed + crashed, closed, crashed);
        CHECK(closed > 5, "%s: too few allocations to be a test (%ld)", what, closed);
}

static char settings_path[192];

static void test_decide(void) {
        unlink(settings_path);
        every_failure_point("table decision", run_decide, false);
        CHECK_EQ(run_decide(), RESTRICTED);
}

static void test_decide_with_settings(void) {
        FILE *f = fopen(settings_path, "we");
        fputs("Errno=eafnosupport\n", f);
        fclose(f);
        every_failure_point("table decision with a settings file", run_decide, true);
        unlink(settings_path);
}

/* The default policy's filter is compiled at build time: restricting allocates nothing, so
 * no allocation can fail inside it (libseccomp 2.5.4 can loop forever when one of its
 * BPF generator's allocations fails: other policies still go through it). */
static void test_restrict(void) {
        CHECK_EQ(in_child(run_restrict, 1), NOT_REACHED);
        CHECK_EQ(in_child(run_restrict, 1000000), NOT_REACHED);
        fail_at = -1;
        pid_t pid = fork();
        if (pid == 0)
                _exit(run_restrict());
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == RESTRICTED, "restricted: %d", status);
        printf("# nonet_restrict (default policy): no allocation at all\n");
}

static void test_pam_session(void) {
        every_failure_point("pam_open_session", run_pam, false);
}

/* pam_nonet reads the settings where an install puts them (NONET_ETC_DIR, NONET_VENDOR_DIR):
 * hidden behind empty tmpfs in a mount namespace of this test's own, so that a settings file
 * of the machine's changes no allocation point. Without root there is none to be had (a user
 * namespace would show root's files as nobody's, which nonet refuses to trust). */
static void hide_installed(void) {
        if (unshare(CLONE_NEWNS) < 0) {
                printf("# no private mount namespace (%m): an installed nonet's settings, if any, are read\n");
                return;
        }
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                printf("# cannot make / private: %m\n");
        const char *dirs[] = { NONET_ETC_DIR, NONET_VENDOR_DIR };
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
                if (access(dirs[i], F_OK) == 0 && mount("nonet-hidden", dirs[i], "tmpfs", 0, "mode=0755") < 0)
                        printf("# cannot hide %s: %m\n", dirs[i]);
}

int main(int argc, char **argv) {
        char path[192];
        struct passwd *pw = getpwuid(getuid());
        if (!pw || argc < 2)
                return 1;
        hide_installed();
        snprintf(user, sizeof(user), "%s", pw->pw_name);
        if (!mkdtemp(strcpy(dir, "/tmp/nonet-faults-XXXXXX")))
                return 1;
        chmod(dir, 0755);
        snprintf(table, sizeof(table), "%s/nonet.conf", dir);
        snprintf(path, sizeof(path), "* - network on\n%s hard network off\n", user);
        write_file(table, path);
        snprintf(settings_path, sizeof(settings_path), "%s/nonet-settings.conf", dir);
        snprintf(pamdir, sizeof(pamdir), "%s/pam.d", dir);
        mkdir(pamdir, 0755);
        char stack[1024];
        snprintf(stack, sizeof(stack), "session required %s conf=%s\n", argv[1], table);
        snprintf(path, sizeof(path), "%s/nonet-faults", pamdir);
        write_file(path, stack);

        RUN(test_decide);
        RUN(test_decide_with_settings);
        RUN(test_restrict);
        RUN(test_pam_session);

        snprintf(path, sizeof(path), "rm -rf %s", dir);
        return system(path) == 0 ? tap_done() : 1;
}
