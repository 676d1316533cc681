// SPDX-License-Identifier: MIT
/*
 * The etcd client against a real etcd (Debian's 3.4): conditional puts,
 * prefix ranges, leases, and watches through drops, restarts and
 * compaction. etcd runs in a fresh network namespace ktg-<pid> on
 * 127.0.0.1; the client talks to it from our namespace through nsfd.
 *
 * Needs root and the etcd binary; every test is skipped (visibly) without
 * them. A watchdog child removes etcd, the namespace and the data dir if
 * this process dies before its own teardown ran.
 *
 * To drop a watch's connection at a chosen moment, the watcher reaches etcd
 * through a small TCP relay in this process (127.0.0.1:12379 in the
 * namespace), which the test can cut and later restore.
 *
 * Also flannel subnet leases (agent/lease.c) taken, reused, renewed and
 * raced for through a real etcd.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "etcd.h"
#include "fsutil.h"
#include "lease.h"
#include "netns.h"
#include "proc.h"

#define ETCD_URL   "http://127.0.0.1:2379"
#define RELAY_PORT 12379
#define RELAY_URL  "http://127.0.0.1:12379"

struct live {
	bool ok;
	char why[512];
	char ns[32];
	char dir[64];
	int nsfd;
	struct proc_id etcd;
	int dog;          /* pipe to the watchdog: proc_id records */
	pid_t dog_pid;
	struct etcd *e;
};

static struct live L = { .nsfd = -1, .dog = -1 };

/* ---- etcd ---- */

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
	char buf[PATH_MAX];
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (!path)
		return false;
	copy = strdup(path);
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

static int etcd_start(void)
{
	char data[128], log[128], err[256];
	char *argv[] = {
		"etcd", "--name=ktg", data,
		"--listen-client-urls=" ETCD_URL,
		"--advertise-client-urls=" ETCD_URL,
		"--listen-peer-urls=http://127.0.0.1:2380",
		"--initial-advertise-peer-urls=http://127.0.0.1:2380",
		"--initial-cluster=ktg=http://127.0.0.1:2380",
		"--heartbeat-interval=50", "--election-timeout=500",
		"--enable-v2=false", "--logger=zap", "--log-outputs=stderr",
		"--log-level=warn", NULL,
	};
	struct proc_spec spec = {
		.argv = argv, .nsfd = L.nsfd, .log_path = log,
	};
	int ret;

	snprintf(data, sizeof(data), "--data-dir=%s/data", L.dir);
	snprintf(log, sizeof(log), "%s/etcd.log", L.dir);
	ret = proc_spawn(&spec, &L.etcd, err, sizeof(err));
	if (ret) {
		snprintf(L.why, sizeof(L.why), "cannot start etcd: %s", err);
		return ret;
	}
	/* tell the watchdog */
	if (L.dog >= 0 &&
	    write(L.dog, &L.etcd, sizeof(L.etcd)) != sizeof(L.etcd))
		return -EIO;
	return 0;
}

static int etcd_wait_healthy(int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	while (now_ms() < end) {
		if (!etcd_health(L.e, 0))
			return 0;
		if (!proc_alive(&L.etcd))
			break;
		sleep_ms(50);
	}
	snprintf(L.why, sizeof(L.why),
		 "etcd not healthy: %s (log: %s/etcd.log)", etcd_error(L.e),
		 L.dir);
	return -ETIMEDOUT;
}

static void etcd_stop(void)
{
	if (L.etcd.pid > 0)
		proc_stop_all(&L.etcd, 1, 5000);
	L.etcd.pid = 0;
}

static void cleanup_all(void)
{
	etcd_stop();
	if (L.nsfd >= 0)
		close(L.nsfd);
	L.nsfd = -1;
	if (L.ns[0])
		netns_delete(L.ns);
	if (L.dir[0])
		rm_rf(L.dir);
}

/*
 * A child that waits for our end of the pipe to close (we exited, however)
 * and then removes what the tests made, unless our teardown already did.
 */
static void watchdog_run(int fd)
{
	struct proc_id id, last = { 0 };
	ssize_t r;

	while ((r = read(fd, &id, sizeof(id))) == sizeof(id) ||
	       (r < 0 && errno == EINTR))
		if (r == sizeof(id))
			last = id;
	if (last.pid > 0)
		proc_stop_all(&last, 1, 5000);
	netns_delete(L.ns);
	rm_rf(L.dir);
	_exit(0);
}

static int watchdog_start(void)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return -errno;
	}
	if (!pid) {
		close(p[1]);
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
		watchdog_run(p[0]);
	}
	close(p[0]);
	L.dog = p[1];
	L.dog_pid = pid;
	return 0;
}

static void watchdog_stop(void)
{
	if (L.dog >= 0)
		close(L.dog);
	L.dog = -1;
	if (L.dog_pid > 0)
		waitpid(L.dog_pid, NULL, 0);
	L.dog_pid = 0;
}

static int live_setup(void **state)
{
	const char *eps[] = { ETCD_URL };

	(void)state;
	if (geteuid()) {
		snprintf(L.why, sizeof(L.why), "needs root");
		return 0;
	}
	if (!have_etcd()) {
		snprintf(L.why, sizeof(L.why), "needs the etcd binary in PATH");
		return 0;
	}
	snprintf(L.ns, sizeof(L.ns), "ktg-%d", (int)getpid());
	snprintf(L.dir, sizeof(L.dir), "/tmp/ktg-etcd-XXXXXX");
	if (!mkdtemp(L.dir)) {
		L.dir[0] = '\0';
		snprintf(L.why, sizeof(L.why), "mkdtemp: %s", strerror(errno));
		return -1;
	}
	if (netns_create(L.ns)) {
		L.ns[0] = '\0';
		snprintf(L.why, sizeof(L.why), "cannot create a namespace");
		goto fail;
	}
	L.nsfd = netns_open(L.ns);
	if (L.nsfd < 0 || watchdog_start() || etcd_start())
		goto fail;
	L.e = etcd_open(eps, 1, L.nsfd, 2000);
	if (!L.e || etcd_wait_healthy(15000))
		goto fail;
	L.ok = true;
	return 0;
fail:
	fprintf(stderr, "test_etcd_live: setup failed: %s\n", L.why);
	etcd_close(L.e);
	L.e = NULL;
	cleanup_all();
	watchdog_stop();
	return -1;
}

static int live_teardown(void **state)
{
	(void)state;
	etcd_close(L.e);
	L.e = NULL;
	cleanup_all();
	watchdog_stop();
	return 0;
}

#define NEED_LIVE()							\
	do {								\
		if (!L.ok) {						\
			fprintf(stderr, "  skipped: %s\n", L.why);	\
			skip();						\
		}							\
	} while (0)

/* ---- a TCP relay that can be cut ---- */

struct relay {
	pthread_t thread;
	int wake[2];
	pthread_mutex_t lock;
	bool stop, up;
	int lfd;
	int pairs[16][2];
	size_t npairs;
	unsigned long accepted;
};

static int relay_listen(void)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(RELAY_PORT),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int one = 1;
	int fd = netns_socket(L.nsfd, AF_INET,
			      SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 16)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int relay_connect(void)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET, .sin_port = htons(2379),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	int fd = netns_socket(L.nsfd, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return fd;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void relay_close_pair(struct relay *r, size_t i)
{
	close(r->pairs[i][0]);
	close(r->pairs[i][1]);
	r->pairs[i][0] = r->pairs[--r->npairs][0];
	r->pairs[i][1] = r->pairs[r->npairs][1];
}

static void relay_accept(struct relay *r)
{
	int c = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC), u;

	if (c < 0)
		return;
	u = relay_connect();
	if (u < 0 || r->npairs == 16) {
		close(c);
		if (u >= 0)
			close(u);
		return;
	}
	r->pairs[r->npairs][0] = c;
	r->pairs[r->npairs][1] = u;
	r->npairs++;
	r->accepted++;
}

/* Copies what is readable on side s of pair i; false when it closed. */
static bool relay_copy(struct relay *r, size_t i, int s)
{
	char buf[16384];
	ssize_t n = read(r->pairs[i][s], buf, sizeof(buf));

	if (n <= 0)
		return false;
	return write(r->pairs[i][!s], buf, (size_t)n) == n;
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;

	for (;;) {
		struct pollfd p[2 + 32];
		size_t n = 0;

		pthread_mutex_lock(&r->lock);
		if (r->stop) {
			pthread_mutex_unlock(&r->lock);
			break;
		}
		p[n++] = (struct pollfd){ .fd = r->wake[0], .events = POLLIN };
		p[n++] = (struct pollfd){ .fd = r->lfd, .events = POLLIN };
		for (size_t i = 0; i < r->npairs; i++) {
			p[n++] = (struct pollfd){ .fd = r->pairs[i][0],
						  .events = POLLIN };
			p[n++] = (struct pollfd){ .fd = r->pairs[i][1],
						  .events = POLLIN };
		}
		pthread_mutex_unlock(&r->lock);
		if (poll(p, n, 1000) <= 0)
			continue;
		pthread_mutex_lock(&r->lock);
		if (p[0].revents) {
			char b[16];

			if (read(r->wake[0], b, sizeof(b)) < 0) {
				/* nothing */
			}
			pthread_mutex_unlock(&r->lock);
			continue; /* the sets changed */
		}
		if (p[1].revents && r->lfd >= 0)
			relay_accept(r);
		for (size_t i = 0; i < (n - 2) / 2 && i < r->npairs; i++) {
			bool ok = true;

			/* cut (and maybe refilled) since the poll */
			if (p[2 + 2 * i].fd != r->pairs[i][0] ||
			    p[3 + 2 * i].fd != r->pairs[i][1])
				break;
			if (p[2 + 2 * i].revents)
				ok = relay_copy(r, i, 0);
			if (ok && p[3 + 2 * i].revents)
				ok = relay_copy(r, i, 1);
			if (!ok) {
				relay_close_pair(r, i);
				break; /* indices moved: poll again */
			}
		}
		pthread_mutex_unlock(&r->lock);
	}
	return NULL;
}

static void relay_kick(struct relay *r)
{
	if (write(r->wake[1], "x", 1) < 0) {
		/* the pipe is full: the thread wakes anyway */
	}
}

static int relay_start(struct relay *r)
{
	memset(r, 0, sizeof(*r));
	if (pipe2(r->wake, O_CLOEXEC | O_NONBLOCK))
		return -errno;
	pthread_mutex_init(&r->lock, NULL);
	r->lfd = relay_listen();
	if (r->lfd < 0)
		return r->lfd;
	r->up = true;
	return -pthread_create(&r->thread, NULL, relay_main, r);
}

/* Closes every relayed connection and stops accepting (connections are
 * then refused). */
static void relay_cut(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	while (r->npairs)
		relay_close_pair(r, 0);
	if (r->lfd >= 0)
		close(r->lfd);
	r->lfd = -1;
	r->up = false;
	relay_kick(r);
	pthread_mutex_unlock(&r->lock);
}

static int relay_restore(struct relay *r)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	r->lfd = relay_listen();
	if (r->lfd < 0)
		ret = r->lfd;
	r->up = ret == 0;
	relay_kick(r);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static void relay_stop(struct relay *r)
{
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	relay_kick(r);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	while (r->npairs)
		relay_close_pair(r, 0);
	if (r->lfd >= 0)
		close(r->lfd);
	close(r->wake[0]);
	close(r->wake[1]);
	pthread_mutex_destroy(&r->lock);
}

/* ---- helpers ---- */

static void put(const char *key, const char *val)
{
	int ret = etcd_put(L.e, key, val, strlen(val), 0);

	if (ret)
		fail_msg("put %s: %s", key, etcd_error(L.e));
}

static int64_t current_revision(void)
{
	struct etcd_kv *kvs;
	size_t n;
	int64_t rev = 0;

	assert_int_equal(etcd_range_prefix(L.e, "/ktg-none/", &kvs, &n, &rev),
			 0);
	assert_int_equal(n, 0);
	assert_null(kvs);
	assert_true(rev > 0);
	return rev;
}

/* Collects at least want events (fails after timeout_ms); the caller frees
 * *all. */
static size_t collect(struct etcd_watch *w, size_t want, int timeout_ms,
		      struct etcd_event **all)
{
	int64_t end = now_ms() + timeout_ms;
	struct etcd_event *acc = NULL;
	size_t n = 0;

	while (n < want) {
		struct etcd_event *ev, *p;
		size_t got;
		int64_t left = end - now_ms();

		if (left <= 0)
			break;
		assert_int_equal(etcd_watch_next(w, (int)left, &ev, &got), 0);
		if (!got)
			continue;
		p = realloc(acc, (n + got) * sizeof(*acc));
		assert_non_null(p);
		acc = p;
		memcpy(acc + n, ev, got * sizeof(*ev));
		n += got;
		free(ev); /* the strings moved to acc */
	}
	if (n < want) {
		char msg[512];

		etcd_watch_status(w, msg, sizeof(msg));
		etcd_events_free(acc, n);
		fail_msg("got %zu of %zu events within %d ms (watch: %s)", n,
			 want, timeout_ms, msg);
	}
	*all = acc;
	return n;
}

static void assert_event(const struct etcd_event *ev,
			 enum etcd_event_type type, const char *key,
			 const char *val)
{
	assert_int_equal(ev->type, type);
	assert_string_equal(ev->key, key);
	assert_int_equal(ev->key_len, strlen(key));
	if (val) {
		assert_non_null(ev->val);
		assert_int_equal(ev->len, strlen(val));
		assert_string_equal(ev->val, val);
	} else {
		assert_null(ev->val);
	}
}

/* Nothing more arrives within ms. */
static void assert_quiet(struct etcd_watch *w, int ms)
{
	struct etcd_event *ev;
	size_t n;

	assert_int_equal(etcd_watch_next(w, ms, &ev, &n), 0);
	if (n)
		fail_msg("unexpected event %d %s rev %" PRId64, ev[0].type,
			 ev[0].key ? ev[0].key : "-", ev[0].mod_revision);
	assert_null(ev);
}

static void wait_connected(struct etcd_watch *w, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	char msg[512];

	while (!etcd_watch_status(w, msg, sizeof(msg))) {
		if (now_ms() > end)
			fail_msg("watch not established: %s", msg);
		sleep_ms(20);
	}
}

/* ---- tests ---- */

static void test_create(void **state)
{
	char *val;
	size_t len;
	int64_t rev, rev2;

	(void)state;
	NEED_LIVE();
	assert_int_equal(etcd_create(L.e, "/ktg/c/a", "one", 3, 0), 0);
	assert_int_equal(etcd_create(L.e, "/ktg/c/a", "two", 3, 0), -EEXIST);
	assert_non_null(strstr(etcd_error(L.e), "exists"));
	assert_int_equal(etcd_get(L.e, "/ktg/c/a", &val, &len, &rev), 0);
	assert_string_equal(val, "one");
	free(val);

	/* replace only from the revision that was read */
	assert_int_equal(etcd_replace(L.e, "/ktg/c/a", "two", 3, 0, rev), 0);
	assert_int_equal(etcd_replace(L.e, "/ktg/c/a", "three", 5, 0, rev),
			 -ECANCELED);
	assert_int_equal(etcd_get(L.e, "/ktg/c/a", &val, &len, &rev2), 0);
	assert_string_equal(val, "two");
	assert_true(rev2 > rev);
	free(val);
	assert_int_equal(etcd_delete(L.e, "/ktg/c/a"), 0);
	assert_int_equal(etcd_replace(L.e, "/ktg/c/a", "x", 1, 0, rev2),
			 -ECANCELED);
	assert_int_equal(etcd_get(L.e, "/ktg/c/a", &val, &len, NULL), -ENOENT);

	/* an empty value, and bad arguments */
	assert_int_equal(etcd_create(L.e, "/ktg/c/empty", NULL, 0, 0), 0);
	assert_int_equal(etcd_get(L.e, "/ktg/c/empty", &val, &len, NULL), 0);
	assert_int_equal(len, 0);
	free(val);
	assert_int_equal(etcd_create(L.e, "", "x", 1, 0), -EINVAL);
	assert_int_equal(etcd_create(L.e, NULL, "x", 1, 0), -EINVAL);
	assert_int_equal(etcd_replace(L.e, "/ktg/c/x", "x", 1, 0, 0), -EINVAL);
	/* a lease that does not exist */
	assert_int_equal(etcd_create(L.e, "/ktg/c/l", "x", 1, 12345), -ENOENT);
}

static void test_range_prefix(void **state)
{
	struct etcd_kv *kvs;
	size_t n;
	int64_t rev;

	(void)state;
	NEED_LIVE();
	put("/ktg/r/2", "b");
	put("/ktg/r/1", "a");
	put("/ktg/r/3", "");
	put("/ktg/r0", "outside");
	put("/ktg/q", "outside");
	assert_int_equal(etcd_range_prefix(L.e, "/ktg/r/", &kvs, &n, &rev), 0);
	assert_int_equal(n, 3);
	assert_string_equal(kvs[0].key, "/ktg/r/1");
	assert_string_equal(kvs[0].val, "a");
	assert_string_equal(kvs[1].key, "/ktg/r/2");
	assert_string_equal(kvs[1].val, "b");
	assert_string_equal(kvs[2].key, "/ktg/r/3");
	assert_string_equal(kvs[2].val, "");
	assert_int_equal(kvs[2].len, 0);
	for (size_t i = 0; i < n; i++) {
		assert_true(kvs[i].mod_revision > 0);
		assert_true(kvs[i].mod_revision <= rev);
		assert_true(kvs[i].create_revision > 0);
		assert_int_equal(kvs[i].lease, 0);
	}
	/* /ktg/r/2 was written first */
	assert_true(kvs[1].mod_revision < kvs[0].mod_revision);
	etcd_kvs_free(kvs, n);

	/* "" is every key */
	assert_int_equal(etcd_range_prefix(L.e, "", &kvs, &n, NULL), 0);
	assert_true(n >= 5);
	etcd_kvs_free(kvs, n);

	assert_int_equal(etcd_range_prefix(L.e, "/ktg/nothing/", &kvs, &n,
					   &rev), 0);
	assert_int_equal(n, 0);
	assert_null(kvs);
	assert_int_equal(etcd_range_prefix(L.e, NULL, &kvs, &n, &rev),
			 -EINVAL);
}

static void test_lease(void **state)
{
	struct etcd_kv *kvs;
	int64_t id, id2, ttl, granted;
	size_t n;
	char *val;
	size_t len;
	int64_t end;

	(void)state;
	NEED_LIVE();
	assert_int_equal(etcd_lease_grant(L.e, 0, &id), -EINVAL);
	assert_int_equal(etcd_lease_grant(L.e, 2, &id), 0);
	assert_true(id != 0);
	assert_int_equal(etcd_create(L.e, "/ktg/l/a", "x", 1, id), 0);
	assert_int_equal(etcd_range_prefix(L.e, "/ktg/l/", &kvs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kvs[0].lease, id);
	etcd_kvs_free(kvs, n);

	assert_int_equal(etcd_lease_timetolive(L.e, id, &ttl, &granted), 0);
	assert_int_equal(granted, 2);
	assert_true(ttl >= 0 && ttl <= 2);
	/* kept alive past its TTL */
	for (int i = 0; i < 6; i++) {
		assert_int_equal(etcd_lease_keepalive(L.e, id, &ttl), 0);
		assert_int_equal(ttl, 2);
		sleep_ms(500);
	}
	assert_int_equal(etcd_get(L.e, "/ktg/l/a", &val, &len, NULL), 0);
	free(val);

	/* left alone, it expires and takes its key along */
	end = now_ms() + 8000;
	while (etcd_get(L.e, "/ktg/l/a", &val, &len, NULL) == 0) {
		free(val);
		if (now_ms() > end)
			fail_msg("leased key still there after 8 s");
		sleep_ms(100);
	}
	assert_int_equal(etcd_lease_keepalive(L.e, id, &ttl), -ENOENT);
	assert_non_null(strstr(etcd_error(L.e), "expired"));
	assert_int_equal(etcd_lease_timetolive(L.e, id, &ttl, NULL), -ENOENT);
	assert_int_equal(etcd_lease_revoke(L.e, id), -ENOENT);
	assert_int_equal(etcd_lease_keepalive(L.e, 0x1234, NULL), -ENOENT);

	/* revoking deletes at once */
	assert_int_equal(etcd_lease_grant(L.e, 60, &id2), 0);
	assert_int_equal(etcd_put(L.e, "/ktg/l/b", "y", 1, id2), 0);
	assert_int_equal(etcd_lease_revoke(L.e, id2), 0);
	assert_int_equal(etcd_get(L.e, "/ktg/l/b", &val, &len, NULL), -ENOENT);
}

static void test_watch_put_delete(void **state)
{
	struct etcd_watch *w;
	struct etcd_event *ev;
	int64_t rev;
	size_t n;

	(void)state;
	NEED_LIVE();
	rev = current_revision();
	assert_int_equal(etcd_watch_open(L.e, "/ktg/w/", rev + 1, &w), 0);
	assert_true(etcd_watch_fd(w) >= 0);
	put("/ktg/w/a", "1");
	put("/ktg/wx", "not watched");
	put("/ktg/w/b", "2");
	assert_int_equal(etcd_delete(L.e, "/ktg/w/a"), 0);
	n = collect(w, 3, 5000, &ev);
	assert_int_equal(n, 3);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/w/a", "1");
	assert_event(&ev[1], ETCD_EV_PUT, "/ktg/w/b", "2");
	assert_event(&ev[2], ETCD_EV_DELETE, "/ktg/w/a", NULL);
	assert_int_equal(ev[0].mod_revision, rev + 1);
	assert_int_equal(ev[0].create_revision, rev + 1);
	assert_int_equal(ev[1].mod_revision, rev + 3);
	assert_int_equal(ev[2].mod_revision, rev + 4);
	assert_int_equal(etcd_watch_revision(w), rev + 5);
	etcd_events_free(ev, n);
	assert_quiet(w, 300);
	/* the fd is readable exactly while something is pending */
	{
		struct pollfd p = { .fd = etcd_watch_fd(w), .events = POLLIN };

		assert_int_equal(poll(&p, 1, 0), 0);
		put("/ktg/w/c", "3");
		assert_int_equal(poll(&p, 1, 5000), 1);
		assert_int_equal(etcd_watch_next(w, 0, &ev, &n), 0);
		assert_int_equal(n, 1);
		assert_event(&ev[0], ETCD_EV_PUT, "/ktg/w/c", "3");
		etcd_events_free(ev, n);
		assert_int_equal(poll(&p, 1, 0), 0);
	}
	etcd_watch_close(w);

	/* from now: only what happens once it is established */
	assert_int_equal(etcd_watch_open(L.e, "/ktg/w/", 0, &w), 0);
	wait_connected(w, 5000);
	put("/ktg/w/d", "4");
	n = collect(w, 1, 5000, &ev);
	assert_int_equal(n, 1);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/w/d", "4");
	etcd_events_free(ev, n);
	etcd_watch_close(w);

	assert_int_equal(etcd_watch_open(L.e, "/ktg/w/", -1, &w), -EINVAL);
	assert_int_equal(etcd_watch_open(L.e, NULL, 0, &w), -EINVAL);
	etcd_watch_close(NULL);
}

/* The connection drops while keys change: the watcher resumes after the
 * last revision it delivered, losing and repeating nothing. */
static void test_watch_resume_after_drop(void **state)
{
	const char *eps[] = { RELAY_URL };
	struct etcd *via;
	struct etcd_watch *w;
	struct etcd_event *ev;
	struct relay r;
	int64_t rev;
	char msg[512];
	size_t n;

	(void)state;
	NEED_LIVE();
	rev = current_revision();
	assert_int_equal(relay_start(&r), 0);
	via = etcd_open(eps, 1, L.nsfd, 2000);
	assert_non_null(via);
	assert_int_equal(etcd_watch_open(via, "/ktg/d/", rev + 1, &w), 0);
	etcd_close(via); /* the watcher keeps its own copy */
	put("/ktg/d/1", "a");
	n = collect(w, 1, 5000, &ev);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/d/1", "a");
	etcd_events_free(ev, n);

	relay_cut(&r);
	/* the watcher notices and cannot reconnect */
	for (int64_t end = now_ms() + 5000;
	     etcd_watch_status(w, msg, sizeof(msg)); sleep_ms(20))
		if (now_ms() > end)
			fail_msg("watch still up after the cut");
	put("/ktg/d/2", "b");
	put("/ktg/d/1", "c");
	assert_int_equal(etcd_delete(L.e, "/ktg/d/2"), 0);
	assert_quiet(w, 300);
	assert_false(etcd_watch_status(w, msg, sizeof(msg)));
	assert_non_null(strstr(msg, RELAY_URL));

	assert_int_equal(relay_restore(&r), 0);
	n = collect(w, 3, 10000, &ev);
	assert_int_equal(n, 3);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/d/2", "b");
	assert_event(&ev[1], ETCD_EV_PUT, "/ktg/d/1", "c");
	assert_event(&ev[2], ETCD_EV_DELETE, "/ktg/d/2", NULL);
	assert_int_equal(ev[0].mod_revision, rev + 2);
	assert_int_equal(ev[2].mod_revision, rev + 4);
	etcd_events_free(ev, n);
	assert_quiet(w, 300);
	assert_true(etcd_watch_status(w, NULL, 0));
	etcd_watch_close(w);
	relay_stop(&r);
}

/* etcd itself restarts on its data dir. */
static void test_watch_etcd_restart(void **state)
{
	struct etcd_watch *w;
	struct etcd_event *ev;
	int64_t rev;
	size_t n;

	(void)state;
	NEED_LIVE();
	rev = current_revision();
	assert_int_equal(etcd_watch_open(L.e, "/ktg/s/", rev + 1, &w), 0);
	put("/ktg/s/1", "a");
	n = collect(w, 1, 5000, &ev);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/s/1", "a");
	etcd_events_free(ev, n);

	etcd_stop();
	assert_int_equal(etcd_start(), 0);
	assert_int_equal(etcd_wait_healthy(15000), 0);
	put("/ktg/s/2", "b");
	put("/ktg/s/3", "c");
	n = collect(w, 2, 10000, &ev);
	assert_int_equal(n, 2);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/s/2", "b");
	assert_event(&ev[1], ETCD_EV_PUT, "/ktg/s/3", "c");
	assert_int_equal(ev[0].mod_revision, rev + 2);
	assert_int_equal(ev[1].mod_revision, rev + 3);
	etcd_events_free(ev, n);
	assert_quiet(w, 300);
	etcd_watch_close(w);
}

/* Watching from a compacted revision: one RESYNC, then silence until the
 * caller restarts the watch after reading everything again. */
static void test_watch_compacted(void **state)
{
	struct etcd_watch *w;
	struct etcd_event *ev;
	struct etcd_kv *kvs;
	int64_t rev, now;
	size_t n, nkv;

	(void)state;
	NEED_LIVE();
	rev = current_revision();
	put("/ktg/k/1", "a");
	put("/ktg/k/1", "b");
	put("/ktg/k/2", "c");
	assert_int_equal(etcd_compact(L.e, rev + 3), 0);
	assert_int_equal(etcd_compact(L.e, rev + 3), -ERANGE);
	assert_int_equal(etcd_compact(L.e, rev + 1000), -ERANGE);

	assert_int_equal(etcd_watch_open(L.e, "/ktg/k/", rev + 1, &w), 0);
	n = collect(w, 1, 5000, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, ETCD_EV_RESYNC);
	assert_null(ev[0].key);
	assert_int_equal(ev[0].mod_revision, rev + 3);
	etcd_events_free(ev, n);
	put("/ktg/k/3", "ignored until the restart");
	assert_quiet(w, 500);

	assert_int_equal(etcd_range_prefix(L.e, "/ktg/k/", &kvs, &nkv, &now),
			 0);
	assert_int_equal(nkv, 3);
	etcd_kvs_free(kvs, nkv);
	assert_int_equal(etcd_watch_restart(w, now + 1), 0);
	put("/ktg/k/2", "d");
	n = collect(w, 1, 5000, &ev);
	assert_int_equal(n, 1);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/k/2", "d");
	assert_int_equal(ev[0].mod_revision, now + 1);
	etcd_events_free(ev, n);
	etcd_watch_close(w);
}

/* The first endpoint refuses: requests and watches use the second. */
static void test_failover(void **state)
{
	const char *eps[] = { "http://127.0.0.1:1", ETCD_URL };
	struct etcd *e;
	struct etcd_watch *w;
	struct etcd_event *ev;
	int64_t id;
	size_t n;

	(void)state;
	NEED_LIVE();
	e = etcd_open(eps, 2, L.nsfd, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_lease_grant(e, 30, &id), 0);
	assert_int_equal(etcd_create(e, "/ktg/f/1", "x", 1, id), 0);
	assert_int_equal(etcd_lease_revoke(e, id), 0);
	etcd_close(e);

	/* a fresh client starts at the dead one; the watcher moves on */
	e = etcd_open(eps, 2, L.nsfd, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_watch_open(e, "/ktg/f/", 0, &w), 0);
	wait_connected(w, 5000);
	put("/ktg/f/2", "y");
	n = collect(w, 1, 5000, &ev);
	assert_event(&ev[0], ETCD_EV_PUT, "/ktg/f/2", "y");
	etcd_events_free(ev, n);
	etcd_watch_close(w);
	etcd_close(e);
}

/* ---- flannel subnet leases (agent/lease.c) against etcd ---- */

static void clear_prefix(const char *prefix)
{
	struct etcd_kv *kvs;
	size_t n;

	assert_int_equal(etcd_range_prefix(L.e, prefix, &kvs, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(etcd_delete(L.e, kvs[i].key), 0);
	etcd_kvs_free(kvs, n);
}

/* 10.6.0.0/24 in /26: three subnets, .64 .128 .192 */
static struct net_config small_config(void)
{
	struct net_config c = { .network = { 0x0a060000, 24 } };

	netconf_defaults(&c, 0);
	c.subnet_len = 26;
	c.subnet_min = 0x0a060040;
	c.subnet_max = 0x0a0600c0;
	assert_int_equal(netconf_validate(&c, NULL, 0), 0);
	return c;
}

static struct lease_request worker(uint32_t ip, int64_t ttl)
{
	struct lease_request r = {
		.public_ip = ip, .ttl_s = ttl,
		.vtep_mac = { 0x02, 0, 0, 0, 0, (uint8_t)ip },
	};

	return r;
}

static void assert_stored(const struct subnet_lease *l)
{
	char key[LEASE_KEY_MAX], *val, *want;
	struct etcd_kv *kvs;
	size_t n, len;

	assert_int_equal(lease_key_format(&l->subnet, key, sizeof(key)), 0);
	assert_int_equal(etcd_get(L.e, key, &val, &len, NULL), 0);
	want = lease_value_format(l);
	assert_string_equal(val, want);
	free(want);
	free(val);
	assert_int_equal(etcd_range_prefix(L.e, key, &kvs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(kvs[0].lease, l->lease_id);
	etcd_kvs_free(kvs, n);
}

static void wait_key_gone(const struct subnet_lease *l, int timeout_ms)
{
	char key[LEASE_KEY_MAX], *val;
	size_t len;
	int64_t end = now_ms() + timeout_ms;

	assert_int_equal(lease_key_format(&l->subnet, key, sizeof(key)), 0);
	while (etcd_get(L.e, key, &val, &len, NULL) == 0) {
		free(val);
		if (now_ms() > end)
			fail_msg("%s still there", key);
		sleep_ms(100);
	}
}

static void test_subnet_lease_acquire(void **state)
{
	struct net_config c;
	struct lease_request a, b, c3, d;
	struct subnet_lease la, lb, lc, ld, again;
	char err[256];
	uint64_t rng = 3;

	(void)state;
	NEED_LIVE();
	clear_prefix(LEASE_PREFIX);
	c = small_config();
	a = worker(0x0a000001, 0);
	a.rng = &rng;
	assert_int_equal(lease_acquire(L.e, &c, &a, &la, err, sizeof(err)), 0);
	assert_int_equal(la.subnet.len, 26);
	assert_string_equal(la.backend_type, "vxlan");
	assert_int_equal(la.vni, 1);
	assert_stored(&la);
	assert_int_equal(etcd_lease_timetolive(L.e, la.lease_id, NULL, NULL),
			 0);

	b = worker(0x0a000002, 2);
	assert_int_equal(lease_acquire(L.e, &c, &b, &lb, err, sizeof(err)), 0);
	c3 = worker(0x0a000003, 2);
	assert_int_equal(lease_acquire(L.e, &c, &c3, &lc, err, sizeof(err)),
			 0);
	assert_true(la.subnet.addr != lb.subnet.addr);
	assert_true(lc.subnet.addr != lb.subnet.addr &&
		    lc.subnet.addr != la.subnet.addr);

	/* full */
	d = worker(0x0a000004, 0);
	assert_int_equal(lease_acquire(L.e, &c, &d, &ld, err, sizeof(err)),
			 -ENOSPC);
	assert_non_null(strstr(err, "no free subnet"));

	/* worker a restarts: same subnet, under a new etcd lease */
	assert_int_equal(lease_acquire(L.e, &c, &a, &again, err, sizeof(err)),
			 0);
	assert_int_equal(again.subnet.addr, la.subnet.addr);
	assert_true(again.lease_id != la.lease_id);
	assert_stored(&again);
	/* the old etcd lease no longer holds the key */
	assert_int_equal(etcd_lease_revoke(L.e, la.lease_id), 0);
	assert_stored(&again);
	la = again;
	assert_int_equal(lease_renew(L.e, &la, 0, err, sizeof(err)), 0);
	assert_int_equal(la.lease_id, again.lease_id);

	/* b and c stop renewing; b comes back before anyone took its
	 * subnet, c finds it taken by d */
	wait_key_gone(&lb, 8000);
	wait_key_gone(&lc, 8000);
	assert_int_equal(lease_renew(L.e, &lb, 0, err, sizeof(err)), 0);
	assert_true(lb.lease_id != 0);
	assert_stored(&lb);
	assert_int_equal(lease_acquire(L.e, &c, &d, &ld, err, sizeof(err)), 0);
	assert_int_equal(ld.subnet.addr, lc.subnet.addr);
	assert_int_equal(lease_renew(L.e, &lc, 0, err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "another worker took it"));
	assert_stored(&ld);
	clear_prefix(LEASE_PREFIX);
}

struct racer {
	struct net_config c;
	uint32_t ip;
	struct subnet_lease l;
	int ret;
	char err[256];
};

static void *race_main(void *arg)
{
	struct racer *r = arg;
	const char *eps[] = { ETCD_URL };
	struct etcd *e = etcd_open(eps, 1, L.nsfd, 2000);
	struct lease_request req = worker(r->ip, 0);

	r->ret = -ENOMEM;
	if (e)
		r->ret = lease_acquire(e, &r->c, &req, &r->l, r->err,
				       sizeof(r->err));
	etcd_close(e);
	return NULL;
}

/* Workers choosing lowest-first all want the same subnet at once: the
 * transaction lets one win, the others choose again. */
static void test_subnet_lease_race(void **state)
{
	struct racer r[3];
	pthread_t t[3];

	(void)state;
	NEED_LIVE();
	clear_prefix(LEASE_PREFIX);
	for (int i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].c = small_config();
		r[i].ip = 0x0a000010 + (uint32_t)i;
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]),
				 0);
	}
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 3; i++) {
		if (r[i].ret)
			fail_msg("worker %d: %s", i, r[i].err);
		assert_stored(&r[i].l);
		for (int j = 0; j < i; j++)
			assert_true(r[i].l.subnet.addr != r[j].l.subnet.addr);
	}
	clear_prefix(LEASE_PREFIX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_range_prefix),
		cmocka_unit_test(test_lease),
		cmocka_unit_test(test_watch_put_delete),
		cmocka_unit_test(test_watch_resume_after_drop),
		cmocka_unit_test(test_watch_etcd_restart),
		cmocka_unit_test(test_watch_compacted),
		cmocka_unit_test(test_failover),
		cmocka_unit_test(test_subnet_lease_acquire),
		cmocka_unit_test(test_subnet_lease_race),
	};

	/* a broken relay connection must not kill us */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, live_setup, live_teardown);
}
