/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* systemd's units: what each says about the network, the tree of them on a search path,
 * and the drop-in that gives a service the contract. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "admin.h"

struct unit_value {
        bool set;
        char value[256];
        char source[512]; /* "path:line" of the last assignment */
};

struct unit_info {
        struct unit_value off;  /* X-NetworkOff= or NetworkOff= */
        struct unit_value user; /* User= */
};

/* Apply the [Service] assignments of one file (a unit or a drop-in), in order. */
int unit_read(const char *path, struct unit_info *u, const struct diag *d);
int unit_read_stream(FILE *f, const char *path, struct unit_info *u, const struct diag *d);

/* X-NetworkOff=: 1 with the families to keep, 0 for "no", 2 for "loopback" (a private loopback:
 * inet and inet6 kept, in a network namespace of its own), -ENOENT if unset. A value that is
 * neither a boolean, loopback nor families turns the network off. */
int unit_network_off(const struct unit_value *v, uint64_t *ret_allow, const struct diag *d);

/* The unit's own setting first; else the table's verdict for its User= (NULL: none). */
void unit_decide(const struct unit_info *u, const struct verdict *user_verdict, struct verdict *ret,
                 const struct diag *d);

/* The drop-in that gives a service the contract, in systemd's own directives (malloc'd). */
int unit_dropin_format(const struct nonet_policy *p, bool user_scope, const char *why, char **ret);

/* Whether a unit (by name; a template's instances too) brings up the machine's network itself:
 * turning its network off can take the machine off the net. */
bool unit_provides_network(const char *unit);

struct unit_context {
        bool user_scope;                 /* a user manager's units: User= means nothing there */
        const struct settings *settings;
        const struct table *table;       /* NULL: unusable, closed for every User= */
        const struct diag *diag;
};

/* systemd's unit search path (from libsystemd, loaded on demand), highest priority first,
 * without the directories in exclude (a generator's own output). -EOPNOTSUPP without libsystemd. */
int unit_search_path(bool user_scope, char *const *exclude, char ***ret);
void strv_free(char **l);

/* The services of a search path. */
struct unit_tree;
int unit_tree_load(char *const *search, const struct unit_context *ctx, struct unit_tree **ret);
size_t unit_tree_size(const struct unit_tree *t);
void unit_tree_free(struct unit_tree *t);
/* Each service whose network is off and that needs a drop-in of its own, with its verdict;
 * stops at emit's first negative return, and returns it. */
typedef int (*unit_emit_fn)(void *userdata, const char *unit, const struct verdict *v);
int unit_tree_foreach_restricted(struct unit_tree *t, unit_emit_fn emit, void *userdata);
