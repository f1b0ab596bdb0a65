/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An OCI seccomp profile compiled as a runtime compiles it, for the tests and the benchmark:
 * runc and crun hand each rule to libseccomp; Docker and podman first resolve archMap,
 * includes and excludes (here: a container without capabilities, on amd64). */

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>

#include "json.h"

/* The BPF program (malloc'd), or NULL where libseccomp refuses a rule (the runtime then fails
 * to start the container); *ret_x86: i386 is among its ABIs. */
struct sock_filter *profile_compile(const struct json *profile, size_t *ret_n, bool *ret_x86);
