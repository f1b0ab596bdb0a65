/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The plan: what a policy needs, what this kernel gives, and which Landlock ABI to
 * apply. Every rule about rows and ABIs lives here; restricting, checking, the status
 * and the front ends ask it.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "util.h"

/* The Landlock ABI that brings each of Landlock's rows (Documentation/userspace-api/landlock.rst). */
static const struct row_name {
        uint64_t row;
        const char *name;
        int abi;
} rows[] = {
        { NONET_ROW_NO_NEW_PRIVS, "no_new_privs", 0 },
        { NONET_ROW_FAMILIES, "families", 0 },
        { NONET_ROW_IO_URING, "io_uring", 0 },
        { NONET_ROW_TERMINAL, "terminal", 0 },
        { NONET_ROW_DEVICES, "devices", 0 },
        { NONET_ROW_KEYRING, "keyring", 0 },
        { NONET_ROW_DESCRIPTORS, "descriptors", 0 },
        { NONET_ROW_FASTOPEN, "fastopen", 0 },
        { NONET_ROW_PTRACE, "ptrace-refused", 0 },
        { NONET_ROW_LOOPBACK, "private-loopback", 0 },
        { NONET_ROW_BROKERS, "brokers-closed", 0 },
        /* a domain without net rights handles a filesystem right, which refuses every rename into
         * another directory unless REFER (ABI 2) is allowed: on ABI 1 seccomp refuses ptrace */
        { NONET_ROW_SCOPED, "ptrace", 2 },
        { NONET_ROW_TCP, "tcp", 4 },
        { NONET_ROW_UDP, "udp", 10 },
        { NONET_ROW_THREADS, "threads", 8 },
        { NONET_ROW_NO_ABSTRACT, "no-abstract", 6 },
        { NONET_ROW_LISTED, "listed", 9 },
};

int nonet_row_landlock_abi(uint64_t row) {
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (rows[i].row == row)
                        return rows[i].abi;
        return -EINVAL;
}

int nonet_rows_format(uint64_t set, char *buf, size_t size) {
        size_t used = 0;
        if (!buf || size == 0)
                return -EINVAL;
        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                if (!(set & rows[i].row))
                        continue;
                int n = snprintf(buf + used, size - used, "%s%s", used ? "," : "", rows[i].name);
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        if (used == 0 && snprintf(buf, size, "none") >= (int) size)
                return -ENOBUFS;
        return 0;
}

/* Whether Landlock's TCP and UDP rights apply: only where the policy refuses inet and inet6;
 * handled without a rule they would refuse every connect of a socket the policy lets it make. */
static bool polices_net(const struct nonet_policy *p) {
        return !(p->allow & POLICY_INET_FAMILIES);
}

/* The Landlock rows the policy asks of a domain (NULL: every one there is). */
static uint64_t landlock_rows_wanted(const struct nonet_policy *p) {
        if (!p)
                return NONET_ROWS_LANDLOCK;
        uint64_t want = NONET_ROW_SCOPED | NONET_ROW_THREADS;
        if (polices_net(p))
                want |= NONET_ROW_TCP | NONET_ROW_UDP;
        if (p->unix_reach != NONET_UNIX_ALL)
                want |= NONET_ROW_NO_ABSTRACT;
        if (p->unix_reach == NONET_UNIX_LISTED)
                want |= NONET_ROW_LISTED;
        return want;
}

uint64_t plan_landlock_rows(int abi, const struct nonet_policy *p) {
        uint64_t given = 0, want = landlock_rows_wanted(p);
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if (rows[i].abi > 0 && abi >= rows[i].abi && (want & rows[i].row))
                        given |= rows[i].row;
        return given;
}

/* The Landlock rows without which nothing is restricted: asked for explicitly, never dropped. */
static uint64_t landlock_rows_needed(const struct nonet_policy *p) {
        if (p->landlock == NONET_LANDLOCK_OFF)
                return 0;
        /* a unix level is asked for explicitly: its rows are needed whatever landlock says */
        uint64_t need = landlock_rows_wanted(p) & (NONET_ROW_NO_ABSTRACT | NONET_ROW_LISTED);
        if (p->landlock == NONET_LANDLOCK_REQUIRE)
                need |= NONET_ROW_SCOPED | (polices_net(p) ? NONET_ROW_TCP : 0);
        /* without it, /proc/PID/root of a process outside reaches past the masks */
        if (p->brokers == NONET_BROKERS_CLOSED)
                need |= NONET_ROW_SCOPED;
        return need;
}

static int rows_abi(uint64_t set) {
        int abi = 0;
        for (size_t i = 0; i < ELEMENTSOF(rows); i++)
                if ((set & rows[i].row) && rows[i].abi > abi)
                        abi = rows[i].abi;
        return abi;
}

bool plan_polices_net(const struct plan *pl) {
        return polices_net(&pl->policy);
}

uint64_t plan_held_allowed(const struct plan *pl) {
        uint64_t allow = pl->policy.allow;
        /* a held inet socket belongs to the host's namespace, however the private one is kept */
        if (pl->policy.netns == NONET_NETNS_PRIVATE_LOOPBACK)
                allow &= ~POLICY_INET_FAMILIES;
        return allow;
}

#define SECCOMP_ROWS                                                                                                   \
        (NONET_ROW_NO_NEW_PRIVS | NONET_ROW_FAMILIES | NONET_ROW_IO_URING | NONET_ROW_TERMINAL | NONET_ROW_DEVICES | \
         NONET_ROW_KEYRING)

int plan_make(const struct nonet_policy *policy, int kernel_abi, struct plan *ret, struct nonet_result *r) {
        int conflict = NONET_CONFLICT_NONE;
        int e = policy_normalize(policy, &ret->policy, &conflict);

        if (e < 0) {
                r->failed = NONET_LAYER_POLICY;
                r->conflict = conflict;
                return e;
        }
        const struct nonet_policy *p = &ret->policy;
        ret->kernel_abi = kernel_abi;
        ret->tcp_held = false;
        r->landlock_abi = kernel_abi > 0 ? kernel_abi : 0;
        if (p->refusals == NONET_LOG_ONLY) {
                /* A dry run refuses nothing, and every Landlock rule refuses: none is applied. */
                ret->abi = 0;
                ret->rows = ret->needed = NONET_ROW_NO_NEW_PRIVS;
                return 0;
        }
        uint64_t landlock_need = landlock_rows_needed(p);
        r->landlock_needed = rows_abi(landlock_need);
        uint64_t netns = (p->netns == NONET_NETNS_PRIVATE_LOOPBACK ? NONET_ROW_LOOPBACK : 0) |
                         (p->brokers == NONET_BROKERS_CLOSED ? NONET_ROW_BROKERS : 0);
        ret->needed = SECCOMP_ROWS | landlock_need | netns |
                      (p->inherited != NONET_INHERITED_ACCEPT ? NONET_ROW_DESCRIPTORS : 0);
        ret->abi = p->landlock == NONET_LANDLOCK_OFF || kernel_abi <= 0 ? 0 : kernel_abi;
        uint64_t landlock_given = plan_landlock_rows(ret->abi, p);
        if (landlock_given == 0)
                ret->abi = 0; /* no domain: seccomp refuses ptrace and its kin */
        ret->rows = SECCOMP_ROWS | landlock_given | (landlock_given & NONET_ROW_SCOPED ? 0 : NONET_ROW_PTRACE) |
                    (ret->needed & (NONET_ROW_DESCRIPTORS | NONET_ROW_LOOPBACK | NONET_ROW_BROKERS));
        if ((ret->needed & ~ret->rows) != 0) {
                r->failed = NONET_LAYER_LANDLOCK;
                r->rows_needed = ret->needed; /* what it demands, for the message */
                /* -ENOSYS: not built in; -EOPNOTSUPP: disabled at boot; else too old */
                return kernel_abi < 0 ? kernel_abi : -EPROTONOSUPPORT;
        }
        return 0;
}
