/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small JSON tree, for seccomp profiles: parsed strictly (RFC 8259, nesting bounded), numbers
 * kept as written, written back with the keys in their order. Read as the Go runtimes read it or
 * refused: runc, podman, Docker and containerd decode with Go's encoding/json, which keeps the
 * last of two equal keys and matches a member to a field but for case. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum json_type { JSON_NULL, JSON_FALSE, JSON_TRUE, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
        enum json_type type;
        char *text;           /* a string (decoded, NUL-free) or a number as written */
        struct json **items;  /* an array's items, or an object's values */
        char **keys;          /* an object's keys */
        size_t n, allocated;
        unsigned line, column; /* where it was read: a member's key, else the value; 0 if built */
};

/* Why json_parse() refused a text, and where (1-based). */
struct json_error {
        unsigned line, column;
        char reason[160];
};

/* -EINVAL with *ret_error (if not NULL) filled: not JSON, not UTF-8, or an object with a key twice
 * (Go keeps the last, a C reader often the first). */
int json_parse(const char *data, size_t size, struct json **ret, struct json_error *ret_error);
void json_free(struct json *j);
int json_write(const struct json *j, FILE *f);

struct json *json_new(enum json_type type, const char *text);
/* Adds to an array (key NULL) or an object; takes item, also on failure. */
int json_add(struct json *container, const char *key, struct json *item);
bool json_equal(const struct json *a, const struct json *b);
/* Whether Go's encoding/json takes key for the field name (ASCII): equal but for case, where the
 * Kelvin sign (U+212A) is a k and the long s (U+017F) an s (its foldName()). */
bool json_name_matches(const char *key, const char *name);
/* s for a message: quoted, cut to fit size, control characters as '?'. */
void json_quote(const char *s, char *buf, size_t size);
/* An object's member, or NULL. */
struct json *json_get(const struct json *object, const char *key);
/* Takes an object's member out (the caller owns it), or NULL. */
struct json *json_take(struct json *object, const char *key);
/* Removes an array's item i (freed). */
void json_remove(struct json *array, size_t i);
