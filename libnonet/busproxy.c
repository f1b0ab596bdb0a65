/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system bus filtered (issue 38): xdg-dbus-proxy, as flatpak runs it for a sandbox's session
 * bus, here for the system bus: an allowlist (--filter, a --talk for each kept name), so a name
 * judged nowhere is closed too. Its lifetime is the command's: --fd=FD makes it stop when the
 * last copy of the other end of FD's pipe closes, and the command inherits that copy. A command
 * that closes every descriptor it holds stops it, and then finds no bus (ECONNREFUSED).
 */

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "busnames.h"
#include "busproxy.h"
#include "util.h"

static void proxy_exec(const char *path, int ready, int err) {
        char fdarg[32];
        const char *argv[8 + 64] = { "xdg-dbus-proxy", fdarg, "unix:path=" SYSTEM_BUS_SOCKET, path, "--filter" };
        size_t n = 5;
        char talk[64][128];
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        for (size_t i = 0; i < bus_names_kept_n && i < ELEMENTSOF(talk); i++) {
                snprintf(talk[i], sizeof(talk[i]), "--talk=%s", bus_names_kept[i]);
                argv[n++] = talk[i];
        }
        argv[n] = NULL;
        /* the terminal's signals and the command's output are not the proxy's */
        if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0)
                goto fail;
        /* none of the caller's descriptors (held sockets) kept alive by the proxy; Linux 5.9 */
        syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
        int fd = fcntl(ready, F_DUPFD, 3); /* without O_CLOEXEC */
        if (fd < 0)
                goto fail;
        snprintf(fdarg, sizeof(fdarg), "--fd=%d", fd);
        execvp(argv[0], (char **) argv);
fail:;
        int e = errno;
        if (write(err, &e, sizeof(e)) < 0)
                _exit(127);
        _exit(127);
}

static int proxy_spawn(const char *path, int ready, int *ret_pid_error) {
        int err[2];
        if (pipe2(err, O_CLOEXEC) < 0)
                return negative_errno();
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(err[0]);
                close(err[1]);
                return r;
        }
        if (pid == 0) {
                close(err[0]);
                setsid();
                signal(SIGPIPE, SIG_DFL);
                pid_t grandchild = fork(); /* reparented: the command does not reap it */
                if (grandchild == 0)
                        proxy_exec(path, ready, err[1]);
                _exit(grandchild < 0 ? 1 : 0);
        }
        close(err[1]);
        int status, e = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        ssize_t k = read(err[0], &e, sizeof(e));
        close(err[0]);
        *ret_pid_error = k == sizeof(e) ? e : 0;
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

int busproxy_start(struct nonet_policy *p, int *ret_fd) {
        struct stat st;
        char dir[] = "/tmp/nonet-bus-XXXXXX";
        int ready[2], e = 0;

        *ret_fd = -1;
        if (stat(SYSTEM_BUS_SOCKET, &st) < 0 || !S_ISSOCK(st.st_mode))
                return 0; /* no system bus here: nothing to filter */
        if (!mkdtemp(dir))
                return negative_errno();
        snprintf(p->brokers_system_bus, sizeof(p->brokers_system_bus), "%s/bus", dir);
        if (pipe2(ready, O_CLOEXEC) < 0) {
                rmdir(dir);
                return negative_errno();
        }
        int r = proxy_spawn(p->brokers_system_bus, ready[1], &e);
        close(ready[1]);
        char byte;
        if (r >= 0 && e)
                r = -e;
        else if (r >= 0 && read(ready[0], &byte, 1) != 1)
                r = -EPIPE; /* it stopped before listening: it says why on standard error */
        if (r >= 0 && fcntl(ready[0], F_SETFD, 0) < 0)
                r = negative_errno();
        if (r < 0) {
                busproxy_stop(p, ready[0]);
                return r;
        }
        *ret_fd = ready[0];
        return 1;
}

void busproxy_stop(struct nonet_policy *p, int fd) {
        char dir[sizeof(p->brokers_system_bus)];
        if (fd >= 0)
                close(fd);
        if (!p->brokers_system_bus[0])
                return;
        snprintf(dir, sizeof(dir), "%s", p->brokers_system_bus);
        char *slash = strrchr(dir, '/');
        unlink(p->brokers_system_bus);
        if (slash) {
                *slash = '\0';
                rmdir(dir);
        }
        p->brokers_system_bus[0] = '\0';
}
