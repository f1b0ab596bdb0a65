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
#include <poll.h>
#include <signal.h>
#include <seccomp.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "busproxy.h"
#include "nonet-exec.h"
#include "oci.h"

enum action { ACTION_EXEC, ACTION_STATUS, ACTION_PRINT_FILTER, ACTION_CHECK_CONFIG, ACTION_HELP, ACTION_VERSION,
             ACTION_DBUS_POLICY };

struct args {
        struct nonet_policy *policy;
        enum action action;
        bool verbose;
        bool policy_options; /* --allow, --errno, --landlock or --unix given */
        const char *user;    /* --user: the table's policy for this user */
        struct table_files files; /* --table, --settings: staged files in place of the usual */
        int actions;         /* how many of --status, --print-filter, --check-config were given */
        pid_t pid;           /* --status --pid */
        bool all;            /* --status --all */
        bool json;           /* --status --json */
        bool trace;          /* --trace: supervise, telling each refusal */
        bool unix_paths;     /* --unix-path given */
        enum nonet_filter_format format; /* --print-filter=FORMAT */
        const char *base;    /* --base: the profile the OCI one is merged onto */
        enum oci_runtime runtime; /* --runtime: the one the OCI profile is for */
        const char *dbus_policy; /* --write-dbus-policy: where ("-": standard output; NULL: the bus's) */
        char **command;
        char **argv;         /* as given, for nonet-exec-table */
        int bus_proxy_fd;    /* --brokers=closed: the filtering proxy stops when its last copy closes */
};

/* One write a message: lines from the command and from a supervising nonet-exec never mix. */
static void vsay(const char *fmt, va_list ap) {
        char buf[2048];
        int n = vsnprintf(buf + 12, sizeof(buf) - 13, fmt, ap);
        memcpy(buf, "nonet-exec: ", 12);
        size_t len = 12 + (n < 0 ? 0 : (size_t) n < sizeof(buf) - 13 ? (size_t) n : sizeof(buf) - 14);
        buf[len++] = '\n';
        fwrite(buf, 1, len, stderr);
}

void say(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsay(fmt, ap);
        va_end(ap);
}

static void usage(FILE *f) {
        fputs("Usage: nonet-exec [OPTIONS] [--] COMMAND [ARG]...\n"
              "       nonet-exec --status [--pid=PID | --all] | --print-filter[=oci] [OPTIONS]\n"
              "       nonet-exec --check-config [--table=FILE] [--settings=FILE]\n"
              "       nonet-exec --write-dbus-policy[=FILE] [--table=FILE] [--settings=FILE]\n"
              "Run COMMAND with the network off: socket() of any family but AF_UNIX is refused,\n"
              "for COMMAND and everything it starts, irreversibly.\n"
              "\n"
              "  -a, --allow=FAMILY[,FAMILY...]  also allow these families (inet, netlink, 16, ...)\n"
              "      --errno=eafnosupport|eperm  errno of a refused socket() (default eafnosupport;\n"
              "                                  netlink always gets eafnosupport)\n"
              "      --landlock=auto|require|off Landlock layer: use if present (default), fail\n"
              "                                  unless the kernel has every row asked for, or do not use\n"
              "      --unix=all|no-abstract|listed\n"
              "                                  unix sockets: all (default: filesystem and abstract,\n"
              "                                  as X11 and D-Bus need); no-abstract: refuse abstract\n"
              "                                  sockets created outside (Landlock ABI 6); listed: and\n"
              "                                  named ones outside but for --unix-path (ABI 9)\n"
              "      --unix-path=PATH            with --unix=listed: a socket, or a directory of them,\n"
              "                                  that stays reachable; may be given more than once\n"
              "      --dry-run                   refuse nothing: the kernel logs each call the policy\n"
              "                                  would refuse (journalctl -k, dmesg); no Landlock\n"
              "      --log                       refuse, and have the kernel log each refusal\n"
              "      --trace                     refuse, and say each refusal on standard error (what,\n"
              "                                  by which program and pid), without root or the kernel\n"
              "                                  log: nonet-exec stays as the command's supervisor (a\n"
              "                                  detached copy for what it leaves running)\n"
              "      --inherited=refuse|accept   a descriptor held that could still reach the network\n"
              "                                  (a socket that could be re-aimed, a tap device, an\n"
              "                                  io_uring ring): refuse to run (default, exit 125), or\n"
              "                                  accept the risk\n"
              "      --private-loopback          a network namespace of its own with only lo, up: a\n"
              "                                  build's test servers on 127.0.0.1 work, the host's\n"
              "                                  loopback and everything else stay out of reach\n"
              "      --brokers=open|closed       the machine's brokers (nscd, resolved, avahi, cupsd;\n"
              "                                  the user's dirmngr, PulseAudio, session bus): reachable\n"
              "                                  (default), or their sockets masked in a mount namespace\n"
              "                                  of its own (unprivileged: in a user namespace), and\n"
              "                                  the system bus filtered by xdg-dbus-proxy\n"
              "  -u, --user=USER                 apply USER's policy from the table\n"
              "                                  (" NONET_ETC_DIR "/nonet.conf, nonet.d/)\n"
              "      --check-config              check the table and settings, say what they do and\n"
              "                                  which files were read; exit 1 on any error\n"
              "      --table=FILE                with --check-config or --user: this table instead of\n"
              "                                  " NONET_ETC_DIR "/nonet.conf (a staged copy, pam_nonet's conf=)\n"
              "      --settings=FILE             with --check-config or --user: this settings file alone\n"
              "      --write-dbus-policy[=FILE]  write the system bus's policy the table gives (its\n"
              "                                  brokers denied to restricted users and groups) to\n"
              "                                  FILE (\"-\": standard output), by default\n"
              "                                  /etc/dbus-1/system.d/nonet.conf\n"
              "      --status                    report what restricts this process (key: value lines);\n"
              "                                  exit 0 if its network is off, 1 if on, 2 if unknown\n"
              "      --pid=PID                   with --status: of process PID (its filters: as root)\n"
              "      --all                       with --status: every process, marking those of users\n"
              "                                  the table restricts that still have network; exit 1\n"
              "                                  if any\n"
              "      --json                      with --status: one JSON object (see nonet-exec(1))\n"
              "      --print-filter[=pfc|oci]    print the seccomp filter in readable form (of USER's\n"
              "                                  policy with --user), or as an OCI seccomp profile\n"
              "      --base=FILE                 with --print-filter=oci: merged onto this profile\n"
              "      --runtime=NAME              with --print-filter=oci: for this runtime (docker, podman,\n"
              "                                  cri-o, containerd, runc, crun); exit 2 where it would\n"
              "                                  read the profile otherwise than as written\n"
              "  -v, --verbose                   say what is applied, and why, before running COMMAND\n"
              "  -h, --help                      show this help\n"
              "  -V, --version                   show the version, the build's options and what\n"
              "                                  this kernel gives\n"
              "\n"
              "Exit status: COMMAND's own; 125 if nonet-exec fails (bad usage, cannot restrict, a\n"
              "write error), 126 if COMMAND cannot be run (a bad interpreter too), 127 if it is not found;\n"
              "with --print-filter=oci, 2 if a runtime would read the profile otherwise than as written.\n",
              f);
}

/* --dry-run, --log, --trace: what becomes of a refusal, said once. */
static int set_refusals(struct args *a, enum nonet_refusals refusals) {
        uint64_t was;
        nonet_policy_get(a->policy, NONET_ATTR_REFUSALS, &was);
        if (was != NONET_REFUSE) {
                say("--dry-run, --log and --trace each say what becomes of a refusal: give one");
                return -EINVAL;
        }
        return nonet_policy_set(a->policy, NONET_ATTR_REFUSALS, refusals);
}

static int parse_option(int c, const char *arg, struct args *a) {
        char bad[64];
        uint64_t set;
        int r;

        if (strchr("aelxdLIUNtb", c))
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
                        say("invalid --unix '%s': use all, no-abstract or listed", arg);
                        return r;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_UNIX, (uint64_t) r);
        case 'U':
                if (arg[0] != '/' || access(arg, F_OK) < 0) {
                        say("--unix-path %s: %s", arg, arg[0] != '/' ? "not an absolute path" : strerror(errno));
                        return -EINVAL;
                }
                a->unix_paths = true;
                return nonet_policy_add_unix_path(a->policy, arg);
        case 'I':
                if (strcmp(arg, "refuse") != 0 && strcmp(arg, "accept") != 0) {
                        say("invalid --inherited '%s': use refuse or accept", arg);
                        return -EINVAL;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_INHERITED,
                                        arg[0] == 'a' ? NONET_INHERITED_ACCEPT : NONET_INHERITED_REFUSE);
        case 'd':
        case 'L':
        case 't':
                a->trace = c == 't';
                return set_refusals(a, c == 'd' ? NONET_LOG_ONLY : c == 'L' ? NONET_REFUSE_AND_LOG : NONET_REFUSE_AND_NOTIFY);
        case 'N':
                return nonet_policy_set(a->policy, NONET_ATTR_NETNS, NONET_NETNS_PRIVATE_LOOPBACK);
        case 'b':
                r = nonet_brokers_from_name(arg);
                if (r < 0) {
                        say("invalid --brokers '%s': use open or closed", arg);
                        return r;
                }
                return nonet_policy_set(a->policy, NONET_ATTR_BROKERS, (uint64_t) r);
        case 'P': {
                char *end;
                long v = strtol(arg, &end, 10);
                if (*arg == '\0' || *end != '\0' || v <= 0 || v > INT32_MAX) {
                        say("invalid --pid '%s': a process id", arg);
                        return -EINVAL;
                }
                a->pid = (pid_t) v;
                return 0;
        }
        case 'A':
                a->all = true;
                return 0;
        case 'J':
                a->json = true;
                return 0;
        case 'u':
                if (!*arg) {
                        say("--user needs a user name");
                        return -EINVAL;
                }
                a->user = arg;
                return 0;
        case 'T':
        case 'S':
                if (!*arg) {
                        say("--%s needs a file", c == 'T' ? "table" : "settings");
                        return -EINVAL;
                }
                *(c == 'T' ? &a->files.table : &a->files.settings) = arg;
                return 0;
        case 'p':
                if (arg && strcmp(arg, "oci") != 0 && strcmp(arg, "pfc") != 0) {
                        say("invalid --print-filter '%s': use pfc or oci", arg);
                        return -EINVAL;
                }
                a->format = arg && strcmp(arg, "oci") == 0 ? NONET_FILTER_OCI : NONET_FILTER_PFC;
                /* fall through */
        case 'c':
        case 's':
                a->action = c == 'c' ? ACTION_CHECK_CONFIG : c == 's' ? ACTION_STATUS : ACTION_PRINT_FILTER;
                a->actions++;
                return 0;
        case 'W':
                a->dbus_policy = arg; /* NULL: where the system bus reads it */
                if (arg && !*arg) {
                        say("--write-dbus-policy needs a file, or none");
                        return -EINVAL;
                }
                a->action = ACTION_DBUS_POLICY;
                a->actions++;
                return 0;
        case 'B':
                if (!*arg) {
                        say("--base needs a file");
                        return -EINVAL;
                }
                a->base = arg;
                return 0;
        case 'R':
                if (oci_runtime_from_name(arg, &a->runtime) < 0) {
                        say("invalid --runtime '%s': use docker, podman, cri-o, containerd, runc or crun", arg);
                        return -EINVAL;
                }
                return 0;
        case 'v':
                a->verbose = true;
                return 0;
        case 'h':
        case 'V':
                a->action = c == 'h' ? ACTION_HELP : ACTION_VERSION;
                return 0;
        case ':':
                say("option '%s' needs an argument", a->argv[optind - 1]);
                return -EINVAL;
        default:
                say("unrecognized option '%s'", a->argv[optind - 1]);
                return -EINVAL;
        }
}

static int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int refuse(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vsay(fmt, ap);
        va_end(ap);
        return -EINVAL;
}

static int check_combination(const struct args *a);

static int parse_args(int argc, char **argv, struct args *a) {
        static const struct option options[] = {
                { "allow", required_argument, NULL, 'a' },
                { "errno", required_argument, NULL, 'e' },
                { "landlock", required_argument, NULL, 'l' },
                { "unix", required_argument, NULL, 'x' },
                { "dry-run", no_argument, NULL, 'd' },
                { "inherited", required_argument, NULL, 'I' },
                { "private-loopback", no_argument, NULL, 'N' },
                { "brokers", required_argument, NULL, 'b' },
                { "unix-path", required_argument, NULL, 'U' },
                { "log", no_argument, NULL, 'L' },
                { "trace", no_argument, NULL, 't' },
                { "pid", required_argument, NULL, 'P' },
                { "all", no_argument, NULL, 'A' },
                { "json", no_argument, NULL, 'J' },
                { "user", required_argument, NULL, 'u' },
                { "check-config", no_argument, NULL, 'c' },
                { "table", required_argument, NULL, 'T' },
                { "settings", required_argument, NULL, 'S' },
                { "status", no_argument, NULL, 's' },
                { "print-filter", optional_argument, NULL, 'p' },
                { "base", required_argument, NULL, 'B' },
                { "runtime", required_argument, NULL, 'R' },
                { "write-dbus-policy", optional_argument, NULL, 'W' },
                { "verbose", no_argument, NULL, 'v' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {},
        };
        int c;

        a->argv = argv;
        a->policy = nonet_policy_new();
        optind = 1;
        if (!a->policy) {
                say("out of memory");
                return -ENOMEM;
        }
        /* '+': options end at COMMAND, so "nonet-exec curl -v" passes -v to curl; ':': our own messages. */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "+:a:u:vhV", options, NULL)) >= 0)
                if (parse_option(c, optarg, a) < 0)
                        return -EINVAL;
        a->command = argv + optind;
        return check_combination(a);
}

/* Every combination that would leave one half unread is refused, as one line. */
static int check_combination(const struct args *a) {
        static const char *const names[] = { [ACTION_STATUS] = "--status", [ACTION_PRINT_FILTER] = "--print-filter",
                                             [ACTION_CHECK_CONFIG] = "--check-config",
                                             [ACTION_DBUS_POLICY] = "--write-dbus-policy" };
        bool files = a->files.table || a->files.settings;
        const char *what = (size_t) a->action < sizeof(names) / sizeof(names[0]) ? names[a->action] : NULL;

        if (a->action == ACTION_HELP || a->action == ACTION_VERSION)
                return 0;
        if (a->actions > 1)
                return refuse("--status, --print-filter, --check-config and --write-dbus-policy are each a command of "
                              "their own: give one");
        if ((a->pid || a->all || a->json) && a->action != ACTION_STATUS)
                return refuse("--pid, --all and --json go with --status");
        if (a->pid && a->all)
                return refuse("--status takes --pid or --all, not both");
        if (a->action != ACTION_EXEC && a->command[0])
                return refuse("%s takes no command", what);
        if (a->action == ACTION_EXEC && !a->command[0])
                return refuse("no command given");
        if (a->user && a->policy_options)
                return refuse("--user takes its policy from the table: it cannot be combined with --allow, --errno, "
                              "--landlock, --unix, --unix-path, --dry-run, --log, --inherited or --brokers");
        if (a->action == ACTION_STATUS && (a->policy_options || a->user || files || a->verbose))
                return refuse("--status reads what is in force: it takes no policy, --user, --table, --settings or "
                              "--verbose");
        if (a->action == ACTION_CHECK_CONFIG && (a->policy_options || a->user))
                return refuse("--check-config checks the table and settings: it takes no policy options or --user");
        if (a->base && (a->action != ACTION_PRINT_FILTER || a->format != NONET_FILTER_OCI))
                return refuse("--base goes with --print-filter=oci");
        if (a->runtime != OCI_RUNTIME_ANY && (a->action != ACTION_PRINT_FILTER || a->format != NONET_FILTER_OCI))
                return refuse("--runtime goes with --print-filter=oci");
        if (a->action == ACTION_PRINT_FILTER && a->format == NONET_FILTER_OCI && (a->trace || a->verbose))
                return refuse("--print-filter=oci writes a profile: it takes no --trace or --verbose");
        if (a->action == ACTION_DBUS_POLICY && (a->policy_options || a->user || a->verbose || a->trace))
                return refuse("--write-dbus-policy writes the table's policy: it takes no policy options, --user, "
                              "--trace or --verbose");
        if (files && a->action != ACTION_CHECK_CONFIG && a->action != ACTION_DBUS_POLICY && !a->user)
                return refuse("--table and --settings go with --check-config, --write-dbus-policy or --user");
        return 0;
}

static void print_families(const char *label, uint64_t set, uint64_t probed) {
        char buf[1024];
        if (set == probed)
                strcpy(buf, "all");
        else if (set == 0)
                strcpy(buf, "none");
        else if (nonet_families_format(set, buf, sizeof(buf)) < 0)
                strcpy(buf, "?");
        printf("%s: %s\n", label, buf);
}

static const char *network_text(int network) {
        switch (network) {
        case NONET_NETWORK_OFF:
                return "off";
        case NONET_NETWORK_ON:
                return "on";
        case NONET_NETWORK_DRY_RUN:
                return "dry-run";
        case NONET_NETWORK_LOOPBACK:
                return "loopback";
        default:
                return "unknown";
        }
}

static void print_rows(const char *label, uint64_t rows) {
        char buf[256];
        if (nonet_rows_format(rows, buf, sizeof(buf)) < 0)
                strcpy(buf, "?");
        printf("%s: %s\n", label, buf);
}

static const char *restricted_by(const struct nonet_status *s) {
        return !s->filters_read ? "unknown" : s->by_nonet ? "nonet" : s->seccomp_filters > 0 ? "another seccomp filter"
                                                                                           : "nothing";
}

static const char *unix_levels(uint64_t rows) {
        return rows & NONET_ROW_LISTED ? "all,no-abstract,listed" : rows & NONET_ROW_NO_ABSTRACT ? "all,no-abstract" : "all";
}

/* This process's own descriptors, judged as a restriction would judge them: one that reaches the
 * network is named. Empty if none. */
static void held_descriptor(char *buf, size_t size) {
        struct nonet_result r;
        buf[0] = '\0';
        int e = nonet_check(NULL, &r, sizeof(r));
        if (e < 0 && r.failed == NONET_LAYER_INHERITED)
                nonet_describe_failure_sized(e, &r, sizeof(r), buf, size);
}

/* A list of names as a JSON array: "unix,inet" -> ["unix","inet"]. */
static void json_list(const char *key, const char *list, bool last) {
        printf("  \"%s\": [", key);
        for (const char *p = list; *p && strcmp(list, "none") != 0;) {
                size_t n = strcspn(p, ",");
                printf("%s\"%.*s\"", p == list ? "" : ", ", (int) n, p);
                p += n + (p[n] == ',');
        }
        printf("]%s\n", last ? "" : ",");
}

void json_string(const char *s) {
        putchar('"');
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p == '"' || *p == '\\')
                        printf("\\%c", *p);
                else if (*p < 0x20 || *p == 0x7f)
                        printf("\\u%04x", *p);
                else
                        putchar(*p);
        putchar('"');
}

static void print_status_json(pid_t pid, const struct nonet_status *s, const char *held) {
        static const char *const modes[] = { "none", "strict", "filter" };
        char refused[1024] = "none", allowed[1024] = "none", rows[256];
        if (s->filters_read && nonet_families_format(s->refused & s->probed, refused, sizeof(refused)) < 0)
                strcpy(refused, "none");
        if (s->filters_read && nonet_families_format(s->probed & ~s->refused, allowed, sizeof(allowed)) < 0)
                strcpy(allowed, "none");
        if (nonet_rows_format(s->landlock_rows, rows, sizeof(rows)) < 0)
                strcpy(rows, "none");
        printf("{\n  \"pid\": %d,\n  \"network\": \"%s\",\n  \"restricted_by\": \"%s\",\n", pid > 0 ? (int) pid : (int) getpid(),
               network_text(s->network), restricted_by(s));
        printf("  \"filters_read\": %s,\n", s->filters_read ? "true" : "false");
        json_list("refused", s->filters_read ? refused : "none", false);
        json_list("allowed", s->filters_read ? allowed : "none", false);
        printf("  \"no_new_privs\": %s,\n  \"seccomp\": \"%s\",\n  \"seccomp_filters\": %d,\n  \"landlock_abi\": %d,\n",
               s->no_new_privs ? "true" : "false",
               s->seccomp_mode >= 0 && s->seccomp_mode <= 2 ? modes[s->seccomp_mode] : "unknown", s->seccomp_filters,
               s->landlock_abi);
        json_list("unix_levels", unix_levels(s->landlock_rows), false);
        json_list("landlock_rows", rows, false);
        printf("  \"brokers\": \"%s\",\n", s->brokers_masked > 0 ? "closed" : "open");
        printf("  \"held\": ");
        if (held && held[0])
                json_string(held);
        else
                printf("null");
        printf("\n}\n");
}

/* One "key: value" a line, as nonet-exec(1) lists them (or one JSON object); exit 0 off, 1 on,
 * 2 unknown. */
static int show_status(pid_t pid, bool json) {
        static const char *const modes[] = { "none", "strict", "filter" };
        struct nonet_status s;
        char held[512] = "";
        int r = pid > 0 ? nonet_status_pid(pid, &s, sizeof(s)) : nonet_status(&s, sizeof(s));
        if (r < 0) {
                say("cannot read the status of %s: %s", pid > 0 ? "that process" : "this process", strerror(-r));
                return EXIT_UNKNOWN;
        }
        if (pid <= 0)
                held_descriptor(held, sizeof(held));
        int ret = s.network == NONET_NETWORK_OFF || s.network == NONET_NETWORK_LOOPBACK ? EXIT_SUCCESS
                  : s.network == NONET_NETWORK_UNKNOWN                                 ? EXIT_UNKNOWN
                                                                                       : EXIT_FAILURE;
        if (json) {
                print_status_json(pid, &s, held);
                return ret;
        }
        if (pid > 0)
                printf("pid: %d\n", (int) pid);
        printf("network: %s\n", network_text(s.network));
        if (!s.filters_read)
                printf("why: reading another process's seccomp filters needs CAP_SYS_ADMIN\n");
        printf("restricted by: %s\n", restricted_by(&s));
        if (s.filters_read) {
                print_families("refused", s.refused & s.probed, s.probed);
                print_families("allowed", s.probed & ~s.refused, s.probed);
        }
        printf("no_new_privs: %s\n", s.no_new_privs ? "yes" : "no");
        printf("seccomp: %s\n", s.seccomp_mode >= 0 && s.seccomp_mode <= 2 ? modes[s.seccomp_mode] : "unknown");
        printf("seccomp filters: %d\n", s.seccomp_filters);
        if (s.landlock_abi > 0)
                printf("landlock: kernel ABI %d\n", s.landlock_abi);
        else
                printf("landlock: not available in this kernel\n");
        /* Landlock has no query for a domain's rules: say what this kernel can enforce. */
        printf("unix levels this kernel enforces: %s\n", unix_levels(s.landlock_rows));
        print_rows("landlock rows this kernel gives", s.landlock_rows);
        if (s.brokers_masked > 0)
                printf("brokers: closed (%d of their sockets and directories masked)\n", s.brokers_masked);
        else
                printf("brokers: open\n");
        if (held[0])
                printf("held: %s\n", held);
        return ret;
}

static const char *unix_text(uint64_t reach) {
        switch (reach) {
        case NONET_UNIX_NO_ABSTRACT:
                return "no-abstract (filesystem sockets; abstract ones created outside refused)";
        case NONET_UNIX_LISTED:
                return "listed (sockets outside only beneath the listed paths; abstract ones refused)";
        default:
                return "all (filesystem and abstract sockets)";
        }
}

/* The policy in the words of the options. */
static void policy_text(const struct nonet_policy *p, char *buf, size_t size) {
        static const char *const refusals_text[] = { "refused", "refused and logged", "logged only (dry run)",
                                                     "refused and told to nonet-exec (--trace)" };
        uint64_t allow = 0, error = 0, landlock = 0, reach = 0, refusals = 0, netns = 0, brokers = 0;
        char families[512];

        nonet_policy_get(p, NONET_ATTR_ALLOW, &allow);
        nonet_policy_get(p, NONET_ATTR_ERRNO, &error);
        nonet_policy_get(p, NONET_ATTR_LANDLOCK, &landlock);
        nonet_policy_get(p, NONET_ATTR_UNIX, &reach);
        nonet_policy_get(p, NONET_ATTR_REFUSALS, &refusals);
        nonet_policy_get(p, NONET_ATTR_NETNS, &netns);
        nonet_policy_get(p, NONET_ATTR_BROKERS, &brokers);
        if (nonet_families_format(allow, families, sizeof(families)) < 0)
                strcpy(families, "?");
        snprintf(buf, size, "allowed: %s; errno: %s; landlock: %s; unix: %s; refusals: %s%s%s", families,
                 nonet_errno_to_name((int) error), nonet_landlock_to_name((enum nonet_landlock) landlock),
                 unix_text(reach), refusals_text[refusals < 4 ? refusals : 0],
                 netns == NONET_NETNS_PRIVATE_LOOPBACK ? "; network: a private loopback (inet and inet6 on its own lo only)"
                                                       : "",
                 brokers == NONET_BROKERS_CLOSED ? "; brokers: closed (their sockets masked)" : "");
}

static void report(const struct args *a, const struct nonet_result *r) {
        char policy[1024], rows[256];
        policy_text(a->policy, policy, sizeof(policy));
        if (nonet_rows_format(r->rows & NONET_ROWS_LANDLOCK, rows, sizeof(rows)) < 0)
                strcpy(rows, "?");
        if (r->landlock_applied > 0)
                say("network off (seccomp, Landlock ABI %d: %s, no_new_privs); %s", r->landlock_applied, rows, policy);
        else
                say("network off (seccomp, no_new_privs; no Landlock: TCP on inherited sockets and /proc/PID/mem "
                    "are not restricted); %s",
                    policy);
}

/* Lines of text, each said. */
static void say_lines(const char *text) {
        for (const char *l = text, *e; *l; l = *e ? e + 1 : e) {
                e = strchrnul(l, '\n');
                say("%.*s", (int) (e - l), l);
        }
}

/* The profile alone, or merged onto --base, for --runtime. */
static int print_oci(const struct args *a) {
        char why[1024];
        struct oci_notes notes;
        int r = oci_write(a->policy, a->base, a->runtime, STDOUT_FILENO, why, sizeof(why), &notes);
        if (r == -ENOEXEC) {
                say("%s%s%s", a->base ? a->base : "", a->base ? ": " : "", why);
                say_lines(notes.readers);
                return EXIT_OTHER_READING;
        }
        if (r < 0 && *why) {
                say("%s: %s", a->base, why);
                return EXIT_FAILED;
        }
        if (r >= 0 && notes.no_x86)
                say("the profile leaves out SCMP_ARCH_X86: i386's socketcall() would take its socket() "
                    "rules without their arguments (see nonet-exec(1))");
        if (r >= 0 && *notes.readers) {
                say_lines(notes.readers);
                say("name the runtime the profile is for with --runtime: nothing is written where it would read it "
                    "otherwise");
        }
        if (r == -EOPNOTSUPP) {
                say("a profile cannot carry --trace or --private-loopback, nor --brokers=closed (a seccomp profile "
                    "cannot mask sockets: the runtime's mounts can, see nonet-exec(1))");
                return EXIT_FAILED;
        }
        if (r < 0) {
                say("cannot write the profile%s%s: %s", a->base ? " from " : "", a->base ? a->base : "", strerror(-r));
                return EXIT_FAILED;
        }
        return EXIT_SUCCESS;
}

static int print_filter(const struct args *a) {
        struct nonet_result result;
        char text[1024];

        if (a->format == NONET_FILTER_OCI)
                return print_oci(a);
        policy_text(a->policy, text, sizeof(text));
        printf("# nonet policy: %s\n", text);
        int r = nonet_check(a->policy, &result, sizeof(result));
        if (r < 0) {
                nonet_describe_failure_sized(r, &result, sizeof(result), text, sizeof(text));
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

/* Whether name exists as execvp() would look for it: its ENOENT then means a missing interpreter. */
static bool found_on_path(const char *name) {
        if (strchr(name, '/'))
                return access(name, F_OK) == 0;
        const char *path = getenv("PATH");
        char buf[4096];
        for (const char *p = path ? path : "/usr/local/bin:/usr/bin:/bin"; *p;) {
                size_t n = strcspn(p, ":");
                if (snprintf(buf, sizeof(buf), "%.*s/%s", (int) n, n ? p : ".", name) < (int) sizeof(buf) &&
                    access(buf, F_OK) == 0)
                        return true;
                p += n + (p[n] == ':');
        }
        return false;
}

static int exec_command(struct args *a);

static int send_fd(int sock, int fd) {
        char data = 0, control[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { &data, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof(control) };
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET, c->cmsg_type = SCM_RIGHTS, c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(int));
        return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

static int recv_fd(int sock) {
        char data, control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = { &data, 1 };
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
                              .msg_controllen = sizeof(control) };
        int fd = -1;
        if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
                return -1;
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (c && c->cmsg_type == SCM_RIGHTS)
                memcpy(&fd, CMSG_DATA(c), sizeof(int));
        return fd;
}

/* Answer the next refused call and say it; its name was read while the call was held. */
static void tell_refusal(int fd, const struct nonet_policy *policy) {
        struct nonet_refusal rf;
        if (nonet_refusal_next(fd, policy, &rf, sizeof(rf)) >= 0 || rf.pid > 0)
                say("refused %s by %s[%d]: %s", rf.call, rf.comm[0] ? rf.comm : "?", rf.pid, strerror(rf.error));
}

/* From Linux 5.8 the notification descriptor reports POLLHUP once no process uses the filter. */
static bool kernel_reports_unused_filter(void) {
        struct utsname u;
        int major = 0, minor = 0;
        return uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
               (major > 5 || (major == 5 && minor >= 8));
}

/* What the command left behind (a daemon, a background job) keeps its refusals and their lines:
 * a detached copy of the supervisor answers until the last process using the filter is gone. */
static void supervise_leftovers(int fd, const struct nonet_policy *policy) {
        struct pollfd pfd = { fd, POLLIN, 0 };
        if (!kernel_reports_unused_filter() || (poll(&pfd, 1, 0) >= 0 && (pfd.revents & POLLHUP)))
                return;
        fflush(NULL);
        pid_t copy = fork();
        if (copy < 0)
                say("cannot go on supervising what the command left running: %s; its refused calls now "
                    "fail with ENOSYS", strerror(errno));
        if (copy != 0)
                return;
        setsid();
        signal(SIGPIPE, SIG_IGN);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0)
                dup2(null, STDIN_FILENO), dup2(null, STDOUT_FILENO);
        if (chdir("/") < 0) { /* not to hold a mount busy; nothing lost if it fails */ }
        for (;;) {
                pfd.revents = 0;
                if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
                        _exit(EXIT_FAILED);
                if (pfd.revents & POLLIN)
                        tell_refusal(fd, policy);
                else if (pfd.revents & (POLLHUP | POLLERR | POLLNVAL))
                        _exit(EXIT_SUCCESS);
        }
}

static int exit_status_of(int status) {
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* --trace: the command runs restricted in a child, and this process stays outside as its
 * supervisor, answering each refused call with its refusal and saying so on standard error. */
static int run_traced(struct args *a) {
        int sv[2], status;
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
                say("cannot trace: %s", strerror(errno));
                return EXIT_FAILED;
        }
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
                say("cannot trace: %s", strerror(errno));
                return EXIT_FAILED;
        }
        if (pid == 0) {
                struct nonet_result result;
                char why[512];
                close(sv[0]);
                int r = nonet_restrict(a->policy, &result, sizeof(result));
                if (r < 0) {
                        nonet_describe_failure_sized(r, &result, sizeof(result), why, sizeof(why));
                        say("cannot restrict: %s", why);
                        _exit(EXIT_FAILED);
                }
                if (send_fd(sv[1], result.notify_fd) < 0)
                        _exit(EXIT_FAILED);
                close(result.notify_fd);
                close(sv[1]);
                _exit(exec_command(a));
        }
        close(sv[1]);
        if (a->bus_proxy_fd >= 0)
                close(a->bus_proxy_fd); /* the command's, not this supervisor's: the proxy ends with it */
        int fd = recv_fd(sv[0]);
        close(sv[0]);
        /* the terminal's signals are the command's: this supervisor must outlive it */
        signal(SIGINT, SIG_IGN);
        signal(SIGQUIT, SIG_IGN);
        int pidfd = (int) syscall(SYS_pidfd_open, pid, 0); /* Linux 5.3; else a look every 200 ms */
        while (fd >= 0) {
                struct pollfd pfd[2] = { { fd, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
                if (poll(pfd, 2, pidfd >= 0 ? -1 : 200) > 0 && (pfd[0].revents & POLLIN))
                        tell_refusal(fd, a->policy);
                if (waitpid(pid, &status, WNOHANG) == pid) {
                        supervise_leftovers(fd, a->policy);
                        return exit_status_of(status);
                }
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return EXIT_FAILED;
        return exit_status_of(status);
}

/* Whether this network namespace has a unix socket bound to the abstract name (/proc/net/unix
 * shows it as "@NAME"). */
static bool abstract_socket_bound(const char *name) {
        FILE *f = fopen("/proc/net/unix", "re");
        char line[512];
        size_t len = strlen(name);
        bool found = false;
        while (f && !found && fgets(line, sizeof(line), f)) {
                char *at = strrchr(line, ' ');
                found = at && at[1] == '@' && strncmp(at + 2, name, len) == 0 && (at[2 + len] == '\n' || !at[2 + len]);
        }
        if (f)
                fclose(f);
        return found;
}

/*
 * A hint, never a refusal: $DISPLAY names a local X server that X clients will not reach, and
 * they would say only "cannot open display". libxcb connects to the abstract socket first and
 * gives up on any error but ENOENT and ECONNREFUSED: no-abstract's EPERM stops it even where the
 * filesystem socket exists. A private loopback sees no abstract socket of the host's (refused,
 * so libxcb falls back): only a server without a filesystem socket is out of reach there.
 */
static void hint_display(const struct nonet_policy *p) {
        const char *display = getenv("DISPLAY"), *d;
        uint64_t reach = NONET_UNIX_ALL, netns = NONET_NETNS_HOST;
        char path[64], *end;
        struct stat st;

        if (!display || nonet_policy_get(p, NONET_ATTR_UNIX, &reach) < 0 || nonet_policy_get(p, NONET_ATTR_NETNS, &netns) < 0)
                return;
        d = strncmp(display, "unix:", 5) == 0 ? display + 4 : display;
        if (d[0] != ':' || d[1] < '0' || d[1] > '9')
                return; /* a remote display (host:N), or one nonet-exec cannot tell */
        unsigned long n = strtoul(d + 1, &end, 10);
        if ((*end && *end != '.') || n > 65535)
                return;
        snprintf(path, sizeof(path), "/tmp/.X11-unix/X%lu", n);
        if (!abstract_socket_bound(path))
                return;
        if (netns == NONET_NETNS_PRIVATE_LOOPBACK) {
                if (stat(path, &st) < 0 || !S_ISSOCK(st.st_mode))
                        say("warning: DISPLAY=%s: the X server listens only on the abstract socket @%s, which a private "
                            "loopback does not reach: X clients will say \"cannot open display\"; have it listen on %s "
                            "too (not -nolisten unix)", display, path, path);
        } else if (reach != NONET_UNIX_ALL)
                say("warning: DISPLAY=%s: the X server listens on the abstract socket @%s, which --unix=%s refuses, "
                    "and X clients try it first and stop there: \"cannot open display\"; start the X server with "
                    "-nolisten local (its filesystem socket alone), or use --unix=all",
                    display, path, reach == NONET_UNIX_LISTED ? "listed" : "no-abstract");
}

/* Brokers closed: the command's system bus is xdg-dbus-proxy's, which keeps the names a session
 * needs; it stops when the command, and whatever inherits the descriptor, is gone. */
static int start_bus_proxy(struct args *a) {
        uint64_t brokers = NONET_BROKERS_OPEN;
        if (nonet_policy_get(a->policy, NONET_ATTR_BROKERS, &brokers) < 0 || brokers != NONET_BROKERS_CLOSED)
                return 0;
        int r = busproxy_start(a->policy, &a->bus_proxy_fd);
        if (r == -ENOENT)
                say("cannot restrict: --brokers=closed filters the system bus (%s) with xdg-dbus-proxy, which is not "
                    "installed: install it (apt-get install xdg-dbus-proxy), or use --brokers=open", SYSTEM_BUS_SOCKET);
        else if (r < 0)
                say("cannot restrict: --brokers=closed filters the system bus (%s), and xdg-dbus-proxy could not be "
                    "started: %s", SYSTEM_BUS_SOCKET, r == -EPIPE ? "it stopped before it was ready" : strerror(-r));
        return r;
}

static int run(struct args *a) {
        struct nonet_result result;
        bool restricted = true;
        char why[512];
        int r;

        if (a->user && table_user_policy(a->argv, a->user, &a->files, a->verbose, a->policy, &restricted) < 0)
                return EXIT_FAILED;
        if (!restricted)
                return exec_command(a);
        hint_display(a->policy);
        if (start_bus_proxy(a) < 0)
                return EXIT_FAILED;
        if (a->trace)
                return run_traced(a);
        r = nonet_restrict(a->policy, &result, sizeof(result));
        if (r < 0) {
                busproxy_stop(a->policy, a->bus_proxy_fd);
                nonet_describe_failure_sized(r, &result, sizeof(result), why, sizeof(why));
                say("cannot restrict: %s", why);
                if (result.failed == NONET_LAYER_INHERITED)
                        say("to run anyway, with that socket reaching the network: --inherited=accept");
                return EXIT_FAILED;
        }
        if (a->verbose)
                report(a, &result);
        return exec_command(a);
}

static int exec_command(struct args *a) {
        execvp(a->command[0], a->command);
        int e = errno;
        if (e == ENOENT && found_on_path(a->command[0])) {
                say("failed to execute %s: bad interpreter (its #! line names a program that does not exist)",
                    a->command[0]);
                return EXIT_CANNOT_RUN;
        }
        say("failed to execute %s: %s", a->command[0], strerror(e));
        return e == ENOENT ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN;
}

/* --print-filter --user: the filter of that user's policy, or that there is none. */
static int print_user_filter(struct args *a) {
        bool restricted = true;
        if (table_user_policy(a->argv, a->user, &a->files, a->verbose, a->policy, &restricted) < 0)
                return EXIT_FAILED;
        if (!restricted && a->format == NONET_FILTER_OCI) {
                /* no JSON at all: a profile written from this would be empty */
                say("the table leaves %s's network on: no profile", a->user);
                return EXIT_FAILURE;
        }
        if (!restricted) {
                printf("# the table leaves %s's network on: no filter\n", a->user);
                return EXIT_SUCCESS;
        }
        return print_filter(a);
}

/* What nonet_check() of the default policy, changed by one attribute, says this kernel gives;
 * held descriptors are not the question here. */
static int version_check(enum nonet_attr attr, uint64_t value, struct nonet_result *ret) {
        struct nonet_policy *p = nonet_policy_new();
        if (!p)
                return -ENOMEM;
        int r = nonet_policy_set(p, NONET_ATTR_INHERITED, NONET_INHERITED_ACCEPT);
        if (r >= 0 && attr)
                r = nonet_policy_set(p, attr, value);
        if (r >= 0)
                r = nonet_check(p, ret, sizeof(*ret));
        nonet_policy_free(p);
        return r;
}

static void version_line(const char *what, enum nonet_attr attr, uint64_t value) {
        struct nonet_result res = { 0 };
        char why[512];
        int r = version_check(attr, value, &res);
        if (r >= 0) {
                printf("%s: yes\n", what);
                return;
        }
        nonet_describe_failure_sized(r, &res, sizeof(res), why, sizeof(why));
        printf("%s: no (%s)\n", what, why);
}

/* The build's options and what the running kernel gives, as systemctl --version says them. */
static int print_version(void) {
        const struct scmp_version *sv = seccomp_version();
        struct nonet_result res = { 0 };
        struct utsname u;
        char rows[512], why[512];

        printf("nonet-exec %s (libnonet %s)\n", NONET_VERSION, nonet_version());
        printf("build: libseccomp %u.%u.%u; table %s/nonet.conf; vendor directory %s; table side %s/nonet-exec-table\n",
               sv ? sv->major : 0, sv ? sv->minor : 0, sv ? sv->micro : 0, NONET_ETC_DIR, NONET_VENDOR_DIR,
               NONET_LIBEXEC_DIR);
        if (uname(&u) == 0)
                printf("kernel: %s %s %s\n", u.sysname, u.release, u.machine);
        int r = version_check(0, 0, &res);
        if (r < 0) {
                nonet_describe_failure_sized(r, &res, sizeof(res), why, sizeof(why));
                printf("restrict: no (%s)\n", why);
        } else {
                printf("restrict: yes\n");
                printf("layers: no_new_privs, seccomp%s\n", res.rows & NONET_ROWS_LANDLOCK ? ", landlock" : "");
        }
        if (res.landlock_abi > 0)
                printf("landlock: ABI %d\n", res.landlock_abi);
        else
                printf("landlock: none (CONFIG_SECURITY_LANDLOCK, lsm=landlock)\n");
        if (nonet_rows_format(res.rows, rows, sizeof(rows)) < 0)
                strcpy(rows, "none");
        printf("rows of the default policy: %s\n", rows);
        version_line("--unix=no-abstract", NONET_ATTR_UNIX, NONET_UNIX_NO_ABSTRACT);
        version_line("--trace", NONET_ATTR_REFUSALS, NONET_REFUSE_AND_NOTIFY);
        version_line("--private-loopback", NONET_ATTR_NETNS, NONET_NETNS_PRIVATE_LOOPBACK);
        version_line("--brokers=closed", NONET_ATTR_BROKERS, NONET_BROKERS_CLOSED);
        return EXIT_SUCCESS;
}

static int act(struct args *a) {
        switch (a->action) {
        case ACTION_HELP:
                usage(stdout);
                return EXIT_SUCCESS;
        case ACTION_VERSION:
                return print_version();
        case ACTION_STATUS:
                return a->all ? table_audit(a->argv, a->json) : show_status(a->pid, a->json);
        case ACTION_PRINT_FILTER:
                return a->user ? print_user_filter(a) : print_filter(a);
        case ACTION_CHECK_CONFIG:
                return table_check_config(a->argv, &a->files);
        case ACTION_DBUS_POLICY:
                return table_write_dbus_policy(a->argv, &a->files, a->dbus_policy);
        case ACTION_EXEC:
                break;
        }
        return run(a);
}

int main(int argc, char **argv) {
        struct args a = { .bus_proxy_fd = -1 };
        int r;
        if (parse_args(argc, argv, &a) < 0) {
                fputs("Try 'nonet-exec --help' for more information.\n", stderr);
                r = EXIT_FAILED;
        } else
                r = act(&a);
        nonet_policy_free(a.policy);
        /* what was printed must have reached its reader: a full disk is an error */
        if (fflush(stdout) != 0 || ferror(stdout)) {
                say("write error: %s", strerror(errno ? errno : EIO));
                return EXIT_FAILED;
        }
        return r;
}
