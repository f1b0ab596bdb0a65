/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nonet-exec's table side (nonet-exec-table): --user and --check-config, with libeconf and NSS. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "nonet-exec.h"
#include "units.h"

struct diag_ctx {
        bool verbose;
        unsigned errors;
};

static void print_diag(void *userdata, enum diag_level level, const char *message) {
        struct diag_ctx *c = userdata;
        if (level == DIAG_DEBUG && !c->verbose)
                return;
        c->errors += level == DIAG_ERROR;
        say("%s%s", level == DIAG_WARNING ? "warning: " : "", message);
}

/* The table decides; when it cannot, the network is off (closed). */
int table_user_policy(char **argv, const char *user, bool verbose, struct nonet_policy *policy, bool *ret_restricted) {
        struct diag_ctx c = { .verbose = verbose };
        struct diag d = { print_diag, &c };
        struct nonet_paths paths;
        struct verdict v;

        nonet_paths_default(&paths);
        int r = nonet_decide_user(&paths, user, &d, &v);
        if (r == -ESRCH)
                return r; /* already said: no such user */
        if (verbose)
                say("user %s: network %s (%s)", user, v.restricted ? "off" : "on", v.source);
        *policy = v.policy;
        *ret_restricted = v.restricted;
        return 0;
}

static int print_service(void *userdata, const char *unit, const struct verdict *v) {
        if (v->from_unit)
                return 0; /* the unit's own X-NetworkOff=: not the table's doing */
        printf("  %s: network off (%s)\n", unit, v->source);
        if (unit_provides_network(unit))
                say("warning: %s brings up this machine's network, and the table turns its network off: the "
                    "machine may be off the net after the next boot",
                    unit);
        return 0;
}

/* What the table does to services at the next boot (or daemon-reload), read as the generator reads them. */
static void preview_services(const struct settings *s, const struct table *t, const struct diag *d) {
        struct unit_context ctx = { .settings = s, .table = t, .diag = NULL };
        struct unit_tree *tree = NULL;
        char **search = NULL;

        if (!s->services) {
                printf("services: not covered (Services=no)\n");
                return;
        }
        int r = unit_search_path(false, NULL, &search);
        if (r >= 0)
                r = unit_tree_load(search, &ctx, &tree);
        if (r < 0)
                diag_say(d, DIAG_WARNING, "cannot read the services to preview them: %s", strerror(-r));
        else {
                printf("services whose User= the table restricts, from the next boot or daemon-reload:\n");
                unit_tree_foreach_restricted(tree, print_service, NULL);
        }
        unit_tree_free(tree);
        strv_free(search);
}

int table_check_config(char **argv) {
        struct diag_ctx c = { .verbose = true };
        struct diag d = { print_diag, &c };
        struct nonet_paths paths;
        struct settings s;
        struct table *t = NULL;

        nonet_paths_default(&paths);
        int r1 = settings_load(&paths, &s, &d);
        int r2 = table_load(&paths, &t, &d);
        if (t) {
                printf("%zu rules\n", table_size(t));
                if (r1 >= 0)
                        preview_services(&s, t, &d);
                table_free(t);
        }
        return r1 < 0 || r2 < 0 || c.errors > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
