// SPDX-License-Identifier: MIT
/* knetsim-cni's pure parts: config and environment validation, result and
 * error JSON, prevResult, host-side names, subnet.env, host-local's
 * config and output, agent requests. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../cni/agent.h"
#include "../../cni/config.h"
#include "../../cni/ipam.h"
#include "../../cni/result.h"
#include "../../cni/subnet.h"
#include "../../cni/veth.h"

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

#define CONF_HEAD "{\"cniVersion\":\"1.0.0\",\"name\":\"knetsim\"," \
	"\"type\":\"knetsim-cni\","
#define CONF_PATHS "\"subnetFile\":\"/run/knetsim/S/agent/C0w1/subnet.env\"," \
	"\"dataDir\":\"/run/knetsim/S/ipam/C0w1\""
#define GOOD_CONF CONF_HEAD "\"routing\":\"bpf\"," CONF_PATHS "}"

/* --- network config --- */

static unsigned parse(const char *json, struct cni_conf *c, struct cni_err *e)
{
	return cni_conf_parse(json, strlen(json), c, e);
}

static void test_conf_good(void **state)
{
	struct cni_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse(GOOD_CONF, &c, &e), 0);
	assert_string_equal(c.version, "1.0.0");
	assert_string_equal(c.name, "knetsim");
	assert_int_equal(c.routing, CNI_ROUTING_BPF);
	assert_string_equal(c.subnet_file, "/run/knetsim/S/agent/C0w1/subnet.env");
	assert_string_equal(c.data_dir, "/run/knetsim/S/ipam/C0w1");
	assert_null(c.agent_socket);
	assert_string_equal(c.bridge, "cni0");
	assert_null(c.dns);
	assert_null(c.prev_result);
	cni_conf_free(&c);

	/* Every field, the spec's reserved keys, an old version. */
	assert_int_equal(parse("{\"cniVersion\":\"0.4.0\",\"name\":\"n-1.x_y\","
		"\"type\":\"knetsim-cni\",\"routing\":\"kernel\","
		"\"bridge\":\"br-pods\",\"agentSocket\":\"/run/a.sock\","
		"\"args\":{},\"capabilities\":{},\"runtimeConfig\":{},"
		"\"dns\":{\"nameservers\":[\"10.96.0.10\"]},\"ipMasq\":false,"
		"\"disableCheck\":false,\"prevResult\":{\"ips\":[]}," CONF_PATHS
		"}", &c, &e), 0);
	assert_string_equal(c.version, "0.4.0");
	assert_int_equal(c.routing, CNI_ROUTING_KERNEL);
	assert_string_equal(c.bridge, "br-pods");
	assert_string_equal(c.agent_socket, "/run/a.sock");
	assert_non_null(c.dns);
	assert_non_null(c.prev_result);
	cni_conf_free(&c);

	/* White space around the object is fine. */
	assert_int_equal(parse("\n  " GOOD_CONF " \n", &c, &e), 0);
	cni_conf_free(&c);
}

static void test_conf_bad(void **state)
{
	static const struct {
		const char *json;
		unsigned code;
		const char *msg;
	} bad[] = {
		{ "", CNI_ERR_DECODE, "no network config on stdin" },
		{ "{", CNI_ERR_DECODE, "network config: not valid JSON" },
		{ GOOD_CONF " x", CNI_ERR_DECODE, "network config: trailing data" },
		{ "[]", CNI_ERR_DECODE, "network config: expected a JSON object" },
		{ "{}", CNI_ERR_CONFIG, "cniVersion: missing" },
		{ "{\"cniVersion\":1}", CNI_ERR_CONFIG,
		  "cniVersion: expected a string, got 1" },
		{ "{\"cniVersion\":\"0.2.0\"}", CNI_ERR_VERSION,
		  "cniVersion: \"0.2.0\" is not supported" },
		{ "{\"cniVersion\":\"1.0.0\"}", CNI_ERR_CONFIG, "name: missing" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"a b\"}", CNI_ERR_CONFIG,
		  "name: \"a b\" is invalid" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"..\"}", CNI_ERR_CONFIG,
		  "name: \"..\" is invalid" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}", CNI_ERR_CONFIG,
		  "type: missing" },
		{ "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"type\":\"bridge\"}",
		  CNI_ERR_CONFIG, "type: \"bridge\" is not this plugin" },
		{ CONF_HEAD CONF_PATHS "}", CNI_ERR_CONFIG, "routing: missing" },
		{ CONF_HEAD "\"routing\":\"ebpf\"," CONF_PATHS "}", CNI_ERR_CONFIG,
		  "routing: unknown value \"ebpf\" (expected bpf or kernel)" },
		{ CONF_HEAD "\"routing\":[\"bpf\"]," CONF_PATHS "}", CNI_ERR_CONFIG,
		  "routing: expected a string, got [\"bpf\"]" },
		{ CONF_HEAD "\"routing\":\"kernel\",\"bridge\":\"a-bridge-too-long\","
		  CONF_PATHS "}", CNI_ERR_CONFIG,
		  "bridge: \"a-bridge-too-long\" is not a valid interface name" },
		{ CONF_HEAD "\"routing\":\"kernel\",\"bridge\":\"a/b\"," CONF_PATHS
		  "}", CNI_ERR_CONFIG, "bridge: \"a/b\" is not a valid" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"dataDir\":\"/d\"}",
		  CNI_ERR_CONFIG, "subnetFile: missing" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"dataDir\":\"/d\","
		  "\"subnetFile\":\"subnet.env\"}", CNI_ERR_CONFIG,
		  "subnetFile: \"subnet.env\" is not an absolute path" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"subnetFile\":\"/s\"}",
		  CNI_ERR_CONFIG, "dataDir: missing" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"subnetFile\":\"/s\","
		  "\"dataDir\":\"\"}", CNI_ERR_CONFIG,
		  "dataDir: \"\" is not an absolute path" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"agentSocket\":\"/"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"," CONF_PATHS "}",
		  CNI_ERR_CONFIG, "agentSocket: \"/aaa" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"agentSocket\":\"a.sock\","
		  CONF_PATHS "}", CNI_ERR_CONFIG,
		  "agentSocket: \"a.sock\" is not an absolute path" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"mtu\":1400," CONF_PATHS "}",
		  CNI_ERR_UNSUPPORTED, "unsupported field \"mtu\" (value 1400)" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"ipam\":{\"type\":\"host-local\"},"
		  CONF_PATHS "}", CNI_ERR_UNSUPPORTED,
		  "ipam: unsupported field (value {\"type\":\"host-local\"})" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"ipMasq\":true," CONF_PATHS "}",
		  CNI_ERR_UNSUPPORTED, "ipMasq: unsupported value true" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"ipMasq\":\"no\"," CONF_PATHS "}",
		  CNI_ERR_CONFIG, "ipMasq: expected true or false, got \"no\"" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"dns\":[]," CONF_PATHS "}",
		  CNI_ERR_CONFIG, "dns: expected an object, got []" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"prevResult\":null," CONF_PATHS
		  "}", CNI_ERR_CONFIG, "prevResult: expected an object, got null" },
		{ CONF_HEAD "\"routing\":\"bpf\",\"routing\":\"kernel\","
		  CONF_PATHS "}", CNI_ERR_CONFIG, "routing: duplicate key" },
	};
	struct cni_conf c;
	struct cni_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		unsigned code = parse(bad[i].json, &c, &e);

		if (code != bad[i].code || e.code != code ||
		    strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s\n -> %u \"%s\", expected %u \"%s...\"",
				 bad[i].json, code, e.msg, bad[i].code,
				 bad[i].msg);
		assert_null(c.root);
	}
}

static void test_conf_bad_keeps_version(void **state)
{
	static const char nul[] = "{\"cniVersion\":\"1.0.0\"}\0{}";
	struct cni_conf c;
	struct cni_err e;

	(void)state;
	/* The error is written in the config's version when it has one. */
	assert_int_equal(parse("{\"cniVersion\":\"0.3.1\",\"name\":\"n\","
			       "\"type\":\"x\"}", &c, &e), CNI_ERR_CONFIG);
	assert_string_equal(c.version, "0.3.1");
	assert_int_equal(parse("{\"cniVersion\":\"9.9.9\"}", &c, &e),
			 CNI_ERR_VERSION);
	assert_null(c.version);
	/* Unsupported field reported before a bad version. */
	assert_int_equal(parse("{\"cniVersion\":\"1.0.0\",\"x\":1}", &c, &e),
			 CNI_ERR_UNSUPPORTED);
	assert_string_equal(c.version, "1.0.0");
	/* A NUL byte inside the input. */
	assert_int_equal(cni_conf_parse(nul, sizeof(nul) - 1, &c, &e),
			 CNI_ERR_DECODE);
	assert_string_equal(e.msg, "network config: NUL byte in the input");
}

/* --- environment --- */

static const char *const *fake_env;

static const char *fake_get(const char *name)
{
	size_t n = strlen(name);

	for (const char *const *p = fake_env; *p; p++)
		if (!strncmp(*p, name, n) && (*p)[n] == '=')
			return *p + n + 1;
	return NULL;
}

static unsigned env_with(const char *const *vars, struct cni_env *env,
			 struct cni_err *e)
{
	fake_env = vars;
	return cni_env_parse(fake_get, env, e);
}

#define ENV_BASE "CNI_CONTAINERID=c1-abc_0.9", "CNI_NETNS=/run/netns/p1", \
	"CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni"

static void test_env_good(void **state)
{
	static const char *const add[] = { "CNI_COMMAND=ADD", ENV_BASE, NULL };
	static const char *const del[] = {
		"CNI_COMMAND=DEL", "CNI_CONTAINERID=c1", "CNI_NETNS=",
		"CNI_IFNAME=eth0", "CNI_PATH=/usr/lib/cni", NULL,
	};
	static const char *const version[] = { "CNI_COMMAND=VERSION", NULL };
	static const char *const args[] = {
		"CNI_COMMAND=CHECK", ENV_BASE,
		"CNI_ARGS=K8S_POD_NAMESPACE=default;K8S_POD_NAME=c1;"
		"K8S_POD_INFRA_CONTAINER_ID=abc;K8S_POD_UID=u-1", NULL,
	};
	static const char *const lax[] = {
		"CNI_COMMAND=ADD", ENV_BASE,
		"CNI_ARGS=IgnoreUnknown=true;FOO=bar;K8S_POD_NAME=web", NULL,
	};
	struct cni_env env;
	struct cni_err e;

	(void)state;
	assert_int_equal(env_with(add, &env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_ADD);
	assert_string_equal(env.containerid, "c1-abc_0.9");
	assert_string_equal(env.netns, "/run/netns/p1");
	assert_string_equal(env.ifname, "eth0");
	assert_string_equal(env.path, "/usr/lib/cni");
	assert_string_equal(env.pod, "");
	assert_string_equal(env.pod_namespace, "");

	assert_int_equal(env_with(del, &env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_DEL);
	assert_null(env.netns);

	assert_int_equal(env_with(version, &env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_VERSION);

	assert_int_equal(env_with(args, &env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_CHECK);
	assert_string_equal(env.pod, "c1");
	assert_string_equal(env.pod_namespace, "default");

	assert_int_equal(env_with(lax, &env, &e), 0);
	assert_string_equal(env.pod, "web");
}

static void test_env_bad(void **state)
{
	static const struct {
		const char *vars[8];
		const char *msg;
	} bad[] = {
		{ { NULL }, "CNI_COMMAND: not set" },
		{ { "CNI_COMMAND=add", NULL }, "CNI_COMMAND: unknown command \"add\"" },
		{ { "CNI_COMMAND=ADD", "CNI_NETNS=/n", "CNI_IFNAME=eth0",
		    "CNI_PATH=/p", NULL }, "CNI_CONTAINERID: not set" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=-x", NULL },
		  "CNI_CONTAINERID: \"-x\" is invalid" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=a/b", NULL },
		  "CNI_CONTAINERID: \"a/b\" is invalid" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
		    "CNI_PATH=/p", NULL }, "CNI_NETNS: not set" },
		{ { "CNI_COMMAND=CHECK", "CNI_CONTAINERID=c", "CNI_NETNS=",
		    NULL }, "CNI_NETNS: not set" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS=netns/p",
		    NULL }, "CNI_NETNS: \"netns/p\" is not an absolute path" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS=/n",
		    "CNI_PATH=/p", NULL }, "CNI_IFNAME: not set" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS=/n",
		    "CNI_IFNAME=eth0123456789abc", NULL },
		  "CNI_IFNAME: \"eth0123456789abc\" is not a valid interface name" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS=/n",
		    "CNI_IFNAME=a:b", NULL }, "CNI_IFNAME: \"a:b\" is not a valid" },
		{ { "CNI_COMMAND=ADD", "CNI_CONTAINERID=c", "CNI_NETNS=/n",
		    "CNI_IFNAME=..", NULL }, "CNI_IFNAME: \"..\" is not a valid" },
		{ { "CNI_COMMAND=DEL", "CNI_CONTAINERID=c", "CNI_IFNAME=eth0",
		    NULL }, "CNI_PATH: not set" },
		{ { "CNI_COMMAND=ADD", ENV_BASE, "CNI_ARGS=FOO=bar", NULL },
		  "CNI_ARGS: unknown argument \"FOO\"" },
		{ { "CNI_COMMAND=ADD", ENV_BASE, "CNI_ARGS=IgnoreUnknown=0;F=b",
		    NULL }, "CNI_ARGS: unknown argument \"F\"" },
		{ { "CNI_COMMAND=ADD", ENV_BASE, "CNI_ARGS=K8S_POD_NAME", NULL },
		  "CNI_ARGS: \"K8S_POD_NAME\": expected KEY=VALUE" },
		{ { "CNI_COMMAND=ADD", ENV_BASE, "CNI_ARGS==x", NULL },
		  "CNI_ARGS: \"=x\": expected KEY=VALUE" },
		{ { "CNI_COMMAND=ADD", ENV_BASE, "CNI_ARGS=K8S_POD_NAME=", NULL },
		  "CNI_ARGS: K8S_POD_NAME: expected 1 to 253 characters" },
		{ { "CNI_COMMAND=ADD", ENV_BASE,
		    "CNI_ARGS=K8S_POD_NAMESPACE=a\"b", NULL },
		  "CNI_ARGS: K8S_POD_NAMESPACE: \"a\"b\" is not a name" },
	};
	struct cni_env env;
	struct cni_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		unsigned code = env_with(bad[i].vars, &env, &e);

		if (code != CNI_ERR_ENV || e.code != code ||
		    strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("case %zu -> %u \"%s\", expected \"%s...\"", i,
				 code, e.msg, bad[i].msg);
	}
}

static void test_cmd_names(void **state)
{
	(void)state;
	assert_int_equal(cni_cmd_parse("ADD"), CNI_CMD_ADD);
	assert_int_equal(cni_cmd_parse("VERSION"), CNI_CMD_VERSION);
	assert_int_equal(cni_cmd_parse("GC"), -1);
	assert_int_equal(cni_cmd_parse(NULL), -1);
	assert_string_equal(cni_cmd_name(CNI_CMD_CHECK), "CHECK");
	assert_true(cni_ifname_valid("eth0"));
	assert_true(cni_ifname_valid("abcdefghijklmno"));
	assert_false(cni_ifname_valid("abcdefghijklmnop"));
	assert_false(cni_ifname_valid(""));
	assert_false(cni_ifname_valid("a b"));
	assert_false(cni_ifname_valid("a\tb"));
	assert_true(cni_containerid_valid("0a_b.c-d"));
	assert_false(cni_containerid_valid("_a"));
	assert_false(cni_containerid_valid(""));
}

/* --- results and errors --- */

static cJSON *parsed(char *s)
{
	cJSON *j;

	assert_non_null(s);
	j = cJSON_Parse(s);
	free(s);
	assert_non_null(j);
	return j;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

static struct cni_result sample_result(void)
{
	struct cni_result r = {
		.host_ifname = "ks0123456789",
		.host_mac = "aa:bb:cc:dd:ee:01",
		.pod_ifname = "eth0",
		.pod_mac = "aa:bb:cc:dd:ee:02",
		.sandbox = "/run/netns/S:c1",
		.ip = IP(11, 10, 16, 2),
		.prefixlen = 32,
		.gateway = IP(11, 10, 16, 1),
	};

	return r;
}

static void test_result_v1(void **state)
{
	struct cni_result r = sample_result();
	cJSON *j, *ifs, *ip, *route;

	(void)state;
	j = parsed(cni_result_json(&r, "1.0.0"));
	assert_string_equal(jstr(j, "cniVersion"), "1.0.0");
	ifs = cJSON_GetObjectItemCaseSensitive(j, "interfaces");
	assert_int_equal(cJSON_GetArraySize(ifs), 2);
	assert_string_equal(jstr(cJSON_GetArrayItem(ifs, 0), "name"),
			    "ks0123456789");
	assert_string_equal(jstr(cJSON_GetArrayItem(ifs, 0), "mac"),
			    "aa:bb:cc:dd:ee:01");
	assert_null(cJSON_GetObjectItem(cJSON_GetArrayItem(ifs, 0), "sandbox"));
	assert_string_equal(jstr(cJSON_GetArrayItem(ifs, 1), "name"), "eth0");
	assert_string_equal(jstr(cJSON_GetArrayItem(ifs, 1), "sandbox"),
			    "/run/netns/S:c1");
	ip = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "ips"), 0);
	assert_string_equal(jstr(ip, "address"), "11.10.16.2/32");
	assert_string_equal(jstr(ip, "gateway"), "11.10.16.1");
	assert_int_equal(cJSON_GetObjectItem(ip, "interface")->valueint, 1);
	assert_null(cJSON_GetObjectItem(ip, "version"));
	route = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "routes"), 0);
	assert_string_equal(jstr(route, "dst"), "0.0.0.0/0");
	assert_string_equal(jstr(route, "gw"), "11.10.16.1");
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(j, "dns")));
	assert_null(cJSON_GetObjectItem(j, "dns")->child);
	cJSON_Delete(j);
}

static void test_result_old_and_dns(void **state)
{
	struct cni_result r = sample_result();
	cJSON *dns = cJSON_Parse("{\"nameservers\":[\"10.96.0.10\"]}"), *j, *ip;

	(void)state;
	r.dns = dns;
	r.prefixlen = 20;
	j = parsed(cni_result_json(&r, "0.4.0"));
	assert_string_equal(jstr(j, "cniVersion"), "0.4.0");
	ip = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "ips"), 0);
	assert_string_equal(jstr(ip, "version"), "4");
	assert_string_equal(jstr(ip, "address"), "11.10.16.2/20");
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(j, "dns"), "nameservers"), 0)->valuestring,
		"10.96.0.10");
	cJSON_Delete(j);
	cJSON_Delete(dns);
}

static void test_error_and_version_json(void **state)
{
	struct cni_err e;
	cJSON *j, *list;

	(void)state;
	assert_int_equal(cni_errf(&e, CNI_ERR_CONFIG, "routing: %s", "bad"), 7);
	j = parsed(cni_error_json(&e, NULL));
	assert_string_equal(jstr(j, "cniVersion"), "1.0.0");
	assert_int_equal(cJSON_GetObjectItem(j, "code")->valueint, 7);
	assert_string_equal(jstr(j, "msg"), "routing: bad");
	assert_null(cJSON_GetObjectItem(j, "details"));
	cJSON_Delete(j);

	cni_err_details(&e, "more about %d", 42);
	j = parsed(cni_error_json(&e, "0.3.1"));
	assert_string_equal(jstr(j, "cniVersion"), "0.3.1");
	assert_string_equal(jstr(j, "details"), "more about 42");
	cJSON_Delete(j);

	j = parsed(cni_version_json());
	assert_string_equal(jstr(j, "cniVersion"), "1.0.0");
	list = cJSON_GetObjectItem(j, "supportedVersions");
	assert_int_equal(cJSON_GetArraySize(list), 4);
	assert_string_equal(cJSON_GetArrayItem(list, 0)->valuestring, "0.3.0");
	assert_string_equal(cJSON_GetArrayItem(list, 3)->valuestring, "1.0.0");
	cJSON_Delete(j);

	assert_true(cni_version_supported("0.3.1"));
	assert_false(cni_version_supported("0.2.0"));
	assert_false(cni_version_supported(NULL));
}

static void test_prev_result(void **state)
{
	static const struct {
		const char *json;
		const char *msg;
	} bad[] = {
		{ "{}", "prevResult: expected arrays" },
		{ "{\"interfaces\":[{\"name\":\"eth0\"}],\"ips\":[]}",
		  "prevResult: no interface \"eth0\" with a sandbox" },
		{ "{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}],"
		  "\"ips\":[{\"address\":\"11.1.1.1/32\",\"interface\":3}]}",
		  "prevResult: no IPv4 address for interface \"eth0\"" },
		{ "{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}],"
		  "\"ips\":[{\"address\":\"11.1.1.1/33\",\"interface\":0}]}",
		  "prevResult: address \"11.1.1.1/33\" is no IPv4 prefix" },
	};
	struct cni_result r = sample_result();
	struct cni_prev p;
	struct cni_err e;
	cJSON *j;

	(void)state;
	/* Round trip through our own result. */
	j = parsed(cni_result_json(&r, "1.0.0"));
	assert_int_equal(cni_prev_parse(j, "eth0", &p, &e), 0);
	assert_int_equal(p.ip, IP(11, 10, 16, 2));
	assert_int_equal(p.prefixlen, 32);
	assert_string_equal(p.pod_mac, "aa:bb:cc:dd:ee:02");
	assert_string_equal(p.host_ifname, "ks0123456789");
	assert_int_equal(cni_prev_parse(j, "eth1", &p, &e), CNI_ERR_CONFIG);
	cJSON_Delete(j);

	/* An older form without interface indexes. */
	j = cJSON_Parse("{\"interfaces\":[{\"name\":\"eth0\",\"sandbox\":\"/n\"}],"
			"\"ips\":[{\"version\":\"6\",\"address\":\"fd00::2/64\"},"
			"{\"version\":\"4\",\"address\":\"10.1.2.3/24\"}]}");
	assert_int_equal(cni_prev_parse(j, "eth0", &p, &e), 0);
	assert_int_equal(p.ip, IP(10, 1, 2, 3));
	assert_int_equal(p.prefixlen, 24);
	assert_string_equal(p.pod_mac, "");
	assert_string_equal(p.host_ifname, "");
	cJSON_Delete(j);

	assert_int_equal(cni_prev_parse(NULL, "eth0", &p, &e), CNI_ERR_CONFIG);
	assert_string_equal(e.msg,
			    "prevResult: missing (CHECK needs the result of ADD)");
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		j = cJSON_Parse(bad[i].json);
		assert_non_null(j);
		assert_int_equal(cni_prev_parse(j, "eth0", &p, &e),
				 CNI_ERR_CONFIG);
		if (strncmp(e.msg, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s -> \"%s\"", bad[i].json, e.msg);
		cJSON_Delete(j);
	}
}

static void test_ipnet(void **state)
{
	uint32_t ip;
	uint8_t len;

	(void)state;
	assert_int_equal(cni_ipnet_parse("11.10.16.2/20", &ip, &len), 0);
	assert_int_equal(ip, IP(11, 10, 16, 2));
	assert_int_equal(len, 20);
	assert_int_equal(cni_ipnet_parse("11.10.16.2", &ip, &len), -1);
	assert_int_equal(cni_ipnet_parse("11.10.16/20", &ip, &len), -1);
	assert_int_equal(cni_ipnet_parse("fd00::1/64", &ip, &len), -1);
	assert_int_equal(cni_ipnet_parse(NULL, &ip, &len), -1);
}

/* --- host-side names --- */

static void test_host_name(void **state)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];
	char id[CNI_CONTAINERID_MAX + 1];

	(void)state;
	veth_host_name("c1", "eth0", a);
	/* Fixed for good: DEL of an attachment made by an older build must
	 * find it. */
	assert_string_equal(a, "ksb3bfe94942");
	assert_int_equal(strlen(a), 12);
	veth_host_name("c1", "eth0", b);
	assert_string_equal(a, b);
	veth_host_name("c1", "eth1", b);
	assert_string_not_equal(a, b);
	veth_host_name("c2", "eth0", b);
	assert_string_not_equal(a, b);
	veth_host_name("ab", "c", a);
	veth_host_name("a", "bc", b);
	assert_string_not_equal(a, b);

	memset(id, 'f', CNI_CONTAINERID_MAX);
	id[CNI_CONTAINERID_MAX] = '\0';
	veth_host_name(id, "abcdefghijklmno", a);
	assert_int_equal(strlen(a), 12);
	assert_memory_equal(a, "ks", 2);
	for (int i = 2; i < 12; i++)
		assert_non_null(strchr("0123456789abcdef", a[i]));
}

/* --- subnet.env --- */

#define LEASE "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.10.16.1/20\n" \
	"FLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n"

static int lease_parse(const char *s, struct cni_lease *l, char *err)
{
	return cni_lease_parse(s, strlen(s), l, err, 200);
}

static void test_subnet_good(void **state)
{
	struct cni_lease l;
	char err[200];

	(void)state;
	assert_int_equal(lease_parse(LEASE, &l, err), 0);
	assert_int_equal(l.network.addr, IP(11, 0, 0, 0));
	assert_int_equal(l.network.len, 8);
	assert_int_equal(l.subnet.addr, IP(11, 10, 16, 0));
	assert_int_equal(l.subnet.len, 20);
	assert_int_equal(l.gateway, IP(11, 10, 16, 1));
	assert_int_equal(l.mtu, 1450);
	assert_false(l.ipmasq);

	/* CRLF, comments, blank lines, no final newline, flannel's IPv6
	 * keys, IPMASQ optional, network address as the subnet. */
	assert_int_equal(lease_parse("# lease\r\n\r\nFLANNEL_NETWORK=10.244.0.0/16\r\n"
		"FLANNEL_IPV6_NETWORK=fd00::/56\nFLANNEL_SUBNET=10.244.3.0/24\n"
		"FLANNEL_MTU=65535", &l, err), 0);
	assert_int_equal(l.gateway, IP(10, 244, 3, 1));
	assert_int_equal(l.mtu, 65535);
	assert_int_equal(lease_parse(LEASE "FLANNEL_IPMASQ_X=1\n", &l, err), 0);
	assert_int_equal(lease_parse("FLANNEL_NETWORK=11.0.0.0/8\n"
		"FLANNEL_SUBNET=11.0.0.1/30\nFLANNEL_MTU=68\n"
		"FLANNEL_IPMASQ=true\n", &l, err), 0);
	assert_true(l.ipmasq);
}

static void test_subnet_bad(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "", "FLANNEL_NETWORK: missing" },
		{ "FLANNEL_NETWORK=11.0.0.0/8\n", "FLANNEL_SUBNET: missing" },
		{ "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.1.0.1/16\n",
		  "FLANNEL_MTU: missing" },
		{ "FLANNEL_NETWORK=11.0.0.1/8\n",
		  "line 1: FLANNEL_NETWORK: \"11.0.0.1/8\" is not an IPv4 network" },
		{ "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.10.16/20\n",
		  "line 2: FLANNEL_SUBNET: \"11.10.16/20\" is not an IPv4 prefix" },
		{ LEASE "FLANNEL_MTU=1500\n", "line 5: FLANNEL_MTU: given twice" },
		{ "FLANNEL_MTU=67\n", "line 1: FLANNEL_MTU: \"67\" is not a number" },
		{ "FLANNEL_MTU=65536\n", "line 1: FLANNEL_MTU: \"65536\"" },
		{ "FLANNEL_MTU=-1\n", "line 1: FLANNEL_MTU: \"-1\"" },
		{ "FLANNEL_MTU=1450x\n", "line 1: FLANNEL_MTU: \"1450x\"" },
		{ "FLANNEL_MTU=\n", "line 1: FLANNEL_MTU: \"\"" },
		{ "FLANNEL_IPMASQ=yes\n", "line 1: FLANNEL_IPMASQ: \"yes\"" },
		{ "PATH=/bin\n", "line 1: unknown key \"PATH\"" },
		{ "\nFLANNEL_NETWORK\n", "line 2: expected KEY=VALUE" },
		{ "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=12.0.0.1/20\n"
		  "FLANNEL_MTU=1450\n",
		  "FLANNEL_SUBNET: 12.0.0.0/20 is not inside FLANNEL_NETWORK "
		  "11.0.0.0/8" },
		{ "FLANNEL_NETWORK=11.0.0.0/8\nFLANNEL_SUBNET=11.0.0.1/31\n"
		  "FLANNEL_MTU=1450\n", "FLANNEL_SUBNET: /31 leaves no pod address" },
	};
	static const char nul[] = "FLANNEL_MTU=14\0" "50\n";
	struct cni_lease l;
	char err[200], longline[400];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (lease_parse(bad[i].text, &l, err) != -1 ||
		    strncmp(err, bad[i].msg, strlen(bad[i].msg)))
			fail_msg("%s -> \"%s\", expected \"%s...\"", bad[i].text,
				 err, bad[i].msg);
	}
	memset(longline, 'a', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	assert_int_equal(lease_parse(longline, &l, err), -1);
	assert_string_equal(err, "line 1: line too long");
	assert_int_equal(cni_lease_parse(nul, sizeof(nul) - 1, &l, err,
					  sizeof(err)), -1);
	assert_string_equal(err, "line 1: NUL byte");
}

static void test_subnet_load(void **state)
{
	struct cni_lease l;
	struct cni_err e;

	(void)state;
	assert_int_equal(cni_lease_load("/nonexistent/kth/subnet.env", &l, &e),
			 CNI_ERR_TRY_AGAIN);
	assert_int_equal(cni_lease_load("/", &l, &e), CNI_ERR_IO);
}

/* --- host-local --- */

static struct cni_lease course_lease(void)
{
	struct cni_lease l;
	char err[200];

	assert_int_equal(lease_parse(LEASE, &l, err), 0);
	return l;
}

static void test_ipam_config(void **state)
{
	struct cni_lease l = course_lease();
	cJSON *j, *ipam, *range;

	(void)state;
	j = parsed(ipam_config_json("knetsim", &l, "/run/knetsim/S/ipam/C0w1"));
	assert_string_equal(jstr(j, "cniVersion"), "1.0.0");
	assert_string_equal(jstr(j, "name"), "knetsim");
	ipam = cJSON_GetObjectItem(j, "ipam");
	assert_string_equal(jstr(ipam, "type"), "host-local");
	assert_string_equal(jstr(ipam, "dataDir"), "/run/knetsim/S/ipam/C0w1");
	range = cJSON_GetArrayItem(cJSON_GetArrayItem(
		cJSON_GetObjectItem(ipam, "ranges"), 0), 0);
	assert_string_equal(jstr(range, "subnet"), "11.10.16.0/20");
	assert_string_equal(jstr(range, "gateway"), "11.10.16.1");
	cJSON_Delete(j);

	/* Without a lease: a placeholder range, no gateway. */
	j = parsed(ipam_config_json("knetsim", NULL, "/d"));
	range = cJSON_GetArrayItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(j, "ipam"), "ranges"), 0), 0);
	assert_string_equal(jstr(range, "subnet"), "192.0.2.0/24");
	assert_null(cJSON_GetObjectItem(range, "gateway"));
	cJSON_Delete(j);
}

static void test_ipam_result(void **state)
{
	static const char *const bad[] = {
		"", "{}", "{\"ips\":[]}", "not json",
		"{\"ips\":[{\"address\":\"11.10.16.2\"}]}",
		("{\"ips\":[{\"address\":\"11.10.16.2/20\"},"
		 "{\"address\":\"11.10.16.3/20\"}]}"),
		"{\"ips\":[{\"address\":\"11.10.32.2/20\"}]}",	/* outside */
		"{\"ips\":[{\"address\":\"11.10.16.1/20\"}]}",	/* gateway */
		"{\"ips\":[{\"address\":\"11.10.16.2/24\"}]}",	/* other len */
	};
	struct cni_lease l = course_lease();
	struct ipam_addr a;
	struct cni_err e;

	(void)state;
	assert_int_equal(ipam_result_parse("{\"cniVersion\":\"1.0.0\",\"ips\":"
		"[{\"address\":\"11.10.16.2/20\",\"gateway\":\"11.10.16.1\"}],"
		"\"dns\":{}}", &l, &a, &e), 0);
	assert_int_equal(a.ip, IP(11, 10, 16, 2));
	assert_int_equal(a.prefixlen, 20);
	assert_int_equal(a.gateway, IP(11, 10, 16, 1));
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		if (ipam_result_parse(bad[i], &l, &a, &e) != CNI_ERR_IPAM)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(ipam_result_parse(NULL, &l, &a, &e), CNI_ERR_IPAM);
}

static void test_ipam_error(void **state)
{
	struct cni_err e;

	(void)state;
	assert_int_equal(ipam_error_parse("{\"code\":999,\"msg\":\"failed to "
		"allocate for range 0: no IP addresses available in range set: "
		"11.10.16.1-11.10.16.2\"}", &e), CNI_ERR_EXHAUSTED);
	assert_int_equal(e.code, CNI_ERR_EXHAUSTED);
	assert_non_null(strstr(e.msg, "no pod address left in the worker's lease"));
	assert_int_equal(ipam_error_parse("{\"code\":999,\"msg\":\"x has been "
		"allocated\",\"details\":\"d\"}", &e), CNI_ERR_IPAM);
	assert_string_equal(e.msg, "host-local: x has been allocated");
	assert_string_equal(e.details, "d");
	assert_int_equal(ipam_error_parse("garbage", &e), CNI_ERR_IPAM);
	assert_string_equal(e.msg, "host-local failed without a CNI error");
	assert_string_equal(e.details, "garbage");
	assert_int_equal(ipam_error_parse(NULL, &e), CNI_ERR_IPAM);
	assert_string_equal(e.details, "(no output)");
}

/* --- agent requests --- */

static void test_agent_requests(void **state)
{
	struct cni_endpoint ep = {
		.pod = "c1", .pod_namespace = "default", .container = "abc",
		.ifname = "ks0123456789", .mac = "aa:bb:cc:dd:ee:ff",
		.netns = "/run/netns/S:c1", .ip = IP(11, 10, 16, 2),
		.ifindex = 12,
	};
	cJSON *req = cni_agent_add_request(&ep), *o, *rep;
	char err[100];

	(void)state;
	assert_non_null(req);
	assert_string_equal(jstr(req, "op"), "endpoint-add");
	o = cJSON_GetObjectItem(req, "endpoint");
	assert_string_equal(jstr(o, "pod"), "c1");
	assert_string_equal(jstr(o, "namespace"), "default");
	assert_string_equal(jstr(o, "container"), "abc");
	assert_string_equal(jstr(o, "ip"), "11.10.16.2");
	assert_string_equal(jstr(o, "ifname"), "ks0123456789");
	assert_int_equal(cJSON_GetObjectItem(o, "ifindex")->valueint, 12);
	assert_string_equal(jstr(o, "mac"), "aa:bb:cc:dd:ee:ff");
	assert_string_equal(jstr(o, "netns"), "/run/netns/S:c1");
	cJSON_Delete(req);

	req = cni_agent_del_request("abc");
	assert_string_equal(jstr(req, "op"), "endpoint-del");
	assert_string_equal(jstr(req, "container"), "abc");
	cJSON_Delete(req);

	rep = cJSON_Parse("{\"ok\":true}");
	assert_int_equal(cni_agent_reply_check(rep, err, sizeof(err)), 0);
	cJSON_Delete(rep);
	rep = cJSON_Parse("{\"ok\":false,\"error\":\"no such pod\"}");
	assert_int_equal(cni_agent_reply_check(rep, err, sizeof(err)), -EPROTO);
	assert_string_equal(err, "the agent refused: no such pod");
	cJSON_Delete(rep);
	rep = cJSON_Parse("{}");
	assert_int_equal(cni_agent_reply_check(rep, err, sizeof(err)), -EPROTO);
	cJSON_Delete(rep);
	/* No agent listening: said so, no hang. */
	assert_int_equal(cni_agent_endpoint_del("/nonexistent/kth.sock", "abc", err,
					    sizeof(err)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_good),
		cmocka_unit_test(test_conf_bad),
		cmocka_unit_test(test_conf_bad_keeps_version),
		cmocka_unit_test(test_env_good),
		cmocka_unit_test(test_env_bad),
		cmocka_unit_test(test_cmd_names),
		cmocka_unit_test(test_result_v1),
		cmocka_unit_test(test_result_old_and_dns),
		cmocka_unit_test(test_error_and_version_json),
		cmocka_unit_test(test_prev_result),
		cmocka_unit_test(test_ipnet),
		cmocka_unit_test(test_host_name),
		cmocka_unit_test(test_subnet_good),
		cmocka_unit_test(test_subnet_bad),
		cmocka_unit_test(test_subnet_load),
		cmocka_unit_test(test_ipam_config),
		cmocka_unit_test(test_ipam_result),
		cmocka_unit_test(test_ipam_error),
		cmocka_unit_test(test_agent_requests),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
