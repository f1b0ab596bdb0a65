/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nonet-exec: turn the network off, then execvp the command. */

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "nonet.h"
#include "units.h"

#define EXIT_FAILED 125   /* nonet-exec itself failed */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

enum action { ACTION_EXEC, ACTION_STATUS, ACTION_PRINT_FILTER, ACTION_CHECK_CONFIG };

struct args {
        struct nonet_policy *policy;
        enum action action;
        bool verbose;
        bool policy_options; /* --allow, --errno, --landlock or --unix given */
        const char *user;    /* --user: the table's policy for this user */
        char **command;
};

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("nonet-exec: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
}

static void usage(FILE *f) {
        fputs("Usage: nonet-exec [OPTIONS] [--] COMMAND [ARG]...\n"
              "       nonet-exec --status | --print-filter [OPTIONS] | --check-config\n"
              "Run COMMAND with the network off: socket() of any family but AF_UNIX is refused,\n"
              "for COMMAND and everything it starts, irreversibly.\n"
              "\n"
              "  -a, --allow=FAMILY[,FAMILY...]  also allow these families (inet, netlink, 16, ...)\n"
              "      --errno=eafnosupport|eperm  errno of a refused socket() (default eafnosupport;\n"
              "                                  netlink always gets eafnosupport)\n"
              "      --landlock=auto|require|off Landlock layer: use if present (default), fail\n"
              "                                  unless the kernel has every row asked for, or do not use\n"
              "      --unix=all|no-abstract      unix sockets: all (default: filesystem and abstract,\n"
              "                                  as X11 and D-Bus need), or refuse abstract sockets\n"
              "                                  created outside (Landlock ABI 6, else exit 125)\n"
              "  -u, --user=USER                 apply USER's policy from the table\n"
              "                                  (" NONET_ETC_DIR "/nonet.conf, nonet.d/)\n"
              "      --check-config              check the table and settings; exit 1 on any error\n"
              "      --status                    report what restricts this process; exit 0 if its\n"
              "                                  network is off, 1 if not\n"
              "      --print-filter              print the seccomp filter in readable form\n"
              "  -v, --verbose                   say what is applied, and why, before running COMMAND\n"
              "  -h, --help                      show this help\n"
              "  -V, --version                   show the version\n"
              "\n"
              "Exit status: COMMAND's own; 125 if nonet-exec fails, 126 if COMMAND cannot be run,\n"
              "127 if COMMAND is not found.\n",
              f);
}

static int parse_option(int c, const char *arg, struct args *a) {
        char bad[64];
        uint64_t set;
        int r;

        if (c == 'a' || c == 'e' || c == 'l' || c == 'x')
                a->policy_options = true;
        switch (c) {
        case 'a': {
                uint64_t allow;
                if (nonet_families_parse(arg, &set, bad, sizeof(bad)) < 0) {
                        say("unknown address family '%s' in --allow (try inet, inet6, netlink or a number)", bad);
                        return -EINVAL;
                }
                nonet_policy_get(a->policy, NONET_ATTR_ALLOW, &allow);
                return nonet_policy_set(a->policy, NONET_ATTR_ALLOW, allow | set);
        }
        case 'e':
                r = nonet_errno_from_name(arg);
                if (r < 0) {
                        say("invalid --errno '%s': use eafnosupport or eperm", arg);
                        return r;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_ERRNO, (uint64_t) r);
        case 'l':
                r = nonet_landlock_from_name(arg);
                if (r < 0) {
                        say("invalid --landlock '%s': use auto, require or off", arg);
                        return r;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_LANDLOCK, (uint64_t) r);
        case 'x':
                r = nonet_unix_from_name(arg);
                if (r < 0) {
                        say("invalid --unix '%s': use all or no-abstract", arg);
                        return r;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_UNIX, (uint64_t) r);
        case 'u':
                a->user = arg;
                return 0;
        case 'c':
                a->action = ACTION_CHECK_CONFIG;
                return 0;
        case 's':
                a->action = ACTION_STATUS;
                return 0;
        case 'p':
                a->action = ACTION_PRINT_FILTER;
                return 0;
        case 'v':
                a->verbose = true;
                return 0;
        case 'h':
                usage(stdout);
                exit(EXIT_SUCCESS);
        case 'V':
                puts("nonet-exec " NONET_VERSION);
                exit(EXIT_SUCCESS);
        default:
                usage(stderr);
                return -EINVAL;
        }
}

static int parse_args(int argc, char **argv, struct args *a) {
        static const struct option options[] = {
                { "allow", required_argument, NULL, 'a' },
                { "errno", required_argument, NULL, 'e' },
                { "landlock", required_argument, NULL, 'l' },
                { "unix", required_argument, NULL, 'x' },
                { "user", required_argument, NULL, 'u' },
                { "check-config", no_argument, NULL, 'c' },
                { "status", no_argument, NULL, 's' },
                { "print-filter", no_argument, NULL, 'p' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        a->policy = nonet_policy_new();
        if (!a->policy) {
                say("out of memory");
                return -ENOMEM;
        }
        /* '+': options end at COMMAND, so "nonet-exec curl -v" passes -v to curl. */
        while ((c = getopt_long(argc, argv, "+a:u:vhV", options, NULL)) >= 0)
                if (parse_option(c, optarg, a) < 0)
                        return -EINVAL;

        a->command = argv + optind;
        if (a->action == ACTION_EXEC && !a->command[0]) {
                say("no command given (see --help)");
                return -EINVAL;
        }
        if (a->action != ACTION_EXEC && a->command[0]) {
                say("--status, --print-filter and --check-config take no command");
                return -EINVAL;
        }
        if (a->user && a->policy_options) {
                say("--user takes its policy from the table: it cannot be combined with --allow, --errno, "
                    "--landlock or --unix");
                return -EINVAL;
        }
        uint64_t landlock, reach;
        nonet_policy_get(a->policy, NONET_ATTR_LANDLOCK, &landlock);
        nonet_policy_get(a->policy, NONET_ATTR_UNIX, &reach);
        if (landlock == NONET_LANDLOCK_OFF && reach == NONET_UNIX_NO_ABSTRACT) {
                say("--unix=no-abstract needs Landlock: it cannot be combined with --landlock=off");
                return -EINVAL;
        }
        return 0;
}

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

/* --user: the table decides; when it cannot, the network is off (closed). */
static int user_policy(struct args *a, bool *ret_restricted) {
        struct diag_ctx c = { .verbose = a->verbose };
        struct diag d = { print_diag, &c };
        struct nonet_paths paths;
        struct verdict v;

        nonet_paths_default(&paths);
        int r = nonet_decide_user(&paths, a->user, &d, &v);
        if (r == -ESRCH)
                return r; /* already said: no such user */
        if (a->verbose)
                say("user %s: network %s (%s)", a->user, v.restricted ? "off" : "on", v.source);
        *a->policy = v.policy;
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

static int check_config(void) {
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

static void print_families(const char *label, uint64_t set) {
        char buf[512];
        if (nonet_families_format(set, buf, sizeof(buf)) < 0)
                strcpy(buf, "?");
        printf("%s%s\n", label, set ? buf : "none");
}

static int show_status(void) {
        struct nonet_status s;
        int r = nonet_status(&s, sizeof(s));
        if (r < 0) {
                say("cannot read the status of this process: %s", strerror(-r));
                return EXIT_FAILED;
        }
        bool off = (s.refused & s.probed) == s.probed;
        printf("network: %s\n", off ? "off" : "on");
        print_families("refused: ", s.refused);
        print_families("allowed: ", s.probed & ~s.refused);
        printf("no_new_privs: %s\n", s.no_new_privs ? "yes" : "no");
        printf("seccomp filters: %d\n", s.seccomp_filters);
        if (s.landlock_abi > 0)
                printf("landlock: kernel ABI %d\n", s.landlock_abi);
        else
                printf("landlock: not available in this kernel\n");
        /* Landlock has no query for a domain's rules: say what this kernel can enforce. */
        printf("unix levels this kernel enforces: %s\n", s.landlock_abi >= 6 ? "all,no-abstract" : "all");
        return off ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const char *unix_text(uint64_t reach) {
        return reach == NONET_UNIX_NO_ABSTRACT ? "no-abstract (filesystem sockets; abstract ones created outside refused)"
                                               : "all (filesystem and abstract sockets)";
}

/* The policy in the words of the options. */
static void policy_text(const struct nonet_policy *p, char *buf, size_t size) {
        uint64_t allow = 0, error = 0, landlock = 0, reach = 0;
        char families[512];

        nonet_policy_get(p, NONET_ATTR_ALLOW, &allow);
        nonet_policy_get(p, NONET_ATTR_ERRNO, &error);
        nonet_policy_get(p, NONET_ATTR_LANDLOCK, &landlock);
        nonet_policy_get(p, NONET_ATTR_UNIX, &reach);
        if (nonet_families_format(allow, families, sizeof(families)) < 0)
                strcpy(families, "?");
        snprintf(buf, size, "allowed: %s; errno: %s; landlock: %s; unix: %s", families,
                 nonet_errno_to_name((int) error), nonet_landlock_to_name((enum nonet_landlock) landlock),
                 unix_text(reach));
}

static void report(const struct args *a, const struct nonet_result *r) {
        char policy[1024];
        policy_text(a->policy, policy, sizeof(policy));
        if (r->landlock_applied > 0)
                say("network off (seccomp, Landlock ABI %d, no_new_privs); %s", r->landlock_applied, policy);
        else
                say("network off (seccomp, no_new_privs; no Landlock: TCP on inherited sockets and /proc/PID/mem "
                    "are not restricted); %s",
                    policy);
}

static int print_filter(const struct args *a) {
        struct nonet_result result;
        char text[1024];

        policy_text(a->policy, text, sizeof(text));
        printf("# nonet policy: %s\n", text);
        int r = nonet_check(a->policy, &result, sizeof(result));
        if (r < 0) {
                nonet_describe_failure(r, &result, text, sizeof(text));
                printf("# on this kernel: cannot restrict: %s\n", text);
        } else
                printf("# on this kernel: Landlock ABI %d, the policy needs %d\n", result.landlock_abi,
                       result.landlock_needed);
        fflush(stdout);
        r = nonet_filter_export(a->policy, NONET_FILTER_PFC, STDOUT_FILENO);
        if (r < 0) {
                say("cannot build the filter: %s", strerror(-r));
                return EXIT_FAILED;
        }
        return EXIT_SUCCESS;
}

static int run(struct args *a) {
        struct nonet_result result;
        bool restricted = true;
        char why[256];
        int r;

        if (a->user && user_policy(a, &restricted) < 0)
                return EXIT_FAILED;
        if (!restricted)
                goto exec;
        r = nonet_restrict(a->policy, &result, sizeof(result));
        if (r < 0) {
                nonet_describe_failure(r, &result, why, sizeof(why));
                say("cannot restrict: %s", why);
                return EXIT_FAILED;
        }
        if (a->verbose)
                report(a, &result);
exec:
        execvp(a->command[0], a->command);
        int e = errno;
        say("failed to execute %s: %s", a->command[0], strerror(e));
        return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

static int act(struct args *a) {
        switch (a->action) {
        case ACTION_STATUS:
                return show_status();
        case ACTION_PRINT_FILTER:
                return print_filter(a);
        case ACTION_CHECK_CONFIG:
                return check_config();
        case ACTION_EXEC:
                break;
        }
        return run(a);
}

int main(int argc, char **argv) {
        struct args a = { 0 };
        int r = parse_args(argc, argv, &a) < 0 ? EXIT_FAILED : act(&a);
        nonet_policy_free(a.policy);
        return r;
}
