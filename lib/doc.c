// SPDX-License-Identifier: MIT
/* libyaml's event stream folded into a tree. JSON goes through the same
 * parser (it is flow YAML), so both formats get line numbers. */
#include "doc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define DOC_MAX_DEPTH 64
#define DOC_MAX_FILE (16u << 20)

struct frame {
	struct doc_node *node;
	size_t cap;
	struct doc_node *key;   /* DOC_MAP: key waiting for its value */
};

struct builder {
	struct doc_node *root;
	struct frame stack[DOC_MAX_DEPTH];
	int depth;
	char *err;
	size_t errlen;
};

static int fail_at(struct builder *b, const yaml_mark_t *m,
		   const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail_at(struct builder *b, const yaml_mark_t *m,
		   const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(b->err, b->errlen, "line %zu, column %zu: ",
		     m->line + 1, m->column + 1);
	if (n < 0 || (size_t)n >= b->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - n, fmt, ap);
	va_end(ap);
	return -1;
}

void doc_free(struct doc_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++) {
		doc_free(n->items[i]);
		if (n->keys)
			doc_free(n->keys[i]);
	}
	free(n->items);
	free(n->keys);
	free(n->scalar);
	free(n);
}

static struct doc_node *new_node(enum doc_type type, const yaml_mark_t *m)
{
	struct doc_node *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->type = type;
	n->line = (int)(m->line + 1 > INT32_MAX ? INT32_MAX : m->line + 1);
	n->col = (int)(m->column + 1 > INT32_MAX ? INT32_MAX : m->column + 1);
	return n;
}

static int grow(struct frame *f)
{
	struct doc_node *n = f->node;
	size_t cap = f->cap ? f->cap * 2 : 4;
	struct doc_node **items, **keys;

	if (n->n < f->cap)
		return 0;
	items = realloc(n->items, cap * sizeof(*items));
	if (!items)
		return -1;
	n->items = items;
	if (n->type == DOC_MAP) {
		keys = realloc(n->keys, cap * sizeof(*keys));
		if (!keys)
			return -1;
		n->keys = keys;
	}
	f->cap = cap;
	return 0;
}

/* Hands a finished node to its parent (or makes it the root). Owns n from
 * here on, on success and on failure alike. */
static int attach(struct builder *b, struct doc_node *n, const yaml_mark_t *m)
{
	struct frame *f;

	if (!b->depth) {
		b->root = n;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (f->node->type == DOC_MAP && !f->key) {
		if (n->type != DOC_SCALAR) {
			snprintf(b->err, b->errlen, "line %d, column %d: a map "
				 "key must be a plain value, not a %s", n->line,
				 n->col, doc_type_name(n->type));
			doc_free(n);
			return -1;
		}
		f->key = n;
		return 0;
	}
	if (grow(f)) {
		doc_free(n);
		return fail_at(b, m, "out of memory");
	}
	if (f->node->type == DOC_MAP) {
		f->node->keys[f->node->n] = f->key;
		f->key = NULL;
	}
	f->node->items[f->node->n++] = n;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct doc_node *x = *(struct doc_node *const *)a;
	const struct doc_node *y = *(struct doc_node *const *)b;
	int c = strcmp(x->scalar, y->scalar);

	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return (x->col > y->col) - (x->col < y->col);
}

/* Duplicate keys: sorted copies put equal keys side by side; the one
 * reported is the earliest repetition in the file. */
static int check_dup_keys(struct builder *b, const struct doc_node *map)
{
	const struct doc_node *dup = NULL, *first = NULL;
	struct doc_node **sorted;

	if (map->n < 2)
		return 0;
	sorted = malloc(map->n * sizeof(*sorted));
	if (!sorted) {
		snprintf(b->err, b->errlen, "out of memory");
		return -1;
	}
	memcpy(sorted, map->keys, map->n * sizeof(*sorted));
	qsort(sorted, map->n, sizeof(*sorted), key_cmp);
	for (size_t i = 1; i < map->n; i++) {
		if (strcmp(sorted[i - 1]->scalar, sorted[i]->scalar))
			continue;
		if (!dup || key_cmp(&sorted[i], &dup) < 0) {
			dup = sorted[i];
			/* the first of this run of equal keys */
			for (size_t j = i; j > 0 &&
			     !strcmp(sorted[j - 1]->scalar, dup->scalar); j--)
				first = sorted[j - 1];
		}
	}
	free(sorted);
	if (dup) {
		snprintf(b->err, b->errlen, "line %d, column %d: duplicate "
			 "key \"%s\" (first at line %d)", dup->line, dup->col,
			 dup->scalar, first->line);
		return -1;
	}
	return 0;
}

static int on_scalar(struct builder *b, const yaml_event_t *e)
{
	const yaml_mark_t *m = &e->start_mark;
	struct doc_node *n;

	if (memchr(e->data.scalar.value, '\0', e->data.scalar.length))
		return fail_at(b, m, "NUL character in a value");
	n = new_node(DOC_SCALAR, m);
	if (!n)
		return fail_at(b, m, "out of memory");
	n->scalar = strndup((const char *)e->data.scalar.value,
			    e->data.scalar.length);
	if (!n->scalar) {
		free(n);
		return fail_at(b, m, "out of memory");
	}
	n->quoted = e->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
		    e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return attach(b, n, m);
}

static int on_start(struct builder *b, const yaml_event_t *e,
		    enum doc_type type)
{
	const yaml_mark_t *m = &e->start_mark;
	struct frame *f;

	if (b->depth == DOC_MAX_DEPTH)
		return fail_at(b, m, "nested too deeply (more than %d levels)",
			       DOC_MAX_DEPTH);
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->node = new_node(type, m);
	if (!f->node)
		return fail_at(b, m, "out of memory");
	b->depth++;
	return 0;
}

static int on_end(struct builder *b, const yaml_event_t *e)
{
	struct doc_node *n = b->stack[--b->depth].node;

	if (n->type == DOC_MAP && check_dup_keys(b, n)) {
		doc_free(n);
		return -1;
	}
	return attach(b, n, &e->start_mark);
}

static const char *anchor_of(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)e->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)e->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT:
		return (const char *)e->data.mapping_start.anchor;
	default:
		return NULL;
	}
}

/* One event; returns 1 at the end of the stream. */
static int on_event(struct builder *b, const yaml_event_t *e, int *docs)
{
	const char *anchor = anchor_of(e);

	if (anchor)
		return fail_at(b, &e->start_mark, "anchors (&%s) are not "
			       "supported (expected plain values)", anchor);
	switch (e->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++*docs > 1)
			return fail_at(b, &e->start_mark, "more than one "
				       "document (expected a single one)");
		return 0;
	case YAML_ALIAS_EVENT:
		return fail_at(b, &e->start_mark, "aliases (*%s) are not "
			       "supported (expected plain values)",
			       (const char *)e->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		return on_scalar(b, e);
	case YAML_SEQUENCE_START_EVENT:
		return on_start(b, e, DOC_SEQ);
	case YAML_MAPPING_START_EVENT:
		return on_start(b, e, DOC_MAP);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_end(b, e);
	default:
		return 0;
	}
}

static void parser_error(struct builder *b, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	yaml_mark_t m = p->problem_mark;

	if (p->error == YAML_MEMORY_ERROR) {
		snprintf(b->err, b->errlen, "out of memory");
		return;
	}
	if (p->context)
		fail_at(b, &m, "%s, %s at line %zu", problem, p->context,
			p->context_mark.line + 1);
	else
		fail_at(b, &m, "%s", problem);
}

static void unwind(struct builder *b)
{
	while (b->depth > 0) {
		struct frame *f = &b->stack[--b->depth];

		doc_free(f->key);
		doc_free(f->node);
	}
	doc_free(b->root);
	b->root = NULL;
}

/* An empty stream is YAML's null: an empty plain scalar. */
static struct doc_node *empty_doc(char *err, size_t errlen)
{
	static const yaml_mark_t start;
	struct doc_node *n = new_node(DOC_SCALAR, &start);

	if (n)
		n->scalar = strdup("");
	if (!n || !n->scalar) {
		free(n);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	return n;
}

struct doc_node *doc_parse(const char *buf, size_t len, char *err,
			   size_t errlen)
{
	struct builder b = { .err = err, .errlen = errlen };
	yaml_parser_t parser;
	yaml_event_t event;
	int docs = 0, ret = 0;

	if (!yaml_parser_initialize(&parser)) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	while (!ret) {
		if (!yaml_parser_parse(&parser, &event)) {
			parser_error(&b, &parser);
			ret = -1;
			break;
		}
		ret = on_event(&b, &event, &docs);
		yaml_event_delete(&event);
	}
	yaml_parser_delete(&parser);
	if (ret < 0) {
		unwind(&b);
		return NULL;
	}
	return b.root ? b.root : empty_doc(err, errlen);
}

static int read_fd(int fd, char **out, size_t *outlen)
{
	size_t cap = 0, n = 0;
	char *buf = NULL, *tmp;
	ssize_t r;

	for (;;) {
		if (n == cap) {
			if (cap >= DOC_MAX_FILE) {
				free(buf);
				return -EFBIG;
			}
			cap = cap ? cap * 2 : 4096;
			tmp = realloc(buf, cap);
			if (!tmp) {
				free(buf);
				return -ENOMEM;
			}
			buf = tmp;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			r = -errno;
			free(buf);
			return (int)r;
		}
		if (!r)
			break;
		n += (size_t)r;
	}
	*out = buf;
	*outlen = n;
	return 0;
}

struct doc_node *doc_parse_file(const char *path, char *err, size_t errlen)
{
	bool is_stdin = !strcmp(path, "-");
	int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	struct doc_node *root;
	char *buf = NULL;
	size_t len = 0;
	int ret;

	if (fd < 0) {
		snprintf(err, errlen, "cannot read: %s", strerror(errno));
		return NULL;
	}
	ret = read_fd(fd, &buf, &len);
	if (!is_stdin)
		close(fd);
	if (ret == -EFBIG) {
		snprintf(err, errlen, "cannot read: larger than %u MiB",
			 DOC_MAX_FILE >> 20);
		return NULL;
	}
	if (ret) {
		snprintf(err, errlen, "cannot read: %s", strerror(-ret));
		return NULL;
	}
	root = doc_parse(buf ? buf : "", len, err, errlen);
	free(buf);
	return root;
}

struct doc_node *doc_get(const struct doc_node *m, const char *key)
{
	if (!m || m->type != DOC_MAP)
		return NULL;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->keys[i]->scalar, key))
			return m->items[i];
	return NULL;
}

const char *doc_type_name(enum doc_type t)
{
	switch (t) {
	case DOC_SCALAR:
		return "value";
	case DOC_SEQ:
		return "list";
	case DOC_MAP:
		return "map";
	}
	return "?";
}

bool doc_is_null(const struct doc_node *n)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };

	if (!n || n->type != DOC_SCALAR || n->quoted)
		return false;
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (!strcmp(n->scalar, nulls[i]))
			return true;
	return false;
}
