/* SPDX-License-Identifier: MIT */
/* Inside the etcd client: the client object and the request helpers that
 * lib/etcd.c shares with etcd_txn.c, etcd_lease.c and etcd_watch.c. Not for
 * use outside lib/etcd*.c. */
#ifndef KNETSIM_ETCD_PRIV_H
#define KNETSIM_ETCD_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "etcd.h"

#define ETCD_MAX_RESPONSE (16u << 20) /* far above etcd's request limit */
#define ETCD_ERR_MAX 512
/* After a round in which no member could serve (every endpoint tried),
 * the next round waits this long, doubling up to the maximum. */
#define ETCD_BACKOFF_MS     100
#define ETCD_BACKOFF_MAX_MS 2000

struct etcd_buf {
	char *data;
	size_t len, cap;
};

struct etcd {
	char **endpoints;
	size_t n;
	size_t cur;           /* the endpoint that answered last */
	int nsfd;
	int timeout_ms;
	int sock_errno;       /* why the open-socket callback failed */
	CURL *curl;
	struct curl_slist *headers;
	char curl_err[CURL_ERROR_SIZE];
	char err[ETCD_ERR_MAX];
};

void etcd_seterr(struct etcd *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* POST req (as JSON) to path with failover; 0 and etcd's answer in *out
 * (HTTP 200), or -errno with etcd_error() set. A member that cannot serve
 * (gRPC Unavailable: no leader, leader changed; HTTP 503) counts as
 * unreachable; when a whole round found none that could, rounds repeat
 * with backoff while the client's timeout allows, then -EAGAIN. */
int etcd_call(struct etcd *e, const char *path, cJSON *req, cJSON **out);
/* Adds name: base64(data) to obj; 0 or -ENOMEM. */
int etcd_add_b64(cJSON *obj, const char *name, const void *data,
		 size_t len);
/* A new request object {"key": base64(key)}; -EINVAL for an empty key. */
int etcd_key_request(struct etcd *e, const char *key, cJSON **out);
/* A gRPC status code (as etcd's gateway reports it) as -errno. */
int etcd_grpc_errno(int code);
/* A 64-bit integer as etcd writes it (a string; absent means 0). */
int etcd_json_int64(const cJSON *item, int64_t *out);

/* etcd_txn.c, shared with the watcher: */
/* {"key", "range_end"} covering every key starting with prefix. */
int etcd_prefix_request(const char *prefix, cJSON **out);
/* An etcd mvccpb.KeyValue object into out (-EPROTO when malformed). */
int etcd_kv_decode(const cJSON *kv, struct etcd_kv *out);
void etcd_kv_clear(struct etcd_kv *kv);
/* header.revision of an answer. */
int etcd_header_revision(const cJSON *resp, int64_t *rev);

#endif
