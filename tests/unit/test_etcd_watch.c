// SPDX-License-Identifier: MIT
/*
 * The etcd watcher against a scripted fake gateway on 127.0.0.1: what it
 * asks for when it resumes, and how it survives answers no real etcd should
 * give (garbage, errors, malformed or out-of-order events, responses cut
 * into single bytes). Runs as any user; the live behaviour is in
 * test_etcd_live.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base64.h"
#include "etcd.h"

#define FAKE_BODIES 32

/* One connection's answer. */
struct script {
	int status;               /* 200: chunked stream, else plain */
	const char *parts[8];     /* each one chunk (NULL-ended) */
	bool hold;                /* keep the stream open afterwards */
	bool bytewise;            /* one byte per chunk */
};

struct fake {
	int lfd, stop[2];
	uint16_t port;
	pthread_t thread;
	const struct script *scripts;
	size_t nscripts;
	pthread_mutex_t lock;
	size_t served, probes;
	char *bodies[FAKE_BODIES];
};

static bool read_request(int fd, char **body)
{
	char buf[8192];
	size_t len = 0;
	char *end, *cl;
	size_t want;

	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		cl = strcasestr(buf, "Content-Length:");
		want = cl ? strtoul(cl + 15, NULL, 10) : 0;
		if (len - (size_t)(end + 4 - buf) >= want) {
			*body = strndup(end + 4, want);
			return *body != NULL;
		}
	}
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static void send_chunk(int fd, const char *p, size_t n)
{
	char head[32];

	snprintf(head, sizeof(head), "%zx\r\n", n);
	send_all(fd, head, strlen(head));
	send_all(fd, p, n);
	send_all(fd, "\r\n", 2);
}

static void serve(struct fake *f, int fd, const struct script *s)
{
	static const char stream_head[] = "HTTP/1.1 200 OK\r\n"
		"Content-Type: application/json\r\n"
		"Transfer-Encoding: chunked\r\n\r\n";
	char head[256];

	if (s->status != 200) {
		snprintf(head, sizeof(head), "HTTP/1.1 %d Bad\r\nContent-Type: "
			 "application/json\r\nContent-Length: %zu\r\n\r\n",
			 s->status, strlen(s->parts[0]));
		send_all(fd, head, strlen(head));
		send_all(fd, s->parts[0], strlen(s->parts[0]));
		return;
	}
	send_all(fd, stream_head, sizeof(stream_head) - 1);
	for (size_t i = 0; s->parts[i]; i++) {
		const char *p = s->parts[i];

		if (s->bytewise)
			for (size_t k = 0; p[k]; k++)
				send_chunk(fd, p + k, 1);
		else
			send_chunk(fd, p, strlen(p));
	}
	if (!s->hold) {
		send_all(fd, "0\r\n\r\n", 5);
		return;
	}
	/* until the client goes or the test ends */
	for (;;) {
		struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
				       { .fd = f->stop[0], .events = POLLIN } };
		char b[256];

		if (poll(p, 2, -1) < 0 || p[1].revents)
			return;
		if (p[0].revents && read(fd, b, sizeof(b)) <= 0)
			return;
	}
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		struct pollfd p[2] = { { .fd = f->lfd, .events = POLLIN },
				       { .fd = f->stop[0], .events = POLLIN } };
		const struct script *s;
		char *body = NULL;
		size_t i;
		int fd;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		fd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		if (!read_request(fd, &body)) {
			close(fd);
			continue;
		}
		pthread_mutex_lock(&f->lock);
		if (!*body) { /* GET /health: no answer */
			f->probes++;
			pthread_mutex_unlock(&f->lock);
			free(body);
			close(fd);
			continue;
		}
		i = f->served++;
		if (i < FAKE_BODIES)
			f->bodies[i] = body;
		else
			free(body);
		pthread_mutex_unlock(&f->lock);
		/* past the script: hold the connection silently */
		s = i < f->nscripts ? &f->scripts[i] :
			&(const struct script){ .status = 200, .hold = true };
		serve(f, fd, s);
		close(fd);
	}
	return NULL;
}

static void fake_start(struct fake *f, const struct script *scripts,
		       size_t n)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);

	memset(f, 0, sizeof(*f));
	f->scripts = scripts;
	f->nscripts = n;
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pipe2(f->stop, O_CLOEXEC), 0);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(f->lfd, 8), 0);
	assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
	f->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
	assert_int_equal(write(f->stop[1], "x", 1), 1);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	close(f->stop[0]);
	close(f->stop[1]);
	for (size_t i = 0; i < FAKE_BODIES; i++)
		free(f->bodies[i]);
	pthread_mutex_destroy(&f->lock);
}

static size_t fake_served(struct fake *f)
{
	size_t n;

	pthread_mutex_lock(&f->lock);
	n = f->served;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wait_served(struct fake *f, size_t n, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;

	while (fake_served(f) < n) {
		if (now_ms() > end)
			fail_msg("only %zu of %zu connections", fake_served(f),
				 n);
		usleep(10000);
	}
}

/* create_request.start_revision of the i-th request ("" when absent). */
static void assert_start(struct fake *f, size_t i, const char *want)
{
	cJSON *j, *cr, *rev, *key;
	char *dec;
	size_t len;

	pthread_mutex_lock(&f->lock);
	j = cJSON_Parse(f->bodies[i]);
	pthread_mutex_unlock(&f->lock);
	cr = cJSON_GetObjectItemCaseSensitive(j, "create_request");
	assert_non_null(cr);
	key = cJSON_GetObjectItemCaseSensitive(cr, "key");
	assert_true(cJSON_IsString(key));
	assert_int_equal(base64_decode(cJSON_GetStringValue(key),
				       strlen(key->valuestring), &dec, &len),
			 0);
	assert_string_equal(dec, "/p/");
	free(dec);
	key = cJSON_GetObjectItemCaseSensitive(cr, "range_end");
	assert_true(cJSON_IsString(key));
	assert_int_equal(base64_decode(cJSON_GetStringValue(key),
				       strlen(key->valuestring), &dec, &len),
			 0);
	assert_string_equal(dec, "/p0");
	free(dec);
	rev = cJSON_GetObjectItemCaseSensitive(cr, "start_revision");
	if (!*want)
		assert_null(rev);
	else
		assert_string_equal(cJSON_GetStringValue(rev), want);
	cJSON_Delete(j);
}

static struct etcd_watch *open_watch(struct fake *f, int64_t start)
{
	char url[64];
	const char *eps[] = { "http://127.0.0.1:1", url };
	struct etcd *e;
	struct etcd_watch *w;

	/* the first endpoint refuses: the watcher moves on to the fake */
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", f->port);
	e = etcd_open(eps, 2, -1, 1000);
	assert_non_null(e);
	assert_int_equal(etcd_watch_open(e, "/p/", start, &w), 0);
	etcd_close(e);
	return w;
}

/* Events within timeout_ms, at least want. */
static size_t collect(struct etcd_watch *w, size_t want, int timeout_ms,
		      struct etcd_event **out)
{
	int64_t end = now_ms() + timeout_ms;
	struct etcd_event *acc = NULL;
	size_t n = 0;

	while (n < want && now_ms() < end) {
		struct etcd_event *ev, *p;
		size_t got;

		assert_int_equal(etcd_watch_next(w, 50, &ev, &got), 0);
		if (!got)
			continue;
		p = realloc(acc, (n + got) * sizeof(*p));
		assert_non_null(p);
		acc = p;
		memcpy(acc + n, ev, got * sizeof(*ev));
		n += got;
		free(ev);
	}
	*out = acc;
	return n;
}

#define CREATED \
	"{\"result\":{\"header\":{\"revision\":\"4\"},\"created\":true}}\n"
/* base64 of the keys "/p/a", "/p/b" and the values "1", "2" */
#define KA "L3AvYQ=="
#define KB "L3AvYg=="
#define V1 "MQ=="
#define V2 "Mg=="
#define EV(rev, key, val) "{\"kv\":{\"key\":\"" key "\"," \
	"\"create_revision\":\"" rev "\",\"mod_revision\":\"" rev "\"," \
	"\"version\":\"1\",\"value\":\"" val "\"}}"
#define DEL(rev, key) "{\"type\":\"DELETE\",\"kv\":{\"key\":\"" key "\"," \
	"\"mod_revision\":\"" rev "\"}}"
#define BATCH(...) "{\"result\":{\"header\":{\"revision\":\"9\"}," \
	"\"events\":[" __VA_ARGS__ "]}}\n"
/* a connection that streams the given parts, then ends */
#define STREAM(...) { .status = 200, .parts = { __VA_ARGS__ } }
#define NO_LEADER \
	"{\"error\":{\"grpc_code\":14,\"message\":\"etcdserver: no leader\"}}\n"

static void test_resume_revision(void **state)
{
	static const struct script s[] = {
		STREAM(CREATED, BATCH(EV("5", KA, V1) "," DEL("6", KA))),
		STREAM(CREATED, BATCH(EV("7", KB, V2))),
		{ .status = 200, .parts = { CREATED }, .hold = true },
	};
	struct fake f;
	struct etcd_watch *w;
	struct etcd_event *ev;
	size_t n;

	(void)state;
	fake_start(&f, s, 3);
	w = open_watch(&f, 0);
	n = collect(w, 3, 5000, &ev);
	assert_int_equal(n, 3);
	assert_int_equal(ev[0].type, ETCD_EV_PUT);
	assert_string_equal(ev[0].key, "/p/a");
	assert_string_equal(ev[0].val, "1");
	assert_int_equal(ev[1].type, ETCD_EV_DELETE);
	assert_null(ev[1].val);
	assert_int_equal(ev[1].mod_revision, 6);
	assert_string_equal(ev[2].key, "/p/b");
	assert_int_equal(ev[2].mod_revision, 7);
	etcd_events_free(ev, n);
	wait_served(&f, 3, 5000);
	assert_start(&f, 0, "");   /* from now */
	assert_start(&f, 1, "7");  /* after revision 6 */
	assert_start(&f, 2, "8");
	assert_int_equal(etcd_watch_revision(w), 8);
	etcd_watch_close(w);
	fake_stop(&f);
}

/* Each bad answer ends its connection; the next one still works, and
 * nothing from a bad batch is delivered. */
static void test_bad_answers(void **state)
{
	static const struct script s[] = {
		STREAM("not json at all\n"),
		STREAM("[1,2]\n"),
		STREAM("{\"result\":5}\n"),
		STREAM("{\"something\":{}}\n"),
		STREAM(CREATED, "{\"result\":{\"events\":{}}}\n"),
		STREAM(CREATED, BATCH("{\"kv\":{\"mod_revision\":\"5\"}}")),
		STREAM(CREATED, BATCH(EV("5", "!!!", V1))),
		STREAM(CREATED, BATCH(EV("5", KA, "MQ"))),
		STREAM(CREATED, BATCH("{\"type\":\"FOO\",\"kv\":{\"key\":\"" KA
				      "\",\"mod_revision\":\"5\"}}")),
		STREAM(CREATED, BATCH(EV("x5", KA, V1))),
		STREAM(CREATED, BATCH(EV("0", KA, V1))),
		STREAM(CREATED, BATCH(EV("5", KA, V1) "," EV("4", KB, V2))),
		STREAM(CREATED, BATCH("5")),
		STREAM(NO_LEADER),
		{ .status = 400, .parts = { "{\"error\":\"bad\",\"message\":"
					    "\"bad request\",\"code\":3}" } },
		STREAM(CREATED, "{\"result\":{\"canceled\":true,"
		       "\"cancel_reason\":\"a } \\\" { reason\"}}\n"),
		{ .status = 200, .parts = { CREATED, BATCH(EV("5", KA, V1)) },
		  .hold = true, .bytewise = true },
	};
	const size_t ns = sizeof(s) / sizeof(s[0]);
	struct fake f;
	struct etcd_watch *w;
	struct etcd_event *ev;
	char msg[512];
	size_t n;

	(void)state;
	fake_start(&f, s, ns);
	w = open_watch(&f, 5);
	n = collect(w, 1, 30000, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, ETCD_EV_PUT);
	assert_string_equal(ev[0].key, "/p/a");
	assert_string_equal(ev[0].val, "1");
	assert_int_equal(ev[0].mod_revision, 5);
	etcd_events_free(ev, n);
	assert_int_equal(fake_served(&f), ns);
	/* every attempt asked from revision 5: nothing bad was taken */
	for (size_t i = 0; i < ns; i++)
		assert_start(&f, i, "5");
	assert_true(etcd_watch_status(w, msg, sizeof(msg)));
	n = collect(w, 1, 200, &ev);
	assert_int_equal(n, 0);
	etcd_watch_close(w);
	fake_stop(&f);
}

static void wait_status(struct etcd_watch *w, const char *want)
{
	int64_t end = now_ms() + 5000;
	char msg[512] = "";

	while (!strstr(msg, want)) {
		if (now_ms() > end)
			fail_msg("status \"%s\", expected \"%s\"", msg, want);
		etcd_watch_status(w, msg, sizeof(msg));
		usleep(5000);
	}
}

static void test_status_messages(void **state)
{
	static const struct script s[] = {
		STREAM(NO_LEADER),
	};
	struct fake f;
	struct etcd_watch *w;

	(void)state;
	fake_start(&f, s, 1);
	w = open_watch(&f, 0);
	wait_status(w, "etcdserver: no leader");
	/* then the silent connection is held: established but mute */
	etcd_watch_close(w);
	fake_stop(&f);

	fake_start(&f, s, 0);
	w = open_watch(&f, 0);
	wait_served(&f, 1, 5000);
	etcd_watch_close(w);
	fake_stop(&f);
}

/* A compacted answer stops the watcher until it is restarted. */
static void test_resync_restart(void **state)
{
	static const struct script s[] = {
		{ .status = 200, .hold = true,
		  .parts = { CREATED, "{\"result\":{\"header\":{},"
			     "\"canceled\":true,"
			     "\"compact_revision\":\"30\"}}\n" } },
		{ .status = 200, .parts = { CREATED, BATCH(EV("41", KA, V1)) },
		  .hold = true },
	};
	struct fake f;
	struct etcd_watch *w;
	struct etcd_event *ev;
	size_t n;

	(void)state;
	fake_start(&f, s, 2);
	w = open_watch(&f, 3);
	n = collect(w, 1, 5000, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].type, ETCD_EV_RESYNC);
	assert_int_equal(ev[0].mod_revision, 30);
	etcd_events_free(ev, n);
	n = collect(w, 1, 500, &ev);
	assert_int_equal(n, 0);
	assert_int_equal(fake_served(&f), 1);
	assert_false(etcd_watch_status(w, NULL, 0));

	assert_int_equal(etcd_watch_restart(w, 41), 0);
	n = collect(w, 1, 5000, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].mod_revision, 41);
	etcd_events_free(ev, n);
	assert_start(&f, 0, "3");
	assert_start(&f, 1, "41");
	assert_int_equal(etcd_watch_restart(w, -1), -EINVAL);
	etcd_watch_close(w);
	fake_stop(&f);
}

/* A member that accepts connections but stays silent is left after the
 * watcher's health check gets no answer. Takes 10 s of silence. */
static void test_silent_member(void **state)
{
	static const struct script s[] = {
		{ .status = 200, .parts = { CREATED }, .hold = true },
		{ .status = 200, .parts = { CREATED, BATCH(EV("5", KA, V1)) },
		  .hold = true },
	};
	struct fake f;
	struct etcd_watch *w;
	struct etcd_event *ev;
	size_t n, probes;

	(void)state;
	fake_start(&f, s, 2);
	w = open_watch(&f, 5);
	n = collect(w, 1, 20000, &ev);
	assert_int_equal(n, 1);
	assert_int_equal(ev[0].mod_revision, 5);
	etcd_events_free(ev, n);
	pthread_mutex_lock(&f.lock);
	probes = f.probes;
	pthread_mutex_unlock(&f.lock);
	assert_true(probes >= 1);
	assert_start(&f, 1, "5");
	etcd_watch_close(w);
	fake_stop(&f);
}

static void test_args(void **state)
{
	const char *eps[] = { "http://127.0.0.1:1" };
	struct etcd *e = etcd_open(eps, 1, -1, 100);
	struct etcd_watch *w;
	struct etcd_event *ev;
	size_t n;

	(void)state;
	assert_int_equal(etcd_watch_open(NULL, "/p/", 0, &w), -EINVAL);
	assert_int_equal(etcd_watch_open(e, "/p/", 0, NULL), -EINVAL);
	assert_int_equal(etcd_watch_next(NULL, 0, &ev, &n), -EINVAL);
	assert_int_equal(etcd_watch_fd(NULL), -EINVAL);
	assert_false(etcd_watch_status(NULL, NULL, 0));
	/* nothing answers: it keeps trying, and says why */
	assert_int_equal(etcd_watch_open(e, "", 0, &w), 0);
	wait_status(w, "http://127.0.0.1:1: ");
	assert_int_equal(etcd_watch_next(w, 10, &ev, &n), 0);
	assert_int_equal(n, 0);
	assert_null(ev);
	etcd_watch_close(w);
	etcd_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resume_revision),
		cmocka_unit_test(test_bad_answers),
		cmocka_unit_test(test_status_messages),
		cmocka_unit_test(test_resync_restart),
		cmocka_unit_test(test_silent_member),
		cmocka_unit_test(test_args),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
