// SPDX-License-Identifier: MIT
/* Other workers' subnet leases, followed through a watch on the lease
 * prefix and mirrored into the routing datapath: one route (bpf) or one
 * neighbour + FDB entry + route (kernel) per remote worker. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cidr.h"
#include "log.h"

static bool same_lease(const struct subnet_lease *a, const struct subnet_lease *b)
{
	return a->subnet.addr == b->subnet.addr && a->subnet.len == b->subnet.len &&
	       a->public_ip == b->public_ip &&
	       !memcmp(a->vtep_mac, b->vtep_mac, sizeof(a->vtep_mac));
}

static struct routing_lease to_routing(const struct subnet_lease *l)
{
	struct routing_lease r = { .subnet = l->subnet, .public_ip = l->public_ip };

	memcpy(r.vtep_mac, l->vtep_mac, sizeof(r.vtep_mac));
	return r;
}

static ssize_t find(const struct agent *a, const struct cidr *subnet)
{
	for (size_t i = 0; i < a->n_remote; i++)
		if (a->remote[i].subnet.addr == subnet->addr &&
		    a->remote[i].subnet.len == subnet->len)
			return (ssize_t)i;
	return -1;
}

static void remove_at(struct agent *a, size_t i)
{
	struct routing_lease r = to_routing(&a->remote[i]);
	char s[CIDR_STRLEN], ip[IP4_STRLEN];
	int ret = a->routing->lease_del(&r);

	if (ret)
		log_warn("lease %s: remove from datapath: %s",
			 cidr_format(&r.subnet, s), strerror(-ret));
	else
		log_info("lease %s of %s removed", cidr_format(&r.subnet, s),
			 ip4_format(r.public_ip, ip));
	a->remote[i] = a->remote[--a->n_remote];
}

/* Installs (or updates) a lease that is not ours. */
static void upsert(struct agent *a, const struct subnet_lease *l)
{
	char s[CIDR_STRLEN], ip[IP4_STRLEN];
	struct routing_lease r;
	struct subnet_lease *tmp;
	ssize_t i = find(a, &l->subnet);
	int ret;

	if (l->public_ip == a->address)
		return; /* ours (or a stale one of ours) */
	if (i >= 0 && same_lease(&a->remote[i], l))
		return;
	if (i >= 0)
		remove_at(a, (size_t)i);
	r = to_routing(l);
	ret = a->routing->lease_add(&r);
	if (ret) {
		log_err("lease %s of %s: install: %s", cidr_format(&l->subnet, s),
			ip4_format(l->public_ip, ip), strerror(-ret));
		return;
	}
	tmp = realloc(a->remote, (a->n_remote + 1) * sizeof(*tmp));
	if (!tmp) {
		log_err("out of memory");
		return;
	}
	a->remote = tmp;
	a->remote[a->n_remote++] = *l;
	log_info("lease %s of %s installed", cidr_format(&l->subnet, s),
		 ip4_format(l->public_ip, ip));
}

int agent_leases_resync(struct agent *a)
{
	struct etcd_kv *kvs;
	struct subnet_lease *seen;
	size_t n, n_seen = 0;
	int64_t rev;
	char err[256];
	int ret;

	ret = etcd_range_prefix(a->etcd, LEASE_PREFIX, &kvs, &n, &rev);
	if (ret) {
		log_err("read leases: %s", etcd_error(a->etcd));
		return ret;
	}
	seen = calloc(n ? n : 1, sizeof(*seen));
	if (!seen) {
		etcd_kvs_free(kvs, n);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		if (lease_from_kv(&a->net, &kvs[i], &seen[n_seen], err, sizeof(err))) {
			log_warn("lease ignored: %s", err);
			continue;
		}
		upsert(a, &seen[n_seen++]);
	}
	/* Drop what etcd no longer has. */
	for (size_t i = a->n_remote; i-- > 0;) {
		bool present = false;

		for (size_t j = 0; j < n_seen && !present; j++)
			present = same_lease(&a->remote[i], &seen[j]);
		if (!present)
			remove_at(a, i);
	}
	free(seen);
	etcd_kvs_free(kvs, n);
	if (a->watch)
		ret = etcd_watch_restart(a->watch, rev + 1);
	else
		ret = etcd_watch_open(a->etcd, LEASE_PREFIX, rev + 1, &a->watch);
	if (ret)
		log_err("watch %s: %s", LEASE_PREFIX, strerror(-ret));
	return ret;
}

void agent_leases_event(struct agent *a, const struct etcd_event *ev)
{
	struct etcd_kv kv = { 0 };
	struct subnet_lease l;
	struct cidr subnet;
	char err[256];
	ssize_t i;

	switch (ev->type) {
	case ETCD_EV_RESYNC:
		log_warn("lease history compacted at revision %lld: reading all leases again",
			 (long long)ev->mod_revision);
		agent_leases_resync(a);
		return;
	case ETCD_EV_DELETE:
		if (lease_key_parse(ev->key, &subnet))
			return;
		i = find(a, &subnet);
		if (i >= 0)
			remove_at(a, (size_t)i);
		return;
	case ETCD_EV_PUT:
		kv.key = ev->key;
		kv.key_len = ev->key_len;
		kv.val = ev->val;
		kv.len = ev->len;
		kv.mod_revision = ev->mod_revision;
		kv.create_revision = ev->create_revision;
		kv.lease = ev->lease;
		if (lease_from_kv(&a->net, &kv, &l, err, sizeof(err))) {
			log_warn("lease ignored: %s", err);
			return;
		}
		upsert(a, &l);
		return;
	}
}

void agent_leases_free(struct agent *a)
{
	free(a->remote);
	a->remote = NULL;
	a->n_remote = 0;
}
