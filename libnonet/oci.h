/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seccomp layer as an OCI runtime's seccomp profile (linux.seccomp), alone or merged. */

#include <stdbool.h>
#include <stddef.h>

#include "json.h"
#include "nonet.h"

/* The runtimes a profile is written for (--runtime), as Debian 12 ships them: each reads a
 * profile in one of three forms (the Go type it decodes into) and drops, without a word, any
 * member its form lacks; and takes, drops or refuses flags. */
enum oci_runtime {
        OCI_RUNTIME_ANY = 0, /* none named: the base's own form, and what each runtime makes of it said */
        OCI_RUNTIME_DOCKER = 1,
        OCI_RUNTIME_PODMAN = 2,
        OCI_RUNTIME_CRIO = 3,
        OCI_RUNTIME_CONTAINERD = 4,
        OCI_RUNTIME_RUNC = 5,
        OCI_RUNTIME_CRUN = 6,
        _OCI_RUNTIME_MAX,
};

/* -EINVAL for a name that is none of docker, podman, cri-o, containerd, runc, crun. */
int oci_runtime_from_name(const char *name, enum oci_runtime *ret);

/* What is said beside a profile written. */
struct oci_notes {
        bool no_x86;       /* i386 was left out (see architectures()) */
        char readers[2048]; /* with OCI_RUNTIME_ANY: the runtimes that would read it otherwise, why (a line each), or "" */
};

/* The policy's rules on a profile allowing everything else. -EOPNOTSUPP for what a profile
 * cannot say (a supervisor's notifications, a private loopback). */
int oci_profile(const struct nonet_policy *p, struct json **ret);

/* The profile alone (base NULL) or oci_merge()d onto the profile in the file base, for runtime,
 * written to fd. -ENOEXEC with why where runtime would read it otherwise than as written (a member
 * its form lacks, flags it drops or refuses); -EINVAL with why where the base cannot be read
 * ("cannot read it: ...") or merged ("cannot merge onto it: ..."). */
int oci_write(const struct nonet_policy *p, const char *base, enum oci_runtime runtime, int fd, char *why,
              size_t why_size, struct oci_notes *ret_notes);

/* oci_profile() written to fd. */
int oci_export(const struct nonet_policy *p, int fd);

/* The policy's rules merged onto base, a profile's text (Docker's default.json, containers'
 * seccomp.json): its rules on the calls the policy refuses are replaced by rules that do not
 * overlap, and the rest kept. -EINVAL with why (file-free, as "line 3, column 5: ...") where
 * the base cannot be merged safely; -ENOEXEC as oci_write(). */
int oci_merge(const struct nonet_policy *p, const char *base, size_t size, enum oci_runtime runtime,
              struct json **ret, char *why, size_t why_size, struct oci_notes *ret_notes);

/* Whether runtime reads profile as written: each member that says something is one its form has,
 * and its flags ones it takes; -ENOEXEC with why where not. With OCI_RUNTIME_ANY, 0, and the
 * runtimes that would not said in ret_notes->readers. */
int oci_check_runtime(const struct nonet_policy *p, const struct json *profile, enum oci_runtime runtime, char *why,
                      size_t why_size, struct oci_notes *ret_notes);

/* Whether profile gives nonet's verdict to every call nonet decides, on each ABI of this machine
 * it keeps, compiled as runc compiles it (oci_merge() asks it of what it writes); -EINVAL with
 * why where it does not. */
int oci_judge(const struct nonet_policy *p, const struct json *profile, char *why, size_t why_size);
