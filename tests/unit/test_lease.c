// SPDX-License-Identifier: MIT
/* flannel subnet leases (agent/lease.c): keys, values, allocation and
 * subnet.env, without etcd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lease.h"

#define MAC "aa:bb:cc:0d:0e:0f"
#define VALUE(ip) "{\"PublicIP\":\"" ip "\",\"PublicIPv6\":null," \
	"\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"	   \
	"\"VtepMAC\":\"" MAC "\"}}"

static uint32_t ip(const char *s)
{
	uint32_t a;

	assert_int_equal(ip4_parse(s, &a), 0);
	return a;
}

static struct cidr net(const char *s)
{
	struct cidr c;

	assert_int_equal(cidr_parse(s, &c, false), 0);
	return c;
}

/* Network with flannel's defaults, then SubnetLen/Min/Max if given. */
static struct net_config config(const char *network, unsigned len,
				const char *min, const char *max)
{
	struct net_config c = { .network = net(network) };
	unsigned given = 0;

	if (len) {
		c.subnet_len = (uint8_t)len;
		given |= NETCONF_SUBNET_LEN;
	}
	if (min) {
		c.subnet_min = ip(min);
		given |= NETCONF_SUBNET_MIN;
	}
	if (max) {
		c.subnet_max = ip(max);
		given |= NETCONF_SUBNET_MAX;
	}
	netconf_defaults(&c, given);
	assert_int_equal(netconf_validate(&c, NULL, 0), 0);
	return c;
}

/* ---- a set of keys as a range read returns them ---- */

struct kvset {
	struct etcd_kv *kvs;
	size_t n;
};

static void add(struct kvset *s, const char *key, const char *val)
{
	struct etcd_kv *p = realloc(s->kvs, (s->n + 1) * sizeof(*p));

	assert_non_null(p);
	s->kvs = p;
	p = &s->kvs[s->n++];
	memset(p, 0, sizeof(*p));
	p->key = strdup(key);
	p->key_len = strlen(key);
	p->val = strdup(val);
	p->len = strlen(val);
	p->mod_revision = (int64_t)s->n + 10;
	p->create_revision = p->mod_revision;
	p->lease = 0x100 + (int64_t)s->n;
	assert_non_null(p->key);
	assert_non_null(p->val);
}

static void add_lease(struct kvset *s, const char *subnet_key,
		      const char *public_ip)
{
	char key[LEASE_KEY_MAX], *val;

	snprintf(key, sizeof(key), LEASE_PREFIX "%s", subnet_key);
	assert_true(asprintf(&val, VALUE("%s"), public_ip) > 0);
	add(s, key, val);
	free(val);
}

static void kvset_free(struct kvset *s)
{
	etcd_kvs_free(s->kvs, s->n);
	s->kvs = NULL;
	s->n = 0;
}

/* ---- keys ---- */

static void test_key_format_parse(void **state)
{
	char buf[LEASE_KEY_MAX];
	struct cidr sn = net("11.10.16.0/20"), back;

	(void)state;
	assert_int_equal(lease_key_format(&sn, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/coreos.com/network/subnets/11.10.16.0-20");
	assert_int_equal(lease_key_parse(buf, &back), 0);
	assert_int_equal(back.addr, sn.addr);
	assert_int_equal(back.len, 20);

	sn = net("255.255.255.255/32");
	assert_int_equal(lease_key_format(&sn, buf, sizeof(buf)), 0);
	assert_string_equal(buf,
			    "/coreos.com/network/subnets/255.255.255.255-32");
	assert_int_equal(lease_key_format(&sn, buf, sizeof(buf) - 1),
			 -ENAMETOOLONG);
	assert_int_equal(lease_key_parse(LEASE_PREFIX "0.0.0.0-0", &back), 0);
	assert_int_equal(back.len, 0);
}

static void test_key_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"/coreos.com/network/subnets/",
		"/coreos.com/network/subnet/11.10.16.0-20",
		"/coreos.com/network/subnets11.10.16.0-20",
		"/coreos.com/network/subnets/11.10.16.0",
		"/coreos.com/network/subnets/11.10.16.0-",
		"/coreos.com/network/subnets/11.10.16.0-20x",
		"/coreos.com/network/subnets/11.10.16.0-020",
		"/coreos.com/network/subnets/11.10.16.0-33",
		"/coreos.com/network/subnets/11.10.16.0-100",
		"/coreos.com/network/subnets/11.10.16.0--20",
		"/coreos.com/network/subnets/11.10.16.0-+20",
		"/coreos.com/network/subnets/11.10.16.1-20",  /* host bits */
		"/coreos.com/network/subnets/011.10.16.0-20",
		"/coreos.com/network/subnets/11.10.16-20",
		"/coreos.com/network/subnets/11.10.16.256-24",
		"/coreos.com/network/subnets/11.10.16.0/20",
		"/coreos.com/network/subnets/11.10.16.0-20/",
		"/coreos.com/network/subnets/11.10.16.0-20\n",
		"/coreos.com/network/subnets/ 11.10.16.0-20",
		"/coreos.com/network/subnets/11.10.16.0-20&fc00::-64",
		"/coreos.com/network/subnets/1111111111111111.1.1.1-8",
		"/coreos.com/network/config",
	};
	struct cidr sn;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (lease_key_parse(bad[i], &sn) != -EINVAL)
			fail_msg("accepted bad key \"%s\"", bad[i]);
	assert_int_equal(lease_key_parse(NULL, &sn), -EINVAL);
	assert_int_equal(lease_key_parse(LEASE_PREFIX "10.0.0.0-8", NULL),
			 -EINVAL);
}

static void test_subnet_check(void **state)
{
	struct net_config c = config("11.0.0.0/8", 20, "11.0.16.0",
				     "11.255.224.0");
	struct cidr sn;
	char err[160];

	(void)state;
	sn = net("11.10.16.0/20");
	assert_int_equal(lease_subnet_check(&c, &sn, err, sizeof(err)), 0);
	sn = net("12.10.16.0/20");
	assert_int_equal(lease_subnet_check(&c, &sn, err, sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "subnet 12.10.16.0/20 is outside Network "
			    "11.0.0.0/8");
	sn = net("11.10.16.0/24");
	assert_int_equal(lease_subnet_check(&c, &sn, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "SubnetLen"));
	sn = net("11.0.0.0/20");
	assert_int_equal(lease_subnet_check(&c, &sn, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "SubnetMin 11.0.16.0"));
	sn = net("11.255.240.0/20");
	assert_int_equal(lease_subnet_check(&c, &sn, err, sizeof(err)),
			 -ERANGE);
	assert_non_null(strstr(err, "SubnetMax 11.255.224.0"));
	sn = net("0.0.0.0/0");
	assert_int_equal(lease_subnet_check(&c, &sn, NULL, 0), -ERANGE);
}

/* ---- values ---- */

static void test_value_format(void **state)
{
	struct subnet_lease l = {
		.subnet = net("11.10.16.0/20"), .public_ip = ip("10.0.0.1"),
		.backend_type = "vxlan", .vni = 100,
		.vtep_mac = { 0xaa, 0xbb, 0xcc, 0x01, 0x02, 0xff },
		.has_vtep_mac = true,
	};
	char *v;

	(void)state;
	v = lease_value_format(&l);
	assert_non_null(v);
	assert_string_equal(v, "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null,"
			    "\"BackendType\":\"vxlan\",\"BackendData\":"
			    "{\"VNI\":100,\"VtepMAC\":\"aa:bb:cc:01:02:ff\"}}");
	free(v);

	/* no backend: flannel leaves BackendType and BackendData out */
	memset(l.backend_type, 0, sizeof(l.backend_type));
	l.has_vtep_mac = false;
	v = lease_value_format(&l);
	assert_string_equal(v,
			    "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":null}");
	free(v);

	/* nothing that would need escaping gets out */
	strcpy(l.backend_type, "vx\"lan");
	assert_null(lease_value_format(&l));
	strcpy(l.backend_type, "VXLAN");
	assert_null(lease_value_format(&l));
}

static void test_value_parse(void **state)
{
	static const char v1[] = VALUE("10.0.0.7");
	/* older flannel: no PublicIPv6; fields we do not know; upper case */
	static const char v2[] = "{\"PublicIP\":\"10.0.0.8\",\"BackendType\":"
		"\"vxlan\",\"BackendData\":{\"VtepMAC\":\"AA-BB-CC-DD-EE-0F\"},"
		"\"BackendV6Data\":{\"VNI\":1},\"Future\":[1,2]}";
	static const char v3[] = "{\"PublicIP\":\"10.0.0.9\",\"PublicIPv6\":"
		"\"fc00::9\",\"BackendType\":\"host-gw\"}";
	struct subnet_lease l = { .subnet = net("11.10.16.0/20"),
				  .lease_id = 5, .mod_revision = 6 };
	char err[160], *back;

	(void)state;
	assert_int_equal(lease_value_parse(v1, strlen(v1), &l, err,
					   sizeof(err)), 0);
	assert_int_equal(l.public_ip, ip("10.0.0.7"));
	assert_string_equal(l.backend_type, "vxlan");
	assert_int_equal(l.vni, 1);
	assert_true(l.has_vtep_mac);
	assert_memory_equal(l.vtep_mac, "\xaa\xbb\xcc\x0d\x0e\x0f", 6);
	/* what the value does not hold is kept */
	assert_int_equal(l.subnet.addr, ip("11.10.16.0"));
	assert_int_equal(l.lease_id, 5);
	assert_int_equal(l.mod_revision, 6);
	back = lease_value_format(&l);
	assert_string_equal(back, v1);
	free(back);

	assert_int_equal(lease_value_parse(v2, strlen(v2), &l, err,
					   sizeof(err)), 0);
	assert_int_equal(l.public_ip, ip("10.0.0.8"));
	assert_int_equal(l.vni, 0);
	assert_memory_equal(l.vtep_mac, "\xaa\xbb\xcc\xdd\xee\x0f", 6);

	assert_int_equal(lease_value_parse(v3, strlen(v3), &l, err,
					   sizeof(err)), 0);
	assert_string_equal(l.backend_type, "host-gw");
	assert_false(l.has_vtep_mac);

	/* len bounds the parse */
	assert_int_equal(lease_value_parse(v1, strlen(v1) - 1, &l, err,
					   sizeof(err)), -EINVAL);
}

static void test_value_parse_bad(void **state)
{
	static const struct {
		const char *val, *field;
	} bad[] = {
		{ "", "not a JSON object" },
		{ "null", "not a JSON object" },
		{ "[]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ "{", "not a JSON object" },
		{ "{\"PublicIP\":\"10.0.0.1\"", "not a JSON object" },
		{ "{}", "PublicIP" },
		{ "{\"PublicIP\":167772161}", "PublicIP" },
		{ "{\"PublicIP\":\"10.0.0\"}", "PublicIP" },
		{ "{\"PublicIP\":\"10.0.0.256\"}", "PublicIP" },
		{ "{\"PublicIP\":\"10.0.0.1 \"}", "PublicIP" },
		{ "{\"PublicIP\":null}", "PublicIP" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"PublicIPv6\":5}",
		  "PublicIPv6" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":7}",
		  "BackendType" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":\"\"}",
		  "BackendType" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":"
		  "\"averyveryverylongname\"}", "BackendType" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":\"a\\\"b\"}",
		  "BackendType" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":\"vxlan\"}",
		  "VtepMAC: missing" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendType\":\"vxlan\","
		  "\"BackendData\":null}", "VtepMAC: missing" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":\"x\"}",
		  "BackendData" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":{\"VNI\":-1}}",
		  "VNI" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":{\"VNI\":1.5}}",
		  "VNI" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VNI\":16777216}}", "VNI" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":{\"VNI\":1e300}}",
		  "VNI" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":{\"VNI\":\"1\"}}",
		  "VNI" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VtepMAC\":\"aa:bb:cc:dd:ee\"}}", "VtepMAC" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VtepMAC\":\"aa:bb:cc:dd:ee:fg\"}}", "VtepMAC" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VtepMAC\":\"aa:bb-cc:dd:ee:ff\"}}", "VtepMAC" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VtepMAC\":\"aa:bb:cc:dd:ee:ff:\"}}", "VtepMAC" },
		{ "{\"PublicIP\":\"10.0.0.1\",\"BackendData\":"
		  "{\"VtepMAC\":[170,187]}}", "VtepMAC" },
	};
	struct subnet_lease l;
	char err[160];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (lease_value_parse(bad[i].val, strlen(bad[i].val), &l, err,
				      sizeof(err)) != -EINVAL)
			fail_msg("accepted bad value %s", bad[i].val);
		if (!strstr(err, bad[i].field))
			fail_msg("value %s: error \"%s\" does not name %s",
				 bad[i].val, err, bad[i].field);
	}
	assert_int_equal(lease_value_parse("{\"PublicIP\":\"10.0.0.1\"}\0x",
					   26, &l, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "NUL"));
	assert_int_equal(lease_value_parse(NULL, 0, &l, NULL, 0), -EINVAL);
}

static void test_from_kv(void **state)
{
	struct net_config c = config("11.0.0.0/8", 20, NULL, NULL);
	struct kvset s = { 0 };
	struct subnet_lease l;
	char err[200];

	(void)state;
	add_lease(&s, "11.10.16.0-20", "10.0.0.1");
	add_lease(&s, "12.10.16.0-20", "10.0.0.2");
	add_lease(&s, "11.10.16.0-24", "10.0.0.3");
	add(&s, LEASE_PREFIX "11.10.32.0-20", "{\"PublicIP\":5}");
	add(&s, LEASE_PREFIX "junk", VALUE("10.0.0.5"));

	assert_int_equal(lease_from_kv(&c, &s.kvs[0], &l, err, sizeof(err)), 0);
	assert_int_equal(l.subnet.addr, ip("11.10.16.0"));
	assert_int_equal(l.subnet.len, 20);
	assert_int_equal(l.public_ip, ip("10.0.0.1"));
	assert_int_equal(l.lease_id, s.kvs[0].lease);
	assert_int_equal(l.mod_revision, s.kvs[0].mod_revision);

	assert_int_equal(lease_from_kv(&c, &s.kvs[1], &l, err, sizeof(err)),
			 -ERANGE);
	assert_string_equal(err, "/coreos.com/network/subnets/12.10.16.0-20: "
			    "subnet 12.10.16.0/20 is outside Network "
			    "11.0.0.0/8");
	assert_int_equal(lease_from_kv(&c, &s.kvs[2], &l, err, sizeof(err)),
			 -ERANGE);
	assert_int_equal(lease_from_kv(&c, &s.kvs[3], &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "11.10.32.0-20: PublicIP"));
	assert_int_equal(lease_from_kv(&c, &s.kvs[4], &l, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a subnet lease key"));

	/* a key with a NUL inside is not what it seems */
	s.kvs[0].key_len++;
	assert_int_equal(lease_from_kv(&c, &s.kvs[0], &l, err, sizeof(err)),
			 -EINVAL);
	s.kvs[0].key_len--;
	assert_int_equal(lease_from_kv(&c, NULL, &l, err, sizeof(err)),
			 -EINVAL);
	kvset_free(&s);
}

/* ---- allocation ---- */

static void assert_pick(const struct lease_pick *p, const char *subnet)
{
	char buf[CIDR_STRLEN];

	assert_string_equal(cidr_format(&p->subnet, buf), subnet);
}

static void test_choose_lowest(void **state)
{
	struct net_config c = config("10.5.0.0/16", 24, NULL, NULL);
	struct kvset s = { 0 };
	struct lease_pick p;
	char err[200];

	(void)state;
	/* flannel's defaults: SubnetMin is the second subnet */
	assert_int_equal(lease_choose(&c, NULL, 0, ip("10.0.0.1"), NULL, &p,
				      err, sizeof(err)), 0);
	assert_false(p.reuse);
	assert_pick(&p, "10.5.1.0/24");

	add_lease(&s, "10.5.1.0-24", "10.0.0.2");
	add_lease(&s, "10.5.2.0-24", "10.0.0.3");
	add_lease(&s, "10.5.4.0-24", "10.0.0.4");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "10.5.3.0/24");

	/* a taken key counts even when its value is bad or it is foreign */
	add(&s, LEASE_PREFIX "10.5.3.0-24", "garbage");
	add(&s, LEASE_PREFIX "10.5.5.0-25", VALUE("10.0.0.9"));
	add(&s, LEASE_PREFIX "not-a-subnet", "x");
	add(&s, "/coreos.com/network/subnets/10.5.6.0-24/x", "x");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "10.5.6.0/24");

	/* a bigger foreign block is skipped whole */
	add(&s, LEASE_PREFIX "10.5.0.0-20", VALUE("10.0.0.10"));
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "10.5.16.0/24");
	kvset_free(&s);
}

static void test_choose_reuse(void **state)
{
	struct net_config c = config("10.5.0.0/16", 24, NULL, NULL);
	struct kvset s = { 0 };
	struct lease_pick p;
	uint64_t rng = 42;
	char err[200];

	(void)state;
	add_lease(&s, "10.5.1.0-24", "10.0.0.2");
	add_lease(&s, "10.5.7.0-24", "10.0.0.1");
	add_lease(&s, "10.5.9.0-24", "10.0.0.3");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), &rng,
				      &p, err, sizeof(err)), 0);
	assert_true(p.reuse);
	assert_int_equal(p.index, 1);
	assert_pick(&p, "10.5.7.0/24");
	kvset_free(&s);

	/* ours, but no longer fitting the config (or unreadable): not
	 * reused, and still taken */
	add_lease(&s, "10.5.1.0-25", "10.0.0.1");
	add(&s, LEASE_PREFIX "10.5.2.0-24", "{\"PublicIP\":\"10.0.0.1\","
	    "\"BackendType\":\"vxlan\"}");
	add_lease(&s, "10.5.0.0-24", "10.0.0.1"); /* below SubnetMin */
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_false(p.reuse);
	assert_pick(&p, "10.5.3.0/24");
	kvset_free(&s);
}

static void test_choose_random(void **state)
{
	struct net_config c = config("10.5.0.0/16", 24, NULL, NULL);
	struct kvset s = { 0 };
	struct lease_pick p, q;
	bool seen[256] = { false };
	size_t distinct = 0;
	char err[200];

	(void)state;
	add_lease(&s, "10.5.1.0-24", "10.0.0.2");
	add_lease(&s, "10.5.3.0-24", "10.0.0.3");
	for (uint64_t seed = 0; seed < 200; seed++) {
		uint64_t a = seed, b = seed;
		unsigned third;

		assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"),
					      &a, &p, err, sizeof(err)), 0);
		assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"),
					      &b, &q, err, sizeof(err)), 0);
		/* reproducible from the seed */
		assert_int_equal(p.subnet.addr, q.subnet.addr);
		assert_int_equal(p.subnet.len, 24);
		third = p.subnet.addr >> 8 & 0xff;
		/* free, and among the first 100 free: 2, 4..102 */
		assert_true(third == 2 || (third >= 4 && third <= 102));
		if (!seen[third]) {
			seen[third] = true;
			distinct++;
		}
	}
	assert_true(distinct > 50);
	kvset_free(&s);
}

static void test_choose_exhausted(void **state)
{
	/* three subnets: .64, .128, .192 */
	struct net_config c = config("10.6.0.0/24", 26, NULL, NULL);
	struct kvset s = { 0 };
	struct lease_pick p;
	uint64_t rng = 7;
	char err[256];

	(void)state;
	assert_int_equal(netconf_subnet_count(&c), 3);
	add_lease(&s, "10.6.0.64-26", "10.0.0.2");
	add_lease(&s, "10.6.0.192-26", "10.0.0.3");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), &rng,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "10.6.0.128/26");
	add_lease(&s, "10.6.0.128-26", "10.0.0.4");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), &rng,
				      &p, err, sizeof(err)), -ENOSPC);
	assert_string_equal(err, "no free subnet: all 3 subnets /26 of Network "
			    "10.6.0.0/24 between SubnetMin 10.6.0.64 and "
			    "SubnetMax 10.6.0.192 are leased");
	/* still our own to reuse */
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.4"), &rng,
				      &p, err, sizeof(err)), 0);
	assert_true(p.reuse);
	kvset_free(&s);

	/* one foreign block covering everything */
	add(&s, LEASE_PREFIX "10.0.0.0-8", "x");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), -ENOSPC);
	kvset_free(&s);

	/* the top of the address space does not wrap */
	c = config("255.255.255.0/24", 26, NULL, NULL);
	add_lease(&s, "255.255.255.64-26", "10.0.0.2");
	add_lease(&s, "255.255.255.128-26", "10.0.0.3");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "255.255.255.192/26");
	add_lease(&s, "255.255.255.192-26", "10.0.0.4");
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), -ENOSPC);
	kvset_free(&s);
	assert_int_equal(lease_choose(NULL, NULL, 0, 0, NULL, &p, NULL, 0),
			 -EINVAL);
}

/* A large network, mostly taken: still quick and correct. */
static void test_choose_large(void **state)
{
	struct net_config c = config("11.0.0.0/8", 24, NULL, NULL);
	struct kvset s = { 0 };
	struct lease_pick p;
	char key[64], err[200];

	(void)state;
	for (unsigned i = 1; i < 2000; i++) {
		snprintf(key, sizeof(key), "11.%u.%u.0-24", i >> 8, i & 0xff);
		add_lease(&s, key, "10.0.0.2");
	}
	assert_int_equal(lease_choose(&c, s.kvs, s.n, ip("10.0.0.1"), NULL,
				      &p, err, sizeof(err)), 0);
	assert_pick(&p, "11.7.208.0/24"); /* 2000 = 7 * 256 + 208 */
	kvset_free(&s);
}

/* ---- subnet.env ---- */

static void test_subnet_env(void **state)
{
	struct net_config c = config("11.0.0.0/8", 20, NULL, NULL);
	struct cidr sn = net("11.10.16.0/20");
	char *env;

	(void)state;
	env = lease_subnet_env(&c, &sn, 1450, false);
	assert_non_null(env);
	assert_string_equal(env, "FLANNEL_NETWORK=11.0.0.0/8\n"
			    "FLANNEL_SUBNET=11.10.16.1/20\n"
			    "FLANNEL_MTU=1450\n"
			    "FLANNEL_IPMASQ=false\n");
	free(env);
	env = lease_subnet_env(&c, &sn, 8950, true);
	assert_non_null(strstr(env, "FLANNEL_MTU=8950\nFLANNEL_IPMASQ=true\n"));
	free(env);
	assert_null(lease_subnet_env(NULL, &sn, 1450, false));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_format_parse),
		cmocka_unit_test(test_key_parse_bad),
		cmocka_unit_test(test_subnet_check),
		cmocka_unit_test(test_value_format),
		cmocka_unit_test(test_value_parse),
		cmocka_unit_test(test_value_parse_bad),
		cmocka_unit_test(test_from_kv),
		cmocka_unit_test(test_choose_lowest),
		cmocka_unit_test(test_choose_reuse),
		cmocka_unit_test(test_choose_random),
		cmocka_unit_test(test_choose_exhausted),
		cmocka_unit_test(test_choose_large),
		cmocka_unit_test(test_subnet_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
