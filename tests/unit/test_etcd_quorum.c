// SPDX-License-Identifier: MIT
/*
 * The etcd client against a real 3-member cluster (Debian's 3.4) when one
 * member loses its quorum: cut off from its peers but not from clients,
 * it answers "etcdserver: no leader", and the client goes on to a member
 * that has one instead of failing.
 *
 * Layout, every namespace named <prefix>-<pid>-... (prefix "ktq", or
 * $KTQ_PREFIX):
 *   hub  bridges kpeer and kcli; 10.99.2.254/24 on kcli, where the
 *        client's sockets live (etcd_open with the hub's nsfd);
 *   m1..m3  "peer" 10.99.1.i/24 on kpeer, "cli" 10.99.2.i/24 on kcli;
 *        etcd i listens for peers on the first, for clients on the second.
 * Deleting m1's "peer" link is the partition.
 *
 * Needs root and the etcd binary; every test is skipped (visibly)
 * without them. The group teardown stops the members (by the PIDs it
 * started) and removes the namespaces and data directories.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "etcd.h"
#include "fsutil.h"
#include "netns.h"
#include "nl.h"
#include "proc.h"

#define MEMBERS 3
#define HUB MEMBERS		/* index of the hub in the namespace arrays */
#define ETCD_WHY_MAX 512

struct quorum {
	bool ok;
	char why[512];
	char dir[64];
	char ns[MEMBERS + 1][48];
	int nsfd[MEMBERS + 1];
	struct proc_id etcd[MEMBERS];
};

static struct quorum Q;

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static bool have_etcd(void)
{
	const char *path = getenv("PATH");
	char buf[PATH_MAX], *copy, *dir, *save = NULL;
	bool found = false;

	copy = path ? strdup(path) : NULL;
	if (!copy)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(buf, sizeof(buf), "%s/etcd", dir);
		found = !access(buf, X_OK);
	}
	free(copy);
	return found;
}

static void client_url(int i, char *buf, size_t len)
{
	snprintf(buf, len, "http://10.99.2.%d:2379", i + 1);
}

/* A client of the members in order, its sockets in the hub. */
static struct etcd *client(const int *members, size_t n, int timeout_ms)
{
	char urls[MEMBERS][32];
	const char *eps[MEMBERS];

	for (size_t i = 0; i < n && i < MEMBERS; i++) {
		client_url(members[i], urls[i], sizeof(urls[i]));
		eps[i] = urls[i];
	}
	return etcd_open(eps, n, Q.nsfd[HUB], timeout_ms);
}

/* ---- the network ---- */

static int net_hub(void)
{
	struct nlh *h = nlh_open(Q.nsfd[HUB]);
	int ret;

	if (!h)
		return -ENOMEM;
	ret = nl_bridge_add(h, "kpeer");
	if (!ret)
		ret = nl_bridge_add(h, "kcli");
	if (!ret)
		ret = nl_link_up(h, "kpeer");
	if (!ret)
		ret = nl_link_up(h, "kcli");
	if (!ret)
		ret = nl_addr_add(h, "kcli", 0x0a6302fe, 24); /* 10.99.2.254 */
	nlh_close(h);
	return ret;
}

/* Member i's link kind ("peer" or "cli") on hub bridge br. */
static int net_link(struct nlh *hub, struct nlh *m, int i, const char *kind,
		    const char *br, uint32_t net)
{
	char hubif[16];
	int ret;

	snprintf(hubif, sizeof(hubif), "%s%d", kind, i + 1);
	ret = nl_veth_add(hub, hubif, kind, Q.nsfd[i]);
	if (!ret)
		ret = nl_link_set_master(hub, hubif, br);
	if (!ret)
		ret = nl_link_up(hub, hubif);
	if (!ret)
		ret = nl_link_up(m, kind);
	if (!ret)
		ret = nl_addr_add(m, kind, net | (uint32_t)(i + 1), 24);
	return ret;
}

static int net_member(int i)
{
	struct nlh *hub = nlh_open(Q.nsfd[HUB]), *m = nlh_open(Q.nsfd[i]);
	int ret = -ENOMEM;

	if (hub && m)
		ret = net_link(hub, m, i, "peer", "kpeer", 0x0a630100);
	if (!ret)
		ret = net_link(hub, m, i, "cli", "kcli", 0x0a630200);
	nlh_close(hub);
	nlh_close(m);
	return ret;
}

/* ---- the members ---- */

static int member_start(int i)
{
	char name[32], data[128], log[128], err[256], cluster[256];
	char lpeer[64], apeer[64], lcli[64], acli[64];
	char *argv[] = {
		"etcd", name, data, lpeer, apeer, lcli, acli, cluster,
		"--initial-cluster-state=new",
		"--initial-cluster-token=ktq",
		"--heartbeat-interval=50", "--election-timeout=500",
		"--enable-v2=false", "--logger=zap", "--log-outputs=stderr",
		"--log-level=warn", NULL,
	};
	struct proc_spec spec = {
		.argv = argv, .nsfd = Q.nsfd[i], .log_path = log,
	};
	int ret;

	snprintf(name, sizeof(name), "--name=m%d", i + 1);
	snprintf(data, sizeof(data), "--data-dir=%s/m%d", Q.dir, i + 1);
	snprintf(log, sizeof(log), "%s/m%d.log", Q.dir, i + 1);
	snprintf(lpeer, sizeof(lpeer),
		 "--listen-peer-urls=http://10.99.1.%d:2380", i + 1);
	snprintf(apeer, sizeof(apeer),
		 "--initial-advertise-peer-urls=http://10.99.1.%d:2380", i + 1);
	snprintf(lcli, sizeof(lcli),
		 "--listen-client-urls=http://10.99.2.%d:2379", i + 1);
	snprintf(acli, sizeof(acli),
		 "--advertise-client-urls=http://10.99.2.%d:2379", i + 1);
	snprintf(cluster, sizeof(cluster),
		 "--initial-cluster=m1=http://10.99.1.1:2380,"
		 "m2=http://10.99.1.2:2380,m3=http://10.99.1.3:2380");
	ret = proc_spawn(&spec, &Q.etcd[i], err, sizeof(err));
	if (ret)
		snprintf(Q.why, sizeof(Q.why), "cannot start etcd: %s", err);
	return ret;
}

/* Until every member reports healthy (it has a leader). */
static int members_wait_healthy(int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	const int all[MEMBERS] = { 0, 1, 2 };
	struct etcd *e = client(all, MEMBERS, 1000);
	int healthy = 0;

	while (e && now_ms() < end) {
		healthy = 0;
		for (size_t i = 0; i < MEMBERS; i++)
			healthy += !etcd_health(e, i);
		if (healthy == MEMBERS)
			break;
		sleep_ms(100);
	}
	if (healthy != MEMBERS)
		snprintf(Q.why, sizeof(Q.why),
			 "cluster not healthy: %s (logs in %s)",
			 e ? etcd_error(e) : "no client", Q.dir);
	etcd_close(e);
	return healthy == MEMBERS ? 0 : -ETIMEDOUT;
}

static void cleanup_all(void)
{
	for (int i = 0; i < MEMBERS; i++)
		if (Q.etcd[i].pid > 0)
			proc_stop_all(&Q.etcd[i], 1, 5000);
	for (int i = 0; i <= HUB; i++) {
		if (Q.nsfd[i] >= 0)
			close(Q.nsfd[i]);
		Q.nsfd[i] = -1;
		if (Q.ns[i][0])
			netns_delete(Q.ns[i]);
		Q.ns[i][0] = '\0';
	}
	if (Q.dir[0])
		rm_rf(Q.dir);
	Q.dir[0] = '\0';
	memset(Q.etcd, 0, sizeof(Q.etcd));
}

static int ns_make(int i, const char *prefix)
{
	if (i == HUB)
		snprintf(Q.ns[i], sizeof(Q.ns[i]), "%s-%d-hub", prefix,
			 (int)getpid());
	else
		snprintf(Q.ns[i], sizeof(Q.ns[i]), "%s-%d-m%d", prefix,
			 (int)getpid(), i + 1);
	if (netns_create(Q.ns[i])) {
		Q.ns[i][0] = '\0';
		return -EEXIST;
	}
	Q.nsfd[i] = netns_open(Q.ns[i]);
	return Q.nsfd[i] < 0 ? Q.nsfd[i] : 0;
}

static int quorum_setup(void **state)
{
	const char *prefix = getenv("KTQ_PREFIX");

	(void)state;
	for (int i = 0; i <= HUB; i++)
		Q.nsfd[i] = -1;
	if (geteuid()) {
		snprintf(Q.why, sizeof(Q.why), "needs root");
		return 0;
	}
	if (!have_etcd()) {
		snprintf(Q.why, sizeof(Q.why), "needs the etcd binary in PATH");
		return 0;
	}
	if (!prefix || !*prefix || strlen(prefix) > 16)
		prefix = "ktq";
	snprintf(Q.dir, sizeof(Q.dir), "/tmp/%s-etcd-XXXXXX", prefix);
	if (!mkdtemp(Q.dir)) {
		Q.dir[0] = '\0';
		snprintf(Q.why, sizeof(Q.why), "mkdtemp: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i <= HUB; i++)
		if (ns_make(i, prefix)) {
			snprintf(Q.why, sizeof(Q.why), "cannot create namespaces");
			goto fail;
		}
	if (net_hub()) {
		snprintf(Q.why, sizeof(Q.why), "cannot wire the hub");
		goto fail;
	}
	for (int i = 0; i < MEMBERS; i++)
		if (net_member(i)) {
			snprintf(Q.why, sizeof(Q.why), "cannot wire member %d",
				 i + 1);
			goto fail;
		}
	for (int i = 0; i < MEMBERS; i++)
		if (member_start(i))
			goto fail;
	if (members_wait_healthy(20000))
		goto fail;
	Q.ok = true;
	return 0;
fail:
	fprintf(stderr, "test_etcd_quorum: setup failed: %s\n", Q.why);
	cleanup_all();
	return -1;
}

static int quorum_teardown(void **state)
{
	(void)state;
	cleanup_all();
	return 0;
}

#define NEED_CLUSTER()							\
	do {								\
		if (!Q.ok) {						\
			fprintf(stderr, "  skipped: %s\n", Q.why);	\
			skip();						\
		}							\
	} while (0)

/* Cuts member i off from its peers; its clients still reach it. */
static void partition(int i)
{
	struct nlh *h = nlh_open(Q.nsfd[i]);

	assert_non_null(h);
	assert_int_equal(nl_link_del(h, "peer"), 0);
	nlh_close(h);
}

/* Until member i answers "no leader" (it noticed the partition). */
static void wait_no_leader(int i)
{
	struct etcd *e = client(&i, 1, 500);
	int64_t end = now_ms() + 15000;
	char why[ETCD_WHY_MAX];
	int ret = 0;

	assert_non_null(e);
	while (now_ms() < end) {
		ret = etcd_get(e, "/ktq/probe", NULL, NULL, NULL);
		if (ret == -EAGAIN && strstr(etcd_error(e), "no leader"))
			break;
		sleep_ms(100);
	}
	snprintf(why, sizeof(why), "%s", etcd_error(e));
	etcd_close(e);
	if (ret != -EAGAIN)
		fail_msg("member %d still serves: %d %s", i + 1, ret, why);
}

static void test_no_leader_fails_over(void **state)
{
	const int order[MEMBERS] = { 0, 1, 2 };
	int m1 = 0, m2 = 1;
	struct etcd *e, *lone, *other;
	int64_t t0, took, id = 0, ttl = 0;
	char *val = NULL;
	size_t len;

	(void)state;
	NEED_CLUSTER();
	/* m1 first: it serves while the cluster is whole */
	e = client(order, MEMBERS, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_put(e, "/ktq/k", "v1", 2, 0), 0);

	partition(m1);
	wait_no_leader(m1);

	/* The same client, still starting at m1, is served by another. */
	t0 = now_ms();
	assert_int_equal(etcd_put(e, "/ktq/k", "v2", 2, 0), 0);
	took = now_ms() - t0;
	print_message("put after the partition: %lld ms\n", (long long)took);
	assert_true(took < 2000);
	assert_int_equal(etcd_get(e, "/ktq/k", &val, &len, NULL), 0);
	assert_string_equal(val, "v2");
	free(val);
	assert_int_equal(etcd_lease_grant(e, 30, &id), 0);
	assert_int_equal(etcd_lease_keepalive(e, id, &ttl), 0);
	assert_true(ttl > 0);

	/* The majority has the write. */
	other = client(&m2, 1, 2000);
	assert_non_null(other);
	assert_int_equal(etcd_get(other, "/ktq/k", &val, &len, NULL), 0);
	assert_string_equal(val, "v2");
	free(val);
	etcd_close(other);

	/* A client of m1 alone: -EAGAIN within its timeout, said why. */
	lone = client(&m1, 1, 1000);
	assert_non_null(lone);
	t0 = now_ms();
	assert_int_equal(etcd_put(lone, "/ktq/k", "v3", 2, 0), -EAGAIN);
	took = now_ms() - t0;
	print_message("lone member refused after %lld ms: %s\n",
		      (long long)took, etcd_error(lone));
	assert_true(took < 2000);
	assert_non_null(strstr(etcd_error(lone), "no leader"));
	etcd_close(lone);
	etcd_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_leader_fails_over),
	};

	return cmocka_run_group_tests(tests, quorum_setup, quorum_teardown);
}
