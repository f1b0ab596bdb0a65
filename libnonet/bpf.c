/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "bpf.h"

static bool alu(uint16_t op, uint32_t *a, uint32_t v) {
        switch (op) {
        case BPF_ADD: *a += v; return true;
        case BPF_SUB: *a -= v; return true;
        case BPF_MUL: *a *= v; return true;
        case BPF_DIV: if (v == 0) return false; *a /= v; return true;
        case BPF_MOD: if (v == 0) return false; *a %= v; return true;
        case BPF_OR: *a |= v; return true;
        case BPF_AND: *a &= v; return true;
        case BPF_XOR: *a ^= v; return true;
        case BPF_LSH: *a = v < 32 ? *a << v : 0; return true;
        case BPF_RSH: *a = v < 32 ? *a >> v : 0; return true;
        case BPF_NEG: *a = -*a; return true;
        default: return false;
        }
}

static bool jump(uint16_t op, uint32_t a, uint32_t v, bool *ret) {
        switch (op) {
        case BPF_JEQ: *ret = a == v; return true;
        case BPF_JGT: *ret = a > v; return true;
        case BPF_JGE: *ret = a >= v; return true;
        case BPF_JSET: *ret = (a & v) != 0; return true;
        default: return false;
        }
}

struct bpf_run bpf_run(const struct sock_filter *prog, size_t n, const struct seccomp_data *d) {
        struct bpf_run out = { BPF_BAD_PROGRAM, false };
        uint32_t A = 0, X = 0, mem[BPF_MEMWORDS] = { 0 };
        const uint8_t *data = (const uint8_t *) d;

        for (size_t pc = 0; pc < n; pc++) {
                const struct sock_filter *i = &prog[pc];
                uint16_t cls = BPF_CLASS(i->code);
                bool taken;
                switch (i->code) {
                case BPF_LD | BPF_W | BPF_ABS:
                        if (i->k % 4 != 0 || i->k > sizeof(*d) - 4) /* i->k + 4 would wrap for a large k */
                                return out;
                        memcpy(&A, data + i->k, 4);
                        out.read_args = out.read_args || i->k >= offsetof(struct seccomp_data, args);
                        continue;
                case BPF_LD | BPF_W | BPF_LEN:
                        A = sizeof(*d);
                        continue;
                case BPF_LDX | BPF_W | BPF_LEN:
                        X = sizeof(*d);
                        continue;
                case BPF_LD | BPF_IMM:
                        A = i->k;
                        continue;
                case BPF_LDX | BPF_IMM:
                        X = i->k;
                        continue;
                case BPF_LD | BPF_MEM:
                        A = mem[i->k % BPF_MEMWORDS];
                        continue;
                case BPF_LDX | BPF_MEM:
                        X = mem[i->k % BPF_MEMWORDS];
                        continue;
                case BPF_ST:
                        mem[i->k % BPF_MEMWORDS] = A;
                        continue;
                case BPF_STX:
                        mem[i->k % BPF_MEMWORDS] = X;
                        continue;
                case BPF_MISC | BPF_TAX:
                        X = A;
                        continue;
                case BPF_MISC | BPF_TXA:
                        A = X;
                        continue;
                case BPF_JMP | BPF_JA:
                        pc += i->k;
                        continue;
                case BPF_RET | BPF_K:
                        out.action = i->k;
                        return out;
                case BPF_RET | BPF_A:
                        out.action = A;
                        return out;
                }
                if (cls == BPF_ALU && alu(BPF_OP(i->code), &A, BPF_SRC(i->code) == BPF_X ? X : i->k))
                        continue;
                if (cls == BPF_JMP && jump(BPF_OP(i->code), A, BPF_SRC(i->code) == BPF_X ? X : i->k, &taken)) {
                        pc += taken ? i->jt : i->jf;
                        continue;
                }
                return out;
        }
        return out;
}

uint32_t bpf_stronger(uint32_t a, uint32_t b) {
        /* as the kernel: the lower action, read as signed (KILL_PROCESS is 0x80000000) */
        return (int32_t) (a & SECCOMP_RET_ACTION_FULL) < (int32_t) (b & SECCOMP_RET_ACTION_FULL) ? a : b;
}
