/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The words users write: family names, errno names, Landlock modes, unix reach. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nonet.h"
#include "util.h"

/* Linux's AF_* numbers, which are ABI and so safe to write down here. */
static const char *const family_names[] = {
        [0] = "unspec",     [1] = "unix",        [2] = "inet",       [3] = "ax25",
        [4] = "ipx",        [5] = "appletalk",   [6] = "netrom",     [7] = "bridge",
        [8] = "atmpvc",     [9] = "x25",         [10] = "inet6",     [11] = "rose",
        [12] = "decnet",    [13] = "netbeui",    [14] = "security",  [15] = "key",
        [16] = "netlink",   [17] = "packet",     [18] = "ash",       [19] = "econet",
        [20] = "atmsvc",    [21] = "rds",        [22] = "sna",       [23] = "irda",
        [24] = "pppox",     [25] = "wanpipe",    [26] = "llc",       [27] = "ib",
        [28] = "mpls",      [29] = "can",        [30] = "tipc",      [31] = "bluetooth",
        [32] = "iucv",      [33] = "rxrpc",      [34] = "isdn",      [35] = "phonet",
        [36] = "ieee802154", [37] = "caif",      [38] = "alg",       [39] = "nfc",
        [40] = "vsock",     [41] = "kcm",        [42] = "qipcrtr",   [43] = "smc",
        [44] = "xdp",       [45] = "mctp",
};

static const struct {
        const char *name;
        int family;
} family_aliases[] = {
        { "local", 1 },
        { "file", 1 },
        { "route", 16 },
};

const char *nonet_family_to_name(int family) {
        if (family < 0 || (size_t) family >= ELEMENTSOF(family_names))
                return NULL;
        return family_names[family];
}

int nonet_family_from_name(const char *name) {
        if (!name || !*name)
                return -EINVAL;
        if (strncasecmp(name, "AF_", 3) == 0)
                name += 3;

        for (size_t i = 0; i < ELEMENTSOF(family_names); i++)
                if (family_names[i] && strcasecmp(name, family_names[i]) == 0)
                        return (int) i;
        for (size_t i = 0; i < ELEMENTSOF(family_aliases); i++)
                if (strcasecmp(name, family_aliases[i].name) == 0)
                        return family_aliases[i].family;

        /* A number, for families newer than this table. */
        if (name[0] < '0' || name[0] > '9')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(name, &end, 10);
        if (errno != 0 || *end != '\0' || v >= NONET_FAMILY_MAX)
                return -EINVAL;
        return (int) v;
}

static void copy_word(char *dst, size_t size, const char *src, size_t len) {
        if (!dst || size == 0)
                return;
        if (len >= size)
                len = size - 1;
        memcpy(dst, src, len);
        dst[len] = '\0';
}

int nonet_families_parse(const char *list, uint64_t *ret_set, char *bad, size_t bad_size) {
        char word[32];
        uint64_t set = 0;
        size_t n_words = 0;

        if (!list)
                return -EINVAL;

        for (const char *p = list;;) {
                size_t len = strcspn(p, ", \t");
                if (len > 0) {
                        int f = -EINVAL;
                        if (len < sizeof(word)) {
                                memcpy(word, p, len);
                                word[len] = '\0';
                                f = nonet_family_from_name(word);
                        }
                        if (f < 0) {
                                copy_word(bad, bad_size, p, len);
                                return -EINVAL;
                        }
                        set |= UINT64_C(1) << f;
                        n_words++;
                }
                p += len;
                if (*p == '\0')
                        break;
                p++;
        }

        if (n_words == 0) {
                copy_word(bad, bad_size, list, strlen(list));
                return -EINVAL;
        }
        *ret_set = set;
        return 0;
}

int nonet_families_format(uint64_t set, char *buf, size_t size) {
        size_t used = 0;

        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        for (int f = 0; f < NONET_FAMILY_MAX; f++) {
                if (!(set & (UINT64_C(1) << f)))
                        continue;
                const char *name = nonet_family_to_name(f);
                char num[8];
                if (!name) {
                        snprintf(num, sizeof(num), "%d", f);
                        name = num;
                }
                int n = snprintf(buf + used, size - used, "%s%s", used > 0 ? "," : "", name);
                if (n < 0 || (size_t) n >= size - used)
                        return -ENOBUFS;
                used += (size_t) n;
        }
        return 0;
}

int nonet_errno_from_name(const char *name) {
        if (!name)
                return -EINVAL;
        if (strcasecmp(name, "eafnosupport") == 0)
                return EAFNOSUPPORT;
        if (strcasecmp(name, "eperm") == 0)
                return EPERM;
        return -EINVAL;
}

const char *nonet_errno_to_name(int error) {
        switch (error) {
        case EAFNOSUPPORT:
                return "eafnosupport";
        case EPERM:
                return "eperm";
        default:
                return NULL;
        }
}

/* A word of a small closed set, by its index; -EINVAL for any other. */
static int word_index(const char *const *words, size_t n, const char *word) {
        for (size_t i = 0; word && i < n; i++)
                if (strcasecmp(word, words[i]) == 0)
                        return (int) i;
        return -EINVAL;
}

static const char *word_at(const char *const *words, size_t n, unsigned i) {
        return i < n ? words[i] : NULL;
}

static const char *const landlock_names[] = {
        [NONET_LANDLOCK_AUTO] = "auto",
        [NONET_LANDLOCK_REQUIRE] = "require",
        [NONET_LANDLOCK_OFF] = "off",
};

int nonet_landlock_from_name(const char *name) {
        return word_index(landlock_names, ELEMENTSOF(landlock_names), name);
}

const char *nonet_landlock_to_name(enum nonet_landlock mode) {
        return word_at(landlock_names, ELEMENTSOF(landlock_names), (unsigned) mode);
}

static const char *const unix_names[] = {
        [NONET_UNIX_ALL] = "all",
        [NONET_UNIX_NO_ABSTRACT] = "no-abstract",
        [NONET_UNIX_LISTED] = "listed",
};

int nonet_unix_from_name(const char *name) {
        return word_index(unix_names, ELEMENTSOF(unix_names), name);
}

const char *nonet_unix_to_name(enum nonet_unix reach) {
        return word_at(unix_names, ELEMENTSOF(unix_names), (unsigned) reach);
}

static const char *const brokers_names[] = {
        [NONET_BROKERS_OPEN] = "open",
        [NONET_BROKERS_CLOSED] = "closed",
};

int nonet_brokers_from_name(const char *name) {
        return word_index(brokers_names, ELEMENTSOF(brokers_names), name);
}

const char *nonet_brokers_to_name(enum nonet_brokers brokers) {
        return word_at(brokers_names, ELEMENTSOF(brokers_names), (unsigned) brokers);
}
