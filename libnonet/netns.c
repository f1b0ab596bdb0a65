/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A private loopback: a network namespace of the process's own, with only lo, up. Where the
 * caller is not root, a user namespace owns it, with the caller's uid and gid mapped to
 * themselves: after exec the command holds no capability, there or anywhere.
 */

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"
#include "util.h"

static int write_file(const char *path, const char *text) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        size_t n = strlen(text);
        if (fd < 0 || write(fd, text, n) != (ssize_t) n)
                return negative_errno();
        return 0;
}

int userns_map_ids(uid_t uid, gid_t gid) {
        char line[64];
        int r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned) uid, (unsigned) uid);
        if ((r = write_file("/proc/self/uid_map", line)) < 0)
                return r;
        /* an unprivileged process may map its gid only once it gave up setgroups() */
        if ((r = write_file("/proc/self/setgroups", "deny")) < 0 && r != -ENOENT)
                return r;
        snprintf(line, sizeof(line), "%u %u 1\n", (unsigned) gid, (unsigned) gid);
        return write_file("/proc/self/gid_map", line);
}

static int loopback_up(void) {
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        struct ifreq ifr = { 0 };
        if (fd < 0)
                return negative_errno();
        snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        ifr.ifr_flags |= IFF_UP;
        return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? negative_errno() : 0;
}

int netns_private_loopback(void) {
        uid_t uid = geteuid();
        gid_t gid = getegid();

        /* root makes the network namespace alone; anyone else in a user namespace of its own */
        if (unshare(CLONE_NEWNET) < 0) {
                if (errno != EPERM)
                        return negative_errno();
                if (unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
                        return negative_errno();
                int r = userns_map_ids(uid, gid);
                if (r < 0)
                        return r;
        }
        return loopback_up();
}

int netns_check(void) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
                return negative_errno();
        if (pid == 0) {
                int r = netns_private_loopback();
                _exit(r < 0 ? (-r & 0xff) : 0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
}
