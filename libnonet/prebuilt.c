/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The default policy's filters, compiled at build time (see gen-prebuilt.c). */

#include <errno.h>
#include <linux/filter.h>
#include <sys/socket.h>

#include "internal.h"
#include "prebuilt-filter.h"
#include "util.h"

const struct sock_fprog *prebuilt_filter(const struct nonet_policy *p, bool ptrace_scoped) {
        static const struct sock_fprog scoped = { ELEMENTSOF(prebuilt_scoped), (struct sock_filter *) prebuilt_scoped };
        static const struct sock_fprog unscoped = { ELEMENTSOF(prebuilt_unscoped),
                                                    (struct sock_filter *) prebuilt_unscoped };
        if (p->allow != (UINT64_C(1) << AF_UNIX) || p->error != EAFNOSUPPORT ||
            (p->refusals != NONET_REFUSE && p->refusals != NONET_REFUSE_AND_LOG))
                return NULL;
        return ptrace_scoped ? &scoped : &unscoped;
}
