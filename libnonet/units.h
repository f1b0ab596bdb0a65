/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What a systemd unit says about the network, and what the generator writes for it. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

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

/* X-NetworkOff=: 1 with the families to keep, 0 for "no", -ENOENT if unset.
 * A value that is neither a boolean nor families turns the network off. */
int unit_network_off(const struct unit_value *v, uint64_t *ret_allow, const struct diag *d);

/* The unit's own setting first; else the table's verdict for its User= (NULL: none). */
void unit_decide(const struct unit_info *u, const struct verdict *user_verdict, struct verdict *ret,
                 const struct diag *d);

/* The drop-in that gives a service the contract, in systemd's own directives. */
int unit_dropin_format(const struct nonet_policy *p, bool user_scope, const char *why, char *buf, size_t size);
