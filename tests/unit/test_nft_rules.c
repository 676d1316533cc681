// SPDX-License-Identifier: MIT
/* The rule text of proxy "nft" (agent/nft_rules.c): no kernel needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "nft_rules.h"

/* The cluster's pod network, 11.0.0.0/8. */
static const struct cidr test_cluster = { 0x0b000000, 8 };

#define VIP 0x64400a01u /* 100.64.10.1 */

static void svc(struct proxy_service *s, const char *ns, const char *name,
		size_t n_ports, size_t n_backends)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ns, sizeof(s->ns), "%s", ns);
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = VIP;
	s->n_ports = n_ports;
	for (size_t i = 0; i < n_ports; i++) {
		s->ports[i].port = (uint16_t)(80 + i);
		s->ports[i].target_port = (uint16_t)(8080 + i);
		s->ports[i].proto = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
	}
	s->n_backends = n_backends;
	for (size_t j = 0; j < n_backends; j++)
		s->backends[j] = 0x0b000102u + (uint32_t)j; /* 11.0.1.2.. */
}

/* memmem with lengths: ASan's strstr measures the whole haystack at
 * every call, which makes counting in a big buffer quadratic. */
static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(hay), nl = strlen(needle);
	const char *end = hay + len;

	for (const char *p = hay; (p = memmem(p, (size_t)(end - p), needle, nl)); p++)
		n++;
	return n;
}

static void has(const struct nft_buf *b, const char *needle)
{
	if (!b->data || !strstr(b->data, needle))
		fail_msg("missing \"%s\" in:\n%s", needle,
			 b->data ? b->data : "(empty)");
}

static void lacks(const struct nft_buf *b, const char *needle)
{
	if (b->data && strstr(b->data, needle))
		fail_msg("unexpected \"%s\" in:\n%s", needle, b->data);
}

static void test_names(void **state)
{
	char a[NFT_CHAIN_MAX], b[NFT_CHAIN_MAX], c[NFT_CHAIN_MAX];
	struct proxy_service s;
	char longname[PROXY_NAME_MAX + 1];

	(void)state;
	nft_svc_base("default", "web", a);
	assert_int_equal(strncmp(a, "svc-default-web-", 16), 0);
	assert_int_equal(strlen(a), 16 + 8);
	nft_svc_base("default", "web", b);
	assert_string_equal(a, b);          /* deterministic */
	nft_svc_base("default", "web2", b);
	assert_string_not_equal(a, b);
	/* sanitised, yet different services stay apart through the hash */
	nft_svc_base("a b", "c$d", a);
	assert_int_equal(strncmp(a, "svc-a_b-c_d-", 12), 0);
	nft_svc_base("a_b", "c_d", b);
	assert_int_equal(strncmp(b, "svc-a_b-c_d-", 12), 0);
	assert_string_not_equal(a, b);
	/* bounded */
	memset(longname, 'x', PROXY_NAME_MAX);
	longname[PROXY_NAME_MAX] = '\0';
	nft_svc_base(longname, longname, a);
	assert_true(strlen(a) < 64);
	svc(&s, longname, longname, 1, 1);
	s.ports[0].port = 65535;
	nft_svc_chain(&s, 0, c);
	assert_true(strlen(c) < NFT_CHAIN_MAX - 1);
	assert_non_null(strstr(c, "-tcp65535"));
	/* VIP-only: the base itself */
	svc(&s, "default", "web", 0, 2);
	nft_svc_base("default", "web", a);
	nft_svc_chain(&s, 0, b);
	assert_string_equal(a, b);
	/* endpoint chains: per backend, stable */
	nft_ep_chain(&s, 0, 0, a);
	nft_ep_chain(&s, 0, 1, b);
	assert_string_not_equal(a, b);
	assert_int_equal(strncmp(a, "ep-", 3), 0);
	nft_ep_chain(&s, 0, 0, c);
	assert_string_equal(a, c);
}

static void test_init(void **state)
{
	struct nft_buf b;

	(void)state;
	nft_buf_init(&b);
	nft_rules_init(&b, NFT_FORM_CHAINS, &test_cluster);
	assert_int_equal(b.err, 0);
	has(&b, "add table ip knetsim\n");
	has(&b, "type ipv4_addr . inet_proto . inet_service : verdict");
	has(&b, "services ip daddr . meta l4proto . th dport vmap @service-ports\n");
	has(&b, "services ip daddr vmap @service-ips\n");
	has(&b, "nat-prerouting jump services\n");
	has(&b, "nat-output jump services\n");
	has(&b, "mark-masq meta mark set meta mark | 0x4000\n");
	has(&b, "nat-postrouting counter masquerade");
	has(&b, "add set ip knetsim cluster-cidr { type ipv4_addr ; flags interval ; }\n");
	has(&b, "add element ip knetsim cluster-cidr { 11.0.0.0/8 }\n");
	/* never the whole table */
	lacks(&b, "flush table");
	lacks(&b, "delete table");
	lacks(&b, "flush ruleset");
	nft_buf_free(&b);
	nft_rules_init(&b, NFT_FORM_LINEAR, &test_cluster);
	has(&b, "nat-prerouting jump services-linear\n");
	nft_buf_free(&b);
}

static void test_ported(void **state)
{
	struct proxy_service s;
	struct nft_buf b;
	char ch[NFT_CHAIN_MAX], ep[NFT_CHAIN_MAX], line[256];

	(void)state;
	/* three backends */
	svc(&s, "default", "web", 1, 3);
	nft_buf_init(&b);
	assert_int_equal(nft_rules_service(&b, NULL, &s), 0);
	nft_svc_chain(&s, 0, ch);
	snprintf(line, sizeof(line), "add element ip knetsim service-ports "
		 "{ 100.64.10.1 . tcp . 80 : goto %s }\n", ch);
	has(&b, line);
	snprintf(line, sizeof(line), "add rule ip knetsim %s counter numgen "
		 "random mod 3 vmap {", ch);
	has(&b, line);
	snprintf(line, sizeof(line), "fib saddr type local ip saddr != @cluster-cidr jump mark-masq");
	has(&b, line);
	nft_ep_chain(&s, 0, 2, ep);
	snprintf(line, sizeof(line), " 2 : goto %s }\n", ep);
	has(&b, line);
	snprintf(line, sizeof(line), "add rule ip knetsim %s meta l4proto tcp "
		 "counter dnat to 11.0.1.4:8080\n", ep);
	has(&b, line);
	snprintf(line, sizeof(line), "add rule ip knetsim %s ip saddr 11.0.1.4 "
		 "jump mark-masq\n", ep);
	has(&b, line);
	assert_int_equal(count(b.data, "counter dnat"), 3);
	lacks(&b, "delete");
	lacks(&b, "reject");
	nft_buf_free(&b);

	/* one backend: straight to it, no anonymous map */
	svc(&s, "default", "web", 1, 1);
	assert_int_equal(nft_rules_service(&b, NULL, &s), 0);
	nft_svc_chain(&s, 0, ch);
	nft_ep_chain(&s, 0, 0, ep);
	snprintf(line, sizeof(line), "add rule ip knetsim %s counter goto %s\n", ch, ep);
	has(&b, line);
	lacks(&b, "numgen");
	nft_buf_free(&b);

	/* no backend: rejected, counted, no endpoint chain */
	svc(&s, "default", "web", 2, 0);
	assert_int_equal(nft_rules_service(&b, NULL, &s), 0);
	nft_svc_chain(&s, 0, ch);
	snprintf(line, sizeof(line), "add rule ip knetsim %s meta l4proto tcp "
		 "counter reject with tcp reset\n", ch);
	has(&b, line);
	nft_svc_chain(&s, 1, ch);
	snprintf(line, sizeof(line), "add rule ip knetsim %s counter reject "
		 "with icmp type port-unreachable\n", ch);
	has(&b, line);
	has(&b, "service-ports { 100.64.10.1 . udp . 81 : goto ");
	lacks(&b, "ep-");
	lacks(&b, "numgen");
	nft_buf_free(&b);
}

static void test_vip_only(void **state)
{
	struct proxy_service s;
	struct nft_buf b;
	char ch[NFT_CHAIN_MAX], line[256];

	(void)state;
	svc(&s, "kube-system", "dns", 0, 2);
	nft_buf_init(&b);
	assert_int_equal(nft_rules_service(&b, NULL, &s), 0);
	nft_svc_chain(&s, 0, ch);
	snprintf(line, sizeof(line), "add element ip knetsim service-ips "
		 "{ 100.64.10.1 : goto %s }\n", ch);
	has(&b, line);
	has(&b, "counter dnat to 11.0.1.2\n");
	has(&b, "counter dnat to 11.0.1.3\n");
	lacks(&b, "service-ports");
	lacks(&b, "l4proto");
	nft_buf_free(&b);

	svc(&s, "kube-system", "dns", 0, 0);
	assert_int_equal(nft_rules_service(&b, NULL, &s), 0);
	has(&b, "meta l4proto tcp counter reject with tcp reset\n");
	has(&b, "counter reject with icmp type port-unreachable\n");
	nft_buf_free(&b);
}

static void test_diff(void **state)
{
	struct proxy_service a, c;
	struct nft_buf b;
	char ch[NFT_CHAIN_MAX], ep[NFT_CHAIN_MAX], line[256];

	(void)state;
	nft_buf_init(&b);
	/* unchanged: nothing */
	svc(&a, "default", "web", 2, 3);
	c = a;
	assert_int_equal(nft_rules_service(&b, &a, &c), 0);
	assert_int_equal(b.len, 0);

	/* one backend gone: its endpoint chains go, the others stay,
	 * the service chains are rewritten, the map is untouched */
	c.n_backends = 2;
	assert_int_equal(nft_rules_service(&b, &a, &c), 0);
	lacks(&b, "element");
	lacks(&b, "add chain ip knetsim ep-");
	nft_ep_chain(&a, 0, 2, ep);
	snprintf(line, sizeof(line), "delete chain ip knetsim %s\n", ep);
	has(&b, line);
	nft_ep_chain(&a, 1, 2, ep);
	snprintf(line, sizeof(line), "delete chain ip knetsim %s\n", ep);
	has(&b, line);
	nft_ep_chain(&a, 0, 0, ep);
	snprintf(line, sizeof(line), "chain ip knetsim %s\n", ep);
	lacks(&b, line);
	nft_svc_chain(&c, 0, ch);
	snprintf(line, sizeof(line), "flush chain ip knetsim %s\n", ch);
	has(&b, line);
	has(&b, "numgen random mod 2 vmap");
	assert_int_equal(count(b.data, "delete chain"), 2);
	nft_buf_free(&b);

	/* one backend added: only its endpoint chains are added */
	assert_int_equal(nft_rules_service(&b, &c, &a), 0);
	assert_int_equal(count(b.data, "add chain ip knetsim ep-"), 2);
	lacks(&b, "delete");
	lacks(&b, "element");
	nft_buf_free(&b);

	/* a port removed: its element and chains go */
	c = a;
	c.n_ports = 1;
	assert_int_equal(nft_rules_service(&b, &a, &c), 0);
	has(&b, "delete element ip knetsim service-ports { 100.64.10.1 . udp . 81 : goto ");
	nft_svc_chain(&a, 1, ch);
	snprintf(line, sizeof(line), "delete chain ip knetsim %s\n", ch);
	has(&b, line);
	assert_int_equal(count(b.data, "delete chain ip knetsim ep-"), 3);
	lacks(&b, "add ");
	nft_buf_free(&b);

	/* VIP moved: elements swapped, chains untouched */
	c = a;
	c.vip = VIP + 1;
	assert_int_equal(nft_rules_service(&b, &a, &c), 0);
	assert_int_equal(count(b.data, "delete element"), 2);
	assert_int_equal(count(b.data, "add element"), 2);
	has(&b, "100.64.10.2 . tcp . 80");
	lacks(&b, "chain");
	nft_buf_free(&b);

	/* target port changed: new endpoint chains, old ones deleted */
	c = a;
	c.ports[0].target_port = 9090;
	assert_int_equal(nft_rules_service(&b, &a, &c), 0);
	assert_int_equal(count(b.data, "add chain ip knetsim ep-"), 3);
	assert_int_equal(count(b.data, "delete chain ip knetsim ep-"), 3);
	has(&b, ":9090\n");
	nft_buf_free(&b);

	/* delete */
	nft_rules_service_del(&b, &a);
	assert_int_equal(count(b.data, "delete element"), 2);
	assert_int_equal(count(b.data, "delete chain ip knetsim svc-"), 2);
	assert_int_equal(count(b.data, "delete chain ip knetsim ep-"), 6);
	/* elements go before the chains they point to */
	assert_true(strstr(b.data, "delete element") <
		    strstr(b.data, "delete chain"));
	nft_buf_free(&b);

	/* different services: refused */
	svc(&c, "default", "other", 1, 1);
	assert_int_equal(nft_rules_service(&b, &a, &c), -EINVAL);
	nft_buf_free(&b);
}

static void test_invalid(void **state)
{
	struct proxy_service s;
	struct nft_buf b;

	(void)state;
	nft_buf_init(&b);
	svc(&s, "default", "web", 1, 1);
	s.ports[0].proto = 1; /* ICMP: not a port protocol */
	assert_int_equal(nft_rules_service(&b, NULL, &s), -EINVAL);
	svc(&s, "default", "web", 1, 1);
	s.ports[0].target_port = 0;
	assert_int_equal(nft_rules_service(&b, NULL, &s), -EINVAL);
	svc(&s, "", "web", 1, 1);
	assert_int_equal(nft_rules_service(&b, NULL, &s), -EINVAL);
	svc(&s, "default", "web", 1, 1);
	s.n_backends = PROXY_BACKENDS_MAX + 1;
	assert_int_equal(nft_rules_service(&b, NULL, &s), -EINVAL);
	svc(&s, "default", "web", 1, 1);
	s.vip = 0;
	assert_int_equal(nft_rules_service(&b, NULL, &s), -EINVAL);
	assert_int_equal(b.len, 0);
	nft_buf_free(&b);
}

static void test_linear(void **state)
{
	struct proxy_service a, v, z;
	const struct proxy_service *all[] = { &a, &v, &z };
	struct nft_buf b;

	(void)state;
	svc(&a, "default", "web", 2, 2);
	svc(&v, "default", "vip", 0, 3);
	v.vip = VIP + 1;
	svc(&z, "default", "none", 1, 0);
	z.vip = VIP + 2;
	nft_buf_init(&b);
	nft_rules_linear(&b, all, 3);
	assert_int_equal(b.err, 0);
	has(&b, "flush chain ip knetsim services-linear\n");
	has(&b, "add rule ip knetsim services-linear ip daddr 100.64.10.1 tcp dport 80 "
	     "counter dnat to numgen random mod 2 map { 0 : 11.0.1.2, 1 : 11.0.1.3 } : 8080\n");
	has(&b, "ip daddr 100.64.10.1 udp dport 81 counter dnat to numgen random mod 2 "
	     "map { 0 : 11.0.1.2, 1 : 11.0.1.3 } : 8081\n");
	has(&b, "ip daddr 100.64.10.2 counter dnat to numgen random mod 3 map "
	     "{ 0 : 11.0.1.2, 1 : 11.0.1.3, 2 : 11.0.1.4 }\n");
	has(&b, "ip daddr 100.64.10.3 tcp dport 80 meta l4proto tcp counter reject with tcp reset\n");
	lacks(&b, "ep-");
	lacks(&b, "svc-");
	assert_int_equal(count(b.data, "add rule"), 4);
	nft_buf_free(&b);
}

static void test_buf_growth(void **state)
{
	struct proxy_service *s = test_malloc(sizeof(*s));
	struct nft_buf b;

	(void)state;
	svc(s, "default", "big", PROXY_PORTS_MAX, PROXY_BACKENDS_MAX);
	for (size_t j = 0; j < PROXY_BACKENDS_MAX; j++)
		s->backends[j] = 0x0b000000u + (uint32_t)j + 1;
	nft_buf_init(&b);
	assert_int_equal(nft_rules_service(&b, NULL, s), 0);
	assert_int_equal(count(b.data, "counter dnat"),
			 PROXY_PORTS_MAX * PROXY_BACKENDS_MAX);
	assert_int_equal(strlen(b.data), b.len);
	nft_buf_free(&b);
	test_free(s);
}

static void test_sweep(void **state)
{
	struct proxy_service old, now, other;
	struct nft_inventory inv = { 0 };
	struct nft_buf b;
	char c[NFT_CHAIN_MAX], line[256];

	(void)state;
	svc(&old, "default", "web", 2, 3);
	svc(&other, "default", "web-tcp80", 1, 1);  /* a look-alike name */
	other.vip = VIP + 5;
	/* what a previous agent left: old and other */
	for (size_t i = 0; i < 2; i++) {
		nft_svc_chain(&old, i, c);
		assert_int_equal(nft_inventory_add_chain(&inv, c), 0);
		for (size_t j = 0; j < 3; j++) {
			nft_ep_chain(&old, i, j, c);
			assert_int_equal(nft_inventory_add_chain(&inv, c), 0);
		}
	}
	nft_svc_chain(&old, 0, c);
	assert_int_equal(nft_inventory_add_elem(&inv, "service-ports",
						"100.64.10.1 . tcp . 80", c), 0);
	nft_svc_chain(&old, 1, c);
	assert_int_equal(nft_inventory_add_elem(&inv, "service-ports",
						"100.64.10.1 . udp . 81", c), 0);
	nft_svc_chain(&other, 0, c);
	assert_int_equal(nft_inventory_add_chain(&inv, c), 0);
	assert_int_equal(nft_inventory_add_elem(&inv, "service-ports",
						"100.64.10.6 . tcp . 80", c), 0);
	nft_ep_chain(&other, 0, 0, c);
	assert_int_equal(nft_inventory_add_chain(&inv, c), 0);
	assert_int_equal(inv.n_chains, 10);

	/* now: one port, two backends */
	svc(&now, "default", "web", 1, 2);
	nft_buf_init(&b);
	nft_rules_sweep(&b, &inv, "default", "web", &now);
	assert_int_equal(b.err, 0);
	has(&b, "delete element ip knetsim service-ports { 100.64.10.1 . udp . 81 }\n");
	lacks(&b, ". tcp . 80");
	nft_svc_chain(&old, 1, c);
	snprintf(line, sizeof(line), "flush chain ip knetsim %s\ndelete chain ip knetsim %s\n", c, c);
	has(&b, line);
	/* udp81's three and tcp80's third */
	assert_int_equal(count(b.data, "delete chain ip knetsim ep-"), 4);
	nft_ep_chain(&old, 0, 2, c);
	has(&b, c);
	nft_ep_chain(&old, 0, 1, c);
	lacks(&b, c);
	/* the look-alike is not touched, and stays in the inventory */
	nft_svc_chain(&other, 0, c);
	lacks(&b, c);
	assert_int_equal(inv.n_chains, 2);
	assert_int_equal(inv.n_elems, 1);
	nft_buf_free(&b);

	/* the look-alike deleted while no agent ran */
	nft_rules_sweep(&b, &inv, "default", "web-tcp80", NULL);
	has(&b, "delete element ip knetsim service-ports { 100.64.10.6 . tcp . 80 }\n");
	assert_int_equal(count(b.data, "delete chain"), 2);
	assert_int_equal(inv.n_chains, 0);
	assert_int_equal(inv.n_elems, 0);
	nft_buf_free(&b);

	assert_int_equal(nft_inventory_add_chain(&inv,
		"a-name-far-too-long-for-a-chain-of-ours-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
		-EINVAL);
	nft_inventory_free(&inv);
}

/* Keeps the owner in ctx (one service's hash). */
static bool keep_one(uint32_t owner, void *ctx)
{
	return owner == *(const uint32_t *)ctx;
}

static void add_all(struct nft_inventory *inv, const struct proxy_service *s)
{
	char c[NFT_CHAIN_MAX], key[48];

	for (size_t i = 0; i < (s->n_ports ? s->n_ports : 1); i++) {
		nft_svc_chain(s, i, c);
		assert_int_equal(nft_inventory_add_chain(inv, c), 0);
		snprintf(key, sizeof(key), "100.64.10.%u . %s . %u", s->vip & 0xff,
			 s->ports[i].proto == IPPROTO_UDP ? "udp" : "tcp",
			 s->ports[i].port);
		assert_int_equal(nft_inventory_add_elem(inv, "service-ports", key, c), 0);
		for (size_t j = 0; j < s->n_backends; j++) {
			nft_ep_chain(s, i, j, c);
			assert_int_equal(nft_inventory_add_chain(inv, c), 0);
		}
	}
}

/* Leftovers of services that are gone: deleted, elements first, service
 * chains flushed before the endpoint chains they jump to go. */
static void test_prune(void **state)
{
	struct proxy_service web, gone;
	struct nft_inventory inv = { 0 };
	uint32_t keep = nft_svc_hash("default", "web");
	char c[NFT_CHAIN_MAX];
	struct nft_buf b;
	const char *el, *fl, *ep;

	(void)state;
	svc(&web, "default", "web", 2, 2);
	svc(&gone, "default", "gone", 1, 1);
	gone.vip = VIP + 1;
	add_all(&inv, &web);
	add_all(&inv, &gone);
	/* not a name of ours: belongs to no service */
	assert_int_equal(nft_inventory_add_chain(&inv, "svc-odd"), 0);
	assert_int_equal(inv.n_chains, 9);
	assert_int_equal(inv.n_elems, 3);

	nft_buf_init(&b);
	nft_rules_prune(&b, &inv, keep_one, &keep);
	assert_int_equal(b.err, 0);
	has(&b, "delete element ip knetsim service-ports { 100.64.10.2 . tcp . 80 }\n");
	nft_svc_chain(&gone, 0, c);
	has(&b, c);
	has(&b, "flush chain ip knetsim svc-odd\ndelete chain ip knetsim svc-odd\n");
	nft_ep_chain(&gone, 0, 0, c);
	has(&b, c);
	el = strstr(b.data, "delete element");
	fl = strstr(b.data, "flush chain");
	ep = strstr(b.data, "delete chain ip knetsim ep-");
	assert_true(el && fl && ep && el < fl && fl < ep);
	lacks(&b, "svc-default-web");
	lacks(&b, "100.64.10.1 ");
	assert_int_equal(count(b.data, "delete chain"), 3);
	assert_int_equal(inv.n_chains, 6);
	assert_int_equal(inv.n_elems, 2);

	/* the transaction failed: everything is back, and goes again */
	nft_inventory_rollback(&inv);
	assert_int_equal(inv.n_chains, 9);
	assert_int_equal(inv.n_elems, 3);
	nft_buf_free(&b);
	nft_rules_prune(&b, &inv, keep_one, &keep);
	assert_int_equal(count(b.data, "delete chain"), 3);
	nft_inventory_commit(&inv);
	nft_inventory_rollback(&inv);
	assert_int_equal(inv.n_chains, 6);
	nft_buf_free(&b);

	/* a sweep of the kept service still finds its objects */
	nft_rules_sweep(&b, &inv, "default", "web", NULL);
	assert_int_equal(count(b.data, "delete element"), 2);
	assert_int_equal(count(b.data, "delete chain"), 6);
	assert_int_equal(inv.n_chains, 0);
	assert_int_equal(inv.n_elems, 0);
	nft_buf_free(&b);
	/* nothing left: nothing emitted */
	nft_rules_prune(&b, &inv, NULL, NULL);
	assert_int_equal(b.len, 0);
	nft_inventory_free(&inv);
}

/* Thousands of services' leftovers: each sweep finds its own among them. */
static void test_sweep_many(void **state)
{
	struct nft_inventory inv = { 0 };
	struct proxy_service *s = test_malloc(sizeof(*s));
	char name[32];
	struct nft_buf b;

	(void)state;
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		svc(s, "default", name, 1, 1);
		s->vip = VIP + (uint32_t)i;
		add_all(&inv, s);
	}
	assert_int_equal(inv.n_chains, 6000);
	nft_buf_init(&b);
	for (int i = 0; i < 3000; i += 2) {
		snprintf(name, sizeof(name), "s%d", i);
		nft_rules_sweep(&b, &inv, "default", name, NULL);
	}
	assert_int_equal(count(b.data, "delete element"), 1500);
	assert_int_equal(inv.n_chains, 3000);
	nft_inventory_commit(&inv);
	nft_buf_free(&b);
	nft_rules_prune(&b, &inv, NULL, NULL);
	assert_int_equal(count(b.data, "delete element"), 1500);
	assert_int_equal(inv.n_chains + inv.n_elems, 0);
	nft_buf_free(&b);
	nft_inventory_free(&inv);
	test_free(s);
}

static void test_linear_one_backend(void **state)
{
	struct proxy_service a, v;
	const struct proxy_service *all[] = { &a, &v };
	struct nft_buf b;

	(void)state;
	svc(&a, "default", "web", 1, 1);
	svc(&v, "default", "vip", 0, 1);
	v.vip = VIP + 1;
	nft_buf_init(&b);
	nft_rules_linear(&b, all, 2);
	has(&b, "ip daddr 100.64.10.1 tcp dport 80 counter dnat to 11.0.1.2:8080\n");
	has(&b, "ip daddr 100.64.10.2 counter dnat to 11.0.1.2\n");
	lacks(&b, "numgen");
	/* in the order given */
	assert_true(strstr(b.data, "100.64.10.1") < strstr(b.data, "100.64.10.2"));
	nft_buf_free(&b);
	nft_buf_init(&b);
	nft_rules_init(&b, NFT_FORM_CHAINS, &test_cluster);
	has(&b, "flush chain ip knetsim services-linear\n");
	nft_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_init),
		cmocka_unit_test(test_ported),
		cmocka_unit_test(test_vip_only),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_linear),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_sweep),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_sweep_many),
		cmocka_unit_test(test_linear_one_backend),
	};

	return cmocka_run_group_tests_name("nft_rules", tests, NULL, NULL);
}
