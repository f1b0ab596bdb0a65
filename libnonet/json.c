/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "util.h"

#define JSON_MAX_DEPTH 64

struct parser {
        const char *p, *start, *end;
        int depth;
        unsigned line;
        const char *line_start;
        struct json_error *error; /* a reason other than "not JSON", and where */
};

struct json *json_new(enum json_type type, const char *text) {
        struct json *j = calloc(1, sizeof(*j));
        if (!j)
                return NULL;
        j->type = type;
        if (text && !(j->text = strdup(text))) {
                free(j);
                return NULL;
        }
        return j;
}

void json_free(struct json *j) {
        if (!j)
                return;
        for (size_t i = 0; i < j->n; i++) {
                json_free(j->items[i]);
                if (j->keys)
                        free(j->keys[i]);
        }
        free(j->items);
        free(j->keys);
        free(j->text);
        free(j);
}

int json_add(struct json *c, const char *key, struct json *item) {
        if (!item)
                return -ENOMEM;
        if (c->n == c->allocated) {
                size_t a = c->allocated ? c->allocated * 2 : 8;
                struct json **items = realloc(c->items, a * sizeof(*items));
                if (!items) {
                        json_free(item);
                        return -ENOMEM;
                }
                c->items = items;
                if (c->type == JSON_OBJECT) {
                        char **keys = realloc(c->keys, a * sizeof(*keys));
                        if (!keys) {
                                json_free(item);
                                return -ENOMEM;
                        }
                        c->keys = keys;
                }
                c->allocated = a;
        }
        if (c->type == JSON_OBJECT && !(c->keys[c->n] = strdup(key))) {
                json_free(item);
                return -ENOMEM;
        }
        c->items[c->n++] = item;
        return 0;
}

bool json_equal(const struct json *a, const struct json *b) {
        if (a->type != b->type || a->n != b->n || (a->text && strcmp(a->text, b->text) != 0))
                return false;
        for (size_t i = 0; i < a->n; i++)
                if ((a->keys && strcmp(a->keys[i], b->keys[i]) != 0) || !json_equal(a->items[i], b->items[i]))
                        return false;
        return true;
}

static ssize_t find(const struct json *o, const char *key) {
        if (!o || o->type != JSON_OBJECT)
                return -1;
        for (size_t i = 0; i < o->n; i++)
                if (strcmp(o->keys[i], key) == 0)
                        return (ssize_t) i;
        return -1;
}

struct json *json_get(const struct json *o, const char *key) {
        ssize_t i = find(o, key);
        return i < 0 ? NULL : o->items[i];
}

static void drop(struct json *c, size_t i) {
        if (c->keys) {
                free(c->keys[i]);
                memmove(c->keys + i, c->keys + i + 1, (c->n - i - 1) * sizeof(*c->keys));
        }
        memmove(c->items + i, c->items + i + 1, (c->n - i - 1) * sizeof(*c->items));
        c->n--;
}

struct json *json_take(struct json *o, const char *key) {
        ssize_t i = find(o, key);
        if (i < 0)
                return NULL;
        struct json *j = o->items[i];
        drop(o, (size_t) i);
        return j;
}

void json_remove(struct json *a, size_t i) {
        json_free(a->items[i]);
        drop(a, i);
}

/* Line breaks are only ever in white space: strings refuse control characters. */
static void skip_space(struct parser *ps) {
        while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
                if (*ps->p++ == '\n') {
                        ps->line++;
                        ps->line_start = ps->p;
                }
}

static void mark(const struct parser *ps, struct json *j) {
        j->line = ps->line;
        j->column = (unsigned) (ps->p - ps->line_start) + 1;
}

/* The length of the UTF-8 sequence at p (RFC 3629: no overlong forms, surrogates or values past
 * U+10FFFF), or 0. */
static size_t utf8_length(const unsigned char *p, const unsigned char *end) {
        size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
                 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
        if (n == 0 || (size_t) (end - p) < n)
                return 0;
        for (size_t i = 1; i < n; i++)
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
        if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] >= 0xa0) || (*p == 0xf0 && p[1] < 0x90) ||
            (*p == 0xf4 && p[1] >= 0x90))
                return 0;
        return n;
}

static int hex4(struct parser *ps, unsigned *ret) {
        unsigned v = 0;
        for (int i = 0; i < 4; i++, ps->p++) {
                if (ps->p >= ps->end)
                        return -EINVAL;
                char c = *ps->p;
                v = v * 16 + (unsigned) (c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1);
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                        return -EINVAL;
        }
        *ret = v;
        return 0;
}

static size_t put_utf8(char *out, unsigned cp) {
        if (cp < 0x80)
                return out[0] = (char) cp, 1;
        if (cp < 0x800)
                return out[0] = (char) (0xc0 | cp >> 6), out[1] = (char) (0x80 | (cp & 0x3f)), 2;
        if (cp < 0x10000)
                return out[0] = (char) (0xe0 | cp >> 12), out[1] = (char) (0x80 | ((cp >> 6) & 0x3f)),
                       out[2] = (char) (0x80 | (cp & 0x3f)), 3;
        return out[0] = (char) (0xf0 | cp >> 18), out[1] = (char) (0x80 | ((cp >> 12) & 0x3f)),
               out[2] = (char) (0x80 | ((cp >> 6) & 0x3f)), out[3] = (char) (0x80 | (cp & 0x3f)), 4;
}

/* A string at ps->p (past the quote), decoded; NUL (\u0000) refused: names are C strings. */
static int parse_string(struct parser *ps, char **ret) {
        _cleanup_free_ char *s = malloc((size_t) (ps->end - ps->p) + 1);
        size_t n = 0;
        if (!s)
                return -ENOMEM;
        for (;;) {
                if (ps->p >= ps->end)
                        return -EINVAL;
                unsigned char c = (unsigned char) *ps->p++;
                if (c == '"')
                        break;
                if (c < 0x20)
                        return -EINVAL;
                if (c >= 0x80) { /* Go reads a byte that is not UTF-8 as U+FFFD */
                        size_t k = utf8_length((const unsigned char *) ps->p - 1, (const unsigned char *) ps->end);
                        if (k == 0) {
                                ps->p--;
                                return -EINVAL;
                        }
                        memcpy(s + n, ps->p - 1, k);
                        n += k;
                        ps->p += k - 1;
                        continue;
                }
                if (c != '\\') {
                        s[n++] = (char) c;
                        continue;
                }
                if (ps->p >= ps->end)
                        return -EINVAL;
                const char *simple = strchr("\"\\/bfnrt", *ps->p);
                if (simple && *ps->p) {
                        static const char map[] = "\"\\/\b\f\n\r\t";
                        s[n++] = map[simple - "\"\\/bfnrt"];
                        ps->p++;
                        continue;
                }
                if (*ps->p++ != 'u')
                        return -EINVAL;
                unsigned cp, lo;
                if (hex4(ps, &cp) < 0 || cp == 0 || (cp >= 0xdc00 && cp < 0xe000))
                        return -EINVAL;
                if (cp >= 0xd800 && cp < 0xdc00) {
                        if (ps->end - ps->p < 2 || ps->p[0] != '\\' || ps->p[1] != 'u')
                                return -EINVAL;
                        ps->p += 2;
                        if (hex4(ps, &lo) < 0 || lo < 0xdc00 || lo >= 0xe000)
                                return -EINVAL;
                        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                n += put_utf8(s + n, cp); /* never longer than the escape it replaces */
        }
        s[n] = '\0';
        *ret = steal_pointer(&s);
        return 0;
}

static int parse_number(struct parser *ps, struct json **ret) {
        const char *b = ps->p;
        if (ps->p < ps->end && *ps->p == '-')
                ps->p++;
        if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
                return -EINVAL;
        if (*ps->p == '0')
                ps->p++;
        else
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        if (ps->p < ps->end && *ps->p == '.') {
                if (++ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
                        return -EINVAL;
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        }
        if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
                if (++ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
                        ps->p++;
                if (ps->p >= ps->end || *ps->p < '0' || *ps->p > '9')
                        return -EINVAL;
                while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9')
                        ps->p++;
        }
        _cleanup_free_ char *text = strndup(b, (size_t) (ps->p - b));
        if (!text)
                return -ENOMEM;
        *ret = json_new(JSON_NUMBER, text);
        return *ret ? 0 : -ENOMEM;
}

static int parse_value(struct parser *ps, struct json **ret);

static int by_key(const void *a, const void *b, void *userdata) {
        char *const *keys = userdata;
        size_t x = *(const size_t *) a, y = *(const size_t *) b;
        int c = strcmp(keys[x], keys[y]);
        return c != 0 ? c : x < y ? -1 : x > y;
}

/* Go's decoder keeps the last of two equal keys (and merges two objects given under one), a C
 * reader often the first: an object with a key twice is read by neither. */
static int check_keys_once(struct parser *ps, const struct json *o) {
        size_t second = SIZE_MAX;
        if (o->n < 2)
                return 0;
        _cleanup_free_ size_t *order = malloc(o->n * sizeof(*order));
        if (!order)
                return -ENOMEM;
        for (size_t i = 0; i < o->n; i++)
                order[i] = i;
        qsort_r(order, o->n, sizeof(*order), by_key, o->keys);
        for (size_t i = 1; i < o->n; i++)
                if (strcmp(o->keys[order[i - 1]], o->keys[order[i]]) == 0 && order[i] < second)
                        second = order[i];
        if (second == SIZE_MAX)
                return 0;
        char key[48];
        json_quote(o->keys[second], key, sizeof(key));
        ps->error->line = o->items[second]->line;
        ps->error->column = o->items[second]->column;
        snprintf(ps->error->reason, sizeof(ps->error->reason), "%s twice: runc reads the last of these", key);
        return -EINVAL;
}

static int parse_container(struct parser *ps, enum json_type type, struct json **ret) {
        char close = type == JSON_ARRAY ? ']' : '}';
        struct json *c = json_new(type, NULL);
        int r;
        if (!c)
                return -ENOMEM;
        if (++ps->depth > JSON_MAX_DEPTH) {
                json_free(c);
                return -EINVAL;
        }
        skip_space(ps);
        if (ps->p < ps->end && *ps->p == close) {
                ps->p++;
                goto done;
        }
        for (;;) {
                _cleanup_free_ char *key = NULL;
                struct json *item, where;
                skip_space(ps);
                mark(ps, &where);
                if (type == JSON_OBJECT) {
                        if (ps->p >= ps->end || *ps->p++ != '"' || (r = parse_string(ps, &key)) < 0)
                                goto fail_einval;
                        skip_space(ps);
                        if (ps->p >= ps->end || *ps->p++ != ':')
                                goto fail_einval;
                }
                if ((r = parse_value(ps, &item)) < 0) {
                        json_free(c);
                        return r;
                }
                item->line = where.line;
                item->column = where.column;
                if ((r = json_add(c, key, item)) < 0) {
                        json_free(c);
                        return r;
                }
                skip_space(ps);
                if (ps->p >= ps->end)
                        goto fail_einval;
                if (*ps->p == close) {
                        ps->p++;
                        break;
                }
                if (*ps->p++ != ',')
                        goto fail_einval;
        }
done:
        ps->depth--;
        if (type == JSON_OBJECT && (r = check_keys_once(ps, c)) < 0) {
                json_free(c);
                return r;
        }
        *ret = c;
        return 0;
fail_einval:
        json_free(c);
        return -EINVAL;
}

static int parse_value(struct parser *ps, struct json **ret) {
        static const struct {
                const char *word;
                enum json_type type;
        } words[] = { { "null", JSON_NULL }, { "false", JSON_FALSE }, { "true", JSON_TRUE } };
        skip_space(ps);
        if (ps->p >= ps->end)
                return -EINVAL;
        switch (*ps->p) {
        case '{':
        case '[':
                return parse_container(ps, *ps->p++ == '{' ? JSON_OBJECT : JSON_ARRAY, ret);
        case '"': {
                char *s;
                ps->p++;
                int r = parse_string(ps, &s);
                if (r < 0)
                        return r;
                *ret = json_new(JSON_STRING, NULL);
                if (!*ret) {
                        free(s);
                        return -ENOMEM;
                }
                (*ret)->text = s;
                return 0;
        }
        }
        for (size_t i = 0; i < ELEMENTSOF(words); i++) {
                size_t len = strlen(words[i].word);
                if ((size_t) (ps->end - ps->p) >= len && memcmp(ps->p, words[i].word, len) == 0) {
                        ps->p += len;
                        *ret = json_new(words[i].type, NULL);
                        return *ret ? 0 : -ENOMEM;
                }
        }
        return parse_number(ps, ret);
}

int json_parse(const char *data, size_t size, struct json **ret, struct json_error *ret_error) {
        struct json_error e = { 0 };
        struct parser ps = { data, data, data + size, 0, 1, data, &e };
        struct json *j = NULL, where;
        skip_space(&ps);
        mark(&ps, &where);
        int r = parse_value(&ps, &j);
        if (r >= 0) {
                j->line = where.line;
                j->column = where.column;
                skip_space(&ps);
                if (ps.p != ps.end) {
                        json_free(j);
                        r = -EINVAL;
                }
        }
        if (r == -EINVAL && !*e.reason) {
                e.line = 1, e.column = 1;
                for (const char *c = data; c < ps.p && c < ps.end; c++, e.column++)
                        if (*c == '\n')
                                e.line++, e.column = 0;
                snprintf(e.reason, sizeof(e.reason), "not JSON");
        }
        if (r == -EINVAL && ret_error)
                *ret_error = e;
        if (r >= 0)
                *ret = j;
        return r;
}

bool json_name_matches(const char *key, const char *name) {
        for (const unsigned char *k = (const unsigned char *) key;; name++) {
                char c = (char) (*name >= 'A' && *name <= 'Z' ? *name - 'A' + 'a' : *name);
                if (k[0] == 0xe2 && k[1] == 0x84 && k[2] == 0xaa && c == 'k') /* U+212A, Kelvin */
                        k += 3;
                else if (k[0] == 0xc5 && k[1] == 0xbf && c == 's') /* U+017F, long s */
                        k += 2;
                else if ((*k >= 'A' && *k <= 'Z' ? *k - 'A' + 'a' : *k) == c)
                        k++;
                else
                        return false;
                if (!*name)
                        return true;
        }
}

void json_quote(const char *s, char *buf, size_t size) {
        size_t n = strlen(s), max = size - 3;
        snprintf(buf, size, "\"%.*s%s\"", (int) (n > max ? max - 3 : n), s, n > max ? "..." : "");
        for (char *c = buf + 1; *c; c++)
                if ((unsigned char) *c < 0x20 || *c == 0x7f)
                        *c = '?';
}

static void write_string(const char *s, FILE *f) {
        fputc('"', f);
        for (const unsigned char *c = (const unsigned char *) s; *c; c++)
                if (*c == '"' || *c == '\\')
                        fprintf(f, "\\%c", *c);
                else if (*c < 0x20)
                        fprintf(f, "\\u%04x", *c);
                else
                        fputc(*c, f);
        fputc('"', f);
}

/* One member a line, but arrays of scalars, and objects of scalars inside others, on one line:
 * as the profiles people read are written. */
static void write_value(const struct json *j, FILE *f, int indent) {
        static const char *const words[] = { [JSON_NULL] = "null", [JSON_FALSE] = "false", [JSON_TRUE] = "true" };
        bool flat = true;
        switch (j->type) {
        case JSON_NULL:
        case JSON_FALSE:
        case JSON_TRUE:
                fputs(words[j->type], f);
                return;
        case JSON_NUMBER:
                fputs(j->text, f);
                return;
        case JSON_STRING:
                write_string(j->text, f);
                return;
        case JSON_ARRAY:
        case JSON_OBJECT:
                break;
        }
        for (size_t i = 0; i < j->n; i++)
                flat = flat && (j->type == JSON_ARRAY || indent > 0) && j->items[i]->type != JSON_ARRAY &&
                       j->items[i]->type != JSON_OBJECT;
        fputc(j->type == JSON_ARRAY ? '[' : '{', f);
        for (size_t i = 0; i < j->n; i++) {
                if (i > 0)
                        fputc(',', f);
                if (flat)
                        fputs(i > 0 ? " " : "", f);
                else
                        fprintf(f, "\n%*s", indent + 2, "");
                if (j->type == JSON_OBJECT) {
                        write_string(j->keys[i], f);
                        fputs(": ", f);
                }
                write_value(j->items[i], f, indent + 2);
        }
        if (!flat && j->n > 0)
                fprintf(f, "\n%*s", indent, "");
        fputc(j->type == JSON_ARRAY ? ']' : '}', f);
}

int json_write(const struct json *j, FILE *f) {
        write_value(j, f, 0);
        fputc('\n', f);
        return fflush(f) == 0 && !ferror(f) ? 0 : -EIO;
}
