// SPDX-License-Identifier: MIT
/* clusters[].ingresses of a topology:
 *
 *   ingresses:
 *     - name: grp1
 *       worker: C0w1
 *       port: 8001
 *       paths:
 *         - {path: /svc1, service: 100.64.11.1, port: 8000}
 *         - {path: /about, service: web, port: 80, type: Exact}
 *
 * Each entry becomes the spec `knetsim ingress add` builds and goes
 * through the same rules (lib/ingress.c), then, against the topology: the
 * worker is one of the cluster's, each path's service (a name or a VIP)
 * is a service of the cluster serving that port, names are unique and no
 * two ingresses share a worker's port. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingress_store.h"
#include "topology_priv.h"

/* A field under an item path (itself under TOPO_PATH_MAX + 64). */
#define FIELD_LEN (TOPO_PATH_MAX * 2)

static const char *const ingress_keys[] = {
	"name", "worker", "port", "paths", NULL };
static const char *const path_keys[] = {
	"path", "service", "port", "type", NULL };

static int unknown_key(struct topo_ctx *c, const struct doc_node *m,
		       const char *path, const char *const *keys)
{
	for (size_t k = 0; k < m->n; k++) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], m->keys[k]->scalar); i++)
			;
		if (!keys[i])
			return topo_fail(c, m->keys[k]->line, path, "unknown "
					 "field \"%s\" (expected one of %s)",
					 m->keys[k]->scalar, keys == ingress_keys ?
					 "name, worker, port, paths" :
					 "path, service, port, type");
	}
	return 0;
}

/* m[key] as a non-empty scalar of at most max bytes into out. */
static int get_str(struct topo_ctx *c, const struct doc_node *m,
		   const char *path, const char *key, const char *expected,
		   size_t max, char *out)
{
	const struct doc_node *v = doc_get(m, key);
	char field[FIELD_LEN];

	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!v || doc_is_null(v))
		return topo_fail(c, v ? v->line : m->line, field,
				 "missing (expected %s)", expected);
	if (v->type != DOC_SCALAR || !*v->scalar)
		return topo_fail(c, v->line, field, "expected %s", expected);
	if (strlen(v->scalar) > max)
		return topo_fail(c, v->line, field, "\"%.40s...\" is too long "
				 "(expected at most %zu bytes)", v->scalar, max);
	memcpy(out, v->scalar, strlen(v->scalar) + 1);
	return 0;
}

static int get_port(struct topo_ctx *c, const struct doc_node *m,
		    const char *path, const char *key, uint16_t *out)
{
	const struct doc_node *v = doc_get(m, key);
	char field[FIELD_LEN];
	size_t n;
	long p;

	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!v || doc_is_null(v))
		return topo_fail(c, v ? v->line : m->line, field,
				 "missing (expected a port from 1 to 65535)");
	n = v->type == DOC_SCALAR ? strlen(v->scalar) : 0;
	if (!n || n > 5 || v->quoted || strspn(v->scalar, "0123456789") != n ||
	    v->scalar[0] == '0')
		return topo_fail(c, v->line, field, "expected a port from 1 "
				 "to 65535");
	p = strtol(v->scalar, NULL, 10);
	if (p > 65535)
		return topo_fail(c, v->line, field, "%s is out of range "
				 "(expected 1 to 65535)", v->scalar);
	*out = (uint16_t)p;
	return 0;
}

static int decode_path(struct topo_ctx *c, const struct doc_node *m,
		       const char *path, struct ingress_path *p)
{
	const struct doc_node *type = doc_get(m, "type");
	char field[FIELD_LEN];

	if (m->type != DOC_MAP || doc_is_null(m))
		return topo_fail(c, m->line, path, "expected a map of path, "
				 "service, port, type");
	if (unknown_key(c, m, path, path_keys) ||
	    get_str(c, m, path, "path", "a path such as /svc1",
		    INGRESS_PATH_MAX, p->path) ||
	    get_str(c, m, path, "service", "a service name or VIP",
		    INGRESS_NAME_MAX, p->service) ||
	    get_port(c, m, path, "port", &p->port))
		return -1;
	p->type = INGRESS_PATH_PREFIX;
	snprintf(field, sizeof(field), "%s.type", path);
	if (type && (type->type != DOC_SCALAR ||
		     ingress_path_type_parse(type->scalar, &p->type)))
		return topo_fail(c, type->line, field, "expected Prefix, Exact "
				 "or ImplementationSpecific");
	return 0;
}

/* "paths[K].FIELD: why" from ingress_validate, at paths[K]'s line. */
static int invalid(struct topo_ctx *c, const struct doc_node *m,
		   const char *path, const char *why)
{
	const struct doc_node *paths = doc_get(m, "paths");
	unsigned long k;
	int off = 0;

	if (sscanf(why, "paths[%lu]%n", &k, &off) == 1 && off > 0 && paths &&
	    k < paths->n)
		return topo_fail(c, paths->items[k]->line, path, "%s", why);
	/* metadata.name -> name, spec.nodeName -> worker, spec.port -> port */
	if (!strncmp(why, "metadata.", 9))
		return topo_fail(c, m->line, path, "%s", why + 9);
	if (!strncmp(why, "spec.nodeName", 13))
		return topo_fail(c, m->line, path, "worker%s", why + 13);
	if (!strncmp(why, "spec.", 5))
		return topo_fail(c, m->line, path, "%s", why + 5);
	return topo_fail(c, m->line, path, "%s", why);
}

static int decode_ingress(struct topo_ctx *c, const struct doc_node *m,
			  const char *path, size_t ci)
{
	struct topo_ingress *in = &c->t->ingresses[c->t->n_ingresses];
	struct ingress_spec *s = &in->spec;
	const struct doc_node *paths;
	char item[TOPO_PATH_MAX + 64], why[512];

	if (m->type != DOC_MAP || doc_is_null(m))
		return topo_fail(c, m->line, path, "expected a map of name, "
				 "worker, port, paths");
	memset(in, 0, sizeof(*in));
	in->cluster = ci;
	in->line = m->line;
	snprintf(s->ns, sizeof(s->ns), INGRESS_NAMESPACE);
	if (unknown_key(c, m, path, ingress_keys) ||
	    get_str(c, m, path, "name", "an ingress name such as grp1",
		    INGRESS_NAME_MAX, s->name) ||
	    get_str(c, m, path, "worker", "the name of one of the cluster's "
		    "workers", INGRESS_NODE_MAX, s->node) ||
	    get_port(c, m, path, "port", &s->port))
		return -1;
	paths = doc_get(m, "paths");
	snprintf(item, sizeof(item), "%s.paths", path);
	if (!paths || paths->type != DOC_SEQ || !paths->n)
		return topo_fail(c, paths ? paths->line : m->line, item,
				 "expected a non-empty list of paths such as "
				 "{path: /svc1, service: svc1, port: 8000}");
	if (paths->n > INGRESS_PATHS_MAX)
		return topo_fail(c, paths->line, item, "%zu paths (expected at "
				 "most %d)", paths->n, INGRESS_PATHS_MAX);
	for (size_t k = 0; k < paths->n; k++) {
		snprintf(item, sizeof(item), "%s.paths[%zu]", path, k);
		if (decode_path(c, paths->items[k], item, &s->paths[k]))
			return -1;
		s->n_paths++;
	}
	if (ingress_validate(s, why, sizeof(why)))
		return invalid(c, m, path, why);
	return 0;
}

int topo_decode_ingresses(struct topo_ctx *c, const struct doc_node *m,
			  const char *cpath, size_t ci)
{
	const struct doc_node *seq = doc_get(m, "ingresses");
	struct topology *t = c->t;
	struct topo_ingress *tmp;
	char path[TOPO_PATH_MAX];

	if (!seq || doc_is_null(seq))
		return 0;
	snprintf(path, sizeof(path), "%s.ingresses", cpath);
	if (seq->type != DOC_SEQ)
		return topo_fail(c, seq->line, path, "expected a list of ingresses");
	if (!seq->n)
		return 0;
	tmp = realloc(t->ingresses, (t->n_ingresses + seq->n) * sizeof(*tmp));
	if (!tmp)
		return topo_fail(c, seq->line, path, "out of memory");
	t->ingresses = tmp;
	for (size_t j = 0; j < seq->n; j++) {
		char item[TOPO_PATH_MAX + 32];

		snprintf(item, sizeof(item), "%s[%zu]", path, j);
		if (decode_ingress(c, seq->items[j], item, ci))
			return -1;
		t->n_ingresses++;
	}
	return 0;
}

/* The cluster's services, copied for the resolver; NULL when none. */
static struct svc_spec *cluster_services(const struct topology *t,
					 size_t ci, size_t *n)
{
	struct svc_spec *v = calloc(t->n_services ? t->n_services : 1,
				    sizeof(*v));

	*n = 0;
	for (size_t i = 0; v && i < t->n_services; i++)
		if (t->services[i].cluster == ci)
			v[(*n)++] = t->services[i].spec;
	return v;
}

static int check_ingress(struct topo_ctx *c, size_t i)
{
	struct topology *t = c->t;
	struct topo_ingress *in = &t->ingresses[i];
	const char *cl = t->clusters[in->cluster].name;
	struct svc_spec *svcs;
	char path[64], err[512];
	size_t n, wc;
	int ret;

	snprintf(path, sizeof(path), "clusters[%zu].ingresses", in->cluster);
	if (ingress_worker_check(t, in->spec.node, &wc, err, sizeof(err)))
		return topo_fail(c, in->line, path, "%s: worker: %s",
				 in->spec.name, err);
	if (wc != in->cluster)
		return topo_fail(c, in->line, path, "%s: worker: %s is a worker "
				 "of cluster %s, not of %s", in->spec.name,
				 in->spec.node, t->clusters[wc].name, cl);
	svcs = cluster_services(t, in->cluster, &n);
	if (!svcs)
		return topo_fail(c, in->line, path, "out of memory");
	ret = ingress_resolve(&in->spec, svcs, n, cl, err, sizeof(err));
	free(svcs);
	if (ret)
		return topo_fail(c, in->line, path, "%s: %s", in->spec.name, err);
	for (size_t j = 0; j < i; j++) {
		const struct topo_ingress *o = &t->ingresses[j];

		if (o->cluster != in->cluster)
			continue;
		if (!strcmp(o->spec.name, in->spec.name))
			return topo_fail(c, in->line, path, "ingress \"%s\" is "
					 "declared twice (first on line %d)",
					 in->spec.name, o->line);
		if (ingress_conflict(&in->spec, &o->spec, err, sizeof(err)))
			return topo_fail(c, in->line, path, "%s: %s",
					 in->spec.name, err);
	}
	return 0;
}

int topo_check_ingresses(struct topo_ctx *c)
{
	for (size_t i = 0; i < c->t->n_ingresses; i++)
		if (check_ingress(c, i))
			return -1;
	return 0;
}

/* The topology's own form of one ingress. */
static cJSON *ingress_entry(const struct ingress_spec *s)
{
	cJSON *o = cJSON_CreateObject(), *a;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "name", s->name);
	cJSON_AddStringToObject(o, "worker", s->node);
	cJSON_AddNumberToObject(o, "port", s->port);
	a = cJSON_AddArrayToObject(o, "paths");
	for (size_t i = 0; a && i < s->n_paths; i++) {
		const struct ingress_path *p = &s->paths[i];
		cJSON *x = cJSON_CreateObject();

		if (!x || !cJSON_AddItemToArray(a, x)) {
			cJSON_Delete(x);
			a = NULL;
			break;
		}
		cJSON_AddStringToObject(x, "path", p->path);
		cJSON_AddStringToObject(x, "service", p->service);
		cJSON_AddNumberToObject(x, "port", p->port);
		cJSON_AddStringToObject(x, "type", ingress_path_type_name(p->type));
	}
	if (!a) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

bool topo_json_ingresses(cJSON *cl, const struct topology *t, size_t ci)
{
	cJSON *list = NULL;

	for (size_t i = 0; i < t->n_ingresses; i++) {
		cJSON *o;

		if (t->ingresses[i].cluster != ci)
			continue;
		if (!list && !(list = cJSON_AddArrayToObject(cl, "ingresses")))
			return false;
		o = ingress_entry(&t->ingresses[i].spec);
		if (!o || !cJSON_AddItemToArray(list, o)) {
			cJSON_Delete(o);
			return false;
		}
	}
	return true;
}
