// SPDX-License-Identifier: MIT
/* Services (agent/services.c, agent/svc_store.c): objects, pod fields,
 * backends from pods, and the changes an etcd event brings, without etcd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "cidr.h"
#include "services.h"

#define SVC(spec) "{\"apiVersion\":\"v1\",\"kind\":\"Service\"," \
	"\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}," \
	"\"spec\":{" spec "}}"
#define POD(name, labels, ip) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"," \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\"," \
	"\"labels\":{" labels "}},\"spec\":{\"nodeName\":\"w1\"}," \
	"\"status\":{\"podIP\":\"" ip "\"}}"

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(ip4_parse(s, &a), 0);
	return a;
}

static int parse(const char *json, struct svc_spec *s, char *err)
{
	return svc_parse(json, strlen(json), s, err, 256);
}

static void test_parse_full(void **state)
{
	struct svc_spec *s = malloc(sizeof(*s));
	char err[256];

	(void)state;
	assert_int_equal(parse(SVC("\"clusterIP\":\"100.64.10.1\",\"ports\":["
				   "{\"name\":\"http\",\"port\":80,\"targetPort\":8080,\"protocol\":\"TCP\"},"
				   "{\"port\":53,\"protocol\":\"UDP\"}],"
				   "\"selector\":{\"app\":\"web\",\"tier\":\"fe\"},"
				   "\"algorithm\":\"maglev\""), s, err), 0);
	assert_string_equal(s->name, "web");
	assert_string_equal(s->ns, "default");
	assert_int_equal(s->vip, ip("100.64.10.1"));
	assert_int_equal(s->n_ports, 2);
	assert_int_equal(s->ports[0].port, 80);
	assert_int_equal(s->ports[0].target_port, 8080);
	assert_int_equal(s->ports[0].proto, IPPROTO_TCP);
	assert_int_equal(s->ports[1].target_port, 53);
	assert_int_equal(s->ports[1].proto, IPPROTO_UDP);
	assert_false(s->by_name);
	assert_int_equal(s->n_selector, 2);
	assert_int_equal(s->algo, PROXY_ALGO_MAGLEV);

	assert_int_equal(parse(SVC("\"clusterIP\":\"100.64.10.1\",\"pods\":[\"c2\",\"c3\"]"),
			       s, err), 0);
	assert_true(s->by_name);
	assert_int_equal(s->n_pods, 2);
	assert_int_equal(s->n_ports, 0);
	assert_int_equal(s->algo, PROXY_ALGO_RANDOM);
	free(s);
}

static void test_parse_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"{\"apiVersion\":\"v2\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"]}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"]}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{},\"spec\":{\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"]}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a b\"},\"spec\":{\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"]}}",
		"{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"a\"}}",
		SVC("\"clusterIP\":\"1.2.3\",\"pods\":[\"a\"]"),
		SVC("\"pods\":[\"a\"]"),
		SVC("\"clusterIP\":\"1.2.3.4\""),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"selector\":{\"a\":\"b\"}"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\",\"a\"]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[1]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"selector\":{}"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"selector\":{\"a\":1}"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"selector\":{\"a\":\"b c\"}"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":0}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":70000}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":80.5}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":\"80\"}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":80,\"targetPort\":0}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":80,\"protocol\":\"SCTP\"}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":[{\"port\":80},{\"port\":80,\"protocol\":\"TCP\"}]"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":{}"),
		SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"algorithm\":\"rr\""),
	};
	struct svc_spec *s = malloc(sizeof(*s));
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (parse(bad[i], s, err) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
	}
	/* Same port number on TCP and UDP is fine. */
	assert_int_equal(parse(SVC("\"clusterIP\":\"1.2.3.4\",\"pods\":[\"a\"],\"ports\":"
				   "[{\"port\":53},{\"port\":53,\"protocol\":\"UDP\"}]"), s, err), 0);
	free(s);
}

static void test_roundtrip(void **state)
{
	struct svc_spec *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char err[256], *json;

	(void)state;
	assert_int_equal(parse(SVC("\"clusterIP\":\"10.1.2.3\",\"ports\":[{\"port\":80,"
				   "\"targetPort\":8080}],\"selector\":{\"app\":\"web\"}"),
			       a, err), 0);
	json = svc_to_json(a);
	assert_non_null(json);
	assert_int_equal(parse(json, b, err), 0);
	assert_int_equal(memcmp(a, b, sizeof(*a)), 0);
	free(json);
	free(a);
	free(b);
}

static void test_keys(void **state)
{
	char kind, ns[64], name[64], buf[128];

	(void)state;
	assert_int_equal(svc_key("default", "web", buf, sizeof(buf)), 0);
	assert_string_equal(buf, "/knetsim/services/default/web");
	assert_int_equal(svc_key("default", "web", buf, 10), -ENAMETOOLONG);
	assert_int_equal(svc_key_parse("/knetsim/services/default/web", &kind, ns, name), 0);
	assert_int_equal(kind, 's');
	assert_string_equal(name, "web");
	assert_int_equal(svc_key_parse("/knetsim/pods/default/c2", &kind, ns, name), 0);
	assert_int_equal(kind, 'p');
	assert_string_equal(ns, "default");
	assert_int_equal(svc_key_parse("/knetsim/pods/default/", &kind, ns, name), -EINVAL);
	assert_int_equal(svc_key_parse("/knetsim/pods/default", &kind, ns, name), -EINVAL);
	assert_int_equal(svc_key_parse("/knetsim/pods/a/b/c", &kind, ns, name), -EINVAL);
	assert_int_equal(svc_key_parse("/coreos.com/network/config", &kind, ns, name), -EINVAL);
}

static void test_pod_parse(void **state)
{
	static const char no_ip[] = "{\"metadata\":{\"name\":\"c9\"}}";
	static const char bad_ip[] = "{\"metadata\":{\"name\":\"c9\"},\"status\":{\"podIP\":\"x\"}}";
	const char *good = POD("c2", "\"app\":\"web\"", "10.244.1.2");
	struct svc_pod p;
	char err[256];

	(void)state;
	assert_int_equal(svc_pod_parse(good, strlen(good), &p, err, sizeof(err)), 0);
	assert_string_equal(p.name, "c2");
	assert_int_equal(p.n_labels, 1);
	assert_string_equal(p.labels[0].value, "web");
	assert_int_equal(p.ip, ip("10.244.1.2"));
	assert_int_equal(svc_pod_parse(no_ip, strlen(no_ip), &p, err, sizeof(err)), 0);
	assert_int_equal(p.ip, 0);
	assert_int_equal(svc_pod_parse(bad_ip, strlen(bad_ip), &p, err, sizeof(err)), -EINVAL);
	assert_int_equal(svc_pod_parse("nope", 4, &p, err, sizeof(err)), -EINVAL);
}

static void pod(struct svc_pod *p, const char *ns, const char *name,
		const char *ipstr, const char *app)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->ns, sizeof(p->ns), "%s", ns);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->ip = ipstr ? ip(ipstr) : 0;
	if (app) {
		snprintf(p->labels[0].key, sizeof(p->labels[0].key), "app");
		snprintf(p->labels[0].value, sizeof(p->labels[0].value), "%s", app);
		p->n_labels = 1;
	}
}

static void test_compute(void **state)
{
	struct svc_spec *s = malloc(sizeof(*s));
	struct proxy_service *out = malloc(sizeof(*out));
	struct svc_pod pods[6];
	char err[256];

	(void)state;
	pod(&pods[0], "default", "c3", "10.244.2.9", "web");
	pod(&pods[1], "default", "c2", "10.244.1.2", "web");
	pod(&pods[2], "default", "c4", "10.244.1.3", "db");
	pod(&pods[3], "default", "c5", NULL, "web");          /* no IP yet */
	pod(&pods[4], "other", "c6", "10.244.3.3", "web");    /* other ns */
	pod(&pods[5], "default", "c7", "10.244.1.2", "web");  /* same IP */
	assert_int_equal(parse(SVC("\"clusterIP\":\"100.64.10.1\",\"selector\":{\"app\":\"web\"}"),
			       s, err), 0);
	svc_compute(s, pods, 6, out);
	assert_string_equal(out->name, "web");
	assert_int_equal(out->vip, ip("100.64.10.1"));
	assert_int_equal(out->n_backends, 2);
	assert_int_equal(out->backends[0], ip("10.244.1.2"));
	assert_int_equal(out->backends[1], ip("10.244.2.9"));

	assert_int_equal(parse(SVC("\"clusterIP\":\"100.64.10.1\",\"pods\":[\"c4\",\"c5\",\"c6\",\"zz\"]"),
			       s, err), 0);
	svc_compute(s, pods, 6, out);
	assert_int_equal(out->n_backends, 1);
	assert_int_equal(out->backends[0], ip("10.244.1.3"));
	svc_compute(s, NULL, 0, out);
	assert_int_equal(out->n_backends, 0);
	free(s);
	free(out);
}

/* ---- the store ---- */

static struct svc_change *ev(struct svc_store *st, bool put, const char *key,
			     const char *val, size_t *n)
{
	struct etcd_event e = {
		.type = put ? ETCD_EV_PUT : ETCD_EV_DELETE,
		.key = (char *)key, .key_len = strlen(key),
		.val = (char *)val, .len = val ? strlen(val) : 0,
	};
	struct svc_change *ch = NULL;
	char err[256];

	assert_int_equal(svc_store_event(st, &e, &ch, n, err, sizeof(err)), 0);
	return ch;
}

#define SVC_BY_NAME "{\"apiVersion\":\"v1\",\"kind\":\"Service\"," \
	"\"metadata\":{\"name\":\"kp-vip-1\"},\"spec\":{\"clusterIP\":\"100.64.10.1\"," \
	"\"pods\":[\"c2\",\"c3\"]}}"
#define SVC_BY_LABEL "{\"apiVersion\":\"v1\",\"kind\":\"Service\"," \
	"\"metadata\":{\"name\":\"web\"},\"spec\":{\"clusterIP\":\"100.64.10.2\"," \
	"\"ports\":[{\"port\":80}],\"selector\":{\"app\":\"web\"}}}"

static void test_store_events(void **state)
{
	struct svc_store *st = svc_store_new();
	struct svc_change *ch;
	size_t n;

	(void)state;
	assert_non_null(st);
	ch = ev(st, true, "/knetsim/pods/default/c2", POD("c2", "\"app\":\"web\"", "10.244.1.2"), &n);
	assert_int_equal(n, 0);
	free(ch);
	ch = ev(st, true, "/knetsim/services/default/kp-vip-1", SVC_BY_NAME, &n);
	assert_int_equal(n, 1);
	assert_false(ch[0].deleted);
	assert_string_equal(ch[0].svc.name, "kp-vip-1");
	assert_int_equal(ch[0].svc.n_backends, 1);
	free(ch);
	ch = ev(st, true, "/knetsim/services/default/web", SVC_BY_LABEL, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].svc.n_backends, 1);
	free(ch);
	assert_int_equal(svc_store_count(st), 2);

	/* c3: only kp-vip-1 changes. */
	ch = ev(st, true, "/knetsim/pods/default/c3", POD("c3", "\"app\":\"db\"", "10.244.2.2"), &n);
	assert_int_equal(n, 1);
	assert_string_equal(ch[0].svc.name, "kp-vip-1");
	assert_int_equal(ch[0].svc.n_backends, 2);
	free(ch);
	/* Unrelated pod: nothing. */
	ch = ev(st, true, "/knetsim/pods/default/c9", POD("c9", "\"app\":\"x\"", "10.244.2.5"), &n);
	assert_int_equal(n, 0);
	assert_null(ch);
	/* c2 leaves both. */
	ch = ev(st, false, "/knetsim/pods/default/c2", NULL, &n);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ch[i].svc.n_backends,
				 !strcmp(ch[i].svc.name, "web") ? 0 : 1);
	free(ch);
	/* The same put again: nothing changes in the computed form... */
	ch = ev(st, true, "/knetsim/pods/default/c3", POD("c3", "\"app\":\"db\"", "10.244.2.2"), &n);
	assert_int_equal(n, 0);
	/* ...an invalid service counts as deleted... */
	ch = ev(st, true, "/knetsim/services/default/web", "{\"kind\":1}", &n);
	assert_int_equal(n, 1);
	assert_true(ch[0].deleted);
	assert_string_equal(ch[0].svc.name, "web");
	free(ch);
	/* ...a delete of an unknown one is nothing, of a known one a del. */
	ch = ev(st, false, "/knetsim/services/default/web", NULL, &n);
	assert_int_equal(n, 0);
	ch = ev(st, false, "/knetsim/services/default/kp-vip-1", NULL, &n);
	assert_int_equal(n, 1);
	assert_true(ch[0].deleted);
	free(ch);
	ch = ev(st, true, "/coreos.com/network/subnets/x", "{}", &n);
	assert_int_equal(n, 0);
	assert_int_equal(svc_store_count(st), 0);
	svc_store_free(st);
}

static void test_store_reset(void **state)
{
	struct etcd_kv kvs[3] = {
		{ .key = "/knetsim/pods/default/c2", .val = POD("c2", "", "10.244.1.2") },
		{ .key = "/knetsim/pods/default/c3", .val = POD("c3", "", "10.244.2.2") },
		{ .key = "/knetsim/services/default/kp-vip-1", .val = SVC_BY_NAME },
	};
	struct svc_store *st = svc_store_new();
	struct svc_change *ch;
	size_t n;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		kvs[i].key_len = strlen(kvs[i].key);
		kvs[i].len = strlen(kvs[i].val);
	}
	assert_int_equal(svc_store_reset(st, kvs, 3, &ch, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].svc.n_backends, 2);
	assert_int_equal(ch[0].svc.backends[0], ip("10.244.1.2"));
	free(ch);
	/* Same content: no change. */
	assert_int_equal(svc_store_reset(st, kvs, 3, &ch, &n), 0);
	assert_int_equal(n, 0);
	/* c3 gone. */
	kvs[1] = kvs[2];
	assert_int_equal(svc_store_reset(st, kvs, 2, &ch, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(ch[0].svc.n_backends, 1);
	free(ch);
	/* Service gone. */
	assert_int_equal(svc_store_reset(st, kvs, 1, &ch, &n), 0);
	assert_int_equal(n, 1);
	assert_true(ch[0].deleted);
	assert_string_equal(ch[0].svc.name, "kp-vip-1");
	free(ch);
	svc_store_free(st);
}

/* ---- svcsync.c against a proxy double ---- */

static struct {
	char last[PROXY_NAME_MAX + 1];
	size_t sets, dels, backends;
} fake;

static int fake_set(const struct proxy_service *s)
{
	snprintf(fake.last, sizeof(fake.last), "%s", s->name);
	fake.sets++;
	fake.backends = s->n_backends;
	return 0;
}

static int fake_del(const char *ns, const char *name)
{
	(void)ns;
	snprintf(fake.last, sizeof(fake.last), "%s", name);
	fake.dels++;
	return 0;
}

static const struct proxy_ops fake_ops = {
	.name = "fake", .service_set = fake_set, .service_del = fake_del,
};

static void sync_event(struct agent *a, bool put, const char *key,
		       const char *val)
{
	struct etcd_event e = {
		.type = put ? ETCD_EV_PUT : ETCD_EV_DELETE,
		.key = (char *)key, .key_len = strlen(key),
		.val = (char *)val, .len = val ? strlen(val) : 0,
	};

	agent_services_event(a, &e);
}

static void test_svcsync_events(void **state)
{
	struct agent a = { .proxy = &fake_ops };

	(void)state;
	memset(&fake, 0, sizeof(fake));
	a.svc = svc_store_new();
	assert_non_null(a.svc);
	sync_event(&a, true, "/knetsim/services/default/kp-vip-1", SVC_BY_NAME);
	assert_int_equal(fake.sets, 1);
	assert_int_equal(fake.backends, 0);
	sync_event(&a, true, "/knetsim/pods/default/c2", POD("c2", "", "10.244.1.2"));
	assert_int_equal(fake.sets, 2);
	assert_int_equal(fake.backends, 1);
	sync_event(&a, true, "/knetsim/pods/default/c9", POD("c9", "", "10.244.1.9"));
	assert_int_equal(fake.sets, 2);          /* not one of its pods */
	sync_event(&a, false, "/knetsim/pods/default/c2", NULL);
	assert_int_equal(fake.sets, 3);
	assert_int_equal(fake.backends, 0);
	sync_event(&a, false, "/knetsim/services/default/kp-vip-1", NULL);
	assert_int_equal(fake.dels, 1);
	assert_string_equal(fake.last, "kp-vip-1");
	/* Without a proxy, events are ignored. */
	a.proxy = NULL;
	sync_event(&a, true, "/knetsim/services/default/kp-vip-1", SVC_BY_NAME);
	assert_int_equal(fake.sets, 3);
	agent_services_free(&a);
	assert_null(a.svc);
}

static size_t batches, commits;

static int fake_begin(void)
{
	batches++;
	return 0;
}

static int fake_commit(void)
{
	commits++;
	return 0;
}

static const struct proxy_ops fake_batch_ops = {
	.name = "fake", .service_set = fake_set, .service_del = fake_del,
	.batch_begin = fake_begin, .batch_commit = fake_commit,
};

/* A batch of watch events is one proxy batch; the figures follow. */
static void test_svcsync_batch(void **state)
{
	struct agent a = { .proxy = &fake_batch_ops };
	struct etcd_event ev[3] = {
		{ .type = ETCD_EV_PUT, .key = "/knetsim/services/default/kp-vip-1",
		  .val = SVC_BY_NAME, .mod_revision = 7 },
		{ .type = ETCD_EV_PUT, .key = "/knetsim/pods/default/c2",
		  .val = POD("c2", "", "10.244.1.2"), .mod_revision = 8 },
		{ .type = ETCD_EV_PUT, .key = "/knetsim/pods/default/c9",
		  .val = POD("c9", "", "10.244.1.9"), .mod_revision = 9 },
	};
	cJSON *st;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	batches = commits = 0;
	for (size_t i = 0; i < 3; i++) {
		ev[i].key_len = strlen(ev[i].key);
		ev[i].len = strlen(ev[i].val);
	}
	a.svc = svc_store_new();
	assert_non_null(a.svc);
	agent_services_events(&a, ev, 3);
	/* the service, then again with c2 as its backend; c9 changes nothing */
	assert_int_equal(fake.sets, 2);
	assert_int_equal(fake.backends, 1);
	assert_int_equal(batches, 1);
	assert_int_equal(commits, 1);
	assert_int_equal(a.svc_stats.revision, 9);
	assert_int_equal(a.svc_stats.last_apply_count, 2);
	assert_int_equal(a.svc_stats.applied_total, 2);
	/* one change alone: no batch */
	sync_event(&a, false, "/knetsim/pods/default/c2", NULL);
	assert_int_equal(fake.sets, 3);
	assert_int_equal(batches, 1);
	assert_int_equal(a.svc_stats.applied_total, 3);
	st = agent_services_status(&a);
	assert_non_null(st);
	assert_int_equal(cJSON_GetObjectItem(st, "count")->valueint, 1);
	assert_int_equal(cJSON_GetObjectItem(st, "applied_total")->valueint, 3);
	assert_string_equal(cJSON_GetObjectItem(st, "proxy")->valuestring, "fake");
	cJSON_Delete(st);
	agent_services_free(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_pod_parse),
		cmocka_unit_test(test_compute),
		cmocka_unit_test(test_store_events),
		cmocka_unit_test(test_store_reset),
		cmocka_unit_test(test_svcsync_events),
		cmocka_unit_test(test_svcsync_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
