/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "calls.h"
#include "util.h"

const struct refused_call refused_calls[] = {
        /* Ring operations (IORING_OP_SOCKET) bypass seccomp; ENOSYS makes runtimes use epoll. */
        { "io_uring_setup", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "io_uring_enter", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "io_uring_register", ENOSYS, "ENOSYS", REFUSED_ALWAYS },
        { "ptrace", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "process_vm_readv", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "process_vm_writev", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
        { "pidfd_getfd", EPERM, "EPERM", REFUSED_WITHOUT_LANDLOCK },
};
const size_t n_refused_calls = ELEMENTSOF(refused_calls);
