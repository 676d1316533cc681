// SPDX-License-Identifier: MIT
/* Wiring a pod: the veth pair, addresses, routes, the bridge port. */
#include "veth.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "cidr.h"
#include "log.h"
#include "nl.h"
#include "nl_overlay.h"
#include "sysctl.h"

#define SELF_NETNS "/proc/thread-self/ns/net"
#define POD_ADDR_MAX 16

/* --- naming --- */

static uint64_t fnv1a(uint64_t h, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

void veth_host_name(const char *containerid, const char *ifname,
		    char out[IFNAMSIZ])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	/* The NUL separates the two: ("ab","c") and ("a","bc") differ. */
	h = fnv1a(h, containerid, strlen(containerid) + 1);
	h = fnv1a(h, ifname, strlen(ifname));
	snprintf(out, IFNAMSIZ, VETH_HOST_PREFIX "%0*llx", VETH_HASH_HEX,
		 (unsigned long long)(h & ((1ULL << (4 * VETH_HASH_HEX)) - 1)));
}

/* --- the pod's namespace --- */

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return !fstat(fd, &a) && !stat(path, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

unsigned veth_netns_open(const char *path, int *fd, struct cni_err *e)
{
	struct statfs sfs;
	unsigned code = 0;

	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		if (errno == ENOENT)
			return cni_errf(e, CNI_ERR_NO_CONTAINER,
					"CNI_NETNS: %s: no such namespace", path);
		return cni_errf(e, CNI_ERR_ENV, "CNI_NETNS: %s: %s", path,
				strerror(errno));
	}
	if (fstatfs(*fd, &sfs) || sfs.f_type != NSFS_MAGIC ||
	    ioctl(*fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		code = cni_errf(e, CNI_ERR_ENV, "CNI_NETNS: %s is not a network "
				"namespace", path);
	else if (same_file(*fd, SELF_NETNS))
		code = cni_errf(e, CNI_ERR_ENV, "CNI_NETNS: %s is the plugin's "
				"own (the worker's) namespace", path);
	if (code) {
		close(*fd);
		*fd = -1;
	}
	return code;
}

/* --- ADD --- */

static unsigned io_err(struct cni_err *e, int err, const char *what,
		       const char *ifname)
{
	return cni_errf(e, CNI_ERR_IO, "%s %s: %s", what, ifname,
			strerror(-err));
}

unsigned veth_preflight(int pod_nsfd, const struct veth_plan *p,
			struct cni_err *e)
{
	struct nlh *hp = nlh_open(pod_nsfd), *hw = nlh_open(-1);
	unsigned code = 0;
	int ret;

	if (!hp || !hw) {
		code = cni_errf(e, CNI_ERR_IO, "netlink: %s", strerror(errno));
		goto out;
	}
	ret = nl_link_index(hp, p->pod_ifname);
	if (ret > 0) {
		code = cni_errf(e, CNI_ERR_IF_EXISTS, "interface %s already "
				"exists in the pod's namespace", p->pod_ifname);
		goto out;
	}
	ret = nl_link_index(hw, p->host_ifname);
	if (ret > 0)
		code = cni_errf(e, CNI_ERR_IF_EXISTS, "host interface %s "
				"already exists in the worker (the container "
				"is attached already?)", p->host_ifname);
out:
	nlh_close(hp);
	nlh_close(hw);
	return code;
}

static unsigned pod_side(struct nlh *hp, const struct veth_plan *p,
			 uint8_t len, struct cni_err *e)
{
	const char *ifn = p->pod_ifname;
	int ret;

	ret = nl_link_set_mtu(hp, ifn, p->mtu);
	if (ret)
		return io_err(e, ret, "setting the MTU of pod interface", ifn);
	ret = nl_addr_add(hp, ifn, p->ip, len);
	if (ret)
		return io_err(e, ret, "adding the address of pod interface", ifn);
	ret = nl_link_up(hp, ifn);
	if (ret)
		return io_err(e, ret, "bringing up pod interface", ifn);
	/* /32 in bpf mode: the gateway is on no prefix, hence onlink. */
	ret = nl_route_replace(hp, 0, 0, p->gateway, ifn,
			       p->routing == CNI_ROUTING_BPF);
	if (ret)
		return io_err(e, ret, "adding the default route via", ifn);
	return 0;
}

/* The bridge as flannel's bridge plugin keeps it: made when missing,
 * GW/LEN on it, up. Concurrent ADDs race here harmlessly. */
static unsigned bridge_ensure(struct nlh *hw, const struct veth_plan *p,
			      struct cni_err *e)
{
	int ret = nl_link_index(hw, p->bridge);

	if (ret == -ENODEV) {
		log_info("creating bridge %s", p->bridge);
		ret = nl_bridge_add(hw, p->bridge);
		if (ret == -EEXIST)
			ret = 0;
	} else if (ret > 0) {
		ret = 0;
	}
	if (ret)
		return io_err(e, ret, "creating bridge", p->bridge);
	ret = nl_addr_add(hw, p->bridge, p->gateway, p->prefixlen);
	if (ret && ret != -EEXIST)
		return io_err(e, ret, "adding the gateway address to bridge",
			      p->bridge);
	ret = nl_link_up(hw, p->bridge);
	if (ret)
		return io_err(e, ret, "bringing up bridge", p->bridge);
	return 0;
}

static unsigned host_side(struct nlh *hw, const struct veth_plan *p,
			  struct cni_err *e)
{
	const char *ifn = p->host_ifname;
	char key[64];
	unsigned code;
	int ret;

	ret = nl_link_set_mtu(hw, ifn, p->mtu);
	if (ret)
		return io_err(e, ret, "setting the MTU of host interface", ifn);
	if (p->routing == CNI_ROUTING_KERNEL) {
		code = bridge_ensure(hw, p, e);
		if (code)
			return code;
		ret = nl_link_set_master(hw, ifn, p->bridge);
		if (ret)
			return cni_errf(e, CNI_ERR_IO, "attaching %s to bridge "
					"%s: %s", ifn, p->bridge, strerror(-ret));
		/* As flannel configures the bridge plugin (hairpinMode):
		 * a pod reaching itself through a service VIP. */
		ret = nl_bridge_port_hairpin(hw, ifn, true);
		if (ret)
			return io_err(e, ret, "setting hairpin mode on", ifn);
	} else {
		/* Replies from the pod come in on a link with no address. */
		snprintf(key, sizeof(key), "net/ipv4/conf/%s/rp_filter", ifn);
		ret = sysctl_write(-1, key, "0");
		if (ret)
			return io_err(e, ret, "setting rp_filter on", ifn);
	}
	ret = nl_link_up(hw, ifn);
	if (ret)
		return io_err(e, ret, "bringing up host interface", ifn);
	if (p->routing == CNI_ROUTING_BPF) {
		ret = nl_route_replace(hw, p->ip, 32, 0, ifn, false);
		if (ret)
			return io_err(e, ret, "adding the pod's route via", ifn);
	}
	return 0;
}

static unsigned read_macs(struct nlh *hp, struct nlh *hw,
			  const struct veth_plan *p, struct veth_info *out,
			  struct cni_err *e)
{
	uint8_t mac[6];
	int ret;

	ret = nl_link_mac(hw, p->host_ifname, mac);
	if (ret)
		return io_err(e, ret, "reading the MAC of", p->host_ifname);
	mac_format(mac, out->host_mac);
	ret = nl_link_mac(hp, p->pod_ifname, mac);
	if (ret)
		return io_err(e, ret, "reading the MAC of", p->pod_ifname);
	mac_format(mac, out->pod_mac);
	ret = nl_link_index(hw, p->host_ifname);
	if (ret < 0)
		return io_err(e, ret, "looking up", p->host_ifname);
	out->host_ifindex = ret;
	return 0;
}

static unsigned create_pair(struct nlh *hp, const struct veth_plan *p,
			    struct cni_err *e)
{
	int self = open(SELF_NETNS, O_RDONLY | O_CLOEXEC), ret;

	if (self < 0)
		return cni_errf(e, CNI_ERR_IO, "%s: %s", SELF_NETNS,
				strerror(errno));
	ret = nl_veth_add(hp, p->pod_ifname, p->host_ifname, self);
	close(self);
	if (ret == -EEXIST)
		return cni_errf(e, CNI_ERR_IF_EXISTS, "interface %s or %s "
				"appeared meanwhile", p->pod_ifname,
				p->host_ifname);
	if (ret)
		return cni_errf(e, CNI_ERR_IO, "creating veth %s/%s: %s",
				p->pod_ifname, p->host_ifname, strerror(-ret));
	return 0;
}

unsigned veth_add(int pod_nsfd, const struct veth_plan *p,
		  struct veth_info *out, struct cni_err *e)
{
	struct nlh *hp = nlh_open(pod_nsfd), *hw = nlh_open(-1);
	uint8_t len = p->routing == CNI_ROUTING_BPF ? 32 : p->prefixlen;
	unsigned code;

	memset(out, 0, sizeof(*out));
	if (!hp || !hw) {
		code = cni_errf(e, CNI_ERR_IO, "netlink: %s", strerror(errno));
		goto out;
	}
	code = create_pair(hp, p, e);
	if (code)
		goto out;
	code = pod_side(hp, p, len, e);
	if (!code)
		code = host_side(hw, p, e);
	if (!code)
		code = read_macs(hp, hw, p, out, e);
	if (code) {
		/* One end takes the other; both, should one be gone. */
		nl_link_del(hp, p->pod_ifname);
		nl_link_del(hw, p->host_ifname);
	}
	out->pod_prefixlen = len;
out:
	nlh_close(hp);
	nlh_close(hw);
	return code;
}

/* --- DEL, CHECK --- */

unsigned veth_del(const char *host_ifname, struct cni_err *e)
{
	struct nlh *hw = nlh_open(-1);
	int ret;

	if (!hw)
		return cni_errf(e, CNI_ERR_IO, "netlink: %s", strerror(errno));
	ret = nl_link_del(hw, host_ifname);
	nlh_close(hw);
	if (ret)
		return io_err(e, ret, "deleting host interface", host_ifname);
	return 0;
}

static unsigned check_pod_addr(struct nlh *hp, const char *ifname,
			       uint32_t ip, uint8_t len, struct cni_err *e)
{
	struct nl_addr_v4 addrs[POD_ADDR_MAX];
	char want[IP4_STRLEN];
	int n = nl_addr_list(hp, ifname, addrs, POD_ADDR_MAX);

	if (n < 0)
		return io_err(e, n, "listing the addresses of", ifname);
	for (int i = 0; i < n && i < POD_ADDR_MAX; i++)
		if (addrs[i].addr == ip && addrs[i].prefixlen == len)
			return 0;
	return cni_errf(e, CNI_ERR_CHECK, "pod interface %s lacks address "
			"%s/%u", ifname, ip4_format(ip, want), len);
}

static unsigned check_pod_mac(struct nlh *hp, const char *ifname,
			      const char *mac, struct cni_err *e)
{
	char have[MAC_STRLEN];
	uint8_t m[6];
	int ret;

	if (!*mac)
		return 0;
	ret = nl_link_mac(hp, ifname, m);
	if (ret)
		return io_err(e, ret, "reading the MAC of", ifname);
	if (strcasecmp(mac_format(m, have), mac))
		return cni_errf(e, CNI_ERR_CHECK, "pod interface %s has MAC %s, "
				"the result says %s", ifname, have, mac);
	return 0;
}

unsigned veth_check(int pod_nsfd, const char *pod_ifname,
		    const char *host_ifname, uint32_t ip, uint8_t prefixlen,
		    const char *mac, struct cni_err *e)
{
	struct nlh *hp = nlh_open(pod_nsfd), *hw = nlh_open(-1);
	unsigned code = 0;
	int ret;

	if (!hp || !hw) {
		code = cni_errf(e, CNI_ERR_IO, "netlink: %s", strerror(errno));
		goto out;
	}
	ret = nl_link_index(hp, pod_ifname);
	if (ret < 0) {
		code = cni_errf(e, CNI_ERR_CHECK, "pod interface %s: %s",
				pod_ifname, ret == -ENODEV ? "missing" :
				strerror(-ret));
		goto out;
	}
	code = check_pod_addr(hp, pod_ifname, ip, prefixlen, e);
	if (!code)
		code = check_pod_mac(hp, pod_ifname, mac, e);
	if (code)
		goto out;
	ret = nl_link_index(hw, host_ifname);
	if (ret < 0)
		code = cni_errf(e, CNI_ERR_CHECK, "host interface %s: %s",
				host_ifname, ret == -ENODEV ? "missing" :
				strerror(-ret));
out:
	nlh_close(hp);
	nlh_close(hw);
	return code;
}
