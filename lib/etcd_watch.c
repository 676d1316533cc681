// SPDX-License-Identifier: MIT
/*
 * Watches through the gateway: POST /v3/watch with one create_request; the
 * answer is a never-ending HTTP body of JSON objects, one per WatchResponse:
 *   {"result":{"header":{..},"created":true}}
 *   {"result":{"header":{..},"events":[{"type":"DELETE"?,"kv":{..}},..]}}
 *   {"result":{"header":{..},"canceled":true,"compact_revision":"N"}}
 *   {"error":{"grpc_code":N,"message":".."}}
 * (a PUT event has no "type": proto3 JSON leaves zero values out).
 *
 * One thread per watcher drives a curl multi handle: the stream, and a
 * /health probe when the stream has been silent for a while. Other threads
 * only touch the shared part under the lock, and wake the thread with
 * curl_multi_wakeup() (or the condition variable while it sleeps). The
 * event queue is non-empty exactly when the eventfd is readable: both change
 * together under the lock.
 */
#include "etcd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "etcd_priv.h"
#include "netns.h"

#define WATCH_PROBE_MS     10000      /* silence before a /health probe */
#define WATCH_POLL_MS      1000
#define WATCH_BACKOFF_MS   ETCD_BACKOFF_MS     /* after a round of failures */
#define WATCH_BACKOFF_MAX  ETCD_BACKOFF_MAX_MS /* ... doubling up to this */
#define WATCH_MAX_MSG      (64u << 20)
#define WATCH_MSG_LEN      256

/* How one connection ended. */
enum watch_end {
	WATCH_DROPPED,  /* reconnect, to the next endpoint */
	WATCH_RESYNC,   /* compacted: RESYNC queued, wait for a restart */
	WATCH_RESTART,  /* etcd_watch_restart() or etcd_watch_close() */
};

struct etcd_watch {
	/* fixed at open */
	char **endpoints;
	size_t n;
	int nsfd;
	int timeout_ms;
	char *prefix;
	int efd;
	CURLM *multi;
	pthread_t thread;
	bool started;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	/* under lock */
	bool stop;
	bool idle;           /* after a RESYNC, until a restart */
	uint64_t gen;        /* bumped by every restart */
	int64_t next_rev;    /* where to resume; 0: from now */
	size_t cur;          /* endpoint to use next */
	bool connected;
	char msg[2 * WATCH_MSG_LEN]; /* "endpoint: reason" */
	struct etcd_event *q;
	size_t qn, qcap;
};

/* One connection's state, owned by the watch thread. */
struct watch_conn {
	struct etcd_watch *w;
	uint64_t gen;
	size_t ep;
	int64_t start;
	bool established;
	bool done;           /* a message ended the stream */
	enum watch_end end;
	char msg[WATCH_MSG_LEN];
	/* the stream being framed into JSON objects */
	char *buf;
	size_t len, cap, pos, obj_start;
	uint64_t received;   /* bytes, to notice a silent stream */
	int depth;
	bool in_str, esc;
	/* the health probe */
	struct etcd_buf probe_body;
};

static void watch_setmsg(struct watch_conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void watch_setmsg(struct watch_conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void etcd_events_free(struct etcd_event *ev, size_t n)
{
	if (!ev)
		return;
	for (size_t i = 0; i < n; i++) {
		free(ev[i].key);
		free(ev[i].val);
	}
	free(ev);
}

/* ---- the queue (caller holds the lock) ---- */

static void watch_signal(struct etcd_watch *w)
{
	uint64_t one = 1;

	if (write(w->efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already far above zero */
	}
}

static void watch_drain(struct etcd_watch *w)
{
	uint64_t v;

	if (read(w->efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: nothing was signalled */
	}
}

static void watch_clear_queue(struct etcd_watch *w)
{
	etcd_events_free(w->q, w->qn);
	w->q = NULL;
	w->qn = w->qcap = 0;
	watch_drain(w);
}

/* Appends ev[0..n) (taking their buffers); -ENOMEM leaves ev to the caller. */
static int watch_enqueue(struct etcd_watch *w, struct etcd_event *ev,
			 size_t n)
{
	if (!n)
		return 0;
	if (w->qn + n > w->qcap) {
		size_t cap = w->qcap ? w->qcap : 16;
		struct etcd_event *q;

		while (cap < w->qn + n)
			cap *= 2;
		q = reallocarray(w->q, cap, sizeof(*q));
		if (!q)
			return -ENOMEM;
		w->q = q;
		w->qcap = cap;
	}
	memcpy(w->q + w->qn, ev, n * sizeof(*ev));
	w->qn += n;
	watch_signal(w);
	return 0;
}

/* ---- one message of the stream ---- */

static int watch_event_decode(const cJSON *item, struct etcd_event *ev)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
	struct etcd_kv kv;
	int ret;

	memset(ev, 0, sizeof(*ev));
	if (!cJSON_IsObject(item))
		return -EPROTO;
	if (!type || (cJSON_IsString(type) &&
		      !strcmp(type->valuestring, "PUT")))
		ev->type = ETCD_EV_PUT;
	else if (cJSON_IsString(type) && !strcmp(type->valuestring, "DELETE"))
		ev->type = ETCD_EV_DELETE;
	else
		return -EPROTO;
	ret = etcd_kv_decode(cJSON_GetObjectItemCaseSensitive(item, "kv"),
			     &kv);
	if (ret)
		return ret;
	ev->key = kv.key;
	ev->key_len = kv.key_len;
	ev->mod_revision = kv.mod_revision;
	ev->create_revision = kv.create_revision;
	ev->lease = kv.lease;
	if (ev->type == ETCD_EV_PUT) {
		ev->val = kv.val;
		ev->len = kv.len;
	} else {
		free(kv.val);
	}
	return 0;
}

/* Decodes and queues a batch of events; 0, or -errno with c->msg. */
static int watch_events(struct watch_conn *c, const cJSON *arr)
{
	struct etcd_watch *w = c->w;
	struct etcd_event *ev;
	size_t n = 0, max;
	int64_t last;
	int ret = 0;

	if (!cJSON_IsArray(arr)) {
		watch_setmsg(c, "events that are not an array");
		return -EPROTO;
	}
	max = (size_t)cJSON_GetArraySize(arr);
	if (!max)
		return 0;
	ev = calloc(max, sizeof(*ev));
	if (!ev) {
		watch_setmsg(c, "out of memory");
		return -ENOMEM;
	}
	/* the first event is new, the others of its revision or later */
	pthread_mutex_lock(&w->lock);
	last = w->next_rev;
	pthread_mutex_unlock(&w->lock);
	for (const cJSON *item = arr->child; item; item = item->next) {
		ret = watch_event_decode(item, &ev[n]);
		if (ret) {
			watch_setmsg(c, "malformed event after revision %"
				     PRId64, last);
			goto out;
		}
		if (ev[n].mod_revision < last) {
			watch_setmsg(c, "event of revision %" PRId64 " after "
				     "revision %" PRId64, ev[n].mod_revision,
				     last);
			n++;
			ret = -EPROTO;
			goto out;
		}
		last = ev[n++].mod_revision;
	}
	pthread_mutex_lock(&w->lock);
	if (w->gen == c->gen && !w->stop) {
		ret = watch_enqueue(w, ev, n);
		if (!ret) {
			w->next_rev = last + 1;
			n = 0; /* the queue owns them now */
		} else {
			watch_setmsg(c, "out of memory");
		}
	}
	pthread_mutex_unlock(&w->lock);
out:
	etcd_events_free(ev, n);
	return ret;
}

/* A canceled watch: RESYNC when the history is compacted, else a drop. */
static void watch_canceled(struct watch_conn *c, const cJSON *res)
{
	struct etcd_watch *w = c->w;
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(res,
							       "cancel_reason");
	struct etcd_event ev = { .type = ETCD_EV_RESYNC };
	int64_t compact = 0;

	c->done = true;
	c->end = WATCH_DROPPED;
	if (etcd_json_int64(cJSON_GetObjectItemCaseSensitive(res,
			    "compact_revision"), &compact) || compact <= 0) {
		watch_setmsg(c, "watch canceled: %s",
			     cJSON_IsString(reason) && reason->valuestring[0] ?
			     reason->valuestring : "no reason given");
		return;
	}
	ev.mod_revision = compact;
	pthread_mutex_lock(&w->lock);
	if (w->gen == c->gen && !w->stop) {
		if (watch_enqueue(w, &ev, 1)) {
			watch_setmsg(c, "out of memory");
		} else {
			w->idle = true;
			c->end = WATCH_RESYNC;
			watch_setmsg(c, "revision %" PRId64 " is compacted "
				     "(up to %" PRId64 "): resync needed",
				     w->next_rev, compact);
		}
	}
	pthread_mutex_unlock(&w->lock);
}

static void watch_created(struct watch_conn *c, const cJSON *res)
{
	struct etcd_watch *w = c->w;
	int64_t rev = 0;

	c->established = true;
	if (etcd_header_revision(res, &rev))
		rev = 0;
	pthread_mutex_lock(&w->lock);
	if (w->gen == c->gen) {
		/* "from now" becomes a revision to resume from */
		if (!w->next_rev && rev)
			w->next_rev = rev + 1;
		w->connected = true;
		w->msg[0] = '\0';
	}
	pthread_mutex_unlock(&w->lock);
}

/* etcd's error object, in its stream form or as a plain answer. */
static void watch_error(struct watch_conn *c, const cJSON *err,
			const cJSON *msg)
{
	const cJSON *m = cJSON_IsObject(err) ?
		cJSON_GetObjectItemCaseSensitive(err, "message") :
		(cJSON_IsString(msg) ? msg : err);

	c->done = true;
	c->end = WATCH_DROPPED;
	watch_setmsg(c, "%s", cJSON_IsString(m) ? m->valuestring :
		     "etcd reported an error");
}

static void watch_message(struct watch_conn *c, const char *text, size_t len)
{
	cJSON *j = cJSON_ParseWithLength(text, len);
	const cJSON *res, *err, *ev;

	res = cJSON_GetObjectItemCaseSensitive(j, "result");
	err = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (!cJSON_IsObject(j) || (!res && !err) ||
	    (res && !cJSON_IsObject(res))) {
		c->done = true;
		c->end = WATCH_DROPPED;
		watch_setmsg(c, "an answer that is not a watch response");
	} else if (err) {
		watch_error(c, err,
			    cJSON_GetObjectItemCaseSensitive(j, "message"));
	} else {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(res,
								  "created")))
			watch_created(c, res);
		ev = cJSON_GetObjectItemCaseSensitive(res, "events");
		if (ev && watch_events(c, ev)) {
			c->done = true;
			c->end = WATCH_DROPPED;
		}
		if (!c->done && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
				res, "canceled")))
			watch_canceled(c, res);
	}
	cJSON_Delete(j);
}

/* ---- framing: top-level JSON objects out of the byte stream ---- */

static void watch_frame(struct watch_conn *c)
{
	for (; c->pos < c->len && !c->done; c->pos++) {
		char ch = c->buf[c->pos];

		if (c->in_str) {
			if (c->esc)
				c->esc = false;
			else if (ch == '\\')
				c->esc = true;
			else if (ch == '"')
				c->in_str = false;
			continue;
		}
		if (!c->depth) {
			if (ch == ' ' || ch == '\n' || ch == '\r' ||
			    ch == '\t')
				continue;
			if (ch != '{') {
				c->done = true;
				c->end = WATCH_DROPPED;
				watch_setmsg(c, "an answer that is not JSON");
				return;
			}
			c->obj_start = c->pos;
		}
		if (ch == '"') {
			c->in_str = true;
		} else if (ch == '{' || ch == '[') {
			c->depth++;
		} else if (ch == '}' || ch == ']') {
			if (--c->depth == 0)
				watch_message(c, c->buf + c->obj_start,
					      c->pos + 1 - c->obj_start);
		}
	}
	/* keep only the unfinished object */
	if (!c->depth) {
		c->len = 0;
		c->pos = 0;
	} else if (c->obj_start) {
		memmove(c->buf, c->buf + c->obj_start, c->len - c->obj_start);
		c->len -= c->obj_start;
		c->pos -= c->obj_start;
		c->obj_start = 0;
	}
}

static size_t watch_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct watch_conn *c = arg;
	size_t n = size * nmemb;

	if (c->done)
		return 0;
	if (n > WATCH_MAX_MSG - c->len) {
		c->done = true;
		c->end = WATCH_DROPPED;
		watch_setmsg(c, "a watch response above %u bytes",
			     WATCH_MAX_MSG);
		return 0;
	}
	if (c->len + n > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *p;

		while (cap < c->len + n)
			cap *= 2;
		p = realloc(c->buf, cap);
		if (!p) {
			c->done = true;
			c->end = WATCH_DROPPED;
			watch_setmsg(c, "out of memory");
			return 0;
		}
		c->buf = p;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, ptr, n);
	c->len += n;
	c->received += n;
	watch_frame(c);
	return c->done ? 0 : n;
}

static size_t watch_probe_write(char *ptr, size_t size, size_t nmemb,
				void *arg)
{
	struct etcd_buf *b = arg;
	size_t n = size * nmemb;
	char *p;

	if (n > 4096 - b->len)
		return 0;
	p = realloc(b->data, b->len + n + 1);
	if (!p)
		return 0;
	memcpy(p + b->len, ptr, n);
	b->data = p;
	b->len += n;
	p[b->len] = '\0';
	return n;
}

/* ---- one connection ---- */

static curl_socket_t watch_opensocket(void *arg, curlsocktype purpose,
				      struct curl_sockaddr *addr)
{
	struct etcd_watch *w = arg;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	fd = netns_socket(w->nsfd, addr->family, addr->socktype | SOCK_CLOEXEC,
			  addr->protocol);
	return fd < 0 ? CURL_SOCKET_BAD : fd;
}

static CURL *watch_easy(struct etcd_watch *w, const char *url,
			struct curl_slist *headers, char *errbuf)
{
	CURL *h = curl_easy_init();

	if (!h)
		return NULL;
	if (curl_easy_setopt(h, CURLOPT_URL, url) ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(h, CURLOPT_NOPROXY, "*") ||
	    curl_easy_setopt(h, CURLOPT_PROXY, "") ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http") ||
#else
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS, CURLPROTO_HTTP) ||
#endif
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			     (long)w->timeout_ms) ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION,
			     watch_opensocket) ||
	    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, w) ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf) ||
	    (headers && curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers))) {
		curl_easy_cleanup(h);
		return NULL;
	}
	return h;
}

/* The body of the watch request. */
static char *watch_body(const char *prefix, int64_t start)
{
	cJSON *root = cJSON_CreateObject(), *req = NULL;
	char num[24];
	char *body = NULL;

	if (root && !etcd_prefix_request(prefix, &req)) {
		snprintf(num, sizeof(num), "%" PRId64, start);
		if ((!start || cJSON_AddStringToObject(req, "start_revision",
						       num)) &&
		    cJSON_AddItemToObject(root, "create_request", req)) {
			req = NULL;
			body = cJSON_PrintUnformatted(root);
		}
	}
	cJSON_Delete(req);
	cJSON_Delete(root);
	return body;
}

static bool watch_interrupted(struct watch_conn *c)
{
	struct etcd_watch *w = c->w;
	bool ret;

	pthread_mutex_lock(&w->lock);
	ret = w->stop || w->gen != c->gen;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

/* A finished /health probe: true when the member is healthy. */
static bool watch_probe_ok(struct watch_conn *c, CURL *h, CURLcode rc)
{
	long status = 0;
	cJSON *j;
	const cJSON *health;
	bool ok;

	if (rc != CURLE_OK) {
		watch_setmsg(c, "member did not answer a health check: %s",
			     curl_easy_strerror(rc));
		return false;
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	j = c->probe_body.data ?
		cJSON_ParseWithLength(c->probe_body.data, c->probe_body.len) :
		NULL;
	health = cJSON_GetObjectItemCaseSensitive(j, "health");
	ok = status == 200 && cJSON_IsString(health) &&
	     !strcmp(health->valuestring, "true");
	cJSON_Delete(j);
	if (!ok)
		watch_setmsg(c, "member is not healthy (HTTP %ld)", status);
	return ok;
}

struct watch_handles {
	CURL *stream, *probe;
	struct curl_slist *headers;
	char stream_err[CURL_ERROR_SIZE], probe_err[CURL_ERROR_SIZE];
	char url[512], probe_url[512];
	char *body;
};

static int watch_start_probe(struct watch_conn *c, struct watch_handles *hs)
{
	struct etcd_watch *w = c->w;

	free(c->probe_body.data);
	memset(&c->probe_body, 0, sizeof(c->probe_body));
	hs->probe = watch_easy(w, hs->probe_url, NULL, hs->probe_err);
	if (!hs->probe ||
	    curl_easy_setopt(hs->probe, CURLOPT_HTTPGET, 1L) ||
	    curl_easy_setopt(hs->probe, CURLOPT_TIMEOUT_MS,
			     (long)w->timeout_ms) ||
	    curl_easy_setopt(hs->probe, CURLOPT_WRITEFUNCTION,
			     watch_probe_write) ||
	    curl_easy_setopt(hs->probe, CURLOPT_WRITEDATA, &c->probe_body) ||
	    curl_multi_add_handle(w->multi, hs->probe)) {
		curl_easy_cleanup(hs->probe);
		hs->probe = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void watch_stop_probe(struct watch_conn *c, struct watch_handles *hs)
{
	if (hs->probe) {
		curl_multi_remove_handle(c->w->multi, hs->probe);
		curl_easy_cleanup(hs->probe);
		hs->probe = NULL;
	}
	free(c->probe_body.data);
	memset(&c->probe_body, 0, sizeof(c->probe_body));
}

/* What curl's finished transfers mean for the connection. */
static void watch_finished(struct watch_conn *c, struct watch_handles *hs,
			   int64_t *last_data)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(c->w->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		if (m->easy_handle == hs->probe) {
			bool ok = watch_probe_ok(c, hs->probe, m->data.result);

			watch_stop_probe(c, hs);
			if (!ok && !c->done) {
				c->done = true;
				c->end = WATCH_DROPPED;
			}
			*last_data = now_ms();
			return; /* m is invalid once its handle is gone */
		}
		if (m->easy_handle == hs->stream && !c->done) {
			long status = 0;

			curl_easy_getinfo(hs->stream, CURLINFO_RESPONSE_CODE,
					  &status);
			c->done = true;
			c->end = WATCH_DROPPED;
			if (m->data.result != CURLE_OK)
				watch_setmsg(c, "%s", hs->stream_err[0] ?
					hs->stream_err :
					curl_easy_strerror(m->data.result));
			else
				watch_setmsg(c, "stream ended (HTTP %ld)",
					     status);
		}
	}
}

static int watch_setup(struct watch_conn *c, struct watch_handles *hs)
{
	struct etcd_watch *w = c->w;
	const char *ep = w->endpoints[c->ep];

	if ((size_t)snprintf(hs->url, sizeof(hs->url), "%s/v3/watch", ep) >=
	    sizeof(hs->url) ||
	    (size_t)snprintf(hs->probe_url, sizeof(hs->probe_url), "%s/health",
			     ep) >= sizeof(hs->probe_url)) {
		watch_setmsg(c, "endpoint URL too long");
		return -ENAMETOOLONG;
	}
	hs->body = watch_body(w->prefix, c->start);
	hs->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* ask etcd to end the stream when this member loses its leader */
	if (hs->headers &&
	    (!curl_slist_append(hs->headers, "Grpc-Metadata-Hasleader: true") ||
	     !curl_slist_append(hs->headers, "Expect:"))) {
		curl_slist_free_all(hs->headers);
		hs->headers = NULL;
	}
	if (hs->body && hs->headers)
		hs->stream = watch_easy(w, hs->url, hs->headers,
					hs->stream_err);
	if (!hs->stream ||
	    curl_easy_setopt(hs->stream, CURLOPT_POSTFIELDS, hs->body) ||
	    curl_easy_setopt(hs->stream, CURLOPT_WRITEFUNCTION, watch_write) ||
	    curl_easy_setopt(hs->stream, CURLOPT_WRITEDATA, c) ||
	    curl_easy_setopt(hs->stream, CURLOPT_TCP_KEEPALIVE, 1L) ||
	    curl_multi_add_handle(w->multi, hs->stream)) {
		watch_setmsg(c, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static void watch_teardown(struct watch_conn *c, struct watch_handles *hs)
{
	watch_stop_probe(c, hs);
	if (hs->stream) {
		curl_multi_remove_handle(c->w->multi, hs->stream);
		curl_easy_cleanup(hs->stream);
	}
	curl_slist_free_all(hs->headers);
	free(hs->body);
	free(c->buf);
	c->buf = NULL;
}

/* Streams from one endpoint until the connection ends. */
static enum watch_end watch_connection(struct watch_conn *c)
{
	struct watch_handles hs = { 0 };
	int64_t last_data = now_ms();
	int running;

	if (watch_setup(c, &hs)) {
		watch_teardown(c, &hs);
		return WATCH_DROPPED;
	}
	for (;;) {
		uint64_t before = c->received;
		int wait_ms = WATCH_POLL_MS;
		int64_t idle;

		if (curl_multi_perform(c->w->multi, &running) != CURLM_OK) {
			watch_setmsg(c, "curl failed");
			c->done = true;
			c->end = WATCH_DROPPED;
		}
		if (c->received != before)
			last_data = now_ms();
		watch_finished(c, &hs, &last_data);
		if (watch_interrupted(c)) {
			c->done = true;
			c->end = WATCH_RESTART;
		}
		if (c->done)
			break;
		idle = now_ms() - last_data;
		if (!hs.probe && idle >= WATCH_PROBE_MS &&
		    watch_start_probe(c, &hs)) {
			watch_setmsg(c, "out of memory");
			c->end = WATCH_DROPPED;
			break;
		}
		if (!hs.probe && WATCH_PROBE_MS - idle < wait_ms)
			wait_ms = (int)(WATCH_PROBE_MS - idle);
		curl_multi_poll(c->w->multi, NULL, 0, wait_ms, NULL);
	}
	watch_teardown(c, &hs);
	return c->end;
}

/* ---- the thread ---- */

/* Sleeps ms unless stopped or restarted; caller holds the lock. */
static void watch_sleep(struct etcd_watch *w, uint64_t gen, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!w->stop && w->gen == gen &&
	       pthread_cond_timedwait(&w->cond, &w->lock, &ts) != ETIMEDOUT)
		;
}

static void *watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	int backoff = WATCH_BACKOFF_MS;
	size_t failures = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct watch_conn c = { .w = w };
		enum watch_end end;

		if (w->idle) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		c.gen = w->gen;
		c.ep = w->cur;
		c.start = w->next_rev;
		pthread_mutex_unlock(&w->lock);

		end = watch_connection(&c);

		pthread_mutex_lock(&w->lock);
		w->connected = false;
		if (end == WATCH_RESTART || w->gen != c.gen)
			continue;
		snprintf(w->msg, sizeof(w->msg), "%s: %s",
			 w->endpoints[c.ep], c.msg);
		if (end == WATCH_RESYNC)
			continue;
		w->cur = (c.ep + 1) % w->n;
		if (c.established) {
			failures = 0;
			backoff = WATCH_BACKOFF_MS;
		} else if (++failures >= w->n) {
			watch_sleep(w, c.gen, backoff);
			failures = 0;
			backoff = backoff * 2 > WATCH_BACKOFF_MAX ?
				  WATCH_BACKOFF_MAX : backoff * 2;
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* ---- the caller's side ---- */

static void watch_free(struct etcd_watch *w)
{
	if (w->endpoints)
		for (size_t i = 0; i < w->n; i++)
			free(w->endpoints[i]);
	free(w->endpoints);
	free(w->prefix);
	if (w->multi)
		curl_multi_cleanup(w->multi);
	if (w->efd >= 0)
		close(w->efd);
	if (w->nsfd >= 0)
		close(w->nsfd);
	etcd_events_free(w->q, w->qn);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static int watch_copy_client(struct etcd_watch *w, const struct etcd *e)
{
	w->endpoints = calloc(e->n, sizeof(*w->endpoints));
	if (!w->endpoints)
		return -ENOMEM;
	w->n = e->n;
	for (size_t i = 0; i < e->n; i++) {
		w->endpoints[i] = strdup(e->endpoints[i]);
		if (!w->endpoints[i])
			return -ENOMEM;
	}
	w->cur = e->cur < e->n ? e->cur : 0;
	w->timeout_ms = e->timeout_ms;
	if (e->nsfd >= 0) {
		w->nsfd = fcntl(e->nsfd, F_DUPFD_CLOEXEC, 0);
		if (w->nsfd < 0)
			return -errno;
	}
	return 0;
}

static int watch_init(struct etcd_watch *w)
{
	pthread_condattr_t ca;
	int ret;

	ret = pthread_condattr_init(&ca);
	if (ret)
		return -ret;
	ret = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	if (!ret)
		ret = pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (ret)
		return -ret;
	ret = pthread_mutex_init(&w->lock, NULL);
	if (ret) {
		pthread_cond_destroy(&w->cond);
		return -ret;
	}
	return 0;
}

/* The thread blocks every signal: they stay with the caller's threads. */
static int watch_spawn(struct etcd_watch *w)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&w->thread, NULL, watch_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		return -ret;
	w->started = true;
	return 0;
}

int etcd_watch_open(struct etcd *e, const char *prefix,
		    int64_t start_revision, struct etcd_watch **out)
{
	struct etcd_watch *w;
	int ret;

	if (!e || !prefix || !out || start_revision < 0)
		return -EINVAL;
	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	ret = watch_init(w);
	if (ret) {
		free(w);
		return ret;
	}
	w->nsfd = -1;
	w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	w->next_rev = start_revision;
	w->prefix = strdup(prefix);
	w->multi = curl_multi_init();
	ret = w->efd < 0 ? -errno : 0;
	if (!ret && (!w->prefix || !w->multi))
		ret = -ENOMEM;
	if (!ret)
		ret = watch_copy_client(w, e);
	if (!ret)
		ret = watch_spawn(w);
	if (ret) {
		watch_free(w);
		etcd_seterr(e, "cannot start a watch: %s", strerror(-ret));
		return ret;
	}
	snprintf(w->msg, sizeof(w->msg), "connecting");
	*out = w;
	return 0;
}

static void watch_kick(struct etcd_watch *w)
{
	pthread_cond_broadcast(&w->cond);
	curl_multi_wakeup(w->multi);
}

void etcd_watch_close(struct etcd_watch *w)
{
	if (!w)
		return;
	if (w->started) {
		pthread_mutex_lock(&w->lock);
		w->stop = true;
		watch_kick(w);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
	}
	watch_free(w);
}

int etcd_watch_fd(const struct etcd_watch *w)
{
	return w ? w->efd : -EINVAL;
}

int etcd_watch_next(struct etcd_watch *w, int timeout_ms,
		    struct etcd_event **ev, size_t *n)
{
	struct pollfd pfd;

	if (!w || !ev || !n)
		return -EINVAL;
	*ev = NULL;
	*n = 0;
	pthread_mutex_lock(&w->lock);
	if (!w->qn && timeout_ms) {
		pthread_mutex_unlock(&w->lock);
		pfd.fd = w->efd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms) < 0)
			return -errno;
		pthread_mutex_lock(&w->lock);
	}
	*ev = w->q;
	*n = w->qn;
	w->q = NULL;
	w->qn = w->qcap = 0;
	watch_drain(w);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int etcd_watch_restart(struct etcd_watch *w, int64_t start_revision)
{
	if (!w || start_revision < 0)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	w->gen++;
	w->next_rev = start_revision;
	w->idle = false;
	watch_clear_queue(w);
	watch_kick(w);
	pthread_mutex_unlock(&w->lock);
	return 0;
}

int64_t etcd_watch_revision(struct etcd_watch *w)
{
	int64_t rev;

	if (!w)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	rev = w->next_rev;
	pthread_mutex_unlock(&w->lock);
	return rev;
}

bool etcd_watch_status(struct etcd_watch *w, char *msg, size_t len)
{
	bool up;

	if (!w)
		return false;
	pthread_mutex_lock(&w->lock);
	up = w->connected;
	if (msg && len)
		snprintf(msg, len, "%s", up ? "watching" : w->msg);
	pthread_mutex_unlock(&w->lock);
	return up;
}
