/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/*
 * After a restricted step's tasks are forked, slurmstepd may not start another program as
 * the job's user: it would start outside every SPANK hook, with the network on (a task
 * epilog). A child of the calling thread that tries to take the user's real uid logs
 * refused_why and exits 126 before it runs anything. Returns 0 or a negative errno.
 */
int stepd_guard_install(uid_t uid, const char *refused_why);

/* Put SIGSYS back as it was (before the plugin is unloaded). */
void stepd_guard_release(void);
