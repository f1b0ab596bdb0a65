/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program using the installed interface: nonet.h and libnonet.so alone, in forked children. */

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nonet.h>

static int n_tests, n_failed;

static void ok(int cond, const char *what) {
        n_tests++;
        n_failed += !cond;
        printf("%sok %d - %s\n", cond ? "" : "not ", n_tests, what);
        fflush(stdout);
}

/* An abstract socket listening in the parent, created before any restriction: outside. */
static socklen_t abstract_addr(struct sockaddr_un *sa) {
        *sa = (struct sockaddr_un) { .sun_family = AF_UNIX };
        int n = snprintf(sa->sun_path + 1, sizeof(sa->sun_path) - 1, "nonet-test-api-%d", (int) getpid());
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + 1 + (size_t) n);
}

/* In a child: restrict with p (NULL: the default), then report what the network looks like.
 * Exit: 100 restrict failed; else bit 0 inet refused, bit 1 abstract outside reached. */
static int child(const struct nonet_policy *p, const struct sockaddr_un *sa, socklen_t len) {
        struct nonet_result r;
        char why[256];
        int e = nonet_restrict(p, &r, sizeof(r));
        if (e < 0) {
                nonet_describe_failure(e, &r, why, sizeof(why));
                printf("# restrict: %s\n", why);
                return 100;
        }
        int inet = socket(AF_INET, SOCK_STREAM, 0) < 0 && errno == EAFNOSUPPORT;
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        int reached = fd >= 0 && connect(fd, (const struct sockaddr *) sa, len) == 0;
        return inet | reached << 1;
}

static int in_child(const struct nonet_policy *p, const struct sockaddr_un *sa, socklen_t len) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
                _exit(child(p, sa, len));
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 200;
}

int main(void) {
        struct sockaddr_un sa;
        socklen_t len = abstract_addr(&sa);
        int srv = socket(AF_UNIX, SOCK_STREAM, 0);
        if (srv < 0 || bind(srv, (struct sockaddr *) &sa, len) < 0 || listen(srv, 8) < 0) {
                printf("not ok 1 - an abstract listener: %s\n1..1\n", strerror(errno));
                return 1;
        }

        ok(in_child(NULL, &sa, len) == 3, "default (NULL): inet refused, abstract socket outside reached");

        struct nonet_policy *p = nonet_policy_new();
        ok(p && nonet_policy_set(p, NONET_ATTR_UNIX, NONET_UNIX_NO_ABSTRACT) == 0, "set unix: no-abstract");
        struct nonet_result r;
        int e = nonet_check(p, &r, sizeof(r));
        if (e == 0 && r.landlock_abi >= 6)
                ok(in_child(p, &sa, len) == 1, "no-abstract: inet refused, abstract socket outside refused");
        else
                ok(e < 0 && r.failed == NONET_LAYER_LANDLOCK && in_child(p, &sa, len) == 100,
                   "no-abstract without Landlock ABI 6: refused, nothing restricted half-way");
        ok(r.landlock_needed == 6, "no-abstract needs Landlock ABI 6");
        ok(nonet_policy_set(p, (enum nonet_attr) 1000, 1) == -EINVAL, "an unknown attribute is refused");
        nonet_policy_free(p);

        printf("1..%d\n", n_tests);
        return n_failed ? 1 : 0;
}
