/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whose network is off: this process by trying, another by reading its filters. */

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ptrace.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bpf.h"
#include "internal.h"
#include "util.h"

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER 0x420c
#endif

#define ALL_FAMILIES (~UINT64_C(0))
#define BIT(f) (UINT64_C(1) << (f))
#define NO_SUCH_TYPE 15 /* SOCK_TYPE_MASK: the kernel says EINVAL before it creates or loads anything */

/* Whether pid is a child of the calling process (PPid in its /proc/PID/status). */
static bool is_child(pid_t pid) {
        char path[64], buf[4096];
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return true; /* cannot tell: leave it for whoever may be its parent */
        buf[n] = '\0';
        const char *p = strstr(buf, "\nPPid:");
        return p && (pid_t) strtol(p + 6, NULL, 10) == getpid();
}

/* NoNewPrivs, Seccomp and Seccomp_filters of /proc/PID/status. */
static int read_proc_status(const char *path, struct nonet_status *s) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        char buf[8192];
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        buf[n] = '\0';
        static const struct {
                const char *key;
                size_t offset;
        } keys[] = {
                { "\nNoNewPrivs:", offsetof(struct nonet_status, no_new_privs) },
                { "\nSeccomp:", offsetof(struct nonet_status, seccomp_mode) },
                { "\nSeccomp_filters:", offsetof(struct nonet_status, seccomp_filters) },
        };
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const char *p = strstr(buf, keys[i].key);
                if (p)
                        *(int *) ((char *) s + keys[i].offset) = (int) strtol(p + strlen(keys[i].key), NULL, 10);
        }
        return 0;
}

/* Whether the network namespace of /proc/PID/net/dev has no interface but lo: inet kept there
 * reaches nothing but the process's own loopback. */
static bool only_loopback(const char *path) {
        char line[512];
        int n = 0;
        bool other = false;
        FILE *f = fopen(path, "re");
        if (!f)
                return false;
        while (fgets(line, sizeof(line), f))
                if (++n > 2) /* two header lines */
                        other = other || strncmp(line + strspn(line, " "), "lo:", 3) != 0;
        fclose(f);
        return n > 2 && !other;
}

/* The size of the first version of struct nonet_status: anything shorter is a caller's bug. */
#define STATUS_SIZE_MIN (offsetof(struct nonet_status, probed) + sizeof(uint64_t))

int nonet_status(struct nonet_status *ret, size_t size) {
        /* Families past the kernel's own last one get EAFNOSUPPORT before the type is looked at,
         * as if refused: only those it can have are probed. */
        struct nonet_status s = { .probed = BIT(AF_MAX) - 1, .filters_read = 1 };

        if (!ret || size < STATUS_SIZE_MIN)
                return -EINVAL;
        read_proc_status("/proc/self/status", &s);
        int r = landlock_abi();
        s.landlock_abi = r > 0 ? r : 0;
        s.landlock_rows = plan_landlock_rows(s.landlock_abi, NULL);
        for (int f = 0; f < AF_MAX; f++) {
                /* allowed: the kernel's EINVAL for the type; refused: whatever the filter says */
                r = (int) syscall(__NR_socket, f, NO_SUCH_TYPE, 0);
                if (r < 0 && errno != EINVAL)
                        s.refused |= BIT(f);
        }
        s.network = (s.refused & (BIT(AF_INET) | BIT(AF_INET6))) == (BIT(AF_INET) | BIT(AF_INET6)) ? NONET_NETWORK_OFF
                    : only_loopback("/proc/self/net/dev")                                         ? NONET_NETWORK_LOOPBACK
                                                                                                  : NONET_NETWORK_ON;
        /* nonet's other rows: TIOCSTI refused before the bad descriptor is seen, io_uring gone */
        int sti = ioctl(-1, TIOCSTI, ""), sti_errno = errno;
        int ring = (int) syscall(__NR_io_uring_setup, 0, NULL), ring_errno = errno;
        /* as for another process: nonet's filter by its other rows, whichever families it keeps */
        s.by_nonet = sti < 0 && sti_errno == EPERM && ring < 0 && ring_errno == ENOSYS;
        s.brokers_masked = mask_count("/proc/self/mountinfo");
        copy_out(ret, size, &s, sizeof(s));
        return 0;
}

#define BPF_MAXINSNS_ 4096 /* the kernel's limit on one filter: PTRACE_SECCOMP_GET_FILTER copies it whole */

/* Wait for the target's next stop, as its tracer. Its death is consumed only where the target
 * is not the caller's own child: that exit status is the caller's to reap. -ESRCH if it died. */
static int wait_stop(pid_t pid, int *ret_signal) {
        siginfo_t info;
        for (;;) {
                info = (siginfo_t) { 0 };
                if (waitid(P_PID, (id_t) pid, &info, WSTOPPED | WEXITED | WNOWAIT | __WALL) < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                if (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED) {
                        if (!is_child(pid))
                                waitid(P_PID, (id_t) pid, &info, WEXITED | __WALL);
                        return -ESRCH;
                }
                if (waitid(P_PID, (id_t) pid, &info, WSTOPPED | __WALL) < 0)
                        return negative_errno();
                /* A PTRACE_EVENT_STOP (our interrupt, or a group stop) carries no signal to pass on;
                 * a signal-delivery stop does: it is given back at detach, never dropped. */
                int event = (info.si_status >> 8) & 0xff;
                *ret_signal = info.si_code == CLD_TRAPPED && event == 0 ? (info.si_status & 0x7f) : 0;
                return 0;
        }
}

/* A process's filters, newest first, while it is stopped a moment; the number read. progs[i] is
 * set for each filter read, and only then. */
static int read_filters(pid_t pid, int count, struct sock_filter **progs, size_t *lens) {
        _cleanup_free_ struct sock_filter *buf = malloc(BPF_MAXINSNS_ * sizeof(*buf));
        int sig = 0, n = 0, e;

        if (!buf)
                return -ENOMEM;
        if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
                return negative_errno();
        e = ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ? negative_errno() : wait_stop(pid, &sig);
        if (e < 0) {
                ptrace(PTRACE_DETACH, pid, 0, 0);
                return e;
        }
        for (; n < count; n++) {
                long len = ptrace(PTRACE_SECCOMP_GET_FILTER, pid, n, buf);
                if (len <= 0 || len > BPF_MAXINSNS_)
                        break;
                if (!(progs[n] = malloc((size_t) len * sizeof(*buf))))
                        break;
                memcpy(progs[n], buf, (size_t) len * sizeof(*buf));
                lens[n] = (size_t) len;
        }
        e = n < count ? negative_errno() : 0;
        ptrace(PTRACE_DETACH, pid, 0, sig);
        return n == count ? n : (e < 0 ? e : -EIO);
}

/* One call of this machine's own ABI through one filter. */
static uint32_t run_call(const struct sock_filter *prog, size_t len, int nr, uint64_t a0, uint64_t a1) {
        struct seccomp_data d = { .nr = nr, .arch = seccomp_arch_native(), .args = { a0, a1 } };
        return bpf_run(prog, len, &d).action;
}

static bool action_refuses(uint32_t a) {
        uint32_t act = a & SECCOMP_RET_ACTION_FULL;
        return act == SECCOMP_RET_ERRNO || act == SECCOMP_RET_KILL_PROCESS || act == SECCOMP_RET_KILL_THREAD ||
               act == SECCOMP_RET_TRAP;
}

/* nonet's contract, refused or (dry run) logged: AF_UNIX kept, io_uring and TIOCSTI not
 * (whichever families the policy keeps besides). */
static bool is_nonets(const struct sock_filter *prog, size_t len) {
        uint32_t un = run_call(prog, len, __NR_socket, AF_UNIX, NO_SUCH_TYPE);
        uint32_t ring = run_call(prog, len, __NR_io_uring_setup, 0, 0);
        uint32_t sti = run_call(prog, len, __NR_ioctl, 0, TIOCSTI);
        if (un != SECCOMP_RET_ALLOW)
                return false;
        if ((ring & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG)
                return (sti & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG;
        return ring == (SECCOMP_RET_ERRNO | ENOSYS) && sti == (SECCOMP_RET_ERRNO | EPERM);
}

/* The verdict of the whole stack: for each family, the strongest action of all filters. */
static void judge(struct sock_filter **progs, const size_t *lens, int n, struct nonet_status *s) {
        bool logged = false;
        for (int f = 0; f < AF_MAX; f++) {
                uint32_t action = SECCOMP_RET_ALLOW;
                for (int i = 0; i < n; i++)
                        action = bpf_stronger(action, run_call(progs[i], lens[i], __NR_socket, (uint64_t) f, NO_SUCH_TYPE));
                if (action_refuses(action))
                        s->refused |= BIT(f);
                logged = logged || (f == AF_INET && (action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_LOG);
        }
        for (int i = 0; i < n; i++)
                s->by_nonet = s->by_nonet || is_nonets(progs[i], lens[i]);
        bool off = (s->refused & (BIT(AF_INET) | BIT(AF_INET6))) == (BIT(AF_INET) | BIT(AF_INET6));
        s->network = off ? NONET_NETWORK_OFF : logged && s->by_nonet ? NONET_NETWORK_DRY_RUN : NONET_NETWORK_ON;
}

int nonet_status_pid(pid_t pid, struct nonet_status *ret, size_t size) {
        /* the families this kernel has, as the self view probes them */
        struct nonet_status s = { .probed = BIT(AF_MAX) - 1, .seccomp_mode = -1 };
        char path[64];

        if (!ret || pid <= 0 || size < STATUS_SIZE_MIN)
                return -EINVAL;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        int r = read_proc_status(path, &s);
        if (r < 0)
                return r;
        r = landlock_abi();
        s.landlock_abi = r > 0 ? r : 0;
        s.landlock_rows = plan_landlock_rows(s.landlock_abi, NULL);
        if (s.seccomp_mode == 0) { /* no filter at all: nothing to read */
                s.network = NONET_NETWORK_ON;
                s.filters_read = 1;
        }
 else if (s.seccomp_mode == 2 && s.seccomp_filters > 0 && s.seccomp_filters <= 64) {
                struct sock_filter *progs[64] = { 0 };
                size_t lens[64] = { 0 };
                int n = read_filters(pid, s.seccomp_filters, progs, lens);
                if (n > 0) {
                        judge(progs, lens, n, &s);
                        s.filters_read = 1;
                }
                for (int i = 0; i < s.seccomp_filters; i++)
                        free(progs[i]); /* NULL where none was read */
        }
        snprintf(path, sizeof(path), "/proc/%d/net/dev", (int) pid);
        if (s.network == NONET_NETWORK_ON && only_loopback(path))
                s.network = NONET_NETWORK_LOOPBACK;
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int) pid);
        s.brokers_masked = mask_count(path);
        copy_out(ret, size, &s, sizeof(s));
        return 0;
}
