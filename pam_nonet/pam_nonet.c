/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pam_nonet: network off for the sessions of the users the table names.
 *   account: refuse a restricted user when this kernel cannot enforce it
 *   session: restrict the calling process before the user's shell starts
 * A guest in sshd and login: logs through pam_syslog only, never exits.
 */

#include <errno.h>
#include <pwd.h>
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "admin.h"
#include "dbuspolicy.h"

struct options {
        struct admin_paths paths;
        bool debug;
};

static void parse_options(pam_handle_t *pamh, int argc, const char **argv, struct options *o) {
        paths_default(&o->paths);
        o->debug = false;
        for (int i = 0; i < argc; i++)
                if (!module_option(argv[i], &o->paths, &o->debug))
                        pam_syslog(pamh, LOG_ERR, "unknown option: %s", argv[i]);
}

struct log_ctx {
        pam_handle_t *pamh;
        bool debug;
};

static void log_diag(void *userdata, enum diag_level level, const char *message) {
        struct log_ctx *c = userdata;
        if (level == DIAG_DEBUG && !c->debug)
                return;
        pam_syslog(c->pamh, level == DIAG_ERROR ? LOG_ERR : level == DIAG_WARNING ? LOG_WARNING : LOG_DEBUG, "%s",
                   message);
}

/* The account stage's verdict, kept on the handle for the session stage: NSS is asked once per
 * login, so a directory that hangs costs one timeout, not one per stage. */
#define VERDICT_DATA "pam_nonet_verdict"
struct kept_verdict {
        char user[256];
        int ret;
        struct verdict verdict;
};

static void kept_free(pam_handle_t *pamh, void *data, int error_status) {
        free(data);
}

static bool kept_for(pam_handle_t *pamh, const char *user, struct verdict *ret, int *ret_pam) {
        const void *data = NULL;
        if (pam_get_data(pamh, VERDICT_DATA, &data) != PAM_SUCCESS || !data)
                return false;
        const struct kept_verdict *k = data;
        if (strcmp(k->user, user) != 0)
                return false; /* PAM_USER changed between the stages: decide again */
        *ret = k->verdict;
        *ret_pam = k->ret;
        return true;
}

static void keep(pam_handle_t *pamh, const char *user, const struct verdict *v, int ret) {
        struct kept_verdict *k = malloc(sizeof(*k));
        if (!k || strlen(user) >= sizeof(k->user)) {
                free(k);
                return;
        }
        snprintf(k->user, sizeof(k->user), "%s", user);
        k->verdict = *v;
        k->ret = ret;
        if (pam_set_data(pamh, VERDICT_DATA, k, kept_free) != PAM_SUCCESS)
                free(k);
}

/* The verdict for PAM_USER; closed when anything needed for it fails. */
static int session_verdict(pam_handle_t *pamh, const struct options *o, const char **ret_user, struct verdict *ret) {
        struct log_ctx c = { pamh, o->debug };
        struct diag d = { log_diag, &c };
        const char *user = NULL;
        int pam_ret;

        if (pam_get_user(pamh, &user, NULL) != PAM_SUCCESS || !user || !*user) {
                struct settings s;
                settings_load(&o->paths, &s, &d);
                verdict_fail_closed(&s, "no user name", ret);
                pam_syslog(pamh, LOG_ERR, "cannot determine the user: network off");
                *ret_user = "(unknown)";
                return PAM_USER_UNKNOWN;
        }
        *ret_user = user;
        if (kept_for(pamh, user, ret, &pam_ret)) {
                if (o->debug)
                        pam_syslog(pamh, LOG_DEBUG, "user %s: the account stage's verdict", user);
                return pam_ret;
        }
        int r = decide_user(&o->paths, user, &d, ret);
        if (o->debug)
                pam_syslog(pamh, LOG_DEBUG, "user %s: network %s (%s)", user, ret->restricted ? "off" : "on",
                           ret->source);
        pam_ret = r == -ESRCH ? PAM_USER_UNKNOWN : PAM_SUCCESS;
        keep(pamh, user, ret, pam_ret);
        return pam_ret;
}

/* Brokers closed: the per-user ones are the user's, not the caller's (root, before setuid). */
static void brokers_owner(const char *user, struct nonet_policy *p) {
        struct passwd pw, *found = NULL;
        char buf[4096];
        if (p->brokers != NONET_BROKERS_CLOSED || getpwnam_r(user, &pw, buf, sizeof(buf), &found) != 0 || !found)
                return; /* an unknown user is refused before */
        p->brokers_uid = found->pw_uid;
        snprintf(p->brokers_home, sizeof(p->brokers_home), "%s", found->pw_dir ? found->pw_dir : "");
}

enum stage { STAGE_ACCOUNT, STAGE_SESSION };

/* Both stages decide alike; account asks whether the kernel can enforce, session enforces. */
static int run_stage(pam_handle_t *pamh, int flags, int argc, const char **argv, enum stage stage) {
        struct nonet_result result;
        struct options o;
        struct verdict v;
        const char *user;
        char why[256] = "";

        parse_options(pamh, argc, argv, &o);
        int ret = session_verdict(pamh, &o, &user, &v);
        if (!v.restricted)
                return PAM_IGNORE;
        brokers_owner(user, &v.policy);
        /* A screen locker asks the account stage as the user, who cannot make the masks as root
         * does: the session stage, as root, makes them or fails closed. */
        if (stage == STAGE_ACCOUNT && geteuid() != 0)
                v.policy.brokers = NONET_BROKERS_OPEN;
        int r = 0;
        if (v.policy.brokers == NONET_BROKERS_CLOSED && v.bus_policy < 0)
                /* the system bus's brokers stay open to this user: closed is not what runs */
                dbus_policy_refusal(v.bus_policy, why, sizeof(why));
        else
                r = stage == STAGE_ACCOUNT ? nonet_check(&v.policy, &result, sizeof(result))
                                           : nonet_restrict(&v.policy, &result, sizeof(result));
        if (r < 0 || why[0]) {
                if (r < 0)
                        nonet_describe_failure_sized(r, &result, sizeof(result), why, sizeof(why));
                if (stage == STAGE_SESSION) {
                        pam_syslog(pamh, LOG_ERR, "cannot turn the network off for user %s (%s): %s", user, v.source,
                                   why);
                        return PAM_SESSION_ERR;
                }
                pam_syslog(pamh, LOG_ERR, "refusing user %s: the network must be off for them (%s), but %s", user,
                           v.source, why);
                if (!(flags & PAM_SILENT))
                        pam_error(pamh, "Login refused: this system cannot turn the network off for you.");
                return PAM_PERM_DENIED;
        }
        if (stage == STAGE_ACCOUNT)
                return ret; /* PAM_USER_UNKNOWN stays a refusal */
        if (o.debug)
                pam_syslog(pamh, LOG_DEBUG, "network off for user %s (Landlock ABI %d)", user, result.landlock_applied);
        return ret == PAM_SUCCESS ? PAM_SUCCESS : PAM_SESSION_ERR;
}

PAM_EXTERN int pam_sm_acct_mgmt(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_stage(pamh, flags, argc, argv, STAGE_ACCOUNT);
}

PAM_EXTERN int pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return run_stage(pamh, flags, argc, argv, STAGE_SESSION);
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv) {
        return PAM_IGNORE; /* irreversible: nothing to undo */
}
