// SPDX-License-Identifier: MIT
/* Dumps on the handle's socket: one request, every answer parsed by libnl
 * into an object and kept when it concerns the device. No cache is built,
 * so entries libnl would take for the same object (an FDB MAC with two
 * destinations) all come back. */
#include "nl_dump.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_ether.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "nl_priv.h"

#define DUMP_MAX 65536	/* entries: far above what one device carries */

struct dump;
typedef void (*dump_take_fn)(struct nl_object *o, struct dump *d);

struct dump {
	int ifindex;
	dump_take_fn take;
	void *items;
	size_t size, n, cap;
	int err;
};

/* A zeroed slot at the end of the array, or NULL with d->err set. */
static void *dump_slot(struct dump *d)
{
	void *slot;

	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *p;

		if (cap > DUMP_MAX) {
			d->err = -E2BIG;
			return NULL;
		}
		p = realloc(d->items, cap * d->size);
		if (!p) {
			d->err = -ENOMEM;
			return NULL;
		}
		d->items = p;
		d->cap = cap;
	}
	slot = (char *)d->items + d->n++ * d->size;
	memset(slot, 0, d->size);
	return slot;
}

static bool addr_v4(struct nl_addr *a, uint32_t *out)
{
	uint32_t be;

	if (!a || nl_addr_get_family(a) != AF_INET ||
	    nl_addr_get_len(a) != sizeof(be))
		return false;
	memcpy(&be, nl_addr_get_binary_addr(a), sizeof(be));
	*out = ntohl(be);
	return true;
}

static bool addr_mac(struct nl_addr *a, uint8_t mac[ETH_ALEN])
{
	if (!a || nl_addr_get_len(a) != ETH_ALEN)
		return false;
	memcpy(mac, nl_addr_get_binary_addr(a), ETH_ALEN);
	return true;
}

static uint16_t neigh_state(struct rtnl_neigh *n)
{
	int s = rtnl_neigh_get_state(n);

	return s < 0 ? 0 : (uint16_t)s;
}

static void take_neigh(struct nl_object *o, struct dump *d)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)o;
	struct nl_neigh_entry e = { 0 }, *slot;

	if (rtnl_neigh_get_family(n) != AF_INET ||
	    rtnl_neigh_get_ifindex(n) != d->ifindex ||
	    !addr_v4(rtnl_neigh_get_dst(n), &e.ip))
		return;
	e.has_mac = addr_mac(rtnl_neigh_get_lladdr(n), e.mac);
	e.state = neigh_state(n);
	slot = dump_slot(d);
	if (slot)
		*slot = e;
}

static void take_fdb(struct nl_object *o, struct dump *d)
{
	struct rtnl_neigh *n = (struct rtnl_neigh *)o;
	struct nl_fdb_entry e = { 0 }, *slot;

	if (rtnl_neigh_get_family(n) != AF_BRIDGE ||
	    rtnl_neigh_get_ifindex(n) != d->ifindex ||
	    !addr_mac(rtnl_neigh_get_lladdr(n), e.mac))
		return;
	if (!addr_v4(rtnl_neigh_get_dst(n), &e.dst))
		e.dst = 0;
	e.state = neigh_state(n);
	e.flags = (uint8_t)rtnl_neigh_get_flags(n);
	slot = dump_slot(d);
	if (slot)
		*slot = e;
}

static void take_route(struct nl_object *o, struct dump *d)
{
	struct rtnl_route *r = (struct rtnl_route *)o;
	struct nl_route_entry e = { 0 }, *slot;
	struct rtnl_nexthop *nh;
	struct nl_addr *dst;

	if (rtnl_route_get_family(r) != AF_INET ||
	    rtnl_route_get_table(r) != RT_TABLE_MAIN ||
	    rtnl_route_get_nnexthops(r) != 1)
		return;
	nh = rtnl_route_nexthop_n(r, 0);
	dst = rtnl_route_get_dst(r);
	if (!nh || rtnl_route_nh_get_ifindex(nh) != d->ifindex || !dst)
		return;
	/* The default route has an empty destination. */
	if (!nl_addr_get_len(dst))
		e.dst = 0;
	else if (!addr_v4(dst, &e.dst))
		return;
	e.len = (uint8_t)nl_addr_get_prefixlen(dst);
	if (!addr_v4(rtnl_route_nh_get_gateway(nh), &e.gw))
		e.gw = 0;
	e.protocol = rtnl_route_get_protocol(r);
	e.type = rtnl_route_get_type(r);
	e.onlink = (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK) ||
		   (rtnl_route_get_flags(r) & RTNH_F_ONLINK);
	slot = dump_slot(d);
	if (slot)
		*slot = e;
}

static void dump_object(struct nl_object *o, void *arg)
{
	struct dump *d = arg;

	if (!d->err)
		d->take(o, d);
}

static int dump_valid(struct nl_msg *msg, void *arg)
{
	struct dump *d = arg;
	int ret;

	if (d->err)
		return NL_OK; /* drain the rest of the dump */
	ret = nl_msg_parse(msg, dump_object, d);
	/* An entry libnl cannot parse is not one we installed. */
	if (ret == -NLE_NOMEM)
		d->err = -ENOMEM;
	return NL_OK;
}

/* Sends the dump request (header hdr of len bytes) and collects. */
static int dump_run(struct nlh *h, const char *ifname, int type,
		    const void *hdr, size_t len, struct dump *d)
{
	struct nl_cb *cb, *own;
	int ret;

	if (!h)
		return -EINVAL;
	d->ifindex = nl_link_index(h, ifname);
	if (d->ifindex < 0)
		return d->ifindex;
	cb = nl_socket_get_cb(h->sk);
	own = cb ? nl_cb_clone(cb) : NULL;
	nl_cb_put(cb);
	if (!own)
		return -ENOMEM;
	nl_cb_set(own, NL_CB_VALID, NL_CB_CUSTOM, dump_valid, d);
	nlh_begin(h);
	ret = nl_send_simple(h->sk, type, NLM_F_DUMP, (void *)hdr, len);
	if (ret >= 0)
		ret = nl_recvmsgs(h->sk, own);
	nl_cb_put(own);
	ret = nlh_result(h, ret);
	return ret ? ret : d->err;
}

/* The result of a dump: the count, or -errno with the array freed. */
static int dump_finish(struct dump *d, int ret, void **out)
{
	if (ret || d->n > INT_MAX) {
		free(d->items);
		*out = NULL;
		return ret ? ret : -E2BIG;
	}
	*out = d->items;
	return (int)d->n;
}

int nl_neigh_dump(struct nlh *h, const char *ifname,
		  struct nl_neigh_entry **out)
{
	struct dump d = { .take = take_neigh, .size = sizeof(**out) };
	struct ndmsg ndm = { .ndm_family = AF_INET };
	void *items;
	int ret;

	if (!out)
		return -EINVAL;
	ret = dump_run(h, ifname, RTM_GETNEIGH, &ndm, sizeof(ndm), &d);
	ret = dump_finish(&d, ret, &items);
	*out = items;
	return ret;
}

int nl_fdb_dump(struct nlh *h, const char *ifname, struct nl_fdb_entry **out)
{
	struct dump d = { .take = take_fdb, .size = sizeof(**out) };
	struct ndmsg ndm = { .ndm_family = AF_BRIDGE };
	void *items;
	int ret;

	if (!out)
		return -EINVAL;
	ret = dump_run(h, ifname, RTM_GETNEIGH, &ndm, sizeof(ndm), &d);
	ret = dump_finish(&d, ret, &items);
	*out = items;
	return ret;
}

int nl_route_dump(struct nlh *h, const char *ifname,
		  struct nl_route_entry **out)
{
	struct dump d = { .take = take_route, .size = sizeof(**out) };
	struct rtmsg rtm = { .rtm_family = AF_INET };
	void *items;
	int ret;

	if (!out)
		return -EINVAL;
	ret = dump_run(h, ifname, RTM_GETROUTE, &rtm, sizeof(rtm), &d);
	ret = dump_finish(&d, ret, &items);
	*out = items;
	return ret;
}
