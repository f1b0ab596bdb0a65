/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nonet-exec's table side (nonet-exec-table): --user and --check-config, with libeconf and NSS. */

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "dbuspolicy.h"
#include "nonet-exec.h"
#include "units.h"
#include "util.h"

#define SSHD "/usr/sbin/sshd"
#define PLUGSTACK "/etc/slurm/plugstack.conf"

struct diag_ctx {
        bool verbose;
        bool reads_to_stdout; /* --check-config: "read FILE" lines are its report, on stdout */
        unsigned errors;
};

static void print_diag(void *userdata, enum diag_level level, const char *message) {
        struct diag_ctx *c = userdata;
        if (level == DIAG_DEBUG && c->reads_to_stdout && strncmp(message, "read ", 5) == 0) {
                printf("%s\n", message);
                return;
        }
        if (level == DIAG_DEBUG && !c->verbose)
                return;
        c->errors += level == DIAG_ERROR;
        say("%s%s", level == DIAG_WARNING ? "warning: " : "", message);
}

/* The table decides; when it cannot, the network is off (closed). */
static void staged_paths(const struct table_files *files, struct admin_paths *ret) {
        paths_default(ret);
        ret->table = files->table;
        ret->settings = files->settings;
}

int table_user_policy(char **argv, const char *user, const struct table_files *files, bool verbose,
                      struct nonet_policy *policy, bool *ret_restricted) {
        struct diag_ctx c = { .verbose = verbose };
        struct diag d = { print_diag, &c };
        struct admin_paths paths;
        struct verdict v;

        staged_paths(files, &paths);
        int r = decide_user(&paths, user, &d, &v);
        if (r == -ESRCH)
                return r; /* already said: no such user */
        if (verbose)
                say("user %s: network %s (%s)", user, v.restricted ? "off" : "on", v.source);
        *policy = v.policy;
        *ret_restricted = v.restricted;
        return 0;
}

static int print_service(void *userdata, const char *unit, const struct verdict *v) {
        if (v->passed[0])
                say("warning: %s: the inet socket systemd passes it (%s) keeps working, and a drop-in cannot stop it "
                    "being re-aimed: run its command under nonet-exec", unit, v->passed);
        if (v->from_unit)
                return 0; /* the unit's own X-NetworkOff=: not the table's doing */
        printf("  %s: network off%s (%s)\n", unit, v->policy.brokers == NONET_BROKERS_CLOSED ? ", brokers closed" : "",
               v->source);
        if (unit_provides_network(unit))
                say("warning: %s brings up this machine's network, and the table turns its network off: the "
                    "machine may be off the net after the next boot",
                    unit);
        return 0;
}

/* What the table does to services at the next boot (or daemon-reload), read as the generator reads them. */
static void preview_services(const struct settings *s, const struct table *t, const struct diag *d) {
        struct unit_context ctx = { .settings = s, .table = t, .diag = d }; /* a unit's mistakes too */
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

/* The settings against this kernel: what the table's users get must be enforceable here. */
static void check_kernel(const struct settings *s, struct diag_ctx *c) {
        struct nonet_policy p;
        struct nonet_result r;
        char why[512];

        settings_policy(s, 0, &p);
        p.inherited = NONET_INHERITED_ACCEPT; /* this program's own descriptors are not a login's */
        int e = nonet_check(&p, &r, sizeof(r));
        if (e >= 0)
                return;
        nonet_describe_failure_sized(e, &r, sizeof(r), why, sizeof(why));
        say("every restricted login will be refused on this kernel: %s", why);
        c->errors++;
}

/* sshd's effective configuration, where sshd is installed: logins it lets past the table. */
static void check_sshd(void) {
        char line[512];
        if (access(SSHD, X_OK) < 0)
                return;
        FILE *f = popen(SSHD " -T 2>/dev/null", "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                line[strcspn(line, "\n")] = '\0';
                if (strcmp(line, "usepam no") == 0)
                        say("warning: sshd does not use PAM (UsePAM no): pam_nonet never runs for ssh logins, and "
                            "the users the table restricts have their network there");
                else if (strncmp(line, "permittunnel ", 13) == 0 && strcmp(line + 13, "no") != 0)
                        say("warning: sshd permits tun forwarding (PermitTunnel %s): attaching the device is refused "
                            "in restricted sessions, but say PermitTunnel no for restricted groups (Match Group)",
                            line + 13);
        }
        pclose(f);
}

/* Slurm's plugin stack, where Slurm reads it: spank_nonet loaded "optional" fails open. */
static void check_plugstack(const char *path, int depth) {
        char line[1024];
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                char word[16] = "", arg[900] = "";
                if (sscanf(line, " %15s %899s", word, arg) < 2 || word[0] == '#')
                        continue;
                if (strcmp(word, "include") == 0 && depth < 4) {
                        glob_t g;
                        if (glob(arg, 0, NULL, &g) == 0)
                                for (size_t i = 0; i < g.gl_pathc; i++)
                                        check_plugstack(g.gl_pathv[i], depth + 1);
                        globfree(&g);
                        continue;
                }
                const char *base = strrchr(arg, '/');
                if (strcmp(word, "optional") == 0 && strcmp(base ? base + 1 : arg, "spank_nonet.so") == 0)
                        say("warning: %s:%u: spank_nonet.so is optional: Slurm ignores its failure, so a task the "
                            "table restricts runs with the network on where it cannot be restricted: make it required",
                            path, n);
        }
        fclose(f);
}

int table_check_config(char **argv, const struct table_files *files) {
        struct diag_ctx c = { .verbose = true, .reads_to_stdout = true };
        struct diag d = { print_diag, &c };
        struct admin_paths paths;
        struct settings s;
        struct table *t = NULL;

        staged_paths(files, &paths);
        int r = config_load(&paths, &s, &t, &d);
        if (!t) {
                say("out of memory");
                return EXIT_FAILED;
        }
        int lint = table_lint(t, &d);
        c.errors += lint > 0 ? (unsigned) lint : 0;
        size_t rules = table_size(t);
        printf("%zu rule%s\n", rules, rules == 1 ? "" : "s");
        if (table_is_closed(t))
                printf("unusable: until it is mended, the network is off for every login account (UID %u-%u) and for "
                       "every account a line names; root and the other system accounts keep theirs\n",
                       (unsigned) s.login_min, (unsigned) s.login_max);
        check_kernel(&s, &c);
        check_sshd();
        check_plugstack(PLUGSTACK, 0);
        brokers_lint(NULL, &d); /* warnings: information, not errors */
        brokers_closed_lint(&s, &d);
        dbus_policy_lint(t, NULL, s.brokers == NONET_BROKERS_CLOSED, &d);
        preview_services(&s, t, &d);
        table_free(t);
        return r < 0 || c.errors > 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* --write-dbus-policy: the table's D-Bus policy, where dbus-daemon reads it (it reloads on the rename). */
int table_write_dbus_policy(char **argv, const struct table_files *files, const char *path) {
        struct diag_ctx c = { 0 };
        struct diag d = { print_diag, &c };
        struct admin_paths paths;
        struct settings s;
        struct table *t = NULL;
        char *text = NULL;

        staged_paths(files, &paths);
        int r = config_load(&paths, &s, &t, &d);
        if (!t) {
                say("out of memory");
                return EXIT_FAILED;
        }
        if (r >= 0)
                r = dbus_policy_make(t, &d, &text);
        table_free(t);
        if (r == -EBADMSG || (r < 0 && r != -ENOMEM)) {
                say("the table cannot be used: nothing written (nonet-exec --check-config says why)");
                return EXIT_FAILURE;
        }
        if (r < 0) {
                say("out of memory");
                return EXIT_FAILED;
        }
        if (!path)
                path = DBUS_POLICY_PATH;
        if (strcmp(path, "-") == 0)
                fputs(text, stdout);
        else if ((r = dbus_policy_write(path, text)) < 0)
                say("cannot write %s: %s", path, strerror(-r));
        free(text);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

struct audit {
        const struct table *table;
        const struct settings *settings;
        struct {
                uid_t uid;
                bool known;
                char name[64];
                struct verdict verdict;
        } users[256]; /* the verdict of each uid met, decided once */
        size_t n_users;
        unsigned flagged, unknown, undecided;
        bool json;
        unsigned printed; /* processes printed, for the JSON list's commas */
};

static const char *user_of(struct audit *a, uid_t uid, const struct verdict **ret) {
        for (size_t i = 0; i < a->n_users; i++)
                if (a->users[i].uid == uid) {
                        *ret = a->users[i].known ? &a->users[i].verdict : NULL;
                        return a->users[i].name;
                }
        size_t i = a->n_users < ELEMENTSOF(a->users) ? a->n_users++ : ELEMENTSOF(a->users) - 1;
        char buf[4096];
        struct passwd pw, *found = NULL;
        a->users[i].uid = uid;
        a->users[i].known = getpwuid_r(uid, &pw, buf, sizeof(buf), &found) == 0 && found;
        snprintf(a->users[i].name, sizeof(a->users[i].name), "%s", a->users[i].known ? pw.pw_name : "?");
        if (a->users[i].known)
                verdict_for_user(a->table, a->settings, a->users[i].name, UNKNOWN_CLOSED, &a->users[i].verdict, NULL);
        *ret = a->users[i].known ? &a->users[i].verdict : NULL;
        return a->users[i].name;
}

/* Whether the process has what the table asks for its user: every family refused that the policy refuses. */
static bool as_the_table_says(const struct verdict *v, const struct nonet_status *s) {
        if (v->policy.refusals == NONET_LOG_ONLY)
                return s->by_nonet;
        return (~v->policy.allow & ~s->refused & s->probed) == 0;
}

#define PF_KTHREAD_ 0x00200000

/* Field 9 of /proc/PID/stat, after the command's closing parenthesis: readable by anyone. */
static bool kernel_thread(pid_t pid) {
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return true; /* gone: nothing to judge */
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *p = strrchr(buf, ')');
        unsigned long flags = 0;
        return !p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %lu", &flags) != 1 || (flags & PF_KTHREAD_);
}

static void audit_one(struct audit *a, pid_t pid) {
        char path[64], comm[64] = "", line[256];
        struct nonet_status s;
        uid_t uid = (uid_t) -1;

        if (kernel_thread(pid))
                return;
        snprintf(path, sizeof(path), "/proc/%d/status", (int) pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "Name:\t", 6) == 0)
                        snprintf(comm, sizeof(comm), "%.*s", (int) strcspn(line + 6, "\n"), line + 6);
                else if (strncmp(line, "Uid:\t", 5) == 0)
                        uid = (uid_t) strtoul(line + 5, NULL, 10);
        }
        fclose(f);
        if (uid == (uid_t) -1 || nonet_status_pid(pid, &s, sizeof(s)) < 0)
                return; /* gone meanwhile */
        const struct verdict *v;
        const char *user = user_of(a, uid, &v);
        const char *network = (s.network == NONET_NETWORK_OFF && s.by_nonet) ? "off"
                              : s.network == NONET_NETWORK_OFF                  ? "off*"
                              : s.network == NONET_NETWORK_ON                   ? "on"
                              : s.network == NONET_NETWORK_DRY_RUN              ? "dry-run"
                                                                                : "unknown";
        const char *finding = NULL;
        if (v && v->nss_errno)
                a->undecided++; /* whatever the process has: the table's answer for it is a guess */
        if (v && v->restricted && !s.filters_read) {
                a->unknown++;
                finding = "cannot-tell";
        } else if (v && v->restricted && !as_the_table_says(v, &s)) {
                a->flagged++;
                finding = "has-network";
        }
        if (a->json) {
                printf("%s\n    {\"pid\": %d, \"uid\": %u, \"user\": ", a->printed++ ? "," : "", (int) pid,
                       (unsigned) uid);
                json_string(user);
                printf(", \"command\": ");
                json_string(comm);
                printf(", \"network\": \"%s\", \"restricted_by\": \"%s\", \"finding\": ", network,
                       !s.filters_read ? "unknown" : s.by_nonet ? "nonet" : s.seccomp_filters ? "another seccomp filter"
                                                                                               : "nothing");
                if (finding) {
                        printf("\"%s\", \"source\": ", finding);
                        json_string(v->source);
                } else
                        printf("null, \"source\": null");
                if (v && v->nss_errno) {
                        printf(", \"undecided\": {\"group\": ");
                        json_string(v->nss_group);
                        printf(", \"error\": ");
                        json_string(strerrordesc_np(v->nss_errno));
                        putchar('}');
                } else
                        printf(", \"undecided\": null");
                putchar('}');
                return;
        }
        printf("%-7d %-16s %-8s %s", (int) pid, user, network, comm);
        if (finding)
                printf("  <- %s: the table turns %s off (%s)",
                       strcmp(finding, "has-network") == 0 ? "has network" : "cannot tell",
                       strcmp(finding, "has-network") == 0 ? "it" : "its network", v->source);
        if (v && v->nss_errno)
                printf("  <- undecided: NSS cannot say whether %s is in group '%s' (%s)", user, v->nss_group,
                       strerrordesc_np(v->nss_errno));
        putchar('\n');
}

int table_audit(char **argv, bool json) {
        struct diag_ctx c = { .verbose = false };
        struct diag d = { print_diag, &c };
        struct admin_paths paths;
        struct settings s;
        struct table *t = NULL;
        struct dirent *de;

        paths_default(&paths);
        /* An unusable table is a closed one: the audit reads it as the logins do. */
        if (config_load(&paths, &s, &t, &d) < 0 && t)
                say("warning: the table or its settings cannot be used: every login account's network should be "
                    "off, and that of every account a line names");
        if (!t) {
                say("out of memory");
                return EXIT_FAILED;
        }
        struct audit *a = calloc(1, sizeof(*a));
        DIR *dir = opendir("/proc");
        if (!a || !dir) {
                say("cannot read /proc: %s", strerror(errno));
                free(a);
                table_free(t);
                return EXIT_FAILED;
        }
        a->table = t, a->settings = &s, a->json = json;
        if (geteuid() != 0)
                say("note: not root: only what /proc shows can be judged; other users' filters cannot be read "
                    "(NETWORK unknown)");
        if (json)
                printf("{\n  \"table_usable\": %s,\n  \"judged_as_root\": %s,\n  \"processes\": [",
                       table_is_closed(t) ? "false" : "true", geteuid() == 0 ? "true" : "false");
        else
                printf("%-7s %-16s %-8s %s\n", "PID", "USER", "NETWORK", "COMMAND");
        while ((de = readdir(dir)))
                if (de->d_name[0] >= '1' && de->d_name[0] <= '9' && atoi(de->d_name) != getpid())
                        audit_one(a, (pid_t) atoi(de->d_name));
        closedir(dir);
        if (json)
                printf("\n  ],\n  \"flagged\": %u,\n  \"unknown\": %u,\n  \"undecided\": %u\n}\n", a->flagged,
                       a->unknown, a->undecided);
        int ret = a->flagged || a->undecided ? EXIT_FAILURE : a->unknown ? EXIT_UNKNOWN : EXIT_SUCCESS;
        if (a->flagged)
                say("%u process(es) of users whose network the table turns off still have network", a->flagged);
        if (a->undecided)
                say("%u process(es) of users whose verdict NSS could not decide: their groups cannot be read now "
                    "(a directory service down?)", a->undecided);
        free(a);
        table_free(t);
        return ret;
}
