// SPDX-License-Identifier: MIT
/*
 * The BPF pod-routing datapath on crafted frames (BPF_PROG_TEST_RUN), plus
 * the loader: tc attach/detach on a private namespace's lo and map reuse
 * through pins. Needs root (CAP_BPF, CAP_NET_ADMIN, CAP_SYS_ADMIN); skips
 * every test, saying so, otherwise.
 *
 * BPF_PROG_TEST_RUN shows the action and the rewritten frame but not where
 * a redirect goes nor the tunnel key: those come from the datapath's own
 * trace events (DP_CFG_F_TRACE), which record the target ifindex and the
 * remote/VNI that bpf_skb_set_tunnel_key was given.
 */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include "datapath.h"

#define VXLAN_IFINDEX 77
#define POD_B_IFINDEX 42
#define MAX_EVENTS    16

static const uint8_t mac_a[6] = { 0x02, 0xaa, 0, 0, 0, 0x02 };
static const uint8_t host_a[6] = { 0x02, 0xee, 0, 0, 0, 0x02 };
static const uint8_t mac_b[6] = { 0x02, 0xaa, 0, 0, 0, 0x03 };
static const uint8_t host_b[6] = { 0x02, 0xee, 0, 0, 0, 0x03 };
static const uint8_t mac_vx[6] = { 0x02, 0x77, 0, 0, 0, 0x01 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static struct dp *dp;
static struct ring_buffer *rb;
static struct dp_event events[MAX_EVENTS];
static int nevents;
static struct dp_config base_cfg;

static __be32 ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad address %s", s);
	return a.s_addr;
}

/* Frames ----------------------------------------------------------------- */

struct frame {
	uint8_t b[256];
	size_t len;
};

static void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static void put_eth(struct frame *f, const uint8_t *dst, const uint8_t *src,
		    uint16_t proto)
{
	uint16_t p = htons(proto);

	f->len = 0;
	put(f, dst, 6);
	put(f, src, 6);
	put(f, &p, 2);
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

enum { IP_OFF = 14, L4_OFF = 34 };

/* IPv4 header (no options) and an L4 part of the given protocol. */
static void put_ipv4(struct frame *f, const char *src, const char *dst,
		     uint8_t proto, uint8_t ttl, const void *l4, size_t l4len)
{
	uint8_t h[20] = { 0x45, 0 };
	__be32 s = ip4(src), d = ip4(dst);
	uint16_t tot = htons((uint16_t)(20 + l4len)), c;

	memcpy(h + 2, &tot, 2);
	h[4] = 0x12;
	h[5] = 0x34;
	h[8] = ttl;
	h[9] = proto;
	memcpy(h + 12, &s, 4);
	memcpy(h + 16, &d, 4);
	c = htons(csum(h, sizeof(h)));
	memcpy(h + 10, &c, 2);
	put(f, h, sizeof(h));
	put(f, l4, l4len);
}

static void icmp_frame(struct frame *f, const uint8_t *dmac,
		       const uint8_t *smac, const char *src, const char *dst,
		       uint8_t ttl)
{
	uint8_t echo[16] = { 8, 0, 0, 0, 0x4b, 0x4e, 0, 1,
			     'k', 'n', 'e', 't', 's', 'i', 'm', '!' };
	uint16_t c = htons(csum(echo, sizeof(echo)));

	memcpy(echo + 2, &c, 2);
	put_eth(f, dmac, smac, 0x0800);
	put_ipv4(f, src, dst, 1, ttl, echo, sizeof(echo));
}

static void tcp_frame(struct frame *f, const uint8_t *dmac,
		      const uint8_t *smac, const char *src, const char *dst)
{
	/* SYN 40000 -> 80, checksum left 0: nothing here looks at it. */
	uint8_t syn[20] = { 0x9c, 0x40, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0,
			    0x50, 0x02, 0xff, 0xff };

	put_eth(f, dmac, smac, 0x0800);
	put_ipv4(f, src, dst, 6, 64, syn, sizeof(syn));
}

enum { ARP_OP = IP_OFF + 6, ARP_SHA = IP_OFF + 8, ARP_SPA = IP_OFF + 14,
       ARP_THA = IP_OFF + 18, ARP_TPA = IP_OFF + 24 };

static void arp_frame(struct frame *f, uint16_t op, const uint8_t *sha,
		      const char *spa, const char *tpa)
{
	uint8_t a[28] = { 0, 1, 8, 0, 6, 4 };
	uint16_t o = htons(op);
	__be32 s = ip4(spa), t = ip4(tpa);

	memcpy(a + 6, &o, 2);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &s, 4);
	memcpy(a + 24, &t, 4);
	put_eth(f, bcast, sha, 0x0806);
	put(f, a, sizeof(a));
}

/* Running ---------------------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct dp_event) && nevents < MAX_EVENTS)
		memcpy(&events[nevents++], data, sizeof(struct dp_event));
	return 0;
}

struct result {
	int ret;
	uint8_t out[256];
	uint32_t out_len;
	struct dp_counter delta[DP_STAT__MAX];
};

/* Runs prog on the frame (as received on lo, ifindex 1); fills the action,
 * the frame as the program left it, the counters it moved and events[]. */
static void run(enum dp_prog prog, const struct frame *f, struct result *r)
{
	struct dp_counter before[DP_STAT__MAX], after[DP_STAT__MAX];
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = f->b, .data_size_in = (__u32)f->len,
			    .data_out = r->out,
			    .data_size_out = sizeof(r->out), .repeat = 1);
	int i;

	assert_int_equal(dp_stats_read(dp, before), 0);
	ring_buffer__consume(rb);
	nevents = 0;
	assert_int_equal(bpf_prog_test_run_opts(dp_prog_fd(dp, prog), &opts),
			 0);
	r->ret = (int)opts.retval;
	r->out_len = opts.data_size_out;
	assert_int_equal(dp_stats_read(dp, after), 0);
	for (i = 0; i < DP_STAT__MAX; i++) {
		r->delta[i].packets = after[i].packets - before[i].packets;
		r->delta[i].bytes = after[i].bytes - before[i].bytes;
	}
	ring_buffer__consume(rb);
}

/* Exactly one counter moved, by one packet of the frame's length, and the
 * one trace event agrees. */
static const struct dp_event *expect_stat(const struct result *r,
					  const struct frame *f,
					  enum dp_stat stat)
{
	int i;

	for (i = 0; i < DP_STAT__MAX; i++) {
		if (i == (int)stat)
			continue;
		if (r->delta[i].packets)
			fail_msg("counter %s moved, expected only %s",
				 dp_stat_name((unsigned)i), dp_stat_name(stat));
	}
	assert_int_equal(r->delta[stat].packets, 1);
	assert_int_equal(r->delta[stat].bytes, f->len);
	assert_int_equal(nevents, 1);
	assert_int_equal(events[0].stat, stat);
	assert_int_equal(events[0].len, f->len);
	return &events[0];
}

static void set_cfg(const struct dp_config *c)
{
	assert_int_equal(dp_config_set(dp, c), 0);
}

static void skip_unless_ready(void)
{
	if (!dp)
		skip();
}

static int reset_cfg(void **state)
{
	(void)state;
	if (dp)
		set_cfg(&base_cfg);
	return 0;
}

static int ip_ttl(const uint8_t *frame)
{
	return frame[IP_OFF + 8];
}

/* The header checksum of the frame's IPv4 header verifies. */
static void assert_ip_csum(const uint8_t *frame)
{
	assert_int_equal(csum(frame + IP_OFF, 20), 0);
}

/* from_pod --------------------------------------------------------------- */

static void test_local_delivery(void **state)
{
	const struct dp_event *ev;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 64);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.out_len, f.len);
	assert_memory_equal(r.out, mac_b, 6);
	assert_memory_equal(r.out + 6, host_b, 6);
	assert_int_equal(ip_ttl(r.out), 63);
	assert_ip_csum(r.out);
	assert_memory_equal(r.out + L4_OFF, f.b + L4_OFF, f.len - L4_OFF);
	ev = expect_stat(&r, &f, DP_LOCAL);
	assert_int_equal(ev->prog, DP_PROG_FROM_POD);
	assert_int_equal(ev->ifindex, POD_B_IFINDEX);
	assert_int_equal(ev->saddr, ip4("11.10.0.2"));
	assert_int_equal(ev->daddr, ip4("11.10.0.3"));
	assert_int_equal(ev->proto, 1);
	assert_int_equal(ev->tun_remote, 0);
}

static void test_local_delivery_no_peer(void **state)
{
	struct dp_config c = base_cfg;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	c.flags |= DP_CFG_F_NO_PEER;
	set_cfg(&c);
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 64);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_memory_equal(r.out, mac_b, 6);
	assert_int_equal(expect_stat(&r, &f, DP_LOCAL)->ifindex,
			 POD_B_IFINDEX);
}

static void test_remote_delivery(void **state)
{
	const struct dp_event *ev;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	tcp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.16.5");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(ip_ttl(r.out), 63);
	assert_ip_csum(r.out);
	assert_memory_equal(r.out + L4_OFF, f.b + L4_OFF, f.len - L4_OFF);
	ev = expect_stat(&r, &f, DP_REMOTE);
	assert_int_equal(ev->ifindex, VXLAN_IFINDEX);
	assert_int_equal(ev->tun_remote, ip4("192.0.2.2"));
	assert_int_equal(ev->vni, 100);
	assert_int_equal(ev->proto, 6);
}

static void test_remote_more_specific_route(void **state)
{
	struct dp_route r2 = { .remote = ip4("192.0.2.9"), .vni = 101 };
	struct dp_route got;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	assert_int_equal(dp_route_set(dp, ip4("11.10.16.0"), 24, &r2), 0);
	assert_int_equal(dp_route_lookup(dp, ip4("11.10.16.5"), &got), 0);
	assert_int_equal(got.remote, r2.remote);
	tcp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.16.5");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(expect_stat(&r, &f, DP_REMOTE)->tun_remote,
			 ip4("192.0.2.9"));
	tcp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.17.5");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(expect_stat(&r, &f, DP_REMOTE)->tun_remote,
			 ip4("192.0.2.2"));
	assert_int_equal(dp_route_del(dp, ip4("11.10.16.0"), 24), 0);
	assert_int_equal(dp_route_del(dp, ip4("11.10.16.0"), 24), -ENOENT);
	assert_int_equal(dp_route_lookup(dp, ip4("11.10.16.5"), &got), 0);
	assert_int_equal(got.remote, ip4("192.0.2.2"));
}

static void test_remote_without_vxlan_device(void **state)
{
	struct dp_config c = base_cfg;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	c.vxlan_ifindex = 0;
	set_cfg(&c);
	tcp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.16.5");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_NO_CONFIG);
}

static void test_pass_to_stack(void **state)
{
	static const char *const dsts[] = { "192.0.2.1", "11.10.0.0",
					    "169.254.1.1" };
	struct result r;
	struct frame f;
	size_t i;

	(void)state;
	skip_unless_ready();
	for (i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		icmp_frame(&f, host_a, mac_a, "11.10.0.2", dsts[i], 64);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_int_equal(r.ret, TC_ACT_OK);
		assert_memory_equal(r.out, f.b, f.len); /* untouched */
		assert_int_equal(expect_stat(&r, &f, DP_POD_TO_STACK)->ifindex,
				 0);
	}
}

static void test_non_ip_to_stack(void **state)
{
	struct result r;
	struct frame f;
	uint8_t v6[40] = { 0x60 };

	(void)state;
	skip_unless_ready();
	put_eth(&f, host_a, mac_a, 0x86dd);
	put(&f, v6, sizeof(v6));
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	expect_stat(&r, &f, DP_POD_TO_STACK);
}

static void test_no_endpoint_in_own_subnet(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.99", 64);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_NO_ENDPOINT);
}

static void test_spoofed_source(void **state)
{
	static const char *const srcs[] = { "11.10.0.3", "11.10.0.50",
					    "0.0.0.0" };
	struct result r;
	struct frame f;
	size_t i;

	(void)state;
	skip_unless_ready();
	/* B's address (its veth is ifindex 42), unknown ones: not from lo. */
	for (i = 0; i < sizeof(srcs) / sizeof(srcs[0]); i++) {
		icmp_frame(&f, host_a, mac_a, srcs[i], "11.10.0.2", 64);
		run(DP_PROG_FROM_POD, &f, &r);
		assert_int_equal(r.ret, TC_ACT_SHOT);
		expect_stat(&r, &f, DP_DROP_SPOOFED);
	}
}

static void test_ttl_expiring_goes_to_stack(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 1);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_memory_equal(r.out, f.b, f.len);
	expect_stat(&r, &f, DP_TTL_TO_STACK);
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.16.5", 1);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	expect_stat(&r, &f, DP_TTL_TO_STACK);
}

static void test_arp_reply(void **state)
{
	const struct dp_event *ev;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	arp_frame(&f, 1, mac_a, "11.10.0.2", "169.254.1.1");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.out_len, f.len);
	assert_memory_equal(r.out, mac_a, 6);      /* to the asker */
	assert_memory_equal(r.out + 6, host_a, 6); /* from its gateway */
	assert_int_equal(r.out[12], 0x08);
	assert_int_equal(r.out[13], 0x06);
	assert_memory_equal(r.out + IP_OFF, f.b + IP_OFF, 6); /* hrd/pro/len */
	assert_int_equal(r.out[ARP_OP], 0);
	assert_int_equal(r.out[ARP_OP + 1], 2); /* reply */
	assert_memory_equal(r.out + ARP_SHA, host_a, 6);
	assert_memory_equal(r.out + ARP_SPA, f.b + ARP_TPA, 4);
	assert_memory_equal(r.out + ARP_THA, mac_a, 6);
	assert_memory_equal(r.out + ARP_TPA, f.b + ARP_SPA, 4);
	ev = expect_stat(&r, &f, DP_ARP_REPLY);
	assert_int_equal(ev->ifindex, 1); /* back out of the same veth */
	assert_int_equal(ev->saddr, ip4("11.10.0.2"));
	assert_int_equal(ev->daddr, ip4("169.254.1.1"));
}

static void test_arp_not_for_gateway(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	arp_frame(&f, 1, mac_a, "11.10.0.2", "11.10.0.3");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_memory_equal(r.out, f.b, f.len);
	expect_stat(&r, &f, DP_POD_TO_STACK);
	arp_frame(&f, 2, mac_a, "11.10.0.2", "169.254.1.1"); /* a reply */
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	expect_stat(&r, &f, DP_POD_TO_STACK);
}

static void test_arp_spoofed(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	arp_frame(&f, 1, mac_a, "11.10.0.3", "169.254.1.1");
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_SPOOFED);
}

static void expect_malformed(enum dp_prog prog, const struct frame *f)
{
	struct result r;

	run(prog, f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, f, DP_DROP_MALFORMED);
}

static void test_malformed(void **state)
{
	struct frame f;

	(void)state;
	skip_unless_ready();
	/* The kernel's test run refuses IPv4 frames shorter than a header;
	 * a header announcing 40 bytes of options that are not there is the
	 * shortest cut it lets through. */
	tcp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3");
	f.b[IP_OFF] = 0x4f;
	f.b[IP_OFF + 3] = 60;
	f.len = IP_OFF + 20;
	expect_malformed(DP_PROG_FROM_POD, &f);
	expect_malformed(DP_PROG_FROM_OVERLAY, &f);
	expect_malformed(DP_PROG_TO_OVERLAY, &f);

	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 64);
	f.b[IP_OFF] = 0x44; /* IHL 4 */
	expect_malformed(DP_PROG_FROM_POD, &f);
	f.b[IP_OFF] = 0x65; /* version 6 in an IPv4 frame */
	expect_malformed(DP_PROG_FROM_POD, &f);

	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 64);
	f.b[IP_OFF + 2] = 0x05; /* total length 1280+: beyond the frame */
	expect_malformed(DP_PROG_FROM_POD, &f);
	f.b[IP_OFF + 2] = 0;
	f.b[IP_OFF + 3] = 19; /* shorter than its own header */
	expect_malformed(DP_PROG_FROM_POD, &f);

	arp_frame(&f, 1, mac_a, "11.10.0.2", "169.254.1.1");
	f.len = IP_OFF + 20; /* ARP cut short */
	expect_malformed(DP_PROG_FROM_POD, &f);
	arp_frame(&f, 1, mac_a, "11.10.0.2", "169.254.1.1");
	f.b[IP_OFF + 4] = 8; /* hardware address length */
	expect_malformed(DP_PROG_FROM_POD, &f);
}

/* from_overlay ----------------------------------------------------------- */

static void test_overlay_local_delivery(void **state)
{
	const struct dp_event *ev;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	icmp_frame(&f, mac_vx, host_a, "11.10.16.5", "11.10.0.3", 63);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_memory_equal(r.out, mac_b, 6);
	assert_memory_equal(r.out + 6, host_b, 6);
	assert_int_equal(ip_ttl(r.out), 62);
	assert_ip_csum(r.out);
	ev = expect_stat(&r, &f, DP_OVERLAY_LOCAL);
	assert_int_equal(ev->prog, DP_PROG_FROM_OVERLAY);
	assert_int_equal(ev->ifindex, POD_B_IFINDEX);
}

static void test_overlay_no_endpoint(void **state)
{
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	icmp_frame(&f, mac_vx, host_a, "11.10.16.5", "11.10.15.254", 63);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_NO_ENDPOINT);
}

static void test_overlay_to_stack(void **state)
{
	static const char *const dsts[] = { "11.10.0.0", "192.0.2.1" };
	struct result r;
	struct frame f;
	uint8_t v6[40] = { 0x60 };
	size_t i;

	(void)state;
	skip_unless_ready();
	for (i = 0; i < sizeof(dsts) / sizeof(dsts[0]); i++) {
		icmp_frame(&f, mac_vx, host_a, "11.10.16.5", dsts[i], 63);
		run(DP_PROG_FROM_OVERLAY, &f, &r);
		assert_int_equal(r.ret, TC_ACT_OK);
		assert_memory_equal(r.out, f.b, f.len);
		expect_stat(&r, &f, DP_OVERLAY_TO_STACK);
	}
	put_eth(&f, mac_vx, host_a, 0x86dd);
	put(&f, v6, sizeof(v6));
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	expect_stat(&r, &f, DP_OVERLAY_TO_STACK);
}

/* BPF_PROG_TEST_RUN frames carry no tunnel metadata: with a VNI to check,
 * the overlay refuses them as it would a frame from a foreign VNI. */
static void test_overlay_vni_checked(void **state)
{
	struct dp_config c = base_cfg;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	c.vni = 100;
	set_cfg(&c);
	icmp_frame(&f, mac_vx, host_a, "11.10.16.5", "11.10.0.3", 63);
	run(DP_PROG_FROM_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_VNI);
}

/* to_overlay ------------------------------------------------------------- */

static void test_host_encap(void **state)
{
	const struct dp_event *ev;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	tcp_frame(&f, mac_vx, mac_vx, "11.10.0.0", "11.10.16.5");
	run(DP_PROG_TO_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_OK);
	assert_memory_equal(r.out, f.b, f.len); /* no hop: TTL kept */
	ev = expect_stat(&r, &f, DP_HOST_ENCAP);
	assert_int_equal(ev->prog, DP_PROG_TO_OVERLAY);
	assert_int_equal(ev->tun_remote, ip4("192.0.2.2"));
	assert_int_equal(ev->vni, 100);
}

static void test_host_encap_no_route(void **state)
{
	struct result r;
	struct frame f;
	uint8_t v6[40] = { 0x60 };

	(void)state;
	skip_unless_ready();
	tcp_frame(&f, mac_vx, mac_vx, "11.10.0.0", "11.20.0.5");
	run(DP_PROG_TO_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_NO_ROUTE);
	put_eth(&f, mac_vx, mac_vx, 0x86dd);
	put(&f, v6, sizeof(v6));
	run(DP_PROG_TO_OVERLAY, &f, &r);
	assert_int_equal(r.ret, TC_ACT_SHOT);
	expect_stat(&r, &f, DP_DROP_NO_ROUTE);
}

/* Listing walks every entry once. */
static void test_listing(void **state)
{
	struct dp_route r2 = { .remote = ip4("192.0.2.3"), .vni = 100 };
	struct dp_route_key rk, *prev = NULL, keys[4];
	struct dp_endpoint ep;
	struct dp_route rt;
	__be32 ip, seen[4];
	int n = 0, err;

	(void)state;
	skip_unless_ready();
	while ((err = dp_endpoint_next(dp, n ? &seen[n - 1] : NULL, &ip,
				       &ep)) == 0) {
		assert_true(n < 4);
		seen[n++] = ip;
		assert_int_equal(ep.ifindex,
				 ip == ip4("11.10.0.2") ? 1 : POD_B_IFINDEX);
	}
	assert_int_equal(err, -ENOENT);
	assert_int_equal(n, 2);

	assert_int_equal(dp_route_set(dp, ip4("11.10.32.0"), 20, &r2), 0);
	n = 0;
	while ((err = dp_route_next(dp, prev, &rk, &rt)) == 0) {
		assert_true(n < 4);
		keys[n] = rk;
		prev = &keys[n++];
		assert_int_equal(rk.prefixlen, 20);
		assert_int_equal(rt.remote, rk.addr == ip4("11.10.32.0") ?
			ip4("192.0.2.3") : ip4("192.0.2.2"));
	}
	assert_int_equal(err, -ENOENT);
	assert_int_equal(n, 2);
	assert_int_equal(dp_route_del(dp, ip4("11.10.32.0"), 20), 0);
}

/* Tracing off: counted, not traced. */
static void test_trace_off(void **state)
{
	struct dp_config c = base_cfg;
	struct result r;
	struct frame f;

	(void)state;
	skip_unless_ready();
	c.flags &= ~(__u32)DP_CFG_F_TRACE;
	set_cfg(&c);
	icmp_frame(&f, host_a, mac_a, "11.10.0.2", "11.10.0.3", 64);
	run(DP_PROG_FROM_POD, &f, &r);
	assert_int_equal(r.ret, TC_ACT_REDIRECT);
	assert_int_equal(r.delta[DP_LOCAL].packets, 1);
	assert_int_equal(nevents, 0);
}

/* Loader ----------------------------------------------------------------- */

static void test_api_validation(void **state)
{
	struct dp_endpoint ep = { .ifindex = 5 };
	struct dp_route rt = { .remote = ip4("192.0.2.2"), .vni = 1 };
	struct dp_config c;
	struct dp_counter st[DP_STAT__MAX];
	char path[64];

	(void)state;
	skip_unless_ready();
	c = base_cfg;
	c.subnet = ip4("11.10.0.1"); /* host bits */
	assert_int_equal(dp_config_set(dp, &c), -EINVAL);
	c = base_cfg;
	c.subnet_len = 33;
	assert_int_equal(dp_config_set(dp, &c), -EINVAL);
	c = base_cfg;
	c.vni = 1u << 24;
	assert_int_equal(dp_config_set(dp, &c), -EINVAL);
	c = base_cfg;
	c.flags = 1u << 7;
	assert_int_equal(dp_config_set(dp, &c), -EINVAL);
	c = base_cfg;
	c.host_ip = ip4("11.10.16.0"); /* outside the subnet */
	assert_int_equal(dp_config_set(dp, &c), -EINVAL);
	assert_int_equal(dp_config_get(dp, &c), 0);
	assert_memory_equal(&c, &base_cfg, sizeof(c));

	assert_int_equal(dp_route_set(dp, ip4("11.10.16.1"), 20, &rt), -EINVAL);
	assert_int_equal(dp_route_set(dp, ip4("11.10.16.0"), 33, &rt), -EINVAL);
	rt.vni = 1u << 24;
	assert_int_equal(dp_route_set(dp, ip4("11.10.16.0"), 20, &rt), -EINVAL);
	rt.vni = 1;
	rt.remote = 0;
	assert_int_equal(dp_route_set(dp, ip4("11.10.16.0"), 20, &rt), -EINVAL);
	assert_int_equal(dp_route_del(dp, ip4("11.99.0.0"), 20), -ENOENT);

	assert_int_equal(dp_endpoint_set(dp, 0, &ep), -EINVAL);
	assert_int_equal(dp_endpoint_set(dp, ip4("224.0.0.1"), &ep), -EINVAL);
	ep.ifindex = 0;
	assert_int_equal(dp_endpoint_set(dp, ip4("11.10.0.9"), &ep), -EINVAL);
	assert_int_equal(dp_endpoint_get(dp, ip4("11.10.0.9"), &ep), -ENOENT);
	assert_int_equal(dp_endpoint_del(dp, ip4("11.10.0.9")), -ENOENT);

	assert_int_equal(dp_config_set(NULL, &base_cfg), -EINVAL);
	assert_int_equal(dp_stats_read(NULL, st), -EINVAL);
	assert_int_equal(dp_prog_fd(dp, DP_PROG__MAX), -EINVAL);
	assert_int_equal(dp_attach_pod(dp, 0), -EINVAL);
	assert_int_equal(dp_detach_pod(-1), -EINVAL);
	assert_int_equal(dp_open("relative/dir", &(struct dp *){ NULL }),
			 -EINVAL);
	assert_string_equal(dp_stat_name(DP_LOCAL), "local");
	assert_string_equal(dp_stat_name(DP_DROP_NO_ENDPOINT),
			    "drop-no-endpoint");
	assert_string_equal(dp_stat_name(DP_STAT__MAX), "?");
	assert_int_equal(dp_pin_path(path, sizeof(path), "knetsim", "C0w1"), 0);
	assert_string_equal(path, "/sys/fs/bpf/knetsim/knetsim/C0w1");
	assert_int_equal(dp_pin_path(path, sizeof(path), "..", "C0w1"),
			 -EINVAL);
	assert_int_equal(dp_pin_path(path, sizeof(path), "a/b", "C0w1"),
			 -EINVAL);
	assert_int_equal(dp_pin_path(path, sizeof(path), "k.sim", "C0w1"),
			 -EINVAL);
	assert_int_equal(dp_pin_path(path, sizeof(path), "knetsim", ""),
			 -EINVAL);
	assert_int_equal(dp_pin_path(path, 20, "knetsim", "C0w1"),
			 -ENAMETOOLONG);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static __u32 attached_id(int ifindex, enum bpf_tc_attach_point where)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = where);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, opts, .handle = DP_TC_HANDLE,
			    .priority = DP_TC_PRIO);

	libbpf_print_fn_t print = libbpf_set_print(NULL); /* absent: fine */
	int err = bpf_tc_query(&hook, &opts);

	libbpf_set_print(print);
	return err ? 0 : opts.prog_id;
}

/* On lo of the test's own network namespace. */
static void test_attach_detach(void **state)
{
	__u32 pod = 0, in = 0, out = 0;

	(void)state;
	skip_unless_ready();
	pod = prog_id(dp_prog_fd(dp, DP_PROG_FROM_POD));
	in = prog_id(dp_prog_fd(dp, DP_PROG_FROM_OVERLAY));
	out = prog_id(dp_prog_fd(dp, DP_PROG_TO_OVERLAY));

	assert_int_equal(dp_detach_pod(1), 0); /* nothing there yet */
	assert_int_equal(dp_attach_pod(dp, 1), 0);
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), pod);
	assert_int_equal(dp_attach_overlay(dp, 1), 0); /* replaces */
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), in);
	assert_int_equal(attached_id(1, BPF_TC_EGRESS), out);
	assert_int_equal(dp_detach_overlay(1), 0);
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), 0);
	assert_int_equal(attached_id(1, BPF_TC_EGRESS), 0);
	assert_int_equal(dp_detach_overlay(1), 0);
	assert_int_equal(dp_attach_pod(dp, 1), 0);
	assert_int_equal(dp_detach_pod(1), 0);
	assert_int_equal(attached_id(1, BPF_TC_INGRESS), 0);
	assert_true(dp_attach_pod(dp, 4242) < 0); /* no such device */
}

static int exists(const char *dir, const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* Pinned maps outlive the handle; the next open finds the same state. */
static void test_pins_reused(void **state)
{
	static const char *const pins[] = {
		DP_PIN_ENDPOINTS, DP_PIN_ROUTES, DP_PIN_CONFIG, DP_PIN_STATS,
		DP_PIN_EVENTS, DP_PIN_FROM_POD, DP_PIN_FROM_OVERLAY,
		DP_PIN_TO_OVERLAY,
	};
	size_t i;
	struct dp_endpoint ep = { .ifindex = 7, .mac = { 2, 1, 2, 3, 4, 5 } };
	struct dp_endpoint got;
	struct dp_config c;
	char dir[96];
	struct dp *a = NULL, *b = NULL;

	(void)state;
	skip_unless_ready();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/knetsim-test-%ld/w1",
		 (long)getpid());
	assert_int_equal(dp_open(dir, &a), 0);
	for (i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		if (!exists(dir, pins[i]))
			fail_msg("%s/%s not pinned", dir, pins[i]);
	assert_int_equal(dp_endpoint_set(a, ip4("11.10.0.7"), &ep), 0);
	assert_int_equal(dp_config_set(a, &base_cfg), 0);

	assert_int_equal(dp_open(dir, &b), 0); /* while a is open: shared */
	assert_int_equal(dp_endpoint_get(b, ip4("11.10.0.7"), &got), 0);
	dp_close(b);
	b = NULL;
	dp_close(a);
	a = NULL;

	assert_int_equal(dp_open(dir, &b), 0); /* after: survived */
	assert_int_equal(dp_endpoint_get(b, ip4("11.10.0.7"), &got), 0);
	assert_memory_equal(&got, &ep, sizeof(ep));
	assert_int_equal(dp_config_get(b, &c), 0);
	assert_memory_equal(&c, &base_cfg, sizeof(c));
	dp_close(b);

	assert_int_equal(dp_unpin(dir), 0);
	assert_false(exists(dir, ""));
	assert_int_equal(dp_unpin(dir), 0);
	*strrchr(dir, '/') = '\0';
	if (rmdir(dir) < 0)
		fail_msg("rmdir %s: %s", dir, strerror(errno));
}

/* A pinned map of another shape is refused, not silently replaced;
 * dp_unpin() clears the way. */
static void test_pin_mismatch(void **state)
{
	char dir[96], path[128];
	libbpf_print_fn_t print;
	struct dp *a = NULL;
	int fd;

	(void)state;
	skip_unless_ready();
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/knetsim-test-%ld",
		 (long)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", dir, DP_PIN_STATS);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, DP_PIN_STATS, 4, 8, 1, NULL);
	assert_true(fd >= 0);
	assert_int_equal(bpf_obj_pin(fd, path), 0);
	close(fd);
	print = libbpf_set_print(NULL); /* its complaint is expected */
	assert_int_equal(dp_open(dir, &a), -EINVAL);
	libbpf_set_print(print);
	assert_null(a);
	assert_int_equal(dp_unpin(dir), 0);
	assert_false(exists(dir, ""));
}

/* Setup ------------------------------------------------------------------ */

static int fill(void)
{
	struct dp_endpoint a = { .ifindex = 1 };
	struct dp_endpoint b = { .ifindex = POD_B_IFINDEX };
	struct dp_route rt = { .remote = ip4("192.0.2.2"), .vni = 100 };

	memcpy(a.mac, mac_a, 6);
	memcpy(a.host_mac, host_a, 6);
	memcpy(b.mac, mac_b, 6);
	memcpy(b.host_mac, host_b, 6);
	base_cfg.vxlan_ifindex = VXLAN_IFINDEX;
	base_cfg.vni = 0; /* test runs carry no tunnel metadata */
	base_cfg.subnet = ip4("11.10.0.0");
	base_cfg.subnet_len = 20;
	base_cfg.gateway = ip4("169.254.1.1");
	base_cfg.host_ip = ip4("11.10.0.0");
	base_cfg.flags = DP_CFG_F_TRACE;
	if (dp_config_set(dp, &base_cfg) ||
	    dp_endpoint_set(dp, ip4("11.10.0.2"), &a) ||
	    dp_endpoint_set(dp, ip4("11.10.0.3"), &b) ||
	    dp_route_set(dp, ip4("11.10.16.0"), 20, &rt))
		return -1;
	return 0;
}

static int group_setup(void **state)
{
	int err;

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_datapath: SKIPPED: needs root (BPF, tc, "
			"network namespaces)\n");
		return 0;
	}
	/* A private network namespace: its lo is ifindex 1 for test runs
	 * and takes the tc attachments; it vanishes with the process. */
	if (unshare(CLONE_NEWNET) < 0) {
		fprintf(stderr, "unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	err = dp_open(NULL, &dp);
	if (err) {
		fprintf(stderr, "dp_open: %s\n", strerror(-err));
		return -1;
	}
	rb = ring_buffer__new(dp_events_fd(dp), on_event, NULL, NULL);
	if (!rb || fill()) {
		fprintf(stderr, "test_datapath: setup failed\n");
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	ring_buffer__free(rb);
	dp_close(dp);
	return 0;
}

#define T(f) cmocka_unit_test_teardown(f, reset_cfg)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_local_delivery),
		T(test_local_delivery_no_peer),
		T(test_remote_delivery),
		T(test_remote_more_specific_route),
		T(test_remote_without_vxlan_device),
		T(test_pass_to_stack),
		T(test_non_ip_to_stack),
		T(test_no_endpoint_in_own_subnet),
		T(test_spoofed_source),
		T(test_ttl_expiring_goes_to_stack),
		T(test_arp_reply),
		T(test_arp_not_for_gateway),
		T(test_arp_spoofed),
		T(test_malformed),
		T(test_overlay_local_delivery),
		T(test_overlay_no_endpoint),
		T(test_overlay_to_stack),
		T(test_overlay_vni_checked),
		T(test_host_encap),
		T(test_host_encap_no_route),
		T(test_trace_off),
		T(test_listing),
		T(test_api_validation),
		T(test_attach_detach),
		T(test_pins_reused),
		T(test_pin_mismatch),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
