// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "netconf.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

#define COURSE_JSON "{\"Network\":\"11.0.0.0/8\",\"SubnetLen\":20," \
	"\"SubnetMin\":\"11.10.0.0\",\"SubnetMax\":\"11.99.0.0\"," \
	"\"Backend\":{\"Type\":\"vxlan\",\"VNI\":100,\"Port\":8472}}"

static struct net_config course(void)
{
	struct net_config c = {
		.network = { IP(11, 0, 0, 0), 8 },
		.subnet_len = 20,
		.subnet_min = IP(11, 10, 0, 0),
		.subnet_max = IP(11, 99, 0, 0),
		.backend_type = "vxlan",
		.vni = 100,
		.port = 8472,
	};

	return c;
}

static void expect_invalid(const struct net_config *c, const char *msg)
{
	char err[256] = "";

	if (netconf_validate(c, err, sizeof(err)) != -1)
		fail_msg("accepted; expected \"%s\"", msg);
	if (strncmp(err, msg, strlen(msg)))
		fail_msg("message \"%s\", expected \"%s...\"", err, msg);
}

static void test_validate_good(void **state)
{
	struct net_config c = course();
	char err[256];

	(void)state;
	assert_int_equal(netconf_validate(&c, err, sizeof(err)), 0);
	c.subnet_len = 30;
	c.subnet_min = c.subnet_max = IP(11, 0, 0, 4);
	assert_int_equal(netconf_validate(&c, err, sizeof(err)), 0);
}

static void test_validate_bad(void **state)
{
	struct net_config c;

	(void)state;
	c = course();
	c.network.addr = IP(11, 0, 0, 1);
	expect_invalid(&c, "Network: 11.0.0.1/8 is not a network address");
	c = course();
	c.network.len = 30;
	expect_invalid(&c, "Network: 11.0.0.0/30 is too small to split into "
		       "subnets (expected /29 or shorter)");
	c = course();
	c.subnet_len = 8;
	expect_invalid(&c, "SubnetLen: 8 is out of range (expected 9 to 30");
	c.subnet_len = 31;
	expect_invalid(&c, "SubnetLen: 31 is out of range (expected 9 to 30");
	c = course();
	c.subnet_min = IP(12, 0, 0, 0);
	expect_invalid(&c, "SubnetMin: 12.0.0.0 is outside Network 11.0.0.0/8");
	c = course();
	c.subnet_max = IP(10, 99, 0, 0);
	expect_invalid(&c, "SubnetMax: 10.99.0.0 is outside Network");
	c = course();
	c.subnet_min = IP(11, 10, 1, 0);
	expect_invalid(&c, "SubnetMin: 11.10.1.0 is not the start of a /20 "
		       "subnet (expected e.g. 11.10.0.0)");
	c = course();
	c.subnet_max = IP(11, 99, 0, 1);
	expect_invalid(&c, "SubnetMax: 11.99.0.1 is not the start of a /20");
	c = course();
	c.subnet_min = IP(11, 99, 0, 0);
	c.subnet_max = IP(11, 10, 0, 0);
	expect_invalid(&c, "SubnetMax: 11.10.0.0 is below SubnetMin 11.99.0.0");
	c = course();
	strcpy(c.backend_type, "host-gw");
	expect_invalid(&c, "Backend.Type: \"host-gw\" is not supported "
		       "(expected vxlan, the only backend knetsim implements)");
	c = course();
	c.vni = 0;
	expect_invalid(&c, "Backend.VNI: 0 is out of range (expected 1 to "
		       "16777215)");
	c.vni = 16777216;
	expect_invalid(&c, "Backend.VNI: 16777216 is out of range");
	c = course();
	c.port = 0;
	expect_invalid(&c, "Backend.Port: 0 is out of range (expected 1 to "
		       "65535)");
}

static void test_subnet_count(void **state)
{
	struct net_config c = course();

	(void)state;
	/* 11.10.0.0 .. 11.99.0.0 in /20s: 90 /16s of 16 each, less 15. */
	assert_int_equal(netconf_subnet_count(&c), 89 * 16 + 1);
	c.subnet_max = c.subnet_min;
	assert_int_equal(netconf_subnet_count(&c), 1);
	c.subnet_max = c.subnet_min - 4096;
	assert_int_equal(netconf_subnet_count(&c), 0);
	c.subnet_len = 0;
	assert_int_equal(netconf_subnet_count(&c), 0);
}

static void test_to_json(void **state)
{
	struct net_config c = course();
	char *json = netconf_to_json(&c);

	(void)state;
	assert_non_null(json);
	assert_string_equal(json, COURSE_JSON);
	free(json);
}

static void test_from_json(void **state)
{
	struct net_config c = course(), d;
	char err[256], *json;

	(void)state;
	memset(&d, 0xa5, sizeof(d));
	assert_int_equal(netconf_from_json(COURSE_JSON, &d, err, sizeof(err)),
			 0);
	assert_int_equal(d.network.addr, c.network.addr);
	assert_int_equal(d.network.len, 8);
	assert_int_equal(d.subnet_len, 20);
	assert_int_equal(d.subnet_min, c.subnet_min);
	assert_int_equal(d.subnet_max, c.subnet_max);
	assert_string_equal(d.backend_type, "vxlan");
	assert_int_equal(d.vni, 100);
	assert_int_equal(d.port, 8472);

	/* And back: the same text. */
	json = netconf_to_json(&d);
	assert_string_equal(json, COURSE_JSON);
	free(json);
}

static void test_from_json_defaults(void **state)
{
	struct net_config c;
	char err[256];

	(void)state;
	/* flannel's: /24s from the second to the last, vxlan VNI 1 port 8472. */
	assert_int_equal(netconf_from_json("{\"Network\":\"10.244.0.0/16\"}",
					   &c, err, sizeof(err)), 0);
	assert_int_equal(c.subnet_len, 24);
	assert_int_equal(c.subnet_min, IP(10, 244, 1, 0));
	assert_int_equal(c.subnet_max, IP(10, 244, 255, 0));
	assert_string_equal(c.backend_type, "vxlan");
	assert_int_equal(c.vni, 1);
	assert_int_equal(c.port, 8472);
	assert_int_equal(netconf_subnet_count(&c), 255);

	/* A /24 or smaller network is split in two. */
	assert_int_equal(netconf_from_json("{\"Network\":\"10.1.2.0/24\"}",
					   &c, err, sizeof(err)), 0);
	assert_int_equal(c.subnet_len, 25);
	assert_int_equal(c.subnet_min, IP(10, 1, 2, 128));
	assert_int_equal(c.subnet_max, IP(10, 1, 2, 128));

	/* Defaults follow a given SubnetLen; Backend fields one by one. */
	assert_int_equal(netconf_from_json("{\"Network\":\"11.0.0.0/8\","
		"\"SubnetLen\":16,\"Backend\":{\"VNI\":7}}", &c, err,
		sizeof(err)), 0);
	assert_int_equal(c.subnet_min, IP(11, 1, 0, 0));
	assert_int_equal(c.subnet_max, IP(11, 255, 0, 0));
	assert_int_equal(c.vni, 7);
	assert_int_equal(c.port, 8472);
}

static void test_from_json_bad(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "", "invalid JSON at byte 0" },
		{ "{\"Network\":", "invalid JSON" },
		{ "{\"Network\":\"11.0.0.0/8\"} x", "invalid JSON at byte 25" },
		{ "[]", "expected a JSON object" },
		{ "{}", "Network: missing" },
		{ "{\"Network\":8}", "Network: expected a string" },
		{ "{\"Network\":\"11.0.0.0\"}", "Network: \"11.0.0.0\" is not a "
		  "network address" },
		{ "{\"Network\":\"11.0.0.1/8\"}", "Network: \"11.0.0.1/8\" is not "
		  "a network address" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Colour\":1}", "Colour: unknown "
		  "field (expected one of Network, SubnetLen, SubnetMin, "
		  "SubnetMax, Backend)" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Network\":\"12.0.0.0/8\"}",
		  "Network: given twice" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetLen\":\"20\"}",
		  "SubnetLen: expected a number" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetLen\":20.5}",
		  "SubnetLen: 20.5 is out of range" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetLen\":-1}",
		  "SubnetLen: -1 is out of range" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetLen\":8}",
		  "SubnetLen: 8 is out of range (expected 9 to 30" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetMin\":\"11.10.0\"}",
		  "SubnetMin: \"11.10.0\" is not an IPv4 address" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetMax\":1}",
		  "SubnetMax: expected a string" },
		{ "{\"Network\":\"11.0.0.0/8\",\"SubnetMin\":\"12.0.0.0\"}",
		  "SubnetMin: 12.0.0.0 is outside Network 11.0.0.0/8" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":\"vxlan\"}",
		  "Backend: expected an object" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"Type\":\"udp\"}}",
		  "Backend.Type: \"udp\" is not supported (expected vxlan" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"Type\":"
		  "\"a-very-long-backend-name\"}}", "Backend.Type: " },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"Type\":1}}",
		  "Backend.Type: expected a string" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"VNI\":0}}",
		  "Backend.VNI: 0 is out of range (expected an integer from 1 "
		  "to 16777215)" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"Port\":65536}}",
		  "Backend.Port: 65536 is out of range" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"MTU\":1400}}",
		  "Backend.MTU: unknown field (expected one of Type, VNI, Port)" },
		{ "{\"Network\":\"11.0.0.0/8\",\"Backend\":{\"VNI\":1e300}}",
		  "Backend.VNI: 1e+300 is out of range" },
	};
	struct net_config c = course(), keep = c;
	char err[256];

	(void)state;
	assert_int_equal(netconf_from_json(NULL, &c, err, sizeof(err)), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (netconf_from_json(bad[i].json, &c, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].json);
		if (strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s: message \"%s\", expected \"%s...\"",
				 bad[i].json, err, bad[i].msg);
		/* A failed parse leaves the caller's config alone. */
		assert_memory_equal(&c, &keep, sizeof(c));
	}
}

static void test_defaults(void **state)
{
	struct net_config c = { .network = { IP(11, 0, 0, 0), 8 } };

	(void)state;
	c.subnet_len = 20;
	netconf_defaults(&c, NETCONF_SUBNET_LEN);
	assert_int_equal(c.subnet_len, 20);
	assert_int_equal(c.subnet_min, IP(11, 0, 16, 0));
	assert_int_equal(c.subnet_max, IP(11, 255, 240, 0));
	assert_string_equal(c.backend_type, "vxlan");
	assert_int_equal(c.vni, 1);
	assert_int_equal(c.port, 8472);
	c.vni = 100;
	c.port = 4789;
	netconf_defaults(&c, NETCONF_SUBNET_LEN | NETCONF_SUBNET_MIN |
			 NETCONF_SUBNET_MAX | NETCONF_VNI | NETCONF_PORT);
	assert_int_equal(c.vni, 100);
	assert_int_equal(c.port, 4789);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate_good),
		cmocka_unit_test(test_validate_bad),
		cmocka_unit_test(test_subnet_count),
		cmocka_unit_test(test_to_json),
		cmocka_unit_test(test_from_json),
		cmocka_unit_test(test_from_json_defaults),
		cmocka_unit_test(test_from_json_bad),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests_name("netconf", tests, NULL, NULL);
}
