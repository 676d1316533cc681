// SPDX-License-Identifier: MIT
/* Ingress creation: the worker, the services behind the paths, the port
 * against the worker's other ingresses, then one conditional etcd write
 * (create, or replace at the revision read), so nothing is half-applied. */
#include "ingress_store.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "etcd_cluster.h"
#include "progress.h"

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return ret;
}

int ingress_worker_check(const struct topology *t, const char *node,
			 size_t *cluster, char *err, size_t errlen)
{
	const struct node *n = topology_node(t, node);

	if (!n)
		return fail(err, errlen, -ENOENT, "no node named %s", node);
	if (n->kind != NODE_WORKER)
		return fail(err, errlen, -ENOENT, "%s is an %s member, not a "
			    "worker (an ingress runs on a worker)", node,
			    node_kind_name(n->kind));
	*cluster = n->cluster;
	return 0;
}

static bool serves_port(const struct svc_spec *s, uint16_t port)
{
	if (!s->n_ports)
		return true;
	for (size_t i = 0; i < s->n_ports; i++)
		if (s->ports[i].port == port && s->ports[i].proto == IPPROTO_TCP)
			return true;
	return false;
}

static void port_list(const struct svc_spec *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_ports && off < len; i++) {
		int r = snprintf(buf + off, len - off, "%s%u/%s", i ? ", " : "",
				 s->ports[i].port, svc_proto_name(s->ports[i].proto));

		if (r < 0)
			break;
		off += (size_t)r;
	}
}

/* The service a VIP names for a port: the one serving the port, else
 * any with the VIP (for the message). */
static const struct svc_spec *by_vip(const struct svc_spec *svcs, size_t n,
				     const char *ns, uint32_t vip,
				     uint16_t port)
{
	const struct svc_spec *any = NULL;

	for (size_t i = 0; i < n; i++) {
		if (svcs[i].vip != vip || strcmp(svcs[i].ns, ns))
			continue;
		if (serves_port(&svcs[i], port))
			return &svcs[i];
		any = &svcs[i];
	}
	return any;
}

static const struct svc_spec *by_name(const struct svc_spec *svcs, size_t n,
				      const char *ns, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(svcs[i].ns, ns) && !strcmp(svcs[i].name, name))
			return &svcs[i];
	return NULL;
}

static int resolve_path(struct ingress_path *p, const char *ns,
			const struct svc_spec *svcs, size_t n,
			const char *cluster, char *err, size_t errlen)
{
	const struct svc_spec *s;
	char ip[IP4_STRLEN], ports[160];
	uint32_t vip;

	if (!ip4_parse(p->service, &vip)) {
		s = by_vip(svcs, n, ns, vip, p->port);
		if (!s)
			return fail(err, errlen, -ENOENT, "path %s: no service "
				    "with VIP %s in cluster %s (see 'knetsim "
				    "service list')", p->path, p->service,
				    cluster);
	} else {
		s = by_name(svcs, n, ns, p->service);
		if (!s)
			return fail(err, errlen, -ENOENT, "path %s: no service "
				    "named %s in namespace %s of cluster %s "
				    "(see 'knetsim service list')", p->path,
				    p->service, ns, cluster);
	}
	if (!serves_port(s, p->port)) {
		port_list(s, ports, sizeof(ports));
		return fail(err, errlen, -ENOENT, "path %s: service %s (%s) has "
			    "no TCP port %u (its ports: %s)", p->path, s->name,
			    ip4_format(s->vip, ip), p->port, ports);
	}
	memset(p->service, 0, sizeof(p->service));
	snprintf(p->service, sizeof(p->service), "%s", s->name);
	return 0;
}

int ingress_resolve(struct ingress_spec *s, const struct svc_spec *svcs,
		    size_t n, const char *cluster, char *err, size_t errlen)
{
	for (size_t i = 0; i < s->n_paths; i++) {
		int ret = resolve_path(&s->paths[i], s->ns, svcs, n, cluster,
				       err, errlen);

		if (ret)
			return ret;
	}
	return 0;
}

int ingress_check_existing(const struct ingress_spec *s, bool replace,
			   const struct etcd_kv *kvs, size_t n, char *err,
			   size_t errlen)
{
	struct ingress_spec *o = malloc(sizeof(*o));
	char ns[INGRESS_NAME_MAX + 1], name[INGRESS_NAME_MAX + 1];
	int ret = 0;

	if (!o)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		if (ingress_key_parse(kvs[i].key, ns, name))
			continue;
		if (!strcmp(ns, s->ns) && !strcmp(name, s->name)) {
			if (!replace)
				ret = fail(err, errlen, -EEXIST, "ingress %s/%s "
					   "already exists (replace it with "
					   "'knetsim ingress replace')", ns, name);
			continue;
		}
		if (ingress_parse(kvs[i].val, kvs[i].len, o, NULL, 0))
			continue; /* not one the controllers serve */
		ret = ingress_conflict(s, o, err, errlen);
	}
	free(o);
	return ret;
}

/* The services of the range read, parsed; *out malloc'd. */
static int services_of(const struct etcd_kv *kvs, size_t n,
		       struct svc_spec **out, size_t *n_out)
{
	char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];
	struct svc_spec *v;
	size_t count = 0;

	*n_out = 0;
	for (size_t i = 0; i < n; i++)
		count += !svc_key_parse(kvs[i].key, &kind, ns, name) && kind == 's';
	v = calloc(count ? count : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		if (!svc_key_parse(kvs[i].key, &kind, ns, name) && kind == 's' &&
		    !svc_parse(kvs[i].val, kvs[i].len, &v[*n_out], NULL, 0))
			(*n_out)++;
	*out = v;
	return 0;
}

/* The revision of s's key in kvs, 0 when absent. */
static int64_t revision_of(const struct ingress_spec *s,
			   const struct etcd_kv *kvs, size_t n)
{
	char key[256];

	if (ingress_key(s->ns, s->name, key, sizeof(key)))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kvs[i].key, key))
			return kvs[i].mod_revision;
	return 0;
}

static int write_object(struct etcd *e, const struct ingress_spec *s,
			int64_t rev, const char *cluster, char *err,
			size_t errlen)
{
	char key[256], *json = ingress_to_json(s);
	int ret;

	if (!json)
		return fail(err, errlen, -ENOMEM, "out of memory");
	if (ingress_key(s->ns, s->name, key, sizeof(key))) {
		free(json);
		return fail(err, errlen, -ENAMETOOLONG, "ingress name too long");
	}
	ret = rev ? etcd_replace(e, key, json, strlen(json), 0, rev) :
		    etcd_create(e, key, json, strlen(json), 0);
	free(json);
	if (ret == -EEXIST || ret == -ECANCELED)
		return fail(err, errlen, ret, "cluster %s: ingress %s/%s changed "
			    "meanwhile; try again", cluster, s->ns, s->name);
	if (ret)
		return fail(err, errlen, ret, "cluster %s: etcd: %s", cluster,
			    etcd_error(e));
	return 0;
}

int ingress_create(const struct state *st, const struct topology *t,
		   struct ingress_spec *s, bool replace, char *err,
		   size_t errlen)
{
	struct svc_spec *svcs = NULL;
	struct etcd_kv *kvs = NULL;
	size_t cluster, n = 0, n_svcs = 0;
	const char *cname;
	char why[512];
	struct etcd *e;
	int ret;

	ret = ingress_validate(s, why, sizeof(why));
	if (!ret)
		ret = ingress_worker_check(t, s->node, &cluster, why, sizeof(why));
	if (ret)
		return fail(err, errlen, ret, "ingress %s: %s", s->name, why);
	cname = t->clusters[cluster].name;
	e = etcd_cluster_client(st, t, cluster, why, sizeof(why));
	if (!e)
		return fail(err, errlen, -EIO, "cluster %s: %s", cname, why);
	ret = etcd_range_prefix(e, SVC_ROOT, &kvs, &n, NULL);
	if (ret) {
		fail(err, errlen, ret, "cluster %s: etcd: %s", cname, etcd_error(e));
		goto out;
	}
	ret = services_of(kvs, n, &svcs, &n_svcs);
	if (!ret)
		ret = ingress_resolve(s, svcs, n_svcs, cname, why, sizeof(why));
	if (!ret)
		ret = ingress_check_existing(s, replace, kvs, n, why, sizeof(why));
	if (ret) {
		fail(err, errlen, ret, "ingress %s: %s", s->name,
		     ret == -ENOMEM ? "out of memory" : why);
		goto out;
	}
	ret = write_object(e, s, replace ? revision_of(s, kvs, n) : 0, cname,
			   err, errlen);
out:
	free(svcs);
	etcd_kvs_free(kvs, n);
	etcd_close(e);
	return ret;
}

int ingress_phase(const struct state *st, const struct topology *t,
		  char *err, size_t errlen)
{
	struct ingress_spec *s;

	if (!t->n_ingresses)
		return 0;
	s = malloc(sizeof(*s));
	if (!s)
		return fail(err, errlen, -ENOMEM, "out of memory");
	progress_phase("ingresses", (unsigned)t->n_ingresses);
	for (size_t i = 0; i < t->n_ingresses; i++) {
		int ret;

		*s = t->ingresses[i].spec;
		ret = ingress_create(st, t, s, false, err, errlen);
		if (ret) {
			free(s);
			return ret;
		}
		progress_step((unsigned)i + 1);
	}
	free(s);
	progress_done("%zu ingresses in etcd", t->n_ingresses);
	return 0;
}
