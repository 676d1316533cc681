/* SPDX-License-Identifier: MIT */
/*
 * What the service-path PROG_TEST_RUN tests share: one datapath instance
 * (opened in a network namespace of the test's own, tracing on), frames
 * and checksums, running a program on a frame and collecting its verdict,
 * output, counter deltas and trace event, and clearing maps between tests.
 * Included once per test program; each keeps its own addresses, frames
 * and fill() of the datapath's maps.
 */
#ifndef KNETSIM_TESTS_BPF_HARNESS_H
#define KNETSIM_TESTS_BPF_HARNESS_H

#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "datapath.h"
#include "datapath_lb.h"

#define MAX_EVENTS 16
#define IP_OFF     14
#define L4_OFF     34
#define FRAME_MAX  160

static struct dp *dp;
static struct ring_buffer *rb;
static struct dp_event events[MAX_EVENTS];
static int nevents;

static inline __be32 ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		fail_msg("bad address %s", s);
	return a.s_addr;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static inline uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return ntohs(v);
}

/* Frames and checksums -------------------------------------------------- */

struct frame {
	uint8_t b[FRAME_MAX];
	size_t len;
};

static inline uint32_t sum16(const uint8_t *b, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)b[n - 1] << 8;
	return s;
}

static inline uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The checksums of an IPv4 packet at ip (len bytes, no options): 0 each
 * when they verify. The L4 one covers a pseudo header unless ICMP. */
static inline uint16_t ip_csum_at(const uint8_t *ip)
{
	return fold(sum16(ip, 20, 0));
}

static inline uint16_t l4_csum_at(const uint8_t *ip, size_t len)
{
	uint32_t s = 0;

	if (ip[9] != IPPROTO_ICMP) {
		s = sum16(ip + 12, 8, 0);
		s += ip[9];
		s += (uint32_t)(len - 20);
	}
	return fold(sum16(ip + 20, len - 20, s));
}

/* Running ---------------------------------------------------------------- */

struct result {
	int ret;
	uint8_t out[FRAME_MAX];
	uint32_t out_len;
	struct dp_counter delta[DP_STAT__MAX];
	struct dp_event ev;
};

static inline int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx;
	if (size >= sizeof(struct dp_event) && nevents < MAX_EVENTS)
		memcpy(&events[nevents++], data, sizeof(struct dp_event));
	return 0;
}

/* Runs prog once on f: exactly one trace event, from prog. */
static inline void run(enum dp_prog prog, const struct frame *f,
		       struct result *r)
{
	struct dp_counter before[DP_STAT__MAX], after[DP_STAT__MAX];
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts,
			    .data_in = f->b, .data_size_in = (__u32)f->len,
			    .data_out = r->out,
			    .data_size_out = sizeof(r->out), .repeat = 1);

	assert_int_equal(dp_stats_read(dp, before), 0);
	ring_buffer__consume(rb);
	nevents = 0;
	assert_int_equal(bpf_prog_test_run_opts(dp_prog_fd(dp, prog), &opts),
			 0);
	r->ret = (int)opts.retval;
	r->out_len = opts.data_size_out;
	assert_int_equal(dp_stats_read(dp, after), 0);
	for (int i = 0; i < DP_STAT__MAX; i++)
		r->delta[i].packets = after[i].packets - before[i].packets;
	ring_buffer__consume(rb);
	assert_int_equal(nevents, 1);
	r->ev = events[0];
	assert_int_equal(r->ev.prog, prog);
}

/* The IPv4 address at p (network order). */
static inline __be32 addr_at(const uint8_t *p)
{
	__be32 a;

	memcpy(&a, p, 4);
	return a;
}

static inline __be32 out_saddr(const struct result *r)
{
	return addr_at(r->out + IP_OFF + 12);
}

static inline __be32 out_daddr(const struct result *r)
{
	return addr_at(r->out + IP_OFF + 16);
}

/* Port 0 (source) or 1 (destination) of the output, host order. */
static inline uint16_t out_port(const struct result *r, int which)
{
	return get16(r->out + L4_OFF + 2 * which);
}

/* Both checksums of the output verify. */
static inline void assert_csums(const struct result *r)
{
	assert_int_equal(ip_csum_at(r->out + IP_OFF), 0);
	assert_int_equal(l4_csum_at(r->out + IP_OFF, r->out_len - IP_OFF), 0);
}

/* Maps and the instance -------------------------------------------------- */

static inline void clear_map(const char *name)
{
	int fd = dp_map_fd(dp, name);
	uint8_t k[64];

	assert_true(fd >= 0);
	while (bpf_map_get_next_key(fd, NULL, k) == 0)
		assert_int_equal(bpf_map_delete_elem(fd, k), 0);
}

/* Each test starts from no services and no connections. */
static inline int reset(void **state)
{
	(void)state;
	if (!dp)
		return 0;
	clear_map(LB_PIN_SERVICES);
	clear_map(LB_PIN_CT);
	clear_map(LB_PIN_REVNAT);
	return 0;
}

static inline void skip_unless_ready(void)
{
	if (!dp)
		skip();
}

/* Opens the instance in a namespace of our own and fills it; without root
 * every test skips, saying so. */
static inline int harness_setup(const char *name, int (*fill)(void))
{
	int err;

	if (geteuid() != 0) {
		fprintf(stderr, "%s: SKIPPED: needs root (BPF, network "
			"namespaces)\n", name);
		return 0;
	}
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
		fprintf(stderr, "%s: setup failed\n", name);
		return -1;
	}
	return 0;
}

static inline int harness_teardown(void **state)
{
	(void)state;
	ring_buffer__free(rb);
	dp_close(dp);
	return 0;
}

#endif
