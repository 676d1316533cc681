// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "cidr.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

static void test_ip4_parse_valid(void **state)
{
	uint32_t a;

	(void)state;
	assert_int_equal(ip4_parse("10.0.0.1", &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 1));
	assert_int_equal(ip4_parse("0.0.0.0", &a), 0);
	assert_int_equal(a, 0);
	assert_int_equal(ip4_parse("255.255.255.255", &a), 0);
	assert_int_equal(a, UINT32_MAX);
	assert_int_equal(ip4_parse("192.168.100.200", &a), 0);
	assert_int_equal(a, IP(192, 168, 100, 200));
}

static void test_ip4_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "1", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.256",
		"01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3", "1.2.3.", "1.2.3.4 ",
		" 1.2.3.4", "1.2.3.4/8", "a.b.c.d", "-1.2.3.4", "+1.2.3.4",
		"1.2.3.1000", "0x1.2.3.4", "1.2.3.4\n", "12345.1.1.1",
	};
	uint32_t a = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (ip4_parse(bad[i], &a) != -1)
			fail_msg("ip4_parse accepted \"%s\"", bad[i]);
		assert_int_equal(a, 42);
	}
	assert_int_equal(ip4_parse(NULL, &a), -1);
}

static void test_ip4_format(void **state)
{
	char buf[IP4_STRLEN];

	(void)state;
	assert_string_equal(ip4_format(IP(10, 0, 0, 1), buf), "10.0.0.1");
	assert_string_equal(ip4_format(UINT32_MAX, buf), "255.255.255.255");
	assert_string_equal(ip4_format(0, buf), "0.0.0.0");
}

static void test_cidr_parse(void **state)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/16", &c, false), 0);
	assert_int_equal(c.addr, IP(10, 0, 0, 0));
	assert_int_equal(c.len, 16);
	assert_int_equal(cidr_parse("0.0.0.0/0", &c, false), 0);
	assert_int_equal(c.len, 0);
	assert_int_equal(cidr_parse("10.1.2.3/32", &c, false), 0);
	assert_int_equal(c.addr, IP(10, 1, 2, 3));
	assert_string_equal(cidr_format(&c, buf), "10.1.2.3/32");

	/* Host bits: strict refuses, loose masks them off. */
	assert_int_equal(cidr_parse("10.0.0.1/16", &c, false), -1);
	assert_int_equal(cidr_parse("10.0.0.1/16", &c, true), 0);
	assert_int_equal(c.addr, IP(10, 0, 0, 0));
	assert_int_equal(c.len, 16);
	assert_string_equal(cidr_format(&c, buf), "10.0.0.0/16");
	assert_int_equal(cidr_parse("255.255.255.255/0", &c, true), 0);
	assert_int_equal(c.addr, 0);
}

static void test_cidr_parse_invalid(void **state)
{
	static const char *const bad[] = {
		"", "10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/016",
		"10.0.0.0/-1", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0 /8",
		"10.0.0.0/ 8", "10.0.0.0/8x", "/8", "10.0.0.0/100",
	};
	struct cidr c = { 7, 7 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cidr_parse(bad[i], &c, true) != -1)
			fail_msg("cidr_parse accepted \"%s\"", bad[i]);
		assert_int_equal(c.addr, 7);
	}
}

static void test_cidr_mask(void **state)
{
	(void)state;
	assert_int_equal(cidr_mask(0), 0);
	assert_int_equal(cidr_mask(1), 0x80000000u);
	assert_int_equal(cidr_mask(8), 0xff000000u);
	assert_int_equal(cidr_mask(31), 0xfffffffeu);
	assert_int_equal(cidr_mask(32), 0xffffffffu);
}

static void test_cidr_contains(void **state)
{
	struct cidr net, sub, other, all, host;

	(void)state;
	cidr_parse("11.0.0.0/8", &net, false);
	cidr_parse("11.10.0.0/20", &sub, false);
	cidr_parse("10.0.0.0/16", &other, false);
	cidr_parse("0.0.0.0/0", &all, false);
	cidr_parse("11.255.255.255/32", &host, false);

	assert_true(cidr_contains(&net, IP(11, 0, 0, 0)));
	assert_true(cidr_contains(&net, IP(11, 255, 255, 255)));
	assert_false(cidr_contains(&net, IP(12, 0, 0, 0)));
	assert_false(cidr_contains(&net, IP(10, 255, 255, 255)));
	assert_true(cidr_contains(&all, IP(1, 2, 3, 4)));
	assert_true(cidr_contains(&host, IP(11, 255, 255, 255)));
	assert_false(cidr_contains(&host, IP(11, 255, 255, 254)));

	assert_true(cidr_contains_cidr(&net, &sub));
	assert_false(cidr_contains_cidr(&sub, &net));
	assert_true(cidr_contains_cidr(&net, &net));
	assert_true(cidr_contains_cidr(&net, &host));
	assert_false(cidr_contains_cidr(&net, &other));
	assert_true(cidr_contains_cidr(&all, &other));

	assert_true(cidr_overlaps(&net, &sub));
	assert_true(cidr_overlaps(&sub, &net));
	assert_false(cidr_overlaps(&net, &other));
	assert_false(cidr_overlaps(&other, &net));
	assert_true(cidr_overlaps(&all, &other));
	assert_true(cidr_overlaps(&host, &net));
}

static void test_cidr_hosts(void **state)
{
	struct cidr c;
	uint32_t a;

	(void)state;
	cidr_parse("10.0.0.0/16", &c, false);
	assert_int_equal(cidr_host_count(&c), 65534);
	assert_int_equal(cidr_host(&c, 0, &a), -1);
	assert_int_equal(cidr_host(&c, 1, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 1));
	assert_int_equal(cidr_host(&c, 12, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 12));
	assert_int_equal(cidr_host(&c, 256, &a), 0);
	assert_int_equal(a, IP(10, 0, 1, 0));
	assert_int_equal(cidr_host(&c, 65534, &a), 0);
	assert_int_equal(a, IP(10, 0, 255, 254));
	assert_int_equal(cidr_host(&c, 65535, &a), -1);

	cidr_parse("10.0.0.0/30", &c, false);
	assert_int_equal(cidr_host_count(&c), 2);
	assert_int_equal(cidr_host(&c, 2, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 2));
	assert_int_equal(cidr_host(&c, 3, &a), -1);

	/* /31 (RFC 3021) and /32 have no network or broadcast address. */
	cidr_parse("10.0.0.2/31", &c, false);
	assert_int_equal(cidr_host_count(&c), 2);
	assert_int_equal(cidr_host(&c, 1, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 2));
	assert_int_equal(cidr_host(&c, 2, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 3));
	cidr_parse("10.0.0.7/32", &c, false);
	assert_int_equal(cidr_host_count(&c), 1);
	assert_int_equal(cidr_host(&c, 1, &a), 0);
	assert_int_equal(a, IP(10, 0, 0, 7));
	assert_int_equal(cidr_host(&c, 2, &a), -1);

	cidr_parse("0.0.0.0/0", &c, false);
	assert_int_equal(cidr_host_count(&c), 4294967294ull);
	assert_int_equal(cidr_host(&c, 4294967294ull, &a), 0);
	assert_int_equal(a, IP(255, 255, 255, 254));
	assert_int_equal(cidr_host(&c, 4294967295ull, &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip4_parse_valid),
		cmocka_unit_test(test_ip4_parse_invalid),
		cmocka_unit_test(test_ip4_format),
		cmocka_unit_test(test_cidr_parse),
		cmocka_unit_test(test_cidr_parse_invalid),
		cmocka_unit_test(test_cidr_mask),
		cmocka_unit_test(test_cidr_contains),
		cmocka_unit_test(test_cidr_hosts),
	};

	return cmocka_run_group_tests_name("cidr", tests, NULL, NULL);
}
