/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The supervisor's side of NONET_REFUSE_AND_NOTIFY: each refused call, told and answered with
 * its refusal. Only registers are read (the call's number, its family and command) and the
 * caller's name, never its memory, and the answer is never "go on".
 */

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"
#include "util.h"

/* The caller's name, read while its call is held: it cannot exit before the answer (but by
 * SIGKILL), and the notification still valid after the read means the pid was still its, not
 * a new process's that took the number. "" when it cannot be known. */
static void held_comm(int fd, const struct seccomp_notif *req, char *buf, size_t size) {
        char path[64];
        ssize_t n = -1;
        snprintf(path, sizeof(path), "/proc/%u/comm", req->pid);
        int f = open(path, O_RDONLY | O_CLOEXEC);
        if (f >= 0) {
                n = read(f, buf, size - 1);
                close(f);
        }
        if (n < 0 || seccomp_notify_id_valid(fd, req->id) < 0)
                n = 0;
        buf[n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
}

int nonet_refusal_next(int fd, const struct nonet_policy *policy, struct nonet_refusal *ret, size_t size) {
        struct nonet_refusal out = { 0 };
        struct seccomp_notif *req = NULL;
        struct seccomp_notif_resp *resp = NULL;
        struct nonet_policy p;
        int e;

        if (fd < 0 || (ret && size < offsetof(struct nonet_refusal, call)))
                return -EINVAL;
        if ((e = policy_normalize(policy, &p, NULL)) < 0)
                return e;
        if ((e = seccomp_notify_alloc(&req, &resp)) < 0)
                return e;
        e = seccomp_notify_receive(fd, req);
        if (e >= 0) {
                const struct seccomp_data *d = &req->data;
                out.pid = (int) req->pid, out.arch = d->arch, out.nr = d->nr;
                out.error = refusal_errno(&p, d->arch, d->nr, d->args[0], d->args[1], out.call, sizeof(out.call));
                held_comm(fd, req, out.comm, sizeof(out.comm));
                resp->id = req->id;
                resp->val = 0;
                resp->error = -out.error;
                resp->flags = 0; /* never SECCOMP_USER_NOTIF_FLAG_CONTINUE */
                e = seccomp_notify_respond(fd, resp);
        }
        seccomp_notify_free(req, resp);
        copy_out(ret, size, &out, sizeof(out));
        return e;
}
