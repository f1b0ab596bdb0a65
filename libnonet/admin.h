/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/*
 * The administrator's side, shared by pam_nonet, nonet-exec --user and the
 * generator: the table (/etc/security/nonet.conf, nonet.d/), the settings
 * file (nonet-settings.conf, read with libeconf) and the users they name.
 * Nothing here logs: problems go to the caller's diag function.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "nonet.h"
#include "policy.h"

struct admin_paths {
        const char *etc_dir;    /* /etc/security */
        const char *vendor_dir; /* the package's vendor directory */
        const char *table;      /* the main table file; NULL: etc_dir/nonet.conf */
        const char *settings;   /* the settings file alone (one staged to be checked); NULL: the usual */
        const char *login_defs; /* UID_MIN and UID_MAX: /etc/login.defs; NULL: their defaults */
        uid_t owner;            /* who may own (and alone write) them: root */
};
void paths_default(struct admin_paths *ret);
/* An argument of pam_nonet's or spank_nonet's line (conf=FILE, debug); false if unknown. */
bool module_option(const char *arg, struct admin_paths *paths, bool *debug);

enum diag_level { DIAG_ERROR, DIAG_WARNING, DIAG_DEBUG };
struct diag {
        void (*fn)(void *userdata, enum diag_level level, const char *message);
        void *userdata;
};
void diag_say(const struct diag *d, enum diag_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

struct settings {
        int error;                    /* errno of refused socket() for table users */
        enum nonet_landlock landlock; /* Landlock requirement for table users */
        enum nonet_unix unix_reach;   /* how far AF_UNIX reaches for table users */
        enum nonet_brokers brokers;   /* the machine's brokers for table users: open, or masked */
        bool services;                /* services running as a restricted user follow the table */
        bool log;                     /* the kernel logs each refusal */
        uid_t login_min, login_max;   /* login accounts, whom '*' and ranges match: UID_MIN..UID_MAX */
};
/* shadow's defaults for UID_MIN and UID_MAX, where login.defs does not set them */
#define LOGIN_UID_MIN 1000
#define LOGIN_UID_MAX 60000
#define SETTINGS_DEFAULT                                                                                         \
        {                                                                                                        \
                .error = EAFNOSUPPORT, .landlock = NONET_LANDLOCK_AUTO, .unix_reach = NONET_UNIX_ALL,            \
                .services = true, .login_min = LOGIN_UID_MIN, .login_max = LOGIN_UID_MAX,                        \
        }
/* Defaults, then the files. On error *ret still holds usable (default) values. */
int settings_load(const struct admin_paths *paths, struct settings *ret, const struct diag *d);

struct group_answers;
struct account {
        char *name;
        uid_t uid;
        gid_t gid;
        gid_t *groups;      /* an account made by hand: all its groups, primary and supplementary */
        char **group_names; /* the same, by name (NULL where a group has no name) */
        size_t n_groups;
        struct group_answers *asked; /* user_lookup()'s: what NSS said, asked as decisions need it */
};
/* By name or, for "1000", by number. -ESRCH if there is no such user. */
int user_lookup(const char *name_or_uid, struct account *ret);
void user_done(struct account *u);
/* Whether u is in the group called name: its gid among u's groups, or u's name among its members.
 * 1, 0, or -errno where NSS cannot answer for the group (a directory down or hung), as opposed to
 * "no such group" (0). Each group is asked once per account looked up. */
int account_in_group(const struct account *u, const char *name);
/* Whether gid is among u's groups (getgrouplist(), asked once): 1, 0, or -errno. */
int account_has_gid(const struct account *u, gid_t gid);
/* Whether NSS knows a group: 1, 0 (no such group), or -errno (it cannot answer now). */
int group_known(const char *name);
/* Whether NSS knows a user: 1, 0 (no such user), or -errno (it cannot answer now). */
int user_known(const char *name);

struct table;
/* -errno if the table cannot be trusted or read: *ret is then a closed table (but for -ENOMEM,
 * which leaves it unset). Bad lines are skipped. */
int table_load(const struct admin_paths *paths, struct table **ret, const struct diag *d);
/* Unusable, for why: as if it said '* hard network off', and off for every account a line names. */
void table_close(struct table *t, const char *why);
/* What --check-config says beyond the errors: a user's name that is a group's (an error: the
 * number of them is returned), names NSS does not know, lines said twice or contradicting. */
int table_lint(const struct table *t, const struct diag *d);
/* The machine's own brokers a restricted session can reach (nscd with a hosts cache, systemd-resolved,
 * avahi-daemon, cupsd's network queues, per-user daemons): each a warning with the administrator's
 * lever, judged from the files and sockets under root ("" or NULL: this machine's) without
 * connecting to any. How many were found. */
int brokers_lint(const char *root, const struct diag *d);
/* With Brokers=closed, which of the brokers' sockets a restricted session's namespace masks (those
 * present now, and the per-user ones by name), as a DIAG_DEBUG line. */
void brokers_closed_lint(const struct settings *s, const struct diag *d);
/* The files read, in the order read. */
size_t table_files(const struct table *t, const char *const **ret);
bool table_is_closed(const struct table *t);
/* A line's domain and value, for what is written from the table (dbuspolicy.c). */
enum domain_kind { DOMAIN_ALL = 0, DOMAIN_USER = 1, DOMAIN_UID = 2, DOMAIN_GROUP = 3, DOMAIN_GID = 4 };
struct table_line {
        enum domain_kind kind;
        const char *name;  /* DOMAIN_USER, DOMAIN_GROUP */
        uint32_t min, max; /* DOMAIN_UID, DOMAIN_GID, inclusive */
        bool range, broken, exempt, dry_run;
        uint64_t allow;
        const char *file;
        unsigned line;
};
/* The i-th line kept, in the order read; false past the last. */
bool table_line(const struct table *t, size_t i, struct table_line *ret);
void table_free(struct table *t);
/* The lines of one file held in memory, named name (for tests and fuzzing). */
int table_parse_buffer(const char *name, const char *data, size_t size, struct table **ret, const struct diag *d);
size_t table_size(const struct table *t);

struct verdict {
        bool restricted;
        bool from_unit;             /* a unit's own X-NetworkOff= decided, not the table */
        struct nonet_policy policy; /* when restricted */
        char source[512];           /* "file:line", or why the default was taken */
        char passed[256];           /* a unit: an inet socket systemd passes it, which nothing polices */
        int nss_errno;              /* NSS could not say whether the user is in group nss_group, so the lines
                                     * naming it were read the way that restricts more; 0 if it could */
        char nss_group[64];
        int bus_policy; /* brokers closed: 0 where the D-Bus policy is the table's (or no bus runs), else
                         * -ENOENT (none), -ESTALE (another) or why it cannot be read (dbus_policy_state()) */
};
/* What a verdict with nss_errno set means, in words for a log: user and group, the error, the outcome. */
void verdict_describe_nss(const struct verdict *v, const char *user, char *buf, size_t size);
/* What the table says of one user. */
void table_decide(const struct table *t, const struct account *u, const struct settings *s, struct verdict *ret);

/* The policy the settings give the table's users, keeping the families in allow (and AF_UNIX). */
void settings_policy(const struct settings *s, uint64_t allow, struct nonet_policy *ret);

/* Closed: the verdict when something needed for a decision failed. */
void verdict_fail_closed(const struct settings *s, const char *why, struct verdict *ret);

/* Where NSS does not know the user: closed, or (at boot, where a DynamicUser= or a directory
 * service may not be up yet) decided by the lines naming it and '*' alone. */
enum unknown_user { UNKNOWN_CLOSED, UNKNOWN_BY_NAME };
/* One user's verdict from a loaded table and settings; -ESRCH (closed) for an unknown user. */
int verdict_for_user(const struct table *t, const struct settings *s, const char *user, enum unknown_user unknown,
                     struct verdict *ret, const struct diag *d);

/* The settings and the table, for every front end alike: where either cannot be used, the table
 * comes back closed (table_close()) and -errno is returned; *ret_table is set but for -ENOMEM. */
int config_load(const struct admin_paths *paths, struct settings *ret_settings, struct table **ret_table,
                const struct diag *d);

/*
 * All of it for one user: settings, table, user, decision. Where the configuration cannot be
 * used, the verdict is the closed table's and -errno is returned.
 */
int decide_user(const struct admin_paths *paths, const char *user, const struct diag *d, struct verdict *ret);
