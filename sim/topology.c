// SPDX-License-Identifier: MIT
/* Loading a topology: read, parse, decode, check; and the small queries on
 * the result. The work is in topology_decode.c and topology_check.c. */
#include "topology_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *routing_mode_name(enum routing_mode m)
{
	return m == ROUTING_KERNEL ? "kernel" : "bpf";
}

const char *proxy_mode_name(enum proxy_mode m)
{
	return m == PROXY_NFT ? "nft" : m == PROXY_NFT_LINEAR ? "nft-linear" : "bpf";
}

const char *node_kind_name(enum node_kind k)
{
	return k == NODE_ETCD ? "etcd" : "worker";
}

bool topology_name_valid(const char *s, size_t max)
{
	size_t len = strlen(s);

	/* No '.': bpffs refuses it in pin names, which hold these names. */
	return len && len <= max && strspn(s, TOPO_NAME_CHARSET) == len;
}

int topo_fail(struct topo_ctx *c, int line, const char *field,
	      const char *fmt, ...)
{
	size_t n = 0;
	va_list ap;
	int r;

	if (line > 0)
		r = snprintf(c->err, c->errlen, "%s:%d: ", c->file, line);
	else
		r = snprintf(c->err, c->errlen, "%s: ", c->file);
	if (r > 0)
		n = (size_t)r;
	if (field && n < c->errlen) {
		r = snprintf(c->err + n, c->errlen - n, "%s: ", field);
		if (r > 0)
			n += (size_t)r;
	}
	if (n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

void topology_free(struct topology *t)
{
	if (!t)
		return;
	free(t->clusters);
	free(t->nodes);
	free(t->pods);
	free(t->services);
	free(t->ingresses);
	topo_free_multicluster(t);
	free(t);
}

static struct topology *build(const struct doc_node *root, const char *file,
			      char *err, size_t errlen)
{
	struct topo_ctx c = { .file = file, .err = err, .errlen = errlen };
	struct topology *t = calloc(1, sizeof(*t));
	int ret;

	if (!t) {
		topo_fail(&c, 0, NULL, "out of memory");
		return NULL;
	}
	snprintf(t->path, sizeof(t->path), "%s", file);
	c.t = t;
	ret = topo_decode(&c, root);
	if (!ret)
		ret = topo_check(&c);
	free(c.cl_src);
	free(c.ov);
	free(c.pod_src);
	if (ret) {
		topology_free(t);
		return NULL;
	}
	return t;
}

static bool is_json_name(const char *file)
{
	size_t len = strlen(file);

	return len >= 5 && !strcmp(file + len - 5, ".json");
}

/* doc.h's "line L, column C: problem" as "FILE:L: invalid YAML: problem
 * (column C)" ("invalid JSON" for a .json file, though libyaml read it);
 * anything else (cannot read, out of memory) as "FILE: ...". */
static void doc_error(const char *file, const char *msg, char *err,
		      size_t errlen)
{
	int line, col, off = 0;

	if (sscanf(msg, "line %d, column %d: %n", &line, &col, &off) == 2 &&
	    off > 0)
		snprintf(err, errlen, "%s:%d: invalid %s: %s (column %d)",
			 file, line, is_json_name(file) ? "JSON" : "YAML",
			 msg + off, col);
	else
		snprintf(err, errlen, "%s: %s", file, msg);
}

static struct topology *from_doc(struct doc_node *root, const char *file,
				 const char *msg, char *err, size_t errlen)
{
	struct topology *t;

	if (!root) {
		doc_error(file, msg, err, errlen);
		return NULL;
	}
	t = build(root, file, err, errlen);
	doc_free(root);
	return t;
}

struct topology *topology_parse(const char *buf, size_t len, const char *name,
				char *err, size_t errlen)
{
	char msg[256];

	return from_doc(doc_parse(buf, len, msg, sizeof(msg)), name, msg, err,
			errlen);
}

struct topology *topology_load(const char *path, char *err, size_t errlen)
{
	const char *file = strcmp(path, "-") ? path : "<stdin>";
	char msg[256];

	return from_doc(doc_parse_file(path, msg, sizeof(msg)), file, msg, err,
			errlen);
}

const struct node *topology_node(const struct topology *t, const char *name)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (!strcmp(t->nodes[i].name, name))
			return &t->nodes[i];
	return NULL;
}

const struct cluster *topology_cluster(const struct topology *t,
				       const char *name)
{
	for (size_t i = 0; i < t->n_clusters; i++)
		if (!strcmp(t->clusters[i].name, name))
			return &t->clusters[i];
	return NULL;
}

const struct pod *topology_pod(const struct topology *t, const char *cluster,
			       const char *name)
{
	for (size_t i = 0; i < t->n_pods; i++) {
		const struct pod *p = &t->pods[i];

		if (!strcmp(p->name, name) &&
		    !strcmp(t->clusters[p->cluster].name, cluster))
			return p;
	}
	return NULL;
}
