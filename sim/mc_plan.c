// SPDX-License-Identifier: MIT
#include "mc_plan.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "nginx_gateway.h"
#include "skrouter_conf.h"

#define PEER_PREFIX "link-"

bool mc_cluster_linked(const struct topology *t, size_t ci)
{
	for (size_t i = 0; i < t->mc.n_links; i++)
		if (t->mc.links[i].from == ci || t->mc.links[i].to == ci)
			return true;
	return false;
}

const struct node *mc_router_node(const struct topology *t, size_t ci)
{
	for (size_t i = 0; i < t->n_nodes; i++)
		if (t->nodes[i].cluster == ci && t->nodes[i].kind == NODE_WORKER)
			return &t->nodes[i];
	return NULL;
}

enum mc_gateway mc_gateway_resolve(enum mc_gateway g, bool have_skrouterd)
{
	if (g != MC_GATEWAY_AUTO)
		return g;
	return have_skrouterd ? MC_GATEWAY_SKUPPER : MC_GATEWAY_NGINX;
}

static bool consumes(const struct topo_mc_export *e, size_t ci)
{
	for (size_t i = 0; i < e->n_consumers; i++)
		if (e->consumers[i] == ci)
			return true;
	return false;
}

bool mc_nginx_needed(const struct topology *t, size_t ci)
{
	for (size_t i = 0; i < t->mc.n_exports; i++)
		if (t->mc.exports[i].cluster == ci ||
		    consumes(&t->mc.exports[i], ci))
			return true;
	return false;
}

char *mc_path(const char *dir, const char *cluster, const char *leaf,
	      char *buf)
{
	int n = cluster ? snprintf(buf, PATH_MAX, "%s/%s/%s", dir, cluster, leaf) :
			  snprintf(buf, PATH_MAX, "%s/%s", dir, leaf);

	return n < 0 || n >= PATH_MAX ? NULL : buf;
}

/* Every path a configuration names, and the router node's address. */
struct site {
	char ca[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	char pid[PATH_MAX], errlog[PATH_MAX], access[PATH_MAX];
	char addr[IP4_STRLEN];
	const struct node *node;
};

static int site_init(const struct topology *t, size_t ci, const char *dir,
		     struct site *s, char *err, size_t errlen)
{
	const char *cl = t->clusters[ci].name;

	s->node = mc_router_node(t, ci);
	if (!s->node) {
		snprintf(err, errlen, "cluster %s has no worker to run its router", cl);
		return -1;
	}
	ip4_format(s->node->addr, s->addr);
	if (!mc_path(dir, NULL, MC_CA_CERT, s->ca) ||
	    !mc_path(dir, cl, MC_CERT, s->cert) ||
	    !mc_path(dir, cl, MC_KEY, s->key) ||
	    !mc_path(dir, cl, MC_NGX_PID, s->pid) ||
	    !mc_path(dir, cl, MC_NGX_ERRLOG, s->errlog) ||
	    !mc_path(dir, cl, MC_NGX_ACCESS, s->access)) {
		snprintf(err, errlen, "%s: path too long", dir);
		return -1;
	}
	return 0;
}

/* The strings the generators point at, for one configuration. */
struct strings {
	char (*s)[IP4_STRLEN + 64];
	size_t n;
};

static const char *keep(struct strings *st, const char *text)
{
	snprintf(st->s[st->n], sizeof(st->s[0]), "%s", text);
	return st->s[st->n++];
}

static const char *keep_ip(struct strings *st, uint32_t ip)
{
	char buf[IP4_STRLEN];

	return keep(st, ip4_format(ip, buf));
}

struct skr_lists {
	struct skr_peer *peers;
	struct skr_tcp *conn, *lis;
	struct strings str;
};

static void skr_lists_free(struct skr_lists *l)
{
	free(l->peers);
	free(l->conn);
	free(l->lis);
	free(l->str.s);
}

static int skr_lists_alloc(const struct topology *t, struct skr_lists *l)
{
	size_t n = t->mc.n_links + 2 * t->mc.n_exports + 1;

	l->peers = calloc(t->mc.n_links + 1, sizeof(*l->peers));
	l->conn = calloc(t->mc.n_exports + 1, sizeof(*l->conn));
	l->lis = calloc(t->mc.n_exports + 1, sizeof(*l->lis));
	l->str.s = calloc(2 * n, sizeof(*l->str.s));
	return l->peers && l->conn && l->lis && l->str.s ? 0 : -1;
}

static void skr_fill(const struct topology *t, size_t ci,
		     const uint32_t *target_ip, struct skr_config *c,
		     struct skr_lists *l)
{
	for (size_t i = 0; i < t->mc.n_links; i++) {
		const struct topo_mc_link *k = &t->mc.links[i];
		char name[64];

		if (k->to == ci) {
			c->listen_host = MC_LISTEN_ANY;
			c->listen_port = SKR_PORT_INTER_ROUTER;
		}
		if (k->from != ci)
			continue;
		snprintf(name, sizeof(name), PEER_PREFIX "%s",
			 t->clusters[k->to].name);
		l->peers[c->n_peers].name = keep(&l->str, name);
		l->peers[c->n_peers].host =
			keep_ip(&l->str, mc_router_node(t, k->to)->addr);
		l->peers[c->n_peers++].port = SKR_PORT_INTER_ROUTER;
	}
	for (size_t i = 0; i < t->mc.n_exports; i++) {
		const struct topo_mc_export *e = &t->mc.exports[i];

		if (e->cluster == ci) {
			l->conn[c->n_connectors].address = e->name;
			l->conn[c->n_connectors].host = keep_ip(&l->str, target_ip[i]);
			l->conn[c->n_connectors++].port = e->port;
		} else if (consumes(e, ci)) {
			l->lis[c->n_listeners].address = e->name;
			l->lis[c->n_listeners].host = MC_LISTEN_ANY;
			l->lis[c->n_listeners++].port = e->listen;
		}
	}
	c->peers = l->peers;
	c->connectors = l->conn;
	c->listeners = l->lis;
}

char *mc_render_skrouter(const struct topology *t, size_t ci, const char *dir,
			 const uint32_t *target_ip, char *err, size_t errlen)
{
	struct skr_lists l = { 0 };
	struct skr_config c = {
		.id = t->clusters[ci].name,
		.mgmt_host = MC_MGMT_HOST,
		.mgmt_port = SKR_PORT_AMQP,
		.worker_threads = 1,
	};
	struct site *s = calloc(1, sizeof(*s));
	char *out = NULL;

	if (!s || skr_lists_alloc(t, &l)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (site_init(t, ci, dir, s, err, errlen))
		goto out;
	c.ca_file = s->ca;
	c.cert_file = s->cert;
	c.key_file = s->key;
	skr_fill(t, ci, target_ip, &c, &l);
	out = skr_config_render(&c, err, errlen);
out:
	skr_lists_free(&l);
	free(s);
	return out;
}

struct ngw_lists {
	struct ngw_export *exp;
	struct ngw_import *imp;
	struct strings str;
};

static void ngw_fill(const struct topology *t, size_t ci,
		     const uint32_t *target_ip, struct ngw_config *c,
		     struct ngw_lists *l)
{
	for (size_t i = 0; i < t->mc.n_exports; i++) {
		const struct topo_mc_export *e = &t->mc.exports[i];
		const struct node *peer = mc_router_node(t, e->cluster);

		if (e->cluster == ci) {
			struct ngw_export *x = &l->exp[c->n_exports++];

			x->name = e->name;
			x->listen = e->listen;
			x->target_host = keep_ip(&l->str, target_ip[i]);
			x->target_port = e->port;
		} else if (consumes(e, ci)) {
			struct ngw_import *m = &l->imp[c->n_imports++];

			m->name = e->name;
			m->listen = e->listen;
			m->remote_host = keep_ip(&l->str, peer->addr);
			m->remote_port = e->listen;
			m->remote_name = peer->name;
		}
	}
	c->exports = l->exp;
	c->imports = l->imp;
}

char *mc_render_nginx(const struct topology *t, size_t ci, const char *dir,
		      const uint32_t *target_ip, const char *stream_module,
		      char *err, size_t errlen)
{
	size_t n = t->mc.n_exports + 1;
	struct ngw_lists l = {
		.exp = calloc(n, sizeof(*l.exp)),
		.imp = calloc(n, sizeof(*l.imp)),
		.str.s = calloc(n, sizeof(*l.str.s)),
	};
	struct ngw_config c = {
		.cluster = t->clusters[ci].name,
		.listen_host = MC_LISTEN_ANY,
		.stream_module = stream_module,
	};
	struct site *s = calloc(1, sizeof(*s));
	char *out = NULL;

	if (!s || !l.exp || !l.imp || !l.str.s) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (site_init(t, ci, dir, s, err, errlen))
		goto out;
	c.ca_file = s->ca;
	c.cert_file = s->cert;
	c.key_file = s->key;
	c.pid_file = s->pid;
	c.error_log = s->errlog;
	c.access_log = s->access;
	ngw_fill(t, ci, target_ip, &c, &l);
	out = ngw_render(&c, err, errlen);
out:
	free(l.exp);
	free(l.imp);
	free(l.str.s);
	free(s);
	return out;
}
