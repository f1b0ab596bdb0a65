/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One user's verdict from settings and table; closed whenever a step fails. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "admin.h"
#include "dbuspolicy.h"

void paths_default(struct admin_paths *ret) {
        *ret = (struct admin_paths) {
                .etc_dir = NONET_ETC_DIR,
                .vendor_dir = NONET_VENDOR_DIR,
                .login_defs = "/etc/login.defs",
        };
}

bool module_option(const char *arg, struct admin_paths *paths, bool *debug) {
        if (strcmp(arg, "debug") == 0)
                *debug = true;
        else if (strncmp(arg, "conf=", 5) == 0 && arg[5] != '\0')
                paths->table = arg + 5;
        else
                return false;
        return true;
}

void verdict_describe_nss(const struct verdict *v, const char *user, char *buf, size_t size) {
        snprintf(buf, size, "NSS cannot say whether user %.64s is in group '%.64s' (%s): its lines are read the way "
                            "that restricts more: network %s (%s)",
                 user, v->nss_group, strerrordesc_np(v->nss_errno), v->restricted ? "off" : "on", v->source);
}

int verdict_for_user(const struct table *t, const struct settings *s, const char *user, enum unknown_user unknown,
                     struct verdict *ret, const struct diag *d) {
        struct account u;
        char why[512];
        int r = user_lookup(user, &u);

        if (r == -ESRCH && unknown == UNKNOWN_BY_NAME) {
                diag_say(d, DIAG_WARNING, "cannot look up User=%s: deciding by its name alone", user);
                u = (struct account) { .name = (char *) user, .uid = (uid_t) -1, .gid = (gid_t) -1 };
                table_decide(t, &u, s, ret);
                return 0;
        }
        if (r < 0) {
                snprintf(why, sizeof(why), "cannot look up user %.64s: %s", user,
                         r == -ESRCH ? "no such user" : strerrordesc_np(-r));
                diag_say(d, DIAG_ERROR, "%s", why);
                verdict_fail_closed(s, why, ret);
                return r;
        }
        table_decide(t, &u, s, ret);
        if (ret->nss_errno) {
                verdict_describe_nss(ret, u.name, why, sizeof(why));
                diag_say(d, DIAG_ERROR, "%s", why);
        }
        user_done(&u);
        return 0;
}

int config_load(const struct admin_paths *paths, struct settings *ret_settings, struct table **ret_table,
                const struct diag *d) {
        int rs = settings_load(paths, ret_settings, d);
        int rt = table_load(paths, ret_table, d);
        if (rt == -ENOMEM)
                return rt;
        if (rs < 0)
                table_close(*ret_table, "the settings cannot be used");
        return rs < 0 ? rs : rt;
}

int decide_user(const struct admin_paths *paths, const char *user, const struct diag *d, struct verdict *ret) {
        struct settings s;
        struct table *t;

        int r = config_load(paths, &s, &t, d);
        if (r == -ENOMEM) {
                verdict_fail_closed(&s, "out of memory", ret);
                return r;
        }
        int e = verdict_for_user(t, &s, user, UNKNOWN_CLOSED, ret, d);
        ret->bus_policy = 0;
        /* closed: the system bus's brokers too, by the table's D-Bus policy, or the session is refused */
        if (ret->restricted && ret->policy.brokers == NONET_BROKERS_CLOSED)
                ret->bus_policy = dbus_policy_state(t);
        table_free(t);
        return r < 0 ? r : e;
}
