// SPDX-License-Identifier: MIT
/*
 * etcd v3 through its JSON gateway (etcd 3.4: POST /v3/kv/..., keys and
 * values base64, 64-bit numbers as strings; GET /health).
 *
 * One curl easy handle per client, so connections are kept alive. Sockets
 * come from an open-socket callback that creates them inside the client's
 * namespace. A request goes to the endpoint that last answered; when it
 * cannot be reached (refused, timed out, no route, garbage answer) the next
 * endpoint is tried, in order, until each has been tried once. An answer
 * from etcd ends the request, even an error, unless it says this member
 * cannot serve now (gRPC Unavailable, HTTP 503: "etcdserver: no leader",
 * "leader changed", "request timed out"): that counts as unreachable, and
 * a round of such answers is retried after a backoff (100 ms doubling, as
 * the watcher's) while the client's timeout allows.
 *
 * Every request asks for a leader (Grpc-Metadata-Hasleader), so a member
 * cut off from its quorum answers "no leader" at once rather than holding
 * the request until it times out. Retrying after Unavailable is as safe as
 * the failover on a timed-out connection: writes are puts and deletes
 * (idempotent) or compare-and-swap transactions, whose replay after an
 * applied first attempt fails visibly (-EEXIST, -ECANCELED) rather than
 * writing twice.
 */
#include "etcd.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "base64.h"
#include "etcd_priv.h"
#include "netns.h"

static pthread_once_t etcd_curl_once = PTHREAD_ONCE_INIT;
static CURLcode etcd_curl_init_ret = CURLE_FAILED_INIT;

static void etcd_curl_global_init(void)
{
	etcd_curl_init_ret = curl_global_init(CURL_GLOBAL_DEFAULT);
}

void etcd_seterr(struct etcd *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->err, sizeof(e->err), fmt, ap);
	va_end(ap);
}

/* Appends to e->err after "; " (used when every endpoint failed). */
static void etcd_adderr(struct etcd *e, const char *endpoint, const char *msg)
{
	size_t used = strlen(e->err);

	if (used >= sizeof(e->err) - 1)
		return;
	snprintf(e->err + used, sizeof(e->err) - used, "%s%s: %s",
		 used ? "; " : "", endpoint, msg);
}

static curl_socket_t etcd_opensocket(void *arg, curlsocktype purpose,
				     struct curl_sockaddr *addr)
{
	struct etcd *e = arg;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	if (e->nsfd < 0)
		fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC,
			    addr->protocol);
	else
		fd = netns_socket(e->nsfd, addr->family,
				  addr->socktype | SOCK_CLOEXEC, addr->protocol);
	if (fd < 0) {
		e->sock_errno = e->nsfd < 0 ? errno : -fd;
		return CURL_SOCKET_BAD;
	}
	return fd;
}

static size_t etcd_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct etcd_buf *b = arg;
	size_t n = size * nmemb;

	if (n > ETCD_MAX_RESPONSE - b->len)
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p)
			return 0;
		b->data = p;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static void etcd_free_endpoints(char **endpoints, size_t n)
{
	if (!endpoints)
		return;
	for (size_t i = 0; i < n; i++)
		free(endpoints[i]);
	free(endpoints);
}

static int etcd_setup_curl(struct etcd *e)
{
	CURL *c = e->curl;

	e->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (!e->headers)
		return -ENOMEM;
	/* no "Expect: 100-continue" round trip before large bodies */
	if (!curl_slist_append(e->headers, "Expect:"))
		return -ENOMEM;
	/* a member without a leader refuses at once: try another */
	if (!curl_slist_append(e->headers, "Grpc-Metadata-Hasleader: true"))
		return -ENOMEM;
	if (curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L) ||
	    curl_easy_setopt(c, CURLOPT_NOPROXY, "*") ||
	    curl_easy_setopt(c, CURLOPT_PROXY, "") ||
#if LIBCURL_VERSION_NUM >= 0x075500
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http") ||
#else
	    curl_easy_setopt(c, CURLOPT_PROTOCOLS, CURLPROTO_HTTP) ||
#endif
	    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L) ||
	    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)e->timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			     (long)e->timeout_ms) ||
	    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, etcd_opensocket) ||
	    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, e) ||
	    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, etcd_write) ||
	    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, e->curl_err))
		return -EINVAL;
	return 0;
}

struct etcd *etcd_open(const char *const *endpoints, size_t n, int nsfd,
		       int timeout_ms)
{
	struct etcd *e;

	if (!endpoints || !n || timeout_ms <= 0)
		return NULL;
	pthread_once(&etcd_curl_once, etcd_curl_global_init);
	if (etcd_curl_init_ret != CURLE_OK)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->nsfd = -1;
	e->timeout_ms = timeout_ms;
	/* our own reference, so the caller may close theirs */
	if (nsfd >= 0) {
		e->nsfd = fcntl(nsfd, F_DUPFD_CLOEXEC, 0);
		if (e->nsfd < 0)
			goto err;
	}
	e->endpoints = calloc(n, sizeof(*e->endpoints));
	if (!e->endpoints)
		goto err;
	e->n = n;
	for (size_t i = 0; i < n; i++) {
		if (!endpoints[i])
			goto err;
		e->endpoints[i] = strdup(endpoints[i]);
		if (!e->endpoints[i])
			goto err;
		/* "http://a:2379/" and "http://a:2379" mean the same */
		size_t len = strlen(e->endpoints[i]);

		while (len && e->endpoints[i][len - 1] == '/')
			e->endpoints[i][--len] = '\0';
	}
	e->curl = curl_easy_init();
	if (!e->curl || etcd_setup_curl(e))
		goto err;
	return e;
err:
	etcd_close(e);
	return NULL;
}

void etcd_close(struct etcd *e)
{
	if (!e)
		return;
	if (e->curl)
		curl_easy_cleanup(e->curl);
	curl_slist_free_all(e->headers);
	etcd_free_endpoints(e->endpoints, e->n);
	if (e->nsfd >= 0)
		close(e->nsfd);
	free(e);
}

const char *etcd_error(const struct etcd *e)
{
	if (!e)
		return "no etcd client";
	return e->err[0] ? e->err : "no error";
}

/* "connection refused" from ECONNREFUSED, as in etcd's own messages. */
static void etcd_strerror(int err, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(err));
	if (buf[0] && isupper((unsigned char)buf[0]) &&
	    !isupper((unsigned char)buf[1]))
		buf[0] = (char)tolower((unsigned char)buf[0]);
}

/* Turns a transport failure into -errno and a message. */
static int etcd_transport_error(struct etcd *e, CURLcode rc, char *msg,
				size_t len)
{
	long oserr = 0;

	curl_easy_getinfo(e->curl, CURLINFO_OS_ERRNO, &oserr);
	if (e->sock_errno) {
		char tmp[128];

		etcd_strerror(e->sock_errno, tmp, sizeof(tmp));
		snprintf(msg, len, "cannot open a socket in the namespace: %s",
			 tmp);
		return -e->sock_errno;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(msg, len, "no answer within %d ms", e->timeout_ms);
		return -ETIMEDOUT;
	}
	if (rc == CURLE_COULDNT_CONNECT && oserr > 0) {
		etcd_strerror((int)oserr, msg, len);
		return -(int)oserr;
	}
	snprintf(msg, len, "%s", e->curl_err[0] ? e->curl_err :
		 curl_easy_strerror(rc));
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* gRPC status codes (as etcd's gateway reports them) to errno. */
int etcd_grpc_errno(int code)
{
	switch (code) {
	case 3:  return -EINVAL;     /* InvalidArgument */
	case 4:  return -ETIMEDOUT;  /* DeadlineExceeded */
	case 5:  return -ENOENT;     /* NotFound (e.g. lease) */
	case 6:  return -EEXIST;     /* AlreadyExists */
	case 7:  return -EACCES;     /* PermissionDenied */
	case 8:  return -ENOSPC;     /* ResourceExhausted (quota) */
	case 9:  return -EPERM;      /* FailedPrecondition */
	case 10: return -ECANCELED;  /* Aborted */
	case 11: return -ERANGE;     /* OutOfRange (compacted) */
	case 12: return -EOPNOTSUPP; /* Unimplemented */
	case 14: return -EAGAIN;     /* Unavailable (no leader) */
	case 16: return -EACCES;     /* Unauthenticated */
	default: return -EIO;
	}
}

/*
 * One HTTP exchange with endpoint ep: POST body to path, or GET when body
 * is NULL. Returns 0 when an answer with a JSON object came back (its HTTP
 * status in *status, the object in *out), or -errno with msg when the
 * endpoint could not be reached or did not answer like etcd.
 */
static int etcd_exchange(struct etcd *e, size_t ep, const char *path,
			 const char *body, long *status, cJSON **out,
			 char *msg, size_t len)
{
	struct etcd_buf b = { 0 };
	char url[512];
	CURLcode rc;
	cJSON *j;

	*out = NULL;
	if ((size_t)snprintf(url, sizeof(url), "%s%s", e->endpoints[ep],
			     path) >= sizeof(url)) {
		snprintf(msg, len, "endpoint URL too long");
		return -ENAMETOOLONG;
	}
	e->sock_errno = 0;
	e->curl_err[0] = '\0';
	curl_easy_setopt(e->curl, CURLOPT_URL, url);
	curl_easy_setopt(e->curl, CURLOPT_WRITEDATA, &b);
	if (body) {
		curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, e->headers);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(e->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
	} else {
		curl_easy_setopt(e->curl, CURLOPT_HTTPHEADER, NULL);
		curl_easy_setopt(e->curl, CURLOPT_HTTPGET, 1L);
	}
	rc = curl_easy_perform(e->curl);
	if (rc != CURLE_OK) {
		free(b.data);
		return etcd_transport_error(e, rc, msg, len);
	}
	*status = 0;
	curl_easy_getinfo(e->curl, CURLINFO_RESPONSE_CODE, status);
	j = b.data ? cJSON_ParseWithLength(b.data, b.len) : NULL;
	free(b.data);
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		snprintf(msg, len, "HTTP %ld with a body that is not JSON",
			 *status);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

/* etcd's {"error","message","code"} as -errno with the message, or
 * -EPROTO when the object is not an etcd error. */
static int etcd_error_answer(const cJSON *j, long status, char *msg,
			     size_t len)
{
	const cJSON *m, *code;

	m = cJSON_GetObjectItemCaseSensitive(j, "message");
	if (!cJSON_IsString(m))
		m = cJSON_GetObjectItemCaseSensitive(j, "error");
	if (!cJSON_IsString(m)) {
		snprintf(msg, len, "HTTP %ld without an error message", status);
		return -EPROTO;
	}
	snprintf(msg, len, "%s", m->valuestring);
	code = cJSON_GetObjectItemCaseSensitive(j, "code");
	return cJSON_IsNumber(code) ? etcd_grpc_errno(code->valueint) : -EIO;
}

/* Whether an error answer says this member cannot serve now (gRPC
 * Unavailable, which the gateway sends as HTTP 503), so another may. */
static bool etcd_unavailable(long status, int ret)
{
	return status == 503 || ret == -EAGAIN;
}

/* A stream's error in an HTTP 200 answer (lease keepalive):
 * {"error":{"grpc_code":14,"message":..}} is -EAGAIN with the message;
 * anything else is left to the caller (0). */
static int etcd_stream_unavailable(const cJSON *j, char *msg, size_t len)
{
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *code, *m;

	if (!cJSON_IsObject(err))
		return 0;
	code = cJSON_GetObjectItemCaseSensitive(err, "grpc_code");
	if (!cJSON_IsNumber(code) || etcd_grpc_errno(code->valueint) != -EAGAIN)
		return 0;
	m = cJSON_GetObjectItemCaseSensitive(err, "message");
	snprintf(msg, len, "%s", cJSON_IsString(m) ? m->valuestring :
		 "unavailable");
	return -EAGAIN;
}

/*
 * One round: each endpoint once, from the one that answered last. 0 and
 * the answer in *out; an error etcd gave (final); or, when no member
 * served, -EAGAIN if one at least answered it could not (*retry set), else
 * the last endpoint's transport error. e->err describes the round.
 */
static int etcd_round(struct etcd *e, const char *path, const char *body,
		      cJSON **out, bool *retry)
{
	int ret = -EIO;

	*retry = false;
	e->err[0] = '\0';
	for (size_t i = 0; i < e->n; i++) {
		size_t ep = (e->cur + i) % e->n;
		char msg[256] = "";
		long status = 0;
		cJSON *j;

		ret = etcd_exchange(e, ep, path, body, &status, &j, msg,
				    sizeof(msg));
		if (!ret && status != 200) {
			ret = etcd_error_answer(j, status, msg, sizeof(msg));
			cJSON_Delete(j);
			if (etcd_unavailable(status, ret)) {
				ret = -EAGAIN;
				*retry = true;
			} else if (ret != -EPROTO) { /* etcd said no */
				e->cur = ep;
				etcd_seterr(e, "%s: %s", e->endpoints[ep], msg);
				return ret;
			}
		} else if (!ret) {
			ret = etcd_stream_unavailable(j, msg, sizeof(msg));
			if (!ret) {
				e->cur = ep;
				e->err[0] = '\0';
				*out = j;
				return 0;
			}
			cJSON_Delete(j);
			*retry = true;
		}
		etcd_adderr(e, e->endpoints[ep], msg);
	}
	return *retry ? -EAGAIN : ret;
}

static int64_t etcd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void etcd_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000,
			       .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* A request with failover; 0 and the answer in *out, or -errno. */
int etcd_call(struct etcd *e, const char *path, cJSON *req, cJSON **out)
{
	char *body = cJSON_PrintUnformatted(req);
	int backoff = ETCD_BACKOFF_MS;
	int64_t deadline;
	bool retry;
	int ret;

	*out = NULL;
	e->err[0] = '\0';
	if (!body) {
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	/* Another round only when its backoff still ends within the
	 * client's timeout, counted from the start of the request. */
	deadline = etcd_now_ms() + e->timeout_ms;
	for (;;) {
		ret = etcd_round(e, path, body, out, &retry);
		if (!ret || !retry || etcd_now_ms() + backoff > deadline)
			break;
		etcd_sleep_ms(backoff);
		backoff = backoff * 2 > ETCD_BACKOFF_MAX_MS ?
			  ETCD_BACKOFF_MAX_MS : backoff * 2;
	}
	free(body);
	return ret;
}

/* Adds name: base64(data) to obj. */
int etcd_add_b64(cJSON *obj, const char *name, const void *data,
		 size_t len)
{
	char *enc = base64_encode(data, len);
	cJSON *item;

	if (!enc)
		return -ENOMEM;
	item = cJSON_AddStringToObject(obj, name, enc);
	free(enc);
	return item ? 0 : -ENOMEM;
}

/* A request object {"key": base64(key)}. */
int etcd_key_request(struct etcd *e, const char *key, cJSON **out)
{
	cJSON *req;

	if (!key || !*key) {
		etcd_seterr(e, "empty key");
		return -EINVAL;
	}
	req = cJSON_CreateObject();
	if (!req || etcd_add_b64(req, "key", key, strlen(key))) {
		cJSON_Delete(req);
		etcd_seterr(e, "out of memory");
		return -ENOMEM;
	}
	*out = req;
	return 0;
}

int etcd_put(struct etcd *e, const char *key, const char *val, size_t len,
	     int64_t lease)
{
	cJSON *req, *resp;
	char num[24];
	int ret;

	if (!e || (!val && len))
		return -EINVAL;
	ret = etcd_key_request(e, key, &req);
	if (ret)
		return ret;
	ret = etcd_add_b64(req, "value", val ? val : "", len);
	if (!ret && lease) {
		snprintf(num, sizeof(num), "%" PRId64, lease);
		if (!cJSON_AddStringToObject(req, "lease", num))
			ret = -ENOMEM;
	}
	if (ret) {
		etcd_seterr(e, "out of memory");
		cJSON_Delete(req);
		return ret;
	}
	ret = etcd_call(e, "/v3/kv/put", req, &resp);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return ret;
}

/* etcd writes 64-bit integers as JSON strings; accepts numbers as well. */
int etcd_json_int64(const cJSON *item, int64_t *out)
{
	char *end;
	long long v;

	if (!item) {
		*out = 0; /* proto3 JSON omits zero values */
		return 0;
	}
	if (cJSON_IsNumber(item)) {
		*out = (int64_t)item->valuedouble;
		return 0;
	}
	if (!cJSON_IsString(item) || !item->valuestring[0])
		return -EPROTO;
	errno = 0;
	v = strtoll(item->valuestring, &end, 10);
	if (errno || *end)
		return -EPROTO;
	*out = v;
	return 0;
}

/* Picks the value and revision out of a range answer. */
static int etcd_range_value(struct etcd *e, const char *key, cJSON *resp,
			    char **val, size_t *len, int64_t *mod_revision)
{
	const cJSON *kvs = cJSON_GetObjectItemCaseSensitive(resp, "kvs");
	const cJSON *kv, *v;
	int64_t rev;
	size_t n;
	char *data;
	int ret;

	if (!kvs || (cJSON_IsArray(kvs) && !cJSON_GetArraySize(kvs))) {
		etcd_seterr(e, "%s: key not found", key);
		return -ENOENT;
	}
	kv = cJSON_IsArray(kvs) ? cJSON_GetArrayItem(kvs, 0) : NULL;
	if (!cJSON_IsObject(kv))
		goto bad;
	v = cJSON_GetObjectItemCaseSensitive(kv, "value");
	if (etcd_json_int64(cJSON_GetObjectItemCaseSensitive(kv,
			    "mod_revision"), &rev))
		goto bad;
	if (!v) { /* an empty value is left out */
		data = strdup("");
		n = 0;
		if (!data)
			return -ENOMEM;
	} else if (!cJSON_IsString(v)) {
		goto bad;
	} else {
		ret = base64_decode(v->valuestring, strlen(v->valuestring),
				    &data, &n);
		if (ret == -EINVAL)
			goto bad;
		if (ret)
			return ret;
	}
	if (val)
		*val = data;
	else
		free(data);
	if (len)
		*len = n;
	if (mod_revision)
		*mod_revision = rev;
	return 0;
bad:
	etcd_seterr(e, "%s: malformed range answer for %s",
		    e->endpoints[e->cur], key);
	return -EPROTO;
}

int etcd_get(struct etcd *e, const char *key, char **val, size_t *len,
	     int64_t *mod_revision)
{
	cJSON *req, *resp;
	int ret;

	if (!e)
		return -EINVAL;
	ret = etcd_key_request(e, key, &req);
	if (ret)
		return ret;
	ret = etcd_call(e, "/v3/kv/range", req, &resp);
	cJSON_Delete(req);
	if (!ret)
		ret = etcd_range_value(e, key, resp, val, len, mod_revision);
	cJSON_Delete(resp);
	return ret;
}

int etcd_delete(struct etcd *e, const char *key)
{
	cJSON *req, *resp;
	int ret;

	if (!e)
		return -EINVAL;
	ret = etcd_key_request(e, key, &req);
	if (ret)
		return ret;
	ret = etcd_call(e, "/v3/kv/deleterange", req, &resp);
	cJSON_Delete(req);
	cJSON_Delete(resp);
	return ret;
}

int etcd_health(struct etcd *e, size_t endpoint)
{
	const cJSON *h, *reason;
	cJSON *resp = NULL;
	char msg[256] = "";
	long status;
	int ret;

	if (!e)
		return -EINVAL;
	if (endpoint >= e->n) {
		etcd_seterr(e, "no endpoint %zu", endpoint);
		return -EINVAL;
	}
	/* etcd answers 503 with {"health":"false"} when it is unhealthy */
	ret = etcd_exchange(e, endpoint, "/health", NULL, &status, &resp, msg,
			    sizeof(msg));
	if (!ret) {
		h = cJSON_GetObjectItemCaseSensitive(resp, "health");
		reason = cJSON_GetObjectItemCaseSensitive(resp, "reason");
		if (!cJSON_IsString(h)) {
			snprintf(msg, sizeof(msg),
				 "HTTP %ld without a health field", status);
			ret = -EPROTO;
		} else if (status == 200 && !strcmp(h->valuestring, "true")) {
			cJSON_Delete(resp);
			e->err[0] = '\0';
			return 0;
		} else {
			snprintf(msg, sizeof(msg), "not healthy (HTTP %ld)%s%s",
				 status, cJSON_IsString(reason) ? ": " : "",
				 cJSON_IsString(reason) ?
				 reason->valuestring : "");
			ret = -EAGAIN;
		}
	}
	cJSON_Delete(resp);
	etcd_seterr(e, "%s: %s", e->endpoints[endpoint], msg);
	return ret;
}

int etcd_version(struct etcd *e, size_t endpoint, char *buf, size_t len)
{
	const cJSON *v;
	cJSON *resp = NULL;
	char msg[256] = "";
	long status;
	int ret;

	if (!e || !buf || !len)
		return -EINVAL;
	if (endpoint >= e->n) {
		etcd_seterr(e, "no endpoint %zu", endpoint);
		return -EINVAL;
	}
	ret = etcd_exchange(e, endpoint, "/version", NULL, &status, &resp, msg,
			    sizeof(msg));
	if (!ret) {
		v = cJSON_GetObjectItemCaseSensitive(resp, "etcdserver");
		if (status == 200 && cJSON_IsString(v)) {
			snprintf(buf, len, "%s", v->valuestring);
			cJSON_Delete(resp);
			e->err[0] = '\0';
			return 0;
		}
		snprintf(msg, sizeof(msg), "HTTP %ld without a version", status);
		ret = -EPROTO;
	}
	cJSON_Delete(resp);
	etcd_seterr(e, "%s: %s", e->endpoints[endpoint], msg);
	return ret;
}
