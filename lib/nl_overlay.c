// SPDX-License-Identifier: MIT
/* VXLAN devices, addresses, neighbour and FDB entries and routes through
 * libnl-route, on the handles and error conventions of nl.c. */
#include "nl_overlay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "cidr.h"
#include "nl_priv.h"

#define IPV4_MIN_MTU	68
#define VNI_MAX		0xffffffu

struct vxlan_spec {
	const char *name;
	uint32_t vni;
	uint16_t port;
	uint32_t local;		/* host order, 0: unset */
	uint32_t link;		/* underlay ifindex, 0: unset */
	unsigned mtu;		/* 0: the kernel's choice */
	bool learning;
	bool external;
};

/* --- VXLAN devices --- */

/* Whether link's IPv4 source address is local (host order). */
static bool vxlan_local_is(struct rtnl_link *link, uint32_t local)
{
	struct nl_addr *a = NULL;
	uint32_t be = htonl(local);
	bool same;

	if (rtnl_link_vxlan_get_local(link, &a) < 0 || !a)
		return false;
	same = nl_addr_get_family(a) == AF_INET &&
	       nl_addr_get_len(a) == sizeof(be) &&
	       !memcmp(nl_addr_get_binary_addr(a), &be, sizeof(be));
	nl_addr_put(a);
	return same;
}

/* Whether an existing VXLAN device already is what s asks for. */
static bool vxlan_matches(struct rtnl_link *link, const struct vxlan_spec *s)
{
	uint32_t v;

	if ((rtnl_link_vxlan_get_collect_metadata(link) > 0) != s->external)
		return false;
	if ((rtnl_link_vxlan_get_learning(link) > 0) != s->learning)
		return false;
	if (rtnl_link_vxlan_get_port(link, &v) < 0 || v != s->port)
		return false;
	if (!s->external &&
	    (rtnl_link_vxlan_get_id(link, &v) < 0 || v != s->vni))
		return false;
	if (s->link && (rtnl_link_vxlan_get_link(link, &v) < 0 ||
			v != s->link))
		return false;
	if (s->local && !vxlan_local_is(link, s->local))
		return false;
	return true;
}

static int vxlan_fill(struct rtnl_link *link, const struct vxlan_spec *s)
{
	struct nl_addr *a;
	int ret;

	rtnl_link_set_name(link, s->name);
	if (s->mtu)
		rtnl_link_set_mtu(link, s->mtu);
	if (s->external)
		ret = rtnl_link_vxlan_set_collect_metadata(link, 1);
	else
		ret = rtnl_link_vxlan_set_id(link, s->vni);
	if (!ret)
		ret = rtnl_link_vxlan_set_port(link, s->port);
	if (!ret)
		ret = rtnl_link_vxlan_set_learning(link, s->learning);
	if (!ret && s->link)
		ret = rtnl_link_vxlan_set_link(link, s->link);
	if (!ret && s->local) {
		a = nl_inet_addr(s->local, 32);
		if (!a)
			return -ENOMEM;
		ret = rtnl_link_vxlan_set_local(link, a);
		nl_addr_put(a);
	}
	return nl_nle_errno(ret);
}

static int vxlan_create(struct nlh *h, const struct vxlan_spec *s)
{
	struct rtnl_link *link;
	int ret;

	link = rtnl_link_vxlan_alloc();
	if (!link)
		return -ENOMEM;
	ret = vxlan_fill(link, s);
	if (!ret) {
		nlh_begin(h);
		ret = nlh_result(h, rtnl_link_add(h->sk, link,
						  NLM_F_CREATE | NLM_F_EXCL));
	}
	rtnl_link_put(link);
	return ret;
}

/* The underlay's ifindex and the MTU left inside the tunnel. */
static int vxlan_underlay(struct nlh *h, const char *ifname,
			  struct vxlan_spec *s)
{
	struct rtnl_link *link;
	unsigned mtu;
	int ret;

	ret = nlh_link_get(h, ifname, &link);
	if (ret)
		return ret;
	ret = rtnl_link_get_ifindex(link);
	mtu = rtnl_link_get_mtu(link);
	rtnl_link_put(link);
	if (ret <= 0)
		return -ENODEV;
	if (mtu < IPV4_MIN_MTU + VXLAN_OVERHEAD)
		return -ERANGE;
	s->link = (uint32_t)ret;
	s->mtu = mtu - VXLAN_OVERHEAD;
	return 0;
}

int nl_vxlan_add(struct nlh *h, const char *name, uint32_t vni,
		 uint16_t dstport, uint32_t local_ip,
		 const char *underlay_ifname, bool learning, bool external)
{
	struct vxlan_spec s = {
		.name = name, .vni = vni, .port = dstport, .local = local_ip,
		.learning = learning, .external = external,
	};
	struct rtnl_link *cur;
	int ret;

	if (!h || !nl_ifname_valid(name) || !dstport ||
	    (!external && vni > VNI_MAX))
		return -EINVAL;
	if (underlay_ifname) {
		ret = vxlan_underlay(h, underlay_ifname, &s);
		if (ret)
			return ret;
	}
	ret = nlh_link_get(h, name, &cur);
	if (ret == -ENODEV)
		return vxlan_create(h, &s);
	if (ret)
		return ret;
	if (!rtnl_link_is_vxlan(cur)) {
		rtnl_link_put(cur);
		return -EEXIST;
	}
	if (vxlan_matches(cur, &s)) {
		rtnl_link_put(cur);
		return 0;
	}
	/* Settings a device cannot change: recreate it, as flannel does. */
	rtnl_link_put(cur);
	ret = nl_link_del(h, name);
	return ret ? ret : vxlan_create(h, &s);
}

int nl_link_mac(struct nlh *h, const char *ifname, uint8_t mac[6])
{
	struct rtnl_link *link;
	struct nl_addr *a;
	int ret;

	if (!mac)
		return -EINVAL;
	ret = nlh_link_get(h, ifname, &link);
	if (ret)
		return ret;
	a = rtnl_link_get_addr(link);
	if (a && nl_addr_get_len(a) == ETH_ALEN)
		memcpy(mac, nl_addr_get_binary_addr(a), ETH_ALEN);
	else
		ret = -EINVAL;
	rtnl_link_put(link);
	return ret;
}

/* --- addresses --- */

/* Calls fn on each IPv4 address of ifindex idx until it returns non-zero
 * (which is then the result). */
typedef int (*addr_fn)(struct nlh *h, struct rtnl_addr *ra, void *arg);

static int addr_each(struct nlh *h, int idx, addr_fn fn, void *arg)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	nlh_begin(h);
	ret = nlh_result(h, rtnl_addr_alloc_cache(h->sk, &cache));
	if (ret)
		return ret;
	for (o = nl_cache_get_first(cache); o && !ret;
	     o = nl_cache_get_next(o)) {
		struct rtnl_addr *ra = (struct rtnl_addr *)o;

		if (rtnl_addr_get_ifindex(ra) == idx &&
		    rtnl_addr_get_family(ra) == AF_INET)
			ret = fn(h, ra, arg);
	}
	nl_cache_free(cache);
	return ret;
}

/* ra's local address in host order; false when it has none. */
static bool addr_local(struct rtnl_addr *ra, uint32_t *addr)
{
	struct nl_addr *local = rtnl_addr_get_local(ra);
	uint32_t be;

	if (!local || nl_addr_get_len(local) != sizeof(be))
		return false;
	memcpy(&be, nl_addr_get_binary_addr(local), sizeof(be));
	*addr = ntohl(be);
	return true;
}

struct addr_list {
	struct nl_addr_v4 *out;
	size_t max, n;
};

static int addr_list_one(struct nlh *h, struct rtnl_addr *ra, void *arg)
{
	struct addr_list *l = arg;
	uint32_t addr;

	(void)h;
	if (!addr_local(ra, &addr))
		return 0;
	if (l->n < l->max) {
		l->out[l->n].addr = addr;
		l->out[l->n].prefixlen = (uint8_t)rtnl_addr_get_prefixlen(ra);
	}
	l->n++;
	return 0;
}

int nl_addr_list(struct nlh *h, const char *ifname, struct nl_addr_v4 *out,
		 size_t max)
{
	struct addr_list l = { .out = out, .max = out ? max : 0 };
	int idx, ret;

	idx = nl_link_index(h, ifname);
	if (idx < 0)
		return idx;
	ret = addr_each(h, idx, addr_list_one, &l);
	if (ret)
		return ret;
	return l.n > INT_MAX ? INT_MAX : (int)l.n;
}

struct addr_keep {
	uint32_t addr;
	uint8_t prefixlen;
	bool found;
};

/* Removes ra unless it is the one to keep. */
static int addr_prune_one(struct nlh *h, struct rtnl_addr *ra, void *arg)
{
	struct addr_keep *k = arg;
	uint32_t addr;
	int ret;

	if (addr_local(ra, &addr) && addr == k->addr &&
	    rtnl_addr_get_prefixlen(ra) == k->prefixlen) {
		k->found = true;
		return 0;
	}
	nlh_begin(h);
	ret = nlh_result(h, rtnl_addr_delete(h->sk, ra, 0));
	/* Secondaries go with their primary. */
	return ret == -EADDRNOTAVAIL ? 0 : ret;
}

int nl_addr_ensure(struct nlh *h, const char *ifname, uint32_t addr,
		   uint8_t prefixlen)
{
	struct addr_keep k = { .addr = addr, .prefixlen = prefixlen };
	int idx, ret;

	if (prefixlen > 32)
		return -EINVAL;
	idx = nl_link_index(h, ifname);
	if (idx < 0)
		return idx;
	ret = addr_each(h, idx, addr_prune_one, &k);
	if (ret || k.found)
		return ret;
	ret = nl_addr_add(h, ifname, addr, prefixlen);
	return ret == -EEXIST ? 0 : ret;
}

/* --- neighbours and FDB entries --- */

static bool mac_valid(const uint8_t *mac)
{
	static const uint8_t zero[ETH_ALEN];

	/* Unicast and not all zeros. */
	return mac && !(mac[0] & 1) && memcmp(mac, zero, ETH_ALEN);
}

/* A neighbour object on ifindex idx: family, destination ip (0: none),
 * link-layer address mac (NULL: none). */
static int neigh_new(int idx, int family, uint32_t ip, const uint8_t *mac,
		     struct rtnl_neigh **out)
{
	struct rtnl_neigh *n;
	struct nl_addr *a;
	int ret = 0;

	n = rtnl_neigh_alloc();
	if (!n)
		return -ENOMEM;
	rtnl_neigh_set_ifindex(n, idx);
	/* The destination first: libnl takes the family from it and would
	 * refuse an IPv4 one on an AF_BRIDGE (FDB) entry. */
	if (ip) {
		a = nl_inet_addr(ip, 32);
		ret = a ? nl_nle_errno(rtnl_neigh_set_dst(n, a)) : -ENOMEM;
		nl_addr_put(a);
	}
	rtnl_neigh_set_family(n, family);
	if (!ret && mac) {
		a = nl_addr_build(AF_LLC, mac, ETH_ALEN);
		if (a)
			rtnl_neigh_set_lladdr(n, a);
		else
			ret = -ENOMEM;
		nl_addr_put(a);
	}
	if (ret) {
		rtnl_neigh_put(n);
		return ret;
	}
	*out = n;
	return 0;
}

/* Adds or replaces a permanent entry. */
static int neigh_replace(struct nlh *h, const char *ifname, int family,
			 uint32_t ip, const uint8_t *mac, unsigned flags)
{
	struct rtnl_neigh *n;
	int idx, ret;

	idx = nl_link_index(h, ifname);
	if (idx < 0)
		return idx;
	ret = neigh_new(idx, family, ip, mac, &n);
	if (ret)
		return ret;
	rtnl_neigh_set_state(n, NUD_PERMANENT);
	if (flags)
		rtnl_neigh_set_flags(n, flags);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_neigh_add(h->sk, n,
					   NLM_F_CREATE | NLM_F_REPLACE));
	rtnl_neigh_put(n);
	return ret;
}

/* Deletes an entry; 0 when it or its device is gone. */
static int neigh_del(struct nlh *h, const char *ifname, int family,
		     uint32_t ip, const uint8_t *mac, unsigned flags)
{
	struct rtnl_neigh *n;
	int idx, ret;

	idx = nl_link_index(h, ifname);
	if (idx < 0)
		return idx == -ENODEV ? 0 : idx;
	ret = neigh_new(idx, family, ip, mac, &n);
	if (ret)
		return ret;
	if (flags)
		rtnl_neigh_set_flags(n, flags);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_neigh_delete(h->sk, n, 0));
	rtnl_neigh_put(n);
	return ret == -ENOENT ? 0 : ret;
}

int nl_neigh_replace(struct nlh *h, const char *ifname, uint32_t ip,
		     const uint8_t mac[6])
{
	if (!ip || !mac_valid(mac))
		return -EINVAL;
	return neigh_replace(h, ifname, AF_INET, ip, mac, 0);
}

int nl_neigh_del(struct nlh *h, const char *ifname, uint32_t ip)
{
	if (!ip)
		return -EINVAL;
	return neigh_del(h, ifname, AF_INET, ip, NULL, 0);
}

int nl_fdb_replace(struct nlh *h, const char *ifname, const uint8_t mac[6],
		   uint32_t dst_ip)
{
	if (!dst_ip || !mac_valid(mac))
		return -EINVAL;
	return neigh_replace(h, ifname, AF_BRIDGE, dst_ip, mac, NTF_SELF);
}

int nl_fdb_del(struct nlh *h, const char *ifname, const uint8_t mac[6],
	       uint32_t dst_ip)
{
	if (!mac_valid(mac))
		return -EINVAL;
	return neigh_del(h, ifname, AF_BRIDGE, dst_ip, mac, NTF_SELF);
}

/* --- routes --- */

/* A main-table IPv4 route to dst/len; one next hop when gw or idx. */
static int route_new(uint32_t dst, uint8_t len, uint32_t gw, int idx,
		     struct rtnl_route **out)
{
	struct rtnl_route *r;
	struct nl_addr *dest;
	int ret = -ENOMEM;

	r = rtnl_route_alloc();
	dest = nl_inet_addr(dst, len);
	if (!r || !dest)
		goto err;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_type(r, RTN_UNICAST);
	ret = nl_nle_errno(rtnl_route_set_dst(r, dest));
	if (!ret && (gw || idx > 0))
		ret = nl_route_set_nexthop(r, idx, gw);
	if (ret)
		goto err;
	nl_addr_put(dest);
	*out = r;
	return 0;
err:
	nl_addr_put(dest);
	rtnl_route_put(r);
	return ret;
}

static bool route_args_valid(struct nlh *h, uint32_t dst, uint8_t len)
{
	return h && len <= 32 && !(dst & ~cidr_mask(len));
}

int nl_route_replace(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		     const char *ifname, bool onlink)
{
	struct rtnl_route *r;
	int idx = 0, ret;

	if (!route_args_valid(h, dst, len) || (!gw && !ifname) ||
	    (onlink && (!gw || !ifname)))
		return -EINVAL;
	if (ifname) {
		idx = nl_link_index(h, ifname);
		if (idx < 0)
			return idx;
	}
	ret = route_new(dst, len, gw, idx, &r);
	if (ret)
		return ret;
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_scope(r, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	if (onlink)
		rtnl_route_nh_set_flags(rtnl_route_nexthop_n(r, 0),
					RTNH_F_ONLINK);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_route_add(h->sk, r,
					   NLM_F_CREATE | NLM_F_REPLACE));
	rtnl_route_put(r);
	return ret;
}

int nl_route_del(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		 const char *ifname)
{
	struct rtnl_route *r;
	int idx = 0, ret;

	if (!route_args_valid(h, dst, len))
		return -EINVAL;
	if (ifname) {
		idx = nl_link_index(h, ifname);
		if (idx < 0)
			return idx == -ENODEV ? 0 : idx;
	}
	ret = route_new(dst, len, gw, idx, &r);
	if (ret)
		return ret;
	/* Any protocol and scope: match on destination and next hop. */
	rtnl_route_set_protocol(r, RTPROT_UNSPEC);
	rtnl_route_set_scope(r, RT_SCOPE_NOWHERE);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_route_delete(h->sk, r, 0));
	rtnl_route_put(r);
	return ret == -ESRCH ? 0 : ret;
}
