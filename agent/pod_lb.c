// SPDX-License-Identifier: MIT
/* Services for pods on the kernel path: see pod_lb.h. */
#include "pod_lb.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "cidr.h"
#include "datapath.h"
#include "log.h"
#include "nl.h"
#include "nl_overlay.h"

#define PRUNE_BATCH 64

static void pod_lb_log(uint32_t ip, const char *what, int ret)
{
	char s[IP4_STRLEN];

	log_err("routing kernel: pod %s: service programs: %s: %s",
		ip4_format(ip, s), what, strerror(-ret));
}

/* The host-side veth's MAC, for the record (the programs do not use it). */
static int veth_mac(const char *ifname, uint8_t mac[6])
{
	struct nlh *h = nlh_open(-1);
	int ret;

	if (!h)
		return errno ? -errno : -ENOMEM;
	ret = nl_link_mac(h, ifname, mac);
	nlh_close(h);
	return ret;
}

int pod_lb_add(struct dp *dp, const struct routing_endpoint *ep)
{
	struct dp_endpoint e = { 0 };
	int ret;

	if (!dp || !ep || ep->host_ifindex <= 0 || !ep->host_ifname[0])
		return -EINVAL;
	e.ifindex = (__u32)ep->host_ifindex;
	memcpy(e.mac, ep->pod_mac, sizeof(e.mac));
	ret = veth_mac(ep->host_ifname, e.host_mac);
	if (ret) {
		pod_lb_log(ep->ip, ep->host_ifname, ret);
		return ret;
	}
	ret = dp_endpoint_set(dp, htonl(ep->ip), &e);
	if (ret) {
		pod_lb_log(ep->ip, "record", ret);
		return ret;
	}
	ret = dp_attach_pod_lb(dp, ep->host_ifindex);
	if (ret) {
		pod_lb_log(ep->ip, "attach", ret);
		dp_endpoint_del(dp, htonl(ep->ip));
	}
	return ret;
}

/* ip in network order, as the map keys it. */
static int forget(struct dp *dp, __be32 ip, const struct dp_endpoint *e)
{
	int ret = dp_detach_pod_lb((int)e->ifindex);

	if (ret == -ENODEV)
		ret = 0; /* the veth went with its pod, and the filters too */
	if (ret) {
		pod_lb_log(ntohl(ip), "detach", ret);
		return ret;
	}
	ret = dp_endpoint_del(dp, ip);
	if (ret && ret != -ENOENT) {
		pod_lb_log(ntohl(ip), "forget", ret);
		return ret;
	}
	return 0;
}

int pod_lb_del(struct dp *dp, uint32_t ip)
{
	struct dp_endpoint e;
	int ret;

	if (!dp)
		return -EINVAL;
	ret = dp_endpoint_get(dp, htonl(ip), &e);
	if (ret == -ENOENT)
		return 0;
	if (ret) {
		pod_lb_log(ip, "look up", ret);
		return ret;
	}
	return forget(dp, htonl(ip), &e);
}

static int wanted(const uint32_t *ips, size_t n, __be32 ip)
{
	for (size_t i = 0; i < n; i++)
		if (htonl(ips[i]) == ip)
			return 1;
	return 0;
}

/* Collects a batch first and removes after: deleting while walking a
 * hash can restart the walk. Batches until none is left. */
int pod_lb_prune(struct dp *dp, const uint32_t *ips, size_t n)
{
	struct dp_endpoint e, stale_e[PRUNE_BATCH];
	__be32 ip, prev, stale[PRUNE_BATCH];
	size_t ns, total = 0;
	int ret, err = 0;

	if (!dp || (n && !ips))
		return -EINVAL;
	do {
		ns = 0;
		for (ret = dp_endpoint_next(dp, NULL, &ip, &e);
		     !ret && ns < PRUNE_BATCH;
		     prev = ip, ret = dp_endpoint_next(dp, &prev, &ip, &e))
			if (!wanted(ips, n, ip)) {
				stale[ns] = ip;
				stale_e[ns++] = e;
			}
		for (size_t i = 0; i < ns; i++) {
			ret = forget(dp, stale[i], &stale_e[i]);
			if (ret)
				err = err ? err : ret;
			else
				total++;
		}
	} while (ns == PRUNE_BATCH && !err);
	if (total)
		log_info("routing kernel: removed the service programs of "
			 "%zu pod(s) gone while no agent ran", total);
	return err;
}
