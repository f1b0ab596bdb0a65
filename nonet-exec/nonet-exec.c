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

#define EXIT_FAILED 125   /* nonet-exec itself failed */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

enum action { ACTION_EXEC, ACTION_STATUS, ACTION_PRINT_FILTER, ACTION_CHECK_CONFIG };

struct args {
        struct nonet_policy policy;
        enum action action;
        bool verbose;
        bool policy_options; /* --allow, --errno or --landlock given */
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
              "                                  unless the kernel has ABI 6, or do not use\n"
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

        if (c == 'a' || c == 'e' || c == 'l')
                a->policy_options = true;
        switch (c) {
        case 'a':
                if (nonet_families_parse(arg, &set, bad, sizeof(bad)) < 0) {
                        say("unknown address family '%s' in --allow (try inet, inet6, netlink or a number)", bad);
                        return -EINVAL;
                }
                a->policy.allow |= set;
                return 0;
        case 'e':
                r = nonet_errno_from_name(arg);
                if (r < 0) {
                        say("invalid --errno '%s': use eafnosupport or eperm", arg);
                        return r;
                }
                a->policy.error = r;
                return 0;
        case 'l':
                r = nonet_landlock_from_name(arg);
                if (r < 0) {
                        say("invalid --landlock '%s': use auto, require or off", arg);
                        return r;
                }
                a->policy.landlock = (enum nonet_landlock) r;
                return 0;
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

        nonet_policy_init(&a->policy);
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
                say("--user takes its policy from the table: it cannot be combined with --allow, --errno or --landlock");
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
        a->policy = v.policy;
        *ret_restricted = v.restricted;
        return 0;
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
        int r = nonet_status(&s);
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
        return off ? EXIT_SUCCESS : EXIT_FAILURE;
}

static void report(const struct args *a, const struct nonet_result *r) {
        char allowed[512];
        if (nonet_families_format(a->policy.allow, allowed, sizeof(allowed)) < 0)
                strcpy(allowed, "?");
        if (r->landlock_applied > 0)
                say("network off (seccomp, Landlock ABI %d, no_new_privs); allowed: %s", r->landlock_applied, allowed);
        else
                say("network off (seccomp, no_new_privs; no Landlock: TCP on inherited sockets, abstract "
                    "sockets and /proc/PID/mem are not restricted); allowed: %s",
                    allowed);
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
        r = nonet_restrict(&a->policy, &result);
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

int main(int argc, char **argv) {
        struct args a = { 0 };
        int r;

        if (parse_args(argc, argv, &a) < 0)
                return EXIT_FAILED;

        switch (a.action) {
        case ACTION_STATUS:
                return show_status();
        case ACTION_PRINT_FILTER:
                r = nonet_filter_export(&a.policy, NONET_FILTER_PFC, STDOUT_FILENO);
                if (r < 0) {
                        say("cannot build the filter: %s", strerror(-r));
                        return EXIT_FAILED;
                }
                return EXIT_SUCCESS;
        case ACTION_CHECK_CONFIG:
                return check_config();
        case ACTION_EXEC:
                break;
        }
        return run(&a);
}
