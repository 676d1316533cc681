// SPDX-License-Identifier: MIT
/* The topology's multicluster section: what it resolves to, every kind of
 * bad input refused with file, line and field, the saved form reloading
 * identically; and the per-cluster plan (skupper-router and nginx
 * configurations) drawn from it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_plan.h"
#include "topology.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Lines 1-25: three clusters, C0 with pods c1..c4 and a service web. */
#define CLUSTERS \
	"underlay: {subnet: 10.0.0.0/24}\n" \
	"clusters:\n" \
	"  - name: C0\n" \
	"    workers: [C0w1, C0w2, C0w3]\n" \
	"    etcd: [C0e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n" \
	"    pods:\n" \
	"      - {name: c1, worker: C0w1}\n" \
	"      - {name: c4, worker: C0w3}\n" \
	"      - {name: both, worker: C0w2}\n" \
	"    services:\n" \
	"      - {name: web, vip: 100.64.10.2, pods: [c4], ports: [{port: 8080, targetPort: 80, protocol: tcp}, {port: 53, protocol: udp}]}\n" \
	"      - {name: any, vip: 100.64.10.3, pods: [c4]}\n" \
	"      - {name: both, vip: 100.64.10.4, pods: [c1]}\n" \
	"  - name: C1\n" \
	"    workers: [C1w1, C1w2]\n" \
	"    etcd: [C1e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n" \
	"    pods:\n" \
	"      - {name: c2, worker: C1w2}\n" \
	"  - name: C2\n" \
	"    workers: [C2w1]\n" \
	"    etcd: [C2e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n" \
	"multicluster:\n"

struct bad {
	const char *name;
	const char *text;    /* after CLUSTERS (line 26 on) */
	const char *where;
	const char *what;
};

static struct topology *parse(const char *tail, char *err, size_t errlen)
{
	size_t len = strlen(CLUSTERS) + strlen(tail) + 1;
	char *text = malloc(len);
	struct topology *t;

	assert_non_null(text);
	snprintf(text, len, "%s%s", CLUSTERS, tail);
	t = topology_parse(text, strlen(text), "x.yaml", err, errlen);
	free(text);
	return t;
}

static struct topology *parse_ok(const char *tail)
{
	char err[512];
	struct topology *t = parse(tail, err, sizeof(err));

	if (!t)
		fail_msg("rejected: %s\n%s", err, tail);
	return t;
}

static void check_bad(const struct bad *b, size_t n)
{
	size_t failed = 0;
	char err[512];

	for (size_t i = 0; i < n; i++) {
		struct topology *t;

		err[0] = '\0';
		t = parse(b[i].text, err, sizeof(err));
		if (t) {
			topology_free(t);
			print_error("%s: accepted\n%s\n", b[i].name, b[i].text);
			failed++;
		} else if (strncmp(err, b[i].where, strlen(b[i].where)) ||
			   !strstr(err, b[i].what)) {
			print_error("%s: message\n  \"%s\"\nexpected\n  \"%s ... %s\"\n",
				    b[i].name, err, b[i].where, b[i].what);
			failed++;
		} else if (getenv("KNETSIM_TEST_VERBOSE")) {
			print_message("%-40s %s\n", b[i].name, err);
		}
	}
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, n);
}

#define LINK10 "  links: [{from: C1, to: C0}]\n"

static void test_resolves(void **state)
{
	struct topology *t;
	const struct topo_mc_export *e;

	(void)state;
	t = parse_ok("  gateway: nginx\n"
		     "  links:\n"
		     "    - {from: C1, to: C0}\n"
		     "    - {from: C2, to: C1}\n"
		     "  exports:\n"
		     "    - {name: page, cluster: C0, target: c4, port: 80, listen: 1028}\n"
		     "    - {name: web, cluster: C0, target: web, port: 8080, listen: 1029, clusters: [C2]}\n"
		     "    - {name: any, cluster: C0, target: any, port: 9, listen: 1030}\n");
	assert_true(t->mc.enabled);
	assert_int_equal(t->mc.gateway, MC_GATEWAY_NGINX);
	assert_int_equal(t->mc.n_links, 2);
	assert_int_equal(t->mc.links[0].from, 1);
	assert_int_equal(t->mc.links[0].to, 0);
	assert_int_equal(t->mc.n_exports, 3);
	e = &t->mc.exports[0];
	assert_string_equal(e->name, "page");
	assert_int_equal(e->kind, MC_TARGET_POD);
	assert_string_equal(t->pods[e->target].name, "c4");
	assert_int_equal(e->port, 80);
	assert_int_equal(e->listen, 1028);
	/* Every cluster linked to C0, through C1 for C2. */
	assert_int_equal(e->n_consumers, 2);
	assert_int_equal(e->consumers[0], 1);
	assert_int_equal(e->consumers[1], 2);
	e = &t->mc.exports[1];
	assert_int_equal(e->kind, MC_TARGET_SERVICE);
	assert_string_equal(t->services[e->target].spec.name, "web");
	assert_int_equal(e->n_consumers, 1);
	assert_int_equal(e->consumers[0], 2);
	/* A port-less service takes any port. */
	assert_int_equal(t->mc.exports[2].kind, MC_TARGET_SERVICE);
	topology_free(t);

	/* Gateway defaults to auto; a section with only links is fine. */
	t = parse_ok(LINK10);
	assert_int_equal(t->mc.gateway, MC_GATEWAY_AUTO);
	assert_int_equal(t->mc.n_exports, 0);
	topology_free(t);

	/* No section, or an empty one: nothing enabled. */
	t = parse_ok("");
	assert_false(t->mc.enabled);
	topology_free(t);
}

static void test_bad_sections(void **state)
{
	static const struct bad bad[] = {
		{ "not a map", "  - a\n", "x.yaml:26: multicluster: ",
		  "expected a map of gateway, links, exports" },
		{ "unknown field", "  gateways: nginx\n",
		  "x.yaml:26: multicluster: ", "unknown field \"gateways\"" },
		{ "unknown gateway", "  gateway: istio\n",
		  "x.yaml:26: multicluster.gateway: ",
		  "unknown gateway \"istio\" (expected auto, skupper or nginx)" },
		{ "gateway list", "  gateway: [nginx]\n",
		  "x.yaml:26: multicluster.gateway: ", "unknown gateway" },
		{ "links not a list", "  links: {from: C1, to: C0}\n",
		  "x.yaml:26: multicluster.links: ", "expected a list of links" },
		{ "link not a map", "  links: [C1]\n",
		  "x.yaml:26: multicluster.links[0]: ", "expected a map of from, to" },
		{ "link unknown field", "  links: [{from: C1, to: C0, cost: 2}]\n",
		  "x.yaml:26: multicluster.links[0]: ", "unknown field \"cost\"" },
		{ "link without to", "  links: [{from: C1}]\n",
		  "x.yaml:26: multicluster.links[0]: ", "to: missing" },
		{ "link to unknown cluster", "  links: [{from: C1, to: C9}]\n",
		  "x.yaml:26: multicluster.links[0]: ",
		  "to: no cluster named \"C9\" (expected one of C0, C1, C2)" },
		{ "link from unknown cluster", "  links: [{from: X, to: C0}]\n",
		  "x.yaml:26: multicluster.links[0]: ",
		  "from: no cluster named \"X\"" },
		{ "self link", "  links: [{from: C1, to: C1}]\n",
		  "x.yaml:26: multicluster.links[0]: ", "C1 links to itself" },
		{ "duplicate link",
		  "  links:\n"
		  "    - {from: C1, to: C0}\n"
		  "    - {from: C0, to: C1}\n",
		  "x.yaml:28: multicluster.links[1]: ",
		  "C0 and C1 are already linked (line 27)" },
		{ "link names a list", "  links: [{from: [C1], to: C0}]\n",
		  "x.yaml:26: multicluster.links[0]: ", "from: expected the name of a cluster, got a list" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

static void test_bad_exports(void **state)
{
	static const struct bad bad[] = {
		{ "exports not a list", LINK10 "  exports: {name: a}\n",
		  "x.yaml:27: multicluster.exports: ", "expected a list of exports" },
		{ "export not a map", LINK10 "  exports: [a]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "expected a map of name" },
		{ "unknown field", LINK10 "  exports: [{name: a, protocol: tcp}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "unknown field \"protocol\"" },
		{ "no name", LINK10 "  exports: [{cluster: C0}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "name: missing" },
		{ "bad name", LINK10 "  exports: [{name: \"a b\", cluster: C0}]\n",
		  "x.yaml:27: multicluster.exports[0]: ",
		  "name: \"a b\" is not an export name" },
		{ "long name", LINK10 "  exports: [{name: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, cluster: C0}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "is not an export name" },
		{ "unknown cluster", LINK10 "  exports: [{name: a, cluster: C7, target: c4, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "cluster: no cluster named \"C7\"" },
		{ "unknown target", LINK10 "  exports: [{name: a, cluster: C0, target: c9, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ",
		  "target: no pod or service named \"c9\" in cluster C0" },
		{ "target of another cluster", LINK10 "  exports: [{name: a, cluster: C0, target: c2, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "no pod or service named \"c2\"" },
		{ "ambiguous target", LINK10 "  exports: [{name: a, cluster: C0, target: both, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ",
		  "\"both\" names both a pod and a service of cluster C0" },
		{ "no port", LINK10 "  exports: [{name: a, cluster: C0, target: c4, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "port: missing" },
		{ "port 0", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 0, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "port: 0 is out of range" },
		{ "port too big", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 65536, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "port: 65536 is out of range" },
		{ "port string", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: \"80\", listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "port: \"80\" is not a port" },
		{ "port word", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: http, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "port: \"http\" is not a port" },
		{ "listen missing", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "listen: missing" },
		{ "listen on the router's AMQP port", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 5672}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "listen: port 5672 is the router's own" },
		{ "listen on the inter-router port", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 55671}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "inter-router" },
		{ "service without that port", LINK10 "  exports: [{name: a, cluster: C0, target: web, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ",
		  "port: service web has no TCP port 80 (its ports: 8080/TCP, 53/UDP)" },
		{ "service port only UDP", LINK10 "  exports: [{name: a, cluster: C0, target: web, port: 53, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "has no TCP port 53" },
		{ "target in a cluster without pods", LINK10 "  exports: [{name: a, cluster: C2, target: x, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ", "target: no pod or service named \"x\" in cluster C2" },
		{ "duplicate name", LINK10
		  "  exports:\n"
		  "    - {name: a, cluster: C0, target: c4, port: 80, listen: 1028}\n"
		  "    - {name: a, cluster: C0, target: c1, port: 80, listen: 1029}\n",
		  "x.yaml:29: multicluster.exports[1]: ",
		  "export \"a\" is declared twice (first on line 28)" },
		{ "port clash", LINK10
		  "  exports:\n"
		  "    - {name: a, cluster: C0, target: c4, port: 80, listen: 1028}\n"
		  "    - {name: b, cluster: C0, target: c1, port: 80, listen: 1028}\n",
		  "x.yaml:29: multicluster.exports[1]: ",
		  "listen: port 1028 is already opened for export \"a\" (line 28" },
		{ "consumers not a list", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: C1}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ", "expected a list of cluster names" },
		{ "consumers empty", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: []}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ", "empty" },
		{ "consumer unknown", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: [C8]}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ", "no cluster named \"C8\"" },
		{ "consumer is the exporter", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: [C0]}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ",
		  "C0 is the cluster the service lives in" },
		{ "consumer not linked", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: [C2]}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ",
		  "C2 is not linked to C0" },
		{ "consumer twice", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: [C1, C1]}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ", "C1 is listed twice" },
		{ "consumer not a name", LINK10 "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028, clusters: [[C1]]}]\n",
		  "x.yaml:27: multicluster.exports[0].clusters: ", "expected a list of cluster names" },
		{ "exporter has no link",
		  "  links: []\n"
		  "  exports: [{name: a, cluster: C0, target: c4, port: 80, listen: 1028}]\n",
		  "x.yaml:27: multicluster.exports[0]: ",
		  "cluster C0 has no multicluster link" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

/* An ingress and a router cannot share a port of the router's worker. */
static void test_ingress_clash(void **state)
{
	static const char head[] =
		"clusters:\n"
		"  - name: C0\n"
		"    workers: [C0w1, C0w2]\n"
		"    etcd: [C0e1]\n"
		"    network: {Network: 11.0.0.0/8}\n"
		"    pods: [{name: c4, worker: C0w2}]\n"
		"    services: [{name: s, vip: 100.64.10.2, pods: [c4]}]\n"
		"    ingresses:\n"
		"      - {name: g, worker: %s, port: %s, paths: [{path: /a, service: s, port: 80}]}\n"
		"  - name: C1\n"
		"    workers: [C1w1]\n"
		"    etcd: [C1e1]\n"
		"    network: {Network: 11.0.0.0/8}\n"
		"multicluster:\n"
		"  links: [{from: C1, to: C0}]\n"
		"  exports: [{name: web, cluster: C0, target: c4, port: 80, listen: 1028}]\n";
	static const struct {
		const char *worker, *port, *what;
	} cases[] = {
		{ "C0w1", "1028", "port 1028 of C0w1 is both ingress g's and the multi-cluster router's (web" },
		{ "C0w1", "55671", "(the router itself" },
		{ "C0w2", "1028", NULL },     /* not the router's worker */
		{ "C0w1", "8001", NULL },
	};
	char text[1024], err[512];

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		struct topology *t;

		snprintf(text, sizeof(text), head, cases[i].worker, cases[i].port);
		t = topology_parse(text, strlen(text), "x.yaml", err, sizeof(err));
		if (!cases[i].what) {
			if (!t)
				fail_msg("case %zu rejected: %s", i, err);
			topology_free(t);
			continue;
		}
		if (t)
			fail_msg("case %zu accepted", i);
		if (!strstr(err, cases[i].what) || strncmp(err, "x.yaml:9: multicluster: ", 24))
			fail_msg("case %zu: %s", i, err);
	}
}

/* The saved form reloads to the same thing, consumers written out. */
static void test_round_trip(void **state)
{
	struct topology *t, *u;
	char err[512], *a, *b;

	(void)state;
	t = parse_ok("  gateway: skupper\n"
		     "  links: [{from: C1, to: C0}, {from: C2, to: C0}]\n"
		     "  exports:\n"
		     "    - {name: page, cluster: C0, target: c4, port: 80, listen: 1028}\n"
		     "    - {name: web, cluster: C0, target: web, port: 8080, listen: 1029, clusters: [C2]}\n");
	a = topology_to_json(t);
	assert_non_null(a);
	if (!strstr(a, "\"gateway\":\t\"skupper\"") ||
	    !strstr(a, "\"clusters\":\t[\"C1\", \"C2\"]") ||
	    !strstr(a, "\"target\":\t\"web\""))
		fail_msg("unexpected JSON:\n%s", a);
	u = topology_parse(a, strlen(a), "saved.json", err, sizeof(err));
	if (!u)
		fail_msg("%s\n%s", err, a);
	b = topology_to_json(u);
	assert_string_equal(a, b);
	free(a);
	free(b);
	topology_free(u);
	topology_free(t);

	/* Without the section, none is written. */
	t = parse_ok("");
	a = topology_to_json(t);
	assert_null(strstr(a, "multicluster"));
	free(a);
	topology_free(t);
}

/* --- the plan --- */

static const uint32_t targets[] = { IP(11, 10, 32, 3), IP(100, 64, 10, 2) };

static struct topology *plan_topology(void)
{
	return parse_ok("  links: [{from: C1, to: C0}]\n"
			"  exports:\n"
			"    - {name: page, cluster: C0, target: c4, port: 80, listen: 1028}\n"
			"    - {name: web, cluster: C0, target: web, port: 8080, listen: 1029}\n");
}

static void expect(const char *text, const char *needle)
{
	if (!strstr(text, needle))
		fail_msg("missing \"%s\" in:\n%s", needle, text);
}

static void test_plan_basics(void **state)
{
	struct topology *t = plan_topology();
	char buf[PATH_MAX];

	(void)state;
	assert_true(mc_cluster_linked(t, 0));
	assert_true(mc_cluster_linked(t, 1));
	assert_false(mc_cluster_linked(t, 2));
	assert_string_equal(mc_router_node(t, 1)->name, "C1w1");
	assert_true(mc_nginx_needed(t, 0));
	assert_true(mc_nginx_needed(t, 1));
	assert_false(mc_nginx_needed(t, 2));
	assert_int_equal(mc_gateway_resolve(MC_GATEWAY_AUTO, true), MC_GATEWAY_SKUPPER);
	assert_int_equal(mc_gateway_resolve(MC_GATEWAY_AUTO, false), MC_GATEWAY_NGINX);
	assert_int_equal(mc_gateway_resolve(MC_GATEWAY_NGINX, true), MC_GATEWAY_NGINX);
	assert_int_equal(mc_gateway_resolve(MC_GATEWAY_SKUPPER, false), MC_GATEWAY_SKUPPER);
	assert_string_equal(mc_path("/run/knetsim/s/mc", "C0", "router.crt", buf),
			    "/run/knetsim/s/mc/C0/router.crt");
	assert_string_equal(mc_path("/run/knetsim/s/mc", NULL, "ca.crt", buf),
			    "/run/knetsim/s/mc/ca.crt");
	assert_string_equal(mc_gateway_name(MC_GATEWAY_NGINX), "nginx");
	topology_free(t);
}

static void test_plan_skrouter(void **state)
{
	struct topology *t = plan_topology();
	char err[256], *c0, *c1;

	(void)state;
	c0 = mc_render_skrouter(t, 0, "/run/knetsim/s/mc", targets, err, sizeof(err));
	c1 = mc_render_skrouter(t, 1, "/run/knetsim/s/mc", targets, err, sizeof(err));
	if (!c0 || !c1)
		fail_msg("%s", err);
	/* C0: listens for C1's router, hosts both services. */
	expect(c0, "\"id\":\t\"C0\"");
	expect(c0, "\"role\":\t\"inter-router\"");
	expect(c0, "\"port\":\t\"55671\"");
	expect(c0, "\"certFile\":\t\"/run/knetsim/s/mc/C0/router.crt\"");
	expect(c0, "\"caCertFile\":\t\"/run/knetsim/s/mc/ca.crt\"");
	expect(c0, "\"tcpConnector\"");
	expect(c0, "\"host\":\t\"11.10.32.3\"");
	expect(c0, "\"host\":\t\"100.64.10.2\"");
	assert_null(strstr(c0, "\"tcpListener\""));
	assert_null(strstr(c0, "\"connector\""));
	/* C1: connects to C0w1 (10.0.0.1), consumes both. */
	expect(c1, "\"connector\"");
	expect(c1, "\"host\":\t\"10.0.0.1\"");
	expect(c1, "\"tcpListener\"");
	expect(c1, "\"port\":\t\"1028\"");
	expect(c1, "\"port\":\t\"1029\"");
	assert_null(strstr(c1, "\"tcpConnector\""));
	free(c0);
	free(c1);
	/* A directory too long for the paths is refused, not cut. */
	{
		char dir[PATH_MAX];

		memset(dir, 'a', sizeof(dir) - 1);
		dir[0] = '/';
		dir[sizeof(dir) - 1] = '\0';
		assert_null(mc_render_skrouter(t, 0, dir, targets, err, sizeof(err)));
	}
	topology_free(t);
}

static void test_plan_nginx(void **state)
{
	struct topology *t = plan_topology();
	char err[256], *c0, *c1, *c2;

	(void)state;
	c0 = mc_render_nginx(t, 0, "/run/knetsim/s/mc", targets,
			     "/usr/lib/nginx/modules/ngx_stream_module.so", err,
			     sizeof(err));
	c1 = mc_render_nginx(t, 1, "/run/knetsim/s/mc", targets, NULL, err,
			     sizeof(err));
	if (!c0 || !c1)
		fail_msg("%s", err);
	expect(c0, "load_module /usr/lib/nginx/modules/ngx_stream_module.so;");
	expect(c0, "listen 0.0.0.0:1028 ssl;");
	expect(c0, "proxy_pass 11.10.32.3:80;");
	expect(c0, "listen 0.0.0.0:1029 ssl;");
	expect(c0, "proxy_pass 100.64.10.2:8080;");
	expect(c0, "ssl_verify_client on;");
	expect(c0, "pid /run/knetsim/s/mc/C0/nginx.pid;");
	assert_null(strstr(c1, "load_module"));
	expect(c1, "listen 0.0.0.0:1028;");
	expect(c1, "proxy_pass 10.0.0.1:1028;");
	expect(c1, "proxy_ssl_name C0w1;");
	expect(c1, "proxy_ssl_certificate /run/knetsim/s/mc/C1/router.crt;");
	/* C2 takes no part: nothing to serve. */
	c2 = mc_render_nginx(t, 2, "/run/knetsim/s/mc", targets, NULL, err,
			     sizeof(err));
	assert_null(c2);
	expect(err, "no export and no import");
	free(c0);
	free(c1);
	topology_free(t);
}

/* The course's export in the default topology. */
static void test_default_file(void **state)
{
	const char *src = getenv("KNETSIM_SRCDIR");
	char path[PATH_MAX], err[512];
	const struct topo_mc_export *e;
	struct topology *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/default.yaml", src && *src ? src : ".");
	t = topology_load(path, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_true(t->mc.enabled);
	assert_int_equal(t->mc.gateway, MC_GATEWAY_AUTO);
	assert_int_equal(t->mc.n_links, 1);
	assert_string_equal(t->clusters[t->mc.links[0].from].name, "C1");
	assert_string_equal(t->clusters[t->mc.links[0].to].name, "C0");
	assert_int_equal(t->mc.n_exports, 1);
	e = &t->mc.exports[0];
	assert_string_equal(t->clusters[e->cluster].name, "C0");
	assert_int_equal(e->kind, MC_TARGET_POD);
	assert_string_equal(t->pods[e->target].name, "c4");
	assert_string_equal(t->nodes[t->pods[e->target].worker].name, "C0w3");
	assert_int_equal(e->port, 80);
	assert_int_equal(e->listen, 1028);
	assert_int_equal(e->n_consumers, 1);
	assert_string_equal(mc_router_node(t, e->consumers[0])->name, "C1w1");
	assert_int_equal(mc_router_node(t, e->consumers[0])->addr, IP(10, 0, 0, 7));
	topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolves),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_exports),
		cmocka_unit_test(test_ingress_clash),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_plan_basics),
		cmocka_unit_test(test_plan_skrouter),
		cmocka_unit_test(test_plan_nginx),
		cmocka_unit_test(test_default_file),
	};

	return cmocka_run_group_tests_name("multicluster topology", tests,
					   NULL, NULL);
}
