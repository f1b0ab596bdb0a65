/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The system bus's brokers (issue 38): names on the system bus whose daemons resolve, fetch or send
 * for any caller. The bus itself stays (logind, polkit); a drop-in in dbus-daemon's system.d denies
 * these names to the users and groups whose network the table turns off. dbus-daemon applies the
 * default context first, then group, then user policies (dbus-daemon(1)), so a daemon's own
 * <policy context="default"> allow is overridden by the deny written here.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "busnames.h"
#include "dbuspolicy.h"
#include "util.h"

struct domain {
        struct table_line line; /* the one that decides: the last naming this domain, or a bad one */
        bool restricted;
};

static bool same_domain(const struct table_line *a, const struct table_line *b) {
        if (a->kind != b->kind)
                return false;
        if (a->kind == DOMAIN_USER || a->kind == DOMAIN_GROUP)
                return strcmp(a->name, b->name) == 0;
        return a->min == b->min && a->max == b->max && a->range == b->range;
}

/* A line's own verdict: off, or families that leave inet and inet6 refused. A dry run refuses
 * nothing; a line keeping inet or inet6 has the network itself, and no broker adds to it. */
static bool line_restricts(const struct table_line *l) {
        uint64_t inet = (UINT64_C(1) << AF_INET) | (UINT64_C(1) << AF_INET6);
        return l->broken || (!l->exempt && !l->dry_run && !(l->allow & inet));
}

/* The table's domains, each once, decided as the table decides among lines of one domain. */
static int collect(const struct table *t, struct domain **ret, size_t *ret_n) {
        struct table_line l;
        struct domain *v = NULL;
        size_t n = 0;

        for (size_t i = 0; table_line(t, i, &l); i++) {
                size_t j = 0;
                while (j < n && !same_domain(&v[j].line, &l))
                        j++;
                if (j == n) {
                        struct domain *m = realloc(v, (n + 1) * sizeof(*v));
                        if (!m) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = m, n++;
                        v[j] = (struct domain) { .line = l };
                }
                if (v[j].line.broken && !l.broken)
                        continue; /* a bad line naming it decides: closed */
                v[j].line = l;
                v[j].restricted = line_restricts(&l);
        }
        *ret = v, *ret_n = n;
        return 0;
}

static void xml_escape(FILE *f, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '&': fputs("&amp;", f); break;
                case '<': fputs("&lt;", f); break;
                case '>': fputs("&gt;", f); break;
                case '"': fputs("&quot;", f); break;
                case '\'': fputs("&apos;", f); break;
                default: fputc(*s, f);
                }
}

/* The <policy> opening for a domain D-Bus can name: user= or group= takes a name or a number. */
static bool policy_open(FILE *f, const struct table_line *l) {
        switch (l->kind) {
        case DOMAIN_USER:
        case DOMAIN_GROUP:
                fprintf(f, "  <policy %s=\"", l->kind == DOMAIN_USER ? "user" : "group");
                xml_escape(f, l->name);
                fputs("\">\n", f);
                return true;
        case DOMAIN_UID:
        case DOMAIN_GID:
                if (l->range)
                        return false;
                fprintf(f, "  <policy %s=\"%u\">\n", l->kind == DOMAIN_UID ? "user" : "group", (unsigned) l->min);
                return true;
        case DOMAIN_ALL:
                break;
        }
        return false;
}

static void say_unexpressed(const struct table_line *l, const struct diag *d) {
        if (l->kind == DOMAIN_ALL)
                diag_say(d, DIAG_WARNING, "%s:%u: '*' is not in the D-Bus policy: D-Bus policies name users and "
                                          "groups, not every login account; the system bus's brokers stay open to "
                                          "those it restricts: name their group in the table",
                         l->file, l->line);
        else
                diag_say(d, DIAG_WARNING, "%s:%u: a %s range (%u:%u) is not in the D-Bus policy: D-Bus policies "
                                          "name one user or group; the system bus's brokers stay open to the "
                                          "accounts it restricts: name them, or their group, in the table",
                         l->file, l->line, l->kind == DOMAIN_UID ? "uid" : "gid", (unsigned) l->min,
                         (unsigned) l->max);
}

/* A user line that leaves the network on, where a group's denial is written: D-Bus applies user
 * policies after group ones, but an allow written here would also undo the daemons' own denials. */
static void say_exemptions(const struct domain *v, size_t n, const struct diag *d) {
        bool groups = false;
        for (size_t i = 0; i < n; i++)
                groups |= v[i].restricted && (v[i].line.kind == DOMAIN_GROUP || v[i].line.kind == DOMAIN_GID);
        for (size_t i = 0; i < n && groups; i++)
                if (!v[i].restricted && (v[i].line.kind == DOMAIN_USER || v[i].line.kind == DOMAIN_UID))
                        diag_say(d, DIAG_WARNING, "%s:%u: this user keeps the network, but a restricted group's "
                                                  "D-Bus policy still denies them the system bus's brokers if they "
                                                  "are in it: an allow written for them would also undo the "
                                                  "daemons' own denials",
                                 v[i].line.file, v[i].line.line);
}

int dbus_policy_make(const struct table *t, const struct diag *d, char **ret) {
        struct domain *v = NULL;
        size_t n = 0, size = 0;
        char *text = NULL;

        if (table_is_closed(t))
                return -EBADMSG;
        int r = collect(t, &v, &n);
        if (r < 0)
                return r;
        FILE *f = open_memstream(&text, &size);
        if (!f) {
                free(v);
                return -ENOMEM;
        }
        fputs("<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
              " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
              /* no double hyphen in an XML comment: dbus-daemon would refuse the whole file */
              "<!-- Written by nonet-exec's write-dbus-policy from nonet.conf: the system bus's names that use\n"
              "     the network for a caller, denied to the users and groups whose network it turns off.\n"
              "     Do not edit: nonet-exec's check-config warns when this differs from the table. -->\n"
              "<busconfig>\n",
              f);
        for (size_t i = 0; i < n; i++) {
                if (!v[i].restricted)
                        continue;
                if (!policy_open(f, &v[i].line)) {
                        say_unexpressed(&v[i].line, d);
                        continue;
                }
                for (size_t k = 0; k < bus_names_brokers_n; k++)
                        fprintf(f, "    <deny send_destination=\"%s\"/>\n", bus_names_brokers[k]);
                fputs("  </policy>\n", f);
        }
        fputs("</busconfig>\n", f);
        say_exemptions(v, n, d);
        free(v);
        if (fclose(f) != 0) {
                free(text);
                return -ENOMEM;
        }
        *ret = text;
        return 0;
}

static int read_file(const char *path, char **ret) {
        char *text = NULL;
        size_t size = 0;
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        FILE *m = open_memstream(&text, &size);
        if (!m)
                return -ENOMEM;
        char buf[4096];
        ssize_t k;
        while ((k = read(fd, buf, sizeof(buf))) > 0)
                fwrite(buf, 1, (size_t) k, m);
        int e = k < 0 ? -errno : 0;
        if (fclose(m) != 0 && !e)
                e = -ENOMEM;
        if (e < 0) {
                free(text);
                return e;
        }
        *ret = text;
        return 0;
}

/* A daemon's own <policy group="G"> that allows a denied name: dbus-daemon applies group policies in
 * no order a drop-in can set (a group with a lower gid than netdev lost to avahi's netdev allow, with
 * dbus-daemon 1.14), so a restricted user in G may reach the name. Read line by line, as the
 * daemons' files are written. */
static int group_allows(const char *root, const char *dir, const struct diag *d) {
        char path[4096], line[1024], group[128] = "";
        int found = 0;
        snprintf(path, sizeof(path), "%s%s", root, dir);
        DIR *dd = opendir(path);
        if (!dd)
                return 0;
        for (struct dirent *de; (de = readdir(dd));) {
                size_t len = strlen(de->d_name);
                if (len < 6 || strcmp(de->d_name + len - 5, ".conf") != 0 || strcmp(de->d_name, "nonet.conf") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s%s/%s", root, dir, de->d_name);
                FILE *f = fopen(path, "re");
                if (!f)
                        continue;
                for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                        const char *p = strstr(line, "<policy group=\"");
                        if (p)
                                snprintf(group, sizeof(group), "%.*s", (int) strcspn(p + 15, "\""), p + 15);
                        else if (strstr(line, "</policy>"))
                                group[0] = '\0';
                        if (!group[0] || !strstr(line, "<allow"))
                                continue;
                        for (size_t k = 0; k < bus_names_brokers_n; k++) {
                                char want[128];
                                snprintf(want, sizeof(want), "send_destination=\"%s\"", bus_names_brokers[k]);
                                if (!strstr(line, want))
                                        continue;
                                found++;
                                diag_say(d, DIAG_WARNING, "broker: %s/%s:%u allows %s to group %s: a restricted "
                                                          "user in %s may reach it despite the D-Bus policy, since "
                                                          "dbus-daemon applies group policies in no set order; take "
                                                          "them out of %s, or name them in the table by user",
                                         dir, de->d_name, n, bus_names_brokers[k], group, group, group);
                        }
                }
                fclose(f);
        }
        closedir(dd);
        return found;
}

static bool bus_running(const char *root) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/run/dbus/system_bus_socket", root && strcmp(root, "/") != 0 ? root : "");
        return stat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

int dbus_policy_lint(const struct table *t, const char *root, bool required, const struct diag *d) {
        char path[4096], *want = NULL, *have = NULL;
        snprintf(path, sizeof(path), "%s%s", root && strcmp(root, "/") != 0 ? root : "", DBUS_POLICY_PATH);

        if (table_is_closed(t) || dbus_policy_make(t, NULL, &want) < 0)
                return 0; /* the table's own errors are said already */
        int r = read_file(path, &have), found = 1;
        bool empty = !strstr(want, "<policy ");
        if (r == -ENOENT && (empty || !bus_running(root)))
                found = 0; /* no bus (a container, a build host): nothing to close */
        else if (r == -ENOENT)
                diag_say(d, required ? DIAG_ERROR : DIAG_WARNING,
                         "broker: no D-Bus policy (%s): the system bus's names that use the network for a caller "
                         "(org.freedesktop.resolve1, org.freedesktop.Avahi, ...) answer the users and groups the table "
                         "restricts%s; to close them: nonet-exec --write-dbus-policy (nonet-dbus-policy.path keeps it so)",
                         DBUS_POLICY_PATH, required ? ", and with Brokers=closed their logins are refused" : "");
        else if (r < 0)
                diag_say(d, DIAG_WARNING, "cannot read %s: %s: whether the system bus's brokers are closed is not "
                                          "judged",
                         DBUS_POLICY_PATH, strerror(-r));
        else if (strcmp(want, have) == 0)
                found = 0;
        else
                diag_say(d, required ? DIAG_ERROR : DIAG_WARNING,
                         "broker: %s is not what the table gives: the system bus's brokers answer whom the table "
                         "restricts now and it does not name%s; to rewrite it: nonet-exec --write-dbus-policy "
                         "(nonet-dbus-policy.path keeps it so)",
                         DBUS_POLICY_PATH, required ? ", and with Brokers=closed its users' logins are refused" : "");
        if (!empty && (have || bus_running(root)))
                found += group_allows(root && strcmp(root, "/") != 0 ? root : "", "/usr/share/dbus-1/system.d", d) +
                         group_allows(root && strcmp(root, "/") != 0 ? root : "", "/etc/dbus-1/system.d", d);
        free(want);
        free(have);
        return found;
}

int dbus_policy_state(const struct table *t) {
        char *want = NULL, *have = NULL;
        if (table_is_closed(t))
                return 0; /* everyone restricted by the unusable table's default: judged at restriction */
        int r = dbus_policy_make(t, NULL, &want);
        if (r < 0)
                return r;
        if (!strstr(want, "<policy ") || !bus_running(NULL)) {
                free(want);
                return 0;
        }
        r = read_file(DBUS_POLICY_PATH, &have);
        if (r >= 0)
                r = strcmp(want, have) == 0 ? 0 : -ESTALE;
        free(want);
        free(have);
        return r;
}

void dbus_policy_refusal(int state, char *buf, size_t size) {
        snprintf(buf, size, "Brokers=closed, but %s %s: run nonet-exec --write-dbus-policy", DBUS_POLICY_PATH,
                 state == -ENOENT   ? "is not written"
                 : state == -ESTALE ? "is not what the table gives"
                                    : "cannot be read");
}

int dbus_policy_write(const char *path, const char *text) {
        char tmp[4096];
        size_t len = strlen(text);

        if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int) sizeof(tmp))
                return -ENAMETOOLONG;
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int e = 0;
        if (fchmod(fd, 0644) < 0 || write(fd, text, len) != (ssize_t) len || fsync(fd) < 0)
                e = errno ? -errno : -EIO;
        else if (rename(tmp, path) < 0) /* dbus-daemon reloads on the rename, and sees the whole file */
                e = -errno;
        if (e < 0)
                unlink(tmp);
        return e;
}
