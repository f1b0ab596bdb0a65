/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The seccomp layer written out (nonet_filter_export()): as the filter (filter.c), or as an OCI
 * runtime's profile (oci.c), which both read the filter's rules. */

#include <errno.h>

#include "internal.h"
#include "oci.h"

int nonet_filter_export(const struct nonet_policy *policy, enum nonet_filter_format format, int fd) {
        switch (format) {
        case NONET_FILTER_PFC:
        case NONET_FILTER_BPF:
                return filter_export(policy, format == NONET_FILTER_BPF, fd);
        case NONET_FILTER_OCI:
                return oci_export(policy, fd);
        default:
                return -EINVAL;
        }
}
