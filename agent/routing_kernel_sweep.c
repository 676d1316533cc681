// SPDX-License-Identifier: MIT
/* Routing "kernel": the restart sweep of flannel.<VNI> (what it removes
 * and why: routing_kernel_sweep.h). Selection is pure; the netlink part
 * reads the three tables, then deletes, so nothing is deleted while a dump
 * is still being read. */
#include "routing_kernel_sweep.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "log.h"
#include "mac.h"
#include "nl.h"
#include "nl_overlay.h"

static bool mac_zero(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !memcmp(mac, zero, sizeof(zero));
}

static bool mac_unicast(const uint8_t mac[6])
{
	return !(mac[0] & 1) && !mac_zero(mac);
}

/* --- what routing_kernel.c could have installed --- */

static bool neigh_ours(const struct nl_neigh_entry *n,
		       const struct cidr *network)
{
	return (n->state & NUD_PERMANENT) && n->has_mac &&
	       cidr_contains(network, n->ip);
}

static bool fdb_ours(const struct nl_fdb_entry *f)
{
	return (f->state & NUD_PERMANENT) && f->dst && mac_unicast(f->mac);
}

static bool route_ours(const struct nl_route_entry *r,
		       const struct cidr *network)
{
	struct cidr dst = { .addr = r->dst, .len = r->len };

	return r->type == RTN_UNICAST && r->protocol == RTPROT_STATIC &&
	       r->onlink && r->len > network->len && r->len <= 32 &&
	       r->gw == r->dst && !(r->dst & ~cidr_mask(r->len)) &&
	       cidr_contains_cidr(network, &dst);
}

/* --- what a current lease explains --- */

static bool neigh_explained(const struct nl_neigh_entry *n,
			    const struct routing_lease *l, size_t nl)
{
	for (size_t i = 0; i < nl; i++)
		if (l[i].subnet.addr == n->ip)
			return true;
	return false;
}

static bool fdb_explained(const struct nl_fdb_entry *f,
			  const struct routing_lease *l, size_t nl)
{
	for (size_t i = 0; i < nl; i++)
		if (l[i].public_ip == f->dst &&
		    (mac_zero(l[i].vtep_mac) ||
		     !memcmp(l[i].vtep_mac, f->mac, sizeof(f->mac))))
			return true;
	return false;
}

static bool route_explained(const struct nl_route_entry *r,
			    const struct routing_lease *l, size_t nl)
{
	for (size_t i = 0; i < nl; i++)
		if (l[i].subnet.addr == r->dst && l[i].subnet.len == r->len)
			return true;
	return false;
}

void rk_sweep_select(struct rk_entries *e, const struct cidr *network,
		     const struct routing_lease *leases, size_t n)
{
	size_t k;

	if (!leases)
		n = 0;
	k = 0;
	for (size_t i = 0; i < e->n_neigh; i++)
		if (neigh_ours(&e->neigh[i], network) &&
		    !neigh_explained(&e->neigh[i], leases, n))
			e->neigh[k++] = e->neigh[i];
	e->n_neigh = k;
	k = 0;
	for (size_t i = 0; i < e->n_fdb; i++)
		if (fdb_ours(&e->fdb[i]) &&
		    !fdb_explained(&e->fdb[i], leases, n))
			e->fdb[k++] = e->fdb[i];
	e->n_fdb = k;
	k = 0;
	for (size_t i = 0; i < e->n_route; i++)
		if (route_ours(&e->route[i], network) &&
		    !route_explained(&e->route[i], leases, n))
			e->route[k++] = e->route[i];
	e->n_route = k;
}

/* --- the kernel side --- */

static void entries_free(struct rk_entries *e)
{
	free(e->neigh);
	free(e->fdb);
	free(e->route);
	memset(e, 0, sizeof(*e));
}

/* The device's three tables; -ENODEV when it is gone. */
static int entries_read(struct nlh *h, const char *vx, struct rk_entries *e)
{
	int ret;

	memset(e, 0, sizeof(*e));
	ret = nl_neigh_dump(h, vx, &e->neigh);
	if (ret >= 0) {
		e->n_neigh = (size_t)ret;
		ret = nl_fdb_dump(h, vx, &e->fdb);
	}
	if (ret >= 0) {
		e->n_fdb = (size_t)ret;
		ret = nl_route_dump(h, vx, &e->route);
	}
	if (ret >= 0) {
		e->n_route = (size_t)ret;
		return 0;
	}
	entries_free(e);
	return ret;
}

static int first_err(int ret, int r)
{
	return ret ? ret : r;
}

static int sweep_routes(struct nlh *h, const char *vx,
			const struct rk_entries *e)
{
	char s[CIDR_STRLEN];
	int ret = 0, r;

	for (size_t i = 0; i < e->n_route; i++) {
		const struct nl_route_entry *rt = &e->route[i];
		struct cidr c = { .addr = rt->dst, .len = rt->len };

		r = nl_route_del(h, rt->dst, rt->len, rt->gw, vx);
		if (r)
			log_warn("routing kernel: stale route %s dev %s: %s",
				 cidr_format(&c, s), vx, strerror(-r));
		else
			log_info("routing kernel: removed stale route %s dev %s",
				 cidr_format(&c, s), vx);
		ret = first_err(ret, r);
	}
	return ret;
}

static int sweep_neighs(struct nlh *h, const char *vx,
			const struct rk_entries *e)
{
	char ip[IP4_STRLEN];
	int ret = 0, r;

	for (size_t i = 0; i < e->n_neigh; i++) {
		r = nl_neigh_del(h, vx, e->neigh[i].ip);
		ip4_format(e->neigh[i].ip, ip);
		if (r)
			log_warn("routing kernel: stale neighbour %s dev %s: %s",
				 ip, vx, strerror(-r));
		else
			log_info("routing kernel: removed stale neighbour %s dev %s",
				 ip, vx);
		ret = first_err(ret, r);
	}
	return ret;
}

static int sweep_fdb(struct nlh *h, const char *vx,
		     const struct rk_entries *e)
{
	char ip[IP4_STRLEN], mac[MAC_STRLEN];
	int ret = 0, r;

	for (size_t i = 0; i < e->n_fdb; i++) {
		const struct nl_fdb_entry *f = &e->fdb[i];

		r = nl_fdb_del(h, vx, f->mac, f->dst);
		ip4_format(f->dst, ip);
		mac_format(f->mac, mac);
		if (r)
			log_warn("routing kernel: stale fdb %s dst %s dev %s: %s",
				 mac, ip, vx, strerror(-r));
		else
			log_info("routing kernel: removed stale fdb %s dst %s dev %s",
				 mac, ip, vx);
		ret = first_err(ret, r);
	}
	return ret;
}

int rk_sweep_stale(const char *vxlan, const struct cidr *network,
		   const struct routing_lease *leases, size_t n)
{
	struct rk_entries e;
	struct nlh *h;
	int ret;

	if (!vxlan || !network || (n && !leases))
		return -EINVAL;
	h = nlh_open(-1);
	if (!h)
		return errno ? -errno : -ENOMEM;
	ret = entries_read(h, vxlan, &e);
	if (ret) {
		nlh_close(h);
		if (ret == -ENODEV)
			return 0;
		log_err("routing kernel: %s: read back: %s", vxlan,
			strerror(-ret));
		return ret;
	}
	rk_sweep_select(&e, network, leases, n);
	/* The route first: nothing is sent towards a half-removed lease. */
	ret = sweep_routes(h, vxlan, &e);
	ret = first_err(ret, sweep_neighs(h, vxlan, &e));
	ret = first_err(ret, sweep_fdb(h, vxlan, &e));
	entries_free(&e);
	nlh_close(h);
	return ret;
}
