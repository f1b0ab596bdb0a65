/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole unit-tree decision: a directory tree in, drop-ins out. The input is files,
 * each "=== PATH" (or "=== PATH -> TARGET" for a link) then its text; PATH under etc/ or
 * lib/, the two search directories. An input without a header is one file, lib/fuzz.service.
 * Whatever the tree, every service it restricts gets a drop-in that keeps AF_UNIX alone
 * of its families unless it kept others, and resets the list first.
 */

#include <errno.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "units.h"
#include "fuzz.h"

static char root[64];

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        return remove(path);
}

static void cleanup(void) {
        nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* Only names a unit tree has: no "..", no absolute paths, a few levels deep. */
static bool sane(const char *p, bool target) {
        if (!*p || strlen(p) > 200 || strstr(p, "..") || strstr(p, "//") || (!target && p[0] == '/'))
                return false;
        if (target && strcmp(p, "/dev/null") == 0)
                return true;
        for (const char *c = p; *c; c++)
                if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@._-/ ", *c))
                        return false;
        return target || strncmp(p, "etc/", 4) == 0 || strncmp(p, "lib/", 4) == 0;
}

static void make_parents(char *path) {
        for (char *s = strchr(path + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
                *s = '\0';
                mkdir(path, 0755);
                *s = '/';
        }
}

static void add_file(const char *header, size_t hlen, const char *text, size_t tlen) {
        char name[256], path[512];
        if (hlen >= sizeof(name))
                return;
        memcpy(name, header, hlen);
        name[hlen] = '\0';
        char *arrow = strstr(name, " -> ");
        if (arrow)
                *arrow = '\0';
        if (!sane(name, false) || (arrow && !sane(arrow + 4, true)))
                return;
        snprintf(path, sizeof(path), "%s/%s", root, name);
        make_parents(path);
        if (arrow) {
                if (symlink(arrow + 4, path) < 0)
                        return; /* a name given twice: the first stays */
                return;
        }
        FILE *f = fopen(path, "we");
        if (f) {
                fwrite(text, 1, tlen, f);
                fclose(f);
        }
}

/* "=== header\n" then text up to the next "\n=== " or the end. */
static void make_tree(const char *data, size_t size) {
        const char *end = data + size;
        if (size < 4 || memcmp(data, "=== ", 4) != 0) {
                add_file("lib/fuzz.service", strlen("lib/fuzz.service"), data, size);
                return;
        }
        for (int files = 0; data < end && files < 32; files++) {
                const char *header = data + 4, *nl = memchr(header, '\n', (size_t) (end - header));
                if (!nl)
                        return;
                const char *next = memmem(nl, (size_t) (end - nl), "\n=== ", 5);
                const char *text_end = next ? next : end;
                add_file(header, (size_t) (nl - header), nl + 1, (size_t) (text_end - nl - 1));
                data = next ? next + 1 : end;
        }
}

static int check_dropin(void *userdata, const char *unit, const struct verdict *v) {
        char *text;
        size_t n = strlen(unit);
        if (!v->restricted || !(v->policy.allow & (UINT64_C(1) << AF_UNIX)) || n < 8 ||
            strcmp(unit + n - 8, ".service") != 0)
                __builtin_trap();
        if (unit_dropin_format(&v->policy, false, v->source, &text) < 0)
                return 0; /* out of memory */
        if (!strstr(text, "RestrictAddressFamilies=\nRestrictAddressFamilies=AF_UNIX") ||
            !strstr(text, "NoNewPrivileges=yes\n"))
                __builtin_trap();
        free(text);
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char table_text[] = "root hard network off\n@daemon - network unix,netlink\n";
        struct settings settings = SETTINGS_DEFAULT;
        struct table *table = NULL;
        struct unit_tree *tree;
        char etc[80], lib[80];

        if (!root[0]) {
                if (!mkdtemp(strcpy(root, "/dev/shm/nonet-fuzz-unit-XXXXXX")))
                        abort();
                atexit(cleanup);
        }
        cleanup();
        mkdir(root, 0700);
        snprintf(etc, sizeof(etc), "%s/etc", root);
        snprintf(lib, sizeof(lib), "%s/lib", root);
        mkdir(etc, 0755);
        mkdir(lib, 0755);
        make_tree((const char *) data, size);

        table_parse_buffer("fuzz.conf", table_text, strlen(table_text), &table, NULL);
        struct unit_context ctx = { .settings = &settings, .table = table };
        char *search[] = { etc, lib, NULL };
        if (unit_tree_load(search, &ctx, &tree) == 0) {
                unit_tree_foreach_restricted(tree, check_dropin, NULL);
                unit_tree_free(tree);
        }
        table_free(table);
        return 0;
}
