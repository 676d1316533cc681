// SPDX-License-Identifier: MIT
/* Routing "kernel": flannel's VXLAN backend, installed through netlink in
 * the namespace the agent runs in (the worker's).
 * - flannel.<VNI>: VXLAN id VNI, local = the worker's underlay address,
 *   dev = the underlay interface, nolearning; address = the lease's
 *   network address /32, up. Its MAC is the VTEP MAC in the lease.
 * - cni0: the pods' bridge, with the lease's first address as gateway
 *   (what flannel's bridge CNI would create).
 * - per remote lease, the three entries flannel installs: a permanent
 *   neighbour (remote .0 -> remote VTEP MAC), an FDB entry (remote VTEP
 *   MAC -> remote underlay address) and an on-link route (remote subnet
 *   via remote .0 dev flannel.<VNI> onlink).
 * With proxy "bpf" (cfg->pod_lb), the pods' service traffic is balanced by
 * tc programs on their veths, attached per endpoint (pod_lb.h).
 * Each call opens its own netlink socket in the caller's namespace. */
#include "routing.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "datapath.h"
#include "log.h"
#include "nl.h"
#include "nl_overlay.h"
#include "pod_lb.h"
#include "routing_kernel_sweep.h"
#include "sysctl.h"

#define RK_BRIDGE	"cni0"
#define RK_VXLAN_FMT	"flannel.%u"
#define RK_VNI_MAX	0xffffffu
#define RK_ADDRS_MAX	16	/* addresses looked at per device */

/* Set by init, what the lease calls need. */
static struct {
	bool ready;
	char vxlan[IF_NAMESIZE];
	struct cidr network;
	struct dp *dp;		/* pod_lb: the service programs' datapath */
} rk;

static const char *rk_err(int ret)
{
	return strerror(ret < 0 ? -ret : ret);
}

/* A netlink handle in the caller's namespace: 0 or -errno. */
static int rk_open(struct nlh **h)
{
	int ret;

	*h = nlh_open(-1);
	if (*h)
		return 0;
	ret = errno ? -errno : -ENOMEM;
	log_err("routing kernel: netlink socket: %s", rk_err(ret));
	return ret;
}

static int rk_config_check(const struct routing_config *cfg, char *vxlan,
			   size_t len)
{
	const struct net_config *n = &cfg->net;
	char buf[CIDR_STRLEN];
	int w;

	if (!cfg->underlay_if || !cfg->underlay_ip || !n->port ||
	    n->vni > RK_VNI_MAX) {
		log_err("routing kernel: incomplete config (underlay, VNI, port)");
		return -EINVAL;
	}
	/* A gateway and a pod at least: /30 or larger, inside Network. */
	if (!cfg->subnet.len || cfg->subnet.len > 30 ||
	    (cfg->subnet.addr & ~cidr_mask(cfg->subnet.len)) ||
	    !cidr_contains_cidr(&n->network, &cfg->subnet)) {
		log_err("routing kernel: lease %s: outside Network or too small",
			cidr_format(&cfg->subnet, buf));
		return -EINVAL;
	}
	w = snprintf(vxlan, len, RK_VXLAN_FMT, n->vni);
	if (w < 0 || (size_t)w >= len) {
		log_err("routing kernel: VNI %u: device name too long", n->vni);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int rk_sysctl(const char *key, const char *val)
{
	int ret = sysctl_write(-1, key, val);

	if (ret)
		log_err("routing kernel: %s: %s", key, rk_err(ret));
	return ret;
}

/* Forwarding on; reverse-path filtering off for all, default and each of
 * the devices flannel's traffic crosses. */
static int rk_sysctls(const char *vx, const char *underlay)
{
	const char *const devs[] = { "all", "default", vx, RK_BRIDGE,
				     underlay };
	char key[64];
	int ret;

	ret = rk_sysctl("net/ipv4/ip_forward", "1");
	for (size_t i = 0; !ret && i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter",
			 devs[i]);
		ret = rk_sysctl(key, "0");
	}
	return ret;
}

static int rk_vxlan_setup(struct nlh *h, const struct routing_config *cfg,
			  const char *vx)
{
	int ret;

	ret = nl_vxlan_add(h, vx, cfg->net.vni, cfg->net.port,
			   cfg->underlay_ip, cfg->underlay_if, false, false);
	if (ret) {
		log_err("routing kernel: %s: create on %s: %s", vx,
			cfg->underlay_if, rk_err(ret));
		return ret;
	}
	ret = nl_addr_ensure(h, vx, cfg->subnet.addr, 32);
	if (!ret)
		ret = nl_link_up(h, vx);
	if (ret)
		log_err("routing kernel: %s: address/up: %s", vx, rk_err(ret));
	return ret;
}

static int rk_bridge_setup(struct nlh *h, const struct cidr *subnet)
{
	int ret;

	ret = nl_bridge_add(h, RK_BRIDGE);
	if (ret == -EEXIST)
		ret = 0;
	if (!ret)
		ret = nl_addr_ensure(h, RK_BRIDGE, subnet->addr + 1,
				     subnet->len);
	if (!ret)
		ret = nl_link_up(h, RK_BRIDGE);
	if (ret)
		log_err("routing kernel: %s: %s", RK_BRIDGE, rk_err(ret));
	return ret;
}

/* The services' datapath with proxy "bpf" (its maps pinned where the
 * proxy fills them); none otherwise. */
static int rk_pod_lb_open(const struct routing_config *cfg)
{
	int ret;

	dp_close(rk.dp);
	rk.dp = NULL;
	if (!cfg->pod_lb)
		return 0;
	if (!cfg->pin_dir)
		return -EINVAL;
	ret = dp_open(cfg->pin_dir, &rk.dp);
	if (ret)
		log_err("routing kernel: service programs in %s: %s",
			cfg->pin_dir, rk_err(ret));
	return ret;
}

static int rk_init(const struct routing_config *cfg, uint8_t vtep_mac[6])
{
	char vx[IF_NAMESIZE];
	struct nlh *h;
	int ret;

	if (!cfg || !vtep_mac)
		return -EINVAL;
	ret = rk_config_check(cfg, vx, sizeof(vx));
	if (ret)
		return ret;
	ret = rk_open(&h);
	if (ret)
		return ret;
	ret = rk_vxlan_setup(h, cfg, vx);
	if (!ret)
		ret = rk_bridge_setup(h, &cfg->subnet);
	if (!ret)
		ret = rk_sysctls(vx, cfg->underlay_if);
	if (!ret)
		ret = nl_link_set_mac(h, vx, cfg->vtep_mac);
	if (!ret) {
		ret = nl_link_mac(h, vx, vtep_mac);
		if (ret)
			log_err("routing kernel: %s: MAC: %s", vx, rk_err(ret));
	}
	nlh_close(h);
	if (!ret)
		ret = rk_pod_lb_open(cfg);
	if (ret)
		return ret;
	memcpy(rk.vxlan, vx, sizeof(vx));
	rk.network = cfg->net.network;
	rk.ready = true;
	return 0;
}

static void rk_lease_log(const struct routing_lease *l, const char *what,
			 int ret)
{
	char buf[CIDR_STRLEN];

	log_err("routing kernel: lease %s: %s: %s", cidr_format(&l->subnet, buf),
		what, rk_err(ret));
}

/* Whether subnet s covers an address of this worker's flannel.<VNI> or
 * overlaps the pods' network on cni0: read from the kernel, as the calls
 * act on whatever namespace they are made in. 1, 0 or -errno. */
static int rk_subnet_is_local(struct nlh *h, const struct cidr *s)
{
	const char *const devs[] = { rk.vxlan, RK_BRIDGE };
	struct nl_addr_v4 a[RK_ADDRS_MAX];
	struct cidr c;
	int n;

	for (size_t d = 0; d < sizeof(devs) / sizeof(devs[0]); d++) {
		n = nl_addr_list(h, devs[d], a, RK_ADDRS_MAX);
		if (n == -ENODEV)
			continue; /* no addresses there either */
		if (n < 0)
			return n;
		for (int i = 0; i < n && i < RK_ADDRS_MAX; i++) {
			c.len = a[i].prefixlen;
			c.addr = a[i].addr & cidr_mask(c.len);
			if (cidr_overlaps(&c, s))
				return 1;
		}
	}
	return 0;
}

/* A remote worker's lease inside Network: 0, or -EINVAL logged. */
static int rk_lease_check(struct nlh *h, const struct routing_lease *l)
{
	char buf[CIDR_STRLEN];
	int ret;

	if (!l->subnet.len || l->subnet.len > 32 ||
	    (l->subnet.addr & ~cidr_mask(l->subnet.len)) ||
	    !cidr_contains_cidr(&rk.network, &l->subnet)) {
		log_err("routing kernel: lease %s: not a subnet of Network",
			cidr_format(&l->subnet, buf));
		return -EINVAL;
	}
	if (!l->public_ip) {
		log_err("routing kernel: lease %s: no public IP",
			cidr_format(&l->subnet, buf));
		return -EINVAL;
	}
	ret = rk_subnet_is_local(h, &l->subnet);
	if (ret < 0) {
		rk_lease_log(l, rk.vxlan, ret);
		return ret;
	}
	if (ret) {
		log_err("routing kernel: lease %s: this worker's own subnet",
			cidr_format(&l->subnet, buf));
		return -EINVAL;
	}
	return 0;
}

/* A netlink handle for a lease call, the lease checked. */
static int rk_lease_open(const struct routing_lease *l, struct nlh **h)
{
	int ret;

	*h = NULL;
	if (!rk.ready) {
		log_err("routing kernel: lease before init");
		return -EINVAL;
	}
	if (!l)
		return -EINVAL;
	ret = rk_open(h);
	if (!ret)
		ret = rk_lease_check(*h, l);
	if (ret) {
		nlh_close(*h);
		*h = NULL;
	}
	return ret;
}

static int rk_lease_add(const struct routing_lease *l)
{
	const char *vx = rk.vxlan;
	uint32_t vtep;
	struct nlh *h;
	int ret;

	ret = rk_lease_open(l, &h);
	if (ret)
		return ret;
	vtep = l->subnet.addr; /* the remote flannel.<VNI>'s address */
	ret = nl_neigh_replace(h, vx, vtep, l->vtep_mac);
	if (ret) {
		rk_lease_log(l, "neighbour", ret);
		goto out;
	}
	ret = nl_fdb_replace(h, vx, l->vtep_mac, l->public_ip);
	if (ret) {
		rk_lease_log(l, "fdb", ret);
		goto err_neigh;
	}
	ret = nl_route_replace(h, l->subnet.addr, l->subnet.len, vtep, vx,
			       true);
	if (!ret)
		goto out;
	rk_lease_log(l, "route", ret);
	nl_fdb_del(h, vx, l->vtep_mac, l->public_ip);
err_neigh:
	nl_neigh_del(h, vx, vtep);
out:
	nlh_close(h);
	return ret;
}

static int rk_lease_del(const struct routing_lease *l)
{
	const char *vx = rk.vxlan;
	struct nlh *h;
	int ret, r;

	ret = rk_lease_open(l, &h);
	if (ret)
		return ret;
	ret = nl_route_del(h, l->subnet.addr, l->subnet.len, l->subnet.addr,
			   vx);
	if (ret)
		rk_lease_log(l, "route", ret);
	r = nl_neigh_del(h, vx, l->subnet.addr);
	if (r) {
		rk_lease_log(l, "neighbour", r);
		ret = ret ? ret : r;
	}
	r = nl_fdb_del(h, vx, l->vtep_mac, l->public_ip);
	if (r) {
		rk_lease_log(l, "fdb", r);
		ret = ret ? ret : r;
	}
	nlh_close(h);
	return ret;
}

/* Pods sit on cni0: the bridge forwards; per endpoint only the service
 * programs, with proxy "bpf". */
static int rk_endpoint_add(const struct routing_endpoint *ep)
{
	if (!ep)
		return -EINVAL;
	return rk.dp ? pod_lb_add(rk.dp, ep) : 0;
}

static int rk_endpoint_del(uint32_t ip)
{
	return rk.dp ? pod_lb_del(rk.dp, ip) : 0;
}

/* Leases gone from etcd while no agent ran leave their three entries on
 * the device (routing_kernel_sweep.h); pods deleted meanwhile leave their
 * service programs' record. */
static int rk_prune(const struct routing_lease *leases, size_t n_leases,
		    const uint32_t *endpoint_ips, size_t n_endpoints)
{
	int ret = 0, r;

	if (rk.ready)
		ret = rk_sweep_stale(rk.vxlan, &rk.network, leases, n_leases);
	r = rk.dp ? pod_lb_prune(rk.dp, endpoint_ips, n_endpoints) : 0;
	return ret ? ret : r;
}

/* Everything stays installed and keeps forwarding. */
static void rk_close(void)
{
	dp_close(rk.dp);
	memset(&rk, 0, sizeof(rk));
}

const struct routing_ops routing_kernel_ops = {
	.name = "kernel",
	.overlay_fmt = RK_VXLAN_FMT,
	.init = rk_init,
	.lease_add = rk_lease_add,
	.lease_del = rk_lease_del,
	.endpoint_add = rk_endpoint_add,
	.endpoint_del = rk_endpoint_del,
	.prune = rk_prune,
	.close = rk_close,
};
