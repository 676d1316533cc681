/* SPDX-License-Identifier: MIT */
/*
 * Service load balancing in the BPF datapath (proxy "bpf"): the types the
 * programs (bpf/lib/lb.h, ct.h, nat.h) and userspace (lib/datapath_lb.c,
 * agent/proxy_bpf.c) share. They reach the maps' BTF, so
 * `bpftool map dump pinned .../lb_services` prints these field names.
 *
 * Addresses and ports in network byte order. VIPs lie outside the pod
 * network (100.64.0.0/10 by convention).
 */
#ifndef KNETSIM_LB_H
#define KNETSIM_LB_H

#include <linux/types.h>

#define LB_PIN_SERVICES "lb_services"
#define LB_PIN_BACKENDS "lb_backends"
#define LB_PIN_MAGLEV   "lb_maglev"
#define LB_PIN_CT       "lb_ct"
#define LB_PIN_REVNAT   "lb_revnat"
#define LB_PIN_SOCK_CONFIG "lb_sock_config"
#define LB_PIN_SOCK_REVNAT "lb_sock_revnat"
/* Socket-level balancing (bpf/sock_lb.c): its programs and the pinned
 * cgroup links that attach them. */
#define LB_PIN_SOCK_CONNECT4 "sock_connect4"
#define LB_PIN_SOCK_SENDMSG4 "sock_sendmsg4"
#define LB_PIN_SOCK_RECVMSG4 "sock_recvmsg4"
#define LB_PIN_LINK_CONNECT4 "link_connect4"
#define LB_PIN_LINK_SENDMSG4 "link_sendmsg4"
#define LB_PIN_LINK_RECVMSG4 "link_recvmsg4"

#define LB_MAX_SERVICES 65536  /* (VIP, port, proto) entries */
#define LB_MAX_BACKENDS 65536  /* (service id, slot) entries */
#define LB_MAX_MAGLEV   1024   /* services using Maglev */
#define LB_MAX_CT       65536  /* connections (LRU) */
#define LB_MAX_SOCK_REVNAT 65536 /* UDP (socket, backend) pairs (LRU) */
#define LB_MAGLEV_SIZE  16381  /* prime; = MAGLEV_SIZE of lib/maglev.h */

/* services: port 0 and proto 0 is the VIP-only form (every protocol,
 * ports kept, ICMP echo included); looked up after the exact key. */
struct lb_service_key {
	__be32 vip;
	__be16 port;
	__u8 proto;        /* IPPROTO_TCP, IPPROTO_UDP; 0: all */
	__u8 pad;
};

enum lb_algo {
	LB_ALGO_RANDOM = 0,
	LB_ALGO_MAGLEV = 1,
};

struct lb_service {
	__u32 id;          /* names its backends and its Maglev table */
	__u16 count;       /* backends in slots 0..count-1; 0: reject */
	__u8 algo;         /* enum lb_algo */
	__u8 flags;        /* none yet */
	__be16 target_port; /* on the backend; 0: the packet's own */
	__u16 pad;
};

/* backends: slot i of service id (random choice). */
struct lb_backend_key {
	__u32 id;
	__u32 slot;
};

struct lb_backend {
	__be32 ip;         /* the backend pod */
};

/* maglev: service id -> lookup table of backend addresses. */
struct lb_maglev {
	__be32 ip[LB_MAGLEV_SIZE];
};

/* A connection as one side sees it. ICMP echo: the identifier is the
 * port of the requester's side (sport of a request, dport of a reply). */
struct lb_tuple {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

/* ct: client -> VIP tuple -> where it was sent. */
struct lb_ct {
	__be32 backend;
	__be16 backend_port;
	__u16 flags;       /* enum lb_ct_flags */
	__u32 id;          /* the service */
};

enum lb_ct_flags {
	LB_CT_F_HAIRPIN = 1 << 0, /* client is the backend: source SNATed to the VIP */
};

/* revnat: reply tuple (backend -> client, as sent by the backend) -> the
 * addresses and ports the client expects. */
struct lb_revnat {
	__be32 saddr;
	__be32 daddr;
	__be16 sport;
	__be16 dport;
};

/* sock_config: array map with one entry (key 0). Sockets of the network
 * namespace with this cookie (the worker's) are balanced at connect() and
 * sendmsg(); 0: none is. */
struct lb_sock_config {
	__u64 netns_cookie;
};

/* sock_revnat: a UDP socket and the backend it was sent to -> the VIP and
 * port its replies must seem to come from. */
struct lb_sock_revnat_key {
	__u64 cookie;      /* the socket's (bpf_get_socket_cookie) */
	__be32 backend;
	__be16 port;       /* on the backend */
	__u16 pad;
};

struct lb_sock_revnat {
	__be32 vip;
	__be16 port;
	__u16 pad;
};

#endif
