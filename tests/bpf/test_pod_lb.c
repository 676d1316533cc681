// SPDX-License-Identifier: MIT
/*
 * Services for pods in routing "kernel" (BPF_PROG_TEST_RUN on crafted
 * frames): lb_from_pod on a pod's veth ingress DNATs to a backend and hands
 * the packet on (TC_ACT_OK), lb_to_pod on its egress reverse-NATs replies,
 * non-service traffic passes both untouched; local backend, hairpin, ICMP
 * echo, UDP, no backends. Then ICMP errors about balanced connections, in
 * both routing modes (lb_to_pod, from_overlay, lb_from_pod), and the
 * loader's attach/detach on a veth. Needs root; skips every test, saying
 * so, otherwise. Verdicts come from the datapath's trace events.
 */
#include <linux/pkt_cls.h>

#include "harness.h"

/* Pods: A the client (test runs arrive on lo, ifindex 1), B another pod
 * of this worker, R a pod on another worker; VIP, and a router on the
 * underlay that may send errors too. */
#define POD_A  "11.10.0.2"
#define POD_B  "11.10.0.3"
#define POD_R  "11.10.16.5"
#define VIP    "100.64.10.1"
#define ROUTER "10.0.0.254"

static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 0x02 };
static const uint8_t mac_gw[6] = { 0x02, 0xee, 0, 0, 0, 0x01 };

/* Frames ----------------------------------------------------------------- */

/* An IPv4 packet at ip from src to dst, l4len bytes of L4 after it (filled
 * by the caller), header checksum set. */
static void put_ip(uint8_t *ip, uint8_t proto, const char *src,
		   const char *dst, size_t l4len)
{
	__be32 s = ip4(src), d = ip4(dst);

	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + l4len));
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &s, 4);
	memcpy(ip + 16, &d, 4);
	put16(ip + 10, ip_csum_at(ip));
}

/* A packet from src:sport to dst:dport into ip, checksums valid; its
 * length. ICMP: an echo request with id sport (a reply when dport is set:
 * id dport). */
static size_t mkpacket(uint8_t *ip, uint8_t proto, const char *src,
		       uint16_t sport, const char *dst, uint16_t dport)
{
	size_t l4len = proto == IPPROTO_TCP ? 24 : 16;
	uint8_t *l4 = ip + 20;

	put_ip(ip, proto, src, dst, l4len);
	memset(l4, 0, l4len);
	if (proto == IPPROTO_ICMP) {
		l4[0] = dport ? 0 : 8;
		put16(l4 + 4, dport ? dport : sport);
		l4[7] = 1;
	} else {
		put16(l4, sport);
		put16(l4 + 2, dport);
		if (proto == IPPROTO_TCP)
			l4[12] = 0x50, l4[13] = 0x02;
		else
			l4[5] = (uint8_t)l4len;
	}
	memcpy(l4 + l4len - 4, "knet", 4);
	put16(l4 + (proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 2),
	      l4_csum_at(ip, 20 + l4len));
	assert_int_equal(l4_csum_at(ip, 20 + l4len), 0);
	return 20 + l4len;
}

static void put_eth(struct frame *f, uint16_t type)
{
	memset(f->b, 0, sizeof(f->b));
	memcpy(f->b, mac_gw, 6);
	memcpy(f->b + 6, mac_a, 6);
	put16(f->b + 12, type);
}

static void mkframe(struct frame *f, uint8_t proto, const char *src,
		    uint16_t sport, const char *dst, uint16_t dport)
{
	put_eth(f, 0x0800);
	f->len = IP_OFF + mkpacket(f->b + IP_OFF, proto, src, sport, dst,
				   dport);
}

/* An ICMP error (type, code) from src to dst quoting the whole packet
 * proto from qsrc:qsport to qdst:qdport, as Linux quotes it. */
static void mkerror(struct frame *f, uint8_t type, uint8_t code,
		    const char *src, const char *dst, uint8_t proto,
		    const char *qsrc, uint16_t qsport, const char *qdst,
		    uint16_t qdport)
{
	uint8_t *ip = f->b + IP_OFF, *icmp = ip + 20;
	size_t qlen;

	put_eth(f, 0x0800);
	qlen = mkpacket(icmp + 8, proto, qsrc, qsport, qdst, qdport);
	put_ip(ip, IPPROTO_ICMP, src, dst, 8 + qlen);
	memset(icmp, 0, 8);
	icmp[0] = type;
	icmp[1] = code;
	put16(icmp + 2, l4_csum_at(ip, 28 + qlen));
	f->len = IP_OFF + 28 + qlen;
	assert_int_equal(l4_csum_at(ip, 28 + qlen), 0);
}

static void arp_frame(struct frame *f)
{
	static const uint8_t req[28] = { 0, 1, 8, 0, 6, 4, 0, 1,
					 0x02, 0xaa, 0, 0, 0, 0x02,
					 11, 10, 0, 2, 0, 0, 0, 0, 0, 0,
					 11, 10, 0, 1 };

	put_eth(f, 0x0806);
	memset(f->b, 0xff, 6);
	memcpy(f->b + IP_OFF, req, sizeof(req));
	f->len = IP_OFF + sizeof(req);
}

/* Handed on unchanged by lb_from_pod / lb_to_pod. */
static void assert_passed(const struct result *r, const struct frame *f,
			  enum dp_prog prog)
{
	assert_int_equal(r->ret, TC_ACT_OK);
	assert_int_equal(r->ev.stat, prog == DP_PROG_LB_FROM_POD ?
				     DP_POD_TO_BRIDGE : DP_BRIDGE_TO_POD);
	assert_int_equal(r->out_len, f->len);
	assert_memory_equal(r->out, f->b, f->len);
}

/* Maps ------------------------------------------------------------------- */

static uint32_t next_id = 1;

static void service(uint16_t port, uint8_t proto, uint16_t target,
		    const char *const *backends, size_t n)
{
	struct lb_service_key k = { .vip = ip4(VIP), .port = htons(port),
				    .proto = proto };
	struct lb_service s = { .id = next_id++, .count = (uint16_t)n,
				.target_port = htons(target) };
	__be32 ips[4];

	assert_true(n <= 4);
	for (size_t i = 0; i < n; i++)
		ips[i] = ip4(backends[i]);
	assert_int_equal(dp_lb_backends_set(dp, s.id, ips, n, 0, 0), 0);
	assert_int_equal(dp_lb_service_set(dp, &k, &s), 0);
}

/* Pass-through ----------------------------------------------------------- */

/* Pod to pod, pod to the world, ARP, and replies that no connection of
 * this worker expects: both programs hand them on byte for byte. */
static void test_non_service_untouched(void **state)
{
	static const char *const b[] = { POD_R };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, b, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, POD_R, 80);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_FROM_POD);
	mkframe(&f, IPPROTO_UDP, POD_A, 40000, "100.64.10.2", 80);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_FROM_POD);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 81); /* no such port */
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_FROM_POD);
	assert_int_equal(r.delta[DP_LB_HIT].packets, 0);
	arp_frame(&f);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_FROM_POD);

	mkframe(&f, IPPROTO_TCP, POD_R, 8080, POD_A, 40000);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_TO_POD);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 0);
	mkerror(&f, 3, 3, POD_R, POD_A, IPPROTO_UDP, POD_A, 40000, POD_R,
		5353);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_TO_POD);
	arp_frame(&f);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_TO_POD);
}

/* Short and malformed: not ours to judge, the stack drops them. */
static void test_malformed_passed(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	f.b[IP_OFF] = 0x46; /* claims options it does not have... */
	put16(f.b + IP_OFF + 2, 200); /* ...and more bytes than it has */
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_FROM_POD);
}

/* DNAT in, reverse NAT out --------------------------------------------- */

/* A backend on another worker: the client's packet leaves DNATed with
 * TC_ACT_OK (the stack routes it), the reply gets the VIP back on its way
 * into the pod. */
static void check_remote_roundtrip(uint8_t proto, uint16_t port,
				   uint16_t target)
{
	static const char *const b[] = { POD_R };
	uint16_t bport = target ? target : port;
	struct result r;
	struct frame f;

	service(port, port ? proto : 0, target, b, 1);
	mkframe(&f, proto, POD_A, 40000, VIP, port);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.ev.stat, DP_POD_TO_BRIDGE);
	assert_int_equal(r.delta[DP_LB_HIT].packets, 1);
	assert_int_equal(r.delta[DP_CT_NEW].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(POD_A));
	assert_int_equal(out_daddr(&r), ip4(POD_R));
	if (proto != IPPROTO_ICMP) {
		assert_int_equal(out_port(&r, 0), 40000);
		assert_int_equal(out_port(&r, 1), bport);
	}
	assert_memory_equal(r.out, f.b, IP_OFF);   /* Ethernet as sent */
	assert_int_equal(r.out[IP_OFF + 8], 64);   /* no TTL decrement */
	assert_csums(&r);
	run(DP_PROG_LB_FROM_POD, &f, &r);          /* the connection's next */
	assert_int_equal(out_daddr(&r), ip4(POD_R));
	assert_int_equal(r.delta[DP_CT_HIT].packets, 1);

	if (proto == IPPROTO_ICMP)
		mkframe(&f, proto, POD_R, 0, POD_A, 40000);
	else
		mkframe(&f, proto, POD_R, bport, POD_A, 40000);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.ev.stat, DP_BRIDGE_TO_POD);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	if (proto != IPPROTO_ICMP) {
		assert_int_equal(out_port(&r, 0), port);
		assert_int_equal(out_port(&r, 1), 40000);
	}
	assert_csums(&r);
}

static void test_tcp_remote(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_TCP, 80, 8080);
}

static void test_udp_remote(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_UDP, 53, 5353);
}

/* The course's port-less VIP: ping balanced, the echo id as the port. */
static void test_icmp_echo_vip_only(void **state)
{
	(void)state;
	skip_unless_ready();
	check_remote_roundtrip(IPPROTO_ICMP, 0, 0);
}

/* A backend on the same worker: its reply crosses the bridge from its own
 * veth, whose lb_from_pod gives it the VIP back; the client's lb_to_pod
 * then has nothing left to do. */
static void test_local_backend(void **state)
{
	static const char *const b[] = { POD_B };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, b, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(out_daddr(&r), ip4(POD_B));
	assert_int_equal(out_port(&r, 1), 8080);
	assert_csums(&r);

	mkframe(&f, IPPROTO_TCP, POD_B, 8080, POD_A, 40000);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.ev.stat, DP_POD_TO_BRIDGE);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_port(&r, 0), 80);
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_csums(&r);

	memcpy(f.b, r.out, r.out_len);
	f.len = r.out_len;
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_TO_POD);
}

/* The client is its own backend: the source becomes the VIP, and the
 * pod's answer to the VIP comes back through lb_from_pod as VIP:80. */
static void test_hairpin(void **state)
{
	static const char *const b[] = { POD_A };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, b, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(out_port(&r, 0), 40000);
	assert_int_equal(out_port(&r, 1), 8080);
	assert_csums(&r);
	/* routed back into the pod: nothing more on the way */
	memcpy(f.b, r.out, r.out_len);
	f.len = r.out_len;
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_passed(&r, &f, DP_PROG_LB_TO_POD);

	mkframe(&f, IPPROTO_TCP, POD_A, 8080, VIP, 40000);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 1);
	assert_int_equal(r.delta[DP_LB_HIT].packets, 0);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(out_port(&r, 0), 80);
	assert_int_equal(out_port(&r, 1), 40000);
	assert_csums(&r);
}

/* No backends: the answer goes straight back out of the veth (ifindex 1
 * in a test run), counted. */
static void test_no_backends(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(80, IPPROTO_TCP, 8080, NULL, 0);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_LB_NO_BACKEND);
	assert_int_equal(r.ev.ifindex, 1);
	assert_int_equal(r.delta[DP_LB_NO_BACKEND].packets, 1);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	assert_int_equal(out_daddr(&r), ip4(POD_A));
	assert_int_equal(r.out[L4_OFF + 13] & 0x04, 0x04); /* RST */
	assert_csums(&r);

	service(53, IPPROTO_UDP, 0, NULL, 0);
	mkframe(&f, IPPROTO_UDP, POD_A, 40000, VIP, 53);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_LB_NO_BACKEND);
	assert_int_equal(r.out[IP_OFF + 9], IPPROTO_ICMP);
	assert_int_equal(r.out[L4_OFF], 3);
	assert_int_equal(r.out[L4_OFF + 1], 3);  /* port unreachable */
	assert_csums(&r);
}

/* ICMP errors ------------------------------------------------------------ */

/* The error as the client must see it: from `from` (the VIP when the
 * backend sent it), quoting client:40000 -> VIP:port, every checksum
 * valid, the rest of the quote unchanged. */
static void assert_error_unnatted(const struct result *r,
				  const struct frame *f, const char *from,
				  const char *client, uint16_t port)
{
	const uint8_t *q = r->out + L4_OFF + 8;

	assert_int_equal(out_saddr(r), ip4(from));
	assert_int_equal(out_daddr(r), ip4(client));
	assert_int_equal(r->out_len, f->len);
	assert_csums(r);                           /* outer IPv4 and ICMP */
	assert_int_equal(ip_csum_at(q), 0);        /* the quoted header */
	assert_int_equal(addr_at(q + 12), ip4(client));
	assert_int_equal(addr_at(q + 16), ip4(VIP));
	assert_int_equal(get16(q + 20), 40000);
	assert_int_equal(get16(q + 22), port);
	assert_memory_equal(q + 24, f->b + L4_OFF + 8 + 24,
			    f->len - (L4_OFF + 8 + 24));
	assert_int_equal(r->delta[DP_REV_NAT_ICMP].packets, 1);
}

/* Port unreachable from a remote backend, on its way into the client. */
static void test_icmp_error_kernel(void **state)
{
	static const char *const b[] = { POD_R };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(53, IPPROTO_UDP, 5353, b, 1);
	mkframe(&f, IPPROTO_UDP, POD_A, 40000, VIP, 53);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(out_daddr(&r), ip4(POD_R));

	mkerror(&f, 3, 3, POD_R, POD_A, IPPROTO_UDP, POD_A, 40000, POD_R,
		5353);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_int_equal(r.ev.stat, DP_BRIDGE_TO_POD);
	assert_error_unnatted(&r, &f, VIP, POD_A, 53);
	assert_int_equal(r.delta[DP_REV_NAT].packets, 0);

	/* from a router on the way: its own address stays */
	mkerror(&f, 11, 0, ROUTER, POD_A, IPPROTO_UDP, POD_A, 40000, POD_R,
		5353);
	run(DP_PROG_LB_TO_POD, &f, &r);
	assert_error_unnatted(&r, &f, ROUTER, POD_A, 53);
}

/* Routing "bpf": the same error decapsulated by from_overlay, and TCP's
 * "fragmentation needed" from a local backend through from_pod. */
static void test_icmp_error_bpf(void **state)
{
	static const char *const b[] = { POD_R };
	static const char *const local[] = { POD_B };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(53, IPPROTO_UDP, 5353, b, 1);
	mkframe(&f, IPPROTO_UDP, POD_A, 40000, VIP, 53);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ev.stat, DP_REMOTE);
	mkerror(&f, 3, 3, POD_R, POD_A, IPPROTO_UDP, POD_A, 40000, POD_R,
		5353);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.ev.stat, DP_OVERLAY_LOCAL);
	assert_int_equal(r.ev.ifindex, 1);
	assert_error_unnatted(&r, &f, VIP, POD_A, 53);

	reset(NULL);
	service(80, IPPROTO_TCP, 8080, local, 1);
	mkframe(&f, IPPROTO_TCP, POD_A, 40000, VIP, 80);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(out_daddr(&r), ip4(POD_B));
	mkerror(&f, 3, 4, POD_B, POD_A, IPPROTO_TCP, POD_A, 40000, POD_B,
		8080);
	run(DP_PROG_LB_FROM_POD, &f, &r);   /* B's veth, kernel routing */
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_error_unnatted(&r, &f, VIP, POD_A, 80);
}

/* Hairpin: the pod's own error about VIP:40000 -> itself goes to the VIP
 * and must come back to it as one about itself -> VIP:80. */
static void test_icmp_error_hairpin(void **state)
{
	static const char *const b[] = { POD_A };
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	service(53, IPPROTO_UDP, 5353, b, 1);
	mkframe(&f, IPPROTO_UDP, POD_A, 40000, VIP, 53);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(out_saddr(&r), ip4(VIP));
	mkerror(&f, 3, 3, POD_A, VIP, IPPROTO_UDP, VIP, 40000, POD_A, 5353);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_error_unnatted(&r, &f, VIP, POD_A, 53);
}

/* An error quoting an echo request to a port-less VIP. */
static void test_icmp_error_about_echo(void **state)
{
	static const char *const b[] = { POD_R };
	struct result r;
	struct frame f;
	const uint8_t *q;

	(void)state;
	skip_unless_ready();
	service(0, 0, 0, b, 1);
	mkframe(&f, IPPROTO_ICMP, POD_A, 777, VIP, 0);
	run(DP_PROG_LB_FROM_POD, &f, &r);
	assert_int_equal(out_daddr(&r), ip4(POD_R));
	mkerror(&f, 11, 0, ROUTER, POD_A, IPPROTO_ICMP, POD_A, 777, POD_R, 0);
	run(DP_PROG_LB_TO_POD, &f, &r);
	q = r.out + L4_OFF + 8;
	assert_int_equal(out_saddr(&r), ip4(ROUTER));
	assert_int_equal(addr_at(q + 16), ip4(VIP));
	assert_int_equal(ip_csum_at(q), 0);
	assert_int_equal(get16(q + 24), 777);  /* the echo id, kept */
	assert_csums(&r);
	assert_int_equal(r.delta[DP_REV_NAT_ICMP].packets, 1);
}

/* The loader ------------------------------------------------------------- */

static __u32 attached_id(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE,
			    .priority = DP_TC_PRIO);
	libbpf_print_fn_t print = libbpf_set_print(NULL);
	int err = bpf_tc_query(&hook, &opts);

	libbpf_set_print(print);
	return err ? 0 : opts.prog_id;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

/* Both directions of lo in the test's namespace; gone devices. */
static void test_attach_detach(void **state)
{
	__u32 in, out;

	(void)state;
	skip_unless_ready();
	in = prog_id(dp_prog_fd(dp, DP_PROG_LB_FROM_POD));
	out = prog_id(dp_prog_fd(dp, DP_PROG_LB_TO_POD));
	assert_int_equal(dp_detach_pod_lb(1), 0); /* nothing there yet */
	assert_int_equal(dp_attach_pod_lb(dp, 1), 0);
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), in);
	assert_int_equal(attached_id(1, BPF_TC_EGRESS), out);
	assert_int_equal(dp_attach_pod_lb(dp, 1), 0); /* replaces */
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), in);
	assert_int_equal(dp_detach_pod_lb(1), 0);
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), 0);
	assert_int_equal(attached_id(1, BPF_TC_EGRESS), 0);
	assert_int_equal(dp_detach_pod_lb(1), 0);
	assert_true(dp_attach_pod_lb(dp, 4242) < 0);
	assert_int_equal(dp_detach_pod_lb(4242), -ENODEV);
	assert_int_equal(dp_attach_pod_lb(NULL, 1), -EINVAL);
	assert_int_equal(dp_prog_fd(dp, DP_PROG__MAX), -EINVAL);
}

/* Setup ------------------------------------------------------------------ */

/* The maps as routing "bpf" fills them (from_pod and from_overlay are
 * run too); routing "kernel" leaves endpoints and routes to the stack,
 * which lb_from_pod and lb_to_pod never read. */
static int fill(void)
{
	struct dp_endpoint a = { .ifindex = 1 }, b = { .ifindex = 42 };
	struct dp_route rt = { .remote = ip4("192.0.2.2"), .vni = 100 };
	struct dp_config cfg = {
		.vxlan_ifindex = 77,
		.subnet = ip4("11.10.0.0"), .subnet_len = 20,
		.gateway = ip4("169.254.1.1"), .host_ip = ip4("11.10.0.0"),
		.flags = DP_CFG_F_TRACE,
	};

	memcpy(a.mac, mac_a, 6);
	memcpy(a.host_mac, mac_gw, 6);
	return dp_config_set(dp, &cfg) ||
	       dp_endpoint_set(dp, ip4(POD_A), &a) ||
	       dp_endpoint_set(dp, ip4(POD_B), &b) ||
	       dp_route_set(dp, ip4("11.10.16.0"), 20, &rt);
}

static int group_setup(void **state)
{
	(void)state;
	return harness_setup("test_pod_lb", fill);
}

#define T(f) cmocka_unit_test_setup(f, reset)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_non_service_untouched),
		T(test_malformed_passed),
		T(test_tcp_remote),
		T(test_udp_remote),
		T(test_icmp_echo_vip_only),
		T(test_local_backend),
		T(test_hairpin),
		T(test_no_backends),
		T(test_icmp_error_kernel),
		T(test_icmp_error_bpf),
		T(test_icmp_error_hairpin),
		T(test_icmp_error_about_echo),
		T(test_attach_detach),
	};

	return cmocka_run_group_tests(tests, group_setup, harness_teardown);
}
