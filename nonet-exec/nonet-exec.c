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

#include "nonet.h"

#define EXIT_FAILED 125   /* nonet-exec itself failed */
#define EXIT_CANNOT_RUN 126
#define EXIT_NOT_FOUND 127

enum action { ACTION_EXEC, ACTION_STATUS, ACTION_PRINT_FILTER };

struct args {
        struct nonet_policy policy;
        enum action action;
        bool verbose;
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
              "       nonet-exec --status | --print-filter [OPTIONS]\n"
              "Run COMMAND with the network off: socket() of any family but AF_UNIX is refused,\n"
              "for COMMAND and everything it starts, irreversibly.\n"
              "\n"
              "  -a, --allow=FAMILY[,FAMILY...]  also allow these families (inet, netlink, 16, ...)\n"
              "      --errno=eafnosupport|eperm  errno of a refused socket() (default eafnosupport)\n"
              "      --landlock=auto|require|off Landlock layer: use if present (default), fail\n"
              "                                  unless the kernel has ABI 6, or do not use\n"
              "      --status                    report what restricts this process; exit 0 if its\n"
              "                                  network is off, 1 if not\n"
              "      --print-filter              print the seccomp filter in readable form\n"
              "  -v, --verbose                   say what is applied before running COMMAND\n"
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
        while ((c = getopt_long(argc, argv, "+a:vhV", options, NULL)) >= 0)
                if (parse_option(c, optarg, a) < 0)
                        return -EINVAL;

        a->command = argv + optind;
        if (a->action == ACTION_EXEC && !a->command[0]) {
                say("no command given (see --help)");
                return -EINVAL;
        }
        if (a->action != ACTION_EXEC && a->command[0]) {
                say("--status and --print-filter take no command");
                return -EINVAL;
        }
        return 0;
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

static int run(const struct args *a) {
        struct nonet_result result;
        char why[256];

        int r = nonet_restrict(&a->policy, &result);
        if (r < 0) {
                nonet_describe_failure(r, &result, why, sizeof(why));
                say("cannot restrict: %s", why);
                return EXIT_FAILED;
        }
        if (a->verbose)
                report(a, &result);

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
        case ACTION_EXEC:
                break;
        }
        return run(&a);
}
