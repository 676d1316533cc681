/* SPDX-License-Identifier: MIT */
/*
 * Services on the packet path: a client's packet to a VIP is DNATed to its
 * connection's backend (chosen once, kept in lb_ct), a backend's reply is
 * given the VIP back (lb_revnat) at the client's worker. Hairpin (the
 * client is the chosen backend): the source is SNATed to the VIP too, so
 * the pod sees VIP:sport -> itself and its reply comes back through
 * from_pod, where lb_revnat turns it into VIP:port -> pod.
 *
 * ICMP errors about such a connection are translated where its replies are
 * (lib/icmp_err.h).
 *
 * Both return 0 (not a service packet, untouched), 1 (rewritten: parse
 * again and route the new destination) or -1 (drop; ev->stat says why).
 */
#ifndef KNETSIM_BPF_SVC_H
#define KNETSIM_BPF_SVC_H

#include <linux/bpf.h>
#include <linux/in.h>

#include "knetsim/datapath.h"
#include "knetsim/lb.h"
#include "ipv4.h"
#include "ct.h"
#include "lb.h"
#include "nat.h"
#include "icmp_err.h"
#include "stats.h"

static __always_inline int svc_nat(struct __sk_buff *skb, __u32 l4off,
				   const struct lb_tuple *t,
				   const struct lb_revnat *n,
				   struct dp_event *ev)
{
	if (nat_rewrite(skb, l4off, t, n) < 0) {
		ev->stat = DP_DROP_NAT;
		return -1;
	}
	return 1;
}

/* A new connection: backend chosen into *ct, recorded both ways. */
static __always_inline int svc_new(const struct lb_service *svc,
				   const struct lb_tuple *t,
				   struct lb_ct *ct, struct dp_event *ev)
{
	struct lb_revnat rn = {
		.saddr = t->daddr, .sport = t->dport,
		.daddr = t->saddr, .dport = t->sport,
	};
	struct lb_tuple reply = { .proto = t->proto, .dport = t->sport };

	ct->backend = lb_select(svc, t);
	if (!ct->backend) {
		ev->stat = DP_LB_NO_BACKEND;
		return -1;
	}
	ct->backend_port = t->dport;
	if (svc->target_port && t->proto != IPPROTO_ICMP)
		ct->backend_port = svc->target_port;
	ct->id = svc->id;
	ct->flags = ct->backend == t->saddr ? LB_CT_F_HAIRPIN : 0;
	reply.saddr = ct->backend;
	reply.sport = ct->backend_port;
	reply.daddr = ct->flags & LB_CT_F_HAIRPIN ? t->daddr : t->saddr;
	if (ct_create(t, ct, &reply, &rn) < 0) {
		ev->stat = DP_DROP_NAT;
		return -1;
	}
	stats_count(DP_CT_NEW, ev->len);
	return 0;
}

/* from_pod, after the source check: a client's packet to a VIP. */
static __always_inline int svc_forward(struct __sk_buff *skb,
				       const struct iphdr *ip,
				       struct dp_event *ev)
{
	const struct lb_service *svc;
	const struct lb_ct *known;
	struct lb_revnat n;
	struct lb_tuple t;
	struct lb_ct ct;
	__u32 l4off;

	if (ct_tuple(skb, ip, &t, &l4off) < 0)
		return 0;
	known = ct_get(&t);
	if (known) {
		ct = *known;
		stats_count(DP_CT_HIT, ev->len);
	} else {
		svc = lb_service_get(&t);
		if (!svc) {
			revnat_forget(skb, &t, l4off);
			return 0;
		}
		if (svc_new(svc, &t, &ct, ev) < 0)
			return -1;
	}
	stats_count(DP_LB_HIT, ev->len);
	n.saddr = ct.flags & LB_CT_F_HAIRPIN ? t.daddr : t.saddr;
	n.sport = t.sport;
	n.daddr = ct.backend;
	n.dport = ct.backend_port;
	return svc_nat(skb, l4off, &t, &n, ev);
}

/* from_pod of a local backend and from_overlay (routing kernel: lb_from_pod
 * and lb_to_pod): a backend's reply, or an ICMP error about its
 * connection. */
static __always_inline int svc_reverse(struct __sk_buff *skb,
				       const struct iphdr *ip,
				       struct dp_event *ev)
{
	const struct lb_revnat *rn;
	struct lb_revnat n;
	struct lb_tuple t;
	__u32 l4off;

	if (ct_tuple(skb, ip, &t, &l4off) < 0)
		return icmp_err_reverse(skb, ip, ev);
	rn = revnat_get(&t);
	if (!rn)
		return 0;
	n = *rn;
	stats_count(DP_REV_NAT, ev->len);
	return svc_nat(skb, l4off, &t, &n, ev);
}

/* Both directions, for from_pod and lb_from_pod. */
static __always_inline int svc_from_pod(struct __sk_buff *skb,
					const struct iphdr *ip,
					struct dp_event *ev)
{
	int r = svc_reverse(skb, ip, ev);

	if (r)
		return r;
	return svc_forward(skb, ip, ev);
}

#endif
