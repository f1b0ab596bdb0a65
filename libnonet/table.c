/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The table: "<domain> <type> <item> <value>" lines, as limits.conf.
 * /etc/security/nonet.conf (or the vendor copy when /etc has none), then
 * nonet.d/ *.conf from /etc and the vendor directory in C-locale order, an
 * /etc drop-in masking a vendor one of the same name.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "admin.h"
#include "files.h"
#include "util.h"

#define UID_VALID_MAX 4294967294UL /* (uid_t) -1 is no uid */

/* Precedence as pam_limits: user or uid beats group or gid beats '*'. */
enum rank { RANK_ALL, RANK_GROUP, RANK_USER };

struct rule {
        enum domain_kind kind;
        const char *name;    /* DOMAIN_USER, DOMAIN_GROUP: in the file's buffer */
        uint32_t min, max;   /* DOMAIN_UID, DOMAIN_GID, inclusive */
        bool range;          /* min:max, min: (a range of gids matches the primary group only) */
        bool broken;         /* the line is bad but names this domain: fail closed for it */
        bool exempt;         /* "on" */
        bool dry_run;        /* "log": refuse nothing, log what would be refused */
        uint64_t allow;      /* "off" or a family list */
        unsigned file, line; /* where it was written */
};

struct table {
        struct rule *rules;
        size_t n_rules, n_alloc;
        bool closed;    /* unusable: every login account and every account a line names is off */
        char why[256];  /* why it is closed */
        char **files;   /* names */
        char **buffers; /* contents, which the rules point into */
        size_t n_files;
};

/* Control characters of a file's bytes, escaped: a message never carries them raw into a
 * terminal or a log. */
static void escape_controls(const char *in, char *out, size_t size) {
        size_t o = 0;
        for (const unsigned char *p = (const unsigned char *) in; *p && o + 5 < size; p++)
                if (*p < 0x20 || *p == 0x7f)
                        o += (size_t) snprintf(out + o, size - o, "\\x%02x", *p);
                else
                        out[o++] = (char) *p;
        out[o] = '\0';
}

void diag_say(const struct diag *d, enum diag_level level, const char *fmt, ...) {
        char buf[1024], clean[1024];
        va_list ap;

        if (!d || !d->fn)
                return;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        escape_controls(buf, clean, sizeof(clean));
        d->fn(d->userdata, level, clean);
}

void table_free(struct table *t) {
        if (!t)
                return;
        for (size_t i = 0; i < t->n_files; i++) {
                free(t->files[i]);
                free(t->buffers[i]);
        }
        free(t->rules);
        free(t->files);
        free(t->buffers);
        free(t);
}

size_t table_size(const struct table *t) {
        return t->n_rules;
}

/* A decimal id, 0..4294967294. */
static int parse_id(const char *s, size_t len, uint32_t *ret) {
        uint64_t v = 0;
        if (len == 0 || len > 10)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (uint64_t) (s[i] - '0');
        }
        if (v > UID_VALID_MAX)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

/* "min:max", ":id" (exactly id), "min:" (min and above). */
static int parse_range(const char *s, struct rule *r) {
        const char *colon = strchr(s, ':');
        size_t left = (size_t) (colon - s);
        const char *right = colon + 1;

        r->min = 0, r->max = UID_VALID_MAX;
        if (left == 0 && *right == '\0')
                return -EINVAL;
        if (left == 0)
                return parse_id(right, strlen(right), &r->min) < 0 ? -EINVAL : (r->max = r->min, 0);
        if (parse_id(s, left, &r->min) < 0)
                return -EINVAL;
        r->range = true;
        if (*right != '\0' && parse_id(right, strlen(right), &r->max) < 0)
                return -EINVAL;
        return r->min <= r->max ? 0 : -EINVAL;
}

static int parse_domain(const char *s, struct rule *r) {
        bool group = s[0] == '@';
        const char *body = group ? s + 1 : s;

        if (strcmp(s, "*") == 0) {
                r->kind = DOMAIN_ALL;
                return 0;
        }
        if (*body == '\0')
                return -EINVAL;
        if (strchr(body, ':')) {
                r->kind = group ? DOMAIN_GID : DOMAIN_UID;
                return parse_range(body, r);
        }
        r->kind = group ? DOMAIN_GROUP : DOMAIN_USER;
        r->name = body;
        return 0;
}

struct line_ctx {
        const struct diag *d;
        const char *path;
        unsigned line;
};

/* Say what is wrong with a line, at file:line; -EINVAL. */
static int bad_line(const struct line_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_line(const struct line_ctx *c, const char *fmt, ...) {
        char what[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(what, sizeof(what), fmt, ap);
        va_end(ap);
        diag_say(c->d, DIAG_ERROR, "%s:%u: %s", c->path, c->line, what);
        return -EINVAL;
}

/* Type, item and value of a line whose domain parsed. */
static int parse_limit(const struct line_ctx *c, char **f, struct rule *r) {
        char bad[40];

        if (strcmp(f[1], "soft") == 0)
                return bad_line(c, "'soft' network limit: a restricted process could never raise it back; "
                                   "use 'hard' or '-'");
        if (strcmp(f[1], "hard") != 0 && strcmp(f[1], "-") != 0)
                return bad_line(c, "unknown type '%.32s' (use 'hard' or '-')", f[1]);
        if (strcmp(f[2], "network") != 0)
                return bad_line(c, "unknown item '%.32s' (the only item is 'network')", f[2]);
        if (strcmp(f[3], "on") == 0) {
                r->exempt = true;
                return 0;
        }
        r->allow = UINT64_C(1) << AF_UNIX;
        if (strcmp(f[3], "off") == 0)
                return 0;
        if (strcmp(f[3], "log") == 0) {
                r->dry_run = true;
                return 0;
        }
        uint64_t set;
        /* the same hint as --allow's, for the same mistake */
        if (nonet_families_parse(f[3], &set, bad, sizeof(bad)) < 0) {
                if (strchr(f[3], ','))
                        return bad_line(c, "unknown address family '%.32s' in '%.64s' (try inet, inet6, netlink or a "
                                           "number)",
                                        bad, f[3]);
                return bad_line(c, "unknown value '%.32s': not off, on or log, nor an address family to keep (try "
                                   "inet, inet6, netlink or a number)",
                                bad);
        }
        r->allow |= set;
        return 0;
}

static int add_rule(struct table *t, const struct rule *r) {
        if (t->n_rules == t->n_alloc) {
                size_t n = t->n_alloc ? t->n_alloc * 2 : 64;
                struct rule *p = realloc(t->rules, n * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                t->rules = p, t->n_alloc = n;
        }
        t->rules[t->n_rules++] = *r;
        return 0;
}

static bool blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Split s in place on blanks; the number of fields (the first max are kept). */
static size_t split_fields(char *s, char **f, size_t max) {
        size_t n = 0;
        for (;;) {
                while (blank(*s))
                        s++;
                if (*s == '\0')
                        return n;
                if (n < max)
                        f[n] = s;
                n++;
                while (*s && !blank(*s))
                        s++;
                if (*s == '\0')
                        return n;
                *s++ = '\0';
        }
}

/* One line. A bad line is reported and skipped; if its domain parses, it stays as a closed rule. */
static int parse_line(struct table *t, const struct line_ctx *c, char *s, size_t len) {
        struct rule r = { .file = (unsigned) (t->n_files - 1), .line = c->line };
        char *f[4];
        int e;

        if (memchr(s, '\0', len))
                return bad_line(c, "line contains a NUL byte, ignoring it");
        char *hash = memchr(s, '#', len);
        if (hash)
                *hash = '\0';
        size_t n = split_fields(s, f, 4);
        if (n == 0)
                return 0;
        e = parse_domain(f[0], &r);
        if (e < 0)
                return bad_line(c, "invalid domain '%.32s' (use user, @group, *, uid:uid or @gid:gid)", f[0]);
        if (n != 4)
                e = bad_line(c, "expected '<domain> <type> <item> <value>', got %zu fields", n);
        else
                e = parse_limit(c, f, &r);
        if (e < 0) {
                r.broken = true;
                r.exempt = false;
                r.allow = UINT64_C(1) << AF_UNIX;
        }
        if (add_rule(t, &r) < 0)
                return -ENOMEM; /* not a bad line: the table cannot be read */
        return e;
}

/* Take buf (size bytes and a NUL), which the table keeps, as the file path, and parse it. */
static int parse_owned(struct table *t, const struct diag *d, const char *path, char *buf, size_t size) {
        struct line_ctx c = { .d = d, .path = path };
        char **files = realloc(t->files, (t->n_files + 1) * sizeof(char *));
        char **buffers = files ? realloc(t->buffers, (t->n_files + 1) * sizeof(char *)) : NULL;
        char *name = buffers ? strdup(path) : NULL;

        if (files)
                t->files = files;
        if (buffers)
                t->buffers = buffers;
        if (!name) {
                free(buf);
                return -ENOMEM;
        }
        t->files[t->n_files] = name;
        t->buffers[t->n_files++] = buf;
        char *start = buf;
        if (size >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
                diag_say(d, DIAG_WARNING, "%s:1: a UTF-8 byte order mark before the first line, ignoring it", path);
                start += 3;
        }
        for (char *line = start, *end = buf + size; line < end;) {
                char *nl = memchr(line, '\n', (size_t) (end - line));
                size_t len = nl ? (size_t) (nl - line) : (size_t) (end - line);
                line[len] = '\0';
                c.line++;
                if (parse_line(t, &c, line, len) == -ENOMEM)
                        return -ENOMEM;
                line += len + 1;
        }
        return 0;
}

int table_parse_buffer(const char *name, const char *data, size_t size, struct table **ret, const struct diag *d) {
        struct table *t = calloc(1, sizeof(*t));
        char *buf = malloc(size + 1);
        int r = -ENOMEM;

        if (t && buf) {
                memcpy(buf, data, size);
                buf[size] = '\0';
                r = parse_owned(t, d, name, steal_pointer(&buf), size);
        }
        free(buf);
        if (r < 0) {
                table_free(t);
                return r;
        }
        *ret = t;
        return 0;
}

/* All of an open file, NUL-terminated. */
static int read_all(int fd, char **ret, size_t *ret_size, size_t hint) {
        size_t size = 0, cap = hint + 1 > 4096 ? hint + 1 : 4096;
        char *buf = malloc(cap);
        for (;;) {
                if (!buf)
                        return -ENOMEM;
                ssize_t n = read(fd, buf + size, cap - size - 1);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        int e = negative_errno();
                        free(buf);
                        return e;
                }
                if (n == 0)
                        break;
                size += (size_t) n;
                if (size + 1 == cap) {
                        char *p = realloc(buf, cap *= 2);
                        if (!p)
                                free(buf);
                        buf = p;
                }
        }
        buf[size] = '\0';
        *ret = buf, *ret_size = size;
        return 0;
}

enum presence { MAY_BE_MISSING, MUST_EXIST };

/* Open, check and parse one file. A missing file may be no error; a directory is skipped. */
static int load_file(struct table *t, const struct diag *d, uid_t owner, const char *path, enum presence presence) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;

        if (fd < 0) {
                if (errno == ENOENT && presence == MAY_BE_MISSING)
                        return 0;
                int e = negative_errno();
                struct stat lst;
                bool dangling = e == -ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
                diag_say(d, DIAG_ERROR, "%s: cannot open: %s", path,
                         dangling ? "a symbolic link to nothing" : strerrordesc_np(-e));
                return e;
        }
        if (fstat(fd, &st) < 0) {
                int e = negative_errno();
                diag_say(d, DIAG_ERROR, "%s: cannot stat: %s", path, strerrordesc_np(-e));
                return e;
        }
        if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
                return 0; /* a link to /dev/null masks a file, as in systemd */
        /* an untrusted file's lines are read all the same: the table is closed, and the accounts
         * they name are off with every login account */
        bool trusted = trust_check(path, &st, owner, d) >= 0;
        if (!S_ISREG(st.st_mode)) {
                diag_say(d, DIAG_ERROR, "%s is %s, not a table", path, S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
                return -EINVAL;
        }
        char *buf;
        size_t size;
        int r = read_all(fd, &buf, &size, (size_t) st.st_size);
        if (r < 0) {
                diag_say(d, DIAG_ERROR, "%s: read error: %s", path, strerrordesc_np(-r));
                return r;
        }
        diag_say(d, DIAG_DEBUG, "read %s", path);
        r = parse_owned(t, d, path, buf, size);
        return r < 0 || trusted ? r : -EPERM;
}

static bool is_dir(const char *path) {
        struct stat st;
        return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* nonet.d/ *.conf of /etc, then of the vendor directory: the same name in /etc masks the vendor's. */
static int load_dropins(struct table *t, const struct admin_paths *paths, const struct diag *d) {
        _cleanup_free_ char *etc = NULL, *vendor = NULL;
        struct dropin_list list = { 0 };
        int r = 0;

        if (asprintf(&etc, "%s/nonet.d", paths->etc_dir) < 0 || asprintf(&vendor, "%s/nonet.d", paths->vendor_dir) < 0)
                return -ENOMEM;
        int untrusted = access(etc, F_OK) == 0 && trust_check(etc, NULL, paths->owner, d) < 0 ? -EPERM : 0;
        const char *dirs[] = { etc, vendor };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
                struct stat st;
                if (lstat(dirs[i], &st) == 0 && !S_ISDIR(st.st_mode) && !(S_ISLNK(st.st_mode) && is_dir(dirs[i]))) {
                        diag_say(d, DIAG_ERROR, "%s is not a directory: its rules would be ignored", dirs[i]);
                        return -ENOTDIR;
                }
        }
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(dirs); i++) {
                r = dropins_add_dir(&list, dirs[i]);
                if (r < 0 && r != -ENOMEM)
                        diag_say(d, DIAG_ERROR, "%s: cannot open: %s", dirs[i], strerrordesc_np(-r));
        }
        if (r >= 0)
                dropins_sort(&list);
        /* every readable line is read, so that a closed table knows whom its lines name */
        for (size_t i = 0; r != -ENOMEM && i < list.n; i++) {
                int e = load_file(t, d, paths->owner, list.items[i].path, MUST_EXIST);
                r = r < 0 ? r : e;
        }
        dropins_free(&list);
        return r < 0 ? r : untrusted;
}

/* The value of a line, as written. */
static void value_text(const struct rule *r, char *buf, size_t size) {
        if (r->exempt)
                snprintf(buf, size, "on");
        else if (r->dry_run)
                snprintf(buf, size, "log");
        else if (r->allow == (UINT64_C(1) << AF_UNIX))
                snprintf(buf, size, "off");
        else if (nonet_families_format(r->allow, buf, size) < 0)
                snprintf(buf, size, "?");
}

/* Lines of the same domain together, in the order written. */
static int by_domain(const void *a, const void *b, void *table) {
        const struct table *t = table;
        const struct rule *x = &t->rules[*(const size_t *) a], *y = &t->rules[*(const size_t *) b];
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        int c = x->name && y->name ? strcmp(x->name, y->name) : 0;
        if (c != 0)
                return c;
        if (x->min != y->min || x->max != y->max || x->range != y->range)
                return x->min != y->min ? (x->min < y->min ? -1 : 1) : x->max != y->max ? (x->max < y->max ? -1 : 1)
                                                                                        : (x->range ? 1 : -1);
        return *(const size_t *) a < *(const size_t *) b ? -1 : 1;
}

static bool same_domain(const struct rule *x, const struct rule *y) {
        return x->kind == y->kind && (!x->name || strcmp(x->name, y->name) == 0) && x->min == y->min &&
               x->max == y->max && x->range == y->range;
}

static bool same_value(const struct rule *x, const struct rule *y) {
        return x->exempt == y->exempt && x->dry_run == y->dry_run && x->allow == y->allow;
}

#define LINT_NSS_MAX 200 /* names looked up at most (a lookup costs about 0.2 ms): a huge table is checked for the rest alone */

/* A name NSS does not know: a group's name where a user's is written (the '@' forgotten) is an
 * error (1), and so is a name NSS cannot answer for now (-1), since the decision then errs toward
 * off. */
static int lint_name(const struct table *t, const struct rule *r, const struct diag *d) {
        const char *where = t->files[r->file];
        bool group = r->kind == DOMAIN_GROUP;
        int known = group ? group_known(r->name) : user_known(r->name);

        if (known > 0)
                return 0;
        if (known < 0) {
                diag_say(d, DIAG_ERROR, "%s:%u: NSS cannot answer for %s '%.64s' now (%s): until it can, %s", where,
                         r->line, group ? "group" : "user", r->name, strerrordesc_np(-known),
                         group ? "the line is read the way that restricts more for every login account"
                               : "that user's network is off");
                return -1;
        }
        if (!group && group_known(r->name) > 0) {
                diag_say(d, DIAG_ERROR, "%s:%u: '%.64s' is no user but a group: did you mean @%.64s?", where, r->line,
                         r->name, r->name);
                return 1;
        }
        if (group && user_known(r->name) > 0)
                diag_say(d, DIAG_WARNING, "%s:%u: there is no group '%.64s', but a user: did you mean %.64s?", where,
                         r->line, r->name, r->name);
        else
                diag_say(d, DIAG_WARNING, "%s:%u: there is no %s '%.64s'", where, r->line, group ? "group" : "user",
                         r->name);
        return 0;
}

/* The lines sorted by domain find each line's earlier twin; the findings are then said in the
 * order of the files and their lines, as a reader goes through them. */
int table_lint(const struct table *t, const struct diag *d) {
        size_t n = t->n_rules ? t->n_rules : 1;
        _cleanup_free_ size_t *order = malloc(n * sizeof(*order)), *twin = malloc(n * sizeof(*twin));
        size_t looked_up = 0;
        bool nss_silent = false; /* a directory down or hung: each further name would wait as long */
        int errors = 0;
        char now[256], then[256];

        if (!order || !twin)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_rules; i++)
                order[i] = i;
        qsort_r(order, t->n_rules, sizeof(*order), by_domain, (void *) t);
        for (size_t k = 0; k < t->n_rules; k++) {
                const struct rule *r = &t->rules[order[k]], *prev = k > 0 ? &t->rules[order[k - 1]] : NULL;
                twin[order[k]] = prev && !prev->broken && !r->broken && same_domain(prev, r) ? order[k - 1] : SIZE_MAX;
        }
        for (size_t i = 0; i < t->n_rules; i++) {
                const struct rule *r = &t->rules[i];
                if (r->broken)
                        continue;
                if (twin[i] != SIZE_MAX) {
                        const struct rule *prev = &t->rules[twin[i]];
                        value_text(r, now, sizeof(now));
                        value_text(prev, then, sizeof(then));
                        if (same_value(prev, r))
                                diag_say(d, DIAG_WARNING, "%s:%u: the same line as %s:%u", t->files[r->file], r->line,
                                         t->files[prev->file], prev->line);
                        else
                                diag_say(d, DIAG_WARNING, "%s:%u: says %s where %s:%u says %s for the same domain: "
                                                          "the later line wins (%s)",
                                         t->files[r->file], r->line, now, t->files[prev->file], prev->line, then, now);
                        continue;
                }
                if ((r->kind == DOMAIN_USER || r->kind == DOMAIN_GROUP) && !nss_silent && looked_up++ < LINT_NSS_MAX) {
                        int e = lint_name(t, r, d);
                        nss_silent = e < 0;
                        errors += e != 0;
                }
        }
        if (nss_silent)
                diag_say(d, DIAG_WARNING, "the names after it were not looked up: run --check-config again once NSS "
                                          "answers");
        else if (looked_up > LINT_NSS_MAX)
                diag_say(d, DIAG_WARNING, "%zu names in the table: only the first %d were looked up", looked_up,
                         LINT_NSS_MAX);
        return errors;
}

size_t table_files(const struct table *t, const char *const **ret) {
        *ret = (const char *const *) t->files;
        return t->n_files;
}

void table_close(struct table *t, const char *why) {
        t->closed = true;
        snprintf(t->why, sizeof(t->why), "%s", why);
}

bool table_line(const struct table *t, size_t i, struct table_line *ret) {
        if (i >= t->n_rules)
                return false;
        const struct rule *r = &t->rules[i];
        *ret = (struct table_line) { .kind = r->kind, .name = r->name, .min = r->min, .max = r->max,
                                     .range = r->range, .broken = r->broken, .exempt = r->exempt,
                                     .dry_run = r->dry_run, .allow = r->allow, .file = t->files[r->file],
                                     .line = r->line };
        return true;
}

bool table_is_closed(const struct table *t) {
        return t->closed;
}

int table_load(const struct admin_paths *paths, struct table **ret, const struct diag *d) {
        char main_etc[4096], main_vendor[4096];
        struct table *t = calloc(1, sizeof(*t));
        struct stat st;
        int r;

        if (!t)
                return -ENOMEM;
        snprintf(main_etc, sizeof(main_etc), "%s/nonet.conf", paths->etc_dir);
        snprintf(main_vendor, sizeof(main_vendor), "%s/nonet.conf", paths->vendor_dir);
        /* /etc's copy exists even as a link to nothing: then it must be read, not the vendor's */
        if (paths->table)
                r = load_file(t, d, paths->owner, paths->table, MUST_EXIST);
        else if (lstat(main_etc, &st) == 0 || errno != ENOENT)
                r = load_file(t, d, paths->owner, main_etc, MUST_EXIST);
        else
                r = load_file(t, d, paths->owner, main_vendor, MAY_BE_MISSING);
        if (r != -ENOMEM) {
                int e = load_dropins(t, paths, d);
                r = r < 0 ? r : e;
        }
        if (r == -ENOMEM) {
                table_free(t);
                return r;
        }
        if (r < 0)
                table_close(t, "the table cannot be used");
        *ret = t;
        return r;
}

/* UID_MIN..UID_MAX (login.defs): the people, not the machine's own daemons, nor root. */
static bool login_account(const struct account *u, const struct settings *s) {
        return u->uid != 0 && u->uid >= s->login_min && u->uid <= s->login_max;
}

/*
 * Whether a rule names this user, and at which rank; -1 if not. Unlike pam_limits, '*'
 * and uid or gid ranges match login accounts only: a network switch on every system
 * account would cut the machine's own daemons (networkd, timesyncd...). A system account
 * is restricted when a line names it: its name, its exact :uid, a group it is in. As in
 * pam_limits, group lines do not apply to root: only a line naming root or :0 does.
 */
static int rule_rank(const struct rule *r, const struct account *u, const struct settings *s) {
        switch (r->kind) {
        case DOMAIN_ALL:
                return login_account(u, s) ? RANK_ALL : -1;
        case DOMAIN_USER:
                return strcmp(r->name, u->name) == 0 ? RANK_USER : -1;
        case DOMAIN_UID:
                if (r->range && !login_account(u, s))
                        return -1;
                return u->uid >= r->min && u->uid <= r->max ? RANK_USER : -1;
        case DOMAIN_GROUP: /* where NSS cannot answer for the group: decide_unanswered() */
                return u->uid != 0 && account_in_group(u, r->name) > 0 ? RANK_GROUP : -1;
        case DOMAIN_GID: {
                if (u->uid == 0)
                        return -1;
                if (r->range) /* as pam_limits: ranges look at the primary group only */
                        return login_account(u, s) && u->gid >= r->min && u->gid <= r->max ? RANK_GROUP : -1;
                int in = account_has_gid(u, r->min);
                return in > 0 || (in < 0 && !r->exempt) ? RANK_GROUP : -1; /* unknown: the stricter way */
        }
        }
        return -1;
}

void settings_policy(const struct settings *s, uint64_t allow, struct nonet_policy *ret) {
        policy_init(ret);
        ret->allow |= allow;
        ret->error = s->error;
        ret->landlock = s->landlock;
        ret->unix_reach = s->unix_reach;
        ret->brokers = s->brokers;
        ret->refusals = s->log ? NONET_REFUSE_AND_LOG : NONET_REFUSE;
}

void verdict_fail_closed(const struct settings *s, const char *why, struct verdict *ret) {
        ret->restricted = true;
        settings_policy(s, 0, &ret->policy);
        snprintf(ret->source, sizeof(ret->source), "%s", why);
        ret->bus_policy = 0;
}

/* Closed: as if the table said '* hard network off', and off for every account a line names
 * (whatever the line says: it cannot be trusted). Nobody else: not root, not the machine's own
 * daemons. */
static void decide_closed(const struct table *t, const struct account *u, const struct settings *s,
                          struct verdict *ret) {
        const struct rule *named = NULL;
        for (size_t i = 0; i < t->n_rules && !named; i++)
                if (t->rules[i].kind != DOMAIN_ALL && rule_rank(&t->rules[i], u, s) >= 0)
                        named = &t->rules[i];
        *ret = (struct verdict) { 0 };
        if (!named && !login_account(u, s)) {
                snprintf(ret->source, sizeof(ret->source), "%s, but it turns off only login accounts and the "
                                                           "accounts its lines name", t->why);
                return;
        }
        char why[sizeof(ret->source)];
        if (named)
                snprintf(why, sizeof(why), "%s: network off for the accounts its lines name (%s:%u)", t->why,
                         t->files[named->file], named->line);
        else
                snprintf(why, sizeof(why), "%s: network off for every login account", t->why);
        verdict_fail_closed(s, why, ret);
}

/* Whether line r leaves less network than cur, the line that decides otherwise (NULL: none). */
static bool restricts_more(const struct rule *r, const struct rule *cur) {
        if (r->exempt)
                return false;
        if (!cur || cur->exempt)
                return true;
        if (r->dry_run != cur->dry_run)
                return cur->dry_run;
        return (r->allow & ~cur->allow) == 0 && r->allow != cur->allow;
}

/*
 * The lines naming a group NSS cannot answer for (a directory down or hung), where no user line
 * decides: each is read the way that restricts more, for login accounts, as '*' is. A line that
 * leaves less network than the one deciding otherwise matches; an exemption never does. The
 * machine's own daemons and root keep what the table gives them without those groups.
 */
static void decide_unanswered(const struct table *t, const struct account *u, const struct settings *s,
                              const struct rule **best, const struct rule **broken, struct verdict *ret) {
        for (size_t i = 0; i < t->n_rules && u->uid != 0 && login_account(u, s); i++) {
                const struct rule *r = &t->rules[i];
                int in = r->kind == DOMAIN_GROUP ? account_in_group(u, r->name) : 0; /* asked already */
                if (in >= 0)
                        continue;
                if (!ret->nss_errno) {
                        ret->nss_errno = -in;
                        snprintf(ret->nss_group, sizeof(ret->nss_group), "%s", r->name);
                }
                /* an earlier line than a group line that matches loses to it anyway */
                bool later = !*best || (*best)->kind == DOMAIN_ALL || (size_t) (*best - t->rules) < i;
                if (r->broken)
                        *broken = r;
                else if (later && restricts_more(r, *best))
                        *best = r;
        }
}

void table_decide(const struct table *t, const struct account *u, const struct settings *s, struct verdict *ret) {
        const struct rule *best = NULL, *broken = NULL;
        int best_rank = -1;

        if (t->closed)
                return decide_closed(t, u, s, ret);

        /* A user's own line decides whatever their groups: those are not asked (a directory that
         * hangs costs a user named by a line nothing), but for a bad line's. */
        bool own_line = false;
        for (size_t i = 0; i < t->n_rules && !own_line; i++)
                own_line = (t->rules[i].kind == DOMAIN_USER || t->rules[i].kind == DOMAIN_UID) && !t->rules[i].broken &&
                           rule_rank(&t->rules[i], u, s) == RANK_USER;

        /* The highest rank wins; among equals, the later line. */
        for (size_t i = 0; i < t->n_rules; i++) {
                const struct rule *r = &t->rules[i];
                if (own_line && !r->broken && (r->kind == DOMAIN_GROUP || r->kind == DOMAIN_GID))
                        continue;
                int rank = rule_rank(r, u, s);
                if (rank < 0)
                        continue;
                if (r->broken)
                        broken = r;
                else if (rank >= best_rank)
                        best = r, best_rank = rank;
        }

        *ret = (struct verdict) { 0 };
        if (best_rank < RANK_USER)
                decide_unanswered(t, u, s, &best, &broken, ret);
        if (broken) {
                char why[sizeof(ret->source)];
                snprintf(why, sizeof(why), "%s:%u (a bad line naming this user: network off)",
                         t->files[broken->file], broken->line);
                verdict_fail_closed(s, why, ret);
                return;
        }
        if (!best) {
                snprintf(ret->source, sizeof(ret->source), "no line of the table names this user");
                return;
        }
        snprintf(ret->source, sizeof(ret->source), "%s:%u", t->files[best->file], best->line);
        if (best->exempt)
                return;
        ret->restricted = true;
        settings_policy(s, best->allow, &ret->policy);
        if (best->dry_run)
                ret->policy.refusals = NONET_LOG_ONLY;
}
