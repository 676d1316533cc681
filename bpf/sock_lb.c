// SPDX-License-Identifier: MIT
/*
 * Socket-level balancing of the worker's own traffic to service VIPs:
 * cgroup connect4 and sendmsg4 rewrite the destination from VIP:port to a
 * backend (before any packet exists), recvmsg4 gives UDP replies the
 * VIP:port back as their source. Attached to the cgroup v2 root, so they
 * see every socket of the machine: sockets of any network namespace but
 * the worker's (lb_sock_config) are left alone. Same services, backends
 * and choice as from_pod (lib/lb.h).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>

#include "knetsim/lb.h"
#include "lib/maps.h"
#include "lib/lb.h"

#define SOCK_ALLOW  1
#define SOCK_REJECT 0

/* One entry (key 0): the worker's network namespace cookie. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct lb_sock_config);
} lb_sock_config SEC(".maps");

/* UDP: (socket, backend) -> the VIP its replies come from. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, LB_MAX_SOCK_REVNAT);
	__type(key, struct lb_sock_revnat_key);
	__type(value, struct lb_sock_revnat);
} lb_sock_revnat SEC(".maps");

static __always_inline int sock_ours(struct bpf_sock_addr *ctx)
{
	const struct lb_sock_config *c;
	__u32 key = 0;

	c = bpf_map_lookup_elem(&lb_sock_config, &key);
	return c && c->netns_cookie &&
	       c->netns_cookie == bpf_get_netns_cookie(ctx);
}

enum sock_verdict {
	SOCK_MISS,   /* not a service: untouched */
	SOCK_DNAT,   /* rewritten to a backend */
	SOCK_NONE,   /* a service without backends */
};

/* ctx's destination to a backend of its service. The socket has no
 * source yet: its cookie stands in for it in the hash. */
static __always_inline enum sock_verdict sock_dnat(struct bpf_sock_addr *ctx,
						   __u64 cookie)
{
	const struct lb_service *svc;
	struct lb_tuple t = {};
	__be32 backend;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return SOCK_MISS;
	t.daddr = ctx->user_ip4;
	t.dport = (__be16)ctx->user_port;
	t.proto = (__u8)ctx->protocol;
	svc = lb_service_get(&t);
	if (!svc)
		return SOCK_MISS;
	t.saddr = (__u32)cookie;
	t.sport = (__u16)(cookie >> 32);
	backend = lb_select(svc, &t);
	if (!backend)
		return SOCK_NONE;
	ctx->user_ip4 = backend;
	if (svc->target_port)
		ctx->user_port = svc->target_port;
	return SOCK_DNAT;
}

/* A UDP socket remembers which VIP each backend stands for. */
static __always_inline void sock_remember(struct bpf_sock_addr *ctx,
					  __u64 cookie, __be32 vip,
					  __be16 port)
{
	struct lb_sock_revnat_key key = {
		.cookie = cookie,
		.backend = ctx->user_ip4,
		.port = (__be16)ctx->user_port,
	};
	struct lb_sock_revnat val = { .vip = vip, .port = port };

	bpf_map_update_elem(&lb_sock_revnat, &key, &val, BPF_ANY);
}

static __always_inline int sock_balance(struct bpf_sock_addr *ctx)
{
	__be32 vip = ctx->user_ip4;
	__be16 port = (__be16)ctx->user_port;
	__u64 cookie;

	if (!sock_ours(ctx))
		return SOCK_ALLOW;
	cookie = bpf_get_socket_cookie(ctx);
	switch (sock_dnat(ctx, cookie)) {
	case SOCK_NONE:
		return SOCK_REJECT;
	case SOCK_DNAT:
		if (ctx->protocol == IPPROTO_UDP)
			sock_remember(ctx, cookie, vip, port);
		return SOCK_ALLOW;
	default:
		return SOCK_ALLOW;
	}
}

/* The entry points, declared for -Wmissing-prototypes. */
int sock_connect4(struct bpf_sock_addr *ctx);
int sock_sendmsg4(struct bpf_sock_addr *ctx);
int sock_recvmsg4(struct bpf_sock_addr *ctx);

SEC("cgroup/connect4")
int sock_connect4(struct bpf_sock_addr *ctx)
{
	return sock_balance(ctx);
}

SEC("cgroup/sendmsg4")
int sock_sendmsg4(struct bpf_sock_addr *ctx)
{
	return sock_balance(ctx);
}

SEC("cgroup/recvmsg4")
int sock_recvmsg4(struct bpf_sock_addr *ctx)
{
	struct lb_sock_revnat_key key = {};
	const struct lb_sock_revnat *v;

	if (!sock_ours(ctx))
		return SOCK_ALLOW;
	key.cookie = bpf_get_socket_cookie(ctx);
	key.backend = ctx->user_ip4;
	key.port = (__be16)ctx->user_port;
	v = bpf_map_lookup_elem(&lb_sock_revnat, &key);
	if (v) {
		ctx->user_ip4 = v->vip;
		ctx->user_port = v->port;
	}
	return SOCK_ALLOW;
}
