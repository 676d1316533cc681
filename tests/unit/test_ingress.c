// SPDX-License-Identifier: MIT
/* Ingresses: the object's parser and writer (lib/ingress.c), the checks
 * before an ingress is written (sim/ingress_store.c) and the topology's
 * clusters[].ingresses (sim/topology_ingress.c). Every bad input is
 * refused with a message naming the field; nothing is half-applied
 * because every check runs before the one write. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingress.h"
#include "ingress_store.h"
#include "services.h"
#include "topology.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* An object with one rule; P is the paths array's content. */
#define OBJ(NODE, PORT, P) \
	"{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\"," \
	"\"metadata\":{\"name\":\"grp1\"}," \
	"\"spec\":{\"nodeName\":" NODE ",\"port\":" PORT "," \
	"\"rules\":[{\"http\":{\"paths\":[" P "]}}]}}"
#define PATH(PATH, TYPE, SVC, PORT) \
	"{\"path\":" PATH "," TYPE "\"backend\":{\"service\":{\"name\":" SVC \
	",\"port\":{\"number\":" PORT "}}}}"
#define SVC1 PATH("\"/svc1\"", "\"pathType\":\"Prefix\",", "\"svc1\"", "8000")
#define SVC2 PATH("\"/svc2\"", "", "\"svc2\"", "8000")
#define GOOD OBJ("\"C0w1\"", "8001", SVC1 "," SVC2)

static int parse(const char *json, struct ingress_spec *s, char *err,
		 size_t errlen)
{
	return ingress_parse(json, strlen(json), s, err, errlen);
}

static void test_parse_good(void **state)
{
	struct ingress_spec *s = calloc(1, sizeof(*s)), *u = calloc(1, sizeof(*u));
	char err[256], *json;

	(void)state;
	if (parse(GOOD, s, err, sizeof(err)))
		fail_msg("%s", err);
	assert_string_equal(s->ns, "default");
	assert_string_equal(s->name, "grp1");
	assert_string_equal(s->node, "C0w1");
	assert_int_equal(s->port, 8001);
	assert_int_equal(s->n_paths, 2);
	assert_string_equal(s->paths[0].path, "/svc1");
	assert_int_equal(s->paths[0].type, INGRESS_PATH_PREFIX);
	assert_string_equal(s->paths[0].service, "svc1");
	assert_int_equal(s->paths[0].port, 8000);
	assert_int_equal(s->paths[1].type, INGRESS_PATH_PREFIX); /* default */
	assert_int_equal(ingress_validate(s, err, sizeof(err)), 0);

	/* Written back and read again: the same spec. */
	json = ingress_to_json(s);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"apiVersion\":\"networking.k8s.io/v1\""));
	assert_non_null(strstr(json, "\"pathType\":\"Prefix\""));
	assert_int_equal(parse(json, u, err, sizeof(err)), 0);
	assert_memory_equal(s, u, sizeof(*s));
	free(json);

	/* Several rules are one list of paths; types round-trip. */
	assert_int_equal(parse("{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
			       "\"metadata\":{\"name\":\"a\",\"namespace\":\"lab\"},"
			       "\"spec\":{\"nodeName\":\"w-1\",\"port\":1,\"rules\":["
			       "{\"http\":{\"paths\":[" PATH("\"/\"", "\"pathType\":\"ImplementationSpecific\",", "\"x\"", "1") "]}},"
			       "{\"http\":{\"paths\":[" PATH("\"/a/b.c~d\"", "\"pathType\":\"Exact\",", "\"y.z\"", "65535") "]}}]}}",
			       s, err, sizeof(err)), 0);
	assert_string_equal(s->ns, "lab");
	assert_int_equal(s->n_paths, 2);
	assert_int_equal(s->paths[0].type, INGRESS_PATH_IMPL);
	assert_int_equal(s->paths[1].type, INGRESS_PATH_EXACT);
	assert_int_equal(s->paths[1].port, 65535);
	json = ingress_to_json(s);
	assert_int_equal(parse(json, u, err, sizeof(err)), 0);
	assert_memory_equal(s, u, sizeof(*s));
	free(json);
	free(s);
	free(u);
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *name, *json, *message;
	} bad[] = {
		{ "not JSON", "{", "not a JSON object" },
		{ "array", "[]", "not a JSON object" },
		{ "apiVersion", "{\"apiVersion\":\"v1\",\"kind\":\"Ingress\"}",
		  "apiVersion: expected \"networking.k8s.io/v1\"" },
		{ "kind", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Service\"}",
		  "kind: expected \"Ingress\"" },
		{ "no metadata", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\"}",
		  "metadata: expected an object" },
		{ "bad name", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a b\"}}", "metadata.name: expected a name" },
		{ "bad namespace", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\",\"namespace\":7}}", "metadata.namespace: expected a name" },
		{ "no spec", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\"}}", "spec: expected an object" },
		{ "node missing", OBJ("null", "8001", SVC1), "spec.nodeName: expected a name" },
		{ "node with a dot", OBJ("\"C0.w1\"", "8001", SVC1), "spec.nodeName: expected a name" },
		{ "node too long", OBJ("\"abcdefghijklmnop\"", "8001", SVC1),
		  "spec.nodeName: expected a name of 1 to 15" },
		{ "port 0", OBJ("\"C0w1\"", "0", SVC1), "spec.port: expected an integer from 1 to 65535" },
		{ "port 65536", OBJ("\"C0w1\"", "65536", SVC1), "spec.port: expected an integer" },
		{ "port 1.5", OBJ("\"C0w1\"", "1.5", SVC1), "spec.port: expected an integer" },
		{ "port string", OBJ("\"C0w1\"", "\"80\"", SVC1), "spec.port: expected an integer" },
		{ "no paths", OBJ("\"C0w1\"", "80", ""), "spec.rules[0].http.paths: expected a non-empty array" },
		{ "path without slash", OBJ("\"C0w1\"", "80", PATH("\"svc1\"", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[0].path: \"svc1\" does not start with '/'" },
		{ "empty path", OBJ("\"C0w1\"", "80", PATH("\"\"", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[0].path: empty" },
		{ "path not a string", OBJ("\"C0w1\"", "80", PATH("1", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[0].path: expected a string" },
		{ "space in path", OBJ("\"C0w1\"", "80", SVC1 "," PATH("\"/a b\"", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[1].path: \"/a b\" has an invalid character ' '" },
		{ "brace in path", OBJ("\"C0w1\"", "80", PATH("\"/a}\"", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[0].path: \"/a}\" has an invalid character '}'" },
		{ "semicolon in path", OBJ("\"C0w1\"", "80", PATH("\"/a;b\"", "", "\"s\"", "80")),
		  "has an invalid character ';'" },
		{ "quote in path", OBJ("\"C0w1\"", "80", PATH("\"/a\\\"\"", "", "\"s\"", "80")),
		  "has an invalid character '\"'" },
		{ "newline in path", OBJ("\"C0w1\"", "80", PATH("\"/a\\n\"", "", "\"s\"", "80")),
		  "has an invalid character 0x0a" },
		{ "percent in path", OBJ("\"C0w1\"", "80", PATH("\"/a%20\"", "", "\"s\"", "80")),
		  "has an invalid character '%'" },
		{ "double slash", OBJ("\"C0w1\"", "80", PATH("\"/a//b\"", "", "\"s\"", "80")),
		  "is not a normalised path" },
		{ "dot dot", OBJ("\"C0w1\"", "80", PATH("\"/a/../b\"", "", "\"s\"", "80")),
		  "is not a normalised path" },
		{ "dot at the end", OBJ("\"C0w1\"", "80", PATH("\"/a/.\"", "", "\"s\"", "80")),
		  "is not a normalised path" },
		{ "bad pathType", OBJ("\"C0w1\"", "80", PATH("\"/a\"", "\"pathType\":\"Regex\",", "\"s\"", "80")),
		  "spec.rules[0].http.paths[0].pathType: expected Prefix, Exact or ImplementationSpecific" },
		{ "no backend", OBJ("\"C0w1\"", "80", "{\"path\":\"/a\"}"),
		  "spec.rules[0].http.paths[0].backend: expected an object" },
		{ "resource backend", OBJ("\"C0w1\"", "80", "{\"path\":\"/a\",\"backend\":{\"resource\":{}}}"),
		  "spec.rules[0].http.paths[0].backend.resource: not supported" },
		{ "bad service name", OBJ("\"C0w1\"", "80", PATH("\"/a\"", "", "\"a/b\"", "80")),
		  "spec.rules[0].http.paths[0].backend.service.name: expected a name" },
		{ "named port", OBJ("\"C0w1\"", "80", "{\"path\":\"/a\",\"backend\":{\"service\":"
				  "{\"name\":\"s\",\"port\":{\"name\":\"http\"}}}}"),
		  "spec.rules[0].http.paths[0].backend.service.port.name: not supported" },
		{ "service port 0", OBJ("\"C0w1\"", "80", PATH("\"/a\"", "", "\"s\"", "0")),
		  "spec.rules[0].http.paths[0].backend.service.port.number: expected an integer" },
		{ "duplicate path", OBJ("\"C0w1\"", "80", SVC1 "," SVC2 "," SVC1),
		  "spec.rules[0].http.paths[2].path: duplicate path \"/svc1\" "
		  "(spec.rules[0].http.paths[0] already routes it as Prefix)" },
		{ "duplicate with a trailing slash", OBJ("\"C0w1\"", "80", SVC1 "," PATH("\"/svc1/\"", "", "\"s\"", "80")),
		  "spec.rules[0].http.paths[1].path: duplicate path \"/svc1/\"" },
		{ "exact and prefix", OBJ("\"C0w1\"", "80", SVC1 "," PATH("\"/svc1\"", "\"pathType\":\"Exact\",", "\"s\"", "80")),
		  "spec.rules[0].http.paths[1].path: duplicate path \"/svc1\"" },
		{ "host", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"w\",\"port\":80,"
		  "\"rules\":[{\"host\":\"x.example\",\"http\":{\"paths\":[" SVC1 "]}}]}}",
		  "spec.rules[0].host: not supported" },
		{ "default backend", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\"},\"spec\":{\"defaultBackend\":{}}}",
		  "spec.defaultBackend: not supported" },
		{ "tls", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\"},\"spec\":{\"tls\":[]}}", "spec.tls: not supported" },
		{ "no rules", "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
		  "\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"w\",\"port\":80}}",
		  "spec.rules: expected a non-empty array" },
	};
	struct ingress_spec *s = malloc(sizeof(*s));
	char err[256];

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		int ret = parse(bad[i].json, s, err, sizeof(err));

		if (!ret)
			fail_msg("%s: accepted", bad[i].name);
		assert_int_equal(ret, -EINVAL);
		if (!strstr(err, bad[i].message))
			fail_msg("%s: message\n  %s\nexpected\n  ...%s...",
				 bad[i].name, err, bad[i].message);
	}
	/* No message buffer is fine too. */
	assert_int_equal(parse("{", s, NULL, 0), -EINVAL);
	free(s);
}

static void test_limits(void **state)
{
	struct ingress_spec *s = calloc(1, sizeof(*s));
	char err[256], *json;

	(void)state;
	snprintf(s->ns, sizeof(s->ns), "default");
	snprintf(s->name, sizeof(s->name), "big");
	snprintf(s->node, sizeof(s->node), "C0w1");
	s->port = 80;
	for (size_t i = 0; i < INGRESS_PATHS_MAX; i++) {
		snprintf(s->paths[i].path, sizeof(s->paths[i].path), "/p%zu", i);
		snprintf(s->paths[i].service, sizeof(s->paths[i].service), "s");
		s->paths[i].port = 80;
	}
	s->n_paths = INGRESS_PATHS_MAX;
	/* The longest path. */
	memset(s->paths[0].path, 'a', INGRESS_PATH_MAX);
	s->paths[0].path[0] = '/';
	s->paths[0].path[INGRESS_PATH_MAX] = '\0';
	assert_int_equal(ingress_validate(s, err, sizeof(err)), 0);
	json = ingress_to_json(s);
	assert_int_equal(parse(json, s, err, sizeof(err)), 0);
	assert_int_equal(s->n_paths, INGRESS_PATHS_MAX);
	free(json);

	/* One path more than allowed, in an object. */
	{
		char *big = malloc(64 * 1024), *p;

		p = big + sprintf(big, "{\"apiVersion\":\"networking.k8s.io/v1\",\"kind\":\"Ingress\","
				  "\"metadata\":{\"name\":\"a\"},\"spec\":{\"nodeName\":\"w\","
				  "\"port\":80,\"rules\":[{\"http\":{\"paths\":[");
		for (int i = 0; i <= INGRESS_PATHS_MAX; i++)
			p += sprintf(p, "%s" PATH("\"/p%d\"", "", "\"s\"", "80"),
				     i ? "," : "", i);
		strcpy(p, "]}}]}}");
		assert_int_equal(parse(big, s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "spec.rules: more than 32 paths"));
		free(big);
	}
	/* A path one byte too long. */
	assert_int_equal(parse(GOOD, s, err, sizeof(err)), 0);
	memset(s->paths[0].path, 'a', INGRESS_PATH_MAX);
	s->paths[0].path[0] = '/';
	json = ingress_to_json(s);
	{
		char *longer = malloc(strlen(json) + 2), *at = strstr(json, "/aaa");

		sprintf(longer, "%.*sa%s", (int)(at - json + 1), json, at + 1);
		assert_int_equal(parse(longer, s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "spec.rules[0].http.paths[0].path: 256 bytes long (expected at most 255)"));
		free(longer);
	}
	free(json);
	free(s);
}

static void test_validate(void **state)
{
	struct ingress_spec *s = calloc(1, sizeof(*s));
	char err[256];

	(void)state;
	assert_int_equal(parse(GOOD, s, err, sizeof(err)), 0);
	s->paths[1] = s->paths[0];
	assert_int_equal(ingress_validate(s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths[1].path: duplicate path \"/svc1\" "
			    "(paths[0] already routes it as Prefix)");
	snprintf(s->paths[1].path, sizeof(s->paths[1].path), "svc2");
	assert_int_equal(ingress_validate(s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "paths[1].path: \"svc2\" does not start with '/'"));
	snprintf(s->paths[1].path, sizeof(s->paths[1].path), "/svc2");
	s->paths[1].port = 0;
	assert_int_equal(ingress_validate(s, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "paths[1].port: expected a port from 1 to 65535");
	s->paths[1].port = 80;
	s->port = 0;
	assert_int_equal(ingress_validate(s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "spec.port"));
	s->port = 80;
	s->n_paths = 0;
	assert_int_equal(ingress_validate(s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "paths: no path"));
	free(s);
}

static void test_clash(void **state)
{
	static const struct {
		const char *a;
		enum ingress_path_type ta;
		const char *b;
		enum ingress_path_type tb;
		bool clash;
	} cases[] = {
		{ "/a", INGRESS_PATH_PREFIX, "/a", INGRESS_PATH_PREFIX, true },
		{ "/a", INGRESS_PATH_PREFIX, "/a/", INGRESS_PATH_PREFIX, true },
		{ "/a", INGRESS_PATH_PREFIX, "/ab", INGRESS_PATH_PREFIX, false },
		{ "/", INGRESS_PATH_PREFIX, "/a", INGRESS_PATH_PREFIX, false },
		{ "/a", INGRESS_PATH_EXACT, "/a", INGRESS_PATH_EXACT, true },
		{ "/a", INGRESS_PATH_EXACT, "/a/", INGRESS_PATH_EXACT, false },
		{ "/a", INGRESS_PATH_EXACT, "/a", INGRESS_PATH_PREFIX, true },
		{ "/a/", INGRESS_PATH_PREFIX, "/a", INGRESS_PATH_EXACT, true },
		{ "/a/", INGRESS_PATH_EXACT, "/a", INGRESS_PATH_PREFIX, false },
		{ "/a", INGRESS_PATH_IMPL, "/a", INGRESS_PATH_IMPL, true },
		{ "/a", INGRESS_PATH_IMPL, "/a", INGRESS_PATH_PREFIX, false },
		{ "/a/", INGRESS_PATH_IMPL, "/a", INGRESS_PATH_PREFIX, true },
		{ "/", INGRESS_PATH_IMPL, "/", INGRESS_PATH_PREFIX, true },
		{ "/", INGRESS_PATH_EXACT, "/", INGRESS_PATH_PREFIX, false },
	};
	struct ingress_path a = { 0 }, b = { 0 };

	(void)state;
	for (size_t i = 0; i < N(cases); i++) {
		snprintf(a.path, sizeof(a.path), "%s", cases[i].a);
		snprintf(b.path, sizeof(b.path), "%s", cases[i].b);
		a.type = cases[i].ta;
		b.type = cases[i].tb;
		if (ingress_paths_clash(&a, &b) != cases[i].clash ||
		    ingress_paths_clash(&b, &a) != cases[i].clash)
			fail_msg("case %zu: %s %s vs %s %s", i, cases[i].a,
				 ingress_path_type_name(a.type), cases[i].b,
				 ingress_path_type_name(b.type));
	}
}

static void test_keys(void **state)
{
	char key[128], ns[INGRESS_NAME_MAX + 1], name[INGRESS_NAME_MAX + 1];

	(void)state;
	assert_int_equal(ingress_key("default", "grp1", key, sizeof(key)), 0);
	assert_string_equal(key, "/knetsim/ingresses/default/grp1");
	assert_int_equal(ingress_key("default", "grp1", key, 20), -ENAMETOOLONG);
	assert_int_equal(ingress_key_parse("/knetsim/ingresses/ns/n", ns, name), 0);
	assert_string_equal(ns, "ns");
	assert_string_equal(name, "n");
	assert_int_equal(ingress_key_parse("/knetsim/services/ns/n", ns, name), -EINVAL);
	assert_int_equal(ingress_key_parse("/knetsim/ingresses/ns", ns, name), -EINVAL);
	assert_int_equal(ingress_key_parse("/knetsim/ingresses/ns/a/b", ns, name), -EINVAL);
	assert_int_equal(ingress_key_parse("/knetsim/ingresses//a", ns, name), -EINVAL);
	assert_int_equal(ingress_key_parse("/knetsim/ingresses/ns/", ns, name), -EINVAL);
}

/* ---- against services and other ingresses ---- */

static void make_svc(struct svc_spec *s, const char *name, uint32_t vip,
		     uint16_t port, uint8_t proto)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->ns, sizeof(s->ns), "default");
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->vip = vip;
	if (port) {
		s->ports[0].port = port;
		s->ports[0].target_port = port;
		s->ports[0].proto = proto;
		s->n_ports = 1;
	}
}

static void test_resolve(void **state)
{
	struct svc_spec *svcs = calloc(4, sizeof(*svcs));
	struct ingress_spec *s = calloc(1, sizeof(*s));
	char err[512];

	(void)state;
	make_svc(&svcs[0], "svc1", 0x64400b01, 0, 0);       /* VIP-only */
	make_svc(&svcs[1], "svc2", 0x64400b02, 8000, 6);
	make_svc(&svcs[2], "dns", 0x64400b03, 53, 17);
	make_svc(&svcs[3], "web", 0x64400b03, 80, 6);       /* same VIP */
	assert_int_equal(parse(GOOD, s, err, sizeof(err)), 0);
	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "100.64.11.1");
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), 0);
	assert_string_equal(s->paths[0].service, "svc1");
	assert_string_equal(s->paths[1].service, "svc2");

	/* A VIP shared by services of different ports: the one serving it. */
	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "100.64.11.3");
	s->paths[0].port = 80;
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), 0);
	assert_string_equal(s->paths[0].service, "web");

	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "100.64.11.3");
	s->paths[0].port = 53;
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "path /svc1: service"));
	assert_non_null(strstr(err, "has no TCP port 53"));

	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "100.64.99.9");
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "path /svc1: no service with VIP 100.64.99.9 in "
			    "cluster C0 (see 'knetsim service list')");

	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "nosuch");
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "path /svc1: no service named nosuch in namespace default of cluster C0"));

	snprintf(s->paths[0].service, sizeof(s->paths[0].service), "svc2");
	s->paths[0].port = 9000;
	assert_int_equal(ingress_resolve(s, svcs, 4, "C0", err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "service svc2 (100.64.11.2) has no TCP port 9000 (its ports: 8000/TCP)"));
	free(svcs);
	free(s);
}

static void test_existing(void **state)
{
	struct ingress_spec *s = calloc(1, sizeof(*s)), *o = calloc(1, sizeof(*o));
	struct etcd_kv kvs[3] = { 0 };
	char err[512], *other, *same;

	(void)state;
	assert_int_equal(parse(GOOD, s, err, sizeof(err)), 0);
	*o = *s;
	snprintf(o->name, sizeof(o->name), "other");
	same = ingress_to_json(s);
	other = ingress_to_json(o);
	kvs[0].key = "/knetsim/ingresses/default/grp1";
	kvs[0].val = same;
	kvs[0].len = strlen(same);
	kvs[1].key = "/knetsim/services/default/svc1";
	kvs[1].val = "{}";
	kvs[1].len = 2;
	kvs[2].key = "/knetsim/ingresses/default/other";
	kvs[2].val = other;
	kvs[2].len = strlen(other);

	/* The name is taken (add), but not for replace... */
	assert_int_equal(ingress_check_existing(s, false, kvs, 1, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "ingress default/grp1 already exists"));
	assert_int_equal(ingress_check_existing(s, true, kvs, 2, err, sizeof(err)), 0);
	/* ...and another ingress listens on the same worker's port. */
	assert_int_equal(ingress_check_existing(s, true, kvs, 3, err, sizeof(err)), -EEXIST);
	assert_string_equal(err, "port 8001 on C0w1 is already used by ingress default/other");
	/* Another port, or another worker: fine. */
	s->port = 8002;
	assert_int_equal(ingress_check_existing(s, true, kvs, 3, err, sizeof(err)), 0);
	s->port = 8001;
	snprintf(s->node, sizeof(s->node), "C0w2");
	assert_int_equal(ingress_check_existing(s, true, kvs, 3, err, sizeof(err)), 0);
	assert_int_equal(ingress_conflict(s, s, err, sizeof(err)), 0);
	free(same);
	free(other);
	free(s);
	free(o);
}

/* ---- the topology's clusters[].ingresses ---- */

/* Lines 1-12: two workers and an etcd member in C0, services svc1
 * (VIP-only) and svc2 (port 8000), a worker in C1; ingresses from 13. */
#define TOPO \
	"clusters:\n" \
	"  - name: C0\n" \
	"    workers: [C0w1, C0w2]\n" \
	"    etcd: [C0e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n" \
	"    pods: [{name: ic0, worker: C0w2}]\n" \
	"    services:\n" \
	"      - {name: svc1, vip: 100.64.11.1, pods: [ic0]}\n" \
	"      - {name: svc2, vip: 100.64.11.2, pods: [ic0], ports: [{port: 8000}]}\n" \
	"  - name: C1\n" \
	"    workers: [C1w1]\n" \
	"    etcd: [C1e1]\n" \
	"    network: {Network: 11.0.0.0/8}\n"

static struct topology *topo(const char *ingresses, char *err, size_t errlen)
{
	char text[4096];
	const char *c1 = strstr(TOPO, "  - name: C1");

	/* C0's ingresses go before C1. */
	snprintf(text, sizeof(text), "%.*s    ingresses:\n%s%s",
		 (int)(c1 - TOPO), TOPO, ingresses, c1);
	return topology_parse(text, strlen(text), "x.yaml", err, errlen);
}

static void test_topology_good(void **state)
{
	char err[512], *json;
	struct topology *t, *u;

	(void)state;
	t = topo("      - name: grp1\n"
		 "        worker: C0w1\n"
		 "        port: 8001\n"
		 "        paths:\n"
		 "          - {path: /svc1, service: 100.64.11.1, port: 8000}\n"
		 "          - {path: /svc2, service: svc2, port: 8000, type: Exact}\n"
		 "      - {name: grp2, worker: C0w2, port: 8001,\n"
		 "         paths: [{path: /, service: svc1, port: 80}]}\n",
		 err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(t->n_ingresses, 2);
	assert_int_equal(t->ingresses[0].cluster, 0);
	assert_int_equal(t->ingresses[0].line, 11);
	assert_string_equal(t->ingresses[0].spec.name, "grp1");
	assert_string_equal(t->ingresses[0].spec.ns, "default");
	assert_string_equal(t->ingresses[0].spec.node, "C0w1");
	assert_int_equal(t->ingresses[0].spec.port, 8001);
	assert_int_equal(t->ingresses[0].spec.n_paths, 2);
	/* The VIP was resolved to the service's name. */
	assert_string_equal(t->ingresses[0].spec.paths[0].service, "svc1");
	assert_int_equal(t->ingresses[0].spec.paths[1].type, INGRESS_PATH_EXACT);

	json = topology_to_json(t);
	assert_non_null(json);
	u = topology_parse(json, strlen(json), "saved.json", err, sizeof(err));
	if (!u)
		fail_msg("%s\n%s", err, json);
	assert_int_equal(u->n_ingresses, 2);
	for (size_t i = 0; i < 2; i++)
		assert_memory_equal(&u->ingresses[i].spec, &t->ingresses[i].spec,
				    sizeof(struct ingress_spec));
	free(json);
	topology_free(u);
	topology_free(t);
}

static void test_topology_bad(void **state)
{
	static const struct {
		const char *name, *ingresses, *message;
	} bad[] = {
		{ "not a map", "      - grp1\n",
		  "x.yaml:11: clusters[0].ingresses[0]: expected a map of name, worker, port, paths" },
		{ "unknown field",
		  "      - {name: g, worker: C0w1, port: 80, host: a, paths: [{path: /, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0]: unknown field \"host\" (expected one of name, worker, port, paths)" },
		{ "no worker", "      - {name: g, port: 80, paths: [{path: /, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0].worker: missing" },
		{ "port out of range",
		  "      - {name: g, worker: C0w1, port: 65536, paths: [{path: /, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0].port: 65536 is out of range (expected 1 to 65535)" },
		{ "port 0",
		  "      - {name: g, worker: C0w1, port: 0, paths: [{path: /, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0].port: expected a port from 1 to 65535" },
		{ "path port out of range",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /, service: svc1, port: 99999}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0].paths[0].port: 99999 is out of range" },
		{ "no paths", "      - {name: g, worker: C0w1, port: 80, paths: []}\n",
		  "x.yaml:11: clusters[0].ingresses[0].paths: expected a non-empty list" },
		{ "path without slash",
		  "      - name: g\n"
		  "        worker: C0w1\n"
		  "        port: 80\n"
		  "        paths:\n"
		  "          - {path: /svc1, service: svc1, port: 80}\n"
		  "          - {path: svc2, service: svc2, port: 8000}\n",
		  "x.yaml:16: clusters[0].ingresses[0]: paths[1].path: \"svc2\" does not start with '/'" },
		{ "duplicate paths",
		  "      - name: g\n"
		  "        worker: C0w1\n"
		  "        port: 80\n"
		  "        paths:\n"
		  "          - {path: /svc1, service: svc1, port: 80}\n"
		  "          - {path: /svc1/, service: svc2, port: 8000}\n",
		  "x.yaml:16: clusters[0].ingresses[0]: paths[1].path: duplicate path \"/svc1/\"" },
		{ "bad type",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /, service: svc1, port: 80, type: Regex}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0].paths[0].type: expected Prefix, Exact or ImplementationSpecific" },
		{ "unknown service",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /x, service: svc9, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: path /x: no service named svc9 in namespace default of cluster C0" },
		{ "unknown VIP",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /x, service: 100.64.11.9, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: path /x: no service with VIP 100.64.11.9 in cluster C0" },
		{ "service without the port",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /x, service: svc2, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: path /x: service svc2 (100.64.11.2) has no TCP port 80" },
		{ "unknown node",
		  "      - {name: g, worker: C0w9, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: worker: no node named C0w9" },
		{ "etcd member",
		  "      - {name: g, worker: C0e1, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: worker: C0e1 is an etcd member, not a worker" },
		{ "another cluster's worker",
		  "      - {name: g, worker: C1w1, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses: g: worker: C1w1 is a worker of cluster C1, not of C0" },
		{ "port clash",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n"
		  "      - {name: h, worker: C0w1, port: 80, paths: [{path: /y, service: svc1, port: 80}]}\n",
		  "x.yaml:12: clusters[0].ingresses: h: port 80 on C0w1 is already used by ingress default/g" },
		{ "twice",
		  "      - {name: g, worker: C0w1, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n"
		  "      - {name: g, worker: C0w2, port: 80, paths: [{path: /y, service: svc1, port: 80}]}\n",
		  "x.yaml:12: clusters[0].ingresses: ingress \"g\" is declared twice (first on line 11)" },
		{ "bad name",
		  "      - {name: g/h, worker: C0w1, port: 80, paths: [{path: /x, service: svc1, port: 80}]}\n",
		  "x.yaml:11: clusters[0].ingresses[0]: name: expected a name" },
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < N(bad); i++) {
		struct topology *t = topo(bad[i].ingresses, err, sizeof(err));

		if (t) {
			topology_free(t);
			fail_msg("%s: accepted", bad[i].name);
		}
		if (strncmp(err, bad[i].message, strlen(bad[i].message)))
			fail_msg("%s: message\n  %s\nexpected\n  %s...",
				 bad[i].name, err, bad[i].message);
	}
}

/* The course's ingress in the default topology. */
static void test_default_topology(void **state)
{
	const char *dir = getenv("KNETSIM_SRCDIR");
	char path[4096], err[512];
	const struct ingress_spec *s;
	struct topology *t;

	(void)state;
	snprintf(path, sizeof(path), "%s/conf/default.yaml", dir && *dir ? dir : ".");
	t = topology_load(path, err, sizeof(err));
	if (!t)
		fail_msg("%s", err);
	assert_int_equal(t->n_ingresses, 1);
	s = &t->ingresses[0].spec;
	assert_string_equal(t->clusters[t->ingresses[0].cluster].name, "C0");
	assert_string_equal(s->name, "grp1");
	assert_string_equal(s->node, "C0w1");
	assert_int_equal(s->port, 8001);
	assert_int_equal(s->n_paths, 2);
	assert_string_equal(s->paths[0].path, "/svc1");
	assert_string_equal(s->paths[0].service, "svc1");
	assert_int_equal(s->paths[0].port, 8000);
	assert_string_equal(s->paths[1].path, "/svc2");
	assert_string_equal(s->paths[1].service, "svc2");
	assert_int_equal(s->paths[1].port, 8000);
	topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_clash),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_existing),
		cmocka_unit_test(test_topology_good),
		cmocka_unit_test(test_topology_bad),
		cmocka_unit_test(test_default_topology),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
