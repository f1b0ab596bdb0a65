/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* For gen-prebuilt itself, which makes the prebuilt filters, and for cross builds: none. */

#include "internal.h"

const struct sock_fprog *prebuilt_filter(const struct nonet_policy *p, bool ptrace_scoped) {
        return NULL;
}

