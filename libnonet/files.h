/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The administrator's files: whether to trust them, and drop-in directories. */

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

struct diag;

/*
 * Anyone but the owner (root) able to write a file, or the directory holding it, could
 * change what it says: 0 if path (whose stat is st, or NULL to stat it) and its directory
 * are owned by owner and writable by no group or other; -EPERM, said to d, if not.
 */
int trust_check(const char *path, const struct stat *st, uid_t owner, const struct diag *d);

struct dropin {
        char *name; /* "50-x.conf" */
        char *path; /* "<dir>/50-x.conf" */
        size_t rank; /* the order its directory was added in */
};

struct dropin_list {
        struct dropin *items;
        size_t n;
};

/* Add the *.conf of dir; -errno if dir exists but cannot be read. */
int dropins_add_dir(struct dropin_list *l, const char *dir);
/* By name, in C-locale order; of names given twice, the one of the directory added first. */
void dropins_sort(struct dropin_list *l);
void dropins_free(struct dropin_list *l);
