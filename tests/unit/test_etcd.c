// SPDX-License-Identifier: MIT
/* base64, the etcd client against a fake etcd gateway on loopback, and the
 * etcd member command line. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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
#include "etcd_cluster.h"
#include "topology.h"

/* ---- base64 ---- */

static void check_encode(const char *in, const char *want)
{
	char *got = base64_encode(in, strlen(in));
	char *back;
	size_t len;

	assert_non_null(got);
	assert_string_equal(got, want);
	assert_int_equal(base64_encoded_len(strlen(in)), strlen(want));
	assert_int_equal(base64_decode(got, strlen(got), &back, &len), 0);
	assert_int_equal(len, strlen(in));
	assert_memory_equal(back, in, len);
	assert_int_equal(back[len], '\0');
	free(back);
	free(got);
}

static void test_base64_vectors(void **state)
{
	(void)state;
	/* RFC 4648 §10 */
	check_encode("", "");
	check_encode("f", "Zg==");
	check_encode("fo", "Zm8=");
	check_encode("foo", "Zm9v");
	check_encode("foob", "Zm9vYg==");
	check_encode("fooba", "Zm9vYmE=");
	check_encode("foobar", "Zm9vYmFy");
	check_encode("/coreos.com/network/config",
		     "L2NvcmVvcy5jb20vbmV0d29yay9jb25maWc=");
}

static void test_base64_binary(void **state)
{
	unsigned char buf[300];
	char *enc, *dec;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	for (size_t n = 0; n <= sizeof(buf); n++) {
		enc = base64_encode(buf, n);
		assert_non_null(enc);
		assert_int_equal(strlen(enc), base64_encoded_len(n));
		assert_int_equal(base64_decode(enc, strlen(enc), &dec, &len), 0);
		assert_int_equal(len, n);
		assert_memory_equal(dec, buf, n);
		free(dec);
		free(enc);
	}
	/* every alphabet character, high bits included */
	enc = base64_encode("\xfb\xff\xbf\x00\x10\x83", 6);
	assert_string_equal(enc, "+/+/ABCD");
	free(enc);
}

static void test_base64_bad(void **state)
{
	static const char *const bad[] = {
		"Zg=",          /* length not a multiple of 4 */
		"Zm9",
		"Z",
		"Zg=a",         /* data after padding */
		"Z===",         /* too much padding */
		"====",
		"Zm=v",
		"Zm9v====",     /* a whole group of padding */
		"Zg==Zm9v",     /* padding in the middle */
		"Zh==",         /* unused bits set: not canonical */
		"Zm9=",
		"Zm9v\n",
		"Zm 9",
		"Zm9-",         /* URL alphabet */
		"Zm9_",
		"\xc3\xa9\xc3\xa9",
	};
	char *out = (char *)0x1;
	size_t len = 77;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), &out,
					       &len), -EINVAL);
		assert_ptr_equal(out, (char *)0x1);
		assert_int_equal(len, 77);
	}
	/* an embedded NUL is just a bad character */
	assert_int_equal(base64_decode("Zm\0v", 4, &out, &len), -EINVAL);
	assert_int_equal(base64_encoded_len(SIZE_MAX), 0);
	assert_null(base64_encode("x", SIZE_MAX));
}

/* ---- a fake etcd gateway on 127.0.0.1 ---- */

struct fake {
	int lfd;
	uint16_t port;
	pthread_t thread;
	pthread_mutex_t lock;
	/* what to answer */
	int status;
	char answer[1024];
	/* answered instead to the next busy requests */
	int busy;
	int busy_status;
	char busy_answer[512];
	/* what was asked */
	int requests;
	char method[8];
	char path[64];
	char headers[2048];
	char body[2048];
};

static ssize_t read_request(int fd, char *buf, size_t cap)
{
	size_t have = 0, want = 0;
	char *hdr_end = NULL;

	while (have < cap - 1) {
		ssize_t n = recv(fd, buf + have, cap - 1 - have, 0);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		if (!hdr_end) {
			char *cl;

			hdr_end = strstr(buf, "\r\n\r\n");
			if (!hdr_end)
				continue;
			cl = strcasestr(buf, "\r\nContent-Length:");
			want = (size_t)(hdr_end + 4 - buf) +
			       (cl && cl < hdr_end ?
				strtoul(cl + 17, NULL, 10) : 0);
		}
		if (have >= want)
			return (ssize_t)have;
	}
	return -1;
}

static void fake_serve(struct fake *f, int fd)
{
	char req[4096], resp[2048];
	const char *answer;
	char *body;
	int len, status;

	if (read_request(fd, req, sizeof(req)) < 0)
		return;
	pthread_mutex_lock(&f->lock);
	f->requests++;
	sscanf(req, "%7s %63s", f->method, f->path);
	body = strstr(req, "\r\n\r\n");
	snprintf(f->body, sizeof(f->body), "%s", body ? body + 4 : "");
	snprintf(f->headers, sizeof(f->headers), "%.*s",
		 body ? (int)(body + 2 - req) : 0, req);
	if (f->busy > 0) {
		f->busy--;
		status = f->busy_status;
		answer = f->busy_answer;
	} else {
		status = f->status;
		answer = f->answer;
	}
	len = snprintf(resp, sizeof(resp),
		       "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
		       "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
		       status, strlen(answer), answer);
	pthread_mutex_unlock(&f->lock);
	if (send(fd, resp, (size_t)len, MSG_NOSIGNAL) != len)
		return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;

	for (;;) {
		int fd = accept(f->lfd, NULL, NULL);

		if (fd < 0)
			return NULL; /* shut down */
		fake_serve(f, fd);
		close(fd);
	}
}

/* A loopback socket bound to a free port; listening when listen_too. */
static int loopback_socket(bool listen_too, uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listen_too)
		assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static struct fake *fake_start(void)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->lfd = loopback_socket(true, &f->port);
	f->status = 200;
	snprintf(f->answer, sizeof(f->answer), "{\"header\":{}}");
	pthread_mutex_init(&f->lock, NULL);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
	return f;
}

static void fake_stop(struct fake *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	pthread_join(f->thread, NULL);
	close(f->lfd);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void fake_answer(struct fake *f, int status, const char *answer)
{
	pthread_mutex_lock(&f->lock);
	f->status = status;
	snprintf(f->answer, sizeof(f->answer), "%s", answer);
	pthread_mutex_unlock(&f->lock);
}

/* The next n requests get status and answer instead. */
static void fake_busy(struct fake *f, int n, int status, const char *answer)
{
	pthread_mutex_lock(&f->lock);
	f->busy = n;
	f->busy_status = status;
	snprintf(f->busy_answer, sizeof(f->busy_answer), "%s", answer);
	pthread_mutex_unlock(&f->lock);
}

static int fake_requests(struct fake *f)
{
	int n;

	pthread_mutex_lock(&f->lock);
	n = f->requests;
	pthread_mutex_unlock(&f->lock);
	return n;
}

static void fake_url(uint16_t port, char *buf, size_t len)
{
	snprintf(buf, len, "http://127.0.0.1:%u", port);
}

/* A port nothing listens on: bound, then closed. */
static uint16_t refused_port(void)
{
	uint16_t port;
	int fd = loopback_socket(false, &port);

	close(fd);
	return port;
}

/* The string field name of the last request body. */
static char *body_field(struct fake *f, const char *name)
{
	cJSON *j = cJSON_Parse(f->body);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	char *s = cJSON_IsString(v) ? strdup(v->valuestring) : NULL;

	cJSON_Delete(j);
	return s;
}

static void assert_field(struct fake *f, const char *name, const char *want)
{
	char *got = body_field(f, name);

	if (!want) {
		assert_null(got);
		return;
	}
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void test_etcd_requests(void **state)
{
	struct fake *f = fake_start();
	char url[64];
	const char *eps[] = { url };
	struct etcd *e;
	char *val;
	size_t len;
	int64_t rev;

	(void)state;
	fake_url(f->port, url, sizeof(url));
	e = etcd_open(eps, 1, -1, 2000);
	assert_non_null(e);

	assert_int_equal(etcd_put(e, "/a", "hi\0there", 8, 0x7fffffff12LL), 0);
	assert_string_equal(f->method, "POST");
	assert_string_equal(f->path, "/v3/kv/put");
	assert_field(f, "key", "L2E=");
	assert_field(f, "value", "aGkAdGhlcmU=");
	assert_field(f, "lease", "549755813650");

	assert_int_equal(etcd_put(e, "/a", NULL, 0, 0), 0);
	assert_field(f, "value", "");
	assert_field(f, "lease", NULL);

	fake_answer(f, 200, "{\"header\":{\"revision\":\"9\"},\"kvs\":[{"
		    "\"key\":\"L2E=\",\"mod_revision\":\"42\","
		    "\"value\":\"aGVsbG8=\"}],\"count\":\"1\"}");
	assert_int_equal(etcd_get(e, "/a", &val, &len, &rev), 0);
	assert_string_equal(f->path, "/v3/kv/range");
	assert_field(f, "key", "L2E=");
	assert_int_equal(len, 5);
	assert_string_equal(val, "hello");
	assert_int_equal(rev, 42);
	free(val);
	/* all outputs optional */
	assert_int_equal(etcd_get(e, "/a", NULL, NULL, NULL), 0);

	/* etcd leaves out an empty value */
	fake_answer(f, 200, "{\"kvs\":[{\"key\":\"L2E=\",\"mod_revision\":\"3\"}]}");
	assert_int_equal(etcd_get(e, "/a", &val, &len, &rev), 0);
	assert_string_equal(val, "");
	assert_int_equal(len, 0);
	assert_int_equal(rev, 3);
	free(val);

	fake_answer(f, 200, "{\"header\":{\"revision\":\"9\"}}");
	assert_int_equal(etcd_get(e, "/a", &val, &len, &rev), -ENOENT);
	assert_non_null(strstr(etcd_error(e), "not found"));

	fake_answer(f, 200, "{\"header\":{}}");
	assert_int_equal(etcd_delete(e, "/a"), 0);
	assert_string_equal(f->path, "/v3/kv/deleterange");
	assert_field(f, "key", "L2E=");

	/* no request for an empty key */
	f->requests = 0;
	assert_int_equal(etcd_put(e, "", "x", 1, 0), -EINVAL);
	assert_int_equal(etcd_get(e, NULL, &val, &len, &rev), -EINVAL);
	assert_int_equal(etcd_delete(e, ""), -EINVAL);
	assert_int_equal(f->requests, 0);

	etcd_close(e);
	fake_stop(f);
}

static void test_etcd_bad_answers(void **state)
{
	static const char *const bad[] = {
		"{\"kvs\":[{\"value\":\"!!!!\",\"mod_revision\":\"1\"}]}",
		"{\"kvs\":[{\"value\":\"YQ==\",\"mod_revision\":\"x1\"}]}",
		"{\"kvs\":[{\"value\":7}]}",
		"{\"kvs\":[7]}",
		"{\"kvs\":{}}",
	};
	struct fake *f = fake_start();
	char url[64], *val = NULL;
	const char *eps[] = { url };
	struct etcd *e;
	size_t len;

	(void)state;
	fake_url(f->port, url, sizeof(url));
	e = etcd_open(eps, 1, -1, 2000);
	assert_non_null(e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fake_answer(f, 200, bad[i]);
		assert_int_equal(etcd_get(e, "/a", &val, &len, NULL), -EPROTO);
		assert_null(val);
	}
	fake_answer(f, 200, "not json");
	assert_int_equal(etcd_put(e, "/a", "b", 1, 0), -EPROTO);
	assert_non_null(strstr(etcd_error(e), "not JSON"));
	etcd_close(e);
	fake_stop(f);
}

static void test_etcd_error_no_failover(void **state)
{
	struct fake *a = fake_start(), *b = fake_start();
	char ua[64], ub[64];
	const char *eps[] = { ua, ub };
	struct etcd *e;

	(void)state;
	fake_url(a->port, ua, sizeof(ua));
	fake_url(b->port, ub, sizeof(ub));
	fake_answer(a, 404, "{\"error\":\"etcdserver: requested lease not found\","
		    "\"message\":\"etcdserver: requested lease not found\","
		    "\"code\":5}");
	e = etcd_open(eps, 2, -1, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_put(e, "/a", "b", 1, 99), -ENOENT);
	assert_int_equal(a->requests, 1);
	assert_int_equal(b->requests, 0);
	assert_non_null(strstr(etcd_error(e), ua));
	assert_non_null(strstr(etcd_error(e), "requested lease not found"));

	fake_answer(a, 400, "{\"message\":\"bad\",\"code\":3}");
	assert_int_equal(etcd_delete(e, "/a"), -EINVAL);
	assert_int_equal(b->requests, 0);

	/* an answer that is not etcd's moves on */
	fake_answer(a, 502, "<html>proxy</html>");
	assert_int_equal(etcd_delete(e, "/a"), 0);
	assert_int_equal(b->requests, 1);
	assert_string_equal(etcd_error(e), "no error");
	etcd_close(e);
	fake_stop(a);
	fake_stop(b);
}

#define NO_LEADER "{\"error\":\"etcdserver: no leader\"," \
		  "\"message\":\"etcdserver: no leader\",\"code\":14}"
#define LEADER_CHANGED "{\"error\":\"etcdserver: leader changed\"," \
		       "\"message\":\"etcdserver: leader changed\",\"code\":14}"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A member that cannot serve (gRPC Unavailable, HTTP 503) passes the
 * request on to the next one, as an unreachable one does. */
static void test_etcd_unavailable_failover(void **state)
{
	struct fake *a = fake_start(), *b = fake_start();
	char ua[64], ub[64];
	const char *eps[] = { ua, ub };
	struct etcd *e;
	int64_t ttl = 0;

	(void)state;
	fake_url(a->port, ua, sizeof(ua));
	fake_url(b->port, ub, sizeof(ub));
	fake_answer(a, 503, NO_LEADER);
	e = etcd_open(eps, 2, -1, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_put(e, "/a", "b", 1, 0), 0);
	assert_int_equal(fake_requests(a), 1);
	assert_int_equal(fake_requests(b), 1);
	assert_string_equal(b->path, "/v3/kv/put");
	assert_field(b, "key", "L2E=");
	assert_string_equal(etcd_error(e), "no error");
	/* every request asks for a leader */
	assert_non_null(strcasestr(a->headers,
				   "\r\nGrpc-Metadata-Hasleader: true\r\n"));
	assert_non_null(strcasestr(b->headers,
				   "\r\nGrpc-Metadata-Hasleader: true\r\n"));
	/* b answered: it stays first */
	assert_int_equal(etcd_delete(e, "/a"), 0);
	assert_int_equal(fake_requests(a), 1);
	assert_int_equal(fake_requests(b), 2);

	/* leader changed on b; a has its leader back */
	fake_answer(a, 200, "{\"header\":{}}");
	fake_busy(b, 1, 503, LEADER_CHANGED);
	assert_int_equal(etcd_delete(e, "/a"), 0);
	assert_int_equal(fake_requests(b), 3);
	assert_int_equal(fake_requests(a), 2);
	/* HTTP 503 whatever the body says */
	fake_busy(a, 1, 503, "{\"message\":\"overloaded\"}");
	assert_int_equal(etcd_put(e, "/a", "b", 1, 0), 0);
	assert_int_equal(fake_requests(a), 3);
	assert_int_equal(fake_requests(b), 4);
	/* gRPC Unavailable whatever the HTTP status */
	fake_busy(b, 1, 500, "{\"message\":\"etcdserver: request timed out\","
		  "\"code\":14}");
	assert_int_equal(etcd_delete(e, "/a"), 0);
	assert_int_equal(fake_requests(b), 5);
	assert_int_equal(fake_requests(a), 4);

	/* a keepalive stream's error in an HTTP 200 answer */
	fake_busy(a, 1, 200, "{\"error\":{\"grpc_code\":14,\"http_code\":503,"
		  "\"message\":\"etcdserver: no leader\","
		  "\"http_status\":\"Service Unavailable\"}}");
	fake_answer(b, 200, "{\"result\":{\"ID\":\"7\",\"TTL\":\"30\"}}");
	assert_int_equal(etcd_lease_keepalive(e, 7, &ttl), 0);
	assert_int_equal(ttl, 30);
	assert_int_equal(fake_requests(a), 5);
	assert_int_equal(fake_requests(b), 6);
	/* ... but not any stream error: a lost lease is final */
	fake_busy(b, 1, 200, "{\"error\":{\"grpc_code\":5,\"message\":"
		  "\"etcdserver: requested lease not found\"}}");
	assert_int_equal(etcd_lease_keepalive(e, 7, &ttl), -ENOENT);
	assert_int_equal(fake_requests(a), 5);
	assert_int_equal(fake_requests(b), 7);
	etcd_close(e);
	fake_stop(a);
	fake_stop(b);
}

/* No member can serve: rounds repeat after 100, 200, 400 ms ... while
 * the client's timeout allows, then -EAGAIN naming every member. */
static void test_etcd_unavailable_rounds(void **state)
{
	struct fake *a = fake_start(), *b = fake_start();
	char ua[64], ub[64], dead[64];
	const char *eps[] = { ua, ub };
	struct etcd *e;
	int64_t t0, took;
	int rounds;

	(void)state;
	fake_url(a->port, ua, sizeof(ua));
	fake_url(b->port, ub, sizeof(ub));
	fake_url(refused_port(), dead, sizeof(dead));
	fake_answer(a, 503, NO_LEADER);
	fake_answer(b, 503, LEADER_CHANGED);
	e = etcd_open(eps, 2, -1, 1000);
	assert_non_null(e);
	t0 = mono_ms();
	assert_int_equal(etcd_put(e, "/a", "b", 1, 0), -EAGAIN);
	took = mono_ms() - t0;
	rounds = fake_requests(a);
	/* rounds start at 0, 100, 300 and 700 ms; one at 1500 would not fit */
	assert_int_equal(fake_requests(b), rounds);
	assert_true(rounds >= 3 && rounds <= 4);
	assert_true(took >= 300 && took < 1500);
	assert_non_null(strstr(etcd_error(e), ua));
	assert_non_null(strstr(etcd_error(e), ub));
	assert_non_null(strstr(etcd_error(e), "no leader"));
	assert_non_null(strstr(etcd_error(e), "leader changed"));
	etcd_close(e);

	/* A member that finds its leader again within the timeout serves. */
	eps[0] = ua;
	fake_answer(a, 200, "{\"header\":{}}");
	fake_busy(a, 3, 503, NO_LEADER);
	pthread_mutex_lock(&a->lock);
	a->requests = 0;
	pthread_mutex_unlock(&a->lock);
	e = etcd_open(eps, 1, -1, 2000);
	assert_non_null(e);
	t0 = mono_ms();
	assert_int_equal(etcd_put(e, "/a", "b", 1, 0), 0);
	took = mono_ms() - t0;
	assert_int_equal(fake_requests(a), 4);
	assert_true(took >= 700);
	assert_string_equal(etcd_error(e), "no error");
	etcd_close(e);

	/* Too short a timeout for any backoff: one round. A member that
	 * cannot serve makes it -EAGAIN, even after an unreachable one. */
	eps[0] = dead;
	eps[1] = ua;
	fake_busy(a, 5, 503, NO_LEADER);
	e = etcd_open(eps, 2, -1, 50);
	assert_non_null(e);
	assert_int_equal(etcd_get(e, "/a", NULL, NULL, NULL), -EAGAIN);
	assert_int_equal(fake_requests(a), 5);
	assert_non_null(strstr(etcd_error(e), "connection refused"));
	assert_non_null(strstr(etcd_error(e), "no leader"));
	etcd_close(e);
	fake_stop(a);
	fake_stop(b);
}

static void test_etcd_failover(void **state)
{
	struct fake *f = fake_start();
	char dead1[64], dead2[64], good[64];
	const char *eps[] = { dead1, good, dead2 };
	struct etcd *e;

	(void)state;
	fake_url(refused_port(), dead1, sizeof(dead1));
	fake_url(refused_port(), dead2, sizeof(dead2));
	fake_url(f->port, good, sizeof(good));

	e = etcd_open(eps, 3, -1, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_put(e, "/k", "v", 1, 0), 0);
	assert_int_equal(f->requests, 1);
	/* the endpoint that answered stays first */
	assert_int_equal(etcd_put(e, "/k", "v", 1, 0), 0);
	assert_int_equal(f->requests, 2);
	etcd_close(e);

	/* none reachable: every endpoint is named */
	eps[1] = dead2;
	e = etcd_open(eps, 2, -1, 2000);
	assert_non_null(e);
	assert_int_equal(etcd_get(e, "/k", NULL, NULL, NULL), -ECONNREFUSED);
	assert_non_null(strstr(etcd_error(e), dead1));
	assert_non_null(strstr(etcd_error(e), dead2));
	assert_non_null(strstr(etcd_error(e), "connection refused"));
	etcd_close(e);
	fake_stop(f);
}

static void test_etcd_health(void **state)
{
	struct fake *f = fake_start();
	char good[64], dead[64];
	const char *eps[] = { good, dead };
	char version[16];
	struct etcd *e;

	(void)state;
	fake_url(f->port, good, sizeof(good));
	fake_url(refused_port(), dead, sizeof(dead));
	e = etcd_open(eps, 2, -1, 2000);
	assert_non_null(e);

	fake_answer(f, 200, "{\"health\":\"true\"}");
	assert_int_equal(etcd_health(e, 0), 0);
	assert_string_equal(f->method, "GET");
	assert_string_equal(f->path, "/health");
	fake_answer(f, 503, "{\"health\":\"false\",\"reason\":\"NOSPACE\"}");
	assert_int_equal(etcd_health(e, 0), -EAGAIN);
	assert_non_null(strstr(etcd_error(e), "NOSPACE"));
	fake_answer(f, 200, "{}");
	assert_int_equal(etcd_health(e, 0), -EPROTO);
	assert_int_equal(etcd_health(e, 1), -ECONNREFUSED);
	assert_int_equal(etcd_health(e, 2), -EINVAL);
	fake_answer(f, 200, "{\"etcdserver\":\"3.4.23\",\"etcdcluster\":\"not_decided\"}");
	assert_int_equal(etcd_version(e, 0, version, sizeof(version)), 0);
	assert_string_equal(f->path, "/version");
	assert_string_equal(version, "3.4.23");
	fake_answer(f, 404, "{\"etcdserver\":\"3.4.23\"}");
	assert_int_equal(etcd_version(e, 0, version, sizeof(version)), -EPROTO);
	assert_int_equal(etcd_version(e, 1, version, sizeof(version)),
			 -ECONNREFUSED);
	assert_int_equal(etcd_version(e, 2, version, sizeof(version)), -EINVAL);
	/* a POST after a GET on the same handle is still a POST */
	fake_answer(f, 200, "{}");
	assert_int_equal(etcd_put(e, "/k", "v", 1, 0), 0);
	assert_string_equal(f->method, "POST");
	etcd_close(e);
	fake_stop(f);
}

static void test_etcd_open_args(void **state)
{
	const char *eps[] = { "http://127.0.0.1:2379", NULL };

	(void)state;
	assert_null(etcd_open(NULL, 1, -1, 1000));
	assert_null(etcd_open(eps, 0, -1, 1000));
	assert_null(etcd_open(eps, 1, -1, 0));
	assert_null(etcd_open(eps, 2, -1, 1000));
	assert_null(etcd_open(eps, 1, 100000, 1000)); /* not a descriptor */
	etcd_close(NULL);
	assert_string_equal(etcd_error(NULL), "no etcd client");
}

/* ---- the member command line ---- */

/* Cluster C0: workers C0w1, C0w2 and members C0e1..3 on 10.0.0.3-5;
 * cluster C1: worker C1w1 and member C1e1. */
struct fake_topo {
	struct topology t;
	struct cluster c[2];
	struct node n[7];
};

static void add_node(struct fake_topo *f, size_t i, const char *name,
		     enum node_kind kind, size_t cluster, uint32_t addr)
{
	snprintf(f->n[i].name, sizeof(f->n[i].name), "%s", name);
	f->n[i].kind = kind;
	f->n[i].cluster = cluster;
	f->n[i].addr = addr;
}

static void fake_topo(struct fake_topo *f)
{
	memset(f, 0, sizeof(*f));
	snprintf(f->t.name, sizeof(f->t.name), "lab");
	snprintf(f->c[0].name, sizeof(f->c[0].name), "C0");
	snprintf(f->c[1].name, sizeof(f->c[1].name), "C1");
	f->c[0].n_workers = 2;
	f->c[0].n_etcd = 3;
	f->c[1].n_workers = 1;
	f->c[1].n_etcd = 1;
	add_node(f, 0, "C0w1", NODE_WORKER, 0, 0x0a000001);
	add_node(f, 1, "C0w2", NODE_WORKER, 0, 0x0a000002);
	add_node(f, 2, "C0e1", NODE_ETCD, 0, 0x0a000003);
	add_node(f, 3, "C0e2", NODE_ETCD, 0, 0x0a000004);
	add_node(f, 4, "C0e3", NODE_ETCD, 0, 0x0a000005);
	add_node(f, 5, "C1w1", NODE_WORKER, 1, 0x0a000006);
	add_node(f, 6, "C1e1", NODE_ETCD, 1, 0x0a000007);
	f->t.clusters = f->c;
	f->t.n_clusters = 2;
	f->t.nodes = f->n;
	f->t.n_nodes = 7;
}

static size_t argv_len(char **argv)
{
	size_t n = 0;

	while (argv[n])
		n++;
	return n;
}

static bool has_arg(char **argv, const char *want)
{
	for (; *argv; argv++)
		if (!strcmp(*argv, want))
			return true;
	return false;
}

/* The value of --name=VALUE, or NULL. */
static const char *arg_value(char **argv, const char *name)
{
	size_t len = strlen(name);

	for (; *argv; argv++)
		if (!strncmp(*argv, name, len) && (*argv)[len] == '=')
			return *argv + len + 1;
	return NULL;
}

static void test_member_argv(void **state)
{
	struct fake_topo f;
	char **argv;

	(void)state;
	fake_topo(&f);
	assert_int_equal(etcd_member_argv(&f.t, &f.n[3], "/run/x/etcd/C0e2",
					  &argv), 0);
	assert_string_equal(argv[0], "etcd");
	assert_true(has_arg(argv, "--name=C0e2"));
	assert_true(has_arg(argv, "--data-dir=/run/x/etcd/C0e2"));
	assert_true(has_arg(argv, "--listen-client-urls=http://10.0.0.4:2379,http://127.0.0.1:2379"));
	assert_true(has_arg(argv, "--advertise-client-urls=http://10.0.0.4:2379"));
	assert_true(has_arg(argv, "--listen-peer-urls=http://10.0.0.4:2380"));
	assert_true(has_arg(argv, "--initial-advertise-peer-urls=http://10.0.0.4:2380"));
	assert_true(has_arg(argv, "--initial-cluster=C0e1=http://10.0.0.3:2380,C0e2=http://10.0.0.4:2380,C0e3=http://10.0.0.5:2380"));
	assert_true(has_arg(argv, "--initial-cluster-token=lab-C0"));
	assert_true(has_arg(argv, "--initial-cluster-state=new"));
	assert_true(has_arg(argv, "--heartbeat-interval=50"));
	assert_true(has_arg(argv, "--election-timeout=500"));
	assert_true(has_arg(argv, "--enable-v2=false"));
	assert_true(has_arg(argv, "--logger=zap"));
	assert_true(has_arg(argv, "--log-outputs=stderr"));
	/* each flag once */
	for (size_t i = 1; argv[i]; i++)
		for (size_t j = i + 1; argv[j]; j++)
			assert_true(strcspn(argv[i], "=") != strcspn(argv[j], "=") ||
				    strncmp(argv[i], argv[j], strcspn(argv[i], "=")));
	etcd_member_argv_free(argv);

	/* a one-member cluster names only itself */
	assert_int_equal(etcd_member_argv(&f.t, &f.n[6], "/d", &argv), 0);
	assert_string_equal(arg_value(argv, "--initial-cluster"),
			    "C1e1=http://10.0.0.7:2380");
	assert_string_equal(arg_value(argv, "--initial-cluster-token"),
			    "lab-C1");
	assert_true(argv_len(argv) > 10);
	etcd_member_argv_free(argv);
	etcd_member_argv_free(NULL);

	/* workers run no etcd */
	argv = (char **)0x1;
	assert_int_equal(etcd_member_argv(&f.t, &f.n[0], "/d", &argv), -EINVAL);
	assert_null(argv);
	assert_int_equal(etcd_member_argv(&f.t, &f.n[2], NULL, &argv), -EINVAL);
}

static void test_timing(void **state)
{
	struct fake_topo f;
	struct etcd_timing tm;
	char **argv;

	(void)state;
	fake_topo(&f);
	etcd_cluster_timing(&f.t, 0, &tm);
	assert_int_equal(tm.heartbeat_ms, 50);
	assert_int_equal(tm.election_ms, 500);

	/* 20 ms + 5 ms jitter on two members: RTT 2 * (25 + 25) = 100 ms;
	 * the worker's slower link does not count */
	f.n[2].link.delay_us = 20000;
	f.n[2].link.jitter_us = 5000;
	f.n[3].link.delay_us = 25000;
	f.n[4].link.delay_us = 1000;
	f.n[0].link.delay_us = 900000;
	etcd_cluster_timing(&f.t, 0, &tm);
	assert_int_equal(tm.heartbeat_ms, 100);
	assert_int_equal(tm.election_ms, 1000);
	assert_int_equal(etcd_member_argv(&f.t, &f.n[4], "/d", &argv), 0);
	assert_string_equal(arg_value(argv, "--heartbeat-interval"), "100");
	assert_string_equal(arg_value(argv, "--election-timeout"), "1000");
	etcd_member_argv_free(argv);

	/* loss: room for TCP retransmits */
	f.n[4].link.loss_ppm = 10000;
	etcd_cluster_timing(&f.t, 0, &tm);
	assert_int_equal(tm.election_ms, 2000);

	/* huge delays stay within etcd's limit (election <= 50 s) */
	f.n[2].link.delay_us = 4000000000u;
	f.n[3].link.delay_us = 4000000000u;
	etcd_cluster_timing(&f.t, 0, &tm);
	assert_int_equal(tm.heartbeat_ms, 5000);
	assert_int_equal(tm.election_ms, 50000);

	/* other clusters are unaffected */
	etcd_cluster_timing(&f.t, 1, &tm);
	assert_int_equal(tm.heartbeat_ms, 50);
}

static void test_endpoints(void **state)
{
	struct fake_topo f;
	char **eps;
	size_t n;

	(void)state;
	fake_topo(&f);
	assert_int_equal(etcd_cluster_endpoints(&f.t, 0, &eps, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(eps[0], "http://10.0.0.3:2379");
	assert_string_equal(eps[2], "http://10.0.0.5:2379");
	etcd_cluster_endpoints_free(eps, n);
	assert_int_equal(etcd_cluster_endpoints(&f.t, 5, &eps, &n), -ENOENT);
}

/* The same from a topology file, as `knetsim up` sees it. */
static const char yaml[] =
	"name: lab\n"
	"underlay:\n"
	"  subnet: 10.0.0.0/24\n"
	"clusters:\n"
	"  - name: C0\n"
	"    workers: [C0w1]\n"
	"    etcd: [C0e1, C0e2, C0e3]\n"
	"    network:\n"
	"      Network: 11.0.0.0/8\n"
	"      SubnetLen: 20\n"
	"  - name: C1\n"
	"    workers: [C1w1]\n"
	"    etcd: [C1e1]\n"
	"    network:\n"
	"      Network: 11.0.0.0/8\n"
	"links:\n"
	"  - node: C0e2\n"
	"    delay: 30ms\n"
	"  - node: C0e3\n"
	"    delay: 20ms\n"
	"    jitter: 5ms\n";

static void test_member_argv_yaml(void **state)
{
	struct topology *t;
	const struct node *n;
	char err[256], **argv;

	(void)state;
	t = topology_parse(yaml, strlen(yaml), "inline", err, sizeof(err));
	if (!t)
		fail_msg("topology_parse: %s", err);
	n = topology_node(t, "C0e1");
	assert_non_null(n);
	assert_int_equal(etcd_member_argv(t, n, "/run/knetsim/lab/etcd/C0e1",
					  &argv), 0);
	assert_string_equal(argv[0], "etcd");
	assert_string_equal(arg_value(argv, "--name"), "C0e1");
	/* C0w1 is .1, then C0's members, then C1's nodes */
	assert_string_equal(arg_value(argv, "--listen-peer-urls"),
			    "http://10.0.0.2:2380");
	assert_string_equal(arg_value(argv, "--advertise-client-urls"),
			    "http://10.0.0.2:2379");
	assert_string_equal(arg_value(argv, "--initial-cluster"),
			    "C0e1=http://10.0.0.2:2380,C0e2=http://10.0.0.3:2380,"
			    "C0e3=http://10.0.0.4:2380");
	assert_string_equal(arg_value(argv, "--initial-cluster-token"),
			    "lab-C0");
	/* slowest pair: 30 ms and 20+5 ms one way, so a 110 ms round trip */
	assert_string_equal(arg_value(argv, "--heartbeat-interval"), "110");
	assert_string_equal(arg_value(argv, "--election-timeout"), "1100");
	etcd_member_argv_free(argv);

	n = topology_node(t, "C1e1");
	assert_non_null(n);
	assert_int_equal(etcd_member_argv(t, n, "/d", &argv), 0);
	assert_string_equal(arg_value(argv, "--initial-cluster"),
			    "C1e1=http://10.0.0.6:2380");
	assert_string_equal(arg_value(argv, "--heartbeat-interval"), "50");
	etcd_member_argv_free(argv);

	assert_int_equal(etcd_member_argv(t, topology_node(t, "C1w1"), "/d",
					  &argv), -EINVAL);
	topology_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_vectors),
		cmocka_unit_test(test_base64_binary),
		cmocka_unit_test(test_base64_bad),
		cmocka_unit_test(test_etcd_requests),
		cmocka_unit_test(test_etcd_bad_answers),
		cmocka_unit_test(test_etcd_error_no_failover),
		cmocka_unit_test(test_etcd_failover),
		cmocka_unit_test(test_etcd_unavailable_failover),
		cmocka_unit_test(test_etcd_unavailable_rounds),
		cmocka_unit_test(test_etcd_health),
		cmocka_unit_test(test_etcd_open_args),
		cmocka_unit_test(test_member_argv),
		cmocka_unit_test(test_member_argv_yaml),
		cmocka_unit_test(test_timing),
		cmocka_unit_test(test_endpoints),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
