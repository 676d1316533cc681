/* SPDX-License-Identifier: MIT */
/*
 * The BPF pod-routing datapath (routing mode "bpf"): everything the kernel
 * side (bpf/) and userspace (lib/datapath.c, the agent, `knetsim bpf`)
 * share. Defined once, here; the BPF programs carry these types in their
 * BTF, so `bpftool map dump pinned /sys/fs/bpf/knetsim/<sim>/<worker>/<map>`
 * prints the field names below.
 *
 * Addresses are in network byte order (__be32) everywhere, as they sit in
 * packets; ifindexes are those of the worker's namespace.
 */
#ifndef KNETSIM_DATAPATH_H
#define KNETSIM_DATAPATH_H

#include <linux/types.h>

/* Pin names under the per-worker pin dir. Maps and programs keep these
 * names in the kernel too (`bpftool map show name endpoints`). */
#define DP_PIN_ENDPOINTS    "endpoints"
#define DP_PIN_ROUTES       "routes"
#define DP_PIN_CONFIG       "config"
#define DP_PIN_STATS        "stats"
#define DP_PIN_EVENTS       "events"
#define DP_PIN_FROM_POD     "from_pod"
#define DP_PIN_FROM_OVERLAY "from_overlay"
#define DP_PIN_TO_OVERLAY   "to_overlay"
/* Routing "kernel" with proxy "bpf": services only, on the pods' veths
 * (bridge ports); the stack routes. */
#define DP_PIN_LB_FROM_POD  "lb_from_pod"
#define DP_PIN_LB_TO_POD    "lb_to_pod"

#define DP_MAX_ENDPOINTS 4096 /* a /20 lease holds 4094 pods */
#define DP_MAX_ROUTES    4096 /* remote pod subnets */
#define DP_EVENTS_BYTES  (256 * 1024)
/* Slots of the stats map: more than enum dp_stat uses, so a build that
 * adds a counter still reuses the pinned map of an older one. */
#define DP_STATS_SLOTS   64

/* The tc filter (clsact, cls_bpf direct-action) the loader installs:
 * fixed handle and priority so attach replaces and detach finds it. */
#define DP_TC_HANDLE 0x6b6e /* "kn" */
#define DP_TC_PRIO   1

/* endpoints: a pod on this worker, keyed by its IPv4 address. */
struct dp_endpoint_key {
	__be32 ip;
};

struct dp_endpoint {
	__u32 ifindex;     /* host-side veth of the pod */
	__u8 mac[6];       /* the pod's eth0 */
	__u8 host_mac[6];  /* the host-side veth: the pod's gateway MAC */
};

/* routes: LPM trie of remote pod subnets -> the worker that owns them. */
struct dp_route_key {
	__u32 prefixlen;   /* 0..32, as the LPM trie wants it first */
	__be32 addr;
};

struct dp_route {
	__be32 remote;     /* the owning worker's underlay IPv4 (PublicIP) */
	__u32 vni;         /* VXLAN network identifier (Backend.VNI) */
};

/* config: array map with one entry (key 0). */
enum dp_config_flags {
	DP_CFG_F_TRACE   = 1 << 0, /* emit a dp_event per packet into events */
	DP_CFG_F_NO_PEER = 1 << 1, /* bpf_redirect to the host veth's egress
				    * instead of bpf_redirect_peer */
	DP_CFG_F_VIA_STACK = 1 << 2, /* local deliveries go through the
				      * worker's stack (netfilter sees them:
				      * the nft proxy's reverse NAT) */
};

struct dp_config {
	__u32 vxlan_ifindex; /* the `external` VXLAN device; 0: none yet */
	__u32 vni;           /* overlay ingress accepts only this VNI; 0: any */
	__be32 subnet;       /* this worker's pod subnet (its lease) */
	__u8 subnet_len;
	__u8 pad[3];
	__be32 gateway;      /* pods' gateway (169.254.1.1): ARP answered */
	__be32 host_ip;      /* the worker's own address on the VXLAN device,
			      * inside subnet: handed to its stack */
	__u32 flags;         /* enum dp_config_flags */
};

/*
 * stats: per-CPU array indexed by enum dp_stat, one dp_counter each.
 * X(name, text): the enum is DP_<name>, text the user-facing name.
 *
 * Paths:
 *   local             from_pod, to a pod of this worker
 *   remote            from_pod, into the overlay
 *   arp-reply         from_pod, ARP for the gateway answered
 *   pod-to-stack      from_pod, to the worker's stack (not a pod address)
 *   overlay-local     from_overlay, to a pod of this worker
 *   overlay-to-stack  from_overlay, to the worker's stack
 *   host-encap        to_overlay, the worker's own packet given a tunnel key
 *   ttl-to-stack      TTL would expire: the stack sends the ICMP error
 * Drops:
 *   drop-malformed    short or bad Ethernet/IPv4/ARP header
 *   drop-spoofed      source address not the pod's behind this veth
 *   drop-no-endpoint  address in this worker's subnet without a pod
 *   drop-no-route     to_overlay: no route for the destination, or not IPv4
 *   drop-no-config    no VXLAN device configured yet
 *   drop-tunnel       bpf_skb_set_tunnel_key failed
 *   drop-vni          decapsulated with another VNI, or without metadata
 * The datapath's own trouble:
 *   trace-lost        events ring buffer full, event not recorded
 * Services (include/knetsim/lb.h); lb-hit, ct-new, ct-hit and rev-nat are
 * counted besides the packet's path, the others are its verdict:
 *   lb-hit            to a service VIP, DNATed to a backend
 *   lb-reject-no-backend  to a service without backends: answered with a
 *                     TCP RST or ICMP unreachable (dropped if it cannot be)
 *   ct-new            a new connection got its backend
 *   ct-hit            a packet of a known connection kept its backend
 *   rev-nat           a reply got the VIP back as its source
 *   drop-nat          rewriting the packet failed
 *   rev-nat-icmp      an ICMP error about a connection to a VIP got the
 *                     VIP back (outer source and quoted destination);
 *                     counted besides its path
 * Routing "kernel" with proxy "bpf" (lb_from_pod, lb_to_pod):
 *   pod-to-bridge     lb_from_pod: handed on (translated or not) to the
 *                     bridge and the stack
 *   bridge-to-pod     lb_to_pod: on its way into the pod
 * A redirect that fails after the program returned (target veth gone or
 * down) is counted by that device (`ip -s link`), not here.
 */
#define DP_STATS(X)				\
	X(LOCAL,            "local")		\
	X(REMOTE,           "remote")		\
	X(ARP_REPLY,        "arp-reply")	\
	X(POD_TO_STACK,     "pod-to-stack")	\
	X(OVERLAY_LOCAL,    "overlay-local")	\
	X(OVERLAY_TO_STACK, "overlay-to-stack")	\
	X(HOST_ENCAP,       "host-encap")	\
	X(TTL_TO_STACK,     "ttl-to-stack")	\
	X(DROP_MALFORMED,   "drop-malformed")	\
	X(DROP_SPOOFED,     "drop-spoofed")	\
	X(DROP_NO_ENDPOINT, "drop-no-endpoint")	\
	X(DROP_NO_ROUTE,    "drop-no-route")	\
	X(DROP_NO_CONFIG,   "drop-no-config")	\
	X(DROP_TUNNEL,      "drop-tunnel")	\
	X(DROP_VNI,         "drop-vni")		\
	X(TRACE_LOST,       "trace-lost")	\
	X(LB_HIT,           "lb-hit")		\
	X(LB_NO_BACKEND,    "lb-reject-no-backend") \
	X(CT_NEW,           "ct-new")		\
	X(CT_HIT,           "ct-hit")		\
	X(REV_NAT,          "rev-nat")		\
	X(DROP_NAT,         "drop-nat")		\
	X(REV_NAT_ICMP,     "rev-nat-icmp")	\
	X(POD_TO_BRIDGE,    "pod-to-bridge")	\
	X(BRIDGE_TO_POD,    "bridge-to-pod")

#define DP_STAT_ENUM_(name, text) DP_##name,
enum dp_stat {
	DP_STATS(DP_STAT_ENUM_)
	DP_STAT__MAX
};
#undef DP_STAT_ENUM_

_Static_assert(DP_STAT__MAX <= DP_STATS_SLOTS, "stats map too small");

struct dp_counter {
	__u64 packets;
	__u64 bytes;
};

/* events: ring buffer of per-packet decisions (DP_CFG_F_TRACE). */
enum dp_prog {
	DP_PROG_FROM_POD,
	DP_PROG_FROM_OVERLAY,
	DP_PROG_TO_OVERLAY,
	DP_PROG_LB_FROM_POD,
	DP_PROG_LB_TO_POD,
	DP_PROG__MAX
};

struct dp_event {
	__u32 stat;        /* enum dp_stat: what happened */
	__u32 ifindex;     /* where it went: redirect target (0: none) */
	__be32 saddr;      /* IPv4 source; ARP: sender */
	__be32 daddr;      /* IPv4 destination; ARP: target */
	__be32 tun_remote; /* tunnel key set: remote underlay IPv4 */
	__u32 vni;         /* tunnel key set: VNI */
	__u32 len;         /* skb length */
	__u8 prog;         /* enum dp_prog */
	__u8 proto;        /* IPv4 protocol; 0 for ARP and others */
	__u16 pad;
};

#endif
