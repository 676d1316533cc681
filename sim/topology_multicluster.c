// SPDX-License-Identifier: MIT
/* The topology's top-level multicluster map:
 *
 *   multicluster:
 *     gateway: auto | skupper | nginx
 *     links:   [{from: C1, to: C0}]          from's router connects to to's
 *     exports: [{name: web, cluster: C0, target: c4, port: 80, listen: 1028,
 *                clusters: [C1]}]            clusters: default every linked one
 *
 * Decode keeps the map; check resolves it once clusters, pods and services
 * are known to be sound, so a message about a link never hides a clash of
 * cluster names. */
#include "topology_priv.h"

#include <cjson/cJSON.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MC "multicluster"
/* The router's own ports on its node: AMQP management, inter-router. */
#define MC_PORT_AMQP 5672
#define MC_PORT_INTER_ROUTER 55671

static const char *const mc_keys[] = { "gateway", "links", "exports", NULL };
static const char *const link_keys[] = { "from", "to", NULL };
static const char *const export_keys[] = {
	"name", "cluster", "target", "port", "listen", "clusters", NULL };
static const char *const gateway_names[] = {
	[MC_GATEWAY_AUTO] = "auto", [MC_GATEWAY_SKUPPER] = "skupper",
	[MC_GATEWAY_NGINX] = "nginx",
};

const char *mc_gateway_name(enum mc_gateway g)
{
	return (unsigned)g < 3 ? gateway_names[g] : "auto";
}

int topo_decode_multicluster(struct topo_ctx *c, const struct doc_node *root)
{
	const struct doc_node *m = doc_get(root, MC);

	if (!m || doc_is_null(m))
		return 0;
	if (m->type != DOC_MAP)
		return topo_fail(c, m->line, MC, "expected a map of gateway, "
				 "links, exports, got a %s",
				 doc_type_name(m->type));
	c->mc = m;
	return 0;
}

void topo_free_multicluster(struct topology *t)
{
	for (size_t i = 0; i < t->mc.n_exports; i++)
		free(t->mc.exports[i].consumers);
	free(t->mc.exports);
	free(t->mc.links);
	memset(&t->mc, 0, sizeof(t->mc));
}

static int known_keys(struct topo_ctx *c, const struct doc_node *m,
		      const char *path, const char *const *keys,
		      const char *list)
{
	for (size_t k = 0; k < m->n; k++) {
		size_t i;

		for (i = 0; keys[i] && strcmp(keys[i], m->keys[k]->scalar); i++)
			;
		if (!keys[i])
			return topo_fail(c, m->keys[k]->line, path,
					 "unknown field \"%s\" (expected one of %s)",
					 m->keys[k]->scalar, list);
	}
	return 0;
}

/* m[key] as a non-empty plain scalar; NULL (after a message) otherwise. */
static const struct doc_node *scalar(struct topo_ctx *c,
				     const struct doc_node *m,
				     const char *path, const char *key,
				     const char *expected)
{
	const struct doc_node *v = doc_get(m, key);

	if (!v || doc_is_null(v)) {
		topo_fail(c, v ? v->line : m->line, path, "%s: missing "
			  "(expected %s)", key, expected);
		return NULL;
	}
	if (v->type != DOC_SCALAR || !*v->scalar) {
		topo_fail(c, v->line, path, "%s: expected %s, got %s", key,
			  expected, v->type == DOC_SCALAR ? "an empty string" :
			  v->type == DOC_SEQ ? "a list" : "a map");
		return NULL;
	}
	return v;
}

static int find_cluster(struct topo_ctx *c, const struct doc_node *v,
			const char *path, const char *key, size_t *out)
{
	const struct topology *t = c->t;
	char list[128];
	size_t off = 0;

	for (size_t i = 0; i < t->n_clusters; i++) {
		if (!strcmp(t->clusters[i].name, v->scalar)) {
			*out = i;
			return 0;
		}
	}
	list[0] = '\0';
	for (size_t i = 0; i < t->n_clusters && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
					i ? ", " : "", t->clusters[i].name);
	return topo_fail(c, v->line, path, "%s: no cluster named \"%.40s\" "
			 "(expected one of %s)", key, v->scalar, list);
}

static int port_value(struct topo_ctx *c, const struct doc_node *m,
		      const char *path, const char *key, uint16_t *out)
{
	const struct doc_node *v = scalar(c, m, path, key,
					  "a TCP port from 1 to 65535");
	const char *s;
	size_t len;
	long n = 0;

	if (!v)
		return -1;
	s = v->scalar;
	len = strlen(s);
	if (v->quoted || len > 5 || strspn(s, "0123456789") != len ||
	    (len > 1 && s[0] == '0'))
		return topo_fail(c, v->line, path, "%s: \"%.40s\" is not a "
				 "port (expected a number from 1 to 65535)",
				 key, s);
	for (const char *p = s; *p; p++)
		n = n * 10 + (*p - '0');
	if (n < 1 || n > 65535)
		return topo_fail(c, v->line, path, "%s: %ld is out of range "
				 "(expected 1 to 65535)", key, n);
	*out = (uint16_t)n;
	return 0;
}

static int decode_gateway(struct topo_ctx *c, const struct doc_node *m)
{
	const struct doc_node *v = doc_get(m, "gateway");

	c->t->mc.gateway = MC_GATEWAY_AUTO;
	if (!v || doc_is_null(v))
		return 0;
	for (int g = 0; v->type == DOC_SCALAR && g < 3; g++) {
		if (!strcmp(v->scalar, gateway_names[g])) {
			c->t->mc.gateway = (enum mc_gateway)g;
			return 0;
		}
	}
	return topo_fail(c, v->line, MC ".gateway", "unknown gateway \"%.40s\" "
			 "(expected auto, skupper or nginx)",
			 v->type == DOC_SCALAR ? v->scalar : "");
}

/* m[key] as a list (possibly absent or null: n = 0). */
static int list_of(struct topo_ctx *c, const struct doc_node *m,
		   const char *key, const char *path, const char *what,
		   const struct doc_node **out)
{
	const struct doc_node *v = doc_get(m, key);

	*out = NULL;
	if (!v || doc_is_null(v))
		return 0;
	if (v->type != DOC_SEQ)
		return topo_fail(c, v->line, path, "expected a list of %s",
				 what);
	*out = v;
	return 0;
}

static bool linked(const struct topo_mc_link *l, size_t a, size_t b)
{
	return (l->from == a && l->to == b) || (l->from == b && l->to == a);
}

static int decode_link(struct topo_ctx *c, const struct doc_node *m,
		       const char *path)
{
	struct topo_multicluster *mc = &c->t->mc;
	struct topo_mc_link *l = &mc->links[mc->n_links];
	const struct doc_node *from, *to;

	if (m->type != DOC_MAP || doc_is_null(m))
		return topo_fail(c, m->line, path, "expected a map of from, to");
	if (known_keys(c, m, path, link_keys, "from, to"))
		return -1;
	from = scalar(c, m, path, "from", "the name of a cluster");
	if (!from || find_cluster(c, from, path, "from", &l->from))
		return -1;
	to = scalar(c, m, path, "to", "the name of a cluster");
	if (!to || find_cluster(c, to, path, "to", &l->to))
		return -1;
	l->line = m->line;
	if (l->from == l->to)
		return topo_fail(c, m->line, path, "%s links to itself "
				 "(expected two different clusters)",
				 from->scalar);
	for (size_t i = 0; i < mc->n_links; i++)
		if (linked(&mc->links[i], l->from, l->to))
			return topo_fail(c, m->line, path, "%s and %s are "
					 "already linked (line %d): one link "
					 "carries both directions",
					 from->scalar, to->scalar,
					 mc->links[i].line);
	mc->n_links++;
	return 0;
}

static int decode_links(struct topo_ctx *c)
{
	struct topo_multicluster *mc = &c->t->mc;
	const struct doc_node *seq;
	char path[TOPO_PATH_MAX];

	if (list_of(c, c->mc, "links", MC ".links", "links such as "
		    "{from: C1, to: C0}", &seq))
		return -1;
	if (!seq || !seq->n)
		return 0;
	mc->links = calloc(seq->n, sizeof(*mc->links));
	if (!mc->links)
		return topo_fail(c, seq->line, MC ".links", "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		snprintf(path, sizeof(path), MC ".links[%zu]", i);
		if (decode_link(c, seq->items[i], path))
			return -1;
	}
	return 0;
}

/* Clusters connected to ci through links, directly or not. */
static void reachable(const struct topology *t, size_t ci, bool *seen)
{
	bool more = true;

	memset(seen, 0, t->n_clusters * sizeof(*seen));
	seen[ci] = true;
	while (more) {
		more = false;
		for (size_t i = 0; i < t->mc.n_links; i++) {
			const struct topo_mc_link *l = &t->mc.links[i];

			if (seen[l->from] != seen[l->to]) {
				seen[l->from] = seen[l->to] = true;
				more = true;
			}
		}
	}
}

static int find_target(struct topo_ctx *c, const struct doc_node *v,
		       const char *path, struct topo_mc_export *e)
{
	const struct topology *t = c->t;
	const char *cl = t->clusters[e->cluster].name;
	size_t pod = 0, svc = 0;
	bool is_pod = false, is_svc = false;

	for (size_t i = 0; i < t->n_pods && !is_pod; i++)
		if (t->pods[i].cluster == e->cluster &&
		    !strcmp(t->pods[i].name, v->scalar)) {
			pod = i;
			is_pod = true;
		}
	for (size_t i = 0; i < t->n_services && !is_svc; i++)
		if (t->services[i].cluster == e->cluster &&
		    !strcmp(t->services[i].spec.name, v->scalar)) {
			svc = i;
			is_svc = true;
		}
	if (is_pod && is_svc)
		return topo_fail(c, v->line, path, "target: \"%s\" names both "
				 "a pod and a service of cluster %s (expected "
				 "a name that is only one of them)", v->scalar,
				 cl);
	if (!is_pod && !is_svc)
		return topo_fail(c, v->line, path, "target: no pod or service "
				 "named \"%.40s\" in cluster %s", v->scalar, cl);
	e->kind = is_pod ? MC_TARGET_POD : MC_TARGET_SERVICE;
	e->target = is_pod ? pod : svc;
	return 0;
}

/* A service with ports must offer the exported port over TCP. */
static int check_service_port(struct topo_ctx *c, const struct topo_mc_export *e,
			      const char *path)
{
	const struct svc_spec *s = &c->t->services[e->target].spec;
	char list[128];
	size_t off = 0;

	if (!s->n_ports)
		return 0;
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].port == e->port &&
		    s->ports[i].proto == IPPROTO_TCP)
			return 0;
	list[0] = '\0';
	for (size_t i = 0; i < s->n_ports && off < sizeof(list); i++)
		off += (size_t)snprintf(list + off, sizeof(list) - off,
					"%s%u/%s", i ? ", " : "",
					s->ports[i].port,
					svc_proto_name(s->ports[i].proto));
	return topo_fail(c, e->line, path, "port: service %s has no TCP port "
			 "%u (its ports: %s)", s->name, e->port, list);
}

static int consumers_default(struct topo_ctx *c, struct topo_mc_export *e,
			     const bool *seen, const char *path)
{
	const struct topology *t = c->t;

	for (size_t i = 0; i < t->n_clusters; i++)
		if (seen[i] && i != e->cluster)
			e->consumers[e->n_consumers++] = i;
	if (!e->n_consumers)
		return topo_fail(c, e->line, path, "cluster %s has no "
				 "multicluster link (expected a links entry "
				 "from or to it)",
				 t->clusters[e->cluster].name);
	return 0;
}

static int decode_consumers(struct topo_ctx *c, const struct doc_node *m,
			    struct topo_mc_export *e, const char *path)
{
	const struct topology *t = c->t;
	char field[TOPO_PATH_MAX + 16];
	const struct doc_node *seq;
	bool *seen;
	int ret = 0;

	snprintf(field, sizeof(field), "%s.clusters", path);
	if (list_of(c, m, "clusters", field, "cluster names", &seq))
		return -1;
	if (seq && !seq->n)
		return topo_fail(c, seq->line, field, "empty (expected at "
				 "least one cluster, or no clusters field for "
				 "every linked cluster)");
	e->consumers = calloc(t->n_clusters, sizeof(*e->consumers));
	seen = calloc(t->n_clusters, sizeof(*seen));
	if (!e->consumers || !seen) {
		free(seen);
		return topo_fail(c, m->line, path, "out of memory");
	}
	reachable(t, e->cluster, seen);
	if (!seq) {
		ret = consumers_default(c, e, seen, path);
		free(seen);
		return ret;
	}
	for (size_t i = 0; !ret && i < seq->n; i++) {
		const struct doc_node *v = seq->items[i];
		size_t ci;

		if (v->type != DOC_SCALAR || doc_is_null(v)) {
			ret = topo_fail(c, v->line, field, "expected a list "
					"of cluster names");
			break;
		}
		if (find_cluster(c, v, field, "clusters", &ci)) {
			ret = -1;
			break;
		}
		for (size_t j = 0; j < e->n_consumers; j++)
			if (e->consumers[j] == ci)
				ret = topo_fail(c, v->line, field, "%s is "
						"listed twice", v->scalar);
		if (ret)
			break;
		if (ci == e->cluster)
			ret = topo_fail(c, v->line, field, "%s is the cluster "
					"the service lives in (expected the "
					"clusters that consume it)", v->scalar);
		else if (!seen[ci])
			ret = topo_fail(c, v->line, field, "%s is not linked "
					"to %s (expected a links entry joining "
					"them)", v->scalar,
					t->clusters[e->cluster].name);
		else
			e->consumers[e->n_consumers++] = ci;
	}
	free(seen);
	return ret;
}

static int check_name(struct topo_ctx *c, const struct doc_node *v,
		      const char *path)
{
	size_t len = strlen(v->scalar);

	if (len > TOPO_MC_NAME_MAX || strspn(v->scalar, TOPO_NAME_CHARSET) != len)
		return topo_fail(c, v->line, path, "name: \"%.40s\" is not an "
				 "export name (expected 1 to %d characters "
				 "from A-Z a-z 0-9 _ -)", v->scalar,
				 TOPO_MC_NAME_MAX);
	return 0;
}

/* Names and listening ports are unique over every export. */
static int check_unique(struct topo_ctx *c, const struct topo_mc_export *e,
			const char *path)
{
	const struct topo_multicluster *mc = &c->t->mc;

	if (e->listen == MC_PORT_AMQP || e->listen == MC_PORT_INTER_ROUTER)
		return topo_fail(c, e->line, path, "listen: port %u is the "
				 "router's own (%s; expected another port)",
				 e->listen, e->listen == MC_PORT_AMQP ?
				 "AMQP management" : "inter-router links");
	for (size_t i = 0; i < mc->n_exports; i++) {
		const struct topo_mc_export *o = &mc->exports[i];

		if (!strcmp(o->name, e->name))
			return topo_fail(c, e->line, path, "export \"%s\" is "
					 "declared twice (first on line %d)",
					 e->name, o->line);
		if (o->listen == e->listen)
			return topo_fail(c, e->line, path, "listen: port %u "
					 "is already opened for export \"%s\" "
					 "(line %d; expected one port per "
					 "export)", e->listen, o->name,
					 o->line);
	}
	return 0;
}

static int decode_export(struct topo_ctx *c, const struct doc_node *m,
			 const char *path)
{
	struct topo_multicluster *mc = &c->t->mc;
	struct topo_mc_export *e = &mc->exports[mc->n_exports];
	const struct doc_node *v;

	memset(e, 0, sizeof(*e));
	if (m->type != DOC_MAP || doc_is_null(m))
		return topo_fail(c, m->line, path, "expected a map of name, "
				 "cluster, target, port, listen, clusters");
	e->line = m->line;
	if (known_keys(c, m, path, export_keys,
		       "name, cluster, target, port, listen, clusters"))
		return -1;
	v = scalar(c, m, path, "name", "an export name such as web");
	if (!v || check_name(c, v, path))
		return -1;
	snprintf(e->name, sizeof(e->name), "%s", v->scalar);
	v = scalar(c, m, path, "cluster", "the cluster the service lives in");
	if (!v || find_cluster(c, v, path, "cluster", &e->cluster))
		return -1;
	v = scalar(c, m, path, "target", "a pod or a service of the cluster");
	if (!v || find_target(c, v, path, e) ||
	    port_value(c, m, path, "port", &e->port) ||
	    port_value(c, m, path, "listen", &e->listen))
		return -1;
	if (e->kind == MC_TARGET_SERVICE && check_service_port(c, e, path))
		return -1;
	if (check_unique(c, e, path))
		return -1;
	/* Counted now: its consumers are freed with it from here on. */
	mc->n_exports++;
	return decode_consumers(c, m, e, path);
}

static int decode_exports(struct topo_ctx *c)
{
	struct topo_multicluster *mc = &c->t->mc;
	const struct doc_node *seq;
	char path[TOPO_PATH_MAX];

	if (list_of(c, c->mc, "exports", MC ".exports", "exports such as "
		    "{name: web, cluster: C0, target: c4, port: 80, "
		    "listen: 1028}", &seq))
		return -1;
	if (!seq || !seq->n)
		return 0;
	mc->exports = calloc(seq->n, sizeof(*mc->exports));
	if (!mc->exports)
		return topo_fail(c, seq->line, MC ".exports", "out of memory");
	for (size_t i = 0; i < seq->n; i++) {
		snprintf(path, sizeof(path), MC ".exports[%zu]", i);
		if (decode_export(c, seq->items[i], path))
			return -1;
	}
	return 0;
}

static const struct node *router_node(const struct topology *t, size_t ci)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].cluster == ci && t->nodes[i].kind == NODE_WORKER)
			return &t->nodes[i];
	return NULL;
}

static bool is_linked(const struct topology *t, size_t ci)
{
	for (size_t i = 0; i < t->mc.n_links; i++)
		if (t->mc.links[i].from == ci || t->mc.links[i].to == ci)
			return true;
	return false;
}

/* Whether router node ci opens port for an export (where it lives: the
 * nginx gateway; where it is consumed: both kinds) or for itself. */
static const char *router_port_use(const struct topology *t, size_t ci,
				   uint16_t port)
{
	if (port == MC_PORT_AMQP || port == MC_PORT_INTER_ROUTER)
		return "the router itself";
	for (size_t i = 0; i < t->mc.n_exports; i++) {
		const struct topo_mc_export *e = &t->mc.exports[i];
		bool here = e->cluster == ci;

		for (size_t j = 0; !here && j < e->n_consumers; j++)
			here = e->consumers[j] == ci;
		if (here && e->listen == port)
			return e->name;
	}
	return NULL;
}

/* An ingress's nginx and a router cannot share a port of one worker. */
static int check_ingresses(struct topo_ctx *c)
{
	const struct topology *t = c->t;

	for (size_t i = 0; i < t->n_ingresses; i++) {
		const struct topo_ingress *g = &t->ingresses[i];
		const struct node *n = router_node(t, g->cluster);
		const char *use;

		if (!n || strcmp(n->name, g->spec.node) ||
		    !is_linked(t, g->cluster))
			continue;
		use = router_port_use(t, g->cluster, g->spec.port);
		if (use)
			return topo_fail(c, g->line, MC, "port %u of %s is "
					 "both ingress %s's and the "
					 "multi-cluster router's (%s; expected "
					 "another port for one of them)",
					 g->spec.port, n->name, g->spec.name,
					 use);
	}
	return 0;
}

int topo_check_multicluster(struct topo_ctx *c)
{
	if (!c->mc)
		return 0;
	c->t->mc.enabled = true;
	if (known_keys(c, c->mc, MC, mc_keys, "gateway, links, exports") ||
	    decode_gateway(c, c->mc) || decode_links(c) ||
	    decode_exports(c))
		return -1;
	return check_ingresses(c);
}

/* --- back to JSON --- */

static cJSON *link_entry(const struct topology *t, const struct topo_mc_link *l)
{
	cJSON *o = cJSON_CreateObject();

	if (o && (!cJSON_AddStringToObject(o, "from", t->clusters[l->from].name) ||
		  !cJSON_AddStringToObject(o, "to", t->clusters[l->to].name))) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *target_name(const struct topology *t,
			       const struct topo_mc_export *e)
{
	return e->kind == MC_TARGET_POD ? t->pods[e->target].name :
					  t->services[e->target].spec.name;
}

static cJSON *export_entry(const struct topology *t,
			   const struct topo_mc_export *e)
{
	cJSON *o = cJSON_CreateObject(), *list;
	bool ok;

	if (!o)
		return NULL;
	ok = cJSON_AddStringToObject(o, "name", e->name) &&
	     cJSON_AddStringToObject(o, "cluster", t->clusters[e->cluster].name) &&
	     cJSON_AddStringToObject(o, "target", target_name(t, e)) &&
	     cJSON_AddNumberToObject(o, "port", e->port) &&
	     cJSON_AddNumberToObject(o, "listen", e->listen);
	list = ok ? cJSON_AddArrayToObject(o, "clusters") : NULL;
	ok = list != NULL;
	for (size_t i = 0; ok && i < e->n_consumers; i++) {
		cJSON *s = cJSON_CreateString(t->clusters[e->consumers[i]].name);

		ok = s && cJSON_AddItemToArray(list, s);
		if (!ok)
			cJSON_Delete(s);
	}
	if (!ok) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

bool topo_json_multicluster(cJSON *root, const struct topology *t)
{
	const struct topo_multicluster *mc = &t->mc;
	cJSON *o, *links, *exports;

	if (!mc->enabled)
		return true;
	o = cJSON_AddObjectToObject(root, MC);
	if (!o || !cJSON_AddStringToObject(o, "gateway", mc_gateway_name(mc->gateway)))
		return false;
	links = cJSON_AddArrayToObject(o, "links");
	exports = cJSON_AddArrayToObject(o, "exports");
	if (!links || !exports)
		return false;
	for (size_t i = 0; i < mc->n_links; i++) {
		cJSON *l = link_entry(t, &mc->links[i]);

		if (!l || !cJSON_AddItemToArray(links, l)) {
			cJSON_Delete(l);
			return false;
		}
	}
	for (size_t i = 0; i < mc->n_exports; i++) {
		cJSON *e = export_entry(t, &mc->exports[i]);

		if (!e || !cJSON_AddItemToArray(exports, e)) {
			cJSON_Delete(e);
			return false;
		}
	}
	return true;
}
