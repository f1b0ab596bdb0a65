/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nonet-generator NORMAL_DIR [EARLY_DIR LATE_DIR]: for every service that says
 * X-NetworkOff= (or runs as a User= the table restricts), write
 * NORMAL_DIR/<unit>.d/90-nonet.conf with systemd's own directives.
 * Never fails the boot: a bad unit is a warning; only an unusable output
 * directory is an error.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-path.h>
#include <unistd.h>

#include "units.h"
#include "util.h"

#define DROPIN_NAME "90-nonet.conf"

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

struct generator {
        char **search; /* unit directories, highest priority first */
        struct unit *units;
        size_t n_units;
        struct index by_name;  /* unit name -> units[] */
        struct index dropins;  /* "foo.service.d" present in some search directory */
        char **dropin_names;
        size_t n_dropin_names;
        size_t *aliases;       /* units[] that are aliases */
        size_t n_aliases;
        bool user_scope;
        struct settings settings;
        struct table *table; /* NULL: unusable, closed for every User= */
        struct {
                char name[256];
                struct verdict v;
        } *users;
        size_t n_users;
        struct diag diag;
        int out_fd;
        int failed;
};

static void say(void *userdata, enum diag_level level, const char *message) {
        fprintf(stderr, "nonet-generator: %s%s\n", level == DIAG_WARNING ? "warning: " : "", message);
}

static bool has_suffix(const char *s, const char *suffix) {
        size_t n = strlen(s), m = strlen(suffix);
        return n >= m && strcmp(s + n - m, suffix) == 0;
}

static struct unit *find_unit(struct generator *g, const char *name) {
        size_t *i = index_find(&g->by_name, name);
        return i ? &g->units[*i] : NULL;
}

static struct unit *add_unit(struct generator *g, const char *name, const char *path) {
        struct unit *p = realloc(g->units, (g->n_units + 1) * sizeof(*p));
        if (!p)
                return NULL;
        g->units = p;
        p = &g->units[g->n_units];
        *p = (struct unit) { .name = strdup(name), .path = path ? strdup(path) : NULL };
        if (!p->name || (path && !p->path) || index_put(&g->by_name, p->name, g->n_units) < 0) {
                free(p->name);
                free(p->path);
                return NULL;
        }
        g->n_units++;
        return p;
}

/* foo@bar.service -> foo@.service; NULL if not an instance. */
static char *template_of(const char *name) {
        const char *at = strchr(name, '@'), *dot = strrchr(name, '.');
        if (!at || !dot || dot <= at + 1)
                return NULL;
        char *t = malloc(strlen(name) + 1);
        if (t)
                sprintf(t, "%.*s%s", (int) (at - name + 1), name, dot);
        return t;
}

/* A unit file found at dir/name: masked, an alias, or a definition. */
static void note_file(struct generator *g, const char *dir, const char *name) {
        char path[4096], target[4096];
        struct stat st;

        if (find_unit(g, name) || snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int) sizeof(path))
                return;
        struct unit *u = add_unit(g, name, path);
        if (!u)
                return;
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n > 0) {
                target[n] = '\0';
                const char *base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
                if (strcmp(target, "/dev/null") == 0)
                        u->masked = true;
                else if (strcmp(base, name) != 0 && has_suffix(base, ".service")) {
                        _cleanup_free_ char *t = template_of(name);
                        size_t *a = NULL;
                        if ((!t || strcmp(t, base) != 0) && /* foo@bar -> foo@ is an instance, not an alias */
                            (u->alias = strdup(base)) &&
                            (a = realloc(g->aliases, (g->n_aliases + 1) * sizeof(size_t)))) {
                                g->aliases = a;
                                g->aliases[g->n_aliases++] = (size_t) (u - g->units);
                        }
                }
        }
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0)
                u->masked = true;
}

/* Instances enabled through foo.wants/ and foo.requires/ links. */
static void note_instances(struct generator *g, const char *dir, const char *sub) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", dir, sub);
        DIR *d = opendir(path);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                _cleanup_free_ char *t = template_of(de->d_name);
                if (t && has_suffix(de->d_name, ".service") && !find_unit(g, de->d_name))
                        add_unit(g, de->d_name, NULL);
        }
        closedir(d);
}

static void note_dropin_dir(struct generator *g, const char *name) {
        if (index_find(&g->dropins, name))
                return;
        char **p = realloc(g->dropin_names, (g->n_dropin_names + 1) * sizeof(char *));
        if (!p)
                return;
        g->dropin_names = p;
        if (!(p[g->n_dropin_names] = strdup(name)))
                return;
        if (index_put(&g->dropins, p[g->n_dropin_names], 0) < 0)
                free(p[g->n_dropin_names]);
        else
                g->n_dropin_names++;
}

static void scan_dir(struct generator *g, const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        if (!d)
                return;
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (has_suffix(de->d_name, ".service"))
                        note_file(g, dir, de->d_name);
                else if (has_suffix(de->d_name, ".wants") || has_suffix(de->d_name, ".requires"))
                        note_instances(g, dir, de->d_name);
                if (has_suffix(de->d_name, ".service.d"))
                        note_dropin_dir(g, de->d_name);
                if (has_suffix(de->d_name, ".service.d")) {
                        /* an instance configured only by its drop-ins */
                        char name[256];
                        snprintf(name, sizeof(name), "%.*s", (int) strlen(de->d_name) - 2, de->d_name);
                        _cleanup_free_ char *t = template_of(name);
                        if (t && !find_unit(g, name))
                                add_unit(g, name, NULL);
                }
        }
        closedir(d);
}

struct dropin {
        char name[256];
        char path[4096 + 256]; /* a search directory's "<unit>.d/" and the name */
};

static int cmp_dropin(const void *a, const void *b) {
        return strcmp(((const struct dropin *) a)->name, ((const struct dropin *) b)->name);
}

/* The *.conf of dir/<unit>.d in every search directory, by name, the first (highest) winning. */
static void collect_dropins(struct generator *g, const char *unit, struct dropin **list, size_t *n) {
        char path[4096];
        snprintf(path, sizeof(path), "%s.d", unit);
        if (!index_find(&g->dropins, path))
                return; /* no search directory has one */
        for (char **s = g->search; *s; s++) {
                snprintf(path, sizeof(path), "%s/%s.d", *s, unit);
                DIR *d = opendir(path);
                struct dirent *de;
                if (!d)
                        continue;
                while ((de = readdir(d))) {
                        bool seen = false;
                        if (de->d_name[0] == '.' || !has_suffix(de->d_name, ".conf") || strlen(de->d_name) >= 256)
                                continue;
                        for (size_t i = 0; i < *n && !seen; i++)
                                seen = strcmp((*list)[i].name, de->d_name) == 0;
                        struct dropin *p = seen ? NULL : realloc(*list, (*n + 1) * sizeof(**list));
                        if (!p)
                                continue;
                        *list = p;
                        strcpy(p[*n].name, de->d_name);
                        snprintf(p[(*n)++].path, sizeof(p->path), "%s/%s", path, de->d_name);
                }
                closedir(d);
        }
}

/* The names whose drop-ins apply: service.d, the dash prefixes, the template, aliases, itself. */
static void read_unit(struct generator *g, const struct unit *u, const char *file, struct unit_info *info) {
        _cleanup_free_ struct dropin *list = NULL;
        _cleanup_free_ char *tmpl = template_of(u->name);
        char prefix[256];
        size_t n = 0;

        collect_dropins(g, "service", &list, &n);
        for (const char *dash = strchr(u->name, '-'); dash; dash = strchr(dash + 1, '-')) {
                snprintf(prefix, sizeof(prefix), "%.*s-.service", (int) (dash - u->name), u->name);
                collect_dropins(g, prefix, &list, &n);
        }
        if (tmpl)
                collect_dropins(g, tmpl, &list, &n);
        for (size_t i = 0; i < g->n_aliases; i++)
                if (strcmp(g->units[g->aliases[i]].alias, u->name) == 0)
                        collect_dropins(g, g->units[g->aliases[i]].name, &list, &n);
        collect_dropins(g, u->name, &list, &n);
        if (n > 1)
                qsort(list, n, sizeof(*list), cmp_dropin);

        *info = (struct unit_info) { 0 };
        unit_read(file, info, &g->diag);
        for (size_t i = 0; i < n; i++)
                unit_read(list[i].path, info, &g->diag);
}

/* The table's verdict for a service's User=, looked up once per user. */
static const struct verdict *user_verdict(struct generator *g, const char *user) {
        struct nonet_user nu;

        for (size_t i = 0; i < g->n_users; i++)
                if (strcmp(g->users[i].name, user) == 0)
                        return &g->users[i].v;
        void *p = realloc(g->users, (g->n_users + 1) * sizeof(*g->users));
        if (!p)
                return NULL;
        g->users = p;
        struct verdict *v = &g->users[g->n_users].v;
        snprintf(g->users[g->n_users++].name, sizeof(g->users->name), "%s", user);
        if (!g->table)
                verdict_fail_closed(&g->settings, "the table cannot be used", v);
        else if (nonet_user_lookup(user, &nu) < 0) {
                /* Not in NSS at boot (a DynamicUser=, a directory service not up yet): the
                 * lines naming it and '*' decide; no uid or group can match. */
                diag_say(&g->diag, DIAG_WARNING, "cannot look up User=%s: deciding by its name alone", user);
                nu = (struct nonet_user) { .name = (char *) user, .uid = (uid_t) -1, .gid = (gid_t) -1 };
                table_decide(g->table, &nu, &g->settings, v);
                return v;
        } else {
                table_decide(g->table, &nu, &g->settings, v);
                nonet_user_done(&nu);
        }
        return v;
}

static void write_dropin(struct generator *g, const char *unit, const struct verdict *v) {
        char dir[300], why[700], text[2048];
        snprintf(why, sizeof(why), "Generated by nonet-generator: %s", v->source);
        if (unit_dropin_format(&v->policy, g->user_scope, why, text, sizeof(text)) < 0)
                return;
        snprintf(dir, sizeof(dir), "%s.d", unit);
        if (mkdirat(g->out_fd, dir, 0755) < 0 && errno != EEXIST) {
                diag_say(&g->diag, DIAG_ERROR, "cannot create %s: %m", dir);
                g->failed = 1;
                return;
        }
        snprintf(dir, sizeof(dir), "%s.d/" DROPIN_NAME, unit);
        int fd = openat(g->out_fd, dir, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
        size_t len = strlen(text);
        if (fd < 0 || write(fd, text, len) != (ssize_t) len) {
                diag_say(&g->diag, DIAG_ERROR, "cannot write %s: %m", dir);
                g->failed = 1;
        }
        if (fd >= 0)
                close(fd);
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

static void decide(struct generator *g, const struct unit *u, const char *file, struct verdict *v) {
        struct unit_info info;
        char user[256];
        read_unit(g, u, file, &info);
        const struct verdict *uv = NULL;
        if (!g->user_scope && g->settings.services && info.user.set && expand_user(u, info.user.value, user, sizeof(user))) {
                uv = user_verdict(g, user);
                snprintf(info.user.value, sizeof(info.user.value), "%s", user); /* as the drop-in names it */
        }
        unit_decide(&info, uv, v, &g->diag);
}

static void generate(struct generator *g, const struct unit *u) {
        struct verdict v, tv;
        _cleanup_free_ char *tmpl = template_of(u->name);
        const struct unit *t = tmpl ? find_unit(g, tmpl) : NULL;

        if (u->masked || u->alias || !has_suffix(u->name, ".service"))
                return;
        if (!u->path) { /* an instance without a file of its own */
                if (!t || t->masked || !t->path)
                        return;
                decide(g, u, t->path, &v);
                decide(g, t, t->path, &tv);
                if (tv.restricted && !v.restricted)
                        diag_say(&g->diag, DIAG_WARNING, "%s: cannot turn on what %s turns off (%s), ignoring",
                                 u->name, t->name, v.source);
                if (!v.restricted || (tv.restricted && tv.policy.allow == v.policy.allow))
                        return; /* the template's drop-in covers it */
        } else
                decide(g, u, u->path, &v);
        if (v.restricted)
                write_dropin(g, u->name, &v);
}

static int search_path(struct generator *g, char **argv, int argc) {
        char **all = NULL;
        int r = sd_path_lookup_strv(g->user_scope ? SD_PATH_SYSTEMD_SEARCH_USER_UNIT : SD_PATH_SYSTEMD_SEARCH_SYSTEM_UNIT,
                                    NULL, &all);
        if (r < 0)
                return r;
        /* Not the generators' own output directories. */
        size_t n = 0;
        for (size_t i = 0; all[i]; i++) {
                bool ours = false;
                for (int a = 1; a < argc; a++)
                        ours = ours || strcmp(all[i], argv[a]) == 0;
                if (ours)
                        free(all[i]);
                else
                        all[n++] = all[i];
        }
        all[n] = NULL;
        g->search = all;
        return 0;
}

static void generator_free(struct generator *g) {
        for (size_t i = 0; i < g->n_units; i++) {
                free(g->units[i].name);
                free(g->units[i].path);
                free(g->units[i].alias);
        }
        for (char **s = g->search; s && *s; s++)
                free(*s);
        for (size_t i = 0; i < g->n_dropin_names; i++)
                free(g->dropin_names[i]);
        free(g->dropin_names);
        free(g->aliases);
        index_free(&g->by_name);
        index_free(&g->dropins);
        free(g->search);
        free(g->units);
        free(g->users);
        table_free(g->table);
        if (g->out_fd >= 0)
                close(g->out_fd);
}

int main(int argc, char **argv) {
        struct generator g = { .diag = { say, NULL }, .out_fd = -1 };
        struct nonet_paths paths;

        if (argc != 2 && argc != 4) {
                fprintf(stderr, "nonet-generator: takes one or three output directories (see systemd.generator(7))\n");
                return EXIT_FAILURE;
        }
        g.out_fd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (g.out_fd < 0) {
                fprintf(stderr, "nonet-generator: cannot open %s: %m\n", argv[1]);
                return EXIT_FAILURE;
        }
        /* PID 1 waits for its generators: nss-systemd must not ask it about dynamic users. */
        setenv("SYSTEMD_NSS_DYNAMIC_BYPASS", "1", 1);
        const char *scope = getenv("SYSTEMD_SCOPE");
        g.user_scope = scope && strcmp(scope, "user") == 0;
        nonet_paths_default(&paths);
        /* Settings or table unusable: every User= service is closed (g.table stays NULL). */
        if (settings_load(&paths, &g.settings, &g.diag) >= 0 && !g.user_scope)
                table_load(&paths, &g.table, &g.diag);
        if (search_path(&g, argv, argc) < 0) {
                fprintf(stderr, "nonet-generator: cannot find the unit search path\n");
                generator_free(&g);
                return EXIT_SUCCESS; /* nothing to do is no reason to fail the boot */
        }
        for (char **s = g.search; *s; s++)
                scan_dir(&g, *s);
        for (size_t i = 0; i < g.n_units; i++)
                generate(&g, &g.units[i]);
        int failed = g.failed;
        generator_free(&g);
        return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
