// SPDX-License-Identifier: MIT
/* Route netlink through libnl-3. Each request goes out on a socket that
 * was created inside the target namespace; the kernel's own errno is
 * caught by an error callback so callers see -EEXIST, -ENODEV, ... rather
 * than libnl's coarser codes. */
#include "nl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/netem.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>

#include "netns.h"
#include "nl_priv.h"

/* Shaping parameters. */
#define TBF_LATENCY_US	50000	/* queue at most ~50 ms worth of bytes */
#define TBF_BURST_HZ	250	/* burst covers at least one timer tick */
#define NETEM_MIN_LIMIT	1000	/* packets, as netem's default */
/* tbf rates libnl 3.7 can express (32-bit bytes/s) and whose burst time
 * still fits the kernel's 32-bit tick count. */
#define TBF_RATE_MIN	1000ULL			/* bits/s */
#define TBF_RATE_MAX	(8ULL * INT_MAX)	/* bits/s, ~17 Gbit/s */
/* netem delays in 32-bit ticks: a minute is far below the limit. */
#define NETEM_DELAY_MAX_US	60000000U
#define QDISC_ROOT	TC_HANDLE(1, 0)
#define QDISC_CHILD	TC_HANDLE(2, 0)

/* netem availability: -1 not probed yet, else 0 or 1. */
static int netem_state = -1;

static int nlh_err_cb(struct sockaddr_nl *who, struct nlmsgerr *e, void *arg)
{
	struct nlh *h = arg;

	(void)who;
	h->kerr = e->error < 0 ? e->error : -e->error;
	return NL_STOP;
}

int nl_nle_errno(int nle)
{
	switch (nle < 0 ? -nle : nle) {
	case NLE_SUCCESS:	return 0;
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENODEV;
	case NLE_NODEV:		return -ENODEV;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_MISSING_ATTR:	return -EINVAL;
	case NLE_NOACCESS:	return -EACCES;
	case NLE_PERM:		return -EPERM;
	case NLE_BUSY:		return -EBUSY;
	case NLE_PROTO_MISMATCH: return -EPROTONOSUPPORT;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	default:		return -EIO;
	}
}

/* Call before each request. */
void nlh_begin(struct nlh *h)
{
	h->kerr = 0;
}

/* Turns a libnl result into 0 / -errno, preferring the kernel's errno. */
int nlh_result(struct nlh *h, int nlerr)
{
	if (nlerr >= 0)
		return 0;
	return h->kerr ? h->kerr : nl_nle_errno(nlerr);
}

struct nlh *nlh_open(int nsfd)
{
	struct nlh *h;
	struct nl_cb *cb;
	int saved = -1, ret;

	h = calloc(1, sizeof(*h));
	if (!h) {
		errno = ENOMEM;
		return NULL;
	}
	if (nsfd >= 0) {
		ret = netns_enter(nsfd, &saved);
		if (ret)
			goto err_free;
	}
	ret = -ENOMEM;
	h->sk = nl_socket_alloc();
	if (h->sk) {
		ret = nl_connect(h->sk, NETLINK_ROUTE);
		ret = ret < 0 ? nl_nle_errno(ret) : 0;
	}
	if (nsfd >= 0) {
		int r = netns_leave(saved);

		if (!ret)
			ret = r;
	}
	if (ret)
		goto err_sock;

	cb = nl_socket_get_cb(h->sk);
	if (!cb) {
		ret = -ENOMEM;
		goto err_sock;
	}
	nl_cb_err(cb, NL_CB_CUSTOM, nlh_err_cb, h);
	nl_cb_put(cb);
	return h;

err_sock:
	if (h->sk)
		nl_socket_free(h->sk);
err_free:
	free(h);
	errno = -ret;
	return NULL;
}

void nlh_close(struct nlh *h)
{
	if (!h)
		return;
	nl_socket_free(h->sk);
	free(h);
}

bool nl_ifname_valid(const char *name)
{
	size_t len;

	if (!name)
		return false;
	len = strlen(name);
	return len && len < IFNAMSIZ && !strchr(name, '/');
}

/* The kernel's view of ifname; *link must be put by the caller. */
int nlh_link_get(struct nlh *h, const char *ifname, struct rtnl_link **link)
{
	*link = NULL;
	if (!h || !nl_ifname_valid(ifname))
		return -EINVAL;
	nlh_begin(h);
	return nlh_result(h, rtnl_link_get_kernel(h->sk, 0, ifname, link));
}

int nl_link_index(struct nlh *h, const char *ifname)
{
	struct rtnl_link *link;
	int ret;

	ret = nlh_link_get(h, ifname, &link);
	if (ret)
		return ret;
	ret = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return ret > 0 ? ret : -ENODEV;
}

typedef void (*link_edit_fn)(struct rtnl_link *change, int arg);

/* Reads ifname, lets edit fill a change, and sends it. */
static int link_change(struct nlh *h, const char *ifname, link_edit_fn edit,
		       int arg)
{
	struct rtnl_link *orig, *change;
	int ret;

	ret = nlh_link_get(h, ifname, &orig);
	if (ret)
		return ret;
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(orig);
		return -ENOMEM;
	}
	edit(change, arg);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_link_change(h->sk, orig, change, 0));
	rtnl_link_put(change);
	rtnl_link_put(orig);
	return ret;
}

static void edit_up(struct rtnl_link *change, int arg)
{
	(void)arg;
	rtnl_link_set_flags(change, IFF_UP);
}

static void edit_noarp(struct rtnl_link *change, int on)
{
	if (on)
		rtnl_link_set_flags(change, IFF_NOARP);
	else
		rtnl_link_unset_flags(change, IFF_NOARP);
}

static void edit_mtu(struct rtnl_link *change, int mtu)
{
	rtnl_link_set_mtu(change, (unsigned)mtu);
}

static void edit_master(struct rtnl_link *change, int master)
{
	rtnl_link_set_master(change, master);
}

int nl_link_up(struct nlh *h, const char *ifname)
{
	return link_change(h, ifname, edit_up, 0);
}

int nl_link_set_noarp(struct nlh *h, const char *ifname, bool on)
{
	return link_change(h, ifname, edit_noarp, on);
}

int nl_link_set_mac(struct nlh *h, const char *ifname, const uint8_t mac[6])
{
	struct rtnl_link *orig, *change;
	struct nl_addr *addr;
	int ret;

	ret = nlh_link_get(h, ifname, &orig);
	if (ret)
		return ret;
	/* Even an unchanged address makes the kernel flush the device's
	 * neighbours, permanent ones too: leave it alone when it is right. */
	addr = rtnl_link_get_addr(orig);
	if (addr && nl_addr_get_len(addr) == 6 &&
	    !memcmp(nl_addr_get_binary_addr(addr), mac, 6)) {
		rtnl_link_put(orig);
		return 0;
	}
	change = rtnl_link_alloc();
	addr = nl_addr_build(AF_LLC, mac, 6);
	if (!change || !addr) {
		ret = -ENOMEM;
		goto out;
	}
	rtnl_link_set_addr(change, addr);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_link_change(h->sk, orig, change, 0));
out:
	nl_addr_put(addr);
	rtnl_link_put(change);
	rtnl_link_put(orig);
	return ret;
}

int nl_link_set_mtu(struct nlh *h, const char *ifname, unsigned mtu)
{
	if (!mtu || mtu > INT_MAX)
		return -EINVAL;
	return link_change(h, ifname, edit_mtu, (int)mtu);
}

int nl_link_set_master(struct nlh *h, const char *ifname, const char *master)
{
	int idx = nl_link_index(h, master);

	if (idx < 0)
		return idx;
	return link_change(h, ifname, edit_master, idx);
}

/* A bridge port in hairpin mode sends frames back out of the port they
 * came in on: needed when a pod reaches itself through a service and the
 * reply, NATed on the bridge, must return to the same port. */
int nl_bridge_port_hairpin(struct nlh *h, const char *ifname, bool on)
{
	struct rtnl_link *port;
	int idx = nl_link_index(h, ifname), ret;

	if (idx < 0)
		return idx;
	/* A port's flags travel as AF_BRIDGE protocol info. */
	port = rtnl_link_alloc();
	if (!port)
		return -ENOMEM;
	rtnl_link_set_family(port, AF_BRIDGE);
	rtnl_link_set_ifindex(port, idx);
	if (on)
		rtnl_link_bridge_set_flags(port, RTNL_BRIDGE_HAIRPIN_MODE);
	else
		rtnl_link_bridge_unset_flags(port, RTNL_BRIDGE_HAIRPIN_MODE);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_link_change(h->sk, port, port, 0));
	rtnl_link_put(port);
	return ret;
}

int nl_link_del(struct nlh *h, const char *ifname)
{
	struct rtnl_link *link;
	int ret;

	if (!h || !nl_ifname_valid(ifname))
		return -EINVAL;
	link = rtnl_link_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	nlh_begin(h);
	ret = nlh_result(h, rtnl_link_delete(h->sk, link));
	rtnl_link_put(link);
	return ret == -ENODEV ? 0 : ret;
}

static int link_add(struct nlh *h, struct rtnl_link *link)
{
	nlh_begin(h);
	return nlh_result(h, rtnl_link_add(h->sk, link,
					   NLM_F_CREATE | NLM_F_EXCL));
}

int nl_bridge_add(struct nlh *h, const char *name)
{
	struct rtnl_link *link;
	int ret;

	if (!h || !nl_ifname_valid(name))
		return -EINVAL;
	link = rtnl_link_bridge_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	ret = link_add(h, link);
	rtnl_link_put(link);
	return ret;
}

int nl_veth_add(struct nlh *h, const char *name, const char *peer,
		int peer_nsfd)
{
	struct rtnl_link *link, *plink;
	int ret;

	if (!h || !nl_ifname_valid(name) || !nl_ifname_valid(peer))
		return -EINVAL;
	link = rtnl_link_veth_alloc();
	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, name);
	plink = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(plink, peer);
	if (peer_nsfd >= 0)
		rtnl_link_set_ns_fd(plink, peer_nsfd);
	rtnl_link_put(plink);
	ret = link_add(h, link);
	rtnl_link_veth_release(link);
	return ret;
}

/* An IPv4 nl_addr from a host-order address. */
struct nl_addr *nl_inet_addr(uint32_t addr, uint8_t prefixlen)
{
	uint32_t be = htonl(addr);
	struct nl_addr *a = nl_addr_build(AF_INET, &be, sizeof(be));

	if (a)
		nl_addr_set_prefixlen(a, prefixlen);
	return a;
}

int nl_addr_add(struct nlh *h, const char *ifname, uint32_t addr,
		uint8_t prefixlen)
{
	struct rtnl_addr *ra;
	struct nl_addr *local;
	int idx, ret;

	if (prefixlen > 32)
		return -EINVAL;
	idx = nl_link_index(h, ifname);
	if (idx < 0)
		return idx;
	ra = rtnl_addr_alloc();
	local = nl_inet_addr(addr, prefixlen);
	ret = -ENOMEM;
	if (!ra || !local)
		goto out;
	rtnl_addr_set_ifindex(ra, idx);
	rtnl_addr_set_family(ra, AF_INET);
	ret = nl_nle_errno(rtnl_addr_set_local(ra, local));
	if (ret)
		goto out;
	nlh_begin(h);
	ret = nlh_result(h, rtnl_addr_add(h->sk, ra,
					  NLM_F_CREATE | NLM_F_EXCL));
out:
	nl_addr_put(local);
	rtnl_addr_put(ra);
	return ret;
}

/* Fills route r's next hop; ownership of the hop passes to r. */
int nl_route_set_nexthop(struct rtnl_route *r, int idx, uint32_t gw)
{
	struct rtnl_nexthop *nh;
	struct nl_addr *via = NULL;

	nh = rtnl_route_nh_alloc();
	if (!nh)
		return -ENOMEM;
	if (idx > 0)
		rtnl_route_nh_set_ifindex(nh, idx);
	if (gw) {
		via = nl_inet_addr(gw, 32);
		if (!via) {
			rtnl_route_nh_free(nh);
			return -ENOMEM;
		}
		rtnl_route_nh_set_gateway(nh, via);
		nl_addr_put(via);
	}
	rtnl_route_add_nexthop(r, nh);
	return 0;
}

int nl_route_add(struct nlh *h, uint32_t dst, uint8_t len, uint32_t gw,
		 const char *ifname)
{
	struct rtnl_route *r;
	struct nl_addr *dest;
	int idx = 0, ret;

	if (!h || len > 32 || (!gw && !ifname))
		return -EINVAL;
	if (ifname) {
		idx = nl_link_index(h, ifname);
		if (idx < 0)
			return idx;
	}
	r = rtnl_route_alloc();
	dest = nl_inet_addr(dst, len);
	ret = -ENOMEM;
	if (!r || !dest)
		goto out;
	rtnl_route_set_family(r, AF_INET);
	rtnl_route_set_table(r, RT_TABLE_MAIN);
	rtnl_route_set_protocol(r, RTPROT_STATIC);
	rtnl_route_set_type(r, RTN_UNICAST);
	rtnl_route_set_scope(r, gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	ret = nl_nle_errno(rtnl_route_set_dst(r, dest));
	if (ret)
		goto out;
	ret = nl_route_set_nexthop(r, idx, gw);
	if (ret)
		goto out;
	nlh_begin(h);
	ret = nlh_result(h, rtnl_route_add(h->sk, r,
					   NLM_F_CREATE | NLM_F_EXCL));
out:
	nl_addr_put(dest);
	rtnl_route_put(r);
	return ret;
}

/* --- qdiscs --- */

static struct rtnl_qdisc *qdisc_new(struct rtnl_link *link, uint32_t parent,
				    uint32_t handle, const char *kind)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	if (!q)
		return NULL;
	rtnl_tc_set_link(TC_CAST(q), link);
	rtnl_tc_set_parent(TC_CAST(q), parent);
	if (handle)
		rtnl_tc_set_handle(TC_CAST(q), handle);
	if (kind && rtnl_tc_set_kind(TC_CAST(q), kind) < 0) {
		rtnl_qdisc_put(q);
		return NULL;
	}
	return q;
}

/* Adds q; a kind the kernel does not know comes back as ENOENT (the link
 * was just looked up, so it is there): reported as -EOPNOTSUPP. */
static int qdisc_add(struct nlh *h, struct rtnl_qdisc *q)
{
	int ret;

	nlh_begin(h);
	ret = nlh_result(h, rtnl_qdisc_add(h->sk, q,
					   NLM_F_CREATE | NLM_F_EXCL));
	if (ret == -ENOENT)
		ret = -EOPNOTSUPP;
	return ret;
}

/* Removes the root qdisc; 0 when only the default one is there. */
static int qdisc_del_root(struct nlh *h, struct rtnl_link *link)
{
	struct rtnl_qdisc *q = qdisc_new(link, TC_H_ROOT, 0, NULL);
	int ret;

	if (!q)
		return -ENOMEM;
	nlh_begin(h);
	ret = nlh_result(h, rtnl_qdisc_delete(h->sk, q));
	rtnl_qdisc_put(q);
	return ret == -ENOENT ? 0 : ret;
}

static uint32_t loss_ppm_to_prob(uint32_t ppm)
{
	if (ppm >= 1000000)
		return UINT32_MAX;
	return (uint32_t)(((uint64_t)ppm * UINT32_MAX) / 1000000);
}

static int netem_add(struct nlh *h, struct rtnl_link *link,
		     const struct nl_shaping *s)
{
	struct rtnl_qdisc *q;
	uint64_t limit = NETEM_MIN_LIMIT;
	unsigned mtu = rtnl_link_get_mtu(link);
	int ret;

	/* Room for every packet in flight during the delay at full rate. */
	if (s->rate_bps && mtu) {
		uint64_t us = (uint64_t)s->delay_us + s->jitter_us;
		uint64_t inflight = s->rate_bps / 8 * us / 1000000 / mtu;

		if (2 * inflight > limit)
			limit = 2 * inflight;
	}
	if (limit > INT_MAX)
		limit = INT_MAX;
	q = qdisc_new(link, TC_H_ROOT, QDISC_ROOT, "netem");
	if (!q)
		return -ENOMEM;
	rtnl_netem_set_limit(q, (int)limit);
	if (s->delay_us)
		rtnl_netem_set_delay(q, (int)s->delay_us);
	if (s->jitter_us)
		rtnl_netem_set_jitter(q, (int)s->jitter_us);
	if (s->loss_ppm)
		rtnl_netem_set_loss(q, (int)loss_ppm_to_prob(s->loss_ppm));
	ret = qdisc_add(h, q);
	rtnl_qdisc_put(q);
	return ret;
}

static int tbf_add(struct nlh *h, struct rtnl_link *link, uint32_t parent,
		   uint32_t handle, uint64_t rate_bps)
{
	struct rtnl_qdisc *q;
	uint64_t rate = rate_bps / 8, burst;
	unsigned mtu = rtnl_link_get_mtu(link);
	int ret;

	if (rate_bps < TBF_RATE_MIN || rate_bps > TBF_RATE_MAX)
		return -ERANGE;
	if (!mtu)
		mtu = ETH_DATA_LEN;
	burst = rate / TBF_BURST_HZ;
	if (burst < 2ULL * (mtu + ETH_HLEN))
		burst = 2ULL * (mtu + ETH_HLEN);
	if (burst > INT_MAX / 2)
		burst = INT_MAX / 2;
	q = qdisc_new(link, parent, handle, "tbf");
	if (!q)
		return -ENOMEM;
	rtnl_qdisc_tbf_set_rate(q, (int)rate, (int)burst, 0);
	ret = nl_nle_errno(rtnl_qdisc_tbf_set_limit_by_latency(q,
							TBF_LATENCY_US));
	if (!ret)
		ret = qdisc_add(h, q);
	rtnl_qdisc_put(q);
	return ret;
}

/* A veth name nobody else uses: "knp" + pid + counter, within IFNAMSIZ. */
static void probe_name(char *buf, size_t len, char side)
{
	static unsigned counter;
	unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

	snprintf(buf, len, "knp%x%c%x", (unsigned)getpid() & 0xfffff, side,
		 n & 0xfff);
}

static int netem_probe(struct nlh *h)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];
	struct rtnl_link *link;
	struct nl_shaping s = { .delay_us = 1000 };
	int ret;

	probe_name(a, sizeof(a), 'a');
	probe_name(b, sizeof(b), 'b');
	ret = nl_veth_add(h, a, b, -1);
	if (ret)
		return ret;
	ret = nlh_link_get(h, a, &link);
	if (!ret) {
		ret = netem_add(h, link, &s);
		rtnl_link_put(link);
	}
	nl_link_del(h, a); /* takes the peer and the qdisc with it */
	return ret;
}

/* 1 or 0 once known (cached), -errno when the probe itself failed. */
static int netem_check(struct nlh *h)
{
	int state = __atomic_load_n(&netem_state, __ATOMIC_ACQUIRE);
	int ret;

	if (state >= 0)
		return state;
	if (!h)
		return -EINVAL;
	ret = netem_probe(h);
	if (!ret)
		state = 1;
	else if (ret == -EOPNOTSUPP)
		state = 0;
	else
		return ret; /* no answer: probe again next time */
	__atomic_store_n(&netem_state, state, __ATOMIC_RELEASE);
	return state;
}

bool nl_netem_supported(struct nlh *h)
{
	return netem_check(h) > 0;
}

static int shaping_check(const struct nl_shaping *s)
{
	if (s->rate_bps &&
	    (s->rate_bps < TBF_RATE_MIN || s->rate_bps > TBF_RATE_MAX))
		return -ERANGE;
	if (s->delay_us > NETEM_DELAY_MAX_US ||
	    s->jitter_us > NETEM_DELAY_MAX_US || s->loss_ppm > 1000000)
		return -ERANGE;
	return 0;
}

int nl_qdisc_shape(struct nlh *h, const char *ifname,
		   const struct nl_shaping *s)
{
	struct rtnl_link *link;
	bool netem;
	int ret;

	if (!s)
		return -EINVAL;
	ret = shaping_check(s);
	if (ret)
		return ret;
	ret = nlh_link_get(h, ifname, &link);
	if (ret)
		return ret;
	netem = s->delay_us || s->jitter_us || s->loss_ppm;
	/* Known in advance, so the current shaping stays as it is. */
	if (netem) {
		ret = netem_check(h);
		if (ret <= 0) {
			ret = ret ? ret : -EOPNOTSUPP;
			goto out;
		}
	}
	ret = qdisc_del_root(h, link);
	if (ret)
		goto out;
	if (netem) {
		ret = netem_add(h, link, s);
		if (!ret && s->rate_bps)
			ret = tbf_add(h, link, QDISC_ROOT, QDISC_CHILD,
				      s->rate_bps);
	} else if (s->rate_bps) {
		ret = tbf_add(h, link, TC_H_ROOT, QDISC_ROOT, s->rate_bps);
	}
	/* Never leave half a setup behind. */
	if (ret)
		qdisc_del_root(h, link);
out:
	rtnl_link_put(link);
	return ret;
}
