/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Site-wide settings, key=value, read with libeconf: nonet-settings.conf from
 * /etc/security (or the vendor directory when /etc has none) and drop-ins from
 * both nonet-settings.conf.d/ directories.
 */

#include <errno.h>
#include <libeconf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "files.h"
#include "util.h"

#define SETTINGS_NAME "nonet-settings"

/* libeconf keeps the last error's location in global state. */
static pthread_mutex_t econf_lock = PTHREAD_MUTEX_INITIALIZER;

struct trust_ctx {
        uid_t owner;
        const struct diag *d;
};

/* The table's rule: whoever can write the settings can turn off Landlock or the services rule. */
static bool file_trusted(const char *path, const void *data) {
        const struct trust_ctx *c = data;
        return trust_check(path, NULL, c->owner, c->d) >= 0;
}

/* Where each key of one file is set, from one pass over it: for messages, in linear time. */
struct key_line {
        char *key;
        unsigned line;
};

struct setting_ctx {
        const struct diag *d;
        const char *path;
        struct key_line *keys; /* of path, by key then line */
        size_t n_keys;
        int errors;
};

static int by_key_then_line(const void *a, const void *b) {
        const struct key_line *x = a, *y = b;
        int c = strcmp(x->key, y->key);
        return c != 0 ? c : x->line < y->line ? -1 : x->line > y->line;
}

static void keys_free(struct setting_ctx *c) {
        for (size_t i = 0; i < c->n_keys; i++)
                free(c->keys[i].key);
        free(c->keys);
        c->keys = NULL, c->n_keys = 0;
}

/* The line of the file where key is set last, for messages; 0 if not found. */
static unsigned line_of_key(const struct setting_ctx *c, const char *key) {
        size_t lo = 0, hi = c->n_keys;
        while (lo < hi) { /* the first entry past every one <= key */
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(c->keys[mid].key, key) <= 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        return lo > 0 && strcmp(c->keys[lo - 1].key, key) == 0 ? c->keys[lo - 1].line : 0;
}

static void bad_line(struct setting_ctx *c, unsigned line, const char *what, const char *text) {
        diag_say(c->d, DIAG_ERROR, "%s:%u: %s: '%.64s'", c->path, line, what, text);
        c->errors++;
}

/* One pass over a file libeconf has read: what it would pass over in silence (sections, lines
 * without '=', empty values) is an error here, and each key's line is kept. */
static int scan_file(struct setting_ctx *c) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, alloc = 0;
        unsigned line = 0;
        int r = 0;

        FILE *f = fopen(c->path, "re");
        if (!f)
                return 0; /* libeconf read it a moment ago; gone since, nothing to point at */
        while (r >= 0 && getline(&buf, &size, f) >= 0) {
                line++;
                buf[strcspn(buf, "\r\n")] = '\0';
                char *p = buf + strspn(buf, " \t");
                if (*p == '\0' || *p == '#')
                        continue;
                char *eq = strchr(p, '=');
                if (*p == '[') {
                        bad_line(c, line, "sections are not used here: put the keys at the top, without a header", p);
                        continue;
                }
                if (!eq) {
                        bad_line(c, line, "expected Key=Value", p);
                        continue;
                }
                size_t klen = strcspn(p, " \t=");
                if (eq[1 + strspn(eq + 1, " \t")] == '\0')
                        bad_line(c, line, "a key without a value (write Key=Value)", p);
                if (c->n_keys == alloc) {
                        alloc = alloc ? alloc * 2 : 16;
                        struct key_line *k = realloc(c->keys, alloc * sizeof(*k));
                        if (!k) {
                                r = -ENOMEM;
                                break;
                        }
                        c->keys = k;
                }
                if (!(c->keys[c->n_keys].key = strndup(p, klen))) {
                        r = -ENOMEM;
                        break;
                }
                c->keys[c->n_keys++].line = line;
        }
        fclose(f);
        if (c->n_keys > 1)
                qsort(c->keys, c->n_keys, sizeof(*c->keys), by_key_then_line);
        return r;
}

static void bad_value(struct setting_ctx *c, const char *key, const char *value, const char *hint) {
        diag_say(c->d, DIAG_ERROR, "%s:%u: invalid %s=%.64s (%s)", c->path, line_of_key(c, key), key, value, hint);
        c->errors++;
}

static void apply_key(struct setting_ctx *c, econf_file *kf, const char *key, struct settings *s) {
        _cleanup_free_ char *value = NULL;
        int r;

        if (econf_getStringValue(kf, NULL, key, &value) != ECONF_SUCCESS || !value || !*value)
                return; /* scan_file() has said so */
        if (strcmp(key, "Errno") == 0) {
                r = nonet_errno_from_name(value);
                if (r < 0)
                        return bad_value(c, key, value, "use eafnosupport or eperm");
                s->error = r;
        } else if (strcmp(key, "Landlock") == 0) {
                r = nonet_landlock_from_name(value);
                if (r < 0)
                        return bad_value(c, key, value, "use auto, require or off");
                s->landlock = (enum nonet_landlock) r;
        } else if (strcmp(key, "Unix") == 0) {
                r = nonet_unix_from_name(value);
                /* listed needs paths, which no key of the settings gives */
                if (r < 0 || r == NONET_UNIX_LISTED)
                        return bad_value(c, key, value, "use all or no-abstract; listed is for nonet-exec --unix-path");
                s->unix_reach = (enum nonet_unix) r;
        } else if (strcmp(key, "Brokers") == 0) {
                r = nonet_brokers_from_name(value);
                if (r < 0)
                        return bad_value(c, key, value, "use open or closed");
                s->brokers = (enum nonet_brokers) r;
        } else if (strcmp(key, "Services") == 0 || strcmp(key, "Log") == 0) {
                bool b;
                if (econf_getBoolValue(kf, NULL, key, &b) != ECONF_SUCCESS)
                        return bad_value(c, key, value, "use yes or no");
                if (strcmp(key, "Log") == 0)
                        s->log = b;
                else
                        s->services = b;
        } else
                diag_say(c->d, DIAG_WARNING, "%s:%u: unknown setting '%.64s', ignoring it", c->path,
                         line_of_key(c, key), key);
}

static void apply_file(struct setting_ctx *c, econf_file *kf, struct settings *s) {
        char **keys = NULL;
        size_t n = 0;

        c->path = econf_getPath(kf);
        if (c->path)
                diag_say(c->d, DIAG_DEBUG, "read %s", c->path);
        if (c->path && scan_file(c) < 0) {
                diag_say(c->d, DIAG_ERROR, "%s: out of memory", c->path);
                c->errors++;
        }
        if (econf_getKeys(kf, NULL, &n, &keys) == ECONF_SUCCESS)
                for (size_t i = 0; i < n; i++)
                        apply_key(c, kf, keys[i], s);
        econf_freeArray(keys);
        keys_free(c);
        free((char *) c->path);
        c->path = NULL;
}

static int read_files(const struct admin_paths *paths, econf_file ***ret, size_t *ret_n, const struct diag *d) {
        struct trust_ctx trust = { paths->owner, d };
        econf_err e;
        if (paths->settings) { /* one file, as given */
                econf_file *kf = NULL, **one = malloc(sizeof(*one));
                if (!one)
                        return -ENOMEM;
                e = econf_readFileWithCallback(&kf, paths->settings, "=", "#", file_trusted, &trust);
                if (e == ECONF_SUCCESS)
                        one[0] = kf, *ret = one, *ret_n = 1;
                else
                        free(one);
                if (e == ECONF_NOFILE || e == ECONF_FILE_LIST_IS_NULL) {
                        diag_say(d, DIAG_ERROR, "%s: cannot open: %s", paths->settings, strerror(ENOENT));
                        return -ENOENT;
                }
        } else
                e = econf_readDirsHistoryWithCallback(ret, ret_n, paths->vendor_dir, paths->etc_dir, SETTINGS_NAME,
                                                      "conf", "=", "#", file_trusted, &trust);
        if (e == ECONF_SUCCESS || e == ECONF_NOFILE)
                return 0;

        char *where = NULL;
        uint64_t line = 0;
        econf_errLocation(&where, &line);
        if (e != ECONF_PARSING_CALLBACK_FAILED) /* that one, trust_check() has said why */
                diag_say(d, DIAG_ERROR, "%s:%llu: %s", where ? where : SETTINGS_NAME ".conf",
                         (unsigned long long) line, econf_errString(e));
        free(where);
        return e == ECONF_PARSING_CALLBACK_FAILED ? -EPERM : -EINVAL;
}

/* One "KEY value" of login.defs, as shadow reads it (decimal, octal or hex). */
static int login_defs_value(const char *path, unsigned line, const char *value, uid_t *ret, const struct diag *d) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(value, &end, 0);
        end += strspn(end, " \t\r\n");
        if (errno != 0 || end == value || *end != '\0' || v > 4294967294UL) {
                diag_say(d, DIAG_ERROR, "%s:%u: invalid uid '%.32s'", path, line, value);
                return -EINVAL;
        }
        *ret = (uid_t) v;
        return 0;
}

/* UID_MIN and UID_MAX: who is a login account. Missing: shadow's defaults. Unreadable,
 * untrusted or bad: an error, since a default in place of a site's UID_MIN could let
 * its login accounts out of '*'. */
static int read_login_defs(const struct admin_paths *paths, struct settings *s, const struct diag *d) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        unsigned line = 0;
        int r = 0;

        if (!paths->login_defs)
                return 0;
        FILE *f = fopen(paths->login_defs, "re");
        if (!f) {
                if (errno == ENOENT)
                        return 0;
                r = negative_errno();
                diag_say(d, DIAG_ERROR, "%s: cannot read: %s", paths->login_defs, strerrordesc_np(-r));
                return r;
        }
        if (trust_check(paths->login_defs, NULL, paths->owner, d) < 0)
                r = -EPERM;
        while (r >= 0 && getline(&buf, &size, f) >= 0) {
                const char *p = buf + strspn(buf, " \t");
                line++;
                if (strncmp(p, "UID_MIN", 7) == 0 && strchr(" \t", p[7]))
                        r = login_defs_value(paths->login_defs, line, p + 7 + strspn(p + 7, " \t"), &s->login_min, d);
                else if (strncmp(p, "UID_MAX", 7) == 0 && strchr(" \t", p[7]))
                        r = login_defs_value(paths->login_defs, line, p + 7 + strspn(p + 7, " \t"), &s->login_max, d);
        }
        fclose(f);
        if (r >= 0 && s->login_min > s->login_max) {
                diag_say(d, DIAG_ERROR, "%s: UID_MIN %u is above UID_MAX %u", paths->login_defs,
                         (unsigned) s->login_min, (unsigned) s->login_max);
                r = -EINVAL;
        }
        return r;
}

/* Whether any settings file or drop-in directory exists: most systems have none, and then
 * libeconf (which crashes when an allocation fails, in 0.5.1) is not called at all. */
static bool any_settings(const struct admin_paths *paths) {
        const char *dirs[] = { paths->etc_dir, paths->vendor_dir };
        char path[4096];
        if (paths->settings)
                return true;
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                snprintf(path, sizeof(path), "%s/" SETTINGS_NAME ".conf", dirs[i]);
                if (access(path, F_OK) == 0 || errno != ENOENT)
                        return true;
                snprintf(path, sizeof(path), "%s/" SETTINGS_NAME ".conf.d", dirs[i]);
                if (access(path, F_OK) == 0 || errno != ENOENT)
                        return true;
        }
        return false;
}

int settings_load(const struct admin_paths *paths, struct settings *ret, const struct diag *d) {
        struct setting_ctx c = { .d = d };
        econf_file **files = NULL;
        size_t n = 0;

        *ret = (struct settings) SETTINGS_DEFAULT;
        int r = read_login_defs(paths, ret, d);
        if (r < 0) {
                *ret = (struct settings) SETTINGS_DEFAULT;
                return r;
        }
        if (!any_settings(paths))
                return 0;

        pthread_mutex_lock(&econf_lock);
        r = read_files(paths, &files, &n, d);
        pthread_mutex_unlock(&econf_lock);
        if (r < 0)
                return r;
        /* libeconf 0.5.1 calls file_trusted() for the main files only, not for drop-ins:
         * every file it read is checked here, and an untrusted one spoils them all. */
        for (size_t i = 0; i < n && r >= 0; i++) {
                _cleanup_free_ char *path = econf_getPath(files[i]);
                if (!path || trust_check(path, NULL, paths->owner, d) < 0)
                        r = -EPERM;
        }
        /* In the order libeconf gives them: the main file, then drop-ins; later wins. */
        for (size_t i = 0; i < n; i++) {
                if (r >= 0)
                        apply_file(&c, files[i], ret);
                econf_freeFile(files[i]);
        }
        free(files);
        if (r < 0) {
                uid_t login_min = ret->login_min, login_max = ret->login_max;
                *ret = (struct settings) SETTINGS_DEFAULT;
                ret->login_min = login_min, ret->login_max = login_max;
                return r;
        }
        /* The policy's own rules say which combinations hold: the settings ask them too. */
        struct nonet_policy p, normalized;
        struct nonet_result why = { .failed = NONET_LAYER_POLICY };
        settings_policy(ret, 0, &p);
        if (policy_normalize(&p, &normalized, &why.conflict) < 0) {
                char text[256];
                nonet_describe_failure_sized(-EINVAL, &why, sizeof(why), text, sizeof(text));
                if (why.conflict == NONET_CONFLICT_BROKERS_WITHOUT_LANDLOCK)
                        diag_say(d, DIAG_ERROR, SETTINGS_NAME ": Brokers=closed with Landlock=off: %s: change one of "
                                 "them", text);
                else
                        diag_say(d, DIAG_ERROR, SETTINGS_NAME ": Unix=%s with Landlock=%s: %s: change one of them",
                                 nonet_unix_to_name(ret->unix_reach), nonet_landlock_to_name(ret->landlock), text);
                ret->landlock = NONET_LANDLOCK_AUTO; /* the stricter stays */
                c.errors++;
        }
        return c.errors > 0 ? -EINVAL : 0;
}
