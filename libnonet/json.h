/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small JSON tree, for seccomp profiles: parsed strictly (RFC 8259, nesting bounded), numbers
 * kept as written, written back with the keys in their order. */

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
};

/* -EINVAL with the 1-based line and column of the first error in *ret_line, *ret_column. */
int json_parse(const char *data, size_t size, struct json **ret, unsigned *ret_line, unsigned *ret_column);
void json_free(struct json *j);
int json_write(const struct json *j, FILE *f);

struct json *json_new(enum json_type type, const char *text);
/* Adds to an array (key NULL) or an object; takes item, also on failure. */
int json_add(struct json *container, const char *key, struct json *item);
bool json_equal(const struct json *a, const struct json *b);
/* An object's member, or NULL. */
struct json *json_get(const struct json *object, const char *key);
/* Takes an object's member out (the caller owns it), or NULL. */
struct json *json_take(struct json *object, const char *key);
/* Removes an array's item i (freed). */
void json_remove(struct json *array, size_t i);
