/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "nonet.h"

#define EXIT_FAILED 125 /* nonet-exec itself failed */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127
#define EXIT_UNKNOWN 2 /* --status: cannot tell */
#define EXIT_OTHER_READING 2 /* --print-filter=oci --runtime: it would read the profile otherwise */

/* "nonet-exec: " and the message, on standard error. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The table's side, which needs libeconf and NSS. nonet-exec-table has it (admin.c);
 * nonet-exec hands these over to it with its own arguments (handover.c), so that its
 * usual start loads no shared library.
 */
/* --table, --settings: staged files read in place of the usual ones. */
struct table_files {
        const char *table;
        const char *settings;
};
/* --user: the policy the table gives user's logins; whether their network is off at all. */
int table_user_policy(char **argv, const char *user, const struct table_files *files, bool verbose,
                      struct nonet_policy *policy, bool *ret_restricted);
/* --check-config: an exit status. */
int table_check_config(char **argv, const struct table_files *files);
/* --write-dbus-policy: the table's D-Bus policy to path ("-": standard output, NULL: where the system
 * bus reads it); an exit status. */
int table_write_dbus_policy(char **argv, const struct table_files *files, const char *path);
/* --status --all: every process, marking those of restricted users that have network; an exit status. */
int table_audit(char **argv, bool json);
/* s as a JSON string, escaped, on standard output. */
void json_string(const char *s);
