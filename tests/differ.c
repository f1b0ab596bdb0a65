/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * differ DIR PID HELPERDIR: the corpus of the differential suite ("nothing but the
 * network"). Runs calls that are not networking, each in a child of its own in DIR/NAME,
 * and prints one line each: "NAME ok", "NAME ERRNO" (the errno's name), "NAME setup-ERRNO"
 * (a step before the call failed), "NAME wrong-value" or "NAME signal N". PID is a
 * process of the same user outside the restriction, started as "differ --helper
 * HELPERDIR", which listens on HELPERDIR/outside.sock, HELPERDIR/outside-dgram.sock and
 * the abstract name nonet-differ-PID. The suite runs it unrestricted and under each
 * mode, and compares.
 */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/filter.h>
#include <linux/fs.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <termios.h>
#include <unistd.h>

#define WRONG_VALUE 1000 /* the call worked but gave another answer */
#define CASE_TIMEOUT 5   /* seconds before a case counts as hung (SIGALRM) */

static pid_t outside_pid;
static const char *helper_dir;
static char shm_dir[64];

static int err(long r) {
        return r < 0 ? errno : 0;
}

/* A step before the call under test failed: "setup-ERRNO". */
static int setup_failed(void) {
        return -errno;
}

static int touch(const char *path) {
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return -1;
        (void) !write(fd, "differ\n", 7);
        return close(fd);
}

/* Directories a and b, and the file a/f. */
static int two_dirs(const char *base) {
        char a[128], b[128], f[128];
        snprintf(a, sizeof(a), "%s/a", base);
        snprintf(b, sizeof(b), "%s/b", base);
        snprintf(f, sizeof(f), "%s/a/f", base);
        if (mkdir(a, 0755) < 0 || mkdir(b, 0755) < 0 || touch(f) < 0)
                return -1;
        return 0;
}

/* --- files --- */

static int do_rename_same_dir(void) {
        if (two_dirs(".") < 0)
                return setup_failed();
        return err(rename("a/f", "a/g"));
}

static int do_rename_dirs(void) {
        if (two_dirs(".") < 0)
                return setup_failed();
        return err(rename("a/f", "b/f"));
}

static int do_rename_dir_dirs(void) {
        if (two_dirs(".") < 0 || mkdir("a/d", 0755) < 0)
                return setup_failed();
        return err(rename("a/d", "b/d"));
}

static int do_rename_exchange_dirs(void) {
        if (two_dirs(".") < 0 || touch("b/g") < 0)
                return setup_failed();
        return err(renameat2(AT_FDCWD, "a/f", AT_FDCWD, "b/g", RENAME_EXCHANGE));
}

static int do_rename_noreplace_dirs(void) {
        if (two_dirs(".") < 0)
                return setup_failed();
        return err(renameat2(AT_FDCWD, "a/f", AT_FDCWD, "b/f", RENAME_NOREPLACE));
}

static int do_link_same_dir(void) {
        if (two_dirs(".") < 0)
                return setup_failed();
        return err(link("a/f", "a/g"));
}

static int do_link_dirs(void) {
        if (two_dirs(".") < 0)
                return setup_failed();
        return err(link("a/f", "b/f"));
}

/* An unnamed file made in a, then given a name in b (O_TMPFILE, as systemd writes files). */
static int do_tmpfile_link_dirs(void) {
        char proc[64];
        if (two_dirs(".") < 0)
                return setup_failed();
        int fd = open("a", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
        return err(linkat(AT_FDCWD, proc, AT_FDCWD, "b/f", AT_SYMLINK_FOLLOW));
}

/* Across mount points: the scratch directory and /dev/shm (EXDEV both ways). */
static int do_rename_mounts(void) {
        char to[128];
        snprintf(to, sizeof(to), "%s/rename-to", shm_dir);
        if (touch("f") < 0)
                return setup_failed();
        return err(rename("f", to));
}

static int do_link_mounts(void) {
        char to[128];
        snprintf(to, sizeof(to), "%s/link-to", shm_dir);
        if (touch("f") < 0)
                return setup_failed();
        return err(link("f", to));
}

static int do_rename_shm_dirs(void) {
        char base[128], from[160], to[160];
        snprintf(base, sizeof(base), "%s/rename", shm_dir);
        snprintf(from, sizeof(from), "%s/a/f", base);
        snprintf(to, sizeof(to), "%s/b/f", base);
        if (mkdir(base, 0755) < 0 || two_dirs(base) < 0)
                return setup_failed();
        return err(rename(from, to));
}

/* Into and out of the helper's directory, which the listed mode names (--unix-path): there
 * Landlock allows RESOLVE_UNIX, which the scratch directory does not. how: 'r'ename, 'l'ink,
 * e'x'change. */
static int move_unix_path(int into, int how) {
        char dir[160], inside[170];
        snprintf(dir, sizeof(dir), "%s/moves-%d", helper_dir, (int) getpid());
        snprintf(inside, sizeof(inside), "%s/f", dir);
        if (mkdir(dir, 0755) < 0 || mkdir("a", 0755) < 0 || touch(into ? "a/f" : inside) < 0 ||
            (how == 'x' && touch(into ? inside : "a/f") < 0))
                return setup_failed();
        const char *from = into ? "a/f" : inside, *to = into ? inside : "a/f";
        int r = err(how == 'l' ? link(from, to) : how == 'x' ? renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_EXCHANGE)
                                                              : rename(from, to));
        (void) unlink(inside);
        (void) rmdir(dir);
        return r;
}

static int do_rename_into_unix_path(void) {
        return move_unix_path(1, 'r');
}

static int do_link_into_unix_path(void) {
        return move_unix_path(1, 'l');
}

static int do_rename_out_of_unix_path(void) {
        return move_unix_path(0, 'r');
}

static int do_link_out_of_unix_path(void) {
        return move_unix_path(0, 'l');
}

static int do_exchange_unix_path(void) {
        return move_unix_path(1, 'x');
}

static int do_open_shm_file(void) {
        char path[128];
        snprintf(path, sizeof(path), "%s/file", shm_dir);
        return err(open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600));
}

static int do_mkdir_rmdir(void) {
        if (mkdir("d", 0755) < 0)
                return errno;
        return err(rmdir("d"));
}

static int do_symlink_readlink(void) {
        char buf[16];
        if (symlink("target", "l") < 0)
                return errno;
        return err(readlink("l", buf, sizeof(buf)));
}

static int do_unlink(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(unlink("f"));
}

static int do_truncate(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(truncate("f", 1));
}

static int do_ftruncate(void) {
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(ftruncate(fd, 4096));
}

static int do_open_trunc(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(open("f", O_WRONLY | O_TRUNC | O_CLOEXEC));
}

static int do_fallocate(void) {
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(fallocate(fd, 0, 0, 4096));
}

static int do_mkfifo(void) {
        return err(mkfifo("p", 0600));
}

static int do_mknod_fifo(void) {
        return err(mknod("p", S_IFIFO | 0600, 0));
}

static int do_mknod_socket(void) {
        return err(mknod("s", S_IFSOCK | 0600, 0));
}

/* Devices need CAP_MKNOD: EPERM both ways, unless a layer refuses first. */
static int do_mknod_char(void) {
        return err(mknod("c", S_IFCHR | 0600, makedev(1, 3)));
}

static int do_mknod_block(void) {
        return err(mknod("b", S_IFBLK | 0600, makedev(7, 0)));
}

static int do_chmod(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(chmod("f", 0600));
}

static int do_fchmod(void) {
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(fchmod(fd, 0640));
}

static int do_chown_self(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(chown("f", getuid(), getgid()));
}

static int do_utimensat(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(utimensat(AT_FDCWD, "f", NULL, 0));
}

static int do_setxattr_user(void) {
        if (touch("f") < 0)
                return setup_failed();
        return err(setxattr("f", "user.nonet-differ", "1", 1, 0));
}

static int do_flock(void) {
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(flock(fd, LOCK_EX | LOCK_NB));
}

static int do_ofd_lock(void) {
        struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(fcntl(fd, F_OFD_SETLK, &fl));
}

static int do_copy_file_range(void) {
        int in = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int out = open("g", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (in < 0 || out < 0 || write(in, "differ\n", 7) != 7 || lseek(in, 0, SEEK_SET) < 0)
                return setup_failed();
        ssize_t n = copy_file_range(in, NULL, out, NULL, 7, 0);
        return n < 0 ? errno : n == 7 ? 0 : WRONG_VALUE;
}

static int do_ficlone(void) {
        int in = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        int out = open("g", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (in < 0 || out < 0 || write(in, "differ\n", 7) != 7)
                return setup_failed();
        return err(ioctl(out, FICLONE, in));
}

static int do_getflags(void) {
        int flags, fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return setup_failed();
        return err(ioctl(fd, FS_IOC_GETFLAGS, &flags));
}

static int do_mmap_shared(void) {
        int fd = open("f", O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0 || ftruncate(fd, 4096) < 0)
                return setup_failed();
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        return p == MAP_FAILED ? errno : 0;
}

static int do_statfs(void) {
        struct statfs st;
        return err(statfs(".", &st));
}

static int run_and_wait(char *const argv[]) {
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return setup_failed();
        if (pid == 0) {
                execv(argv[0], argv);
                _exit(errno);
        }
        if (waitpid(pid, &status, 0) < 0)
                return setup_failed();
        return WIFEXITED(status) ? WEXITSTATUS(status) : WRONG_VALUE;
}

static int do_execve_true(void) {
        char *argv[] = { "/bin/true", NULL };
        return run_and_wait(argv);
}

static int do_execve_script(void) {
        int fd = open("run", O_WRONLY | O_CREAT | O_CLOEXEC, 0755);
        if (fd < 0 || write(fd, "#!/bin/sh\nexit 0\n", 17) != 17 || close(fd) < 0)
                return setup_failed();
        char *argv[] = { "./run", NULL };
        return run_and_wait(argv);
}

/* --- devices and terminals --- */

static int do_open_dev_null(void) {
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (fd < 0)
                return errno;
        return write(fd, "x", 1) == 1 ? 0 : errno;
}

static int do_open_dev_zero(void) {
        char c = 1;
        int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno;
        return read(fd, &c, 1) == 1 && c == 0 ? 0 : WRONG_VALUE;
}

/* No controlling terminal here: ENXIO both ways. */
static int do_open_dev_tty(void) {
        return err(open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC));
}

static int do_open_dev_ptmx(void) {
        return err(open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
}

/* The terminal side of a new pty, or -1. */
static int open_pty(void) {
        int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
        if (m < 0 || grantpt(m) < 0 || unlockpt(m) < 0)
                return -1;
        return ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

static int do_pty_tcgets(void) {
        struct termios t;
        int fd = open_pty();
        if (fd < 0)
                return setup_failed();
        return err(tcgetattr(fd, &t));
}

static int do_pty_tcsets(void) {
        struct termios t;
        int fd = open_pty();
        if (fd < 0 || tcgetattr(fd, &t) < 0)
                return setup_failed();
        cfmakeraw(&t);
        return err(tcsetattr(fd, TCSANOW, &t));
}

static int do_pty_tiocgwinsz(void) {
        struct winsize w;
        int fd = open_pty();
        if (fd < 0)
                return setup_failed();
        return err(ioctl(fd, TIOCGWINSZ, &w));
}

static int do_pty_tiocswinsz(void) {
        struct winsize w = { .ws_row = 24, .ws_col = 80 };
        int fd = open_pty();
        if (fd < 0)
                return setup_failed();
        return err(ioctl(fd, TIOCSWINSZ, &w));
}

static int do_pipe_fionread(void) {
        int p[2], n = 0;
        if (pipe2(p, O_CLOEXEC) < 0 || write(p[1], "abc", 3) != 3)
                return setup_failed();
        if (ioctl(p[0], FIONREAD, &n) < 0)
                return errno;
        return n == 3 ? 0 : WRONG_VALUE;
}

/* --- a process of the same user outside --- */

static int do_kill_0_outside(void) {
        return err(kill(outside_pid, 0));
}

static int do_kill_usr1_outside(void) {
        return err(kill(outside_pid, SIGUSR1));
}

static int do_kill_cont_outside(void) {
        return err(kill(outside_pid, SIGCONT));
}

static int do_pidfd_signal_outside(void) {
        int fd = (int) syscall(SYS_pidfd_open, outside_pid, 0);
        if (fd < 0)
                return setup_failed();
        return err(syscall(SYS_pidfd_send_signal, fd, SIGUSR1, NULL, 0));
}

static int read_proc(const char *what) {
        char path[64], buf[256];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int) outside_pid, what);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno;
        return err(read(fd, buf, sizeof(buf)));
}

static int do_proc_stat_outside(void) {
        return read_proc("stat");
}

static int do_proc_status_outside(void) {
        return read_proc("status");
}

static int do_proc_cmdline_outside(void) {
        return read_proc("cmdline");
}

/* ptrace-access-checked: refused by Landlock for a process outside its domain */
static int do_proc_environ_outside(void) {
        return read_proc("environ");
}

static int do_proc_maps_outside(void) {
        return read_proc("maps");
}

static int do_proc_fd_outside(void) {
        char path[64], target[256];
        snprintf(path, sizeof(path), "/proc/%d/fd/0", (int) outside_pid);
        return err(readlink(path, target, sizeof(target)));
}

/* A debugger of its own children (gdb, strace) */
static int do_ptrace_child(void) {
        int status;
        pid_t pid = fork();
        if (pid < 0)
                return setup_failed();
        if (pid == 0) {
                if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
                        _exit(1);
                raise(SIGSTOP);
                _exit(0);
        }
        if (waitpid(pid, &status, 0) < 0)
                return setup_failed();
        if (!WIFSTOPPED(status)) {
                waitpid(pid, &status, 0);
                return EPERM;
        }
        int r = err(ptrace(PTRACE_CONT, pid, NULL, NULL));
        waitpid(pid, &status, 0);
        return r;
}

static int do_proc_self_mountinfo(void) {
        char buf[256];
        int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno;
        return err(read(fd, buf, sizeof(buf)));
}

/* --- descriptors --- */

static int do_pipe2(void) {
        int p[2];
        return err(pipe2(p, O_CLOEXEC | O_NONBLOCK));
}

static int do_eventfd(void) {
        return err(eventfd(0, EFD_CLOEXEC));
}

static int do_memfd(void) {
        int fd = memfd_create("nonet-differ", MFD_CLOEXEC | MFD_ALLOW_SEALING);
        if (fd < 0)
                return errno;
        if (ftruncate(fd, 4096) < 0)
                return errno;
        void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
                return errno;
        return err(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
}

static int do_inotify(void) {
        int fd = inotify_init1(IN_CLOEXEC);
        if (fd < 0)
                return errno;
        return err(inotify_add_watch(fd, ".", IN_CREATE | IN_MODIFY));
}

static int do_fanotify_init(void) {
        return err(fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC, O_RDONLY));
}

static int do_fanotify_mark(void) {
        int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC, O_RDONLY);
        if (fd < 0)
                return setup_failed();
        return err(fanotify_mark(fd, FAN_MARK_ADD, FAN_CREATE | FAN_ONDIR, AT_FDCWD, "."));
}

static int do_userfaultfd(void) {
        return err(syscall(SYS_userfaultfd, O_CLOEXEC));
}

static int do_userfaultfd_user_mode(void) {
        return err(syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY));
}

static int do_timerfd(void) {
        return err(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));
}

static int do_signalfd(void) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        return err(signalfd(-1, &set, SFD_CLOEXEC));
}

static int do_epoll(void) {
        struct epoll_event ev = { .events = EPOLLIN };
        int p[2], fd = epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0 || pipe2(p, O_CLOEXEC) < 0)
                return setup_failed();
        return err(epoll_ctl(fd, EPOLL_CTL_ADD, p[0], &ev));
}

static int do_sysv_shm(void) {
        int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
        if (id < 0)
                return errno;
        return err(shmctl(id, IPC_RMID, NULL));
}

/* add_key and keyctl make no upcall: only request_key() is refused */
static int do_add_key(void) {
        return err(syscall(SYS_add_key, "user", "nonet-differ", "x", 1, -2 /* KEY_SPEC_PROCESS_KEYRING */));
}

/* A program that sandboxes itself (chromium, firefox, systemd services): its own seccomp
 * filter and its own Landlock domain, beneath nonet's. */
static int do_seccomp_own(void) {
        struct sock_filter allow[] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
        struct sock_fprog prog = { .len = 1, .filter = allow };
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return setup_failed();
        return err(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

static int do_landlock_own(void) {
        struct landlock_ruleset_attr attr = { .handled_access_fs = LANDLOCK_ACCESS_FS_EXECUTE };
        int fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (fd < 0)
                return errno;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return setup_failed();
        return err(syscall(SYS_landlock_restrict_self, fd, 0));
}

/* --- unix sockets --- */

/* One byte each way on a connected pair. */
static int both_ways(int a, int b) {
        char c;
        if (send(a, "a", 1, 0) != 1 || recv(b, &c, 1, 0) != 1 || c != 'a')
                return errno ? errno : WRONG_VALUE;
        if (send(b, "b", 1, 0) != 1 || recv(a, &c, 1, 0) != 1 || c != 'b')
                return errno ? errno : WRONG_VALUE;
        return 0;
}

static int pair(int type) {
        int sv[2];
        if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) < 0)
                return errno;
        return both_ways(sv[0], sv[1]);
}

static int do_pair_stream(void) {
        return pair(SOCK_STREAM);
}

static int do_pair_dgram(void) {
        return pair(SOCK_DGRAM);
}

static int do_pair_seqpacket(void) {
        return pair(SOCK_SEQPACKET);
}

static socklen_t address(struct sockaddr_un *sa, const char *path, int abstract) {
        memset(sa, 0, sizeof(*sa));
        sa->sun_family = AF_UNIX;
        strncpy(sa->sun_path + !!abstract, path, sizeof(sa->sun_path) - 2);
        return (socklen_t) (offsetof(struct sockaddr_un, sun_path) + !!abstract + strlen(path) + !abstract);
}

/* A listener bound at name, a client connected to it, one byte each way. */
static int connected(int type, const char *name, int abstract) {
        struct sockaddr_un sa;
        socklen_t len = address(&sa, name, abstract);
        int l = socket(AF_UNIX, type | SOCK_CLOEXEC, 0), c = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (l < 0 || c < 0)
                return errno;
        if (bind(l, (struct sockaddr *) &sa, len) < 0 || listen(l, 4) < 0 ||
            connect(c, (struct sockaddr *) &sa, len) < 0)
                return errno;
        int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        if (a < 0)
                return errno;
        return both_ways(a, c);
}

static int do_path_stream(void) {
        return connected(SOCK_STREAM, "s", 0);
}

static int do_path_seqpacket(void) {
        return connected(SOCK_SEQPACKET, "s", 0);
}

static int do_abstract_stream_inside(void) {
        char name[64];
        snprintf(name, sizeof(name), "nonet-differ-inside-%d", (int) getpid());
        return connected(SOCK_STREAM, name, 1);
}

static int do_path_dgram(void) {
        struct sockaddr_un sa, sb;
        socklen_t la = address(&sa, "a", 0), lb = address(&sb, "b", 0);
        int a = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), b = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (a < 0 || b < 0)
                return errno;
        if (bind(a, (struct sockaddr *) &sa, la) < 0 || bind(b, (struct sockaddr *) &sb, lb) < 0 ||
            connect(a, (struct sockaddr *) &sb, lb) < 0 || connect(b, (struct sockaddr *) &sa, la) < 0)
                return errno;
        return both_ways(a, b);
}

static int do_scm_rights(void) {
        int sv[2], p[2];
        char byte = 'x', control[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { &byte, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof(control) };
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 || pipe2(p, O_CLOEXEC) < 0)
                return setup_failed();
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &p[0], sizeof(int));
        if (sendmsg(sv[0], &msg, 0) != 1 || recvmsg(sv[1], &msg, MSG_CMSG_CLOEXEC) != 1)
                return errno;
        return CMSG_FIRSTHDR(&msg) && CMSG_FIRSTHDR(&msg)->cmsg_type == SCM_RIGHTS ? 0 : WRONG_VALUE;
}

static int do_peercred(void) {
        int sv[2];
        struct ucred cred;
        socklen_t len = sizeof(cred);
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
                return setup_failed();
        if (getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
                return errno;
        return cred.pid == getpid() ? 0 : WRONG_VALUE;
}

/* The helper outside echoes one byte on each connection. */
static int echo_outside(const char *name, int abstract) {
        struct sockaddr_un sa;
        socklen_t len = address(&sa, name, abstract);
        char c;
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return setup_failed();
        if (connect(fd, (struct sockaddr *) &sa, len) < 0 || send(fd, "o", 1, 0) != 1)
                return errno;
        ssize_t n = recv(fd, &c, 1, 0);
        return n < 0 ? errno : n == 1 && c == 'o' ? 0 : WRONG_VALUE;
}

static int do_outside_path_stream(void) {
        char path[108];
        snprintf(path, sizeof(path), "%s/outside.sock", helper_dir);
        return echo_outside(path, 0);
}

static int do_outside_abstract_stream(void) {
        char name[64];
        snprintf(name, sizeof(name), "nonet-differ-%d", (int) outside_pid);
        return echo_outside(name, 1);
}

static int do_outside_path_dgram(void) {
        struct sockaddr_un sa;
        char path[108];
        snprintf(path, sizeof(path), "%s/outside-dgram.sock", helper_dir);
        socklen_t len = address(&sa, path, 0);
        int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return setup_failed();
        return err(sendto(fd, "o", 1, 0, (struct sockaddr *) &sa, len));
}

/* --- namespaces (browsers' sandboxes) --- */

static int write_file(const char *path, const char *text) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = write(fd, text, strlen(text));
        close(fd);
        return n == (ssize_t) strlen(text) ? 0 : -1;
}

/* A new user namespace with the caller as root in it, and others given in flags. */
static int new_userns(int flags) {
        char map[64];
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(CLONE_NEWUSER | flags) < 0)
                return -1;
        snprintf(map, sizeof(map), "0 %u 1\n", (unsigned) uid);
        if (write_file("/proc/self/uid_map", map) < 0 || write_file("/proc/self/setgroups", "deny") < 0)
                return -1;
        snprintf(map, sizeof(map), "0 %u 1\n", (unsigned) gid);
        return write_file("/proc/self/gid_map", map);
}

static int do_userns(void) {
        return err(unshare(CLONE_NEWUSER));
}

static int do_userns_mapped(void) {
        return err(new_userns(0));
}

static int do_userns_netns(void) {
        return err(new_userns(CLONE_NEWNET));
}

static int do_userns_rename_dirs(void) {
        if (new_userns(0) < 0 || two_dirs(".") < 0)
                return setup_failed();
        return err(rename("a/f", "b/f"));
}

static int do_mountns_private(void) {
        if (new_userns(CLONE_NEWNS) < 0)
                return setup_failed();
        return err(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
}

/* A user and mount namespace with a tmpfs of its own on ./m. */
static int new_tmpfs(void) {
        if (new_userns(CLONE_NEWNS) < 0 || mkdir("m", 0755) < 0)
                return -1;
        return mount("tmpfs", "m", "tmpfs", 0, "mode=0755");
}

static int do_mountns_tmpfs(void) {
        if (new_userns(CLONE_NEWNS) < 0 || mkdir("m", 0755) < 0)
                return setup_failed();
        return err(mount("tmpfs", "m", "tmpfs", 0, "mode=0755"));
}

static int do_mountns_bind(void) {
        if (new_userns(CLONE_NEWNS) < 0 || two_dirs(".") < 0)
                return setup_failed();
        return err(mount("a", "b", NULL, MS_BIND, NULL));
}

static int do_mountns_rename_dirs(void) {
        if (new_tmpfs() < 0 || two_dirs("m") < 0)
                return setup_failed();
        return err(rename("m/a/f", "m/b/f"));
}

static int do_mountns_pivot_root(void) {
        if (new_tmpfs() < 0 || mkdir("m/old", 0755) < 0)
                return setup_failed();
        return err(syscall(SYS_pivot_root, "m", "m/old"));
}

static const struct corpus_case {
        const char *name;
        int (*run)(void);
} corpus[] = {
        { "rename_same_dir", do_rename_same_dir },
        { "rename_dirs", do_rename_dirs },
        { "rename_dir_dirs", do_rename_dir_dirs },
        { "rename_exchange_dirs", do_rename_exchange_dirs },
        { "rename_noreplace_dirs", do_rename_noreplace_dirs },
        { "link_same_dir", do_link_same_dir },
        { "link_dirs", do_link_dirs },
        { "tmpfile_link_dirs", do_tmpfile_link_dirs },
        { "rename_mounts", do_rename_mounts },
        { "link_mounts", do_link_mounts },
        { "rename_shm_dirs", do_rename_shm_dirs },
        { "rename_into_unix_path", do_rename_into_unix_path },
        { "link_into_unix_path", do_link_into_unix_path },
        { "rename_out_of_unix_path", do_rename_out_of_unix_path },
        { "link_out_of_unix_path", do_link_out_of_unix_path },
        { "exchange_unix_path", do_exchange_unix_path },
        { "open_shm_file", do_open_shm_file },
        { "mkdir_rmdir", do_mkdir_rmdir },
        { "symlink_readlink", do_symlink_readlink },
        { "unlink", do_unlink },
        { "truncate", do_truncate },
        { "ftruncate", do_ftruncate },
        { "open_trunc", do_open_trunc },
        { "fallocate", do_fallocate },
        { "mkfifo", do_mkfifo },
        { "mknod_fifo", do_mknod_fifo },
        { "mknod_socket", do_mknod_socket },
        { "mknod_char", do_mknod_char },
        { "mknod_block", do_mknod_block },
        { "chmod", do_chmod },
        { "fchmod", do_fchmod },
        { "chown_self", do_chown_self },
        { "utimensat", do_utimensat },
        { "setxattr_user", do_setxattr_user },
        { "flock", do_flock },
        { "ofd_lock", do_ofd_lock },
        { "copy_file_range", do_copy_file_range },
        { "ficlone", do_ficlone },
        { "fs_ioc_getflags", do_getflags },
        { "mmap_shared", do_mmap_shared },
        { "statfs", do_statfs },
        { "execve_true", do_execve_true },
        { "execve_script", do_execve_script },
        { "open_dev_null", do_open_dev_null },
        { "open_dev_zero", do_open_dev_zero },
        { "open_dev_tty", do_open_dev_tty },
        { "open_dev_ptmx", do_open_dev_ptmx },
        { "pty_tcgets", do_pty_tcgets },
        { "pty_tcsets", do_pty_tcsets },
        { "pty_tiocgwinsz", do_pty_tiocgwinsz },
        { "pty_tiocswinsz", do_pty_tiocswinsz },
        { "pipe_fionread", do_pipe_fionread },
        { "kill_0_outside", do_kill_0_outside },
        { "kill_usr1_outside", do_kill_usr1_outside },
        { "kill_cont_outside", do_kill_cont_outside },
        { "pidfd_signal_outside", do_pidfd_signal_outside },
        { "proc_stat_outside", do_proc_stat_outside },
        { "proc_status_outside", do_proc_status_outside },
        { "proc_cmdline_outside", do_proc_cmdline_outside },
        { "proc_environ_outside", do_proc_environ_outside },
        { "proc_maps_outside", do_proc_maps_outside },
        { "proc_fd_outside", do_proc_fd_outside },
        { "ptrace_child", do_ptrace_child },
        { "proc_self_mountinfo", do_proc_self_mountinfo },
        { "pipe2", do_pipe2 },
        { "eventfd", do_eventfd },
        { "memfd", do_memfd },
        { "inotify", do_inotify },
        { "fanotify_init", do_fanotify_init },
        { "fanotify_mark", do_fanotify_mark },
        { "userfaultfd", do_userfaultfd },
        { "userfaultfd_user_mode", do_userfaultfd_user_mode },
        { "timerfd", do_timerfd },
        { "signalfd", do_signalfd },
        { "epoll", do_epoll },
        { "sysv_shm", do_sysv_shm },
        { "add_key", do_add_key },
        { "seccomp_own", do_seccomp_own },
        { "landlock_own", do_landlock_own },
        { "pair_stream", do_pair_stream },
        { "pair_dgram", do_pair_dgram },
        { "pair_seqpacket", do_pair_seqpacket },
        { "path_stream", do_path_stream },
        { "path_dgram", do_path_dgram },
        { "path_seqpacket", do_path_seqpacket },
        { "abstract_stream_inside", do_abstract_stream_inside },
        { "scm_rights", do_scm_rights },
        { "peercred", do_peercred },
        { "outside_path_stream", do_outside_path_stream },
        { "outside_path_dgram", do_outside_path_dgram },
        { "outside_abstract_stream", do_outside_abstract_stream },
        { "userns", do_userns },
        { "userns_mapped", do_userns_mapped },
        { "userns_netns", do_userns_netns },
        { "userns_rename_dirs", do_userns_rename_dirs },
        { "mountns_private", do_mountns_private },
        { "mountns_tmpfs", do_mountns_tmpfs },
        { "mountns_bind", do_mountns_bind },
        { "mountns_rename_dirs", do_mountns_rename_dirs },
        { "mountns_pivot_root", do_mountns_pivot_root },
};

static void print_result(const char *name, int r) {
        const char *e = strerrorname_np(r < 0 ? -r : r);
        if (r == 0)
                printf("%s ok\n", name);
        else if (r == WRONG_VALUE)
                printf("%s wrong-value\n", name);
        else if (e)
                printf("%s %s%s\n", name, r < 0 ? "setup-" : "", e);
        else
                printf("%s %s%d\n", name, r < 0 ? "setup-" : "", r < 0 ? -r : r);
}

/* Each case in a child of its own, in a directory of its own: its descriptors, namespaces
 * and files do not reach the next. */
static void run_case(const struct corpus_case *c) {
        int p[2], r = 0, status;
        if (mkdir(c->name, 0755) < 0 || pipe2(p, O_CLOEXEC) < 0) {
                print_result(c->name, -errno);
                return;
        }
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
                alarm(CASE_TIMEOUT);
                errno = 0;
                r = chdir(c->name) < 0 ? setup_failed() : c->run();
                (void) !write(p[1], &r, sizeof(r));
                _exit(0);
        }
        close(p[1]);
        ssize_t n = pid < 0 ? -1 : read(p[0], &r, sizeof(r));
        close(p[0]);
        if (pid > 0 && waitpid(pid, &status, 0) > 0 && WIFSIGNALED(status))
                printf("%s signal %d\n", c->name, WTERMSIG(status));
        else
                print_result(c->name, n == (ssize_t) sizeof(r) ? r : -EPIPE);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) remove(path);
        return 0;
}

static volatile sig_atomic_t signals_seen;

static void on_signal(int sig) {
        signals_seen++;
}

/* A socket of type bound at name (abstract or a path), listening if it is a stream; or -1. */
static int listener(int type, const char *name, int abstract) {
        struct sockaddr_un sa;
        socklen_t len = address(&sa, name, abstract);
        int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &sa, len) < 0 || (type == SOCK_STREAM && listen(fd, 16) < 0))
                return -1;
        return fd;
}

/* Listens on DIR/outside.sock, DIR/outside-dgram.sock and the abstract nonet-differ-PID;
 * echoes one byte on each stream connection; takes SIGUSR1 and lives on. */
static int helper(const char *dir) {
        char path[108], dgram[108], name[64];
        snprintf(path, sizeof(path), "%s/outside.sock", dir);
        snprintf(dgram, sizeof(dgram), "%s/outside-dgram.sock", dir);
        snprintf(name, sizeof(name), "nonet-differ-%d", (int) getpid());
        struct pollfd fds[] = { { listener(SOCK_STREAM, path, 0), POLLIN, 0 },
                                { listener(SOCK_STREAM, name, 1), POLLIN, 0 },
                                { listener(SOCK_DGRAM, dgram, 0), POLLIN, 0 } };
        if (fds[0].fd < 0 || fds[1].fd < 0 || fds[2].fd < 0) {
                fprintf(stderr, "differ --helper: cannot listen in %s: %m\n", dir);
                return 1;
        }
        signal(SIGUSR1, on_signal);
        printf("ready\n");
        fflush(stdout);
        for (;;) {
                char c;
                if (poll(fds, 3, -1) < 0)
                        continue;
                if (fds[2].revents & POLLIN)
                        (void) !recv(fds[2].fd, &c, 1, MSG_DONTWAIT);
                for (int i = 0; i < 2; i++) {
                        int a = fds[i].revents & POLLIN ? accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC) : -1;
                        if (a >= 0 && recv(a, &c, 1, 0) == 1)
                                (void) !send(a, &c, 1, MSG_NOSIGNAL);
                        if (a >= 0)
                                close(a);
                }
        }
}

int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "--helper") == 0)
                return helper(argv[2]);
        if (argc != 4) {
                fprintf(stderr, "usage: differ DIR PID HELPERDIR | differ --helper HELPERDIR\n");
                return 2;
        }
        outside_pid = atoi(argv[2]);
        helper_dir = argv[3];
        if (chdir(argv[1]) < 0) {
                fprintf(stderr, "differ: cannot enter %s: %m\n", argv[1]);
                return 2;
        }
        snprintf(shm_dir, sizeof(shm_dir), "/dev/shm/nonet-differ-%d", (int) getpid());
        (void) mkdir(shm_dir, 0755);
        for (size_t i = 0; i < sizeof(corpus) / sizeof(corpus[0]); i++)
                run_case(&corpus[i]);
        nftw(shm_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}
