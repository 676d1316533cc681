// SPDX-License-Identifier: MIT
/* The topology loader: every kind of bad input is refused with a message
 * naming file, line and field; good input resolves completely. Fixtures
 * are inline, one string literal per line so line numbers can be read off,
 * and in tests/unit/data/ (found through $KNETSIM_SRCDIR). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "topology.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Lines 1-5: a minimal valid cluster. */
#define CLUSTER0 \
	"clusters:\n" \
	"  - name: C0\n" \
	"    workers: [C0w1, C0w2]\n" \
	"    etcd: [C0e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n"

struct bad {
	const char *name;
	const char *text;
	const char *where;   /* the message starts with this: "x.yaml:L: FIELD: " */
	const char *what;    /* and contains this */
};

static const char *srcdir(void)
{
	const char *d = getenv("KNETSIM_SRCDIR");

	return d && *d ? d : ".";
}

static char *src_path(const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", srcdir(), rel);
	return buf;
}

static struct topology *parse(const char *text, char *err, size_t errlen)
{
	return topology_parse(text, strlen(text), "x.yaml", err, errlen);
}

static struct topology *parse_ok(const char *text)
{
	char err[512];
	struct topology *t = parse(text, err, sizeof(err));

	if (!t)
		fail_msg("rejected: %s\n%s", err, text);
	return t;
}

static bool message_ok(const char *name, const char *err, const char *where,
		       const char *what)
{
	if (!strncmp(err, where, strlen(where)) && strstr(err, what))
		return true;
	print_error("%s: message\n  \"%s\"\nexpected\n  \"%s ... %s\"\n",
		    name, err, where, what);
	return false;
}

static void check_message(const char *name, const char *err,
			  const char *where, const char *what)
{
	if (!message_ok(name, err, where, what))
		fail();
}

/* Every case is tried and every failure shown before the test fails. */
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
		} else if (!message_ok(b[i].name, err, b[i].where, b[i].what)) {
			failed++;
		} else if (getenv("KNETSIM_TEST_VERBOSE")) {
			print_message("%-45s %s\n", b[i].name, err);
		}
	}
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, n);
}

/* ---- malformed documents ---- */

static void test_bad_yaml(void **state)
{
	static const struct bad bad[] = {
		{ "unclosed flow list",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1\n"
		  "    etcd: [C0e1]\n",
		  "x.yaml:4: invalid YAML: ", "(column " },
		{ "tab indentation",
		  "clusters:\n"
		  "\t- name: C0\n",
		  "x.yaml:2: invalid YAML: found character that cannot start "
		  "any token", "(column 1)" },
		{ "bad indentation",
		  "name: a\n"
		  "  underlay: b\n",
		  "x.yaml:2: invalid YAML: ", "(column " },
		{ "duplicate key",
		  "clusters: []\n"
		  "clusters: []\n",
		  "x.yaml:2: invalid YAML: duplicate key \"clusters\" (first at "
		  "line 1)", "(column 1)" },
		{ "duplicate nested key",
		  CLUSTER0
		  "    workers: [C0w9]\n",
		  "x.yaml:6: invalid YAML: duplicate key \"workers\" (first at "
		  "line 3)", "" },
		{ "two documents",
		  "name: a\n"
		  "---\n"
		  "name: b\n",
		  "x.yaml:2: invalid YAML: more than one document", "" },
		{ "anchor",
		  "name: &n lab\n"
		  CLUSTER0,
		  "x.yaml:1: invalid YAML: anchors (&n) are not supported", "" },
		{ "alias",
		  "name: *n\n"
		  CLUSTER0,
		  "x.yaml:1: invalid YAML: aliases (*n) are not supported", "" },
		{ "complex key",
		  "? [a, b]\n"
		  ": 1\n",
		  "x.yaml:1: invalid YAML: a map key must be a plain value, not "
		  "a list", "" },
		{ "deep nesting",
		  "name: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
		  "[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
		  "]]]]]]]]]]]]]]]]]]\n",
		  "x.yaml:1: invalid YAML: nested too deeply", "" },
		{ "unterminated string",
		  "name: \"lab\n",
		  "x.yaml:", "invalid YAML: " },
		{ "empty", "", "x.yaml: empty topology", "(expected a map" },
		{ "only comments", "# nothing here\n\n",
		  "x.yaml: empty topology", "" },
		{ "document marker only", "---\n", "x.yaml: empty topology", "" },
		{ "top level list", "- clusters\n",
		  "x.yaml:1: expected a map of name, underlay, clusters, links at "
		  "the top level, got a list", "" },
		{ "top level scalar", "hello\n",
		  "x.yaml:1: expected a map", "got \"hello\"" },
	};
	static const char nul[] = "name: a\0b\n";
	char err[512];

	(void)state;
	check_bad(bad, N(bad));
	/* A NUL byte in the buffer is bad input, not the end of it. */
	assert_null(topology_parse(nul, sizeof(nul) - 1, "x.yaml", err,
				   sizeof(err)));
	check_message("NUL", err, "x.yaml:1: invalid YAML: ", "(column ");
}

/* ---- unknown fields ---- */

static void test_unknown_fields(void **state)
{
	static const struct bad bad[] = {
		{ "top level",
		  "colour: red\n"
		  CLUSTER0,
		  "x.yaml:1: colour: ", "unknown field (expected one of name, "
		  "underlay, clusters, links, multicluster)" },
		{ "top level, after the known ones",
		  CLUSTER0
		  "link: {delay: 1ms}\n",
		  "x.yaml:6: link: ", "unknown field" },
		{ "underlay",
		  "underlay:\n"
		  "  subnett: 10.0.0.0/16\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.subnett: ", "unknown field (expected one "
		  "of subnet, link)" },
		{ "underlay.link",
		  "underlay:\n"
		  "  link:\n"
		  "    speed: 1gbit\n"
		  CLUSTER0,
		  "x.yaml:3: underlay.link.speed: ", "unknown field (expected "
		  "one of delay, jitter, rate, loss)" },
		{ "cluster",
		  CLUSTER0
		  "    colour: red\n",
		  "x.yaml:6: clusters[0].colour: ", "unknown field (expected one "
		  "of name, workers, etcd, network, datapath, pods, services, ingresses)" },
		{ "second cluster",
		  CLUSTER0
		  "  - name: C1\n"
		  "    workers: [C1w1]\n"
		  "    etcd: [C1e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n"
		  "    ingress: 3\n",
		  "x.yaml:10: clusters[1].ingress: ", "unknown field" },
		{ "network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      IPv6Network: fd00::/8\n",
		  "x.yaml:7: clusters[0].network.IPv6Network: ", "unknown field "
		  "(expected one of Network, SubnetLen, SubnetMin, SubnetMax, "
		  "Backend)" },
		{ "network field in the wrong case",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, subnetLen: 20}\n",
		  "x.yaml:5: clusters[0].network.subnetLen: ", "unknown field" },
		{ "Backend",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {MTU: 1400}}\n",
		  "x.yaml:5: clusters[0].network.Backend.MTU: ", "unknown field "
		  "(expected one of Type, VNI, Port)" },
		{ "datapath",
		  CLUSTER0
		  "    datapath:\n"
		  "      mode: bpf\n",
		  "x.yaml:7: clusters[0].datapath.mode: ", "unknown field "
		  "(expected one of routing, proxy)" },
		{ "link override",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w1\n"
		  "    bandwidth: 1gbit\n",
		  "x.yaml:8: links[0].bandwidth: ", "unknown field (expected one "
		  "of node, delay, jitter, rate, loss)" },
		{ "pod",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        ip: 11.10.0.5\n",
		  "x.yaml:9: clusters[0].pods[0].ip: ", "unknown field (expected "
		  "one of name, worker, labels, command)" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

/* ---- missing required fields ---- */

static void test_missing_fields(void **state)
{
	static const struct bad bad[] = {
		{ "no clusters", "name: lab\n",
		  "x.yaml:1: clusters: ", "missing (expected a list of clusters)" },
		{ "null clusters", "clusters:\n",
		  "x.yaml:", "clusters: missing (expected a list of clusters)" },
		{ "empty clusters", "clusters: []\n",
		  "x.yaml:1: clusters: ", "empty (expected at least one cluster)" },
		{ "cluster name",
		  "clusters:\n"
		  "  - workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].name: ", "missing (expected a cluster "
		  "name such as C0)" },
		{ "workers",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].workers: ", "missing (expected a list "
		  "of node names)" },
		{ "empty workers",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: []\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers: ", "empty (expected at least "
		  "one node name)" },
		{ "etcd",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].etcd: ", "missing (expected a list of "
		  "node names)" },
		{ "null etcd",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd:\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:", "clusters[0].etcd: missing" },
		{ "network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n",
		  "x.yaml:2: clusters[0].network: ", "missing (expected a map "
		  "of Network, SubnetLen, SubnetMin, SubnetMax, Backend)" },
		{ "Network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {SubnetLen: 20}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "missing (expected "
		  "an IPv4 prefix such as 11.0.0.0/8)" },
		{ "link override node",
		  CLUSTER0
		  "links:\n"
		  "  - delay: 10ms\n",
		  "x.yaml:7: links[0].node: ", "missing (expected the name of a "
		  "node)" },
		{ "empty cluster name",
		  "clusters:\n"
		  "  - name: \"\"\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].name: ", "empty name (expected 1 to 10 "
		  "characters from A-Z a-z 0-9 _ -)" },
		{ "empty node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1, \"\"]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[1]: ", "empty name" },
		{ "null node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers:\n"
		  "      - C0w1\n"
		  "      -\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:", "clusters[0].workers[1]: expected a node name, got "
		  "nothing" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

/* ---- wrong types ---- */

static void test_wrong_types(void **state)
{
	static const struct bad bad[] = {
		{ "clusters as a map",
		  "clusters:\n"
		  "  name: C0\n",
		  "x.yaml:2: clusters: ", "expected a list of clusters, got a "
		  "map" },
		{ "cluster as a scalar",
		  "clusters:\n"
		  "  - C0\n",
		  "x.yaml:2: clusters[0]: ", "expected a map of name, workers, "
		  "etcd, network, datapath, pods, services, ingresses, got \"C0\"" },
		{ "workers as a map",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: {C0w1: 1}\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers: ", "expected a list of node "
		  "names, got a map" },
		{ "workers as a scalar",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: C0w1\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers: ", "expected a list of node "
		  "names, got \"C0w1\"" },
		{ "worker as a list",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [[C0w1]]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "expected a node name, "
		  "got a list" },
		{ "etcd member as a map",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd:\n"
		  "      - name: C0e1\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:5: clusters[0].etcd[0]: ", "expected a node name, got "
		  "a map" },
		{ "cluster name as a list",
		  "clusters:\n"
		  "  - name: [C0]\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].name: ", "expected a cluster name such "
		  "as C0, got a list" },
		{ "network as a list",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: [11.0.0.0/8]\n",
		  "x.yaml:5: clusters[0].network: ", "expected a map of Network, "
		  "SubnetLen, SubnetMin, SubnetMax, Backend, got a list" },
		{ "Network as a map",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: {a: 1}}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "expected an IPv4 "
		  "prefix such as 11.0.0.0/8, got a map" },
		{ "SubnetLen quoted",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: \"20\"}\n",
		  "x.yaml:5: clusters[0].network.SubnetLen: ", "expected a number "
		  "from 9 to 30, got the string \"20\"" },
		{ "SubnetLen text",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: twenty}\n",
		  "x.yaml:5: clusters[0].network.SubnetLen: ", "\"twenty\" is not "
		  "a number (expected 9 to 30)" },
		{ "SubnetLen with a leading zero",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: 020}\n",
		  "x.yaml:5: clusters[0].network.SubnetLen: ", "\"020\" is not a "
		  "number" },
		{ "VNI negative",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {VNI: -1}}\n",
		  "x.yaml:5: clusters[0].network.Backend.VNI: ", "\"-1\" is not a "
		  "number (expected 1 to 16777215)" },
		{ "Backend as a scalar",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: vxlan}\n",
		  "x.yaml:5: clusters[0].network.Backend: ", "expected a map of "
		  "Type, VNI, Port, got \"vxlan\"" },
		{ "underlay as a scalar",
		  "underlay: 10.0.0.0/16\n"
		  CLUSTER0,
		  "x.yaml:1: underlay: ", "expected a map of subnet, link, got "
		  "\"10.0.0.0/16\"" },
		{ "underlay.subnet as a list",
		  "underlay: {subnet: [10.0.0.0/16]}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "expected an IPv4 prefix such "
		  "as 10.0.0.0/16, got a list" },
		{ "underlay.link as a scalar",
		  "underlay:\n"
		  "  link: fast\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.link: ", "expected a map of delay, jitter, "
		  "rate, loss, got \"fast\"" },
		{ "links as a map",
		  CLUSTER0
		  "links:\n"
		  "  node: C0w1\n",
		  "x.yaml:7: links: ", "expected a list of link overrides, got a "
		  "map" },
		{ "link override as a scalar",
		  CLUSTER0
		  "links: [C0w1]\n",
		  "x.yaml:6: links[0]: ", "expected a map of node, delay, jitter, "
		  "rate, loss, got \"C0w1\"" },
		{ "delay as a map",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w1\n"
		  "    delay: {ms: 20}\n",
		  "x.yaml:8: links[0].delay: ", "expected a duration such as "
		  "20ms, got a map" },
		{ "override node as a list",
		  CLUSTER0
		  "links:\n"
		  "  - node: [C0w1]\n",
		  "x.yaml:7: links[0].node: ", "expected the name of a node, got "
		  "a list" },
		{ "simulation name as a map",
		  "name: {a: b}\n"
		  CLUSTER0,
		  "x.yaml:1: name: ", "expected a simulation name such as "
		  "knetsim, got a map" },
		{ "datapath as a list",
		  CLUSTER0
		  "    datapath: [bpf]\n",
		  "x.yaml:6: clusters[0].datapath: ", "expected a map of routing, "
		  "proxy, got a list" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

/* ---- names ---- */

static void test_names(void **state)
{
	static const struct bad bad[] = {
		{ "node in two clusters",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n"
		  "  - name: C1\n"
		  "    workers: [C1w1, C0w1]\n"
		  "    etcd: [C1e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:7: clusters[1].workers[1]: ", "name \"C0w1\" is already "
		  "used (line 3)" },
		{ "node twice in a list",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers:\n"
		  "      - C0w1\n"
		  "      - C0w2\n"
		  "      - C0w1\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:6: clusters[0].workers[2]: ", "name \"C0w1\" is already "
		  "used (line 4)" },
		{ "worker and etcd member",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1, C0w1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:4: clusters[0].etcd[1]: ", "name \"C0w1\" is already "
		  "used (line 3)" },
		{ "cluster twice",
		  CLUSTER0
		  "  - name: C0\n"
		  "    workers: [C1w1]\n"
		  "    etcd: [C1e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:6: clusters[1].name: ", "cluster \"C0\" is already "
		  "defined (line 2)" },
		{ "node name too long",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0worker-number1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "name \"C0worker-number1\" "
		  "is 16 bytes long (expected at most 15: node names are "
		  "interface names)" },
		{ "cluster name too long",
		  "clusters:\n"
		  "  - name: Cluster-One\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].name: ", "name \"Cluster-One\" is 11 "
		  "bytes long (expected at most 10: switch interface names "
		  "derive from it)" },
		{ "simulation name too long",
		  "name: a-simulation-name-of-33-bytes-xyz\n"
		  CLUSTER0,
		  "x.yaml:1: name: ", "is 33 bytes long (expected at most 32" },
		{ "space in a node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0 w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "name \"C0 w1\" has an "
		  "invalid character ' ' (expected only A-Z a-z 0-9 _ -)" },
		{ "slash in a node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0/w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "invalid character '/'" },
		{ "colon in a node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [\"C0:w1\"]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "invalid character ':'" },
		{ "non-ASCII node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w\xc3\xa9]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "invalid character 0xc3" },
		{ "bad character in a cluster name",
		  "clusters:\n"
		  "  - name: C*\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:2: clusters[0].name: ", "invalid character '*'" },
		{ "bad character in the simulation name",
		  "name: my/lab\n"
		  CLUSTER0,
		  "x.yaml:1: name: ", "invalid character '/'" },
		{ "dot as a simulation name",
		  "name: ..\n"
		  CLUSTER0,
		  "x.yaml:1: name: ", "name \"..\" has an invalid character '.' "
		  "(expected only A-Z a-z 0-9 _ -)" },
		{ "dot as a node name",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [\".\"]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "invalid character '.'" },
		{ "node named t0",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [t0]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "name \"t0\" is reserved "
		  "for the top switch" },
		{ "node named like a switch",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0s0]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:4: clusters[0].etcd[0]: ", "name \"C0s0\" is reserved "
		  "for cluster C0's switch" },
		{ "node named like a later cluster's uplink",
		  CLUSTER0
		  "  - name: C1\n"
		  "    workers: [C1w1]\n"
		  "    etcd: [C1s0-t0]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:8: clusters[1].etcd[0]: ", "name \"C1s0-t0\" is reserved "
		  "for cluster C1's uplink" },
		{ "node named fabric",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [fabric]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "reserved for the fabric "
		  "namespace" },
		{ "node named lo",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [lo]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "reserved for the loopback "
		  "interface" },
		{ "node named like a link emulator port",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [ke12b]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:3: clusters[0].workers[0]: ", "name \"ke12b\" is "
		  "reserved for link emulator interfaces" },
		{ "cluster whose switch is another's uplink",
		  CLUSTER0
		  "  - name: t0-C0\n"
		  "    workers: [C1w1]\n"
		  "    etcd: [C1e1]\n"
		  "    network: {Network: 11.0.0.0/8}\n",
		  "x.yaml:6: clusters[1].name: ", "cluster \"t0-C0\" would name an "
		  "interface \"t0-C0s0\", which is cluster C0's uplink (line 2)" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

static void test_names_at_limits(void **state)
{
	struct topology *t;

	(void)state;
	t = parse_ok("name: abcdefghijklmnopqrstuvwxyz012345\n"
		     "clusters:\n"
		     "  - name: Cluster-10\n"
		     "    workers: [w_15-bytes_long, ke1, kea, ke1c, t0s0]\n"
		     "    etcd: [\"123\"]\n"
		     "    network: {Network: 11.0.0.0/8}\n");
	assert_string_equal(t->name, "abcdefghijklmnopqrstuvwxyz012345");
	assert_string_equal(t->clusters[0].name, "Cluster-10");
	assert_string_equal(t->nodes[0].name, "w_15-bytes_long");
	assert_string_equal(t->nodes[5].name, "123");
	topology_free(t);

	assert_true(topology_name_valid("knetsim", KNETSIM_SIM_NAME_MAX));
	assert_true(topology_name_valid("a_b-c_D9", 8));
	assert_false(topology_name_valid("a_b-c_D9", 7));
	assert_false(topology_name_valid("a.b", 8)); /* bpffs pin names */
	assert_false(topology_name_valid("", 10));
	assert_false(topology_name_valid(".", 10));
	assert_false(topology_name_valid("..", 10));
	assert_false(topology_name_valid("...", 10));
	assert_false(topology_name_valid("a:b", 10));
	assert_false(topology_name_valid("a/b", 10));
	assert_false(topology_name_valid("a b", 10));
}

/* ---- addresses and ranges ---- */

static void test_networks(void **state)
{
	static const struct bad bad[] = {
		{ "underlay overlaps a cluster network",
		  "underlay:\n"
		  "  subnet: 11.0.0.0/16\n"
		  CLUSTER0,
		  "x.yaml:7: clusters[0].network.Network: ", "11.0.0.0/8 overlaps "
		  "underlay.subnet 11.0.0.0/16 (line 2) (expected a range apart "
		  "from the underlay)" },
		{ "default underlay overlaps a cluster network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 10.0.0.0/8}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "10.0.0.0/8 overlaps "
		  "underlay.subnet 10.0.0.0/16 (the default)" },
		{ "second cluster's network inside the underlay",
		  "underlay: {subnet: 10.0.0.0/8}\n"
		  CLUSTER0
		  "  - name: C1\n"
		  "    workers: [C1w1]\n"
		  "    etcd: [C1e1]\n"
		  "    network:\n"
		  "      Network: 10.244.0.0/16\n",
		  "x.yaml:11: clusters[1].network.Network: ", "10.244.0.0/16 "
		  "overlaps underlay.subnet 10.0.0.0/8 (line 1)" },
		{ "underlay without a length",
		  "underlay: {subnet: 10.0.0.0}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "\"10.0.0.0\" is not an IPv4 "
		  "prefix (expected a.b.c.d/len, e.g. 10.0.0.0/16)" },
		{ "underlay with three octets",
		  "underlay: {subnet: 10.0.0/16}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "\"10.0.0/16\" is not an IPv4 "
		  "prefix" },
		{ "underlay length too long",
		  "underlay: {subnet: 10.0.0.0/33}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "\"10.0.0.0/33\" is not an IPv4 "
		  "prefix" },
		{ "underlay octet too large",
		  "underlay: {subnet: 10.300.0.0/16}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "is not an IPv4 prefix" },
		{ "underlay with a leading zero",
		  "underlay: {subnet: 010.0.0.0/16}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "is not an IPv4 prefix" },
		{ "underlay host bits",
		  "underlay:\n"
		  "  subnet: 10.0.0.1/16\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.subnet: ", "\"10.0.0.1/16\" has host bits "
		  "set (expected a network address like 10.0.0.0/16)" },
		{ "underlay in loopback",
		  "underlay: {subnet: 127.1.0.0/16}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "127.1.0.0/16 overlaps "
		  "127.0.0.0/8 (loopback)" },
		{ "underlay everything",
		  "underlay: {subnet: 0.0.0.0/0}\n"
		  CLUSTER0,
		  "x.yaml:1: underlay.subnet: ", "0.0.0.0/0 overlaps 0.0.0.0/8" },
		{ "Network malformed",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: eleven}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "\"eleven\" is not an "
		  "IPv4 prefix (expected a.b.c.d/len, e.g. 11.0.0.0/8)" },
		{ "Network host bits",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.1/8}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "\"11.0.0.1/8\" has "
		  "host bits set (expected a network address like 11.0.0.0/8)" },
		{ "Network multicast",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 239.0.0.0/8}\n",
		  "x.yaml:5: clusters[0].network.Network: ", "overlaps "
		  "224.0.0.0/3 (multicast and reserved)" },
		{ "Network too small",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/30\n",
		  "x.yaml:6: clusters[0].network.Network: ", "11.0.0.0/30 is too "
		  "small to split into subnets (expected /29 or shorter)" },
		{ "SubnetMin malformed",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetMin: 11.10.0}\n",
		  "x.yaml:5: clusters[0].network.SubnetMin: ", "\"11.10.0\" is not "
		  "an IPv4 address (expected a.b.c.d, e.g. 11.10.0.0)" },
		{ "SubnetMax octet too large",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetMax: 11.99.0.256}\n",
		  "x.yaml:5: clusters[0].network.SubnetMax: ", "\"11.99.0.256\" is "
		  "not an IPv4 address" },
		{ "SubnetMin outside Network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetLen: 20\n"
		  "      SubnetMin: 12.10.0.0\n",
		  "x.yaml:8: clusters[0].network.SubnetMin: ", "12.10.0.0 is "
		  "outside Network 11.0.0.0/8 (expected an address inside it)" },
		{ "SubnetMin misaligned",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetLen: 20\n"
		  "      SubnetMin: 11.10.1.0\n",
		  "x.yaml:8: clusters[0].network.SubnetMin: ", "11.10.1.0 is not "
		  "the start of a /20 subnet (expected e.g. 11.10.0.0)" },
		{ "SubnetMax misaligned with the default SubnetLen",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetMax: 11.99.0.1\n",
		  "x.yaml:7: clusters[0].network.SubnetMax: ", "11.99.0.1 is not "
		  "the start of a /24 subnet" },
		{ "SubnetMin above SubnetMax",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetLen: 20\n"
		  "      SubnetMin: 11.99.0.0\n"
		  "      SubnetMax: 11.10.0.0\n",
		  "x.yaml:9: clusters[0].network.SubnetMax: ", "11.10.0.0 is below "
		  "SubnetMin 11.99.0.0 (expected SubnetMin <= SubnetMax)" },
		{ "SubnetLen not longer than Network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetLen: 8\n",
		  "x.yaml:7: clusters[0].network.SubnetLen: ", "8 is out of range "
		  "(expected 9 to 30)" },
		{ "SubnetLen too long",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: 31}\n",
		  "x.yaml:5: clusters[0].network.SubnetLen: ", "31 is out of range "
		  "(expected 9 to 30)" },
		{ "SubnetLen huge",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: 99999999999}\n",
		  "x.yaml:5: clusters[0].network.SubnetLen: ", "is not a number "
		  "(expected 9 to 30)" },
		{ "backend not vxlan",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      Backend:\n"
		  "        Type: host-gw\n",
		  "x.yaml:8: clusters[0].network.Backend.Type: ", "\"host-gw\" is "
		  "not supported (expected vxlan, the only backend knetsim "
		  "implements)" },
		{ "VNI zero",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {VNI: 0}}\n",
		  "x.yaml:5: clusters[0].network.Backend.VNI: ", "0 is out of range "
		  "(expected 1 to 16777215)" },
		{ "VNI too large",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {VNI: 16777216}}\n",
		  "x.yaml:5: clusters[0].network.Backend.VNI: ", "16777216 is out "
		  "of range (expected 1 to 16777215)" },
		{ "port zero",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {Port: 0}}\n",
		  "x.yaml:5: clusters[0].network.Backend.Port: ", "0 is out of "
		  "range (expected 1 to 65535)" },
		{ "port too large",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, Backend: {Port: 70000}}\n",
		  "x.yaml:5: clusters[0].network.Backend.Port: ", "70000 is out of "
		  "range (expected 1 to 65535)" },
		{ "too many nodes for the underlay",
		  "underlay:\n"
		  "  subnet: 10.0.0.0/30\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.subnet: ", "10.0.0.0/30 has room for 2 "
		  "nodes, the topology has 3 (expected a /29 or shorter prefix)" },
		{ "too many workers for the subnet range",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1, C0w2, C0w3]\n"
		  "    etcd: [C0e1]\n"
		  "    network:\n"
		  "      Network: 11.0.0.0/8\n"
		  "      SubnetLen: 20\n"
		  "      SubnetMin: 11.10.0.0\n"
		  "      SubnetMax: 11.10.16.0\n",
		  "x.yaml:3: clusters[0].workers: ", "3 workers, but the network "
		  "has 2 /20 subnets for them (SubnetMin 11.10.0.0 to SubnetMax "
		  "11.10.16.0) (expected at most 2 workers, or a wider range)" },
		{ "too many workers for flannel's default range",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1, C0w2]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/24}\n",
		  "x.yaml:3: clusters[0].workers: ", "2 workers, but the network "
		  "has 1 /25 subnet for them (SubnetMin 11.0.0.128 to SubnetMax "
		  "11.0.0.128) (expected at most 1 worker, or a wider range)" },
	};
	struct topology *t;

	(void)state;
	check_bad(bad, N(bad));

	/* Exactly full is fine; clusters may share a pod network. */
	t = parse_ok("underlay: {subnet: 10.0.0.0/29}\n"
		     "clusters:\n"
		     "  - name: C0\n"
		     "    workers: [C0w1, C0w2]\n"
		     "    etcd: [C0e1]\n"
		     "    network: {Network: 11.0.0.0/8, SubnetLen: 20,\n"
		     "              SubnetMin: 11.10.0.0, SubnetMax: 11.10.16.0}\n"
		     "  - name: C1\n"
		     "    workers: [C1w1, C1w2]\n"
		     "    etcd: [C1e1]\n"
		     "    network: {Network: 11.0.0.0/8}\n");
	assert_int_equal(t->n_nodes, 6);
	assert_int_equal(t->nodes[5].addr, IP(10, 0, 0, 6));
	topology_free(t);
}

/* ---- datapath modes ---- */

static void test_datapath(void **state)
{
	static const struct bad bad[] = {
		{ "unknown routing",
		  CLUSTER0
		  "    datapath:\n"
		  "      routing: ebpf\n",
		  "x.yaml:7: clusters[0].datapath.routing: ", "unknown mode "
		  "\"ebpf\" (expected bpf or kernel)" },
		{ "unknown proxy",
		  CLUSTER0
		  "    datapath: {routing: kernel, proxy: iptables}\n",
		  "x.yaml:6: clusters[0].datapath.proxy: ", "unknown mode "
		  "\"iptables\" (expected bpf, nft or nft-linear)" },
		{ "mode in capitals",
		  CLUSTER0
		  "    datapath: {proxy: NFT}\n",
		  "x.yaml:6: clusters[0].datapath.proxy: ", "unknown mode \"NFT\"" },
	};
	struct topology *t;

	(void)state;
	check_bad(bad, N(bad));
	t = parse_ok(CLUSTER0
		     "    datapath: {routing: kernel, proxy: nft}\n");
	assert_int_equal(t->clusters[0].routing, ROUTING_KERNEL);
	assert_int_equal(t->clusters[0].proxy, PROXY_NFT);
	assert_string_equal(routing_mode_name(t->clusters[0].routing), "kernel");
	assert_string_equal(proxy_mode_name(t->clusters[0].proxy), "nft");
	topology_free(t);
	t = parse_ok(CLUSTER0
		     "    datapath: {proxy: nft}\n");
	assert_int_equal(t->clusters[0].routing, ROUTING_BPF);
	assert_string_equal(routing_mode_name(ROUTING_BPF), "bpf");
	assert_string_equal(proxy_mode_name(PROXY_BPF), "bpf");
	topology_free(t);
	t = parse_ok(CLUSTER0
		     "    datapath: {proxy: nft-linear}\n");
	assert_int_equal(t->clusters[0].proxy, PROXY_NFT_LINEAR);
	assert_string_equal(proxy_mode_name(PROXY_NFT_LINEAR), "nft-linear");
	topology_free(t);
}

/* ---- pods ---- */

/* A second cluster of four lines, appended to CLUSTER0 (lines 6-9 when
 * nothing comes between). */
#define CLUSTER1 \
	"  - name: C1\n" \
	"    workers: [C1w1]\n" \
	"    etcd: [C1e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n"

static void test_pods_bad(void **state)
{
	static const struct bad bad[] = {
		{ "pods as a map",
		  CLUSTER0
		  "    pods: {c1: C0w1}\n",
		  "x.yaml:6: clusters[0].pods: ", "expected a list of pods, got "
		  "a map" },
		{ "pod as a scalar",
		  CLUSTER0
		  "    pods: [c1]\n",
		  "x.yaml:6: clusters[0].pods[0]: ", "expected a map of name, "
		  "worker, labels, command, got \"c1\"" },
		{ "null pod",
		  CLUSTER0
		  "    pods:\n"
		  "      -\n",
		  "x.yaml:", "clusters[0].pods[0]: expected a map of name, "
		  "worker, labels, command, got nothing" },
		{ "pod without a name",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {worker: C0w1}\n",
		  "x.yaml:8: clusters[0].pods[1].name: ", "missing (expected a "
		  "pod name such as c1)" },
		{ "pod with a null name",
		  CLUSTER0
		  "    pods:\n"
		  "      - name:\n"
		  "        worker: C0w1\n",
		  "x.yaml:", "clusters[0].pods[0].name: missing (expected a pod "
		  "name" },
		{ "pod without a worker",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "missing (expected "
		  "the name of one of the cluster's workers)" },
		{ "pod name as a list",
		  CLUSTER0
		  "    pods: [{name: [c1], worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "expected a pod name "
		  "such as c1, got a list" },
		{ "worker as a list",
		  CLUSTER0
		  "    pods: [{name: c1, worker: [C0w1]}]\n",
		  "x.yaml:6: clusters[0].pods[0].worker: ", "expected the name of "
		  "one of the cluster's workers, got a list" },
		{ "empty pod name",
		  CLUSTER0
		  "    pods: [{name: \"\", worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "empty name (expected 1 "
		  "to 32 characters from A-Z a-z 0-9 _ -)" },
		{ "dot in a pod name",
		  CLUSTER0
		  "    pods: [{name: c.1, worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "name \"c.1\" has an "
		  "invalid character '.' (expected only A-Z a-z 0-9 _ -)" },
		{ "colon in a pod name",
		  CLUSTER0
		  "    pods: [{name: \"a:b\", worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "invalid character ':'" },
		{ "slash in a pod name",
		  CLUSTER0
		  "    pods: [{name: web/1, worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "invalid character '/'" },
		{ "non-ASCII pod name",
		  CLUSTER0
		  "    pods: [{name: caf\xc3\xa9, worker: C0w1}]\n",
		  "x.yaml:6: clusters[0].pods[0].name: ", "invalid character "
		  "0xc3" },
		{ "pod name too long",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: a-pod-name-of-33-bytes-0123456789\n"
		  "        worker: C0w1\n",
		  "x.yaml:7: clusters[0].pods[0].name: ", "name \"a-pod-name-of-"
		  "33-bytes-0123456789\" is 33 bytes long (expected at most 32: "
		  "it names the pod's namespace, <sim>:<cluster>.<pod>)" },
		{ "pod twice in a cluster",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {name: c2, worker: C0w1}\n"
		  "      - {name: c1, worker: C0w2}\n",
		  "x.yaml:9: clusters[0].pods[2].name: ", "pod \"c1\" is already "
		  "defined in cluster C0 (line 7) (expected a name unique within "
		  "the cluster)" },
		{ "earliest repeat blamed",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: b, worker: C0w1}\n"
		  "      - {name: a, worker: C0w1}\n"
		  "      - {name: b, worker: C0w2}\n"
		  "      - {name: a, worker: C0w2}\n"
		  "      - {name: b, worker: C0w2}\n",
		  "x.yaml:9: clusters[0].pods[2].name: ", "pod \"b\" is already "
		  "defined in cluster C0 (line 7)" },
		{ "pod twice in the second cluster",
		  CLUSTER0
		  CLUSTER1
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C1w1\n"
		  "      - name: c1\n"
		  "        worker: C1w1\n",
		  "x.yaml:13: clusters[1].pods[1].name: ", "pod \"c1\" is already "
		  "defined in cluster C1 (line 11)" },
		{ "repeat before a bad worker",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {name: c2, worker: C0w9}\n",
		  "x.yaml:8: clusters[0].pods[1].name: ", "already defined" },
		{ "bad worker before a repeat",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {name: c2, worker: C0w9}\n"
		  "      - {name: c1, worker: C0w1}\n",
		  "x.yaml:8: clusters[0].pods[1].worker: ", "no worker named" },
		{ "unknown worker",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w9}\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "no worker named "
		  "\"C0w9\" in cluster C0 (expected one of C0w1, C0w2)" },
		{ "worker named like a cluster",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0}\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "no worker named "
		  "\"C0\"" },
		{ "worker named like a switch",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0s0}\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "no worker named "
		  "\"C0s0\"" },
		{ "worker with an over-long name",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: a-name-longer-than-an-interface}\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "no worker named" },
		{ "etcd member as a worker",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0e1}\n",
		  "x.yaml:7: clusters[0].pods[0].worker: ", "\"C0e1\" is an etcd "
		  "member of cluster C0, not a worker (expected one of cluster "
		  "C0's workers: C0w1, C0w2)" },
		{ "worker of another cluster",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C1w1}]\n"
		  CLUSTER1,
		  "x.yaml:6: clusters[0].pods[0].worker: ", "\"C1w1\" is a worker "
		  "of cluster C1, not of C0 (expected one of cluster C0's "
		  "workers: C0w1, C0w2)" },
		{ "worker of an earlier cluster",
		  CLUSTER0
		  CLUSTER1
		  "    pods: [{name: c1, worker: C0w2}]\n",
		  "x.yaml:10: clusters[1].pods[0].worker: ", "\"C0w2\" is a "
		  "worker of cluster C0, not of C1 (expected one of cluster C1's "
		  "workers: C1w1)" },
		{ "etcd member of another cluster",
		  CLUSTER0
		  CLUSTER1
		  "    pods: [{name: c1, worker: C0e1}]\n",
		  "x.yaml:10: clusters[1].pods[0].worker: ", "\"C0e1\" is an etcd "
		  "member of cluster C0, not a worker" },
		{ "more pods than a /30 subnet holds",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1, C0w2]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: 30}\n"
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1}\n"
		  "      - {name: c2, worker: C0w2}\n"
		  "      - {name: c3, worker: C0w1}\n",
		  "x.yaml:9: clusters[0].pods[2].worker: ", "worker C0w1 has 2 "
		  "pods, but its /30 subnet holds 1 (expected at most 1 pod per "
		  "worker, or a shorter network.SubnetLen)" },
		{ "more pods than a /29 subnet holds",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/8, SubnetLen: 29}\n"
		  "    pods: [{name: a, worker: C0w1}, {name: b, worker: C0w1},\n"
		  "           {name: c, worker: C0w1}, {name: d, worker: C0w1},\n"
		  "           {name: e, worker: C0w1}, {name: f, worker: C0w1}]\n",
		  "x.yaml:8: clusters[0].pods[5].worker: ", "worker C0w1 has 6 "
		  "pods, but its /29 subnet holds 5 (expected at most 5 pods per "
		  "worker" },
		{ "limit from flannel's default SubnetLen of a small Network",
		  "clusters:\n"
		  "  - name: C0\n"
		  "    workers: [C0w1]\n"
		  "    etcd: [C0e1]\n"
		  "    network: {Network: 11.0.0.0/28}\n"
		  "    pods: [{name: a, worker: C0w1}, {name: b, worker: C0w1},\n"
		  "           {name: c, worker: C0w1}, {name: d, worker: C0w1},\n"
		  "           {name: e, worker: C0w1}, {name: f, worker: C0w1}]\n",
		  "x.yaml:8: clusters[0].pods[5].worker: ", "its /29 subnet holds "
		  "5" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

static void test_pod_labels_bad(void **state)
{
	static const struct bad bad[] = {
		{ "labels as a list",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels: [app, web]\n",
		  "x.yaml:9: clusters[0].pods[0].labels: ", "expected a map of "
		  "label keys to values such as {app: web}, got a list" },
		{ "labels as a scalar",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: web}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels: ", "expected a map of "
		  "label keys to values such as {app: web}, got \"web\"" },
		{ "seventeen labels",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels: {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8,\n"
		  "                 i: 9, j: 10, k: 11, l: 12, m: 13, n: 14, o: 15,\n"
		  "                 p: 16, q: 17}\n",
		  "x.yaml:9: clusters[0].pods[0].labels: ", "17 labels (expected "
		  "at most 16)" },
		{ "label value as a list",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels:\n"
		  "          app: [web]\n",
		  "x.yaml:10: clusters[0].pods[0].labels.app: ", "expected a label "
		  "value, got a list" },
		{ "label value as a map",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {app: {a: b}}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels.app: ", "expected a label "
		  "value, got a map" },
		{ "null label value",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels:\n"
		  "          app:\n",
		  "x.yaml:", "clusters[0].pods[0].labels.app: expected a label "
		  "value, got nothing" },
		{ "empty label value",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {app: \"\"}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels.app: ", "empty label value "
		  "(expected 1 to 63 characters from A-Z a-z 0-9 _ - .)" },
		{ "empty label key",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {\"\": web}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels: ", "empty label key "
		  "(expected 1 to 63 characters from A-Z a-z 0-9 _ - . /)" },
		{ "space in a label key",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels:\n"
		  "          tier: front\n"
		  "          \"my app\": web\n",
		  "x.yaml:11: clusters[0].pods[0].labels: ", "label key \"my app\" "
		  "has an invalid character ' ' (expected only A-Z a-z 0-9 _ - . "
		  "/)" },
		{ "colon in a label key",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {\"a:b\": web}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels: ", "label key \"a:b\" has "
		  "an invalid character ':'" },
		{ "non-ASCII label key",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {\xc3\xa9: web}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels: ", "invalid character "
		  "0xc3" },
		{ "label key too long",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels:\n"
		  "          example.com/a-label-key-of-64-bytes-0123456789abcdefghijklmnopqr: x\n",
		  "x.yaml:10: clusters[0].pods[0].labels: ", "label key \"example."
		  "com/a-label-key-of-64-bytes-0123456789abcdefghijklmnopqr\" is "
		  "64 bytes long (expected at most 63)" },
		{ "slash in a label value",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {app: web/1}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels.app: ", "label value "
		  "\"web/1\" has an invalid character '/' (expected only A-Z a-z "
		  "0-9 _ - .)" },
		{ "space in a label value",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {app: \"web 1\"}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels.app: ", "invalid character "
		  "' '" },
		{ "control character in a label value",
		  CLUSTER0
		  "    pods: [{name: c1, worker: C0w1, labels: {app: \"a\\tb\"}}]\n",
		  "x.yaml:6: clusters[0].pods[0].labels.app: ", "label value has "
		  "an invalid character 0x09 (expected only" },
		{ "label value too long",
		  CLUSTER0
		  "    pods:\n"
		  "      - name: c1\n"
		  "        worker: C0w1\n"
		  "        labels:\n"
		  "          app: a-label-value-of-64-bytes-0123456789abcdefghijklmnopqrstuvwxyzAB\n",
		  "x.yaml:10: clusters[0].pods[0].labels.app: ", "label value "
		  "\"a-label-value-of-64-bytes-0123456789abcdefghijklmnopqrstuvwxyzAB\" "
		  "is 64 bytes long (expected at most 63)" },
		{ "labels in the second pod",
		  CLUSTER0
		  "    pods:\n"
		  "      - {name: c1, worker: C0w1, labels: {app: web}}\n"
		  "      - {name: c2, worker: C0w1, labels: {app: \"\"}}\n",
		  "x.yaml:8: clusters[0].pods[1].labels.app: ", "empty label "
		  "value" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

static void test_pods(void **state)
{
	struct topology *t;
	const struct pod *p;

	(void)state;
	t = parse_ok(CLUSTER0
		     "    pods:\n"
		     "      - {name: c1, worker: C0w1}\n"
		     "      - name: c2\n"
		     "        worker: C0w2\n"
		     "        labels: {app: web, tier: front}\n"
		     CLUSTER1
		     "    pods:\n"
		     "      - {name: c1, worker: C1w1}\n");
	assert_int_equal(t->n_pods, 3);
	assert_int_equal(t->clusters[0].n_pods, 2);
	assert_int_equal(t->clusters[1].n_pods, 1);

	p = topology_pod(t, "C0", "c1");
	assert_ptr_equal(p, &t->pods[0]);
	assert_string_equal(p->name, "c1");
	assert_int_equal(p->cluster, 0);
	assert_string_equal(t->nodes[p->worker].name, "C0w1");
	assert_int_equal(p->n_labels, 0);
	assert_int_equal(p->line, 7);

	p = topology_pod(t, "C0", "c2");
	assert_ptr_equal(p, &t->pods[1]);
	assert_ptr_equal(&t->nodes[p->worker], topology_node(t, "C0w2"));
	assert_int_equal(p->line, 8);
	assert_int_equal(p->n_labels, 2);
	assert_string_equal(p->labels[0].key, "app");
	assert_string_equal(p->labels[0].value, "web");
	assert_string_equal(p->labels[1].key, "tier");
	assert_string_equal(p->labels[1].value, "front");

	/* The same name in another cluster is another pod. */
	p = topology_pod(t, "C1", "c1");
	assert_ptr_equal(p, &t->pods[2]);
	assert_int_equal(p->cluster, 1);
	assert_ptr_equal(&t->nodes[p->worker], topology_node(t, "C1w1"));
	assert_null(topology_pod(t, "C1", "c2"));
	assert_null(topology_pod(t, "C2", "c1"));
	assert_null(topology_pod(t, "C0", "C0w1"));
	topology_free(t);

	/* No pods, an empty list and a null one are all the same. */
	t = parse_ok(CLUSTER0
		     CLUSTER1
		     "    pods: []\n"
		     "  - name: C2\n"
		     "    workers: [C2w1]\n"
		     "    etcd: [C2e1]\n"
		     "    network: {Network: 11.0.0.0/8}\n"
		     "    pods:\n");
	assert_int_equal(t->n_pods, 0);
	assert_null(t->pods);
	for (size_t i = 0; i < t->n_clusters; i++)
		assert_int_equal(t->clusters[i].n_pods, 0);
	assert_null(topology_pod(t, "C0", "c1"));
	topology_free(t);
}

static void test_pods_at_limits(void **state)
{
	struct topology *t;
	const struct pod *p;

	(void)state;
	t = parse_ok(CLUSTER0
		     "    pods:\n"
		     "      - name: a_pod-name-of-32-bytes-012345678\n"
		     "        worker: C0w2\n"
		     "        labels:\n"
		     "          a: 1\n"
		     "          b: \"2\"\n"
		     "          c: 'true'\n"
		     "          d: v1.2_3-4\n"
		     "          e: e\n"
		     "          f: f\n"
		     "          g: g\n"
		     "          h: h\n"
		     "          i: i\n"
		     "          j: j\n"
		     "          k: k\n"
		     "          l: l\n"
		     "          m: m\n"
		     "          n: n\n"
		     "          example.com/a_label-key-of-63-bytes-0123456789abcdefghijklmnopq:\n"
		     "            a_label-value-of-63-bytes.0123456789abcdefghijklmnopqrstuvwxyzA\n"
		     "          app.kubernetes.io/name: web\n"
		     "      - {name: \"0\", worker: C0w2}\n");
	assert_int_equal(t->n_pods, 2);
	p = topology_pod(t, "C0", "a_pod-name-of-32-bytes-012345678");
	assert_non_null(p);
	assert_int_equal(p->n_labels, TOPO_LABELS_MAX);
	assert_string_equal(p->labels[0].value, "1");
	assert_string_equal(p->labels[2].value, "true");
	assert_string_equal(p->labels[3].value, "v1.2_3-4");
	assert_string_equal(p->labels[14].key, "example.com/a_label-key-of-63-"
			    "bytes-0123456789abcdefghijklmnopq");
	assert_string_equal(p->labels[14].value, "a_label-value-of-63-bytes."
			    "0123456789abcdefghijklmnopqrstuvwxyzA");
	assert_string_equal(p->labels[15].key, "app.kubernetes.io/name");
	assert_non_null(topology_pod(t, "C0", "0"));
	topology_free(t);
}

/* A /20 per worker holds 4093 pods: all but its network, gateway and
 * broadcast addresses. */
static char *many_pods(size_t n)
{
	static const char head[] =
		"clusters:\n"
		"  - name: C0\n"
		"    workers: [C0w1]\n"
		"    etcd: [C0e1]\n"
		"    network: {Network: 11.0.0.0/8, SubnetLen: 20}\n"
		"    pods:\n";
	size_t len = sizeof(head) + n * 40, off;
	char *buf = malloc(len);

	assert_non_null(buf);
	off = (size_t)snprintf(buf, len, "%s", head);
	for (size_t i = 0; i < n; i++)
		off += (size_t)snprintf(buf + off, len - off,
					"      - {name: p%zu, worker: C0w1}\n", i);
	return buf;
}

static void test_pods_per_worker(void **state)
{
	char err[512], *text;
	struct topology *t;

	(void)state;
	text = many_pods(4093);
	t = parse_ok(text);
	assert_int_equal(t->n_pods, 4093);
	assert_non_null(topology_pod(t, "C0", "p4092"));
	topology_free(t);
	free(text);

	text = many_pods(4094);
	assert_null(parse(text, err, sizeof(err)));
	check_message("4094 pods", err, "x.yaml:4100: clusters[0].pods[4093]."
		      "worker: ", "worker C0w1 has 4094 pods, but its /20 subnet "
		      "holds 4093 (expected at most 4093 pods per worker");
	free(text);
}

/* ---- link properties and overrides ---- */

static void test_links_bad(void **state)
{
	static const struct bad bad[] = {
		{ "delay without a unit",
		  "underlay:\n"
		  "  link: {delay: 20}\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.link.delay: ", "\"20\" has no unit (expected "
		  "a number and a unit: 20ms, 1.5ms, 100us, 2s)" },
		{ "delay with an unknown unit",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w1\n"
		  "    delay: 20xs\n",
		  "x.yaml:8: links[0].delay: ", "\"20xs\" has an unknown unit "
		  "\"xs\" (expected us, ms or s, e.g. 20ms)" },
		{ "delay too fine",
		  "underlay:\n"
		  "  link:\n"
		  "    delay: 0.5us\n"
		  CLUSTER0,
		  "x.yaml:3: underlay.link.delay: ", "finer than 1us" },
		{ "delay too long",
		  "underlay:\n"
		  "  link:\n"
		  "    delay: 61s\n"
		  CLUSTER0,
		  "x.yaml:3: underlay.link.delay: ", "\"61s\" is too long "
		  "(expected at most 60s)" },
		{ "negative jitter",
		  "underlay:\n"
		  "  link:\n"
		  "    delay: 10ms\n"
		  "    jitter: -1ms\n"
		  CLUSTER0,
		  "x.yaml:4: underlay.link.jitter: ", "is not a duration" },
		{ "rate with an unknown unit",
		  "underlay:\n"
		  "  link:\n"
		  "    rate: 100mb\n"
		  CLUSTER0,
		  "x.yaml:3: underlay.link.rate: ", "\"100mb\" has an unknown unit "
		  "\"mb\"" },
		{ "rate not a number",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w2\n"
		  "    rate: fast\n",
		  "x.yaml:8: links[0].rate: ", "\"fast\" is not a rate (expected "
		  "e.g. 100mbit" },
		{ "rate below a byte per second",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w2\n"
		  "    rate: 1bit\n",
		  "x.yaml:8: links[0].rate: ", "below one byte per second" },
		{ "loss above 100%",
		  "underlay:\n"
		  "  link: {loss: 101%}\n"
		  CLUSTER0,
		  "x.yaml:2: underlay.link.loss: ", "\"101%\" is more than 100%" },
		{ "loss without a percent sign",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0e1\n"
		  "    loss: 5\n",
		  "x.yaml:8: links[0].loss: ", "\"5\" has no % sign (expected a "
		  "percentage from 0% to 100%" },
		{ "loss negative",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0e1\n"
		  "    loss: -1%\n",
		  "x.yaml:8: links[0].loss: ", "is not a loss rate" },
		{ "jitter without delay in the defaults",
		  "underlay:\n"
		  "  link:\n"
		  "    jitter: 5ms\n"
		  CLUSTER0,
		  "x.yaml:3: underlay.link.jitter: ", "jitter needs a delay "
		  "(expected a delay above 0 for jitter 5ms)" },
		{ "jitter without delay in an override",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w2\n"
		  "    jitter: 2ms\n",
		  "x.yaml:8: links[0].jitter: ", "jitter needs a delay" },
		{ "override zeroes the delay under default jitter",
		  "underlay:\n"
		  "  link: {delay: 10ms, jitter: 2ms}\n"
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w1\n"
		  "    delay: 0\n",
		  "x.yaml:10: links[0].delay: ", "a zero delay leaves jitter 2ms "
		  "from underlay.link without a delay" },
		{ "override for an unknown node",
		  CLUSTER0
		  "links:\n"
		  "  - node: C9w9\n"
		  "    delay: 1ms\n",
		  "x.yaml:7: links[0].node: ", "no node named \"C9w9\" (expected "
		  "one of the workers or etcd members of a cluster)" },
		{ "override naming a cluster",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0\n",
		  "x.yaml:7: links[0].node: ", "no node named \"C0\"" },
		{ "override naming a switch",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0s0\n",
		  "x.yaml:7: links[0].node: ", "no node named \"C0s0\"" },
		{ "override with an over-long name",
		  CLUSTER0
		  "links:\n"
		  "  - node: a-name-longer-than-an-interface\n",
		  "x.yaml:7: links[0].node: ", "no node named" },
		{ "two overrides for one node",
		  CLUSTER0
		  "links:\n"
		  "  - node: C0w2\n"
		  "    delay: 10ms\n"
		  "  - node: C0w1\n"
		  "    delay: 10ms\n"
		  "  - node: C0w2\n"
		  "    rate: 1mbit\n",
		  "x.yaml:11: links[2].node: ", "node \"C0w2\" already has an "
		  "override, links[0] (line 7) (expected one entry per node)" },
	};

	(void)state;
	check_bad(bad, N(bad));
}

static void test_links_merge(void **state)
{
	struct topology *t;
	const struct node *n;

	(void)state;
	t = parse_ok("underlay:\n"
		     "  link: {delay: 10ms, rate: 100mbit}\n"
		     CLUSTER0
		     "links:\n"
		     "  - node: C0w2\n"
		     "    delay: 20ms\n"
		     "    jitter: 1ms\n"
		     "  - node: C0e1\n"
		     "    rate: 10mbps\n"
		     "    loss: 0.5%\n");
	assert_int_equal(t->link_defaults.delay_us, 10000);
	assert_int_equal(t->link_defaults.rate_bps, 100000000);
	assert_int_equal(t->link_defaults.set, LINK_DELAY | LINK_JITTER |
			 LINK_RATE | LINK_LOSS);

	n = topology_node(t, "C0w1");
	assert_non_null(n);
	assert_int_equal(n->link.delay_us, 10000);
	assert_int_equal(n->link.jitter_us, 0);
	assert_int_equal(n->link.rate_bps, 100000000);
	assert_int_equal(n->link.loss_ppm, 0);
	assert_true(link_props_shaped(&n->link));

	n = topology_node(t, "C0w2");
	assert_int_equal(n->link.delay_us, 20000);
	assert_int_equal(n->link.jitter_us, 1000);
	assert_int_equal(n->link.rate_bps, 100000000);

	n = topology_node(t, "C0e1");
	assert_int_equal(n->link.delay_us, 10000);
	assert_int_equal(n->link.rate_bps, 80000000); /* bytes/s, as tc */
	assert_int_equal(n->link.loss_ppm, 5000);
	topology_free(t);

	/* Nothing given: nothing shaped. Null sections are absent ones. */
	t = parse_ok("underlay:\n"
		     "links:\n"
		     CLUSTER0);
	for (size_t i = 0; i < t->n_nodes; i++)
		assert_false(link_props_shaped(&t->nodes[i].link));
	assert_int_equal(t->underlay.addr, IP(10, 0, 0, 0));
	assert_int_equal(t->underlay.len, 16);
	topology_free(t);
}

/* ---- good input ---- */

static void test_defaults(void **state)
{
	struct topology *t;
	const struct cluster *c;

	(void)state;
	t = parse_ok(CLUSTER0);
	assert_string_equal(t->name, KNETSIM_DEFAULT_SIM);
	assert_string_equal(t->path, "x.yaml");
	assert_int_equal(t->underlay.addr, IP(10, 0, 0, 0));
	assert_int_equal(t->underlay.len, 16);
	assert_int_equal(t->n_clusters, 1);
	c = topology_cluster(t, "C0");
	assert_non_null(c);
	assert_null(topology_cluster(t, "C1"));
	assert_int_equal(c->n_workers, 2);
	assert_int_equal(c->n_etcd, 1);
	assert_int_equal(c->line, 2);
	assert_int_equal(c->routing, ROUTING_BPF);
	assert_int_equal(c->proxy, PROXY_BPF);
	/* flannel's defaults */
	assert_int_equal(c->net.network.addr, IP(11, 0, 0, 0));
	assert_int_equal(c->net.subnet_len, 24);
	assert_int_equal(c->net.subnet_min, IP(11, 0, 1, 0));
	assert_int_equal(c->net.subnet_max, IP(11, 255, 255, 0));
	assert_string_equal(c->net.backend_type, "vxlan");
	assert_int_equal(c->net.vni, 1);
	assert_int_equal(c->net.port, 8472);
	assert_int_equal(t->n_nodes, 3);
	assert_string_equal(t->nodes[2].name, "C0e1");
	assert_int_equal(t->nodes[2].kind, NODE_ETCD);
	assert_int_equal(t->nodes[2].line, 4);
	assert_int_equal(t->nodes[2].addr, IP(10, 0, 0, 3));
	assert_null(topology_node(t, "C0e2"));
	assert_string_equal(node_kind_name(NODE_WORKER), "worker");
	assert_string_equal(node_kind_name(NODE_ETCD), "etcd");
	topology_free(t);
}

static void test_default_file(void **state)
{
	static const char *const names[] = {
		"C0w1", "C0w2", "C0w3", "C0e1", "C0e2", "C0e3",
		"C1w1", "C1w2", "C1w3", "C1e1", "C1e2", "C1e3",
	};
	/* The course's pods. */
	static const struct {
		const char *cluster, *name, *worker;
	} pods[] = {
		{ "C0", "c1", "C0w1" }, { "C0", "c2", "C0w2" },
		{ "C0", "c3", "C0w3" }, { "C0", "c4", "C0w3" },
		{ "C0", "ic0", "C0w2" }, { "C0", "ic1", "C0w3" },
		{ "C0", "ic2", "C0w2" }, { "C0", "ic3", "C0w3" },
		{ "C1", "c1", "C1w1" }, { "C1", "c2", "C1w2" },
		{ "C1", "c3", "C1w3" },
	};
	char path[4096], err[512];
	struct topology *t;

	(void)state;
	t = topology_load(src_path("conf/default.yaml", path, sizeof(path)),
			  err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_string_equal(t->name, "knetsim");
	assert_int_equal(t->underlay.addr, IP(10, 0, 0, 0));
	assert_int_equal(t->underlay.len, 16);
	assert_false(link_props_shaped(&t->link_defaults));
	assert_int_equal(t->n_clusters, 2);
	assert_int_equal(t->n_nodes, 12);
	for (size_t i = 0; i < 12; i++) {
		const struct node *n = &t->nodes[i];

		assert_string_equal(n->name, names[i]);
		assert_int_equal(n->cluster, i / 6);
		assert_int_equal(n->kind, i % 6 < 3 ? NODE_WORKER : NODE_ETCD);
		assert_int_equal(n->addr, IP(10, 0, 0, i + 1));
		assert_false(link_props_shaped(&n->link));
		assert_ptr_equal(topology_node(t, names[i]), n);
	}
	for (size_t i = 0; i < 2; i++) {
		const struct cluster *c = &t->clusters[i];

		assert_string_equal(c->name, i ? "C1" : "C0");
		assert_int_equal(c->n_workers, 3);
		assert_int_equal(c->n_etcd, 3);
		assert_int_equal(c->net.network.addr, IP(11, 0, 0, 0));
		assert_int_equal(c->net.network.len, 8);
		assert_int_equal(c->net.subnet_len, 20);
		assert_int_equal(c->net.subnet_min, IP(11, 10, 0, 0));
		assert_int_equal(c->net.subnet_max, IP(11, 99, 0, 0));
		assert_string_equal(c->net.backend_type, "vxlan");
		assert_int_equal(c->net.vni, 100);
		assert_int_equal(c->net.port, 8472);
		assert_int_equal(c->routing, ROUTING_BPF);
		assert_int_equal(c->proxy, PROXY_BPF);
		assert_int_equal(c->n_pods, i ? 3 : 8);
	}
	assert_int_equal(t->n_pods, N(pods));
	for (size_t i = 0; i < N(pods); i++) {
		const struct pod *p = &t->pods[i];

		assert_string_equal(p->name, pods[i].name);
		assert_string_equal(t->clusters[p->cluster].name,
				    pods[i].cluster);
		assert_string_equal(t->nodes[p->worker].name, pods[i].worker);
		assert_int_equal(p->n_labels, 0);
		assert_ptr_equal(topology_pod(t, pods[i].cluster, pods[i].name),
				 p);
		/* The ingress chapter's responders run a program, and so
		 * does the multi-cluster chapter's c4. */
		assert_int_equal(p->command.argc > 0,
				 p->name[0] == 'i' || !strcmp(p->name, "c4"));
	}
	topology_free(t);
}

/* ---- JSON input ---- */

static void test_json(void **state)
{
	static const char good[] =
		"{\n"
		"  \"name\": \"jlab\",\n"
		"  \"underlay\": {\"subnet\": \"10.1.0.0/24\",\n"
		"               \"link\": {\"delay\": \"5ms\", \"rate\": 0}},\n"
		"  \"clusters\": [{\n"
		"    \"name\": \"C0\", \"workers\": [\"C0w1\"], \"etcd\": [\"C0e1\"],\n"
		"    \"network\": {\"Network\": \"11.0.0.0/8\", \"SubnetLen\": 20,\n"
		"                \"Backend\": {\"Type\": \"vxlan\", \"VNI\": 100}}\n"
		"  }],\n"
		"  \"links\": [{\"node\":\"C0e1\",\"loss\":\"1%\"}]\n"
		"}\n";
	static const struct bad bad[] = {
		{ "unknown field in JSON",
		  "{\n"
		  "  \"clusters\": [\n"
		  "    {\"name\": \"C0\", \"workers\": [\"C0w1\"], \"etcd\": [\"C0e1\"],\n"
		  "     \"colour\": \"red\",\n"
		  "     \"network\": {\"Network\": \"11.0.0.0/8\"}}\n"
		  "  ]\n"
		  "}\n",
		  "x.yaml:4: clusters[0].colour: ", "unknown field" },
		{ "string where JSON needs a number",
		  "{\"clusters\": [{\"name\": \"C0\", \"workers\": [\"C0w1\"],\n"
		  " \"etcd\": [\"C0e1\"],\n"
		  " \"network\": {\"Network\": \"11.0.0.0/8\", \"SubnetLen\": \"20\"}}]}\n",
		  "x.yaml:3: clusters[0].network.SubnetLen: ", "got the string "
		  "\"20\"" },
		{ "JSON syntax error",
		  "{\n"
		  "  \"clusters\": [\n"
		  "    {\"name\": \"C0\"\n"
		  "     \"workers\": [\"C0w1\"]}\n"
		  "  ]\n"
		  "}\n",
		  "x.yaml:4: invalid YAML: ", "(column " },
		{ "JSON duplicate key",
		  "{\"name\": \"a\",\n"
		  " \"name\": \"b\"}\n",
		  "x.yaml:2: invalid YAML: duplicate key \"name\" (first at "
		  "line 1)", "" },
	};
	char path[4096], err[512];
	struct topology *t;

	(void)state;
	t = parse_ok(good);
	assert_string_equal(t->name, "jlab");
	assert_int_equal(t->n_nodes, 2);
	assert_int_equal(t->nodes[1].addr, IP(10, 1, 0, 2));
	assert_int_equal(t->nodes[1].line, 6);
	assert_int_equal(t->nodes[1].link.delay_us, 5000);
	assert_int_equal(t->nodes[1].link.loss_ppm, 10000);
	assert_int_equal(t->clusters[0].net.vni, 100);
	assert_int_equal(t->clusters[0].net.port, 8472);
	topology_free(t);
	check_bad(bad, N(bad));

	/* A .json name says JSON in syntax errors. */
	assert_null(topology_parse("{\"clusters\": [}", 15, "t.json", err,
				   sizeof(err)));
	check_message("JSON name", err, "t.json:1: invalid JSON: ", "(column ");

	/* From a file: the message names the file and the line. */
	src_path("tests/unit/data/bad-vni.json", path, sizeof(path));
	assert_null(topology_load(path, err, sizeof(err)));
	if (!strstr(err, "tests/unit/data/bad-vni.json:11: "
			 "clusters[0].network.Backend.VNI: 0 is out of range "
			 "(expected 1 to 16777215)"))
		fail_msg("message \"%s\"", err);
}

/* ---- files ---- */

static void test_files(void **state)
{
	char path[4096], err[512];
	struct topology *t;

	(void)state;
	assert_null(topology_load("/nonexistent/kta-topology.yaml", err,
				  sizeof(err)));
	assert_string_equal(err, "/nonexistent/kta-topology.yaml: cannot read: "
			    "No such file or directory");
	assert_null(topology_load(srcdir(), err, sizeof(err)));
	check_message("directory", err, srcdir(), ": cannot read: Is a "
		      "directory");
	assert_null(topology_load("/dev/null", err, sizeof(err)));
	assert_string_equal(err, "/dev/null: empty topology (expected a map "
			    "with at least \"clusters\")");

	src_path("tests/unit/data/bad-syntax.yaml", path, sizeof(path));
	assert_null(topology_load(path, err, sizeof(err)));
	check_message("bad syntax", err, path, ":4: invalid YAML: ");

	src_path("tests/unit/data/shaped.yaml", path, sizeof(path));
	t = topology_load(path, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_string_equal(t->path, path);
	topology_free(t);
}

static void test_stdin(void **state)
{
	char path[4096], err[512];
	struct topology *t;
	int fd, saved;

	(void)state;
	src_path("conf/default.yaml", path, sizeof(path));
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	saved = dup(STDIN_FILENO);
	assert_true(saved >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);
	t = topology_load("-", err, sizeof(err));
	assert_int_equal(dup2(saved, STDIN_FILENO), STDIN_FILENO);
	close(saved);
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(t->n_nodes, 12);
	assert_string_equal(t->path, "<stdin>");
	topology_free(t);
}

/* ---- round trip through topology_to_json ---- */

static void assert_same_link(const struct link_props *a,
			     const struct link_props *b)
{
	assert_int_equal(a->set, b->set);
	assert_int_equal(a->delay_us, b->delay_us);
	assert_int_equal(a->jitter_us, b->jitter_us);
	assert_int_equal(a->rate_bps, b->rate_bps);
	assert_int_equal(a->loss_ppm, b->loss_ppm);
}

/* Identical but for where things were written. */
static void assert_same(const struct topology *a, const struct topology *b)
{
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->underlay.addr, b->underlay.addr);
	assert_int_equal(a->underlay.len, b->underlay.len);
	assert_same_link(&a->link_defaults, &b->link_defaults);
	assert_int_equal(a->n_clusters, b->n_clusters);
	for (size_t i = 0; i < a->n_clusters; i++) {
		const struct cluster *x = &a->clusters[i], *y = &b->clusters[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->net.network.addr, y->net.network.addr);
		assert_int_equal(x->net.network.len, y->net.network.len);
		assert_int_equal(x->net.subnet_len, y->net.subnet_len);
		assert_int_equal(x->net.subnet_min, y->net.subnet_min);
		assert_int_equal(x->net.subnet_max, y->net.subnet_max);
		assert_string_equal(x->net.backend_type, y->net.backend_type);
		assert_int_equal(x->net.vni, y->net.vni);
		assert_int_equal(x->net.port, y->net.port);
		assert_int_equal(x->routing, y->routing);
		assert_int_equal(x->proxy, y->proxy);
		assert_int_equal(x->n_workers, y->n_workers);
		assert_int_equal(x->n_etcd, y->n_etcd);
		assert_int_equal(x->n_pods, y->n_pods);
	}
	assert_int_equal(a->n_nodes, b->n_nodes);
	for (size_t i = 0; i < a->n_nodes; i++) {
		const struct node *x = &a->nodes[i], *y = &b->nodes[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->cluster, y->cluster);
		assert_int_equal(x->addr, y->addr);
		assert_same_link(&x->link, &y->link);
	}
	assert_int_equal(a->n_pods, b->n_pods);
	for (size_t i = 0; i < a->n_pods; i++) {
		const struct pod *x = &a->pods[i], *y = &b->pods[i];

		assert_string_equal(x->name, y->name);
		assert_int_equal(x->cluster, y->cluster);
		assert_int_equal(x->worker, y->worker);
		assert_int_equal(x->n_labels, y->n_labels);
		for (size_t j = 0; j < x->n_labels; j++) {
			assert_string_equal(x->labels[j].key, y->labels[j].key);
			assert_string_equal(x->labels[j].value,
					    y->labels[j].value);
		}
	}
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	for (s = strstr(s, what); s; s = strstr(s + 1, what))
		n++;
	return n;
}

static void round_trip(const struct topology *t)
{
	char err[512], *json = topology_to_json(t), *again;
	struct topology *u;

	assert_non_null(json);
	u = topology_parse(json, strlen(json), "saved.json", err, sizeof(err));
	if (!u)
		fail_msg("reload failed: %s\n%s", err, json);
	assert_same(t, u);
	/* A fixed point: saving the reloaded copy gives the same text. */
	again = topology_to_json(u);
	assert_string_equal(json, again);
	free(again);
	free(json);
	topology_free(u);
}

static void test_round_trip(void **state)
{
	char path[4096], err[512], *json;
	struct topology *t;

	(void)state;
	t = topology_load(src_path("conf/default.yaml", path, sizeof(path)),
			  err, sizeof(err));
	assert_non_null(t);
	round_trip(t);
	topology_free(t);

	t = topology_load(src_path("tests/unit/data/shaped.yaml", path,
				   sizeof(path)), err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	round_trip(t);
	/* Defaults written out; links only where they differ. */
	json = topology_to_json(t);
	if (!strstr(json, "\"delay\":\t\"1.5ms\"") ||
	    !strstr(json, "\"rate\":\t\"100mbit\"") ||
	    !strstr(json, "\"loss\":\t\"0.5%\"") ||
	    !strstr(json, "\"SubnetMin\":\t\"12.0.1.0\"") ||
	    !strstr(json, "\"VNI\":\t1,") ||
	    !strstr(json, "\"routing\":\t\"kernel\"") ||
	    !strstr(json, "\"node\":\t\"C0w2\"") ||
	    !strstr(json, "\"node\":\t\"C1e2\"") ||
	    strstr(json, "\"node\":\t\"C1w1\""))
		fail_msg("unexpected JSON:\n%s", json);
	free(json);
	topology_free(t);

	/* Pods with their labels; "labels" only where there are some,
	 * "pods" always, as "links". */
	t = parse_ok(CLUSTER0
		     "    pods:\n"
		     "      - {name: c1, worker: C0w2}\n"
		     "      - name: c2\n"
		     "        worker: C0w1\n"
		     "        labels:\n"
		     "          tier: front\n"
		     "          app.kubernetes.io/name: web\n"
		     "          version: 2\n"
		     "          on: true\n"
		     CLUSTER1
		     "  - name: C2\n"
		     "    workers: [C2w1]\n"
		     "    etcd: [C2e1]\n"
		     "    network: {Network: 11.0.0.0/8}\n"
		     "    pods: [{name: c1, worker: C2w1, labels: {app: db}}]\n");
	round_trip(t);
	json = topology_to_json(t);
	/* c1 in C0 ends after its worker: no labels. */
	if (!strstr(json, "\"worker\":\t\"C0w2\"\n") ||
	    !strstr(json, "\"worker\":\t\"C0w1\",\n") ||
	    !strstr(json, "\"tier\":\t\"front\"") ||
	    !strstr(json, "\"app.kubernetes.io/name\":\t\"web\"") ||
	    !strstr(json, "\"version\":\t\"2\"") ||
	    !strstr(json, "\"on\":\t\"true\"") ||
	    !strstr(json, "\"app\":\t\"db\"") ||
	    !strstr(json, "\"pods\":\t[]") ||
	    count(json, "\"labels\"") != 2 || count(json, "\"pods\"") != 3)
		fail_msg("unexpected JSON:\n%s", json);
	free(json);
	topology_free(t);
}

/* ---- services ---- */

#define SVC_PODS \
	"    pods:\n" \
	"      - {name: c2, worker: C0w1, labels: {app: web}}\n" \
	"      - {name: c3, worker: C0w1}\n"

static void test_services_bad(void **state)
{
	static const struct bad bad[] = {
		{ "services as a map", CLUSTER0 SVC_PODS
		  "    services: {a: b}\n",
		  "x.yaml:9: clusters[0].services: ", "expected a list of services" },
		{ "service as a scalar", CLUSTER0 SVC_PODS
		  "    services: [a]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "expected a map of name, vip" },
		{ "unknown field", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], colour: red}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "unknown field \"colour\"" },
		{ "unknown port field", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], ports: [{port: 80, proto: tcp}]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "unknown field \"proto\"" },
		{ "no name", CLUSTER0 SVC_PODS
		  "    services: [{vip: 100.64.0.1, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "name: expected a name" },
		{ "no vip", CLUSTER0 SVC_PODS
		  "    services: [{name: s, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "vip: expected an IPv4 address" },
		{ "bad vip", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "vip: expected an IPv4 address" },
		{ "vip in pod network", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 11.1.1.1, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services: ", "inside the pod network 11.0.0.0/8" },
		{ "vip in underlay", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 10.0.0.200, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services: ", "inside the underlay subnet" },
		{ "vip loopback", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 127.0.0.5, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services: ", "not a unicast address" },
		{ "vip multicast", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 239.1.1.1, pods: [c2]}]\n",
		  "x.yaml:9: clusters[0].services: ", "not a unicast address" },
		{ "both selector and pods", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], selector: {app: web}}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "exactly one of selector and pods" },
		{ "neither", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "exactly one of selector and pods" },
		{ "unknown pod", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2, c9]}]\n",
		  "x.yaml:9: clusters[0].services: ", "no pod named \"c9\" in cluster C0" },
		{ "port 0", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], ports: [{port: 0}]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "ports[0].port: expected an integer from 1 to 65535" },
		{ "port 70000", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], ports: [{port: 70000}]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "ports[0].port: expected an integer" },
		{ "bad protocol", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], ports: [{port: 80, protocol: sctp}]}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "ports[0].protocol: expected TCP or UDP" },
		{ "bad algorithm", CLUSTER0 SVC_PODS
		  "    services: [{name: s, vip: 100.64.0.1, pods: [c2], algorithm: rr}]\n",
		  "x.yaml:9: clusters[0].services[0]: ", "algorithm: expected random or maglev" },
		{ "same name twice", CLUSTER0 SVC_PODS
		  "    services:\n"
		  "      - {name: s, vip: 100.64.0.1, pods: [c2]}\n"
		  "      - {name: s, vip: 100.64.0.2, pods: [c2]}\n",
		  "x.yaml:11: clusters[0].services: ", "declared twice (first on line 10)" },
		{ "duplicate vip:port", CLUSTER0 SVC_PODS
		  "    services:\n"
		  "      - {name: a, vip: 100.64.0.1, pods: [c2], ports: [{port: 80}]}\n"
		  "      - {name: b, vip: 100.64.0.1, pods: [c3], ports: [{port: 80, protocol: TCP}]}\n",
		  "x.yaml:11: clusters[0].services: ", "100.64.0.1:80/TCP is already used by service default/a" },
		{ "vip-only and ported", CLUSTER0 SVC_PODS
		  "    services:\n"
		  "      - {name: a, vip: 100.64.0.1, pods: [c2]}\n"
		  "      - {name: b, vip: 100.64.0.1, pods: [c3], ports: [{port: 80}]}\n",
		  "x.yaml:11: clusters[0].services: ", "VIP 100.64.0.1 is already used by service default/a" },
	};

	(void)state;
	check_bad(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_services(void **state)
{
	struct topology *t;
	char err[512];

	(void)state;
	t = parse(CLUSTER0 SVC_PODS
		     "    services:\n"
		     "      - {name: kp-vip-1, vip: 100.64.10.1, pods: [c2, c3]}\n"
		     "      - name: web\n"
		     "        vip: 100.64.10.1\n"
		     "        selector: {app: web}\n"
		     "        algorithm: maglev\n"
		     "        ports: [{port: 80, targetPort: 8080, protocol: tcp}]\n"
		     "  - name: C1\n"
		     "    workers: [C1w1]\n"
		     "    etcd: [C1e1]\n"
		     "    network: {Network: 11.0.0.0/8}\n"
		     "    pods: [{name: c2, worker: C1w1}]\n"
		     "    services: [{name: kp-vip-1, vip: 100.64.10.2, pods: [c2],\n"
		     "                ports: [{port: 53, protocol: udp}]}]\n",
		  err, sizeof(err));
	/* The same VIP on different ports is fine only when both have ports:
	 * here kp-vip-1 is VIP-only, so the ported one must fail... */
	assert_null(t);
	t = parse_ok(CLUSTER0 SVC_PODS
		     "    services:\n"
		     "      - {name: kp-vip-1, vip: 100.64.10.1, pods: [c2, c3]}\n"
		     "      - name: web\n"
		     "        vip: 100.64.10.3\n"
		     "        selector: {app: web}\n"
		     "        algorithm: maglev\n"
		     "        ports: [{port: 80, targetPort: 8080, protocol: tcp}, {port: 80, protocol: udp}]\n"
		     "  - name: C1\n"
		     "    workers: [C1w1]\n"
		     "    etcd: [C1e1]\n"
		     "    network: {Network: 11.0.0.0/8}\n"
		     "    pods: [{name: c2, worker: C1w1}]\n"
		     "    services: [{name: kp-vip-1, vip: 100.64.10.1, pods: [c2]}]\n");
	assert_non_null(t);
	assert_int_equal(t->n_services, 3);
	assert_string_equal(t->services[0].spec.name, "kp-vip-1");
	assert_true(t->services[0].spec.by_name);
	assert_int_equal(t->services[0].spec.n_pods, 2);
	assert_int_equal(t->services[0].spec.n_ports, 0);
	assert_int_equal(t->services[0].cluster, 0);
	assert_int_equal(t->services[1].spec.algo, PROXY_ALGO_MAGLEV);
	assert_int_equal(t->services[1].spec.n_ports, 2);
	assert_int_equal(t->services[1].spec.ports[0].target_port, 8080);
	assert_int_equal(t->services[1].spec.ports[1].target_port, 80);
	assert_int_equal(t->services[1].spec.n_selector, 1);
	assert_int_equal(t->services[2].cluster, 1);
	/* Saved as JSON (topology.json) and loaded again: the same. */
	{
		char *json = topology_to_json(t);
		struct topology *t2;

		assert_non_null(json);
		t2 = parse(json, err, sizeof(err));
		if (!t2)
			fail_msg("%s\n%s", err, json);
		assert_int_equal(t2->n_services, 3);
		for (size_t i = 0; i < 3; i++) {
			assert_int_equal(t2->services[i].cluster, t->services[i].cluster);
			assert_memory_equal(&t2->services[i].spec, &t->services[i].spec,
					    sizeof(t->services[i].spec));
		}
		free(json);
		topology_free(t2);
	}
	topology_free(t);
}

static void test_default_services(void **state)
{
	struct topology *t;
	char err[512], path[512];

	(void)state;
	t = topology_load(src_path("conf/default.yaml", path, sizeof(path)),
			  err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	/* C0: kp-vip-1 and the ingress chapter's svc1, svc2; C1: kp-vip-1. */
	assert_int_equal(t->n_services, 4);
	for (size_t k = 0; k < 2; k++) {
		size_t i = k ? 3 : 0;

		assert_string_equal(t->services[i].spec.name, "kp-vip-1");
		assert_int_equal(t->services[i].cluster, k);
		assert_int_equal(t->services[i].spec.vip, 0x64400a01);
		assert_int_equal(t->services[i].spec.n_ports, 0);
		assert_int_equal(t->services[i].spec.n_pods, 2);
		assert_string_equal(t->services[i].spec.pods[0], "c2");
		assert_string_equal(t->services[i].spec.pods[1], "c3");
	}
	topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_yaml),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_missing_fields),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_names_at_limits),
		cmocka_unit_test(test_networks),
		cmocka_unit_test(test_datapath),
		cmocka_unit_test(test_pods_bad),
		cmocka_unit_test(test_pod_labels_bad),
		cmocka_unit_test(test_pods),
		cmocka_unit_test(test_pods_at_limits),
		cmocka_unit_test(test_pods_per_worker),
		cmocka_unit_test(test_services_bad),
		cmocka_unit_test(test_services),
		cmocka_unit_test(test_default_services),
		cmocka_unit_test(test_links_bad),
		cmocka_unit_test(test_links_merge),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_file),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_stdin),
		cmocka_unit_test(test_round_trip),
	};

	return cmocka_run_group_tests_name("topology", tests, NULL, NULL);
}
