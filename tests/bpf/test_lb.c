// SPDX-License-Identifier: MIT
/*
 * Services in the BPF datapath on crafted frames (BPF_PROG_TEST_RUN):
 * VIP hit and miss, DNAT and reverse NAT with valid checksums for TCP, UDP
 * and ICMP echo, conntrack reuse, random spread, hairpin, no backends,
 * Maglev disruption and identical tables across instances. Needs root;
 * skips every test, saying so, otherwise. Redirect targets come from the
 * datapath's trace events (DP_CFG_F_TRACE).
 */
#include <stdlib.h>

#include <linux/pkt_cls.h>

#include "datapath_lb.h"
#include "harness.h"
#include "proxy.h"

#define VXLAN_IFINDEX 77

/* Pods: A (the client, ifindex 1: test runs arrive on lo), B and C local,
 * R on the other worker (11.10.16.0/20). */
#define POD_A "11.10.0.2"
#define POD_B "11.10.0.3"
#define POD_C "11.10.0.4"
#define POD_R "11.10.16.5"
#define VIP   "100.64.10.1"

static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 0x02 };
static const uint8_t host_a[6] = { 0x02, 0xee, 0, 0, 0, 0x02 };

/* Frames ----------------------------------------------------------------- */

/* A frame from src:sport to dst:dport, checksums valid. ICMP: an echo
 * request with id sport (reply when dport is set: id dport). */
static void mkframe(struct frame *f, uint8_t proto, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport)
{
	uint8_t *ip = f->b + IP_OFF, *l4 = f->b + L4_OFF;
	__be32 s = ip4(src), d = ip4(dst);
	size_t l4len = proto == IPPROTO_TCP ? 24 : 16;
	uint16_t v;

	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, host_a, 6);
	memcpy(f->b + 6, mac_a, 6);
	f->b[12] = 0x08;
	ip[0] = 0x45;
	v = htons((uint16_t)(20 + l4len));
	memcpy(ip + 2, &v, 2);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	v = htons(ip_csum_at(ip));
	memcpy(ip + 10, &v, 2);
	if (proto == IPPROTO_ICMP) {
		l4[0] = dport ? 0 : 8;
		v = htons(dport ? dport : sport);
		memcpy(l4 + 4, &v, 2);
		l4[7] = 1;
	} else {
		v = htons(sport);
		memcpy(l4, &v, 2);
		v = htons(dport);
		memcpy(l4 + 2, &v, 2);
		if (proto == IPPROTO_TCP)
			l4[12] = 0x50, l4[13] = 0x02;
		else
			l4[5] = (uint8_t)l4len;
	}
	memcpy(l4 + l4len - 4, "knet", 4);
	f->len = L4_OFF + l4len;
	v = htons(l4_csum_at(ip, f->len - IP_OFF));
	memcpy(l4 + (proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2),
	       &v, 2);
	assert_int_equal(l4_csum_at(ip, f->len - IP_OFF), 0);
}

/* Maps ------------------------------------------------------------------- */

static uint32_t next_id = 1;

/* A service on VIP (port 0: VIP-only) with the given backends. */
static uint32_t service(uint16_t port, uint8_t proto, uint16_t target,
			int algo, const char *const *backends, size_t n)
{
	struct lb_service_key k = { .vip = ip4(VIP), .port = htons(port),
				    .proto = proto };
	struct lb_service s = { .id = next_id++, .count = (uint16_t)n,
				.algo = (uint8_t)algo,
				.target_port = htons(target) };
	__be32 ips[8];

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++)
		ips[i] = ip4(backends[i]);
	assert_int_equal(dp_lb_backends_set(dp, s.id, ips, n, 0,
					    algo == LB_ALGO_MAGLEV), 0);
	assert_int_equal(dp_lb_service_set(dp, &k, &s), 0);
	return s.id;
}

/* Tests ------------------------------------------------------------------ */

static void test_miss(void **state)
{
	static const char *const b[] = { POD_B };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, LB_ALGO_RANDOM, b, 1);
	/* another VIP, another port of the VIP: not a service */
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, "100.64.10.2", 80);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.ev.stat, DP_POD_TO_STACK);
	assert_memory_equal(r.out, f.b, f.len);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 81);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_POD_TO_STACK);
	assert_int_equal(r.delta[DP_LB_HIT].packets, 0);
	assert_memory_equal(r.out, f.b, f.len);
}

static void test_tcp_dnat_local(void **state)
{
	static const char *const b[] = { POD_B };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, LB_ALGO_RANDOM, b, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_LOCAL);
	assert_int_equal(r.ev.ifindex, 42);
	assert_int_equal(out_saddr(&r), ip4(POD_A));
	assert_int_equal(out_daddr(&r), ip4(POD_B));
	assert_int_equal(out_port(&r, 0), 40000);
	assert_int_equal(out_port(&r, 1), 8080);
	assert_csums(&r);
	assert_int_equal(r.delta[DP_LB_HIT].packets, 1);
	assert_int_equal(r.delta[DP_CT_NEW].packets, 1);
	/* the next packet of the connection: conntrack */
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(out_daddr(&r), ip4(POD_B));
	assert_int_equal(r.delta[DP_CT_HIT].packets, 1);
	assert_int_equal(r.delta[DP_CT_NEW].packets, 0);
}

/* Remote backend: DNAT into the overlay, the reply reverse-NATed by
 * from_overlay at the client's worker. */
static void check_remote_roundtrip(uint8_t proto, uint16_t port,
				   uint16_t target)
{
	static const char *const b[] = { POD_R };
	uint16_t bport = target ? target : port;
	struct result r;
	struct frame f;

	service(port, port ? proto : 0, target, LB_ALGO_RANDOM, b, 1);
	mkframe(&f, proto, POD_A, 40000, VIP, port);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_REMOTE);
	assert_int_equal(r.ev.ifindex, VXLAN_IFINDEX);
	assert_int_equal(r.ev.tun_remote, ip4("192.0.2.2"));
	assert_int_equal(out_daddr(&r), ip4(POD_R));
	if (proto != IPPROTO_ICMP)
		assert_int_equal(out_port(&r, 1), bport);
	assert_csums(&r);

	if (proto == IPPROTO_ICMP)
		mkframe(&f, proto, POD_R, 0, POD_A, 40000);
	else
		mkframe(&f, proto, POD_R, bport, POD_A, 40000);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_OVERLAY_LOCAL);
	assert_int_equal(r.ev.ifindex, 1);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	if (proto != IPPROTO_ICMP) {
		assert_int_equal(out_port(&r, 0), port);
		assert_int_equal(out_port(&r, 1), 40000);
	}
	assert_csums(&r);
}

static void test_tcp_remote_revnat(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_TCP, 80, 8080);
}

static void test_udp_remote_revnat(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_UDP, 53, 5353);
}

/* VIP-only service: ICMP echo balanced, id as the port. */
/* A service connection ended (nothing says so), then the same client port
 * reaches the same backend directly: the replies of the direct connection
 * must keep the backend's address, not get the VIP's. A direct TCP packet
 * other than a SYN leaves the reply entry alone. */
static void check_direct_reuses_tuple(uint8_t proto)
{
	struct result r;
	struct frame f;

	check_remote_roundtrip(proto, 80, 8080);
	if (proto == IPPROTO_TCP) {
		mkframe(&f, proto, POD_A, 40000, POD_R, 8080);
		f.b[L4_OFF + 13] = 0x10;	/* ACK: checksum no longer
						 * matters for the lookup */
		run(DP_PROG_FROM_POD, &f, &r);
		mkframe(&f, proto, POD_R, 8080, POD_A, 40000);
		run(DP_PROG_FROM_OVERLAY, &f, &r);
		assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	}
	mkframe(&f, proto, POD_A, 40000, POD_R, 8080);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_REMOTE);
	assert_int_equal(out_daddr(&r), ip4(POD_R));
	assert_int_equal(out_port(&r, 1), 8080);

	mkframe(&f, proto, POD_R, 8080, POD_A, 40000);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 0);
	assert_int_equal(out_saddr(&r), ip4(POD_R));
	assert_int_equal(out_port(&r, 0), 8080);
	assert_csums(&r);
}

static void test_tcp_direct_reuses_tuple(void **state)
{
	(void)state;
	skip_unless_ready();
	check_direct_reuses_tuple(IPPROTO_TCP);
}

static void test_udp_direct_reuses_tuple(void **state)
{
	(void)state;
	skip_unless_ready();
	check_direct_reuses_tuple(IPPROTO_UDP);
}

static void test_icmp_vip_only(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_ICMP, 0, 0);
}

/* VIP-only service keeps TCP ports. */
static void test_vip_only_tcp(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_TCP, 0, 0);
}

static void test_random_spread(void **state)
{
	static const char *const b[] = { POD_B, POD_C, POD_R };
	size_t hits[3] = { 0 };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 0, LB_ALGO_RANDOM, b, 3);
	for (uint16_t i = 0; i < 300; i++) {
		mkframe(&f, IPPROTO_TCP, POD_A, (uint16_t)(20000 + i), VIP, 80);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_csums(&r);
		for (size_t k = 0; k < 3; k++)
			hits[k] += out_daddr(&r) == ip4(b[k]);
	}
	assert_int_equal(hits[0] + hits[1] + hits[2], 300);
	for (size_t k = 0; k < 3; k++)
		if (hits[k] < 50)
			fail_msg("backend %s got %zu of 300", b[k], hits[k]);
	/* and every connection kept its backend */
	for (uint16_t i = 0; i < 300; i += 7) {
		__be32 first;

		mkframe(&f, IPPROTO_TCP, POD_A, (uint16_t)(20000 + i), VIP, 80);
		run(DP_PROG_FROM_POD, &f, &r);
		first = out_daddr(&r);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_int_equal(out_daddr(&r), first);
		assert_int_equal(r.delta[DP_CT_HIT].packets, 1);
	}
}

/* The client is the backend: SNAT to the VIP, the reply comes back
 * through from_pod and is reverse-NATed to VIP:80 -> client. */
static void test_hairpin(void **state)
{
	static const char *const b[] = { POD_A };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, LB_ALGO_RANDOM, b, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_LOCAL);
	assert_int_equal(r.ev.ifindex, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(out_port(&r, 0), 40000);
	assert_int_equal(out_port(&r, 1), 8080);
	assert_csums(&r);

	mkframe(&f, IPPROTO_TCP, POD_A, 8080, VIP, 40000);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_LOCAL);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(out_port(&r, 0), 80);
	assert_int_equal(out_port(&r, 1), 40000);
	assert_csums(&r);
}

/* No backends: TCP gets an RST from VIP:port, UDP and ICMP echo an ICMP
 * unreachable from the VIP quoting their header, back out of the veth. */
static void test_no_backends_tcp_rst(void **state)
{
	struct result r;
	struct frame f;
	uint32_t ack;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, LB_ALGO_RANDOM, NULL, 0);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80); /* SYN, seq 0, 4 B */
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_LB_NO_BACKEND);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.ifindex, 1);
	assert_int_equal(r.delta[DP_LB_NO_BACKEND].packets, 1);
	assert_int_equal(r.out_len, L4_OFF + 20);
	assert_memory_equal(r.out, mac_a, 6);
	assert_memory_equal(r.out + 6, host_a, 6);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(out_port(&r, 0), 80);
	assert_int_equal(out_port(&r, 1), 40000);
	assert_int_equal(r.out[L4_OFF + 13], 0x14); /* RST|ACK */
	memcpy(&ack, r.out + L4_OFF + 8, 4);
	assert_int_equal(ntohl(ack), 0 + 4 + 1); /* seq + payload + SYN */
	assert_csums(&r);
}

static void check_unreachable(uint8_t proto, uint16_t port, uint8_t code)
{
	struct result r;
	struct frame f;

	service(port, port ? proto : 0, 0, LB_ALGO_RANDOM, NULL, 0);
	mkframe(&f, proto, POD_A, 40000, VIP, port);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_LB_NO_BACKEND);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.ifindex, 1);
	assert_int_equal(r.out_len, L4_OFF + 8 + 28);
	assert_int_equal(r.out[IP_OFF + 9], IPPROTO_ICMP);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(r.out[L4_OFF], 3);
	assert_int_equal(r.out[L4_OFF + 1], code);
	assert_memory_equal(r.out + L4_OFF + 8, f.b + IP_OFF, 28);
	assert_csums(&r);
}

static void test_no_backends_udp_unreachable(void **state)
{
	(void)state;
	skip_unless_ready();
	check_unreachable(IPPROTO_UDP, 53, 3);
}

static void test_no_backends_icmp_unreachable(void **state)
{
	(void)state;
	skip_unless_ready();
	check_unreachable(IPPROTO_ICMP, 0, 1);
}

/* Removing a backend: its connections' entries go, the next packet is
 * balanced anew; the other connections keep theirs. */
static void test_backend_removed(void **state)
{
	static const char *const b[] = { POD_B, POD_C };
	struct lb_service_key k = { .vip = ip4(VIP), .port = htons(80),
				    .proto = IPPROTO_TCP };
	struct lb_service s = { .count = 1 };
	__be32 keep = ip4(POD_C);
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	s.id = service(80, IPPROTO_TCP, 0, LB_ALGO_RANDOM, b, 2);
	for (uint16_t i = 0; i < 40; i++) {
		mkframe(&f, IPPROTO_TCP, POD_A, (uint16_t)(30000 + i), VIP, 80);
		run(DP_PROG_FROM_POD, &f, &r);
	}
	assert_int_equal(dp_lb_service_set(dp, &k, &s), 0);
	assert_int_equal(dp_lb_backends_set(dp, s.id, &keep, 1, 2, 0), 0);
	assert_int_equal(dp_lb_ct_flush_backend(dp, s.id, ip4(VIP),
						 ip4(POD_B)), 0);
	for (uint16_t i = 0; i < 40; i++) {
		mkframe(&f, IPPROTO_TCP, POD_A, (uint16_t)(30000 + i), VIP, 80);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_int_equal(out_daddr(&r), keep);
	}
}

/* Maglev: same tuple, same backend, without conntrack; removing one of N
 * remaps about 1/N of the flows. */
static void maglev_run(__be32 *out, size_t flows)
{
	struct result r;
	struct frame f;

	clear_map(LB_PIN_CT);
	clear_map(LB_PIN_REVNAT);
	for (size_t i = 0; i < flows; i++) {
		mkframe(&f, IPPROTO_TCP, POD_A, (uint16_t)(10000 + i), VIP, 80);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_csums(&r);
		out[i] = out_daddr(&r);
	}
}

static void test_maglev_disruption(void **state)
{
	static const char *const b[] = { POD_B, POD_C, POD_R, "11.10.16.6",
					 "11.10.16.7" };
	enum { N = 5, FLOWS = 1000 };
	static __be32 before[FLOWS], again[FLOWS], after[FLOWS];
	struct lb_service_key k = { .vip = ip4(VIP), .port = htons(80),
				    .proto = IPPROTO_TCP };
	struct lb_service s = { .count = N - 1, .algo = LB_ALGO_MAGLEV };
	__be32 rest[N - 1];
	size_t moved = 0, seen[N] = { 0 };

	(void)state;
	skip_unless_ready();
	s.id = service(80, IPPROTO_TCP, 0, LB_ALGO_MAGLEV, b, N);
	maglev_run(before, FLOWS);
	maglev_run(again, FLOWS);
	assert_memory_equal(before, again, sizeof(before));
	for (size_t i = 0; i < FLOWS; i++)
		for (size_t j = 0; j < N; j++)
			seen[j] += before[i] == ip4(b[j]);
	for (size_t j = 0; j < N; j++)
		if (seen[j] < FLOWS / N / 2)
			fail_msg("backend %s got %zu flows", b[j], seen[j]);

	for (size_t j = 0; j < N - 1; j++)
		rest[j] = ip4(b[j < 2 ? j : j + 1]); /* without POD_R */
	assert_int_equal(dp_lb_service_set(dp, &k, &s), 0);
	assert_int_equal(dp_lb_backends_set(dp, s.id, rest, N - 1, N, 1), 0);
	maglev_run(after, FLOWS);
	for (size_t i = 0; i < FLOWS; i++) {
		if (before[i] != after[i])
			moved++;
		assert_int_not_equal(after[i], ip4(POD_R));
	}
	if (moved > FLOWS / N + FLOWS * 5 / 100)
		fail_msg("%zu of %d flows moved", moved, FLOWS);
}

/* Two datapath instances (two workers) given the same backends in another
 * order hold identical tables. */
static void test_maglev_same_everywhere(void **state)
{
	__be32 one[4] = { ip4("11.10.0.9"), ip4("11.10.16.3"),
			  ip4("11.10.32.7"), ip4("11.10.0.5") };
	__be32 two[4] = { one[2], one[0], one[3], one[1] };
	struct lb_maglev *t1, *t2;
	struct dp *other = NULL;
	__u32 id = 99;

	(void)state;
	skip_unless_ready();
	assert_int_equal(dp_open(NULL, &other), 0);
	assert_int_equal(dp_lb_backends_set(dp, id, one, 4, 0, 1), 0);
	assert_int_equal(dp_lb_backends_set(other, id, two, 4, 0, 1), 0);
	t1 = malloc(sizeof(*t1));
	t2 = malloc(sizeof(*t2));
	assert_non_null(t1);
	assert_non_null(t2);
	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(dp, LB_PIN_MAGLEV),
					     &id, t1), 0);
	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(other, LB_PIN_MAGLEV),
					     &id, t2), 0);
	assert_memory_equal(t1, t2, sizeof(*t1));
	free(t1);
	free(t2);
	assert_int_equal(dp_lb_backends_set(dp, id, NULL, 0, 4, 0), 0);
	dp_close(other);
}

static void test_api_validation(void **state)
{
	struct lb_service_key k = { .vip = ip4(VIP), .port = htons(80) };
	struct lb_service s = { .id = 1 };
	__be32 zero = 0;

	(void)state;
	skip_unless_ready();
	assert_int_equal(dp_lb_service_set(dp, &k, &s), -EINVAL); /* no proto */
	k.proto = IPPROTO_TCP;
	s.algo = 7;
	assert_int_equal(dp_lb_service_set(dp, &k, &s), -EINVAL);
	assert_int_equal(dp_lb_service_del(dp, &k), -ENOENT);
	assert_int_equal(dp_lb_backends_set(dp, 1, &zero, 1, 0, 0), -EINVAL);
	assert_int_equal(dp_lb_backends_set(NULL, 1, NULL, 0, 0, 0), -EINVAL);
	assert_int_equal(dp_lb_ct_flush_backend(dp, 1, ip4(VIP), 0), -EINVAL);
	assert_int_equal(dp_map_fd(dp, "nosuch"), -ENOENT);
}

/* proxy "bpf": the agent's service objects into the maps, differences
 * only. Its own datapath instance, pinned under a private directory. */
static int lookup_svc(struct dp *d, uint16_t port, uint8_t proto,
		      struct lb_service *v)
{
	struct lb_service_key k = { .vip = ip4("100.64.20.1"),
				    .port = htons(port), .proto = proto };

	return bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_SERVICES), &k, v);
}

static void test_proxy_bpf(void **state)
{
	struct proxy_config cfg = { .sim = "t", .worker = "w1" };
	struct proxy_service s = {
		.ns = "default", .name = "web", .vip = 0x64401401,
		.ports = { { 80, 8080, IPPROTO_TCP }, { 53, 53, IPPROTO_UDP } },
		.n_ports = 2, .algo = PROXY_ALGO_MAGLEV,
		.backends = { 0x0b0a0003, 0x0b0a0004, 0x0b0a1005 },
		.n_backends = 3,
	};
	struct lb_backend_key bk;
	struct lb_maglev *m;
	struct lb_backend b;
	struct lb_service v;
	struct dp *d = NULL;
	char dir[96];
	__u32 id;

	(void)state;
	skip_unless_ready();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/ktm-test-%ld", (long)getpid());
	cfg.pin_dir = dir;
	assert_int_equal(proxy_bpf_ops.init(&cfg), 0);
	assert_int_equal(dp_open(dir, &d), 0); /* the same pinned maps */
	assert_int_equal(proxy_bpf_ops.service_set(&s), 0);
	assert_int_equal(lookup_svc(d, 80, IPPROTO_TCP, &v), 0);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.algo, LB_ALGO_MAGLEV);
	assert_int_equal(v.target_port, htons(8080));
	id = v.id;
	assert_int_equal(lookup_svc(d, 53, IPPROTO_UDP, &v), 0);
	assert_int_equal(v.id, id);
	m = malloc(sizeof(*m));
	assert_non_null(m);
	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_MAGLEV), &id,
					     m), 0);
	assert_int_equal(m->ip[0] == htonl(0x0b0a0003) ||
			 m->ip[0] == htonl(0x0b0a0004) ||
			 m->ip[0] == htonl(0x0b0a1005), 1);

	/* one port and one backend fewer, random */
	s.n_ports = 1;
	s.n_backends = 2;
	s.algo = PROXY_ALGO_RANDOM;
	assert_int_equal(proxy_bpf_ops.service_set(&s), 0);
	assert_int_equal(lookup_svc(d, 80, IPPROTO_TCP, &v), 0);
	assert_int_equal(v.count, 2);
	assert_int_equal(v.algo, LB_ALGO_RANDOM);
	assert_int_not_equal(lookup_svc(d, 53, IPPROTO_UDP, &v), 0);
	assert_int_not_equal(bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_MAGLEV),
						 &id, m), 0);
	free(m);
	bk.id = id;
	bk.slot = 1;
	assert_int_equal(bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_BACKENDS),
					     &bk, &b), 0);
	assert_int_equal(b.ip, htonl(0x0b0a0004));
	bk.slot = 2;
	assert_int_not_equal(bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_BACKENDS),
						 &bk, &b), 0);

	s.n_ports = 0; /* VIP-only */
	assert_int_equal(proxy_bpf_ops.service_set(&s), 0);
	assert_int_equal(lookup_svc(d, 0, 0, &v), 0);
	assert_int_not_equal(lookup_svc(d, 80, IPPROTO_TCP, &v), 0);

	s.vip = 0;
	assert_int_equal(proxy_bpf_ops.service_set(&s), -EINVAL);
	assert_int_equal(proxy_bpf_ops.service_del("default", "web"), 0);
	assert_int_not_equal(lookup_svc(d, 0, 0, &v), 0);
	bk.slot = 0;
	assert_int_not_equal(bpf_map_lookup_elem(dp_map_fd(d, LB_PIN_BACKENDS),
						 &bk, &b), 0);
	assert_int_equal(proxy_bpf_ops.service_del("default", "web"), 0);
	proxy_bpf_ops.close();
	dp_close(d);
	assert_int_equal(dp_unpin(dir), 0);
}

/* Setup ------------------------------------------------------------------ */

static int fill(void)
{
	struct dp_endpoint a = { .ifindex = 1 }, b = { .ifindex = 42 },
			   c = { .ifindex = 43 };
	struct dp_route rt = { .remote = ip4("192.0.2.2"), .vni = 100 };
	struct dp_config cfg = {
		.vxlan_ifindex = VXLAN_IFINDEX,
		.subnet = ip4("11.10.0.0"), .subnet_len = 20,
		.gateway = ip4("169.254.1.1"), .host_ip = ip4("11.10.0.0"),
		.flags = DP_CFG_F_TRACE,
	};

	memcpy(a.mac, mac_a, 6);
	memcpy(a.host_mac, host_a, 6);
	return dp_config_set(dp, &cfg) ||
	       dp_endpoint_set(dp, ip4(POD_A), &a) ||
	       dp_endpoint_set(dp, ip4(POD_B), &b) ||
	       dp_endpoint_set(dp, ip4(POD_C), &c) ||
	       dp_route_set(dp, ip4("11.10.16.0"), 20, &rt);
}

static int group_setup(void **state)
{
	(void)state;
	return harness_setup("test_lb", fill);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_miss),
		T(test_tcp_dnat_local),
		T(test_tcp_remote_revnat),
		T(test_udp_remote_revnat),
		T(test_tcp_direct_reuses_tuple),
		T(test_udp_direct_reuses_tuple),
		T(test_icmp_vip_only),
		T(test_vip_only_tcp),
		T(test_random_spread),
		T(test_hairpin),
		T(test_no_backends_tcp_rst),
		T(test_no_backends_udp_unreachable),
		T(test_no_backends_icmp_unreachable),
		T(test_backend_removed),
		T(test_maglev_disruption),
		T(test_maglev_same_everywhere),
		T(test_api_validation),
		T(test_proxy_bpf),
	};

	return cmocka_run_group_tests(tests, group_setup, harness_teardown);
}
