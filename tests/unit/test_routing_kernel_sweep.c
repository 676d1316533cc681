// SPDX-License-Identifier: MIT
/* The restart sweep's choice (routing_kernel_sweep.h), on tables written
 * by hand: which entries are flannel's shape, which a lease explains. The
 * kernel side is exercised in test_routing_kernel.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>

#include "routing_kernel_sweep.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return a << 24 | b << 16 | c << 8 | d;
}

static const struct cidr network = { .addr = 0x0b000000, .len = 8 };

#define MAC_A { 0x0a, 0x6b, 0, 0, 0, 0x0a }
#define MAC_B { 0x0a, 0x6b, 0, 0, 0, 0x0b }
#define MAC_C { 0x0a, 0x6b, 0, 0, 0, 0x0c }

static const struct routing_lease leases[] = {
	{ .subnet = { 0x0b0a2000, 20 }, .public_ip = 0xc0000202,
	  .vtep_mac = MAC_A },		/* 11.10.32.0/20 at 192.0.2.2 */
	{ .subnet = { 0x0b0a3000, 20 }, .public_ip = 0xc0000203,
	  .vtep_mac = MAC_B },		/* 11.10.48.0/20 at 192.0.2.3 */
};

static struct nl_neigh_entry neigh(uint32_t ip, bool has_mac, uint16_t state)
{
	struct nl_neigh_entry n = { .ip = ip, .has_mac = has_mac,
				    .state = state };

	if (has_mac)
		memcpy(n.mac, (uint8_t[6])MAC_C, 6);
	return n;
}

static struct nl_fdb_entry fdb(const uint8_t mac[6], uint32_t dst,
			       uint16_t state)
{
	struct nl_fdb_entry f = { .dst = dst, .state = state,
				  .flags = NTF_SELF };

	memcpy(f.mac, mac, 6);
	return f;
}

/* A route as rk_lease_add installs it to dst/len. */
static struct nl_route_entry route(uint32_t dst, uint8_t len)
{
	return (struct nl_route_entry){ .dst = dst, .len = len, .gw = dst,
					.protocol = RTPROT_STATIC,
					.type = RTN_UNICAST, .onlink = true };
}

static void test_neighbours(void **state)
{
	struct nl_neigh_entry n[] = {
		neigh(ip4(11, 10, 32, 0), true, NUD_PERMANENT), /* lease */
		neigh(ip4(11, 10, 64, 0), true, NUD_PERMANENT), /* stale */
		neigh(ip4(11, 10, 80, 0), true, NUD_REACHABLE), /* learnt */
		neigh(ip4(12, 0, 0, 1), true, NUD_PERMANENT),   /* outside */
		neigh(ip4(11, 10, 96, 0), false, NUD_PERMANENT), /* no MAC */
		neigh(ip4(11, 10, 48, 0), true, NUD_PERMANENT), /* lease */
		neigh(ip4(11, 200, 0, 0), true, NUD_PERMANENT | NUD_NOARP),
	};
	struct rk_entries e = { .neigh = n, .n_neigh = ARRAY_LEN(n) };

	(void)state;
	rk_sweep_select(&e, &network, leases, ARRAY_LEN(leases));
	assert_int_equal(e.n_neigh, 2);
	assert_int_equal(n[0].ip, ip4(11, 10, 64, 0));
	assert_int_equal(n[1].ip, ip4(11, 200, 0, 0));
	assert_int_equal(e.n_fdb, 0);
	assert_int_equal(e.n_route, 0);
}

static void test_fdb(void **state)
{
	static const uint8_t a[6] = MAC_A, b[6] = MAC_B, c[6] = MAC_C;
	static const uint8_t zero[6] = { 0 };
	static const uint8_t mcast[6] = { 0x01, 0, 0x5e, 0, 0, 1 };
	struct nl_fdb_entry f[] = {
		fdb(a, 0xc0000202, NUD_PERMANENT),	/* lease A */
		fdb(c, 0xc0000204, NUD_PERMANENT),	/* stale */
		fdb(b, 0xc0000209, NUD_PERMANENT),	/* B, but elsewhere */
		fdb(zero, 0xc0000205, NUD_PERMANENT),	/* default dst */
		fdb(mcast, 0xc0000206, NUD_PERMANENT),
		fdb(a, 0, NUD_PERMANENT),		/* no VTEP */
		fdb(c, 0xc0000207, NUD_REACHABLE),	/* learnt */
		fdb(b, 0xc0000203, NUD_PERMANENT | NUD_NOARP), /* lease B */
		fdb(a, 0xc0000203, NUD_PERMANENT),	/* A at B's VTEP */
	};
	struct rk_entries e = { .fdb = f, .n_fdb = ARRAY_LEN(f) };

	(void)state;
	rk_sweep_select(&e, &network, leases, ARRAY_LEN(leases));
	assert_int_equal(e.n_fdb, 3);
	assert_memory_equal(f[0].mac, c, 6);
	assert_int_equal(f[0].dst, 0xc0000204);
	assert_memory_equal(f[1].mac, b, 6);
	assert_int_equal(f[1].dst, 0xc0000209);
	assert_memory_equal(f[2].mac, a, 6);
	assert_int_equal(f[2].dst, 0xc0000203);
}

/* A lease that carries no MAC explains any MAC towards its address. */
static void test_fdb_lease_without_mac(void **state)
{
	static const uint8_t c[6] = MAC_C;
	struct routing_lease l = leases[0];
	struct nl_fdb_entry f[] = {
		fdb(c, 0xc0000202, NUD_PERMANENT),
		fdb(c, 0xc0000203, NUD_PERMANENT),
	};
	struct rk_entries e = { .fdb = f, .n_fdb = ARRAY_LEN(f) };

	(void)state;
	memset(l.vtep_mac, 0, sizeof(l.vtep_mac));
	rk_sweep_select(&e, &network, &l, 1);
	assert_int_equal(e.n_fdb, 1);
	assert_int_equal(f[0].dst, 0xc0000203);
}

static void test_routes(void **state)
{
	struct nl_route_entry r[] = {
		route(ip4(11, 10, 32, 0), 20),		/* lease */
		route(ip4(11, 10, 64, 0), 20),		/* stale */
		route(ip4(11, 10, 48, 0), 24),		/* lease's, other len */
		route(ip4(11, 0, 0, 0), 8),		/* Network itself */
		route(ip4(12, 1, 0, 0), 16),		/* outside */
		route(ip4(11, 10, 80, 0), 20),		/* not onlink */
		route(ip4(11, 10, 96, 0), 20),		/* another gateway */
		route(ip4(11, 10, 112, 0), 20),		/* protocol boot */
		route(ip4(11, 10, 128, 0), 20),		/* blackhole */
		route(ip4(11, 10, 144, 1), 20),		/* host bits */
		route(ip4(11, 10, 48, 0), 20),		/* lease */
	};
	struct rk_entries e = { .route = r, .n_route = ARRAY_LEN(r) };

	(void)state;
	r[5].onlink = false;
	r[6].gw = ip4(11, 10, 96, 1);
	r[7].protocol = RTPROT_BOOT;
	r[8].type = RTN_BLACKHOLE;
	rk_sweep_select(&e, &network, leases, ARRAY_LEN(leases));
	assert_int_equal(e.n_route, 2);
	assert_int_equal(r[0].dst, ip4(11, 10, 64, 0));
	assert_int_equal(r[0].len, 20);
	assert_int_equal(r[1].dst, ip4(11, 10, 48, 0));
	assert_int_equal(r[1].len, 24);
}

/* No lease left: everything of flannel's shape goes, nothing else. */
static void test_no_leases(void **state)
{
	static const uint8_t a[6] = MAC_A, zero[6] = { 0 };
	struct nl_neigh_entry n[] = {
		neigh(ip4(11, 10, 32, 0), true, NUD_PERMANENT),
		neigh(ip4(10, 0, 0, 1), true, NUD_PERMANENT),
	};
	struct nl_fdb_entry f[] = {
		fdb(a, 0xc0000202, NUD_PERMANENT),
		fdb(zero, 0xc0000202, NUD_PERMANENT),
	};
	struct nl_route_entry r[] = {
		route(ip4(11, 10, 32, 0), 20),
		route(ip4(10, 0, 0, 0), 24),
	};
	struct rk_entries e = {
		.neigh = n, .n_neigh = 2, .fdb = f, .n_fdb = 2,
		.route = r, .n_route = 2,
	};

	(void)state;
	rk_sweep_select(&e, &network, NULL, 5);
	assert_int_equal(e.n_neigh, 1);
	assert_int_equal(e.n_fdb, 1);
	assert_int_equal(e.n_route, 1);
	assert_int_equal(n[0].ip, ip4(11, 10, 32, 0));
	assert_memory_equal(f[0].mac, a, 6);
	assert_int_equal(r[0].dst, ip4(11, 10, 32, 0));

	/* Empty tables stay empty. */
	e = (struct rk_entries){ 0 };
	rk_sweep_select(&e, &network, leases, ARRAY_LEN(leases));
	assert_int_equal(e.n_neigh + e.n_fdb + e.n_route, 0);
}

static void test_bad_args(void **state)
{
	(void)state;
	assert_int_equal(rk_sweep_stale(NULL, &network, leases, 1), -EINVAL);
	assert_int_equal(rk_sweep_stale("flannel.1", NULL, leases, 1),
			 -EINVAL);
	assert_int_equal(rk_sweep_stale("flannel.1", &network, NULL, 1),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_neighbours),
		cmocka_unit_test(test_fdb),
		cmocka_unit_test(test_fdb_lease_without_mac),
		cmocka_unit_test(test_routes),
		cmocka_unit_test(test_no_leases),
		cmocka_unit_test(test_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
