/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * spank_nonet: Slurm jobs follow the node's nonet table.
 *   slurm_spank_init:      --nonet, for srun, sbatch and salloc (network off, never on)
 *   slurm_spank_task_init_privileged: in each task, as root, before it becomes the user:
 *                          Brokers=closed's masks (see there)
 *   slurm_spank_task_init: in each task, as the job's user, before exec: restrict it
 *   slurm_spank_user_init: in slurmstepd, before the tasks fork: was --nonet given?
 *   slurm_spank_task_post_fork: in slurmstepd, once the tasks are forked: for a restricted
 *                          step, no later child of it may become the user (a task epilog)
 * A guest in slurmstepd: logs through slurm_error/slurm_debug only, never exits.
 * A non-zero return fails the task when plugstack.conf says "required".
 */

#include <errno.h>
#include <pwd.h>
#include <slurm/slurm.h> /* SLURM_EXTERN_CONT */
#include <slurm/spank.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "dbuspolicy.h"
#include "stepd_guard.h"

SPANK_PLUGIN(nonet, 1);

static int opt_nonet_cb(int val, const char *optarg, int remote) {
        return 0; /* asked for again with spank_option_getopt() in the task */
}

static struct spank_option opt_nonet = {
        .name = "nonet",
        .usage = "Turn the network off for the job's tasks (AF_UNIX is kept; see spank_nonet(8)).",
        .has_arg = 0,
        .cb = opt_nonet_cb,
};

struct options {
        struct admin_paths paths;
        bool debug;
};

static void parse_options(int ac, char **av, struct options *o) {
        paths_default(&o->paths);
        o->debug = false;
        for (int i = 0; i < ac; i++)
                if (!module_option(av[i], &o->paths, &o->debug))
                        slurm_error("nonet: unknown option in plugstack.conf: %s", av[i]);
}

static void log_diag(void *userdata, enum diag_level level, const char *message) {
        const struct options *o = userdata;
        if (level == DIAG_ERROR)
                slurm_error("nonet: %s", message);
        else if (level == DIAG_WARNING)
                slurm_info("nonet: %s", message);
        else if (o->debug)
                slurm_info("nonet: %s", message);
}

int slurm_spank_init(spank_t sp, int ac, char **av) {
        spank_context_t ctx = spank_context();
        if (ctx != S_CTX_LOCAL && ctx != S_CTX_ALLOCATOR && ctx != S_CTX_REMOTE)
                return 0;
        if (spank_option_register(sp, &opt_nonet) != ESPANK_SUCCESS) {
                slurm_error("nonet: cannot register --nonet");
                return -1;
        }
        return 0;
}

/* The job user's name (NSS, thread-safe); false if unknown. */
static bool job_user(spank_t sp, char *user, size_t size) {
        uid_t uid = (uid_t) -1;
        bool found = false;
        snprintf(user, size, "(uid unknown)");
        if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS)
                return false;
        snprintf(user, size, "(uid %u)", (unsigned) uid);
        for (size_t len = 4096; len <= (1 << 20) && !found; len *= 4) {
                struct passwd pw, *p = NULL;
                char *buf = malloc(len);
                if (!buf)
                        return false;
                int r = getpwuid_r(uid, &pw, buf, len, &p);
                if (r == 0 && p)
                        found = snprintf(user, size, "%s", pw.pw_name) < (int) size;
                free(buf);
                if (r != ERANGE)
                        break;
        }
        return found;
}

static void log_none(void *userdata, enum diag_level level, const char *message) {
}

/* The job user's verdict from the table; closed where anything it needs fails. Quiet: said elsewhere. */
static void job_verdict(spank_t sp, const struct options *o, bool quiet, char *user, size_t size,
                        struct verdict *ret) {
        struct diag d = { quiet ? log_none : log_diag, (void *) o };
        if (!job_user(sp, user, size)) {
                struct settings s;
                settings_load(&o->paths, &s, &d);
                verdict_fail_closed(&s, "the job's user is unknown", ret);
                return;
        }
        decide_user(&o->paths, user, &d, ret); /* NSS's silence is said through d */
}

/* Brokers=closed's masks, made in this task's child by task_init_privileged; or why not. */
static bool task_brokers_masked;
static char task_brokers_failed[256];

/*
 * Brokers=closed: the masks are made here, in the task's child just after fork and before
 * slurmstepd makes it the user (spank(7)), as root, as pam_nonet makes them at session open.
 * As the user, in task_init, only a user namespace could make the mount namespace, and writing
 * its uid_map is refused there: the child is not dumpable since it became the user. A user
 * namespace would also show root's files and the user's other groups as nobody, and refuse every
 * task where user namespaces are off. The verdict is said and a failure returned in task_init,
 * once the task's standard error is the job's.
 */
int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av) {
        struct nonet_result result;
        struct options o;
        struct verdict v;
        struct passwd pw, *found = NULL;
        char user[256], buf[4096];
        uid_t uid;

        parse_options(ac, av, &o);
        job_verdict(sp, &o, true, user, sizeof(user), &v); /* said in task_init */
        if (!v.restricted || v.policy.brokers != NONET_BROKERS_CLOSED)
                return 0;
        /* the per-user brokers are the job user's, not root's */
        if (spank_get_item(sp, S_JOB_UID, &uid) == ESPANK_SUCCESS) {
                v.policy.brokers_uid = uid;
                if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found && found->pw_dir)
                        snprintf(v.policy.brokers_home, sizeof(v.policy.brokers_home), "%s", found->pw_dir);
        }
        v.policy.inherited = NONET_INHERITED_EXEC;
        int r = brokers_mask_first(&v.policy, &result, sizeof(result));
        if (r < 0)
                nonet_describe_failure_sized(r, &result, sizeof(result), task_brokers_failed,
                                             sizeof(task_brokers_failed));
        task_brokers_masked = r >= 0;
        return 0;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av) {
        struct nonet_result result;
        struct options o;
        struct verdict v;
        char user[256], why[256];

        parse_options(ac, av, &o);
        job_verdict(sp, &o, false, user, sizeof(user), &v);
        /* closed is the system bus's brokers too, as for a login (pam_nonet) */
        if (v.restricted && v.policy.brokers == NONET_BROKERS_CLOSED && v.bus_policy < 0)
                dbus_policy_refusal(v.bus_policy, task_brokers_failed, sizeof(task_brokers_failed));
        if (task_brokers_failed[0]) {
                slurm_error("nonet: cannot turn the network off for user %s (%s): %s", user, v.source,
                            task_brokers_failed);
                return -1;
        }
        v.policy.brokers_masked = task_brokers_masked;
        bool asked = spank_option_getopt(sp, &opt_nonet, NULL) == ESPANK_SUCCESS;
        if (!v.restricted && asked) {
                policy_init(&v.policy); /* what nonet-exec gives */
                snprintf(v.source, sizeof(v.source), "--nonet");
        } else if (!v.restricted) {
                if (o.debug)
                        slurm_info("nonet: user %s: network on (%s)", user, v.source);
                return 0;
        }
        /* slurmstepd's own descriptors (its log, its connections) are closed on exec */
        v.policy.inherited = NONET_INHERITED_EXEC;
        int r = nonet_restrict(&v.policy, &result, sizeof(result));
        if (r < 0) {
                nonet_describe_failure_sized(r, &result, sizeof(result), why, sizeof(why));
                slurm_error("nonet: cannot turn the network off for user %s (%s): %s", user, v.source, why);
                return -1;
        }
        if (o.debug)
                slurm_info("nonet: network off for user %s (%s)", user, v.source);
        return 0;
}

/* --nonet, as slurmstepd's slurm_spank_user_init found it: task_post_fork may not ask. */
static bool step_asked_nonet;

int slurm_spank_user_init(spank_t sp, int ac, char **av) {
        step_asked_nonet = spank_option_getopt(sp, &opt_nonet, NULL) == ESPANK_SUCCESS;
        return 0;
}

/* Whether the step's tasks are restricted: the table's verdict, or --nonet. */
static bool step_restricted(spank_t sp, const struct options *o, char *user, size_t size) {
        struct verdict v;
        job_verdict(sp, o, false, user, size, &v);
        return v.restricted || step_asked_nonet;
}

/*
 * slurmstepd forks a task epilog (--task-epilog, TaskEpilog=) after the task ends, as the
 * user and outside every hook: it cannot be restricted, so for a restricted step it does not
 * run. Called in slurmstepd's main thread, as root, once the tasks are forked; that thread
 * forks the epilogs later. The extern step runs no task epilog and no program of the user.
 */
int slurm_spank_task_post_fork(spank_t sp, int ac, char **av) {
        static bool guarded;
        struct options o;
        char user[256], why[512];
        uint32_t step = 0;
        uid_t uid;

        if (guarded || spank_context() != S_CTX_REMOTE)
                return 0;
        if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS && step == SLURM_EXTERN_CONT)
                return 0;
        parse_options(ac, av, &o);
        if (!step_restricted(sp, &o, user, sizeof(user)))
                return 0;
        if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS) {
                slurm_error("nonet: cannot keep a task epilog of user %s from running: the job's uid is unknown", user);
                return -1;
        }
        snprintf(why, sizeof(why),
                 "nonet: refused the task epilog of user %s (--task-epilog or TaskEpilog=): slurmstepd starts it "
                 "after the task, outside the restriction, and it would have the network (see spank_nonet(8))",
                 user);
        int r = stepd_guard_install(uid, why);
        if (r < 0) {
                slurm_error("nonet: cannot keep a task epilog of user %s from running: %s", user, strerror(-r));
                return -1;
        }
        guarded = true;
        slurm_info("nonet: user %s: no task epilog runs in this step, since it would run with the network on", user);
        return 0;
}

int slurm_spank_exit(spank_t sp, int ac, char **av) {
        stepd_guard_release();
        return 0;
}
