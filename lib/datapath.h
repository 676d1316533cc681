/* SPDX-License-Identifier: MIT */
/*
 * The BPF pod-routing datapath, from userspace (libbpf): loads one worker's
 * instance of bpf/{from_pod,from_overlay,to_overlay}.c (and of the other
 * programs in bpf/), pins it, attaches it with tc (clsact + cls_bpf
 * direct-action) and fills its maps.
 *
 * Interfaces are named by ifindex in the caller's network namespace: the
 * agent calls these from inside its worker's namespace. Addresses are in
 * network byte order. Every function returns 0 or -errno unless told.
 *
 * Lifetime: dp_close() detaches nothing. The tc filters hold the programs,
 * the pins hold the maps, so the datapath keeps forwarding while no agent
 * runs, and the next dp_open() of the same pin dir finds the same maps
 * (endpoints, routes, config, counters survive). See
 * docs/datapath-bpf.md for what the agent must set up around it.
 */
#ifndef KNETSIM_DATAPATH_LIB_H
#define KNETSIM_DATAPATH_LIB_H

#include <stddef.h>

#include "knetsim/datapath.h"

struct dp;

/*
 * Loads the programs and maps. With pin_dir (a directory on bpffs, made if
 * missing; bpffs is mounted at /sys/fs/bpf when the path is under it and
 * nothing is mounted there), maps already pinned there are reused, new ones
 * are pinned, and the programs are (re)pinned under their names. -EINVAL
 * when a pinned map does not match this build's definition (dp_unpin() it
 * to start afresh). No component of pin_dir may hold a '.' (bpffs refuses
 * it). Pins live in the caller's mount namespace: enter the worker's
 * network namespace only (setns(2), `nsenter --net`), not with
 * `ip netns exec`, whose private mount namespace and fresh /sys would take
 * a bpffs mounted here, and every pin, away when the process ends.
 * pin_dir NULL: nothing is pinned (tests).
 */
int dp_open(const char *pin_dir, struct dp **out);
/* Frees the handle; attachments and pins stay. NULL is fine. */
void dp_close(struct dp *dp);

/* "/sys/fs/bpf/knetsim/<sim>/<worker>" into buf; -EINVAL for a name that
 * is empty or has a '/' or a '.' (bpffs refuses dots in names), or
 * -ENAMETOOLONG. */
int dp_pin_path(char *buf, size_t len, const char *sim, const char *worker);
/* Removes this datapath's pins from pin_dir and the directory when empty;
 * 0 when already gone. Attached programs keep running until detached. */
int dp_unpin(const char *pin_dir);

/* from_pod on tc ingress of a pod's host-side veth; replaces ours if
 * present. Detach removes only our filter; 0 when it is not there. */
int dp_attach_pod(struct dp *dp, int ifindex);
int dp_detach_pod(int ifindex);
/* Routing "kernel" with proxy "bpf": lb_from_pod on tc ingress and
 * lb_to_pod on tc egress of a pod's host-side veth (a cni0 bridge port):
 * services balanced and reverse-NATed, everything else left to the bridge
 * and the stack. Replaces ours if present; detach removes only our two
 * filters, 0 when they are not there (-ENODEV once the veth is gone). */
int dp_attach_pod_lb(struct dp *dp, int ifindex);
int dp_detach_pod_lb(int ifindex);
/* from_overlay on ingress and to_overlay on egress of the external VXLAN
 * device. */
int dp_attach_overlay(struct dp *dp, int ifindex);
int dp_detach_overlay(int ifindex);

/*
 * Socket-level balancing (bpf/sock_lb.c): the worker's own connect() and
 * UDP sendmsg() to a VIP:port go straight to a backend, and UDP replies
 * seem to come from the VIP:port. The programs run for every socket of
 * the machine but touch only those of the network namespace whose cookie
 * is netns_cookie (dp_netns_cookie() from inside the worker's namespace).
 * Attached with bpf links to cgroup (a cgroup v2 directory; NULL: the
 * root of the hierarchy, dp_cgroup2_root()). With a pin dir the links are
 * pinned there (LB_PIN_LINK_*) and outlive the agent; a later attach of
 * the same pin dir moves them to its new programs, and removing the pins
 * (dp_detach_sock_lb(), dp_unpin()) detaches them. Without one they go
 * with dp_close(). A service without backends makes connect() and
 * sendmsg() fail with EPERM.
 */
int dp_attach_sock_lb(struct dp *dp, const char *cgroup, __u64 netns_cookie);
/* Detaches (closes and unpins the links) and forgets the namespace. */
int dp_detach_sock_lb(struct dp *dp);
/* The caller's network namespace cookie (SO_NETNS_COOKIE): -ENOPROTOOPT
 * before Linux 5.14. */
int dp_netns_cookie(__u64 *cookie);
/* The mount point of cgroup v2 from /proc/self/mounts into buf; when none
 * is mounted, mounts one at /run/knetsim/cgroup2. */
int dp_cgroup2_root(char *buf, size_t len);

/* Checked: subnet has no host bits, subnet_len <= 32, host_ip inside the
 * subnet when set, vni < 2^24, no unknown flags. */
int dp_config_set(struct dp *dp, const struct dp_config *cfg);
int dp_config_get(struct dp *dp, struct dp_config *cfg);

/* ip a unicast address, ep->ifindex > 0. Delete: -ENOENT when absent. */
int dp_endpoint_set(struct dp *dp, __be32 ip, const struct dp_endpoint *ep);
int dp_endpoint_get(struct dp *dp, __be32 ip, struct dp_endpoint *ep);
int dp_endpoint_del(struct dp *dp, __be32 ip);

/* Listing: the endpoint after *prev (prev NULL: the first one) into *ip
 * and *ep; -ENOENT past the last. Hash order; entries changed meanwhile
 * may be missed or restart the walk. */
int dp_endpoint_next(struct dp *dp, const __be32 *prev, __be32 *ip,
		     struct dp_endpoint *ep);

/* prefix/len without host bits, len <= 32; r->remote set, vni < 2^24.
 * Lookup is longest-prefix match of one address, as the programs do it.
 * Delete: -ENOENT when absent. */
int dp_route_set(struct dp *dp, __be32 prefix, unsigned int len,
		 const struct dp_route *r);
int dp_route_lookup(struct dp *dp, __be32 ip, struct dp_route *r);
int dp_route_del(struct dp *dp, __be32 prefix, unsigned int len);

/* Listing as dp_endpoint_next(), for routes: prefix and length in *key. */
int dp_route_next(struct dp *dp, const struct dp_route_key *prev,
		  struct dp_route_key *key, struct dp_route *r);

/* Counters summed over CPUs, indexed by enum dp_stat. */
int dp_stats_read(struct dp *dp, struct dp_counter out[DP_STAT__MAX]);
/* "local", "drop-malformed", ...; "?" for an unknown index. */
const char *dp_stat_name(unsigned int stat);

/* Descriptors owned by dp: a program (for BPF_PROG_TEST_RUN) and the
 * events ring buffer (ring_buffer__new). -EINVAL for an unknown prog. */
int dp_prog_fd(struct dp *dp, enum dp_prog prog);
int dp_events_fd(struct dp *dp);
/* Any map of the datapath by its name (DP_PIN_*, LB_PIN_*): owned by dp.
 * -ENOENT for an unknown name. */
int dp_map_fd(struct dp *dp, const char *name);

#endif
