// SPDX-License-Identifier: MIT
/* Routing "kernel" (flannel's VXLAN backend) against the real kernel: two
 * workers joined by a veth underlay, each with the datapath initialised
 * inside it, a pod on each worker's cni0, and the leases exchanged. The
 * entries are read back through libnl and datagrams cross the overlay.
 * Needs root; every test skips itself otherwise. Everything lives in
 * namespaces named kti-<pid>-..., removed by the teardown whatever
 * happened in the test. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/neighbour.h>
#include <netlink/route/route.h>

#include "routing.h"
#include "netns.h"
#include "nl.h"
#include "nl_overlay.h"
#include "nl_dump.h"

enum { W1, W2, P1, P2, NNS };

#define VX	"flannel.100"
#define BR	"cni0"
#define UL	"eth0"
#define PODIF	"eth0"
#define HOSTIF	"vpod"

struct fx {
	char ns[NNS][64];
	int fd[NNS];
	struct nlh *h[NNS];
	int saved;		/* our namespace while inside a worker, or -1 */
	struct routing_config cfg[2];
	struct routing_lease lease[2];
	uint8_t mac[2][6];
};

static unsigned fx_serial;

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

static void need_root(void)
{
	if (geteuid() != 0) {
		print_message("[  SKIP    ] needs root (network namespaces)\n");
		skip();
	}
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	static const char *const suffix[NNS] = { "w1", "w2", "p1", "p2" };

	if (!f)
		return -1;
	fx_serial++;
	for (int i = 0; i < NNS; i++) {
		snprintf(f->ns[i], sizeof(f->ns[i]), "kti-%d-%u-%s",
			 (int)getpid(), fx_serial, suffix[i]);
		f->fd[i] = -1;
	}
	f->saved = -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	/* A failed assertion may have left us inside a worker. */
	if (f->saved >= 0)
		netns_leave(f->saved);
	routing_kernel_ops.close();
	for (int i = 0; i < NNS; i++) {
		nlh_close(f->h[i]);
		if (f->fd[i] >= 0)
			close(f->fd[i]);
		netns_delete(f->ns[i]);
	}
	free(f);
	return 0;
}

static void fx_ns(struct fx *f, int i)
{
	assert_int_equal(netns_create(f->ns[i]), 0);
	f->fd[i] = netns_open(f->ns[i]);
	assert_true(f->fd[i] >= 0);
	f->h[i] = nlh_open(f->fd[i]);
	assert_non_null(f->h[i]);
}

static void fx_enter(struct fx *f, int i)
{
	assert_int_equal(netns_enter(f->fd[i], &f->saved), 0);
}

static void fx_leave(struct fx *f)
{
	int saved = f->saved;

	f->saved = -1;
	assert_int_equal(netns_leave(saved), 0);
}

/* --- the datapath, run inside a worker as the agent runs it --- */

static int w_init(struct fx *f, int w)
{
	int ret;

	fx_enter(f, w);
	ret = routing_kernel_ops.init(&f->cfg[w], f->mac[w]);
	fx_leave(f);
	return ret;
}

static int w_lease(struct fx *f, int w, const struct routing_lease *l, bool add)
{
	int ret;

	fx_enter(f, w);
	ret = add ? routing_kernel_ops.lease_add(l) : routing_kernel_ops.lease_del(l);
	fx_leave(f);
	return ret;
}

/* --- reading the kernel back through libnl --- */

static struct nl_sock *ns_sock(struct fx *f, int i)
{
	struct nl_sock *sk;
	int ret;

	fx_enter(f, i);
	sk = nl_socket_alloc();
	ret = sk ? nl_connect(sk, NETLINK_ROUTE) : -1;
	fx_leave(f);
	assert_non_null(sk);
	if (ret) {
		nl_socket_free(sk);
		fail_msg("nl_connect: %d", ret);
	}
	return sk;
}

static bool addr_eq(struct nl_addr *a, uint32_t ip)
{
	uint32_t be = htonl(ip);

	return a && nl_addr_get_len(a) == 4 &&
	       !memcmp(nl_addr_get_binary_addr(a), &be, 4);
}

static bool mac_eq(struct nl_addr *a, const uint8_t *mac)
{
	return a && nl_addr_get_len(a) == 6 &&
	       !memcmp(nl_addr_get_binary_addr(a), mac, 6);
}

/* Entries of family on ifindex; those matching ip (0: any) and mac (NULL:
 * any) in *match, the permanent ones of those in *perm. */
struct ncount {
	int all, match, perm;
};

static struct ncount neigh_count(struct fx *f, int ns, int family,
				 int ifindex, uint32_t ip, const uint8_t *mac)
{
	struct nl_sock *sk = ns_sock(f, ns);
	struct ncount c = { 0, 0, 0 };
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	ret = rtnl_neigh_alloc_cache_flags(sk, &cache, NL_CACHE_AF_ITER);
	nl_socket_free(sk);
	assert_int_equal(ret, 0);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_neigh *n = (struct rtnl_neigh *)o;

		if (rtnl_neigh_get_family(n) != family ||
		    rtnl_neigh_get_ifindex(n) != ifindex)
			continue;
		c.all++;
		if ((ip && !addr_eq(rtnl_neigh_get_dst(n), ip)) ||
		    (mac && !mac_eq(rtnl_neigh_get_lladdr(n), mac)))
			continue;
		c.match++;
		if (rtnl_neigh_get_state(n) & NUD_PERMANENT)
			c.perm++;
		if (family == AF_BRIDGE)
			assert_true(rtnl_neigh_get_flags(n) & NTF_SELF);
	}
	nl_cache_free(cache);
	return c;
}

/* Main-table IPv4 routes through ifindex: all of them in *all, those to
 * dst/len via gw on-link in *match. */
static struct ncount route_count(struct fx *f, int ns, int ifindex,
				 uint32_t dst, uint8_t len, uint32_t gw)
{
	struct nl_sock *sk = ns_sock(f, ns);
	struct ncount c = { 0, 0, 0 };
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	ret = rtnl_route_alloc_cache(sk, AF_INET, 0, &cache);
	nl_socket_free(sk);
	assert_int_equal(ret, 0);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_route *r = (struct rtnl_route *)o;
		struct rtnl_nexthop *nh;

		if (rtnl_route_get_table(r) != RT_TABLE_MAIN ||
		    rtnl_route_get_nnexthops(r) != 1)
			continue;
		nh = rtnl_route_nexthop_n(r, 0);
		if (rtnl_route_nh_get_ifindex(nh) != ifindex)
			continue;
		c.all++;
		if (nl_addr_get_prefixlen(rtnl_route_get_dst(r)) != len ||
		    !addr_eq(rtnl_route_get_dst(r), dst) ||
		    !addr_eq(rtnl_route_nh_get_gateway(nh), gw))
			continue;
		c.match++;
		if (rtnl_route_nh_get_flags(nh) & RTNH_F_ONLINK)
			c.perm++;
	}
	nl_cache_free(cache);
	return c;
}

/* IPv4 addresses of ifindex: all in *all, addr/len in *match. */
static struct ncount addr_count(struct fx *f, int ns, int ifindex,
				uint32_t addr, uint8_t len)
{
	struct nl_sock *sk = ns_sock(f, ns);
	struct ncount c = { 0, 0, 0 };
	struct nl_cache *cache;
	struct nl_object *o;
	int ret;

	ret = rtnl_addr_alloc_cache(sk, &cache);
	nl_socket_free(sk);
	assert_int_equal(ret, 0);
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;

		if (rtnl_addr_get_family(a) != AF_INET ||
		    rtnl_addr_get_ifindex(a) != ifindex)
			continue;
		c.all++;
		if (rtnl_addr_get_prefixlen(a) == len &&
		    addr_eq(rtnl_addr_get_local(a), addr))
			c.match++;
	}
	nl_cache_free(cache);
	return c;
}

static struct rtnl_link *link_get(struct fx *f, int ns, const char *ifname)
{
	struct nl_sock *sk = ns_sock(f, ns);
	struct rtnl_link *link = NULL;
	int ret;

	ret = rtnl_link_get_kernel(sk, 0, ifname, &link);
	nl_socket_free(sk);
	assert_int_equal(ret, 0);
	return link;
}

static int if_mtu(struct fx *f, int ns, const char *ifname)
{
	struct rtnl_link *link = link_get(f, ns, ifname);
	int mtu = (int)rtnl_link_get_mtu(link);

	rtnl_link_put(link);
	return mtu;
}

static bool if_up(struct fx *f, int ns, const char *ifname)
{
	struct rtnl_link *link = link_get(f, ns, ifname);
	bool up = rtnl_link_get_flags(link) & IFF_UP;

	rtnl_link_put(link);
	return up;
}

static void sysctl_expect(struct fx *f, int ns, const char *key,
			  const char *val)
{
	char path[128], buf[16] = "";
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/%s", key);
	fx_enter(f, ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	fx_leave(f);
	assert_true(n > 0);
	buf[strcspn(buf, "\n")] = '\0';
	assert_string_equal(buf, val);
}

/* --- traffic --- */

static struct sockaddr_in sin4(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(addr);
	sa.sin_port = htons(port);
	return sa;
}

/* Sends datagrams from namespace `from` to dst:port, bound in `to`;
 * returns whether one arrived. */
static bool udp_arrives(struct fx *f, int from, int to, uint32_t dst,
			uint16_t port, int tries)
{
	struct sockaddr_in sa = sin4(dst, port);
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };
	static const char msg[] = "kti-hello";
	char buf[64];
	ssize_t n = -1;
	int rx, tx;

	rx = netns_socket(f->fd[to], AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx >= 0);
	tx = netns_socket(f->fd[from], AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(tx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv,
				    sizeof(tv)), 0);
	/* A few tries: the first datagram may wait for ARP on the bridge. */
	for (int i = 0; i < tries && n < 0; i++) {
		/* Fails with ENETUNREACH once the route is gone: fine. */
		sendto(tx, msg, sizeof(msg), 0, (struct sockaddr *)&sa,
		       sizeof(sa));
		n = recv(rx, buf, sizeof(buf), 0);
	}
	close(tx);
	close(rx);
	return n == (ssize_t)sizeof(msg) && !memcmp(buf, msg, sizeof(msg));
}

/* --- the lab --- */

static void fx_config(struct fx *f, int w)
{
	struct routing_config *c = &f->cfg[w];

	memset(c, 0, sizeof(*c));
	c->sim = "kti";
	c->worker = w == W1 ? "w1" : "w2";
	c->underlay_ip = ip4(192, 0, 2, w == W1 ? 1 : 2);
	c->underlay_if = UL;
	c->net.network.addr = ip4(11, 0, 0, 0);
	c->net.network.len = 8;
	c->net.subnet_len = 20;
	c->net.subnet_min = ip4(11, 0, 16, 0);
	c->net.subnet_max = ip4(11, 255, 240, 0);
	snprintf(c->net.backend_type, sizeof(c->net.backend_type), "vxlan");
	c->net.vni = 100;
	c->net.port = 8472;
	c->subnet.addr = ip4(11, 10, w == W1 ? 16 : 32, 0);
	memcpy(c->vtep_mac, (uint8_t[6]){ 0x0a, 0x6b, 192, 0, 2, w == W1 ? 1 : 2 }, 6);
	c->subnet.len = 20;
	c->pin_dir = "";
}

/* Two workers on a veth underlay, the datapath initialised in each. */
static void fx_workers(struct fx *f)
{
	for (int i = 0; i < NNS; i++)
		fx_ns(f, i);
	assert_int_equal(nl_veth_add(f->h[W1], UL, UL, f->fd[W2]), 0);
	for (int w = W1; w <= W2; w++) {
		assert_int_equal(nl_link_up(f->h[w], UL), 0);
		assert_int_equal(nl_addr_add(f->h[w], UL,
					     ip4(192, 0, 2, 1 + w), 24), 0);
		fx_config(f, w);
		assert_int_equal(w_init(f, w), 0);
		f->lease[w].subnet = f->cfg[w].subnet;
		f->lease[w].public_ip = f->cfg[w].underlay_ip;
		memcpy(f->lease[w].vtep_mac, f->mac[w], 6);
	}
	assert_memory_not_equal(f->mac[W1], f->mac[W2], 6);
}

/* A pod on worker w's cni0: .2 of its lease, default via .1. */
static void fx_pod(struct fx *f, int w, int p)
{
	uint32_t net = f->cfg[w].subnet.addr;

	assert_int_equal(nl_veth_add(f->h[w], HOSTIF, PODIF, f->fd[p]), 0);
	assert_int_equal(nl_link_set_mtu(f->h[w], HOSTIF, 1450), 0);
	assert_int_equal(nl_link_set_mtu(f->h[p], PODIF, 1450), 0);
	assert_int_equal(nl_link_set_master(f->h[w], HOSTIF, BR), 0);
	assert_int_equal(nl_link_up(f->h[w], HOSTIF), 0);
	assert_int_equal(nl_link_up(f->h[p], PODIF), 0);
	assert_int_equal(nl_addr_add(f->h[p], PODIF, net + 2, 20), 0);
	assert_int_equal(nl_route_add(f->h[p], 0, 0, net + 1, NULL), 0);
}

/* Workers, leases exchanged, a pod on each. */
static void fx_lab(struct fx *f)
{
	fx_workers(f);
	assert_int_equal(w_lease(f, W1, &f->lease[W2], true), 0);
	assert_int_equal(w_lease(f, W2, &f->lease[W1], true), 0);
	fx_pod(f, W1, P1);
	fx_pod(f, W2, P2);
}

/* Worker w holds exactly the three entries for lease l (and n leases in
 * all). */
static void expect_lease(struct fx *f, int w, const struct routing_lease *l,
			 int n)
{
	int vx = nl_link_index(f->h[w], VX);
	struct ncount c;

	assert_true(vx > 0);
	c = neigh_count(f, w, AF_INET, vx, l->subnet.addr, l->vtep_mac);
	assert_int_equal(c.all, n);
	assert_int_equal(c.match, 1);
	assert_int_equal(c.perm, 1);
	c = neigh_count(f, w, AF_BRIDGE, vx, l->public_ip, l->vtep_mac);
	assert_int_equal(c.all, n);
	assert_int_equal(c.match, 1);
	assert_int_equal(c.perm, 1);
	c = route_count(f, w, vx, l->subnet.addr, l->subnet.len,
			l->subnet.addr);
	assert_int_equal(c.all, n);
	assert_int_equal(c.match, 1);
	assert_int_equal(c.perm, 1); /* onlink */
}

static void expect_no_lease(struct fx *f, int w, const struct routing_lease *l)
{
	int vx = nl_link_index(f->h[w], VX);

	assert_true(vx > 0);
	assert_int_equal(neigh_count(f, w, AF_INET, vx, l->subnet.addr,
				     NULL).match, 0);
	assert_int_equal(neigh_count(f, w, AF_BRIDGE, vx, 0,
				     l->vtep_mac).match, 0);
	assert_int_equal(route_count(f, w, vx, l->subnet.addr, l->subnet.len,
				     l->subnet.addr).match, 0);
}

/* --- tests --- */

static void test_init_device(void **state)
{
	struct fx *f = *state;
	struct rtnl_link *link;
	struct nl_addr *local = NULL;
	uint8_t mac[6];
	uint32_t v;
	int vx, br;

	need_root();
	fx_workers(f);

	/* flannel.100: id 100, local, dev eth0, dstport 8472, nolearning. */
	link = link_get(f, W1, VX);
	assert_true(rtnl_link_is_vxlan(link));
	assert_int_equal(rtnl_link_vxlan_get_id(link, &v), 0);
	assert_int_equal(v, 100);
	assert_int_equal(rtnl_link_vxlan_get_port(link, &v), 0);
	assert_int_equal(v, 8472);
	assert_int_equal(rtnl_link_vxlan_get_learning(link), 0);
	assert_true(rtnl_link_vxlan_get_collect_metadata(link) <= 0);
	assert_int_equal(rtnl_link_vxlan_get_link(link, &v), 0);
	assert_int_equal((int)v, nl_link_index(f->h[W1], UL));
	assert_int_equal(rtnl_link_vxlan_get_local(link, &local), 0);
	assert_true(addr_eq(local, ip4(192, 0, 2, 1)));
	nl_addr_put(local);
	rtnl_link_put(link);
	assert_int_equal(if_mtu(f, W1, VX), 1500 - 50);
	assert_true(if_up(f, W1, VX));
	assert_int_equal(nl_link_mac(f->h[W1], VX, mac), 0);
	assert_memory_equal(mac, f->mac[W1], 6);

	/* flannel.100 11.10.16.0/32, cni0 11.10.16.1/20, both up. */
	vx = nl_link_index(f->h[W1], VX);
	br = nl_link_index(f->h[W1], BR);
	assert_true(br > 0);
	struct ncount c = addr_count(f, W1, vx, ip4(11, 10, 16, 0), 32);
	assert_int_equal(c.all, 1);
	assert_int_equal(c.match, 1);
	c = addr_count(f, W1, br, ip4(11, 10, 16, 1), 20);
	assert_int_equal(c.all, 1);
	assert_int_equal(c.match, 1);
	assert_true(if_up(f, W1, BR));
	c = addr_count(f, W2, nl_link_index(f->h[W2], VX),
		       ip4(11, 10, 32, 0), 32);
	assert_int_equal(c.match, 1);

	sysctl_expect(f, W1, "net/ipv4/ip_forward", "1");
	sysctl_expect(f, W1, "net/ipv4/conf/all/rp_filter", "0");
	sysctl_expect(f, W1, "net/ipv4/conf/default/rp_filter", "0");
	sysctl_expect(f, W1, "net/ipv4/conf/" VX "/rp_filter", "0");
	sysctl_expect(f, W1, "net/ipv4/conf/" BR "/rp_filter", "0");
	sysctl_expect(f, W2, "net/ipv4/ip_forward", "1");

	/* Nothing per remote worker yet. */
	assert_int_equal(neigh_count(f, W1, AF_INET, vx, 0, NULL).all, 0);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, vx, 0, NULL).all, 0);
	assert_int_equal(route_count(f, W1, vx, 0, 0, 0).all, 0);
}

static void test_leases_and_traffic(void **state)
{
	struct fx *f = *state;

	need_root();
	fx_lab(f);
	expect_lease(f, W1, &f->lease[W2], 1);
	expect_lease(f, W2, &f->lease[W1], 1);

	/* pod1 <-> pod2 across the overlay, worker1 -> pod2. */
	assert_true(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7101, 15));
	assert_true(udp_arrives(f, P2, P1, ip4(11, 10, 16, 2), 7102, 15));
	assert_true(udp_arrives(f, W1, P2, ip4(11, 10, 32, 2), 7103, 15));
	assert_true(udp_arrives(f, W2, P1, ip4(11, 10, 16, 2), 7104, 15));

	/* Endpoints need nothing in kernel mode. */
	struct routing_endpoint ep = { .ip = ip4(11, 10, 16, 2) };

	assert_int_equal(routing_kernel_ops.endpoint_add(&ep), 0);
	assert_int_equal(routing_kernel_ops.endpoint_del(ep.ip), 0);
	assert_int_equal(routing_kernel_ops.endpoint_add(NULL), -EINVAL);
}

static void test_idempotent(void **state)
{
	struct fx *f = *state;
	uint8_t mac[6];
	int idx, br;

	need_root();
	fx_lab(f);
	idx = nl_link_index(f->h[W1], VX);
	br = nl_link_index(f->h[W1], BR);

	/* init again adopts the device (same index, same MAC) and keeps the
	 * lease entries; a stray address goes (a lease that changed). */
	assert_int_equal(nl_addr_add(f->h[W1], VX, ip4(11, 99, 0, 1), 24), 0);
	memcpy(mac, f->mac[W1], 6);
	assert_int_equal(w_init(f, W1), 0);
	assert_int_equal(nl_link_index(f->h[W1], VX), idx);
	assert_int_equal(nl_link_index(f->h[W1], BR), br);
	assert_memory_equal(mac, f->mac[W1], 6);
	assert_int_equal(addr_count(f, W1, idx, 0, 0).all, 1);
	assert_int_equal(addr_count(f, W1, br, 0, 0).all, 1);
	expect_lease(f, W1, &f->lease[W2], 1);

	/* lease_add twice: still one of each. */
	assert_int_equal(w_lease(f, W1, &f->lease[W2], true), 0);
	assert_int_equal(w_lease(f, W1, &f->lease[W2], true), 0);
	expect_lease(f, W1, &f->lease[W2], 1);
	assert_true(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7201, 15));
}

static void test_lease_del(void **state)
{
	struct fx *f = *state;
	struct routing_lease other = {
		.subnet = { ip4(11, 10, 48, 0), 20 },
		.public_ip = ip4(192, 0, 2, 3),
		.vtep_mac = { 0x02, 0x6b, 0x74, 0x69, 0x00, 0x03 },
	};

	need_root();
	fx_lab(f);
	assert_int_equal(w_lease(f, W1, &other, true), 0);
	expect_lease(f, W1, &other, 2);
	assert_true(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7301, 15));

	/* Exactly w2's three entries go; the other lease stays. */
	assert_int_equal(w_lease(f, W1, &f->lease[W2], false), 0);
	expect_no_lease(f, W1, &f->lease[W2]);
	expect_lease(f, W1, &other, 1);
	assert_false(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7302, 3));
	assert_false(udp_arrives(f, W1, P2, ip4(11, 10, 32, 2), 7303, 3));
	/* w2 still reaches pod1 (its side is untouched). */
	assert_true(udp_arrives(f, P2, P1, ip4(11, 10, 16, 2), 7304, 15));

	/* Deleting again is fine; adding back restores the path. */
	assert_int_equal(w_lease(f, W1, &f->lease[W2], false), 0);
	assert_int_equal(w_lease(f, W1, &f->lease[W2], true), 0);
	expect_lease(f, W1, &f->lease[W2], 2);
	assert_true(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7305, 15));
	assert_int_equal(w_lease(f, W1, &other, false), 0);
	assert_int_equal(w_lease(f, W1, &f->lease[W2], false), 0);
	int vx = nl_link_index(f->h[W1], VX);
	assert_int_equal(neigh_count(f, W1, AF_INET, vx, 0, NULL).all, 0);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, vx, 0, NULL).all, 0);
	assert_int_equal(route_count(f, W1, vx, 0, 0, 0).all, 0);
}

static void test_bad_input(void **state)
{
	struct fx *f = *state;
	struct routing_lease l;
	struct routing_config c;
	uint8_t mac[6];

	need_root();
	/* Before init, no lease is accepted. */
	routing_kernel_ops.close();
	l = (struct routing_lease){ .subnet = { ip4(11, 10, 48, 0), 20 },
			       .public_ip = ip4(192, 0, 2, 3),
			       .vtep_mac = { 2, 0, 0, 0, 0, 1 } };
	assert_int_equal(routing_kernel_ops.lease_add(&l), -EINVAL);
	assert_int_equal(routing_kernel_ops.lease_del(&l), -EINVAL);
	assert_int_equal(routing_kernel_ops.init(NULL, mac), -EINVAL);

	fx_workers(f);
	/* Outside Network, the worker's own lease, host bits, bad MAC. */
	l.subnet.addr = ip4(12, 0, 0, 0);
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	l.subnet = f->cfg[W1].subnet;
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	l.subnet = (struct cidr){ ip4(11, 10, 48, 1), 20 };
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	l.subnet = (struct cidr){ ip4(11, 10, 48, 0), 20 };
	l.public_ip = 0;
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	l.public_ip = ip4(192, 0, 2, 3);
	memset(l.vtep_mac, 0, 6);
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	l.vtep_mac[0] = 1; /* multicast */
	assert_int_equal(w_lease(f, W1, &l, true), -EINVAL);
	assert_int_equal(routing_kernel_ops.lease_add(NULL), -EINVAL);
	/* Nothing half-installed by the failures. */
	int vx = nl_link_index(f->h[W1], VX);
	assert_int_equal(neigh_count(f, W1, AF_INET, vx, 0, NULL).all, 0);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, vx, 0, NULL).all, 0);
	assert_int_equal(route_count(f, W1, vx, 0, 0, 0).all, 0);

	/* Configs init refuses. */
	c = f->cfg[W1];
	c.net.vni = 10000000; /* flannel.10000000 is too long a name */
	fx_enter(f, W1);
	int r1 = routing_kernel_ops.init(&c, mac);
	c = f->cfg[W1];
	c.subnet = (struct cidr){ ip4(10, 0, 0, 0), 20 };
	int r2 = routing_kernel_ops.init(&c, mac);
	c = f->cfg[W1];
	c.underlay_if = "kti-none";
	int r3 = routing_kernel_ops.init(&c, mac);
	fx_leave(f);
	assert_int_equal(r1, -ENAMETOOLONG);
	assert_int_equal(r2, -EINVAL);
	assert_int_equal(r3, -ENODEV);
}

static int w_prune(struct fx *f, int w, const struct routing_lease *l,
		   size_t n)
{
	int ret;

	fx_enter(f, w);
	ret = routing_kernel_ops.prune(l, n, NULL, 0);
	fx_leave(f);
	return ret;
}

/* After a restart: the entries of a lease gone from etcd go, those of the
 * current leases and those knetsim does not make stay. */
static void test_prune(void **state)
{
	struct fx *f = *state;
	struct routing_lease other = {
		.subnet = { ip4(11, 10, 48, 0), 20 },
		.public_ip = ip4(192, 0, 2, 3),
		.vtep_mac = { 0x02, 0x6b, 0x74, 0x69, 0x00, 0x03 },
	};
	static const uint8_t foreign[6] = { 0x02, 0x6b, 0x74, 0x69, 0, 7 };
	struct nl_neigh_entry *ne;
	struct nl_fdb_entry *fe;
	struct nl_route_entry *re;
	struct nlh *h;
	int vx;

	need_root();
	fx_lab(f);
	h = f->h[W1];
	assert_int_equal(w_lease(f, W1, &other, true), 0);
	vx = nl_link_index(h, VX);
	/* Not flannel's: a neighbour outside Network, a plain device route. */
	assert_int_equal(nl_neigh_replace(h, VX, ip4(12, 0, 0, 1), foreign), 0);
	assert_int_equal(nl_route_add(h, ip4(11, 10, 112, 0), 20, 0, VX), 0);

	/* The dumps read all of it back. */
	assert_int_equal(nl_neigh_dump(h, VX, &ne), 3);
	free(ne);
	assert_int_equal(nl_fdb_dump(h, VX, &fe), 2);
	for (int i = 0; i < 2; i++)
		assert_true(fe[i].state & NUD_PERMANENT);
	free(fe);
	assert_int_equal(nl_route_dump(h, VX, &re), 3);
	free(re);
	assert_int_equal(nl_route_dump(h, "kti-none", &re), -ENODEV);
	assert_null(re);

	/* The other lease went while no agent ran. */
	assert_int_equal(w_prune(f, W1, &f->lease[W2], 1), 0);
	expect_no_lease(f, W1, &other);
	assert_int_equal(neigh_count(f, W1, AF_INET, vx, ip4(12, 0, 0, 1),
				     foreign).perm, 1);
	assert_int_equal(route_count(f, W1, vx, 0, 0, 0).all, 2); /* + w2's */
	assert_true(udp_arrives(f, P1, P2, ip4(11, 10, 32, 2), 7401, 15));
	/* Again: nothing more to do. */
	assert_int_equal(w_prune(f, W1, &f->lease[W2], 1), 0);
	assert_int_equal(nl_neigh_del(h, VX, ip4(12, 0, 0, 1)), 0);
	assert_int_equal(nl_route_del(h, ip4(11, 10, 112, 0), 20, 0, VX), 0);
	expect_lease(f, W1, &f->lease[W2], 1);

	/* No lease at all: the device is left bare; w2 is untouched. */
	assert_int_equal(w_prune(f, W1, NULL, 0), 0);
	assert_int_equal(neigh_count(f, W1, AF_INET, vx, 0, NULL).all, 0);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, vx, 0, NULL).all, 0);
	assert_int_equal(route_count(f, W1, vx, 0, 0, 0).all, 0);
	expect_lease(f, W2, &f->lease[W1], 1);
}

/* The nl_overlay helpers on their own. */
static void test_nl_overlay(void **state)
{
	struct fx *f = *state;
	static const uint8_t m[6] = { 0x02, 0x6b, 0x74, 0x69, 0, 9 };
	struct nlh *h;
	struct rtnl_link *link;
	uint32_t v;
	int idx;

	need_root();
	fx_ns(f, W1);
	fx_ns(f, W2);
	h = f->h[W1];
	assert_int_equal(nl_veth_add(h, UL, UL, f->fd[W2]), 0);
	assert_int_equal(nl_link_set_mtu(h, UL, 9000), 0);
	assert_int_equal(nl_link_up(h, UL), 0);
	assert_int_equal(nl_addr_add(h, UL, ip4(192, 0, 2, 1), 24), 0);

	/* External (collect_md) device: no id, dstport, MTU from eth0. */
	assert_int_equal(nl_vxlan_add(h, "ktix", 0, 4789, 0, UL, false, true),
			 0);
	link = link_get(f, W1, "ktix");
	assert_int_equal(rtnl_link_vxlan_get_collect_metadata(link), 1);
	assert_int_equal(rtnl_link_vxlan_get_port(link, &v), 0);
	assert_int_equal(v, 4789);
	rtnl_link_put(link);
	assert_int_equal(if_mtu(f, W1, "ktix"), 9000 - 50);
	idx = nl_link_index(h, "ktix");
	assert_int_equal(nl_vxlan_add(h, "ktix", 0, 4789, 0, UL, false, true),
			 0);
	assert_int_equal(nl_link_index(h, "ktix"), idx);
	/* Other settings: replaced, as flannel does. */
	assert_int_equal(nl_vxlan_add(h, "ktix", 0, 4790, 0, NULL, true,
				      true), 0);
	assert_true(nl_link_index(h, "ktix") > 0);
	link = link_get(f, W1, "ktix");
	assert_int_equal(rtnl_link_vxlan_get_port(link, &v), 0);
	assert_int_equal(v, 4790);
	assert_int_equal(rtnl_link_vxlan_get_learning(link), 1);
	rtnl_link_put(link);
	/* Another kind of device under the name is left alone. */
	assert_int_equal(nl_bridge_add(h, "ktib"), 0);
	assert_int_equal(nl_vxlan_add(h, "ktib", 5, 8472, 0, NULL, false,
				      false), -EEXIST);
	assert_int_equal(nl_vxlan_add(h, "ktiy", 1u << 24, 8472, 0, NULL,
				      false, false), -EINVAL);
	assert_int_equal(nl_vxlan_add(h, "ktiy", 5, 0, 0, NULL, false, false),
			 -EINVAL);
	assert_int_equal(nl_vxlan_add(h, "ktiy", 5, 8472, 0, "kti-none",
				      false, false), -ENODEV);

	/* Deletes of what is not there, or on a missing device: 0. */
	assert_int_equal(nl_neigh_del(h, "ktix", ip4(11, 1, 0, 0)), 0);
	assert_int_equal(nl_fdb_del(h, "ktix", m, ip4(192, 0, 2, 9)), 0);
	assert_int_equal(nl_fdb_del(h, "ktix", m, 0), 0);
	assert_int_equal(nl_route_del(h, ip4(11, 1, 0, 0), 16, 0, NULL), 0);
	assert_int_equal(nl_neigh_del(h, "kti-none", ip4(11, 1, 0, 0)), 0);
	assert_int_equal(nl_fdb_del(h, "kti-none", m, 0), 0);
	assert_int_equal(nl_route_del(h, ip4(11, 1, 0, 0), 16, 0, "kti-none"),
			 0);
	/* Adds on a missing device, bad arguments. */
	assert_int_equal(nl_neigh_replace(h, "kti-none", ip4(11, 1, 0, 0), m),
			 -ENODEV);
	assert_int_equal(nl_neigh_replace(h, "ktix", 0, m), -EINVAL);
	assert_int_equal(nl_fdb_replace(h, "ktix", m, 0), -EINVAL);
	assert_int_equal(nl_route_replace(h, ip4(11, 1, 0, 1), 16, 0, "ktix",
					  false), -EINVAL);
	assert_int_equal(nl_route_replace(h, ip4(11, 1, 0, 0), 16, 0, "ktix",
					  true), -EINVAL);
	assert_int_equal(nl_route_replace(h, ip4(11, 1, 0, 0), 33, 0, "ktix",
					  false), -EINVAL);
	assert_int_equal(nl_link_mac(h, "kti-none", (uint8_t[6]){ 0 }),
			 -ENODEV);

	/* fdb with dst 0 removes the MAC whatever its destination. */
	assert_int_equal(nl_link_up(h, "ktix"), 0);
	assert_int_equal(nl_fdb_replace(h, "ktix", m, ip4(192, 0, 2, 7)), 0);
	idx = nl_link_index(h, "ktix");
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, idx, ip4(192, 0, 2, 7),
				     m).perm, 1);
	/* replace moves it */
	assert_int_equal(nl_fdb_replace(h, "ktix", m, ip4(192, 0, 2, 8)), 0);
	struct ncount c = neigh_count(f, W1, AF_BRIDGE, idx, 0, m);
	assert_int_equal(c.match, 1);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, idx, ip4(192, 0, 2, 8),
				     m).match, 1);
	assert_int_equal(nl_fdb_del(h, "ktix", m, 0), 0);
	assert_int_equal(neigh_count(f, W1, AF_BRIDGE, idx, 0, m).match, 0);

	/* A plain route replace (no onlink) and its delete narrowed by gw. */
	assert_int_equal(nl_route_replace(h, ip4(11, 2, 0, 0), 16,
					  ip4(192, 0, 2, 2), UL, false), 0);
	assert_int_equal(nl_route_replace(h, ip4(11, 2, 0, 0), 16,
					  ip4(192, 0, 2, 3), UL, false), 0);
	idx = nl_link_index(h, UL);
	assert_int_equal(route_count(f, W1, idx, ip4(11, 2, 0, 0), 16,
				     ip4(192, 0, 2, 3)).match, 1);
	assert_int_equal(route_count(f, W1, idx, ip4(11, 2, 0, 0), 16,
				     ip4(192, 0, 2, 2)).match, 0);
	assert_int_equal(nl_route_del(h, ip4(11, 2, 0, 0), 16,
				      ip4(192, 0, 2, 2), UL), 0);
	assert_int_equal(route_count(f, W1, idx, ip4(11, 2, 0, 0), 16,
				     ip4(192, 0, 2, 3)).match, 1);
	assert_int_equal(nl_route_del(h, ip4(11, 2, 0, 0), 16,
				      ip4(192, 0, 2, 3), UL), 0);
	assert_int_equal(route_count(f, W1, idx, ip4(11, 2, 0, 0), 16,
				     ip4(192, 0, 2, 3)).match, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_device),
		T(test_leases_and_traffic),
		T(test_idempotent),
		T(test_lease_del),
		T(test_bad_input),
		T(test_prune),
		T(test_nl_overlay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
