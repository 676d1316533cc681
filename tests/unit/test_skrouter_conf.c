// SPDX-License-Identifier: MIT
/* skupper-router configurations: every generated entity and attribute is
 * checked against skupper-router's own management schema (3.5.1), as
 * skrouterd checks its configuration at start-up: entity types known and
 * of configuration, attributes known and of the declared type or enum,
 * required ones present, singletons once, names unique over all entities;
 * and, stricter, no status attributes (neither create, update nor
 * required in the schema) and every sslProfile reference resolved.
 * The checker itself is tested on bad configurations, and the generator on
 * bad input.
 *
 * The schema is read from $KNETSIM_SKROUTER_SCHEMA, else from
 * ../shared/reference/ beside the source tree; without it the schema tests
 * are skipped, saying so. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "skrouter_conf.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SCHEMA_FILE "skupper-router-3.5.1-schema.json"

static cJSON *schema;

/* --- the schema checker --- */

static const cJSON *entity_type(const char *name)
{
	const cJSON *types = cJSON_GetObjectItemCaseSensitive(schema, "entityTypes");

	return cJSON_GetObjectItemCaseSensitive(types, name);
}

/* An attribute of et or of a type it extends. */
static const cJSON *find_attr(const cJSON *et, const char *name)
{
	for (int depth = 0; et && depth < 8; depth++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetObjectItemCaseSensitive(et, "attributes"), name);
		const cJSON *ext = cJSON_GetObjectItemCaseSensitive(et, "extends");

		if (a)
			return a;
		et = cJSON_IsString(ext) ? entity_type(ext->valuestring) : NULL;
	}
	return NULL;
}

static bool extends(const cJSON *et, const char *base)
{
	for (int depth = 0; et && depth < 8; depth++) {
		const cJSON *ext = cJSON_GetObjectItemCaseSensitive(et, "extends");

		if (!cJSON_IsString(ext))
			return false;
		if (!strcmp(ext->valuestring, base))
			return true;
		et = entity_type(ext->valuestring);
	}
	return false;
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, key));
}

__attribute__((format(printf, 2, 3)))
static int why(char *buf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, 256, fmt, ap);
	va_end(ap);
	return -1;
}

static int check_value(const char *ent, const char *name, const cJSON *def,
		       const cJSON *v, char *msg)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(def, "type");
	const char *t;

	if (cJSON_IsArray(type)) {
		const cJSON *tag;

		cJSON_ArrayForEach(tag, type)
			if (cJSON_IsString(v) && cJSON_IsString(tag) &&
			    !strcmp(tag->valuestring, v->valuestring))
				return 0;
		return why(msg, "%s.%s: not one of its enum values", ent, name);
	}
	if (!cJSON_IsString(type))
		return why(msg, "%s.%s: the schema gives no type", ent, name);
	t = type->valuestring;
	if (!strcmp(t, "string") || !strcmp(t, "path") || !strcmp(t, "entityId"))
		return cJSON_IsString(v) ? 0 : why(msg, "%s.%s: expected a string", ent, name);
	if (!strcmp(t, "integer"))
		return cJSON_IsNumber(v) &&
		       v->valuedouble == (double)(long long)v->valuedouble ? 0 :
		       why(msg, "%s.%s: expected an integer", ent, name);
	if (!strcmp(t, "boolean"))
		return cJSON_IsBool(v) ? 0 : why(msg, "%s.%s: expected a boolean", ent, name);
	if (!strcmp(t, "map") || !strcmp(t, "dict") || !strcmp(t, "properties"))
		return cJSON_IsObject(v) ? 0 : why(msg, "%s.%s: expected a map", ent, name);
	if (!strcmp(t, "list"))
		return cJSON_IsArray(v) ? 0 : why(msg, "%s.%s: expected a list", ent, name);
	return why(msg, "%s.%s: unknown schema type %s", ent, name, t);
}

/* Required attributes of et and its bases, but "type" (the entity tag). */
static int check_required(const char *ent, const cJSON *et, const cJSON *attrs,
			  char *msg)
{
	for (int depth = 0; et && depth < 8; depth++) {
		const cJSON *a, *ext = cJSON_GetObjectItemCaseSensitive(et, "extends");

		cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(et, "attributes"))
			if (flag(a, "required") && strcmp(a->string, "type") &&
			    !cJSON_GetObjectItemCaseSensitive(attrs, a->string))
				return why(msg, "%s: missing required attribute %s",
					   ent, a->string);
		et = cJSON_IsString(ext) ? entity_type(ext->valuestring) : NULL;
	}
	return 0;
}

static int check_entity(const char *ent, const cJSON *attrs, char *msg)
{
	const cJSON *et = entity_type(ent), *a;

	if (!et)
		return why(msg, "unknown entity type %s", ent);
	if (!extends(et, "configurationEntity"))
		return why(msg, "%s is not a configuration entity", ent);
	if (!cJSON_IsObject(attrs))
		return why(msg, "%s: attributes are not a map", ent);
	cJSON_ArrayForEach(a, attrs) {
		const cJSON *def = find_attr(et, a->string);

		if (!def)
			return why(msg, "%s: unknown attribute %s", ent, a->string);
		/* skrouterd's configuration loader takes any known
		 * attribute; status ones (neither create, update nor
		 * required) have no business in a configuration. */
		if (!flag(def, "create") && !flag(def, "update") &&
		    !flag(def, "required"))
			return why(msg, "%s: attribute %s is status, not "
				   "configuration", ent, a->string);
		if (check_value(ent, a->string, def, a, msg))
			return -1;
	}
	return check_required(ent, et, attrs, msg);
}

static const char *name_of(const cJSON *pair)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(pair, 1),
							  "name");

	return cJSON_IsString(n) ? n->valuestring : NULL;
}

static bool has_profile(const cJSON *list, const char *name)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, list)
		if (!strcmp(cJSON_GetArrayItem(p, 0)->valuestring, "sslProfile") &&
		    name_of(p) && !strcmp(name_of(p), name))
			return true;
	return false;
}

/* Across entities: singletons, the router, unique names, references. */
static int check_whole(const cJSON *list, char *msg)
{
	size_t routers = 0;
	const cJSON *p, *q;

	cJSON_ArrayForEach(p, list) {
		const char *ent = cJSON_GetArrayItem(p, 0)->valuestring;
		const cJSON *ssl = cJSON_GetObjectItemCaseSensitive(
			cJSON_GetArrayItem(p, 1), "sslProfile");

		routers += !strcmp(ent, "router");
		if (flag(entity_type(ent), "singleton"))
			for (q = list->child; q != p; q = q->next)
				if (!strcmp(cJSON_GetArrayItem(q, 0)->valuestring, ent))
					return why(msg, "singleton %s given twice", ent);
		for (q = list->child; name_of(p) && q != p; q = q->next)
			if (name_of(q) && !strcmp(name_of(q), name_of(p)))
				return why(msg, "two entities named %s", name_of(p));
		if (ssl && (!cJSON_IsString(ssl) || !has_profile(list, ssl->valuestring)))
			return why(msg, "%s names an sslProfile that is not there", ent);
	}
	return routers == 1 ? 0 : why(msg, "expected one router entity, got %zu", routers);
}

/* 0 when skrouterd's schema accepts the whole configuration. */
static int check_config(const char *json, char *msg)
{
	cJSON *list = cJSON_Parse(json);
	const cJSON *p;
	int ret = 0;

	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return why(msg, "not a JSON list");
	}
	cJSON_ArrayForEach(p, list) {
		const cJSON *type = cJSON_GetArrayItem(p, 0);

		if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
		    !cJSON_IsString(type)) {
			ret = why(msg, "an entry is not [type, {attributes}]");
			break;
		}
		ret = check_entity(type->valuestring, cJSON_GetArrayItem(p, 1), msg);
		if (ret)
			break;
	}
	if (!ret)
		ret = check_whole(list, msg);
	cJSON_Delete(list);
	return ret;
}

/* The first schema found: $KNETSIM_SKROUTER_SCHEMA, the reference copy
 * beside the source tree, or the one an installed skupper-router ships
 * (the same file, as `skrouterd` 3.5.1 installs it). */
static int load_schema(void **state)
{
	const char *env = getenv("KNETSIM_SKROUTER_SCHEMA");
	const char *src = getenv("KNETSIM_SRCDIR");
	static const char *const installed[] = {
		"/usr/local/share/doc/skupper-router/skrouter.json",
		"/usr/share/doc/skupper-router/skrouter.json",
	};
	char path[4096], *text = NULL;
	size_t len, i;
	int ret;

	(void)state;
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "%s/../shared/reference/" SCHEMA_FILE,
			 src && *src ? src : ".");
	ret = read_file(path, &text, &len);
	for (i = 0; ret && !(env && *env) && i < 2; i++) {
		snprintf(path, sizeof(path), "%s", installed[i]);
		ret = read_file(path, &text, &len);
	}
	if (ret) {
		print_message("skupper-router schema not found (../shared/reference/"
			      SCHEMA_FILE " or an installed skupper-router): "
			      "schema checks skipped (set KNETSIM_SKROUTER_SCHEMA)\n");
		return 0;
	}
	print_message("schema: %s\n", path);
	schema = cJSON_Parse(text);
	free(text);
	if (!schema || !entity_type("router"))
		fail_msg("%s: not skupper-router's schema", path);
	return 0;
}

static int free_schema(void **state)
{
	(void)state;
	cJSON_Delete(schema);
	return 0;
}

#define NEED_SCHEMA() do { if (!schema) skip(); } while (0)

/* --- the generator --- */

static const struct skr_peer peers[] = {
	{ "link-C0", "10.0.0.1", SKR_PORT_INTER_ROUTER },
	{ "link-C2", "10.0.0.13", SKR_PORT_INTER_ROUTER },
};
static const struct skr_tcp connectors[] = {
	{ "web", "11.10.32.3", 80 },
	{ "db", "100.64.10.2", 5432 },
};
static const struct skr_tcp listeners[] = {
	{ "page", "0.0.0.0", 1028 },
	{ "api", "0.0.0.0", 1029 },
};

static struct skr_config full(void)
{
	return (struct skr_config){
		.id = "C1", .mgmt_host = "127.0.0.1", .mgmt_port = SKR_PORT_AMQP,
		.listen_host = "0.0.0.0", .listen_port = SKR_PORT_INTER_ROUTER,
		.ca_file = "/run/knetsim/s/mc/ca.crt",
		.cert_file = "/run/knetsim/s/mc/C1/router.crt",
		.key_file = "/run/knetsim/s/mc/C1/router.key",
		.worker_threads = 1,
		.peers = peers, .n_peers = N(peers),
		.connectors = connectors, .n_connectors = N(connectors),
		.listeners = listeners, .n_listeners = N(listeners),
	};
}

/* The attributes of the n-th entity of type in the rendered list. */
static const cJSON *nth(const cJSON *list, const char *type, int n)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, list)
		if (!strcmp(cJSON_GetArrayItem(p, 0)->valuestring, type) && n-- == 0)
			return cJSON_GetArrayItem(p, 1);
	return NULL;
}

static const char *attr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_full_config(void **state)
{
	struct skr_config c = full();
	char err[256], msg[256];
	char *json = skr_config_render(&c, err, sizeof(err));
	cJSON *list;
	const cJSON *o;

	(void)state;
	if (!json)
		fail_msg("%s", err);
	list = cJSON_Parse(json);
	assert_non_null(list);
	o = nth(list, "router", 0);
	assert_string_equal(attr(o, "id"), "C1");
	assert_string_equal(attr(o, "mode"), "interior");
	o = nth(list, "sslProfile", 0);
	assert_string_equal(attr(o, "name"), SKR_SSL_PROFILE);
	assert_string_equal(attr(o, "privateKeyFile"), "/run/knetsim/s/mc/C1/router.key");
	o = nth(list, "listener", 0);
	assert_string_equal(attr(o, "role"), "normal");
	assert_string_equal(attr(o, "host"), "127.0.0.1");
	assert_string_equal(attr(o, "port"), "5672");
	o = nth(list, "listener", 1);
	assert_string_equal(attr(o, "role"), "inter-router");
	assert_string_equal(attr(o, "sslProfile"), SKR_SSL_PROFILE);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "authenticatePeer")));
	o = nth(list, "connector", 1);
	assert_string_equal(attr(o, "role"), "inter-router");
	assert_string_equal(attr(o, "host"), "10.0.0.13");
	assert_string_equal(attr(o, "port"), "55671");
	o = nth(list, "tcpConnector", 0);
	assert_string_equal(attr(o, "address"), "web");
	assert_string_equal(attr(o, "host"), "11.10.32.3");
	assert_string_equal(attr(o, "port"), "80");
	o = nth(list, "tcpListener", 1);
	assert_string_equal(attr(o, "address"), "api");
	assert_string_equal(attr(o, "port"), "1029");
	assert_non_null(nth(list, "log", 0));
	cJSON_Delete(list);
	if (schema && check_config(json, msg))
		fail_msg("schema: %s\n%s", msg, json);
	free(json);
}

/* Smaller shapes: a leaf router with nothing but management, a router
 * that only listens, one that only connects. */
static void test_shapes_against_schema(void **state)
{
	struct skr_config c[3];
	char err[256], msg[256];

	(void)state;
	NEED_SCHEMA();
	c[0] = (struct skr_config){ .id = "solo", .mgmt_host = "127.0.0.1",
				    .mgmt_port = 5672 };
	c[1] = full();
	c[1].n_peers = 0;
	c[1].n_listeners = 0;
	c[2] = full();
	c[2].listen_host = NULL;
	c[2].n_connectors = 0;
	c[2].worker_threads = 0;
	for (size_t i = 0; i < N(c); i++) {
		char *json = skr_config_render(&c[i], err, sizeof(err));

		if (!json)
			fail_msg("shape %zu: %s", i, err);
		if (check_config(json, msg))
			fail_msg("shape %zu: schema: %s\n%s", i, msg, json);
		if (i == 0 && strstr(json, "sslProfile"))
			fail_msg("no TLS needed, yet:\n%s", json);
		free(json);
	}
}

/* The checker refuses what skrouterd would refuse. */
static void test_checker_refuses(void **state)
{
	static const struct {
		const char *json, *what;
	} bad[] = {
		{ "{}", "not a JSON list" },
		{ "[[\"router\"]]", "not [type, {attributes}]" },
		{ "[[\"router\", {\"id\": \"a\", \"colour\": \"red\"}]]", "unknown attribute colour" },
		{ "[[\"router\", {\"id\": \"a\", \"mode\": \"hub\"}]]", "enum" },
		{ "[[\"router\", {\"id\": 7}]]", "expected a string" },
		{ "[[\"router\", {\"id\": \"a\", \"workerThreads\": \"2\"}]]", "expected an integer" },
		{ "[[\"router\", {\"id\": \"a\", \"workerThreads\": 1.5}]]", "expected an integer" },
		{ "[[\"router\", {\"id\": \"a\", \"version\": \"1\"}]]", "is status, not configuration" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"listener\", {\"port\": 5672}]]", "listener.port: expected a string" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"listener\", {\"authenticatePeer\": \"yes\"}]]", "expected a boolean" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"log\", {\"enable\": \"info+\"}]]", "missing required attribute module" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"connector\", {\"connectionStatus\": \"up\"}]]", "is status, not configuration" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"bridge\", {}]]", "unknown entity type bridge" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"connection\", {}]]", "not a configuration entity" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"router\", {\"id\": \"b\"}]]", "singleton router" },
		{ "[[\"listener\", {}]]", "expected one router entity, got 0" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"listener\", {\"name\": \"x\"}], [\"connector\", {\"name\": \"x\"}]]", "two entities named x" },
		{ "[[\"router\", {\"id\": \"a\"}], [\"connector\", {\"sslProfile\": \"tls\"}]]", "sslProfile that is not there" },
	};
	char msg[256];
	size_t failed = 0;

	(void)state;
	NEED_SCHEMA();
	for (size_t i = 0; i < N(bad); i++) {
		msg[0] = '\0';
		if (!check_config(bad[i].json, msg)) {
			print_error("accepted: %s\n", bad[i].json);
			failed++;
		} else if (!strstr(msg, bad[i].what)) {
			print_error("%s: \"%s\", expected \"%s\"\n", bad[i].json,
				    msg, bad[i].what);
			failed++;
		}
	}
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, N(bad));
}

static void test_bad_input(void **state)
{
	static const struct skr_tcp clash_mgmt[] = { { "a", "0.0.0.0", 5672 } };
	static const struct skr_tcp clash_ir[] = { { "a", "0.0.0.0", 55671 } };
	static const struct skr_tcp clash_two[] = {
		{ "a", "0.0.0.0", 1028 }, { "b", "0.0.0.0", 1028 } };
	static const struct skr_tcp twice[] = {
		{ "a", "0.0.0.0", 1028 }, { "a", "0.0.0.0", 1029 } };
	static const struct skr_tcp bad_addr[] = { { "a b", "1.2.3.4", 80 } };
	static const struct skr_tcp bad_host[] = { { "a", "1.2.3.4;", 80 } };
	static const struct skr_tcp no_port[] = { { "a", "1.2.3.4", 0 } };
	static const struct skr_peer dup_peer[] = {
		{ "link-C0", "10.0.0.1", 55671 }, { "link-C0", "10.0.0.2", 55671 } };
	static const struct skr_peer clash_name[] = {
		{ "management", "10.0.0.1", 55671 } };
	static const struct skr_peer bad_peer[] = { { "link-C0", "", 55671 } };
	struct {
		const char *name;
		struct skr_config c;
		const char *what;
	} bad[] = {
		{ "no id", full(), "router id" },
		{ "id with a space", full(), "router id \"a b\"" },
		{ "relative key path", full(), "key file" },
		{ "key path with a quote", full(), "key file" },
		{ "peers without TLS", full(), "CA certificate file" },
		{ "listener on management port", full(), "is the router's own management" },
		{ "listener on inter-router port", full(), "is the router's own inter-router" },
		{ "two listeners one port", full(), "port 1028 is already opened for a" },
		{ "one address listened twice", full(), "tcpListener a: listed twice" },
		{ "bad address", full(), "address \"a b\"" },
		{ "bad host", full(), "host \"1.2.3.4;\"" },
		{ "no port", full(), "no port" },
		{ "connector address twice", full(), "tcpConnector a: listed twice" },
		{ "peer twice", full(), "connector link-C0: listed twice" },
		{ "peer named like a listener", full(), "two entities are named \"management\"" },
		{ "peer without host", full(), "connector link-C0" },
		{ "bad management host", full(), "management listener" },
		{ "missing list", full(), "a list is missing its entries" },
	};
	char err[256];
	size_t failed = 0;

	(void)state;
	bad[0].c.id = "";
	bad[1].c.id = "a b";
	bad[2].c.key_file = "router.key";
	bad[3].c.key_file = "/run/\"x";
	bad[4].c.ca_file = NULL;
	bad[5].c.listeners = clash_mgmt;
	bad[5].c.n_listeners = 1;
	bad[6].c.listeners = clash_ir;
	bad[6].c.n_listeners = 1;
	bad[7].c.listeners = clash_two;
	bad[7].c.n_listeners = 2;
	bad[8].c.listeners = twice;
	bad[8].c.n_listeners = 2;
	bad[9].c.connectors = bad_addr;
	bad[9].c.n_connectors = 1;
	bad[10].c.connectors = bad_host;
	bad[10].c.n_connectors = 1;
	bad[11].c.connectors = no_port;
	bad[11].c.n_connectors = 1;
	bad[12].c.connectors = twice;
	bad[12].c.n_connectors = 2;
	bad[13].c.peers = dup_peer;
	bad[13].c.n_peers = 2;
	bad[14].c.peers = clash_name;
	bad[14].c.n_peers = 1;
	bad[15].c.peers = bad_peer;
	bad[15].c.n_peers = 1;
	bad[16].c.mgmt_host = "";
	bad[17].c.listeners = NULL;
	for (size_t i = 0; i < N(bad); i++) {
		char *json;

		err[0] = '\0';
		json = skr_config_render(&bad[i].c, err, sizeof(err));
		if (json) {
			print_error("%s: accepted\n", bad[i].name);
			free(json);
			failed++;
		} else if (!strstr(err, bad[i].what)) {
			print_error("%s: \"%s\", expected \"%s\"\n", bad[i].name,
				    err, bad[i].what);
			failed++;
		}
	}
	assert_null(skr_config_render(NULL, err, sizeof(err)));
	if (failed)
		fail_msg("%zu of %zu cases failed", failed, N(bad));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_config),
		cmocka_unit_test(test_shapes_against_schema),
		cmocka_unit_test(test_checker_refuses),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests_name("skupper-router config", tests,
					   load_schema, free_schema);
}
