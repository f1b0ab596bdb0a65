/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The table and settings: grammar, domains, precedence, files, trust. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "tap.h"
#include "util.h"

static char dir[256], etc[300], vendor[300];
static char messages[16384];

static void collect(void *userdata, enum diag_level level, const char *msg) {
        size_t n = strlen(messages);
        if (level == DIAG_DEBUG)
                return; /* "read FILE" and the like: what a verbose caller shows */
        snprintf(messages + n, sizeof(messages) - n, "%s%s\n", level == DIAG_ERROR ? "E: " : "W: ", msg);
}
static const struct diag D = { collect, NULL };

static void write_file(const char *path, const char *text, size_t len) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, text, len) != (ssize_t) len)
                abort();
        close(fd);
}
#define WRITE(path, text) write_file(path, text, strlen(text))

static void fresh_dirs(void) {
        char cmd[600];
        snprintf(cmd, sizeof(cmd), "rm -rf %s/etc %s/vendor", dir, dir);
        if (system(cmd) != 0)
                abort();
        snprintf(etc, sizeof(etc), "%s/etc", dir);
        snprintf(vendor, sizeof(vendor), "%s/vendor", dir);
        mkdir(etc, 0755);
        mkdir(vendor, 0755);
        messages[0] = '\0';
}

static const char *at(const char *base, const char *name) {
        static char buf[4][512];
        static int i;
        i = (i + 1) % 4;
        snprintf(buf[i], sizeof(buf[i]), "%s/%s", base, name);
        return buf[i];
}

static struct admin_paths paths(void) {
        return (struct admin_paths) { .etc_dir = etc, .vendor_dir = vendor, .owner = getuid() };
}

/* A user without NSS: alice (1000), primary group alice (1000), in wheel (10) and staff (50). */
static gid_t alice_groups[] = { 1000, 10, 50 };
static char *alice_group_names[] = { "alice", "wheel", "staff" };
static const struct account alice = {
        .name = "alice", .uid = 1000, .gid = 1000, .groups = alice_groups,
        .group_names = alice_group_names, .n_groups = 3,
};
static gid_t root_groups[] = { 0, 10 };
static char *root_group_names[] = { "root", "wheel" };
static const struct account root = {
        .name = "root", .uid = 0, .gid = 0, .groups = root_groups, .group_names = root_group_names, .n_groups = 2,
};
static gid_t bob_groups[] = { 2000 };
static char *bob_group_names[] = { "alice" }; /* a group named like a user */
static const struct account bob = {
        .name = "bob", .uid = 2000, .gid = 2000, .groups = bob_groups, .group_names = bob_group_names, .n_groups = 1,
};
/* System accounts: the machine's own daemons, and nobody. */
static gid_t daemon_groups[] = { 1, 4 };
static char *daemon_group_names[] = { "daemon", "adm" };
static const struct account daemon_ = {
        .name = "daemon", .uid = 1, .gid = 1, .groups = daemon_groups, .group_names = daemon_group_names, .n_groups = 2,
};
static gid_t nobody_groups[] = { 65534 };
static char *nobody_group_names[] = { "nogroup" };
static const struct account nobody = {
        .name = "nobody", .uid = 65534, .gid = 65534, .groups = nobody_groups, .group_names = nobody_group_names,
        .n_groups = 1,
};
/* A login account below the default UID_MIN, for a site whose login.defs says 500. */
static gid_t carol_groups[] = { 600 };
static char *carol_group_names[] = { "carol" };
static const struct account carol = {
        .name = "carol", .uid = 600, .gid = 600, .groups = carol_groups, .group_names = carol_group_names, .n_groups = 1,
};

/* Load the tree and decide for u. Returns table_load's result. */
static int decide(const struct account *u, struct verdict *v) {
        struct admin_paths p = paths();
        struct settings s = SETTINGS_DEFAULT;
        struct table *t;
        int r = table_load(&p, &t, &D);
        if (r < 0) {
                if (r != -ENOMEM)
                        table_free(t);
                return r;
        }
        table_decide(t, u, &s, v);
        table_free(t);
        return 0;
}

/* "off", "on", or the allowed set in hex; and the source. */
static const char *verdict_for(const struct account *u, const char *table) {
        static char out[600];
        struct verdict v;
        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), table);
        if (decide(u, &v) < 0)
                return "load failed";
        if (!v.restricted)
                snprintf(out, sizeof(out), "on");
        else if (v.policy.allow == (UINT64_C(1) << AF_UNIX))
                snprintf(out, sizeof(out), "off");
        else
                snprintf(out, sizeof(out), "allow %#llx", (unsigned long long) v.policy.allow);
        return out;
}

#define VERDICT(u, table, want)                                                                         \
        do {                                                                                            \
                const char *got_ = verdict_for(u, table);                                               \
                CHECK(strcmp(got_, want) == 0, "%s for %s: got '%s', want '%s'", #table, (u)->name, got_, want); \
        } while (0)

static void test_domains(void) {
        VERDICT(&alice, "alice hard network off\n", "off");
        VERDICT(&bob, "alice hard network off\n", "on");
        VERDICT(&alice, "@wheel hard network off\n", "off"); /* supplementary */
        VERDICT(&alice, "@alice - network off\n", "off");    /* primary */
        VERDICT(&bob, "@wheel - network off\n", "on");
        VERDICT(&bob, "@alice - network off\n", "off"); /* group alice, not user alice */
        VERDICT(&alice, "* hard network off\n", "off");
        VERDICT(&alice, ":1000 hard network off\n", "off");
        VERDICT(&bob, ":1000 hard network off\n", "on");
        VERDICT(&alice, "1000:1999 hard network off\n", "off");
        VERDICT(&bob, "1000:1999 hard network off\n", "on");
        VERDICT(&bob, "1000: hard network off\n", "off");
        VERDICT(&alice, "@:50 hard network off\n", "off");       /* exact gid: any group */
        VERDICT(&alice, "@40:60 hard network off\n", "on");      /* range: primary only */
        VERDICT(&alice, "@1000:1000 hard network off\n", "off");
        VERDICT(&alice, "", "on");
        VERDICT(&alice, "# nothing\n\n   \n", "on");
        /* as pam_limits: '*' and groups do not apply to root; naming it does */
        VERDICT(&root, "* hard network off\n@wheel - network off\n@:0 - network off\n", "on");
        VERDICT(&root, "root hard network off\n", "off");
        VERDICT(&root, ":0 hard network off\n", "off");
}

/* '*' and ranges are for login accounts (UID_MIN..UID_MAX): never the machine's own daemons. */
static void test_system_accounts(void) {
        VERDICT(&alice, "* hard network off\n", "off");
        VERDICT(&daemon_, "* hard network off\n", "on");
        VERDICT(&nobody, "* hard network off\n", "on");
        VERDICT(&carol, "* hard network off\n", "on"); /* uid 600: below the default UID_MIN */
        VERDICT(&daemon_, "0: hard network off\n0:65535 - network off\n", "on");
        VERDICT(&nobody, "1000: hard network off\n", "on");
        VERDICT(&bob, "1000: hard network off\n", "off");
        VERDICT(&daemon_, "@0:60000 - network off\n", "on"); /* gid ranges too */
        VERDICT(&alice, "@0:60000 - network off\n", "off");
        /* naming a system account restricts it: its name, its exact uid, a group it is in */
        VERDICT(&daemon_, "daemon hard network off\n", "off");
        VERDICT(&daemon_, ":1 hard network off\n", "off");
        VERDICT(&daemon_, "@adm hard network off\n", "off");
        VERDICT(&daemon_, "@:4 hard network off\n", "off");
        VERDICT(&nobody, "nobody - network off\n", "off");
        VERDICT(&daemon_, "* hard network off\ndaemon - network unix,netlink\n", "allow 0x10002");
}

/* UID_MIN and UID_MAX come from login.defs; what cannot be read is an error, not a default. */
static void test_login_defs(void) {
        struct admin_paths p;
        struct settings s;
        fresh_dirs();
        p = paths();
        p.login_defs = at(dir, "login.defs");
        unlink(p.login_defs);
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.login_min == 1000 && s.login_max == 60000, "no login.defs: shadow's defaults");
        WRITE(p.login_defs, "# shadow\nUID_MIN\t\t 500\n  UID_MAX 0x7fff\nUID_MIN_X 3\nSYS_UID_MIN 100\n");
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.login_min == 500 && s.login_max == 32767, "read: %u..%u", (unsigned) s.login_min, (unsigned) s.login_max);
        struct table *t;
        struct verdict v;
        CHECK_EQ(table_parse_buffer("t.conf", "* hard network off\n", 19, &t, &D), 0);
        table_decide(t, &carol, &s, &v);
        CHECK(v.restricted, "carol (600) is a login account here");
        table_free(t);
        WRITE(p.login_defs, "UID_MIN lots\n");
        CHECK_EQ(settings_load(&p, &s, &D), -EINVAL);
        CHECK(strstr(messages, "login.defs:1: invalid uid 'lots"), "%s", messages);
        WRITE(p.login_defs, "UID_MIN 2000\nUID_MAX 1000\n");
        CHECK_EQ(settings_load(&p, &s, &D), -EINVAL);
        CHECK(strstr(messages, "UID_MIN 2000 is above UID_MAX 1000"), "%s", messages);
        WRITE(p.login_defs, "UID_MIN 500\n");
        chmod(p.login_defs, 0666);
        CHECK_EQ(settings_load(&p, &s, &D), -EPERM);
        CHECK(strstr(messages, "login.defs is writable by group or others"), "%s", messages);
}

static void test_values(void) {
        char want[32];
        snprintf(want, sizeof(want), "allow %#llx", (unsigned long long) ((1ULL << AF_UNIX) | (1ULL << AF_NETLINK)));
        VERDICT(&alice, "alice hard network unix,netlink\n", want);
        VERDICT(&alice, "alice hard network netlink # comment\n", want);
        VERDICT(&alice, "alice hard network AF_NETLINK\r\n", want); /* CRLF */
        VERDICT(&alice, "alice\thard\tnetwork\toff", "off");       /* tabs, no final newline */
        VERDICT(&alice, "alice hard network on\n", "on");
}

static void test_precedence(void) {
        /* user beats group beats *, whatever the order */
        VERDICT(&alice, "alice - network off\n@wheel - network on\n* - network on\n", "off");
        VERDICT(&alice, "* - network on\n@wheel - network on\nalice - network off\n", "off");
        VERDICT(&alice, "* hard network off\n@wheel hard network on\n", "on");
        VERDICT(&alice, "@wheel hard network on\n* hard network off\n", "on");
        VERDICT(&alice, ":1000 - network on\n@wheel - network off\n", "on"); /* uid counts as user */
        VERDICT(&alice, "@:10 - network on\n* - network off\n", "on");        /* gid counts as group */
        /* among equals the later wins */
        VERDICT(&alice, "@wheel - network off\n@staff - network on\n", "on");
        VERDICT(&alice, "@staff - network on\n@wheel - network off\n", "off");
        VERDICT(&alice, "alice - network on\nalice - network off\n", "off");
}

static void test_bad_lines(void) {
        VERDICT(&alice, "alice soft network off\n", "off"); /* a bad line naming the user: closed */
        CHECK(strstr(messages, "nonet.conf:1: 'soft' network limit") != NULL, "%s", messages);
        VERDICT(&alice, "* hard network off\nalice hard network onn\n", "off");
        CHECK(strstr(messages, "nonet.conf:2: unknown value 'onn'") != NULL, "%s", messages);
        VERDICT(&alice, "* hard network on\nalice hard network of\n@wheel - network on\n", "off");
        VERDICT(&bob, "alice soft network off\n* - network on\n", "on"); /* the rest still applies */
        VERDICT(&bob, "bob - nofile off\n", "off");
        CHECK(strstr(messages, ":1: unknown item 'nofile'") != NULL, "%s", messages);
        VERDICT(&bob, "bob maybe network off\n", "off");
        CHECK(strstr(messages, ":1: unknown type 'maybe'") != NULL, "%s", messages);
        VERDICT(&bob, "bob hard network\n", "off");
        CHECK(strstr(messages, ":1: expected '<domain> <type> <item> <value>', got 3 fields") != NULL, "%s", messages);
        VERDICT(&bob, "0:4294967296 hard network off\n* - network on\n", "on");
        CHECK(strstr(messages, ":1: invalid domain '0:4294967296'") != NULL, "%s", messages);
        VERDICT(&bob, "5:1 hard network off\n@ - network off\n: - network off\n", "on");
        CHECK(strstr(messages, ":2: invalid domain '@'") && strstr(messages, ":3: invalid domain ':'"), "%s", messages);
}

static void test_hostile_lines(void) {
        /* a NUL byte: reported, the line skipped */
        fresh_dirs();
        write_file(at(etc, "nonet.conf"), "bob\0x hard network off\nalice - network off\n", 42);
        struct verdict v;
        CHECK_EQ(decide(&bob, &v), 0);
        CHECK(!v.restricted, "NUL line skipped");
        CHECK(strstr(messages, "nonet.conf:1: line contains a NUL byte"), "%s", messages);
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(v.restricted && strstr(v.source, "nonet.conf:2"), "line 2 still read: %s", v.source);

        /* a 1 MiB line, and invalid UTF-8 names */
        size_t big = 1 << 20;
        char *s = malloc(big + 64);
        memset(s, 'x', big);
        strcpy(s + big, " hard network off\n\xff\xfe - network off\nbob - network off\n");
        fresh_dirs();
        write_file(at(etc, "nonet.conf"), s, strlen(s));
        free(s);
        CHECK_EQ(decide(&bob, &v), 0);
        CHECK(v.restricted && strstr(v.source, "nonet.conf:3"), "after a long line: %s", v.source);
}

static void test_files_and_order(void) {
        struct verdict v;

        /* drop-ins in C order, after the main file; /etc masks vendor of the same name */
        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), "alice - network off\n");
        mkdir(at(etc, "nonet.d"), 0755);
        mkdir(at(vendor, "nonet.d"), 0755);
        WRITE(at(etc, "nonet.d/20-b.conf"), "alice - network on\n");
        WRITE(at(vendor, "nonet.d/10-a.conf"), "alice - network unix,inet\n");
        WRITE(at(vendor, "nonet.d/30-c.conf"), "alice - network off\n");
        WRITE(at(etc, "nonet.d/30-c.conf"), "# masked\n");
        WRITE(at(etc, "nonet.d/40-d.txt"), "alice - network off\n"); /* not .conf */
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(!v.restricted && strstr(v.source, "etc/nonet.d/20-b.conf:1"), "source %s", v.source);

        /* the vendor main file only when /etc has none */
        fresh_dirs();
        WRITE(at(vendor, "nonet.conf"), "alice - network off\n");
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(v.restricted && strstr(v.source, "vendor/nonet.conf:1"), "vendor read: %s", v.source);
        WRITE(at(etc, "nonet.conf"), "# empty\n");
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(!v.restricted, "vendor ignored when /etc has one: %s", v.source);

        /* a drop-in that is a directory is an error, and so is a symlink loop */
        fresh_dirs();
        mkdir(at(etc, "nonet.d"), 0755);
        mkdir(at(etc, "nonet.d/dir.conf"), 0755);
        WRITE(at(etc, "nonet.d/x.conf"), "alice - network off\n");
        CHECK(decide(&alice, &v) < 0, "a directory drop-in fails");
        CHECK(strstr(messages, "dir.conf is a directory, not a table"), "%s", messages);
        rmdir(at(etc, "nonet.d/dir.conf"));
        CHECK(symlink("loop.conf", at(etc, "nonet.d/loop.conf")) == 0, "symlink");
        CHECK(decide(&alice, &v) < 0, "a symlink loop fails");
        CHECK(strstr(messages, "loop.conf: cannot open"), "%s", messages);

        /* empty files, a /dev/null mask */
        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), "");
        mkdir(at(vendor, "nonet.d"), 0755);
        mkdir(at(etc, "nonet.d"), 0755);
        WRITE(at(vendor, "nonet.d/a.conf"), "alice - network off\n");
        CHECK(symlink("/dev/null", at(etc, "nonet.d/a.conf")) == 0, "symlink");
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(!v.restricted, "masked by /dev/null: %s", v.source);
}

static void test_trust(void) {
        struct verdict v;

        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), "alice - network off\n");
        chmod(at(etc, "nonet.conf"), 0666);
        CHECK(decide(&alice, &v) < 0, "world-writable table refused");
        CHECK(strstr(messages, "nonet.conf is writable by group or others (mode 0666)"), "%s", messages);
        chmod(at(etc, "nonet.conf"), 0644);
        chmod(etc, 0775);
        CHECK(decide(&alice, &v) < 0, "group-writable directory refused");
        chmod(etc, 0755);
        mkdir(at(etc, "nonet.d"), 0777);
        chmod(at(etc, "nonet.d"), 0777);
        CHECK(decide(&alice, &v) < 0, "world-writable nonet.d refused");
        chmod(at(etc, "nonet.d"), 0755);
        CHECK_EQ(decide(&alice, &v), 0);

        /* unreadable: an error, not an empty table */
        if (getuid() != 0) {
                chmod(at(etc, "nonet.conf"), 0);
                CHECK(decide(&alice, &v) < 0, "unreadable table refused");
                chmod(at(etc, "nonet.conf"), 0644);
        }
        /* a table owned by another user */
        struct admin_paths p = paths();
        p.owner = getuid() + 1;
        struct table *t;
        CHECK(table_load(&p, &t, &D) < 0 && table_is_closed(t), "foreign owner refused: the table is closed");
        table_free(t);
        CHECK(strstr(messages, "not root: refusing to trust it"), "%s", messages);
}

static int load_table(void) {
        struct verdict v;
        return decide(&alice, &v);
}

static int load_settings(void) {
        struct admin_paths p = paths();
        struct settings s;
        return settings_load(&p, &s, &D);
}

/* Refused, and the message names what is wrong with which path. */
static void refused_because(int (*load)(void), const char *path, const char *why, const char *what) {
        messages[0] = '\0';
        int r = load();
        CHECK(r < 0, "%s: loaded", what);
        char want[600];
        snprintf(want, sizeof(want), "%s %s", path, why);
        CHECK(strstr(messages, want), "%s: want '%s' in: %s", what, want, messages);
}

/* One trust rule for every file an administrator writes: each way a file can be untrusted. */
static void trust_cases(int (*load)(void), const char *file, const char *what) {
        char dir_[512], label[128];
        snprintf(dir_, sizeof(dir_), "%.*s", (int) (strrchr(file, '/') - file), file);
        messages[0] = '\0';
        CHECK_EQ(load(), 0);
        CHECK(messages[0] == '\0', "%s: trusted quietly: %s", what, messages);

        snprintf(label, sizeof(label), "%s group-writable", what);
        chmod(file, 0664);
        refused_because(load, file, "is writable by group or others (mode 0664)", label);
        snprintf(label, sizeof(label), "%s world-writable", what);
        chmod(file, 0646);
        refused_because(load, file, "is writable by group or others (mode 0646)", label);
        chmod(file, 0644);
        snprintf(label, sizeof(label), "%s in a group-writable directory", what);
        chmod(dir_, 0775);
        refused_because(load, dir_, "is writable by group or others (mode 0775)", label);
        chmod(dir_, 0755);
        snprintf(label, sizeof(label), "%s owned by another user", what);
        if (getuid() == 0) {
                CHECK(chown(file, 65534, 65534) == 0, "chown");
                refused_because(load, file, "is owned by uid 65534, not root", label);
                CHECK(chown(file, 0, 0) == 0, "chown back");
        } else
                CHECK(getenv("CI") == NULL, "%s: needs root in CI", label);
        CHECK_EQ(load(), 0);
}

static void test_trust_each_file(void) {
        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), "alice - network off\n");
        trust_cases(load_table, at(etc, "nonet.conf"), "table");
        mkdir(at(etc, "nonet.d"), 0755);
        WRITE(at(etc, "nonet.d/50-x.conf"), "bob - network off\n");
        trust_cases(load_table, at(etc, "nonet.d/50-x.conf"), "table drop-in");
        mkdir(at(vendor, "nonet.d"), 0755);
        WRITE(at(vendor, "nonet.d/60-y.conf"), "bob - network off\n");
        trust_cases(load_table, at(vendor, "nonet.d/60-y.conf"), "vendor table drop-in");
        WRITE(at(etc, "nonet-settings.conf"), "Errno=eperm\n");
        trust_cases(load_settings, at(etc, "nonet-settings.conf"), "settings");
        mkdir(at(etc, "nonet-settings.conf.d"), 0755);
        WRITE(at(etc, "nonet-settings.conf.d/50-x.conf"), "Landlock=require\n");
        trust_cases(load_settings, at(etc, "nonet-settings.conf.d/50-x.conf"), "settings drop-in");
}

static void test_many_lines(void) {
        FILE *f;
        struct verdict v;
        fresh_dirs();
        f = fopen(at(etc, "nonet.conf"), "we");
        for (int i = 0; i < 100000; i++)
                fprintf(f, "user%d hard network off\n", i);
        fprintf(f, "@wheel - network on\n");
        fclose(f);
        CHECK_EQ(decide(&alice, &v), 0);
        CHECK(!v.restricted && strstr(v.source, ":100001"), "%s", v.source);
}

static void test_settings(void) {
        struct admin_paths p;
        struct settings s;

        fresh_dirs();
        p = paths();
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.error == EAFNOSUPPORT && s.landlock == NONET_LANDLOCK_AUTO && s.services, "defaults");
        WRITE(at(vendor, "nonet-settings.conf"), "Errno=eperm\nServices=no\n");
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.error == EPERM && !s.services, "vendor read");
        WRITE(at(etc, "nonet-settings.conf"), "# comment\nLandlock = require\n");
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.error == EAFNOSUPPORT && s.landlock == NONET_LANDLOCK_REQUIRE && s.services, "etc replaces vendor");
        mkdir(at(etc, "nonet-settings.conf.d"), 0755);
        WRITE(at(etc, "nonet-settings.conf.d/50-x.conf"), "Landlock=off\n");
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        CHECK(s.landlock == NONET_LANDLOCK_OFF, "drop-in wins");
        WRITE(at(etc, "nonet-settings.conf"), "\n\nErrno=enoent\nColour=blue\n");
        CHECK(settings_load(&p, &s, &D) < 0, "bad value is an error");
        CHECK(strstr(messages, "etc/nonet-settings.conf:3: invalid Errno=enoent (use eafnosupport or eperm)"), "%s",
              messages);
        CHECK(strstr(messages, "nonet-settings.conf:4: unknown setting 'Colour', ignoring it"), "%s", messages);
        WRITE(at(etc, "nonet-settings.conf"), "Errno=eperm\n");
        chmod(at(etc, "nonet-settings.conf"), 0666);
        CHECK(settings_load(&p, &s, &D) == -EPERM, "world-writable settings refused");
        CHECK(strstr(messages, "refusing to trust it"), "%s", messages);
}

/* The verdicts of a configuration for alice (a login account), daemon (a system account),
 * svc (a system account a line names), root and nobody, through config_load() as every front
 * end reads it: "alice=off daemon=on ...". */
static gid_t svc_groups[] = { 200 };
static char *svc_group_names[] = { "svc" };
static const struct account svc = {
        .name = "svc", .uid = 200, .gid = 200, .groups = svc_groups, .group_names = svc_group_names, .n_groups = 1,
};

static const char *who_is_off(int *ret_r) {
        static const struct account *const users[] = { &alice, &daemon_, &svc, &root, &nobody };
        static char out[256];
        struct admin_paths p = paths();
        struct settings s;
        struct table *t = NULL;
        messages[0] = '\0';
        *ret_r = config_load(&p, &s, &t, &D);
        out[0] = '\0';
        for (size_t i = 0; t && i < ELEMENTSOF(users); i++) {
                struct verdict v;
                table_decide(t, users[i], &s, &v);
                snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s=%s", i ? " " : "", users[i]->name,
                         v.restricted ? "off" : "on");
        }
        table_free(t);
        return out;
}

#define BLAST(want, what)                                                                                     \
        do {                                                                                                  \
                int r_;                                                                                       \
                const char *got_ = who_is_off(&r_);                                                           \
                CHECK(r_ < 0 && strcmp(got_, want) == 0, "%s: r=%d, got '%s', want '%s'; %s", what, r_, got_, want, \
                      messages);                                                                              \
        } while (0)

/* Unusable means closed exactly: every login account and every account a line names off, as if
 * the table said '* hard network off'; root and the other system accounts untouched. */
static void test_unusable_closes_exactly(void) {
        static const char *const closed = "alice=off daemon=on svc=off root=on nobody=on";
        static const char *const table = "svc hard network off\nbob - network on\n";
        int r;

        fresh_dirs();
        WRITE(at(etc, "nonet.conf"), table);
        CHECK(strcmp(who_is_off(&r), "alice=on daemon=on svc=off root=on nobody=on") == 0 && r == 0, "usable: %s",
              who_is_off(&r));
        /* the table */
        chmod(at(etc, "nonet.conf"), 0664);
        BLAST(closed, "a group-writable table");
        CHECK(strstr(messages, "writable by group or others"), "%s", messages);
        unlink(at(etc, "nonet.conf"));
        WRITE(at(vendor, "nonet.conf"), "alice - network on\n");
        CHECK(symlink("/nonexistent-nonet", at(etc, "nonet.conf")) == 0, "symlink");
        BLAST("alice=off daemon=on svc=on root=on nobody=on", "a dangling symlink (not the vendor's table)");
        CHECK(strstr(messages, "nonet.conf: cannot open: a symbolic link to nothing"), "%s", messages);
        unlink(at(etc, "nonet.conf"));
        mkdir(at(etc, "nonet.conf"), 0755);
        BLAST("alice=off daemon=on svc=on root=on nobody=on", "a directory");
        CHECK(strstr(messages, "nonet.conf is a directory, not a table"), "%s", messages);
        rmdir(at(etc, "nonet.conf"));
        CHECK(mkfifo(at(etc, "nonet.conf"), 0644) == 0, "mkfifo");
        BLAST("alice=off daemon=on svc=on root=on nobody=on", "a FIFO");
        CHECK(strstr(messages, "is not a regular file, not a table"), "%s", messages);
        unlink(at(etc, "nonet.conf"));
        WRITE(at(etc, "nonet.conf"), table);
        WRITE(at(etc, "nonet.d"), "alice hard network off\n");
        BLAST(closed, "nonet.d a plain file");
        CHECK(strstr(messages, "nonet.d is not a directory: its rules would be ignored"), "%s", messages);
        unlink(at(etc, "nonet.d"));
        /* the settings: each way they cannot be used, at file:line */
        static const struct {
                const char *text, *message;
        } bad[] = {
                { "Errno=eprem\n", "nonet-settings.conf:1: invalid Errno=eprem" },
                { "# settings\n[Settings]\nLandlock=require\n", "nonet-settings.conf:2: sections are not used here" },
                { "Errno\n", "nonet-settings.conf:1: expected Key=Value: 'Errno'" },
                { "\nErrno=\n", "nonet-settings.conf:2: a key without a value" },
                { "Unix=listed\n", "nonet-settings.conf:1: invalid Unix=listed" },
                { "Unix=no-abstract\nLandlock=off\n", "Unix=no-abstract with Landlock=off: invalid policy" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                WRITE(at(etc, "nonet-settings.conf"), bad[i].text);
                BLAST(closed, bad[i].text);
                CHECK(strstr(messages, bad[i].message), "%s: want '%s' in %s", bad[i].text, bad[i].message, messages);
        }
        unlink(at(etc, "nonet-settings.conf"));
        CHECK(strcmp(who_is_off(&r), "alice=on daemon=on svc=off root=on nobody=on") == 0 && r == 0, "mended");
        /* a line naming root closes root too */
        WRITE(at(etc, "nonet.conf"), "root - network on\n");
        chmod(at(etc, "nonet.conf"), 0666);
        BLAST("alice=off daemon=on svc=on root=off nobody=on", "a line naming root");
}

/* One pass over the settings: a long file is read in linear time (the benchmark has the figures). */
/* libeconf 0.5.1 grows its array with one realloc() a line: quadratic copying that glibc hides by
 * growing in place and ASan does not (60,000 lines take 110 s there). The sanitizer build reads
 * a tenth of the lines, a hundredth of the copying; the plain build and bench/pam.py keep the size. */
#if !defined(__has_feature)
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define LONG_SETTINGS_PAIRS 3000
#else
#define LONG_SETTINGS_PAIRS 30000
#endif

static void test_long_settings(void) {
        char want[96];
        fresh_dirs();
        FILE *f = fopen(at(etc, "nonet-settings.conf"), "we");
        for (int i = 0; i < LONG_SETTINGS_PAIRS; i++)
                fprintf(f, "# line %d\nErrno=eperm\n", i);
        fprintf(f, "Colour=blue\n");
        fclose(f);
        struct admin_paths p = paths();
        struct settings s;
        messages[0] = '\0';
        CHECK_EQ(settings_load(&p, &s, &D), 0);
        snprintf(want, sizeof(want), "nonet-settings.conf:%d: unknown setting 'Colour'", 2 * LONG_SETTINGS_PAIRS + 1);
        CHECK(s.error == EPERM && strstr(messages, want), "%s", messages);
}

/* sshd and display managers may decide for several users at once: threads share nothing. */
static void *decide_many(void *arg) {
        struct admin_paths p = paths();
        intptr_t wrong = 0;
        for (int i = 0; i < 100; i++) {
                struct verdict v;
                decide_user(&p, (const char *) arg, NULL, &v);
                wrong += !(v.restricted && strstr(v.source, "nonet.conf:2") && v.policy.error == EPERM);
        }
        return (void *) wrong;
}

static void test_threads(void) {
        struct passwd *pw = getpwuid(getuid());
        char line[128];
        pthread_t t[8];
        void *wrong;

        fresh_dirs();
        snprintf(line, sizeof(line), "* - network on\n%s hard network off\n", pw->pw_name);
        WRITE(at(etc, "nonet.conf"), line);
        WRITE(at(etc, "nonet-settings.conf"), "Errno=eperm\n");
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                pthread_create(&t[i], NULL, decide_many, pw->pw_name);
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                pthread_join(t[i], &wrong);
                CHECK_EQ((intptr_t) wrong, 0);
        }
}

int main(void) {
        snprintf(dir, sizeof(dir), "/tmp/nonet-test-table-%d", getpid());
        mkdir(dir, 0755);
        RUN(test_domains);
        RUN(test_values);
        RUN(test_precedence);
        RUN(test_bad_lines);
        RUN(test_hostile_lines);
        RUN(test_files_and_order);
        RUN(test_trust);
        RUN(test_trust_each_file);
        RUN(test_system_accounts);
        RUN(test_login_defs);
        RUN(test_many_lines);
        RUN(test_settings);
        RUN(test_unusable_closes_exactly);
        RUN(test_long_settings);
        RUN(test_threads);
        char cmd[300];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
        return system(cmd) == 0 ? tap_done() : 1;
}
