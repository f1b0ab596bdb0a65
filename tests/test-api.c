/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A program using the installed interface: nonet.h and libnonet.so alone. */

#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nonet.h>

int main(void) {
        struct nonet_policy p;
        struct nonet_result r;
        char why[256];

        nonet_policy_init(&p);
        int e = nonet_restrict(&p, &r);
        if (e < 0) {
                nonet_describe_failure(e, &r, why, sizeof(why));
                printf("not ok 1 - restrict: %s\n1..1\n", why);
                return 1;
        }
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        int ok = fd < 0 && errno == EAFNOSUPPORT;
        printf("%sok 1 - socket(AF_INET) refused through libnonet.so\n1..1\n", ok ? "" : "not ");
        return ok ? 0 : 1;
}
