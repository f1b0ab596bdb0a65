/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * A classic-BPF interpreter for seccomp programs: the filter libnonet would load is
 * read as a table in the tests, and the filters of another process are read to say
 * whether its network is off. An instruction it does not know fails, never guesses.
 */

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPF_BAD_PROGRAM 0xdeadbeefU

struct bpf_run {
        uint32_t action;
        bool read_args; /* the path taken loaded a syscall argument */
};

struct bpf_run bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d);

/* Of two actions, the one the kernel takes when filters disagree (KILL over ERRNO over ALLOW). */
uint32_t bpf_stronger(uint32_t a, uint32_t b);
