/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Trust and drop-ins, the same for the table, the settings and systemd's units. */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "files.h"
#include "util.h"

static int trust_one(const char *path, const struct stat *st, uid_t owner, const struct diag *d) {
        if (st->st_uid != owner) {
                diag_say(d, DIAG_ERROR, "%s is owned by uid %u, not root: refusing to trust it", path,
                         (unsigned) st->st_uid);
                return -EPERM;
        }
        if (st->st_mode & (S_IWGRP | S_IWOTH)) {
                diag_say(d, DIAG_ERROR, "%s is writable by group or others (mode %04o): refusing to trust it", path,
                         (unsigned) (st->st_mode & 07777));
                return -EPERM;
        }
        return 0;
}

int trust_check(const char *path, const struct stat *st, uid_t owner, const struct diag *d) {
        struct stat own, dir_st;
        if (!st) {
                if (stat(path, &own) < 0) {
                        diag_say(d, DIAG_ERROR, "%s: cannot check who may write it: %m", path);
                        return -EPERM;
                }
                st = &own;
        }
        int r = trust_one(path, st, owner, d);
        if (r < 0)
                return r;
        _cleanup_free_ char *dir = strdup(path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (!slash)
                return 0; /* relative to the working directory: as the caller chose */
        slash[slash == dir] = '\0'; /* "/x" -> "/" */
        if (stat(dir, &dir_st) < 0)
                return 0; /* the file's own open would have failed */
        return trust_one(dir, &dir_st, owner, d);
}

static bool is_conf(const char *name) {
        size_t n = strlen(name);
        return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".conf") == 0;
}

int dropins_add_dir(struct dropin_list *l, const char *dir) {
        DIR *dh = opendir(dir);
        struct dirent *de;
        size_t rank = l->n ? l->items[l->n - 1].rank + 1 : 0;
        int r = 0;

        if (!dh)
                return errno == ENOENT || errno == ENOTDIR ? 0 : negative_errno();
        while (r >= 0 && (de = readdir(dh))) {
                if (!is_conf(de->d_name))
                        continue;
                struct dropin *p = realloc(l->items, (l->n + 1) * sizeof(*p));
                if (!p) {
                        r = -ENOMEM;
                        break;
                }
                l->items = p;
                p = &l->items[l->n];
                *p = (struct dropin) { .name = strdup(de->d_name), .rank = rank };
                if (!p->name || asprintf(&p->path, "%s/%s", dir, de->d_name) < 0) {
                        free(p->name);
                        r = -ENOMEM;
                        break;
                }
                l->n++;
        }
        closedir(dh);
        return r;
}

static int by_name_then_rank(const void *a, const void *b) {
        const struct dropin *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c != 0 ? c : x->rank < y->rank ? -1 : x->rank > y->rank;
}

void dropins_sort(struct dropin_list *l) {
        size_t kept = 0;
        if (l->n > 1)
                qsort(l->items, l->n, sizeof(*l->items), by_name_then_rank);
        for (size_t i = 0; i < l->n; i++) {
                if (kept > 0 && strcmp(l->items[kept - 1].name, l->items[i].name) == 0) {
                        free(l->items[i].name); /* masked by the same name in an earlier directory */
                        free(l->items[i].path);
                        continue;
                }
                l->items[kept++] = l->items[i];
        }
        l->n = kept;
}

void dropins_free(struct dropin_list *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->items[i].name);
                free(l->items[i].path);
        }
        free(l->items);
        *l = (struct dropin_list) { 0 };
}
