/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The system bus's brokers closed to the table's restricted users and groups: a dbus-daemon drop-in. */

#include "admin.h"

#define DBUS_POLICY_PATH "/etc/dbus-1/system.d/nonet.conf"

/* The drop-in the table gives (malloc'd text): for each user and group whose network it turns off, a
 * <policy> denying the system bus's names that use the network for a caller. What D-Bus cannot name
 * ('*', uid and gid ranges) and exemptions a group's denial overrides are warnings. -EBADMSG for an
 * unusable table. */
int dbus_policy_make(const struct table *t, const struct diag *d, char **ret);
/* Whether DBUS_POLICY_PATH under root ("" or NULL: this machine's) is what the table gives; a
 * warning naming the command that rewrites it if not, an error where it is required (Brokers=closed:
 * pam_nonet refuses the logins then). 1 if it said so. */
int dbus_policy_lint(const struct table *t, const char *root, bool required, const struct diag *d);
/* Whether the system bus's brokers are closed as the table says: 0 where DBUS_POLICY_PATH is what
 * the table gives, or it gives nothing to deny, or no system bus runs; -ENOENT where none is written,
 * -ESTALE where another is; what reading it failed with. Quiet: for pam_nonet at each login. */
int dbus_policy_state(const struct table *t);
/* Why a session Brokers=closed restricts is refused where dbus_policy_state() said state (< 0): the
 * system bus's brokers would stay open to it (pam_nonet, spank_nonet). */
void dbus_policy_refusal(int state, char *buf, size_t size);
/* text at path, atomically (a temporary file renamed over it), mode 0644. */
int dbus_policy_write(const char *path, const char *text);
