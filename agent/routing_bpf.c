// SPDX-License-Identifier: MIT
/*
 * Routing "bpf": the tc programs of lib/datapath.c on one `external` VXLAN
 * device and on every pod's host-side veth, their maps filled from the
 * leases and endpoints (what the programs decide: docs/datapath-bpf.md).
 *
 * Addresses: the worker owns its lease's network address (.0/32, as
 * flannel gives flannel.<VNI>) on the VXLAN device; pods use the lease's
 * .1 as their gateway, which from_pod answers ARP for. The pod network is
 * routed into the VXLAN device so the worker's own packets to remote pods
 * get their tunnel key from to_overlay.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "datapath.h"
#include "log.h"
#include "nl.h"
#include "nl_overlay.h"
#include "routing.h"
#include "sysctl.h"

#define VXLAN_NAME_FMT "knetsim.%u"

static struct {
	struct dp *dp;
	struct nlh *nl;
	uint32_t vni;
} rb;

static int sysctls(const char *vxlan)
{
	char key[96];
	int ret;

	ret = sysctl_write(-1, "net/ipv4/ip_forward", "1");
	/* Loose: a pod's packet to another worker's underlay address leaves
	 * through the stack and is answered over the overlay. */
	if (!ret)
		ret = sysctl_write(-1, "net/ipv4/conf/all/rp_filter", "2");
	if (!ret)
		ret = sysctl_write(-1, "net/ipv4/conf/default/rp_filter", "2");
	snprintf(key, sizeof(key), "net/ipv6/conf/%s/disable_ipv6", vxlan);
	sysctl_write(-1, key, "1"); /* absent when IPv6 is off altogether */
	return ret;
}

static int rb_init(const struct routing_config *cfg, uint8_t vtep_mac[6])
{
	struct dp_config dc = { 0 };
	char vx[16];
	int ret, idx;

	snprintf(vx, sizeof(vx), VXLAN_NAME_FMT, cfg->net.vni);
	rb.vni = cfg->net.vni;
	rb.nl = nlh_open(-1);
	if (!rb.nl)
		return -ENOMEM;
	ret = nl_vxlan_add(rb.nl, vx, cfg->net.vni, cfg->net.port, 0, NULL,
			   false, true);
	if (!ret)
		ret = nl_link_set_noarp(rb.nl, vx, true);
	if (!ret)
		ret = nl_link_set_mac(rb.nl, vx, cfg->vtep_mac);
	/* With no underlay device to derive it from, say it. */
	if (!ret)
		ret = nl_link_set_mtu(rb.nl, vx, ROUTING_UNDERLAY_MTU - VXLAN_OVERHEAD);
	if (!ret)
		ret = sysctls(vx);
	if (!ret)
		ret = nl_addr_ensure(rb.nl, vx, cfg->subnet.addr, 32);
	if (!ret)
		ret = nl_link_up(rb.nl, vx);
	if (!ret)
		ret = nl_route_replace(rb.nl, cfg->net.network.addr,
				       cfg->net.network.len, 0, vx, false);
	if (!ret)
		ret = nl_link_mac(rb.nl, vx, vtep_mac);
	if (ret) {
		log_err("%s: %s", vx, strerror(-ret));
		return ret;
	}
	idx = nl_link_index(rb.nl, vx);
	if (idx < 0)
		return idx;

	ret = dp_open(cfg->pin_dir, &rb.dp);
	if (ret) {
		log_err("BPF datapath in %s: %s", cfg->pin_dir, strerror(-ret));
		return ret;
	}
	dc.vxlan_ifindex = idx;
	dc.vni = cfg->net.vni;
	dc.subnet = htonl(cfg->subnet.addr);
	dc.subnet_len = cfg->subnet.len;
	dc.gateway = htonl(cfg->subnet.addr + 1);
	dc.host_ip = htonl(cfg->subnet.addr);
	dc.flags = cfg->via_stack ? DP_CFG_F_VIA_STACK : 0;
	ret = dp_config_set(rb.dp, &dc);
	if (!ret)
		ret = dp_attach_overlay(rb.dp, idx);
	if (ret)
		log_err("BPF datapath on %s: %s", vx, strerror(-ret));
	return ret;
}

static int rb_lease_add(const struct routing_lease *l)
{
	struct dp_route r = { .remote = htonl(l->public_ip), .vni = rb.vni };

	return dp_route_set(rb.dp, htonl(l->subnet.addr), l->subnet.len, &r);
}

static int rb_lease_del(const struct routing_lease *l)
{
	int ret = dp_route_del(rb.dp, htonl(l->subnet.addr), l->subnet.len);

	return ret == -ENOENT ? 0 : ret;
}

static int rb_endpoint_add(const struct routing_endpoint *ep)
{
	struct dp_endpoint e = { .ifindex = ep->host_ifindex };
	int ret;

	memcpy(e.mac, ep->pod_mac, sizeof(e.mac));
	ret = nl_link_mac(rb.nl, ep->host_ifname, e.host_mac);
	if (!ret)
		ret = dp_endpoint_set(rb.dp, htonl(ep->ip), &e);
	if (!ret)
		ret = dp_attach_pod(rb.dp, ep->host_ifindex);
	return ret;
}

static int rb_endpoint_del(uint32_t ip)
{
	return dp_endpoint_del(rb.dp, htonl(ip));
}

static bool lease_wanted(const struct routing_lease *l, size_t n,
			 const struct dp_route_key *k)
{
	for (size_t i = 0; i < n; i++)
		if (htonl(l[i].subnet.addr) == k->addr && l[i].subnet.len == k->prefixlen)
			return true;
	return false;
}

static bool ip_wanted(const uint32_t *ips, size_t n, __be32 ip)
{
	for (size_t i = 0; i < n; i++)
		if (htonl(ips[i]) == ip)
			return true;
	return false;
}

/* Walks the pinned maps, collecting first and deleting after, since
 * deleting while walking a hash can restart the walk. */
static int rb_prune(const struct routing_lease *leases, size_t n_leases,
		    const uint32_t *ips, size_t n_ips)
{
	struct dp_route_key key, prev, stale_r[64];
	struct dp_endpoint ep;
	struct dp_route r;
	__be32 ip, pip, stale_e[64];
	size_t nr = 0, ne = 0;

	for (int ret = dp_route_next(rb.dp, NULL, &key, &r); !ret && nr < 64;
	     prev = key, ret = dp_route_next(rb.dp, &prev, &key, &r))
		if (!lease_wanted(leases, n_leases, &key))
			stale_r[nr++] = key;
	for (int ret = dp_endpoint_next(rb.dp, NULL, &ip, &ep); !ret && ne < 64;
	     pip = ip, ret = dp_endpoint_next(rb.dp, &pip, &ip, &ep))
		if (!ip_wanted(ips, n_ips, ip))
			stale_e[ne++] = ip;
	for (size_t i = 0; i < nr; i++)
		dp_route_del(rb.dp, stale_r[i].addr, stale_r[i].prefixlen);
	for (size_t i = 0; i < ne; i++)
		dp_endpoint_del(rb.dp, stale_e[i]);
	if (nr || ne)
		log_info("removed %zu stale routes and %zu stale endpoints from before the restart",
			 nr, ne);
	return 0;
}

static void rb_close(void)
{
	dp_close(rb.dp);
	nlh_close(rb.nl);
	memset(&rb, 0, sizeof(rb));
}

const struct routing_ops routing_bpf_ops = {
	.name = "bpf",
	.overlay_fmt = VXLAN_NAME_FMT,
	.init = rb_init,
	.lease_add = rb_lease_add,
	.lease_del = rb_lease_del,
	.endpoint_add = rb_endpoint_add,
	.endpoint_del = rb_endpoint_del,
	.prune = rb_prune,
	.close = rb_close,
};
