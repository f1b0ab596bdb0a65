/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nonet-localhost-demo HOST...: for each address, a server in a child process listens on
 * HOST, a port the kernel picks; the parent connects, sends a line and reads it back.
 * Prints "NONET-DEMO-ECHO HOST ok" for each, as a package's build-time test would.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *host, const char *what) {
        fprintf(stderr, "nonet-localhost-demo: %s: %s: %m\n", host, what);
        return 1;
}

static int echo_once(const char *host) {
        struct sockaddr_storage ss = {0};
        struct sockaddr_in *in4 = (struct sockaddr_in *) &ss;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *) &ss;
        socklen_t len = sizeof(ss);
        char line[64], back[64] = "";
        int status;

        if (inet_pton(AF_INET, host, &in4->sin_addr) == 1)
                in4->sin_family = AF_INET;
        else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1)
                in6->sin6_family = AF_INET6;
        else
                return fail(host, "not an address");
        int srv = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (srv < 0 || bind(srv, (struct sockaddr *) &ss, len) < 0 || listen(srv, 1) < 0 ||
            getsockname(srv, (struct sockaddr *) &ss, &len) < 0)
                return fail(host, "listen");
        pid_t pid = fork();
        if (pid < 0)
                return fail(host, "fork");
        if (pid == 0) { /* the server: one connection, one line echoed */
                int c = accept(srv, NULL, NULL);
                ssize_t n = c < 0 ? -1 : read(c, line, sizeof(line));
                _exit(n > 0 && write(c, line, n) == n ? 0 : 1);
        }
        close(srv);
        snprintf(line, sizeof(line), "ping %s\n", host);
        int c = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c < 0 || connect(c, (struct sockaddr *) &ss, len) < 0)
                return fail(host, "connect");
        if (write(c, line, strlen(line)) != (ssize_t) strlen(line) || read(c, back, sizeof(back) - 1) <= 0)
                return fail(host, "echo");
        close(c);
        if (waitpid(pid, &status, 0) != pid || status != 0 || strcmp(line, back) != 0)
                return fail(host, "the server's answer");
        printf("NONET-DEMO-ECHO %s ok\n", host);
        return 0;
}

int main(int argc, char **argv) {
        int r = 0;
        for (int i = 1; i < argc; i++)
                r |= echo_once(argv[i]);
        return r;
}
