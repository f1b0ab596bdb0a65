/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Users and their groups, through NSS with the thread-safe _r calls. */

#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "util.h"

#define NSS_BUF_MAX (1024 * 1024)

/* By name or, where by_number and name is a number, by uid. 0, -ESRCH, or -errno. */
static int passwd_entry(const char *name, bool by_number, struct passwd *pw, char **buf) {
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
                if (by_number && name[0] >= '0' && name[0] <= '9' && *end == '\0' && uid < UINT32_MAX)
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

/* A group by name. 1, 0 if NSS has no such group, or -errno where it cannot answer: glibc returns
 * 0 for NSS_STATUS_NOTFOUND and the module's errno for UNAVAIL and TRYAGAIN (nss/getXXbyYY_r.c),
 * which is how an unreachable directory shows (nslcd's missing socket: ENOENT). */
static int group_entry(const char *name, struct group *gr, char **buf) {
        struct group *result = NULL;
        int e = ERANGE;

        for (size_t size = 1024; e == ERANGE && size <= NSS_BUF_MAX; size *= 2) {
                char *p = realloc(*buf, size);
                if (!p)
                        return -ENOMEM;
                *buf = p;
                e = getgrnam_r(name, gr, p, size, &result);
        }
        if (e != 0)
                return -e;
        return result ? 1 : 0;
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

/* NSS is asked only what a decision needs, each thing once: a directory that hangs costs a login
 * one wait where it can (the group's own lookup), not one per question. */
struct group_answers {
        size_t n;
        struct {
                char *name;
                int answer; /* as account_in_group() */
        } *items;
        int listed;   /* getgrouplist() asked: 1, or -errno; 0 not yet */
        gid_t *gids;  /* its answer */
        size_t n_gids;
};

static void answers_free(struct group_answers *a) {
        if (!a)
                return;
        for (size_t i = 0; i < a->n; i++)
                free(a->items[i].name);
        free(a->items);
        free(a->gids);
        free(a);
}

void user_done(struct account *u) {
        for (size_t i = 0; u->group_names && i < u->n_groups; i++)
                free(u->group_names[i]);
        free(u->group_names);
        free(u->groups);
        free(u->name);
        answers_free(u->asked);
        *u = (struct account) { 0 };
}

int account_has_gid(const struct account *u, gid_t gid) {
        struct group_answers *a = u->asked;
        const gid_t *gids = u->groups;
        size_t n = u->n_groups;

        if (gid == u->gid)
                return 1;
        if (a) {
                if (a->listed == 0)
                        a->listed = group_list(u->name, u->gid, &a->gids, &a->n_gids) < 0 ? -EIO : 1;
                if (a->listed < 0)
                        return a->listed;
                gids = a->gids, n = a->n_gids;
        }
        for (size_t i = 0; i < n; i++)
                if (gids[i] == gid)
                        return 1;
        return 0;
}

/* getgrouplist() alone is not the truth: glibc skips a source that cannot answer and returns
 * success with the groups of the others, so a directory's groups vanish while it is down; and
 * sssd gives a local user none of its domain's groups. The group's own entry is asked first. */
static int ask_group(const struct account *u, const char *name) {
        _cleanup_free_ char *buf = NULL;
        struct group gr;
        int r = group_entry(name, &gr, &buf);

        if (r <= 0)
                return r;
        for (char **m = gr.gr_mem; m && *m; m++)
                if (strcmp(*m, u->name) == 0)
                        return 1;
        return account_has_gid(u, gr.gr_gid);
}

/* Where an answer cannot be kept (out of memory), it is asked again next time: no harm but time. */
static void keep_answer(struct group_answers *a, const char *name, int answer) {
        void *p = realloc(a->items, (a->n + 1) * sizeof(*a->items));
        char *copy = strdup(name);
        if (p)
                a->items = p;
        if (p && copy) {
                a->items[a->n].name = copy;
                a->items[a->n++].answer = answer;
        } else
                free(copy);
}

int account_in_group(const struct account *u, const char *name) {
        struct group_answers *a = u->asked;

        if (!a) { /* an account made by hand (tests): its groups are the whole truth */
                for (size_t i = 0; i < u->n_groups; i++)
                        if (u->group_names && u->group_names[i] && strcmp(u->group_names[i], name) == 0)
                                return 1;
                return 0;
        }
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->items[i].name, name) == 0)
                        return a->items[i].answer;
        int answer = ask_group(u, name);
        keep_answer(a, name, answer);
        return answer;
}

int group_known(const char *name) {
        _cleanup_free_ char *buf = NULL;
        struct group gr;
        return group_entry(name, &gr, &buf);
}

int user_known(const char *name) {
        _cleanup_free_ char *buf = NULL;
        struct passwd pw;
        int r = passwd_entry(name, false, &pw, &buf); /* a table's "1000" is a name, never a uid */
        return r == -ESRCH ? 0 : r < 0 ? r : 1;
}

int user_lookup(const char *name, struct account *ret) {
        _cleanup_free_ char *buf = NULL;
        struct account u = { 0 };
        struct passwd pw;
        int r;

        if (!name || !*name)
                return -EINVAL;
        r = passwd_entry(name, true, &pw, &buf);
        if (r < 0)
                return r;
        u.uid = pw.pw_uid, u.gid = pw.pw_gid;
        u.name = strdup(pw.pw_name);
        r = u.name && (u.asked = calloc(1, sizeof(*u.asked))) ? 0 : -ENOMEM;
        if (r < 0) {
                user_done(&u);
                return r;
        }
        *ret = u;
        return 0;
}
