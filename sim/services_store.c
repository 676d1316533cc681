// SPDX-License-Identifier: MIT
/* Service creation: the VIP rules, conflicts with the services and pods
 * in etcd, then one etcd_create, so a rejected service leaves nothing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "etcd_cluster.h"
#include "services_store.h"

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

int service_vip_check(const struct topology *t, size_t cluster, uint32_t vip,
		      char *err, size_t errlen)
{
	const struct cidr *net = &t->clusters[cluster].net.network;
	char ip[IP4_STRLEN], c[CIDR_STRLEN];
	uint8_t first = (uint8_t)(vip >> 24);

	ip4_format(vip, ip);
	if (first == 0 || first == 127 || first >= 224)
		return fail(err, errlen, -EINVAL,
			    "VIP %s: not a unicast address (0/8, 127/8, multicast and 240/4 are not allowed)", ip);
	if (cidr_contains(net, vip))
		return fail(err, errlen, -EINVAL,
			    "VIP %s is inside the pod network %s of cluster %s",
			    ip, cidr_format(net, c), t->clusters[cluster].name);
	if (cidr_contains(&t->underlay, vip))
		return fail(err, errlen, -EINVAL,
			    "VIP %s is inside the underlay subnet %s", ip,
			    cidr_format(&t->underlay, c));
	return 0;
}

int service_conflict(const struct svc_spec *s, const struct svc_spec *o,
		     char *err, size_t errlen)
{
	char ip[IP4_STRLEN];

	if (o->vip != s->vip)
		return 0;
	ip4_format(s->vip, ip);
	if (!o->n_ports || !s->n_ports)
		return fail(err, errlen, -EEXIST,
			    "VIP %s is already used by service %s/%s%s", ip,
			    o->ns, o->name,
			    o->n_ports ? " (a VIP-only service takes every port)" :
			    " (VIP-only: every port)");
	for (size_t i = 0; i < s->n_ports; i++)
		for (size_t j = 0; j < o->n_ports; j++)
			if (s->ports[i].port == o->ports[j].port &&
			    s->ports[i].proto == o->ports[j].proto)
				return fail(err, errlen, -EEXIST,
					    "%s:%u/%s is already used by service %s/%s",
					    ip, s->ports[i].port,
					    svc_proto_name(s->ports[i].proto),
					    o->ns, o->name);
	return 0;
}

static bool pod_exists(const char *ns, const char *name,
		       const struct etcd_kv *kvs, size_t n)
{
	char kind, kns[PROXY_NAME_MAX + 1], kname[PROXY_NAME_MAX + 1];

	for (size_t i = 0; i < n; i++)
		if (!svc_key_parse(kvs[i].key, &kind, kns, kname) && kind == 'p' &&
		    !strcmp(kns, ns) && !strcmp(kname, name))
			return true;
	return false;
}

int service_check_existing(const struct svc_spec *s, const struct etcd_kv *kvs,
			   size_t n, char *err, size_t errlen)
{
	struct svc_spec *o = malloc(sizeof(*o));
	char kind, ns[PROXY_NAME_MAX + 1], name[PROXY_NAME_MAX + 1];
	int ret = 0;

	if (!o)
		return fail(err, errlen, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		if (svc_key_parse(kvs[i].key, &kind, ns, name) || kind != 's')
			continue;
		if (!strcmp(ns, s->ns) && !strcmp(name, s->name)) {
			ret = fail(err, errlen, -EEXIST,
				   "service %s/%s already exists", ns, name);
			break;
		}
		if (svc_parse(kvs[i].val, kvs[i].len, o, NULL, 0))
			continue; /* not a service the agents use */
		ret = service_conflict(s, o, err, errlen);
	}
	for (size_t i = 0; s->by_name && i < s->n_pods && !ret; i++)
		if (!pod_exists(s->ns, s->pods[i], kvs, n))
			ret = fail(err, errlen, -ENOENT,
				   "no pod named %s in namespace %s (see 'knetsim pod list')",
				   s->pods[i], s->ns);
	free(o);
	return ret;
}

int service_create(const struct state *st, const struct topology *t,
		   size_t cluster, const struct svc_spec *s, char *err,
		   size_t errlen)
{
	char key[256], why[512], *json = NULL;
	struct etcd_kv *kvs = NULL;
	struct etcd *e;
	size_t n = 0;
	int ret;

	ret = service_vip_check(t, cluster, s->vip, err, errlen);
	if (ret)
		return ret;
	if (svc_key(s->ns, s->name, key, sizeof(key)))
		return fail(err, errlen, -ENAMETOOLONG, "service name too long");
	e = etcd_cluster_client(st, t, cluster, why, sizeof(why));
	if (!e)
		return fail(err, errlen, -EIO, "cluster %s: %s",
			    t->clusters[cluster].name, why);
	ret = etcd_range_prefix(e, SVC_ROOT, &kvs, &n, NULL);
	if (ret) {
		ret = fail(err, errlen, ret, "cluster %s: etcd: %s",
			   t->clusters[cluster].name, etcd_error(e));
		goto out;
	}
	ret = service_check_existing(s, kvs, n, why, sizeof(why));
	if (ret) {
		ret = fail(err, errlen, ret, "cluster %s: %s",
			   t->clusters[cluster].name, why);
		goto out;
	}
	json = svc_to_json(s);
	if (!json) {
		ret = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	ret = etcd_create(e, key, json, strlen(json), 0);
	if (ret == -EEXIST)
		fail(err, errlen, ret, "cluster %s: service %s/%s already exists",
		     t->clusters[cluster].name, s->ns, s->name);
	else if (ret)
		fail(err, errlen, ret, "cluster %s: etcd: %s",
		     t->clusters[cluster].name, etcd_error(e));
out:
	free(json);
	etcd_kvs_free(kvs, n);
	etcd_close(e);
	return ret;
}
