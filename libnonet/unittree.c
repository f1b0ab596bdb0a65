/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A unit search path as systemd reads it: service files, aliases, templates and the
 * instances enabled or configured, masks, drop-ins in systemd's order, and %i in User=.
 * For each service, the verdict: its own X-NetworkOff=, else the table's for its User=.
 */

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-path.h>
#include <unistd.h>

#include "files.h"
#include "units.h"
#include "util.h"

struct unit {
        char *name;  /* foo.service, foo@.service, foo@bar.service */
        char *path;  /* the file that defines it (an instance: its template's) */
        char *alias; /* an alias: the name it points to */
        bool masked;
};

/* Names to small integers, open addressing: thousands of units must not cost n². */
struct index {
        const char **keys;
        size_t *values;
        size_t cap; /* a power of two, at most half full */
        size_t n;
};

struct user_verdict {
        char *name;
        struct verdict verdict;
};

struct user_home {
        char *name;
        uint64_t uid; /* NONET_UID_CALLER: no such user */
        char home[512];
};

struct unit_tree {
        struct unit_context ctx;
        char **search; /* unit directories, highest priority first */
        struct unit *units;
        size_t n_units;
        struct index by_name; /* unit name -> units[] */
        struct index dropins; /* "foo.service.d" present in some search directory */
        char **dropin_names;
        size_t n_dropin_names;
        size_t *aliases; /* units[] that are aliases */
        size_t n_aliases;
        struct user_verdict *users; /* each User= decided once */
        size_t n_users;
        struct user_home *homes; /* each service user's brokers (Brokers=closed) looked up once */
        size_t n_homes;
};

void strv_free(char **l) {
        for (char **s = l; s && *s; s++)
                free(*s);
        free(l);
}

static size_t hash(const char *s) {
        size_t h = 14695981039346656037ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char) *s) * 1099511628211ULL;
        return h;
}

static size_t *index_find(const struct index *ix, const char *key) {
        for (size_t i = ix->cap ? hash(key) & (ix->cap - 1) : 0; ix->cap && ix->keys[i]; i = (i + 1) & (ix->cap - 1))
                if (strcmp(ix->keys[i], key) == 0)
                        return &ix->values[i];
        return NULL;
}

/* key must outlive the index. */
static int index_put(struct index *ix, const char *key, size_t value) {
        if (2 * (ix->n + 1) > ix->cap) {
                struct index bigger = { .cap = ix->cap ? ix->cap * 2 : 64 };
                bigger.keys = calloc(bigger.cap, sizeof(char *));
                bigger.values = calloc(bigger.cap, sizeof(size_t));
                if (!bigger.keys || !bigger.values) {
                        free(bigger.keys);
                        free(bigger.values);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < ix->cap; i++)
                        if (ix->keys[i])
                                index_put(&bigger, ix->keys[i], ix->values[i]);
                free(ix->keys);
                free(ix->values);
                *ix = bigger;
        }
        size_t i = hash(key) & (ix->cap - 1);
        while (ix->keys[i])
                i = (i + 1) & (ix->cap - 1);
        ix->keys[i] = key, ix->values[i] = value;
        ix->n++;
        return 0;
}

static void index_free(struct index *ix) {
        free(ix->keys);
        free(ix->values);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static struct unit *find_unit(struct unit_tree *t, const char *name) {
        size_t *i = index_find(&t->by_name, name);
        return i ? &t->units[*i] : NULL;
}

static struct unit *add_unit(struct unit_tree *t, const char *name, const char *path) {
        struct unit *p = realloc(t->units, (t->n_units + 1) * sizeof(*p));
        if (!p)
                return NULL;
        t->units = p;
        p = &t->units[t->n_units];
        *p = (struct unit) { .name = strdup(name), .path = path ? strdup(path) : NULL };
        if (!p->name || (path && !p->path) || index_put(&t->by_name, p->name, t->n_units) < 0) {
                free(p->name);
                free(p->path);
                return NULL;
        }
        t->n_units++;
        return p;
}

/* foo@bar.service -> foo@.service; NULL if not an instance. */
static char *template_of(const char *name) {
        const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
        char *t;
        if (!at || !dot || dot <= at + 1)
                return NULL;
        return asprintf(&t, "%.*s%s", (int) (at - name + 1), name, dot) < 0 ? NULL : t;
}

static void note_alias(struct unit_tree *t, struct unit *u, const char *target) {
        const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
        _cleanup_free_ char *tmpl = template_of(u->name);
        size_t *a;

        if (strcmp(base, u->name) == 0 || !has_suffix(base, ".service"))
                return;
        if (tmpl && strcmp(tmpl, base) == 0)
                return; /* foo@bar -> foo@ is an instance, not an alias */
        if (!(u->alias = strdup(base)) || !(a = realloc(t->aliases, (t->n_aliases + 1) * sizeof(size_t))))
                return;
        t->aliases = a;
        t->aliases[t->n_aliases++] = (size_t) (u - t->units);
}

/* A unit file found at dir/name: masked, an alias, or a definition. */
static void note_file(struct unit_tree *t, const char *dir, const char *name) {
        char path[4096], target[4096];
        struct stat st;

        if (find_unit(t, name) || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
                return;
        struct unit *u = add_unit(t, name, path);
        if (!u)
                return;
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = '\0';
                if (strcmp(target, "/dev/null") == 0)
                        u->masked = true;
                else
                        note_alias(t, u, target);
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
                u->masked = true;
}

/* An instance that exists only by name: enabled through a link, or configured by drop-ins. */
static void note_instance(struct unit_tree *t, const char *name) {
        _cleanup_free_ char *tmpl = template_of(name);
        if (tmpl && has_suffix(name, ".service") && !find_unit(t, name))
                add_unit(t, name, NULL);
}

/* Instances enabled through foo.wants/ and foo.requires/ links. */
static void note_wants(struct unit_tree *t, const char *dir, const char *sub) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, sub);
        DIR *d = opendir(path);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d)))
                note_instance(t, de->d_name);
        closedir(d);
}

static void note_dropin_dir(struct unit_tree *t, const char *name) {
        if (index_find(&t->dropins, name))
                return;
        char **p = realloc(t->dropin_names, (t->n_dropin_names + 1) * sizeof(char *));
        if (!p)
                return;
        t->dropin_names = p;
        if (!(p[t->n_dropin_names] = strdup(name)))
                return;
        if (index_put(&t->dropins, p[t->n_dropin_names], 0) < 0)
                free(p[t->n_dropin_names]);
        else
                t->n_dropin_names++;
}

static void scan_dir(struct unit_tree *t, const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (has_suffix(de->d_name, ".service"))
                        note_file(t, dir, de->d_name);
                else if (has_suffix(de->d_name, ".wants") || has_suffix(de->d_name, ".requires"))
                        note_wants(t, dir, de->d_name);
                else if (has_suffix(de->d_name, ".service.d")) {
                        note_dropin_dir(t, de->d_name);
                        char name[256];
                        snprintf(name, sizeof(name), "%.*s", (int) strlen(de->d_name) - 2, de->d_name);
                        note_instance(t, name);
                }
        }
        closedir(d);
}

/* The *.conf of <unit>.d in every search directory, the first (highest) of a name winning. */
static void add_dropins_of(struct unit_tree *t, const char *unit, struct dropin_list *list) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.d", unit);
        if (!index_find(&t->dropins, path))
                return; /* no search directory has one */
        for (char **s = t->search; *s; s++) {
                snprintf(path, sizeof(path), "%s/%s.d", *s, unit);
                dropins_add_dir(list, path); /* an unreadable one is systemd's to report */
        }
}

/* The unit file, then the drop-ins of every name that applies: service.d, the dash
 * prefixes, the template, the aliases, the unit itself; sorted by file name. */
static void read_unit(struct unit_tree *t, const struct unit *u, const char *file, struct unit_info *info) {
        struct dropin_list list = { 0 };
        _cleanup_free_ char *tmpl = template_of(u->name);
        char prefix[256];

        add_dropins_of(t, "service", &list);
        for (const char *dash = strchr(u->name, '-'); dash; dash = strchr(dash + 1, '-')) {
                snprintf(prefix, sizeof(prefix), "%.*s-.service", (int) (dash - u->name), u->name);
                add_dropins_of(t, prefix, &list);
        }
        if (tmpl)
                add_dropins_of(t, tmpl, &list);
        for (size_t i = 0; i < t->n_aliases; i++)
                if (strcmp(t->units[t->aliases[i]].alias, u->name) == 0)
                        add_dropins_of(t, t->units[t->aliases[i]].name, &list);
        add_dropins_of(t, u->name, &list);
        dropins_sort(&list);

        *info = (struct unit_info) { 0 };
        unit_read(file, info, t->ctx.diag);
        for (size_t i = 0; i < list.n; i++)
                unit_read(list.items[i].path, info, t->ctx.diag);
        dropins_free(&list);
}

/* The table's verdict for a service's User=, decided once per user. */
static const struct verdict *user_verdict(struct unit_tree *t, const char *user) {
        for (size_t i = 0; i < t->n_users; i++)
                if (strcmp(t->users[i].name, user) == 0)
                        return &t->users[i].verdict;
        struct user_verdict *p = realloc(t->users, (t->n_users + 1) * sizeof(*p));
        if (!p)
                return NULL;
        t->users = p;
        p = &t->users[t->n_users];
        if (!(p->name = strdup(user)))
                return NULL;
        t->n_users++;
        if (!t->ctx.table)
                verdict_fail_closed(t->ctx.settings, "the table cannot be used", &p->verdict);
        else
                verdict_for_user(t->ctx.table, t->ctx.settings, user, UNKNOWN_BY_NAME, &p->verdict, t->ctx.diag);
        return &p->verdict;
}

/* User= with specifiers: %i and %I (the instance) expanded; any other, or a template's
 * %i, cannot be known here, and the user is not looked up. */
static bool expand_user(const struct unit *u, const char *value, char *buf, size_t size) {
        const char *at = strchr(u->name, '@'), *dot = strrchr(u->name, '.');
        size_t used = 0;
        for (const char *p = value; *p; p++) {
                const char *add = p, *end = p + 1;
                if (*p == '%') {
                        if (p[1] == '%')
                                p++;
                        else if ((p[1] == 'i' || p[1] == 'I') && at && dot && dot > at + 1)
                                add = at + 1, end = dot, p++;
                        else
                                return false;
                }
                if (used + (size_t) (end - add) >= size)
                        return false;
                memcpy(buf + used, add, (size_t) (end - add));
                used += (size_t) (end - add);
        }
        buf[used] = '\0';
        return true;
}

/* A user's uid and home, asked of NSS once. */
static const struct user_home *user_home(struct unit_tree *t, const char *user) {
        struct passwd pw, *found = NULL;
        char buf[4096];

        for (size_t i = 0; i < t->n_homes; i++)
                if (strcmp(t->homes[i].name, user) == 0)
                        return &t->homes[i];
        struct user_home *h = realloc(t->homes, (t->n_homes + 1) * sizeof(*h));
        if (!h)
                return NULL;
        t->homes = h;
        h = &t->homes[t->n_homes];
        *h = (struct user_home) { .name = strdup(user), .uid = NONET_UID_CALLER };
        if (!h->name)
                return NULL;
        t->n_homes++;
        /* User= takes a number too, as systemd does */
        char *end;
        unsigned long n = strtoul(user, &end, 10);
        bool numeric = user[0] >= '0' && user[0] <= '9' && *end == '\0' && n < (uid_t) -1;
        if ((numeric ? getpwuid_r((uid_t) n, &pw, buf, sizeof(buf), &found)
                     : getpwnam_r(user, &pw, buf, sizeof(buf), &found)) == 0 && found) {
                h->uid = found->pw_uid;
                snprintf(h->home, sizeof(h->home), "%s", found->pw_dir ? found->pw_dir : "");
        } else if (numeric)
                h->uid = n; /* no home known: its runtime directory's alone */
        return h;
}

/* Brokers=closed, the site's setting, for a system service restricted either way: the system's
 * brokers, and its user's own (root's without User=; none where the user cannot be known here). */
static void service_brokers(struct unit_tree *t, const struct unit_info *info, bool expanded,
                            struct nonet_policy *p) {
        p->brokers = t->ctx.settings->brokers;
        const char *user = !info->user.set ? "root" : expanded ? info->user.value : NULL;
        const struct user_home *h = p->brokers == NONET_BROKERS_CLOSED && user ? user_home(t, user) : NULL;
        if (h) {
                p->brokers_uid = h->uid;
                snprintf(p->brokers_home, sizeof(p->brokers_home), "%s", h->home);
        }
}

/* What unit u, read from file, gets. */
static void unit_verdict(struct unit_tree *t, const struct unit *u, const char *file, struct verdict *ret) {
        const struct verdict *of_user = NULL;
        struct unit_info info;
        char user[256];
        bool expanded = false;

        read_unit(t, u, file, &info);
        if (!t->ctx.user_scope && info.user.set && (expanded = expand_user(u, info.user.value, user, sizeof(user)))) {
                if (t->ctx.settings->services)
                        of_user = user_verdict(t, user);
                snprintf(info.user.value, sizeof(info.user.value), "%s", user); /* as the drop-in names it */
        }
        unit_decide(&info, of_user, ret, t->ctx.diag);
        if (ret->restricted && !t->ctx.user_scope)
                service_brokers(t, &info, expanded, &ret->policy);
}

/* Whether a Listen*= value is an inet address: a port, "addr:port", "[v6]:port"; not a path,
 * an abstract name or vsock. */
static bool inet_listen(const char *value) {
        return *value && *value != '/' && *value != '@' && strncmp(value, "vsock:", 6) != 0;
}

/* The first inet socket the service's socket unit passes it (foo.socket for foo.service, and for
 * foo@x.service, the Accept=yes connections of foo.socket), as "foo.socket: ListenStream=80". */
static void passed_socket(const struct unit_tree *t, const struct unit *u, char *ret, size_t size) {
        static const char *const keys[] = { "ListenStream", "ListenDatagram", "ListenSequentialPacket" };
        const char *at = strchr(u->name, '@'), *dot = strrchr(u->name, '.');
        char name[256], path[4096];
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        FILE *f = NULL;

        ret[0] = '\0';
        snprintf(name, sizeof(name), "%.*s.socket", (int) ((at ? at : dot) - u->name), u->name);
        for (char **s = t->search; *s && !f; s++)
                if (snprintf(path, sizeof(path), "%s/%s", *s, name) < (int) sizeof(path))
                        f = fopen(path, "re");
        if (!f)
                return;
        bool in_socket = false;
        while (!ret[0] && getline(&line, &cap, f) >= 0) {
                line[strcspn(line, "\r\n")] = '\0';
                const char *p = line + strspn(line, " \t");
                if (*p == '[')
                        in_socket = strncmp(p, "[Socket]", 8) == 0;
                for (size_t i = 0; in_socket && i < ELEMENTSOF(keys); i++) {
                        size_t n = strlen(keys[i]);
                        const char *v = p + n + strspn(p + n, " \t");
                        if (strncmp(p, keys[i], n) != 0 || *v != '=')
                                continue;
                        v += 1 + strspn(v + 1, " \t");
                        if (inet_listen(v))
                                snprintf(ret, size, "%.128s: %s=%.64s", name, keys[i], v);
                }
        }
        fclose(f);
}

/* Whether u needs a drop-in of its own, and with which verdict. */
static bool needs_dropin(struct unit_tree *t, const struct unit *u, struct verdict *ret) {
        if (u->masked || u->alias || !has_suffix(u->name, ".service"))
                return false;
        if (u->path) {
                unit_verdict(t, u, u->path, ret);
                if (ret->restricted)
                        passed_socket(t, u, ret->passed, sizeof(ret->passed));
                return ret->restricted;
        }
        /* an instance without a file of its own reads its template's */
        _cleanup_free_ char *tmpl_name = template_of(u->name);
        const struct unit *tmpl = tmpl_name ? find_unit(t, tmpl_name) : NULL;
        struct verdict of_template;
        if (!tmpl || tmpl->masked || !tmpl->path)
                return false;
        unit_verdict(t, u, tmpl->path, ret);
        unit_verdict(t, tmpl, tmpl->path, &of_template);
        if (of_template.restricted && !ret->restricted)
                diag_say(t->ctx.diag, DIAG_WARNING, "%s: cannot turn on what %s turns off (%s), ignoring", u->name,
                         tmpl->name, ret->source);
        if (ret->restricted)
                passed_socket(t, u, ret->passed, sizeof(ret->passed));
        /* the template's drop-in covers it when it says the same */
        return ret->restricted && !(of_template.restricted && of_template.policy.allow == ret->policy.allow &&
                                    of_template.policy.brokers_uid == ret->policy.brokers_uid);
}

int unit_tree_load(char *const *search, const struct unit_context *ctx, struct unit_tree **ret) {
        struct unit_tree *t = calloc(1, sizeof(*t));
        size_t n = 0;

        if (!t)
                return -ENOMEM;
        t->ctx = *ctx;
        while (search[n])
                n++;
        t->search = calloc(n + 1, sizeof(char *));
        for (size_t i = 0; t->search && i < n; i++)
                if (!(t->search[i] = strdup(search[i]))) {
                        unit_tree_free(t);
                        return -ENOMEM;
                }
        if (!t->search) {
                unit_tree_free(t);
                return -ENOMEM;
        }
        for (char **s = t->search; *s; s++)
                scan_dir(t, *s);
        *ret = t;
        return 0;
}

int unit_tree_foreach_restricted(struct unit_tree *t, unit_emit_fn emit, void *userdata) {
        for (size_t i = 0; i < t->n_units; i++) {
                struct verdict v;
                if (!needs_dropin(t, &t->units[i], &v))
                        continue;
                int r = emit(userdata, t->units[i].name, &v);
                if (r < 0)
                        return r;
        }
        return 0;
}

size_t unit_tree_size(const struct unit_tree *t) {
        return t->n_units;
}

void unit_tree_free(struct unit_tree *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_units; i++) {
                free(t->units[i].name);
                free(t->units[i].path);
                free(t->units[i].alias);
        }
        for (size_t i = 0; i < t->n_dropin_names; i++)
                free(t->dropin_names[i]);
        for (size_t i = 0; i < t->n_users; i++)
                free(t->users[i].name);
        for (size_t i = 0; i < t->n_homes; i++)
                free(t->homes[i].name);
        free(t->homes);
        strv_free(t->search);
        free(t->dropin_names);
        free(t->aliases);
        free(t->users);
        free(t->units);
        index_free(&t->by_name);
        index_free(&t->dropins);
        free(t);
}

/* systemd's own answer, from libsystemd, loaded only here: libnonet does not depend on it. */
static int sd_search_path(bool user_scope, char ***ret) {
        int (*lookup)(uint64_t, const char *, char ***);
        void *lib = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
        if (!lib)
                return -EOPNOTSUPP;
        *(void **) &lookup = dlsym(lib, "sd_path_lookup_strv");
        int r = lookup ? lookup(user_scope ? SD_PATH_SYSTEMD_SEARCH_USER_UNIT : SD_PATH_SYSTEMD_SEARCH_SYSTEM_UNIT,
                                NULL, ret)
                       : -EOPNOTSUPP;
        dlclose(lib);
        return r;
}

int unit_search_path(bool user_scope, char *const *exclude, char ***ret) {
        char **all = NULL;
        int r = sd_search_path(user_scope, &all);
        if (r < 0)
                return r;
        /* Not the generators' own output directories. */
        size_t n = 0;
        for (size_t i = 0; all[i]; i++) {
                bool excluded = false;
                for (char *const *e = exclude; e && *e && !excluded; e++)
                        excluded = strcmp(all[i], *e) == 0;
                if (excluded)
                        free(all[i]);
                else
                        all[n++] = all[i];
        }
        all[n] = NULL;
        *ret = all;
        return 0;
}
