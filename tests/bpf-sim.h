/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once
/*
 * A classic-BPF interpreter for seccomp programs, so the filter libnonet
 * would load can be read as a table (arch, syscall, args -> action) without
 * loading it. Unknown instructions fail loudly rather than guess.
 */

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SIM_BAD_PROGRAM 0xdeadbeefU

struct sim_run {
        uint32_t action;
        bool read_args; /* the path taken loaded a syscall argument */
};

static inline struct sim_run bpf_sim(const struct sock_filter *prog, size_t n, const struct seccomp_data *d) {
        struct sim_run out = { SIM_BAD_PROGRAM, false };
        uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = { 0 };
        const uint8_t *data = (const uint8_t *) d;

        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *i = &prog[pc];
                switch (i->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k % 4 != 0 || i->k + 4 > sizeof(*d))
                                return out;
                        memcpy(&A, data + i->k, 4);
                        if (i->k >= offsetof(struct seccomp_data, args))
                                out.read_args = true;
                        break;
                case BPF_LD | BPF_MEM:
                        A = mem[i->k % BPF_MEMWORDS];
                        break;
                case BPF_LDX | BPF_MEM:
                        X = mem[i->k % BPF_MEMWORDS];
                        break;
                case BPF_ST:
                        mem[i->k % BPF_MEMWORDS] = A;
                        break;
                case BPF_STX:
                        mem[i->k % BPF_MEMWORDS] = X;
                        break;
                case BPF_ALU | BPF_AND | BPF_K:
                        A &= i->k;
                        break;
                case BPF_ALU | BPF_OR | BPF_K:
                        A |= i->k;
                        break;
                case BPF_MISC | BPF_TAX:
                        X = A;
                        break;
                case BPF_MISC | BPF_TXA:
                        A = X;
                        break;
                case BPF_JMP | BPF_JA:
                        pc += i->k;
                        break;
                case BPF_JMP | BPF_JEQ | BPF_K:
                        pc += A == i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGT | BPF_K:
                        pc += A > i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JGE | BPF_K:
                        pc += A >= i->k ? i->jt : i->jf;
                        break;
                case BPF_JMP | BPF_JSET | BPF_K:
                        pc += (A & i->k) ? i->jt : i->jf;
                        break;
                case BPF_RET | BPF_K:
                        out.action = i->k;
                        return out;
                case BPF_RET | BPF_A:
                        out.action = A;
                        return out;
                default:
                        return out;
                }
        }
        return out;
}
