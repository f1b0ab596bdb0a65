/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * systemd units: read X-NetworkOff=, NetworkOff= and User= from a unit's
 * [Service] section as systemd would (continuation lines, comments, last
 * assignment wins, empty resets), decide, and write the contract as
 * systemd's own directives.
 */

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "calls.h"
#include "internal.h"
#include "units.h"
#include "util.h"

static void set_value(struct unit_value *v, const char *value, const char *path, unsigned line) {
        v->set = *value != '\0'; /* an empty assignment resets */
        snprintf(v->value, sizeof(v->value), "%s", value);
        snprintf(v->source, sizeof(v->source), "%s:%u", path, line);
}

static char *strip(char *s) {
        s += strspn(s, " \t\r");
        size_t n = strlen(s);
        while (n > 0 && strchr(" \t\r", s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* Whether key is within two edits of want, case aside (both shorter than 32). */
static bool near(const char *key, const char *want) {
        size_t n = strlen(key), m = strlen(want), prev[32], cur[32];
        if (n >= 32 || m >= 32)
                return false;
        for (size_t j = 0; j <= m; j++)
                prev[j] = j;
        for (size_t i = 1; i <= n; i++) {
                cur[0] = i;
                for (size_t j = 1; j <= m; j++) {
                        bool same = tolower((unsigned char) key[i - 1]) == tolower((unsigned char) want[j - 1]);
                        size_t best = prev[j - 1] + !same;
                        if (prev[j] + 1 < best)
                                best = prev[j] + 1;
                        if (cur[j - 1] + 1 < best)
                                best = cur[j - 1] + 1;
                        cur[j] = best;
                }
                memcpy(prev, cur, sizeof(prev));
        }
        return prev[m] <= 2;
}

static bool is_off_key(const char *key) {
        return strcmp(key, "X-NetworkOff") == 0 || strcmp(key, "NetworkOff") == 0;
}

/* systemd ignores an X- key it does not know, and so does this reader: a misspelled
 * X-NetworkOff=, or one outside [Service], would leave the network on without a word. */
static void stray_off_key(const char *line, bool in_service, const char *path, unsigned lineno, const struct diag *d) {
        char key[64];
        size_t n = strcspn(line, "=");
        if (line[n] != '=' || n >= sizeof(key))
                return;
        memcpy(key, line, n);
        key[n] = '\0';
        char *k = strip(key);
        if (!in_service && is_off_key(k))
                diag_say(d, DIAG_WARNING, "%s:%u: %s= is read in [Service] only, ignoring: the service's network stays on",
                         path, lineno, k);
        else if (in_service && !is_off_key(k) && (near(k, "X-NetworkOff") || near(k, "NetworkOff")))
                diag_say(d, DIAG_WARNING, "%s:%u: %s= is not X-NetworkOff=, ignoring, as systemd does: the service's "
                                          "network stays on",
                         path, lineno, k);
}

static void assignment(struct unit_info *u, char *line, const char *path, unsigned lineno, const struct diag *d) {
        char *eq = strchr(line, '=');
        if (!eq) {
                diag_say(d, DIAG_WARNING, "%s:%u: not an assignment, ignoring", path, lineno);
                return;
        }
        *eq = '\0';
        char *key = strip(line), *value = strip(eq + 1);
        struct unit_value *v = is_off_key(key)             ? &u->off
                               : strcmp(key, "User") == 0 ? &u->user
                                                          : NULL;
        if (!v)
                return;
        if (strlen(value) >= sizeof(v->value)) {
                diag_say(d, DIAG_WARNING, "%s:%u: %s= value too long, ignoring", path, lineno, key);
                return;
        }
        set_value(v, value, path, lineno);
}

/* One logical line, continuations joined; false at the end of the file. */
static bool logical_line(FILE *f, char **buf, size_t *size, unsigned *lineno) {
        char *line = NULL;
        size_t cap = 0, used = 0;
        ssize_t n;

        (*buf)[0] = '\0';
        while ((n = getline(&line, &cap, f)) >= 0) {
                (*lineno)++;
                while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
                        line[--n] = '\0';
                const char *t = line + strspn(line, " \t");
                if (used > 0 && (*t == '#' || *t == ';'))
                        continue; /* comments inside a continuation are skipped, as systemd does */
                bool more = n > 0 && line[n - 1] == '\\';
                if (more)
                        line[n - 1] = ' '; /* systemd joins continued lines with a space */
                if (used + (size_t) n + 1 > *size) {
                        char *p = realloc(*buf, used + (size_t) n + 1);
                        if (!p)
                                break;
                        *buf = p, *size = used + (size_t) n + 1;
                }
                memcpy(*buf + used, line, (size_t) n);
                used += (size_t) n;
                (*buf)[used] = '\0'; /* also when the file ends inside a continuation */
                if (!more) {
                        free(line);
                        return true;
                }
        }
        free(line);
        return used > 0;
}

int unit_read(const char *path, struct unit_info *u, const struct diag *d) {
        /* Non-blocking, and regular files only, as systemd: a link to a FIFO or a device
         * (/dev/zero, /dev/full) would hang or fill the memory of the boot. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0) {
                int e = negative_errno();
                diag_say(d, DIAG_WARNING, "%s: cannot read: %s, ignoring", path, strerrordesc_np(-e));
                return e;
        }
        if (!S_ISREG(st.st_mode)) {
                diag_say(d, DIAG_WARNING, "%s: not a regular file, ignoring", path);
                return -EBADFD;
        }
        FILE *f = fdopen(fd, "re");
        if (!f)
                return -ENOMEM;
        steal_fd(&fd);
        int r = unit_read_stream(f, path, u, d);
        fclose(f);
        return r;
}

int unit_read_stream(FILE *f, const char *path, struct unit_info *u, const struct diag *d) {
        char *buf = malloc(256);
        size_t size = 256;
        unsigned lineno = 0;
        bool in_service = false;

        if (!buf)
                return -ENOMEM;
        while (logical_line(f, &buf, &size, &lineno)) {
                char *line = strip(buf);
                if (*line == '\0' || *line == '#' || *line == ';')
                        continue;
                if (*line == '[') {
                        in_service = strcmp(line, "[Service]") == 0;
                        continue;
                }
                stray_off_key(line, in_service, path, lineno, d);
                if (in_service)
                        assignment(u, line, path, lineno, d);
        }
        free(buf);
        return 0;
}

static int parse_boolean(const char *v) {
        static const char *const yes[] = { "1", "yes", "y", "true", "t", "on" };
        static const char *const no[] = { "0", "no", "n", "false", "f", "off" };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0)
                        return 1;
                if (strcasecmp(v, no[i]) == 0)
                        return 0;
        }
        return -EINVAL;
}

int unit_network_off(const struct unit_value *v, uint64_t *ret_allow, const struct diag *d) {
        char bad[40];
        uint64_t set;

        if (!v->set)
                return -ENOENT;
        if (strcasecmp(v->value, "loopback") == 0) { /* a private loopback: inet there, and only lo */
                *ret_allow = (UINT64_C(1) << AF_UNIX) | POLICY_INET_FAMILIES;
                return 2;
        }
        int b = parse_boolean(v->value);
        if (b >= 0) {
                *ret_allow = UINT64_C(1) << AF_UNIX;
                return b;
        }
        if (nonet_families_parse(v->value, &set, bad, sizeof(bad)) < 0) {
                /* A unit that asked for the network off gets it, even with a typo. */
                diag_say(d, DIAG_WARNING, "%s: invalid X-NetworkOff=%.64s: unknown family '%s'; network off", v->source,
                         v->value, bad);
                set = 0;
        }
        *ret_allow = set | (UINT64_C(1) << AF_UNIX);
        return 1;
}

/* One endpoint as InaccessiblePaths=: "-" as it may be absent. A glob, or a character systemd
 * would unquote or expand (a home's), has no such form: left out. */
static int inaccessible_path(const char *path, bool dir, void *userdata) {
        (void) dir;
        if (strspn(path, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-+@") == strlen(path))
                fprintf(userdata, "InaccessiblePaths=-%s\n", path);
        return 0;
}

int unit_dropin_format(const struct nonet_policy *p, bool user_scope, const char *why, char **ret) {
        char *text = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&text, &size);
        if (!f)
                return -ENOMEM;

        fprintf(f,
                "# Network off for this service: the nonet contract in systemd's own directives.\n"
                "# %s\n"
                "[Service]\n"
                "NoNewPrivileges=yes\n"
                "RestrictAddressFamilies=\n"
                "RestrictAddressFamilies=AF_UNIX",
                why);
        /* Then the kept families systemd knows by name (it has none for AF_UNSPEC or numbers). */
        for (int fam = AF_UNIX + 1; fam < NONET_FAMILY_MAX; fam++) {
                const char *name = nonet_family_to_name(fam);
                if (!name || !(p->allow & (UINT64_C(1) << fam)))
                        continue;
                fputs(" AF_", f);
                for (size_t i = 0; name[i]; i++)
                        fputc(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32 : name[i], f);
        }
        fputs("\nSystemCallArchitectures=native\n", f);
        /* systemd has no Landlock scope: a service gets every refused call, one line a kind */
        for (enum refused_when w = REFUSED_ALWAYS; w <= REFUSED_WITHOUT_LANDLOCK; w++) {
                const char *sep = "SystemCallFilter=~";
                for (size_t i = 0; i < n_refused_calls; i++)
                        if (refused_calls[i].when == w) {
                                fprintf(f, "%s%s:%s", sep, refused_calls[i].name, refused_calls[i].error_name);
                                sep = " ";
                        }
                fputc('\n', f);
        }
        /* AF_UNIX is kept whole unless the policy refuses abstract sockets outside: systemd's
         * way is a private network namespace, which also cuts the host's network for any other
         * kept family, so only when AF_UNIX alone is kept (nonet-generator(8)). */
        if ((!user_scope && policy_scopes_abstract(p) && p->allow == (UINT64_C(1) << AF_UNIX)) ||
            p->netns == NONET_NETNS_PRIVATE_LOOPBACK)
                fputs("PrivateNetwork=yes\n", f); /* X-NetworkOff=loopback: systemd's private loopback */
        /* and no way back into another network namespace: setns() with CLONE_NEWNET or 0 refused
         * (unshare and clone with CLONE_NEWNET too); systemd cannot filter ioctl by command */
        if (p->netns == NONET_NETNS_PRIVATE_LOOPBACK)
                fputs("RestrictNamespaces=~net\n", f);
        /* Brokers=closed: mask.c's endpoints, in systemd's masking of paths (a user manager's would
         * need a user namespace: not written there) */
        if (!user_scope && p->brokers == NONET_BROKERS_CLOSED)
                mask_endpoints(p->brokers_uid == NONET_UID_CALLER ? (uid_t) -1 : (uid_t) p->brokers_uid,
                               p->brokers_home, inaccessible_path, f);
        if (ferror(f) | fclose(f)) {
                free(text);
                return -ENOMEM;
        }
        *ret = text;
        return 0;
}

void unit_decide(const struct unit_info *u, const struct verdict *user_verdict, struct verdict *ret,
                 const struct diag *d) {
        uint64_t allow;

        *ret = (struct verdict) { 0 };
        policy_init(&ret->policy);
        int r = unit_network_off(&u->off, &allow, d);
        if (r >= 0) {
                ret->restricted = r > 0;
                ret->from_unit = true;
                ret->policy.allow = allow;
                ret->policy.netns = r == 2 ? NONET_NETNS_PRIVATE_LOOPBACK : NONET_NETNS_HOST;
                snprintf(ret->source, sizeof(ret->source), "X-NetworkOff=%.64s at %.400s", u->off.value, u->off.source);
                return;
        }
        /* a dry run (the table's "log") has no systemd form: such a user's services are left alone */
        if (user_verdict && user_verdict->restricted && user_verdict->policy.refusals != NONET_LOG_ONLY) {
                ret->restricted = true;
                ret->policy = user_verdict->policy;
                ret->policy.allow |= UINT64_C(1) << AF_UNIX;
                snprintf(ret->source, sizeof(ret->source), "User=%.64s, whose network is off by %.400s", u->user.value,
                         user_verdict->source);
        }
}

bool unit_provides_network(const char *unit) {
        static const char *const providers[] = {
                "systemd-networkd", "systemd-networkd-wait-online", "systemd-resolved", "NetworkManager",
                "NetworkManager-wait-online", "networking", "ifup", "wpa_supplicant", "iwd", "connman", "dhclient",
                "dhcpcd", "ModemManager",
        };
        size_t base = strcspn(unit, "@."); /* foo@bar.service, foo@.service, foo.service: foo */
        for (size_t i = 0; i < ELEMENTSOF(providers); i++)
                if (strlen(providers[i]) == base && strncmp(unit, providers[i], base) == 0)
                        return true;
        return false;
}
