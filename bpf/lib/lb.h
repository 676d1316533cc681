/* SPDX-License-Identifier: MIT */
/* Services: VIP lookup and backend choice (random or Maglev). */
#ifndef KNETSIM_BPF_LB_H
#define KNETSIM_BPF_LB_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "knetsim/lb.h"
#include "maps.h"

/* The exact (VIP, port, proto) entry, else the VIP-only one. */
static __always_inline const struct lb_service *
lb_service_get(const struct lb_tuple *t)
{
	struct lb_service_key key = {
		.vip = t->daddr, .port = t->dport, .proto = t->proto,
	};
	const struct lb_service *svc = bpf_map_lookup_elem(&lb_services, &key);

	if (svc)
		return svc;
	key.port = 0;
	key.proto = 0;
	return bpf_map_lookup_elem(&lb_services, &key);
}

static __always_inline __u32 lb_mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* The same flow hashes the same on every worker. */
static __always_inline __u32 lb_hash(const struct lb_tuple *t)
{
	__u32 h = 0x6b6e736du;

	h = lb_mix(h, t->saddr);
	h = lb_mix(h, t->daddr);
	h = lb_mix(h, (__u32)t->sport << 16 | t->dport);
	h = lb_mix(h, t->proto);
	h ^= h >> 13;
	h *= 0x85ebca6bu;
	return h ^ (h >> 16);
}

/* A backend for a new connection of t; 0 when there is none. */
static __always_inline __be32 lb_select(const struct lb_service *svc,
					const struct lb_tuple *t)
{
	struct lb_backend_key key = { .id = svc->id };
	const struct lb_backend *b;

	if (!svc->count)
		return 0;
	if (svc->algo == LB_ALGO_MAGLEV) {
		const struct lb_maglev *m;
		__u32 id = svc->id;
		__u32 i = lb_hash(t) % LB_MAGLEV_SIZE;

		m = bpf_map_lookup_elem(&lb_maglev, &id);
		/* keep the bound check the compiler knows is redundant */
		asm volatile("" : "+r"(i));
		if (!m || i >= LB_MAGLEV_SIZE)
			return 0;
		return m->ip[i];
	}
	key.slot = bpf_get_prandom_u32() % svc->count;
	b = bpf_map_lookup_elem(&lb_backends, &key);
	return b ? b->ip : 0;
}

#endif
