/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Brokers closed: the known brokers' named sockets masked in a mount namespace of the process's
 * own, so that connect() finds no daemon there (ENOENT under a masked directory, ECONNREFUSED on
 * a masked socket). Root makes the namespace alone, as pam_namespace does; anyone else in a user
 * namespace of its own, with its ids mapped to themselves: after exec it holds no capability
 * there, and a user namespace nested below sees the masks as locked mounts.
 */

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "busproxy.h"
#include "internal.h"
#include "util.h"

/* A directory wholly the daemon's is masked whole (a restarted daemon's new socket stays
 * hidden); a socket beside others the session keeps (gpg-agent's, resolv.conf) alone. */
static const struct endpoint {
        const char *path; /* under /run, or the user's runtime directory ("~" for the home) */
        bool dir;
} system_endpoints[] = {
        { "nscd", true },
        { "systemd/resolve/io.systemd.Resolve", false },
        { "systemd/resolve/io.systemd.Resolve.Monitor", false },
        { "avahi-daemon", true },
        { "cups", true },
}, user_endpoints[] = {
        { "gnupg/S.dirmngr", false },
        { "gnupg/d.*/S.dirmngr", false }, /* a GNUPGHOME of its own */
        { "~/.gnupg/S.dirmngr", false },   /* where there is no runtime directory */
        { "pulse", true },                 /* PulseAudio's, and pipewire-pulse's */
        { "pipewire-0", false },
        { "pipewire-0-manager", false },
        { "bus", false }, /* the session bus: gvfs and every desktop service ride it */
        { "systemd/private", false }, /* the user manager's own: systemd-run --user runs anything */
};

/* One socket or directory masked, if it is there and is what it should be: a symbolic link at
 * its place is never followed (the user's home is theirs to arrange). */
static int mask_one(const char *path, bool dir) {
        _cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        char target[64];

        if (fd < 0)
                return errno == ENOENT || errno == ENOTDIR || errno == EACCES || errno == ELOOP ? 0 : negative_errno();
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (dir ? !S_ISDIR(st.st_mode) : !S_ISSOCK(st.st_mode))
                return 0;
        snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
        if (dir ? mount("nonet-brokers", target, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0555")
                : mount("/dev/null", target, NULL, MS_BIND, NULL))
                return negative_errno();
        return 1;
}

static int mask_pattern(const char *pattern, bool dir) {
        glob_t g;
        int r = 0, n = 0;
        if (!strchr(pattern, '*'))
                return mask_one(pattern, dir);
        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                return 0;
        for (size_t i = 0; i < g.gl_pathc && r >= 0; i++)
                if ((r = mask_one(g.gl_pathv[i], dir)) > 0)
                        n++;
        globfree(&g);
        return r < 0 ? r : n;
}

/* /var/run is /run on every system of the last decade; where it is not, its sockets are masked too. */
static bool var_run_is_run(void) {
        char real[16];
        ssize_t n = readlink("/var/run", real, sizeof(real) - 1);
        if (n < 0)
                return false;
        real[n] = '\0';
        return strcmp(real, "/run") == 0 || strcmp(real, "../run") == 0;
}

/* The core has no NSS (nonet-exec is linked statically): the home comes from the front end,
 * or is the caller's own $HOME. */
int mask_endpoints(uid_t uid, const char *home_given, mask_fn fn, void *userdata) {
        const char *roots[] = { "/run", var_run_is_run() ? NULL : "/var/run" };
        const char *env = uid == getuid() ? secure_getenv("HOME") : NULL;
        const char *home = home_given && home_given[0] == '/' ? home_given : env && env[0] == '/' ? env : "";
        char runtime[64], path[4096 + 64];
        int r;

        for (size_t i = 0; i < ELEMENTSOF(roots); i++)
                for (size_t j = 0; roots[i] && j < ELEMENTSOF(system_endpoints); j++) {
                        snprintf(path, sizeof(path), "%s/%s", roots[i], system_endpoints[j].path);
                        if ((r = fn(path, system_endpoints[j].dir, userdata)) < 0)
                                return r;
                }
        if (uid == (uid_t) -1)
                return 0; /* nobody's: the system's alone */
        snprintf(runtime, sizeof(runtime), "/run/user/%u", (unsigned) uid);
        for (size_t j = 0; j < ELEMENTSOF(user_endpoints); j++) {
                const char *e = user_endpoints[j].path;
                if (e[0] == '~' && (!home[0] || strlen(home) > 4096))
                        continue;
                snprintf(path, sizeof(path), "%s/%s", e[0] == '~' ? home : runtime, e[0] == '~' ? e + 2 : e);
                if ((r = fn(path, user_endpoints[j].dir, userdata)) < 0)
                        return r;
        }
        return 0;
}

static int mask_step(const char *path, bool dir, void *userdata) {
        int r = mask_pattern(path, dir);
        if (r > 0)
                ++*(int *) userdata;
        return r < 0 ? r : 0;
}

/* A mount namespace of the process's own: as root, or with CAP_SYS_ADMIN in a user namespace
 * already made (a private loopback's); else in a user namespace of its own. */
static int own_mount_namespace(void) {
        uid_t uid = geteuid();
        gid_t gid = getegid();

        if (unshare(CLONE_NEWNS) == 0)
                return 0;
        if (errno != EPERM)
                return negative_errno();
        if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
                return negative_errno();
        return userns_map_ids(uid, gid);
}

/* The mount a descriptor is on (fdinfo's mnt_id, Linux 3.15), or -1. */
static long fd_mount(int fd) {
        char path[64], line[256];
        long id = -1;
        snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        while (id < 0 && fgets(line, sizeof(line), f))
                if (sscanf(line, "mnt_id: %ld", &id) != 1)
                        id = -1;
        fclose(f);
        return id;
}

/* Whether mount id is one of this mount namespace's. */
static bool mount_here(long id) {
        char line[4096];
        long here;
        bool found = false;
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return false;
        while (!found && fgets(line, sizeof(line), f))
                found = sscanf(line, "%ld", &here) == 1 && here == id;
        fclose(f);
        return found;
}

/* A directory (or a named socket's path) held from the namespace outside reaches past the masks:
 * openat() and /proc/self/fd/N/... walk its mounts, not ours. Sockets themselves are not paths. */
static int held_outside(bool skip_cloexec, int *ret_fd) {
        _cleanup_close_ int dfd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char link[64], target[2];
        struct stat st;
        if (dfd < 0)
                return negative_errno();
        DIR *d = fdopendir(dfd);
        if (!d)
                return negative_errno();
        dfd = -1; /* closedir() closes it */
        int r = 0;
        for (struct dirent *e; r == 0 && (e = readdir(d));) {
                int fd = atoi(e->d_name);
                if (e->d_name[0] == '.' || fd == dirfd(d) || fstat(fd, &st) < 0 ||
                    !(S_ISDIR(st.st_mode) || S_ISSOCK(st.st_mode)) || (skip_cloexec && (fcntl(fd, F_GETFD) & FD_CLOEXEC)))
                        continue; /* closed on exec: never the program's */
                snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
                if (readlink(link, target, sizeof(target)) < 1 || target[0] != '/')
                        continue; /* socket:[N], a socket's own descriptor */
                if (!mount_here(fd_mount(fd))) {
                        *ret_fd = fd;
                        r = -EBADFD;
                }
        }
        closedir(d);
        return r;
}

/* Servers of the user's own that run commands for any client of that user: an ssh ControlMaster
 * (a remote shell for `ssh -S CTL`), a tmux or screen server (a shell outside). Their sockets are
 * wherever the user put them, so they are found from the processes, by name (comm, which anyone
 * may read), not from a list of paths. */
static const char *const user_servers[] = { "ssh", "tmux: server", "screen", "SCREEN" };

/* The process's name if it is one of those servers', else NULL. */
static const char *user_server(int pid) {
        char path[64], comm[32];
        snprintf(path, sizeof(path), "/proc/%d/comm", pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, comm, sizeof(comm) - 1);
        if (n <= 0)
                return NULL;
        comm[n] = '\0';
        comm[strcspn(comm, "\n")] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(user_servers); i++)
                if (strcmp(comm, user_servers[i]) == 0)
                        return user_servers[i];
        return NULL;
}

static uid_t process_uid(int pid) {
        char path[64], line[128];
        unsigned long uid = (unsigned long) -1;
        snprintf(path, sizeof(path), "/proc/%d/status", pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return (uid_t) -1;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Uid: %lu", &uid) == 1)
                        break;
        fclose(f);
        return (uid_t) uid;
}

/* Whether the socket inode is among the process's descriptors: -errno where they cannot be read. */
static int holds_socket(int pid, unsigned long inode) {
        char path[64], link[64], want[40];
        snprintf(path, sizeof(path), "/proc/%d/fd", pid);
        snprintf(want, sizeof(want), "socket:[%lu]", inode);
        DIR *d = opendir(path);
        if (!d)
                return negative_errno();
        bool found = false;
        for (struct dirent *e; !found && (e = readdir(d));) {
                ssize_t n;
                if (e->d_name[0] == '.')
                        continue;
                n = readlinkat(dirfd(d), e->d_name, link, sizeof(link) - 1);
                if (n > 0) {
                        link[n] = '\0';
                        found = strcmp(link, want) == 0;
                }
        }
        closedir(d);
        return found;
}

/* After unshare(CLONE_NEWUSER) no other process's descriptors can be read (commoncap's ptrace
 * check wants the same user namespace): the names are found before, kept as strings. */
void mask_servers_free(struct mask_servers *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->paths[i]);
        free(f->paths);
        f->paths = NULL;
        f->n = 0;
}

/* A socket of uid's the server bound at name, if it is there. ssh binds its ControlMaster at
 * CTL.XXXXXXXXXXXXXXXX (16 random letters and digits) and links it to CTL (mux.c,
 * muxserver_listen()): the name without that suffix is tried too. */
static int each_bound(int pid, const char *name, uid_t uid, const char *comm, mask_server_fn fn,
                      void *userdata) {
        char path[4096 + 64], cwd[4096];
        struct stat st;
        int r;
        if (name[0] != '/') {
                /* relative: bound from the server's working directory */
                char link[64];
                snprintf(link, sizeof(link), "/proc/%d/cwd", pid);
                ssize_t k = readlink(link, cwd, sizeof(cwd) - 1);
                if (k <= 0)
                        return errno == ENOENT || errno == ESRCH ? 0 : -EBADSLT; /* gone since, or unread */
                cwd[k] = '\0';
                snprintf(path, sizeof(path), "%s/%s", cwd, name);
        } else
                snprintf(path, sizeof(path), "%s", name);
        for (int pass = 0; pass < 2; pass++) {
                if (pass == 1) {
                        size_t len = strlen(path);
                        if (len < 18 || path[len - 17] != '.' || strspn(path + len - 16, "abcdefghijklmnopqrstuvwxyz"
                                                                                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                                                          "0123456789") != 16)
                                break;
                        path[len - 17] = '\0';
                }
                if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == uid &&
                    (r = fn(uid, comm, pid, path, userdata)) < 0)
                        return r;
        }
        return 0;
}

/* The named sockets the servers listen on: read from each server's own network namespace's
 * list (/proc/PID/net/unix; __SO_ACCEPTCON, 0x10000, is a listening socket), and matched to the
 * server by its descriptors. A server whose descriptors cannot be read (not dumpable) may hold
 * one: -EBADSLT, and nothing runs, as for any other mask that cannot be made. */
int mask_each_server(uid_t uid, mask_server_fn fn, void *userdata) {
        DIR *proc = opendir("/proc");
        int r = 0;
        if (!proc)
                return negative_errno();
        for (struct dirent *e; r >= 0 && (e = readdir(proc));) {
                char path[64], line[4096 + 128];
                const char *comm;
                uid_t puid;
                int pid = e->d_name[0] >= '1' && e->d_name[0] <= '9' ? atoi(e->d_name) : 0;
                if (pid <= 0 || !(comm = user_server(pid)) || (puid = process_uid(pid)) == (uid_t) -1 ||
                    (uid != (uid_t) -1 && puid != uid))
                        continue;
                snprintf(path, sizeof(path), "/proc/%d/net/unix", pid);
                FILE *file = fopen(path, "re");
                if (!file) {
                        if (errno != ENOENT && errno != ESRCH)
                                r = -EBADSLT; /* its sockets unread are not none */
                        continue;             /* else gone since */
                }
                while (r >= 0 && fgets(line, sizeof(line), file)) {
                        unsigned long flags, inode;
                        int at = 0;
                        /* a named socket's path as bound (relative too); '@' is an abstract one's */
                        if (sscanf(line, "%*s %*s %*s %lx %*s %*s %lu %n", &flags, &inode, &at) != 2 || at == 0 ||
                            !(flags & 0x10000) || line[at] == '@' || line[at] == '\n' || line[at] == '\0')
                                continue;
                        line[at + strcspn(line + at, "\n")] = '\0';
                        int held = holds_socket(pid, inode);
                        if (held == -ENOENT || held == -ESRCH)
                                break; /* gone since */
                        if (held == -EACCES || held == -EPERM)
                                held = -EBADSLT; /* nonet's own word for it, unlike a namespace's EPERM */
                        r = held < 0 ? held : held ? each_bound(pid, line + at, puid, comm, fn, userdata) : 0;
                }
                fclose(file);
        }
        closedir(proc);
        return r;
}

static int found_add(uid_t uid, const char *comm, int pid, const char *path, void *userdata) {
        struct mask_servers *f = userdata;
        char **p = reallocarray(f->paths, f->n + 1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        f->paths = p;
        if (!(p[f->n] = strdup(path)))
                return -ENOMEM;
        f->n++;
        return 0;
}

int mask_find_servers(uid_t uid, struct mask_servers *ret) {
        return uid == (uid_t) -1 ? 0 : mask_each_server(uid, found_add, ret);
}

int mask_brokers(uid_t uid, const char *home, const struct mask_servers *servers, enum nonet_inherited held,
                 int *ret_fd) {
        int n = 0, r = own_mount_namespace();
        if (r < 0)
                return r;
        /* nothing made here propagates to the host's namespace */
        if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
                return negative_errno();
        r = mask_endpoints(uid, home, mask_step, &n);
        for (size_t i = 0; r >= 0 && servers && i < servers->n; i++)
                if ((r = mask_one(servers->paths[i], false)) > 0)
                        n++;
        if (r >= 0 && held != NONET_INHERITED_ACCEPT)
                r = held_outside(held == NONET_INHERITED_EXEC, ret_fd);
        return r < 0 ? r : n;
}

int mask_check(uid_t uid, const char *home, enum nonet_inherited held, int *ret_fd) {
        int pipefd[2];
        fflush(NULL);
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return negative_errno();
        pid_t pid = fork();
        if (pid < 0) {
                int r = negative_errno();
                close(pipefd[0]);
                close(pipefd[1]);
                return r;
        }
        if (pid == 0) {
                struct mask_servers servers = { 0 };
                int fd = -1, r = uid == (uid_t) -1 ? 0 : mask_find_servers(uid, &servers);
                if (r >= 0)
                        r = mask_brokers(uid, home, &servers, held, &fd);
                /* the descriptor, for the message: the same number as the parent's */
                if (r == -EBADFD && write(pipefd[1], &fd, sizeof(fd)) != sizeof(fd))
                        r = -EIO;
                _exit(r < 0 ? (-r & 0xff) : 0);
        }
        close(pipefd[1]);
        int status, fd = -1;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR) {
                        close(pipefd[0]);
                        return negative_errno();
                }
        if (read(pipefd[0], &fd, sizeof(fd)) == sizeof(fd))
                *ret_fd = fd;
        close(pipefd[0]);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : WIFEXITED(status) ? -WEXITSTATUS(status) : -EIO;
}

int mask_system_bus(const char *proxy) {
        _cleanup_close_ int fd = open(SYSTEM_BUS_SOCKET, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        char target[64], dir[sizeof(((struct nonet_policy *) 0)->brokers_system_bus)];
        if (fd < 0)
                return errno == ENOENT ? 0 : negative_errno(); /* the bus stopped since: none to reach */
        snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
        if (mount(proxy, target, NULL, MS_BIND, NULL) < 0)
                return negative_errno();
        /* the mount holds the socket: no other process finds it by name */
        snprintf(dir, sizeof(dir), "%s", proxy);
        char *slash = strrchr(dir, '/');
        if (unlink(proxy) == 0 && slash && slash != dir) {
                *slash = '\0';
                rmdir(dir);
        }
        return 1;
}

/* A masked directory is a tmpfs named so; a masked socket, /dev/null bound at a broker's name
 * (one of the list above, or a server's of the user's own, wherever it was). /dev/null bound
 * under /proc, /sys or /dev is a container runtime's (Docker masks /proc/kcore so), not ours. */
int mask_count(const char *mountinfo) {
        char line[4096], root[1024], point[1024];
        int n = 0;
        FILE *f = fopen(mountinfo, "re");
        if (!f)
                return 0;
        while (fgets(line, sizeof(line), f)) {
                if (strstr(line, " - tmpfs nonet-brokers ")) {
                        n++;
                        continue;
                }
                if (sscanf(line, "%*s %*s %*s %1023s %1023s", root, point) != 2 || strcmp(root, "/null") != 0)
                        continue;
                if (strncmp(point, "/proc/", 6) != 0 && strncmp(point, "/sys/", 5) != 0 &&
                    strncmp(point, "/dev/", 5) != 0)
                        n++;
        }
        fclose(f);
        return n;
}
