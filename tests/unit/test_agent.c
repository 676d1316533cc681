// SPDX-License-Identifier: MIT
/* The agent's pieces without etcd or a kernel datapath: the endpoint
 * registry (agent/endpoints.c), the control socket's requests (api.c) and
 * remote leases (leases.c) against a routing double that records what it
 * is asked to do, and the control socket server (ctl.c) with its client
 * (lib/ctl_client.c) over a socket in a temporary directory. Needs no
 * privileges. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "ctl.h"
#include "ctl_client.h"
#include "endpoints.h"
#include "fsutil.h"
#include "knetsim/ctl.h"
#include "log.h"
#include "mac.h"

/* ---- the routing double ---- */

enum call_kind { LEASE_ADD, LEASE_DEL, EP_ADD, EP_DEL };

struct call {
	enum call_kind kind;
	struct routing_lease lease;
	struct routing_endpoint ep;
	uint32_t ip;
};

#define MAX_CALLS 32

static struct {
	struct call calls[MAX_CALLS];
	size_t n, dropped;
	int lease_add_ret, ep_add_ret, ep_del_ret; /* what the calls return */
} fake;

static struct call *record(enum call_kind kind)
{
	static struct call scratch;

	if (fake.n == MAX_CALLS) {
		fake.dropped++;
		return &scratch;
	}
	memset(&fake.calls[fake.n], 0, sizeof(fake.calls[0]));
	fake.calls[fake.n].kind = kind;
	return &fake.calls[fake.n++];
}

static int fake_init(const struct routing_config *cfg, uint8_t vtep_mac[6])
{
	(void)cfg;
	(void)vtep_mac;
	return -ENOSYS;
}

static int fake_lease_add(const struct routing_lease *l)
{
	record(LEASE_ADD)->lease = *l;
	return fake.lease_add_ret;
}

static int fake_lease_del(const struct routing_lease *l)
{
	record(LEASE_DEL)->lease = *l;
	return 0;
}

static int fake_endpoint_add(const struct routing_endpoint *ep)
{
	record(EP_ADD)->ep = *ep;
	return fake.ep_add_ret;
}

static int fake_endpoint_del(uint32_t ip)
{
	record(EP_DEL)->ip = ip;
	return fake.ep_del_ret;
}

static void fake_close(void)
{
}

static const struct routing_ops fake_ops = {
	.name = "fake",
	.init = fake_init,
	.lease_add = fake_lease_add,
	.lease_del = fake_lease_del,
	.endpoint_add = fake_endpoint_add,
	.endpoint_del = fake_endpoint_del,
	.close = fake_close,
};

static size_t calls_of(enum call_kind kind)
{
	size_t n = 0;

	for (size_t i = 0; i < fake.n; i++)
		n += fake.calls[i].kind == kind;
	return n;
}

/* ---- helpers ---- */

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

static void mac(const char *s, uint8_t m[6])
{
	assert_int_equal(mac_parse(s, m), 0);
}

static cJSON *parse(const char *json)
{
	cJSON *o = cJSON_Parse(json);

	assert_non_null(o);
	return o;
}

/* ---- stderr, captured to check warnings ---- */

static int saved_stderr = -1;
static char capture_path[PATH_MAX];

static void capture_start(const char *dir)
{
	int fd;

	snprintf(capture_path, sizeof(capture_path), "%s/stderr", dir);
	fd = open(capture_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	fflush(stderr);
	saved_stderr = dup(2);
	assert_true(saved_stderr >= 0);
	assert_int_equal(dup2(fd, 2), 2);
	close(fd);
}

/* What was written since capture_start (malloc'd). */
static char *capture_end(void)
{
	char *buf = NULL;

	fflush(stderr);
	assert_int_equal(dup2(saved_stderr, 2), 2);
	close(saved_stderr);
	saved_stderr = -1;
	assert_int_equal(read_file(capture_path, &buf, NULL), 0);
	unlink(capture_path);
	return buf;
}

static void assert_captured(char *log, const char *needle)
{
	if (!strstr(log, needle))
		fail_msg("\"%s\" not logged; log was:\n%s", needle, log);
}

/* ---- fixture: a temporary directory and a hand-built agent ---- */

struct fx {
	char dir[64];
	char eps_path[128];
	char sock[96];
	struct agent a;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ktl-agent-XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return -1;
	}
	snprintf(f->eps_path, sizeof(f->eps_path), "%s/endpoints.json", f->dir);
	snprintf(f->sock, sizeof(f->sock), "%s/ctl.sock", f->dir);
	memset(&fake, 0, sizeof(fake));
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (saved_stderr >= 0) { /* a test failed while capturing */
		dup2(saved_stderr, 2);
		close(saved_stderr);
		saved_stderr = -1;
	}
	ctl_close(f->a.ctl);
	endpoints_close(f->a.eps);
	agent_leases_free(&f->a);
	rm_rf(f->dir);
	free(f);
	return 0;
}

/* Worker 10.0.0.1 holding 11.10.16.0/20 of 11.0.0.0/8 (SubnetLen 20). */
static void agent_init(struct fx *f)
{
	struct agent *a = &f->a;

	a->sim = "ktl-sim";
	a->worker = "C0w1";
	a->cluster = "C0";
	a->address = ip("10.0.0.1");
	a->underlay_if = "eth0";
	a->routing = &fake_ops;
	a->net.network = net("11.0.0.0/8");
	a->net.subnet_len = 20;
	netconf_defaults(&a->net, NETCONF_SUBNET_LEN);
	assert_int_equal(netconf_validate(&a->net, NULL, 0), 0);
	a->lease.subnet = net("11.10.16.0/20");
	a->lease.public_ip = a->address;
	assert_int_equal(endpoints_open(f->eps_path, &a->eps), 0);
}

/* ---- endpoints: the registry ---- */

static struct endpoint mk_ep(const char *container, const char *ipa,
			     int ifindex)
{
	struct endpoint ep;

	memset(&ep, 0, sizeof(ep));
	snprintf(ep.container, sizeof(ep.container), "%s", container);
	snprintf(ep.pod, sizeof(ep.pod), "pod-%s", container);
	snprintf(ep.ns, sizeof(ep.ns), "default");
	ep.ip = ip(ipa);
	snprintf(ep.ifname, sizeof(ep.ifname), "ks%s", container);
	ep.ifindex = ifindex;
	mac("aa:bb:cc:00:11:22", ep.mac);
	ep.mac[5] = (uint8_t)ifindex;
	snprintf(ep.netns, sizeof(ep.netns), "/run/netns/ktl-%s", container);
	return ep;
}

static void assert_ep_equal(const struct endpoint *a, const struct endpoint *b)
{
	assert_string_equal(a->container, b->container);
	assert_string_equal(a->pod, b->pod);
	assert_string_equal(a->ns, b->ns);
	assert_int_equal(a->ip, b->ip);
	assert_string_equal(a->ifname, b->ifname);
	assert_int_equal(a->ifindex, b->ifindex);
	assert_memory_equal(a->mac, b->mac, 6);
	assert_string_equal(a->netns, b->netns);
}

static void write_text(const char *path, const char *text)
{
	assert_int_equal(write_file(path, text, strlen(text), 0644), 0);
}

static void test_eps_missing_file_is_empty(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps = NULL;
	struct stat st;

	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_non_null(eps);
	assert_int_equal(endpoints_count(eps), 0);
	assert_null(endpoints_at(eps, 0));
	assert_null(endpoints_find(eps, "c1"));
	/* Opening does not create the file. */
	assert_int_equal(stat(f->eps_path, &st), -1);
	assert_int_equal(errno, ENOENT);
	endpoints_close(eps);
	endpoints_close(NULL);
}

static void test_eps_put_replace_del(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps;
	struct endpoint e1 = mk_ep("c1", "11.10.16.2", 11);
	struct endpoint e2 = mk_ep("c2", "11.10.16.3", 12);
	struct endpoint e1b = mk_ep("c1", "11.10.16.9", 19);
	const struct endpoint *got;

	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_put(eps, &e1), 0);
	assert_int_equal(endpoints_put(eps, &e2), 0);
	assert_int_equal(endpoints_count(eps), 2);
	got = endpoints_find(eps, "c2");
	assert_non_null(got);
	assert_ep_equal(got, &e2);
	assert_null(endpoints_at(eps, 2));

	/* Same container: replaced in place, not added. */
	assert_int_equal(endpoints_put(eps, &e1b), 0);
	assert_int_equal(endpoints_count(eps), 2);
	got = endpoints_find(eps, "c1");
	assert_non_null(got);
	assert_ep_equal(got, &e1b);

	assert_int_equal(endpoints_del(eps, "c1"), 0);
	assert_int_equal(endpoints_count(eps), 1);
	assert_null(endpoints_find(eps, "c1"));
	assert_non_null(endpoints_find(eps, "c2"));
	assert_int_equal(endpoints_del(eps, "c1"), -ENOENT);
	assert_int_equal(endpoints_del(eps, "nope"), -ENOENT);
	assert_int_equal(endpoints_del(eps, "c2"), 0);
	assert_int_equal(endpoints_count(eps), 0);
	assert_int_equal(endpoints_del(eps, "c2"), -ENOENT);
	endpoints_close(eps);

	/* The deletions were saved too. */
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_count(eps), 0);
	endpoints_close(eps);
}

static void test_eps_persist_reload(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps;
	struct endpoint v[3] = {
		mk_ep("c1", "11.10.16.2", 11),
		mk_ep("c2", "11.10.16.3", 12),
		mk_ep("c3", "11.10.16.4", 2147483647),
	};
	char *text;
	cJSON *arr;

	/* Optional fields left empty survive as empty. */
	v[1].pod[0] = v[1].ns[0] = v[1].netns[0] = '\0';
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(endpoints_put(eps, &v[i]), 0);
	endpoints_close(eps);

	/* The file is a JSON array of the endpoints... */
	assert_int_equal(read_file(f->eps_path, &text, NULL), 0);
	arr = cJSON_Parse(text);
	free(text);
	assert_true(cJSON_IsArray(arr));
	assert_int_equal(cJSON_GetArraySize(arr), 3);
	cJSON_Delete(arr);

	/* ...that loads back identically, in order. */
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_count(eps), 3);
	for (size_t i = 0; i < 3; i++)
		assert_ep_equal(endpoints_at(eps, i), &v[i]);
	endpoints_close(eps);
}

static void open_corrupt(struct fx *f, const char *text, const char *warning)
{
	struct endpoints *eps = NULL;
	char *log;

	write_text(f->eps_path, text);
	capture_start(f->dir);
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	log = capture_end();
	assert_non_null(eps);
	assert_int_equal(endpoints_count(eps), 0);
	assert_captured(log, "warning");
	assert_captured(log, warning);
	free(log);
	endpoints_close(eps);
}

static void test_eps_corrupt_file(void **state)
{
	struct fx *f = *state;
	struct endpoint e = mk_ep("c1", "11.10.16.2", 11);
	struct endpoints *eps;
	static const char binary[] = { '\x7f', 'E', 'L', 'F', '\x01', '\xff', 0 };

	open_corrupt(f, "", "not a JSON array");
	open_corrupt(f, "[{\"container\":", "not a JSON array");
	open_corrupt(f, "{\"container\":\"c1\"}", "not a JSON array");
	open_corrupt(f, "\"just a string\"", "not a JSON array");
	open_corrupt(f, "null", "not a JSON array");
	open_corrupt(f, binary, "not a JSON array");
	/* Trailing bytes after a complete array are not noticed (cJSON_Parse
	 * stops at its end): the array is what counts. */
	write_text(f->eps_path, "[] xyz");
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_count(eps), 0);
	endpoints_close(eps);

	/* The next put replaces the corrupt file with a good one. */
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_put(eps, &e), 0);
	endpoints_close(eps);
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_count(eps), 1);
	assert_ep_equal(endpoints_at(eps, 0), &e);
	endpoints_close(eps);
}

static void test_eps_bad_entries_skipped(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps = NULL;
	const struct endpoint *got;
	char *log;

	write_text(f->eps_path,
		   "[ 42, \"c0\", null, [],\n"
		   "  {\"container\":\"bad-ip\",\"ip\":\"11.10.16.300\",\"ifname\":\"ks1\","
		   "\"ifindex\":3,\"mac\":\"aa:bb:cc:dd:ee:01\"},\n"
		   "  {\"container\":\"good\",\"pod\":\"p\",\"namespace\":\"default\","
		   "\"ip\":\"11.10.16.5\",\"ifname\":\"ks5\",\"ifindex\":5,"
		   "\"mac\":\"aa:bb:cc:dd:ee:05\",\"netns\":\"/run/netns/x\"},\n"
		   "  {\"container\":\"no-mac\",\"ip\":\"11.10.16.6\",\"ifname\":\"ks6\","
		   "\"ifindex\":6},\n"
		   "  {\"container\":\"neg\",\"ip\":\"11.10.16.7\",\"ifname\":\"ks7\","
		   "\"ifindex\":-7,\"mac\":\"aa:bb:cc:dd:ee:07\"}\n"
		   "]\n");
	capture_start(f->dir);
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	log = capture_end();
	assert_non_null(eps);
	assert_int_equal(endpoints_count(eps), 1);
	got = endpoints_find(eps, "good");
	assert_non_null(got);
	assert_int_equal(got->ip, ip("11.10.16.5"));
	assert_int_equal(got->ifindex, 5);
	assert_string_equal(got->netns, "/run/netns/x");
	assert_captured(log, "skipping an entry");
	assert_captured(log, "endpoint.ip");
	assert_captured(log, "endpoint.mac");
	assert_captured(log, "endpoint.ifindex");
	free(log);
	endpoints_close(eps);
}

static void test_eps_duplicate_in_file(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps = NULL;

	write_text(f->eps_path,
		   "[{\"container\":\"c\",\"ip\":\"11.10.16.2\",\"ifname\":\"ks2\","
		   "\"ifindex\":2,\"mac\":\"aa:bb:cc:dd:ee:02\"},"
		   "{\"container\":\"c\",\"ip\":\"11.10.16.3\",\"ifname\":\"ks3\","
		   "\"ifindex\":3,\"mac\":\"aa:bb:cc:dd:ee:03\"}]");
	assert_int_equal(endpoints_open(f->eps_path, &eps), 0);
	assert_int_equal(endpoints_count(eps), 1);
	assert_int_equal(endpoints_find(eps, "c")->ip, ip("11.10.16.3"));
	endpoints_close(eps);
}

static void test_eps_open_errors(void **state)
{
	struct fx *f = *state;
	struct endpoints *eps = (struct endpoints *)0x1;
	char longpath[PATH_MAX + 16];

	/* A directory where the file should be: an error, not a crash. */
	assert_int_equal(mkdir(f->eps_path, 0755), 0);
	assert_true(endpoints_open(f->eps_path, &eps) < 0);
	assert_ptr_equal(eps, (struct endpoints *)0x1);
	assert_int_equal(rmdir(f->eps_path), 0);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	assert_int_equal(endpoints_open(longpath, &eps), -ENAMETOOLONG);
	assert_ptr_equal(eps, (struct endpoints *)0x1);
}

static void test_eps_save_fails(void **state)
{
	struct fx *f = *state;
	struct endpoint e = mk_ep("c1", "11.10.16.2", 11);
	char path[192];
	struct endpoints *eps;

	/* The directory of the file is gone: put reports it. */
	snprintf(path, sizeof(path), "%s/gone/endpoints.json", f->dir);
	assert_int_equal(endpoints_open(path, &eps), 0);
	assert_true(endpoints_put(eps, &e) < 0);
	endpoints_close(eps);
}

/* ---- endpoint_from_json ---- */

#define GOOD_EP "{\"container\":\"0123abcd\",\"pod\":\"c1\",\"namespace\":\"default\"," \
	"\"ip\":\"11.10.16.2\",\"ifname\":\"ks5f2a9c01\",\"ifindex\":12,"	\
	"\"mac\":\"AA:bb:cc:dd:ee:0f\",\"netns\":\"/run/netns/ktl-p\"}"

static void test_ep_json_good(void **state)
{
	struct endpoint ep, back;
	char err[256] = "";
	cJSON *o = parse(GOOD_EP), *o2;
	uint8_t m[6];

	(void)state;
	assert_int_equal(endpoint_from_json(o, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.container, "0123abcd");
	assert_string_equal(ep.pod, "c1");
	assert_string_equal(ep.ns, "default");
	assert_int_equal(ep.ip, ip("11.10.16.2"));
	assert_string_equal(ep.ifname, "ks5f2a9c01");
	assert_int_equal(ep.ifindex, 12);
	mac("aa:bb:cc:dd:ee:0f", m);
	assert_memory_equal(ep.mac, m, 6);
	assert_string_equal(ep.netns, "/run/netns/ktl-p");

	/* to_json and back is the identity; the MAC comes out lower-case. */
	o2 = endpoint_to_json(&ep);
	assert_string_equal(cJSON_GetObjectItem(o2, "mac")->valuestring,
			    "aa:bb:cc:dd:ee:0f");
	assert_int_equal(endpoint_from_json(o2, &back, err, sizeof(err)), 0);
	assert_ep_equal(&back, &ep);
	cJSON_Delete(o2);
	cJSON_Delete(o);

	/* Optional fields absent; unknown fields ignored; largest ifindex. */
	o = parse("{\"container\":\"c\",\"ip\":\"0.0.0.0\",\"ifname\":\"v\","
		  "\"ifindex\":2147483647,\"mac\":\"00:00:00:00:00:00\","
		  "\"extra\":[1,2,3]}");
	assert_int_equal(endpoint_from_json(o, &ep, err, sizeof(err)), 0);
	assert_string_equal(ep.pod, "");
	assert_string_equal(ep.ns, "");
	assert_string_equal(ep.netns, "");
	assert_int_equal(ep.ifindex, 2147483647);
	o2 = endpoint_to_json(&ep);
	assert_null(cJSON_GetObjectItem(o2, "pod"));
	assert_null(cJSON_GetObjectItem(o2, "namespace"));
	assert_null(cJSON_GetObjectItem(o2, "netns"));
	cJSON_Delete(o2);
	cJSON_Delete(o);
}

/* The good endpoint with field set to json (NULL: removed), expected
 * to fail with a message naming errfield. */
static void expect_bad(const char *field, const char *json, const char *errfield)
{
	cJSON *o = parse(GOOD_EP);
	struct endpoint ep;
	char err[256] = "";
	int ret;

	if (json)
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(o, field, parse(json)));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(o, field);
	ret = endpoint_from_json(o, &ep, err, sizeof(err));
	if (ret != -EINVAL)
		fail_msg("%s = %s: expected -EINVAL, got %d", field,
			 json ? json : "(absent)", ret);
	if (!strstr(err, errfield))
		fail_msg("%s = %s: error \"%s\" does not name %s", field,
			 json ? json : "(absent)", err, errfield);
	cJSON_Delete(o);
}

/* A JSON string of n times c (malloc'd, quoted). */
static char *long_string(size_t n, char c)
{
	char *s = malloc(n + 3);

	assert_non_null(s);
	s[0] = '"';
	memset(s + 1, c, n);
	s[n + 1] = '"';
	s[n + 2] = '\0';
	return s;
}

static void expect_len_limit(const char *field, size_t max)
{
	char *ok = long_string(max, 'a'), *bad = long_string(max + 1, 'a');
	cJSON *o = parse(GOOD_EP);
	struct endpoint ep;
	char err[256];

	assert_true(cJSON_ReplaceItemInObjectCaseSensitive(o, field, parse(ok)));
	assert_int_equal(endpoint_from_json(o, &ep, err, sizeof(err)), 0);
	cJSON_Delete(o);
	expect_bad(field, bad, field);
	free(ok);
	free(bad);
}

static void test_ep_json_missing(void **state)
{
	static const char *const required[] = {
		"container", "ifname", "ip", "mac", "ifindex",
	};
	static const char *const optional[] = { "pod", "namespace", "netns" };
	struct endpoint ep;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		expect_bad(required[i], NULL, required[i]);
	for (size_t i = 0; i < sizeof(optional) / sizeof(optional[0]); i++) {
		cJSON *o = parse(GOOD_EP);

		cJSON_DeleteItemFromObjectCaseSensitive(o, optional[i]);
		assert_int_equal(endpoint_from_json(o, &ep, err, sizeof(err)), 0);
		cJSON_Delete(o);
	}
}

static void test_ep_json_not_object(void **state)
{
	static const char *const cases[] = { "[]", "\"x\"", "1", "null", "true" };
	struct endpoint ep;
	char err[256];

	(void)state;
	assert_int_equal(endpoint_from_json(NULL, &ep, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected an object"));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *o = parse(cases[i]);

		assert_int_equal(endpoint_from_json(o, &ep, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "expected an object"));
		cJSON_Delete(o);
	}
}

static void test_ep_json_wrong_types(void **state)
{
	static const char *const strings[] = {
		"container", "pod", "namespace", "ifname", "netns", "ip", "mac",
	};
	static const char *const values[] = {
		"1", "true", "null", "[]", "{}", "[\"x\"]", "\"\"",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		for (size_t j = 0; j < sizeof(values) / sizeof(values[0]); j++)
			expect_bad(strings[i], values[j], strings[i]);
}

static void test_ep_json_bad_ip(void **state)
{
	static const char *const bad[] = {
		"\"11.10.16\"", "\"11.10.16.256\"", "\"11.10.16.2.1\"",
		"\"eleven\"", "\" 11.10.16.2\"", "\"11.10.16.2 \"",
		"\"11.10.16.2/20\"", "\"-1.10.16.2\"", "\"::1\"",
		"\"11..16.2\"", "\"0x0b.10.16.2\"",
		"\"255.255.255.255x\"", /* over-long */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad("ip", bad[i], "endpoint.ip");
}

static void test_ep_json_bad_mac(void **state)
{
	static const char *const bad[] = {
		"\"aa:bb:cc:dd:ee\"", "\"aa:bb:cc:dd:ee:ff:00\"",
		"\"aa:bb:cc:dd:ee:gg\"", "\"aabbccddeeff\"",
		"\"aa-bb:cc-dd:ee-ff\"", "\"a:bb:cc:dd:ee:ff\"",
		"\"aa:bb:cc:dd:ee:f\"", "\"aa:bb:cc:dd:ee:ff \"",
		"\"aa:bb:cc:dd:ee:fff\"",
		"\"aa:bb:cc:dd:ee:ff:00:11:22\"", /* over-long */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad("mac", bad[i], "endpoint.mac");
}

static void test_ep_json_bad_ifindex(void **state)
{
	static const char *const bad[] = {
		"0", "-1", "-2147483648", "1.5", "0.999", "2147483648",
		"4294967297", "1e300", "1e999", "-1e999", "\"12\"", "true",
		"null", "[12]", "{}",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad("ifindex", bad[i], "endpoint.ifindex");
}

static void test_ep_json_lengths(void **state)
{
	(void)state;
	expect_len_limit("container", sizeof(((struct endpoint *)0)->container) - 1);
	expect_len_limit("pod", sizeof(((struct endpoint *)0)->pod) - 1);
	expect_len_limit("namespace", sizeof(((struct endpoint *)0)->ns) - 1);
	expect_len_limit("ifname", sizeof(((struct endpoint *)0)->ifname) - 1);
	expect_len_limit("netns", sizeof(((struct endpoint *)0)->netns) - 1);
}

/* ---- agent_api, against the routing double ---- */

static cJSON *api(struct fx *f, const char *json, char *err, size_t errlen)
{
	cJSON *req = parse(json), *rep;

	err[0] = '\0';
	rep = agent_api(&f->a, req, err, errlen);
	cJSON_Delete(req);
	return rep;
}

static void api_fails(struct fx *f, const char *json, const char *msg)
{
	char err[512];
	cJSON *rep = api(f, json, err, sizeof(err));

	if (rep) {
		char *s = cJSON_PrintUnformatted(rep);

		fail_msg("%s: expected an error, got %s", json, s);
	}
	if (!strstr(err, msg))
		fail_msg("%s: error \"%s\" does not say \"%s\"", json, err, msg);
}

static void api_ok(struct fx *f, const char *json)
{
	char err[512];
	cJSON *rep = api(f, json, err, sizeof(err));

	if (!rep)
		fail_msg("%s: %s", json, err);
	cJSON_Delete(rep);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	assert_true(cJSON_IsString(v));
	return v->valuestring;
}

#define EP_ADD(container, ipa) "{\"op\":\"endpoint-add\",\"endpoint\":{" \
	"\"container\":\"" container "\",\"pod\":\"p-" container "\","	\
	"\"namespace\":\"default\",\"ip\":\"" ipa "\",\"ifname\":\"ks-" container "\"," \
	"\"ifindex\":7,\"mac\":\"aa:bb:cc:dd:ee:07\",\"netns\":\"/run/netns/ktl-x\"}}"

static void test_api_status(void **state)
{
	struct fx *f = *state;
	struct endpoint e = mk_ep("c1", "11.10.16.2", 11);
	struct subnet_lease remote = { .subnet = net("11.10.32.0/20"),
				       .public_ip = ip("10.0.0.2") };
	const cJSON *eps, *leases, *l;
	char err[256];
	cJSON *rep;

	agent_init(f);
	assert_int_equal(endpoints_put(f->a.eps, &e), 0);
	f->a.remote = malloc(sizeof(remote));
	assert_non_null(f->a.remote);
	f->a.remote[0] = remote;
	f->a.n_remote = 1;

	rep = api(f, "{\"op\":\"status\"}", err, sizeof(err));
	assert_non_null(rep);
	assert_string_equal(str(rep, "worker"), "C0w1");
	assert_string_equal(str(rep, "cluster"), "C0");
	assert_string_equal(str(rep, "routing"), "fake");
	assert_string_equal(str(rep, "address"), "10.0.0.1");
	assert_string_equal(str(rep, "subnet"), "11.10.16.0/20");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rep, "watching")));
	eps = cJSON_GetObjectItemCaseSensitive(rep, "endpoints");
	assert_true(cJSON_IsArray(eps));
	assert_int_equal(cJSON_GetArraySize(eps), 1);
	assert_string_equal(str(cJSON_GetArrayItem(eps, 0), "container"), "c1");
	assert_string_equal(str(cJSON_GetArrayItem(eps, 0), "ip"), "11.10.16.2");
	leases = cJSON_GetObjectItemCaseSensitive(rep, "leases");
	assert_true(cJSON_IsArray(leases));
	assert_int_equal(cJSON_GetArraySize(leases), 1);
	l = cJSON_GetArrayItem(leases, 0);
	assert_string_equal(str(l, "subnet"), "11.10.32.0/20");
	assert_string_equal(str(l, "PublicIP"), "10.0.0.2");
	/* The ctl server adds "ok"; the handler does not. */
	assert_null(cJSON_GetObjectItemCaseSensitive(rep, "ok"));
	assert_int_equal(fake.n, 0);
	cJSON_Delete(rep);
}

static void test_api_bad_requests(void **state)
{
	struct fx *f = *state;

	agent_init(f);
	api_fails(f, "{}", "op: expected a string");
	api_fails(f, "{\"op\":7}", "op: expected a string");
	api_fails(f, "{\"op\":null}", "op: expected a string");
	api_fails(f, "{\"OP\":\"status\"}", "op: expected a string");
	api_fails(f, "{\"op\":\"reboot\"}", "unknown operation \"reboot\"");
	api_fails(f, "{\"op\":\"\"}", "unknown operation");
	api_fails(f, "{\"op\":\"Status\"}", "unknown operation");
	api_fails(f, "{\"op\":\"endpoint-add\"}", "endpoint: expected an object");
	api_fails(f, "{\"op\":\"endpoint-add\",\"endpoint\":[]}",
		  "endpoint: expected an object");
	api_fails(f, "{\"op\":\"endpoint-add\",\"endpoint\":{\"container\":\"c\"}}",
		  "endpoint.ifname");
	api_fails(f, "{\"op\":\"endpoint-del\"}", "container: expected a string");
	api_fails(f, "{\"op\":\"endpoint-del\",\"container\":1}",
		  "container: expected a string");
	assert_int_equal(fake.n, 0);
	assert_int_equal(endpoints_count(f->a.eps), 0);
}

static void test_api_add_outside_subnet(void **state)
{
	struct fx *f = *state;
	struct stat st;

	agent_init(f);
	api_fails(f, EP_ADD("c1", "11.10.32.2"), "11.10.32.2 is not in this worker's subnet");
	api_fails(f, EP_ADD("c1", "11.10.15.255"), "not in this worker's subnet");
	api_fails(f, EP_ADD("c1", "10.0.0.5"), "not in this worker's subnet");
	assert_int_equal(fake.n, 0);
	assert_int_equal(endpoints_count(f->a.eps), 0);
	assert_int_equal(stat(f->eps_path, &st), -1);
}

static void test_api_add_persists(void **state)
{
	struct fx *f = *state;
	const struct endpoint *got;
	struct endpoints *again;
	uint8_t m[6];

	agent_init(f);
	api_ok(f, EP_ADD("c1", "11.10.31.254"));
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.calls[0].kind, EP_ADD);
	assert_int_equal(fake.calls[0].ep.ip, ip("11.10.31.254"));
	assert_int_equal(fake.calls[0].ep.host_ifindex, 7);
	assert_string_equal(fake.calls[0].ep.host_ifname, "ks-c1");
	mac("aa:bb:cc:dd:ee:07", m);
	assert_memory_equal(fake.calls[0].ep.pod_mac, m, 6);
	assert_int_equal(endpoints_count(f->a.eps), 1);

	/* In the file, for a restarted agent. */
	assert_int_equal(endpoints_open(f->eps_path, &again), 0);
	got = endpoints_find(again, "c1");
	assert_non_null(got);
	assert_int_equal(got->ip, ip("11.10.31.254"));
	assert_string_equal(got->pod, "p-c1");
	assert_string_equal(got->ns, "default");
	assert_string_equal(got->netns, "/run/netns/ktl-x");
	endpoints_close(again);

	/* Again (a CNI ADD retried): still one endpoint. */
	api_ok(f, EP_ADD("c1", "11.10.31.254"));
	assert_int_equal(calls_of(EP_ADD), 2);
	assert_int_equal(endpoints_count(f->a.eps), 1);
}

static void test_api_add_routing_fails(void **state)
{
	struct fx *f = *state;
	struct stat st;

	agent_init(f);
	fake.ep_add_ret = -EEXIST;
	api_fails(f, EP_ADD("c1", "11.10.16.2"), strerror(EEXIST));
	assert_int_equal(calls_of(EP_ADD), 1);
	assert_int_equal(endpoints_count(f->a.eps), 0);
	assert_int_equal(stat(f->eps_path, &st), -1);
}

static void test_api_del(void **state)
{
	struct fx *f = *state;
	struct endpoints *again;

	agent_init(f);
	/* Unknown container: ok, and the datapath is left alone. */
	api_ok(f, "{\"op\":\"endpoint-del\",\"container\":\"nope\"}");
	assert_int_equal(fake.n, 0);

	api_ok(f, EP_ADD("c1", "11.10.16.2"));
	api_ok(f, EP_ADD("c2", "11.10.16.3"));
	fake.n = 0;
	api_ok(f, "{\"op\":\"endpoint-del\",\"container\":\"c1\"}");
	assert_int_equal(fake.n, 1);
	assert_int_equal(fake.calls[0].kind, EP_DEL);
	assert_int_equal(fake.calls[0].ip, ip("11.10.16.2"));
	assert_null(endpoints_find(f->a.eps, "c1"));
	assert_int_equal(endpoints_open(f->eps_path, &again), 0);
	assert_int_equal(endpoints_count(again), 1);
	assert_non_null(endpoints_find(again, "c2"));
	endpoints_close(again);

	/* Twice: the second is a no-op. */
	api_ok(f, "{\"op\":\"endpoint-del\",\"container\":\"c1\"}");
	assert_int_equal(fake.n, 1);

	/* The datapath no longer has it: still removed from the registry. */
	fake.ep_del_ret = -ENOENT;
	api_ok(f, "{\"op\":\"endpoint-del\",\"container\":\"c2\"}");
	assert_int_equal(endpoints_count(f->a.eps), 0);
}

static void test_api_del_routing_fails(void **state)
{
	struct fx *f = *state;

	agent_init(f);
	api_ok(f, EP_ADD("c1", "11.10.16.2"));
	fake.ep_del_ret = -EIO;
	api_fails(f, "{\"op\":\"endpoint-del\",\"container\":\"c1\"}", strerror(EIO));
	/* Kept, so that a retried DEL tries the datapath again. */
	assert_non_null(endpoints_find(f->a.eps, "c1"));
	fake.ep_del_ret = 0;
	api_ok(f, "{\"op\":\"endpoint-del\",\"container\":\"c1\"}");
	assert_null(endpoints_find(f->a.eps, "c1"));
	assert_int_equal(calls_of(EP_DEL), 2);
}

/* ---- the control socket: ctl.c and lib/ctl_client.c ---- */

struct server {
	struct ctl *ctl;
	int n;                  /* connections to serve */
	pthread_t th;
};

static void *serve(void *arg)
{
	struct server *s = arg;

	for (int i = 0; i < s->n; i++) {
		struct pollfd p = { .fd = ctl_fd(s->ctl), .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0)
			break;
		ctl_serve(s->ctl);
	}
	return NULL;
}

static void server_start(struct server *s, struct ctl *ctl, int n)
{
	s->ctl = ctl;
	s->n = n;
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void server_join(struct server *s)
{
	assert_int_equal(pthread_join(s->th, NULL), 0);
}

/* What the test handler saw; written by the server thread, read after
 * server_join(). */
static int handled;

static cJSON *test_handler(void *ctx, const cJSON *req, char *err,
			   size_t errlen)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
	const char *o = cJSON_IsString(op) ? op->valuestring : "";
	cJSON *rep;

	handled++;
	if (ctx != &handled)
		return NULL;
	if (!strcmp(o, "echo")) {
		rep = cJSON_CreateObject();
		cJSON_AddItemToObject(rep, "echo", cJSON_Duplicate(req, true));
		return rep;
	}
	if (!strcmp(o, "refuse")) {
		rep = cJSON_CreateObject();
		cJSON_AddFalseToObject(rep, "ok");
		cJSON_AddStringToObject(rep, "error", "refused by handler");
		return rep;
	}
	if (!strcmp(o, "silent"))
		return NULL;
	snprintf(err, errlen, "no such op \"%s\"", o);
	return NULL;
}

/* A raw message to the socket; the reply parsed (NULL: no reply). */
static cJSON *raw_call(const char *path, const void *msg, size_t len,
		       bool send_it)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *buf = malloc(KNETSIM_CTL_MSG_MAX + 1);
	cJSON *rep = NULL;
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_non_null(buf);
	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(ctl_set_timeouts(fd, 5000), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (send_it)
		assert_int_equal(send(fd, msg, len, MSG_NOSIGNAL), (ssize_t)len);
	n = recv(fd, buf, KNETSIM_CTL_MSG_MAX, 0);
	if (n > 0) {
		buf[n] = '\0';
		rep = cJSON_Parse(buf);
	}
	free(buf);
	close(fd);
	return rep;
}

static void assert_error_reply(cJSON *rep, const char *msg)
{
	const cJSON *ok, *error;

	assert_non_null(rep);
	ok = cJSON_GetObjectItemCaseSensitive(rep, "ok");
	error = cJSON_GetObjectItemCaseSensitive(rep, "error");
	assert_true(cJSON_IsFalse(ok));
	assert_true(cJSON_IsString(error));
	if (!strstr(error->valuestring, msg))
		fail_msg("error \"%s\" does not say \"%s\"", error->valuestring, msg);
	cJSON_Delete(rep);
}

static void test_ctl_open_close(void **state)
{
	struct fx *f = *state;
	struct ctl *c = NULL;
	char longpath[200];
	struct stat st;

	/* A stale file at the path is replaced by the socket, mode 0600. */
	write_text(f->sock, "stale");
	assert_int_equal(ctl_open(f->sock, test_handler, &handled, &c), 0);
	assert_true(ctl_fd(c) >= 0);
	assert_int_equal(stat(f->sock, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	ctl_close(c);
	assert_int_equal(stat(f->sock, &st), -1);
	assert_int_equal(errno, ENOENT);
	ctl_close(NULL);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	c = NULL;
	assert_int_equal(ctl_open(longpath, test_handler, &handled, &c), -ENAMETOOLONG);
	assert_null(c);
	snprintf(longpath, sizeof(longpath), "%s/no/such/dir.sock", f->dir);
	assert_int_equal(ctl_open(longpath, test_handler, &handled, &c), -ENOENT);
	assert_null(c);
}

static void test_ctl_round_trip(void **state)
{
	struct fx *f = *state;
	struct server s;
	char err[256] = "";
	const cJSON *echo;
	cJSON *req = parse("{\"op\":\"echo\",\"n\":42,\"s\":\"h\\u00e9\"}"), *rep;

	handled = 0;
	assert_int_equal(ctl_open(f->sock, test_handler, &handled, &f->a.ctl), 0);
	server_start(&s, f->a.ctl, 1);
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	server_join(&s);
	if (!rep)
		fail_msg("ctl_call: %s", err);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok")));
	echo = cJSON_GetObjectItemCaseSensitive(rep, "echo");
	assert_true(cJSON_Compare(echo, req, true));
	assert_int_equal(handled, 1);
	cJSON_Delete(rep);
	cJSON_Delete(req);
}

static void test_ctl_errors(void **state)
{
	struct fx *f = *state;
	struct server s;
	char err[256], *big;
	size_t bigsz = KNETSIM_CTL_MSG_MAX + 4096;
	cJSON *req, *rep;

	handled = 0;
	assert_int_equal(ctl_open(f->sock, test_handler, &handled, &f->a.ctl), 0);
	server_start(&s, f->a.ctl, 9);

	/* Not JSON, JSON but not an object, nothing at all. */
	assert_error_reply(raw_call(f->sock, "hello", 5, true), "not a JSON object");
	assert_error_reply(raw_call(f->sock, "{\"op\":", 6, true), "not a JSON object");
	req = parse("[\"op\",\"echo\"]");
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	cJSON_Delete(req);
	assert_error_reply(rep, "not a JSON object");
	assert_error_reply(raw_call(f->sock, "", 0, true), "empty request");

	/* Longer than a message may be: cut short, so not JSON. */
	big = malloc(bigsz);
	assert_non_null(big);
	memset(big, ' ', bigsz);
	memcpy(big, "{\"op\":\"echo\",\"x\":\"", 18);
	memcpy(big + bigsz - 2, "\"}", 2);
	assert_error_reply(raw_call(f->sock, big, bigsz, true), "not a JSON object");
	free(big);

	/* The handler's failures. */
	req = parse("{\"op\":\"nosuch\"}");
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	cJSON_Delete(req);
	assert_error_reply(rep, "no such op \"nosuch\"");
	req = parse("{\"op\":\"silent\"}");
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	cJSON_Delete(req);
	assert_error_reply(rep, "failed");
	/* A handler's own "ok" is kept. */
	req = parse("{\"op\":\"refuse\"}");
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	cJSON_Delete(req);
	assert_error_reply(rep, "refused by handler");

	/* A client that connects and says nothing is dropped (after the
	 * server's I/O timeout) with an error. */
	assert_error_reply(raw_call(f->sock, NULL, 0, false), "");

	server_join(&s);
	/* Only the three well-formed requests reached the handler. */
	assert_int_equal(handled, 3);
}

/* A socket file left behind by a process that is gone. */
static void dead_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
}

static void test_ctl_client_errors(void **state)
{
	struct fx *f = *state;
	char err[256] = "", path[64], longpath[200];
	cJSON *req = parse("{\"op\":\"status\"}");

	/* No agent. */
	errno = 0;
	assert_null(ctl_call(f->sock, req, 1000, err, sizeof(err)));
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(err, f->sock));

	/* A socket file nobody listens on (an agent that died). */
	dead_socket(f->sock);
	errno = 0;
	assert_null(ctl_call(f->sock, req, 1000, err, sizeof(err)));
	assert_int_equal(errno, ECONNREFUSED);

	memset(longpath, 'x', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	errno = 0;
	assert_null(ctl_call(longpath, req, 1000, err, sizeof(err)));
	assert_int_equal(errno, ENAMETOOLONG);
	cJSON_Delete(req);

	assert_non_null(ctl_socket_path("ktl-sim", "C0w1", path, sizeof(path)));
	assert_non_null(strstr(path, "/ktl-sim/" KNETSIM_AGENT_DIR "/C0w1.sock"));
	assert_null(ctl_socket_path("ktl-sim", "C0w1", path, 10));
}

/* The agent's handler behind the real socket. */
static void test_ctl_agent_status(void **state)
{
	struct fx *f = *state;
	struct server s;
	char err[256] = "";
	cJSON *req = parse("{\"op\":\"status\"}"), *rep;

	agent_init(f);
	assert_int_equal(ctl_open(f->sock, agent_api, &f->a, &f->a.ctl), 0);
	server_start(&s, f->a.ctl, 2);
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	assert_non_null(rep);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rep, "ok")));
	assert_string_equal(str(rep, "subnet"), "11.10.16.0/20");
	assert_string_equal(str(rep, "routing"), "fake");
	cJSON_Delete(rep);
	cJSON_Delete(req);

	req = parse("{\"op\":\"frobnicate\"}");
	rep = ctl_call(f->sock, req, 5000, err, sizeof(err));
	cJSON_Delete(req);
	server_join(&s);
	assert_error_reply(rep, "unknown operation \"frobnicate\"");
}

/* ---- remote leases: agent_leases_event ---- */

#define KEY(sn) LEASE_PREFIX sn
#define LVAL(pub, vmac) "{\"PublicIP\":\"" pub "\",\"PublicIPv6\":null," \
	"\"BackendType\":\"vxlan\",\"BackendData\":{\"VNI\":1,"		 \
	"\"VtepMAC\":\"" vmac "\"}}"
#define MAC1 "0a:6b:0a:00:00:02"
#define MAC2 "0a:6b:0a:00:00:99"

static void put(struct agent *a, const char *key, const char *val)
{
	struct etcd_event ev = {
		.type = ETCD_EV_PUT,
		.key = (char *)key,
		.key_len = strlen(key),
		.val = (char *)val,
		.len = strlen(val),
		.mod_revision = 10,
		.create_revision = 9,
		.lease = 0x1234,
	};

	agent_leases_event(a, &ev);
}

static void del(struct agent *a, const char *key)
{
	struct etcd_event ev = {
		.type = ETCD_EV_DELETE,
		.key = (char *)key,
		.key_len = strlen(key),
		.mod_revision = 11,
	};

	agent_leases_event(a, &ev);
}

static void assert_lease_call(size_t i, enum call_kind kind, const char *subnet,
			      const char *pub, const char *vmac)
{
	struct cidr sn = net(subnet);
	uint8_t m[6];

	assert_true(i < fake.n);
	assert_int_equal(fake.calls[i].kind, kind);
	assert_int_equal(fake.calls[i].lease.subnet.addr, sn.addr);
	assert_int_equal(fake.calls[i].lease.subnet.len, sn.len);
	assert_int_equal(fake.calls[i].lease.public_ip, ip(pub));
	mac(vmac, m);
	assert_memory_equal(fake.calls[i].lease.vtep_mac, m, 6);
}

static void test_leases_put_once(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	agent_init(f);
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	assert_int_equal(fake.n, 1);
	assert_lease_call(0, LEASE_ADD, "11.10.32.0/20", "10.0.0.2", MAC1);
	assert_int_equal(a->n_remote, 1);
	assert_int_equal(a->remote[0].public_ip, ip("10.0.0.2"));

	/* The same value again (a lease renewal rewrites it): nothing. */
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	assert_int_equal(fake.n, 1);
	assert_int_equal(a->n_remote, 1);
}

static void test_leases_put_changed(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	agent_init(f);
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	/* A new VTEP MAC: the old entry out, then the new one in. */
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC2));
	assert_int_equal(fake.n, 3);
	assert_lease_call(1, LEASE_DEL, "11.10.32.0/20", "10.0.0.2", MAC1);
	assert_lease_call(2, LEASE_ADD, "11.10.32.0/20", "10.0.0.2", MAC2);
	assert_int_equal(a->n_remote, 1);

	/* The subnet moved to another worker. */
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.3", MAC2));
	assert_int_equal(fake.n, 5);
	assert_lease_call(3, LEASE_DEL, "11.10.32.0/20", "10.0.0.2", MAC2);
	assert_lease_call(4, LEASE_ADD, "11.10.32.0/20", "10.0.0.3", MAC2);
	assert_int_equal(a->n_remote, 1);
	assert_int_equal(a->remote[0].public_ip, ip("10.0.0.3"));
}

static void test_leases_ours_ignored(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	agent_init(f);
	put(a, KEY("11.10.16.0-20"), LVAL("10.0.0.1", MAC1));
	/* Even a stale lease of ours on another subnet. */
	put(a, KEY("11.10.48.0-20"), LVAL("10.0.0.1", MAC1));
	assert_int_equal(fake.n, 0);
	assert_int_equal(a->n_remote, 0);
	del(a, KEY("11.10.16.0-20"));
	assert_int_equal(fake.n, 0);
}

static void test_leases_delete(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;

	agent_init(f);
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	put(a, KEY("11.10.48.0-20"), LVAL("10.0.0.3", MAC2));
	put(a, KEY("11.10.64.0-20"), LVAL("10.0.0.4", MAC1));
	assert_int_equal(calls_of(LEASE_ADD), 3);
	fake.n = 0;

	del(a, KEY("11.10.32.0-20"));
	assert_int_equal(fake.n, 1);
	assert_lease_call(0, LEASE_DEL, "11.10.32.0/20", "10.0.0.2", MAC1);
	assert_int_equal(a->n_remote, 2);

	/* Unknown, again, or not a lease key: nothing. */
	del(a, KEY("11.10.32.0-20"));
	del(a, KEY("11.10.80.0-20"));
	del(a, KEY("bogus"));
	del(a, "/coreos.com/network/config");
	assert_int_equal(fake.n, 1);

	/* The others are intact. */
	del(a, KEY("11.10.64.0-20"));
	assert_lease_call(1, LEASE_DEL, "11.10.64.0/20", "10.0.0.4", MAC1);
	del(a, KEY("11.10.48.0-20"));
	assert_lease_call(2, LEASE_DEL, "11.10.48.0/20", "10.0.0.3", MAC2);
	assert_int_equal(a->n_remote, 0);
	assert_int_equal(fake.n, 3);
}

static void test_leases_bad_values(void **state)
{
	static const struct { const char *key, *val; } bad[] = {
		{ KEY("11.10.32.0-20"), "" },
		{ KEY("11.10.32.0-20"), "not json" },
		{ KEY("11.10.32.0-20"), "[]" },
		{ KEY("11.10.32.0-20"), "{\"PublicIP\":\"10.0.0.2\",\"BackendType\":\"vxlan\"}" },
		{ KEY("11.10.32.0-20"), LVAL("10.0.0.300", MAC1) },
		{ KEY("11.10.32.0-20"), LVAL("10.0.0.2", "0a:6b:zz:00:00:02") },
		{ KEY("11.10.32.0-20"), "{\"PublicIP\":7,\"BackendType\":\"vxlan\","
		  "\"BackendData\":{\"VtepMAC\":\"" MAC1 "\"}}" },
		{ KEY("11.10.32.0-24"), LVAL("10.0.0.2", MAC1) },  /* SubnetLen */
		{ KEY("12.0.0.0-20"), LVAL("10.0.0.2", MAC1) },    /* outside */
		{ KEY("11.10.33.0-20"), LVAL("10.0.0.2", MAC1) },  /* host bits */
		{ KEY("11.10.32.0-20/x"), LVAL("10.0.0.2", MAC1) },
		{ KEY("11.10.32.0"), LVAL("10.0.0.2", MAC1) },
		{ "/coreos.com/network/config", "{\"Network\":\"11.0.0.0/8\"}" },
		{ "/other/11.10.32.0-20", LVAL("10.0.0.2", MAC1) },
	};
	struct fx *f = *state;
	struct agent *a = &f->a;
	char *log;

	agent_init(f);
	capture_start(f->dir);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		put(a, bad[i].key, bad[i].val);
	log = capture_end();
	assert_int_equal(fake.n, 0);
	assert_int_equal(a->n_remote, 0);
	assert_captured(log, "ignored");
	free(log);
}

static void test_leases_key_with_nul(void **state)
{
	static const char key[] = LEASE_PREFIX "11.10.32.0-20\0junk";
	static const char val[] = LVAL("10.0.0.2", MAC1);
	struct etcd_event ev = {
		.type = ETCD_EV_PUT,
		.key = (char *)key,
		.key_len = sizeof(key) - 1,
		.val = (char *)val,
		.len = sizeof(val) - 1,
	};
	struct fx *f = *state;
	char *log;

	agent_init(f);
	capture_start(f->dir);
	agent_leases_event(&f->a, &ev);
	log = capture_end();
	free(log);
	assert_int_equal(fake.n, 0);
}

static void test_leases_add_fails(void **state)
{
	struct fx *f = *state;
	struct agent *a = &f->a;
	char *log;

	agent_init(f);
	fake.lease_add_ret = -EIO;
	capture_start(f->dir);
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	log = capture_end();
	assert_captured(log, "install");
	free(log);
	assert_int_equal(calls_of(LEASE_ADD), 1);
	assert_int_equal(a->n_remote, 0);

	/* Not remembered, so the next PUT tries again; a DELETE has
	 * nothing to remove. */
	fake.lease_add_ret = 0;
	put(a, KEY("11.10.32.0-20"), LVAL("10.0.0.2", MAC1));
	assert_int_equal(calls_of(LEASE_ADD), 2);
	assert_int_equal(a->n_remote, 1);

	agent_leases_free(a);
	assert_null(a->remote);
	assert_int_equal(a->n_remote, 0);
}

#define FX(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		FX(test_eps_missing_file_is_empty),
		FX(test_eps_put_replace_del),
		FX(test_eps_persist_reload),
		FX(test_eps_corrupt_file),
		FX(test_eps_bad_entries_skipped),
		FX(test_eps_duplicate_in_file),
		FX(test_eps_open_errors),
		FX(test_eps_save_fails),
		cmocka_unit_test(test_ep_json_good),
		cmocka_unit_test(test_ep_json_missing),
		cmocka_unit_test(test_ep_json_not_object),
		cmocka_unit_test(test_ep_json_wrong_types),
		cmocka_unit_test(test_ep_json_bad_ip),
		cmocka_unit_test(test_ep_json_bad_mac),
		cmocka_unit_test(test_ep_json_bad_ifindex),
		cmocka_unit_test(test_ep_json_lengths),
		FX(test_api_status),
		FX(test_api_bad_requests),
		FX(test_api_add_outside_subnet),
		FX(test_api_add_persists),
		FX(test_api_add_routing_fails),
		FX(test_api_del),
		FX(test_api_del_routing_fails),
		FX(test_ctl_open_close),
		FX(test_ctl_round_trip),
		FX(test_ctl_errors),
		FX(test_ctl_client_errors),
		FX(test_ctl_agent_status),
		FX(test_leases_put_once),
		FX(test_leases_put_changed),
		FX(test_leases_ours_ignored),
		FX(test_leases_delete),
		FX(test_leases_bad_values),
		FX(test_leases_key_with_nul),
		FX(test_leases_add_fails),
	};

	/* Only warnings and errors: the tests that expect them capture them. */
	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
