/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Users and their groups, through NSS with the thread-safe _r calls. */

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "util.h"

#define NSS_BUF_MAX (1024 * 1024)

static int passwd_entry(const char *name, struct passwd *pw, char **buf) {
        struct passwd *result = NULL;
        char *end;
        int e = 0;

        for (size_t size = 1024; size <= NSS_BUF_MAX; size *= 2) {
                char *p = realloc(*buf, size);
                if (!p)
                        return -ENOMEM;
                *buf = p;
                errno = 0;
                unsigned long uid = strtoul(name, &end, 10);
                if (name[0] >= '0' && name[0] <= '9' && *end == '\0' && uid < UINT32_MAX)
                        e = getpwuid_r((uid_t) uid, pw, p, size, &result);
                else
                        e = getpwnam_r(name, pw, p, size, &result);
                if (e != ERANGE)
                        break;
        }
        if (e != 0)
                return -e;
        return result ? 0 : -ESRCH;
}

static int group_name(gid_t gid, char **ret) {
        _cleanup_free_ char *buf = NULL;
        struct group gr, *result = NULL;
        int e = ERANGE;

        for (size_t size = 1024; e == ERANGE && size <= NSS_BUF_MAX; size *= 2) {
                char *p = realloc(buf, size);
                if (!p)
                        return -ENOMEM;
                buf = p;
                e = getgrgid_r(gid, &gr, buf, size, &result);
        }
        if (e != 0)
                return -e;
        *ret = NULL;
        if (result && !(*ret = strdup(gr.gr_name)))
                return -ENOMEM;
        return 0;
}

static int group_list(const char *name, gid_t gid, gid_t **ret, size_t *ret_n) {
        int n = 64;
        for (;;) {
                gid_t *g = malloc((size_t) n * sizeof(gid_t));
                int want = n;
                if (!g)
                        return -ENOMEM;
                if (getgrouplist(name, gid, g, &want) >= 0) {
                        *ret = g, *ret_n = (size_t) want;
                        return 0;
                }
                free(g);
                if (want <= n || want > 65536)
                        return -EIO;
                n = want;
        }
}

void user_done(struct account *u) {
        for (size_t i = 0; u->group_names && i < u->n_groups; i++)
                free(u->group_names[i]);
        free(u->group_names);
        free(u->groups);
        free(u->name);
        *u = (struct account) { 0 };
}

int user_lookup(const char *name, struct account *ret) {
        _cleanup_free_ char *buf = NULL;
        struct account u = { 0 };
        struct passwd pw;
        int r;

        if (!name || !*name)
                return -EINVAL;
        r = passwd_entry(name, &pw, &buf);
        if (r < 0)
                return r;
        u.uid = pw.pw_uid, u.gid = pw.pw_gid;
        u.name = strdup(pw.pw_name);
        r = u.name ? group_list(u.name, u.gid, &u.groups, &u.n_groups) : -ENOMEM;
        if (r >= 0 && !(u.group_names = calloc(u.n_groups ? u.n_groups : 1, sizeof(char *))))
                r = -ENOMEM;
        for (size_t i = 0; r >= 0 && i < u.n_groups; i++)
                r = group_name(u.groups[i], &u.group_names[i]);
        if (r < 0) {
                user_done(&u);
                return r;
        }
        *ret = u;
        return 0;
}
