/* SPDX-License-Identifier: MIT */
/* A parsed YAML (or JSON, which libyaml reads as flow YAML) document as a
 * plain tree of maps, sequences and scalars, each with its source line, so
 * decoders can name the line of a bad value. */
#ifndef KNETSIM_DOC_H
#define KNETSIM_DOC_H

#include <stdbool.h>
#include <stddef.h>

enum doc_type { DOC_SCALAR, DOC_SEQ, DOC_MAP };

struct doc_node {
	enum doc_type type;
	int line;                 /* 1-based */
	int col;                  /* 1-based */
	char *scalar;             /* DOC_SCALAR: the text */
	bool quoted;              /* DOC_SCALAR: written in quotes */
	size_t n;                 /* DOC_SEQ/DOC_MAP: number of items */
	struct doc_node **items;  /* DOC_SEQ items, DOC_MAP values */
	struct doc_node **keys;   /* DOC_MAP keys (scalars) */
};

/* Parses a whole buffer. On error returns NULL and writes
 * "line L, column C: problem" into err. Duplicate map keys are errors, as
 * are anchors, aliases and more than one document. An empty stream (or
 * only comments) parses as an empty plain scalar, YAML's null. */
struct doc_node *doc_parse(const char *buf, size_t len, char *err, size_t errlen);
/* Reads and parses a file; "-" reads stdin. When the file cannot be read,
 * err is "cannot read: <reason>" (no line). */
struct doc_node *doc_parse_file(const char *path, char *err, size_t errlen);
void doc_free(struct doc_node *n);

/* Map lookup by key; NULL when absent or when m is not a map. */
struct doc_node *doc_get(const struct doc_node *m, const char *key);
const char *doc_type_name(enum doc_type t);
/* A plain (unquoted) "", "~" or "null": YAML's null, e.g. "key:" alone. */
bool doc_is_null(const struct doc_node *n);

#endif
