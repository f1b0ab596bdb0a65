/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One user's verdict from settings and table; closed whenever a step fails. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "config.h"

void nonet_paths_default(struct nonet_paths *ret) {
        *ret = (struct nonet_paths) {
                .etc_dir = NONET_ETC_DIR,
                .vendor_dir = NONET_VENDOR_DIR,
        };
}

int nonet_decide_user(const struct nonet_paths *paths, const char *user, const struct diag *d, struct verdict *ret) {
        struct settings s;
        struct nonet_user u;
        struct table *t;
        char why[256];
        int r;

        r = settings_load(paths, &s, d);
        if (r < 0) {
                verdict_fail_closed(&s, "the settings cannot be used (network off for everyone)", ret);
                return r;
        }
        r = table_load(paths, &t, d);
        if (r < 0) {
                verdict_fail_closed(&s, "the table cannot be used (network off for everyone)", ret);
                return r;
        }
        r = nonet_user_lookup(user, &u);
        if (r < 0) {
                table_free(t);
                snprintf(why, sizeof(why), "cannot look up user %.64s: %s", user,
                         r == -ESRCH ? "no such user" : strerrordesc_np(-r));
                diag_say(d, DIAG_ERROR, "%s", why);
                verdict_fail_closed(&s, why, ret);
                return r;
        }
        table_decide(t, &u, &s, ret);
        nonet_user_done(&u);
        table_free(t);
        return 0;
}
