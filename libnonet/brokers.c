/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The machine's own brokers: daemons a restricted session reaches over a filesystem socket and
 * that use the network for whoever asks (issue 38). Judged from files and from whether the
 * sockets exist: nothing is connected to, nothing changed. Each found is a warning naming the
 * administrator's lever; none is an error, since nonet does not claim to close them.
 */

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "admin.h"
#include "internal.h"
#include "util.h"

#define LISTED_ONLY "nonet-exec --unix=listed (Landlock ABI 9) closes its socket; a login has no such setting"

static void closefile(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(closefile)

static FILE *open_at(const char *root, const char *path) {
        char full[4096];
        snprintf(full, sizeof(full), "%s%s", root, path);
        return fopen(full, "re");
}

/* The first of paths (NULL-terminated) that is a socket under root, or NULL. */
static const char *socket_at(const char *root, const char *const *paths) {
        char full[4096];
        struct stat st;
        for (; *paths; paths++) {
                snprintf(full, sizeof(full), "%s%s", root, *paths);
                if (stat(full, &st) == 0 && S_ISSOCK(st.st_mode))
                        return *paths;
        }
        return NULL;
}

/* A line's words before any '#', at most max of them; how many. */
static int split(char *line, char **w, int max) {
        char *save = NULL;
        int n = 0;
        line[strcspn(line, "#\n")] = '\0';
        for (char *p = strtok_r(line, " \t", &save); p && n < max; p = strtok_r(NULL, " \t", &save))
                w[n++] = p;
        return n;
}

static void say_unreadable(const struct diag *d, const char *daemon, const char *sock, const char *path, int e) {
        diag_say(d, DIAG_WARNING, "%s is running (%s), but %s cannot be read (%s): whether it acts for a restricted "
                                  "session is not judged; run --check-config as root",
                 daemon, sock, path, strerror(e));
}

/* nscd answers getaddrinfo() before NSS is asked when its hosts cache is on (off unless nscd.conf says so). */
static int nscd(const char *root, const struct diag *d) {
        static const char *const sockets[] = { "/run/nscd/socket", "/var/run/nscd/socket", NULL };
        const char *sock = socket_at(root, sockets);
        char line[1024], *w[4];
        unsigned on = 0;

        if (!sock)
                return 0;
        _cleanup_fclose_ FILE *f = open_at(root, "/etc/nscd.conf");
        if (!f) {
                if (errno != ENOENT)
                        say_unreadable(d, "nscd", sock, "/etc/nscd.conf", errno);
                return 0;
        }
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++)
                if (split(line, w, 4) == 3 && strcmp(w[0], "enable-cache") == 0 && strcmp(w[1], "hosts") == 0)
                        on = strcmp(w[2], "yes") == 0 ? n : 0; /* the last line wins */
        if (!on)
                return 0;
        diag_say(d, DIAG_WARNING, "broker: nscd (%s) caches hosts (/etc/nscd.conf:%u: enable-cache hosts yes): a "
                                  "restricted session's name lookups are sent out by it as DNS queries; to close it: "
                                  "enable-cache hosts no",
                 sock, on);
        return 1;
}

/* The line of nsswitch.conf's hosts entry naming a service that starts with prefix; 0 if none. */
static unsigned hosts_service(const char *root, const char *prefix) {
        char line[1024], *w[32];
        _cleanup_fclose_ FILE *f = open_at(root, "/etc/nsswitch.conf");
        if (!f)
                return 0;
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                int k = split(line, w, 32);
                if (k == 0 || strcmp(w[0], "hosts:") != 0)
                        continue;
                for (int i = 1; i < k; i++)
                        if (strncmp(w[i], prefix, strlen(prefix)) == 0)
                                return n;
        }
        return 0;
}

static int resolved(const char *root, const struct diag *d) {
        static const char *const sockets[] = { "/run/systemd/resolve/io.systemd.Resolve", NULL };
        const char *sock = socket_at(root, sockets);
        char nss[128] = "";

        if (!sock)
                return 0;
        unsigned n = hosts_service(root, "resolve");
        if (n)
                snprintf(nss, sizeof(nss), ", and every name lookup through it (/etc/nsswitch.conf:%u: resolve)", n);
        diag_say(d, DIAG_WARNING, "broker: systemd-resolved (%s) resolves any name a restricted session asks, over "
                                  "this socket and D-Bus (org.freedesktop.resolve1)%s; to close it: a D-Bus policy "
                                  "denying org.freedesktop.resolve1 to the restricted users' group%s; " LISTED_ONLY,
                 sock, nss, n ? ", and resolve out of nsswitch.conf's hosts line" : "");
        return 1;
}

/* Whether key=value in [section] of an INI file says yes (or nothing: then dflt); its line or 0. */
static bool ini_yes(FILE *f, const char *section, const char *key, bool dflt, unsigned *ret_line) {
        char line[1024], now[64] = "";
        bool yes = dflt;
        *ret_line = 0;
        rewind(f);
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                char *p = line + strspn(line, " \t");
                if (*p == '[') {
                        snprintf(now, sizeof(now), "%.*s", (int) strcspn(p + 1, "]"), p + 1);
                        continue;
                }
                size_t len = strlen(key);
                if (strcmp(now, section) != 0 || strncmp(p, key, len) != 0)
                        continue;
                p += len + strspn(p + len, " \t");
                if (*p++ != '=')
                        continue;
                p += strspn(p, " \t");
                yes = strncmp(p, "yes", 3) == 0, *ret_line = n;
        }
        return yes;
}

/* avahi-daemon: mDNS to the local link for any .local name; with wide-area, unicast DNS for any name. */
static int avahi(const char *root, const struct diag *d) {
        static const char *const sockets[] = { "/run/avahi-daemon/socket", "/var/run/avahi-daemon/socket", NULL };
        const char *sock = socket_at(root, sockets);
        char unicast[160] = "", nss[128] = "";
        unsigned n;

        if (!sock)
                return 0;
        _cleanup_fclose_ FILE *f = open_at(root, "/etc/avahi/avahi-daemon.conf");
        if (!f && errno != ENOENT) {
                say_unreadable(d, "avahi-daemon", sock, "/etc/avahi/avahi-daemon.conf", errno);
                return 0;
        }
        /* avahi's own defaults: wide-area off, D-Bus on */
        bool wide = f && ini_yes(f, "wide-area", "enable-wide-area", false, &n);
        if (wide)
                snprintf(unicast, sizeof(unicast), ", and unicast DNS queries for any name "
                                                   "(/etc/avahi/avahi-daemon.conf:%u: enable-wide-area=yes)", n);
        bool bus = !f || ini_yes(f, "server", "enable-dbus", true, &n);
        if ((n = hosts_service(root, "mdns")))
                snprintf(nss, sizeof(nss), " (every .local lookup: /etc/nsswitch.conf:%u)", n);
        diag_say(d, DIAG_WARNING, "broker: avahi-daemon (%s) sends mDNS queries to the local link for a restricted "
                                  "session%s%s, over this socket%s; to close it: %s%s" LISTED_ONLY,
                 sock, nss, unicast, bus ? " and D-Bus (org.freedesktop.Avahi)" : "",
                 wide ? "enable-wide-area=no; " : "",
                 bus ? "enable-dbus=no or a D-Bus policy denying org.freedesktop.Avahi to the restricted users' group; "
                     : "");
        return 1;
}

static bool network_uri(const char *uri) {
        static const char *const schemes[] = { "ipp:",    "ipps:", "http:",  "https:",
                                               "socket:", "lpd:",  "dnssd:", "smb:" };
        for (size_t i = 0; i < ELEMENTSOF(schemes); i++)
                if (strncmp(uri, schemes[i], strlen(schemes[i])) == 0)
                        return true;
        return false;
}

struct queue {
        char name[128];
        char scheme[16]; /* of a network DeviceURI; the rest may hold a password */
        unsigned line;
        bool limited; /* AllowUser or DenyUser */
};

static int cups_queue(const struct queue *q, const char *sock, const struct diag *d) {
        if (!q->scheme[0] || q->limited)
                return 0;
        diag_say(d, DIAG_WARNING, "broker: cupsd (%s) sends what a restricted session prints on queue %s over the "
                                  "network (/etc/cups/printers.conf:%u: DeviceURI %s//...); to close it: lpadmin -p %s "
                                  "-u deny:@GROUP for the restricted users' group (DenyUser), or AllowUser, or a "
                                  "cupsd.conf policy",
                 sock, q->name, q->line, q->scheme, q->name);
        return 1;
}

/* cupsd: a queue whose device is on the network, and no AllowUser or DenyUser on it. */
static int cups(const char *root, const struct diag *d) {
        static const char *const sockets[] = { "/run/cups/cups.sock", "/var/run/cups/cups.sock", NULL };
        const char *sock = socket_at(root, sockets);
        char line[4096], *w[3];
        struct queue q = {};
        int found = 0;

        if (!sock)
                return 0;
        _cleanup_fclose_ FILE *f = open_at(root, "/etc/cups/printers.conf");
        if (!f) {
                if (errno != ENOENT)
                        say_unreadable(d, "cupsd", sock, "/etc/cups/printers.conf", errno);
                return 0;
        }
        for (unsigned n = 1; fgets(line, sizeof(line), f); n++) {
                int k = split(line, w, 3);
                if (k >= 2 && (strcmp(w[0], "<Printer") == 0 || strcmp(w[0], "<DefaultPrinter") == 0)) {
                        q = (struct queue) {};
                        snprintf(q.name, sizeof(q.name), "%.*s", (int) strcspn(w[1], ">"), w[1]);
                } else if (k >= 1 && (strcmp(w[0], "</Printer>") == 0 || strcmp(w[0], "</DefaultPrinter>") == 0))
                        found += cups_queue(&q, sock, d), q = (struct queue) {};
                else if (k >= 2 && strcmp(w[0], "DeviceURI") == 0 && network_uri(w[1])) {
                        snprintf(q.scheme, sizeof(q.scheme), "%.*s", (int) strcspn(w[1], ":") + 1, w[1]);
                        q.line = n;
                } else if (k >= 1 && (strcmp(w[0], "AllowUser") == 0 || strcmp(w[0], "DenyUser") == 0))
                        q.limited = true;
        }
        return found;
}

/* Whether a PAM stack's session runs pam_nonet, itself or through what it includes: 1, 0, or -errno. */
static int stack_has_nonet(const char *root, const char *name, int depth) {
        char path[512], line[1024], *w[8];
        if (strchr(name, '/') || depth > 4)
                return 0;
        snprintf(path, sizeof(path), "/etc/pam.d/%s", name);
        _cleanup_fclose_ FILE *f = open_at(root, path);
        if (!f)
                return -errno;
        while (fgets(line, sizeof(line), f)) {
                int k = split(line, w, 8);
                if (k >= 2 && strcmp(w[0], "@include") == 0) {
                        if (stack_has_nonet(root, w[1], depth + 1) > 0)
                                return 1;
                        continue;
                }
                if (k < 3 || (strcmp(w[0], "session") != 0 && strcmp(w[0], "-session") != 0))
                        continue;
                if (strcmp(w[1], "include") == 0 || strcmp(w[1], "substack") == 0) {
                        if (stack_has_nonet(root, w[2], depth + 1) > 0)
                                return 1;
                        continue;
                }
                for (int i = 2; i < k; i++) /* the module after a control, bracketed ones of several words too */
                        if (strstr(w[i], "pam_nonet"))
                                return 1;
        }
        return 0;
}

/* Per-user daemons: for each /run/user/UID holding a known broker's socket, one warning. */
static int user_daemons(const char *root, const struct diag *d) {
        static const char *const known[] = { "gnupg/S.dirmngr", "pulse/native", "bus", "gvfsd", "systemd/private" };
        char dir[4096];
        struct dirent *de;
        int found = 0;

        snprintf(dir, sizeof(dir), "%s/run/user", root);
        DIR *users = opendir(dir);
        if (!users)
                return 0;
        int pam = stack_has_nonet(root, "systemd-user", 0);
        while ((de = readdir(users))) {
                char held[256] = "", rel[512];
                struct stat st;
                if (!isdigit((unsigned char) de->d_name[0]))
                        continue;
                for (size_t i = 0; i < ELEMENTSOF(known); i++) {
                        snprintf(rel, sizeof(rel), "%s/%s", de->d_name, known[i]);
                        if (fstatat(dirfd(users), rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                            (S_ISSOCK(st.st_mode) || S_ISDIR(st.st_mode)))
                                snprintf(held + strlen(held), sizeof(held) - strlen(held), "%s%s", held[0] ? ", " : "",
                                         known[i]);
                }
                if (!held[0])
                        continue;
                found++;
                diag_say(d, DIAG_WARNING, "broker: /run/user/%s holds sockets of per-user daemons started outside a "
                                          "restricted session (%s: dirmngr fetches any URL, PulseAudio loads network "
                                          "modules, gvfs on the session bus fetches HTTP, the user manager runs any "
                                          "command: systemd-run --user), which act for every process "
                                          "of uid %s; for a user the table restricts they close with the user "
                                          "manager, which the systemd-user PAM stack restricts where it runs "
                                          "pam_nonet (%s); under nonet-exec, --brokers=closed masks them (and "
                                          "--unix=listed, Landlock ABI 9, closes every socket not listed)",
                         de->d_name, held, de->d_name,
                         pam > 0    ? "it does"
                         : pam == 0 ? "it does not: pam-auth-update --enable nonet adds it"
                                    : "/etc/pam.d/systemd-user cannot be read");
        }
        closedir(users);
        return found;
}

struct servers_said {
        const struct diag *d;
        int found;
};

static int say_server(uid_t uid, const char *comm, int pid, const char *path, void *userdata) {
        struct servers_said *s = userdata;
        bool ssh = strcmp(comm, "ssh") == 0;
        s->found++;
        diag_say(s->d, DIAG_WARNING, "broker: %s (pid %d, uid %u) listens at %s: %s for every process of uid %u; "
                 "for a user the table restricts it closes with the user manager; under nonet-exec, --brokers=closed "
                 "masks it", ssh ? "an ssh ControlMaster" : comm[0] == 't' ? "a tmux server" : "a screen server", pid,
                 (unsigned) uid, path, ssh ? "it runs commands on its remote host" : "it runs commands outside any "
                 "sandbox", (unsigned) uid);
        return 0;
}

/* The live servers of ssh, tmux and screen: processes, not files, so only for this machine's root. */
static int user_servers_lint(const struct diag *d) {
        struct servers_said s = { .d = d, .found = 0 };
        (void) mask_each_server((uid_t) -1, say_server, &s); /* one not readable is judged at restriction */
        return s.found;
}

int brokers_lint(const char *root, const struct diag *d) {
        if (!root || strcmp(root, "/") == 0)
                root = "";
        return nscd(root, d) + resolved(root, d) + avahi(root, d) + cups(root, d) + user_daemons(root, d) +
               (root[0] ? 0 : user_servers_lint(d));
}

struct present {
        char list[2048];
        size_t used;
};

static int add_present(const char *pattern, bool dir, void *userdata) {
        struct present *p = userdata;
        struct stat st;
        glob_t g;
        if (glob(pattern, GLOB_NOSORT, NULL, &g) != 0)
                return 0;
        for (size_t i = 0; i < g.gl_pathc; i++)
                if (lstat(g.gl_pathv[i], &st) == 0 && (dir ? S_ISDIR(st.st_mode) : S_ISSOCK(st.st_mode))) {
                        int n = snprintf(p->list + p->used, sizeof(p->list) - p->used, "%s%s%s",
                                         p->used ? ", " : "", g.gl_pathv[i], dir ? "/" : "");
                        if (n > 0 && (size_t) n < sizeof(p->list) - p->used)
                                p->used += (size_t) n;
                }
        globfree(&g);
        return 0;
}

void brokers_closed_lint(const struct settings *s, const struct diag *d) {
        struct present p = { .used = 0 };
        if (s->brokers != NONET_BROKERS_CLOSED)
                return;
        /* no user's: their runtime directories are theirs, said by name below */
        mask_endpoints((uid_t) -1, NULL, add_present, &p);
        diag_say(d, DIAG_DEBUG, "Brokers=closed: each restricted session's mount namespace masks %s, and the "
                 "user's own where present: /run/user/UID/gnupg/S.dirmngr (and d.*/S.dirmngr), pulse/, pipewire-0, "
                 "pipewire-0-manager, bus, systemd/private, ~/.gnupg/S.dirmngr, and the listening sockets of the user's "
                 "ssh ControlMasters, tmux and screen servers", p.used ? p.list : "none of the system's (none is "
                 "present now)");
}
