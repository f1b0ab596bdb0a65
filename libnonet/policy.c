/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The policy: its defaults, its attributes, and what it asks of the kernel. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define FAMILY_BIT(f) (UINT64_C(1) << (f))

void policy_init(struct nonet_policy *p) {
        *p = (struct nonet_policy) {
                .allow = FAMILY_BIT(AF_UNIX),
                .error = EAFNOSUPPORT,
                .landlock = NONET_LANDLOCK_AUTO,
                .unix_reach = NONET_UNIX_ALL,
                .refusals = NONET_REFUSE,
                .inherited = NONET_INHERITED_REFUSE,
                .netns = NONET_NETNS_HOST,
                .brokers = NONET_BROKERS_OPEN,
                .brokers_uid = NONET_UID_CALLER,
        };
}

static int conflict(int *ret_conflict, int which) {
        if (ret_conflict)
                *ret_conflict = which;
        return -EINVAL;
}

int policy_normalize(const struct nonet_policy *p, struct nonet_policy *ret, int *ret_conflict) {
        if (!p) {
                policy_init(ret);
                return 0;
        }
        if (!nonet_errno_to_name(p->error) || (unsigned) p->landlock >= _NONET_LANDLOCK_MAX ||
            (unsigned) p->unix_reach >= _NONET_UNIX_MAX || (unsigned) p->refusals >= _NONET_REFUSALS_MAX ||
            (unsigned) p->inherited >= _NONET_INHERITED_MAX || (unsigned) p->netns >= _NONET_NETNS_MAX ||
            (unsigned) p->brokers >= _NONET_BROKERS_MAX || p->brokers_uid > NONET_UID_CALLER)
                return -EINVAL;
        /* Only Landlock can tell a socket outside from one inside. */
        if (p->unix_reach != NONET_UNIX_ALL && p->landlock == NONET_LANDLOCK_OFF)
                return conflict(ret_conflict, NONET_CONFLICT_UNIX_WITHOUT_LANDLOCK);
        /* A dry run applies no Landlock: asking for it is asking for two things at once. */
        if (p->refusals == NONET_LOG_ONLY && (p->landlock == NONET_LANDLOCK_REQUIRE || p->unix_reach != NONET_UNIX_ALL))
                return conflict(ret_conflict, NONET_CONFLICT_DRY_RUN_LANDLOCK);
        if (p->n_unix_paths > 0 && p->unix_reach != NONET_UNIX_LISTED)
                return conflict(ret_conflict, NONET_CONFLICT_UNIX_PATHS);
        if (p->refusals == NONET_LOG_ONLY && p->netns != NONET_NETNS_HOST)
                return conflict(ret_conflict, NONET_CONFLICT_DRY_RUN_NETNS);
        /* without Landlock's ptrace scoping, /proc/PID/root of a process outside reaches past the masks */
        if (p->brokers == NONET_BROKERS_CLOSED && (p->landlock == NONET_LANDLOCK_OFF || p->refusals == NONET_LOG_ONLY))
                return conflict(ret_conflict, NONET_CONFLICT_BROKERS_WITHOUT_LANDLOCK);
        *ret = *p;
        ret->allow |= FAMILY_BIT(AF_UNIX);
        /* In a namespace of its own, inet and inet6 reach its own lo and nothing else. */
        if (p->netns == NONET_NETNS_PRIVATE_LOOPBACK)
                ret->allow |= POLICY_INET_FAMILIES;
        if (p->refusals == NONET_LOG_ONLY)
                ret->landlock = NONET_LANDLOCK_OFF;
        return 0;
}

struct nonet_policy *nonet_policy_new(void) {
        struct nonet_policy *p = malloc(sizeof(*p));
        if (p)
                policy_init(p);
        return p;
}

void nonet_policy_free(struct nonet_policy *p) {
        for (size_t i = 0; p && i < p->n_unix_paths; i++)
                free(p->unix_paths[i]);
        if (p)
                free(p->unix_paths);
        free(p);
}

int nonet_policy_add_unix_path(struct nonet_policy *p, const char *path) {
        if (!p || !path || path[0] != '/')
                return -EINVAL;
        char **paths = realloc(p->unix_paths, (p->n_unix_paths + 1) * sizeof(char *));
        if (!paths)
                return -ENOMEM;
        p->unix_paths = paths;
        if (!(paths[p->n_unix_paths] = strdup(path)))
                return -ENOMEM;
        p->n_unix_paths++;
        return 0;
}

int nonet_policy_set(struct nonet_policy *p, enum nonet_attr attr, uint64_t value) {
        if (!p)
                return -EINVAL;
        switch (attr) {
        case NONET_ATTR_ALLOW:
                p->allow = value | FAMILY_BIT(AF_UNIX);
                return 0;
        case NONET_ATTR_ERRNO:
                if (value > 4096 || !nonet_errno_to_name((int) value))
                        return -EINVAL;
                p->error = (int) value;
                return 0;
        case NONET_ATTR_LANDLOCK:
                if (value >= _NONET_LANDLOCK_MAX)
                        return -EINVAL;
                p->landlock = (enum nonet_landlock) value;
                return 0;
        case NONET_ATTR_UNIX:
                if (value >= _NONET_UNIX_MAX)
                        return -EINVAL;
                p->unix_reach = (enum nonet_unix) value;
                return 0;
        case NONET_ATTR_REFUSALS:
                if (value >= _NONET_REFUSALS_MAX)
                        return -EINVAL;
                p->refusals = (enum nonet_refusals) value;
                return 0;
        case NONET_ATTR_INHERITED:
                if (value >= _NONET_INHERITED_MAX)
                        return -EINVAL;
                p->inherited = (enum nonet_inherited) value;
                return 0;
        case NONET_ATTR_NETNS:
                if (value >= _NONET_NETNS_MAX)
                        return -EINVAL;
                p->netns = (enum nonet_netns) value;
                return 0;
        case NONET_ATTR_BROKERS:
                if (value >= _NONET_BROKERS_MAX)
                        return -EINVAL;
                p->brokers = (enum nonet_brokers) value;
                return 0;
        case NONET_ATTR_BROKERS_UID:
                if (value > NONET_UID_CALLER)
                        return -EINVAL;
                p->brokers_uid = value;
                return 0;
        case _NONET_ATTR_MAX:
                break;
        }
        return -EINVAL; /* an attribute of a newer library: refused, never ignored */
}

int nonet_policy_get(const struct nonet_policy *p, enum nonet_attr attr, uint64_t *ret_value) {
        if (!p || !ret_value)
                return -EINVAL;
        switch (attr) {
        case NONET_ATTR_ALLOW:
                *ret_value = p->allow;
                return 0;
        case NONET_ATTR_ERRNO:
                *ret_value = (uint64_t) p->error;
                return 0;
        case NONET_ATTR_LANDLOCK:
                *ret_value = p->landlock;
                return 0;
        case NONET_ATTR_UNIX:
                *ret_value = p->unix_reach;
                return 0;
        case NONET_ATTR_REFUSALS:
                *ret_value = p->refusals;
                return 0;
        case NONET_ATTR_INHERITED:
                *ret_value = p->inherited;
                return 0;
        case NONET_ATTR_NETNS:
                *ret_value = p->netns;
                return 0;
        case NONET_ATTR_BROKERS:
                *ret_value = p->brokers;
                return 0;
        case NONET_ATTR_BROKERS_UID:
                *ret_value = p->brokers_uid;
                return 0;
        case _NONET_ATTR_MAX:
                break;
        }
        return -EINVAL;
}
