/* SPDX-License-Identifier: MIT */
/*
 * Every map of the pod-routing datapath, defined in this one place.
 *
 * Each program file includes this header and the objects are linked into
 * one (bpftool gen object), so the definitions are weak: the linker keeps
 * one instance of each map, shared by the three programs. Key and value
 * types come from include/knetsim/datapath.h and reach the maps' BTF.
 */
#ifndef KNETSIM_BPF_MAPS_H
#define KNETSIM_BPF_MAPS_H

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "knetsim/datapath.h"
#include "knetsim/lb.h"

/* Pods on this worker, by IPv4 address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, DP_MAX_ENDPOINTS);
	__type(key, struct dp_endpoint_key);
	__type(value, struct dp_endpoint);
} endpoints __weak SEC(".maps");

/* Remote pod subnets -> owning worker's underlay address and VNI. */
struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, DP_MAX_ROUTES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct dp_route_key);
	__type(value, struct dp_route);
} routes __weak SEC(".maps");

/* One entry (key 0): this worker's settings. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dp_config);
} config __weak SEC(".maps");

/* Packets and bytes per path and per drop reason (enum dp_stat). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DP_STATS_SLOTS);
	__type(key, __u32);
	__type(value, struct dp_counter);
} stats __weak SEC(".maps");

/* struct dp_event records while DP_CFG_F_TRACE is set. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, DP_EVENTS_BYTES);
} events __weak SEC(".maps");

/* Services: (VIP, port, proto) -> id, backend count, algorithm. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_SERVICES);
	__type(key, struct lb_service_key);
	__type(value, struct lb_service);
} lb_services __weak SEC(".maps");

/* Backend slots of each service (random choice). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_BACKENDS);
	__type(key, struct lb_backend_key);
	__type(value, struct lb_backend);
} lb_backends __weak SEC(".maps");

/* Maglev lookup tables by service id. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, LB_MAX_MAGLEV);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct lb_maglev);
} lb_maglev __weak SEC(".maps");

/* Connections to a VIP: client tuple -> backend. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_CT);
	__type(key, struct lb_tuple);
	__type(value, struct lb_ct);
} lb_ct __weak SEC(".maps");

/* Their replies: backend tuple -> what the client expects. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_CT);
	__type(key, struct lb_tuple);
	__type(value, struct lb_revnat);
} lb_revnat __weak SEC(".maps");

static __always_inline const struct dp_config *config_get(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&config, &key);
}

static __always_inline const struct dp_endpoint *endpoint_get(__be32 ip)
{
	struct dp_endpoint_key key = { .ip = ip };

	return bpf_map_lookup_elem(&endpoints, &key);
}

static __always_inline const struct dp_route *route_get(__be32 ip)
{
	struct dp_route_key key = { .prefixlen = 32, .addr = ip };

	return bpf_map_lookup_elem(&routes, &key);
}

#endif
