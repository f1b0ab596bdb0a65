/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seccomp layer as an OCI runtime's seccomp profile (linux.seccomp), alone or merged. */

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "nonet.h"

/* The policy's rules on a profile allowing everything else. -EOPNOTSUPP for what a profile
 * cannot say (a supervisor's notifications, a private loopback). */
int oci_profile(const struct nonet_policy *p, struct json **ret);

/* oci_merge() onto the profile in the file base, written to fd; where the file cannot be read or
 * merged, -errno with why ("cannot read it: ...", "cannot merge onto it: ..."). */
int oci_export_merged_file(const struct nonet_policy *p, const char *base, int fd, char *why, size_t why_size,
                           bool *ret_no_x86);

/* oci_profile() written to fd. */
int oci_export(const struct nonet_policy *p, int fd);

/* The policy's rules merged onto base, a profile's text (Docker's default.json, containers'
 * seccomp.json): its rules on the calls the policy refuses are replaced by rules that do not
 * overlap, and the rest kept. -EINVAL with why (file-free, as "line 3, column 5: ...") where
 * the base cannot be merged safely. *ret_no_x86: i386 was left out (see architectures()). */
int oci_merge(const struct nonet_policy *p, const char *base, size_t size, struct json **ret, char *why,
              size_t why_size, bool *ret_no_x86);

/* Whether profile gives nonet's verdict to every call nonet decides, on each ABI of this machine
 * it keeps, compiled as runc compiles it (oci_merge() asks it of what it writes); -EINVAL with
 * why where it does not. */
int oci_judge(const struct nonet_policy *p, const struct json *profile, char *why, size_t why_size);
